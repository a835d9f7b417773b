// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp selftests: the IPv6 socket API beside TCP's AF_INET6 sockets.
 *
 * An xtcp socket becomes an IPv6-API one with its first sockaddr_in6
 * (given to bind() or connect() while unbound, accepted or refused);
 * IPV6_V6ONLY set before that is kept for it, and does not choose the
 * API.  From then on it must answer as a TCP AF_INET6 socket does: the
 * same errnos for the same addresses, names in sockaddr_in6 form with
 * IPv4 peers v4-mapped, IPV6_V6ONLY's rules for ports and for which
 * listener an IPv4 connection reaches; and over IPv6 itself (::1 and a
 * veth pair), a stream both ways, resets, names and rows; path MTU
 * discovery through routers (ICMPv6 Packet Too Big, and a forged one
 * ignored).  Each case runs on TCP (the reference) and on xtcp.  xtcp_stream runs its connection
 * tests over IPv6 as well.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <assert.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip6.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"

/* The shortest sockaddr_in6 Linux takes (RFC 2133's, no scope id) */
#define SIN6_LEN_RFC2133	24

/* IPv4 stream socket of either kind (an xtcp one speaks IPv4 unless told) */
static int v4_socket(bool xtcp)
{
	return stream_socket(xtcp, SOCK_NONBLOCK);
}

/*
 * A non-blocking IPv6-API stream socket (stream6_socket()) with
 * IPV6_V6ONLY set to @v6only (-1: the namespace's default, as a TCP
 * AF_INET6 socket starts with).
 */
static int v6_socket(bool xtcp, int v6only)
{
	int fd = stream6_socket(xtcp, SOCK_NONBLOCK);

	if (fd < 0)
		return -1;
	if (v6only >= 0 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only))) {
		close_keep_errno(fd);
		return -1;
	}
	return fd;
}

static int bind6(int fd, const struct sockaddr_in6 *sin6)
{
	return bind(fd, (const struct sockaddr *)sin6, sizeof(*sin6));
}

/* getsockname()/getpeername() into a sockaddr_in6; -1 unless it is one */
static int name6(int fd, bool peer, struct sockaddr_in6 *sin6)
{
	socklen_t len = sizeof(*sin6);
	int ret;

	memset(sin6, 0xaa, sizeof(*sin6));
	if (peer)
		ret = getpeername(fd, (struct sockaddr *)sin6, &len);
	else
		ret = getsockname(fd, (struct sockaddr *)sin6, &len);
	if (ret)
		return -1;
	return len == sizeof(*sin6) && sin6->sin6_family == AF_INET6 ? 0 : -1;
}

static const char *addr6_str(const struct sockaddr_in6 *sin6, char *buf)
{
	return inet_ntop(AF_INET6, &sin6->sin6_addr, buf, INET6_ADDRSTRLEN);
}

/* Does @sin6 hold @addr and @port (0: any port but 0)? */
static bool sin6_is(const struct sockaddr_in6 *sin6, const char *addr,
		    in_port_t port)
{
	struct sockaddr_in6 want = sin6_of(addr, port);

	if (memcmp(&sin6->sin6_addr, &want.sin6_addr, sizeof(want.sin6_addr)))
		return false;
	if (sin6->sin6_flowinfo || sin6->sin6_scope_id)
		return false;
	return port ? ntohs(sin6->sin6_port) == port : sin6->sin6_port != 0;
}

/* A listener on @addr (port 0: ephemeral); its port, or -1 */
static int listen6(int fd, const char *addr, in_port_t port)
{
	struct sockaddr_in6 sin6 = sin6_of(addr, port);

	if (bind6(fd, &sin6) || listen(fd, 16) || name6(fd, false, &sin6))
		return -1;
	return ntohs(sin6.sin6_port);
}

/* A listener on [::] and an ephemeral port (*@port), IPV6_V6ONLY @v6only */
static int any6_listener(bool xtcp, int v6only, int *port)
{
	int fd = v6_socket(xtcp, v6only);

	if (fd < 0)
		return -1;
	*port = listen6(fd, "::", 0);
	if (*port <= 0) {
		close_keep_errno(fd);
		return -1;
	}
	return fd;
}

/* Connect @fd to @to and wait until it is connected; 0 or -errno */
static int connect_wait(int fd, const struct sockaddr *to, socklen_t len)
{
	socklen_t elen = sizeof(int);
	int err = 0;

	if (!connect(fd, to, len))
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	if (!(wait_revents(fd, POLLOUT, XTCP_WAIT_MS) & (POLLOUT | POLLERR)))
		return -ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen))
		return -errno;
	return -err;
}

/* Accept from non-blocking listener @l once a connection is queued */
static int accept_wait(int l, struct sockaddr_in6 *peer)
{
	socklen_t len = sizeof(*peer);

	if (!(wait_revents(l, POLLIN, XTCP_WAIT_MS) & POLLIN))
		return -1;
	memset(peer, 0xaa, sizeof(*peer));
	return accept(l, (struct sockaddr *)peer, &len);
}

/*
 * A dual-stack IPv6 socket connected to @addr:@port, where listener @l
 * takes it: the accepted socket (its peer's name in *@peer), the client
 * in *@c; -1 (and *@c -1) if either step fails.
 */
static int pair6(bool xtcp, int l, const char *addr, int port, int *c,
		 struct sockaddr_in6 *peer)
{
	struct sockaddr_in6 to = sin6_of(addr, port);
	int s;

	*c = v6_socket(xtcp, 0);
	if (*c < 0)
		return -1;
	if (connect_wait(*c, (struct sockaddr *)&to, sizeof(to))) {
		close_fd(c);
		return -1;
	}
	s = accept_wait(l, peer);
	if (s < 0)
		close_fd(c);
	return s;
}

FIXTURE(ipv6)
{
	int bindv6only;
	char ns[32];	/* a namespace a test made ("": none) */
	char ns2[32], ns3[32];	/* and more */
};

FIXTURE_VARIANT(ipv6)
{
	bool xtcp;
};

FIXTURE_VARIANT_ADD(ipv6, tcp)
{
	.xtcp = false,
};

FIXTURE_VARIANT_ADD(ipv6, xtcp)
{
	.xtcp = true,
};

/* Each test in a namespace of its own: no host socket holds its ports. */
FIXTURE_SETUP(ipv6)
{
	XTCP_SKIP_TCP_REFERENCE(variant->xtcp);
	ASSERT_STREQ("", xtcp_fresh_netns());
	self->bindv6only = read_int_file("/proc/sys/net/ipv6/bindv6only", -1);
	ASSERT_LE(0, self->bindv6only) TH_LOG("no IPv6 in this kernel");
}

FIXTURE_TEARDOWN(ipv6)
{
	if (self->ns[0])
		xtcp_sh("ip netns del %s 2>/dev/null", self->ns);
	if (self->ns2[0])
		xtcp_sh("ip netns del %s 2>/dev/null", self->ns2);
	if (self->ns3[0])
		xtcp_sh("ip netns del %s 2>/dev/null", self->ns3);
}

struct bind6_case {
	const char *addr;
	int v6only;		/* -1: the default */
	socklen_t len;
	int family;
	int err;
	const char *what;
};

/* inet6_bind()'s answers to addresses it refuses, on a fresh socket each */
TEST_F(ipv6, bind_errnos)
{
	const struct bind6_case cases[] = {
		{ "::", -1, sizeof(struct sockaddr_in), AF_INET6, EINVAL,
		  "a sockaddr_in's length" },
		{ "::", -1, SIN6_LEN_RFC2133 - 1, AF_INET6, EINVAL,
		  "addrlen 23" },
		{ "::", -1, sizeof(struct sockaddr_in6), AF_INET, EAFNOSUPPORT,
		  "sin6_family AF_INET" },
		{ "::", -1, sizeof(struct sockaddr_in6), AF_UNSPEC, EAFNOSUPPORT,
		  "sin6_family AF_UNSPEC" },
		{ "ff02::1", -1, sizeof(struct sockaddr_in6), AF_INET6, EINVAL,
		  "multicast" },
		{ "::ffff:192.0.2.1", 0, sizeof(struct sockaddr_in6), AF_INET6,
		  EADDRNOTAVAIL, "v4-mapped, not local" },
		{ "::ffff:127.0.0.1", 1, sizeof(struct sockaddr_in6), AF_INET6,
		  EINVAL, "v4-mapped on a v6only socket" },
		{ "2001:db8::1", -1, sizeof(struct sockaddr_in6), AF_INET6,
		  EADDRNOTAVAIL, "IPv6, not local" },
		{ "fe80::1", -1, sizeof(struct sockaddr_in6), AF_INET6,
		  EINVAL, "link-local without a scope" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sockaddr_in6 sin6 = sin6_of(cases[i].addr, 0), got;
		int fd = v6_socket(variant->xtcp, cases[i].v6only);

		ASSERT_LE(0, fd) TH_LOG("%s: %s", cases[i].what, strerror(errno));
		sin6.sin6_family = cases[i].family;
		EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&sin6, cases[i].len))
			TH_LOG("%s: bound", cases[i].what);
		EXPECT_EQ(cases[i].err, errno)
			TH_LOG("%s: errno %d (%s), want %d", cases[i].what,
			       errno, strerror(errno), cases[i].err);
		ASSERT_EQ(0, name6(fd, false, &got)) TH_LOG("%s", cases[i].what);
		EXPECT_TRUE(IN6_IS_ADDR_UNSPECIFIED(&got.sin6_addr));
		EXPECT_EQ(0, got.sin6_port) TH_LOG("%s: bound anyway", cases[i].what);
		close(fd);
	}
}

/*
 * Names in sockaddr_in6 form: an unbound socket is [::]:0, a dual-stack
 * listener [::]:port; a connection to ::ffff:127.0.0.1 has v4-mapped
 * names at both ends, and the same names as accept() reports them.
 */
TEST_F(ipv6, names_v4_mapped)
{
	struct sockaddr_in6 got, cname, peer;
	char buf[INET6_ADDRSTRLEN];
	int l, c, s, port;

	l = v6_socket(variant->xtcp, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, name6(l, false, &got));
	EXPECT_TRUE(IN6_IS_ADDR_UNSPECIFIED(&got.sin6_addr));
	EXPECT_EQ(0, got.sin6_port);
	EXPECT_EQ(-1, name6(l, true, &got));
	EXPECT_EQ(ENOTCONN, errno);
	port = listen6(l, "::", 0);
	ASSERT_LT(0, port) TH_LOG("listen on [::]: %s", strerror(errno));
	ASSERT_EQ(0, name6(l, false, &got));
	EXPECT_TRUE(sin6_is(&got, "::", port)) TH_LOG("%s", addr6_str(&got, buf));

	s = pair6(variant->xtcp, l, "::ffff:127.0.0.1", port, &c, &peer);
	ASSERT_LE(0, s) TH_LOG("accept: %s", strerror(errno));
	EXPECT_EQ(AF_INET6, peer.sin6_family);

	ASSERT_EQ(0, name6(c, false, &cname));
	EXPECT_TRUE(sin6_is(&cname, "::ffff:127.0.0.1", 0))
		TH_LOG("client's own name %s", addr6_str(&cname, buf));
	ASSERT_EQ(0, name6(c, true, &got));
	EXPECT_TRUE(sin6_is(&got, "::ffff:127.0.0.1", port))
		TH_LOG("client's peer %s", addr6_str(&got, buf));
	EXPECT_TRUE(sin6_is(&peer, "::ffff:127.0.0.1", ntohs(cname.sin6_port)))
		TH_LOG("accept()'s peer %s", addr6_str(&peer, buf));
	ASSERT_EQ(0, name6(s, true, &got));
	EXPECT_EQ(0, memcmp(&got, &peer, sizeof(got)));
	ASSERT_EQ(0, name6(s, false, &got));
	EXPECT_TRUE(sin6_is(&got, "::ffff:127.0.0.1", port))
		TH_LOG("server's own name %s", addr6_str(&got, buf));

	EXPECT_EQ(3, send(c, "abc", 3, 0));
	ASSERT_EQ(0, recv_exact(s, buf, 3, XTCP_WAIT_MS));
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
	close(s);
	close(c);
	close(l);
}

/*
 * An IPv4 socket reaches a dual-stack listener, which names its peer
 * v4-mapped; a v6only listener takes no IPv4 connection, and a v6only
 * socket connects to no v4-mapped address (ENETUNREACH).
 */
TEST_F(ipv6, v6only_and_ipv4_peers)
{
	struct sockaddr_in to4;
	struct sockaddr_in6 peer, to;
	char buf[INET6_ADDRSTRLEN];
	int l, c, s, port, err;

	l = any6_listener(variant->xtcp, 0, &port);
	ASSERT_LE(0, l);
	c = v4_socket(variant->xtcp);
	ASSERT_LE(0, c);
	to4 = sin_of(INADDR_LOOPBACK, port);
	ASSERT_EQ(0, connect_wait(c, (struct sockaddr *)&to4, sizeof(to4)));
	s = accept_wait(l, &peer);
	ASSERT_LE(0, s);
	EXPECT_TRUE(sin6_is(&peer, "::ffff:127.0.0.1", 0))
		TH_LOG("peer %s", addr6_str(&peer, buf));
	close(s);
	close(c);
	close(l);

	l = any6_listener(variant->xtcp, 1, &port);
	ASSERT_LE(0, l);
	c = v4_socket(variant->xtcp);
	ASSERT_LE(0, c);
	to4 = sin_of(INADDR_LOOPBACK, port);
	err = connect_wait(c, (struct sockaddr *)&to4, sizeof(to4));
	EXPECT_EQ(-ECONNREFUSED, err);
	close(c);

	c = v6_socket(variant->xtcp, 1);
	ASSERT_LE(0, c);
	to = sin6_of("::ffff:127.0.0.1", port);
	EXPECT_EQ(-1, connect(c, (struct sockaddr *)&to, sizeof(to)));
	EXPECT_EQ(ENETUNREACH, errno);
	close(c);
	close(l);
}

/* connect()'s errnos for addresses of the wrong form */
TEST_F(ipv6, connect_errnos)
{
	struct sockaddr_in6 to = sin6_of("::ffff:127.0.0.1", 9);
	int fd = v6_socket(variant->xtcp, 0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&to, SIN6_LEN_RFC2133 - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&to,
			      sizeof(struct sockaddr_in)));
	EXPECT_EQ(EINVAL, errno);
	to.sin6_family = AF_INET;
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&to, sizeof(to)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	to.sin6_family = AF_UNSPEC;	/* disconnect: a no-op here */
	EXPECT_EQ(0, connect(fd, (struct sockaddr *)&to, sizeof(to)))
		TH_LOG("AF_UNSPEC: %s", strerror(errno));
	close(fd);
}

/*
 * IPV6_V6ONLY: the namespace's default to start with, and fixed once the
 * socket is bound.  An IPv4 socket has no IPv6 options.
 */
TEST_F(ipv6, v6only_option)
{
	struct sockaddr_in sin = sin_of(INADDR_LOOPBACK, 0);
	int fd, one = 1;

	fd = v6_socket(variant->xtcp, -1);
	ASSERT_LE(0, fd);
	EXPECT_EQ(self->bindv6only, get_int(fd, IPPROTO_IPV6, IPV6_V6ONLY));
	EXPECT_EQ(0, set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1));
	EXPECT_EQ(1, get_int(fd, IPPROTO_IPV6, IPV6_V6ONLY));
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, 2));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_LT(0, listen6(fd, "::", 0));
	EXPECT_EQ(-1, set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1, get_int(fd, IPPROTO_IPV6, IPV6_V6ONLY));
	close(fd);

	fd = v4_socket(variant->xtcp);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(-1, set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, 2));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, get_int(fd, IPPROTO_IPV6, IPV6_V6ONLY));
	EXPECT_EQ(EOPNOTSUPP, errno);	/* ip_getsockopt()'s answer */
	/* the same for every IPv6 option, known to xtcp or not */
	EXPECT_EQ(-1, set_int(fd, IPPROTO_IPV6, IPV6_TCLASS, 0));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, get_int(fd, IPPROTO_IPV6, IPV6_TCLASS));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, get_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO));
	EXPECT_EQ(EOPNOTSUPP, errno);
	close(fd);
}

/*
 * net.ipv6.bindv6only=1: a socket bound to [::] with no IPV6_V6ONLY of
 * its own is v6only, and refuses IPv4.  The xtcp socket is made an IPv6
 * one by its sockaddr_in6 alone.
 */
TEST_F(ipv6, bindv6only_default)
{
	struct sockaddr_in6 any = sin6_of("::", 0);
	struct sockaddr_in to;
	socklen_t len = sizeof(any);
	int l, c;

	ASSERT_EQ(0, write_file("/proc/sys/net/ipv6/bindv6only", "1", 1));
	if (variant->xtcp)
		l = socket(xtcp_af(), SOCK_STREAM | SOCK_NONBLOCK, 0);
	else
		l = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, bind6(l, &any));
	EXPECT_EQ(1, get_int(l, IPPROTO_IPV6, IPV6_V6ONLY));
	ASSERT_EQ(0, listen(l, 4));
	ASSERT_EQ(0, getsockname(l, (struct sockaddr *)&any, &len));
	c = v4_socket(variant->xtcp);
	ASSERT_LE(0, c);
	to = sin_of(INADDR_LOOPBACK, ntohs(any.sin6_port));
	EXPECT_EQ(-ECONNREFUSED, connect_wait(c, (struct sockaddr *)&to,
					      sizeof(to)));
	close(c);
	close(l);
}

/*
 * connect() to the wildcard reaches loopback, as on BSD: 0.0.0.0 on an
 * IPv4 socket, :: on one bound to ::ffff:127.0.0.1; the peer's name is
 * the address reached.
 */
TEST_F(ipv6, connect_wildcard_is_loopback)
{
	struct sockaddr_in addr, to, got;
	struct sockaddr_in6 to6, from6, got6;
	char buf[INET6_ADDRSTRLEN];
	int l, c, s, port;

	l = stream_listener(variant->xtcp, 4, &addr);
	ASSERT_LE(0, l);
	port = ntohs(addr.sin_port);
	c = v4_socket(variant->xtcp);
	ASSERT_LE(0, c);
	to = sin_of(INADDR_ANY, port);
	ASSERT_EQ(0, connect_wait(c, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(0, peer_name(c, &got));
	EXPECT_TRUE(sin_equal(&addr, &got)) TH_LOG("peer %s:%d",
						   inet_ntoa(got.sin_addr),
						   ntohs(got.sin_port));
	s = accept(l, NULL, NULL);
	EXPECT_LE(0, s);
	close(s);
	close(c);

	c = v6_socket(variant->xtcp, 0);
	ASSERT_LE(0, c);
	from6 = sin6_of("::ffff:127.0.0.1", 0);
	ASSERT_EQ(0, bind6(c, &from6));
	to6 = sin6_of("::", port);
	ASSERT_EQ(0, connect_wait(c, (struct sockaddr *)&to6, sizeof(to6)));
	ASSERT_EQ(0, name6(c, true, &got6));
	EXPECT_TRUE(sin6_is(&got6, "::ffff:127.0.0.1", port))
		TH_LOG("peer %s", addr6_str(&got6, buf));
	s = accept(l, NULL, NULL);
	EXPECT_LE(0, s);
	close(s);
	close(c);
	close(l);
}

/*
 * One port, both APIs, as TCP: IPv4's wildcard and a v6only :: share it;
 * a dual-stack :: overlaps IPv4's wildcard in either order.
 */
TEST_F(ipv6, port_sharing)
{
	struct sockaddr_in sin = sin_of(INADDR_ANY, 0);
	struct sockaddr_in6 sin6;
	int v4, v6, dual, port;

	v4 = v4_socket(variant->xtcp);
	ASSERT_LE(0, v4);
	ASSERT_EQ(0, bind(v4, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, sock_name(v4, &sin));
	port = ntohs(sin.sin_port);
	sin6 = sin6_of("::", port);

	dual = v6_socket(variant->xtcp, 0);
	ASSERT_LE(0, dual);
	EXPECT_EQ(-1, bind6(dual, &sin6));
	EXPECT_EQ(EADDRINUSE, errno);
	v6 = v6_socket(variant->xtcp, 1);
	ASSERT_LE(0, v6);
	EXPECT_EQ(0, bind6(v6, &sin6)) TH_LOG("v6only [::]:%d: %s", port,
					      strerror(errno));
	close(v4);
	close(v6);

	/* the other order */
	ASSERT_EQ(0, bind6(dual, &sin6)) TH_LOG("%s", strerror(errno));
	v4 = v4_socket(variant->xtcp);
	ASSERT_LE(0, v4);
	sin = sin_of(INADDR_ANY, port);
	EXPECT_EQ(-1, bind(v4, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(EADDRINUSE, errno);
	sin = sin_of(INADDR_LOOPBACK, port);
	EXPECT_EQ(-1, bind(v4, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(EADDRINUSE, errno);
	close(v4);
	close(dual);
}

/*
 * Connect @n IPv4 sockets to @to, one at a time: how many of them the
 * non-blocking listener @l[@want] takes, of the @nl listeners @l that
 * share the port.
 */
static int ipv4_reaches(bool xtcp, const struct sockaddr_in *to,
			const int *l, int nl, int want, int n)
{
	struct pollfd p[3];
	int i, j, c, s, got = 0;

	for (i = 0; i < n; i++) {
		c = v4_socket(xtcp);
		if (c < 0)
			break;
		if (connect_wait(c, (const struct sockaddr *)to, sizeof(*to))) {
			close(c);
			break;
		}
		/* whichever listener has it queued once the handshake is done */
		for (j = 0; j < nl; j++)
			p[j] = (struct pollfd){ .fd = l[j], .events = POLLIN };
		if (poll(p, nl, XTCP_WAIT_MS) <= 0) {
			close(c);
			break;
		}
		for (j = 0; j < nl; j++) {
			if (!(p[j].revents & POLLIN))
				continue;
			s = accept(l[j], NULL, NULL);
			if (s >= 0)
				close(s);
			if (j == want)
				got++;
		}
		close(c);
	}
	return got;
}

/*
 * Which listener an IPv4 connection reaches, as TCP's lookup decides: an
 * exact address (::ffff:127.0.0.1 through the IPv6 API too) before a
 * wildcard, and IPv4's wildcard before a dual-stack :: (SO_REUSEPORT
 * lets them share the port).
 */
TEST_F(ipv6, ipv4_listener_order)
{
	struct sockaddr_in sin = sin_of(INADDR_ANY, 0), to;
	int v4, dual, exact, port, l[2];

	v4 = v4_socket(variant->xtcp);
	ASSERT_LE(0, v4);
	ASSERT_EQ(0, stream_reuseport(variant->xtcp, v4));
	ASSERT_EQ(0, bind(v4, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(v4, 16));
	ASSERT_EQ(0, sock_name(v4, &sin));
	port = ntohs(sin.sin_port);
	dual = v6_socket(variant->xtcp, 0);
	ASSERT_LE(0, dual);
	ASSERT_EQ(0, stream_reuseport(variant->xtcp, dual));
	ASSERT_EQ(port, listen6(dual, "::", port)) TH_LOG("%s", strerror(errno));

	to = sin_of(INADDR_LOOPBACK, port);
	l[0] = v4;
	l[1] = dual;
	EXPECT_EQ(4, ipv4_reaches(variant->xtcp, &to, l, 2, 0, 4));
	/* with IPv4's wildcard gone, the dual-stack listener takes it */
	close(v4);
	EXPECT_EQ(1, ipv4_reaches(variant->xtcp, &to, &dual, 1, 0, 1));

	/* an exact v4-mapped address before ::, whichever API asks */
	exact = v6_socket(variant->xtcp, 0);
	ASSERT_LE(0, exact);
	ASSERT_EQ(0, stream_reuseport(variant->xtcp, exact));
	ASSERT_EQ(port, listen6(exact, "::ffff:127.0.0.1", port))
		TH_LOG("%s", strerror(errno));
	l[0] = exact;
	EXPECT_EQ(4, ipv4_reaches(variant->xtcp, &to, l, 2, 0, 4));
	close(exact);
	close(dual);
}

/* A row of /proc/net/tcp6 or xtcp6: the columns the test compares */
#define ROW6_FMT	"%*d: %32[0-9A-F]:%x %32[0-9A-F]:%x %x " \
			"%*x:%*x %*x:%*x %*x %*u %*u %lu"

struct row6 {
	char laddr[33], raddr[33];
	unsigned int lport, rport, st;
	unsigned long inode;
};

/*
 * The row of /proc/net/@file with inode @ino (0: the first in state @st
 * with local port @lport).  1 if found, 0 if not, -1 if unreadable.
 */
static int find_row6(const char *file, unsigned long ino, unsigned int st,
		     unsigned int lport, struct row6 *out)
{
	char path[64], line[512];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/net/%s", file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -1;
	}
	while (!found && fgets(line, sizeof(line), f)) {
		struct row6 r;

		if (sscanf(line, ROW6_FMT, r.laddr, &r.lport, r.raddr, &r.rport, &r.st,
			   &r.inode) != 6)
			continue;
		if (ino ? r.inode == ino : r.st == st && r.lport == lport) {
			*out = r;
			found = 1;
		}
	}
	fclose(f);
	return found;
}

/*
 * Close connected @c, then its peer @s once the FIN has reached it (end
 * of stream); 1 once /proc/net/@f6 has @c's TIME_WAIT row (local port
 * @lport) in @r, 0 if it never came, -1 if @s saw no end of stream.
 */
static int close_to_time_wait(int c, int s, const char *f6,
			      unsigned int lport, struct row6 *r)
{
	char buf[1];
	int i, found = 0;

	close(c);
	if (recv_exact(s, buf, 1, XTCP_WAIT_MS) != -1 || errno != EPIPE) {
		close(s);
		return -1;
	}
	close(s);
	for (i = 0; i < XTCP_WAIT_MS / 10 && !found; i++) {
		found = find_row6(f6, 0, 0x06, lport, r) == 1;
		if (!found)
			usleep(10000);
	}
	return found;
}

#define HEX6_ANY	"00000000000000000000000000000000"
#define HEX6_LO4	"0000000000000000FFFF00000100007F"
#define HEX6_LO6	"00000000000000000000000001000000"

/*
 * The IPv6 API's sockets are rows of the IPv6 file (tcp6, xtcp6) and not
 * of the IPv4 one, addresses in four words, v4-mapped; so is the
 * TIME_WAIT entry of such a socket.  An IPv4 listener stays in the IPv4
 * file.
 */
TEST_F(ipv6, proc_rows)
{
	const char *f4 = variant->xtcp ? "/proc/net/xtcp" : "/proc/net/tcp";
	const char *f6 = variant->xtcp ? "xtcp6" : "tcp6";
	struct sockaddr_in6 cname;
	struct sockaddr_in sin;
	struct inet_row r4;
	struct row6 r;
	int l, c, s, v4, port;

	l = any6_listener(variant->xtcp, 0, &port);
	ASSERT_LE(0, l);
	ASSERT_EQ(1, find_row6(f6, sock_inode(l), 0, 0, &r));
	EXPECT_STREQ(HEX6_ANY, r.laddr);
	EXPECT_EQ(port, r.lport);
	EXPECT_EQ(0x0A, r.st);
	EXPECT_EQ(0, inet_proc_find(f4, variant->xtcp, sock_inode(l), &r4));

	s = pair6(variant->xtcp, l, "::ffff:127.0.0.1", port, &c, &cname);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, name6(c, false, &cname));
	ASSERT_EQ(1, find_row6(f6, sock_inode(c), 0, 0, &r));
	EXPECT_STREQ(HEX6_LO4, r.laddr);
	EXPECT_STREQ(HEX6_LO4, r.raddr);
	EXPECT_EQ(ntohs(cname.sin6_port), r.lport);
	EXPECT_EQ(port, r.rport);
	EXPECT_EQ(0x01, r.st);
	ASSERT_EQ(1, find_row6(f6, sock_inode(s), 0, 0, &r));
	EXPECT_EQ(port, r.lport);
	EXPECT_EQ(0, inet_proc_find(f4, variant->xtcp, sock_inode(s), &r4));

	v4 = stream_listener(variant->xtcp, 1, &sin);
	ASSERT_LE(0, v4);
	EXPECT_EQ(1, inet_proc_find(f4, variant->xtcp, sock_inode(v4), &r4));
	EXPECT_EQ(0, find_row6(f6, sock_inode(v4), 0, 0, &r));
	close(v4);

	/* the active closer's TIME_WAIT entry, once the peer's FIN is in */
	ASSERT_EQ(1, close_to_time_wait(c, s, f6, ntohs(cname.sin6_port), &r))
		TH_LOG("no TIME_WAIT row in %s", f6);
	EXPECT_STREQ(HEX6_LO4, r.laddr);
	EXPECT_EQ(port, r.rport);
	close(l);
}

/*
 * Over IPv6 itself: a listener on [::1], a connection to it, names that
 * say ::1 and a v6only socket (a bound IPv6 address takes no IPv4), a
 * stream each way checked byte for byte, rows in the IPv6 file, the
 * active closer's TIME_WAIT row.
 */
TEST_F(ipv6, loopback6_stream)
{
	const char *f6 = variant->xtcp ? "xtcp6" : "tcp6";
	struct sockaddr_in6 got, peer;
	char a[INET6_ADDRSTRLEN];
	int l, c, s, port;
	struct row6 r;
	long runs;

	l = v6_socket(variant->xtcp, 0);
	ASSERT_LE(0, l);
	port = listen6(l, "::1", 0);
	ASSERT_LT(0, port) TH_LOG("listen on [::1]: %s", strerror(errno));
	EXPECT_EQ(1, get_int(l, IPPROTO_IPV6, IPV6_V6ONLY));
	s = pair6(variant->xtcp, l, "::1", port, &c, &peer);
	ASSERT_LE(0, s) TH_LOG("accept: %s", strerror(errno));
	EXPECT_TRUE(sin6_is(&peer, "::1", 0)) TH_LOG("%s", addr6_str(&peer, a));
	ASSERT_EQ(0, name6(c, true, &got));
	EXPECT_TRUE(sin6_is(&got, "::1", port)) TH_LOG("%s", addr6_str(&got, a));
	ASSERT_EQ(0, name6(c, false, &got));
	EXPECT_TRUE(sin6_is(&got, "::1", ntohs(peer.sin6_port)));
	ASSERT_EQ(0, name6(s, false, &got));
	EXPECT_TRUE(sin6_is(&got, "::1", port));
	ASSERT_EQ(1, find_row6(f6, sock_inode(s), 0, 0, &r));
	EXPECT_STREQ(HEX6_LO6, r.laddr);
	EXPECT_STREQ(HEX6_LO6, r.raddr);
	EXPECT_EQ(0x01, r.st);

	runs = variant->xtcp ? xtcp_counter("OutRuns") : 0;
	EXPECT_STREQ("", stream_both_ways(c, s));
	/* one segment a packet: runs are cut as IPv4 datagrams (offload.c) */
	if (variant->xtcp)
		EXPECT_EQ(runs, xtcp_counter("OutRuns"));

	/* the client closes first: its TIME_WAIT row, IPv6's */
	ASSERT_EQ(1, close_to_time_wait(c, s, f6, ntohs(peer.sin6_port), &r))
		TH_LOG("no TIME_WAIT row in %s", f6);
	EXPECT_STREQ(HEX6_LO6, r.laddr);
	close(l);
}

/* Is @sin6 link-local address @addr with a scope id (@scope; 0: any)? */
static bool sin6_scoped(const struct sockaddr_in6 *sin6, const char *addr,
			unsigned int scope)
{
	struct sockaddr_in6 want = sin6_of(addr, 0);

	if (memcmp(&sin6->sin6_addr, &want.sin6_addr, sizeof(want.sin6_addr)))
		return false;
	return scope ? sin6->sin6_scope_id == scope : sin6->sin6_scope_id != 0;
}

/*
 * Over a veth pair between two namespaces, IPv6 addresses at both ends
 * (neighbour discovery, a device): a connection from here to a listener
 * on [::] there, a stream each way, the names; then the same with
 * checksums computed and checked in software (tx off at both ends), where
 * a wrong pseudo-header would lose every data segment; then to a
 * link-local address, which needs its interface (the scope id) at both
 * ends: the SYN+ACK and the new socket take the one the SYN came in on.
 */
TEST_F_TIMEOUT(ipv6, veth6_stream, 120)
{
	struct sockaddr_in6 to = sin6_of("fd00:9::2", 0), got, peer;
	char path[64], a[INET6_ADDRSTRLEN];
	const char *ns = self->ns;
	int here, there, l, c, s, port, round;
	unsigned int x60;

	snprintf(self->ns, sizeof(self->ns), "x6%d", getpid());
	ASSERT_STREQ("", xtcp_veth6(ns));
	x60 = if_nametoindex("x60");
	ASSERT_NE(0, x60);
	here = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, here);
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	there = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, there);
	ASSERT_EQ(0, setns(there, CLONE_NEWNET));
	l = v6_socket(variant->xtcp, 1);
	port = l < 0 ? -1 : listen6(l, "::", 0);
	ASSERT_EQ(0, setns(here, CLONE_NEWNET));
	ASSERT_LT(0, port) TH_LOG("listen there: %s", strerror(errno));

	to.sin6_port = htons(port);
	for (round = 0; round < 3; round++) {
		if (round == 1) {
			ASSERT_EQ(0, xtcp_sh("ethtool -K x60 tx off"));
			ASSERT_EQ(0, xtcp_sh("ip netns exec %s ethtool -K x61 tx off",
					     ns));
		}
		if (round == 2) {
			to = sin6_of("fe80::2", port);
			to.sin6_scope_id = x60;
		}
		c = v6_socket(variant->xtcp, 0);
		ASSERT_LE(0, c);
		ASSERT_EQ(0, connect_wait(c, (struct sockaddr *)&to, sizeof(to)));
		s = accept_wait(l, &peer);
		ASSERT_LE(0, s);
		ASSERT_EQ(0, name6(c, false, &got));
		if (round < 2) {
			EXPECT_TRUE(sin6_is(&peer, "fd00:9::1", 0))
				TH_LOG("%s", addr6_str(&peer, a));
			EXPECT_TRUE(sin6_is(&got, "fd00:9::1",
					    ntohs(peer.sin6_port)));
		} else {
			EXPECT_TRUE(sin6_scoped(&peer, "fe80::1", 0))
				TH_LOG("%s %%%u", addr6_str(&peer, a),
				       peer.sin6_scope_id);
			EXPECT_TRUE(sin6_scoped(&got, "fe80::1", x60))
				TH_LOG("%s %%%u", addr6_str(&got, a),
				       got.sin6_scope_id);
			ASSERT_EQ(0, name6(c, true, &got));
			EXPECT_TRUE(sin6_scoped(&got, "fe80::2", x60));
		}
		EXPECT_STREQ("", stream_both_ways(c, s)) TH_LOG("round %d", round);
		close(c);
		close(s);
	}
	close(l);
	close(there);
	close(here);
}

/* @get(@name) in the network namespace @ns (a file descriptor), or -1 */
static long value_in(int ns, long (*get)(const char *), const char *name)
{
	int here = netns_enter(ns);
	long v;

	if (here < 0)
		return -1;
	v = get(name);
	if (netns_leave(here))
		v = -1;
	return v;
}

/* xtcp_counter() @name of the network namespace @ns */
static long counter_in(int ns, const char *name)
{
	return value_in(ns, xtcp_counter, name);
}

/* tcpext() @name of the network namespace @ns */
static long tcpext_in(int ns, const char *name)
{
	return value_in(ns, tcpext, name);
}

/*
 * Path MTU discovery: from here (fd00:a::1) through two routers to
 * fd00:b::1; the routers' link between them carries 1280 bytes, the
 * others 1500, and a router answers a datagram too large for its next
 * link with ICMPv6 Packet Too Big.  Both ends start with an MSS for 1500
 * (their own routes, each other's SYN), so without discovery every full
 * segment is lost in both directions for good: IPv6 routers never
 * fragment.  The stream each way must arrive, and both ends end with an
 * MSS that fits 1280 bytes; xtcp counts the cut at each end (PmtuShrunk).
 * Every socket asked for errors (IPV6_RECVERR; the accepted ones from
 * their listener, as TCP's): none of this is an error (a Packet Too Big
 * is not, nor a segment IPv6 refused as too large for its route), so no
 * end may say POLLERR afterwards, and each error queue reads empty.
 */
TEST_F_TIMEOUT(ipv6, pmtu_through_routers, 150)
{
	const int fit = 1280 - 40 - 20;	/* IPv6 and our headers */
	struct sockaddr_in6 to = sin6_of("fd00:b::1", 0), peer;
	const char *r = self->ns, *q = self->ns2, *b = self->ns3;
	long shrunk_a = 0, shrunk_b = 0;
	int here, far, l, c, s, c2, s2, port, i;
	int *const ends[] = { &c, &s, &c2, &s2 };
	char path[64];

	snprintf(self->ns, sizeof(self->ns), "x6r%d", getpid());
	snprintf(self->ns2, sizeof(self->ns2), "x6q%d", getpid());
	snprintf(self->ns3, sizeof(self->ns3), "x6b%d", getpid());
	ASSERT_EQ(0, xtcp_sh("ip netns add %s && ip netns add %s && ip netns add %s",
			     r, q, b));
	/* the routers' link-local addresses usable at once (no DAD) */
	ASSERT_EQ(0, xtcp_sh("ip netns exec %s sysctl -qw net.ipv6.conf.default.accept_dad=0",
			     r));
	ASSERT_EQ(0, xtcp_sh("ip netns exec %s sysctl -qw net.ipv6.conf.default.accept_dad=0",
			     q));
	/* a0 here - r0 R r1 =1280= q1 Q q0 - b0 B */
	ASSERT_EQ(0, xtcp_sh("ip link add a0 type veth peer name r0 netns %s", r));
	ASSERT_EQ(0, xtcp_sh("ip -n %s link add r1 type veth peer name q1 netns %s",
			     r, q));
	ASSERT_EQ(0, xtcp_sh("ip -n %s link add q0 type veth peer name b0 netns %s",
			     q, b));
	ASSERT_EQ(0, xtcp_sh("ip -n %s link set r1 mtu 1280", r));
	ASSERT_EQ(0, xtcp_sh("ip -n %s link set q1 mtu 1280", q));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, xtcp_sh("ip netns exec %s sysctl -qw net.ipv6.conf.all.forwarding=1",
				     i ? q : r));
	ASSERT_EQ(0, xtcp_sh("ip link set a0 addrgenmode none"));
	ASSERT_EQ(0, xtcp_sh("ip -6 addr add fd00:a::1/64 dev a0 nodad"));
	ASSERT_EQ(0, xtcp_sh("ip link set a0 up"));
	ASSERT_EQ(0, xtcp_sh("ip -6 route add default via fd00:a::2"));
	ASSERT_EQ(0, xtcp_sh("ip -n %s -6 addr add fd00:a::2/64 dev r0 nodad", r));
	ASSERT_EQ(0, xtcp_sh("ip -n %s -6 addr add fd00:c::1/64 dev r1 nodad", r));
	ASSERT_EQ(0, xtcp_sh("ip -n %s link set r0 up && ip -n %s link set r1 up",
			     r, r));
	ASSERT_EQ(0, xtcp_sh("ip -n %s -6 route add fd00:b::/64 via fd00:c::2", r));
	ASSERT_EQ(0, xtcp_sh("ip -n %s -6 addr add fd00:c::2/64 dev q1 nodad", q));
	ASSERT_EQ(0, xtcp_sh("ip -n %s -6 addr add fd00:b::2/64 dev q0 nodad", q));
	ASSERT_EQ(0, xtcp_sh("ip -n %s link set q1 up && ip -n %s link set q0 up",
			     q, q));
	ASSERT_EQ(0, xtcp_sh("ip -n %s -6 route add fd00:a::/64 via fd00:c::1", q));
	ASSERT_EQ(0, xtcp_sh("ip -n %s link set b0 addrgenmode none", b));
	ASSERT_EQ(0, xtcp_sh("ip -n %s -6 addr add fd00:b::1/64 dev b0 nodad", b));
	ASSERT_EQ(0, xtcp_sh("ip -n %s link set b0 up && ip -n %s link set lo up",
			     b, b));
	ASSERT_EQ(0, xtcp_sh("ip -n %s -6 route add default via fd00:b::2", b));
	here = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, here);
	snprintf(path, sizeof(path), "/run/netns/%s", b);
	far = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, far);
	if (variant->xtcp) {
		shrunk_a = xtcp_counter("PmtuShrunk");
		shrunk_b = counter_in(far, "PmtuShrunk");
		ASSERT_LE(0, shrunk_a);
		ASSERT_LE(0, shrunk_b);
	}

	ASSERT_EQ(0, setns(far, CLONE_NEWNET));
	l = v6_socket(variant->xtcp, 1);
	port = l < 0 ? -1 : listen6(l, "fd00:b::1", 0);
	ASSERT_EQ(0, setns(here, CLONE_NEWNET));
	ASSERT_LT(0, port) TH_LOG("listen there: %s", strerror(errno));
	ASSERT_EQ(0, set_int(l, SOL_IPV6, IPV6_RECVERR, 1));
	to.sin6_port = htons(port);
	c = v6_socket(variant->xtcp, 0);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, set_int(c, SOL_IPV6, IPV6_RECVERR, 1));
	ASSERT_EQ(0, connect_wait(c, (struct sockaddr *)&to, sizeof(to)));
	s = accept_wait(l, &peer);
	ASSERT_LE(0, s);
	EXPECT_LT(fit, get_int(c, IPPROTO_TCP, TCP_MAXSEG))
		TH_LOG("an MSS for 1500 bytes to begin with");
	/* a second connection, idle while the first finds the path's MTU */
	c2 = v6_socket(variant->xtcp, 0);
	ASSERT_LE(0, c2);
	ASSERT_EQ(0, set_int(c2, SOL_IPV6, IPV6_RECVERR, 1));
	ASSERT_EQ(0, connect_wait(c2, (struct sockaddr *)&to, sizeof(to)));
	s2 = accept_wait(l, &peer);
	ASSERT_LE(0, s2);
	EXPECT_EQ(1, get_int(s2, SOL_IPV6, IPV6_RECVERR)) TH_LOG("inherited");

	EXPECT_STREQ("", stream_both_ways(c, s));
	EXPECT_GE(fit, get_int(c, IPPROTO_TCP, TCP_MAXSEG));
	EXPECT_GE(fit, get_int(s, IPPROTO_TCP, TCP_MAXSEG));
	if (variant->xtcp) {
		EXPECT_LT(shrunk_a, xtcp_counter("PmtuShrunk"));
		EXPECT_LT(shrunk_b, counter_in(far, "PmtuShrunk"));
	}
	/*
	 * The routes now say 1280 at both ends: the idle connection's
	 * segments of the old size are refused before they leave (no Packet
	 * Too Big for it ever comes), so it must follow its route's MTU.
	 */
	EXPECT_STREQ("", stream_both_ways(c2, s2)) TH_LOG("the idle connection");
	EXPECT_GE(fit, get_int(c2, IPPROTO_TCP, TCP_MAXSEG));
	EXPECT_GE(fit, get_int(s2, IPPROTO_TCP, TCP_MAXSEG));
	for (i = 0; i < 4; i++) {
		struct pollfd p = { .fd = *ends[i], .events = POLLIN };
		char byte;

		EXPECT_EQ(0, poll(&p, 1, 0)) TH_LOG("end %d: revents %#x", i, p.revents);
		EXPECT_EQ(0, get_int(*ends[i], SOL_SOCKET, SO_ERROR)) TH_LOG("end %d", i);
		EXPECT_EQ(-1, recv(*ends[i], &byte, 1, MSG_ERRQUEUE | MSG_DONTWAIT));
		EXPECT_EQ(EAGAIN, errno) TH_LOG("end %d", i);
	}
	close(c2);
	close(s2);
	close(c);
	close(s);
	close(l);
	close(far);
	close(here);
}

/*
 * An ICMPv6 Packet Too Big (MTU 1280) from ::1 about a segment from
 * [::1]:@sport to [::1]:@dport of protocol @proto with sequence number
 * @seq, as a router would quote it; 0 or -1.
 */
static int send_too_big(int proto, in_port_t sport, in_port_t dport,
			uint32_t seq)
{
	struct sockaddr_in6 to = sin6_of("::1", 0);
	struct {
		struct icmp6_hdr icmp;
		struct ip6_hdr ip6;
		__be16 ports[2];
		__be32 seq;
	} m = {
		.icmp.icmp6_type = ICMP6_PACKET_TOO_BIG,
		.icmp.icmp6_mtu = htonl(1280),
		.ip6.ip6_flow = htonl(6 << 28),
		.ip6.ip6_plen = htons(1400),
		.ip6.ip6_nxt = proto,
		.ip6.ip6_hlim = 64,
		.ip6.ip6_src = IN6ADDR_LOOPBACK_INIT,
		.ip6.ip6_dst = IN6ADDR_LOOPBACK_INIT,
		.ports = { htons(sport), htons(dport) },
		.seq = htonl(seq),
	};
	int fd = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);	/* sums it */
	ssize_t n;

	static_assert(sizeof(m) == 8 + 40 + 8, "no padding");

	if (fd < 0)
		return -1;
	n = sendto(fd, &m, sizeof(m), 0, (struct sockaddr *)&to, sizeof(to));
	close(fd);
	return n == sizeof(m) ? 0 : -1;
}

/*
 * A forged Packet Too Big, quoting a sequence number that is not in
 * flight (RFC 5927 4.1), is counted and ignored, as TCP's: the MSS stays.
 */
TEST_F_TIMEOUT(ipv6, pmtu_forged_error_ignored, 90)
{
	const char *counter = variant->xtcp ? "OutOfWindowIcmps" : NULL;
	int proto = variant->xtcp ? xtcp_proto() : IPPROTO_TCP;
	struct sockaddr_in6 me, peer;
	int l, c, s, port, mss;
	long before, after;
	long long end;

	l = v6_socket(variant->xtcp, 1);
	ASSERT_LE(0, l);
	port = listen6(l, "::1", 0);
	ASSERT_LT(0, port);
	s = pair6(variant->xtcp, l, "::1", port, &c, &peer);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, name6(c, false, &me));
	mss = get_int(c, IPPROTO_TCP, TCP_MAXSEG);
	ASSERT_LT(1280, mss);
	before = counter ? xtcp_counter(counter) : tcpext("OutOfWindowIcmps");
	ASSERT_LE(0, before);

	/* a fixed number: in flight by a 1 in 2^32 chance */
	ASSERT_EQ(0, send_too_big(proto, ntohs(me.sin6_port), port, 0x12345678));
	/* the error is handled in the softirq its sending raised */
	end = now_ms() + XTCP_WAIT_MS;
	do {
		after = counter ? xtcp_counter(counter) :
			tcpext("OutOfWindowIcmps");
	} while (after == before && now_ms() < end && !usleep(10000));
	EXPECT_EQ(before + 1, after);
	EXPECT_EQ(mss, get_int(c, IPPROTO_TCP, TCP_MAXSEG));
	if (variant->xtcp)
		EXPECT_EQ(0, xtcp_counter("PmtuShrunk"));
	close(c);
	close(s);
	close(l);
}

/*
 * IPv6's resets and wildcards: a connection to a port nobody listens on
 * is refused; a dual-stack [::] listener takes ::1 and 127.0.0.1 alike;
 * connect() to :: from an unbound IPv6 socket reaches ::1; a listener on
 * [::1] refuses IPv4.
 */
TEST_F(ipv6, loopback6_resets_and_wildcards)
{
	struct sockaddr_in6 to, peer;
	struct sockaddr_in to4;
	char a[INET6_ADDRSTRLEN];
	int l, c, s, port;

	l = any6_listener(variant->xtcp, 0, &port);
	ASSERT_LE(0, l);
	s = pair6(variant->xtcp, l, "::", port, &c, &peer);
	ASSERT_LE(0, s);
	EXPECT_TRUE(sin6_is(&peer, "::1", 0)) TH_LOG("%s", addr6_str(&peer, a));
	close(s);
	close(c);
	c = v4_socket(variant->xtcp);
	ASSERT_LE(0, c);
	to4 = sin_of(INADDR_LOOPBACK, port);
	ASSERT_EQ(0, connect_wait(c, (struct sockaddr *)&to4, sizeof(to4)));
	s = accept_wait(l, &peer);
	ASSERT_LE(0, s);
	EXPECT_TRUE(sin6_is(&peer, "::ffff:127.0.0.1", 0));
	close(s);
	close(c);
	close(l);

	/* nobody on the port now: a reset over IPv6 */
	c = v6_socket(variant->xtcp, 0);
	ASSERT_LE(0, c);
	to = sin6_of("::1", port);
	EXPECT_EQ(-ECONNREFUSED, connect_wait(c, (struct sockaddr *)&to,
					      sizeof(to)));
	close(c);

	l = v6_socket(variant->xtcp, 0);
	ASSERT_LE(0, l);
	port = listen6(l, "::1", 0);
	ASSERT_LT(0, port);
	c = v4_socket(variant->xtcp);
	ASSERT_LE(0, c);
	to4 = sin_of(INADDR_LOOPBACK, port);
	EXPECT_EQ(-ECONNREFUSED, connect_wait(c, (struct sockaddr *)&to4,
					      sizeof(to4)));
	close(c);
	close(l);
}

/*
 * xtcp's own rule: a fresh socket takes the API of its first address, and
 * then refuses the other's as TCP's socket of that family does.
 */
TEST(api_fixed_by_first_address)
{
	struct sockaddr_in sin = sin_of(INADDR_LOOPBACK, 0), addr;
	struct sockaddr_in6 sin6 = sin6_of("::ffff:127.0.0.1", 0), got;
	int fd, l;

	ASSERT_STREQ("", xtcp_fresh_netns());
	/* IPv4 API until told: a fresh socket's name is a sockaddr_in */
	fd = socket(xtcp_af(), SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, sock_name(fd, &addr));
	EXPECT_EQ(AF_INET, addr.sin_family);
	EXPECT_EQ(0, get_int(fd, IPPROTO_IPV6, IPV6_V6ONLY));	/* would get */
	close(fd);

	/*
	 * IPV6_V6ONLY does not choose: Python's http.server sets it on its
	 * AF_INET socket (ignoring the error TCP gives) and binds a
	 * sockaddr_in; kept, it applies once a sockaddr_in6 comes.
	 */
	fd = socket(xtcp_af(), SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0));
	sin = sin_of(INADDR_LOOPBACK, 0);
	EXPECT_EQ(0, bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, sock_name(fd, &addr));
	EXPECT_EQ(AF_INET, addr.sin_family);
	close(fd);
	fd = socket(xtcp_af(), SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1));
	EXPECT_EQ(1, get_int(fd, IPPROTO_IPV6, IPV6_V6ONLY));
	sin6 = sin6_of("::", 0);
	ASSERT_EQ(0, bind6(fd, &sin6));
	EXPECT_EQ(1, get_int(fd, IPPROTO_IPV6, IPV6_V6ONLY));
	close(fd);
	sin6 = sin6_of("::ffff:127.0.0.1", 0);

	/* a connect() with a sockaddr_in6 */
	l = stream_listener(true, 4, &addr);
	ASSERT_LE(0, l);
	fd = socket(xtcp_af(), SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	sin6.sin6_port = addr.sin_port;
	ASSERT_EQ(0, connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)));
	ASSERT_EQ(0, name6(fd, true, &got));
	EXPECT_TRUE(sin6_is(&got, "::ffff:127.0.0.1", ntohs(addr.sin_port)));
	ASSERT_EQ(0, name6(fd, false, &got));
	EXPECT_TRUE(sin6_is(&got, "::ffff:127.0.0.1", 0));
	close(fd);
	close(l);

	/* a bind() with one */
	fd = socket(xtcp_af(), SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	sin6.sin6_port = 0;
	ASSERT_EQ(0, bind6(fd, &sin6)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, name6(fd, false, &got));
	EXPECT_TRUE(sin6_is(&got, "::ffff:127.0.0.1", 0));
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(EINVAL, errno);
	close(fd);

	fd = socket(xtcp_af(), SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(0, sock_name(fd, &sin));
	sin6.sin6_port = sin.sin_port;
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	close(fd);

	/* a call that fails fixes it too */
	fd = socket(xtcp_af(), SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	sin6 = sin6_of("2001:db8::1", 0);
	EXPECT_EQ(-1, bind6(fd, &sin6));
	EXPECT_EQ(EADDRNOTAVAIL, errno);
	ASSERT_EQ(0, name6(fd, false, &got));
	EXPECT_TRUE(IN6_IS_ADDR_UNSPECIFIED(&got.sin6_addr));
	close(fd);
}

/*
 * Flow labels, traffic classes and hop limits on the wire (RFC 6437, as
 * TCP sets them): a packet socket on x60 sees the IPv6 packets of one
 * connection both ways, its header fields and its transport header.
 */
#define SEEN6_MAX	64

struct seen6 {
	unsigned int tclass;	/* ECN bits cleared */
	unsigned int label;
	unsigned int hops;
	in_port_t sport, dport;
	unsigned int seq;
	unsigned char flags;	/* TCP's: FIN 1, SYN 2, RST 4, ACK 16 */
	unsigned char l4[60];	/* the transport header, for a replay */
	unsigned int l4len;
};

struct trace6 {
	int n;
	struct seen6 p[SEEN6_MAX];
};

#define F6_FIN	0x01
#define F6_SYN	0x02
#define F6_RST	0x04
#define F6_ACK	0x10

/*
 * A packet socket on @ifname, both directions (only ETH_P_ALL sees what
 * leaves); -1 on failure.  sniff6_drain() keeps the IPv6 packets.
 */
static int sniff6_open(const char *ifname)
{
	struct sockaddr_ll ll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = if_nametoindex(ifname),
	};
	int fd, big = 4 << 20;

	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    htons(ETH_P_ALL));
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (!ll.sll_ifindex || bind(fd, (struct sockaddr *)&ll, sizeof(ll))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The packets of @proto to or from port @port that @fd holds, into @t */
static void sniff6_drain(int fd, int proto, in_port_t port, struct trace6 *t)
{
	static unsigned char b[65536];
	struct sockaddr_ll ll;
	socklen_t len = sizeof(ll);
	struct seen6 *p;
	unsigned int vtf;
	ssize_t n;

	while ((n = recvfrom(fd, b, sizeof(b), MSG_TRUNC,
			     (struct sockaddr *)&ll, &len)) >= 0) {
		len = sizeof(ll);
		if (ll.sll_protocol != htons(ETH_P_IPV6) || n < 40 + 20 ||
		    b[6] != proto || t->n == SEEN6_MAX)
			continue;	/* neighbour discovery, say */
		p = &t->p[t->n];
		p->sport = b[40] << 8 | b[41];
		p->dport = b[42] << 8 | b[43];
		if (p->sport != port && p->dport != port)
			continue;
		memcpy(&vtf, b, 4);
		vtf = ntohl(vtf);
		p->tclass = (vtf >> 20) & 0xfc;
		p->label = vtf & 0xfffff;
		p->hops = b[7];
		memcpy(&p->seq, b + 44, 4);
		p->seq = ntohl(p->seq);
		p->flags = b[40 + 13];
		p->l4len = (b[40 + 12] >> 4) * 4;
		if (p->l4len > sizeof(p->l4) || 40 + p->l4len > (size_t)n)
			continue;
		memcpy(p->l4, b + 40, p->l4len);
		t->n++;
	}
}

/*
 * Drain @fd into @t until a packet from port @from with all of @flags
 * is there, after index @after; its index, or -1 after XTCP_WAIT_MS.
 */
static int sniff6_wait(int fd, int proto, in_port_t port, struct trace6 *t,
		       in_port_t from, unsigned char flags, int after)
{
	long long end = now_ms() + XTCP_WAIT_MS;
	int i;

	do {
		sniff6_drain(fd, proto, port, t);
		for (i = after + 1; i < t->n; i++)
			if (t->p[i].sport == from &&
			    (t->p[i].flags & flags) == flags)
				return i;
		wait_revents(fd, POLLIN, 200);
	} while (now_ms() < end);
	return -1;
}

/* A little each way over connected @c and its accepted @s; 0 if it came */
static int ping_pong(int c, int s)
{
	char b[8];

	if (send(c, "ping", 4, 0) != 4 || recv_exact(s, b, 4, XTCP_WAIT_MS) ||
	    send(s, "pong", 4, 0) != 4 || recv_exact(c, b, 4, XTCP_WAIT_MS))
		return -1;
	return memcmp(b, "pong", 4) ? -1 : 0;
}

/* A veth pair to namespace self->ns; @here and @there its net ns files */
static const char *veth6_setup(char *ns, size_t len, int *here, int *there)
{
	char path[64];
	const char *err;

	snprintf(ns, len, "x6%d", getpid());
	err = xtcp_veth6(ns);
	if (*err)
		return err;
	*here = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	*there = open(path, O_RDONLY | O_CLOEXEC);
	return *here < 0 || *there < 0 ? "open a namespace" : "";
}

/*
 * A listener on [::] in namespace @there, its port in *@port: IPV6_TCLASS
 * @tclass, IPV6_UNICAST_HOPS @hops, IPV6_AUTOFLOWLABEL @autolabel (-1:
 * left alone).
 */
static int listener_there(bool xtcp, int here, int there, int tclass,
			  int hops, int autolabel, int *port)
{
	int l = -1;

	if (setns(there, CLONE_NEWNET))
		return -1;
	l = v6_socket(xtcp, 1);
	if (l >= 0 && (set_int(l, SOL_IPV6, IPV6_TCLASS, tclass) ||
		       set_int(l, SOL_IPV6, IPV6_UNICAST_HOPS, hops) ||
		       (autolabel >= 0 &&
			set_int(l, SOL_IPV6, IPV6_AUTOFLOWLABEL, autolabel))))
		close_fd(&l);
	*port = l < 0 ? -1 : listen6(l, "::", 0);
	if (*port <= 0)
		close_fd(&l);
	if (setns(here, CLONE_NEWNET))
		close_fd(&l);
	return l;
}

/*
 * Connect @c to fd00:9::2 port @port, where listener @l takes it; both
 * ends made blocking, a little sent each way.  The accepted socket (the
 * client's port in *@cport), or -1.
 */
static int veth6_conn(int c, int l, int port, in_port_t *cport)
{
	struct sockaddr_in6 to = sin6_of("fd00:9::2", port), peer;
	int s;

	if (connect_wait(c, (struct sockaddr *)&to, sizeof(to)))
		return -1;
	s = accept_wait(l, &peer);
	if (s < 0)
		return -1;
	*cport = ntohs(peer.sin6_port);
	if (blocking(c) || blocking(s) || ping_pong(c, s)) {
		close(s);
		return -1;
	}
	return s;
}

/* How many times the labels of packets from @from change in @t[@i..@j) */
static int label_changes(const struct trace6 *t, in_port_t from, int i, int j)
{
	int n = 0, last = -1;

	for (; i < j; i++) {
		if (t->p[i].sport != from)
			continue;
		if (last >= 0 && t->p[i].label != (unsigned int)last)
			n++;
		last = t->p[i].label;
	}
	return n;
}

/* Timeouts that rehashed a flow in namespace @ns: xtcp's or TCP's count */
static long rehashes_in(bool xtcp, int ns)
{
	return xtcp ? counter_in(ns, "TimeoutRehash") :
		      tcpext_in(ns, "TcpTimeoutRehash");
}

/* Retransmission timeouts in this namespace: xtcp's or TCP's count */
static long timeouts_here(bool xtcp)
{
	return xtcp ? xtcp_counter("RtoExpired") : tcpext("TCPTimeouts");
}

/*
 * Over a veth pair, as TCP: every packet of a connection carries a flow
 * label (net.ipv6.auto_flowlabels' default), one per direction, made
 * from a random flow hash; the SYN+ACK's is the one the server's socket
 * goes on with (the request's hash becomes the socket's), and the ACK
 * its TIME_WAIT entry sends is labelled as the connection was.  The
 * listener's IPV6_TCLASS and IPV6_UNICAST_HOPS mark its SYN+ACK, the
 * connection and its TIME_WAIT's ACK (traffic class); a reset for a
 * closed port takes the traffic class of what it answers.  Only a
 * timeout may change a label (a new hash), and each counts.  With
 * IPV6_AUTOFLOWLABEL off (both ends) every label is zero.
 */
TEST_F_TIMEOUT(ipv6, flow_labels_and_classes, 150)
{
	int here, there, l, c, s, port, proto, i, syn_ack, fin, tw_ack, rst;
	int raw, sniff, rehash_c0, rehash_s0, last_c = -1, first_s = -1;
	struct sockaddr_in6 to = sin6_of("fd00:9::2", 0);
	struct sockaddr_in6 src = sin6_of("fd00:9::1", 0);
	static struct trace6 t;
	in_port_t cport;
	char b[4];

	proto = variant->xtcp ? xtcp_proto() : IPPROTO_TCP;
	ASSERT_STREQ("", veth6_setup(self->ns, sizeof(self->ns), &here, &there));
	sniff = sniff6_open("x60");
	ASSERT_LE(0, sniff) TH_LOG("packet socket: %s", strerror(errno));
	l = listener_there(variant->xtcp, here, there, 0x20, 7, -1, &port);
	ASSERT_LE(0, l) TH_LOG("listener: %s", strerror(errno));
	EXPECT_EQ(1, get_int(l, SOL_IPV6, IPV6_AUTOFLOWLABEL));
	rehash_c0 = rehashes_in(variant->xtcp, here);
	rehash_s0 = rehashes_in(variant->xtcp, there);
	ASSERT_LE(0, rehash_c0);
	ASSERT_LE(0, rehash_s0);

	c = v6_socket(variant->xtcp, 0);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, set_int(c, SOL_IPV6, IPV6_TCLASS, 0x28));
	s = veth6_conn(c, l, port, &cport);
	ASSERT_LE(0, s);
	/* the server closes first: its entry is the TIME_WAIT one */
	close(s);
	EXPECT_EQ(0, recv(c, b, sizeof(b), 0));
	close(c);
	fin = sniff6_wait(sniff, proto, port, &t, cport, F6_FIN, -1);
	ASSERT_LE(0, fin) TH_LOG("no FIN from the client (%d packets)", t.n);
	/* the server's ACK of it, sent as it enters TIME_WAIT */
	i = sniff6_wait(sniff, proto, port, &t, port, F6_ACK, fin);
	ASSERT_LE(0, i);

	/* that FIN again, as if the ACK was lost: TIME_WAIT answers */
	raw = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, proto);
	ASSERT_LE(0, raw);
	ASSERT_EQ(0, set_int(raw, SOL_IPV6, IPV6_CHECKSUM, 16));
	ASSERT_EQ(0, bind(raw, (struct sockaddr *)&src, sizeof(src)));
	i = t.n - 1;
	ASSERT_EQ((ssize_t)t.p[fin].l4len,
		  sendto(raw, t.p[fin].l4, t.p[fin].l4len, 0,
			 (struct sockaddr *)&to, sizeof(to)));
	tw_ack = sniff6_wait(sniff, proto, port, &t, port, F6_ACK, i);
	ASSERT_LE(0, tw_ack) TH_LOG("TIME_WAIT did not answer");
	close(raw);

	/* every packet: labelled, the traffic class its socket set */
	syn_ack = -1;
	for (i = 0; i < t.n; i++) {
		const struct seen6 *p = &t.p[i];

		if (p->sport == cport && i <= fin) {
			EXPECT_NE(0, p->label) TH_LOG("client packet %d", i);
			EXPECT_EQ(0x28, p->tclass) TH_LOG("client packet %d", i);
			last_c = i;
		}
		if (p->sport != port)
			continue;
		EXPECT_NE(0, p->label) TH_LOG("server packet %d", i);
		EXPECT_EQ(0x20, p->tclass) TH_LOG("server packet %d", i);
		/*
		 * The socket's hop limit until the client's FIN; what
		 * answers that may be TIME_WAIT (TCP's, when the client's
		 * ACK of our FIN came alone), with the route's.
		 */
		if (i < fin)
			EXPECT_EQ(7, p->hops) TH_LOG("server packet %d", i);
		if ((p->flags & (F6_SYN | F6_ACK)) == (F6_SYN | F6_ACK))
			syn_ack = i;
		else if (first_s < 0)
			first_s = i;	/* the server socket's first */
	}
	ASSERT_LE(0, syn_ack);
	ASSERT_LE(0, first_s);
	ASSERT_LE(0, last_c);
	/* one label a direction, from the last SYN+ACK on, unless a timeout */
	EXPECT_GE(rehashes_in(variant->xtcp, there) - rehash_s0,
		  label_changes(&t, port, syn_ack, t.n));
	EXPECT_GE(rehashes_in(variant->xtcp, here) - rehash_c0,
		  label_changes(&t, cport, 0, fin + 1));

	/* a reset for a closed port: the SYN's traffic class, a label */
	c = v6_socket(variant->xtcp, 0);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, set_int(c, SOL_IPV6, IPV6_TCLASS, 0x48));
	to.sin6_port = htons(9);
	EXPECT_EQ(-ECONNREFUSED, connect_wait(c, (struct sockaddr *)&to, sizeof(to)));
	close(c);
	memset(&t, 0, sizeof(t));
	rst = sniff6_wait(sniff, proto, 9, &t, 9, F6_RST, -1);
	ASSERT_LE(0, rst);
	EXPECT_EQ(0x48, t.p[rst].tclass);
	EXPECT_NE(0, t.p[rst].label);

	/* IPV6_AUTOFLOWLABEL off at both ends: no labels */
	close(l);
	l = listener_there(variant->xtcp, here, there, 0, -1, 0, &port);
	ASSERT_LE(0, l);
	EXPECT_EQ(0, get_int(l, SOL_IPV6, IPV6_AUTOFLOWLABEL));
	c = v6_socket(variant->xtcp, 0);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, set_int(c, SOL_IPV6, IPV6_AUTOFLOWLABEL, 0));
	EXPECT_EQ(0, get_int(c, SOL_IPV6, IPV6_AUTOFLOWLABEL));
	s = veth6_conn(c, l, port, &cport);
	ASSERT_LE(0, s);
	EXPECT_EQ(0, get_int(s, SOL_IPV6, IPV6_AUTOFLOWLABEL));
	/* ping_pong() saw it all arrive: every packet is queued by now */
	memset(&t, 0, sizeof(t));
	sniff6_drain(sniff, proto, port, &t);
	ASSERT_LE(5, t.n);	/* SYN, SYN+ACK, ACK, "ping", "pong" */
	for (i = 0; i < t.n; i++)
		EXPECT_EQ(0, t.p[i].label) TH_LOG("packet %d", i);
	close(c);
	close(s);
	close(l);
	close(sniff);
	close(there);
	close(here);
}

/*
 * A retransmission timeout gives the flow a new hash, so a new IPv6 flow
 * label (TCP's net.core.txrehash, default on): the route the old label
 * took may be the broken one.  The client's data is dropped at x60
 * (netem) until its first timeout has rehashed (TimeoutRehash, TCP's
 * TcpTimeoutRehash); what arrives after carries another label.  With
 * SO_TXREHASH 0 the label stays and nothing counts.
 */
TEST_F_TIMEOUT(ipv6, flow_label_after_timeout, 150)
{
	int here, there, l, c, s, port, proto, i, round, sniff, before;
	static struct trace6 t;
	unsigned int label;
	long rehash0, rto0;
	in_port_t cport;
	long long end;
	char b[8];

	proto = variant->xtcp ? xtcp_proto() : IPPROTO_TCP;
	ASSERT_STREQ("", veth6_setup(self->ns, sizeof(self->ns), &here, &there));
	sniff = sniff6_open("x60");
	ASSERT_LE(0, sniff);
	l = listener_there(variant->xtcp, here, there, 0, -1, -1, &port);
	ASSERT_LE(0, l);
	for (round = 0; round < 2; round++) {
		c = v6_socket(variant->xtcp, 0);
		ASSERT_LE(0, c);
		EXPECT_EQ(1, get_int(c, SOL_SOCKET, SO_TXREHASH));
		if (round == 1)
			ASSERT_EQ(0, set_int(c, SOL_SOCKET, SO_TXREHASH, 0));
		s = veth6_conn(c, l, port, &cport);
		ASSERT_LE(0, s);
		rehash0 = rehashes_in(variant->xtcp, here);
		rto0 = timeouts_here(variant->xtcp);
		ASSERT_EQ(0, xtcp_sh("tc qdisc add dev x60 root netem loss 100%%"));
		/* all the client sent so far, and its label */
		memset(&t, 0, sizeof(t));
		sniff6_drain(sniff, proto, port, &t);
		label = 0;
		for (i = 0; i < t.n; i++)
			if (t.p[i].sport == cport)
				label = t.p[i].label;
		ASSERT_NE(0, label);
		before = t.n;
		ASSERT_EQ(4, send(c, "lost", 4, 0));
		/* the first timeout, counted: then the path heals */
		end = now_ms() + XTCP_WAIT_MS;
		while (timeouts_here(variant->xtcp) == rto0 && now_ms() < end)
			usleep(20000);
		ASSERT_EQ(0, xtcp_sh("tc qdisc del dev x60 root"));
		ASSERT_NE(rto0, timeouts_here(variant->xtcp));
		ASSERT_EQ(0, recv_exact(s, b, 4, XTCP_WAIT_MS));
		sniff6_drain(sniff, proto, port, &t);
		/* the data that came through: the client's, after the loss */
		for (i = before; i < t.n; i++)
			if (t.p[i].sport == cport)
				break;
		ASSERT_LT(i, t.n);
		if (round == 0) {
			EXPECT_NE(label, t.p[i].label);
			EXPECT_LT(rehash0, rehashes_in(variant->xtcp, here));
		} else {
			EXPECT_EQ(label, t.p[i].label);
			EXPECT_EQ(rehash0, rehashes_in(variant->xtcp, here));
		}
		close(c);
		close(s);
	}
	close(l);
	close(sniff);
	close(there);
	close(here);
}

TEST_HARNESS_MAIN
