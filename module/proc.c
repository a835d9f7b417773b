// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: /proc/net/xtcp and /proc/net/xtcp6 (one row per socket, per
 * request in SYN_RCVD and per TIME_WAIT entry: those of IPv4-API sockets
 * in xtcp, of IPv6-API ones in xtcp6, as TCP's tcp and tcp6), and
 * /proc/net/xtcp_stat (counters), in every network namespace.
 *
 * /proc/net/xtcp follows /proc/net/tcp's columns where they exist:
 *   sl             row number
 *   local_address  local IPv4:port, hex, the address as stored (network
 *                  order read as a host word, as /proc/net/tcp prints it);
 *                  in xtcp6 the IPv6 address as four such words (IPv4
 *                  ones v4-mapped), as /proc/net/tcp6 prints it
 *   rem_address    remote address:port, same encoding
 *   st             state number (enum xtcp_state, TCP's numbering)
 *   tx_queue:rx_queue  bytes queued for sending / not yet read
 *   tr:tm->when    1 and the time until the retransmission (or SYN,
 *                  or SYN+ACK) timer fires; 4 (TCP's "probe0") and the
 *                  time until the next zero-window probe while the
 *                  peer's window is closed; else 2 and the time until
 *                  the keepalive timer or an orphan's FIN_WAIT_2 timer
 *                  fires (sk_timer, as TCP's 2); 0:0 when none runs; 3
 *                  and the time until it expires for TIME_WAIT.  Times
 *                  in clock ticks (USER_HZ, sysconf(_SC_CLK_TCK)), as
 *                  /proc/net/tcp prints them
 *   retrnsmt       timeouts of the current segment (of the SYN+ACK for a
 *                  request)
 *   uid            owner's uid
 *   timeout        unanswered probes: zero-window probes while timer 4
 *                  runs, else keepalive probes
 *   inode          the socket's inode, as in /proc/PID/fd links
 * then xtcp's own columns:
 *   state          the state's name
 *   state_ms       milliseconds since the state was entered
 *   cc             a socket's congestion control algorithm ("-" for
 *                  requests and TIME_WAIT entries)
 *   cwnd           its congestion window in segments (0: none)
 *   ssthresh       its slow-start threshold in segments, -1 while still
 *                  unbounded (as /proc/net/tcp prints it)
 *
 * A reading resumes where the previous read() stopped, by a cursor (the
 * row's section, bucket and id), not by counting rows from the start: a
 * row that lives through the whole reading is shown exactly once, and
 * reading N rows costs O(N).  The design is described above
 * xtcp_seq_start() below.
 */
#define pr_fmt(fmt) "xtcp: " fmt

#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/inet_sock.h>

#include "xtcp.h"

const char *const xtcp_mib_names[XTCP_MIB_MAX] = {
	[XTCP_MIB_IN_SEGS]		= "InSegs",
	[XTCP_MIB_IN_HDR_ERRS]		= "InHdrErrors",
	[XTCP_MIB_IN_CSUM_ERRS]		= "InCsumErrors",
	[XTCP_MIB_NO_SOCKET]		= "NoSocket",
	[XTCP_MIB_CURR_SOCKS]		= "CurrSockets",
	[XTCP_MIB_OUT_SEGS]		= "OutSegs",
	[XTCP_MIB_OUT_RUNS]		= "OutRuns",
	[XTCP_MIB_IN_RUNS]		= "InRuns",
	[XTCP_MIB_RETRANS_SEGS]		= "RetransSegs",
	[XTCP_MIB_OUT_RSTS]		= "OutRsts",
	[XTCP_MIB_IN_RSTS]		= "InRsts",
	[XTCP_MIB_ACTIVE_OPENS]		= "ActiveOpens",
	[XTCP_MIB_PASSIVE_OPENS]	= "PassiveOpens",
	[XTCP_MIB_SYN_QUEUE_DROPS]	= "SynQueueDrops",
	[XTCP_MIB_ACCEPT_QUEUE_DROPS]	= "AcceptQueueDrops",
	[XTCP_MIB_OUT_OF_WINDOW]	= "OutOfWindow",
	[XTCP_MIB_BACKLOG_DROPS]	= "BacklogDrops",
	[XTCP_MIB_TIMEOUTS]		= "Timeouts",
	[XTCP_MIB_RCVBUF_DROPS]		= "RcvbufDrops",
	[XTCP_MIB_RTO_EXPIRED]		= "RtoExpired",
	[XTCP_MIB_FAST_RETRANS]		= "FastRetrans",
	[XTCP_MIB_PARTIAL_RETRANS]	= "PartialRetrans",
	[XTCP_MIB_CHALLENGE_ACKS]	= "ChallengeAcks",
	[XTCP_MIB_KEEPALIVE_PROBES]	= "KeepaliveProbes",
	[XTCP_MIB_KEEPALIVE_TIMEOUTS]	= "KeepaliveTimeouts",
	[XTCP_MIB_FIN_WAIT2_TIMEOUTS]	= "FinWait2Timeouts",
	[XTCP_MIB_OOW_ACKS_SKIPPED]	= "OutOfWindowAcksSkipped",
	[XTCP_MIB_WIN_PROBES]		= "WinProbes",
	[XTCP_MIB_WIN_PROBE_TIMEOUTS]	= "WinProbeTimeouts",
	[XTCP_MIB_TW_CREATED]		= "TimeWaitCreated",
	[XTCP_MIB_TW_REAPED]		= "TimeWaitReaped",
	[XTCP_MIB_TW_OVERFLOW]		= "TimeWaitOverflow",
	[XTCP_MIB_TW_KILLED]		= "TimeWaitKilled",
	[XTCP_MIB_TW_FIN_ACKS]		= "TimeWaitFinAcks",
	[XTCP_MIB_TW_RST_IGNORED]	= "TimeWaitRstIgnored",
	[XTCP_MIB_TW_REAPER_RUNS]	= "TimeWaitReaperRuns",
	[XTCP_MIB_CURR_TW]		= "CurrTimeWait",
	[XTCP_MIB_MEMORY_PRESSURES]	= "MemoryPressures",
	[XTCP_MIB_RCV_MEM_DROPS]	= "RcvMemDrops",
	[XTCP_MIB_OFO_PRUNED]		= "OfoPruned",
	[XTCP_MIB_ABORT_ON_MEMORY]	= "AbortOnMemory",
	[XTCP_MIB_TW_RECLAIMED]		= "TimeWaitReclaimed",
	[XTCP_MIB_SYNCOOKIES_SENT]	= "SyncookiesSent",
	[XTCP_MIB_SYNCOOKIES_RECV]	= "SyncookiesRecv",
	[XTCP_MIB_SYNCOOKIES_FAILED]	= "SyncookiesFailed",
	[XTCP_MIB_DELAYED_ACKS]		= "DelayedAcks",
	[XTCP_MIB_QUICK_ACKS]		= "QuickAcks",
	[XTCP_MIB_SACK_RECOVERY]	= "SackRecovery",
	[XTCP_MIB_RACK_LOST]		= "RackLost",
	[XTCP_MIB_SACK_RETRANS]		= "SackRetrans",
	[XTCP_MIB_DSACK_RECV]		= "DsackRecv",
	[XTCP_MIB_DSACK_SENT]		= "DsackSent",
	[XTCP_MIB_REO_TIMEOUTS]		= "ReoTimeouts",
	[XTCP_MIB_TLP_PROBES]		= "TlpProbes",
	[XTCP_MIB_TLP_RECOVERY]		= "TlpRecovery",
	[XTCP_MIB_SACK_RENEGING]	= "SackReneging",
	[XTCP_MIB_PAWS_DROP]		= "PawsDrop",
	[XTCP_MIB_DSACK_UNDO]		= "DsackUndo",
	[XTCP_MIB_EIFEL_UNDO]		= "EifelUndo",
	[XTCP_MIB_TIMERS_DEFERRED]	= "TimersDeferred",
	[XTCP_MIB_PMTU_SHRUNK]		= "PmtuShrunk",
	[XTCP_MIB_OUT_OF_WINDOW_ICMPS]	= "OutOfWindowIcmps",
	[XTCP_MIB_TIMEOUT_REHASH]	= "TimeoutRehash",
	[XTCP_MIB_ICMP_ABORTS]		= "IcmpAborts",
	[XTCP_MIB_RTO_REVERTS]		= "RtoReverts",
	[XTCP_MIB_LOCK_DROPPED_ICMPS]	= "LockDroppedIcmps",
};

/*
 * The iterator.  Rows are the namespace's sockets, then its requests in
 * SYN_RCVD, then its TIME_WAIT entries: three sections, each an array of
 * hlist buckets (xtcp_net.socks, .rqhash and .twhash), shown bucket by
 * bucket.  Every row has a 64-bit id, unique in its section and never
 * reused, given by a per-namespace counter under the lock that links the
 * row (xtcp_net.lock for sockets, .hash_lock for requests and TIME_WAIT
 * entries), and enters its bucket at the head and never moves in it: a
 * bucket is in decreasing id order.  (xtcp_tw_restart() moves entries on
 * tw_death, which is why TIME_WAIT rows are read from twhash instead.)
 * So (section, bucket, -id) orders all rows, and new rows only ever take
 * a place before every row already in their bucket.
 *
 * The iterator state (struct xtcp_seq_state) remembers the key of the
 * row at position @pos: the next one to show.  seq_read() stops a chunk
 * after next() has moved to a row it did not show (or to the end), and
 * asks for that position again with the next read(); start() then
 * resumes at the first row at or after the remembered key, walking only
 * the rest of that bucket.  Reading N rows thus costs O(N) in all plus
 * O(bucket) per chunk, whatever the read sizes.  Only a start() at
 * another position (lseek, pread) walks from the beginning, as
 * tcp_seek_last_pos() does for /proc/net/tcp.
 *
 * Guarantee: a row that exists from open() to end of file is shown
 * exactly once: keys only increase from row to row within one reading,
 * and each step goes to the smallest key present above (or, on resume,
 * at) the bound.  Rows that come or go meanwhile may or may not show;
 * none is shown twice, and the "sl" column counts rows as they are shown.
 *
 * Locking: start() takes xtcp_net.lock and then .hash_lock (the order
 * xtcp.h documents), both with BH off, and stop() drops them: they are
 * held while one chunk of the seq_file buffer is filled, never across
 * read() calls.  A row is unlinked under one of them before it is freed,
 * so what the iterator touches cannot go away while it looks.
 */
enum { ROWS_SOCKS, ROWS_REQS, ROWS_TW, ROWS_END };

static unsigned int xtcp_rows_buckets(const struct xtcp_net *xn, int section)
{
	if (section == ROWS_SOCKS)
		return XTCP_SOCK_BUCKETS;
	return xn->ehash_mask + 1;	/* rqhash's and twhash's */
}

/**
 * struct xtcp_seq_state - /proc/net/xtcp's reader state
 * @p: the namespace, for seq_file_net(); must be first
 * @num: the "sl" number of the current row
 * @section: ROWS_*: the section of the row at @pos (ROWS_END: past the end)
 * @bucket: the bucket of that row in its section
 * @id: that row's id
 * @pos: the seq_file position the cursor describes (0: no cursor yet)
 * @v6: the file is xtcp6: rows of IPv6-API sockets, else of IPv4-API ones
 */
struct xtcp_seq_state {
	struct seq_net_private p;
	bool v6;
	int num;
	int section;
	unsigned int bucket;
	u64 id;
	loff_t pos;
};

static struct hlist_head *xtcp_rows_head(struct xtcp_net *xn, int section,
					 unsigned int bucket)
{
	if (section == ROWS_SOCKS)
		return &xn->socks[bucket];
	if (section == ROWS_REQS)
		return &xn->rqhash[bucket];
	return &xn->twhash[bucket];
}

static u64 xtcp_row_id(int section, struct hlist_node *node)
{
	if (section == ROWS_SOCKS)
		return hlist_entry(node, struct xtcp_sock, xs_node)->xs_id;
	if (section == ROWS_REQS)
		return hlist_entry(node, struct xtcp_request, hash_node)->id;
	return hlist_entry(node, struct xtcp_tw, hash_node)->id;
}

/* Does the row at @node belong in this file (xtcp or xtcp6)? */
static bool xtcp_row_shown(const struct seq_file *seq, int section,
			   struct hlist_node *node)
{
	const struct xtcp_seq_state *st = seq->private;
	bool v6;

	if (section == ROWS_SOCKS)
		/* may turn true meanwhile (proto.c): a row moves file */
		v6 = READ_ONCE(hlist_entry(node, struct xtcp_sock,
					   xs_node)->v6_api);
	else if (section == ROWS_REQS)
		v6 = xtcp_sk(hlist_entry(node, struct xtcp_request,
					 hash_node)->listener)->v6_api;
	else
		v6 = hlist_entry(node, struct xtcp_tw, hash_node)->v6_api;
	return v6 == st->v6;
}

/*
 * The first row of this file at or after bucket @bucket of @section
 * whose id, in that first bucket, is at most @max_id; the cursor is set
 * to it (or to the end).  Caller holds both locks.
 */
static struct hlist_node *xtcp_rows_seek(struct seq_file *seq, int section,
					 unsigned int bucket, u64 max_id)
{
	struct xtcp_net *xn = xtcp_pernet(seq_file_net(seq));
	struct xtcp_seq_state *st = seq->private;
	struct hlist_node *node;

	for (; section < ROWS_END; section++, bucket = 0) {
		for (; bucket < xtcp_rows_buckets(xn, section); bucket++) {
			hlist_for_each(node, xtcp_rows_head(xn, section, bucket)) {
				u64 id = xtcp_row_id(section, node);

				if (id <= max_id &&
				    xtcp_row_shown(seq, section, node)) {
					st->section = section;
					st->bucket = bucket;
					st->id = id;
					return node;
				}
			}
			max_id = U64_MAX;
		}
	}
	st->section = ROWS_END;
	return NULL;
}

/* The row after @node, the cursor set to it.  Caller holds both locks. */
static struct hlist_node *xtcp_rows_next(struct seq_file *seq,
					 struct hlist_node *node)
{
	struct xtcp_seq_state *st = seq->private;

	node = node->next;
	while (node && !xtcp_row_shown(seq, st->section, node))
		node = node->next;
	if (node) {
		st->id = xtcp_row_id(st->section, node);
		return node;
	}
	return xtcp_rows_seek(seq, st->section, st->bucket + 1, U64_MAX);
}

static void *xtcp_seq_start(struct seq_file *seq, loff_t *pos)
	__acquires(&xn->lock) __acquires(&xn->hash_lock)
{
	struct xtcp_net *xn = xtcp_pernet(seq_file_net(seq));
	struct xtcp_seq_state *st = seq->private;
	struct hlist_node *node;
	loff_t i;

	spin_lock_bh(&xn->lock);
	spin_lock(&xn->hash_lock);
	if (!*pos)
		return SEQ_START_TOKEN;
	st->num = *pos - 1;
	if (*pos == st->pos) {
		/* the next chunk of the same reading: resume */
		if (st->section == ROWS_END)
			return NULL;
		return xtcp_rows_seek(seq, st->section, st->bucket, st->id);
	}
	/* lseek or pread elsewhere: walk from the first row */
	node = xtcp_rows_seek(seq, ROWS_SOCKS, 0, U64_MAX);
	for (i = 1; i < *pos && node; i++)
		node = xtcp_rows_next(seq, node);
	st->pos = *pos;
	return node;
}

static void *xtcp_seq_next(struct seq_file *seq, void *v, loff_t *pos)
{
	struct xtcp_seq_state *st = seq->private;
	struct hlist_node *node;

	++*pos;
	if (v == SEQ_START_TOKEN) {
		st->num = 0;
		node = xtcp_rows_seek(seq, ROWS_SOCKS, 0, U64_MAX);
	} else {
		st->num++;
		node = xtcp_rows_next(seq, v);
	}
	st->pos = *pos;
	return node;
}

static void xtcp_seq_stop(struct seq_file *seq, void *v)
	__releases(&xn->hash_lock) __releases(&xn->lock)
{
	struct xtcp_net *xn = xtcp_pernet(seq_file_net(seq));

	spin_unlock(&xn->hash_lock);
	spin_unlock_bh(&xn->lock);
}

/* Bytes, as /proc/net/tcp: unacknowledged and unread (listeners: queues). */
static u32 xtcp_tx_queue(struct sock *sk, int state)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (state == XTCP_LISTEN || state == XTCP_CLOSE)
		return 0;
	return READ_ONCE(xs->write_seq) - READ_ONCE(xs->snd_una);
}

static u32 xtcp_rx_queue(struct sock *sk, int state)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	s32 n;

	if (state == XTCP_LISTEN)
		return READ_ONCE(sk->sk_ack_backlog);
	if (state == XTCP_CLOSE || state == XTCP_SYN_SENT)
		return 0;
	n = READ_ONCE(xs->rcv_nxt) - READ_ONCE(xs->copied_seq);
	return n > 0 ? n : 0;
}

/* One address:port column, in this file's encoding. */
static void xtcp_seq_addr(struct seq_file *seq, const struct in6_addr *a,
			  __be16 port)
{
	const struct xtcp_seq_state *st = seq->private;

	if (st->v6)
		seq_printf(seq, "%08X%08X%08X%08X:%04X",
			   (__force u32)a->s6_addr32[0],
			   (__force u32)a->s6_addr32[1],
			   (__force u32)a->s6_addr32[2],
			   (__force u32)a->s6_addr32[3], ntohs(port));
	else
		seq_printf(seq, "%08X:%04X",
			   (__force u32)xtcp_addr_v4_of(a), ntohs(port));
}

/* A row's start: "sl: local remote " */
static void xtcp_seq_row(struct seq_file *seq, const struct in6_addr *laddr,
			 __be16 lport, const struct in6_addr *raddr,
			 __be16 rport)
{
	const struct xtcp_seq_state *st = seq->private;

	seq_printf(seq, "%4d: ", st->num);
	xtcp_seq_addr(seq, laddr, lport);
	seq_putc(seq, ' ');
	xtcp_seq_addr(seq, raddr, rport);
	seq_putc(seq, ' ');
}

/*
 * A request: /proc/net/tcp's layout for SYN_RECV (timer 1, its retries,
 * the listener's uid, no inode).
 */
static void xtcp_seq_show_req(struct seq_file *seq,
			      const struct xtcp_request *req)
{
	long when = READ_ONCE(req->timer.expires) - jiffies;

	xtcp_seq_row(seq, &req->laddr, req->lport, &req->raddr, req->rport);
	seq_printf(seq, "%02X %08X:%08X %02X:%08lX %08X %5u %8d %-8lu %-11s %u - 0 -1\n",
		   XTCP_SYN_RECV, 0, 0,
		   1, jiffies_delta_to_clock_t(when), READ_ONCE(req->retries),
		   from_kuid_munged(seq_user_ns(seq), req->listener->sk_uid),
		   0, 0UL, xtcp_state_name(XTCP_SYN_RECV),
		   jiffies_to_msecs(jiffies - req->born));
}

/*
 * A TIME_WAIT entry: /proc/net/tcp's layout for TIME_WAIT (timer 3 with
 * the time left, no queues, uid and inode 0).
 */
static void xtcp_seq_show_tw(struct seq_file *seq, const struct xtcp_tw *tw)
{
	struct xtcp_net *xn = xtcp_pernet(seq_file_net(seq));
	unsigned long since = READ_ONCE(tw->since);
	long left = since + 2 * msecs_to_jiffies(READ_ONCE(xn->sysctl.msl_ms)) -
		    jiffies;

	xtcp_seq_row(seq, &tw->laddr, tw->lport, &tw->raddr, tw->rport);
	seq_printf(seq, "%02X %08X:%08X %02X:%08lX %08X %5u %8d %-8lu %-11s %u - 0 -1\n",
		   XTCP_TIME_WAIT, 0, 0,
		   3, jiffies_delta_to_clock_t(left), 0,
		   0, 0, 0UL, xtcp_state_name(XTCP_TIME_WAIT),
		   jiffies_to_msecs(jiffies - since));
}

static int xtcp_seq_show(struct seq_file *seq, void *v)
{
	struct xtcp_seq_state *st = seq->private;
	const struct inet_sock *inet;
	unsigned long timer_expires;
	struct sock *sk;
	int state, timer_active;
	u32 mss, ssthresh;
	int probes;
	bool persist;

	if (v == SEQ_START_TOKEN) {
		if (st->v6)
			seq_puts(seq, "  sl  local_address                         remote_address                        ");
		else
			seq_puts(seq, "  sl  local_address rem_address   ");
		seq_puts(seq, "st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode    state       state_ms cc cwnd ssthresh\n");
		return 0;
	}
	if (st->section == ROWS_REQS) {
		xtcp_seq_show_req(seq, hlist_entry(v, struct xtcp_request, hash_node));
		return 0;
	}
	if (st->section == ROWS_TW) {
		xtcp_seq_show_tw(seq, hlist_entry(v, struct xtcp_tw, hash_node));
		return 0;
	}
	sk = (struct sock *)hlist_entry(v, struct xtcp_sock, xs_node);
	inet = inet_sk(sk);
	state = inet_sk_state_load(sk);
	timer_expires = READ_ONCE(xtcp_sk(sk)->rtx_timer.expires);
	timer_active = timer_pending(&xtcp_sk(sk)->rtx_timer) ? 1 : 0;
	/* read without the socket lock, as the rest of the row */
	persist = READ_ONCE(xtcp_sk(sk)->persist.active);
	probes = persist ? READ_ONCE(xtcp_sk(sk)->persist.unanswered) :
			   READ_ONCE(xtcp_sk(sk)->probes_out);
	if (timer_active && persist)
		timer_active = 4;
	if (!timer_active && timer_pending(&sk->sk_timer)) {
		timer_active = 2;
		timer_expires = READ_ONCE(sk->sk_timer.expires);
	}
	mss = max_t(u32, READ_ONCE(xtcp_sk(sk)->cc.mss), 1);
	ssthresh = READ_ONCE(xtcp_sk(sk)->cc.ssthresh);
	xtcp_seq_row(seq, &sk->sk_v6_rcv_saddr, inet->inet_sport,
		     &sk->sk_v6_daddr, inet->inet_dport);
	seq_printf(seq, "%02X %08X:%08X %02X:%08lX %08X %5u %8d %-8lu %-11s %u %s %u %d\n",
		   state, xtcp_tx_queue(sk, state), xtcp_rx_queue(sk, state),
		   timer_active, timer_active ?
		   jiffies_delta_to_clock_t(timer_expires - jiffies) : 0L,
		   READ_ONCE(xtcp_sk(sk)->retransmits),
		   from_kuid_munged(seq_user_ns(seq), sk->sk_uid),
		   probes, __sock_i_ino(sk), xtcp_state_name(state),
		   jiffies_to_msecs(jiffies - xtcp_sk(sk)->xs_state_since),
		   READ_ONCE(xtcp_sk(sk)->cc.algo)->name,
		   READ_ONCE(xtcp_sk(sk)->cc.cwnd) / mss,
		   ssthresh >= XTCP_CC_MAX_WINDOW ? -1 : (int)(ssthresh / mss));
	return 0;
}

static void *xtcp4_seq_start(struct seq_file *seq, loff_t *pos)
	__acquires(&xn->lock) __acquires(&xn->hash_lock)
{
	((struct xtcp_seq_state *)seq->private)->v6 = false;
	return xtcp_seq_start(seq, pos);
}

static void *xtcp6_seq_start(struct seq_file *seq, loff_t *pos)
	__acquires(&xn->lock) __acquires(&xn->hash_lock)
{
	((struct xtcp_seq_state *)seq->private)->v6 = true;
	return xtcp_seq_start(seq, pos);
}

static const struct seq_operations xtcp_seq_ops = {
	.start	= xtcp4_seq_start,
	.next	= xtcp_seq_next,
	.stop	= xtcp_seq_stop,
	.show	= xtcp_seq_show,
};

static const struct seq_operations xtcp6_seq_ops = {
	.start	= xtcp6_seq_start,
	.next	= xtcp_seq_next,
	.stop	= xtcp_seq_stop,
	.show	= xtcp_seq_show,
};

static int xtcp_stat_show(struct seq_file *seq, void *v)
{
	/* a single_open file: the net is not behind a seq_net_private */
	struct xtcp_net *xn = xtcp_pernet(seq_file_single_net(seq));
	int i;

	for (i = 0; i < XTCP_MIB_MAX; i++)
		seq_printf(seq, "%s %ld\n", xtcp_mib_names[i],
			   atomic_long_read(&xn->mib[i]));
	/* what one connection costs, as a socket and in TIME_WAIT */
	seq_printf(seq, "SockObjectSize %u\n", kmem_cache_size(xtcp_prot.slab));
	seq_printf(seq, "TwObjectSize %u\n", kmem_cache_size(xtcp_tw_cachep));
	/* machine-wide, the same in every namespace (mem.c) */
	seq_printf(seq, "MemoryPages %ld\n", xtcp_mem_pages());
	seq_printf(seq, "MemoryPressure %d\n", xtcp_mem_pressure());
	seq_printf(seq, "Sockets %ld\n", xtcp_sockets_count());
	seq_printf(seq, "Orphans %ld\n", xtcp_orphans_count());
	return 0;
}

/*
 * /proc/net/xtcp_trans: the namespace's transition matrix, one edge a
 * line, "FROM TO COUNT" with the state names of xtcp_state_name().  Every
 * legal edge of the diagram (xtcp_edge_legal()) is listed, taken or not;
 * an edge the diagram does not have only when it was taken (a bug).
 */
static int xtcp_trans_show(struct seq_file *seq, void *v)
{
	struct xtcp_net *xn = xtcp_pernet(seq_file_single_net(seq));
	int from, to;
	long n;

	for (from = XTCP_ESTABLISHED; from < XTCP_MAX_STATES; from++) {
		for (to = XTCP_ESTABLISHED; to < XTCP_MAX_STATES; to++) {
			n = atomic_long_read(&xn->trans[from][to]);
			if (!n && !xtcp_edge_legal(from, to))
				continue;
			seq_printf(seq, "%s %s %ld\n", xtcp_state_name(from),
				   xtcp_state_name(to), n);
		}
	}
	return 0;
}

/**
 * xtcp_proc_init_net() - create /proc/net/xtcp, xtcp6, xtcp_stat, xtcp_trans
 * @net: the namespace being set up
 *
 * Return: 0 or -ENOMEM.
 */
int xtcp_proc_init_net(struct net *net)
{
	if (!proc_create_net("xtcp", 0444, net->proc_net, &xtcp_seq_ops,
			     sizeof(struct xtcp_seq_state)))
		return -ENOMEM;
	if (!proc_create_net("xtcp6", 0444, net->proc_net, &xtcp6_seq_ops,
			     sizeof(struct xtcp_seq_state)))
		goto err_xtcp6;
	if (!proc_create_net_single("xtcp_stat", 0444, net->proc_net,
				    xtcp_stat_show, NULL))
		goto err_stat;
	if (!proc_create_net_single("xtcp_trans", 0444, net->proc_net,
				    xtcp_trans_show, NULL))
		goto err_trans;
	return 0;

err_trans:
	remove_proc_entry("xtcp_stat", net->proc_net);
err_stat:
	remove_proc_entry("xtcp6", net->proc_net);
err_xtcp6:
	remove_proc_entry("xtcp", net->proc_net);
	return -ENOMEM;
}

/**
 * xtcp_proc_exit_net() - remove the namespace's xtcp /proc files
 * @net: the namespace going away
 */
void xtcp_proc_exit_net(struct net *net)
{
	remove_proc_entry("xtcp_trans", net->proc_net);
	remove_proc_entry("xtcp_stat", net->proc_net);
	remove_proc_entry("xtcp6", net->proc_net);
	remove_proc_entry("xtcp", net->proc_net);
}
