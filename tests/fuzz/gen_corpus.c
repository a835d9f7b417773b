// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the fuzzers' seed corpus: `make fuzz-corpus` runs it on
 * tests/fuzz/corpus, whose files are committed.
 *
 *   fuzz_parse/  real segments, headers made by xtcp_build() with the
 *                checksum filled in, plus a few hand-made option lists
 *   fuzz_cc/     event scripts: slow start into congestion avoidance, fast
 *                retransmit and recovery, timeouts, RTT samples, MSS changes
 *   fuzz_seq/    connection scripts: passive and active open, each way of
 *                closing, window edges, far and wrapped sequence numbers
 *
 * Every file stays below 100 bytes.
 */
#include <errno.h>
#include <sys/stat.h>

#include "module/cc.h"
#include "tests/fuzz/fuzz.h"

#define SADDR	0x7f000001u	/* 127.0.0.1 */
#define DADDR	0x7f000002u

struct blob {
	u8 b[100];
	size_t n;
};

static const char *top;

static void put8(struct blob *o, u8 v)
{
	if (o->n >= sizeof(o->b)) {
		fprintf(stderr, "gen_corpus: seed over %zu bytes\n", sizeof(o->b));
		exit(1);
	}
	o->b[o->n++] = v;
}

static void put16(struct blob *o, u16 v)
{
	put8(o, v >> 8);
	put8(o, v & 0xff);
}

static void put32(struct blob *o, u32 v)
{
	put16(o, v >> 16);
	put16(o, v & 0xffff);
}

static void mkdir_p(const char *path)
{
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
}

static void save(const char *target, const char *name, const struct blob *o)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", top, target);
	mkdir_p(path);
	snprintf(path, sizeof(path), "%s/%s/%s", top, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(o->b, 1, o->n, f) != o->n || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* ---- fuzz_parse: segments as they travel ---- */

static void fill_csum(struct blob *o)
{
	u16 c;

	o->b[16] = 0;
	o->b[17] = 0;
	c = xtcp_csum_segment(SADDR, DADDR, IPPROTO_XTCP, o->b, o->n);
	o->b[16] = c >> 8;
	o->b[17] = c & 0xff;
}

static void segment(const char *name, u8 flags, u16 mss, int wscale,
		    const char *payload)
{
	struct xtcp_seg s = { 0 };
	struct blob o = { .n = 0 };

	s.sport = 40000;
	s.dport = 5001;
	s.seq = 0x12345678u;
	s.ack = flags & XTCP_ACK ? 0x9abcdef0u : 0;
	s.flags = flags;
	s.window = 65535;
	s.mss = mss;
	s.has_wscale = wscale >= 0;
	s.wscale = wscale >= 0 ? wscale : 0;
	o.n = xtcp_build(o.b, sizeof(o.b), &s);
	if (!o.n)
		exit(1);
	while (payload && *payload)
		put8(&o, *payload++);
	fill_csum(&o);
	save("fuzz_parse", name, &o);
}

/* A SYN whose options are the bytes given, padded to a word with EOL. */
static void syn_options(const char *name, const u8 *opt, size_t len)
{
	struct xtcp_seg s = { 0 };
	struct blob o = { .n = 0 };
	size_t i;

	s.sport = 40000;
	s.dport = 5001;
	s.seq = 0xfffffff0u;
	s.flags = XTCP_SYN;
	s.window = 29200;
	o.n = xtcp_build(o.b, sizeof(o.b), &s);
	for (i = 0; i < len; i++)
		put8(&o, opt[i]);
	while (o.n % 4)
		put8(&o, XTCP_OPT_EOL);
	o.b[12] = (u8)(o.n / 4) << 4 | XTCP_VERSION;
	fill_csum(&o);
	save("fuzz_parse", name, &o);
}

static void parse_seeds(void)
{
	/* As Linux sends them: MSS, NOP, NOP, SACK-permitted, timestamps. */
	static const u8 linux_syn[] = {
		2, 4, 0x05, 0xb4, 1, 1, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
		1, 3, 3, 7,
	};
	static const u8 overrun[] = { 2, 4, 0x05, 0xb4, 30, 9, 0, 0 };
	static const u8 after_eol[] = { 3, 3, 20, 0, 2, 1, 0, 0 };

	segment("syn-mss1460-wscale7", XTCP_SYN, 1460, 7, NULL);
	segment("syn-mss536", XTCP_SYN, 536, -1, NULL);
	segment("syn-wscale14-no-mss", XTCP_SYN, 0, 14, NULL);
	segment("synack-mss1460-wscale7", XTCP_SYN | XTCP_ACK, 1460, 7, NULL);
	segment("synack-mss8960", XTCP_SYN | XTCP_ACK, 8960, -1, NULL);
	segment("ack", XTCP_ACK, 0, -1, NULL);
	segment("data-psh-ack-http-request", XTCP_ACK | XTCP_PSH, 0, -1,
		"GET / HTTP/1.0\r\nHost: xtcp.test\r\nUser-Agent: fuzz\r\n\r\n...");
	segment("data-ack-1-byte", XTCP_ACK, 0, -1, "x");
	segment("fin-ack", XTCP_FIN | XTCP_ACK, 0, -1, NULL);
	segment("fin-psh-ack-with-data", XTCP_FIN | XTCP_PSH | XTCP_ACK, 0, -1,
		"bye\n");
	segment("rst", XTCP_RST, 0, -1, NULL);
	segment("rst-ack", XTCP_RST | XTCP_ACK, 0, -1, NULL);
	syn_options("syn-linux-style-options", linux_syn, sizeof(linux_syn));
	syn_options("syn-option-overruns-header", overrun, sizeof(overrun));
	syn_options("syn-wscale-clamped-then-eol", after_eol, sizeof(after_eol));
}

/* ---- fuzz_cc: sender event scripts ---- */

static void cc_header(struct blob *o, u16 mss, u32 isn)
{
	put16(o, mss);
	put32(o, isn);
	put32(o, XTCP_RTO_MIN_US);
	put32(o, XTCP_RTO_MAX_US);
	put32(o, 1);
}

static void cc_ack16(struct blob *o, u16 bytes)
{
	put8(o, CC_OP_ACK | CC_ACK_ANY16 << 3);
	put16(o, bytes - 1);	/* 1 + arg % flight */
}

static void cc_rtt_ms(struct blob *o, u16 ms)
{
	put8(o, CC_OP_RTT | CC_RTT_MS);
	put32(o, ms);
}

static void cc_seeds(void)
{
	struct blob o;
	int i;

	/* Slow start, a timeout, slow start to ssthresh, then avoidance. */
	o.n = 0;
	cc_header(&o, 1460, 0xfffff000u);
	for (i = 0; i < 8; i++) {
		put8(&o, CC_OP_SEND);
		put8(&o, CC_OP_ACK | CC_ACK_ALL << 3);
	}
	cc_rtt_ms(&o, 40);
	put8(&o, CC_OP_SEND);
	put8(&o, CC_OP_TIMEOUT);
	for (i = 0; i < 14; i++) {
		put8(&o, CC_OP_SEND);
		put8(&o, CC_OP_ACK | CC_ACK_MSS << 3);
		put8(&o, CC_OP_ACK | CC_ACK_ALL << 3);
	}
	save("fuzz_cc", "slow-start-timeout-congestion-avoidance", &o);

	/* Ten segments out, the first lost: recovery with partial ACKs. */
	o.n = 0;
	cc_header(&o, 1000, 0x7ffff000u);
	put8(&o, CC_OP_SEND);
	put8(&o, CC_OP_ACK | CC_ACK_ALL << 3);
	put8(&o, CC_OP_SEND);
	put8(&o, CC_OP_ACK | CC_ACK_ALL << 3);
	put8(&o, CC_OP_SEND);
	for (i = 0; i < 5; i++)
		put8(&o, CC_OP_DUPACK);
	put8(&o, CC_OP_SEND);
	cc_ack16(&o, 2000);
	cc_ack16(&o, 1000);
	cc_ack16(&o, 500);
	put8(&o, CC_OP_DUPACK);
	put8(&o, CC_OP_ACK | CC_ACK_ALL << 3);
	put8(&o, CC_OP_NOACK);
	save("fuzz_cc", "fast-retransmit-partial-then-full-ack", &o);

	/* Go-back-N after a timeout: dupacks below recover do nothing. */
	o.n = 0;
	cc_header(&o, 536, 0xffffffffu);
	put8(&o, CC_OP_SEND);
	put8(&o, CC_OP_ACK | CC_ACK_ALL << 3);
	put8(&o, CC_OP_SEND);
	put8(&o, CC_OP_TIMEOUT);
	put8(&o, CC_OP_TIMEOUT);
	put8(&o, CC_OP_TIMEOUT | CC_TIMEOUT_REWOUND);
	put32(&o, 100);
	put8(&o, CC_OP_ACK | CC_ACK_MSS << 3);
	for (i = 0; i < 4; i++)
		put8(&o, CC_OP_DUPACK);
	put8(&o, CC_OP_ACK | CC_ACK_ALL << 3);
	put8(&o, CC_OP_SEND);
	for (i = 0; i < 3; i++)
		put8(&o, CC_OP_DUPACK);
	put8(&o, CC_OP_TIMEOUT);
	save("fuzz_cc", "timeout-go-back-n-recover", &o);

	/* RTT: samples, Karn's rule, backoff to the ceiling, a new sample. */
	o.n = 0;
	cc_header(&o, 1460, 0);
	cc_rtt_ms(&o, 100);
	cc_rtt_ms(&o, 120);
	cc_rtt_ms(&o, 80);
	put8(&o, CC_OP_RTT | CC_RTT_RETRANSMITTED);
	put32(&o, 3000000);
	for (i = 0; i < 10; i++)
		put8(&o, CC_OP_BACKOFF);
	put8(&o, CC_OP_RTT);
	put32(&o, 0xffffffffu);
	put8(&o, CC_OP_RTT);
	put32(&o, 0);
	save("fuzz_cc", "rtt-samples-karn-backoff", &o);

	/* Path MTU changes, out-of-range values clamped. */
	o.n = 0;
	cc_header(&o, 1460, 0x80000000u);
	put8(&o, CC_OP_SEND);
	put8(&o, CC_OP_MSS);
	put32(&o, 536);
	put8(&o, CC_OP_ACK | CC_ACK_ALL << 3);
	put8(&o, CC_OP_MSS);
	put32(&o, 9000);
	put8(&o, CC_OP_MSS);
	put32(&o, 0);
	put8(&o, CC_OP_MSS);
	put32(&o, 0x10000);
	put8(&o, CC_OP_SEND);
	put8(&o, CC_OP_DUPACK);
	put8(&o, CC_OP_DUPACK);
	put8(&o, CC_OP_DUPACK);
	put8(&o, CC_OP_MSS);
	put32(&o, 1);
	put8(&o, CC_OP_ACK | CC_ACK_ALL << 3);
	save("fuzz_cc", "mss-changes-in-and-out-of-recovery", &o);
}

/* ---- fuzz_seq: connection scripts ---- */

static void seq_header(struct blob *o, u32 base, u16 win, u8 ws)
{
	put32(o, base);
	put16(o, win);
	put8(o, ws);
}

static void seq_seg(struct blob *o, u8 mods, u8 flags, int rel, u16 len)
{
	put8(o, SEQ_OP_SEG | mods);
	put8(o, flags);
	put16(o, (u16)rel);
	put16(o, len);
}

static void seq_app(struct blob *o, u8 what)
{
	put8(o, SEQ_OP_APP);
	put8(o, what);
}

static void seq_walk(struct blob *o, int state)
{
	put8(o, SEQ_OP_WALK);
	put8(o, state + 1);
}

static void seq_seeds(void)
{
	const u8 ack = XTCP_ACK, acked = SEQ_SEG_OURS_ACKED;
	struct blob o;

	/* Server: SYN, ACK, data, FIN; close, last ACK. */
	o.n = 0;
	seq_header(&o, 0, 65535, 7);
	seq_app(&o, SEQ_APP_LISTEN);
	seq_seg(&o, 0, XTCP_SYN, 1000, 0);
	seq_seg(&o, acked, ack, 0, 0);
	seq_seg(&o, 0, ack | XTCP_PSH, 0, 1448);
	seq_seg(&o, 0, ack, 0, 1448);
	seq_seg(&o, 0, ack, -1448, 1448);		/* a duplicate */
	put8(&o, SEQ_OP_ADVERTISE);
	put16(&o, 65535);
	put8(&o, 7);
	seq_seg(&o, 0, ack | XTCP_FIN, 0, 0);
	seq_app(&o, SEQ_APP_CLOSE);
	seq_seg(&o, acked, ack, 0, 0);
	save("fuzz_seq", "passive-open-data-fin-last-ack", &o);

	/* Client: SYN+ACK, data, our FIN acked, theirs, TIME_WAIT ends. */
	o.n = 0;
	seq_header(&o, 0xfffffc00u, 29200, 0);
	seq_app(&o, SEQ_APP_CONNECT);
	seq_seg(&o, acked, XTCP_SYN | ack, 0x7000, 0);
	seq_seg(&o, 0, ack, 0, 1000);
	seq_seg(&o, 0, ack, 0, 1000);			/* across the wrap */
	seq_app(&o, SEQ_APP_CLOSE);
	seq_seg(&o, acked, ack, 0, 0);
	seq_seg(&o, 0, ack | XTCP_FIN, 0, 10);
	seq_app(&o, SEQ_APP_ABORT);
	save("fuzz_seq", "active-open-fin-wait-2-time-wait", &o);

	/* Both close at once: FIN_WAIT_1 -> CLOSING -> TIME_WAIT, and RST. */
	o.n = 0;
	seq_header(&o, 0x7fffff00u, 1000, 3);
	seq_app(&o, SEQ_APP_CONNECT);
	seq_seg(&o, 0, XTCP_SYN, 5, 0);			/* simultaneous open */
	seq_seg(&o, acked, ack, 0, 0);
	seq_app(&o, SEQ_APP_CLOSE);
	seq_seg(&o, 0, ack | XTCP_FIN, 0, 0);
	seq_seg(&o, acked, ack, 0, 0);
	seq_app(&o, SEQ_APP_ABORT);
	seq_app(&o, SEQ_APP_LISTEN);
	seq_seg(&o, 0, XTCP_SYN, -300, 0);
	seq_seg(&o, 0, XTCP_RST, 0, 0);
	save("fuzz_seq", "simultaneous-open-and-close-then-rst", &o);

	/* A refused connect; then our FIN and theirs crossing. */
	o.n = 0;
	seq_header(&o, 0x40000000u, 8192, 2);
	seq_app(&o, SEQ_APP_CONNECT);
	seq_seg(&o, acked, XTCP_RST | ack, 0, 0);
	seq_app(&o, SEQ_APP_CONNECT);
	seq_seg(&o, acked, XTCP_SYN | ack, -5000, 0);
	seq_seg(&o, 0, ack | XTCP_PSH, 0, 100);
	seq_app(&o, SEQ_APP_CLOSE);
	seq_seg(&o, acked, ack | XTCP_FIN, 0, 0);
	seq_seg(&o, 0, ack | XTCP_FIN, -1, 0);		/* retransmitted FIN */
	seq_app(&o, SEQ_APP_ABORT);
	save("fuzz_seq", "refused-connect-then-fin-wait-1-to-time-wait", &o);

	/* A small window probed at and around its edges, then overrun. */
	o.n = 0;
	seq_header(&o, 0xffffff00u, 1000, 0);
	seq_walk(&o, XTCP_SYN_SENT);
	seq_walk(&o, XTCP_ESTABLISHED);
	seq_seg(&o, 0, ack, -1, 0);
	seq_seg(&o, 0, ack, 1000, 0);
	seq_seg(&o, 0, ack, 1001, 0);
	seq_seg(&o, 0, ack, -100, 200);
	seq_seg(&o, 0, ack, 0, 2000);			/* trimmed at the edge */
	seq_seg(&o, 0, ack, 0, 1);			/* zero-window probe */
	seq_seg(&o, SEQ_SEG_OVERRUN, ack, 0, 500);
	put8(&o, SEQ_OP_ADVERTISE);
	put16(&o, 0);
	put8(&o, 0);
	seq_seg(&o, 0, ack, 0, 1);
	save("fuzz_seq", "window-edges-zero-window-overrun", &o);

	/* Far offsets, a scaled window, and arithmetic at 2^31. */
	o.n = 0;
	seq_header(&o, 0x80000000u, 65535, 14);
	seq_walk(&o, XTCP_SYN_SENT);
	seq_walk(&o, XTCP_ESTABLISHED);
	put8(&o, SEQ_OP_SEG_FAR);
	put8(&o, ack);
	put32(&o, 0x7fffff00u);
	put16(&o, 1000);
	put8(&o, SEQ_OP_SEG_FAR);
	put8(&o, ack);
	put32(&o, 0x80000000u);
	put16(&o, 0);
	put8(&o, SEQ_OP_ARITH);
	put32(&o, 0);
	put32(&o, 0x80000000u);
	put32(&o, 0xffffffffu);
	put8(&o, SEQ_OP_ARITH);
	put32(&o, 0xffffff00u);
	put32(&o, 0x100);
	put32(&o, 0x80000000u);
	seq_walk(&o, XTCP_CLOSE_WAIT);
	seq_walk(&o, XTCP_LAST_ACK);
	seq_walk(&o, XTCP_TIME_WAIT);			/* refused by the table */
	save("fuzz_seq", "far-offsets-scaled-window-half-space", &o);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	top = argv[1];
	mkdir_p(top);
	parse_seeds();
	cc_seeds();
	seq_seeds();
	return 0;
}
