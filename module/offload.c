// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: segmentation offload (GSO) for the protocol.
 *
 * The write queue holds skbs of up to a run's worth of payload (64 KiB,
 * xtcp_size_goal()), in page fragments, as TCP's does.  One that the
 * windows let go whole leaves xtcp as one IP datagram, gso_size the MSS,
 * gso_segs its segments (xtcp_transmit_skb()); one they do not is cut
 * first (xtcp_fragment()), or waits for more room while ACKs are due
 * (xtcp_defer_run()).  The IP layer, netfilter and the qdisc then
 * handle one skb instead of many; a device that can carry it whole
 * (loopback, veth: they pass software GSO types through) delivers it
 * whole, and the receiver takes it as one long segment, as TCP takes a
 * GRO'd one.  Before any other device the
 * core calls xtcp_gso_segment() (through inet_gso_segment(), by IP
 * protocol number) to cut it into segments with their own sequence
 * numbers and checksums.
 *
 * No GSO type names xtcp, and a type a NIC can segment in hardware would
 * make it parse our header as its own protocol's: runs carry SKB_GSO_SCTP,
 * a software-only type every device that advertises it hands back to
 * software or passes through unchanged.  (The core's length check for it
 * counts a 12-byte header where ours has 20: a run's segments are then
 * seen 8 bytes shorter than they are; the MSS already leaves room for the
 * full header, so no run is sent too large for the MTU.)
 *
 * Runs are not sent while the namespace has fault-injection rules (the
 * rules select and count single segments) or with net.xtcp.gso = 0: the
 * write queue's skbs are then one segment each, or cut to one.
 */
#define pr_fmt(fmt) "xtcp: " fmt

#include <linux/skbuff.h>
#include <linux/netdevice.h>
#include <net/ip.h>
#include <net/protocol.h>

#include "xtcp.h"
#include "fault.h"

/* An IPv4 datagram's payload tops out here: the run's header included. */
#define XTCP_RUN_MAX_BYTES	(65535 - 60 - XTCP_HDR_LEN)

/*
 * Cut a run into segments (features: what the device does itself).
 * skb->data is at our header (inet_gso_segment() pulled the IP header);
 * skb_segment() gives each segment a copy of the headers and references
 * to its share of the payload's page fragments; then each gets its own
 * sequence number, flags and checksum.  Return: the list, NULL if there is nothing to cut, or an
 * ERR_PTR().
 */
static struct sk_buff *xtcp_gso_segment(struct sk_buff *skb,
					netdev_features_t features)
{
	unsigned int mss = skb_shinfo(skb)->gso_size;
	const struct iphdr *iph = ip_hdr(skb);
	__be32 saddr = iph->saddr, daddr = iph->daddr;
	struct sk_buff *segs, *seg;
	unsigned int hlen;
	u8 flags, *th;
	__be32 be;
	u32 seq;

	if (!mss || !pskb_may_pull(skb, XTCP_HDR_LEN))
		return ERR_PTR(-EINVAL);
	hlen = (skb->data[12] >> 4) * 4;
	if (hlen < XTCP_HDR_LEN || !pskb_may_pull(skb, hlen))
		return ERR_PTR(-EINVAL);
	th = skb->data;
	memcpy(&be, th + 4, sizeof(be));
	seq = ntohl(be);
	flags = th[13];
	__skb_pull(skb, hlen);
	if (skb->len <= mss)
		return NULL;

	segs = skb_segment(skb, features);
	if (IS_ERR_OR_NULL(segs))
		return segs;
	for (seg = segs; seg; seg = seg->next) {
		unsigned int len = seg->len - skb_transport_offset(seg);
		__sum16 *check;

		th = skb_transport_header(seg);
		be = htonl(seq);
		memcpy(th + 4, &be, sizeof(be));
		/* PSH and FIN belong to the run's last byte */
		th[13] = seg->next ? flags & ~(XTCP_PSH | XTCP_FIN) : flags;
		seq += len - hlen;
		check = (__sum16 *)(th + 16);
		if (seg->ip_summed == CHECKSUM_PARTIAL) {
			*check = ~csum_tcpudp_magic(saddr, daddr, len,
						    xtcp_ipproto, 0);
			seg->csum_start = th - seg->head;
			seg->csum_offset = 16;
		} else {
			/* the device cannot: the whole sum here */
			*check = 0;
			*check = csum_tcpudp_magic(saddr, daddr, len, xtcp_ipproto,
						   skb_checksum(seg,
								skb_transport_offset(seg),
								len, 0));
			seg->ip_summed = CHECKSUM_NONE;
		}
	}
	return segs;
}

/* registered with the protocol handler, by xtcp_ipv4_init() */
const struct net_offload xtcp_offload = {
	.callbacks = {
		.gso_segment = xtcp_gso_segment,
	},
};

/**
 * xtcp_run_ok() - may this connection send runs (one skb, many segments)?
 * @sk: the socket, locked
 *
 * Return: true if net.xtcp.gso is on, the route takes the GSO type, and
 * no fault rule of the namespace needs to see single segments.
 */
bool xtcp_run_ok(const struct sock *sk)
{
	const struct net *net = sock_net(sk);

	return READ_ONCE(xtcp_sysctl(net)->gso) &&
	       (sk->sk_route_caps & NETIF_F_GSO_SCTP) &&
	       !xtcp_fault_active(net);
}

/**
 * xtcp_run_max() - the most segments of @mss bytes one run may carry
 * @sk: the socket
 * @mss: the segment size
 *
 * Return: at most what fits one IPv4 datagram and the route's GSO limits.
 */
unsigned int xtcp_run_max(const struct sock *sk, unsigned int mss)
{
	unsigned int n = min_t(unsigned int, XTCP_RUN_MAX_BYTES,
			       READ_ONCE(sk->sk_gso_max_size)) / mss;

	return min_t(unsigned int, n, READ_ONCE(sk->sk_gso_max_segs));
}
