// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp selftests: fault injection (module/fault.c, built as xtcp_fault.ko).
 * /proc/net/xtcp_fault's syntax and errors, and its rules at work on
 * segments sent through a raw IP socket to 127.0.0.1: a segment a rule
 * drops at PRE_ROUTING never reaches xtcp's receive handler, so
 * /proc/net/xtcp_stat's InSegs does not move; one dropped at LOCAL_OUT
 * makes sendto() fail with EPERM.
 *
 * The segments are well formed but carry a wrong checksum on purpose: the
 * fault hooks do not verify checksums, and xtcp counts such a segment
 * (InSegs, InCsumErrors) and answers nothing.  A valid segment would draw
 * a RST reply to the sender, which would cross the hooks as well and make
 * every count depend on the receive path's behaviour.
 *
 * Every test runs in a network namespace of its own (the harness forks a
 * process per test; the fixture unshares), so rules never leak between
 * tests.  The rules live in xtcp_fault.ko, a test module of their own
 * that xtcp_fault_load() loads from beside $XTCP_MODULE;
 * module_unload_with_held_segments unloads and reloads it.
 */
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "module/core.h"
#include "xtcp_util.h"

#define FAULT_PROC	"/proc/net/xtcp_fault"
#define MAX_RULES	32

/* ---- /proc/net/xtcp_fault ---- */

struct fault_rule {
	unsigned int id;
	char params[256];	/* between "id=N " and " matched=" */
	long matched, dropped, delayed;
};

struct fault_state {
	long drops, delayed, queued, discarded;
	int n;
	struct fault_rule r[MAX_RULES + 8];
};

/* Parse the whole file; 0, or -1 when it cannot be read or does not parse. */
static int fault_read(struct fault_state *st)
{
	FILE *f = fopen(FAULT_PROC, "r");
	char line[512];

	memset(st, 0, sizeof(*st));
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, "drops %ld", &st->drops) != 1 ||
	    !fgets(line, sizeof(line), f) ||
	    sscanf(line, "delayed %ld", &st->delayed) != 1 ||
	    !fgets(line, sizeof(line), f) ||
	    sscanf(line, "queued %ld", &st->queued) != 1 ||
	    !fgets(line, sizeof(line), f) ||
	    sscanf(line, "discarded %ld", &st->discarded) != 1)
		goto bad;
	while (fgets(line, sizeof(line), f)) {
		struct fault_rule *r = &st->r[st->n];
		char *p = strchr(line, ' '), *m = strstr(line, " matched=");

		if (st->n >= (int)ARRAY_SIZE(st->r) || !p || !m || m < p ||
		    sscanf(line, "id=%u ", &r->id) != 1 ||
		    sscanf(m, " matched=%ld dropped=%ld delayed=%ld",
			   &r->matched, &r->dropped, &r->delayed) != 3 ||
		    (size_t)(m - p - 1) >= sizeof(r->params))
			goto bad;
		memcpy(r->params, p + 1, m - p - 1);
		r->params[m - p - 1] = '\0';
		st->n++;
	}
	fclose(f);
	return 0;
bad:
	fclose(f);
	return -1;
}

/* The rule with @id, or NULL. */
static struct fault_rule *fault_rule(struct fault_state *st, unsigned int id)
{
	int i;

	for (i = 0; i < st->n; i++)
		if (st->r[i].id == id)
			return &st->r[i];
	return NULL;
}

/* ---- segments ---- */

struct fault_seg {
	u8 flags;
	u16 sport, dport;
	size_t payload;
};

/*
 * Build a segment that xtcp_parse() accepts, 127.0.0.1 -> @daddr (host
 * order), with its checksum off by one bit: see the top of the file.
 */
static size_t fault_build(u8 *buf, size_t cap, const struct fault_seg *s,
			  u32 daddr)
{
	struct xtcp_seg h = {
		.sport = s->sport, .dport = s->dport, .seq = 1000, .ack = 2000,
		.flags = s->flags, .window = 65535,
	};
	size_t hlen = xtcp_build(buf, cap, &h), i;
	u16 c;

	for (i = 0; i < s->payload; i++)
		buf[hlen + i] = i;
	c = xtcp_csum_segment(INADDR_LOOPBACK, daddr, xtcp_proto(), buf,
			      hlen + s->payload) ^ 1;
	buf[16] = c >> 8;
	buf[17] = c & 0xff;
	return hlen + s->payload;
}

/* Send @len bytes over IP protocol @proto to @daddr; 0 or sendto's errno. */
static int fault_send_bytes(int proto, u32 daddr, const u8 *buf, size_t len)
{
	struct sockaddr_in dst = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(daddr),
	};
	int fd = socket(AF_INET, SOCK_RAW, proto);
	int err = 0;

	if (fd < 0)
		return errno;
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		err = errno;
	close(fd);
	return err;
}

static int fault_send(const struct fault_seg *s)
{
	u8 b[256];
	size_t len = fault_build(b, sizeof(b), s, INADDR_LOOPBACK);

	return fault_send_bytes(xtcp_proto(), INADDR_LOOPBACK, b, len);
}

/* A pure ACK, 40000 -> 5000. */
static int fault_send_ack(void)
{
	const struct fault_seg s = { XTCP_ACK, 40000, 5000, 0 };

	return fault_send(&s);
}

/* An ACK with @n bytes of data, 40000 -> 5000. */
static int fault_send_data(size_t n)
{
	const struct fault_seg s = { XTCP_ACK | XTCP_PSH, 40000, 5000, n };

	return fault_send(&s);
}

static double fault_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * Loopback delivers in softirq, normally before sendto() returns, but a busy
 * guest may leave it to ksoftirqd for a while: wait for InSegs to reach
 * @want (up to 60 s, only to bound a failure), then a little longer to see
 * that nothing more arrives.
 */
static long fault_settle(long want)
{
	double end = fault_now_ms() + XTCP_WAIT_MS;
	long v = xtcp_counter("InSegs");

	while (v < want && fault_now_ms() < end) {
		usleep(10000);
		v = xtcp_counter("InSegs");
	}
	usleep(20000);
	return xtcp_counter("InSegs");
}

/*
 * Read the rules once rule @i has matched @want segments: the dropped ones
 * leave no mark in InSegs to wait for.  Up to 60 s, as fault_settle().
 */
static int fault_read_matched(struct fault_state *st, int i, long want)
{
	double end = fault_now_ms() + XTCP_WAIT_MS;

	for (;;) {
		if (fault_read(st))
			return -1;
		if (st->n <= i || st->r[i].matched >= want || fault_now_ms() > end)
			return 0;
		usleep(10000);
	}
}

/* Run @fn in a child in a new network namespace; its exit status. */
static int fault_in_netns(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) || xtcp_lo_up())
			_exit(100);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

FIXTURE(fault)
{
	struct fault_state st;
};

FIXTURE_SETUP(fault)
{
	ASSERT_EQ(0, xtcp_fault_load()) TH_LOG("xtcp_fault.ko not loaded");
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, xtcp_lo_up());
	ASSERT_EQ(0, access(FAULT_PROC, F_OK))
		TH_LOG("%s: %s", FAULT_PROC, strerror(errno));
}

FIXTURE_TEARDOWN(fault)
{
}

/* ---- syntax ---- */

TEST_F(fault, file_mode_and_empty_state)
{
	struct stat sb;
	char line[64];
	FILE *f;

	ASSERT_EQ(0, stat(FAULT_PROC, &sb));
	EXPECT_EQ(0100600, sb.st_mode);
	EXPECT_EQ(0, sb.st_uid);

	f = fopen(FAULT_PROC, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	EXPECT_STREQ("drops 0\n", line);
	fclose(f);

	ASSERT_EQ(0, fault_read(&self->st));
	EXPECT_EQ(0, self->st.drops);
	EXPECT_EQ(0, self->st.delayed);
	EXPECT_EQ(0, self->st.queued);
	EXPECT_EQ(0, self->st.n);
}

static int unprivileged_open(void *arg)
{
	int fd;

	if (setuid(65534))
		return 90;
	fd = open(FAULT_PROC, O_RDONLY);
	if (fd >= 0 || errno != EACCES)
		return 1;
	fd = open(FAULT_PROC, O_WRONLY);
	if (fd >= 0 || errno != EACCES)
		return 2;
	return 0;
}

TEST_F(fault, unprivileged_refused)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(unprivileged_open(NULL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* What each "add" line is listed as. */
static const struct {
	const char *line, *listed;
} add_cases[] = {
	{ "add dir=out flags=syn nth=1 action=drop",
	  "dir=out flags=syn port=any nth=1 action=drop" },
	{ "add dir=in flags=data port=5000 nth=3",
	  "dir=in flags=data port=5000 nth=3 action=drop" },
	{ "add dir=any flags=any prob=5%",
	  "dir=any flags=any port=any prob=5% action=drop" },
	{ "add", "dir=any flags=any port=any count=all action=drop" },
	{ "add flags=synack count=7", "dir=any flags=synack port=any count=7 action=drop" },
	{ "add flags=ack count=all", "dir=any flags=ack port=any count=all action=drop" },
	{ "add flags=fin port=0", "dir=any flags=fin port=0 count=all action=drop" },
	{ "add flags=rst port=65535", "dir=any flags=rst port=65535 count=all action=drop" },
	{ "add flags=0x12/0x12", "dir=any flags=0x12/0x12 port=any count=all action=drop" },
	{ "add flags=0/255 port=any", "dir=any flags=0x00/0xff port=any count=all action=drop" },
	{ "add prob=0.25%", "dir=any flags=any port=any prob=2500ppm action=drop" },
	{ "add prob=2500ppm", "dir=any flags=any port=any prob=2500ppm action=drop" },
	{ "add prob=100%", "dir=any flags=any port=any prob=100% action=drop" },
	{ "add prob=1000000ppm", "dir=any flags=any port=any prob=100% action=drop" },
	{ "add prob=0%", "dir=any flags=any port=any prob=0% action=drop" },
	{ "add prob=0.0001%", "dir=any flags=any port=any prob=1ppm action=drop" },
	{ "add dir=in action=delay delay=200ms",
	  "dir=in flags=any port=any count=all action=delay delay=200" },
	{ "add delay=10000 action=delay nth=2 dir=out",
	  "dir=out flags=any port=any nth=2 action=delay delay=10000" },
	{ " \tadd   dir=out\tflags=rst  \r\n",
	  "dir=out flags=rst port=any count=all action=drop" },
};

TEST_F(fault, add_list_clear)
{
	struct fault_state *st = &self->st;
	unsigned int i, n = ARRAY_SIZE(add_cases);

	for (i = 0; i < n; i++) {
		const char *line = add_cases[i].line;

		ASSERT_EQ(0, xtcp_fault_cmd(line)) TH_LOG("'%s' refused", line);
	}
	ASSERT_EQ(0, fault_read(st));
	ASSERT_EQ(n, st->n);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(i + 1, st->r[i].id);
		EXPECT_STREQ(add_cases[i].listed, st->r[i].params);
		EXPECT_EQ(0, st->r[i].matched);
		EXPECT_EQ(0, st->r[i].dropped);
		EXPECT_EQ(0, st->r[i].delayed);
	}

	/* Comments and empty lines are no commands. */
	EXPECT_EQ(0, xtcp_fault_cmd("# add\n"));
	EXPECT_EQ(0, xtcp_fault_cmd("\n"));
	EXPECT_EQ(0, xtcp_fault_cmd("   "));
	ASSERT_EQ(0, fault_read(st));
	EXPECT_EQ(n, st->n);

	EXPECT_EQ(0, xtcp_fault_cmd("clear\n"));
	ASSERT_EQ(0, fault_read(st));
	EXPECT_EQ(0, st->n);

	/* Ids are not reused after clear. */
	EXPECT_EQ(0, xtcp_fault_cmd("add"));
	ASSERT_EQ(0, fault_read(st));
	ASSERT_EQ(1, st->n);
	EXPECT_EQ(n + 1, st->r[0].id);
}

TEST_F(fault, listing_reads_back)
{
	struct fault_state *st = &self->st, again;
	char line[300];
	unsigned int i, n = ARRAY_SIZE(add_cases);

	for (i = 0; i < n; i++)
		ASSERT_EQ(0, xtcp_fault_cmd(add_cases[i].line));
	ASSERT_EQ(0, fault_read(st));
	ASSERT_EQ(0, xtcp_fault_cmd("clear"));
	for (i = 0; i < (unsigned int)st->n; i++) {
		snprintf(line, sizeof(line), "add %s", st->r[i].params);
		ASSERT_EQ(0, xtcp_fault_cmd(line)) TH_LOG("'%s' refused", line);
	}
	ASSERT_EQ(0, fault_read(&again));
	ASSERT_EQ(st->n, again.n);
	for (i = 0; i < (unsigned int)st->n; i++)
		EXPECT_STREQ(st->r[i].params, again.r[i].params);
}

TEST_F(fault, several_lines_in_one_write)
{
	static const char two[] = "add flags=fin\nadd flags=ack\n";
	static const char bad[] = "add flags=syn\nbogus\nadd flags=rst\n";
	struct fault_state *st = &self->st;

	ASSERT_EQ(0, xtcp_fault_write(two, strlen(two)));
	ASSERT_EQ(0, fault_read(st));
	ASSERT_EQ(2, st->n);
	EXPECT_STREQ("dir=any flags=fin port=any count=all action=drop",
		     st->r[0].params);
	EXPECT_STREQ("dir=any flags=ack port=any count=all action=drop",
		     st->r[1].params);

	/* The first bad line fails the write; the lines before it stay. */
	EXPECT_EQ(EINVAL, xtcp_fault_write(bad, strlen(bad)));
	ASSERT_EQ(0, fault_read(st));
	ASSERT_EQ(3, st->n);
	EXPECT_STREQ("dir=any flags=syn port=any count=all action=drop",
		     st->r[2].params);

	/* A NUL byte inside the write is refused as a whole. */
	EXPECT_EQ(EINVAL, xtcp_fault_write("add\0add", 7));
	ASSERT_EQ(0, fault_read(st));
	EXPECT_EQ(3, st->n);
}

static const char *const bad_lines[] = {
	"bogus", "ADD", "list", "add dir=up", "add dir=", "add dir",
	"add =in", "add dir=IN", "add flags=xyz", "add flags=SYN",
	"add flags=0x03/0x01", "add flags=0x100/0x100", "add flags=1",
	"add flags=1/", "add flags=/1", "add port=65536", "add port=-1",
	"add port=x", "add port=", "add nth=0", "add nth=-1",
	"add nth=4294967296", "add nth=1x", "add count=0", "add count=x",
	"add prob=101%", "add prob=100.0001%", "add prob=5",
	"add prob=1000001ppm", "add prob=1.23456%", "add prob=%",
	"add prob=.5%", "add prob=5.%", "add prob=-5%", "add prob=ppm",
	"add nth=1 count=2", "add nth=1 prob=5%", "add count=all prob=1%",
	"add action=explode", "add action=delay", "add delay=10",
	"add action=drop delay=10", "add action=delay delay=0",
	"add action=delay delay=10001", "add action=delay delay=10s",
	"add action=delay delay=ms", "add dir=in dir=out", "add nth=1 nth=2",
	"add dir=in extra", "add foo=1", "clear now", "del", "del x",
	"del 1 2", "del -1",
};

TEST_F(fault, invalid_lines_einval)
{
	unsigned int i;

	ASSERT_EQ(0, xtcp_fault_cmd("add flags=syn"));
	for (i = 0; i < ARRAY_SIZE(bad_lines); i++) {
		const char *line = bad_lines[i];

		EXPECT_EQ(EINVAL, xtcp_fault_cmd(line))
			TH_LOG("'%s' not refused with EINVAL", line);
	}
	ASSERT_EQ(0, fault_read(&self->st));
	EXPECT_EQ(1, self->st.n);	/* "clear now" cleared nothing */
}

TEST_F(fault, del_by_id)
{
	struct fault_state *st = &self->st;

	ASSERT_EQ(0, xtcp_fault_cmd("add flags=syn"));
	ASSERT_EQ(0, xtcp_fault_cmd("add flags=ack"));
	ASSERT_EQ(0, xtcp_fault_cmd("add flags=fin"));
	EXPECT_EQ(0, xtcp_fault_cmd("del 2\n"));
	ASSERT_EQ(0, fault_read(st));
	ASSERT_EQ(2, st->n);
	EXPECT_EQ(1, st->r[0].id);
	EXPECT_EQ(3, st->r[1].id);
	EXPECT_EQ(ENOENT, xtcp_fault_cmd("del 2"));
	EXPECT_EQ(ENOENT, xtcp_fault_cmd("del 99"));
	EXPECT_EQ(0, xtcp_fault_cmd("del 1"));
	EXPECT_EQ(0, xtcp_fault_cmd("del 3"));
	ASSERT_EQ(0, fault_read(st));
	EXPECT_EQ(0, st->n);
}

TEST_F(fault, enospc_beyond_32_rules)
{
	struct fault_state *st = &self->st;
	int i;

	for (i = 0; i < MAX_RULES; i++)
		if (xtcp_fault_cmd("add prob=0%"))
			break;
	ASSERT_EQ(MAX_RULES, i) TH_LOG("rule %d refused", i + 1);
	EXPECT_EQ(ENOSPC, xtcp_fault_cmd("add prob=0%"));
	ASSERT_EQ(0, fault_read(st));
	EXPECT_EQ(MAX_RULES, st->n);
	/* A syntax error is still reported as such. */
	EXPECT_EQ(EINVAL, xtcp_fault_cmd("add dir=up"));

	EXPECT_EQ(0, xtcp_fault_cmd("del 7"));
	EXPECT_EQ(0, xtcp_fault_cmd("add prob=0%"));
	EXPECT_EQ(ENOSPC, xtcp_fault_cmd("add prob=0%"));
	EXPECT_EQ(0, xtcp_fault_cmd("clear"));
	EXPECT_EQ(0, xtcp_fault_cmd("add prob=0%"));
	ASSERT_EQ(0, fault_read(st));
	EXPECT_EQ(1, st->n);
}

/* ---- selection ---- */

TEST_F(fault, nth_drops_exactly_the_nth)
{
	struct fault_state *st = &self->st;
	long in0 = xtcp_counter("InSegs");
	const long want[] = { 1, 2, 2, 3, 4, 5 };	/* delivered so far */
	unsigned int i;

	ASSERT_LE(0, in0);
	ASSERT_EQ(0, xtcp_fault_cmd("add dir=in flags=ack nth=3 action=drop"));
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		ASSERT_EQ(0, fault_send_ack());
		EXPECT_EQ(in0 + want[i], fault_settle(in0 + want[i]))
			TH_LOG("after segment %u", i + 1);
	}
	ASSERT_EQ(0, fault_read_matched(st, 0, 6));
	ASSERT_EQ(1, st->n);
	EXPECT_EQ(6, st->r[0].matched);
	EXPECT_EQ(1, st->r[0].dropped);
	EXPECT_EQ(0, st->r[0].delayed);
	EXPECT_EQ(1, st->drops);
}

TEST_F(fault, count_drops_the_first_k)
{
	struct fault_state *st = &self->st;
	long in0 = xtcp_counter("InSegs");
	const long want[] = { 0, 0, 1, 2, 3 };
	unsigned int i;

	ASSERT_EQ(0, xtcp_fault_cmd("add dir=in flags=data count=2"));
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		ASSERT_EQ(0, fault_send_data(100));
		EXPECT_EQ(in0 + want[i], fault_settle(in0 + want[i]))
			TH_LOG("after segment %u", i + 1);
	}
	ASSERT_EQ(0, fault_read_matched(st, 0, 5));
	EXPECT_EQ(5, st->r[0].matched);
	EXPECT_EQ(2, st->r[0].dropped);
	EXPECT_EQ(2, st->drops);
}

TEST_F(fault, every_match_without_selection)
{
	long in0 = xtcp_counter("InSegs");
	int i;

	ASSERT_EQ(0, xtcp_fault_cmd("add dir=in"));
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, fault_send_ack());
	EXPECT_EQ(in0, fault_settle(in0));
	ASSERT_EQ(0, fault_read_matched(&self->st, 0, 10));
	EXPECT_EQ(10, self->st.r[0].dropped);
	EXPECT_EQ(10, self->st.drops);
}

TEST_F(fault, prob_100_drops_all_prob_0_none)
{
	struct fault_state *st = &self->st;
	long in0 = xtcp_counter("InSegs");
	int i;

	ASSERT_EQ(0, xtcp_fault_cmd("add dir=in prob=100%"));
	for (i = 0; i < 20; i++)
		ASSERT_EQ(0, fault_send_ack());
	EXPECT_EQ(in0, fault_settle(in0));
	ASSERT_EQ(0, fault_read_matched(st, 0, 20));
	EXPECT_EQ(20, st->r[0].matched);
	EXPECT_EQ(20, st->r[0].dropped);

	ASSERT_EQ(0, xtcp_fault_cmd("clear"));
	ASSERT_EQ(0, xtcp_fault_cmd("add dir=in prob=0%"));
	for (i = 0; i < 20; i++)
		ASSERT_EQ(0, fault_send_ack());
	EXPECT_EQ(in0 + 20, fault_settle(in0 + 20));
	ASSERT_EQ(0, fault_read(st));
	EXPECT_EQ(20, st->r[0].matched);
	EXPECT_EQ(0, st->r[0].dropped);
	EXPECT_EQ(20, st->drops);	/* the first rule's, kept by clear */
}

TEST_F(fault, prob_50_drops_about_half)
{
	struct fault_state *st = &self->st;
	long in0 = xtcp_counter("InSegs");
	const int n = 400;
	long dropped;
	int i;

	ASSERT_EQ(0, xtcp_fault_cmd("add dir=in prob=50%"));
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, fault_send_ack());
	ASSERT_EQ(0, fault_read_matched(st, 0, n));
	dropped = st->r[0].dropped;
	EXPECT_EQ(n, st->r[0].matched);
	/* Binomial(400, 0.5): sd 10, so this fails once in ~10^12 runs. */
	EXPECT_LE(120, dropped);
	EXPECT_GE(280, dropped);
	EXPECT_EQ(in0 + n - dropped, fault_settle(in0 + n - dropped));
}

/* ---- what a rule matches ---- */

TEST_F(fault, direction_out_drops_at_local_out)
{
	struct fault_state *st = &self->st;
	long in0 = xtcp_counter("InSegs");

	ASSERT_EQ(0, xtcp_fault_cmd("add dir=out flags=ack nth=1"));
	/* NF_DROP at LOCAL_OUT: ip_local_out() reports EPERM to the sender. */
	EXPECT_EQ(EPERM, fault_send_ack());
	EXPECT_EQ(in0, fault_settle(in0));
	EXPECT_EQ(0, fault_send_ack());
	EXPECT_EQ(in0 + 1, fault_settle(in0 + 1));
	ASSERT_EQ(0, fault_read(st));
	EXPECT_EQ(2, st->r[0].matched);
	EXPECT_EQ(1, st->r[0].dropped);
}

TEST_F(fault, direction_in_drops_at_pre_routing)
{
	struct fault_state *st = &self->st;
	long in0 = xtcp_counter("InSegs");

	ASSERT_EQ(0, xtcp_fault_cmd("add dir=in flags=ack nth=1"));
	EXPECT_EQ(0, fault_send_ack());	/* it left: only "in" saw it dropped */
	EXPECT_EQ(in0, fault_settle(in0));
	ASSERT_EQ(0, fault_read(st));
	EXPECT_EQ(1, st->r[0].matched);
	EXPECT_EQ(1, st->r[0].dropped);
}

TEST_F(fault, direction_any_sees_both_hooks)
{
	struct fault_state *st = &self->st;
	long in0 = xtcp_counter("InSegs");
	int i;

	/* Counting only: every rule sees every segment. */
	ASSERT_EQ(0, xtcp_fault_cmd("add dir=in prob=0%"));
	ASSERT_EQ(0, xtcp_fault_cmd("add dir=out prob=0%"));
	ASSERT_EQ(0, xtcp_fault_cmd("add dir=any prob=0%"));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, fault_send_ack());
	EXPECT_EQ(in0 + 3, fault_settle(in0 + 3));
	ASSERT_EQ(0, fault_read(st));
	EXPECT_EQ(3, st->r[0].matched);
	EXPECT_EQ(3, st->r[1].matched);
	EXPECT_EQ(6, st->r[2].matched);	/* on loopback: out, then in */

	/* The second passage of a segment is the "in" one. */
	ASSERT_EQ(0, xtcp_fault_cmd("clear"));
	ASSERT_EQ(0, xtcp_fault_cmd("add dir=any nth=2"));
	EXPECT_EQ(0, fault_send_ack());
	EXPECT_EQ(in0 + 3, fault_settle(in0 + 3));
	ASSERT_EQ(0, fault_read(st));
	EXPECT_EQ(2, st->r[0].matched);
	EXPECT_EQ(1, st->r[0].dropped);
}

/* Segment shapes, and which flag classes each falls in. */
static const struct fault_seg shapes[] = {
	{ XTCP_SYN, 40000, 5000, 0 },
	{ XTCP_SYN | XTCP_ACK, 40000, 5000, 0 },
	{ XTCP_ACK, 40000, 5000, 0 },
	{ XTCP_ACK, 40000, 5000, 10 },
	{ XTCP_ACK | XTCP_PSH, 40000, 5000, 1 },
	{ XTCP_FIN | XTCP_ACK, 40000, 5000, 0 },
	{ XTCP_RST, 40000, 5000, 0 },
	{ XTCP_RST | XTCP_ACK, 40000, 5000, 0 },
};

static const struct {
	const char *flags;
	long matched;
} classes[] = {
	{ "any", 8 }, { "syn", 1 }, { "synack", 1 }, { "ack", 1 },
	{ "data", 2 }, { "fin", 1 }, { "rst", 2 }, { "0x12/0x12", 1 },
	{ "0x10/0x10", 6 }, { "0x00/0x10", 2 },
};

TEST_F(fault, flags_classes)
{
	struct fault_state *st = &self->st;
	long in0 = xtcp_counter("InSegs");
	char line[128];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(classes); i++) {
		snprintf(line, sizeof(line), "add dir=in flags=%s prob=0%%",
			 classes[i].flags);
		ASSERT_EQ(0, xtcp_fault_cmd(line));
	}
	for (i = 0; i < ARRAY_SIZE(shapes); i++)
		ASSERT_EQ(0, fault_send(&shapes[i]));
	EXPECT_EQ(in0 + 8, fault_settle(in0 + 8));
	ASSERT_EQ(0, fault_read(st));
	ASSERT_EQ(ARRAY_SIZE(classes), st->n);
	for (i = 0; i < ARRAY_SIZE(classes); i++) {
		const char *flags = classes[i].flags;

		EXPECT_EQ(classes[i].matched, st->r[i].matched)
			TH_LOG("flags=%s", flags);
	}
}

TEST_F(fault, flags_drop_only_their_class)
{
	const struct fault_seg syn = { XTCP_SYN, 40000, 5000, 0 };
	const struct fault_seg synack = { XTCP_SYN | XTCP_ACK, 40000, 5000, 0 };
	long in0 = xtcp_counter("InSegs");

	ASSERT_EQ(0, xtcp_fault_cmd("add dir=in flags=synack"));
	ASSERT_EQ(0, fault_send(&syn));
	EXPECT_EQ(in0 + 1, fault_settle(in0 + 1));
	ASSERT_EQ(0, fault_send(&synack));
	EXPECT_EQ(in0 + 1, fault_settle(in0 + 1));
	ASSERT_EQ(0, fault_send_ack());
	EXPECT_EQ(in0 + 2, fault_settle(in0 + 2));
	ASSERT_EQ(0, fault_read(&self->st));
	EXPECT_EQ(1, self->st.r[0].matched);
	EXPECT_EQ(1, self->st.r[0].dropped);
}

TEST_F(fault, port_source_or_destination)
{
	const struct fault_seg to = { XTCP_ACK, 40000, 5000, 0 };
	const struct fault_seg from = { XTCP_ACK, 5000, 7, 0 };
	const struct fault_seg other = { XTCP_ACK, 40000, 5001, 0 };
	long in0 = xtcp_counter("InSegs");

	ASSERT_EQ(0, xtcp_fault_cmd("add dir=in port=5000"));
	ASSERT_EQ(0, fault_send(&to));
	ASSERT_EQ(0, fault_send(&from));
	EXPECT_EQ(in0, fault_settle(in0));
	ASSERT_EQ(0, fault_send(&other));
	EXPECT_EQ(in0 + 1, fault_settle(in0 + 1));
	ASSERT_EQ(0, fault_read_matched(&self->st, 0, 2));
	EXPECT_EQ(2, self->st.r[0].matched);
	EXPECT_EQ(2, self->st.r[0].dropped);
}

TEST_F(fault, only_parsable_xtcp_segments)
{
	long in0 = xtcp_counter("InSegs"), hdr0 = xtcp_counter("InHdrErrors");
	int other = xtcp_proto() == 254 ? 252 : 254;
	const struct fault_seg ack = { XTCP_ACK, 1, 2, 0 };
	u8 b[64];
	size_t len;

	ASSERT_EQ(0, xtcp_fault_cmd("add dir=any"));
	/* Unknown version: not parsed, not matched; xtcp counts it. */
	len = fault_build(b, sizeof(b), &ack, INADDR_LOOPBACK);
	b[12] = 5 << 4 | 2;
	EXPECT_EQ(0, fault_send_bytes(xtcp_proto(), INADDR_LOOPBACK, b, len));
	/* Too short for a header. */
	EXPECT_EQ(0, fault_send_bytes(xtcp_proto(), INADDR_LOOPBACK, b, 12));
	EXPECT_EQ(in0 + 2, fault_settle(in0 + 2));
	EXPECT_EQ(hdr0 + 2, xtcp_counter("InHdrErrors"));
	/* Another protocol: not looked at, so not dropped at LOCAL_OUT. */
	len = fault_build(b, sizeof(b), &ack, INADDR_LOOPBACK);
	EXPECT_EQ(0, fault_send_bytes(other, INADDR_LOOPBACK, b, len));
	ASSERT_EQ(0, fault_read(&self->st));
	EXPECT_EQ(0, self->st.r[0].matched);
	EXPECT_EQ(0, self->st.drops);
}

/* ---- counters ---- */

TEST_F(fault, first_acting_rule_wins)
{
	struct fault_state *st = &self->st;
	long in0 = xtcp_counter("InSegs");
	int i;

	ASSERT_EQ(0, xtcp_fault_cmd("add dir=in nth=2"));
	ASSERT_EQ(0, xtcp_fault_cmd("add dir=in"));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, fault_send_ack());
	EXPECT_EQ(in0, fault_settle(in0));
	ASSERT_EQ(0, fault_read_matched(st, 1, 2));
	/* Rule 1 sees all three and takes the 2nd; rule 2 the other two. */
	EXPECT_EQ(3, fault_rule(st, 1)->matched);
	EXPECT_EQ(1, fault_rule(st, 1)->dropped);
	EXPECT_EQ(2, fault_rule(st, 2)->matched);
	EXPECT_EQ(2, fault_rule(st, 2)->dropped);
	EXPECT_EQ(3, st->drops);

	ASSERT_EQ(0, xtcp_fault_cmd("del 1"));
	ASSERT_EQ(0, fault_send_ack());
	ASSERT_EQ(0, fault_read_matched(st, 0, 3));
	EXPECT_EQ(3, fault_rule(st, 2)->matched);
	EXPECT_EQ(4, st->drops);
	ASSERT_EQ(0, xtcp_fault_cmd("clear"));
	ASSERT_EQ(0, fault_read(st));
	EXPECT_EQ(4, st->drops);
}

/* ---- namespaces ---- */

static int other_netns_untouched(void *arg)
{
	struct fault_state st;
	long in0 = xtcp_counter("InSegs");

	if (fault_read(&st) || st.n || st.drops)
		return 1;
	if (fault_send_ack() || fault_settle(in0 + 1) != in0 + 1)
		return 2;
	if (xtcp_fault_cmd("add dir=any flags=syn"))
		return 3;
	if (fault_read(&st) || st.n != 1 || st.r[0].id != 1)
		return 4;
	return 0;
}

TEST_F(fault, rules_are_per_namespace)
{
	struct fault_state *st = &self->st;

	ASSERT_EQ(0, xtcp_fault_cmd("add"));
	ASSERT_EQ(0, xtcp_fault_cmd("add"));
	EXPECT_EQ(0, fault_in_netns(other_netns_untouched, NULL));
	ASSERT_EQ(0, fault_read(st));
	EXPECT_EQ(2, st->n);		/* not the child's rule */
	EXPECT_EQ(0, st->r[0].matched);	/* nor its segment */
	EXPECT_EQ(0, st->drops);
}

static int netns_dirty_then_exit(void *arg)
{
	if (xtcp_fault_cmd("add dir=in nth=1") || xtcp_fault_cmd("add flags=syn") ||
	    xtcp_fault_cmd("add dir=in action=delay delay=10000"))
		return 1;
	if (fault_send_ack() || fault_send_ack())
		return 2;
	return 0;
}

static int netns_is_fresh(void *arg)
{
	struct fault_state st;

	if (fault_read(&st))
		return 1;
	if (st.n || st.drops || st.delayed || st.queued || st.discarded)
		return 2;
	if (xtcp_fault_cmd("add") || fault_read(&st) || st.n != 1 ||
	    st.r[0].id != 1)
		return 3;
	return 0;
}

TEST_F(fault, new_namespace_starts_empty)
{
	int i;

	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, fault_in_netns(netns_dirty_then_exit, NULL));
		ASSERT_EQ(0, fault_in_netns(netns_is_fresh, NULL));
	}
}

/* ---- delay ---- */

TEST_F(fault, delay_in)
{
	struct fault_state *st = &self->st;
	long in0 = xtcp_counter("InSegs"), hdr0 = xtcp_counter("InHdrErrors");
	long csum0 = xtcp_counter("InCsumErrors");
	double t0, t1;
	long v;

	ASSERT_EQ(0, xtcp_fault_cmd("add dir=in flags=data action=delay delay=300"));
	t0 = fault_now_ms();
	ASSERT_EQ(0, fault_send_data(100));
	ASSERT_EQ(0, fault_read_matched(st, 0, 1));
	EXPECT_EQ(1, st->queued);
	EXPECT_EQ(in0, xtcp_counter("InSegs"));
	do {
		usleep(5000);
		v = xtcp_counter("InSegs");
		t1 = fault_now_ms();
	} while (v == in0 && t1 - t0 < XTCP_WAIT_MS);
	EXPECT_EQ(in0 + 1, v);
	EXPECT_LE(295, t1 - t0) TH_LOG("arrived after %.0f ms", t1 - t0);
	/* Delivered whole: the header parses, the checksum is looked at. */
	EXPECT_EQ(hdr0, xtcp_counter("InHdrErrors"));
	EXPECT_EQ(csum0 + 1, xtcp_counter("InCsumErrors"));
	ASSERT_EQ(0, fault_read(st));
	EXPECT_EQ(0, st->queued);
	EXPECT_EQ(1, st->delayed);
	EXPECT_EQ(0, st->discarded);	/* sent on when due */
	EXPECT_EQ(0, st->drops);
	EXPECT_EQ(1, st->r[0].delayed);
	EXPECT_EQ(0, st->r[0].dropped);
}

TEST_F(fault, delay_out)
{
	struct fault_state *st = &self->st;
	long in0 = xtcp_counter("InSegs");
	double t0, t1;
	long v;
	int i;

	ASSERT_EQ(0, xtcp_fault_cmd("add dir=out action=delay delay=300"));
	t0 = fault_now_ms();
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, fault_send_ack());	/* the sender sees success */
	/* none can be in before 300 ms: judged only if we look sooner */
	v = xtcp_counter("InSegs");
	if (fault_now_ms() - t0 < 250)
		EXPECT_EQ(in0, v);
	do {
		usleep(5000);
		v = xtcp_counter("InSegs");
		t1 = fault_now_ms();
	} while (v < in0 + 5 && t1 - t0 < XTCP_WAIT_MS);
	EXPECT_EQ(in0 + 5, v);
	EXPECT_LE(295, t1 - t0);
	ASSERT_EQ(0, fault_read(st));
	EXPECT_EQ(5, st->r[0].delayed);
	EXPECT_EQ(0, st->queued);
}

TEST_F(fault, delay_queue_limit_then_namespace_exit)
{
	struct fault_state *st = &self->st;
	long in0 = xtcp_counter("InSegs");
	int i;

	const struct fault_seg ack = { XTCP_ACK, 40000, 5000, 0 };
	struct sockaddr_in dst = sin_of(INADDR_LOOPBACK, 0);
	int fd = socket(AF_INET, SOCK_RAW, xtcp_proto());
	double t0 = fault_now_ms();
	u8 b[64];
	size_t len = fault_build(b, sizeof(b), &ack, INADDR_LOOPBACK);

	/*
	 * One socket for all 1001: the first segment must still be held
	 * when the last arrives, even on the slow debug kernel.
	 */
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, xtcp_fault_cmd("add dir=in action=delay delay=10000"));
	for (i = 0; i < 1001; i++)
		ASSERT_EQ(len, sendto(fd, b, len, 0, (struct sockaddr *)&dst, sizeof(dst)));
	close(fd);
	ASSERT_GT(8000, fault_now_ms() - t0)
		TH_LOG("1001 segments took %.0f ms", fault_now_ms() - t0);
	ASSERT_EQ(0, fault_read_matched(st, 0, 1001));
	EXPECT_EQ(1000, st->queued);
	EXPECT_EQ(1000, st->r[0].delayed);
	EXPECT_EQ(1, st->r[0].dropped);
	EXPECT_EQ(1, st->drops);
	EXPECT_EQ(in0, xtcp_counter("InSegs"));
	/* The test exits with 1000 segments held: namespace exit frees them. */
}

TEST_F_TIMEOUT(fault, delay_device_unregistered, 120)
{
	const struct fault_seg ack = { XTCP_ACK, 1, 2, 0 };
	struct fault_state *st = &self->st;
	u8 b[64];
	size_t len;

	if (xtcp_sh("ip link add xfa type veth peer name xfb >/dev/null 2>&1"))
		SKIP(return, "cannot create a veth pair (ip, veth module)");
	ASSERT_EQ(0, xtcp_sh("ip addr add 10.9.0.1/24 dev xfa"));
	ASSERT_EQ(0, xtcp_sh("ip link set xfa up && ip link set xfb up"));
	ASSERT_EQ(0, xtcp_fault_cmd("add dir=out action=delay delay=10000"));
	len = fault_build(b, sizeof(b), &ack, 0x0a090003);
	ASSERT_EQ(0, fault_send_bytes(xtcp_proto(), 0x0a090003, b, len));
	ASSERT_EQ(0, fault_read(st));
	ASSERT_EQ(1, st->queued);
	EXPECT_EQ(0, st->discarded);

	/*
	 * Held on xfa, with a reference on it: deleting xfa must discard
	 * the segment, not wait for its 10 s (unregister_netdevice waits
	 * for every reference; the segment would then leave when due and
	 * not be counted as discarded).
	 */
	EXPECT_EQ(0, xtcp_sh("ip link del xfa"));
	ASSERT_EQ(0, fault_read(st));
	EXPECT_EQ(0, st->queued);
	EXPECT_EQ(1, st->delayed);
	EXPECT_EQ(1, st->discarded);
}

/* ---- concurrency ---- */

static void fault_send_forever(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* even if the test aborts */
	for (;;) {
		fault_send_ack();	/* EPERM when an "out" rule drops it */
		fault_send_data(100);
	}
}

TEST_F_TIMEOUT(fault, rule_changes_under_traffic, 300)
{
	/*
	 * Rounds of rules added and taken away; each round registers and
	 * unregisters the hooks (an RCU grace period), slow on a loaded
	 * debug kernel: the count scales with $XTCP_LOAD_PERCENT, 20 at
	 * least.
	 */
	const unsigned int rounds = xtcp_scaled_min(200, 20);
	static const char *const cmds[] = {
		"add dir=any prob=50% action=delay delay=1",
		"add dir=in nth=2",
		"add dir=out flags=data count=3",
		"add dir=in prob=30% action=delay delay=20",
		"add port=5000 prob=10%",
	};
	struct fault_state *st = &self->st;
	pid_t senders[2];
	unsigned int i, j;
	char line[32];
	long v;

	for (i = 0; i < ARRAY_SIZE(senders); i++) {
		senders[i] = fork();
		ASSERT_LE(0, senders[i]);
		if (senders[i] == 0)
			fault_send_forever();
	}
	for (i = 0; i < rounds; i++) {
		for (j = 0; j < ARRAY_SIZE(cmds); j++)
			ASSERT_EQ(0, xtcp_fault_cmd(cmds[j]));
		ASSERT_EQ(0, fault_read(st));
		ASSERT_EQ(ARRAY_SIZE(cmds), st->n);
		if (i % 2) {
			ASSERT_EQ(0, xtcp_fault_cmd("clear"));
		} else {
			for (j = 0; j < (unsigned int)st->n; j++) {
				snprintf(line, sizeof(line), "del %u",
					 st->r[j].id);
				ASSERT_EQ(0, xtcp_fault_cmd(line));
			}
		}
		usleep(1000);
	}
	for (i = 0; i < ARRAY_SIZE(senders); i++) {
		kill(senders[i], SIGKILL);
		waitpid(senders[i], NULL, 0);
	}
	/* No rule left: whatever is held drains within its delay. */
	ASSERT_EQ(0, fault_read(st));
	EXPECT_EQ(0, st->n);
	for (i = 0; i < 6000 && st->queued; i++) {
		usleep(10000);
		ASSERT_EQ(0, fault_read(st));
	}
	EXPECT_EQ(0, st->queued);
	EXPECT_LT(0, st->drops);
	EXPECT_LT(0, st->delayed);
	v = xtcp_counter("InSegs");
	EXPECT_EQ(0, fault_send_ack());
	EXPECT_EQ(v + 1, fault_settle(v + 1));
}

/* ---- the module going away ---- */

/*
 * xtcp_fault.ko unloads at once while it holds segments (10 s delays):
 * they are discarded, and its file goes with it.  Loaded again, the
 * namespace starts afresh.
 */
TEST_F_TIMEOUT(fault, module_unload_with_held_segments, 60)
{
	struct fault_state *st = &self->st;
	double t0;
	int i, ret;

	ASSERT_EQ(0, xtcp_fault_cmd("add dir=in flags=data action=delay delay=10000"));
	ASSERT_EQ(0, xtcp_fault_cmd("add dir=out flags=ack action=delay delay=10000"));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, fault_send_ack());
		ASSERT_EQ(0, fault_send_data(10));
	}
	ASSERT_EQ(0, fault_read_matched(st, 0, 5));
	ASSERT_EQ(10, st->queued);

	t0 = fault_now_ms();
	ret = syscall(__NR_delete_module, "xtcp_fault", O_NONBLOCK);
	ASSERT_EQ(0, ret) TH_LOG("delete_module: %s", strerror(errno));
	EXPECT_GT(5000, fault_now_ms() - t0);
	EXPECT_NE(0, access(FAULT_PROC, F_OK));

	ASSERT_EQ(0, xtcp_fault_load());
	/* This namespace gets a fresh file from the reloaded module. */
	ASSERT_EQ(0, fault_read(st));
	EXPECT_EQ(0, st->n);
	EXPECT_EQ(0, st->queued);
	EXPECT_EQ(0, st->drops);
}

TEST_HARNESS_MAIN
