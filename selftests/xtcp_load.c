// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp selftests: load and lifetime.  A hundred network namespaces holding
 * listening, established, half-closed and orphaned connections come and go;
 * ten thousand connections carry data at once; a hundred thousand short
 * connections open and close one after another.  After each, every xtcp
 * socket must be gone: the XTCP slab cache back to its starting count and
 * the namespace's CurrSockets at zero.  (The debug lane adds kmemleak's
 * verdict on everything else, requests and buffers included.)
 *
 * The counts scale with $XTCP_LOAD_PERCENT (default 100): the debug kernel
 * runs several times slower and its lane sets a smaller figure.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"

#define NETNS		100
#define CONCURRENT	10000
#define SHORT		100000

static long scaled(long n)
{
	const char *pct = getenv("XTCP_LOAD_PERCENT");
	long v = pct ? n * atol(pct) / 100 : n;

	return v > 0 ? v : 1;
}

/* Objects in use in slab cache @name (/proc/slabinfo's active_objs), or -1. */
static long slab_objs(const char *name)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512], got[64];
	long active = -1, v;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", got, &v) == 2 && !strcmp(got, name))
			active = v;
	fclose(f);
	return active;
}

/*
 * Wait up to @ms for the XTCP cache to shrink to @want objects and the
 * namespace's CurrSockets to zero; the last slab count.
 */
static long settle(long want, int ms)
{
	long long end = now_ms() + ms;
	long n;

	for (;;) {
		n = slab_objs("XTCP");
		if (n <= want && xtcp_counter("CurrSockets") == 0)
			return n;
		if (now_ms() > end)
			return n;
		usleep(100000);
	}
}

static int raise_nofile(rlim_t n)
{
	struct rlimit r = { n, n };

	return setrlimit(RLIMIT_NOFILE, &r);
}

FIXTURE(load)
{
	long slab0;
};

FIXTURE_SETUP(load)
{
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, xtcp_lo_up());
	/* Sockets of earlier tests still dying go away first. */
	self->slab0 = settle(0, 5000);
	ASSERT_LE(0, self->slab0) TH_LOG("no XTCP line in /proc/slabinfo");
}

FIXTURE_TEARDOWN(load)
{
}

/* ---- a hundred namespaces ---- */

/*
 * In a new namespace: a listener with two connections not yet accepted, an
 * established pair with unread data both ways, a half-closed pair
 * (FIN_WAIT_2 / CLOSE_WAIT), an orphan in FIN_WAIT_2 whose peer is in
 * CLOSE_WAIT, and a fault rule.  Reports 'y' on @wfd, then waits to be
 * killed.
 */
static void netns_child(int wfd)
{
	struct sockaddr_in a;
	int l, c, s, c2, s2, o, os, x;
	char ok = 'n';

	if (unshare(CLONE_NEWNET) || xtcp_lo_up())
		goto out;
	l = stream_listener(true, 4, &a);
	if (l < 0 || stream_connect(true, &a) < 0 || stream_connect(true, &a) < 0)
		goto out;
	if (stream_pair(true, &c, &s) || send_all(c, "ping", 4) || send_all(s, "pong", 4))
		goto out;
	if (stream_pair(true, &c2, &s2) || shutdown(c2, SHUT_WR))
		goto out;
	if (stream_pair(true, &o, &os) || shutdown(o, SHUT_WR))
		goto out;
	close(o);
	x = open("/proc/net/xtcp_fault", O_WRONLY);
	if (x < 0 || write(x, "add dir=in port=9 action=drop", 29) != 29)
		goto out;
	close(x);
	ok = 'y';
out:
	if (write(wfd, &ok, 1) != 1)
		_exit(1);
	pause();
	_exit(0);
}

TEST_F_TIMEOUT(load, hundred_namespaces, 600)
{
	long n = scaled(NETNS), i, peak, after;
	pid_t *pids = calloc(n, sizeof(*pids));
	int p[2];

	ASSERT_NE(NULL, pids);
	ASSERT_EQ(0, pipe(p));
	for (i = 0; i < n; i++) {
		char c = 0;

		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0)
			netns_child(p[1]);
		ASSERT_EQ(1, read(p[0], &c, 1));
		ASSERT_EQ('y', c) TH_LOG("namespace %ld failed to set up", i);
	}
	/* Eleven sockets in each: a listener, 2 + 2 queued, 3 pairs. */
	peak = slab_objs("XTCP");
	EXPECT_LE(self->slab0 + 11 * n, peak) TH_LOG("XTCP objects %ld -> %ld", self->slab0, peak);

	/* Every namespace dies with its connections in it. */
	for (i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	for (i = 0; i < n; i++)
		ASSERT_EQ(pids[i], waitpid(pids[i], NULL, 0));
	after = settle(self->slab0, 60000);
	EXPECT_EQ(self->slab0, after) TH_LOG("XTCP objects %ld, peak %ld, now %ld",
					     self->slab0, peak, after);
	free(pids);
	close(p[0]);
	close(p[1]);
}

/* ---- ten thousand at once ---- */

TEST_F_TIMEOUT(load, ten_thousand_concurrent, 900)
{
	long n = scaled(CONCURRENT), i, made = 0, acc = 0, peak, after;
	int *cli = calloc(n, sizeof(int)), *srv = calloc(n, sizeof(int));
	struct sockaddr_in a;
	long long t0 = now_ms();
	int l;

	ASSERT_NE(NULL, cli);
	ASSERT_NE(NULL, srv);
	ASSERT_EQ(0, raise_nofile(2 * n + 64));
	l = stream_listener(true, 512, &a);
	ASSERT_LE(0, l);

	/* Connect in batches, accepting as the backlog fills. */
	while (acc < n) {
		for (i = 0; i < 64 && made < n; i++, made++) {
			cli[made] = stream_socket(true, SOCK_NONBLOCK);
			ASSERT_LE(0, cli[made]);
			if (connect(cli[made], (struct sockaddr *)&a, sizeof(a)))
				ASSERT_EQ(EINPROGRESS, errno);
		}
		while (acc < made) {
			if (!(wait_revents(l, POLLIN, 10000) & POLLIN))
				break;
			srv[acc] = accept(l, NULL, NULL);
			ASSERT_LE(0, srv[acc]);
			acc++;
		}
		ASSERT_EQ(made, acc) TH_LOG("accepted %ld of %ld", acc, made);
	}
	TH_LOG("%ld connections in %lld ms", n, now_ms() - t0);

	/* Data both ways on every one, each tagged with its number. */
	for (i = 0; i < n; i++) {
		long v = i;

		ASSERT_TRUE(wait_revents(cli[i], POLLOUT, 10000) & POLLOUT);
		ASSERT_EQ(sizeof(v), send(cli[i], &v, sizeof(v), 0));
		v = ~i;
		ASSERT_EQ(sizeof(v), send(srv[i], &v, sizeof(v), 0));
	}
	peak = slab_objs("XTCP");
	EXPECT_LE(self->slab0 + 2 * n + 1, peak);
	EXPECT_EQ(2 * n + 1, xtcp_counter("CurrSockets"));
	for (i = 0; i < n; i++) {
		long v = 0;

		ASSERT_EQ(sizeof(v), recv(srv[i], &v, sizeof(v), MSG_WAITALL));
		ASSERT_EQ(i, v);
		ASSERT_EQ(sizeof(v), recv(cli[i], &v, sizeof(v), MSG_WAITALL));
		ASSERT_EQ(~i, v);
	}
	for (i = 0; i < n; i++) {
		close(cli[i]);
		close(srv[i]);
	}
	close(l);
	after = settle(self->slab0, 120000);
	EXPECT_EQ(self->slab0, after) TH_LOG("XTCP objects %ld, peak %ld, now %ld",
					     self->slab0, peak, after);
	EXPECT_EQ(0, xtcp_counter("CurrSockets"));
	TH_LOG("all closed after %lld ms", now_ms() - t0);
	free(cli);
	free(srv);
}

/* ---- a hundred thousand, one after another ---- */

TEST_F_TIMEOUT(load, hundred_thousand_short, 1200)
{
	long n = scaled(SHORT), i, after;
	struct sockaddr_in a;
	long long t0 = now_ms();
	char buf[64];
	int l;

	l = stream_listener(true, 16, &a);
	ASSERT_LE(0, l);
	for (i = 0; i < n; i++) {
		int c = stream_connect(true, &a), s;

		ASSERT_LE(0, c) TH_LOG("connection %ld: connect: %s", i, strerror(errno));
		s = accept(l, NULL, NULL);
		ASSERT_LE(0, s) TH_LOG("connection %ld: accept: %s", i, strerror(errno));
		ASSERT_EQ(0, send_all(c, "request", 7));
		ASSERT_EQ(7, recv(s, buf, 7, MSG_WAITALL));
		ASSERT_EQ(0, send_all(s, "reply", 5));
		/* The server closes first, as a web server does. */
		close(s);
		ASSERT_EQ(5, recv(c, buf, 5, MSG_WAITALL))
			TH_LOG("connection %ld: %s", i, strerror(errno));
		ASSERT_EQ(0, recv(c, buf, sizeof(buf), 0))
			TH_LOG("connection %ld: no EOF: %s", i, strerror(errno));
		close(c);
	}
	close(l);
	TH_LOG("%ld connections in %lld ms", n, now_ms() - t0);
	EXPECT_EQ(n, xtcp_counter("PassiveOpens"));
	EXPECT_EQ(n, xtcp_counter("ActiveOpens"));
	after = settle(self->slab0, 60000);
	EXPECT_EQ(self->slab0, after);
	EXPECT_EQ(0, xtcp_counter("CurrSockets"));
}

TEST_HARNESS_MAIN
