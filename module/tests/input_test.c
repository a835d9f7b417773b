// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: input.c, the state machine on receive.  Each test starts from a
 * state builder (harness.c) and checks what one segment from the peer
 * does: the next state, what xtcp answers, what the application sees.
 */
#include <kunit/test.h>

#include "harness.h"

static const char xkt_data[] = "0123456789abcdef";

/* SYN_SENT: an RST that acknowledges our SYN refuses the connection. */
static void syn_sent_rst_refuses(struct kunit *test)
{
	struct xkt *t = xkt_of(test);

	xkt_connect(t);
	xkt_send(t, XTCP_RST | XTCP_ACK, 0, t->snd, NULL, 0);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_CLOSE);
	KUNIT_EXPECT_EQ(test, sock_error(t->sock->sk), -ECONNREFUSED);
	xkt_expect_quiet(t);
}

/* SYN_SENT: an ACK of something we never sent gets an RST at that ACK
 * (RFC 9293 3.10.7.3), and the connection attempt goes on.
 */
static void syn_sent_bad_ack_reset(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	struct xtcp_seg seg;

	xkt_connect(t);
	xkt_send(t, XTCP_SYN | XTCP_ACK, t->peer_seq, t->snd + 1000, NULL, 0);
	xkt_expect(t, XTCP_RST, &seg, NULL);
	KUNIT_EXPECT_EQ(test, seg.seq, t->snd + 1000);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_SYN_SENT);
	/* the right answer still completes it */
	xkt_send(t, XTCP_SYN | XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_ESTABLISHED);
}

/* SYN_SENT: an RST without an ACK is ignored (RFC 9293 3.10.7.3). */
static void syn_sent_bare_rst_ignored(struct kunit *test)
{
	struct xkt *t = xkt_of(test);

	xkt_connect(t);
	xkt_send(t, XTCP_RST, t->peer_seq, 0, NULL, 0);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_SYN_SENT);
	xkt_expect_quiet(t);
}

/* ESTABLISHED: in-order data is queued, readable, and rcv_nxt moves. */
static void established_data_in_order(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	char buf[sizeof(xkt_data)];

	xkt_established(t);
	xkt_send(t, XTCP_ACK | XTCP_PSH, t->peer_seq, t->snd, xkt_data, 16);
	t->peer_seq += 16;
	KUNIT_EXPECT_EQ(test, xtcp_sk(t->sock->sk)->rcv_nxt, t->peer_seq);
	KUNIT_ASSERT_EQ(test, xkt_recv(t, buf, sizeof(buf)), 16);
	KUNIT_EXPECT_EQ(test, memcmp(buf, xkt_data, 16), 0);
	KUNIT_EXPECT_EQ(test, xkt_recv(t, buf, sizeof(buf)), -EAGAIN);
}

/* ESTABLISHED: data beyond a hole is held, not readable, and a duplicate
 * ACK goes out at once; the hole's data makes both readable.
 */
static void established_out_of_order(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	char buf[sizeof(xkt_data)];

	xkt_established(t);
	xkt_send(t, XTCP_ACK, t->peer_seq + 8, t->snd, xkt_data + 8, 8);
	xkt_expect_ack(t, t->peer_seq);
	KUNIT_EXPECT_EQ(test, xkt_recv(t, buf, sizeof(buf)), -EAGAIN);
	xkt_send(t, XTCP_ACK, t->peer_seq, t->snd, xkt_data, 8);
	t->peer_seq += 16;
	xkt_expect_ack(t, t->peer_seq);
	KUNIT_ASSERT_EQ(test, xkt_recv(t, buf, sizeof(buf)), 16);
	KUNIT_EXPECT_EQ(test, memcmp(buf, xkt_data, 16), 0);
}

/* ESTABLISHED: a segment wholly outside the window is answered with an
 * ACK of where we are, and changes nothing (RFC 9293 3.10.7.4).
 */
static void established_out_of_window(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	u32 rcv_nxt;

	xkt_established(t);
	rcv_nxt = xtcp_sk(t->sock->sk)->rcv_nxt;
	xkt_send(t, XTCP_ACK, t->peer_seq + (1U << 30), t->snd, xkt_data, 16);
	xkt_expect_ack(t, t->peer_seq);
	KUNIT_EXPECT_EQ(test, xtcp_sk(t->sock->sk)->rcv_nxt, rcv_nxt);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_ESTABLISHED);
}

/* ESTABLISHED: an RST at exactly rcv_nxt resets the connection. */
static void established_rst_exact(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long before = xkt_mib(t, XTCP_MIB_IN_RSTS);

	xkt_established(t);
	xkt_send(t, XTCP_RST, t->peer_seq, 0, NULL, 0);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_CLOSE);
	KUNIT_EXPECT_EQ(test, sock_error(t->sock->sk), -ECONNRESET);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_IN_RSTS), before + 1);
}

/* ESTABLISHED: an RST in the window but not at rcv_nxt gets a challenge
 * ACK and the connection lives (RFC 5961 3.2).
 */
static void established_rst_in_window_challenged(struct kunit *test)
{
	struct xkt *t = xkt_of(test);

	xkt_established(t);
	xkt_send(t, XTCP_RST, t->peer_seq + 100, 0, NULL, 0);
	xkt_expect_ack(t, t->peer_seq);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_ESTABLISHED);
}

/* ESTABLISHED: a SYN gets a challenge ACK, never a reset (RFC 5961 4.2). */
static void established_syn_challenged(struct kunit *test)
{
	struct xkt *t = xkt_of(test);

	xkt_established(t);
	xkt_send(t, XTCP_SYN, t->peer_seq + 5000, 0, NULL, 0);
	xkt_expect_ack(t, t->peer_seq);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_ESTABLISHED);
}

/* ESTABLISHED: the peer's FIN is ACKed at once and we stay open for
 * writing: CLOSE_WAIT, no FIN of ours until the owner closes.
 */
static void established_fin_delayed_fin(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	char buf[4];

	xkt_close_wait(t, NULL, 0);
	xkt_expect_quiet(t);
	KUNIT_EXPECT_EQ(test, xkt_recv(t, buf, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, xkt_write(t, "late", 4), 4);
	xkt_expect(t, XTCP_ACK | XTCP_PSH, NULL, NULL);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_CLOSE_WAIT);
}

/* CLOSE_WAIT with unread data: the data first, then end of stream. */
static void close_wait_unread_then_eof(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	char buf[sizeof(xkt_data)];

	xkt_close_wait(t, xkt_data, 16);
	KUNIT_ASSERT_EQ(test, xkt_recv(t, buf, sizeof(buf)), 16);
	KUNIT_EXPECT_EQ(test, memcmp(buf, xkt_data, 16), 0);
	KUNIT_EXPECT_EQ(test, xkt_recv(t, buf, sizeof(buf)), 0);
}

/* CLOSE_WAIT: a retransmitted FIN is ACKed again, nothing else changes. */
static void close_wait_fin_again(struct kunit *test)
{
	struct xkt *t = xkt_of(test);

	xkt_close_wait(t, NULL, 0);
	xkt_send(t, XTCP_FIN | XTCP_ACK, t->peer_seq - 1, t->snd, NULL, 0);
	xkt_expect_ack(t, t->peer_seq);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_CLOSE_WAIT);
}

/* CLOSING: the peer's FIN again (our ACK of it lost) is ACKed again. */
static void closing_fin_again(struct kunit *test)
{
	struct xkt *t = xkt_of(test);

	xkt_closing(t);
	xkt_send(t, XTCP_FIN | XTCP_ACK, t->peer_seq - 1, t->snd - 1, NULL, 0);
	xkt_expect_ack(t, t->peer_seq);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_CLOSING);
}

/* LAST_ACK: likewise; and text after the peer's FIN gets no answer. */
static void last_ack_fin_again(struct kunit *test)
{
	struct xkt *t = xkt_of(test);

	xkt_last_ack(t);
	xkt_send(t, XTCP_FIN | XTCP_ACK, t->peer_seq - 1, t->snd - 1, NULL, 0);
	xkt_expect_ack(t, t->peer_seq);
	xkt_send(t, XTCP_ACK, t->peer_seq, t->snd - 1, xkt_data, 4);
	xkt_expect_quiet(t);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_LAST_ACK);
}

/* LAST_ACK: the ACK of our FIN ends the connection. */
static void last_ack_acked_closes(struct kunit *test)
{
	struct xkt *t = xkt_of(test);

	xkt_last_ack(t);
	xkt_send(t, XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_CLOSE);
	xkt_expect_quiet(t);
}

/* LAST_ACK: an ACK short of our FIN leaves us waiting. */
static void last_ack_partial_ack_waits(struct kunit *test)
{
	struct xkt *t = xkt_of(test);

	xkt_last_ack(t);
	xkt_send(t, XTCP_ACK, t->peer_seq, t->snd - 1, NULL, 0);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_LAST_ACK);
}

/* FIN_WAIT_1: a FIN that also ACKs ours goes straight to TIME_WAIT. */
static void fin_wait1_fin_ack_time_wait(struct kunit *test)
{
	struct xkt *t = xkt_of(test);

	xkt_fin_wait1(t);
	xkt_send(t, XTCP_FIN | XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	t->peer_seq++;
	xkt_expect_ack(t, t->peer_seq);
	/* the entry took the connection over; the socket is done */
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_CLOSE);
}

/* FIN_WAIT_2: data still flows to us; its FIN leads to TIME_WAIT. */
static void fin_wait2_data_then_fin(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	char buf[sizeof(xkt_data)];

	xkt_fin_wait2(t);
	xkt_send(t, XTCP_ACK | XTCP_PSH, t->peer_seq, t->snd, xkt_data, 16);
	t->peer_seq += 16;
	KUNIT_ASSERT_EQ(test, xkt_recv(t, buf, sizeof(buf)), 16);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_FIN_WAIT2);
	xkt_send(t, XTCP_FIN | XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	t->peer_seq++;
	xkt_expect_ack(t, t->peer_seq);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_CLOSE);
	KUNIT_EXPECT_EQ(test, xkt_recv(t, buf, sizeof(buf)), 0);
}

/* CLOSING: the ACK of our FIN leads to TIME_WAIT. */
static void closing_acked_time_wait(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long before = xkt_mib(t, XTCP_MIB_TW_OVERFLOW);

	xkt_closing(t);
	xkt_send(t, XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_CLOSE);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_TW_OVERFLOW), before);
	xkt_expect_quiet(t);
}

/* A segment with no connection gets an RST (RFC 9293 3.10.7.1). */
static void no_socket_reset(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long before = xkt_mib(t, XTCP_MIB_NO_SOCKET);
	struct xtcp_seg seg;

	xkt_send(t, XTCP_ACK, 1000, 2000, xkt_data, 4);
	xkt_expect(t, XTCP_RST, &seg, NULL);
	KUNIT_EXPECT_EQ(test, seg.seq, 2000);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_NO_SOCKET), before + 1);
	/* and an RST with no connection gets nothing */
	xkt_send(t, XTCP_RST, 1000, 0, NULL, 0);
	xkt_expect_quiet(t);
}

/* A bad checksum is counted and dropped, never answered. */
static void bad_checksum_dropped(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long before = xkt_mib(t, XTCP_MIB_IN_CSUM_ERRS);
	struct sk_buff *skb;

	xkt_established(t);
	skb = xkt_segment(t, XTCP_ACK, t->peer_seq, t->snd, xkt_data, 16);
	skb->data[16] ^= 0x5a;
	xkt_deliver(t, skb);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_IN_CSUM_ERRS), before + 1);
	KUNIT_EXPECT_EQ(test, xtcp_sk(t->sock->sk)->rcv_nxt, t->peer_seq);
	xkt_expect_quiet(t);
}

static struct kunit_case xtcp_input_cases[] = {
	KUNIT_CASE(syn_sent_rst_refuses),
	KUNIT_CASE(syn_sent_bad_ack_reset),
	KUNIT_CASE(syn_sent_bare_rst_ignored),
	KUNIT_CASE(established_data_in_order),
	KUNIT_CASE(established_out_of_order),
	KUNIT_CASE(established_out_of_window),
	KUNIT_CASE(established_rst_exact),
	KUNIT_CASE(established_rst_in_window_challenged),
	KUNIT_CASE(established_syn_challenged),
	KUNIT_CASE(established_fin_delayed_fin),
	KUNIT_CASE(close_wait_unread_then_eof),
	KUNIT_CASE(close_wait_fin_again),
	KUNIT_CASE(closing_fin_again),
	KUNIT_CASE(last_ack_fin_again),
	KUNIT_CASE(last_ack_acked_closes),
	KUNIT_CASE(last_ack_partial_ack_waits),
	KUNIT_CASE(fin_wait1_fin_ack_time_wait),
	KUNIT_CASE(fin_wait2_data_then_fin),
	KUNIT_CASE(closing_acked_time_wait),
	KUNIT_CASE(no_socket_reset),
	KUNIT_CASE(bad_checksum_dropped),
	{}
};

static struct kunit_suite xtcp_input_suite = {
	.name = "xtcp_input",
	.init = xkt_init,
	.exit = xkt_exit,
	.test_cases = xtcp_input_cases,
};

kunit_test_suite(xtcp_input_suite);
