// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: hash.c, the lookup tables.  What a segment finds (a connection
 * by its four-tuple, then a TIME_WAIT entry, then a request, then the
 * listener that fits best), a socket hashed again under a new
 * four-tuple, and the ephemeral port search when the range runs out.
 */
#include <kunit/test.h>

#include "harness.h"

#define XKT_PORT_RANGE	"/proc/sys/net/ipv4/ip_local_port_range"
#define XKT_MSL		"/proc/sys/net/xtcp/msl_ms"

/*
 * connect() refused, then connect() again on the same socket to another
 * port: the socket leaves the connection table and enters it again
 * under its new four-tuple.  Segments of the old one find nothing (a
 * reset, counted in NoSocket); the new one's SYN+ACK completes.  (As
 * TCP's, the first connect() after the error was read answers
 * ECONNABORTED and leaves the socket unconnected; the next one starts.)
 */
static void reconnect_rehashes(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	u16 old = t->rport;
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = t->raddr,
	};
	long none;
	struct xtcp_seg seg;

	xkt_connect(t);
	xkt_send(t, XTCP_RST | XTCP_ACK, 0, t->snd, NULL, 0);
	KUNIT_ASSERT_EQ(test, xkt_state(t), XTCP_CLOSE);
	KUNIT_EXPECT_EQ(test, sock_error(t->sock->sk), -ECONNREFUSED);

	t->rport = old + 2;
	a.sin_port = htons(t->rport);
	KUNIT_EXPECT_EQ(test, kernel_connect(t->sock, (struct sockaddr *)&a,
					     sizeof(a), O_NONBLOCK), -ECONNABORTED);
	xkt_connect(t);
	none = xkt_mib(t, XTCP_MIB_NO_SOCKET);
	t->rport = old;
	xkt_send(t, XTCP_SYN | XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	xkt_expect(t, XTCP_RST, &seg, NULL);
	KUNIT_EXPECT_EQ(test, seg.seq, t->snd);
	KUNIT_EXPECT_EQ(test, xkt_mib(t, XTCP_MIB_NO_SOCKET), none + 1);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_SYN_SENT);

	t->rport = old + 2;
	xkt_send(t, XTCP_SYN | XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	t->peer_seq++;
	xkt_expect_ack(t, t->peer_seq);
	KUNIT_EXPECT_EQ(test, xkt_state(t), XTCP_ESTABLISHED);
}

/* The accepted connection under test closes first, into TIME_WAIT. */
static void accepted_to_time_wait(struct xkt *t)
{
	struct xtcp_seg seg;

	KUNIT_ASSERT_EQ(t->test, kernel_sock_shutdown(t->sock, SHUT_WR), 0);
	xkt_expect(t, XTCP_FIN | XTCP_ACK, &seg, NULL);
	t->snd++;
	xkt_send(t, XTCP_FIN | XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	t->peer_seq++;
	xkt_expect_ack(t, t->peer_seq);
}

/*
 * An accepted connection ends in TIME_WAIT while its listener still
 * listens on the port: the peer's FIN again reaches the TIME_WAIT entry,
 * which ACKs it, and not the listener (which would reset a segment
 * without SYN).
 */
static void time_wait_before_listener(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long tw = xkt_mib(t, XTCP_MIB_CURR_TW);

	xkt_listen(t);
	xkt_syn_rcvd(t);
	xkt_accepted(t);
	accepted_to_time_wait(t);
	KUNIT_ASSERT_EQ(test, xkt_mib(t, XTCP_MIB_CURR_TW), tw + 1);

	xkt_send(t, XTCP_FIN | XTCP_ACK, t->peer_seq - 1, t->snd, NULL, 0);
	xkt_forget(t);
	xkt_expect_ack(t, t->peer_seq);
	KUNIT_EXPECT_EQ(test, READ_ONCE(t->lsock->sk->sk_state), XTCP_LISTEN);
}

/* A listener with SO_REUSEPORT on @addr:@port, or NULL. */
/* a socket bound to @addr:@port with SO_REUSEPORT, or NULL */
static struct socket *reuseport_socket(__be32 addr, u16 port)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = addr,
	};
	struct socket *sock;

	if (sock_create_kern(&init_net, xtcp_family, SOCK_STREAM, 0, &sock))
		return NULL;
	sock->sk->sk_reuseport = 1;
	if (kernel_bind(sock, (struct sockaddr *)&a, sizeof(a))) {
		sock_release(sock);
		return NULL;
	}
	return sock;
}

/* a listener on @addr:@port with SO_REUSEPORT, or NULL */
static struct socket *reuseport_listener(__be32 addr, u16 port)
{
	struct socket *sock = reuseport_socket(addr, port);

	if (sock && kernel_listen(sock, 16)) {
		sock_release(sock);
		return NULL;
	}
	return sock;
}

/*
 * Two listeners share the port (SO_REUSEPORT), one on 127.0.0.1 and one
 * on the wildcard, the wildcard one first in the chain: a SYN to
 * 127.0.0.1 goes to the one bound to it, whatever the order.
 */
static void bound_listener_preferred(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	struct socket *wild, *child = NULL;

	t->lsock = reuseport_listener(t->laddr, t->lport);
	KUNIT_ASSERT_NOT_NULL(test, t->lsock);
	wild = reuseport_listener(htonl(INADDR_ANY), t->lport);
	KUNIT_ASSERT_NOT_NULL(test, wild);

	xkt_syn_rcvd(t);
	xkt_accepted(t);
	KUNIT_EXPECT_EQ(test, kernel_accept(wild, &child, O_NONBLOCK), -EAGAIN);
	if (child)
		sock_release(child);
	sock_release(wild);
}

#define XKT_REQS	8

/*
 * A handshake's last ACK finds its request in the connection tables,
 * not whichever listener the port's lookup would pick now.  A second
 * listener joins the port (SO_REUSEPORT) while eight handshakes wait for
 * their ACKs: each ACK completes its handshake on the listener that
 * answered the SYN, none reaches the newcomer (which holds no request
 * and would reset it), and nothing is answered with a reset.
 */
static void request_keeps_its_listener(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	struct socket *other, *child[XKT_REQS + 1] = { NULL };
	u32 iss[XKT_REQS], irs = t->peer_seq;
	u16 base = t->rport;
	struct xtcp_seg seg;
	int i;

	t->lsock = reuseport_listener(t->laddr, t->lport);
	KUNIT_ASSERT_NOT_NULL(test, t->lsock);
	for (i = 0; i < XKT_REQS; i++) {
		t->rport = base + i;
		xkt_send(t, XTCP_SYN, irs, 0, NULL, 0);
		KUNIT_ASSERT_TRUE(test, xkt_synack_to(t, t->rport, &seg));
		iss[i] = seg.seq;
	}
	other = reuseport_listener(t->laddr, t->lport);
	KUNIT_ASSERT_NOT_NULL(test, other);
	for (i = 0; i < XKT_REQS; i++) {
		t->rport = base + i;
		xkt_send(t, XTCP_ACK, irs + 1, iss[i] + 1, NULL, 0);
		KUNIT_EXPECT_EQ(test, kernel_accept(t->lsock, &child[i],
						    O_NONBLOCK), 0);
	}
	KUNIT_EXPECT_EQ(test, kernel_accept(other, &child[XKT_REQS],
					    O_NONBLOCK), -EAGAIN);
	xkt_synack_to(t, 0, &seg);	/* only resends may be left: no reset */
	for (i = 0; i <= XKT_REQS; i++)
		xkt_release(&child[i]);
	sock_release(other);
	xkt_purge(t);
}

/*
 * A request holds its four-tuple as a connection does: connect() from a
 * socket sharing the listener's port (SO_REUSEPORT) to the peer whose
 * handshake is under way is refused, EADDRNOTAVAIL, as TCP's (its SYN
 * would have started a second connection on the same four-tuple); the
 * handshake then completes.
 */
static void request_holds_its_tuple(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(t->rport),
		.sin_addr.s_addr = t->raddr,
	};
	struct socket *s;

	t->lsock = reuseport_listener(t->laddr, t->lport);
	KUNIT_ASSERT_NOT_NULL(test, t->lsock);
	xkt_syn_rcvd(t);
	s = reuseport_socket(t->laddr, t->lport);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_EQ(test, kernel_connect(s, (struct sockaddr *)&to,
					     sizeof(to), O_NONBLOCK),
			-EADDRNOTAVAIL);
	KUNIT_EXPECT_EQ(test, READ_ONCE(s->sk->sk_state), XTCP_CLOSE);
	xkt_release(&s);	/* before any assertion could end the test */
	xkt_expect_quiet(t);	/* no SYN, only the SYN+ACK's resends */
	xkt_accepted(t);
}

/*
 * A range of four ports, two bound already: bind() to port 0 gets the
 * other two, each once, then EADDRINUSE; connect() then finds no port
 * (EADDRNOTAVAIL), as TCP answers both.
 */
static void ephemeral_range_runs_out(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	u16 lo = t->lport + 10, hi = lo + 3, p1, p2;
	struct socket *s[5] = { NULL };
	struct sockaddr_in a, to = {
		.sin_family = AF_INET,
		.sin_port = htons(t->rport),
		.sin_addr.s_addr = t->raddr,
	};
	char range[32];
	int i;

	snprintf(range, sizeof(range), "%u %u", lo, hi);
	KUNIT_ASSERT_EQ(test, xkt_sysctl_set(t, XKT_PORT_RANGE, range), 0);

	KUNIT_EXPECT_EQ(test, xkt_bound_socket(t->laddr, lo + 1, &s[0]), 0);
	KUNIT_EXPECT_EQ(test, xkt_bound_socket(t->laddr, lo + 2, &s[4]), 0);
	KUNIT_EXPECT_EQ(test, xkt_bound_socket(t->laddr, 0, &s[1]), 0);
	KUNIT_EXPECT_EQ(test, xkt_bound_socket(t->laddr, 0, &s[2]), 0);
	KUNIT_EXPECT_EQ(test, xkt_bound_socket(t->laddr, 0, &s[3]), -EADDRINUSE);
	if (s[1] && s[2]) {
		KUNIT_EXPECT_GE(test, kernel_getsockname(s[1], (struct sockaddr *)&a), 0);
		p1 = ntohs(a.sin_port);
		KUNIT_EXPECT_GE(test, kernel_getsockname(s[2], (struct sockaddr *)&a), 0);
		p2 = ntohs(a.sin_port);
		KUNIT_EXPECT_TRUE(test, (p1 == lo && p2 == hi) || (p1 == hi && p2 == lo));
	}
	KUNIT_EXPECT_EQ(test, sock_create_kern(&init_net, xtcp_family,
					       SOCK_STREAM, 0, &s[3]), 0);
	if (s[3])
		KUNIT_EXPECT_EQ(test, kernel_connect(s[3], (struct sockaddr *)&to,
						     sizeof(to), O_NONBLOCK),
				-EADDRNOTAVAIL);
	xkt_expect_quiet(t);	/* no SYN left */

	for (i = 0; i < ARRAY_SIZE(s); i++)
		if (s[i])
			sock_release(s[i]);
}

/*
 * Two sockets share a port on the wildcard address (SO_REUSEADDR) and
 * connect() to one peer: the first takes the four-tuple (its SYN
 * leaves), the second gets EADDRNOTAVAIL and sends nothing, as from TCP,
 * and is left as bind() made it (the wildcard address again), free to
 * connect elsewhere.
 */
static void same_tuple_connect_refused(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	struct socket *s[2] = { NULL };
	struct sockaddr_in got, a = {
		.sin_family = AF_INET,
		.sin_port = htons(t->lport),
		.sin_addr.s_addr = htonl(INADDR_ANY),
	}, to = {
		.sin_family = AF_INET,
		.sin_port = htons(t->rport),
		.sin_addr.s_addr = t->raddr,
	};
	struct xtcp_seg seg;
	unsigned int len;
	int i;

	for (i = 0; i < ARRAY_SIZE(s); i++) {
		KUNIT_EXPECT_EQ(test, sock_create_kern(&init_net, xtcp_family,
						       SOCK_STREAM, 0, &s[i]), 0);
		if (!s[i])
			goto out;
		sock_set_reuseaddr(s[i]->sk);
		KUNIT_EXPECT_EQ(test, kernel_bind(s[i], (struct sockaddr *)&a,
						  sizeof(a)), 0);
	}
	KUNIT_EXPECT_EQ(test, kernel_connect(s[0], (struct sockaddr *)&to,
					     sizeof(to), O_NONBLOCK),
			-EINPROGRESS);
	KUNIT_EXPECT_TRUE(test, xkt_next(t, &seg, &len));
	KUNIT_EXPECT_EQ(test, seg.flags, XTCP_SYN);
	KUNIT_EXPECT_EQ(test, kernel_connect(s[1], (struct sockaddr *)&to,
					     sizeof(to), O_NONBLOCK),
			-EADDRNOTAVAIL);
	KUNIT_EXPECT_EQ(test, READ_ONCE(s[1]->sk->sk_state), XTCP_CLOSE);
	KUNIT_EXPECT_EQ(test, READ_ONCE(s[0]->sk->sk_state), XTCP_SYN_SENT);
	xkt_expect_quiet(t);	/* no second SYN */
	KUNIT_EXPECT_GE(test, kernel_getsockname(s[1], (struct sockaddr *)&got), 0);
	KUNIT_EXPECT_EQ(test, ntohl(got.sin_addr.s_addr), INADDR_ANY);
	KUNIT_EXPECT_EQ(test, ntohs(got.sin_port), t->lport);
	/* another peer's port: a four-tuple of its own */
	to.sin_port = htons(t->rport + 1);
	KUNIT_EXPECT_EQ(test, kernel_connect(s[1], (struct sockaddr *)&to,
					     sizeof(to), O_NONBLOCK),
			-EINPROGRESS);
	KUNIT_EXPECT_TRUE(test, xkt_next(t, &seg, &len));
	KUNIT_EXPECT_EQ(test, seg.flags, XTCP_SYN);
	KUNIT_EXPECT_EQ(test, seg.dport, t->rport + 1);
out:
	for (i = 0; i < ARRAY_SIZE(s); i++)
		xkt_release(&s[i]);
}

/* xkt_poll()'s condition: bind() to @port succeeds now */
static bool port_bindable(struct xkt *t, long port, long b)
{
	struct socket *s = NULL;
	int err = xkt_bound_socket(t->laddr, port, &s);

	xkt_release(&s);
	return !err;
}

/*
 * A port is held while anything is bound to it, and no longer: the
 * listener goes and its accepted connection holds the port; that one
 * closes into TIME_WAIT and its entry holds the port once the socket is
 * gone; the entry ends (the MSL cut short) and bind() without
 * SO_REUSEADDR gets the port.  Each step finds one port's bind bucket,
 * kept by whoever is left in it.
 */
static void port_held_to_its_last_holder(struct kunit *test)
{
	struct xkt *t = xkt_of(test);
	long tw = xkt_mib(t, XTCP_MIB_TW_CREATED);
	struct socket *b = NULL;

	xkt_listen(t);
	xkt_syn_rcvd(t);
	xkt_accepted(t);
	xkt_release(&t->lsock);
	KUNIT_EXPECT_EQ(test, xkt_bound_socket(t->laddr, t->lport, &b),
			-EADDRINUSE);
	xkt_release(&b);

	accepted_to_time_wait(t);
	KUNIT_ASSERT_EQ(test, xkt_mib(t, XTCP_MIB_TW_CREATED), tw + 1);
	xkt_release(&t->sock);
	KUNIT_EXPECT_EQ(test, xkt_bound_socket(t->laddr, t->lport, &b),
			-EADDRINUSE);
	xkt_release(&b);

	/* the reaper looks at least once a second, with the MSL of then */
	KUNIT_ASSERT_EQ(test, xkt_sysctl_set(t, XKT_MSL, "1"), 0);
	KUNIT_EXPECT_TRUE(test, xkt_poll(t, port_bindable, t->lport, 0));
}

static struct kunit_case xtcp_hash_cases[] = {
	KUNIT_CASE(reconnect_rehashes),
	KUNIT_CASE(time_wait_before_listener),
	KUNIT_CASE(bound_listener_preferred),
	KUNIT_CASE(request_keeps_its_listener),
	KUNIT_CASE(request_holds_its_tuple),
	KUNIT_CASE(ephemeral_range_runs_out),
	KUNIT_CASE(same_tuple_connect_refused),
	KUNIT_CASE(port_held_to_its_last_holder),
	{}
};

static struct kunit_suite xtcp_hash_suite = {
	.name = "xtcp_hash",
	.init = xkt_init,
	.exit = xkt_exit,
	.test_cases = xtcp_hash_cases,
};

kunit_test_suite(xtcp_hash_suite);
