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
 *
 * Every namespace starts from the defaults.  Values out of range are
 * refused with EINVAL.  Readers use READ_ONCE(); no lock.
 */
#define pr_fmt(fmt) "xtcp: " fmt

#include <linux/slab.h>
#include <linux/sysctl.h>

#include "xtcp.h"

static int msl_max = 600000;
static int tw_buckets_max = 16777216;
static int fin_timeout_max = 120000;

static const struct xtcp_sysctl xtcp_sysctl_defaults = {
	.msl_ms		= 30000,
	.max_tw_buckets	= 262144,
	.fin_timeout_ms	= 60000,
	.fin_ack_merge	= 0,
};

/* .data is set per namespace; the last entry ends the table on 6.1. */
static const struct ctl_table xtcp_sysctl_template[] = {
	{
		.procname	= "msl_ms",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ONE,
		.extra2		= &msl_max,
	},
	{
		.procname	= "max_tw_buckets",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= &tw_buckets_max,
	},
	{
		.procname	= "fin_timeout_ms",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ONE,
		.extra2		= &fin_timeout_max,
	},
	{
		.procname	= "fin_ack_merge",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},
	{ }
};

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

	xn->sysctl = xtcp_sysctl_defaults;
	tbl = kmemdup(xtcp_sysctl_template, sizeof(xtcp_sysctl_template),
		      GFP_KERNEL);
	if (!tbl)
		return -ENOMEM;
	tbl[0].data = &xn->sysctl.msl_ms;
	tbl[1].data = &xn->sysctl.max_tw_buckets;
	tbl[2].data = &xn->sysctl.fin_timeout_ms;
	tbl[3].data = &xn->sysctl.fin_ack_merge;
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
