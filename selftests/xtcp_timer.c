// SPDX-License-Identifier: GPL-2.0
/*
 * A connection's timers while a system call holds its socket.
 *
 * A timer that expires while the owner holds the socket (lock_sock())
 * cannot do its work in softirq: it leaves it to xtcp_release_cb(), which
 * release_sock() runs as the owner lets go (TCP does the same for its
 * retransmission, delayed-ACK and window-probe timers).  To hold a socket
 * for as long as a test needs, a thread calls recv() into a page that a
 * userfaultfd has left unpopulated: the copy to user space waits in the
 * page fault with the socket owned, until the test fills the page.
 *
 *   - a keepalive probe due meanwhile is not sent while the owner holds
 *     the socket (TimersDeferred counts the expiry), and has been sent by
 *     the time recv() returns: as the owner let go, not on a later retry.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/userfaultfd.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"

#define DATA	100	/* bytes the blocked recv() takes */

/* A page whose first touch waits until the test resolves it. */
struct held_page {
	int uffd;
	char *page;
	long size;
};

static const char *held_page_init(struct held_page *h)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	h->size = sysconf(_SC_PAGESIZE);
	h->uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (h->uffd < 0)
		return "userfaultfd() failed (CONFIG_USERFAULTFD? root?)";
	if (ioctl(h->uffd, UFFDIO_API, &api))
		return "UFFDIO_API failed";
	h->page = mmap(NULL, h->size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h->page == MAP_FAILED)
		return "mmap failed";
	reg.range.start = (unsigned long)h->page;
	reg.range.len = h->size;
	if (ioctl(h->uffd, UFFDIO_REGISTER, &reg))
		return "UFFDIO_REGISTER failed";
	return "";
}

/* Wait for the first fault on the page: someone is stuck in it now. */
static bool held_page_touched(struct held_page *h)
{
	struct pollfd p = { .fd = h->uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&p, 1, XTCP_WAIT_MS) != 1)
		return false;
	if (read(h->uffd, &msg, sizeof(msg)) != sizeof(msg))
		return false;
	return msg.event == UFFD_EVENT_PAGEFAULT;
}

/* Fill the page: whoever waits in the fault goes on. */
static int held_page_release(struct held_page *h)
{
	struct uffdio_zeropage z = {
		.range = { .start = (unsigned long)h->page, .len = h->size },
	};

	return ioctl(h->uffd, UFFDIO_ZEROPAGE, &z);
}

struct blocked_recv {
	int fd;
	char *buf;
	ssize_t got;
};

static void *recv_thread(void *arg)
{
	struct blocked_recv *b = arg;

	b->got = recv(b->fd, b->buf, DATA, 0);
	return NULL;
}

/* Wait until counter @name exceeds @than; false after XTCP_WAIT_MS. */
static bool counter_exceeds(const char *name, long than)
{
	long long end = now_ms() + XTCP_WAIT_MS;

	while (xtcp_counter(name) <= than) {
		if (now_ms() > end)
			return false;
		usleep(10000);
	}
	return true;
}

TEST(keepalive_due_while_owned_runs_as_the_owner_lets_go)
{
	struct blocked_recv b = { .got = -2 };
	struct held_page h = { .uffd = -1 };
	char data[DATA];
	long probes, deferred;
	pthread_t t;
	int c, s;

	ASSERT_STREQ("", xtcp_fresh_netns());
	ASSERT_STREQ("", held_page_init(&h));
	ASSERT_EQ(0, stream_pair(true, &c, &s));
	/* probes every second on an idle connection; the peer answers them */
	ASSERT_EQ(0, set_int(c, SOL_SOCKET, SO_KEEPALIVE, 1));
	ASSERT_EQ(0, set_int(c, IPPROTO_TCP, TCP_KEEPIDLE, 1));
	ASSERT_EQ(0, set_int(c, IPPROTO_TCP, TCP_KEEPINTVL, 1));
	ASSERT_EQ(0, set_int(c, IPPROTO_TCP, TCP_KEEPCNT, 100));
	memset(data, 'k', sizeof(data));
	ASSERT_EQ(DATA, send(s, data, DATA, 0));
	ASSERT_EQ(DATA, inq_reaches(c, DATA));
	/* c has ACKed it: its keepalive is the namespace's only timer */
	ASSERT_EQ(0, outq_drains(s));

	b.fd = c;
	b.buf = h.page;
	ASSERT_EQ(0, pthread_create(&t, NULL, recv_thread, &b));
	ASSERT_TRUE(held_page_touched(&h));
	/* the thread copies to the page inside recv(): c is owned */
	probes = xtcp_counter("KeepaliveProbes");
	deferred = xtcp_counter("TimersDeferred");
	ASSERT_LE(0, probes);
	ASSERT_LE(0, deferred);
	/* a keepalive expiry comes within a second or so */
	EXPECT_TRUE(counter_exceeds("TimersDeferred", deferred));
	/* ...and its probe waits for the owner */
	EXPECT_EQ(probes, xtcp_counter("KeepaliveProbes"));

	ASSERT_EQ(0, held_page_release(&h));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(DATA, b.got);
	/* release_sock() sent it before recv() returned */
	EXPECT_LT(probes, xtcp_counter("KeepaliveProbes"));
	EXPECT_EQ(0, memcmp(h.page, data, DATA));
	/* the connection goes on: the peer answered, nothing is owed */
	EXPECT_EQ(XTCP_ESTABLISHED, stream_state(true, c));
	close(c);
	close(s);
	munmap(h.page, h.size);
	close(h.uffd);
}

TEST_HARNESS_MAIN
