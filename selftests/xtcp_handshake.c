// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp selftests: the three-way handshake and the data path under loss,
 * with /proc/net/xtcp_fault dropping or delaying chosen segments.
 *
 *  - a lost SYN, SYN+ACK or final ACK is recovered by retransmission
 *    (or, for the final ACK, by the client's first data segment);
 *  - a lost data segment in the middle or at the very end of a 1 MiB
 *    transfer is recovered, and the stream arrives intact and in order;
 *  - two sockets connecting to each other at once (simultaneous open,
 *    RFC 9293 3.5) both end up ESTABLISHED;
 *  - connect() gives up with ETIMEDOUT after XTCP_SYNCNT retransmissions,
 *    blocking or not, as TCP does with TCP_SYNCNT;
 *  - one process holds 1000 connections at once in one epoll loop, each
 *    echoing its own data, and /proc/net/xtcp drains after they close.
 *
 * Every test runs in a network namespace of its own (the harness forks a
 * process per test; the fixture unshares), so the fault rules, the
 * counters of /proc/net/xtcp_stat and the rows of /proc/net/xtcp are the
 * test's alone.  A rule dropping at "out" makes the sender's transmit fail
 * (the segment never leaves); one dropping at "in" loses a segment that
 * left, as a network would.
 *
 * Nothing here depends on how fast the host is.  A half-done handshake
 * the tests look at is held by a rule dropping every segment that could
 * move it on, for as long as the look takes; the rule is deleted after
 * the look, and the retransmission that follows completes the handshake
 * (the timers backed off meanwhile: it may be many seconds away).  Times
 * are only checked from below ("a retransmission was waited for"), on the
 * kernel's own clock (timer_ms()), or against generous limits; whatever
 * must happen is waited for up to XTCP_WAIT_MS.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "module/core.h"
#include "xtcp_util.h"
#include "xtcp_rawpeer.h"

#define FAULT_PROC	"/proc/net/xtcp_fault"
#define XTCP_PROC	"/proc/net/xtcp"

/* The first SYN retransmission comes one initial RTO (1 s) after the SYN. */
#define RTO_INIT_MS	1000
/* Lower bound for "waited for a retransmission", with the clock's slack. */
#define RTO_SEEN_MS	900
/* How long to wait for a rule's counter; it only bounds a failure. */
#define FAULT_WAIT_MS	XTCP_WAIT_MS

/* ---- /proc/net/xtcp_fault ---- */

/*
 * Wait until rule @id has dropped at least @n segments, its counters then
 * in @rc; 0, or -1 if the rule is not listed or FAULT_WAIT_MS went by.
 */
static int fault_wait_dropped(unsigned int id, long n, struct xtcp_rule_count *rc)
{
	long long t0 = now_ms();

	for (;;) {
		if (xtcp_fault_rule(id, rc))
			return -1;
		if (rc->dropped >= n)
			return 0;
		if (now_ms() - t0 > FAULT_WAIT_MS)
			return -1;
		usleep(10000);
	}
}

/* The namespace-wide "drops" line, or -1. */
static long fault_drops(void)
{
	FILE *f = fopen(FAULT_PROC, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "drops %ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* ---- data ---- */

/* Nothing more to read right now (and no end of stream)? */
static bool nothing_more(int fd)
{
	char c;

	return recv(fd, &c, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

/*
 * A few KiB each way over the connection @a - @b, checked byte for byte.
 * @id picks the pattern.
 */
static void exchange(struct __test_metadata *_metadata, int a, int b,
		     unsigned int id)
{
	static unsigned char out[3000], in[3000];

	pat_fill(out, sizeof(out), id, 0);
	ASSERT_EQ(0, send_all(a, out, sizeof(out))) TH_LOG("send: %s", strerror(errno));
	ASSERT_EQ(0, recv_exact(b, in, sizeof(in), XTCP_WAIT_MS))
		TH_LOG("recv: %s", strerror(errno));
	EXPECT_EQ(0, memcmp(out, in, sizeof(in)));

	pat_fill(out, sizeof(out), id + 1000, 0);
	ASSERT_EQ(0, send_all(b, out, sizeof(out))) TH_LOG("send: %s", strerror(errno));
	ASSERT_EQ(0, recv_exact(a, in, sizeof(in), XTCP_WAIT_MS))
		TH_LOG("recv: %s", strerror(errno));
	EXPECT_EQ(0, memcmp(out, in, sizeof(in)));

	EXPECT_TRUE(nothing_more(a));
	EXPECT_TRUE(nothing_more(b));
}

/* ---- sockets ---- */

/* The st column of the socket's row in /proc/net/xtcp; -1 if not there. */
static int proc_st(int fd)
{
	struct inet_row r;

	if (inet_proc_find(XTCP_PROC, true, sock_inode(fd), &r) != 1)
		return -1;
	return r.st;
}

/*
 * Rows of /proc/net/xtcp in state @st with local port @lport and remote
 * port @rport (0: any).
 */
static int proc_rows_in(int st, unsigned int lport, unsigned int rport)
{
	static struct xtcp_row rows[4096];
	int i, n = xtcp_read_rows(XTCP_PROC, rows, 4096), found = 0;

	for (i = 0; i < n && i < 4096; i++)
		if (rows[i].st == (unsigned int)st &&
		    (!lport || rows[i].lport == lport) &&
		    (!rport || rows[i].rport == rport))
			found++;
	return n < 0 ? n : found;
}

/* Rows of /proc/net/xtcp in any state but @st, from one read; -1 on error. */
static int proc_rows_but(int st)
{
	static struct xtcp_row rows[4096];
	int i, n = xtcp_read_rows(XTCP_PROC, rows, 4096), found = 0;

	for (i = 0; i < n && i < 4096; i++)
		if (rows[i].st != (unsigned int)st)
			found++;
	return n < 0 ? n : found + (n > 4096 ? n - 4096 : 0);
}

/* Start a non-blocking connect to @to; the socket, or -1. */
static int connect_nb(const struct sockaddr_in *to)
{
	int fd = socket(xtcp_af(), SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) && errno != EINPROGRESS) {
		close_keep_errno(fd);
		return -1;
	}
	return fd;
}

/* Wait for the listener's next connection and accept it; -1 on timeout. */
static int accept_within(int lfd, int timeout_ms)
{
	if (!(wait_revents(lfd, POLLIN, timeout_ms) & POLLIN)) {
		errno = ETIMEDOUT;
		return -1;
	}
	return accept(lfd, NULL, NULL);
}

static unsigned short port_of(const struct sockaddr_in *sin)
{
	return ntohs(sin->sin_port);
}

/* ---- fixture ---- */

FIXTURE(hs)
{
	int lfd;			/* listener, or -1 */
	struct sockaddr_in addr;	/* its address */
	int cli, srv;			/* a connection, or -1 */
};

FIXTURE_SETUP(hs)
{
	self->lfd = -1;
	self->cli = -1;
	self->srv = -1;
	signal(SIGPIPE, SIG_IGN);
	ASSERT_STREQ("", xtcp_fresh_netns());
	ASSERT_EQ(0, xtcp_fault_load()) TH_LOG("xtcp_fault.ko not loaded");
	ASSERT_EQ(0, access(FAULT_PROC, W_OK))
		TH_LOG("%s: %s", FAULT_PROC, strerror(errno));
	/* A fresh namespace: no rules yet. */
	ASSERT_EQ(0, fault_drops());
}

FIXTURE_TEARDOWN(hs)
{
	close_fd(&self->cli);
	close_fd(&self->srv);
	close_fd(&self->lfd);
	xtcp_fault_cmd("clear");
}

/* A non-blocking listener on 127.0.0.1 in self->lfd / self->addr. */
#define LISTEN(backlog) do { \
	self->lfd = stream_listener(true, (backlog), &self->addr); \
	ASSERT_LE(0, self->lfd) TH_LOG("listener: %s", strerror(errno)); \
	ASSERT_EQ(0, fcntl(self->lfd, F_SETFL, O_NONBLOCK)); \
} while (0)

#define ADD_RULE(fmt, ...) do { \
	char _cmd[160]; \
	snprintf(_cmd, sizeof(_cmd), fmt, ##__VA_ARGS__); \
	ASSERT_EQ(0, xtcp_fault_cmd(_cmd)) TH_LOG("'%s' refused", _cmd); \
} while (0)

/* ADD_RULE, and the new rule's id, read back from the listing, in @id. */
#define ADD_RULE_ID(id, fmt, ...) do { \
	unsigned int _id; \
	ADD_RULE(fmt, ##__VA_ARGS__); \
	_id = xtcp_fault_last_id(); \
	ASSERT_NE(0, _id) TH_LOG("no rule listed after the add"); \
	(id) = _id; \
} while (0)

#define DEL_RULE(id) do { \
	char _cmd[32]; \
	snprintf(_cmd, sizeof(_cmd), "del %u", (id)); \
	ASSERT_EQ(0, xtcp_fault_cmd(_cmd)) TH_LOG("'%s' refused", _cmd); \
} while (0)

/* ===================================================================== */
/* lost SYN                                                              */
/* ===================================================================== */

/*
 * SYNs a connect() can have sent in its first @ms (on the kernel's clock):
 * the first at once, again after 1, 3, 7, 15... s (the initial RTO,
 * doubling).
 */
static long syns_within(long long ms)
{
	long long at = RTO_INIT_MS, rto = RTO_INIT_MS;
	long n = 1;

	while (at <= ms) {
		n++;
		rto *= 2;
		at += rto;
	}
	return n;
}

/*
 * The first SYN is dropped (@dir "out": its transmit fails; "in": it left
 * and is lost); the retransmission after the initial RTO of 1 s connects.
 * The time is the kernel's (timer_ms()); a busy guest may deliver the
 * SYN+ACK so late that the SYN went a third time: as many SYNs as that
 * time allows, and at least the two.
 */
static void lost_syn(struct __test_metadata *_metadata,
		     FIXTURE_DATA(hs) * self, const char *dir)
{
	long act0 = xtcp_counter("ActiveOpens");
	struct xtcp_rule_count rc;
	unsigned int lost;
	long long t0, ms;

	LISTEN(4);
	ADD_RULE_ID(lost, "add dir=%s flags=syn nth=1 action=drop", dir);
	t0 = timer_ms(self->lfd);
	ASSERT_LE(0, t0);
	self->cli = stream_connect(true, &self->addr);
	ms = timer_ms(self->lfd) - t0;
	ASSERT_LE(0, self->cli) TH_LOG("connect: %s", strerror(errno));
	EXPECT_LE(RTO_SEEN_MS, ms) TH_LOG("connected after %lld ms: no SYN lost?", ms);

	self->srv = accept_within(self->lfd, XTCP_WAIT_MS);
	ASSERT_LE(0, self->srv) TH_LOG("accept: %s", strerror(errno));

	ASSERT_EQ(0, xtcp_fault_rule(lost, &rc));
	/* the SYN and its retransmission (quiet: just the one) */
	EXPECT_LE(2, rc.matched);
	EXPECT_GE(syns_within(ms), rc.matched)
		TH_LOG("%ld SYNs in %lld ms", rc.matched, ms);
	EXPECT_EQ(1, rc.dropped);
	EXPECT_EQ(1, fault_drops());
	EXPECT_EQ(act0 + 1, xtcp_counter("ActiveOpens"));
	EXPECT_LE(1, xtcp_counter("RetransSegs"));
	EXPECT_EQ(1, xtcp_counter("PassiveOpens"));

	EXPECT_EQ(XTCP_ESTABLISHED, stream_state(true, self->cli));
	EXPECT_EQ(XTCP_ESTABLISHED, stream_state(true, self->srv));
	EXPECT_EQ(XTCP_ESTABLISHED, proc_st(self->cli));
	EXPECT_EQ(XTCP_ESTABLISHED, proc_st(self->srv));
	EXPECT_EQ(0, get_int(self->cli, SOL_SOCKET, SO_ERROR));
	exchange(_metadata, self->cli, self->srv, 1);
}

TEST_F(hs, lost_syn_out)
{
	lost_syn(_metadata, self, "out");
}

TEST_F(hs, lost_syn_in)
{
	lost_syn(_metadata, self, "in");
}

/* ===================================================================== */
/* lost SYN+ACK                                                          */
/* ===================================================================== */

/**
 * struct waiting - what a half-done handshake looks like
 * @cli_st: the client's state (XTCP_INFO)
 * @cli_proc: its st in /proc/net/xtcp
 * @acc: accept() on the (non-blocking) listener
 * @acc_err: its errno
 * @syn_rcvd: SYN_RCVD rows (requests) in /proc/net/xtcp
 * @established: ESTABLISHED rows in /proc/net/xtcp
 * @passive: the PassiveOpens counter
 */
struct waiting {
	int cli_st, cli_proc, acc, acc_err, syn_rcvd, established;
	long passive;
};

static void look(struct waiting *w, int cli, int lfd)
{
	w->cli_st = stream_state(true, cli);
	w->cli_proc = proc_st(cli);
	w->acc = accept(lfd, NULL, NULL);
	w->acc_err = w->acc < 0 ? errno : 0;
	w->syn_rcvd = proc_rows_in(XTCP_SYN_RECV, 0, 0);
	w->established = proc_rows_in(XTCP_ESTABLISHED, 0, 0);
	w->passive = xtcp_counter("PassiveOpens");
}

/*
 * The listener's first SYN+ACK is dropped (rule "lost", nth=1).  While
 * the test looks, every later one is dropped too (rule "hold"), so that
 * however long the look takes, the client is in SYN_SENT, the request in
 * SYN_RCVD, and the listener has nothing to accept.  Then "hold" goes, and
 * the next retransmission (the request's SYN+ACK timer, or the client's
 * SYN answered again, both 1 s or more after the first) gets through:
 * both ends ESTABLISHED.  "lost" sees every SYN+ACK (it comes first) and
 * dropped the first alone; the namespace's drops are its one and hold's.
 */
TEST_F_TIMEOUT(hs, lost_synack, 120)
{
	struct xtcp_rule_count rc, rch;
	socklen_t len = sizeof(struct tcp_info);
	struct tcp_info ti;
	unsigned int lost, hold;
	struct waiting w;
	long long t0, ms;
	long drops;
	int ev;

	LISTEN(4);
	ADD_RULE_ID(lost, "add dir=out flags=synack nth=1 action=drop");
	ADD_RULE_ID(hold, "add dir=out flags=synack action=drop");
	t0 = timer_ms(self->lfd);
	ASSERT_LE(0, t0);
	self->cli = connect_nb(&self->addr);
	ASSERT_LE(0, self->cli) TH_LOG("connect: %s", strerror(errno));

	/* The SYN came and its SYN+ACK was lost; nothing can follow it now. */
	ASSERT_EQ(0, fault_wait_dropped(lost, 1, &rc)) TH_LOG("no SYN+ACK dropped");
	look(&w, self->cli, self->lfd);
	if (w.acc >= 0)
		self->srv = w.acc;
	EXPECT_EQ(XTCP_SYN_SENT, w.cli_st);
	EXPECT_EQ(XTCP_SYN_SENT, w.cli_proc);
	EXPECT_EQ(-1, w.acc);
	EXPECT_EQ(EAGAIN, w.acc_err);
	EXPECT_EQ(1, w.syn_rcvd);
	EXPECT_EQ(0, w.established);
	EXPECT_EQ(0, w.passive);
	ASSERT_EQ(0, xtcp_fault_rule(lost, &rc));
	EXPECT_EQ(1, rc.dropped);
	ASSERT_EQ(0, xtcp_fault_rule(hold, &rch));
	EXPECT_EQ(rch.matched, rch.dropped);

	/* Let the next retransmission (backed off meanwhile) through. */
	DEL_RULE(hold);
	ev = wait_revents(self->cli, POLLOUT, XTCP_WAIT_MS);
	ms = timer_ms(self->lfd) - t0;
	EXPECT_EQ(POLLOUT, ev) TH_LOG("revents 0x%x after %lld ms", ev, ms);
	EXPECT_LE(RTO_SEEN_MS, ms) TH_LOG("connected after %lld ms", ms);
	EXPECT_EQ(0, get_int(self->cli, SOL_SOCKET, SO_ERROR));

	if (self->srv < 0)
		self->srv = accept_within(self->lfd, XTCP_WAIT_MS);
	ASSERT_LE(0, self->srv) TH_LOG("accept: %s", strerror(errno));
	EXPECT_EQ(XTCP_ESTABLISHED, stream_state(true, self->cli));
	EXPECT_EQ(XTCP_ESTABLISHED, stream_state(true, self->srv));
	EXPECT_EQ(XTCP_ESTABLISHED, proc_st(self->cli));
	EXPECT_EQ(XTCP_ESTABLISHED, proc_st(self->srv));
	EXPECT_EQ(0, proc_rows_in(XTCP_SYN_RECV, 0, 0));
	EXPECT_EQ(1, xtcp_counter("PassiveOpens"));

	ASSERT_EQ(0, xtcp_fault_rule(lost, &rc));
	drops = fault_drops();
	EXPECT_EQ(1, rc.dropped);		/* the first SYN+ACK, only it */
	EXPECT_LE(1 + rch.dropped, drops);	/* it, then hold's */
	EXPECT_LT(drops, rc.matched)		/* a retransmission got through */
		TH_LOG("%ld SYN+ACKs, %ld dropped", rc.matched, drops);
	EXPECT_LE(2, rc.matched);
	/*
	 * Karn: the ACK may answer either SYN+ACK, so the accepted socket
	 * took no round-trip sample and keeps the initial RTO of 1 s.
	 */
	ASSERT_EQ(0, getsockopt(self->srv, IPPROTO_TCP, TCP_INFO, &ti, &len));
	EXPECT_EQ(1000000, ti.tcpi_rto);
	EXPECT_EQ(0, ti.tcpi_rtt);
	exchange(_metadata, self->cli, self->srv, 2);
}

/*
 * While the listener's request waits for the final ACK it is in
 * SYN_RCVD, and /proc/net/xtcp shows it (as /proc/net/tcp shows TCP's
 * requests in SYN_RECV).  Every SYN+ACK is dropped here, so the request
 * stays until the rule goes; the client is in SYN_SENT meanwhile.
 */
TEST_F_TIMEOUT(hs, syn_rcvd_request_listed, 120)
{
	struct xtcp_rule_count rc;
	struct sockaddr_in me;
	unsigned int hold;

	LISTEN(4);
	ADD_RULE_ID(hold, "add dir=out flags=synack action=drop");
	self->cli = connect_nb(&self->addr);
	ASSERT_LE(0, self->cli) TH_LOG("connect: %s", strerror(errno));
	ASSERT_EQ(0, sock_name(self->cli, &me));

	/* A SYN+ACK was sent (and dropped): the request exists. */
	ASSERT_EQ(0, fault_wait_dropped(hold, 1, &rc)) TH_LOG("no SYN+ACK dropped");
	EXPECT_EQ(1, proc_rows_in(XTCP_SYN_RECV, port_of(&self->addr), port_of(&me)))
		TH_LOG("no SYN_RCVD row %u -> %u in %s", port_of(&self->addr),
		       port_of(&me), XTCP_PROC);
	EXPECT_EQ(1, proc_rows_in(XTCP_SYN_RECV, 0, 0));
	EXPECT_EQ(XTCP_SYN_SENT, proc_st(self->cli));

	/* Let the handshake finish: the next retransmission gets through. */
	DEL_RULE(hold);
	EXPECT_EQ(POLLOUT, wait_revents(self->cli, POLLOUT, XTCP_WAIT_MS));
	self->srv = accept_within(self->lfd, XTCP_WAIT_MS);
	ASSERT_LE(0, self->srv);
	EXPECT_EQ(0, proc_rows_in(XTCP_SYN_RECV, 0, 0));
}

/* ===================================================================== */
/* lost final ACK                                                        */
/* ===================================================================== */

/**
 * struct final_ack_rules - the rules of final_ack_lost(), by id
 * @ack: drops the client's first pure ACK, the handshake's last segment
 * @first: delays the first SYN+ACK by 1 ms, which exempts it from @hold
 * @hold: drops every later SYN+ACK
 */
struct final_ack_rules {
	unsigned int ack, first, hold;
};

/*
 * The client's final ACK is dropped: the client is ESTABLISHED at once,
 * the listener's request waits in SYN_RCVD.  Every SYN+ACK after the
 * first is dropped too, so it waits for as long as the test likes: the
 * look is judged whatever the time it takes.  Returns the time from
 * before connect(), on the kernel's clock (timer_ms()); the rules' ids
 * in @r.
 */
static long long final_ack_lost(struct __test_metadata *_metadata,
				FIXTURE_DATA(hs) * self, struct final_ack_rules *r)
{
	unsigned int port;
	struct xtcp_rule_count rc;
	struct waiting w;
	long long t0;

	LISTEN(4);
	port = port_of(&self->addr);
	ADD_RULE_ID(r->ack, "add dir=out flags=ack port=%u nth=1 action=drop", port);
	ADD_RULE_ID(r->first, "add dir=out flags=synack port=%u count=1 action=delay delay=1",
		    port);
	ADD_RULE_ID(r->hold, "add dir=out flags=synack port=%u action=drop", port);
	t0 = timer_ms(self->lfd);
	ASSERT_LE(0, t0);
	self->cli = stream_connect(true, &self->addr);
	ASSERT_LE(0, self->cli) TH_LOG("connect: %s", strerror(errno));
	ASSERT_EQ(0, fault_wait_dropped(r->ack, 1, &rc)) TH_LOG("no ACK dropped");
	look(&w, self->cli, self->lfd);
	if (w.acc >= 0)
		self->srv = w.acc;
	ASSERT_EQ(0, xtcp_fault_rule(r->ack, &rc));
	EXPECT_EQ(1, rc.dropped);
	EXPECT_EQ(XTCP_ESTABLISHED, w.cli_st);
	EXPECT_EQ(XTCP_ESTABLISHED, w.cli_proc);
	/* The request waits for the ACK: nothing to accept, no child. */
	EXPECT_EQ(-1, w.acc);
	EXPECT_EQ(EAGAIN, w.acc_err);
	EXPECT_EQ(1, w.syn_rcvd);
	EXPECT_EQ(0, w.passive);
	EXPECT_EQ(1, w.established);	/* the client only */
	return t0;
}

/*
 * (a) The client sends nothing: once the hold on SYN+ACKs is gone, the
 * request's SYN+ACK timer (1 s, backed off while held) sends the SYN+ACK
 * again, the ESTABLISHED client answers it with a challenge ACK (a SYN on
 * a synchronized connection, RFC 5961 4.2) and that ACK completes the
 * handshake.  Should a busy guest deliver that ACK only after the timer
 * sent the SYN+ACK once more, that one is answered too: one ACK at most
 * for each SYN+ACK that got through (just one on a quiet machine).
 */
TEST_F_TIMEOUT(hs, lost_final_ack_synack_retransmitted, 120)
{
	long chall0 = xtcp_counter("ChallengeAcks");
	struct final_ack_rules r;
	struct xtcp_rule_count rc, rch;
	long long t0, ms;
	long drops, through;

	t0 = final_ack_lost(_metadata, self, &r);
	ASSERT_GT(0, self->srv) TH_LOG("accepted while every SYN+ACK was held");
	ASSERT_EQ(0, xtcp_fault_rule(r.hold, &rch));
	EXPECT_EQ(rch.matched, rch.dropped);
	DEL_RULE(r.hold);

	self->srv = accept_within(self->lfd, XTCP_WAIT_MS);
	ms = timer_ms(self->lfd) - t0;
	ASSERT_LE(0, self->srv) TH_LOG("accept: %s", strerror(errno));
	EXPECT_LE(RTO_SEEN_MS, ms) TH_LOG("accepted after %lld ms", ms);
	EXPECT_EQ(1, xtcp_counter("PassiveOpens"));
	EXPECT_LE(chall0 + 1, xtcp_counter("ChallengeAcks"));
	EXPECT_EQ(XTCP_ESTABLISHED, stream_state(true, self->srv));
	EXPECT_EQ(XTCP_ESTABLISHED, proc_st(self->srv));
	EXPECT_EQ(XTCP_ESTABLISHED, proc_st(self->cli));
	EXPECT_EQ(0, proc_rows_in(XTCP_SYN_RECV, 0, 0));

	/* "first" sees every SYN+ACK: the first, the dropped, those resent. */
	drops = fault_drops();
	EXPECT_LE(1 + rch.dropped, drops);	/* the ACK and hold's */
	ASSERT_EQ(0, xtcp_fault_rule(r.first, &rc));
	EXPECT_EQ(1, rc.delayed);
	EXPECT_EQ(0, rc.dropped);
	through = rc.matched - drops;	/* resent SYN+ACKs that got through */
	EXPECT_LE(1, through) TH_LOG("%ld SYN+ACKs, %ld drops in all", rc.matched, drops);
	ASSERT_EQ(0, xtcp_fault_rule(r.ack, &rc));
	/* the lost ACK, then the one (or ones) answering the resend */
	EXPECT_LE(2, rc.matched);
	EXPECT_GE(1 + through, rc.matched)
		TH_LOG("%ld ACKs for %ld SYN+ACKs through", rc.matched, through);
	EXPECT_EQ(1, rc.dropped);
	exchange(_metadata, self->cli, self->srv, 3);
}

/*
 * (b) The client sends data: its first data segment carries the ACK and
 * completes the handshake (SYN+ACK retransmissions are all dropped, so
 * nothing else can); the data is the first thing the accepted socket
 * reads.
 */
TEST_F(hs, lost_final_ack_data_completes)
{
	static unsigned char out[1000], in[1000];
	struct final_ack_rules r;
	struct xtcp_rule_count rc;

	final_ack_lost(_metadata, self, &r);
	ASSERT_GT(0, self->srv) TH_LOG("accepted before the client sent anything");
	pat_fill(out, sizeof(out), 4, 0);
	ASSERT_EQ(0, send_all(self->cli, out, sizeof(out)));
	self->srv = accept_within(self->lfd, XTCP_WAIT_MS);
	ASSERT_LE(0, self->srv) TH_LOG("accept: %s", strerror(errno));
	EXPECT_EQ(1, xtcp_counter("PassiveOpens"));
	EXPECT_EQ(XTCP_ESTABLISHED, stream_state(true, self->srv));
	ASSERT_EQ(0, recv_exact(self->srv, in, sizeof(in), XTCP_WAIT_MS))
		TH_LOG("recv: %s", strerror(errno));
	EXPECT_EQ(-1, pat_check(in, sizeof(in), 4, 0));
	EXPECT_TRUE(nothing_more(self->srv));

	ASSERT_EQ(0, xtcp_fault_rule(r.ack, &rc));
	EXPECT_EQ(1, rc.dropped);
	ASSERT_EQ(0, xtcp_fault_rule(r.first, &rc));
	EXPECT_EQ(1, rc.delayed);	/* the first SYN+ACK */
	ASSERT_EQ(0, xtcp_fault_rule(r.hold, &rc));
	EXPECT_EQ(0, rc.delayed);	/* the others (if any) were all dropped */
	EXPECT_EQ(rc.matched, rc.dropped);
	exchange(_metadata, self->cli, self->srv, 5);
}

/* ===================================================================== */
/* lost data                                                             */
/* ===================================================================== */

#define XFER_LEN	(1024 * 1024)
#define XFER_TAIL	1000	/* the last segment, when that is the lost one */

/*
 * XFER_LEN bytes client -> server, sent by a child in pieces of varying
 * sizes.  @rule is added before anything is sent; with @tail, the last
 * XFER_TAIL bytes wait until the rest has arrived, and the rule is added
 * only then, so that it sees the transfer's last data segment alone.
 * The receiver checks every byte's value at its offset.  Returns the
 * rule's id.
 */
static unsigned int transfer(struct __test_metadata *_metadata, FIXTURE_DATA(hs) * self,
			     const char *rule, bool tail)
{
	static unsigned char buf[65536];
	size_t bulk = tail ? XFER_LEN - XFER_TAIL : XFER_LEN, got = 0;
	unsigned int id = 0;
	int status;
	long rtx0;
	struct xtcp_rule_count rc;
	int go[2];
	pid_t pid;
	char c;

	ASSERT_EQ(0, stream_pair(true, &self->cli, &self->srv))
		TH_LOG("connection: %s", strerror(errno));
	rtx0 = xtcp_counter("RetransSegs");
	if (!tail)
		ADD_RULE_ID(id, "%s", rule);
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned int s = 12345;
		size_t off = 0;

		close(go[1]);
		while (off < bulk) {
			size_t len;

			s = s * 1103515245 + 12345;
			len = 1 + (s >> 8) % sizeof(buf);
			if (len > bulk - off)
				len = bulk - off;
			pat_fill(buf, len, 7, off);
			if (send_all(self->cli, buf, len))
				_exit(1);
			off += len;
		}
		if (tail) {
			if (read(go[0], &c, 1) != 1)
				_exit(2);
			pat_fill(buf, XFER_TAIL, 7, off);
			if (send_all(self->cli, buf, XFER_TAIL))
				_exit(3);
		}
		_exit(0);
	}
	close(go[0]);
	while (got < XFER_LEN) {
		size_t want;
		ssize_t n;
		long bad;

		if (tail && got == bulk) {
			ADD_RULE_ID(id, "%s", rule);
			ASSERT_EQ(1, write(go[1], "g", 1));
		}
		ASSERT_NE(0, wait_revents(self->srv, POLLIN, XTCP_WAIT_MS))
			TH_LOG("nothing for %d ms after %zu bytes", XTCP_WAIT_MS, got);
		want = (tail && got < bulk ? bulk : XFER_LEN) - got;
		n = recv(self->srv, buf, want < sizeof(buf) ? want : sizeof(buf),
			 MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			continue;
		ASSERT_LT(0, n) TH_LOG("recv after %zu bytes: %s", got,
				       n ? strerror(errno) : "end of stream");
		bad = pat_check(buf, n, 7, got);
		ASSERT_EQ(-1, bad) TH_LOG("byte %zu is wrong", got + bad);
		got += n;
	}
	close(go[1]);
	EXPECT_EQ(XFER_LEN, got);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("sender: status 0x%x", status);
	EXPECT_TRUE(nothing_more(self->srv));

	ASSERT_EQ(0, xtcp_fault_rule(id, &rc));
	EXPECT_EQ(1, rc.dropped);
	EXPECT_EQ(1, fault_drops());
	if (strstr(rule, "dir=in"))	/* it left once, so it was sent again */
		EXPECT_LE(rtx0 + 1, xtcp_counter("RetransSegs"));
	EXPECT_EQ(XTCP_ESTABLISHED, proc_st(self->cli));
	EXPECT_EQ(XTCP_ESTABLISHED, proc_st(self->srv));
	exchange(_metadata, self->cli, self->srv, 8);
	return id;
}

/* The 3rd data segment of 1 MiB is lost on the way (dropped at "in"). */
TEST_F_TIMEOUT(hs, lost_third_data_segment, 120)
{
	transfer(_metadata, self, "add dir=in flags=data nth=3 action=drop", false);
}

/* The 3rd data segment's transmit fails (dropped at "out"). */
TEST_F_TIMEOUT(hs, dropped_third_data_segment_out, 120)
{
	transfer(_metadata, self, "add dir=out flags=data nth=3 action=drop", false);
}

/*
 * The very last data segment is lost: no later segment makes duplicate
 * ACKs, so only the retransmission timer recovers it.
 */
TEST_F_TIMEOUT(hs, lost_last_data_segment, 120)
{
	struct xtcp_rule_count rc;
	unsigned int id;

	id = transfer(_metadata, self, "add dir=in flags=data nth=1 action=drop", true);
	ASSERT_EQ(0, xtcp_fault_rule(id, &rc));
	EXPECT_LE(2, rc.matched);	/* the segment and its retransmission */
}

/* ===================================================================== */
/* simultaneous open                                                     */
/* ===================================================================== */

#define PORT_A	45001
#define PORT_B	45002

/*
 * Two sockets bound to 127.0.0.1:PORT_A and :PORT_B connect to each other.
 * On loopback a SYN arrives before the other side has connected, and a
 * socket that only bound answers RST; so every SYN is lost on the way
 * (dropped at "in") until both have connected and both first SYNs are
 * gone, however long that takes.  Then the rule goes.  The SYNs sent
 * again 1 s later (both sockets' timers run out together) cross: a socket
 * in SYN_SENT receives the other's SYN, answers SYN+ACK from SYN_RCVD, and
 * both reach ESTABLISHED (RFC 9293 figure 8).  Should one timer run out
 * well after the other, the first SYN still finds its peer in SYN_SENT,
 * and that peer's SYN+ACK completes the other end's connect.  No listener
 * is involved, nobody is refused.
 */
TEST_F_TIMEOUT(hs, simultaneous_open, 120)
{
	struct sockaddr_in a_addr = sin_of(INADDR_LOOPBACK, PORT_A);
	struct sockaddr_in b_addr = sin_of(INADDR_LOOPBACK, PORT_B);
	struct sockaddr_in peer;
	struct xtcp_rule_count rc = { 0 };
	unsigned int hold;
	int a, b, ev;

	a = socket(xtcp_af(), SOCK_STREAM | SOCK_NONBLOCK, 0);
	b = socket(xtcp_af(), SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	self->cli = a;
	self->srv = b;
	ASSERT_EQ(0, bind(a, (struct sockaddr *)&a_addr, sizeof(a_addr)));
	ASSERT_EQ(0, bind(b, (struct sockaddr *)&b_addr, sizeof(b_addr)));
	ADD_RULE_ID(hold, "add dir=in flags=syn action=drop");

	ASSERT_EQ(-1, connect(a, (struct sockaddr *)&b_addr, sizeof(b_addr)));
	ASSERT_EQ(EINPROGRESS, errno);
	ASSERT_EQ(-1, connect(b, (struct sockaddr *)&a_addr, sizeof(a_addr)));
	ASSERT_EQ(EINPROGRESS, errno);
	/* Both SYNs lost, nothing else sent: both wait in SYN_SENT. */
	ASSERT_EQ(0, fault_wait_dropped(hold, 2, &rc)) TH_LOG("%ld SYNs dropped", rc.dropped);
	EXPECT_EQ(rc.matched, rc.dropped);
	EXPECT_EQ(XTCP_SYN_SENT, stream_state(true, a));
	EXPECT_EQ(XTCP_SYN_SENT, stream_state(true, b));
	EXPECT_EQ(0, wait_revents(a, POLLOUT, 0));
	EXPECT_EQ(0, wait_revents(b, POLLOUT, 0));
	DEL_RULE(hold);

	/* the SYN timers backed off while the SYNs were held */
	ev = wait_revents(a, POLLOUT, XTCP_WAIT_MS);
	EXPECT_EQ(POLLOUT, ev) TH_LOG("a: revents 0x%x, state %d, SO_ERROR %d", ev,
				      stream_state(true, a), get_int(a, SOL_SOCKET, SO_ERROR));
	ev = wait_revents(b, POLLOUT, XTCP_WAIT_MS);
	EXPECT_EQ(POLLOUT, ev) TH_LOG("b: revents 0x%x, state %d, SO_ERROR %d", ev,
				      stream_state(true, b), get_int(b, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(0, get_int(a, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(0, get_int(b, SOL_SOCKET, SO_ERROR));
	ASSERT_EQ(XTCP_ESTABLISHED, stream_state(true, a));
	ASSERT_EQ(XTCP_ESTABLISHED, stream_state(true, b));
	EXPECT_EQ(XTCP_ESTABLISHED, proc_st(a));
	EXPECT_EQ(XTCP_ESTABLISHED, proc_st(b));
	EXPECT_EQ(1, proc_rows_in(XTCP_ESTABLISHED, PORT_A, PORT_B));
	EXPECT_EQ(1, proc_rows_in(XTCP_ESTABLISHED, PORT_B, PORT_A));

	/* connect() again: 0 once (it completed), then EISCONN, as TCP. */
	EXPECT_EQ(0, connect(a, (struct sockaddr *)&b_addr, sizeof(b_addr)))
		TH_LOG("second connect: %s", strerror(errno));
	EXPECT_EQ(-1, connect(a, (struct sockaddr *)&b_addr, sizeof(b_addr)));
	EXPECT_EQ(EISCONN, errno);
	ASSERT_EQ(0, peer_name(a, &peer));
	EXPECT_TRUE(sin_equal(&b_addr, &peer));
	ASSERT_EQ(0, peer_name(b, &peer));
	EXPECT_TRUE(sin_equal(&a_addr, &peer));

	/* Nobody was refused, nothing passive happened. */
	EXPECT_LE(2, fault_drops());	/* the held SYNs */
	EXPECT_EQ(2, xtcp_counter("ActiveOpens"));
	EXPECT_EQ(0, xtcp_counter("PassiveOpens"));
	EXPECT_EQ(0, xtcp_counter("OutRsts"));

	/* Blocking from here on, for the data. */
	ASSERT_EQ(0, fcntl(a, F_SETFL, 0));
	ASSERT_EQ(0, fcntl(b, F_SETFL, 0));
	exchange(_metadata, a, b, 9);
}

/* ===================================================================== */
/* XTCP_SYNCNT and ETIMEDOUT                                             */
/* ===================================================================== */

/*
 * XTCP_SYNCNT takes 1..127 as TCP_SYNCNT does; the default is 6.  Each
 * value is tried on a TCP socket too, the reference.
 */
TEST_F(hs, syncnt_option_range)
{
	static const struct {
		int val, err;
	} tries[] = {
		{ 0, EINVAL }, { 128, EINVAL }, { -1, EINVAL }, { 1000, EINVAL },
		{ 1, 0 }, { 127, 0 }, { 2, 0 }, { 6, 0 },
	};
	int x = socket(xtcp_af(), SOCK_STREAM, 0);
	int t = socket(AF_INET, SOCK_STREAM, 0);
	int lvl = xtcp_proto(), v = 3;
	socklen_t len = sizeof(v);
	unsigned int i;
	short half = 3;

	ASSERT_LE(0, x);
	ASSERT_LE(0, t);
	self->cli = x;
	self->srv = t;
	EXPECT_EQ(6, get_int(x, lvl, XTCP_SYNCNT))
		TH_LOG("getsockopt(XTCP_SYNCNT): %s", strerror(errno));
	EXPECT_EQ(6, get_int(t, IPPROTO_TCP, TCP_SYNCNT));
	for (i = 0; i < ARRAY_SIZE(tries); i++) {
		int before = get_int(x, lvl, XTCP_SYNCNT), rx, rt, ex, et;

		rx = set_int(x, lvl, XTCP_SYNCNT, tries[i].val);
		ex = rx ? errno : 0;
		rt = set_int(t, IPPROTO_TCP, TCP_SYNCNT, tries[i].val);
		et = rt ? errno : 0;
		EXPECT_EQ(tries[i].err, ex) TH_LOG("XTCP_SYNCNT=%d: %s", tries[i].val,
						   strerror(ex));
		EXPECT_EQ(tries[i].err, et) TH_LOG("TCP_SYNCNT=%d", tries[i].val);
		EXPECT_EQ(tries[i].err ? before : tries[i].val,
			  get_int(x, lvl, XTCP_SYNCNT)) TH_LOG("after %d", tries[i].val);
	}
	/* Too short an option is EINVAL (TCP's answer too). */
	EXPECT_EQ(-1, setsockopt(x, lvl, XTCP_SYNCNT, &half, sizeof(half)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(t, IPPROTO_TCP, TCP_SYNCNT, &half, sizeof(half)));
	EXPECT_EQ(EINVAL, errno);
	/* Reading it back into a full int gives the int. */
	ASSERT_EQ(0, set_int(x, lvl, XTCP_SYNCNT, 3));
	v = -1;
	EXPECT_EQ(0, getsockopt(x, lvl, XTCP_SYNCNT, &v, &len));
	EXPECT_EQ(sizeof(int), len);
	EXPECT_EQ(3, v);
	/* A listener takes it too. */
	LISTEN(1);
	EXPECT_EQ(0, set_int(self->lfd, lvl, XTCP_SYNCNT, 9));
	EXPECT_EQ(9, get_int(self->lfd, lvl, XTCP_SYNCNT));
}

/* 10.255.255.1/32 "dev lo": a SYN to it comes back, is not local, and dies. */
#define ADDR_NOWHERE	0x0affff01

static int route_dev_lo(in_addr_t dst)
{
	struct rtentry rt = { 0 };
	struct sockaddr_in *sin;
	char dev[] = "lo";
	int fd = socket(AF_INET, SOCK_DGRAM, 0), ret;

	if (fd < 0)
		return -1;
	sin = (struct sockaddr_in *)&rt.rt_dst;
	*sin = sin_of(dst, 0);
	sin = (struct sockaddr_in *)&rt.rt_genmask;
	*sin = sin_of(0xffffffff, 0);
	rt.rt_flags = RTF_UP | RTF_HOST;
	rt.rt_dev = dev;
	ret = ioctl(fd, SIOCADDRT, &rt);
	close_keep_errno(fd);
	return ret;
}

/* The SYNCNT=2 schedule: SYN at 0 s, again at 1 s and 3 s, give up at 7 s. */
#define SYNCNT2_MS	7000

/*
 * Every SYN is dropped at "out"; with XTCP_SYNCNT 2 a blocking connect()
 * fails with ETIMEDOUT after 1 + 2 + 4 s on the kernel's clock, long
 * before the default XTCP_SYNCNT's 127 s.
 */
TEST_F_TIMEOUT(hs, syn_timeout_blocking, 120)
{
	long to0 = xtcp_counter("Timeouts");
	struct xtcp_rule_count rc;
	unsigned int id;
	long long t0, ms;
	int ret;

	LISTEN(4);
	ADD_RULE_ID(id, "add dir=out flags=syn count=all action=drop");
	self->cli = socket(xtcp_af(), SOCK_STREAM, 0);
	ASSERT_LE(0, self->cli);
	ASSERT_EQ(0, set_int(self->cli, xtcp_proto(), XTCP_SYNCNT, 2))
		TH_LOG("XTCP_SYNCNT: %s", strerror(errno));
	t0 = timer_ms(self->lfd);
	ASSERT_LE(0, t0);
	ret = connect(self->cli, (struct sockaddr *)&self->addr, sizeof(self->addr));
	ms = timer_ms(self->lfd) - t0;
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(ETIMEDOUT, errno) TH_LOG("connect: %s", strerror(errno));
	EXPECT_LE(SYNCNT2_MS - 500, ms) TH_LOG("gave up after %lld ms", ms);
	EXPECT_GE(XTCP_WAIT_MS, ms) TH_LOG("gave up after %lld ms", ms);
	EXPECT_EQ(XTCP_CLOSE, stream_state(true, self->cli));
	EXPECT_EQ(XTCP_CLOSE, proc_st(self->cli));
	EXPECT_EQ(to0 + 1, xtcp_counter("Timeouts"));
	EXPECT_EQ(0, xtcp_counter("PassiveOpens"));
	/* The SYN and its 2 retransmissions, each tried once. */
	ASSERT_EQ(0, xtcp_fault_rule(id, &rc));
	EXPECT_EQ(3, rc.matched) TH_LOG("%ld SYN transmissions for XTCP_SYNCNT 2",
					rc.matched);
	EXPECT_EQ(3, rc.dropped);
	/* The error was reported by connect(): nothing pending any more. */
	EXPECT_EQ(0, get_int(self->cli, SOL_SOCKET, SO_ERROR));
}

/**
 * struct timeout_wait - a wait for a connect to give up
 * @fd: the connecting socket
 * @clk: a listener whose timer_ms() times the wait
 * @revents: what poll() reported (0: nothing in XTCP_WAIT_MS)
 * @end: timer_ms(@clk) when it did
 */
struct timeout_wait {
	int fd, clk;
	int revents;
	long long end;
};

static void *wait_timeout(void *arg)
{
	struct timeout_wait *w = arg;

	w->revents = wait_revents(w->fd, POLLIN | POLLOUT | POLLRDHUP, XTCP_WAIT_MS);
	w->end = timer_ms(w->clk);
	return NULL;
}

/*
 * A non-blocking connect whose SYNs are all lost on the way (dropped at
 * "in"), with XTCP_SYNCNT 2, next to a TCP one with TCP_SYNCNT 2 to an
 * address that never answers.  When they give up, poll() must report the
 * same bits on both (TCP: POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDHUP),
 * and SO_ERROR is ETIMEDOUT once, then 0.
 */
TEST_F_TIMEOUT(hs, syn_timeout_nonblocking, 120)
{
	struct sockaddr_in nowhere = sin_of(ADDR_NOWHERE, 9);
	struct timeout_wait wx = { .fd = -1 }, wt = { .fd = -1 };
	struct xtcp_rule_count rc;
	unsigned int id;
	long long t0, ms;
	pthread_t th;
	int tcp;

	LISTEN(4);
	ADD_RULE_ID(id, "add dir=in flags=syn count=all action=drop");
	ASSERT_EQ(0, route_dev_lo(ADDR_NOWHERE)) TH_LOG("route: %s", strerror(errno));
	ASSERT_EQ(0, xtcp_counter("RetransSegs"));

	tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, tcp);
	self->srv = tcp;
	ASSERT_EQ(0, set_int(tcp, IPPROTO_TCP, TCP_SYNCNT, 2));
	self->cli = socket(xtcp_af(), SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, self->cli);
	ASSERT_EQ(0, set_int(self->cli, xtcp_proto(), XTCP_SYNCNT, 2))
		TH_LOG("XTCP_SYNCNT: %s", strerror(errno));

	ASSERT_EQ(-1, connect(tcp, (struct sockaddr *)&nowhere, sizeof(nowhere)));
	ASSERT_EQ(EINPROGRESS, errno);
	t0 = timer_ms(self->lfd);
	ASSERT_LE(0, t0);
	ASSERT_EQ(-1, connect(self->cli, (struct sockaddr *)&self->addr,
			      sizeof(self->addr)));
	ASSERT_EQ(EINPROGRESS, errno);
	EXPECT_EQ(0, wait_revents(self->cli, POLLIN | POLLOUT, 300));
	EXPECT_EQ(XTCP_SYN_SENT, proc_st(self->cli));

	wx.fd = self->cli;
	wt.fd = tcp;
	wx.clk = self->lfd;
	wt.clk = self->lfd;
	ASSERT_EQ(0, pthread_create(&th, NULL, wait_timeout, &wt));
	wait_timeout(&wx);
	ASSERT_EQ(0, pthread_join(th, NULL));

	EXPECT_NE(0, wt.revents) TH_LOG("TCP did not give up in %d ms", XTCP_WAIT_MS);
	EXPECT_NE(0, wx.revents) TH_LOG("xtcp did not give up in %d ms", XTCP_WAIT_MS);
	EXPECT_EQ(POLLOUT | POLLERR, wx.revents & (POLLOUT | POLLERR));
	EXPECT_EQ(wt.revents, wx.revents)
		TH_LOG("revents: TCP 0x%x, xtcp 0x%x", wt.revents, wx.revents);
	/* from before connect(), on the kernel's clock */
	ms = wx.end - t0;
	EXPECT_LE(SYNCNT2_MS - 500, ms) TH_LOG("xtcp gave up after %lld ms", ms);

	EXPECT_EQ(ETIMEDOUT, get_int(tcp, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(ETIMEDOUT, get_int(self->cli, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(0, get_int(self->cli, SOL_SOCKET, SO_ERROR));	/* read clears it */
	EXPECT_EQ(XTCP_CLOSE, stream_state(true, self->cli));
	EXPECT_EQ(1, xtcp_counter("Timeouts"));
	EXPECT_EQ(2, xtcp_counter("RetransSegs"));
	ASSERT_EQ(0, xtcp_fault_rule(id, &rc));
	EXPECT_EQ(3, rc.matched);
	EXPECT_EQ(3, rc.dropped);
	EXPECT_EQ(0, xtcp_counter("PassiveOpens"));
}

/* Tries of fast_retransmit_on_third_dupack; one must be judged. */
#define FAST_RETRANS_TRIES	5

/*
 * Fast retransmit: of thirteen 100-byte segments sent back to back, the
 * 3rd is lost; the ten behind it each draw a duplicate ACK, and the third
 * of those resends it at once, with no retransmission timeout.
 *
 * A sender kept off the CPU for its RTO (200 ms at least) between the
 * segments, or duplicate ACKs left undelivered as long, rightly lets the
 * timer resend it first.  A try where the timer ran (RtoExpired moved)
 * is not judged and is made again on a new connection; the stream must
 * arrive whole every time, and one try at least must be judged.
 */
TEST_F_TIMEOUT(hs, fast_retransmit_on_third_dupack, 120)
{
	int clis[FAST_RETRANS_TRIES], srvs[FAST_RETRANS_TRIES];
	unsigned char out[1300], in[1300];
	int i, tries, judged = 0;

	pat_fill(out, sizeof(out), 9, 0);
	for (tries = 0; tries < FAST_RETRANS_TRIES && !judged; tries++) {
		long fast0, rto0, rtx0, fast, rto, rtx;
		struct xtcp_rule_count rc;
		struct sockaddr_in peer;
		unsigned int id;

		/* earlier tries' connections stay open (and idle) till the end */
		ASSERT_EQ(0, stream_pair(true, &clis[tries], &srvs[tries]))
			TH_LOG("connection: %s", strerror(errno));
		self->cli = clis[tries];
		self->srv = srvs[tries];
		/* each write its own segment: Nagle would merge them */
		ASSERT_EQ(0, set_int(self->cli, IPPROTO_TCP, TCP_NODELAY, 1));
		ASSERT_EQ(0, peer_name(self->cli, &peer));
		fast0 = xtcp_counter("FastRetrans");
		rto0 = xtcp_counter("RtoExpired");
		rtx0 = xtcp_counter("RetransSegs");
		ADD_RULE_ID(id, "add dir=in flags=data port=%u nth=3 action=drop",
			    port_of(&peer));
		for (i = 0; i < 13; i++)
			ASSERT_EQ(100, send(self->cli, out + 100 * i, 100, 0));
		ASSERT_EQ(0, recv_exact(self->srv, in, sizeof(in), XTCP_WAIT_MS))
			TH_LOG("recv: %s", strerror(errno));
		EXPECT_EQ(-1, pat_check(in, sizeof(in), 9, 0));
		ASSERT_EQ(0, xtcp_fault_rule(id, &rc));
		EXPECT_EQ(1, rc.dropped);
		DEL_RULE(id);
		fast = xtcp_counter("FastRetrans") - fast0;
		rto = xtcp_counter("RtoExpired") - rto0;
		rtx = xtcp_counter("RetransSegs") - rtx0;
		EXPECT_LE(1, rtx) TH_LOG("the lost segment was never resent");
		if (rto) {
			TH_LOG("try %d: the timer ran %ld times (%ld fast retransmits): not judged",
			       tries, rto, fast);
			continue;
		}
		judged = 1;
		EXPECT_EQ(1, fast);
		EXPECT_EQ(1, rtx);
	}
	EXPECT_TRUE(judged) TH_LOG("the timer ran in all %d tries", tries);
	/* the fixture closes the last pair */
	for (i = 0; i < tries - 1; i++) {
		close(clis[i]);
		close(srvs[i]);
	}
}

/* ===================================================================== */
/* a FIN ahead of the data it ends                                       */
/* ===================================================================== */

/* Wait up to @ms for @fd's connection to reach @st in /proc/net/xtcp. */
static bool reaches_state(int fd, int st, int ms)
{
	long long end = now_ms() + ms;

	do {
		if (proc_st(fd) == st)
			return true;
		usleep(10000);
	} while (now_ms() < end);
	return false;
}

/*
 * The last data segment is held back 300 ms, so the FIN behind it arrives
 * first and waits in the out-of-order queue; when the data comes, both
 * are taken in order: all the data, then end of stream, the FIN ACKed
 * (FIN_WAIT_2 at the client), and the other direction still open.  (The
 * drain once read the freed FIN skb's sequence number, which the guest's
 * slab poisoning turns into a wild RCV.NXT.)
 */
TEST_F(hs, fin_overtakes_last_data)
{
	unsigned char out[1000], in[1000];
	struct xtcp_rule_count rc;
	unsigned int id;
	char c;

	LISTEN(4);
	self->cli = stream_connect(true, &self->addr);
	ASSERT_LE(0, self->cli) TH_LOG("connect: %s", strerror(errno));
	self->srv = accept_within(self->lfd, XTCP_WAIT_MS);
	ASSERT_LE(0, self->srv) TH_LOG("accept: %s", strerror(errno));
	ADD_RULE_ID(id, "add dir=in flags=data port=%u count=1 action=delay delay=300",
		    port_of(&self->addr));
	pat_fill(out, sizeof(out), 7, 0);
	ASSERT_EQ(sizeof(out), send(self->cli, out, sizeof(out), 0));
	ASSERT_EQ(0, shutdown(self->cli, SHUT_WR));

	ASSERT_EQ(0, recv_exact(self->srv, in, sizeof(in), XTCP_WAIT_MS))
		TH_LOG("recv: %s", strerror(errno));
	EXPECT_EQ(-1, pat_check(in, sizeof(in), 7, 0));
	EXPECT_EQ(POLLIN, wait_revents(self->srv, POLLIN, XTCP_WAIT_MS));
	EXPECT_EQ(0, recv(self->srv, &c, 1, MSG_DONTWAIT));
	ASSERT_EQ(0, xtcp_fault_rule(id, &rc));
	EXPECT_EQ(1, rc.delayed);
	EXPECT_EQ(XTCP_CLOSE_WAIT, proc_st(self->srv));
	EXPECT_TRUE(reaches_state(self->cli, XTCP_FIN_WAIT2, XTCP_WAIT_MS))
		TH_LOG("client in state %d, its FIN not acknowledged", proc_st(self->cli));

	/* half-close: the server still sends, the client still reads */
	ASSERT_EQ(sizeof(out), send(self->srv, out, sizeof(out), 0));
	ASSERT_EQ(0, recv_exact(self->cli, in, sizeof(in), XTCP_WAIT_MS));
	EXPECT_EQ(-1, pat_check(in, sizeof(in), 7, 0));
	EXPECT_TRUE(nothing_more(self->cli));
}

/* ===================================================================== */
/* an orphan in FIN_WAIT_2                                               */
/* ===================================================================== */

/* XTCP_LINGER2 takes, clamps and reads back what TCP_LINGER2 does. */
TEST_F(hs, linger2_option_like_tcp)
{
	static const int vals[] = { 0, 1, 60, 120, 121, 100000, -1, -5 };
	int x = socket(xtcp_af(), SOCK_STREAM, 0);
	int t = socket(AF_INET, SOCK_STREAM, 0);
	size_t j;

	ASSERT_LE(0, x);
	ASSERT_LE(0, t);
	EXPECT_EQ(get_int(t, IPPROTO_TCP, TCP_LINGER2), get_int(x, xtcp_proto(), XTCP_LINGER2));
	for (j = 0; j < ARRAY_SIZE(vals); j++) {
		EXPECT_EQ(set_int(t, IPPROTO_TCP, TCP_LINGER2, vals[j]),
			  set_int(x, xtcp_proto(), XTCP_LINGER2, vals[j]));
		EXPECT_EQ(get_int(t, IPPROTO_TCP, TCP_LINGER2),
			  get_int(x, xtcp_proto(), XTCP_LINGER2)) TH_LOG("value %d", vals[j]);
	}
	close(x);
	close(t);
}

/*
 * The st of the row with local port @lport and remote port @rport in
 * /proc/net/xtcp; -1 if there is none, -2 if the file does not read.
 */
static int tuple_st(unsigned int lport, unsigned int rport)
{
	static struct xtcp_row rows[4096];
	int i, n = xtcp_read_rows(XTCP_PROC, rows, 4096);

	if (n < 0)
		return -2;
	for (i = 0; i < n && i < 4096; i++)
		if (rows[i].lport == lport && rows[i].rport == rport)
			return rows[i].st;
	return -1;
}

/*
 * The client closes, the server never does: the client's orphan waits in
 * FIN_WAIT_2 (listed) for XTCP_LINGER2 seconds, then is reset and freed;
 * with a negative XTCP_LINGER2 it is reset at once.  Either way the
 * server's end learns of it (ECONNRESET after the end of stream).
 *
 * The orphan's row is watched until it goes (FIN_WAIT_1 until its FIN is
 * ACKed, then FIN_WAIT_2), and its time counted on the kernel's clock.  A
 * test kept off the CPU for the whole XTCP_LINGER2 may look only after it
 * went: FinWait2Timeouts, counted only in FIN_WAIT_2, shows it was there.
 */
static void orphan_fin_wait2(struct __test_metadata *_metadata, FIXTURE_DATA(hs) * self,
			     int linger2)
{
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	long long t0, ms, end;
	int st, other = -1;
	bool seen = false;
	char c;

	LISTEN(4);
	self->cli = stream_connect(true, &self->addr);
	ASSERT_LE(0, self->cli) TH_LOG("connect: %s", strerror(errno));
	self->srv = accept_within(self->lfd, XTCP_WAIT_MS);
	ASSERT_LE(0, self->srv) TH_LOG("accept: %s", strerror(errno));
	ASSERT_EQ(0, getsockname(self->cli, (struct sockaddr *)&me, &len));
	ASSERT_EQ(0, set_int(self->cli, xtcp_proto(), XTCP_LINGER2, linger2));
	t0 = timer_ms(self->lfd);
	ASSERT_LE(0, t0);
	ASSERT_EQ(0, close(self->cli));
	self->cli = -1;
	/* the orphan goes: no row for its ports in any state */
	end = now_ms() + XTCP_WAIT_MS;
	while ((st = tuple_st(port_of(&me), port_of(&self->addr))) != -1 &&
	       now_ms() < end) {
		if (st == XTCP_FIN_WAIT2)
			seen = true;
		else if (st != XTCP_FIN_WAIT1)
			other = st;
		usleep(10000);
	}
	ms = timer_ms(self->lfd) - t0;
	EXPECT_EQ(-1, st) TH_LOG("the orphan still listed (st %d) after %lld ms", st, ms);
	EXPECT_EQ(-1, other) TH_LOG("the orphan listed in state %d", other);
	EXPECT_EQ(1, xtcp_counter("FinWait2Timeouts"));
	if (linger2 > 0) {
		EXPECT_TRUE(seen || xtcp_counter("FinWait2Timeouts") == 1)
			TH_LOG("never listed in FIN_WAIT_2");
		if (!seen)
			TH_LOG("gone before it was seen in FIN_WAIT_2 (a busy guest)");
		EXPECT_LE(linger2 * 1000 - 100, ms) TH_LOG("gone after %lld ms", ms);
	}
	EXPECT_TRUE(reaches_state(self->srv, XTCP_CLOSE, XTCP_WAIT_MS))
		TH_LOG("server end in state %d", proc_st(self->srv));
	EXPECT_EQ(0, recv(self->srv, &c, 1, MSG_DONTWAIT));	/* the FIN came first */
}

TEST_F_TIMEOUT(hs, orphan_fin_wait2_times_out, 120)
{
	orphan_fin_wait2(_metadata, self, 1);
}

TEST_F_TIMEOUT(hs, orphan_fin_wait2_negative_linger2_resets, 120)
{
	orphan_fin_wait2(_metadata, self, -1);
}

/* ===================================================================== */
/* keepalive                                                             */
/* ===================================================================== */

/*
 * XTCP_KEEPIDLE, XTCP_KEEPINTVL and XTCP_KEEPCNT take and refuse exactly
 * what TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT do, and start from the
 * same defaults.
 */
TEST_F(hs, keepalive_options_like_tcp)
{
	static const struct {
		int xopt, topt;
	} opts[] = {
		{ XTCP_KEEPIDLE, TCP_KEEPIDLE },
		{ XTCP_KEEPINTVL, TCP_KEEPINTVL },
		{ XTCP_KEEPCNT, TCP_KEEPCNT },
	};
	static const int vals[] = { 0, 1, 2, 127, 128, 32767, 32768, -1 };
	int x = socket(xtcp_af(), SOCK_STREAM, 0);
	int t = socket(AF_INET, SOCK_STREAM, 0);
	size_t i, j;

	ASSERT_LE(0, x);
	ASSERT_LE(0, t);
	for (i = 0; i < ARRAY_SIZE(opts); i++) {
		EXPECT_EQ(get_int(t, IPPROTO_TCP, opts[i].topt),
			  get_int(x, xtcp_proto(), opts[i].xopt));
		for (j = 0; j < ARRAY_SIZE(vals); j++) {
			int rt = set_int(t, IPPROTO_TCP, opts[i].topt, vals[j]);
			int et = rt ? errno : 0;
			int rx = set_int(x, xtcp_proto(), opts[i].xopt, vals[j]);
			int ex = rx ? errno : 0;

			EXPECT_EQ(rt, rx) TH_LOG("option %d value %d", opts[i].xopt, vals[j]);
			EXPECT_EQ(et, ex) TH_LOG("option %d value %d", opts[i].xopt, vals[j]);
			EXPECT_EQ(get_int(t, IPPROTO_TCP, opts[i].topt),
				  get_int(x, xtcp_proto(), opts[i].xopt));
		}
	}
	close(x);
	close(t);
}

/*
 * A connection with 1 s idle, 1 s interval, @cnt probes, and SO_KEEPALIVE
 * @on.
 */
static void keepalive_pair(struct __test_metadata *_metadata, FIXTURE_DATA(hs) * self,
			   bool on, int cnt)
{
	LISTEN(4);
	self->cli = stream_connect(true, &self->addr);
	ASSERT_LE(0, self->cli) TH_LOG("connect: %s", strerror(errno));
	self->srv = accept_within(self->lfd, XTCP_WAIT_MS);
	ASSERT_LE(0, self->srv) TH_LOG("accept: %s", strerror(errno));
	ASSERT_EQ(0, set_int(self->cli, xtcp_proto(), XTCP_KEEPIDLE, 1));
	ASSERT_EQ(0, set_int(self->cli, xtcp_proto(), XTCP_KEEPINTVL, 1));
	ASSERT_EQ(0, set_int(self->cli, xtcp_proto(), XTCP_KEEPCNT, cnt));
	ASSERT_EQ(0, set_int(self->cli, SOL_SOCKET, SO_KEEPALIVE, on));
}

/* The client's unanswered keepalive probes (its row's timeout column), or -1. */
static int probes_out(int fd)
{
	struct xtcp_row r;

	return xtcp_find_row(XTCP_PROC, sock_inode(fd), &r) ? (int)r.timeout : -1;
}

/*
 * An idle connection with SO_KEEPALIVE sends a probe once it has been idle
 * for XTCP_KEEPIDLE, and again every XTCP_KEEPINTVL; the peer answers each,
 * so the connection lives on and still carries data.  Two probes were
 * sent and the last answered (the unanswered count back to 0); 10 probes
 * allowed, so that a busy guest slow to deliver an answer does not end it.
 */
TEST_F_TIMEOUT(hs, keepalive_probes_answered, 120)
{
	long long end;
	bool answered = false;

	keepalive_pair(_metadata, self, true, 10);
	end = now_ms() + XTCP_WAIT_MS;
	do {
		if (xtcp_counter("KeepaliveProbes") >= 2 && probes_out(self->cli) == 0) {
			answered = true;
			break;
		}
		usleep(10000);
	} while (now_ms() < end);
	EXPECT_TRUE(answered) TH_LOG("%ld probes, %d unanswered",
				     xtcp_counter("KeepaliveProbes"), probes_out(self->cli));
	EXPECT_LE(2, xtcp_counter("KeepaliveProbes"));
	EXPECT_EQ(0, xtcp_counter("KeepaliveTimeouts"));
	EXPECT_EQ(XTCP_ESTABLISHED, proc_st(self->cli));
	EXPECT_EQ(XTCP_ESTABLISHED, proc_st(self->srv));
	exchange(_metadata, self->cli, self->srv, 1000);
}

/* Without SO_KEEPALIVE the same idle connection sends no probe at all. */
TEST_F(hs, keepalive_off_sends_nothing)
{
	keepalive_pair(_metadata, self, false, 2);
	sleep(3);
	EXPECT_EQ(0, xtcp_counter("KeepaliveProbes"));
	EXPECT_EQ(XTCP_ESTABLISHED, proc_st(self->cli));
}

/*
 * A peer that has gone silent (every segment on the connection dropped):
 * after the idle time and XTCP_KEEPCNT unanswered probes the connection
 * ends, recv() fails with ETIMEDOUT and poll reports POLLERR, as TCP does.
 * SO_KEEPALIVE goes on only once the peer is silent, so that no probe
 * can be answered however late the test gets there.
 */
TEST_F_TIMEOUT(hs, keepalive_silent_peer_times_out, 120)
{
	long long t0, ms;
	char c;
	int ev;

	keepalive_pair(_metadata, self, false, 2);
	t0 = timer_ms(self->lfd);
	ASSERT_LE(0, t0);
	ADD_RULE("add dir=in port=%u action=drop", port_of(&self->addr));
	ASSERT_EQ(0, set_int(self->cli, SOL_SOCKET, SO_KEEPALIVE, 1));
	ev = wait_revents(self->cli, POLLERR, XTCP_WAIT_MS);
	ms = timer_ms(self->lfd) - t0;
	EXPECT_TRUE(ev & POLLERR) TH_LOG("revents 0x%x after %lld ms", ev, ms);
	/* idle 1 s, then two probes 1 s apart and 1 s for the last answer */
	EXPECT_LE(2500, ms);
	EXPECT_EQ(-1, recv(self->cli, &c, 1, MSG_DONTWAIT));
	EXPECT_EQ(ETIMEDOUT, errno);
	EXPECT_EQ(2, xtcp_counter("KeepaliveProbes"));
	EXPECT_EQ(1, xtcp_counter("KeepaliveTimeouts"));
	EXPECT_EQ(XTCP_CLOSE, stream_state(true, self->cli));
}

/* ===================================================================== */
/* giving up on unacknowledged data                                      */
/* ===================================================================== */

/* XTCP_USER_TIMEOUT takes, refuses and reads back what TCP_USER_TIMEOUT does. */
TEST_F(hs, user_timeout_option_like_tcp)
{
	static const int vals[] = { 0, 1, 1001, 30000, 0x7fffffff, -1 };
	int x = socket(xtcp_af(), SOCK_STREAM, 0);
	int t = socket(AF_INET, SOCK_STREAM, 0);
	size_t j;

	ASSERT_LE(0, x);
	ASSERT_LE(0, t);
	EXPECT_EQ(get_int(t, IPPROTO_TCP, TCP_USER_TIMEOUT),
		  get_int(x, xtcp_proto(), XTCP_USER_TIMEOUT));
	for (j = 0; j < ARRAY_SIZE(vals); j++) {
		int rt = set_int(t, IPPROTO_TCP, TCP_USER_TIMEOUT, vals[j]);
		int et = rt ? errno : 0;
		int rx = set_int(x, xtcp_proto(), XTCP_USER_TIMEOUT, vals[j]);
		int ex = rx ? errno : 0;

		EXPECT_EQ(rt, rx) TH_LOG("value %d", vals[j]);
		EXPECT_EQ(et, ex) TH_LOG("value %d", vals[j]);
		EXPECT_EQ(get_int(t, IPPROTO_TCP, TCP_USER_TIMEOUT),
			  get_int(x, xtcp_proto(), XTCP_USER_TIMEOUT));
	}
	close(x);
	close(t);
}

/* Tries of unacknowledged_data_times_out_with_rst; one must be judged. */
#define USER_TIMEOUT_TRIES	3

/*
 * Data the peer never acknowledges (everything on the connection is
 * dropped): after XTCP_USER_TIMEOUT the sender gives up, resets the
 * connection and reports ETIMEDOUT, as TCP does after its retry limit.
 * Meanwhile the retransmission timer ran twice at least (RTO 200 ms or
 * more, doubling), unless the RTO a slow handshake left (three times its
 * round trip) or a guest stalled past the expiries allowed fewer runs in
 * the 2 s: such a try is not judged on that count and is made again on
 * a new connection (earlier ones stay open, idle, till the end); one try
 * at least must be judged.
 */
TEST_F_TIMEOUT(hs, unacknowledged_data_times_out_with_rst, 120)
{
	int clis[USER_TIMEOUT_TRIES], srvs[USER_TIMEOUT_TRIES];
	static const char buf[1000];
	int i, tries, judged = 0;

	LISTEN(4);
	for (tries = 0; tries < USER_TIMEOUT_TRIES && !judged; tries++) {
		long rsts0, timeouts0, rto0, rto;
		long long t0, ms;
		unsigned int id;
		char c;
		int ev;

		clis[tries] = stream_connect(true, &self->addr);
		ASSERT_LE(0, clis[tries]) TH_LOG("connect: %s", strerror(errno));
		self->cli = clis[tries];
		srvs[tries] = accept_within(self->lfd, XTCP_WAIT_MS);
		ASSERT_LE(0, srvs[tries]) TH_LOG("accept: %s", strerror(errno));
		self->srv = srvs[tries];
		ASSERT_EQ(0, set_int(self->cli, xtcp_proto(), XTCP_USER_TIMEOUT, 2000));
		rsts0 = xtcp_counter("OutRsts");
		timeouts0 = xtcp_counter("Timeouts");
		rto0 = xtcp_counter("RtoExpired");
		ADD_RULE_ID(id, "add dir=in port=%u action=drop", port_of(&self->addr));
		t0 = timer_ms(self->lfd);
		ASSERT_LE(0, t0);
		ASSERT_EQ(sizeof(buf), send(self->cli, buf, sizeof(buf), 0));
		ev = wait_revents(self->cli, POLLERR, XTCP_WAIT_MS);
		ms = timer_ms(self->lfd) - t0;
		EXPECT_TRUE(ev & POLLERR) TH_LOG("revents 0x%x after %lld ms", ev, ms);
		EXPECT_LE(1900, ms);
		EXPECT_EQ(-1, recv(self->cli, &c, 1, MSG_DONTWAIT));
		EXPECT_EQ(ETIMEDOUT, errno);
		EXPECT_EQ(rsts0 + 1, xtcp_counter("OutRsts"));
		EXPECT_EQ(timeouts0 + 1, xtcp_counter("Timeouts"));
		EXPECT_EQ(XTCP_CLOSE, stream_state(true, self->cli));
		DEL_RULE(id);
		rto = xtcp_counter("RtoExpired") - rto0;
		if (rto < 2) {
			TH_LOG("try %d: the timer ran %ld times in %lld ms: not judged",
			       tries, rto, ms);
			continue;
		}
		judged = 1;
	}
	EXPECT_TRUE(judged) TH_LOG("the timer ran less than twice in all %d tries", tries);
	/* the fixture closes the last pair */
	for (i = 0; i < tries - 1; i++) {
		close(clis[i]);
		close(srvs[i]);
	}
}

/* ===================================================================== */
/* a thousand connections in one epoll loop                              */
/* ===================================================================== */

#define NCONN		1000
#define ECHO_MAX	4096

enum { ROLE_LISTEN, ROLE_CLI, ROLE_SRV };

/**
 * struct echo_conn - one end of one of the NCONN connections
 * @fd: the socket
 * @len: bytes the client sends (client) / 0 (server)
 * @sent: bytes sent so far
 * @rcvd: bytes received so far (client: echoed back, checked)
 * @pend: bytes received and not yet echoed (server)
 * @connected: the client saw its connect complete
 * @done: the client got all its bytes back
 * @buf: the server's bytes to echo
 */
struct echo_conn {
	int fd;
	size_t len, sent, rcvd, pend;
	bool connected, done;
	unsigned char buf[ECHO_MAX];
};

static u64 ep_tag(int role, int i)
{
	return (u64)role << 32 | (u32)i;
}

static int ep_set(int ep, int op, int fd, u32 events, u64 tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	return epoll_ctl(ep, op, fd, &ev);
}

/* Send what the client has left; then only wait for the echo. */
static int cli_send(int ep, struct echo_conn *c, int i)
{
	unsigned char out[ECHO_MAX];
	ssize_t n;

	pat_fill(out, c->len - c->sent, 100 + i, c->sent);
	n = send(c->fd, out, c->len - c->sent, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	c->sent += n;
	if (c->sent == c->len)
		return ep_set(ep, EPOLL_CTL_MOD, c->fd, EPOLLIN, ep_tag(ROLE_CLI, i));
	return 0;
}

/* Read the echo and check it; -1 on error, wrong data or end of stream. */
static int cli_recv(struct echo_conn *c, int i)
{
	unsigned char in[ECHO_MAX];
	ssize_t n = recv(c->fd, in, sizeof(in), MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	if (n == 0 || c->rcvd + n > c->len || pat_check(in, n, 100 + i, c->rcvd) >= 0)
		return -1;
	c->rcvd += n;
	if (c->rcvd == c->len)
		c->done = true;
	return 0;
}

/* Take what came, echo what can go; wait for room when the echo stalls. */
static int srv_echo(int ep, struct echo_conn *s, int i)
{
	ssize_t n;

	if (s->pend < ECHO_MAX) {
		n = recv(s->fd, s->buf + s->pend, ECHO_MAX - s->pend, MSG_DONTWAIT);
		if (n == 0)
			return -1;	/* nobody closes before the end */
		if (n < 0 && errno != EAGAIN)
			return -1;
		if (n > 0)
			s->pend += n;
	}
	if (s->pend) {
		n = send(s->fd, s->buf, s->pend, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN)
			return -1;
		if (n > 0) {
			memmove(s->buf, s->buf + n, s->pend - n);
			s->pend -= n;
		}
	}
	return ep_set(ep, EPOLL_CTL_MOD, s->fd,
		      s->pend == ECHO_MAX ? EPOLLOUT : s->pend ? EPOLLIN | EPOLLOUT : EPOLLIN,
		      ep_tag(ROLE_SRV, i));
}

/*
 * One listener, NCONN non-blocking clients connecting all at once, and a
 * single epoll loop that accepts, completes the connects, sends 1-4 KiB
 * of each client's own data, echoes it on the accepted side and checks it
 * back byte for byte.  Nothing closes until every client has its echo, so
 * all 2 * NCONN ends are open at once; then everything closes, the
 * clients first, and /proc/net/xtcp must drain to what was there before
 * but for the TIME_WAIT entries: one per connection (the client's), two
 * where the server's FIN crossed the client's.  The count scales with
 * $XTCP_LOAD_PERCENT (at least 200): the debug kernel takes two minutes
 * for the thousand.
 */
TEST_F_TIMEOUT(hs, thousand_connections_epoll, 300)
{
	static struct echo_conn cli[NCONN], srv[NCONN];
	/* the debug lane's scaled load: at least 200, at most NCONN */
	const int nconn = xtcp_scaled_min(NCONN, 200) > NCONN ? NCONN :
			  xtcp_scaled_min(NCONN, 200);
	long long moved;
	struct rlimit rl = { 4096, 4096 };
	struct epoll_event evs[256];
	int i, ep, nsrv = 0, ndone = 0, rows0, rows, tw_rows = 0;
	long long t0, ms;
	long socks0, tw0, tw;

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < 2 * nconn + 64) {
		rl.rlim_cur = 4096;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl))
			TH_LOG("RLIMIT_NOFILE 4096: %s", strerror(errno));
	}
	rows0 = proc_rows_but(XTCP_TIME_WAIT);
	socks0 = xtcp_counter("CurrSockets");
	tw0 = xtcp_counter("TimeWaitCreated");
	ASSERT_LE(0, rows0);

	LISTEN(nconn + 24);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, ep_set(ep, EPOLL_CTL_ADD, self->lfd, EPOLLIN, ep_tag(ROLE_LISTEN, 0)));

	t0 = now_ms();
	for (i = 0; i < nconn; i++) {
		struct echo_conn *c = &cli[i];

		c->len = 1024 + (size_t)i * 7919 % (ECHO_MAX - 1024 + 1);
		c->fd = connect_nb(&self->addr);
		ASSERT_LE(0, c->fd) TH_LOG("client %d: %s", i, strerror(errno));
		ASSERT_EQ(0, ep_set(ep, EPOLL_CTL_ADD, c->fd, EPOLLOUT | EPOLLIN,
				    ep_tag(ROLE_CLI, i)));
	}
	moved = now_ms();
	while (ndone < nconn) {
		int n = epoll_wait(ep, evs, ARRAY_SIZE(evs), 1000), k;
		int before = ndone + nsrv;

		ASSERT_LE(0, n) TH_LOG("epoll_wait: %s", strerror(errno));
		if (now_ms() - moved > XTCP_WAIT_MS)
			break;	/* no accept or echo for XTCP_WAIT_MS */
		for (k = 0; k < n; k++) {
			int role = evs[k].data.u64 >> 32, idx = (u32)evs[k].data.u64;
			u32 e = evs[k].events;
			struct echo_conn *c;

			if (role == ROLE_LISTEN) {
				int fd;

				while ((fd = accept4(self->lfd, NULL, NULL,
						     SOCK_NONBLOCK)) >= 0) {
					ASSERT_GT(nconn, nsrv) TH_LOG("more accepts than clients");
					srv[nsrv].fd = fd;
					ASSERT_EQ(0, ep_set(ep, EPOLL_CTL_ADD, fd, EPOLLIN,
							    ep_tag(ROLE_SRV, nsrv)));
					nsrv++;
				}
				ASSERT_EQ(EAGAIN, errno) TH_LOG("accept: %s", strerror(errno));
				continue;
			}
			if (role == ROLE_SRV) {
				ASSERT_EQ(0, srv_echo(ep, &srv[idx], idx))
					TH_LOG("server %d: events 0x%x, %s", idx, e,
					       strerror(errno));
				continue;
			}
			c = &cli[idx];
			if (!c->connected && (e & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
				ASSERT_EQ(0, get_int(c->fd, SOL_SOCKET, SO_ERROR))
					TH_LOG("client %d: connect failed", idx);
				c->connected = true;
			}
			ASSERT_FALSE(e & (EPOLLERR | EPOLLHUP))
				TH_LOG("client %d: events 0x%x", idx, e);
			if (c->connected && c->sent < c->len && (e & EPOLLOUT))
				ASSERT_EQ(0, cli_send(ep, c, idx))
					TH_LOG("client %d: send: %s", idx, strerror(errno));
			if (e & EPOLLIN) {
				bool was = c->done;

				ASSERT_EQ(0, cli_recv(c, idx))
					TH_LOG("client %d: echo wrong or cut after %zu of %zu",
					       idx, c->rcvd, c->len);
				if (c->done && !was)
					ndone++;
			}
		}
		if (ndone + nsrv != before)
			moved = now_ms();
	}
	ms = now_ms() - t0;
	ASSERT_EQ(nconn, ndone) TH_LOG("%d of %d echoed, %d accepted, in %lld ms", ndone,
				       nconn, nsrv, ms);
	EXPECT_EQ(nconn, nsrv);
	TH_LOG("%d connections echoed in %lld ms", nconn, ms);

	/* All of them open at once: both ends of every connection. */
	EXPECT_EQ(2 * nconn, proc_rows_in(XTCP_ESTABLISHED, 0, 0));
	EXPECT_EQ(1, proc_rows_in(XTCP_LISTEN, 0, 0));
	EXPECT_EQ(rows0 + 2 * nconn + 1, proc_rows_but(XTCP_TIME_WAIT));
	EXPECT_EQ(nconn, xtcp_counter("PassiveOpens"));
	for (i = 0; i < nconn; i++)
		EXPECT_TRUE(nothing_more(srv[i].fd)) TH_LOG("server %d", i);

	for (i = 0; i < nconn; i++)
		close(cli[i].fd);
	for (i = 0; i < nconn; i++)
		close(srv[i].fd);
	close(self->lfd);
	self->lfd = -1;
	close(ep);

	t0 = now_ms();
	do {
		rows = proc_rows_but(XTCP_TIME_WAIT);
		if (rows == rows0)
			break;
		usleep(100000);
	} while (now_ms() - t0 < 60000);
	EXPECT_EQ(rows0, rows) TH_LOG("%d rows left 60 s after close: %d FIN_WAIT_2, %d LAST_ACK",
				      rows - rows0, proc_rows_in(XTCP_FIN_WAIT2, 0, 0),
				      proc_rows_in(XTCP_LAST_ACK, 0, 0));
	EXPECT_EQ(socks0, xtcp_counter("CurrSockets"));
	tw_rows = proc_rows_in(XTCP_TIME_WAIT, 0, 0);
	tw = xtcp_counter("TimeWaitCreated") - tw0;
	EXPECT_LE(nconn, tw);
	EXPECT_GE(2 * nconn, tw);
	EXPECT_LE(nconn, tw_rows) TH_LOG("%d TIME_WAIT rows for %ld entries made", tw_rows, tw);
	TH_LOG("%ld TIME_WAIT entries made, %d listed", tw, tw_rows);
}

/* ---- two namespaces over veth: handshakes that cross ---- */

/* per client thread: 2000, or at least 400 when the load is scaled down */
#define CRR_CONNS	xtcp_scaled_min(2000, 400)
#define CRR_THREADS	2
#define CRR_PORT	7300

/*
 * A server of veth_crr_no_resets on listener @l: a connection at a time,
 * a byte there and back, the client closes first; 'q' ends it.  Exits 0,
 * or 1 at the first failure.
 */
static void crr_serve(int l)
{
	char c;
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		fd = accept(l, NULL, NULL);
		if (fd < 0 || recv(fd, &c, 1, MSG_WAITALL) != 1 || send(fd, &c, 1, 0) != 1 ||
		    recv(fd, &c, 1, 0) != 0)
			_exit(1);
		close(fd);
		if (c == 'q')
			_exit(0);
	}
}

/*
 * In namespace @ns, a listener on 10.9.7.2 and CRR_THREADS servers on it;
 * says 'y' on @ready, then exits 0 once every server has, else 1.
 */
static void crr_servers(const char *ns, int ready)
{
	struct sockaddr_in a = sin_of(0x0a090702, CRR_PORT);
	int nsfd, l, i, status, bad = 0;
	char path[64];

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	nsfd = open(path, O_RDONLY);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET))
		_exit(1);
	l = socket(xtcp_af(), SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 64))
		_exit(1);
	for (i = 0; i < CRR_THREADS; i++)
		if (!fork())
			crr_serve(l);
	if (write(ready, "y", 1) != 1)
		_exit(1);
	for (i = 0; i < CRR_THREADS; i++)
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			bad = 1;
	_exit(bad);
}

struct crr_client {
	long done;
	int err;
};

static void *crr_client(void *arg)
{
	struct sockaddr_in srv = sin_of(0x0a090702, CRR_PORT);
	struct crr_client *cl = arg;
	long conns = CRR_CONNS;
	char c;
	int fd;

	for (cl->done = 0; cl->done <= conns; cl->done++) {
		c = cl->done == conns ? 'q' : 'x';
		fd = socket(xtcp_af(), SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&srv, sizeof(srv)) ||
		    send(fd, &c, 1, 0) != 1 || recv(fd, &c, 1, MSG_WAITALL) != 1) {
			cl->err = errno;
			close_fd(&fd);
			break;
		}
		close(fd);
	}
	return NULL;
}

/*
 * Short connections from this namespace to servers in another, over a
 * veth pair, two at a time: connect, a byte there and back, close.  A
 * client's final ACK and its first data leave from two CPUs and can cross
 * on veth; the server once answered the loser of that race with an RST
 * (about one connection in two thousand died), and a segment that waited
 * on the backlog of a socket gone to TIME_WAIT with another.  Not one
 * reset now.
 */
TEST_F_TIMEOUT(hs, veth_crr_no_resets, 900)
{
	struct crr_client cl[CRR_THREADS] = {};
	long rst0 = xtcp_counter("InRsts");
	pthread_t th[CRR_THREADS];
	int ready[2], status, i, failed = 0;
	char ns[32], c;
	pid_t pid;

	snprintf(ns, sizeof(ns), "xhs%d", getpid());
	ASSERT_EQ(0, xtcp_sh("ip netns add %s", ns));
	if (xtcp_sh("ip link add xh0 type veth peer name xh1 netns %s", ns)) {
		xtcp_sh("ip netns del %s", ns);
		SKIP(return, "cannot make a veth pair (veth module)");
	}
	ASSERT_EQ(0, xtcp_sh("ip addr add 10.9.7.1/24 dev xh0 && ip link set xh0 up"));
	ASSERT_EQ(0, xtcp_sh("ip -n %s addr add 10.9.7.2/24 dev xh1", ns));
	ASSERT_EQ(0, xtcp_sh("ip -n %s link set xh1 up && ip -n %s link set lo up", ns, ns));
	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		crr_servers(ns, ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1)) TH_LOG("the servers did not start");

	for (i = 0; i < CRR_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, crr_client, &cl[i]));
	for (i = 0; i < CRR_THREADS; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ((long)CRR_CONNS + 1, cl[i].done)
			TH_LOG("client %d, connection %ld: %s", i, cl[i].done,
			       strerror(cl[i].err));
		failed |= cl[i].done <= CRR_CONNS;
	}
	EXPECT_EQ(rst0, xtcp_counter("InRsts"));
	if (failed)
		kill(pid, SIGKILL);	/* its servers follow (PR_SET_PDEATHSIG) */
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(failed || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
		TH_LOG("the servers failed");
	xtcp_sh("ip netns del %s", ns);
}

/* ===================================================================== */
/* Nagle's algorithm and TCP_CORK                                        */
/* ===================================================================== */

/* Data segments counted by rule @id (it delays them by 1 ms). */
static long data_segs(unsigned int id)
{
	struct xtcp_rule_count rc;

	return xtcp_fault_rule(id, &rc) ? -1 : rc.matched;
}

/*
 * Data segments rule @id counted that were sent for the first time: less
 * the retransmissions since RetransSegs was @rtx0.  Both are read again
 * if RetransSegs moved meanwhile, so that a retransmission while the test
 * was off the CPU between the two is counted on both sides or on none.
 */
static long new_segs(unsigned int id, long rtx0)
{
	long rtx, segs;

	do {
		rtx = xtcp_counter("RetransSegs");
		segs = data_segs(id);
	} while (rtx != xtcp_counter("RetransSegs"));
	return segs - (rtx - rtx0);
}

/* Wait (XTCP_WAIT_MS) for RetransSegs to move on from @rtx; did it? */
static bool retransmission_after(long rtx)
{
	long long end = now_ms() + XTCP_WAIT_MS;

	while (xtcp_counter("RetransSegs") == rtx && now_ms() < end)
		usleep(10000);
	return xtcp_counter("RetransSegs") != rtx;
}

/* A connection to self->lfd, the client's TCP_MAXSEG @mss (0: none). */
#define CONNECT(mss) do { \
	self->cli = stream_socket(true, 0); \
	ASSERT_LE(0, self->cli); \
	ASSERT_EQ(0, set_int(self->cli, IPPROTO_TCP, TCP_MAXSEG, (mss))); \
	ASSERT_EQ(0, connect(self->cli, (struct sockaddr *)&self->addr, \
			     sizeof(self->addr))) TH_LOG("connect: %s", strerror(errno)); \
	self->srv = accept_within(self->lfd, XTCP_WAIT_MS); \
	ASSERT_LE(0, self->srv) TH_LOG("accept: %s", strerror(errno)); \
} while (0)

#define CONNECT_PAIR(mss) do { \
	LISTEN(4); \
	CONNECT(mss); \
} while (0)

/*
 * The server's ACKs dropped (rule @acks) and the client's data segments
 * counted (rule @count, RetransSegs then @rtx0): 100 bytes sent, received
 * and left unacknowledged.
 */
#define SHORT_SEGMENT_UNACKED(acks, count, rtx0) do { \
	static const char _b[100]; \
	ADD_RULE_ID(acks, "add flags=ack port=%u action=drop", \
		    port_of(&self->addr)); \
	ADD_RULE_ID(count, "add dir=out flags=data port=%u action=delay delay=1", \
		    port_of(&self->addr)); \
	(rtx0) = xtcp_counter("RetransSegs"); \
	ASSERT_EQ(100, send(self->cli, _b, 100, 0)); \
	ASSERT_EQ(100, inq_reaches(self->srv, 100)); \
} while (0)

/*
 * TCP_NODELAY off: a short segment waits while data is unacknowledged.
 * With the peer's ACKs dropped, 100 bytes go and stay unacknowledged; 10
 * more wait, through retransmissions of the first, until the ACKs come
 * back (with the next retransmission, backed off meanwhile).  With
 * TCP_NODELAY on (xtcp's default) the 10 bytes go at once.
 */
TEST_F_TIMEOUT(hs, nagle_holds_short_segment_while_unacked, 120)
{
	static char buf[100];
	unsigned int acks, count;
	long rtx0;
	int nodelay;

	CONNECT_PAIR(0);
	for (nodelay = 1; nodelay >= 0; nodelay--) {
		ASSERT_EQ(0, set_int(self->cli, IPPROTO_TCP, TCP_NODELAY, nodelay));
		SHORT_SEGMENT_UNACKED(acks, count, rtx0);
		ASSERT_EQ(10, send(self->cli, buf, 10, 0));
		if (nodelay) {
			EXPECT_EQ(110, inq_reaches(self->srv, 110));
			/* two segments, and whatever was sent again */
			EXPECT_EQ(2, new_segs(count, rtx0));
		} else {
			/* the 100 bytes sent again, and still no 10 */
			ASSERT_TRUE(retransmission_after(xtcp_counter("RetransSegs")))
				TH_LOG("the 100 bytes never sent again");
			EXPECT_EQ(100, ioctl_int(self->srv, SIOCINQ));
			EXPECT_EQ(1, new_segs(count, rtx0));
		}
		DEL_RULE(acks);
		EXPECT_EQ(110, inq_reaches(self->srv, 110));
		DEL_RULE(count);
		ASSERT_EQ(0, recv_exact(self->srv, buf, 100, XTCP_WAIT_MS));
		ASSERT_EQ(0, recv_exact(self->srv, buf, 10, XTCP_WAIT_MS));
		/* everything acknowledged before the next round */
		ASSERT_EQ(0, outq_drains(self->cli));
	}
}

/*
 * Nagle's algorithm is on by default, as in TCP, and short writes merge:
 * with a 100-byte segment unacknowledged (the peer's ACKs dropped), 25
 * writes of 100 bytes leave as two full 1000-byte segments at once and a
 * 500-byte rest that waits, through retransmissions, for the ACK.  Four
 * new segments in all, where one a write would be 26.
 */
TEST_F_TIMEOUT(hs, nagle_merges_short_writes, 120)
{
	static char buf[100];
	unsigned int acks, count;
	long rtx0;
	int i;

	CONNECT_PAIR(1000 + XTCP_TS_LEN);	/* 1000 bytes beside timestamps */
	ASSERT_EQ(1000, get_int(self->cli, IPPROTO_TCP, TCP_MAXSEG));
	EXPECT_EQ(0, get_int(self->cli, IPPROTO_TCP, TCP_NODELAY));
	SHORT_SEGMENT_UNACKED(acks, count, rtx0);
	for (i = 0; i < 25; i++)
		ASSERT_EQ(100, send(self->cli, buf, 100, 0));
	EXPECT_EQ(2100, inq_reaches(self->srv, 2100));
	/* a retransmission later, the 500 bytes still wait */
	ASSERT_TRUE(retransmission_after(xtcp_counter("RetransSegs")))
		TH_LOG("nothing sent again");
	EXPECT_EQ(2100, ioctl_int(self->srv, SIOCINQ));
	EXPECT_EQ(3, new_segs(count, rtx0));
	EXPECT_EQ(500, ioctl_int(self->cli, SIOCOUTQNSD));
	DEL_RULE(acks);
	EXPECT_EQ(2600, inq_reaches(self->srv, 2600));
	ASSERT_EQ(0, outq_drains(self->cli));
	EXPECT_EQ(4, new_segs(count, rtx0));
	DEL_RULE(count);
}

/*
 * That a short segment waits under a cork is judged only from tries in
 * which it still waited after the segments were counted (SIOCOUTQNSD,
 * read after the count, still shows its bytes unsent): on a busy machine
 * the 200 ms ceiling may rightly send it first; then try again.  No clock
 * is read.  Segments are counted less retransmissions (new_segs()): a
 * busy machine may time one out.
 */
#define CORK_TRIES	20

/*
 * TCP_CORK and MSG_MORE: full segments go, a short last one waits for the
 * uncork, for more data, or 200 ms at most; MSG_EOR ends a segment.
 */
TEST_F_TIMEOUT(hs, cork_holds_short_segment, 120)
{
	static char buf[4 * 1000];
	unsigned int count;
	long before, seen, rtx0;
	int mss, tries, judged = 0;

	/* 1000-byte segments: four fit the first window and cwnd at once */
	CONNECT_PAIR(1000 + XTCP_TS_LEN);	/* beside timestamps */
	mss = get_int(self->cli, IPPROTO_TCP, TCP_MAXSEG);
	ASSERT_EQ(1000, mss);
	ADD_RULE_ID(count, "add dir=out flags=data port=%u action=delay delay=1",
		    port_of(&self->addr));
	rtx0 = xtcp_counter("RetransSegs");
	/* Nagle off: what is not corked goes at once, whatever is unacked */
	ASSERT_EQ(0, set_int(self->cli, IPPROTO_TCP, TCP_NODELAY, 1));
	ASSERT_EQ(0, set_int(self->cli, IPPROTO_TCP, TCP_CORK, 1));
	EXPECT_EQ(1, get_int(self->cli, IPPROTO_TCP, TCP_CORK));

	/* three full segments and a short one: the short one waits */
	for (tries = 0; tries < CORK_TRIES && !judged; tries++) {
		before = new_segs(count, rtx0);
		ASSERT_EQ(3 * mss + 100, send(self->cli, buf, 3 * mss + 100, 0));
		seen = new_segs(count, rtx0) - before;
		if (ioctl_int(self->cli, SIOCOUTQNSD) == 100) {
			EXPECT_EQ(3, seen);
			judged = 1;
		}
		/* the cork's ceiling lets it go without an uncork */
		EXPECT_EQ(0, recv_exact(self->srv, buf, 3 * mss + 100, XTCP_WAIT_MS));
		EXPECT_EQ(4, new_segs(count, rtx0) - before);
	}
	EXPECT_TRUE(judged) TH_LOG("the short segment never waited");

	/* the uncork sends it at once */
	for (tries = 0, judged = 0; tries < CORK_TRIES && !judged; tries++) {
		before = new_segs(count, rtx0);
		ASSERT_EQ(100, send(self->cli, buf, 100, 0));
		seen = new_segs(count, rtx0) - before;
		if (ioctl_int(self->cli, SIOCOUTQNSD) == 100) {
			EXPECT_EQ(0, seen);
			ASSERT_EQ(0, set_int(self->cli, IPPROTO_TCP, TCP_CORK, 0));
			EXPECT_EQ(1, new_segs(count, rtx0) - before);
			judged = 1;
		}
		EXPECT_EQ(0, recv_exact(self->srv, buf, 100, XTCP_WAIT_MS));
	}
	EXPECT_TRUE(judged) TH_LOG("the corked segment never waited");
	EXPECT_EQ(0, get_int(self->cli, IPPROTO_TCP, TCP_CORK));

	/* MSG_MORE corks one write; the next without it sends both as one */
	for (tries = 0, judged = 0; tries < CORK_TRIES && !judged; tries++) {
		before = new_segs(count, rtx0);
		ASSERT_EQ(100, send(self->cli, buf, 100, MSG_MORE));
		seen = new_segs(count, rtx0) - before;
		if (ioctl_int(self->cli, SIOCOUTQNSD) == 100) {
			EXPECT_EQ(0, seen);
			ASSERT_EQ(50, send(self->cli, buf, 50, 0));
			EXPECT_EQ(1, new_segs(count, rtx0) - before);
			judged = 1;
		} else {
			ASSERT_EQ(50, send(self->cli, buf, 50, 0));
		}
		EXPECT_EQ(0, recv_exact(self->srv, buf, 150, XTCP_WAIT_MS));
	}
	EXPECT_TRUE(judged) TH_LOG("the MSG_MORE write never waited");

	/* MSG_EOR ends a record's segment: the next write starts its own */
	ASSERT_EQ(0, set_int(self->cli, IPPROTO_TCP, TCP_CORK, 1));
	for (tries = 0, judged = 0; tries < CORK_TRIES && !judged; tries++) {
		before = new_segs(count, rtx0);
		ASSERT_EQ(100, send(self->cli, buf, 100, MSG_EOR));
		ASSERT_EQ(50, send(self->cli, buf, 50, 0));
		seen = new_segs(count, rtx0) - before;
		if (ioctl_int(self->cli, SIOCOUTQNSD) == 50) {
			/* the record went when the next write came; 50 wait */
			EXPECT_EQ(1, seen);
			judged = 1;
		}
		EXPECT_EQ(0, recv_exact(self->srv, buf, 150, XTCP_WAIT_MS));
		EXPECT_EQ(2, new_segs(count, rtx0) - before);
	}
	EXPECT_TRUE(judged) TH_LOG("the 50 bytes after the record never waited");
	ASSERT_EQ(0, set_int(self->cli, IPPROTO_TCP, TCP_CORK, 0));
}

/*
 * TCP_WINDOW_CLAMP bounds the window a receiver offers: once its ACKs
 * stop coming (dropped), a sender has only what the last one allowed.
 * With the clamp at 20000 that is at most 20000 bytes beyond what it
 * acknowledged (and read); without it, far more.
 */
TEST_F_TIMEOUT(hs, window_clamp_bounds_the_window, 120)
{
	static char buf[200000];
	int clamp, got[2], i, round;
	socklen_t len = sizeof(struct tcp_info);
	struct tcp_info ti;

	for (clamp = 0; clamp < 2; clamp++) {
		int total = 0, flight;

		LISTEN(4);
		if (clamp)
			ASSERT_EQ(0, set_int(self->lfd, IPPROTO_TCP, TCP_WINDOW_CLAMP,
					     20000));
		/*
		 * 1000-byte segments: a segment larger than the window would
		 * go whole when nothing is in flight (xtcp_may_send())
		 */
		CONNECT(1000);
		/*
		 * 200000 bytes read by the receiver: the congestion window
		 * grows past what the test looks at (more rounds if a timeout
		 * on a busy machine took it back to one segment); then 1000
		 * more, all of it acknowledged: the window is the receiver's
		 * own now
		 */
		for (round = 0; round < 10; round++) {
			ASSERT_EQ(0, send_all(self->cli, buf, sizeof(buf)));
			ASSERT_EQ(0, recv_exact(self->srv, buf, sizeof(buf),
						XTCP_WAIT_MS));
			ASSERT_EQ(0, getsockopt(self->cli, IPPROTO_TCP, TCP_INFO,
						&ti, &len));
			if (ti.tcpi_snd_cwnd > 60)
				break;
		}
		TH_LOG("congestion window %u segments after %d rounds",
		       ti.tcpi_snd_cwnd, round + 1);
		ASSERT_EQ(1000, send(self->cli, buf, 1000, 0));
		ASSERT_EQ(0, recv_exact(self->srv, buf, 1000, XTCP_WAIT_MS));
		ASSERT_EQ(0, outq_drains(self->cli));
		ADD_RULE("add flags=ack port=%u action=drop", port_of(&self->addr));
		ASSERT_EQ(0, fcntl(self->cli, F_SETFL, O_NONBLOCK));
		for (i = 0; i < 100 && total < (int)sizeof(buf); i++) {
			ssize_t n = send(self->cli, buf, sizeof(buf) - total, 0);

			if (n > 0)
				total += n;
		}
		/*
		 * what the last window allowed is in flight, sent and never
		 * acknowledged (SIOCOUTQ less SIOCOUTQNSD, fixed now that no
		 * ACK comes): wait for all of it to arrive
		 */
		flight = ioctl_int(self->cli, SIOCOUTQ) - ioctl_int(self->cli, SIOCOUTQNSD);
		got[clamp] = inq_reaches(self->srv, flight);
		EXPECT_EQ(flight, got[clamp]) TH_LOG("%d bytes in flight, %d arrived",
						     flight, got[clamp]);
		TH_LOG("clamp %s: %d bytes beyond what was acknowledged",
		       clamp ? "20000" : "none", got[clamp]);
		ASSERT_EQ(0, xtcp_fault_cmd("clear"));
		close(self->cli);
		close(self->srv);
		close(self->lfd);
		self->cli = -1;
		self->srv = -1;
		self->lfd = -1;
	}
	EXPECT_LT(0, got[1]);
	EXPECT_GE(20000, got[1]);
	EXPECT_LT(40000, got[0]);
}

/* ===================================================================== */
/* the handshake's options and its round trip                           */
/* ===================================================================== */

/* The MSS loopback's MTU carries: the MTU, at most IPv4's 65535, less 40. */
static int lo_mss(void)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), mtu = -1;

	if (fd < 0)
		return -1;
	strcpy(ifr.ifr_name, "lo");
	if (!ioctl(fd, SIOCGIFMTU, &ifr))
		mtu = ifr.ifr_mtu;
	close(fd);
	if (mtu < 0)
		return -1;
	return (mtu > 65535 ? 65535 : mtu) - 40;
}

/*
 * The SYN+ACK answers the SYN's options (RFC 7323 2.2): no window scale
 * unless the SYN had one.  Its MSS is the route's MTU less 40 bytes (IPv4
 * and xtcp headers without options), as TCP's, whatever the peer offered.
 * A scripted peer on a raw socket sends the SYNs and reads the answers.
 */
TEST_F(hs, synack_options_follow_the_syn)
{
	struct peer p = { .sport = 40511, .mss = 1400, .wscale = -1, .window = 8000 };
	const u32 isn = 5000;
	int raw, mss = lo_mss();
	struct rseg s;

	ASSERT_LT(0, mss);
	LISTEN(4);
	p.dport = port_of(&self->addr);
	raw = raw_open();
	ASSERT_LE(0, raw) TH_LOG("raw socket: %s", strerror(errno));
	/* the kernel would reset the peer's SYN+ACKs' port: drop its RSTs */
	ADD_RULE("add dir=out flags=rst port=%u", p.sport);
	ADD_RULE("add dir=out flags=rst port=%u", p.sport + 1);

	/* no window scale asked: none answered */
	ASSERT_EQ(0, peer_syn(raw, &p, isn, &s)) TH_LOG("no SYN+ACK");
	EXPECT_FALSE(s.h.has_wscale);
	EXPECT_EQ(mss, s.h.mss);

	/* a scale asked: one answered; the MSS does not depend on it */
	p.sport++;
	p.wscale = 2;
	p.mss = 536;
	ASSERT_EQ(0, peer_syn(raw, &p, isn, &s)) TH_LOG("no SYN+ACK");
	EXPECT_TRUE(s.h.has_wscale);
	EXPECT_GE(XTCP_MAX_WSCALE, s.h.wscale);
	EXPECT_EQ(mss, s.h.mss);

	/* both requests reset by the peer (the rules would drop its RSTs) */
	ASSERT_EQ(0, xtcp_fault_cmd("clear"));
	EXPECT_EQ(0, inject(raw, &p, isn + 1, 0, XTCP_RST, NULL, 0));
	p.sport--;
	EXPECT_EQ(0, inject(raw, &p, isn + 1, 0, XTCP_RST, NULL, 0));
	close(raw);
}

/*
 * The active side's SYN offers the same MSS, and both ends then send
 * segments of it less the 12 bytes of timestamps each carries, as TCP
 * beside it does.
 */
TEST_F(hs, syn_offers_mtu_less_40)
{
	int raw, tcp_cli = -1, tcp_srv = -1, mss = lo_mss();
	struct sockaddr_in cli;
	struct rseg s;

	ASSERT_LT(0, mss);
	raw = raw_open();
	ASSERT_LE(0, raw) TH_LOG("raw socket: %s", strerror(errno));
	CONNECT_PAIR(0);
	ASSERT_EQ(0, sock_name(self->cli, &cli));
	ASSERT_EQ(1, raw_next(raw, port_of(&cli), port_of(&self->addr), &s,
			      XTCP_WAIT_MS)) TH_LOG("the SYN was not seen");
	EXPECT_EQ(XTCP_SYN, s.h.flags);
	EXPECT_EQ(mss, s.h.mss);
	EXPECT_TRUE(s.h.has_wscale);
	EXPECT_TRUE(s.h.has_ts);
	EXPECT_EQ(mss - XTCP_TS_LEN, get_int(self->cli, IPPROTO_TCP, TCP_MAXSEG));
	EXPECT_EQ(mss - XTCP_TS_LEN, get_int(self->srv, IPPROTO_TCP, TCP_MAXSEG));
	close(raw);

	ASSERT_EQ(0, stream_pair(false, &tcp_cli, &tcp_srv));
	/* TCP also bounds it by half the largest window seen: logged */
	TH_LOG("TCP_MAXSEG: xtcp %d, TCP %d", mss - XTCP_TS_LEN,
	       get_int(tcp_cli, IPPROTO_TCP, TCP_MAXSEG));
	EXPECT_LE(get_int(tcp_cli, IPPROTO_TCP, TCP_MAXSEG), mss - XTCP_TS_LEN);
	close(tcp_cli);
	close(tcp_srv);
}

/*
 * The passive side times its SYN+ACK (RFC 6298 2.2) as the active side
 * times its SYN: right after accept(), before any data, its RTO comes
 * from that sample (200 ms, the floor, on loopback), not the initial 1 s.
 * Judged by the estimator's own numbers, not by a clock: the RTO may be
 * 1 s or more only if the sample itself was a third of that.  (When the
 * SYN+ACK is resent no sample is taken: lost_synack checks that.)
 */
TEST_F(hs, passive_open_samples_the_handshake)
{
	struct tcp_info ti, ci;
	socklen_t len = sizeof(ti);

	CONNECT_PAIR(0);
	ASSERT_EQ(0, getsockopt(self->srv, IPPROTO_TCP, TCP_INFO, &ti, &len));
	len = sizeof(ci);
	ASSERT_EQ(0, getsockopt(self->cli, IPPROTO_TCP, TCP_INFO, &ci, &len));
	TH_LOG("RTO: server %u us (SRTT %u), client %u us (SRTT %u)",
	       ti.tcpi_rto, ti.tcpi_rtt, ci.tcpi_rto, ci.tcpi_rtt);
	EXPECT_TRUE(ti.tcpi_rto < 1000000 || ti.tcpi_rtt >= 1000000 / 3);
	EXPECT_LE(200000, ti.tcpi_rto);
	/* the same rule as the client's */
	EXPECT_TRUE(ci.tcpi_rto < 1000000 || ci.tcpi_rtt >= 1000000 / 3);
	exchange(_metadata, self->cli, self->srv, 2);
}

/* Does the segment of stream bytes @from..@to carry byte @end - 1? */
static bool carries(u32 from, u32 to, u32 end)
{
	return from < end && end <= to;
}

/*
 * PSH marks where a write ends, as TCP sets it: a 5000-byte send() in
 * 1000-byte segments carries it on the fifth alone; a write with MSG_MORE
 * carries none, and the write that completes it does.  Runs are off
 * (net.xtcp.gso = 0), so the raw socket sees each segment on its own.
 */
TEST_F(hs, psh_ends_each_write)
{
	static const struct { int len, flags; } writes[] = {
		{ 5000, 0 }, { 1500, MSG_MORE }, { 1500, 0 },
	};
	static char buf[8000];
	int raw, i, total = 0, got = 0, segs = 0, psh = 0;
	struct sockaddr_in cli;
	u32 first = 0;
	struct rseg s;

	ASSERT_EQ(0, xtcp_sysctl_set("gso", 0));
	LISTEN(4);
	raw = raw_open();
	ASSERT_LE(0, raw) TH_LOG("raw socket: %s", strerror(errno));
	CONNECT(1000);
	ASSERT_EQ(0, sock_name(self->cli, &cli));
	ASSERT_EQ(0, set_int(self->cli, IPPROTO_TCP, TCP_NODELAY, 1));
	for (i = 0; i < (int)ARRAY_SIZE(writes); i++) {
		ASSERT_EQ(writes[i].len, send(self->cli, buf, writes[i].len,
					      writes[i].flags));
		total += writes[i].len;
	}
	ASSERT_EQ(0, recv_exact(self->srv, buf, total, XTCP_WAIT_MS));

	while (got < total) {
		u32 end;

		ASSERT_EQ(1, raw_next(raw, port_of(&cli), port_of(&self->addr),
				      &s, XTCP_WAIT_MS)) TH_LOG("%d bytes seen", got);
		if (!s.len)
			continue;
		if (!segs++)
			first = s.h.seq;
		end = s.h.seq + s.len - first;
		/*
		 * A write that finds the last one's tail unsent (a slow
		 * guest) joins it: the PSH is then on the segment that
		 * carries a write's last byte, wherever that segment ends.
		 */
		if (s.h.flags & XTCP_PSH) {
			psh++;
			EXPECT_TRUE(carries(end - s.len, end, 5000) ||
				    carries(end - s.len, end, 8000))
				TH_LOG("PSH on the segment %u..%u", end - s.len, end);
		}
		if (end > (u32)got)
			got = end;
	}
	TH_LOG("%d data segments, %d with PSH", segs, psh);
	EXPECT_LE(8, segs);
	EXPECT_EQ(2, psh);
	close(raw);
}

/*
 * Receiver-side silly window avoidance (RFC 9293 3.8.6.2.2): a reader that
 * takes 100 bytes at a time from a small buffer never makes the receiver
 * move its window's right edge by less than min(MSS, half the buffer).
 * The sender's segments are 1000 bytes; the listener's buffer is 16 KiB
 * (half of it is well over an MSS).  A raw socket records every segment
 * the receiver sends; afterwards each advance of the right edge (ACK plus
 * window, scaled as its SYN+ACK said) is checked.  The edge is recorded
 * in the scale's unit, so an advance may come out up to one unit short.
 */
#define SWS_BYTES	60000
#define SWS_READ	100

TEST_F_TIMEOUT(hs, no_silly_window_updates, 120)
{
	static char buf[SWS_BYTES];
	int raw, sent = 0, got = 0, segs = 0, small = 0, rounds = 0;
	u32 edge = 0, unit = 1, final;
	struct sockaddr_in cli;
	bool seen_synack = false;
	struct rseg s;

	LISTEN(4);
	ASSERT_EQ(0, set_int(self->lfd, SOL_SOCKET, SO_RCVBUF, 8192));
	raw = raw_open();
	ASSERT_LE(0, raw) TH_LOG("raw socket: %s", strerror(errno));
	CONNECT(1000);
	ASSERT_EQ(0, sock_name(self->cli, &cli));
	ASSERT_EQ(0, set_int(self->cli, IPPROTO_TCP, TCP_NODELAY, 1));
	ASSERT_EQ(0, fcntl(self->cli, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, fcntl(self->srv, F_SETFL, O_NONBLOCK));
	while (got < SWS_BYTES) {
		struct pollfd pf[2] = {
			{ .fd = self->cli, .events = sent < SWS_BYTES ? POLLOUT : 0 },
			{ .fd = self->srv, .events = POLLIN },
		};
		ssize_t n;

		ASSERT_LT(0, poll(pf, 2, XTCP_WAIT_MS)) TH_LOG("stalled at %d", got);
		ASSERT_GT(100000, ++rounds);
		if (sent < SWS_BYTES) {
			n = send(self->cli, buf + sent, SWS_READ, 0);
			if (n > 0)
				sent += n;
		}
		n = recv(self->srv, buf, SWS_READ, 0);
		if (n > 0)
			got += n;
	}
	/* the receiver's last ACK covers all of it */
	final = 0;
	for (;;) {
		ASSERT_EQ(1, raw_next(raw, port_of(&self->addr), port_of(&cli), &s,
				      XTCP_WAIT_MS)) TH_LOG("%d segments seen", segs);
		if (s.h.flags & XTCP_SYN) {
			seen_synack = true;
			if (s.h.has_wscale)
				unit = 1U << s.h.wscale;
			final = s.h.ack + SWS_BYTES;
			edge = s.h.ack + s.h.window;	/* a SYN's is not scaled */
			continue;
		}
		ASSERT_TRUE(seen_synack);
		segs++;
		if (xtcp_seq_after(s.h.ack + s.h.window * unit, edge)) {
			u32 adv = s.h.ack + s.h.window * unit - edge;

			if (adv + unit <= 1000) {
				small++;
				TH_LOG("right edge moved %u bytes at ACK +%u", adv,
				       s.h.ack - (final - SWS_BYTES));
			}
			edge = s.h.ack + s.h.window * unit;
		}
		if (s.h.ack == final)
			break;
	}
	TH_LOG("%d segments from the receiver, scale unit %u", segs, unit);
	EXPECT_EQ(0, small);
	close(raw);
}

TEST_HARNESS_MAIN
