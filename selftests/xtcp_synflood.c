// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp selftests: SYN cookies (RFC 4987) and a spoofed SYN flood.
 *
 *  - net.xtcp.syncookies=2: every connection is made from a cookie, no
 *    request is ever kept, data goes both ways intact, and the counters
 *    (SyncookiesSent/Recv, PassiveOpens, the transition matrix) count
 *    exactly the connections made;
 *  - the MSS and window scale a cookie carries are the ones the child
 *    sends with: a scripted peer on a raw socket announces MSS 1450 and
 *    shift 2, then sees segments of 1440 bytes (the table's entry below
 *    1450) and no more in flight than its window scaled by 2 allows;
 *  - forged cookie ACKs (wrong acknowledgment or sequence number, another
 *    port, or cookies switched off) make no socket: SyncookiesFailed, and
 *    an RST as TCP answers;
 *  - syncookies=1 (the default): a cookie only once the SYN queue is
 *    full; a cookie handshake whose ACK is lost completes with the first
 *    data; a valid cookie ACK meeting a full accept queue is dropped and
 *    counted, and its retransmission completes later;
 *  - the hostile case, TCP beside xtcp: spoofed SYNs from 198.18.0.0/15,
 *    whose SYN+ACKs vanish (routed to a veth peer that drops them), at
 *    500 a second to an xtcp and a TCP listener while a client makes
 *    connections with data to each (200, or XTCP_LOAD_PERCENT of that but
 *    at least 50): at least 99 % succeed on xtcp (TCP's figure beside it
 *    in the log); with syncookies=0 the same flood makes them fail, which
 *    shows the test bites.
 *
 * Nothing is judged by elapsed time: loops are bounded by counts, waits
 * for events have generous limits that only bound a failure, and connect
 * success is the metric, not its latency.  Every test runs in a network
 * namespace of its own and leaves it empty.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <arpa/inet.h>
#include <netinet/ip.h>

#include "kselftest_harness.h"
#include "module/core.h"
#include "xtcp_util.h"
#include "xtcp_rawpeer.h"

#define XTCP_PROC	"/proc/net/xtcp"
#define WAIT_MS		30000	/* bounds a failure, never a verdict */
#define MAX_ROWS	4096

/* ---- small helpers ---- */

/* Rows of /proc/net/xtcp in state @st; -1 if unreadable. */
static int rows_in(int st)
{
	static struct xtcp_row rows[MAX_ROWS];
	int i, n = xtcp_read_rows(XTCP_PROC, rows, MAX_ROWS), found = 0;

	for (i = 0; i < n && i < MAX_ROWS; i++)
		found += rows[i].st == (unsigned int)st;
	return n < 0 ? n : found;
}

/* One edge of /proc/net/xtcp_trans, or -1. */
static long trans_count(const char *from, const char *to)
{
	FILE *f = fopen("/proc/net/xtcp_trans", "r");
	char a[32], b[32];
	long v, found = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%31s %31s %ld", a, b, &v) == 3)
		if (!strcmp(a, from) && !strcmp(b, to))
			found = v;
	fclose(f);
	return found;
}

/* Accept the listener's next connection within @ms; -1 on timeout. */
static int accept_within(int lfd, int ms)
{
	if (!(wait_revents(lfd, POLLIN, ms) & POLLIN)) {
		errno = ETIMEDOUT;
		return -1;
	}
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

/* @len bytes of stream @id from @a to @b, checked byte for byte; 0 or -1. */
static int one_way(int a, int b, unsigned int id, size_t len)
{
	static unsigned char out[1 << 16], in[1 << 16];

	if (len > sizeof(out))
		return -1;
	pat_fill(out, len, id, 0);
	if (send_all(a, out, len) || recv_exact(b, in, len, WAIT_MS))
		return -1;
	return memcmp(in, out, len) ? -1 : 0;
}

/* ---- fixture ---- */

FIXTURE(fl)
{
	int lfd;			/* the listener, or -1 */
	struct sockaddr_in addr;	/* its address */
	int raw;			/* scripted peer, or -1 */
};

FIXTURE_SETUP(fl)
{
	self->lfd = -1;
	self->raw = -1;
	signal(SIGPIPE, SIG_IGN);
	ASSERT_STREQ("", xtcp_fresh_netns());
	ASSERT_EQ(1, xtcp_sysctl_get("syncookies"))
		TH_LOG("net.xtcp.syncookies: not there, or not 1 by default");
	ASSERT_EQ(0, xtcp_counter("SyncookiesSent"));
	ASSERT_EQ(0, xtcp_counter("SyncookiesRecv"));
	ASSERT_EQ(0, xtcp_counter("SyncookiesFailed"));
}

FIXTURE_TEARDOWN(fl)
{
	close_fd(&self->lfd);
	close_fd(&self->raw);
	xtcp_fault_cmd("clear");
	EXPECT_TRUE(xtcp_ns_drain(WAIT_MS));
}

static void listen_on(struct __test_metadata *_metadata, FIXTURE_DATA(fl) * self,
		      int backlog)
{
	self->lfd = stream_listener(true, backlog, &self->addr);
	ASSERT_LE(0, self->lfd) TH_LOG("listener: %s", strerror(errno));
	ASSERT_EQ(0, fcntl(self->lfd, F_SETFL, O_NONBLOCK));
}

static void raw_start(struct __test_metadata *_metadata, FIXTURE_DATA(fl) * self)
{
	self->raw = raw_open();
	ASSERT_LE(0, self->raw) TH_LOG("raw socket: %s", strerror(errno));
}

/* ===================================================================== */
/* syncookies=2: every connection from a cookie                          */
/* ===================================================================== */

#define ALWAYS_CONNS	50
#define ALWAYS_BYTES	60000

TEST_F_TIMEOUT(fl, always_every_connection_by_cookie, 600)
{
	int i, cli, srv, syn_rcvd_seen = 0;

	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 2));
	listen_on(_metadata, self, 8);
	for (i = 0; i < ALWAYS_CONNS; i++) {
		cli = stream_connect(true, &self->addr);
		ASSERT_LE(0, cli) TH_LOG("connection %d: connect: %s", i, strerror(errno));
		srv = accept_within(self->lfd, WAIT_MS);
		ASSERT_LE(0, srv) TH_LOG("connection %d: accept: %s", i, strerror(errno));
		/* never a request: nothing in SYN_RCVD */
		syn_rcvd_seen += rows_in(XTCP_SYN_RECV) != 0;
		EXPECT_EQ(XTCP_ESTABLISHED, stream_state(true, srv));
		EXPECT_EQ(0, one_way(cli, srv, 2 * i, ALWAYS_BYTES))
			TH_LOG("connection %d: client to server", i);
		EXPECT_EQ(0, one_way(srv, cli, 2 * i + 1, ALWAYS_BYTES))
			TH_LOG("connection %d: server to client", i);
		close(cli);
		close(srv);
	}
	EXPECT_EQ(0, syn_rcvd_seen);
	EXPECT_EQ(ALWAYS_CONNS, xtcp_counter("SyncookiesSent"));
	EXPECT_EQ(ALWAYS_CONNS, xtcp_counter("SyncookiesRecv"));
	EXPECT_EQ(0, xtcp_counter("SyncookiesFailed"));
	EXPECT_EQ(ALWAYS_CONNS, xtcp_counter("PassiveOpens"));
	EXPECT_EQ(0, xtcp_counter("SynQueueDrops"));
	/* as a request's would: LISTEN -> SYN_RCVD -> ESTABLISHED */
	EXPECT_EQ(ALWAYS_CONNS, trans_count("LISTEN", "SYN_RCVD"));
	EXPECT_EQ(ALWAYS_CONNS, trans_count("SYN_RCVD", "ESTABLISHED"));
	EXPECT_EQ(0, trans_count("SYN_RCVD", "CLOSED"));
}

/* ===================================================================== */
/* the MSS and window scale a cookie carries                             */
/* ===================================================================== */

#define HONOR_BYTES	20000

TEST_F_TIMEOUT(fl, cookie_mss_and_wscale_honored, 300)
{
	static unsigned char out[HONOR_BYTES];
	struct peer p = { .sport = 40111, .mss = 1450, .wscale = 2, .window = 1000 };
	const u32 isn = 0x7ffffff0;	/* data crosses 2^31 */
	u32 cookie, una, high, rcv_nxt;
	struct rseg s;
	int srv = -1, segs = 0, rounds = 0;
	char got[100];

	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 2));
	listen_on(_metadata, self, 8);
	p.dport = ntohs(self->addr.sin_port);
	raw_start(_metadata, self);
	/* the kernel answers the peer's port (no socket there) with RSTs */
	ASSERT_EQ(0, peer_quiet_rsts(p.sport));

	ASSERT_EQ(0, peer_syn(self->raw, &p, isn, &s));
	cookie = s.h.seq;
	EXPECT_EQ(1, xtcp_counter("SyncookiesSent"));
	/* the ACK: a window of 1000 << 2 = 4000 bytes */
	ASSERT_EQ(0, inject(self->raw, &p, isn + 1, cookie + 1, XTCP_ACK, NULL, 0));
	srv = accept_within(self->lfd, WAIT_MS);
	ASSERT_LE(0, srv) TH_LOG("accept: %s", strerror(errno));
	EXPECT_EQ(1, xtcp_counter("SyncookiesRecv"));

	/* our data reaches the child */
	pat_fill(out, 100, 7, 0);
	ASSERT_EQ(0, inject(self->raw, &p, isn + 1, cookie + 1, XTCP_ACK | XTCP_PSH,
			    out, 100));
	ASSERT_EQ(0, recv_exact(srv, got, 100, WAIT_MS));
	EXPECT_EQ(0, memcmp(got, out, 100));

	/*
	 * The child's first flight: segments of 1440 (the entry for 1450),
	 * as many as fit 4000 bytes: two.  Without the scale it would be
	 * one (1000 bytes); with ours (7), three (the congestion window).
	 * It is over when the first one comes again (the timer), so no
	 * clock decides.
	 */
	pat_fill(out, sizeof(out), 8, 0);
	ASSERT_EQ(0, send_all(srv, out, sizeof(out)));
	una = cookie + 1;
	high = una;
	for (;;) {
		ASSERT_EQ(1, raw_next(self->raw, p.dport, p.sport, &s, WAIT_MS))
			TH_LOG("no segment from the child");
		if (!s.len)
			continue;	/* the ACK of our data */
		if (xtcp_seq_before(s.h.seq, high))
			break;		/* the timer's resend: the flight is over */
		EXPECT_EQ(high, s.h.seq);
		EXPECT_EQ(1440, s.len);
		high = s.h.seq + s.len;
		ASSERT_GT(20, ++segs);
	}
	EXPECT_EQ(2, segs);
	EXPECT_EQ(2880, high - una);

	/*
	 * Then all of it, read in order and acknowledged as it comes, from
	 * the resent first segment on, with a window of 16000 << 2.
	 */
	EXPECT_EQ(una, s.h.seq);
	p.window = 16000;
	rcv_nxt = una;
	for (;;) {
		if (s.len && s.h.seq == rcv_nxt) {
			EXPECT_GE(1440, s.len);
			ASSERT_EQ(-1, pat_check(s.data, s.len, 8, rcv_nxt - una))
				TH_LOG("bad byte in the segment at %u", rcv_nxt - una);
			rcv_nxt += s.len;
			ASSERT_EQ(0, inject(self->raw, &p, isn + 101, rcv_nxt,
					    XTCP_ACK, NULL, 0));
		}
		if (rcv_nxt == una + HONOR_BYTES)
			break;
		ASSERT_GT(10000, ++rounds);
		ASSERT_EQ(1, raw_next(self->raw, p.dport, p.sport, &s, WAIT_MS))
			TH_LOG("stalled at %u of %u bytes", rcv_nxt - una, HONOR_BYTES);
	}
	EXPECT_EQ(1, xtcp_counter("PassiveOpens"));
	EXPECT_EQ(0, xtcp_counter("SyncookiesFailed"));
	/* done: reset it from the peer's side */
	ASSERT_EQ(0, xtcp_fault_cmd("clear"));
	ASSERT_EQ(0, inject(self->raw, &p, isn + 101, 0, XTCP_RST, NULL, 0));
	close(srv);
}

/* ===================================================================== */
/* forged cookie ACKs                                                    */
/* ===================================================================== */

/*
 * Send @p's ACK (@seq, @ack); expect an RST from the listener with
 * sequence number @ack, and no connection.
 */
static void refused(struct __test_metadata *_metadata, FIXTURE_DATA(fl) * self,
		    const struct peer *p, u32 seq, u32 ack, const char *what)
{
	struct rseg s;

	ASSERT_EQ(0, inject(self->raw, p, seq, ack, XTCP_ACK, NULL, 0));
	ASSERT_EQ(1, raw_next(self->raw, p->dport, p->sport, &s, WAIT_MS))
		TH_LOG("%s: no answer", what);
	EXPECT_EQ(XTCP_RST, s.h.flags) TH_LOG("%s", what);
	EXPECT_EQ(ack, s.h.seq) TH_LOG("%s", what);
	EXPECT_EQ(-1, accept(self->lfd, NULL, NULL)) TH_LOG("%s", what);
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, xtcp_counter("PassiveOpens")) TH_LOG("%s", what);
	EXPECT_EQ(0, rows_in(XTCP_ESTABLISHED)) TH_LOG("%s", what);
}

TEST_F_TIMEOUT(fl, forged_cookie_ack_refused, 300)
{
	struct peer p = { .sport = 40222, .mss = 1420, .wscale = 7, .window = 500 };
	struct peer other;
	const u32 isn = 123456789;
	struct rseg s;
	u32 cookie;
	int srv;

	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 2));
	listen_on(_metadata, self, 8);
	p.dport = ntohs(self->addr.sin_port);
	raw_start(_metadata, self);
	ASSERT_EQ(0, peer_syn(self->raw, &p, isn, &s));
	cookie = s.h.seq;

	refused(_metadata, self, &p, isn + 1, cookie + 2, "acknowledgment + 1");
	EXPECT_EQ(1, xtcp_counter("SyncookiesFailed"));
	refused(_metadata, self, &p, isn + 1, cookie, "acknowledgment - 1");
	EXPECT_EQ(2, xtcp_counter("SyncookiesFailed"));
	refused(_metadata, self, &p, isn + 1, cookie + 1 + (1u << 22), "a field bit");
	EXPECT_EQ(3, xtcp_counter("SyncookiesFailed"));
	refused(_metadata, self, &p, isn + 2, cookie + 1, "sequence number + 1");
	EXPECT_EQ(4, xtcp_counter("SyncookiesFailed"));
	other = p;
	other.sport++;
	refused(_metadata, self, &other, isn + 1, cookie + 1, "another port");
	EXPECT_EQ(5, xtcp_counter("SyncookiesFailed"));
	/* switched off, even a good cookie is not one: refused, not checked */
	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 0));
	refused(_metadata, self, &p, isn + 1, cookie + 1, "cookies off");
	EXPECT_EQ(5, xtcp_counter("SyncookiesFailed"));
	EXPECT_EQ(0, xtcp_counter("SyncookiesRecv"));
	EXPECT_EQ(1, xtcp_counter("CurrSockets"));	/* the listener */

	/* the real one, cookies on again: the connection */
	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 2));
	ASSERT_EQ(0, inject(self->raw, &p, isn + 1, cookie + 1, XTCP_ACK, NULL, 0));
	srv = accept_within(self->lfd, WAIT_MS);
	ASSERT_LE(0, srv) TH_LOG("the valid cookie made no connection");
	EXPECT_EQ(1, xtcp_counter("SyncookiesRecv"));
	EXPECT_EQ(5, xtcp_counter("SyncookiesFailed"));
	EXPECT_EQ(1, xtcp_counter("PassiveOpens"));
	ASSERT_EQ(0, inject(self->raw, &p, isn + 1, 0, XTCP_RST, NULL, 0));
	close(srv);
}

/* ===================================================================== */
/* syncookies=1: only beyond a full SYN queue                            */
/* ===================================================================== */

/*
 * A SYN queue of two: the third SYN gets a cookie.  The clients' final
 * ACKs are lost; their first data completes the handshakes, the third's
 * from its cookie.
 */
TEST_F_TIMEOUT(fl, cookie_when_syn_queue_full, 300)
{
	int c[3], s[3], i;
	char ch;

	ASSERT_EQ(0, xtcp_sysctl_set("max_syn_backlog", 2));
	listen_on(_metadata, self, 64);
	ASSERT_EQ(0, xtcp_fault_cmd("add dir=out flags=ack"));
	for (i = 0; i < 3; i++) {
		c[i] = stream_socket(true, O_NONBLOCK);
		ASSERT_LE(0, c[i]);
		connect(c[i], (struct sockaddr *)&self->addr, sizeof(self->addr));
		ASSERT_TRUE(wait_revents(c[i], POLLOUT, WAIT_MS) & POLLOUT);
		EXPECT_EQ(XTCP_ESTABLISHED, stream_state(true, c[i]));
	}
	EXPECT_EQ(1, xtcp_counter("SyncookiesSent"));
	EXPECT_EQ(0, xtcp_counter("SynQueueDrops"));
	EXPECT_EQ(2, rows_in(XTCP_SYN_RECV));
	EXPECT_EQ(-1, accept(self->lfd, NULL, NULL));

	ASSERT_EQ(0, xtcp_fault_cmd("clear"));
	for (i = 0; i < 3; i++) {
		ch = 'a' + i;
		ASSERT_EQ(1, send(c[i], &ch, 1, 0));
	}
	for (i = 0; i < 3; i++) {
		s[i] = accept_within(self->lfd, WAIT_MS);
		ASSERT_LE(0, s[i]) TH_LOG("connection %d: %s", i, strerror(errno));
		ASSERT_EQ(0, recv_exact(s[i], &ch, 1, WAIT_MS));
		EXPECT_TRUE(ch >= 'a' && ch <= 'c');
	}
	EXPECT_EQ(1, xtcp_counter("SyncookiesRecv"));
	EXPECT_EQ(0, xtcp_counter("SyncookiesFailed"));
	EXPECT_EQ(3, xtcp_counter("PassiveOpens"));
	for (i = 0; i < 3; i++) {
		close(c[i]);
		close(s[i]);
	}
}

/*
 * A valid cookie ACK meeting a full accept queue is dropped and counted;
 * the same ACK again, once there is room, makes the connection.
 */
TEST_F_TIMEOUT(fl, cookie_ack_meets_full_accept_queue, 300)
{
	struct peer p = { .sport = 40333, .mss = 1460, .wscale = -1, .window = 8000 };
	const u32 isn = 0xfffffff0;
	struct sockaddr_in peer;
	int a, a_srv, b_srv;
	struct rseg s;
	u32 cookie;

	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 2));
	listen_on(_metadata, self, 0);	/* room for one */
	p.dport = ntohs(self->addr.sin_port);
	raw_start(_metadata, self);
	ASSERT_EQ(0, peer_syn(self->raw, &p, isn, &s));
	cookie = s.h.seq;
	/* A takes the one place */
	a = stream_connect(true, &self->addr);
	ASSERT_LE(0, a);
	ASSERT_TRUE(wait_revents(self->lfd, POLLIN, WAIT_MS) & POLLIN);

	ASSERT_EQ(0, inject(self->raw, &p, isn + 1, cookie + 1, XTCP_ACK, NULL, 0));
	EXPECT_EQ(1, xtcp_wait_counter("AcceptQueueDrops", 1, false, WAIT_MS));
	EXPECT_EQ(2, xtcp_counter("SyncookiesRecv"));	/* A's and this one */
	EXPECT_EQ(1, xtcp_counter("PassiveOpens"));

	a_srv = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, a_srv);
	EXPECT_EQ(-1, accept(self->lfd, NULL, NULL));
	ASSERT_EQ(0, inject(self->raw, &p, isn + 1, cookie + 1, XTCP_ACK, NULL, 0));
	b_srv = accept_within(self->lfd, WAIT_MS);
	ASSERT_LE(0, b_srv) TH_LOG("the ACK again made no connection");
	ASSERT_EQ(0, peer_name(b_srv, &peer));
	EXPECT_EQ(p.sport, ntohs(peer.sin_port));
	EXPECT_EQ(3, xtcp_counter("SyncookiesRecv"));
	EXPECT_EQ(2, xtcp_counter("PassiveOpens"));
	EXPECT_EQ(0, xtcp_counter("SyncookiesFailed"));
	ASSERT_EQ(0, inject(self->raw, &p, isn + 1, 0, XTCP_RST, NULL, 0));
	close(b_srv);
	close(a_srv);
	close(a);
}

/* ===================================================================== */
/* the spoofed SYN flood, TCP beside xtcp                                */
/* ===================================================================== */

#define FLOOD_ADDR	0x0a630001	/* 10.99.0.1, the listeners */
#define FLOOD_NET	0xc6120000	/* 198.18.0.0/15: replies vanish */
#define FLOOD_RATE	500		/* spoofed SYNs a second, each listener */
#define FLOOD_PREFILL	600		/* SYNs each before the clients start */
#define FLOOD_PER_CONN	25		/* SYNs each per legitimate connection */
#define FLOOD_MAX	(FLOOD_RATE * 300)	/* bound of any flood */
#define XPORT		7401
#define TPORT		7402
#define LEGIT_BYTES	1000

/**
 * struct flood - the spoofing thread's orders and results
 * @raw: IPPROTO_RAW socket (we write the IP header)
 * @tcp: also flood the TCP listener
 * @stop: set by the main thread: stop now
 * @allowed: rounds (a SYN to each listener) the thread may send so far
 * @rounds: rounds it sent
 * @xtcp_sent: spoofed SYNs sent to the xtcp listener
 * @tcp_sent: to the TCP listener
 * @errors: sendto() failures
 */
struct flood {
	int raw;
	bool tcp;
	atomic_int stop;
	atomic_long allowed, rounds, xtcp_sent, tcp_sent;
	long errors;
};

static u32 flood_rand(u64 *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 7;
	*st ^= *st << 17;
	return (u32)(*st >> 16);
}

/* One spoofed SYN @src:@sport -> FLOOD_ADDR:@dport over IP protocol @proto. */
static int spoof_syn(int raw, int proto, u32 src, u16 sport, u16 dport, u32 isn)
{
	struct sockaddr_in dst = sin_of(FLOOD_ADDR, 0);
	u8 pkt[20 + 24] = { 0 };
	u8 *th = pkt + 20;
	u16 sum;

	pkt[0] = 0x45;
	pkt[3] = sizeof(pkt);
	pkt[8] = 64;
	pkt[9] = proto;
	src = htonl(src);
	memcpy(pkt + 12, &src, 4);
	memcpy(pkt + 16, &dst.sin_addr.s_addr, 4);
	src = ntohl(src);
	if (proto == IPPROTO_TCP) {
		th[0] = sport >> 8;
		th[1] = sport & 0xff;
		th[2] = dport >> 8;
		th[3] = dport & 0xff;
		th[4] = isn >> 24;
		th[5] = isn >> 16;
		th[6] = isn >> 8;
		th[7] = isn;
		th[12] = 6 << 4;	/* 24 bytes: MSS option */
		th[13] = 0x02;		/* SYN */
		th[14] = 0xff;
		th[15] = 0xff;
		th[20] = 2;
		th[21] = 4;
		th[22] = 1460 >> 8;
		th[23] = 1460 & 0xff;
	} else {
		struct xtcp_seg h = {
			.sport = sport, .dport = dport, .seq = isn,
			.flags = XTCP_SYN, .window = 65535, .mss = 1420,
		};

		if (xtcp_build(th, 24, &h) != 24)
			return -1;
	}
	sum = xtcp_csum_segment(src, FLOOD_ADDR, proto, th, 24);
	th[16] = sum >> 8;
	th[17] = sum & 0xff;
	return sendto(raw, pkt, sizeof(pkt), 0, (struct sockaddr *)&dst,
		      sizeof(dst)) == sizeof(pkt) ? 0 : -1;
}

/*
 * FLOOD_RATE SYNs a second to each listener, each from another address
 * of 198.18.0.0/15 and port, as many rounds as @allowed says (the main
 * thread raises it as its clients go on), until told to stop or after
 * FLOOD_MAX.  The pace follows the clock but never catches up in bursts:
 * on a slow machine the flood is only slower; its size is counted.
 */
static void *flood_run(void *arg)
{
	struct flood *f = arg;
	u64 st = 0x2545f4914f6cdd1dull;
	struct timespec next;
	long i;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (i = 0; i < FLOOD_MAX && !atomic_load(&f->stop); i++) {
		u32 src = FLOOD_NET + 1 + (u32)(i % 131000);
		u16 sport = 1024 + flood_rand(&st) % 60000;
		struct timespec now;
		long long late;

		while (i >= atomic_load(&f->allowed) && !atomic_load(&f->stop))
			usleep(1000);
		if (atomic_load(&f->stop))
			break;

		if (spoof_syn(f->raw, xtcp_proto(), src, sport, XPORT, flood_rand(&st)))
			f->errors++;
		else
			atomic_fetch_add(&f->xtcp_sent, 1);
		if (f->tcp) {
			if (spoof_syn(f->raw, IPPROTO_TCP, src, sport, TPORT,
				      flood_rand(&st)))
				f->errors++;
			else
				atomic_fetch_add(&f->tcp_sent, 1);
		}
		atomic_store(&f->rounds, i + 1);
		next.tv_nsec += 1000000000 / FLOOD_RATE;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		late = (now.tv_sec - next.tv_sec) * 1000000000LL + now.tv_nsec - next.tv_nsec;
		if (late > 10000000)
			next = now;	/* behind: no burst to catch up */
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	return NULL;
}

/* Let the flood go on to @rounds, and wait until it is there; 0 or -1. */
static int flood_until(struct flood *f, long rounds)
{
	long long end = now_ms() + 4 * WAIT_MS;

	atomic_store(&f->allowed, rounds);
	while (atomic_load(&f->rounds) < rounds) {
		if (now_ms() > end)
			return -1;
		usleep(2000);
	}
	return 0;
}

/* A listener of either kind on FLOOD_ADDR:@port. */
static int flood_listener(bool xtcp, u16 port)
{
	struct sockaddr_in a = sin_of(FLOOD_ADDR, port);
	int fd = stream_socket(xtcp, SOCK_CLOEXEC), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 128) ||
	    fcntl(fd, F_SETFL, O_NONBLOCK)) {
		close_keep_errno(fd);
		return -1;
	}
	return fd;
}

/*
 * One legitimate connection to @port, accepted on @lfd, data both ways;
 * true if all of it worked.  @syncnt bounds connect().
 */
static bool legit_conn(bool xtcp, int lfd, u16 port, int syncnt, unsigned int id)
{
	struct sockaddr_in a = sin_of(FLOOD_ADDR, port);
	int cli = stream_socket(xtcp, SOCK_CLOEXEC), srv = -1;
	bool ok = false;

	if (cli < 0)
		return false;
	if (set_int(cli, xtcp ? xtcp_proto() : IPPROTO_TCP,
		    xtcp ? XTCP_SYNCNT : TCP_SYNCNT, syncnt))
		goto out;
	if (connect(cli, (struct sockaddr *)&a, sizeof(a)))
		goto out;
	srv = accept_within(lfd, WAIT_MS);
	if (srv < 0)
		goto out;
	ok = !one_way(cli, srv, id, LEGIT_BYTES) &&
	     !one_way(srv, cli, id + 1, LEGIT_BYTES);
out:
	close_fd(&srv);
	close(cli);
	return ok;
}

FIXTURE(flood)
{
	int xl, tl;			/* the listeners, or -1 */
	struct flood f;
	pthread_t th;
	bool running;
};

FIXTURE_VARIANT(flood)
{
	int syncookies;		/* net.xtcp.syncookies */
	int legit;		/* legitimate connections to each listener */
};

/* Debian's default, TCP's too: cookies once the SYN queue is full. */
FIXTURE_VARIANT_ADD(flood, cookies_on)
{
	.syncookies = 1,
	.legit = 200,
};

/* Cookies off: the same flood leaves legitimate SYNs no room. */
FIXTURE_VARIANT_ADD(flood, cookies_off)
{
	.syncookies = 0,
	.legit = 10,
};

FIXTURE_SETUP(flood)
{
	self->xl = -1;
	self->tl = -1;
	self->f.raw = -1;
	self->running = false;
	signal(SIGPIPE, SIG_IGN);
	ASSERT_STREQ("", xtcp_fresh_netns());
	/*
	 * 198.18.0.0/15 goes to 10.99.0.2 on a veth whose far end drops
	 * it: the neighbour's address is nobody's, so every frame is for
	 * another host.  SYN+ACKs to spoofed sources vanish, as on a real
	 * network, and no ICMP comes back.
	 */
	ASSERT_EQ(0, xtcp_sh("ip link add xfl0 type veth peer name xfl1"))
		TH_LOG("cannot make a veth pair (veth module?)");
	ASSERT_EQ(0, xtcp_sh("ip addr add 10.99.0.1/24 dev xfl0"));
	ASSERT_EQ(0, xtcp_sh("ip link set xfl0 up && ip link set xfl1 up"));
	ASSERT_EQ(0, xtcp_sh("ip neigh replace 10.99.0.2 dev xfl0 lladdr %s nud perm",
			     "02:00:00:00:99:02"));
	ASSERT_EQ(0, xtcp_sh("ip route add 198.18.0.0/15 via 10.99.0.2 dev xfl0"));
	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", variant->syncookies));
	self->f.raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	ASSERT_LE(0, self->f.raw) TH_LOG("raw socket: %s", strerror(errno));
	self->f.tcp = variant->syncookies != 0;
	atomic_init(&self->f.stop, 0);
	atomic_init(&self->f.allowed, 0);
	atomic_init(&self->f.rounds, 0);
	atomic_init(&self->f.xtcp_sent, 0);
	atomic_init(&self->f.tcp_sent, 0);
	self->xl = flood_listener(true, XPORT);
	ASSERT_LE(0, self->xl) TH_LOG("xtcp listener: %s", strerror(errno));
	self->tl = flood_listener(false, TPORT);
	ASSERT_LE(0, self->tl) TH_LOG("TCP listener: %s", strerror(errno));
}

FIXTURE_TEARDOWN(flood)
{
	if (self->running) {
		atomic_store(&self->f.stop, 1);
		pthread_join(self->th, NULL);
	}
	close_fd(&self->xl);
	close_fd(&self->tl);
	close_fd(&self->f.raw);
	EXPECT_TRUE(xtcp_ns_drain(WAIT_MS));
}

/*
 * Start the flood; return after FLOOD_PREFILL rounds, once the xtcp
 * listener's SYN queue is full.
 */
static void flood_start(struct __test_metadata *_metadata, FIXTURE_DATA(flood) * self,
			const char *full_counter)
{
	ASSERT_EQ(0, pthread_create(&self->th, NULL, flood_run, &self->f));
	self->running = true;
	ASSERT_EQ(0, flood_until(&self->f, FLOOD_PREFILL))
		TH_LOG("the flood is stuck at %ld rounds", atomic_load(&self->f.rounds));
	ASSERT_LT(0, xtcp_wait_counter(full_counter, 1, false, WAIT_MS))
		TH_LOG("the flood did not fill the SYN queue (%ld SYNs sent)",
		       atomic_load(&self->f.xtcp_sent));
}

static void flood_stop(FIXTURE_DATA(flood) * self)
{
	atomic_store(&self->f.stop, 1);
	pthread_join(self->th, NULL);
	self->running = false;
}

TEST_F_TIMEOUT(flood, legit_connections, 1500)
{
	int n = variant->legit, i, x_ok = 0, x_fail = 0, t_ok = 0, t_fail = 0;
	long x_cookies, t_cookies0 = tcpext("SyncookiesRecv");
	long t_sent0 = tcpext("SyncookiesSent");

	if (!variant->syncookies) {
		int c[16], done = 0;

		ASSERT_GE(16, n);
		flood_start(_metadata, self, "SynQueueDrops");
		atomic_store(&self->f.allowed, FLOOD_MAX);	/* until stopped */
		/* all at once, each giving up after 1 + 2 SYN retries */
		for (i = 0; i < n; i++) {
			struct sockaddr_in a = sin_of(FLOOD_ADDR, XPORT);

			c[i] = stream_socket(true, O_NONBLOCK | SOCK_CLOEXEC);
			ASSERT_LE(0, c[i]);
			ASSERT_EQ(0, set_int(c[i], xtcp_proto(), XTCP_SYNCNT, 2));
			ASSERT_EQ(-1, connect(c[i], (struct sockaddr *)&a, sizeof(a)));
			ASSERT_EQ(EINPROGRESS, errno);
		}
		for (i = 0; i < n; i++) {
			int ev = wait_revents(c[i], POLLOUT, 4 * WAIT_MS);

			done += !!ev;
			if (ev && !get_int(c[i], SOL_SOCKET, SO_ERROR) &&
			    stream_state(true, c[i]) == XTCP_ESTABLISHED)
				x_ok++;
			close(c[i]);
		}
		flood_stop(self);
		TH_LOG("syncookies=0: %d of %d connections made under %ld spoofed SYNs; "
		       "SynQueueDrops %ld", x_ok, n, atomic_load(&self->f.xtcp_sent),
		       xtcp_counter("SynQueueDrops"));
		EXPECT_EQ(n, done);
		/* the flood holds the queue: (almost) nobody gets in */
		EXPECT_GE(1, x_ok);
		EXPECT_EQ(0, xtcp_counter("SyncookiesSent"));
		return;
	}

	/*
	 * FLOOD_PER_CONN more rounds of the flood before each connection
	 * pair: the connections are spread over the whole flood, however
	 * fast either side runs.
	 */
	flood_start(_metadata, self, "SyncookiesSent");
	/* XTCP_LOAD_PERCENT (the debug lane's 5) scales them, down to 50 */
	n = xtcp_scaled_min(n, 50);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, flood_until(&self->f, FLOOD_PREFILL + (i + 1) * FLOOD_PER_CONN))
			TH_LOG("the flood is stuck at %ld rounds",
			       atomic_load(&self->f.rounds));
		if (x_fail <= n / 100 + 3) {
			if (legit_conn(true, self->xl, XPORT, 4, 4 * i))
				x_ok++;
			else
				x_fail++;
		}
		if (t_fail <= n / 10 + 3) {
			if (legit_conn(false, self->tl, TPORT, 4, 4 * i + 2))
				t_ok++;
			else
				t_fail++;
		}
	}
	flood_stop(self);
	x_cookies = xtcp_counter("SyncookiesRecv");
	TH_LOG("spoofed SYNs: %ld to xtcp, %ld to TCP (at most %d/s each), %ld send errors",
	       atomic_load(&self->f.xtcp_sent), atomic_load(&self->f.tcp_sent),
	       FLOOD_RATE, self->f.errors);
	TH_LOG("xtcp: %d of %d legitimate connections (%.1f %%)", x_ok, n, 100.0 * x_ok / n);
	TH_LOG("xtcp: SyncookiesSent %ld Recv %ld Failed %ld, SynQueueDrops %ld",
	       xtcp_counter("SyncookiesSent"), x_cookies,
	       xtcp_counter("SyncookiesFailed"), xtcp_counter("SynQueueDrops"));
	TH_LOG("TCP:  %d of %d legitimate connections (%.1f %%)", t_ok, n, 100.0 * t_ok / n);
	TH_LOG("TCP:  SyncookiesSent %ld Recv %ld (tcp_syncookies %d; -1: a kernel without)",
	       tcpext("SyncookiesSent") - t_sent0, tcpext("SyncookiesRecv") - t_cookies0,
	       read_int_file("/proc/sys/net/ipv4/tcp_syncookies", -1));
	EXPECT_LE(99 * n, 100 * x_ok);
	EXPECT_EQ(FLOOD_PREFILL + n * FLOOD_PER_CONN, atomic_load(&self->f.xtcp_sent));
	/* the connections were made by cookie: the flood held the queue */
	EXPECT_LE(n / 2, x_cookies);
	EXPECT_EQ(0, xtcp_counter("SynQueueDrops"));
}

TEST_HARNESS_MAIN
