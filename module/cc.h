/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The xtcp sender's loss machinery: the retransmission timer (RFC 6298) and
 * NewReno congestion control (RFC 5681 with RFC 6582's fast recovery).
 *
 * Like core.c, cc.c calls nothing in the kernel: it is built into the module
 * and into the user-space unit tests (tests/unit/test_cc.c).  Every piece of
 * state lives in the structures below, owned by the caller (one of each per
 * connection); the functions neither allocate nor keep globals, and take no
 * locks: the caller serialises calls on one structure.
 *
 * Retransmission timer
 * --------------------
 * All times are in microseconds.  xtcp_rtt_init() sets RTO to 1 second;
 * each RTT measurement goes through xtcp_rtt_sample(), each expiry of the
 * timer through xtcp_rtt_backoff().  Karn's algorithm has two halves, both
 * handled here when the caller says whether the acknowledged segment was
 * ever retransmitted:
 *
 *  - a sample from a segment that was retransmitted is ambiguous (it may
 *    time the original or the copy) and is ignored;
 *  - a backed-off RTO stays in force until a sample from a segment sent
 *    once arrives, so the doubling is not undone by the next ACK.
 *
 * Congestion control
 * ------------------
 * cwnd and ssthresh count bytes.  Per connection:
 *
 *   xtcp_cc_init()        once the MSS is known (after the handshake)
 *   xtcp_cc_on_ack()      every ACK that advances SND.UNA
 *   xtcp_cc_on_dupack()   every duplicate ACK in the sense of RFC 5681
 *                         section 2: no data, no SYN/FIN, SEG.ACK == SND.UNA
 *                         with data outstanding, window unchanged
 *   xtcp_cc_on_timeout()  every expiry of the retransmission timer
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
 *  - slow start: cwnd += min(acked, MSS) per ACK (RFC 5681 section 3.1),
 *    never past ssthresh;
 *  - congestion avoidance: byte counting (RFC 3465 section 2.1): cwnd grows
 *    by one MSS each time a cwnd's worth of bytes has been acknowledged,
 *    which is exactly one MSS per round trip, delayed ACKs or not, where
 *    MSS * MSS / cwnd per ACK rounds to nothing on large windows;
 *  - end of fast recovery: cwnd = min(ssthresh, max(flight, MSS) + MSS),
 *    RFC 6582's first option, which avoids a burst;
 *  - partial ACKs: RFC 6582's "Impatient" timer rule, see enum
 *    xtcp_cc_action;
 *  - consecutive timeouts without progress halve ssthresh only the first
 *    time (RFC 5681 requires it for the first timer retransmission of a
 *    segment; a second halving would measure a window of our own making);
 *  - "recover" (RFC 6582 section 3.2): a third duplicate ACK starts a fast
 *    retransmit only if SEG.ACK - 1 > recover, recover being the highest
 *    sequence number sent when the last fast retransmit or timeout
 *    happened.  Duplicate ACKs caused by go-back-N retransmissions after a
 *    timeout therefore do not halve the window a second time.  The check is
 *    dropped as soon as an ACK passes recover, so a connection that runs
 *    for more than 2^31 bytes without loss never compares against a stale
 *    sequence number.  RFC 6582 section 4's heuristics are not implemented.
 *
 * Limited transmit (RFC 3042) and SACK are outside this file.
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

/**
 * struct xtcp_cc - NewReno congestion control state of one connection
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
 * @in_recovery: in fast recovery, between a fast retransmit and the ACK
 *	that covers @recover (or a timeout)
 * @recover_valid: no ACK has passed @recover yet: duplicate ACKs at or
 *	below it do not start a fast retransmit
 * @timed_out: the retransmission timer expired and no ACK has advanced
 *	SND.UNA since
 */
struct xtcp_cc {
	u32 mss;
	u32 cwnd;
	u32 ssthresh;
	u32 bytes_acked;
	u32 recover;
	u32 dupacks;
	u32 partial_acks;
	bool in_recovery;
	bool recover_valid;
	bool timed_out;
};

u32 xtcp_cc_initial_window(u32 mss);
void xtcp_cc_init(struct xtcp_cc *cc, u32 mss);
void xtcp_cc_set_mss(struct xtcp_cc *cc, u32 mss);
enum xtcp_cc_action xtcp_cc_on_ack(struct xtcp_cc *cc, u32 ack, u32 acked_bytes,
				   u32 flight_bytes);
enum xtcp_cc_action xtcp_cc_on_dupack(struct xtcp_cc *cc, u32 ack, u32 snd_nxt,
				      u32 flight_bytes);
void xtcp_cc_on_timeout(struct xtcp_cc *cc, u32 snd_nxt, u32 flight_bytes);
u32 xtcp_cc_window(const struct xtcp_cc *cc);

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
