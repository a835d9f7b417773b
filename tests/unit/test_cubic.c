// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the congestion control algorithms' table (module/cc.c)
 * and of CUBIC with HyStart++ (module/cc_cubic.c), compiled in user space
 * against the source the module builds.
 *
 * A scripted sender drives them: whole rounds of ACKs one MSS each, the
 * clock advancing by the round trip per round, RTT samples as the path
 * would give them.  Expected values come from RFC 9438's and RFC 9406's
 * formulas computed here in floating point, independently of the fixed
 * point the module uses.
 */
#include <math.h>
#include <string.h>

#include "module/cc.h"
#include "tests/unit/unit.h"
#include "tests/oracle.h"

#define SEC	1000000u	/* microseconds */
#define MS	1000u
#define MSS	1000u

struct sim {
	struct xtcp_cc cc;
	u32 una;
	u32 nxt;
	u64 now_us;
};

static void sim_init(struct sim *s, const struct xtcp_cc_algo *algo, u32 isn)
{
	xtcp_cc_init(&s->cc, algo, MSS);
	s->una = isn;
	s->nxt = isn;
	s->now_us = 5 * SEC;
}

static u32 flight(const struct sim *s)
{
	return s->nxt - s->una;
}

static void fill(struct sim *s)
{
	if (s->cc.cwnd > flight(s))
		s->nxt += s->cc.cwnd - flight(s);
}

static enum xtcp_cc_action ack(struct sim *s, u32 n, u32 rtt_us)
{
	struct xtcp_cc_ack a = {};

	s->una += n;
	a.now_us = s->now_us;
	a.ack = s->una;
	a.acked = n;
	a.flight = flight(s);
	a.snd_nxt = s->nxt;
	a.rtt_us = rtt_us;
	return xtcp_cc_on_ack(&s->cc, &a);
}

/*
 * One round trip: the window is filled, then acknowledged an MSS per ACK
 * (each with @rtt_us as its sample), the clock moving by @rtt_us; nothing
 * new is sent meanwhile.
 */
static void round_trip(struct sim *s, u32 rtt_us)
{
	u32 n;

	fill(s);
	s->now_us += rtt_us;
	while ((n = flight(s))) {
		ack(s, n < MSS ? n : MSS, rtt_us);
		oracle_cc_invariants(&s->cc, s->una, s->nxt);
	}
}

/*
 * A loss found by three duplicate ACKs with the window full, and the
 * recovery that repairs it: new data (ssthresh's worth) goes out during
 * the recovery, then the full ACK covers what was out at the loss and cwnd
 * is ssthresh.
 */
static void loss_and_recovery(struct sim *s)
{
	u32 old_nxt;

	fill(s);
	CHECK_EQ(xtcp_cc_on_dupack(&s->cc, s->una, s->nxt, flight(s)), XTCP_CC_NONE);
	CHECK_EQ(xtcp_cc_on_dupack(&s->cc, s->una, s->nxt, flight(s)), XTCP_CC_NONE);
	CHECK_EQ(xtcp_cc_on_dupack(&s->cc, s->una, s->nxt, flight(s)),
		 XTCP_CC_FAST_RETRANSMIT);
	old_nxt = s->nxt;
	s->nxt += s->cc.ssthresh;
	ack(s, old_nxt - s->una, XTCP_CC_NO_RTT);	/* the full ACK */
	CHECK(!s->cc.in_recovery);
	CHECK_EQ(s->cc.cwnd, s->cc.ssthresh);
	/* what was sent in the recovery arrives: ACKs pass recover */
	s->now_us += 100 * MS;
	while (flight(s))
		ack(s, flight(s) < MSS ? flight(s) : MSS, XTCP_CC_NO_RTT);
}

static struct xtcp_cc_info info(const struct sim *s)
{
	struct xtcp_cc_info i;

	memset(&i, 0xa5, sizeof(i));
	xtcp_cc_get_info(&s->cc, &i);
	return i;
}

/*
 * RFC 9438 4.3's W_est after @rounds whole rounds from @start, in bytes:
 * alpha_cubic = 3 (1 - beta) / (1 + beta) MSS a round until it reaches
 * @prior (cwnd before the reduction), one MSS a round after.
 */
static double w_est(double start, double prior, int rounds)
{
	while (rounds-- > 0)
		start += (start < prior ? 3 * 0.3 / 1.7 : 1) * MSS;
	return start;
}

/* RFC 9438 figure 1, in bytes: C * (t - K)^3 + W_max. */
static double w_cubic(double t, double k, double w_max)
{
	return 0.4 * (t - k) * (t - k) * (t - k) * MSS + w_max;
}

/* ---- the table ---- */

UNIT_TEST(xtcp_cc_find__every_listed_name_and_aliases)
{
	const struct xtcp_cc_algo *const *a;
	int n = 0;

	for (a = xtcp_cc_algos; *a; a++, n++) {
		CHECK(xtcp_cc_find((*a)->name, 99) == *a);
		CHECK(strlen((*a)->name) < XTCP_CC_NAME_MAX);
		CHECK((*a)->cong_avoid && (*a)->ssthresh);
	}
	CHECK_EQ(n, 2);
	CHECK(xtcp_cc_find("cubic", 5) == &xtcp_cc_cubic);
	CHECK(xtcp_cc_find("reno", 4) == &xtcp_cc_newreno);
	CHECK(!strcmp(xtcp_cc_newreno.name, "reno"));	/* as Linux's */
	CHECK(xtcp_cc_find("newreno", 7) == &xtcp_cc_newreno);
	/* a sysctl write ends in a newline; a socket option may hold more */
	CHECK(xtcp_cc_find("cubic\n", 6) == &xtcp_cc_cubic);
	CHECK(xtcp_cc_find("cubicle", 5) == &xtcp_cc_cubic);
	CHECK(xtcp_cc_find("cubic\0xx", 8) == &xtcp_cc_cubic);
}

UNIT_TEST(xtcp_cc_find__unknown_names)
{
	CHECK(!xtcp_cc_find("", 0));
	CHECK(!xtcp_cc_find("cubic", 0));
	CHECK(!xtcp_cc_find("cubi", 4));
	CHECK(!xtcp_cc_find("cubicx", 6));
	CHECK(!xtcp_cc_find("CUBIC", 5));
	CHECK(!xtcp_cc_find("bbr", 3));
	CHECK(!xtcp_cc_find("\n", 1));
	CHECK(!xtcp_cc_find("renoo", 5));
	CHECK(!xtcp_cc_find("newren", 6));
}

UNIT_TEST(xtcp_cc_init__default_is_cubic)
{
	struct xtcp_cc cc;

	xtcp_cc_init(&cc, NULL, MSS);
	CHECK(cc.algo == &xtcp_cc_cubic);
	CHECK(&xtcp_cc_cubic == XTCP_CC_DEFAULT);
	CHECK_EQ(cc.cwnd, 4 * MSS);
	CHECK_EQ(cc.ssthresh, XTCP_CC_MAX_WINDOW);
	CHECK_EQ(cc.min_rtt_us, XTCP_CC_NO_RTT);
}

UNIT_TEST(xtcp_cc_set_algo__keeps_the_window_and_recovery)
{
	struct sim s;

	sim_init(&s, &xtcp_cc_cubic, 7);
	round_trip(&s, 50 * MS);
	fill(&s);
	xtcp_cc_on_dupack(&s.cc, s.una, s.nxt, flight(&s));
	xtcp_cc_on_dupack(&s.cc, s.una, s.nxt, flight(&s));
	xtcp_cc_on_dupack(&s.cc, s.una, s.nxt, flight(&s));
	CHECK(s.cc.in_recovery);
	{
		struct xtcp_cc before = s.cc;

		xtcp_cc_set_algo(&s.cc, &xtcp_cc_newreno);
		CHECK(s.cc.algo == &xtcp_cc_newreno);
		CHECK_EQ(s.cc.cwnd, before.cwnd);
		CHECK_EQ(s.cc.ssthresh, before.ssthresh);
		CHECK_EQ(s.cc.in_recovery, before.in_recovery);
		CHECK_EQ(s.cc.recover, before.recover);
		/* the same algorithm again: nothing changes, state included */
		before = s.cc;
		xtcp_cc_set_algo(&s.cc, &xtcp_cc_newreno);
		CHECK(!memcmp(&before, &s.cc, sizeof(before)));
		xtcp_cc_set_algo(&s.cc, NULL);
		CHECK(s.cc.algo == &xtcp_cc_cubic);
		CHECK_EQ(s.cc.cwnd, before.cwnd);
	}
	/* the full ACK still ends the recovery under the new algorithm */
	ack(&s, flight(&s), XTCP_CC_NO_RTT);
	CHECK(!s.cc.in_recovery);
	oracle_cc_invariants(&s.cc, s.una, s.nxt);
}

UNIT_TEST(xtcp_cc_on_ack__tracks_the_smallest_rtt)
{
	struct sim s;

	sim_init(&s, &xtcp_cc_cubic, 0);
	fill(&s);
	ack(&s, MSS, XTCP_CC_NO_RTT);
	CHECK_EQ(s.cc.min_rtt_us, XTCP_CC_NO_RTT);
	ack(&s, MSS, 30 * MS);
	CHECK_EQ(s.cc.min_rtt_us, 30 * MS);
	ack(&s, MSS, 40 * MS);
	CHECK_EQ(s.cc.min_rtt_us, 30 * MS);
	ack(&s, MSS, 0);	/* loopback within the clock's resolution */
	CHECK_EQ(s.cc.min_rtt_us, 0);
	ack(&s, 0, 1);		/* acknowledges nothing: ignored */
	CHECK_EQ(s.cc.min_rtt_us, 0);
}

/* ---- CUBIC: slow start ---- */

UNIT_TEST(cubic__slow_start_grows_by_acked_up_to_eight_mss)
{
	struct sim s;

	sim_init(&s, &xtcp_cc_cubic, 0xfffff000u);
	s.nxt += 100 * MSS;
	ack(&s, MSS, XTCP_CC_NO_RTT);
	CHECK_EQ(s.cc.cwnd, 5 * MSS);
	ack(&s, 3 * MSS, XTCP_CC_NO_RTT);	/* a stretch ACK counts whole */
	CHECK_EQ(s.cc.cwnd, 8 * MSS);
	ack(&s, 20 * MSS, XTCP_CC_NO_RTT);	/* but no more than L = 8 */
	CHECK_EQ(s.cc.cwnd, 16 * MSS);
	ack(&s, 100, XTCP_CC_NO_RTT);
	CHECK_EQ(s.cc.cwnd, 16 * MSS + 100);
	CHECK_EQ(info(&s).phase, XTCP_CC_PHASE_SLOW_START);
}

UNIT_TEST(cubic__slow_start_doubles_per_round_under_a_flat_rtt)
{
	struct sim s;
	u32 w = 4 * MSS;
	int r;

	sim_init(&s, &xtcp_cc_cubic, 0x7fffff00u);
	for (r = 0; r < 12; r++) {
		round_trip(&s, 80 * MS);
		w *= 2;
		CHECK_EQ(s.cc.cwnd, w);
		CHECK_EQ(info(&s).phase, XTCP_CC_PHASE_SLOW_START);
	}
}

/* ---- CUBIC: HyStart++ (RFC 9406) ---- */

/*
 * Rounds at a flat 100 ms, then a round whose samples sit at @rise more:
 * eta is clamp(100 ms / 8, 4 ms, 16 ms) = 12.5 ms.
 */
static void hystart_rise(struct sim *s, u32 rise)
{
	int r;

	sim_init(s, &xtcp_cc_cubic, 1);
	for (r = 0; r < 4; r++)
		round_trip(s, 100 * MS);
	round_trip(s, 100 * MS + rise);
}

UNIT_TEST(hystart__rtt_rise_of_eta_starts_conservative_slow_start)
{
	struct sim s;
	u32 w;

	hystart_rise(&s, 12500);
	CHECK_EQ(info(&s).phase, XTCP_CC_PHASE_CSS);
	CHECK_EQ(s.cc.ssthresh, XTCP_CC_MAX_WINDOW);
	/* in CSS a round grows cwnd by a quarter of slow start's */
	w = s.cc.cwnd;
	round_trip(&s, 112500);
	CHECK(s.cc.cwnd >= w + w / 4 - MSS && s.cc.cwnd <= w + w / 4 + MSS);
	CHECK_EQ(info(&s).phase, XTCP_CC_PHASE_CSS);
}

UNIT_TEST(hystart__rise_below_eta_keeps_slow_start)
{
	struct sim s;
	u32 w;

	hystart_rise(&s, 12499);
	CHECK_EQ(info(&s).phase, XTCP_CC_PHASE_SLOW_START);
	w = s.cc.cwnd;
	round_trip(&s, 100 * MS + 12499);
	CHECK_EQ(s.cc.cwnd, 2 * w);
}

UNIT_TEST(hystart__eta_is_clamped_to_4_and_16_ms)
{
	struct sim s;
	int r;

	/* 10 ms paths: eta = max(1.25 ms, 4 ms) */
	sim_init(&s, &xtcp_cc_cubic, 1);
	for (r = 0; r < 3; r++)
		round_trip(&s, 10 * MS);
	round_trip(&s, 13900);		/* 3.9 ms up */
	CHECK_EQ(info(&s).phase, XTCP_CC_PHASE_SLOW_START);
	round_trip(&s, 13900 + 4 * MS);	/* 4 ms over the last round's */
	CHECK_EQ(info(&s).phase, XTCP_CC_PHASE_CSS);

	/* 400 ms paths: eta = min(50 ms, 16 ms) */
	sim_init(&s, &xtcp_cc_cubic, 1);
	for (r = 0; r < 3; r++)
		round_trip(&s, 400 * MS);
	round_trip(&s, 415 * MS);		/* 15 ms up */
	CHECK_EQ(info(&s).phase, XTCP_CC_PHASE_SLOW_START);
	round_trip(&s, 431 * MS);		/* 16 ms over the last round's */
	CHECK_EQ(info(&s).phase, XTCP_CC_PHASE_CSS);
}

UNIT_TEST(hystart__needs_eight_samples_a_round)
{
	struct sim s;
	int r;

	/* rounds of 4 and then 7 samples: never enough to judge */
	sim_init(&s, &xtcp_cc_cubic, 1);
	s.cc.cwnd = 4 * MSS;
	for (r = 0; r < 6; r++) {
		u32 n = 0;

		fill(&s);
		s.nxt = s.una + 7 * MSS;	/* a sender with 7 MSS to send */
		s.now_us += (100 + 50 * r) * MS;
		while (flight(&s))
			ack(&s, MSS, n++ < 7 ? (100 + 50 * r) * MS : XTCP_CC_NO_RTT);
		CHECK_EQ(info(&s).phase, XTCP_CC_PHASE_SLOW_START);
	}
}

UNIT_TEST(hystart__blip_resumes_slow_start)
{
	struct sim s;
	u32 w;

	hystart_rise(&s, 20 * MS);
	CHECK_EQ(info(&s).phase, XTCP_CC_PHASE_CSS);
	/* the next round's minimum falls below the baseline (120 ms) */
	round_trip(&s, 119 * MS);
	CHECK_EQ(info(&s).phase, XTCP_CC_PHASE_SLOW_START);
	w = s.cc.cwnd;
	round_trip(&s, 119 * MS);
	CHECK_EQ(s.cc.cwnd, 2 * w);
}

UNIT_TEST(hystart__five_css_rounds_end_slow_start)
{
	struct sim s;
	u32 w;
	int r;

	hystart_rise(&s, 20 * MS);
	for (r = 0; r < 4; r++) {
		round_trip(&s, 120 * MS);
		CHECK_EQ(info(&s).phase, XTCP_CC_PHASE_CSS);
		CHECK_EQ(s.cc.ssthresh, XTCP_CC_MAX_WINDOW);
	}
	/* the fifth whole round in CSS ends it: ssthresh = cwnd */
	round_trip(&s, 120 * MS);
	CHECK_EQ(s.cc.ssthresh, s.cc.cwnd);
	CHECK_EQ(info(&s).phase, XTCP_CC_PHASE_AVOIDANCE);
	w = s.cc.cwnd;
	round_trip(&s, 120 * MS);
	CHECK(s.cc.cwnd >= w && s.cc.cwnd <= w + 2 * MSS);
}

/*
 * ssthresh has a floor of 2 * MSS: CSS ending with cwnd below it (a path
 * MTU that grew to a 64 KiB loopback MSS) sets ssthresh at the floor, and
 * cwnd slow-starts up to it before congestion avoidance.
 */
UNIT_TEST(hystart__css_ending_below_two_mss_keeps_the_floor)
{
	struct sim s;
	int r;

	hystart_rise(&s, 20 * MS);
	for (r = 0; r < 4; r++)
		round_trip(&s, 120 * MS);
	CHECK_EQ(info(&s).phase, XTCP_CC_PHASE_CSS);
	xtcp_cc_set_mss(&s.cc, 65535);
	s.cc.cwnd = 100000;
	round_trip(&s, 120 * MS);
	CHECK_EQ(s.cc.ssthresh, 2 * 65535);
	CHECK(s.cc.cwnd < s.cc.ssthresh);
	CHECK_EQ(info(&s).phase, XTCP_CC_PHASE_SLOW_START);
	round_trip(&s, 120 * MS);
	CHECK_EQ(s.cc.cwnd, 2 * 65535);
	CHECK_EQ(s.cc.ssthresh, 2 * 65535);
	CHECK_EQ(info(&s).phase, XTCP_CC_PHASE_AVOIDANCE);
}

UNIT_TEST(hystart__only_in_the_first_slow_start)
{
	struct sim s;
	int r;

	sim_init(&s, &xtcp_cc_cubic, 1);
	for (r = 0; r < 4; r++)
		round_trip(&s, 100 * MS);
	fill(&s);
	xtcp_cc_on_timeout(&s.cc, s.nxt, flight(&s));
	CHECK_EQ(info(&s).phase, XTCP_CC_PHASE_LOSS);
	CHECK_EQ(s.cc.ssthresh, 64 * MSS * 717 / 1024);
	ack(&s, MSS, XTCP_CC_NO_RTT);	/* the resent data got through */
	CHECK_EQ(info(&s).phase, XTCP_CC_PHASE_SLOW_START);
	s.una = s.nxt;
	/* slow start again up to ssthresh: RTT rises change nothing */
	for (r = 0; r < 5; r++) {
		round_trip(&s, (100 + 40 * r) * MS);
		CHECK(info(&s).phase != XTCP_CC_PHASE_CSS);
	}
	CHECK_EQ(s.cc.cwnd, s.cc.ssthresh);
}

/* ---- CUBIC: reduction (RFC 9438 4.6, 4.7) ---- */

UNIT_TEST(cubic__loss_leaves_seven_tenths_and_remembers_w_max)
{
	struct sim s;

	sim_init(&s, &xtcp_cc_cubic, 0xffffff00u);
	s.cc.cwnd = 100 * MSS;
	s.cc.ssthresh = 50 * MSS;
	loss_and_recovery(&s);
	CHECK_EQ(info(&s).w_max, 100 * MSS);
	CHECK_EQ(s.cc.ssthresh, 100 * MSS * 717 / 1024);	/* 0.7002 */

	/* beta times the flight when less is in flight than cwnd */
	sim_init(&s, &xtcp_cc_cubic, 5);
	s.cc.cwnd = 100 * MSS;
	s.nxt += 40 * MSS;
	xtcp_cc_on_dupack(&s.cc, s.una, s.nxt, flight(&s));
	xtcp_cc_on_dupack(&s.cc, s.una, s.nxt, flight(&s));
	xtcp_cc_on_dupack(&s.cc, s.una, s.nxt, flight(&s));
	CHECK_EQ(s.cc.ssthresh, 40 * MSS * 717 / 1024);
	CHECK_EQ(info(&s).w_max, 100 * MSS);
	CHECK_EQ(info(&s).phase, XTCP_CC_PHASE_RECOVERY);

	/* never below two segments */
	sim_init(&s, &xtcp_cc_cubic, 5);
	s.cc.cwnd = 2 * MSS;
	s.nxt += 2 * MSS;
	xtcp_cc_on_timeout(&s.cc, s.nxt, flight(&s));
	CHECK_EQ(s.cc.ssthresh, 2 * MSS);
	CHECK_EQ(s.cc.cwnd, MSS);
}

UNIT_TEST(cubic__fast_convergence_lowers_w_max)
{
	struct sim s;

	sim_init(&s, &xtcp_cc_cubic, 9);
	s.cc.cwnd = 100 * MSS;
	loss_and_recovery(&s);
	CHECK_EQ(info(&s).w_max, 100 * MSS);
	round_trip(&s, 100 * MS);
	/* a second loss below W_max: W_max = cwnd * (1 + beta) / 2 */
	s.cc.cwnd = 80 * MSS;
	loss_and_recovery(&s);
	CHECK_EQ(info(&s).w_max, 80 * MSS * 870 / 1024);
	round_trip(&s, 100 * MS);
	/* a loss above it: W_max = cwnd */
	s.cc.cwnd = 90 * MSS;
	loss_and_recovery(&s);
	CHECK_EQ(info(&s).w_max, 90 * MSS);
}

UNIT_TEST(cubic__timeout_ends_the_epoch_and_the_first_sets_ssthresh)
{
	struct sim s;

	sim_init(&s, &xtcp_cc_cubic, 9);
	s.cc.cwnd = 60 * MSS;
	s.cc.ssthresh = 30 * MSS;
	fill(&s);
	xtcp_cc_on_timeout(&s.cc, s.nxt, flight(&s));
	CHECK_EQ(s.cc.cwnd, MSS);
	CHECK_EQ(s.cc.ssthresh, 60 * MSS * 717 / 1024);
	CHECK_EQ(info(&s).w_max, 60 * MSS);
	xtcp_cc_on_timeout(&s.cc, s.nxt, flight(&s));	/* backed off again */
	CHECK_EQ(s.cc.ssthresh, 60 * MSS * 717 / 1024);
	CHECK_EQ(info(&s).w_max, 60 * MSS);
}

/* ---- CUBIC: window growth (RFC 9438 4.2 to 4.5) ---- */

/*
 * After a loss at W_max = 100 MSS on a 100 ms path, the window follows the
 * cubic: K = cbrt(W_max * (1 - beta) / C) = cbrt(75) = 4.217 s, concave
 * below W_max, a plateau at K, convex beyond; wherever Reno would have
 * more (W_est, RFC 9438 4.3), it follows W_est instead.  Each round's
 * window lies between the larger of W_cubic(t) and W_est and the larger of
 * W_cubic(t + RTT) and W_est, where RFC 9438 4.4 aims it.
 */
UNIT_TEST(cubic__window_follows_the_cubic_through_w_max)
{
	struct sim s;
	double k = cbrt(100.0 * (1 - 717.0 / 1024) / 0.4), t = 0, start;
	u32 at_k = 0, r, prev, at_k_before = 0, reno = 0;
	u32 early = 0, late = 0;

	sim_init(&s, &xtcp_cc_cubic, 0x80000000u);
	s.cc.cwnd = 100 * MSS;
	s.cc.ssthresh = 50 * MSS;
	round_trip(&s, 100 * MS);	/* a minimum RTT */
	s.cc.cwnd = 100 * MSS;
	loss_and_recovery(&s);
	start = s.cc.cwnd;

	for (r = 0; r < 100; r++) {
		double lo, hi, est_lo = w_est(start, 100 * MSS, r),
		       est_hi = w_est(start, 100 * MSS, r + 1);

		prev = s.cc.cwnd;
		round_trip(&s, 100 * MS);
		t += 0.1;
		lo = fmax(w_cubic(t - 0.1, k, 100 * MSS), est_lo) - 2 * MSS;
		hi = fmax(w_cubic(t + 0.1, k, 100 * MSS), est_hi) + 2 * MSS;
		CHECK(s.cc.cwnd >= lo);
		CHECK(s.cc.cwnd <= hi);
		CHECK(s.cc.cwnd >= prev);
		if (r == 0)	/* K, computed at the epoch's first ACK */
			CHECK_EQ(info(&s).k_ms / 10, (u32)(k * 1000) / 10);
		if (r == 9)
			early = s.cc.cwnd - start;
		if (fabs(t - (k - 0.5)) < 0.05)
			at_k_before = s.cc.cwnd;
		if (fabs(t - (k + 0.5)) < 0.05)
			at_k = s.cc.cwnd;
		if (r == 89)
			late = s.cc.cwnd;
		if (est_lo > w_cubic(t + 0.1, k, 100 * MSS) + MSS)
			reno++;
	}
	late = s.cc.cwnd - late;
	/* concave: 18 MSS in the first second; then a plateau at W_max */
	CHECK(early >= 15 * MSS);
	CHECK(at_k_before >= 98 * MSS && at_k <= 102 * MSS);
	CHECK(at_k - at_k_before <= 2 * MSS);
	/* convex: past K + 5 s, faster than Reno's MSS a round */
	CHECK(late >= 25 * MSS);
	CHECK(reno > 0 && reno < 40);	/* Reno's rate only in between */
	CHECK_EQ(info(&s).phase, XTCP_CC_PHASE_AVOIDANCE);
}

/*
 * On a short path the cubic is slower than Reno would be: the window grows
 * as the Reno-friendly estimate, alpha_cubic = 0.53 MSS a round until the
 * window before the loss, one MSS a round after (RFC 9438 4.3).
 */
UNIT_TEST(cubic__reno_friendly_on_short_paths)
{
	struct sim s;
	double want;
	u32 start;
	int r;

	sim_init(&s, &xtcp_cc_cubic, 3);
	s.cc.cwnd = 20 * MSS;
	s.cc.ssthresh = 10 * MSS;
	round_trip(&s, 1 * MS);
	s.cc.cwnd = 20 * MSS;
	loss_and_recovery(&s);
	start = s.cc.cwnd;
	for (r = 1; r <= 100; r++) {
		round_trip(&s, 1 * MS);
		want = w_est(start, 20 * MSS, r);
		CHECK(s.cc.cwnd >= want - 2 * MSS && s.cc.cwnd <= want + MSS);
	}
	/* the cubic alone would still be below W_max at 0.1 s */
	CHECK(w_cubic(0.1, cbrt(20 * 0.3 / 0.4), 20 * MSS) < 20 * MSS);
	CHECK(s.cc.cwnd > 100 * MSS);
}

UNIT_TEST(cubic__growth_per_round_at_most_half_the_window)
{
	struct sim s;
	int r;

	sim_init(&s, &xtcp_cc_cubic, 3);
	s.cc.cwnd = 50 * MSS;
	loss_and_recovery(&s);
	round_trip(&s, 100 * MS);
	/* a long silence: the cubic is far past W_max when ACKs resume */
	s.now_us += 3600ull * SEC;
	for (r = 0; r < 5; r++) {
		u32 prev = s.cc.cwnd;

		round_trip(&s, 100 * MS);
		/* 1.5 * cwnd per ACK, compounded over one round: 2.25x at most */
		CHECK(s.cc.cwnd <= prev * 2 + prev / 4 + MSS);
		CHECK(s.cc.cwnd > prev);
	}
	/* and the window limit holds whatever the clock says (64 KiB ACKs) */
	s.now_us += 1000000ull * SEC;
	for (r = 0; r < 40; r++) {
		fill(&s);
		s.now_us += 100 * MS;
		while (flight(&s))
			ack(&s, flight(&s) < 65536 ? flight(&s) : 65536, 100 * MS);
		oracle_cc_invariants(&s.cc, s.una, s.nxt);
	}
	CHECK_EQ(s.cc.cwnd, XTCP_CC_MAX_WINDOW);
	oracle_cc_invariants(&s.cc, s.una, s.nxt);
}

UNIT_TEST(cubic__clock_going_back_does_not_shrink_the_window)
{
	struct sim s;
	u32 w;

	sim_init(&s, &xtcp_cc_cubic, 3);
	s.cc.cwnd = 50 * MSS;
	loss_and_recovery(&s);
	round_trip(&s, 100 * MS);
	w = s.cc.cwnd;
	s.now_us -= 10 * SEC;	/* never from a monotonic clock, but */
	round_trip(&s, 0);
	CHECK(s.cc.cwnd >= w);
	oracle_cc_invariants(&s.cc, s.una, s.nxt);
}

/* ---- both algorithms under random events ---- */

static u64 rng = 0x9e3779b97f4a7c15ull;

static u32 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (u32)(rng >> 11);
}

UNIT_TEST(xtcp_cc__invariants_under_random_events_every_algorithm)
{
	const struct xtcp_cc_algo *const *a;

	for (a = xtcp_cc_algos; *a; a++) {
		struct sim s;
		int i;

		sim_init(&s, *a, rnd());
		for (i = 0; i < 200000; i++) {
			u32 op = rnd() % 16, f;

			switch (op) {
			case 0:
				if (flight(&s))
					xtcp_cc_on_timeout(&s.cc, s.nxt, flight(&s));
				break;
			case 1:
			case 2:
				if (flight(&s))
					xtcp_cc_on_dupack(&s.cc, s.una, s.nxt,
							  flight(&s));
				break;
			case 3:
				xtcp_cc_set_mss(&s.cc, 500 + rnd() % 9000);
				break;
			case 4:
				s.now_us += rnd() % (2 * SEC);
				break;
			case 5:
				xtcp_cc_set_algo(&s.cc, xtcp_cc_algos[rnd() % 2]);
				break;
			case 6:
			case 7:
				fill(&s);
				break;
			default:
				f = flight(&s);
				if (!f)
					break;
				s.now_us += rnd() % (50 * MS);
				ack(&s, 1 + rnd() % f,
				    rnd() % 4 ? rnd() % (300 * MS) : XTCP_CC_NO_RTT);
				break;
			}
			oracle_cc_invariants(&s.cc, s.una, s.nxt);
		}
	}
}
