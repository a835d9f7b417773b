// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp selftests: /proc/net/xtcp read while rows come and go, and at a
 * hundred thousand rows.
 *
 * churn: in a fresh namespace, long-lived "sentinel" connections stay up
 * while worker threads open, use and close a thousand short connections
 * (SYN_RCVD requests, the closing states and TIME_WAIT entries all come
 * and go), and the file is read over and over with small read() sizes.
 * Every reading must be well formed (the header, every row's fields, "sl"
 * counting 0, 1, 2...), show no row twice, and show every sentinel socket
 * exactly once.  churn_tw_sentinels does the same with TIME_WAIT entries
 * made beforehand, and kept for 2*MSL = 20 minutes, as sentinels too.
 *
 * rows_100k: a hundred thousand unbound sockets (CLOSED rows), the file
 * read with a 4 KiB buffer: every socket's inode exactly once.  The time
 * the reading took is printed, never judged.
 *
 * The churned connections and the hundred thousand scale with
 * $XTCP_LOAD_PERCENT (default 100), as in xtcp_load; the sentinels do not.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "module/core.h"
#include "xtcp_util.h"

#define XTCP_PROC	"/proc/net/xtcp"
#define HEADER		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode    state       state_ms cc cwnd ssthresh\n"
#define SENTINELS	50
#define CHURN		1000
#define WORKERS		4
#define ROWS		100000

/*
 * One row's identity within a reading.  @tr tells a TIME_WAIT entry (03)
 * from a socket: the socket of a connection entering TIME_WAIT is shown
 * with st 06 from the moment its state changes until it is CLOSED, for a
 * while beside its entry, and once its program closed it its inode is 0
 * too.
 */
struct row_key {
	unsigned int laddr, lport, raddr, rport, st, tr;
	unsigned long inode;
};

/**
 * struct reading - one reading of /proc/net/xtcp, parsed
 * @keys: every row's identity, in the order read
 * @n: rows
 * @cap: room in @keys
 * @tw_socks: sockets (not entries) shown in TIME_WAIT
 * @seen: the states shown (bit st)
 * @bad: the first malformed line (or header), if any
 */
struct reading {
	struct row_key *keys;
	long n;
	long cap;
	long tw_socks;
	unsigned int seen;
	char bad[256];
};

/* The whole file, with read() calls of @chunk bytes; NUL-terminated. */
static char *slurp(size_t chunk, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	int fd = open(XTCP_PROC, O_RDONLY);
	ssize_t r;

	if (fd < 0 || !buf) {
		free(buf);
		close_fd(&fd);
		return NULL;
	}
	for (;;) {
		if (cap - n < chunk + 1) {
			char *nb;

			cap = cap * 2 + chunk;
			nb = realloc(buf, cap);
			if (!nb)
				break;
			buf = nb;
		}
		r = read(fd, buf + n, chunk);
		if (r <= 0)
			break;
		n += r;
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* @s is @digits (min..max) characters of [0-9A-F] then @end; past it, or NULL. */
static const char *hex_field(const char *s, int min, int max, char end)
{
	int i = 0;

	while (isxdigit((unsigned char)s[i]) && !islower((unsigned char)s[i]))
		i++;
	if (i < min || i > max || s[i] != end)
		return NULL;
	return s + i + 1;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static bool all_hex(const char *s, size_t len)
{
	if (strlen(s) != len)
		return false;
	return hex_field(s, len, len, '\0');
}

/*
 * Check one row line (without its newline); fill @k.  The columns are
 * proc.c's: "sl:" local rem st tx:rx tr:when retrnsmt uid timeout inode
 * state state_ms cc cwnd ssthresh.
 */
static bool parse_row(char *line, long want_sl, struct row_key *k)
{
	char *tok[16], *save = NULL, *t;
	int n = 0;
	long sl;

	for (t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (n == 16)
			return false;
		tok[n++] = t;
	}
	if (n != 15)
		return false;
	/* congestion control: a name ("-" for requests, TIME_WAIT), segments */
	if ((strcmp(tok[12], "cubic") && strcmp(tok[12], "reno") &&
	     strcmp(tok[12], "-")) || !all_digits(tok[13]) ||
	    (strcmp(tok[14], "-1") && !all_digits(tok[14])))
		return false;
	/* sl: decimal, then ':', counting rows */
	if (tok[0][strlen(tok[0]) - 1] != ':')
		return false;
	tok[0][strlen(tok[0]) - 1] = '\0';
	if (!all_digits(tok[0]))
		return false;
	sl = atol(tok[0]);
	if (sl != want_sl)
		return false;
	if (!hex_field(tok[1], 8, 8, ':') || !all_hex(tok[1] + 9, 4) ||
	    !hex_field(tok[2], 8, 8, ':') || !all_hex(tok[2] + 9, 4) ||
	    !all_hex(tok[3], 2) ||
	    !hex_field(tok[4], 8, 8, ':') || !all_hex(tok[4] + 9, 8) ||
	    !hex_field(tok[5], 2, 2, ':') ||
	    !hex_field(tok[5] + 3, 8, 16, '\0') ||
	    !all_hex(tok[6], 8) || !all_digits(tok[7]) ||
	    !all_digits(tok[8]) || !all_digits(tok[9]) || !all_digits(tok[11]))
		return false;
	k->laddr = strtoul(tok[1], NULL, 16);
	k->lport = strtoul(tok[1] + 9, NULL, 16);
	k->raddr = strtoul(tok[2], NULL, 16);
	k->rport = strtoul(tok[2] + 9, NULL, 16);
	k->st = strtoul(tok[3], NULL, 16);
	k->tr = strtoul(tok[5], NULL, 16);
	k->inode = strtoul(tok[9], NULL, 10);
	if (k->st < XTCP_ESTABLISHED || k->st > XTCP_CLOSING)
		return false;
	return !strcmp(tok[10], xtcp_state_name(k->st));
}

/* Read and parse the file once, in @chunk-byte read() calls. */
static bool read_once(size_t chunk, struct reading *rd)
{
	size_t len;
	char *buf = slurp(chunk, &len), *line, *nl;

	rd->n = 0;
	rd->seen = 0;
	rd->tw_socks = 0;
	rd->bad[0] = '\0';
	if (!buf) {
		snprintf(rd->bad, sizeof(rd->bad), "read: %s", strerror(errno));
		return false;
	}
	if (strncmp(buf, HEADER, strlen(HEADER))) {
		snprintf(rd->bad, sizeof(rd->bad), "header: %.120s", buf);
		free(buf);
		return false;
	}
	for (line = buf + strlen(HEADER); *line; line = nl + 1) {
		char copy[256];

		nl = strchr(line, '\n');
		if (!nl) {
			snprintf(rd->bad, sizeof(rd->bad), "no newline: %.120s", line);
			break;
		}
		*nl = '\0';
		snprintf(copy, sizeof(copy), "%s", line);
		if (rd->n == rd->cap) {
			rd->cap = rd->cap ? rd->cap * 2 : 4096;
			rd->keys = realloc(rd->keys, rd->cap * sizeof(*rd->keys));
			if (!rd->keys)
				abort();
		}
		if (!parse_row(line, rd->n, &rd->keys[rd->n])) {
			snprintf(rd->bad, sizeof(rd->bad), "row %ld: %.200s", rd->n, copy);
			break;
		}
		rd->seen |= 1u << rd->keys[rd->n].st;
		if (rd->keys[rd->n].st == XTCP_TIME_WAIT && rd->keys[rd->n].tr != 3)
			rd->tw_socks++;
		rd->n++;
	}
	free(buf);
	return !rd->bad[0];
}

static int key_cmp(const void *a, const void *b)
{
	const struct row_key *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	if (x->laddr != y->laddr)
		return x->laddr < y->laddr ? -1 : 1;
	if (x->lport != y->lport)
		return x->lport < y->lport ? -1 : 1;
	if (x->raddr != y->raddr)
		return x->raddr < y->raddr ? -1 : 1;
	if (x->rport != y->rport)
		return x->rport < y->rport ? -1 : 1;
	if (x->st != y->st)
		return x->st < y->st ? -1 : 1;
	if (x->tr != y->tr)
		return x->tr < y->tr ? -1 : 1;
	return 0;
}

/* Sort the reading's rows; the first row shown twice, or NULL. */
static const struct row_key *first_dup(struct reading *rd)
{
	long i;

	qsort(rd->keys, rd->n, sizeof(*rd->keys), key_cmp);
	for (i = 1; i < rd->n; i++)
		if (!key_cmp(&rd->keys[i - 1], &rd->keys[i]))
			return &rd->keys[i];
	return NULL;
}

/* Rows of a sorted reading with inode @ino. */
static long count_inode(const struct reading *rd, unsigned long ino)
{
	long lo = 0, hi = rd->n, i, n = 0;

	while (lo < hi) {
		long mid = (lo + hi) / 2;

		if (rd->keys[mid].inode < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < rd->n && rd->keys[i].inode == ino; i++)
		n++;
	return n;
}

/* Churn workers: each on its own listener, connection after connection. */
struct churn {
	pthread_t tid;
	int id;
	long todo;
	long done;
	int err;		/* errno of the first failure */
	const char *what;	/* and what failed */
	bool finished;		/* __atomic: read by the reader */
};

static bool churn_stop;		/* __atomic: the workers stop early */

static int churn_one(struct churn *c, int lfd, const struct sockaddr_in *to,
		     long i)
{
	char buf[64];
	int cli, srv;

	memset(buf, 'a' + c->id, sizeof(buf));
	cli = stream_connect(true, to);
	if (cli < 0) {
		c->what = "connect";
		return -1;
	}
	srv = accept(lfd, NULL, NULL);
	if (srv < 0) {
		c->what = "accept";
		close_keep_errno(cli);
		return -1;
	}
	/* the workers and the reader share the CPUs: loopback may wait */
	if (send_all(cli, buf, 17) || recv_exact(srv, buf, 17, XTCP_WAIT_MS) ||
	    send_all(srv, buf, 29) || recv_exact(cli, buf, 29, XTCP_WAIT_MS)) {
		c->what = "exchange";
		close_keep_errno(cli);
		close_keep_errno(srv);
		return -1;
	}
	switch (i % 3) {
	case 0:		/* the client first: its end goes to TIME_WAIT */
		close(cli);
		close(srv);
		break;
	case 1:		/* the server first */
		close(srv);
		usleep(200);
		close(cli);
		break;
	default:	/* both FINs at once: CLOSING on both sides */
		shutdown(srv, SHUT_WR);
		shutdown(cli, SHUT_WR);
		close(cli);
		close(srv);
		break;
	}
	return 0;
}

static void *churn_main(void *arg)
{
	struct churn *c = arg;
	struct sockaddr_in addr;
	int lfd = stream_listener(true, 8, &addr);
	long i;

	if (lfd < 0) {
		c->err = errno;
		c->what = "listener";
		__atomic_store_n(&c->finished, true, __ATOMIC_RELEASE);
		return NULL;
	}
	for (i = 0; i < c->todo && !__atomic_load_n(&churn_stop, __ATOMIC_RELAXED);
	     i++) {
		if (churn_one(c, lfd, &addr, i)) {
			c->err = errno;
			break;
		}
		c->done++;
	}
	close(lfd);
	__atomic_store_n(&c->finished, true, __ATOMIC_RELEASE);
	return NULL;
}

static void wait_empty(struct __test_metadata *_metadata)
{
	long long end = now_ms() + XTCP_WAIT_MS;

	xtcp_sysctl_set("fin_timeout_ms", 1000);
	xtcp_sysctl_set("msl_ms", 1);
	while ((xtcp_counter("CurrSockets") || xtcp_counter("CurrTimeWait")) &&
	       now_ms() < end)
		usleep(20000);
	EXPECT_EQ(0, xtcp_counter("CurrSockets"));
	EXPECT_EQ(0, xtcp_counter("CurrTimeWait"));
}

FIXTURE(proc)
{
	int fds[2 * SENTINELS + 1];
	int nfds;
	int *many;
	long nmany;
	struct reading rd;
};

FIXTURE_SETUP(proc)
{
	self->nfds = 0;
	self->many = NULL;
	self->nmany = 0;
	memset(&self->rd, 0, sizeof(self->rd));
	signal(SIGPIPE, SIG_IGN);
	ASSERT_STREQ("", xtcp_fresh_netns());
}

FIXTURE_TEARDOWN(proc)
{
	long i;

	for (i = 0; i < self->nfds; i++)
		close(self->fds[i]);
	for (i = 0; i < self->nmany; i++)
		close(self->many[i]);
	free(self->many);
	free(self->rd.keys);
	wait_empty(_metadata);
}

/* TIME_WAIT rows of a reading from local port @lport to remote @rport. */
static long count_tw(const struct reading *rd, unsigned int lport,
		     unsigned int rport)
{
	long i, n = 0;

	for (i = 0; i < rd->n; i++)
		if (rd->keys[i].st == XTCP_TIME_WAIT && rd->keys[i].tr == 3 &&
		    rd->keys[i].lport == lport && rd->keys[i].rport == rport)
			n++;
	return n;
}

/*
 * TIME_WAIT sentinels: connections closed by the client first, before
 * the churn; their client ports go to @ports.
 */
static void make_tw_sentinels(struct __test_metadata *_metadata, int lfd,
			      const struct sockaddr_in *addr,
			      unsigned int *ports)
{
	long long end;
	int i;
	char c;

	for (i = 0; i < SENTINELS; i++) {
		int cli = stream_connect(true, addr), srv;
		struct sockaddr_in me;

		ASSERT_LE(0, cli) TH_LOG("connect: %s", strerror(errno));
		srv = accept(lfd, NULL, NULL);
		ASSERT_LE(0, srv) TH_LOG("accept: %s", strerror(errno));
		ASSERT_EQ(0, sock_name(cli, &me));
		ports[i] = ntohs(me.sin_port);
		close(cli);
		/* the server closes once the FIN is in: no simultaneous close */
		ASSERT_EQ(0, recv(srv, &c, 1, 0));
		close(srv);
	}
	end = now_ms() + XTCP_WAIT_MS;
	while (xtcp_counter("CurrTimeWait") < SENTINELS && now_ms() < end)
		usleep(10000);
	ASSERT_EQ(SENTINELS, xtcp_counter("CurrTimeWait"));
}

/*
 * Sentinel connections stay up while the workers churn and the file is
 * read over and over.  With @tw, 2*MSL is twenty minutes and SENTINELS
 * TIME_WAIT entries made beforehand must be shown exactly once too (the
 * churned entries then stay); without, TIME_WAIT lasts 2 * 500 ms, so
 * entries are reaped while the file is read, as others are made.
 */
static void churn_run(struct __test_metadata *_metadata,
		      FIXTURE_DATA(proc) * self, bool tw)
{
	static const size_t sizes[] = { 97, 512, 4096, 1, 333 };
	struct churn workers[WORKERS];
	unsigned long ino[2 * SENTINELS];
	unsigned int tw_ports[SENTINELS];
	long sentinels = SENTINELS, total = xtcp_scaled(CHURN);
	long readings = 0, rows = 0, maxrows = 0, done = 0, tw_socks = 0;
	unsigned int seen = 0;
	struct sockaddr_in addr;
	bool running;
	int lfd, i;

	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", tw ? 600000 : 500));
	lfd = stream_listener(true, SENTINELS + 1, &addr);
	ASSERT_LE(0, lfd);
	self->fds[self->nfds++] = lfd;
	for (i = 0; i < sentinels; i++) {
		int cli = stream_connect(true, &addr), srv;

		ASSERT_LE(0, cli) TH_LOG("sentinel connect: %s", strerror(errno));
		self->fds[self->nfds++] = cli;
		srv = accept(lfd, NULL, NULL);
		ASSERT_LE(0, srv) TH_LOG("sentinel accept: %s", strerror(errno));
		self->fds[self->nfds++] = srv;
		ino[2 * i] = sock_inode(cli);
		ino[2 * i + 1] = sock_inode(srv);
	}
	if (tw)
		make_tw_sentinels(_metadata, lfd, &addr, tw_ports);
	if (!_metadata->passed)
		return;

	__atomic_store_n(&churn_stop, false, __ATOMIC_RELAXED);
	for (i = 0; i < WORKERS; i++) {
		workers[i] = (struct churn){ .id = i, .todo = (total + i) / WORKERS };
		ASSERT_EQ(0, pthread_create(&workers[i].tid, NULL, churn_main,
					    &workers[i]));
	}
	/* Read while any worker runs, at least a few times. */
	do {
		size_t chunk = sizes[readings % ARRAY_SIZE(sizes)];
		const struct row_key *dup;
		bool ok;

		running = false;
		for (i = 0; i < WORKERS; i++)
			if (!__atomic_load_n(&workers[i].finished, __ATOMIC_ACQUIRE))
				running = true;
		ok = read_once(chunk, &self->rd);
		EXPECT_TRUE(ok) TH_LOG("reading %ld (reads of %zu): %s",
				       readings, chunk, self->rd.bad);
		dup = first_dup(&self->rd);
		EXPECT_EQ(NULL, dup)
			TH_LOG("reading %ld (by %zu): twice: %08X:%04X %08X:%04X %02X %02X %lu",
			       readings, chunk, dup->laddr, dup->lport,
			       dup->raddr, dup->rport, dup->st, dup->tr, dup->inode);
		for (i = 0; i < 2 * sentinels; i++) {
			long n = count_inode(&self->rd, ino[i]);

			EXPECT_EQ(1, n)
				TH_LOG("reading %ld (reads of %zu): inode %lu: %ld rows",
				       readings, chunk, ino[i], n);
		}
		for (i = 0; tw && i < SENTINELS; i++) {
			long n = count_tw(&self->rd, tw_ports[i],
					  ntohs(addr.sin_port));

			EXPECT_EQ(1, n)
				TH_LOG("reading %ld (reads of %zu): TIME_WAIT port %u: %ld rows",
				       readings, chunk, tw_ports[i], n);
		}
		rows += self->rd.n;
		if (self->rd.n > maxrows)
			maxrows = self->rd.n;
		readings++;
		seen |= self->rd.seen;
		tw_socks += self->rd.tw_socks;
		if (!_metadata->passed)	/* the first bad reading is enough */
			break;
	} while (running || readings < 5);
	__atomic_store_n(&churn_stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < WORKERS; i++) {
		pthread_join(workers[i].tid, NULL);
		EXPECT_EQ(0, workers[i].err)
			TH_LOG("worker %d: %s: %s", i, workers[i].what,
			       strerror(workers[i].err));
		done += workers[i].done;
	}
	if (_metadata->passed)	/* else the workers were stopped early */
		EXPECT_EQ(total, done);
	ksft_print_msg("%ld readings during %ld connections, %ld rows, at most %ld in one\n",
		       readings, done, rows, maxrows);
	ksft_print_msg("TimeWaitCreated %ld; sockets shown in TIME_WAIT %ld\n",
		       xtcp_counter("TimeWaitCreated"), tw_socks);
	ksft_print_msg("states shown:");
	for (i = XTCP_ESTABLISHED; i < XTCP_MAX_STATES; i++)
		if (seen & (1u << i))
			printf(" %s", xtcp_state_name(i));
	printf("\n");
	fflush(stdout);
	/* hundreds of entries are made: some must have been seen */
	EXPECT_TRUE(seen & (1u << XTCP_TIME_WAIT));
}

TEST_F_TIMEOUT(proc, churn, 900)
{
	churn_run(_metadata, self, false);
}

TEST_F_TIMEOUT(proc, churn_tw_sentinels, 900)
{
	churn_run(_metadata, self, true);
}

static int raise_nofile(rlim_t n)
{
	struct rlimit r = { n, n };

	return setrlimit(RLIMIT_NOFILE, &r);
}

static int ino_cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* A hundred thousand CLOSED rows, each inode exactly once. */
TEST_F_TIMEOUT(proc, rows_100k, 900)
{
	long want = xtcp_scaled(ROWS), i, missing = 0, twice = 0;
	unsigned long *ino;
	long long t0, t1;
	const struct row_key *dup;

	ASSERT_EQ(0, raise_nofile(want + 64)) TH_LOG("RLIMIT_NOFILE %ld: %s",
						     want + 64, strerror(errno));
	self->many = calloc(want, sizeof(*self->many));
	ino = calloc(want, sizeof(*ino));
	ASSERT_NE(NULL, self->many);
	ASSERT_NE(NULL, ino);
	t0 = now_ms();
	for (i = 0; i < want; i++) {
		int fd = socket(xtcp_af(), SOCK_STREAM, 0);

		ASSERT_LE(0, fd) TH_LOG("socket %ld: %s", i, strerror(errno));
		self->many[self->nmany++] = fd;
		ino[i] = sock_inode(fd);
	}
	ksft_print_msg("%ld sockets open in %lld ms\n", want, now_ms() - t0);
	t0 = now_ms();
	ASSERT_TRUE(read_once(4096, &self->rd)) TH_LOG("%s", self->rd.bad);
	t1 = now_ms();
	ksft_print_msg("%ld rows read in %lld ms (4 KiB reads)\n",
		       self->rd.n, t1 - t0);
	fflush(stdout);
	EXPECT_EQ(want, self->rd.n);
	dup = first_dup(&self->rd);
	EXPECT_EQ(NULL, dup) TH_LOG("twice: inode %lu", dup->inode);
	qsort(ino, want, sizeof(*ino), ino_cmp);
	for (i = 0; i < want; i++) {
		long n = count_inode(&self->rd, ino[i]);

		if (n == 0)
			missing++;
		else if (n > 1)
			twice++;
	}
	EXPECT_EQ(0, missing);
	EXPECT_EQ(0, twice);
	for (i = 0; i < self->rd.n; i++)
		if (self->rd.keys[i].st != XTCP_CLOSE)
			break;
	EXPECT_EQ(self->rd.n, i) TH_LOG("a row not CLOSED");
	free(ino);
}

TEST_HARNESS_MAIN
