/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Selective acknowledgments (RFC 2018, with RFC 2883's D-SACK): what a
 * receiver reports of the out-of-order data it holds; and RACK (RFC 8985),
 * the sender's time-based loss detection that SACK makes possible.
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

/*
 * The sender's side: xtcp_sack_blocks_in() takes an ACK's blocks apart
 * into a D-SACK (reported, not held) and the blocks of data held, valid
 * and sorted, for the scoreboard (recovery.c) to mark.
 */
unsigned int xtcp_sack_blocks_in(const struct xtcp_seg *seg, u32 snd_una,
				 u32 snd_max, struct xtcp_sack_block *out,
				 struct xtcp_sack_block *dsack, bool *has_dsack);

/*
 * RACK (RFC 8985 sections 6.1 to 6.2): a segment is lost once a segment
 * sent after it has been delivered (cumulatively or selectively ACKed)
 * and a reordering window has passed on top of the round trip since it
 * was sent.  Per connection:
 *
 *   xtcp_rack_delivered()  for each segment an ACK delivered (newly ACKed
 *                          or SACKed), with its first and last send times
 *   xtcp_rack_reo_wnd()    the reordering window to use for this ACK
 *   xtcp_rack_lost()       for each outstanding segment not yet delivered
 *                          or marked lost: lost now, or when to look again
 *   xtcp_rack_recovery_end()  a recovery episode ended (the window's
 *                          multiplier decays)
 *
 * Times are the caller's microsecond clock; sequence numbers wrap.
 */
#define XTCP_RACK_PERSIST	16	/* recoveries a widened window lasts */

/**
 * struct xtcp_rack - RACK's state of one connection
 * @xmit_us: send time of the most recently sent segment delivered
 * @end_seq: that segment's end (ties on @xmit_us: the higher wins)
 * @rtt_us: the round trip it measured
 * @fack: the highest end of any segment delivered
 * @dsack_round: SND.NXT when the window last widened for a D-SACK; no
 *	widening again until SND.UNA passes it
 * @reo_wnd_mult: the window in quarters of the minimum RTT, 1..
 * @reo_wnd_persist: recoveries left before @reo_wnd_mult returns to 1
 *	and @reo_extent_us to 0
 * @reo_extent_us: the longest a segment that was not lost arrived after
 *	RACK's reference said it was due (a floor for the window)
 * @valid: a segment has been delivered and counted (@xmit_us, @end_seq
 *	and @rtt_us mean something)
 * @fack_valid: @fack means something
 * @reordering_seen: a segment arrived after one sent later (not a resend)
 * @dsack_round_valid: @dsack_round is set
 */
struct xtcp_rack {
	u64 xmit_us;
	u32 end_seq;
	u32 rtt_us;
	u32 fack;
	u32 dsack_round;
	u32 reo_extent_us;
	u8 reo_wnd_mult;
	u8 reo_wnd_persist;
	bool valid;
	bool fack_valid;
	bool reordering_seen;
	bool dsack_round_valid;
};

void xtcp_rack_init(struct xtcp_rack *r);
bool xtcp_rack_delivered(struct xtcp_rack *r, u64 xmit_us, u64 first_us,
			 u32 end_seq, bool retransmitted, u64 now_us,
			 u32 min_rtt_us);
void xtcp_rack_dsack(struct xtcp_rack *r, u32 snd_una, u32 snd_nxt);
void xtcp_rack_recovery_end(struct xtcp_rack *r);
u32 xtcp_rack_reo_wnd(const struct xtcp_rack *r, bool in_recovery,
		      u32 sacked_segs, u32 min_rtt_us, u32 srtt_us);
bool xtcp_rack_lost(const struct xtcp_rack *r, u64 xmit_us, u32 end_seq,
		    u32 reo_wnd_us, u64 now_us, u32 *wait_us);

#endif /* _XTCP_SACK_H */
