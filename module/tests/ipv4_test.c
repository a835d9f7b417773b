// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: ipv4.c's ICMP errors (xtcp_icmp_err()).  Each test puts a
 * connection in a state, then hands xtcp's error handler, as the ICMP
 * code would, an error quoting one of its segments, and checks what
 * became of the connection (or of a listener's request).  Path MTU
 * errors that would lower the MTU are left to the selftests
 * (xtcp_stream's pmtu_through_two_routers): here they would change the
 * loopback route the other suites use.  So are Redirects (xtcp_stream's
 * redirect_moves_the_route): the loopback route has no first hop to move.
 */
#include <kunit/test.h>
#include <linux/icmp.h>
#include <linux/ip.h>
#include <net/protocol.h>

#include "harness.h"

/*
 * An ICMP error of @type and @code (@info: an MTU) quoting a segment of
 * ours with sequence number @seq, handed to the handler xtcp registered,
 * in the receive path's context.
 */
static void xkt_icmp(struct xkt *t, u8 type, u8 code, u32 info, u32 seq)
{
	const struct net_protocol *ipprot;
	struct icmphdr *icmph;
	struct sk_buff *skb;
	struct iphdr *iph;
	__be16 *ports;
	__be32 *qseq;

	skb = alloc_skb(sizeof(*icmph) + sizeof(*iph) + 8, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(t->test, skb);
	skb_reset_transport_header(skb);
	icmph = skb_put_zero(skb, sizeof(*icmph));
	icmph->type = type;
	icmph->code = code;
	__skb_pull(skb, sizeof(*icmph));	/* at the quoted header */
	skb_reset_network_header(skb);
	iph = skb_put_zero(skb, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->protocol = xtcp_ipproto;
	iph->saddr = t->laddr;
	iph->daddr = t->raddr;
	ports = skb_put(skb, 2 * sizeof(*ports));
	ports[0] = htons(t->lport);
	ports[1] = htons(t->rport);
	qseq = skb_put(skb, sizeof(*qseq));
	*qseq = htonl(seq);
	skb->dev = init_net.loopback_dev;

	rcu_read_lock();
	local_bh_disable();
	ipprot = rcu_dereference(inet_protos[xtcp_ipproto]);
	if (ipprot)
		ipprot->err_handler(skb, info);
	local_bh_enable();
	rcu_read_unlock();
	kfree_skb(skb);
	KUNIT_EXPECT_NOT_NULL(t->test, ipprot);
}

/* SYN_SENT: an unreachable host ends the connect with EHOSTUNREACH. */
static void syn_sent_unreachable_aborts(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long aborts;

	xkt_connect(t);
	aborts = xkt_mib(t, XTCP_MIB_ICMP_ABORTS);
	xkt_icmp(t, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, t->iss);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_CLOSE);
	KUNIT_EXPECT_EQ(test, sock_error(t->sock->sk), -EHOSTUNREACH);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_ICMP_ABORTS), aborts + 1);
	xkt_expect_quiet(t);	/* no RST for a SYN never answered */
}

/* SYN_SENT: Time Exceeded (a TTL too small) is EHOSTUNREACH too. */
static void syn_sent_time_exceeded_aborts(struct kunit *test)
{
	struct xkt *t = xkt_of(test);

	xkt_connect(t);
	xkt_icmp(t, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0, t->iss);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_CLOSE);
	KUNIT_EXPECT_EQ(test, sock_error(t->sock->sk), -EHOSTUNREACH);
}

/*
 * SYN_SENT: an error quoting a sequence number not in flight is forged
 * or stale (RFC 5927 4.1): counted, and the connect goes on.
 */
static void syn_sent_quote_out_of_window(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	struct sock *sk;
	long oow;

	xkt_connect(t);
	sk = t->sock->sk;
	oow = xkt_mib(t, XTCP_MIB_OUT_OF_WINDOW_ICMPS);
	xkt_icmp(t, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, t->iss + 2);
	xkt_icmp(t, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, t->iss - 1);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_SYN_SENT);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_OUT_OF_WINDOW_ICMPS), oow + 2);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sk->sk_err), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sk->sk_err_soft), 0);
	/* the right SYN+ACK still completes it */
	xkt_send(t, XTCP_SYN | XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_ESTABLISHED);
}

/*
 * SYN_SENT with its owner in a system call: the error is kept as the
 * soft error (as TCP's; counted, LockDroppedIcmps), and the handshake
 * goes on; its completion clears it (SO_ERROR must not report it on a
 * connected socket).
 */
static void syn_sent_owner_busy_soft(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	struct sock *sk;
	long dropped;

	xkt_connect(t);
	sk = t->sock->sk;
	dropped = xkt_mib(t, XTCP_MIB_LOCK_DROPPED_ICMPS);
	lock_sock(sk);
	xkt_icmp(t, ICMP_DEST_UNREACH, ICMP_NET_UNREACH, 0, t->iss);
	release_sock(sk);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_LOCK_DROPPED_ICMPS), dropped + 1);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_SYN_SENT);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sk->sk_err), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sk->sk_err_soft), ENETUNREACH);
	xkt_send(t, XTCP_SYN | XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_ESTABLISHED);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sk->sk_err_soft), 0);
}

/*
 * ESTABLISHED: an unreachable is only noted (the soft error); the
 * connection stays, and the next acceptable segment forgets it.
 */
static void established_error_soft(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	struct sock *sk;
	long dropped;

	xkt_established(t);
	sk = t->sock->sk;
	dropped = xkt_mib(t, XTCP_MIB_LOCK_DROPPED_ICMPS);
	xkt_icmp(t, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, t->snd);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_LOCK_DROPPED_ICMPS), dropped);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_ESTABLISHED);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sk->sk_err), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sk->sk_err_soft), EHOSTUNREACH);
	xkt_send(t, XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sk->sk_err_soft), 0);
	xkt_expect_quiet(t);
}

/*
 * ESTABLISHED with IP_RECVERR: the unreachable is a hard error, reported
 * once (the next call reads and clears it; poll() says POLLERR), the
 * connection staying, as TCP's; but only the soft error while the owner
 * holds the socket, or with the option off again, or with IPV6_RECVERR
 * alone (which is for ICMPv6 errors).
 */
static void established_error_recverr(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	struct sock *sk;

	xkt_established(t);
	sk = t->sock->sk;
	KUNIT_ASSERT_EQ(test, xkt_setsockopt(t, SOL_IP, IP_RECVERR, 1), 0);
	xkt_icmp(t, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, t->snd);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_ESTABLISHED);
	KUNIT_EXPECT_TRUE(test, t->sock->ops->poll(NULL, t->sock, NULL) & EPOLLERR);
	KUNIT_EXPECT_EQ(test, sock_error(sk), -EHOSTUNREACH);
	KUNIT_EXPECT_EQ(test, sock_error(sk), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sk->sk_err_soft), 0);

	/* the owner holds the socket: the soft error only, as TCP's */
	lock_sock(sk);
	xkt_icmp(t, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0, t->snd);
	release_sock(sk);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sk->sk_err), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sk->sk_err_soft), ENOPROTOOPT);

	KUNIT_ASSERT_EQ(test, xkt_setsockopt(t, SOL_IP, IP_RECVERR, 0), 0);
	xkt_icmp(t, ICMP_DEST_UNREACH, ICMP_NET_UNREACH, 0, t->snd);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_ESTABLISHED);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sk->sk_err), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sk->sk_err_soft), ENETUNREACH);

	/*
	 * IPV6_RECVERR is for ICMPv6 errors, not this one (set directly: a
	 * bound IPv4 socket refuses the IPv6 options)
	 */
	WRITE_ONCE(xtcp_sk(sk)->recverr6, true);
	xkt_icmp(t, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, t->snd);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sk->sk_err), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sk->sk_err_soft), EHOSTUNREACH);
	xkt_expect_quiet(t);
}

/*
 * ESTABLISHED: a Fragmentation Needed is no error, and one whose MTU
 * would not cut our MSS changes nothing (TCP ignores such errors too).
 */
static void frag_needed_larger_mtu_ignored(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	struct sock *sk;
	long shrunk;
	u32 mss;

	xkt_established(t);
	sk = t->sock->sk;
	mss = READ_ONCE(xtcp_sk(sk)->mss);
	shrunk = xkt_mib(t, XTCP_MIB_PMTU_SHRUNK);
	xkt_icmp(t, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 65535, t->snd);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_ESTABLISHED);
	KUNIT_EXPECT_EQ(test, READ_ONCE(xtcp_sk(sk)->mss), mss);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_PMTU_SHRUNK), shrunk);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sk->sk_err_soft), 0);
}

/* @sk's RTO backoffs and the timeouts so far, read under the socket lock */
static void rto_state(struct xkt *t, u32 *backoffs, long *rtos)
{
	lock_sock(t->sock->sk);
	*backoffs = xtcp_sk(t->sock->sk)->rtt.backoffs;
	*rtos = xkt_mib(t, XTCP_MIB_RTO_EXPIRED);
	release_sock(t->sock->sk);
}

/*
 * ESTABLISHED, data resent by the retransmission timer: a host unreachable
 * quoting SND.UNA undoes the timer's last backoff (RFC 6069, counted
 * RtoReverts): one backoff fewer than the timeouts since made.  Not
 * before the timer resent anything, not a port unreachable, not one
 * quoting a later sequence number.
 */
static void established_unreachable_reverts_backoff(struct kunit *test)
{
	static const char data[100];
	struct xkt *t = xkt_of(test);
	long reverts, rtos, rtos1, rtos2;
	u32 backoffs1, backoffs2;
	struct sock *sk;

	xkt_established(t);
	sk = t->sock->sk;
	reverts = xkt_mib(t, XTCP_MIB_RTO_REVERTS);
	rtos = xkt_mib(t, XTCP_MIB_RTO_EXPIRED);
	KUNIT_ASSERT_EQ(test, xkt_write(t, data, sizeof(data)), 100);
	xkt_icmp(t, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, t->snd);
	/* (a machine too slow to send the error within one RTO tells nothing) */
	if (xkt_mib(t, XTCP_MIB_RTO_EXPIRED) == rtos)
		KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_RTO_REVERTS), reverts);
	KUNIT_ASSERT_TRUE(test, xkt_wait_mib(t, XTCP_MIB_RTO_EXPIRED, rtos));
	reverts = xkt_mib(t, XTCP_MIB_RTO_REVERTS);
	xkt_icmp(t, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, t->snd);
	xkt_icmp(t, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, t->snd + 50);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_RTO_REVERTS), reverts);
	rto_state(t, &backoffs1, &rtos1);
	KUNIT_EXPECT_LT(test, 0U, backoffs1);
	xkt_icmp(t, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, t->snd);
	rto_state(t, &backoffs2, &rtos2);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_RTO_REVERTS), reverts + 1);
	KUNIT_EXPECT_EQ(test, (long)backoffs2, (long)backoffs1 - 1 + (rtos2 - rtos1));
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_ESTABLISHED);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sk->sk_err), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sk->sk_err_soft), EHOSTUNREACH);
}

/* Source Quench (RFC 6633) and unknown codes change nothing. */
static void quench_and_unknown_codes_ignored(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	struct sock *sk;

	xkt_connect(t);
	sk = t->sock->sk;
	xkt_icmp(t, ICMP_SOURCE_QUENCH, 0, 0, t->iss);
	xkt_icmp(t, ICMP_DEST_UNREACH, NR_ICMP_UNREACH + 1, 0, t->iss);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_SYN_SENT);
	KUNIT_EXPECT_EQ(test, READ_ONCE(sk->sk_err_soft), 0);
}

/*
 * SYN_RCVD: a host unreachable quoting the listener's SYN+ACK ends the
 * request at once (TCP's tcp_req_err()): the queue is empty, the peer's
 * ACK then finds nothing and is reset, and nothing is accepted.
 */
static void syn_rcvd_unreachable_drops_request(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	struct socket *child;
	struct xtcp_seg seg;
	long aborts;

	xkt_listen(t);
	xkt_syn_rcvd(t);
	aborts = xkt_mib(t, XTCP_MIB_ICMP_ABORTS);
	xkt_icmp(t, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, t->iss);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_ICMP_ABORTS), aborts + 1);
	KUNIT_EXPECT_EQ(test, READ_ONCE(xtcp_sk(t->lsock->sk)->syn_qlen), 0);
	xkt_send(t, XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	xkt_expect(t, XTCP_RST, &seg, NULL);
	KUNIT_EXPECT_EQ(test, seg.seq, t->snd);
	KUNIT_EXPECT_EQ(test, kernel_accept(t->lsock, &child, O_NONBLOCK),
			-EAGAIN);
	KUNIT_EXPECT_EQ(test, READ_ONCE(t->lsock->sk->sk_err), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(t->lsock->sk->sk_state), XTCP_LISTEN);
}

/*
 * SYN_RCVD: errors that do not end a request (a filter's, a port
 * unreachable, a path MTU),
 * and one quoting another sequence number than the SYN+ACK's (counted),
 * leave it: the handshake completes.
 */
static void syn_rcvd_other_errors_keep_request(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long aborts, oow;

	xkt_listen(t);
	xkt_syn_rcvd(t);
	aborts = xkt_mib(t, XTCP_MIB_ICMP_ABORTS);
	oow = xkt_mib(t, XTCP_MIB_OUT_OF_WINDOW_ICMPS);
	xkt_icmp(t, ICMP_DEST_UNREACH, ICMP_PKT_FILTERED, 0, t->iss);
	xkt_icmp(t, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, t->iss);
	xkt_icmp(t, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 576, t->iss);
	xkt_icmp(t, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, t->iss + 1);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_ICMP_ABORTS), aborts);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_OUT_OF_WINDOW_ICMPS), oow + 1);
	KUNIT_EXPECT_EQ(test, READ_ONCE(xtcp_sk(t->lsock->sk)->syn_qlen), 1);
	xkt_accepted(t);
}

/*
 * SYN_RCVD with the listener's owner in a system call (its queues are
 * the owner's then): the error is left (counted, LockDroppedIcmps), and
 * the handshake completes.
 */
static void syn_rcvd_owner_busy_keeps_request(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	struct sock *lsk;
	long aborts, dropped;

	xkt_listen(t);
	xkt_syn_rcvd(t);
	lsk = t->lsock->sk;
	aborts = xkt_mib(t, XTCP_MIB_ICMP_ABORTS);
	dropped = xkt_mib(t, XTCP_MIB_LOCK_DROPPED_ICMPS);
	lock_sock(lsk);
	xkt_icmp(t, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0, t->iss);
	release_sock(lsk);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_ICMP_ABORTS), aborts);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_LOCK_DROPPED_ICMPS),
			dropped + 1);
	xkt_accepted(t);
}

static struct kunit_case xtcp_ipv4_cases[] = {
	KUNIT_CASE(syn_sent_unreachable_aborts),
	KUNIT_CASE(syn_sent_time_exceeded_aborts),
	KUNIT_CASE(syn_sent_quote_out_of_window),
	KUNIT_CASE(syn_sent_owner_busy_soft),
	KUNIT_CASE(established_error_soft),
	KUNIT_CASE(established_error_recverr),
	KUNIT_CASE(frag_needed_larger_mtu_ignored),
	KUNIT_CASE(established_unreachable_reverts_backoff),
	KUNIT_CASE(quench_and_unknown_codes_ignored),
	KUNIT_CASE(syn_rcvd_unreachable_drops_request),
	KUNIT_CASE(syn_rcvd_other_errors_keep_request),
	KUNIT_CASE(syn_rcvd_owner_busy_keeps_request),
	{}
};

static struct kunit_suite xtcp_ipv4_suite = {
	.name = "xtcp_ipv4",
	.init = xkt_init,
	.exit = xkt_exit,
	.test_cases = xtcp_ipv4_cases,
};

kunit_test_suite(xtcp_ipv4_suite);
