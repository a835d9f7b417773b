// SPDX-License-Identifier: GPL-2.0
/*
 * Delayed ACKs (RFC 9293 3.8.6.3, RFC 1122 4.2.3.2) and TCP_QUICKACK, each
 * connection alone in a network namespace of its own so that the
 * namespace's OutSegs counts its segments only:
 *
 *   - quick-ACK mode at the start: every data segment ACKed at once (a
 *     request's ACK leaves before its reply);
 *   - then at least every second full-sized segment, and not every one;
 *   - a lone segment nobody answers is ACKed by the timer;
 *   - TCP_QUICKACK reads and sets as on TCP; cleared, a reply carries the
 *     ACK of the request it answers.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"

#define QUICKACKS	16	/* quick-ACK mode's length, as TCP's */

/*
 * A connection whose client sends segments of at most @mss bytes, to a
 * server whose 4 MiB receive buffer (SO_RCVBUFFORCE, root) holds all
 * these tests send without reading: its window never closes.
 */
static int mss_pair(int mss, int *c, int *s)
{
	struct sockaddr_in a;
	int l = stream_listener(true, 1, &a);

	if (l < 0)
		return -1;
	if (set_int(l, SOL_SOCKET, SO_RCVBUFFORCE, 4 << 20)) {
		close(l);
		return -1;
	}
	*c = stream_socket(true, 0);
	if (*c < 0 || set_int(*c, IPPROTO_TCP, TCP_MAXSEG, mss) ||
	    connect(*c, (struct sockaddr *)&a, sizeof(a))) {
		close(l);
		return -1;
	}
	*s = accept(l, NULL, NULL);
	close(l);
	return *s < 0 ? -1 : 0;
}

/*
 * The receiver's ACKs by cause: quick-ACK mode (one segment each), the
 * delayed-ACK timer (however the machine schedules the sender, which may
 * leave a segment alone for longer than XTCP_DELACK), and the rule that
 * no more than a full-sized segment stays unacknowledged: each of those
 * covers at least two segments, so they number at most half of the
 * segments the others left.  Counted from the receiver's own
 * segments (TCP_INFO), so a retransmission by the sender cannot blur them.
 */
TEST(every_second_full_segment)
{
	const int n = 200, mss = 1000;
	static char buf[200 * 1000];
	long timer0, quick0, timer, quick, rule, retrans;
	struct tcp_info_segs t0, t1;
	int c, s;
	long acks;

	ASSERT_STREQ("", xtcp_fresh_netns());
	/*
	 * Segments one by one, as from a NIC without GRO: a run that crosses
	 * loopback whole is one arrival and draws one ACK, as TCP ACKs a
	 * GRO'd skb
	 */
	ASSERT_EQ(0, xtcp_sysctl_set("gso", 0));
	ASSERT_EQ(0, mss_pair(mss + XTCP_TS_LEN, &c, &s));
	ASSERT_EQ(mss, get_int(s, IPPROTO_TCP, TCP_MAXSEG));
	/* s reads nothing: no window update mixes in with the ACKs */
	ASSERT_EQ(0, tcp_info_segs(s, &t0));
	timer0 = xtcp_counter("DelayedAcks");
	quick0 = xtcp_counter("QuickAcks");
	ASSERT_LE(0, timer0);
	ASSERT_LE(0, quick0);
	ASSERT_EQ(0, send_all(c, buf, sizeof(buf)));
	ASSERT_EQ(sizeof(buf), inq_reaches(s, sizeof(buf)));
	ASSERT_EQ(0, outq_drains(c));
	ASSERT_EQ(0, tcp_info_segs(s, &t1));
	acks = t1.segs_out - t0.segs_out;
	timer = xtcp_counter("DelayedAcks") - timer0;
	quick = xtcp_counter("QuickAcks") - quick0;
	rule = acks - timer - quick;
	ASSERT_EQ(0, tcp_info_segs(c, &t0));
	retrans = t0.ti.tcpi_total_retrans;
	TH_LOG("%d full-sized segments, %ld ACKs: %ld quick, %ld by the timer, %ld by the rule",
	       n, acks, quick, timer, rule);
	EXPECT_EQ(n, t1.data_segs_in - t0.data_segs_in);
	/* 16 quick ones, then every second at least ... */
	EXPECT_LE(QUICKACKS, quick);
	EXPECT_LE(QUICKACKS + (n - QUICKACKS) / 2, acks);
	/*
	 * ... and not every one: a rule's ACK covers two or more (a segment
	 * the sender resent draws an ACK of its own)
	 */
	EXPECT_LE(0, rule);
	EXPECT_GE((n - quick - timer) / 2 + retrans, rule);
	/* with nothing to blur them, most of them are the rule's */
	EXPECT_TRUE(timer || retrans || quick > QUICKACKS || acks < n * 9 / 10);
	close(c);
	close(s);
}

TEST(lone_segment_acked_by_the_timer)
{
	int c, s, i;

	ASSERT_STREQ("", xtcp_fresh_netns());
	ASSERT_EQ(0, stream_pair(true, &c, &s));
	/* out of quick-ACK mode first */
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(1, send(c, "x", 1, 0));
		ASSERT_EQ(0, outq_drains(c));
	}
	ASSERT_EQ(0, set_int(s, IPPROTO_TCP, TCP_QUICKACK, 0));
	ASSERT_EQ(1, send(c, "y", 1, 0));
	/* s neither reads nor answers: only its delayed-ACK timer can */
	EXPECT_EQ(0, outq_drains(c));
	EXPECT_EQ(21, ioctl_int(s, SIOCINQ));
	close(c);
	close(s);
}

TEST(quickack_option_as_tcp)
{
	bool xtcp;

	for (xtcp = false; ; xtcp = true) {
		int c, s;

		ASSERT_EQ(0, stream_pair(xtcp, &c, &s));
		EXPECT_EQ(1, get_int(c, IPPROTO_TCP, TCP_QUICKACK)) TH_LOG("xtcp %d", xtcp);
		EXPECT_EQ(0, set_int(c, IPPROTO_TCP, TCP_QUICKACK, 0));
		EXPECT_EQ(0, get_int(c, IPPROTO_TCP, TCP_QUICKACK)) TH_LOG("xtcp %d", xtcp);
		EXPECT_EQ(0, set_int(c, IPPROTO_TCP, TCP_QUICKACK, 1));
		EXPECT_EQ(1, get_int(c, IPPROTO_TCP, TCP_QUICKACK)) TH_LOG("xtcp %d", xtcp);
		/* nonzero: out of pingpong (an even value only with no ACK owed) */
		EXPECT_EQ(0, set_int(c, IPPROTO_TCP, TCP_QUICKACK, 0));
		EXPECT_EQ(0, set_int(c, IPPROTO_TCP, TCP_QUICKACK, 2));
		EXPECT_EQ(1, get_int(c, IPPROTO_TCP, TCP_QUICKACK)) TH_LOG("xtcp %d", xtcp);
		close(c);
		close(s);
		if (xtcp)
			break;
	}
}

/*
 * @rounds request/response exchanges of one byte, both ends' TCP_QUICKACK
 * at @quickack; the segments they took.
 */
static long exchanges(int quickack, int rounds)
{
	long out0;
	char b;
	int c, s, i;

	if (stream_pair(true, &c, &s) ||
	    set_int(c, IPPROTO_TCP, TCP_QUICKACK, quickack) ||
	    set_int(s, IPPROTO_TCP, TCP_QUICKACK, quickack))
		return -1;
	out0 = xtcp_counter("OutSegs");
	for (i = 0; i < rounds; i++) {
		if (send(c, "q", 1, 0) != 1 || recv(s, &b, 1, 0) != 1 ||
		    send(s, "r", 1, 0) != 1 || recv(c, &b, 1, 0) != 1)
			return -1;
	}
	/* the last ACK, held back or not, before counting */
	if (outq_drains(s))
		return -1;
	close(c);
	close(s);
	return xtcp_counter("OutSegs") - out0;
}

TEST(reply_carries_the_ack_without_quickack)
{
	const int rounds = 8;
	long quick, held;

	ASSERT_STREQ("", xtcp_fresh_netns());
	/*
	 * Quick-ACK mode: request, its ACK, reply, its ACK (and a window
	 * update now and then, as TCP's).
	 */
	quick = exchanges(1, rounds);
	EXPECT_LE(4 * rounds, quick);
	/*
	 * Without: the reply carries the ACK of the request, the next
	 * request that of the reply, unless XTCP_DELACK passed in between
	 * (a busy machine): fewer, and at least two per exchange.
	 */
	held = exchanges(0, rounds);
	TH_LOG("%d exchanges: %ld segments in quick-ACK mode, %ld without", rounds,
	       quick, held);
	EXPECT_LE(2 * rounds, held);
	EXPECT_GT(quick, held);
}

TEST_HARNESS_MAIN
