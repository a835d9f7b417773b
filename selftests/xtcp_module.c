// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp selftests: the module's life cycle.  A live socket pins the module,
 * load/unload cycles leave no memory behind, a failed init unwinds all it
 * registered, and the parameters move the family and protocol numbers.
 *
 * These tests unload and reload xtcp.ko: $XTCP_MODULE names the file (the
 * VM runner sets it).  Each test leaves the module loaded with default
 * parameters, as it found it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"

static const char *module_path(void)
{
	return getenv("XTCP_MODULE");
}

static int load(const char *params)
{
	int fd = open(module_path(), O_RDONLY | O_CLOEXEC);
	int ret, err;

	if (fd < 0)
		return -1;
	ret = syscall(__NR_finit_module, fd, params, 0);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

static int unload(void)
{
	/* xtcp_fault.ko (the rules open_every_state() adds) uses xtcp.ko */
	int err = xtcp_fault_unload();

	if (err) {
		errno = err;
		return -1;
	}
	return syscall(__NR_delete_module, "xtcp", O_NONBLOCK);
}

static int loaded(void)
{
	return access("/sys/module/xtcp", F_OK) == 0;
}

/* A /proc/meminfo value in kB, or -1. */
static long meminfo_kb(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long v = -1;
	size_t n = strlen(key);

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/*
 * Unreclaimable slab in kB, from /proc/meminfo, after every cache has been
 * shrunk: on the debug kernel that also empties KASAN's quarantine, where
 * freed objects wait, still counted.
 */
static long sunreclaim_kb(void)
{
	DIR *d = opendir("/sys/kernel/slab");
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			slab_shrink(e->d_name);
	if (d)
		closedir(d);
	return meminfo_kb("SUnreclaim");
}

/* Does /proc/slabinfo (or /proc/net/protocols) have a line starting @word? */
static int file_has_word(const char *path, const char *word)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, word, strlen(word)) &&
		    (line[strlen(word)] == ' ' || line[strlen(word)] == '\t'))
			found = 1;
	fclose(f);
	return found;
}

FIXTURE(mod)
{
	int unused;
};

FIXTURE_SETUP(mod)
{
	ASSERT_NE(NULL, module_path()) TH_LOG("XTCP_MODULE is not set");
	ASSERT_EQ(0, access(module_path(), R_OK));
	if (!loaded())
		ASSERT_EQ(0, load(""));
}

FIXTURE_TEARDOWN(mod)
{
	/* ehash_entries_size_the_tables may have left other values */
	if (loaded() &&
	    read_int_file("/sys/module/xtcp/parameters/ehash_entries", 0))
		unload();
	if (!loaded())
		load("");
	write_file("/sys/module/xtcp/parameters/child_ehash_entries", "4096", 4);
}

/*
 * Loading and unloading take seconds each on a busy TCG guest: no test
 * here keeps the harness's 30 s.
 */
TEST_F_TIMEOUT(mod, rmmod_refused_while_socket_open, 120)
{
	int fd = socket(xtcp_af(), SOCK_STREAM, 0);

	ASSERT_LE(0, fd);
	EXPECT_LE(1, read_int_file("/sys/module/xtcp/refcnt", -1));
	/* The kernel refuses a module in use with EWOULDBLOCK (EAGAIN). */
	EXPECT_EQ(-1, unload());
	EXPECT_EQ(EWOULDBLOCK, errno);
	EXPECT_TRUE(loaded());
	/* rmmod(8) says so too. */
	EXPECT_NE(0, system("rmmod xtcp 2>/dev/null"));

	close(fd);
	EXPECT_EQ(0, read_int_file("/sys/module/xtcp/refcnt", -1));
	EXPECT_EQ(0, unload()) TH_LOG("unload after close: %s", strerror(errno));
	EXPECT_FALSE(loaded());
	ASSERT_EQ(0, load(""));
}

TEST_F_TIMEOUT(mod, socket_in_child_pins_module, 120)
{
	int pipefd[2], status;
	char c;
	pid_t pid;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = socket(xtcp_af(), SOCK_STREAM, 0);

		c = fd >= 0 ? 'y' : 'n';
		if (write(pipefd[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	ASSERT_EQ('y', c);
	EXPECT_EQ(-1, unload());
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	/* The socket died with its process; the module is free again. */
	EXPECT_EQ(0, unload());
	ASSERT_EQ(0, load(""));
	close(pipefd[0]);
	close(pipefd[1]);
}

/* $XTCP_LOAD_PERCENT scales them: 20 at least (the debug lane's 5 %) */
#define CYCLES ((int)xtcp_scaled_min(100, 20))

/*
 * Does /proc/net/xtcp list a connection in state @name?  FIN_WAIT_2,
 * CLOSE_WAIT, TIME_WAIT and SYN_RCVD each wait for a segment on loopback,
 * which a loaded guest may leave to ksoftirqd for seconds: a passing
 * cycle finds each at once, XTCP_WAIT_MS bounds only a failure.
 */
static int has_state(const char *name)
{
	struct xtcp_row rows[64];
	long long end = now_ms() + XTCP_WAIT_MS;
	int n, i;

	do {
		n = xtcp_read_rows("/proc/net/xtcp", rows, 64);
		for (i = 0; i < n; i++)
			if (!strcmp(rows[i].state, name))
				return 1;
		usleep(10000);
	} while (now_ms() < end);
	return 0;
}

/*
 * Connections in every state xtcp has, into @fds (up to 16): LISTEN,
 * ESTABLISHED with unread data both ways, FIN_WAIT_2 and CLOSE_WAIT
 * (half-closed), an orphan in FIN_WAIT_2, a TIME_WAIT entry (both ends
 * closed, the client first; no fd), SYN_SENT and SYN_RCVD (SYN+ACKs
 * dropped by a fault rule).  Returns how many fds, or -1.
 */
static int open_every_state(int *fds)
{
	struct sockaddr_in a;
	int n = 0, c, s, o, l;

	l = stream_listener(true, 4, &a);
	if (l < 0)
		return -1;
	fds[n++] = l;
	if (stream_pair(true, &c, &s) || send_all(c, "ab", 2) || send_all(s, "cd", 2))
		return -1;
	fds[n++] = c;
	fds[n++] = s;
	if (stream_pair(true, &c, &s) || shutdown(c, SHUT_WR))
		return -1;
	fds[n++] = c;
	fds[n++] = s;
	if (stream_pair(true, &o, &s) || shutdown(o, SHUT_WR))
		return -1;
	close(o);
	fds[n++] = s;
	if (stream_pair(true, &c, &s))
		return -1;
	close(c);
	close(s);
	if (xtcp_fault_cmd("add dir=in flags=synack action=drop"))
		return -1;
	c = stream_socket(true, SOCK_NONBLOCK);
	if (c < 0 || !connect(c, (struct sockaddr *)&a, sizeof(a)) || errno != EINPROGRESS)
		return -1;
	fds[n++] = c;
	return n;
}

/*
 * Unload, waiting up to XTCP_WAIT_MS for orphans to finish (their FINs
 * and ACKs cross loopback); 0 or the errno.
 */
static int unload_when_free(void)
{
	long long end = now_ms() + XTCP_WAIT_MS;

	for (;;) {
		int err;

		if (!unload())
			return 0;
		err = errno;
		if ((err != EWOULDBLOCK && err != EAGAIN) || now_ms() >= end)
			return err;
		usleep(50000);
	}
}

/*
 * A hundred unloads and loads (twenty on the debug lane, whose kmemleak
 * looks for leaks itself): minutes on a busy guest.
 */
TEST_F_TIMEOUT(mod, hundred_cycles_with_connections, 1200)
{
	static const char *const states[] = {
		"LISTEN", "ESTABLISHED", "FIN_WAIT_2", "CLOSE_WAIT", "SYN_SENT", "SYN_RCVD",
		"TIME_WAIT",
	};
	long long t0 = now_ms();
	long before, after;
	int i, j, k, n, err;

	/* Measured after the first cycle: it fills caches once per boot. */
	before = -1;

	for (i = 0; i < CYCLES; i++) {
		int fds[16];

		n = open_every_state(fds);
		ASSERT_LT(0, n) TH_LOG("cycle %d: %s", i, strerror(errno));
		for (k = 0; k < (int)ARRAY_SIZE(states); k++) {
			ASSERT_TRUE(has_state(states[k]))
				TH_LOG("cycle %d: no connection in %s", i, states[k]);
		}
		/* Open sockets pin the module. */
		ASSERT_EQ(-1, unload());
		ASSERT_EQ(EWOULDBLOCK, errno);
		for (j = 0; j < n; j++)
			close(fds[j]);
		/*
		 * Rules and orphans do not stop it for long; TIME_WAIT
		 * entries (2*MSL is a minute) not at all: unload frees them.
		 */
		err = unload_when_free();
		ASSERT_EQ(0, err) TH_LOG("cycle %d: unload: %s", i, strerror(err));
		ASSERT_EQ(0, file_has_word("/proc/slabinfo", "XTCP"))
			TH_LOG("cycle %d: XTCP slab cache survived unload", i);
		ASSERT_EQ(0, file_has_word("/proc/slabinfo", "xtcp_tw"))
			TH_LOG("cycle %d: xtcp_tw slab cache survived unload", i);
		ASSERT_EQ(0, load("")) TH_LOG("cycle %d: load: %s", i, strerror(errno));
		if (before < 0)
			before = sunreclaim_kb();
	}
	after = sunreclaim_kb();
	TH_LOG("%d cycles in %lld s", CYCLES, (now_ms() - t0) / 1000);
	/*
	 * A leaked socket or request per cycle would be 100 objects of over a
	 * kilobyte, plus its inode; per-cpu slab caches move the figure by a
	 * little.  (Twenty cycles, on the debug lane, would not show it here:
	 * there kmemleak reports each leaked object itself.)
	 */
	EXPECT_GT(before + 512, after)
		TH_LOG("SUnreclaim %ld kB -> %ld kB over %d cycles", before, after, CYCLES);
}

struct bad_param {
	const char *params;
	int err;
};

/* eight loads and unloads */
TEST_F_TIMEOUT(mod, failed_init_unwinds, 300)
{
	const struct bad_param cases[] = {
		{ "family=2", EEXIST },		/* AF_INET: sock_register fails */
		{ "proto=6", EBUSY },		/* TCP's slot: its offload and handler */
		{ "family=0", EINVAL },
		{ "family=46", EINVAL },	/* NPROTO */
		{ "proto=0", EINVAL },
		{ "proto=256", EINVAL },
	};
	size_t i;

	ASSERT_EQ(0, unload());
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		EXPECT_EQ(-1, load(cases[i].params)) TH_LOG("%s loaded", cases[i].params);
		EXPECT_EQ(cases[i].err, errno)
			TH_LOG("%s: %s", cases[i].params, strerror(errno));
		if (loaded()) {
			unload();
			continue;
		}
		/* Nothing registered is left behind. */
		EXPECT_EQ(-1, access("/proc/net/xtcp", F_OK)) TH_LOG("%s", cases[i].params);
		EXPECT_EQ(0, file_has_word("/proc/net/protocols", "XTCP"));
		EXPECT_EQ(0, file_has_word("/proc/slabinfo", "XTCP"));
	}
	/* And everything it had claimed is free to claim again. */
	ASSERT_EQ(0, load(""));
	EXPECT_EQ(0, access("/proc/net/xtcp", F_OK));
	EXPECT_EQ(1, file_has_word("/proc/net/protocols", "XTCP"));
}

TEST_F_TIMEOUT(mod, parameters_move_the_numbers, 120)
{
	int fd;

	EXPECT_EQ(AF_XTCP_DEFAULT, read_int_file("/sys/module/xtcp/parameters/family", -1));
	EXPECT_EQ(IPPROTO_XTCP_DEFAULT, read_int_file("/sys/module/xtcp/parameters/proto", -1));

	ASSERT_EQ(0, unload());
	/* 18 was AF_ASH, never implemented; 254 is RFC 3692's other number. */
	ASSERT_EQ(0, load("family=18 proto=254"));
	EXPECT_EQ(18, read_int_file("/sys/module/xtcp/parameters/family", -1));
	EXPECT_EQ(254, read_int_file("/sys/module/xtcp/parameters/proto", -1));
	fd = socket(18, SOCK_STREAM, 254);
	EXPECT_LE(0, fd);
	close(fd);
	EXPECT_EQ(-1, socket(AF_XTCP_DEFAULT, SOCK_STREAM, 0));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	/* Read-only: they are fixed for the module's lifetime. */
	EXPECT_EQ(-1, open("/sys/module/xtcp/parameters/family", O_WRONLY));
	ASSERT_EQ(0, unload());
	ASSERT_EQ(0, load(""));
}

/* What the module makes of a chain count: a power of two, 16..65536. */
static long chains_of(long n)
{
	long c = 16;

	while (c < n && c < 65536)
		c <<= 1;
	return c;
}

#define CHILD_EHASH	"/sys/module/xtcp/parameters/child_ehash_entries"

/*
 * @n connections through one listener, a byte each way, the clients
 * closing first: @n TIME_WAIT entries (kept 20 minutes: msl_ms is the
 * most there is) and @n closed servers.  Returns the TIME_WAIT rows
 * /proc/net/xtcp lists once it lists @n rows (the last servers' final
 * ACKs may still be on their way), or -1 after XTCP_WAIT_MS.
 */
static int connections_to_time_wait(struct __test_metadata *_metadata, int n)
{
	struct sockaddr_in addr;
	int lfd = stream_listener(true, n, &addr);
	int i, cli, srv, rows, tw = 0;
	struct xtcp_row *r;
	char c = 'x';

	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", 600000));
	for (i = 0; i < n; i++) {
		cli = stream_connect(true, &addr);
		ASSERT_LE(0, cli) TH_LOG("connection %d: %s", i, strerror(errno));
		srv = accept(lfd, NULL, NULL);
		ASSERT_LE(0, srv);
		ASSERT_EQ(1, write(cli, &c, 1));
		ASSERT_EQ(1, read(srv, &c, 1));
		ASSERT_EQ(1, write(srv, &c, 1));
		ASSERT_EQ(1, read(cli, &c, 1));
		close(cli);
		ASSERT_EQ(0, read(srv, &c, 1));	/* the client's FIN */
		close(srv);
	}
	close(lfd);
	r = calloc(4 * n, sizeof(*r));
	ASSERT_NE(NULL, r);
	for (i = 0; i < XTCP_WAIT_MS / 10; i++) {
		rows = xtcp_read_rows("/proc/net/xtcp", r, 4 * n);
		if (rows == n)
			break;
		usleep(10000);
	}
	for (i = 0; i < rows && i < 4 * n; i++)
		tw += !strcmp(r[i].state, "TIME_WAIT");
	free(r);
	return rows == n ? tw : -1;
}

/*
 * The connection and TIME_WAIT tables' size: the initial namespace's by
 * memory (one chain per 128 KiB) or by ehash_entries, a new namespace's
 * by child_ehash_entries as it is when the namespace is made, each shown
 * read-only in net.xtcp.ehash_entries.  A namespace with the smallest
 * tables (16 chains) still finds every connection and TIME_WAIT entry.
 */
TEST_F_TIMEOUT(mod, ehash_entries_size_the_tables, 300)
{
	static const struct {
		const char *set;
		long chains;
	} child[] = {
		{ "100", 128 }, { "1", 16 }, { "0", 16 }, { "16", 16 },
		{ "70000", 65536 }, { "4096", 4096 },
	};
	const int n = xtcp_scaled_min(400, 100);
	long mem_kb = meminfo_kb("MemTotal");
	unsigned int i;

	ASSERT_LT(0, mem_kb);
	EXPECT_EQ(0, read_int_file("/sys/module/xtcp/parameters/ehash_entries", -1));
	EXPECT_EQ(chains_of(mem_kb / 128), xtcp_sysctl_get("ehash_entries"));
	EXPECT_EQ(4096, read_int_file(CHILD_EHASH, -1));
	EXPECT_EQ(EACCES, xtcp_sysctl_write("ehash_entries", "64"));

	ASSERT_EQ(0, unload());
	ASSERT_EQ(0, load("ehash_entries=100"));
	EXPECT_EQ(128, xtcp_sysctl_get("ehash_entries"));
	ASSERT_EQ(0, unload());
	ASSERT_EQ(0, load(""));

	for (i = 0; i < ARRAY_SIZE(child); i++) {
		ASSERT_EQ(0, write_file(CHILD_EHASH, child[i].set,
					strlen(child[i].set)));
		ASSERT_STREQ("", xtcp_fresh_netns());
		EXPECT_EQ(child[i].chains, xtcp_sysctl_get("ehash_entries"))
			TH_LOG("child_ehash_entries=%s", child[i].set);
	}

	ASSERT_EQ(0, write_file(CHILD_EHASH, "16", 2));
	ASSERT_STREQ("", xtcp_fresh_netns());
	ASSERT_EQ(16, xtcp_sysctl_get("ehash_entries"));
	EXPECT_EQ(n, connections_to_time_wait(_metadata, n));
}

TEST_HARNESS_MAIN
