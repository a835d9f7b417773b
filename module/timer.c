// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: the per-connection timer.
 *
 * One timer a connection, rtx_timer, serves as SYN, data and FIN
 * retransmission timer (RFC 6298) and as zero-window probe timer.  It runs
 * in softirq; it takes bh_lock_sock() and, if the owner holds the socket,
 * tries again shortly instead of waiting.  sk_reset_timer() holds a
 * reference on the sock while the timer is pending; the handler drops it.
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

	if (!timer_pending(&xs->rtx_timer))
		sk_reset_timer(sk, &xs->rtx_timer, jiffies + xtcp_rto(xs));
}

/**
 * xtcp_clear_timers() - stop the connection's timer
 * @sk: the socket, locked
 *
 * A handler already running finds the socket CLOSED and does nothing.
 */
void xtcp_clear_timers(struct sock *sk)
{
	sk_stop_timer(sk, &xtcp_sk(sk)->rtx_timer);
}

static void xtcp_rtx_expired(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	int limit;

	if (sk->sk_state == XTCP_CLOSE || sk->sk_state == XTCP_LISTEN)
		return;
	if (xs->snd_una == xs->snd_max && !xs->send_head)
		return;	/* everything acknowledged meanwhile */

	limit = sk->sk_state == XTCP_SYN_SENT ? xs->syn_retries : XTCP_RETRIES2;
	if (xs->retransmits >= limit) {
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_TIMEOUTS);
		if (sk->sk_state != XTCP_SYN_SENT)
			xtcp_send_reset(sk);
		xtcp_done(sk, READ_ONCE(sk->sk_err_soft) ? : ETIMEDOUT);
		return;
	}
	XTCP_INC_STATS(sock_net(sk), XTCP_MIB_RTO_EXPIRED);
	xs->retransmits++;
	xtcp_rtt_backoff(&xs->rtt);
	if (xs->snd_una != xs->snd_max) {
		/*
		 * RFC 5681 3.1 timeout: the window falls to one segment and
		 * everything from SND.UNA is sent again as ACKs reopen it
		 * (go-back-N), so several losses in one window cost one
		 * timeout, not one each.  SND.MAX keeps the highest sent.
		 */
		xtcp_conn_cc_timeout(sk);
		xs->send_head = skb_peek(&sk->sk_write_queue);
		xs->snd_nxt = xs->snd_una;
	}
	/*
	 * A closed peer window lets not even the oldest segment through:
	 * it goes anyway, as a zero-window probe.  Otherwise send what the
	 * windows allow, starting again from SND.UNA.
	 */
	if (xs->send_head && xs->snd_nxt == xs->snd_una &&
	    !xtcp_may_send(sk, xs->send_head))
		xtcp_retransmit_head(sk);
	else
		xtcp_push(sk);
	sk_reset_timer(sk, &xs->rtx_timer, jiffies + xtcp_rto(xs));
}

static void xtcp_rtx_timer(struct timer_list *t)
{
	struct xtcp_sock *xs = from_timer(xs, t, rtx_timer);
	struct sock *sk = (struct sock *)xs;

	bh_lock_sock(sk);
	if (sock_owned_by_user(sk))
		sk_reset_timer(sk, &xs->rtx_timer, jiffies + HZ / 50);
	else
		xtcp_rtx_expired(sk);
	bh_unlock_sock(sk);
	sock_put(sk);	/* the pending timer's reference */
}

/**
 * xtcp_init_timers() - set up the timer of a new socket
 * @sk: the socket
 */
void xtcp_init_timers(struct sock *sk)
{
	timer_setup(&xtcp_sk(sk)->rtx_timer, xtcp_rtx_timer, 0);
}
