/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the protocol core must do, written once for the unit tests
 * (tests/unit) and the fuzzers (tests/fuzz).  CHECK and CHECK_EQ come
 * from the includer: unit.h counts failures, fuzz.h aborts on the first.
 */
#ifndef _XTCP_TEST_ORACLE_H
#define _XTCP_TEST_ORACLE_H

#include <stdbool.h>
#include <stddef.h>

#include "module/cc.h"
#include "module/core.h"

/*
 * The flag combinations a correct sender produces, listed by hand (14),
 * independently of the parser's own rules.
 */
static inline bool oracle_flags_legal(u8 flags)
{
	static const u8 legal[] = {
		XTCP_SYN, XTCP_SYN | XTCP_PSH,
		XTCP_SYN | XTCP_ACK, XTCP_SYN | XTCP_ACK | XTCP_PSH,
		XTCP_RST, XTCP_RST | XTCP_PSH,
		XTCP_ACK, XTCP_ACK | XTCP_PSH,
		XTCP_ACK | XTCP_FIN, XTCP_ACK | XTCP_FIN | XTCP_PSH,
		XTCP_ACK | XTCP_RST, XTCP_ACK | XTCP_RST | XTCP_PSH,
		XTCP_ACK | XTCP_RST | XTCP_FIN,
		XTCP_ACK | XTCP_RST | XTCP_FIN | XTCP_PSH,
	};
	size_t i;

	for (i = 0; i < sizeof(legal); i++)
		if (legal[i] == flags)
			return true;
	return false;
}

/*
 * NewReno's invariants, whatever happened before, for a sender whose
 * SND.UNA is @una and SND.NXT @nxt.
 */
static inline void oracle_cc_invariants(const struct xtcp_cc *cc, u32 una,
					u32 nxt)
{
	CHECK(cc->mss >= 1 && cc->mss <= XTCP_CC_MAX_MSS);
	CHECK_EQ(xtcp_cc_window(cc), cc->cwnd);
	CHECK(cc->cwnd >= cc->mss && cc->cwnd <= XTCP_CC_MAX_WINDOW);
	CHECK(cc->ssthresh >= 2 * cc->mss);
	CHECK(cc->ssthresh <= XTCP_CC_MAX_WINDOW);
	CHECK(cc->bytes_acked <= cc->cwnd);
	if (cc->in_recovery) {
		CHECK(cc->recover_valid);
		CHECK(!cc->timed_out);
		CHECK(xtcp_seq_before(una, cc->recover));
	} else {
		CHECK_EQ(cc->partial_acks, 0);
	}
	if (cc->recover_valid) {
		CHECK(!xtcp_seq_after(una, cc->recover));
		CHECK(!xtcp_seq_after(cc->recover, nxt));
	}
}

#endif /* _XTCP_TEST_ORACLE_H */
