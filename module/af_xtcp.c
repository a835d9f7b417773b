// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: module init/exit, module parameters, the AF_XTCP socket family and
 * its socket operations.
 *
 * Reference counting a reader can follow:
 *  - __sock_create() takes a module reference through net_proto_family.owner
 *    and moves it to proto_ops.owner once xtcp_create() succeeds: a live
 *    struct socket pins the module until sock_release().
 *  - sk_alloc() takes another through proto.owner, dropped when the last
 *    sock reference goes (sk_free): a struct sock that outlives its socket
 *    (an orphan still closing) still pins the module.
 *  - A TIME_WAIT entry (struct xtcp_tw) is not a sock and pins nothing:
 *    its namespace's exit frees it, at module unload too.
 *  - The namespace's socket list does not hold a sock reference: a socket is
 *    unlinked in xtcp_release() before its owner's reference is dropped.
 */
#define pr_fmt(fmt) "xtcp: " fmt

#include <linux/in.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <net/dst.h>
#include <net/inet_sock.h>

#include "xtcp.h"
#include "fault.h"
#include "trace.h"

static void xtcp_sock_destruct(struct sock *sk);

int xtcp_family = AF_XTCP_DEFAULT;
module_param_named(family, xtcp_family, int, 0444);
MODULE_PARM_DESC(family, "socket family number to register (default 19, free since AF_ECONET left in Linux 3.5)");

int xtcp_ipproto = IPPROTO_XTCP_DEFAULT;
EXPORT_SYMBOL_GPL(xtcp_ipproto);	/* for xtcp_fault.ko */
module_param_named(proto, xtcp_ipproto, int, 0444);
MODULE_PARM_DESC(proto, "IP protocol number to use (default 253, RFC 3692 experimental)");

/**
 * xtcp_note_state() - count and trace one edge a connection took
 * @net: the connection's namespace
 * @from: the state it leaves
 * @to: the state it enters
 * @laddr: local address
 * @lport: local port
 * @raddr: remote address
 * @rport: remote port
 *
 * Sockets come here through xtcp_set_state(); requests and TIME_WAIT
 * entries, which are not sockets, call it where they begin and end.  An
 * edge the diagram does not have (core.c's table) is a bug in xtcp: it is
 * counted like the others, and warned about once, so that every test run
 * checks the state machine (the VM runner fails a run on a WARN).
 *
 * Context: any; the counters are atomic.
 */
void xtcp_note_state(struct net *net, int from, int to, __be32 laddr,
		     __be16 lport, __be32 raddr, __be16 rport)
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
	if (old == XTCP_LISTEN)
		xtcp_listen_stop(sk);
	/* pairs with inet_sk_state_load() in lockless readers (poll, /proc) */
	smp_store_release(&sk->sk_state, state);
	xtcp_sk(sk)->xs_state_since = jiffies;
	if (note)
		xtcp_note_state(sock_net(sk), old, state, inet->inet_rcv_saddr,
				inet->inet_sport, inet->inet_daddr,
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
 * transition matrix and the xtcp_set_state tracepoint cannot be bypassed.
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
 * For a socket whose connection lives on elsewhere: one that handed its
 * connection to a TIME_WAIT entry goes CLOSED this way, and the entry's
 * own end is the TIME_WAIT -> CLOSED edge (xtcp_note_state()).
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
	WARN_ON_ONCE(!hlist_unhashed(&xtcp_sk(sk)->xs_ehash_node));
	WARN_ON_ONCE(!hlist_unhashed(&xtcp_sk(sk)->xs_bind_node));
	WARN_ON_ONCE(!hlist_unhashed(&xtcp_sk(sk)->xs_listen_node));
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

static int xtcp_create(struct net *net, struct socket *sock, int protocol,
		       int kern)
{
	struct sock *sk;

	/* The same checks, in the same order, as inet_create(). */
	if (protocol < 0 || protocol >= IPPROTO_MAX)
		return -EINVAL;
	if (sock->type != SOCK_STREAM)
		return -ESOCKTNOSUPPORT;
	if (protocol && protocol != xtcp_ipproto)
		return -EPROTONOSUPPORT;

	sk = sk_alloc(net, xtcp_family, GFP_KERNEL, &xtcp_prot, kern);
	if (!sk)
		return -ENOBUFS;

	sock->state = SS_UNCONNECTED;
	sock->ops = &xtcp_stream_ops;
	/* SOL_SOCKET options through xtcp_setsockopt(): SO_REUSEPORT */
	xtcp_sock_custom_sockopt(sock);
	sock_init_data(sock, sk);
	xtcp_init_new_sock(sk);
	return 0;
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
	sk_sockets_allocated_inc(sk);
	xtcp_init_sock_state(sk);
	xtcp_sock_link(sk);
}

/* Not const: .family comes from the module parameter. */
static struct net_proto_family xtcp_family_ops __ro_after_init = {
	.create	= xtcp_create,
	.owner	= THIS_MODULE,
};

static int __init xtcp_init(void)
{
	int err;

	if (xtcp_family <= AF_UNSPEC || xtcp_family >= NPROTO) {
		pr_err("family=%d: must be 1..%d\n", xtcp_family, NPROTO - 1);
		return -EINVAL;
	}
	if (xtcp_ipproto <= 0 || xtcp_ipproto > 255) {
		pr_err("proto=%d: must be 1..255\n", xtcp_ipproto);
		return -EINVAL;
	}
	xtcp_family_ops.family = xtcp_family;
	xtcp_syncookies_init();

	err = xtcp_mem_init();
	if (err)
		return err;
	xtcp_mem_proto_init(&xtcp_prot);
	err = proto_register(&xtcp_prot, 1);
	if (err)
		goto out_mem;
	err = xtcp_tw_init();
	if (err)
		goto out_proto;
	err = xtcp_netns_init();
	if (err)
		goto out_tw;
	err = xtcp_mem_sysctl_init();
	if (err)
		goto out_netns;
	err = xtcp_ipv4_init();
	if (err)
		goto out_mem_sysctl;
	err = sock_register(&xtcp_family_ops);
	if (err) {
		pr_err("socket family %d is taken (%d): load with family=N\n",
		       xtcp_family, err);
		goto out_ipv4;
	}
	pr_info("family %d, IP protocol %d\n", xtcp_family, xtcp_ipproto);
	return 0;

out_ipv4:
	xtcp_ipv4_exit();
out_mem_sysctl:
	xtcp_mem_sysctl_exit();
out_netns:
	xtcp_netns_exit();
out_tw:
	xtcp_tw_exit();
out_proto:
	proto_unregister(&xtcp_prot);
out_mem:
	xtcp_mem_exit();
	return err;
}

static void __exit xtcp_exit(void)
{
	/*
	 * No new sockets; existing ones (closing orphans included) pin the
	 * module, so there are none.  TIME_WAIT entries do not: once the
	 * protocol handler is gone (no receiver can hold one), each
	 * namespace's exit frees its entries and stops its reaper.
	 */
	sock_unregister(xtcp_family);
	xtcp_ipv4_exit();
	xtcp_mem_sysctl_exit();
	xtcp_netns_exit();
	xtcp_tw_exit();
	proto_unregister(&xtcp_prot);
	xtcp_mem_exit();
}

module_init(xtcp_init);
module_exit(xtcp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("xtcp: an experimental TCP variant with its own socket family");
MODULE_AUTHOR("The xtcp developers");
MODULE_ALIAS_NETPROTO(AF_XTCP_DEFAULT);
