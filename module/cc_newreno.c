// SPDX-License-Identifier: GPL-2.0
/*
 * NewReno's window growth and reduction (RFC 5681): the algorithm xtcp
 * ran alone before CUBIC.  Named "reno" as Linux names its NewReno, so
 * that TCP_CONGESTION reads the same on both; "newreno" finds it too.  Loss recovery itself (fast
 * retransmit, RFC 6582's fast recovery) is cc.c's, the same for every
 * algorithm.  Kernel-free, as cc.c.
 *
 *  - slow start: cwnd += min(acked, MSS) per ACK (RFC 5681 section 3.1),
 *    never past ssthresh;
 *  - congestion avoidance: byte counting (RFC 3465 section 2.1): cwnd grows
 *    by one MSS each time a cwnd's worth of bytes has been acknowledged,
 *    which is exactly one MSS per round trip, delayed ACKs or not, where
 *    MSS * MSS / cwnd per ACK rounds to nothing on large windows; one
 *    increase per ACK at most, what is left over carried to the next;
 *  - a loss: ssthresh = max(FlightSize / 2, 2 * MSS) (equation (4)).
 *
 * NewReno keeps no state of its own beyond struct xtcp_cc's bytes_acked.
 */
#include "cc.h"

static void newreno_cong_avoid(struct xtcp_cc *cc, const struct xtcp_cc_ack *a)
{
	u64 counted;

	if (cc->cwnd < cc->ssthresh) {
		xtcp_cc_slow_start(cc, a->acked < cc->mss ? a->acked : cc->mss);
		return;
	}
	counted = (u64)cc->bytes_acked + a->acked;
	if (counted >= cc->cwnd) {
		counted -= cc->cwnd;
		cc->cwnd += cc->mss;	/* cc.c bounds it */
	}
	/* One increase per ACK at most: what is left carries over, bounded. */
	cc->bytes_acked = (u32)(counted < cc->cwnd ? counted : cc->cwnd);
}

static u32 newreno_ssthresh(struct xtcp_cc *cc, u32 flight_bytes)
{
	return xtcp_cc_half_flight(cc, flight_bytes);
}

const struct xtcp_cc_algo xtcp_cc_newreno = {
	.name		= "reno",	/* Linux's name for its NewReno */
	.cong_avoid	= newreno_cong_avoid,
	.ssthresh	= newreno_ssthresh,
};
