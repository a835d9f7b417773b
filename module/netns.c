// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: per-network-namespace state.
 *
 * Every namespace gets a struct xtcp_net (through pernet_operations' id and
 * size, so the core allocates and frees it) holding the namespace's socket
 * list, its counters and its /proc/net files.
 */
#define pr_fmt(fmt) "xtcp: " fmt

#include <net/ip.h>

#include "xtcp.h"
#include "trace.h"

unsigned int xtcp_net_id __read_mostly;
XTCP_EXPORT_IF_KUNIT(xtcp_net_id);

/**
 * xtcp_sock_link() - add a new socket to its namespace's list
 * @sk: the socket, not yet visible anywhere else
 *
 * The socket gets the namespace's next row id and goes to the head of its
 * bucket, so every bucket stays in decreasing id order (proc.c relies on
 * it to resume a reading).
 *
 * Context: process context; takes xtcp_net.lock with BH disabled.
 */
void xtcp_sock_link(struct sock *sk)
{
	struct xtcp_net *xn = xtcp_pernet(sock_net(sk));
	struct xtcp_sock *xs = xtcp_sk(sk);

	spin_lock_bh(&xn->lock);
	xs->xs_id = ++xn->row_id;
	hlist_add_head(&xs->xs_node,
		       &xn->socks[xs->xs_id & (XTCP_SOCK_BUCKETS - 1)]);
	spin_unlock_bh(&xn->lock);
	atomic_long_inc(&xn->mib[XTCP_MIB_CURR_SOCKS]);
}

/**
 * xtcp_sock_unlink() - remove a socket from its namespace's list
 * @sk: a socket added by xtcp_sock_link()
 *
 * Context: process context; takes xtcp_net.lock with BH disabled.
 */
void xtcp_sock_unlink(struct sock *sk)
{
	struct xtcp_net *xn = xtcp_pernet(sock_net(sk));

	spin_lock_bh(&xn->lock);
	hlist_del_init(&xtcp_sk(sk)->xs_node);
	spin_unlock_bh(&xn->lock);
	atomic_long_dec(&xn->mib[XTCP_MIB_CURR_SOCKS]);
}

static int __net_init xtcp_net_init(struct net *net)
{
	struct xtcp_net *xn = xtcp_pernet(net);
	int i, err;

	spin_lock_init(&xn->lock);
	xn->row_id = 0;
	for (i = 0; i < XTCP_SOCK_BUCKETS; i++)
		INIT_HLIST_HEAD(&xn->socks[i]);
	err = xtcp_hash_net_init(xn, net);
	if (err)
		return err;
	xn->net = net;
	xtcp_tw_net_init(xn);
	for (i = 0; i < XTCP_MIB_MAX; i++)
		atomic_long_set(&xn->mib[i], 0);
	err = xtcp_sysctl_init_net(net);
	if (err)
		goto out_hash;
	err = xtcp_proc_init_net(net);
	if (err)
		goto out_sysctl;
	return 0;

out_sysctl:
	xtcp_sysctl_exit_net(net);
out_hash:
	xtcp_hash_net_exit(xn);
	return err;
}

static void __net_exit xtcp_net_exit(struct net *net)
{
	struct xtcp_net *xn = xtcp_pernet(net);
	int i;

	xtcp_proc_exit_net(net);
	/*
	 * A socket holds a reference on its namespace (sk_alloc with kern=0),
	 * so user sockets are gone before we run; kernel sockets are not
	 * created by xtcp.  TIME_WAIT entries hold none: free them here.
	 */
	for (i = 0; i < XTCP_SOCK_BUCKETS; i++)
		WARN_ON_ONCE(!hlist_empty(&xn->socks[i]));
	xtcp_tw_purge(net);
	xtcp_sysctl_exit_net(net);
	xtcp_hash_net_exit(xn);
}

static struct pernet_operations xtcp_net_ops = {
	.init	= xtcp_net_init,
	.exit	= xtcp_net_exit,
	.id	= &xtcp_net_id,
	.size	= sizeof(struct xtcp_net),
};

/**
 * xtcp_netns_init() - register xtcp's per-namespace state
 *
 * Runs xtcp_net_init() for every existing namespace and every later one.
 *
 * Return: 0 or a negative errno.
 */
int xtcp_netns_init(void)
{
	xtcp_hash_init();
	return register_pernet_subsys(&xtcp_net_ops);
}

/**
 * xtcp_netns_exit() - tear down every namespace's xtcp state
 */
void xtcp_netns_exit(void)
{
	unregister_pernet_subsys(&xtcp_net_ops);
}
