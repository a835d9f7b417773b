// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the xtcp protocol core (module/core.c), compiled in user
 * space against the very same source the module builds.
 *
 * Tests follow core.c's order of functions and are named function__case.
 * Built with AddressSanitizer: the parser gets buffers of exactly the length
 * it is told, so a read past the end fails the run.
 */
#include <string.h>

#include "module/core.h"
#include "tests/unit/unit.h"
#include "tests/oracle.h"

/* A deterministic generator, so a failure reproduces. */
static u64 rng_state = 0x9e3779b97f4a7c15ull;

static u32 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (u32)(rng_state >> 16);
}

/* A minimal valid header: ACK, Data Offset 5, version 1. */
static void base_header(u8 *b)
{
	memset(b, 0, XTCP_HDR_LEN);
	b[0] = 0x12; b[1] = 0x34;	/* sport 0x1234 */
	b[2] = 0xab; b[3] = 0xcd;	/* dport 0xabcd */
	b[4] = 0x01; b[5] = 0x02; b[6] = 0x03; b[7] = 0x04;
	b[8] = 0xf1; b[9] = 0xf2; b[10] = 0xf3; b[11] = 0xf4;
	b[12] = 5 << 4 | XTCP_VERSION;
	b[13] = XTCP_ACK;
	b[14] = 0xff; b[15] = 0xee;
	b[16] = 0x55; b[17] = 0xaa;
}

/* Parse exactly @len bytes copied into a heap buffer of that size. */
static int parse_exact(const u8 *src, size_t len, struct xtcp_seg *seg)
{
	u8 *b = malloc(len ? len : 1);
	int r;

	memcpy(b, src, len);
	r = xtcp_parse(b, len, seg);
	free(b);
	return r;
}

/* ---- sequence arithmetic (core.h) ---- */

UNIT_TEST(xtcp_seq_before__wraps_around_zero)
{
	CHECK(xtcp_seq_before(0xffffffffu, 0));
	CHECK(xtcp_seq_before(0xfffffff0u, 0x10));
	CHECK(!xtcp_seq_before(0, 0xffffffffu));
	CHECK(xtcp_seq_after(0, 0xffffffffu));
	CHECK(!xtcp_seq_before(5, 5));
	CHECK(!xtcp_seq_after(5, 5));
}

UNIT_TEST(xtcp_seq_before__every_distance_below_half_the_space)
{
	int i;

	for (i = 0; i < 200000; i++) {
		u32 a = rnd() ^ (rnd() << 16);
		u32 d = 1 + (rnd() ^ (rnd() << 16)) % 0x7fffffffu;

		CHECK(xtcp_seq_before(a, a + d));
		CHECK(!xtcp_seq_before(a + d, a));
		CHECK(xtcp_seq_after(a + d, a));
		CHECK(!xtcp_seq_after(a, a + d));
	}
	/* The largest distance still ordered, on both sides of the wrap. */
	CHECK(xtcp_seq_before(0, 0x7fffffffu));
	CHECK(xtcp_seq_before(0x80000001u, 0));
}

UNIT_TEST(xtcp_seq_between__inclusive_bounds_across_wrap)
{
	CHECK(xtcp_seq_between(0xfffffffeu, 0xfffffff0u, 0x10));
	CHECK(xtcp_seq_between(0, 0xfffffff0u, 0x10));
	CHECK(xtcp_seq_between(0x10, 0xfffffff0u, 0x10));
	CHECK(xtcp_seq_between(0xfffffff0u, 0xfffffff0u, 0x10));
	CHECK(!xtcp_seq_between(0x11, 0xfffffff0u, 0x10));
	CHECK(!xtcp_seq_between(0xffffffefu, 0xfffffff0u, 0x10));
	CHECK(xtcp_seq_between(7, 7, 7));
	CHECK(!xtcp_seq_between(8, 7, 7));
}

UNIT_TEST(xtcp_seq_between__agrees_with_before_and_after)
{
	int i;

	for (i = 0; i < 200000; i++) {
		u32 lo = rnd() ^ (rnd() << 16);
		u32 span = rnd() % 0x10000000u;
		u32 x = lo + (rnd() % 0x20000000u) - 0x08000000u;
		int inside = !xtcp_seq_before(x, lo) && !xtcp_seq_after(x, lo + span);

		CHECK_EQ(xtcp_seq_between(x, lo, lo + span), inside);
	}
}

/* ---- receive window and acceptability (core.c) ---- */

UNIT_TEST(xtcp_rcv_window__open_part_or_zero)
{
	CHECK_EQ(xtcp_rcv_window(100, 100, 50), 50);
	CHECK_EQ(xtcp_rcv_window(100, 120, 50), 30);
	CHECK_EQ(xtcp_rcv_window(100, 150, 50), 0);
	CHECK_EQ(xtcp_rcv_window(100, 170, 50), 0);	/* overran: never negative */
	CHECK_EQ(xtcp_rcv_window(0xfffffff0u, 0x8, 0x40), 0x28);
}

UNIT_TEST(xtcp_window_offer__no_sliver_no_shrink)
{
	/* less room than announced: the edge stays */
	CHECK_EQ(xtcp_window_offer(5000, 100, 1460, 65536), 5000);
	/* opens by less than an MSS: stays; by an MSS or more: opens */
	CHECK_EQ(xtcp_window_offer(5000, 6459, 1460, 65536), 5000);
	CHECK_EQ(xtcp_window_offer(5000, 6460, 1460, 65536), 6460);
	/* a closed window opens only by a whole MSS */
	CHECK_EQ(xtcp_window_offer(0, 1459, 1460, 65536), 0);
	CHECK_EQ(xtcp_window_offer(0, 1460, 1460, 65536), 1460);
	/* a buffer under two MSS: half the buffer is enough */
	CHECK_EQ(xtcp_window_offer(0, 999, 1460, 2000), 0);
	CHECK_EQ(xtcp_window_offer(0, 1000, 1460, 2000), 1000);
	/* loopback's MSS: the step is capped by half the buffer */
	CHECK_EQ(xtcp_window_offer(0, 65536, 65495, 131072), 65536);
}

UNIT_TEST(xtcp_window_offer__matches_model)
{
	u32 cur, space, mss, buf;

	for (cur = 0; cur < 40; cur += 3)
		for (space = 0; space < 60; space++)
			for (mss = 0; mss < 20; mss += 4)
				for (buf = 0; buf < 50; buf += 7) {
					u32 got = xtcp_window_offer(cur, space, mss, buf);
					u32 step = buf / 2 < mss ? buf / 2 : mss;
					u32 want = space > cur && space - cur >= step ?
						   space : cur;

					CHECK_EQ(got, want);
					CHECK(got >= cur);	/* never a shrink */
					CHECK(got == cur || got == space);
				}
}

UNIT_TEST(xtcp_mtu_to_mss__as_tcp)
{
	CHECK_EQ(xtcp_mtu_to_mss(1500), 1460);	/* Ethernet */
	CHECK_EQ(xtcp_mtu_to_mss(65536), 65495);	/* loopback: IPv4's ceiling */
	CHECK_EQ(xtcp_mtu_to_mss(576), 536);
	CHECK_EQ(xtcp_mtu_to_mss(68), 28);
	CHECK_EQ(xtcp_mtu_to_mss(0), 28);	/* below IPv4's minimum */
	CHECK_EQ(xtcp_mtu_to_mss(0xffffffffu), 65495);
}

UNIT_TEST(xtcp_mtu6_to_mss__as_tcp)
{
	CHECK_EQ(xtcp_mtu6_to_mss(1500), 1440);	/* Ethernet */
	CHECK_EQ(xtcp_mtu6_to_mss(65536), 65476);	/* loopback, TCP's over ::1 */
	CHECK_EQ(xtcp_mtu6_to_mss(1280), 1220);	/* IPv6's minimum link MTU */
	CHECK_EQ(xtcp_mtu6_to_mss(576), 1220);	/* below it: IPv6's minimum */
	CHECK_EQ(xtcp_mtu6_to_mss(0), 1220);
	CHECK_EQ(xtcp_mtu6_to_mss(0xffffffffu), 65515);	/* 16-bit payload length */
}

/* ---- buffer autotuning (core.c) ---- */

UNIT_TEST(xtcp_wscale_for__smallest_shift_that_says_the_space)
{
	u64 space;
	u8 s;

	CHECK_EQ(xtcp_wscale_for(0), 0);
	CHECK_EQ(xtcp_wscale_for(65535), 0);
	CHECK_EQ(xtcp_wscale_for(65536), 1);
	CHECK_EQ(xtcp_wscale_for(6 << 20), 7);		/* TCP's rmem[2] */
	CHECK_EQ(xtcp_wscale_for(8 << 20), 8);
	CHECK_EQ(xtcp_wscale_for(0xffffffffu), XTCP_MAX_WSCALE);
	/* every shift: enough, and one less would not be */
	for (space = 1; space <= 0xffffffffu; space = space * 3 / 2 + 1) {
		s = xtcp_wscale_for((u32)space);
		CHECK(s <= XTCP_MAX_WSCALE);
		if (s < XTCP_MAX_WSCALE)
			CHECK((65535ULL << s) >= space);
		if (s)
			CHECK((65535ULL << (s - 1)) < space);
	}
}

UNIT_TEST(xtcp_rcvbuf_target__twice_a_round_trip_plus_slack)
{
	/* no faster than before: no change */
	CHECK_EQ(xtcp_rcvbuf_target(0, 0, 1460), 0);
	CHECK_EQ(xtcp_rcvbuf_target(1000, 1000, 1460), 0);
	CHECK_EQ(xtcp_rcvbuf_target(999, 1000, 1460), 0);
	/* first measurement: 2 * copied + 16 MSS */
	CHECK_EQ(xtcp_rcvbuf_target(100000, 0, 1460), 200000 + 16 * 1460);
	/* steady growth of half: the target grows by half again */
	CHECK_EQ(xtcp_rcvbuf_target(150000, 100000, 1000),
		 (300000 + 16000) * 3 / 2);
	/* doubled: twice the base */
	CHECK_EQ(xtcp_rcvbuf_target(200000, 100000, 1000),
		 2 * (400000 + 16000));
	/* saturates instead of wrapping */
	CHECK_EQ(xtcp_rcvbuf_target(0xffffffffu, 1, 65495), 0xffffffffu);
	CHECK_EQ(xtcp_rcvbuf_target(0xffffffffu, 0, 65495),
		 2u * (1u << 30) + 16u * 65495);
}

UNIT_TEST(xtcp_rcvbuf_target__monotonic_in_copied)
{
	u32 space, copied, prev;

	for (space = 0; space < (1U << 24); space = space * 2 + 4096) {
		prev = 0;
		for (copied = space + 1; copied < (1U << 26);
		     copied = copied * 5 / 4 + 1) {
			u32 t = xtcp_rcvbuf_target(copied, space, 1460);

			CHECK(t >= 2 * copied);
			CHECK(t >= prev);
			prev = t;
		}
	}
}

/* ---- GRO: which segments merge (core.c) ---- */

/* @held (seq 0x01020304, @len bytes) and the segment after it, in @th. */
static void gro_pair(u8 *held, u8 *th, u32 len, unsigned int hlen)
{
	u32 next = 0x01020304u + len;

	base_header(held);
	held[12] = (hlen / 4) << 4 | XTCP_VERSION;
	memset(held + XTCP_HDR_LEN, XTCP_OPT_NOP, hlen - XTCP_HDR_LEN);
	memcpy(th, held, hlen);
	th[4] = next >> 24;
	th[5] = next >> 16;
	th[6] = next >> 8;
	th[7] = next;
}

UNIT_TEST(xtcp_gro_follows__in_sequence_only)
{
	u8 held[XTCP_MAX_HDR_LEN], th[XTCP_MAX_HDR_LEN];

	gro_pair(held, th, 1460, XTCP_HDR_LEN);
	CHECK(xtcp_gro_follows(th, held, 1460));
	CHECK(!xtcp_gro_follows(th, held, 1459));	/* a gap */
	CHECK(!xtcp_gro_follows(th, held, 1461));	/* an overlap */
	CHECK(!xtcp_gro_follows(held, th, 1460));	/* backwards */
	/* the sequence space wraps */
	gro_pair(held, th, 0xffffffffu - 0x01020304u + 0x11, XTCP_HDR_LEN);
	CHECK_EQ(th[7], 0x10);
	CHECK(xtcp_gro_follows(th, held, 0xffffffffu - 0x01020304u + 0x11));
	/* each segment's checksum was checked on its own: not compared */
	th[16] ^= 0xff;
	CHECK(xtcp_gro_follows(th, held, 0xffffffffu - 0x01020304u + 0x11));
}

UNIT_TEST(xtcp_gro_follows__every_other_header_byte_must_match)
{
	u8 held[XTCP_MAX_HDR_LEN], th[XTCP_MAX_HDR_LEN];
	unsigned int hlen, i, bit;

	for (hlen = XTCP_HDR_LEN; hlen <= XTCP_MAX_HDR_LEN; hlen += 4)
		for (i = 8; i < hlen; i++)
			for (bit = 0; bit < 8; bit++) {
				bool ignored = i == 16 || i == 17 ||
					       (i == 13 && (1u << bit & (XTCP_PSH | XTCP_FIN)));

				gro_pair(held, th, 100, hlen);
				CHECK(xtcp_gro_follows(th, held, 100));
				th[i] ^= 1u << bit;
				CHECK_EQ(xtcp_gro_follows(th, held, 100), ignored);
			}
}

UNIT_TEST(xtcp_gro_follows__flags_exhaustive)
{
	u8 held[XTCP_HDR_LEN], th[XTCP_HDR_LEN];
	unsigned int f, f2;

	for (f2 = 0; f2 < 256; f2++)
		for (f = 0; f < 256; f++) {
			bool want = f2 == XTCP_ACK &&
				    (f & ~(XTCP_PSH | XTCP_FIN)) == XTCP_ACK;

			gro_pair(held, th, 1, XTCP_HDR_LEN);
			held[13] = f2;
			th[13] = f;
			CHECK_EQ(xtcp_gro_follows(th, held, 1), want);
		}
}

UNIT_TEST(xtcp_gro_follows__short_data_offset)
{
	u8 held[XTCP_HDR_LEN], th[XTCP_HDR_LEN];
	unsigned int doff;

	for (doff = 0; doff < 5; doff++) {
		gro_pair(held, th, 1, XTCP_HDR_LEN);
		held[12] = doff << 4 | XTCP_VERSION;
		th[12] = held[12];
		CHECK(!xtcp_gro_follows(th, held, 1));
	}
}

UNIT_TEST(xtcp_gro_ends__all_but_plain_ack)
{
	u8 th[XTCP_HDR_LEN];
	unsigned int f;

	base_header(th);
	for (f = 0; f < 256; f++) {
		th[13] = f;
		CHECK_EQ(xtcp_gro_ends(th), f != XTCP_ACK);
	}
}

UNIT_TEST(xtcp_seq_acceptable__edges)
{
	/* advertised at 1000 a window of 100; RCV.NXT moved on to 1040 */
	CHECK(xtcp_seq_acceptable(1040, 1040, 1000, 1040, 100));	/* ACK at NXT */
	CHECK(xtcp_seq_acceptable(1100, 1100, 1000, 1040, 100));	/* at the edge */
	CHECK(!xtcp_seq_acceptable(1101, 1101, 1000, 1040, 100));	/* past it */
	CHECK(xtcp_seq_acceptable(1000, 1000, 1000, 1040, 100));	/* old, from WUP */
	CHECK(!xtcp_seq_acceptable(999, 999, 1000, 1040, 100));	/* before WUP */
	CHECK(xtcp_seq_acceptable(900, 1000, 1000, 1040, 100));	/* old text to WUP */
	CHECK(!xtcp_seq_acceptable(900, 999, 1000, 1040, 100));
	CHECK(xtcp_seq_acceptable(1090, 1200, 1000, 1040, 100));	/* straddles edge */
	/* a closed window still takes an ACK or probe at RCV.NXT */
	CHECK(xtcp_seq_acceptable(1100, 1100, 1000, 1100, 100));
	CHECK(xtcp_seq_acceptable(1100, 1101, 1000, 1100, 100));
	CHECK(!xtcp_seq_acceptable(1101, 1102, 1000, 1100, 100));
	/* across the wrap */
	CHECK(xtcp_seq_acceptable(0x10, 0x20, 0xfffffff0u, 0x0, 0x100));
	CHECK(!xtcp_seq_acceptable(0xffffffe0u, 0xffffffefu, 0xfffffff0u, 0x0, 0x100));
}

/* The same rule as a plain-integer model, over random windows near a wrap. */
UNIT_TEST(xtcp_seq_acceptable__matches_model)
{
	int i;

	for (i = 0; i < 500000; i++) {
		u32 base = rnd() ^ (rnd() << 16);
		long long wnd = rnd() % 5000, adv = rnd() % 3000;
		long long nxt = adv + rnd() % (wnd + 200);	/* may overrun */
		long long seq = (long long)(rnd() % 12000) - 4000, len = rnd() % 3000;
		long long edge = nxt > adv + wnd ? nxt : adv + wnd;
		int model = seq + len >= adv && seq <= edge;

		CHECK_EQ(xtcp_seq_acceptable(base + (u32)(seq + 0x100000000LL),
					     base + (u32)(seq + len + 0x100000000LL),
					     base + (u32)adv, base + (u32)nxt, (u32)wnd),
			 model);
	}
}

/* ---- xtcp_parse ---- */

UNIT_TEST(xtcp_parse__decodes_every_field)
{
	u8 b[XTCP_HDR_LEN];
	struct xtcp_seg s;

	base_header(b);
	CHECK_EQ(parse_exact(b, sizeof(b), &s), XTCP_PARSE_OK);
	CHECK_EQ(s.sport, 0x1234);
	CHECK_EQ(s.dport, 0xabcd);
	CHECK_EQ(s.seq, 0x01020304u);
	CHECK_EQ(s.ack, 0xf1f2f3f4u);
	CHECK_EQ(s.flags, XTCP_ACK);
	CHECK_EQ(s.hlen, 20);
	CHECK_EQ(s.window, 0xffee);
	CHECK_EQ(s.check, 0x55aa);
	CHECK_EQ(s.mss, 0);
	CHECK(!s.has_wscale);
}

UNIT_TEST(xtcp_parse__short_buffer)
{
	u8 b[XTCP_HDR_LEN];
	struct xtcp_seg s;
	size_t len;

	base_header(b);
	for (len = 0; len < XTCP_HDR_LEN; len++)
		CHECK_EQ(parse_exact(b, len, &s), XTCP_PARSE_SHORT);
}

UNIT_TEST(xtcp_parse__every_data_offset)
{
	u8 b[XTCP_MAX_HDR_LEN + 8];
	struct xtcp_seg s;
	unsigned int doff;
	size_t len;

	for (doff = 0; doff < 16; doff++) {
		memset(b, 0, sizeof(b));	/* options all EOL */
		base_header(b);
		b[12] = doff << 4 | XTCP_VERSION;
		for (len = XTCP_HDR_LEN; len <= sizeof(b); len++) {
			int r = parse_exact(b, len, &s);

			if (doff < 5) {
				CHECK_EQ(r, XTCP_PARSE_BAD_DOFF);
			} else if (len < doff * 4) {
				CHECK_EQ(r, XTCP_PARSE_SHORT);
			} else {
				CHECK_EQ(r, XTCP_PARSE_OK);
				CHECK_EQ(s.hlen, doff * 4);
			}
		}
	}
}

UNIT_TEST(xtcp_parse__every_version)
{
	u8 b[XTCP_HDR_LEN];
	struct xtcp_seg s;
	int v;

	for (v = 0; v < 16; v++) {
		base_header(b);
		b[12] = 5 << 4 | v;
		CHECK_EQ(parse_exact(b, sizeof(b), &s),
			 v == XTCP_VERSION ? XTCP_PARSE_OK : XTCP_PARSE_BAD_VERSION);
	}
}

UNIT_TEST(xtcp_parse__every_flags_byte)
{
	u8 b[XTCP_HDR_LEN];
	struct xtcp_seg s;
	int f, accepted = 0;

	for (f = 0; f < 256; f++) {
		int want = oracle_flags_legal(f) ? XTCP_PARSE_OK :
						   XTCP_PARSE_BAD_FLAGS;

		base_header(b);
		b[13] = f;
		CHECK_EQ(parse_exact(b, sizeof(b), &s), want);
		accepted += want == XTCP_PARSE_OK;
	}
	CHECK_EQ(accepted, 14);
}

static int parse_with_options(const u8 *opt, size_t olen, u8 flags,
			      struct xtcp_seg *s)
{
	u8 b[XTCP_MAX_HDR_LEN];
	size_t hlen = XTCP_HDR_LEN + ((olen + 3) & ~3u);

	memset(b, 0, sizeof(b));
	base_header(b);
	b[12] = (hlen / 4) << 4 | XTCP_VERSION;
	b[13] = flags;
	memcpy(b + XTCP_HDR_LEN, opt, olen);
	return parse_exact(b, hlen, s);
}

UNIT_TEST(parse_options__mss_and_wscale_on_syn)
{
	const u8 opt[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 };
	struct xtcp_seg s;

	CHECK_EQ(parse_with_options(opt, sizeof(opt), XTCP_SYN, &s), XTCP_PARSE_OK);
	CHECK_EQ(s.mss, 1460);
	CHECK(s.has_wscale);
	CHECK_EQ(s.wscale, 7);
	CHECK_EQ(s.hlen, 28);
}

UNIT_TEST(parse_options__ignored_without_syn)
{
	const u8 opt[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 };
	struct xtcp_seg s;

	CHECK_EQ(parse_with_options(opt, sizeof(opt), XTCP_ACK, &s), XTCP_PARSE_OK);
	CHECK_EQ(s.mss, 0);
	CHECK(!s.has_wscale);
}

UNIT_TEST(parse_options__wscale_clamped_to_14)
{
	const u8 opt[] = { 3, 3, 200, 0 };
	struct xtcp_seg s;

	CHECK_EQ(parse_with_options(opt, sizeof(opt), XTCP_SYN, &s), XTCP_PARSE_OK);
	CHECK_EQ(s.wscale, XTCP_MAX_WSCALE);
}

UNIT_TEST(parse_options__bad_lengths)
{
	const u8 zero_len[] = { 9, 0, 0, 0 };
	const u8 one_len[] = { 9, 1, 0, 0 };
	const u8 overrun[] = { 9, 5, 0, 0 };
	const u8 kind_last[] = { 1, 1, 1, 9 };
	const u8 mss_len3[] = { 2, 3, 0, 0 };
	const u8 ws_len4[] = { 3, 4, 0, 0 };
	struct xtcp_seg s;

	CHECK_EQ(parse_with_options(zero_len, 4, XTCP_SYN, &s), XTCP_PARSE_BAD_OPTION);
	CHECK_EQ(parse_with_options(one_len, 4, XTCP_SYN, &s), XTCP_PARSE_BAD_OPTION);
	CHECK_EQ(parse_with_options(overrun, 4, XTCP_SYN, &s), XTCP_PARSE_BAD_OPTION);
	CHECK_EQ(parse_with_options(kind_last, 4, XTCP_SYN, &s), XTCP_PARSE_BAD_OPTION);
	CHECK_EQ(parse_with_options(mss_len3, 4, XTCP_SYN, &s), XTCP_PARSE_BAD_OPTION);
	CHECK_EQ(parse_with_options(ws_len4, 4, XTCP_SYN, &s), XTCP_PARSE_BAD_OPTION);
}

UNIT_TEST(parse_options__unknown_skipped_and_eol_stops)
{
	const u8 unknown[] = { 30, 6, 1, 2, 3, 4, 2, 4, 0x10, 0x00, 0, 0 };
	const u8 eol[] = { 0, 9, 0, 0 };	/* garbage after EOL */
	struct xtcp_seg s;

	CHECK_EQ(parse_with_options(unknown, sizeof(unknown), XTCP_SYN, &s),
		 XTCP_PARSE_OK);
	CHECK_EQ(s.mss, 0x1000);
	CHECK_EQ(parse_with_options(eol, sizeof(eol), XTCP_SYN, &s), XTCP_PARSE_OK);
}

UNIT_TEST(parse_options__sack_permitted_on_syn_only)
{
	const u8 perm[] = { 1, 1, 4, 2 };
	const u8 perm_len3[] = { 4, 3, 0, 1 };	/* malformed: ignored, as TCP */
	struct xtcp_seg s;

	CHECK_EQ(parse_with_options(perm, 4, XTCP_SYN, &s), XTCP_PARSE_OK);
	CHECK(s.sack_perm);
	CHECK_EQ(parse_with_options(perm, 4, XTCP_SYN | XTCP_ACK, &s), XTCP_PARSE_OK);
	CHECK(s.sack_perm);
	CHECK_EQ(parse_with_options(perm, 4, XTCP_ACK, &s), XTCP_PARSE_OK);
	CHECK(!s.sack_perm);
	CHECK_EQ(parse_with_options(perm_len3, 4, XTCP_SYN, &s), XTCP_PARSE_OK);
	CHECK(!s.sack_perm);
}

UNIT_TEST(parse_options__sack_blocks)
{
	const u8 two[] = { 1, 1, 5, 18,
			   0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x20, 0x00,
			   0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00 };
	const u8 bad_len[] = { 5, 9, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0 };
	const u8 empty[] = { 5, 2, 1, 1 };
	u8 four[36] = { 1, 1, 5, 34 }, twice[24] = { 5, 10 };
	struct xtcp_seg s;
	int i;

	CHECK_EQ(parse_with_options(two, sizeof(two), XTCP_ACK, &s), XTCP_PARSE_OK);
	CHECK_EQ(s.nr_sack, 2);
	CHECK_EQ(s.sack[0].start, 0x1000);
	CHECK_EQ(s.sack[0].end, 0x2000);
	CHECK_EQ(s.sack[1].start, 0xffffff00u);	/* across the wrap */
	CHECK_EQ(s.sack[1].end, 0x100);
	CHECK_EQ(s.hlen, 40);
	/* no meaning on a SYN: not taken */
	CHECK_EQ(parse_with_options(two, sizeof(two), XTCP_SYN | XTCP_ACK, &s),
		 XTCP_PARSE_OK);
	CHECK_EQ(s.nr_sack, 0);
	/* lengths that are not 2 + 8n with n >= 1: ignored, the rest parses */
	CHECK_EQ(parse_with_options(bad_len, sizeof(bad_len), XTCP_ACK, &s),
		 XTCP_PARSE_OK);
	CHECK_EQ(s.nr_sack, 0);
	CHECK_EQ(parse_with_options(empty, sizeof(empty), XTCP_ACK, &s), XTCP_PARSE_OK);
	CHECK_EQ(s.nr_sack, 0);
	/* four blocks, the most 40 bytes hold */
	for (i = 0; i < 32; i++)
		four[4 + i] = (u8)(i + 1);
	CHECK_EQ(parse_with_options(four, sizeof(four), XTCP_ACK, &s), XTCP_PARSE_OK);
	CHECK_EQ(s.nr_sack, 4);
	CHECK_EQ(s.sack[3].start, 0x191a1b1cu);
	CHECK_EQ(s.sack[3].end, 0x1d1e1f20u);
	/* two SACK options: the last counts */
	twice[2] = 7;
	twice[10] = 1;
	twice[11] = 1;
	twice[12] = 5;
	twice[13] = 10;
	twice[17] = 9;
	CHECK_EQ(parse_with_options(twice, 24, XTCP_ACK, &s), XTCP_PARSE_OK);
	CHECK_EQ(s.nr_sack, 1);
	CHECK_EQ(s.sack[0].start, 9);
}

UNIT_TEST(parse_options__timestamps_on_any_segment)
{
	const u8 ts[] = { 1, 1, 8, 10, 0x80, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe };
	const u8 ts_len9[] = { 8, 9, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0 };
	struct xtcp_seg s;

	CHECK_EQ(parse_with_options(ts, sizeof(ts), XTCP_ACK, &s), XTCP_PARSE_OK);
	CHECK(s.has_ts);
	CHECK_EQ(s.tsval, 0x80000001u);
	CHECK_EQ(s.tsecr, 0xfffffffeu);
	CHECK_EQ(parse_with_options(ts, sizeof(ts), XTCP_SYN, &s), XTCP_PARSE_OK);
	CHECK(s.has_ts);
	/* another length: ignored, as TCP ignores it */
	CHECK_EQ(parse_with_options(ts_len9, sizeof(ts_len9), XTCP_ACK, &s),
		 XTCP_PARSE_OK);
	CHECK(!s.has_ts);
	CHECK_EQ(s.tsval, 0);
}

UNIT_TEST(xtcp_parse__random_bytes_never_overrun)
{
	u8 b[XTCP_MAX_HDR_LEN + 16];
	struct xtcp_seg s;
	int i, ok = 0;

	for (i = 0; i < 300000; i++) {
		size_t len = rnd() % sizeof(b), j;
		int r;

		for (j = 0; j < len; j++)
			b[j] = rnd();
		if (len > 12 && (rnd() & 1))	/* reach the option parser often */
			b[12] = (b[12] & 0xf0) | XTCP_VERSION;
		r = parse_exact(b, len, &s);
		CHECK(r >= XTCP_PARSE_OK && r < XTCP_PARSE_MAX);
		if (r == XTCP_PARSE_OK) {
			ok++;
			CHECK(s.hlen >= XTCP_HDR_LEN && s.hlen <= len);
			CHECK_EQ(s.hlen % 4, 0);
			CHECK(s.wscale <= XTCP_MAX_WSCALE);
		}
	}
	CHECK(ok > 0);
}

/* ---- xtcp_build ---- */

UNIT_TEST(xtcp_build__round_trips_through_parse)
{
	static const u8 flag_sets[] = {
		XTCP_SYN, XTCP_SYN | XTCP_ACK, XTCP_ACK, XTCP_ACK | XTCP_PSH,
		XTCP_ACK | XTCP_FIN, XTCP_RST, XTCP_RST | XTCP_ACK,
	};
	int i;

	for (i = 0; i < 100000; i++) {
		struct xtcp_seg in = { 0 }, out;
		u8 b[XTCP_MAX_HDR_LEN];
		size_t hlen;
		int j;

		in.sport = rnd();
		in.dport = rnd();
		in.seq = rnd() ^ (rnd() << 16);
		in.ack = rnd() ^ (rnd() << 16);
		in.flags = flag_sets[rnd() % sizeof(flag_sets)];
		in.window = rnd();
		if (in.flags & XTCP_SYN) {
			in.mss = (rnd() & 1) ? 1 + rnd() % 0xffff : 0;
			in.has_wscale = rnd() & 1;
			in.wscale = in.has_wscale ? rnd() % 15 : 0;
			in.sack_perm = rnd() & 1;
		}
		in.has_ts = rnd() & 1;
		in.tsval = in.has_ts ? rnd() ^ (rnd() << 16) : 0;
		in.tsecr = in.has_ts ? rnd() ^ (rnd() << 16) : 0;
		if (!(in.flags & XTCP_SYN)) {
			/* beside timestamps, three blocks fit */
			in.nr_sack = rnd() % (XTCP_MAX_SACK_BLOCKS + !in.has_ts);
			for (j = 0; j < in.nr_sack; j++) {
				in.sack[j].start = rnd() ^ (rnd() << 16);
				in.sack[j].end = rnd() ^ (rnd() << 16);
			}
		}
		hlen = xtcp_build(b, sizeof(b), &in);
		CHECK_EQ(hlen, XTCP_HDR_LEN + (in.mss ? 4 : 0) + (in.has_wscale ? 4 : 0) +
			 (in.sack_perm ? 4 : 0) + (in.has_ts ? 12 : 0) +
			 (in.nr_sack ? 4 + 8 * in.nr_sack : 0));
		CHECK_EQ(parse_exact(b, hlen, &out), XTCP_PARSE_OK);
		CHECK_EQ(out.sport, in.sport);
		CHECK_EQ(out.dport, in.dport);
		CHECK_EQ(out.seq, in.seq);
		CHECK_EQ(out.ack, in.ack);
		CHECK_EQ(out.flags, in.flags);
		CHECK_EQ(out.window, in.window);
		CHECK_EQ(out.check, 0);
		CHECK_EQ(out.hlen, hlen);
		CHECK_EQ(out.mss, in.mss);
		CHECK_EQ(out.has_wscale, in.has_wscale);
		CHECK_EQ(out.wscale, in.wscale);
		CHECK_EQ(out.sack_perm, in.sack_perm);
		CHECK_EQ(out.has_ts, in.has_ts);
		CHECK_EQ(out.tsval, in.tsval);
		CHECK_EQ(out.tsecr, in.tsecr);
		CHECK_EQ(out.nr_sack, in.nr_sack);
		for (j = 0; j < in.nr_sack; j++) {
			CHECK_EQ(out.sack[j].start, in.sack[j].start);
			CHECK_EQ(out.sack[j].end, in.sack[j].end);
		}
	}
}

UNIT_TEST(xtcp_build__refuses_short_buffer)
{
	struct xtcp_seg in = { .flags = XTCP_SYN, .mss = 1460, .has_wscale = true };
	u8 b[XTCP_MAX_HDR_LEN];
	size_t cap;

	for (cap = 0; cap < 28; cap++)
		CHECK_EQ(xtcp_build(b, cap, &in), 0);
	CHECK_EQ(xtcp_build(b, 28, &in), 28);
}

UNIT_TEST(xtcp_build__refuses_options_past_40_bytes)
{
	struct xtcp_seg in = { .flags = XTCP_ACK, .nr_sack = 4 };
	u8 b[XTCP_MAX_HDR_LEN + 8];

	CHECK_EQ(xtcp_build(b, sizeof(b), &in), 56);
	in.nr_sack = 5;
	CHECK_EQ(xtcp_build(b, sizeof(b), &in), 0);
	in.nr_sack = 3;
	in.mss = 1460;
	CHECK_EQ(xtcp_build(b, sizeof(b), &in), 52);
	in.has_wscale = true;
	CHECK_EQ(xtcp_build(b, sizeof(b), &in), 56);
	in.sack_perm = true;
	CHECK_EQ(xtcp_build(b, sizeof(b), &in), 60);
	in.nr_sack = 4;
	CHECK_EQ(xtcp_build(b, sizeof(b), &in), 0);
	/* timestamps and three blocks: exactly 40 bytes; four: too many */
	memset(&in, 0, sizeof(in));
	in.flags = XTCP_ACK;
	in.has_ts = true;
	in.nr_sack = 3;
	CHECK_EQ(xtcp_build(b, sizeof(b), &in), 60);
	in.nr_sack = 4;
	CHECK_EQ(xtcp_build(b, sizeof(b), &in), 0);
}

/* ---- xtcp_paws_reject ---- */

UNIT_TEST(xtcp_paws_reject__older_tsval_only)
{
	static const struct {
		u8 flags;
		bool has_ts, ts_ok;
		u32 tsval, recent, idle;
		bool reject;
	} cases[] = {
		{ XTCP_ACK, true, true, 100, 100, 0, false },	/* equal: fine */
		{ XTCP_ACK, true, true, 101, 100, 0, false },
		{ XTCP_ACK, true, true, 99, 100, 0, true },	/* older */
		{ XTCP_ACK, true, true, 0xfffffff0u, 5, 0, true }, /* across wrap */
		{ XTCP_ACK, true, true, 5, 0xfffffff0u, 0, false },
		{ XTCP_ACK, true, true, 0x80000064u, 100, 0, true }, /* half-space */
		{ XTCP_ACK, false, true, 1, 100, 0, false },	/* no option */
		{ XTCP_ACK, true, false, 1, 100, 0, false },	/* not negotiated */
		{ XTCP_RST, true, true, 1, 100, 0, false },	/* R1: by seq only */
		{ XTCP_RST | XTCP_ACK, true, true, 1, 100, 0, false },
		{ XTCP_ACK, true, true, 1, 100, XTCP_PAWS_IDLE_S - 1, true },
		{ XTCP_ACK, true, true, 1, 100, XTCP_PAWS_IDLE_S, false }, /* stale */
		{ XTCP_SYN, true, true, 1, 100, 0, true },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct xtcp_seg s = {
			.flags = cases[i].flags, .has_ts = cases[i].has_ts,
			.tsval = cases[i].tsval,
		};

		CHECK_EQ(xtcp_paws_reject(&s, cases[i].ts_ok, cases[i].recent,
					  cases[i].idle), cases[i].reject);
	}
}

/* ---- xtcp_parse_result_name ---- */

UNIT_TEST(xtcp_parse_result_name__distinct_and_bounded)
{
	int i, j;

	for (i = 0; i < XTCP_PARSE_MAX; i++) {
		CHECK(strcmp(xtcp_parse_result_name(i), "unknown") != 0);
		for (j = 0; j < i; j++)
			CHECK(strcmp(xtcp_parse_result_name(i),
				     xtcp_parse_result_name(j)) != 0);
	}
	CHECK(strcmp(xtcp_parse_result_name(-1), "unknown") == 0);
	CHECK(strcmp(xtcp_parse_result_name(XTCP_PARSE_MAX), "unknown") == 0);
}

/* ---- checksum ---- */

/* Reference: the textbook loop, written independently of core.c's. */
static u16 ref_csum(const u8 *p, size_t len)
{
	u32 sum = 0;
	size_t i;

	for (i = 0; i < len; i++)
		sum += (i & 1) ? p[i] : (u32)p[i] << 8;
	while (sum > 0xffff)
		sum = (sum >> 16) + (sum & 0xffff);
	return (u16)~sum;
}

UNIT_TEST(xtcp_csum_add__rfc1071_example)
{
	/* RFC 1071 section 3: these bytes sum to ddf2. */
	const u8 b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	CHECK_EQ(xtcp_csum_fold(xtcp_csum_add(0, b, sizeof(b))), 0xffff & ~0xddf2);
}

UNIT_TEST(xtcp_csum_add__matches_reference_any_length)
{
	static u8 b[70000];
	size_t i;
	int n;

	for (i = 0; i < sizeof(b); i++)
		b[i] = rnd();
	for (n = 0; n < 2000; n++) {
		size_t len = rnd() % 1600;

		CHECK_EQ(xtcp_csum_fold(xtcp_csum_add(0, b, len)), ref_csum(b, len));
	}
	/* Long runs of 0xff carry through the 32-bit accumulator. */
	memset(b, 0xff, sizeof(b));
	CHECK_EQ(xtcp_csum_fold(xtcp_csum_add(0, b, sizeof(b))), ref_csum(b, sizeof(b)));
}

UNIT_TEST(xtcp_csum_add__chains_on_even_boundaries)
{
	u8 b[512];
	size_t i, cut;

	for (i = 0; i < sizeof(b); i++)
		b[i] = rnd();
	for (cut = 0; cut <= sizeof(b); cut += 2)
		CHECK_EQ(xtcp_csum_fold(xtcp_csum_add(xtcp_csum_add(0, b, cut),
						      b + cut, sizeof(b) - cut)),
			 ref_csum(b, sizeof(b)));
}

UNIT_TEST(xtcp_csum_fold__folds_carries)
{
	CHECK_EQ(xtcp_csum_fold(0), 0xffff);
	CHECK_EQ(xtcp_csum_fold(0xffff), 0);
	CHECK_EQ(xtcp_csum_fold(0x1fffe), 0);
	CHECK_EQ(xtcp_csum_fold(0xffffffffu), 0);
	CHECK_EQ(xtcp_csum_fold(0x12345), (u16)~0x2346);
}

UNIT_TEST(xtcp_csum_pseudo__layout)
{
	/* 10.0.0.1 -> 10.0.0.2, proto 253, length 20, summed by hand. */
	u32 want = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 0x00fd + 0x0014;

	CHECK_EQ(xtcp_csum_fold(xtcp_csum_pseudo(0x0a000001, 0x0a000002, 253, 20)),
		 (u16)~want);
}

/* A header (checksum field zero) and random payload, @n bytes in all. */
static void random_segment(u8 *b, size_t n)
{
	size_t i;

	base_header(b);
	b[16] = 0;
	b[17] = 0;
	for (i = XTCP_HDR_LEN; i < n; i++)
		b[i] = rnd();
}

UNIT_TEST(xtcp_csum_segment__verifies_to_zero_and_catches_bit_flips)
{
	u8 b[XTCP_HDR_LEN + 33];
	size_t bit;
	u16 c;

	random_segment(b, sizeof(b));
	c = xtcp_csum_segment(0x7f000001, 0x7f000001, 253, b, sizeof(b));
	b[16] = c >> 8;
	b[17] = c & 0xff;
	CHECK_EQ(xtcp_csum_segment(0x7f000001, 0x7f000001, 253, b, sizeof(b)), 0);
	for (bit = 0; bit < sizeof(b) * 8; bit++) {
		b[bit / 8] ^= 1 << (bit % 8);
		CHECK(xtcp_csum_segment(0x7f000001, 0x7f000001, 253, b, sizeof(b)) != 0);
		b[bit / 8] ^= 1 << (bit % 8);
	}
	/* The pseudo-header is covered: another address or protocol fails. */
	CHECK(xtcp_csum_segment(0x7f000002, 0x7f000001, 253, b, sizeof(b)) != 0);
	CHECK(xtcp_csum_segment(0x7f000001, 0x7f000001, 254, b, sizeof(b)) != 0);
}

/* 2001:db8::1 and 2001:db8::2 (RFC 3849's documentation prefix) */
static const u8 v6_a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const u8 v6_b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

UNIT_TEST(xtcp_csum_pseudo6__layout)
{
	/* RFC 8200 8.1, summed by hand; a length over 16 bits spans two words. */
	u32 want = 2 * (0x2001 + 0x0db8) + 0x0001 + 0x0002 + 0x00fd + 0x0014;
	u32 want_big = 2 * (0x2001 + 0x0db8) + 0x0001 + 0x0002 + 0x00fd +
		       0x0001 + 0x0014;

	CHECK_EQ(xtcp_csum_fold(xtcp_csum_pseudo6(v6_a, v6_b, 253, 20)),
		 (u16)~want);
	CHECK_EQ(xtcp_csum_fold(xtcp_csum_pseudo6(v6_a, v6_b, 253, 0x10014)),
		 (u16)~(want_big % 0xffff));
}

UNIT_TEST(xtcp_csum_segment6__verifies_to_zero_and_covers_every_address_bit)
{
	u8 b[XTCP_HDR_LEN + 33], s6[16], d6[16];
	size_t i, bit;
	u16 c;

	random_segment(b, sizeof(b));
	for (i = 0; i < 16; i++) {
		s6[i] = rnd();
		d6[i] = rnd();
	}
	c = xtcp_csum_segment6(s6, d6, 253, b, sizeof(b));
	b[16] = c >> 8;
	b[17] = c & 0xff;
	CHECK_EQ(xtcp_csum_segment6(s6, d6, 253, b, sizeof(b)), 0);
	for (bit = 0; bit < sizeof(b) * 8; bit++) {
		b[bit / 8] ^= 1 << (bit % 8);
		CHECK(xtcp_csum_segment6(s6, d6, 253, b, sizeof(b)) != 0);
		b[bit / 8] ^= 1 << (bit % 8);
	}
	/* Every bit of both addresses and of the protocol is covered. */
	for (bit = 0; bit < 128; bit++) {
		s6[bit / 8] ^= 1 << (bit % 8);
		CHECK(xtcp_csum_segment6(s6, d6, 253, b, sizeof(b)) != 0);
		s6[bit / 8] ^= 1 << (bit % 8);
		d6[bit / 8] ^= 1 << (bit % 8);
		CHECK(xtcp_csum_segment6(s6, d6, 253, b, sizeof(b)) != 0);
		d6[bit / 8] ^= 1 << (bit % 8);
	}
	CHECK(xtcp_csum_segment6(s6, d6, 254, b, sizeof(b)) != 0);
	/* Swapping source and destination keeps the sum: a reply reuses it. */
	CHECK_EQ(xtcp_csum_segment6(d6, s6, 253, b, sizeof(b)), 0);
}

UNIT_TEST(xtcp_csum_segment6__mapped_addresses_sum_as_ipv4)
{
	/*
	 * ::ffff:127.0.0.1 adds a 0xffff word per address to what IPv4's
	 * pseudo-header holds, and 0xffff is zero in ones' complement: a
	 * segment checksummed for IPv4 verifies over IPv6 with the mapped
	 * addresses.  The checksum does not keep a v4-mapped IPv6 packet out
	 * of the IPv4 connections; the receive path must drop it by address.
	 */
	static const u8 m[16] = { [10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1 };
	u8 b[XTCP_HDR_LEN];
	u16 c;

	base_header(b);
	b[16] = 0;
	b[17] = 0;
	c = xtcp_csum_segment(0x7f000001, 0x7f000001, 253, b, sizeof(b));
	b[16] = c >> 8;
	b[17] = c & 0xff;
	CHECK_EQ(xtcp_csum_segment(0x7f000001, 0x7f000001, 253, b, sizeof(b)), 0);
	CHECK_EQ(xtcp_csum_segment6(m, m, 253, b, sizeof(b)), 0);
}

/* ---- local addresses (core.c) ---- */

/* A socket's binding: address, bound through the IPv6 API, IPV6_V6ONLY. */
struct binding {
	u8 a[16];
	bool v6_api;
	bool v6only;
};

#define V6(last)	{ 0x20, 0x01, 0x0d, 0xb8, [15] = (last) }
#define V4(b0, b3)	{ [10] = 0xff, [11] = 0xff, [12] = (b0), [15] = (b3) }

static const u8 addr_universe[][16] = {
	{ 0 },			/* :: */
	{ [15] = 1 },		/* ::1 */
	V6(1), V6(2),		/* 2001:db8::1, ::2 */
	V4(0, 0),		/* ::ffff:0.0.0.0 */
	V4(127, 1), V4(10, 1),	/* ::ffff:127.0.0.1, ::ffff:10.0.0.1 */
};

/* Where segments can go: every unicast address above, and two others. */
static const u8 dest_universe[][16] = {
	{ [15] = 1 }, V6(1), V6(2), V6(3), V4(127, 1), V4(10, 1), V4(10, 9),
};

/* Every binding bind() allows over addr_universe; returns the count. */
static size_t all_bindings(struct binding *out)
{
	size_t n = 0, i;
	int api, only;

	for (i = 0; i < ARRAY_SIZE(addr_universe); i++)
		for (api = 0; api < 2; api++)
			for (only = 0; only < 2; only++) {
				bool mapped = xtcp_addr6_mapped(addr_universe[i]);

				if (!api && !mapped)
					continue;	/* AF_INET: IPv4 only */
				if (only && (!api || mapped))
					continue;	/* v6only: no IPv4 */
				memcpy(out[n].a, addr_universe[i], 16);
				out[n].v6_api = api;
				out[n].v6only = only;
				n++;
			}
	return n;
}

UNIT_TEST(xtcp_addr6_mapped_and_any__classify)
{
	static const u8 any[16], loop[16] = { [15] = 1 };
	static const u8 m0[16] = V4(0, 0), m1[16] = V4(127, 1), v6[16] = V6(1);
	static const u8 near[16] = { [9] = 1, [10] = 0xff, [11] = 0xff };
	static const u8 half[16] = { [10] = 0xff, [12] = 1 };

	CHECK(xtcp_addr6_any(any));
	CHECK(!xtcp_addr6_any(loop) && !xtcp_addr6_any(m0) && !xtcp_addr6_any(v6));
	CHECK(xtcp_addr6_mapped(m0) && xtcp_addr6_mapped(m1));
	CHECK(!xtcp_addr6_mapped(any) && !xtcp_addr6_mapped(loop));
	CHECK(!xtcp_addr6_mapped(v6) && !xtcp_addr6_mapped(near));
	CHECK(!xtcp_addr6_mapped(half));
}

/*
 * Two bindings overlap exactly when some destination reaches both
 * listeners (xtcp_listen_score() over dest_universe), for every pair of
 * bindings bind() allows; and the relation is symmetric and reflexive.
 */
UNIT_TEST(xtcp_addr_overlap__exactly_when_a_destination_reaches_both)
{
	struct binding b[ARRAY_SIZE(addr_universe) * 4];
	size_t n = all_bindings(b), i, j, d;

	CHECK_EQ(n, 14);	/* 4 IPv6 addresses x v6only, 3 IPv4 x API */
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++) {
			bool both = false, got;

			for (d = 0; d < ARRAY_SIZE(dest_universe); d++)
				both |= xtcp_listen_score(b[i].a, b[i].v6_api, b[i].v6only,
							  dest_universe[d]) &&
					xtcp_listen_score(b[j].a, b[j].v6_api, b[j].v6only,
							  dest_universe[d]);
			got = xtcp_addr_overlap(b[i].a, b[i].v6only, b[j].a, b[j].v6only);
			CHECK_EQ(got, both);
			CHECK_EQ(got, xtcp_addr_overlap(b[j].a, b[j].v6only,
							b[i].a, b[i].v6only));
			if (i == j)
				CHECK(got);
		}
}

/* Between IPv4 addresses it is the IPv4 rule the tables apply today. */
UNIT_TEST(xtcp_addr_overlap__ipv4_as_before)
{
	static const u8 v4[][4] = { { 0 }, { 127, 0, 0, 1 }, { 10, 0, 0, 1 },
				    { 10, 0, 0, 2 } };
	u8 a[16] = V4(0, 0), b[16] = V4(0, 0);
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(v4); i++)
		for (j = 0; j < ARRAY_SIZE(v4); j++) {
			bool x = v4[i][0] | v4[i][1] | v4[i][2] | v4[i][3];
			bool y = v4[j][0] | v4[j][1] | v4[j][2] | v4[j][3];
			bool same = !memcmp(v4[i], v4[j], 4);

			memcpy(a + 12, v4[i], 4);
			memcpy(b + 12, v4[j], 4);
			CHECK_EQ(xtcp_addr_overlap(a, false, b, false),
				 !(x && y && !same));
		}
}

UNIT_TEST(xtcp_listen_score__linux_order)
{
	static const u8 any6[16], m_any[16] = V4(0, 0), m10[16] = V4(10, 1);
	static const u8 m11[16] = V4(10, 2), a6[16] = V6(1), b6[16] = V6(2);

	/* over IPv4 to 10.0.0.1 */
	CHECK_EQ(xtcp_listen_score(m10, false, false, m10), 4);
	CHECK_EQ(xtcp_listen_score(m10, true, false, m10), 3);
	CHECK_EQ(xtcp_listen_score(m_any, false, false, m10), 2);
	CHECK_EQ(xtcp_listen_score(m_any, true, false, m10), 1);
	CHECK_EQ(xtcp_listen_score(any6, true, false, m10), 1);
	CHECK_EQ(xtcp_listen_score(any6, true, true, m10), 0);	/* v6only */
	CHECK_EQ(xtcp_listen_score(m11, false, false, m10), 0);
	CHECK_EQ(xtcp_listen_score(m11, true, false, m10), 0);
	CHECK_EQ(xtcp_listen_score(a6, true, false, m10), 0);
	/* over IPv6 to 2001:db8::1: IPv6-API listeners only */
	CHECK_EQ(xtcp_listen_score(a6, true, false, a6), 2);
	CHECK_EQ(xtcp_listen_score(a6, true, true, a6), 2);
	CHECK_EQ(xtcp_listen_score(any6, true, false, a6), 1);
	CHECK_EQ(xtcp_listen_score(any6, true, true, a6), 1);
	CHECK_EQ(xtcp_listen_score(b6, true, false, a6), 0);
	CHECK_EQ(xtcp_listen_score(m_any, true, false, a6), 0);
	CHECK_EQ(xtcp_listen_score(m_any, false, false, a6), 0);
}

/*
 * For every destination the best fit among all bindings is an exact
 * one when there is one, and a wildcard never ties with an exact one.
 */
UNIT_TEST(xtcp_listen_score__exact_before_wildcard)
{
	struct binding b[ARRAY_SIZE(addr_universe) * 4];
	size_t n = all_bindings(b), i, d;

	for (d = 0; d < ARRAY_SIZE(dest_universe); d++) {
		unsigned int best_exact = 0, best_wild = 0, sc;

		for (i = 0; i < n; i++) {
			sc = xtcp_listen_score(b[i].a, b[i].v6_api, b[i].v6only,
					       dest_universe[d]);
			if (!memcmp(b[i].a, dest_universe[d], 16))
				best_exact = sc > best_exact ? sc : best_exact;
			else if (sc > best_wild)
				best_wild = sc;
		}
		if (best_exact)
			CHECK(best_exact > best_wild);
		CHECK(best_wild > 0);	/* :: or IPv4's wildcard takes it */
	}
}

/* ---- states ---- */

UNIT_TEST(xtcp_state_valid__exactly_the_eleven_states)
{
	int s, n = 0;

	for (s = -2; s < XTCP_MAX_STATES + 3; s++)
		n += xtcp_state_valid(s);
	CHECK_EQ(n, 11);
	CHECK(!xtcp_state_valid(0));
	CHECK(xtcp_state_valid(XTCP_ESTABLISHED));
	CHECK(xtcp_state_valid(XTCP_CLOSING));
}

UNIT_TEST(xtcp_state_name__names_of_the_diagram)
{
	CHECK(!strcmp(xtcp_state_name(XTCP_ESTABLISHED), "ESTABLISHED"));
	CHECK(!strcmp(xtcp_state_name(XTCP_SYN_SENT), "SYN_SENT"));
	CHECK(!strcmp(xtcp_state_name(XTCP_SYN_RECV), "SYN_RCVD"));
	CHECK(!strcmp(xtcp_state_name(XTCP_FIN_WAIT1), "FIN_WAIT_1"));
	CHECK(!strcmp(xtcp_state_name(XTCP_FIN_WAIT2), "FIN_WAIT_2"));
	CHECK(!strcmp(xtcp_state_name(XTCP_TIME_WAIT), "TIME_WAIT"));
	CHECK(!strcmp(xtcp_state_name(XTCP_CLOSE), "CLOSED"));
	CHECK(!strcmp(xtcp_state_name(XTCP_CLOSE_WAIT), "CLOSE_WAIT"));
	CHECK(!strcmp(xtcp_state_name(XTCP_LAST_ACK), "LAST_ACK"));
	CHECK(!strcmp(xtcp_state_name(XTCP_LISTEN), "LISTEN"));
	CHECK(!strcmp(xtcp_state_name(XTCP_CLOSING), "CLOSING"));
	CHECK(!strcmp(xtcp_state_name(0), "UNKNOWN"));
	CHECK(!strcmp(xtcp_state_name(-1), "UNKNOWN"));
	CHECK(!strcmp(xtcp_state_name(XTCP_MAX_STATES), "UNKNOWN"));
}

UNIT_TEST(xtcp_state_name__numbers_match_linux_tcp)
{
	/* /proc/net/xtcp's st column reads like /proc/net/tcp's. */
	CHECK_EQ(XTCP_ESTABLISHED, 1);
	CHECK_EQ(XTCP_SYN_SENT, 2);
	CHECK_EQ(XTCP_SYN_RECV, 3);
	CHECK_EQ(XTCP_FIN_WAIT1, 4);
	CHECK_EQ(XTCP_FIN_WAIT2, 5);
	CHECK_EQ(XTCP_TIME_WAIT, 6);
	CHECK_EQ(XTCP_CLOSE, 7);
	CHECK_EQ(XTCP_CLOSE_WAIT, 8);
	CHECK_EQ(XTCP_LAST_ACK, 9);
	CHECK_EQ(XTCP_LISTEN, 10);
	CHECK_EQ(XTCP_CLOSING, 11);
}

/* The diagram's edges, listed independently of core.c's bit table. */
static const int edges[][2] = {
	{ XTCP_CLOSE, XTCP_LISTEN }, { XTCP_CLOSE, XTCP_SYN_SENT },
	{ XTCP_LISTEN, XTCP_SYN_RECV }, { XTCP_LISTEN, XTCP_CLOSE },
	{ XTCP_SYN_SENT, XTCP_ESTABLISHED }, { XTCP_SYN_SENT, XTCP_SYN_RECV },
	{ XTCP_SYN_SENT, XTCP_CLOSE },
	{ XTCP_SYN_RECV, XTCP_ESTABLISHED }, { XTCP_SYN_RECV, XTCP_FIN_WAIT1 },
	{ XTCP_SYN_RECV, XTCP_CLOSE },
	{ XTCP_ESTABLISHED, XTCP_FIN_WAIT1 }, { XTCP_ESTABLISHED, XTCP_CLOSE_WAIT },
	{ XTCP_ESTABLISHED, XTCP_CLOSE },
	{ XTCP_FIN_WAIT1, XTCP_FIN_WAIT2 }, { XTCP_FIN_WAIT1, XTCP_CLOSING },
	{ XTCP_FIN_WAIT1, XTCP_TIME_WAIT }, { XTCP_FIN_WAIT1, XTCP_CLOSE },
	{ XTCP_FIN_WAIT2, XTCP_TIME_WAIT }, { XTCP_FIN_WAIT2, XTCP_CLOSE },
	{ XTCP_CLOSING, XTCP_TIME_WAIT }, { XTCP_CLOSING, XTCP_CLOSE },
	{ XTCP_CLOSE_WAIT, XTCP_LAST_ACK }, { XTCP_CLOSE_WAIT, XTCP_CLOSE },
	{ XTCP_LAST_ACK, XTCP_CLOSE },
	{ XTCP_TIME_WAIT, XTCP_CLOSE },
};

UNIT_TEST(xtcp_edge_legal__every_pair)
{
	int from, to, n = 0;

	for (from = -1; from <= XTCP_MAX_STATES; from++)
		for (to = -1; to <= XTCP_MAX_STATES; to++) {
			int want = 0;
			size_t i;

			for (i = 0; i < ARRAY_SIZE(edges); i++)
				if (edges[i][0] == from && edges[i][1] == to)
					want = 1;
			CHECK_EQ(xtcp_edge_legal(from, to), want);
			n += want;
		}
	CHECK_EQ(n, (int)ARRAY_SIZE(edges));
}

/* Depth-first reachability over xtcp_edge_legal(). */
static void reach(int from, int *seen, int reverse)
{
	int s;

	seen[from] = 1;
	for (s = XTCP_ESTABLISHED; s < XTCP_MAX_STATES; s++)
		if (!seen[s] && (reverse ? xtcp_edge_legal(s, from)
					 : xtcp_edge_legal(from, s)))
			reach(s, seen, reverse);
}

UNIT_TEST(xtcp_edge_legal__diagram_is_connected_through_closed)
{
	int fwd[XTCP_MAX_STATES] = { 0 }, back[XTCP_MAX_STATES] = { 0 };
	int s;

	reach(XTCP_CLOSE, fwd, 0);
	reach(XTCP_CLOSE, back, 1);
	for (s = XTCP_ESTABLISHED; s < XTCP_MAX_STATES; s++) {
		CHECK(fwd[s]);		/* every state can be entered */
		CHECK(back[s]);		/* every state can end */
		CHECK(!xtcp_edge_legal(s, s));
	}
	for (s = XTCP_ESTABLISHED; s < XTCP_MAX_STATES; s++)
		CHECK_EQ(xtcp_edge_legal(XTCP_TIME_WAIT, s), s == XTCP_CLOSE);
}

/* ---- the close half: events and the states they lead to ---- */

/* What each event does, listed independently of core.c's switches. */
static int want_on_close(int s)
{
	return s == XTCP_ESTABLISHED || s == XTCP_SYN_RECV ? XTCP_FIN_WAIT1 :
	       s == XTCP_CLOSE_WAIT ? XTCP_LAST_ACK : s;
}

static int want_on_fin(int s, int acked)
{
	if (s == XTCP_ESTABLISHED)
		return XTCP_CLOSE_WAIT;
	if (s == XTCP_FIN_WAIT1)
		return acked ? XTCP_TIME_WAIT : XTCP_CLOSING;
	if (s == XTCP_FIN_WAIT2)
		return XTCP_TIME_WAIT;
	return s;
}

static int want_on_fin_acked(int s)
{
	return s == XTCP_FIN_WAIT1 ? XTCP_FIN_WAIT2 :
	       s == XTCP_CLOSING ? XTCP_TIME_WAIT :
	       s == XTCP_LAST_ACK ? XTCP_CLOSE : s;
}

UNIT_TEST(close_events__every_state)
{
	int s, acked;

	for (s = -1; s <= XTCP_MAX_STATES; s++) {
		CHECK_EQ(xtcp_state_on_close(s), want_on_close(s));
		CHECK_EQ(xtcp_state_on_fin_acked(s), want_on_fin_acked(s));
		for (acked = 0; acked <= 1; acked++)
			CHECK_EQ(xtcp_state_on_fin(s, acked), want_on_fin(s, acked));
	}
}

UNIT_TEST(close_events__only_legal_edges)
{
	int s, acked, t;

	for (s = XTCP_ESTABLISHED; s < XTCP_MAX_STATES; s++) {
		t = xtcp_state_on_close(s);
		CHECK(t == s || xtcp_edge_legal(s, t));
		t = xtcp_state_on_fin_acked(s);
		CHECK(t == s || xtcp_edge_legal(s, t));
		for (acked = 0; acked <= 1; acked++) {
			t = xtcp_state_on_fin(s, acked);
			CHECK(t == s || xtcp_edge_legal(s, t));
		}
	}
}

/*
 * Every way a connection can close, as sequences of events from
 * ESTABLISHED, ends in TIME_WAIT (the side whose FIN went first, or both
 * in a simultaneous close) or CLOSED (the side that answered).
 */
UNIT_TEST(close_events__the_four_closes)
{
	int s;

	/* active: close, ACK of our FIN, their FIN */
	s = xtcp_state_on_close(XTCP_ESTABLISHED);
	CHECK_EQ(s, XTCP_FIN_WAIT1);
	s = xtcp_state_on_fin_acked(s);
	CHECK_EQ(s, XTCP_FIN_WAIT2);
	CHECK_EQ(xtcp_state_on_fin(s, 1), XTCP_TIME_WAIT);
	/* active, their FIN and the ACK of ours in one segment */
	CHECK_EQ(xtcp_state_on_fin(XTCP_FIN_WAIT1, 1), XTCP_TIME_WAIT);
	/* simultaneous: the FINs cross */
	s = xtcp_state_on_fin(XTCP_FIN_WAIT1, 0);
	CHECK_EQ(s, XTCP_CLOSING);
	CHECK_EQ(xtcp_state_on_fin_acked(s), XTCP_TIME_WAIT);
	/* passive: their FIN, our close, the ACK of our FIN */
	s = xtcp_state_on_fin(XTCP_ESTABLISHED, 0);
	CHECK_EQ(s, XTCP_CLOSE_WAIT);
	CHECK_EQ(xtcp_state_on_fin(s, 0), XTCP_CLOSE_WAIT);	/* FIN again */
	s = xtcp_state_on_close(s);
	CHECK_EQ(s, XTCP_LAST_ACK);
	CHECK_EQ(xtcp_state_on_fin_acked(s), XTCP_CLOSE);
}

/* The TIME_WAIT verdict, listed independently of core.c. */
static int want_tw(unsigned int flags, s32 seq_off, u32 len)
{
	int syn = !!(flags & XTCP_SYN), fin = !!(flags & XTCP_FIN);
	long long end_off = (long long)seq_off + len + syn + fin;

	if (flags & XTCP_RST)
		return XTCP_TW_RST_IGNORE;
	if (syn && !(flags & XTCP_ACK) && seq_off > 0)
		return XTCP_TW_NEW_SYN;
	if (fin && !syn && end_off == 0)
		return XTCP_TW_FIN_ACK;
	if (!syn && !fin && seq_off == 0 && end_off == 0)
		return XTCP_TW_DROP;
	return XTCP_TW_ACK;
}

UNIT_TEST(xtcp_tw_classify__every_flag_byte_and_position)
{
	static const s32 offs[] = {
		-100000, -1461, -2, -1, 0, 1, 2, 1460, 100000, 0x7fffffff,
	};
	static const u32 lens[] = { 0, 1, 1460 };
	static const u32 bases[] = { 0, 1, 0x7fffffff, 0x80000000, 0xffffffff };
	unsigned int flags;
	size_t b, o, l;

	for (flags = 0; flags < 256; flags++)
		for (b = 0; b < ARRAY_SIZE(bases); b++)
			for (o = 0; o < ARRAY_SIZE(offs); o++)
				for (l = 0; l < ARRAY_SIZE(lens); l++) {
					u32 rcv = bases[b];
					u32 seq = rcv + (u32)offs[o];
					u32 end = seq + lens[l] +
						!!(flags & XTCP_SYN) + !!(flags & XTCP_FIN);

					CHECK_EQ((int)xtcp_tw_classify(flags, seq, end, rcv, NULL),
						 want_tw(flags, offs[o], lens[l]));
				}
}

UNIT_TEST(xtcp_tw_classify__the_cases_by_name)
{
	const u32 rcv = 5000;

	/* the peer's FIN again: it occupies rcv - 1 */
	CHECK_EQ(xtcp_tw_classify(XTCP_FIN | XTCP_ACK, rcv - 1, rcv, rcv, NULL), XTCP_TW_FIN_ACK);
	/* with the last bytes of data in front of it */
	CHECK_EQ(xtcp_tw_classify(XTCP_FIN | XTCP_ACK, rcv - 11, rcv, rcv, NULL), XTCP_TW_FIN_ACK);
	/* RFC 1337: an in-window RST, an exact one, an old one: all ignored */
	CHECK_EQ(xtcp_tw_classify(XTCP_RST, rcv, rcv, rcv, NULL), XTCP_TW_RST_IGNORE);
	CHECK_EQ(xtcp_tw_classify(XTCP_RST | XTCP_ACK, rcv - 7, rcv - 7, rcv, NULL),
		 XTCP_TW_RST_IGNORE);
	/* a new incarnation's SYN: above; an old duplicate SYN: at or below */
	CHECK_EQ(xtcp_tw_classify(XTCP_SYN, rcv + 1000, rcv + 1001, rcv, NULL), XTCP_TW_NEW_SYN);
	CHECK_EQ(xtcp_tw_classify(XTCP_SYN, rcv, rcv + 1, rcv, NULL), XTCP_TW_ACK);
	CHECK_EQ(xtcp_tw_classify(XTCP_SYN, rcv - 1000, rcv - 999, rcv, NULL), XTCP_TW_ACK);
	CHECK_EQ(xtcp_tw_classify(XTCP_SYN | XTCP_ACK, rcv + 1000, rcv + 1001, rcv, NULL),
		 XTCP_TW_ACK);
	/* a duplicate of the last ACK: quiet; old data: answered */
	CHECK_EQ(xtcp_tw_classify(XTCP_ACK, rcv, rcv, rcv, NULL), XTCP_TW_DROP);
	CHECK_EQ(xtcp_tw_classify(XTCP_ACK, rcv - 100, rcv - 50, rcv, NULL), XTCP_TW_ACK);
	CHECK_EQ(xtcp_tw_classify(XTCP_ACK, rcv, rcv + 10, rcv, NULL), XTCP_TW_ACK);
}

/* RFC 6191 2: a SYN reopens a TIME_WAIT tuple by timestamp. */
static int want_tw_syn(bool tw_ts, bool syn_ts, s32 ts_off, s32 seq_off)
{
	bool ok;

	if (!syn_ts)
		ok = seq_off > 0;	/* the new connection has none */
	else if (!tw_ts)
		ok = true;		/* PAWS will tell the two apart */
	else
		ok = ts_off > 0 || (ts_off == 0 && seq_off > 0);
	return ok ? XTCP_TW_NEW_SYN : XTCP_TW_ACK;
}

UNIT_TEST(xtcp_tw_classify__syn_by_timestamp)
{
	static const s32 offs[] = { -0x7fffffff, -1000, -1, 0, 1, 1000, 0x7fffffff };
	static const u32 recents[] = { 0, 1, 0x7fffffff, 0x80000000, 0xffffffff };
	const u32 rcv = 0xfffffff0u;
	size_t r, t, q;
	int both;

	for (both = 0; both < 4; both++)
		for (r = 0; r < ARRAY_SIZE(recents); r++)
			for (t = 0; t < ARRAY_SIZE(offs); t++)
				for (q = 0; q < ARRAY_SIZE(offs); q++) {
					struct xtcp_tw_ts ts = {
						.tw_ts = both & 1,
						.ts_recent = recents[r],
						.syn_ts = both & 2,
						.tsval = recents[r] + (u32)offs[t],
					};
					u32 seq = rcv + (u32)offs[q];

					CHECK_EQ((int)xtcp_tw_classify(XTCP_SYN, seq, seq + 1,
								       rcv, &ts),
						 want_tw_syn(ts.tw_ts, ts.syn_ts,
							     offs[t], offs[q]));
					/* never for a SYN+ACK, always for an RST */
					CHECK_EQ(xtcp_tw_classify(XTCP_SYN | XTCP_ACK, seq,
								  seq + 1, rcv, &ts),
						 XTCP_TW_ACK);
					CHECK_EQ(xtcp_tw_classify(XTCP_SYN | XTCP_RST, seq,
								  seq + 1, rcv, &ts),
						 XTCP_TW_RST_IGNORE);
				}
	/* by name: a reused port whose ISN fell below the old one's end */
	{
		struct xtcp_tw_ts ts = {
			.tw_ts = true, .ts_recent = 5000, .syn_ts = true, .tsval = 5001,
		};

		CHECK_EQ(xtcp_tw_classify(XTCP_SYN, 100, 101, 90000, &ts),
			 XTCP_TW_NEW_SYN);
		ts.tsval = 4999;	/* an old duplicate SYN, seq or not */
		CHECK_EQ(xtcp_tw_classify(XTCP_SYN, 95000, 95001, 90000, &ts),
			 XTCP_TW_ACK);
		ts.syn_ts = false;	/* without timestamps: by sequence */
		CHECK_EQ(xtcp_tw_classify(XTCP_SYN, 95000, 95001, 90000, &ts),
			 XTCP_TW_NEW_SYN);
		CHECK_EQ(xtcp_tw_classify(XTCP_SYN, 100, 101, 90000, &ts),
			 XTCP_TW_ACK);
	}
}

/* ---- SYN cookies ---- */

/* The MSS table, listed here independently of core.c. */
static const u16 want_mss_table[XTCP_COOKIE_MSS_NUM] = {
	496, 1200, 1360, 1420, 1440, 1460, 8920, 65456,
};

UNIT_TEST(xtcp_cookie_mss__the_table_and_beyond)
{
	unsigned int i;

	for (i = 0; i < XTCP_COOKIE_MSS_NUM; i++) {
		CHECK_EQ(xtcp_cookie_mss(i), want_mss_table[i]);
		if (i)
			CHECK(xtcp_cookie_mss(i - 1) < xtcp_cookie_mss(i));
	}
	for (i = XTCP_COOKIE_MSS_NUM; i < 300; i++)
		CHECK_EQ(xtcp_cookie_mss(i), 0);
	CHECK_EQ(xtcp_cookie_mss(~0u), 0);
}

/* The entry a peer's MSS must get: the largest not above it, else the first. */
static unsigned int want_mss_index(unsigned int mss)
{
	unsigned int i, best = 0;

	if (!mss)
		mss = 536;
	for (i = 0; i < XTCP_COOKIE_MSS_NUM; i++)
		if (want_mss_table[i] <= mss)
			best = i;
	return best;
}

UNIT_TEST(xtcp_cookie_mss_index__every_mss)
{
	unsigned int mss;

	for (mss = 0; mss <= 0xffff; mss++) {
		unsigned int i = xtcp_cookie_mss_index(mss);

		CHECK_EQ(i, want_mss_index(mss));
		/* never more than the peer takes, unless below the whole table */
		if (mss >= want_mss_table[0])
			CHECK(xtcp_cookie_mss(i) <= mss);
	}
	CHECK_EQ(xtcp_cookie_mss(xtcp_cookie_mss_index(0)), 496);	/* 536: none sent */
	CHECK_EQ(xtcp_cookie_mss(xtcp_cookie_mss_index(1450)), 1440);
	CHECK_EQ(xtcp_cookie_mss(xtcp_cookie_mss_index(65456)), 65456);
	CHECK_EQ(xtcp_cookie_mss(xtcp_cookie_mss_index(65535)), 65456);
	CHECK_EQ(xtcp_cookie_mss(xtcp_cookie_mss_index(100)), 496);
}

/* A stand-in for the module's keyed hash: every input bit matters. */
static u32 toy_hash(u32 a, u32 b, u32 c)
{
	u64 x = ((u64)a << 32 | b) ^ ((u64)c * 0x9e3779b97f4a7c15ull);

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return (u32)x;
}

static u32 toy_mac(u32 conn, const struct xtcp_cookie *c)
{
	return toy_hash(conn, c->count, xtcp_cookie_fields(c));
}

/* Does @cookie pass both checks, as the module would run them? */
static bool cookie_valid(u32 cookie, u32 base, u32 conn, u32 now,
			 struct xtcp_cookie *out)
{
	if (!xtcp_cookie_decode(cookie, base, now, out))
		return false;
	return xtcp_cookie_mac_ok(cookie, base, toy_mac(conn, out));
}

UNIT_TEST(xtcp_cookie_fields__packs_and_clamps)
{
	struct xtcp_cookie c = { .mss_idx = 5, .wscale = 9, .has_wscale = true };

	CHECK_EQ(xtcp_cookie_fields(&c), 5 << 4 | 9);
	c.has_wscale = false;
	CHECK_EQ(xtcp_cookie_fields(&c), 5 << 4 | XTCP_COOKIE_NO_WSCALE);
	c.has_wscale = true;
	c.wscale = 200;
	CHECK_EQ(xtcp_cookie_fields(&c), 5 << 4 | XTCP_MAX_WSCALE);
	c.mss_idx = 7;
	c.wscale = 0;
	CHECK_EQ(xtcp_cookie_fields(&c), 7 << 4);
}

/* The contents number @i of the 8 * 16 MSS and window-scale combinations. */
static struct xtcp_cookie cookie_of(unsigned int i, u32 count)
{
	unsigned int w = i % (XTCP_MAX_WSCALE + 2);
	struct xtcp_cookie c = {
		.count = count,
		.mss_idx = i / (XTCP_MAX_WSCALE + 2),
		.wscale = w <= XTCP_MAX_WSCALE ? w : 0,
		.has_wscale = w <= XTCP_MAX_WSCALE,
	};

	return c;
}

#define COOKIE_COMBOS	(XTCP_COOKIE_MSS_NUM * (XTCP_MAX_WSCALE + 2))

/* One cookie made, then checked at every age from 0 to 19 steps. */
static void round_trip(const struct xtcp_cookie *c, u32 base, u32 conn)
{
	u32 cookie = xtcp_cookie_make(base, toy_mac(conn, c), c);
	struct xtcp_cookie got;
	unsigned int age;

	for (age = 0; age < 20; age++) {
		bool ok;

		memset(&got, 0xee, sizeof(got));
		ok = cookie_valid(cookie, base, conn, c->count + age, &got);
		/* ages 8.. alias 0.. in the low bits: refused by the mac */
		if (age < XTCP_COOKIE_MAX_AGE) {
			CHECK(ok);
			CHECK_EQ(got.count, c->count);
			CHECK_EQ(got.mss_idx, c->mss_idx);
			CHECK_EQ(got.has_wscale, c->has_wscale);
			CHECK_EQ(got.wscale, c->wscale);
		} else {
			CHECK(!ok);
		}
	}
	/* made "in the future" (the clock moved back): refused */
	CHECK(!cookie_valid(cookie, base, conn, c->count - 1, &got));
	/* another connection: another base, or another hash input */
	CHECK(!cookie_valid(cookie, base + 1, conn, c->count, &got));
	CHECK(!cookie_valid(cookie, base, conn + 1, c->count, &got));
}

/*
 * Every MSS index, every window scale (and none), counters across the
 * 32-bit wrap and every age: a cookie comes back with what it carried
 * while it is younger than XTCP_COOKIE_MAX_AGE steps, never after.
 */
UNIT_TEST(xtcp_cookie__round_trip_every_field_and_age)
{
	static const u32 counts[] = { 0, 1, 6, 7, 8, 0x12345, 0x7fffffff,
				      0xfffffff8, 0xfffffffe, 0xffffffff };
	static const u32 bases[] = { 0, 1, 0x80000000, 0xffffffff, 0x5bd1e995 };
	unsigned int i, n = ARRAY_SIZE(counts) * ARRAY_SIZE(bases) * COOKIE_COMBOS;

	for (i = 0; i < n; i++) {
		unsigned int ci = i / (ARRAY_SIZE(bases) * COOKIE_COMBOS);
		unsigned int bi = i / COOKIE_COMBOS % ARRAY_SIZE(bases);
		struct xtcp_cookie c = cookie_of(i % COOKIE_COMBOS, counts[ci]);

		round_trip(&c, bases[bi], bases[bi] * 31 + ci);
	}
}

/* Whatever one bit of a valid cookie is flipped to, it is refused. */
UNIT_TEST(xtcp_cookie__every_single_bit_flip_is_refused)
{
	unsigned int i, bit;

	for (i = 0; i < 64 * COOKIE_COMBOS; i++) {
		struct xtcp_cookie c = cookie_of(i % COOKIE_COMBOS, rnd());
		u32 base = rnd() ^ rnd() << 16, conn = rnd(), now = c.count + (i & 1);
		u32 cookie = xtcp_cookie_make(base, toy_mac(conn, &c), &c);
		struct xtcp_cookie got;

		CHECK(cookie_valid(cookie, base, conn, now, &got));
		for (bit = 0; bit < 32; bit++)
			CHECK(!cookie_valid(cookie ^ 1u << bit, base, conn, now, &got));
	}
}

/* Every value of the 10 field bits decodes; the mac bits are compared. */
UNIT_TEST(xtcp_cookie_decode__every_field_value)
{
	unsigned int top, now;

	for (top = 0; top < 1024; top++)
		for (now = 0; now < 16; now++) {
			u32 v = top << 22 | 0x2aaaaa;
			unsigned int t = top >> 7, ws = top & 0xf;
			struct xtcp_cookie c = { 0 };
			bool ok = xtcp_cookie_decode(v + 77, 77, now, &c);
			unsigned int age = (now - t) & 7;

			CHECK_EQ(ok, age < XTCP_COOKIE_MAX_AGE);
			if (!ok)
				continue;
			CHECK_EQ(c.count, now - age);
			CHECK_EQ(c.mss_idx, top >> 4 & 7);
			CHECK_EQ(c.has_wscale, ws != XTCP_COOKIE_NO_WSCALE);
			CHECK_EQ(c.wscale, ws == XTCP_COOKIE_NO_WSCALE ? 0 : ws);
			CHECK(xtcp_cookie_mac_ok(v + 77, 77, 0x2aaaaa));
			CHECK(xtcp_cookie_mac_ok(v + 77, 77, 0xffc00000 | 0x2aaaaa));
			CHECK(!xtcp_cookie_mac_ok(v + 77, 77, 0x2aaaab));
		}
}
