// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp selftests: build/tools/xtcpstat against the kernel's own files.
 *
 * Every test runs in a network namespace of its own holding a known set
 * of connections, all on loopback:
 *
 *   L    a listener on 127.0.0.1                      LISTEN
 *   E    a client bound to 127.0.0.2 and its accepted  ESTABLISHED x 2
 *        end, which holds 100 unread bytes
 *   H    a client that shut down its sending side and  FIN_WAIT_2,
 *        its accepted end, which never closes           CLOSE_WAIT
 *   T    a connection whose client closed first, then  a TIME_WAIT entry
 *        its server: the client's end
 *
 * and checks that the tool shows what /proc/net/xtcp, xtcp_stat and
 * xtcp_trans say: the list row for row (addresses, ports, states, queues,
 * uid, inodes), each filter's rows, the per-state summary, the counters,
 * the transition matrix and the dot diagram, the CLOSE_WAIT leak report
 * (this process, by pid and comm), --watch --count, --netns, and exit
 * status 2 for bad options.  The scene is static while the tool runs (no
 * timers, no traffic), so the tool and the files read just before and
 * after it must agree.
 *
 * /proc/net/xtcp_trans comes with the kernel side of the transition
 * counters; without it the matrix and diagram tests fail, they do not
 * skip.
 *
 * The tool is found next to this program: build/selftests/xtcp_tool ->
 * build/tools/xtcpstat.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "module/core.h"
#include "xtcp_util.h"

#define XTCP_PROC	"/proc/net/xtcp"
#define STAT_PROC	"/proc/net/xtcp_stat"
#define TRANS_PROC	"/proc/net/xtcp_trans"
#define WAIT_MS		10000
#define MAX_ROWS	64
#define OUT_CAP		(256 * 1024)
#define UNREAD		100

/* ---- /proc/net/xtcp, every column ---- */

static bool prow_equal(const struct xtcp_row *a, const struct xtcp_row *b)
{
	return a->laddr == b->laddr && a->lport == b->lport &&
	       a->raddr == b->raddr && a->rport == b->rport && a->st == b->st &&
	       a->txq == b->txq && a->rxq == b->rxq && a->uid == b->uid &&
	       a->inode == b->inode;
}

/* ADDR:PORT as xtcpstat prints it ("*" for port 0). */
static void endpoint(char *buf, size_t len, unsigned int addr, unsigned int port)
{
	struct in_addr a = { .s_addr = addr };
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	if (port)
		snprintf(buf, len, "%s:%u", ip, port);
	else
		snprintf(buf, len, "%s:*", ip);
}

/* Rows with the state of @st, the local port @lport (0: any). */
static int count_rows(int st, unsigned int lport)
{
	struct xtcp_row rows[MAX_ROWS];
	int i, n = xtcp_read_rows(XTCP_PROC, rows, MAX_ROWS), found = 0;

	for (i = 0; i < n && i < MAX_ROWS; i++)
		if ((st < 0 || rows[i].st == (unsigned int)st) &&
		    (!lport || rows[i].lport == lport))
			found++;
	return n < 0 ? n : found;
}

static int wait_count(int st, unsigned int lport, int want)
{
	long long end = now_ms() + WAIT_MS;
	int n;

	while ((n = count_rows(st, lport)) != want && now_ms() < end)
		usleep(2000);
	return n;
}

/* ---- counters and transitions ---- */

struct counter {
	char name[64];
	unsigned long long v;
};

static int read_counters(struct counter *c, int max)
{
	FILE *f = fopen(STAT_PROC, "r");
	int n = 0;

	if (!f)
		return -1;
	while (n < max && fscanf(f, "%63s %llu", c[n].name, &c[n].v) == 2)
		n++;
	fclose(f);
	return n;
}

static const struct counter *find_counter(const struct counter *c, int n,
					  const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(c[i].name, name))
			return &c[i];
	return NULL;
}

static int state_of(const char *name)
{
	int s;

	for (s = XTCP_ESTABLISHED; s < XTCP_MAX_STATES; s++)
		if (!strcmp(name, xtcp_state_name(s)))
			return s;
	return -1;
}

/*
 * /proc/net/xtcp_trans into @t[from][to], @listed[from][to] set for each
 * line.  0, -1 if the file cannot be opened, -2 if a line is wrong.
 */
static int read_trans(unsigned long long t[XTCP_MAX_STATES][XTCP_MAX_STATES],
		      bool listed[XTCP_MAX_STATES][XTCP_MAX_STATES])
{
	char line[256], from[32], to[32];
	FILE *f = fopen(TRANS_PROC, "r");
	unsigned long long v;
	int a, b;

	memset(t, 0, sizeof(t[0]) * XTCP_MAX_STATES);
	memset(listed, 0, sizeof(listed[0]) * XTCP_MAX_STATES);
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		a = -1;
		b = -1;
		if (sscanf(line, "%31s %31s %llu", from, to, &v) == 3) {
			a = state_of(from);
			b = state_of(to);
		}
		if (a < 0 || b < 0 || listed[a][b]) {
			fclose(f);
			return -2;
		}
		t[a][b] = v;
		listed[a][b] = true;
	}
	fclose(f);
	return 0;
}

/* ---- running the tool ---- */

static char tool_path[PATH_MAX];
static char out[OUT_CAP], err[8192];

static void find_tool(struct __test_metadata *_metadata)
{
	char exe[PATH_MAX], rel[PATH_MAX + 32], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	ASSERT_LT(0, n);
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	ASSERT_NE(NULL, slash);
	*slash = '\0';
	snprintf(rel, sizeof(rel), "%s/../tools/xtcpstat", exe);
	ASSERT_NE(NULL, realpath(rel, tool_path))
		TH_LOG("%s: %s (make tools)", rel, strerror(errno));
	ASSERT_EQ(0, access(tool_path, X_OK)) TH_LOG("%s: %s", tool_path, strerror(errno));
}

static void read_all(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += n;
	buf[len] = '\0';
	/* drain what did not fit, so the tool never blocks on a full pipe */
	while (len + 1 >= cap && read(fd, buf + len, 0) > 0)
		;
}

/*
 * Run the tool with the NULL-terminated arguments after @netns, stdout
 * into out[], stderr into err[]; its exit status, or -1.  @netns: a
 * namespace file the child enters before exec (NULL: ours).
 */
static int run_tool(const char *netns, ...)
{
	const char *argv[32];
	int o[2], e[2], status, argc = 0, fd;
	va_list ap;
	pid_t pid;

	argv[argc++] = tool_path;
	va_start(ap, netns);
	while (argc < 31 && (argv[argc] = va_arg(ap, const char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	if (pipe(o) || pipe(e))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(o[1], 1);
		dup2(e[1], 2);
		/* the test's sockets must not have this process as an owner */
		for (fd = 3; fd < 1024; fd++)
			close(fd);
		if (netns) {
			fd = open(netns, O_RDONLY);
			if (fd < 0 || setns(fd, CLONE_NEWNET))
				_exit(99);
			close(fd);
		}
		execv(tool_path, (char *const *)argv);
		_exit(98);
	}
	close(o[1]);
	close(e[1]);
	read_all(o[0], out, sizeof(out));
	read_all(e[0], err, sizeof(err));
	close(o[0]);
	close(e[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Lines of out[] starting with @prefix. */
static int count_lines(const char *prefix)
{
	const char *p = out;
	int n = 0;

	while (*p) {
		if (!strncmp(p, prefix, strlen(prefix)))
			n++;
		p = strchrnul(p, '\n');
		if (*p)
			p++;
	}
	return n;
}

/**
 * struct trow - one row of xtcpstat's list
 */
struct trow {
	char state[32], local[32], peer[32], timer[40], time[32];
	unsigned int rxq, txq, uid;
	unsigned long retr, inode;
};

/* Parse out[] (no header) into @rows; the row count, -1 if one does not parse. */
static int parse_list(struct trow *rows, int max)
{
	char *save = NULL, *line;
	int n = 0;

	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct trow r;

		if (sscanf(line, "%31s %u %u %31s %31s %39s %lu %u %lu %31s", r.state,
			   &r.rxq, &r.txq, r.local, r.peer, r.timer, &r.retr, &r.uid,
			   &r.inode, r.time) != 10)
			return -1;
		if (n < max)
			rows[n] = r;
		n++;
	}
	return n;
}

/* ---- the scene ---- */

FIXTURE(tool)
{
	int lfd;		/* L */
	struct sockaddr_in laddr;
	int ec, es;		/* E: client, server end */
	int hc, hs;		/* H: FIN_WAIT_2 client, CLOSE_WAIT server end */
	unsigned int eport, hport, tport;	/* the clients' ports */
	char netns[64];		/* our namespace, by path */
};

FIXTURE_SETUP(tool)
{
	struct sockaddr_in sin, src = sin_of(INADDR_LOOPBACK + 1, 0);
	int c, s;

	self->lfd = -1;
	self->ec = -1;
	self->es = -1;
	self->hc = -1;
	self->hs = -1;
	signal(SIGPIPE, SIG_IGN);
	find_tool(_metadata);
	ASSERT_STREQ("", xtcp_fresh_netns());
	snprintf(self->netns, sizeof(self->netns), "/proc/%d/ns/net", getpid());
	/* TIME_WAIT lasts the whole test */
	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", 600000));

	self->lfd = stream_listener(true, 8, &self->laddr);
	ASSERT_LE(0, self->lfd) TH_LOG("listener: %s", strerror(errno));

	/* E: from 127.0.0.2, with unread data on the server's end */
	self->ec = stream_socket(true, 0);
	ASSERT_LE(0, self->ec);
	ASSERT_EQ(0, bind(self->ec, (struct sockaddr *)&src, sizeof(src)));
	ASSERT_EQ(0, connect(self->ec, (struct sockaddr *)&self->laddr,
			     sizeof(self->laddr))) TH_LOG("connect: %s", strerror(errno));
	self->es = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, self->es);
	ASSERT_EQ(0, sock_name(self->ec, &sin));
	self->eport = ntohs(sin.sin_port);
	memset(out, 'x', UNREAD);
	ASSERT_EQ(0, send_all(self->ec, out, UNREAD));
	ASSERT_NE(0, wait_revents(self->es, POLLIN, WAIT_MS) & POLLIN);

	/* H: the client shuts down its sending side; the server never closes */
	self->hc = stream_connect(true, &self->laddr);
	ASSERT_LE(0, self->hc);
	self->hs = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, self->hs);
	ASSERT_EQ(0, sock_name(self->hc, &sin));
	self->hport = ntohs(sin.sin_port);
	ASSERT_EQ(0, shutdown(self->hc, SHUT_WR));
	ASSERT_EQ(1, wait_count(XTCP_CLOSE_WAIT, 0, 1));
	ASSERT_EQ(1, wait_count(XTCP_FIN_WAIT2, self->hport, 1));

	/* T: the client closes first, then the server: a TIME_WAIT entry */
	c = stream_connect(true, &self->laddr);
	ASSERT_LE(0, c);
	s = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, sock_name(c, &sin));
	self->tport = ntohs(sin.sin_port);
	close(c);
	ASSERT_EQ(1, wait_count(XTCP_FIN_WAIT2, self->tport, 1));
	ASSERT_EQ(2, wait_count(XTCP_CLOSE_WAIT, 0, 2));
	close(s);
	ASSERT_EQ(1, wait_count(XTCP_TIME_WAIT, self->tport, 1));
	ASSERT_EQ(1, wait_count(XTCP_CLOSE_WAIT, 0, 1));
	ASSERT_EQ(0, wait_count(XTCP_LAST_ACK, 0, 0));
	ASSERT_EQ(6, count_rows(-1, 0));
}

FIXTURE_TEARDOWN(tool)
{
	close_fd(&self->hs);
	close_fd(&self->hc);
	close_fd(&self->es);
	close_fd(&self->ec);
	close_fd(&self->lfd);
	/* the namespace ends empty: no socket, no TIME_WAIT entry */
	EXPECT_TRUE(xtcp_ns_drain(WAIT_MS));
}

/* ---- the list ---- */

/* The file before and after a run must agree: the scene is static. */
static int stable_rows(struct __test_metadata *_metadata, struct xtcp_row *before)
{
	struct xtcp_row after[MAX_ROWS];
	int n = xtcp_read_rows(XTCP_PROC, after, MAX_ROWS), i;

	EXPECT_EQ(6, n);
	for (i = 0; i < n && i < MAX_ROWS; i++)
		EXPECT_TRUE(prow_equal(&before[i], &after[i])) TH_LOG("row %d changed", i);
	return n;
}

static void check_row(struct __test_metadata *_metadata, const struct xtcp_row *p,
		      const struct trow *t, int i)
{
	char local[32], peer[32];

	endpoint(local, sizeof(local), p->laddr, p->lport);
	endpoint(peer, sizeof(peer), p->raddr, p->rport);
	EXPECT_STREQ(xtcp_state_name(p->st), t->state) TH_LOG("row %d", i);
	EXPECT_STREQ(local, t->local) TH_LOG("row %d", i);
	EXPECT_STREQ(peer, t->peer) TH_LOG("row %d", i);
	EXPECT_EQ(p->rxq, t->rxq) TH_LOG("row %d", i);
	EXPECT_EQ(p->txq, t->txq) TH_LOG("row %d", i);
	EXPECT_EQ(p->uid, t->uid) TH_LOG("row %d", i);
	EXPECT_EQ(p->inode, t->inode) TH_LOG("row %d", i);
}

TEST_F_TIMEOUT(tool, list_row_for_row, 300)
{
	struct xtcp_row p[MAX_ROWS];
	struct trow t[MAX_ROWS];
	int n, m, i, seen = 0;

	n = xtcp_read_rows(XTCP_PROC, p, MAX_ROWS);
	ASSERT_EQ(6, n);
	ASSERT_EQ(0, run_tool(NULL, "--state", "all", "-H", NULL)) TH_LOG("%s", err);
	m = parse_list(t, MAX_ROWS);
	ASSERT_EQ(n, stable_rows(_metadata, p));
	ASSERT_EQ(n, m) TH_LOG("tool: %d rows, /proc/net/xtcp: %d", m, n);
	for (i = 0; i < n; i++)
		check_row(_metadata, &p[i], &t[i], i);

	/* what the scene put there */
	for (i = 0; i < n; i++) {
		if (p[i].lport == ntohs(self->laddr.sin_port) && p[i].rport == self->eport) {
			EXPECT_EQ(UNREAD, t[i].rxq);
			EXPECT_STREQ("127.0.0.2:", strndupa(t[i].peer, 10));
			seen++;
		}
		if (p[i].st == XTCP_TIME_WAIT) {
			EXPECT_EQ(0, t[i].inode);
			EXPECT_EQ(0, strncmp(t[i].timer, "timewait,", 9)) TH_LOG("%s", t[i].timer);
			seen++;
		}
		if (p[i].st == XTCP_LISTEN) {
			EXPECT_STREQ("0.0.0.0:*", t[i].peer);
			seen++;
		}
	}
	EXPECT_EQ(3, seen);

	/* the header, then the same rows */
	ASSERT_EQ(0, run_tool(NULL, "-a", NULL));
	EXPECT_EQ(1, count_lines("State "));
	EXPECT_EQ(7, count_lines(""));

	/* --netns: from the initial namespace, pointed at ours */
	ASSERT_EQ(0, run_tool("/proc/1/ns/net", "--netns", self->netns, "-a", "-H", NULL))
		TH_LOG("%s", err);
	m = parse_list(t, MAX_ROWS);
	ASSERT_EQ(n, m);
	for (i = 0; i < n; i++)
		check_row(_metadata, &p[i], &t[i], i);
}

/**
 * struct filter - which /proc rows a filter must select
 * @states: bits 1 << state
 * @sport: local port, 0 any
 * @dport: peer port, 0 any
 * @port: either port, 0 any
 * @src: local address (network order), 0 any
 * @dst: peer address, 0 any
 */
struct filter {
	unsigned int states, sport, dport, port, src, dst;
};

#define ALL		0xffeu
#define BIT(s)		(1u << (s))

static bool selected(const struct filter *f, const struct xtcp_row *p)
{
	return (f->states & BIT(p->st)) && (!f->sport || p->lport == f->sport) &&
	       (!f->dport || p->rport == f->dport) &&
	       (!f->port || p->lport == f->port || p->rport == f->port) &&
	       (!f->src || p->laddr == f->src) && (!f->dst || p->raddr == f->dst);
}

/*
 * The tool's rows (its arguments after @f) are exactly the /proc rows @f
 * selects, in order, and there are @want of them.
 */
#define CHECK_FILTER(want, f, ...) check_filter(_metadata, want, f, #__VA_ARGS__, \
						run_tool(NULL, "-H", __VA_ARGS__, NULL))

static void check_filter(struct __test_metadata *_metadata, int want,
			 struct filter f, const char *what, int rc)
{
	struct xtcp_row p[MAX_ROWS];
	struct trow t[MAX_ROWS];
	int n = xtcp_read_rows(XTCP_PROC, p, MAX_ROWS), m, i, k = 0;

	ASSERT_EQ(0, rc) TH_LOG("%s: %s", what, err);
	m = parse_list(t, MAX_ROWS);
	ASSERT_LE(0, m) TH_LOG("%s: a row does not parse", what);
	for (i = 0; i < n && i < MAX_ROWS; i++) {
		if (!selected(&f, &p[i]))
			continue;
		ASSERT_LT(k, m) TH_LOG("%s: row %d (inode %lu) missing", what, i, p[i].inode);
		check_row(_metadata, &p[i], &t[k], i);
		k++;
	}
	EXPECT_EQ(k, m) TH_LOG("%s: %d rows, expected %d", what, m, k);
	EXPECT_EQ(want, m) TH_LOG("%s", what);
}

TEST_F_TIMEOUT(tool, filters, 300)
{
	unsigned int lp = ntohs(self->laddr.sin_port);
	unsigned int lo2 = htonl(INADDR_LOOPBACK + 1), lo1 = htonl(INADDR_LOOPBACK);
	char l[8], e[8], h[8], tw[8];

	snprintf(l, sizeof(l), "%u", lp);
	snprintf(e, sizeof(e), "%u", self->eport);
	snprintf(h, sizeof(h), "%u", self->hport);
	snprintf(tw, sizeof(tw), "%u", self->tport);

	CHECK_FILTER(6, ((struct filter){ .states = ALL }), "--state", "all");
	CHECK_FILTER(6, ((struct filter){ .states = ALL }), "-a");
	CHECK_FILTER(5, ((struct filter){ .states = ALL & ~BIT(XTCP_LISTEN) }), "-t");
	CHECK_FILTER(1, ((struct filter){ .states = BIT(XTCP_LISTEN) }), "-l");
	CHECK_FILTER(1, ((struct filter){ .states = BIT(XTCP_CLOSE_WAIT) }),
		     "--state", "close_wait");
	CHECK_FILTER(3, ((struct filter){ .states = BIT(XTCP_ESTABLISHED) | BIT(XTCP_TIME_WAIT) }),
		     "--state", "ESTABLISHED,time-wait");
	CHECK_FILTER(1, ((struct filter){ .states = BIT(XTCP_FIN_WAIT2) }),
		     "--state", "Fin_Wait_2");
	CHECK_FILTER(0, ((struct filter){ .states = BIT(XTCP_SYN_SENT) | BIT(XTCP_LAST_ACK) }),
		     "--state", "syn_sent,last_ack");
	CHECK_FILTER(3, ((struct filter){ .states = ALL, .sport = lp }), "--sport", l, "-a");
	CHECK_FILTER(2, ((struct filter){ .states = ALL & ~BIT(XTCP_LISTEN), .sport = lp }),
		     "--sport", l);
	CHECK_FILTER(3, ((struct filter){ .states = ALL, .dport = lp }), "--dport", l);
	CHECK_FILTER(6, ((struct filter){ .states = ALL, .port = lp }), "--port", l, "-a");
	CHECK_FILTER(2, ((struct filter){ .states = ALL, .port = self->eport }), "--port", e);
	CHECK_FILTER(1, ((struct filter){ .states = ALL & ~BIT(XTCP_LISTEN), .src = lo2 }),
		     "--src", "127.0.0.2");
	CHECK_FILTER(1, ((struct filter){ .states = ALL, .dst = lo2 }), "--dst", "127.0.0.2", "-a");
	CHECK_FILTER(0, ((struct filter){ .states = ALL, .dst = 1 }), "--dst", "10.0.0.0/8", "-a");
	CHECK_FILTER(1, ((struct filter){ .states = BIT(XTCP_CLOSE_WAIT), .dport = self->hport }),
		     "--state", "close_wait", "--dport", h);
	CHECK_FILTER(1, ((struct filter){ .states = BIT(XTCP_TIME_WAIT), .sport = self->tport }),
		     "--sport", tw, "--state", "time_wait");
	CHECK_FILTER(1, ((struct filter){ .states = BIT(XTCP_FIN_WAIT2), .src = lo1, .dport = lp }),
		     "--src", "127.0.0.1", "--dport", l, "--state", "fin_wait_2");
}

/* ---- summary, counters ---- */

TEST_F_TIMEOUT(tool, summary, 300)
{
	struct xtcp_row p[MAX_ROWS];
	int n = xtcp_read_rows(XTCP_PROC, p, MAX_ROWS), s, i, listed = 0;
	unsigned long want, got;
	char *line, *save = NULL, name[32];

	ASSERT_EQ(6, n);
	ASSERT_EQ(0, run_tool(NULL, "-s", "-H", NULL)) TH_LOG("%s", err);
	ASSERT_EQ(6, stable_rows(_metadata, p));
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		i = sscanf(line, "%31s %lu", name, &got);
		ASSERT_EQ(2, i) TH_LOG("%s", line);
		if (!strcmp(name, "Total")) {
			EXPECT_EQ(n, got);
			continue;
		}
		s = state_of(name);
		ASSERT_LT(0, s) TH_LOG("%s", line);
		for (want = 0, i = 0; i < n; i++)
			want += p[i].st == (unsigned int)s;
		EXPECT_EQ(want, got) TH_LOG("%s", name);
		listed++;
	}
	EXPECT_EQ(XTCP_MAX_STATES - 1, listed);

	ASSERT_EQ(0, run_tool(NULL, "-s", "-H", "--state", "close_wait", NULL));
	EXPECT_STREQ("CLOSE_WAIT  1\nTotal       1\n", out);
}

TEST_F_TIMEOUT(tool, counters, 300)
{
	struct counter before[128], after[128];
	const struct counter *b, *a;
	int nb, na, lines = 0, nonzero = 0, i;
	char *line, *save = NULL, name[64];
	unsigned long long v;

	nb = read_counters(before, 128);
	ASSERT_LT(0, nb);
	ASSERT_EQ(0, run_tool(NULL, "-c", NULL)) TH_LOG("%s", err);
	na = read_counters(after, 128);
	ASSERT_EQ(nb, na);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		i = sscanf(line, "%63s %llu", name, &v);
		ASSERT_EQ(2, i) TH_LOG("%s", line);
		b = find_counter(before, nb, name);
		a = find_counter(after, na, name);
		ASSERT_NE(NULL, b) TH_LOG("%s not in %s", name, STAT_PROC);
		ASSERT_NE(NULL, a);
		EXPECT_TRUE((b->v <= v && v <= a->v) || (a->v <= v && v <= b->v))
			TH_LOG("%s: tool %llu, file %llu then %llu", name, v, b->v, a->v);
		lines++;
	}
	EXPECT_EQ(nb, lines);
	b = find_counter(before, nb, "CurrTimeWait");
	ASSERT_NE(NULL, b);
	EXPECT_EQ(1, b->v);	/* T */

	/* -z: the non-zero ones only, every one of them */
	nb = read_counters(before, 128);
	ASSERT_EQ(0, run_tool(NULL, "-c", "-z", NULL));
	na = read_counters(after, 128);
	save = NULL;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		i = sscanf(line, "%63s %llu", name, &v);
		ASSERT_EQ(2, i);
		EXPECT_NE(0, v) TH_LOG("%s", name);
		nonzero++;
	}
	for (i = 0, lines = 0; i < nb; i++)
		lines += before[i].v && after[i].v;
	EXPECT_EQ(lines, nonzero);
}

/* ---- transitions ---- */

static unsigned long long tb[XTCP_MAX_STATES][XTCP_MAX_STATES];
static unsigned long long ta[XTCP_MAX_STATES][XTCP_MAX_STATES];
static bool lb[XTCP_MAX_STATES][XTCP_MAX_STATES];
static bool la[XTCP_MAX_STATES][XTCP_MAX_STATES];

/* xtcp_trans read before the tool ran: every legal edge listed. */
static void trans_before(struct __test_metadata *_metadata)
{
	int a, b, r = read_trans(tb, lb);

	ASSERT_NE(-1, r) TH_LOG("%s: %s (%s)", TRANS_PROC, strerror(errno),
				"the kernel side of the transition counters is not in this module");
	ASSERT_EQ(0, r) TH_LOG("%s: a line is not FROM TO COUNT", TRANS_PROC);
	for (a = XTCP_ESTABLISHED; a < XTCP_MAX_STATES; a++)
		for (b = XTCP_ESTABLISHED; b < XTCP_MAX_STATES; b++) {
			bool legal = xtcp_edge_legal(a, b);

			EXPECT_TRUE(!legal || lb[a][b])
				TH_LOG("%s -> %s not listed", xtcp_state_name(a),
				       xtcp_state_name(b));
			EXPECT_TRUE(legal || !lb[a][b] || tb[a][b])
				TH_LOG("illegal %s -> %s listed with 0", xtcp_state_name(a),
				       xtcp_state_name(b));
		}
}

static bool count_between(int a, int b, unsigned long long v)
{
	return tb[a][b] <= v && v <= ta[a][b];
}

TEST_F_TIMEOUT(tool, matrix, 300)
{
	char *line, *save = NULL, *tok, *s2;
	int cols[XTCP_MAX_STATES], ncols = 0, rows = 0, a, b, i;

	trans_before(_metadata);
	ASSERT_EQ(0, run_tool(NULL, "-m", NULL)) TH_LOG("%s", err);
	ASSERT_EQ(0, read_trans(ta, la));

	/* what the scene did, in a fresh namespace */
	EXPECT_EQ(3, tb[XTCP_LISTEN][XTCP_SYN_RECV]);
	EXPECT_EQ(3, tb[XTCP_SYN_RECV][XTCP_ESTABLISHED]);
	EXPECT_EQ(2, tb[XTCP_ESTABLISHED][XTCP_CLOSE_WAIT]);
	EXPECT_EQ(1, tb[XTCP_CLOSE_WAIT][XTCP_LAST_ACK]);
	EXPECT_EQ(1, tb[XTCP_LAST_ACK][XTCP_CLOSE]);
	EXPECT_EQ(1, tb[XTCP_FIN_WAIT2][XTCP_TIME_WAIT]);
	EXPECT_EQ(0, tb[XTCP_TIME_WAIT][XTCP_CLOSE]);

	line = strtok_r(out, "\n", &save);
	ASSERT_NE(NULL, line);
	s2 = NULL;
	tok = strtok_r(line, " ", &s2);
	ASSERT_STREQ("from\\to", tok);
	while ((tok = strtok_r(NULL, " ", &s2))) {
		ASSERT_LT(ncols, XTCP_MAX_STATES - 1);
		cols[ncols] = state_of(tok);
		ASSERT_LT(0, cols[ncols]) TH_LOG("column %s", tok);
		ncols++;
	}
	ASSERT_EQ(XTCP_MAX_STATES - 1, ncols);
	while ((line = strtok_r(NULL, "\n", &save))) {
		s2 = NULL;
		tok = strtok_r(line, " ", &s2);
		a = state_of(tok);
		if (a < 0)
			continue;	/* the legend, illegal edges */
		rows++;
		for (i = 0; i < ncols; i++) {
			unsigned long long v;
			char *end;

			tok = strtok_r(NULL, " ", &s2);
			ASSERT_NE(NULL, tok);
			b = cols[i];
			if (!xtcp_edge_legal(a, b) && !tb[a][b] && !ta[a][b]) {
				EXPECT_STREQ(".", tok)
					TH_LOG("%s -> %s", xtcp_state_name(a), xtcp_state_name(b));
				continue;
			}
			v = strtoull(tok, &end, 10);
			EXPECT_STREQ(xtcp_edge_legal(a, b) ? "" : "!", end)
				TH_LOG("%s -> %s: %s", xtcp_state_name(a), xtcp_state_name(b), tok);
			EXPECT_TRUE(count_between(a, b, v))
				TH_LOG("%s -> %s: %llu, file %llu then %llu", xtcp_state_name(a),
				       xtcp_state_name(b), v, tb[a][b], ta[a][b]);
		}
	}
	EXPECT_EQ(XTCP_MAX_STATES - 1, rows);
}

TEST_F_TIMEOUT(tool, diagram, 300)
{
	bool drawn[XTCP_MAX_STATES][XTCP_MAX_STATES] = { { false } };
	char *line, *save = NULL, from[32], to[32], path[64];
	unsigned long long v;
	int a, b, fd;

	trans_before(_metadata);
	ASSERT_EQ(0, run_tool(NULL, "--diagram", NULL)) TH_LOG("%s", err);
	ASSERT_EQ(0, read_trans(ta, la));

	/* dot accepts it, when graphviz is there to ask */
	if (!access("/usr/bin/dot", X_OK)) {
		snprintf(path, sizeof(path), "/tmp/xtcp_tool.%d.dot", getpid());
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		ASSERT_LE(0, fd);
		ASSERT_EQ(strlen(out), write(fd, out, strlen(out)));
		close(fd);
		EXPECT_EQ(0, xtcp_sh("dot -Tsvg %s >/dev/null", path))
			TH_LOG("dot rejects the diagram");
		unlink(path);
	}
	ASSERT_EQ(0, strncmp(out, "digraph ", 8));
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, " \"%31[^\"]\" -> \"%31[^\"]\" [label=\"%llu", from, to, &v) != 3)
			continue;
		a = state_of(from);
		b = state_of(to);
		ASSERT_LT(0, a) TH_LOG("%s", line);
		ASSERT_LT(0, b) TH_LOG("%s", line);
		EXPECT_FALSE(drawn[a][b]) TH_LOG("%s drawn twice", line);
		drawn[a][b] = true;
		EXPECT_TRUE(count_between(a, b, v))
			TH_LOG("%s: file %llu then %llu", line, tb[a][b], ta[a][b]);
		/* illegal ones red, legal ones dashed exactly when never taken */
		EXPECT_EQ(!xtcp_edge_legal(a, b), !!strstr(line, "color=red"))
			TH_LOG("%s", line);
		EXPECT_EQ(xtcp_edge_legal(a, b) && !v, !!strstr(line, "style=dashed"))
			TH_LOG("%s", line);
	}
	for (a = XTCP_ESTABLISHED; a < XTCP_MAX_STATES; a++)
		for (b = XTCP_ESTABLISHED; b < XTCP_MAX_STATES; b++)
			EXPECT_EQ(xtcp_edge_legal(a, b) || ta[a][b], drawn[a][b])
				TH_LOG("%s -> %s", xtcp_state_name(a), xtcp_state_name(b));
}

/* ---- leaks ---- */

TEST_F_TIMEOUT(tool, leaks, 300)
{
	char comm[64] = "", want[160], ino[32];
	struct inet_row r;
	FILE *f;

	f = fopen("/proc/self/comm", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(comm, sizeof(comm), f));
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	ASSERT_EQ(1, inet_proc_find(XTCP_PROC, true, sock_inode(self->hs), &r));
	ASSERT_STREQ("CLOSE_WAIT", r.state);

	ASSERT_EQ(1, run_tool(NULL, "--leaks", "0", NULL)) TH_LOG("%s", err);
	snprintf(ino, sizeof(ino), " %lu ", sock_inode(self->hs));
	snprintf(want, sizeof(want), "users:((\"%s\",pid=%d,fd=%d))", comm, getpid(), self->hs);
	EXPECT_NE(NULL, strstr(out, ino)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("want %s in:\n%s", want, out);
	EXPECT_EQ(1, count_lines("1 CLOSE_WAIT socket for 0 s or longer")) TH_LOG("%s", out);
	EXPECT_EQ(1, count_lines("127.0.0.1:")) TH_LOG("%s", out);

	ASSERT_EQ(0, run_tool(NULL, "--leaks", "100000", NULL)) TH_LOG("%s", err);
	EXPECT_STREQ("no CLOSE_WAIT socket for 100000 s or longer\n", out);

	/* the default, 60 s: this one is younger */
	ASSERT_EQ(0, run_tool(NULL, "--leaks", NULL)) TH_LOG("%s", err);
}

/* ---- IPv6 ---- */

/*
 * Rows of /proc/net/xtcp6 are listed too, an IPv6-API socket's endpoints
 * as [ADDR]:PORT: a dual-stack listener on [::] and the socket it accepts
 * from an IPv4 client, whose own row stays IPv4.
 */
TEST_F_TIMEOUT(tool, ipv6_rows, 300)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	socklen_t len = sizeof(sin6);
	struct sockaddr_in to;
	char want[96], port[8];
	int l, c, s, zero = 0;

	l = socket(xtcp_af(), SOCK_STREAM, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)));
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&sin6, sizeof(sin6)));
	ASSERT_EQ(0, listen(l, 4));
	ASSERT_EQ(0, getsockname(l, (struct sockaddr *)&sin6, &len));
	snprintf(port, sizeof(port), "%u", ntohs(sin6.sin6_port));

	ASSERT_EQ(0, run_tool(NULL, "-l", "-H", "--sport", port, NULL)) TH_LOG("%s", err);
	snprintf(want, sizeof(want), " [::]:%s ", port);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("want '%s' in:\n%s", want, out);
	EXPECT_EQ(1, count_lines("LISTEN ")) TH_LOG("%s", out);

	to = sin_of(INADDR_LOOPBACK, ntohs(sin6.sin6_port));
	c = stream_connect(true, &to);
	ASSERT_LE(0, c) TH_LOG("connect: %s", strerror(errno));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, run_tool(NULL, "-H", "--port", port, NULL)) TH_LOG("%s", err);
	EXPECT_EQ(2, count_lines("ESTABLISHED ")) TH_LOG("%s", out);
	snprintf(want, sizeof(want), " [::ffff:127.0.0.1]:%s ", port);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("want '%s' in:\n%s", want, out);
	snprintf(want, sizeof(want), " 127.0.0.1:%s ", port);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("want '%s' in:\n%s", want, out);
	close(s);
	close(c);
	close(l);
}

/* ---- watch, errors ---- */

TEST_F_TIMEOUT(tool, watch, 300)
{
	ASSERT_EQ(0, run_tool(NULL, "-s", "--watch", "0.2", "--count", "2", NULL))
		TH_LOG("%s", err);
	EXPECT_EQ(2, count_lines("Every 0.2s: xtcpstat, refresh ")) TH_LOG("%s", out);
	EXPECT_EQ(2, count_lines("Total ")) TH_LOG("%s", out);
	EXPECT_EQ(2, count_lines("CLOSE_WAIT  1")) TH_LOG("%s", out);
}

TEST_F_TIMEOUT(tool, bad_options, 300)
{
	static const char *const bad[][3] = {
		{ "--bogus" }, { "-x" }, { "--state", "nowhere" }, { "--sport", "65536" },
		{ "--src", "1.2.3" }, { "-s", "-c" }, { "--count", "0" }, { "stray" },
		{ "--netns", "xtcp-no-such-netns" }, { "--proc", "/nonexistent" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(2, run_tool(NULL, bad[i][0], bad[i][1], bad[i][2], NULL))
			TH_LOG("%s %s", bad[i][0], bad[i][1] ?: "");
		EXPECT_STREQ("", out) TH_LOG("%s", bad[i][0]);
		EXPECT_EQ(0, strncmp(err, "xtcpstat: ", 10)) TH_LOG("%s: %s", bad[i][0], err);
	}
	EXPECT_EQ(2, run_tool(NULL, "--proc", "/nonexistent", NULL));
	EXPECT_STREQ("xtcpstat: xtcp not loaded (no /nonexistent/net/xtcp)\n", err);
}

TEST_HARNESS_MAIN
