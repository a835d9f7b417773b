/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The xtcp sender's loss machinery: the retransmission timer (RFC 6298),
 * loss recovery (RFC 5681 with RFC 6582's fast recovery) and the congestion
 * control algorithms under it (NewReno, CUBIC).
 *
 * Like core.c, cc.c and the algorithms' files (cc_*.c) call nothing in the
 * kernel: they are built into the module and into the user-space unit tests
 * (tests/unit/test_cc.c).  Every piece of
 * state lives in the structures below, owned by the caller (one of each per
 * connection); the functions neither allocate nor keep globals, and take no
 * locks: the caller serialises calls on one structure.
 *
 * Retransmission timer
 * --------------------
 * All times are in microseconds.  xtcp_rtt_init() sets RTO to 1 second;
 * each RTT measurement goes through xtcp_rtt_sample(), each expiry of the
 * timer through xtcp_rtt_backoff(), an ICMP unreachable about a resent
 * segment through xtcp_rtt_revert() (RFC 6069), and
 * xtcp_rtt_model_timeout() turns a retry count into time.  Karn's
 * algorithm has two halves, both handled here when the caller says
 * whether the acknowledged segment was ever retransmitted:
 *
 *  - a sample from a segment that was retransmitted is ambiguous (it may
 *    time the original or the copy) and is ignored;
 *  - a backed-off RTO stays in force until a sample from a segment sent
 *    once arrives, so the doubling is not undone by the next ACK.
 *
 * Congestion control
 * ------------------
 * cwnd and ssthresh count bytes.  Two layers share struct xtcp_cc:
 *
 *  - loss recovery, here in cc.c and the same for every algorithm: the
 *    duplicate-ACK count, fast retransmit and NewReno's fast recovery (RFC
 *    6582), the timeout's loss window;
 *  - the algorithm (struct xtcp_cc_algo): how cwnd grows outside recovery
 *    and what ssthresh a loss leaves.  NewReno (cc_newreno.c, RFC 5681's
 *    slow start and congestion avoidance) and CUBIC (cc_cubic.c, RFC 9438
 *    with HyStart++, RFC 9406) are built in; xtcp_cc_algos[] lists them.
 *
 * Per connection:
 *
 *   xtcp_cc_init()        once the MSS is known (after the handshake), with
 *                         the algorithm to run
 *   xtcp_cc_set_algo()    another algorithm, from now on (TCP_CONGESTION)
 *   xtcp_cc_on_rtt()      a round-trip sample from outside the ACKs of data
 *                         (the handshake's)
 *   xtcp_cc_on_ack()      every ACK that advances SND.UNA
 *   xtcp_cc_on_dupack()   every duplicate ACK in the sense of RFC 5681
 *                         section 2: no data, no SYN/FIN, SEG.ACK == SND.UNA
 *                         with data outstanding, window unchanged
 *   xtcp_cc_on_timeout()  every expiry of the retransmission timer
 *   xtcp_cc_enter_recovery()  a SACK sender's loss detection (RACK) found
 *                         a segment lost: fast recovery as RFC 6675 has it
 *   xtcp_cc_undo_*()      the evidence that a fast recovery was spurious
 *                         (each resend, D-SACKs, the echo of the ACK that
 *                         ended it), and xtcp_cc_undo() that acts on it
 *   xtcp_cc_window()      how many bytes may be in flight now
 *
 * The callers pass "snd_nxt": one past the highest sequence number ever
 * transmitted (SND.MAX, if the sender rewinds SND.NXT after a timeout), and
 * "flight_bytes": RFC 5681's FlightSize, the bytes sent and not yet
 * cumulatively acknowledged (that snd_nxt - SND.UNA) once the event, the
 * ACK included, is accounted for.  Choices made where the RFCs leave one:
 *
 *  - initial window: RFC 5681's min(4 * MSS, max(2 * MSS, 4380)), not RFC
 *    6928's experimental 10 * MSS;
 *  - end of fast recovery: cwnd = min(ssthresh, max(flight, MSS) + MSS),
 *    RFC 6582's first option, which avoids a burst;
 *  - partial ACKs: RFC 6582's "Impatient" timer rule, see enum
 *    xtcp_cc_action;
 *  - consecutive timeouts without progress set ssthresh only the first
 *    time (RFC 5681 requires it for the first timer retransmission of a
 *    segment; a second reduction would measure a window of our own making);
 *  - "recover" (RFC 6582 section 3.2): a third duplicate ACK starts a fast
 *    retransmit only if SEG.ACK - 1 > recover, recover being the highest
 *    sequence number sent when the last fast retransmit or timeout
 *    happened.  Duplicate ACKs caused by go-back-N retransmissions after a
 *    timeout therefore do not halve the window a second time.  The check is
 *    dropped as soon as an ACK passes recover, so a connection that runs
 *    for more than 2^31 bytes without loss never compares against a stale
 *    sequence number.  RFC 6582 section 4's heuristics are not implemented.
 *
 * A SACK connection does not count duplicate ACKs: its loss detector
 * (RACK, recovery.c) says when a segment is lost and the caller starts
 * recovery with xtcp_cc_enter_recovery(); its ACKs pass @sack.  Limited
 * transmit (RFC 3042) and the scoreboard are outside this file.
 *
 * Adding an algorithm: one file beside cc_cubic.c that defines a const
 * struct xtcp_cc_algo (its state in struct xtcp_cc's @priv, its size
 * checked there with XTCP_CC_PRIV_CHECK()), declared below and listed in
 * xtcp_cc_algos[] (cc.c); the file goes into module/Kbuild and the unit
 * tests' and fuzzers' source lists (Makefile).  Then it is a value of the
 * sysctl and of TCP_CONGESTION.
 *
 * Zero-window probing (the persist timer)
 * ---------------------------------------
 * RFC 9293 3.8.6.1 and RFC 1122 4.2.2.17: while the peer's window is closed
 * and data waits, the sender probes it, at intervals that back off
 * exponentially, and MUST keep the connection open as long as the probes
 * are answered, however long the window stays closed.  Per connection:
 *
 *   xtcp_persist_start()     the window closed with data waiting
 *   xtcp_persist_heard()     a segment from the peer was accepted
 *   xtcp_persist_expired()   the probe timer fired: probe or give up?
 *   xtcp_persist_interval()  when to fire next
 *   xtcp_persist_stop()      the window opened (or nothing waits any more)
 *
 * As Linux's tcp_probe_timer() and tcp_send_probe0(): only probes nobody
 * answered count against the limit (retries2), answers reset that count;
 * the interval is RTO << backoff, the exponent growing by one a probe but
 * never past the limit itself, and the interval never past the maximum
 * RTO; an answer does not shrink the interval, an open window does.  An
 * orphan (a closed socket nobody will read) also has a bound on all its
 * probes, answered or not, so that a peer that keeps its window shut
 * cannot keep it for ever.
 */
#ifndef _XTCP_CC_H
#define _XTCP_CC_H

#include "core.h"

/* RFC 6298 timer constants, microseconds. */
#define XTCP_RTO_INITIAL_US	1000000u	/* 2.1: before any sample */
#define XTCP_RTO_MIN_US		200000u		/* Linux's floor, not 2.4's 1 s */
#define XTCP_RTO_MAX_US		120000000u	/* Linux's TCP_RTO_MAX */
#define XTCP_RTO_MAX_FLOOR_US	60000000u	/* 2.5: a maximum is >= 60 s */

/**
 * struct xtcp_rtt - round-trip estimator and retransmission timeout
 * @srtt_us: smoothed round-trip time; meaningful once @has_sample
 * @rttvar_us: round-trip time variation; meaningful once @has_sample
 * @rto_us: the retransmission timeout to arm the timer with, backoff
 *	included; always within [@min_rto_us, @max_rto_us]
 * @min_rto_us: floor of @rto_us
 * @max_rto_us: ceiling of @rto_us, at least XTCP_RTO_MAX_FLOOR_US
 * @granularity_us: G, the clock granularity of the samples
 * @backoffs: timer expiries since the last valid sample (saturates)
 * @has_sample: a valid sample has been taken
 */
struct xtcp_rtt {
	u32 srtt_us;
	u32 rttvar_us;
	u32 rto_us;
	u32 min_rto_us;
	u32 max_rto_us;
	u32 granularity_us;
	u32 backoffs;
	bool has_sample;
};

void xtcp_rtt_init(struct xtcp_rtt *rtt, u32 min_rto_us, u32 max_rto_us,
		   u32 granularity_us);
bool xtcp_rtt_sample(struct xtcp_rtt *rtt, u32 sample_us, bool retransmitted);
u32 xtcp_rtt_backoff(struct xtcp_rtt *rtt);
bool xtcp_rtt_revert(struct xtcp_rtt *rtt);
u64 xtcp_rtt_model_timeout(const struct xtcp_rtt *rtt, u32 base_us,
			   u32 boundary);

/* Congestion control constants, bytes. */
#define XTCP_CC_MAX_MSS		65535u		/* the MSS option is 16 bits */
#define XTCP_CC_MAX_WINDOW	0x40000000u	/* 2^30: above any RFC 7323 window */
#define XTCP_CC_DUPTHRESH	3		/* dupacks that mean a loss */

/**
 * enum xtcp_cc_action - what the sender must do after an event
 * @XTCP_CC_NONE: nothing beyond the usual: send what xtcp_cc_window()
 *	allows and, on an ACK of new data, restart the retransmission timer
 *	(RFC 6298 5.3)
 * @XTCP_CC_FAST_RETRANSMIT: third duplicate ACK: retransmit the segment at
 *	SND.UNA now; fast recovery has begun
 * @XTCP_CC_PARTIAL_RETRANSMIT: first partial ACK of a fast recovery:
 *	retransmit the segment at the new SND.UNA and restart the timer
 * @XTCP_CC_PARTIAL_RETRANSMIT_KEEP_TIMER: a later partial ACK: retransmit
 *	the segment at the new SND.UNA but leave the timer running, so that a
 *	recovery losing many segments ends in a timeout rather than taking
 *	one round trip per segment (RFC 6582 3.2 step 3, "Impatient")
 */
enum xtcp_cc_action {
	XTCP_CC_NONE = 0,
	XTCP_CC_FAST_RETRANSMIT,
	XTCP_CC_PARTIAL_RETRANSMIT,
	XTCP_CC_PARTIAL_RETRANSMIT_KEEP_TIMER,
};

#define XTCP_CC_NO_RTT		0xffffffffu	/* xtcp_cc_ack: no sample */
#define XTCP_CC_NAME_MAX	16	/* TCP_CA_NAME_MAX: name + NUL */
#define XTCP_CC_PRIV_U64	10	/* room for an algorithm's state */

/**
 * struct xtcp_cc_ack - an ACK that advanced SND.UNA, as congestion control
 * sees it
 * @now_us: the caller's clock when it arrived, microseconds (monotonic)
 * @ack: SEG.ACK, the new SND.UNA
 * @acked: bytes newly acknowledged (new SND.UNA - old SND.UNA); an ACK
 *	acknowledging nothing is ignored
 * @flight: bytes still outstanding after it
 * @snd_nxt: one past the highest sequence number transmitted (SND.MAX)
 * @rtt_us: the round-trip sample it gave (Karn's rule already applied), or
 *	XTCP_CC_NO_RTT
 * @sack: the connection recovers with SACK (RFC 6675): in recovery cwnd
 *	stays at ssthresh, the caller sends while its pipe is below it and
 *	resends what its scoreboard says is lost; no partial-ACK deflation
 *	and no partial-ACK retransmission
 */
struct xtcp_cc_ack {
	u64 now_us;
	u32 ack;
	u32 acked;
	u32 flight;
	u32 snd_nxt;
	u32 rtt_us;
	bool sack;
};

/**
 * struct xtcp_cc_undo - what a fast recovery gives back if it was spurious
 * @cwnd: cwnd before the recovery reduced it
 * @ssthresh: ssthresh before
 * @marker: SND.UNA when it began; D-SACKs of data below it are older news
 * @high: SND.MAX when it began; data from it on was never resent in it
 * @retrans: segments resent since and not yet reported as duplicates
 * @tsval: the TSval (our timestamp clock) of its first resend
 * @armed: a recovery began and may still be undone
 * @resent: a segment was resent since (@tsval is set)
 * @why: enum xtcp_cc_undo_why bits: the evidence found so far
 */
struct xtcp_cc_undo {
	u32 cwnd;
	u32 ssthresh;
	u32 marker;
	u32 high;
	u32 retrans;
	u32 tsval;
	bool armed;
	bool resent;
	u8 why;
};

/**
 * enum xtcp_cc_undo_why - why a recovery is found spurious
 * @XTCP_CC_UNDO_DSACK: the peer reported every resend as a duplicate
 *	(RFC 2883 section 4.2)
 * @XTCP_CC_UNDO_EIFEL: the ACK that ended it echoes a timestamp older
 *	than the first resend: an original arrived, late (RFC 3522)
 */
enum xtcp_cc_undo_why {
	XTCP_CC_UNDO_DSACK = 1,
	XTCP_CC_UNDO_EIFEL = 2,
};

/**
 * struct xtcp_cc - congestion control state of one connection
 * @algo: the algorithm that grows cwnd and chooses ssthresh
 * @mss: sender maximum segment size (SMSS), 1..XTCP_CC_MAX_MSS
 * @cwnd: congestion window; always within [@mss, XTCP_CC_MAX_WINDOW]
 * @ssthresh: slow-start threshold; always within
 *	[2 * @mss, XTCP_CC_MAX_WINDOW]
 * @bytes_acked: bytes acknowledged in congestion avoidance since cwnd last
 *	grew (RFC 3465); at most @cwnd
 * @recover: RFC 6582's recover plus one: SND.MAX when the last fast
 *	retransmit or timeout happened; meaningful while @recover_valid
 * @dupacks: consecutive duplicate ACKs outside fast recovery (saturates)
 * @partial_acks: partial ACKs in this fast recovery (saturates)
 * @min_rtt_us: the smallest round-trip sample seen, XTCP_CC_NO_RTT before
 *	the first
 * @in_recovery: in fast recovery, between a fast retransmit and the ACK
 *	that covers @recover (or a timeout)
 * @recover_valid: no ACK has passed @recover yet: duplicate ACKs at or
 *	below it do not start a fast retransmit
 * @timed_out: the retransmission timer expired and no ACK has advanced
 *	SND.UNA since
 * @undo: the last fast recovery's undo record
 * @priv: the algorithm's own state (xtcp_cc_priv())
 */
struct xtcp_cc {
	const struct xtcp_cc_algo *algo;
	u32 mss;
	u32 cwnd;
	u32 ssthresh;
	u32 bytes_acked;
	u32 recover;
	u32 dupacks;
	u32 partial_acks;
	u32 min_rtt_us;
	bool in_recovery;
	bool recover_valid;
	bool timed_out;
	struct xtcp_cc_undo undo;
	u64 priv[XTCP_CC_PRIV_U64];
};

/**
 * enum xtcp_cc_phase - where the window's growth stands
 * @XTCP_CC_PHASE_SLOW_START: below ssthresh
 * @XTCP_CC_PHASE_CSS: HyStart++'s Conservative Slow Start
 * @XTCP_CC_PHASE_AVOIDANCE: congestion avoidance
 * @XTCP_CC_PHASE_RECOVERY: fast recovery
 * @XTCP_CC_PHASE_LOSS: after a timeout, until an ACK advances SND.UNA
 */
enum xtcp_cc_phase {
	XTCP_CC_PHASE_SLOW_START = 0,
	XTCP_CC_PHASE_CSS,
	XTCP_CC_PHASE_AVOIDANCE,
	XTCP_CC_PHASE_RECOVERY,
	XTCP_CC_PHASE_LOSS,
};

/**
 * struct xtcp_cc_info - what congestion control shows of its state
 *	(TCP_INFO, /proc/net/xtcp, the cwnd tracepoint)
 * @phase: enum xtcp_cc_phase
 * @w_max: bytes: CUBIC's W_max, the window before the last reduction
 *	(0: none yet, or another algorithm)
 * @k_ms: CUBIC's K this epoch: milliseconds from its start to W_max
 */
struct xtcp_cc_info {
	u32 phase;
	u32 w_max;
	u32 k_ms;
};

struct xtcp_cc_algo;

/**
 * struct xtcp_cc_algo - a congestion control algorithm
 * @name: its name, as the sysctl and TCP_CONGESTION take it (at most
 *	XTCP_CC_NAME_MAX - 1 characters)
 * @init: optional: start (or take over) a connection: set up @priv (zeroed
 *	before) from the current cwnd and ssthresh, which it may change
 * @cong_avoid: an ACK advanced SND.UNA outside fast recovery: grow cwnd
 *	(slow start below ssthresh, congestion avoidance at and above), never
 *	past XTCP_CC_MAX_WINDOW; may count in @bytes_acked (at most cwnd)
 * @ssthresh: a loss was detected (a third duplicate ACK, the first
 *	timeout): the new ssthresh, at least 2 * mss; called before cwnd
 *	changes, with the flight as the event left it
 * @on_timeout: optional: the retransmission timer expired (after
 *	@ssthresh, if it was the first expiry), cwnd already one MSS
 * @get_info: optional: fill what it shows of its state (zeroed before)
 *
 * Called with the connection's congestion state only, never concurrently
 * on one connection; none may fail.  cc.c enforces the bounds on cwnd and
 * ssthresh around each call, so an algorithm's mistake cannot break the
 * invariants of struct xtcp_cc.
 */
struct xtcp_cc_algo {
	const char *name;
	void (*init)(struct xtcp_cc *cc);
	void (*cong_avoid)(struct xtcp_cc *cc, const struct xtcp_cc_ack *a);
	u32 (*ssthresh)(struct xtcp_cc *cc, u32 flight_bytes);
	void (*on_timeout)(struct xtcp_cc *cc);
	void (*get_info)(const struct xtcp_cc *cc, struct xtcp_cc_info *info);
};

/* An algorithm's state must fit in @priv: checked at build time. */
#define XTCP_CC_PRIV_CHECK(type) \
	static_assert(sizeof(type) <= sizeof(((struct xtcp_cc *)0)->priv), \
		      #type " does not fit in struct xtcp_cc's priv")

static inline void *xtcp_cc_priv(struct xtcp_cc *cc)
{
	return cc->priv;
}

extern const struct xtcp_cc_algo xtcp_cc_newreno;
extern const struct xtcp_cc_algo xtcp_cc_cubic;
extern const struct xtcp_cc_algo *const xtcp_cc_algos[];
#define XTCP_CC_DEFAULT		(&xtcp_cc_cubic)

const struct xtcp_cc_algo *xtcp_cc_find(const char *name, u32 len);
u32 xtcp_cc_initial_window(u32 mss);
void xtcp_cc_init(struct xtcp_cc *cc, const struct xtcp_cc_algo *algo,
		  u32 mss);
void xtcp_cc_set_algo(struct xtcp_cc *cc, const struct xtcp_cc_algo *algo);
void xtcp_cc_set_mss(struct xtcp_cc *cc, u32 mss);
void xtcp_cc_on_rtt(struct xtcp_cc *cc, u32 rtt_us);
enum xtcp_cc_action xtcp_cc_on_ack(struct xtcp_cc *cc,
				   const struct xtcp_cc_ack *a);
enum xtcp_cc_action xtcp_cc_on_dupack(struct xtcp_cc *cc, u32 ack, u32 snd_nxt,
				      u32 flight_bytes);
void xtcp_cc_on_timeout(struct xtcp_cc *cc, u32 snd_nxt, u32 flight_bytes);
bool xtcp_cc_enter_recovery(struct xtcp_cc *cc, u32 snd_una, u32 snd_nxt,
			    u32 flight_bytes);
bool xtcp_cc_reduce(struct xtcp_cc *cc, u32 flight_bytes);
void xtcp_cc_undo_resent(struct xtcp_cc *cc, u32 segs, u32 tsval);
void xtcp_cc_undo_dsack(struct xtcp_cc *cc, u32 start, u32 end);
void xtcp_cc_undo_echo(struct xtcp_cc *cc, u32 tsecr);
unsigned int xtcp_cc_undo(struct xtcp_cc *cc);
u32 xtcp_cc_window(const struct xtcp_cc *cc);
void xtcp_cc_get_info(const struct xtcp_cc *cc, struct xtcp_cc_info *info);

/* Helpers for the algorithms (cc.c). */
u32 xtcp_cc_half_flight(const struct xtcp_cc *cc, u32 flight_bytes);
void xtcp_cc_slow_start(struct xtcp_cc *cc, u32 grow);

/**
 * struct xtcp_persist - zero-window probing state of one connection
 * @unanswered: probes sent since the peer was last heard from
 * @sent: probes sent since the window closed, answered or not (saturates)
 * @backoff: exponent of the probe interval, RTO << @backoff
 * @active: the peer's window is closed with data waiting: the sender's
 *	timer runs as the probe timer
 */
struct xtcp_persist {
	u32 unanswered;
	u32 sent;
	u32 backoff;
	bool active;
};

/**
 * enum xtcp_persist_verdict - what the probe timer's expiry asks for
 * @XTCP_PERSIST_PROBE: send one zero-window probe, re-arm the timer
 * @XTCP_PERSIST_ABORT: too many probes: end the connection (ETIMEDOUT)
 */
enum xtcp_persist_verdict {
	XTCP_PERSIST_PROBE = 0,
	XTCP_PERSIST_ABORT,
};

void xtcp_persist_start(struct xtcp_persist *p);
void xtcp_persist_stop(struct xtcp_persist *p);
void xtcp_persist_heard(struct xtcp_persist *p);
enum xtcp_persist_verdict xtcp_persist_expired(struct xtcp_persist *p,
					       u32 max_unanswered,
					       u32 max_sent);
u32 xtcp_persist_interval(const struct xtcp_persist *p, u32 rto_us,
			  u32 max_rto_us);

#endif /* _XTCP_CC_H */
