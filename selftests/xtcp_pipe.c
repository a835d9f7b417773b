// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp_pipe: netcat for xtcp, used by the selftest scripts.
 *
 *   xtcp_pipe [-t] listen PORT          accept one connection
 *   xtcp_pipe [-t] connect ADDR PORT    connect
 *
 * Then copies stdin to the connection and the connection to stdout at the
 * same time; at the end of stdin it shuts down its sending side, and it
 * exits once the peer has done the same (read returns 0).  -t uses the
 * kernel's TCP instead of xtcp, for comparison.  Exit 0 on success.
 */
#include <arpa/inet.h>
#include <errno.h>
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

static int pump(int sock)
{
	static char buf[1 << 16];
	bool in_open = true, sock_open = true;

	while (sock_open) {
		struct pollfd p[2] = {
			{ .fd = sock, .events = POLLIN },
			{ .fd = in_open ? 0 : -1, .events = POLLIN },
		};
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			return 1;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(sock, buf, sizeof(buf));
			if (n < 0) {
				perror("read socket");
				return 1;
			}
			if (n == 0)
				sock_open = false;
			else if (write_all(1, buf, n))
				return 1;
		}
		if (in_open && (p[1].revents & (POLLIN | POLLHUP))) {
			n = read(0, buf, sizeof(buf));
			if (n < 0) {
				perror("read stdin");
				return 1;
			}
			if (n == 0) {
				in_open = false;
				if (shutdown(sock, SHUT_WR)) {
					perror("shutdown");
					return 1;
				}
			} else if (write_all(sock, buf, n)) {
				perror("write socket");
				return 1;
			}
		}
	}
	/* Drain stdin's remainder is not needed: the peer is done. */
	return in_open ? 1 : 0;
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
