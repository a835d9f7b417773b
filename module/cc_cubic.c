// SPDX-License-Identifier: GPL-2.0
/*
 * CUBIC congestion control (RFC 9438) with HyStart++ (RFC 9406) in the
 * initial slow start: xtcp's default algorithm, as CUBIC is Linux's.
 * Kernel-free, as cc.c: multiplications, shifts and 32-bit divisions only.
 *
 * Windows are in bytes, as everywhere in struct xtcp_cc; RFC 9438 counts
 * segments, so its W_max, W_est and the cubic's C are scaled by the MSS.
 * Time is the caller's microsecond clock (struct xtcp_cc_ack's now_us),
 * turned into ticks of 1/1024 s for the cubic (t_ticks = t_us * 1074 >>
 * 20, within 0.03 %).  The constants, as fixed-point fractions of 1024:
 *
 *   C      = 0.4    410 / 1024 (segments per second cubed)
 *   beta   = 0.7    717 / 1024 (the window left after a loss)
 *   (1 + beta) / 2  870 / 1024 (fast convergence's W_max)
 *   1 / alpha_cubic = (1 + beta) / (3 * (1 - beta)) = 1.889: the bytes
 *          acknowledged for each MSS the Reno-friendly estimate grows by
 *          are cwnd + cwnd * 57 / 64 (1.891)
 *
 * Per ACK in congestion avoidance (RFC 9438 4.2 to 4.5), t the time since
 * the epoch began (the first ACK after the window was last reduced):
 *
 *   W_cubic(t) = C * (t - K)^3 + W_max,  K = cbrt((W_max - cwnd_epoch) / C)
 *   W_est grows by alpha_cubic MSS per cwnd acknowledged (alpha 1 once
 *         W_est reaches the window before the last reduction, 4.3)
 *   if W_cubic(t) < W_est: cwnd = W_est (the Reno-friendly region)
 *   else: target = W_cubic(t + min RTT) within [cwnd, 1.5 * cwnd], and
 *         cwnd grows by one MSS per cwnd / (target - cwnd) MSS acknowledged
 *
 * |t - K| is capped at 256 s (2^18 ticks), where the cubic term already
 * exceeds any window xtcp allows.  A loss (4.6, 4.7) sets W_max to cwnd,
 * or to cwnd * (1 + beta) / 2 if cwnd had not regained the previous
 * W_max (fast convergence), and ssthresh to beta times the flight (at most
 * cwnd); the next ACK in congestion avoidance starts a new epoch.
 *
 * Slow start grows cwnd by min(acked, L * MSS) per ACK, L = 8 (RFC 9406's
 * value for a sender that does not pace; RFC 3465's byte counting).
 * HyStart++ runs in the first slow start of a connection only (RFC 9406
 * 4.3 recommends so).  Rounds end when an ACK
 * passes the SND.NXT of the round's start.  Once a round has 8 RTT samples
 * and its minimum has grown by eta = clamp(last round's minimum / 8, 4 ms,
 * 16 ms) over the last round's, slow start turns into Conservative Slow
 * Start: growth divided by 4; a round whose minimum falls back below the
 * baseline resumes slow start, and after 5 rounds of CSS congestion
 * avoidance begins with ssthresh = max(cwnd, 2 * MSS).
 */
#include "cc.h"

#define CUBIC_C			410u	/* 0.4 << 10 */
#define CUBIC_BETA		717u	/* 0.7 << 10 */
#define CUBIC_FAST_CONV		870u	/* 0.85 << 10 */
#define CUBIC_MAX_OFFS		262144u	/* ticks, 2^18: 256 s */
#define CUBIC_NO_GROWTH		100u	/* Linux's cnt when target <= cwnd */

#define HS_L			8u	/* RFC 9406: MSS per ACK, not paced */
#define HS_MIN_RTT_THRESH	4000u	/* us */
#define HS_MAX_RTT_THRESH	16000u	/* us */
#define HS_MIN_RTT_DIVISOR	8u
#define HS_N_RTT_SAMPLE		8u
#define HS_CSS_GROWTH_DIVISOR	4u
#define HS_CSS_ROUNDS		5u

enum hystart_phase {
	HS_SS = 0,	/* slow start, watching the RTT */
	HS_CSS,		/* Conservative Slow Start */
	HS_DONE,	/* not (or no longer) running */
};

/**
 * struct cubic - CUBIC's state of one connection, in struct xtcp_cc's priv
 * @epoch_us: when the current congestion-avoidance epoch began
 * @w_max: bytes: the window before the last reduction (RFC 9438 W_max,
 *	after fast convergence); 0 before any loss
 * @origin: bytes: the cubic's plateau this epoch, W_max or the window at
 *	the epoch's start if that is larger
 * @k: ticks: K, from the epoch's start to the plateau
 * @w_est: bytes: the Reno-friendly estimate W_est
 * @est_acked: bytes acknowledged toward W_est's next MSS
 * @ca_acked: bytes acknowledged toward cwnd's next MSS
 * @cwnd_prior: bytes: cwnd when the last loss was detected
 * @window_end: HyStart++: the round ends when an ACK passes it
 * @last_round_min: HyStart++: last round's smallest RTT sample, us
 * @cur_round_min: HyStart++: this round's smallest RTT sample, us
 * @css_baseline: HyStart++: the minimum that started CSS, us
 * @samples: HyStart++: RTT samples this round
 * @css_rounds: HyStart++: rounds spent in CSS
 * @hs: HyStart++'s phase, enum hystart_phase
 * @epoch_valid: an epoch has begun since the last reduction
 * @round_valid: HyStart++: @window_end is set (a round is under way)
 */
struct cubic {
	u64 epoch_us;
	u32 w_max;
	u32 origin;
	u32 k;
	u32 w_est;
	u32 est_acked;
	u32 ca_acked;
	u32 cwnd_prior;
	u32 window_end;
	u32 last_round_min;
	u32 cur_round_min;
	u32 css_baseline;
	u32 samples;
	u8 css_rounds;
	u8 hs;
	bool epoch_valid;
	bool round_valid;
};

XTCP_CC_PRIV_CHECK(struct cubic);

static u32 min32(u32 a, u32 b)
{
	return a < b ? a : b;
}

static u32 max32(u32 a, u32 b)
{
	return a > b ? a : b;
}

/* @w + @n MSS, bytes, at most XTCP_CC_MAX_WINDOW. */
static u32 add_mss(u32 w, u32 n, u32 mss)
{
	u64 v = (u64)w + (u64)n * mss;

	return v > XTCP_CC_MAX_WINDOW ? XTCP_CC_MAX_WINDOW : (u32)v;
}

/* Microseconds to ticks of 1/1024 s: * 1024 / 10^6, as 1074 / 2^20. */
static u64 us_to_ticks(u64 us)
{
	if (us > (1ull << 40))
		us = 1ull << 40;	/* 12 days: far past CUBIC_MAX_OFFS */
	return (us * 1074) >> 20;
}

/* Bytes: C * offs^3 for a time offset in ticks, MSS-scaled. */
static u32 cubic_delta(u64 offs, u32 mss)
{
	u64 fp;

	if (offs > CUBIC_MAX_OFFS)
		offs = CUBIC_MAX_OFFS;
	/* segments << 16: 410 * offs^3 / 2^40 * 2^16; below 2^39 */
	fp = (CUBIC_C * offs * offs * offs) >> 24;
	fp = (fp * mss) >> 16;
	return fp > XTCP_CC_MAX_WINDOW ? XTCP_CC_MAX_WINDOW : (u32)fp;
}

/* K in ticks: the smallest offset whose cubic term reaches @diff bytes. */
static u32 cubic_k(u32 diff, u32 mss)
{
	u32 lo = 0, hi = CUBIC_MAX_OFFS;

	while (lo < hi) {
		u32 mid = lo + ((hi - lo) >> 1);

		if (cubic_delta(mid, mss) >= diff)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* W_cubic at @t ticks into the epoch, bytes, within the window limit. */
static u32 cubic_window(const struct cubic *c, u64 t, u32 mss)
{
	u64 w;

	if (t < c->k)
		return c->origin - min32(cubic_delta(c->k - t, mss), c->origin);
	w = (u64)c->origin + cubic_delta(t - c->k, mss);
	return w > XTCP_CC_MAX_WINDOW ? XTCP_CC_MAX_WINDOW : (u32)w;
}

static void cubic_new_epoch(struct xtcp_cc *cc, struct cubic *c, u64 now)
{
	c->epoch_us = now;
	c->epoch_valid = true;
	c->ca_acked = 0;
	c->est_acked = 0;
	c->w_est = cc->cwnd;
	if (c->w_max > cc->cwnd) {
		c->origin = c->w_max;
		c->k = cubic_k(c->w_max - cc->cwnd, cc->mss);
	} else {
		c->origin = cc->cwnd;
		c->k = 0;
	}
}

/* RFC 9438 4.3: the window standard TCP would have, grown per ACK. */
static void cubic_reno_estimate(struct xtcp_cc *cc, struct cubic *c, u32 acked)
{
	u32 per = cc->cwnd, n;

	if (c->w_est < c->cwnd_prior)	/* alpha_cubic < 1 until then */
		per += (u32)(((u64)cc->cwnd * 57) >> 6);
	c->est_acked = min32(c->est_acked + min32(acked, XTCP_CC_MAX_WINDOW),
			     XTCP_CC_MAX_WINDOW);
	n = c->est_acked / per;
	c->est_acked -= n * per;
	c->w_est = add_mss(c->w_est, n, cc->mss);
}

static void cubic_avoid(struct xtcp_cc *cc, struct cubic *c,
			const struct xtcp_cc_ack *a)
{
	u64 t, rtt, need;
	u32 target, w_t, n;

	if (!c->epoch_valid)
		cubic_new_epoch(cc, c, a->now_us);
	t = us_to_ticks(a->now_us > c->epoch_us ? a->now_us - c->epoch_us : 0);
	rtt = cc->min_rtt_us == XTCP_CC_NO_RTT ? 0 : us_to_ticks(cc->min_rtt_us);

	cubic_reno_estimate(cc, c, a->acked);
	w_t = cubic_window(c, t, cc->mss);
	if (w_t < c->w_est) {
		/* Reno-friendly region: at least what Reno would have. */
		if (c->w_est > cc->cwnd)
			cc->cwnd = c->w_est;
		return;
	}

	target = cubic_window(c, t + rtt, cc->mss);
	target = max32(target, cc->cwnd);
	target = min32(target, cc->cwnd + (cc->cwnd >> 1));
	if (target > cc->cwnd)
		need = (u64)(cc->cwnd / (target - cc->cwnd)) * cc->mss;
	else
		need = (u64)CUBIC_NO_GROWTH * cc->cwnd;
	if (need < cc->mss)
		need = cc->mss;
	if (need > XTCP_CC_MAX_WINDOW)
		need = XTCP_CC_MAX_WINDOW;
	/* credit earned at a slower rate buys one increase at most */
	c->ca_acked = min32(c->ca_acked, (u32)need);
	c->ca_acked = min32(c->ca_acked + min32(a->acked, XTCP_CC_MAX_WINDOW),
			    XTCP_CC_MAX_WINDOW);
	n = c->ca_acked / (u32)need;
	c->ca_acked -= n * (u32)need;
	cc->cwnd = add_mss(cc->cwnd, n, cc->mss);
}

/*
 * RFC 9406 4.2: a round ends when an ACK reaches its windowEnd, the
 * SND.NXT of its start.  An ACK that leaves nothing outstanding starts
 * a round with no end yet: the next ACK, for data sent since, sets it.
 */
static void hystart_round(struct xtcp_cc *cc, struct cubic *c,
			  const struct xtcp_cc_ack *a)
{
	if (c->round_valid) {
		if (xtcp_seq_before(a->ack, c->window_end))
			return;
		c->last_round_min = c->cur_round_min;
		c->cur_round_min = XTCP_CC_NO_RTT;
		c->samples = 0;
		/* the round CSS began in is not one of its HS_CSS_ROUNDS */
		if (c->hs == HS_CSS && ++c->css_rounds > HS_CSS_ROUNDS) {
			/*
			 * congestion avoidance; ssthresh never goes below
			 * 2 * MSS, so a cwnd under that (one 64 KiB
			 * loopback segment) slow-starts up to it first
			 */
			cc->ssthresh = max32(cc->cwnd, 2 * cc->mss);
			c->hs = HS_DONE;
		}
	}
	c->window_end = a->snd_nxt;
	c->round_valid = a->snd_nxt != a->ack;
}

/* RFC 9406 4.2: one ACK's RTT sample, in slow start or CSS. */
static void hystart_sample(struct cubic *c, u32 rtt_us)
{
	u32 eta;

	if (rtt_us == XTCP_CC_NO_RTT)
		return;
	c->cur_round_min = min32(c->cur_round_min, rtt_us);
	if (c->samples < HS_N_RTT_SAMPLE)
		c->samples++;
	if (c->samples < HS_N_RTT_SAMPLE || c->last_round_min == XTCP_CC_NO_RTT)
		return;
	if (c->hs == HS_SS) {
		eta = c->last_round_min / HS_MIN_RTT_DIVISOR;
		eta = min32(max32(eta, HS_MIN_RTT_THRESH), HS_MAX_RTT_THRESH);
		if (c->cur_round_min >= c->last_round_min + eta) {
			c->css_baseline = c->cur_round_min;
			c->css_rounds = 0;
			c->hs = HS_CSS;
		}
	} else if (c->cur_round_min < c->css_baseline) {
		/* the rise was a blip: back to slow start */
		c->css_baseline = XTCP_CC_NO_RTT;
		c->hs = HS_SS;
	}
}

static void cubic_init(struct xtcp_cc *cc)
{
	struct cubic *c = xtcp_cc_priv(cc);

	c->cur_round_min = XTCP_CC_NO_RTT;
	c->last_round_min = XTCP_CC_NO_RTT;
	c->css_baseline = XTCP_CC_NO_RTT;
	/* HyStart++ only in a connection's first slow start */
	c->hs = cc->ssthresh == XTCP_CC_MAX_WINDOW && !cc->timed_out ?
		HS_SS : HS_DONE;
}

static void cubic_cong_avoid(struct xtcp_cc *cc, const struct xtcp_cc_ack *a)
{
	struct cubic *c = xtcp_cc_priv(cc);
	u32 grow;

	if (cc->cwnd >= cc->ssthresh) {
		cubic_avoid(cc, c, a);
		return;
	}
	/* RFC 3465's L, as RFC 9406 has it: HS_L MSS per ACK at most */
	grow = min32(a->acked, HS_L * cc->mss);
	if (c->hs != HS_DONE) {
		/* the sample first: it times data sent in the round it ends */
		hystart_sample(c, a->rtt_us);
		hystart_round(cc, c, a);
		if (c->hs == HS_CSS)
			grow /= HS_CSS_GROWTH_DIVISOR;
	}
	xtcp_cc_slow_start(cc, grow);
}

static u32 cubic_ssthresh(struct xtcp_cc *cc, u32 flight_bytes)
{
	struct cubic *c = xtcp_cc_priv(cc);
	u32 cwnd = cc->cwnd;

	c->epoch_valid = false;
	c->hs = HS_DONE;
	/* RFC 9438 4.7: fast convergence */
	if (cwnd < c->w_max)
		c->w_max = (u32)(((u64)cwnd * CUBIC_FAST_CONV) >> 10);
	else
		c->w_max = cwnd;
	c->cwnd_prior = cwnd;
	/* 4.6: beta times the flight (never more than the window allowed) */
	flight_bytes = min32(flight_bytes, cwnd);
	return max32((u32)(((u64)flight_bytes * CUBIC_BETA) >> 10), 2 * cc->mss);
}

static void cubic_on_timeout(struct xtcp_cc *cc)
{
	struct cubic *c = xtcp_cc_priv(cc);

	c->epoch_valid = false;
	c->hs = HS_DONE;
}

static void cubic_get_info(const struct xtcp_cc *cc, struct xtcp_cc_info *info)
{
	const struct cubic *c = (const struct cubic *)cc->priv;

	info->w_max = c->w_max;
	info->k_ms = (u32)(((u64)c->k * 1000) >> 10);
	if (c->hs == HS_CSS && cc->cwnd < cc->ssthresh)
		info->phase = XTCP_CC_PHASE_CSS;
}

const struct xtcp_cc_algo xtcp_cc_cubic = {
	.name		= "cubic",
	.init		= cubic_init,
	.cong_avoid	= cubic_cong_avoid,
	.ssthresh	= cubic_ssthresh,
	.on_timeout	= cubic_on_timeout,
	.get_info	= cubic_get_info,
};
