// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp selftests: what a hostile user can make xtcp hold, beside TCP.
 *
 *   budget        net.xtcp.mem and net.xtcp.max_orphans exist in the
 *                 initial namespace only, sized from RAM as tcp_mem and
 *                 tcp_max_orphans are; a namespace of its own may lower its
 *                 buffer defaults but not raise them
 *   hog           an unprivileged user (uid 65534) opens connection pairs
 *                 and writes on both ends without ever reading: xtcp's
 *                 memory stays within its budget and within 1.5 times what
 *                 TCP holds under the same budget, and all of it comes back
 *   userns hog    the same user in a user and network namespace of its own,
 *                 where it is root: it cannot raise xtcp's buffers, and its
 *                 connections still fit the machine's budget
 *   orphans       beyond max_orphans a close() resets instead of leaving
 *                 another orphan (AbortOnMemory); orphan_retries bounds how
 *                 long one waits for a peer that never answers
 *   TIME_WAIT     under memory pressure the TIME_WAIT entries go, oldest
 *                 first, before any live connection is refused
 *   memcg         a memory cgroup is charged for both ends of a connection
 *                 its task made and accepted, as for TCP's, and uncharged
 *                 when they go
 *
 * The machine-wide files are opened while the test is still in the initial
 * namespace; the test itself then runs in a network namespace of its own.
 * Both protocols get the same small budget (net.xtcp.mem = net.ipv4.tcp_mem),
 * restored at teardown.  Memory is read as pages charged, for both from
 * /proc/net/protocols; that nothing is left afterwards, from the exact
 * MemoryPages of /proc/net/xtcp_stat.
 *
 * A hog runs until nothing has moved for HOG_STILL passes and HOG_STILL_MS:
 * no pass over its sockets wrote a byte, the budget's figure stood still.
 * Both, as on a loaded guest loopback delivery can stall in ksoftirqd (the
 * hog alone would see twenty idle passes) and the hog itself can be off
 * the CPU (one pass alone would see two seconds go by).  Time only ends a
 * hog; nothing is judged by it.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"

#define HOG_PAIRS	64
#define HOG_CHUNK	65536
#define HOG_PASSES_MAX	20000
#define HOG_STILL	20
#define HOG_STILL_MS	2000
/* the budget both protocols get: pages (4 KiB): 4, 8 and 12 MiB */
#define BUDGET		"1000 2000 3000"
#define BUDGET_HARD	3000
/* what a socket may hold beyond the hard limit: about one 64 KiB skb */
#define SLACK_PAGES	20
#define NOBODY		65534

/* A machine-wide sysctl, opened in the initial namespace. */
struct knob {
	int fd;
	char saved[128];
};

static int knob_open(struct knob *k, const char *path)
{
	ssize_t n;

	k->fd = open(path, O_RDWR | O_CLOEXEC);
	if (k->fd < 0)
		return -1;
	n = pread(k->fd, k->saved, sizeof(k->saved) - 1, 0);
	if (n <= 0) {
		close(k->fd);
		k->fd = -1;
		return -1;
	}
	k->saved[n] = '\0';
	return 0;
}

static int knob_set(struct knob *k, const char *val)
{
	ssize_t n = pwrite(k->fd, val, strlen(val), 0);

	return n == (ssize_t)strlen(val) ? 0 : errno;
}

static void knob_restore(struct knob *k)
{
	if (k->fd >= 0) {
		knob_set(k, k->saved);
		close(k->fd);
		k->fd = -1;
	}
}

/*
 * Pages a protocol has charged, as /proc/net/protocols shows them for
 * every protocol alike: the shared figure the limits are checked against
 * (each CPU may hold up to 1 MiB more in reserve); -1 if not found.
 */
static long proto_pages(bool xtcp)
{
	const char *want = xtcp ? "XTCP" : "TCP";
	char line[512], name[32];
	long size, socks, pages = -1, v;
	FILE *f = fopen("/proc/net/protocols", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %ld %ld %ld", name, &size, &socks, &v) == 4 &&
		    !strcmp(name, want)) {
			pages = v;
			break;
		}
	fclose(f);
	return pages;
}

struct hog_result {
	long peak;		/* most pages charged while it ran */
	long pairs;		/* connections it made */
	long bytes;		/* bytes written, both ends together */
	int err;		/* errno of what failed, 0 */
	int ns_bad;		/* own namespace: NS_* of what went wrong */
	bool tcp_raised;	/* own namespace: TCP took 256 MiB buffers */
	bool pressure;		/* saw xtcp under memory pressure */
};

/*
 * @pairs connections over loopback, both ends writing without reading,
 * non-blocking, until nothing moves; the largest figure of the protocol's
 * charged pages seen on the way.
 */
static void hog(bool xtcp, int pairs, struct hog_result *r)
{
	static char buf[HOG_CHUNK];
	int fds[2 * HOG_PAIRS], n = 0, still = 0, i, passes;
	long long still_since = now_ms();
	struct sockaddr_in addr;
	long last = -2;
	int lfd;

	memset(r, 0, sizeof(*r));
	memset(buf, 'h', sizeof(buf));
	lfd = stream_listener(xtcp, pairs, &addr);
	if (lfd < 0) {
		r->err = errno;
		return;
	}
	for (i = 0; i < pairs; i++) {
		int c = stream_connect(xtcp, &addr), s;

		if (c < 0) {
			r->err = errno;
			break;
		}
		s = accept(lfd, NULL, NULL);
		if (s < 0) {
			r->err = errno;
			close(c);
			break;
		}
		fcntl(c, F_SETFL, O_NONBLOCK);
		fcntl(s, F_SETFL, O_NONBLOCK);
		fds[n++] = c;
		fds[n++] = s;
		r->pairs++;
	}
	for (passes = 0; passes < HOG_PASSES_MAX &&
	     (still < HOG_STILL || now_ms() - still_since < HOG_STILL_MS); passes++) {
		bool moved = false;
		long pages;

		for (i = 0; i < n; i++) {
			ssize_t w = send(fds[i], buf, sizeof(buf), MSG_DONTWAIT);

			if (w > 0) {
				r->bytes += w;
				moved = true;
			}
		}
		pages = proto_pages(xtcp);
		if (pages > r->peak)
			r->peak = pages;
		if (xtcp && xtcp_counter("MemoryPressure") == 1)
			r->pressure = true;
		if (moved || pages != last) {
			still = 0;
			still_since = now_ms();
		} else {
			still++;
		}
		last = pages;
		if (!moved)
			usleep(10000);
	}
	/* the sockets go with the process: unread data, so resets */
}

/* Run @fn in a child process; its hog_result comes back through a pipe. */
static int in_child(void (*fn)(void *, struct hog_result *), void *arg,
		    struct hog_result *r)
{
	int p[2], status;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		struct hog_result res = { .err = EINVAL };

		close(p[0]);
		fn(arg, &res);
		if (write(p[1], &res, sizeof(res)) != sizeof(res))
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	memset(r, 0, sizeof(*r));
	if (read(p[0], r, sizeof(*r)) != sizeof(*r))
		r->err = EPIPE;
	close(p[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -1;
	return 0;
}

static int become_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return errno;
	/* a changed uid leaves /proc/self root's: take it back (uid_map) */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return errno;
	return 0;
}

struct hog_arg {
	bool xtcp;
	bool userns;
};

/* Write a whole file at once (for uid_map & co); 0 or errno. */
static int put(const char *path, const char *val)
{
	return write_file(path, val, strlen(val));
}

/*
 * What the hog in its own user namespace finds: EINVAL for a larger
 * xtcp buffer, acceptance for a smaller one, no net.xtcp.mem.  Packed
 * into hog_result.err as a bit mask of what went wrong.
 */
#define NS_RAISE_ACCEPTED	0x01
#define NS_LOWER_REFUSED	0x02
#define NS_MEM_VISIBLE		0x04
#define NS_SETUP_FAILED		0x08

static void hog_child(void *p, struct hog_result *r)
{
	const struct hog_arg *a = p;
	bool tcp_raised = false;
	int bad = 0;

	r->err = become_nobody();
	if (r->err)
		return;
	if (a->userns) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) ||
		    put("/proc/self/setgroups", "deny") ||
		    put("/proc/self/uid_map", "0 65534 1") ||
		    put("/proc/self/gid_map", "0 65534 1") || xtcp_lo_up()) {
			r->err = errno ? : EIO;
			r->ns_bad = NS_SETUP_FAILED;
			return;
		}
		/* root of its own namespaces now */
		if (xtcp_sysctl_set("rmem_default", 256 << 20) != EINVAL ||
		    xtcp_sysctl_set("wmem_default", 256 << 20) != EINVAL ||
		    xtcp_sysctl_set("rmem_max", 256 << 20) != EINVAL ||
		    xtcp_sysctl_set("wmem_max", 256 << 20) != EINVAL)
			bad |= NS_RAISE_ACCEPTED;
		if (xtcp_sysctl_set("rmem_default", 64 << 10) ||
		    xtcp_sysctl_set("wmem_default", 8 << 10) ||
		    xtcp_sysctl_set("rmem_max", 1 << 20) ||
		    xtcp_sysctl_set("wmem_max", 1 << 20) ||
		    xtcp_sysctl_set("rmem_default", 128 << 10) ||
		    xtcp_sysctl_set("wmem_default", 16 << 10) ||
		    xtcp_sysctl_set("rmem_max", 6 << 20) ||
		    xtcp_sysctl_set("wmem_max", 4 << 20))
			bad |= NS_LOWER_REFUSED;
		if (access("/proc/sys/net/xtcp/mem", F_OK) == 0)
			bad |= NS_MEM_VISIBLE;
		/* TCP lets this namespace's root ask for 256 MiB buffers */
		tcp_raised = !put("/proc/sys/net/ipv4/tcp_rmem", "4096 268435456 268435456") &&
			     !put("/proc/sys/net/ipv4/tcp_wmem", "4096 268435456 268435456");
	}
	hog(a->xtcp, HOG_PAIRS, r);
	r->ns_bad = bad;
	r->tcp_raised = tcp_raised;
}

FIXTURE(mem) {
	struct knob xtcp_mem, tcp_mem, max_orphans;
};

FIXTURE_SETUP(mem)
{
	ASSERT_EQ(0, knob_open(&self->xtcp_mem, "/proc/sys/net/xtcp/mem"))
		TH_LOG("net.xtcp.mem in the initial namespace: %s", strerror(errno));
	ASSERT_EQ(0, knob_open(&self->tcp_mem, "/proc/sys/net/ipv4/tcp_mem"));
	ASSERT_EQ(0, knob_open(&self->max_orphans, "/proc/sys/net/xtcp/max_orphans"));
	ASSERT_STREQ("", xtcp_fresh_netns());
}

FIXTURE_TEARDOWN(mem)
{
	EXPECT_TRUE(xtcp_ns_drain(XTCP_WAIT_MS));
	knob_restore(&self->xtcp_mem);
	knob_restore(&self->tcp_mem);
	knob_restore(&self->max_orphans);
}

/* The budget's defaults follow the RAM as TCP's do; only the initial
 * namespace has it.
 */
TEST_F(mem, budget_defaults)
{
	long x[3], t[3];
	int i, nx, nt;

	nx = sscanf(self->xtcp_mem.saved, "%ld %ld %ld", &x[0], &x[1], &x[2]);
	nt = sscanf(self->tcp_mem.saved, "%ld %ld %ld", &t[0], &t[1], &t[2]);
	ASSERT_EQ(3, nx);
	ASSERT_EQ(3, nt);
	EXPECT_LT(0, x[0]);
	EXPECT_LT(x[0], x[1]);
	EXPECT_LT(x[1], x[2]);
	for (i = 0; i < 3; i++) {
		/* TCP sized its own at boot, xtcp at load: free RAM differs */
		EXPECT_LE(t[i] * 8 / 10, x[i]) TH_LOG("mem[%d] %ld, tcp %ld", i, x[i], t[i]);
		EXPECT_GE(t[i] * 12 / 10, x[i]) TH_LOG("mem[%d] %ld, tcp %ld", i, x[i], t[i]);
	}
	EXPECT_LT(0, atol(self->max_orphans.saved));
	/* this test's own namespace sees neither */
	EXPECT_EQ(-1, access("/proc/sys/net/xtcp/mem", F_OK));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, access("/proc/sys/net/xtcp/max_orphans", F_OK));
	/* but the per-namespace ones */
	EXPECT_EQ(0, access("/proc/sys/net/xtcp/orphan_retries", F_OK));
	EXPECT_EQ(0, xtcp_counter("MemoryPages"));
}

static void run_hogs(struct __test_metadata *_metadata, FIXTURE_DATA(mem) * self,
		     bool userns)
{
	struct hog_arg ax = { .xtcp = true, .userns = userns };
	struct hog_arg at = { .xtcp = false, .userns = userns };
	struct hog_result rx, rt;
	long long end;
	long left;

	ASSERT_EQ(0, knob_set(&self->xtcp_mem, BUDGET));
	ASSERT_EQ(0, knob_set(&self->tcp_mem, BUDGET));

	ASSERT_EQ(0, in_child(hog_child, &at, &rt));
	ASSERT_EQ(0, rt.err) TH_LOG("TCP hog: %s", strerror(rt.err));
	ASSERT_EQ(0, in_child(hog_child, &ax, &rx));
	ASSERT_EQ(0, rx.err) TH_LOG("xtcp hog: %s", strerror(rx.err));
	/* in its own namespace: no raise, lowering allowed, no budget file */
	EXPECT_EQ(0, rx.ns_bad);
	if (userns)
		TH_LOG("TCP let the namespace's root raise tcp_rmem/tcp_wmem to 256 MiB: %s",
		       rt.tcp_raised ? "yes" : "no");
	TH_LOG("%s, budget %s: TCP peak %ld pages (%ld pairs, %ld MiB written)",
	       userns ? "own user namespace" : "uid 65534", BUDGET,
	       rt.peak, rt.pairs, rt.bytes >> 20);
	TH_LOG("xtcp peak %ld pages (%ld pairs, %ld MiB written)",
	       rx.peak, rx.pairs, rx.bytes >> 20);
	EXPECT_EQ(HOG_PAIRS, rx.pairs);
	EXPECT_EQ(HOG_PAIRS, rt.pairs);
	/* the hog did push the budget: pressure was entered */
	EXPECT_LT(2000, rx.peak);
	EXPECT_TRUE(rx.pressure);
	/* and it stayed within the budget and beside TCP */
	EXPECT_GE(BUDGET_HARD + 2 * HOG_PAIRS * SLACK_PAGES, rx.peak);
	EXPECT_GE(rt.peak * 3 / 2, rx.peak);
	/* everything comes back once the sockets are gone */
	end = now_ms() + XTCP_WAIT_MS;
	for (;;) {
		left = xtcp_counter("MemoryPages");
		if ((!left && !xtcp_counter("Sockets")) || now_ms() > end)
			break;
		usleep(100000);
	}
	EXPECT_EQ(0, left);
	EXPECT_EQ(0, xtcp_counter("Sockets"));
}

TEST_F_TIMEOUT(mem, hog_unprivileged, 300)
{
	run_hogs(_metadata, self, false);
}

TEST_F_TIMEOUT(mem, hog_in_user_namespace, 300)
{
	int fd;

	/* Debian's switch for unprivileged user namespaces, where it exists */
	fd = open("/proc/sys/kernel/unprivileged_userns_clone", O_RDONLY);
	if (fd >= 0) {
		char c = '1';

		if (read(fd, &c, 1) == 1 && c == '0')
			SKIP(return, "unprivileged user namespaces are switched off");
		close(fd);
	}
	run_hogs(_metadata, self, true);
}

/* Connections whose every segment is dropped; closed, they stay orphans. */
static int silent_pairs(bool xtcp, int n, int *cli, int *srv, int *port)
{
	struct sockaddr_in addr;
	char cmd[96];
	int lfd = stream_listener(xtcp, n, &addr), i;

	if (lfd < 0)
		return -1;
	for (i = 0; i < n; i++) {
		cli[i] = stream_connect(xtcp, &addr);
		if (cli[i] < 0)
			return -1;
		srv[i] = accept(lfd, NULL, NULL);
		if (srv[i] < 0)
			return -1;
	}
	close(lfd);
	*port = ntohs(addr.sin_port);
	snprintf(cmd, sizeof(cmd), "add dir=out port=%d action=drop\n", *port);
	return xtcp_fault_cmd(cmd) ? -1 : 0;
}

#define ORPHANS_MAX	8
#define ORPHAN_CONNS	32

/*
 * Beyond max_orphans a close resets: of 32 connections closed towards a
 * peer that never answers, 8 stay orphans and 24 are reset.
 */
TEST_F_TIMEOUT(mem, orphans_bounded, 120)
{
	int cli[ORPHAN_CONNS], srv[ORPHAN_CONNS], port, i;
	long abort0 = xtcp_counter("AbortOnMemory"), rst0 = xtcp_counter("OutRsts");
	char val[16];

	snprintf(val, sizeof(val), "%d\n", ORPHANS_MAX);
	ASSERT_EQ(0, knob_set(&self->max_orphans, val));
	ASSERT_EQ(0, silent_pairs(true, ORPHAN_CONNS, cli, srv, &port));
	ASSERT_EQ(0, xtcp_counter("Orphans"));
	for (i = 0; i < ORPHAN_CONNS; i++)
		close(cli[i]);
	EXPECT_EQ(ORPHANS_MAX, xtcp_counter("Orphans"));
	EXPECT_EQ(ORPHAN_CONNS - ORPHANS_MAX,
		  xtcp_counter("AbortOnMemory") - abort0);
	/* the resets were sent (and dropped by the rule) */
	EXPECT_EQ(ORPHAN_CONNS - ORPHANS_MAX, xtcp_counter("OutRsts") - rst0);
	ASSERT_EQ(0, xtcp_fault_cmd("clear\n"));
	for (i = 0; i < ORPHAN_CONNS; i++)
		close(srv[i]);
}

/*
 * orphan_retries: an orphan whose FIN is never answered ends after that
 * many timeouts (1 here: the FIN is sent twice), not after retries2.
 */
TEST_F_TIMEOUT(mem, orphan_retries, 120)
{
	long to0 = xtcp_counter("Timeouts"), rtx0 = xtcp_counter("RetransSegs");
	long tlp0 = xtcp_counter("TlpProbes"), tlp;
	struct xtcp_rule_count rc;
	int cli[1], srv[1], port;
	long long end;

	ASSERT_EQ(0, xtcp_sysctl_set("orphan_retries", 1));
	ASSERT_EQ(0, xtcp_sysctl_set("retries2", 15));
	ASSERT_EQ(0, silent_pairs(true, 1, cli, srv, &port));
	close(cli[0]);
	ASSERT_EQ(1, xtcp_counter("Orphans"));
	/* two RTOs, a second or so */
	end = now_ms() + XTCP_WAIT_MS;
	while (xtcp_counter("Orphans") && now_ms() < end)
		usleep(100000);
	EXPECT_EQ(0, xtcp_counter("Orphans"));
	EXPECT_EQ(1, xtcp_counter("Timeouts") - to0);
	/*
	 * The FIN once, again after one timeout, and the reset; and before
	 * the timeout, with SACK, at most one tail loss probe (the FIN too).
	 */
	tlp = xtcp_counter("TlpProbes") - tlp0;
	EXPECT_GE(1, tlp);
	EXPECT_EQ(1 + tlp, xtcp_counter("RetransSegs") - rtx0);
	ASSERT_EQ(0, xtcp_fault_rule(xtcp_fault_last_id(), &rc));
	EXPECT_EQ(3 + tlp, rc.dropped);
	ASSERT_EQ(0, xtcp_fault_cmd("clear\n"));
	close(srv[0]);
}

/*
 * Under memory pressure TIME_WAIT gives way: 40 entries are reclaimed
 * oldest first (TimeWaitReclaimed) while a live connection still moves
 * data.
 */
TEST_F_TIMEOUT(mem, time_wait_reclaimed_under_pressure, 120)
{
	long rec0 = xtcp_counter("TimeWaitReclaimed");
	static char buf[1 << 20];
	long sent = 0, got = 0, tw;
	int a, b, i, c, s;
	long long end;

	/* none of them would expire on its own while the test runs */
	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", 600000));
	for (i = 0; i < 40; i++) {
		ASSERT_EQ(0, stream_pair(true, &c, &s));
		close(c);	/* active close: c's end goes to TIME_WAIT */
		close(s);
	}
	/*
	 * Until no socket is left to make an entry (a loaded guest may still
	 * hold FINs): 40, and one more for each pair whose FINs crossed (both
	 * ends), all there before the count is taken.
	 */
	end = now_ms() + XTCP_WAIT_MS;
	while ((xtcp_counter("CurrTimeWait") < 40 || xtcp_counter("CurrSockets")) &&
	       now_ms() < end)
		usleep(50000);
	tw = xtcp_counter("CurrTimeWait");
	ASSERT_EQ(0, xtcp_counter("CurrSockets"));
	ASSERT_LE(40, tw);
	ASSERT_GE(80, tw);
	ASSERT_EQ(0, stream_pair(true, &a, &b));
	/*
	 * Pressure from the first pages on, no hard limit in reach: what
	 * the live connection queues (the charges reach the global figure
	 * in per-CPU batches of up to 1 MiB) puts xtcp under pressure.
	 */
	ASSERT_EQ(0, knob_set(&self->xtcp_mem, "1 2 100000000"));
	fcntl(a, F_SETFL, O_NONBLOCK);
	end = now_ms() + XTCP_WAIT_MS;
	while (xtcp_counter("MemoryPressure") != 1 && now_ms() < end) {
		ssize_t w = send(a, buf, sizeof(buf), 0);

		if (w > 0)
			sent += w;
		else
			usleep(50000);
	}
	ASSERT_EQ(1, xtcp_counter("MemoryPressure"));
	end = now_ms() + XTCP_WAIT_MS;
	while (xtcp_counter("CurrTimeWait") && now_ms() < end)
		usleep(50000);
	EXPECT_EQ(0, xtcp_counter("CurrTimeWait"));
	EXPECT_EQ(tw, xtcp_counter("TimeWaitReclaimed") - rec0);
	/* the live connection is still there and delivers every byte */
	knob_restore(&self->xtcp_mem);
	while (got < sent) {
		size_t want = sent - got < (long)sizeof(buf) ? sent - got : sizeof(buf);

		ASSERT_EQ(0, recv_exact(b, buf, want, XTCP_WAIT_MS));
		got += want;
	}
	close(a);
	close(b);
}

/*
 * Buffer autotuning.  @total bytes from @from to @to: a child writes, this
 * process reads.  0, or -errno.
 */
static int bulk(int from, int to, size_t total)
{
	static char buf[1 << 16];
	struct timeval tv = { .tv_sec = 60 };
	size_t got = 0;
	pid_t pid;
	int st;

	if (setsockopt(to, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		size_t sent = 0;

		memset(buf, 'b', sizeof(buf));
		while (sent < total) {
			size_t n = total - sent < sizeof(buf) ? total - sent : sizeof(buf);
			ssize_t w = send(from, buf, n, MSG_NOSIGNAL);

			if (w <= 0)
				_exit(1);
			sent += w;
		}
		_exit(0);
	}
	while (got < total) {
		ssize_t r = recv(to, buf, sizeof(buf), 0);

		if (r <= 0)
			break;
		got += r;
	}
	if (waitpid(pid, &st, 0) != pid)
		return -ECHILD;
	if (got != total)
		return -EIO;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -EPIPE;
}

#define AUTOTUNE_CHUNK	(8 << 20)
#define AUTOTUNE_ROUNDS	40

/*
 * Move AUTOTUNE_CHUNK at a time until the receiver's buffer moved off
 * @from (the growth waits for a round trip in which the reader took more
 * than before; nothing here is timed).  Returns the rounds it took, or 0
 * if it never grew, or -errno.
 */
static int bulk_until_rcvbuf_grows(int cli, int srv, int from)
{
	int round, err;

	for (round = 1; round <= AUTOTUNE_ROUNDS; round++) {
		err = bulk(cli, srv, AUTOTUNE_CHUNK);
		if (err)
			return err;
		if (get_int(srv, SOL_SOCKET, SO_RCVBUF) != from)
			return round;
	}
	return 0;
}

/*
 * A connection starts with rmem_default and a send buffer for ten
 * segments in flight twice over; a reader that keeps up grows the
 * receive buffer (dynamic right-sizing), within rmem_max and wmem_max.
 * TCP beside it, for the log.
 */
TEST_F_TIMEOUT(mem, buffers_grow_with_the_flow, 300)
{
	int k;

	for (k = 0; k < 2; k++) {
		bool xtcp = k;
		int cli, srv, rcv0, snd0, rounds, rcv1, snd1;
		long rmax = xtcp ? xtcp_sysctl_get("rmem_max") : 6 << 20;
		long wmax = xtcp ? xtcp_sysctl_get("wmem_max") : 4 << 20;

		ASSERT_EQ(0, stream_pair(xtcp, &cli, &srv));
		rcv0 = get_int(srv, SOL_SOCKET, SO_RCVBUF);
		snd0 = get_int(cli, SOL_SOCKET, SO_SNDBUF);
		rounds = bulk_until_rcvbuf_grows(cli, srv, rcv0);
		rcv1 = get_int(srv, SOL_SOCKET, SO_RCVBUF);
		snd1 = get_int(cli, SOL_SOCKET, SO_SNDBUF);
		TH_LOG("%s: SO_RCVBUF %d -> %d after %d rounds of %d MiB, SO_SNDBUF %d -> %d",
		       xtcp ? "xtcp" : "TCP", rcv0, rcv1, rounds,
		       AUTOTUNE_CHUNK >> 20, snd0, snd1);
		if (xtcp) {
			EXPECT_EQ(6 << 20, rmax);
			EXPECT_EQ(4 << 20, wmax);
			EXPECT_EQ(128 << 10, rcv0);
			/* expanded at the handshake beyond wmem_default */
			EXPECT_LT(16 << 10, snd0);
			EXPECT_LT(0, rounds);
			EXPECT_LT(rcv0, rcv1);
			EXPECT_GE(rmax, rcv1);
			EXPECT_LE(snd0, snd1);
			EXPECT_GE(wmax, snd1);
		}
		close(cli);
		close(srv);
	}
}

/*
 * rmem_max and wmem_max are ceilings autotuning reaches and never
 * passes; SO_RCVBUF and SO_SNDBUF switch it off for their socket (the
 * listener's lock passes to the accepted socket).
 */
TEST_F_TIMEOUT(mem, autotuning_bounded_and_locked, 300)
{
	int cli, srv, lfd, round;
	struct sockaddr_in addr;

	ASSERT_EQ(0, xtcp_sysctl_set("rmem_max", 256 << 10));
	ASSERT_EQ(0, xtcp_sysctl_set("wmem_max", 192 << 10));

	/* free to grow: up to the ceilings, exactly */
	ASSERT_EQ(0, stream_pair(true, &cli, &srv));
	/* loopback's ten 64 KiB segments want more than 192 KiB at once */
	EXPECT_EQ(192 << 10, get_int(cli, SOL_SOCKET, SO_SNDBUF));
	EXPECT_LT(0, bulk_until_rcvbuf_grows(cli, srv, 128 << 10));
	EXPECT_EQ(256 << 10, get_int(srv, SOL_SOCKET, SO_RCVBUF));
	ASSERT_EQ(0, bulk(cli, srv, AUTOTUNE_CHUNK));
	EXPECT_EQ(256 << 10, get_int(srv, SOL_SOCKET, SO_RCVBUF));
	EXPECT_EQ(192 << 10, get_int(cli, SOL_SOCKET, SO_SNDBUF));
	close(cli);
	close(srv);

	/* fixed by their owners: the kernel's doubled value, unchanged */
	lfd = stream_listener(true, 1, &addr);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, set_int(lfd, SOL_SOCKET, SO_RCVBUF, 48 << 10));
	cli = stream_socket(true, 0);
	ASSERT_LE(0, cli);
	ASSERT_EQ(0, set_int(cli, SOL_SOCKET, SO_SNDBUF, 40 << 10));
	ASSERT_EQ(0, connect(cli, (struct sockaddr *)&addr, sizeof(addr)));
	srv = accept(lfd, NULL, NULL);
	ASSERT_LE(0, srv);
	close(lfd);
	for (round = 0; round < 4; round++)
		ASSERT_EQ(0, bulk(cli, srv, AUTOTUNE_CHUNK));
	EXPECT_EQ(96 << 10, get_int(srv, SOL_SOCKET, SO_RCVBUF));
	EXPECT_EQ(80 << 10, get_int(cli, SOL_SOCKET, SO_SNDBUF));
	close(cli);
	close(srv);
}

static void pair_wscales(struct __test_metadata *_metadata, int want)
{
	struct tcp_info_segs ic, is;
	int cli, srv;

	ASSERT_EQ(0, stream_pair(true, &cli, &srv));
	ASSERT_EQ(0, tcp_info_segs(cli, &ic));
	ASSERT_EQ(0, tcp_info_segs(srv, &is));
	EXPECT_EQ(want, (int)ic.ti.tcpi_rcv_wscale);
	EXPECT_EQ(want, (int)is.ti.tcpi_rcv_wscale);
	/* what each offered is what the other uses */
	EXPECT_EQ(want, (int)ic.ti.tcpi_snd_wscale);
	EXPECT_EQ(want, (int)is.ti.tcpi_snd_wscale);
	close(cli);
	close(srv);
}

/*
 * The window scale each side offers is the least that lets the window
 * field say the largest buffer autotuning may reach (RFC 7323 2.2):
 * 6 MiB needs 7, as TCP's default; a lower rmem_max needs less.
 */
TEST_F(mem, window_scale_follows_rmem_max)
{
	pair_wscales(_metadata, 7);
	ASSERT_EQ(0, xtcp_sysctl_set("rmem_default", 64 << 10));
	ASSERT_EQ(0, xtcp_sysctl_set("rmem_max", 1000000));
	pair_wscales(_metadata, 4);
	ASSERT_EQ(0, xtcp_sysctl_set("rmem_default", 65535));
	ASSERT_EQ(0, xtcp_sysctl_set("rmem_max", 65535));
	pair_wscales(_metadata, 0);
}

#define CGROUP_ROOT	"/sys/fs/cgroup"
/*
 * memory.current moves in per-CPU batches of 64 pages charged ahead:
 * at most that much a CPU, two CPUs, either way, is not a verdict.
 */
#define MEMCG_SLACK	(2 * 2 * 64 * 4096L)

/* memory.current of a cgroup directory, bytes; -1 if unreadable */
static long memcg_current(const char *dir)
{
	char path[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.current", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Move this process into cgroup @dir (the root: CGROUP_ROOT); 0 or errno. */
static int memcg_join(const char *dir)
{
	char path[256], pid[24];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	return put(path, pid);
}

/*
 * A connection made and accepted by a task in a memory cgroup; the client
 * writes without the server reading until nothing moves.  Every byte
 * written sits in the client's write queue or in the accepted socket's
 * receive queue, and the cgroup must have been charged for all of it:
 * @grew gets how much memory.current grew, @queued the bytes written;
 * @back how far below @grew it fell once both ends were closed.
 */
static void memcg_fill(struct __test_metadata *_metadata, bool xtcp,
		       const char *cg, long *grew, long *queued, long *back)
{
	static char buf[HOG_CHUNK];
	long long still_since, end;
	struct sockaddr_in addr;
	long before, after, now;
	int lfd, c, s, still = 0;

	*queued = 0;
	lfd = stream_listener(xtcp, 1, &addr);
	ASSERT_LE(0, lfd);
	c = stream_connect(xtcp, &addr);
	ASSERT_LE(0, c);
	s = accept(lfd, NULL, NULL);
	ASSERT_LE(0, s);
	close(lfd);
	before = memcg_current(cg);
	ASSERT_LT(0, before);
	/* still as a hog is (see the top): the data reaches the accepted end */
	still_since = now_ms();
	while (still < HOG_STILL || now_ms() - still_since < HOG_STILL_MS) {
		ssize_t w = send(c, buf, sizeof(buf), MSG_DONTWAIT);

		if (w > 0) {
			*queued += w;
			still = 0;
			still_since = now_ms();
		} else {
			ASSERT_EQ(EAGAIN, errno);
			still++;
			usleep(10000);
		}
	}
	after = memcg_current(cg);
	*grew = after - before;
	close(c);
	close(s);
	/* the unread data resets both ends: their memory is returned */
	end = now_ms() + XTCP_WAIT_MS;
	for (;;) {
		now = memcg_current(cg);
		if (after - now >= *queued - MEMCG_SLACK || now_ms() > end)
			break;
		usleep(10000);
	}
	*back = after - now;
}

/*
 * Memory cgroups hold xtcp's socket memory as they hold TCP's, the
 * accepted end's included: a socket made by the handshake in softirq is
 * brought into the acceptor's cgroup by accept(), with what it already
 * holds, and gives it all back when it goes.
 */
TEST_F_TIMEOUT(mem, memcg_charged_for_both_ends, 120)
{
	long grew, queued, back;
	char cg[128];
	int k;

	if (access(CGROUP_ROOT "/cgroup.subtree_control", W_OK))
		SKIP(return, "no cgroup v2 hierarchy at " CGROUP_ROOT);
	ASSERT_EQ(0, put(CGROUP_ROOT "/cgroup.subtree_control", "+memory"));
	snprintf(cg, sizeof(cg), CGROUP_ROOT "/xtcp-mem-%d", getpid());
	ASSERT_EQ(0, mkdir(cg, 0755));
	ASSERT_EQ(0, memcg_join(cg));
	for (k = 0; k < 2; k++) {
		bool xtcp = k;

		memcg_fill(_metadata, xtcp, cg, &grew, &queued, &back);
		TH_LOG("%s: %ld bytes queued, the cgroup charged %ld more, %ld of them returned",
		       xtcp ? "xtcp" : "TCP", queued, grew, back);
		EXPECT_LT(MEMCG_SLACK, queued);
		EXPECT_LE(queued - MEMCG_SLACK, grew);
		EXPECT_LE(queued - MEMCG_SLACK, back);
	}
	EXPECT_EQ(0, memcg_join(CGROUP_ROOT));
	EXPECT_EQ(0, rmdir(cg));
}

TEST_HARNESS_MAIN
