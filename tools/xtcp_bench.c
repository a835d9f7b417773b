// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp_bench: bulk throughput and transaction rates of xtcp and of the
 * kernel's TCP, measured the same way for both (scripts/bench.sh), with
 * AF_UNIX stream sockets beside them as the ceiling of one machine.
 *
 *   xtcp_bench run    [options]   both ends: the server in a child process
 *   xtcp_bench server [options]   the server end, for one run of the client
 *   xtcp_bench client [options]   the client end
 *
 * Modes (-m):
 *   bulk   the client sends SIZE bytes on one connection and shuts down its
 *          sending side; the server counts them until EOF and answers with
 *          the count.  Rate: bytes / time from connected to that answer.
 *   duplex bulk both ways at once on one connection: each end sends SIZE
 *          bytes while it receives the other's (poll() and non-blocking
 *          calls, one thread each); the server answers with its count
 *          once the client's EOF came.  Rate: 2 * SIZE / the time from
 *          connected to that answer.
 *   fanin  CONNS connections (-k, default 1000) each send SIZE / CONNS
 *          bytes to one server, which drains them all with epoll and
 *          answers each with its count at its EOF; the client also drives
 *          them all with epoll.  Rate: all the bytes / the time from all
 *          connected to the last answer.
 *   rr     one connection; the client sends 1 byte, the server echoes it,
 *          again and again.  Rate: transactions per second.
 *   crr    a new connection per transaction: connect, 1 byte there and
 *          back, close.  Rate: connections per second.
 *
 * Options:
 *   -f, --family tcp|xtcp|unix  the protocol (default xtcp); unix is an
 *                           AF_UNIX stream socket at the abstract address
 *                           "@xtcp_bench.PORT" (no -a, no netns options)
 *   -m, --mode MODE         bulk, duplex, fanin, rr or crr (default bulk)
 *   -a, --addr A            the server's IPv4 address: the server binds it,
 *                           the client connects to it (default 127.0.0.1)
 *   -p, --port P            the server's port (default 7100)
 *   -n, --size N[K|M|G]     bulk, duplex, fanin: bytes to send (default
 *                           256M; duplex sends that much each way)
 *   -k, --conns N           fanin: connections (default 1000); the server
 *                           must be given the same number
 *   -t, --time S            rr, crr: seconds to run (default 3)
 *   -c, --count N           rr, crr: stop after N transactions as well
 *   -T, --timeout S         give up after S seconds in all (default 120)
 *   -B, --buf N[K|M]        SO_SNDBUF and SO_RCVBUF on every socket
 *   -N, --nagle             rr, crr: leave Nagle's algorithm on (no
 *                           TCP_NODELAY)
 *   --server-netns NS       run: the server's network namespace, a name
 *   --client-netns NS       from `ip netns add` or a path to an nsfs file
 *
 * The client prints one line on success:
 *   MODE FAMILY RATE UNIT (details)
 * with UNIT MB/s (10^6 bytes), trans/s or conn/s.  The modes that move
 * bytes (bulk, duplex, fanin) end the details with "CPU C s/GB": the time
 * all CPUs spent busy while the rate was measured (user, nice, system, irq
 * and softirq in /proc/stat, so both ends and the softirqs between them),
 * in seconds per 10^9 bytes moved.  Exit status: 0 success, 1 error,
 * 2 timeout, 64 usage.
 *
 * In the crr mode the client ends the run with one more connection that
 * carries 'q' instead of 'x'; the server then exits.  Both protocols'
 * sockets get TCP_NODELAY (level IPPROTO_TCP, xtcp takes TCP's options) in
 * rr and crr unless -N asks for Nagle's algorithm, as a program that never
 * sets the option has it; AF_UNIX has no such option.  fanin raises
 * RLIMIT_NOFILE (soft and, if need be, hard) to fit CONNS descriptors, and
 * its listening socket's backlog is CONNS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <linux/xtcp.h>

#define EXIT_TIMEOUT	2
#define EXIT_USAGE	64
#define BUF_SIZE	(128 * 1024)
#define MAX_CONNS	100000
#define FANIN_LISTENER	UINT32_MAX	/* epoll data of fanin's listener */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum family { FAM_TCP, FAM_XTCP, FAM_UNIX };
enum mode { MODE_BULK, MODE_DUPLEX, MODE_FANIN, MODE_RR, MODE_CRR };

static const char * const family_names[] = {
	[FAM_TCP] = "tcp", [FAM_XTCP] = "xtcp", [FAM_UNIX] = "unix",
};

static const char * const mode_names[] = {
	[MODE_BULK] = "bulk", [MODE_DUPLEX] = "duplex", [MODE_FANIN] = "fanin",
	[MODE_RR] = "rr", [MODE_CRR] = "crr",
};

struct opts {
	enum family family;
	enum mode mode;
	struct in_addr addr;
	unsigned short port;
	unsigned long long size;
	unsigned int conns;	/* fanin: connections */
	double time;
	unsigned long long count;
	unsigned int timeout;
	int buf;
	bool nagle;		/* rr, crr: no TCP_NODELAY */
	const char *server_ns;
	const char *client_ns;
	bool retry;		/* client: retry a refused first connect */
};

static const char *role = "xtcp_bench";
static atomic_int timed_out;	/* set by SIGALRM */
static atomic_int server_pid;
static char buf[BUF_SIZE];	/* what is sent; bulk's server receives here */
static char rbuf[BUF_SIZE];	/* what duplex and fanin receive */

/* A server address of either kind. */
union addr {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_un sun;
};

/* One fanin connection: its descriptor and the bytes it moved so far. */
struct flow {
	int fd;
	unsigned long long bytes;
};

/* The window a rate is measured over, and the CPUs' busy time in it. */
struct span {
	double t0, t1;
	long long busy0, busy1;	/* jiffies; -1: /proc/stat unreadable */
};

/*
 * The first SIGALRM makes blocking calls fail with EINTR (no SA_RESTART),
 * and the code reports the timeout; a second one, 5 s later, ends the
 * process in case a call did not return.
 */
static void on_alarm(int sig)
{
	static const char msg[] = "xtcp_bench: timed out, stuck in a system call\n";

	(void)sig;
	if (!timed_out) {
		timed_out = 1;
		alarm(5);
		return;
	}
	if (server_pid > 0)
		kill(server_pid, SIGKILL);
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(EXIT_TIMEOUT);
	_exit(EXIT_TIMEOUT);
}

static void arm_timeout(unsigned int secs)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(secs);
}

/*
 * Report a failed call, in one write so that the server's and the client's
 * messages do not interleave; the exit status says whether it timed out.
 * errno ENODATA stands for a connection the peer closed too early.
 */
static int vfail(const char *fmt, va_list ap)
{
	int err = errno, len;
	char msg[512];

	len = snprintf(msg, sizeof(msg), "%s: ", role);
	len += vsnprintf(msg + len, sizeof(msg) - len, fmt, ap);
	if (len < (int)sizeof(msg)) {
		if (timed_out)
			snprintf(msg + len, sizeof(msg) - len, ": timed out");
		else if (err == ENODATA)
			snprintf(msg + len, sizeof(msg) - len,
				 ": end of stream from the peer");
		else if (err)
			snprintf(msg + len, sizeof(msg) - len, ": %s", strerror(err));
	}
	fprintf(stderr, "%s\n", msg);
	return timed_out ? EXIT_TIMEOUT : 1;
}

static int fail(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(fmt, ap);
	va_end(ap);
	return rc;
}

/* fail(), then close @fd (errno as the failed call left it for fail()). */
static int fail_close(int fd, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(fmt, ap);
	va_end(ap);
	close(fd);
	return rc;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The jiffies all CPUs spent busy since boot: user, nice, system, irq and
 * softirq of /proc/stat's first line (user and nice include guest time;
 * idle, iowait and steal are left out).  -1 if it cannot be read.
 */
static long long cpu_busy(void)
{
	unsigned long long user, nice, sys, idle, iowait, irq, softirq;
	FILE *f = fopen("/proc/stat", "re");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &user, &nice,
		   &sys, &idle, &iowait, &irq, &softirq);
	fclose(f);
	if (n != 7)
		return -1;
	return user + nice + sys + irq + softirq;
}

static void span_begin(struct span *s)
{
	s->busy0 = cpu_busy();
	s->t0 = now();
}

static void span_end(struct span *s)
{
	s->t1 = now();
	s->busy1 = cpu_busy();
}

/*
 * The family the loaded module registered: its parameter, else the
 * default.  Read once: crr makes a socket per transaction, and reading
 * sysfs each time (open, read, close) charged xtcp alone three system
 * calls per connection, about a tenth of crr's rate.
 */
static int xtcp_family(void)
{
	static int af = -1;
	FILE *f;

	if (af >= 0)
		return af;
	af = AF_XTCP;
	f = fopen("/sys/module/xtcp/parameters/family", "r");
	if (f) {
		if (fscanf(f, "%d", &af) != 1)
			af = AF_XTCP;
		fclose(f);
	}
	return af;
}

static int new_socket(const struct opts *o)
{
	int fd;

	if (o->family == FAM_XTCP)
		fd = socket(xtcp_family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
	else if (o->family == FAM_UNIX)
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	else
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return -1;
	if (o->buf &&
	    (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &o->buf, sizeof(o->buf)) ||
	     setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->buf, sizeof(o->buf))))
		goto err;
	return fd;
err:
	close(fd);
	return -1;
}

/* TCP_NODELAY for the transaction modes, unless -N. */
static int set_nodelay(const struct opts *o, int fd)
{
	int one = 1;

	if (o->nagle || o->family == FAM_UNIX ||
	    (o->mode != MODE_RR && o->mode != MODE_CRR))
		return 0;
	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* The server's address in @a; returns its length. */
static socklen_t server_addr(const struct opts *o, union addr *a)
{
	int len;

	memset(a, 0, sizeof(*a));
	if (o->family == FAM_UNIX) {
		/* Abstract: sun_path[0] stays 0, nothing in the filesystem. */
		a->sun.sun_family = AF_UNIX;
		len = snprintf(a->sun.sun_path + 1, sizeof(a->sun.sun_path) - 1,
			       "xtcp_bench.%u", o->port);
		return offsetof(struct sockaddr_un, sun_path) + 1 + len;
	}
	a->sin.sin_family = AF_INET;
	a->sin.sin_port = htons(o->port);
	a->sin.sin_addr = o->addr;
	return sizeof(a->sin);
}

/* The server's address for messages. */
static const char *addr_str(const struct opts *o)
{
	static char s[64];

	if (o->family == FAM_UNIX)
		snprintf(s, sizeof(s), "@xtcp_bench.%u", o->port);
	else
		snprintf(s, sizeof(s), "%s:%u", inet_ntoa(o->addr), o->port);
	return s;
}

static int listen_socket(const struct opts *o)
{
	int one = 1, backlog = 128, fd;
	union addr a;
	socklen_t len = server_addr(o, &a);

	/* fanin's clients all connect before any sends */
	if (o->mode == MODE_FANIN && o->conns > (unsigned int)backlog)
		backlog = o->conns;
	fd = new_socket(o);
	if (fd < 0) {
		fail("socket");
		return -1;
	}
	if ((o->family != FAM_UNIX &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one))) ||
	    bind(fd, &a.sa, len) || listen(fd, backlog)) {
		fail("listen on %s", addr_str(o));
		close(fd);
		return -1;
	}
	return fd;
}

static int connect_socket(const struct opts *o, bool retry)
{
	int tries = retry ? 50 : 1;
	union addr a;
	socklen_t len = server_addr(o, &a);

	for (;;) {
		int fd = new_socket(o);

		if (fd < 0)
			return -1;
		if (!set_nodelay(o, fd) && !connect(fd, &a.sa, len))
			return fd;
		close(fd);
		if (errno != ECONNREFUSED || --tries <= 0 || timed_out)
			return -1;
		usleep(100 * 1000);
	}
}

static int send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n;

		if (timed_out) {
			errno = EINTR;
			return -1;
		}
		n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* Receive exactly @len bytes; 0, or -1 with errno (ENODATA: early EOF). */
static int recv_all(int fd, char *p, size_t len)
{
	while (len) {
		ssize_t n;

		if (timed_out) {
			errno = EINTR;
			return -1;
		}
		n = recv(fd, p, len, 0);
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ENODATA;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* The server's answer: a byte count, 8 bytes in network order. */
static int send_count(int fd, unsigned long long count)
{
	uint32_t reply[2];

	reply[0] = htonl(count >> 32);
	reply[1] = htonl(count & 0xffffffff);
	return send_all(fd, (char *)reply, sizeof(reply));
}

static int recv_count(int fd, unsigned long long *count)
{
	uint32_t reply[2];

	if (recv_all(fd, (char *)reply, sizeof(reply)))
		return -1;
	*count = (unsigned long long)ntohl(reply[0]) << 32 | ntohl(reply[1]);
	return 0;
}

/*
 * duplex: send @size bytes on @fd while receiving, with poll() and
 * non-blocking calls, until all is sent and either @want bytes came or,
 * @want 0, the peer's EOF.  The last byte sent is followed by shutdown()
 * if @shut.  Returns 0, or -1 with errno (ENODATA: an early EOF); *@sent
 * and *@got count the bytes either way.
 */
static int duplex_io(int fd, unsigned long long size, bool shut,
		     unsigned long long want, unsigned long long *sent,
		     unsigned long long *got)
{
	bool eof = false;

	*sent = 0;
	*got = 0;
	for (;;) {
		bool rx = want ? *got < want : !eof;
		bool tx = *sent < size;
		struct pollfd p = { .fd = fd };
		ssize_t n;
		size_t len;

		if (!rx && !tx)
			return 0;
		if (timed_out) {
			errno = EINTR;
			return -1;
		}
		p.events = (rx ? POLLIN : 0) | (tx ? POLLOUT : 0);
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (rx && (p.revents & (POLLIN | POLLERR | POLLHUP))) {
			len = sizeof(rbuf);
			if (want && want - *got < len)
				len = want - *got;
			n = recv(fd, rbuf, len, MSG_DONTWAIT);
			if (n < 0 && errno != EAGAIN)
				return -1;
			if (n == 0 && want) {
				errno = ENODATA;
				return -1;
			}
			if (n == 0)
				eof = true;
			if (n > 0)
				*got += n;
		}
		if (tx && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
			len = size - *sent < sizeof(buf) ? size - *sent : sizeof(buf);
			n = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN)
				return -1;
			if (n > 0)
				*sent += n;
			if (n > 0 && *sent == size && shut && shutdown(fd, SHUT_WR))
				return -1;
		}
	}
}

/* fanin: room for @conns descriptors and a few more. */
static int raise_nofile(unsigned int conns)
{
	rlim_t need = conns + 32;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		rl.rlim_cur = need;
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
			rl.rlim_max = need;
		return setrlimit(RLIMIT_NOFILE, &rl);
	}
	return 0;
}

/* Close what @flows still hold open, and free them. */
static void close_flows(struct flow *flows, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (flows[i].fd >= 0)
			close(flows[i].fd);
	free(flows);
}

/* --- server --- */

static int serve_bulk(int lfd)
{
	unsigned long long total = 0;
	int fd;

	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return fail("accept");
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0)
			return fail_close(fd, "recv after %llu bytes", total);
		if (n == 0)
			break;
		total += n;
	}
	if (send_count(fd, total))
		return fail_close(fd, "send the byte count");
	close(fd);
	return 0;
}

/* Send SIZE bytes while receiving to EOF; then the count. */
static int serve_duplex(const struct opts *o, int lfd)
{
	unsigned long long sent, got;
	int fd, rc = 0;

	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return fail("accept");
	if (duplex_io(fd, o->size, false, 0, &sent, &got))
		rc = fail("%llu bytes sent, %llu received", sent, got);
	else if (send_count(fd, got))
		rc = fail("send the byte count");
	close(fd);
	return rc;
}

/*
 * Accept o->conns connections and drain them all; each gets its count at
 * its EOF and is closed.  The listener leaves the epoll set once all came.
 */
static int serve_fanin(const struct opts *o, int lfd)
{
	struct epoll_event ev = { .events = EPOLLIN }, evs[64];
	unsigned int accepted = 0, done = 0;
	struct flow *flows, *f;
	int ep, n, i, rc = 0;
	ssize_t r;

	flows = calloc(o->conns, sizeof(*flows));
	if (!flows)
		return fail("calloc");
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.u32 = FANIN_LISTENER;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev)) {
		rc = fail("epoll");
		goto out;
	}
	while (!rc && done < o->conns) {
		n = epoll_wait(ep, evs, ARRAY_SIZE(evs), -1);
		if (n < 0 && errno == EINTR && !timed_out)
			continue;
		if (n < 0 || timed_out) {
			rc = fail("epoll_wait, %u of %u connections accepted, %u done",
				  accepted, o->conns, done);
			break;
		}
		for (i = 0; i < n && !rc; i++) {
			if (evs[i].data.u32 == FANIN_LISTENER) {
				if (accepted == o->conns)
					continue;
				f = &flows[accepted];
				f->fd = accept(lfd, NULL, NULL);
				if (f->fd < 0) {
					rc = fail("accept after %u connections",
						  accepted);
					break;
				}
				ev.data.u32 = accepted++;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, f->fd, &ev) ||
				    (accepted == o->conns &&
				     epoll_ctl(ep, EPOLL_CTL_DEL, lfd, NULL)))
					rc = fail("epoll_ctl");
				continue;
			}
			f = &flows[evs[i].data.u32];
			r = recv(f->fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r > 0) {
				f->bytes += r;
				continue;
			}
			if (r < 0 || send_count(f->fd, f->bytes)) {
				rc = fail("connection %u after %llu bytes",
					  evs[i].data.u32 + 1, f->bytes);
				break;
			}
			close(f->fd);
			f->fd = -1;
			done++;
		}
	}
out:
	if (ep >= 0)
		close(ep);
	close_flows(flows, accepted);
	return rc;
}

static int serve_rr(const struct opts *o, int lfd)
{
	unsigned long long done = 0;
	int fd, rc = 0;
	char c;

	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return fail("accept");
	if (set_nodelay(o, fd)) {
		rc = fail("TCP_NODELAY");
		goto out;
	}
	for (;;) {
		ssize_t n = recv(fd, &c, 1, 0);

		if (n == 0)
			break;
		if (n < 0 || send_all(fd, &c, 1)) {
			rc = fail("transaction %llu", done + 1);
			break;
		}
		done++;
	}
out:
	close(fd);
	return rc;
}

static int serve_crr(const struct opts *o, int lfd)
{
	unsigned long long done = 0;
	const char *step;
	int fd, rc;

	for (;;) {
		bool quit;
		ssize_t n;
		char c;

		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			return fail("accept after %llu connections", done);
		step = "TCP_NODELAY";
		if (set_nodelay(o, fd))
			goto err;
		step = "recv";
		if (recv_all(fd, &c, 1))
			goto err;
		step = "send";
		if (send_all(fd, &c, 1))
			goto err;
		quit = c == 'q';
		/* The client closes first: wait for its FIN. */
		step = "recv EOF";
		n = recv(fd, &c, 1, 0);
		if (n > 0)
			errno = EPROTO;
		if (n)
			goto err;
		close(fd);
		if (quit)
			return 0;
		done++;
	}
err:
	rc = fail("connection %llu: %s", done + 1, step);
	close(fd);
	return rc;
}

static int run_server(const struct opts *o, int lfd)
{
	role = "xtcp_bench: server";
	switch (o->mode) {
	case MODE_BULK:
		return serve_bulk(lfd);
	case MODE_DUPLEX:
		return serve_duplex(o, lfd);
	case MODE_FANIN:
		return serve_fanin(o, lfd);
	case MODE_RR:
		return serve_rr(o, lfd);
	case MODE_CRR:
		return serve_crr(o, lfd);
	}
	return 1;
}

/* --- client --- */

static void fill_buf(void)
{
	size_t i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7 + (i >> 9));
}

/*
 * The line of a mode that moves bytes: the rate over @s and the CPUs'
 * busy time in it per 10^9 of the @bytes moved.  @what describes them.
 */
static void print_bytes(const struct opts *o, const struct span *s,
			unsigned long long bytes, const char *what)
{
	double secs = s->t1 - s->t0;
	char cpu[48] = "";

	if (s->busy0 >= 0 && s->busy1 >= 0)
		snprintf(cpu, sizeof(cpu), ", CPU %.2f s/GB",
			 (s->busy1 - s->busy0) / (double)sysconf(_SC_CLK_TCK) /
			 (bytes / 1e9));
	printf("%s %s %.1f MB/s (%llu bytes%s in %.3f s%s)\n",
	       mode_names[o->mode], family_names[o->family],
	       bytes / secs / 1e6, bytes, what, secs, cpu);
}

/*
 * The end of bulk and duplex, their bytes sent on @fd: shutdown() if
 * @shut, the server's count, which must be o->size, and the line for
 * @bytes moved (@what: print_bytes()).  Closes @fd; 0 or fail()'s status.
 */
static int client_finish(const struct opts *o, int fd, bool shut,
			 struct span *s, unsigned long long bytes,
			 const char *what)
{
	unsigned long long count;

	if ((shut && shutdown(fd, SHUT_WR)) || recv_count(fd, &count))
		return fail_close(fd, "waiting for the server's byte count");
	span_end(s);
	close(fd);
	if (count != o->size) {
		errno = 0;
		return fail("the server received %llu bytes, not %llu", count,
			    o->size);
	}
	print_bytes(o, s, bytes, what);
	return 0;
}

static int client_bulk(const struct opts *o)
{
	unsigned long long left = o->size;
	struct span s;
	int fd;

	fill_buf();
	fd = connect_socket(o, o->retry);
	if (fd < 0)
		return fail("connect to %s", addr_str(o));
	span_begin(&s);
	while (left) {
		size_t len = left < sizeof(buf) ? left : sizeof(buf);

		if (send_all(fd, buf, len))
			return fail_close(fd, "send after %llu bytes",
					  o->size - left);
		left -= len;
	}
	return client_finish(o, fd, true, &s, o->size, "");
}

/* duplex_io() shuts down after its last byte: client_finish() need not. */
static int client_duplex(const struct opts *o)
{
	unsigned long long sent, got;
	struct span s;
	int fd;

	fill_buf();
	fd = connect_socket(o, o->retry);
	if (fd < 0)
		return fail("connect to %s", addr_str(o));
	span_begin(&s);
	if (duplex_io(fd, o->size, true, o->size, &sent, &got))
		return fail_close(fd, "%llu bytes sent, %llu received", sent,
				  got);
	return client_finish(o, fd, false, &s, 2 * o->size, " both ways");
}

/*
 * Connect all, then send on whichever can take more; a connection that
 * sent its share shuts down, waits for its count and closes.
 */
static int client_fanin(const struct opts *o)
{
	struct epoll_event ev = { .events = EPOLLOUT }, evs[64];
	unsigned long long share = o->size / o->conns, count;
	unsigned int made = 0, done = 0, k;
	struct flow *flows, *f;
	int ep, n, i, rc = 0;
	char what[64];
	struct span s;
	ssize_t r;
	size_t len;

	if (!share) {
		errno = 0;
		return fail("%llu bytes are less than one per connection",
			    o->size);
	}
	fill_buf();
	flows = calloc(o->conns, sizeof(*flows));
	if (!flows)
		return fail("calloc");
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		rc = fail("epoll_create1");
		goto out;
	}
	for (made = 0; made < o->conns; made++) {
		f = &flows[made];
		f->fd = connect_socket(o, o->retry && !made);
		if (f->fd < 0) {
			rc = fail("connection %u of %u: connect to %s",
				  made + 1, o->conns, addr_str(o));
			goto out;
		}
		ev.data.u32 = made;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, f->fd, &ev)) {
			made++;
			rc = fail("epoll_ctl");
			goto out;
		}
	}
	span_begin(&s);
	while (!rc && done < o->conns) {
		n = epoll_wait(ep, evs, ARRAY_SIZE(evs), -1);
		if (n < 0 && errno == EINTR && !timed_out)
			continue;
		if (n < 0 || timed_out) {
			rc = fail("epoll_wait, %u of %u connections done",
				  done, o->conns);
			break;
		}
		for (i = 0; i < n && !rc; i++) {
			k = evs[i].data.u32;
			f = &flows[k];
			if (f->bytes < share) {
				len = share - f->bytes < sizeof(buf) ?
				      share - f->bytes : sizeof(buf);
				r = send(f->fd, buf, len,
					 MSG_DONTWAIT | MSG_NOSIGNAL);
				if (r < 0 && errno == EAGAIN)
					continue;
				if (r < 0) {
					rc = fail("connection %u: send after %llu bytes",
						  k + 1, f->bytes);
					break;
				}
				f->bytes += r;
				if (f->bytes < share)
					continue;
				ev.events = EPOLLIN;
				ev.data.u32 = k;
				if (shutdown(f->fd, SHUT_WR) ||
				    epoll_ctl(ep, EPOLL_CTL_MOD, f->fd, &ev))
					rc = fail("connection %u: shutdown",
						  k + 1);
				continue;
			}
			if (recv_count(f->fd, &count)) {
				rc = fail("connection %u: waiting for the server's byte count",
					  k + 1);
				break;
			}
			if (count != share) {
				errno = 0;
				rc = fail("connection %u: the server received %llu bytes, not %llu",
					  k + 1, count, share);
				break;
			}
			close(f->fd);
			f->fd = -1;
			done++;
		}
	}
	if (!rc) {
		span_end(&s);
		snprintf(what, sizeof(what), " on %u connections", o->conns);
		print_bytes(o, &s, share * o->conns, what);
	}
out:
	if (ep >= 0)
		close(ep);
	close_flows(flows, made);
	return rc;
}

static bool keep_going(const struct opts *o, unsigned long long done,
		       double t0, double *t1)
{
	*t1 = now();
	if (o->count && done >= o->count)
		return false;
	return *t1 - t0 < o->time;
}

static int client_rr(const struct opts *o)
{
	unsigned long long done = 0;
	double t0, t1;
	char c = 'x';
	int fd;

	fd = connect_socket(o, o->retry);
	if (fd < 0)
		return fail("connect to %s", addr_str(o));
	t0 = now();
	while (keep_going(o, done, t0, &t1)) {
		if (send_all(fd, &c, 1) || recv_all(fd, &c, 1))
			return fail_close(fd, "transaction %llu", done + 1);
		done++;
	}
	close(fd);
	printf("rr %s %.1f trans/s (%llu transactions in %.3f s)\n",
	       family_names[o->family], done / (t1 - t0), done, t1 - t0);
	return 0;
}

/*
 * One connect, 1 byte there and back, close; @c is 'x', or 'q' to end.
 * On failure *@step names the call that failed.
 */
static int crr_once(const struct opts *o, char c, bool retry,
		    const char **step)
{
	int fd, err;

	*step = "connect";
	fd = connect_socket(o, retry);
	if (fd < 0)
		return -1;
	*step = "send";
	if (send_all(fd, &c, 1))
		goto err;
	*step = "recv";
	if (recv_all(fd, &c, 1))
		goto err;
	*step = "close";
	return close(fd);
err:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

static int client_crr(const struct opts *o)
{
	unsigned long long done = 0;
	const char *step;
	double t0, t1;

	t0 = now();
	while (keep_going(o, done, t0, &t1)) {
		if (crr_once(o, 'x', o->retry && !done, &step))
			return fail("connection %llu: %s", done + 1, step);
		done++;
	}
	if (crr_once(o, 'q', o->retry && !done, &step))
		return fail("the final connection: %s", step);
	printf("crr %s %.1f conn/s (%llu connections in %.3f s)\n",
	       family_names[o->family], done / (t1 - t0), done, t1 - t0);
	return 0;
}

static int run_client(const struct opts *o)
{
	role = "xtcp_bench: client";
	switch (o->mode) {
	case MODE_BULK:
		return client_bulk(o);
	case MODE_DUPLEX:
		return client_duplex(o);
	case MODE_FANIN:
		return client_fanin(o);
	case MODE_RR:
		return client_rr(o);
	case MODE_CRR:
		return client_crr(o);
	}
	return 1;
}

/* --- commands --- */

/* An open nsfs file for a name from `ip netns add`, or a path. */
static int open_netns(const char *ns)
{
	char path[256];
	int fd;

	if (strchr(ns, '/'))
		snprintf(path, sizeof(path), "%s", ns);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("open %s", path);
	return fd;
}

static int enter_netns(int fd)
{
	int ret = setns(fd, CLONE_NEWNET);

	if (ret)
		fail("setns");
	close(fd);
	return ret;
}

static int cmd_server(const struct opts *o)
{
	int lfd, rc;

	arm_timeout(o->timeout);
	lfd = listen_socket(o);
	if (lfd < 0)
		return 1;
	rc = run_server(o, lfd);
	close(lfd);
	return rc;
}

static int cmd_client(const struct opts *o)
{
	arm_timeout(o->timeout);
	return run_client(o);
}

/*
 * The listening socket is made in the server's namespace before the fork,
 * so the client never races the server's listen().
 */
static int cmd_run(const struct opts *o)
{
	int lfd, status, rc, sfd = -1, cfd = -1;
	pid_t pid;

	arm_timeout(o->timeout);
	if (o->server_ns) {
		sfd = open_netns(o->server_ns);
		/* Without --client-netns, the client stays where we started. */
		cfd = open_netns(o->client_ns ? o->client_ns : "/proc/self/ns/net");
		if (sfd < 0 || cfd < 0 || enter_netns(sfd))
			return 1;
	} else if (o->client_ns) {
		cfd = open_netns(o->client_ns);
		if (cfd < 0)
			return 1;
	}
	lfd = listen_socket(o);
	if (lfd < 0)
		return 1;
	if (cfd >= 0 && enter_netns(cfd))
		return 1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return fail("fork");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGALRM, SIG_DFL);
		alarm(o->timeout + 10);
		_exit(run_server(o, lfd));
	}
	server_pid = pid;
	close(lfd);

	rc = run_client(o);
	if (rc)
		kill(pid, SIGKILL);
	role = "xtcp_bench";
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR || timed_out) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			errno = 0;
			return rc ? rc : fail("the server did not finish");
		}
	}
	server_pid = 0;
	if (!rc && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		errno = 0;
		return fail("the server failed");
	}
	return rc;
}

/* --- options --- */

static void bad_usage(void)
{
	fprintf(stderr,
		"usage: xtcp_bench run|server|client [-f tcp|xtcp|unix]\n"
		"         [-m bulk|duplex|fanin|rr|crr] [-a ADDR] [-p PORT]\n"
		"         [-n SIZE] [-k CONNS] [-t SECS] [-c COUNT]\n"
		"         [-T TIMEOUT] [-B BUFSIZE] [-N]\n"
		"         [--server-netns NS] [--client-netns NS]\n");
	exit(EXIT_USAGE);
}

/* A number with an optional binary suffix K, M or G; false if malformed. */
static bool parse_size(const char *s, unsigned long long *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return false;
	if (*end == 'K' || *end == 'M' || *end == 'G') {
		v <<= *end == 'K' ? 10 : *end == 'M' ? 20 : 30;
		end++;
	}
	*out = v;
	return *end == '\0';
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "family", required_argument, NULL, 'f' },
		{ "mode", required_argument, NULL, 'm' },
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 'n' },
		{ "conns", required_argument, NULL, 'k' },
		{ "time", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "buf", required_argument, NULL, 'B' },
		{ "nagle", no_argument, NULL, 'N' },
		{ "server-netns", required_argument, NULL, 'S' },
		{ "client-netns", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	char *end;
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, "f:m:a:p:n:k:t:c:T:B:Nh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "tcp"))
				o->family = FAM_TCP;
			else if (!strcmp(optarg, "xtcp"))
				o->family = FAM_XTCP;
			else if (!strcmp(optarg, "unix"))
				o->family = FAM_UNIX;
			else
				bad_usage();
			break;
		case 'm':
			for (i = 0; i < ARRAY_SIZE(mode_names); i++)
				if (!strcmp(optarg, mode_names[i]))
					break;
			if (i == ARRAY_SIZE(mode_names))
				bad_usage();
			o->mode = i;
			break;
		case 'a':
			if (!inet_aton(optarg, &o->addr))
				bad_usage();
			break;
		case 'p':
			if (!parse_size(optarg, &v) || !v || v > 65535)
				bad_usage();
			o->port = v;
			break;
		case 'n':
			if (!parse_size(optarg, &o->size) || !o->size)
				bad_usage();
			break;
		case 'k':
			if (!parse_size(optarg, &v) || !v || v > MAX_CONNS)
				bad_usage();
			o->conns = v;
			break;
		case 't':
			o->time = strtod(optarg, &end);
			if (*end || !(o->time > 0))
				bad_usage();
			break;
		case 'c':
			if (!parse_size(optarg, &o->count))
				bad_usage();
			break;
		case 'T':
			if (!parse_size(optarg, &v) || !v || v > 86400)
				bad_usage();
			o->timeout = v;
			break;
		case 'B':
			if (!parse_size(optarg, &v) || v > (1 << 30))
				bad_usage();
			o->buf = v;
			break;
		case 'N':
			o->nagle = true;
			break;
		case 'S':
			o->server_ns = optarg;
			break;
		case 'C':
			o->client_ns = optarg;
			break;
		default:
			bad_usage();
		}
	}
}

int main(int argc, char **argv)
{
	struct opts o = {
		.family = FAM_XTCP,
		.mode = MODE_BULK,
		.addr.s_addr = htonl(INADDR_LOOPBACK),
		.port = 7100,
		.size = 256ULL << 20,
		.conns = 1000,
		.time = 3,
		.timeout = 120,
	};
	const char *cmd;

	if (argc < 2)
		bad_usage();
	cmd = argv[1];
	parse_opts(argc - 1, argv + 1, &o);
	if (optind != argc - 1)
		bad_usage();
	/* AF_UNIX's abstract names are per network namespace: no veth */
	if (o.family == FAM_UNIX && (o.server_ns || o.client_ns))
		bad_usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (o.mode == MODE_FANIN && raise_nofile(o.conns))
		return fail("raise RLIMIT_NOFILE to %u descriptors", o.conns + 32);
	if (!strcmp(cmd, "run"))
		return cmd_run(&o);
	if (o.server_ns || o.client_ns)
		bad_usage();
	if (!strcmp(cmd, "server"))
		return cmd_server(&o);
	if (!strcmp(cmd, "client")) {
		o.retry = true;
		return cmd_client(&o);
	}
	bad_usage();
	return EXIT_USAGE;
}
