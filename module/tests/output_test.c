// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: output.c and the timers that send (timer.c, recovery.c's tail
 * loss probe): what leaves, how much, when the peer's window and ACKs
 * let it.  Timer tests wait for the segment a timer sends (xkt_wait()),
 * never for a time.
 */
#include <kunit/test.h>

#include "harness.h"

static u8 xkt_buf[8192];

/* A write goes out at once, in segments of the peer's MSS (1460). */
static void write_segments_at_mss(struct kunit *test)
{
	struct xkt *t = xkt_of(test);

	xkt_established(t);
	KUNIT_ASSERT_EQ(test, xkt_write(t, xkt_buf, 4000), 4000);
	KUNIT_EXPECT_EQ(test, xkt_take_data(t, t->snd, 4000, 1460), 4000);
	xkt_expect_quiet(t);
}

/* The peer's window bounds what is sent; its ACK opening it sends more. */
static void window_limits_send(struct kunit *test)
{
	struct xkt *t = xkt_of(test);

	t->peer_window = 1000;
	xkt_established(t);
	KUNIT_ASSERT_EQ(test, xkt_write(t, xkt_buf, 3000), 3000);
	KUNIT_EXPECT_EQ(test, xkt_take_data(t, t->snd, 3000, 1460), 1000);
	t->peer_window = 65535;
	xkt_send(t, XTCP_ACK, t->peer_seq, t->snd + 1000, NULL, 0);
	KUNIT_EXPECT_EQ(test, xkt_take_data(t, t->snd + 1000, 2000, 1460),
			2000);
}

/* A zero window: nothing is sent, a probe (a bare ACK below SND.UNA)
 * follows from the timer, and the window's opening sends the data.
 */
static void zero_window_probe(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long probes = xkt_mib(t, XTCP_MIB_WIN_PROBES);
	struct xtcp_seg seg;
	unsigned int len;

	xkt_established(t);
	t->peer_window = 0;
	xkt_send(t, XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	KUNIT_ASSERT_EQ(test, xkt_write(t, xkt_buf, 100), 100);
	xkt_expect_quiet(t);
	KUNIT_ASSERT_TRUE(test, xkt_wait(t));
	KUNIT_ASSERT_TRUE(test, xkt_next(t, &seg, &len));
	KUNIT_EXPECT_EQ(test, seg.flags, XTCP_ACK);
	KUNIT_EXPECT_EQ(test, seg.seq, t->snd - 1);
	KUNIT_EXPECT_EQ(test, len, 0);
	KUNIT_EXPECT_GT(test, xkt_mib(t, XTCP_MIB_WIN_PROBES), probes);
	t->peer_window = 65535;
	xkt_send(t, XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	KUNIT_EXPECT_EQ(test, xkt_take_data(t, t->snd, 100, 1460), 100);
}

/* Unacknowledged data is sent again (a tail loss probe or the RTO) from
 * the same sequence number; the ACK empties the write queue.
 */
static void unacked_data_resent(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	struct xtcp_seg seg;
	unsigned int len;

	xkt_established(t);
	KUNIT_ASSERT_EQ(test, xkt_write(t, xkt_buf, 100), 100);
	KUNIT_EXPECT_EQ(test, xkt_take_data(t, t->snd, 100, 1460), 100);
	KUNIT_ASSERT_TRUE(test, xkt_wait(t));
	KUNIT_ASSERT_TRUE(test, xkt_next(t, &seg, &len));
	KUNIT_EXPECT_EQ(test, seg.seq, t->snd);
	KUNIT_EXPECT_EQ(test, len, 100);
	xkt_send(t, XTCP_ACK, t->peer_seq, t->snd + 100, NULL, 0);
	KUNIT_EXPECT_EQ(test, xtcp_sk(t->sock->sk)->snd_una, t->snd + 100);
	KUNIT_EXPECT_TRUE(test, skb_queue_empty_lockless(&t->sock->sk->sk_write_queue));
}

/* SYN_SENT: no answer, the SYN is sent again, the same. */
static void syn_resent(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long before = xkt_mib(t, XTCP_MIB_RETRANS_SEGS);
	struct xtcp_seg seg;

	xkt_connect(t);
	KUNIT_ASSERT_TRUE(test, xkt_wait(t));
	KUNIT_ASSERT_TRUE(test, xkt_next(t, &seg, NULL));
	KUNIT_EXPECT_EQ(test, seg.flags, XTCP_SYN);
	KUNIT_EXPECT_EQ(test, seg.seq, t->iss);
	KUNIT_EXPECT_GT(test, xkt_mib(t, XTCP_MIB_RETRANS_SEGS), before);
}

/* Nagle: a short write waits while an earlier short one is unacked. */
static void nagle_holds_short_write(struct kunit *test)
{
	struct xkt *t = xkt_of(test);

	xkt_established(t);
	KUNIT_ASSERT_EQ(test, xkt_write(t, xkt_buf, 10), 10);
	KUNIT_EXPECT_EQ(test, xkt_take_data(t, t->snd, 10, 1460), 10);
	KUNIT_ASSERT_EQ(test, xkt_write(t, xkt_buf, 10), 10);
	xkt_expect_quiet(t);
	xkt_send(t, XTCP_ACK, t->peer_seq, t->snd + 10, NULL, 0);
	KUNIT_EXPECT_EQ(test, xkt_take_data(t, t->snd + 10, 10, 1460), 10);
}

/* Three duplicate ACKs resend the first unacknowledged segment at once
 * (RFC 5681 3.2), without waiting for a timer.  Three segments: the
 * initial window (RFC 3390).
 */
static void three_dupacks_fast_retransmit(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long before = xkt_mib(t, XTCP_MIB_FAST_RETRANS);
	struct xtcp_seg seg;
	unsigned int len;
	int i;

	xkt_established(t);
	KUNIT_ASSERT_EQ(test, xkt_write(t, xkt_buf, 3 * 1460), 3 * 1460);
	KUNIT_EXPECT_EQ(test, xkt_take_data(t, t->snd, 3 * 1460, 1460),
			3 * 1460);
	for (i = 0; i < 3; i++)
		xkt_send(t, XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	KUNIT_ASSERT_TRUE(test, xkt_next(t, &seg, &len));
	KUNIT_EXPECT_EQ(test, seg.seq, t->snd);
	KUNIT_EXPECT_EQ(test, len, 1460);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_FAST_RETRANS), before + 1);
}

/*
 * A bare ACK carries a sequence number inside the peer's window: with
 * SND.MAX beyond a window the peer has since shrunk, the ACK carries the
 * window's right edge, as Linux's tcp_acceptable_seq() does; one beyond
 * it would be refused, acknowledgment and all.
 */
static void ack_seq_within_peer_window(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	static const char data[10] = "0123456789";

	xkt_established(t);
	KUNIT_ASSERT_EQ(test, xkt_write(t, xkt_buf, 1000), 1000);
	KUNIT_ASSERT_EQ(test, xkt_take_data(t, t->snd, 1000, 1460), 1000);
	t->peer_window = 400;
	KUNIT_ASSERT_EQ(test, xkt_setsockopt(t, SOL_TCP, TCP_QUICKACK, 1), 0);
	xkt_send(t, XTCP_ACK | XTCP_PSH, t->peer_seq, t->snd, data,
		 sizeof(data));
	t->peer_seq += sizeof(data);
	xkt_expect_ack(t, t->peer_seq);
	KUNIT_EXPECT_EQ(test, t->last.seq, t->snd + 400);
}

static struct kunit_case xtcp_output_cases[] = {
	KUNIT_CASE(write_segments_at_mss),
	KUNIT_CASE(window_limits_send),
	KUNIT_CASE(zero_window_probe),
	KUNIT_CASE(unacked_data_resent),
	KUNIT_CASE(syn_resent),
	KUNIT_CASE(nagle_holds_short_write),
	KUNIT_CASE(three_dupacks_fast_retransmit),
	KUNIT_CASE(ack_seq_within_peer_window),
	{}
};

static struct kunit_suite xtcp_output_suite = {
	.name = "xtcp_output",
	.init = xkt_init,
	.exit = xkt_exit,
	.test_cases = xtcp_output_cases,
};

kunit_test_suite(xtcp_output_suite);
