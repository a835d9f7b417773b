// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: syncookies.c.  With net.xtcp.syncookies 2 every SYN is answered
 * with a cookie and no request; the ACK that returns it rebuilds the
 * connection, a forged one is refused with an RST.  Each case sets the
 * sysctl (xkt_sysctl_set()); xkt_exit() puts it back.
 */
#include <kunit/test.h>

#include "harness.h"

#define XKT_SYNCOOKIES	"/proc/sys/net/xtcp/syncookies"

static int cookie_init(struct kunit *test)
{
	int err = xkt_init(test);

	return err ? err : xkt_sysctl_set(xkt_of(test), XKT_SYNCOOKIES, "2");
}

/* The listener's SYN queue length, read without its lock (the test's
 * thread is the only one sending it segments).
 */
static unsigned int syn_qlen(struct xkt *t)
{
	return READ_ONCE(xtcp_sk(t->lsock->sk)->syn_qlen);
}

/*
 * A SYN gets a SYN+ACK and no request; the ACK that returns the cookie
 * makes an established child with the data it carried, ready to accept.
 */
static void cookie_handshake(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long sent = xkt_mib(t, XTCP_MIB_SYNCOOKIES_SENT);
	long recv = xkt_mib(t, XTCP_MIB_SYNCOOKIES_RECV);
	char buf[8];

	xkt_listen(t);
	xkt_syn_rcvd(t);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_SYNCOOKIES_SENT), sent + 1);
	KUNIT_EXPECT_EQ(test, syn_qlen(t), 0);

	xkt_send(t, XTCP_ACK | XTCP_PSH, t->peer_seq, t->snd, "ping", 4);
	t->peer_seq += 4;
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_SYNCOOKIES_RECV), recv + 1);
	KUNIT_ASSERT_EQ(test, kernel_accept(t->lsock, &t->sock, O_NONBLOCK), 0);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_ESTABLISHED);
	KUNIT_EXPECT_EQ(test, xkt_recv(t, buf, sizeof(buf)), 4);
	KUNIT_EXPECT_EQ(test, memcmp(buf, "ping", 4), 0);
	/* the MSS came back from the cookie's table: at most the SYN's */
	KUNIT_EXPECT_LE(test, (unsigned int)xtcp_sk(t->sock->sk)->mss, 1460U);
	KUNIT_EXPECT_GT(test, (unsigned int)xtcp_sk(t->sock->sk)->mss, 500U);
	KUNIT_EXPECT_EQ(test, xkt_write(t, "pong", 4), 4);
}

/*
 * An ACK whose number is not our cookie plus one: refused (an RST at that
 * number, SyncookiesFailed), no child; the right one still works.
 */
static void forged_cookie_reset(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long failed = xkt_mib(t, XTCP_MIB_SYNCOOKIES_FAILED);
	struct socket *child = NULL;
	struct xtcp_seg seg;

	xkt_listen(t);
	xkt_syn_rcvd(t);
	xkt_send(t, XTCP_ACK, t->peer_seq, t->snd + 1, NULL, 0);
	xkt_expect(t, XTCP_RST, &seg, NULL);
	KUNIT_EXPECT_EQ(test, seg.seq, t->snd + 1);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_SYNCOOKIES_FAILED), failed + 1);
	KUNIT_EXPECT_EQ(test, kernel_accept(t->lsock, &child, O_NONBLOCK), -EAGAIN);
	if (child)
		sock_release(child);

	xkt_accepted(t);
}

/*
 * With syncookies off an ACK no request owns is not checked as a cookie:
 * an RST, and SyncookiesFailed stays.
 */
static void cookies_off_no_check(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long failed = xkt_mib(t, XTCP_MIB_SYNCOOKIES_FAILED);
	struct xtcp_seg seg;

	xkt_listen(t);
	xkt_syn_rcvd(t);
	KUNIT_ASSERT_EQ(test, xkt_sysctl_set(t, XKT_SYNCOOKIES, "0"), 0);
	xkt_send(t, XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	xkt_expect(t, XTCP_RST, &seg, NULL);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_SYNCOOKIES_FAILED), failed);
}

static struct kunit_case xtcp_syncookies_cases[] = {
	KUNIT_CASE(cookie_handshake),
	KUNIT_CASE(forged_cookie_reset),
	KUNIT_CASE(cookies_off_no_check),
	{}
};

static struct kunit_suite xtcp_syncookies_suite = {
	.name = "xtcp_syncookies",
	.init = cookie_init,
	.exit = xkt_exit,
	.test_cases = xtcp_syncookies_cases,
};

kunit_test_suite(xtcp_syncookies_suite);
