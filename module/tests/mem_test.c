// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: mem.c, the orphans' bound.  A socket its owner closes while its
 * FIN is still unacknowledged lives on as an orphan; beyond
 * net.xtcp.max_orphans the close resets the connection instead
 * (AbortOnMemory), as TCP's tcp_check_oom() does.  A case changes the
 * machine-wide sysctl (xkt_sysctl_set()); xkt_exit() puts it back.
 */
#include <kunit/test.h>

#include "harness.h"

#define XKT_MAX_ORPHANS	"/proc/sys/net/xtcp/max_orphans"

/* The owner closes an established connection: our FIN leaves first. */
static void close_established(struct xkt *t)
{
	struct xtcp_seg seg;

	xkt_established(t);
	sock_release(t->sock);
	t->sock = NULL;
	xkt_expect(t, XTCP_FIN | XTCP_ACK, &seg, NULL);
	KUNIT_EXPECT_EQ(t->test, seg.seq, t->snd);
}

/* Within the bound: the orphan lives on in FIN_WAIT_1, nothing more sent. */
static void orphan_within_bound_lives(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long aborts = xkt_mib(t, XTCP_MIB_ABORT_ON_MEMORY);

	KUNIT_ASSERT_EQ(test, xkt_sysctl_set(t, XKT_MAX_ORPHANS, "1000"), 0);
	close_established(t);
	xkt_expect_quiet(t);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_ABORT_ON_MEMORY), aborts);
	/* the peer's ACK and FIN end it as usual: TIME_WAIT */
	xkt_send(t, XTCP_FIN | XTCP_ACK, t->peer_seq, t->snd + 1, NULL, 0);
	t->peer_seq++;
	xkt_expect_ack(t, t->peer_seq);
}

/* max_orphans 0: the close resets the connection after its FIN. */
static void orphan_beyond_bound_reset(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long aborts = xkt_mib(t, XTCP_MIB_ABORT_ON_MEMORY);
	struct xtcp_seg seg;

	KUNIT_ASSERT_EQ(test, xkt_sysctl_set(t, XKT_MAX_ORPHANS, "0"), 0);
	close_established(t);
	xkt_expect(t, XTCP_RST | XTCP_ACK, &seg, NULL);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_ABORT_ON_MEMORY), aborts + 1);
	/* nothing is left to answer the peer: its FIN finds no connection */
	xkt_send(t, XTCP_FIN | XTCP_ACK, t->peer_seq, t->snd + 1, NULL, 0);
	xkt_expect(t, XTCP_RST, &seg, NULL);
}

static struct kunit_case xtcp_mem_cases[] = {
	KUNIT_CASE(orphan_within_bound_lives),
	KUNIT_CASE(orphan_beyond_bound_reset),
	{}
};

static struct kunit_suite xtcp_mem_suite = {
	.name = "xtcp_mem",
	.init = xkt_init,
	.exit = xkt_exit,
	.test_cases = xtcp_mem_cases,
};

kunit_test_suite(xtcp_mem_suite);
