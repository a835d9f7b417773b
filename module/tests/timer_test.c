// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: timer.c, the timers that end connections: keepalive, SYN
 * retries, XTCP_USER_TIMEOUT, an orphan's FIN_WAIT_2.  Options make them
 * short (a second); each test waits for what the timer does (a segment,
 * a state, a counter), at most a minute, never for a time.
 */
#include <kunit/test.h>

#include "harness.h"

/* Keepalive: an idle connection is probed (a bare ACK below SND.UNA);
 * the peer's answer keeps it.
 */
static void keepalive_probe_answered(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long probes = xkt_mib(t, XTCP_MIB_KEEPALIVE_PROBES);
	struct xtcp_seg seg;
	unsigned int len;

	xkt_established(t);
	KUNIT_ASSERT_EQ(test, xkt_setsockopt(t, xtcp_ipproto, XTCP_KEEPIDLE, 1), 0);
	KUNIT_ASSERT_EQ(test, xkt_setsockopt(t, xtcp_ipproto, XTCP_KEEPINTVL, 1), 0);
	KUNIT_ASSERT_EQ(test, xkt_setsockopt(t, SOL_SOCKET, SO_KEEPALIVE, 1), 0);
	KUNIT_ASSERT_TRUE(test, xkt_wait(t));
	KUNIT_ASSERT_TRUE(test, xkt_next(t, &seg, &len));
	KUNIT_EXPECT_EQ(test, seg.flags, XTCP_ACK);
	KUNIT_EXPECT_EQ(test, seg.seq, t->snd - 1);
	KUNIT_EXPECT_EQ(test, len, 0);
	KUNIT_EXPECT_GT(test, xkt_mib(t, XTCP_MIB_KEEPALIVE_PROBES), probes);
	xkt_send(t, XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_ESTABLISHED);
}

/* Keepalive: XTCP_KEEPCNT probes unanswered end the connection with
 * ETIMEDOUT.
 */
static void keepalive_unanswered_times_out(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long before = xkt_mib(t, XTCP_MIB_KEEPALIVE_TIMEOUTS);

	xkt_established(t);
	KUNIT_ASSERT_EQ(test, xkt_setsockopt(t, xtcp_ipproto, XTCP_KEEPIDLE, 1), 0);
	KUNIT_ASSERT_EQ(test, xkt_setsockopt(t, xtcp_ipproto, XTCP_KEEPINTVL, 1), 0);
	KUNIT_ASSERT_EQ(test, xkt_setsockopt(t, xtcp_ipproto, XTCP_KEEPCNT, 1), 0);
	KUNIT_ASSERT_EQ(test, xkt_setsockopt(t, SOL_SOCKET, SO_KEEPALIVE, 1), 0);
	KUNIT_ASSERT_TRUE(test, xkt_wait_state(t, XTCP_CLOSE));
	KUNIT_EXPECT_EQ(test, sock_error(t->sock->sk), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_KEEPALIVE_TIMEOUTS),
			before + 1);
}

/* XTCP_KEEPIDLE changed while the timer runs counts from the last
 * segment received, as TCP_KEEPIDLE does: idle for 100 s, a new idle
 * time of 1000 s is due in 900; one of 50 s is due at once (a probe).
 */
static void keepidle_counts_from_last_segment(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	unsigned long expires, now;
	struct xtcp_seg seg;
	struct sock *sk;
	long probes;

	xkt_established(t);
	sk = t->sock->sk;
	KUNIT_ASSERT_EQ(test, xkt_setsockopt(t, xtcp_ipproto, XTCP_KEEPIDLE,
					     3600), 0);
	KUNIT_ASSERT_EQ(test, xkt_setsockopt(t, SOL_SOCKET, SO_KEEPALIVE, 1), 0);
	lock_sock(sk);
	xtcp_sk(sk)->rcv_tstamp = jiffies - 100 * HZ;
	release_sock(sk);
	KUNIT_ASSERT_EQ(test, xkt_setsockopt(t, xtcp_ipproto, XTCP_KEEPIDLE,
					     1000), 0);
	expires = READ_ONCE(sk->sk_timer.expires);
	now = jiffies;
	KUNIT_EXPECT_TRUE(test, timer_pending(&sk->sk_timer));
	KUNIT_EXPECT_TRUE(test, time_before_eq(expires, now + 900 * HZ));
	KUNIT_EXPECT_TRUE(test, time_after(expires, now + 800 * HZ));
	probes = xkt_mib(t, XTCP_MIB_KEEPALIVE_PROBES);
	KUNIT_ASSERT_EQ(test, xkt_setsockopt(t, xtcp_ipproto, XTCP_KEEPIDLE,
					     50), 0);
	/* due now: not yet fired, or fired (counted before it re-arms) */
	expires = READ_ONCE(sk->sk_timer.expires);
	KUNIT_EXPECT_TRUE(test, time_before_eq(expires, jiffies + 1) ||
			  xkt_mib(t, XTCP_MIB_KEEPALIVE_PROBES) > probes);
	KUNIT_ASSERT_TRUE(test, xkt_wait(t));
	KUNIT_ASSERT_TRUE(test, xkt_next(t, &seg, NULL));
	KUNIT_EXPECT_EQ(test, seg.flags, XTCP_ACK);
	KUNIT_EXPECT_EQ(test, seg.seq, t->snd - 1);
}

/* SYN_SENT: after XTCP_SYNCNT resends unanswered, connect() fails with
 * ETIMEDOUT.
 */
static void syn_retries_time_out(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	struct xtcp_seg seg;

	xkt_open(t);
	KUNIT_ASSERT_EQ(test, xkt_setsockopt(t, xtcp_ipproto, XTCP_SYNCNT, 1), 0);
	xkt_connect(t);
	KUNIT_ASSERT_TRUE(test, xkt_wait(t));
	KUNIT_ASSERT_TRUE(test, xkt_next(t, &seg, NULL));
	KUNIT_EXPECT_EQ(test, seg.flags, XTCP_SYN);
	KUNIT_EXPECT_EQ(test, seg.seq, t->iss);
	KUNIT_ASSERT_TRUE(test, xkt_wait_state(t, XTCP_CLOSE));
	KUNIT_EXPECT_EQ(test, sock_error(t->sock->sk), -ETIMEDOUT);
}

/* XTCP_USER_TIMEOUT: data unacknowledged that long ends the connection
 * with ETIMEDOUT, however many resends that allowed.
 */
static void user_timeout_aborts(struct kunit *test)
{
	static const char data[100];
	struct xkt *t = xkt_of(test);
	long before = xkt_mib(t, XTCP_MIB_TIMEOUTS);

	xkt_established(t);
	KUNIT_ASSERT_EQ(test, xkt_setsockopt(t, xtcp_ipproto,
					     XTCP_USER_TIMEOUT, 1000), 0);
	KUNIT_ASSERT_EQ(test, xkt_write(t, data, sizeof(data)), 100);
	KUNIT_ASSERT_TRUE(test, xkt_wait_state(t, XTCP_CLOSE));
	KUNIT_EXPECT_EQ(test, sock_error(t->sock->sk), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_TIMEOUTS), before + 1);
}

/* An orphan in FIN_WAIT_2 waits XTCP_LINGER2 for the peer's FIN, then
 * is gone (counted).
 */
static void fin_wait2_orphan_times_out(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long before = xkt_mib(t, XTCP_MIB_FIN_WAIT2_TIMEOUTS);

	xkt_fin_wait2(t);
	KUNIT_ASSERT_EQ(test, xkt_setsockopt(t, xtcp_ipproto, XTCP_LINGER2, 1), 0);
	sock_release(t->sock);	/* an orphan now */
	t->sock = NULL;
	KUNIT_EXPECT_TRUE(test, xkt_wait_mib(t, XTCP_MIB_FIN_WAIT2_TIMEOUTS,
					     before));
}

static struct kunit_case xtcp_timer_cases[] = {
	KUNIT_CASE(keepalive_probe_answered),
	KUNIT_CASE(keepalive_unanswered_times_out),
	KUNIT_CASE(keepidle_counts_from_last_segment),
	KUNIT_CASE(syn_retries_time_out),
	KUNIT_CASE(user_timeout_aborts),
	KUNIT_CASE(fin_wait2_orphan_times_out),
	{}
};

static struct kunit_suite xtcp_timer_suite = {
	.name = "xtcp_timer",
	.init = xkt_init,
	.exit = xkt_exit,
	.test_cases = xtcp_timer_cases,
};

kunit_test_suite(xtcp_timer_suite);
