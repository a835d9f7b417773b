// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp KUnit harness: the wire, the peer's segments, the state builders.
 * See harness.h.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/fault-inject.h>
#include <linux/fs.h>
#include <linux/inet.h>
#include <linux/netdevice.h>
#include <linux/sched.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/protocol.h>

#include "../kunit.h"
#include "harness.h"

#ifndef CONFIG_FAULT_INJECTION
#error "xtcp's KUnit suites inject allocation failures: CONFIG_FAULT_INJECTION"
#endif

/* Ports: a pair of fresh ones a test, so no test meets another's leftovers. */
static atomic_t xkt_port = ATOMIC_INIT(10000);

/**
 * xkt_init() - KUnit .init of every xtcp suite: a wire and a pair of ports
 * @test: the test about to run
 *
 * Return: 0, -ENOMEM, or -ENOSPC when the test ports have run out.
 */
int xkt_init(struct kunit *test)
{
	struct xkt *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	int port;

	if (!t)
		return -ENOMEM;
	t->test = test;
	skb_queue_head_init(&t->wire);
	test->priv = t;		/* xkt_exit() runs even when this fails */
	/*
	 * A block of ports of its own (a walk of allocation failures moves
	 * on by two a round, at most XKT_MAX_NTH rounds): blocks of 500
	 * from 10000 leave room for about 110 cases.
	 */
	port = atomic_add_return(500, &xkt_port);
	if (port > 65000)
		return -ENOSPC;
	t->laddr = htonl(INADDR_LOOPBACK);
	t->raddr = htonl(INADDR_LOOPBACK + 1);
	t->lport = port;
	t->rport = t->lport + 1;
	t->peer_seq = XKT_PEER_ISS;
	t->peer_window = 65535;
	xtcp_kunit_set_wire(&t->wire);
	return 0;
}

/**
 * xkt_release() - close a test's socket at once
 * @sockp: the socket, or NULL; set to NULL
 */
void xkt_release(struct socket **sockp)
{
	struct socket *sock = *sockp;

	if (!sock)
		return;
	/* SO_LINGER 0: an RST and CLOSED at once, no orphan left behind */
	sock_no_linger(sock->sk);
	sock_release(sock);
	*sockp = NULL;
}

/**
 * xkt_exit() - KUnit .exit: close the test's sockets, empty its wire
 * @test: the test that ran
 */
void xkt_exit(struct kunit *test)
{
	struct xkt *t = test->priv;

	xkt_release(&t->sock);
	xkt_release(&t->lsock);
	xtcp_kunit_set_wire(NULL);	/* and no segment is on its way */
	skb_queue_purge(&t->wire);
	while (t->nsaved) {
		t->nsaved--;
		KUNIT_EXPECT_EQ(test,
				xkt_sysctl_write(t->saved[t->nsaved].path,
						 t->saved[t->nsaved].val), 0);
	}
}

/**
 * xkt_next_round() - a new connection for the next round of a walk
 * @t: the test; its socket is closed (an RST, nothing left behind)
 * @new_local: a new local port too, for a socket bound again (else the
 *	same listener, only the peer's port moves)
 *
 * The next four-tuple of the test's block of ports, the peer's sequence
 * numbers from the start, an empty wire.
 */
void xkt_next_round(struct xkt *t, bool new_local)
{
	xkt_release(&t->sock);
	t->rport += 2;
	if (new_local)
		t->lport += 2;
	t->peer_seq = XKT_PEER_ISS;
	xkt_purge(t);
}

/**
 * xkt_of() - the harness state of a test
 * @test: the test
 *
 * Return: what xkt_init() made.
 */
struct xkt *xkt_of(struct kunit *test)
{
	return test->priv;
}

/*
 * The skb for the peer's segment @seg: the header built from it, the
 * checksum right, the IP header in front of skb->data, pulled as
 * ip_local_deliver_finish() leaves it.
 */
static struct sk_buff *xkt_build(struct xkt *t, const struct xtcp_seg *seg,
				 const void *data, size_t len)
{
	u8 hdr[XTCP_MAX_HDR_LEN];
	struct sk_buff *skb;
	struct iphdr *iph;
	size_t hlen;

	hlen = xtcp_build(hdr, sizeof(hdr), seg);
	KUNIT_ASSERT_GT(t->test, hlen, 0);
	skb = alloc_skb(MAX_HEADER + sizeof(*iph) + hlen + len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(t->test, skb);
	skb_reserve(skb, MAX_HEADER + sizeof(*iph) + hlen);
	if (len)
		skb_put_data(skb, data, len);
	memcpy(skb_push(skb, hlen), hdr, hlen);
	skb_reset_transport_header(skb);
	*(__sum16 *)(skb->data + 16) =
		csum_tcpudp_magic(t->raddr, t->laddr, skb->len, xtcp_ipproto,
				  csum_partial(skb->data, skb->len, 0));
	skb->ip_summed = CHECKSUM_NONE;

	iph = skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->tot_len = htons(skb->len);
	iph->ttl = 64;
	iph->protocol = xtcp_ipproto;
	iph->saddr = t->raddr;
	iph->daddr = t->laddr;
	iph->check = ip_fast_csum(iph, iph->ihl);
	__skb_pull(skb, sizeof(*iph));

	skb->protocol = htons(ETH_P_IP);
	skb->pkt_type = PACKET_HOST;
	skb->dev = init_net.loopback_dev;
	return skb;
}

/* The peer's header fields for a segment with these numbers. */
static struct xtcp_seg xkt_seg(struct xkt *t, u8 flags, u32 seq, u32 ack)
{
	return (struct xtcp_seg){
		.sport = t->rport, .dport = t->lport,
		.seq = seq, .ack = ack, .flags = flags,
		.window = t->peer_window,
		.mss = flags & XTCP_SYN ? 1460 : 0,
		.sack_perm = (flags & XTCP_SYN) && t->peer_sack,
	};
}

/**
 * xkt_segment() - a segment from the peer, as IP would hand it to xtcp
 * @t: the test
 * @flags: XTCP_SYN, XTCP_ACK, ...
 * @seq: its sequence number
 * @ack: its acknowledgment number
 * @data: payload, or NULL
 * @len: payload length
 *
 * The checksum is right, the window @t->peer_window; a SYN offers an MSS
 * of 1460, SACK if @t->peer_sack, and no other option.  The IP header is
 * in front of skb->data, pulled as ip_local_deliver_finish() leaves it.
 *
 * Return: the segment (the test fails at once if it cannot be made).
 */
struct sk_buff *xkt_segment(struct xkt *t, u8 flags, u32 seq, u32 ack,
			    const void *data, size_t len)
{
	struct xtcp_seg seg = xkt_seg(t, flags, seq, ack);

	return xkt_build(t, &seg, data, len);
}

/**
 * xkt_sack_segment() - the peer's ACK with SACK blocks
 * @t: the test; the connection has SACK (@t->peer_sack)
 * @ack: its acknowledgment number
 * @blk: the blocks, the first the most recent (RFC 2018); a D-SACK
 *	block (below @ack, or inside the next) first
 * @n: how many, 1..XTCP_MAX_SACK_BLOCKS
 *
 * Return: the segment, at @t->peer_seq.
 */
struct sk_buff *xkt_sack_segment(struct xkt *t, u32 ack,
				 const struct xtcp_sack_block *blk,
				 unsigned int n)
{
	struct xtcp_seg seg = xkt_seg(t, XTCP_ACK, t->peer_seq, ack);

	KUNIT_ASSERT_TRUE(t->test, n && n <= XTCP_MAX_SACK_BLOCKS);
	seg.nr_sack = n;
	memcpy(seg.sack, blk, n * sizeof(*blk));
	return xkt_build(t, &seg, NULL, 0);
}

/**
 * xkt_deliver() - hand a segment to xtcp's receive entry
 * @t: the test
 * @skb: from xkt_segment(), consumed
 *
 * Through the handler xtcp registered for its protocol number, with
 * rcu_read_lock() held and softirqs off, as ip_local_deliver_finish()
 * calls it; but in the test's thread, so that allocation failures can
 * be injected there (current->fail_nth counts in task context only).
 */
void xkt_deliver(struct xkt *t, struct sk_buff *skb)
{
	const struct net_protocol *ipprot;

	rcu_read_lock();
	local_bh_disable();
	ipprot = rcu_dereference(inet_protos[xtcp_ipproto]);
	if (ipprot)
		ipprot->handler(skb);
	else
		kfree_skb(skb);
	local_bh_enable();
	rcu_read_unlock();
	KUNIT_EXPECT_NOT_NULL(t->test, ipprot);
}

/**
 * xkt_send() - the peer sends a segment
 * @t: the test
 * @flags: as xkt_segment()
 * @seq: its sequence number
 * @ack: its acknowledgment number
 * @data: payload, or NULL
 * @len: payload length
 */
void xkt_send(struct xkt *t, u8 flags, u32 seq, u32 ack, const void *data,
	      size_t len)
{
	xkt_deliver(t, xkt_segment(t, flags, seq, ack, data, len));
}

/**
 * xkt_deliver_failing() - deliver a segment, the @nth allocation failing
 * @t: the test
 * @skb: from xkt_segment(), consumed
 * @nth: which allocation from now fails (1: the first)
 *
 * The kernel's fail-nth (fault-inject.c): every allocation failslab sees
 * in this thread counts (scripts/kunit.sh sets which), the @nth fails.
 *
 * Return: true if fewer than @nth were made: nothing failed, and every
 * allocation site on this path has been tried.
 */
bool xkt_deliver_failing(struct xkt *t, struct sk_buff *skb,
			 unsigned int nth)
{
	bool all_tried;

	WRITE_ONCE(current->fail_nth, nth);
	xkt_deliver(t, skb);
	all_tried = READ_ONCE(current->fail_nth) != 0;
	WRITE_ONCE(current->fail_nth, 0);
	return all_tried;
}

/**
 * xkt_next() - take the next segment off the wire
 * @t: the test
 * @seg: its header
 * @len: its payload length, or NULL
 *
 * Return: false if the wire is empty.
 */
bool xkt_next(struct xkt *t, struct xtcp_seg *seg, unsigned int *len)
{
	struct sk_buff *skb = skb_dequeue(&t->wire);
	unsigned int off;

	if (!skb)
		return false;
	off = skb_transport_offset(skb);
	KUNIT_ASSERT_EQ(t->test,
			xtcp_parse(skb_transport_header(skb), skb->len - off,
				   seg), XTCP_PARSE_OK);
	if (len)
		*len = skb->len - off - seg->hlen;
	t->gso_size = skb_is_gso(skb) ? skb_shinfo(skb)->gso_size : 0;
	kfree_skb(skb);
	return true;
}

/**
 * xkt_take_data() - data segments off the wire, checked
 * @t: the test
 * @seq: where the first must start
 * @want: how many bytes to take at most
 * @mss: the largest segment allowed (of a run: its segments')
 *
 * Takes segments until @want bytes from @seq on have left, each checked:
 * contiguous, no segment over @mss.  Pure ACKs between them are skipped.
 *
 * Return: the bytes seen.
 */
unsigned int xkt_take_data(struct xkt *t, u32 seq, unsigned int want,
			   unsigned int mss)
{
	unsigned int seen = 0, len;
	struct xtcp_seg seg;

	while (seen < want && xkt_next(t, &seg, &len)) {
		if (!len)
			continue;
		KUNIT_EXPECT_EQ(t->test, seg.seq, seq + seen);
		KUNIT_EXPECT_LE(t->test, t->gso_size ? t->gso_size : len, mss);
		seen += len;
	}
	return seen;
}

/* A timer's resend of the last segment taken: the same, and it occupies
 * sequence space (a pure ACK is never resent by a timer).
 */
static bool xkt_is_resend(const struct xkt *t, const struct xtcp_seg *seg,
			  unsigned int len)
{
	return (seg->flags & (XTCP_SYN | XTCP_FIN) || len) &&
	       seg->seq == t->last.seq && seg->flags == t->last.flags &&
	       seg->ack == t->last.ack;
}

/**
 * xkt_expect() - the next segment xtcp sent has exactly these flags
 * @t: the test
 * @flags: the flags expected
 * @seg: its header, or NULL
 * @len: its payload length, or NULL
 *
 * Resends of the segment taken before are skipped.  The test ends here
 * if nothing was sent.
 */
void xkt_expect(struct xkt *t, u8 flags, struct xtcp_seg *seg,
		unsigned int *len)
{
	struct xtcp_seg s;
	unsigned int l;

	do {
		KUNIT_ASSERT_TRUE_MSG(t->test, xkt_next(t, &s, &l),
				      "xtcp sent nothing; flags %#x expected",
				      flags);
	} while (xkt_is_resend(t, &s, l));
	KUNIT_EXPECT_EQ(t->test, s.flags, flags);
	t->last = s;
	if (seg)
		*seg = s;
	if (len)
		*len = l;
}

/**
 * xkt_expect_ack() - xtcp acknowledged @ack
 * @t: the test
 * @ack: the acknowledgment number expected
 *
 * Pure ACKs of less (a delayed ACK that fired meanwhile) are skipped.
 */
void xkt_expect_ack(struct xkt *t, u32 ack)
{
	struct xtcp_seg s;
	unsigned int l;

	for (;;) {
		KUNIT_ASSERT_TRUE_MSG(t->test, xkt_next(t, &s, &l),
				      "xtcp sent no ACK of %u", ack);
		if (xkt_is_resend(t, &s, l))
			continue;
		if (s.flags == XTCP_ACK && !l && xtcp_seq_before(s.ack, ack))
			continue;
		break;
	}
	KUNIT_EXPECT_EQ(t->test, s.flags & XTCP_ACK, XTCP_ACK);
	KUNIT_EXPECT_EQ(t->test, s.ack, ack);
	t->last = s;
}

/**
 * xkt_synack_to() - the SYN+ACK to the peer's port @port
 * @t: the test
 * @port: the peer's port, host order (0: none; every segment is taken)
 * @seg: set to its header
 *
 * With several requests at once, the request timers' resends to the
 * others (a slow machine may see them) are skipped; anything but a
 * SYN+ACK fails the test.
 *
 * Return: true if it was there.
 */
bool xkt_synack_to(struct xkt *t, u16 port, struct xtcp_seg *seg)
{
	while (xkt_next(t, seg, NULL)) {
		KUNIT_EXPECT_EQ(t->test, seg->flags, XTCP_SYN | XTCP_ACK);
		if (seg->dport == port)
			return true;
	}
	return false;
}

/**
 * xkt_expect_quiet() - xtcp sent nothing new
 * @t: the test
 */
void xkt_expect_quiet(struct xkt *t)
{
	struct xtcp_seg s;
	unsigned int l;

	while (xkt_next(t, &s, &l))
		KUNIT_EXPECT_TRUE_MSG(t->test, xkt_is_resend(t, &s, l),
				      "unexpected segment flags %#x seq %u",
				      s.flags, s.seq);
}

/**
 * xkt_purge() - forget what xtcp sent so far
 * @t: the test
 */
void xkt_purge(struct xkt *t)
{
	skb_queue_purge(&t->wire);
	xkt_forget(t);
}

/**
 * xkt_forget() - the next segment is not a resend, whatever it repeats
 * @t: the test
 *
 * For a test that asks for the same segment again.
 */
void xkt_forget(struct xkt *t)
{
	memset(&t->last, 0, sizeof(t->last));
}

/**
 * xkt_poll() - wait until a condition holds
 * @t: the test
 * @done: the condition, asked every 100 ms for at most a minute
 * @a: its first argument
 * @b: its second
 *
 * Return: false if it never held.
 */
bool xkt_poll(struct xkt *t, bool (*done)(struct xkt *t, long a, long b),
	      long a, long b)
{
	int i;

	for (i = 0; i < 600 && !done(t, a, b); i++)
		msleep(100);
	return done(t, a, b);
}

static bool xkt_sent(struct xkt *t, long a, long b)
{
	return !skb_queue_empty_lockless(&t->wire);
}

static bool xkt_in_state(struct xkt *t, long state, long b)
{
	return xkt_state(t) == state;
}

static bool xkt_mib_above(struct xkt *t, long field, long above)
{
	return xkt_mib(t, field) > above;
}

/**
 * xkt_wait() - wait until xtcp sends something (a timer's work)
 * @t: the test
 *
 * Polls the wire every 100 ms for at most a minute: the timers under test
 * fire within seconds, and a slow machine only makes the wait longer.
 *
 * Return: false if nothing came.
 */
bool xkt_wait(struct xkt *t)
{
	return xkt_poll(t, xkt_sent, 0, 0);
}

/**
 * xkt_state() - the state of the socket under test
 * @t: the test
 *
 * Return: its sk_state.
 */
int xkt_state(const struct xkt *t)
{
	return READ_ONCE(t->sock->sk->sk_state);
}

/**
 * xkt_mib() - a counter of init_net's (/proc/net/xtcp_stat)
 * @t: the test
 * @field: which
 *
 * Return: its value.
 */
long xkt_mib(const struct xkt *t, enum xtcp_mib field)
{
	return atomic_long_read(&xtcp_pernet(&init_net)->mib[field]);
}

/**
 * xkt_wait_state() - wait until the socket under test is in @state
 * @t: the test
 * @state: the state
 *
 * Return: false if it was not within a minute.
 */
bool xkt_wait_state(struct xkt *t, int state)
{
	return xkt_poll(t, xkt_in_state, state, 0);
}

/**
 * xkt_wait_mib() - wait until a counter of init_net's passes @above
 * @t: the test
 * @field: the counter
 * @above: the value it must pass
 *
 * Return: false if it did not within a minute.
 */
bool xkt_wait_mib(struct xkt *t, enum xtcp_mib field, long above)
{
	return xkt_poll(t, xkt_mib_above, field, above);
}

/**
 * xkt_setsockopt() - set an int option on the socket under test
 * @t: the test
 * @level: SOL_SOCKET, SOL_IP, SOL_IPV6, or xtcp_ipproto for xtcp's own
 * @optname: the option
 * @val: its value
 *
 * Return: 0 or -errno, as setsockopt().
 */
int xkt_setsockopt(struct xkt *t, int level, int optname, int val)
{
	return t->sock->ops->setsockopt(t->sock, level, optname,
					KERNEL_SOCKPTR(&val), sizeof(val));
}

/**
 * xkt_bound_socket() - an xtcp socket in init_net, bound
 * @addr: local address
 * @port: local port, host order (0: an ephemeral one)
 * @sockp: set to the socket, or NULL
 *
 * Return: 0 or -errno (of socket creation or of bind()).
 */
int xkt_bound_socket(__be32 addr, u16 port, struct socket **sockp)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = addr,
	};
	int err;

	err = sock_create_kern(&init_net, xtcp_family, SOCK_STREAM, 0, sockp);
	if (err)
		return err;
	err = kernel_bind(*sockp, (struct sockaddr *)&a, sizeof(a));
	if (err) {
		sock_release(*sockp);
		*sockp = NULL;
	}
	return err;
}

/**
 * xkt_sysctl_read() - read a sysctl file of the test's namespace
 * @path: its /proc/sys path
 * @buf: where to, NUL-terminated
 * @size: the size of @buf
 *
 * Return: 0 or -errno.
 */
int xkt_sysctl_read(const char *path, char *buf, size_t size)
{
	struct file *f = filp_open(path, O_RDONLY, 0);
	loff_t pos = 0;
	ssize_t n;

	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_read(f, buf, size, &pos);
	filp_close(f, NULL);
	if (n < 0)
		return n;
	if (n == size)
		return -E2BIG;	/* restored cut short, it would be wrong */
	buf[n] = '\0';
	return 0;
}

/**
 * xkt_sysctl_write() - write a sysctl file of the test's namespace
 * @path: its /proc/sys path
 * @val: the value, a string
 *
 * Return: 0 or -errno.
 */
int xkt_sysctl_write(const char *path, const char *val)
{
	struct file *f = filp_open(path, O_WRONLY, 0);
	loff_t pos = 0;
	ssize_t n;

	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_write(f, val, strlen(val), &pos);
	filp_close(f, NULL);
	return n < 0 ? n : 0;
}

/**
 * xkt_sysctl_set() - set a sysctl for the rest of the test
 * @t: the test
 * @path: its /proc/sys path
 * @val: the value, a string
 *
 * The value before the test's first change is put back by xkt_exit(),
 * however the test ends.
 *
 * Return: 0 or -errno.
 */
int xkt_sysctl_set(struct xkt *t, const char *path, const char *val)
{
	unsigned int i;
	int err;

	for (i = 0; i < t->nsaved; i++)
		if (!strcmp(t->saved[i].path, path))
			break;
	if (i == t->nsaved) {
		if (i == ARRAY_SIZE(t->saved))
			return -ENOSPC;
		err = xkt_sysctl_read(path, t->saved[i].val,
				      sizeof(t->saved[i].val));
		if (err)
			return err;
		t->saved[i].path = path;
		t->nsaved++;
	}
	return xkt_sysctl_write(path, val);
}

/* A socket bound to the test's address and port. */
static int xkt_socket(struct xkt *t, struct socket **sockp)
{
	return xkt_bound_socket(t->laddr, t->lport, sockp);
}

/**
 * xkt_open() - the socket under test, bound to our port, not connected
 * @t: the test
 *
 * For a test that sets options before xkt_connect(), which otherwise
 * makes the socket itself.
 */
void xkt_open(struct xkt *t)
{
	KUNIT_ASSERT_EQ(t->test, xkt_socket(t, &t->sock), 0);
}

/**
 * xkt_connect() - a socket that sent its SYN: SYN_SENT
 * @t: the test; the socket is made unless xkt_open() made it
 */
void xkt_connect(struct xkt *t)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(t->rport),
		.sin_addr.s_addr = t->raddr,
	};
	struct xtcp_seg seg;

	if (!t->sock)
		xkt_open(t);
	KUNIT_ASSERT_EQ(t->test,
			kernel_connect(t->sock, (struct sockaddr *)&a,
				       sizeof(a), O_NONBLOCK), -EINPROGRESS);
	xkt_expect(t, XTCP_SYN, &seg, NULL);
	t->iss = seg.seq;
	t->snd = seg.seq + 1;
	KUNIT_ASSERT_EQ(t->test, xkt_state(t), XTCP_SYN_SENT);
}

/**
 * xkt_established() - a connection we opened: ESTABLISHED
 * @t: the test
 */
void xkt_established(struct xkt *t)
{
	xkt_connect(t);
	xkt_send(t, XTCP_SYN | XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	t->peer_seq++;
	xkt_expect_ack(t, t->peer_seq);
	KUNIT_ASSERT_EQ(t->test, xkt_state(t), XTCP_ESTABLISHED);
}

/**
 * xkt_fin_wait1() - we shut down writing, our FIN unacknowledged
 * @t: the test
 */
void xkt_fin_wait1(struct xkt *t)
{
	struct xtcp_seg seg;

	xkt_established(t);
	KUNIT_ASSERT_EQ(t->test, kernel_sock_shutdown(t->sock, SHUT_WR), 0);
	xkt_expect(t, XTCP_FIN | XTCP_ACK, &seg, NULL);
	KUNIT_EXPECT_EQ(t->test, seg.seq, t->snd);
	t->snd++;
	KUNIT_ASSERT_EQ(t->test, xkt_state(t), XTCP_FIN_WAIT1);
}

/**
 * xkt_fin_wait2() - our FIN acknowledged, the peer still sending
 * @t: the test
 */
void xkt_fin_wait2(struct xkt *t)
{
	xkt_fin_wait1(t);
	xkt_send(t, XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	KUNIT_ASSERT_EQ(t->test, xkt_state(t), XTCP_FIN_WAIT2);
}

/**
 * xkt_closing() - FINs crossed: ours unacknowledged, theirs acknowledged
 * @t: the test
 */
void xkt_closing(struct xkt *t)
{
	xkt_fin_wait1(t);
	xkt_send(t, XTCP_FIN | XTCP_ACK, t->peer_seq, t->snd - 1, NULL, 0);
	t->peer_seq++;
	xkt_expect_ack(t, t->peer_seq);
	KUNIT_ASSERT_EQ(t->test, xkt_state(t), XTCP_CLOSING);
}

/**
 * xkt_close_wait() - the peer closed; we have not (the delayed FIN)
 * @t: the test
 * @unread: data the peer sent before its FIN, left unread; or NULL
 * @len: its length
 */
void xkt_close_wait(struct xkt *t, const void *unread, size_t len)
{
	xkt_established(t);
	if (len) {
		xkt_send(t, XTCP_ACK | XTCP_PSH, t->peer_seq, t->snd, unread,
			 len);
		t->peer_seq += len;
	}
	xkt_send(t, XTCP_FIN | XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	t->peer_seq++;
	xkt_expect_ack(t, t->peer_seq);	/* at once, not delayed */
	KUNIT_ASSERT_EQ(t->test, xkt_state(t), XTCP_CLOSE_WAIT);
}

/**
 * xkt_last_ack() - the peer closed, then we did: our FIN unacknowledged
 * @t: the test
 */
void xkt_last_ack(struct xkt *t)
{
	struct xtcp_seg seg;

	xkt_close_wait(t, NULL, 0);
	KUNIT_ASSERT_EQ(t->test, kernel_sock_shutdown(t->sock, SHUT_WR), 0);
	xkt_expect(t, XTCP_FIN | XTCP_ACK, &seg, NULL);
	KUNIT_EXPECT_EQ(t->test, seg.seq, t->snd);
	t->snd++;
	KUNIT_ASSERT_EQ(t->test, xkt_state(t), XTCP_LAST_ACK);
}

/**
 * xkt_listen() - a listener on our port
 * @t: the test
 */
void xkt_listen(struct xkt *t)
{
	KUNIT_ASSERT_EQ(t->test, xkt_socket(t, &t->lsock), 0);
	KUNIT_ASSERT_EQ(t->test, kernel_listen(t->lsock, 128), 0);
	KUNIT_ASSERT_EQ(t->test, READ_ONCE(t->lsock->sk->sk_state),
			XTCP_LISTEN);
}

/**
 * xkt_syn_rcvd() - the listener answered the peer's SYN: a request
 * @t: the test; a listener made already (xkt_listen())
 */
void xkt_syn_rcvd(struct xkt *t)
{
	struct xtcp_seg seg;

	xkt_send(t, XTCP_SYN, t->peer_seq, 0, NULL, 0);
	t->peer_seq++;
	xkt_expect(t, XTCP_SYN | XTCP_ACK, &seg, NULL);
	KUNIT_EXPECT_EQ(t->test, seg.ack, t->peer_seq);
	t->iss = seg.seq;
	t->snd = seg.seq + 1;
}

/**
 * xkt_accepted() - the handshake done and the child accepted
 * @t: the test; a request made already (xkt_syn_rcvd())
 */
void xkt_accepted(struct xkt *t)
{
	xkt_send(t, XTCP_ACK, t->peer_seq, t->snd, NULL, 0);
	KUNIT_ASSERT_EQ(t->test, kernel_accept(t->lsock, &t->sock, O_NONBLOCK),
			0);
	KUNIT_ASSERT_EQ(t->test, xkt_state(t), XTCP_ESTABLISHED);
}

/**
 * xkt_recv() - read what the socket under test holds, without waiting
 * @t: the test
 * @buf: where
 * @len: at most this much
 *
 * Return: bytes read, 0 at end of stream, or -errno.
 */
int xkt_recv(struct xkt *t, void *buf, size_t len)
{
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };

	return kernel_recvmsg(t->sock, &msg, &iov, 1, len, MSG_DONTWAIT);
}

/**
 * xkt_write() - write to the socket under test, without waiting
 * @t: the test
 * @buf: what
 * @len: its length
 *
 * Return: bytes taken, or -errno.
 */
int xkt_write(struct xkt *t, const void *buf, size_t len)
{
	struct kvec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };

	return kernel_sendmsg(t->sock, &msg, &iov, 1, len);
}

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("xtcp KUnit suites (make kunit), loaded after xtcp.ko built with XTCP_KUNIT=1");
