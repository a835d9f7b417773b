// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the receiver's SACK blocks and of RACK (module/sack.c),
 * compiled in user space against the source the module builds: RFC 2018's
 * examples, D-SACK (RFC 2883), random arrivals checked against a model of
 * the data held, at sequence numbers around the 2^32 wrap; the sender's
 * reading of an ACK's blocks (D-SACK, validity, clipping, order); RACK's
 * reference, loss verdicts, reordering window and its widening by D-SACKs
 * (RFC 8985) and by measured late arrivals.
 */
#include <string.h>

#include "module/sack.h"
#include "tests/unit/unit.h"

static const u32 bases[] = { 0, 5000, 0x7fffff00u, 0xffffff00u, 0xfffffff0u };

static unsigned int blocks(struct xtcp_sack_rcv *r, struct xtcp_sack_block *b)
{
	memset(b, 0xa5, sizeof(*b) * XTCP_MAX_SACK_BLOCKS);
	return xtcp_sack_rcv_blocks(r, b, XTCP_MAX_SACK_BLOCKS);
}

/*
 * RFC 2018 section 5, case 3: segments of 500 bytes from 5000, the first
 * lost; then the second, fourth, sixth and eighth also lost.  Each ACK's
 * blocks, the triggering segment's block first.
 */
UNIT_TEST(xtcp_sack_rcv__rfc2018_case_3)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(bases); k++) {
		u32 o = bases[k] - 5000;	/* the RFC's numbers, moved */
		struct xtcp_sack_block b[XTCP_MAX_SACK_BLOCKS];
		struct xtcp_sack_rcv r;

		xtcp_sack_rcv_init(&r);
		CHECK_EQ(blocks(&r, b), 0);
		xtcp_sack_rcv_ooo(&r, o + 6000, o + 6500);	/* the 3rd */
		CHECK_EQ(blocks(&r, b), 1);
		CHECK_EQ(b[0].start, o + 6000);
		CHECK_EQ(b[0].end, o + 6500);
		xtcp_sack_rcv_ooo(&r, o + 7000, o + 7500);	/* the 5th */
		CHECK_EQ(blocks(&r, b), 2);
		CHECK_EQ(b[0].start, o + 7000);
		CHECK_EQ(b[1].start, o + 6000);
		xtcp_sack_rcv_ooo(&r, o + 8000, o + 8500);	/* the 7th */
		xtcp_sack_rcv_ooo(&r, o + 9000, o + 9500);	/* the 9th */
		CHECK_EQ(blocks(&r, b), 4);
		CHECK_EQ(b[0].start, o + 9000);
		CHECK_EQ(b[0].end, o + 9500);
		CHECK_EQ(b[1].start, o + 8000);
		CHECK_EQ(b[2].start, o + 7000);
		CHECK_EQ(b[3].start, o + 6000);
		/* the 4th arrives: it joins the 3rd and the 5th, at the front */
		xtcp_sack_rcv_ooo(&r, o + 6500, o + 7000);
		CHECK_EQ(blocks(&r, b), 3);
		CHECK_EQ(b[0].start, o + 6000);
		CHECK_EQ(b[0].end, o + 7500);
		CHECK_EQ(b[1].start, o + 9000);
		CHECK_EQ(b[2].start, o + 8000);
		/* the first (5000) arrives: RCV.NXT moves to 5500, no change */
		xtcp_sack_rcv_nxt(&r, o + 5500);
		CHECK_EQ(blocks(&r, b), 3);
		/* the 2nd too: RCV.NXT jumps past the first block */
		xtcp_sack_rcv_nxt(&r, o + 7500);
		CHECK_EQ(blocks(&r, b), 2);
		CHECK_EQ(b[0].start, o + 9000);
		CHECK_EQ(b[1].start, o + 8000);
		xtcp_sack_rcv_nxt(&r, o + 9500);
		CHECK_EQ(blocks(&r, b), 0);
	}
}

UNIT_TEST(xtcp_sack_rcv__fifth_run_forgets_the_least_recent)
{
	struct xtcp_sack_block b[XTCP_MAX_SACK_BLOCKS];
	struct xtcp_sack_rcv r;
	u32 i;

	xtcp_sack_rcv_init(&r);
	for (i = 1; i <= 5; i++)
		xtcp_sack_rcv_ooo(&r, 1000 * i, 1000 * i + 100);
	CHECK_EQ(blocks(&r, b), 4);
	for (i = 0; i < 4; i++)
		CHECK_EQ(b[i].start, 1000 * (5 - i));
	/* a segment touching the oldest kept block brings it forward */
	xtcp_sack_rcv_ooo(&r, 2100, 2200);
	CHECK_EQ(blocks(&r, b), 4);
	CHECK_EQ(b[0].start, 2000);
	CHECK_EQ(b[0].end, 2200);
	CHECK_EQ(b[1].start, 5000);
	/* fewer slots (beside timestamps): the most recent three */
	CHECK_EQ(xtcp_sack_rcv_blocks(&r, b, 3), 3);
	CHECK_EQ(b[2].start, 4000);
	CHECK_EQ(xtcp_sack_rcv_blocks(&r, b, 0), 0);
}

UNIT_TEST(xtcp_sack_rcv__overlaps_and_empty_ranges)
{
	struct xtcp_sack_block b[XTCP_MAX_SACK_BLOCKS];
	struct xtcp_sack_rcv r;

	xtcp_sack_rcv_init(&r);
	xtcp_sack_rcv_ooo(&r, 100, 100);	/* empty: nothing */
	xtcp_sack_rcv_ooo(&r, 200, 100);	/* backwards: nothing */
	CHECK_EQ(blocks(&r, b), 0);
	xtcp_sack_rcv_ooo(&r, 100, 200);
	xtcp_sack_rcv_ooo(&r, 300, 400);
	xtcp_sack_rcv_ooo(&r, 500, 600);
	xtcp_sack_rcv_ooo(&r, 150, 550);	/* spans all three */
	CHECK_EQ(blocks(&r, b), 1);
	CHECK_EQ(b[0].start, 100);
	CHECK_EQ(b[0].end, 600);
	xtcp_sack_rcv_ooo(&r, 120, 130);	/* inside: same block, first */
	CHECK_EQ(blocks(&r, b), 1);
	CHECK_EQ(b[0].end, 600);
	/* RCV.NXT inside a block cuts it */
	xtcp_sack_rcv_nxt(&r, 350);
	CHECK_EQ(blocks(&r, b), 1);
	CHECK_EQ(b[0].start, 350);
	CHECK_EQ(b[0].end, 600);
}

/* RFC 2883's examples: a duplicate reported first, once. */
UNIT_TEST(xtcp_sack_rcv__dsack_first_and_once)
{
	struct xtcp_sack_block b[XTCP_MAX_SACK_BLOCKS];
	struct xtcp_sack_rcv r;

	/* 4.1.1: a duplicate below RCV.NXT, nothing out of order */
	xtcp_sack_rcv_init(&r);
	xtcp_sack_rcv_dup(&r, 3000, 3500);
	CHECK_EQ(blocks(&r, b), 1);
	CHECK_EQ(b[0].start, 3000);
	CHECK_EQ(b[0].end, 3500);
	CHECK_EQ(blocks(&r, b), 0);		/* reported once */

	/* 4.1.3-like: a duplicate inside an out-of-order block */
	xtcp_sack_rcv_ooo(&r, 5000, 5500);
	xtcp_sack_rcv_ooo(&r, 6000, 6500);
	xtcp_sack_rcv_ooo(&r, 5500, 5800);
	xtcp_sack_rcv_dup(&r, 6000, 6500);
	CHECK_EQ(blocks(&r, b), 3);
	CHECK_EQ(b[0].start, 6000);		/* the D-SACK */
	CHECK_EQ(b[0].end, 6500);
	CHECK_EQ(b[1].start, 6000);		/* the block holding it */
	CHECK_EQ(b[1].end, 6500);
	CHECK_EQ(b[2].start, 5000);
	CHECK_EQ(b[2].end, 5800);
	CHECK_EQ(blocks(&r, b), 2);
	CHECK_EQ(b[0].start, 5000);		/* then in recency order */

	/* a second duplicate replaces a pending one; empty is ignored */
	xtcp_sack_rcv_dup(&r, 100, 200);
	xtcp_sack_rcv_dup(&r, 300, 400);
	xtcp_sack_rcv_dup(&r, 500, 500);
	CHECK_EQ(xtcp_sack_rcv_blocks(&r, b, 1), 1);
	CHECK_EQ(b[0].start, 300);
	CHECK_EQ(blocks(&r, b), 2);
	CHECK_EQ(b[0].start, 5000);
}

/*
 * Random arrivals against a model: units of 10 bytes, data held above
 * RCV.NXT as a bitmap.  Whatever the order: blocks never overlap, each
 * lies in held data above RCV.NXT, the first holds the last segment that
 * went out of order; while there have never been more runs than blocks,
 * every run is reported whole (past that, a forgotten run is not merged
 * back into a block: the caller passes whole runs to avoid it).
 */
UNIT_TEST(xtcp_sack_rcv__random_arrivals_match_the_model)
{
	static u64 rng = 0x243f6a8885a308d3ull;
	size_t k;

	for (k = 0; k < ARRAY_SIZE(bases); k++) {
		int round;

		for (round = 0; round < 2000; round++) {
			bool held[64] = { false };
			struct xtcp_sack_block b[XTCP_MAX_SACK_BLOCKS];
			struct xtcp_sack_rcv r;
			u32 nxt = 0, base = bases[k];
			bool forgot = false;
			int step;

			xtcp_sack_rcv_init(&r);
			for (step = 0; step < 40; step++) {
				unsigned int s, len, n, i, runs = 0;
				u32 u;

				rng ^= rng << 13;
				rng ^= rng >> 7;
				rng ^= rng << 17;
				s = rng % 60;
				len = 1 + (rng >> 8) % 4;
				if (s + len > 64)
					len = 64 - s;
				if (s <= nxt) {
					/* in order (or old): RCV.NXT moves */
					if (s + len > nxt)
						nxt = s + len;
					while (nxt < 64 && held[nxt])
						nxt++;
					xtcp_sack_rcv_nxt(&r, base + 10 * nxt);
				} else {
					for (i = s; i < s + len; i++)
						held[i] = true;
					xtcp_sack_rcv_ooo(&r, base + 10 * s,
							  base + 10 * (s + len));
				}
				n = blocks(&r, b);
				for (i = nxt; i < 64; i++)
					if (held[i] && (i == nxt || !held[i - 1]))
						runs++;
				CHECK(n <= XTCP_MAX_SACK_BLOCKS);
				forgot |= runs > XTCP_MAX_SACK_BLOCKS;
				if (!forgot)
					CHECK_EQ(n, runs);
				for (i = 0; i < n; i++) {
					u32 a = b[i].start - base, e = b[i].end - base, j;

					CHECK(a % 10 == 0 && e % 10 == 0 && a < e);
					CHECK(a / 10 >= nxt && e / 10 <= 64);
					for (u = a / 10; u < e / 10; u++)
						CHECK(held[u]);
					if (!forgot) {
						/* whole runs */
						CHECK(a / 10 == nxt || !held[a / 10 - 1]);
						CHECK(e / 10 == 64 || !held[e / 10]);
					}
					for (j = 0; j < i; j++)
						CHECK(b[j].end - base <= a ||
						      b[j].start - base >= e);
				}
				if (s > nxt && n) {
					u32 a = b[0].start - base, e = b[0].end - base;

					CHECK(a / 10 <= s && e / 10 >= s + len);
				}
			}
		}
	}
}

/* ---- the sender's view of an ACK's blocks ---- */

/* An ACK of @ack from @base with the @n blocks @b (offsets from @base). */
static struct xtcp_seg ack_of(u32 base, u32 ack, const u32 (*b)[2],
			      unsigned int n)
{
	struct xtcp_seg seg;
	unsigned int i;

	memset(&seg, 0, sizeof(seg));
	seg.ack = base + ack;
	seg.nr_sack = n;
	for (i = 0; i < n; i++) {
		seg.sack[i].start = base + b[i][0];
		seg.sack[i].end = base + b[i][1];
	}
	return seg;
}

/*
 * The blocks the sender takes from that ACK, SND.UNA at @base + 4000 and
 * SND.MAX at @base + 8000 (the ACK itself may lag SND.UNA).
 */
static unsigned int take(u32 base, u32 ack, const u32 (*b)[2], unsigned int n,
			 struct xtcp_sack_block *out, struct xtcp_sack_block *d,
			 bool *dsack)
{
	struct xtcp_seg seg = ack_of(base, ack, b, n);

	return xtcp_sack_blocks_in(&seg, base + 4000, base + 8000, out, d,
				   dsack);
}

static bool blk_is(const struct xtcp_sack_block *b, u32 base, u32 lo, u32 hi)
{
	return b->start == base + lo && b->end == base + hi;
}

/*
 * RFC 2883's examples (section 4.1.1: below SEG.ACK; 4.1.2: inside the
 * second block), and a first block that is neither.
 */
UNIT_TEST(xtcp_sack_blocks_in__rfc2883_dsack_first_block)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(bases); k++) {
		static const u32 below[][2] = { { 3000, 3500 } };
		static const u32 inside[][2] = { { 5000, 5500 }, { 4500, 5500 } };
		static const u32 plain[][2] = { { 5000, 5500 }, { 6000, 6500 } };
		struct xtcp_sack_block out[XTCP_MAX_SACK_BLOCKS], d;
		u32 base = bases[k];
		bool dsack;

		CHECK_EQ(take(base, 4000, below, 1, out, &d, &dsack), 0);
		CHECK(dsack);
		CHECK(blk_is(&d, base, 3000, 3500));

		CHECK_EQ(take(base, 4000, inside, 2, out, &d, &dsack), 1);
		CHECK(dsack);
		CHECK(blk_is(&d, base, 5000, 5500));
		CHECK(blk_is(&out[0], base, 4500, 5500));

		CHECK_EQ(take(base, 4000, plain, 2, out, &d, &dsack), 2);
		CHECK(!dsack);
		CHECK(blk_is(&out[0], base, 5000, 5500));
		CHECK(blk_is(&out[1], base, 6000, 6500));
	}
}

/*
 * Nonsense and old news are dropped (empty or reversed, past SND.MAX, at
 * or below SND.UNA); a block reaching below SND.UNA is clipped; the rest
 * come out sorted, whatever order they came in.
 */
UNIT_TEST(xtcp_sack_blocks_in__drops_clips_and_sorts)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(bases); k++) {
		static const u32 junk[][2] = {
			{ 7000, 7500 }, { 6000, 6000 }, { 6500, 6400 },
			{ 7500, 8001 },
		};
		static const u32 old[][2] = {
			{ 7000, 7500 }, { 3000, 4000 }, { 3500, 4600 },
			{ 5000, 5100 },
		};
		struct xtcp_sack_block out[XTCP_MAX_SACK_BLOCKS], d;
		u32 base = bases[k];
		bool dsack;

		CHECK_EQ(take(base, 4000, junk, 4, out, &d, &dsack), 1);
		CHECK(!dsack);
		CHECK(blk_is(&out[0], base, 7000, 7500));

		/* SND.UNA moved past SEG.ACK's 3000 by the time blocks count */
		CHECK_EQ(take(base, 3000, old, 4, out, &d, &dsack), 3);
		CHECK(!dsack);
		CHECK(blk_is(&out[0], base, 4000, 4600));
		CHECK(blk_is(&out[1], base, 5000, 5100));
		CHECK(blk_is(&out[2], base, 7000, 7500));
	}
}

/*
 * Random ACKs: what comes out is sorted, within [SND.UNA, SND.MAX],
 * non-empty, a clipped copy of a block that came in, and one for every
 * block that was neither nonsense, old news nor the D-SACK.
 */
UNIT_TEST(xtcp_sack_blocks_in__random_acks_keep_every_valid_block)
{
	static u64 rng = 0x13198a2e03707344ull;
	int iter;

	for (iter = 0; iter < 200000; iter++) {
		struct xtcp_sack_block out[XTCP_MAX_SACK_BLOCKS], d;
		u32 base, una, max, kept = 0;
		unsigned int i, j, n;
		struct xtcp_seg seg;
		bool dsack;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		base = bases[rng % ARRAY_SIZE(bases)] + (u32)(rng >> 40) % 64;
		memset(&seg, 0, sizeof(seg));
		seg.ack = base + (u32)(rng >> 20) % 16 * 100;
		una = seg.ack + (u32)(rng >> 30) % 4 * 100;
		max = una + 1500;
		seg.nr_sack = (rng >> 8) % (XTCP_MAX_SACK_BLOCKS + 1);
		for (i = 0; i < seg.nr_sack; i++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			seg.sack[i].start = base + (u32)(rng % 40) * 100;
			seg.sack[i].end = seg.sack[i].start +
					  (u32)((rng >> 16) % 8) * 100 - 100;
		}
		n = xtcp_sack_blocks_in(&seg, una, max, out, &d, &dsack);
		CHECK(n <= seg.nr_sack);
		for (i = 0; i < n; i++) {
			bool from = false;

			CHECK(xtcp_seq_before(out[i].start, out[i].end));
			CHECK(!xtcp_seq_before(out[i].start, una));
			CHECK(!xtcp_seq_after(out[i].end, max));
			if (i)
				CHECK(!xtcp_seq_before(out[i].start,
						       out[i - 1].start));
			for (j = 0; j < seg.nr_sack; j++)
				from |= out[i].end == seg.sack[j].end &&
					(out[i].start == seg.sack[j].start ||
					 (out[i].start == una &&
					  xtcp_seq_before(seg.sack[j].start, una)));
			CHECK(from);
		}
		for (j = dsack ? 1 : 0; j < seg.nr_sack; j++)
			kept += xtcp_seq_before(seg.sack[j].start,
						seg.sack[j].end) &&
				!xtcp_seq_after(seg.sack[j].end, max) &&
				xtcp_seq_after(seg.sack[j].end, una);
		CHECK_EQ(n, kept);
		if (dsack)
			CHECK(d.start == seg.sack[0].start &&
			      d.end == seg.sack[0].end);
		else if (seg.nr_sack)
			CHECK(xtcp_seq_after(seg.sack[0].end, seg.ack));
	}
}

/* ---- RACK ---- */

#define MS	1000u

UNIT_TEST(xtcp_rack_lost__nothing_before_a_delivery)
{
	struct xtcp_rack r;
	u32 wait = 12345;

	xtcp_rack_init(&r);
	CHECK(!xtcp_rack_lost(&r, 0, 1000, 0, 10000 * MS, &wait));
	CHECK_EQ(wait, 12345);
	CHECK_EQ(xtcp_rack_reo_wnd(&r, false, 0, 40 * MS, 50 * MS), 10 * MS);
}

UNIT_TEST(xtcp_rack_lost__older_segments_after_rtt_plus_window)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(bases); k++) {
		u32 o = bases[k];
		struct xtcp_rack r;
		u32 wait = 0;

		xtcp_rack_init(&r);
		/* segment 2 [o+1000, o+2000) sent at 10 ms, delivered at 60 */
		CHECK(xtcp_rack_delivered(&r, 10 * MS, 10 * MS, o + 2000, false, 60 * MS, 0));
		CHECK_EQ(r.rtt_us, 50 * MS);
		/* segment 1, sent at 5 ms: 55 ms old, RTT 50: lost */
		CHECK(xtcp_rack_lost(&r, 5 * MS, o + 1000, 0, 60 * MS, &wait));
		/* with a 10 ms window: 5 ms to go */
		CHECK(!xtcp_rack_lost(&r, 5 * MS, o + 1000, 10 * MS, 60 * MS, &wait));
		CHECK_EQ(wait, 5 * MS);
		CHECK(xtcp_rack_lost(&r, 5 * MS, o + 1000, 10 * MS, 65 * MS, &wait));
		/* sent after the reference: never judged */
		wait = 7;
		CHECK(!xtcp_rack_lost(&r, 20 * MS, o + 3000, 0, 900 * MS, &wait));
		CHECK_EQ(wait, 7);
		/* sent at the same time (one run): the lower end is older */
		CHECK(xtcp_rack_lost(&r, 10 * MS, o + 1500, 0, 60 * MS, &wait));
		CHECK(!xtcp_rack_lost(&r, 10 * MS, o + 2000, 0, 900 * MS, &wait));
		CHECK(!xtcp_rack_lost(&r, 10 * MS, o + 2500, 0, 900 * MS, &wait));
	}
}

UNIT_TEST(xtcp_rack_delivered__reference_only_moves_forward)
{
	struct xtcp_rack r;

	xtcp_rack_init(&r);
	CHECK(xtcp_rack_delivered(&r, 30 * MS, 30 * MS, 3000, false, 80 * MS, 0));
	/* an older send delivered later (a late ACK) changes nothing */
	CHECK(!xtcp_rack_delivered(&r, 20 * MS, 20 * MS, 2000, false, 90 * MS, 0));
	CHECK_EQ(r.xmit_us, 30 * MS);
	CHECK_EQ(r.rtt_us, 50 * MS);
	CHECK(xtcp_rack_delivered(&r, 40 * MS, 40 * MS, 4000, false, 85 * MS, 0));
	CHECK_EQ(r.rtt_us, 45 * MS);
	CHECK_EQ(r.end_seq, 4000);
}

/* RFC 8985 6.2 step 2: a resend "delivered" too fast was its original. */
UNIT_TEST(xtcp_rack_delivered__spurious_resend_ignored)
{
	struct xtcp_rack r;

	xtcp_rack_init(&r);
	CHECK(xtcp_rack_delivered(&r, 10 * MS, 10 * MS, 1000, false, 60 * MS, 50 * MS));
	/* resent at 100 ms, its ACK at 101 ms: 1 ms < min RTT 50 ms */
	CHECK(!xtcp_rack_delivered(&r, 100 * MS, 100 * MS, 2000, true, 101 * MS, 50 * MS));
	CHECK_EQ(r.xmit_us, 10 * MS);
	/* a resend whose round trip is plausible counts */
	CHECK(xtcp_rack_delivered(&r, 100 * MS, 100 * MS, 2000, true, 160 * MS, 50 * MS));
	CHECK_EQ(r.xmit_us, 100 * MS);
	CHECK_EQ(r.rtt_us, 60 * MS);
}

/*
 * A late arrival measures the window that would have waited for it: its
 * round trip from the first send less the reference's.
 */
UNIT_TEST(xtcp_rack_delivered__late_arrivals_set_the_window)
{
	struct xtcp_rack r;
	int i;

	xtcp_rack_init(&r);
	/* segment 2, sent at 10 ms, delivered at 60: the reference, RTT 50 */
	CHECK(xtcp_rack_delivered(&r, 10 * MS, 10 * MS, 2000, false, 60 * MS, 40 * MS));
	CHECK(!r.reordering_seen);
	CHECK_EQ(r.reo_extent_us, 0);
	/* segment 1, sent once at 5 ms, delivered at 80: 25 ms late */
	CHECK(!xtcp_rack_delivered(&r, 5 * MS, 5 * MS, 1000, false, 80 * MS, 40 * MS));
	CHECK(r.reordering_seen);
	CHECK_EQ(r.reo_extent_us, 25 * MS);
	/* wider than min RTT / 4 (10 ms), even in recovery; SRTT caps it */
	CHECK_EQ(xtcp_rack_reo_wnd(&r, true, 9, 40 * MS, 500 * MS), 25 * MS);
	CHECK_EQ(xtcp_rack_reo_wnd(&r, true, 9, 40 * MS, 20 * MS), 20 * MS);
	/* a resend delivered by its original sent at 30 ms: 33 ms late */
	CHECK(!xtcp_rack_delivered(&r, 100 * MS, 30 * MS, 3000, true, 113 * MS, 40 * MS));
	CHECK_EQ(r.reo_extent_us, 33 * MS);
	/* a smaller lateness narrows nothing */
	CHECK(!xtcp_rack_delivered(&r, 6 * MS, 6 * MS, 1500, false, 60 * MS, 40 * MS));
	CHECK_EQ(r.reo_extent_us, 33 * MS);
	/* on time: no lateness */
	CHECK(xtcp_rack_delivered(&r, 70 * MS, 70 * MS, 4000, false, 110 * MS, 40 * MS));
	CHECK_EQ(r.reo_extent_us, 33 * MS);
	/* it lasts XTCP_RACK_PERSIST recoveries after the last late one */
	for (i = 0; i < XTCP_RACK_PERSIST - 1; i++)
		xtcp_rack_recovery_end(&r);
	CHECK_EQ(xtcp_rack_reo_wnd(&r, true, 9, 40 * MS, 500 * MS), 33 * MS);
	xtcp_rack_recovery_end(&r);
	CHECK_EQ(r.reo_extent_us, 0);
	CHECK_EQ(xtcp_rack_reo_wnd(&r, true, 9, 40 * MS, 500 * MS), 10 * MS);
}

UNIT_TEST(xtcp_rack_reo_wnd__zero_until_reordering_is_seen)
{
	struct xtcp_rack r;

	xtcp_rack_init(&r);
	CHECK_EQ(xtcp_rack_reo_wnd(&r, true, 0, 40 * MS, 50 * MS), 0);
	CHECK_EQ(xtcp_rack_reo_wnd(&r, false, 3, 40 * MS, 50 * MS), 0);
	CHECK_EQ(xtcp_rack_reo_wnd(&r, false, 2, 40 * MS, 50 * MS), 10 * MS);
	/* capped at SRTT */
	CHECK_EQ(xtcp_rack_reo_wnd(&r, false, 0, 40 * MS, 8 * MS), 8 * MS);
	/* 0xfffffff0 + 16 wraps past 0xffffffff: still "after" */
	xtcp_rack_delivered(&r, 10 * MS, 10 * MS, 0x00000010u, false, 60 * MS, 0);
	xtcp_rack_delivered(&r, 5 * MS, 5 * MS, 0xfffffff0u, false, 61 * MS, 0);
	CHECK(r.reordering_seen);
	CHECK_EQ(xtcp_rack_reo_wnd(&r, true, 5, 40 * MS, 50 * MS), 10 * MS);
	/* a resend arriving low is not reordering */
	xtcp_rack_init(&r);
	xtcp_rack_delivered(&r, 10 * MS, 10 * MS, 5000, false, 60 * MS, 0);
	xtcp_rack_delivered(&r, 70 * MS, 70 * MS, 4000, true, 130 * MS, 0);
	CHECK(!r.reordering_seen);
}

UNIT_TEST(xtcp_rack_dsack__widens_once_a_round_and_decays)
{
	struct xtcp_rack r;
	int i;

	xtcp_rack_init(&r);
	r.reordering_seen = true;
	xtcp_rack_dsack(&r, 1000, 9000);
	CHECK_EQ(xtcp_rack_reo_wnd(&r, true, 0, 40 * MS, 500 * MS), 20 * MS);
	xtcp_rack_dsack(&r, 5000, 12000);	/* same round: no more */
	CHECK_EQ(r.reo_wnd_mult, 2);
	xtcp_rack_dsack(&r, 9000, 15000);	/* SND.UNA passed the round */
	CHECK_EQ(r.reo_wnd_mult, 3);
	CHECK_EQ(xtcp_rack_reo_wnd(&r, true, 0, 40 * MS, 500 * MS), 30 * MS);
	for (i = 0; i < XTCP_RACK_PERSIST - 1; i++)
		xtcp_rack_recovery_end(&r);
	CHECK_EQ(r.reo_wnd_mult, 3);
	xtcp_rack_recovery_end(&r);
	CHECK_EQ(r.reo_wnd_mult, 1);
	xtcp_rack_recovery_end(&r);		/* stays */
	CHECK_EQ(r.reo_wnd_mult, 1);
}
