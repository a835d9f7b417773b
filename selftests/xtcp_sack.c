// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp selftests: selective acknowledgments (RFC 2018, RFC 2883) and the
 * loss recovery they allow (RACK-TLP, RFC 8985), seen segment by segment
 * by a scripted peer on a raw socket (xtcp_rawpeer.h).
 *
 *   negotiation     a SYN+ACK offers SACK-permitted only to a SYN that
 *                   did, and only with net.xtcp.sack on; connect()'s SYN
 *                   offers it as the sysctl says
 *   receiver        out-of-order data is reported in SACK blocks, the
 *                   block holding the segment that triggered the ACK
 *                   first; a duplicate is reported as a D-SACK block, one
 *                   below SEG.ACK and one inside a block alike
 *   sender          the peer's SACK blocks leave one hole, then two: the
 *                   sender resends exactly the missing segments, once
 *                   each, and nothing it was told the peer holds; a lost
 *                   resend is found and resent again; SACKed data the
 *                   peer dropped (reneging) is resent; a lost tail is
 *                   repaired by a tail loss probe, not a timeout, and the
 *                   window is reduced for the loss unless the peer
 *                   reports the probe a duplicate
 *
 * The sender's timers run on their own clock while the script runs on a
 * busy machine: a try in which a retransmission timeout (or, where it
 * would disturb the count, a probe) fired before the script's ACK is not
 * judged and is made again on a new connection; one try of each must be
 * judged.  Each test runs in a network namespace of its own.
 */
#include <fcntl.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "module/core.h"
#include "xtcp_util.h"
#include "xtcp_rawpeer.h"

#define MSS		1000
#define TRIES		5
#define PEER_PORT	41000
#define FLOW_RTT_MS	50
/*
 * A scripted test makes up to TRIES connections.  A try's steps wait for
 * the sender's segments TRY_MS in all, never a verdict: by then its RTO
 * has fired several times (the try is not judged), unless the sender
 * stalled.  The test's timeout covers every try and its handshake.
 */
#define TRY_MS		20000
#define FLOW_TIMEOUT_S	(TRIES * TRY_MS / 1000 + 60)

FIXTURE(sk) {
	int lfd;
	int raw;
	struct sockaddr_in addr;
};

FIXTURE_SETUP(sk)
{
	self->lfd = -1;
	self->raw = -1;
	ASSERT_STREQ("", xtcp_fresh_netns());
	self->lfd = stream_listener(true, 16, &self->addr);
	ASSERT_LE(0, self->lfd);
	self->raw = raw_open();
	ASSERT_LE(0, self->raw) TH_LOG("raw socket: %s", strerror(errno));
	/* segments cut one MSS each, as the scripts count them */
	ASSERT_EQ(0, xtcp_sysctl_set("gso", 0));
}

FIXTURE_TEARDOWN(sk)
{
	close_fd(&self->raw);
	close_fd(&self->lfd);
	xtcp_fault_cmd("clear");
}

static struct peer peer_of(FIXTURE_DATA(sk) * self, u16 sport, bool sack)
{
	struct peer p = {
		.sport = sport, .dport = ntohs(self->addr.sin_port),
		.mss = MSS, .wscale = -1, .window = 60000, .sack_perm = sack,
	};

	return p;
}

/*
 * The raw peer's handshake with the listener: SYN, SYN+ACK, ACK, then
 * accept().  The listener's ISS in *@iss; the accepted socket, or -1.
 */
static int peer_open(FIXTURE_DATA(sk) * self, struct peer *p, u32 isn,
		     u32 *iss, bool *sack_perm, int rtt_ms)
{
	struct rseg sa;
	int fd;

	if (peer_quiet_rsts(p->sport) || peer_syn(self->raw, p, isn, &sa))
		return -1;
	*iss = sa.h.seq;
	*sack_perm = sa.h.sack_perm;
	p->tsecr = sa.h.tsval;
	/* the listener's first RTT sample, SYN+ACK to this ACK, is at least this */
	usleep(rtt_ms * 1000);
	if (inject(self->raw, p, isn + 1, sa.h.seq + 1, XTCP_ACK, NULL, 0))
		return -1;
	if (wait_revents(self->lfd, POLLIN, XTCP_WAIT_MS) <= 0)
		return -1;
	fd = accept(self->lfd, NULL, NULL);
	if (fd >= 0)
		fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* ---- negotiation ---- */

/*
 * RFC 2018 section 2: SACK-permitted goes in a SYN; the SYN+ACK carries
 * it only if the SYN did, and only if the sysctl lets SACK be used.
 */
TEST_F(sk, synack_offers_sack_only_to_a_sack_syn)
{
	static const struct {
		bool offer;
		int sysctl;
		bool answer;
	} cases[] = {
		{ true, 1, true }, { false, 1, false }, { true, 0, false },
	};
	struct sockaddr_in me;
	struct rseg s;
	size_t i;
	int c;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct peer p = peer_of(self, PEER_PORT + i, cases[i].offer);

		ASSERT_EQ(0, xtcp_sysctl_set("sack", cases[i].sysctl));
		ASSERT_EQ(0, peer_quiet_rsts(p.sport));
		ASSERT_EQ(0, peer_syn(self->raw, &p, 7000, &s)) TH_LOG("no SYN+ACK");
		EXPECT_EQ(cases[i].answer, s.h.sack_perm)
			TH_LOG("case %zu: SYN offer %d, sysctl %d", i,
			       cases[i].offer, cases[i].sysctl);
	}
	/* the requests reset by the peer (the rules would drop its RSTs) */
	ASSERT_EQ(0, xtcp_fault_cmd("clear"));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct peer p = peer_of(self, PEER_PORT + i, cases[i].offer);

		EXPECT_EQ(0, inject(self->raw, &p, 7001, 0, XTCP_RST, NULL, 0));
	}
	/*
	 * connect()'s SYN offers it as the sysctl says, and TCP_INFO shows
	 * on both ends whether the connection uses it (TCPI_OPT_SACK)
	 */
	for (i = 0; i < 2; i++) {
		struct tcp_info ti;
		socklen_t len = sizeof(ti);
		int a;

		ASSERT_EQ(0, xtcp_sysctl_set("sack", (int)i));
		c = stream_connect(true, &self->addr);
		ASSERT_LE(0, c);
		ASSERT_EQ(0, sock_name(c, &me));
		ASSERT_EQ(1, raw_next(self->raw, ntohs(me.sin_port),
				      ntohs(self->addr.sin_port), &s, XTCP_WAIT_MS));
		EXPECT_EQ(XTCP_SYN, s.h.flags);
		EXPECT_EQ((bool)i, s.h.sack_perm);
		ASSERT_LT(0, wait_revents(self->lfd, POLLIN, XTCP_WAIT_MS));
		a = accept(self->lfd, NULL, NULL);
		ASSERT_LE(0, a);
		ASSERT_EQ(0, getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &len));
		EXPECT_EQ((bool)i, !!(ti.tcpi_options & TCPI_OPT_SACK));
		len = sizeof(ti);
		ASSERT_EQ(0, getsockopt(a, IPPROTO_TCP, TCP_INFO, &ti, &len));
		EXPECT_EQ((bool)i, !!(ti.tcpi_options & TCPI_OPT_SACK));
		close(a);
		close(c);
	}
}

/* ---- the receiver's blocks ---- */

/* Block @i of @s is [@lo, @hi) from @base. */
static bool block_is(const struct rseg *s, int i, u32 base, u32 lo, u32 hi)
{
	return s->h.sack[i].start - base == lo && s->h.sack[i].end - base == hi;
}

/* Part @k (100 bytes) of @data from the peer. */
static int send_part(int raw, const struct peer *p, u32 base, u32 ack,
		     const unsigned char *data, int k)
{
	return inject(raw, p, base + 100 * k, ack, XTCP_ACK, data + 100 * k, 100);
}

/*
 * Five 100-byte segments A..E from the peer, sent B, D, B again, A, C,
 * A again (E never): each ACK reports what the receiver holds beyond
 * RCV.NXT, the block of the latest arrival first (RFC 2018 4), and each
 * duplicate in a D-SACK block first (RFC 2883 4: inside a block, then
 * that block; below SEG.ACK).  The reader then gets A..D in order.
 */
TEST_F(sk, receiver_reports_blocks_and_duplicates)
{
	struct peer p = peer_of(self, PEER_PORT, true);
	unsigned char data[500], got[400];
	const u32 isn = 100000, base = isn + 1;
	bool perm = false;
	struct rseg s;
	u32 iss;
	int fd;

	pat_fill(data, sizeof(data), 3, 0);
	fd = peer_open(self, &p, isn, &iss, &perm, 0);
	ASSERT_LE(0, fd);
	ASSERT_TRUE(perm);
	/* B */
	ASSERT_EQ(0, send_part(self->raw, &p, base, iss + 1, data, 1));
	ASSERT_EQ(1, peer_next_ack(self->raw, &p, &s));
	EXPECT_EQ(base, s.h.ack);
	ASSERT_EQ(1, s.h.nr_sack);
	EXPECT_TRUE(block_is(&s, 0, base, 100, 200));

	/* D: its block first */
	ASSERT_EQ(0, send_part(self->raw, &p, base, iss + 1, data, 3));
	ASSERT_EQ(1, peer_next_ack(self->raw, &p, &s));
	EXPECT_EQ(base, s.h.ack);
	ASSERT_EQ(2, s.h.nr_sack);
	EXPECT_TRUE(block_is(&s, 0, base, 300, 400));
	EXPECT_TRUE(block_is(&s, 1, base, 100, 200));

	/* B again: D-SACK inside a block */
	ASSERT_EQ(0, send_part(self->raw, &p, base, iss + 1, data, 1));
	ASSERT_EQ(1, peer_next_ack(self->raw, &p, &s));
	EXPECT_EQ(base, s.h.ack);
	ASSERT_EQ(3, s.h.nr_sack);
	EXPECT_TRUE(block_is(&s, 0, base, 100, 200));
	EXPECT_TRUE(block_is(&s, 1, base, 100, 200));
	EXPECT_TRUE(block_is(&s, 2, base, 300, 400));

	/* A: B follows it in order */
	ASSERT_EQ(0, send_part(self->raw, &p, base, iss + 1, data, 0));
	ASSERT_EQ(1, peer_next_ack(self->raw, &p, &s));
	EXPECT_EQ(base + 200, s.h.ack);
	ASSERT_EQ(1, s.h.nr_sack);
	EXPECT_TRUE(block_is(&s, 0, base, 300, 400));

	/* C: no hole left */
	ASSERT_EQ(0, send_part(self->raw, &p, base, iss + 1, data, 2));
	ASSERT_EQ(1, peer_next_ack(self->raw, &p, &s));
	EXPECT_EQ(base + 400, s.h.ack);
	EXPECT_EQ(0, s.h.nr_sack);

	/* A again: D-SACK below SEG.ACK */
	ASSERT_EQ(0, send_part(self->raw, &p, base, iss + 1, data, 0));
	ASSERT_EQ(1, peer_next_ack(self->raw, &p, &s));
	EXPECT_EQ(base + 400, s.h.ack);
	ASSERT_EQ(1, s.h.nr_sack);
	EXPECT_TRUE(block_is(&s, 0, base, 0, 100));
	ASSERT_EQ(0, recv_exact(fd, got, sizeof(got), XTCP_WAIT_MS));
	EXPECT_EQ(-1, pat_check(got, sizeof(got), 3, 0));
	EXPECT_LE(2, xtcp_counter("DsackSent"));
	ASSERT_EQ(0, xtcp_fault_cmd("clear"));
	EXPECT_EQ(0, inject(self->raw, &p, base + 400, 0, XTCP_RST, NULL, 0));
	close(fd);
}

/* ---- the sender ---- */

/*
 * The listener's socket sends @n segments of MSS bytes to the raw peer,
 * which ACKs as its script says.  The data segments seen, by offset from
 * the first byte: @sent[k] counts the sendings of segment k; with
 * timestamps, @tsval[k] is the TSval of its first sending and @last_tsval
 * the latest seen.
 */
struct flow {
	struct peer p;
	u32 iss, base;
	int fd;
	int sent[64];
	u32 tsval[64], last_tsval;
	long long end;
	long rto0, tlp0, rec0, dundo0, eundo0;
};

/* Counters' increase in the try run_script() judged last. */
static long judged_tlp_recovery, judged_dsack_undo, judged_eifel_undo;

/* run_script()'s options */
#define RUN_PROBES	1	/* tail loss probes may fire in a judged try */
#define RUN_TS		2	/* the peer uses timestamps */

static int flow_open(FIXTURE_DATA(sk) * self, struct flow *f, u16 sport,
		     bool ts)
{
	bool perm = false;

	memset(f, 0, sizeof(*f));
	f->p = peer_of(self, sport, true);
	if (ts) {	/* segments of MSS bytes beside the timestamps */
		f->p.ts = true;
		f->p.tsval = 5000;
		f->p.mss = MSS + XTCP_TS_LEN;
	}
	f->rto0 = xtcp_counter("RtoExpired");
	f->tlp0 = xtcp_counter("TlpProbes");
	f->rec0 = xtcp_counter("TlpRecovery");
	f->dundo0 = xtcp_counter("DsackUndo");
	f->eundo0 = xtcp_counter("EifelUndo");
	/*
	 * A round trip of 50 ms: the probe timeout (2 SRTT) and the RTO then
	 * leave the script its time between the sender's segments and its
	 * ACKs; the peer's later ACKs bring SRTT down only slowly.
	 */
	f->fd = peer_open(self, &f->p, 300000, &f->iss, &perm, FLOW_RTT_MS);
	if (f->fd < 0 || !perm)
		return -1;
	f->base = f->iss + 1;
	f->end = now_ms() + TRY_MS;
	return set_int(f->fd, IPPROTO_TCP, TCP_NODELAY, 1);
}

/*
 * Segments seen until @k's sending count reaches @times; 0, -ETIME when
 * the try's time ran out first, or -1 (a segment not cut as the script
 * expects).
 */
static int flow_until(FIXTURE_DATA(sk) * self, struct flow *f, int k, int times)
{
	struct rseg s;

	while (f->sent[k] < times) {
		long long left = f->end - now_ms();
		u32 off;

		/* past the deadline, what is already queued still counts */
		if (!raw_next(self->raw, f->p.dport, f->p.sport, &s,
			      left > 0 ? left : 0))
			return -ETIME;
		if (!s.len)
			continue;
		off = s.h.seq - f->base;
		if (off % MSS || off / MSS >= ARRAY_SIZE(f->sent) || s.len != MSS)
			return -1;	/* not cut as the script expects */
		if (!f->sent[off / MSS]++)
			f->tsval[off / MSS] = s.h.tsval;
		f->last_tsval = s.h.tsval;
	}
	return 0;
}

/*
 * Segments up to @ack_k acknowledged cumulatively, @n blocks SACKed; with
 * timestamps the ACK echoes the first sending of segment @echo - 1, or
 * (@echo 0) the latest segment seen, as a receiver whose left edge that
 * segment moved.
 */
static int flow_sack(FIXTURE_DATA(sk) * self, struct flow *f, int ack_k,
		     const int (*blocks)[2], unsigned int n, int echo)
{
	struct xtcp_sack_block b[XTCP_MAX_SACK_BLOCKS];
	unsigned int i;

	f->p.tsecr = echo ? f->tsval[echo - 1] : f->last_tsval;

	for (i = 0; i < n; i++) {
		b[i].start = f->base + blocks[i][0] * MSS;
		b[i].end = f->base + blocks[i][1] * MSS;
	}
	return inject_sack(self->raw, &f->p, 300001, f->base + ack_k * MSS, b, n);
}

static void flow_close(FIXTURE_DATA(sk) * self, struct flow *f)
{
	xtcp_fault_cmd("clear");	/* the peer's RST must pass */
	inject(self->raw, &f->p, 300001, 0, XTCP_RST, NULL, 0);
	close_fd(&f->fd);
}

/*
 * One step of a peer's script: the application writes @write more
 * segments; wait until segment @seg was sent @times times, then @pause_ms
 * more, then, unless @ack is 0, ACK the segments before @ack with the @nr
 * SACK blocks @blk (segment ranges, [first, end)), echoing as
 * flow_sack()'s @echo says.
 */
struct step {
	int write, seg, times, pause_ms, ack, nr, echo;
	int blk[XTCP_MAX_SACK_BLOCKS][2];
};

/*
 * Run @script on fresh connections until a try is judged (no RTO fired;
 * no tail loss probe either unless @opts has RUN_PROBES) or TRIES ran
 * out; the peer has timestamps if @opts has RUN_TS; the
 * listener's socket sends @segs segments, those the steps do not write
 * at once.  In the judged try each
 * segment k must have been sent @want[k] times when the script ended.
 * Returns the tail loss probes of the judged try, or -1 if none was.
 */
static long run_script(struct __test_metadata *_metadata,
		       FIXTURE_DATA(sk) * self, int segs,
		       const struct step *script, int steps, const int *want,
		       unsigned int opts)
{
	static unsigned char buf[16 * MSS];
	int tries, i, k, rc, first = segs;

	for (i = 0; i < steps; i++)
		first -= script[i].write;
	for (tries = 0; tries < TRIES; tries++) {
		struct flow f;
		long tlp;

		if (flow_open(self, &f, PEER_PORT + tries, opts & RUN_TS))
			return -1;
		if (send(f.fd, buf, first * MSS, 0) != first * MSS)
			return -1;
		for (i = 0; i < steps; i++) {
			const struct step *st = &script[i];
			int len = st->write * MSS;

			ASSERT_EQ(len, send(f.fd, buf, len, 0));
			rc = flow_until(self, &f, st->seg, st->times);
			if (rc == -ETIME) {
				TH_LOG("try %d, step %d: segment %d sent %d of %d times in %d ms",
				       tries, i, st->seg, f.sent[st->seg],
				       st->times, TRY_MS);
				break;
			}
			ASSERT_EQ(0, rc) TH_LOG("try %d, step %d: a segment not cut at %d bytes",
						tries, i, MSS);
			usleep(st->pause_ms * 1000);
			if (st->ack)
				ASSERT_EQ(0, flow_sack(self, &f, st->ack, st->blk,
						       st->nr, st->echo));
		}
		tlp = xtcp_counter("TlpProbes") - f.tlp0;
		judged_tlp_recovery = xtcp_counter("TlpRecovery") - f.rec0;
		judged_dsack_undo = xtcp_counter("DsackUndo") - f.dundo0;
		judged_eifel_undo = xtcp_counter("EifelUndo") - f.eundo0;
		flow_close(self, &f);
		/* a stalled try is judged only if no timer fired in it */
		if (i < steps)
			ASSERT_NE(f.rto0, xtcp_counter("RtoExpired"))
				TH_LOG("try %d: the sender stalled, no RTO", tries);
		if (xtcp_counter("RtoExpired") != f.rto0 ||
		    (tlp && !(opts & RUN_PROBES))) {
			TH_LOG("try %d: a timer fired first: not judged", tries);
			continue;
		}
		for (k = 0; k < segs; k++)
			EXPECT_EQ(want[k], f.sent[k])
				TH_LOG("segment %d sent %d times", k, f.sent[k]);
		return tlp;
	}
	return -1;
}

/*
 * Four segments leave (the initial window); the peer ACKs the first and
 * reports 2..3 and then (after two more left) 2..5 held: segment 1, and
 * only it, is resent, once.  Then everything is ACKed.
 */
TEST_F_TIMEOUT(sk, sender_resends_exactly_one_hole, FLOW_TIMEOUT_S)
{
	static const struct step script[] = {
		{ .seg = 3, .times = 1, .ack = 1, .nr = 1, .blk = { { 2, 4 } } },
		{ .seg = 5, .times = 1, .ack = 1, .nr = 1, .blk = { { 2, 6 } } },
		{ .seg = 1, .times = 2, .ack = 6 },
	};
	static const int want[] = { 1, 2, 1, 1, 1, 1 };
	long sr = xtcp_counter("SackRecovery");

	EXPECT_EQ(0, run_script(_metadata, self, 6, script, ARRAY_SIZE(script),
				want, 0)) TH_LOG("no try judged");
	EXPECT_LE(sr + 1, xtcp_counter("SackRecovery"));
	/* a real loss: the recovery stands */
	EXPECT_EQ(0, judged_dsack_undo);
	EXPECT_EQ(0, judged_eifel_undo);
}

/*
 * The same hole, but the original was only late (RFC 2883 4.2): after
 * the ACK of everything the peer reports the resend as a duplicate.
 * Every resend of the recovery came back twice: it was spurious, and
 * the window it took is given back (DsackUndo).
 */
TEST_F_TIMEOUT(sk, spurious_recovery_undone_by_dsack, FLOW_TIMEOUT_S)
{
	static const struct step script[] = {
		{ .seg = 3, .times = 1, .ack = 1, .nr = 1, .blk = { { 2, 4 } } },
		{ .seg = 5, .times = 1, .ack = 1, .nr = 1, .blk = { { 2, 6 } } },
		{ .seg = 1, .times = 2, .ack = 6 },
		{ .seg = 1, .times = 2, .ack = 6, .nr = 1, .blk = { { 1, 2 } } },
	};
	static const int want[] = { 1, 2, 1, 1, 1, 1 };

	EXPECT_EQ(0, run_script(_metadata, self, 6, script, ARRAY_SIZE(script),
				want, 0)) TH_LOG("no try judged");
	EXPECT_EQ(1, judged_dsack_undo);
	EXPECT_EQ(0, judged_eifel_undo);
}

/*
 * With timestamps, one hole: segment 1 is missing and resent, and the
 * ACK of everything echoes @final_echo (flow_sack()'s @echo).  The peer
 * waits 5 ms before the ACK that shows the hole, so that the resend's
 * TSval differs from the original's.  Returns run_script()'s verdict.
 */
static long run_echoed_hole(struct __test_metadata *_metadata,
			    FIXTURE_DATA(sk) * self, int final_echo)
{
	const struct step script[] = {
		{ .seg = 3, .times = 1, .pause_ms = 5, .ack = 1, .nr = 1,
		  .blk = { { 2, 4 } }, .echo = 1 },
		{ .seg = 5, .times = 1, .ack = 1, .nr = 1, .blk = { { 2, 6 } },
		  .echo = 1 },
		{ .seg = 1, .times = 2, .ack = 6, .echo = final_echo },
	};
	static const int want[] = { 1, 2, 1, 1, 1, 1 };

	return run_script(_metadata, self, 6, script, ARRAY_SIZE(script),
			  want, RUN_TS);
}

/*
 * RFC 3522 (Eifel): the ACK that ends the recovery echoes the first
 * sending of segment 1, older than its resend: the original filled the
 * hole, late.  The recovery is undone at once (EifelUndo), no D-SACK
 * needed.
 */
TEST_F_TIMEOUT(sk, spurious_recovery_undone_by_the_echo, FLOW_TIMEOUT_S)
{
	EXPECT_EQ(0, run_echoed_hole(_metadata, self, 2))
		TH_LOG("no try judged");
	EXPECT_EQ(1, judged_eifel_undo);
	EXPECT_EQ(0, judged_dsack_undo);
}

/* The same, but the ACK echoes the resend: it filled the hole, a loss. */
TEST_F_TIMEOUT(sk, real_loss_not_undone_by_the_echo, FLOW_TIMEOUT_S)
{
	EXPECT_EQ(0, run_echoed_hole(_metadata, self, 0))
		TH_LOG("no try judged");
	EXPECT_EQ(0, judged_eifel_undo);
	EXPECT_EQ(0, judged_dsack_undo);
}

/*
 * Two holes in one window: segments 1 and 3 missing, 2 and 4..5 held.
 * Both are resent, once each, in order (the resend of 3 once the ACK of
 * 1's makes room in the pipe); segments the peer holds never.
 */
TEST_F_TIMEOUT(sk, sender_resends_exactly_two_holes, FLOW_TIMEOUT_S)
{
	static const struct step script[] = {
		{ .seg = 3, .times = 1, .ack = 1, .nr = 1, .blk = { { 2, 3 } } },
		{ .seg = 5, .times = 1, .ack = 1, .nr = 2,
		  .blk = { { 4, 6 }, { 2, 3 } } },
		{ .seg = 1, .times = 2, .ack = 3, .nr = 1, .blk = { { 4, 6 } } },
		{ .seg = 3, .times = 2, .ack = 6 },
	};
	static const int want[] = { 1, 2, 1, 2, 1, 1 };

	EXPECT_EQ(0, run_script(_metadata, self, 6, script, ARRAY_SIZE(script),
				want, 0)) TH_LOG("no try judged");
}

/*
 * A lost retransmission (RFC 8985 6.2 step 5): segment 1 is missing, its
 * resend goes and segment 6 after it; the peer SACKs 6 but still not 1.
 * The resend, sent before a segment that was delivered, is lost too:
 * segment 1 goes a third time, without waiting for a timeout.
 */
TEST_F_TIMEOUT(sk, lost_retransmission_resent_again, FLOW_TIMEOUT_S)
{
	static const struct step script[] = {
		{ .seg = 3, .times = 1, .ack = 1, .nr = 1, .blk = { { 2, 4 } } },
		{ .seg = 5, .times = 1, .ack = 1, .nr = 1, .blk = { { 2, 6 } } },
		{ .seg = 1, .times = 2 },
		/* written now: it leaves after the resend of 1 */
		{ .write = 1, .seg = 6, .times = 1, .ack = 1, .nr = 1,
		  .blk = { { 2, 7 } } },
		{ .seg = 1, .times = 3, .ack = 7 },
	};
	static const int want[] = { 1, 3, 1, 1, 1, 1, 1 };

	EXPECT_EQ(0, run_script(_metadata, self, 7, script, ARRAY_SIZE(script),
				want, 0)) TH_LOG("no try judged");
}

/*
 * Reneging (RFC 2018 8): the peer SACKs 2..3, segment 1 is resent, and
 * then the peer's cumulative ACK stops at 2: it dropped what it had
 * SACKed.  Segments 2 and 3 are resent at once, without a timeout.
 */
TEST_F_TIMEOUT(sk, reneged_sacks_resent, FLOW_TIMEOUT_S)
{
	static const struct step script[] = {
		{ .seg = 3, .times = 1, .ack = 1, .nr = 1, .blk = { { 2, 4 } } },
		{ .seg = 1, .times = 2, .ack = 2 },
		{ .seg = 3, .times = 2, .ack = 4 },
	};
	static const int want[] = { 1, 2, 2, 2 };
	long ren = xtcp_counter("SackReneging");

	EXPECT_EQ(0, run_script(_metadata, self, 4, script, ARRAY_SIZE(script),
				want, 0)) TH_LOG("no try judged");
	EXPECT_LE(ren + 1, xtcp_counter("SackReneging"));
}

/*
 * A lost tail: four segments leave, the peer ACKs the first three and
 * then stays silent.  Two round trips later the sender probes with the
 * last segment (RFC 8985 7.3) instead of waiting for its RTO.  The peer
 * ACKs it without reporting a duplicate, so the original was lost: once
 * an ACK goes past the probe (of a fifth segment written then), the
 * window is reduced as for a loss (7.4.2, TlpRecovery).
 */
TEST_F_TIMEOUT(sk, lost_tail_repaired_by_a_probe, FLOW_TIMEOUT_S)
{
	static const struct step script[] = {
		{ .seg = 3, .times = 1, .ack = 3 },
		{ .seg = 3, .times = 2, .ack = 4 },
		{ .write = 1, .seg = 4, .times = 1, .ack = 5 },
	};
	static const int want[] = { 1, 1, 1, 2, 1 };

	EXPECT_EQ(1, run_script(_metadata, self, 5, script, ARRAY_SIZE(script),
				want, RUN_PROBES)) TH_LOG("not one probe in a judged try");
	EXPECT_EQ(1, judged_tlp_recovery);
}

/*
 * The same tail, but the peer had the last segment after all: its ACK
 * of the probe reports the probe as a duplicate (a D-SACK).  Nothing was
 * lost, and the window stays.
 */
TEST_F_TIMEOUT(sk, spurious_probe_reduces_nothing, FLOW_TIMEOUT_S)
{
	static const struct step script[] = {
		{ .seg = 3, .times = 1, .ack = 3 },
		{ .seg = 3, .times = 2, .ack = 4, .nr = 1, .blk = { { 3, 4 } } },
		{ .write = 1, .seg = 4, .times = 1, .ack = 5 },
	};
	static const int want[] = { 1, 1, 1, 2, 1 };
	long dsack0 = xtcp_counter("DsackRecv");

	EXPECT_EQ(1, run_script(_metadata, self, 5, script, ARRAY_SIZE(script),
				want, RUN_PROBES)) TH_LOG("not one probe in a judged try");
	EXPECT_EQ(0, judged_tlp_recovery);
	EXPECT_LT(dsack0, xtcp_counter("DsackRecv"));
}

TEST_HARNESS_MAIN
