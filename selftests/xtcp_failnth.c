// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp selftests: allocation failures (Documentation/fault-injection).
 *
 *   fail-nth walks   for each system call of a connection's life (socket,
 *                    listen, connect, accept, send, recv, shutdown, close),
 *                    the 1st, 2nd, 3rd... allocation it makes fails, one
 *                    run each, until a run makes no allocation that could
 *                    fail: every run returns success or a sane errno, data
 *                    that send() reported sent arrives intact, a close or
 *                    shutdown whose FIN could not be allocated still ends
 *                    the connection (the peer reads EOF)
 *   failslab traffic skbs, xtcp sockets and TIME_WAIT entries fail at 2 %
 *                    in every context (softirq and timers too) while
 *                    connections move data and short ones open and close:
 *                    every byte that arrives is the right one
 *
 * After each test the namespace must drain to no socket, no TIME_WAIT
 * entry, no orphan and no page charged; the VM runner then fails the run
 * on any KASAN, lockdep or kmemleak report and checks that rmmod works.
 *
 * Needs CONFIG_FAULT_INJECTION (fail-nth) and CONFIG_FAILSLAB with the
 * "A" slub_debug flag on skbuff_head_cache, XTCP and xtcp_tw (the debug
 * lane's kernel and command line, scripts/vm.sh); elsewhere the tests
 * skip.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define FAIL_PAGE	"/sys/kernel/debug/fail_page_alloc/"
#define WALK_MAX	2000
#define PAYLOAD		(96 * 1024)

static int put(const char *path, const char *val)
{
	return write_file(path, val, strlen(val));
}

/*
 * The countdown is this thread's fail-nth file, opened once by the fixture:
 * opening it (a struct file, a path lookup) allocates and so would spend
 * the countdown itself, and how many allocations an open makes depends on
 * the dentry cache.  pread() and pwrite() on the open file allocate
 * nothing, so only the call under test uses the countdown up.
 */
static int nth_fd = -1;

static int nth_set(int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	if (pwrite(nth_fd, buf, len, 0) != len)
		return errno ? errno : EIO;
	return 0;
}

/* What is left of the countdown: 0 once the failure was injected. */
static int nth_left(void)
{
	char buf[16] = "";

	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		return -1;
	return atoi(buf);
}

/* An errno an allocation failure may honestly give. */
static bool sane_errno(int e)
{
	return e == ENOMEM || e == ENOBUFS || e == ENFILE || e == EMFILE ||
	       e == EAGAIN;
}

/* send_all(), going on after the errors a failed allocation gives. */
static int send_retry(int fd, const unsigned char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && (errno == ENOBUFS || errno == ENOMEM)) {
			usleep(1000);
			continue;
		}
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* The peer's read() gives EOF within @ms (after any data). */
static bool reads_eof(int fd, int ms)
{
	char buf[4096];
	long long end = now_ms() + ms;

	while (now_ms() < end) {
		ssize_t n;

		if (wait_revents(fd, POLLIN, 1000) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (!n)
			return true;
		if (n < 0 && errno != EAGAIN)
			return false;
	}
	return false;
}

static bool drained(void)
{
	int i;

	if (!xtcp_ns_drain(60000))
		return false;
	for (i = 0; i < 600; i++) {
		if (!xtcp_counter("MemoryPages") && !xtcp_counter("Orphans"))
			return true;
		usleep(100000);
	}
	return false;
}

/*
 * 6.1's harness runs a test's body even after its setup skipped: each
 * test starts by skipping itself unless @ready, and teardown checks it.
 */
FIXTURE(fi) {
	bool ready;
	const char *why;
};

FIXTURE_SETUP(fi)
{
	self->ready = false;
	self->why = "kernel without CONFIG_FAULT_INJECTION (no " FAIL_NTH ")";
	if (access(FAIL_NTH, W_OK))
		return;
	self->why = "kernel without CONFIG_FAILSLAB (no failslab in debugfs)";
	if (access(FAILSLAB "ignore-gfp-wait", W_OK))
		return;
	/* GFP_KERNEL allocations may fail too; failures are not logged */
	ASSERT_EQ(0, put(FAILSLAB "ignore-gfp-wait", "N"));
	ASSERT_EQ(0, put(FAILSLAB "verbose", "0"));
	ASSERT_EQ(0, put(FAILSLAB "cache-filter", "N"));
	if (!access(FAIL_PAGE "ignore-gfp-wait", W_OK)) {
		ASSERT_EQ(0, put(FAIL_PAGE "ignore-gfp-wait", "N"));
		ASSERT_EQ(0, put(FAIL_PAGE "ignore-gfp-highmem", "N"));
		ASSERT_EQ(0, put(FAIL_PAGE "verbose", "0"));
	}
	ASSERT_STREQ("", xtcp_fresh_netns());
	nth_fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, nth_fd);
	self->ready = true;
}

FIXTURE_TEARDOWN(fi)
{
	if (!self->ready)
		return;
	nth_set(0);
	close_fd(&nth_fd);
	put(FAILSLAB "probability", "0");
	put(FAILSLAB "cache-filter", "N");
	EXPECT_TRUE(drained());
}

/*
 * Walk the allocations of one call.  @prep sets up (no failure), @op is
 * the call under test (returns its result, errno kept), @check looks at
 * the outcome and cleans up.  A call may fail only when the allocation
 * made to fail was reached, and only with a sane errno.  The walk ends
 * with the first run whose countdown was not used up: that run had no
 * failure, it must succeed.
 */
struct walk {
	int cli, srv, lfd;
	struct sockaddr_in addr;
	unsigned char *buf;
};

typedef void (*walk_fn)(struct __test_metadata *_metadata, struct walk *w,
			long ret, int err);

static void walk(struct __test_metadata *_metadata,
		 void (*prep)(struct __test_metadata *, struct walk *),
		 long (*op)(struct walk *), walk_fn check)
{
	static unsigned char buf[PAYLOAD];
	struct walk w = { .cli = -1, .srv = -1, .lfd = -1, .buf = buf };
	int n, left = 0, failures = 0;

	for (n = 1; n <= WALK_MAX; n++) {
		long ret;
		int err;

		prep(_metadata, &w);
		ASSERT_EQ(0, nth_set(n));
		ret = op(&w);
		err = errno;
		left = nth_left();
		ASSERT_EQ(0, nth_set(0));
		if (ret < 0) {
			EXPECT_EQ(0, left)
				TH_LOG("run %d failed with no failure injected: %s",
				       n, strerror(err));
			EXPECT_TRUE(sane_errno(err))
				TH_LOG("run %d: errno %d %s", n, err, strerror(err));
		}
		check(_metadata, &w, ret, err);
		if (left)
			break;	/* the call made fewer than n allocations */
		failures++;
	}
	ASSERT_NE(0, left) TH_LOG("still failing after %d allocations", WALK_MAX);
	TH_LOG("%d allocation sites failed in turn", failures);
	EXPECT_TRUE(drained());
}

static void close_all(struct walk *w)
{
	close_fd(&w->cli);
	close_fd(&w->srv);
	close_fd(&w->lfd);
}

/* --- socket() --- */

static void prep_none(struct __test_metadata *_metadata, struct walk *w)
{
}

static long op_socket(struct walk *w)
{
	w->cli = socket(xtcp_af(), SOCK_STREAM, 0);
	return w->cli;
}

/* Success or a failure walk() has judged: nothing more to look at. */
static void check_nothing_more(struct __test_metadata *_metadata, struct walk *w,
			       long ret, int err)
{
	close_all(w);
}

TEST_F_TIMEOUT(fi, socket, 300)
{
	if (!self->ready)
		SKIP(return, "%s", self->why);
	/* the family number is read before: not under the countdown */
	ASSERT_LT(0, xtcp_af());
	walk(_metadata, prep_none, op_socket, check_nothing_more);
}

/* --- listen() --- */

static void prep_bound(struct __test_metadata *_metadata, struct walk *w)
{
	struct sockaddr_in sin = sin_of(INADDR_LOOPBACK, 0);

	w->lfd = stream_socket(true, 0);
	ASSERT_LE(0, w->lfd);
	ASSERT_EQ(0, bind(w->lfd, (struct sockaddr *)&sin, sizeof(sin)));
}

static long op_listen(struct walk *w)
{
	return listen(w->lfd, 8);
}

TEST_F_TIMEOUT(fi, listen, 300)
{
	if (!self->ready)
		SKIP(return, "%s", self->why);
	walk(_metadata, prep_bound, op_listen, check_nothing_more);
}

/* --- connect() --- */

static void prep_listener(struct __test_metadata *_metadata, struct walk *w)
{
	w->lfd = stream_listener(true, 8, &w->addr);
	ASSERT_LE(0, w->lfd);
	w->cli = stream_socket(true, 0);
	ASSERT_LE(0, w->cli);
}

static long op_connect(struct walk *w)
{
	return connect(w->cli, (struct sockaddr *)&w->addr, sizeof(w->addr));
}

/* A connection made under the countdown must work both ways. */
static void check_connected(struct __test_metadata *_metadata, struct walk *w,
			    long ret, int err)
{
	char c = 'x';

	if (!ret) {
		w->srv = accept(w->lfd, NULL, NULL);
		ASSERT_LE(0, w->srv);
		EXPECT_EQ(1, send(w->cli, &c, 1, 0));
		EXPECT_EQ(1, recv(w->srv, &c, 1, 0));
		EXPECT_EQ(1, send(w->srv, &c, 1, 0));
		EXPECT_EQ(1, recv(w->cli, &c, 1, 0));
	}
	close_all(w);
}

TEST_F_TIMEOUT(fi, connect, 600)
{
	if (!self->ready)
		SKIP(return, "%s", self->why);
	walk(_metadata, prep_listener, op_connect, check_connected);
}

/* --- accept() --- */

static void prep_pending(struct __test_metadata *_metadata, struct walk *w)
{
	w->lfd = stream_listener(true, 8, &w->addr);
	ASSERT_LE(0, w->lfd);
	w->cli = stream_connect(true, &w->addr);
	ASSERT_LE(0, w->cli);
}

static long op_accept(struct walk *w)
{
	w->srv = accept(w->lfd, NULL, NULL);
	return w->srv;
}

/* A failed accept leaves the connection queued for the next one. */
static void check_accepted(struct __test_metadata *_metadata, struct walk *w,
			   long ret, int err)
{
	char c = 'y';

	if (ret < 0) {
		w->srv = accept(w->lfd, NULL, NULL);
		ASSERT_LE(0, w->srv);
	}
	EXPECT_EQ(1, send(w->cli, &c, 1, 0));
	EXPECT_EQ(1, recv(w->srv, &c, 1, 0));
	close_all(w);
}

TEST_F_TIMEOUT(fi, accept, 600)
{
	if (!self->ready)
		SKIP(return, "%s", self->why);
	walk(_metadata, prep_pending, op_accept, check_accepted);
}

/* --- send() and recv() --- */

static void prep_pair(struct __test_metadata *_metadata, struct walk *w)
{
	ASSERT_EQ(0, stream_pair(true, &w->cli, &w->srv));
	pat_fill(w->buf, PAYLOAD, 7, 0);
}

static long op_send(struct walk *w)
{
	return send(w->cli, w->buf, PAYLOAD, 0);
}

/* Whatever send() reported sent, and the rest sent after, arrives intact. */
static void check_sent(struct __test_metadata *_metadata, struct walk *w,
		       long ret, int err)
{
	static unsigned char in[PAYLOAD];
	long done = ret > 0 ? ret : 0;

	if (done < PAYLOAD)
		ASSERT_EQ(0, send_all(w->cli, w->buf + done, PAYLOAD - done));
	ASSERT_EQ(0, recv_exact(w->srv, in, PAYLOAD, 60000));
	EXPECT_EQ(-1, pat_check(in, PAYLOAD, 7, 0));
	close_all(w);
}

TEST_F_TIMEOUT(fi, send, 900)
{
	if (!self->ready)
		SKIP(return, "%s", self->why);
	walk(_metadata, prep_pair, op_send, check_sent);
}

static void prep_pair_data(struct __test_metadata *_metadata, struct walk *w)
{
	prep_pair(_metadata, w);
	ASSERT_EQ(0, send_all(w->cli, w->buf, PAYLOAD));
	/* all of it is in the receive queue before the call under test */
	ASSERT_EQ(1, wait_revents(w->srv, POLLIN, 30000));
}

static unsigned char received[PAYLOAD];

static long op_recv(struct walk *w)
{
	return recv(w->srv, received, PAYLOAD / 2, 0);
}

/* What the call took and the rest after it: the stream, in order. */
static void check_received(struct __test_metadata *_metadata, struct walk *w,
			   long ret, int err)
{
	if (ret < 0)
		ret = 0;
	ASSERT_EQ(0, recv_exact(w->srv, received + ret, PAYLOAD - ret, 60000));
	EXPECT_EQ(-1, pat_check(received, PAYLOAD, 7, 0));
	close_all(w);
}

TEST_F_TIMEOUT(fi, recv, 900)
{
	if (!self->ready)
		SKIP(return, "%s", self->why);
	walk(_metadata, prep_pair_data, op_recv, check_received);
}

/* --- shutdown() and close(): the FIN --- */

static long op_shutdown(struct walk *w)
{
	return shutdown(w->cli, SHUT_WR);
}

/* However the FIN's allocation went, the peer reads EOF. */
static void check_peer_eof(struct __test_metadata *_metadata, struct walk *w,
			   long ret, int err)
{
	EXPECT_EQ(0, ret) TH_LOG("%s", strerror(err));
	EXPECT_TRUE(reads_eof(w->srv, 60000));
	close_all(w);
}

TEST_F_TIMEOUT(fi, shutdown, 900)
{
	if (!self->ready)
		SKIP(return, "%s", self->why);
	walk(_metadata, prep_pair, op_shutdown, check_peer_eof);
}

static long op_close(struct walk *w)
{
	long ret = close(w->cli);

	w->cli = -1;
	return ret;
}

TEST_F_TIMEOUT(fi, close, 900)
{
	if (!self->ready)
		SKIP(return, "%s", self->why);
	walk(_metadata, prep_pair, op_close, check_peer_eof);
}

/* --- failslab at a small rate, every context --- */

#define TRAFFIC_CONNS	8
#define SHORT_CONNS	200

TEST_F_TIMEOUT(fi, failslab_traffic, 1200)
{
	static unsigned char out[PAYLOAD], in[PAYLOAD];
	int cli[TRAFFIC_CONNS], srv[TRAFFIC_CONNS], i, made = 0, intact = 0;

	if (!self->ready)
		SKIP(return, "%s", self->why);
	if (read_int_file("/sys/kernel/slab/XTCP/failslab", 0) != 1)
		SKIP(return, "the XTCP slab cache has no failslab flag (slub_debug=A)");
	for (i = 0; i < TRAFFIC_CONNS; i++)
		ASSERT_EQ(0, stream_pair(true, &cli[i], &srv[i]));
	pat_fill(out, PAYLOAD, 3, 0);
	ASSERT_EQ(0, put(FAILSLAB "cache-filter", "Y"));
	ASSERT_EQ(0, put(FAILSLAB "times", "-1"));
	ASSERT_EQ(0, put(FAILSLAB "interval", "1"));
	ASSERT_EQ(0, put(FAILSLAB "probability", "2"));
	/* bulk both ways on the long connections */
	for (i = 0; i < TRAFFIC_CONNS; i++) {
		if (send_retry(cli[i], out, PAYLOAD))
			continue;
		if (recv_exact(srv[i], in, PAYLOAD, 120000))
			continue;
		if (pat_check(in, PAYLOAD, 3, 0) == -1)
			intact++;
	}
	/* short connections: whatever fails, fails cleanly */
	for (i = 0; i < SHORT_CONNS; i++) {
		int c, s;

		if (stream_pair(true, &c, &s)) {
			EXPECT_TRUE(sane_errno(errno) || errno == ETIMEDOUT ||
				    errno == ECONNREFUSED || errno == ECONNRESET)
				TH_LOG("short connection: %s", strerror(errno));
			continue;
		}
		made++;
		close(c);
		close(s);
	}
	ASSERT_EQ(0, put(FAILSLAB "probability", "0"));
	ASSERT_EQ(0, put(FAILSLAB "cache-filter", "N"));
	TH_LOG("%d of %d bulk transfers intact, %d of %d short connections made",
	       intact, TRAFFIC_CONNS, made, SHORT_CONNS);
	/* retransmission repairs every lost skb: all of it arrives */
	EXPECT_EQ(TRAFFIC_CONNS, intact);
	EXPECT_LT(0, made);
	for (i = 0; i < TRAFFIC_CONNS; i++) {
		close(cli[i]);
		close(srv[i]);
	}
}

TEST_HARNESS_MAIN
