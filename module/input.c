// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: the state machine on receive (RFC 9293 section 3.10.7), with
 * cumulative ACKs, RTT estimation (RFC 6298), NewReno congestion control
 * (RFC 5681, RFC 6582) and an out-of-order queue.
 *
 * xtcp_rcv_state_process() runs with the socket locked: from softirq
 * under bh_lock_sock() when the owner does not hold the socket, else from
 * release_sock() through the backlog.  It consumes the skb.
 */
#define pr_fmt(fmt) "xtcp: " fmt

#include <linux/skbuff.h>
#include <net/ip.h>

#include "xtcp.h"
#include "trace.h"

static u32 flight_size(const struct xtcp_sock *xs)
{
	return xs->snd_max - xs->snd_una;
}

/**
 * xtcp_conn_init() - congestion and buffer state of a connection that
 * just opened
 * @sk: the socket, its MSS and windows known
 */
void xtcp_conn_init(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xtcp_cc_init(&xs->cc, xs->cc.algo, xs->mss);
	xtcp_sack_reset(sk);
	xtcp_buf_init(sk);
}

/* A sample of @us microseconds as cc.c takes it: below XTCP_CC_NO_RTT. */
static u32 rtt_us32(u64 us)
{
	return min_t(u64, us, XTCP_CC_NO_RTT - 1);
}

/**
 * xtcp_conn_rtt_sample() - the handshake timed a round trip
 * @sk: the socket, locked
 * @us: the round trip, microseconds
 *
 * Feeds the RTO estimator (RFC 6298 2.2) and congestion control's minimum.
 */
void xtcp_conn_rtt_sample(struct sock *sk, u64 us)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xtcp_rtt_sample(&xs->rtt, rtt_us32(us), false);
	xtcp_cc_on_rtt(&xs->cc, rtt_us32(us));
}

/* The xtcp_cwnd tracepoint, if cwnd or ssthresh moved from these. */
static void cc_trace(struct sock *sk, u32 cwnd, u32 ssthresh)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	const struct inet_sock *inet = inet_sk(sk);
	struct xtcp_cc_info info;

	if (!trace_xtcp_cwnd_enabled() ||
	    (xs->cc.cwnd == cwnd && xs->cc.ssthresh == ssthresh))
		return;
	xtcp_cc_get_info(&xs->cc, &info);
	trace_xtcp_cwnd(sock_net(sk), &sk->sk_v6_rcv_saddr, inet->inet_sport,
			&sk->sk_v6_daddr, inet->inet_dport, &xs->cc, &info);
}

/**
 * xtcp_conn_cc_timeout() - the retransmission timer fired with data out
 * @sk: the socket, locked
 */
void xtcp_conn_cc_timeout(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 cwnd = xs->cc.cwnd, ssthresh = xs->cc.ssthresh;

	xtcp_cc_on_timeout(&xs->cc, xs->snd_max, flight_size(xs));
	cc_trace(sk, cwnd, ssthresh);
}

/* One ACK in answer to an unusable segment per half second, at most. */
#define XTCP_OOW_ACK_INTERVAL	(HZ / 2)

/**
 * xtcp_oow_rate_limited() - is an answer to an unusable segment due
 * @net: the namespace, for the counter
 * @stamp: jiffies of the last such answer of this connection (0: none
 *	yet); moved to now if one may go
 *
 * At most one answer per XTCP_OOW_ACK_INTERVAL, for a socket as for a
 * TIME_WAIT entry (as Linux's tcp_oow_rate_limited()).  Lockless readers
 * (TIME_WAIT's) are fine: a race lets two answers go at worst.
 *
 * Return: true if the answer must not go (counted, OutOfWindowAcksSkipped).
 */
bool xtcp_oow_rate_limited(struct net *net, unsigned long *stamp)
{
	unsigned long now = jiffies, last = READ_ONCE(*stamp);

	if (last && time_in_range(now, last, last + XTCP_OOW_ACK_INTERVAL - 1)) {
		XTCP_INC_STATS(net, XTCP_MIB_OOW_ACKS_SKIPPED);
		return true;
	}
	WRITE_ONCE(*stamp, now ?: 1);
	return false;
}

/*
 * Answer a segment we cannot use (outside the window, acking what was
 * never sent, an RFC 5961 challenge) with an ACK, unless one such answer
 * left less than XTCP_OOW_ACK_INTERVAL ago and the segment carries no data
 * (as Linux's tcp_oow_rate_limited()): two ends that each find the other's
 * ACKs unacceptable would otherwise answer each other for ever, an ACK
 * storm.  Data (a zero-window probe, a retransmission) is always answered.
 * Returns whether the ACK was sent.  Called with the socket locked.
 */
static bool xtcp_send_oow_ack(struct sock *sk, const struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);

	if ((cb->seq == cb->end_seq || (cb->flags & XTCP_SYN)) &&
	    xtcp_oow_rate_limited(sock_net(sk), &xtcp_sk(sk)->oow_ack_stamp))
		return false;
	xtcp_send_ack(sk);
	return true;
}

/* RFC 5961: answer a plausible but unexpected RST or SYN with an ACK. */
static void xtcp_send_challenge_ack(struct sock *sk, const struct sk_buff *skb)
{
	if (xtcp_send_oow_ack(sk, skb))
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_CHALLENGE_ACKS);
}

/* Carry out what congestion control asked for. */
static void cc_act(struct sock *sk, enum xtcp_cc_action act)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	switch (act) {
	case XTCP_CC_FAST_RETRANSMIT:
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_FAST_RETRANS);
		xtcp_retransmit_head(sk);
		sk_reset_timer(sk, &xs->rtx_timer, jiffies + xtcp_rto(xs));
		break;
	case XTCP_CC_PARTIAL_RETRANSMIT:
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_PARTIAL_RETRANS);
		xtcp_retransmit_head(sk);
		sk_reset_timer(sk, &xs->rtx_timer, jiffies + xtcp_rto(xs));
		break;
	case XTCP_CC_PARTIAL_RETRANSMIT_KEEP_TIMER:
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_PARTIAL_RETRANS);
		xtcp_retransmit_head(sk);
		break;
	case XTCP_CC_NONE:
		break;
	}
}

/*
 * RFC 7323 4.1: the round trip an ACK's TSecr measures, microseconds
 * (XTCP_CC_NO_RTT: none).  A millisecond clock: 0 counts as one tick, as
 * TCP's does.  The echo is of the segment that last moved TS.Recent, a
 * resend too: what Karn's rule forbids the sequence numbers to time.
 */
static u32 ts_rtt_us(const struct sock *sk, const struct xtcp_skb_cb *cb)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	u32 ticks;

	if (!xs->ts_ok || !cb->has_ts || !cb->tsecr)
		return XTCP_CC_NO_RTT;
	ticks = xtcp_ts_now(xs->ts_off) - cb->tsecr;
	if ((s32)ticks < 0 || ticks > XTCP_RTO_MAX_US / USEC_PER_MSEC)
		return XTCP_CC_NO_RTT;	/* not an echo of ours */
	return max(ticks, 1U) * USEC_PER_MSEC;
}

/*
 * Free what @ack, arriving at @now_us (xtcp_clock_us()), acknowledges;
 * returns bytes newly acknowledged, and in *@rtt_us the round trip it
 * timed (XTCP_CC_NO_RTT: none, or Karn's rule dropped it).  Resent data
 * is timed by the TSecr of @cb (the ACK's), if it has one.
 */
static u32 clean_rtx_queue(struct sock *sk, u32 ack, u64 now_us,
			   const struct xtcp_skb_cb *ack_cb, u32 *rtt_us)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;
	u32 acked = ack - xs->snd_una, rtt;
	u64 sent = 0;
	bool timed = false, retransmitted = false;

	while ((skb = skb_peek(&sk->sk_write_queue))) {
		struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);

		if (xtcp_seq_after(cb->end_seq, ack))
			break;
		if (skb == xs->send_head) {
			/* acked before its go-back-N resend: skip it */
			xs->send_head = xtcp_wq_next(sk, skb);
		}
		/* the newest segment acked times the round trip (Karn in cc.c) */
		sent = cb->sent_us;
		timed = true;
		/* Karn: no sample from an ACK that covers any resent data */
		retransmitted |= cb->retransmitted;
		xtcp_sack_delivered(sk, skb, now_us);
		xtcp_sack_unlink(sk, skb, cb->end_seq - cb->seq);
		__skb_unlink(skb, &sk->sk_write_queue);
		xtcp_wmem_free_skb(sk, skb);
	}
	/* a run acknowledged in part: its front goes, and it times too */
	if (skb && xtcp_seq_after(ack, XTCP_SKB_CB(skb)->seq) &&
	    xtcp_seq_before(XTCP_SKB_CB(skb)->seq, xs->snd_max) && skb->len &&
	    !(XTCP_SKB_CB(skb)->flags & XTCP_SYN)) {
		u32 len = ack - XTCP_SKB_CB(skb)->seq;

		sent = XTCP_SKB_CB(skb)->sent_us;
		timed = true;
		retransmitted |= XTCP_SKB_CB(skb)->retransmitted;
		xtcp_sack_delivered(sk, skb, now_us);
		if (!xtcp_trim_head(sk, skb, len))
			xtcp_sack_unlink(sk, skb, len);
	}
	xs->snd_una = ack;
	if (xtcp_seq_before(xs->snd_nxt, ack))
		xs->snd_nxt = ack;
	*rtt_us = XTCP_CC_NO_RTT;
	rtt = rtt_us32(now_us - sent);
	if (timed && xtcp_rtt_sample(&xs->rtt, rtt, retransmitted)) {
		*rtt_us = rtt;
	} else if (timed && retransmitted) {
		/* resent data: the timestamp's sample, if there is one */
		rtt = ts_rtt_us(sk, ack_cb);
		if (rtt != XTCP_CC_NO_RTT &&
		    xtcp_rtt_sample(&xs->rtt, rtt, false))
			*rtt_us = rtt;
	}
	return acked;
}

/*
 * A fast recovery found spurious once it ended (RFC 2883 4.2's D-SACKs
 * of every resend, or RFC 3522's echo of an original) gives back the
 * window it took: the originals were late, not lost.  Counted once, as
 * DsackUndo if D-SACKs showed it, else EifelUndo.
 */
static void undo_spurious(struct sock *sk)
{
	unsigned int why = xtcp_cc_undo(&xtcp_sk(sk)->cc);

	if (why & XTCP_CC_UNDO_DSACK)
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_DSACK_UNDO);
	else if (why)
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_EIFEL_UNDO);
}

/* RFC 9293 3.10.7.4: process the ACK field.  False: drop the segment. */
static bool xtcp_ack(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	u32 wnd = (u32)cb->window << xs->snd_wscale;
	u32 cwnd = xs->cc.cwnd, ssthresh = xs->cc.ssthresh;
	bool sack = xtcp_sack_sender(sk), episode, advanced;
	u64 now_us = xtcp_clock_us();
	bool dup = false;

	if (xtcp_seq_after(cb->ack, xs->snd_max)) {
		xtcp_send_oow_ack(sk, skb);	/* acks what we never sent */
		return false;
	}
	episode = xs->cc.in_recovery || xs->cc.timed_out;
	advanced = xtcp_seq_after(cb->ack, xs->snd_una);
	if (advanced) {
		struct xtcp_cc_ack a = {
			.now_us = now_us,
			.ack = cb->ack,
			.snd_nxt = xs->snd_max,
			.sack = sack,
		};
		enum xtcp_cc_action act;

		a.acked = clean_rtx_queue(sk, cb->ack, a.now_us, cb,
					  &a.rtt_us);
		a.flight = flight_size(xs);
		xs->retransmits = 0;
		xtcp_timer_stop(sk, XTCP_TIMER_RTX);
		if (sack) {
			/* a loss this ACK reveals starts recovery before cwnd grows */
			xtcp_sack_ack(sk, skb, now_us);
			xtcp_sack_recovery(sk);
		}
		act = xtcp_cc_on_ack(&xs->cc, &a);
		if (episode && !xs->cc.in_recovery && xs->ts_ok &&
		    cb->has_ts && cb->tsecr)
			xtcp_cc_undo_echo(&xs->cc, cb->tsecr);	/* it ended */
		xtcp_sndbuf_expand(sk);
		if (xs->snd_una != xs->snd_max)
			xtcp_arm_rtx(sk);
		if (sack)
			xtcp_tlp_arm(sk, true);	/* after the RTO: it caps the PTO */
		cc_act(sk, act);
		sk->sk_write_space(sk);
	} else if (cb->ack == xs->snd_una && skb->len == 0 &&
		   !(cb->flags & (XTCP_SYN | XTCP_FIN)) &&
		   xs->snd_una != xs->snd_max && wnd == xs->snd_wnd && wnd) {
		/*
		 * A duplicate ACK (RFC 5681 2).  Not with a closed window:
		 * those are answers to zero-window probes, flow control, not
		 * a sign of loss; a fast retransmit would send data into it.
		 */
		dup = true;
	}
	/* window update: RFC 9293 3.10.7.4 (SND.WL1/WL2 rule) */
	if (xtcp_seq_before(xs->snd_wl1, cb->seq) ||
	    (xs->snd_wl1 == cb->seq && !xtcp_seq_before(cb->ack, xs->snd_wl2))) {
		xs->snd_wnd = wnd;
		xs->snd_wl1 = cb->seq;
		xs->snd_wl2 = cb->ack;
	}
	if (sack) {
		/* SACK blocks and RACK say what is lost, not duplicate ACKs */
		if (!advanced)
			xtcp_sack_ack(sk, skb, now_us);
		/* again: this ACK may have ended the episode a loss waited on */
		xtcp_sack_recovery(sk);
		if (episode && !xs->cc.in_recovery && !xs->cc.timed_out)
			xtcp_rack_recovery_end(&xs->rack);
	} else if (dup) {
		cc_act(sk, xtcp_cc_on_dupack(&xs->cc, cb->ack, xs->snd_max,
					     flight_size(xs)));
	}
	undo_spurious(sk);
	cc_trace(sk, cwnd, ssthresh);
	return true;
}

/*
 * A duplicate ACK overtaken by a later one: a pure ACK at RCV.NXT that
 * acknowledges SND.UNA and changes no window, whose TSval is older than
 * TS.Recent by less than an RTO.  The network reordered two ACKs; the
 * older one is no old duplicate and still counts (its SACK blocks, a
 * duplicate ACK for NewReno), as TCP's tcp_disordered_ack() lets it.
 */
static bool disordered_ack(const struct sock *sk, const struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	const struct xtcp_sock *xs = xtcp_sk(sk);

	return (cb->flags & XTCP_ACK) && !skb->len && cb->seq == cb->end_seq &&
	       cb->seq == xs->rcv_nxt && cb->ack == xs->snd_una &&
	       ((u32)cb->window << xs->snd_wscale) == xs->snd_wnd &&
	       xs->ts_recent - cb->tsval <= jiffies_to_msecs(xtcp_rto(xs));
}

/*
 * RFC 7323 5.3: a segment whose TSval is older than TS.Recent is an old
 * duplicate (its sequence numbers may have wrapped into the window).
 */
static bool paws_reject(const struct sock *sk, const struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	const struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_seg seg = {
		.flags = cb->flags,
		.has_ts = cb->has_ts,
		.tsval = cb->tsval,
	};

	return xtcp_paws_reject(&seg, xs->ts_ok, xs->ts_recent,
				(u32)ktime_get_seconds() - xs->ts_recent_stamp) &&
	       !disordered_ack(sk, skb);
}

/*
 * RFC 7323 4.3: an acceptable segment that starts at or below the last
 * ACK we sent (Last.ACK.sent, the window's left edge when we last
 * offered it) and has a TSval at least TS.Recent sets TS.Recent: our
 * echoes then time the segment that filled a hole, not a later one.
 */
static void ts_store(struct sock *sk, const struct xtcp_skb_cb *cb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (!xs->ts_ok || !cb->has_ts || xtcp_seq_after(cb->seq, xs->rcv_wup) ||
	    xtcp_seq_before(cb->tsval, xs->ts_recent))
		return;
	xs->ts_recent = cb->tsval;
	xs->ts_recent_stamp = (u32)ktime_get_seconds();
}

/*
 * Move segments that became in-order from the out-of-order queue.  A FIN
 * held there (it overtook the last data) ends the drain.  Each skb's
 * numbers are read before it may be freed.
 */
static void ofo_drain(struct sock *sk, bool *fin)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;

	while ((skb = skb_peek(&xs->ooo_queue))) {
		const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
		bool has_fin = cb->flags & XTCP_FIN;
		u32 end_seq = cb->end_seq;

		if (xtcp_seq_after(cb->seq, xs->rcv_nxt))
			break;
		__skb_unlink(skb, &xs->ooo_queue);
		if (!xtcp_seq_after(end_seq, xs->rcv_nxt)) {
			kfree_skb(skb);	/* wholly duplicate, its FIN too */
			continue;
		}
		/* text beyond RCV.NXT is read from its offset by recvmsg */
		if (skb->len && xtcp_seq_after(end_seq - has_fin, xs->rcv_nxt))
			__skb_queue_tail(&sk->sk_receive_queue, skb);
		else
			kfree_skb(skb);
		xs->rcv_nxt = end_seq;
		if (has_fin) {
			*fin = true;
			break;
		}
	}
}

/*
 * Queue @skb, beyond RCV.NXT, in sequence order; its range joins the SACK
 * blocks our ACKs report.  A duplicate of a segment held is freed and
 * reported as a D-SACK instead.
 */
static void ofo_insert(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct sk_buff *pos;

	skb_queue_walk(&xs->ooo_queue, pos) {
		struct xtcp_skb_cb *pcb = XTCP_SKB_CB(pos);

		if (pcb->seq == cb->seq && !xtcp_seq_before(pcb->end_seq, cb->end_seq)) {
			xtcp_sack_rcv_dup(&xs->sack_rcv, cb->seq, cb->end_seq);
			kfree_skb(skb);	/* duplicate of a held segment */
			return;
		}
		if (xtcp_seq_after(pcb->seq, cb->seq)) {
			xtcp_sack_rcv_ooo(&xs->sack_rcv, cb->seq, cb->end_seq);
			__skb_queue_before(&xs->ooo_queue, pos, skb);
			return;
		}
	}
	xtcp_sack_rcv_ooo(&xs->sack_rcv, cb->seq, cb->end_seq);
	__skb_queue_tail(&xs->ooo_queue, skb);
}

/* Everything we queued, our FIN included, is acknowledged. */
static bool our_fin_acked(const struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);

	return xs->snd_una == xs->write_seq &&
	       skb_queue_empty(&sk->sk_write_queue);
}

/*
 * The peer's FIN, in order.  ESTABLISHED -> CLOSE_WAIT; FIN_WAIT_1 ->
 * CLOSING when the FINs crossed.  Returns true instead of moving when
 * the connection enters TIME_WAIT (FIN_WAIT_2, or FIN_WAIT_1 with our FIN
 * acked by this segment): the socket never holds that state, a TIME_WAIT
 * entry does, and the caller has xtcp_time_wait() send the ACK and hand
 * the connection over.  Other ACKs go out (or are held, fin_ack_merge)
 * in xtcp_rcv_state_process().
 */
static bool xtcp_fin(struct sock *sk)
{
	int next = xtcp_state_on_fin(sk->sk_state, our_fin_acked(sk));

	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
	sock_set_flag(sk, SOCK_DONE);
	if (next != XTCP_TIME_WAIT)
		xtcp_set_state(sk, next);
	sk->sk_state_change(sk);
	sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_HUP);
	return next == XTCP_TIME_WAIT;
}

/*
 * May @skb's payload be queued?  The window we offer is scaled to the
 * buffer, so this refuses only a peer that overruns it, one that sends
 * tiny segments in costly skbs, or a burst that arrives before the
 * payload-per-truesize average has learned what skbs really cost; the
 * ACK of a refusal then offers what is really left (@rcv_shrink).  As
 * Linux's TCP, a buffer not yet over its limit takes one more skb, so a
 * segment larger than the whole buffer (loopback's 64 KiB against
 * SO_RCVBUF 16 KiB) still gets in when it is empty; memory stays bounded
 * by sk_rcvbuf plus one segment.  Also keeps the moving average of
 * payload per truesize.
 */
static bool rcv_mem_ok(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 sample = min_t(u32, ((u64)skb->len << 8) / skb->truesize, 256);

	sample = max_t(u32, sample, XTCP_RCV_RATIO_MIN);
	WRITE_ONCE(xs->rcv_ratio, (xs->rcv_ratio * 7 + sample) / 8);
	if (atomic_read(&sk->sk_rmem_alloc) > READ_ONCE(sk->sk_rcvbuf)) {
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_RCVBUF_DROPS);
		xs->rcv_shrink = true;	/* the ACK tells the truth */
		return false;
	}
	/* the machine-wide budget (mem.c) must have room for it too */
	if (sk_rmem_schedule(sk, skb, skb->truesize))
		return true;
	/*
	 * It has not: give back what the out-of-order queue holds (none of
	 * it was acknowledged, the peer sends it again) and try once more.
	 */
	if (!skb_queue_empty(&xs->ooo_queue)) {
		__skb_queue_purge(&xs->ooo_queue);
		xtcp_sack_rcv_init(&xs->sack_rcv);	/* reneged (RFC 2018 8) */
		sk_mem_reclaim(sk);
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_OFO_PRUNED);
		if (sk_rmem_schedule(sk, skb, skb->truesize))
			return true;
	}
	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_RCV_MEM_DROPS);
	xs->rcv_shrink = true;
	return false;
}

/* What the text of a segment calls for (xtcp_data()). */
enum xtcp_ack_due {
	XTCP_ACK_NONE,		/* no text, no FIN: the segment was an ACK */
	XTCP_ACK_NOW,		/* out of order, a hole filled, a FIN, refused */
	XTCP_ACK_DATA,		/* in-order text: the delayed-ACK rules */
	XTCP_ACK_TIME_WAIT,	/* its FIN: ACK it, then TIME_WAIT */
};

/*
 * Delayed ACKs (RFC 9293 3.8.6.3, RFC 1122 4.2.3.2) of the in-order
 * text just queued: ACKed at once in quick-ACK mode (the first
 * XTCP_QUICKACKS data segments, again after an RTO without data; not
 * while TCP_QUICKACK is cleared) and when more than a full-sized segment
 * is unacknowledged (so at least every second one); otherwise within
 * XTCP_DELACK, unless a segment we send carries the ACK first (a reply,
 * our window update).
 */
static void xtcp_ack_data(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	unsigned long now = jiffies;

	if (!xs->ack_lrcv || time_after(now, xs->ack_lrcv + xtcp_rto(xs)))
		xs->ack_quick = XTCP_QUICKACKS;
	xs->ack_lrcv = now;
	if (xs->ack_quick && !xs->ack_pingpong) {
		xs->ack_quick--;
		xtcp_inc_stat(sock_net(sk), XTCP_MIB_QUICK_ACKS);
		xtcp_send_ack(sk);
	} else if (xs->rcv_nxt - xs->rcv_wup > xs->mss) {
		xtcp_send_ack(sk);
	} else {
		xtcp_delay_ack(sk, XTCP_DELACK);
	}
}

/*
 * Segment text and FIN (RFC 9293 3.10.7.4 seventh and eighth); *@due
 * says what ACK it calls for.  Returns true if the skb was queued (the
 * caller must not free it).
 */
static bool xtcp_data(struct sock *sk, struct sk_buff *skb, enum xtcp_ack_due *due)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	bool fin = false, queued = false;

	if (!skb->len && !(cb->flags & XTCP_FIN))
		return false;
	if (!(XTCPF(sk->sk_state) & (XTCPF(XTCP_ESTABLISHED) |
				     XTCPF(XTCP_FIN_WAIT1) |
				     XTCPF(XTCP_FIN_WAIT2)))) {
		/*
		 * The peer sent its FIN already: text after it is ignored.
		 * But its FIN again (or anything it sent before) means our
		 * ACK was lost: answer at once, as TCP does.
		 */
		if (!xtcp_seq_after(cb->end_seq, xs->rcv_nxt))
			*due = XTCP_ACK_NOW;
		return false;
	}
	*due = XTCP_ACK_NOW;
	if (skb->len && !xtcp_seq_before(cb->seq, xs->rcv_nxt +
			xtcp_rcv_window(xs->rcv_wup, xs->rcv_nxt, xs->rcv_wnd)))
		return false;	/* beyond the window (a probe): ACK only */
	if (skb->len && !rcv_mem_ok(sk, skb))
		return false;	/* no room: the peer will send it again */
	if (xtcp_seq_after(cb->seq, xs->rcv_nxt)) {
		/* charged to the receive buffer like in-order data */
		skb_set_owner_r(skb, sk);
		ofo_insert(sk, skb);	/* hole before it: dup ACK now */
		return true;
	}
	if (!xtcp_seq_after(cb->end_seq, xs->rcv_nxt)) {
		xtcp_sack_rcv_dup(&xs->sack_rcv, cb->seq, cb->end_seq);
		return false;	/* duplicate */
	}
	if (xtcp_seq_before(cb->seq, xs->rcv_nxt)) {
		/* overlaps what we have: keep the new tail only */
		u32 skip = xs->rcv_nxt - cb->seq;

		xtcp_sack_rcv_dup(&xs->sack_rcv, cb->seq, xs->rcv_nxt);
		if (skip > skb->len || !pskb_pull(skb, min(skip, skb->len)))
			return false;
		cb->seq = xs->rcv_nxt;
	}
	if (cb->flags & XTCP_FIN)
		fin = true;
	xs->rcv_nxt = cb->end_seq;
	if (skb->len) {
		skb_set_owner_r(skb, sk);
		__skb_queue_tail(&sk->sk_receive_queue, skb);
		queued = true;
	}
	if (!fin && !skb_queue_empty(&xs->ooo_queue))
		ofo_drain(sk, &fin);	/* a hole filled: ACK now */
	else if (!fin)
		*due = XTCP_ACK_DATA;
	if (xs->sack_rcv.nr)
		xtcp_sack_rcv_nxt(&xs->sack_rcv, xs->rcv_nxt);
	if (fin && xtcp_fin(sk))
		*due = XTCP_ACK_TIME_WAIT;
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_data_ready(sk);
	return queued;
}

/* An acceptable reset: counted and traced before it ends the connection. */
static void xtcp_rst_accepted(struct sock *sk, const struct sk_buff *skb)
{
	const struct inet_sock *inet = inet_sk(sk);

	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_IN_RSTS);
	trace_xtcp_reset_rx(sock_net(sk), &sk->sk_v6_rcv_saddr,
			    inet->inet_sport, &sk->sk_v6_daddr,
			    inet->inet_dport, sk->sk_state,
			    XTCP_SKB_CB(skb)->seq);
}

static int xtcp_rcv_synsent(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);

	if (cb->flags & XTCP_ACK) {
		if (cb->ack != xs->iss + 1) {
			if (!(cb->flags & XTCP_RST))
				xtcp_send_rst_reply(sock_net(sk), skb);
			return 0;
		}
		if (cb->flags & XTCP_RST) {
			xtcp_rst_accepted(sk, skb);
			xtcp_done(sk, ECONNREFUSED);
			return 0;
		}
	}
	if (cb->flags & XTCP_RST)
		return 0;
	if (!(cb->flags & XTCP_SYN))
		return 0;

	xs->rcv_nxt = cb->seq + 1;
	xs->copied_seq = xs->rcv_nxt;
	xs->rcv_wup = xs->rcv_nxt;
	xs->snd_wl1 = cb->seq;
	xs->snd_wnd = cb->window;	/* SYN windows are not scaled */
	if (cb->has_wscale) {
		xs->snd_wscale = cb->wscale;
	} else {
		xs->snd_wscale = 0;
		xs->rcv_wscale = 0;
	}
	if (cb->mss)
		xs->mss = min_t(u16, xs->mss, cb->mss);
	else
		xs->mss = min_t(u16, xs->mss, XTCP_DEFAULT_MSS);
	xs->sack_ok = xs->sack_ok && cb->sack_perm;	/* both SYNs offer it */
	xs->ts_ok = xs->ts_ok && cb->has_ts;		/* likewise */
	if (xs->ts_ok) {
		xs->ts_recent = cb->tsval;
		xs->ts_recent_stamp = (u32)ktime_get_seconds();
		xs->mss = xtcp_ts_mss(xs->mss);
	}

	if (cb->flags & XTCP_ACK) {
		u32 rtt_us;

		/* the SYN's RTT */
		clean_rtx_queue(sk, cb->ack, xtcp_clock_us(), cb, &rtt_us);
		xs->snd_wl2 = cb->ack;
		xs->retransmits = 0;
		/* an ICMP error about an earlier SYN explains nothing now */
		WRITE_ONCE(sk->sk_err_soft, 0);
		xtcp_timer_stop(sk, XTCP_TIMER_RTX);
		xtcp_conn_init(sk);
		xtcp_cc_on_rtt(&xs->cc, rtt_us);
		xtcp_set_state(sk, XTCP_ESTABLISHED);
		xtcp_send_ack(sk);
		sk->sk_state_change(sk);
		sk_wake_async(sk, SOCK_WAKE_IO, POLL_OUT);
		xtcp_push(sk);
		return 0;
	}
	/* Simultaneous open: our SYN crossed theirs.  Answer SYN+ACK. */
	xtcp_set_state(sk, XTCP_SYN_RECV);
	{
		struct sk_buff *syn = skb_peek(&sk->sk_write_queue);

		if (syn) {
			XTCP_SKB_CB(syn)->flags = XTCP_SYN | XTCP_ACK;
			xtcp_retransmit_head(sk);
		}
	}
	return 0;
}

/* An established-side RST: RFC 5961 3.2 blind-reset protection. */
static void xtcp_rcv_rst(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (XTCP_SKB_CB(skb)->seq != xs->rcv_nxt) {
		xtcp_send_challenge_ack(sk, skb);
		return;
	}
	xtcp_rst_accepted(sk, skb);
	xtcp_done(sk, sk->sk_state == XTCP_CLOSE_WAIT ? EPIPE : ECONNRESET);
}

/**
 * xtcp_deliver() - process a segment now, or after the socket's owner
 * @sk: the socket, its spinlock held (bh_lock_sock()) with softirqs off
 * @skb: the segment, whose header xtcp_v4_rcv() checked
 *
 * If no process holds the socket the segment is processed at once;
 * otherwise it waits on the backlog, which release_sock() runs, within
 * the receive and send buffers' worth of memory (beyond: dropped and
 * counted, BacklogDrops).
 */
void xtcp_deliver(struct sock *sk, struct sk_buff *skb)
{
	if (!sock_owned_by_user(sk)) {
		xtcp_rcv_state_process(sk, skb);
	} else if (sk_add_backlog(sk, skb, READ_ONCE(sk->sk_rcvbuf) +
				  READ_ONCE(sk->sk_sndbuf))) {
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_BACKLOG_DROPS);
		kfree_skb(skb);
	}
}

/*
 * Hand @skb to @child from inside its listener.  The listener runs either
 * in softirq (xtcp_rcv() or xtcp_req_rcv() holds its spinlock, subclass
 * 1; the child's is taken at subclass 0, as TCP's tcp_child_process()) or
 * from its backlog in process context (release_sock()) with softirqs on:
 * the child's spinlock, which the receive path and the timers take in
 * softirq, is taken with them off, or a softirq on this CPU could spin on
 * it for ever.
 */
static void child_rcv(struct sock *child, struct sk_buff *skb)
{
	local_bh_disable();
	bh_lock_sock(child);
	xtcp_deliver(child, skb);
	bh_unlock_sock(child);
	local_bh_enable();
}

/*
 * A segment reached the listener but no request matches: normally an RST
 * is owed.  But two segments of one handshake (the final ACK and the first
 * data, sent from two CPUs and reordered on the way, as veth does) may
 * both have been meant for the request: one waited on the listener's
 * backlog while the other made the child, or missed both the child and
 * the request in the lookup tables as one replaced the other (hash.c).
 * Then the segment goes to the connection that exists now (dropped if it
 * is already in TIME_WAIT), not answered with an RST that would kill it.
 * Returns true if @skb was consumed.
 */
static bool to_new_child(struct sock *sk, struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct in6_addr saddr, daddr;
	struct xtcp_tw *tw;
	struct sock *child;

	xtcp_skb_addrs(skb, &saddr, &daddr);
	child = xtcp_lookup_conn(sock_net(sk), &saddr, htons(cb->sport),
				 &daddr, htons(cb->dport), &tw);
	if (tw) {
		xtcp_tw_put(tw);
		kfree_skb(skb);
		return true;
	}
	if (!child)
		return false;
	child_rcv(child, skb);
	sock_put(child);
	return true;
}

/* @req: the request the lookup found for @skb, or NULL (find it here) */
static void listen_rcv(struct sock *sk, struct sk_buff *skb,
		       struct xtcp_request *req)
{
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct sock *child;

	if (cb->flags & XTCP_SYN) {
		if (!(cb->flags & XTCP_ACK))
			xtcp_conn_request(sk, skb);
		else
			xtcp_send_rst_reply(sock_net(sk), skb);
		kfree_skb(skb);
		return;
	}
	child = xtcp_check_req(sk, req, skb);
	if (IS_ERR(child)) {
		bool no_req = PTR_ERR(child) == -ENOENT;

		if (to_new_child(sk, skb))
			return;
		/* no request, no connection: it may return a SYN cookie */
		child = no_req ? xtcp_cookie_check(sk, skb) : ERR_PTR(-EINVAL);
	}
	if (IS_ERR(child)) {
		if (!(cb->flags & XTCP_RST))
			xtcp_send_rst_reply(sock_net(sk), skb);
		kfree_skb(skb);
		return;
	}
	if (!child || (!skb->len && !(cb->flags & XTCP_FIN))) {
		kfree_skb(skb);
		return;
	}
	/* The final ACK carried data: hand it to the child. */
	child_rcv(child, skb);
}

/**
 * xtcp_req_rcv() - a segment whose four-tuple is a request's
 * @req: the request the lookup found, a reference held by the caller
 * @skb: the segment, whose header xtcp_rcv() checked
 *
 * Under its listener's spinlock, a request still on the SYN queue takes
 * the segment at once (its handshake's ACK, a SYN again, an RST), with no
 * second lookup; while the owner holds the listener the segment waits on
 * the listener's backlog, and finds its request (or the connection made
 * of it meanwhile) when the owner lets go.
 *
 * Context: softirq.
 * Return: true if @skb was consumed; false if the request has left its
 * SYN queue (its connection was made, or it was dropped): the caller
 * looks the segment up again.
 */
bool xtcp_req_rcv(struct xtcp_request *req, struct sk_buff *skb)
{
	struct sock *sk = req->listener;
	bool live;

	bh_lock_sock_nested(sk);
	live = !req->dead;
	if (live) {
		if (sock_owned_by_user(sk))
			xtcp_deliver(sk, skb);	/* to the backlog */
		else
			listen_rcv(sk, skb, req);
	}
	bh_unlock_sock(sk);
	return live;
}

/**
 * xtcp_rcv_state_process() - a segment for a socket
 * @sk: the socket, locked (bh_lock_sock by softirq, or owned)
 * @skb: the segment with its header pulled; xtcp_skb_cb filled in
 *
 * Return: 0; the skb is consumed.
 */
int xtcp_rcv_state_process(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	enum xtcp_ack_due due = XTCP_ACK_NONE;
	int state;

	if (sk->sk_state != XTCP_LISTEN && sk->sk_state != XTCP_CLOSE) {
		/* TCP_INFO's counts; a run that arrived whole, its segments */
		u16 segs = skb_shinfo(skb)->gso_segs ? : 1;

		xs->segs_in += segs;
		if (skb->len)
			xs->data_segs_in += segs;
	}
	switch (sk->sk_state) {
	case XTCP_CLOSE:
		/*
		 * Only a segment that waited on the backlog while the socket
		 * closed gets here (a closed socket is in no lookup table):
		 * the connection lives on in a TIME_WAIT entry, or is over.
		 * Drop it, as TCP does; an RST would hit a peer still in
		 * LAST_ACK whose reordered ACK came in behind its FIN.
		 */
		goto discard;
	case XTCP_LISTEN:
		listen_rcv(sk, skb, NULL);
		return 0;
	case XTCP_SYN_SENT:
		xtcp_rcv_synsent(sk, skb);
		goto discard;
	}

	/* Synchronized states: first, PAWS (RFC 7323 5.3 R1) */
	if (paws_reject(sk, skb)) {
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_PAWS_DROP);
		xtcp_send_oow_ack(sk, skb);	/* not an RST: those pass */
		goto discard;
	}
	/* then, is the sequence number acceptable? */
	if (!xtcp_seq_acceptable(cb->seq, cb->end_seq, xs->rcv_wup, xs->rcv_nxt,
				 xs->rcv_wnd)) {
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_OUT_OF_WINDOW);
		/* data received before: a resend the peer need not have sent */
		if (xs->sack_ok && skb->len &&
		    !xtcp_seq_after(cb->end_seq, xs->rcv_nxt) &&
		    xtcp_seq_after(cb->end_seq, xs->rcv_nxt - XTCP_CC_MAX_WINDOW))
			xtcp_sack_rcv_dup(&xs->sack_rcv, cb->seq, cb->end_seq);
		if (!(cb->flags & XTCP_RST))
			xtcp_send_oow_ack(sk, skb);
		goto discard;
	}
	/*
	 * The peer is alive: keepalive counts idle time from here, the
	 * zero-window probes sent so far were answered (only unanswered
	 * ones count against retries2, RFC 1122 4.2.2.17), and an ICMP error
	 * kept as the soft error (xtcp_icmp_err()) explains nothing now.
	 */
	xs->rcv_tstamp = jiffies;
	xs->probes_out = 0;
	if (unlikely(READ_ONCE(sk->sk_err_soft)))
		WRITE_ONCE(sk->sk_err_soft, 0);
	xtcp_persist_heard(&xs->persist);
	if (cb->flags & XTCP_RST) {
		xtcp_rcv_rst(sk, skb);
		goto discard;
	}
	if (cb->flags & XTCP_SYN) {
		xtcp_send_challenge_ack(sk, skb);	/* RFC 5961 4.2 */
		goto discard;
	}
	if (!(cb->flags & XTCP_ACK))
		goto discard;

	if (sk->sk_state == XTCP_SYN_RECV) {
		if (cb->ack != xs->iss + 1) {
			xtcp_send_rst_reply(sock_net(sk), skb);
			goto discard;
		}
		xs->snd_wl1 = cb->seq;
		xs->snd_wl2 = cb->ack;
		xtcp_conn_init(sk);
		xtcp_set_state(sk, XTCP_ESTABLISHED);
		sk->sk_state_change(sk);
	}
	if (!xtcp_ack(sk, skb))
		goto discard;
	ts_store(sk, cb);	/* an acceptable segment: RFC 7323 4.3 */

	/*
	 * Our FIN acknowledged?  CLOSING -> TIME_WAIT, LAST_ACK -> CLOSED.
	 * FIN_WAIT_1 -> FIN_WAIT_2 waits until the segment's own FIN, if
	 * any, is seen: with it, FIN_WAIT_1 -> TIME_WAIT directly.
	 */
	if (our_fin_acked(sk) && sk->sk_state != XTCP_FIN_WAIT1) {
		switch (xtcp_state_on_fin_acked(sk->sk_state)) {
		case XTCP_TIME_WAIT:
			xtcp_time_wait(sk, false);
			goto discard;
		case XTCP_CLOSE:
			xtcp_done(sk, 0);
			goto discard;
		}
	}

	/*
	 * New data for a socket its owner closed can never be read: reset,
	 * as TCP does (RFC 9293 3.10.7.4 on FIN-WAIT states after close).
	 */
	if (sock_flag(sk, SOCK_DEAD) && (sk->sk_shutdown & RCV_SHUTDOWN) &&
	    skb->len && xtcp_seq_after(cb->end_seq, xs->rcv_nxt) &&
	    (XTCPF(sk->sk_state) & (XTCPF(XTCP_FIN_WAIT1) | XTCPF(XTCP_FIN_WAIT2)))) {
		xtcp_send_reset(sk);
		xtcp_done(sk, ECONNRESET);
		goto discard;
	}
	state = sk->sk_state;
	if (xtcp_data(sk, skb, &due))
		skb = NULL;	/* queued: the receive queue owns it now */
	if (due == XTCP_ACK_TIME_WAIT) {
		xtcp_time_wait(sk, true);
		goto discard;
	}
	if (due == XTCP_ACK_DATA) {
		xtcp_ack_data(sk);
	} else if (due == XTCP_ACK_NOW) {
		if (state != XTCP_CLOSE_WAIT && sk->sk_state == XTCP_CLOSE_WAIT &&
		    READ_ONCE(xtcp_sysctl(sock_net(sk))->fin_ack_merge))
			xtcp_delay_ack(sk, XTCP_FIN_ACK_DELAY);	/* our FIN may carry it */
		else
			xtcp_send_ack(sk);
	}
	if (sk->sk_state == XTCP_FIN_WAIT1 && our_fin_acked(sk)) {
		xtcp_set_state(sk, xtcp_state_on_fin_acked(XTCP_FIN_WAIT1));
		sk->sk_state_change(sk);
		if (sock_flag(sk, SOCK_DEAD)) {
			xtcp_orphan_fin_wait2(sk);
			if (sk->sk_state == XTCP_CLOSE)
				goto discard;
		}
	}
	xtcp_push(sk);
discard:
	kfree_skb(skb);
	return 0;
}
