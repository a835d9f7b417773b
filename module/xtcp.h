/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xtcp: definitions shared by the module's files.
 *
 * File map (one concern a file, after net/dccp):
 *   af_xtcp.c  module init/exit, parameters, the socket family
 *   ipv4.c     the IP protocol handler: receive entry point, validation;
 *              ICMP errors of either IP version (path MTU, unreachables)
 *   ipv6.c     the same on IPv6's receive path; ICMPv6 errors decoded
 *   netns.c    per-network-namespace state: setup and teardown, the
 *              socket and request lists /proc reads
 *   hash.c     the lookup tables: ports (bind, ephemeral choice),
 *              connections, requests, TIME_WAIT entries by tuple,
 *              listeners by port
 *   proto.c    a socket's life: state changes, setup, destructor, its
 *              operations (bind ... close), proto_ops, struct proto
 *   input.c    the state machine on receive, ACKs, reassembly
 *   output.c   building and sending segments, the write queue
 *   offload.c  GSO and GRO of runs (one skb of many segments)
 *   timer.c    retransmission/probe, keepalive/FIN_WAIT_2, delayed-ACK
 *              and cork timers (RACK's reorder timer is recovery.c's)
 *   recovery.c the SACK sender: scoreboard, RACK marking, tail loss
 *              probes, resending what is lost
 *   minisocks.c  requests (SYN_RCVD), and TIME_WAIT entries' whole
 *              life: made, found, restarted, reaped, purged, freed
 *   syncookies.c  SYN cookies: connections without a request (RFC 4987)
 *   sysctl.c   per-namespace tunables, /proc/sys/net/xtcp
 *   mem.c      the machine-wide memory budget (net.xtcp.mem), orphans
 *   fault.c    xtcp_fault.ko, a module of its own for the tests:
 *              /proc/net/xtcp_fault, netfilter fault injection (fault.h)
 *   proc.c     /proc/net/xtcp, xtcp6, xtcp_stat and xtcp_trans
 *   trace.c    the xtcp:* tracepoints (trace.h)
 *   core.c, cc.c, cc_newreno.c, cc_cubic.c, sack.c
 *              the protocol core: wire format, sequence arithmetic, the
 *              state table, RTO, congestion control, SACK blocks and
 *              RACK; kernel-free, also built into the user-space tests
 *   compat.h   the differences between the kernels xtcp supports
 *   kunit.c, kunit.h  only with XTCP_KUNIT=1 (make kunit): segments sent
 *              go to the running KUnit test, not IP; tests/ holds the
 *              suites, a module of their own (xtcp_kunit.ko)
 */
#ifndef _XTCP_H
#define _XTCP_H

#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/list.h>
#include <linux/list_nulls.h>
#include <linux/spinlock.h>
#include <linux/in_route.h>
#include <linux/ip.h>
#include <net/inet_connection_sock.h>
#include <net/ipv6.h>
#include <net/transp_v6.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include "cc.h"
#include "compat.h"
#include "core.h"
#include "sack.h"

/* Module parameters, fixed for the module's lifetime (af_xtcp.c). */
extern int xtcp_family;
extern int xtcp_ipproto;

/* Per-segment control block, in skb->cb while xtcp owns the skb. */
struct xtcp_skb_cb {
	u32 seq;		/* first sequence number */
	u32 end_seq;		/* seq + payload + SYN + FIN */
	u32 ack;
	u8 flags;		/* XTCP_SYN, ... */
	u8 wscale;
	bool has_wscale;
	bool retransmitted;	/* sent more than once: no RTT sample (Karn) */
	bool charged;		/* write queue: charged to the memory budget */
	bool eor;		/* write queue: ends a MSG_EOR write, add nothing */
	u16 window;
	u16 mss;
	u16 sport;		/* received segments: ports, host order */
	u16 dport;
	u8 hlen;		/* received segments: header length, options in */
	bool sack_perm;		/* received SYNs: SACK-permitted was offered */
	bool sacked;		/* write queue: the peer SACKed all of it */
	bool lost;		/* write queue: marked lost (RACK, a timeout) */
	bool rexmit;		/* write queue: lost and resent since, in flight */
	bool has_ts;		/* received segments: the timestamps option */
	union {
		struct {	/* write queue */
			u64 sent_us;	/* xtcp_clock_us() of the last send */
			u32 resent_after_us;	/* last send less first, us */
		};
		struct {	/* received segments, with has_ts */
			u32 tsval;
			u32 tsecr;
		};
	};
};

#define XTCP_SKB_CB(skb)	((struct xtcp_skb_cb *)&((skb)->cb[0]))

/* The skb after @skb on the write queue, NULL at its end. */
static inline struct sk_buff *xtcp_wq_next(struct sock *sk,
					   struct sk_buff *skb)
{
	return skb_queue_is_last(&sk->sk_write_queue, skb) ? NULL :
	       skb_queue_next(&sk->sk_write_queue, skb);
}

/*
 * A new write-queue skb: its sequence range and flags, every mark clear
 * (not sent, not SACKed, not lost).  xtcp_wmem_queue() sets ->charged.
 */
static inline void xtcp_wq_cb_init(struct sk_buff *skb, u32 seq, u32 end_seq,
				   u8 flags)
{
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);

	BUILD_BUG_ON(sizeof(*cb) > sizeof(skb->cb));
	memset(cb, 0, sizeof(*cb));
	cb->seq = seq;
	cb->end_seq = end_seq;
	cb->flags = flags;
}

/*
 * The clock segments are timed by for RTT samples, microseconds (TCP's
 * tcp_clock_us()): jiffies would read every loopback round trip as 0 and
 * every LAN one as a jiffy, too coarse for HyStart++ (cc_cubic.c).
 */
static inline u64 xtcp_clock_us(void)
{
	return div_u64(ktime_get_ns(), NSEC_PER_USEC);
}

/*
 * Timestamps (RFC 7323): a millisecond clock, as TCP's, plus the
 * connection's offset.  On every segment of a connection that has them
 * they take XTCP_TS_LEN bytes of header (NOP, NOP, kind, length, TSval,
 * TSecr), which the payload gives up: the MSS counts no options.
 */
#define XTCP_TS_LEN		12

static inline u32 xtcp_ts_now(u32 off)
{
	return (u32)div_u64(ktime_get_ns(), NSEC_PER_MSEC) + off;
}

/* The payload per segment once timestamps take their share of @mss. */
static inline u16 xtcp_ts_mss(u16 mss)
{
	return mss > XTCP_TS_LEN ? mss - XTCP_TS_LEN : 1;
}

/* The segments a write-queue skb leaves as: one, or a run's (offload.c). */
static inline u32 xtcp_skb_segs(const struct sk_buff *skb, u32 mss)
{
	return skb->len > mss ? DIV_ROUND_UP(skb->len, mss) : 1;
}

/**
 * struct xtcp_request - a connection in SYN_RCVD, before it has a socket
 * @node: link in the listener's SYN queue
 * @hash_node: link in its namespace's request table (struct
 *	xtcp_net.rqhash, hash.c), by four-tuple: the receive path finds it
 *	there under RCU, as it finds connections
 * @refcnt: one reference for being on the SYN queue (its timer's, until
 *	the request is dropped and the timer let go of it: minisocks.c), one
 *	for each receiver that found it in the table (xtcp_req_put())
 * @rcu: freed a grace period after its last reference
 * @listener: the listening socket; the request holds a reference on it
 * @timer: SYN+ACK retransmission timer
 * @laddr: local address (v4-mapped for IPv4, as a socket's)
 * @raddr: remote address, likewise
 * @lport: local port
 * @rport: remote port
 * @iif: the interface the connection is bound to (xtcp_req_iif())
 * @txhash: the connection's flow hash, random as TCP's: the SYN+ACK's (its
 *	IPv6 flow label comes from it), then the new socket's sk_txhash
 * @tos: the SYN+ACK's TOS (IPv4) or traffic class (IPv6): the listener's
 *	IP_TOS or IPV6_TCLASS, ECN bits clear
 * @ttl: the SYN+ACK's TTL or hop limit: the listener's IP_TTL or
 *	IPV6_UNICAST_HOPS (-1: the route's)
 * @autolabel: an IPv6 SYN+ACK carries a flow label (the listener's
 *	IPV6_AUTOFLOWLABEL, else net.ipv6.auto_flowlabels)
 * @iss: our initial sequence number
 * @irs: the peer's initial sequence number
 * @mss: the peer's MSS option (0: none)
 * @advmss: the MSS we announce
 * @rcv_wnd: the window our SYN+ACK offers (xtcp_req_offer())
 * @snd_wnd: the peer's window, bytes: from its SYN (never scaled), or,
 *	for a connection rebuilt from a SYN cookie, from its ACK, scaled
 * @snd_wscale: the peer's window-scale shift, with @has_wscale
 * @has_wscale: the peer's SYN had the window-scale option
 * @rcv_wscale: our window-scale shift, the listener's, sent with
 *	@has_wscale only
 * @retries: SYN+ACKs sent beyond the first
 * @sack_ok: the peer's SYN offered SACK and net.xtcp.sack is on: the
 *	SYN+ACK offers it back and the connection uses it
 * @ts_ok: the peer's SYN had timestamps and net.xtcp.timestamps is on:
 *	the SYN+ACK has them and the connection uses them
 * @ts_recent: the TSval of the peer's SYN, which the SYN+ACK echoes
 * @ts_off: what our timestamps add to the clock (xtcp_ts_off())
 * @no_rtt: the handshake gives no RTT sample: a SYN+ACK went again for
 *	the peer's resent SYN (ambiguous, Karn, as are @retries), or the
 *	request is rebuilt from a SYN cookie (no send time kept)
 * @acked: the peer's ACK came without data, held back (TCP_DEFER_ACCEPT)
 * @dead: set (under the listener lock) when the listener lets go of it
 * @born: jiffies at creation
 * @born_us: xtcp_clock_us() at creation, when the SYN+ACK first left (the
 *	handshake's RTT sample)
 * @id: its row number in /proc/net/xtcp's order, given under
 *	xtcp_net.hash_lock as it enters the request table (xtcp_req_hash())
 *
 * Lives on the listener's SYN queue, protected by the listener's socket
 * lock; its timer takes that lock too.  A receiver holding a reference
 * reads only @listener and the four-tuple before it takes that lock, and
 * checks @dead under it.  /proc/net/xtcp reads it under hash_lock only
 * (proc.c): the fields that never change, and @retries and the timer's
 * expiry with READ_ONCE().
 */
struct xtcp_request {
	struct list_head node;
	struct hlist_node hash_node;
	refcount_t refcnt;
	struct rcu_head rcu;
	struct list_head defer_node;	/* on the listener's req_deferred */
	struct sock *listener;
	struct timer_list timer;
	struct in6_addr laddr;
	struct in6_addr raddr;
	__be16 lport;
	__be16 rport;
	int iif;
	u32 txhash;
	u8 tos;
	s16 ttl;
	bool autolabel;
	u32 iss;
	u32 irs;
	u16 mss;
	u16 advmss;
	u16 rcv_wnd;
	u32 snd_wnd;
	u8 snd_wscale;
	bool has_wscale;
	u8 rcv_wscale;
	u8 retries;
	bool sack_ok;
	bool ts_ok;
	u32 ts_recent;
	u32 ts_off;
	bool no_rtt;
	bool acked;
	bool dead;
	unsigned long born;
	u64 born_us;
	u64 id;
};

/* Sets of connection states, for tests such as XTCPF(state) & XTCPF_SENDING */
#define XTCPF(s)	(1 << (s))
/* the states in which segments of ours (data, a FIN) can be in flight */
#define XTCPF_SENDING	(XTCPF(XTCP_ESTABLISHED) | XTCPF(XTCP_CLOSE_WAIT) | \
			 XTCPF(XTCP_FIN_WAIT1) | XTCPF(XTCP_FIN_WAIT2) | \
			 XTCPF(XTCP_CLOSING) | XTCPF(XTCP_LAST_ACK))
/* the handshake's states: the connection is still being opened */
#define XTCPF_OPENING	(XTCPF(XTCP_SYN_SENT) | XTCPF(XTCP_SYN_RECV))
/* the states in which data may still arrive from the peer */
#define XTCPF_SYNCED	(XTCPF(XTCP_ESTABLISHED) | XTCPF(XTCP_FIN_WAIT1) | \
			 XTCPF(XTCP_FIN_WAIT2) | XTCPF(XTCP_CLOSE_WAIT) | \
			 XTCPF(XTCP_CLOSING) | XTCPF(XTCP_LAST_ACK) | \
			 XTCPF(XTCP_SYN_RECV))

/* struct xtcp_sock.xs_table: the lookup table a socket is in (hash.c) */
enum {
	XTCP_TABLE_NONE,
	XTCP_TABLE_LISTEN,
	XTCP_TABLE_EHASH,
};

/* one local port's bindings: sockets and TIME_WAIT entries (hash.c) */
struct xtcp_bind_bucket;

/**
 * struct xtcp_tw - a connection in TIME_WAIT, without its socket
 * @hash_node: link in the namespace's TIME_WAIT table, by four-tuple
 * @bind_node: link in its port's bind bucket (@bb), with the sockets that
 *	share the port
 * @bb: the bind bucket of its local port, the socket's before it; the
 *	entry keeps the port as the socket did
 * @death_node: link in the namespace's reaping list, oldest @since first
 * @refcnt: one for being linked (the links come and go together, under
 *	xtcp_net.hash_lock), one for each receiver using it; a
 *	receiver finds the entry under RCU and takes its reference only if
 *	the count is not zero yet
 * @rcu: the entry is freed a grace period after its last reference, so
 *	that a receiver still walking its table chain may read it
 * @laddr: local address, v4-mapped for IPv4 (as a socket's, see
 *	xtcp_set_laddr())
 * @raddr: remote address, likewise
 * @lport: local port
 * @rport: remote port
 * @snd_nxt: our sequence number after our FIN
 * @rcv_nxt: the peer's sequence number after its FIN
 * @window: the window field of our ACKs (already scaled down)
 * @ts_ok: the connection used timestamps: our ACKs carry them, and a
 *	SYN may reopen the tuple by timestamp (RFC 6191)
 * @ts_recent: the peer's last TSval (TS.Recent)
 * @ts_off: what our timestamps add to the clock
 * @reuse: the socket had SO_REUSEADDR (bind() over this entry)
 * @reuseport: the socket had SO_REUSEPORT (bind() over this entry)
 * @v6only: the socket had IPV6_V6ONLY (bind() over this entry)
 * @v6_api: the socket spoke the IPv6 API (/proc/net/xtcp6 shows the entry)
 * @bound_dev_if: the socket's SO_BINDTODEVICE
 * @txhash: the socket's flow hash: its ACKs keep the connection's IPv6
 *	flow label
 * @tos: the socket's TOS or traffic class, for its ACKs
 * @autolabel: the socket's IPv6 segments carried a flow label
 * @since: jiffies when TIME_WAIT began or last restarted; it ends 2*MSL
 *	later, with the MSL the namespace has when the reaper looks
 * @oow_stamp: jiffies of the last rate-limited ACK (0: none yet)
 * @id: its row number in /proc/net/xtcp's order, given under
 *	xtcp_net.hash_lock when it is hashed (xtcp_tw_hash_swap())
 *
 * What TIME_WAIT needs and nothing else: the full socket, its buffers and
 * timers are freed when the connection enters TIME_WAIT.  An entry holds
 * no reference on its namespace or on the module: namespace exit (and so
 * module unload) frees whatever is left.
 */
struct xtcp_tw {
	struct hlist_node hash_node;
	struct hlist_node bind_node;
	struct xtcp_bind_bucket *bb;
	struct list_head death_node;
	refcount_t refcnt;
	struct rcu_head rcu;
	struct in6_addr laddr;
	struct in6_addr raddr;
	__be16 lport;
	__be16 rport;
	u32 snd_nxt;
	u32 rcv_nxt;
	u16 window;
	bool ts_ok;
	u32 ts_recent;
	u32 ts_off;
	bool reuse;
	bool reuseport;
	bool v6only;
	bool v6_api;
	int bound_dev_if;
	u32 txhash;
	u8 tos;
	bool autolabel;
	unsigned long since;
	unsigned long oow_stamp;
	u64 id;
};

/**
 * struct xtcp_sock - an xtcp socket
 * @xs_icsk: the inet connection socket this one extends; must come first
 * @xs_node: link in the namespace's socket list (struct xtcp_net.socks)
 * @xs_id: its row number in /proc/net/xtcp's order, given under
 *	xtcp_net.lock when it is listed (xtcp_sock_link())
 * @xs_bind_node: link in its port's bind bucket (@xs_bb), while bound
 * @xs_bb: the bind bucket of its local port, while bound (hash.c)
 * @xs_table: which lookup table the socket's sk_nulls_node links it into:
 *	XTCP_TABLE_LISTEN (the listener table, while in LISTEN),
 *	XTCP_TABLE_EHASH (the connection table, while it has a peer, SYN_SENT
 *	onwards) or XTCP_TABLE_NONE; a socket is never in both.  Changed
 *	under xtcp_net.hash_lock.  The link is struct sock's own nulls node,
 *	as TCP's: the one field a reused socket keeps (SLAB_TYPESAFE_BY_RCU,
 *	see hash.c), so that a lock-free reader still on it walks on.
 * @xs_state_since: jiffies when sk_state last changed
 * @snd_una: oldest unacknowledged sequence number
 * @snd_nxt: next sequence number to send
 * @snd_max: one past the highest sequence number ever sent (SND.NXT
 *	goes back to SND.UNA after a timeout, go-back-N; this does not)
 * @snd_sml: end of the last new segment sent shorter than the MSS
 *	(Nagle's algorithm, Minshall's variant: xtcp_nagle_hold())
 * @write_seq: sequence number after the last byte queued by the owner
 * @snd_wnd: the peer's window, bytes (scaled)
 * @snd_wl1: sequence number of the segment that last updated @snd_wnd
 * @snd_wl2: acknowledgment number of that segment
 * @iss: our initial sequence number
 * @rcv_nxt: next sequence number expected
 * @rcv_wup: @rcv_nxt when the window was last advertised
 * @rcv_wnd: the window last advertised, bytes
 * @copied_seq: next sequence number the application reads
 * @mss: largest payload we send in one segment
 * @mtu_info: the MTU an ICMP Fragmentation Needed or ICMPv6 Packet Too
 *	Big reported, for xtcp_mtu_reduced() (deferred to xtcp_release_cb()
 *	while the owner holds the socket)
 * @user_mss: TCP_MAXSEG's ceiling on the MSS we announce and use (0: none)
 * @window_clamp: TCP_WINDOW_CLAMP's ceiling on the window we offer (0: none)
 * @notsent_lowat: TCP_NOTSENT_LOWAT: writable only while fewer bytes than
 *	this wait unsent (0: no limit)
 * @rcv_wscale: our window-scale shift (advertised in our SYN)
 * @snd_wscale: the peer's window-scale shift
 * @retransmits: consecutive timeouts of the segment at @snd_una
 * @syn_retries: SYN retransmissions before connect() gives up (XTCP_SYNCNT)
 * @linger2: jiffies an orphan may wait in FIN_WAIT_2 (XTCP_LINGER2; 0:
 *	the fin_timeout_ms sysctl, negative: reset instead of waiting)
 * @user_timeout: ms unacknowledged data may wait (XTCP_USER_TIMEOUT;
 *	0: the retry count decides)
 * @retrans_stamp: when the segment now timing out was first sent
 * @rcv_tstamp: jiffies when a segment was last accepted (keepalive idle)
 * @oow_ack_stamp: jiffies of the last ACK sent in answer to an unusable
 *	segment without data (0: none yet), for the rate limit
 * @keepalive_time: idle jiffies before the first keepalive probe
 * @keepalive_intvl: jiffies between keepalive probes
 * @keepalive_probes: unanswered probes before the connection is dropped
 * @probes_out: keepalive probes sent since the peer last spoke
 * @persist: zero-window probing (cc.c): while @persist.active, the peer's
 *	window is closed with data waiting at SND.UNA and @rtx_timer runs as
 *	the probe timer
 * @persist_stamp: jiffies when the window was found closed (for
 *	XTCP_USER_TIMEOUT, which bounds probing as it bounds retransmission)
 * @rcv_ratio: payload per byte of buffer memory (skb->len / truesize) of
 *	received data, in 1/256ths, a moving average; scales the window
 * @rcvq_seq: @copied_seq when the current round trip of receive-buffer
 *	autotuning began (mem.c, xtcp_rcv_space_adjust())
 * @rcvq_space: most bytes the reader took in one round trip so far
 * @rcvq_stamp: jiffies when that round trip began
 * @sack_ok: SACK (RFC 2018) in use: both SYNs offered it.  Until the
 *	handshake ends, on the active side: our SYN offers it
 * @sack_rcv: the blocks our ACKs report (sack.c), with @sack_ok
 * @ts_ok: timestamps (RFC 7323) in use: both SYNs had them; every
 *	segment we send carries them.  Until the handshake ends, on the
 *	active side: our SYN offers them
 * @ts_recent: TS.Recent, the TSval our timestamps echo (RFC 7323 4.3)
 * @ts_recent_stamp: ktime_get_seconds() when @ts_recent was last set
 *	(PAWS trusts it for XTCP_PAWS_IDLE_S)
 * @ts_off: what our timestamps add to the millisecond clock: a keyed hash
 *	of the two addresses (xtcp_ts_off()), so that the peer cannot read
 *	our uptime and a later connection between the two hosts still has
 *	the larger timestamps (RFC 6191)
 * @rack: RACK's loss detection state (sack.c, recovery.c), with @sack_ok
 * @sacked_bytes: sequence space between SND.UNA and SND.MAX in write
 *	queue skbs the peer SACKed (recovery.c's scoreboard)
 * @lost_bytes: sequence space in skbs marked lost and not SACKed
 * @retrans_bytes: of @lost_bytes, what was resent since it was marked:
 *	in flight again
 * @reo_timer: RACK's timer (recovery.c): the reorder timer, which looks
 *	again at segments that will be lost once the reordering window has
 *	passed, or, with @reo_tlp, the tail loss probe's timeout (PTO)
 * @reo_tlp: @reo_timer runs as the PTO
 * @tlp_out: a tail loss probe went and no ACK has passed @tlp_high yet:
 *	no other probe until one has (RFC 8985 7.3)
 * @tlp_high: SND.MAX when the probe went
 * @tlp_seq: where the probe's resend began, with @tlp_retrans
 * @tlp_retrans: the probe resent the last segment (no new data could go)
 * @tlp_reached: an ACK reached @tlp_high and the episode is undecided
 *	(RFC 8985 7.4: recovery.c's tlp_ack())
 * @rtt: RTT estimator and retransmission timeout (cc.c, RFC 6298)
 * @cc: congestion control state (cc.c), its algorithm included
 * @cc_chosen: TCP_CONGESTION chose @cc's algorithm: a listener's children
 *	run it too (else the namespace's net.xtcp.congestion_control)
 * @v6_api: the socket speaks the IPv6 API: it takes and reports
 *	struct sockaddr_in6 (IPv4 peers v4-mapped) and has IPV6_V6ONLY, as
 *	TCP's AF_INET6 sockets; set once, by its first sockaddr_in6 while
 *	unbound (proto.c), and inherited by its children
 * @v6only_opt: IPV6_V6ONLY as set before @v6_api was (0: never, else the
 *	value plus 1), what the socket takes if it becomes an IPv6 one
 * @recverr: IP_RECVERR: an ICMP error about an established connection
 *	is a hard error (xtcp_icmp_err()); kept here, not in inet_sock,
 *	since xtcp has no error queue: the IP output must queue nothing
 * @recverr6: IPV6_RECVERR, the same for ICMPv6 errors (not in
 *	ipv6_pinfo, for the same reason)
 * @inet6: the IPv6 state the kernel's IPv6 output reads (inet_sock's
 *	pinet6 points here, in every xtcp socket): the source address,
 *	the cached route's cookie, hop limit and traffic class
 * @send_head: first skb of the write queue not yet sent (NULL: none)
 * @ooo_queue: segments received beyond @rcv_nxt, sorted by sequence
 * @rtx_timer: retransmission (and SYN) timer, or the zero-window probe
 *	timer while @persist.active
 * @delack_timer: sends an ACK held back: of data (delayed ACKs,
 *	xtcp_ack_data()) or of a FIN for a FIN+ACK merge
 * @cork_timer: lets a corked partial segment go after XTCP_CORK_MAX
 * @deferred: bits 1 << enum xtcp_timer_id: timers that expired while the
 *	owner held the socket; their work runs in xtcp_release_cb().  Set by
 *	timers (and XTCP_DEFER_PMTU by ICMP errors) under bh_lock_sock(), cleared
 *	by the owner: atomic bitops
 * @nonagle: XTCP_NAGLE_OFF (TCP_NODELAY) and XTCP_NAGLE_CORK (TCP_CORK),
 *	neither by default: when a segment shorter than the MSS may leave
 *	(xtcp_nagle_hold())
 * @more: the write that queued the last segment had MSG_MORE: it waits
 *	as if corked
 * @cork_release: @cork_timer expired: the corked segment may go
 * @cork_seq: sequence number of the segment held last under the cork
 * @cork_stamp: jiffies when that segment was first held: it goes at
 *	@cork_stamp + XTCP_CORK_MAX (@cork_timer)
 * @ack_pending: an ACK is owed and held back (delayed ACK, fin_ack_merge);
 *	cleared by every segment we send, each carries the ACK
 * @ack_quick: data segments still to be ACKed at once (quick-ACK mode, at
 *	the start and after an idle RTO)
 * @ack_pingpong: TCP_QUICKACK cleared: no quick-ACK mode, every ACK of
 *	data may wait
 * @ack_lrcv: jiffies when data last arrived (0: never)
 * @rcv_shrink: a segment inside the window we offered was refused for want
 *	of memory (the payload-per-truesize estimate behind the offer was
 *	too hopeful): the next window is the space really left, even if that
 *	shrinks the offer, so that the peer probes instead of resending into
 *	a buffer that cannot take it until it times out
 * @fin_pending: our FIN is due but could not be allocated yet: the
 *	retransmission timer tries again (xtcp_send_fin())
 * @orphan_counted: counted among the orphans (mem.c) until freed
 * @segs_out: segments sent, retransmissions included (TCP_INFO)
 * @data_segs_out: those of them that carried data
 * @segs_in: segments that reached the connection (TCP_INFO)
 * @data_segs_in: those of them that carried data
 * @total_retrans: segments sent again (TCP_INFO's tcpi_total_retrans)
 * @syn_queue: listener: requests in SYN_RCVD (struct xtcp_request)
 * @req_deferred: listener: requests whose timer expired while the owner
 *	held it, their work left to xtcp_release_cb() (minisocks.c); guarded
 *	by the socket's spinlock
 * @syn_qlen: listener: requests on @syn_queue
 * @accept_queue: listener: established children not yet accepted
 * @accept_qlen: listener: children on @accept_queue
 * @accept_node: child: link in its listener's @accept_queue
 * @cookie_stamp: listener: jiffies when it last answered a SYN with a
 *	cookie (0: never); ACKs are checked as cookies only while one it
 *	sent may still be valid
 * @synflood_warned: listener: the SYN-flood notice was logged
 * @defer_accept: listener: TCP_DEFER_ACCEPT, in SYN+ACK timeouts: a
 *	handshake's final ACK without data waits that long for data
 * @fastopen_qlen: TCP_FASTOPEN's queue length, kept and reported as TCP
 *	keeps it with Fast Open switched off: xtcp never does Fast Open
 *
 * Everything below @xs_state_since is protected by the socket lock: the
 * owner's lock_sock() in process context, bh_lock_sock() in softirq and
 * timers (which leave their work to xtcp_release_cb() when the owner holds
 * the socket), except @deferred (atomic bitops).
 */
struct xtcp_sock {
	struct inet_connection_sock xs_icsk;
	struct hlist_node xs_node;
	u64 xs_id;
	struct hlist_node xs_bind_node;
	struct xtcp_bind_bucket *xs_bb;
	u8 xs_table;
	unsigned long xs_state_since;

	u32 snd_una;
	u32 snd_nxt;
	u32 snd_max;
	u32 snd_sml;
	u32 write_seq;
	u32 snd_wnd;
	u32 snd_wl1;
	u32 snd_wl2;
	u32 iss;
	u32 rcv_nxt;
	u32 rcv_wup;
	u32 rcv_wnd;
	u32 copied_seq;
	u16 mss;
	u16 user_mss;
	u32 mtu_info;
	u32 window_clamp;
	u32 notsent_lowat;
	u8 rcv_wscale;
	u8 snd_wscale;
	u8 retransmits;
	u8 syn_retries;
	u8 keepalive_probes;
	u8 probes_out;
	bool rto_reverted;	/* RFC 6069 undid a backoff since the first timeout */
	u16 rcv_ratio;
	u32 rcvq_seq;
	u32 rcvq_space;
	unsigned long rcvq_stamp;
	unsigned long rcv_tstamp;
	unsigned long oow_ack_stamp;
	unsigned long retrans_stamp;
	unsigned int user_timeout;
	int linger2;
	unsigned int keepalive_time;
	unsigned int keepalive_intvl;
	struct xtcp_persist persist;
	unsigned long persist_stamp;
	bool sack_ok;
	struct xtcp_sack_rcv sack_rcv;
	bool ts_ok;
	u32 ts_recent;
	u32 ts_recent_stamp;
	u32 ts_off;
	struct xtcp_rack rack;
	u32 sacked_bytes;
	u32 lost_bytes;
	u32 retrans_bytes;
	struct timer_list reo_timer;
	bool reo_tlp;
	bool tlp_out;
	bool tlp_retrans;
	bool tlp_reached;
	u32 tlp_high;
	u32 tlp_seq;
	struct xtcp_rtt rtt;
	struct xtcp_cc cc;
	bool cc_chosen;
	bool v6_api;
	u8 v6only_opt;
	bool recverr;
	bool recverr6;
	struct ipv6_pinfo inet6;
	struct sk_buff *send_head;
	struct sk_buff_head ooo_queue;
	struct timer_list rtx_timer;
	struct timer_list delack_timer;
	struct timer_list cork_timer;
	unsigned long deferred;
	u8 nonagle;
	bool more;
	bool cork_release;
	u32 cork_seq;
	unsigned long cork_stamp;
	bool ack_pending;
	bool ack_pingpong;
	u8 ack_quick;
	unsigned long ack_lrcv;
	bool rcv_shrink;
	bool fin_pending;
	bool orphan_counted;
	u32 segs_out;
	u32 data_segs_out;
	u32 segs_in;
	u32 data_segs_in;
	u32 total_retrans;

	struct list_head syn_queue;
	struct list_head req_deferred;
	unsigned int syn_qlen;
	struct list_head accept_queue;
	unsigned int accept_qlen;
	struct list_head accept_node;
	unsigned long cookie_stamp;
	bool synflood_warned;
	u8 defer_accept;
	int fastopen_qlen;
};

/**
 * enum xtcp_timer_id - a connection's timers, as timer.c's helpers name them
 * @XTCP_TIMER_DELACK: xtcp_sock.delack_timer
 * @XTCP_TIMER_CORK: xtcp_sock.cork_timer
 * @XTCP_TIMER_REO: xtcp_sock.reo_timer (recovery.c's work)
 * @XTCP_TIMER_RTX: xtcp_sock.rtx_timer
 * @XTCP_TIMER_KEEPALIVE: sk->sk_timer
 * @XTCP_TIMER_MAX: how many
 *
 * Also the bit numbers of xtcp_sock.deferred, and the order in which
 * xtcp_release_cb() runs deferred work.
 */
enum xtcp_timer_id {
	XTCP_TIMER_DELACK,
	XTCP_TIMER_CORK,
	XTCP_TIMER_REO,
	XTCP_TIMER_RTX,
	XTCP_TIMER_KEEPALIVE,
	XTCP_TIMER_MAX,
};

/* xtcp_sock.deferred's bit for a path MTU to apply (xtcp_mtu_reduced()) */
#define XTCP_DEFER_PMTU		XTCP_TIMER_MAX

static inline struct xtcp_sock *xtcp_sk(const struct sock *sk)
{
	return (struct xtcp_sock *)sk;
}

/*
 * Addresses.  A socket keeps its addresses twice: in inet_sock's IPv4
 * fields, which the IPv4 paths (routes, output, /proc) read, and in
 * sock_common's IPv6 ones, where an IPv4 address is v4-mapped
 * (::ffff:a.b.c.d, the wildcard ::ffff:0.0.0.0): the tables (hash.c) key
 * on those, one rule for both families (core.c, xtcp_addr_overlap()).
 * They change only through xtcp_set_laddr() and xtcp_set_raddr().
 */
#if !IS_ENABLED(CONFIG_IPV6)
#error "xtcp needs a kernel built with IPv6 (CONFIG_IPV6)"
#endif

/* ::ffff:0.0.0.0, IPv4's wildcard (hash.c) */
extern const struct in6_addr xtcp_v4_any;

/* @addr, an IPv4 address, v4-mapped */
static inline struct in6_addr xtcp_addr_v4(__be32 addr)
{
	struct in6_addr a;

	ipv6_addr_set_v4mapped(addr, &a);
	return a;
}

/* The IPv4 address in a v4-mapped @a (for the paths that speak only IPv4). */
static inline __be32 xtcp_addr_v4_of(const struct in6_addr *a)
{
	return a->s6_addr32[3];
}

/*
 * The IPv4 copy of @a: its IPv4 address, 0 for ::, or for another IPv6
 * one LOOPBACK4_IPV6, the placeholder Linux's IPv6 sockets hold there
 * (the tables look at the IPv6 copy, so it matches no IPv4 segment).
 */
static inline __be32 xtcp_addr_v4_copy(const struct in6_addr *a)
{
	if (ipv6_addr_v4mapped(a))
		return xtcp_addr_v4_of(a);
	return ipv6_addr_any(a) ? htonl(INADDR_ANY) : LOOPBACK4_IPV6;
}

/* The wildcard of @sk's API: :: for the IPv6 API, else ::ffff:0.0.0.0. */
static inline const struct in6_addr *xtcp_any(const struct sock *sk)
{
	return xtcp_sk(sk)->v6_api ? &in6addr_any : &xtcp_v4_any;
}

/*
 * A received segment's source and destination addresses, what the tables
 * and requests key on: from its IPv6 header, or v4-mapped from its IPv4
 * one (both start with the version).
 */
static inline void xtcp_skb_addrs(const struct sk_buff *skb,
				  struct in6_addr *saddr,
				  struct in6_addr *daddr)
{
	if (ip_hdr(skb)->version == 6) {
		*saddr = ipv6_hdr(skb)->saddr;
		*daddr = ipv6_hdr(skb)->daddr;
		return;
	}
	*saddr = xtcp_addr_v4(ip_hdr(skb)->saddr);
	*daddr = xtcp_addr_v4(ip_hdr(skb)->daddr);
}

/*
 * The interface a connection from @raddr to @listener is bound to, as
 * TCP's ir_iif: the one its SYN @skb came in on for a link-local IPv6
 * peer (whose address means nothing elsewhere), else the listener's
 * SO_BINDTODEVICE (0: none).
 */
static inline int xtcp_req_iif(const struct sock *listener,
			       const struct sk_buff *skb,
			       const struct in6_addr *raddr)
{
	if (!listener->sk_bound_dev_if &&
	    __ipv6_addr_needs_scope_id(ipv6_addr_type(raddr)))
		return skb->skb_iif;
	return listener->sk_bound_dev_if;
}

/* Does @sk's peer speak IPv6 (its segments go out over IPv6)? */
static inline bool xtcp_peer_v6(const struct sock *sk)
{
	return !ipv6_addr_v4mapped(&sk->sk_v6_daddr);
}

/* A socket's local address, @a, in both copies (see above). */
static inline void xtcp_set_laddr(struct sock *sk, const struct in6_addr *a)
{
	sk->sk_v6_rcv_saddr = *a;
	xtcp_sk(sk)->inet6.saddr = *a;	/* IPv6's source */
	inet_sk(sk)->inet_rcv_saddr = xtcp_addr_v4_copy(a);
	inet_sk(sk)->inet_saddr = inet_sk(sk)->inet_rcv_saddr;
}

/* A socket's remote address @a and port @port, both copies of @a. */
static inline void xtcp_set_raddr(struct sock *sk, const struct in6_addr *a,
				  __be16 port)
{
	sk->sk_v6_daddr = *a;
	inet_sk(sk)->inet_daddr = xtcp_addr_v4_copy(a);
	inet_sk(sk)->inet_dport = port;
}

/* Route lookup TOS of a socket (RT_CONN_FLAGS() left the kernel in 6.x). */
static inline u8 xtcp_rt_tos(const struct sock *sk)
{
	return RT_TOS(READ_ONCE(inet_sk(sk)->tos));
}

/* Limits; the defaults of what a sysctl tunes are in sysctl.c. */
#define XTCP_MAX_SYNCNT		127	/* as TCP_SYNCNT */
#define XTCP_MAX_KEEPIDLE	32767	/* seconds, as TCP_KEEPIDLE */
#define XTCP_MAX_KEEPINTVL	32767
#define XTCP_MAX_KEEPCNT	127
#define XTCP_FIN_TIMEOUT_MAX	(120 * HZ)	/* XTCP_LINGER2's ceiling */
#define XTCP_FIN_ACK_DELAY	(HZ / 5)	/* fin_ack_merge: 200 ms, TCP_DELACK_MAX */
#define XTCP_DELACK		(HZ / 25)	/* delayed ACK of data: 40 ms, TCP_DELACK_MIN */
#define XTCP_QUICKACKS		16	/* quick-ACK mode's length, TCP_MAX_QUICKACKS */
#define XTCP_CORK_MAX		(HZ / 5)	/* TCP_CORK's ceiling, 200 ms as tcp(7) */
#define XTCP_NAGLE_OFF		1	/* TCP_NODELAY */
#define XTCP_NAGLE_CORK		2	/* TCP_CORK */
#define XTCP_TW_REAP_BATCH	256	/* TIME_WAIT entries freed per reaper run */
#define XTCP_RCV_RATIO_INIT	128	/* half: until data shows the real cost */
#define XTCP_RCV_RATIO_MIN	16
#define XTCP_RTO_INIT		(1 * HZ)	/* SYN+ACK timer of requests */
#define XTCP_RTO_MAX		(120 * HZ)
#define XTCP_DEFAULT_MSS	536
/* room for the link, IP and our headers in front of a segment */
#define XTCP_HEADROOM		(MAX_HEADER + XTCP_MAX_HDR_LEN)

/*
 * Counters, per namespace.  Names live in proc.c's table, in this order.
 * They are bumped in softirq (receive) and process context without a lock:
 * each is an atomic_long_t.
 */
enum xtcp_mib {
	XTCP_MIB_IN_SEGS,		/* segments handed to us by IP */
	XTCP_MIB_IN_RUNS,		/* runs among them: one skb, many segments */
	XTCP_MIB_IN_HDR_ERRS,		/* failed xtcp_parse() */
	XTCP_MIB_IN_CSUM_ERRS,		/* bad checksum */
	XTCP_MIB_NO_SOCKET,		/* valid, but no socket to take it */
	XTCP_MIB_CURR_SOCKS,		/* sockets alive now (gauge) */
	XTCP_MIB_OUT_SEGS,		/* segments sent */
	XTCP_MIB_OUT_RUNS,		/* runs sent: one skb, many segments */
	XTCP_MIB_RETRANS_SEGS,		/* segments sent again */
	XTCP_MIB_OUT_RSTS,		/* resets sent */
	XTCP_MIB_IN_RSTS,		/* acceptable resets received */
	XTCP_MIB_ACTIVE_OPENS,		/* connect() sent a SYN */
	XTCP_MIB_PASSIVE_OPENS,		/* a listener made a child */
	XTCP_MIB_SYN_QUEUE_DROPS,	/* SYNs dropped: SYN queue full */
	XTCP_MIB_ACCEPT_QUEUE_DROPS,	/* final ACKs dropped: accept queue full */
	XTCP_MIB_OUT_OF_WINDOW,		/* segments outside the receive window */
	XTCP_MIB_BACKLOG_DROPS,		/* socket backlog full */
	XTCP_MIB_TIMEOUTS,		/* connections ended by retransmission timeout */
	XTCP_MIB_RCVBUF_DROPS,		/* data dropped: receive buffer full */
	XTCP_MIB_RTO_EXPIRED,		/* retransmission timer expirations */
	XTCP_MIB_FAST_RETRANS,		/* fast retransmits (third duplicate ACK) */
	XTCP_MIB_PARTIAL_RETRANS,	/* NewReno partial-ACK retransmits */
	XTCP_MIB_CHALLENGE_ACKS,	/* RFC 5961 challenge ACKs sent */
	XTCP_MIB_KEEPALIVE_PROBES,	/* keepalive probes sent */
	XTCP_MIB_KEEPALIVE_TIMEOUTS,	/* connections ended: probes unanswered */
	XTCP_MIB_FIN_WAIT2_TIMEOUTS,	/* orphans ended in FIN_WAIT_2 */
	XTCP_MIB_OOW_ACKS_SKIPPED,	/* answers to unusable segments rate-limited */
	XTCP_MIB_WIN_PROBES,		/* zero-window probes sent */
	XTCP_MIB_WIN_PROBE_TIMEOUTS,	/* connections ended: probes unanswered */
	XTCP_MIB_TW_CREATED,		/* connections that entered TIME_WAIT */
	XTCP_MIB_TW_REAPED,		/* TIME_WAIT entries ended by the reaper */
	XTCP_MIB_TW_OVERFLOW,		/* TIME_WAIT skipped: cap or no memory */
	XTCP_MIB_TW_KILLED,		/* TIME_WAIT ended by a new connection's SYN */
	XTCP_MIB_TW_FIN_ACKS,		/* retransmitted FINs ACKed in TIME_WAIT */
	XTCP_MIB_TW_RST_IGNORED,	/* RSTs ignored in TIME_WAIT (RFC 1337) */
	XTCP_MIB_TW_REAPER_RUNS,	/* reaper timer runs that freed entries */
	XTCP_MIB_CURR_TW,		/* TIME_WAIT entries alive now (gauge) */
	XTCP_MIB_MEMORY_PRESSURES,	/* times xtcp entered memory pressure */
	XTCP_MIB_RCV_MEM_DROPS,		/* data dropped: memory budget exhausted */
	XTCP_MIB_OFO_PRUNED,		/* out-of-order queues dropped for memory */
	XTCP_MIB_ABORT_ON_MEMORY,	/* orphans reset: too many, or no memory */
	XTCP_MIB_TW_RECLAIMED,		/* TIME_WAIT entries freed early for memory */
	XTCP_MIB_SYNCOOKIES_SENT,	/* SYN+ACKs sent with a cookie */
	XTCP_MIB_SYNCOOKIES_RECV,	/* ACKs that carried a valid cookie */
	XTCP_MIB_SYNCOOKIES_FAILED,	/* ACKs checked as cookies and refused */
	XTCP_MIB_DELAYED_ACKS,		/* ACKs of data the delayed-ACK timer sent */
	XTCP_MIB_QUICK_ACKS,		/* ACKs of data sent at once in quick-ACK mode */
	XTCP_MIB_SACK_RECOVERY,		/* fast recoveries SACK and RACK started */
	XTCP_MIB_RACK_LOST,		/* segments RACK marked lost */
	XTCP_MIB_SACK_RETRANS,		/* lost segments resent from the scoreboard */
	XTCP_MIB_DSACK_RECV,		/* D-SACK blocks received */
	XTCP_MIB_DSACK_SENT,		/* D-SACK blocks sent */
	XTCP_MIB_REO_TIMEOUTS,		/* reorder timer expirations */
	XTCP_MIB_TLP_PROBES,		/* tail loss probes sent */
	XTCP_MIB_TLP_RECOVERY,		/* losses a tail loss probe repaired */
	XTCP_MIB_SACK_RENEGING,		/* ACKs that showed the peer dropped SACKed data */
	XTCP_MIB_PAWS_DROP,		/* segments dropped as old duplicates by PAWS */
	XTCP_MIB_DSACK_UNDO,		/* fast recoveries undone: all resends D-SACKed */
	XTCP_MIB_EIFEL_UNDO,		/* fast recoveries undone by a timestamp echo */
	XTCP_MIB_TIMERS_DEFERRED,	/* expiries left to xtcp_release_cb(): owner busy */
	XTCP_MIB_PMTU_SHRUNK,		/* MSS cuts after ICMP(v6) "too big" errors */
	XTCP_MIB_OUT_OF_WINDOW_ICMPS,	/* ICMP errors quoting no data in flight */
	XTCP_MIB_TIMEOUT_REHASH,	/* new flow hashes (IPv6 flow labels) after a timeout */
	XTCP_MIB_ICMP_ABORTS,		/* handshakes given up on an ICMP(v6) error */
	XTCP_MIB_RTO_REVERTS,		/* backoffs undone by ICMP unreachables (RFC 6069) */
	XTCP_MIB_LOCK_DROPPED_ICMPS,	/* ICMP errors that found the socket owned */
	XTCP_MIB_MAX
};

/**
 * struct xtcp_sysctl - a namespace's tunables (/proc/sys/net/xtcp)
 * @msl_ms: maximum segment lifetime, ms; TIME_WAIT lasts twice this
 * @max_tw_buckets: most TIME_WAIT entries the namespace keeps
 * @fin_timeout_ms: how long an orphan waits in FIN_WAIT_2, ms
 * @fin_ack_merge: hold the ACK of a FIN back for a FIN+ACK (0 or 1)
 * @syn_retries: SYNs resent before connect() gives up (new sockets)
 * @synack_retries: SYN+ACKs resent before a request is dropped
 * @retries2: retransmission timeouts of data before the connection ends
 * @keepalive_time_s: idle seconds before the first keepalive probe
 * @keepalive_intvl_s: seconds between keepalive probes
 * @keepalive_probes: unanswered probes before the connection ends
 * @max_syn_backlog: most requests in SYN_RCVD per listener
 * @rmem_default: receive buffer of a new socket, bytes
 * @wmem_default: send buffer of a new socket, bytes
 * @rmem_max: receive buffer autotuning grows a socket's to this, bytes
 * @wmem_max: send buffer autotuning grows a socket's to this, bytes
 * @orphan_retries: retransmission timeouts an orphan waits (0: 8)
 * @syncookies: 0: never answer with SYN cookies; 1: when a listener's SYN
 *	queue is full; 2: always
 * @gso: 1: send runs of full segments as one GSO skb (offload.c); 0: not
 * @sack: 1: offer and accept SACK (RFC 2018) in the handshake; 0: not
 * @timestamps: 1: offer and accept timestamps (RFC 7323); 0: not
 *
 * Read with READ_ONCE() wherever they are used; written by the sysctl
 * handlers.  Ranges and defaults: sysctl.c.
 */
struct xtcp_sysctl {
	int msl_ms;
	int max_tw_buckets;
	int fin_timeout_ms;
	int fin_ack_merge;
	int syn_retries;
	int synack_retries;
	int retries2;
	int keepalive_time_s;
	int keepalive_intvl_s;
	int keepalive_probes;
	int max_syn_backlog;
	int rmem_default;
	int wmem_default;
	int rmem_max;
	int wmem_max;
	int orphan_retries;
	int syncookies;
	int gso;
	int sack;
	int timestamps;
	const struct xtcp_cc_algo *congestion_control;
};

/**
 * struct xtcp_net - xtcp's per-network-namespace state
 * @lock: protects @socks and @row_id; taken with BH disabled
 * @row_id: the last id given to a socket (never reused)
 * @socks: every xtcp socket of this namespace, in XTCP_SOCK_BUCKETS
 *	lists by id (id & (XTCP_SOCK_BUCKETS - 1)), each newest (highest
 *	id) first: the order /proc/net/xtcp resumes in
 * @mib: counters, see enum xtcp_mib
 * @hash_lock: serializes the writers of @bhash, @lhash, @ehash, @rqhash
 *	and the TIME_WAIT tables, guards @tw_death, @tw_count, @tw_dying,
 *	@tw_row_id and @req_row_id, and the readers of @bhash (bind(), the
 *	ephemeral port search, one port at a time) and of @rqhash and
 *	@twhash for /proc.  The receive path does not take it: it looks
 *	sockets, requests and TIME_WAIT entries up under RCU (hash.c).
 *	Taken with BH disabled (plain in the reaper timer).
 *	Lock order: @lock before @hash_lock (only /proc takes both).
 * @bhash: one bind bucket per local port in use (struct
 *	xtcp_bind_bucket), hashed by port: the sockets bound to it
 *	(listeners and connections) and the TIME_WAIT entries that keep it
 * @lhash: listeners by local port: a SYN walks only these, however many
 *	connections share the port; a nulls list like @ehash, its end
 *	markers offset by XTCP_LHASH_NULLS_BASE, so that a reader led from
 *	one table into the other notices
 * @ehash: sockets with a peer, by their four-tuple; a nulls list whose
 *	end marker is the bucket's index plus @nulls_salt, so that a reader
 *	whose socket moved to another chain meanwhile notices
 * @twhash: TIME_WAIT entries by four-tuple
 * @rqhash: requests (SYN_RCVD, struct xtcp_request) by four-tuple
 * @ehash_mask: @ehash, @twhash and @rqhash have @ehash_mask + 1 chains, a
 *	power of two fixed when the namespace is made (xtcp_ehash_entries())
 * @nulls_salt: random bits 16..27 in the end markers of @ehash and
 *	@lhash, this namespace's (hash.c)
 * @tw_death: TIME_WAIT entries, the one that started (or restarted) its
 *	2*MSL first at the head: the order they expire in
 * @tw_count: entries on @tw_death
 * @tw_row_id: the last id given to a TIME_WAIT entry; each @twhash
 *	bucket is in decreasing id order (entries enter at its head and
 *	never move), the order /proc/net/xtcp resumes in
 * @req_row_id: the same for requests and @rqhash
 * @tw_dying: set at namespace exit: the reaper no longer re-arms
 * @tw_timer: the reaper; runs in softirq, frees at most
 *	XTCP_TW_REAP_BATCH entries a run
 * @net: the namespace this state belongs to (for the reaper's reports)
 * @trans: the transition matrix: @trans[from][to] counts the times a
 *	connection of this namespace took that edge (xtcp_note_state())
 * @sysctl: tunables
 * @sysctl_hdr: their registration
 * @sysctl_table: the namespace's copy of the table it registered
 */
#define XTCP_BHASH_SIZE	256
#define XTCP_EHASH_MIN	16
#define XTCP_EHASH_MAX	65536
#define XTCP_LHASH_NULLS_BASE	BIT(29)
#define XTCP_SOCK_BUCKETS	512

struct xtcp_net {
	spinlock_t lock;		/* protects socks, BH off */
	u64 row_id;
	struct hlist_head socks[XTCP_SOCK_BUCKETS];
	atomic_long_t mib[XTCP_MIB_MAX];
	spinlock_t hash_lock;		/* protects the tables, BH off */
	struct hlist_head bhash[XTCP_BHASH_SIZE];
	struct hlist_nulls_head lhash[XTCP_BHASH_SIZE];
	struct hlist_nulls_head *ehash;
	struct hlist_head *twhash;
	struct hlist_head *rqhash;
	unsigned int ehash_mask;
	unsigned int nulls_salt;
	struct list_head tw_death;
	unsigned int tw_count;
	u64 tw_row_id;
	u64 req_row_id;
	bool tw_dying;
	struct timer_list tw_timer;
	struct net *net;
	atomic_long_t trans[XTCP_MAX_STATES][XTCP_MAX_STATES];
	struct xtcp_sysctl sysctl;
	struct ctl_table_header *sysctl_hdr;
	struct ctl_table *sysctl_table;
	unsigned int fault_rules;	/* xtcp_fault_set_rules() */
};

extern unsigned int xtcp_net_id;

static inline struct xtcp_net *xtcp_pernet(const struct net *net)
{
	return net_generic(net, xtcp_net_id);
}

static inline void xtcp_inc_stat(const struct net *net, enum xtcp_mib field)
{
	atomic_long_inc(&xtcp_pernet(net)->mib[field]);
}

#define XTCP_INC_STATS(net, field)	xtcp_inc_stat(net, field)

static inline void xtcp_add_stat(const struct net *net, enum xtcp_mib field,
				 long n)
{
	atomic_long_add(n, &xtcp_pernet(net)->mib[field]);
}

/* netns.c: per-namespace state, the list of sockets /proc reads */
int xtcp_netns_init(void);
void xtcp_netns_exit(void);
void xtcp_sock_link(struct sock *sk);
void xtcp_sock_unlink(struct sock *sk);

/* hash.c: the lookup tables */
void xtcp_hash_init(void);
unsigned int xtcp_ehash_entries(const struct net *net);
int xtcp_hash_net_init(struct xtcp_net *xn, const struct net *net);
void xtcp_hash_net_exit(struct xtcp_net *xn);
int xtcp_bind_port(struct sock *sk, const struct in6_addr *addr, u16 port);
int xtcp_connect_port(struct sock *sk, const struct in6_addr *addr,
		      const struct in6_addr *raddr, __be16 rport);
void xtcp_unbind(struct sock *sk);
void xtcp_set_bound_laddr(struct sock *sk, const struct in6_addr *addr);
int xtcp_listen_start(struct sock *sk);
void xtcp_listen_stop(struct sock *sk);
int xtcp_bind_child(struct sock *child, const struct in6_addr *laddr,
		    __be16 lport);
void xtcp_ehash_add(struct sock *sk);
int xtcp_ehash_add_unique(struct sock *sk);
void xtcp_ehash_del(struct sock *sk);
bool xtcp_ehash_unlink_locked(struct sock *sk);
struct sock *xtcp_lookup(struct net *net, const struct in6_addr *saddr,
			 __be16 sport, const struct in6_addr *daddr,
			 __be16 dport, struct xtcp_tw **twp,
			 struct xtcp_request **reqp);
struct sock *xtcp_lookup_conn(struct net *net, const struct in6_addr *saddr,
			      __be16 sport, const struct in6_addr *daddr,
			      __be16 dport, struct xtcp_tw **twp);
struct sock *xtcp_lookup_listener(struct net *net,
				  const struct in6_addr *saddr, __be16 sport,
				  const struct in6_addr *daddr, __be16 dport);
bool xtcp_req_hash(struct net *net, struct xtcp_request *req);
void xtcp_req_unhash(struct net *net, struct xtcp_request *req);
struct xtcp_request *xtcp_req_find(struct sock *listener,
				   const struct in6_addr *raddr, __be16 rport,
				   const struct in6_addr *laddr);
void xtcp_tw_hash_link(struct xtcp_net *xn, struct xtcp_tw *tw,
		       struct sock *sk);
void xtcp_tw_hash_unlink(struct xtcp_tw *tw);

/* proto.c: a socket's life and operations */
void xtcp_set_state(struct sock *sk, int state);
void xtcp_set_state_quiet(struct sock *sk, int state);
void xtcp_note_state(struct net *net, int from, int to,
		     const struct in6_addr *laddr, __be16 lport,
		     const struct in6_addr *raddr, __be16 rport);
void xtcp_init_new_sock(struct sock *sk);
extern struct proto xtcp_prot;
extern const struct proto_ops xtcp_stream_ops;
void xtcp_done(struct sock *sk, int err);
void xtcp_init_sock_state(struct sock *sk);

/* input.c */
int xtcp_rcv_state_process(struct sock *sk, struct sk_buff *skb);
void xtcp_deliver(struct sock *sk, struct sk_buff *skb);
bool xtcp_req_rcv(struct xtcp_request *req, struct sk_buff *skb);
bool xtcp_oow_rate_limited(struct net *net, unsigned long *stamp);
void xtcp_conn_init(struct sock *sk);
void xtcp_conn_cc_timeout(struct sock *sk);
void xtcp_conn_rtt_sample(struct sock *sk, u64 us);

static inline unsigned long xtcp_rto(const struct xtcp_sock *xs)
{
	return usecs_to_jiffies(xs->rtt.rto_us);
}

/* output.c */
void xtcp_output_init(void);
int xtcp_send_syn(struct sock *sk);
void xtcp_send_ack(struct sock *sk);
void xtcp_send_tw_ack(struct net *net, const struct xtcp_tw *tw);
void xtcp_send_rst_reply(struct net *net, struct sk_buff *skb);
void xtcp_send_reset(struct sock *sk);
int xtcp_send_synack(struct net *net, struct xtcp_request *req);
bool xtcp_may_send(struct sock *sk, struct sk_buff *skb);
void xtcp_keepalive_set(struct sock *sk, int on);
void xtcp_keepalive_reset(struct sock *sk);
void xtcp_keepalive_idle_set(struct sock *sk);
void xtcp_orphan_fin_wait2(struct sock *sk);
void xtcp_send_probe(struct sock *sk);
bool xtcp_window_closed(const struct sock *sk);
void xtcp_push(struct sock *sk);
void xtcp_push_force(struct sock *sk);
void xtcp_send_fin(struct sock *sk, gfp_t gfp);
u32 xtcp_window_space(const struct sock *sk);
int xtcp_retransmit_head(struct sock *sk);
int xtcp_retransmit_skb(struct sock *sk, struct sk_buff *skb);
u32 xtcp_offer_window(const struct sock *sk, u32 cur);
u16 xtcp_select_window(struct sock *sk);
u32 xtcp_isn(const struct in6_addr *saddr, const struct in6_addr *daddr,
	     __be16 sport, __be16 dport);
u32 xtcp_ts_off(const struct in6_addr *saddr, const struct in6_addr *daddr);
u32 xtcp_size_goal(const struct sock *sk);
void xtcp_wq_append(struct sock *sk, struct sk_buff *skb, bool charged);
int xtcp_fragment(struct sock *sk, struct sk_buff *skb, u32 len);
int xtcp_trim_head(struct sock *sk, struct sk_buff *skb, u32 len);

/* timer.c */
void xtcp_init_timers(struct sock *sk);
void xtcp_arm_rtx(struct sock *sk);
void xtcp_xmit_timer(struct sock *sk);
void xtcp_clear_timers(struct sock *sk);
bool xtcp_timer_armed(struct sock *sk, enum xtcp_timer_id id);
void xtcp_timer_stop(struct sock *sk, enum xtcp_timer_id id);
void xtcp_rtx_revert(struct sock *sk);
void xtcp_release_cb(struct sock *sk);
void xtcp_delay_ack(struct sock *sk, unsigned long delay);

/* minisocks.c: requests */
void xtcp_req_put(struct xtcp_request *req);
int xtcp_conn_request(struct sock *listener, struct sk_buff *skb);
struct sock *xtcp_check_req(struct sock *listener, struct xtcp_request *req,
			    struct sk_buff *skb);
struct sock *xtcp_req_child(struct sock *listener, struct xtcp_request *req);
u16 xtcp_route_mss(struct net *net, const struct in6_addr *laddr,
		   const struct in6_addr *raddr, int oif);
void xtcp_req_offer(const struct sock *listener, struct xtcp_request *req);
void xtcp_req_ip_init(const struct sock *listener, struct xtcp_request *req);
bool xtcp_autoflowlabel(const struct sock *sk);
void xtcp_listener_flush(struct sock *listener);
void xtcp_req_release(struct sock *listener);
void xtcp_req_icmp(struct sock *sk, struct xtcp_request *req, u32 seq,
		   bool abort);

/* recovery.c: the SACK scoreboard, RACK, resending what is lost */
void xtcp_sack_reset(struct sock *sk);
void xtcp_sack_unlink(struct sock *sk, struct sk_buff *skb, u32 len);
void xtcp_sack_delivered(struct sock *sk, const struct sk_buff *skb,
			 u64 now_us);
void xtcp_sack_ack(struct sock *sk, const struct sk_buff *skb, u64 now_us);
void xtcp_sack_recovery(struct sock *sk);
void xtcp_sack_mark_all_lost(struct sock *sk);
void xtcp_sack_xmit_lost(struct sock *sk, bool force);
void xtcp_tlp_arm(struct sock *sk, bool restart);
void xtcp_reo_expired(struct sock *sk);

/*
 * Bytes in flight with SACK (RFC 6675's pipe, Linux's
 * tcp_packets_in_flight()): sent, not cumulatively ACKed, neither SACKed
 * nor lost, plus what was resent of the lost.
 */
static inline u32 xtcp_in_flight(const struct xtcp_sock *xs)
{
	u32 out = xs->snd_max - xs->snd_una;
	u32 gone = xs->sacked_bytes + xs->lost_bytes;

	/* retrans_bytes is part of lost_bytes; clamped all the same */
	gone = gone > xs->retrans_bytes ? gone - xs->retrans_bytes : 0;
	return out > gone ? out - gone : 0;
}

/* The SACK sender's machinery runs: negotiated, and the handshake over. */
static inline bool xtcp_sack_sender(const struct sock *sk)
{
	return xtcp_sk(sk)->sack_ok && !(XTCPF(sk->sk_state) & XTCPF_OPENING);
}

/*
 * Nothing is in flight: SND.NXT is back at SND.UNA (all acknowledged, or
 * rewound by a timeout); with SACK, the pipe is empty (all acknowledged,
 * SACKed or marked lost).  Then a closed window is probed.
 */
static inline bool xtcp_nothing_in_flight(const struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);

	return xtcp_sack_sender(sk) ? !xtcp_in_flight(xs) :
				      xs->snd_nxt == xs->snd_una;
}

/* offload.c */
extern const struct net_offload xtcp_offload;
bool xtcp_run_ok(const struct sock *sk);
unsigned int xtcp_run_max(const struct sock *sk, unsigned int mss);

/* syncookies.c */
void xtcp_syncookies_init(void);
void xtcp_cookie_send(struct sock *listener, struct sk_buff *skb);
struct sock *xtcp_cookie_check(struct sock *listener, struct sk_buff *skb);

/* minisocks.c: TIME_WAIT */
extern struct kmem_cache *xtcp_tw_cachep;
int xtcp_tw_init(void);
void xtcp_tw_exit(void);
void xtcp_tw_net_init(struct xtcp_net *xn);
void xtcp_time_wait(struct sock *sk, bool ack);
bool xtcp_tw_hash_swap(struct sock *sk, struct xtcp_tw *tw);
void xtcp_tw_put(struct xtcp_tw *tw);
bool xtcp_tw_rcv(struct net *net, struct xtcp_tw *tw, struct sk_buff *skb);
bool xtcp_tw_unlink(struct net *net, struct xtcp_tw *tw);
void xtcp_tw_note_end(struct net *net, const struct xtcp_tw *tw, int why);
void xtcp_tw_restart(struct net *net, struct xtcp_tw *tw);
void xtcp_tw_purge(struct net *net);

/* mem.c: the memory budget and the orphans */
void xtcp_mem_proto_init(struct proto *prot);
int xtcp_mem_init(void);
void xtcp_mem_exit(void);
int xtcp_mem_sysctl_init(void);
void xtcp_mem_sysctl_exit(void);
long xtcp_mem_pages(void);
bool xtcp_mem_pressure(void);
long xtcp_sockets_count(void);
long xtcp_orphans_count(void);
void xtcp_orphan_inc(struct sock *sk);
void xtcp_orphan_dec(struct sock *sk);
bool xtcp_out_of_resources(struct sock *sk);
void xtcp_mem_accept_memcg(struct sock *child);
void xtcp_wmem_queue(struct sock *sk, struct sk_buff *skb, bool charged);
void xtcp_wmem_free_skb(struct sock *sk, struct sk_buff *skb);
void xtcp_buf_init(struct sock *sk);
void xtcp_rcv_space_adjust(struct sock *sk);
void xtcp_sndbuf_expand(struct sock *sk);
void xtcp_choose_wscale(struct sock *sk);

/* sysctl.c */
int xtcp_sysctl_init_net(struct net *net);
void xtcp_sysctl_exit_net(struct net *net);

static inline struct xtcp_sysctl *xtcp_sysctl(const struct net *net)
{
	return &xtcp_pernet(net)->sysctl;
}

/* Timeouts an orphan waits, as tcp_orphan_retries(): 0 means 8. */
static inline int xtcp_orphan_retries(const struct net *net)
{
	return READ_ONCE(xtcp_sysctl(net)->orphan_retries) ? : 8;
}

/* ipv4.c */
int xtcp_ipv4_init(void);
void xtcp_ipv4_exit(void);
int xtcp_rcv(struct sk_buff *skb, bool v6);
/**
 * struct xtcp_icmp - an ICMP or ICMPv6 error, decoded for xtcp_icmp_err()
 * @quoted: the first eight bytes of the segment's xtcp header, as quoted
 * @laddr: the quoted datagram's source address, ours (v4-mapped for IPv4)
 * @raddr: its destination address, the peer's
 * @err: the errno the error stands for (EHOSTUNREACH, ECONNREFUSED...),
 *	or 0 for a path MTU of @mtu bytes or a Redirect
 * @mtu: the MTU a "too big" error gave
 * @abort: the error is one that ends a listener's request (TCP's "fatal"
 *	set: IPv4's net and host unreachable, Time Exceeded and Parameter
 *	Problem; what icmpv6_err_convert() calls fatal)
 * @redirect: a Redirect to a better first hop
 * @revert: a router had no route for the segment: it may undo a backoff
 *	of the retransmission timer (RFC 6069; IPv4's net and host
 *	unreachable, ICMPv6's no route, as TCP's)
 * @v6: an ICMPv6 error (IPV6_RECVERR applies to it, not IP_RECVERR)
 */
struct xtcp_icmp {
	const void *quoted;
	struct in6_addr laddr;
	struct in6_addr raddr;
	int err;
	u32 mtu;
	bool abort;
	bool redirect;
	bool revert;
	bool v6;
};

void xtcp_icmp_err(struct sk_buff *skb, const struct xtcp_icmp *e);
void xtcp_mtu_reduced(struct sock *sk);
int xtcp_ipv6_init(void);
void xtcp_ipv6_exit(void);
void xtcp_v6_xmit_too_big(struct sock *sk);

/* proc.c */
int xtcp_proc_init_net(struct net *net);
void xtcp_proc_exit_net(struct net *net);
extern const char *const xtcp_mib_names[XTCP_MIB_MAX];

/* trace.h: the tracepoints (TRACE_SYSTEM xtcp) */
enum xtcp_tw_end {
	XTCP_TW_END_REAPED,	/* its 2*MSL ran out */
	XTCP_TW_END_KILLED,	/* a new connection's SYN took the tuple */
	XTCP_TW_END_PURGED,	/* the namespace went away */
};

#endif /* _XTCP_H */
