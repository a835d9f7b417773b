// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp_pipe: netcat for xtcp, used by the selftest scripts.
 *
 *   xtcp_pipe [-t] listen PORT          accept one connection
 *   xtcp_pipe [-t] connect ADDR PORT    connect
 *
 * Then copies stdin to the connection and the connection to stdout at the
 * same time; at the end of stdin it shuts down its sending side, and it
 * exits once all of stdin is sent and the peer has shut down its side
 * (read returns 0), in either order (half-close).  -t uses the
 * kernel's TCP instead of xtcp, for comparison.  Exit 0 on success.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xtcp_util.h"

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * Both directions at once.  Writes to the socket never block: with both
 * ends writing and neither reading, two full send buffers would otherwise
 * wait on each other for ever (an application deadlock, on TCP as well).
 * What the socket does not take yet waits in @out until POLLOUT.
 */
static int pump(int sock)
{
	static char in[1 << 16], out[1 << 16];
	size_t out_off = 0, out_len = 0;
	bool in_open = true, sock_open = true;
	int fl = fcntl(sock, F_GETFL);

	if (fl < 0 || fcntl(sock, F_SETFL, fl | O_NONBLOCK)) {
		perror("fcntl");
		return 1;
	}
	while (sock_open || in_open || out_len) {
		struct pollfd p[2] = {
			{ .fd = sock, .events = (sock_open ? POLLIN : 0) |
						(out_len ? POLLOUT : 0) },
			{ .fd = in_open && !out_len ? 0 : -1, .events = POLLIN },
		};
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			return 1;
		}
		if (sock_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			n = read(sock, in, sizeof(in));
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				perror("read socket");
				return 1;
			}
			if (n == 0)
				sock_open = false;
			else if (n > 0 && write_all(1, in, n))
				return 1;
		}
		if (out_len && (p[0].revents & (POLLOUT | POLLERR))) {
			n = write(sock, out + out_off, out_len);
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				perror("write socket");
				return 1;
			}
			if (n > 0) {
				out_off += n;
				out_len -= n;
			}
		}
		if (in_open && !out_len && (p[1].revents & (POLLIN | POLLHUP))) {
			n = read(0, out, sizeof(out));
			if (n < 0) {
				perror("read stdin");
				return 1;
			}
			out_off = 0;
			if (n > 0) {
				out_len = n;
				continue;
			}
			in_open = false;
			if (shutdown(sock, SHUT_WR)) {
				perror("shutdown");
				return 1;
			}
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int af = xtcp_af(), fd, c, arg = 1;

	if (argc > 1 && !strcmp(argv[1], "-t")) {
		af = AF_INET;
		arg++;
	}
	if (argc - arg == 2 && !strcmp(argv[arg], "listen")) {
		int one = 1;

		sa.sin_port = htons(atoi(argv[arg + 1]));
		fd = socket(af, SOCK_STREAM, 0);
		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1)) {
			perror("listen");
			return 1;
		}
		c = accept(fd, NULL, NULL);
		if (c < 0) {
			perror("accept");
			return 1;
		}
		close(fd);
	} else if (argc - arg == 3 && !strcmp(argv[arg], "connect")) {
		sa.sin_port = htons(atoi(argv[arg + 2]));
		if (inet_pton(AF_INET, argv[arg + 1], &sa.sin_addr) != 1) {
			fprintf(stderr, "bad address %s\n", argv[arg + 1]);
			return 2;
		}
		c = socket(af, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&sa, sizeof(sa))) {
			perror("connect");
			return 1;
		}
	} else {
		fprintf(stderr, "usage: %s [-t] listen PORT | connect ADDR PORT\n",
			argv[0]);
		return 2;
	}
	return pump(c);
}
