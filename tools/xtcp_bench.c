// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp_bench: bulk throughput and transaction rates of xtcp and of the
 * kernel's TCP, measured the same way for both (scripts/bench.sh).
 *
 *   xtcp_bench run    [options]   both ends: the server in a child process
 *   xtcp_bench server [options]   the server end, for one run of the client
 *   xtcp_bench client [options]   the client end
 *
 * Modes (-m):
 *   bulk   the client sends SIZE bytes on one connection and shuts down its
 *          sending side; the server counts them until EOF and answers with
 *          the count.  Rate: bytes / time from connected to that answer.
 *   rr     one connection; the client sends 1 byte, the server echoes it,
 *          again and again.  Rate: transactions per second.
 *   crr    a new connection per transaction: connect, 1 byte there and
 *          back, close.  Rate: connections per second.
 *
 * Options:
 *   -f, --family tcp|xtcp   the protocol (default xtcp)
 *   -m, --mode bulk|rr|crr  the measurement (default bulk)
 *   -a, --addr A            the server's IPv4 address: the server binds it,
 *                           the client connects to it (default 127.0.0.1)
 *   -p, --port P            the server's port (default 7100)
 *   -n, --size N[K|M|G]     bulk: bytes to send (default 256M)
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
 * with UNIT MB/s (10^6 bytes), trans/s or conn/s.  Exit status: 0 success,
 * 1 error, 2 timeout, 64 usage.
 *
 * In the crr mode the client ends the run with one more connection that
 * carries 'q' instead of 'x'; the server then exits.  Both protocols'
 * sockets get TCP_NODELAY (level IPPROTO_TCP, xtcp takes TCP's options) in
 * rr and crr unless -N asks for Nagle's algorithm, as a program that never
 * sets the option has it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/xtcp.h>

#define EXIT_TIMEOUT	2
#define EXIT_USAGE	64
#define BUF_SIZE	(128 * 1024)

enum mode { MODE_BULK, MODE_RR, MODE_CRR };

struct opts {
	bool xtcp;
	enum mode mode;
	struct in_addr addr;
	unsigned short port;
	unsigned long long size;
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
static char buf[BUF_SIZE];

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
static int fail(const char *fmt, ...)
{
	int err = errno, len;
	char msg[512];
	va_list ap;

	len = snprintf(msg, sizeof(msg), "%s: ", role);
	va_start(ap, fmt);
	len += vsnprintf(msg + len, sizeof(msg) - len, fmt, ap);
	va_end(ap);
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

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The family the loaded module registered: its parameter, else the default. */
static int xtcp_family(void)
{
	FILE *f = fopen("/sys/module/xtcp/parameters/family", "r");
	int af = AF_XTCP;

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

	if (o->xtcp)
		fd = socket(xtcp_family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
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

	if (o->nagle || o->mode == MODE_BULK)
		return 0;
	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static struct sockaddr_in server_addr(const struct opts *o)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(o->port),
		.sin_addr = o->addr,
	};

	return sin;
}

static int listen_socket(const struct opts *o)
{
	struct sockaddr_in sin = server_addr(o);
	int one = 1, fd;

	fd = new_socket(o);
	if (fd < 0) {
		fail("socket");
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 128)) {
		fail("listen on %s:%u", inet_ntoa(o->addr), o->port);
		close(fd);
		return -1;
	}
	return fd;
}

static int connect_socket(const struct opts *o, bool retry)
{
	struct sockaddr_in sin = server_addr(o);
	int tries = retry ? 50 : 1;

	for (;;) {
		int fd = new_socket(o);

		if (fd < 0)
			return -1;
		if (!set_nodelay(o, fd) &&
		    !connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
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

/* --- server --- */

static int serve_bulk(int lfd)
{
	unsigned long long total = 0;
	uint32_t reply[2];
	int fd;

	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return fail("accept");
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			int rc = fail("recv after %llu bytes", total);

			close(fd);
			return rc;
		}
		if (n == 0)
			break;
		total += n;
	}
	reply[0] = htonl(total >> 32);
	reply[1] = htonl(total & 0xffffffff);
	if (send_all(fd, (char *)reply, sizeof(reply))) {
		int rc = fail("send the byte count");

		close(fd);
		return rc;
	}
	close(fd);
	return 0;
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
	case MODE_RR:
		return serve_rr(o, lfd);
	case MODE_CRR:
		return serve_crr(o, lfd);
	}
	return 1;
}

/* --- client --- */

static int client_bulk(const struct opts *o)
{
	unsigned long long left = o->size, got;
	uint32_t reply[2];
	double t0, t1;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7 + (i >> 9));
	fd = connect_socket(o, o->retry);
	if (fd < 0)
		return fail("connect to %s:%u", inet_ntoa(o->addr), o->port);
	t0 = now();
	while (left) {
		size_t len = left < sizeof(buf) ? left : sizeof(buf);

		if (send_all(fd, buf, len)) {
			int rc = fail("send after %llu bytes", o->size - left);

			close(fd);
			return rc;
		}
		left -= len;
	}
	if (shutdown(fd, SHUT_WR) || recv_all(fd, (char *)reply, sizeof(reply))) {
		int rc = fail("waiting for the server's byte count");

		close(fd);
		return rc;
	}
	t1 = now();
	close(fd);
	got = (unsigned long long)ntohl(reply[0]) << 32 | ntohl(reply[1]);
	if (got != o->size) {
		errno = 0;
		return fail("the server received %llu bytes, not %llu", got, o->size);
	}
	printf("bulk %s %.1f MB/s (%llu bytes in %.3f s)\n",
	       o->xtcp ? "xtcp" : "tcp", o->size / (t1 - t0) / 1e6, o->size, t1 - t0);
	return 0;
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
		return fail("connect to %s:%u", inet_ntoa(o->addr), o->port);
	t0 = now();
	while (keep_going(o, done, t0, &t1)) {
		if (send_all(fd, &c, 1) || recv_all(fd, &c, 1)) {
			int rc = fail("transaction %llu", done + 1);

			close(fd);
			return rc;
		}
		done++;
	}
	close(fd);
	printf("rr %s %.1f trans/s (%llu transactions in %.3f s)\n",
	       o->xtcp ? "xtcp" : "tcp", done / (t1 - t0), done, t1 - t0);
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
	       o->xtcp ? "xtcp" : "tcp", done / (t1 - t0), done, t1 - t0);
	return 0;
}

static int run_client(const struct opts *o)
{
	role = "xtcp_bench: client";
	switch (o->mode) {
	case MODE_BULK:
		return client_bulk(o);
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
		"usage: xtcp_bench run|server|client [-f tcp|xtcp] [-m bulk|rr|crr]\n"
		"         [-a ADDR] [-p PORT] [-n SIZE] [-t SECS] [-c COUNT]\n"
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
	int c;

	while ((c = getopt_long(argc, argv, "f:m:a:p:n:t:c:T:B:Nh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "tcp"))
				o->xtcp = false;
			else if (!strcmp(optarg, "xtcp"))
				o->xtcp = true;
			else
				bad_usage();
			break;
		case 'm':
			if (!strcmp(optarg, "bulk"))
				o->mode = MODE_BULK;
			else if (!strcmp(optarg, "rr"))
				o->mode = MODE_RR;
			else if (!strcmp(optarg, "crr"))
				o->mode = MODE_CRR;
			else
				bad_usage();
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
		.xtcp = true,
		.mode = MODE_BULK,
		.addr.s_addr = htonl(INADDR_LOOPBACK),
		.port = 7100,
		.size = 256ULL << 20,
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
	setvbuf(stdout, NULL, _IOLBF, 0);
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
