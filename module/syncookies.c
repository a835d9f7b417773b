// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: SYN cookies (RFC 4987).
 *
 * When net.xtcp.syncookies says so (minisocks.c: xtcp_conn_request()), a
 * listener answers a SYN without making a request: the SYN+ACK's sequence
 * number, the cookie, carries what the connection needs (the peer's MSS,
 * as an index into a small table, and its window scale) and a keyed hash
 * of the four-tuple, the peer's ISN and a coarse clock.  The ACK that
 * returns it, found by no request, rebuilds the connection from the
 * cookie into an ESTABLISHED child on the accept queue, as a request
 * would have.  Packing, the MSS table and the age check are in core.c
 * (unit-tested); the keyed hashes are here.
 *
 * Two siphash keys, drawn at module load and never written again: one
 * for the hash that hides the cookie's fields, one for the hash that
 * authenticates them.  The clock is the monotonic seconds counted in
 * XTCP_COOKIE_PERIOD_S steps; a cookie is accepted XTCP_COOKIE_MAX_AGE
 * steps (from 64 to 128 s).
 *
 * Locking: both entry points run with the listener locked (bh_lock_sock()
 * in softirq, or its owner draining the backlog), which protects the
 * listener's cookie_stamp and its accept queue.  Nothing here sleeps.
 */
#define pr_fmt(fmt) "xtcp: " fmt

#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <linux/timekeeping.h>
#include <net/ip.h>
#include <net/netns/hash.h>

#include "xtcp.h"

/* ACKs are checked as cookies while a cookie sent may still be valid. */
#define XTCP_COOKIE_VALID	(XTCP_COOKIE_MAX_AGE * XTCP_COOKIE_PERIOD_S * HZ)

static siphash_aligned_key_t cookie_keys[2] __read_mostly;

/**
 * xtcp_syncookies_init() - draw the cookie keys (module load)
 */
void xtcp_syncookies_init(void)
{
	get_random_bytes(cookie_keys, sizeof(cookie_keys));
}

static u32 cookie_now(void)
{
	return (u32)div_u64((u64)ktime_get_seconds(), XTCP_COOKIE_PERIOD_S);
}

/*
 * The connection a cookie is for, as the hashes see it; no padding, so
 * that siphash() reads only what is set.
 */
struct cookie_conn {
	struct in6_addr laddr;	/* v4-mapped for IPv4 */
	struct in6_addr raddr;
	u64 ports_irs;	/* local port, remote port, the peer's ISN */
	u64 net;	/* the namespace's hash mix */
	u64 fields;	/* the MAC's only: the minute count and the fields */
};

static void cookie_conn(struct cookie_conn *cc, const struct net *net,
			const struct xtcp_request *req)
{
	cc->laddr = req->laddr;
	cc->raddr = req->raddr;
	cc->ports_irs = (u64)((__force u32)req->lport << 16 |
			      (__force u16)req->rport) << 32 | req->irs;
	cc->net = net_hash_mix(net);
	cc->fields = 0;
}

static u32 cookie_base(const struct cookie_conn *cc)
{
	return (u32)siphash(cc, offsetof(struct cookie_conn, fields),
			    &cookie_keys[0]);
}

static u32 cookie_mac(const struct cookie_conn *cc, const struct xtcp_cookie *c)
{
	struct cookie_conn m = *cc;

	m.fields = (u64)c->count << 32 | xtcp_cookie_fields(c);
	return (u32)siphash(&m, sizeof(m), &cookie_keys[1]);
}

/* The four-tuple, interface and the peer's ISN of a segment, into @req. */
static void req_of_skb(struct xtcp_request *req, const struct sock *sk,
		       const struct sk_buff *skb, u32 irs)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);

	xtcp_skb_addrs(skb, &req->raddr, &req->laddr);
	req->iif = xtcp_req_iif(sk, skb, &req->raddr);
	req->lport = htons(cb->dport);
	req->rport = htons(cb->sport);
	req->irs = irs;
	xtcp_req_ip_init(sk, req);
}

/**
 * xtcp_cookie_send() - answer a SYN with a cookie, keeping nothing
 * @sk: the listener, locked
 * @skb: the SYN, its xtcp_skb_cb filled in; not consumed
 *
 * The SYN+ACK is the one a request would send (our MSS, our window scale),
 * its sequence number the cookie.  Counted in SyncookiesSent.
 */
void xtcp_cookie_send(struct sock *sk, struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct net *net = sock_net(sk);
	struct xtcp_request req = {};
	struct cookie_conn cc;
	struct xtcp_cookie c = {
		.count = cookie_now(),
		.mss_idx = xtcp_cookie_mss_index(cb->mss),
		.wscale = cb->wscale,
		.has_wscale = cb->has_wscale,
	};

	req_of_skb(&req, sk, skb, cb->seq);
	xtcp_req_offer(sk, &req);
	cookie_conn(&cc, net, &req);
	req.iss = xtcp_cookie_make(cookie_base(&cc), cookie_mac(&cc, &c), &c);
	xtcp_sk(sk)->cookie_stamp = jiffies ?: 1;
	XTCP_INC_STATS(net, XTCP_MIB_SYNCOOKIES_SENT);
	xtcp_send_synack(net, &req);
}

/**
 * xtcp_cookie_check() - an ACK no request owns: does it return a cookie?
 * @sk: the listener, locked
 * @skb: the segment (no SYN), its xtcp_skb_cb filled in; not consumed
 *
 * Only with net.xtcp.syncookies on, and only while a cookie this listener
 * sent may still be valid; then the acknowledgment number less one must
 * be a cookie for the segment's four-tuple and sequence number less one
 * (SyncookiesFailed when it is not).  A valid one (SyncookiesRecv)
 * rebuilds the connection, counted LISTEN -> SYN_RCVD -> ESTABLISHED, on
 * the accept queue; with the accept queue full the segment is dropped
 * (AcceptQueueDrops) and a retransmission may still complete it.
 *
 * Return: the child (the caller hands it the rest of the segment), NULL
 * if the segment was consumed, ERR_PTR(-ENOENT) if it is to be answered
 * as a segment without connection (with RST).
 */
struct sock *xtcp_cookie_check(struct sock *sk, struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	unsigned long stamp = xtcp_sk(sk)->cookie_stamp;
	struct net *net = sock_net(sk);
	struct xtcp_request req = {};
	struct cookie_conn cc;
	struct xtcp_cookie c;
	struct sock *child;
	u32 cookie = cb->ack - 1;
	u32 base;

	if (!READ_ONCE(xtcp_sysctl(net)->syncookies) ||
	    (cb->flags & (XTCP_ACK | XTCP_SYN | XTCP_RST)) != XTCP_ACK)
		return ERR_PTR(-ENOENT);
	if (!stamp || time_after(jiffies, stamp + XTCP_COOKIE_VALID))
		return ERR_PTR(-ENOENT);

	req_of_skb(&req, sk, skb, cb->seq - 1);
	cookie_conn(&cc, net, &req);
	base = cookie_base(&cc);
	if (!xtcp_cookie_decode(cookie, base, cookie_now(), &c) ||
	    !xtcp_cookie_mac_ok(cookie, base, cookie_mac(&cc, &c))) {
		XTCP_INC_STATS(net, XTCP_MIB_SYNCOOKIES_FAILED);
		return ERR_PTR(-ENOENT);
	}
	XTCP_INC_STATS(net, XTCP_MIB_SYNCOOKIES_RECV);
	if (sk_acceptq_is_full(sk)) {
		XTCP_INC_STATS(net, XTCP_MIB_ACCEPT_QUEUE_DROPS);
		return NULL;
	}

	req.iss = cookie;
	req.no_rtt = true;	/* when the SYN+ACK left is not kept */
	req.mss = xtcp_cookie_mss(c.mss_idx);
	xtcp_req_offer(sk, &req);
	req.has_wscale = c.has_wscale;
	req.snd_wscale = c.wscale;
	/* the ACK's window, scaled: the SYN's is not known */
	req.snd_wnd = (u32)cb->window << (c.has_wscale ? c.wscale : 0);
	/* the connection was in SYN_RCVD, as far as the matrix goes */
	xtcp_note_state(net, XTCP_LISTEN, XTCP_SYN_RECV, &req.laddr, req.lport,
			&req.raddr, req.rport);
	child = xtcp_req_child(sk, &req);
	if (!child)
		xtcp_note_state(net, XTCP_SYN_RECV, XTCP_CLOSE, &req.laddr,
				req.lport, &req.raddr, req.rport);
	return child;
}
