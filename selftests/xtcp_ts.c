// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp selftests: timestamps (RFC 7323) and what they are for, seen
 * segment by segment by a scripted peer on a raw socket (xtcp_rawpeer.h).
 *
 *   negotiation     a SYN+ACK has timestamps only for a SYN that had
 *                   them, and only with net.xtcp.timestamps on, echoing
 *                   the SYN's TSval; connect()'s SYN offers them as the
 *                   sysctl says; TCP_INFO shows them on both ends, and
 *                   the MSS gives up the 12 bytes they take
 *   echo            every segment of the connection carries them; an
 *                   ACK echoes the TSval of the segment that last moved
 *                   the left edge, not of one that arrived beyond a hole
 *                   (RFC 7323 4.3)
 *   PAWS            a segment whose TSval is older than the last is
 *                   dropped, counted and answered with an ACK; a
 *                   duplicate ACK overtaken by a later one is not; an
 *                   RST is not judged by its timestamp (RFC 7323 5.3)
 *   RTT             an ACK of resent data, which Karn's rule forbids the
 *                   sequence numbers to time, is timed by its TSecr
 *   TIME_WAIT       a SYN reopens a tuple in TIME_WAIT by a newer
 *                   timestamp even with a lower sequence number, and an
 *                   older timestamp keeps it closed (RFC 6191)
 *
 * Each test runs in a network namespace of its own.  Nothing here depends
 * on how fast the machine is: every check waits for a segment.
 */
#include <fcntl.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "module/core.h"
#include "xtcp_util.h"
#include "xtcp_rawpeer.h"

#define PEER_PORT	42000
#define ISN		50000u

FIXTURE(ts) {
	int lfd;
	int raw;
	struct sockaddr_in addr;
};

FIXTURE_SETUP(ts)
{
	self->lfd = -1;
	self->raw = -1;
	ASSERT_STREQ("", xtcp_fresh_netns());
	self->lfd = stream_listener(true, 16, &self->addr);
	ASSERT_LE(0, self->lfd);
	self->raw = raw_open();
	ASSERT_LE(0, self->raw) TH_LOG("raw socket: %s", strerror(errno));
}

FIXTURE_TEARDOWN(ts)
{
	close_fd(&self->raw);
	close_fd(&self->lfd);
	xtcp_fault_cmd("clear");
}

static struct peer peer_of(FIXTURE_DATA(ts) * self, u16 sport, bool ts)
{
	struct peer p = {
		.sport = sport, .dport = ntohs(self->addr.sin_port),
		.mss = 1000, .wscale = -1, .window = 60000, .ts = ts,
		.tsval = 1000,
	};

	return p;
}

/*
 * The raw peer's handshake with the listener (its ISN is ISN): the
 * SYN+ACK in *@sa, the accepted socket (non-blocking), or -1.  The
 * peer's TSecr follows the SYN+ACK's TSval.
 */
static int peer_open(FIXTURE_DATA(ts) * self, struct peer *p, struct rseg *sa)
{
	int fd;

	if (peer_quiet_rsts(p->sport) || peer_syn(self->raw, p, ISN, sa))
		return -1;
	p->tsecr = sa->h.tsval;
	p->tsval++;
	if (inject(self->raw, p, ISN + 1, sa->h.seq + 1, XTCP_ACK, NULL, 0))
		return -1;
	if (wait_revents(self->lfd, POLLIN, XTCP_WAIT_MS) <= 0)
		return -1;
	fd = accept(self->lfd, NULL, NULL);
	if (fd >= 0)
		fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static int info_of(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len);
}

/* ---- negotiation ---- */

TEST_F(ts, synack_has_them_only_for_a_syn_that_had_them)
{
	static const struct {
		bool offer;
		int sysctl;
		bool answer;
	} cases[] = {
		{ true, 1, true }, { false, 1, false }, { true, 0, false },
	};
	struct tcp_info ti[2][2];
	struct sockaddr_in me;
	struct rseg s;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct peer p = peer_of(self, PEER_PORT + i, cases[i].offer);

		p.tsval = 0x12345678u + i;
		ASSERT_EQ(0, xtcp_sysctl_set("timestamps", cases[i].sysctl));
		ASSERT_EQ(0, peer_quiet_rsts(p.sport));
		ASSERT_EQ(0, peer_syn(self->raw, &p, ISN, &s)) TH_LOG("no SYN+ACK");
		EXPECT_EQ(cases[i].answer, s.h.has_ts)
			TH_LOG("case %zu: SYN offer %d, sysctl %d", i,
			       cases[i].offer, cases[i].sysctl);
		if (cases[i].answer)
			EXPECT_EQ(p.tsval, s.h.tsecr);
	}
	ASSERT_EQ(0, xtcp_fault_cmd("clear"));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct peer p = peer_of(self, PEER_PORT + i, false);

		EXPECT_EQ(0, inject(self->raw, &p, ISN + 1, 0, XTCP_RST, NULL, 0));
	}
	/*
	 * connect()'s SYN offers them as the sysctl says; TCP_INFO shows on
	 * both ends whether the connection uses them, and their 12 bytes
	 * come out of the MSS
	 */
	for (i = 0; i < 2; i++) {
		int a, c;

		ASSERT_EQ(0, xtcp_sysctl_set("timestamps", (int)i));
		c = stream_connect(true, &self->addr);
		ASSERT_LE(0, c);
		ASSERT_EQ(0, sock_name(c, &me));
		ASSERT_EQ(1, raw_next(self->raw, ntohs(me.sin_port),
				      ntohs(self->addr.sin_port), &s, XTCP_WAIT_MS));
		EXPECT_EQ(XTCP_SYN, s.h.flags);
		EXPECT_EQ((bool)i, s.h.has_ts);
		if (i)
			EXPECT_EQ(0, s.h.tsecr);	/* nothing to echo yet */
		ASSERT_LT(0, wait_revents(self->lfd, POLLIN, XTCP_WAIT_MS));
		a = accept(self->lfd, NULL, NULL);
		ASSERT_LE(0, a);
		ASSERT_EQ(0, info_of(c, &ti[i][0]));
		ASSERT_EQ(0, info_of(a, &ti[i][1]));
		EXPECT_EQ((bool)i, !!(ti[i][0].tcpi_options & TCPI_OPT_TIMESTAMPS));
		EXPECT_EQ((bool)i, !!(ti[i][1].tcpi_options & TCPI_OPT_TIMESTAMPS));
		close(a);
		close(c);
	}
	EXPECT_EQ(ti[0][0].tcpi_snd_mss - 12, ti[1][0].tcpi_snd_mss);
	EXPECT_EQ(ti[0][1].tcpi_snd_mss - 12, ti[1][1].tcpi_snd_mss);
}

/* ---- echo ---- */

/*
 * RFC 7323 4.3: the peer sends A (TSval 2000), then C beyond a hole
 * (TSval 2002), then B (TSval 2001, a resend that fills the hole).  The
 * ACK of A echoes 2000; the ACK of C still echoes 2000 (C starts beyond
 * the last ACK sent); the ACK of B echoes 2001.  Data the socket sends
 * carries timestamps too, echoing the latest.
 */
TEST_F(ts, acks_echo_the_segment_that_moved_the_left_edge)
{
	struct peer p = peer_of(self, PEER_PORT, true);
	unsigned char buf[300], got[400];
	u32 base = ISN + 1, iss;
	struct rseg sa, s;
	int a;

	memset(buf, 'x', sizeof(buf));
	a = peer_open(self, &p, &sa);
	ASSERT_LE(0, a);
	iss = sa.h.seq;
	ASSERT_EQ(0, set_int(a, IPPROTO_TCP, TCP_QUICKACK, 1));

	p.tsval = 2000;
	ASSERT_EQ(0, inject(self->raw, &p, base, iss + 1, XTCP_ACK, buf, 100));
	ASSERT_EQ(1, peer_next_ack(self->raw, &p, &s));
	EXPECT_EQ(base + 100, s.h.ack);
	ASSERT_TRUE(s.h.has_ts);
	EXPECT_EQ(2000, s.h.tsecr);

	p.tsval = 2002;
	ASSERT_EQ(0, inject(self->raw, &p, base + 200, iss + 1, XTCP_ACK,
			    buf + 200, 100));
	ASSERT_EQ(1, peer_next_ack(self->raw, &p, &s));
	EXPECT_EQ(base + 100, s.h.ack);		/* a hole: a duplicate ACK */
	ASSERT_TRUE(s.h.has_ts);
	EXPECT_EQ(2000, s.h.tsecr);

	p.tsval = 2001;
	ASSERT_EQ(0, inject(self->raw, &p, base + 100, iss + 1, XTCP_ACK,
			    buf + 100, 100));
	ASSERT_EQ(1, peer_next_ack(self->raw, &p, &s));
	EXPECT_EQ(base + 300, s.h.ack);
	ASSERT_TRUE(s.h.has_ts);
	EXPECT_EQ(2001, s.h.tsecr);
	ASSERT_LT(0, wait_revents(a, POLLIN, XTCP_WAIT_MS));
	EXPECT_EQ(300, recv(a, got, sizeof(got), 0));

	/* the socket's data: timestamps, the latest echoed, ours advancing */
	ASSERT_EQ(5, send(a, "hello", 5, 0));
	while (peer_next(self->raw, &p, &s) && !s.len)
		;
	ASSERT_EQ(5, s.len);
	ASSERT_TRUE(s.h.has_ts);
	EXPECT_EQ(2001, s.h.tsecr);
	EXPECT_FALSE((s32)(s.h.tsval - sa.h.tsval) < 0);
	close(a);
	ASSERT_EQ(0, xtcp_fault_cmd("clear"));
	EXPECT_EQ(0, inject(self->raw, &p, base + 300, 0, XTCP_RST, NULL, 0));
}

/* ---- PAWS ---- */

TEST_F(ts, paws_drops_an_old_duplicate)
{
	struct peer p = peer_of(self, PEER_PORT, true);
	long paws0 = xtcp_counter("PawsDrop");
	u32 base = ISN + 1, iss;
	unsigned char got[200];
	struct rseg sa, s;
	int a;

	ASSERT_LE(0, paws0);
	a = peer_open(self, &p, &sa);
	ASSERT_LE(0, a);
	iss = sa.h.seq;
	p.tsval = 5000;
	ASSERT_EQ(0, inject(self->raw, &p, base, iss + 1, XTCP_ACK, "aaaa", 4));
	ASSERT_EQ(1, peer_next_ack(self->raw, &p, &s));
	EXPECT_EQ(base + 4, s.h.ack);

	/* in the window, but from before TS.Recent: dropped, ACKed */
	p.tsval = 4000;
	ASSERT_EQ(0, inject(self->raw, &p, base + 4, iss + 1, XTCP_ACK, "bbbb", 4));
	ASSERT_EQ(1, peer_next_ack(self->raw, &p, &s));
	EXPECT_EQ(base + 4, s.h.ack);
	EXPECT_EQ(5000, s.h.tsecr);
	EXPECT_EQ(paws0 + 1, xtcp_counter("PawsDrop"));
	/* the same bytes with a current timestamp are taken */
	p.tsval = 5001;
	ASSERT_EQ(0, inject(self->raw, &p, base + 4, iss + 1, XTCP_ACK, "cccc", 4));
	ASSERT_EQ(1, peer_next_ack(self->raw, &p, &s));
	EXPECT_EQ(base + 8, s.h.ack);
	ASSERT_LT(0, wait_revents(a, POLLIN, XTCP_WAIT_MS));
	ASSERT_EQ(8, recv(a, got, sizeof(got), 0));
	EXPECT_EQ(0, memcmp(got, "aaaacccc", 8));

	/*
	 * A duplicate ACK overtaken by a later one (older by less than an
	 * RTO) is no old duplicate: it passes, as on TCP.  One older by
	 * far is dropped.  Data behind each shows it was processed.
	 */
	p.tsval = 4999;
	ASSERT_EQ(0, inject(self->raw, &p, base + 8, iss + 1, XTCP_ACK, NULL, 0));
	p.tsval = 5002;
	ASSERT_EQ(0, inject(self->raw, &p, base + 8, iss + 1, XTCP_ACK, "dd", 2));
	ASSERT_EQ(1, peer_next_ack(self->raw, &p, &s));
	EXPECT_EQ(base + 10, s.h.ack);
	EXPECT_EQ(paws0 + 1, xtcp_counter("PawsDrop"));
	p.tsval = 5002 - 100000;
	ASSERT_EQ(0, inject(self->raw, &p, base + 10, iss + 1, XTCP_ACK, NULL, 0));
	p.tsval = 5003;
	ASSERT_EQ(0, inject(self->raw, &p, base + 10, iss + 1, XTCP_ACK, "ee", 2));
	while (peer_next_ack(self->raw, &p, &s) && s.h.ack != base + 12)
		;
	EXPECT_EQ(base + 12, s.h.ack);
	EXPECT_EQ(paws0 + 2, xtcp_counter("PawsDrop"));
	ASSERT_EQ(4, recv(a, got, sizeof(got), 0));
	EXPECT_EQ(0, memcmp(got, "ddee", 4));

	/* an RST is judged by its sequence number alone (5.3 R1) */
	ASSERT_EQ(0, xtcp_fault_cmd("clear"));	/* the rule drops it too */
	p.tsval = 1;
	ASSERT_EQ(0, inject(self->raw, &p, base + 12, 0, XTCP_RST, NULL, 0));
	ASSERT_LT(0, wait_revents(a, POLLERR, XTCP_WAIT_MS));
	EXPECT_EQ(-1, recv(a, got, sizeof(got), 0));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_EQ(paws0 + 2, xtcp_counter("PawsDrop"));
	close(a);
}

/* ---- RTT ---- */

/*
 * The socket's data goes unacknowledged until the retransmission timer
 * resends it; the peer then acknowledges it, its TSecr 2 s before the
 * resend's TSval.  The sequence numbers may not time an ACK of resent
 * data (Karn), the timestamp may: the smoothed RTT takes an eighth of 2 s
 * with timestamps, and stays as it was without them.
 */
TEST_F(ts, resent_data_is_timed_by_its_echo)
{
	int ts;

	for (ts = 0; ts < 2; ts++) {
		struct peer p = peer_of(self, PEER_PORT + ts, ts);
		struct tcp_info before, after;
		struct rseg sa, s, r;
		u32 iss;
		int a, n;

		a = peer_open(self, &p, &sa);
		ASSERT_LE(0, a);
		iss = sa.h.seq;
		ASSERT_EQ(4, send(a, "data", 4, 0));
		while (peer_next(self->raw, &p, &s) && !s.len)
			;
		ASSERT_EQ(4, s.len);
		/* the resend: the same bytes again */
		while (peer_next(self->raw, &p, &r) && !r.len)
			;
		ASSERT_EQ(4, r.len) TH_LOG("no retransmission");
		EXPECT_EQ(s.h.seq, r.h.seq);
		ASSERT_EQ(0, info_of(a, &before));
		p.tsval += 10;
		p.tsecr = r.h.tsval - 2000;
		ASSERT_EQ(0, inject(self->raw, &p, ISN + 1, iss + 5, XTCP_ACK,
				    NULL, 0));
		/* processed once TCP_INFO shows nothing unacknowledged */
		for (n = 0; n < XTCP_WAIT_MS; n++) {
			ASSERT_EQ(0, info_of(a, &after));
			if (!after.tcpi_unacked)
				break;
			usleep(1000);
		}
		ASSERT_EQ(0, after.tcpi_unacked);
		if (ts) {
			EXPECT_LE(2000000 / 8, after.tcpi_rtt)
				TH_LOG("srtt %u us, was %u", after.tcpi_rtt,
				       before.tcpi_rtt);
		} else {
			EXPECT_EQ(before.tcpi_rtt, after.tcpi_rtt);
		}
		close(a);
		ASSERT_EQ(0, xtcp_fault_cmd("clear"));
		EXPECT_EQ(0, inject(self->raw, &p, ISN + 1, 0, XTCP_RST, NULL, 0));
	}
}

/* ---- TIME_WAIT ---- */

/*
 * The accepted socket closes first and ends in TIME_WAIT: FIN, the
 * peer's ACK and FIN, our last ACK.  The sequence number after the
 * peer's FIN in *@rcv_nxt.
 */
static int to_time_wait(FIXTURE_DATA(ts) * self, struct peer *p, u32 *rcv_nxt)
{
	struct rseg sa, s;
	int a = peer_open(self, p, &sa);

	if (a < 0)
		return -1;
	close(a);
	while (peer_next(self->raw, p, &s))
		if (s.h.flags & XTCP_FIN)
			break;
	if (!(s.h.flags & XTCP_FIN))
		return -1;
	p->tsval++;
	p->tsecr = s.h.tsval;
	if (inject(self->raw, p, ISN + 1, s.h.seq + 1, XTCP_FIN | XTCP_ACK,
		   NULL, 0))
		return -1;
	if (!peer_next_ack(self->raw, p, &s) || s.h.ack != ISN + 2)
		return -1;
	*rcv_nxt = ISN + 2;
	return 0;
}

TEST_F(ts, syn_reopens_time_wait_by_timestamp)
{
	static const struct {
		bool ts;	/* the new SYN has timestamps */
		s32 dts;	/* its TSval less the old connection's last */
		s32 dseq;	/* its ISN less the old RCV.NXT */
		bool reopens;
	} cases[] = {
		{ true, 1, -100000, true },	/* newer timestamp, lower ISN */
		{ true, -1, 100000, false },	/* older timestamp, higher ISN */
		{ true, 0, 100000, true },	/* equal: by sequence number */
		{ true, 0, -100000, false },
		{ false, 0, 100000, true },	/* none: by sequence number */
		{ false, 0, -100000, false },
	};
	long killed0 = xtcp_counter("TimeWaitKilled");
	long reopened = 0;
	size_t i;

	ASSERT_LE(0, killed0);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct peer p = peer_of(self, PEER_PORT + i, true);
		u32 rcv_nxt, isn;
		struct rseg s;

		ASSERT_EQ(0, to_time_wait(self, &p, &rcv_nxt))
			TH_LOG("case %zu: no TIME_WAIT", i);
		isn = rcv_nxt + (u32)cases[i].dseq;
		p.ts = cases[i].ts;
		p.tsval += (u32)cases[i].dts;
		p.tsecr = 0;
		ASSERT_EQ(0, inject(self->raw, &p, isn, 0, XTCP_SYN, NULL, 0));
		ASSERT_EQ(1, peer_next(self->raw, &p, &s)) TH_LOG("case %zu: no answer", i);
		if (cases[i].reopens) {
			EXPECT_EQ(XTCP_SYN | XTCP_ACK, s.h.flags)
				TH_LOG("case %zu: not reopened", i);
			EXPECT_EQ(isn + 1, s.h.ack);
			reopened++;
		} else {
			EXPECT_EQ(XTCP_ACK, s.h.flags)
				TH_LOG("case %zu: reopened", i);
			EXPECT_EQ(rcv_nxt, s.h.ack);	/* TIME_WAIT's own ACK */
		}
	}
	EXPECT_EQ(killed0 + reopened, xtcp_counter("TimeWaitKilled"));
}

TEST_HARNESS_MAIN
