// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the retransmission timer and NewReno congestion control
 * (module/cc.c), compiled in user space against the source the module
 * builds.
 *
 * Tests follow cc.c's order of functions and are named function__case.
 * Every test that moves sequence numbers runs once per entry of isns[], so
 * each scenario also plays across the 2^32 wrap and across the half-space
 * boundary.
 */
#include "module/cc.h"
#include "tests/unit/unit.h"
#include "tests/oracle.h"

#define SEC	1000000u	/* microseconds */
#define MS	1000u

/* A deterministic generator, so a failure reproduces. */
static u64 rng_state = 0x2545f4914f6cdd1dull;

static u32 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (u32)(rng_state >> 16);
}

static u32 rnd32(void)
{
	return rnd() ^ (rnd() << 16);
}

/* Initial sequence numbers: plain, around 2^31, and just below 2^32. */
static const u32 isns[] = {
	0, 1, 0x7fffc000u, 0x80000000u, 0xffff0000u, 0xfffffc00u,
	0xffffffffu, 0x12345678u,
};

static void rtt_linux(struct xtcp_rtt *r)
{
	xtcp_rtt_init(r, XTCP_RTO_MIN_US, XTCP_RTO_MAX_US, 1);
}

/* ---- xtcp_rtt_init ---- */

UNIT_TEST(xtcp_rtt_init__rto_one_second_before_any_sample)
{
	struct xtcp_rtt r;

	rtt_linux(&r);
	CHECK_EQ(r.rto_us, 1 * SEC);
	CHECK(!r.has_sample);
	CHECK_EQ(r.backoffs, 0);
	CHECK_EQ(r.min_rto_us, 200 * MS);
	CHECK_EQ(r.max_rto_us, 120 * SEC);
	CHECK_EQ(r.granularity_us, 1);
	/* RFC 6298 2.4's conservative floor of 1 s is allowed too. */
	xtcp_rtt_init(&r, 1 * SEC, 60 * SEC, 1);
	CHECK_EQ(r.rto_us, 1 * SEC);
}

UNIT_TEST(xtcp_rtt_init__bounds_made_consistent)
{
	struct xtcp_rtt r;

	/* A maximum below 60 s is raised to 60 s (RFC 6298 2.5). */
	xtcp_rtt_init(&r, 200 * MS, 5 * SEC, 1);
	CHECK_EQ(r.max_rto_us, 60 * SEC);
	xtcp_rtt_init(&r, 200 * MS, 0, 1);
	CHECK_EQ(r.max_rto_us, 60 * SEC);
	/* A zero floor would stall the backoff at zero: it becomes 1 us. */
	xtcp_rtt_init(&r, 0, 60 * SEC, 1);
	CHECK_EQ(r.min_rto_us, 1);
	CHECK_EQ(r.rto_us, 1 * SEC);
	/* A floor above the ceiling is the ceiling; RTO is within both. */
	xtcp_rtt_init(&r, 0xffffffffu, 90 * SEC, 1);
	CHECK_EQ(r.min_rto_us, 90 * SEC);
	CHECK_EQ(r.rto_us, 90 * SEC);
	xtcp_rtt_init(&r, 3 * SEC, 60 * SEC, 1);
	CHECK_EQ(r.rto_us, 3 * SEC);
	xtcp_rtt_init(&r, 1, 0xffffffffu, 1);
	CHECK_EQ(r.max_rto_us, 0xffffffffu);
	CHECK_EQ(r.rto_us, 1 * SEC);
}

/* ---- xtcp_rtt_sample ---- */

UNIT_TEST(xtcp_rtt_sample__first_sample)
{
	struct xtcp_rtt r;

	/* SRTT = R, RTTVAR = R / 2, RTO = R + 4 * R / 2 = 3 R. */
	rtt_linux(&r);
	CHECK(xtcp_rtt_sample(&r, 100 * MS, false));
	CHECK(r.has_sample);
	CHECK_EQ(r.srtt_us, 100 * MS);
	CHECK_EQ(r.rttvar_us, 50 * MS);
	CHECK_EQ(r.rto_us, 300 * MS);

	rtt_linux(&r);
	CHECK(xtcp_rtt_sample(&r, 333333, false));
	CHECK_EQ(r.srtt_us, 333333);
	CHECK_EQ(r.rttvar_us, 166666);
	CHECK_EQ(r.rto_us, 333333 + 4 * 166666);
}

UNIT_TEST(xtcp_rtt_sample__rfc6298_worked_numbers)
{
	static const struct {
		u32 r, srtt, rttvar, rto;
	} steps[] = {
		/* R        SRTT     RTTVAR  RTO = SRTT + 4 RTTVAR */
		{ 100000, 100000, 50000, 300000 },
		/* (3 * 50000 + 20000) / 4, (7 * 100000 + 120000) / 8 */
		{ 120000, 102500, 42500, 272500 },
		/* (127500 + 22500) / 4, 797500 / 8 rounded down */
		{ 80000, 99687, 37500, 249687 },
		/* (112500 + 313) / 4, (697809 + 100000) / 8, both down */
		{ 100000, 99726, 28203, 212538 },
		/* 4 RTTVAR has decayed: the 200 ms floor takes over */
		{ 100000, 99760, 21220, 200000 },
	};
	struct xtcp_rtt r;
	size_t i;

	rtt_linux(&r);
	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		CHECK(xtcp_rtt_sample(&r, steps[i].r, false));
		CHECK_EQ(r.srtt_us, steps[i].srtt);
		CHECK_EQ(r.rttvar_us, steps[i].rttvar);
		CHECK_EQ(r.rto_us, steps[i].rto);
	}
}

UNIT_TEST(xtcp_rtt_sample__tracks_real_valued_reference)
{
	int run, i;

	/* Truncation keeps SRTT within [0, 8) us and RTTVAR within 12 us. */
	for (run = 0; run < 200; run++) {
		struct xtcp_rtt r;
		double srtt = 0, rttvar = 0;
		u32 scale = run % 4 == 0 ? 0xffffffffu : 1u << (8 + run % 22);

		xtcp_rtt_init(&r, 1, 0xffffffffu, 1);
		for (i = 0; i < 500; i++) {
			u32 s = rnd32() % scale;
			double d;

			CHECK(xtcp_rtt_sample(&r, s, false));
			if (!i) {
				srtt = s;
				rttvar = s / 2.0;
			} else {
				d = srtt > s ? srtt - s : s - srtt;
				rttvar = 0.75 * rttvar + 0.25 * d;
				srtt = 0.875 * srtt + 0.125 * s;
			}
			CHECK(srtt - r.srtt_us > -0.01 && srtt - r.srtt_us < 8);
			CHECK(rttvar - r.rttvar_us > -12 &&
			      rttvar - r.rttvar_us < 12);
			CHECK(r.rto_us >= r.min_rto_us && r.rto_us <= r.max_rto_us);
		}
	}
}

UNIT_TEST(xtcp_rtt_sample__steady_rtt_converges)
{
	struct xtcp_rtt r;
	int i;

	xtcp_rtt_init(&r, 1, 60 * SEC, 1);
	for (i = 0; i < 200; i++)
		xtcp_rtt_sample(&r, 40 * MS, false);
	CHECK_EQ(r.srtt_us, 40 * MS);
	CHECK_EQ(r.rttvar_us, 0);
	CHECK_EQ(r.rto_us, 40 * MS + 1);	/* SRTT + G */
}

UNIT_TEST(xtcp_rtt_sample__clamped_to_min_rto)
{
	struct xtcp_rtt r;

	rtt_linux(&r);
	xtcp_rtt_sample(&r, 50 * MS, false);	/* 3 R = 150 ms */
	CHECK_EQ(r.srtt_us, 50 * MS);
	CHECK_EQ(r.rto_us, 200 * MS);
	rtt_linux(&r);
	xtcp_rtt_sample(&r, 0, false);
	CHECK_EQ(r.srtt_us, 0);
	CHECK_EQ(r.rto_us, 200 * MS);
	xtcp_rtt_init(&r, 1 * SEC, 60 * SEC, 1);	/* RFC 6298's floor */
	xtcp_rtt_sample(&r, 300 * MS, false);
	CHECK_EQ(r.rto_us, 1 * SEC);
}

UNIT_TEST(xtcp_rtt_sample__clamped_to_max_rto_without_overflow)
{
	struct xtcp_rtt r;

	rtt_linux(&r);
	xtcp_rtt_sample(&r, 60 * SEC, false);	/* 3 R = 180 s */
	CHECK_EQ(r.rto_us, 120 * SEC);
	rtt_linux(&r);
	xtcp_rtt_sample(&r, 0xffffffffu, false);
	CHECK_EQ(r.srtt_us, 0xffffffffu);
	CHECK_EQ(r.rttvar_us, 0x7fffffffu);
	CHECK_EQ(r.rto_us, 120 * SEC);
	/* Largest possible swing, both ways. */
	xtcp_rtt_sample(&r, 0, false);
	CHECK_EQ(r.srtt_us, 0xdfffffffu);	/* 7/8 of 2^32 - 1, down */
	CHECK_EQ(r.rttvar_us, (u32)((3ull * 0x7fffffffu + 0xffffffffu) >> 2));
	CHECK_EQ(r.rto_us, 120 * SEC);
	xtcp_rtt_sample(&r, 0xffffffffu, false);
	CHECK(r.srtt_us > 0xdfffffffu);
	CHECK_EQ(r.rto_us, 120 * SEC);
	xtcp_rtt_init(&r, 1, 0xffffffffu, 0xffffffffu);
	xtcp_rtt_sample(&r, 0xffffffffu, false);
	CHECK_EQ(r.rto_us, 0xffffffffu);
}

UNIT_TEST(xtcp_rtt_sample__granularity_g)
{
	struct xtcp_rtt r;
	int i;

	/* A 4 ms clock (HZ=250): 4 RTTVAR = 2 ms is below G. */
	xtcp_rtt_init(&r, 1, 60 * SEC, 4 * MS);
	xtcp_rtt_sample(&r, 1 * MS, false);
	CHECK_EQ(r.rttvar_us, 500);
	CHECK_EQ(r.rto_us, 1 * MS + 4 * MS);
	/* 4 RTTVAR = 400 ms is above G: G plays no part. */
	xtcp_rtt_init(&r, 1, 60 * SEC, 4 * MS);
	xtcp_rtt_sample(&r, 200 * MS, false);
	CHECK_EQ(r.rto_us, 200 * MS + 400 * MS);
	/* With a steady RTT, RTTVAR decays and RTO settles at SRTT + G. */
	for (i = 0; i < 100; i++)
		xtcp_rtt_sample(&r, 200 * MS, false);
	CHECK_EQ(r.rto_us, 200 * MS + 4 * MS);
	/* G is never below the clamp's floor. */
	xtcp_rtt_init(&r, 300 * MS, 60 * SEC, 4 * MS);
	xtcp_rtt_sample(&r, 10 * MS, false);
	CHECK_EQ(r.rto_us, 300 * MS);
}

UNIT_TEST(xtcp_rtt_sample__karn_ignores_retransmitted_segments)
{
	struct xtcp_rtt r, before;

	rtt_linux(&r);
	/* No valid sample yet: a retransmitted one does not become one. */
	CHECK(!xtcp_rtt_sample(&r, 5 * MS, true));
	CHECK(!r.has_sample);
	CHECK_EQ(r.rto_us, 1 * SEC);

	CHECK(xtcp_rtt_sample(&r, 100 * MS, false));
	before = r;
	CHECK(!xtcp_rtt_sample(&r, 3 * SEC, true));
	CHECK_EQ(r.srtt_us, before.srtt_us);
	CHECK_EQ(r.rttvar_us, before.rttvar_us);
	CHECK_EQ(r.rto_us, before.rto_us);

	/* The backed-off RTO survives ambiguous samples... */
	xtcp_rtt_backoff(&r);
	xtcp_rtt_backoff(&r);
	CHECK_EQ(r.rto_us, 1200 * MS);
	CHECK_EQ(r.backoffs, 2);
	CHECK(!xtcp_rtt_sample(&r, 100 * MS, true));
	CHECK_EQ(r.rto_us, 1200 * MS);
	CHECK_EQ(r.backoffs, 2);
	/* ...and a sample from a segment sent once recomputes it. */
	CHECK(xtcp_rtt_sample(&r, 100 * MS, false));
	CHECK_EQ(r.backoffs, 0);
	CHECK_EQ(r.srtt_us, 100 * MS);
	CHECK_EQ(r.rttvar_us, 37500);
	CHECK_EQ(r.rto_us, 250 * MS);
}

/* ---- xtcp_rtt_backoff ---- */

UNIT_TEST(xtcp_rtt_backoff__doubles_up_to_max)
{
	static const u32 want[] = {
		2 * SEC, 4 * SEC, 8 * SEC, 16 * SEC, 32 * SEC, 64 * SEC,
		120 * SEC, 120 * SEC, 120 * SEC,
	};
	struct xtcp_rtt r;
	size_t i;

	rtt_linux(&r);
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		CHECK_EQ(xtcp_rtt_backoff(&r), want[i]);
		CHECK_EQ(r.rto_us, want[i]);
		CHECK_EQ(r.backoffs, i + 1);
	}
	/* From a measured RTO: 300, 600, 1200 ms. */
	rtt_linux(&r);
	xtcp_rtt_sample(&r, 100 * MS, false);
	CHECK_EQ(xtcp_rtt_backoff(&r), 600 * MS);
	CHECK_EQ(xtcp_rtt_backoff(&r), 1200 * MS);
}

UNIT_TEST(xtcp_rtt_backoff__sixty_four_backoffs_never_overflow)
{
	static const u32 maxes[] = {
		60 * SEC, 120 * SEC, 0x7fffffffu, 0x80000000u, 0x80000001u,
		0xfffffffeu, 0xffffffffu,
	};
	size_t m;
	int run, i;

	for (m = 0; m < ARRAY_SIZE(maxes); m++) {
		for (run = 0; run < 200; run++) {
			struct xtcp_rtt r;
			u64 expect;

			xtcp_rtt_init(&r, 1, maxes[m], 1);
			/* Start anywhere in [1, max], edges included. */
			if (run == 0)
				r.rto_us = 1;
			else if (run == 1)
				r.rto_us = maxes[m];
			else if (run == 2)
				r.rto_us = maxes[m] / 2;
			else if (run == 3)
				r.rto_us = maxes[m] / 2 + 1;
			else
				r.rto_us = 1 + rnd32() % maxes[m];
			expect = r.rto_us;
			for (i = 0; i < 64; i++) {
				expect *= 2;
				if (expect > maxes[m])
					expect = maxes[m];
				CHECK_EQ(xtcp_rtt_backoff(&r), expect);
				CHECK(r.rto_us >= 1 && r.rto_us <= maxes[m]);
			}
			CHECK_EQ(r.rto_us, maxes[m]);
			CHECK_EQ(r.backoffs, 64);
		}
	}
}

UNIT_TEST(xtcp_rtt_backoff__count_saturates)
{
	struct xtcp_rtt r;

	rtt_linux(&r);
	r.backoffs = 0xfffffffeu;
	xtcp_rtt_backoff(&r);
	CHECK_EQ(r.backoffs, 0xffffffffu);
	xtcp_rtt_backoff(&r);
	CHECK_EQ(r.backoffs, 0xffffffffu);
	CHECK_EQ(r.rto_us, 4 * SEC);
}

/* ---- xtcp_rtt_revert ---- */

/*
 * @n backoffs then @k reverts leave what @n - @k backoffs leave, from
 * every estimator: no sample, Linux's bounds with samples from 1 us to
 * past the maximum, and random bounds and samples.
 */
UNIT_TEST(xtcp_rtt_revert__undoes_backoffs_one_by_one)
{
	int run, n, k;

	for (run = 0; run < 300; run++) {
		struct xtcp_rtt fresh, r, ref;
		u32 sample = 0;

		if (run < 100) {
			rtt_linux(&fresh);
		} else {
			u32 max = 60 * SEC + rnd32() % (200 * SEC);

			xtcp_rtt_init(&fresh, 1 + rnd32() % (2 * SEC), max, 1 + rnd() % 4000);
		}
		if (run % 10) {
			sample = run < 20 ? 1u << (run % 32) : rnd32() % (300 * SEC);
			xtcp_rtt_sample(&fresh, sample, false);
		}
		n = rnd() % 70;
		k = rnd() % (n + 1);
		r = fresh;
		for (int i = 0; i < n; i++)
			xtcp_rtt_backoff(&r);
		for (int i = 0; i < k; i++)
			CHECK(xtcp_rtt_revert(&r));
		ref = fresh;
		for (int i = 0; i < n - k; i++)
			xtcp_rtt_backoff(&ref);
		CHECK_EQ(r.rto_us, ref.rto_us);
		CHECK_EQ(r.backoffs, ref.backoffs);
		CHECK_EQ(r.srtt_us, fresh.srtt_us);
		CHECK_EQ(r.rttvar_us, fresh.rttvar_us);
	}
}

/* Nothing to undo: false, RTO as it was (a sample's, or the initial). */
UNIT_TEST(xtcp_rtt_revert__nothing_to_undo)
{
	struct xtcp_rtt r;

	rtt_linux(&r);
	CHECK(!xtcp_rtt_revert(&r));
	CHECK_EQ(r.rto_us, 1 * SEC);
	xtcp_rtt_backoff(&r);
	CHECK(xtcp_rtt_revert(&r));
	CHECK_EQ(r.rto_us, 1 * SEC);
	CHECK_EQ(r.backoffs, 0);
	CHECK(!xtcp_rtt_revert(&r));
	xtcp_rtt_sample(&r, 100 * MS, false);	/* RTO 300 ms */
	xtcp_rtt_backoff(&r);
	xtcp_rtt_backoff(&r);
	CHECK_EQ(r.rto_us, 1200 * MS);
	CHECK(xtcp_rtt_revert(&r));
	CHECK_EQ(r.rto_us, 600 * MS);
	CHECK(xtcp_rtt_revert(&r));
	CHECK_EQ(r.rto_us, 300 * MS);
	CHECK(!xtcp_rtt_revert(&r));
	CHECK_EQ(r.rto_us, 300 * MS);
}

/* A saturated count still reverts, the RTO stays at the maximum. */
UNIT_TEST(xtcp_rtt_revert__from_a_saturated_count)
{
	struct xtcp_rtt r;

	rtt_linux(&r);
	r.backoffs = 0xffffffffu;
	r.rto_us = 120 * SEC;
	CHECK(xtcp_rtt_revert(&r));
	CHECK_EQ(r.backoffs, 0xfffffffeu);
	CHECK_EQ(r.rto_us, 120 * SEC);
}

/* ---- xtcp_rtt_model_timeout ---- */

/* TCP's figures: tcp_retries2 = 15 is 924.6 s, 3 is 3 s, 0 one RTO. */
UNIT_TEST(xtcp_rtt_model_timeout__tcp_numbers)
{
	struct xtcp_rtt r;

	rtt_linux(&r);
	CHECK_EQ(xtcp_rtt_model_timeout(&r, 200 * MS, 15), 924600ull * MS);
	CHECK_EQ(xtcp_rtt_model_timeout(&r, 200 * MS, 3), 3000ull * MS);
	CHECK_EQ(xtcp_rtt_model_timeout(&r, 200 * MS, 0), 200ull * MS);
	/* 1 s SYNs, tcp_syn_retries = 6: 1 + 2 + ... + 64 */
	CHECK_EQ(xtcp_rtt_model_timeout(&r, 1 * SEC, 6), 127ull * SEC);
	/* a base above the maximum starts at the maximum */
	CHECK_EQ(xtcp_rtt_model_timeout(&r, 200 * SEC, 2), 360ull * SEC);
	CHECK_EQ(xtcp_rtt_model_timeout(&r, 0, 0), 1);
}

/* The largest inputs fit in 64 bits: no wrap. */
UNIT_TEST(xtcp_rtt_model_timeout__largest_inputs)
{
	struct xtcp_rtt r;

	xtcp_rtt_init(&r, 1, 0xffffffffu, 1);
	CHECK_EQ(xtcp_rtt_model_timeout(&r, 0xffffffffu, 0xffffffffu),
		 0xffffffff00000000ull);
	/* 1 + 2 + ... + 2^31, then 2^32 - 32 at the maximum */
	CHECK_EQ(xtcp_rtt_model_timeout(&r, 1, 0xffffffffu),
		 0xffffffffull + (0x100000000ull - 32) * 0xffffffffull);
	CHECK_EQ(xtcp_rtt_model_timeout(&r, 0xffffffffu, 1), 0x1fffffffeull);
}

/*
 * The model is never longer than the expiries themselves: from any RTO at
 * or above the base, @b + 1 expiries with a backoff at each last at least
 * as long.  So a count of expiries that ends a connection is never held
 * back by the model while nothing was reverted.
 */
UNIT_TEST(xtcp_rtt_model_timeout__never_after_the_count)
{
	int run;

	for (run = 0; run < 2000; run++) {
		struct xtcp_rtt r;
		u32 base, b = rnd() % 40;
		u64 sum = 0;

		if (run % 2)
			rtt_linux(&r);
		else
			xtcp_rtt_init(&r, 1 + rnd32() % SEC, 60 * SEC + rnd32() % (60 * SEC), 1);
		base = r.min_rto_us;
		r.rto_us = base + (run % 4 ? rnd32() % (r.max_rto_us - base + 1) : 0);
		for (u32 i = 0; i <= b; i++) {
			sum += r.rto_us;
			xtcp_rtt_backoff(&r);
		}
		CHECK(sum >= xtcp_rtt_model_timeout(&r, base, b));
		if (run % 4 == 0)	/* from the base exactly: equal */
			CHECK_EQ(sum, xtcp_rtt_model_timeout(&r, base, b));
	}
}

/*
 * A sender as the congestion control sees it: SND.UNA, and SND.NXT never
 * rewound (SND.MAX).
 */
struct sim {
	struct xtcp_cc cc;
	u32 una;
	u32 nxt;
	u64 now_us;	/* the clock ACKs arrive by */
	u32 rtt_us;	/* the sample each ACK gives, or XTCP_CC_NO_RTT */
};

static void sim_init_algo(struct sim *s, const struct xtcp_cc_algo *algo,
			  u32 isn, u32 mss)
{
	xtcp_cc_init(&s->cc, algo, mss);
	s->una = isn;
	s->nxt = isn;
	s->now_us = 1000 * SEC;
	s->rtt_us = XTCP_CC_NO_RTT;
}

static void sim_init(struct sim *s, u32 isn, u32 mss)
{
	sim_init_algo(s, &xtcp_cc_newreno, isn, mss);
}

static u32 sim_flight(const struct sim *s)
{
	return s->nxt - s->una;
}

/* Send what the window allows. */
static u32 sim_fill(struct sim *s)
{
	u32 room = 0;

	if (xtcp_cc_window(&s->cc) > sim_flight(s))
		room = xtcp_cc_window(&s->cc) - sim_flight(s);
	s->nxt += room;
	return room;
}

/* An ACK of @bytes more; @sack: the connection recovers with SACK. */
static enum xtcp_cc_action sim_ack_sack(struct sim *s, u32 bytes, bool sack)
{
	struct xtcp_cc_ack a = {};

	s->una += bytes;
	a.now_us = s->now_us;
	a.ack = s->una;
	a.acked = bytes;
	a.flight = sim_flight(s);
	a.snd_nxt = s->nxt;
	a.rtt_us = s->rtt_us;
	a.sack = sack;
	return xtcp_cc_on_ack(&s->cc, &a);
}

static enum xtcp_cc_action sim_ack(struct sim *s, u32 bytes)
{
	return sim_ack_sack(s, bytes, false);
}

static enum xtcp_cc_action sim_dupack(struct sim *s)
{
	return xtcp_cc_on_dupack(&s->cc, s->una, s->nxt, sim_flight(s));
}

static void sim_timeout(struct sim *s)
{
	xtcp_cc_on_timeout(&s->cc, s->nxt, sim_flight(s));
}

/*
 * One round trip: everything in flight is acknowledged, @per_ack bytes
 * per ACK (the last ACK may carry less); nothing new is sent meanwhile.
 */
static void sim_round(struct sim *s, u32 per_ack)
{
	while (sim_flight(s)) {
		u32 n = sim_flight(s) < per_ack ? sim_flight(s) : per_ack;

		CHECK_EQ(sim_ack(s, n), XTCP_CC_NONE);
	}
}

/* ---- xtcp_cc_initial_window ---- */

UNIT_TEST(xtcp_cc_initial_window__rfc5681_formula_every_mss)
{
	u32 mss;

	for (mss = 1; mss <= XTCP_CC_MAX_MSS; mss++) {
		u32 lo = 2 * mss > 4380 ? 2 * mss : 4380;
		u32 iw = 4 * mss < lo ? 4 * mss : lo;

		CHECK_EQ(xtcp_cc_initial_window(mss), iw);
	}
	CHECK_EQ(xtcp_cc_initial_window(1460), 3 * 1460);
	CHECK_EQ(xtcp_cc_initial_window(536), 4 * 536);
	CHECK_EQ(xtcp_cc_initial_window(1095), 4380);
	CHECK_EQ(xtcp_cc_initial_window(2190), 2 * 2190);
	CHECK_EQ(xtcp_cc_initial_window(4000), 2 * 4000);
	CHECK_EQ(xtcp_cc_initial_window(9000), 2 * 9000);
}

UNIT_TEST(xtcp_cc_initial_window__mss_out_of_range_clamped)
{
	CHECK_EQ(xtcp_cc_initial_window(0), 4);
	CHECK_EQ(xtcp_cc_initial_window(65536), 2 * 65535);
	CHECK_EQ(xtcp_cc_initial_window(0xffffffffu), 2 * 65535);
}

/* ---- xtcp_cc_init ---- */

UNIT_TEST(xtcp_cc_init__fresh_state)
{
	struct xtcp_cc cc;

	xtcp_cc_init(&cc, &xtcp_cc_newreno, 1460);
	CHECK_EQ(cc.mss, 1460);
	CHECK_EQ(cc.cwnd, 4380);
	CHECK_EQ(xtcp_cc_window(&cc), 4380);
	CHECK_EQ(cc.ssthresh, XTCP_CC_MAX_WINDOW);
	CHECK_EQ(cc.bytes_acked, 0);
	CHECK_EQ(cc.dupacks, 0);
	CHECK_EQ(cc.partial_acks, 0);
	CHECK(!cc.in_recovery);
	CHECK(!cc.recover_valid);
	CHECK(!cc.timed_out);
	xtcp_cc_init(&cc, &xtcp_cc_newreno, 0);
	CHECK_EQ(cc.mss, 1);
	CHECK_EQ(cc.cwnd, 4);
	xtcp_cc_init(&cc, &xtcp_cc_newreno, 100000);
	CHECK_EQ(cc.mss, XTCP_CC_MAX_MSS);
}

UNIT_TEST(xtcp_cc_init__first_dupacks_may_fast_retransmit)
{
	size_t i;

	/* RFC 6582's recover = ISS: no ACK is ever at or below it. */
	for (i = 0; i < ARRAY_SIZE(isns); i++) {
		struct sim s;

		sim_init(&s, isns[i], 1000);
		sim_fill(&s);
		CHECK_EQ(sim_dupack(&s), XTCP_CC_NONE);
		CHECK_EQ(sim_dupack(&s), XTCP_CC_NONE);
		CHECK_EQ(sim_dupack(&s), XTCP_CC_FAST_RETRANSMIT);
	}
}

/* ---- xtcp_cc_set_mss ---- */

UNIT_TEST(xtcp_cc_set_mss__keeps_bytes_and_raises_floors)
{
	struct xtcp_cc cc;

	xtcp_cc_init(&cc, &xtcp_cc_newreno, 1460);
	cc.cwnd = 20000;
	cc.ssthresh = 30000;
	xtcp_cc_set_mss(&cc, 1200);	/* smaller path MTU */
	CHECK_EQ(cc.mss, 1200);
	CHECK_EQ(cc.cwnd, 20000);
	CHECK_EQ(cc.ssthresh, 30000);

	cc.cwnd = 1200;
	cc.ssthresh = 2400;
	xtcp_cc_set_mss(&cc, 9000);	/* larger: floors follow */
	CHECK_EQ(cc.cwnd, 9000);
	CHECK_EQ(cc.ssthresh, 18000);
	xtcp_cc_set_mss(&cc, 0);
	CHECK_EQ(cc.mss, 1);
	xtcp_cc_set_mss(&cc, 0xffffffffu);
	CHECK_EQ(cc.mss, XTCP_CC_MAX_MSS);
	CHECK_EQ(cc.cwnd, XTCP_CC_MAX_MSS);
	CHECK_EQ(cc.ssthresh, 2 * XTCP_CC_MAX_MSS);
}

/* ---- xtcp_cc_on_ack ---- */

UNIT_TEST(xtcp_cc_on_ack__slow_start_adds_min_of_acked_and_mss)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(isns); i++) {
		struct sim s;

		sim_init(&s, isns[i], 1460);
		s.nxt += 100000;
		CHECK_EQ(sim_ack(&s, 1460), XTCP_CC_NONE);
		CHECK_EQ(s.cc.cwnd, 4380 + 1460);
		CHECK_EQ(sim_ack(&s, 2920), XTCP_CC_NONE);	/* delayed ACK */
		CHECK_EQ(s.cc.cwnd, 4380 + 2 * 1460);
		CHECK_EQ(sim_ack(&s, 100), XTCP_CC_NONE);	/* runt */
		CHECK_EQ(s.cc.cwnd, 4380 + 2 * 1460 + 100);
		CHECK_EQ(sim_ack(&s, 50000), XTCP_CC_NONE);	/* stretch */
		CHECK_EQ(s.cc.cwnd, 4380 + 3 * 1460 + 100);
		CHECK_EQ(s.cc.bytes_acked, 0);
	}
}

UNIT_TEST(xtcp_cc_on_ack__zero_bytes_changes_nothing)
{
	struct sim s;
	struct xtcp_cc before;

	sim_init(&s, 0xfffffff0u, 1000);
	sim_fill(&s);
	sim_dupack(&s);
	before = s.cc;
	CHECK_EQ(sim_ack(&s, 0), XTCP_CC_NONE);
	CHECK_EQ(s.cc.cwnd, before.cwnd);
	CHECK_EQ(s.cc.dupacks, 1);
}

UNIT_TEST(xtcp_cc_on_ack__slow_start_doubles_per_rtt_up_to_ssthresh)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(isns); i++) {
		struct sim s;
		u32 w = 3 * 1460;
		int rtt;

		sim_init(&s, isns[i], 1460);
		s.cc.ssthresh = 100 * 1460 + 700;
		for (rtt = 0; rtt < 5; rtt++) {
			CHECK_EQ(sim_fill(&s), w);
			sim_round(&s, 1460);
			w *= 2;
			CHECK_EQ(s.cc.cwnd, w);
		}
		/*
		 * 192 MSS would be next: the fifth ACK reaches ssthresh, the
		 * other 91 count towards congestion avoidance.
		 */
		sim_fill(&s);
		sim_round(&s, 1460);
		CHECK_EQ(s.cc.cwnd, 100 * 1460 + 700);
		CHECK_EQ(s.cc.bytes_acked, 91 * 1460);
	}
}

UNIT_TEST(xtcp_cc_on_ack__slow_start_with_delayed_acks_grows_half)
{
	struct sim s;
	int rtt;

	/* One ACK per two segments: 1.5x per round trip (RFC 5681 3.1). */
	sim_init(&s, 0xffffff00u, 1000);
	s.cc.cwnd = 16000;
	for (rtt = 0; rtt < 4; rtt++) {
		u32 w = s.cc.cwnd;

		sim_fill(&s);
		sim_round(&s, 2000);
		CHECK_EQ(s.cc.cwnd, w + w / 2);
	}
}

UNIT_TEST(xtcp_cc_on_ack__congestion_avoidance_one_mss_per_rtt)
{
	static const u32 per_ack[] = { 1, 2, 3, 7 };	/* segments per ACK */
	size_t i, p;

	for (i = 0; i < ARRAY_SIZE(isns); i++) {
		for (p = 0; p < ARRAY_SIZE(per_ack); p++) {
			struct sim s;
			int rtt;

			sim_init(&s, isns[i], 1460);
			s.cc.cwnd = 20 * 1460;
			s.cc.ssthresh = 20 * 1460;
			for (rtt = 1; rtt <= 60; rtt++) {
				sim_fill(&s);
				sim_round(&s, per_ack[p] * 1460);
				CHECK_EQ(s.cc.cwnd, (20 + rtt) * 1460);
			}
		}
	}
}

UNIT_TEST(xtcp_cc_on_ack__congestion_avoidance_grows_on_huge_windows)
{
	struct sim s;
	u32 w;

	/* cwnd above MSS * MSS: MSS * MSS / cwnd would round to 0 per ACK. */
	sim_init(&s, 0xfff00000u, 536);
	s.cc.cwnd = 600000;
	s.cc.ssthresh = 600000;
	w = s.cc.cwnd;
	sim_fill(&s);
	sim_round(&s, 536);
	CHECK_EQ(s.cc.cwnd, w + 536);
	/* ...and it never passes XTCP_CC_MAX_WINDOW. */
	s.cc.cwnd = XTCP_CC_MAX_WINDOW - 100;
	s.cc.ssthresh = XTCP_CC_MAX_WINDOW - 100;
	s.cc.bytes_acked = 0;
	sim_fill(&s);
	sim_round(&s, 0x10000000u);
	CHECK_EQ(s.cc.cwnd, XTCP_CC_MAX_WINDOW);
	sim_fill(&s);
	sim_round(&s, 0x10000000u);
	CHECK_EQ(s.cc.cwnd, XTCP_CC_MAX_WINDOW);
	CHECK(s.cc.bytes_acked <= s.cc.cwnd);
}

UNIT_TEST(xtcp_cc_on_ack__one_increase_per_ack_at_most)
{
	struct sim s;

	sim_init(&s, 0xfffffff0u, 1000);
	s.cc.cwnd = 10000;
	s.cc.ssthresh = 10000;
	s.nxt += 0x80000000u;
	CHECK_EQ(sim_ack(&s, 0x7fffffffu), XTCP_CC_NONE);
	CHECK_EQ(s.cc.cwnd, 11000);
	CHECK_EQ(s.cc.bytes_acked, 11000);	/* carried, bounded */
	CHECK_EQ(sim_ack(&s, 1), XTCP_CC_NONE);
	CHECK_EQ(s.cc.cwnd, 12000);
	CHECK_EQ(s.cc.bytes_acked, 1);
}

UNIT_TEST(xtcp_cc_on_ack__resets_the_dupack_count)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(isns); i++) {
		struct sim s;

		sim_init(&s, isns[i], 1000);
		s.cc.cwnd = 10000;
		sim_fill(&s);
		CHECK_EQ(sim_dupack(&s), XTCP_CC_NONE);
		CHECK_EQ(sim_dupack(&s), XTCP_CC_NONE);
		CHECK_EQ(sim_ack(&s, 1000), XTCP_CC_NONE);
		CHECK_EQ(s.cc.dupacks, 0);
		CHECK_EQ(sim_dupack(&s), XTCP_CC_NONE);
		CHECK_EQ(sim_dupack(&s), XTCP_CC_NONE);
		CHECK(!s.cc.in_recovery);
		CHECK_EQ(sim_dupack(&s), XTCP_CC_FAST_RETRANSMIT);
	}
}

/*
 * The standard scenario: 10 segments of 1000 bytes in flight, the first
 * lost; three duplicate ACKs start fast recovery.
 */
static void sim_enter_recovery(struct sim *s, u32 isn)
{
	sim_init(s, isn, 1000);
	s->cc.cwnd = 10000;
	sim_fill(s);
	sim_dupack(s);
	sim_dupack(s);
	CHECK_EQ(sim_dupack(s), XTCP_CC_FAST_RETRANSMIT);
	CHECK_EQ(s->cc.ssthresh, 5000);
	CHECK_EQ(s->cc.cwnd, 8000);
}

UNIT_TEST(xtcp_cc_on_ack__partial_ack_retransmits_and_deflates)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(isns); i++) {
		struct sim s;
		int d;

		/* Segments 1 and 5 lost: 8 dupacks, then partial ACKs. */
		sim_enter_recovery(&s, isns[i]);
		for (d = 0; d < 5; d++)
			sim_dupack(&s);
		CHECK_EQ(s.cc.cwnd, 13000);
		CHECK_EQ(sim_fill(&s), 3000);	/* new data, recover stays */
		CHECK_EQ(s.cc.recover, isns[i] + 10000);

		/* Retransmitted segment 1 fills the hole up to segment 5. */
		CHECK_EQ(sim_ack(&s, 4000), XTCP_CC_PARTIAL_RETRANSMIT);
		CHECK(s.cc.in_recovery);
		CHECK_EQ(s.cc.cwnd, 13000 - 4000 + 1000);
		CHECK_EQ(s.cc.ssthresh, 5000);
		/* A second partial ACK: the timer is left alone. */
		CHECK_EQ(sim_ack(&s, 2000),
			 XTCP_CC_PARTIAL_RETRANSMIT_KEEP_TIMER);
		CHECK_EQ(s.cc.cwnd, 10000 - 2000 + 1000);
		/* Less than an MSS acknowledged: nothing added back. */
		CHECK_EQ(sim_ack(&s, 500),
			 XTCP_CC_PARTIAL_RETRANSMIT_KEEP_TIMER);
		CHECK_EQ(s.cc.cwnd, 9000 - 500);
		CHECK_EQ(s.cc.partial_acks, 3);
		/* Dupacks between partial ACKs still inflate. */
		CHECK_EQ(sim_dupack(&s), XTCP_CC_NONE);
		CHECK_EQ(s.cc.cwnd, 9500);
		CHECK(s.cc.in_recovery);
	}
}

UNIT_TEST(xtcp_cc_on_ack__partial_ack_deflation_floors_at_one_mss)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(isns); i++) {
		struct sim s;

		sim_enter_recovery(&s, isns[i]);
		s.cc.cwnd = 3000;	/* as if the caller lowered it */
		CHECK_EQ(sim_ack(&s, 9000), XTCP_CC_PARTIAL_RETRANSMIT);
		CHECK_EQ(s.cc.cwnd, 1000);
		CHECK(s.cc.in_recovery);
	}
}

UNIT_TEST(xtcp_cc_on_ack__full_ack_exits_recovery)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(isns); i++) {
		struct sim s;
		int d;

		/* Everything acknowledged: cwnd = min(ssthresh, MSS + MSS). */
		sim_enter_recovery(&s, isns[i]);
		for (d = 0; d < 7; d++)
			sim_dupack(&s);
		CHECK_EQ(sim_ack(&s, 10000), XTCP_CC_NONE);
		CHECK(!s.cc.in_recovery);
		CHECK_EQ(s.cc.cwnd, 2000);
		CHECK_EQ(s.cc.ssthresh, 5000);
		CHECK_EQ(s.cc.dupacks, 0);
		/* Below ssthresh again: slow start. */
		s.nxt += 1000;
		CHECK_EQ(sim_ack(&s, 1000), XTCP_CC_NONE);
		CHECK_EQ(s.cc.cwnd, 3000);

		/* New data in flight past recover: cwnd = ssthresh. */
		sim_enter_recovery(&s, isns[i]);
		for (d = 0; d < 7; d++)
			sim_dupack(&s);
		CHECK_EQ(sim_fill(&s), 5000);
		CHECK_EQ(sim_ack(&s, 10000), XTCP_CC_NONE);
		CHECK(!s.cc.in_recovery);
		CHECK_EQ(s.cc.cwnd, 5000);
		CHECK_EQ(s.cc.bytes_acked, 0);
		/* Congestion avoidance from there. */
		sim_round(&s, 1000);
		CHECK_EQ(s.cc.cwnd, 6000);

		/* Flight between: min(ssthresh, flight + MSS). */
		sim_enter_recovery(&s, isns[i]);
		for (d = 0; d < 7; d++)
			sim_dupack(&s);
		s.nxt += 2500;
		CHECK_EQ(sim_ack(&s, 10000), XTCP_CC_NONE);
		CHECK_EQ(s.cc.cwnd, 3500);
	}
}

UNIT_TEST(xtcp_cc_on_ack__full_ack_after_partial_acks)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(isns); i++) {
		struct sim s;

		sim_enter_recovery(&s, isns[i]);
		CHECK_EQ(sim_ack(&s, 3000), XTCP_CC_PARTIAL_RETRANSMIT);
		CHECK_EQ(sim_ack(&s, 3000),
			 XTCP_CC_PARTIAL_RETRANSMIT_KEEP_TIMER);
		CHECK_EQ(sim_ack(&s, 4000), XTCP_CC_NONE);
		CHECK(!s.cc.in_recovery);
		/* The next recovery counts its partial ACKs afresh. */
		s.nxt += 10000;
		sim_ack(&s, 1000);
		sim_dupack(&s);
		sim_dupack(&s);
		CHECK_EQ(sim_dupack(&s), XTCP_CC_FAST_RETRANSMIT);
		CHECK_EQ(sim_ack(&s, 1000), XTCP_CC_PARTIAL_RETRANSMIT);
	}
}

/* ---- xtcp_cc_on_dupack ---- */

UNIT_TEST(xtcp_cc_on_dupack__first_two_change_nothing)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(isns); i++) {
		struct sim s;

		sim_init(&s, isns[i], 1000);
		s.cc.cwnd = 10000;
		sim_fill(&s);
		CHECK_EQ(sim_dupack(&s), XTCP_CC_NONE);
		CHECK_EQ(sim_dupack(&s), XTCP_CC_NONE);
		CHECK_EQ(s.cc.cwnd, 10000);
		CHECK_EQ(s.cc.ssthresh, XTCP_CC_MAX_WINDOW);
		CHECK_EQ(s.cc.dupacks, 2);
		CHECK(!s.cc.in_recovery);
	}
}

UNIT_TEST(xtcp_cc_on_dupack__third_starts_fast_retransmit)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(isns); i++) {
		struct sim s;

		sim_enter_recovery(&s, isns[i]);
		CHECK(s.cc.in_recovery);
		CHECK(s.cc.recover_valid);
		CHECK_EQ(s.cc.recover, isns[i] + 10000);
		CHECK_EQ(s.cc.partial_acks, 0);
		CHECK_EQ(xtcp_cc_window(&s.cc), 5000 + 3 * 1000);

		/* ssthresh never below two segments. */
		sim_init(&s, isns[i], 1000);
		s.nxt += 1500;
		sim_dupack(&s);
		sim_dupack(&s);
		CHECK_EQ(sim_dupack(&s), XTCP_CC_FAST_RETRANSMIT);
		CHECK_EQ(s.cc.ssthresh, 2000);
		CHECK_EQ(s.cc.cwnd, 5000);

		/* Half the flight, not half of cwnd (RFC 5681 eq. 4). */
		sim_init(&s, isns[i], 1000);
		s.cc.cwnd = 40000;
		s.nxt += 12345;
		sim_dupack(&s);
		sim_dupack(&s);
		CHECK_EQ(sim_dupack(&s), XTCP_CC_FAST_RETRANSMIT);
		CHECK_EQ(s.cc.ssthresh, 6172);
		CHECK_EQ(s.cc.cwnd, 9172);
	}
}

UNIT_TEST(xtcp_cc_on_dupack__further_dupacks_inflate)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(isns); i++) {
		struct sim s;
		int d;

		sim_enter_recovery(&s, isns[i]);
		for (d = 1; d <= 20; d++) {
			CHECK_EQ(sim_dupack(&s), XTCP_CC_NONE);
			CHECK_EQ(s.cc.cwnd, 8000 + d * 1000);
			CHECK_EQ(s.cc.ssthresh, 5000);
		}
		/* Inflation is capped too. */
		s.cc.cwnd = XTCP_CC_MAX_WINDOW - 10;
		sim_dupack(&s);
		CHECK_EQ(s.cc.cwnd, XTCP_CC_MAX_WINDOW);
	}
}

UNIT_TEST(xtcp_cc_on_dupack__only_the_third_triggers)
{
	struct sim s;
	int d;

	/* Outside recovery (recover not passed), 4th and later: nothing. */
	sim_init(&s, 0xfffffffeu, 1000);
	s.cc.cwnd = 10000;
	sim_fill(&s);
	sim_timeout(&s);
	for (d = 1; d <= 100; d++) {
		CHECK_EQ(sim_dupack(&s), XTCP_CC_NONE);
		CHECK_EQ(s.cc.cwnd, 1000);
	}
	s.cc.dupacks = 0xfffffffeu;
	sim_dupack(&s);
	sim_dupack(&s);
	CHECK_EQ(s.cc.dupacks, 0xffffffffu);
}

UNIT_TEST(xtcp_cc_on_dupack__not_again_before_an_ack_passes_recover)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(isns); i++) {
		struct sim s;

		/* Recovery ends exactly at recover; new data then goes. */
		sim_enter_recovery(&s, isns[i]);
		CHECK_EQ(sim_ack(&s, 10000), XTCP_CC_NONE);
		CHECK(s.cc.recover_valid);
		sim_fill(&s);
		/* Its first segment lost: SEG.ACK - 1 is not above recover. */
		CHECK_EQ(sim_dupack(&s), XTCP_CC_NONE);
		CHECK_EQ(sim_dupack(&s), XTCP_CC_NONE);
		CHECK_EQ(sim_dupack(&s), XTCP_CC_NONE);
		CHECK(!s.cc.in_recovery);
		CHECK_EQ(s.cc.ssthresh, 5000);
		/* Once an ACK passes recover the check is gone. */
		CHECK_EQ(sim_ack(&s, 1), XTCP_CC_NONE);
		CHECK(!s.cc.recover_valid);
		sim_dupack(&s);
		sim_dupack(&s);
		CHECK_EQ(sim_dupack(&s), XTCP_CC_FAST_RETRANSMIT);
		CHECK_EQ(s.cc.recover, s.nxt);
	}
}

UNIT_TEST(xtcp_cc_on_dupack__recover_never_goes_stale)
{
	size_t i;

	/* 3 GB without a loss after a recovery: more than half the space. */
	for (i = 0; i < ARRAY_SIZE(isns); i++) {
		struct sim s;
		int k;

		sim_enter_recovery(&s, isns[i]);
		sim_ack(&s, 10000);
		s.nxt += 1000;
		sim_ack(&s, 1000);
		for (k = 0; k < 3; k++) {
			s.nxt += 1000000000u;
			sim_ack(&s, 1000000000u);
		}
		CHECK(xtcp_seq_before(s.una, s.cc.recover));	/* wrapped */
		s.nxt += 5000;
		sim_dupack(&s);
		sim_dupack(&s);
		CHECK_EQ(sim_dupack(&s), XTCP_CC_FAST_RETRANSMIT);
	}
}

/* ---- xtcp_cc_enter_recovery (SACK) ---- */

static enum xtcp_cc_action sim_sack_ack(struct sim *s, u32 bytes)
{
	return sim_ack_sack(s, bytes, true);
}

/* RFC 6675 5 step 4: ssthresh from the algorithm, cwnd falls to it. */
UNIT_TEST(xtcp_cc_enter_recovery__cwnd_to_ssthresh)
{
	struct sim s;

	sim_init(&s, 1000, 1000);
	s.cc.cwnd = 20000;
	s.nxt = s.una + 20000;
	CHECK(xtcp_cc_enter_recovery(&s.cc, s.una, s.nxt, sim_flight(&s)));
	CHECK_EQ(s.cc.ssthresh, 10000);
	CHECK_EQ(s.cc.cwnd, 10000);
	CHECK(s.cc.in_recovery);
	CHECK_EQ(s.cc.recover, s.nxt);
	/* a second loss in the same episode changes nothing */
	CHECK(!xtcp_cc_enter_recovery(&s.cc, s.una, s.nxt, sim_flight(&s)));
	CHECK_EQ(s.cc.cwnd, 10000);
}

/* SACK partial ACKs neither deflate cwnd nor ask for a retransmission. */
UNIT_TEST(xtcp_cc_enter_recovery__partial_acks_keep_cwnd_full_ack_ends)
{
	struct sim s;

	sim_init(&s, 5000, 1000);
	s.cc.cwnd = 20000;
	s.nxt = s.una + 20000;
	CHECK(xtcp_cc_enter_recovery(&s.cc, s.una, s.nxt, sim_flight(&s)));
	CHECK_EQ(sim_sack_ack(&s, 3000), XTCP_CC_NONE);
	CHECK_EQ(s.cc.cwnd, 10000);
	CHECK(s.cc.in_recovery);
	CHECK_EQ(sim_sack_ack(&s, 17000), XTCP_CC_NONE);
	CHECK(!s.cc.in_recovery);
	CHECK_EQ(s.cc.cwnd, 2000);	/* min(ssthresh, max(flight, MSS) + MSS) */
	CHECK_EQ(s.cc.ssthresh, 10000);
}

/* Losses found while a timeout's repair is under way: no second cut. */
UNIT_TEST(xtcp_cc_enter_recovery__not_after_timeout_until_recover)
{
	struct sim s;

	sim_init(&s, 0xfffff000u, 1000);
	s.cc.cwnd = 20000;
	s.nxt = s.una + 20000;
	sim_timeout(&s);
	CHECK(!xtcp_cc_enter_recovery(&s.cc, s.una, s.nxt, sim_flight(&s)));
	CHECK_EQ(sim_sack_ack(&s, 1000), XTCP_CC_NONE);	/* timed_out ends */
	CHECK(!xtcp_cc_enter_recovery(&s.cc, s.una, s.nxt, sim_flight(&s)));
	CHECK_EQ(sim_sack_ack(&s, 19000), XTCP_CC_NONE);	/* passes recover */
	s.nxt += 4000;
	CHECK(xtcp_cc_enter_recovery(&s.cc, s.una, s.nxt, sim_flight(&s)));
	CHECK_EQ(s.cc.ssthresh, 2000);	/* at least 2 * MSS */
}

/* RFC 8985 7.4.2: a probe's repair reduces as a recovery ending at once. */
UNIT_TEST(xtcp_cc_reduce__as_a_recovery_that_ends_at_once)
{
	struct sim s;

	sim_init(&s, 0xffffe000u, 1000);
	s.cc.cwnd = 20000;
	s.nxt = s.una + 20000;
	CHECK(xtcp_cc_reduce(&s.cc, sim_flight(&s)));
	CHECK_EQ(s.cc.ssthresh, 10000);
	CHECK_EQ(s.cc.cwnd, 10000);
	CHECK(!s.cc.in_recovery);
	CHECK(!s.cc.timed_out);
	/* a window already below the new ssthresh stays */
	s.cc.cwnd = 4000;
	CHECK(xtcp_cc_reduce(&s.cc, sim_flight(&s)));
	CHECK_EQ(s.cc.cwnd, 4000);
	CHECK_EQ(s.cc.ssthresh, 10000);
	/* never inside an episode that already reduced */
	s.cc.cwnd = 20000;
	CHECK(xtcp_cc_enter_recovery(&s.cc, s.una, s.nxt, sim_flight(&s)));
	s.cc.cwnd = 12000;
	CHECK(!xtcp_cc_reduce(&s.cc, 4000));
	CHECK_EQ(s.cc.cwnd, 12000);
	CHECK_EQ(s.cc.ssthresh, 10000);
	sim_timeout(&s);
	CHECK(!xtcp_cc_reduce(&s.cc, 4000));
	CHECK_EQ(s.cc.cwnd, 1000);
}

/* ---- xtcp_cc_undo (spurious fast recovery) ---- */

/* 20 segments out from @isn, cwnd 20000, recovery entered: 10000 left. */
static void sim_recovery_20(struct sim *s, u32 isn)
{
	sim_init(s, isn, 1000);
	s->cc.cwnd = 20000;
	s->cc.ssthresh = 30000;
	s->nxt = s->una + 20000;
	CHECK(xtcp_cc_enter_recovery(&s->cc, s->una, s->nxt, sim_flight(s)));
	CHECK_EQ(s->cc.cwnd, 10000);
}

/*
 * RFC 2883 4.2: two resends, both reported as duplicates: spurious.  The
 * undo waits for the recovery's end, restores cwnd and ssthresh, and is
 * done once.
 */
UNIT_TEST(xtcp_cc_undo__every_resend_dsacked)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(isns); i++) {
		struct sim s;
		u32 una;

		sim_recovery_20(&s, isns[i]);
		una = s.una;
		xtcp_cc_undo_resent(&s.cc, 1, 77);
		xtcp_cc_undo_resent(&s.cc, 1, 78);
		xtcp_cc_undo_dsack(&s.cc, una, una + 1000);
		CHECK_EQ(s.cc.undo.why, 0);	/* one still unreported */
		xtcp_cc_undo_dsack(&s.cc, una + 5000, una + 6000);
		CHECK_EQ(s.cc.undo.why, XTCP_CC_UNDO_DSACK);
		CHECK_EQ(xtcp_cc_undo(&s.cc), 0);	/* still recovering */
		CHECK_EQ(s.cc.cwnd, 10000);
		CHECK_EQ(sim_sack_ack(&s, 20000), XTCP_CC_NONE);
		CHECK(!s.cc.in_recovery);
		CHECK_EQ(xtcp_cc_undo(&s.cc), XTCP_CC_UNDO_DSACK);
		CHECK_EQ(s.cc.cwnd, 20000);
		CHECK_EQ(s.cc.ssthresh, 30000);
		CHECK_EQ(xtcp_cc_undo(&s.cc), 0);
		oracle_cc_invariants(&s.cc, s.una, s.nxt);
	}
}

/* A D-SACK for a run counts its segments; none before a resend counts. */
UNIT_TEST(xtcp_cc_undo__dsack_counts_segments_and_needs_a_resend)
{
	struct sim s;
	u32 una;

	sim_recovery_20(&s, 0xfffff800u);
	una = s.una;
	xtcp_cc_undo_dsack(&s.cc, una, una + 3000);	/* no resend yet */
	CHECK_EQ(s.cc.undo.why, 0);
	xtcp_cc_undo_resent(&s.cc, 3, 0);
	xtcp_cc_undo_dsack(&s.cc, una, una + 2000);
	CHECK_EQ(s.cc.undo.retrans, 1);
	xtcp_cc_undo_dsack(&s.cc, una + 2000, una + 2001);	/* a byte: one */
	CHECK_EQ(s.cc.undo.why, XTCP_CC_UNDO_DSACK);
}

/*
 * Duplicates of data below the recovery's SND.UNA, or sent after it
 * began, say nothing about it.
 */
UNIT_TEST(xtcp_cc_undo__dsack_outside_the_recovery_is_other_news)
{
	struct sim s;
	u32 una;

	sim_recovery_20(&s, 0x7ffffc00u);
	una = s.una;
	xtcp_cc_undo_resent(&s.cc, 1, 0);
	xtcp_cc_undo_dsack(&s.cc, una - 1000, una);
	CHECK_EQ(s.cc.undo.retrans, 1);
	xtcp_cc_undo_dsack(&s.cc, una + 20000, una + 21000);
	CHECK_EQ(s.cc.undo.retrans, 1);
	xtcp_cc_undo_dsack(&s.cc, una + 10, una + 10);	/* empty */
	CHECK_EQ(s.cc.undo.retrans, 1);
	CHECK_EQ(s.cc.undo.why, 0);
	xtcp_cc_undo_dsack(&s.cc, una + 19000, una + 20000);	/* the last */
	CHECK_EQ(s.cc.undo.why, XTCP_CC_UNDO_DSACK);
}

/*
 * RFC 3522: the ACK ending the recovery echoes a TSval older than the
 * first resend's: an original filled the hole.  An echo of the resend
 * itself (or later) is a real loss.
 */
UNIT_TEST(xtcp_cc_undo__eifel_echo_older_than_the_first_resend)
{
	struct sim s;

	sim_recovery_20(&s, 0xffffffffu);
	xtcp_cc_undo_resent(&s.cc, 1, 0x80000005u);
	xtcp_cc_undo_resent(&s.cc, 1, 0x80000009u);	/* not the first */
	xtcp_cc_undo_echo(&s.cc, 0x80000005u);
	CHECK_EQ(s.cc.undo.why, 0);
	xtcp_cc_undo_echo(&s.cc, 0x80000008u);
	CHECK_EQ(s.cc.undo.why, 0);
	sim_sack_ack(&s, 20000);
	CHECK_EQ(xtcp_cc_undo(&s.cc), 0);
	CHECK_EQ(s.cc.ssthresh, 10000);

	sim_recovery_20(&s, 0xffffffffu);
	xtcp_cc_undo_resent(&s.cc, 1, 0x80000005u);
	xtcp_cc_undo_echo(&s.cc, 0x80000004u);	/* across the sign bit too */
	CHECK_EQ(s.cc.undo.why, XTCP_CC_UNDO_EIFEL);
	sim_sack_ack(&s, 20000);
	CHECK_EQ(xtcp_cc_undo(&s.cc), XTCP_CC_UNDO_EIFEL);
	CHECK_EQ(s.cc.cwnd, 20000);
	CHECK_EQ(s.cc.ssthresh, 30000);
}

/* The undo raises, never lowers: a window grown since stays. */
UNIT_TEST(xtcp_cc_undo__never_lowers_the_window)
{
	struct sim s;

	sim_recovery_20(&s, 1);
	xtcp_cc_undo_resent(&s.cc, 1, 10);
	xtcp_cc_undo_echo(&s.cc, 9);
	sim_sack_ack(&s, 20000);
	s.cc.cwnd = 25000;
	CHECK(xtcp_cc_undo(&s.cc));
	CHECK_EQ(s.cc.cwnd, 25000);
	CHECK_EQ(s.cc.ssthresh, 30000);
}

/*
 * A timeout, or another reduction (a probe's repair), after the recovery
 * forbids its undo: the later loss was real.
 */
UNIT_TEST(xtcp_cc_undo__not_after_a_timeout_or_a_later_reduction)
{
	struct sim s;

	sim_recovery_20(&s, 0x12345678u);
	xtcp_cc_undo_resent(&s.cc, 1, 10);
	xtcp_cc_undo_echo(&s.cc, 9);
	sim_timeout(&s);
	sim_sack_ack(&s, 20000);
	CHECK_EQ(xtcp_cc_undo(&s.cc), 0);
	CHECK_EQ(s.cc.ssthresh, 10000);

	sim_recovery_20(&s, 0x12345678u);
	xtcp_cc_undo_resent(&s.cc, 1, 0);
	sim_sack_ack(&s, 20000);
	s.nxt += 10000;
	CHECK(xtcp_cc_reduce(&s.cc, sim_flight(&s)));
	xtcp_cc_undo_dsack(&s.cc, s.una - 20000, s.una - 19000);
	CHECK_EQ(xtcp_cc_undo(&s.cc), 0);
	CHECK_EQ(s.cc.ssthresh, 5000);
}

/* NewReno's fast retransmit (three duplicate ACKs) may be undone too. */
UNIT_TEST(xtcp_cc_undo__newreno_fast_retransmit)
{
	struct sim s;

	sim_enter_recovery(&s, 0xfffffc00u);
	xtcp_cc_undo_resent(&s.cc, 1, 500);
	xtcp_cc_undo_dsack(&s.cc, s.una, s.una + 1000);
	sim_ack(&s, sim_flight(&s));
	CHECK(!s.cc.in_recovery);
	CHECK_EQ(xtcp_cc_undo(&s.cc), XTCP_CC_UNDO_DSACK);
	CHECK_EQ(s.cc.cwnd, 10000);
	CHECK_EQ(s.cc.ssthresh, XTCP_CC_MAX_WINDOW);
}

/* ---- xtcp_cc_on_timeout ---- */

UNIT_TEST(xtcp_cc_on_timeout__loss_window_and_half_the_flight)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(isns); i++) {
		struct sim s;

		sim_init(&s, isns[i], 1460);
		s.cc.cwnd = 64 * 1460;
		sim_fill(&s);
		sim_timeout(&s);
		CHECK_EQ(s.cc.cwnd, 1460);
		CHECK_EQ(xtcp_cc_window(&s.cc), 1460);
		CHECK_EQ(s.cc.ssthresh, 32 * 1460);
		CHECK(s.cc.timed_out);
		CHECK(s.cc.recover_valid);
		CHECK_EQ(s.cc.recover, s.nxt);
		/* Small flight: ssthresh floors at two segments. */
		sim_init(&s, isns[i], 1460);
		s.nxt += 1000;
		sim_timeout(&s);
		CHECK_EQ(s.cc.ssthresh, 2 * 1460);
		CHECK_EQ(s.cc.cwnd, 1460);
	}
}

UNIT_TEST(xtcp_cc_on_timeout__ends_fast_recovery)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(isns); i++) {
		struct sim s;

		sim_enter_recovery(&s, isns[i]);
		sim_dupack(&s);
		sim_dupack(&s);
		sim_dupack(&s);
		CHECK_EQ(sim_fill(&s), 1000);	/* SND.MAX = ISN + 11000 */
		CHECK_EQ(sim_ack(&s, 2000), XTCP_CC_PARTIAL_RETRANSMIT);
		sim_timeout(&s);
		CHECK(!s.cc.in_recovery);
		CHECK_EQ(s.cc.cwnd, 1000);
		CHECK_EQ(s.cc.ssthresh, 4500);	/* flight 9000 / 2 */
		CHECK_EQ(s.cc.recover, isns[i] + 11000);
		CHECK_EQ(s.cc.partial_acks, 0);
		CHECK_EQ(s.cc.dupacks, 0);
		/* ACKs now open the window by slow start, not as partials. */
		CHECK_EQ(sim_ack(&s, 1000), XTCP_CC_NONE);
		CHECK_EQ(s.cc.cwnd, 2000);
	}
}

UNIT_TEST(xtcp_cc_on_timeout__repeated_without_progress_keeps_ssthresh)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(isns); i++) {
		struct sim s;
		int k;

		sim_init(&s, isns[i], 1000);
		s.cc.cwnd = 20000;
		sim_fill(&s);
		sim_timeout(&s);
		CHECK_EQ(s.cc.ssthresh, 10000);
		for (k = 0; k < 10; k++) {
			sim_timeout(&s);
			CHECK_EQ(s.cc.ssthresh, 10000);
			CHECK_EQ(s.cc.cwnd, 1000);
		}
		/* Progress, then a new timeout: halved from the new flight. */
		sim_ack(&s, 1000);
		CHECK(!s.cc.timed_out);
		sim_timeout(&s);
		CHECK_EQ(s.cc.ssthresh, 9500);
	}
}

UNIT_TEST(xtcp_cc_on_timeout__dupacks_below_recover_do_not_trigger)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(isns); i++) {
		struct sim s;
		int k;

		/* 20 segments out, the timer fires, go-back-N resends them. */
		sim_init(&s, isns[i], 1000);
		s.cc.cwnd = 20000;
		sim_fill(&s);
		sim_timeout(&s);
		CHECK_EQ(s.cc.recover, isns[i] + 20000);
		/*
		 * The receiver had most of them: each resent copy draws a
		 * duplicate ACK, however many arrive, until the window passes
		 * recover.  ACKs in between move SND.UNA below recover.
		 */
		for (k = 0; k < 9; k++) {
			CHECK_EQ(sim_ack(&s, 1000), XTCP_CC_NONE);
			CHECK_EQ(sim_dupack(&s), XTCP_CC_NONE);
			CHECK_EQ(sim_dupack(&s), XTCP_CC_NONE);
			CHECK_EQ(sim_dupack(&s), XTCP_CC_NONE);
			CHECK_EQ(sim_dupack(&s), XTCP_CC_NONE);
			CHECK_EQ(s.cc.ssthresh, 10000);
			CHECK(!s.cc.in_recovery);
		}
		/* Exactly at recover: still no. */
		CHECK_EQ(sim_ack(&s, 20000 - 9000), XTCP_CC_NONE);
		CHECK_EQ(s.una, s.cc.recover);
		s.nxt += 5000;
		sim_dupack(&s);
		sim_dupack(&s);
		CHECK_EQ(sim_dupack(&s), XTCP_CC_NONE);
		/* Past it: a real loss is recognised again. */
		sim_ack(&s, 1000);
		sim_dupack(&s);
		sim_dupack(&s);
		CHECK_EQ(sim_dupack(&s), XTCP_CC_FAST_RETRANSMIT);
		CHECK_EQ(s.cc.ssthresh, 2000);		/* flight 4000 / 2 */
	}
}

UNIT_TEST(xtcp_cc_on_timeout__recover_never_moves_back)
{
	struct sim s;

	sim_init(&s, 0xffffff00u, 1000);
	s.cc.cwnd = 10000;
	sim_fill(&s);
	sim_timeout(&s);
	CHECK_EQ(s.cc.recover, 0xffffff00u + 10000);
	/* A caller passing a rewound SND.NXT does not pull recover back. */
	xtcp_cc_on_timeout(&s.cc, 0xffffff00u + 1000, 1000);
	CHECK_EQ(s.cc.recover, 0xffffff00u + 10000);
	xtcp_cc_on_timeout(&s.cc, 0xffffff00u + 12000, 12000);
	CHECK_EQ(s.cc.recover, 0xffffff00u + 12000);
}

/* ---- xtcp_cc_window ---- */

/* The state's invariants, whatever happened before. */
static void check_invariants(const struct sim *s)
{
	oracle_cc_invariants(&s->cc, s->una, s->nxt);
}

static void random_events(u32 isn, int events)
{
	static const u32 msses[] = { 1, 536, 1000, 1460, 8960, 65535 };
	struct sim s;
	int e, fast = 0, partial = 0, full = 0, timeouts = 0;

	sim_init(&s, isn, msses[rnd() % ARRAY_SIZE(msses)]);
	for (e = 0; e < events; e++) {
		struct xtcp_cc old = s.cc;
		u32 flight = sim_flight(&s), n;
		enum xtcp_cc_action a;
		u32 kind = rnd() % 100;

		if (kind < 30) {
			/* The application sends up to what cwnd allows. */
			n = xtcp_cc_window(&s.cc) > flight ?
			    xtcp_cc_window(&s.cc) - flight : 0;
			if (n && rnd() % 4 == 0)
				n = 1 + rnd32() % n;
			s.nxt += n;
		} else if (kind < 65) {
			if (!flight)
				continue;
			n = rnd() % 3 ? 1 + rnd32() % flight : flight;
			a = sim_ack(&s, n);
			CHECK(a == XTCP_CC_NONE || a == XTCP_CC_PARTIAL_RETRANSMIT ||
			      a == XTCP_CC_PARTIAL_RETRANSMIT_KEEP_TIMER);
			CHECK_EQ(s.cc.dupacks, 0);
			CHECK(!s.cc.timed_out);
			if (!old.in_recovery) {
				CHECK_EQ(a, XTCP_CC_NONE);
				CHECK(!s.cc.in_recovery);
				CHECK(s.cc.cwnd <= old.cwnd + old.mss);
				CHECK(s.cc.cwnd >= old.cwnd);
			} else if (xtcp_seq_before(s.una, old.recover)) {
				CHECK(a != XTCP_CC_NONE);
				CHECK(s.cc.in_recovery);
				partial++;
			} else {
				CHECK_EQ(a, XTCP_CC_NONE);
				CHECK(!s.cc.in_recovery);
				CHECK(s.cc.cwnd <= s.cc.ssthresh);
				full++;
			}
		} else if (kind < 95) {
			if (!flight)
				continue;
			a = sim_dupack(&s);
			if (a == XTCP_CC_FAST_RETRANSMIT) {
				fast++;
				CHECK(!old.in_recovery);
				CHECK_EQ(old.dupacks, XTCP_CC_DUPTHRESH - 1);
				CHECK(!old.recover_valid ||
				      xtcp_seq_after(s.una, old.recover));
				CHECK(s.cc.in_recovery);
				CHECK_EQ(s.cc.recover, s.nxt);
				CHECK_EQ(s.cc.ssthresh,
					 flight / 2 > 2 * s.cc.mss ?
					 (flight / 2 < XTCP_CC_MAX_WINDOW ?
					  flight / 2 : XTCP_CC_MAX_WINDOW) :
					 2 * s.cc.mss);
			} else {
				CHECK_EQ(a, XTCP_CC_NONE);
				CHECK_EQ(s.cc.ssthresh, old.ssthresh);
				CHECK_EQ(s.cc.in_recovery, old.in_recovery);
				if (old.in_recovery)
					CHECK(s.cc.cwnd >= old.cwnd);
				else
					CHECK_EQ(s.cc.cwnd, old.cwnd);
			}
		} else if (kind < 99) {
			if (!flight)
				continue;
			sim_timeout(&s);
			timeouts++;
			CHECK_EQ(s.cc.cwnd, s.cc.mss);
			CHECK(!s.cc.in_recovery);
			CHECK(s.cc.timed_out);
			if (old.timed_out)
				CHECK_EQ(s.cc.ssthresh, old.ssthresh);
		} else {
			xtcp_cc_set_mss(&s.cc, msses[rnd() % ARRAY_SIZE(msses)]);
		}
		check_invariants(&s);
	}
	/* The mix reached every branch. */
	CHECK(fast > 0);
	CHECK(partial > 0);
	CHECK(full > 0);
	CHECK(timeouts > 0);
}

UNIT_TEST(xtcp_cc_window__invariants_under_random_events)
{
	size_t i;
	int run;

	for (i = 0; i < ARRAY_SIZE(isns); i++)
		random_events(isns[i], 20000);
	for (run = 0; run < 20; run++)
		random_events(rnd32(), 20000);
}

/* ---- zero-window probing ---- */

UNIT_TEST(xtcp_persist_start__fresh_and_active)
{
	struct xtcp_persist p = { .unanswered = 5, .sent = 9, .backoff = 3 };

	xtcp_persist_start(&p);
	CHECK(p.active);
	CHECK_EQ(p.unanswered, 0);
	CHECK_EQ(p.sent, 0);
	CHECK_EQ(p.backoff, 0);
	/* the first probe goes one RTO after the window closed */
	CHECK_EQ(xtcp_persist_interval(&p, 200 * MS, XTCP_RTO_MAX_US), 200 * MS);
}

UNIT_TEST(xtcp_persist_stop__inactive_and_cleared)
{
	struct xtcp_persist p;

	xtcp_persist_start(&p);
	xtcp_persist_expired(&p, 15, ~0u);
	xtcp_persist_stop(&p);
	CHECK(!p.active);
	CHECK_EQ(p.unanswered, 0);
	CHECK_EQ(p.sent, 0);
	CHECK_EQ(p.backoff, 0);
}

/* RFC 1122 4.2.2.17: answered probes never end the connection. */
UNIT_TEST(xtcp_persist_expired__answered_probes_never_abort)
{
	struct xtcp_persist p;
	int i;

	xtcp_persist_start(&p);
	for (i = 0; i < 100000; i++) {
		CHECK_EQ(xtcp_persist_expired(&p, 3, ~0u), XTCP_PERSIST_PROBE);
		xtcp_persist_heard(&p);
	}
	CHECK_EQ(p.sent, 100000);
	CHECK_EQ(p.unanswered, 0);
}

UNIT_TEST(xtcp_persist_expired__unanswered_probes_abort_at_limit)
{
	struct xtcp_persist p;
	u32 limit;

	for (limit = 1; limit <= 20; limit++) {
		u32 i;

		xtcp_persist_start(&p);
		/* one answer in between starts the count again */
		CHECK_EQ(xtcp_persist_expired(&p, limit, ~0u), XTCP_PERSIST_PROBE);
		xtcp_persist_heard(&p);
		for (i = 0; i < limit; i++)
			CHECK_EQ(xtcp_persist_expired(&p, limit, ~0u),
				 XTCP_PERSIST_PROBE);
		CHECK_EQ(p.unanswered, limit);
		CHECK_EQ(xtcp_persist_expired(&p, limit, ~0u), XTCP_PERSIST_ABORT);
		/* and keeps saying so, counting nothing more */
		CHECK_EQ(xtcp_persist_expired(&p, limit, ~0u), XTCP_PERSIST_ABORT);
		CHECK_EQ(p.sent, limit + 1);
	}
}

/* An orphan's probes are bounded, answered or not. */
UNIT_TEST(xtcp_persist_expired__orphan_bound_counts_answered_probes)
{
	struct xtcp_persist p;
	int i;

	xtcp_persist_start(&p);
	for (i = 0; i < 8; i++) {
		CHECK_EQ(xtcp_persist_expired(&p, 15, 8), XTCP_PERSIST_PROBE);
		xtcp_persist_heard(&p);
	}
	CHECK_EQ(xtcp_persist_expired(&p, 15, 8), XTCP_PERSIST_ABORT);
}

UNIT_TEST(xtcp_persist_interval__backs_off_to_limit_and_max)
{
	struct xtcp_persist p;
	static const u32 want3[] = { 400, 800, 1600, 1600, 1600 };
	u32 i;

	/* the exponent stops at the limit (retries2), as Linux's */
	xtcp_persist_start(&p);
	for (i = 0; i < ARRAY_SIZE(want3); i++) {
		xtcp_persist_expired(&p, 3, ~0u);
		xtcp_persist_heard(&p);
		CHECK_EQ(xtcp_persist_interval(&p, 200 * MS, XTCP_RTO_MAX_US),
			 want3[i] * MS);
	}
	/* an answer does not shrink it, the window opening does */
	xtcp_persist_stop(&p);
	xtcp_persist_start(&p);
	CHECK_EQ(xtcp_persist_interval(&p, 200 * MS, XTCP_RTO_MAX_US), 200 * MS);
	/* the maximum RTO caps it, and no shift overflows */
	for (i = 0; i < 200; i++) {
		u32 v;

		xtcp_persist_expired(&p, 127, ~0u);
		v = xtcp_persist_interval(&p, XTCP_RTO_MAX_US, XTCP_RTO_MAX_US);
		CHECK_EQ(v, XTCP_RTO_MAX_US);
		v = xtcp_persist_interval(&p, 200 * MS, XTCP_RTO_MAX_US);
		CHECK(v >= 200 * MS && v <= XTCP_RTO_MAX_US);
	}
	CHECK(p.backoff <= 31);
	CHECK_EQ(xtcp_persist_interval(&p, 200 * MS, XTCP_RTO_MAX_US), XTCP_RTO_MAX_US);
}
