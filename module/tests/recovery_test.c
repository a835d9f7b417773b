// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: recovery.c, the SACK sender.  The peer offers SACK in its
 * SYN+ACK (t->peer_sack) and reports blocks (xkt_sack_segment()); the
 * cases check what xtcp resends, which counters move, and that the
 * scoreboard (sacked_bytes, lost_bytes, retrans_bytes) empties once
 * everything is acknowledged.  Timer-driven cases (the reorder timer,
 * the tail loss probe, the RTO) wait for what the timer sends or counts,
 * never for a time.
 */
#include <kunit/test.h>

#include "harness.h"

#define XKT_MSS		1460

static u8 xkt_buf[3 * XKT_MSS];

/* Established, SACK agreed, @segs full segments written and taken. */
static void sack_established_sent(struct xkt *t, unsigned int segs)
{
	t->peer_sack = true;
	xkt_established(t);
	KUNIT_ASSERT_TRUE(t->test, xtcp_sk(t->sock->sk)->sack_ok);
	KUNIT_ASSERT_EQ(t->test, xkt_write(t, xkt_buf, segs * XKT_MSS),
			segs * XKT_MSS);
	KUNIT_ASSERT_EQ(t->test,
			xkt_take_data(t, t->snd, segs * XKT_MSS, XKT_MSS),
			segs * XKT_MSS);
}

/*
 * The next data xtcp sends, waiting for a timer to send it if need be;
 * pure ACKs are skipped.  False if none came.
 */
static bool next_data(struct xkt *t, struct xtcp_seg *seg, unsigned int *len)
{
	for (;;) {
		if (skb_queue_empty_lockless(&t->wire) && !xkt_wait(t))
			return false;
		if (xkt_next(t, seg, len) && *len)
			return true;
	}
}

/*
 * The next data other than a tail loss probe of the segment at
 * @probe_seq: the probe's timer fires first when this thread is held up
 * past it (a loaded machine).  False if none came.
 */
static bool next_data_but_probe(struct xkt *t, u32 probe_seq,
				struct xtcp_seg *seg, unsigned int *len)
{
	while (next_data(t, seg, len))
		if (seg->seq != probe_seq)
			return true;
	return false;
}

/* The peer's ACK of @ack with one SACK block: segments [@first, @end). */
static struct sk_buff *sack_of(struct xkt *t, u32 ack, unsigned int first,
			       unsigned int end)
{
	struct xtcp_sack_block blk = {
		.start = t->snd + first * XKT_MSS,
		.end = t->snd + end * XKT_MSS,
	};

	return xkt_sack_segment(t, ack, &blk, 1);
}

/* The peer acknowledges everything: the scoreboard is empty after. */
static void ack_all(struct xkt *t, u32 end)
{
	struct xtcp_sock *xs = xtcp_sk(t->sock->sk);

	xkt_send(t, XTCP_ACK, t->peer_seq, end, NULL, 0);
	KUNIT_EXPECT_EQ(t->test, READ_ONCE(xs->snd_una), end);
	KUNIT_EXPECT_EQ(t->test, READ_ONCE(xs->sacked_bytes), 0);
	KUNIT_EXPECT_EQ(t->test, READ_ONCE(xs->lost_bytes), 0);
	KUNIT_EXPECT_EQ(t->test, READ_ONCE(xs->retrans_bytes), 0);
}

/*
 * A SACK block over the last two segments of a run of three (the initial
 * window): the run is cut at the block's edge, RACK finds the first lost
 * (at once, or when its reorder timer fires), fast recovery starts and
 * exactly that segment is sent again -- not the SACKed ones, and not by
 * the retransmission timer.
 */
static void sack_hole_resent(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long rec = xkt_mib(t, XTCP_MIB_SACK_RECOVERY);
	long rto = xkt_mib(t, XTCP_MIB_RTO_EXPIRED);
	struct xtcp_seg seg;
	unsigned int len;

	sack_established_sent(t, 3);
	xkt_deliver(t, sack_of(t, t->snd, 1, 3));
	KUNIT_ASSERT_TRUE(test, next_data_but_probe(t, t->snd + 2 * XKT_MSS,
						    &seg, &len));
	KUNIT_EXPECT_EQ(test, seg.seq, t->snd);
	KUNIT_EXPECT_EQ(test, len, XKT_MSS);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_SACK_RECOVERY), rec + 1);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_RTO_EXPIRED), rto);
	ack_all(t, t->snd + 3 * XKT_MSS);
	xkt_expect_quiet(t);
}

/*
 * A D-SACK: the peer reports a segment it already acknowledged as
 * received twice.  Counted (DSackRecv), nothing is resent, nothing
 * marked.
 */
static void dsack_counted(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long dsack = xkt_mib(t, XTCP_MIB_DSACK_RECV);

	sack_established_sent(t, 1);
	ack_all(t, t->snd + XKT_MSS);
	xkt_deliver(t, sack_of(t, t->snd + XKT_MSS, 0, 1));
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_DSACK_RECV), dsack + 1);
	KUNIT_EXPECT_EQ(test, READ_ONCE(xtcp_sk(t->sock->sk)->sacked_bytes), 0);
	xkt_expect_quiet(t);
}

/*
 * No ACK for the tail: the tail loss probe (RFC 8985 7.3) sends the last
 * segment again before the retransmission timer would, and counts it.
 */
static void tail_loss_probe(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long probes = xkt_mib(t, XTCP_MIB_TLP_PROBES);
	long rto = xkt_mib(t, XTCP_MIB_RTO_EXPIRED);
	struct xtcp_seg seg;
	unsigned int len;

	sack_established_sent(t, 2);
	KUNIT_ASSERT_TRUE(test, next_data(t, &seg, &len));
	KUNIT_EXPECT_EQ(test, seg.seq, t->snd + XKT_MSS);
	KUNIT_EXPECT_EQ(test, len, XKT_MSS);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_TLP_PROBES), probes + 1);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_RTO_EXPIRED), rto);
	ack_all(t, t->snd + 2 * XKT_MSS);
}

/*
 * The peer SACKs the oldest segment, then sends an ACK that still stops
 * before it: it threw the segment away (reneging, RFC 2018 8).  xtcp
 * drops every mark, takes everything unacknowledged for lost and sends
 * from SND.UNA again, without waiting for its timer.
 */
static void sack_reneging(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long reneging = xkt_mib(t, XTCP_MIB_SACK_RENEGING);
	long rto = xkt_mib(t, XTCP_MIB_RTO_EXPIRED);
	struct xtcp_seg seg;
	unsigned int len;

	sack_established_sent(t, 3);
	xkt_deliver(t, sack_of(t, t->snd, 0, 1));
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_SACK_RENEGING), reneging);
	xkt_send(t, XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_SACK_RENEGING), reneging + 1);
	KUNIT_ASSERT_TRUE(test, next_data_but_probe(t, t->snd + 2 * XKT_MSS,
						    &seg, &len));
	KUNIT_EXPECT_EQ(test, seg.seq, t->snd);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_RTO_EXPIRED), rto);
	KUNIT_EXPECT_EQ(test, READ_ONCE(xtcp_sk(t->sock->sk)->sacked_bytes), 0);
	ack_all(t, t->snd + 3 * XKT_MSS);
}

/*
 * A SACK block inside a run needs the run cut (xtcp_fragment(), one
 * allocation), the nth allocation failing: the block may go unmarked,
 * but the scoreboard stays consistent and the peer's ACK of everything
 * empties it.
 */
static void sack_alloc_failures(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	bool all_tried = false;
	unsigned int nth;

	for (nth = 1; nth <= XKT_MAX_NTH && !all_tried; nth++) {
		xkt_next_round(t, true);
		sack_established_sent(t, 3);
		all_tried = xkt_deliver_failing(t, sack_of(t, t->snd, 1, 3),
						nth);
		ack_all(t, t->snd + 3 * XKT_MSS);
	}
	KUNIT_EXPECT_TRUE(test, all_tried);
	KUNIT_EXPECT_GT(test, nth, 2);	/* at least one allocation failed */
}

static struct kunit_case xtcp_recovery_cases[] = {
	KUNIT_CASE(sack_hole_resent),
	KUNIT_CASE(dsack_counted),
	KUNIT_CASE(tail_loss_probe),
	KUNIT_CASE(sack_reneging),
	KUNIT_CASE(sack_alloc_failures),
	{}
};

static struct kunit_suite xtcp_recovery_suite = {
	.name = "xtcp_recovery",
	.init = xkt_init,
	.exit = xkt_exit,
	.test_cases = xtcp_recovery_cases,
};

kunit_test_suite(xtcp_recovery_suite);
