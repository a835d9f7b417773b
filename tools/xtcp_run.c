// SPDX-License-Identifier: GPL-2.0
/*
 * libxtcp-run.so: make a program's IPv4 and IPv6 stream sockets xtcp
 * sockets, loaded with LD_PRELOAD by tools/xtcp-run.
 *
 * Only the socket changes: xtcp takes struct sockaddr_in and struct
 * sockaddr_in6 as they are, so bind(), connect(), accept() and the rest
 * go to the kernel untouched.  An xtcp socket speaks the IPv6 API from
 * its first sockaddr_in6 on, so a socket that stands for an AF_INET6 one
 * is given one at once: a bind() to ff02::1, which it refuses (EINVAL,
 * as TCP) and which makes it an IPv6 socket all the same; getsockname(),
 * IPV6_V6ONLY and the rest then answer as on TCP's AF_INET6 socket.
 * XTCP_RUN_MODE says which sockets change:
 *
 *   all       every socket(AF_INET or AF_INET6, SOCK_STREAM, 0 or
 *             IPPROTO_TCP) is created as socket(AF_XTCP, SOCK_STREAM, 0)
 *             (the default)
 *   listen    a TCP socket becomes an xtcp socket when it listen()s
 *   connect   a TCP socket becomes an xtcp socket when it connect()s
 *
 * In the last two the TCP socket is replaced on the spot: a new xtcp
 * socket takes its descriptor (dup3()), its file status flags
 * (O_NONBLOCK), close-on-exec, the common SOL_SOCKET options and the
 * address it was bound to.  Options set at other levels before that are
 * not carried over.
 *
 * SO_REUSEPORT, which 6.1 refuses to AF_XTCP sockets at SOL_SOCKET, is
 * passed on as XTCP_REUSEPORT.
 *
 * The family and protocol numbers come from XTCP_RUN_FAMILY and
 * XTCP_RUN_PROTO, else from the module's parameter files; without a
 * family, sockets stay TCP and a message says why.
 * Programs that make system calls without the C library (Go, static
 * binaries) are not reached.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "include/uapi/linux/xtcp.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define FAMILY_FILE	"/sys/module/xtcp/parameters/family"
#define PROTO_FILE	"/sys/module/xtcp/parameters/proto"

enum run_mode { MODE_ALL, MODE_LISTEN, MODE_CONNECT };

static int (*real_socket)(int, int, int);
static int (*real_listen)(int, int);
static int (*real_connect)(int, const struct sockaddr *, socklen_t);
static int (*real_setsockopt)(int, int, int, const void *, socklen_t);
static enum run_mode mode = MODE_ALL;
static int family = -1;
static int proto = -1;
static bool warned;

static void say(const char *what)
{
	if (warned)
		return;
	warned = true;
	fprintf(stderr, "xtcp-run: %s\n", what);
}

/* A module parameter: from the environment (the launcher), else sysfs. */
static int read_param(const char *env_name, const char *path)
{
	const char *env = getenv(env_name);
	FILE *f;
	int v = -1;

	if (env && *env)
		return atoi(env);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

__attribute__((constructor)) static void xtcp_run_init(void)
{
	const char *m = getenv("XTCP_RUN_MODE");

	real_socket = dlsym(RTLD_NEXT, "socket");
	real_listen = dlsym(RTLD_NEXT, "listen");
	real_connect = dlsym(RTLD_NEXT, "connect");
	real_setsockopt = dlsym(RTLD_NEXT, "setsockopt");
	if (m && !strcmp(m, "listen"))
		mode = MODE_LISTEN;
	else if (m && !strcmp(m, "connect"))
		mode = MODE_CONNECT;
	family = read_param("XTCP_RUN_FAMILY", FAMILY_FILE);
	proto = read_param("XTCP_RUN_PROTO", PROTO_FILE);
	if (family <= 0)
		say("the xtcp module is not loaded (no " FAMILY_FILE
		    "): sockets stay TCP");
}

static bool is_tcp(int domain, int type, int protocol)
{
	return (domain == AF_INET || domain == AF_INET6) &&
	       (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) == SOCK_STREAM &&
	       (protocol == 0 || protocol == IPPROTO_TCP);
}

/*
 * Make unbound xtcp socket @fd an IPv6-API one by its first sockaddr_in6:
 * ff02::1, a multicast address, which bind() refuses with EINVAL.  0, or
 * -1 with errno set (EPROTO: the module took the address, or did not
 * know it).
 */
static int use_v6_api(int fd)
{
	struct sockaddr_in6 mc = {
		.sin6_family = AF_INET6,
		.sin6_addr.s6_addr = { 0xff, 0x02, [15] = 1 },
	};

	if (bind(fd, (struct sockaddr *)&mc, sizeof(mc)) != -1 || errno != EINVAL) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

int socket(int domain, int type, int protocol)
{
	if (mode == MODE_ALL && family > 0 && is_tcp(domain, type, protocol)) {
		int fd = real_socket(family, type, 0), err = errno;

		if (fd >= 0 && domain == AF_INET6 && !use_v6_api(fd)) {
			errno = err;	/* the refused bind's is not the caller's */
		} else if (fd >= 0 && domain == AF_INET6) {
			close(fd);
			say("xtcp refused the IPv6 API: IPv6 sockets stay TCP");
			fd = real_socket(domain, type, protocol);
		} else if (fd < 0 && errno == EAFNOSUPPORT) {
			say("the xtcp module went away: sockets stay TCP");
			fd = real_socket(domain, type, protocol);
		}
		return fd;
	}
	return real_socket(domain, type, protocol);
}

static int get_int(int fd, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, opt, &v, &len))
		return -1;
	return v;
}

/*
 * SO_REUSEPORT on an xtcp socket: kernels whose generic code keeps it to
 * AF_INET/AF_INET6 (6.1) refuse it with EOPNOTSUPP; XTCP_REUSEPORT at
 * SOL_XTCP sets the same flag.
 */
int setsockopt(int fd, int level, int optname, const void *val, socklen_t len)
{
	int ret = real_setsockopt(fd, level, optname, val, len);

	if (ret && errno == EOPNOTSUPP && level == SOL_SOCKET &&
	    optname == SO_REUSEPORT && family > 0 && proto > 0 &&
	    get_int(fd, SO_DOMAIN) == family)
		ret = real_setsockopt(fd, proto, XTCP_REUSEPORT, val, len);
	return ret;
}

/* SOL_SOCKET options a program sets before listen() or connect(). */
static void copy_options(int from, int to)
{
	static const int flags[] = { SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE,
				     SO_OOBINLINE };
	static const int times[] = { SO_RCVTIMEO, SO_SNDTIMEO };
	struct linger lg;
	struct timeval tv;
	socklen_t len;
	size_t i;
	int v;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		v = get_int(from, flags[i]);
		if (v > 0)
			setsockopt(to, SOL_SOCKET, flags[i], &v, sizeof(v));
	}
	for (i = 0; i < ARRAY_SIZE(times); i++) {
		len = sizeof(tv);
		if (!getsockopt(from, SOL_SOCKET, times[i], &tv, &len) &&
		    (tv.tv_sec || tv.tv_usec))
			setsockopt(to, SOL_SOCKET, times[i], &tv, sizeof(tv));
	}
	len = sizeof(lg);
	if (!getsockopt(from, SOL_SOCKET, SO_LINGER, &lg, &len) && lg.l_onoff)
		setsockopt(to, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

/* The address TCP socket @fd is bound to, if it is: its length, else 0. */
static socklen_t bound_name(int fd, struct sockaddr_in6 *sin6)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sin6;
	socklen_t len = sizeof(*sin6);

	if (getsockname(fd, (struct sockaddr *)sin6, &len))
		return 0;
	if (sin6->sin6_family == AF_INET6 && len == sizeof(*sin6))
		return sin6->sin6_port ||
		       !IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr) ? len : 0;
	if (sin->sin_family == AF_INET && len == sizeof(*sin))
		return sin->sin_port || sin->sin_addr.s_addr != htonl(INADDR_ANY) ?
		       len : 0;
	return 0;
}

/*
 * The IP-level options of @from that the new socket @to (of family @dom)
 * does not have already: IPv6's only for an IPv6 socket.  SO_TXREHASH
 * too, which the socket-level flags of copy_options() cannot carry (its
 * 0 is the one to copy).
 */
static void copy_ip_options(int from, int to, int dom)
{
	static const struct {
		int level, opt;
	} opts[] = {
		{ IPPROTO_IP, IP_TOS },
		{ IPPROTO_IP, IP_TTL },
		{ IPPROTO_IP, IP_MTU_DISCOVER },
		{ IPPROTO_IPV6, IPV6_TCLASS },
		{ IPPROTO_IPV6, IPV6_UNICAST_HOPS },
		{ IPPROTO_IPV6, IPV6_AUTOFLOWLABEL },
		{ SOL_SOCKET, SO_TXREHASH },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(opts); i++) {
		socklen_t len = sizeof(int);
		int v, w;

		if (opts[i].level == IPPROTO_IPV6 && dom != AF_INET6)
			continue;
		if (getsockopt(from, opts[i].level, opts[i].opt, &v, &len))
			continue;
		len = sizeof(int);
		if (!getsockopt(to, opts[i].level, opts[i].opt, &w, &len) && v != w)
			setsockopt(to, opts[i].level, opts[i].opt, &v, sizeof(v));
	}
}

/*
 * Put an xtcp socket in the place of TCP socket @fd (IPv4 or IPv6; for
 * IPv6 with its IPV6_V6ONLY), with its options (copy_options(),
 * copy_ip_options()).  0 when done or when @fd is not a TCP socket or
 * cannot be an xtcp one (left alone); -1 with errno when the new socket
 * cannot take the old one's address.
 */
static int become_xtcp(int fd)
{
	struct sockaddr_in6 sin6;
	int nfd, fl, fdfl, err, dom = get_int(fd, SO_DOMAIN), v6only = 0;
	socklen_t len = sizeof(v6only);

	if (family <= 0 || (dom != AF_INET && dom != AF_INET6) ||
	    get_int(fd, SO_TYPE) != SOCK_STREAM ||
	    get_int(fd, SO_PROTOCOL) != IPPROTO_TCP)
		return 0;
	fl = fcntl(fd, F_GETFL);
	fdfl = fcntl(fd, F_GETFD);
	if (fl < 0 || fdfl < 0)
		return 0;
	nfd = real_socket(family, SOCK_STREAM, 0);
	if (nfd < 0) {
		say("no xtcp socket could be made: this one stays TCP");
		return 0;
	}
	copy_options(fd, nfd);
	if (dom == AF_INET6 &&
	    (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len) ||
	     setsockopt(nfd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)))) {
		say("xtcp refused IPV6_V6ONLY: this socket stays TCP");
		close(nfd);
		return 0;
	}
	len = bound_name(fd, &sin6);
	if (len && bind(nfd, (struct sockaddr *)&sin6, len))
		goto fail;
	if (!len && dom == AF_INET6 && use_v6_api(nfd)) {
		say("xtcp refused the IPv6 API: this socket stays TCP");
		close(nfd);
		return 0;
	}
	copy_ip_options(fd, nfd, dom);
	if (fcntl(nfd, F_SETFL, fl) ||
	    dup3(nfd, fd, (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0)
		goto fail;
	close(nfd);
	return 0;
fail:
	err = errno;
	close(nfd);
	errno = err;
	return -1;
}

int listen(int fd, int backlog)
{
	if (mode == MODE_LISTEN && become_xtcp(fd))
		return -1;
	return real_listen(fd, backlog);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (mode == MODE_CONNECT && addr && len >= sizeof(sa_family_t) &&
	    (addr->sa_family == AF_INET || addr->sa_family == AF_INET6) &&
	    become_xtcp(fd))
		return -1;
	return real_connect(fd, addr, len);
}
