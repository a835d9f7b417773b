/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the xtcp selftests: the family and protocol numbers the
 * loaded module took, and readers for /proc/net/xtcp and /proc/net/xtcp_stat.
 */
#ifndef _XTCP_SELFTEST_UTIL_H
#define _XTCP_SELFTEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <limits.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/sockios.h>
#include <sys/wait.h>
#include <linux/xtcp.h>

/* __printf(): as the kernel's, defined by the Makefile's CFLAGS */

static inline int read_int_file(const char *path, int dflt)
{
	FILE *f = fopen(path, "r");
	int v = dflt;

	if (!f)
		return dflt;
	if (fscanf(f, "%d", &v) != 1)
		v = dflt;
	fclose(f);
	return v;
}

/* The socket family the loaded module registered (module parameter). */
static inline int xtcp_af(void)
{
	return read_int_file("/sys/module/xtcp/parameters/family", AF_XTCP);
}

/* The IP protocol number the loaded module uses (module parameter). */
static inline int xtcp_proto(void)
{
	return read_int_file("/sys/module/xtcp/parameters/proto", IPPROTO_XTCP);
}

/**
 * struct xtcp_row - one parsed row of /proc/net/xtcp, every column
 */
struct xtcp_row {
	unsigned int laddr, lport, raddr, rport, st;
	unsigned int txq, rxq, tr, retr, uid, timeout;
	unsigned long when, inode;
	char state[32];
	unsigned long state_ms;
	char cc[16];		/* congestion control; "-": not a socket */
	long cwnd, ssthresh;	/* segments; ssthresh -1: unbounded */
};

/*
 * Read every row of a /proc/net/xtcp file into @rows (up to @max).
 * Returns the number of rows, -1 if the file cannot be read or its header
 * is not the expected one, -2 if a row does not parse.
 */
static inline int xtcp_read_rows(const char *path, struct xtcp_row *rows, int max)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f) ||
	    strncmp(line, "  sl  local_address rem_address   st ", 37)) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct xtcp_row r;
		int sl;

		if (sscanf(line,
			   "%d: %x:%x %x:%x %x %x:%x %x:%lx %x %u %u %lu %31s %lu %15s %ld %ld",
			   &sl, &r.laddr, &r.lport, &r.raddr, &r.rport, &r.st,
			   &r.txq, &r.rxq, &r.tr, &r.when, &r.retr, &r.uid,
			   &r.timeout, &r.inode, r.state, &r.state_ms, r.cc,
			   &r.cwnd, &r.ssthresh) != 19) {
			fclose(f);
			return -2;
		}
		if (n < max)
			rows[n] = r;
		n++;
	}
	fclose(f);
	return n;
}

/* Find the row of the socket with inode @ino; returns 1 if found. */
static inline int xtcp_find_row(const char *path, unsigned long ino,
				struct xtcp_row *out)
{
	static struct xtcp_row rows[4096];
	int i, n = xtcp_read_rows(path, rows, 4096);

	for (i = 0; i < n && i < 4096; i++)
		if (rows[i].inode == ino) {
			*out = rows[i];
			return 1;
		}
	return 0;
}

/*
 * Timestamps (net.xtcp.timestamps, on by default, as on TCP) take this
 * many bytes of every segment: TCP_MAXSEG set to N + XTCP_TS_LEN gives
 * segments of N bytes.
 */
#define XTCP_TS_LEN	12

/* A counter from /proc/net/xtcp_stat, or -1 if absent. */
static inline long xtcp_counter(const char *name)
{
	char key[64];
	long v;
	FILE *f = fopen("/proc/net/xtcp_stat", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2)
		if (!strcmp(key, name)) {
			fclose(f);
			return v;
		}
	fclose(f);
	return -1;
}

/*
 * Stream sockets of either implementation.  The socket API tests run each
 * case twice, on the kernel's own TCP (the reference) and on xtcp; @xtcp
 * picks which, and the rest of a test is the same code for both.
 */
static inline int stream_socket(bool xtcp, int flags)
{
	if (xtcp)
		return socket(xtcp_af(), SOCK_STREAM | flags, 0);
	return socket(AF_INET, SOCK_STREAM | flags, IPPROTO_TCP);
}

/*
 * Does SOL_SOCKET reach xtcp's own setsockopt() (SOCK_CUSTOM_SOCKOPT,
 * module/compat.h)?  6.12 lets it; 6.1's socket core keeps it.
 */
static inline bool xtcp_takes_sol_socket(void)
{
	struct utsname u;

	return uname(&u) || strncmp(u.release, "6.1.", 4);
}

/*
 * SO_REUSEPORT on @fd.  On xtcp, kernels that keep SOL_SOCKET's
 * SO_REUSEPORT to AF_INET/AF_INET6 (6.1) answer EOPNOTSUPP, and
 * XTCP_REUSEPORT sets the same flag; 6.12 takes SOL_SOCKET's, so a
 * refusal there fails with EPROTO.  0, or -1 with errno set.
 */
static inline int stream_reuseport(bool xtcp, int fd)
{
	int one = 1;

	if (!setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)))
		return 0;
	if (!xtcp || errno != EOPNOTSUPP)
		return -1;
	if (xtcp_takes_sol_socket()) {
		errno = EPROTO;
		return -1;
	}
	return setsockopt(fd, xtcp_proto(), XTCP_REUSEPORT, &one, sizeof(one));
}

/*
 * The connection state (enum xtcp_state, which is TCP's numbering) from the
 * first byte of TCP_INFO or XTCP_INFO; -1 on error.
 */
static inline int stream_state(bool xtcp, int fd)
{
	unsigned char st;
	socklen_t len = sizeof(st);

	if (getsockopt(fd, xtcp ? xtcp_proto() : IPPROTO_TCP,
		       xtcp ? XTCP_INFO : TCP_INFO, &st, &len) || len != sizeof(st))
		return -1;
	return st;
}

/* An AF_INET address from a host-order address and port. */
static inline struct sockaddr_in sin_of(in_addr_t addr, in_port_t port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(addr),
	};

	return sin;
}

/* getsockname()/getpeername() into a sockaddr_in; -1 unless it fills one. */
static inline int sock_name(int fd, struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);

	memset(sin, 0xaa, sizeof(*sin));
	if (getsockname(fd, (struct sockaddr *)sin, &len))
		return -1;
	return len == sizeof(*sin) ? 0 : -1;
}

static inline int peer_name(int fd, struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);

	memset(sin, 0xaa, sizeof(*sin));
	if (getpeername(fd, (struct sockaddr *)sin, &len))
		return -1;
	return len == sizeof(*sin) ? 0 : -1;
}

static inline bool sin_equal(const struct sockaddr_in *a,
			     const struct sockaddr_in *b)
{
	return a->sin_family == b->sin_family && a->sin_port == b->sin_port &&
	       a->sin_addr.s_addr == b->sin_addr.s_addr;
}

/* Close *@fd if it is open (>= 0), and mark it closed (-1). */
static inline void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static inline void close_keep_errno(int fd)
{
	int e = errno;

	close(fd);
	errno = e;
}

/*
 * A listener on 127.0.0.1 and an ephemeral port; its address goes to @addr.
 * Returns the socket, or -1 with errno set.
 */
static inline int stream_listener(bool xtcp, int backlog, struct sockaddr_in *addr)
{
	struct sockaddr_in sin = sin_of(INADDR_LOOPBACK, 0);
	int fd = stream_socket(xtcp, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, backlog) ||
	    sock_name(fd, addr)) {
		close_keep_errno(fd);
		return -1;
	}
	return fd;
}

/* A blocking connect to @to; the connected socket, or -1 with errno set. */
static inline int stream_connect(bool xtcp, const struct sockaddr_in *to)
{
	int fd = stream_socket(xtcp, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to))) {
		close_keep_errno(fd);
		return -1;
	}
	return fd;
}

/*
 * An IPv6-API stream socket: TCP's AF_INET6, or an xtcp socket made one by
 * its first sockaddr_in6 (a bind to ff02::1, which both refuse with
 * EINVAL: xtcp_sock.v6_api's rule counts refused addresses too).  @flags
 * as for socket(); -1 with errno set (EPROTO: the bind was not refused).
 */
static inline int stream6_socket(bool xtcp, int flags)
{
	struct sockaddr_in6 mc = {
		.sin6_family = AF_INET6,
		.sin6_addr.s6_addr = { 0xff, 0x02, [15] = 1 },
	};
	int fd;

	if (xtcp)
		fd = socket(xtcp_af(), SOCK_STREAM | flags, 0);
	else
		fd = socket(AF_INET6, SOCK_STREAM | flags, IPPROTO_TCP);
	if (fd < 0)
		return -1;
	if (xtcp && (bind(fd, (struct sockaddr *)&mc, sizeof(mc)) != -1 ||
		     errno != EINVAL)) {
		close(fd);
		errno = EPROTO;
		return -1;
	}
	return fd;
}

/* @addr (text) and @port as a sockaddr_in6; AF_UNSPEC if @addr is no address */
static inline struct sockaddr_in6 sin6_of(const char *addr, in_port_t port)
{
	struct sockaddr_in6 sin6 = {
		.sin6_family = AF_INET6,
		.sin6_port = htons(port),
	};

	if (inet_pton(AF_INET6, addr, &sin6.sin6_addr) != 1)
		sin6.sin6_family = AF_UNSPEC;	/* a test's own mistake */
	return sin6;
}

/*
 * Move this thread into network namespace @ns (a file descriptor);
 * returns the descriptor of the one it left, for netns_leave(), or -1
 * with errno set and nothing changed.
 */
static inline int netns_enter(int ns)
{
	int here = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	if (here < 0 || setns(ns, CLONE_NEWNET)) {
		close_keep_errno(here);
		return -1;
	}
	return here;
}

/* Back to @here, from netns_enter(), which it closes; 0, or -1 */
static inline int netns_leave(int here)
{
	int ret = setns(here, CLONE_NEWNET);

	close_keep_errno(here);
	return ret;
}

/*
 * A connection over IPv6 between blocking IPv6-API sockets: a listener on
 * [@addr]:0 in network namespace @there (-1: this one), a client here
 * connected to it; *cli and *srv as stream_pair()'s.  Returns 0, or -1
 * with errno set.
 */
static inline int stream6_pair(bool xtcp, const char *addr, int there,
			       int *cli, int *srv)
{
	struct sockaddr_in6 to = sin6_of(addr, 0);
	socklen_t len = sizeof(to);
	int here = -1, lfd, ret = -1;

	*cli = -1;
	*srv = -1;
	if (there >= 0) {
		here = netns_enter(there);
		if (here < 0)
			return -1;
	}
	lfd = stream6_socket(xtcp, 0);
	if (lfd >= 0 && (bind(lfd, (struct sockaddr *)&to, sizeof(to)) ||
			 listen(lfd, 1) ||
			 getsockname(lfd, (struct sockaddr *)&to, &len)))
		close_fd(&lfd);
	if (here >= 0 && netns_leave(here))
		close_fd(&lfd);		/* the test cannot go on here */
	if (lfd < 0)
		return -1;
	*cli = stream6_socket(xtcp, 0);
	if (*cli >= 0 && connect(*cli, (struct sockaddr *)&to, sizeof(to)))
		close_fd(cli);
	if (*cli >= 0) {
		*srv = accept(lfd, NULL, NULL);
		if (*srv < 0)
			close_fd(cli);
		else
			ret = 0;
	}
	close_keep_errno(lfd);
	return ret;
}

/*
 * Sockets of either address family for the tests that run over IPv4 and
 * IPv6 alike: @v6 picks an IPv6-API socket (stream6_socket()) and
 * sockaddr_in6 addresses, else an IPv4 one and sockaddr_in.  struct sa46
 * holds either address with the length bind() and connect() take.
 */
struct sa46 {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	};
	socklen_t len;
};

static inline int fam46(bool v6)
{
	return v6 ? AF_INET6 : AF_INET;
}

/* @v4 (host order) or @v6addr (text), with @port */
static inline struct sa46 sa46_of(bool v6, in_addr_t v4, const char *v6addr,
				  in_port_t port)
{
	struct sa46 a;

	memset(&a, 0, sizeof(a));
	if (v6) {
		a.in6 = sin6_of(v6addr, port);
		a.len = sizeof(a.in6);
	} else {
		a.in = sin_of(v4, port);
		a.len = sizeof(a.in);
	}
	return a;
}

/* 127.0.0.1 or ::1 */
static inline struct sa46 sa46_lo(bool v6, in_port_t port)
{
	return sa46_of(v6, INADDR_LOOPBACK, "::1", port);
}

/* 0.0.0.0 or :: */
static inline struct sa46 sa46_any(bool v6, in_port_t port)
{
	return sa46_of(v6, INADDR_ANY, "::", port);
}

static inline int sa46_port(const struct sa46 *a)
{
	return ntohs(a->sa.sa_family == AF_INET6 ? a->in6.sin6_port : a->in.sin_port);
}

static inline void sa46_set_port(struct sa46 *a, in_port_t port)
{
	if (a->sa.sa_family == AF_INET6)
		a->in6.sin6_port = htons(port);
	else
		a->in.sin_port = htons(port);
}

/* the same family, address and port */
static inline bool sa46_equal(const struct sa46 *a, const struct sa46 *b)
{
	if (a->sa.sa_family != b->sa.sa_family || sa46_port(a) != sa46_port(b))
		return false;
	if (a->sa.sa_family == AF_INET6)
		return !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr,
			       sizeof(a->in6.sin6_addr));
	return a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
}

/* the address of @a (not its port) is @b's */
static inline bool sa46_same_addr(const struct sa46 *a, const struct sa46 *b)
{
	struct sa46 c = *b;

	sa46_set_port(&c, sa46_port(a));
	return sa46_equal(a, &c);
}

/*
 * getsockname()/getpeername() into @a; -1 unless it fills a whole
 * sockaddr_in or sockaddr_in6 (with errno set on the call's failure).
 */
static inline int sa46_name(int fd, struct sa46 *a, bool peer)
{
	socklen_t len = sizeof(a->in6);

	memset(a, 0xaa, sizeof(*a));
	if ((peer ? getpeername : getsockname)(fd, &a->sa, &len))
		return -1;
	a->len = len;
	if (a->sa.sa_family == AF_INET6)
		return len == sizeof(a->in6) ? 0 : -1;
	return a->sa.sa_family == AF_INET && len == sizeof(a->in) ? 0 : -1;
}

/* @a's address as /proc/net/{tcp,tcp6,xtcp,xtcp6} print it (raw words, %08X) */
static inline const char *sa46_hex(const struct sa46 *a, char buf[33])
{
	int i;

	if (a->sa.sa_family != AF_INET6) {
		snprintf(buf, 33, "%08X", a->in.sin_addr.s_addr);
		return buf;
	}
	for (i = 0; i < 4; i++)
		snprintf(buf + 8 * i, 33 - 8 * i, "%08X", a->in6.sin6_addr.s6_addr32[i]);
	return buf;
}

static inline int name46(int fd, struct sa46 *a)
{
	return sa46_name(fd, a, false);
}

static inline int peer46(int fd, struct sa46 *a)
{
	return sa46_name(fd, a, true);
}

static inline int socket46(bool xtcp, bool v6, int flags)
{
	return v6 ? stream6_socket(xtcp, flags) : stream_socket(xtcp, flags);
}

/* stream_listener() on 127.0.0.1 or ::1 */
static inline int listener46(bool xtcp, bool v6, int backlog, struct sa46 *addr)
{
	struct sa46 a = sa46_lo(v6, 0);
	int fd = socket46(xtcp, v6, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, &a.sa, a.len) || listen(fd, backlog) || name46(fd, addr)) {
		close_keep_errno(fd);
		return -1;
	}
	return fd;
}

/* stream_connect() to @to */
static inline int connect46(bool xtcp, bool v6, const struct sa46 *to)
{
	int fd = socket46(xtcp, v6, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, &to->sa, to->len)) {
		close_keep_errno(fd);
		return -1;
	}
	return fd;
}

/*
 * A connection over 127.0.0.1 or ::1: *cli connected, *srv accepted (the
 * listener is closed again).  Returns 0, or -1 with errno set.
 */
static inline int pair46(bool xtcp, bool v6, int *cli, int *srv)
{
	struct sa46 addr;
	int lfd = listener46(xtcp, v6, 1, &addr);

	if (lfd < 0)
		return -1;
	*cli = connect46(xtcp, v6, &addr);
	if (*cli < 0) {
		close_keep_errno(lfd);
		return -1;
	}
	*srv = accept(lfd, NULL, NULL);
	if (*srv < 0) {
		close_keep_errno(*cli);
		close_keep_errno(lfd);
		return -1;
	}
	close(lfd);
	return 0;
}

/* pair46() over 127.0.0.1 */
static inline int stream_pair(bool xtcp, int *cli, int *srv)
{
	return pair46(xtcp, false, cli, srv);
}

/* The inode of a socket, as /proc/net/{tcp,xtcp} print it. */
static inline unsigned long sock_inode(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return 0;
	return st.st_ino;
}

/**
 * struct inet_row - the columns /proc/net/xtcp shares with /proc/net/tcp
 * (and the IPv6 files: tcp6, xtcp6)
 * @laddr: local address, the raw __be32 as printed (%08X); 0 in an IPv6 file
 * @laddr_hex: local address as printed (8 hex digits, or 32 in an IPv6 file)
 * @lport: local port, host order
 * @raddr: remote address, as @laddr
 * @raddr_hex: remote address, as @laddr_hex
 * @rport: remote port, host order
 * @st: state number (TCP's numbering)
 * @txq: tx_queue
 * @rxq: rx_queue
 * @uid: owner
 * @inode: socket inode
 * @state: state name (/proc/net/xtcp only; empty for /proc/net/tcp)
 */
struct inet_row {
	unsigned int laddr, lport, raddr, rport, st, txq, rxq, uid;
	unsigned long inode;
	char state[32];
	char laddr_hex[33], raddr_hex[33];
};

/*
 * Find the row of the socket with inode @ino in /proc/net/tcp or
 * /proc/net/xtcp, or their IPv6 files (@named: the file has xtcp's state
 * name column).
 * Returns 1 if found, 0 if not, -1 if the file cannot be read.
 */
/* sl, addresses (8 hex digits or 32) and ports, st, queues, uid, inode */
#define INET_ROW_FMT	" %*d: %32[0-9A-Fa-f]:%x %32[0-9A-Fa-f]:%x %x %x:%x %*x:%*x %*x %u %*d %lu%n"

static inline int inet_proc_find(const char *path, bool named,
				 unsigned long ino, struct inet_row *out)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int found = 0;

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -1;
	}
	while (!found && fgets(line, sizeof(line), f)) {
		struct inet_row r = { .state = "" };
		int pos = 0;

		if (sscanf(line, INET_ROW_FMT, r.laddr_hex, &r.lport, r.raddr_hex,
			   &r.rport, &r.st, &r.txq, &r.rxq, &r.uid, &r.inode,
			   &pos) != 9 || r.inode != ino)
			continue;
		if (strlen(r.laddr_hex) == 8) {
			r.laddr = strtoul(r.laddr_hex, NULL, 16);
			r.raddr = strtoul(r.raddr_hex, NULL, 16);
		}
		if (named && sscanf(line + pos, "%31s", r.state) != 1)
			continue;
		*out = r;
		found = 1;
	}
	fclose(f);
	return found;
}

/* Send all of @buf (blocking, no SIGPIPE); 0, or -1 with errno. */
static inline int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * How long a test waits for something that must happen (a segment
 * delivered on loopback, a state reached, a timer run) before it calls it
 * a failure.  Only a bound for a failure: a passing test never waits it
 * out.  A guest under load may leave softirq work to ksoftirqd and a test
 * off the CPU for seconds, so it is generous; a test using it for more
 * than a few waits needs TEST_F_TIMEOUT above the harness's 30 s.
 */
#define XTCP_WAIT_MS	60000

/*
 * Milliseconds on the kernel's timer clock: how long @fd, an xtcp socket
 * whose state does not change (an idle listener), has been in its state
 * (XTCP_INFO, counted in jiffies, as state_ms is); -1 on error.  The
 * lower bounds of kernel timeouts are measured on it: on a busy TCG guest
 * CLOCK_MONOTONIC and the timer wheel have been seen to disagree by
 * hundreds of milliseconds (a 2 s user timeout that the monotonic clock
 * saw end after 1.3 s).
 */
static inline long long timer_ms(int fd)
{
	struct xtcp_info info;
	socklen_t len = sizeof(info);

	if (getsockopt(fd, xtcp_proto(), XTCP_INFO, &info, &len))
		return -1;
	return info.xtcpi_state_ms;
}

/* A TcpExt counter of /proc/net/netstat (the kernel's TCP), or -1. */
static inline long tcpext(const char *name)
{
	static char names[8192], vals[8192];
	FILE *f = fopen("/proc/net/netstat", "r");
	char *n, *v, *sn, *sv;
	long found = -1;

	if (!f)
		return -1;
	while (fgets(names, sizeof(names), f) && fgets(vals, sizeof(vals), f)) {
		if (strncmp(names, "TcpExt:", 7))
			continue;
		n = strtok_r(names + 7, "\n ", &sn);
		v = strtok_r(vals + 7, "\n ", &sv);
		while (n && v) {
			if (!strcmp(n, name))
				found = atol(v);
			n = strtok_r(NULL, "\n ", &sn);
			v = strtok_r(NULL, "\n ", &sv);
		}
	}
	fclose(f);
	return found;
}

/* Milliseconds on the monotonic clock. */
static inline long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Wait up to @ms for the connection of @fd (an xtcp socket, else TCP's) to
 * be in state @st, by XTCP_INFO/TCP_INFO.  A state change can come an
 * instant after the event that tells of it (TCP sets sk_err, then ends the
 * connection), so a test waits for the state rather than reading it once.
 */
static inline bool wait_stream_state(bool xtcp, int fd, int st, int ms)
{
	long long end = now_ms() + ms;

	do {
		if (stream_state(xtcp, fd) == st)
			return true;
		usleep(2000);
	} while (now_ms() < end);
	return false;
}

/*
 * Wait up to @ms for counter @name of /proc/net/xtcp_stat to reach @want
 * (at least, or exactly with @exact: a gauge coming down); its last value.
 * The wait bounds a failure, it is never the verdict.
 */
static inline long xtcp_wait_counter(const char *name, long want, bool exact,
				     int ms)
{
	long long end = now_ms() + ms;
	long v;

	for (;;) {
		v = xtcp_counter(name);
		if ((exact ? v == want : v >= want) || now_ms() >= end)
			return v;
		usleep(5000);
	}
}

/*
 * poll() one socket until one of @events (or an error/hangup) shows or
 * @timeout_ms passes; returns revents (0 on timeout), -1 on error.
 */
static inline int wait_revents(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = poll(&p, 1, timeout_ms);

	if (n < 0)
		return -1;
	return n ? p.revents : 0;
}

/*
 * The SO_TIMESTAMPNS stamp (CLOCK_REALTIME) that recvmsg() put in @mh's
 * control data, in microseconds; 0 if there is none.
 */
static inline long long cmsg_stamp_us(struct msghdr *mh)
{
	struct cmsghdr *cm;
	struct timespec ts;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_TIMESTAMPNS)
			continue;
		memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
		return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
	}
	return 0;
}

/*
 * Run a shell command, formatted printf-style, with system(); its exit
 * status, or -1 if it did not exit (killed, no shell) or does not fit the
 * buffer (then it is not run).
 */
static inline int __printf(1, 2) xtcp_sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int len, rc;

	va_start(ap, fmt);
	len = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (len < 0 || len >= (int)sizeof(cmd))
		return -1;
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Bring up lo in the current network namespace (a new one starts down). */
static inline int xtcp_lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int ret;

	if (fd < 0)
		return -1;
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (!ret) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return ret;
}

/*
 * Move the calling process into a network namespace of its own, lo up,
 * and check xtcp is there and the namespace has no row yet.  Returns ""
 * on success, else what failed (for ASSERT_STREQ("", ...) to print).
 */
static inline const char *xtcp_fresh_netns(void)
{
	static char why[160];
	int fd;

	if (unshare(CLONE_NEWNET)) {
		snprintf(why, sizeof(why), "unshare: %s (not root?)", strerror(errno));
		return why;
	}
	if (xtcp_lo_up()) {
		snprintf(why, sizeof(why), "lo up: %s", strerror(errno));
		return why;
	}
	fd = socket(xtcp_af(), SOCK_STREAM, 0);
	if (fd < 0) {
		snprintf(why, sizeof(why), "xtcp socket: %s (module loaded?)",
			 strerror(errno));
		return why;
	}
	close(fd);
	if (xtcp_read_rows("/proc/net/xtcp", NULL, 0))
		return "/proc/net/xtcp of a new namespace is not empty";
	return "";
}

/*
 * A veth pair from this network namespace (x60: fd00:9::1/64, fe80::1/64)
 * to a new named one, @ns (x61: fd00:9::2/64, fe80::2/64), both up, with
 * no address but these (no DAD, no SLAAC).  Returns "" or the step that
 * failed; the caller deletes @ns ("ip netns del") when done.
 */
static inline const char *xtcp_veth6(const char *ns)
{
	if (xtcp_sh("ip netns add %s", ns))
		return "ip netns add";
	if (xtcp_sh("ip link add x60 type veth peer name x61 netns %s", ns))
		return "no veth pair";
	if (xtcp_sh("ip link set x60 addrgenmode none") ||
	    xtcp_sh("ip -n %s link set x61 addrgenmode none", ns))
		return "addrgenmode none";
	if (xtcp_sh("ip -6 addr add fd00:9::1/64 dev x60 nodad") ||
	    xtcp_sh("ip -6 addr add fe80::1/64 dev x60 nodad") ||
	    xtcp_sh("ip link set x60 up"))
		return "x60's addresses";
	if (xtcp_sh("ip -n %s -6 addr add fd00:9::2/64 dev x61 nodad", ns) ||
	    xtcp_sh("ip -n %s -6 addr add fe80::2/64 dev x61 nodad", ns) ||
	    xtcp_sh("ip -n %s link set x61 up", ns))
		return "x61's addresses";
	return "";
}

/*
 * The kernel's TCP runs beside xtcp in the tests, as the reference.  A
 * lane that looks only for xtcp's own kernel bugs (the debug kernel's,
 * scripts/check.sh) leaves it out with XTCP_NO_TCP_REFERENCE=1; the
 * Debian kernels' lanes run it.
 */
static inline bool xtcp_tcp_reference_off(void)
{
	const char *v = getenv("XTCP_NO_TCP_REFERENCE");

	return v && *v && strcmp(v, "0");
}

/*
 * In a fixture's setup: skip a TCP variant when the reference is off.
 * kselftest_harness.h runs the test body after a SKIP() in setup, so
 * the test's process leaves as a skipped test's does: exit code 255 in
 * the harness the tests are built with (6.1's, scripts/kernels.conf);
 * later harnesses use KSFT_SKIP and skip the body themselves.
 */
#define XTCP_SKIP_TCP_REFERENCE(is_xtcp) do {				\
	if (!(is_xtcp) && xtcp_tcp_reference_off())			\
		SKIP(_exit(255), "TCP's reference (XTCP_NO_TCP_REFERENCE)"); \
} while (0)

/* @n scaled by $XTCP_LOAD_PERCENT (default 100), at least 1. */
static inline long xtcp_scaled(long n)
{
	const char *pct = getenv("XTCP_LOAD_PERCENT");
	long v = pct ? n * atol(pct) / 100 : n;

	return v > 0 ? v : 1;
}

/* xtcp_scaled(@n), but at least @min: what a scaled-down run still needs. */
static inline long xtcp_scaled_min(long n, long min)
{
	long v = xtcp_scaled(n);

	return v > min ? v : min;
}

/*
 * Write @len bytes to file @path in one write(2); 0, or the errno of
 * open/write (EIO for a short write).
 */
static inline int write_file(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return errno;
	n = write(fd, buf, len);
	err = n < 0 ? errno : (size_t)n == len ? 0 : EIO;
	close(fd);
	return err;
}

#define XTCP_TRACEFS	"/sys/kernel/tracing"

/*
 * A tracefs instance of our own, XTCP_TRACEFS/instances/TAG_PID, written
 * to @dir (@n bytes), with @events on ("xtcp": all of xtcp's events;
 * "xtcp/xtcp_cwnd": one) and a 4 MiB buffer.  0, else -1 or an errno.
 */
static inline int xtcp_trace_start(char *dir, size_t n, const char *tag,
				   const char *events)
{
	char path[256];

	if (access(XTCP_TRACEFS "/instances", F_OK) &&
	    mount("tracefs", XTCP_TRACEFS, "tracefs", 0, NULL))
		return -1;
	snprintf(dir, n, XTCP_TRACEFS "/instances/%s_%d", tag, getpid());
	rmdir(dir);
	if (mkdir(dir, 0700))
		return -1;
	snprintf(path, sizeof(path), "%s/buffer_size_kb", dir);
	write_file(path, "4096", 4);
	snprintf(path, sizeof(path), "%s/events/%s/enable", dir, events);
	return write_file(path, "1", 1);
}

/* Switch @events off and remove the instance at @dir (empty: none). */
static inline void xtcp_trace_stop(char *dir, const char *events)
{
	char path[256];

	if (!dir[0])
		return;
	snprintf(path, sizeof(path), "%s/events/%s/enable", dir, events);
	write_file(path, "0", 1);
	rmdir(dir);
	dir[0] = 0;
}

/*
 * Fault injection is a module of its own, xtcp_fault.ko, beside xtcp.ko
 * ($XTCP_FAULT_MODULE, else xtcp_fault.ko in $XTCP_MODULE's directory):
 * load it unless /proc/net/xtcp_fault is there.  0 or the errno.
 */
static inline int xtcp_fault_load(void)
{
	const char *ko = getenv("XTCP_FAULT_MODULE"), *main_ko;
	char path[PATH_MAX];
	int fd, err = 0;

	if (!access("/proc/net/xtcp_fault", F_OK))
		return 0;
	if (!ko) {
		const char *slash;

		main_ko = getenv("XTCP_MODULE");
		slash = main_ko ? strrchr(main_ko, '/') : NULL;
		if (!slash) {
			errno = ENOENT;	/* no $XTCP_MODULE to look beside */
			return errno;
		}
		snprintf(path, sizeof(path), "%.*s/xtcp_fault.ko",
			 (int)(slash - main_ko), main_ko);
		ko = path;
	}
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (syscall(__NR_finit_module, fd, "", 0) && errno != EEXIST)
		err = errno;
	close(fd);
	return err;
}

/* Unload xtcp_fault.ko (before xtcp.ko, which it uses); 0 or the errno. */
static inline int xtcp_fault_unload(void)
{
	if (syscall(__NR_delete_module, "xtcp_fault", O_NONBLOCK) &&
	    errno != ENOENT)
		return errno;
	return 0;
}

/* Write @len bytes to this namespace's /proc/net/xtcp_fault; 0 or the errno. */
static inline int xtcp_fault_write(const char *buf, size_t len)
{
	int err = xtcp_fault_load();

	return err ? err : write_file("/proc/net/xtcp_fault", buf, len);
}

/* Write @val to this namespace's /proc/sys/net/xtcp/@name; 0 or the errno. */
static inline int xtcp_sysctl_write(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "/proc/sys/net/xtcp/%s", name);
	return write_file(path, val, strlen(val));
}

/* Set /proc/sys/net/xtcp/@name to @val; 0 or the errno (EINVAL: refused). */
static inline int xtcp_sysctl_set(const char *name, long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld\n", val);
	return xtcp_sysctl_write(name, buf);
}

/* The value of /proc/sys/net/xtcp/@name, or -1. */
static inline long xtcp_sysctl_get(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/proc/sys/net/xtcp/%s", name);
	return read_int_file(path, -1);
}

/*
 * Empty this namespace at a test's end: orphans in FIN_WAIT_2 go after a
 * second, TIME_WAIT entries at once (msl_ms 1).  Waits up to @ms for no
 * socket and no entry; true if that was reached.  Sockets must be closed.
 */
static inline bool xtcp_ns_drain(int ms)
{
	long long end = now_ms() + ms;

	xtcp_sysctl_set("fin_timeout_ms", 1000);
	xtcp_sysctl_set("msl_ms", 1);
	while (xtcp_counter("CurrSockets") || xtcp_counter("CurrTimeWait")) {
		if (now_ms() >= end)
			return false;
		usleep(20000);
	}
	return true;
}

/*
 * Segments the fault rules of this namespace dropped ("drops" in
 * /proc/net/xtcp_fault); 0 without xtcp_fault.ko, -1 if unreadable.
 */
static inline long xtcp_fault_drops(void)
{
	FILE *f = fopen("/proc/net/xtcp_fault", "re");
	long v = -1;

	if (!f)
		return errno == ENOENT ? 0 : -1;
	if (fscanf(f, "drops %ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* One fault-injection command ("add ...", "del N", "clear"); 0 or the errno. */
static inline int xtcp_fault_cmd(const char *cmd)
{
	return xtcp_fault_write(cmd, strlen(cmd));
}

/*
 * Shrink slab cache @name (best effort).  On a KASAN kernel this also
 * empties the cache's part of the quarantine, where freed objects wait,
 * still counted in /proc/slabinfo and /proc/meminfo.
 */
static inline void slab_shrink(const char *name)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t w = write(fd, "1", 1);

		(void)w;
		close(fd);
	}
}

/**
 * struct xtcp_rule_count - a fault rule's counters, from its listing line
 * @matched: segments that fit the rule
 * @dropped: of those, dropped by it
 * @delayed: of those, delayed by it
 */
struct xtcp_rule_count {
	long matched, dropped, delayed;
};

/* The counters of fault rule @id; 0, or -1 if it is not listed. */
static inline int xtcp_fault_rule(unsigned int id, struct xtcp_rule_count *rc)
{
	FILE *f = fopen("/proc/net/xtcp_fault", "r");
	char line[512];
	int ret = -1;

	if (!f)
		return -1;
	while (ret && fgets(line, sizeof(line), f)) {
		const char *m = strstr(line, " matched=");
		unsigned int got;

		if (sscanf(line, "id=%u ", &got) != 1 || got != id || !m)
			continue;
		if (sscanf(m, " matched=%ld dropped=%ld delayed=%ld", &rc->matched,
			   &rc->dropped, &rc->delayed) == 3)
			ret = 0;
	}
	fclose(f);
	return ret;
}

/* The id of the newest fault rule (listed last, as ids grow), or 0. */
static inline unsigned int xtcp_fault_last_id(void)
{
	FILE *f = fopen("/proc/net/xtcp_fault", "r");
	unsigned int id = 0, got;
	char line[512];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "id=%u ", &got) == 1)
			id = got;
	fclose(f);
	return id;
}

/*
 * Objects in use in slab cache @name (/proc/slabinfo's active_objs), or -1
 * if it is not listed.  The cache is shrunk first (see slab_shrink()).
 */
static inline long slab_objs(const char *name)
{
	char line[512], got[64];
	long active = -1, v;
	FILE *f;

	slab_shrink(name);
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", got, &v) == 2 && !strcmp(got, name))
			active = v;
	fclose(f);
	return active;
}

/* Wait up to @ms for slab cache @name to hold @want objects or fewer. */
static inline long slab_settle(const char *name, long want, int ms)
{
	long long end = now_ms() + ms;
	long n;

	while ((n = slab_objs(name)) > want && now_ms() < end)
		usleep(100000);
	return n;
}

static inline int set_int(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v));
}

/* An int socket option, or -1 (with errno) if it cannot be read. */
static inline int get_int(int fd, int level, int opt)
{
	int v;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, level, opt, &v, &len))
		return -1;
	return v;
}

/*
 * TCP_INFO as the kernel fills it, through the segment counters: glibc's
 * struct tcp_info (<netinet/tcp.h>) stops at tcpi_total_retrans, the
 * kernel's (<linux/tcp.h>, which cannot be included beside it) goes on
 * with these.
 */
struct tcp_info_segs {
	struct tcp_info ti;
	__u64 pacing_rate;
	__u64 max_pacing_rate;
	__u64 bytes_acked;
	__u64 bytes_received;
	__u32 segs_out;
	__u32 segs_in;
	__u32 notsent_bytes;
	__u32 min_rtt;
	__u32 data_segs_in;
	__u32 data_segs_out;
};

/* Read @fd's TCP_INFO into @info; 0, or -1 (with errno). */
static inline int tcp_info_segs(int fd, struct tcp_info_segs *info)
{
	socklen_t len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, info, &len))
		return -1;
	if (len < sizeof(*info)) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* An int an ioctl() reports (SIOCINQ, SIOCOUTQ, ...), or -errno. */
static inline int ioctl_int(int fd, unsigned long req)
{
	int v = -1;

	return ioctl(fd, req, &v) ? -errno : v;
}

/* Wait until @fd holds @want unread bytes (XTCP_WAIT_MS); what it holds. */
static inline int inq_reaches(int fd, int want)
{
	long long end = now_ms() + XTCP_WAIT_MS;
	int n;

	while ((n = ioctl_int(fd, SIOCINQ)) != want && now_ms() < end)
		usleep(1000);
	return n;
}

/* Wait until all @fd sent is acknowledged (XTCP_WAIT_MS); what is left. */
static inline int outq_drains(int fd)
{
	long long end = now_ms() + XTCP_WAIT_MS;
	int n;

	while ((n = ioctl_int(fd, SIOCOUTQ)) && now_ms() < end)
		usleep(1000);
	return n;
}

/* ---- test data: streams whose every byte is known ---- */

/* Byte @off of stream @id: no short period, so a misplaced block shows. */
static inline unsigned char pat_byte(unsigned int id, size_t off)
{
	__u32 x = (__u32)off * 2654435761u ^ (id + 1) * 0x85ebca6bu;

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	return x >> 24;
}

static inline void pat_fill(unsigned char *p, size_t len, unsigned int id,
			    size_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pat_byte(id, off + i);
}

/* Index of the first byte of @p that is not stream @id at @off, or -1. */
static inline long pat_check(const unsigned char *p, size_t len,
			     unsigned int id, size_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pat_byte(id, off + i))
			return i;
	return -1;
}

/*
 * Receive exactly @len bytes, waiting at most @timeout_ms for each piece;
 * 0, or -1 with errno (ETIMEDOUT when nothing came in time, EPIPE at end
 * of stream).
 */
static inline int recv_exact(int fd, void *buf, size_t len, int timeout_ms)
{
	char *p = buf;

	while (len) {
		ssize_t n;

		if (!(wait_revents(fd, POLLIN, timeout_ms) & (POLLIN | POLLERR | POLLHUP))) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = recv(fd, p, len, MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n <= 0) {
			if (!n)
				errno = EPIPE;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* Clear O_NONBLOCK on @fd; 0, or -1 with errno */
static inline int blocking(int fd)
{
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
}

#define XTCP_STREAM_BYTES	(256 * 1024)

/*
 * XTCP_STREAM_BYTES from connected @c to its accepted @s, checked byte for
 * byte, then as many back (@c's side in a child process; both ends made
 * blocking).  "" if all arrived intact, else what failed.
 */
static inline const char *stream_both_ways(int c, int s)
{
	static unsigned char buf[XTCP_STREAM_BYTES];
	int st;
	pid_t pid;

	if (blocking(c) || blocking(s))
		return "fcntl";
	pid = fork();
	if (pid < 0)
		return "fork";
	if (pid && (recv_exact(s, buf, sizeof(buf), XTCP_WAIT_MS) ||
		    pat_check(buf, sizeof(buf), 1, 0) >= 0)) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		return "server: receive, or bytes differ";
	}
	if (!pid) {
		/* the client: its stream out, then the server's back */
		pat_fill(buf, sizeof(buf), 1, 0);
		if (send_all(c, buf, sizeof(buf)))
			_exit(1);
		if (recv_exact(c, buf, sizeof(buf), XTCP_WAIT_MS))
			_exit(2);
		_exit(pat_check(buf, sizeof(buf), 2, 0) < 0 ? 0 : 3);
	}
	pat_fill(buf, sizeof(buf), 2, 0);
	if (send_all(s, buf, sizeof(buf))) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		return "server: send";
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return "client: did not exit";
	switch (WEXITSTATUS(st)) {
	case 0:
		return "";
	case 1:
		return "client: send";
	case 2:
		return "client: receive";
	default:
		return "client: bytes differ";
	}
}

#endif /* _XTCP_SELFTEST_UTIL_H */
