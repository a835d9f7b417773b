// SPDX-License-Identifier: GPL-2.0
/*
 * Congestion control by name, beside TCP's: net.xtcp.congestion_control
 * and TCP_CONGESTION take the algorithms cc.c lists ("cubic", the default,
 * and "reno"), a listener's choice passes to its connections and the
 * namespace's default to the rest, as net.ipv4.tcp_congestion_control
 * and TCP's option do (the same checks run on TCP).  Then the algorithms
 * at work, seen through the xtcp_cwnd tracepoint: one segment of a bulk
 * transfer dropped, the fast retransmit leaves ssthresh at 0.7 of the
 * window under CUBIC (RFC 9438) and at half the flight under NewReno (RFC
 * 5681).  Each test runs in a network namespace of its own.
 */
#include <arpa/inet.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"

/* The namespace's default algorithm for @xtcp (else TCP's) sysctl. */
static const char *cc_sysctl(bool xtcp)
{
	return xtcp ? "/proc/sys/net/xtcp/congestion_control" :
		      "/proc/sys/net/ipv4/tcp_congestion_control";
}

/* The first line of @path into @buf, newline dropped; "" if unreadable. */
static const char *read_line(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (f) {
		if (!fgets(buf, n, f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

/* TCP_CONGESTION of @fd, or "(error)". */
static const char *cc_of(int fd, char *buf, socklen_t n)
{
	if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, buf, &n))
		snprintf(buf, n, "(error)");
	return buf;
}

static int cc_set(int fd, const char *name)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, strlen(name));
}

FIXTURE(ns) {
	char buf[64];
};

FIXTURE_VARIANT(ns) {
	bool xtcp;
};

FIXTURE_VARIANT_ADD(ns, tcp) { .xtcp = false };
FIXTURE_VARIANT_ADD(ns, xtcp) { .xtcp = true };

FIXTURE_SETUP(ns)
{
	ASSERT_STREQ("", xtcp_fresh_netns());
}

FIXTURE_TEARDOWN(ns)
{
}

/* The default by name: read, written with each name, refused unknown. */
TEST_F(ns, sysctl_names)
{
	const char *path = cc_sysctl(variant->xtcp);
	char *b = self->buf;
	int fd;

	EXPECT_STREQ("cubic", read_line(path, b, sizeof(self->buf)));
	EXPECT_EQ(0, write_file(path, "reno\n", 5));
	EXPECT_STREQ("reno", read_line(path, b, sizeof(self->buf)));
	fd = stream_socket(variant->xtcp, 0);
	ASSERT_LE(0, fd);
	EXPECT_STREQ("reno", cc_of(fd, b, sizeof(self->buf)));
	close(fd);

	EXPECT_EQ(ENOENT, write_file(path, "nosuchcc", 8));
	EXPECT_EQ(ENOENT, write_file(path, "\n", 1));
	EXPECT_STREQ("reno", read_line(path, b, sizeof(self->buf)));
	EXPECT_EQ(0, write_file(path, "cubic", 5));
	EXPECT_STREQ("cubic", read_line(path, b, sizeof(self->buf)));
	fd = stream_socket(variant->xtcp, 0);
	ASSERT_LE(0, fd);
	EXPECT_STREQ("cubic", cc_of(fd, b, sizeof(self->buf)));
	close(fd);
	if (!variant->xtcp)
		return;

	/* xtcp's own: the list, read-only, and NewReno's other name */
	EXPECT_STREQ("reno cubic",
		     read_line("/proc/sys/net/xtcp/available_congestion_control",
			       b, sizeof(self->buf)));
	EXPECT_EQ(EACCES, write_file("/proc/sys/net/xtcp/available_congestion_control",
				     "reno", 4));
	EXPECT_EQ(0, write_file(path, "newreno", 7));
	EXPECT_STREQ("reno", read_line(path, b, sizeof(self->buf)));
}

/* A namespace's choice is its own: a new one starts at the default. */
TEST_F(ns, sysctl_per_namespace)
{
	const char *path = cc_sysctl(variant->xtcp);
	int status;
	pid_t pid;

	ASSERT_EQ(0, write_file(path, "reno", 4));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char b[64];

		if (unshare(CLONE_NEWNET))
			_exit(2);
		if (variant->xtcp)
			_exit(strcmp(read_line(path, b, sizeof(b)), "cubic") ? 3 : 0);
		/* TCP's new namespaces take the initial one's (not ours) */
		_exit(read_line(path, b, sizeof(b))[0] ? 0 : 3);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_STREQ("reno", read_line(path, self->buf, sizeof(self->buf)));
}

/*
 * A connection runs what its listener chose; if the listener chose
 * nothing, the namespace's default when its SYN came.  An established
 * connection may change, and keeps its algorithm when the default moves.
 */
TEST_F(ns, listener_passes_its_choice)
{
	const char *path = cc_sysctl(variant->xtcp);
	struct sockaddr_in a1, a2;
	int l1, l2, c1, c2, c3, s1, s2, s3;
	char *b = self->buf;

	ASSERT_EQ(0, write_file(path, "reno", 4));
	l1 = stream_listener(variant->xtcp, 8, &a1);	/* chooses nothing */
	ASSERT_LE(0, l1);
	l2 = stream_listener(variant->xtcp, 8, &a2);
	ASSERT_LE(0, l2);
	EXPECT_STREQ("reno", cc_of(l2, b, sizeof(self->buf)));
	ASSERT_EQ(0, cc_set(l2, "cubic"));

	c1 = stream_connect(variant->xtcp, &a1);
	ASSERT_LE(0, c1);
	s1 = accept(l1, NULL, NULL);
	ASSERT_LE(0, s1);
	EXPECT_STREQ("reno", cc_of(s1, b, sizeof(self->buf)));
	EXPECT_STREQ("reno", cc_of(c1, b, sizeof(self->buf)));

	ASSERT_EQ(0, write_file(path, "cubic", 5));
	c2 = stream_connect(variant->xtcp, &a1);
	ASSERT_LE(0, c2);
	s2 = accept(l1, NULL, NULL);
	ASSERT_LE(0, s2);
	EXPECT_STREQ("cubic", cc_of(s2, b, sizeof(self->buf)));
	EXPECT_STREQ("reno", cc_of(s1, b, sizeof(self->buf)));	/* kept */

	ASSERT_EQ(0, write_file(path, "reno", 4));
	c3 = stream_connect(variant->xtcp, &a2);
	ASSERT_LE(0, c3);
	s3 = accept(l2, NULL, NULL);
	ASSERT_LE(0, s3);
	EXPECT_STREQ("cubic", cc_of(s3, b, sizeof(self->buf)));
	EXPECT_STREQ("reno", cc_of(c3, b, sizeof(self->buf)));

	/* xtcp's rows show it, with cwnd and an unbounded ssthresh */
	if (variant->xtcp) {
		struct xtcp_row r;

		ASSERT_TRUE(xtcp_find_row("/proc/net/xtcp", sock_inode(s1), &r));
		EXPECT_STREQ("reno", r.cc);
		EXPECT_LE(1, r.cwnd);
		EXPECT_EQ(-1, r.ssthresh);
		ASSERT_TRUE(xtcp_find_row("/proc/net/xtcp", sock_inode(s3), &r));
		EXPECT_STREQ("cubic", r.cc);
		ASSERT_TRUE(xtcp_find_row("/proc/net/xtcp", sock_inode(l2), &r));
		EXPECT_STREQ("cubic", r.cc);
	}

	/* established, data flowing: another algorithm from now on */
	ASSERT_EQ(0, send_all(c1, "abc", 3));
	ASSERT_EQ(0, recv_exact(s1, b, 3, XTCP_WAIT_MS));
	ASSERT_EQ(0, cc_set(c1, "cubic"));
	EXPECT_STREQ("cubic", cc_of(c1, b, sizeof(self->buf)));
	ASSERT_EQ(0, send_all(c1, "defg", 4));
	ASSERT_EQ(0, recv_exact(s1, b, 4, XTCP_WAIT_MS));
	EXPECT_EQ(0, memcmp(b, "defg", 4));

	close(c1);
	close(c2);
	close(c3);
	close(s1);
	close(s2);
	close(s3);
	close(l1);
	close(l2);
}

/* ---- the algorithms at work (xtcp only) ---- */

#define MSS		1000
#define BULK		1048576	/* 1 MiB */
#define DROP_NTH	60	/* well into slow start */

struct cwnd_event {
	char algo[16], phase[16];
	unsigned long cwnd, ssthresh, w_max;
};

/*
 * The xtcp_cwnd events of the connection whose local port is @lport in
 * namespace @netns, in order; their number, or -1 if a line of ours does
 * not parse.
 */
static int cwnd_events(const char *dir, unsigned int netns, unsigned int lport,
		       struct cwnd_event *ev, int max)
{
	char path[300], line[512];
	unsigned int ns, lp;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/trace", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, ": xtcp_cwnd: "), *q;
		struct cwnd_event e;

		if (!p)
			continue;
		q = strstr(p, " cwnd=");
		if (sscanf(p, ": xtcp_cwnd: netns=%u %*[0-9.]:%u -> %*s %15s %15s",
			   &ns, &lp, e.algo, e.phase) != 4 || !q ||
		    sscanf(q, " cwnd=%lu ssthresh=%lu w_max=%lu", &e.cwnd,
			   &e.ssthresh, &e.w_max) != 3) {
			n = -1;
			break;
		}
		if (ns != netns || lp != lport)
			continue;
		if (n < max)
			ev[n] = e;
		n++;
	}
	fclose(f);
	return n;
}

/*
 * One bulk transfer with @algo on the sender (MSS 1000) whose DROP_NTH-th
 * data segment is lost; the events of its congestion control into @ev.
 */
static int lossy_transfer(struct __test_metadata *_metadata, const char *algo,
			  const char *dir, struct cwnd_event *ev, int max)
{
	static unsigned char buf[BULK];
	struct sockaddr_in addr, me;
	int l, c, s, n, big = 4 << 20;
	char cmd[128];
	struct stat st;

	/*
	 * Windows wide enough for the flight to be cwnd's, and buffers for
	 * the whole transfer: the sender writes it all before the receiver
	 * reads (root may force sizes past net.core's maxima).
	 */
	l = stream_listener(true, 4, &addr);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)))
		return -1;
	c = stream_socket(true, 0);
	if (c < 0 || set_int(c, IPPROTO_TCP, TCP_MAXSEG, MSS + XTCP_TS_LEN) ||
	    setsockopt(c, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) ||
	    cc_set(c, algo) ||
	    connect(c, (struct sockaddr *)&addr, sizeof(addr)) || sock_name(c, &me))
		return -1;
	s = accept(l, NULL, NULL);
	if (s < 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "add dir=out flags=data port=%u nth=%d action=drop",
		 ntohs(me.sin_port), DROP_NTH);
	EXPECT_EQ(0, xtcp_fault_cmd(cmd));
	pat_fill(buf, sizeof(buf), 7, 0);
	EXPECT_EQ(0, send_all(c, buf, sizeof(buf)));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(0, recv_exact(s, buf, sizeof(buf), XTCP_WAIT_MS));
	EXPECT_EQ(-1, pat_check(buf, sizeof(buf), 7, 0));
	EXPECT_EQ(0, xtcp_fault_cmd("clear"));
	close(c);
	close(s);
	close(l);
	if (stat("/proc/self/ns/net", &st))
		return -1;
	n = cwnd_events(dir, (unsigned int)st.st_ino, ntohs(me.sin_port), ev, max);
	return n;
}

/* Index of the first event in @phase, or -1. */
static int first_in(const struct cwnd_event *ev, int n, const char *phase)
{
	int i;

	for (i = 0; i < n && i < 4096; i++)
		if (!strcmp(ev[i].phase, phase))
			return i;
	return -1;
}

static struct cwnd_event events[4096];

/*
 * The loss is repaired by a fast retransmit, and the window its first
 * recovery event leaves is the algorithm's: ssthresh / cwnd before the
 * loss is 0.7 for CUBIC (its W_max the window before), at most 0.5 for
 * NewReno (half the flight).  Every event names the algorithm; slow start
 * came first.  With SACK (net.xtcp.sack, RACK finds the loss) recovery
 * sets cwnd to ssthresh (RFC 6675); without, the third duplicate ACK
 * sets it to ssthresh + 3 MSS (RFC 5681).
 */
FIXTURE(lossy) {
	int unused;
};

FIXTURE_SETUP(lossy)
{
}

FIXTURE_TEARDOWN(lossy)
{
}

/*
 * Four transfers with a drop each, traced: the harness's default 30 s
 * was too short for them on the debug kernel beside a CPU hog (all four
 * had finished; the timeout is only a safety net).
 */
TEST_F_TIMEOUT(lossy, loss_reduction_is_the_algorithms, 300)
{
	static const struct {
		const char *algo;
		double lo, hi;
		int sack;
	} cases[] = {
		{ "cubic", 0.60, 0.71, 1 },
		{ "reno", 0.30, 0.51, 1 },
		{ "cubic", 0.60, 0.71, 0 },
		{ "reno", 0.30, 0.51, 0 },
	};
	char dir[200] = "";
	size_t k;

	ASSERT_STREQ("", xtcp_fresh_netns());
	ASSERT_EQ(0, xtcp_trace_start(dir, sizeof(dir), "xtcp_cc", "xtcp/xtcp_cwnd"))
		TH_LOG("tracefs: %s", strerror(errno));
	for (k = 0; k < ARRAY_SIZE(cases); k++) {
		long fr = xtcp_counter("FastRetrans"), rto = xtcp_counter("RtoExpired");
		long sr = xtcp_counter("SackRecovery");
		unsigned long w_max, inflate;
		int n, i, r;
		double ratio;

		ASSERT_EQ(0, xtcp_sysctl_set("sack", cases[k].sack));

		n = lossy_transfer(_metadata, cases[k].algo, dir, events,
				   ARRAY_SIZE(events));
		ASSERT_LT(2, n) TH_LOG("%s: %d events", cases[k].algo, n);
		/*
		 * The drop is repaired by a fast retransmit.  Whether a timer
		 * also fires depends on how slow the guest is (a debug kernel
		 * under load): logged, not judged.
		 */
		EXPECT_LE(fr + 1, xtcp_counter("FastRetrans")) TH_LOG("%s", cases[k].algo);
		TH_LOG("%s, sack %d: FastRetrans +%ld, SackRecovery +%ld, RtoExpired +%ld",
		       cases[k].algo, cases[k].sack,
		       xtcp_counter("FastRetrans") - fr,
		       xtcp_counter("SackRecovery") - sr,
		       xtcp_counter("RtoExpired") - rto);
		/* each recovery of a SACK connection is RACK's, none without */
		if (cases[k].sack) {
			EXPECT_EQ(xtcp_counter("FastRetrans") - fr,
				  xtcp_counter("SackRecovery") - sr);
		} else {
			EXPECT_EQ(0, xtcp_counter("SackRecovery") - sr);
		}
		for (i = 0; i < n && i < (int)ARRAY_SIZE(events); i++)
			EXPECT_STREQ(cases[k].algo, events[i].algo);
		EXPECT_STREQ("slow_start", events[0].phase);
		r = first_in(events, n, "recovery");
		ASSERT_LT(0, r) TH_LOG("%s: no recovery among %d events", cases[k].algo, n);
		ratio = (double)events[r].ssthresh / events[r - 1].cwnd;
		TH_LOG("%s: %d events; cwnd %lu, a loss: ssthresh %lu (%.3f)",
		       cases[k].algo, n, events[r - 1].cwnd, events[r].ssthresh,
		       ratio);
		EXPECT_LE(cases[k].lo, ratio)
			TH_LOG("%s: ssthresh %lu after cwnd %lu", cases[k].algo,
			       events[r].ssthresh, events[r - 1].cwnd);
		EXPECT_GE(cases[k].hi, ratio)
			TH_LOG("%s: ssthresh %lu after cwnd %lu", cases[k].algo,
			       events[r].ssthresh, events[r - 1].cwnd);
		/* fast recovery: ssthresh (SACK), ssthresh + 3 MSS (dupacks) */
		inflate = 3 * MSS;
		if (cases[k].sack)
			inflate = 0;
		EXPECT_EQ(events[r].ssthresh + inflate, events[r].cwnd);
		/* CUBIC's W_max: the window before; NewReno has none */
		w_max = events[r - 1].cwnd;
		if (strcmp(cases[k].algo, "cubic"))
			w_max = 0;
		EXPECT_EQ(w_max, events[r].w_max);
		/* it ends, and the window grows again from ssthresh */
		EXPECT_LT(r, first_in(events + r, n - r, "avoidance") + r);
	}
	xtcp_trace_stop(dir, "xtcp/xtcp_cwnd");
}

TEST_HARNESS_MAIN
