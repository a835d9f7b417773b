// SPDX-License-Identifier: GPL-2.0
/*
 * The receiver's SACK blocks (RFC 2018 section 4, RFC 2883): see sack.h.
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
