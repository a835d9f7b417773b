// SPDX-License-Identifier: GPL-2.0
/*
 * The receiver's SACK blocks (RFC 2018 section 4, RFC 2883) and RACK's
 * loss detection (RFC 8985): see sack.h.
 * Kernel-free by design; built both into xtcp.ko and into the user-space
 * unit tests.
 */
#include "sack.h"

/* [a, b) and [c, d) overlap or touch, modulo 2^32. */
static bool touches(u32 a, u32 b, u32 c, u32 d)
{
	return !xtcp_seq_after(a, d) && !xtcp_seq_after(c, b);
}

/* Remove block @i, keeping the order of the rest. */
static void drop_block(struct xtcp_sack_rcv *r, unsigned int i)
{
	for (; i + 1 < r->nr; i++)
		r->blk[i] = r->blk[i + 1];
	r->nr--;
}

/**
 * xtcp_sack_rcv_init() - no out-of-order data, nothing to report
 * @r: the state
 */
void xtcp_sack_rcv_init(struct xtcp_sack_rcv *r)
{
	r->nr = 0;
	r->has_dsack = false;
}

/**
 * xtcp_sack_rcv_ooo() - a segment went to the out-of-order queue
 * @r: the state
 * @start: its first sequence number (beyond RCV.NXT)
 * @end: one past its last; an empty range is ignored
 *
 * The segment and every block it overlaps or touches become one block, at
 * the front; the others keep their order.  With all blocks in use and
 * none touched, the least recent is forgotten.
 */
void xtcp_sack_rcv_ooo(struct xtcp_sack_rcv *r, u32 start, u32 end)
{
	unsigned int i = 0;

	if (!xtcp_seq_before(start, end))
		return;
	while (i < r->nr) {
		const struct xtcp_sack_block *b = &r->blk[i];

		if (!touches(start, end, b->start, b->end)) {
			i++;
			continue;
		}
		if (xtcp_seq_before(b->start, start))
			start = b->start;
		if (xtcp_seq_after(b->end, end))
			end = b->end;
		drop_block(r, i);
	}
	if (r->nr == XTCP_MAX_SACK_BLOCKS)
		r->nr--;
	for (i = r->nr; i > 0; i--)
		r->blk[i] = r->blk[i - 1];
	r->blk[0].start = start;
	r->blk[0].end = end;
	r->nr++;
}

/**
 * xtcp_sack_rcv_dup() - a segment brought only data already received
 * @r: the state
 * @start: its first sequence number
 * @end: one past its last; an empty range is ignored
 *
 * The next ACK reports it first as a D-SACK block (RFC 2883); a second
 * duplicate before that ACK replaces the first.
 */
void xtcp_sack_rcv_dup(struct xtcp_sack_rcv *r, u32 start, u32 end)
{
	if (!xtcp_seq_before(start, end))
		return;
	r->dsack.start = start;
	r->dsack.end = end;
	r->has_dsack = true;
}

/**
 * xtcp_sack_rcv_nxt() - RCV.NXT advanced
 * @r: the state
 * @rcv_nxt: the new RCV.NXT
 *
 * Blocks wholly below it go (the data is in order now); one it cuts keeps
 * its part above.
 */
void xtcp_sack_rcv_nxt(struct xtcp_sack_rcv *r, u32 rcv_nxt)
{
	unsigned int i = 0;

	while (i < r->nr) {
		struct xtcp_sack_block *b = &r->blk[i];

		if (!xtcp_seq_after(b->end, rcv_nxt)) {
			drop_block(r, i);
			continue;
		}
		if (xtcp_seq_before(b->start, rcv_nxt))
			b->start = rcv_nxt;
		i++;
	}
}

/**
 * xtcp_sack_rcv_blocks() - the SACK blocks of the next ACK
 * @r: the state
 * @out: where to write them
 * @max: room in @out (XTCP_MAX_SACK_BLOCKS, or 3 beside timestamps)
 *
 * A pending D-SACK block first (then no longer pending), followed by the
 * block that holds it if there is one; then the blocks, most recently
 * changed first, each once.
 *
 * Return: the number of blocks written, 0..@max.
 */
unsigned int xtcp_sack_rcv_blocks(struct xtcp_sack_rcv *r,
				  struct xtcp_sack_block *out,
				  unsigned int max)
{
	unsigned int n = 0, i, first = r->nr;

	if (r->has_dsack && n < max) {
		out[n++] = r->dsack;
		r->has_dsack = false;
		for (i = 0; i < r->nr; i++) {
			if (!xtcp_seq_before(r->dsack.start, r->blk[i].start) &&
			    !xtcp_seq_after(r->dsack.end, r->blk[i].end)) {
				first = i;
				break;
			}
		}
		if (first < r->nr && n < max)
			out[n++] = r->blk[first];
	}
	for (i = 0; i < r->nr && n < max; i++)
		if (i != first)
			out[n++] = r->blk[i];
	return n;
}

/* ---- RACK (RFC 8985) ---- */

/**
 * xtcp_sack_blocks_in() - the SACK blocks of an ACK, as the sender uses them
 * @seg: the parsed ACK, its blocks in the order they came
 * @snd_una: SND.UNA, the ACK's cumulative part already taken
 * @snd_max: one past the highest sequence number sent
 * @out: XTCP_MAX_SACK_BLOCKS entries: the blocks of data the peer holds
 * @dsack: set to the ACK's D-SACK block, if it has one
 * @has_dsack: set to whether it has one
 *
 * RFC 2883 section 4: a first block that ends at or below SEG.ACK, or
 * lies inside the second, reports a duplicate (a D-SACK), not data held.
 * Of the others, those that are empty, reach past @snd_max or end at or
 * below @snd_una are nonsense or old news and dropped; the rest are
 * clipped to start at @snd_una and sorted by start (overlaps stay).
 *
 * Return: the number of blocks in @out.
 */
unsigned int xtcp_sack_blocks_in(const struct xtcp_seg *seg, u32 snd_una,
				 u32 snd_max, struct xtcp_sack_block *out,
				 struct xtcp_sack_block *dsack, bool *has_dsack)
{
	unsigned int i, j, n = 0;
	u8 nr = seg->nr_sack < XTCP_MAX_SACK_BLOCKS ? seg->nr_sack :
						       XTCP_MAX_SACK_BLOCKS;

	*has_dsack = false;
	for (i = 0; i < nr; i++) {
		struct xtcp_sack_block b = seg->sack[i];

		if (i == 0 && (!xtcp_seq_after(b.end, seg->ack) ||
			       (nr > 1 &&
				!xtcp_seq_before(b.start, seg->sack[1].start) &&
				!xtcp_seq_after(b.end, seg->sack[1].end)))) {
			*dsack = b;
			*has_dsack = true;
			continue;
		}
		if (!xtcp_seq_before(b.start, b.end) ||
		    xtcp_seq_after(b.end, snd_max) ||
		    !xtcp_seq_after(b.end, snd_una))
			continue;
		if (xtcp_seq_before(b.start, snd_una))
			b.start = snd_una;
		/* insertion sort: at most XTCP_MAX_SACK_BLOCKS */
		for (j = n; j > 0 && xtcp_seq_before(b.start, out[j - 1].start); j--)
			out[j] = out[j - 1];
		out[j] = b;
		n++;
	}
	return n;
}

/**
 * xtcp_rack_init() - nothing delivered yet, no reordering seen
 * @r: the state
 */
void xtcp_rack_init(struct xtcp_rack *r)
{
	r->xmit_us = 0;
	r->end_seq = 0;
	r->rtt_us = 0;
	r->fack = 0;
	r->dsack_round = 0;
	r->reo_wnd_mult = 1;
	r->reo_wnd_persist = 0;
	r->reo_extent_us = 0;
	r->valid = false;
	r->fack_valid = false;
	r->reordering_seen = false;
	r->dsack_round_valid = false;
}

/* Was (@t1, @s1) sent after (@t2, @s2)?  Ties on time go by sequence. */
static bool sent_after(u64 t1, u32 s1, u64 t2, u32 s2)
{
	return t1 > t2 || (t1 == t2 && xtcp_seq_after(s1, s2));
}

/*
 * A segment that was not lost was delivered with a round trip of @rtt_us
 * (from its first send): RACK would have waited for it with a window of
 * its excess over the reference's round trip.  The widest such window
 * lasts XTCP_RACK_PERSIST recoveries after the last late arrival.
 */
static void rack_late(struct xtcp_rack *r, u64 rtt_us)
{
	u64 late;

	if (!r->valid || rtt_us <= r->rtt_us)
		return;
	late = rtt_us - r->rtt_us;
	if (late > r->reo_extent_us)
		r->reo_extent_us = late > 0xffffffffull ? 0xffffffffu : (u32)late;
	r->reo_wnd_persist = XTCP_RACK_PERSIST;
}

/**
 * xtcp_rack_delivered() - an ACK delivered a segment (RFC 8985 6.2 steps
 * 1 to 3)
 * @r: the state
 * @xmit_us: when the segment was last sent
 * @first_us: when it was first sent (@xmit_us if sent once)
 * @end_seq: one past its last sequence number
 * @retransmitted: it was sent more than once
 * @now_us: now
 * @min_rtt_us: the connection's smallest RTT sample (0: none yet)
 *
 * A resent segment whose round trip is shorter than the minimum RTT was
 * delivered by its earlier copy: it says nothing of when the resend left,
 * and is ignored (step 2).  Otherwise the most recently sent segment
 * delivered so far, and its RTT, move forward (step 2); a segment that was
 * sent once and ends below the highest end delivered before it shows
 * reordering (step 3).
 *
 * Both kinds of late arrival also measure how late they were: by how
 * much their round trip (from the first send) exceeded the reference's,
 * which is the reordering window that would have spared them.  The
 * longest such lateness is kept in @r->reo_extent_us (see
 * xtcp_rack_reo_wnd()).
 *
 * Return: true if the segment moved RACK's reference forward.
 */
bool xtcp_rack_delivered(struct xtcp_rack *r, u64 xmit_us, u64 first_us,
			 u32 end_seq, bool retransmitted, u64 now_us,
			 u32 min_rtt_us)
{
	u64 rtt = now_us > xmit_us ? now_us - xmit_us : 0;

	if (r->fack_valid && !retransmitted && xtcp_seq_before(end_seq, r->fack)) {
		r->reordering_seen = true;
		rack_late(r, rtt);
	}
	if (!r->fack_valid || xtcp_seq_after(end_seq, r->fack))
		r->fack = end_seq;
	r->fack_valid = true;
	if (retransmitted && rtt < min_rtt_us) {
		/* the original came after all: the resend was spurious */
		r->reordering_seen = true;
		rack_late(r, now_us > first_us ? now_us - first_us : 0);
		return false;
	}
	if (r->valid && !sent_after(xmit_us, end_seq, r->xmit_us, r->end_seq))
		return false;
	r->xmit_us = xmit_us;
	r->end_seq = end_seq;
	r->rtt_us = rtt > 0xffffffffull ? 0xffffffffu : (u32)rtt;
	r->valid = true;
	return true;
}

/**
 * xtcp_rack_dsack() - an ACK carried a D-SACK block (RFC 8985 6.2 step 4)
 * @r: the state
 * @snd_una: SND.UNA after the ACK
 * @snd_nxt: SND.NXT
 *
 * A retransmission was spurious, or the network duplicates: the
 * reordering window widens by a quarter of the minimum RTT, at most once
 * a round trip, and stays wide for the next XTCP_RACK_PERSIST recoveries.
 */
void xtcp_rack_dsack(struct xtcp_rack *r, u32 snd_una, u32 snd_nxt)
{
	if (r->dsack_round_valid && !xtcp_seq_before(snd_una, r->dsack_round))
		r->dsack_round_valid = false;
	if (r->dsack_round_valid)
		return;
	r->dsack_round = snd_nxt;
	r->dsack_round_valid = true;
	if (r->reo_wnd_mult < 0xff)
		r->reo_wnd_mult++;
	r->reo_wnd_persist = XTCP_RACK_PERSIST;
}

/**
 * xtcp_rack_recovery_end() - a fast or RTO recovery ended
 * @r: the state
 *
 * A widened window (by D-SACKs or late arrivals) lasts
 * XTCP_RACK_PERSIST recoveries, then returns to a quarter of the minimum
 * RTT.
 */
void xtcp_rack_recovery_end(struct xtcp_rack *r)
{
	if (r->reo_wnd_persist && !--r->reo_wnd_persist) {
		r->reo_wnd_mult = 1;
		r->reo_extent_us = 0;
	}
}

/**
 * xtcp_rack_reo_wnd() - the reordering window (RFC 8985 6.2 step 4)
 * @r: the state
 * @in_recovery: a fast or RTO recovery is under way
 * @sacked_segs: segments SACKed above SND.UNA
 * @min_rtt_us: the smallest RTT sample (0: none)
 * @srtt_us: the smoothed RTT
 *
 * Until reordering has been seen, none is allowed in recovery or once
 * three segments are SACKed (dupack counting's rule, as fast as it).
 * Otherwise min RTT / 4 times the multiplier, or the longest lateness
 * measured (xtcp_rack_delivered()) if that is wider, at most SRTT.  The
 * measured lateness goes beyond RFC 8985, whose D-SACK steps of a quarter
 * of the minimum RTT (one a round trip) take many spurious resends to
 * cover reordering much longer than the minimum RTT.
 *
 * Return: the window, microseconds.
 */
u32 xtcp_rack_reo_wnd(const struct xtcp_rack *r, bool in_recovery,
		      u32 sacked_segs, u32 min_rtt_us, u32 srtt_us)
{
	u64 w;

	if (!r->reordering_seen && (in_recovery || sacked_segs >= 3))
		return 0;
	w = (u64)(min_rtt_us / 4) * r->reo_wnd_mult;
	if (w < r->reo_extent_us)
		w = r->reo_extent_us;
	return w < srtt_us ? (u32)w : srtt_us;
}

/**
 * xtcp_rack_lost() - is an outstanding segment lost? (RFC 8985 6.2 step 5)
 * @r: the state
 * @xmit_us: when the segment was last sent
 * @end_seq: one past its last sequence number
 * @reo_wnd_us: xtcp_rack_reo_wnd()'s window
 * @now_us: now
 * @wait_us: set, when the segment is not lost but was sent before RACK's
 *	reference, to the time left until it will be (the reorder timer);
 *	left alone otherwise
 *
 * Only segments sent before the most recently sent one delivered can be
 * judged: they are lost once RACK.rtt + reo_wnd has passed since they
 * left.
 *
 * Return: true if the segment is lost and must be resent.
 */
bool xtcp_rack_lost(const struct xtcp_rack *r, u64 xmit_us, u32 end_seq,
		    u32 reo_wnd_us, u64 now_us, u32 *wait_us)
{
	u64 age = now_us > xmit_us ? now_us - xmit_us : 0;
	u64 limit = (u64)r->rtt_us + reo_wnd_us;

	if (!r->valid || !sent_after(r->xmit_us, r->end_seq, xmit_us, end_seq))
		return false;
	if (age >= limit)
		return true;
	*wait_us = limit - age > 0xffffffffull ? 0xffffffffu : (u32)(limit - age);
	return false;
}
