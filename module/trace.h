/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xtcp: tracepoints, under /sys/kernel/tracing/events/xtcp/.
 *
 *   xtcp_set_state     a connection took an edge of the state diagram:
 *                      sockets, requests (LISTEN -> SYN_RCVD when a SYN
 *                      makes one, SYN_RCVD -> CLOSED when one is dropped)
 *                      and TIME_WAIT entries (TIME_WAIT -> CLOSED when
 *                      one ends); a socket handing its connection to a
 *                      TIME_WAIT entry does not report its own move to
 *                      CLOSED, so every connection's edges appear once
 *   xtcp_segment_rx    a segment passed the header and checksum checks
 *   xtcp_segment_tx    a segment is handed to IP (connections, requests'
 *                      SYN+ACKs, TIME_WAIT ACKs, resets without a socket)
 *   xtcp_retransmit    a segment of a connection is sent again
 *   xtcp_reset_tx      a reset is sent (by a socket or in answer to a
 *                      segment nothing took)
 *   xtcp_reset_rx      an acceptable reset ended a connection or request
 *   xtcp_tw_create     a connection's TIME_WAIT entry was made
 *   xtcp_tw_end        a TIME_WAIT entry ended (reaped, killed by a new
 *                      connection's SYN, purged with its namespace)
 *   xtcp_cwnd          congestion control changed cwnd or ssthresh (an
 *                      ACK, a duplicate ACK, a timeout): both in bytes,
 *                      the phase (slow start, CSS, avoidance, recovery,
 *                      loss), the algorithm and CUBIC's W_max
 *
 * Every event carries the namespace (its inode number, as in
 * /proc/PID/ns/net) and the local and remote address and port as the
 * connection sees them.  Only fixed-size fields: the same definitions
 * build on every kernel xtcp supports.  An address and its port are a
 * struct sockaddr in an array field the size of a sockaddr_in6, printed
 * with %pISpc (127.0.0.1:80, [::1]:80), as the kernel's tcp events do:
 * user-space readers of the format files (trace-cmd, perf) print that
 * only from an array field.  The ports are also fields of their own, in
 * host order, for filters.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM xtcp

#if !defined(_XTCP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _XTCP_TRACE_H

#include <linux/tracepoint.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>

#include "cc.h"
#include "core.h"

/* enum values the format strings use, so trace-cmd can read them */
TRACE_DEFINE_ENUM(XTCP_ESTABLISHED);
TRACE_DEFINE_ENUM(XTCP_SYN_SENT);
TRACE_DEFINE_ENUM(XTCP_SYN_RECV);
TRACE_DEFINE_ENUM(XTCP_FIN_WAIT1);
TRACE_DEFINE_ENUM(XTCP_FIN_WAIT2);
TRACE_DEFINE_ENUM(XTCP_TIME_WAIT);
TRACE_DEFINE_ENUM(XTCP_CLOSE);
TRACE_DEFINE_ENUM(XTCP_CLOSE_WAIT);
TRACE_DEFINE_ENUM(XTCP_LAST_ACK);
TRACE_DEFINE_ENUM(XTCP_LISTEN);
TRACE_DEFINE_ENUM(XTCP_CLOSING);
TRACE_DEFINE_ENUM(XTCP_TW_END_REAPED);
TRACE_DEFINE_ENUM(XTCP_TW_END_KILLED);
TRACE_DEFINE_ENUM(XTCP_TW_END_PURGED);

#ifndef _XTCP_TRACE_ADDR
#define _XTCP_TRACE_ADDR
/*
 * An event's address and port, as the struct sockaddr %pISpc prints: a
 * sockaddr_in for a v4-mapped address, else a sockaddr_in6.
 */
static inline void xtcp_trace_addr(u8 *field, const struct in6_addr *a,
				   __be16 port)
{
	memset(field, 0, sizeof(struct sockaddr_in6));
	if (ipv6_addr_v4mapped(a)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)field;

		sin->sin_family = AF_INET;
		sin->sin_port = port;
		sin->sin_addr.s_addr = a->s6_addr32[3];
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)field;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = port;
		sin6->sin6_addr = *a;
	}
}
#endif

#define xtcp_show_state(state)						\
	__print_symbolic(state,						\
			 { XTCP_ESTABLISHED,	"ESTABLISHED" },	\
			 { XTCP_SYN_SENT,	"SYN_SENT" },		\
			 { XTCP_SYN_RECV,	"SYN_RCVD" },		\
			 { XTCP_FIN_WAIT1,	"FIN_WAIT_1" },		\
			 { XTCP_FIN_WAIT2,	"FIN_WAIT_2" },		\
			 { XTCP_TIME_WAIT,	"TIME_WAIT" },		\
			 { XTCP_CLOSE,		"CLOSED" },		\
			 { XTCP_CLOSE_WAIT,	"CLOSE_WAIT" },		\
			 { XTCP_LAST_ACK,	"LAST_ACK" },		\
			 { XTCP_LISTEN,		"LISTEN" },		\
			 { XTCP_CLOSING,	"CLOSING" })

#define xtcp_show_flags(flags)						\
	__print_flags(flags, "|",					\
		      { XTCP_FIN, "FIN" }, { XTCP_SYN, "SYN" },		\
		      { XTCP_RST, "RST" }, { XTCP_PSH, "PSH" },		\
		      { XTCP_ACK, "ACK" })

TRACE_DEFINE_ENUM(XTCP_CC_PHASE_SLOW_START);
TRACE_DEFINE_ENUM(XTCP_CC_PHASE_CSS);
TRACE_DEFINE_ENUM(XTCP_CC_PHASE_AVOIDANCE);
TRACE_DEFINE_ENUM(XTCP_CC_PHASE_RECOVERY);
TRACE_DEFINE_ENUM(XTCP_CC_PHASE_LOSS);

#define xtcp_show_cc_phase(phase)					\
	__print_symbolic(phase,						\
			 { XTCP_CC_PHASE_SLOW_START,	"slow_start" },	\
			 { XTCP_CC_PHASE_CSS,		"css" },	\
			 { XTCP_CC_PHASE_AVOIDANCE,	"avoidance" },	\
			 { XTCP_CC_PHASE_RECOVERY,	"recovery" },	\
			 { XTCP_CC_PHASE_LOSS,		"loss" })

#define xtcp_show_tw_end(why)						\
	__print_symbolic(why,						\
			 { XTCP_TW_END_REAPED, "reaped" },		\
			 { XTCP_TW_END_KILLED, "killed" },		\
			 { XTCP_TW_END_PURGED, "purged" })

TRACE_EVENT(xtcp_set_state,
	    TP_PROTO(const struct net *net, int oldstate, int newstate,
		     const struct in6_addr *laddr, __be16 lport,
		     const struct in6_addr *raddr, __be16 rport),
	    TP_ARGS(net, oldstate, newstate, laddr, lport, raddr, rport),
	    TP_STRUCT__entry(__field(unsigned int, netns)
			     __array(u8, laddr, sizeof(struct sockaddr_in6))
			     __array(u8, raddr, sizeof(struct sockaddr_in6))
			     __field(u16, lport)
			     __field(u16, rport)
			     __field(int, oldstate)
			     __field(int, newstate)),
	    TP_fast_assign(__entry->netns = net->ns.inum;
			   xtcp_trace_addr(__entry->laddr, laddr, lport);
			   xtcp_trace_addr(__entry->raddr, raddr, rport);
			   __entry->lport = ntohs(lport);
			   __entry->rport = ntohs(rport);
			   __entry->oldstate = oldstate;
			   __entry->newstate = newstate;),
	    TP_printk("netns=%u %pISpc -> %pISpc %s -> %s",
		      __entry->netns,
		      __entry->laddr, __entry->raddr,
		      xtcp_show_state(__entry->oldstate),
		      xtcp_show_state(__entry->newstate))
);

DECLARE_EVENT_CLASS(xtcp_segment,
		    TP_PROTO(const struct net *net, const struct in6_addr *laddr,
			     __be16 lport, const struct in6_addr *raddr,
			     __be16 rport, const struct xtcp_seg *seg, u32 len),
		    TP_ARGS(net, laddr, lport, raddr, rport, seg, len),
		    TP_STRUCT__entry(__field(unsigned int, netns)
				     __array(u8, laddr, sizeof(struct sockaddr_in6))
				     __array(u8, raddr, sizeof(struct sockaddr_in6))
				     __field(u16, lport)
				     __field(u16, rport)
				     __field(u32, seq)
				     __field(u32, ack)
				     __field(u32, len)
				     __field(u16, window)
				     __field(u8, flags)),
		    TP_fast_assign(__entry->netns = net->ns.inum;
				   xtcp_trace_addr(__entry->laddr, laddr, lport);
				   xtcp_trace_addr(__entry->raddr, raddr, rport);
				   __entry->lport = ntohs(lport);
				   __entry->rport = ntohs(rport);
				   __entry->seq = seg->seq;
				   __entry->ack = seg->ack;
				   __entry->len = len;
				   __entry->window = seg->window;
				   __entry->flags = seg->flags;),
		    TP_printk("netns=%u %pISpc -> %pISpc flags=%s seq=%u ack=%u win=%u len=%u",
			      __entry->netns,
			      __entry->laddr, __entry->raddr,
			      xtcp_show_flags(__entry->flags), __entry->seq,
			      __entry->ack, __entry->window, __entry->len)
);

/* Sent: local is the segment's source. */
DEFINE_EVENT(xtcp_segment, xtcp_segment_tx,
	     TP_PROTO(const struct net *net, const struct in6_addr *laddr,
		      __be16 lport, const struct in6_addr *raddr,
		      __be16 rport, const struct xtcp_seg *seg, u32 len),
	     TP_ARGS(net, laddr, lport, raddr, rport, seg, len)
);

/* Received: local is the segment's destination, as for sent ones. */
DEFINE_EVENT(xtcp_segment, xtcp_segment_rx,
	     TP_PROTO(const struct net *net, const struct in6_addr *laddr,
		      __be16 lport, const struct in6_addr *raddr,
		      __be16 rport, const struct xtcp_seg *seg, u32 len),
	     TP_ARGS(net, laddr, lport, raddr, rport, seg, len)
);

DECLARE_EVENT_CLASS(xtcp_conn,
		    TP_PROTO(const struct net *net, const struct in6_addr *laddr,
			     __be16 lport, const struct in6_addr *raddr,
			     __be16 rport, int state, u32 seq),
		    TP_ARGS(net, laddr, lport, raddr, rport, state, seq),
		    TP_STRUCT__entry(__field(unsigned int, netns)
				     __array(u8, laddr, sizeof(struct sockaddr_in6))
				     __array(u8, raddr, sizeof(struct sockaddr_in6))
				     __field(u16, lport)
				     __field(u16, rport)
				     __field(int, state)
				     __field(u32, seq)),
		    TP_fast_assign(__entry->netns = net->ns.inum;
				   xtcp_trace_addr(__entry->laddr, laddr, lport);
				   xtcp_trace_addr(__entry->raddr, raddr, rport);
				   __entry->lport = ntohs(lport);
				   __entry->rport = ntohs(rport);
				   __entry->state = state;
				   __entry->seq = seq;),
		    TP_printk("netns=%u %pISpc -> %pISpc state=%s seq=%u",
			      __entry->netns,
			      __entry->laddr, __entry->raddr,
			      xtcp_show_state(__entry->state), __entry->seq)
);

/* seq: the first sequence number of the segment sent again */
DEFINE_EVENT(xtcp_conn, xtcp_retransmit,
	     TP_PROTO(const struct net *net, const struct in6_addr *laddr,
		      __be16 lport, const struct in6_addr *raddr,
		      __be16 rport, int state, u32 seq),
	     TP_ARGS(net, laddr, lport, raddr, rport, state, seq)
);

/* seq: the reset's; state: the sender's (CLOSED: no socket) */
DEFINE_EVENT(xtcp_conn, xtcp_reset_tx,
	     TP_PROTO(const struct net *net, const struct in6_addr *laddr,
		      __be16 lport, const struct in6_addr *raddr,
		      __be16 rport, int state, u32 seq),
	     TP_ARGS(net, laddr, lport, raddr, rport, state, seq)
);

/* seq: the reset's; state: the receiver's before the reset */
DEFINE_EVENT(xtcp_conn, xtcp_reset_rx,
	     TP_PROTO(const struct net *net, const struct in6_addr *laddr,
		      __be16 lport, const struct in6_addr *raddr,
		      __be16 rport, int state, u32 seq),
	     TP_ARGS(net, laddr, lport, raddr, rport, state, seq)
);

/* seq: our sequence number after our FIN; state: TIME_WAIT */
DEFINE_EVENT(xtcp_conn, xtcp_tw_create,
	     TP_PROTO(const struct net *net, const struct in6_addr *laddr,
		      __be16 lport, const struct in6_addr *raddr,
		      __be16 rport, int state, u32 seq),
	     TP_ARGS(net, laddr, lport, raddr, rport, state, seq)
);

TRACE_EVENT(xtcp_tw_end,
	    TP_PROTO(const struct net *net, const struct in6_addr *laddr,
		     __be16 lport, const struct in6_addr *raddr,
		     __be16 rport, int why, unsigned int ms),
	    TP_ARGS(net, laddr, lport, raddr, rport, why, ms),
	    TP_STRUCT__entry(__field(unsigned int, netns)
			     __array(u8, laddr, sizeof(struct sockaddr_in6))
			     __array(u8, raddr, sizeof(struct sockaddr_in6))
			     __field(u16, lport)
			     __field(u16, rport)
			     __field(int, why)
			     __field(unsigned int, ms)),
	    TP_fast_assign(__entry->netns = net->ns.inum;
			   xtcp_trace_addr(__entry->laddr, laddr, lport);
			   xtcp_trace_addr(__entry->raddr, raddr, rport);
			   __entry->lport = ntohs(lport);
			   __entry->rport = ntohs(rport);
			   __entry->why = why;
			   __entry->ms = ms;),
	    TP_printk("netns=%u %pISpc -> %pISpc %s after %u ms",
		      __entry->netns,
		      __entry->laddr, __entry->raddr,
		      xtcp_show_tw_end(__entry->why), __entry->ms)
);

TRACE_EVENT(xtcp_cwnd,
	    TP_PROTO(const struct net *net, const struct in6_addr *laddr,
		     __be16 lport, const struct in6_addr *raddr,
		     __be16 rport, const struct xtcp_cc *cc,
		     const struct xtcp_cc_info *info),
	    TP_ARGS(net, laddr, lport, raddr, rport, cc, info),
	    TP_STRUCT__entry(__field(unsigned int, netns)
			     __array(u8, laddr, sizeof(struct sockaddr_in6))
			     __array(u8, raddr, sizeof(struct sockaddr_in6))
			     __field(u16, lport)
			     __field(u16, rport)
			     __field(u32, cwnd)
			     __field(u32, ssthresh)
			     __field(u32, w_max)
			     __field(u32, phase)
			     __array(char, algo, XTCP_CC_NAME_MAX)),
	    TP_fast_assign(__entry->netns = net->ns.inum;
			   xtcp_trace_addr(__entry->laddr, laddr, lport);
			   xtcp_trace_addr(__entry->raddr, raddr, rport);
			   __entry->lport = ntohs(lport);
			   __entry->rport = ntohs(rport);
			   __entry->cwnd = cc->cwnd;
			   __entry->ssthresh = cc->ssthresh;
			   __entry->w_max = info->w_max;
			   __entry->phase = info->phase;
			   strscpy(__entry->algo, cc->algo->name,
				   XTCP_CC_NAME_MAX);),
	    TP_printk("netns=%u %pISpc -> %pISpc %s %s cwnd=%u ssthresh=%u w_max=%u",
		      __entry->netns,
		      __entry->laddr, __entry->raddr, __entry->algo,
		      xtcp_show_cc_phase(__entry->phase), __entry->cwnd,
		      __entry->ssthresh, __entry->w_max)
);

#endif /* _XTCP_TRACE_H */

/* An out-of-tree module: define_trace.h finds this file by path. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
