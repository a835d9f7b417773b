// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: minisocks.c, requests (SYN_RCVD) and TIME_WAIT entries, and the
 * allocation failures of the receive path.
 *
 * An allocation that fails on receive must cost no more than the segment
 * did: the walks below fail the 1st, 2nd, ... allocation a segment causes
 * (the kernel's fail-nth, in the test's thread) until one passes with
 * none failed, and after each failure the peer's retransmission must
 * finish what the lost one began, with nothing lost or duplicated.
 */
#include <kunit/test.h>

#include "harness.h"

/* LISTEN: a SYN makes a request; the final ACK a child to accept. */
static void listen_handshake(struct kunit *test)
{
	struct xkt *t = xkt_of(test);

	xkt_listen(t);
	xkt_syn_rcvd(t);
	xkt_accepted(t);
	xkt_expect_quiet(t);
}

/* SYN_RCVD: a retransmitted SYN gets the same SYN+ACK again. */
static void syn_rcvd_syn_again(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	struct xtcp_seg seg;

	xkt_listen(t);
	xkt_syn_rcvd(t);
	xkt_send(t, XTCP_SYN, t->peer_seq - 1, 0, NULL, 0);
	xkt_forget(t);	/* the resend is what we ask for here */
	xkt_expect(t, XTCP_SYN | XTCP_ACK, &seg, NULL);
	KUNIT_EXPECT_EQ(test, seg.seq, t->iss);
	KUNIT_EXPECT_EQ(test, seg.ack, t->peer_seq);
	xkt_accepted(t);
}

#define XKT_PEERS	16

/*
 * SYN_RCVD with many peers at once, each request found by its own peer's
 * segments (by four-tuple, hash.c): a SYN again gets its own
 * SYN+ACK, and the final ACKs, the last peer's first, each make the child
 * of the right request; none is answered with a reset.
 */
static void requests_of_many_peers(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	struct socket *child[XKT_PEERS] = { NULL };
	u32 iss[XKT_PEERS], irs = t->peer_seq;
	u16 base = t->rport;
	struct sockaddr_in a;
	struct xtcp_seg seg;
	int i, err;

	xkt_listen(t);
	for (i = 0; i < XKT_PEERS; i++) {
		t->rport = base + i;
		xkt_send(t, XTCP_SYN, irs, 0, NULL, 0);
		KUNIT_ASSERT_TRUE(test, xkt_synack_to(t, t->rport, &seg));
		KUNIT_EXPECT_EQ(test, seg.ack, irs + 1);
		iss[i] = seg.seq;
	}
	t->rport = base + XKT_PEERS / 2;
	xkt_send(t, XTCP_SYN, irs, 0, NULL, 0);
	KUNIT_ASSERT_TRUE(test, xkt_synack_to(t, t->rport, &seg));
	KUNIT_EXPECT_EQ(test, seg.seq, iss[XKT_PEERS / 2]);

	for (i = XKT_PEERS - 1; i >= 0; i--) {
		t->rport = base + i;
		xkt_send(t, XTCP_ACK, irs + 1, iss[i] + 1, NULL, 0);
		err = kernel_accept(t->lsock, &child[i], O_NONBLOCK);
		KUNIT_EXPECT_EQ(test, err, 0);
		if (err)
			break;
		KUNIT_EXPECT_GE(test, kernel_getpeername(child[i],
							 (struct sockaddr *)&a), 0);
		KUNIT_EXPECT_EQ(test, ntohs(a.sin_port), base + i);
	}
	xkt_synack_to(t, 0, &seg);	/* only resends may be left: no reset */
	for (i = 0; i < XKT_PEERS; i++)
		xkt_release(&child[i]);
	xkt_purge(t);
}

/* Has a request's timer left its work to the listener's release? */
static bool xkt_req_deferred(struct xkt *t, long a, long b)
{
	const struct list_head *head = &xtcp_sk(t->lsock->sk)->req_deferred;

	return READ_ONCE(head->next) != head;
}

/* SYN_RCVD: a request's timer expiring while the listener's owner holds
 * it sends nothing then; its SYN+ACK goes again as the owner lets go.
 */
static void syn_rcvd_timer_deferred(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	struct xtcp_seg seg;
	bool deferred, quiet;

	xkt_listen(t);
	xkt_syn_rcvd(t);
	lock_sock(t->lsock->sk);
	deferred = xkt_poll(t, xkt_req_deferred, 0, 0);
	quiet = skb_queue_empty_lockless(&t->wire);
	release_sock(t->lsock->sk);
	KUNIT_ASSERT_TRUE(test, deferred);
	KUNIT_EXPECT_TRUE(test, quiet);
	xkt_forget(t);
	xkt_expect(t, XTCP_SYN | XTCP_ACK, &seg, NULL);
	KUNIT_EXPECT_EQ(test, seg.seq, t->iss);
	KUNIT_EXPECT_FALSE(test, xkt_req_deferred(t, 0, 0));
	xkt_accepted(t);
}

/* SYN_RCVD: the owner drops a request (the peer's RST, from the backlog)
 * whose timer work waits for the release: the release frees it, sends
 * nothing for it, and the peer's new SYN makes a new request.
 */
static void syn_rcvd_dropped_while_deferred(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	bool deferred;

	xkt_listen(t);
	xkt_syn_rcvd(t);
	lock_sock(t->lsock->sk);
	deferred = xkt_poll(t, xkt_req_deferred, 0, 0);
	xkt_send(t, XTCP_RST, t->peer_seq, 0, NULL, 0);	/* to the backlog */
	release_sock(t->lsock->sk);
	KUNIT_ASSERT_TRUE(test, deferred);
	KUNIT_EXPECT_FALSE(test, xkt_req_deferred(t, 0, 0));
	KUNIT_EXPECT_EQ(test, xtcp_sk(t->lsock->sk)->syn_qlen, 0);
	xkt_expect_quiet(t);
	t->peer_seq = XKT_PEER_ISS + 1000;
	xkt_syn_rcvd(t);
	xkt_accepted(t);
}

/* LISTEN: an ACK that matches no request (nor a cookie) gets an RST. */
static void listen_stray_ack_reset(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	struct xtcp_seg seg;

	xkt_listen(t);
	xkt_send(t, XTCP_ACK, 5000, 7000, NULL, 0);
	xkt_expect(t, XTCP_RST, &seg, NULL);
	KUNIT_EXPECT_EQ(test, seg.seq, 7000);
	KUNIT_EXPECT_EQ(test, READ_ONCE(t->lsock->sk->sk_state), XTCP_LISTEN);
}

/* TIME_WAIT: the peer's FIN again is answered with a new ACK, an RST is
 * ignored (RFC 1337), and the entry keeps answering.
 */
static void time_wait_answers_fin(struct kunit *test)
{
	struct xkt *t = xkt_of(test);

	xkt_fin_wait2(t);
	xkt_send(t, XTCP_FIN | XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	t->peer_seq++;
	xkt_expect_ack(t, t->peer_seq);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_CLOSE);

	xkt_send(t, XTCP_FIN | XTCP_ACK, t->peer_seq - 1, t->snd, NULL, 0);
	xkt_forget(t);
	xkt_expect_ack(t, t->peer_seq);
	xkt_send(t, XTCP_RST, t->peer_seq, 0, NULL, 0);
	xkt_expect_quiet(t);
	xkt_send(t, XTCP_FIN | XTCP_ACK, t->peer_seq - 1, t->snd, NULL, 0);
	xkt_forget(t);
	xkt_expect_ack(t, t->peer_seq);
}

/* A SYN's allocations fail one by one: the retransmitted SYN succeeds. */
static void syn_alloc_failures(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	bool all_tried = false;
	unsigned int nth;

	xkt_listen(t);
	for (nth = 1; nth <= XKT_MAX_NTH && !all_tried; nth++) {
		xkt_next_round(t, false);
		all_tried = xkt_deliver_failing(t, xkt_segment(t, XTCP_SYN,
							       t->peer_seq, 0,
							       NULL, 0), nth);
		xkt_purge(t);	/* what went out, if anything */
		xkt_syn_rcvd(t);	/* the peer's SYN again */
		xkt_accepted(t);
	}
	KUNIT_EXPECT_TRUE_MSG(test, all_tried, "more than %d allocations",
			      XKT_MAX_NTH);
	/* at least the request was made and failed once */
	KUNIT_EXPECT_GT(test, nth, 2);
}

/* The final ACK's allocations (the child) fail one by one: the peer's
 * next ACK makes the child.
 */
static void handshake_ack_alloc_failures(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	bool all_tried = false;
	unsigned int nth;

	xkt_listen(t);
	for (nth = 1; nth <= XKT_MAX_NTH && !all_tried; nth++) {
		xkt_next_round(t, false);
		xkt_syn_rcvd(t);
		all_tried = xkt_deliver_failing(t, xkt_segment(t, XTCP_ACK,
							       t->peer_seq,
							       t->snd, NULL,
							       0), nth);
		xkt_purge(t);
		xkt_accepted(t);	/* its ACK again, then accept() */
	}
	KUNIT_EXPECT_TRUE(test, all_tried);
	KUNIT_EXPECT_GT(test, nth, 2);
}

/* Out-of-order data's allocations fail one by one: when the peer sends
 * again, every byte arrives once.
 */
static void out_of_order_alloc_failures(struct kunit *test)
{
	static const char data[] = "abcdefghijklmnop";
	struct xkt *t = xkt_of(test);
	bool all_tried = false;
	char buf[sizeof(data)];
	unsigned int nth;
	int n;

	for (nth = 1; nth <= XKT_MAX_NTH && !all_tried; nth++) {
		xkt_next_round(t, true);
		xkt_established(t);
		all_tried = xkt_deliver_failing(t, xkt_segment(t, XTCP_ACK,
							       t->peer_seq + 8,
							       t->snd,
							       data + 8, 8),
						nth);
		/* the peer sends the hole, then the rest again */
		xkt_send(t, XTCP_ACK, t->peer_seq, t->snd, data, 8);
		xkt_send(t, XTCP_ACK, t->peer_seq + 8, t->snd, data + 8, 8);
		t->peer_seq += 16;
		n = xkt_recv(t, buf, sizeof(buf));
		KUNIT_ASSERT_EQ(test, n, 16);
		KUNIT_EXPECT_EQ(test, memcmp(buf, data, 16), 0);
		KUNIT_EXPECT_EQ(test, xkt_recv(t, buf, sizeof(buf)), -EAGAIN);
	}
	KUNIT_EXPECT_TRUE(test, all_tried);
}

/* The peer's FIN in FIN_WAIT_2, the nth allocation failing: with the
 * entry's allocation failed the connection ends without TIME_WAIT
 * (counted); in every case the socket is done, and the peer's FIN again
 * gets an ACK from the entry or, with none, an RST.  Returns whether the
 * walk reached the entry's allocation.
 */
static bool time_wait_walk(struct xkt *t)
{
	struct kunit *test = t->test;
	bool all_tried = false, overflowed = false;
	struct xtcp_seg seg;
	unsigned int nth;
	long before;

	for (nth = 1; nth <= XKT_MAX_NTH && !all_tried; nth++) {
		xkt_next_round(t, true);
		xkt_fin_wait2(t);
		before = xkt_mib(t, XTCP_MIB_TW_OVERFLOW);
		all_tried = xkt_deliver_failing(t, xkt_segment(t, XTCP_FIN |
							       XTCP_ACK,
							       t->peer_seq,
							       t->snd, NULL,
							       0), nth);
		t->peer_seq++;
		KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_CLOSE);
		xkt_purge(t);
		xkt_send(t, XTCP_FIN | XTCP_ACK, t->peer_seq - 1, t->snd,
			 NULL, 0);
		if (xkt_mib(t, XTCP_MIB_TW_OVERFLOW) != before) {
			overflowed = true;
			xkt_expect(t, XTCP_RST, &seg, NULL);
			KUNIT_EXPECT_EQ(test, seg.seq, t->snd);
		} else {
			xkt_expect_ack(t, t->peer_seq);
		}
	}
	KUNIT_EXPECT_TRUE(test, all_tried);
	return overflowed;
}

/*
 * The debug kernel allocates on its own behalf now and then (its object
 * trackers refill their pools), so one walk may fail one of those where
 * another failed the entry: up to three walks, one must reach it.
 */
static void time_wait_alloc_failures(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	bool reached = false;
	int walk;

	for (walk = 0; walk < 3 && !reached; walk++)
		reached = time_wait_walk(t);
	KUNIT_EXPECT_TRUE_MSG(test, reached,
			      "no failure reached the TIME_WAIT entry");
}

/* connect()'s allocations fail one by one (sleeping ones too: the guest
 * sets failslab's ignore-gfp-wait to N): it fails with an errno and the
 * socket closes cleanly, or it goes on and the handshake completes.
 */
static void connect_alloc_failures(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	struct sockaddr_in a = { .sin_family = AF_INET };
	bool all_tried = false;
	struct xtcp_seg seg;
	unsigned int nth;
	int err;

	for (nth = 1; nth <= XKT_MAX_NTH && !all_tried; nth++) {
		xkt_next_round(t, true);
		KUNIT_ASSERT_EQ(test, sock_create_kern(&init_net, xtcp_family,
						       SOCK_STREAM, 0,
						       &t->sock), 0);
		a.sin_port = htons(t->lport);
		a.sin_addr.s_addr = t->laddr;
		KUNIT_ASSERT_EQ(test, kernel_bind(t->sock,
						  (struct sockaddr *)&a,
						  sizeof(a)), 0);
		a.sin_port = htons(t->rport);
		a.sin_addr.s_addr = t->raddr;
		WRITE_ONCE(current->fail_nth, nth);
		err = kernel_connect(t->sock, (struct sockaddr *)&a, sizeof(a),
				     O_NONBLOCK);
		all_tried = READ_ONCE(current->fail_nth) != 0;
		WRITE_ONCE(current->fail_nth, 0);
		if (err != -EINPROGRESS) {
			KUNIT_EXPECT_TRUE_MSG(test, err == -ENOMEM ||
					      err == -ENOBUFS ||
					      err == -EAGAIN,
					      "connect: %d", err);
			KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_CLOSE);
			continue;
		}
		/* the SYN went out, or its timer sends it again */
		KUNIT_ASSERT_TRUE(test, xkt_wait(t));
		xkt_expect(t, XTCP_SYN, &seg, NULL);
		t->iss = seg.seq;
		t->snd = seg.seq + 1;
		xkt_send(t, XTCP_SYN | XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
		KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_ESTABLISHED);
	}
	KUNIT_EXPECT_TRUE(test, all_tried);
	KUNIT_EXPECT_GT(test, nth, 2);
}

static struct kunit_case xtcp_minisocks_cases[] = {
	KUNIT_CASE(listen_handshake),
	KUNIT_CASE(syn_rcvd_syn_again),
	KUNIT_CASE(requests_of_many_peers),
	KUNIT_CASE(syn_rcvd_timer_deferred),
	KUNIT_CASE(syn_rcvd_dropped_while_deferred),
	KUNIT_CASE(listen_stray_ack_reset),
	KUNIT_CASE(time_wait_answers_fin),
	KUNIT_CASE(syn_alloc_failures),
	KUNIT_CASE(handshake_ack_alloc_failures),
	KUNIT_CASE(out_of_order_alloc_failures),
	KUNIT_CASE(time_wait_alloc_failures),
	KUNIT_CASE(connect_alloc_failures),
	{}
};

static struct kunit_suite xtcp_minisocks_suite = {
	.name = "xtcp_minisocks",
	.init = xkt_init,
	.exit = xkt_exit,
	.test_cases = xtcp_minisocks_cases,
};

kunit_test_suite(xtcp_minisocks_suite);
