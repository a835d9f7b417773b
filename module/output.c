// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: building and sending segments.
 *
 * Segments of a connection go out through ip_queue_xmit() (an IPv6 peer:
 * inet6_csk_xmit()) with the socket's cached route.  Replies that have no
 * socket (RST to a segment nobody owns, TIME_WAIT's ACKs) and SYN+ACKs of
 * requests are routed and sent by hand with ip_local_out() or
 * ip6_local_out().  Checksums are left to the device (CHECKSUM_PARTIAL);
 * the stack computes them in software where the device cannot.
 *
 * Called with the socket locked (owner or bh_lock_sock), from process
 * context, softirq or a timer.
 */
#define pr_fmt(fmt) "xtcp: " fmt

#include <linux/ip.h>
#include <linux/skbuff.h>
#include <net/inet6_connection_sock.h>
#include <net/inet_ecn.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/route.h>
#include <net/secure_seq.h>
#include <linux/siphash.h>

#include "kunit.h"
#include "xtcp.h"
#include "trace.h"

/**
 * xtcp_isn() - an initial sequence number for a four-tuple
 * @saddr: local address (v4-mapped for IPv4)
 * @daddr: remote address, likewise
 * @sport: local port
 * @dport: remote port
 *
 * RFC 6528: a keyed hash of the four-tuple plus a 4-microsecond clock,
 * the kernel's own secure_tcp_seq() (secure_tcpv6_seq() over IPv6).
 *
 * Return: the ISN.
 */
u32 xtcp_isn(const struct in6_addr *saddr, const struct in6_addr *daddr,
	     __be16 sport, __be16 dport)
{
	if (ipv6_addr_v4mapped(saddr))
		return secure_tcp_seq(xtcp_addr_v4_of(saddr),
				      xtcp_addr_v4_of(daddr), sport, dport);
	return secure_tcpv6_seq(saddr->s6_addr32, daddr->s6_addr32, sport,
				dport);
}

static siphash_aligned_key_t ts_key __read_mostly;

/**
 * xtcp_output_init() - draw the timestamp offsets' key (module load)
 *
 * At load, not at first use (net_get_random_once()): first use flips a
 * static key, which patches the module's text while other CPUs may run
 * it, and QEMU's TCG guests have oopsed on the breakpoint that patching
 * leaves for an instant (xtcp_module reloads the module a hundred times).
 */
void xtcp_output_init(void)
{
	get_random_bytes(&ts_key, sizeof(ts_key));
}

/**
 * xtcp_ts_off() - the offset of a connection's timestamps
 * @saddr: local address (v4-mapped for IPv4)
 * @daddr: remote address, likewise
 *
 * RFC 7323 5.4: a keyed hash, so that timestamps do not tell the peer
 * how long this host has been up; of the two addresses only, as TCP's,
 * so that connections between the same two hosts share one clock and a
 * new one's timestamps are above the last one's (RFC 6191 reopens a
 * TIME_WAIT tuple on that).  The key is drawn at module load.
 *
 * Return: the offset.
 */
u32 xtcp_ts_off(const struct in6_addr *saddr, const struct in6_addr *daddr)
{
	const struct in6_addr both[2] = { *saddr, *daddr };

	return (u32)siphash(both, sizeof(both), &ts_key);
}

/**
 * xtcp_window_space() - receive space we can offer, bytes
 * @sk: the socket
 *
 * What is left of the receive buffer, scaled by what payload has cost in
 * buffer memory so far (skbs cost more than their payload: a segment of
 * 1400 bytes may take a 4 KiB page), so that a peer filling the window
 * does not overrun the buffer.  Under memory pressure at most four
 * segments (xtcp_select_window() never takes back what was offered).
 *
 * Return: bytes.
 */
u32 xtcp_window_space(const struct sock *sk)
{
	int space = READ_ONCE(sk->sk_rcvbuf) - atomic_read(&sk->sk_rmem_alloc);
	u32 wnd;

	if (space <= 0)
		return 0;
	wnd = (u64)space * READ_ONCE(xtcp_sk(sk)->rcv_ratio) >> 8;
	/* memory short (mem.c): offer no more than a few segments */
	if (sk_under_memory_pressure(sk))
		wnd = min_t(u32, wnd, 4U * READ_ONCE(xtcp_sk(sk)->mss));
	if (READ_ONCE(xtcp_sk(sk)->window_clamp))	/* TCP_WINDOW_CLAMP */
		wnd = min(wnd, READ_ONCE(xtcp_sk(sk)->window_clamp));
	return wnd;
}

/**
 * xtcp_offer_window() - the window the next segment would announce
 * @sk: the socket, locked
 * @cur: bytes still open to the right of RCV.NXT, as last announced
 *
 * xtcp_window_offer() (no sliver of a window, never a shrink) over what
 * xtcp_window_space() allows, at most what the scale can express, and
 * rounded down to its unit so that the peer sees what we record.
 *
 * Return: bytes.
 */
u32 xtcp_offer_window(const struct sock *sk, u32 cur)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	u32 max = 65535U << xs->rcv_wscale;
	u32 buf = (u64)READ_ONCE(sk->sk_rcvbuf) * READ_ONCE(xs->rcv_ratio) >> 8;
	u32 space = min(xtcp_window_space(sk), max);

	space = xtcp_window_offer(min(cur, max), space, xs->mss, buf);
	return space & ~((1U << xs->rcv_wscale) - 1);
}

/**
 * xtcp_select_window() - the window field for the next segment we send
 * @sk: the socket, locked
 *
 * Never shrinks what was offered before (RFC 9293 3.8.6), unless a
 * segment inside that offer had to be refused for want of memory
 * (xtcp_sock.rcv_shrink): RFC 9293 asks senders to cope with a shrunk
 * window, and a zero window they probe beats resends dropped until they
 * time out.  Records the offer in rcv_wnd/rcv_wup.
 *
 * Return: the field value, already scaled down by rcv_wscale.
 */
u16 xtcp_select_window(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 cur = xtcp_rcv_window(xs->rcv_wup, xs->rcv_nxt, xs->rcv_wnd);
	u32 space;

	if (xs->rcv_shrink) {	/* an offer we could not keep: the truth */
		xs->rcv_shrink = false;
		cur = 0;
	}
	space = xtcp_offer_window(sk, cur);

	xs->rcv_wnd = space;
	xs->rcv_wup = xs->rcv_nxt;
	return space >> xs->rcv_wscale;
}

/*
 * Push the xtcp header for @seg onto @skb and set up the checksum; the
 * segment is as good as sent, so the tracepoint fires here.
 */
static void xtcp_push_header(struct net *net, struct sk_buff *skb,
			     const struct xtcp_seg *seg,
			     const struct in6_addr *saddr,
			     const struct in6_addr *daddr)
{
	u8 hdr[XTCP_MAX_HDR_LEN];
	size_t hlen = xtcp_build(hdr, sizeof(hdr), seg);
	__sum16 *check;

	trace_xtcp_segment_tx(net, saddr, htons(seg->sport), daddr,
			      htons(seg->dport), seg, skb->len);

	memcpy(skb_push(skb, hlen), hdr, hlen);
	skb_reset_transport_header(skb);
	/*
	 * A run (offload.c) is seeded over its whole length too: the seed
	 * is right for a receiver that takes it whole (loopback, veth:
	 * CHECKSUM_PARTIAL is trusted), and xtcp_gso_segment() seeds each
	 * piece again when it is cut.
	 */
	check = (__sum16 *)(skb->data + 16);
	if (ipv6_addr_v4mapped(daddr))
		*check = ~csum_tcpudp_magic(xtcp_addr_v4_of(saddr),
					    xtcp_addr_v4_of(daddr), skb->len,
					    xtcp_ipproto, 0);
	else
		*check = ~csum_ipv6_magic(saddr, daddr, skb->len,
					  xtcp_ipproto, 0);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = 16;
}

/* Send @oskb (a write-queue skb or a fresh control skb) on a connection. */
static int xtcp_transmit_skb(struct sock *sk, struct sk_buff *oskb, bool clone)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct inet_sock *inet = inet_sk(sk);
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(oskb);
	struct xtcp_seg seg = {};
	struct sk_buff *skb = oskb;
	unsigned int payload = oskb->len, segs;
	int err;

	if (payload > xs->mss) {
		/* a run: one skb, segments of the MSS (offload.c) */
		struct skb_shared_info *shinfo = skb_shinfo(oskb);

		shinfo->gso_size = xs->mss;
		shinfo->gso_segs = DIV_ROUND_UP(payload, xs->mss);
		shinfo->gso_type = SKB_GSO_SCTP;
	} else if (skb_is_gso(oskb)) {
		/* cut down to one segment since it last left */
		skb_shinfo(oskb)->gso_size = 0;
		skb_shinfo(oskb)->gso_segs = 0;
		skb_shinfo(oskb)->gso_type = 0;
	}
	if (clone) {
		/* A clone still in flight shares our headroom: copy then. */
		skb = skb_cloned(oskb) ? pskb_copy(oskb, GFP_ATOMIC) :
					 skb_clone(oskb, GFP_ATOMIC);
		if (!skb)
			return -ENOBUFS;
	}
	seg.sport = ntohs(inet->inet_sport);
	seg.dport = ntohs(inet->inet_dport);
	seg.seq = cb->seq;
	seg.flags = cb->flags;
	if (seg.flags & XTCP_SYN) {
		seg.mss = xs->mss;
		seg.has_wscale = true;
		seg.wscale = xs->rcv_wscale;
		seg.sack_perm = xs->sack_ok;
		seg.window = min_t(u32, xtcp_window_space(sk), 65535);
		xs->rcv_wnd = seg.window;
		xs->rcv_wup = xs->rcv_nxt;
	} else {
		seg.flags |= XTCP_ACK;
		seg.window = xtcp_select_window(sk);
	}
	if (xs->ts_ok) {
		/* RFC 7323 3.2: on every segment; a SYN echoes nothing yet */
		seg.has_ts = true;
		seg.tsval = xtcp_ts_now(xs->ts_off);
		seg.tsecr = seg.flags & XTCP_ACK ? xs->ts_recent : 0;
	}
	if (xs->sack_ok && !payload && !(seg.flags & XTCP_SYN) &&
	    (xs->sack_rcv.nr || xs->sack_rcv.has_dsack)) {
		/* out-of-order data held (RFC 2018 4), a duplicate (RFC 2883) */
		if (xs->sack_rcv.has_dsack)
			XTCP_INC_STATS(sock_net(sk), XTCP_MIB_DSACK_SENT);
		/* three blocks beside timestamps fill the 40 option bytes */
		seg.nr_sack = xtcp_sack_rcv_blocks(&xs->sack_rcv, seg.sack,
						   XTCP_MAX_SACK_BLOCKS -
						   seg.has_ts);
	}
	if (seg.flags & XTCP_ACK) {
		seg.ack = xs->rcv_nxt;
		if (xs->ack_pending) {	/* this segment pays the ACK owed */
			xs->ack_pending = false;
			xtcp_timer_stop(sk, XTCP_TIMER_DELACK);
		}
	}
	xtcp_push_header(sock_net(sk), skb, &seg, &sk->sk_v6_rcv_saddr,
			 &sk->sk_v6_daddr);
	memset(skb->cb, 0, max(sizeof(struct inet_skb_parm),
			       sizeof(struct inet6_skb_parm)));
	skb->priority = READ_ONCE(sk->sk_priority);
	skb->mark = READ_ONCE(sk->sk_mark);
	skb_set_hash_from_sk(skb, sk);	/* the IPv6 flow label's source */
	segs = skb_shinfo(skb)->gso_segs ? : 1;	/* a run: many */
	xtcp_add_stat(sock_net(sk), XTCP_MIB_OUT_SEGS, segs);
	if (segs > 1)
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_OUT_RUNS);
	xs->segs_out += segs;
	if (payload)
		xs->data_segs_out += segs;
	if (xtcp_kunit_capture(skb))	/* a KUnit test's wire: kunit.h */
		return 0;
	if (xtcp_peer_v6(sk)) {
		err = inet6_csk_xmit(sk, skb, NULL);
		if (unlikely(err == -EMSGSIZE))	/* the route's MTU fell */
			xtcp_v6_xmit_too_big(sk);
	} else {
		err = ip_queue_xmit(sk, skb, &inet->cork.fl);
	}
	return net_xmit_eval(err);
}

static struct sk_buff *xtcp_alloc_ctl(struct sock *sk, gfp_t gfp)
{
	struct sk_buff *skb = alloc_skb(XTCP_HEADROOM, gfp);

	if (skb)
		skb_reserve(skb, XTCP_HEADROOM);
	return skb;
}

/**
 * xtcp_wq_append() - an skb joins the tail of the write queue, unsent
 * @sk: the socket, locked
 * @skb: its control block set (xtcp_wq_cb_init())
 * @charged: counted against the send buffer (data; not a SYN or FIN)
 *
 * It is accounted (xtcp_wmem_queue()) and, if nothing waited to be sent,
 * becomes the send head.
 */
void xtcp_wq_append(struct sock *sk, struct sk_buff *skb, bool charged)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	__skb_queue_tail(&sk->sk_write_queue, skb);
	xtcp_wmem_queue(sk, skb, charged);
	if (!xs->send_head)
		xs->send_head = skb;
}

/*
 * Queue a control segment (SYN, FIN) that occupies sequence space.  It is
 * not charged to the memory budget: one or two a connection, and a close
 * must not wait for memory.
 */
static int xtcp_queue_ctl(struct sock *sk, u8 flags, gfp_t gfp)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb = xtcp_alloc_ctl(sk, gfp);

	if (!skb)
		return -ENOBUFS;
	xtcp_wq_cb_init(skb, xs->write_seq, xs->write_seq + 1, flags);
	xs->write_seq++;
	xtcp_wq_append(sk, skb, false);
	return 0;
}

/**
 * xtcp_send_syn() - queue and send the SYN of an active open
 * @sk: a socket moving to SYN_SENT, locked
 *
 * Return: 0 or a negative errno.
 */
int xtcp_send_syn(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	int err;

	xs->write_seq = xs->iss;
	xs->snd_una = xs->iss;
	xs->snd_nxt = xs->iss;
	xs->snd_max = xs->iss;
	xs->snd_sml = xs->iss;
	err = xtcp_queue_ctl(sk, XTCP_SYN, sk->sk_allocation);
	if (err)
		return err;
	xtcp_push(sk);
	return 0;
}

/**
 * xtcp_send_fin() - queue our FIN behind the data and send what may go
 * @sk: the socket, locked, in ESTABLISHED, CLOSE_WAIT or SYN_RCVD
 * @gfp: how to allocate it (sk->sk_allocation from a system call,
 *	GFP_ATOMIC from the timer)
 *
 * ESTABLISHED -> FIN_WAIT_1, CLOSE_WAIT -> LAST_ACK, once the FIN is
 * queued.  When it cannot be allocated the state stays, @fin_pending is
 * set and the retransmission timer calls here again (timer.c), so a
 * close never stalls for want of one skb.
 */
void xtcp_send_fin(struct sock *sk, gfp_t gfp)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (xtcp_queue_ctl(sk, XTCP_FIN | XTCP_ACK, gfp)) {
		xs->fin_pending = true;
		xtcp_arm_rtx(sk);
		return;
	}
	xs->fin_pending = false;
	xtcp_set_state(sk, xtcp_state_on_close(sk->sk_state));
	xtcp_push(sk);
}

/*
 * The sequence number of a bare ACK or an abort's RST.  The peer takes
 * an ACK only inside its window and an RST only at its RCV.NXT
 * (RFC 5961 3.2); an RST elsewhere in its window draws a
 * challenge ACK, which finds our port closed and gets from
 * xtcp_send_rst_reply() an RST carrying exactly the number it
 * acknowledges; one outside the window is dropped unanswered, and the
 * peer lives on.  RCV.NXT lies between SND.UNA (what it acknowledged) and
 * SND.MAX (all we sent).  SND.MAX is the best guess, everything sent
 * having arrived, and is at or above RCV.NXT; but the peer only ever
 * took data inside the window it announced, so the guess stops at that
 * window's right edge, SND.UNA + SND.WND (Linux's tcp_acceptable_seq()):
 * at or above RCV.NXT as long as the peer took nothing beyond it, and
 * never out of the window.  With the window closed that is SND.UNA, just
 * what a peer that refuses everything expects.  (A peer that took a whole
 * segment beyond a narrow window, xtcp_may_send(), and whose ACK of it is
 * lost, is the one case this misses: its RCV.NXT is past the edge.)
 */
static u32 xtcp_acceptable_seq(const struct xtcp_sock *xs)
{
	u32 edge = xs->snd_una + xs->snd_wnd;

	return xtcp_seq_after(xs->snd_max, edge) ? edge : xs->snd_max;
}

/**
 * xtcp_send_ack() - send a bare ACK with the current window
 * @sk: the socket, locked
 */
void xtcp_send_ack(struct sock *sk)
{
	struct sk_buff *skb = xtcp_alloc_ctl(sk, GFP_ATOMIC);

	if (!skb)
		return;
	/*
	 * Not the go-back pointer SND.NXT: after a timeout both ends may
	 * have rewound SND.NXT below what the other has received, and ACKs
	 * carrying such old numbers would be refused as out of window on
	 * both sides, neither ever learning the other's ACK.  Nor SND.MAX
	 * when that lies past the peer's window edge: the peer refuses
	 * such an ACK too, acknowledgment and all, and two ends that each
	 * wait for the other's ACK livelock the same way.
	 */
	XTCP_SKB_CB(skb)->seq = xtcp_acceptable_seq(xtcp_sk(sk));
	XTCP_SKB_CB(skb)->flags = XTCP_ACK;
	xtcp_transmit_skb(sk, skb, false);
}

/**
 * xtcp_send_probe() - a keepalive or zero-window probe
 * @sk: the socket, locked, synchronized
 *
 * A bare ACK one below SND.UNA: old, so the peer refuses it as out of
 * window and answers with an ACK of its own, which carries its window
 * (RFC 1122 4.2.3.6).  As a zero-window probe (RFC 9293 3.8.6.1) it is
 * Linux's choice (tcp_xmit_probe_skb()) rather than one byte of new data
 * beyond the window: it takes no sequence space, so SND.NXT and SND.MAX
 * stay where they are and the data waiting at SND.UNA is still unsent
 * when the window opens, sent at once by the ACK that opens it.  An
 * xtcp peer answers pure ACKs out of its window at most every half second
 * (xtcp_send_oow_ack()); probes come at least one RTO apart and back
 * off, so at most one answer in a row is skipped, well within retries2.
 */
void xtcp_send_probe(struct sock *sk)
{
	struct sk_buff *skb = xtcp_alloc_ctl(sk, GFP_ATOMIC);

	if (!skb)
		return;
	XTCP_SKB_CB(skb)->seq = xtcp_sk(sk)->snd_una - 1;
	XTCP_SKB_CB(skb)->flags = XTCP_ACK;
	xtcp_transmit_skb(sk, skb, false);
}

/**
 * xtcp_send_reset() - abort a connection towards the peer
 * @sk: the socket, locked, synchronized
 */
void xtcp_send_reset(struct sock *sk)
{
	struct sk_buff *skb = xtcp_alloc_ctl(sk, GFP_ATOMIC);
	u32 seq = xtcp_acceptable_seq(xtcp_sk(sk));

	if (!skb)
		return;
	XTCP_SKB_CB(skb)->seq = seq;
	XTCP_SKB_CB(skb)->flags = XTCP_RST | XTCP_ACK;
	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_OUT_RSTS);
	trace_xtcp_reset_tx(sock_net(sk), &sk->sk_v6_rcv_saddr,
			    inet_sk(sk)->inet_sport, &sk->sk_v6_daddr,
			    inet_sk(sk)->inet_dport, sk->sk_state, seq);
	xtcp_transmit_skb(sk, skb, false);
}

/*
 * How a socketless segment leaves, as its connection's segments would:
 * @oif the interface (0: the route's; a link-local IPv6 peer needs it),
 * @txhash the flow hash (0: one of the addresses and ports), which an
 * IPv6 flow label comes from when @autolabel, @tos the TOS or traffic
 * class, @ttl the TTL or hop limit (-1: the route's).
 */
struct xtcp_raw_ip {
	int oif;
	u32 txhash;
	u8 tos;
	s16 ttl;
	bool autolabel;
};

/* Route and send a socketless segment from @saddr:@seg->sport over IPv4. */
static int xtcp_send_raw4(struct net *net, const struct in6_addr *saddr6,
			  const struct in6_addr *daddr6,
			  const struct xtcp_seg *seg,
			  const struct xtcp_raw_ip *ip)
{
	__be32 saddr = xtcp_addr_v4_of(saddr6), daddr = xtcp_addr_v4_of(daddr6);
	struct flowi4 fl4;
	struct rtable *rt;
	struct sk_buff *skb;
	struct iphdr *iph;
	int err;

	rt = ip_route_output_ports(net, &fl4, NULL, daddr, saddr,
				   htons(seg->dport), htons(seg->sport),
				   xtcp_ipproto, 0, 0);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	skb = alloc_skb(XTCP_HEADROOM + sizeof(struct iphdr), GFP_ATOMIC);
	if (!skb) {
		ip_rt_put(rt);
		return -ENOBUFS;
	}
	skb_reserve(skb, XTCP_HEADROOM + sizeof(struct iphdr));
	xtcp_push_header(net, skb, seg, saddr6, daddr6);
	/* A header alone: checksum it here, it costs nothing. */
	*(__sum16 *)(skb->data + 16) = 0;
	*(__sum16 *)(skb->data + 16) =
		csum_tcpudp_magic(saddr, daddr, skb->len, xtcp_ipproto,
				  csum_partial(skb->data, skb->len, 0));
	skb->ip_summed = CHECKSUM_NONE;
	skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph = ip_hdr(skb);
	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->tos = ip->tos;
	iph->frag_off = htons(IP_DF);
	iph->ttl = ip->ttl >= 0 ? ip->ttl : ip4_dst_hoplimit(&rt->dst);
	iph->protocol = xtcp_ipproto;
	iph->saddr = saddr;
	iph->daddr = daddr;
	iph->id = 0;
	skb->protocol = htons(ETH_P_IP);
	if (ip->txhash)
		skb_set_hash(skb, ip->txhash, PKT_HASH_TYPE_L4);
	skb_dst_set(skb, &rt->dst);
	memset(skb->cb, 0, sizeof(struct inet_skb_parm));
	XTCP_INC_STATS(net, XTCP_MIB_OUT_SEGS);
	if (xtcp_kunit_capture(skb))
		return 0;
	/* net_xmit_eval() evaluates its argument twice: call first. */
	err = ip_local_out(net, NULL, skb);
	return net_xmit_eval(err);
}

/*
 * The same over IPv6: a header of 40 bytes, with a flow label made as
 * ip6_xmit() makes a socket's.
 */
static int xtcp_send_raw6(struct net *net, const struct in6_addr *saddr,
			  const struct in6_addr *daddr,
			  const struct xtcp_seg *seg,
			  const struct xtcp_raw_ip *ip)
{
	struct flowi6 fl6 = {
		.flowi6_proto = xtcp_ipproto,
		.flowi6_oif = ip->oif,
		.saddr = *saddr,
		.daddr = *daddr,
		.fl6_sport = htons(seg->sport),
		.fl6_dport = htons(seg->dport),
	};
	struct dst_entry *dst;
	struct ipv6hdr *ip6h;
	struct sk_buff *skb;
	int err;

	dst = ip6_dst_lookup_flow(net, NULL, &fl6, NULL);
	if (IS_ERR(dst))
		return PTR_ERR(dst);
	skb = alloc_skb(XTCP_HEADROOM + sizeof(*ip6h), GFP_ATOMIC);
	if (!skb) {
		dst_release(dst);
		return -ENOBUFS;
	}
	skb_reserve(skb, XTCP_HEADROOM + sizeof(*ip6h));
	xtcp_push_header(net, skb, seg, saddr, daddr);
	*(__sum16 *)(skb->data + 16) = 0;
	*(__sum16 *)(skb->data + 16) =
		csum_ipv6_magic(saddr, daddr, skb->len, xtcp_ipproto,
				csum_partial(skb->data, skb->len, 0));
	skb->ip_summed = CHECKSUM_NONE;
	skb_push(skb, sizeof(*ip6h));
	skb_reset_network_header(skb);
	ip6h = ipv6_hdr(skb);
	if (ip->txhash)
		skb_set_hash(skb, ip->txhash, PKT_HASH_TYPE_L4);
	ip6_flow_hdr(ip6h, ip->tos,
		     ip6_make_flowlabel(net, skb, 0, ip->autolabel, &fl6));
	ip6h->payload_len = htons(skb->len - sizeof(*ip6h));
	ip6h->nexthdr = xtcp_ipproto;
	ip6h->hop_limit = ip->ttl >= 0 ? ip->ttl : ip6_dst_hoplimit(dst);
	ip6h->saddr = *saddr;
	ip6h->daddr = *daddr;
	skb->protocol = htons(ETH_P_IPV6);
	skb_dst_set(skb, dst);
	memset(skb->cb, 0, sizeof(struct inet6_skb_parm));
	XTCP_INC_STATS(net, XTCP_MIB_OUT_SEGS);
	if (xtcp_kunit_capture(skb))
		return 0;
	err = ip6_local_out(net, NULL, skb);
	return net_xmit_eval(err);
}

/*
 * A socketless segment, over IPv4 to a v4-mapped @daddr (routed by its
 * addresses alone, as before IPv6), else over IPv6.
 */
static int xtcp_send_raw(struct net *net, const struct in6_addr *saddr,
			 const struct in6_addr *daddr,
			 const struct xtcp_seg *seg,
			 const struct xtcp_raw_ip *ip)
{
	if (ipv6_addr_v4mapped(daddr))
		return xtcp_send_raw4(net, saddr, daddr, seg, ip);
	return xtcp_send_raw6(net, saddr, daddr, seg, ip);
}

/**
 * xtcp_send_rst_reply() - answer a segment that has no connection with RST
 * @net: namespace the segment arrived in
 * @skb: the segment, its xtcp_skb_cb filled in; not consumed
 *
 * RFC 9293 3.10.7.1: if the segment has an ACK, the reset takes its
 * sequence number from it; otherwise it acknowledges the segment.  A reset
 * is never answered.
 */
void xtcp_send_rst_reply(struct net *net, struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct xtcp_raw_ip ip = {
		.ttl = -1,
		.autolabel = ip6_default_np_autolabel(net),
	};
	struct xtcp_seg seg = {};
	struct in6_addr l, r;

	if (cb->flags & XTCP_RST)
		return;
	seg.sport = cb->dport;
	seg.dport = cb->sport;
	if (cb->flags & XTCP_ACK) {
		seg.seq = cb->ack;
		seg.flags = XTCP_RST;
	} else {
		seg.ack = cb->end_seq;
		seg.flags = XTCP_RST | XTCP_ACK;
	}
	XTCP_INC_STATS(net, XTCP_MIB_OUT_RSTS);
	xtcp_skb_addrs(skb, &r, &l);
	trace_xtcp_reset_tx(net, &l, htons(seg.sport), &r, htons(seg.dport),
			    XTCP_CLOSE, seg.seq);
	/* a link-local peer is answered where it spoke from */
	if (__ipv6_addr_needs_scope_id(ipv6_addr_type(&r)))
		ip.oif = skb->skb_iif;
	/* as TCP's: the segment's TOS or traffic class less its ECN bits */
	if (ip_hdr(skb)->version == 6)
		ip.tos = ipv6_get_dsfield(ipv6_hdr(skb)) & ~INET_ECN_MASK;
	else
		ip.tos = ip_hdr(skb)->tos & ~INET_ECN_MASK;
	xtcp_send_raw(net, &l, &r, &seg, &ip);
}

/**
 * xtcp_send_tw_ack() - the ACK a TIME_WAIT entry answers with
 * @net: the entry's namespace
 * @tw: the entry: our sequence number after our FIN, theirs after theirs
 */
void xtcp_send_tw_ack(struct net *net, const struct xtcp_tw *tw)
{
	struct xtcp_seg seg = {
		.sport = ntohs(tw->lport),
		.dport = ntohs(tw->rport),
		.seq = tw->snd_nxt,
		.ack = tw->rcv_nxt,
		.flags = XTCP_ACK,
		.window = tw->window,
		.has_ts = tw->ts_ok,
		.tsval = tw->ts_ok ? xtcp_ts_now(tw->ts_off) : 0,
		.tsecr = tw->ts_recent,
	};
	/* the connection's flow, TOS and label; the route's TTL, as TCP's */
	struct xtcp_raw_ip ip = {
		.oif = tw->bound_dev_if,
		.txhash = tw->txhash,
		.tos = tw->tos,
		.ttl = -1,
		.autolabel = tw->autolabel,
	};

	xtcp_send_raw(net, &tw->laddr, &tw->raddr, &seg, &ip);
}

/**
 * xtcp_send_synack() - send (or resend) a request's SYN+ACK
 * @net: the listener's namespace
 * @req: the request
 *
 * Return: 0 or a negative errno.
 */
int xtcp_send_synack(struct net *net, struct xtcp_request *req)
{
	struct xtcp_seg seg = {
		.sport = ntohs(req->lport),
		.dport = ntohs(req->rport),
		.seq = req->iss,
		.ack = req->irs + 1,
		.flags = XTCP_SYN | XTCP_ACK,
		.window = req->rcv_wnd,
		.mss = req->advmss,
		/* RFC 7323 2.2: a scale is answered only to a SYN that had one */
		.has_wscale = req->has_wscale,
		.wscale = req->has_wscale ? req->rcv_wscale : 0,
		/* RFC 2018 3: only to a SYN that offered it */
		.sack_perm = req->sack_ok,
		/* RFC 7323 3.2: likewise */
		.has_ts = req->ts_ok,
		.tsval = req->ts_ok ? xtcp_ts_now(req->ts_off) : 0,
		.tsecr = req->ts_recent,
	};
	struct xtcp_raw_ip ip = {
		.oif = req->iif,
		.txhash = req->txhash,
		.tos = req->tos,
		.ttl = req->ttl,
		.autolabel = req->autolabel,
	};

	return xtcp_send_raw(net, &req->laddr, &req->raddr, &seg, &ip);
}

/*
 * One past the last sequence number the windows let a segment starting
 * at @seq reach now.  Without SACK: SND.UNA plus the smaller of the
 * peer's window and cwnd.  With SACK cwnd bounds the pipe instead (RFC
 * 6675: SACKed and lost segments are not in flight), the peer's window
 * still counts from SND.UNA.
 */
static u32 xtcp_send_limit(const struct sock *sk, u32 seq)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	u32 cwnd = xtcp_cc_window(&xs->cc), pipe, rwnd_end;

	if (!xtcp_sack_sender(sk))
		return xs->snd_una + min(xs->snd_wnd, cwnd);
	pipe = xtcp_in_flight(xs);
	rwnd_end = xs->snd_una + xs->snd_wnd;
	seq += cwnd > pipe ? cwnd - pipe : 0;
	return xtcp_seq_before(seq, rwnd_end) ? seq : rwnd_end;
}

/**
 * xtcp_may_send() - may a segment go now (receiver and congestion windows)?
 * @sk: the socket, locked
 * @skb: the segment at send_head
 *
 * Return: true if it fits both windows, or nothing is in flight and the
 * peer's window is open at all.
 */
bool xtcp_may_send(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	u32 limit = xtcp_send_limit(sk, cb->seq);

	if (cb->flags & XTCP_SYN)
		return true;
	/* A FIN alone always fits: it takes no buffer at the peer. */
	if (cb->end_seq - cb->seq == 1 && (cb->flags & XTCP_FIN))
		return !xtcp_seq_after(cb->seq, limit) || !skb->len;
	if (!xtcp_seq_after(cb->end_seq - ((cb->flags & XTCP_FIN) ? 1 : 0),
			    limit))
		return true;
	/*
	 * A window open but narrower than the segment, nothing in flight,
	 * and the segment could not be cut to it (xtcp_narrow_window_len()):
	 * send it rather than wait (the peer takes what fits its buffer).
	 */
	return xs->snd_una == xs->snd_max && xs->snd_wnd &&
	       xtcp_cc_window(&xs->cc);
}

/**
 * xtcp_window_closed() - does the peer's closed window hold our data back?
 * @sk: the socket, locked
 *
 * True in a synchronized state when the peer's window is zero and the
 * oldest unacknowledged segment carries data (a bare FIN goes anyway, it
 * takes no room at the peer): then only zero-window probes may go, and
 * the peer must be probed until the window opens.
 *
 * Return: true if the window holds data back.
 */
bool xtcp_window_closed(const struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	const struct sk_buff *head;

	if (xs->snd_wnd ||
	    !(BIT(sk->sk_state) & (BIT(XTCP_ESTABLISHED) | BIT(XTCP_CLOSE_WAIT) |
				   BIT(XTCP_FIN_WAIT1) | BIT(XTCP_CLOSING) |
				   BIT(XTCP_LAST_ACK))))
		return false;
	head = skb_peek(&sk->sk_write_queue);
	return head && head->len;
}

/*
 * @skb leaves again: Karn's flag, the new send time, and how long after
 * the first send this one is (RACK measures a late original by it).
 */
static void xtcp_mark_resent(struct sk_buff *skb)
{
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	u64 now = xtcp_clock_us();
	u64 gap = cb->resent_after_us + (now > cb->sent_us ? now - cb->sent_us : 0);

	cb->retransmitted = true;
	cb->resent_after_us = min_t(u64, gap, U32_MAX);
	cb->sent_us = now;
}

/* @skb went out again: RetransSegs, TCP_INFO, the tracepoint. */
static void xtcp_count_retrans(struct sock *sk, const struct sk_buff *skb)
{
	const struct inet_sock *inet = inet_sk(sk);
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 segs = xtcp_skb_segs(skb, xs->mss);

	xtcp_add_stat(sock_net(sk), XTCP_MIB_RETRANS_SEGS, segs);
	xs->total_retrans += segs;
	xtcp_cc_undo_resent(&xs->cc, segs,
			    xs->ts_ok ? xtcp_ts_now(xs->ts_off) : 0);
	trace_xtcp_retransmit(sock_net(sk), &sk->sk_v6_rcv_saddr,
			      inet->inet_sport, &sk->sk_v6_daddr,
			      inet->inet_dport, sk->sk_state,
			      XTCP_SKB_CB(skb)->seq);
}

/*
 * Nagle's algorithm (RFC 896, RFC 9293 3.7.4) and corking: must the
 * never-sent segment @skb wait although the windows would let it go?
 * Only a segment shorter than the MSS at the end of the queue waits:
 * writes merge into it (xtcp_sendmsg()), so one followed by more is
 * already full, and a FIN behind it lets it go.  Corked (TCP_CORK, or
 * MSG_MORE on the last write) it waits for more data, for the uncork or
 * for XTCP_CORK_MAX.  With Nagle on (TCP_NODELAY off, the default) it
 * waits while an earlier short segment is unacknowledged, Minshall's
 * variant as Linux's TCP has it (tcp_minshall_check()): full segments in
 * flight do not hold back the short tail of a write, so a request that
 * ends in one is not delayed behind the peer's delayed ACK.
 */
static bool xtcp_nagle_hold(struct sock *sk, const struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);

	if (skb->len >= xs->mss || (cb->flags & (XTCP_SYN | XTCP_FIN)) ||
	    !skb_queue_is_last(&sk->sk_write_queue, skb) ||
	    xtcp_seq_before(cb->seq, xs->snd_max))
		return false;
	if ((xs->nonagle & XTCP_NAGLE_CORK) || xs->more) {
		if (xs->cork_release)
			return false;
		/*
		 * The 200 ms run from this segment's first hold, not from
		 * that of one that left since (pushed by more data or the
		 * uncork) while the timer ran on for it.
		 */
		if (xs->cork_seq != cb->seq) {
			xs->cork_seq = cb->seq;
			xs->cork_stamp = jiffies;
		}
		if (!xtcp_timer_armed(sk, XTCP_TIMER_CORK))
			sk_reset_timer(sk, &xs->cork_timer,
				       xs->cork_stamp + XTCP_CORK_MAX);
		return true;
	}
	return !(xs->nonagle & XTCP_NAGLE_OFF) &&
	       xtcp_seq_after(xs->snd_sml, xs->snd_una) &&
	       !xtcp_seq_after(xs->snd_sml, xs->snd_max);
}

/**
 * xtcp_size_goal() - how many bytes one write-queue skb may hold
 * @sk: the socket, locked
 *
 * A run's worth (xtcp_run_max() segments) where runs may be sent, else
 * one segment.  An skb longer than one segment leaves as one run, or is
 * cut first where the windows or xtcp_run_ok() say so (xtcp_fragment()).
 *
 * Return: bytes, at least the MSS.
 */
u32 xtcp_size_goal(const struct sock *sk)
{
	u32 mss = xtcp_sk(sk)->mss;

	/* no run on loopback: its MSS (65495) fills a datagram alone */
	return xtcp_run_ok(sk) ? mss * max(xtcp_run_max(sk, mss), 1U) : mss;
}

/**
 * xtcp_fragment() - cut a write-queue skb in two
 * @sk: the socket, locked
 * @skb: on the write queue, its payload all in page fragments, longer
 *	than @len
 * @len: bytes left in @skb; the rest moves to a new skb queued after it
 *
 * The new skb takes the rest's sequence space and the flags that belong
 * to the end (PSH, a MSG_EOR record's end).  A clone of @skb may still
 * be in flight: @skb gets its own fragment table first.  The new skb's
 * header memory is charged as @skb was, past the budget if need be (a
 * few hundred bytes: TCP's tcp_fragment() forces it the same way).
 *
 * Return: 0, or -ENOMEM (nothing changed).
 */
int xtcp_fragment(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb), *ncb;
	u32 nlen = skb->len - len;
	struct sk_buff *buff;

	if (WARN_ON_ONCE(len >= skb->len || skb_headlen(skb) > len))
		return -EINVAL;
	if (skb_unclone(skb, GFP_ATOMIC))
		return -ENOMEM;
	buff = alloc_skb(XTCP_HEADROOM, GFP_ATOMIC);
	if (!buff)
		return -ENOMEM;
	skb_reserve(buff, XTCP_HEADROOM);
	if (cb->charged)
		sk_wmem_schedule(sk, buff->truesize);	/* or past it */
	xtcp_wmem_queue(sk, buff, cb->charged);
	skb_split(skb, buff, len);
	/* the payload's memory moves with it */
	skb->truesize -= nlen;
	buff->truesize += nlen;
	ncb = XTCP_SKB_CB(buff);
	*ncb = *cb;
	ncb->seq = cb->seq + len;
	cb->end_seq = ncb->seq;
	cb->flags &= ~XTCP_PSH;
	cb->eor = false;
	__skb_queue_after(&sk->sk_write_queue, skb, buff);
	return 0;
}

/**
 * xtcp_trim_head() - drop the acknowledged front of a write-queue skb
 * @sk: the socket, locked
 * @skb: the oldest skb on the write queue
 * @len: bytes acknowledged, fewer than its payload
 *
 * Its send time and Karn flag stay: they are the rest's too.
 *
 * Return: 0, or -ENOMEM (nothing changed: the skb is resent whole, the
 * peer drops what it has).
 */
int xtcp_trim_head(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct skb_shared_info *shinfo;
	u32 eat, from_frags;
	int i, k = 0;

	if (skb_unclone(skb, GFP_ATOMIC))
		return -ENOMEM;
	eat = min_t(u32, len, skb_headlen(skb));
	__skb_pull(skb, eat);
	from_frags = len - eat;
	eat = from_frags;
	shinfo = skb_shinfo(skb);
	for (i = 0; i < shinfo->nr_frags; i++) {
		u32 size = skb_frag_size(&shinfo->frags[i]);

		if (size <= eat) {
			skb_frag_unref(skb, i);
			eat -= size;
			continue;
		}
		shinfo->frags[k] = shinfo->frags[i];
		if (eat) {
			skb_frag_off_add(&shinfo->frags[k], eat);
			skb_frag_size_sub(&shinfo->frags[k], eat);
			eat = 0;
		}
		k++;
	}
	shinfo->nr_frags = k;
	skb->data_len -= from_frags;
	skb->len -= from_frags;
	XTCP_SKB_CB(skb)->seq += len;
	/* the fragments' memory leaves with them */
	skb->truesize -= from_frags;
	sk_wmem_queued_add(sk, -(int)from_frags);
	if (XTCP_SKB_CB(skb)->charged)
		sk_mem_uncharge(sk, from_frags);
	return 0;
}

/*
 * How much of @skb, unsent, longer than a segment, may leave now: whole
 * segments within both windows when runs may be sent, else one segment
 * (the windows then decide for it alone, xtcp_may_send()).
 */
static u32 xtcp_send_len(struct sock *sk, const struct sk_buff *skb)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	u32 seq = XTCP_SKB_CB(skb)->seq;
	s32 room = (s32)(xtcp_send_limit(sk, seq) - seq);

	if (!xtcp_run_ok(sk) || room < (s32)xs->mss)
		return xs->mss;
	return min_t(u32, skb->len, rounddown((u32)room, xs->mss));
}

/*
 * Should the new run @skb wait rather than leave cut to @len bytes?  Yes
 * while data is in flight (its ACKs open the windows further and bring
 * us back here) and @len is under a third of what the windows hold:
 * otherwise every ACK of two segments would send a run of two, and the
 * per-skb costs that runs save would come back (TCP's TSO deferral,
 * tcp_tso_should_defer(), waits the same way).
 */
static bool xtcp_defer_run(struct sock *sk, const struct sk_buff *skb,
			   u32 len)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	u32 wnd = min(xs->snd_wnd, xtcp_cc_window(&xs->cc));

	return xtcp_run_ok(sk) && xs->snd_una != xs->snd_nxt &&
	       !xtcp_seq_before(XTCP_SKB_CB(skb)->seq, xs->snd_max) &&
	       len < wnd / 3;
}

/*
 * The peer's window is open but narrower than @skb, and nothing is in
 * flight whose ACK could widen it: how much of @skb fits (TCP's window
 * probe, tcp_write_wakeup(), sends that much the same way).  Zero when
 * that is not the case or @skb cannot be cut there (its linear part is
 * longer; it then goes whole, xtcp_may_send()).
 */
static u32 xtcp_narrow_window_len(struct sock *sk, const struct sk_buff *skb)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	u32 room;

	if (!skb->len || (cb->flags & (XTCP_SYN | XTCP_FIN)) || !xs->snd_wnd ||
	    xs->snd_una != xs->snd_max || cb->seq != xs->snd_una)
		return 0;
	room = xtcp_send_limit(sk, cb->seq) - cb->seq;
	if (room >= skb->len || !room || skb_headlen(skb) > room)
		return 0;
	return room;
}

/*
 * Send queued segments the windows allow, those Nagle's algorithm or the
 * cork holds back too when @force.  Then give the connection's timer the
 * role that is left: retransmission when something is in flight,
 * zero-window probe when the peer's window holds the data back
 * (xtcp_xmit_timer()).
 */
/*
 * @skb, the send head, went out: SND.NXT moves past it (and SND.MAX with
 * it, unless a go-back-N resend is below), and the next skb is the head.
 */
static void head_sent(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->snd_nxt = XTCP_SKB_CB(skb)->end_seq;
	if (xtcp_seq_after(xs->snd_nxt, xs->snd_max))
		xs->snd_max = xs->snd_nxt;
	xs->send_head = xtcp_wq_next(sk, skb);
}

static void __xtcp_push(struct sock *sk, bool force)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 snd_max = xs->snd_max, len;
	struct sk_buff *skb;
	int err;

	if (sk->sk_state == XTCP_CLOSE || sk->sk_state == XTCP_LISTEN)
		return;
	xtcp_sack_xmit_lost(sk, false);	/* what is lost before what is new */
	while ((skb = xs->send_head)) {
		if (sk->sk_state == XTCP_SYN_SENT && !(XTCP_SKB_CB(skb)->flags & XTCP_SYN))
			break;
		/* more than may go at once: cut off what may */
		if (skb->len > xs->mss) {
			len = xtcp_send_len(sk, skb);
			if (len < skb->len && xtcp_defer_run(sk, skb, len))
				break;
			if (len < skb->len && xtcp_fragment(sk, skb, len))
				break;	/* no memory: the timer comes back */
		}
		/* never past the peer's window: what fits goes */
		len = xtcp_narrow_window_len(sk, skb);
		if (len && xtcp_fragment(sk, skb, len))
			break;
		if (!xtcp_may_send(sk, skb) ||
		    (!force && xtcp_nagle_hold(sk, skb)))
			break;
		if (xtcp_seq_before(XTCP_SKB_CB(skb)->seq, xs->snd_max)) {
			/* sent before: a go-back-N resend (Karn: no sample) */
			xtcp_mark_resent(skb);
			xtcp_count_retrans(sk, skb);
		} else {
			if (skb->len < xs->mss)	/* Nagle holds the next short one */
				xs->snd_sml = XTCP_SKB_CB(skb)->end_seq;
			XTCP_SKB_CB(skb)->sent_us = xtcp_clock_us();
		}
		err = xtcp_transmit_skb(sk, skb, true);
		/*
		 * A segment the stack refused (no memory, a netfilter drop,
		 * no route) counts as sent and lost, as TCP counts its SYN:
		 * the retransmission timer sends it again.  Stop for now.
		 */
		head_sent(sk, skb);
		if (err)
			break;
	}
	xtcp_xmit_timer(sk);
	xtcp_tlp_arm(sk, xs->snd_max != snd_max);
	/* fewer bytes unsent now: a writer held by TCP_NOTSENT_LOWAT may go */
	if (READ_ONCE(xs->notsent_lowat))
		sk->sk_write_space(sk);
}

/**
 * xtcp_push() - send queued segments the windows allow
 * @sk: the socket, locked
 *
 * A short last segment may wait for more (Nagle's algorithm, the cork:
 * xtcp_nagle_hold()).
 */
void xtcp_push(struct sock *sk)
{
	__xtcp_push(sk, false);
}

/**
 * xtcp_push_force() - send queued segments the windows allow, held or not
 * @sk: the socket, locked
 *
 * As xtcp_push(), but a short last segment goes too: for a writer about
 * to sleep on a full buffer.
 */
void xtcp_push_force(struct sock *sk)
{
	__xtcp_push(sk, true);
}

/**
 * xtcp_retransmit_head() - send the oldest unacknowledged segment again
 * @sk: the socket, locked
 *
 * Used by fast retransmit and by the retransmission timer when the
 * peer's window is open but narrower than the segment.  Never as a
 * zero-window probe: data sent into a closed window would move SND.NXT
 * past what the peer refused (xtcp_send_probe()).
 *
 * Return: 0 or a negative errno.
 */
int xtcp_retransmit_head(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);

	if (!skb)
		return 0;
	/* one segment: the oldest, the one the peer is missing */
	if (skb->len > xs->mss && xtcp_fragment(sk, skb, xs->mss))
		return -ENOMEM;
	if (skb == xs->send_head)
		head_sent(sk, skb);	/* resent from the go-back-N point */
	return xtcp_retransmit_skb(sk, skb);
}

/**
 * xtcp_retransmit_skb() - send a write-queue skb that was sent before
 * @sk: the socket, locked
 * @skb: on the write queue, before SND.MAX, cut to what may go
 *
 * Karn's flag and the send time (RACK's, the RTT sample's) are renewed.
 * Counted as a retransmission even if the stack refuses it, as the push
 * counts what it sends: it was sent as far as xtcp can tell, and lost.
 *
 * Return: 0 or a negative errno.
 */
int xtcp_retransmit_skb(struct sock *sk, struct sk_buff *skb)
{
	xtcp_mark_resent(skb);
	/* refused by the stack (a netfilter drop): sent and lost, as in push */
	xtcp_count_retrans(sk, skb);
	return xtcp_transmit_skb(sk, skb, true);
}
