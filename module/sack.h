/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Selective acknowledgments (RFC 2018, with RFC 2883's D-SACK): what a
 * receiver reports of the out-of-order data it holds.
 *
 * Like core.c, sack.c calls nothing in the kernel: it is built into the
 * module and into the user-space unit tests (tests/unit/test_sack.c).  The
 * caller owns one struct xtcp_sack_rcv per connection and serialises the
 * calls on it (the socket lock); nothing allocates.
 *
 * The receiver's side, RFC 2018 section 4:
 *
 *   xtcp_sack_rcv_ooo()    a segment went to the out-of-order queue
 *   xtcp_sack_rcv_dup()    a segment carried only data already received
 *                          (D-SACK, RFC 2883)
 *   xtcp_sack_rcv_nxt()    RCV.NXT advanced
 *   xtcp_sack_rcv_blocks() the blocks the next ACK carries
 *
 * The state keeps XTCP_MAX_SACK_BLOCKS blocks, most recently changed
 * first, each the whole contiguous run of out-of-order data it covers.  A
 * segment that arrives out of order is merged with every block it
 * touches and the result moves to the front: the first block of the next
 * ACK is the one holding the segment that triggered it (section 4's MUST),
 * and the rest follow in the order they were last reported.  When more
 * runs are held than blocks kept, the least recent is forgotten (the
 * sender learns of it again when its next segment arrives, or when RCV.NXT
 * reaches it).  A D-SACK block, when one is pending, goes first and once;
 * the block holding it, if any, follows it (RFC 2883 section 4).
 */
#ifndef _XTCP_SACK_H
#define _XTCP_SACK_H

#include "core.h"

/**
 * struct xtcp_sack_rcv - a receiver's SACK state
 * @blk: the blocks, [start, end), most recently changed first
 * @nr: blocks in @blk
 * @dsack: the duplicate range to report next (valid with @has_dsack)
 * @has_dsack: a D-SACK block is pending
 */
struct xtcp_sack_rcv {
	struct xtcp_sack_block blk[XTCP_MAX_SACK_BLOCKS];
	u8 nr;
	struct xtcp_sack_block dsack;
	bool has_dsack;
};

void xtcp_sack_rcv_init(struct xtcp_sack_rcv *r);
void xtcp_sack_rcv_ooo(struct xtcp_sack_rcv *r, u32 start, u32 end);
void xtcp_sack_rcv_dup(struct xtcp_sack_rcv *r, u32 start, u32 end);
void xtcp_sack_rcv_nxt(struct xtcp_sack_rcv *r, u32 rcv_nxt);
unsigned int xtcp_sack_rcv_blocks(struct xtcp_sack_rcv *r,
				  struct xtcp_sack_block *out,
				  unsigned int max);

#endif /* _XTCP_SACK_H */
