// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp selftests: the stream socket API.  bind, listen, connect, accept,
 * send and receive, readiness, socket options and /proc/net/xtcp, each
 * case run twice through FIXTURE_VARIANT: on the kernel's own TCP
 * (AF_INET, SOCK_STREAM, IPPROTO_TCP) as the reference, and on xtcp.
 *
 * The expectations written here are what TCP does: the tcp variant checks
 * the tests themselves, the xtcp variant holds xtcp to them.  Where a test
 * can, it also runs the same steps on a TCP socket next to the xtcp one
 * and compares the two directly (errno, poll masks, option values).  Where
 * xtcp is allowed to differ, the comment at the test says by how much.
 *
 * Everything runs on 127.0.0.1 with ports the kernel picks (bind to port
 * 0, then getsockname()), except the tests that need routes of their own:
 * they run in a child in a new network namespace.  Every test runs over
 * IPv6 as well, between IPv6-API sockets of each protocol: the stream
 * fixture's on ::1 (variants tcp6 and xtcp6; the few that are about IPv4
 * addresses or IPv4 routes skip there, and xtcp_ipv6.c has IPv6
 * counterparts of most), the conn fixture's on ::1 and across a veth
 * pair.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <linux/sockios.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"

/* Everything a stream socket can report that the tests ask poll() about. */
#define POLL_ALL	(POLLIN | POLLOUT | POLLRDHUP | POLLPRI)

/* What is there to read/write without blocking, right now. */
static int revents_now(int fd)
{
	return wait_revents(fd, POLL_ALL, 0);
}

/* Receive exactly @len bytes; -1 on error or end of stream. */
static int recv_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int set_timeout(int fd, int opt, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };

	return setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

/* The child's exit status, or -1 if it did not exit normally. */
static int child_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * A forked helper's end: exit 0 if its checks passed.  A failed ASSERT_*
 * in the child aborts it instead, which child_status() reports as -1.
 */
#define CHILD_EXIT() _exit(_metadata->passed ? 0 : 1)

/* The range bind(port 0) and connect() pick local ports from. */
static void ephemeral_range(int *lo, int *hi)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");

	*lo = 32768;
	*hi = 60999;
	if (!f)
		return;
	if (fscanf(f, "%d %d", lo, hi) != 2) {
		*lo = 32768;
		*hi = 60999;
	}
	fclose(f);
}

/* The socket's row in /proc/net/xtcp or /proc/net/tcp (xtcp6, tcp6 for IPv6). */
static int proc_row(bool xtcp, int fd, struct inet_row *r)
{
	struct sa46 name;
	bool v6 = !name46(fd, &name) && name.sa.sa_family == AF_INET6;

	if (v6)
		return inet_proc_find(xtcp ? "/proc/net/xtcp6" : "/proc/net/tcp6", xtcp,
				      sock_inode(fd), r);
	return inet_proc_find(xtcp ? "/proc/net/xtcp" : "/proc/net/tcp", xtcp,
			      sock_inode(fd), r);
}

/* 64-bit FNV-1a, to compare a long stream at both ends. */
#define FNV_OFFSET	0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL

static unsigned long long fnv1a(unsigned long long h, const unsigned char *p,
				size_t len)
{
	while (len--) {
		h ^= *p++;
		h *= FNV_PRIME;
	}
	return h;
}

/* xorshift64: a cheap deterministic byte source for the payloads. */
static unsigned long long xorshift(unsigned long long *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void fill_random(unsigned long long *s, unsigned char *p, size_t len)
{
	while (len--)
		*p++ = xorshift(s) >> 56;
}

static void pattern(unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = seed + i * 7;
}

/* ---- network namespace helpers (routes of the tests' own) ---- */

static void rta_put_u32(struct nlmsghdr *nh, unsigned short type, __u32 v)
{
	struct rtattr *rta = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(sizeof(v));
	memcpy(RTA_DATA(rta), &v, sizeof(v));
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/*
 * "ip route add TYPE DST/32" over rtnetlink; RTN_UNICAST means
 * "ip route add DST/32 dev lo".  @dst is host order.  Returns 0 or the
 * kernel's negative errno.
 */
static int route_add(in_addr_t dst, unsigned char type)
{
	struct {
		struct nlmsghdr nh;
		struct rtmsg rt;
		char attrs[64];
	} req = {
		.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)),
		.nh.nlmsg_type = RTM_NEWROUTE,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
		.rt.rtm_family = AF_INET,
		.rt.rtm_dst_len = 32,
		.rt.rtm_table = RT_TABLE_MAIN,
		.rt.rtm_protocol = RTPROT_BOOT,
		.rt.rtm_scope = type == RTN_UNICAST ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE,
		.rt.rtm_type = type,
	};
	char buf[512];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	int fd, err = -EPROTO;
	ssize_t n;

	rta_put_u32(&req.nh, RTA_DST, htonl(dst));
	if (type == RTN_UNICAST)
		rta_put_u32(&req.nh, RTA_OIF, if_nametoindex("lo"));
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, req.nh.nlmsg_len, 0) != (ssize_t)req.nh.nlmsg_len) {
		err = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) &&
	    nh->nlmsg_type == NLMSG_ERROR)
		err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
out:
	close(fd);
	return err;
}

/* Addresses routed in the namespace tests; 10.255.255.0/24 is unused. */
#define ADDR_DEV_LO	0x0affff01	/* "dev lo": the SYN goes out and is dropped */
#define ADDR_BLACKHOLE	0x0affff02
#define ADDR_UNREACH	0x0affff03
#define ADDR_PROHIBIT	0x0affff04
#define ADDR_NO_ROUTE	0x0afe0001	/* 10.254.0.1: no route at all */

/* In a fresh network namespace: lo up and the routes above. */
static int netns_with_routes(void)
{
	if (unshare(CLONE_NEWNET) || xtcp_lo_up())
		return -1;
	if (route_add(ADDR_DEV_LO, RTN_UNICAST) ||
	    route_add(ADDR_BLACKHOLE, RTN_BLACKHOLE) ||
	    route_add(ADDR_UNREACH, RTN_UNREACHABLE) ||
	    route_add(ADDR_PROHIBIT, RTN_PROHIBIT))
		return -1;
	return 0;
}

/* ===================================================================== */
/* stream: sockets a test sets up itself                                  */
/* ===================================================================== */

FIXTURE(stream)
{
	int port_lo, port_hi;	/* ip_local_port_range */
};

FIXTURE_VARIANT(stream)
{
	bool xtcp;
	bool v6;	/* IPv6-API sockets over ::1 */
};

FIXTURE_VARIANT_ADD(stream, tcp)
{
	.xtcp = false,
};

FIXTURE_VARIANT_ADD(stream, xtcp)
{
	.xtcp = true,
};

FIXTURE_VARIANT_ADD(stream, tcp6)
{
	.xtcp = false,
	.v6 = true,
};

FIXTURE_VARIANT_ADD(stream, xtcp6)
{
	.xtcp = true,
	.v6 = true,
};

FIXTURE_SETUP(stream)
{
	int fd;

	XTCP_SKIP_TCP_REFERENCE(variant->xtcp);
	signal(SIGPIPE, SIG_IGN);
	ephemeral_range(&self->port_lo, &self->port_hi);
	fd = stream_socket(variant->xtcp, 0);
	ASSERT_LE(0, fd) TH_LOG("socket: %s", strerror(errno));
	close(fd);
}

FIXTURE_TEARDOWN(stream)
{
}

/* ---- bind ---- */

TEST_F(stream, bind_port_zero_is_ephemeral)
{
	struct sa46 sin = sa46_lo(variant->v6, 0), got;
	int fds[8], ports[8];
	int i, j;

	for (i = 0; i < 8; i++) {
		fds[i] = socket46(variant->xtcp, variant->v6, 0);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, bind(fds[i], &sin.sa, sin.len))
			TH_LOG("bind: %s", strerror(errno));
		ASSERT_EQ(0, name46(fds[i], &got));
		EXPECT_EQ(fam46(variant->v6), got.sa.sa_family);
		EXPECT_TRUE(sa46_same_addr(&got, &sin));
		ports[i] = sa46_port(&got);
		EXPECT_LE(self->port_lo, ports[i]);
		EXPECT_GE(self->port_hi, ports[i]);
		for (j = 0; j < i; j++)
			EXPECT_NE(ports[j], ports[i]);
	}
	for (i = 0; i < 8; i++)
		close(fds[i]);
}

TEST_F(stream, bind_address_in_use)
{
	struct sa46 sin = sa46_lo(variant->v6, 0), any;
	int a, b;

	a = socket46(variant->xtcp, variant->v6, 0);
	b = socket46(variant->xtcp, variant->v6, 0);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, bind(a, &sin.sa, sin.len));
	ASSERT_EQ(0, name46(a, &sin));

	/* Bound, not listening: the port is taken all the same. */
	EXPECT_EQ(-1, bind(b, &sin.sa, sin.len));
	EXPECT_EQ(EADDRINUSE, errno);
	any = sa46_any(variant->v6, sa46_port(&sin));
	EXPECT_EQ(-1, bind(b, &any.sa, any.len));
	EXPECT_EQ(EADDRINUSE, errno);

	ASSERT_EQ(0, listen(a, 1));
	EXPECT_EQ(-1, bind(b, &sin.sa, sin.len));
	EXPECT_EQ(EADDRINUSE, errno);

	/* The failed binds left b unbound. */
	ASSERT_EQ(0, name46(b, &any));
	EXPECT_EQ(0, sa46_port(&any));
	close(a);
	close(b);
}

/*
 * SO_REUSEADDR on both sockets lets them share a port as long as neither
 * listens (TCP's rule in inet_csk_bind_conflict()); a listener on the
 * port excludes everyone, SO_REUSEADDR or not.
 */
TEST_F(stream, bind_reuseaddr_shared_until_listen)
{
	struct sa46 sin = sa46_lo(variant->v6, 0);
	int a, b, c;

	a = socket46(variant->xtcp, variant->v6, 0);
	b = socket46(variant->xtcp, variant->v6, 0);
	c = socket46(variant->xtcp, variant->v6, 0);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, set_int(a, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, set_int(b, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, set_int(c, SOL_SOCKET, SO_REUSEADDR, 1));
	EXPECT_EQ(1, get_int(a, SOL_SOCKET, SO_REUSEADDR));

	ASSERT_EQ(0, bind(a, &sin.sa, sin.len));
	ASSERT_EQ(0, name46(a, &sin));
	EXPECT_EQ(0, bind(b, &sin.sa, sin.len))
		TH_LOG("second SO_REUSEADDR bind: %s", strerror(errno));

	ASSERT_EQ(0, listen(a, 1));
	EXPECT_EQ(-1, bind(c, &sin.sa, sin.len));
	EXPECT_EQ(EADDRINUSE, errno);
	/* ... and the socket sharing the port cannot listen now. */
	EXPECT_EQ(-1, listen(b, 1));
	EXPECT_EQ(EADDRINUSE, errno);
	close(a);
	close(b);
	close(c);
}

/*
 * A new socket, with SO_REUSEADDR if @reuse, bound to @addr; -1 with errno
 * set if that fails.
 */
static int bound_socket(bool xtcp, const struct sa46 *addr, bool reuse)
{
	int fd = socket46(xtcp, addr->sa.sa_family == AF_INET6, 0);

	if (fd < 0)
		return -1;
	if ((reuse && set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1)) ||
	    bind(fd, &addr->sa, addr->len)) {
		close_keep_errno(fd);
		return -1;
	}
	return fd;
}

/*
 * A server restart: the listener is gone but a connection it accepted
 * still holds the port.  Without SO_REUSEADDR the new bind fails, with it
 * (on the old listener and the new socket) the new server can bind, listen
 * and take connections.
 */
TEST_F(stream, bind_reuseaddr_after_listener_closed)
{
	struct sa46 addr, sin = sa46_lo(variant->v6, 0);
	int l, c, s, b, c2, s2;

	l = socket46(variant->xtcp, variant->v6, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, set_int(l, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, bind(l, &sin.sa, sin.len));
	ASSERT_EQ(0, listen(l, 4));
	ASSERT_EQ(0, name46(l, &addr));
	c = connect46(variant->xtcp, variant->v6, &addr);
	ASSERT_LE(0, c) TH_LOG("connect: %s", strerror(errno));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	close(l);

	b = bound_socket(variant->xtcp, &addr, false);
	EXPECT_EQ(-1, b);
	EXPECT_EQ(EADDRINUSE, errno);
	close_fd(&b);
	b = bound_socket(variant->xtcp, &addr, true);
	ASSERT_LE(0, b) TH_LOG("bind with SO_REUSEADDR: %s", strerror(errno));
	ASSERT_EQ(0, listen(b, 4)) TH_LOG("listen: %s", strerror(errno));

	c2 = connect46(variant->xtcp, variant->v6, &addr);
	ASSERT_LE(0, c2) TH_LOG("connect to the new listener: %s", strerror(errno));
	s2 = accept(b, NULL, NULL);
	EXPECT_LE(0, s2);
	/* The old connection is still there and works. */
	EXPECT_EQ(1, send(c, "x", 1, 0));
	EXPECT_EQ(POLLIN, wait_revents(s, POLLIN, XTCP_WAIT_MS) & POLLIN);
	close(s2);
	close(c2);
	close(b);
	close(s);
	close(c);
}

/*
 * The classic restart: the server closed first, so its end of the old
 * connection sits in TIME_WAIT on the port.
 */
TEST_F(stream, bind_reuseaddr_over_time_wait)
{
	struct sa46 addr, sin = sa46_lo(variant->v6, 0);
	char byte;
	int l, c, s, b;

	l = socket46(variant->xtcp, variant->v6, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, set_int(l, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, bind(l, &sin.sa, sin.len));
	ASSERT_EQ(0, listen(l, 4));
	ASSERT_EQ(0, name46(l, &addr));
	c = connect46(variant->xtcp, variant->v6, &addr);
	ASSERT_LE(0, c);
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	close(l);

	/* Server FIN first, then the client's; the server ends in TIME_WAIT. */
	ASSERT_EQ(0, shutdown(s, SHUT_WR));
	ASSERT_EQ(0, recv(c, &byte, 1, 0));
	close(c);
	ASSERT_TRUE(wait_revents(s, POLLRDHUP, XTCP_WAIT_MS) & POLLRDHUP);
	close(s);

	b = bound_socket(variant->xtcp, &addr, false);
	EXPECT_EQ(-1, b) TH_LOG("TIME_WAIT did not hold the port");
	EXPECT_EQ(EADDRINUSE, errno);
	close_fd(&b);
	b = bound_socket(variant->xtcp, &addr, true);
	ASSERT_LE(0, b) TH_LOG("bind over TIME_WAIT with SO_REUSEADDR: %s",
			       strerror(errno));
	EXPECT_EQ(0, listen(b, 4));
	close(b);
}

TEST_F(stream, bind_twice_einval)
{
	struct sa46 sin = sa46_lo(variant->v6, 0), got;
	int fd = socket46(variant->xtcp, variant->v6, 0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind(fd, &sin.sa, sin.len));
	ASSERT_EQ(0, name46(fd, &got));
	EXPECT_EQ(-1, bind(fd, &sin.sa, sin.len));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, bind(fd, &got.sa, got.len));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, listen(fd, 1));
	EXPECT_EQ(-1, bind(fd, &sin.sa, sin.len));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

struct bind_case {
	int family;
	in_addr_t addr;
	socklen_t len;
	int err;	/* 0: bind succeeds */
	const char *what;
};

/*
 * TCP's answers to malformed addresses, checked on a fresh socket each.
 * AF_UNSPEC with INADDR_ANY is accepted: inet_bind()'s compatibility
 * rule for old programs, which xtcp, taking AF_INET addresses, keeps.
 */
TEST_F(stream, bind_bad_addresses)
{
	const struct bind_case cases[] = {
		{ AF_INET, INADDR_LOOPBACK, sizeof(struct sockaddr_in) - 1, EINVAL,
		  "addrlen 15" },
		{ AF_INET, INADDR_LOOPBACK, 2, EINVAL, "addrlen 2" },
		{ AF_INET, INADDR_LOOPBACK, 0, EINVAL, "addrlen 0" },
		{ AF_INET6, INADDR_LOOPBACK, sizeof(struct sockaddr_in), EAFNOSUPPORT,
		  "AF_INET6" },
		{ AF_UNIX, INADDR_LOOPBACK, sizeof(struct sockaddr_in), EAFNOSUPPORT,
		  "AF_UNIX" },
		{ AF_UNSPEC, INADDR_LOOPBACK, sizeof(struct sockaddr_in), EAFNOSUPPORT,
		  "AF_UNSPEC, 127.0.0.1" },
		{ AF_UNSPEC, INADDR_ANY, sizeof(struct sockaddr_in), 0,
		  "AF_UNSPEC, INADDR_ANY" },
		{ AF_INET, INADDR_LOOPBACK, sizeof(struct sockaddr_storage), 0,
		  "addrlen 128" },
	};
	size_t i;

	if (variant->v6)
		SKIP(return, "IPv4 sockaddr checks (xtcp_ipv6: bind_errnos)");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sockaddr_storage ss = { 0 };
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss, got;
		int fd = stream_socket(variant->xtcp, 0), ret;

		ASSERT_LE(0, fd);
		sin->sin_family = cases[i].family;
		sin->sin_addr.s_addr = htonl(cases[i].addr);
		ret = bind(fd, (struct sockaddr *)&ss, cases[i].len);
		if (cases[i].err) {
			EXPECT_EQ(-1, ret) TH_LOG("%s: bound", cases[i].what);
			EXPECT_EQ(cases[i].err, errno)
				TH_LOG("%s: errno %d (%s), want %d", cases[i].what,
				       errno, strerror(errno), cases[i].err);
			ASSERT_EQ(0, sock_name(fd, &got));
			EXPECT_EQ(0, got.sin_port) TH_LOG("%s: bound anyway", cases[i].what);
		} else {
			EXPECT_EQ(0, ret)
				TH_LOG("%s: %s", cases[i].what, strerror(errno));
			ASSERT_EQ(0, sock_name(fd, &got));
			EXPECT_EQ(AF_INET, got.sin_family);
			EXPECT_NE(0, got.sin_port);
		}
		close(fd);
	}
}

/*
 * Ports below net.ipv4.ip_unprivileged_port_start need
 * CAP_NET_BIND_SERVICE: a child that became nobody gets EACCES for the
 * port root could bind a moment ago, and can still bind port 0.
 */
TEST_F(stream, bind_privileged_port_eacces)
{
	struct sa46 sin;
	int start, port, fd = -1;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to drop privileges");
	start = read_int_file("/proc/sys/net/ipv4/ip_unprivileged_port_start", 1024);
	if (start <= 1)
		SKIP(return, "ip_unprivileged_port_start is %d", start);

	/* A privileged port that is free: root can bind it. */
	for (port = start - 1; port > 0; port--) {
		fd = socket46(variant->xtcp, variant->v6, 0);
		ASSERT_LE(0, fd);
		sin = sa46_lo(variant->v6, port);
		if (!bind(fd, &sin.sa, sin.len))
			break;
		close(fd);
		fd = -1;
	}
	ASSERT_LE(0, fd) TH_LOG("root could bind no port below %d", start);
	close(fd);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		ASSERT_EQ(0, setgid(65534));
		ASSERT_EQ(0, setuid(65534));
		fd = socket46(variant->xtcp, variant->v6, 0);
		ASSERT_LE(0, fd);
		EXPECT_EQ(-1, bind(fd, &sin.sa, sin.len));
		EXPECT_EQ(EACCES, errno) TH_LOG("port %d: %s", port, strerror(errno));
		sa46_set_port(&sin, 0);
		EXPECT_EQ(0, bind(fd, &sin.sa, sin.len));
		CHILD_EXIT();
	}
	EXPECT_EQ(0, child_status(pid));
}

TEST_F(stream, bind_nonlocal_address)
{
	/* 192.0.2.1 (TEST-NET-1) or 2001:db8::1 (documentation) */
	struct sa46 sin = sa46_of(variant->v6, 0xc0000201, "2001:db8::1", 0);
	int fd = socket46(variant->xtcp, variant->v6, 0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, bind(fd, &sin.sa, sin.len));
	EXPECT_EQ(EADDRNOTAVAIL, errno);
	sin = sa46_any(variant->v6, 0);
	EXPECT_EQ(0, bind(fd, &sin.sa, sin.len));
	close(fd);
}

/*
 * Each implementation's own family in sin_family: AF_INET for TCP, AF_XTCP
 * for xtcp (which takes AF_INET too, as every other test here shows).
 * Names come back as AF_INET either way.
 */
TEST_F(stream, native_family_in_addresses)
{
	int fam = variant->xtcp ? xtcp_af() : AF_INET;
	struct sockaddr_in sin = sin_of(INADDR_LOOPBACK, 0), got, peer;
	socklen_t len = sizeof(peer);
	int l, c, s;

	if (variant->v6)
		SKIP(return, "AF_XTCP in sockaddr_in (xtcp_ipv6: api_fixed_by_first_address)");

	l = stream_socket(variant->xtcp, 0);
	ASSERT_LE(0, l);
	sin.sin_family = fam;
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&sin, sizeof(sin)))
		TH_LOG("bind with family %d: %s", fam, strerror(errno));
	ASSERT_EQ(0, listen(l, 1));
	ASSERT_EQ(0, sock_name(l, &got));
	EXPECT_EQ(AF_INET, got.sin_family);

	c = stream_socket(variant->xtcp, 0);
	ASSERT_LE(0, c);
	got.sin_family = fam;
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&got, sizeof(got)))
		TH_LOG("connect with family %d: %s", fam, strerror(errno));
	memset(&peer, 0xaa, sizeof(peer));
	s = accept(l, (struct sockaddr *)&peer, &len);
	ASSERT_LE(0, s);
	EXPECT_EQ(sizeof(peer), len);
	EXPECT_EQ(AF_INET, peer.sin_family);
	ASSERT_EQ(0, peer_name(c, &got));
	EXPECT_EQ(AF_INET, got.sin_family);
	close(s);
	close(c);
	close(l);
}

/*
 * Four threads take ephemeral ports at once from a range of 200, by bind()
 * to port 0 or by connect(): each port of the range goes to exactly one
 * socket, none outside it, and the one that finds the range used up gets
 * TCP's errno (bind: EADDRINUSE; connect: EADDRNOTAVAIL).  xtcp looks for
 * a free port without its table lock and takes the lock only to claim one
 * (hash.c): two threads that both saw a port free must not both get it.
 */
#define RACE_LO		40000
#define RACE_PORTS	200
#define RACE_THREADS	4

struct port_race {
	bool xtcp, v6, connect;
	struct sa46 to;
	int taken;			/* sockets that got a port, atomically */
	int fds[RACE_PORTS + RACE_THREADS];
	int err[RACE_THREADS];		/* the errno each thread stopped on */
	int id;				/* the next thread's index */
};

static void *port_taker(void *arg)
{
	struct port_race *r = arg;
	int me = __atomic_fetch_add(&r->id, 1, __ATOMIC_RELAXED);

	for (;;) {
		struct sa46 sin = sa46_lo(r->v6, 0);
		int fd = socket46(r->xtcp, r->v6, 0), rc, k;

		if (fd < 0) {
			r->err[me] = errno;
			break;
		}
		if (r->connect)
			rc = connect(fd, &r->to.sa, r->to.len);
		else
			rc = bind(fd, &sin.sa, sin.len);
		if (rc) {
			r->err[me] = errno;
			close(fd);
			break;
		}
		k = __atomic_fetch_add(&r->taken, 1, __ATOMIC_RELAXED);
		if (k >= (int)ARRAY_SIZE(r->fds)) {
			r->err[me] = E2BIG;	/* more ports than the range has */
			close(fd);
			break;
		}
		r->fds[k] = fd;
	}
	return NULL;
}

static void port_race(struct __test_metadata *_metadata, bool xtcp, bool v6,
		      bool conn)
{
	static struct port_race r;
	pthread_t th[RACE_THREADS];
	bool seen[RACE_PORTS] = { false };
	char range[32];
	int i, l = -1;

	memset(&r, 0, sizeof(r));
	r.xtcp = xtcp;
	r.v6 = v6;
	r.connect = conn;
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, xtcp_lo_up());
	snprintf(range, sizeof(range), "%d %d", RACE_LO, RACE_LO + RACE_PORTS - 1);
	ASSERT_EQ(0, write_file("/proc/sys/net/ipv4/ip_local_port_range", range,
				strlen(range)));
	if (conn) {
		/* a listener outside the range, with room for every connection */
		r.to = sa46_lo(v6, RACE_LO - 1);
		l = socket46(xtcp, v6, 0);
		ASSERT_LE(0, l);
		ASSERT_EQ(0, bind(l, &r.to.sa, r.to.len));
		ASSERT_EQ(0, listen(l, 2 * RACE_PORTS));
	}
	for (i = 0; i < RACE_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, port_taker, &r));
	for (i = 0; i < RACE_THREADS; i++)
		pthread_join(th[i], NULL);

	EXPECT_EQ(RACE_PORTS, r.taken);
	for (i = 0; i < RACE_THREADS; i++) {
		int e = r.err[i];

		EXPECT_EQ(conn ? EADDRNOTAVAIL : EADDRINUSE, e)
			TH_LOG("a thread stopped on %s", strerror(e));
	}
	for (i = 0; i < r.taken && i < (int)ARRAY_SIZE(r.fds); i++) {
		struct sa46 got;
		int p;

		ASSERT_EQ(0, name46(r.fds[i], &got));
		p = sa46_port(&got) - RACE_LO;
		EXPECT_TRUE(p >= 0 && p < RACE_PORTS) TH_LOG("port %d", p + RACE_LO);
		if (p >= 0 && p < RACE_PORTS) {
			EXPECT_FALSE(seen[p]) TH_LOG("port %d given twice", p + RACE_LO);
			seen[p] = true;
		}
		close(r.fds[i]);
	}
	if (l >= 0)
		close(l);
}

TEST_F_TIMEOUT(stream, ephemeral_bind_race, 120)
{
	port_race(_metadata, variant->xtcp, variant->v6, false);
}

TEST_F_TIMEOUT(stream, ephemeral_connect_race, 120)
{
	port_race(_metadata, variant->xtcp, variant->v6, true);
}

/*
 * Four sockets bound to one port (SO_REUSEADDR) connect() at once to one
 * peer: one four-tuple, so exactly one gets it and the others get
 * EADDRNOTAVAIL, as from TCP.  xtcp checks the four-tuple and hashes the
 * socket under one hold of its table lock; checked first and hashed
 * after, two could take the tuple.
 */
#define TUPLE_ROUNDS	100
#define TUPLE_PORT	41000

struct tuple_race {
	bool xtcp, v6;
	unsigned short port;
	struct sa46 to;
	pthread_barrier_t go;
	int fds[RACE_THREADS];
	int err[RACE_THREADS];
	int id;
};

static void *tuple_taker(void *arg)
{
	struct tuple_race *r = arg;
	int me = __atomic_fetch_add(&r->id, 1, __ATOMIC_RELAXED);
	struct sa46 sin = sa46_lo(r->v6, r->port);
	int fd = socket46(r->xtcp, r->v6, 0), one = 1;

	r->fds[me] = fd;
	r->err[me] = fd < 0 ? errno : 0;
	if (!r->err[me] &&
	    (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	     bind(fd, &sin.sa, sin.len)))
		r->err[me] = errno;
	pthread_barrier_wait(&r->go);
	if (!r->err[me] &&
	    connect(fd, &r->to.sa, r->to.len))
		r->err[me] = errno;
	return NULL;
}

TEST_F_TIMEOUT(stream, same_tuple_connect_race, 120)
{
	static struct tuple_race r;
	pthread_t th[RACE_THREADS];
	int round, i, l, won_total = 0;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, xtcp_lo_up());
	memset(&r, 0, sizeof(r));
	r.xtcp = variant->xtcp;
	r.v6 = variant->v6;
	r.to = sa46_lo(r.v6, TUPLE_PORT - 1);
	l = socket46(r.xtcp, r.v6, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, bind(l, &r.to.sa, r.to.len));
	ASSERT_EQ(0, listen(l, 2 * TUPLE_ROUNDS));
	for (round = 0; round < TUPLE_ROUNDS; round++) {
		int won = 0;

		r.id = 0;
		r.port = TUPLE_PORT + round;
		ASSERT_EQ(0, pthread_barrier_init(&r.go, NULL, RACE_THREADS));
		for (i = 0; i < RACE_THREADS; i++)
			ASSERT_EQ(0, pthread_create(&th[i], NULL, tuple_taker,
						    &r));
		for (i = 0; i < RACE_THREADS; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&r.go);
		for (i = 0; i < RACE_THREADS; i++) {
			if (!r.err[i])
				won++;
			else
				EXPECT_EQ(EADDRNOTAVAIL, r.err[i])
					TH_LOG("round %d: connect: %s", round,
					       strerror(r.err[i]));
			if (r.fds[i] >= 0)
				close(r.fds[i]);
		}
		EXPECT_EQ(1, won) TH_LOG("round %d: %d sockets connected",
					 round, won);
		won_total += won;
	}
	EXPECT_EQ(TUPLE_ROUNDS, won_total);
	close(l);
}

/* ---- listen ---- */

TEST_F(stream, listen_closed_to_listen)
{
	struct sa46 sin = sa46_lo(variant->v6, 0), before, after;
	int fd = socket46(variant->xtcp, variant->v6, 0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(XTCP_CLOSE, stream_state(variant->xtcp, fd));
	ASSERT_EQ(0, bind(fd, &sin.sa, sin.len));
	EXPECT_EQ(XTCP_CLOSE, stream_state(variant->xtcp, fd));
	ASSERT_EQ(0, name46(fd, &before));
	ASSERT_EQ(0, listen(fd, 4));
	EXPECT_EQ(XTCP_LISTEN, stream_state(variant->xtcp, fd));
	ASSERT_EQ(0, name46(fd, &after));
	EXPECT_TRUE(sa46_equal(&before, &after));
	EXPECT_EQ(-1, peer46(fd, &after));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(1, get_int(fd, SOL_SOCKET, SO_ACCEPTCONN));

	/* listen() again only changes the backlog. */
	EXPECT_EQ(0, listen(fd, 16));
	EXPECT_EQ(XTCP_LISTEN, stream_state(variant->xtcp, fd));
	close(fd);
}

TEST_F(stream, listen_without_bind_autobinds)
{
	struct sa46 name, to, any = sa46_any(variant->v6, 0);
	int l, c, s;

	l = socket46(variant->xtcp, variant->v6, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, listen(l, 4)) TH_LOG("listen: %s", strerror(errno));
	EXPECT_EQ(XTCP_LISTEN, stream_state(variant->xtcp, l));
	ASSERT_EQ(0, name46(l, &name));
	EXPECT_EQ(fam46(variant->v6), name.sa.sa_family);
	EXPECT_TRUE(sa46_same_addr(&name, &any));
	EXPECT_LE(self->port_lo, sa46_port(&name));
	EXPECT_GE(self->port_hi, sa46_port(&name));

	to = sa46_lo(variant->v6, sa46_port(&name));
	c = connect46(variant->xtcp, variant->v6, &to);
	ASSERT_LE(0, c) TH_LOG("connect: %s", strerror(errno));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	/* The accepted socket has the concrete address the client used. */
	ASSERT_EQ(0, name46(s, &name));
	EXPECT_TRUE(sa46_equal(&to, &name));
	close(s);
	close(c);
	close(l);
}

TEST_F(stream, listen_on_connected_einval)
{
	int c, s;

	ASSERT_EQ(0, pair46(variant->xtcp, variant->v6, &c, &s))
		TH_LOG("connection: %s", strerror(errno));
	EXPECT_EQ(-1, listen(c, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, listen(s, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(XTCP_ESTABLISHED, stream_state(variant->xtcp, c));
	close(s);
	close(c);
}

/* ---- connect and accept ---- */

TEST_F(stream, connect_accept_names)
{
	struct sa46 laddr, peer, c_name, c_peer, s_name, s_peer;
	socklen_t len = sizeof(peer.in6);
	int l, c, s;

	l = listener46(variant->xtcp, variant->v6, 4, &laddr);
	ASSERT_LE(0, l) TH_LOG("listener: %s", strerror(errno));
	c = connect46(variant->xtcp, variant->v6, &laddr);
	ASSERT_LE(0, c) TH_LOG("connect: %s", strerror(errno));
	memset(&peer, 0xaa, sizeof(peer));
	s = accept(l, &peer.sa, &len);
	ASSERT_LE(0, s) TH_LOG("accept: %s", strerror(errno));
	EXPECT_EQ(laddr.len, len);

	ASSERT_EQ(0, name46(c, &c_name));
	ASSERT_EQ(0, peer46(c, &c_peer));
	ASSERT_EQ(0, name46(s, &s_name));
	ASSERT_EQ(0, peer46(s, &s_peer));

	/* The client talks to the listener's address ... */
	EXPECT_TRUE(sa46_equal(&laddr, &c_peer));
	/* ... from an ephemeral port of its own on 127.0.0.1 or ::1 ... */
	EXPECT_EQ(fam46(variant->v6), c_name.sa.sa_family);
	EXPECT_TRUE(sa46_same_addr(&c_name, &laddr));
	EXPECT_NE(sa46_port(&laddr), sa46_port(&c_name));
	EXPECT_LE(self->port_lo, sa46_port(&c_name));
	EXPECT_GE(self->port_hi, sa46_port(&c_name));
	/* ... and the server end mirrors it. */
	EXPECT_TRUE(sa46_equal(&laddr, &s_name));
	EXPECT_TRUE(sa46_equal(&c_name, &s_peer));
	EXPECT_TRUE(sa46_equal(&c_name, &peer));

	EXPECT_EQ(XTCP_ESTABLISHED, stream_state(variant->xtcp, c));
	EXPECT_EQ(XTCP_ESTABLISHED, stream_state(variant->xtcp, s));
	EXPECT_EQ(XTCP_LISTEN, stream_state(variant->xtcp, l));
	EXPECT_EQ(0, get_int(s, SOL_SOCKET, SO_ACCEPTCONN));
	EXPECT_EQ(variant->xtcp ? xtcp_af() : fam46(variant->v6),
		  get_int(s, SOL_SOCKET, SO_DOMAIN));
	close(s);
	close(c);
	close(l);
}

TEST_F(stream, accept4_flags)
{
	struct sa46 laddr;
	int l, c1, c2, s;

	l = listener46(variant->xtcp, variant->v6, 4, &laddr);
	ASSERT_LE(0, l);
	c1 = connect46(variant->xtcp, variant->v6, &laddr);
	ASSERT_LE(0, c1);
	c2 = connect46(variant->xtcp, variant->v6, &laddr);
	ASSERT_LE(0, c2);

	s = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ASSERT_LE(0, s) TH_LOG("accept4: %s", strerror(errno));
	EXPECT_TRUE(fcntl(s, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(s, F_GETFD) & FD_CLOEXEC);
	close(s);

	/* Without flags nothing is inherited from a non-blocking listener. */
	ASSERT_EQ(0, fcntl(l, F_SETFL, fcntl(l, F_GETFL) | O_NONBLOCK));
	ASSERT_TRUE(wait_revents(l, POLLIN, XTCP_WAIT_MS) & POLLIN);
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s) TH_LOG("accept: %s", strerror(errno));
	EXPECT_FALSE(fcntl(s, F_GETFL) & O_NONBLOCK);
	EXPECT_FALSE(fcntl(s, F_GETFD) & FD_CLOEXEC);
	close(s);
	close(c2);
	close(c1);
	close(l);
}

/*
 * A non-blocking connect: EINPROGRESS, then POLLOUT and SO_ERROR 0.  TCP
 * answers the next connect() with 0 (it completes the socket layer's state)
 * and only the one after with EISCONN; portable programs take either as
 * "connected", so xtcp may answer the second one with EISCONN already.
 */
TEST_F(stream, connect_nonblocking)
{
	struct sa46 laddr;
	int l, c, s, ret;

	l = listener46(variant->xtcp, variant->v6, 4, &laddr);
	ASSERT_LE(0, l);
	c = socket46(variant->xtcp, variant->v6, SOCK_NONBLOCK);
	ASSERT_LE(0, c);
	ASSERT_EQ(-1, connect(c, &laddr.sa, laddr.len));
	ASSERT_EQ(EINPROGRESS, errno);

	EXPECT_EQ(POLLOUT, wait_revents(c, POLLOUT, XTCP_WAIT_MS));
	EXPECT_EQ(0, get_int(c, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(XTCP_ESTABLISHED, stream_state(variant->xtcp, c));

	ret = connect(c, &laddr.sa, laddr.len);
	EXPECT_TRUE(!ret || (variant->xtcp && errno == EISCONN))
		TH_LOG("second connect: %s", strerror(errno));
	EXPECT_EQ(-1, connect(c, &laddr.sa, laddr.len));
	EXPECT_EQ(EISCONN, errno);

	ASSERT_TRUE(wait_revents(l, POLLIN, XTCP_WAIT_MS) & POLLIN);
	s = accept(l, NULL, NULL);
	EXPECT_LE(0, s);
	close(s);
	close(c);
	close(l);
}

/* A port nobody listens on, kept so by the bound socket returned. */
static int dead_port(bool xtcp, bool v6, struct sa46 *addr)
{
	struct sa46 sin = sa46_lo(v6, 0);
	int fd = socket46(xtcp, v6, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, &sin.sa, sin.len) || name46(fd, addr)) {
		close(fd);
		return -1;
	}
	return fd;
}

TEST_F(stream, connect_refused_blocking)
{
	struct sa46 dead, laddr;
	int hold, c, l, s;

	hold = dead_port(variant->xtcp, variant->v6, &dead);
	ASSERT_LE(0, hold);
	c = socket46(variant->xtcp, variant->v6, 0);
	ASSERT_LE(0, c);
	EXPECT_EQ(-1, connect(c, &dead.sa, dead.len));
	EXPECT_EQ(ECONNREFUSED, errno);
	/* connect() reported the error: SO_ERROR has nothing left. */
	EXPECT_EQ(0, get_int(c, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(XTCP_CLOSE, stream_state(variant->xtcp, c));
	EXPECT_EQ(-1, peer46(c, &laddr));
	EXPECT_EQ(ENOTCONN, errno);

	/* The socket can try again, and succeed. */
	l = listener46(variant->xtcp, variant->v6, 1, &laddr);
	ASSERT_LE(0, l);
	EXPECT_EQ(0, connect(c, &laddr.sa, laddr.len))
		TH_LOG("connect after refusal: %s", strerror(errno));
	s = accept(l, NULL, NULL);
	EXPECT_LE(0, s);
	close(s);
	close(l);
	close(c);
	close(hold);
}

/*
 * The same non-blocking: the error comes through poll() and SO_ERROR
 * (once).  The revents masks of the refused socket are compared with
 * TCP's, and the next connect() after SO_ERROR was read fails as TCP's
 * does: ECONNABORTED (the socket layer still thinks it is connecting, and
 * finds the socket closed with no error left to report).
 *
 * Returns the revents of waiting for POLLOUT, -1 if the connect failed.
 */
static int refused_nonblocking(bool xtcp, bool v6, int *fd, int *hold)
{
	struct sa46 dead;

	*hold = dead_port(xtcp, v6, &dead);
	if (*hold < 0)
		return -1;
	*fd = socket46(xtcp, v6, SOCK_NONBLOCK);
	if (*fd < 0)
		return -1;
	if (!connect(*fd, &dead.sa, dead.len) || errno != EINPROGRESS)
		return -1;
	return wait_revents(*fd, POLLOUT, XTCP_WAIT_MS);
}

TEST_F(stream, connect_refused_nonblocking)
{
	int ref = -1, ref_hold = -1, fd = -1, hold = -1;
	struct sa46 dead;

	ASSERT_EQ(POLLOUT | POLLERR | POLLHUP,
		  refused_nonblocking(false, variant->v6, &ref, &ref_hold));
	EXPECT_EQ(POLLOUT | POLLERR | POLLHUP,
		  refused_nonblocking(variant->xtcp, variant->v6, &fd, &hold))
		TH_LOG("connect: %s", strerror(errno));
	EXPECT_EQ(POLLIN | POLLOUT | POLLRDHUP | POLLERR | POLLHUP, revents_now(ref));
	EXPECT_EQ(revents_now(ref), revents_now(fd));

	EXPECT_EQ(ECONNREFUSED, get_int(ref, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(ECONNREFUSED, get_int(fd, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(0, get_int(fd, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(XTCP_CLOSE, stream_state(variant->xtcp, fd));
	/* The error read, POLLERR is gone; the rest stays. */
	EXPECT_EQ(POLLIN | POLLOUT | POLLRDHUP | POLLHUP, revents_now(ref));
	EXPECT_EQ(revents_now(ref), revents_now(fd));

	ASSERT_EQ(0, name46(hold, &dead));
	EXPECT_EQ(-1, connect(fd, &dead.sa, dead.len));
	EXPECT_EQ(ECONNABORTED, errno);
	close(fd);
	close(hold);
	close(ref);
	close(ref_hold);
}

TEST_F(stream, connect_when_connected_eisconn)
{
	struct sa46 laddr, other;
	int c, s, l;

	l = listener46(variant->xtcp, variant->v6, 4, &laddr);
	ASSERT_LE(0, l);
	c = connect46(variant->xtcp, variant->v6, &laddr);
	ASSERT_LE(0, c);
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);

	EXPECT_EQ(-1, connect(c, &laddr.sa, laddr.len));
	EXPECT_EQ(EISCONN, errno);
	other = sa46_lo(variant->v6, 9);
	EXPECT_EQ(-1, connect(c, &other.sa, other.len));
	EXPECT_EQ(EISCONN, errno);
	/* The accepted end is just as connected. */
	EXPECT_EQ(-1, connect(s, &other.sa, other.len));
	EXPECT_EQ(EISCONN, errno);
	/* A listener cannot connect. */
	EXPECT_EQ(-1, connect(l, &other.sa, other.len));
	EXPECT_EQ(EISCONN, errno);
	EXPECT_EQ(XTCP_ESTABLISHED, stream_state(variant->xtcp, c));
	close(s);
	close(c);
	close(l);
}

TEST_F(stream, connect_bad_addresses)
{
	struct sockaddr_in sin = sin_of(INADDR_LOOPBACK, 9);
	int fd;

	if (variant->v6)
		SKIP(return, "IPv4 sockaddr checks (xtcp_ipv6: connect_errnos)");

	fd = stream_socket(variant->xtcp, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&sin, sizeof(sin) - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&sin, 1));
	EXPECT_EQ(EINVAL, errno);
	sin.sin_family = AF_INET6;
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	/* AF_UNSPEC "disconnects", a no-op on a socket that is not connected. */
	sin.sin_family = AF_UNSPEC;
	EXPECT_EQ(0, connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		TH_LOG("AF_UNSPEC: %s", strerror(errno));
	EXPECT_EQ(XTCP_CLOSE, stream_state(variant->xtcp, fd));
	close(fd);
}

TEST_F(stream, accept_not_listening_einval)
{
	struct sa46 sin = sa46_lo(variant->v6, 0);
	int fd, c, s;

	fd = socket46(variant->xtcp, variant->v6, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, accept(fd, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, bind(fd, &sin.sa, sin.len));
	EXPECT_EQ(-1, accept(fd, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
	close(fd);

	ASSERT_EQ(0, pair46(variant->xtcp, variant->v6, &c, &s));
	EXPECT_EQ(-1, accept(c, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, accept(s, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
	close(s);
	close(c);
}

TEST_F(stream, accept_nothing_pending)
{
	struct sa46 laddr;
	long long t0, ms;
	int l;

	l = listener46(variant->xtcp, variant->v6, 4, &laddr);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, fcntl(l, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, accept(l, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);

	/* Blocking, SO_RCVTIMEO bounds the wait: EAGAIN again. */
	ASSERT_EQ(0, fcntl(l, F_SETFL, 0));
	ASSERT_EQ(0, set_timeout(l, SO_RCVTIMEO, 200));
	t0 = now_ms();
	EXPECT_EQ(-1, accept(l, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	ms = now_ms() - t0;
	EXPECT_LE(150, ms);
	/* only "it does time out": a busy machine may add seconds */
	EXPECT_GT(XTCP_WAIT_MS, ms);
	close(l);
}

/*
 * Connections nobody accepts.  With listen(fd, B) TCP completes B + 1
 * handshakes (sk_acceptq_is_full() is "more than B"); after that it drops
 * SYNs silently, neither answering nor refusing, so those connects stay in
 * SYN_SENT: no POLLOUT, no error, connect() again says EALREADY.
 *
 * Tolerance: xtcp may complete B or B + 1 (the "+ 1" is an artefact of the
 * comparison, not a property worth copying), but every other connect must
 * stay pending exactly as TCP's do.
 */
#define BACKLOG_EXTRA	3

/*
 * Poll the connecting sockets in @fds until none has changed for @quiet_ms
 * (or, if @enough is not 0, until that many have), for @max_ms at most;
 * done[i] is set for those that did (POLLOUT, or an error).  Returns how
 * many did.
 */
static int settle_connects(const int *fds, bool *done, int n, int quiet_ms,
			   int enough, int max_ms)
{
	long long end = now_ms() + max_ms;
	int i, count = 0;

	while (now_ms() < end && (!enough || count < enough)) {
		long long left = end - now_ms();
		struct pollfd p[16];
		int idx[16], np = 0, ready;

		for (i = 0; i < n; i++)
			if (!done[i]) {
				p[np].fd = fds[i];
				p[np].events = POLLOUT;
				idx[np++] = i;
			}
		ready = np ? poll(p, np, left < quiet_ms ? (int)left : quiet_ms) : 0;
		if (ready <= 0)
			break;
		for (i = 0; i < np; i++)
			if (p[i].revents) {
				done[idx[i]] = true;
				count++;
			}
	}
	return count;
}

/*
 * Segments of a handshake dropped for a full accept queue, by any
 * listener: TCP's ListenOverflows, xtcp's AcceptQueueDrops.
 */
static long acceptq_drops(bool xtcp)
{
	return xtcp ? xtcp_counter("AcceptQueueDrops") : tcpext("ListenOverflows");
}

/* How many connections wait in listener @l's accept queue; -1 if unknown. */
static int acceptq_len(bool xtcp, int l)
{
	struct inet_row r;

	return proc_row(xtcp, l, &r) == 1 ? (int)r.rxq : -1;
}

/*
 * Start @n non-blocking connects to listener @l (at @to, listen(fd,
 * @backlog)) one after the other, each once the listener has dealt with
 * the one before: it completed and, if the queue had room, reached the
 * accept queue, or the listener counted its SYN dropped.  Taken out of
 * turn, SYNs that meet a queue with room are all answered, and a busy
 * machine may leave loopback's softirq work to ksoftirqd for seconds: so
 * each step is waited for, up to XTCP_WAIT_MS (a bound for a failure).
 * done[i] tells which completed.  Returns how many did, -1 if a connect
 * could not be started or a step did not come (errno ETIMEDOUT).
 */
static int connect_in_turn(bool xtcp, int l, int backlog,
			   const struct sa46 *to, int *fds, bool *done,
			   int n)
{
	int i, queued, count = 0;

	for (i = 0; i < n; i++) {
		long drops = acceptq_drops(xtcp);
		long long end;

		fds[i] = socket46(xtcp, to->sa.sa_family == AF_INET6, SOCK_NONBLOCK);
		if (fds[i] < 0)
			return -1;
		if (!connect(fds[i], &to->sa, to->len) ||
		    errno != EINPROGRESS)
			return -1;
		end = now_ms() + XTCP_WAIT_MS;
		for (;;) {
			done[i] = wait_revents(fds[i], POLLOUT, 10) != 0;
			if (done[i] || acceptq_drops(xtcp) != drops)
				break;
			if (now_ms() >= end) {
				errno = ETIMEDOUT;
				return -1;
			}
		}
		count += done[i];
		/* queued once its final ACK is in, as far as the queue takes */
		queued = count < backlog + 1 ? count : backlog + 1;
		while (done[i] && acceptq_len(xtcp, l) < queued) {
			if (now_ms() >= end) {
				errno = ETIMEDOUT;
				return -1;
			}
			usleep(10000);
		}
	}
	return count;
}

TEST_F_TIMEOUT(stream, backlog_bounds_completed_connects, 120)
{
	const int backlogs[] = { 1, 3 };
	size_t b;

	for (b = 0; b < ARRAY_SIZE(backlogs); b++) {
		int backlog = backlogs[b], n = backlog + 1 + BACKLOG_EXTRA;
		struct sa46 laddr;
		bool done[16] = { false };
		int fds[16], i, l, completed, pending = 0;

		l = listener46(variant->xtcp, variant->v6, backlog, &laddr);
		ASSERT_LE(0, l);
		completed = connect_in_turn(variant->xtcp, l, backlog, &laddr,
					    fds, done, n);
		ASSERT_LE(0, completed) TH_LOG("connect: %s", strerror(errno));
		/* and no connect completes later */
		completed += settle_connects(fds, done, n, 300, 0, 10000);
		TH_LOG("listen(fd, %d): %d of %d connects completed", backlog,
		       completed, n);
		if (variant->xtcp) {
			EXPECT_LE(backlog, completed);
			EXPECT_GE(backlog + 1, completed);
		} else {
			EXPECT_EQ(backlog + 1, completed);
		}
		for (i = 0; i < n; i++) {
			if (done[i]) {
				EXPECT_EQ(0, get_int(fds[i], SOL_SOCKET, SO_ERROR));
				EXPECT_EQ(XTCP_ESTABLISHED,
					  stream_state(variant->xtcp, fds[i]));
				continue;
			}
			pending++;
			EXPECT_EQ(0, revents_now(fds[i]));
			EXPECT_EQ(0, get_int(fds[i], SOL_SOCKET, SO_ERROR));
			EXPECT_EQ(XTCP_SYN_SENT, stream_state(variant->xtcp, fds[i]));
			EXPECT_EQ(-1, connect(fds[i], (struct sockaddr *)&laddr,
					      sizeof(laddr)));
			EXPECT_EQ(EALREADY, errno);
		}
		EXPECT_EQ(n - completed, pending);
		EXPECT_EQ(POLLIN, revents_now(l));
		for (i = 0; i < n; i++)
			close(fds[i]);
		close(l);
	}
}

/*
 * Needs SYN retransmission.  A connect whose SYN the full listener dropped
 * completes once accept() makes room: TCP's retransmitted SYN (1, 3, 7,
 * 15 s after the connect) gets in.  The next one may be seconds away if
 * the steps before took long on a busy machine.
 */
TEST_F_TIMEOUT(stream, backlog_pending_completes_after_accept, 120)
{
	struct sa46 laddr;
	bool done[4] = { false };
	int fds[4], i, l, s, pending = -1, n = 4;

	l = listener46(variant->xtcp, variant->v6, 1, &laddr);
	ASSERT_LE(0, l);
	ASSERT_LE(0, connect_in_turn(variant->xtcp, l, 1, &laddr, fds, done, n))
		TH_LOG("connect: %s", strerror(errno));
	settle_connects(fds, done, n, 200, 0, 10000);
	for (i = 0; i < n; i++)
		if (!done[i])
			pending = i;
	ASSERT_LE(0, pending) TH_LOG("all %d connects completed, listen(fd, 1)", n);

	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	close(s);
	/*
	 * A pending connect gets in now.  (Both may complete on the client
	 * side: TCP answers SYNs that arrive together while there is room, and
	 * drops the final ACK that no longer fits.)
	 */
	EXPECT_LE(1, settle_connects(fds, done, n, XTCP_WAIT_MS, 1, XTCP_WAIT_MS))
		TH_LOG("no pending connect completed after accept()");
	for (i = 0; i < n; i++)
		if (done[i])
			EXPECT_EQ(0, get_int(fds[i], SOL_SOCKET, SO_ERROR));
	for (i = 0; i < n; i++)
		close(fds[i]);
	close(l);
}

/* A listener is readable when a connection waits in its accept queue. */
TEST_F(stream, poll_listener)
{
	struct sa46 laddr, raddr;
	int l, rl, c, rc, s, rs;

	l = listener46(variant->xtcp, variant->v6, 4, &laddr);
	ASSERT_LE(0, l);
	rl = listener46(false, variant->v6, 4, &raddr);
	ASSERT_LE(0, rl);
	EXPECT_EQ(0, revents_now(rl));
	EXPECT_EQ(revents_now(rl), revents_now(l));

	c = connect46(variant->xtcp, variant->v6, &laddr);
	ASSERT_LE(0, c);
	rc = connect46(false, variant->v6, &raddr);
	ASSERT_LE(0, rc);
	ASSERT_EQ(POLLIN, wait_revents(l, POLLIN, XTCP_WAIT_MS));
	ASSERT_EQ(POLLIN, wait_revents(rl, POLLIN, XTCP_WAIT_MS));
	EXPECT_EQ(POLLIN, revents_now(rl));
	EXPECT_EQ(revents_now(rl), revents_now(l));

	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	rs = accept(rl, NULL, NULL);
	ASSERT_LE(0, rs);
	EXPECT_EQ(0, revents_now(rl));
	EXPECT_EQ(revents_now(rl), revents_now(l));
	close(rs);
	close(s);
	close(rc);
	close(c);
	close(rl);
	close(l);
}

/*
 * Small buffers, set before the connection exists (on the listener, which
 * passes SO_RCVBUF on to the accepted socket, and on the client), then
 * 256 KiB through them: flow control with a small window delivers it all.
 */
TEST_F(stream, data_through_small_buffers)
{
	static unsigned char out[256 << 10], in[256 << 10];
	struct sa46 sin = sa46_lo(variant->v6, 0);
	long long t0 = now_ms();
	int l, c, s;
	pid_t pid;

	l = socket46(variant->xtcp, variant->v6, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, set_int(l, SOL_SOCKET, SO_RCVBUF, 4096));
	ASSERT_EQ(0, bind(l, &sin.sa, sin.len));
	ASSERT_EQ(0, listen(l, 1));
	ASSERT_EQ(0, name46(l, &sin));
	c = socket46(variant->xtcp, variant->v6, 0);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, set_int(c, SOL_SOCKET, SO_SNDBUF, 4096));
	ASSERT_EQ(0, connect(c, &sin.sa, sin.len))
		TH_LOG("connect: %s", strerror(errno));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	EXPECT_EQ(2 * 4096, get_int(s, SOL_SOCKET, SO_RCVBUF));
	EXPECT_EQ(2 * 4096, get_int(c, SOL_SOCKET, SO_SNDBUF));

	pattern(out, sizeof(out), 77);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(send_all(c, out, sizeof(out)) ? 1 : 0);
	ASSERT_EQ(0, recv_all(s, in, sizeof(in)));
	EXPECT_EQ(0, memcmp(out, in, sizeof(in)));
	EXPECT_EQ(0, child_status(pid));
	TH_LOG("256 KiB in %lld ms", now_ms() - t0);
	close(s);
	close(c);
	close(l);
}

/* ---- /proc/net/xtcp (TCP: /proc/net/tcp, which has the same columns) ---- */

TEST_F(stream, proc_listen_row)
{
	struct sa46 sin = sa46_lo(variant->v6, 0), any = sa46_any(variant->v6, 0);
	char hex[33], hex2[33];
	struct inet_row r;
	int fd = socket46(variant->xtcp, variant->v6, 0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind(fd, &sin.sa, sin.len));
	ASSERT_EQ(0, name46(fd, &sin));
	if (variant->xtcp) {
		/* /proc/net/tcp lists no bound-only sockets; xtcp lists all. */
		ASSERT_EQ(1, proc_row(true, fd, &r));
		EXPECT_EQ(XTCP_CLOSE, r.st);
		EXPECT_STREQ("CLOSED", r.state);
		EXPECT_STREQ(sa46_hex(&sin, hex), r.laddr_hex);
		EXPECT_EQ(sa46_port(&sin), r.lport);
	}
	ASSERT_EQ(0, listen(fd, 8));
	ASSERT_EQ(1, proc_row(variant->xtcp, fd, &r));
	EXPECT_EQ(XTCP_LISTEN, r.st);
	/* 127.0.0.1 (::1) as the file prints it */
	EXPECT_STREQ(variant->v6 ? "00000000000000000000000001000000" : "0100007F",
		     r.laddr_hex);
	EXPECT_STREQ(sa46_hex(&sin, hex), r.laddr_hex);
	EXPECT_EQ(sa46_port(&sin), r.lport);
	EXPECT_STREQ(sa46_hex(&any, hex2), r.raddr_hex);
	EXPECT_EQ(0, r.rport);
	EXPECT_EQ(getuid(), r.uid);
	if (variant->xtcp)
		EXPECT_STREQ("LISTEN", r.state);
	close(fd);
}

TEST_F(stream, proc_established_rows)
{
	struct sa46 laddr, cname;
	char hex[33];
	struct inet_row rc, rs;
	char buf[100] = { 0 };
	int l, c, s;

	l = listener46(variant->xtcp, variant->v6, 4, &laddr);
	ASSERT_LE(0, l);
	c = connect46(variant->xtcp, variant->v6, &laddr);
	ASSERT_LE(0, c);
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, name46(c, &cname));

	ASSERT_EQ(1, proc_row(variant->xtcp, c, &rc));
	EXPECT_EQ(XTCP_ESTABLISHED, rc.st);
	EXPECT_STREQ(sa46_hex(&cname, hex), rc.laddr_hex);
	EXPECT_EQ(sa46_port(&cname), rc.lport);
	EXPECT_STREQ(sa46_hex(&laddr, hex), rc.raddr_hex);
	EXPECT_EQ(sa46_port(&laddr), rc.rport);

	ASSERT_EQ(1, proc_row(variant->xtcp, s, &rs));
	EXPECT_EQ(XTCP_ESTABLISHED, rs.st);
	EXPECT_STREQ(sa46_hex(&laddr, hex), rs.laddr_hex);
	EXPECT_EQ(sa46_port(&laddr), rs.lport);
	EXPECT_STREQ(sa46_hex(&cname, hex), rs.raddr_hex);
	EXPECT_EQ(sa46_port(&cname), rs.rport);
	EXPECT_EQ(getuid(), rs.uid);
	if (variant->xtcp) {
		EXPECT_STREQ("ESTABLISHED", rc.state);
		EXPECT_STREQ("ESTABLISHED", rs.state);
	}
	EXPECT_EQ(0, rs.rxq);

	/* rx_queue counts what arrived and was not read yet. */
	ASSERT_EQ(sizeof(buf), send(c, buf, sizeof(buf), 0));
	ASSERT_EQ(POLLIN, wait_revents(s, POLLIN, XTCP_WAIT_MS));
	ASSERT_EQ(1, proc_row(variant->xtcp, s, &rs));
	EXPECT_EQ(sizeof(buf), rs.rxq);
	ASSERT_EQ(sizeof(buf), recv(s, buf, sizeof(buf), 0));
	ASSERT_EQ(1, proc_row(variant->xtcp, s, &rs));
	EXPECT_EQ(0, rs.rxq);

	/* The listener keeps its own row, in LISTEN. */
	ASSERT_EQ(1, proc_row(variant->xtcp, l, &rs));
	EXPECT_EQ(XTCP_LISTEN, rs.st);
	close(s);
	close(c);
	close(l);
}

/*
 * SYN_SENT: a connect to 10.255.255.1, routed "dev lo" in a namespace of
 * its own.  The SYN goes out on lo and comes back to an address that is
 * not local, so IP drops it and nothing ever answers.  (A blackhole route
 * does not do: connect() fails at once, see connect_route_errors.)
 */
TEST_F(stream, proc_syn_sent_row)
{
	pid_t pid;

	if (variant->v6)
		SKIP(return, "IPv4 routes and /proc/net/xtcp rows");

	if (geteuid() != 0)
		SKIP(return, "needs root for a network namespace");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct sockaddr_in dst = sin_of(ADDR_DEV_LO, 9), me;
		struct inet_row r;
		int fd;

		ASSERT_EQ(0, netns_with_routes());
		fd = stream_socket(variant->xtcp, SOCK_NONBLOCK);
		ASSERT_LE(0, fd);
		ASSERT_EQ(-1, connect(fd, (struct sockaddr *)&dst, sizeof(dst)));
		ASSERT_EQ(EINPROGRESS, errno);
		EXPECT_EQ(XTCP_SYN_SENT, stream_state(variant->xtcp, fd));
		EXPECT_EQ(0, wait_revents(fd, POLL_ALL, 300));
		EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&dst, sizeof(dst)));
		EXPECT_EQ(EALREADY, errno);
		EXPECT_EQ(0, get_int(fd, SOL_SOCKET, SO_ERROR));
		EXPECT_EQ(-1, peer_name(fd, &me));
		EXPECT_EQ(ENOTCONN, errno);
		ASSERT_EQ(0, sock_name(fd, &me));

		ASSERT_EQ(1, proc_row(variant->xtcp, fd, &r));
		EXPECT_EQ(XTCP_SYN_SENT, r.st);
		EXPECT_EQ(me.sin_addr.s_addr, r.laddr);
		EXPECT_EQ(ntohs(me.sin_port), r.lport);
		EXPECT_NE(0, r.lport);
		EXPECT_EQ(dst.sin_addr.s_addr, r.raddr);
		EXPECT_EQ(9, r.rport);
		if (variant->xtcp)
			EXPECT_STREQ("SYN_SENT", r.state);
		close(fd);
		CHILD_EXIT();
	}
	EXPECT_EQ(0, child_status(pid));
}

/*
 * What the route to the destination says, connect() reports at once,
 * blocking or not: EINVAL for a blackhole, EHOSTUNREACH for unreachable,
 * EACCES for prohibit, ENETUNREACH without a route.
 */
TEST_F(stream, connect_route_errors)
{
	pid_t pid;

	if (variant->v6)
		SKIP(return, "IPv4 routes");

	if (geteuid() != 0)
		SKIP(return, "needs root for a network namespace");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		const struct {
			in_addr_t addr;
			int err;
			const char *what;
		} cases[] = {
			{ ADDR_BLACKHOLE, EINVAL, "blackhole" },
			{ ADDR_UNREACH, EHOSTUNREACH, "unreachable" },
			{ ADDR_PROHIBIT, EACCES, "prohibit" },
			{ ADDR_NO_ROUTE, ENETUNREACH, "no route" },
		};
		static const char * const mode[] = { "blocking", "non-blocking" };
		size_t i;
		int nb;

		ASSERT_EQ(0, netns_with_routes());
		for (i = 0; i < ARRAY_SIZE(cases); i++)
			for (nb = 0; nb < 2; nb++) {
				struct sockaddr_in dst = sin_of(cases[i].addr, 9);
				int fd = stream_socket(variant->xtcp, nb ? SOCK_NONBLOCK : 0);

				ASSERT_LE(0, fd);
				EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&dst, sizeof(dst)));
				EXPECT_EQ(cases[i].err, errno)
					TH_LOG("%s, %s: %s", cases[i].what, mode[nb],
					       strerror(errno));
				EXPECT_EQ(XTCP_CLOSE, stream_state(variant->xtcp, fd));
				close(fd);
			}
		CHILD_EXIT();
	}
	EXPECT_EQ(0, child_status(pid));
}

/* ---- TCP_MAXSEG, TCP_QUICKACK, TCP_FASTOPEN ---- */

/*
 * TCP_MAXSEG caps the MSS a socket announces and uses, set on the client
 * before connect() or on the listener; TCP_QUICKACK and TCP_FASTOPEN
 * answer as TCP's (Fast Open itself off on xtcp).
 */
TEST_F(stream, opt_maxseg_quickack_fastopen)
{
	struct sa46 laddr, l2addr;
	int l, l2, c, s, v;

	c = socket46(variant->xtcp, variant->v6, 0);
	ASSERT_LE(0, c);
	EXPECT_EQ(536, get_int(c, IPPROTO_TCP, TCP_MAXSEG));
	EXPECT_EQ(-1, set_int(c, IPPROTO_TCP, TCP_MAXSEG, 50));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, set_int(c, IPPROTO_TCP, TCP_MAXSEG, 40000));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, set_int(c, IPPROTO_TCP, TCP_MAXSEG, 1000));
	EXPECT_EQ(1000, get_int(c, IPPROTO_TCP, TCP_MAXSEG));

	l = listener46(variant->xtcp, variant->v6, 4, &laddr);
	ASSERT_LE(0, l);
	EXPECT_EQ(0, set_int(l, IPPROTO_TCP, TCP_FASTOPEN, 5));
	EXPECT_EQ(5, get_int(l, IPPROTO_TCP, TCP_FASTOPEN));
	ASSERT_EQ(0, connect(c, &laddr.sa, laddr.len));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	/* both ends keep to the client's 1000 (TCP less its timestamps) */
	v = get_int(c, IPPROTO_TCP, TCP_MAXSEG);
	EXPECT_TRUE(v > 900 && v <= 1000) TH_LOG("client MSS %d", v);
	v = get_int(s, IPPROTO_TCP, TCP_MAXSEG);
	EXPECT_TRUE(v > 900 && v <= 1000) TH_LOG("server MSS %d", v);
	EXPECT_EQ(1, get_int(c, IPPROTO_TCP, TCP_QUICKACK));
	EXPECT_EQ(0, set_int(c, IPPROTO_TCP, TCP_QUICKACK, 1));
	EXPECT_EQ(-1, set_int(c, IPPROTO_TCP, TCP_FASTOPEN, 5));
	EXPECT_EQ(EINVAL, errno);
	close(s);
	close(c);

	/* a listener's ceiling is announced to its clients */
	l2 = socket46(variant->xtcp, variant->v6, 0);
	ASSERT_LE(0, l2);
	ASSERT_EQ(0, set_int(l2, IPPROTO_TCP, TCP_MAXSEG, 700));
	l2addr = sa46_lo(variant->v6, 0);
	ASSERT_EQ(0, bind(l2, &l2addr.sa, l2addr.len));
	ASSERT_EQ(0, listen(l2, 4));
	ASSERT_EQ(0, name46(l2, &l2addr));
	c = connect46(variant->xtcp, variant->v6, &l2addr);
	ASSERT_LE(0, c);
	s = accept(l2, NULL, NULL);
	ASSERT_LE(0, s);
	v = get_int(c, IPPROTO_TCP, TCP_MAXSEG);
	EXPECT_TRUE(v > 600 && v <= 700) TH_LOG("client MSS %d", v);
	v = get_int(s, IPPROTO_TCP, TCP_MAXSEG);
	EXPECT_TRUE(v > 600 && v <= 700) TH_LOG("server MSS %d", v);
	close(s);
	close(c);
	close(l2);

	/* client Fast Open: TCP (on by default) takes it, xtcp has none */
	c = socket46(variant->xtcp, variant->v6, 0);
	ASSERT_LE(0, c);
	if (variant->xtcp) {
		EXPECT_EQ(-1, set_int(c, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1));
		EXPECT_EQ(EOPNOTSUPP, errno);
	}
	EXPECT_EQ(-1, set_int(c, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 2));
	EXPECT_EQ(EINVAL, errno);
	close(c);
	close(l);
}

/* ---- TCP_WINDOW_CLAMP, TCP_NOTSENT_LOWAT ---- */

/*
 * TCP_WINDOW_CLAMP's values as TCP's (what it does to the window:
 * xtcp_handshake's window_clamp_bounds_the_window); TCP_NOTSENT_LOWAT
 * stops a writer, and poll()'s POLLOUT, while that many bytes wait
 * unsent behind a closed window.
 */
TEST_F(stream, opt_window_clamp_notsent_lowat)
{
	static char buf[1000];
	struct sa46 laddr;
	int l, c, s, i, t, x, small = 32768;
	long long end;

	l = listener46(variant->xtcp, variant->v6, 4, &laddr);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, set_int(l, IPPROTO_TCP, TCP_WINDOW_CLAMP, 20000));
	EXPECT_EQ(20000, get_int(l, IPPROTO_TCP, TCP_WINDOW_CLAMP));
	/* a small receive buffer: the window shuts soon */
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
	c = connect46(variant->xtcp, variant->v6, &laddr);
	ASSERT_LE(0, c);
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	EXPECT_EQ(-1, set_int(s, IPPROTO_TCP, TCP_WINDOW_CLAMP, 0));
	EXPECT_EQ(EINVAL, errno);
	/* a tiny clamp is raised to half the smallest receive buffer */
	x = socket46(false, variant->v6, 0);
	ASSERT_LE(0, x);
	EXPECT_EQ(0, set_int(x, IPPROTO_TCP, TCP_WINDOW_CLAMP, 100));
	EXPECT_EQ(0, set_int(s, IPPROTO_TCP, TCP_WINDOW_CLAMP, 100));
	EXPECT_EQ(get_int(x, IPPROTO_TCP, TCP_WINDOW_CLAMP),
		  get_int(s, IPPROTO_TCP, TCP_WINDOW_CLAMP));
	close(x);

	EXPECT_EQ(0, get_int(c, IPPROTO_TCP, TCP_NOTSENT_LOWAT));
	ASSERT_EQ(0, set_int(c, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 4000));
	EXPECT_EQ(4000, get_int(c, IPPROTO_TCP, TCP_NOTSENT_LOWAT));
	ASSERT_EQ(0, fcntl(c, F_SETFL, O_NONBLOCK));
	/*
	 * Fill until send() says EAGAIN with the unsent count standing still
	 * around it.  A busy machine processes ACKs late: they may open the
	 * window after the EAGAIN, and until they come the data in flight
	 * may fill the send buffer first (EAGAIN below the mark, which goes
	 * once they are in).
	 */
	end = now_ms() + XTCP_WAIT_MS;
	for (i = 0, t = -1; t < 0 && i < 100000; i++) {
		int before = ioctl_int(c, SIOCOUTQNSD);

		errno = 0;
		if (send(c, buf, sizeof(buf), 0) >= 0)
			continue;
		ASSERT_EQ(EAGAIN, errno);
		if (before == ioctl_int(c, SIOCOUTQNSD) &&
		    (before >= 4000 || now_ms() >= end))
			t = before;
		else
			usleep(1000);
	}
	ASSERT_LE(0, t) TH_LOG("send() never said EAGAIN");
	TH_LOG("lowat 4000: %d bytes unsent when send() said EAGAIN", t);
	EXPECT_LE(4000, t);
	if (variant->xtcp)	/* one 1000-byte write beyond, at most */
		EXPECT_GT(5000, t);
	/*
	 * POLLOUT only below half the mark (once ACKs late on a busy machine
	 * free the memory of the data in flight).  The receiver may still
	 * open its window (TCP collapses its queue): judge samples in which
	 * the unsent count stood still.
	 */
	end = now_ms() + XTCP_WAIT_MS;
	for (t = -1; t < 0 && now_ms() < end; ) {
		int before = ioctl_int(c, SIOCOUTQNSD);
		int want = before * 2 < 4000 ? POLLOUT : 0;
		int ev = wait_revents(c, POLLOUT, want ? XTCP_WAIT_MS : 0) & POLLOUT;

		if (before != ioctl_int(c, SIOCOUTQNSD)) {
			usleep(1000);
			continue;
		}
		EXPECT_EQ(want, ev)
			TH_LOG("%d bytes unsent, revents %#x", before, ev);
		t = before;
	}
	EXPECT_LE(0, t) TH_LOG("the unsent count never stood still");
	ASSERT_EQ(0, set_int(c, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 0));
	EXPECT_EQ(POLLOUT, wait_revents(c, POLLOUT, XTCP_WAIT_MS) & POLLOUT);
	close(s);
	close(c);
	close(l);
}

/* ---- TCP_DEFER_ACCEPT ---- */

/*
 * TCP_DEFER_ACCEPT: the seconds are kept as SYN+ACK timeouts and read
 * back as the seconds those cover (5 -> 7); a handshake whose final ACK
 * carries no data reaches accept() when data comes, or once the deferral
 * has run out.
 */
TEST_F_TIMEOUT(stream, opt_defer_accept, 120)
{
	struct sa46 laddr;
	int l, c, s;
	char b;

	l = listener46(variant->xtcp, variant->v6, 4, &laddr);
	ASSERT_LE(0, l);
	EXPECT_EQ(0, get_int(l, IPPROTO_TCP, TCP_DEFER_ACCEPT));
	ASSERT_EQ(0, set_int(l, IPPROTO_TCP, TCP_DEFER_ACCEPT, 5));
	EXPECT_EQ(7, get_int(l, IPPROTO_TCP, TCP_DEFER_ACCEPT));
	ASSERT_EQ(0, set_int(l, IPPROTO_TCP, TCP_DEFER_ACCEPT, -1));
	EXPECT_EQ(0, get_int(l, IPPROTO_TCP, TCP_DEFER_ACCEPT));

	/* 31 s of deferral: nothing to accept until the client writes */
	ASSERT_EQ(0, set_int(l, IPPROTO_TCP, TCP_DEFER_ACCEPT, 30));
	EXPECT_EQ(31, get_int(l, IPPROTO_TCP, TCP_DEFER_ACCEPT));
	c = connect46(variant->xtcp, variant->v6, &laddr);
	ASSERT_LE(0, c);
	EXPECT_EQ(0, wait_revents(l, POLLIN, 300));
	ASSERT_EQ(1, send(c, "x", 1, 0));
	ASSERT_EQ(POLLIN, wait_revents(l, POLLIN, XTCP_WAIT_MS));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	EXPECT_EQ(1, recv(s, &b, 1, 0));
	EXPECT_EQ('x', b);
	close(s);
	close(c);

	/* 1 s: a client that never writes is accepted once it runs out */
	ASSERT_EQ(0, set_int(l, IPPROTO_TCP, TCP_DEFER_ACCEPT, 1));
	c = connect46(variant->xtcp, variant->v6, &laddr);
	ASSERT_LE(0, c);
	ASSERT_EQ(POLLIN, wait_revents(l, POLLIN, XTCP_WAIT_MS))
		TH_LOG("nothing to accept after the deferral");
	s = accept(l, NULL, NULL);
	EXPECT_LE(0, s) TH_LOG("accept after the deferral: %s", strerror(errno));
	close_fd(&s);
	close(c);
	close(l);
}

/* ---- SO_REUSEPORT ---- */

/* A socket bound to 127.0.0.1:@port (::1) with SO_REUSEPORT, listening. */
static int reuseport_listener(struct __test_metadata *_metadata, bool xtcp,
			      bool v6, in_port_t port, struct sa46 *addr)
{
	struct sa46 sin = sa46_lo(v6, port);
	int fd = socket46(xtcp, v6, SOCK_NONBLOCK);

	if (fd < 0 || stream_reuseport(xtcp, fd) ||
	    bind(fd, &sin.sa, sin.len) || listen(fd, 64) ||
	    name46(fd, addr)) {
		close_keep_errno(fd);
		return -1;
	}
	return fd;
}

/* Accept everything waiting on @l; how many. */
static int accept_all(int l)
{
	int n = 0, s;

	while ((s = accept(l, NULL, NULL)) >= 0) {
		close(s);
		n++;
	}
	return n;
}

#define RP_CONNS	64

/*
 * Two listeners of one user share a port with SO_REUSEPORT and the
 * connections are spread over both; a third socket without the option,
 * or of another user, gets EADDRINUSE; once one listener is closed every
 * new connection reaches the other.
 */
TEST_F(stream, reuseport_spreads_connections)
{
	struct sa46 a, b;
	int l1, l2, fd, i, n1, n2, one = 1, v;
	socklen_t len = sizeof(v);
	long long end;
	pid_t pid;

	l1 = reuseport_listener(_metadata, variant->xtcp, variant->v6, 0, &a);
	ASSERT_LE(0, l1) TH_LOG("first listener: %s", strerror(errno));
	v = 0;
	ASSERT_EQ(0, getsockopt(l1, SOL_SOCKET, SO_REUSEPORT, &v, &len));
	EXPECT_EQ(1, v);
	l2 = reuseport_listener(_metadata, variant->xtcp, variant->v6, sa46_port(&a), &b);
	ASSERT_LE(0, l2) TH_LOG("second listener: %s", strerror(errno));

	/* without the option: in use */
	fd = socket46(variant->xtcp, variant->v6, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, bind(fd, &a.sa, a.len));
	EXPECT_EQ(EADDRINUSE, errno);
	EXPECT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	EXPECT_EQ(-1, bind(fd, &a.sa, a.len));
	EXPECT_EQ(EADDRINUSE, errno);
	close(fd);

	/* another user, with the option: in use */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		ASSERT_EQ(0, setresuid(65534, 65534, 65534));
		fd = socket46(variant->xtcp, variant->v6, 0);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, stream_reuseport(variant->xtcp, fd));
		EXPECT_EQ(-1, bind(fd, &a.sa, a.len));
		EXPECT_EQ(EADDRINUSE, errno);
		CHILD_EXIT();
	}
	EXPECT_EQ(0, child_status(pid));

	for (i = 0; i < RP_CONNS; i++) {
		fd = connect46(variant->xtcp, variant->v6, &a);
		ASSERT_LE(0, fd) TH_LOG("connect %d: %s", i, strerror(errno));
		close(fd);
	}
	/* the listeners get them as the final ACKs are in, late when busy */
	n1 = 0;
	n2 = 0;
	end = now_ms() + XTCP_WAIT_MS;
	while (n1 + n2 < RP_CONNS) {
		n1 += accept_all(l1);
		n2 += accept_all(l2);
		if (n1 + n2 >= RP_CONNS || now_ms() >= end)
			break;
		usleep(10000);
	}
	TH_LOG("%d connections: %d to one listener, %d to the other", RP_CONNS, n1, n2);
	EXPECT_EQ(RP_CONNS, n1 + n2);
	EXPECT_LT(0, n1);
	EXPECT_LT(0, n2);

	/* one listener left: it gets them all */
	close(l1);
	for (i = 0; i < 16; i++) {
		fd = connect46(variant->xtcp, variant->v6, &a);
		ASSERT_LE(0, fd) TH_LOG("connect %d: %s", i, strerror(errno));
		close(fd);
	}
	n2 = 0;
	end = now_ms() + XTCP_WAIT_MS;
	while (n2 < 16) {
		n2 += accept_all(l2);
		if (n2 >= 16 || now_ms() >= end)
			break;
		usleep(10000);
	}
	EXPECT_EQ(16, n2);
	close(l2);
}

/*
 * Does a connection to @to reach the non-blocking listener @want, and not
 * @other?  Whichever takes it has it queued once its final ACK is in.
 */
static void reaches(struct __test_metadata *_metadata, bool xtcp,
		    const struct sockaddr_in *to, int want, int other)
{
	int fd = stream_connect(xtcp, to), s = -1, err;

	ASSERT_LE(0, fd) TH_LOG("connect to %s: %s", inet_ntoa(to->sin_addr),
				strerror(errno));
	if (wait_revents(want, POLLIN, XTCP_WAIT_MS) & POLLIN)
		s = accept(want, NULL, NULL);
	EXPECT_LE(0, s) TH_LOG("not the listener for %s",
			       inet_ntoa(to->sin_addr));
	if (s >= 0)
		close(s);
	s = accept(other, NULL, NULL);
	err = errno;
	EXPECT_EQ(-1, s);
	EXPECT_EQ(EAGAIN, err);
	if (s >= 0)
		close(s);
	close(fd);
}

/*
 * One port, several local addresses, as TCP: sockets bound to 127.0.0.1
 * and 127.0.0.2 share a port and both listen, the wildcard overlaps
 * them.  With SO_REUSEPORT a wildcard listener and one on 127.0.0.2
 * share a port, and a connection goes to the listener bound to its very
 * address before the wildcard one (the order xtcp's tables take from the
 * core's xtcp_listen_score()).
 */
TEST_F_TIMEOUT(stream, one_port_many_addresses, 180)
{
	struct sockaddr_in lo1 = sin_of(INADDR_LOOPBACK, 0), lo2, any;
	int a, b, c, w, l;

	if (variant->v6)
		SKIP(return, "127.0.0.2, an IPv4 loopback address");

	a = stream_socket(variant->xtcp, 0);
	b = stream_socket(variant->xtcp, 0);
	c = stream_socket(variant->xtcp, 0);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, bind(a, (struct sockaddr *)&lo1, sizeof(lo1)));
	ASSERT_EQ(0, sock_name(a, &lo1));
	lo2 = sin_of(INADDR_LOOPBACK + 1, ntohs(lo1.sin_port));
	any = sin_of(INADDR_ANY, ntohs(lo1.sin_port));
	EXPECT_EQ(0, bind(b, (struct sockaddr *)&lo2, sizeof(lo2)));
	EXPECT_EQ(0, listen(a, 1));
	EXPECT_EQ(0, listen(b, 1));
	EXPECT_EQ(-1, bind(c, (struct sockaddr *)&any, sizeof(any)));
	EXPECT_EQ(EADDRINUSE, errno);
	close(a);
	close(b);
	close(c);

	/* a wildcard listener and one on 127.0.0.2, by SO_REUSEPORT */
	w = stream_socket(variant->xtcp, SOCK_NONBLOCK);
	l = stream_socket(variant->xtcp, SOCK_NONBLOCK);
	ASSERT_LE(0, w);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, stream_reuseport(variant->xtcp, w));
	ASSERT_EQ(0, stream_reuseport(variant->xtcp, l));
	any = sin_of(INADDR_ANY, 0);
	ASSERT_EQ(0, bind(w, (struct sockaddr *)&any, sizeof(any)));
	ASSERT_EQ(0, sock_name(w, &any));
	lo1 = sin_of(INADDR_LOOPBACK, ntohs(any.sin_port));
	lo2 = sin_of(INADDR_LOOPBACK + 1, ntohs(any.sin_port));
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&lo2, sizeof(lo2)));
	ASSERT_EQ(0, listen(w, 4));
	ASSERT_EQ(0, listen(l, 4));

	reaches(_metadata, variant->xtcp, &lo2, l, w);
	reaches(_metadata, variant->xtcp, &lo1, w, l);
	close(w);
	close(l);
}

/* ---- a router between the ends: IP_TTL, IPV6_UNICAST_HOPS, IP_TOS ---- */

/*
 * Counter @key of @path (/proc/net/snmp, netstat, snmp6, xtcp_stat) in
 * network namespace @ns; -1 if absent.  With @prefix ("Icmp", "TcpExt")
 * the file has a line of names and one of values after the prefix, else
 * a name and its value on each line.
 */
static long ns_counter(int ns, const char *path, const char *prefix,
		       const char *key)
{
	char line[4096], names[4096] = "", p[32];
	int here = netns_enter(ns);
	size_t plen;
	long v = -1;
	FILE *f;

	if (here < 0)
		return -1;
	snprintf(p, sizeof(p), "%s: ", prefix ? prefix : "");
	plen = strlen(p);
	f = fopen(path, "r");
	while (f && v < 0 && fgets(line, sizeof(line), f)) {
		char name[64], *n, *val, *sn, *sv;
		long x;

		if (!prefix) {
			if (sscanf(line, "%63s %ld", name, &x) == 2 && !strcmp(name, key))
				v = x;
			continue;
		}
		if (strncmp(line, p, plen))
			continue;
		if (!*names) {
			snprintf(names, sizeof(names), "%s", line + plen);
			continue;
		}
		n = strtok_r(names, "\n ", &sn);
		val = strtok_r(line + plen, "\n ", &sv);
		for (; n && val; n = strtok_r(NULL, "\n ", &sn),
		     val = strtok_r(NULL, "\n ", &sv))
			if (!strcmp(n, key))
				v = atol(val);
		break;
	}
	if (f)
		fclose(f);
	if (netns_leave(here))
		v = -1;
	return v;
}

/* ICMP (ICMPv6) Time Exceeded messages sent in network namespace @ns */
static long time_exceeded_in(int ns, bool v6)
{
	return v6 ? ns_counter(ns, "/proc/net/snmp6", NULL, "Icmp6OutTimeExcds") :
		    ns_counter(ns, "/proc/net/snmp", "Icmp", "OutTimeExcds");
}

/* The named network namespace @name, opened; -1 with errno set */
static int netns_open(const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* Run @n shell commands in order; -1 at the first that fails */
static int sh_all(const char *const *cmds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (xtcp_sh("%s", cmds[i]))
			return -1;
	return 0;
}

/*
 * The start of the routed topologies below: this process in a new
 * network namespace, the names of the others in $R, $Q (@q may be NULL)
 * and $B for the commands; 0, or -1.
 */
static int topology_begin(const char *r, const char *q, const char *b)
{
	if (unshare(CLONE_NEWNET) || xtcp_lo_up() || setenv("R", r, 1) ||
	    setenv("Q", q ? q : "", 1) || setenv("B", b, 1))
		return -1;
	return 0;
}

/*
 * B's end of the routed topologies below, b0 made: B (10.9.2.1,
 * fd00:92::1) behind 10.9.2.2 (fd00:92::2); the fd of B, or -1.
 */
static int far_end_up(const char *b)
{
	static const char *const cmds[] = {
		"ip -n $B addr add 10.9.2.1/24 dev b0",
		"ip -n $B -6 addr add fd00:92::1/64 dev b0 nodad",
		"ip -n $B link set b0 up && ip -n $B link set lo up",
		"ip -n $B route add default via 10.9.2.2",
		"ip -n $B -6 route add default via fd00:92::2",
	};

	if (sh_all(cmds, ARRAY_SIZE(cmds)))
		return -1;
	return netns_open(b);
}

/*
 * Namespace $@ns made a router: it forwards IPv4 and IPv6, and its IPv6
 * addresses skip duplicate address detection (usable at once).
 */
#define ROUTER_SYSCTLS(ns) \
	"ip netns exec $" ns " sysctl -qw net.ipv4.ip_forward=1" \
	" net.ipv6.conf.all.forwarding=1 net.ipv6.conf.default.accept_dad=0"

/*
 * here (10.9.1.1, fd00:91::1) - R, a router - B (10.9.2.1, fd00:92::1):
 * named namespaces @r and @b, this process in a new one; then the fd of B.
 * With @q, a second router: here - R =1280= Q - B, the routers' own link
 * (10.9.3.0/24, fd00:93::/64) carrying 1280 bytes, the others 1500.
 */
static int routed_namespaces(const char *r, const char *q, const char *b)
{
	static const char *const head[] = {
		"ip netns add $R && ip netns add $B",
		ROUTER_SYSCTLS("R"),
		"ip link add a0 type veth peer name r0 netns $R",
		"ip addr add 10.9.1.1/24 dev a0",
		"ip -6 addr add fd00:91::1/64 dev a0 nodad",
		"ip link set a0 up",
		"ip route add default via 10.9.1.2",
		"ip -6 route add default via fd00:91::2",
		"ip -n $R addr add 10.9.1.2/24 dev r0",
		"ip -n $R -6 addr add fd00:91::2/64 dev r0 nodad",
	};
	static const char *const one_router[] = {
		"ip -n $R link add r1 type veth peer name b0 netns $B",
		"ip -n $R addr add 10.9.2.2/24 dev r1",
		"ip -n $R -6 addr add fd00:92::2/64 dev r1 nodad",
		"ip -n $R link set r0 up && ip -n $R link set r1 up",
	};
	static const char *const two_routers[] = {
		"ip netns add $Q",
		ROUTER_SYSCTLS("Q"),
		"ip -n $R link add r1 type veth peer name q1 netns $Q",
		"ip -n $R link set r1 mtu 1280 && ip -n $Q link set q1 mtu 1280",
		"ip -n $Q link add q0 type veth peer name b0 netns $B",
		"ip -n $R addr add 10.9.3.1/24 dev r1",
		"ip -n $R -6 addr add fd00:93::1/64 dev r1 nodad",
		"ip -n $R link set r0 up && ip -n $R link set r1 up",
		"ip -n $R route add 10.9.2.0/24 via 10.9.3.2",
		"ip -n $R -6 route add fd00:92::/64 via fd00:93::2",
		"ip -n $Q addr add 10.9.3.2/24 dev q1",
		"ip -n $Q -6 addr add fd00:93::2/64 dev q1 nodad",
		"ip -n $Q addr add 10.9.2.2/24 dev q0",
		"ip -n $Q -6 addr add fd00:92::2/64 dev q0 nodad",
		"ip -n $Q link set q1 up && ip -n $Q link set q0 up",
		"ip -n $Q route add 10.9.1.0/24 via 10.9.3.1",
		"ip -n $Q -6 route add fd00:91::/64 via fd00:93::1",
	};
	const char *const *mid = q ? two_routers : one_router;
	size_t n_mid = q ? ARRAY_SIZE(two_routers) : ARRAY_SIZE(one_router);

	if (topology_begin(r, q, b) || sh_all(head, ARRAY_SIZE(head)) ||
	    sh_all(mid, n_mid))
		return -1;
	return far_end_up(b);
}

/*
 * here (10.9.1.1, fd00:91::1) and two routers on one link, a bridge in R:
 * R (10.9.1.2, fe80::2), here's default first hop, and Q (10.9.1.3,
 * fe80::3), B's (10.9.2.1, fd00:92::1) own.  R's route to B goes through
 * Q, out the link it came in by, so R forwards what here sends to B and
 * tells here so with a Redirect (IPv6's first hops are link-local
 * addresses, as a Redirect must come from the first hop and name a
 * link-local one).  B's answers go through Q straight to here.  Named
 * namespaces @r, @q and @b, this process in a new one; the fd of B.
 */
static int redirect_namespaces(const char *r, const char *q, const char *b)
{
	static const char *const cmds[] = {
		"ip netns add $R && ip netns add $Q && ip netns add $B",
		ROUTER_SYSCTLS("R"), ROUTER_SYSCTLS("Q"),
		"ip netns exec $R sysctl -qw net.ipv4.conf.all.send_redirects=1",
		"sysctl -qw net.ipv4.conf.all.accept_redirects=1",
		"sysctl -qw net.ipv4.conf.default.accept_redirects=1",
		"sysctl -qw net.ipv6.conf.default.accept_redirects=1",
		"sysctl -qw net.ipv6.conf.default.accept_dad=0",
		"ip -n $R link add br0 type bridge mcast_snooping 0",
		"ip -n $R link set br0 addrgenmode none",
		"ip link add a0 type veth peer name r0 netns $R",
		"ip -n $R link add r2 type veth peer name q0 netns $Q",
		"ip -n $R link set r0 master br0 && ip -n $R link set r2 master br0",
		"ip -n $R addr add 10.9.1.2/24 dev br0",
		"ip -n $R -6 addr add fd00:91::2/64 dev br0 nodad",
		"ip -n $R -6 addr add fe80::2/64 dev br0 nodad",
		"ip -n $R link set r0 up && ip -n $R link set r2 up",
		"ip -n $R link set br0 up",
		"ip addr add 10.9.1.1/24 dev a0",
		"ip -6 addr add fd00:91::1/64 dev a0 nodad",
		"ip link set a0 up",
		"ip route add default via 10.9.1.2",
		"ip -6 route add default via fe80::2 dev a0",
		"ip -n $Q link add q1 type veth peer name b0 netns $B",
		"ip -n $Q addr add 10.9.1.3/24 dev q0",
		"ip -n $Q -6 addr add fd00:91::3/64 dev q0 nodad",
		"ip -n $Q -6 addr add fe80::3/64 dev q0 nodad",
		"ip -n $Q addr add 10.9.2.2/24 dev q1",
		"ip -n $Q -6 addr add fd00:92::2/64 dev q1 nodad",
		"ip -n $Q link set q0 up && ip -n $Q link set q1 up",
		"ip -n $R route add 10.9.2.0/24 via 10.9.1.3",
		"ip -n $R -6 route add fd00:92::/64 via fe80::3 dev br0",
	};

	if (topology_begin(r, q, b) || sh_all(cmds, ARRAY_SIZE(cmds)))
		return -1;
	return far_end_up(b);
}

/* A listener on @addr in namespace @ns; its address (the port) in @addr. */
static int listener_in(int ns, bool xtcp, struct sa46 *addr)
{
	int here = netns_enter(ns), fd;

	if (here < 0)
		return -1;
	fd = socket46(xtcp, addr->sa.sa_family == AF_INET6, SOCK_NONBLOCK);
	if (fd >= 0 && (bind(fd, &addr->sa, addr->len) || listen(fd, 4) ||
			name46(fd, addr)))
		close_fd(&fd);
	if (netns_leave(here))
		close_fd(&fd);
	return fd;
}

/* Start a non-blocking connect of @fd to @to; 0 if it is under way. */
static int connect_start(int fd, const struct sa46 *to)
{
	if (!connect(fd, &to->sa, to->len))
		return 0;
	return errno == EINPROGRESS ? 0 : -1;
}

/*
 * Across a router: a connection made with the default TTL (hop limit),
 * the route's 64, crosses it, and so did xtcp's before its sockets had a
 * TTL of 0 (none ever crossed a router).  A client whose IP_TTL
 * (IPV6_UNICAST_HOPS) is 1 does not: the router answers its SYN with
 * Time Exceeded, nothing reaches the listener, and connect() fails with
 * the error's EHOSTUNREACH, not ETIMEDOUT after its last SYN (xtcp counts
 * IcmpAborts; an error that finds connect() holding the socket only
 * notes it, so the abort may come with the SYN sent again).  IP_TOS
 * (IPV6_TCLASS) and IP_TTL set on a listener are its connections' too,
 * as TCP's clone has them.
 */
TEST_F_TIMEOUT(stream, ttl_across_a_router, 300)
{
	char r[32], b[32];
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root for network namespaces");
	snprintf(r, sizeof(r), "xsr%d", getpid());
	snprintf(b, sizeof(b), "xsb%d", getpid());
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		bool v6 = variant->v6, xtcp = variant->xtcp;
		int level = v6 ? SOL_IPV6 : SOL_IP;
		int ttl_opt = v6 ? IPV6_UNICAST_HOPS : IP_TTL;
		int tos_opt = v6 ? IPV6_TCLASS : IP_TOS;
		struct sa46 to = sa46_of(v6, 0x0a090201, "fd00:92::1", 0);
		int far, router, l, c, s, c1;
		long long end;
		long te0, aborts = 0;
		char byte = 'x';

		far = routed_namespaces(r, NULL, b);
		ASSERT_LE(0, far) TH_LOG("namespaces: %s", strerror(errno));
		l = listener_in(far, xtcp, &to);
		ASSERT_LE(0, l) TH_LOG("listener: %s", strerror(errno));
		ASSERT_EQ(0, set_int(l, level, tos_opt, 0x20))
			TH_LOG("IP_TOS/IPV6_TCLASS: %s", strerror(errno));
		ASSERT_EQ(0, set_int(l, level, ttl_opt, 33));

		c = socket46(xtcp, v6, SOCK_NONBLOCK);
		ASSERT_LE(0, c);
		EXPECT_EQ(64, get_int(c, level, ttl_opt)) TH_LOG("the default TTL");
		ASSERT_EQ(0, connect_start(c, &to)) TH_LOG("connect: %s", strerror(errno));
		ASSERT_EQ(POLLOUT, wait_revents(c, POLLOUT, XTCP_WAIT_MS) & (POLLOUT | POLLERR))
			TH_LOG("no connection across the router");
		ASSERT_TRUE(wait_revents(l, POLLIN, XTCP_WAIT_MS) & POLLIN);
		s = accept(l, NULL, NULL);
		ASSERT_LE(0, s);
		EXPECT_EQ(0x20, get_int(s, level, tos_opt)) TH_LOG("the listener's TOS");
		EXPECT_EQ(33, get_int(s, level, ttl_opt)) TH_LOG("the listener's TTL");
		/* a byte each way: the accepted socket's segments cross R too */
		EXPECT_EQ(1, send(c, &byte, 1, 0));
		EXPECT_EQ(POLLIN, wait_revents(s, POLLIN, XTCP_WAIT_MS) & POLLIN);
		EXPECT_EQ(1, recv(s, &byte, 1, 0));
		EXPECT_EQ(1, send(s, &byte, 1, 0));
		EXPECT_EQ(POLLIN, wait_revents(c, POLLIN, XTCP_WAIT_MS) & POLLIN);
		EXPECT_EQ(1, recv(c, &byte, 1, 0));

		c1 = socket46(xtcp, v6, SOCK_NONBLOCK);
		ASSERT_LE(0, c1);
		ASSERT_EQ(0, set_int(c1, level, ttl_opt, 1))
			TH_LOG("IP_TTL/IPV6_UNICAST_HOPS: %s", strerror(errno));
		EXPECT_EQ(1, get_int(c1, level, ttl_opt));
		router = netns_open(r);
		ASSERT_LE(0, router);
		te0 = time_exceeded_in(router, v6);
		ASSERT_LE(0, te0);
		if (xtcp) {
			aborts = xtcp_counter("IcmpAborts");
			ASSERT_LE(0, aborts);
		}
		ASSERT_EQ(0, connect_start(c1, &to));
		end = now_ms() + XTCP_WAIT_MS;
		while (time_exceeded_in(router, v6) == te0 && now_ms() < end)
			usleep(10000);
		EXPECT_LT(te0, time_exceeded_in(router, v6)) TH_LOG("no Time Exceeded from R");
		/* the connect gives up on the error, as TCP's, not on a timeout */
		EXPECT_EQ(POLLERR, wait_revents(c1, POLLOUT, XTCP_WAIT_MS) & POLLERR);
		/* the error is set an instant before the state changes */
		EXPECT_TRUE(wait_stream_state(xtcp, c1, XTCP_CLOSE, XTCP_WAIT_MS))
			TH_LOG("state %d", stream_state(xtcp, c1));
		EXPECT_EQ(EHOSTUNREACH, get_int(c1, SOL_SOCKET, SO_ERROR));
		if (xtcp)
			EXPECT_EQ(aborts + 1, xtcp_counter("IcmpAborts"));
		EXPECT_EQ(-1, accept(l, NULL, NULL)) TH_LOG("the TTL 1 SYN got through");
		EXPECT_EQ(EAGAIN, errno);
		close(c1);
		close(s);
		close(c);
		close(l);
		close(router);
		close(far);
		CHILD_EXIT();
	}
	EXPECT_EQ(0, child_status(pid));
	xtcp_sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null", r, b);
}

/* Connect @fd to the listener @l at @to; the accepted socket, or -1 */
static int routed_connect(int fd, int l, const struct sa46 *to)
{
	if (connect_start(fd, to) ||
	    (wait_revents(fd, POLLOUT, XTCP_WAIT_MS) & (POLLOUT | POLLERR)) != POLLOUT ||
	    !(wait_revents(l, POLLIN, XTCP_WAIT_MS) & POLLIN))
		return -1;
	return accept(l, NULL, NULL);
}

/* Connections in SYN_RCVD (listeners' requests) in namespace @ns; -1 */
static int requests_in(int ns, bool xtcp, bool v6)
{
	static const char *const files[2][2] = {
		{ "/proc/net/tcp", "/proc/net/tcp6" },
		{ "/proc/net/xtcp", "/proc/net/xtcp6" },
	};
	int here = netns_enter(ns), n = 0;
	char line[512];
	unsigned int st;
	FILE *f;

	if (here < 0)
		return -1;
	f = fopen(files[xtcp][v6], "r");
	if (!f)
		n = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, " %*d: %*s %*s %x", &st) == 1 && st == XTCP_SYN_RECV)
			n++;
	if (f)
		fclose(f);
	if (netns_leave(here))
		n = -1;
	return n;
}

/* Wait until namespace @ns holds no request; true if it came to that */
static bool requests_end(int ns, bool xtcp, bool v6)
{
	long long end = now_ms() + XTCP_WAIT_MS;

	while (requests_in(ns, xtcp, v6) != 0 && now_ms() < end)
		usleep(10000);
	return requests_in(ns, xtcp, v6) == 0;
}

/*
 * An ICMP error about a listener's SYN+ACK.  The router has no way back
 * to the client (an "unreachable" route, over IPv6 a "prohibit" one: a
 * host unreachable, an administratively prohibited, errors TCP holds
 * fatal for a request).  The client's SYN crosses; the listener's
 * SYN+ACK draws the error, and the request ends at once, as TCP's
 * tcp_req_err() ends it (TCP counts ListenDrops, xtcp IcmpAborts), rather
 * than sending its SYN+ACKs again until synack_retries (raised to 10
 * here, minutes) run out.  Nothing reaches accept().  With the route
 * back, a new client connects.
 */
TEST_F_TIMEOUT(stream, icmp_error_ends_a_request, 300)
{
	char r[32], b[32];
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root for network namespaces");
	snprintf(r, sizeof(r), "xsr%d", getpid());
	snprintf(b, sizeof(b), "xsb%d", getpid());
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		bool v6 = variant->v6, xtcp = variant->xtcp;
		struct sa46 to = sa46_of(v6, 0x0a090201, "fd00:92::1", 0);
		const char *stat = xtcp ? "/proc/net/xtcp_stat" : "/proc/net/netstat";
		const char *prefix = xtcp ? NULL : "TcpExt";
		const char *key = xtcp ? "IcmpAborts" : "ListenDrops";
		int far, l, c, s;
		long drops0, drops = -1;
		long long end;

		far = routed_namespaces(r, NULL, b);
		ASSERT_LE(0, far) TH_LOG("namespaces: %s", strerror(errno));
		ASSERT_EQ(0, xtcp_sh("ip netns exec %s sysctl -qw %s=10", b,
				     xtcp ? "net.xtcp.synack_retries" :
					    "net.ipv4.tcp_synack_retries"));
		l = listener_in(far, xtcp, &to);
		ASSERT_LE(0, l) TH_LOG("listener: %s", strerror(errno));
		/* no reverse-path filter on R (a host's default may be one) */
		ASSERT_EQ(0, xtcp_sh("ip netns exec %s sysctl -qw %s %s", r,
				     "net.ipv4.conf.all.rp_filter=0",
				     "net.ipv4.conf.r0.rp_filter=0"));
		ASSERT_EQ(0, xtcp_sh(v6 ? "ip -n %s -6 route add prohibit fd00:91::1/128" :
				     "ip -n %s route add unreachable 10.9.1.1/32", r));
		drops0 = ns_counter(far, stat, prefix, key);
		ASSERT_LE(0, drops0);

		c = socket46(xtcp, v6, SOCK_NONBLOCK);
		ASSERT_LE(0, c);
		ASSERT_EQ(0, connect_start(c, &to)) TH_LOG("connect: %s", strerror(errno));
		end = now_ms() + XTCP_WAIT_MS;
		while ((drops = ns_counter(far, stat, prefix, key)) == drops0 &&
		       now_ms() < end)
			usleep(10000);
		EXPECT_LT(drops0, drops) TH_LOG("no request ended by the error");
		/* no SYN from the client again: its requests all end now */
		close(c);
		EXPECT_TRUE(requests_end(far, xtcp, v6))
			TH_LOG("%d requests left", requests_in(far, xtcp, v6));
		EXPECT_EQ(-1, accept(l, NULL, NULL));
		EXPECT_EQ(EAGAIN, errno);
		EXPECT_EQ(0, get_int(l, SOL_SOCKET, SO_ERROR));

		ASSERT_EQ(0, xtcp_sh(v6 ? "ip -n %s -6 route del prohibit fd00:91::1/128" :
				     "ip -n %s route del unreachable 10.9.1.1/32", r));
		c = socket46(xtcp, v6, SOCK_NONBLOCK);
		ASSERT_LE(0, c);
		s = routed_connect(c, l, &to);
		EXPECT_LE(0, s) TH_LOG("no connection with the route back");
		if (s >= 0)
			close(s);
		close(c);
		close(l);
		close(far);
		CHILD_EXIT();
	}
	EXPECT_EQ(0, child_status(pid));
	xtcp_sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null", r, b);
}

/* Does this namespace's route to @dst go through @gw? */
static bool route_via(bool v6, const char *dst, const char *gw)
{
	char cmd[128], out[512] = "", want[64];
	size_t n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ip %s route get %s 2>&1", v6 ? "-6" : "", dst);
	snprintf(want, sizeof(want), " via %s ", gw);
	f = popen(cmd, "r");
	if (!f)
		return false;
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	pclose(f);
	return strstr(out, want);
}

/*
 * A Redirect: R forwards the client's segments to Q on the link they
 * came by and tells the client of the better first hop.  The error
 * handler hands it to the route code with the socket's route (as TCP's
 * does; nothing else in the stack acts on a Redirect quoting a segment),
 * so the host's route to B goes through Q from then on, and the socket's
 * next segments with it: R forwards nothing more of the connection.
 */
TEST_F_TIMEOUT(stream, redirect_moves_the_route, 300)
{
	char r[32], q[32], b[32];
	bool bridge;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root for network namespaces");
	snprintf(r, sizeof(r), "xsr%d", getpid());
	snprintf(q, sizeof(q), "xsq%d", getpid());
	snprintf(b, sizeof(b), "xsb%d", getpid());
	/* the debug lane's kernel is built without bridges */
	ASSERT_EQ(0, xtcp_sh("ip netns add %s", r));
	bridge = !xtcp_sh("ip -n %s link add br0 type bridge 2>/dev/null", r);
	ASSERT_EQ(0, xtcp_sh("ip netns del %s", r));
	if (!bridge)
		SKIP(return, "no bridge device in this kernel");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		bool v6 = variant->v6, xtcp = variant->xtcp;
		struct sa46 to = sa46_of(v6, 0x0a090201, "fd00:92::1", 0);
		const char *dst = v6 ? "fd00:92::1" : "10.9.2.1";
		const char *gw = v6 ? "fe80::3" : "10.9.1.3";
		const char *file = v6 ? "/proc/net/snmp6" : "/proc/net/snmp";
		const char *prefix = v6 ? NULL : "Ip";
		const char *key = v6 ? "Ip6OutForwDatagrams" : "ForwDatagrams";
		int far, router, l, c, s, i;
		long fwd0, fwd;
		bool moved = false;
		long long end;
		char byte = 'r', buf[4096];

		far = redirect_namespaces(r, q, b);
		ASSERT_LE(0, far) TH_LOG("namespaces: %s", strerror(errno));
		router = netns_open(r);
		ASSERT_LE(0, router);
		l = listener_in(far, xtcp, &to);
		ASSERT_LE(0, l) TH_LOG("listener: %s", strerror(errno));
		EXPECT_FALSE(route_via(v6, dst, gw)) TH_LOG("redirected already");
		c = socket46(xtcp, v6, SOCK_NONBLOCK);
		ASSERT_LE(0, c);
		s = routed_connect(c, l, &to);
		ASSERT_LE(0, s) TH_LOG("no connection through R");
		fwd0 = ns_counter(router, file, prefix, key);
		ASSERT_LT(0, fwd0) TH_LOG("R forwarded nothing");
		/*
		 * B sends bytes the client leaves unread: its ACKs, sent
		 * from softirq, cross R, and R's Redirects find no owner
		 * holding the socket (one about a segment sent from a
		 * system call would, and go unheard, on TCP as on xtcp).
		 */
		end = now_ms() + XTCP_WAIT_MS;
		for (i = 0; !moved && now_ms() < end; i++) {
			ASSERT_EQ(1, send(s, &byte, 1, 0));
			moved = route_via(v6, dst, gw);
			if (!moved)
				usleep(50000);
		}
		EXPECT_EQ(i, inq_reaches(c, i)) TH_LOG("the bytes B sent");
		EXPECT_EQ(i, recv(c, buf, sizeof(buf), MSG_DONTWAIT));
		EXPECT_TRUE(moved) TH_LOG("no route through Q: the Redirects unheard");
		/* from now on R forwards nothing of the connection */
		fwd0 = ns_counter(router, file, prefix, key);
		for (i = 0; i < 20; i++) {
			ASSERT_EQ(1, send(c, &byte, 1, 0));
			ASSERT_EQ(POLLIN, wait_revents(s, POLLIN, XTCP_WAIT_MS) & POLLIN);
			ASSERT_EQ(1, recv(s, &byte, 1, 0));
			ASSERT_EQ(1, send(s, &byte, 1, 0));
			ASSERT_EQ(POLLIN, wait_revents(c, POLLIN, XTCP_WAIT_MS) & POLLIN);
			ASSERT_EQ(1, recv(c, &byte, 1, 0));
		}
		fwd = ns_counter(router, file, prefix, key);
		EXPECT_EQ(fwd0, fwd) TH_LOG("R still forwards the connection");
		close(s);
		close(c);
		close(l);
		close(router);
		close(far);
		CHILD_EXIT();
	}
	EXPECT_EQ(0, child_status(pid));
	xtcp_sh("for n in %s %s %s; do ip netns del $n 2>/dev/null; done", r, q, b);
}

/* @fd's retransmission timer: tcpi_total_retrans and tcpi_backoff; 0 */
static int rtx_of(int fd, unsigned int *retrans, unsigned int *backoff)
{
	struct tcp_info_segs t;

	if (tcp_info_segs(fd, &t))
		return -1;
	*retrans = t.ti.tcpi_total_retrans;
	*backoff = t.ti.tcpi_backoff;
	return 0;
}

/*
 * RFC 6069: R loses its route to B (an unreachable route, so it answers
 * every segment for B with a net or host unreachable, ICMPv6's no route)
 * while the client has a byte in flight.  Each timeout doubles the
 * client's RTO and each unreachable about the resent byte undoes it, as
 * TCP's tcp_ld_RTO_revert(): after 20 resends (a tail loss probe among
 * them) the backoff is still 0 or 1 (3 allowed: an error that finds the
 * socket held by the test's own getsockopt() undoes nothing), where
 * without it about 9 go in a minute; and the connection is alive past
 * tcp_retries2's 15 timeouts, since it may give up only after as long as
 * 15 backed-off timeouts take (about 15 minutes).  With the route back,
 * the byte arrives.  The client asked for errors (IP_RECVERR,
 * IPV6_RECVERR; one byte and an int both set it, as TCP's; the server has
 * it from its listener): each unreachable is a hard error that poll() reports as
 * POLLERR and SO_ERROR reads, the connection staying (without the option
 * it would be only the soft error, which poll() does not report); its
 * error queue is read empty.  R's ICMP rate limits are lifted
 * (net.ipv4.route.error_cost exists in the initial namespace only: set
 * there for the test and put back).
 */
TEST_F_TIMEOUT(stream, unreachable_undoes_the_backoff, 420)
{
	char r[32], b[32], cost[32] = "";
	pid_t pid;
	FILE *f;

	if (geteuid() != 0)
		SKIP(return, "needs root for network namespaces");
	snprintf(r, sizeof(r), "xsr%d", getpid());
	snprintf(b, sizeof(b), "xsb%d", getpid());
	f = fopen("/proc/sys/net/ipv4/route/error_cost", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(cost, sizeof(cost), f));
	fclose(f);
	cost[strcspn(cost, "\n")] = 0;
	ASSERT_EQ(0, xtcp_sh("sysctl -qw net.ipv4.route.error_cost=0"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		bool v6 = variant->v6, xtcp = variant->xtcp;
		struct sa46 to = sa46_of(v6, 0x0a090201, "fd00:92::1", 0);
		unsigned int retrans = 0, backoff = 0;
		int level = v6 ? SOL_IPV6 : SOL_IP;
		int opt = v6 ? IPV6_RECVERR : IP_RECVERR;
		long reverts0 = 0;
		int far, l, c, s, err;
		long long start, end;
		char byte = 'u';

		far = routed_namespaces(r, NULL, b);
		ASSERT_LE(0, far) TH_LOG("namespaces: %s", strerror(errno));
		ASSERT_EQ(0, xtcp_sh("ip netns exec %s sysctl -qw %s %s", r,
				     "net.ipv4.icmp_ratelimit=0",
				     "net.ipv6.icmp.ratelimit=0"));
		l = listener_in(far, xtcp, &to);
		ASSERT_LE(0, l) TH_LOG("listener: %s", strerror(errno));
		/* the listener's option is its connections' too */
		ASSERT_EQ(0, set_int(l, level, opt, 1));
		c = socket46(xtcp, v6, SOCK_NONBLOCK);
		ASSERT_LE(0, c);
		s = routed_connect(c, l, &to);
		ASSERT_LE(0, s) TH_LOG("no connection through R");
		EXPECT_EQ(1, get_int(s, level, opt));
		EXPECT_EQ(0, get_int(c, level, opt));
		if (!v6) {	/* one byte, in and out, as ip_*sockopt() */
			unsigned char byte = 1;
			socklen_t len = 1;

			ASSERT_EQ(0, setsockopt(c, SOL_IP, IP_RECVERR, &byte, 1));
			byte = 0;
			EXPECT_EQ(0, getsockopt(c, SOL_IP, IP_RECVERR, &byte, &len));
			EXPECT_EQ(1, len);
			EXPECT_EQ(1, byte);
		}
		ASSERT_EQ(0, set_int(c, level, opt, 1));
		EXPECT_EQ(1, get_int(c, level, opt));
		if (xtcp) {
			reverts0 = xtcp_counter("RtoReverts");
			ASSERT_LE(0, reverts0);
		}

		ASSERT_EQ(0, xtcp_sh(v6 ? "ip -n %s -6 route %s unreachable fd00:92::1/128" :
				     "ip -n %s route %s unreachable 10.9.2.1/32", r, "add"));
		ASSERT_EQ(1, send(c, &byte, 1, 0));
		start = now_ms();
		/* 20 RTOs of 200 ms take 4 s; backed off, 15 take 15 minutes */
		end = start + 3 * XTCP_WAIT_MS;
		while (!rtx_of(c, &retrans, &backoff) && retrans < 20 &&
		       now_ms() < end)
			usleep(100000);
		TH_LOG("%u resends in %lld ms, backoff %u", retrans,
		       now_ms() - start, backoff);
		EXPECT_LE(20, retrans);
		EXPECT_GE(3, backoff) TH_LOG("%u backoffs in %u resends", backoff, retrans);
		EXPECT_EQ(XTCP_ESTABLISHED, stream_state(xtcp, c));
		if (xtcp)
			EXPECT_LE(reverts0 + 15, xtcp_counter("RtoReverts"));
		/* IP_RECVERR: the errors are hard ones; the queue is empty */
		EXPECT_EQ(POLLERR, wait_revents(c, POLLERR, XTCP_WAIT_MS) & POLLERR);
		err = get_int(c, SOL_SOCKET, SO_ERROR);
		EXPECT_TRUE(err == EHOSTUNREACH || err == ENETUNREACH)
			TH_LOG("SO_ERROR %d", err);
		EXPECT_EQ(-1, recv(c, &byte, 1, MSG_ERRQUEUE | MSG_DONTWAIT));
		EXPECT_EQ(EAGAIN, errno);

		ASSERT_EQ(0, xtcp_sh(v6 ? "ip -n %s -6 route %s unreachable fd00:92::1/128" :
				     "ip -n %s route %s unreachable 10.9.2.1/32", r, "del"));
		ASSERT_EQ(POLLIN, wait_revents(s, POLLIN, XTCP_WAIT_MS) & POLLIN)
			TH_LOG("the byte never came, the route back");
		ASSERT_EQ(1, recv(s, &byte, 1, 0));
		EXPECT_EQ('u', byte);
		EXPECT_EQ(XTCP_ESTABLISHED, stream_state(xtcp, c));
		close(s);
		close(c);
		close(l);
		close(far);
		CHILD_EXIT();
	}
	EXPECT_EQ(0, child_status(pid));
	xtcp_sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null", r, b);
	EXPECT_EQ(0, xtcp_sh("sysctl -qw net.ipv4.route.error_cost=%s", cost));
}

/*
 * IPv4 path MTU discovery, through two routers whose link between them
 * carries 1280 bytes (the others 1500).  Both ends start with an MSS for
 * 1500 (their routes, each other's SYN).  A socket does discovery by
 * default (IP_MTU_DISCOVER is IP_PMTUDISC_WANT, as TCP's): its segments
 * carry DF, a router answers a full one with Fragmentation Needed, and
 * the MSS comes down to fit 1280 (xtcp counts PmtuShrunk), as IP_MTU
 * does.  A client set to IP_PMTUDISC_DONT sends without DF: the routers
 * fragment, and its MSS stays (its peer's, which does discovery, still
 * comes down).  The streams arrive whole either way.  The second client
 * comes from another address: the far end's route to the first learned
 * 1280 already, and would offer the MSS for it in its SYN+ACK.  IPv6's
 * discovery (routers never fragment) is xtcp_ipv6's pmtu_through_routers.
 */
TEST_F_TIMEOUT(stream, pmtu_through_two_routers, 300)
{
	char r[32], q[32], b[32];
	pid_t pid;

	if (variant->v6)
		SKIP(return, "IPv4's; IPv6's is xtcp_ipv6's pmtu_through_routers");
	if (geteuid() != 0)
		SKIP(return, "needs root for network namespaces");
	snprintf(r, sizeof(r), "xsr%d", getpid());
	snprintf(q, sizeof(q), "xsq%d", getpid());
	snprintf(b, sizeof(b), "xsb%d", getpid());
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		const int fit = 1280 - 20 - 20;	/* IPv4's and our headers */
		struct sa46 to = sa46_of(false, 0x0a090201, NULL, 0), from;
		bool xtcp = variant->xtcp;
		int far, l, c, s, c2, s2;
		long shrunk = 0;

		far = routed_namespaces(r, q, b);
		ASSERT_LE(0, far) TH_LOG("namespaces: %s", strerror(errno));
		l = listener_in(far, xtcp, &to);
		ASSERT_LE(0, l) TH_LOG("listener: %s", strerror(errno));
		if (xtcp) {
			shrunk = xtcp_counter("PmtuShrunk");
			ASSERT_LE(0, shrunk);
		}

		/* first without discovery: nothing learns the path here */
		c2 = socket46(xtcp, false, SOCK_NONBLOCK);
		ASSERT_LE(0, c2);
		EXPECT_EQ(IP_PMTUDISC_WANT, get_int(c2, SOL_IP, IP_MTU_DISCOVER));
		ASSERT_EQ(0, set_int(c2, SOL_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT))
			TH_LOG("IP_MTU_DISCOVER: %s", strerror(errno));
		EXPECT_EQ(IP_PMTUDISC_DONT, get_int(c2, SOL_IP, IP_MTU_DISCOVER));
		EXPECT_EQ(-1, get_int(c2, SOL_IP, IP_MTU)) TH_LOG("no route yet");
		EXPECT_EQ(ENOTCONN, errno);
		s2 = routed_connect(c2, l, &to);
		ASSERT_LE(0, s2) TH_LOG("no connection across the routers");
		EXPECT_LT(fit, get_int(c2, IPPROTO_TCP, TCP_MAXSEG));
		EXPECT_STREQ("", stream_both_ways(c2, s2)) TH_LOG("without DF");
		EXPECT_LT(fit, get_int(c2, IPPROTO_TCP, TCP_MAXSEG))
			TH_LOG("fragmented by the router, not cut");
		EXPECT_GE(fit, get_int(s2, IPPROTO_TCP, TCP_MAXSEG))
			TH_LOG("the far end does discovery");
		if (xtcp)
			EXPECT_EQ(shrunk, xtcp_counter("PmtuShrunk"));

		c = socket46(xtcp, false, SOCK_NONBLOCK);
		ASSERT_LE(0, c);
		ASSERT_EQ(0, xtcp_sh("ip addr add 10.9.1.3/24 dev a0"));
		from = sa46_of(false, 0x0a090103, NULL, 0);
		ASSERT_EQ(0, bind(c, &from.sa, from.len)) TH_LOG("bind: %s", strerror(errno));
		s = routed_connect(c, l, &to);
		ASSERT_LE(0, s) TH_LOG("no connection across the routers");
		EXPECT_EQ(1500, get_int(c, SOL_IP, IP_MTU)) TH_LOG("the first hop's");
		EXPECT_LT(fit, get_int(c, IPPROTO_TCP, TCP_MAXSEG));
		EXPECT_STREQ("", stream_both_ways(c, s));
		EXPECT_GE(fit, get_int(c, IPPROTO_TCP, TCP_MAXSEG));
		EXPECT_GE(fit, get_int(s, IPPROTO_TCP, TCP_MAXSEG));
		EXPECT_EQ(1280, get_int(c, SOL_IP, IP_MTU)) TH_LOG("the path's");
		if (xtcp)
			EXPECT_LT(shrunk, xtcp_counter("PmtuShrunk"));
		close(c);
		close(s);
		close(c2);
		close(s2);
		close(l);
		close(far);
		CHILD_EXIT();
	}
	EXPECT_EQ(0, child_status(pid));
	xtcp_sh("for n in %s %s %s; do ip netns del $n 2>/dev/null; done", r, q, b);
}

/* ---- shutdown ---- */

/*
 * A non-blocking connect() that completed while nobody waited in it:
 * shutdown(SHUT_WR) sends the FIN (the peer reads its end of stream),
 * SHUT_RD is taken too.
 */
TEST_F(stream, shutdown_after_nonblocking_connect)
{
	struct sa46 laddr;
	int l, c, s;
	char b;

	l = listener46(variant->xtcp, variant->v6, 4, &laddr);
	ASSERT_LE(0, l);
	c = socket46(variant->xtcp, variant->v6, SOCK_NONBLOCK);
	ASSERT_LE(0, c);
	ASSERT_EQ(-1, connect(c, &laddr.sa, laddr.len));
	ASSERT_EQ(EINPROGRESS, errno);
	ASSERT_EQ(POLLOUT, wait_revents(c, POLLOUT, XTCP_WAIT_MS));
	ASSERT_EQ(0, get_int(c, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(0, shutdown(c, SHUT_WR)) TH_LOG("shutdown: %s", strerror(errno));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	ASSERT_TRUE(wait_revents(s, POLLIN, XTCP_WAIT_MS) & POLLIN);
	EXPECT_EQ(0, recv(s, &b, 1, 0));
	/* our FIN acked (TCP may delay that ACK: its peer is in pingpong) */
	EXPECT_TRUE(wait_stream_state(variant->xtcp, c, XTCP_FIN_WAIT2, XTCP_WAIT_MS))
		TH_LOG("state %d", stream_state(variant->xtcp, c));
	EXPECT_EQ(0, shutdown(c, SHUT_RD));
	/* both ways shut now: the socket reports a hang-up */
	EXPECT_TRUE(wait_revents(c, POLLIN, 0) & POLLHUP);
	close(s);
	close(c);
	close(l);
}

/* Not connected: ENOTCONN; a "how" out of range: EINVAL first. */
TEST_F(stream, shutdown_unconnected_enotconn)
{
	struct sa46 sin = sa46_lo(variant->v6, 0);
	int fd = socket46(variant->xtcp, variant->v6, 0);
	static const int hows[] = { SHUT_RD, SHUT_WR, SHUT_RDWR };
	size_t i;

	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(hows); i++) {
		EXPECT_EQ(-1, shutdown(fd, hows[i]));
		EXPECT_EQ(ENOTCONN, errno);
	}
	EXPECT_EQ(-1, shutdown(fd, 3));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, shutdown(fd, -1));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, bind(fd, &sin.sa, sin.len));
	EXPECT_EQ(-1, shutdown(fd, SHUT_WR));
	EXPECT_EQ(ENOTCONN, errno);
	close(fd);
}

/*
 * A listener: SHUT_WR changes nothing (it still accepts); SHUT_RD stops
 * it (accept() then says EINVAL) and it may listen again.
 */
TEST_F(stream, shutdown_listener)
{
	struct sa46 laddr;
	int l, c, s;

	l = listener46(variant->xtcp, variant->v6, 4, &laddr);
	ASSERT_LE(0, l);
	EXPECT_EQ(0, shutdown(l, SHUT_WR));
	c = connect46(variant->xtcp, variant->v6, &laddr);
	ASSERT_LE(0, c);
	s = accept(l, NULL, NULL);
	EXPECT_LE(0, s);
	close(s);
	close(c);
	EXPECT_EQ(0, shutdown(l, SHUT_RD));
	EXPECT_EQ(XTCP_CLOSE, stream_state(variant->xtcp, l));
	EXPECT_EQ(-1, accept(l, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, listen(l, 4)) TH_LOG("listen again: %s", strerror(errno));
	EXPECT_EQ(XTCP_LISTEN, stream_state(variant->xtcp, l));
	close(l);
}

/*
 * shutdown() while the SYN is unanswered gives the connect up: SO_ERROR
 * says ECONNRESET, the socket is CLOSED and connects again elsewhere.
 */
TEST_F(stream, shutdown_during_connect)
{
	pid_t pid;

	if (variant->v6)
		SKIP(return, "an IPv4 route");

	if (geteuid() != 0)
		SKIP(return, "needs root for a network namespace");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct sockaddr_in dst = sin_of(ADDR_DEV_LO, 9), laddr;
		int fd, l, s;

		ASSERT_EQ(0, netns_with_routes());
		l = stream_listener(variant->xtcp, 4, &laddr);
		ASSERT_LE(0, l);
		fd = stream_socket(variant->xtcp, SOCK_NONBLOCK);
		ASSERT_LE(0, fd);
		ASSERT_EQ(-1, connect(fd, (struct sockaddr *)&dst, sizeof(dst)));
		ASSERT_EQ(EINPROGRESS, errno);
		EXPECT_EQ(0, shutdown(fd, SHUT_WR)) TH_LOG("shutdown: %s", strerror(errno));
		EXPECT_EQ(XTCP_CLOSE, stream_state(variant->xtcp, fd));
		EXPECT_EQ(ECONNRESET, get_int(fd, SOL_SOCKET, SO_ERROR));
		EXPECT_EQ(0, get_int(fd, SOL_SOCKET, SO_ERROR));
		/* a fresh start: connecting again works */
		EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&laddr, sizeof(laddr)));
		EXPECT_EQ(EINPROGRESS, errno);
		EXPECT_EQ(POLLOUT, wait_revents(fd, POLLOUT, XTCP_WAIT_MS));
		EXPECT_EQ(0, get_int(fd, SOL_SOCKET, SO_ERROR));
		EXPECT_EQ(XTCP_ESTABLISHED, stream_state(variant->xtcp, fd));
		s = accept(l, NULL, NULL);
		EXPECT_LE(0, s);
		close(s);
		close(fd);
		close(l);
		CHILD_EXIT();
	}
	EXPECT_EQ(0, child_status(pid));
}

/* ===================================================================== */
/* conn: a connection of the variant, and a TCP one to compare with      */
/* ===================================================================== */

FIXTURE(conn)
{
	int cli, srv;		/* the variant's connection */
	int rcli, rsrv;		/* a TCP connection, the reference */
};

/*
 * Where the two connections run: IPv4 loopback; IPv6 loopback (::1); or
 * a veth pair between two network namespaces with IPv6 addresses (from
 * fd00:9::1 to a listener on fd00:9::2), where segments meet a device,
 * neighbour discovery and a 1500-byte MTU.  The reference TCP connection
 * takes the same path as the variant's.
 */
FIXTURE_VARIANT(conn)
{
	bool xtcp;
	const char *addr6;	/* the listener's IPv6 address; NULL: IPv4 */
	bool veth;		/* addr6 is at the far end of a veth pair */
};

FIXTURE_VARIANT_ADD(conn, tcp)
{
	.xtcp = false,
};

FIXTURE_VARIANT_ADD(conn, xtcp)
{
	.xtcp = true,
};

FIXTURE_VARIANT_ADD(conn, tcp_lo6)
{
	.xtcp = false,
	.addr6 = "::1",
};

FIXTURE_VARIANT_ADD(conn, xtcp_lo6)
{
	.xtcp = true,
	.addr6 = "::1",
};

FIXTURE_VARIANT_ADD(conn, tcp_veth6)
{
	.xtcp = false,
	.addr6 = "fd00:9::2",
	.veth = true,
};

FIXTURE_VARIANT_ADD(conn, xtcp_veth6)
{
	.xtcp = true,
	.addr6 = "fd00:9::2",
	.veth = true,
};

/*
 * The veth variants' pair is set up once for the program (a new pair for
 * each test would cost seconds of ip(8) runs under TCG): x60 in a network
 * namespace of the program's own (veth_near), x61 in one that has a name
 * only while it is set up, then is held by veth_far alone (nothing is
 * left behind however the program ends).  Each test's child enters
 * veth_near; the sockets of one test are gone before the next starts, so
 * tests share nothing but addresses and neighbour entries.  veth_why says
 * what failed, for the tests to report.
 */
static int veth_near = -1, veth_far = -1;
static const char *veth_why = "not set up";

static void __attribute__((constructor)) veth_up(void)
{
	int here = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	char path[64], veth_ns[32] = "";

	if (here < 0) {
		veth_why = "no /proc/self/ns/net";
		return;
	}
	veth_why = xtcp_fresh_netns();
	if (!*veth_why) {
		snprintf(veth_ns, sizeof(veth_ns), "xs%d", getpid());
		veth_why = xtcp_veth6(veth_ns);
	}
	if (!*veth_why) {
		snprintf(path, sizeof(path), "/run/netns/%s", veth_ns);
		veth_near = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		veth_far = open(path, O_RDONLY | O_CLOEXEC);
		if (veth_near < 0 || veth_far < 0)
			veth_why = "cannot open the namespaces";
	}
	/* held by veth_far from now on: nothing left if we are killed */
	if (veth_ns[0])
		xtcp_sh("ip netns del %s 2>/dev/null", veth_ns);
	/* the other tests run where the program started */
	if (setns(here, CLONE_NEWNET)) {
		perror("xtcp_stream: setns back");
		exit(KSFT_FAIL);
	}
	close(here);
}

/* A connection of either protocol to @addr6 (NULL: 127.0.0.1) */
static int conn_pair(const char *addr6, bool veth, bool xtcp, int *cli,
		     int *srv)
{
	if (!addr6)
		return stream_pair(xtcp, cli, srv);
	return stream6_pair(xtcp, addr6, veth ? veth_far : -1, cli, srv);
}

FIXTURE_SETUP(conn)
{
	XTCP_SKIP_TCP_REFERENCE(variant->xtcp);
	self->cli = -1;
	self->srv = -1;
	self->rcli = -1;
	self->rsrv = -1;
	signal(SIGPIPE, SIG_IGN);
	if (variant->veth) {
		ASSERT_STREQ("", veth_why);
		ASSERT_EQ(0, setns(veth_near, CLONE_NEWNET));
	}
	ASSERT_EQ(0, conn_pair(variant->addr6, variant->veth, false,
			       &self->rcli, &self->rsrv))
		TH_LOG("TCP connection: %s", strerror(errno));
	ASSERT_EQ(0, conn_pair(variant->addr6, variant->veth, variant->xtcp,
			       &self->cli, &self->srv))
		TH_LOG("connection: %s", strerror(errno));
}

FIXTURE_TEARDOWN(conn)
{
	close_fd(&self->cli);
	close_fd(&self->srv);
	close_fd(&self->rcli);
	close_fd(&self->rsrv);
}

/* ---- data ---- */

TEST_F(conn, data_small_both_ways)
{
	unsigned char out[2048], in[2048];
	char byte;
	int i;

	for (i = 0; i < 12; i++) {
		size_t len = 1U << (i % 11);
		struct iovec iov[2];
		struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };

		/* client -> server with send()/recv() */
		pattern(out, len, i);
		ASSERT_EQ(len, send(self->cli, out, len, 0));
		memset(in, 0, sizeof(in));
		ASSERT_EQ(0, recv_all(self->srv, in, len));
		EXPECT_EQ(0, memcmp(out, in, len));

		/* server -> client with write() and a two-piece sendmsg() */
		pattern(out, 2 * len, i + 100);
		ASSERT_EQ(len, write(self->srv, out, len));
		iov[0].iov_base = out + len;
		iov[0].iov_len = len / 2;
		iov[1].iov_base = out + len + len / 2;
		iov[1].iov_len = len - len / 2;
		ASSERT_EQ(len, sendmsg(self->srv, &msg, 0));
		memset(in, 0, sizeof(in));
		ASSERT_EQ(0, recv_all(self->cli, in, 2 * len));
		EXPECT_EQ(0, memcmp(out, in, 2 * len));
	}
	/* Nothing more than was sent arrived, in either direction. */
	EXPECT_EQ(-1, recv(self->srv, &byte, 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, recv(self->cli, &byte, 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(conn, data_read_write_recvmsg)
{
	unsigned char out[1000], a[300], b[700];
	struct iovec iov[2] = {
		{ .iov_base = a, .iov_len = sizeof(a) },
		{ .iov_base = b, .iov_len = sizeof(b) },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };

	pattern(out, sizeof(out), 3);
	ASSERT_EQ(sizeof(out), write(self->cli, out, sizeof(out)));
	ASSERT_EQ(POLLIN, wait_revents(self->srv, POLLIN, XTCP_WAIT_MS));
	ASSERT_EQ(sizeof(out), recvmsg(self->srv, &msg, MSG_WAITALL));
	EXPECT_EQ(0, memcmp(out, a, sizeof(a)));
	EXPECT_EQ(0, memcmp(out + sizeof(a), b, sizeof(b)));
	EXPECT_EQ(0, msg.msg_flags);

	ASSERT_EQ(sizeof(out), send(self->srv, out, sizeof(out), 0));
	ASSERT_EQ(0, recv_all(self->cli, b, sizeof(b)));
	ASSERT_EQ(sizeof(a), read(self->cli, a, sizeof(a)));
	EXPECT_EQ(0, memcmp(out, b, sizeof(b)));
	EXPECT_EQ(0, memcmp(out + sizeof(b), a, sizeof(a)));
}

#define BIG_LEN		(8 << 20)

/*
 * 8 MiB client -> server in chunks of random sizes (a forked sender), read
 * back in other random sizes; the FNV-1a of the stream must be the same at
 * both ends.  The receiver knows the length, so no close is needed.  Over
 * the veth (1500-byte segments, one packet each for xtcp over IPv6) the
 * length follows $XTCP_LOAD_PERCENT, down to 1 MiB: the debug kernel's
 * lane runs at 5 %.
 */
TEST_F_TIMEOUT(conn, data_8mib_checksum, 300)
{
	static unsigned char buf[65536];
	const size_t big = variant->veth ? xtcp_scaled_min(BIG_LEN, 1 << 20) :
		BIG_LEN;
	unsigned long long seed = 0x5eed, got = FNV_OFFSET, sent;
	size_t total = 0;
	int pfd[2];
	pid_t pid;

	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned long long h = FNV_OFFSET, s = 0x1234;
		size_t off = 0;

		close(pfd[0]);
		while (off < big) {
			size_t len = 1 + xorshift(&s) % sizeof(buf);

			if (len > big - off)
				len = big - off;
			fill_random(&seed, buf, len);
			h = fnv1a(h, buf, len);
			if (send_all(self->cli, buf, len))
				_exit(1);
			off += len;
		}
		if (write(pfd[1], &h, sizeof(h)) != sizeof(h))
			_exit(2);
		_exit(0);
	}
	close(pfd[1]);
	while (total < big) {
		size_t want = 1 + xorshift(&seed) % sizeof(buf);
		ssize_t n = recv(self->srv, buf, want, 0);

		ASSERT_LT(0, n) TH_LOG("recv after %zu bytes: %s", total,
				       n ? strerror(errno) : "end of stream");
		got = fnv1a(got, buf, n);
		total += n;
	}
	EXPECT_EQ(big, total);
	ASSERT_EQ(sizeof(sent), read(pfd[0], &sent, sizeof(sent)));
	EXPECT_EQ(sent, got);
	EXPECT_EQ(0, child_status(pid));
	EXPECT_EQ(-1, recv(self->srv, buf, 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	close(pfd[0]);
}

TEST_F(conn, data_peek_then_read)
{
	char buf[16];

	ASSERT_EQ(6, send(self->cli, "abcdef", 6, 0));
	ASSERT_EQ(POLLIN, wait_revents(self->srv, POLLIN, XTCP_WAIT_MS));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(3, recv(self->srv, buf, 3, MSG_PEEK));
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(6, recv(self->srv, buf, sizeof(buf), MSG_PEEK));
	EXPECT_EQ(0, memcmp(buf, "abcdef", 6));
	/* Still there: the read gets the same bytes, and consumes them. */
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(6, recv(self->srv, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "abcdef", 6));
	EXPECT_EQ(-1, recv(self->srv, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(conn, data_dontwait_empty_eagain)
{
	char buf[16];

	EXPECT_EQ(-1, recv(self->srv, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, recv(self->cli, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, fcntl(self->srv, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, recv(self->srv, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, read(self->srv, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	/* Sending does not wait with room in the buffer. */
	EXPECT_EQ(3, send(self->cli, "abc", 3, MSG_DONTWAIT));
	ASSERT_EQ(POLLIN, wait_revents(self->srv, POLLIN, XTCP_WAIT_MS));
	EXPECT_EQ(3, recv(self->srv, buf, sizeof(buf), 0));
}

/*
 * MSG_WAITALL: a forked receiver asks for 4000 bytes that arrive in four
 * pieces.  Between pieces it must not have returned (the 200 ms poll on
 * its report pipe is the check, not a synchronisation: the result is the
 * same whenever the pieces arrive).
 */
TEST_F(conn, data_waitall_pieces)
{
	unsigned char out[4000], in[4000];
	const size_t piece = sizeof(out) / 4;
	ssize_t n;
	int pfd[2], i;
	pid_t pid;

	pattern(out, sizeof(out), 9);
	ASSERT_EQ(piece, send(self->cli, out, piece, 0));
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(pfd[0]);
		n = recv(self->srv, in, sizeof(in), MSG_WAITALL);
		if (write(pfd[1], &n, sizeof(n)) != sizeof(n))
			_exit(1);
		if (n > 0 && write(pfd[1], in, n) != n)
			_exit(2);
		_exit(0);
	}
	close(pfd[1]);
	for (i = 1; i < 4; i++) {
		EXPECT_EQ(0, wait_revents(pfd[0], POLLIN, 200))
			TH_LOG("recv(MSG_WAITALL) returned after %d pieces", i);
		ASSERT_EQ(piece, send(self->cli, out + i * piece, piece, 0));
	}
	ASSERT_EQ(sizeof(n), read(pfd[0], &n, sizeof(n)));
	ASSERT_EQ(sizeof(in), n);
	ASSERT_EQ(sizeof(in), read(pfd[0], in, sizeof(in)));
	EXPECT_EQ(0, memcmp(out, in, sizeof(in)));
	EXPECT_EQ(0, child_status(pid));
	close(pfd[0]);
}

TEST_F(conn, data_rcvtimeo_eagain)
{
	struct timeval tv;
	socklen_t len = sizeof(tv);
	long long t0, ms;
	char buf[16];
	ssize_t n;

	ASSERT_EQ(0, set_timeout(self->srv, SO_RCVTIMEO, 300));
	ASSERT_EQ(0, getsockopt(self->srv, SOL_SOCKET, SO_RCVTIMEO, &tv, &len));
	EXPECT_EQ(0, tv.tv_sec);
	EXPECT_EQ(300000, tv.tv_usec);
	t0 = now_ms();
	EXPECT_EQ(-1, recv(self->srv, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
	ms = now_ms() - t0;
	EXPECT_LE(250, ms);
	/* only "it does time out": a busy machine may add seconds */
	EXPECT_GT(XTCP_WAIT_MS, ms);

	/*
	 * Data within the timeout is received as usual.  A busy machine may
	 * deliver it later than that: each timeout is a new try.
	 */
	ASSERT_EQ(2, send(self->cli, "ok", 2, 0));
	t0 = now_ms();
	do
		n = recv(self->srv, buf, sizeof(buf), 0);
	while (n < 0 && errno == EAGAIN && now_ms() - t0 < XTCP_WAIT_MS);
	EXPECT_EQ(2, n) TH_LOG("recv: %s", n < 0 ? strerror(errno) : "short");
}

/*
 * Fill the send buffer with the peer not reading, then a blocking send()
 * under SO_SNDTIMEO fails with EAGAIN after the timeout.  Small buffers on
 * both ends keep the fill short; the amount taken is logged and bounded.
 */
TEST_F(conn, data_sndtimeo_full_buffer)
{
	static unsigned char buf[65536];
	size_t queued = 0;
	long long t0 = 0, ms, end;
	ssize_t n;

	ASSERT_EQ(0, set_int(self->cli, SOL_SOCKET, SO_SNDBUF, 16384));
	ASSERT_EQ(0, set_int(self->srv, SOL_SOCKET, SO_RCVBUF, 16384));
	for (;;) {
		n = send(self->cli, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			break;
		queued += n;
		ASSERT_GT(16 << 20, queued) TH_LOG("send buffer never fills");
	}
	ASSERT_EQ(EAGAIN, errno);
	TH_LOG("%zu bytes queued before EAGAIN", queued);
	EXPECT_GT(4 << 20, queued);

	ASSERT_EQ(0, set_timeout(self->cli, SO_SNDTIMEO, 300));
	/*
	 * Room freed by ACKs in flight may take a few more bytes first (many
	 * more sends, each taking some, if a busy machine lets them trickle).
	 */
	end = now_ms() + XTCP_WAIT_MS;
	do {
		t0 = now_ms();
		n = send(self->cli, buf, sizeof(buf), 0);
		if (n > 0)
			queued += n;
	} while (n > 0 && t0 < end);
	ms = now_ms() - t0;
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_LE(250, ms);
	/* only "it does time out": a busy machine may add seconds */
	EXPECT_GT(XTCP_WAIT_MS, ms);

	/* The peer reads exactly what was taken: then it is writable again. */
	while (queued) {
		size_t len = queued < sizeof(buf) ? queued : sizeof(buf);

		ASSERT_EQ(0, recv_all(self->srv, buf, len));
		queued -= len;
	}
	EXPECT_EQ(POLLOUT, wait_revents(self->cli, POLLOUT, XTCP_WAIT_MS));
	EXPECT_EQ(-1, recv(self->srv, buf, 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
}

static sig_atomic_t alarms;

static void on_alarm(int sig)
{
	alarms++;
}

/* A signal without SA_RESTART interrupts a blocking recv() with EINTR. */
TEST_F(conn, data_signal_eintr)
{
	struct itimerval it = { .it_value = { .tv_usec = 300000 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	char buf[16];

	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	alarms = 0;
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_EQ(-1, recv(self->srv, buf, sizeof(buf), 0));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(1, alarms);

	/* The connection is unharmed. */
	ASSERT_EQ(2, send(self->cli, "ok", 2, 0));
	EXPECT_EQ(2, recv(self->srv, buf, sizeof(buf), 0));
}

/* ---- readiness: poll() and epoll, compared with TCP's ---- */

TEST_F(conn, poll_fresh_connection)
{
	EXPECT_EQ(POLLOUT, revents_now(self->rcli));
	EXPECT_EQ(POLLOUT, revents_now(self->rsrv));
	EXPECT_EQ(revents_now(self->rcli), revents_now(self->cli));
	EXPECT_EQ(revents_now(self->rsrv), revents_now(self->srv));
}

TEST_F(conn, poll_after_peer_wrote)
{
	char buf[16];

	ASSERT_EQ(5, send(self->cli, "hello", 5, 0));
	ASSERT_EQ(5, send(self->rcli, "hello", 5, 0));
	ASSERT_EQ(POLLIN, wait_revents(self->srv, POLLIN, XTCP_WAIT_MS));
	ASSERT_EQ(POLLIN, wait_revents(self->rsrv, POLLIN, XTCP_WAIT_MS));
	EXPECT_EQ(POLLIN | POLLOUT, revents_now(self->rsrv));
	EXPECT_EQ(revents_now(self->rsrv), revents_now(self->srv));
	EXPECT_EQ(revents_now(self->rcli), revents_now(self->cli));

	/* Read out, it is back to writable only. */
	ASSERT_EQ(5, recv(self->srv, buf, sizeof(buf), 0));
	ASSERT_EQ(5, recv(self->rsrv, buf, sizeof(buf), 0));
	EXPECT_EQ(POLLOUT, revents_now(self->rsrv));
	EXPECT_EQ(revents_now(self->rsrv), revents_now(self->srv));
}

/*
 * The peer shut its write side: readable (end of stream),
 * POLLRDHUP, still writable; the half-open connection carries data the
 * other way.
 */
TEST_F(conn, poll_after_peer_shutdown_write)
{
	char buf[16];

	ASSERT_EQ(0, shutdown(self->rcli, SHUT_WR));
	ASSERT_EQ(0, shutdown(self->cli, SHUT_WR)) TH_LOG("shutdown: %s", strerror(errno));
	ASSERT_TRUE(wait_revents(self->rsrv, POLLRDHUP, XTCP_WAIT_MS) & POLLRDHUP);
	ASSERT_TRUE(wait_revents(self->srv, POLLRDHUP, XTCP_WAIT_MS) & POLLRDHUP);
	EXPECT_EQ(POLLIN | POLLOUT | POLLRDHUP, revents_now(self->rsrv));
	EXPECT_EQ(revents_now(self->rsrv), revents_now(self->srv));
	/* The side that shut down stays writable as far as poll() goes. */
	EXPECT_EQ(revents_now(self->rcli), revents_now(self->cli));

	EXPECT_EQ(0, recv(self->srv, buf, sizeof(buf), 0));
	EXPECT_EQ(XTCP_CLOSE_WAIT, stream_state(variant->xtcp, self->srv));
	ASSERT_EQ(2, send(self->srv, "ok", 2, 0));
	EXPECT_EQ(2, recv(self->cli, buf, sizeof(buf), 0));
	/* That carried the ACK of the FIN (TCP delays a bare one). */
	EXPECT_EQ(XTCP_FIN_WAIT2, stream_state(variant->xtcp, self->cli));
}

/*
 * The peer closed: the same as a shutdown of its write side,
 * until data sent to it draws a reset (POLLERR|POLLHUP, then EPIPE).
 */
TEST_F(conn, poll_after_peer_close)
{
	char buf[16];

	close(self->rcli);
	self->rcli = -1;
	close(self->cli);
	self->cli = -1;
	ASSERT_TRUE(wait_revents(self->rsrv, POLLRDHUP, XTCP_WAIT_MS) & POLLRDHUP);
	ASSERT_TRUE(wait_revents(self->srv, POLLRDHUP, XTCP_WAIT_MS) & POLLRDHUP);
	EXPECT_EQ(POLLIN | POLLOUT | POLLRDHUP, revents_now(self->rsrv));
	EXPECT_EQ(revents_now(self->rsrv), revents_now(self->srv));
	EXPECT_EQ(0, recv(self->srv, buf, sizeof(buf), 0));

	/* Data to a closed socket: the peer answers with a reset. */
	ASSERT_EQ(2, send(self->rsrv, "xx", 2, MSG_NOSIGNAL));
	ASSERT_EQ(2, send(self->srv, "xx", 2, MSG_NOSIGNAL));
	ASSERT_TRUE(wait_revents(self->rsrv, POLLHUP, XTCP_WAIT_MS) & POLLHUP);
	ASSERT_TRUE(wait_revents(self->srv, POLLHUP, XTCP_WAIT_MS) & POLLHUP);
	EXPECT_EQ(POLLIN | POLLOUT | POLLRDHUP | POLLERR | POLLHUP,
		  revents_now(self->rsrv));
	EXPECT_EQ(revents_now(self->rsrv), revents_now(self->srv));
	EXPECT_EQ(XTCP_CLOSE, stream_state(variant->xtcp, self->srv));
	EXPECT_EQ(-1, send(self->srv, "xx", 2, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);
}

/*
 * Edge-triggered epoll: one event for the connection becoming writable,
 * none until something changes, one (readable and writable) when the peer
 * writes.  The event masks are compared with TCP's.
 */
static int epoll_for(int fd)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.fd = fd,
	};
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		return -1;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		close(ep);
		return -1;
	}
	return ep;
}

/* The events of one epoll_wait(), 0 for none, -1 on error. */
static int epoll_events(int ep, int timeout_ms)
{
	struct epoll_event ev;
	int n = epoll_wait(ep, &ev, 1, timeout_ms);

	if (n < 0)
		return -1;
	return n ? (int)ev.events : 0;
}

TEST_F(conn, epoll_edge_triggered)
{
	int ep, rep;
	char buf[16];

	ep = epoll_for(self->srv);
	rep = epoll_for(self->rsrv);
	ASSERT_LE(0, ep);
	ASSERT_LE(0, rep);

	EXPECT_EQ(EPOLLOUT, epoll_events(rep, 0));
	EXPECT_EQ(EPOLLOUT, epoll_events(ep, 0));
	EXPECT_EQ(0, epoll_events(rep, 0));
	EXPECT_EQ(0, epoll_events(ep, 0));

	ASSERT_EQ(3, send(self->rcli, "abc", 3, 0));
	ASSERT_EQ(3, send(self->cli, "abc", 3, 0));
	EXPECT_EQ(EPOLLIN | EPOLLOUT, epoll_events(rep, XTCP_WAIT_MS));
	EXPECT_EQ(EPOLLIN | EPOLLOUT, epoll_events(ep, XTCP_WAIT_MS));
	/* Not read, but no new edge either. */
	EXPECT_EQ(0, epoll_events(rep, 0));
	EXPECT_EQ(0, epoll_events(ep, 0));

	EXPECT_EQ(3, recv(self->srv, buf, sizeof(buf), 0));
	EXPECT_EQ(3, recv(self->rsrv, buf, sizeof(buf), 0));
	close(rep);
	close(ep);
}

/* ---- resets ---- */

/*
 * The peer aborts (SO_LINGER with a zero timeout, then close): the next
 * recv() reports ECONNRESET once and returns 0 after that, send() fails
 * with EPIPE, poll reports the error; the same on both protocols.
 */
TEST_F(conn, reset_by_peer_econnreset_once)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	char c;
	int ev;

	ASSERT_EQ(0, setsockopt(self->srv, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	ASSERT_EQ(0, close(self->srv));
	self->srv = -1;
	ev = wait_revents(self->cli, POLLERR, XTCP_WAIT_MS);
	EXPECT_EQ(POLLERR | POLLHUP, ev);
	EXPECT_EQ(-1, recv(self->cli, &c, 1, 0));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_EQ(0, get_int(self->cli, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(0, recv(self->cli, &c, 1, 0));
	EXPECT_EQ(-1, send(self->cli, "x", 1, 0));
	EXPECT_EQ(EPIPE, errno);
}

/* ---- socket options ---- */

TEST_F(conn, opt_so_error_zero)
{
	EXPECT_EQ(0, get_int(self->cli, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(0, get_int(self->srv, SOL_SOCKET, SO_ERROR));
}

TEST_F(conn, opt_keepalive)
{
	const int fds[] = { self->cli, self->srv };
	size_t i;

	EXPECT_EQ(0, get_int(self->rcli, SOL_SOCKET, SO_KEEPALIVE));
	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		EXPECT_EQ(get_int(self->rcli, SOL_SOCKET, SO_KEEPALIVE),
			  get_int(fds[i], SOL_SOCKET, SO_KEEPALIVE));
		ASSERT_EQ(0, set_int(fds[i], SOL_SOCKET, SO_KEEPALIVE, 1));
		EXPECT_EQ(1, get_int(fds[i], SOL_SOCKET, SO_KEEPALIVE));
		ASSERT_EQ(0, set_int(fds[i], SOL_SOCKET, SO_KEEPALIVE, 0));
		EXPECT_EQ(0, get_int(fds[i], SOL_SOCKET, SO_KEEPALIVE));
	}
	/* Still a working connection. */
	ASSERT_EQ(0, set_int(self->cli, SOL_SOCKET, SO_KEEPALIVE, 1));
	ASSERT_EQ(2, send(self->cli, "ok", 2, 0));
	ASSERT_EQ(POLLIN, wait_revents(self->srv, POLLIN, XTCP_WAIT_MS));
}

/*
 * SO_RCVBUF/SO_SNDBUF on a connected socket: the kernel doubles what it is
 * given and clamps to its minimum and to rmem_max/wmem_max, exactly as for
 * the TCP socket next to it.
 */
TEST_F(conn, opt_buffer_sizes)
{
	static const char * const names[] = { "SO_RCVBUF", "SO_SNDBUF" };
	const int opts[] = { SO_RCVBUF, SO_SNDBUF };
	const struct {
		int set, lo, hi;	/* what is set, what comes back */
	} sizes[] = {
		{ 65536, 2 * 65536, 2 * 65536 },
		{ 1, 2, 65535 },		/* the minimum */
		{ INT_MAX, 2, INT_MAX - 1 },	/* the sysctl maximum */
	};
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(opts); i++)
		for (j = 0; j < ARRAY_SIZE(sizes); j++) {
			int ref, got;

			ASSERT_EQ(0, set_int(self->rcli, SOL_SOCKET, opts[i], sizes[j].set));
			ASSERT_EQ(0, set_int(self->cli, SOL_SOCKET, opts[i], sizes[j].set));
			ref = get_int(self->rcli, SOL_SOCKET, opts[i]);
			got = get_int(self->cli, SOL_SOCKET, opts[i]);
			EXPECT_EQ(ref, got)
				TH_LOG("%s %d: tcp %d, this %d", names[i],
				       sizes[j].set, ref, got);
			EXPECT_LE(sizes[j].lo, got);
			EXPECT_GE(sizes[j].hi, got);
		}
}

/* ---- ioctl ---- */

/*
 * Wait until @fd's SIOCINQ + @other's SIOCOUTQ is @want and, if @acked,
 * @other's SIOCOUTQ is 0 (all delivered and acknowledged); that sum.
 * Loopback does both in softirq, which a busy machine may leave to
 * ksoftirqd for seconds: up to XTCP_WAIT_MS, a bound for a failure.
 */
static int queues_settle(int fd, int other, int want, bool acked)
{
	long long end = now_ms() + XTCP_WAIT_MS;
	int outq, sum;

	for (;;) {
		outq = ioctl_int(other, SIOCOUTQ);
		sum = ioctl_int(fd, SIOCINQ) + outq;
		if ((sum == want && (!acked || !outq)) || now_ms() >= end)
			return sum;
		usleep(10000);
	}
}

/*
 * SIOCINQ (FIONREAD), SIOCOUTQ and SIOCOUTQNSD as TCP's: every byte
 * written is either unacknowledged at the sender or unread at the
 * receiver, the FIN is not a byte, a listener says EINVAL, and the
 * device ioctls work on the socket as on any other.
 */
TEST_F(conn, ioctl_queues)
{
	static char buf[1 << 16];
	struct sockaddr_in laddr;
	struct ifreq ifr = { .ifr_name = "lo" };
	int total = 0, l, i;
	char b;

	EXPECT_EQ(0, ioctl_int(self->cli, SIOCINQ));
	EXPECT_EQ(0, ioctl_int(self->cli, SIOCOUTQ));
	EXPECT_EQ(0, ioctl_int(self->cli, SIOCOUTQNSD));
	EXPECT_EQ(0, ioctl_int(self->cli, SIOCATMARK));

	ASSERT_EQ(1000, send(self->cli, buf, 1000, 0));
	EXPECT_EQ(1000, queues_settle(self->srv, self->cli, 1000, true));
	EXPECT_EQ(1000, ioctl_int(self->srv, FIONREAD));
	EXPECT_EQ(0, ioctl_int(self->cli, SIOCOUTQ));
	ASSERT_EQ(400, recv(self->srv, buf, 400, 0));
	EXPECT_EQ(600, ioctl_int(self->srv, SIOCINQ));

	/* the sender's buffer full: what was written is on either side */
	total = 600;
	fcntl(self->cli, F_SETFL, O_NONBLOCK);
	for (i = 0; i < 10000; i++) {
		ssize_t w = send(self->cli, buf, sizeof(buf), 0);

		if (w < 0)
			break;
		total += w;
	}
	ASSERT_EQ(EAGAIN, errno);
	EXPECT_EQ(total, queues_settle(self->srv, self->cli, total, false));
	/*
	 * On loopback a 64 KiB segment's truesize fills the receiver first;
	 * over the veth its buffer may grow to take everything written.
	 */
	if (!variant->veth)
		EXPECT_LT(0, ioctl_int(self->cli, SIOCOUTQ));
	EXPECT_GE(ioctl_int(self->cli, SIOCOUTQ), ioctl_int(self->cli, SIOCOUTQNSD));
	EXPECT_LE(0, ioctl_int(self->cli, SIOCOUTQNSD));

	/* read it all; the FIN that follows is not counted */
	fcntl(self->cli, F_SETFL, 0);
	ASSERT_EQ(0, shutdown(self->cli, SHUT_WR));
	while (total > 0) {
		ssize_t n = recv(self->srv, buf, sizeof(buf) < (size_t)total ?
				 sizeof(buf) : (size_t)total, 0);

		ASSERT_LT(0, n);
		total -= n;
	}
	ASSERT_TRUE(wait_revents(self->srv, POLLRDHUP, XTCP_WAIT_MS) & POLLRDHUP);
	EXPECT_EQ(0, ioctl_int(self->srv, SIOCINQ));
	EXPECT_EQ(0, recv(self->srv, &b, 1, 0));
	EXPECT_EQ(0, ioctl_int(self->srv, SIOCINQ));

	l = stream_listener(variant->xtcp, 1, &laddr);
	ASSERT_LE(0, l);
	EXPECT_EQ(-EINVAL, ioctl_int(l, SIOCINQ));
	EXPECT_EQ(-EINVAL, ioctl_int(l, SIOCOUTQ));
	EXPECT_EQ(-EINVAL, ioctl_int(l, SIOCOUTQNSD));
	close(l);

	ASSERT_EQ(0, ioctl(self->cli, SIOCGIFINDEX, &ifr)) TH_LOG("SIOCGIFINDEX: %s",
								  strerror(errno));
	EXPECT_EQ((int)if_nametoindex("lo"), ifr.ifr_ifindex);
}

/* ---- options at level IPPROTO_TCP ---- */

/*
 * TCP's own options on the variant's socket: those xtcp also has at
 * SOL_XTCP are the same options there; TCP_NODELAY (off by default:
 * Nagle's algorithm is on), TCP_CONGESTION and TCP_INFO answer as TCP
 * does.
 */
TEST_F(conn, opt_tcp_level)
{
	static const struct {
		int opt, set, bad;
		const char *name;
	} opts[] = {
		{ TCP_SYNCNT, 3, 0, "TCP_SYNCNT" },
		{ TCP_KEEPIDLE, 100, 0, "TCP_KEEPIDLE" },
		{ TCP_KEEPINTVL, 7, 0, "TCP_KEEPINTVL" },
		{ TCP_KEEPCNT, 4, 0, "TCP_KEEPCNT" },
		{ TCP_USER_TIMEOUT, 1234, -1, "TCP_USER_TIMEOUT" },
		{ TCP_LINGER2, 30, 0, "TCP_LINGER2" },
	};
	static char buf[100000];
	struct sockaddr_in laddr;
	struct tcp_info_segs tis;
	struct tcp_info ti;
	socklen_t len;
	long long end;
	char ca[16];
	size_t i;
	int l;

	for (i = 0; i < ARRAY_SIZE(opts); i++) {
		EXPECT_EQ(0, set_int(self->cli, IPPROTO_TCP, opts[i].opt, opts[i].set))
			TH_LOG("%s: %s", opts[i].name, strerror(errno));
		EXPECT_EQ(opts[i].set, get_int(self->cli, IPPROTO_TCP, opts[i].opt))
			TH_LOG("%s", opts[i].name);
		if (variant->xtcp)
			EXPECT_EQ(opts[i].set, get_int(self->cli, xtcp_proto(), opts[i].opt))
				TH_LOG("%s at SOL_XTCP", opts[i].name);
		if (opts[i].opt == TCP_LINGER2)
			continue;	/* any value is taken (clamped) */
		EXPECT_EQ(-1, set_int(self->cli, IPPROTO_TCP, opts[i].opt, opts[i].bad));
		EXPECT_EQ(EINVAL, errno) TH_LOG("%s %d", opts[i].name, opts[i].bad);
	}

	EXPECT_EQ(0, get_int(self->cli, IPPROTO_TCP, TCP_NODELAY));
	EXPECT_EQ(0, get_int(self->srv, IPPROTO_TCP, TCP_NODELAY));
	EXPECT_EQ(0, set_int(self->cli, IPPROTO_TCP, TCP_NODELAY, 1));
	EXPECT_EQ(1, get_int(self->cli, IPPROTO_TCP, TCP_NODELAY));

	/* CUBIC by default (Debian's TCP too), "reno" by choice, on both */
	len = sizeof(ca);
	ASSERT_EQ(0, getsockopt(self->cli, IPPROTO_TCP, TCP_CONGESTION, ca, &len));
	EXPECT_STREQ("cubic", ca);
	EXPECT_EQ(0, setsockopt(self->cli, IPPROTO_TCP, TCP_CONGESTION, "reno", 4));
	len = sizeof(ca);
	ASSERT_EQ(0, getsockopt(self->cli, IPPROTO_TCP, TCP_CONGESTION, ca, &len));
	EXPECT_STREQ("reno", ca);
	EXPECT_EQ(16, len);
	EXPECT_EQ(-1, setsockopt(self->cli, IPPROTO_TCP, TCP_CONGESTION, "nosuchcc", 8));
	EXPECT_EQ(ENOENT, errno);
	len = sizeof(ca);
	ASSERT_EQ(0, getsockopt(self->cli, IPPROTO_TCP, TCP_CONGESTION, ca, &len));
	EXPECT_STREQ("reno", ca);	/* a refused name changes nothing */
	EXPECT_EQ(0, setsockopt(self->cli, IPPROTO_TCP, TCP_CONGESTION, "cubic", 5));
	EXPECT_EQ(-1, setsockopt(self->cli, IPPROTO_TCP, 999, &i, sizeof(int)));
	EXPECT_EQ(ENOPROTOOPT, errno);

	/* TCP_INFO after data went both ways: a measured, idle connection */
	ASSERT_EQ(0, send_all(self->cli, buf, sizeof(buf)));
	ASSERT_EQ(0, recv_exact(self->srv, buf, sizeof(buf), XTCP_WAIT_MS));
	ASSERT_EQ(0, send_all(self->srv, buf, 1000));
	ASSERT_EQ(0, recv_exact(self->cli, buf, 1000, XTCP_WAIT_MS));
	end = now_ms() + XTCP_WAIT_MS;
	for (;;) {
		len = sizeof(ti);
		ASSERT_EQ(0, getsockopt(self->cli, IPPROTO_TCP, TCP_INFO, &ti, &len));
		if (!ti.tcpi_unacked || now_ms() >= end)
			break;
		usleep(10000);
	}
	EXPECT_EQ(sizeof(ti), len);
	EXPECT_EQ(TCP_ESTABLISHED, ti.tcpi_state);
	EXPECT_EQ(0, ti.tcpi_unacked);
	EXPECT_LT(0, ti.tcpi_snd_mss);
	EXPECT_LE(ti.tcpi_snd_mss, 65495);
	EXPECT_LE(200000, ti.tcpi_rto);
	/* xtcp times segments in jiffies: a loopback RTT may read 0 */
	EXPECT_GT(ti.tcpi_rto, ti.tcpi_rtt);
	if (!variant->xtcp)
		EXPECT_LT(0, ti.tcpi_rtt);
	EXPECT_LE(1, ti.tcpi_snd_cwnd);
	/* segments counted: the SYN and ACKs besides the data */
	ASSERT_EQ(0, tcp_info_segs(self->cli, &tis));
	EXPECT_LE(sizeof(buf) / ti.tcpi_snd_mss, tis.data_segs_out);
	EXPECT_LT(tis.data_segs_out, tis.segs_out);
	EXPECT_LE(1, tis.data_segs_in);
	EXPECT_LT(tis.data_segs_in, tis.segs_in);

	l = stream_listener(variant->xtcp, 1, &laddr);
	ASSERT_LE(0, l);
	len = sizeof(ti);
	ASSERT_EQ(0, getsockopt(l, IPPROTO_TCP, TCP_INFO, &ti, &len));
	EXPECT_EQ(TCP_LISTEN, ti.tcpi_state);
	close(l);
}

/* ---- sendfile() and splice() ---- */

#define SF_LEN	(3 << 20)

/*
 * sendfile() from a file into the socket (nginx's way of serving files)
 * and splice() out of the socket into a pipe: every byte arrives, in
 * order, as over TCP.  sendfile() hands the socket a page or a pipe's
 * worth at a time (6.1: one 4 KiB page a call); the pieces merge into
 * full segments as TCP's do, rather than one segment each: counted by
 * the sender's TCP_INFO, on average at least 4/5 of the MSS a segment,
 * a few short ones allowed (a cork that ran out its 200 ms on a busy
 * machine).  TCP's count is only logged: it sizes segments by more than
 * the MSS (the window, autocorking), and they came out smaller on a busy
 * machine.
 */
TEST_F_TIMEOUT(conn, sendfile_and_splice, 120)
{
	static unsigned char out[SF_LEN], in[SF_LEN];
	char path[] = "/tmp/xtcp-sendfile-XXXXXX";
	struct tcp_info_segs tis;
	off_t off = 0;
	size_t got = 0;
	int f, p[2], mss;
	pid_t pid;

	pattern(out, sizeof(out), 77);
	f = mkstemp(path);
	ASSERT_LE(0, f);
	unlink(path);
	ASSERT_EQ(SF_LEN, write(f, out, SF_LEN));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		while (off < SF_LEN) {
			ssize_t n = sendfile(self->cli, f, &off, SF_LEN - off);

			ASSERT_LT(0, n) TH_LOG("sendfile: %s", strerror(errno));
		}
		CHILD_EXIT();
	}
	/* the first half through a pipe with splice(), the rest read */
	ASSERT_EQ(0, pipe(p));
	while (got < SF_LEN / 2) {
		ssize_t n = splice(self->srv, NULL, p[1], NULL, SF_LEN / 2 - got, 0);

		ASSERT_LT(0, n) TH_LOG("splice: %s", strerror(errno));
		ASSERT_EQ(n, read(p[0], in + got, n));
		got += n;
	}
	ASSERT_EQ(0, recv_exact(self->srv, in + got, SF_LEN - got, XTCP_WAIT_MS));
	EXPECT_EQ(0, child_status(pid));
	EXPECT_EQ(0, memcmp(in, out, SF_LEN));
	mss = get_int(self->cli, IPPROTO_TCP, TCP_MAXSEG);
	ASSERT_LT(0, mss);
	ASSERT_EQ(0, tcp_info_segs(self->cli, &tis));
	TH_LOG("%u data segments for %d bytes, MSS %d",
	       tis.data_segs_out, SF_LEN, mss);
	EXPECT_LE(SF_LEN / 65535, tis.data_segs_out);	/* counted at all */
	if (variant->xtcp)	/* TCP's own, under load, may be smaller */
		EXPECT_GE(SF_LEN / mss * 5 / 4 + 8, tis.data_segs_out);
	close(p[0]);
	close(p[1]);
	close(f);
}

TEST_HARNESS_MAIN
