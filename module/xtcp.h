/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xtcp: definitions shared by the module's files.
 *
 * File map (one concern a file, after net/dccp):
 *   af_xtcp.c  module init/exit, parameters, socket family, proto_ops
 *   ipv4.c     the IP protocol handler: receive entry point, validation
 *   proc.c     /proc/net/xtcp and /proc/net/xtcp_stat
 *   netns.c    per-network-namespace state
 *   core.c     wire format, checksum, sequence arithmetic, state table
 *              (kernel-free, also built into the user-space unit tests)
 *   compat.h   the differences between the kernels xtcp supports
 */
#ifndef _XTCP_H
#define _XTCP_H

#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <net/inet_connection_sock.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include "core.h"
#include "compat.h"

/* Module parameters, fixed for the module's lifetime (af_xtcp.c). */
extern int xtcp_family;
extern int xtcp_ipproto;

/**
 * struct xtcp_sock - an xtcp socket
 * @xs_icsk: the inet connection socket this one extends; must come first
 * @xs_node: link in the namespace's socket list (struct xtcp_net.socks)
 * @xs_state_since: jiffies when sk_state last changed
 */
struct xtcp_sock {
	struct inet_connection_sock xs_icsk;
	struct hlist_node xs_node;
	unsigned long xs_state_since;
};

static inline struct xtcp_sock *xtcp_sk(const struct sock *sk)
{
	return (struct xtcp_sock *)sk;
}

/*
 * Counters, per namespace.  Names live in proc.c's table, in this order.
 * They are bumped in softirq (receive) and process context without a lock:
 * each is an atomic_long_t.
 */
enum xtcp_mib {
	XTCP_MIB_IN_SEGS,		/* segments handed to us by IP */
	XTCP_MIB_IN_HDR_ERRS,		/* failed xtcp_parse() */
	XTCP_MIB_IN_CSUM_ERRS,		/* bad checksum */
	XTCP_MIB_NO_SOCKET,		/* valid, but no socket to take it */
	XTCP_MIB_CURR_SOCKS,		/* sockets alive now (gauge) */
	XTCP_MIB_MAX
};

/**
 * struct xtcp_net - xtcp's per-network-namespace state
 * @lock: protects @socks; taken with BH disabled because the receive path
 *	(softirq) will walk the list
 * @socks: every xtcp socket of this namespace, newest first
 * @mib: counters, see enum xtcp_mib
 */
struct xtcp_net {
	spinlock_t lock;		/* protects socks */
	struct hlist_head socks;
	atomic_long_t mib[XTCP_MIB_MAX];
};

extern unsigned int xtcp_net_id;

static inline struct xtcp_net *xtcp_pernet(const struct net *net)
{
	return net_generic(net, xtcp_net_id);
}

static inline void xtcp_inc_stat(const struct net *net, enum xtcp_mib field)
{
	atomic_long_inc(&xtcp_pernet(net)->mib[field]);
}

void xtcp_set_state(struct sock *sk, int state);

/* netns.c */
int xtcp_netns_init(void);
void xtcp_netns_exit(void);
void xtcp_sock_link(struct sock *sk);
void xtcp_sock_unlink(struct sock *sk);

/* ipv4.c */
int xtcp_ipv4_init(void);
void xtcp_ipv4_exit(void);

/* proc.c */
int xtcp_proc_init_net(struct net *net);
void xtcp_proc_exit_net(struct net *net);
extern const char *const xtcp_mib_names[XTCP_MIB_MAX];

#endif /* _XTCP_H */
