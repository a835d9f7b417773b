// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: the IPv4 protocol handler, where every xtcp segment enters (those
 * that come over IPv6 through ipv6.c, into the same xtcp_rcv()).
 *
 * ip_local_deliver_finish() calls xtcp_v4_rcv() in softirq context (with
 * rcu_read_lock held) for every IP datagram carrying our protocol number.
 * Nothing here sleeps.  Whatever is wrong with a segment is counted and the
 * segment dropped; nothing a remote peer sends is logged.
 *
 * ICMP errors about our segments, of either IP version, act here too
 * (xtcp_icmp_err()): a path MTU a router reports shrinks a connection's
 * MSS (path MTU discovery: IPv4 segments carry DF unless IP_MTU_DISCOVER
 * or net.ipv4.ip_no_pmtu_disc says otherwise, as TCP's), and an
 * unreachable peer ends a connect() with the error's errno.
 */
#define pr_fmt(fmt) "xtcp: " fmt

#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/skbuff.h>
#include <net/icmp.h>
#include <net/inet6_connection_sock.h>
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
	struct xtcp_request *req;
	bool again = false;
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

lookup:
	sk = xtcp_lookup(net, &saddr, htons(seg.sport), &daddr,
			 htons(seg.dport), &tw, again ? NULL : &req);
	if (!again && req) {
		again = !xtcp_req_rcv(req, skb);
		xtcp_req_put(req);
		if (!again)
			return 0;
		/* it became a connection, or is gone: once more, without it */
		goto lookup;
	}
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

/* The MSS a path of @mtu bytes carries to @sk's peer, timestamps' share off */
static u32 xtcp_mss_for_mtu(const struct sock *sk, u32 mtu)
{
	u32 mss = xtcp_peer_v6(sk) ? xtcp_mtu6_to_mss(mtu) :
				     xtcp_mtu_to_mss(mtu);

	return xtcp_sk(sk)->ts_ok ? xtcp_ts_mss(mss) : mss;
}

/* Bring our MSS down to what a path of @mtu bytes carries; true if it came */
static bool xtcp_fit_mss(struct sock *sk, u32 mtu)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 mss = xtcp_mss_for_mtu(sk, mtu);

	if (mss >= xs->mss)
		return false;
	WRITE_ONCE(xs->mss, mss);	/* xtcp_maxseg() reads it unlocked */
	xtcp_cc_set_mss(&xs->cc, mss);
	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_PMTU_SHRUNK);
	return true;
}

/* Does @sk take the path MTU its route learns?  As TCP: IP_MTU_DISCOVER */
static bool xtcp_takes_pmtu(const struct sock *sk)
{
	return xtcp_peer_v6(sk) ||
	       (READ_ONCE(inet_sk(sk)->pmtudisc) != IP_PMTUDISC_DONT &&
		ip_sk_accept_pmtu(sk));
}

/**
 * xtcp_mtu_reduced() - take the path MTU an ICMP error gave
 * @sk: the socket, locked: by xtcp_icmp_err() in softirq, or by its
 *	owner's release_sock() (xtcp_release_cb()), in timer context's
 *	conditions
 *
 * An ICMP Fragmentation Needed (RFC 1191) or ICMPv6 Packet Too Big (RFC
 * 8201) said that a router could not pass a segment of ours.  An MTU
 * that would not cut our MSS changes nothing, not even the route (TCP's
 * IPv6 drops such "silly" errors too).  Otherwise the route learns the MTU
 * and the socket's cached route is renewed (inet_csk_update_pmtu(),
 * inet6_csk_update_pmtu()), and our MSS comes down to what the route now
 * allows (an IPv4 socket only if it does discovery: IP_MTU_DISCOVER, as
 * TCP's): the push and every retransmission cut segments to
 * xtcp_sock.mss, and the oldest one in flight, which a router bounced,
 * goes again at once; whatever else of the old size was lost is repaired
 * by the usual loss recovery (SACK and RACK, the tail loss probe, or the
 * timeout).  Our MSS never grows back (no probing), as the route keeps
 * the smaller MTU until it expires.
 */
void xtcp_mtu_reduced(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 mtu = READ_ONCE(xs->mtu_info);
	struct dst_entry *dst;

	if (!(XTCPF(sk->sk_state) & XTCPF_SENDING))
		return;
	if (xtcp_mss_for_mtu(sk, mtu) >= xs->mss)
		return;
	dst = xtcp_peer_v6(sk) ? inet6_csk_update_pmtu(sk, mtu) :
				 inet_csk_update_pmtu(sk, mtu);
	if (dst && xtcp_takes_pmtu(sk) && xtcp_fit_mss(sk, dst_mtu(dst)) &&
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
 * by loss recovery.  (IPv4 has no such case: a segment too large for its
 * route makes the IP layer send us a Fragmentation Needed.)
 */
void xtcp_v6_xmit_too_big(struct sock *sk)
{
	struct dst_entry *dst = __sk_dst_get(sk);

	if (dst)
		xtcp_fit_mss(sk, dst_mtu(dst));
}

/* The first eight bytes of our header, which every ICMP error quotes */
struct xtcp_quote {
	__be16 sport;
	__be16 dport;
	__be32 seq;
};

/*
 * A Redirect quoting a segment of ours is handed to the socket's route,
 * if still valid (ip_do_redirect(), rt6_do_redirect()).  The route code
 * judges it (the new first hop on the link, the Redirect from the
 * current one) and records a next-hop exception that later lookups to
 * the peer find.  IPv4 takes the new hop only once its neighbour entry
 * is valid (a first Redirect may only start its resolution; the router
 * sends more) and then marks the socket's route obsolete; IPv6's
 * exception makes the socket's route fail its cookie check.  Either way
 * the next segment is routed anew.
 */
static void xtcp_redirect(struct sock *sk, struct sk_buff *skb)
{
	u32 cookie = xtcp_peer_v6(sk) ? inet6_sk(sk)->dst_cookie : 0;
	struct dst_entry *dst = __sk_dst_check(sk, cookie);

	if (dst)
		dst->ops->redirect(dst, sk, skb);
}

/**
 * xtcp_icmp_err() - an ICMP or ICMPv6 error about a segment of ours
 * @skb: the error, for a Redirect (the route code reads the new first
 *	hop from it); the namespace is its device's
 * @e: what it says, decoded by the IP version's handler
 *
 * The connection is found by the quoted four-tuple, and the quoted
 * sequence number must be of a segment in flight, SND.UNA to SND.MAX (RFC
 * 5927 4.1, against forged errors: else counted, OutOfWindowIcmps, and
 * dropped).  An error about a listener's SYN+ACK is its request's
 * (xtcp_req_icmp(); left alone while the listener's owner holds it);
 * errors about a TIME_WAIT entry's ACKs are ignored.  A Redirect moves
 * the connection's route to the better first hop (unless the owner holds
 * the socket, as TCP's).  What an error does to a connection is TCP's
 * (RFC 1122 4.2.3.9): a connection still in its handshake is given up
 * with @e->err (connect() fails with it, rather than ETIMEDOUT after
 * every SYN was sent in vain), unless the owner holds the socket.  An
 * established one stays, since an unreachable host may be reached again:
 * the error is only its soft error (SO_ERROR reads it; a later timeout
 * reports it rather than ETIMEDOUT), unless the application asked for
 * errors (IP_RECVERR; IPV6_RECVERR for an ICMPv6 error) and does not
 * hold the socket: then it is the hard error, which the next call
 * reports once and poll() shows as POLLERR.  A router's "no route" about
 * the oldest segment, which the timer resent, undoes the timer's last
 * backoff (xtcp_rtx_revert(), RFC 6069).
 *
 * Context: softirq (an ICMP protocol's error handler), RCU read-side.
 */
void xtcp_icmp_err(struct sk_buff *skb, const struct xtcp_icmp *e)
{
	struct net *net = dev_net(skb->dev);
	struct xtcp_request *req;
	struct xtcp_quote q;
	struct xtcp_sock *xs;
	struct xtcp_tw *tw;
	struct sock *sk;

	memcpy(&q, e->quoted, sizeof(q));
	/* we sent it: its source is our end */
	sk = xtcp_lookup(net, &e->raddr, q.dport, &e->laddr, q.sport, &tw,
			 &req);
	if (tw) {
		xtcp_tw_put(tw);
		return;
	}
	if (req) {
		sk = req->listener;
		bh_lock_sock(sk);
		if (sock_owned_by_user(sk)) {
			/* one that would have ended the request */
			if (e->abort)
				XTCP_INC_STATS(net, XTCP_MIB_LOCK_DROPPED_ICMPS);
		} else if (!req->dead) {
			xtcp_req_icmp(sk, req, ntohl(q.seq), e->abort);
		}
		bh_unlock_sock(sk);
		xtcp_req_put(req);
		return;
	}
	if (!sk)
		return;
	xs = xtcp_sk(sk);
	bh_lock_sock(sk);
	if (sk->sk_state == XTCP_LISTEN)
		goto out;	/* about no request: one answered with a cookie */
	/* what an owner's hold makes us ignore (not a path MTU: deferred) */
	if (sock_owned_by_user(sk) && (e->err || e->redirect))
		XTCP_INC_STATS(net, XTCP_MIB_LOCK_DROPPED_ICMPS);
	/*
	 * A connection matched the addresses as given, v4-mapped or not: it
	 * is one over the IP version the error came by.
	 */
	if (!(XTCPF(sk->sk_state) & (XTCPF_SENDING | XTCPF_OPENING)))
		goto out;
	if (!xtcp_seq_between(ntohl(q.seq), xs->snd_una, xs->snd_max)) {
		XTCP_INC_STATS(net, XTCP_MIB_OUT_OF_WINDOW_ICMPS);
		goto out;
	}
	if (e->redirect) {
		if (!sock_owned_by_user(sk))
			xtcp_redirect(sk, skb);
	} else if (!e->err) {
		WRITE_ONCE(xs->mtu_info, e->mtu);
		if (!sock_owned_by_user(sk))
			xtcp_mtu_reduced(sk);
		else if (!test_and_set_bit(XTCP_DEFER_PMTU, &xs->deferred))
			sock_hold(sk);	/* put by xtcp_release_cb() */
	} else if (!(XTCPF(sk->sk_state) & XTCPF_SENDING) &&
		   !sock_owned_by_user(sk)) {
		XTCP_INC_STATS(net, XTCP_MIB_ICMP_ABORTS);
		xtcp_done(sk, e->err);
	} else {
		/*
		 * With IP_RECVERR (IPV6_RECVERR for an ICMPv6 error) the
		 * owner hears of it at once, as a hard error its next call
		 * reports (the connection stays), as TCP's.
		 */
		bool hard = e->v6 ? READ_ONCE(xs->recverr6) :
				    READ_ONCE(xs->recverr);

		if (hard && !sock_owned_by_user(sk)) {
			WRITE_ONCE(sk->sk_err, e->err);
			sk_error_report(sk);
		} else {
			WRITE_ONCE(sk->sk_err_soft, e->err);
		}
		/* about the oldest segment, resent by the timer: RFC 6069 */
		if (e->revert && ntohl(q.seq) == xs->snd_una &&
		    !sock_owned_by_user(sk))
			xtcp_rtx_revert(sk);
	}
out:
	bh_unlock_sock(sk);
	sock_put(sk);
}

/*
 * ICMP errors about a segment of ours (icmp_socket_deliver(), softirq):
 * the quoted IPv4 header at skb->data, followed by at least eight bytes
 * of ours (icmp_socket_deliver() pulled them).  Fragmentation Needed
 * gives a path MTU (@info, from the error); the others an errno, as
 * TCP's table has it: Destination Unreachable's codes by
 * icmp_err_convert[], Time Exceeded EHOSTUNREACH, Parameter Problem
 * EPROTO.  Those two and a network or host unreachable end a listener's
 * request, as TCP's; the unreachables may also undo a backoff of the
 * retransmission timer (RFC 6069).  A Redirect (its new first hop in
 * @info) moves the connection's route.  Source Quench (deprecated, RFC
 * 6633) changes nothing.
 */
static int xtcp_v4_err(struct sk_buff *skb, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const struct icmphdr *icmph = icmp_hdr(skb);
	struct xtcp_icmp e = {
		.quoted = skb->data + iph->ihl * 4,
		.abort = true,
	};

	switch (icmph->type) {
	case ICMP_DEST_UNREACH:
		if (icmph->code > NR_ICMP_UNREACH)
			return 0;
		if (icmph->code == ICMP_FRAG_NEEDED)
			e.mtu = info;
		else
			e.err = icmp_err_convert[icmph->code].errno;
		e.abort = icmph->code == ICMP_NET_UNREACH ||
			  icmph->code == ICMP_HOST_UNREACH;
		e.revert = e.abort;
		break;
	case ICMP_TIME_EXCEEDED:
		e.err = EHOSTUNREACH;
		break;
	case ICMP_PARAMETERPROB:
		e.err = EPROTO;
		break;
	case ICMP_REDIRECT:
		e.redirect = true;
		e.abort = false;
		break;
	default:
		return 0;
	}
	ipv6_addr_set_v4mapped(iph->saddr, &e.laddr);
	ipv6_addr_set_v4mapped(iph->daddr, &e.raddr);
	xtcp_icmp_err(skb, &e);
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
