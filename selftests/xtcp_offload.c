// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp selftests: segmentation offload (module/offload.c).
 *
 * A bulk transfer from this namespace to another over a veth pair (MTU
 * 1500, MSS 1460), checked byte for byte, in five ways:
 *  - whole: veth takes the GSO type, so runs (one skb, many segments)
 *    cross it whole: the sender counts OutRuns, the receiver InRuns, and
 *    the sender's veth sends no more than one packet per four segments
 *    (a run holds up to 44; one skb per segment would be one each);
 *  - cut: the sender's veth has tx-sctp-segmentation off, so every run is
 *    cut into segments in software by xtcp_gso_segment() before the
 *    device: OutRuns, but no InRuns, and the data intact (each segment's
 *    sequence number and checksum right, or the receiver drops it);
 *  - cut_no_csum: also tx-checksumming off, so the segmenter computes
 *    each segment's whole checksum itself;
 *  - gso_off: net.xtcp.gso = 0: no runs at all;
 *  - gro: as cut, but the receiver's veth has GRO on (and the sender's no
 *    TSO, or veth skips GRO): a run's segments, cut here, reach the other
 *    side in one NAPI poll and xtcp's gro_receive merges them: InRuns
 *    again.  (Segments sent one by one are rarely merged over veth: each
 *    is polled as it leaves, as TCP's are.)
 * Segment counts are compared with the bytes moved: a run counts as the
 * segments it carries, in TCP_INFO and in OutSegs/InSegs.  Each moves
 * 8 MiB scaled by $XTCP_LOAD_PERCENT (xtcp_scaled(); the debug lane's 5
 * makes it 410 KiB), but not below 1 MiB, some 700 segments: a margin
 * for the runs that four of the variants must show.
 */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <arpa/inet.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"

#define XO_BYTES	(8 << 20)	/* before xtcp_scaled() */
#define XO_MIN_BYTES	(1024 * 1024)
#define XO_PORT		7400
#define XO_MSS		1460

FIXTURE(xo)
{
	char ns[32];
	int here, there;	/* namespace fds */
	int lfd, cli, srv;
};

FIXTURE_VARIANT(xo)
{
	const char *ethtool;	/* features set on the sender's veth */
	const char *ethtool_there;	/* ... and on the receiver's */
	int gso;		/* net.xtcp.gso in this namespace */
	bool runs_out, runs_in;	/* expected */
	bool whole;		/* runs cross the veth whole */
};

FIXTURE_VARIANT_ADD(xo, whole) {
	.ethtool = NULL, .gso = 1, .runs_out = true, .runs_in = true,
	.whole = true,
};

FIXTURE_VARIANT_ADD(xo, cut) {
	.ethtool = "tx-sctp-segmentation off", .gso = 1,
	.runs_out = true, .runs_in = false,
};

FIXTURE_VARIANT_ADD(xo, cut_no_csum) {
	.ethtool = "tx-sctp-segmentation off tx-checksumming off", .gso = 1,
	.runs_out = true, .runs_in = false,
};

FIXTURE_VARIANT_ADD(xo, gso_off) {
	.ethtool = NULL, .gso = 0, .runs_out = false, .runs_in = false,
};

/*
 * veth hands a packet to the receiver's GRO (NAPI) when that side has gro
 * on and this side no TSO: runs are cut here, merged there.
 */
FIXTURE_VARIANT_ADD(xo, gro) {
	.ethtool = "tx-sctp-segmentation off tso off", .gso = 1,
	.ethtool_there = "gro on", .runs_out = true, .runs_in = true,
};

/* A counter of the other namespace. */
static long counter_there(FIXTURE_DATA(xo) * self, const char *name)
{
	long v;

	if (setns(self->there, CLONE_NEWNET))
		return -1;
	v = xtcp_counter(name);
	if (setns(self->here, CLONE_NEWNET))
		return -1;
	return v;
}

FIXTURE_SETUP(xo)
{
	struct sockaddr_in a = sin_of(0x0a090802, XO_PORT);
	char path[64];

	self->lfd = -1;
	self->cli = -1;
	self->srv = -1;
	self->there = -1;
	signal(SIGPIPE, SIG_IGN);
	ASSERT_STREQ("", xtcp_fresh_netns());
	self->here = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->here);
	snprintf(self->ns, sizeof(self->ns), "xo%d", getpid());
	ASSERT_EQ(0, xtcp_sh("ip netns add %s", self->ns));
	ASSERT_EQ(0, xtcp_sh("ip link add xo0 type veth peer name xo1 netns %s",
			     self->ns)) TH_LOG("no veth pair");
	ASSERT_EQ(0, xtcp_sh("ip addr add 10.9.8.1/24 dev xo0 && ip link set xo0 up"));
	ASSERT_EQ(0, xtcp_sh("ip -n %s addr add 10.9.8.2/24 dev xo1", self->ns));
	ASSERT_EQ(0, xtcp_sh("ip -n %s link set xo1 up && ip -n %s link set lo up",
			     self->ns, self->ns));
	if (variant->ethtool) {
		ASSERT_EQ(0, xtcp_sh("ethtool -K xo0 %s", variant->ethtool))
			TH_LOG("'ethtool -K xo0 %s' failed", variant->ethtool);
	}
	if (variant->ethtool_there) {
		ASSERT_EQ(0, xtcp_sh("ip netns exec %s ethtool -K xo1 %s",
				     self->ns, variant->ethtool_there))
			TH_LOG("'ethtool -K xo1 %s' failed", variant->ethtool_there);
	}
	ASSERT_EQ(0, xtcp_sysctl_set("gso", variant->gso));

	snprintf(path, sizeof(path), "/run/netns/%s", self->ns);
	self->there = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->there);
	ASSERT_EQ(0, setns(self->there, CLONE_NEWNET));
	self->lfd = socket(xtcp_af(), SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_EQ(0, setns(self->here, CLONE_NEWNET));
	ASSERT_LE(0, self->lfd);
	ASSERT_EQ(0, bind(self->lfd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, listen(self->lfd, 4));
}

FIXTURE_TEARDOWN(xo)
{
	close_fd(&self->cli);
	close_fd(&self->srv);
	close_fd(&self->lfd);
	close_fd(&self->there);
	xtcp_sh("ip netns del %s 2>/dev/null", self->ns);
	xtcp_sh("ip link del xo0 2>/dev/null");
}

/* Packets @dev has sent, from its statistics; -1 if unreadable. */
static long dev_tx_packets(const char *dev)
{
	char line[512], name[32];
	long v = -1;
	FILE *f;

	/* /proc/net/dev follows the reader's namespace; sysfs does not */
	f = fopen("/proc/net/dev", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		long tx;

		/* name: eight receive columns, transmit bytes, packets */
		if (sscanf(line, " %31[^:]: %*s %*s %*s %*s %*s %*s %*s %*s %*s %ld",
			   name, &tx) == 2 && !strcmp(name, dev))
			v = tx;
	}
	fclose(f);
	return v;
}

/* What a transfer moves: XO_BYTES scaled, at least XO_MIN_BYTES. */
static size_t xo_bytes(void)
{
	long n = xtcp_scaled(XO_BYTES);

	return n < XO_MIN_BYTES ? XO_MIN_BYTES : n;
}

struct xo_sender {
	int fd, err;
	size_t bytes;
};

static void *xo_send(void *arg)
{
	static unsigned char buf[1 << 16];
	struct xo_sender *s = arg;
	size_t off, len;

	for (off = 0; off < s->bytes; off += len) {
		len = s->bytes - off < sizeof(buf) ? s->bytes - off : sizeof(buf);
		pat_fill(buf, len, 3, off);
		if (send_all(s->fd, buf, len)) {
			s->err = errno;
			break;
		}
	}
	shutdown(s->fd, SHUT_WR);
	return NULL;
}

TEST_F_TIMEOUT(xo, bulk_intact, 600)
{
	static unsigned char buf[1 << 16];
	struct sockaddr_in a = sin_of(0x0a090802, XO_PORT);
	long runs_out0, segs_out0, runs_in0, tx0, tx, bad = -1;
	struct xo_sender s = { .bytes = xo_bytes() };
	struct tcp_info_segs ti;
	size_t got = 0;
	pthread_t th;
	ssize_t n;

	runs_out0 = xtcp_counter("OutRuns");
	segs_out0 = xtcp_counter("OutSegs");
	runs_in0 = counter_there(self, "InRuns");
	tx0 = dev_tx_packets("xo0");
	ASSERT_LE(0, tx0);
	ASSERT_LE(0, runs_out0);
	ASSERT_LE(0, runs_in0);
	self->cli = socket(xtcp_af(), SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->cli);
	ASSERT_EQ(0, connect(self->cli, (struct sockaddr *)&a, sizeof(a)))
		TH_LOG("connect: %s", strerror(errno));
	self->srv = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, self->srv);
	/* the route's MSS less the timestamps each segment carries */
	EXPECT_EQ(XO_MSS - XTCP_TS_LEN,
		  get_int(self->cli, IPPROTO_TCP, TCP_MAXSEG));

	s.fd = self->cli;
	ASSERT_EQ(0, pthread_create(&th, NULL, xo_send, &s));
	while ((n = recv(self->srv, buf, sizeof(buf), 0)) > 0) {
		long b = bad < 0 ? pat_check(buf, n, 3, got) : -1;

		if (b >= 0)
			bad = got + b;
		got += n;
	}
	pthread_join(th, NULL);
	EXPECT_EQ(0, s.err) TH_LOG("send: %s", strerror(s.err));
	EXPECT_EQ(0, n);
	EXPECT_EQ(s.bytes, got);
	EXPECT_EQ(-1, bad) TH_LOG("first bad byte at %ld", bad);

	ASSERT_EQ(0, tcp_info_segs(self->cli, &ti));
	tx = dev_tx_packets("xo0") - tx0;
	TH_LOG("%zu bytes; sender: %u data segments, %ld runs, %ld packets; receiver: %ld runs in",
	       s.bytes, ti.data_segs_out, xtcp_counter("OutRuns") - runs_out0,
	       tx, counter_there(self, "InRuns") - runs_in0);
	/* runs carried whole: many segments to a packet (large skbs, TSO-style) */
	EXPECT_GE(variant->whole ? ti.data_segs_out / 4 : LONG_MAX, tx);
	/* every segment counted, a run as what it carries */
	EXPECT_LE(s.bytes / XO_MSS, ti.data_segs_out);
	EXPECT_LE(ti.data_segs_out, xtcp_counter("OutSegs") - segs_out0);
	EXPECT_EQ(variant->runs_out, xtcp_counter("OutRuns") - runs_out0 > 0);
	EXPECT_EQ(variant->runs_in, counter_there(self, "InRuns") - runs_in0 > 0);
	ASSERT_EQ(0, tcp_info_segs(self->srv, &ti));
	EXPECT_LE(s.bytes / XO_MSS, ti.data_segs_in);
}

TEST_HARNESS_MAIN
