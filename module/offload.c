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
#include <net/gro.h>
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

/*
 * Add @skb's payload to the held @p, on @p's frag_list.  The core's
 * skb_gro_receive(), which can also move page fragments over, is not
 * exported to modules; chaining is its fallback, and the receive path
 * reads a chained skb as it reads a run that crossed veth whole.  @skb's
 * headers leave it first: pulled from the head or, where GRO read them
 * from the first page fragment (an empty head), cut from that fragment.
 * Return: 0, or -E2BIG if @skb must go up alone (marked flush: its IP
 * header or checksum was not fit to merge), the datagram would outgrow
 * IPv4, or @skb is still owned by a socket (nothing to hand over to @p).
 */
static int xtcp_gro_chain(struct sk_buff *p, struct sk_buff *skb)
{
	unsigned int off = skb_gro_offset(skb), len = skb_gro_len(skb);

	if (NAPI_GRO_CB(skb)->flush || p->len + len > 65535 || skb->sk ||
	    skb->destructor)
		return -E2BIG;
	if (off > skb_headlen(skb)) {
		unsigned int eat = off - skb_headlen(skb);

		skb_frag_off_add(&skb_shinfo(skb)->frags[0], eat);
		skb_frag_size_sub(&skb_shinfo(skb)->frags[0], eat);
		skb->data_len -= eat;
		skb->len -= eat;
		off = skb_headlen(skb);
	}
	__skb_pull(skb, off);

	if (NAPI_GRO_CB(p)->last == p)
		skb_shinfo(p)->frag_list = skb;
	else
		NAPI_GRO_CB(p)->last->next = skb;
	NAPI_GRO_CB(p)->last = skb;
	__skb_header_release(skb);

	NAPI_GRO_CB(p)->count++;
	p->data_len += len;
	p->len += len;
	p->truesize += skb->truesize;
	skb_shinfo(p)->flags |= skb_shinfo(skb)->flags & SKBFL_SHARED_FRAG;
	NAPI_GRO_CB(skb)->same_flow = 1;
	return 0;
}

/*
 * GRO: a device's NAPI poll hands each arriving segment here (through
 * inet_gro_receive(), which matched addresses and pulled the IP header);
 * @head holds the skbs being built in this poll.  A segment that continues
 * one held for the same ports (xtcp_gro_follows()) joins it; otherwise
 * the held one goes up first, so a flow is never reordered.  Return: the
 * held skb to deliver now, or NULL.
 */
static struct sk_buff *xtcp_gro_receive(struct list_head *head,
					struct sk_buff *skb)
{
	unsigned int off = skb_gro_offset(skb), hlen, len, mss = 1;
	struct sk_buff *p = NULL, *held;
	bool end = true;
	u8 *th, *th2;

	/* a bad sum goes up alone: the receive path counts and drops it */
	if (!NAPI_GRO_CB(skb)->flush &&
	    skb_gro_checksum_validate(skb, xtcp_ipproto,
				      inet_gro_compute_pseudo))
		goto out;
	th = skb_gro_header(skb, off + XTCP_HDR_LEN, off);
	if (!th)
		goto out;
	hlen = (th[12] >> 4) * 4;
	if (hlen < XTCP_HDR_LEN)
		goto out;
	th = skb_gro_header(skb, off + hlen, off);
	if (!th)
		goto out;
	skb_gro_pull(skb, hlen);
	len = skb_gro_len(skb);

	list_for_each_entry(held, head, list) {
		if (!NAPI_GRO_CB(held)->same_flow)
			continue;
		th2 = skb_transport_header(held);
		if (!memcmp(th, th2, 4)) {	/* the same ports */
			p = held;
			break;
		}
		NAPI_GRO_CB(held)->same_flow = 0;
	}

	/*
	 * A run that crossed a device whole is not merged (the core marks
	 * every non-TCP GSO skb flush); nor is a segment longer than the held
	 * one's first (its MSS) or an empty one.
	 */
	if (p) {
		mss = skb_shinfo(p)->gso_size;
		if (xtcp_gro_network_flush(th, th2, p) || skb_is_gso(skb) ||
		    !len || len > mss ||
		    !xtcp_gro_follows(th, th2, skb_gro_len(p)) ||
		    xtcp_gro_chain(p, skb))
			mss = 1;	/* not merged: @skb may start a burst */
		else
			th2[13] |= th[13] & (XTCP_PSH | XTCP_FIN);
	}
	/* a short segment, or one that must not wait, ends its burst */
	end = skb_is_gso(skb) || len < mss || xtcp_gro_ends(th);
out:
	NAPI_GRO_CB(skb)->flush |= end;
	return p && (end || !NAPI_GRO_CB(skb)->same_flow) ? p : NULL;
}

/*
 * The merged skb goes up as one long segment (the protocol handler takes
 * it as it takes a run that crossed veth whole): its checksum field is
 * made the pseudo-header's, CHECKSUM_PARTIAL, and it is a run of
 * NAPI_GRO_CB()->count segments of gso_size, so a forwarding path cuts it
 * again with xtcp_gso_segment().  @thoff: our header's offset; the IPv4
 * header, 20 bytes (inet_gro_receive() took no other), is just before.
 */
static int xtcp_gro_complete(struct sk_buff *skb, int thoff)
{
	const struct iphdr *iph = (struct iphdr *)(skb->data + thoff -
						   sizeof(struct iphdr));
	u8 *th = skb->data + thoff;
	__sum16 *check = (__sum16 *)(th + 16);

	*check = ~csum_tcpudp_magic(iph->saddr, iph->daddr, skb->len - thoff,
				    xtcp_ipproto, 0);
	skb->csum_start = th - skb->head;
	skb->csum_offset = 16;
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb_shinfo(skb)->gso_type |= SKB_GSO_SCTP;
	skb_shinfo(skb)->gso_segs = NAPI_GRO_CB(skb)->count;
	return 0;
}

/* registered with the protocol handler, by xtcp_ipv4_init() */
const struct net_offload xtcp_offload = {
	.callbacks = {
		.gso_segment = xtcp_gso_segment,
		.gro_receive = xtcp_gro_receive,
		.gro_complete = xtcp_gro_complete,
	},
};

/**
 * xtcp_fault_set_rules() - xtcp_fault.ko's rule count in a namespace
 * @net: the namespace
 * @nrules: its rules now
 *
 * Context: any.  Called by the fault module on every change, and with 0
 * as it leaves a namespace (the namespace's exit or its own unload).
 */
void xtcp_fault_set_rules(struct net *net, unsigned int nrules)
{
	WRITE_ONCE(xtcp_pernet(net)->fault_rules, nrules);
}
EXPORT_SYMBOL_GPL(xtcp_fault_set_rules);

/**
 * xtcp_fault_active() - does a namespace have fault rules?
 * @net: the namespace
 *
 * Context: any; a rule added meanwhile applies to segments sent after.
 * Return: true if xtcp_fault.ko holds at least one rule for it.
 */
bool xtcp_fault_active(const struct net *net)
{
	return READ_ONCE(xtcp_pernet(net)->fault_rules) != 0;
}

/**
 * xtcp_run_ok() - may this connection send runs (one skb, many segments)?
 * @sk: the socket, locked
 *
 * Return: true if net.xtcp.gso is on, the route takes the GSO type, the
 * peer is IPv4's (a run is cut as an IPv4 datagram; a route looked up
 * again gives an IPv6 socket the device's GSO bits back) and no fault
 * rule of the namespace needs to see single segments.
 */
bool xtcp_run_ok(const struct sock *sk)
{
	const struct net *net = sock_net(sk);

	return READ_ONCE(xtcp_sysctl(net)->gso) &&
	       (sk->sk_route_caps & NETIF_F_GSO_SCTP) &&
	       !xtcp_peer_v6(sk) && !xtcp_fault_active(net);
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
