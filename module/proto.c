// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: a socket's life and its operations: the one place its state
 * changes (xtcp_set_state()), its setup and destructor, the socket-level
 * calls (bind, listen, accept, connect, sendmsg, recvmsg, poll, shutdown,
 * close, options) and the struct proto.
 *
 * Process context only.  Every function here that touches connection
 * state holds the socket lock (lock_sock); segments that arrive meanwhile
 * wait on the socket backlog and are processed by release_sock().
 */
#define pr_fmt(fmt) "xtcp: " fmt

#include <linux/in.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/net_tstamp.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/socket.h>
#include <linux/tcp.h>
#include <net/addrconf.h>
#include <net/dst.h>
#include <net/inet_ecn.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/route.h>
#include <asm/ioctls.h>

#include "xtcp.h"
#include "trace.h"

/**
 * xtcp_note_state() - count and trace one edge a connection took
 * @net: the connection's namespace
 * @from: the state it leaves
 * @to: the state it enters
 * @laddr: local address (v4-mapped for IPv4)
 * @lport: local port
 * @raddr: remote address, likewise
 * @rport: remote port
 *
 * Sockets come here through xtcp_set_state(), and through
 * xtcp_time_wait() for the edge into TIME_WAIT, a state only entries
 * hold; requests and TIME_WAIT entries, which are not sockets, call it
 * where they begin and end.  An
 * edge the diagram does not have (core.c's table) is a bug in xtcp: it is
 * counted like the others, and warned about once, so that every test run
 * checks the state machine (the VM runner fails a run on a WARN).
 *
 * Context: any; the counters are atomic.
 */
void xtcp_note_state(struct net *net, int from, int to,
		     const struct in6_addr *laddr, __be16 lport,
		     const struct in6_addr *raddr, __be16 rport)
{
	WARN_ONCE(!xtcp_edge_legal(from, to), "xtcp: illegal transition %s -> %s\n",
		  xtcp_state_name(from), xtcp_state_name(to));
	if (xtcp_state_valid(from) && xtcp_state_valid(to))
		atomic_long_inc(&xtcp_pernet(net)->trans[from][to]);
	trace_xtcp_set_state(net, from, to, laddr, lport, raddr, rport);
}

static void __xtcp_set_state(struct sock *sk, int state, bool note)
{
	const struct inet_sock *inet = inet_sk(sk);
	int old = sk->sk_state;

	if (old == state)
		return;
	/* TIME_WAIT is an entry's, never a socket's: xtcp_time_wait() */
	WARN_ON_ONCE(state == XTCP_TIME_WAIT);
	if (old == XTCP_LISTEN)
		xtcp_listen_stop(sk);
	/* pairs with inet_sk_state_load() in lockless readers (poll, /proc) */
	smp_store_release(&sk->sk_state, state);
	xtcp_sk(sk)->xs_state_since = jiffies;
	if (note)
		xtcp_note_state(sock_net(sk), old, state, &sk->sk_v6_rcv_saddr,
				inet->inet_sport, &sk->sk_v6_daddr,
				inet->inet_dport);
	if (state == XTCP_ESTABLISHED) {
		xtcp_sk(sk)->rcv_tstamp = jiffies;
		if (sock_flag(sk, SOCK_KEEPOPEN))
			xtcp_keepalive_reset(sk);
	}
}

/**
 * xtcp_set_state() - move a socket to a new state
 * @sk: the socket, locked by the caller (or not yet visible)
 * @state: an enum xtcp_state value
 *
 * The single place sk_state changes, so the time-in-state clock, the
 * transition matrix and the xtcp_set_state tracepoint cannot be bypassed
 * (but for the edge into TIME_WAIT, which xtcp_time_wait() notes: the
 * socket itself goes from there to CLOSED, quietly).
 */
void xtcp_set_state(struct sock *sk, int state)
{
	__xtcp_set_state(sk, state, true);
}

/**
 * xtcp_set_state_quiet() - move a socket without counting the edge
 * @sk: the socket, locked
 * @state: the new state
 *
 * For a socket whose edges were noted elsewhere: one whose connection
 * entered TIME_WAIT (xtcp_time_wait()) goes CLOSED this way, and the
 * TIME_WAIT -> CLOSED edge is its entry's end, or noted at once when no
 * entry could be had (xtcp_note_state()).
 */
void xtcp_set_state_quiet(struct sock *sk, int state)
{
	__xtcp_set_state(sk, state, false);
}

/*
 * The last reference is gone.  Besides the queues, the socket still holds
 * the route sk_setup_caps() cached at connect(), or when a child was made:
 * dropping it is the destructor's job, as in
 * inet_sock_destruct().  Without it every connection leaked a reference on
 * its route, and a namespace's loopback route outlived the namespace.
 */
static void xtcp_sock_destruct(struct sock *sk)
{
	WARN_ON_ONCE(!sock_flag(sk, SOCK_DEAD));
	WARN_ON_ONCE(xtcp_sk(sk)->xs_table != XTCP_TABLE_NONE);
	WARN_ON_ONCE(!hlist_unhashed(&xtcp_sk(sk)->xs_bind_node));
	skb_queue_purge(&sk->sk_receive_queue);
	skb_queue_purge(&sk->sk_error_queue);
	/* every charge is undone by now: hand the budget its pages back */
	sk_mem_reclaim_final(sk);
	WARN_ON_ONCE(sk->sk_forward_alloc);
	WARN_ON_ONCE(sk->sk_wmem_queued);
	xtcp_orphan_dec(sk);
	sk_sockets_allocated_dec(sk);
	dst_release(rcu_dereference_protected(sk->sk_dst_cache, 1));
	RCU_INIT_POINTER(sk->sk_dst_cache, NULL);
	xtcp_sock_unlink(sk);
}

/**
 * xtcp_init_new_sock() - set up a sock just allocated and make it visible
 * @sk: from sk_alloc() and sock_init_data()
 *
 * Shared by socket() and by a listener's new connections.
 */
void xtcp_init_new_sock(struct sock *sk)
{
	sk->sk_protocol = xtcp_ipproto;
	sk->sk_destruct = xtcp_sock_destruct;
	sk->sk_backlog_rcv = xtcp_prot.backlog_rcv;
	inet_sk(sk)->pinet6 = &xtcp_sk(sk)->inet6;
	/* the route's TTL and hop limit, as inet_create() and inet6_create() */
	inet_sk(sk)->uc_ttl = -1;
	xtcp_np_set_hop_limit(&xtcp_sk(sk)->inet6, -1);
	/* IPv4 path MTU discovery (DF set), unless the namespace forbids it */
	inet_sk(sk)->pmtudisc =
		READ_ONCE(sock_net(sk)->ipv4.sysctl_ip_no_pmtu_disc) ?
		IP_PMTUDISC_DONT : IP_PMTUDISC_WANT;
	/* timeouts move the flow to a new hash (SO_TXREHASH), as inet_create() */
	sk->sk_txrehash = READ_ONCE(sock_net(sk)->core.sysctl_txrehash);
	xtcp_set_laddr(sk, xtcp_any(sk));	/* unbound */
	xtcp_set_raddr(sk, xtcp_any(sk), 0);
	sk_sockets_allocated_inc(sk);
	xtcp_init_sock_state(sk);
	xtcp_sock_link(sk);
}

static void xtcp_write_space(struct sock *sk)
{
	struct socket *sock = sk->sk_socket;
	struct socket_wq *wq;

	if (!sock || !sk_stream_is_writeable(sk))
		return;
	clear_bit(SOCK_NOSPACE, &sock->flags);
	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, EPOLLOUT | EPOLLWRNORM |
					   EPOLLWRBAND);
	rcu_read_unlock();
}

/**
 * xtcp_init_sock_state() - the per-connection fields of a fresh socket
 * @sk: a socket just allocated, not yet visible
 */
void xtcp_init_sock_state(struct sock *sk)
{
	const struct xtcp_sysctl *sc = xtcp_sysctl(sock_net(sk));
	struct xtcp_sock *xs = xtcp_sk(sk);

	INIT_HLIST_NODE(&xs->xs_node);
	INIT_HLIST_NODE(&xs->xs_bind_node);
	xs->xs_bb = NULL;
	/* only pprev: a reader on a reused socket still needs next (hash.c) */
	sk->sk_nulls_node.pprev = NULL;
	xs->xs_table = XTCP_TABLE_NONE;
	INIT_LIST_HEAD(&xs->syn_queue);
	INIT_LIST_HEAD(&xs->req_deferred);
	INIT_LIST_HEAD(&xs->accept_queue);
	INIT_LIST_HEAD(&xs->accept_node);
	skb_queue_head_init(&xs->ooo_queue);
	xs->mss = XTCP_DEFAULT_MSS;
	xtcp_rtt_init(&xs->rtt, XTCP_RTO_MIN_US, XTCP_RTO_MAX_US,
		      jiffies_to_usecs(1));
	xtcp_cc_init(&xs->cc, READ_ONCE(sc->congestion_control), xs->mss);
	xs->syn_retries = READ_ONCE(sc->syn_retries);
	xs->keepalive_time = READ_ONCE(sc->keepalive_time_s) * HZ;
	xs->keepalive_intvl = READ_ONCE(sc->keepalive_intvl_s) * HZ;
	xs->keepalive_probes = READ_ONCE(sc->keepalive_probes);
	xs->rcv_ratio = XTCP_RCV_RATIO_INIT;
	sk->sk_state = XTCP_CLOSE;
	xs->xs_state_since = jiffies;
	sk->sk_write_space = xtcp_write_space;
	sk->sk_rcvbuf = READ_ONCE(sc->rmem_default);
	sk->sk_sndbuf = READ_ONCE(sc->wmem_default);
	xtcp_choose_wscale(sk);
	xtcp_sack_reset(sk);
	xtcp_init_timers(sk);
}

/**
 * xtcp_done() - the connection is over: make the socket CLOSED
 * @sk: the socket, locked
 * @err: error to report to the owner (0 for none)
 *
 * Stops the timers, forgets unsent and unacknowledged data, leaves the
 * connection table and wakes everyone waiting on the socket.
 */
void xtcp_done(struct sock *sk, int err)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;

	if (err)
		WRITE_ONCE(sk->sk_err, err);
	xtcp_set_state(sk, XTCP_CLOSE);
	xtcp_clear_timers(sk);
	xtcp_ehash_del(sk);
	while ((skb = __skb_dequeue(&sk->sk_write_queue)))
		xtcp_wmem_free_skb(sk, skb);
	xs->send_head = NULL;
	xs->fin_pending = false;
	__skb_queue_purge(&xs->ooo_queue);
	sk_mem_reclaim(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	if (sock_flag(sk, SOCK_DEAD) || !(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
		xtcp_unbind(sk);
	if (err)
		sk_error_report(sk);
	sk->sk_state_change(sk);
}

/*
 * The socket API.  An xtcp socket speaks IPv4's (struct sockaddr_in, or
 * struct sockaddr_xtcp) or IPv6's (struct sockaddr_in6, IPv4 peers
 * v4-mapped, and IPV6_V6ONLY), as TCP's AF_INET and AF_INET6 sockets do;
 * socket() cannot say which, so the first sockaddr_in6 given to bind()
 * or connect() (of the right length and family, whether the call then
 * succeeds or not) while the socket is unbound makes it an IPv6 one for
 * good (xtcp_sock.v6_api).  Each API then refuses the other's addresses
 * with the errno its TCP gives.  IPV6_V6ONLY set before that is kept for
 * when it happens, and does not choose the API: programs set it on IPv4
 * sockets and ignore the error (Python's http.server), then bind a
 * sockaddr_in.  A v4-mapped peer is reached over IPv4, any other over
 * IPv6.
 */
static bool wants_v6_api(const struct sock *sk, const struct sockaddr *uaddr,
			 int addr_len)
{
	if (xtcp_sk(sk)->v6_api)
		return true;
	return !inet_sk(sk)->inet_num && sk->sk_state == XTCP_CLOSE &&
	       addr_len >= SIN6_LEN_RFC2133 && uaddr->sa_family == AF_INET6;
}

/* Make unbound @sk an IPv6-API socket; caller holds the socket lock. */
static void use_v6_api(struct sock *sk)
{
	if (xtcp_sk(sk)->v6_api)
		return;
	WRITE_ONCE(xtcp_sk(sk)->v6_api, true);	/* /proc reads it unlocked */
	if (xtcp_sk(sk)->v6only_opt)
		sk->sk_ipv6only = xtcp_sk(sk)->v6only_opt - 1;
	else
		sk->sk_ipv6only =
			READ_ONCE(sock_net(sk)->ipv6.sysctl.bindv6only);
	xtcp_set_laddr(sk, &in6addr_any);
	xtcp_set_raddr(sk, &in6addr_any, 0);
}

/* Can a socket bind to IPv4 address @addr?  0, else -EADDRNOTAVAIL. */
static int bind_v4_local(struct net *net, __be32 addr)
{
	int type = inet_addr_type_table(net, addr, RT_TABLE_LOCAL);

	if (addr != htonl(INADDR_ANY) && type != RTN_LOCAL &&
	    type != RTN_MULTICAST && type != RTN_BROADCAST)
		return -EADDRNOTAVAIL;
	return 0;
}

/*
 * Can @sk bind to IPv6 address @sin6 (of @type, neither :: nor
 * v4-mapped)?  A link-local one needs its interface: the scope id, which
 * binds the socket to it, or SO_BINDTODEVICE.  0, -EINVAL, -ENODEV (no
 * such interface) or -EADDRNOTAVAIL, as __inet6_bind().
 */
static int bind_v6_local(struct sock *sk, const struct sockaddr_in6 *sin6,
			 int addr_len, int type)
{
	struct net_device *dev = NULL;
	int err = 0;

	rcu_read_lock();
	if (__ipv6_addr_needs_scope_id(type)) {
		if (addr_len >= (int)sizeof(*sin6) && sin6->sin6_scope_id)
			sk->sk_bound_dev_if = sin6->sin6_scope_id;
		if (!sk->sk_bound_dev_if) {
			err = -EINVAL;
			goto out;
		}
	}
	if (sk->sk_bound_dev_if) {
		dev = dev_get_by_index_rcu(sock_net(sk), sk->sk_bound_dev_if);
		if (!dev) {
			err = -ENODEV;
			goto out;
		}
	}
	if (!ipv6_chk_addr(sock_net(sk), &sin6->sin6_addr, dev, 0))
		err = -EADDRNOTAVAIL;
out:
	rcu_read_unlock();
	return err;
}

/* A privileged @port without CAP_NET_BIND_SERVICE: -EACCES, as TCP. */
static int bind_v4_port(struct net *net, u16 port)
{
	if (port && inet_port_requires_bind_service(net, port) &&
	    !ns_capable(net->user_ns, CAP_NET_BIND_SERVICE))
		return -EACCES;
	return 0;
}

/*
 * bind()'s address on an IPv4-API socket, inet_bind()'s checks in its
 * order; AF_UNSPEC is taken with INADDR_ANY, as inet_bind() does for old
 * code.  Sets *@lock when the address is not the wildcard.
 */
static int bind_addr_v4(struct sock *sk, const struct sockaddr *uaddr,
			int addr_len, struct in6_addr *addr, u16 *port,
			bool *lock)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)uaddr;
	struct net *net = sock_net(sk);
	int err;

	if (addr_len < (int)sizeof(*sin))
		return -EINVAL;
	if (sin->sin_family == AF_UNSPEC) {
		if (sin->sin_addr.s_addr != htonl(INADDR_ANY))
			return -EAFNOSUPPORT;
	} else if (sin->sin_family != AF_INET &&
		   sin->sin_family != xtcp_family) {
		return -EAFNOSUPPORT;
	}
	err = bind_v4_local(net, sin->sin_addr.s_addr);
	if (err)
		return err;
	*port = ntohs(sin->sin_port);
	err = bind_v4_port(net, *port);
	if (err)
		return err;
	if (sk->sk_state != XTCP_CLOSE || inet_sk(sk)->inet_num)
		return -EINVAL;
	*addr = xtcp_addr_v4(sin->sin_addr.s_addr);
	*lock = sin->sin_addr.s_addr != htonl(INADDR_ANY);
	return 0;
}

/*
 * bind()'s address on an IPv6-API socket, inet6_bind()'s checks in its
 * order.  A v4-mapped address binds as IPv4's does, and not on a v6only
 * socket; ::ffff:0.0.0.0 counts as an address (*@lock), as in TCP.
 */
static int bind_addr_v6(struct sock *sk, const struct sockaddr *uaddr,
			int addr_len, struct in6_addr *addr, u16 *port,
			bool *lock)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)uaddr;
	struct net *net = sock_net(sk);
	int type, err;

	if (addr_len < SIN6_LEN_RFC2133)
		return -EINVAL;
	if (sin6->sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	use_v6_api(sk);
	type = ipv6_addr_type(&sin6->sin6_addr);
	if (type & IPV6_ADDR_MULTICAST)
		return -EINVAL;		/* a stream socket's, as TCP's */
	*port = ntohs(sin6->sin6_port);
	err = bind_v4_port(net, *port);
	if (err)
		return err;
	if (sk->sk_state != XTCP_CLOSE || inet_sk(sk)->inet_num)
		return -EINVAL;
	if (type == IPV6_ADDR_MAPPED) {
		if (sk->sk_ipv6only)
			return -EINVAL;
		err = bind_v4_local(net, xtcp_addr_v4_of(&sin6->sin6_addr));
		if (err)
			return err;
	} else if (type != IPV6_ADDR_ANY) {
		if (!ipv6_mod_enabled())
			return -EAFNOSUPPORT;	/* ipv6.disable=1 */
		err = bind_v6_local(sk, sin6, addr_len, type);
		if (err)
			return err;
	}
	*addr = sin6->sin6_addr;
	*lock = type != IPV6_ADDR_ANY;
	return 0;
}

static int xtcp_bind(struct socket *sock, struct sockaddr *uaddr, int addr_len)
{
	struct sock *sk = sock->sk;
	struct in6_addr addr;
	bool lock = false;
	u16 port = 0;
	int err;

	lock_sock(sk);
	if (wants_v6_api(sk, uaddr, addr_len))
		err = bind_addr_v6(sk, uaddr, addr_len, &addr, &port, &lock);
	else
		err = bind_addr_v4(sk, uaddr, addr_len, &addr, &port, &lock);
	if (err)
		goto out;
	err = xtcp_bind_port(sk, &addr, port);
	if (err)
		goto out;
	if (lock)
		sk->sk_userlocks |= SOCK_BINDADDR_LOCK;
	/* an IPv6 address of its own takes no IPv4, as in TCP */
	if (lock && !ipv6_addr_v4mapped(&addr))
		sk->sk_ipv6only = 1;
	sk->sk_userlocks |= SOCK_BINDPORT_LOCK;
	xtcp_set_raddr(sk, xtcp_any(sk), 0);
	sk_dst_reset(sk);
out:
	release_sock(sk);
	return err;
}

static int xtcp_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	int err = -EINVAL;

	lock_sock(sk);
	if (sock->state != SS_UNCONNECTED || sock->type != SOCK_STREAM)
		goto out;
	if (sk->sk_state != XTCP_CLOSE && sk->sk_state != XTCP_LISTEN)
		goto out;
	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	if (sk->sk_state == XTCP_LISTEN) {
		err = 0;
		goto out;
	}
	if (!inet_sk(sk)->inet_num) {
		err = xtcp_bind_port(sk, xtcp_any(sk), 0);
		if (err)
			goto out;
	}
	sk->sk_ack_backlog = 0;
	xtcp_choose_wscale(sk);
	/* -EADDRINUSE: a SO_REUSEADDR sharer listens already */
	err = xtcp_listen_start(sk);
out:
	release_sock(sk);
	return err;
}

static bool accept_ready(struct sock *sk)
{
	return !list_empty(&xtcp_sk(sk)->accept_queue) ||
	       sk->sk_state != XTCP_LISTEN;
}

static struct sock *xtcp_accept_child(struct sock *sk, int flags, int *err)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sock *child = NULL;
	long timeo;

	lock_sock(sk);
	*err = -EINVAL;
	if (sk->sk_state != XTCP_LISTEN)
		goto out;
	timeo = sock_rcvtimeo(sk, flags & O_NONBLOCK);
	add_wait_queue_exclusive(sk_sleep(sk), &wait);
	while (list_empty(&xs->accept_queue)) {
		*err = -EAGAIN;
		if (!timeo)
			break;
		*err = sock_intr_errno(timeo);
		if (signal_pending(current))
			break;
		sk_wait_event(sk, &timeo, accept_ready(sk), &wait);
		*err = -EINVAL;
		if (sk->sk_state != XTCP_LISTEN)
			break;
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	if (!list_empty(&xs->accept_queue) && sk->sk_state == XTCP_LISTEN) {
		struct xtcp_sock *cxs = list_first_entry(&xs->accept_queue,
							 struct xtcp_sock,
							 accept_node);

		list_del_init(&cxs->accept_node);
		xs->accept_qlen--;
		sk_acceptq_removed(sk);
		child = (struct sock *)cxs;
		*err = 0;
	}
out:
	release_sock(sk);
	return child;
}

static int xtcp_accept(XTCP_ACCEPT_ARGS)
{
	struct sock *child;
	int err;

	child = xtcp_accept_child(sock->sk, XTCP_ACCEPT_FLAGS, &err);
	if (!child)
		return err;
	lock_sock(child);
	xtcp_mem_accept_memcg(child);
	sock_graft(child, newsock);
	xtcp_sock_custom_sockopt(newsock);	/* SOL_SOCKET: compat.h */
	newsock->state = SS_CONNECTED;
	release_sock(child);
	return 0;
}

/*
 * A connect() that failed: back to what bind() alone gave the socket, as
 * TCP's.  The port goes first, so that a bind() never sees the address
 * change on a port this socket was to give up.
 */
static void connect_unwind(struct sock *sk)
{
	sk_dst_reset(sk);
	sk->sk_route_caps = 0;
	if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
		xtcp_unbind(sk);
	xtcp_set_raddr(sk, xtcp_any(sk), 0);
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK))
		xtcp_set_bound_laddr(sk, xtcp_any(sk));
}

static int connect_start(struct sock *sk, u32 mss);

static int xtcp_v4_connect(struct sock *sk, struct sockaddr_in *usin)
{
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	struct flowi4 *fl4 = &inet->cork.fl.u.ip4;
	struct in6_addr saddr, daddr;
	struct rtable *rt;
	int err;

	rt = ip_route_output_ports(net, fl4, sk, usin->sin_addr.s_addr,
				   inet->inet_saddr, usin->sin_port,
				   inet->inet_sport, sk->sk_protocol,
				   xtcp_rt_tos(sk), sk->sk_bound_dev_if);
	if (IS_ERR(rt))
		return PTR_ERR(rt) == -ENETUNREACH ? -ENETUNREACH : PTR_ERR(rt);
	if (rt->rt_flags & (RTCF_MULTICAST | RTCF_BROADCAST)) {
		ip_rt_put(rt);
		return -ENETUNREACH;
	}
	/* the route's addresses: 0.0.0.0 connects to loopback, as TCP's */
	saddr = xtcp_addr_v4(fl4->saddr);
	daddr = xtcp_addr_v4(fl4->daddr);
	if (!inet->inet_num) {
		err = xtcp_connect_port(sk, &saddr, &daddr, usin->sin_port);
		if (err) {
			ip_rt_put(rt);
			return err;
		}
	}
	xtcp_set_bound_laddr(sk, &saddr);
	xtcp_set_raddr(sk, &daddr, usin->sin_port);
	/* Flow for the IP layer's later route checks (ip_queue_xmit). */
	fl4->flowi4_proto = sk->sk_protocol;
	sk_setup_caps(sk, &rt->dst);
	return connect_start(sk, xtcp_mtu_to_mss(dst_mtu(&rt->dst)));
}

/*
 * An IPv6 peer: tcp_v6_connect()'s steps.  A link-local peer needs the
 * interface (its scope id, or SO_BINDTODEVICE).  No runs (xtcp_run_ok()).
 */
static int xtcp_v6_connect(struct sock *sk, const struct sockaddr_in6 *usin)
{
	struct net *net = sock_net(sk);
	struct flowi6 fl6 = {};
	struct dst_entry *dst;
	struct in6_addr saddr;
	int err;

	if (__ipv6_addr_needs_scope_id(ipv6_addr_type(&usin->sin6_addr))) {
		if (usin->sin6_scope_id) {
			if (sk->sk_bound_dev_if &&
			    sk->sk_bound_dev_if != (int)usin->sin6_scope_id)
				return -EINVAL;
			sk->sk_bound_dev_if = usin->sin6_scope_id;
		}
		if (!sk->sk_bound_dev_if)
			return -EINVAL;
	}
	fl6.flowi6_proto = sk->sk_protocol;
	fl6.daddr = usin->sin6_addr;
	fl6.saddr = sk->sk_v6_rcv_saddr;	/* :: unless bound */
	fl6.flowi6_oif = sk->sk_bound_dev_if;
	fl6.flowi6_mark = sk->sk_mark;
	fl6.fl6_dport = usin->sin6_port;
	fl6.fl6_sport = inet_sk(sk)->inet_sport;
	fl6.flowi6_uid = sk->sk_uid;
	dst = ip6_dst_lookup_flow(net, sk, &fl6, NULL);
	if (IS_ERR(dst))
		return PTR_ERR(dst);
	saddr = fl6.saddr;
	if (!inet_sk(sk)->inet_num) {
		err = xtcp_connect_port(sk, &saddr, &usin->sin6_addr,
					usin->sin6_port);
		if (err) {
			dst_release(dst);
			return err;
		}
	}
	xtcp_set_bound_laddr(sk, &saddr);
	xtcp_set_raddr(sk, &usin->sin6_addr, usin->sin6_port);
	xtcp_ip6_dst_store(sk, dst);
	return connect_start(sk, xtcp_mtu6_to_mss(dst_mtu(dst)));
}

/*
 * The rest of a connect(), for either IP version: the addresses are set
 * and the route cached; @mss is the route's.
 */
static int connect_start(struct sock *sk, u32 mss)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	int err;

	xs->mss = mss;
	if (xs->user_mss)
		xs->mss = min(xs->mss, xs->user_mss);
	xs->iss = xtcp_isn(&sk->sk_v6_rcv_saddr, &sk->sk_v6_daddr,
			   inet->inet_sport, inet->inet_dport);
	xtcp_choose_wscale(sk);
	err = xtcp_ehash_add_unique(sk);
	if (err) {
		connect_unwind(sk);
		return err;
	}
	xtcp_set_state(sk, XTCP_SYN_SENT);
	XTCP_INC_STATS(net, XTCP_MIB_ACTIVE_OPENS);
	xs->sack_ok = READ_ONCE(xtcp_sysctl(net)->sack);	/* our offer */
	xs->ts_ok = READ_ONCE(xtcp_sysctl(net)->timestamps);	/* likewise */
	xs->ts_off = xtcp_ts_off(&sk->sk_v6_rcv_saddr, &sk->sk_v6_daddr);
	sk_set_txhash(sk);	/* the flow's hash and IPv6 flow label */
	err = xtcp_send_syn(sk);
	if (err) {
		xtcp_done(sk, 0);
		connect_unwind(sk);
	}
	return err;
}

/*
 * connect()'s address, as the IPv4 destination xtcp_v4_connect() takes:
 * tcp_v4_connect()'s checks on an IPv4-API socket, tcp_v6_connect()'s on
 * an IPv6-API one, where :: means loopback (a BSD habit TCP keeps) and a
 * v4-mapped address connects over IPv4, but not from a v6only socket.
 */
static int connect_addr(struct sock *sk, const struct sockaddr *uaddr,
			int addr_len, struct sockaddr_in6 *to)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)uaddr;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)uaddr;

	memset(to, 0, sizeof(*to));
	to->sin6_family = AF_INET6;
	if (!wants_v6_api(sk, uaddr, addr_len)) {
		if (addr_len < (int)sizeof(*sin))
			return -EINVAL;
		if (uaddr->sa_family != AF_INET &&
		    uaddr->sa_family != xtcp_family)
			return -EAFNOSUPPORT;
		to->sin6_addr = xtcp_addr_v4(sin->sin_addr.s_addr);
		to->sin6_port = sin->sin_port;
		return 0;
	}
	if (addr_len < SIN6_LEN_RFC2133)
		return -EINVAL;
	if (sin6->sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	use_v6_api(sk);
	to->sin6_port = sin6->sin6_port;
	to->sin6_addr = sin6->sin6_addr;
	if (addr_len >= (int)sizeof(*sin6))
		to->sin6_scope_id = sin6->sin6_scope_id;
	if (ipv6_addr_any(&to->sin6_addr)) {
		if (ipv6_addr_v4mapped(&sk->sk_v6_rcv_saddr))
			to->sin6_addr = xtcp_addr_v4(htonl(INADDR_LOOPBACK));
		else
			to->sin6_addr = in6addr_loopback;
	}
	if (ipv6_addr_type(&to->sin6_addr) & IPV6_ADDR_MULTICAST)
		return -ENETUNREACH;
	if (ipv6_addr_v4mapped(&to->sin6_addr))
		return sk->sk_ipv6only ? -ENETUNREACH : 0;
	/* booted with ipv6.disable=1: no IPv6 routes to look up */
	return ipv6_mod_enabled() ? 0 : -EAFNOSUPPORT;
}

/* connect() to @to: over IPv4 when it is v4-mapped, else over IPv6 */
static int connect_to(struct sock *sk, const struct sockaddr_in6 *to)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = to->sin6_port,
		.sin_addr.s_addr = xtcp_addr_v4_of(&to->sin6_addr),
	};

	if (ipv6_addr_v4mapped(&to->sin6_addr))
		return xtcp_v4_connect(sk, &sin);
	return xtcp_v6_connect(sk, to);
}

static bool connect_done(struct sock *sk)
{
	return !(XTCPF(sk->sk_state) & XTCPF_OPENING);
}

static int xtcp_connect(struct socket *sock, struct sockaddr *uaddr,
			int addr_len, int flags)
{
	struct sock *sk = sock->sk;
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sockaddr_in6 to;
	long timeo;
	int err;

	if (addr_len >= (int)sizeof(uaddr->sa_family) &&
	    uaddr->sa_family == AF_UNSPEC) {
		/* TCP's disconnect: only an unconnected socket is supported */
		lock_sock(sk);
		err = sk->sk_state == XTCP_CLOSE ? 0 : -EOPNOTSUPP;
		release_sock(sk);
		return err;
	}
	lock_sock(sk);
	switch (sock->state) {
	case SS_CONNECTED:
		err = -EISCONN;
		goto out;
	case SS_CONNECTING:
		err = -EALREADY;
		break;
	case SS_UNCONNECTED:
		err = -EISCONN;
		if (sk->sk_state != XTCP_CLOSE)
			goto out;
		err = connect_addr(sk, uaddr, addr_len, &to);
		if (err)
			goto out;
		WRITE_ONCE(sk->sk_err, 0);
		sk->sk_shutdown = 0;
		err = connect_to(sk, &to);
		if (err)
			goto out;
		sock->state = SS_CONNECTING;
		err = -EINPROGRESS;
		break;
	default:
		err = -EINVAL;
		goto out;
	}

	timeo = sock_sndtimeo(sk, flags & O_NONBLOCK);
	if (!connect_done(sk)) {
		if (!timeo)
			goto out;	/* -EINPROGRESS or -EALREADY */
		add_wait_queue(sk_sleep(sk), &wait);
		while (!connect_done(sk) && timeo) {
			if (signal_pending(current))
				break;
			sk_wait_event(sk, &timeo, connect_done(sk), &wait);
		}
		remove_wait_queue(sk_sleep(sk), &wait);
		if (!connect_done(sk)) {
			err = timeo ? sock_intr_errno(timeo) : -ETIMEDOUT;
			if (!timeo && !(flags & O_NONBLOCK))
				err = -EINPROGRESS;	/* SO_SNDTIMEO expired */
			goto out;
		}
	}
	if (sk->sk_state == XTCP_CLOSE) {
		err = sock_error(sk) ? : -ECONNABORTED;
		sock->state = SS_UNCONNECTED;
		goto out;
	}
	sock->state = SS_CONNECTED;
	err = 0;
out:
	release_sock(sk);
	return err;
}

/*
 * A new data skb for the write queue: headers only, its payload to come
 * in page fragments (xtcp_append()), as TCP's: a write of many segments
 * fills one skb per run (xtcp_size_goal()), not one per segment.
 */
static struct sk_buff *xtcp_new_data_skb(struct sock *sk, int *err)
{
	struct sk_buff *skb = alloc_skb(XTCP_HEADROOM, sk->sk_allocation);

	if (!skb) {
		*err = -ENOBUFS;
		return NULL;
	}
	skb_reserve(skb, XTCP_HEADROOM);
	return skb;
}

/*
 * No room to queue more: the send buffer is full, or the memory budget
 * said no.  Send what the windows let go and wait.  0 to try again, or an
 * errno.
 */
static int xtcp_wait_for_space(struct sock *sk, long *timeo)
{
	int err;

	set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
	/*
	 * A short tail held back by the cork or Nagle goes now: it may be
	 * what fills the buffer, and nothing else would send it while we
	 * sleep (TCP's TCP_NAGLE_PUSH before sk_stream_wait_memory()).
	 */
	xtcp_push_force(sk);
	err = sk_stream_wait_memory(sk, timeo);
	if (err)
		return err;
	if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN))
		return -EPIPE;
	return 0;
}

/*
 * May a write add to @skb, the last skb of the write queue?  Only to data
 * never sent, short of @goal bytes and charged to the budget (a SYN or
 * FIN is none of these), nor after the end of a MSG_EOR write (a record
 * ends with its segment, as in TCP): the merging that lets Nagle's
 * algorithm and the cork send full segments out of short writes.
 */
static bool xtcp_can_append(const struct sock *sk, const struct sk_buff *skb,
			    u32 goal)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);

	return skb->len < goal && cb->charged && !cb->eor &&
	       !(cb->flags & (XTCP_SYN | XTCP_FIN)) &&
	       !xtcp_seq_before(cb->seq, xs->snd_max);
}

/*
 * Copy up to @len bytes from @msg onto the end of @skb, a never-sent last
 * data skb (xtcp_can_append()), into the socket's page fragment: as a new
 * fragment or the growth of the last one.  Return the bytes added, 0 when
 * @skb has no fragment slot left, -ENOMEM when the budget or the page
 * allocator says no, -EFAULT; nothing is added on an error.
 */
static int xtcp_append(struct sock *sk, struct sk_buff *skb,
		       struct msghdr *msg, size_t len)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct page_frag *pfrag = sk_page_frag(sk);
	size_t copy;
	bool merge;
	int i;

	if (!sk_page_frag_refill(sk, pfrag))
		return -ENOMEM;
	i = skb_shinfo(skb)->nr_frags;
	merge = skb_can_coalesce(skb, i, pfrag->page, pfrag->offset);
	if (!merge && i >= MAX_SKB_FRAGS)
		return 0;
	copy = min_t(size_t, len, pfrag->size - pfrag->offset);
	if (!sk_wmem_schedule(sk, copy))
		return -ENOMEM;
	if (copy_page_from_iter(pfrag->page, pfrag->offset, copy,
				&msg->msg_iter) != copy)
		return -EFAULT;
	if (merge) {
		skb_frag_size_add(&skb_shinfo(skb)->frags[i - 1], copy);
	} else {
		get_page(pfrag->page);
		skb_fill_page_desc(skb, i, pfrag->page, pfrag->offset, copy);
	}
	pfrag->offset += copy;
	skb->len += copy;
	skb->data_len += copy;
	/* charged as xtcp_wmem_queue() charged the rest of @skb */
	skb->truesize += copy;
	sk_wmem_queued_add(sk, copy);
	sk_mem_charge(sk, copy);
	XTCP_SKB_CB(skb)->end_seq += copy;
	xs->write_seq += copy;
	return copy;
}

/*
 * A data skb queued for a write that then put nothing in it (no memory,
 * a fault copying from the user) leaves the queue again: an empty one
 * would go out as a segment without payload.
 */
static void xtcp_drop_empty_tail(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);

	if (!skb || skb->len || XTCP_SKB_CB(skb)->seq != XTCP_SKB_CB(skb)->end_seq)
		return;
	if (xs->send_head == skb)
		xs->send_head = NULL;
	__skb_unlink(skb, &sk->sk_write_queue);
	xtcp_wmem_free_skb(sk, skb);
}

/*
 * The write ends here (or waits): PSH on its last byte, as TCP marks the
 * tail skb.  xtcp_fragment() keeps the flag with the cut's second part,
 * so only the segment that ends the write carries it, and a receiver's
 * GRO merges what came before it.
 */
static void xtcp_mark_push(struct sock *sk)
{
	struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);

	if (skb && skb->len)
		XTCP_SKB_CB(skb)->flags |= XTCP_PSH;
}

/* SYN_SENT or SYN_RCVD: the connection is still being opened. */
static bool xtcp_opening(int state)
{
	return XTCPF(state) & XTCPF_OPENING;
}

/*
 * A send's control messages, taken as TCP takes them (sock_cmsg_send():
 * SOL_SOCKET's, EINVAL for one it does not know or a bad one), for one
 * thing: transmit timestamps, asked for here (SO_TIMESTAMPING) or on the
 * socket where the socket core let the option through (6.1: see
 * xtcp_setsockopt_sol_socket()), are refused (EOPNOTSUPP), since none
 * would come.  What the other control messages carry (SO_MARK,
 * SCM_TXTIME) goes unused, as TCP's sendmsg() leaves it.
 */
static int xtcp_sendmsg_cmsgs(struct sock *sk, struct msghdr *msg)
{
	struct sockcm_cookie sockc;

	sockcm_init(&sockc, sk);
	if (msg->msg_controllen && sock_cmsg_send(sk, msg, &sockc))
		return -EINVAL;
	if (sockc.tsflags & SOF_TIMESTAMPING_TX_RECORD_MASK)
		return -EOPNOTSUPP;
	return 0;
}

static int xtcp_sendmsg(struct socket *sock, struct msghdr *msg, size_t size)
{
	struct sock *sk = sock->sk;
	struct xtcp_sock *xs = xtcp_sk(sk);
	size_t copied = 0;
	long timeo;
	u32 goal;
	int err;

	if (msg->msg_flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE |
			       MSG_EOR | MSG_WAITALL | XTCP_MSG_SPLICE_FLAGS))
		return -EOPNOTSUPP;
	lock_sock(sk);
	timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);

	/*
	 * Not connected: wait for a connection in progress, as TCP does;
	 * else fail as TCP does, with the error a failed connection left
	 * (reported once) or EPIPE (a socket never connected, a listener).
	 */
	if (!(XTCPF(sk->sk_state) & (XTCPF(XTCP_ESTABLISHED) |
				      XTCPF(XTCP_CLOSE_WAIT)))) {
		err = sk_stream_wait_connect(sk, &timeo);
		if (err)
			goto out_err;
	}
	err = xtcp_sendmsg_cmsgs(sk, msg);	/* TCP's order: before EPIPE */
	if (err)
		goto out_err;
	err = -EPIPE;
	if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN))
		goto out_err;

	/* MSG_MORE corks what this write leaves short of a segment */
	xs->more = msg->msg_flags & XTCP_MSG_MORE_FLAGS;
	xs->cork_release = false;
	goal = xtcp_size_goal(sk);
	while (copied < size) {
		struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);

		if (!sk_stream_memory_free(sk)) {
			err = xtcp_wait_for_space(sk, &timeo);
			if (err)
				goto out_err;
			continue;
		}
		/* first fill the last skb if it has not left yet */
		if (skb && xtcp_can_append(sk, skb, goal)) {
			err = xtcp_append(sk, skb, msg,
					  min_t(size_t, size - copied,
						goal - skb->len));
			if (err > 0) {
				copied += err;
				continue;
			}
			if (err == -ENOMEM)
				goto wait_memory;
			if (err)
				goto out_err;
			/* no fragment slot left: a new skb */
		}
		/* the tail is full: let it go before the next one fills */
		if (copied)
			xtcp_push(sk);
		skb = xtcp_new_data_skb(sk, &err);
		if (!skb)
			goto out_err;
		if (!sk_wmem_schedule(sk, skb->truesize)) {
			kfree_skb(skb);
			goto wait_memory;
		}
		/* PSH: xtcp_mark_push() */
		xtcp_wq_cb_init(skb, xs->write_seq, xs->write_seq, XTCP_ACK);
		xtcp_wq_append(sk, skb, true);
		/* fill it now: no empty skb stays queued past this pass */
		err = xtcp_append(sk, skb, msg,
				  min_t(size_t, size - copied, goal));
		if (err > 0) {
			copied += err;
			continue;
		}
		if (err == -EFAULT)
			goto out_err;
wait_memory:
		/*
		 * Over xtcp's memory budget (mem.c), or no page: wait as for
		 * a full buffer; sk_stream_wait_memory() retries after a
		 * short sleep when our own buffer has room.
		 */
		xtcp_drop_empty_tail(sk);
		if (copied)
			xtcp_mark_push(sk);
		sk_stream_moderate_sndbuf(sk);
		err = xtcp_wait_for_space(sk, &timeo);
		if (err)
			goto out_err;
	}
	if (msg->msg_flags & MSG_EOR) {
		struct sk_buff *tail = skb_peek_tail(&sk->sk_write_queue);

		if (tail && xtcp_can_append(sk, tail, U32_MAX))
			XTCP_SKB_CB(tail)->eor = true;
	}
	if (copied && !(msg->msg_flags & XTCP_MSG_MORE_FLAGS))
		xtcp_mark_push(sk);
	xtcp_push(sk);
	release_sock(sk);
	return copied;

out_err:
	xtcp_drop_empty_tail(sk);
	if (copied) {
		xtcp_mark_push(sk);
		xtcp_push(sk);
		release_sock(sk);
		return copied;
	}
	err = sk_stream_error(sk, msg->msg_flags, err);
	release_sock(sk);
	return err;
}

/*
 * After the reader made room, tell the peer if the window grew a lot.
 * What counts is the window the ACK would carry (xtcp_select_window()):
 * at most what the field can say, in units of the scale.  Room beyond
 * that announces nothing new, and an ACK that repeats the last one while
 * data is in flight is a duplicate ACK to the sender (RFC 5681 2): three
 * reads would make it retransmit data that was never lost.
 */
static void xtcp_cleanup_rbuf(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 win_now = xtcp_rcv_window(xs->rcv_wup, xs->rcv_nxt, xs->rcv_wnd);

	if (!(XTCPF(sk->sk_state) & XTCPF_SYNCED))
		return;
	/*
	 * A window update only when the window opens by at least
	 * min(MSS, half the buffer) (RFC 9293 3.8.6.2.2), never one that
	 * would announce what the peer already has.
	 */
	if (xtcp_offer_window(sk, win_now) > win_now)
		xtcp_send_ack(sk);
}

static bool rcv_ready(struct sock *sk)
{
	return !skb_queue_empty(&sk->sk_receive_queue) || sk->sk_err ||
	       (sk->sk_shutdown & RCV_SHUTDOWN);
}

/* SO_TIMESTAMP and SO_TIMESTAMPNS, in the layout the socket asked for */
static void xtcp_put_rcvtstamp(struct msghdr *msg, struct sock *sk,
			       const struct timespec64 *ts)
{
	bool new = sock_flag(sk, SOCK_TSTAMP_NEW);

	if (sock_flag(sk, SOCK_RCVTSTAMPNS) && new) {
		struct __kernel_timespec v = { ts->tv_sec, ts->tv_nsec };

		put_cmsg(msg, SOL_SOCKET, SO_TIMESTAMPNS_NEW, sizeof(v), &v);
	} else if (sock_flag(sk, SOCK_RCVTSTAMPNS)) {
		struct __kernel_old_timespec v = { ts->tv_sec, ts->tv_nsec };

		put_cmsg(msg, SOL_SOCKET, SO_TIMESTAMPNS_OLD, sizeof(v), &v);
	} else if (new) {
		struct __kernel_sock_timeval v = {
			ts->tv_sec, ts->tv_nsec / NSEC_PER_USEC
		};

		put_cmsg(msg, SOL_SOCKET, SO_TIMESTAMP_NEW, sizeof(v), &v);
	} else {
		struct __kernel_old_timeval v = {
			ts->tv_sec, ts->tv_nsec / NSEC_PER_USEC
		};

		put_cmsg(msg, SOL_SOCKET, SO_TIMESTAMP_OLD, sizeof(v), &v);
	}
}

/*
 * Receive timestamps as TCP gives them: one set per read, the arrival
 * times (@sw software, @hw the device's) of the last stamped skb the read
 * took bytes from (an skb that came before stamping was on has none).
 * Written after the socket's lock is let go, as TCP writes them.
 * SO_TIMESTAMP/SO_TIMESTAMPNS report the software time;
 * SO_TIMESTAMPING reports what its report flags ask for (SOFTWARE,
 * RAW_HARDWARE), unless OPT_RX_FILTER limits them to the kinds whose
 * generation the socket asked for.
 */
static void xtcp_recv_timestamp(struct msghdr *msg, struct sock *sk,
				ktime_t sw, ktime_t hw)
{
	struct scm_timestamping_internal tss = {};
	u32 tsflags = READ_ONCE(sk->sk_tsflags);
	bool filter = tsflags & XTCP_TS_RX_FILTER, report = false;

	if (sw) {
		tss.ts[0] = ktime_to_timespec64(sw);
		if (sock_flag(sk, SOCK_RCVTSTAMP))
			xtcp_put_rcvtstamp(msg, sk, &tss.ts[0]);
		if ((tsflags & SOF_TIMESTAMPING_SOFTWARE) &&
		    (!filter || (tsflags & SOF_TIMESTAMPING_RX_SOFTWARE)))
			report = true;
		else
			tss.ts[0] = (struct timespec64){};
	}
	if (hw && (tsflags & SOF_TIMESTAMPING_RAW_HARDWARE) &&
	    (!filter || (tsflags & SOF_TIMESTAMPING_RX_HARDWARE))) {
		tss.ts[2] = ktime_to_timespec64(hw);
		report = true;
	}
	if (!report)
		return;
	if (sock_flag(sk, SOCK_TSTAMP_NEW))
		put_cmsg_scm_timestamping64(msg, &tss);
	else
		put_cmsg_scm_timestamping(msg, &tss);
}

static int xtcp_recvmsg(struct socket *sock, struct msghdr *msg, size_t len,
			int flags)
{
	struct sock *sk = sock->sk;
	struct xtcp_sock *xs = xtcp_sk(sk);
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	u32 peek_seq, *seq;
	int copied = 0, target, err = 0;
	ktime_t tstamp = 0, hwtstamp = 0;
	bool stamps;
	long timeo;

	/*
	 * xtcp puts nothing on the error queue (no transmit timestamps, no
	 * zero-copy notices): it reads empty (EAGAIN), as TCP's usually
	 * does.  Were anything queued there, it is read and freed, so that
	 * poll()'s POLLERR for it cannot stay on.
	 */
	if (flags & MSG_ERRQUEUE)
		return xtcp_sk(sk)->v6_api ?
		       sock_recv_errqueue(sk, msg, len, SOL_IPV6, IPV6_RECVERR) :
		       sock_recv_errqueue(sk, msg, len, SOL_IP, IP_RECVERR);
	if (flags & ~(MSG_PEEK | MSG_DONTWAIT | MSG_WAITALL | MSG_TRUNC |
		      MSG_NOSIGNAL | MSG_CMSG_CLOEXEC | MSG_CMSG_COMPAT))
		return -EOPNOTSUPP;
	lock_sock(sk);
	if (sk->sk_state == XTCP_LISTEN) {
		err = -ENOTCONN;
		goto out;
	}
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);
	stamps = sock_flag(sk, SOCK_RCVTSTAMP) ||
		 (READ_ONCE(sk->sk_tsflags) & (SOF_TIMESTAMPING_SOFTWARE |
					       SOF_TIMESTAMPING_RAW_HARDWARE));
	peek_seq = xs->copied_seq;
	seq = (flags & MSG_PEEK) ? &peek_seq : &xs->copied_seq;

	while (copied < len) {
		struct sk_buff *skb, *found = NULL;
		u32 offset = 0;

		skb_queue_walk(&sk->sk_receive_queue, skb) {
			offset = *seq - XTCP_SKB_CB(skb)->seq;
			if (offset < skb->len) {
				found = skb;
				break;
			}
		}
		if (found) {
			size_t chunk = min_t(size_t, found->len - offset,
					     len - copied);

			if (!(flags & MSG_TRUNC)) {
				err = skb_copy_datagram_msg(found, offset, msg,
							    chunk);
				if (err) {
					if (!copied)
						copied = -EFAULT;
					break;
				}
			}
			*seq += chunk;
			copied += chunk;
			if (stamps && (found->tstamp ||
				       skb_hwtstamps(found)->hwtstamp)) {
				tstamp = found->tstamp;
				hwtstamp = skb_hwtstamps(found)->hwtstamp;
			}
			if (!(flags & MSG_PEEK) && offset + chunk == found->len) {
				__skb_unlink(found, &sk->sk_receive_queue);
				consume_skb(found);
			}
			continue;
		}
		if (copied >= target)
			break;
		if (copied) {
			if (sk->sk_err || sk->sk_state == XTCP_CLOSE ||
			    (sk->sk_shutdown & RCV_SHUTDOWN) || !timeo ||
			    signal_pending(current))
				break;
		} else {
			/*
			 * TCP's order: the peer's FIN is end of stream, but a
			 * connection that ended in an error (reset, timeout)
			 * reports it once before reads return 0.
			 */
			if (sock_flag(sk, SOCK_DONE))
				break;
			if (sk->sk_err) {
				copied = sock_error(sk);
				break;
			}
			if (sk->sk_shutdown & RCV_SHUTDOWN)
				break;
			if (sk->sk_state == XTCP_CLOSE) {
				copied = -ENOTCONN;
				break;
			}
			if (!timeo) {
				copied = -EAGAIN;
				break;
			}
			if (signal_pending(current)) {
				copied = sock_intr_errno(timeo);
				break;
			}
		}
		xtcp_cleanup_rbuf(sk);
		add_wait_queue(sk_sleep(sk), &wait);
		sk_wait_event(sk, &timeo, rcv_ready(sk), &wait);
		remove_wait_queue(sk_sleep(sk), &wait);
		if (flags & MSG_PEEK)
			break;	/* re-walk from the start on the next call */
	}
	if (copied > 0 && !(flags & MSG_PEEK)) {
		xtcp_rcv_space_adjust(sk);
		xtcp_cleanup_rbuf(sk);
	}
	err = copied;
out:
	release_sock(sk);
	if (err > 0 && (tstamp || hwtstamp))
		xtcp_recv_timestamp(msg, sk, tstamp, hwtstamp);
	return err;
}

static __poll_t xtcp_poll(struct file *file, struct socket *sock,
			  poll_table *wait)
{
	struct sock *sk = sock->sk;
	struct xtcp_sock *xs = xtcp_sk(sk);
	__poll_t mask = 0;
	u8 shutdown;
	int state;

	sock_poll_wait(file, sock, wait);
	state = inet_sk_state_load(sk);
	if (state == XTCP_LISTEN)
		return !list_empty_careful(&xs->accept_queue) ?
			EPOLLIN | EPOLLRDNORM : 0;

	shutdown = READ_ONCE(sk->sk_shutdown);
	if (shutdown == SHUTDOWN_MASK || state == XTCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (state != XTCP_SYN_SENT && state != XTCP_SYN_RECV) {
		if (!skb_queue_empty_lockless(&sk->sk_receive_queue))
			mask |= EPOLLIN | EPOLLRDNORM;
		if (!(shutdown & SEND_SHUTDOWN)) {
			if (sk_stream_is_writeable(sk)) {
				mask |= EPOLLOUT | EPOLLWRNORM;
			} else {
				set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
				/* order the bit before the re-check, against
				 * the ACK path freeing space (write_space)
				 */
				smp_mb__after_atomic();
				if (sk_stream_is_writeable(sk))
					mask |= EPOLLOUT | EPOLLWRNORM;
			}
		} else {
			mask |= EPOLLOUT | EPOLLWRNORM;
		}
	}
	/* sk_err is set before the state change that woke us: see it */
	smp_rmb();
	if (READ_ONCE(sk->sk_err) ||
	    !skb_queue_empty_lockless(&sk->sk_error_queue))
		mask |= EPOLLERR;
	return mask;
}

/*
 * ioctl() as tcp_ioctl(): SIOCINQ (FIONREAD) bytes ready to read, the
 * peer's FIN not counted; SIOCOUTQ bytes sent or queued and not yet
 * acknowledged; SIOCOUTQNSD bytes queued and never sent; SIOCATMARK 0,
 * xtcp having no urgent data.  A listener answers EINVAL, a connection
 * still opening 0.  Anything else is for the generic socket and device
 * ioctls (-ENOIOCTLCMD).
 */
static int xtcp_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg)
{
	struct sock *sk = sock->sk;
	struct xtcp_sock *xs = xtcp_sk(sk);
	int answ;
	bool slow;

	switch (cmd) {
	case SIOCINQ:
		if (READ_ONCE(sk->sk_state) == XTCP_LISTEN)
			return -EINVAL;
		slow = lock_sock_fast(sk);
		answ = 0;
		if (!xtcp_opening(sk->sk_state)) {
			answ = xs->rcv_nxt - xs->copied_seq;
			if (answ && sock_flag(sk, SOCK_DONE))
				answ--;	/* the FIN */
		}
		unlock_sock_fast(sk, slow);
		break;
	case SIOCATMARK:
		answ = 0;
		break;
	case SIOCOUTQ:
	case SIOCOUTQNSD:
		if (READ_ONCE(sk->sk_state) == XTCP_LISTEN)
			return -EINVAL;
		answ = 0;
		if (!xtcp_opening(READ_ONCE(sk->sk_state)))
			answ = READ_ONCE(xs->write_seq) -
			       (cmd == SIOCOUTQ ? READ_ONCE(xs->snd_una) :
						  READ_ONCE(xs->snd_max));
		break;
	default:
		return -ENOIOCTLCMD;
	}
	return put_user(answ, (int __user *)arg);
}

/*
 * shutdown() as inet_shutdown() has it.  A connect() that completed while
 * nobody waited in it (non-blocking, then poll()) leaves the socket
 * SS_CONNECTING: it is connected now.  A connection still in SYN_SENT is
 * given up (ECONNRESET for the waiter, the socket may connect again), a
 * listener shut for reading stops listening, and a closed socket answers
 * ENOTCONN with its shutdown bits set all the same, so that poll() wakes.
 */
static int xtcp_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	int err = 0;

	how++;	/* SHUT_RD..SHUT_RDWR -> RCV_SHUTDOWN..SHUTDOWN_MASK */
	if (how < RCV_SHUTDOWN || how > SHUTDOWN_MASK)
		return -EINVAL;
	lock_sock(sk);
	if (sock->state == SS_CONNECTING) {
		if (XTCPF(sk->sk_state) & (XTCPF_OPENING | XTCPF(XTCP_CLOSE)))
			sock->state = SS_DISCONNECTING;
		else
			sock->state = SS_CONNECTED;
	}
	switch (sk->sk_state) {
	case XTCP_CLOSE:
		err = -ENOTCONN;
		fallthrough;
	default:
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
		/* ESTABLISHED, SYN_RCVD and CLOSE_WAIT send our FIN */
		if ((how & SEND_SHUTDOWN) &&
		    xtcp_state_on_close(sk->sk_state) != sk->sk_state)
			xtcp_send_fin(sk, sk->sk_allocation);
		break;
	case XTCP_LISTEN:
		if (!(how & RCV_SHUTDOWN))
			break;
		xtcp_listener_flush(sk);
		xtcp_set_state(sk, XTCP_CLOSE);
		sock->state = SS_UNCONNECTED;
		break;
	case XTCP_SYN_SENT:
		xtcp_done(sk, ECONNRESET);
		WRITE_ONCE(sk->sk_shutdown, 0);
		sock->state = SS_UNCONNECTED;
		break;
	}
	sk->sk_state_change(sk);
	release_sock(sk);
	return err;
}

/*
 * Close.  A listener drops its requests and unaccepted children.  A
 * connection with unread data is reset (RFC 2525, as Linux does); one with
 * SO_LINGER 0 too.  Otherwise our FIN goes out after the queued data and
 * the socket, now an orphan, lives on until the close completes, unless
 * there are too many orphans or no memory left (mem.c): then it is reset.
 */
static void xtcp_close(struct sock *sk)
{
	int state;

	lock_sock(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	state = sk->sk_state;
	if (state == XTCP_LISTEN) {
		xtcp_listener_flush(sk);
		xtcp_set_state(sk, XTCP_CLOSE);
	} else if (state == XTCP_SYN_SENT) {
		xtcp_done(sk, 0);
	} else if (XTCPF(state) & XTCPF_SYNCED) {
		bool unread = !skb_queue_empty(&sk->sk_receive_queue);

		if (unread || (sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime)) {
			xtcp_send_reset(sk);
			xtcp_done(sk, 0);
		} else if (state == XTCP_ESTABLISHED || state == XTCP_CLOSE_WAIT ||
			   state == XTCP_SYN_RECV) {
			xtcp_send_fin(sk, sk->sk_allocation);
		}
	}
	skb_queue_purge(&sk->sk_receive_queue);
	sock_orphan(sk);
	if (sk->sk_state != XTCP_CLOSE) {
		/* it lives on to finish its close: an orphan (mem.c) */
		xtcp_orphan_inc(sk);
		if (xtcp_out_of_resources(sk)) {
			XTCP_INC_STATS(sock_net(sk), XTCP_MIB_ABORT_ON_MEMORY);
			xtcp_send_reset(sk);
			xtcp_done(sk, 0);
		}
	}
	if (sk->sk_state == XTCP_FIN_WAIT2)	/* shut down for writing before */
		xtcp_orphan_fin_wait2(sk);
	if (sk->sk_state == XTCP_CLOSE) {
		xtcp_ehash_del(sk);
		xtcp_unbind(sk);
	}
	release_sock(sk);
}

static int xtcp_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk)
		return 0;
	xtcp_close(sk);
	sock->sk = NULL;
	/*
	 * Drop the socket's reference.  A connection still closing is kept
	 * alive by the connection table's reference (and its timer's) until
	 * it reaches CLOSED.
	 */
	sock_put(sk);
	return 0;
}

/*
 * An IPv4-API socket reports its addresses in sockaddr_in form with
 * sin_family AF_INET, the layout struct sockaddr_xtcp shares, so IPv4
 * programs format them as usual; an IPv6-API one in sockaddr_in6 form,
 * IPv4 addresses v4-mapped, as TCP's AF_INET6 sockets (a link-local
 * address with its interface as the scope id; no flow label).  SO_DOMAIN
 * still answers AF_XTCP.
 */
static int xtcp_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)uaddr;
	struct sockaddr_in *sin = (struct sockaddr_in *)uaddr;
	struct sock *sk = sock->sk;
	struct inet_sock *inet = inet_sk(sk);
	int len;

	lock_sock(sk);
	if (peer && (!inet->inet_dport ||
		     (XTCPF(sk->sk_state) & (XTCPF(XTCP_CLOSE) |
					      XTCPF(XTCP_SYN_SENT))))) {
		release_sock(sk);
		return -ENOTCONN;
	}
	if (xtcp_sk(sk)->v6_api) {
		memset(sin6, 0, sizeof(*sin6));
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = peer ? inet->inet_dport : inet->inet_sport;
		sin6->sin6_addr = peer ? sk->sk_v6_daddr : sk->sk_v6_rcv_saddr;
		sin6->sin6_scope_id = ipv6_iface_scope_id(&sin6->sin6_addr,
							  sk->sk_bound_dev_if);
		len = sizeof(*sin6);
	} else {
		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		if (peer) {
			sin->sin_port = inet->inet_dport;
			sin->sin_addr.s_addr = inet->inet_daddr;
		} else {
			sin->sin_port = inet->inet_sport;
			sin->sin_addr.s_addr = inet->inet_rcv_saddr ?:
					       inet->inet_saddr;
		}
		len = sizeof(*sin);
	}
	release_sock(sk);
	return len;
}

/*
 * Options at level SOL_TCP.  Those xtcp has at SOL_XTCP under TCP's
 * numbers (xtcp_shared_opt()) are the same options at either level; the
 * rest are TCP's own, answered as TCP does where xtcp can say the truth:
 *
 *   TCP_NODELAY      off by default, as TCP: a short last segment waits
 *                    while an earlier short one is unacknowledged
 *                    (Nagle, Minshall's variant); on, it goes at once
 *   TCP_CORK         a short last segment waits for the uncork, more
 *                    data or 200 ms (xtcp_nagle_hold())
 *   TCP_CONGESTION   "reno": xtcp's congestion control is NewReno (RFC
 *                    6582), as the kernel's reno; another name: ENOENT
 *   TCP_INFO         struct tcp_info, the fields xtcp keeps (see
 *                    xtcp_fill_tcp_info()), the others 0
 *   TCP_MAXSEG       a ceiling on the MSS announced and used (88..32767,
 *                    0: none); reads the MSS in use, or the ceiling on a
 *                    socket not connected
 *   TCP_QUICKACK     1 (the default): quick-ACK mode at the start and
 *                    after idle, and setting it sends an ACK held back
 *                    at once; 0: every ACK of data may wait (xtcp_ack_data())
 *   TCP_WINDOW_CLAMP a ceiling on the window we offer (at least 1152
 *                    bytes, SOCK_MIN_RCVBUF / 2; 0 only before connect)
 *   TCP_NOTSENT_LOWAT writable (poll, send) only while fewer bytes than
 *                    this wait unsent (0: no limit), xtcp_stream_memory_free()
 *   TCP_DEFER_ACCEPT a listener completes a handshake whose final ACK
 *                    has no data only after that many seconds (in SYN+ACK
 *                    timeouts, read back as the seconds they cover)
 *   TCP_FASTOPEN     as TCP with net.ipv4.tcp_fastopen off: a listener's
 *                    queue length is kept and read back, no Fast Open
 *                    ever happens; TCP_FASTOPEN_CONNECT: EOPNOTSUPP
 *
 * Anything else: ENOPROTOOPT.
 */

static bool xtcp_shared_opt(int optname)
{
	switch (optname) {
	case XTCP_SYNCNT:
	case XTCP_KEEPIDLE:
	case XTCP_KEEPINTVL:
	case XTCP_KEEPCNT:
	case XTCP_USER_TIMEOUT:
	case XTCP_LINGER2:
		return true;
	default:
		return false;
	}
}

/*
 * TCP_DEFER_ACCEPT's seconds, kept as SYN+ACK timeouts of 1 s doubling
 * up to 120 s, as TCP keeps them: the fewest timeouts that cover the
 * seconds asked for (at most 255), and back the seconds they cover.
 */
static u8 xtcp_secs_to_retrans(int secs)
{
	int timeout = XTCP_RTO_INIT / HZ, period = timeout, n = 1;

	if (secs <= 0)
		return 0;
	while (secs > period && n < 255) {
		n++;
		timeout = min(timeout << 1, XTCP_RTO_MAX / HZ);
		period += timeout;
	}
	return n;
}

static int xtcp_retrans_to_secs(u8 n)
{
	int timeout = XTCP_RTO_INIT / HZ, period = n ? timeout : 0;

	while (n-- > 1) {
		timeout = min(timeout << 1, XTCP_RTO_MAX / HZ);
		period += timeout;
	}
	return period;
}

/*
 * TCP_NODELAY and TCP_CORK: set or clear @flag.  What either held back
 * goes as soon as nothing holds it any more (as tcp_push_pending_frames()
 * after the option); a new cork starts its 200 ms afresh.
 */
static void xtcp_set_nonagle(struct sock *sk, u8 flag, int val)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	lock_sock(sk);
	if (val) {
		xs->nonagle |= flag;
		if (flag == XTCP_NAGLE_CORK)
			xs->cork_release = false;
	} else {
		xs->nonagle &= ~flag;
	}
	if (!(xs->nonagle & XTCP_NAGLE_CORK))
		xtcp_timer_stop(sk, XTCP_TIMER_CORK);
	xtcp_push(sk);
	release_sock(sk);
}

static int xtcp_setsockopt_tcp(struct sock *sk, int optname, sockptr_t optval,
			       unsigned int optlen)
{
	const struct xtcp_cc_algo *algo;
	char name[XTCP_CC_NAME_MAX];
	long n;
	int val;

	if (optname == TCP_CONGESTION) {
		/* as TCP: any algorithm built in, from now on (cc.c) */
		if (optlen < 1)
			return -EINVAL;
		n = strncpy_from_sockptr(name, optval,
					 min_t(long, XTCP_CC_NAME_MAX - 1, optlen));
		if (n < 0)
			return -EFAULT;
		algo = xtcp_cc_find(name, n);
		if (!algo)
			return -ENOENT;
		lock_sock(sk);
		xtcp_cc_set_algo(&xtcp_sk(sk)->cc, algo);
		xtcp_sk(sk)->cc_chosen = true;
		release_sock(sk);
		return 0;
	}
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	switch (optname) {
	case TCP_NODELAY:
	case TCP_CORK:
		xtcp_set_nonagle(sk, optname == TCP_NODELAY ? XTCP_NAGLE_OFF :
				 XTCP_NAGLE_CORK, val);
		return 0;
	case TCP_QUICKACK:
		/*
		 * As TCP: 0 enters pingpong mode; any other value leaves it
		 * and sends an ACK held back, and an even one enters it
		 * again only if there was one.
		 */
		lock_sock(sk);
		xtcp_sk(sk)->ack_pingpong = !val;
		if (val && xtcp_sk(sk)->ack_pending &&
		    (XTCPF(sk->sk_state) & XTCPF_SYNCED)) {
			xtcp_send_ack(sk);
			xtcp_sk(sk)->ack_pingpong = !(val & 1);
		}
		release_sock(sk);
		return 0;
	case TCP_WINDOW_CLAMP:	/* tcp_set_window_clamp()'s rules */
		lock_sock(sk);
		if (!val && sk->sk_state != XTCP_CLOSE)
			val = -EINVAL;
		else
			xtcp_sk(sk)->window_clamp = val && val < SOCK_MIN_RCVBUF / 2 ?
						    SOCK_MIN_RCVBUF / 2 : val;
		release_sock(sk);
		return val < 0 ? val : 0;
	case TCP_DEFER_ACCEPT:
		WRITE_ONCE(xtcp_sk(sk)->defer_accept, xtcp_secs_to_retrans(val));
		return 0;
	case TCP_NOTSENT_LOWAT:
		WRITE_ONCE(xtcp_sk(sk)->notsent_lowat, val);
		sk->sk_write_space(sk);
		return 0;
	case TCP_MAXSEG:	/* TCP_MIN_MSS, MAX_TCP_WINDOW */
		if (val && (val < 88 || val > 32767))
			return -EINVAL;
		lock_sock(sk);
		xtcp_sk(sk)->user_mss = val;
		release_sock(sk);
		return 0;
	case TCP_FASTOPEN:
		if (val < 0)
			return -EINVAL;
		lock_sock(sk);
		if (XTCPF(sk->sk_state) & (XTCPF(XTCP_CLOSE) | XTCPF(XTCP_LISTEN)))
			xtcp_sk(sk)->fastopen_qlen = min(val, SOMAXCONN);
		else
			val = -EINVAL;
		release_sock(sk);
		return val < 0 ? val : 0;
	case TCP_FASTOPEN_CONNECT:
		return val < 0 || val > 1 ? -EINVAL : -EOPNOTSUPP;
	default:
		return -ENOPROTOOPT;
	}
}

/*
 * TCP_INFO from what xtcp keeps: state, congestion state (Open,
 * Recovery, Loss), consecutive timeouts and the backoffs of the RTO or,
 * while it runs, of the zero-window probe timer (TCP counts both in
 * icsk_backoff), RTO, MSS, segments in flight,
 * the time since a segment was last accepted, RTT and its variance, the
 * congestion window and threshold (segments), bytes not yet sent, the
 * peer's window, segments sent and received (all, and those with
 * data), both window scales and the receive space autotuning measured.
 * Everything else stays 0.
 */
static void xtcp_fill_tcp_info(struct sock *sk, struct tcp_info *info)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 mss = max_t(u32, xs->mss, 1);
	struct sk_buff *skb;
	int state = sk->sk_state;

	memset(info, 0, sizeof(*info));
	info->tcpi_state = state;
	if (state == XTCP_LISTEN || state == XTCP_CLOSE)
		return;
	if (xs->cc.timed_out)
		info->tcpi_ca_state = TCP_CA_Loss;
	else if (xs->cc.in_recovery)
		info->tcpi_ca_state = TCP_CA_Recovery;
	info->tcpi_retransmits = min_t(u32, xs->retransmits, U8_MAX);
	info->tcpi_backoff = min_t(u32, xs->persist.active ?
				   xs->persist.backoff : xs->rtt.backoffs, U8_MAX);
	info->tcpi_rto = xs->rtt.rto_us;
	info->tcpi_snd_mss = xs->mss;
	info->tcpi_rcv_mss = xs->mss;
	if (xs->sack_ok)
		info->tcpi_options |= TCPI_OPT_SACK;
	if (xs->ts_ok)
		info->tcpi_options |= TCPI_OPT_TIMESTAMPS;
	skb_queue_walk(&sk->sk_write_queue, skb) {
		const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
		u32 segs = xtcp_skb_segs(skb, mss);

		if (!xtcp_seq_before(cb->seq, xs->snd_max))
			break;
		info->tcpi_unacked += segs;
		/* the SACK scoreboard (recovery.c), in segments as TCP's */
		if (cb->sacked)
			info->tcpi_sacked += segs;
		if (cb->lost)
			info->tcpi_lost += segs;
		if (cb->rexmit)
			info->tcpi_retrans += segs;
	}
	info->tcpi_last_data_recv = jiffies_to_msecs(jiffies - xs->rcv_tstamp);
	info->tcpi_last_ack_recv = info->tcpi_last_data_recv;
	info->tcpi_rtt = xs->rtt.srtt_us;
	info->tcpi_rttvar = xs->rtt.rttvar_us;
	info->tcpi_snd_ssthresh = xs->cc.ssthresh / mss;
	info->tcpi_snd_cwnd = xs->cc.cwnd / mss;
	info->tcpi_advmss = xs->mss;
	info->tcpi_notsent_bytes = xs->write_seq - xs->snd_max;
	info->tcpi_snd_wnd = xs->snd_wnd;
	info->tcpi_segs_out = xs->segs_out;
	info->tcpi_segs_in = xs->segs_in;
	info->tcpi_data_segs_out = xs->data_segs_out;
	info->tcpi_data_segs_in = xs->data_segs_in;
	info->tcpi_total_retrans = xs->total_retrans;
	info->tcpi_snd_wscale = xs->snd_wscale;
	info->tcpi_rcv_wscale = xs->rcv_wscale;
	info->tcpi_rcv_space = xs->rcvq_space;
}

/* TCP_MAXSEG as read: the MSS in use, or the ceiling before a connection */
static int xtcp_maxseg(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u16 user_mss = READ_ONCE(xs->user_mss);

	if (user_mss &&
	    (XTCPF(READ_ONCE(sk->sk_state)) & (XTCPF(XTCP_CLOSE) | XTCPF(XTCP_LISTEN))))
		return user_mss;
	return READ_ONCE(xs->mss);
}

static int xtcp_getsockopt_tcp(struct sock *sk, int optname,
			       char __user *optval, int __user *optlen, int len)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct tcp_info info;
	int val;

	switch (optname) {
	case TCP_NODELAY:
	case TCP_CORK:
	case TCP_QUICKACK:
	case TCP_MAXSEG:
	case TCP_FASTOPEN:
	case TCP_FASTOPEN_CONNECT:
	case TCP_WINDOW_CLAMP:
	case TCP_NOTSENT_LOWAT:
	case TCP_DEFER_ACCEPT:
		val = 0;
		if (optname == TCP_NODELAY)
			val = !!(READ_ONCE(xs->nonagle) & XTCP_NAGLE_OFF);
		else if (optname == TCP_CORK)
			val = !!(READ_ONCE(xs->nonagle) & XTCP_NAGLE_CORK);
		else if (optname == TCP_QUICKACK)
			val = !READ_ONCE(xs->ack_pingpong);
		else if (optname == TCP_FASTOPEN)
			val = READ_ONCE(xs->fastopen_qlen);
		else if (optname == TCP_MAXSEG)
			val = xtcp_maxseg(sk);
		else if (optname == TCP_WINDOW_CLAMP)
			val = READ_ONCE(xs->window_clamp);
		else if (optname == TCP_NOTSENT_LOWAT)
			val = READ_ONCE(xs->notsent_lowat);
		else if (optname == TCP_DEFER_ACCEPT)
			val = xtcp_retrans_to_secs(READ_ONCE(xs->defer_accept));
		len = min_t(int, len, sizeof(val));
		if (copy_to_user(optval, &val, len))
			return -EFAULT;
		break;
	case TCP_CONGESTION: {
		char name[XTCP_CC_NAME_MAX] = "";

		strscpy(name, READ_ONCE(xs->cc.algo)->name, sizeof(name));
		len = min_t(int, len, XTCP_CC_NAME_MAX);
		if (copy_to_user(optval, name, len))
			return -EFAULT;
		break;
	}
	case TCP_INFO:
		lock_sock(sk);
		xtcp_fill_tcp_info(sk, &info);
		release_sock(sk);
		len = min_t(int, len, sizeof(info));
		if (copy_to_user(optval, &info, len))
			return -EFAULT;
		break;
	default:
		return -ENOPROTOOPT;
	}
	return put_user(len, optlen) ? -EFAULT : 0;
}

/* SO_REUSEPORT, and XTCP_REUSEPORT where SOL_SOCKET cannot reach xtcp */
static int xtcp_set_reuseport(struct sock *sk, sockptr_t optval,
			      unsigned int optlen)
{
	int val;

	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	lock_sock(sk);
	sk->sk_reuseport = !!val;
	release_sock(sk);
	return 0;
}

/*
 * SOL_SOCKET comes here on kernels that let a socket take it
 * (SOCK_CUSTOM_SOCKOPT, compat.h; elsewhere the socket core keeps it) for
 * the one option the kernel's generic code keeps to AF_INET and AF_INET6:
 * SO_REUSEPORT, which xtcp implements as TCP does (hash.c); and to refuse
 * SO_TIMESTAMPING's transmit timestamps (EOPNOTSUPP), which xtcp does not
 * generate: an application would wait for them on the error queue for
 * ever.  Where SOL_SOCKET cannot come here, sendmsg() refuses to send
 * with them asked for (xtcp_sendmsg_cmsgs()).  The rest go to the
 * generic code unchanged: receive timestamps are xtcp_recv_timestamp()'s.
 */
static int xtcp_setsockopt_sol_socket(struct socket *sock, int optname,
				      sockptr_t optval, unsigned int optlen)
{
	int val;

	if (optname == SO_REUSEPORT)
		return xtcp_set_reuseport(sock->sk, optval, optlen);
	if ((optname == SO_TIMESTAMPING_OLD || optname == SO_TIMESTAMPING_NEW) &&
	    optlen >= sizeof(int)) {
		/* an int, or struct so_timestamping, whose flags come first */
		if (copy_from_sockptr(&val, optval, sizeof(val)))
			return -EFAULT;
		if (val & SOF_TIMESTAMPING_TX_RECORD_MASK)
			return -EOPNOTSUPP;
	}
	return sock_setsockopt(sock, SOL_SOCKET, optname, optval, optlen);
}

/*
 * Level SOL_IP: IP_TOS, IP_TTL and IP_MTU_DISCOVER, which TCP's AF_INET
 * and AF_INET6 sockets take (for their IPv4 segments), and IP_MTU (read
 * only: the route's MTU, ENOTCONN without one), through the IPv4 code's
 * own ip_setsockopt() and ip_getsockopt(): the segments go out through
 * ip_queue_xmit(), which reads them, and xtcp_mtu_reduced() follows
 * IP_MTU_DISCOVER as TCP does.  IP_RECVERR is xtcp's own (see
 * xtcp_set_recverr()).  The other IPv4 options are not implemented.
 */
static bool xtcp_ip_opt(int optname)
{
	return optname == IP_TOS || optname == IP_TTL ||
	       optname == IP_MTU_DISCOVER || optname == IP_MTU;
}

/*
 * IP_RECVERR, with ip_setsockopt()'s conventions (an int, or one byte; no
 * value is 0).  xtcp_icmp_err() reads it.  It is kept in xtcp_sock, as
 * IPV6_RECVERR is, not in inet_sock and ipv6_pinfo: with ipv6_pinfo's
 * bit set, ip6_xmit() queues an EMSGSIZE on the socket's error queue for
 * each segment larger than the route's MTU (ipv6_local_error()), which
 * xtcp does not want (MSG_ERRQUEUE reads its queue empty); IPv4's bit is
 * kept alongside, so that the IP code never acts on either.
 */
static int xtcp_set_recverr(struct sock *sk, sockptr_t optval,
			    unsigned int optlen)
{
	unsigned char byte;
	int val = 0;

	if (optlen >= sizeof(int)) {
		if (copy_from_sockptr(&val, optval, sizeof(val)))
			return -EFAULT;
	} else if (optlen) {
		if (copy_from_sockptr(&byte, optval, 1))
			return -EFAULT;
		val = byte;
	}
	WRITE_ONCE(xtcp_sk(sk)->recverr, !!val);
	return 0;
}

/* IP_RECVERR read back, as ip_getsockopt() answers: one byte if asked */
static int xtcp_get_recverr(struct sock *sk, char __user *optval,
			    int __user *optlen)
{
	unsigned char byte = READ_ONCE(xtcp_sk(sk)->recverr);
	int len, val = byte;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	len = len > 0 && len < sizeof(int) ? 1 : min_t(int, len, sizeof(int));
	if (put_user(len, optlen) ||
	    copy_to_user(optval, len == 1 ? (void *)&byte : &val, len))
		return -EFAULT;
	return 0;
}

/* IPV6_TCLASS as ipv6_setsockopt() takes it: -1 is 0, ECN bits kept. */
static int xtcp_set_tclass(struct sock *sk, int val)
{
	struct ipv6_pinfo *np = inet6_sk(sk);

	if (val < -1 || val > 0xff)
		return -EINVAL;
	if (val == -1)
		val = 0;
	val &= ~INET_ECN_MASK;
	val |= np->tclass & INET_ECN_MASK;
	if (np->tclass != val) {
		np->tclass = val;
		sk_dst_reset(sk);
	}
	return 0;
}

/* IPV6_UNICAST_HOPS: 0 to 255, or -1 for the route's */
static int xtcp_set_hop_limit(struct sock *sk, int val)
{
	if (val < -1 || val > 255)
		return -EINVAL;
	xtcp_np_set_hop_limit(inet6_sk(sk), val);
	return 0;
}

/**
 * xtcp_autoflowlabel() - does @sk ask for flow labels on its IPv6 segments?
 * @sk: the socket
 *
 * Its IPV6_AUTOFLOWLABEL if set, else net.ipv6.auto_flowlabels' default,
 * as the kernel's ip6_autoflowlabel() answers for a TCP socket;
 * ip6_make_flowlabel() may still force labels or forbid them (that
 * sysctl's values 3 and 0).  A label is made from the socket's flow hash
 * (sk_txhash).
 *
 * Return: true if it does.
 */
bool xtcp_autoflowlabel(const struct sock *sk)
{
	if (xtcp_autoflowlabel_is_set(sk))
		return xtcp_autoflowlabel_bit(sk);
	return ip6_default_np_autolabel(sock_net(sk));
}

/* IPV6_V6ONLY: only while unbound; kept until the socket speaks IPv6. */
static int xtcp_set_v6only(struct sock *sk, int val)
{
	if (inet_sk(sk)->inet_num || sk->sk_state != XTCP_CLOSE)
		return -EINVAL;
	if (xtcp_sk(sk)->v6_api)
		sk->sk_ipv6only = !!val;
	else
		xtcp_sk(sk)->v6only_opt = 1 + !!val;
	return 0;
}

/* the IPv6 options xtcp takes */
static bool xtcp_ipv6_opt(int optname)
{
	return optname == IPV6_V6ONLY || optname == IPV6_UNICAST_HOPS ||
	       optname == IPV6_TCLASS || optname == IPV6_AUTOFLOWLABEL ||
	       optname == IPV6_RECVERR;
}

/*
 * Level SOL_IPV6: IPV6_V6ONLY, as TCP's AF_INET6 sockets take it (only
 * while unbound); on a socket whose API is not chosen yet it is kept for
 * when the socket becomes an IPv6 one (see the socket API above).
 * IPV6_UNICAST_HOPS, IPV6_TCLASS and IPV6_AUTOFLOWLABEL, for the IPv6
 * segments (inet6_csk_xmit() reads them); IPV6_RECVERR, for ICMPv6
 * errors, kept in xtcp_sock as IP_RECVERR is (xtcp_set_recverr()).  A
 * bound IPv4-API socket has no IPv6 options (-ENOPROTOOPT, as AF_INET's);
 * the other IPv6 options are not implemented.
 */
static int xtcp_setsockopt_ipv6(struct sock *sk, int optname,
				sockptr_t optval, unsigned int optlen)
{
	int val = 0, err = 0;

	if (!xtcp_ipv6_opt(optname))
		return -ENOPROTOOPT;
	/* as ipv6_setsockopt(): no value reads as 0 */
	if (!sockptr_is_null(optval) && optlen >= sizeof(int) &&
	    copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	lock_sock(sk);
	if (!xtcp_sk(sk)->v6_api && inet_sk(sk)->inet_num)
		err = -ENOPROTOOPT;	/* an IPv4 socket's answer */
	else if (optlen < sizeof(int))
		err = -EINVAL;
	else if (optname == IPV6_TCLASS)
		err = xtcp_set_tclass(sk, val);
	else if (optname == IPV6_UNICAST_HOPS)
		err = xtcp_set_hop_limit(sk, val);
	else if (optname == IPV6_AUTOFLOWLABEL)
		xtcp_autoflowlabel_assign(sk, val);
	else if (optname == IPV6_RECVERR)
		WRITE_ONCE(xtcp_sk(sk)->recverr6, !!val);
	else
		err = xtcp_set_v6only(sk, val);
	release_sock(sk);
	return err;
}

/* IPV6_UNICAST_HOPS read back: the socket's, else its route's, else the default */
static int xtcp_hop_limit(struct sock *sk)
{
	struct dst_entry *dst;
	int val = xtcp_np_hop_limit(inet6_sk(sk));

	if (val >= 0)
		return val;
	dst = __sk_dst_get(sk);
	if (dst)
		return ip6_dst_hoplimit(dst);
	return READ_ONCE(sock_net(sk)->ipv6.devconf_all->hop_limit);
}

/*
 * The IPv6 options read back.  IPV6_V6ONLY: a socket that is not an IPv6
 * one yet answers what it would get.  A bound IPv4-API socket answers
 * -EOPNOTSUPP, as an AF_INET TCP socket.
 */
static int xtcp_getsockopt_ipv6(struct sock *sk, int optname,
				char __user *optval, int __user *optlen)
{
	int len, val;

	if (!xtcp_ipv6_opt(optname))	/* a bound IPv4 socket: as AF_INET's */
		return !READ_ONCE(xtcp_sk(sk)->v6_api) && READ_ONCE(inet_sk(sk)->inet_num) ?
		       -EOPNOTSUPP : -ENOPROTOOPT;
	if (get_user(len, optlen))
		return -EFAULT;
	lock_sock(sk);
	if (!xtcp_sk(sk)->v6_api && inet_sk(sk)->inet_num)
		val = -1;
	else if (optname == IPV6_TCLASS)
		val = inet6_sk(sk)->tclass;
	else if (optname == IPV6_UNICAST_HOPS)
		val = xtcp_hop_limit(sk);
	else if (optname == IPV6_AUTOFLOWLABEL)
		val = xtcp_autoflowlabel(sk);
	else if (optname == IPV6_RECVERR)
		val = xtcp_sk(sk)->recverr6;
	else if (xtcp_sk(sk)->v6_api)
		val = sk->sk_ipv6only;
	else if (xtcp_sk(sk)->v6only_opt)
		val = xtcp_sk(sk)->v6only_opt - 1;
	else
		val = READ_ONCE(sock_net(sk)->ipv6.sysctl.bindv6only);
	release_sock(sk);
	if (val < 0)
		return -EOPNOTSUPP;	/* what AF_INET's ip_getsockopt() says */
	len = min_t(unsigned int, len, sizeof(val));	/* as TCP: even < 0 */
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}

static int xtcp_setsockopt(struct socket *sock, int level, int optname,
			   sockptr_t optval, unsigned int optlen)
{
	struct sock *sk = sock->sk;
	struct xtcp_sock *xs = xtcp_sk(sk);
	int val;

	if (level == SOL_SOCKET)
		return xtcp_setsockopt_sol_socket(sock, optname, optval, optlen);
	if (level == SOL_IPV6)
		return xtcp_setsockopt_ipv6(sk, optname, optval, optlen);
	if (level == SOL_IP && optname == IP_RECVERR)
		return xtcp_set_recverr(sk, optval, optlen);
	if (level == SOL_IP)
		return xtcp_ip_opt(optname) ?
		       ip_setsockopt(sk, level, optname, optval, optlen) : -ENOPROTOOPT;
	if (level == SOL_TCP && !xtcp_shared_opt(optname))
		return xtcp_setsockopt_tcp(sk, optname, optval, optlen);
	if (level != xtcp_ipproto && level != SOL_TCP)
		return -ENOPROTOOPT;
	if (level == xtcp_ipproto && optname == XTCP_REUSEPORT)
		return xtcp_set_reuseport(sk, optval, optlen);
	if (!xtcp_shared_opt(optname))
		return -ENOPROTOOPT;	/* XTCP_INFO too, as TCP_INFO */
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;

	lock_sock(sk);
	switch (optname) {
	case XTCP_SYNCNT:
		if (val < 1 || val > XTCP_MAX_SYNCNT)
			goto einval;
		xs->syn_retries = val;
		break;
	case XTCP_KEEPIDLE:
		if (val < 1 || val > XTCP_MAX_KEEPIDLE)
			goto einval;
		xs->keepalive_time = val * HZ;
		/* as TCP: a running keepalive timer follows the new idle time */
		if (sock_flag(sk, SOCK_KEEPOPEN))
			xtcp_keepalive_idle_set(sk);
		break;
	case XTCP_KEEPINTVL:
		if (val < 1 || val > XTCP_MAX_KEEPINTVL)
			goto einval;
		xs->keepalive_intvl = val * HZ;
		break;
	case XTCP_KEEPCNT:
		if (val < 1 || val > XTCP_MAX_KEEPCNT)
			goto einval;
		xs->keepalive_probes = val;
		break;
	case XTCP_USER_TIMEOUT:
		if (val < 0)	/* as TCP_USER_TIMEOUT */
			goto einval;
		xs->user_timeout = val;
		break;
	case XTCP_LINGER2:	/* TCP_LINGER2's rules */
		if (val < 0)
			xs->linger2 = -1;
		else if (val > XTCP_FIN_TIMEOUT_MAX / HZ)
			xs->linger2 = XTCP_FIN_TIMEOUT_MAX;
		else
			xs->linger2 = val * HZ;
		break;
	}
	release_sock(sk);
	return 0;
einval:
	release_sock(sk);
	return -EINVAL;
}

/* XTCP_LINGER2 as read back: -1, or seconds (0 set: the sysctl's value) */
static int xtcp_linger2_secs(const struct sock *sk)
{
	int linger2 = READ_ONCE(xtcp_sk(sk)->linger2);

	if (linger2 < 0)
		return -1;
	if (linger2)
		return linger2 / HZ;
	return READ_ONCE(xtcp_sysctl(sock_net(sk))->fin_timeout_ms) / 1000;
}

static int xtcp_getsockopt(struct socket *sock, int level, int optname,
			   char __user *optval, int __user *optlen)
{
	struct sock *sk = sock->sk;
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_info info;
	int len, val;

	if (level == SOL_IPV6)
		return xtcp_getsockopt_ipv6(sk, optname, optval, optlen);
	if (level == SOL_IP && optname == IP_RECVERR)
		return xtcp_get_recverr(sk, optval, optlen);
	if (level == SOL_IP)
		return xtcp_ip_opt(optname) ?
		       ip_getsockopt(sk, level, optname, optval, optlen) : -ENOPROTOOPT;
	if (level != xtcp_ipproto && level != SOL_TCP)
		return -ENOPROTOOPT;
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	if (level == SOL_TCP && !xtcp_shared_opt(optname))
		return xtcp_getsockopt_tcp(sk, optname, optval, optlen, len);

	switch (optname) {
	case XTCP_SYNCNT:
	case XTCP_KEEPIDLE:
	case XTCP_KEEPINTVL:
	case XTCP_KEEPCNT:
	case XTCP_USER_TIMEOUT:
	case XTCP_LINGER2:
		if (optname == XTCP_SYNCNT)
			val = READ_ONCE(xs->syn_retries);
		else if (optname == XTCP_KEEPIDLE)
			val = READ_ONCE(xs->keepalive_time) / HZ;
		else if (optname == XTCP_KEEPINTVL)
			val = READ_ONCE(xs->keepalive_intvl) / HZ;
		else if (optname == XTCP_USER_TIMEOUT)
			val = READ_ONCE(xs->user_timeout);
		else if (optname == XTCP_LINGER2)
			val = xtcp_linger2_secs(sk);
		else
			val = READ_ONCE(xs->keepalive_probes);
		len = min_t(int, len, sizeof(val));
		if (copy_to_user(optval, &val, len))
			return -EFAULT;
		break;
	case XTCP_REUSEPORT:
		val = sk->sk_reuseport;	/* a bit-field, as sock_getsockopt() reads it */
		len = min_t(int, len, sizeof(val));
		if (copy_to_user(optval, &val, len))
			return -EFAULT;
		break;
	case XTCP_INFO:
		memset(&info, 0, sizeof(info));
		lock_sock(sk);
		info.xtcpi_state = sk->sk_state;
		info.xtcpi_state_ms =
			jiffies_to_msecs(jiffies - xtcp_sk(sk)->xs_state_since);
		release_sock(sk);
		len = min_t(int, len, sizeof(info));
		if (copy_to_user(optval, &info, len))
			return -EFAULT;
		break;
	default:
		return -ENOPROTOOPT;
	}
	if (put_user(len, optlen))
		return -EFAULT;
	return 0;
}

/*
 * .family is informational for a proto_ops (the kernel dispatches on
 * net_proto_family.family, set from the module parameter at load); it holds
 * the default number so the table can stay const.
 */
const struct proto_ops xtcp_stream_ops = {
	.family		= AF_XTCP_DEFAULT,
	.owner		= THIS_MODULE,
	.release	= xtcp_release,
	.bind		= xtcp_bind,
	.connect	= xtcp_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= xtcp_accept,
	.getname	= xtcp_getname,
	.poll		= xtcp_poll,
	.ioctl		= xtcp_ioctl,
	.listen		= xtcp_listen,
	.shutdown	= xtcp_shutdown,
	.setsockopt	= xtcp_setsockopt,
	.getsockopt	= xtcp_getsockopt,
	.sendmsg	= xtcp_sendmsg,
	.recvmsg	= xtcp_recvmsg,
	.mmap		= sock_no_mmap,
};

static int xtcp_backlog_rcv(struct sock *sk, struct sk_buff *skb)
{
	return xtcp_rcv_state_process(sk, skb);
}

/*
 * TCP_NOTSENT_LOWAT: the socket layer's "may the writer go on" asks this
 * beside the send buffer (sk_stream_memory_free(), and with @wake 1 for
 * poll() and wake-ups, which want the unsent bytes below half the mark).
 */
static bool xtcp_stream_memory_free(const struct sock *sk, int wake)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	u32 lowat = READ_ONCE(xs->notsent_lowat);
	u32 notsent = READ_ONCE(xs->write_seq) - READ_ONCE(xs->snd_max);

	return !lowat || ((u64)notsent << wake) < lowat;
}

struct proto xtcp_prot = {
	.name		= "XTCP",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct xtcp_sock),
	/* lock-free lookups may meet a freed socket: hash.c */
	.slab_flags	= SLAB_TYPESAFE_BY_RCU,
	.backlog_rcv	= xtcp_backlog_rcv,
	.keepalive	= xtcp_keepalive_set,
	.release_cb	= xtcp_release_cb,
	.stream_memory_free = xtcp_stream_memory_free,
};
