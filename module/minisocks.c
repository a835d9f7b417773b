// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: the small objects at both ends of a connection's life.
 *
 * Requests: a SYN to a listener makes a struct xtcp_request (SYN_RCVD) on
 * the listener's bounded SYN queue and is answered with SYN+ACK at once;
 * the final ACK turns the request into a full socket on the accept queue.
 * Beyond the SYN queue's bound (or for every SYN, as net.xtcp.syncookies
 * says) a SYN is answered with a SYN cookie instead, and no request is
 * kept: syncookies.c.  The first time a listener does so because its queue
 * is full, a rate-limited notice says so in the kernel log, as TCP's does.
 *
 * TIME_WAIT entries: a connection that enters TIME_WAIT gives up its full
 * socket for a struct xtcp_tw (addresses, ports, the two sequence numbers,
 * the start of its 2*MSL) in the namespace's TIME_WAIT tables, where
 * segments of the old connection find it (hash.c's lookup).  Their whole
 * life is here: made (xtcp_time_wait()), swapped into the tables for the
 * socket (xtcp_tw_hash_swap()), found and answered (xtcp_tw_rcv()), its
 * 2*MSL restarted, ended early by a new SYN, reaped, purged with the
 * namespace, freed a grace period after its last reference
 * (xtcp_tw_put(): the receive path finds entries under RCU).  The death
 * list and the counts are guarded by the namespace's hash_lock, as the
 * tables' writers are.
 *
 * The SYN queue, the accept queue and the requests on them are protected
 * by the listener's socket lock.  A request's timer takes that lock with
 * bh_lock_sock(); when the owner holds it, the timer's work waits on the
 * listener's req_deferred list for xtcp_release_cb() (as a connection's
 * timers do).  A request holds a reference on its listener.  While on the
 * SYN queue it is also in the namespace's request table (hash.c), where
 * the receive path finds it under RCU and takes a reference of its own
 * before it takes the listener's lock; whoever drops its last reference
 * lets the listener go and frees it a grace period later.
 */
#define pr_fmt(fmt) "xtcp: " fmt

#include <linux/slab.h>
#include <net/inet_ecn.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/route.h>

#include "xtcp.h"
#include "trace.h"

/**
 * xtcp_req_put() - let go of a reference on a request
 * @req: the request
 *
 * The last one lets go of the listener and frees the request once the
 * receivers that may be walking past it in the request table are done.
 *
 * Context: any but hard IRQ.
 */
void xtcp_req_put(struct xtcp_request *req)
{
	if (refcount_dec_and_test(&req->refcnt)) {
		sock_put(req->listener);
		kfree_rcu(req, rcu);
	}
}

/*
 * Off the SYN queue, out of the tables, and dead: a receiver that found
 * it before and waits for the listener's lock must leave it alone.
 * Returns false, and does nothing, if it was so already (a bug: then the
 * caller puts no reference either, leaking the request rather than
 * freeing it twice).
 */
static bool req_unlink(struct xtcp_request *req)
{
	struct xtcp_sock *lxs = xtcp_sk(req->listener);

	if (WARN_ON_ONCE(req->dead))	/* once only, or syn_qlen wraps */
		return false;
	list_del_init(&req->node);
	xtcp_req_unhash(sock_net(req->listener), req);
	lxs->syn_qlen--;
	WRITE_ONCE(req->dead, true);
	return true;
}

/* A request's edges: born LISTEN -> SYN_RCVD, dropped SYN_RCVD -> CLOSED. */
static void req_note(const struct xtcp_request *req, int from, int to)
{
	xtcp_note_state(sock_net(req->listener), from, to, &req->laddr,
			req->lport, &req->raddr, req->rport);
}

/*
 * Request lifetime: a request on the SYN queue always has its timer pending
 * or running, or waits on the listener's req_deferred list.  Taking it off
 * the queue (and out of the request table) marks it dead (req_unlink()).
 * The timer's own work does so and puts the queue's reference; anyone else
 * puts it if it can delete the pending timer, else the handler (running
 * now, or re-armed and running later) or xtcp_req_release() finds it dead
 * and puts it.  Only those two touch req_deferred, both with the
 * listener's spinlock held.  A receiver holding a reference of its own
 * frees it when it lets go last.
 */
static void req_drop(struct xtcp_request *req)
{
	if (req_unlink(req) && timer_delete(&req->timer))
		xtcp_req_put(req);
}

/*
 * Has a request had its last SYN+ACK timeout?  After synack_retries of
 * them, or, while its ACK is held back for data (TCP_DEFER_ACCEPT), not
 * before the deferral's own count has run out either.
 */
static bool req_expired(struct sock *sk, const struct xtcp_request *req)
{
	u8 defer = READ_ONCE(xtcp_sk(sk)->defer_accept);

	return req->retries >= READ_ONCE(xtcp_sysctl(sock_net(sk))->synack_retries) &&
	       (!req->acked || req->retries >= defer);
}

/*
 * A SYN+ACK again, the first one lost or late.  As TCP's, it takes a new
 * flow hash unless the listener says otherwise (SO_TXREHASH): over IPv6
 * a new flow label, which may lead it around a broken path.
 */
static void req_resend_synack(struct sock *sk, struct xtcp_request *req)
{
	if (READ_ONCE(sk->sk_txrehash) == SOCK_TXREHASH_ENABLED)
		req->txhash = net_tx_rndhash();
	xtcp_send_synack(sock_net(sk), req);
}

/*
 * A request's timer work, the listener's spinlock held and no owner
 * reading its queue: expire the request, or send its SYN+ACK again and
 * re-arm.  Returns true if the request is done (the caller frees it,
 * after letting the listener go).
 */
static bool req_timer_work(struct sock *sk, struct xtcp_request *req)
{
	u8 defer = READ_ONCE(xtcp_sk(sk)->defer_accept);

	if (req_expired(sk, req)) {
		req_note(req, XTCP_SYN_RECV, XTCP_CLOSE);
		return req_unlink(req);
	}
	/*
	 * A request whose ACK is held back (TCP_DEFER_ACCEPT) is not sent
	 * its SYN+ACK again until the last round: the peer's answer then
	 * completes the handshake, data or not.
	 */
	if (!req->acked || req->retries + 1 >= defer)
		req_resend_synack(sk, req);
	WRITE_ONCE(req->retries, req->retries + 1);	/* /proc reads it */
	mod_timer(&req->timer,
		  jiffies + min_t(unsigned long, XTCP_RTO_INIT << req->retries,
				  XTCP_RTO_MAX));
	return false;
}

static void xtcp_req_timer(struct timer_list *t)
{
	struct xtcp_request *req = from_timer(req, t, timer);
	struct sock *sk = req->listener;
	bool done;

	bh_lock_sock(sk);
	if (READ_ONCE(req->dead)) {
		bh_unlock_sock(sk);
		xtcp_req_put(req);
		return;
	}
	if (sock_owned_by_user(sk)) {
		/*
		 * The owner's backlog processing may be reading this very
		 * request (xtcp_check_req()): the work waits for its release.
		 */
		list_add_tail(&req->defer_node, &xtcp_sk(sk)->req_deferred);
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_TIMERS_DEFERRED);
		bh_unlock_sock(sk);
		return;
	}
	done = req_timer_work(sk, req);
	bh_unlock_sock(sk);
	if (done)
		xtcp_req_put(req);
}

/**
 * xtcp_req_release() - the listener's owner lets go: deferred request work
 * @sk: the listener; release_sock() holds its spinlock with BH off, the
 *	owner's mark still set
 *
 * Each request whose timer expired while the owner held the listener:
 * freed if the owner dropped it meanwhile, else its timer's work done now
 * (req_timer_work()).  The owner still holds a reference on the listener,
 * so the requests' own may go here.
 */
void xtcp_req_release(struct sock *sk)
{
	struct xtcp_request *req, *tmp;
	LIST_HEAD(todo);

	list_splice_init(&xtcp_sk(sk)->req_deferred, &todo);
	list_for_each_entry_safe(req, tmp, &todo, defer_node) {
		list_del_init(&req->defer_node);
		if (READ_ONCE(req->dead) || req_timer_work(sk, req))
			xtcp_req_put(req);
	}
}

/**
 * xtcp_req_icmp() - an ICMP(v6) error quoting a listener's SYN+ACK
 * @sk: the listener, its spinlock held and no owner
 * @req: the request of the quoted addresses and ports, still on @sk's
 *	SYN queue
 * @seq: the quoted sequence number
 * @abort: the error says the peer cannot be reached (TCP's "fatal" set)
 *
 * The error is about @req if its SYN+ACK began at @seq: an error quoting
 * another sequence number is counted
 * (OutOfWindowIcmps) and dropped, as a forgery may be.  As TCP's
 * tcp_req_err(), an error that would end a connection in SYN_SENT ends
 * the request silently (counted, IcmpAborts), without waiting for its
 * SYN+ACKs to run out; the listener is not told (accept() reports no
 * network errors, POSIX).  Other errors change nothing: the SYN+ACK timer
 * tries again.
 *
 * Context: softirq, from xtcp_icmp_err().
 */
void xtcp_req_icmp(struct sock *sk, struct xtcp_request *req, u32 seq,
		   bool abort)
{
	if (seq != req->iss) {
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_OUT_OF_WINDOW_ICMPS);
		return;
	}
	if (!abort)
		return;
	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_ICMP_ABORTS);
	req_note(req, XTCP_SYN_RECV, XTCP_CLOSE);
	req_drop(req);
}

/**
 * xtcp_req_offer() - what a listener's SYN+ACK offers: MSS and window
 * @listener: the listener
 * @req: a request whose addresses are set
 *
 * Sets @req->advmss, the route's MSS capped by the listener's TCP_MAXSEG,
 * @req->rcv_wscale, the listener's, and @req->rcv_wnd, 65535 bytes
 * (unscaled, as in every SYN) or less under TCP_WINDOW_CLAMP.  The same
 * for a queued request and for one kept in a SYN cookie.
 */
void xtcp_req_offer(const struct sock *listener, struct xtcp_request *req)
{
	const struct xtcp_sock *lxs = xtcp_sk(listener);
	u32 clamp = READ_ONCE(lxs->window_clamp);
	u16 user_mss = READ_ONCE(lxs->user_mss);

	req->advmss = xtcp_route_mss(sock_net(listener), &req->laddr,
				     &req->raddr, req->iif);
	if (user_mss)
		req->advmss = min(req->advmss, user_mss);
	req->rcv_wnd = clamp ? min_t(u32, clamp, 65535) : 65535;
	req->rcv_wscale = lxs->rcv_wscale;
}

/**
 * xtcp_req_ip_init() - what a listener's SYN+ACK takes at the IP level
 * @listener: the listener
 * @req: a request whose addresses are set
 *
 * As TCP's: the listener's TOS and TTL (IP_TOS, IP_TTL) towards an IPv4
 * peer, its traffic class and hop limit (IPV6_TCLASS, IPV6_UNICAST_HOPS)
 * towards an IPv6 one, whether it labels its IPv6 flows, and a random
 * flow hash that the connection keeps.  Also for a cookie's connection.
 */
void xtcp_req_ip_init(const struct sock *listener, struct xtcp_request *req)
{
	const struct ipv6_pinfo *np = inet6_sk(listener);

	req->txhash = net_tx_rndhash();
	if (ipv6_addr_v4mapped(&req->raddr)) {
		req->tos = READ_ONCE(inet_sk(listener)->tos) & ~INET_ECN_MASK;
		req->ttl = READ_ONCE(inet_sk(listener)->uc_ttl);
	} else {
		req->tos = READ_ONCE(np->tclass) & ~INET_ECN_MASK;
		req->ttl = xtcp_np_hop_limit(np);
	}
	req->autolabel = xtcp_autoflowlabel(listener);
}

/**
 * xtcp_route_mss() - the MSS we announce towards a peer
 * @net: the namespace
 * @laddr: our address
 * @raddr: the peer's address
 * @oif: the interface the connection is bound to (0: any)
 *
 * Return: the route's MTU less the IP header and the xtcp header without
 * options (xtcp_mtu_to_mss(), xtcp_mtu6_to_mss()); from IPv4's 576-byte
 * or IPv6's 1280-byte minimum MTU when there is no route.
 */
u16 xtcp_route_mss(struct net *net, const struct in6_addr *laddr,
		   const struct in6_addr *raddr, int oif)
{
	struct flowi6 fl6 = {
		.flowi6_proto = xtcp_ipproto,
		.flowi6_oif = oif,
		.saddr = *laddr,
		.daddr = *raddr,
	};
	struct dst_entry *dst;
	struct flowi4 fl4;
	struct rtable *rt;
	u32 mtu = 576;

	if (!ipv6_addr_v4mapped(raddr)) {
		dst = ip6_dst_lookup_flow(net, NULL, &fl6, NULL);
		mtu = IPV6_MIN_MTU;
		if (!IS_ERR(dst)) {
			mtu = dst_mtu(dst);
			dst_release(dst);
		}
		return xtcp_mtu6_to_mss(mtu);
	}
	rt = ip_route_output_ports(net, &fl4, NULL, xtcp_addr_v4_of(raddr),
				   xtcp_addr_v4_of(laddr), 0, 0,
				   xtcp_ipproto, 0, 0);
	if (!IS_ERR(rt)) {
		mtu = dst_mtu(&rt->dst);
		ip_rt_put(rt);
	}
	return xtcp_mtu_to_mss(mtu);
}

/**
 * xtcp_conn_request() - a SYN reached a listener: make a request
 * @sk: the listener, locked
 * @skb: the SYN, its xtcp_skb_cb filled in
 *
 * A retransmitted SYN for a request we hold gets the SYN+ACK again.  SYNs
 * beyond the SYN queue's bound are answered with a SYN cookie and no
 * request (net.xtcp.syncookies 1, the default), or dropped and counted
 * (0): either way a flood costs at most net.xtcp.max_syn_backlog requests
 * a listener.  With syncookies 2 every new SYN gets a cookie.
 *
 * Return: 0 (the caller frees @skb).
 */
int xtcp_conn_request(struct sock *sk, struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct xtcp_sock *lxs = xtcp_sk(sk);
	struct in6_addr saddr, daddr;
	struct net *net = sock_net(sk);
	struct xtcp_request *req;
	int cookies;
	bool full;

	xtcp_skb_addrs(skb, &saddr, &daddr);
	req = xtcp_req_find(sk, &saddr, htons(cb->sport), &daddr);
	if (req) {
		if (req->irs == cb->seq) {
			req->no_rtt = true;
			if (req->ts_ok && cb->has_ts)
				req->ts_recent = cb->tsval;	/* echo the latest */
			req_resend_synack(sk, req);
		}
		return 0;
	}
	/* As Linux: with the accept queue full, SYNs are not even answered. */
	if (sk_acceptq_is_full(sk)) {
		XTCP_INC_STATS(net, XTCP_MIB_ACCEPT_QUEUE_DROPS);
		return 0;
	}
	full = lxs->syn_qlen >= READ_ONCE(xtcp_sysctl(net)->max_syn_backlog) ||
	       lxs->syn_qlen >= max_t(u32, READ_ONCE(sk->sk_max_ack_backlog), 8) * 2;
	cookies = READ_ONCE(xtcp_sysctl(net)->syncookies);
	if (cookies == 2 || (cookies == 1 && full)) {
		if (cookies == 1 && !lxs->synflood_warned) {
			lxs->synflood_warned = true;
			net_info_ratelimited("port %u: SYN queue full, answering with SYN cookies (a SYN flood?)\n",
					     ntohs(inet_sk(sk)->inet_sport));
		}
		xtcp_cookie_send(sk, skb);
		return 0;
	}
	if (full) {
		XTCP_INC_STATS(net, XTCP_MIB_SYN_QUEUE_DROPS);
		return 0;
	}
	req = kzalloc(sizeof(*req), GFP_ATOMIC);
	if (!req)
		return 0;
	req->laddr = daddr;
	req->raddr = saddr;
	req->iif = xtcp_req_iif(sk, skb, &saddr);
	req->lport = htons(cb->dport);
	req->rport = htons(cb->sport);
	req->irs = cb->seq;
	req->mss = cb->mss;
	req->snd_wnd = cb->window;
	req->has_wscale = cb->has_wscale;
	req->snd_wscale = cb->wscale;
	req->sack_ok = cb->sack_perm && READ_ONCE(xtcp_sysctl(net)->sack);
	req->ts_ok = cb->has_ts && READ_ONCE(xtcp_sysctl(net)->timestamps);
	req->ts_recent = req->ts_ok ? cb->tsval : 0;
	req->ts_off = xtcp_ts_off(&req->laddr, &req->raddr);
	xtcp_req_offer(sk, req);
	xtcp_req_ip_init(sk, req);
	req->iss = xtcp_isn(&req->laddr, &req->raddr, req->lport, req->rport);
	req->born = jiffies;
	req->born_us = xtcp_clock_us();
	req->listener = sk;
	timer_setup(&req->timer, xtcp_req_timer, 0);
	INIT_LIST_HEAD(&req->defer_node);
	refcount_set(&req->refcnt, 1);	/* the SYN queue's */
	sock_hold(sk);
	if (!xtcp_req_hash(net, req)) {
		sock_put(sk);	/* not the last: the caller has one */
		kfree(req);	/* never seen */
		return 0;
	}
	list_add_tail(&req->node, &lxs->syn_queue);
	lxs->syn_qlen++;
	req_note(req, XTCP_LISTEN, XTCP_SYN_RECV);
	xtcp_send_synack(net, req);
	mod_timer(&req->timer, jiffies + XTCP_RTO_INIT);
	return 0;
}

/*
 * The route of a new connection's socket, cached in it: IPv4's, or for an
 * IPv6 peer IPv6's.
 */
static int child_route(struct sock *child, const struct xtcp_request *req)
{
	struct inet_sock *inet = inet_sk(child);
	struct flowi4 *fl4 = &inet->cork.fl.u.ip4;
	struct flowi6 fl6 = {};
	struct dst_entry *dst;
	struct rtable *rt;

	if (xtcp_peer_v6(child)) {
		fl6.flowi6_proto = xtcp_ipproto;
		fl6.saddr = req->laddr;
		fl6.daddr = req->raddr;
		fl6.flowi6_oif = child->sk_bound_dev_if;
		fl6.flowi6_mark = child->sk_mark;
		fl6.fl6_sport = req->lport;
		fl6.fl6_dport = req->rport;
		fl6.flowi6_uid = child->sk_uid;
		dst = ip6_dst_lookup_flow(sock_net(child), child, &fl6, NULL);
		if (IS_ERR(dst))
			return PTR_ERR(dst);
		xtcp_ip6_dst_store(child, dst);
		return 0;
	}
	rt = ip_route_output_ports(sock_net(child), fl4, child,
				   inet->inet_daddr, inet->inet_saddr,
				   req->rport, req->lport,
				   xtcp_ipproto, xtcp_rt_tos(child),
				   child->sk_bound_dev_if);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	fl4->flowi4_proto = xtcp_ipproto;
	sk_setup_caps(child, &rt->dst);
	return 0;
}

/* Build the full socket of an accepted handshake. */
static struct sock *req_to_child(struct sock *sk, struct xtcp_request *req)
{
	struct sock *child;
	struct xtcp_sock *xs;

	child = sk_alloc(sock_net(sk), xtcp_family, GFP_ATOMIC, &xtcp_prot, 0);
	if (!child)
		return NULL;
	sock_init_data(NULL, child);
	child->sk_type = SOCK_STREAM;
	child->sk_uid = sk->sk_uid;
	child->sk_reuse = sk->sk_reuse;
	child->sk_reuseport = sk->sk_reuseport;
	child->sk_bound_dev_if = req->iif;	/* the listener's, or the SYN's */
	child->sk_mark = sk->sk_mark;
	child->sk_priority = sk->sk_priority;
	child->sk_ipv6only = sk->sk_ipv6only;
	xtcp_sk(child)->v6_api = xtcp_sk(sk)->v6_api;
	xtcp_init_new_sock(child);
	/*
	 * IP_TOS, IP_TTL, IP_MTU_DISCOVER, IPV6_TCLASS, IPV6_UNICAST_HOPS:
	 * TCP's clone has them
	 */
	inet_sk(child)->tos = READ_ONCE(inet_sk(sk)->tos);
	inet_sk(child)->uc_ttl = READ_ONCE(inet_sk(sk)->uc_ttl);
	inet_sk(child)->pmtudisc = READ_ONCE(inet_sk(sk)->pmtudisc);
	inet6_sk(child)->tclass = READ_ONCE(inet6_sk(sk)->tclass);
	xtcp_np_set_hop_limit(inet6_sk(child), xtcp_np_hop_limit(inet6_sk(sk)));
	if (xtcp_autoflowlabel_is_set(sk))
		xtcp_autoflowlabel_assign(child, xtcp_autoflowlabel_bit(sk));
	child->sk_txrehash = READ_ONCE(sk->sk_txrehash);
	child->sk_txhash = req->txhash;	/* the SYN+ACK's flow */
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		child->sk_rcvbuf = sk->sk_rcvbuf;
	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		child->sk_sndbuf = sk->sk_sndbuf;
	child->sk_userlocks = sk->sk_userlocks & ~SOCK_BINDPORT_LOCK;
	sock_copy_flags(child, sk);
	/*
	 * With the flags come the listener's timestamp options (SO_TIMESTAMP,
	 * SO_TIMESTAMPING's receive generation): the child holds its own
	 * count of the kernel's timestamping, as sk_clone_lock() takes one,
	 * since its destructor gives one back (sock_disable_timestamp()).
	 */
	child->sk_tsflags = READ_ONCE(sk->sk_tsflags);
	child->sk_bind_phc = READ_ONCE(sk->sk_bind_phc);
	if (child->sk_flags & SK_FLAGS_TIMESTAMP)
		net_enable_timestamp();

	xtcp_set_raddr(child, &req->raddr, req->rport);
	if (xtcp_bind_child(child, &req->laddr, req->lport)) {
		sock_orphan(child);
		sk_free(child);
		return NULL;
	}
	if (child_route(child, req)) {
		xtcp_unbind(child);
		sock_orphan(child);
		sk_free(child);
		return NULL;
	}

	xs = xtcp_sk(child);
	xs->keepalive_time = xtcp_sk(sk)->keepalive_time;
	xs->keepalive_intvl = xtcp_sk(sk)->keepalive_intvl;
	xs->keepalive_probes = xtcp_sk(sk)->keepalive_probes;
	xs->linger2 = xtcp_sk(sk)->linger2;
	xs->user_timeout = xtcp_sk(sk)->user_timeout;
	xs->user_mss = xtcp_sk(sk)->user_mss;
	xs->nonagle = xtcp_sk(sk)->nonagle;
	xs->window_clamp = xtcp_sk(sk)->window_clamp;
	xs->notsent_lowat = xtcp_sk(sk)->notsent_lowat;
	xs->recverr = READ_ONCE(xtcp_sk(sk)->recverr);	/* as TCP's clone */
	xs->recverr6 = READ_ONCE(xtcp_sk(sk)->recverr6);
	if (xtcp_sk(sk)->cc_chosen) {	/* else the namespace's default */
		xs->cc.algo = xtcp_sk(sk)->cc.algo;
		xs->cc_chosen = true;
	}
	xs->iss = req->iss;
	xs->snd_una = req->iss + 1;
	xs->snd_nxt = req->iss + 1;
	xs->snd_max = req->iss + 1;
	xs->snd_sml = req->iss + 1;
	xs->write_seq = req->iss + 1;
	xs->rcv_nxt = req->irs + 1;
	xs->copied_seq = req->irs + 1;
	xs->rcv_wup = xs->rcv_nxt;
	xs->rcv_wnd = req->rcv_wnd;
	xs->snd_wscale = req->has_wscale ? req->snd_wscale : 0;
	xs->rcv_wscale = req->has_wscale ? req->rcv_wscale : 0;
	xs->snd_wnd = req->snd_wnd;
	xs->sack_ok = req->sack_ok;
	xs->snd_wl1 = req->irs;
	xs->snd_wl2 = req->iss;
	xs->mss = min_t(u16, req->advmss, req->mss ? : XTCP_DEFAULT_MSS);
	if (req->ts_ok) {
		xs->ts_ok = true;
		xs->ts_recent = req->ts_recent;
		xs->ts_recent_stamp = (u32)ktime_get_seconds();
		xs->ts_off = req->ts_off;
		xs->mss = xtcp_ts_mss(xs->mss);
	}
	xtcp_conn_init(child);
	/*
	 * The handshake's round trip, SYN+ACK to this ACK, is the passive
	 * side's first RTT sample (RFC 6298 2.2), unless a SYN+ACK went
	 * twice (Karn: the ACK may answer either) or its time is not known.
	 */
	if (!req->retries && !req->no_rtt)
		xtcp_conn_rtt_sample(child, xtcp_clock_us() - req->born_us);
	/* the request's connection goes on as this socket: SYN_RCVD -> */
	child->sk_state = XTCP_SYN_RECV;
	xtcp_set_state(child, XTCP_ESTABLISHED);
	xtcp_ehash_add(child);
	return child;
}

/**
 * xtcp_check_req() - an ACK reached a listener: complete a handshake?
 * @sk: the listener, locked
 * @req: the request of @skb's four-tuple, on @sk's SYN queue, or NULL
 *	for the one there is, if any
 * @skb: the segment (ACK without SYN), its xtcp_skb_cb filled in
 *
 * An ACK of our SYN+ACK turns its request into an ESTABLISHED child on the
 * accept queue.  When the accept queue is full the ACK is dropped and the
 * request kept, so the peer's retransmission or our SYN+ACK's completes
 * the handshake once the owner accepts (as Linux does).
 *
 * Return: the child if one was made (the caller hands it the rest of the
 * segment), NULL if the segment was consumed, or an error pointer if it
 * is to be answered with RST: ERR_PTR(-ENOENT) when no request has its
 * four-tuple (it may carry a SYN cookie), ERR_PTR(-EINVAL) when the
 * request's SYN+ACK is not what it acknowledges.
 */
struct sock *xtcp_check_req(struct sock *sk, struct xtcp_request *req,
			    struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct in6_addr saddr, daddr;
	struct sock *child;

	if (!req) {
		xtcp_skb_addrs(skb, &saddr, &daddr);
		req = xtcp_req_find(sk, &saddr, htons(cb->sport), &daddr);
	}
	if (!req)
		return ERR_PTR(-ENOENT);
	if (cb->flags & XTCP_RST) {
		if (cb->seq == req->irs + 1) {
			trace_xtcp_reset_rx(sock_net(sk), &req->laddr,
					    req->lport, &req->raddr, req->rport,
					    XTCP_SYN_RECV, cb->seq);
			XTCP_INC_STATS(sock_net(sk), XTCP_MIB_IN_RSTS);
			req_note(req, XTCP_SYN_RECV, XTCP_CLOSE);
			req_drop(req);
		}
		return NULL;
	}
	if (cb->ack != req->iss + 1)
		return ERR_PTR(-EINVAL);
	/*
	 * TCP_DEFER_ACCEPT: an ACK without data (or FIN) completes nothing
	 * while the deferral lasts; the request waits for the peer's data.
	 */
	if (!skb->len && !(cb->flags & XTCP_FIN) &&
	    req->retries < READ_ONCE(xtcp_sk(sk)->defer_accept)) {
		req->acked = true;
		return NULL;
	}
	if (sk_acceptq_is_full(sk)) {
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_ACCEPT_QUEUE_DROPS);
		return NULL;
	}
	child = xtcp_req_child(sk, req);
	if (child)
		req_drop(req);
	return child;
}

/**
 * xtcp_req_child() - a handshake completed: its socket, on the accept queue
 * @sk: the listener, locked, its accept queue not full
 * @req: what the handshake agreed on: a request of the SYN queue, or one
 *	rebuilt from a SYN cookie (on no queue); left as it is
 *
 * Return: the child, ESTABLISHED and findable by its four-tuple, or NULL
 * if it could not be made (no memory, no route).
 */
struct sock *xtcp_req_child(struct sock *sk, struct xtcp_request *req)
{
	struct xtcp_sock *lxs = xtcp_sk(sk);
	struct sock *child;

	child = req_to_child(sk, req);
	if (!child)
		return NULL;
	/* The accept queue holds the child's first reference (sk_alloc's). */
	list_add_tail(&xtcp_sk(child)->accept_node, &lxs->accept_queue);
	lxs->accept_qlen++;
	sk_acceptq_added(sk);
	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_PASSIVE_OPENS);
	sk->sk_data_ready(sk);
	return child;
}

/**
 * xtcp_listener_flush() - a listener closes: drop requests and children
 * @sk: the listener, locked by its owner
 *
 * Children nobody accepted are reset and freed.
 */
void xtcp_listener_flush(struct sock *sk)
{
	struct xtcp_sock *lxs = xtcp_sk(sk);
	struct xtcp_request *req, *tmp;

	list_for_each_entry_safe(req, tmp, &lxs->syn_queue, node) {
		req_note(req, XTCP_SYN_RECV, XTCP_CLOSE);
		req_drop(req);
	}
	while (!list_empty(&lxs->accept_queue)) {
		struct xtcp_sock *cxs = list_first_entry(&lxs->accept_queue,
							 struct xtcp_sock,
							 accept_node);
		struct sock *child = (struct sock *)cxs;

		list_del_init(&cxs->accept_node);
		lxs->accept_qlen--;
		sk_acceptq_removed(sk);
		/*
		 * A child's lock is of the listener's class: taken inside
		 * it, and only ever in this order (receive never takes a
		 * listener's owner lock), so one level of nesting.
		 */
		lock_sock_nested(child, SINGLE_DEPTH_NESTING);
		if (child->sk_state != XTCP_CLOSE)
			xtcp_send_reset(child);
		sock_orphan(child);
		xtcp_done(child, 0);
		release_sock(child);
		sock_put(child);	/* the accept queue's reference */
	}
}

struct kmem_cache *xtcp_tw_cachep __read_mostly;

/**
 * xtcp_tw_init() - create the TIME_WAIT entries' slab cache ("xtcp_tw")
 *
 * Return: 0 or -ENOMEM.
 */
int xtcp_tw_init(void)
{
	xtcp_tw_cachep = kmem_cache_create("xtcp_tw", sizeof(struct xtcp_tw),
					   0, SLAB_HWCACHE_ALIGN, NULL);
	return xtcp_tw_cachep ? 0 : -ENOMEM;
}

/**
 * xtcp_tw_exit() - destroy the cache; every namespace has freed its entries
 *
 * The last frees may still wait for their grace period (xtcp_tw_put()):
 * rcu_barrier() lets them run first.
 */
void xtcp_tw_exit(void)
{
	rcu_barrier();
	kmem_cache_destroy(xtcp_tw_cachep);
}

static void tw_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(xtcp_tw_cachep, container_of(head, struct xtcp_tw, rcu));
}

/**
 * xtcp_tw_put() - drop a reference on a TIME_WAIT entry
 * @tw: the entry; freed a grace period after the last reference, since
 *	a receiver may still be walking past it (hash.c finds entries
 *	under RCU)
 */
void xtcp_tw_put(struct xtcp_tw *tw)
{
	if (refcount_dec_and_test(&tw->refcnt))
		call_rcu(&tw->rcu, tw_free_rcu);
}

/**
 * xtcp_time_wait() - the connection enters TIME_WAIT: hand it to an entry
 * @sk: the socket, locked, in FIN_WAIT_2, CLOSING or FIN_WAIT_1 (the
 *	edge's start)
 * @ack: the peer's FIN just arrived: send its ACK, once the edge is
 *	noted (so a trace shows the ACK leave in TIME_WAIT, as before)
 *
 * The edge into TIME_WAIT is counted and traced here, but the socket
 * never takes that state (a full socket in TIME_WAIT is what the kernel's
 * sk_fullsock() says is not one): the entry takes over the four-tuple
 * (and the port, for bind()) and the socket is done: CLOSED, out of the
 * tables, freed once its owner (if any) closes it.  When the namespace's
 * cap is reached or memory is short the connection ends without
 * TIME_WAIT, counted in TimeWaitOverflow.
 *
 * Context: softirq or process, the socket locked.
 */
void xtcp_time_wait(struct sock *sk, bool ack)
{
	struct xtcp_net *xn = xtcp_pernet(sock_net(sk));
	const struct inet_sock *inet = inet_sk(sk);
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_tw *tw = NULL;

	xtcp_note_state(sock_net(sk), sk->sk_state, XTCP_TIME_WAIT,
			&sk->sk_v6_rcv_saddr, inet->inet_sport,
			&sk->sk_v6_daddr, inet->inet_dport);
	if (ack)
		xtcp_send_ack(sk);
	if (READ_ONCE(xn->tw_count) < READ_ONCE(xn->sysctl.max_tw_buckets))
		tw = kmem_cache_alloc(xtcp_tw_cachep, GFP_ATOMIC);
	if (tw) {
		INIT_HLIST_NODE(&tw->hash_node);
		INIT_HLIST_NODE(&tw->bind_node);
		tw->bb = NULL;
		INIT_LIST_HEAD(&tw->death_node);
		refcount_set(&tw->refcnt, 1);	/* the tables' */
		tw->laddr = sk->sk_v6_rcv_saddr;
		tw->raddr = sk->sk_v6_daddr;
		tw->lport = inet->inet_sport;
		tw->rport = inet->inet_dport;
		tw->snd_nxt = xs->snd_max;
		tw->rcv_nxt = xs->rcv_nxt;
		tw->window = min_t(u32, 65535,
				   xtcp_rcv_window(xs->rcv_wup, xs->rcv_nxt,
						   xs->rcv_wnd) >> xs->rcv_wscale);
		tw->ts_ok = xs->ts_ok;
		tw->ts_recent = xs->ts_recent;
		tw->ts_off = xs->ts_off;
		tw->reuse = sk->sk_reuse;
		tw->reuseport = sk->sk_reuseport;
		tw->v6only = sk->sk_ipv6only;
		tw->v6_api = xtcp_sk(sk)->v6_api;
		tw->bound_dev_if = sk->sk_bound_dev_if;
		tw->txhash = sk->sk_txhash;
		tw->tos = (xtcp_peer_v6(sk) ? inet6_sk(sk)->tclass :
			   inet->tos) & ~INET_ECN_MASK;
		tw->autolabel = xtcp_autoflowlabel(sk);
		tw->since = jiffies;
		tw->oow_stamp = 0;
	} else {
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_TW_OVERFLOW);
	}
	/*
	 * With an entry the connection lives on in it, and the entry's end
	 * is TIME_WAIT -> CLOSED; without one it ends now.  Either way the
	 * socket goes CLOSED without counting.
	 */
	if (!xtcp_tw_hash_swap(sk, tw))
		xtcp_note_state(sock_net(sk), XTCP_TIME_WAIT, XTCP_CLOSE,
				&sk->sk_v6_rcv_saddr, inet->inet_sport,
				&sk->sk_v6_daddr, inet->inet_dport);
	xtcp_set_state_quiet(sk, XTCP_CLOSE);
	xtcp_done(sk, 0);
}

/* One ACK to a stray segment per half second and entry, as for sockets. */
static void tw_oow_ack(struct net *net, struct xtcp_tw *tw)
{
	if (!xtcp_oow_rate_limited(net, &tw->oow_stamp))
		xtcp_send_tw_ack(net, tw);
}

/**
 * xtcp_tw_rcv() - a segment for a connection in TIME_WAIT
 * @net: namespace it arrived in
 * @tw: the entry, a reference held by the caller
 * @skb: the segment, its xtcp_skb_cb filled in; not consumed
 *
 * Carries out xtcp_tw_classify()'s verdict (core.c): RSTs ignored, a new
 * connection's SYN ends the entry, the peer's FIN again is ACKed and
 * restarts the 2*MSL, stray segments get a rate-limited ACK.  Nothing
 * reaches a socket: the caller frees the segment.
 *
 * Context: softirq.
 * Return: true if the segment is a new connection's SYN for a listener.
 */
bool xtcp_tw_rcv(struct net *net, struct xtcp_tw *tw, struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct xtcp_tw_ts ts = {
		.tw_ts = tw->ts_ok,
		.ts_recent = tw->ts_recent,
		/* the new connection would have them: RFC 6191 */
		.syn_ts = cb->has_ts && READ_ONCE(xtcp_sysctl(net)->timestamps),
		.tsval = cb->tsval,
	};

	switch (xtcp_tw_classify(cb->flags, cb->seq, cb->end_seq, tw->rcv_nxt,
				 &ts)) {
	case XTCP_TW_RST_IGNORE:
		XTCP_INC_STATS(net, XTCP_MIB_TW_RST_IGNORED);
		return false;
	case XTCP_TW_NEW_SYN:
		if (xtcp_tw_unlink(net, tw))
			XTCP_INC_STATS(net, XTCP_MIB_TW_KILLED);
		return true;
	case XTCP_TW_FIN_ACK:
		XTCP_INC_STATS(net, XTCP_MIB_TW_FIN_ACKS);
		xtcp_tw_restart(net, tw);
		xtcp_send_tw_ack(net, tw);
		return false;
	case XTCP_TW_DROP:
		return false;
	case XTCP_TW_ACK:
		tw_oow_ack(net, tw);
		return false;
	}
	return false;
}

static unsigned long tw_lifetime(struct xtcp_net *xn)
{
	return 2 * msecs_to_jiffies(READ_ONCE(xn->sysctl.msl_ms));
}

/*
 * Make sure the reaper runs by the time the oldest entry expires, and at
 * least once a second while there are entries, so that a smaller MSL
 * written meanwhile applies to the entries already waiting.  Caller holds
 * hash_lock.
 */
static void tw_arm_reaper(struct xtcp_net *xn)
{
	struct xtcp_tw *first;
	unsigned long when;

	first = list_first_entry_or_null(&xn->tw_death, struct xtcp_tw,
					 death_node);
	if (!first || xn->tw_dying)
		return;
	when = first->since + tw_lifetime(xn);
	if (time_after(when, jiffies + HZ))
		when = jiffies + HZ;
	if (!timer_pending(&xn->tw_timer) ||
	    time_before(when, xn->tw_timer.expires))
		mod_timer(&xn->tw_timer, when);
}

/**
 * xtcp_tw_hash_swap() - a connection enters TIME_WAIT: swap its tables
 * @sk: the socket, locked, in the connection table
 * @tw: its TIME_WAIT entry, filled in, holding one reference (the tables'),
 *	or NULL when there is none (cap reached, no memory)
 *
 * In one critical section the socket leaves the connection table and the
 * entry enters the TIME_WAIT tables, so a segment of the connection always
 * finds one of them.  Drops the connection table's socket reference; the
 * caller holds another.  With the cap reached meanwhile the entry is freed
 * here and the connection simply ends.  The entry gets the namespace's
 * next TIME_WAIT row id as it enters the head of its @twhash bucket, so
 * every bucket stays in decreasing id order (proc.c resumes by it).
 *
 * Context: softirq or process, the socket locked; takes hash_lock.
 * Return: true if the entry was linked (it may be freed by the time the
 *	caller looks: the caller must not touch it).
 */
bool xtcp_tw_hash_swap(struct sock *sk, struct xtcp_tw *tw)
{
	struct xtcp_net *xn = xtcp_pernet(sock_net(sk));
	bool hashed;

	spin_lock_bh(&xn->hash_lock);
	if (tw && (xn->tw_count >= READ_ONCE(xn->sysctl.max_tw_buckets) ||
		   xn->tw_dying)) {
		kmem_cache_free(xtcp_tw_cachep, tw);
		tw = NULL;
		xtcp_inc_stat(sock_net(sk), XTCP_MIB_TW_OVERFLOW);
	}
	if (tw) {
		tw->id = ++xn->tw_row_id;
		xtcp_tw_hash_link(xn, tw, sk);
		list_add_tail(&tw->death_node, &xn->tw_death);
		xn->tw_count++;
		atomic_long_inc(&xn->mib[XTCP_MIB_CURR_TW]);
		atomic_long_inc(&xn->mib[XTCP_MIB_TW_CREATED]);
		trace_xtcp_tw_create(sock_net(sk), &tw->laddr, tw->lport,
				     &tw->raddr, tw->rport, XTCP_TIME_WAIT,
				     tw->snd_nxt);
		tw_arm_reaper(xn);
		/*
		 * In TIME_WAIT's table before out of the connection table:
		 * a lock-free lookup that misses the socket finds the entry
		 * (pairs with the smp_rmb() in xtcp_lookup()).
		 */
		smp_wmb();
	}
	hashed = xtcp_ehash_unlink_locked(sk);
	spin_unlock_bh(&xn->hash_lock);
	if (hashed)
		__sock_put(sk);
	return tw;
}

/**
 * xtcp_tw_note_end() - count and trace the end of a TIME_WAIT entry
 * @net: its namespace
 * @tw: the entry, just unlinked, a reference still held
 * @why: enum xtcp_tw_end
 *
 * The connection's last edge, TIME_WAIT -> CLOSED.
 */
void xtcp_tw_note_end(struct net *net, const struct xtcp_tw *tw, int why)
{
	trace_xtcp_tw_end(net, &tw->laddr, tw->lport, &tw->raddr, tw->rport,
			  why, jiffies_to_msecs(jiffies - READ_ONCE(tw->since)));
	xtcp_note_state(net, XTCP_TIME_WAIT, XTCP_CLOSE, &tw->laddr, tw->lport,
			&tw->raddr, tw->rport);
}

/* Take @tw out of every table.  Caller holds hash_lock; @tw is linked. */
static void tw_unlink_locked(struct xtcp_net *xn, struct xtcp_tw *tw)
{
	xtcp_tw_hash_unlink(tw);
	list_del_init(&tw->death_node);
	xn->tw_count--;
	atomic_long_dec(&xn->mib[XTCP_MIB_CURR_TW]);
}

/**
 * xtcp_tw_unlink() - end a TIME_WAIT entry before its time
 * @net: its namespace
 * @tw: the entry, a reference held by the caller
 *
 * Drops the tables' reference if the entry was still linked (the reaper
 * may have got there first); the caller's stays.
 *
 * Context: softirq; takes hash_lock.
 * Return: true if this call unlinked it.
 */
bool xtcp_tw_unlink(struct net *net, struct xtcp_tw *tw)
{
	struct xtcp_net *xn = xtcp_pernet(net);
	bool linked;

	spin_lock_bh(&xn->hash_lock);
	linked = !hlist_unhashed(&tw->hash_node);
	if (linked)
		tw_unlink_locked(xn, tw);
	spin_unlock_bh(&xn->hash_lock);
	if (linked) {
		xtcp_tw_note_end(net, tw, XTCP_TW_END_KILLED);
		xtcp_tw_put(tw);	/* the tables' reference; ours remains */
	}
	return linked;
}

/**
 * xtcp_tw_restart() - start an entry's 2*MSL again (a FIN was re-ACKed)
 * @net: its namespace
 * @tw: the entry, a reference held by the caller
 *
 * Moves it to the tail of the reaping list, which keeps the list in the
 * order the entries expire in.
 *
 * Context: softirq; takes hash_lock.
 */
void xtcp_tw_restart(struct net *net, struct xtcp_tw *tw)
{
	struct xtcp_net *xn = xtcp_pernet(net);

	spin_lock_bh(&xn->hash_lock);
	if (!hlist_unhashed(&tw->hash_node)) {
		WRITE_ONCE(tw->since, jiffies);
		list_move_tail(&tw->death_node, &xn->tw_death);
		tw_arm_reaper(xn);
	}
	spin_unlock_bh(&xn->hash_lock);
}

/*
 * The TIME_WAIT reaper, a per-namespace timer (xtcp_net.tw_timer).
 *
 * Frees the entries whose 2*MSL is over, oldest first, at most
 * XTCP_TW_REAP_BATCH in one run: with more expired it runs again at the
 * next tick, so 100,000 entries expiring together are freed over a few
 * hundred short softirq runs and never in one long one.  While xtcp is
 * under memory pressure (mem.c) every entry counts as expired, oldest
 * first (TimeWaitReclaimed): TIME_WAIT gives way before live connections
 * do.  The reaper runs at least once a second while entries exist.
 * Softirq (timer).
 */
static void xtcp_tw_reaper(struct timer_list *t)
{
	struct xtcp_net *xn = from_timer(xn, t, tw_timer);
	unsigned long life = tw_lifetime(xn);
	/* memory short (mem.c): entries go oldest first before their time */
	bool reclaim = xtcp_mem_pressure();
	struct xtcp_tw *tw, *tmp;
	LIST_HEAD(dead);
	int n = 0;

	spin_lock(&xn->hash_lock);
	while ((tw = list_first_entry_or_null(&xn->tw_death, struct xtcp_tw,
					      death_node))) {
		bool due = !time_before(jiffies, READ_ONCE(tw->since) + life);

		if (!due && !reclaim)
			break;
		if (n == XTCP_TW_REAP_BATCH) {
			/* more are due: go on at the next tick */
			if (!xn->tw_dying)
				mod_timer(&xn->tw_timer, jiffies + 1);
			tw = NULL;
			break;
		}
		/*
		 * Counted before the entry leaves the tables, so that whoever
		 * sees it gone from /proc/net/xtcp sees it counted too
		 */
		if (!n)
			atomic_long_inc(&xn->mib[XTCP_MIB_TW_REAPER_RUNS]);
		atomic_long_inc(&xn->mib[due ? XTCP_MIB_TW_REAPED :
					 XTCP_MIB_TW_RECLAIMED]);
		tw_unlink_locked(xn, tw);
		list_add_tail(&tw->death_node, &dead);
		n++;
	}
	if (tw)
		tw_arm_reaper(xn);
	spin_unlock(&xn->hash_lock);

	list_for_each_entry_safe(tw, tmp, &dead, death_node) {
		list_del(&tw->death_node);
		xtcp_tw_note_end(xn->net, tw, XTCP_TW_END_REAPED);
		xtcp_tw_put(tw);
	}
}

/**
 * xtcp_tw_purge() - free every TIME_WAIT entry of a namespace going away
 * @net: the namespace, at its pernet exit
 *
 * No socket is left to make new entries.  The reaper is stopped for good
 * (@tw_dying keeps it from re-arming itself), then the entries are
 * unlinked; a receiver still holding one frees it when it lets go.
 *
 * Context: process (pernet exit, also at module unload after the
 * protocol handler is gone).
 */
void xtcp_tw_purge(struct net *net)
{
	struct xtcp_net *xn = xtcp_pernet(net);
	struct xtcp_tw *tw, *tmp;
	LIST_HEAD(dead);

	spin_lock_bh(&xn->hash_lock);
	xn->tw_dying = true;
	spin_unlock_bh(&xn->hash_lock);
	del_timer_sync(&xn->tw_timer);

	spin_lock_bh(&xn->hash_lock);
	while ((tw = list_first_entry_or_null(&xn->tw_death, struct xtcp_tw,
					      death_node))) {
		tw_unlink_locked(xn, tw);
		list_add_tail(&tw->death_node, &dead);
	}
	spin_unlock_bh(&xn->hash_lock);
	list_for_each_entry_safe(tw, tmp, &dead, death_node) {
		list_del(&tw->death_node);
		xtcp_tw_note_end(net, tw, XTCP_TW_END_PURGED);
		xtcp_tw_put(tw);
	}
}

/**
 * xtcp_tw_net_init() - a new namespace's TIME_WAIT state: none yet
 * @xn: the namespace's xtcp state, its tables initialized
 */
void xtcp_tw_net_init(struct xtcp_net *xn)
{
	INIT_LIST_HEAD(&xn->tw_death);
	xn->tw_count = 0;
	xn->tw_row_id = 0;
	xn->tw_dying = false;
	timer_setup(&xn->tw_timer, xtcp_tw_reaper, 0);
}
