// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: the IPv6 protocol handler.
 *
 * ip6_protocol_deliver_rcu() calls xtcp_v6_rcv() in softirq context (with
 * rcu_read_lock held) for every IPv6 datagram whose last header carries
 * our protocol number; the segment then takes the path of IPv4's
 * (xtcp_rcv()).  A v4-mapped address on the wire is refused: such a
 * connection is IPv4's, and its pseudo-header would sum as IPv4's.
 *
 * ICMPv6 errors are decoded here and acted on as ICMP's (ipv4.c,
 * xtcp_icmp_err()).  Packet Too Big shrinks a connection's MSS (path MTU
 * discovery, RFC 8201): IPv6 routers never fragment, so without it a
 * path narrower than the first hop would swallow every full-sized
 * segment.
 */
#define pr_fmt(fmt) "xtcp: " fmt

#include <linux/icmpv6.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <net/ipv6.h>
#include <net/ndisc.h>
#include <net/protocol.h>

#include "xtcp.h"

static int xtcp_v6_rcv(struct sk_buff *skb)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);

	if (ipv6_addr_v4mapped(&ip6h->saddr) ||
	    ipv6_addr_v4mapped(&ip6h->daddr)) {
		xtcp_inc_stat(dev_net(skb->dev), XTCP_MIB_IN_HDR_ERRS);
		kfree_skb(skb);
		return 0;
	}
	return xtcp_rcv(skb, true);
}

/*
 * ICMPv6 errors about a segment of ours (icmpv6_notify(), softirq): the
 * quoted IPv6 header at skb->data, at least the first 8 bytes of ours at
 * @offset (the ports and the sequence number).  Packet Too Big gives a
 * path MTU (RFC 8201; below IPv6's 1280 it is forged or broken); the
 * others an errno, by the kernel's table (icmpv6_err_convert()), and
 * xtcp_icmp_err() does what TCP does with it (a "no route" may undo a
 * backoff, RFC 6069).  A Redirect (ndisc.c
 * hands it here when it quotes our segment) moves the connection's
 * route to the better first hop, as over IPv4.  A quoted v4-mapped
 * address is forged or misrouted: it would find an IPv4 connection in
 * the shared table, lower an IPv4 route's MTU or, as a Redirect, move
 * an IPv4 route.
 */
static int xtcp_v6_err(struct sk_buff *skb, struct inet6_skb_parm *opt,
		       u8 type, u8 code, int offset, __be32 info)
{
	const struct ipv6hdr *hdr = (const struct ipv6hdr *)skb->data;
	struct xtcp_icmp e = {
		.quoted = skb->data + offset,
		.laddr = hdr->saddr,
		.raddr = hdr->daddr,
	};

	if (type == ICMPV6_PKT_TOOBIG && ntohl(info) < IPV6_MIN_MTU)
		return 0;
	/* an IPv4 connection's errors come over ICMPv4, never these */
	if (ipv6_addr_v4mapped(&hdr->saddr) || ipv6_addr_v4mapped(&hdr->daddr))
		return 0;
	if (type == NDISC_REDIRECT)
		e.redirect = true;
	else if (type == ICMPV6_PKT_TOOBIG)
		e.mtu = ntohl(info);
	else	/* its "fatal" errors end a listener's request, as TCP's */
		e.abort = icmpv6_err_convert(type, code, &e.err);
	e.revert = type == ICMPV6_DEST_UNREACH && code == ICMPV6_NOROUTE;
	e.v6 = true;
	xtcp_icmp_err(skb, &e);
	return 0;
}

static const struct inet6_protocol xtcp_v6_protocol = {
	.handler	= xtcp_v6_rcv,
	.err_handler	= xtcp_v6_err,
	.flags		= INET6_PROTO_NOPOLICY | INET6_PROTO_FINAL,
};

/**
 * xtcp_ipv6_init() - claim the protocol number on IPv6's receive path
 *
 * Not on a kernel booted with ipv6.disable=1, which has no IPv6 stack to
 * deliver to us (and bind() and connect() refuse IPv6's own addresses).
 *
 * Return: 0, or -EBUSY when another handler owns the number.
 */
int xtcp_ipv6_init(void)
{
	if (!ipv6_mod_enabled()) {
		pr_info("IPv6 is disabled: xtcp speaks IPv4 only\n");
		return 0;
	}
	if (inet6_add_protocol(&xtcp_v6_protocol, xtcp_ipproto) < 0) {
		pr_err("IPv6 next header %d is taken: load with proto=N\n",
		       xtcp_ipproto);
		return -EBUSY;
	}
	return 0;
}

/**
 * xtcp_ipv6_exit() - release it; waits for receivers inside xtcp_v6_rcv()
 */
void xtcp_ipv6_exit(void)
{
	if (ipv6_mod_enabled())
		inet6_del_protocol(&xtcp_v6_protocol, xtcp_ipproto);
}
