// SPDX-License-Identifier: GPL-2.0
/*
 * The xtcp retransmission timer, loss recovery and the table of congestion
 * control algorithms: see cc.h.
 * Kernel-free by design; built both into xtcp.ko and into the user-space
 * unit tests.  64-bit arithmetic is limited to additions, multiplications
 * and shifts, so 32-bit kernels need no division helpers.
 */
#include "cc.h"

#define XTCP_U32_MAX	0xffffffffu

static u32 min_u32(u32 a, u32 b)
{
	return a < b ? a : b;
}

static u32 max_u32(u32 a, u32 b)
{
	return a > b ? a : b;
}

static u32 clamp_u64(u64 v, u32 lo, u32 hi)
{
	if (v < lo)
		return lo;
	if (v > hi)
		return hi;
	return (u32)v;
}

/* ---- retransmission timer (RFC 6298) ---- */

/* RFC 6298 2.2/2.3: RTO <- SRTT + max(G, K * RTTVAR), K = 4, clamped. */
static void rtt_set_rto(struct xtcp_rtt *rtt)
{
	u64 var = (u64)rtt->rttvar_us << 2;

	if (var < rtt->granularity_us)
		var = rtt->granularity_us;
	rtt->rto_us = clamp_u64(rtt->srtt_us + var, rtt->min_rto_us,
				rtt->max_rto_us);
}

/* RTO before any sample: 1 s (RFC 6298 2.1), within the bounds */
static u32 rtt_initial_rto(const struct xtcp_rtt *rtt)
{
	return clamp_u64(XTCP_RTO_INITIAL_US, rtt->min_rto_us, rtt->max_rto_us);
}

/* RTO doubled, within the maximum, without overflow */
static u32 rto_doubled(const struct xtcp_rtt *rtt, u32 rto_us)
{
	return rto_us > rtt->max_rto_us - rto_us ? rtt->max_rto_us : rto_us << 1;
}

/**
 * xtcp_rtt_init() - start a connection's estimator with no sample
 * @rtt: the estimator
 * @min_rto_us: floor of the RTO (XTCP_RTO_MIN_US as Linux; RFC 6298 2.4
 *	says 1 s); raised to 1 if 0, lowered to @max_rto_us if above it
 * @max_rto_us: ceiling of the RTO (XTCP_RTO_MAX_US); raised to
 *	XTCP_RTO_MAX_FLOOR_US if below it (RFC 6298 2.5)
 * @granularity_us: G, the clock granularity of the samples (1 if they come
 *	from a microsecond clock, a jiffy if from jiffies)
 *
 * RTO starts at 1 s (RFC 6298 2.1), within the bounds.  One duty of RFC
 * 6298 5.7 stays with the caller: if the timer expired on the SYN and RTO
 * is below 3 s when data transmission begins, set @rtt->rto_us to 3 s.
 */
void xtcp_rtt_init(struct xtcp_rtt *rtt, u32 min_rto_us, u32 max_rto_us,
		   u32 granularity_us)
{
	rtt->max_rto_us = max_u32(max_rto_us, XTCP_RTO_MAX_FLOOR_US);
	rtt->min_rto_us = min_u32(max_u32(min_rto_us, 1), rtt->max_rto_us);
	rtt->granularity_us = granularity_us;
	rtt->srtt_us = 0;
	rtt->rttvar_us = 0;
	rtt->backoffs = 0;
	rtt->has_sample = false;
	rtt->rto_us = rtt_initial_rto(rtt);
}

/**
 * xtcp_rtt_sample() - feed one round-trip measurement
 * @rtt: the estimator
 * @sample_us: R, time from sending a segment to the ACK that covered it
 * @retransmitted: the segment timed was sent more than once
 *
 * Karn's algorithm: a sample from a retransmitted segment is ignored, and
 * RTO keeps whatever backoff it has.  Otherwise the first sample sets
 * SRTT = R and RTTVAR = R / 2 (RFC 6298 2.2), later ones
 * RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R| then SRTT = 7/8 SRTT + 1/8 R
 * (2.3, alpha = 1/8, beta = 1/4), in whole microseconds rounded down; RTO
 * is recomputed, which also drops the backoff (5.7).
 *
 * Return: true if the sample was used, false if Karn's rule dropped it.
 */
bool xtcp_rtt_sample(struct xtcp_rtt *rtt, u32 sample_us, bool retransmitted)
{
	u32 delta;

	if (retransmitted)
		return false;
	if (!rtt->has_sample) {
		rtt->srtt_us = sample_us;
		rtt->rttvar_us = sample_us >> 1;
		rtt->has_sample = true;
	} else {
		delta = rtt->srtt_us > sample_us ? rtt->srtt_us - sample_us :
						   sample_us - rtt->srtt_us;
		/* Both new values lie between the old one and delta or R. */
		rtt->rttvar_us = (u32)(((u64)rtt->rttvar_us * 3 + delta) >> 2);
		rtt->srtt_us = (u32)(((u64)rtt->srtt_us * 7 + sample_us) >> 3);
	}
	rtt->backoffs = 0;
	rtt_set_rto(rtt);
	return true;
}

/**
 * xtcp_rtt_backoff() - the retransmission timer expired: double RTO
 * @rtt: the estimator
 *
 * RFC 6298 5.5: RTO doubles, up to the maximum, whatever the number of
 * expiries; the doubled value stays until xtcp_rtt_sample() accepts a
 * sample.
 *
 * Return: the new RTO, to re-arm the timer with.
 */
u32 xtcp_rtt_backoff(struct xtcp_rtt *rtt)
{
	rtt->rto_us = rto_doubled(rtt, rtt->rto_us);
	if (rtt->backoffs < XTCP_U32_MAX)
		rtt->backoffs++;
	return rtt->rto_us;
}

/**
 * xtcp_rtt_revert() - undo the last backoff of RTO (RFC 6069)
 * @rtt: the estimator
 *
 * An ICMP unreachable about a retransmitted segment says that a router
 * had no way on, not that the path is congested (RFC 6069, TCP-LD): the
 * last doubling is undone.  RTO becomes what the estimate gives (before
 * any sample, the initial RTO), within the bounds, doubled once for
 * each backoff left.  An RTO not backed off stays.
 *
 * Return: true if a backoff was undone.
 */
bool xtcp_rtt_revert(struct xtcp_rtt *rtt)
{
	u32 i;

	if (!rtt->backoffs)
		return false;
	rtt->backoffs--;
	if (rtt->has_sample)
		rtt_set_rto(rtt);
	else
		rtt->rto_us = rtt_initial_rto(rtt);
	/* at most 32 rounds: RTO is at least 1 us */
	for (i = 0; i < rtt->backoffs && rtt->rto_us < rtt->max_rto_us; i++)
		rtt->rto_us = rto_doubled(rtt, rtt->rto_us);
	return true;
}

/**
 * xtcp_rtt_model_timeout() - how long @boundary timeouts last at least
 * @rtt: the estimator, for its bounds
 * @base_us: the first RTO of the model
 * @boundary: the timeouts that end the connection (a retries sysctl)
 *
 * The time from the first sending of a segment to the expiry that ends
 * the connection, the @boundary + 1st, had RTO started at @base_us and
 * doubled at each expiry up to the maximum: how TCP turns its retry
 * counts into time (tcp_model_timeout()).  With RTO backed off at every
 * expiry, it never comes after the count of expiries; when RFC 6069 undid
 * backoffs, the connection lasts as long as the model says.
 *
 * Return: the time in microseconds.
 */
u64 xtcp_rtt_model_timeout(const struct xtcp_rtt *rtt, u32 base_us,
			   u32 boundary)
{
	u32 rto = clamp_u64(base_us, 1, rtt->max_rto_us);
	u64 sum = 0;
	u32 i;

	for (i = 0; i <= boundary && rto < rtt->max_rto_us; i++) {
		sum += rto;
		rto = rto_doubled(rtt, rto);
	}
	/* the rest at the maximum; under 2^64 even for 2^32 of them */
	if (i <= boundary)
		sum += ((u64)(boundary - i) + 1) * rtt->max_rto_us;
	return sum;
}

/* ---- congestion control: loss recovery (RFC 5681, RFC 6582) ---- */

/* Every algorithm built in. */
const struct xtcp_cc_algo *const xtcp_cc_algos[] = {
	&xtcp_cc_newreno,
	&xtcp_cc_cubic,
	NULL,
};

static bool name_is(const char *name, const char *s, u32 len)
{
	u32 i;

	for (i = 0; i < len && s[i]; i++)
		if (name[i] != s[i])
			return false;
	return name[i] == '\0';
}

/**
 * xtcp_cc_find() - an algorithm by name
 * @name: the name, not necessarily NUL-terminated
 * @len: at most this many characters of @name count; a NUL or a newline
 *	ends it earlier (what a write to a sysctl file leaves)
 *
 * "newreno" names NewReno too (its name is "reno", as Linux's).
 *
 * Return: the algorithm, or NULL if none has that name.
 */
const struct xtcp_cc_algo *xtcp_cc_find(const char *name, u32 len)
{
	const struct xtcp_cc_algo *const *a;
	u32 n;

	for (n = 0; n < len && name[n] && name[n] != '\n'; n++)
		;
	if (name_is("newreno", name, n))
		return &xtcp_cc_newreno;
	for (a = xtcp_cc_algos; *a; a++)
		if (name_is((*a)->name, name, n))
			return *a;
	return NULL;
}

static u32 clamp_mss(u32 mss)
{
	return mss ? min_u32(mss, XTCP_CC_MAX_MSS) : 1;
}

/**
 * xtcp_cc_half_flight() - RFC 5681 equation (4)
 * @cc: the state
 * @flight_bytes: FlightSize
 *
 * Return: max(FlightSize / 2, 2 * SMSS), at most XTCP_CC_MAX_WINDOW.
 */
u32 xtcp_cc_half_flight(const struct xtcp_cc *cc, u32 flight_bytes)
{
	return min_u32(max_u32(flight_bytes >> 1, 2 * cc->mss),
		       XTCP_CC_MAX_WINDOW);
}

/**
 * xtcp_cc_slow_start() - grow cwnd in slow start
 * @cc: the state
 * @grow: bytes to add
 *
 * cwnd grows by @grow but never past ssthresh (nor the window limit).
 */
void xtcp_cc_slow_start(struct xtcp_cc *cc, u32 grow)
{
	if (cc->cwnd < cc->ssthresh)
		cc->cwnd = min_u32(cc->cwnd + min_u32(grow, XTCP_CC_MAX_WINDOW),
				   cc->ssthresh);
}

/* Whatever an algorithm did, the invariants of struct xtcp_cc hold. */
static void cc_bound(struct xtcp_cc *cc)
{
	cc->cwnd = clamp_u64(cc->cwnd, cc->mss, XTCP_CC_MAX_WINDOW);
	cc->ssthresh = clamp_u64(cc->ssthresh, 2 * cc->mss, XTCP_CC_MAX_WINDOW);
	cc->bytes_acked = min_u32(cc->bytes_acked, cc->cwnd);
}

/*
 * A fast recovery begins at @snd_una with @snd_nxt sent: what it is about
 * to reduce is kept,
 * to be given back if the recovery turns out spurious (xtcp_cc_undo()).
 */
static void undo_arm(struct xtcp_cc *cc, u32 snd_una, u32 snd_nxt)
{
	cc->undo = (struct xtcp_cc_undo){
		.cwnd = cc->cwnd,
		.ssthresh = cc->ssthresh,
		.marker = snd_una,
		.high = snd_nxt,
		.armed = true,
	};
}

/* The new ssthresh after a loss, from the algorithm, within bounds. */
static u32 cc_loss_ssthresh(struct xtcp_cc *cc, u32 flight_bytes)
{
	u32 ss = cc->algo->ssthresh(cc, flight_bytes);

	return clamp_u64(ss, 2 * cc->mss, XTCP_CC_MAX_WINDOW);
}

/**
 * xtcp_cc_initial_window() - RFC 5681's initial window for an MSS
 * @mss: sender maximum segment size in bytes (clamped to 1..65535)
 *
 * Return: min(4 * MSS, max(2 * MSS, 4380)) bytes: 3 segments of 1460,
 * 4 of 536, 2 of 4000.
 */
u32 xtcp_cc_initial_window(u32 mss)
{
	mss = clamp_mss(mss);
	return min_u32(4 * mss, max_u32(2 * mss, 4380));
}

/**
 * xtcp_cc_init() - start a connection's congestion control
 * @cc: the state
 * @algo: the algorithm (NULL: XTCP_CC_DEFAULT)
 * @mss: sender maximum segment size in bytes, as negotiated
 *
 * cwnd starts at the initial window, ssthresh "arbitrarily high" (RFC 5681
 * 3.1): XTCP_CC_MAX_WINDOW.  No recover point is set, which RFC 6582's
 * recover = ISS amounts to.
 */
void xtcp_cc_init(struct xtcp_cc *cc, const struct xtcp_cc_algo *algo,
		  u32 mss)
{
	cc->mss = clamp_mss(mss);
	cc->cwnd = xtcp_cc_initial_window(cc->mss);
	cc->ssthresh = XTCP_CC_MAX_WINDOW;
	cc->bytes_acked = 0;
	cc->recover = 0;
	cc->dupacks = 0;
	cc->partial_acks = 0;
	cc->min_rtt_us = XTCP_CC_NO_RTT;
	cc->in_recovery = false;
	cc->recover_valid = false;
	cc->timed_out = false;
	cc->undo = (struct xtcp_cc_undo){};
	cc->algo = NULL;
	xtcp_cc_set_algo(cc, algo);
}

/**
 * xtcp_cc_set_algo() - run another algorithm from now on
 * @cc: the state, initialised
 * @algo: the algorithm (NULL: XTCP_CC_DEFAULT)
 *
 * cwnd, ssthresh and the recovery state carry over; the new algorithm's
 * own state starts afresh from them.  Setting the algorithm a connection
 * already runs changes nothing.
 */
void xtcp_cc_set_algo(struct xtcp_cc *cc, const struct xtcp_cc_algo *algo)
{
	u32 i;

	if (!algo)
		algo = XTCP_CC_DEFAULT;
	if (cc->algo == algo)
		return;
	cc->algo = algo;
	for (i = 0; i < XTCP_CC_PRIV_U64; i++)
		cc->priv[i] = 0;
	cc->bytes_acked = 0;
	if (algo->init)
		algo->init(cc);
	cc_bound(cc);
}

/**
 * xtcp_cc_set_mss() - the sender's MSS changed (path MTU discovery)
 * @cc: the state
 * @mss: the new MSS in bytes
 *
 * cwnd and ssthresh keep their byte values, a measure of what the path
 * holds, and are only raised to their floors of 1 and 2 new MSS.
 */
void xtcp_cc_set_mss(struct xtcp_cc *cc, u32 mss)
{
	cc->mss = clamp_mss(mss);
	cc->cwnd = max_u32(cc->cwnd, cc->mss);
	cc->ssthresh = max_u32(cc->ssthresh, 2 * cc->mss);
}

/**
 * xtcp_cc_on_rtt() - a round-trip sample (one not from an ACK of data: the
 * handshake's)
 * @cc: the state
 * @rtt_us: the sample, or XTCP_CC_NO_RTT
 *
 * Only the minimum is kept (CUBIC's target looks one minimum RTT ahead).
 */
void xtcp_cc_on_rtt(struct xtcp_cc *cc, u32 rtt_us)
{
	if (rtt_us != XTCP_CC_NO_RTT && rtt_us < cc->min_rtt_us)
		cc->min_rtt_us = rtt_us;
}

/**
 * xtcp_cc_on_ack() - an ACK advanced SND.UNA
 * @cc: the state
 * @a: the ACK
 *
 * Its RTT sample, if any, updates the minimum.  Outside fast recovery,
 * the algorithm grows cwnd.  In fast recovery, an ACK covering recover
 * ends it with cwnd = min(ssthresh, max(flight, MSS) + MSS); one below is
 * a partial ACK: cwnd is deflated by the bytes acknowledged, one MSS is
 * added back if at least an MSS was acknowledged, and the next hole must
 * be retransmitted (RFC 6582 3.2 step 3).
 *
 * Return: XTCP_CC_NONE, or for a partial ACK XTCP_CC_PARTIAL_RETRANSMIT
 * (the first) or XTCP_CC_PARTIAL_RETRANSMIT_KEEP_TIMER (later ones).
 */
enum xtcp_cc_action xtcp_cc_on_ack(struct xtcp_cc *cc,
				   const struct xtcp_cc_ack *a)
{
	u32 acked_bytes = a->acked, flight_bytes;
	bool full;

	if (!acked_bytes)
		return XTCP_CC_NONE;
	xtcp_cc_on_rtt(cc, a->rtt_us);
	cc->dupacks = 0;
	cc->timed_out = false;
	full = !xtcp_seq_before(a->ack, cc->recover);
	if (cc->recover_valid && xtcp_seq_after(a->ack, cc->recover))
		cc->recover_valid = false;

	if (!cc->in_recovery) {
		cc->algo->cong_avoid(cc, a);
		cc_bound(cc);
		return XTCP_CC_NONE;
	}
	if (full) {
		flight_bytes = min_u32(a->flight, XTCP_CC_MAX_WINDOW);
		cc->cwnd = min_u32(cc->ssthresh,
				   max_u32(flight_bytes, cc->mss) + cc->mss);
		cc->cwnd = max_u32(cc->cwnd, cc->mss);
		cc->bytes_acked = 0;
		cc->partial_acks = 0;
		cc->in_recovery = false;
		return XTCP_CC_NONE;
	}
	if (a->sack)
		return XTCP_CC_NONE;	/* the pipe decides, cwnd stays */

	cc->cwnd = cc->cwnd > acked_bytes ? cc->cwnd - acked_bytes : 0;
	if (acked_bytes >= cc->mss)
		cc->cwnd = min_u32(cc->cwnd + cc->mss, XTCP_CC_MAX_WINDOW);
	cc->cwnd = max_u32(cc->cwnd, cc->mss);
	if (cc->partial_acks < XTCP_U32_MAX)
		cc->partial_acks++;
	return cc->partial_acks == 1 ? XTCP_CC_PARTIAL_RETRANSMIT :
				       XTCP_CC_PARTIAL_RETRANSMIT_KEEP_TIMER;
}

/**
 * xtcp_cc_on_dupack() - a duplicate ACK arrived
 * @cc: the state
 * @ack: SEG.ACK, equal to SND.UNA
 * @snd_nxt: one past the highest sequence number transmitted (SND.MAX)
 * @flight_bytes: bytes outstanding
 *
 * In fast recovery each duplicate ACK inflates cwnd by one MSS: a segment
 * has left the network.  Otherwise the third in a row starts a fast
 * retransmit, unless @ack does not pass recover (RFC 6582 3.2 step 2):
 * ssthresh is what the algorithm says (NewReno: max(flight / 2, 2 * MSS)),
 * cwnd = ssthresh + 3 * MSS, recover = @snd_nxt.  The first two, and any
 * after the third, change nothing (limited transmit, if wanted, is the
 * caller's).
 *
 * Return: XTCP_CC_FAST_RETRANSMIT when the segment at SND.UNA must be
 * retransmitted now, else XTCP_CC_NONE.
 */
enum xtcp_cc_action xtcp_cc_on_dupack(struct xtcp_cc *cc, u32 ack, u32 snd_nxt,
				      u32 flight_bytes)
{
	if (cc->in_recovery) {
		cc->cwnd = min_u32(cc->cwnd + cc->mss, XTCP_CC_MAX_WINDOW);
		return XTCP_CC_NONE;
	}
	if (cc->dupacks < XTCP_U32_MAX)
		cc->dupacks++;
	if (cc->dupacks != XTCP_CC_DUPTHRESH)
		return XTCP_CC_NONE;
	if (cc->recover_valid && !xtcp_seq_after(ack, cc->recover))
		return XTCP_CC_NONE;	/* echoes of what we resent: no loss */

	undo_arm(cc, ack, snd_nxt);
	cc->ssthresh = cc_loss_ssthresh(cc, flight_bytes);
	cc->cwnd = min_u32(cc->ssthresh + XTCP_CC_DUPTHRESH * cc->mss,
			   XTCP_CC_MAX_WINDOW);
	cc->bytes_acked = 0;
	cc->recover = snd_nxt;
	cc->recover_valid = true;
	cc->partial_acks = 0;
	cc->in_recovery = true;
	return XTCP_CC_FAST_RETRANSMIT;
}

/**
 * xtcp_cc_on_timeout() - the retransmission timer expired
 * @cc: the state
 * @snd_nxt: one past the highest sequence number transmitted (SND.MAX)
 * @flight_bytes: bytes outstanding when the timer fired
 *
 * cwnd drops to the loss window, one MSS, and fast recovery ends.  The
 * first expiry since SND.UNA last advanced sets ssthresh as the algorithm
 * says (NewReno: max(flight / 2, 2 * MSS), RFC 5681 3.1); further ones
 * keep it.  recover becomes @snd_nxt (RFC 6582 3.2 step 4), so the
 * duplicate ACKs that retransmitting already-received data will draw start
 * no fast retransmit.
 */
void xtcp_cc_on_timeout(struct xtcp_cc *cc, u32 snd_nxt, u32 flight_bytes)
{
	if (!cc->timed_out)
		cc->ssthresh = cc_loss_ssthresh(cc, flight_bytes);
	cc->cwnd = cc->mss;
	cc->bytes_acked = 0;
	cc->dupacks = 0;
	cc->partial_acks = 0;
	cc->in_recovery = false;
	cc->undo.armed = false;	/* a timeout is a loss whatever came before */
	if (!cc->recover_valid || xtcp_seq_after(snd_nxt, cc->recover))
		cc->recover = snd_nxt;
	cc->recover_valid = true;
	cc->timed_out = true;
	if (cc->algo->on_timeout)
		cc->algo->on_timeout(cc);
	cc_bound(cc);
}

/**
 * xtcp_cc_enter_recovery() - a SACK sender found a segment lost
 * @cc: the state
 * @snd_una: SND.UNA
 * @snd_nxt: one past the highest sequence number transmitted (SND.MAX)
 * @flight_bytes: bytes outstanding (SND.MAX - SND.UNA)
 *
 * RFC 6675 section 5 step 4: ssthresh is what the algorithm says, cwnd
 * falls to it, and recovery lasts until an ACK covers @snd_nxt.  Not
 * while a recovery or a timeout's repair is under way: losses found then
 * belong to the episode that already reduced the window (RFC 6675 5.1,
 * RFC 6582's recover), so @snd_una must have reached recover.
 *
 * Return: true if fast recovery began.
 */
bool xtcp_cc_enter_recovery(struct xtcp_cc *cc, u32 snd_una, u32 snd_nxt,
			    u32 flight_bytes)
{
	if (cc->in_recovery || cc->timed_out ||
	    (cc->recover_valid && xtcp_seq_before(snd_una, cc->recover)))
		return false;
	undo_arm(cc, snd_una, snd_nxt);
	cc->ssthresh = cc_loss_ssthresh(cc, flight_bytes);
	cc->cwnd = cc->ssthresh;
	cc->bytes_acked = 0;
	cc->dupacks = 0;
	cc->recover = snd_nxt;
	cc->recover_valid = true;
	cc->partial_acks = 0;
	cc->in_recovery = true;
	cc_bound(cc);
	return true;
}

/**
 * xtcp_cc_reduce() - a loss was repaired without a recovery episode
 * @cc: the state
 * @flight_bytes: bytes outstanding when the repair was found
 *
 * RFC 8985 7.4.2: a tail loss probe resent a segment, and the peer
 * acknowledged past it without reporting a duplicate: the segment was
 * lost.  The response is fast recovery's, an episode that ends at once:
 * ssthresh as the algorithm says for a loss, cwnd down to it.  Not while
 * a recovery or a timeout's repair is under way (they already reduced).
 *
 * Return: true if the window was reduced.
 */
bool xtcp_cc_reduce(struct xtcp_cc *cc, u32 flight_bytes)
{
	if (cc->in_recovery || cc->timed_out)
		return false;
	cc->ssthresh = cc_loss_ssthresh(cc, flight_bytes);
	cc->cwnd = min_u32(cc->cwnd, cc->ssthresh);
	cc->bytes_acked = 0;
	cc->undo.armed = false;	/* nothing older may undo this loss */
	cc_bound(cc);
	return true;
}

/**
 * xtcp_cc_undo_resent() - a segment was resent
 * @cc: the state
 * @segs: how many MSS-sized segments went
 * @tsval: the TSval they carry (0 without timestamps)
 *
 * Counted while a fast recovery may be undone: each must come back as a
 * duplicate for D-SACK to call the recovery spurious.  The first one's
 * TSval is what the ACK ending the recovery is compared with (Eifel).
 */
void xtcp_cc_undo_resent(struct xtcp_cc *cc, u32 segs, u32 tsval)
{
	struct xtcp_cc_undo *u = &cc->undo;

	if (!u->armed)
		return;
	if (!u->resent) {
		u->resent = true;
		u->tsval = tsval;
	}
	u->retrans = segs > XTCP_U32_MAX - u->retrans ? XTCP_U32_MAX :
							 u->retrans + segs;
}

/**
 * xtcp_cc_undo_dsack() - the peer reported [@start, @end) as a duplicate
 * @cc: the state
 * @start: the D-SACK block's first sequence number
 * @end: one past its last
 *
 * RFC 2883 section 4.2: if every segment resent in a fast recovery comes
 * back reported as received twice, none was lost; the recovery was
 * spurious (reordering or a delay took the originals).  Only blocks of
 * data outstanding when it began count: below its SND.UNA they are older
 * news, from its SND.MAX on about data never resent in it.
 */
void xtcp_cc_undo_dsack(struct xtcp_cc *cc, u32 start, u32 end)
{
	struct xtcp_cc_undo *u = &cc->undo;
	u32 segs;

	if (!u->armed || !u->resent || !u->retrans ||
	    !xtcp_seq_after(end, u->marker) ||
	    !xtcp_seq_before(start, u->high) || !xtcp_seq_before(start, end))
		return;
	segs = max_u32((end - start + cc->mss - 1) / cc->mss, 1);
	u->retrans -= min_u32(u->retrans, segs);
	if (!u->retrans)
		u->why |= XTCP_CC_UNDO_DSACK;
}

/**
 * xtcp_cc_undo_echo() - the TSecr of the ACK that ended a fast recovery
 * @cc: the state
 * @tsecr: its TSecr, non-zero (the caller has timestamps on)
 *
 * RFC 3522 (Eifel): the receiver echoes the segment that filled its
 * hole.  An echo older than the first resend says an original filled
 * it: the original was late, not lost.
 */
void xtcp_cc_undo_echo(struct xtcp_cc *cc, u32 tsecr)
{
	struct xtcp_cc_undo *u = &cc->undo;

	if (u->armed && u->resent && xtcp_seq_before(tsecr, u->tsval))
		u->why |= XTCP_CC_UNDO_EIFEL;
}

/**
 * xtcp_cc_undo() - give back what a spurious fast recovery took
 * @cc: the state
 *
 * Once the recovery is over and xtcp_cc_undo_dsack() or
 * xtcp_cc_undo_echo() found it spurious: cwnd and ssthresh go back up to
 * their values before it (never down), as Linux's undo does; the
 * algorithm's own state carries on from there.  Each recovery is undone
 * at most once; a timeout or another reduction since forbids it.
 *
 * Return: the enum xtcp_cc_undo_why bits of an undo done now, else 0.
 */
unsigned int xtcp_cc_undo(struct xtcp_cc *cc)
{
	struct xtcp_cc_undo *u = &cc->undo;

	if (!u->armed || !u->why || cc->in_recovery || cc->timed_out)
		return 0;
	u->armed = false;
	cc->cwnd = max_u32(cc->cwnd, u->cwnd);
	cc->ssthresh = max_u32(cc->ssthresh, u->ssthresh);
	cc->bytes_acked = 0;
	cc_bound(cc);
	return u->why;
}

/**
 * xtcp_cc_window() - how much the sender may have in flight
 * @cc: the state
 *
 * The caller sends while SND.NXT - SND.UNA is below the smaller of this
 * and the peer's advertised window.
 *
 * Return: cwnd in bytes, at least one MSS.
 */
u32 xtcp_cc_window(const struct xtcp_cc *cc)
{
	return cc->cwnd;
}

/**
 * xtcp_cc_get_info() - what congestion control shows of its state
 * @cc: the state
 * @info: filled in
 */
void xtcp_cc_get_info(const struct xtcp_cc *cc, struct xtcp_cc_info *info)
{
	info->phase = XTCP_CC_PHASE_AVOIDANCE;
	info->w_max = 0;
	info->k_ms = 0;
	if (cc->cwnd < cc->ssthresh)
		info->phase = XTCP_CC_PHASE_SLOW_START;
	if (cc->algo->get_info)
		cc->algo->get_info(cc, info);
	if (cc->in_recovery)
		info->phase = XTCP_CC_PHASE_RECOVERY;
	if (cc->timed_out)
		info->phase = XTCP_CC_PHASE_LOSS;
}

/* ---- zero-window probing (RFC 9293 3.8.6.1, RFC 1122 4.2.2.17) ---- */

/**
 * xtcp_persist_start() - the peer's window closed with data waiting
 * @p: the state
 *
 * No probe sent yet, no backoff: the first probe goes one RTO later.
 */
void xtcp_persist_start(struct xtcp_persist *p)
{
	p->unanswered = 0;
	p->sent = 0;
	p->backoff = 0;
	p->active = true;
}

/**
 * xtcp_persist_stop() - the window opened, or nothing waits for it
 * @p: the state
 */
void xtcp_persist_stop(struct xtcp_persist *p)
{
	p->unanswered = 0;
	p->sent = 0;
	p->backoff = 0;
	p->active = false;
}

/**
 * xtcp_persist_heard() - the peer answered: a segment from it was accepted
 * @p: the state
 *
 * Probes answered never count against the limit (RFC 1122 4.2.2.17: the
 * connection stays open while the receiver answers).  The backoff stays:
 * a window still closed is probed no faster than before.
 */
void xtcp_persist_heard(struct xtcp_persist *p)
{
	p->unanswered = 0;
}

/**
 * xtcp_persist_expired() - the probe timer fired
 * @p: the state
 * @max_unanswered: probes in a row without an answer before giving up
 *	(retries2); also the ceiling of the backoff exponent, as Linux's
 * @max_sent: probes in all, answered or not, before giving up (an
 *	orphan's bound; ~0 for none)
 *
 * Return: XTCP_PERSIST_ABORT if a limit is reached; otherwise
 * XTCP_PERSIST_PROBE, with the probe about to be sent already counted and
 * the backoff grown for the interval to the next expiry.
 */
enum xtcp_persist_verdict xtcp_persist_expired(struct xtcp_persist *p,
					       u32 max_unanswered,
					       u32 max_sent)
{
	if (p->unanswered >= max_unanswered || p->sent >= max_sent)
		return XTCP_PERSIST_ABORT;
	p->unanswered++;
	if (p->sent < XTCP_U32_MAX)
		p->sent++;
	if (p->backoff < max_unanswered && p->backoff < 31)
		p->backoff++;
	return XTCP_PERSIST_PROBE;
}

/**
 * xtcp_persist_interval() - time until the probe timer fires next
 * @p: the state
 * @rto_us: the current retransmission timeout
 * @max_rto_us: the ceiling of any timer interval (XTCP_RTO_MAX_US)
 *
 * Return: @rto_us << @p->backoff, at most @max_rto_us, microseconds.
 */
u32 xtcp_persist_interval(const struct xtcp_persist *p, u32 rto_us,
			  u32 max_rto_us)
{
	u64 v = (u64)rto_us << min_u32(p->backoff, 31);

	return v > max_rto_us ? max_rto_us : (u32)v;
}
