/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xtcp: the differences between the kernels xtcp supports (Debian's 6.1 and
 * 6.12), kept in this one file so the rest of the code has no version #ifs.
 * Each entry says which kernel changed what.
 */
#ifndef _XTCP_COMPAT_H
#define _XTCP_COMPAT_H

#include <linux/ipv6.h>
#include <linux/net.h>
#include <net/gro.h>

/*
 * proto_ops.accept: 6.10 folded (flags, kern) into struct proto_accept_arg.
 * Kbuild defines XTCP_HAVE_ACCEPT_ARG when the kernel's net.h has it.
 */
#ifdef XTCP_HAVE_ACCEPT_ARG
#define XTCP_ACCEPT_ARGS \
	struct socket *sock, struct socket *newsock, struct proto_accept_arg *arg
#define XTCP_ACCEPT_FLAGS	(arg->flags)
#else
#define XTCP_ACCEPT_ARGS \
	struct socket *sock, struct socket *newsock, int flags, bool kern
#define XTCP_ACCEPT_FLAGS	(flags)
#endif

/*
 * register_net_sysctl(): 6.6 made it a macro over register_net_sysctl_sz()
 * that takes ARRAY_SIZE() of its argument (so no kmemdup()ed copy), and
 * 6.11 dropped the empty entry that ended a table.  Kbuild defines
 * XTCP_HAVE_SYSCTL_SZ when net_namespace.h has the _sz form; @n counts
 * the entries without the terminator, which 6.1 still needs.
 */
#ifdef XTCP_HAVE_SYSCTL_SZ
#define xtcp_register_net_sysctl(net, path, table, n) \
	register_net_sysctl_sz(net, path, table, n)
#else
#define xtcp_register_net_sysctl(net, path, table, n) \
	register_net_sysctl(net, path, table)
#endif

/*
 * A sysctl's proc_handler takes a const struct ctl_table since 6.11.
 * Kbuild defines XTCP_HAVE_CONST_CTL_TABLE when sysctl.h says so.
 */
#ifdef XTCP_HAVE_CONST_CTL_TABLE
#define XTCP_CTL_TABLE		const struct ctl_table
#else
#define XTCP_CTL_TABLE		struct ctl_table
#endif

/*
 * The socket memory accounting helpers (sk_under_memory_pressure(),
 * proto_memory_allocated()...) moved from sock.h to their own header in
 * 6.10.  Kbuild defines XTCP_HAVE_PROTO_MEMORY_H when it exists.
 */
#ifdef XTCP_HAVE_PROTO_MEMORY_H
#include <net/proto_memory.h>
#endif

/*
 * SO_TIMESTAMPING: 6.11 added SOF_TIMESTAMPING_OPT_RX_FILTER, with which
 * a receive timestamp is reported only if its generation was asked for
 * too (RX_SOFTWARE, RX_HARDWARE), not merely enabled by another socket.
 * Kbuild defines XTCP_HAVE_TS_RX_FILTER when net_tstamp.h has it; before,
 * no socket can hold the flag.
 */
#ifdef XTCP_HAVE_TS_RX_FILTER
#define XTCP_TS_RX_FILTER	SOF_TIMESTAMPING_OPT_RX_FILTER
#else
#define XTCP_TS_RX_FILTER	0
#endif

/*
 * Paged-fragment reference helpers (skb_frag_unref()) moved from skbuff.h
 * to their own header in 6.10: XTCP_HAVE_SKBUFF_REF_H when it exists.
 */
#ifdef XTCP_HAVE_SKBUFF_REF_H
#include <linux/skbuff_ref.h>
#endif

/*
 * SOL_SOCKET options through the protocol's own setsockopt(): 6.1's socket
 * layer takes that route for MPTCP alone; later kernels (6.12) let any
 * socket ask for it with the SOCK_CUSTOM_SOCKOPT flag.  xtcp asks, for
 * SO_REUSEPORT, which the generic code refuses to families other than
 * AF_INET/AF_INET6 (where it cannot, XTCP_REUSEPORT at SOL_XTCP sets the
 * same flag), and to refuse SO_TIMESTAMPING's transmit flags (where it
 * cannot, sendmsg() refuses them).
 */
#ifdef SOCK_CUSTOM_SOCKOPT
#define xtcp_sock_custom_sockopt(sock)	set_bit(SOCK_CUSTOM_SOCKOPT, &(sock)->flags)
#else
#define xtcp_sock_custom_sockopt(sock)	do { } while (0)
#endif

/*
 * sendfile() and splice() into a socket: 6.1 hands the pages to sendmsg()
 * through sock_no_sendpage() (xtcp has no sendpage), one page a call,
 * with MSG_SENDPAGE_NOTLAST on all but the last page of a batch; 6.5
 * dropped sendpage for sendmsg() with MSG_SPLICE_PAGES.  xtcp copies from
 * the iterator either way; NOTLAST says more data follows at once, as
 * MSG_MORE does (XTCP_MSG_MORE_FLAGS).
 */
#ifndef MSG_SPLICE_PAGES
#define MSG_SPLICE_PAGES	0
#endif
#ifdef MSG_SENDPAGE_NOTLAST
#define XTCP_MSG_SPLICE_FLAGS	(MSG_SPLICE_PAGES | MSG_SENDPAGE_NOTLAST)
#define XTCP_MSG_MORE_FLAGS	(MSG_MORE | MSG_SENDPAGE_NOTLAST)
#else
#define XTCP_MSG_SPLICE_FLAGS	MSG_SPLICE_PAGES
#define XTCP_MSG_MORE_FLAGS	MSG_MORE
#endif

/*
 * GRO's IPv4 header rules (same TTL, TOS and DF; IP IDs that step by one
 * per segment, or stay fixed with DF): 6.1's inet_gro_receive() compares
 * them itself and leaves the verdict in the held skb's napi_gro_cb (flush,
 * flush_id, is_atomic) for the transport to read; 6.10 moved the whole
 * comparison into gro_receive_network_flush(), for the transport to call.
 * Kbuild defines XTCP_HAVE_GRO_NETWORK_FLUSH when gro.h has it.
 * Return: non-zero if @p must not take a segment with header @th.
 */
#ifdef XTCP_HAVE_GRO_NETWORK_FLUSH
static inline int xtcp_gro_network_flush(const void *th, const void *th2,
					 struct sk_buff *p)
{
	return NAPI_GRO_CB(p)->flush | gro_receive_network_flush(th, th2, p);
}
#else
static inline int xtcp_gro_network_flush(const void *th, const void *th2,
					 struct sk_buff *p)
{
	struct napi_gro_cb *cb = NAPI_GRO_CB(p);

	if (cb->flush)
		return 1;
	/*
	 * flush_id is 0 when the IDs are as the flow's kind says.  For a
	 * DF flow (is_atomic) it is the raw ID difference: 0, fixed IDs,
	 * merges; 1 at the second segment makes it a flow of stepping IDs
	 * from then on.
	 */
	if (cb->count == 1 && cb->is_atomic && cb->flush_id == 1) {
		cb->is_atomic = false;
		return 0;
	}
	return cb->flush_id;
}
#endif

/*
 * ip6_dst_store(): 6.12 says whether the source was set with a bool where
 * 6.1 took the source address (NULL: none cached).  Kbuild defines
 * XTCP_HAVE_DST_STORE_BOOL when ip6_route.h has the bool.
 */
#ifdef XTCP_HAVE_DST_STORE_BOOL
#define xtcp_ip6_dst_store(sk, dst)	ip6_dst_store(sk, dst, NULL, false)
#else
#define xtcp_ip6_dst_store(sk, dst)	ip6_dst_store(sk, dst, NULL, NULL)
#endif

/*
 * ipv6_pinfo.hop_limit (IPV6_UNICAST_HOPS): 6.1 has a 9-bit field, read
 * and written under the socket lock; 6.12 an s16 that the IPv6 code reads
 * without it.  Kbuild defines XTCP_HAVE_HOP_LIMIT_BITS when ipv6.h has
 * the bit-field.
 */
#ifdef XTCP_HAVE_HOP_LIMIT_BITS
#define xtcp_np_hop_limit(np)		((np)->hop_limit)
#define xtcp_np_set_hop_limit(np, v)	((np)->hop_limit = (v))
#else
#define xtcp_np_hop_limit(np)		READ_ONCE((np)->hop_limit)
#define xtcp_np_set_hop_limit(np, v)	WRITE_ONCE((np)->hop_limit, (v))
#endif

/*
 * IPV6_AUTOFLOWLABEL: 6.1 keeps it (and whether it was set) in bit-fields
 * of ipv6_pinfo, written under the socket lock; 6.12 in inet_flags bits,
 * through the inet6_*_bit() macros, which 6.1 lacks.
 */
#ifdef inet6_assign_bit
#define xtcp_autoflowlabel_is_set(sk)	inet6_test_bit(AUTOFLOWLABEL_SET, sk)
#define xtcp_autoflowlabel_bit(sk)	inet6_test_bit(AUTOFLOWLABEL, sk)
static inline void xtcp_autoflowlabel_assign(struct sock *sk, bool on)
{
	inet6_assign_bit(AUTOFLOWLABEL, sk, on);
	inet6_set_bit(AUTOFLOWLABEL_SET, sk);
}
#else
#define xtcp_autoflowlabel_is_set(sk)	(inet6_sk(sk)->autoflowlabel_set)
#define xtcp_autoflowlabel_bit(sk)	(inet6_sk(sk)->autoflowlabel)
static inline void xtcp_autoflowlabel_assign(struct sock *sk, bool on)
{
	inet6_sk(sk)->autoflowlabel = on;
	inet6_sk(sk)->autoflowlabel_set = 1;
}
#endif

#endif /* _XTCP_COMPAT_H */
