// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: the per-connection timers (RACK's reorder timer, which also
 * sends tail loss probes, is recovery.c's).
 *
 * rtx_timer serves as SYN, data and FIN retransmission timer (RFC 6298)
 * and, while the peer's window holds our data back (xs->persist.active),
 * as zero-window probe timer (the persist timer, RFC 9293 3.8.6.1): the
 * two roles never overlap, nothing being in flight while the window is
 * probed; sk->sk_timer is the keepalive timer
 * (SO_KEEPALIVE, RFC 1122 4.2.3.6) and an orphan's FIN_WAIT_2 timer;
 * delack_timer sends an ACK held back (delayed ACK, FIN+ACK merge); cork_timer
 * lets a corked partial segment go after 200 ms.  All run in
 * softirq and take bh_lock_sock().  One that finds the owner holding the
 * socket leaves its work to xtcp_release_cb(), which release_sock() calls
 * as the owner lets go (as tcp_release_cb() does TCP's), instead of
 * polling until the owner is done.  sk_reset_timer() holds a reference on
 * the sock while a timer is pending, the handler drops it; deferred work
 * holds one of its own until it runs or is cancelled.
 *
 * A timer counts as armed while pending or deferred (xtcp_timer_armed());
 * xtcp_timer_stop() cancels both.  An owner that re-arms a timer whose
 * work is deferred replaces that work: release_cb finds the timer pending
 * and leaves it to run when due, as tcp_write_timer_handler() re-arms a
 * timer whose deadline moved.
 */
#define pr_fmt(fmt) "xtcp: " fmt

#include "xtcp.h"

/**
 * xtcp_arm_rtx() - start the retransmission timer unless it runs already
 * @sk: the socket, locked
 */
void xtcp_arm_rtx(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (!xtcp_timer_armed(sk, XTCP_TIMER_RTX))
		sk_reset_timer(sk, &xs->rtx_timer, jiffies + xtcp_rto(xs));
}

/* Reset @sk with ETIMEDOUT (or the soft error that explains it). */
static void xtcp_timeout_abort(struct sock *sk, enum xtcp_mib why)
{
	XTCP_INC_STATS(sock_net(sk), why);
	if (sk->sk_state != XTCP_SYN_SENT)
		xtcp_send_reset(sk);
	xtcp_done(sk, READ_ONCE(sk->sk_err_soft) ? : ETIMEDOUT);
}

/**
 * xtcp_xmit_timer() - give rtx_timer the role the send state asks for
 * @sk: the socket, locked
 *
 * Called after sending.  Nothing in flight and the peer's window holding
 * the data back: the probe timer, started afresh one RTO out when the
 * window has just closed (xtcp_persist_start()), else left as it runs.
 * Otherwise, if the timer was the probe timer, the window has opened: it
 * stops, and what is in flight gets a retransmission timer of its own, a
 * full RTO from now, not what was left of a backed-off probe interval;
 * a segment only the cork holds gets none (xtcp_cork_timer() sends it).
 */
void xtcp_xmit_timer(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (xtcp_nothing_in_flight(sk) && xtcp_window_closed(sk)) {
		if (!xs->persist.active) {
			xtcp_persist_start(&xs->persist);
			xs->persist_stamp = jiffies;
			sk_reset_timer(sk, &xs->rtx_timer, jiffies + xtcp_rto(xs));
		} else if (!xtcp_timer_armed(sk, XTCP_TIMER_RTX)) {
			/* an ACK stopped it (xtcp_ack()): probing goes on */
			sk_reset_timer(sk, &xs->rtx_timer, jiffies +
				       usecs_to_jiffies(xtcp_persist_interval(&xs->persist,
									      xs->rtt.rto_us,
									      xs->rtt.max_rto_us)));
		}
		return;
	}
	if (xs->persist.active) {
		xtcp_persist_stop(&xs->persist);
		xtcp_timer_stop(sk, XTCP_TIMER_RTX);
	}
	/*
	 * Unsent data with nothing in flight is held by the cork, whose
	 * own timer sends it: no retransmission timeout for that.  Any
	 * other reason it stayed (none is known) gets the timer's retry.
	 */
	if (xs->snd_max != xs->snd_una ||
	    (xs->send_head && !xtcp_timer_armed(sk, XTCP_TIMER_CORK)))
		xtcp_arm_rtx(sk);
}

/*
 * A retransmission timeout with data in flight: congestion control's
 * response, then what is to be sent again.  With SACK, only what the
 * peer does not hold; without, everything from SND.UNA (go-back-N).
 */
static void xtcp_timeout_rewind(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xtcp_conn_cc_timeout(sk);
	if (xtcp_sack_sender(sk)) {
		xtcp_sack_mark_all_lost(sk);
	} else {
		xs->send_head = skb_peek(&sk->sk_write_queue);
		xs->snd_nxt = xs->snd_una;
	}
}

/*
 * The probe timer fired: the peer's window still holds our data back.
 * Probe it, or give up if the peer stopped answering (retries2 probes in
 * a row unanswered), if an orphan sent orphan_retries probes, answered or
 * not (its peer could keep the window shut for ever), or if
 * XTCP_USER_TIMEOUT has run out since the window closed; as Linux's
 * tcp_probe_timer().  Probes the peer answers never end the connection.
 */
static void xtcp_probe_expired(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	unsigned long next, user_timeout = msecs_to_jiffies(xs->user_timeout);
	u32 limit = READ_ONCE(xtcp_sysctl(sock_net(sk))->retries2);
	u32 max_sent = sock_flag(sk, SOCK_DEAD) ?
		       xtcp_orphan_retries(sock_net(sk)) : ~0U;

	if (!xtcp_nothing_in_flight(sk)) {
		/*
		 * The window closed on data in flight: the peer refused it
		 * (its buffer was full), and its retransmission timeout is
		 * what brought us here.  Go back to SND.UNA, as any timeout
		 * does; the data leaves again when the window opens.
		 */
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_RTO_EXPIRED);
		xtcp_timeout_rewind(sk);
	}
	if (!xs->persist.active) {
		xtcp_persist_start(&xs->persist);
		xs->persist_stamp = jiffies;
	}
	if ((user_timeout &&
	     time_after_eq(jiffies, xs->persist_stamp + user_timeout)) ||
	    xtcp_persist_expired(&xs->persist, limit, max_sent) ==
	    XTCP_PERSIST_ABORT) {
		xtcp_timeout_abort(sk, XTCP_MIB_WIN_PROBE_TIMEOUTS);
		return;
	}
	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_WIN_PROBES);
	xtcp_send_probe(sk);
	next = usecs_to_jiffies(xtcp_persist_interval(&xs->persist,
						      xs->rtt.rto_us,
						      xs->rtt.max_rto_us));
	if (user_timeout) {
		long left = (long)(xs->persist_stamp + user_timeout - jiffies);

		next = clamp_t(long, left, 1, next);
	}
	sk_reset_timer(sk, &xs->rtx_timer, jiffies + next);
}

/**
 * xtcp_clear_timers() - stop the connection's timer
 * @sk: the socket, locked
 *
 * A handler already running finds the socket CLOSED and does nothing.
 */
void xtcp_clear_timers(struct sock *sk)
{
	enum xtcp_timer_id id;

	for (id = 0; id < XTCP_TIMER_MAX; id++)
		xtcp_timer_stop(sk, id);
	xtcp_persist_stop(&xtcp_sk(sk)->persist);
	xtcp_sk(sk)->ack_pending = false;
}

/**
 * xtcp_delay_ack() - owe the peer an ACK, but not quite yet
 * @sk: the socket, locked
 * @delay: at most how long, in jiffies
 *
 * Used for delayed ACKs of data (XTCP_DELACK, xtcp_ack_data()) and for
 * the ACK of a FIN when the fin_ack_merge sysctl is on: if the owner
 * closes within XTCP_FIN_ACK_DELAY, our FIN carries the ACK and the close
 * takes three segments instead of four.  Any segment we send clears the
 * debt (each carries the ACK); otherwise the timer pays it.  A debt already
 * owed keeps its deadline: a later one never delays it further.
 */
void xtcp_delay_ack(struct sock *sk, unsigned long delay)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (xs->ack_pending && xtcp_timer_armed(sk, XTCP_TIMER_DELACK))
		return;
	xs->ack_pending = true;
	sk_reset_timer(sk, &xs->delack_timer, jiffies + delay);
}

static void xtcp_delack_expired(struct sock *sk)
{
	if (xtcp_sk(sk)->ack_pending && sk->sk_state != XTCP_CLOSE) {
		xtcp_inc_stat(sock_net(sk), XTCP_MIB_DELAYED_ACKS);
		xtcp_send_ack(sk);
	}
}

/* A corked partial segment has waited XTCP_CORK_MAX: let it go. */
static void xtcp_cork_expired(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (sk->sk_state == XTCP_CLOSE) {
		/* over: nothing to send */
	} else if (time_before(jiffies, xs->cork_stamp + XTCP_CORK_MAX)) {
		/* run for a segment that left; the one held now is younger */
		sk_reset_timer(sk, &xs->cork_timer,
			       xs->cork_stamp + XTCP_CORK_MAX);
	} else {
		xs->cork_release = true;
		xtcp_push(sk);
	}
}

/*
 * The keepalive timer due in @delay jiffies: only a synchronized
 * connection keeps alive; others just stop the timer.
 */
static void keepalive_arm(struct sock *sk, unsigned long delay)
{
	if (sk->sk_state == XTCP_ESTABLISHED || sk->sk_state == XTCP_CLOSE_WAIT)
		sk_reset_timer(sk, &sk->sk_timer, jiffies + delay);
	else
		xtcp_timer_stop(sk, XTCP_TIMER_KEEPALIVE);
}

/**
 * xtcp_keepalive_reset() - (re)start the keepalive timer for a full idle time
 * @sk: the socket, locked, with SO_KEEPALIVE on
 *
 * Only a synchronized connection keeps alive (keepalive_arm()).
 */
void xtcp_keepalive_reset(struct sock *sk)
{
	keepalive_arm(sk, xtcp_sk(sk)->keepalive_time);
}

/**
 * xtcp_keepalive_idle_set() - XTCP_KEEPIDLE changed: re-aim the timer
 * @sk: the socket, locked, with SO_KEEPALIVE on
 *
 * As TCP's: the new idle time counts from the last segment received, not
 * from now, so a connection already idle that long probes at once.  (TCP
 * also keeps a half-closed connection alive; xtcp's keepalive, here as
 * everywhere, runs in ESTABLISHED and CLOSE_WAIT only.)
 */
void xtcp_keepalive_idle_set(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	unsigned long idle = jiffies - xs->rcv_tstamp;

	keepalive_arm(sk, xs->keepalive_time > idle ?
			  xs->keepalive_time - idle : 0);
}

/**
 * xtcp_keepalive_set() - struct proto's .keepalive: SO_KEEPALIVE changed
 * @sk: the socket, locked by sock_setsockopt()
 * @on: the new value
 */
void xtcp_keepalive_set(struct sock *sk, int on)
{
	if (on)
		xtcp_keepalive_reset(sk);
	else
		xtcp_timer_stop(sk, XTCP_TIMER_KEEPALIVE);
}

/**
 * xtcp_orphan_fin_wait2() - an orphan reached FIN_WAIT_2: bound its wait
 * @sk: the socket, locked, SOCK_DEAD, in FIN_WAIT_2
 *
 * Nobody can read or close it any more, and a peer that never sends its
 * FIN would keep it for ever: after XTCP_LINGER2 (or fin_timeout_ms) it
 * is reset and freed, as Linux's tcp_fin_timeout does (the fin_timeout_ms
 * sysctl).  The keepalive
 * timer, idle in this state, measures the wait.
 */
void xtcp_orphan_fin_wait2(struct sock *sk)
{
	int linger2 = xtcp_sk(sk)->linger2;

	if (linger2 < 0) {
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_FIN_WAIT2_TIMEOUTS);
		xtcp_send_reset(sk);
		xtcp_done(sk, 0);
		return;
	}
	if (!linger2)
		linger2 = msecs_to_jiffies(READ_ONCE(xtcp_sysctl(sock_net(sk))->fin_timeout_ms));
	sk_reset_timer(sk, &sk->sk_timer, jiffies + linger2);
}

/*
 * RFC 1122 4.2.3.6, with Linux's knobs: after keepalive_time without a
 * segment from the peer and with nothing of ours outstanding, send a probe
 * every keepalive_intvl; keepalive_probes unanswered ones end the
 * connection with ETIMEDOUT (and an RST, as TCP).  Data in flight has the
 * retransmission timer watching it instead.
 */
static void xtcp_keepalive_expired(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	unsigned long idle, next = xs->keepalive_time;

	if (sk->sk_state == XTCP_FIN_WAIT2 && sock_flag(sk, SOCK_DEAD)) {
		/* an orphan's FIN_WAIT_2 time is up */
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_FIN_WAIT2_TIMEOUTS);
		xtcp_send_reset(sk);
		xtcp_done(sk, 0);
		return;
	}
	if (!sock_flag(sk, SOCK_KEEPOPEN) ||
	    (sk->sk_state != XTCP_ESTABLISHED && sk->sk_state != XTCP_CLOSE_WAIT))
		return;
	idle = jiffies - xs->rcv_tstamp;
	if (xs->snd_una != xs->snd_max || xs->send_head) {
		xs->probes_out = 0;
	} else if (idle >= xs->keepalive_time) {
		if (xs->probes_out >= xs->keepalive_probes) {
			XTCP_INC_STATS(sock_net(sk), XTCP_MIB_KEEPALIVE_TIMEOUTS);
			xtcp_send_reset(sk);
			xtcp_done(sk, READ_ONCE(sk->sk_err_soft) ? : ETIMEDOUT);
			return;
		}
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_KEEPALIVE_PROBES);
		xtcp_send_probe(sk);
		xs->probes_out++;
		next = xs->keepalive_intvl;
	} else {
		next = xs->keepalive_time - idle;
	}
	sk_reset_timer(sk, &sk->sk_timer, jiffies + next);
}

/*
 * @limit timeouts spent: as many expiries and, once RFC 6069 undid a
 * backoff since the first of them (xtcp_rtx_revert()), as long as they
 * would have lasted with RTO doubled at each from its floor (TCP's model
 * of the time, tcp_model_timeout(): 924.6 s for 15), so that a
 * connection probing a broken path more often does not give up sooner
 * for it.  Without a revert the count alone decides, as it always did.
 */
static bool xtcp_retries_spent(struct sock *sk, int limit)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u64 spent;

	if (limit > 0 && xs->retransmits < (u32)limit)
		return false;
	if (!xs->rto_reverted)
		return true;
	/* in ms: jiffies_to_usecs() would wrap after 71 minutes */
	spent = (u64)jiffies_to_msecs(jiffies - xs->retrans_stamp) * USEC_PER_MSEC;
	return spent >= xtcp_rtt_model_timeout(&xs->rtt, xs->rtt.min_rto_us,
					       max(limit, 0));
}

static void xtcp_rtx_expired(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	unsigned long next, user_timeout;
	struct sk_buff *head;
	int limit;

	if (sk->sk_state == XTCP_CLOSE || sk->sk_state == XTCP_LISTEN)
		return;
	if (sock_flag(sk, SOCK_DEAD) && xtcp_out_of_resources(sk)) {
		/* an orphan, and too many of them or no memory (mem.c) */
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_ABORT_ON_MEMORY);
		xtcp_send_reset(sk);
		xtcp_done(sk, 0);
		return;
	}
	if (xs->fin_pending) {
		/*
		 * Our FIN could not be allocated (output.c): try again.  Once
		 * queued it went out with a timer of its own.  Data still
		 * outstanding is retransmitted below as usual; with nothing
		 * else to do the attempts count as timeouts.
		 */
		xtcp_send_fin(sk, GFP_ATOMIC);
		if (!xs->fin_pending)
			return;
		if (xs->snd_una == xs->snd_max && !xs->send_head) {
			if (xs->retransmits++ >=
			    READ_ONCE(xtcp_sysctl(sock_net(sk))->retries2)) {
				XTCP_INC_STATS(sock_net(sk), XTCP_MIB_TIMEOUTS);
				xtcp_done(sk, ETIMEDOUT);
				return;
			}
			sk_reset_timer(sk, &xs->rtx_timer, jiffies + xtcp_rto(xs));
			return;
		}
	}
	if (xs->snd_una == xs->snd_max &&
	    (!xs->send_head || xtcp_timer_armed(sk, XTCP_TIMER_CORK)))
		return;	/* everything acknowledged meanwhile, or corked */
	if (xtcp_window_closed(sk)) {
		/* a closed window is probed, never retransmitted into */
		xtcp_probe_expired(sk);
		return;
	}
	if (xs->persist.active)	/* the window opened meanwhile */
		xtcp_persist_stop(&xs->persist);

	/* XTCP_USER_TIMEOUT counts from the first sending of what times out */
	head = skb_peek(&sk->sk_write_queue);
	if (!xs->retransmits) {
		u64 since = 0;

		if (head && xtcp_seq_before(XTCP_SKB_CB(head)->seq, xs->snd_max))
			since = xtcp_clock_us() - XTCP_SKB_CB(head)->sent_us;
		xs->retrans_stamp = jiffies - usecs_to_jiffies(min_t(u64, since, U32_MAX));
		xs->rto_reverted = false;	/* a new episode */
	}
	limit = sk->sk_state == XTCP_SYN_SENT ? xs->syn_retries :
		READ_ONCE(xtcp_sysctl(sock_net(sk))->retries2);
	if (sock_flag(sk, SOCK_DEAD) && sk->sk_state != XTCP_SYN_SENT)
		limit = xtcp_orphan_retries(sock_net(sk));
	user_timeout = msecs_to_jiffies(xs->user_timeout);
	if (user_timeout ? time_after_eq(jiffies, xs->retrans_stamp + user_timeout) :
			   xtcp_retries_spent(sk, limit)) {
		xtcp_timeout_abort(sk, XTCP_MIB_TIMEOUTS);
		return;
	}
	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_RTO_EXPIRED);
	/* u8: with backoffs undone (RFC 6069) there may be hundreds */
	if (xs->retransmits < U8_MAX)
		xs->retransmits++;
	/*
	 * As TCP: the path may be what failed.  A new flow hash (a new IPv6
	 * flow label) lets ECMP routers and the like move the flow; SYNs
	 * too.  SO_TXREHASH or net.core.txrehash says no.
	 */
	if (sk_rethink_txhash(sk))
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_TIMEOUT_REHASH);
	xtcp_rtt_backoff(&xs->rtt);
	if (xs->snd_una != xs->snd_max) {
		/*
		 * RFC 5681 3.1 timeout: the window falls to one segment and
		 * everything from SND.UNA is sent again as ACKs reopen it
		 * (go-back-N), so several losses in one window cost one
		 * timeout, not one each.  SND.MAX keeps the highest sent.
		 */
		xtcp_timeout_rewind(sk);
	}
	/*
	 * A peer window open but narrower than the oldest segment, with
	 * more sent beyond it, lets nothing through (xtcp_may_send()): the
	 * oldest goes anyway, the peer takes what fits.  Otherwise send
	 * what the windows allow, starting again from SND.UNA.
	 */
	if (xs->send_head && xs->snd_nxt == xs->snd_una &&
	    !xtcp_may_send(sk, xs->send_head))
		xtcp_retransmit_head(sk);
	else
		xtcp_push(sk);
	next = xtcp_rto(xs);
	if (user_timeout) {
		/* wake up no later than the user timeout, as TCP does */
		long left = (long)(xs->retrans_stamp + user_timeout - jiffies);

		next = clamp_t(long, left, 1, next);
	}
	sk_reset_timer(sk, &xs->rtx_timer, jiffies + next);
}

/**
 * xtcp_rtx_revert() - a router had no route for our oldest, resent, segment
 * @sk: the socket, locked, and no owner holding it
 *
 * RFC 6069 (TCP-LD), as TCP's tcp_ld_RTO_revert(): an ICMP net or host
 * unreachable (ICMPv6 no route) quoting SND.UNA while the timer is
 * resending it says the path is broken at a router, not congested.  The
 * timer's last backoff is undone, and it expires one RTO so computed
 * after the segment was last sent: at once if that time has passed.  A
 * connection that lost its path thus tries again at the pace of its RTO,
 * not an ever slower one, and goes on as soon as the path is back; it
 * still gives up only after the time its retries would have taken
 * backed off (xtcp_retries_spent()).  Counted, RtoReverts.
 *
 * Context: softirq, from xtcp_icmp_err().
 */
void xtcp_rtx_revert(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *head = skb_peek(&sk->sk_write_queue);
	unsigned long when;
	u64 since;

	if (!xs->retransmits || xs->persist.active || !head ||
	    xs->snd_una == xs->snd_max || !timer_pending(&xs->rtx_timer) ||
	    !xtcp_rtt_revert(&xs->rtt))
		return;
	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_RTO_REVERTS);
	xs->rto_reverted = true;
	/*
	 * The work itself is left to the timer's handler, even when due
	 * now: run here, it could run twice, should the timer expire on
	 * another CPU while this one holds the socket.
	 */
	since = xtcp_clock_us() - XTCP_SKB_CB(head)->sent_us;
	when = jiffies;
	if (since < xs->rtt.rto_us)
		when += usecs_to_jiffies(xs->rtt.rto_us - since);
	/* never later than it was (a user timeout may have clamped it) */
	if (time_before(when, xs->rtx_timer.expires))
		sk_reset_timer(sk, &xs->rtx_timer, when);
}

static struct timer_list *xtcp_timer(struct sock *sk, enum xtcp_timer_id id)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	switch (id) {
	case XTCP_TIMER_DELACK:
		return &xs->delack_timer;
	case XTCP_TIMER_CORK:
		return &xs->cork_timer;
	case XTCP_TIMER_REO:
		return &xs->reo_timer;
	case XTCP_TIMER_RTX:
		return &xs->rtx_timer;
	default:
		return &sk->sk_timer;
	}
}

/* What each timer does when it expires, with the socket locked. */
static void (*const xtcp_timer_work[XTCP_TIMER_MAX])(struct sock *sk) = {
	[XTCP_TIMER_DELACK]	= xtcp_delack_expired,
	[XTCP_TIMER_CORK]	= xtcp_cork_expired,
	[XTCP_TIMER_REO]	= xtcp_reo_expired,
	[XTCP_TIMER_RTX]	= xtcp_rtx_expired,
	[XTCP_TIMER_KEEPALIVE]	= xtcp_keepalive_expired,
};

/**
 * xtcp_timer_armed() - is one of the connection's timers running?
 * @sk: the socket, locked
 * @id: which timer
 *
 * Pending, or expired while the owner held the socket with its work not
 * yet done (xtcp_release_cb() will do it).
 */
bool xtcp_timer_armed(struct sock *sk, enum xtcp_timer_id id)
{
	return timer_pending(xtcp_timer(sk, id)) ||
	       test_bit(id, &xtcp_sk(sk)->deferred);
}

/**
 * xtcp_timer_stop() - stop one of the connection's timers
 * @sk: the socket, locked
 * @id: which timer
 *
 * Its deferred work, if any, is cancelled too.  The reference that work
 * held can never be the last: the caller holds the socket, by its own
 * reference (owner) or a pending timer's or the receive path's.
 */
void xtcp_timer_stop(struct sock *sk, enum xtcp_timer_id id)
{
	sk_stop_timer(sk, xtcp_timer(sk, id));
	if (test_and_clear_bit(id, &xtcp_sk(sk)->deferred))
		__sock_put(sk);
}

/*
 * The one handler body of all five timers: bh_lock_sock(), then the work,
 * or, if the owner holds the socket, a bit in xs->deferred (with a
 * reference) for xtcp_release_cb().  A second expiry while the bit is set
 * adds nothing: the work runs once.
 */
static void xtcp_timer_fire(struct sock *sk, enum xtcp_timer_id id)
{
	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk)) {
		xtcp_timer_work[id](sk);
	} else if (!test_and_set_bit(id, &xtcp_sk(sk)->deferred)) {
		sock_hold(sk);
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_TIMERS_DEFERRED);
	}
	bh_unlock_sock(sk);
	sock_put(sk);	/* the pending timer's reference */
}

static void xtcp_delack_timer(struct timer_list *t)
{
	struct xtcp_sock *xs = from_timer(xs, t, delack_timer);

	xtcp_timer_fire((struct sock *)xs, XTCP_TIMER_DELACK);
}

static void xtcp_cork_timer(struct timer_list *t)
{
	struct xtcp_sock *xs = from_timer(xs, t, cork_timer);

	xtcp_timer_fire((struct sock *)xs, XTCP_TIMER_CORK);
}

static void xtcp_reo_timer(struct timer_list *t)
{
	struct xtcp_sock *xs = from_timer(xs, t, reo_timer);

	xtcp_timer_fire((struct sock *)xs, XTCP_TIMER_REO);
}

static void xtcp_rtx_timer(struct timer_list *t)
{
	struct xtcp_sock *xs = from_timer(xs, t, rtx_timer);

	xtcp_timer_fire((struct sock *)xs, XTCP_TIMER_RTX);
}

static void xtcp_keepalive_timer(struct timer_list *t)
{
	struct sock *sk = from_timer(sk, t, sk_timer);

	xtcp_timer_fire(sk, XTCP_TIMER_KEEPALIVE);
}

/**
 * xtcp_release_cb() - struct proto's .release_cb: the owner lets go
 * @sk: the socket; release_sock() holds its spinlock with BH off, and the
 *	owner's mark is still set
 *
 * Runs the work of the timers that expired while the owner held the
 * socket, in timer context's conditions (BH off, the spinlock held, so
 * no timer or receive runs beside it), in enum xtcp_timer_id's order.
 * A timer the owner re-armed meanwhile is pending again: its new expiry
 * replaces the one that was deferred.  One the owner stopped has no bit
 * left (xtcp_timer_stop()).  Then a path MTU that an ICMP error left
 * (XTCP_DEFER_PMTU, xtcp_mtu_reduced()).
 */
void xtcp_release_cb(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	unsigned long todo;
	unsigned int id;

	if (unlikely(!list_empty(&xs->req_deferred)))
		xtcp_req_release(sk);
	if (!READ_ONCE(xs->deferred))
		return;
	todo = xchg(&xs->deferred, 0);
	for_each_set_bit(id, &todo, XTCP_TIMER_MAX) {
		if (!timer_pending(xtcp_timer(sk, id)))
			xtcp_timer_work[id](sk);
		__sock_put(sk);	/* the deferred work's reference */
	}
	if (todo & BIT(XTCP_DEFER_PMTU)) {
		xtcp_mtu_reduced(sk);
		__sock_put(sk);	/* xtcp_icmp_err()'s reference */
	}
}

/**
 * xtcp_init_timers() - set up the timers of a new socket
 * @sk: the socket
 */
void xtcp_init_timers(struct sock *sk)
{
	timer_setup(&xtcp_sk(sk)->rtx_timer, xtcp_rtx_timer, 0);
	timer_setup(&xtcp_sk(sk)->delack_timer, xtcp_delack_timer, 0);
	timer_setup(&xtcp_sk(sk)->cork_timer, xtcp_cork_timer, 0);
	timer_setup(&xtcp_sk(sk)->reo_timer, xtcp_reo_timer, 0);
	timer_setup(&sk->sk_timer, xtcp_keepalive_timer, 0);
	xtcp_sk(sk)->deferred = 0;
}
