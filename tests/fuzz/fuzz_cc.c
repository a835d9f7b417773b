// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the input is a script of sender events (see fuzz.h)
 * played through cc.h's retransmission timer and NewReno congestion
 * control, the way a correct caller drives them: SND.NXT never moves back,
 * ACKs acknowledge at most what is in flight, duplicate ACKs and timer
 * expiries come only with data outstanding, and nothing is sent beyond
 * cwnd.  After every event the state must keep the invariants cc.h states
 * and tests/unit/test_cc.c asserts, and the event must have done what
 * cc.h's comments say it does.
 *
 * The initial sequence number's lowest bit picks the algorithm: 0 NewReno,
 * held to every check below; 1 CUBIC, held to those every algorithm must
 * pass (cc.c's recovery, the bounds, growth without shrinking outside
 * recovery).  RTT samples also move CUBIC's clock and go with the next
 * ACK, as the sender's would.
 */
#include "module/cc.h"
#include "tests/fuzz/fuzz.h"
#include "tests/oracle.h"

#define U32_MAX		0xffffffffu

/* A sender as the congestion control sees it, as in test_cc.c. */
struct sim {
	struct xtcp_cc cc;
	struct xtcp_rtt rtt;
	u32 una;
	u32 nxt;	/* SND.MAX: never rewound */
	bool reno;	/* NewReno: its exact growth and ssthresh checked */
	u64 now_us;	/* the clock ACKs arrive by */
	u32 rtt_us;	/* the sample the next ACK carries */
};

static u32 min32(u32 a, u32 b)
{
	return a < b ? a : b;
}

static u32 max32(u32 a, u32 b)
{
	return a > b ? a : b;
}

static u32 flight(const struct sim *s)
{
	return s->nxt - s->una;
}

/* RFC 5681 equation (4), capped at the window limit. */
static u32 half_flight(u32 mss, u32 flight_bytes)
{
	return min32(max32(flight_bytes / 2, 2 * mss), XTCP_CC_MAX_WINDOW);
}

/* The ACK of @n more bytes, to cc.c, with the sample taken last if any. */
static enum xtcp_cc_action ack(struct sim *s, u32 n)
{
	struct xtcp_cc_ack a = {
		.now_us = s->now_us, .ack = s->una, .acked = n,
		.flight = flight(s), .snd_nxt = s->nxt, .rtt_us = s->rtt_us,
	};

	s->rtt_us = XTCP_CC_NO_RTT;
	return xtcp_cc_on_ack(&s->cc, &a);
}

static void check_invariants(const struct sim *s)
{
	const struct xtcp_rtt *r = &s->rtt;

	oracle_cc_invariants(&s->cc, s->una, s->nxt);
	CHECK(r->min_rto_us >= 1);
	CHECK(r->min_rto_us <= r->max_rto_us);
	CHECK(r->max_rto_us >= XTCP_RTO_MAX_FLOOR_US);
	CHECK(r->rto_us >= r->min_rto_us && r->rto_us <= r->max_rto_us);
}

static void do_send(struct sim *s, u8 op, struct fuzz_in *in)
{
	u32 room = 0;

	if (xtcp_cc_window(&s->cc) > flight(s))
		room = xtcp_cc_window(&s->cc) - flight(s);
	if (room && (op & CC_SEND_SOME))
		room = 1 + fuzz_u32(in) % room;
	s->nxt += room;
}

static void do_ack(struct sim *s, u8 op, struct fuzz_in *in)
{
	struct xtcp_cc old = s->cc;
	u32 f = flight(s), n;
	enum xtcp_cc_action a;

	if (!f)
		return;
	switch (CC_ACK_MODE(op)) {
	case CC_ACK_ALL:
		n = f;
		break;
	case CC_ACK_MSS:
		n = min32(f, s->cc.mss);
		break;
	case CC_ACK_ANY32:
		n = 1 + fuzz_u32(in) % f;
		break;
	default:
		n = 1 + fuzz_u16(in) % f;
		break;
	}
	s->una += n;
	a = ack(s, n);

	CHECK_EQ(s->cc.dupacks, 0);
	CHECK(!s->cc.timed_out);
	CHECK_EQ(s->cc.mss, old.mss);
	if (old.recover_valid)
		CHECK_EQ(s->cc.recover_valid,
			 !xtcp_seq_after(s->una, old.recover));
	if (!old.in_recovery && !s->reno) {
		/*
		 * Any algorithm: growth only; ssthresh only to end CSS, at
		 * cwnd or its 2 * MSS floor (cwnd then slow-starts up to it)
		 */
		CHECK_EQ(a, XTCP_CC_NONE);
		CHECK(!s->cc.in_recovery);
		CHECK(s->cc.cwnd >= old.cwnd);
		CHECK(s->cc.ssthresh == old.ssthresh ||
		      (old.ssthresh == XTCP_CC_MAX_WINDOW &&
		       s->cc.ssthresh == max32(s->cc.cwnd, 2 * old.mss)));
	} else if (!old.in_recovery) {
		/* Slow start or congestion avoidance: at most one MSS. */
		CHECK_EQ(a, XTCP_CC_NONE);
		CHECK(!s->cc.in_recovery);
		CHECK(s->cc.cwnd >= old.cwnd);
		CHECK(s->cc.cwnd <= old.cwnd + old.mss);
		CHECK_EQ(s->cc.ssthresh, old.ssthresh);
		if (old.cwnd < old.ssthresh)
			CHECK_EQ(s->cc.cwnd, min32(old.cwnd + min32(n, old.mss),
						   old.ssthresh));
	} else if (xtcp_seq_before(s->una, old.recover)) {
		/* Partial ACK: deflate, add back an MSS if one was acked. */
		u32 want = old.cwnd > n ? old.cwnd - n : 0;

		if (n >= old.mss)
			want = min32(want + old.mss, XTCP_CC_MAX_WINDOW);
		CHECK(s->cc.in_recovery);
		CHECK_EQ(s->cc.cwnd, max32(want, old.mss));
		CHECK_EQ(s->cc.ssthresh, old.ssthresh);
		CHECK_EQ(a, old.partial_acks ?
			 XTCP_CC_PARTIAL_RETRANSMIT_KEEP_TIMER :
			 XTCP_CC_PARTIAL_RETRANSMIT);
		CHECK_EQ(s->cc.partial_acks, old.partial_acks + 1);
	} else {
		/* Full ACK: cwnd = min(ssthresh, max(flight, MSS) + MSS). */
		CHECK_EQ(a, XTCP_CC_NONE);
		CHECK(!s->cc.in_recovery);
		CHECK(s->cc.cwnd <= s->cc.ssthresh);
		CHECK_EQ(s->cc.cwnd, min32(old.ssthresh,
					   max32(flight(s), old.mss) + old.mss));
		CHECK_EQ(s->cc.ssthresh, old.ssthresh);
		CHECK_EQ(s->cc.bytes_acked, 0);
	}
}

static void do_dupack(struct sim *s)
{
	struct xtcp_cc old = s->cc;
	enum xtcp_cc_action a;
	bool trigger;

	if (!flight(s))
		return;
	a = xtcp_cc_on_dupack(&s->cc, s->una, s->nxt, flight(s));
	trigger = !old.in_recovery &&
		  old.dupacks == XTCP_CC_DUPTHRESH - 1 &&
		  (!old.recover_valid || xtcp_seq_after(s->una, old.recover));
	CHECK_EQ(a == XTCP_CC_FAST_RETRANSMIT, trigger);
	if (trigger) {
		CHECK(s->cc.in_recovery);
		CHECK(s->cc.recover_valid);
		CHECK_EQ(s->cc.recover, s->nxt);
		if (s->reno)
			CHECK_EQ(s->cc.ssthresh, half_flight(old.mss, flight(s)));
		CHECK_EQ(s->cc.cwnd, min32(s->cc.ssthresh +
					   XTCP_CC_DUPTHRESH * old.mss,
					   XTCP_CC_MAX_WINDOW));
		CHECK_EQ(s->cc.partial_acks, 0);
		return;
	}
	CHECK_EQ(a, XTCP_CC_NONE);
	CHECK_EQ(s->cc.ssthresh, old.ssthresh);
	CHECK_EQ(s->cc.in_recovery, old.in_recovery);
	CHECK_EQ(s->cc.recover, old.recover);
	CHECK_EQ(s->cc.recover_valid, old.recover_valid);
	if (old.in_recovery)	/* inflation: a segment left the network */
		CHECK_EQ(s->cc.cwnd, min32(old.cwnd + old.mss,
					   XTCP_CC_MAX_WINDOW));
	else
		CHECK_EQ(s->cc.cwnd, old.cwnd);
}

static void do_backoff(struct sim *s)
{
	struct xtcp_rtt old = s->rtt;
	u64 doubled = (u64)old.rto_us * 2;
	u32 rto = xtcp_rtt_backoff(&s->rtt);

	CHECK_EQ(rto, s->rtt.rto_us);
	CHECK_EQ(rto, doubled > old.max_rto_us ? old.max_rto_us : doubled);
	CHECK(rto >= old.rto_us);
	CHECK_EQ(s->rtt.backoffs, old.backoffs == U32_MAX ? U32_MAX :
		 old.backoffs + 1);
	CHECK_EQ(s->rtt.srtt_us, old.srtt_us);
	CHECK_EQ(s->rtt.rttvar_us, old.rttvar_us);
	CHECK_EQ(s->rtt.has_sample, old.has_sample);
	CHECK_EQ(s->rtt.min_rto_us, old.min_rto_us);
	CHECK_EQ(s->rtt.max_rto_us, old.max_rto_us);
}

/* The timer expired: congestion control reacts, RTO doubles. */
static void do_timeout(struct sim *s, u8 op, struct fuzz_in *in)
{
	struct xtcp_cc old = s->cc;
	u32 snd_max = s->nxt;

	if (!flight(s))
		return;
	/* A caller handing in a rewound SND.NXT, as test_cc.c tries too. */
	if (op & CC_TIMEOUT_REWOUND)
		snd_max = s->una + 1 + fuzz_u32(in) % flight(s);
	xtcp_cc_on_timeout(&s->cc, snd_max, snd_max - s->una);

	CHECK_EQ(s->cc.cwnd, s->cc.mss);
	if (s->reno || old.timed_out)
		CHECK_EQ(s->cc.ssthresh, old.timed_out ? old.ssthresh :
			 half_flight(old.mss, snd_max - s->una));
	CHECK(!s->cc.in_recovery);
	CHECK(s->cc.timed_out);
	CHECK(s->cc.recover_valid);
	CHECK_EQ(s->cc.dupacks, 0);
	CHECK_EQ(s->cc.partial_acks, 0);
	CHECK_EQ(s->cc.bytes_acked, 0);
	/* recover never moves back, whatever SND.NXT the caller passes. */
	if (old.recover_valid)
		CHECK(!xtcp_seq_before(s->cc.recover, old.recover));
	CHECK(!xtcp_seq_before(s->cc.recover, snd_max));

	do_backoff(s);
}

static bool rtt_equal(const struct xtcp_rtt *a, const struct xtcp_rtt *b)
{
	return a->srtt_us == b->srtt_us && a->rttvar_us == b->rttvar_us &&
	       a->rto_us == b->rto_us && a->min_rto_us == b->min_rto_us &&
	       a->max_rto_us == b->max_rto_us &&
	       a->granularity_us == b->granularity_us &&
	       a->backoffs == b->backoffs && a->has_sample == b->has_sample;
}

static bool cc_equal(const struct xtcp_cc *a, const struct xtcp_cc *b)
{
	return a->mss == b->mss && a->cwnd == b->cwnd &&
	       a->ssthresh == b->ssthresh && a->bytes_acked == b->bytes_acked &&
	       a->recover == b->recover && a->dupacks == b->dupacks &&
	       a->partial_acks == b->partial_acks &&
	       a->in_recovery == b->in_recovery &&
	       a->recover_valid == b->recover_valid &&
	       a->timed_out == b->timed_out;
}

/* New value between the old one and the sample's pull, both included. */
static bool between_u32(u32 v, u32 a, u32 b)
{
	return v >= min32(a, b) && v <= max32(a, b);
}

static void do_rtt(struct sim *s, u8 op, struct fuzz_in *in)
{
	struct xtcp_rtt old = s->rtt;
	u32 sample = fuzz_u32(in);
	bool resent = op & CC_RTT_RETRANSMITTED;
	u64 var, rto;

	if (op & CC_RTT_MS)
		sample = (sample & 0xffff) * 1000u;
	s->now_us += sample;
	if (!resent)
		s->rtt_us = sample == XTCP_CC_NO_RTT ? sample - 1 : sample;
	CHECK_EQ(xtcp_rtt_sample(&s->rtt, sample, resent), !resent);
	if (resent) {	/* Karn: ignored, the backoff stays */
		CHECK(rtt_equal(&old, &s->rtt));
		return;
	}
	CHECK(s->rtt.has_sample);
	CHECK_EQ(s->rtt.backoffs, 0);
	if (!old.has_sample) {
		CHECK_EQ(s->rtt.srtt_us, sample);
		CHECK_EQ(s->rtt.rttvar_us, sample / 2);
	} else {
		u32 delta = old.srtt_us > sample ? old.srtt_us - sample :
						   sample - old.srtt_us;

		CHECK(between_u32(s->rtt.srtt_us, old.srtt_us, sample));
		CHECK(between_u32(s->rtt.rttvar_us, old.rttvar_us, delta));
	}
	/* RFC 6298 2.3: RTO = SRTT + max(G, 4 * RTTVAR), within bounds. */
	var = (u64)s->rtt.rttvar_us * 4;
	if (var < s->rtt.granularity_us)
		var = s->rtt.granularity_us;
	rto = s->rtt.srtt_us + var;
	if (rto < s->rtt.min_rto_us)
		rto = s->rtt.min_rto_us;
	if (rto > s->rtt.max_rto_us)
		rto = s->rtt.max_rto_us;
	CHECK_EQ(s->rtt.rto_us, rto);
}

static void do_mss(struct sim *s, struct fuzz_in *in)
{
	struct xtcp_cc old = s->cc;
	u32 mss = fuzz_u32(in), want;

	want = mss ? min32(mss, XTCP_CC_MAX_MSS) : 1;
	xtcp_cc_set_mss(&s->cc, mss);
	CHECK_EQ(s->cc.mss, want);
	CHECK_EQ(s->cc.cwnd, max32(old.cwnd, want));
	CHECK_EQ(s->cc.ssthresh, max32(old.ssthresh, 2 * want));
	CHECK_EQ(s->cc.in_recovery, old.in_recovery);
	CHECK_EQ(s->cc.recover, old.recover);
}

static void do_noack(struct sim *s)
{
	struct xtcp_cc old = s->cc;

	CHECK_EQ(ack(s, 0), XTCP_CC_NONE);
	CHECK(cc_equal(&old, &s->cc));
}

/*
 * The evidence of a spurious recovery, and its undo: only an undo moves
 * cwnd or ssthresh, only up, only outside an episode, and only once.
 */
static void do_undo(struct sim *s, u8 op, struct fuzz_in *in)
{
	struct xtcp_cc old = s->cc;
	unsigned int why;
	u32 a, b;

	switch (CC_UNDO_EVENT(op)) {
	case CC_UNDO_RESENT:
		a = fuzz_u8(in);
		xtcp_cc_undo_resent(&s->cc, a, fuzz_u32(in));
		break;
	case CC_UNDO_DSACK:
		a = s->una + fuzz_u32(in);
		b = fuzz_u16(in);
		xtcp_cc_undo_dsack(&s->cc, a, a + b);
		break;
	case CC_UNDO_ECHO:
		xtcp_cc_undo_echo(&s->cc, fuzz_u32(in));
		break;
	default:
		why = xtcp_cc_undo(&s->cc);
		if (!why) {
			CHECK(cc_equal(&old, &s->cc));
			break;
		}
		CHECK(old.undo.armed && !s->cc.undo.armed);
		CHECK_EQ(why, old.undo.why);
		CHECK(!old.in_recovery && !old.timed_out);
		CHECK_EQ(s->cc.cwnd, max32(old.cwnd, min32(old.undo.cwnd,
							   XTCP_CC_MAX_WINDOW)));
		CHECK(s->cc.ssthresh >= old.ssthresh);
		CHECK_EQ(xtcp_cc_undo(&s->cc), 0);
		return;
	}
	CHECK(cc_equal(&old, &s->cc));	/* evidence alone changes no window */
	CHECK(!s->cc.undo.armed || old.undo.armed);
}

static void check_init(const struct sim *s, u32 mss, u32 min_rto, u32 max_rto,
		       u32 g)
{
	u32 m = mss ? min32(mss, XTCP_CC_MAX_MSS) : 1;
	u32 hi = max32(max_rto, XTCP_RTO_MAX_FLOOR_US);
	u32 lo = min32(max32(min_rto, 1), hi);

	CHECK_EQ(s->cc.mss, m);
	CHECK_EQ(s->cc.cwnd, xtcp_cc_initial_window(m));
	CHECK_EQ(s->cc.cwnd, min32(4 * m, max32(2 * m, 4380)));
	CHECK_EQ(s->cc.ssthresh, XTCP_CC_MAX_WINDOW);
	CHECK(!s->cc.in_recovery && !s->cc.recover_valid && !s->cc.timed_out);
	CHECK_EQ(s->rtt.max_rto_us, hi);
	CHECK_EQ(s->rtt.min_rto_us, lo);
	CHECK_EQ(s->rtt.granularity_us, g);
	CHECK_EQ(s->rtt.rto_us, min32(max32(XTCP_RTO_INITIAL_US, lo), hi));
	CHECK(!s->rtt.has_sample);
	CHECK_EQ(s->rtt.backoffs, 0);
}

int fuzz_one_input(const u8 *data, size_t size)
{
	struct fuzz_in in = { data, size };
	u32 mss, min_rto, max_rto, g;
	struct sim s;

	mss = fuzz_u16(&in);
	s.una = fuzz_u32(&in);
	s.nxt = s.una;
	min_rto = fuzz_u32(&in);
	max_rto = fuzz_u32(&in);
	g = fuzz_u32(&in);
	s.reno = !(s.una & 1);
	s.now_us = 0;
	s.rtt_us = XTCP_CC_NO_RTT;
	xtcp_cc_init(&s.cc, s.reno ? &xtcp_cc_newreno : &xtcp_cc_cubic, mss);
	xtcp_rtt_init(&s.rtt, min_rto, max_rto, g);
	check_init(&s, mss, min_rto, max_rto, g);
	check_invariants(&s);

	while (in.left) {
		u8 op = fuzz_u8(&in);
		struct xtcp_cc old = s.cc;

		switch (op & CC_OP_MASK) {
		case CC_OP_SEND:
			do_send(&s, op, &in);
			break;
		case CC_OP_ACK:
			do_ack(&s, op, &in);
			break;
		case CC_OP_DUPACK:
			do_dupack(&s);
			break;
		case CC_OP_TIMEOUT:
			do_timeout(&s, op, &in);
			break;
		case CC_OP_RTT:
			do_rtt(&s, op, &in);
			break;
		case CC_OP_MSS:
			do_mss(&s, &in);
			break;
		case CC_OP_NOACK:
			do_noack(&s);
			break;
		default:
			if (op & CC_BACKOFF_UNDO)
				do_undo(&s, op, &in);
			else
				do_backoff(&s);
			break;
		}
		/* While it is in force, recover only moves forward. */
		if (old.recover_valid && s.cc.recover_valid)
			CHECK(!xtcp_seq_before(s.cc.recover, old.recover));
		check_invariants(&s);
	}
	return 0;
}
