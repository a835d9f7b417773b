// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp selftests: watching a connection.  Each view xtcp offers is checked
 * against connections whose every segment the test knows:
 *
 *   /proc/net/xtcp_trans   the transition matrix: after a scripted
 *                          connection (handshake, active close by A,
 *                          passive close by B, TIME_WAIT reaped) exactly
 *                          its edges are counted, once each; a refused
 *                          connect, a request timing out
 *   tracepoints            xtcp:* events in a tracefs instance of the
 *                          test's own: the exact per-endpoint sequence of
 *                          xtcp_set_state, the exact segments each end sent
 *                          and received, TIME_WAIT created and reaped, a
 *                          reset sent and received, a retransmission
 *   /proc/net/xtcp         every column for known sockets: addresses, st,
 *                          queues, timer, retransmissions, uid, inode,
 *                          state_ms; requests and TIME_WAIT entries
 *   /proc/net/xtcp_stat    the counters the scripted connection moves, by
 *                          exactly how much; the fault rules' drops
 *   sysctls                every net.xtcp.* tunable: its default, its
 *                          range (EINVAL outside), and its effect
 *   module parameters      family and proto readable, not writable
 *
 * Every test runs in a network namespace of its own (the harness forks a
 * process per test, the fixture unshares), so counters, the matrix and the
 * rows start at zero and are the test's alone.  Waits poll with deadlines
 * (XTCP_WAIT_MS: they bound a failure, a passing test never waits them
 * out); nothing asserts after a fixed sleep.  A scenario that must not
 * retransmit is run again in a fresh namespace when a loaded guest held a
 * segment back long enough to fire a timer (see disturbed()).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "module/core.h"
#include "xtcp_util.h"

#define XTCP_PROC	"/proc/net/xtcp"
#define TRANS_PROC	"/proc/net/xtcp_trans"
#define SYSCTL_DIR	"/proc/sys/net/xtcp/"
#define MAX_ROWS	256
#define MAX_EVENTS	512

/* ---------------------------------------------------------------- */
/* /proc/net/xtcp_trans                                              */

static int state_of_name(const char *name)
{
	int s;

	for (s = XTCP_ESTABLISHED; s < XTCP_MAX_STATES; s++)
		if (!strcmp(name, xtcp_state_name(s)))
			return s;
	return -1;
}

/*
 * Read the matrix into m[from][to].  Returns the number of lines, -1 if
 * the file cannot be read, -2 on a line that does not parse, -3 when a
 * legal edge is missing or an illegal one is listed with count 0.
 */
static int read_trans(long m[XTCP_MAX_STATES][XTCP_MAX_STATES])
{
	char from[32], to[32];
	bool seen[XTCP_MAX_STATES][XTCP_MAX_STATES] = {};
	int f, t, n = 0;
	FILE *fp = fopen(TRANS_PROC, "r");
	long v;

	if (!fp)
		return -1;
	memset(m, 0, sizeof(long) * XTCP_MAX_STATES * XTCP_MAX_STATES);
	while (fscanf(fp, "%31s %31s %ld", from, to, &v) == 3) {
		f = state_of_name(from);
		t = state_of_name(to);
		if (f < 0 || t < 0 || seen[f][t] || v < 0 ||
		    (!v && !xtcp_edge_legal(f, t))) {
			fclose(fp);
			return -2;
		}
		seen[f][t] = true;
		m[f][t] = v;
		n++;
	}
	if (!feof(fp)) {
		fclose(fp);
		return -2;
	}
	fclose(fp);
	for (f = XTCP_ESTABLISHED; f < XTCP_MAX_STATES; f++)
		for (t = XTCP_ESTABLISHED; t < XTCP_MAX_STATES; t++)
			if (xtcp_edge_legal(f, t) && !seen[f][t])
				return -3;
	return n;
}

struct edge {
	int from, to;
	long n;
};

/* The matrix must be exactly @want (all other edges zero). */
static void expect_matrix(struct __test_metadata *_metadata,
			  const struct edge *want, int nwant)
{
	long m[XTCP_MAX_STATES][XTCP_MAX_STATES];
	long expect[XTCP_MAX_STATES][XTCP_MAX_STATES] = {};
	int f, t, i;

	ASSERT_LT(0, read_trans(m));
	for (i = 0; i < nwant; i++)
		expect[want[i].from][want[i].to] = want[i].n;
	for (f = XTCP_ESTABLISHED; f < XTCP_MAX_STATES; f++)
		for (t = XTCP_ESTABLISHED; t < XTCP_MAX_STATES; t++)
			EXPECT_EQ(expect[f][t], m[f][t])
				TH_LOG("edge %s -> %s", xtcp_state_name(f),
				       xtcp_state_name(t));
}

/* ---------------------------------------------------------------- */
/* tracefs                                                           */

struct event {
	char name[32];
	unsigned int netns;
	unsigned int lport, rport;
	char a[32], b[32];	/* set_state: from, to; segments: flags */
	unsigned long seq, ack, len;
};

static char trace_dir[128];

/* A tracefs instance of our own, with every xtcp event on. */
static int trace_start(void)
{
	return xtcp_trace_start(trace_dir, sizeof(trace_dir), "xtcp_obs", "xtcp");
}

static void trace_stop(void)
{
	xtcp_trace_stop(trace_dir, "xtcp");
}

static unsigned int netns_inum(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (unsigned int)st.st_ino;
}

/*
 * The events of namespace @netns in a trace listing (tracefs's trace file
 * or trace-cmd report's output), in order.  Returns their number, -1 if
 * the listing cannot be read or an xtcp line does not parse.  The caller
 * closes @f.
 */
static int trace_parse(FILE *f, unsigned int netns, struct event *ev, int max)
{
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, ": xtcp_");
		struct event e = {};
		int k;

		if (!p || line[0] == '#')
			continue;
		k = sscanf(p + 2, "%31[a-z_0-9]: netns=%u %*[0-9.]:%u -> %*[0-9.]:%u",
			   e.name, &e.netns, &e.lport, &e.rport);
		if (k != 4)
			return -1;
		p = strstr(p, " -> ");
		p = p ? strchr(p + 4, ' ') : NULL;
		if (!p)
			return -1;
		if (!strcmp(e.name, "xtcp_set_state")) {
			k = sscanf(p, " %31s -> %31s", e.a, e.b) == 2;
		} else if (!strncmp(e.name, "xtcp_segment_", 13)) {
			k = sscanf(p, " flags=%31s seq=%lu ack=%lu win=%*u len=%lu",
				   e.a, &e.seq, &e.ack, &e.len) == 4;
		} else if (!strcmp(e.name, "xtcp_tw_end")) {
			k = sscanf(p, " %31s", e.a) == 1;
		} else if (!strcmp(e.name, "xtcp_cwnd")) {
			/* algorithm, phase, cwnd, ssthresh */
			k = sscanf(p, " %31s %31s cwnd=%lu ssthresh=%lu",
				   e.a, e.b, &e.seq, &e.ack) == 4;
		} else {
			k = sscanf(p, " state=%31s seq=%lu", e.a, &e.seq) == 2;
		}
		if (!k)
			return -1;
		if (e.netns != netns)
			continue;
		if (n < max)
			ev[n] = e;
		n++;
	}
	return n;
}

/* The events of namespace @netns in our instance's buffer. */
static int trace_read(unsigned int netns, struct event *ev, int max)
{
	char path[192];

	FILE *f;
	int n;

	snprintf(path, sizeof(path), "%s/trace", trace_dir);
	f = fopen(path, "r");
	n = trace_parse(f, netns, ev, max);
	if (f)
		fclose(f);
	return n;
}

/*
 * The events named @name of the endpoint @lport -> @rport, their a/b
 * fields joined: "CLOSED>SYN_SENT,SYN_SENT>ESTABLISHED" or "SYN,ACK".
 */
static void trace_seq(const struct event *ev, int n, const char *name,
		      unsigned int lport, unsigned int rport, char *out,
		      size_t size)
{
	int i;

	out[0] = 0;
	for (i = 0; i < n; i++) {
		if (strcmp(ev[i].name, name) || ev[i].lport != lport ||
		    ev[i].rport != rport)
			continue;
		if (out[0])
			strncat(out, ",", size - strlen(out) - 1);
		strncat(out, ev[i].a, size - strlen(out) - 1);
		if (ev[i].b[0]) {
			strncat(out, ">", size - strlen(out) - 1);
			strncat(out, ev[i].b, size - strlen(out) - 1);
		}
	}
}

/* ---------------------------------------------------------------- */
/* /proc/net/xtcp, every column                                      */

/* The row with local port @lport and remote port @rport; 1 if found. */
static int find_tuple(unsigned int lport, unsigned int rport, struct xtcp_row *out)
{
	struct xtcp_row rows[MAX_ROWS];
	int i, n = xtcp_read_rows(XTCP_PROC, rows, MAX_ROWS);

	for (i = 0; i < n && i < MAX_ROWS; i++)
		if (rows[i].lport == lport && rows[i].rport == rport) {
			*out = rows[i];
			return 1;
		}
	return 0;
}

/* Wait until the tuple's row is in @st (0: until it has gone). */
static bool wait_tuple(unsigned int lport, unsigned int rport, unsigned int st)
{
	long long end = now_ms() + XTCP_WAIT_MS;
	struct xtcp_row r;

	do {
		int found = find_tuple(lport, rport, &r);

		if (st ? found && r.st == st : !found)
			return true;
		usleep(5000);
	} while (now_ms() < end);
	return false;
}

/* Wait until the tuple's row shows at least @min timeouts. */
static bool wait_retr(unsigned int lport, unsigned int rport, unsigned int min,
		      struct xtcp_row *r)
{
	long long end = now_ms() + XTCP_WAIT_MS;

	do {
		if (find_tuple(lport, rport, r) && r->retr >= min)
			return true;
		usleep(20000);
	} while (now_ms() < end);
	return false;
}

/* Wait until the tuple's row has nothing left to send. */
static bool wait_txq_empty(unsigned int lport, unsigned int rport,
			   struct xtcp_row *r)
{
	long long end = now_ms() + XTCP_WAIT_MS;

	do {
		if (find_tuple(lport, rport, r) && !r->txq)
			return true;
		usleep(20000);
	} while (now_ms() < end);
	return false;
}

static unsigned int port_of(int fd, bool peer)
{
	struct sockaddr_in sin;

	if (peer ? peer_name(fd, &sin) : sock_name(fd, &sin))
		return 0;
	return ntohs(sin.sin_port);
}

/* ---------------------------------------------------------------- */

FIXTURE(obs)
{
	int lfd, a, b;
	unsigned int lport, aport;	/* the listener's and A's ports */
	struct sockaddr_in addr;
	long long open_ms;		/* how long open_pair()'s handshake took */
};

FIXTURE_SETUP(obs)
{
	long m[XTCP_MAX_STATES][XTCP_MAX_STATES];
	int fd;

	self->lfd = -1;
	self->a = -1;
	self->b = -1;
	trace_dir[0] = 0;
	signal(SIGPIPE, SIG_IGN);
	ASSERT_STREQ("", xtcp_fresh_netns());
	/* the socket just closed took no edge: a fresh matrix is all zero */
	ASSERT_LT(0, read_trans(m)) TH_LOG("%s: %s", TRANS_PROC, strerror(errno));
	for (fd = 0; fd < XTCP_MAX_STATES * XTCP_MAX_STATES; fd++)
		ASSERT_EQ(0, m[fd / XTCP_MAX_STATES][fd % XTCP_MAX_STATES]);
}

FIXTURE_TEARDOWN(obs)
{
	trace_stop();
	close_fd(&self->a);
	close_fd(&self->b);
	close_fd(&self->lfd);
	xtcp_fault_cmd("clear");
	EXPECT_TRUE(xtcp_ns_drain(XTCP_WAIT_MS));
}

/* Listener, A connected, B accepted; open_ms, how long that took. */
static void open_pair(struct __test_metadata *_metadata, FIXTURE_DATA(obs) * self)
{
	long long t0;

	self->lfd = stream_listener(true, 8, &self->addr);
	ASSERT_LE(0, self->lfd);
	t0 = now_ms();
	self->a = stream_connect(true, &self->addr);
	ASSERT_LE(0, self->a);
	self->b = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, self->b);
	self->open_ms = now_ms() - t0;
	self->lport = ntohs(self->addr.sin_port);
	self->aport = port_of(self->a, false);
	ASSERT_NE(0, self->aport);
}

/*
 * The scripted connection: handshake; A closes, B reads the end and
 * closes later; A's TIME_WAIT is reaped (msl_ms 20); the listener closes.
 * Every step waits for the state it leads to, so the order is fixed.
 */
static void scripted(struct __test_metadata *_metadata, FIXTURE_DATA(obs) * self)
{
	char c;

	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", 20));
	open_pair(_metadata, self);
	close_fd(&self->a);
	ASSERT_TRUE(wait_tuple(self->aport, self->lport, XTCP_FIN_WAIT2));
	ASSERT_EQ(0, recv(self->b, &c, 1, 0));
	ASSERT_TRUE(wait_tuple(self->lport, self->aport, XTCP_CLOSE_WAIT));
	close_fd(&self->b);
	ASSERT_LE(1, xtcp_wait_counter("TimeWaitReaped", 1, false, XTCP_WAIT_MS));
	ASSERT_TRUE(wait_tuple(self->lport, self->aport, 0));
	ASSERT_TRUE(wait_tuple(self->aport, self->lport, 0));
	close_fd(&self->lfd);
	ASSERT_EQ(0, xtcp_wait_counter("CurrSockets", 0, true, XTCP_WAIT_MS));
}

#define ATTEMPTS	5

/* After a disturbed attempt: everything closed, a fresh namespace. */
static void start_over(struct __test_metadata *_metadata, FIXTURE_DATA(obs) * self)
{
	close_fd(&self->a);
	close_fd(&self->b);
	close_fd(&self->lfd);
	xtcp_fault_cmd("clear");
	ASSERT_TRUE(xtcp_ns_drain(XTCP_WAIT_MS));
	ASSERT_STREQ("", xtcp_fresh_netns());
	self->open_ms = 0;
}

/*
 * Was this attempt at a scenario disturbed by a timer it did not ask for?
 * On a loaded guest loopback delivery can wait in ksoftirqd for seconds:
 * an ACK held back past the 200 ms minimum RTO draws a retransmission
 * (RtoExpired counts it), a handshake's last ACK held back past a
 * request's 1 s timer a second SYN+ACK (no counter counts that, but the
 * handshake then took a second on the monotonic clock, which the timers'
 * jiffies never outrun).  Such an attempt shows nothing about what the
 * test checks: it starts over in a fresh namespace, up to ATTEMPTS times,
 * each logged, and the checks are made on the first undisturbed attempt;
 * none in ATTEMPTS is a failure.  Called once the attempt's sockets can
 * fire no timer any more, as its counters are final.
 *
 * @rto: the RTO expirations the scenario makes itself; @handshake: a
 * second SYN+ACK would change what is checked.  True if disturbed (the
 * caller runs the scenario again).
 */
static bool disturbed(struct __test_metadata *_metadata, FIXTURE_DATA(obs) * self,
		      int attempt, long rto, bool handshake)
{
	long got = xtcp_counter("RtoExpired");
	bool slow = handshake && self->open_ms >= 900;

	if (got <= rto && !slow)
		return false;
	TH_LOG("attempt %d held up by load? RtoExpired %ld (%ld its own), handshake %lld ms",
	       attempt, got, rto, self->open_ms);
	ASSERT_GT(ATTEMPTS, attempt) TH_LOG("no undisturbed attempt in %d", ATTEMPTS);
	start_over(_metadata, self);
	return true;
}

/* The scripted connection, until an attempt is undisturbed. */
static void scripted_undisturbed(struct __test_metadata *_metadata,
				 FIXTURE_DATA(obs) * self)
{
	int attempt = 1;

	do
		scripted(_metadata, self);
	while (disturbed(_metadata, self, attempt++, 0, true));
}

#define E(f, t, n)	{ XTCP_##f, XTCP_##t, n }

/* Every edge of one connection's life counted once, and nothing else. */
TEST_F_TIMEOUT(obs, matrix_of_one_connection, 120)
{
	static const struct edge want[] = {
		E(CLOSE, LISTEN, 1), E(LISTEN, CLOSE, 1),	/* listener */
		E(CLOSE, SYN_SENT, 1), E(SYN_SENT, ESTABLISHED, 1),
		E(ESTABLISHED, FIN_WAIT1, 1), E(FIN_WAIT1, FIN_WAIT2, 1),
		E(FIN_WAIT2, TIME_WAIT, 1), E(TIME_WAIT, CLOSE, 1),
		E(LISTEN, SYN_RECV, 1), E(SYN_RECV, ESTABLISHED, 1),
		E(ESTABLISHED, CLOSE_WAIT, 1), E(CLOSE_WAIT, LAST_ACK, 1),
		E(LAST_ACK, CLOSE, 1),
	};

	scripted(_metadata, self);
	expect_matrix(_metadata, want, ARRAY_SIZE(want));
}

/* Counters the scripted connection moves, by exactly its segments. */
TEST_F_TIMEOUT(obs, counters_of_one_connection, 300)
{
	scripted_undisturbed(_metadata, self);
	/* SYN, SYN|ACK, ACK, FIN|ACK, ACK, FIN|ACK, ACK: seven each way */
	EXPECT_EQ(7, xtcp_counter("InSegs"));
	EXPECT_EQ(7, xtcp_counter("OutSegs"));
	EXPECT_EQ(1, xtcp_counter("ActiveOpens"));
	EXPECT_EQ(1, xtcp_counter("PassiveOpens"));
	EXPECT_EQ(1, xtcp_counter("TimeWaitCreated"));
	EXPECT_EQ(1, xtcp_counter("TimeWaitReaped"));
	EXPECT_EQ(0, xtcp_counter("CurrTimeWait"));
	EXPECT_EQ(0, xtcp_counter("RetransSegs"));
	EXPECT_EQ(0, xtcp_counter("OutRsts"));
	EXPECT_EQ(0, xtcp_counter("InRsts"));
	EXPECT_EQ(0, xtcp_counter("NoSocket"));
	EXPECT_EQ(0, xtcp_fault_drops());
}

/* The edges each end of the scripted connection takes, in order. */
static const char *const a_states[] = {
	"CLOSED>SYN_SENT", "SYN_SENT>ESTABLISHED", "ESTABLISHED>FIN_WAIT_1",
	"FIN_WAIT_1>FIN_WAIT_2", "FIN_WAIT_2>TIME_WAIT", "TIME_WAIT>CLOSED", NULL
};

static const char *const b_states[] = {
	"LISTEN>SYN_RCVD", "SYN_RCVD>ESTABLISHED", "ESTABLISHED>CLOSE_WAIT",
	"CLOSE_WAIT>LAST_ACK", "LAST_ACK>CLOSED", NULL
};

static const char *joined(const char *const *parts)
{
	static char buf[512];

	buf[0] = 0;
	for (; *parts; parts++) {
		if (buf[0])
			strcat(buf, ",");
		strcat(buf, *parts);
	}
	return buf;
}

/* Every event of the scripted connection, endpoint by endpoint, exactly. */
static void expect_scripted_events(struct __test_metadata *_metadata,
				   FIXTURE_DATA(obs) * self,
				   const struct event *ev, int n)
{
	char got[512];

	trace_seq(ev, n, "xtcp_set_state", self->lport, 0, got, sizeof(got));
	EXPECT_STREQ("CLOSED>LISTEN,LISTEN>CLOSED", got);
	trace_seq(ev, n, "xtcp_set_state", self->aport, self->lport, got, sizeof(got));
	EXPECT_STREQ(joined(a_states), got);
	trace_seq(ev, n, "xtcp_set_state", self->lport, self->aport, got, sizeof(got));
	EXPECT_STREQ(joined(b_states), got);

	trace_seq(ev, n, "xtcp_segment_tx", self->aport, self->lport, got, sizeof(got));
	EXPECT_STREQ("SYN,ACK,FIN|ACK,ACK", got);
	trace_seq(ev, n, "xtcp_segment_rx", self->aport, self->lport, got, sizeof(got));
	EXPECT_STREQ("SYN|ACK,ACK,FIN|ACK", got);
	trace_seq(ev, n, "xtcp_segment_tx", self->lport, self->aport, got, sizeof(got));
	EXPECT_STREQ("SYN|ACK,ACK,FIN|ACK", got);
	trace_seq(ev, n, "xtcp_segment_rx", self->lport, self->aport, got, sizeof(got));
	EXPECT_STREQ("SYN,ACK,FIN|ACK,ACK", got);

	trace_seq(ev, n, "xtcp_tw_create", self->aport, self->lport, got, sizeof(got));
	EXPECT_STREQ("TIME_WAIT", got);
	trace_seq(ev, n, "xtcp_tw_end", self->aport, self->lport, got, sizeof(got));
	EXPECT_STREQ("reaped", got);
	trace_seq(ev, n, "xtcp_tw_create", self->lport, self->aport, got, sizeof(got));
	EXPECT_STREQ("", got);
	/* nothing else happened: no retransmission, no reset */
	trace_seq(ev, n, "xtcp_retransmit", self->aport, self->lport, got, sizeof(got));
	EXPECT_STREQ("", got);
	trace_seq(ev, n, "xtcp_reset_tx", self->lport, self->aport, got, sizeof(got));
	EXPECT_STREQ("", got);
}

/* The events of the scripted connection, endpoint by endpoint. */
TEST_F_TIMEOUT(obs, trace_of_one_connection, 300)
{
	struct event ev[MAX_EVENTS];
	int n;

	/* one instance for every attempt: events are told apart by netns */
	ASSERT_EQ(0, trace_start()) TH_LOG("tracefs: %s", strerror(errno));
	scripted_undisturbed(_metadata, self);
	n = trace_read(netns_inum(), ev, MAX_EVENTS);
	ASSERT_LT(0, n);
	ASSERT_GT(MAX_EVENTS, n);

	expect_scripted_events(_metadata, self, ev, n);
}

/*
 * The same events through trace-cmd: the instance's buffer extracted into
 * a trace.dat and printed by trace-cmd report, which formats each event
 * from its format file in user space (libtraceevent), so the state names,
 * flags and addresses must come out of the print formats alone.
 */
TEST_F_TIMEOUT(obs, trace_cmd_report, 300)
{
	const char *dat = "/tmp/xtcp_observe.dat";
	struct event ev[MAX_EVENTS];
	char cmd[512];
	FILE *report;
	int n;

	ASSERT_EQ(0, trace_start());
	scripted_undisturbed(_metadata, self);
	unlink(dat);
	snprintf(cmd, sizeof(cmd), "trace-cmd extract -B %s -o %s >/dev/null 2>&1",
		 strrchr(trace_dir, '/') + 1, dat);
	ASSERT_EQ(0, system(cmd)) TH_LOG("%s (trace-cmd installed?)", cmd);
	snprintf(cmd, sizeof(cmd), "trace-cmd report -i %s 2>/dev/null", dat);
	report = popen(cmd, "r");
	n = trace_parse(report, netns_inum(), ev, MAX_EVENTS);
	if (report)
		pclose(report);
	unlink(dat);
	ASSERT_LT(0, n);
	ASSERT_GT(MAX_EVENTS, n);
	expect_scripted_events(_metadata, self, ev, n);
}

/*
 * A connect() to a port nobody listens on: the SYN is answered with a
 * reset sent without a socket, and the reset ends the attempt.
 */
TEST_F_TIMEOUT(obs, refused_connect, 300)
{
	static const struct edge want[] = {
		E(CLOSE, SYN_SENT, 1), E(SYN_SENT, CLOSE, 1),
	};
	struct sockaddr_in to = sin_of(INADDR_LOOPBACK, 20999);
	struct event ev[MAX_EVENTS];
	int n, attempt = 1;
	char got[256];

	ASSERT_EQ(0, trace_start());
	/* a reset held back past 1 s: the SYN is sent again, and refused again */
	do {
		self->a = stream_socket(true, 0);
		ASSERT_LE(0, self->a);
		ASSERT_EQ(-1, connect(self->a, (struct sockaddr *)&to, sizeof(to)));
		ASSERT_EQ(ECONNREFUSED, errno);
		self->aport = port_of(self->a, false);
	} while (disturbed(_metadata, self, attempt++, 0, false));
	expect_matrix(_metadata, want, ARRAY_SIZE(want));
	EXPECT_EQ(1, xtcp_counter("OutRsts"));
	EXPECT_EQ(1, xtcp_counter("InRsts"));
	EXPECT_EQ(1, xtcp_counter("NoSocket"));
	EXPECT_EQ(1, xtcp_counter("ActiveOpens"));

	n = trace_read(netns_inum(), ev, MAX_EVENTS);
	ASSERT_LT(0, n);
	trace_seq(ev, n, "xtcp_reset_tx", 20999, self->aport, got, sizeof(got));
	EXPECT_STREQ("CLOSED", got);
	trace_seq(ev, n, "xtcp_reset_rx", self->aport, 20999, got, sizeof(got));
	EXPECT_STREQ("SYN_SENT", got);
	trace_seq(ev, n, "xtcp_segment_rx", self->aport, 20999, got, sizeof(got));
	EXPECT_STREQ("RST|ACK", got);
}

/*
 * A lost data segment: one retransmission, seen as event and counter.
 * An ACK of the retransmission held back past the backed-off RTO (or a
 * SYN resent) makes more: such an attempt is made again.
 */
TEST_F_TIMEOUT(obs, retransmit_and_fault_drop, 300)
{
	unsigned char buf[100], got_buf[100];
	struct event ev[MAX_EVENTS];
	unsigned long first_seq = 0;
	int i, n, tx = 0, rtx = 0, attempt = 1;
	struct xtcp_row r;

	do {
		open_pair(_metadata, self);
		/* one instance for every attempt: events are told apart by netns */
		if (!trace_dir[0])
			ASSERT_EQ(0, trace_start());
		ASSERT_EQ(0, xtcp_fault_cmd("add dir=out flags=data nth=1"));
		pat_fill(buf, sizeof(buf), 1, 0);
		ASSERT_EQ(0, send_all(self->a, buf, sizeof(buf)));
		ASSERT_EQ(0, recv_exact(self->b, got_buf, sizeof(got_buf), XTCP_WAIT_MS));
		/* A has its ACK: its retransmission timer is stopped */
		ASSERT_TRUE(wait_txq_empty(self->aport, self->lport, &r));
	} while (disturbed(_metadata, self, attempt++, 1, false));
	EXPECT_EQ(0, memcmp(buf, got_buf, sizeof(buf)));
	EXPECT_EQ(1, xtcp_fault_drops());
	EXPECT_EQ(1, xtcp_counter("RetransSegs"));

	n = trace_read(netns_inum(), ev, MAX_EVENTS);
	ASSERT_LT(0, n);
	for (i = 0; i < n && i < MAX_EVENTS; i++) {
		if (ev[i].lport != self->aport)
			continue;
		if (!strcmp(ev[i].name, "xtcp_segment_tx") && ev[i].len == 100) {
			if (!tx++)
				first_seq = ev[i].seq;
			else
				EXPECT_EQ(first_seq, ev[i].seq);
		}
		if (!strcmp(ev[i].name, "xtcp_retransmit")) {
			rtx++;
			EXPECT_EQ(first_seq, ev[i].seq);
			EXPECT_STREQ("ESTABLISHED", ev[i].a);
		}
	}
	EXPECT_EQ(2, tx);
	EXPECT_EQ(1, rtx);
}

/* Every column of the rows of known sockets. */
TEST_F_TIMEOUT(obs, proc_columns, 120)
{
	long long j0, j1, j2, j3;
	unsigned char buf[1000];
	struct xtcp_row r;
	int c2 = -1;

	/* A is owned by uid 4321: sk_uid comes from the creator's fsuid */
	self->lfd = stream_listener(true, 8, &self->addr);
	ASSERT_LE(0, self->lfd);
	self->lport = ntohs(self->addr.sin_port);
	setfsuid(4321);
	self->a = stream_socket(true, 0);
	setfsuid(0);
	ASSERT_LE(0, self->a);
	/*
	 * state_ms is measured against the listener's own time in LISTEN,
	 * from XTCP_INFO: both count jiffies, which on a busy TCG guest may
	 * disagree with CLOCK_MONOTONIC by hundreds of milliseconds.
	 */
	j0 = timer_ms(self->lfd);
	ASSERT_EQ(0, connect(self->a, (struct sockaddr *)&self->addr, sizeof(self->addr)));
	j1 = timer_ms(self->lfd);
	ASSERT_LE(0, j0);
	self->aport = port_of(self->a, false);

	/*
	 * the listener: one connection waiting to be accepted, once A's
	 * final ACK is in (connect() returns before; ksoftirqd may hold it)
	 */
	ASSERT_TRUE(wait_revents(self->lfd, POLLIN, XTCP_WAIT_MS) & POLLIN);
	ASSERT_TRUE(find_tuple(self->lport, 0, &r));
	EXPECT_EQ(XTCP_LISTEN, r.st);
	EXPECT_STREQ("LISTEN", r.state);
	EXPECT_EQ(htonl(INADDR_LOOPBACK), r.laddr);
	EXPECT_EQ(0, r.raddr);
	EXPECT_EQ(1, r.rxq);
	EXPECT_EQ(0, r.txq);
	EXPECT_EQ(0, r.tr);
	EXPECT_EQ(0, r.uid);
	EXPECT_EQ(sock_inode(self->lfd), r.inode);

	self->b = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, self->b);
	ASSERT_TRUE(find_tuple(self->lport, 0, &r));
	EXPECT_EQ(0, r.rxq);

	/* A: its owner, its inode; 1000 bytes unacknowledged, retried */
	ASSERT_EQ(0, xtcp_fault_cmd("add dir=out flags=data port=any"));
	pat_fill(buf, sizeof(buf), 2, 0);
	ASSERT_EQ(0, send_all(self->a, buf, sizeof(buf)));
	j2 = timer_ms(self->lfd);
	ASSERT_TRUE(find_tuple(self->aport, self->lport, &r));
	j3 = timer_ms(self->lfd);
	EXPECT_EQ(XTCP_ESTABLISHED, r.st);
	EXPECT_EQ(htonl(INADDR_LOOPBACK), r.laddr);
	EXPECT_EQ(htonl(INADDR_LOOPBACK), r.raddr);
	EXPECT_EQ(4321, r.uid);
	EXPECT_EQ(sock_inode(self->a), r.inode);
	EXPECT_EQ(1000, r.txq);
	EXPECT_EQ(0, r.rxq);
	EXPECT_EQ(1, r.tr);		/* the retransmission timer */
	EXPECT_GE(2 * 120 * 100, r.when);	/* clock ticks, 1/100 s */
	/* ESTABLISHED since connect() ran: a jiffy of rounding either way */
	EXPECT_LE(j2 - j1 - 10, (long long)r.state_ms);
	EXPECT_GE(j3 - j0 + 10, (long long)r.state_ms);
	/* the timer fires, the count of its timeouts shows */
	EXPECT_TRUE(wait_retr(self->aport, self->lport, 2, &r));
	EXPECT_LE(2, r.retr);
	EXPECT_EQ(1000, r.txq);

	/* the data goes through: B holds it unread */
	ASSERT_EQ(0, xtcp_fault_cmd("clear"));
	EXPECT_TRUE(wait_txq_empty(self->aport, self->lport, &r));
	EXPECT_EQ(0, r.txq);
	EXPECT_EQ(0, r.retr);
	EXPECT_EQ(0, r.tr);
	ASSERT_TRUE(find_tuple(self->lport, self->aport, &r));
	EXPECT_EQ(1000, r.rxq);
	EXPECT_EQ(0, r.uid);
	EXPECT_EQ(sock_inode(self->b), r.inode);

	/* a request: SYN_RCVD, the SYN+ACK timer and its retries, no inode */
	ASSERT_EQ(0, xtcp_fault_cmd("add dir=out flags=ack port=any"));
	c2 = stream_socket(true, O_NONBLOCK);
	ASSERT_LE(0, c2);
	ASSERT_EQ(-1, connect(c2, (struct sockaddr *)&self->addr, sizeof(self->addr)));
	ASSERT_TRUE(wait_tuple(self->lport, port_of(c2, false), XTCP_SYN_RECV));
	EXPECT_TRUE(wait_retr(self->lport, port_of(c2, false), 1, &r));
	EXPECT_EQ(XTCP_SYN_RECV, r.st);
	EXPECT_STREQ("SYN_RCVD", r.state);
	EXPECT_EQ(1, r.tr);
	EXPECT_LE(1, r.retr);
	/* the SYN+ACK timer runs 1 s << retries at most: ticks of 1/100 s */
	EXPECT_GE(100L << r.retr, (long)r.when);
	EXPECT_EQ(0, r.inode);
	ASSERT_EQ(0, xtcp_fault_cmd("clear"));
	close(c2);

	/*
	 * TIME_WAIT: timer 3 with the time left, no owner, no inode; an MSL
	 * long enough that the entry outlives any stall between the waits
	 */
	ASSERT_EQ(0, recv_exact(self->b, buf, sizeof(buf), XTCP_WAIT_MS));
	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", 60000));
	close_fd(&self->a);
	ASSERT_TRUE(wait_tuple(self->aport, self->lport, XTCP_FIN_WAIT2));
	close_fd(&self->b);
	ASSERT_TRUE(wait_tuple(self->aport, self->lport, XTCP_TIME_WAIT));
	ASSERT_TRUE(find_tuple(self->aport, self->lport, &r));
	EXPECT_EQ(3, r.tr);
	EXPECT_LT(0, r.when);
	EXPECT_GE(2 * 60 * 100, r.when);	/* clock ticks: at most 2 * MSL */
	EXPECT_EQ(0, r.inode);
	EXPECT_EQ(0, r.txq);
	EXPECT_EQ(0, r.rxq);
	EXPECT_STREQ("TIME_WAIT", r.state);
}

/* ---------------------------------------------------------------- */
/* sysctls                                                           */

struct tunable {
	const char *name;
	long dflt, lo, hi;
};

static const struct tunable tunables[] = {
	{ "msl_ms", 30000, 1, 600000 },
	{ "max_tw_buckets", 262144, 0, 16777216 },
	{ "fin_timeout_ms", 60000, 1, 120000 },
	{ "fin_ack_merge", 0, 0, 1 },
	{ "syn_retries", 6, 1, 127 },
	{ "synack_retries", 5, 1, 127 },
	{ "retries2", 15, 1, 127 },
	{ "keepalive_time_s", 7200, 1, 32767 },
	{ "keepalive_intvl_s", 75, 1, 32767 },
	{ "keepalive_probes", 9, 1, 127 },
	{ "max_syn_backlog", 256, 1, 65535 },
	/*
	 * 256 MiB at most, and in a namespace other than the initial one no
	 * more than the initial namespace has (the default here): xtcp_mem
	 * tests that ceiling.
	 */
	{ "rmem_default", 128 << 10, 4096, 128 << 10 },
	{ "wmem_default", 16 << 10, 4096, 16 << 10 },
	{ "rmem_max", 6 << 20, 4096, 6 << 20 },
	{ "wmem_max", 4 << 20, 4096, 4 << 20 },
	{ "orphan_retries", 0, 0, 127 },
	{ "syncookies", 1, 0, 2 },
	{ "gso", 1, 0, 1 },
	{ "sack", 1, 0, 1 },
	{ "timestamps", 1, 0, 1 },
};

/* Defaults, both ends of each range, EINVAL one step outside. */
TEST_F_TIMEOUT(obs, sysctl_ranges, 120)
{
	char val[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tunables); i++) {
		const struct tunable *t = &tunables[i];

		EXPECT_EQ(t->dflt, xtcp_sysctl_get(t->name)) TH_LOG("%s", t->name);
		EXPECT_EQ(0, xtcp_sysctl_set(t->name, t->lo)) TH_LOG("%s", t->name);
		EXPECT_EQ(t->lo, xtcp_sysctl_get(t->name));
		EXPECT_EQ(0, xtcp_sysctl_set(t->name, t->hi)) TH_LOG("%s", t->name);
		EXPECT_EQ(t->hi, xtcp_sysctl_get(t->name));
		EXPECT_EQ(EINVAL, xtcp_sysctl_set(t->name, t->lo - 1))
			TH_LOG("%s below range", t->name);
		EXPECT_EQ(EINVAL, xtcp_sysctl_set(t->name, t->hi + 1))
			TH_LOG("%s above range", t->name);
		snprintf(val, sizeof(val), "abc");
		EXPECT_EQ(EINVAL, xtcp_sysctl_write(t->name, val))
			TH_LOG("%s not a number", t->name);
		EXPECT_EQ(t->hi, xtcp_sysctl_get(t->name));
		EXPECT_EQ(0, xtcp_sysctl_set(t->name, t->dflt));
	}
}

/* Buffer and keepalive defaults reach sockets created afterwards. */
TEST_F_TIMEOUT(obs, sysctl_socket_defaults, 120)
{
	int fd, v = 0;
	socklen_t len = sizeof(v);

	ASSERT_EQ(0, xtcp_sysctl_set("rmem_default", 123456));
	ASSERT_EQ(0, xtcp_sysctl_set("wmem_default", 12288));
	ASSERT_EQ(0, xtcp_sysctl_set("keepalive_time_s", 11));
	ASSERT_EQ(0, xtcp_sysctl_set("keepalive_intvl_s", 3));
	ASSERT_EQ(0, xtcp_sysctl_set("keepalive_probes", 4));
	ASSERT_EQ(0, xtcp_sysctl_set("syn_retries", 2));
	fd = stream_socket(true, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len));
	EXPECT_EQ(123456, v);
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &len));
	EXPECT_EQ(12288, v);
	EXPECT_EQ(11, get_int(fd, xtcp_proto(), XTCP_KEEPIDLE));
	EXPECT_EQ(3, get_int(fd, xtcp_proto(), XTCP_KEEPINTVL));
	EXPECT_EQ(4, get_int(fd, xtcp_proto(), XTCP_KEEPCNT));
	EXPECT_EQ(2, get_int(fd, xtcp_proto(), XTCP_SYNCNT));
	close(fd);
}

/* syn_retries: a connect whose SYNs all vanish sends 1 + syn_retries. */
TEST_F_TIMEOUT(obs, sysctl_syn_retries, 120)
{
	struct sockaddr_in to = sin_of(INADDR_LOOPBACK, 21001);
	struct xtcp_rule_count rc;

	ASSERT_EQ(0, xtcp_sysctl_set("syn_retries", 1));
	ASSERT_EQ(0, xtcp_fault_cmd("add dir=out flags=syn"));
	self->a = stream_socket(true, 0);
	ASSERT_LE(0, self->a);
	ASSERT_EQ(-1, connect(self->a, (struct sockaddr *)&to, sizeof(to)));
	EXPECT_EQ(ETIMEDOUT, errno);
	ASSERT_EQ(0, xtcp_fault_rule(xtcp_fault_last_id(), &rc));
	EXPECT_EQ(2, rc.dropped);
}

/*
 * synack_retries: a request whose final ACK never arrives sends
 * 1 + synack_retries SYN+ACKs and is dropped (SYN_RCVD -> CLOSED).
 */
TEST_F_TIMEOUT(obs, sysctl_synack_retries, 300)
{
	long m[XTCP_MAX_STATES][XTCP_MAX_STATES];
	struct xtcp_rule_count rc;
	int attempt = 1;
	unsigned int id;
	long long end;

	/* a SYN+ACK held back past 1 s: the SYN is resent, and answered */
	do {
		ASSERT_EQ(0, xtcp_sysctl_set("synack_retries", 1));
		self->lfd = stream_listener(true, 8, &self->addr);
		ASSERT_LE(0, self->lfd);
		ASSERT_EQ(0, xtcp_fault_cmd("add dir=out flags=ack"));
		ASSERT_EQ(0, xtcp_fault_cmd("add dir=out flags=synack action=delay delay=1"));
		id = xtcp_fault_last_id();
		self->a = stream_socket(true, O_NONBLOCK);
		ASSERT_LE(0, self->a);
		connect(self->a, (struct sockaddr *)&self->addr, sizeof(self->addr));
		/* about 3 s: the SYN+ACK timer's 1 s, then 2 s */
		end = now_ms() + XTCP_WAIT_MS;
		do {
			ASSERT_LT(0, read_trans(m));
			if (m[XTCP_SYN_RECV][XTCP_CLOSE])
				break;
			usleep(50000);
		} while (now_ms() < end);
	} while (disturbed(_metadata, self, attempt++, 0, false));
	EXPECT_EQ(1, m[XTCP_SYN_RECV][XTCP_CLOSE]);
	EXPECT_EQ(1, m[XTCP_LISTEN][XTCP_SYN_RECV]);
	EXPECT_EQ(0, m[XTCP_SYN_RECV][XTCP_ESTABLISHED]);
	ASSERT_EQ(0, xtcp_fault_rule(id, &rc));
	EXPECT_EQ(2, rc.matched);
}

/* retries2: unacknowledged data ends the connection after its retries. */
TEST_F_TIMEOUT(obs, sysctl_retries2, 120)
{
	long tlp0 = xtcp_counter("TlpProbes"), tlp;
	struct xtcp_rule_count rc;
	int err = 0;
	socklen_t len = sizeof(err);

	ASSERT_EQ(0, xtcp_sysctl_set("retries2", 2));
	open_pair(_metadata, self);
	ASSERT_EQ(0, xtcp_fault_cmd("add dir=out flags=data"));
	ASSERT_EQ(0, send_all(self->a, "x", 1));
	/* three RTOs, doubling: seconds at most */
	ASSERT_EQ(1, wait_revents(self->a, POLLERR, XTCP_WAIT_MS) & POLLERR ? 1 : 0);
	ASSERT_EQ(0, getsockopt(self->a, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(ETIMEDOUT, err);
	ASSERT_EQ(0, xtcp_fault_rule(xtcp_fault_last_id(), &rc));
	/* the first sending and two retries; with SACK, a tail loss probe */
	tlp = xtcp_counter("TlpProbes") - tlp0;
	EXPECT_GE(1, tlp);
	EXPECT_EQ(3 + tlp, rc.dropped);
	EXPECT_EQ(1, xtcp_counter("Timeouts"));
}

/*
 * max_syn_backlog: the third SYN finds the queue of two full and, SYN
 * cookies off, is dropped (with them, xtcp_synflood's tests).
 */
TEST_F_TIMEOUT(obs, sysctl_max_syn_backlog, 120)
{
	struct xtcp_row rows[MAX_ROWS];
	int c[3], i, n, reqs = 0;

	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 0));
	ASSERT_EQ(0, xtcp_sysctl_set("max_syn_backlog", 2));
	self->lfd = stream_listener(true, 64, &self->addr);
	ASSERT_LE(0, self->lfd);
	ASSERT_EQ(0, xtcp_fault_cmd("add dir=out flags=ack"));
	for (i = 0; i < 3; i++) {
		c[i] = stream_socket(true, O_NONBLOCK);
		ASSERT_LE(0, c[i]);
		connect(c[i], (struct sockaddr *)&self->addr, sizeof(self->addr));
	}
	/*
	 * At least one: the dropped client sends its SYN again at 1 s and
	 * 3 s, so a test held off the CPU that long sees a drop for each.
	 */
	EXPECT_LE(1, xtcp_wait_counter("SynQueueDrops", 1, false, XTCP_WAIT_MS));
	n = xtcp_read_rows(XTCP_PROC, rows, MAX_ROWS);
	for (i = 0; i < n && i < MAX_ROWS; i++)
		reqs += rows[i].st == XTCP_SYN_RECV;
	EXPECT_EQ(2, reqs);
	for (i = 0; i < 3; i++)
		close(c[i]);
}

/*
 * The timer column of @fd's row in @path (/proc/net/tcp or xtcp): *tr and
 * *when; 1 if found.
 */
static int timer_column(const char *path, int fd, unsigned int *tr,
			unsigned long *when)
{
	unsigned long ino = sock_inode(fd), inode;
	char line[512];
	FILE *f = fopen(path, "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, " %*d: %*x:%*x %*x:%*x %*x %*x:%*x %x:%lx %*x %*u %*d %lu",
			       tr, when, &inode) == 3 && inode == ino;
	fclose(f);
	return found;
}

/*
 * tm->when counts clock ticks (USER_HZ), as /proc/net/tcp's does, not
 * jiffies: a keepalive timer 1000 s away shows at most 100000 on both,
 * more than 99000 (the timer was set a moment before), whatever HZ is.
 */
TEST_F_TIMEOUT(obs, timer_ticks_as_tcp, 120)
{
	unsigned long when;
	unsigned int tr;
	int i, cli, srv;

	for (i = xtcp_tcp_reference_off(); i < 2; i++) {
		bool xtcp = i;
		long long t0;

		ASSERT_EQ(0, stream_pair(xtcp, &cli, &srv));
		ASSERT_EQ(0, set_int(cli, IPPROTO_TCP, TCP_KEEPIDLE, 1000));
		t0 = now_ms();
		ASSERT_EQ(0, set_int(cli, SOL_SOCKET, SO_KEEPALIVE, 1));
		ASSERT_EQ(1, timer_column(xtcp ? "/proc/net/xtcp" : "/proc/net/tcp",
					  cli, &tr, &when));
		EXPECT_EQ(2, tr) TH_LOG("xtcp %d", xtcp);
		EXPECT_GE(100000, when) TH_LOG("xtcp %d: %lu", xtcp, when);
		if (now_ms() - t0 < 5000)	/* else the guest was too slow to tell */
			EXPECT_LT(99000, when) TH_LOG("xtcp %d: %lu", xtcp, when);
		close(cli);
		close(srv);
	}
}

/* Fixed at load: readable under /sys/module, refused for writing. */
TEST(module_parameters)
{
	static const char *const params[] = { "family", "proto" };
	char path[96];
	size_t i;

	EXPECT_EQ(AF_XTCP_DEFAULT, xtcp_af());
	EXPECT_EQ(IPPROTO_XTCP_DEFAULT, xtcp_proto());
	for (i = 0; i < ARRAY_SIZE(params); i++) {
		snprintf(path, sizeof(path), "/sys/module/xtcp/parameters/%s", params[i]);
		EXPECT_EQ(0, access(path, R_OK)) TH_LOG("%s", path);
		errno = 0;
		EXPECT_GT(0, open(path, O_WRONLY)) TH_LOG("%s", path);
		EXPECT_EQ(EACCES, errno) TH_LOG("%s", path);
	}
}

TEST_HARNESS_MAIN
