// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: the IPv4 protocol handler, where every xtcp segment enters (those
 * that come over IPv6 through ipv6.c, into the same xtcp_rcv()).
 *
 * ip_local_deliver_finish() calls xtcp_v4_rcv() in softirq context (with
 * rcu_read_lock held) for every IP datagram carrying our protocol number.
 * Nothing here sleeps.  Whatever is wrong with a segment is counted and the
 * segment dropped; nothing a remote peer sends is logged.
 */
#define pr_fmt(fmt) "xtcp: " fmt

#include <linux/ip.h>
#include <linux/skbuff.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/protocol.h>

#include "xtcp.h"
#include "trace.h"

/**
 * xtcp_rcv() - a segment in, over either IP version
 * @skb: the datagram, at the xtcp header, its network header IPv4's or
 *	IPv6's (@v6); consumed
 * @v6: it came over IPv6: the checksum's pseudo-header is IPv6's
 *
 * Context: softirq, RCU read-side.
 * Return: 0.
 */
int xtcp_rcv(struct sk_buff *skb, bool v6)
{
	struct net *net = dev_net(skb->dev);
	struct xtcp_skb_cb *cb;
	struct in6_addr saddr, daddr;
	struct xtcp_tw *tw;
	struct xtcp_seg seg;
	unsigned int hlen;
	struct sock *sk;
	int err;

	/* a run that crossed loopback or veth whole: its segments */
	xtcp_add_stat(net, XTCP_MIB_IN_SEGS, skb_shinfo(skb)->gso_segs ? : 1);
	if (skb_shinfo(skb)->gso_segs > 1)
		xtcp_inc_stat(net, XTCP_MIB_IN_RUNS);
	if (skb->pkt_type != PACKET_HOST)
		goto discard;

	if (!pskb_may_pull(skb, XTCP_HDR_LEN))
		goto hdr_err;
	hlen = (skb->data[12] >> 4) * 4;
	if (hlen > XTCP_HDR_LEN && !pskb_may_pull(skb, min(hlen, skb->len)))
		goto hdr_err;
	/* The header and its options are linear now; the payload need not be. */
	err = xtcp_parse(skb->data, skb->len, &seg);
	if (err != XTCP_PARSE_OK)
		goto hdr_err;

	if ((v6 ? skb_checksum_init(skb, xtcp_ipproto, ip6_compute_pseudo) :
		  skb_checksum_init(skb, xtcp_ipproto, inet_compute_pseudo)) ||
	    skb_checksum_complete(skb)) {
		xtcp_inc_stat(net, XTCP_MIB_IN_CSUM_ERRS);
		goto discard;
	}

	xtcp_skb_addrs(skb, &saddr, &daddr);
	trace_xtcp_segment_rx(net, &daddr, htons(seg.dport), &saddr,
			      htons(seg.sport), &seg, skb->len - seg.hlen);
	__skb_pull(skb, seg.hlen);
	skb_reset_transport_header(skb);	/* now at the payload */
	cb = XTCP_SKB_CB(skb);
	cb->seq = seg.seq;
	cb->end_seq = seg.seq + skb->len + !!(seg.flags & XTCP_SYN) +
		      !!(seg.flags & XTCP_FIN);
	cb->ack = seg.ack;
	cb->flags = seg.flags;
	cb->window = seg.window;
	cb->mss = seg.mss;
	cb->wscale = seg.wscale;
	cb->has_wscale = seg.has_wscale;
	cb->sport = seg.sport;
	cb->dport = seg.dport;
	cb->hlen = seg.hlen;
	cb->sack_perm = seg.sack_perm;
	cb->has_ts = seg.has_ts;
	cb->tsval = seg.tsval;
	cb->tsecr = seg.tsecr;
	cb->retransmitted = false;

	sk = xtcp_lookup(net, &saddr, htons(seg.sport), &daddr,
			 htons(seg.dport), &tw);
	if (tw) {
		bool syn = xtcp_tw_rcv(net, tw, skb);

		xtcp_tw_put(tw);
		if (!syn)
			goto discard;
		/* a new connection's SYN ended the entry: on to a listener */
		sk = xtcp_lookup_listener(net, &saddr, htons(seg.sport),
					  &daddr, htons(seg.dport));
	}
	if (!sk) {
		xtcp_inc_stat(net, XTCP_MIB_NO_SOCKET);
		xtcp_send_rst_reply(net, skb);
		goto discard;
	}
	bh_lock_sock_nested(sk);
	xtcp_deliver(sk, skb);
	bh_unlock_sock(sk);
	sock_put(sk);
	return 0;

hdr_err:
	xtcp_inc_stat(net, XTCP_MIB_IN_HDR_ERRS);
discard:
	kfree_skb(skb);
	return 0;
}

static int xtcp_v4_rcv(struct sk_buff *skb)
{
	return xtcp_rcv(skb, false);
}

/* ICMP errors about our segments: nothing to tell a socket about yet. */
static int xtcp_v4_err(struct sk_buff *skb, u32 info)
{
	return 0;
}

static const struct net_protocol xtcp_protocol = {
	.handler	= xtcp_v4_rcv,
	.err_handler	= xtcp_v4_err,
	.no_policy	= 1,
};

/**
 * xtcp_ipv4_init() - claim the IP protocol number
 *
 * Its receive handler, and its segmentation offload (offload.c): the
 * offload first, so that no run can be sent before it can be cut.
 *
 * Return: 0, or -EBUSY when another handler owns the number.
 */
int xtcp_ipv4_init(void)
{
	if (inet_add_offload(&xtcp_offload, xtcp_ipproto) < 0) {
		pr_err("IP protocol %d has an offload handler already\n",
		       xtcp_ipproto);
		return -EBUSY;
	}
	if (inet_add_protocol(&xtcp_protocol, xtcp_ipproto) < 0) {
		pr_err("IP protocol %d is taken: load with proto=N\n",
		       xtcp_ipproto);
		inet_del_offload(&xtcp_offload, xtcp_ipproto);
		return -EBUSY;
	}
	return 0;
}

/**
 * xtcp_ipv4_exit() - release the IP protocol number
 *
 * inet_del_protocol() waits for receivers already inside xtcp_v4_rcv(),
 * inet_del_offload() for segmenters inside xtcp_gso_segment().
 */
void xtcp_ipv4_exit(void)
{
	inet_del_protocol(&xtcp_protocol, xtcp_ipproto);
	inet_del_offload(&xtcp_offload, xtcp_ipproto);
}
