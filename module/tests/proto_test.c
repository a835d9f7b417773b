// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: proto.c, the socket calls in each state: TCP's errno values,
 * and sendmsg()'s allocation failures walked site by site.
 */
#include <kunit/test.h>

#include "harness.h"

static const char xkt_msg[1000];

/* Writing after our own shutdown(SHUT_WR): EPIPE. */
static void write_after_shutdown_epipe(struct kunit *test)
{
	struct xkt *t = xkt_of(test);

	xkt_fin_wait1(t);
	KUNIT_EXPECT_EQ(test, xkt_write(t, xkt_msg, 10), -EPIPE);
}

/* After the peer's RST: ECONNRESET once, then end of stream; writes
 * EPIPE.
 */
static void calls_after_reset(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	char buf[8];

	xkt_established(t);
	xkt_send(t, XTCP_RST, t->peer_seq, 0, NULL, 0);
	KUNIT_EXPECT_EQ(test, xkt_recv(t, buf, sizeof(buf)), -ECONNRESET);
	KUNIT_EXPECT_EQ(test, xkt_recv(t, buf, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, xkt_write(t, xkt_msg, 10), -EPIPE);
}

/*
 * connect() again after a non-blocking connect completed: 0, then EISCONN
 * (TCP's inet_stream_connect() answers the same); listen(): EINVAL.
 */
static void connected_socket_refuses(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(t->rport),
		.sin_addr.s_addr = t->raddr,
	};

	xkt_established(t);
	KUNIT_EXPECT_EQ(test, kernel_connect(t->sock, (struct sockaddr *)&a,
					     sizeof(a), O_NONBLOCK), 0);
	KUNIT_EXPECT_EQ(test, kernel_connect(t->sock, (struct sockaddr *)&a,
					     sizeof(a), O_NONBLOCK), -EISCONN);
	KUNIT_EXPECT_EQ(test, kernel_listen(t->sock, 5), -EINVAL);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_ESTABLISHED);
}

/* CLOSE_WAIT: reading gives end of stream, writing still works. */
static void close_wait_still_writes(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	char buf[8];

	xkt_close_wait(t, NULL, 0);
	KUNIT_EXPECT_EQ(test, xkt_recv(t, buf, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, xkt_write(t, xkt_msg, 10), 10);
}

/* Take @want bytes of data from @seq on off the wire, waiting for a
 * timer's resend when nothing was sent yet.  Returns the bytes seen.
 */
static unsigned int xkt_drain(struct xkt *t, u32 seq, unsigned int want)
{
	unsigned int seen = 0, len;
	struct xtcp_seg seg;

	while (seen < want && xkt_wait(t) && xkt_next(t, &seg, &len)) {
		if (!len || xtcp_seq_before(seg.seq, seq + seen))
			continue;	/* an ACK, a resend */
		KUNIT_EXPECT_EQ(t->test, seg.seq, seq + seen);
		seen += len;
	}
	return seen;
}

/*
 * sendmsg()'s allocations fail one by one (sleeping ones too): the write
 * takes all, part or none of the data, or fails with an errno; what it
 * took reaches the wire, each byte once, and nothing else.
 */
static void write_alloc_failures(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	bool all_tried = false;
	unsigned int nth;
	int n;

	for (nth = 1; nth <= XKT_MAX_NTH && !all_tried; nth++) {
		xkt_next_round(t, true);
		xkt_established(t);
		WRITE_ONCE(current->fail_nth, nth);
		n = xkt_write(t, xkt_msg, sizeof(xkt_msg));
		all_tried = READ_ONCE(current->fail_nth) != 0;
		WRITE_ONCE(current->fail_nth, 0);
		if (n <= 0) {
			KUNIT_EXPECT_TRUE_MSG(test, n == -ENOMEM || n == -EAGAIN ||
					      n == -ENOBUFS, "write: %d", n);
			xkt_expect_quiet(t);
			continue;
		}
		KUNIT_EXPECT_EQ(test, xkt_drain(t, t->snd, n), n);
		xkt_send(t, XTCP_ACK, t->peer_seq, t->snd + n, NULL, 0);
		KUNIT_EXPECT_TRUE(test,
				  skb_queue_empty_lockless(&t->sock->sk->sk_write_queue));
	}
	KUNIT_EXPECT_TRUE(test, all_tried);
	KUNIT_EXPECT_GT(test, nth, 2);
}

static struct kunit_case xtcp_proto_cases[] = {
	KUNIT_CASE(write_after_shutdown_epipe),
	KUNIT_CASE(calls_after_reset),
	KUNIT_CASE(connected_socket_refuses),
	KUNIT_CASE(close_wait_still_writes),
	KUNIT_CASE(write_alloc_failures),
	{}
};

static struct kunit_suite xtcp_proto_suite = {
	.name = "xtcp_proto",
	.init = xkt_init,
	.exit = xkt_exit,
	.test_cases = xtcp_proto_cases,
};

kunit_test_suite(xtcp_proto_suite);
