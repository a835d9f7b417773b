// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: the IPv6 protocol handler.
 *
 * ip6_protocol_deliver_rcu() calls xtcp_v6_rcv() in softirq context (with
 * rcu_read_lock held) for every IPv6 datagram whose last header carries
 * our protocol number; the segment then takes the path of IPv4's
 * (xtcp_rcv()).  A v4-mapped address on the wire is refused: such a
 * connection is IPv4's, and its pseudo-header would sum as IPv4's.
 *
 * ICMPv6 Packet Too Big shrinks a connection's MSS (path MTU discovery,
 * RFC 8201): IPv6 routers never fragment, so without it a path narrower
 * than the first hop would swallow every full-sized segment.  IPv4 needs
 * none: xtcp sends IPv4 without DF, and routers fragment.
 */
#define pr_fmt(fmt) "xtcp: " fmt

#include <linux/icmpv6.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <net/inet6_connection_sock.h>
#include <net/ipv6.h>
#include <net/protocol.h>

#include "xtcp.h"

static int xtcp_v6_rcv(struct sk_buff *skb)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);

	if (ipv6_addr_v4mapped(&ip6h->saddr) ||
	    ipv6_addr_v4mapped(&ip6h->daddr)) {
		xtcp_inc_stat(dev_net(skb->dev), XTCP_MIB_IN_HDR_ERRS);
		kfree_skb(skb);
		return 0;
	}
	return xtcp_rcv(skb, true);
}

/* The states in which segments of ours can be in flight */
#define XTCP_V6_SENDING	(BIT(XTCP_ESTABLISHED) | BIT(XTCP_CLOSE_WAIT) | \
			 BIT(XTCP_FIN_WAIT1) | BIT(XTCP_FIN_WAIT2) | \
			 BIT(XTCP_CLOSING) | BIT(XTCP_LAST_ACK))

/* The MSS a path of @mtu bytes carries, timestamps' share taken off */
static u32 xtcp_v6_mss_for(const struct xtcp_sock *xs, u32 mtu)
{
	u32 mss = xtcp_mtu6_to_mss(mtu);

	return xs->ts_ok ? xtcp_ts_mss(mss) : mss;
}

/* Bring our MSS down to what a path of @mtu bytes carries; true if it came */
static bool xtcp_v6_fit_mss(struct sock *sk, u32 mtu)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 mss = xtcp_v6_mss_for(xs, mtu);

	if (mss >= xs->mss)
		return false;
	WRITE_ONCE(xs->mss, mss);	/* xtcp_maxseg() reads it unlocked */
	xtcp_cc_set_mss(&xs->cc, mss);
	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_PMTU_SHRUNK);
	return true;
}

/**
 * xtcp_v6_mtu_reduced() - take the path MTU an ICMPv6 Packet Too Big gave
 * @sk: the socket, locked: by xtcp_v6_err() in softirq, or by its owner's
 *	release_sock() (xtcp_release_cb()), in timer context's conditions
 *
 * An MTU that would not cut our MSS changes nothing, not even the route
 * (TCP drops such "silly" errors too).  Otherwise the route learns the
 * MTU and the socket's cached route is renewed (inet6_csk_update_pmtu()),
 * and our MSS comes down to what the route now allows: the push and
 * every retransmission cut segments to xtcp_sock.mss, and the oldest one
 * in flight, which a router bounced, goes again at once; whatever else of
 * the old size was lost is repaired by the usual loss recovery (SACK and
 * RACK, the tail loss probe, or the timeout).  Our MSS never grows back
 * (no RFC 8201 probing), as the route keeps the smaller MTU until it
 * expires.
 */
void xtcp_v6_mtu_reduced(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 mtu = READ_ONCE(xs->mtu_info);
	struct dst_entry *dst;

	if (!(BIT(sk->sk_state) & XTCP_V6_SENDING))
		return;
	if (xtcp_v6_mss_for(xs, mtu) >= xs->mss)
		return;
	dst = inet6_csk_update_pmtu(sk, mtu);
	if (dst && xtcp_v6_fit_mss(sk, dst_mtu(dst)) &&
	    xs->snd_una != xs->snd_max)
		xtcp_retransmit_head(sk);
}

/**
 * xtcp_v6_xmit_too_big() - IPv6 refused a segment as larger than its route
 * @sk: the socket, locked
 *
 * ip6_xmit() drops what exceeds the route's MTU (EMSGSIZE).  The route's
 * MTU came down without a Packet Too Big quoting one of our segments:
 * another socket's error to the same destination lowered it, or a
 * program such as tracepath.  Our MSS follows the route's, or every
 * segment of the old size, resent or new, would be refused again for
 * good.  The refused segment counts as lost and is resent, cut smaller,
 * by loss recovery.
 */
void xtcp_v6_xmit_too_big(struct sock *sk)
{
	struct dst_entry *dst = __sk_dst_get(sk);

	if (dst)
		xtcp_v6_fit_mss(sk, dst_mtu(dst));
}

/*
 * ICMPv6 errors about a segment of ours (icmpv6_notify(), softirq): the
 * quoted IPv6 header at skb->data, at least the first 8 bytes of ours at
 * @offset (the ports and the sequence number).  Only Packet Too Big is
 * acted on: the connection is found by the quoted four-tuple, and the
 * quoted sequence number must be of data in flight (RFC 5927's check
 * against forged errors), else the error is counted and dropped.  Other
 * errors are left to the timeouts, as before.  A quoted v4-mapped
 * address is forged or misrouted: it would find an IPv4 connection in
 * the shared table and lower an IPv4 route's MTU.
 */
static int xtcp_v6_err(struct sk_buff *skb, struct inet6_skb_parm *opt,
		       u8 type, u8 code, int offset, __be32 info)
{
	const struct ipv6hdr *hdr = (const struct ipv6hdr *)skb->data;
	struct net *net = dev_net(skb->dev);
	struct {
		__be16 sport, dport;
		__be32 seq;
	} q;
	struct xtcp_sock *xs;
	struct xtcp_tw *tw;
	struct sock *sk;

	if (type != ICMPV6_PKT_TOOBIG || ntohl(info) < IPV6_MIN_MTU)
		return 0;
	/* an IPv4 connection's errors come over ICMPv4, never these */
	if (ipv6_addr_v4mapped(&hdr->saddr) || ipv6_addr_v4mapped(&hdr->daddr))
		return 0;
	memcpy(&q, skb->data + offset, sizeof(q));
	/* we sent it: its source is our end */
	sk = xtcp_lookup(net, &hdr->daddr, q.dport, &hdr->saddr, q.sport, &tw);
	if (tw) {
		xtcp_tw_put(tw);
		return 0;
	}
	if (!sk)
		return 0;
	xs = xtcp_sk(sk);
	bh_lock_sock(sk);
	if (!(BIT(sk->sk_state) & XTCP_V6_SENDING) || !xtcp_peer_v6(sk))
		goto out;
	if (!xtcp_seq_between(ntohl(q.seq), xs->snd_una, xs->snd_max)) {
		XTCP_INC_STATS(net, XTCP_MIB_OUT_OF_WINDOW_ICMPS);
		goto out;
	}
	WRITE_ONCE(xs->mtu_info, ntohl(info));
	if (!sock_owned_by_user(sk))
		xtcp_v6_mtu_reduced(sk);
	else if (!test_and_set_bit(XTCP_DEFER_PMTU, &xs->deferred))
		sock_hold(sk);	/* put by xtcp_release_cb() */
out:
	bh_unlock_sock(sk);
	sock_put(sk);
	return 0;
}

static const struct inet6_protocol xtcp_v6_protocol = {
	.handler	= xtcp_v6_rcv,
	.err_handler	= xtcp_v6_err,
	.flags		= INET6_PROTO_NOPOLICY | INET6_PROTO_FINAL,
};

/**
 * xtcp_ipv6_init() - claim the protocol number on IPv6's receive path
 *
 * Not on a kernel booted with ipv6.disable=1, which has no IPv6 stack to
 * deliver to us (and bind() and connect() refuse IPv6's own addresses).
 *
 * Return: 0, or -EBUSY when another handler owns the number.
 */
int xtcp_ipv6_init(void)
{
	if (!ipv6_mod_enabled()) {
		pr_info("IPv6 is disabled: xtcp speaks IPv4 only\n");
		return 0;
	}
	if (inet6_add_protocol(&xtcp_v6_protocol, xtcp_ipproto) < 0) {
		pr_err("IPv6 next header %d is taken: load with proto=N\n",
		       xtcp_ipproto);
		return -EBUSY;
	}
	return 0;
}

/**
 * xtcp_ipv6_exit() - release it; waits for receivers inside xtcp_v6_rcv()
 */
void xtcp_ipv6_exit(void)
{
	if (ipv6_mod_enabled())
		inet6_del_protocol(&xtcp_v6_protocol, xtcp_ipproto);
}
