// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp selftests: a raw-socket fuzzer.  Random and mutated xtcp segments are
 * sent at listening, connecting, established and closing sockets while
 * checked connections run beside them and their data is verified.
 *
 * A raw IP socket of xtcp's protocol sees a copy of every segment that
 * loopback delivers; the fuzzer keeps the latest ones and mutates them
 * (sequence and acknowledgment numbers moved a little or a lot, flags
 * replaced, bits flipped, segments cut short, options garbled, payload
 * added), so many of its segments carry numbers inside a live connection's
 * window.  Others are made up from nothing or are plain junk.  They leave
 * through a second raw socket with IP_HDRINCL, from 127.0.0.1 or another
 * loopback address.
 *
 * The victims may be reset, stall or see injected bytes: that is what a
 * valid in-window segment does to TCP too.  The checked connections must not
 * notice anything: every segment the fuzzer addresses to one of their ports
 * (as source or destination, so that no reply it provokes can reach them
 * either) goes out with a wrong checksum, which xtcp must count and drop
 * before it reads anything else.
 *
 * Each variant picks the victims; all of them run the same loop for
 * $XTCP_FUZZ_SECONDS (default 6) or XTCP_FUZZ_MAX segments, whichever ends
 * first, in a network namespace of its own.  At the end every socket is
 * closed and the namespace must drain to no connections at all.  On the
 * debug kernel (KASAN, lockdep, kmemleak), the VM runner's log check is
 * the rest of the verdict.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/ip.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "module/core.h"
#include "xtcp_util.h"

#define FAULT_PROC	"/proc/net/xtcp_fault"
#define XTCP_FUZZ_MAX	200000
#define RING		128
#define MAX_SEG		1600
#define N_CHECKED	3
#define N_VICTIMS	3
#define FUZZ_IP_ID	0x5854

/* ---- a small, seedable PRNG (xorshift64*) ---- */

static u64 rng_state;

static u64 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static u32 below(u32 n)
{
	return n ? rnd() % n : 0;
}

/* ---- byte pumps: checked and victim connections ---- */

/* The byte at offset @off of stream @id: a pattern nothing else produces. */
static u8 pat(unsigned int id, u64 off)
{
	return (u8)(off * 131 + (off >> 9) * 7 + id * 29 + 1);
}

/**
 * struct pump - one connection, both directions, run by one thread
 * @fd: the two ends
 * @id: pattern seed
 * @checked: verify the bytes and require a clean end
 * @stop: set by the test (atomically): victims stop; checked connections
 *	shut down their sending sides and run until both ends saw EOF
 * @sent: bytes sent by each end
 * @rcvd: bytes received by each end
 * @eof: each end saw EOF
 * @bad_data: first offset where the data was wrong, or -1
 * @err: first unexpected errno (checked: any; victims: outside the list)
 * @lports: local ports of the two ends, host order
 */
struct pump {
	int fd[2];
	unsigned int id;
	bool checked;
	bool stop;
	u64 sent[2], rcvd[2];
	bool eof[2];
	long long bad_data;
	int err;
	u16 lports[2];
};

/* What a victim may see from the fuzzer's segments. */
static bool victim_errno(int e)
{
	return e == ECONNRESET || e == EPIPE || e == ETIMEDOUT ||
	       e == ECONNREFUSED || e == ENOTCONN;
}

static void pump_err(struct pump *p, int e)
{
	if (!p->err && (p->checked || !victim_errno(e)))
		p->err = e;
}

/* One end's turn to receive: take what is there, check it if asked. */
static void pump_rx(struct pump *p, int i, bool *dead)
{
	u8 buf[16384];
	ssize_t n = recv(p->fd[i], buf, sizeof(buf), MSG_DONTWAIT);
	ssize_t k;

	if (n < 0) {
		if (errno != EAGAIN) {
			pump_err(p, errno);
			*dead = true;
		}
		return;
	}
	if (n == 0) {
		p->eof[i] = true;
		return;
	}
	for (k = 0; p->checked && p->bad_data < 0 && k < n; k++)
		if (buf[k] != pat(p->id * 2 + !i, p->rcvd[i] + k))
			p->bad_data = p->rcvd[i] + k;
	p->rcvd[i] += n;
}

/* One end's turn to send: the next piece of its pattern. */
static void pump_tx(struct pump *p, int i, bool *dead)
{
	u8 buf[16384];
	u64 want = sizeof(buf), k;
	ssize_t n;

	for (k = 0; k < want; k++)
		buf[k] = pat(p->id * 2 + i, p->sent[i] + k);
	n = send(p->fd[i], buf, want, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n > 0) {
		p->sent[i] += n;
	} else if (n < 0 && errno != EAGAIN) {
		pump_err(p, errno);
		*dead = true;
	}
}

static void *pump_run(void *arg)
{
	struct pump *p = arg;
	bool done_tx[2] = { false, false }, dead[2] = { false, false };
	long long deadline = 0;
	int i;

	for (;;) {
		struct pollfd pfd[2];

		if (__atomic_load_n(&p->stop, __ATOMIC_RELAXED) && !deadline) {
			if (!p->checked)
				break;
			deadline = now_ms() + 120000;
			for (i = 0; i < 2; i++) {
				if (shutdown(p->fd[i], SHUT_WR))
					pump_err(p, errno);
				done_tx[i] = true;
			}
		}
		if (deadline && now_ms() > deadline) {
			pump_err(p, ETIME);
			break;
		}
		if ((p->eof[0] || dead[0]) && (p->eof[1] || dead[1]))
			break;
		for (i = 0; i < 2; i++) {
			pfd[i].fd = dead[i] ? -1 : p->fd[i];
			pfd[i].events = POLLIN | (done_tx[i] ? 0 : POLLOUT);
		}
		/* Victims trickle, so that the fuzzer gets the CPU. */
		if (!p->checked)
			usleep(2000);
		if (poll(pfd, 2, 200) < 0) {
			pump_err(p, errno);
			break;
		}
		for (i = 0; i < 2; i++) {
			if (!dead[i] && (pfd[i].revents & POLLIN))
				pump_rx(p, i, &dead[i]);
			if (!dead[i] && !done_tx[i] && (pfd[i].revents & POLLOUT))
				pump_tx(p, i, &dead[i]);
			if (!dead[i] && (pfd[i].revents & (POLLERR | POLLNVAL))) {
				int e = 0;
				socklen_t l = sizeof(e);

				getsockopt(p->fd[i], SOL_SOCKET, SO_ERROR, &e, &l);
				pump_err(p, e ? e : EIO);
				dead[i] = true;
			}
		}
	}
	return NULL;
}

/* ---- the fuzzer ---- */

/* A segment seen on loopback: IP addresses (host order) and the xtcp bytes. */
struct seen {
	u32 saddr, daddr;
	u16 len;
	u8 b[MAX_SEG];
};

struct fuzz {
	int sniff, inject, proto;
	struct seen ring[RING];
	unsigned int nseen;
	u16 victim_ports[32];
	unsigned int nvictim_ports;
	u16 checked_ports[2 * N_CHECKED + 1];
	unsigned int nchecked_ports;
	u16 synack_port;	/* SYN+ACKs to or from it are dropped by a rule */
	long sent, refused;
	long unparsable;	/* xtcp_parse() refuses them: InHdrErrors */
	long filtered;		/* parsable, dropped by the rule before xtcp */
	long wrongsum;		/* parsable, checksum wrong: InCsumErrors */
	long guarded;		/* to or from a checked port */
};

static bool is_checked_port(const struct fuzz *f, u16 port)
{
	unsigned int i;

	for (i = 0; i < f->nchecked_ports; i++)
		if (f->checked_ports[i] == port)
			return true;
	return false;
}

/*
 * Keep what the sniffer has queued, newest over oldest: the segments xtcp
 * sent, not the fuzzer's own (marked by their IP ID), so that mutations of
 * mutations do not drift into junk.
 */
static void fuzz_sniff(struct fuzz *f)
{
	static u8 pkt[65536];
	ssize_t n;

	while ((n = recv(f->sniff, pkt, sizeof(pkt), MSG_DONTWAIT)) > 0) {
		const struct iphdr *ip = (const struct iphdr *)pkt;
		struct seen *s = &f->ring[f->nseen % RING];
		size_t ihl = ip->ihl * 4;
		struct xtcp_seg seg;

		if ((size_t)n < ihl || ip->id == htons(FUZZ_IP_ID) ||
		    xtcp_parse(pkt + ihl, n - ihl, &seg) != XTCP_PARSE_OK)
			continue;
		/*
		 * The checked connections send far more than the victims:
		 * keep one in eight of theirs, or they would be all there is.
		 */
		if ((is_checked_port(f, seg.sport) || is_checked_port(f, seg.dport)) && below(8))
			continue;
		f->nseen++;
		s->saddr = ntohl(ip->saddr);
		s->daddr = ntohl(ip->daddr);
		/* Loopback's big data segments are kept cut short. */
		s->len = n - ihl < MAX_SEG ? n - ihl : MAX_SEG;
		memcpy(s->b, pkt + ihl, s->len);
	}
}

static u16 pick_port(const struct fuzz *f)
{
	switch (below(4)) {
	case 0:
		return 1 + below(65535);
	case 1:
		if (f->nchecked_ports)
			return f->checked_ports[below(f->nchecked_ports)];
		return f->victim_ports[below(f->nvictim_ports)];
	default:
		return f->victim_ports[below(f->nvictim_ports)];
	}
}

static void put16b(u8 *p, u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32b(u8 *p, u32 v)
{
	put16b(p, v >> 16);
	put16b(p + 2, v);
}

static u32 get32b(const u8 *p)
{
	return (u32)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* A number near @v: the same, a little off, a window off, or anything. */
static u32 nudge(u32 v)
{
	switch (below(6)) {
	case 0:
		return v;
	case 1:
		return v + below(8) - 4;
	case 2:
		return v + below(65536) - 32768;
	case 3:
		return v + 0x80000000u;
	case 4:
		return v - 1 - below(1u << 20);
	default:
		return rnd();
	}
}

/*
 * One segment into @b (xtcp bytes) with its addresses; returns its length.
 * @fix_csum says whether the checksum is to be made right.
 */
static size_t fuzz_make(struct fuzz *f, u8 *b, u32 *saddr, u32 *daddr, bool *fix_csum)
{
	size_t len, i;
	unsigned int how = below(100);

	*saddr = INADDR_LOOPBACK;
	*daddr = INADDR_LOOPBACK;
	*fix_csum = below(10) != 0;

	if (how < 8 || !f->nseen) {
		/* Made up: victim ports, any flags, any numbers, options. */
		struct xtcp_seg h = {
			.sport = pick_port(f), .dport = pick_port(f),
			.seq = rnd(), .ack = rnd(), .flags = rnd(),
			.window = rnd(),
		};

		if (below(2))
			h.mss = rnd();
		if (below(2)) {
			h.has_wscale = true;
			h.wscale = below(20);
		}
		len = xtcp_build(b, MAX_SEG, &h);
		for (i = below(3) ? 0 : below(1400); i; i--)
			b[len++] = rnd();
		if (below(4) == 0)
			*saddr = INADDR_LOOPBACK + 1 + below(200);
		return len;
	}
	if (how < 12) {
		/* Junk. */
		len = below(80);
		for (i = 0; i < len; i++)
			b[i] = rnd();
		if (len > 13 && below(2))
			b[12] = (b[12] & 0xf0) | XTCP_VERSION;
		return len;
	}

	/*
	 * A mutation of a segment seen lately; a victim's if one of a few
	 * picks finds one (the checked connections' fill the ring).
	 */
	{
		unsigned int n = f->nseen < RING ? f->nseen : RING, tries = 4;
		const struct seen *s;

		do
			s = &f->ring[below(n)];
		while (--tries && (is_checked_port(f, s->b[0] << 8 | s->b[1]) ||
				   is_checked_port(f, s->b[2] << 8 | s->b[3])));
		len = s->len;
		memcpy(b, s->b, len);
		*saddr = s->saddr;
		*daddr = s->daddr;
	}
	if (len < XTCP_HDR_LEN)
		return len;
	if (how < 20)
		return len;				/* a duplicate */
	if (how < 45) {					/* numbers */
		put32b(b + 4, nudge(get32b(b + 4)));
		put32b(b + 8, nudge(get32b(b + 8)));
		if (below(3) == 0)
			put16b(b + 14, rnd());
	} else if (how < 60) {				/* flags */
		b[13] = below(4) ? below(32) : rnd();
	} else if (how < 72) {				/* bits */
		for (i = 1 + below(4); i; i--)
			b[below(len)] ^= 1 << below(8);
	} else if (how < 80) {				/* cut short */
		len = below(len + 1);
	} else if (how < 90) {				/* options */
		unsigned int doff = 5 + below(11);
		size_t olen = doff * 4 - XTCP_HDR_LEN;
		size_t pay = len - (b[12] >> 4) * 4;

		if ((b[12] >> 4) * 4 > len)
			pay = 0;
		if (doff * 4 + pay > MAX_SEG)
			pay = MAX_SEG - doff * 4;
		memmove(b + doff * 4, b + len - pay, pay);
		for (i = 0; i < olen; i++)
			b[XTCP_HDR_LEN + i] = below(3) ? below(5) : rnd();
		b[12] = doff << 4 | XTCP_VERSION;
		len = doff * 4 + pay;
	} else {					/* payload */
		size_t add = 1 + below(1400);

		if (len + add > MAX_SEG)
			add = MAX_SEG - len;
		for (i = 0; i < add; i++)
			b[len + i] = rnd();
		len += add;
		if (below(2))
			put32b(b + 4, nudge(get32b(b + 4)));
	}
	if (below(8) == 0)
		put16b(b + 2, pick_port(f));
	return len;
}

/* Does the segment's checksum verify, as the kernel checks it? */
static bool csum_ok(const struct fuzz *f, u32 saddr, u32 daddr, const u8 *b, size_t len)
{
	return xtcp_csum_segment(saddr, daddr, f->proto, b, len) == 0;
}

static int fuzz_send_one(struct fuzz *f)
{
	u8 pkt[sizeof(struct iphdr) + MAX_SEG];
	struct iphdr *ip = (struct iphdr *)pkt;
	u8 *b = pkt + sizeof(*ip);
	struct sockaddr_in dst = { .sin_family = AF_INET };
	u32 saddr, daddr;
	bool fix;
	size_t len = fuzz_make(f, b, &saddr, &daddr, &fix);
	bool guarded = false;
	struct xtcp_seg seg;

	if (len >= 4)
		guarded = is_checked_port(f, (u16)(b[0] << 8 | b[1])) ||
			  is_checked_port(f, (u16)(b[2] << 8 | b[3]));
	if (len >= XTCP_HDR_LEN && (fix || guarded)) {
		b[16] = 0;
		b[17] = 0;
		put16b(b + 16, xtcp_csum_segment(saddr, daddr, f->proto, b, len));
		/* A checked connection's segments never carry a right one. */
		if (guarded) {
			b[17] ^= 1;
			if (csum_ok(f, saddr, daddr, b, len))
				b[16] ^= 0x80;
		}
	}
	f->guarded += guarded;
	/*
	 * What the module will make of it: the same parser first, then the
	 * fault rule's filter (PRE_ROUTING, parsable segments only), then
	 * the checksum.
	 */
	if (xtcp_parse(b, len, &seg) != XTCP_PARSE_OK)
		f->unparsable++;
	else if (f->synack_port && (seg.flags & (XTCP_SYN | XTCP_ACK)) == (XTCP_SYN | XTCP_ACK) &&
		 (seg.sport == f->synack_port || seg.dport == f->synack_port))
		f->filtered++;
	else if (!csum_ok(f, saddr, daddr, b, len))
		f->wrongsum++;
	else if (guarded)
		return -1;	/* never: a valid segment for a checked connection */

	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->id = htons(FUZZ_IP_ID);	/* the sniffer skips our own */
	ip->protocol = f->proto;
	ip->saddr = htonl(saddr);
	ip->daddr = htonl(daddr);
	dst.sin_addr.s_addr = ip->daddr;
	if (sendto(f->inject, pkt, sizeof(*ip) + len, 0,
		   (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		/* A fault rule may refuse it at LOCAL_OUT (EPERM). */
		if (errno != EPERM)
			return -1;
		f->refused++;
	}
	f->sent++;
	return 0;
}

/* ---- fixture ---- */

enum target {
	T_LISTEN = 1 << 0,
	T_CONNECTING = 1 << 1,
	T_ESTABLISHED = 1 << 2,
	T_CLOSING = 1 << 3,
};

FIXTURE(rawfuzz)
{
	struct fuzz f;
	struct pump checked[N_CHECKED], victims[N_VICTIMS];
	pthread_t checked_th[N_CHECKED], victim_th[N_VICTIMS];
	int nvictims;
	int fds[64];
	int nfds;
	int lfd;
	bool stop_accept;
	pthread_t accept_th;
	bool accepting;
};

FIXTURE_VARIANT(rawfuzz)
{
	unsigned int targets;
};

FIXTURE_VARIANT_ADD(rawfuzz, listening) { .targets = T_LISTEN };
FIXTURE_VARIANT_ADD(rawfuzz, connecting) { .targets = T_CONNECTING };
FIXTURE_VARIANT_ADD(rawfuzz, established) { .targets = T_ESTABLISHED };
FIXTURE_VARIANT_ADD(rawfuzz, closing) { .targets = T_CLOSING };
FIXTURE_VARIANT_ADD(rawfuzz, everything) {
	.targets = T_LISTEN | T_CONNECTING | T_ESTABLISHED | T_CLOSING
};

static void keep_fd(FIXTURE_DATA(rawfuzz) * self, int fd)
{
	if (self->nfds < (int)ARRAY_SIZE(self->fds))
		self->fds[self->nfds++] = fd;
	else
		close(fd);
}

static void add_victim_port(struct fuzz *f, int fd, bool peer)
{
	struct sockaddr_in sin;

	if (f->nvictim_ports < ARRAY_SIZE(f->victim_ports) &&
	    !(peer ? peer_name(fd, &sin) : sock_name(fd, &sin)))
		f->victim_ports[f->nvictim_ports++] = ntohs(sin.sin_port);
}

/* The listener victim's acceptor: accept, keep a few, close the rest. */
static void *acceptor(void *arg)
{
	FIXTURE_DATA(rawfuzz) * self = arg;

	while (!__atomic_load_n(&self->stop_accept, __ATOMIC_RELAXED)) {
		int fd;

		if (!(wait_revents(self->lfd, POLLIN, 100) & POLLIN))
			continue;
		fd = accept4(self->lfd, NULL, NULL, SOCK_NONBLOCK);
		close_fd(&fd);
	}
	return NULL;
}

FIXTURE_SETUP(rawfuzz)
{
	const char *secs = getenv("XTCP_FUZZ_SECONDS");
	const char *seed = getenv("XTCP_FUZZ_SEED");
	struct fuzz *f = &self->f;
	int one = 1, i;

	memset(self, 0, sizeof(*self));
	self->lfd = -1;
	/* XTCP_FUZZ_SEED replays a run's choices (its timing is the guest's) */
	if (seed && *seed)
		rng_state = strtoull(seed, NULL, 0);
	else
		rng_state = 0x9e3779b97f4a7c15ULL ^ (u64)now_ms() ^ ((u64)getpid() << 32);
	if (!rng_state)
		rng_state = 1;	/* xorshift's one fixed point */
	TH_LOG("seed %#llx, %s s", (unsigned long long)rng_state, secs ? secs : "6");

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, xtcp_lo_up());
	/*
	 * A victim whose peer the fuzzer reset may close into an orphan
	 * FIN_WAIT_2 that nothing ends but fin_timeout (60 s, as TCP's, the
	 * whole of drained()'s wait): 5 s in this namespace.
	 */
	ASSERT_EQ(0, xtcp_sysctl_set("fin_timeout_ms", 5000));
	/*
	 * One whose two ends the fuzzer desynchronized (an injected segment
	 * took bytes the real sender then sends again, ACKs of data it never
	 * sent are ignored) closes into two orphans that retransmit until
	 * orphan_retries: 8 backed-off timeouts are about 100 s, more than
	 * drained()'s minute.  Three here: about 3 s from a 200 ms RTO, but
	 * the RTO of a slow debug guest under the fuzzer's bursts has been
	 * seen at seconds (two orphans still retransmitting after a
	 * minute), so drained() waits up to five minutes for them.
	 */
	ASSERT_EQ(0, xtcp_sysctl_set("orphan_retries", 3));
	f->proto = xtcp_proto();
	f->sniff = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, f->proto);
	ASSERT_LE(0, f->sniff);
	f->inject = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, f->proto);
	ASSERT_LE(0, f->inject);
	ASSERT_EQ(0, setsockopt(f->inject, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)));

	/* The checked connections, on ports the fuzzer only ever garbles. */
	for (i = 0; i < N_CHECKED; i++) {
		struct pump *p = &self->checked[i];
		struct sockaddr_in a;

		ASSERT_EQ(0, stream_pair(true, &p->fd[0], &p->fd[1]));
		ASSERT_EQ(0, sock_name(p->fd[0], &a));
		f->checked_ports[f->nchecked_ports++] = ntohs(a.sin_port);
		ASSERT_EQ(0, sock_name(p->fd[1], &a));
		f->checked_ports[f->nchecked_ports++] = ntohs(a.sin_port);
		p->id = i;
		p->checked = true;
		p->bad_data = -1;
	}

	if (variant->targets & T_LISTEN) {
		struct sockaddr_in a;

		self->lfd = stream_listener(true, 8, &a);
		ASSERT_LE(0, self->lfd);
		add_victim_port(f, self->lfd, false);
		ASSERT_EQ(0, pthread_create(&self->accept_th, NULL, acceptor, self));
		self->accepting = true;
	}
	if (variant->targets & T_ESTABLISHED) {
		for (i = 0; i < N_VICTIMS; i++) {
			struct pump *p = &self->victims[i];

			ASSERT_EQ(0, stream_pair(true, &p->fd[0], &p->fd[1]));
			add_victim_port(f, p->fd[0], false);
			add_victim_port(f, p->fd[1], false);
			p->id = 100 + i;
			p->bad_data = -1;
			self->nvictims++;
		}
	}
	if (variant->targets & T_CLOSING) {
		int c, s, lin = 5;

		/* FIN_WAIT_2 and CLOSE_WAIT, both owned. */
		ASSERT_EQ(0, stream_pair(true, &c, &s));
		ASSERT_EQ(0, shutdown(c, SHUT_WR));
		keep_fd(self, c);
		keep_fd(self, s);
		add_victim_port(f, c, false);
		add_victim_port(f, s, false);
		/* An orphan in FIN_WAIT_2 and its peer in CLOSE_WAIT. */
		ASSERT_EQ(0, stream_pair(true, &c, &s));
		ASSERT_EQ(0, setsockopt(c, xtcp_proto(), XTCP_LINGER2, &lin, sizeof(lin)));
		add_victim_port(f, c, false);
		add_victim_port(f, s, false);
		close(c);
		keep_fd(self, s);
		/* Half-closed the other way, with data still flowing to it. */
		ASSERT_EQ(0, stream_pair(true, &c, &s));
		ASSERT_EQ(0, shutdown(s, SHUT_WR));
		ASSERT_EQ(0, send_all(c, "abc", 3));
		keep_fd(self, c);
		keep_fd(self, s);
		add_victim_port(f, c, false);
		add_victim_port(f, s, false);
	}
	if (variant->targets & T_CONNECTING) {
		/*
		 * SYN+ACKs dropped on the way in: the connect()s stay in
		 * SYN_SENT, their peers' requests in SYN_RCVD.  Last, so
		 * that the rule does not stop the other connections.
		 */
		struct sockaddr_in a;
		int l = stream_listener(true, 8, &a), c;
		char cmd[80];

		ASSERT_LE(0, l);
		keep_fd(self, l);
		add_victim_port(f, l, false);
		f->synack_port = ntohs(a.sin_port);
		snprintf(cmd, sizeof(cmd), "add dir=in flags=synack port=%u action=drop",
			 f->synack_port);
		ASSERT_EQ(0, xtcp_fault_cmd(cmd));
		for (i = 0; i < 3; i++) {
			c = stream_socket(true, SOCK_NONBLOCK);
			ASSERT_LE(0, c);
			ASSERT_EQ(-1, connect(c, (struct sockaddr *)&a, sizeof(a)));
			ASSERT_EQ(EINPROGRESS, errno);
			keep_fd(self, c);
			add_victim_port(f, c, false);
		}
	}
	ASSERT_LT(0, f->nvictim_ports);

	for (i = 0; i < N_CHECKED; i++)
		ASSERT_EQ(0, pthread_create(&self->checked_th[i], NULL, pump_run,
					    &self->checked[i]));
	for (i = 0; i < self->nvictims; i++)
		ASSERT_EQ(0, pthread_create(&self->victim_th[i], NULL, pump_run,
					    &self->victims[i]));
}

FIXTURE_TEARDOWN(rawfuzz)
{
}

/*
 * Packets the CPUs' input backlogs dropped (loopback delivers through them),
 * from /proc/net/softnet_stat's second column.
 */
static long backlog_drops(void)
{
	FILE *f = fopen("/proc/net/softnet_stat", "r");
	unsigned int processed, dropped;
	char line[512];
	long sum = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%x %x", &processed, &dropped) == 2)
			sum += dropped;
	fclose(f);
	return sum;
}

/*
 * Wait for @name to reach @want: the input backlog drains in softirq, which
 * a busy guest may leave to ksoftirqd for a long while.  Up to 60 s, only
 * to bound a failure; its last value.
 */
static long counter_settle(const char *name, long want)
{
	long long end = now_ms() + XTCP_WAIT_MS;
	long v = xtcp_counter(name);

	while (v < want && now_ms() < end) {
		usleep(10000);
		v = xtcp_counter(name);
	}
	return v;
}

/*
 * Wait up to @ms for the namespace to hold no xtcp connection at all: no
 * socket, and then, with the MSL cut to 1 ms, no TIME_WAIT entry either
 * (the fuzzer's own namespace: nothing else needs the setting).  Returns
 * 0, or the rows left.
 */
static int drained(int ms)
{
	long long end = now_ms() + ms;
	struct xtcp_row rows[8];
	bool cut = false;
	int n;

	do {
		n = xtcp_read_rows("/proc/net/xtcp", rows, ARRAY_SIZE(rows));
		if (n == 0 && xtcp_counter("CurrSockets") == 0 &&
		    xtcp_counter("CurrTimeWait") == 0)
			return 0;
		if (!cut && xtcp_counter("CurrSockets") == 0)
			cut = !xtcp_sysctl_set("msl_ms", 1);
		usleep(50000);
	} while (now_ms() < end);
	return n;
}

TEST_F_TIMEOUT(rawfuzz, segments, 600)
{
	const char *env = getenv("XTCP_FUZZ_SECONDS");
	long long end = now_ms() + 1000LL * (env ? atoi(env) : 6);
	long in0 = xtcp_counter("InSegs"), csum0 = xtcp_counter("InCsumErrors");
	long hdr0 = xtcp_counter("InHdrErrors"), drops0 = backlog_drops(), lost, hdr, csum;
	struct fuzz *f = &self->f;
	int i, n;

	while (now_ms() < end && f->sent < XTCP_FUZZ_MAX) {
		fuzz_sniff(f);
		ASSERT_EQ(0, fuzz_send_one(f)) TH_LOG("sendto: %s, or a checked segment valid",
						      strerror(errno));
		if ((f->sent & 63) == 0)
			usleep(1000);
	}
	TH_LOG("%ld segments: %ld unparsable, %ld bad checksum, %ld filtered, %ld refused",
	       f->sent, f->unparsable, f->wrongsum, f->filtered, f->refused);
	TH_LOG("%ld addressed to a checked connection", f->guarded);
	counter_settle("InSegs", in0 + f->sent - f->refused - f->filtered -
		       (backlog_drops() - drops0));
	hdr = counter_settle("InHdrErrors", hdr0 + f->unparsable - (backlog_drops() - drops0));
	csum = counter_settle("InCsumErrors", csum0 + f->wrongsum - (backlog_drops() - drops0));
	lost = backlog_drops() - drops0;
	TH_LOG("InSegs +%ld, InCsumErrors +%ld, InHdrErrors +%ld; input backlog drops %ld",
	       xtcp_counter("InSegs") - in0, csum - csum0, hdr - hdr0, lost);
	TH_LOG("InRsts %ld, OutRsts %ld, OutOfWindow %ld, ChallengeAcks %ld, NoSocket %ld",
	       xtcp_counter("InRsts"), xtcp_counter("OutRsts"), xtcp_counter("OutOfWindow"),
	       xtcp_counter("ChallengeAcks"), xtcp_counter("NoSocket"));

	/*
	 * Every segment reached xtcp's handler but those the rule filtered,
	 * and each garbled one was counted exactly once: what the parser
	 * refuses as a header error, a parsable one with a wrong checksum
	 * as a checksum error (the real traffic has neither).  Loopback's
	 * input backlog may drop a few when the pumps keep it full.
	 */
	EXPECT_LE(in0 + f->sent - f->refused - f->filtered - lost, xtcp_counter("InSegs"));
	EXPECT_GE(hdr0 + f->unparsable, hdr);
	EXPECT_LE(hdr0 + f->unparsable - lost, hdr);
	EXPECT_GE(csum0 + f->wrongsum, csum);
	EXPECT_LE(csum0 + f->wrongsum - lost, csum);
	EXPECT_LT(0, f->unparsable);
	EXPECT_LT(0, f->wrongsum);
	EXPECT_LT(0, f->guarded);

	/* The checked connections finish, every byte right. */
	for (i = 0; i < self->nvictims; i++) {
		__atomic_store_n(&self->victims[i].stop, true, __ATOMIC_RELAXED);
		pthread_join(self->victim_th[i], NULL);
		EXPECT_EQ(0, self->victims[i].err)
			TH_LOG("victim %d: %s", i, strerror(self->victims[i].err));
	}
	for (i = 0; i < N_CHECKED; i++) {
		struct pump *p = &self->checked[i];

		__atomic_store_n(&p->stop, true, __ATOMIC_RELAXED);
		pthread_join(self->checked_th[i], NULL);
		EXPECT_EQ(0, p->err) TH_LOG("checked %d: %s", i, strerror(p->err));
		EXPECT_EQ(-1, p->bad_data) TH_LOG("checked %d: wrong byte at %lld", i, p->bad_data);
		EXPECT_EQ(p->sent[1], p->rcvd[0]);
		EXPECT_EQ(p->sent[0], p->rcvd[1]);
		EXPECT_LT(0, p->rcvd[0] + p->rcvd[1]);
		EXPECT_TRUE(p->eof[0] && p->eof[1]);
	}

	/* Everything closed: no connection, request or orphan is left. */
	if (self->accepting) {
		__atomic_store_n(&self->stop_accept, true, __ATOMIC_RELAXED);
		pthread_join(self->accept_th, NULL);
		close(self->lfd);
	}
	xtcp_fault_cmd("clear");
	for (i = 0; i < self->nfds; i++)
		close(self->fds[i]);
	for (i = 0; i < self->nvictims; i++) {
		close(self->victims[i].fd[0]);
		close(self->victims[i].fd[1]);
	}
	for (i = 0; i < N_CHECKED; i++) {
		close(self->checked[i].fd[0]);
		close(self->checked[i].fd[1]);
	}
	close(f->sniff);
	close(f->inject);
	n = drained(300000);
	EXPECT_EQ(0, n) TH_LOG("connections left (CurrSockets %ld, Orphans %ld)",
			       xtcp_counter("CurrSockets"), xtcp_counter("Orphans"));
	if (n > 0) {
		struct xtcp_row rows[8];

		/* what was left, for the reader of the log */
		n = xtcp_read_rows("/proc/net/xtcp", rows, ARRAY_SIZE(rows));
		for (i = 0; i < n; i++)
			TH_LOG("left: %s :%u -> :%u tx %u rx %u timer %u/%lu retr %u since %lu ms",
			       rows[i].state, rows[i].lport, rows[i].rport,
			       rows[i].txq, rows[i].rxq, rows[i].tr, rows[i].when,
			       rows[i].retr, rows[i].state_ms);
	}
}

/*
 * An ACK storm, the fuzzer's first find: two ends that each find the
 * other's ACKs out of window used to answer each other for ever (on 6.12,
 * 133,000 out-of-window segments in 6 s and the fuzzer starved).  Pure ACKs
 * far outside the window get at most one answer per half second; an
 * out-of-window segment with data is always answered; the connection is
 * unharmed.
 */
TEST(out_of_window_acks_rate_limited)
{
	struct sockaddr_in cn, sn, dst = sin_of(INADDR_LOOPBACK, 0);
	long oow0, skip0, out0, oow, skip, out, allowed;
	long long t0;
	int c, s, raw, i;
	u8 b[64];
	char buf[4];
	size_t len;
	struct xtcp_seg h = { .flags = XTCP_ACK, .window = 65535 };

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, xtcp_lo_up());
	ASSERT_EQ(0, stream_pair(true, &c, &s));
	ASSERT_EQ(0, sock_name(c, &cn));
	ASSERT_EQ(0, sock_name(s, &sn));
	raw = socket(AF_INET, SOCK_RAW, xtcp_proto());
	ASSERT_LE(0, raw);

	/* From the client's port to the server's, a quarter of the space ahead. */
	h.sport = ntohs(cn.sin_port);
	h.dport = ntohs(sn.sin_port);
	h.seq = 0x40000000u;
	oow0 = xtcp_counter("OutOfWindow");
	skip0 = xtcp_counter("OutOfWindowAcksSkipped");
	out0 = xtcp_counter("OutSegs");
	t0 = now_ms();
	for (i = 0; i < 100; i++) {
		h.seq += 1u << 30;	/* never near the window */
		len = xtcp_build(b, sizeof(b), &h);
		put16b(b + 16, xtcp_csum_segment(INADDR_LOOPBACK, INADDR_LOOPBACK,
						 xtcp_proto(), b, len));
		ASSERT_EQ(len, sendto(raw, b, len, 0, (struct sockaddr *)&dst, sizeof(dst)));
	}
	oow = counter_settle("OutOfWindow", oow0 + 100);
	skip = xtcp_counter("OutOfWindowAcksSkipped");
	out = xtcp_counter("OutSegs");
	/* One answer per started half second (the debug kernel is slow). */
	allowed = 2 + (now_ms() - t0) / 500;
	TH_LOG("100 pure ACKs out of window in %lld ms: %ld answered, %ld skipped",
	       now_ms() - t0, out - out0, skip - skip0);
	EXPECT_LE(oow0 + 100, oow);
	EXPECT_GE(out0 + allowed, out);
	EXPECT_LE(skip0 + 100 - allowed, skip);

	/* Data out of window is answered whatever the limit. */
	h.seq += 1u << 30;
	len = xtcp_build(b, sizeof(b), &h);
	memcpy(b + len, "zz", 2);
	put16b(b + 16, xtcp_csum_segment(INADDR_LOOPBACK, INADDR_LOOPBACK, xtcp_proto(),
					 b, len + 2));
	ASSERT_EQ(len + 2, sendto(raw, b, len + 2, 0, (struct sockaddr *)&dst, sizeof(dst)));
	counter_settle("OutSegs", out + 1);
	EXPECT_LE(out + 1, xtcp_counter("OutSegs"));
	EXPECT_EQ(skip, xtcp_counter("OutOfWindowAcksSkipped"));

	/* Nothing of it reached the stream. */
	ASSERT_EQ(0, send_all(c, "ping", 4));
	ASSERT_EQ(4, recv(s, buf, 4, MSG_WAITALL));
	EXPECT_EQ(0, memcmp(buf, "ping", 4));
	close(raw);
	close(c);
	close(s);
}

TEST_HARNESS_MAIN
