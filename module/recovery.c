// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: the SACK sender.  What the peer's SACK blocks (RFC 2018) say it
 * holds, which segments RACK (RFC 8985, sack.c) finds lost, and the
 * resending of exactly those, paced by RFC 6675's pipe.
 *
 * The scoreboard is the write queue itself.  Each sent skb (from SND.UNA
 * to SND.MAX) carries three marks in its control block:
 *
 *   sacked   a SACK block covered all of it; never resent while the mark
 *            stands (a timeout that finds the oldest segment SACKed takes
 *            it for reneging and drops every mark, RFC 2018 section 8)
 *   lost     RACK, or a timeout, judged it lost: it is to be resent
 *   rexmit   lost and resent since: in flight again, until RACK finds
 *            the resend lost too (then it is resent again) or an ACK
 *            covers it
 *
 * sacked and lost exclude each other; rexmit implies lost.  struct
 * xtcp_sock keeps the sequence space of each (sacked_bytes, lost_bytes,
 * retrans_bytes), so the pipe (xtcp_in_flight()) costs nothing to read.
 * A skb partly covered by a block is cut at the block's edge first
 * (xtcp_fragment()); blocks fall on the segment boundaries the sender cut.
 *
 * Everything here runs with the socket locked (an ACK's processing, the
 * retransmission timer, the reorder timer, a push from process context).
 */
#define pr_fmt(fmt) "xtcp: " fmt

#include "xtcp.h"

static u32 seq_len(const struct sk_buff *skb)
{
	return XTCP_SKB_CB(skb)->end_seq - XTCP_SKB_CB(skb)->seq;
}

static void sub_bytes(u32 *count, u32 len)
{
	*count -= min(*count, len);
}

/* Sent at least once: before SND.MAX (a SACK sender never rewinds). */
static bool was_sent(const struct xtcp_sock *xs, const struct sk_buff *skb)
{
	return xtcp_seq_before(XTCP_SKB_CB(skb)->seq, xs->snd_max);
}

static u32 min_rtt(const struct xtcp_sock *xs)
{
	return xs->cc.min_rtt_us == XTCP_CC_NO_RTT ? 0 : xs->cc.min_rtt_us;
}

/**
 * xtcp_sack_reset() - an empty scoreboard, nothing to report
 * @sk: the socket, locked (or not yet visible)
 */
void xtcp_sack_reset(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->sacked_bytes = 0;
	xs->lost_bytes = 0;
	xs->retrans_bytes = 0;
	xs->tlp_out = false;
	xtcp_sack_rcv_init(&xs->sack_rcv);
	xtcp_rack_init(&xs->rack);
}

/**
 * xtcp_sack_unlink() - part of a skb leaves the scoreboard
 * @sk: the socket, locked
 * @skb: a write-queue skb an ACK covers, in whole or in part
 * @len: the sequence space acknowledged
 */
void xtcp_sack_unlink(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (cb->sacked)
		sub_bytes(&xs->sacked_bytes, len);
	if (cb->lost)
		sub_bytes(&xs->lost_bytes, len);
	if (cb->rexmit)
		sub_bytes(&xs->retrans_bytes, len);
}

/**
 * xtcp_sack_delivered() - an ACK covered @skb: RACK learns of it
 * @sk: the socket, locked
 * @skb: the write-queue skb, before it is freed or trimmed
 * @now_us: the ACK's arrival, xtcp_clock_us()
 *
 * A skb SACKed before was counted when it was SACKed.
 */
void xtcp_sack_delivered(struct sock *sk, const struct sk_buff *skb,
			 u64 now_us)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (!xs->sack_ok || cb->sacked)
		return;
	xtcp_rack_delivered(&xs->rack, cb->sent_us,
			    cb->sent_us - cb->resent_after_us, cb->end_seq,
			    cb->retransmitted, now_us, min_rtt(xs));
}

static void mark_sacked(struct sock *sk, struct sk_buff *skb, u64 now_us)
{
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 len = seq_len(skb);

	xtcp_sack_delivered(sk, skb, now_us);
	if (cb->rexmit)
		sub_bytes(&xs->retrans_bytes, len);
	if (cb->lost)
		sub_bytes(&xs->lost_bytes, len);
	cb->rexmit = false;
	cb->lost = false;
	cb->sacked = true;
	xs->sacked_bytes += len;
}

/*
 * Cut @skb so that its first @cut bytes of payload stand alone.  Only
 * inside the payload (a FIN's sequence number stays with the end), and
 * only where xtcp_fragment() can (the payload in page fragments).
 */
static bool cut_at(struct sock *sk, struct sk_buff *skb, u32 cut)
{
	if (!cut || cut >= skb->len || skb_headlen(skb) > cut)
		return false;
	return !xtcp_fragment(sk, skb, cut);
}

/*
 * The SACK blocks of an ACK that say what the peer holds
 * (xtcp_sack_blocks_in()).  A D-SACK among them widens RACK's reordering
 * window, is evidence for an undo, may show the tail loss probe was not
 * needed (*@dsack_probe), and marks nothing.
 */
static unsigned int sack_blocks(struct sock *sk, const struct xtcp_seg *seg,
				struct xtcp_sack_block *blk, bool *dsack_probe)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_sack_block d;
	unsigned int n;
	bool dsack;

	n = xtcp_sack_blocks_in(seg, xs->snd_una, xs->snd_max, blk, &d, &dsack);
	if (!dsack)
		return n;
	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_DSACK_RECV);
	xtcp_rack_dsack(&xs->rack, xs->snd_una, xs->snd_max);
	xtcp_cc_undo_dsack(&xs->cc, d.start, d.end);
	/* both copies of the probe's resend arrived */
	if (xs->tlp_out && xs->tlp_retrans &&
	    !xtcp_seq_before(d.start, xs->tlp_seq) &&
	    !xtcp_seq_after(d.end, xs->tlp_high))
		*dsack_probe = true;
	return n;
}

/* Mark what the blocks cover, in one walk of the sent skbs. */
static void sack_mark(struct sock *sk, const struct xtcp_sack_block *blk,
		      unsigned int n, u64 now_us)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);
	unsigned int i = 0;

	while (skb && i < n && was_sent(xs, skb)) {
		struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);

		if (!xtcp_seq_after(cb->end_seq, blk[i].start)) {
			skb = xtcp_wq_next(sk, skb);		/* below the block */
			continue;
		}
		if (!xtcp_seq_before(cb->seq, blk[i].end)) {
			i++;				/* past the block */
			continue;
		}
		if (cb->sacked) {
			skb = xtcp_wq_next(sk, skb);
			continue;
		}
		if (xtcp_seq_before(cb->seq, blk[i].start)) {
			/* the block begins inside: its part is the next skb */
			cut_at(sk, skb, blk[i].start - cb->seq);
			skb = xtcp_wq_next(sk, skb);
			continue;
		}
		if (xtcp_seq_after(cb->end_seq, blk[i].end) &&
		    !cut_at(sk, skb, blk[i].end - cb->seq)) {
			i++;	/* ends inside, cannot cut: not SACKed */
			continue;
		}
		mark_sacked(sk, skb, now_us);
		skb = xtcp_wq_next(sk, skb);
	}
}

static void reo_timer_arm(struct sock *sk, u32 wait_us)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	/* a jiffy more: never before the segment is due */
	xs->reo_tlp = false;
	sk_reset_timer(sk, &xs->reo_timer,
		       jiffies + usecs_to_jiffies(wait_us) + 1);
}

/*
 * RFC 8985 6.2 step 5: mark lost every segment sent before RACK's
 * reference whose round trip plus the reordering window has passed; a
 * resend found lost is to be resent again.  For those not yet due, the
 * reorder timer.  Returns how many were newly marked.
 */
static u32 rack_detect(struct sock *sk, u64 now_us)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 reo, wait_min = U32_MAX, newly = 0;
	struct sk_buff *skb;

	if (!xs->rack.valid)
		return 0;
	reo = xtcp_rack_reo_wnd(&xs->rack,
				xs->cc.in_recovery || xs->cc.timed_out,
				xs->sacked_bytes / max_t(u32, xs->mss, 1),
				min_rtt(xs), xs->rtt.srtt_us);
	for (skb = skb_peek(&sk->sk_write_queue); skb && was_sent(xs, skb);
	     skb = xtcp_wq_next(sk, skb)) {
		struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
		u32 wait = 0;

		if (cb->sacked || (cb->lost && !cb->rexmit))
			continue;
		if (!xtcp_rack_lost(&xs->rack, cb->sent_us, cb->end_seq, reo,
				    now_us, &wait)) {
			if (wait && wait < wait_min)
				wait_min = wait;
			continue;
		}
		if (cb->rexmit) {
			cb->rexmit = false;	/* the resend is lost too */
			sub_bytes(&xs->retrans_bytes, seq_len(skb));
		} else {
			cb->lost = true;
			xs->lost_bytes += seq_len(skb);
		}
		newly++;
	}
	if (newly)
		xtcp_add_stat(sock_net(sk), XTCP_MIB_RACK_LOST, newly);
	if (wait_min != U32_MAX)
		reo_timer_arm(sk, wait_min);
	return newly;
}

/*
 * RACK's judgement after an ACK or at the reorder timer.  Nothing can be
 * lost while nothing is SACKed and no resend is out: an ACK then covers
 * every segment sent before the newest it delivered.
 */
static void sack_loss_check(struct sock *sk, u64 now_us)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (xs->sacked_bytes || xs->retrans_bytes)
		rack_detect(sk, now_us);
}

/**
 * xtcp_sack_recovery() - start fast recovery if a segment is marked lost
 * @sk: the socket, locked, a SACK sender
 *
 * RFC 6675 5 step 4, unless an episode (a recovery, a timeout's repair)
 * is under way: ssthresh from the smaller of the flight and cwnd (the
 * flight counts SACKed data beyond cwnd), and the first lost segment
 * goes at once, as a fast retransmit (step 4.3).
 */
void xtcp_sack_recovery(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 flight = xs->snd_max - xs->snd_una;

	if (!xs->lost_bytes ||
	    !xtcp_cc_enter_recovery(&xs->cc, xs->snd_una, xs->snd_max,
				    min(flight, xtcp_cc_window(&xs->cc))))
		return;
	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_SACK_RECOVERY);
	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_FAST_RETRANS);
	xtcp_sack_xmit_lost(sk, true);
}

/*
 * Did the tail loss probe repair a loss (RFC 8985 7.4)?  Decided once an
 * ACK reaches SND.MAX as it was when the probe went (@tlp_high): a probe
 * of new data, no (RACK judges what it shows); a resend the peer reports
 * as a duplicate (a D-SACK), or a duplicate ACK at @tlp_high with nothing
 * new in it (the second copy arrived, from a peer without D-SACK), no;
 * an ACK past @tlp_high without either, yes: the original was lost and
 * only the probe got through, so congestion control responds as to a
 * loss (TlpRecovery).  Until then no other probe goes.
 */
static void tlp_ack(struct sock *sk, bool dsack_probe, bool news)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (xtcp_seq_before(xs->snd_una, xs->tlp_high))
		return;
	if (!xs->tlp_retrans || dsack_probe) {
		xs->tlp_out = false;
	} else if (xtcp_seq_after(xs->snd_una, xs->tlp_high)) {
		xs->tlp_out = false;
		if (xtcp_cc_reduce(&xs->cc, xs->snd_max - xs->snd_una))
			XTCP_INC_STATS(sock_net(sk), XTCP_MIB_TLP_RECOVERY);
	} else if (xs->tlp_reached && !news) {
		xs->tlp_out = false;
	} else {
		xs->tlp_reached = true;
	}
}

/**
 * xtcp_sack_ack() - the SACK sender's part of an acceptable ACK
 * @sk: the socket, locked, a SACK sender (xtcp_sack_sender())
 * @skb: the segment, its header still in front of skb->data
 * @now_us: its arrival, xtcp_clock_us()
 *
 * Called after the cumulative ACK was taken (SND.UNA is the segment's
 * ACK when it advanced).  Reads the segment's SACK blocks, marks what
 * they cover, lets RACK judge the rest and starts recovery if it found a
 * loss; the caller's push resends what is lost.
 */
void xtcp_sack_ack(struct sock *sk, const struct sk_buff *skb, u64 now_us)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_sack_block blk[XTCP_MAX_SACK_BLOCKS];
	bool dsack_probe = false;
	struct sk_buff *head;
	struct xtcp_seg seg;
	unsigned int n = 0;

	head = skb_peek(&sk->sk_write_queue);
	if (head && XTCP_SKB_CB(head)->sacked &&
	    XTCP_SKB_CB(head)->seq == xs->snd_una) {
		/*
		 * The cumulative ACK stops at data the peer SACKed: it held
		 * it next to RCV.NXT and would have ACKed it, unless it threw
		 * it away (RFC 2018 8, reneging; xtcp's own receiver prunes
		 * its out-of-order queue under memory pressure).  No mark can
		 * be trusted: everything not ACKed is lost, as after a
		 * timeout, without waiting for one.
		 */
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_SACK_RENEGING);
		xtcp_sack_mark_all_lost(sk);
	}
	if (cb->hlen > XTCP_HDR_LEN &&
	    xtcp_parse(skb->data - cb->hlen, cb->hlen, &seg) == XTCP_PARSE_OK &&
	    seg.nr_sack) {
		n = sack_blocks(sk, &seg, blk, &dsack_probe);
		if (n)
			sack_mark(sk, blk, n, now_us);
	}
	if (xs->tlp_out)
		tlp_ack(sk, dsack_probe, n || skb->len);
	sack_loss_check(sk, now_us);
}

/**
 * xtcp_sack_mark_all_lost() - a timeout: every segment not SACKed is lost
 * @sk: the socket, locked, a SACK sender
 *
 * Instead of going back to SND.UNA and resending everything, the
 * timeout's repair resends only what the peer does not hold, as cwnd
 * (one segment, then slow start) lets it.  Resends in flight are lost
 * with the rest.  If the oldest segment is SACKed the peer reneged (it
 * dropped out-of-order data it had reported): no mark can be trusted,
 * all go.
 */
void xtcp_sack_mark_all_lost(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);
	bool reneged = skb && XTCP_SKB_CB(skb)->sacked;

	xs->retrans_bytes = 0;
	xs->lost_bytes = 0;
	if (reneged)
		xs->sacked_bytes = 0;
	for (; skb && was_sent(xs, skb); skb = xtcp_wq_next(sk, skb)) {
		struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);

		if (cb->sacked && !reneged)
			continue;
		cb->sacked = false;
		cb->rexmit = false;
		cb->lost = true;
		xs->lost_bytes += seq_len(skb);
	}
}

/**
 * xtcp_sack_xmit_lost() - resend the segments marked lost, oldest first
 * @sk: the socket, locked
 * @force: send the first even if the pipe is full (the fast retransmit)
 *
 * While the pipe (xtcp_in_flight()) is below cwnd: each lost skb not
 * resent yet goes again, cut to what cwnd leaves room for (whole
 * segments, a run where runs may go).  Not into a closed window: the
 * probe timer has that case.
 */
void xtcp_sack_xmit_lost(struct sock *sk, bool force)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;
	int err;

	if (!xtcp_sack_sender(sk) || xs->lost_bytes <= xs->retrans_bytes)
		return;
	for (skb = skb_peek(&sk->sk_write_queue); skb && was_sent(xs, skb);
	     skb = xtcp_wq_next(sk, skb)) {
		struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
		u32 cwnd = xtcp_cc_window(&xs->cc), pipe = xtcp_in_flight(xs);
		u32 room = cwnd > pipe ? cwnd - pipe : 0;
		u32 len;

		if (!cb->lost || cb->rexmit)
			continue;
		/* a closed window: data waits for the probes, a FIN goes */
		if (!xs->snd_wnd && skb->len)
			continue;
		if (!force && room < min_t(u32, xs->mss, seq_len(skb)))
			break;
		if (skb->len > xs->mss) {
			len = xtcp_run_ok(sk) ? rounddown(room, xs->mss) : 0;
			len = max_t(u32, len, xs->mss);
			/* no memory to cut: a run goes whole, else the timer */
			if (len < skb->len && !cut_at(sk, skb, len) &&
			    !xtcp_run_ok(sk))
				break;
		}
		err = xtcp_retransmit_skb(sk, skb);
		/*
		 * The oldest went again: its timeout counts from now (as
		 * Linux's tcp_xmit_retransmit_queue()), or a recovery longer
		 * than one RTO would end in a needless timeout.
		 */
		if (skb == skb_peek(&sk->sk_write_queue))
			sk_reset_timer(sk, &xs->rtx_timer,
				       jiffies + xtcp_rto(xs));
		/* refused by the stack: as good as sent and lost (push's rule) */
		cb->rexmit = true;
		xs->retrans_bytes += seq_len(skb);
		xtcp_add_stat(sock_net(sk), XTCP_MIB_SACK_RETRANS,
			      xtcp_skb_segs(skb, xs->mss));
		if (err)
			break;
		force = false;
	}
}

/* Worst-case delayed ACK a probe of a single segment waits for. */
#define XTCP_TLP_DELACK_US	(jiffies_to_usecs(XTCP_DELACK) + 2000)

/**
 * xtcp_tlp_arm() - (re)start the tail loss probe's timeout (RFC 8985 7.2)
 * @sk: the socket, locked
 * @restart: new data left or an ACK advanced SND.UNA: the PTO counts
 *	from now; otherwise it is only started if it does not run
 *
 * After sending and after each ACK: with data in flight, outside any
 * recovery, no probe outstanding and no reorder timer waiting, a probe
 * goes if no ACK comes within PTO = 2 * SRTT (plus the peer's delayed
 * ACK when a single segment is out), never later than the RTO would
 * fire.  A tail lost with nothing behind it to be SACKed is then found
 * in a couple of round trips instead of one RTO.
 */
void xtcp_tlp_arm(struct sock *sk, bool restart)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	unsigned long when;
	u32 pto_us, flight;

	if (!xtcp_sack_sender(sk) || xs->tlp_out || xs->cc.in_recovery ||
	    xs->cc.timed_out || !xs->rtt.has_sample || xs->persist.active ||
	    (!xs->reo_tlp && xtcp_timer_armed(sk, XTCP_TIMER_REO)))
		return;
	flight = xs->snd_max - xs->snd_una;
	if (!flight || xs->lost_bytes) {
		if (xs->reo_tlp)
			xtcp_timer_stop(sk, XTCP_TIMER_REO);
		return;
	}
	if (!restart && xtcp_timer_armed(sk, XTCP_TIMER_REO))
		return;	/* only new data and new ACKs move it (7.2) */
	pto_us = 2 * xs->rtt.srtt_us;
	if (flight <= xs->mss)
		pto_us += XTCP_TLP_DELACK_US;
	when = jiffies + max_t(unsigned long, usecs_to_jiffies(pto_us), 2);
	/* never after the RTO would fire */
	if (timer_pending(&xs->rtx_timer) &&
	    time_after(when, xs->rtx_timer.expires))
		when = xs->rtx_timer.expires;
	xs->reo_tlp = true;
	sk_reset_timer(sk, &xs->reo_timer, when);
}

/*
 * The PTO fired (RFC 8985 7.3): no ACK for two round trips.  New data
 * goes if the windows let it; else the last segment sent goes again, cut
 * to one segment.  Either way the ACK it draws (a SACK, a D-SACK) lets
 * RACK find what the tail lost.  Then the retransmission timer runs a
 * full RTO.
 */
static void tlp_fire(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *last = NULL;

	if (xs->tlp_out || xs->cc.in_recovery || xs->cc.timed_out ||
	    xs->snd_una == xs->snd_max || xs->lost_bytes)
		return;
	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_TLP_PROBES);
	xs->tlp_out = true;
	xs->tlp_retrans = false;
	xs->tlp_reached = false;
	xs->tlp_high = xs->snd_max;
	if (xs->send_head)
		xtcp_push(sk);	/* new data, if the windows and Nagle let it */
	if (xs->snd_max == xs->tlp_high) {
		/* the newest sent: before the send head (SACK never rewinds) */
		if (!xs->send_head)
			last = skb_peek_tail(&sk->sk_write_queue);
		else if (!skb_queue_is_first(&sk->sk_write_queue, xs->send_head))
			last = skb_queue_prev(&sk->sk_write_queue, xs->send_head);
		if (last && !was_sent(xs, last))
			last = NULL;
		/* not data into a closed window (a bare FIN may go) */
		if (last && !XTCP_SKB_CB(last)->sacked &&
		    (xs->snd_wnd || !last->len)) {
			/* larger than the MSS only as a run (the path's MTU fell) */
			if (last->len > xs->mss &&
			    !cut_at(sk, last, last->len - xs->mss) &&
			    !xtcp_run_ok(sk))
				last = NULL;
			if (last && XTCP_SKB_CB(last)->end_seq != xs->snd_max)
				last = xtcp_wq_next(sk, last);
			if (last) {
				xs->tlp_retrans = true;
				xs->tlp_seq = XTCP_SKB_CB(last)->seq;
				xtcp_retransmit_skb(sk, last);
			}
		}
	}
	xs->tlp_high = xs->snd_max;	/* the episode ends when this is ACKed */
	sk_reset_timer(sk, &xs->rtx_timer, jiffies + xtcp_rto(xs));
}

/**
 * xtcp_reo_expired() - RACK's timer expired: reorder timeout or PTO (RFC 8985 6.3, 7)
 * @sk: the socket, locked (by the timer, or its owner in xtcp_release_cb())
 *
 * As the reorder timer: segments that were not yet lost when the last
 * ACK came may be now.  As the PTO: a tail loss probe.
 */
void xtcp_reo_expired(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (!xtcp_sack_sender(sk) || sk->sk_state == XTCP_CLOSE ||
	    xs->snd_una == xs->snd_max)
		return;
	if (xs->reo_tlp) {
		xs->reo_tlp = false;
		tlp_fire(sk);
	} else {
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_REO_TIMEOUTS);
		sack_loss_check(sk, xtcp_clock_us());
		xtcp_sack_recovery(sk);
		xtcp_push(sk);
	}
}
