// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp selftests: load and lifetime.  A hundred network namespaces holding
 * listening, established, half-closed and orphaned connections come and go;
 * ten thousand connections carry data at once; a hundred thousand short
 * connections open and close one after another, the server closing first,
 * and leave a hundred thousand TIME_WAIT entries that then expire
 * together.  After each, every xtcp socket must be gone: the XTCP slab
 * cache back to its starting count and the namespace's CurrSockets at zero
 * (and the xtcp_tw cache back too).  (The debug lane adds kmemleak's
 * verdict on everything else, requests and buffers included.)
 *
 * The counts scale with $XTCP_LOAD_PERCENT (default 100): the debug kernel
 * runs several times slower and its lane sets a smaller figure.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"

#define NETNS		100
#define CONCURRENT	10000
#define SHORT		100000

/*
 * Wait up to @ms for the XTCP cache to shrink to @want objects (or fewer:
 * sockets of an earlier test may still have been dying at the start) and
 * the namespace's CurrSockets to zero; the last slab count.
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

	/* Dies with the test, whatever assertion stops it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() == 1)
		_exit(1);
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
	long n = xtcp_scaled(NETNS), i, peak, after, dst0, dst;
	const char *dst_cache;
	long long end;
	pid_t *pids = calloc(n, sizeof(*pids));
	int p[2];

	/*
	 * Routes: each namespace's connections hold its loopback route.  The
	 * cache is ip_dst_cache on 6.1, named after struct rtable since 6.9.
	 */
	dst_cache = slab_objs("ip_dst_cache") >= 0 ? "ip_dst_cache" : "rtable";
	dst0 = slab_objs(dst_cache);
	ASSERT_LE(0, dst0) TH_LOG("neither ip_dst_cache nor rtable in /proc/slabinfo");

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
	/*
	 * Eleven sockets in each: a listener, 2 + 2 queued, 3 pairs.  The
	 * queued servers' ends are made by final ACKs the children's
	 * connect()s did not wait for: ksoftirqd may still hold some.
	 */
	end = now_ms() + XTCP_WAIT_MS;
	while ((peak = slab_objs("XTCP")) < 11 * n && now_ms() < end)
		usleep(100000);
	EXPECT_LE(11 * n, peak) TH_LOG("XTCP objects %ld -> %ld", self->slab0, peak);

	/* Every namespace dies with its connections in it. */
	for (i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	for (i = 0; i < n; i++)
		ASSERT_EQ(pids[i], waitpid(pids[i], NULL, 0));
	after = settle(self->slab0, 60000);
	EXPECT_GE(self->slab0, after) TH_LOG("XTCP objects %ld, peak %ld, now %ld",
					     self->slab0, peak, after);
	/*
	 * And the routes went with the namespaces: a socket that kept its
	 * route reference (sk_dst_cache) past its end leaves a route per
	 * namespace behind, unreferenced.
	 */
	dst = slab_settle(dst_cache, dst0 + n / 4, XTCP_WAIT_MS);
	EXPECT_GE(dst0 + n / 4, dst) TH_LOG("%s %ld -> %ld", dst_cache, dst0, dst);
	free(pids);
	close(p[0]);
	close(p[1]);
}

/* ---- ten thousand at once ---- */

TEST_F_TIMEOUT(load, ten_thousand_concurrent, 600)
{
	long n = xtcp_scaled(CONCURRENT), i, made = 0, acc = 0, peak, after;
	int *cli = calloc(n, sizeof(int)), *srv = calloc(n, sizeof(int));
	char *seen;
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
			if (!(wait_revents(l, POLLIN, XTCP_WAIT_MS) & POLLIN))
				break;
			srv[acc] = accept(l, NULL, NULL);
			ASSERT_LE(0, srv[acc]);
			acc++;
		}
		ASSERT_EQ(made, acc) TH_LOG("accepted %ld of %ld", acc, made);
	}
	TH_LOG("%ld connections in %lld ms", n, now_ms() - t0);

	/*
	 * Data both ways on every one: each client sends its number, the
	 * server end (accepted in whatever order the handshakes completed)
	 * answers with its complement; every number arrives exactly once.
	 */
	for (i = 0; i < n; i++) {
		long v = i;

		ASSERT_TRUE(wait_revents(cli[i], POLLOUT, XTCP_WAIT_MS) & POLLOUT);
		ASSERT_EQ(sizeof(v), send(cli[i], &v, sizeof(v), 0));
	}
	peak = slab_objs("XTCP");
	EXPECT_LE(2 * n + 1, peak);
	EXPECT_EQ(2 * n + 1, xtcp_counter("CurrSockets"));
	seen = calloc(n, 1);
	ASSERT_NE(NULL, seen);
	for (i = 0; i < n; i++) {
		long v = -1;

		ASSERT_EQ(sizeof(v), recv(srv[i], &v, sizeof(v), MSG_WAITALL));
		ASSERT_TRUE(v >= 0 && v < n && !seen[v]) TH_LOG("server %ld got %ld", i, v);
		seen[v] = 1;
		v = ~v;
		ASSERT_EQ(sizeof(v), send(srv[i], &v, sizeof(v), 0));
	}
	for (i = 0; i < n; i++) {
		long v = 0;

		ASSERT_EQ(sizeof(v), recv(cli[i], &v, sizeof(v), MSG_WAITALL));
		ASSERT_EQ(~i, v);
	}
	free(seen);
	for (i = 0; i < n; i++) {
		close(cli[i]);
		close(srv[i]);
	}
	close(l);
	after = settle(self->slab0, 120000);
	EXPECT_GE(self->slab0, after) TH_LOG("XTCP objects %ld, peak %ld, now %ld",
					     self->slab0, peak, after);
	EXPECT_EQ(0, xtcp_counter("CurrSockets"));
	TH_LOG("all closed after %lld ms", now_ms() - t0);
	free(cli);
	free(srv);
}

/* ---- a hundred thousand, one after another ---- */

/**
 * struct shorts - one worker's share of the short connections
 * @n: connections to make
 * @done: connections completed
 * @from: the worker's first client address (host order)
 * @what: the step that failed, or NULL
 * @err: its errno
 */
struct shorts {
	long n, done;
	in_addr_t from;
	const char *what;
	int err;
};

/*
 * One short connection on listener @l at @a from @from: connect, request,
 * reply, the server closes first (as a web server does), the client reads
 * the reply and EOF and closes.  NULL, or the step that failed (errno set).
 */
static const char *short_one(int l, const struct sockaddr_in *a,
			     const struct sockaddr_in *from)
{
	const char *what = NULL;
	int c = stream_socket(true, 0), s = -1, e;
	char buf[64];

	if (c < 0)
		return "socket";
	if (bind(c, (const struct sockaddr *)from, sizeof(*from))) {
		e = errno;
		close(c);
		errno = e;
		return "bind";
	}
	if (connect(c, (const struct sockaddr *)a, sizeof(*a))) {
		e = errno;
		close(c);
		errno = e;
		return "connect";
	}
	s = accept(l, NULL, NULL);
	if (s < 0)
		what = "accept";
	else if (send_all(c, "request", 7) || recv(s, buf, 7, MSG_WAITALL) != 7)
		what = "request";
	else if (send_all(s, "reply", 5))
		what = "reply";
	e = errno;
	close_fd(&s);
	if (!what && recv(c, buf, 5, MSG_WAITALL) != 5)
		what = "read reply";
	else if (!what && recv(c, buf, sizeof(buf), 0) != 0)
		what = "EOF";
	if (what && !e)
		e = errno;
	close(c);
	errno = e;
	return what;
}

/*
 * Client ports of a worker: connection k comes from address @from +
 * k / 50000, port 10000 + k % 50000 (workers have addresses of their
 * own), so no two connections share a four-tuple and every server-side
 * TIME_WAIT entry stays until the test ends it.
 */
#define SHORT_PORTS	50000

/* @sh->n short connections, with a listener of the worker's own. */
static void *short_worker(void *arg)
{
	struct shorts *sh = arg;
	struct sockaddr_in a;
	int l = stream_listener(true, 16, &a);

	if (l < 0) {
		sh->what = "listen";
		sh->err = errno;
		return NULL;
	}
	for (; sh->done < sh->n && !sh->what; sh->done++) {
		struct sockaddr_in from = sin_of(sh->from + sh->done / SHORT_PORTS,
						 10000 + sh->done % SHORT_PORTS);

		sh->what = short_one(l, &a, &from);
		sh->err = errno;
	}
	close(l);
	return NULL;
}

#define SHORT_WORKERS	2	/* the guest's CPUs */

/*
 * The server closes first, so each connection leaves a TIME_WAIT entry on
 * the server side: with a ten-minute MSL all n of them are still there at
 * the end.  Then the MSL drops to 1 ms and they all expire at once; the
 * reaper frees at most 256 a run, so it takes at least n / 256 runs.
 */
TEST_F_TIMEOUT(load, hundred_thousand_short, 900)
{
	struct shorts sh[SHORT_WORKERS] = {};
	pthread_t th[SHORT_WORKERS];
	long n = xtcp_scaled(SHORT), after, tw0, runs0, tw;
	long long t0 = now_ms();
	int i;

	/* entries of earlier tests go with their namespaces: wait for that */
	tw0 = slab_settle("xtcp_tw", 0, 30000);
	ASSERT_LE(0, tw0) TH_LOG("no xtcp_tw line in /proc/slabinfo");
	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", 600000));
	for (i = 0; i < SHORT_WORKERS; i++) {
		sh[i].n = n / SHORT_WORKERS + (i < n % SHORT_WORKERS);
		sh[i].from = INADDR_LOOPBACK + 2 + i * (sh[i].n / SHORT_PORTS + 1);
		ASSERT_EQ(0, pthread_create(&th[i], NULL, short_worker, &sh[i]));
	}
	for (i = 0; i < SHORT_WORKERS; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(NULL, sh[i].what)
			TH_LOG("worker %d, connection %ld: %s: %s", i, sh[i].done,
			       sh[i].what, strerror(sh[i].err));
	}
	TH_LOG("%ld connections in %lld ms", n, now_ms() - t0);
	EXPECT_EQ(n, xtcp_counter("PassiveOpens"));
	EXPECT_EQ(n, xtcp_counter("ActiveOpens"));
	after = settle(self->slab0, 60000);
	EXPECT_GE(self->slab0, after) TH_LOG("XTCP objects %ld, now %ld", self->slab0, after);
	EXPECT_EQ(0, xtcp_counter("CurrSockets"));

	/* every connection is in TIME_WAIT on the server side */
	EXPECT_EQ(n, xtcp_counter("TimeWaitCreated"));
	EXPECT_EQ(0, xtcp_counter("TimeWaitOverflow"));
	EXPECT_EQ(0, xtcp_counter("TimeWaitKilled"));
	EXPECT_EQ(0, xtcp_counter("TimeWaitReaped"));
	EXPECT_EQ(n, xtcp_counter("CurrTimeWait"));
	tw = slab_objs("xtcp_tw");
	EXPECT_LE(tw0 + n, tw) TH_LOG("xtcp_tw objects %ld -> %ld", tw0, tw);
	TH_LOG("%ld TIME_WAIT entries: %ld objects of %ld bytes (a socket: %ld)",
	       xtcp_counter("CurrTimeWait"), tw - tw0, xtcp_counter("TwObjectSize"),
	       xtcp_counter("SockObjectSize"));

	/* all of them expire at once */
	runs0 = xtcp_counter("TimeWaitReaperRuns");
	t0 = now_ms();
	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", 1));
	while (xtcp_counter("CurrTimeWait") > 0 && now_ms() < t0 + XTCP_WAIT_MS)
		usleep(20000);
	EXPECT_EQ(0, xtcp_counter("CurrTimeWait"));
	EXPECT_EQ(n, xtcp_counter("TimeWaitReaped"));
	EXPECT_LE(runs0 + (n + 255) / 256, xtcp_counter("TimeWaitReaperRuns"));
	TH_LOG("reaped in %lld ms, %ld reaper runs", now_ms() - t0,
	       xtcp_counter("TimeWaitReaperRuns") - runs0);
	tw = slab_settle("xtcp_tw", tw0, XTCP_WAIT_MS);
	EXPECT_GE(tw0, tw) TH_LOG("xtcp_tw objects %ld -> %ld", tw0, tw);
}

/* ---- churn beside live connections ---- */

#define CHURN		4000
#define CHURN_WORKERS	2
#define LIVE		2

/*
 * A live connection's one direction: the sender writes its pattern until
 * told to stop, then shuts down; the receiver checks every byte.
 */
struct live {
	int tx, rx;
	unsigned int id;
	bool stop;
	long sent, rcvd, bad;
	int err;
};

static void *live_tx(void *arg)
{
	struct live *lv = arg;
	unsigned char buf[4096];

	while (!__atomic_load_n(&lv->stop, __ATOMIC_RELAXED)) {
		ssize_t n;

		pat_fill(buf, sizeof(buf), lv->id, lv->sent);
		n = send(lv->tx, buf, sizeof(buf), MSG_NOSIGNAL);
		if (n < 0) {
			lv->err = errno;
			break;
		}
		lv->sent += n;
	}
	if (shutdown(lv->tx, SHUT_WR) && !lv->err)
		lv->err = errno;
	return NULL;
}

static void *live_rx(void *arg)
{
	struct live *lv = arg;
	unsigned char buf[4096];
	ssize_t n;

	while ((n = recv(lv->rx, buf, sizeof(buf), 0)) > 0) {
		if (lv->bad < 0 && pat_check(buf, n, lv->id, lv->rcvd) >= 0)
			lv->bad = lv->rcvd + pat_check(buf, n, lv->id, lv->rcvd);
		lv->rcvd += n;
	}
	if (n < 0 && !lv->err)
		lv->err = errno;
	return NULL;
}

struct churn {
	struct sockaddr_in to, refused;
	int lfd;
	long n, done;
	const char *what;
	int err;
};

/*
 * Connections made and closed one after another on one listener, each
 * fourth socket first refused by a port nobody listens on and then
 * connected again (hashed anew under another four-tuple); who closes
 * first alternates.
 */
static void *churn_worker(void *arg)
{
	struct churn *ch = arg;

	for (; ch->done < ch->n; ch->done++) {
		int c = stream_socket(true, 0), s;
		char b;

		if (c < 0) {
			ch->what = "socket";
			break;
		}
		if ((ch->done & 3) == 0 &&
		    (connect(c, (struct sockaddr *)&ch->refused, sizeof(ch->refused)) == 0 ||
		     errno != ECONNREFUSED)) {
			ch->what = "connect to a closed port";
			break;
		}
		if (connect(c, (struct sockaddr *)&ch->to, sizeof(ch->to))) {
			ch->what = "connect";
			break;
		}
		s = accept(ch->lfd, NULL, NULL);
		if (s < 0) {
			ch->what = "accept";
			close(c);
			break;
		}
		/* a byte each way: a segment that missed its socket resets it */
		if (send(s, "x", 1, MSG_NOSIGNAL) != 1 || recv(c, &b, 1, 0) != 1 ||
		    send(c, "y", 1, MSG_NOSIGNAL) != 1 || recv(s, &b, 1, 0) != 1) {
			ch->what = "exchange";
			close(s);
			close(c);
			break;
		}
		if (ch->done & 1) {
			close(s);
			close(c);
		} else {
			close(c);
			close(s);
		}
	}
	if (ch->what)
		ch->err = errno;
	return NULL;
}

/*
 * Sockets come and go by the thousand (connected, refused, connected
 * again elsewhere, closed) while long connections move data beside them:
 * every segment of the long ones must still find its socket, however the
 * lookup tables change under it (hash.c looks sockets up without a lock,
 * and their memory is reused at once).  A segment that missed would be
 * answered by a reset, or lost.
 */
TEST_F_TIMEOUT(load, churn_beside_live_connections, 600)
{
	struct live lv[2 * LIVE] = {};
	pthread_t tx[2 * LIVE], rx[2 * LIVE], cw[CHURN_WORKERS];
	struct churn ch[CHURN_WORKERS] = {};
	long n = xtcp_scaled(CHURN), resets0 = xtcp_counter("OutRsts"), refusals;
	long resent0 = xtcp_counter("RetransSegs"), resets, resent;
	struct sockaddr_in a, refused;
	int l, i, fds[2 * LIVE], dead;

	for (i = 0; i < LIVE; i++) {
		ASSERT_EQ(0, stream_pair(true, &fds[2 * i], &fds[2 * i + 1]));
		/* both directions of each */
		lv[2 * i] = (struct live){ .tx = fds[2 * i], .rx = fds[2 * i + 1],
					   .id = 2 * i, .bad = -1 };
		lv[2 * i + 1] = (struct live){ .tx = fds[2 * i + 1], .rx = fds[2 * i],
					       .id = 2 * i + 1, .bad = -1 };
	}
	l = stream_listener(true, 64, &a);
	ASSERT_LE(0, l);
	/* a port with nobody on it: bound, never listening */
	dead = stream_socket(true, 0);
	ASSERT_LE(0, dead);
	refused = sin_of(INADDR_LOOPBACK, 0);
	ASSERT_EQ(0, bind(dead, (struct sockaddr *)&refused, sizeof(refused)));
	ASSERT_EQ(0, sock_name(dead, &refused));

	for (i = 0; i < 2 * LIVE; i++) {
		ASSERT_EQ(0, pthread_create(&tx[i], NULL, live_tx, &lv[i]));
		ASSERT_EQ(0, pthread_create(&rx[i], NULL, live_rx, &lv[i]));
	}
	for (i = 0; i < CHURN_WORKERS; i++) {
		ch[i] = (struct churn){ .to = a, .refused = refused,
					.n = n / CHURN_WORKERS, .lfd = l };
		ASSERT_EQ(0, pthread_create(&cw[i], NULL, churn_worker, &ch[i]));
	}
	for (i = 0; i < CHURN_WORKERS; i++) {
		pthread_join(cw[i], NULL);
		EXPECT_EQ(NULL, ch[i].what)
			TH_LOG("churn %d, connection %ld: %s: %s", i, ch[i].done,
			       ch[i].what, strerror(ch[i].err));
	}
	for (i = 0; i < 2 * LIVE; i++)
		__atomic_store_n(&lv[i].stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < 2 * LIVE; i++) {
		pthread_join(tx[i], NULL);
		pthread_join(rx[i], NULL);
		EXPECT_EQ(0, lv[i].err) TH_LOG("live %d: %s", i, strerror(lv[i].err));
		EXPECT_EQ(-1, lv[i].bad) TH_LOG("live %d: wrong byte at %ld", i, lv[i].bad);
		EXPECT_EQ(lv[i].sent, lv[i].rcvd);
		EXPECT_LT(0, lv[i].rcvd);
	}
	/*
	 * Resets: one for each refused connect(), and more only for SYNs
	 * sent again (an RST that loopback's input backlog dropped under
	 * load); none for a segment of a live connection.
	 */
	refusals = (n / CHURN_WORKERS + 3) / 4 * CHURN_WORKERS;
	resets = xtcp_counter("OutRsts") - resets0;
	resent = xtcp_counter("RetransSegs") - resent0;
	EXPECT_LE(refusals, resets);
	EXPECT_GE(refusals + resent, resets)
		TH_LOG("%ld resets, %ld refusals, %ld segments sent again", resets,
		       refusals, resent);
	TH_LOG("%ld connections beside %d long ones; %ld bytes moved on those", n, LIVE,
	       lv[0].rcvd + lv[1].rcvd + lv[2].rcvd + lv[3].rcvd);
	for (i = 0; i < 2 * LIVE; i++)
		close(fds[i]);
	close(dead);
	close(l);
}

TEST_HARNESS_MAIN
