// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: per-namespace tunables under /proc/sys/net/xtcp.
 *
 *   msl_ms          maximum segment lifetime, ms (1..600000, default 30000):
 *                   TIME_WAIT lasts 2 * msl_ms, counted from when it began
 *                   or last restarted, with the value the reaper sees, so a
 *                   change applies to the entries already waiting
 *   max_tw_buckets  most TIME_WAIT entries (0..16777216, default 262144);
 *                   beyond it a connection ends without TIME_WAIT
 *                   (TimeWaitOverflow), as Linux's tcp_max_tw_buckets
 *   fin_timeout_ms  how long an orphan waits in FIN_WAIT_2, ms (1..120000,
 *                   default 60000), as Linux's tcp_fin_timeout; the
 *                   XTCP_LINGER2 socket option overrides it per socket
 *   fin_ack_merge   0 (default): the peer's FIN is ACKed at once.  1: that
 *                   ACK waits up to 200 ms, and if the owner closes
 *                   meanwhile our FIN carries it (a three-segment close)
 *   syn_retries     SYNs resent before connect() fails with ETIMEDOUT
 *                   (1..127, default 6, as tcp_syn_retries); sockets
 *                   created later; XTCP_SYNCNT overrides per socket
 *   synack_retries  SYN+ACKs resent before a request in SYN_RCVD is
 *                   dropped (1..127, default 5, as tcp_synack_retries)
 *   retries2        retransmission timeouts of the same data before the
 *                   connection ends with ETIMEDOUT (1..127, default 15, as
 *                   tcp_retries2); XTCP_USER_TIMEOUT overrides per socket
 *   keepalive_time_s   idle seconds before the first keepalive probe
 *                   (1..32767, default 7200)
 *   keepalive_intvl_s  seconds between probes (1..32767, default 75)
 *   keepalive_probes   unanswered probes before the connection ends
 *                   (1..127, default 9); these three apply to sockets
 *                   created later, XTCP_KEEP* override per socket
 *   max_syn_backlog most requests in SYN_RCVD per listener (1..65535,
 *                   default 256; also at most twice the listen() backlog,
 *                   and at least 16)
 *   rmem_default    receive buffer of a new socket, bytes (4096..
 *                   268435456, default 128 KiB as tcp_rmem[1]); SO_RCVBUF
 *                   overrides
 *   wmem_default    send buffer of a new socket, bytes (4096..268435456,
 *                   default 16 KiB as tcp_wmem[1]); SO_SNDBUF overrides
 *   rmem_max        autotuning grows a receive buffer to at most this
 *                   (4096..268435456, default 6 MiB as tcp_rmem[2]); it
 *                   also sizes the window scale of new connections
 *   wmem_max        autotuning grows a send buffer to at most this
 *                   (4096..268435456, default 4 MiB as tcp_wmem[2]).
 *                   In a namespace other than the initial one these four
 *                   may be lowered but never raised above the initial
 *                   namespace's values (EINVAL): whoever owns a namespace
 *                   must not outgrow what the machine's administrator
 *                   allows
 *   orphan_retries  retransmission timeouts an orphan (a socket its
 *                   program closed) waits before it ends (0..127; 0, the
 *                   default, means 8, as tcp_orphan_retries)
 *   syncookies      SYN cookies (RFC 4987, syncookies.c), as Linux's
 *                   tcp_syncookies (0..2, default 1): 0 never (a SYN
 *                   beyond the SYN queue is dropped, and no ACK is taken
 *                   as a cookie), 1 when a listener's SYN queue is full
 *                   (max_syn_backlog or the listen() bound), 2 for every
 *                   SYN: no request is kept, the ACK rebuilds the
 *                   connection from the cookie it returns
 *   gso             1 (default): a run of full segments the windows let
 *                   go together leaves as one GSO skb, cut at the device
 *                   or in software before it (offload.c); 0: every
 *                   segment its own skb.  Runs are never built while the
 *                   namespace has fault-injection rules
 *   sack            1 (default): offer SACK (RFC 2018) in our SYNs and
 *                   accept it in the peer's, as Linux's tcp_sack; a
 *                   connection that has it reports out-of-order data in
 *                   SACK blocks and resends only what RACK (RFC 8985)
 *                   finds lost (recovery.c); 0: cumulative ACKs only,
 *                   NewReno's recovery and go-back-N after a timeout
 *   timestamps      1 (default): offer timestamps (RFC 7323) in our SYNs
 *                   and accept them in the peer's, as Linux's
 *                   tcp_timestamps; a connection that has them sends
 *                   them on every segment, takes an RTT sample from
 *                   every ACK (resends too), drops old duplicates by
 *                   PAWS, and a SYN may reopen its TIME_WAIT tuple by
 *                   timestamp (RFC 6191); 0: none
 *   congestion_control  the congestion control algorithm of sockets
 *                   created later ("cubic", the default, or "reno"), as
 *                   Linux's tcp_congestion_control; an unknown name is
 *                   refused with ENOENT.  TCP_CONGESTION overrides per
 *                   socket, and a listener's choice passes to its
 *                   connections
 *   available_congestion_control  read-only: the names it takes
 *   ehash_entries   read-only: chains of the namespace's connection table
 *                   (and TIME_WAIT table), fixed when it was made: the
 *                   module parameters ehash_entries (initial namespace)
 *                   and child_ehash_entries (the others), hash.c
 *
 * The machine-wide budget, net.xtcp.mem and net.xtcp.max_orphans, is in
 * mem.c and exists in the initial namespace only.
 *
 * Ephemeral ports come from net.ipv4.ip_local_port_range, shared with
 * TCP and UDP as in Linux; xtcp has no range of its own.
 *
 * Every namespace starts from the defaults (buffer sizes no larger than
 * the initial namespace's).  Values out of range are refused with EINVAL.
 * Readers use READ_ONCE(); no lock.
 */
#define pr_fmt(fmt) "xtcp: " fmt

#include <linux/slab.h>
#include <linux/sysctl.h>

#include "xtcp.h"

static int msl_max = 600000;
static int tw_buckets_max = 16777216;
static int fin_timeout_max = 120000;
static int retries_max = 127;
static int keepalive_max = 32767;
static int syn_backlog_max = 65535;
static int buf_min = 4096;
static int buf_max = 256 << 20;

static const struct xtcp_sysctl xtcp_sysctl_defaults = {
	.msl_ms			= 30000,
	.max_tw_buckets		= 262144,
	.fin_timeout_ms		= 60000,
	.fin_ack_merge		= 0,
	.syn_retries		= 6,
	.synack_retries		= 5,
	.retries2		= 15,
	.keepalive_time_s	= 7200,
	.keepalive_intvl_s	= 75,
	.keepalive_probes	= 9,
	.max_syn_backlog	= 256,
	.rmem_default		= 128 << 10,
	.wmem_default		= 16 << 10,
	.rmem_max		= 6 << 20,
	.wmem_max		= 4 << 20,
	.orphan_retries		= 0,
	.syncookies		= 1,
	.gso			= 1,
	.sack			= 1,
	.timestamps		= 1,
	.congestion_control	= XTCP_CC_DEFAULT,
};

/*
 * An int in struct xtcp_sysctl, within [*lo, *hi].  .data holds the
 * field's offset in the template and its address in a namespace's copy.
 */
#define XTCP_SYSCTL_INT(name, lo, hi) {					\
	.procname	= #name,					\
	.data		= (void *)offsetof(struct xtcp_sysctl, name),	\
	.maxlen		= sizeof(int),					\
	.mode		= 0644,						\
	.proc_handler	= proc_dointvec_minmax,				\
	.extra1		= (lo),						\
	.extra2		= (hi),						\
}

/*
 * congestion_control: the algorithm is kept as a pointer into cc.c's
 * table, read and written as its name (proc_tcp_congestion_control()'s
 * way); one pointer store, so readers need no lock.
 */
static int xtcp_sysctl_cc(XTCP_CTL_TABLE *table, int write, void *buffer,
			  size_t *lenp, loff_t *ppos)
{
	const struct xtcp_cc_algo **slot = table->data;
	char name[XTCP_CC_NAME_MAX];
	struct ctl_table tmp = { .data = name, .maxlen = sizeof(name) };
	const struct xtcp_cc_algo *algo;
	int err;

	strscpy(name, READ_ONCE(*slot)->name, sizeof(name));
	err = proc_dostring(&tmp, write, buffer, lenp, ppos);
	if (err || !write)
		return err;
	algo = xtcp_cc_find(name, sizeof(name));
	if (!algo)
		return -ENOENT;
	WRITE_ONCE(*slot, algo);
	return 0;
}

/* available_congestion_control: every name of cc.c's table, read-only. */
static int xtcp_sysctl_cc_avail(XTCP_CTL_TABLE *table, int write,
				void *buffer, size_t *lenp, loff_t *ppos)
{
	const struct xtcp_cc_algo *const *a;
	char names[XTCP_CC_NAME_MAX * 4] = "";
	struct ctl_table tmp = { .data = names, .maxlen = sizeof(names) };
	size_t off = 0;

	for (a = xtcp_cc_algos; *a; a++)
		off += scnprintf(names + off, sizeof(names) - off, "%s%s",
				 off ? " " : "", (*a)->name);
	return proc_dostring(&tmp, write, buffer, lenp, ppos);
}

/*
 * ehash_entries: the chains of the namespace's connection table, read-only,
 * derived from the table itself.  .data is the namespace's struct
 * xtcp_sysctl, which leads to its struct xtcp_net.
 */
static int xtcp_sysctl_ehash(XTCP_CTL_TABLE *table, int write, void *buffer,
			     size_t *lenp, loff_t *ppos)
{
	const struct xtcp_net *xn = container_of(table->data, struct xtcp_net,
						 sysctl);
	int n = xn->ehash_mask + 1;
	struct ctl_table tmp = { .data = &n, .maxlen = sizeof(n) };

	return proc_dointvec(&tmp, write, buffer, lenp, ppos);
}

/* The last entry ends the table on 6.1. */
static const struct ctl_table xtcp_sysctl_template[] = {
	XTCP_SYSCTL_INT(msl_ms, SYSCTL_ONE, &msl_max),
	XTCP_SYSCTL_INT(max_tw_buckets, SYSCTL_ZERO, &tw_buckets_max),
	XTCP_SYSCTL_INT(fin_timeout_ms, SYSCTL_ONE, &fin_timeout_max),
	XTCP_SYSCTL_INT(fin_ack_merge, SYSCTL_ZERO, SYSCTL_ONE),
	XTCP_SYSCTL_INT(syn_retries, SYSCTL_ONE, &retries_max),
	XTCP_SYSCTL_INT(synack_retries, SYSCTL_ONE, &retries_max),
	XTCP_SYSCTL_INT(retries2, SYSCTL_ONE, &retries_max),
	XTCP_SYSCTL_INT(keepalive_time_s, SYSCTL_ONE, &keepalive_max),
	XTCP_SYSCTL_INT(keepalive_intvl_s, SYSCTL_ONE, &keepalive_max),
	XTCP_SYSCTL_INT(keepalive_probes, SYSCTL_ONE, &retries_max),
	XTCP_SYSCTL_INT(max_syn_backlog, SYSCTL_ONE, &syn_backlog_max),
	XTCP_SYSCTL_INT(rmem_default, &buf_min, &buf_max),
	XTCP_SYSCTL_INT(wmem_default, &buf_min, &buf_max),
	XTCP_SYSCTL_INT(rmem_max, &buf_min, &buf_max),
	XTCP_SYSCTL_INT(wmem_max, &buf_min, &buf_max),
	XTCP_SYSCTL_INT(orphan_retries, SYSCTL_ZERO, &retries_max),
	XTCP_SYSCTL_INT(syncookies, SYSCTL_ZERO, SYSCTL_TWO),
	XTCP_SYSCTL_INT(gso, SYSCTL_ZERO, SYSCTL_ONE),
	XTCP_SYSCTL_INT(sack, SYSCTL_ZERO, SYSCTL_ONE),
	XTCP_SYSCTL_INT(timestamps, SYSCTL_ZERO, SYSCTL_ONE),
	{
		.procname	= "congestion_control",
		.data		= (void *)offsetof(struct xtcp_sysctl,
						   congestion_control),
		.maxlen		= XTCP_CC_NAME_MAX,
		.mode		= 0644,
		.proc_handler	= xtcp_sysctl_cc,
	},
	{
		.procname	= "available_congestion_control",
		.data		= (void *)offsetof(struct xtcp_sysctl,
						   congestion_control),
		.maxlen		= XTCP_CC_NAME_MAX * 4,
		.mode		= 0444,
		.proc_handler	= xtcp_sysctl_cc_avail,
	},
	{
		.procname	= "ehash_entries",
		.data		= (void *)0,
		.maxlen		= sizeof(int),
		.mode		= 0444,
		.proc_handler	= xtcp_sysctl_ehash,
	},
	{ }
};

/* The four buffer sizes, bounded in a namespace by the initial one's. */
static bool xtcp_sysctl_is_buffer(size_t off)
{
	return off == offsetof(struct xtcp_sysctl, rmem_default) ||
	       off == offsetof(struct xtcp_sysctl, wmem_default) ||
	       off == offsetof(struct xtcp_sysctl, rmem_max) ||
	       off == offsetof(struct xtcp_sysctl, wmem_max);
}

/**
 * xtcp_sysctl_init_net() - a namespace's tunables, at their defaults
 * @net: the namespace being set up
 *
 * Return: 0 or -ENOMEM.
 */
int xtcp_sysctl_init_net(struct net *net)
{
	struct xtcp_net *xn = xtcp_pernet(net);
	struct ctl_table *tbl;
	int i;

	xn->sysctl = xtcp_sysctl_defaults;
	tbl = kmemdup(xtcp_sysctl_template, sizeof(xtcp_sysctl_template),
		      GFP_KERNEL);
	if (!tbl)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(xtcp_sysctl_template) - 1; i++)
		tbl[i].data = (char *)&xn->sysctl + (uintptr_t)tbl[i].data;
	if (!net_eq(net, &init_net)) {
		/*
		 * The initial namespace's buffer sizes bound this one's: its
		 * live values are the ceiling (read at each write), and the
		 * starting point when they are lower than the defaults.
		 */
		const struct xtcp_sysctl *top = xtcp_sysctl(&init_net);

		for (i = 0; i < ARRAY_SIZE(xtcp_sysctl_template) - 1; i++) {
			size_t off = (uintptr_t)xtcp_sysctl_template[i].data;
			int *mine = (int *)tbl[i].data;
			const int *cap = (const int *)((const char *)top + off);

			if (!xtcp_sysctl_is_buffer(off))
				continue;
			*mine = min(*mine, READ_ONCE(*cap));
			tbl[i].extra2 = (void *)cap;
		}
	}
	xn->sysctl_hdr = xtcp_register_net_sysctl(net, "net/xtcp", tbl,
						  ARRAY_SIZE(xtcp_sysctl_template) - 1);
	if (!xn->sysctl_hdr) {
		kfree(tbl);
		return -ENOMEM;
	}
	xn->sysctl_table = tbl;
	return 0;
}

/**
 * xtcp_sysctl_exit_net() - remove a namespace's tunables
 * @net: the namespace going away
 */
void xtcp_sysctl_exit_net(struct net *net)
{
	struct xtcp_net *xn = xtcp_pernet(net);

	unregister_net_sysctl_table(xn->sysctl_hdr);
	kfree(xn->sysctl_table);
	xn->sysctl_hdr = NULL;
	xn->sysctl_table = NULL;
}
