// SPDX-License-Identifier: GPL-2.0
/*
 * The xtcp protocol core: see core.h.  Kernel-free by design; this file is
 * built both into xtcp.ko and into the user-space unit tests.
 */
#include "core.h"

static u16 get16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

static u32 get32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static void put16(u8 *p, u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(u8 *p, u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/*
 * Flag combinations no correct sender produces.  Every segment but a SYN
 * opening a connection or an RST answering one without ACK carries ACK
 * (RFC 9293 3.10.7); SYN never travels with FIN or RST.
 */
static bool flags_sane(u8 flags)
{
	if (flags & ~XTCP_FLAGS_KNOWN)
		return false;
	if ((flags & XTCP_SYN) && (flags & (XTCP_FIN | XTCP_RST)))
		return false;
	if (!(flags & (XTCP_SYN | XTCP_RST | XTCP_ACK)))
		return false;	/* nothing to act on: a bare FIN/PSH or no flags */
	if ((flags & XTCP_FIN) && !(flags & XTCP_ACK))
		return false;
	return true;
}

/* The blocks of a SACK option (the last one, if a segment has several). */
static void parse_sack(const u8 *p, unsigned int n, struct xtcp_seg *seg)
{
	unsigned int i;

	/* 40 option bytes hold no more than 4 blocks */
	seg->nr_sack = n < XTCP_MAX_SACK_BLOCKS ? n : XTCP_MAX_SACK_BLOCKS;
	for (i = 0; i < seg->nr_sack; i++) {
		seg->sack[i].start = get32(p + 8 * i);
		seg->sack[i].end = get32(p + 8 * i + 4);
	}
}

static int parse_options(const u8 *opt, size_t len, struct xtcp_seg *seg)
{
	size_t i = 0;

	while (i < len) {
		u8 kind = opt[i], olen;

		if (kind == XTCP_OPT_EOL)
			break;
		if (kind == XTCP_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return XTCP_PARSE_BAD_OPTION;
		olen = opt[i + 1];
		if (olen < 2 || olen > len - i)
			return XTCP_PARSE_BAD_OPTION;
		switch (kind) {
		case XTCP_OPT_MSS:
			if (olen != 4)
				return XTCP_PARSE_BAD_OPTION;
			/* Only meaningful on SYNs: ignored elsewhere, as TCP does. */
			if (seg->flags & XTCP_SYN)
				seg->mss = get16(opt + i + 2);
			break;
		case XTCP_OPT_WSCALE:
			if (olen != 3)
				return XTCP_PARSE_BAD_OPTION;
			if (seg->flags & XTCP_SYN) {
				seg->wscale = opt[i + 2];
				/* RFC 7323 2.3: clamp, do not refuse. */
				if (seg->wscale > XTCP_MAX_WSCALE)
					seg->wscale = XTCP_MAX_WSCALE;
				seg->has_wscale = true;
			}
			break;
		case XTCP_OPT_TS:
			/* as TCP: any other length is ignored */
			if (olen == 10) {
				seg->has_ts = true;
				seg->tsval = get32(opt + i + 2);
				seg->tsecr = get32(opt + i + 6);
			}
			break;
		case XTCP_OPT_SACK_PERM:
			/* as TCP: a malformed one is ignored, not fatal */
			if (olen == 2 && (seg->flags & XTCP_SYN))
				seg->sack_perm = true;
			break;
		case XTCP_OPT_SACK:
			/* blocks mean nothing on a SYN; malformed: ignored */
			if (!(seg->flags & XTCP_SYN) && olen >= 10 &&
			    !((olen - 2) % 8))
				parse_sack(opt + i + 2, (olen - 2) / 8, seg);
			break;
		default:
			break;	/* unknown options are skipped */
		}
		i += olen;
	}
	return XTCP_PARSE_OK;
}

/**
 * xtcp_parse() - decode and sanity-check an xtcp header
 * @buf: first byte of the xtcp header
 * @len: bytes available from @buf (header, options and payload)
 * @seg: filled in on success; contents undefined on failure
 *
 * Checks lengths, version, flags and option encoding, never the checksum
 * (the caller knows the addresses) and never the socket state.
 *
 * Return: XTCP_PARSE_OK or the reason the segment must be dropped.
 */
int xtcp_parse(const u8 *buf, size_t len, struct xtcp_seg *seg)
{
	unsigned int doff;

	if (len < XTCP_HDR_LEN)
		return XTCP_PARSE_SHORT;
	doff = buf[12] >> 4;
	if (doff < XTCP_HDR_LEN / 4)
		return XTCP_PARSE_BAD_DOFF;
	if (doff * 4 > len)
		return XTCP_PARSE_SHORT;
	if ((buf[12] & 0x0f) != XTCP_VERSION)
		return XTCP_PARSE_BAD_VERSION;

	seg->sport = get16(buf);
	seg->dport = get16(buf + 2);
	seg->seq = get32(buf + 4);
	seg->ack = get32(buf + 8);
	seg->flags = buf[13];
	seg->window = get16(buf + 14);
	seg->check = get16(buf + 16);
	seg->hlen = doff * 4;
	seg->mss = 0;
	seg->wscale = 0;
	seg->has_wscale = false;
	seg->sack_perm = false;
	seg->nr_sack = 0;
	seg->has_ts = false;
	seg->tsval = 0;
	seg->tsecr = 0;

	if (!flags_sane(seg->flags))
		return XTCP_PARSE_BAD_FLAGS;
	return parse_options(buf + XTCP_HDR_LEN, seg->hlen - XTCP_HDR_LEN, seg);
}
EXPORT_SYMBOL_GPL(xtcp_parse);	/* xtcp_fault.ko classifies segments with it */

/*
 * Two NOPs, then an option's kind and length, so that its value starts
 * word-aligned; returns the 4 bytes written.
 */
static size_t put_nop_nop_opt(u8 *p, u8 kind, u8 len)
{
	p[0] = XTCP_OPT_NOP;
	p[1] = XTCP_OPT_NOP;
	p[2] = kind;
	p[3] = len;
	return 4;
}

/**
 * xtcp_build() - encode an xtcp header with its options
 * @buf: where to write
 * @cap: bytes available at @buf
 * @seg: the fields; @seg->mss, @seg->has_wscale, @seg->sack_perm,
 *	@seg->has_ts and @seg->nr_sack add options, in that order, each
 *	padded with NOPs to 4-byte words; @seg->hlen and @seg->check are
 *	ignored
 *
 * The checksum field is written as zero: the caller fills it in once the
 * payload is in place (xtcp_csum_segment() or the kernel's helpers).
 *
 * Return: header length written (a multiple of 4), or 0 if @cap is short
 * or the options would not fit in 40 bytes (more than 4 SACK blocks, more
 * than 3 beside timestamps, any beside all the SYN options).
 */
size_t xtcp_build(u8 *buf, size_t cap, const struct xtcp_seg *seg)
{
	size_t hlen = XTCP_HDR_LEN, i;

	if (seg->mss)
		hlen += 4;
	if (seg->has_wscale)
		hlen += 4;	/* NOP + 3-byte option keeps 4-byte alignment */
	if (seg->sack_perm)
		hlen += 4;	/* NOP NOP kind length */
	if (seg->has_ts)
		hlen += 12;	/* NOP NOP kind length TSval TSecr */
	if (seg->nr_sack > XTCP_MAX_SACK_BLOCKS)
		return 0;
	if (seg->nr_sack)
		hlen += 4 + 8 * seg->nr_sack;
	if (hlen > XTCP_MAX_HDR_LEN || cap < hlen)
		return 0;

	put16(buf, seg->sport);
	put16(buf + 2, seg->dport);
	put32(buf + 4, seg->seq);
	put32(buf + 8, seg->ack);
	buf[12] = (u8)(hlen / 4) << 4 | XTCP_VERSION;
	buf[13] = seg->flags;
	put16(buf + 14, seg->window);
	put16(buf + 16, 0);
	put16(buf + 18, 0);

	i = XTCP_HDR_LEN;
	if (seg->mss) {
		buf[i] = XTCP_OPT_MSS;
		buf[i + 1] = 4;
		put16(buf + i + 2, seg->mss);
		i += 4;
	}
	if (seg->has_wscale) {
		buf[i] = XTCP_OPT_NOP;
		buf[i + 1] = XTCP_OPT_WSCALE;
		buf[i + 2] = 3;
		buf[i + 3] = seg->wscale;
		i += 4;
	}
	if (seg->sack_perm)
		i += put_nop_nop_opt(buf + i, XTCP_OPT_SACK_PERM, 2);
	if (seg->has_ts) {
		put_nop_nop_opt(buf + i, XTCP_OPT_TS, 10);
		put32(buf + i + 4, seg->tsval);
		put32(buf + i + 8, seg->tsecr);
		i += 12;
	}
	if (seg->nr_sack) {
		unsigned int b;

		put_nop_nop_opt(buf + i, XTCP_OPT_SACK, (u8)(2 + 8 * seg->nr_sack));
		for (b = 0; b < seg->nr_sack; b++) {
			put32(buf + i + 4 + 8 * b, seg->sack[b].start);
			put32(buf + i + 8 + 8 * b, seg->sack[b].end);
		}
	}
	return hlen;
}

XTCP_EXPORT_IF_KUNIT(xtcp_build);

static const char *const parse_result_names[XTCP_PARSE_MAX] = {
	[XTCP_PARSE_OK]			= "ok",
	[XTCP_PARSE_SHORT]		= "short",
	[XTCP_PARSE_BAD_DOFF]		= "bad_doff",
	[XTCP_PARSE_BAD_VERSION]	= "bad_version",
	[XTCP_PARSE_BAD_FLAGS]		= "bad_flags",
	[XTCP_PARSE_BAD_OPTION]		= "bad_option",
};

/**
 * xtcp_parse_result_name() - short name of an xtcp_parse() result
 * @result: an enum xtcp_parse_result value
 *
 * Return: a static string; "unknown" for values out of range.
 */
const char *xtcp_parse_result_name(int result)
{
	if (result < 0 || result >= XTCP_PARSE_MAX)
		return "unknown";
	return parse_result_names[result];
}

/**
 * xtcp_csum_add() - add bytes to a running Internet checksum
 * @sum: running 32-bit sum (0 to start)
 * @data: bytes, read as big-endian 16-bit words
 * @len: byte count; an odd last byte is padded with zero
 *
 * Return: the new running sum, to be folded with xtcp_csum_fold().
 */
u32 xtcp_csum_add(u32 sum, const u8 *data, size_t len)
{
	u64 acc = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		acc += get16(data + i);
	if (len & 1)
		acc += (u32)data[len - 1] << 8;
	while (acc >> 32)
		acc = (acc & 0xffffffff) + (acc >> 32);
	return (u32)acc;
}

/**
 * xtcp_csum_fold() - fold a running sum to the 16-bit checksum field value
 * @sum: running sum from xtcp_csum_add()
 *
 * Return: the ones' complement of the folded sum, host byte order.
 */
u16 xtcp_csum_fold(u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (u16)~sum;
}

XTCP_EXPORT_IF_KUNIT(xtcp_csum_fold);

/**
 * xtcp_csum_pseudo() - running sum of the IPv4 pseudo-header
 * @saddr: source address, host byte order
 * @daddr: destination address, host byte order
 * @proto: IP protocol number
 * @len: xtcp length (header, options and payload)
 *
 * Return: a running sum to continue with xtcp_csum_add().
 */
u32 xtcp_csum_pseudo(u32 saddr, u32 daddr, u8 proto, u16 len)
{
	u8 ph[12];

	put32(ph, saddr);
	put32(ph + 4, daddr);
	ph[8] = 0;
	ph[9] = proto;
	put16(ph + 10, len);
	return xtcp_csum_add(0, ph, sizeof(ph));
}

XTCP_EXPORT_IF_KUNIT(xtcp_csum_pseudo);

/**
 * xtcp_csum_segment() - checksum of a whole segment with its pseudo-header
 * @saddr: source address, host byte order
 * @daddr: destination address, host byte order
 * @proto: IP protocol number
 * @seg: header, options and payload, with the checksum field as it is
 * @len: bytes at @seg
 *
 * With the checksum field zero the result is the value to store there; over
 * a received segment a correct checksum yields 0.
 *
 * Return: the folded checksum, host byte order.
 */
u16 xtcp_csum_segment(u32 saddr, u32 daddr, u8 proto, const u8 *seg, size_t len)
{
	return xtcp_csum_fold(xtcp_csum_add(xtcp_csum_pseudo(saddr, daddr, proto,
							     (u16)len),
					    seg, len));
}

/**
 * xtcp_csum_pseudo6() - running sum of the IPv6 pseudo-header
 * @saddr: source address, 16 bytes in network order
 * @daddr: destination address, 16 bytes in network order
 * @proto: IP protocol number (the upper-layer header's Next Header)
 * @len: xtcp length (header, options and payload)
 *
 * RFC 8200 8.1: both addresses, the upper-layer length as 32 bits, three
 * zero bytes and the protocol.  Routing headers are not looked through:
 * @daddr is the final destination.
 *
 * Return: a running sum to continue with xtcp_csum_add().
 */
u32 xtcp_csum_pseudo6(const u8 *saddr, const u8 *daddr, u8 proto, u32 len)
{
	u8 tail[8];

	put32(tail, len);
	tail[4] = 0;
	tail[5] = 0;
	tail[6] = 0;
	tail[7] = proto;
	return xtcp_csum_add(xtcp_csum_add(xtcp_csum_add(0, saddr, 16),
					   daddr, 16),
			     tail, sizeof(tail));
}

XTCP_EXPORT_IF_KUNIT(xtcp_csum_pseudo6);

/**
 * xtcp_csum_segment6() - checksum of a whole segment with its IPv6
 * pseudo-header
 * @saddr: source address, 16 bytes in network order
 * @daddr: destination address, 16 bytes in network order
 * @proto: IP protocol number
 * @seg: header, options and payload, with the checksum field as it is
 * @len: bytes at @seg
 *
 * As xtcp_csum_segment(): zero over a received segment whose checksum is
 * right, the value to store with the field zero.
 *
 * Return: the folded checksum, host byte order.
 */
u16 xtcp_csum_segment6(const u8 *saddr, const u8 *daddr, u8 proto,
		       const u8 *seg, size_t len)
{
	return xtcp_csum_fold(xtcp_csum_add(xtcp_csum_pseudo6(saddr, daddr,
							      proto, (u32)len),
					    seg, len));
}

/* ---- local addresses: IPv4 v4-mapped, one rule for both families ---- */

static bool addr6_equal(const u8 *a, const u8 *b)
{
	unsigned int i;

	for (i = 0; i < 16; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/**
 * xtcp_addr6_mapped() - is @a a v4-mapped address (::ffff:0:0/96)?
 * @a: 16 bytes, network order
 *
 * Return: true for ::ffff:a.b.c.d, ::ffff:0.0.0.0 (IPv4's wildcard) too.
 */
bool xtcp_addr6_mapped(const u8 *a)
{
	unsigned int i;

	for (i = 0; i < 10; i++)
		if (a[i])
			return false;
	return a[10] == 0xff && a[11] == 0xff;
}

/**
 * xtcp_addr6_any() - is @a IPv6's unspecified address, ::?
 * @a: 16 bytes, network order
 *
 * Return: true for ::, false for anything else (::ffff:0.0.0.0 included).
 */
bool xtcp_addr6_any(const u8 *a)
{
	unsigned int i;

	for (i = 0; i < 16; i++)
		if (a[i])
			return false;
	return true;
}

/* ::ffff:0.0.0.0, which an AF_INET socket bound to INADDR_ANY holds */
static bool addr6_v4_any(const u8 *a)
{
	return xtcp_addr6_mapped(a) && !(a[12] | a[13] | a[14] | a[15]);
}

/**
 * xtcp_addr_overlap() - could sockets bound to @a and @b take one packet?
 * @a: one socket's local address (16 bytes, IPv4 v4-mapped)
 * @a_v6only: that socket takes IPv6 only (IPV6_V6ONLY)
 * @b: the other's
 * @b_v6only: the other's IPV6_V6ONLY
 *
 * The address half of a bind() or listen() conflict, Linux's
 * ipv6_rcv_saddr_equal() with wildcards on both sides: two IPv4
 * addresses overlap when equal or either is IPv4's wildcard; :: overlaps
 * every IPv6 address, and every IPv4 one unless its socket is v6only;
 * two IPv6 addresses otherwise only when equal.
 *
 * Return: true if some destination address reaches both.
 */
bool xtcp_addr_overlap(const u8 *a, bool a_v6only, const u8 *b, bool b_v6only)
{
	bool am = xtcp_addr6_mapped(a), bm = xtcp_addr6_mapped(b);

	if (am && bm)
		return addr6_equal(a, b) || addr6_v4_any(a) || addr6_v4_any(b);
	if (xtcp_addr6_any(a) && !(a_v6only && bm))
		return true;
	if (xtcp_addr6_any(b) && !(b_v6only && am))
		return true;
	return addr6_equal(a, b);
}

/**
 * xtcp_listen_score() - how well a listener's address fits a destination
 * @bound: the listener's local address (16 bytes, IPv4 v4-mapped)
 * @v6_api: it was bound through the IPv6 API (sockaddr_in6)
 * @v6only: it takes IPv6 only (IPV6_V6ONLY)
 * @daddr: the segment's destination, v4-mapped when it came over IPv4
 *
 * Linux's order: an exact address before a wildcard, and for IPv4 an
 * AF_INET listener before a dual-stack one bound alike.  Over IPv4: 4
 * exact (IPv4 API), 3 exact (::ffff:a.b.c.d through the IPv6 API), 2
 * IPv4's wildcard, 1 :: or ::ffff:0.0.0.0 of a dual-stack listener.  Over
 * IPv6 only IPv6-API listeners fit: 2 exact, 1 ::.
 *
 * Return: 0 if the listener does not take the segment, else the fit.
 */
unsigned int xtcp_listen_score(const u8 *bound, bool v6_api, bool v6only,
			       const u8 *daddr)
{
	bool exact = addr6_equal(bound, daddr);

	if (!xtcp_addr6_mapped(daddr)) {
		if (!v6_api)
			return 0;
		return exact ? 2 : xtcp_addr6_any(bound);
	}
	if (!v6_api)
		return exact ? 4 : addr6_v4_any(bound) ? 2 : 0;
	if (v6only)
		return 0;
	if (exact)
		return 3;
	return xtcp_addr6_any(bound) || addr6_v4_any(bound);
}

/* One source of truth for state names: /proc, tracepoints, tools, tests. */
static const char *const state_names[XTCP_MAX_STATES] = {
	[0]			= "UNKNOWN",
	[XTCP_ESTABLISHED]	= "ESTABLISHED",
	[XTCP_SYN_SENT]		= "SYN_SENT",
	[XTCP_SYN_RECV]		= "SYN_RCVD",
	[XTCP_FIN_WAIT1]	= "FIN_WAIT_1",
	[XTCP_FIN_WAIT2]	= "FIN_WAIT_2",
	[XTCP_TIME_WAIT]	= "TIME_WAIT",
	[XTCP_CLOSE]		= "CLOSED",
	[XTCP_CLOSE_WAIT]	= "CLOSE_WAIT",
	[XTCP_LAST_ACK]		= "LAST_ACK",
	[XTCP_LISTEN]		= "LISTEN",
	[XTCP_CLOSING]		= "CLOSING",
};

/**
 * xtcp_state_valid() - is @state one of enum xtcp_state's states
 * @state: any integer
 *
 * Return: true for XTCP_ESTABLISHED .. XTCP_CLOSING.
 */
bool xtcp_state_valid(int state)
{
	return state >= XTCP_ESTABLISHED && state < XTCP_MAX_STATES;
}

/**
 * xtcp_rcv_window() - receive window still open from RCV.NXT
 * @rcv_wup: RCV.NXT when the window was last advertised
 * @rcv_nxt: RCV.NXT now
 * @rcv_wnd: the window advertised then, bytes
 *
 * Return: bytes from @rcv_nxt to the advertised right edge, 0 if RCV.NXT
 * has passed it.
 */
u32 xtcp_rcv_window(u32 rcv_wup, u32 rcv_nxt, u32 rcv_wnd)
{
	u32 wnd = rcv_wup + rcv_wnd - rcv_nxt;

	return (s32)wnd < 0 ? 0 : wnd;
}

/**
 * xtcp_window_offer() - the receive window to announce, with SWS avoidance
 * @cur: bytes still open to the right of RCV.NXT, as last announced
 * @space: bytes the receiver could offer now
 * @mss: the effective MSS of the peer's segments
 * @buf: the whole receive buffer, in window bytes
 *
 * The right edge never moves left (RFC 9293 3.8.6), and it moves right
 * only by at least min(@buf / 2, @mss) at a time (the receiver's silly
 * window syndrome avoidance, RFC 9293 3.8.6.2.2): a window that would
 * open by a sliver stays where it is, so the peer is never invited to
 * send tiny segments.
 *
 * Return: the window to announce, bytes; @cur or more.
 */
u32 xtcp_window_offer(u32 cur, u32 space, u32 mss, u32 buf)
{
	u32 step = buf / 2 < mss ? buf / 2 : mss;

	if (space <= cur || space - cur < step)
		return cur;
	return space;
}

/* @mtu within [@lo, @hi], less an IP header of @ip_hdr and our header. */
static u32 mtu_less_headers(u32 mtu, u32 lo, u32 hi, u32 ip_hdr)
{
	if (mtu < lo)
		mtu = lo;
	if (mtu > hi)
		mtu = hi;
	return mtu - ip_hdr - XTCP_HDR_LEN;
}

/**
 * xtcp_mtu_to_mss() - the MSS an IPv4 path of @mtu bytes carries
 * @mtu: the path's MTU
 *
 * The MTU less a 20-byte IPv4 header and a 20-byte xtcp header without
 * options: the MSS option counts no options (RFC 9293 3.7.1), as TCP's
 * does; only SYNs carry options, and they carry no data.  The MTU is taken
 * within IPv4's bounds, so the result is from 28 to 65495.
 *
 * Return: bytes.
 */
u32 xtcp_mtu_to_mss(u32 mtu)
{
	return mtu_less_headers(mtu, XTCP_IPV4_MIN_MTU, XTCP_IPV4_MAX_MTU, 20);
}

/**
 * xtcp_mtu6_to_mss() - the MSS an IPv6 path of @mtu bytes carries
 * @mtu: the path's MTU
 *
 * As xtcp_mtu_to_mss(), less a 40-byte IPv6 header (extension headers,
 * when a socket has any, are the caller's to subtract).  The MTU is taken
 * within IPv6's bounds, so the result is from 1220 to 65515; loopback's
 * 65536 gives 65476, TCP's MSS over ::1.
 *
 * Return: bytes.
 */
u32 xtcp_mtu6_to_mss(u32 mtu)
{
	return mtu_less_headers(mtu, XTCP_IPV6_MIN_MTU, XTCP_IPV6_MAX_MTU, 40);
}

/**
 * xtcp_wscale_for() - the window-scale shift a receive buffer needs
 * @space: the largest window the socket may ever offer, bytes
 *
 * The smallest shift that lets the 16-bit window field say @space
 * (RFC 7323 2.2), at most XTCP_MAX_WSCALE: a larger shift would only
 * coarsen every window offered.
 *
 * Return: 0..XTCP_MAX_WSCALE.
 */
u8 xtcp_wscale_for(u32 space)
{
	u8 shift = 0;

	while (shift < XTCP_MAX_WSCALE && (65535ULL << shift) < space)
		shift++;
	return shift;
}

/**
 * xtcp_rcvbuf_target() - dynamic right-sizing: the window a reader needs
 * @copied: bytes the application read during the last round trip
 * @space: the most it read in one round trip before (0: none measured)
 * @mss: the connection's MSS
 *
 * Twice what the reader took in a round trip, so the sender's window can
 * double in slow start without waiting for the reader, plus sixteen
 * segments of slack for reordering and delayed ACKs: the rule of
 * Linux's tcp_rcv_space_adjust() in spirit.  When the rate grew since @space the
 * target grows by as much again, so the window keeps ahead of slow start.
 * 0 when the reader is not faster than before: the buffer stays.
 *
 * Return: bytes of window (payload), at most U32_MAX.
 */
u32 xtcp_rcvbuf_target(u32 copied, u32 space, u32 mss)
{
	u64 win;

	copied = copied < (1U << 30) ? copied : 1U << 30;	/* no overflow */
	if (copied <= space)
		return 0;
	win = 2ULL * copied + 16ULL * mss;
	if (space)
		win += win * (copied - space) / space;
	return win > 0xffffffffULL ? 0xffffffffU : (u32)win;
}

/**
 * xtcp_gro_follows() - may an arriving segment join a held one (GRO)?
 * @th: the arriving segment's header, options included
 * @held: the held segment's header (the same ports: the caller looked)
 * @held_len: payload bytes the held one carries so far
 *
 * A burst becomes one long segment only if that says exactly what its
 * segments said one by one: @th starts where @held's payload ends; both
 * carry the same acknowledgment, window, header length and options; both
 * are plain ACK segments, except that the arriving one may end the burst
 * with PSH or FIN (they then belong to the merged segment's last byte).
 * The checksum field is not compared: each segment's was checked.
 *
 * Return: true if they merge.
 */
bool xtcp_gro_follows(const u8 *th, const u8 *held, u32 held_len)
{
	unsigned int hlen = (th[12] >> 4) * 4, i;

	if (th[12] != held[12] || hlen < XTCP_HDR_LEN)
		return false;
	if (held[13] != XTCP_ACK ||
	    (th[13] & ~(XTCP_PSH | XTCP_FIN)) != XTCP_ACK)
		return false;
	if (get32(th + 4) != get32(held + 4) + held_len)
		return false;
	/* acknowledgment, window, then the reserved bytes and options */
	for (i = 8; i < hlen; i++) {
		if (i >= 12 && i < 14)
			continue;	/* compared above */
		if (i >= 16 && i < 18)
			continue;	/* checksum */
		if (th[i] != held[i])
			return false;
	}
	return true;
}

/**
 * xtcp_gro_ends() - must a burst go up at this segment?
 * @th: the segment's header
 *
 * Anything but a plain ACK (PSH, FIN, SYN, RST, no ACK) is delivered at
 * once with what was held before it: the reader or the state machine is
 * waiting for it.
 *
 * Return: true if it ends the burst.
 */
bool xtcp_gro_ends(const u8 *th)
{
	return th[13] != XTCP_ACK;
}

/**
 * xtcp_seq_acceptable() - may a segment in a synchronized state be processed?
 * @seq: SEG.SEQ
 * @end_seq: SEG.SEQ + SEG.LEN, SYN and FIN counted
 * @rcv_wup: RCV.NXT when the window was last advertised
 * @rcv_nxt: RCV.NXT
 * @rcv_wnd: the window advertised at @rcv_wup, bytes
 *
 * RFC 9293 3.10.7.4's acceptability test, widened at both ends the way
 * Linux's TCP widens it: a segment that reaches at least to the last point
 * we advertised from (@rcv_wup) is processed even if its text is old, so
 * the ACK it carries is not lost, and one that starts right at the
 * window's edge (an ACK from a peer that filled the window, a probe of a
 * closed one) is processed too.  What lies beyond the window is the data
 * path's to drop.  Segments wholly before @rcv_wup or starting beyond the
 * edge are refused.
 *
 * Return: true if acceptable.
 */
bool xtcp_seq_acceptable(u32 seq, u32 end_seq, u32 rcv_wup, u32 rcv_nxt,
			 u32 rcv_wnd)
{
	u32 edge = rcv_nxt + xtcp_rcv_window(rcv_wup, rcv_nxt, rcv_wnd);

	return !xtcp_seq_before(end_seq, rcv_wup) && !xtcp_seq_after(seq, edge);
}

/**
 * xtcp_paws_reject() - RFC 7323 5.3's PAWS test of an arriving segment
 * @seg: the segment
 * @ts_ok: the connection negotiated timestamps and has a TS.Recent
 * @ts_recent: TS.Recent, the TSval of the last segment that advanced the
 *	left edge of the window
 * @recent_idle_s: seconds since TS.Recent was last set
 *
 * A segment whose TSval is older than TS.Recent (in the same modulo-2^32
 * sense as sequence numbers) is an old duplicate: reject it, unless
 * TS.Recent has gone unrefreshed for XTCP_PAWS_IDLE_S (the timestamp
 * clock may have wrapped since) or the segment is a reset (5.3 R1: RSTs
 * are judged by sequence number alone).  Segments without the option are
 * not judged here.
 *
 * Return: true if the segment must be dropped (and, not being a reset,
 * acknowledged).
 */
bool xtcp_paws_reject(const struct xtcp_seg *seg, bool ts_ok, u32 ts_recent,
		      u32 recent_idle_s)
{
	if (!ts_ok || !seg->has_ts || (seg->flags & XTCP_RST))
		return false;
	if (recent_idle_s >= XTCP_PAWS_IDLE_S)
		return false;
	return xtcp_seq_before(seg->tsval, ts_recent);
}

/**
 * xtcp_state_name() - the name a state is shown under everywhere
 * @state: an enum xtcp_state value
 *
 * Return: a static string; "UNKNOWN" for values that are not states.
 */
const char *xtcp_state_name(int state)
{
	if (!xtcp_state_valid(state))
		return state_names[0];
	return state_names[state];
}

#define EDGE(from, to)	(1u << (XTCP_##to))

/*
 * The edges of the state diagram xtcp implements: for each state, the set of
 * states it may move to.  RFC 9293's diagram, plus the edges every real
 * stack has for aborts (RST, timeouts, close of an unfinished open), which
 * all lead to CLOSED.  A request born from a listener starts in SYN_RCVD, so
 * LISTEN -> SYN_RCVD is the edge a request takes, not the listener.
 */
static const u32 legal_edges[XTCP_MAX_STATES] = {
	[XTCP_CLOSE]		= EDGE(CLOSE, LISTEN) | EDGE(CLOSE, SYN_SENT),
	[XTCP_LISTEN]		= EDGE(LISTEN, SYN_RECV) | EDGE(LISTEN, CLOSE),
	[XTCP_SYN_SENT]		= EDGE(SYN_SENT, ESTABLISHED) |
				  EDGE(SYN_SENT, SYN_RECV) |
				  EDGE(SYN_SENT, CLOSE),
	[XTCP_SYN_RECV]		= EDGE(SYN_RECV, ESTABLISHED) |
				  EDGE(SYN_RECV, FIN_WAIT1) |
				  EDGE(SYN_RECV, CLOSE),
	[XTCP_ESTABLISHED]	= EDGE(ESTABLISHED, FIN_WAIT1) |
				  EDGE(ESTABLISHED, CLOSE_WAIT) |
				  EDGE(ESTABLISHED, CLOSE),
	[XTCP_FIN_WAIT1]	= EDGE(FIN_WAIT1, FIN_WAIT2) |
				  EDGE(FIN_WAIT1, CLOSING) |
				  EDGE(FIN_WAIT1, TIME_WAIT) |
				  EDGE(FIN_WAIT1, CLOSE),
	[XTCP_FIN_WAIT2]	= EDGE(FIN_WAIT2, TIME_WAIT) |
				  EDGE(FIN_WAIT2, CLOSE),
	[XTCP_CLOSING]		= EDGE(CLOSING, TIME_WAIT) | EDGE(CLOSING, CLOSE),
	[XTCP_CLOSE_WAIT]	= EDGE(CLOSE_WAIT, LAST_ACK) |
				  EDGE(CLOSE_WAIT, CLOSE),
	[XTCP_LAST_ACK]		= EDGE(LAST_ACK, CLOSE),
	[XTCP_TIME_WAIT]	= EDGE(TIME_WAIT, CLOSE),
};

/**
 * xtcp_edge_legal() - may a connection move from @from to @to
 * @from: current state
 * @to: next state
 *
 * Return: true if @from -> @to is an edge of xtcp's state diagram.
 */
bool xtcp_edge_legal(int from, int to)
{
	if (!xtcp_state_valid(from) || !xtcp_state_valid(to))
		return false;
	return legal_edges[from] & (1u << to);
}

/**
 * xtcp_state_on_close() - where close() or shutdown(SHUT_WR) leads
 * @state: the connection's state
 *
 * Our FIN is queued: ESTABLISHED (and SYN_RCVD) -> FIN_WAIT_1, CLOSE_WAIT
 * -> LAST_ACK.  Other states send no FIN.
 *
 * Return: the next state, or @state when no FIN goes out.
 */
int xtcp_state_on_close(int state)
{
	switch (state) {
	case XTCP_SYN_RECV:
	case XTCP_ESTABLISHED:
		return XTCP_FIN_WAIT1;
	case XTCP_CLOSE_WAIT:
		return XTCP_LAST_ACK;
	default:
		return state;
	}
}

/**
 * xtcp_state_on_fin() - where the peer's FIN, taken in order, leads
 * @state: the connection's state
 * @our_fin_acked: everything we sent, our own FIN included, is acked
 *
 * ESTABLISHED -> CLOSE_WAIT (the passive close); FIN_WAIT_2 -> TIME_WAIT;
 * FIN_WAIT_1 -> TIME_WAIT if the same segment acked our FIN, else CLOSING
 * (the FINs crossed).  Elsewhere a FIN changes nothing (in CLOSE_WAIT,
 * CLOSING, LAST_ACK it is a retransmission).
 *
 * Return: the next state, or @state.
 */
int xtcp_state_on_fin(int state, bool our_fin_acked)
{
	switch (state) {
	case XTCP_ESTABLISHED:
		return XTCP_CLOSE_WAIT;
	case XTCP_FIN_WAIT1:
		return our_fin_acked ? XTCP_TIME_WAIT : XTCP_CLOSING;
	case XTCP_FIN_WAIT2:
		return XTCP_TIME_WAIT;
	default:
		return state;
	}
}

/**
 * xtcp_state_on_fin_acked() - where the ACK of our FIN leads
 * @state: the connection's state
 *
 * FIN_WAIT_1 -> FIN_WAIT_2, CLOSING -> TIME_WAIT, LAST_ACK -> CLOSED.
 *
 * Return: the next state, or @state.
 */
int xtcp_state_on_fin_acked(int state)
{
	switch (state) {
	case XTCP_FIN_WAIT1:
		return XTCP_FIN_WAIT2;
	case XTCP_CLOSING:
		return XTCP_TIME_WAIT;
	case XTCP_LAST_ACK:
		return XTCP_CLOSE;
	default:
		return state;
	}
}

/*
 * RFC 6191 2: may a SYN start a new connection over a TIME_WAIT entry?
 * With timestamps on both incarnations, by timestamp (a larger one, or
 * an equal one with a larger sequence number); with them on the new one
 * only, always (its segments are told apart by PAWS); without them on
 * the new one, by sequence number (RFC 1122 4.2.2.13).
 */
static bool tw_syn_new(u32 seq, u32 rcv_nxt, const struct xtcp_tw_ts *ts)
{
	bool seq_ok = xtcp_seq_after(seq, rcv_nxt);

	if (!ts || !ts->syn_ts)
		return seq_ok;
	if (!ts->tw_ts)
		return true;
	if (ts->tsval == ts->ts_recent)
		return seq_ok;
	return xtcp_seq_after(ts->tsval, ts->ts_recent);
}

/**
 * xtcp_tw_classify() - what TIME_WAIT does with a segment
 * @flags: the segment's flags
 * @seq: SEG.SEQ
 * @end_seq: SEG.SEQ + SEG.LEN, SYN and FIN counted
 * @rcv_nxt: the peer's sequence number after its FIN
 * @ts: timestamps of the entry and the segment (NULL: neither has them)
 *
 * In order of precedence: an RST is ignored (RFC 1337: an old duplicate
 * must not cut TIME_WAIT short); a SYN without ACK may start a new
 * connection if RFC 6191's rules say so (above @rcv_nxt, or by
 * timestamp); the peer's FIN again (it ends exactly at @rcv_nxt: our
 * last ACK was lost) is ACKed and restarts the 2*MSL; an empty segment
 * exactly at @rcv_nxt (a duplicate of the last ACK) is dropped; anything
 * else, a refused SYN included, is answered with an ACK.
 *
 * Return: an enum xtcp_tw_action.
 */
enum xtcp_tw_action xtcp_tw_classify(u8 flags, u32 seq, u32 end_seq,
				     u32 rcv_nxt, const struct xtcp_tw_ts *ts)
{
	if (flags & XTCP_RST)
		return XTCP_TW_RST_IGNORE;
	if ((flags & (XTCP_SYN | XTCP_ACK)) == XTCP_SYN &&
	    tw_syn_new(seq, rcv_nxt, ts))
		return XTCP_TW_NEW_SYN;
	if ((flags & (XTCP_FIN | XTCP_SYN)) == XTCP_FIN && end_seq == rcv_nxt)
		return XTCP_TW_FIN_ACK;
	if (!(flags & (XTCP_SYN | XTCP_FIN)) && seq == rcv_nxt && end_seq == seq)
		return XTCP_TW_DROP;
	return XTCP_TW_ACK;
}

/*
 * The MSS values a cookie can carry, ascending: what an xtcp peer
 * announces (its route MTU less 20 bytes of IP header and 60 of xtcp
 * header) on the common paths, and TCP's usual values beside them.
 */
static const u16 cookie_mss_table[XTCP_COOKIE_MSS_NUM] = {
	496,	/* a 576-byte path, IPv4's minimum datagram */
	1200,	/* 1280: tunnels sized for IPv6's minimum MTU */
	1360,	/* 1440: PPPoE and VPN paths */
	1420,	/* 1500, Ethernet */
	1440,
	1460,	/* TCP's MSS on Ethernet */
	8920,	/* 9000, jumbo frames */
	65456,	/* 65536, loopback */
};

#define COOKIE_TIME_SHIFT	29
#define COOKIE_MSS_SHIFT	26
#define COOKIE_WS_SHIFT		22
#define COOKIE_TIME_MASK	0x7u
#define COOKIE_MSS_MASK		0x7u
#define COOKIE_WS_MASK		0xfu
#define COOKIE_MAC_MASK		((1u << COOKIE_WS_SHIFT) - 1)

/**
 * xtcp_cookie_mss() - the MSS a cookie's table index stands for
 * @idx: the index
 *
 * Return: bytes, or 0 for an index beyond the table.
 */
u16 xtcp_cookie_mss(unsigned int idx)
{
	if (idx >= XTCP_COOKIE_MSS_NUM)
		return 0;
	return cookie_mss_table[idx];
}

/**
 * xtcp_cookie_mss_index() - the table entry a peer's MSS is encoded as
 * @mss: the MSS the peer announced (0: it sent none, TCP's default 536)
 *
 * The largest entry not above @mss, so the connection never sends more
 * than the peer takes; the smallest entry when @mss is below them all.
 *
 * Return: an index into the table.
 */
unsigned int xtcp_cookie_mss_index(u16 mss)
{
	unsigned int i;

	if (!mss)
		mss = 536;
	for (i = XTCP_COOKIE_MSS_NUM - 1; i > 0; i--)
		if (cookie_mss_table[i] <= mss)
			break;
	return i;
}

/**
 * xtcp_cookie_fields() - the MSS index and window scale as one value
 * @c: the cookie's contents
 *
 * What the caller hashes, with the connection and @c->count, into the
 * cookie's @mac: a changed field then fails xtcp_cookie_mac_ok().
 *
 * Return: (mss index << 4) | window-scale field.
 */
u32 xtcp_cookie_fields(const struct xtcp_cookie *c)
{
	u32 ws = c->has_wscale ? c->wscale : XTCP_COOKIE_NO_WSCALE;

	if (c->has_wscale && ws > XTCP_MAX_WSCALE)
		ws = XTCP_MAX_WSCALE;
	return (u32)(c->mss_idx & COOKIE_MSS_MASK) << 4 | (ws & COOKIE_WS_MASK);
}

/**
 * xtcp_cookie_make() - pack a SYN cookie
 * @base: keyed hash of the connection (addresses, ports, peer's ISN)
 * @mac: keyed hash of the connection, @c->count and xtcp_cookie_fields()
 * @c: what the cookie carries; a shift above XTCP_MAX_WSCALE is clamped
 *
 * Return: the cookie, our initial sequence number.
 */
u32 xtcp_cookie_make(u32 base, u32 mac, const struct xtcp_cookie *c)
{
	u32 f = xtcp_cookie_fields(c);

	return base + ((c->count & COOKIE_TIME_MASK) << COOKIE_TIME_SHIFT |
		       (f >> 4) << COOKIE_MSS_SHIFT |
		       (f & COOKIE_WS_MASK) << COOKIE_WS_SHIFT |
		       (mac & COOKIE_MAC_MASK));
}

/**
 * xtcp_cookie_decode() - unpack a cookie and check its age
 * @cookie: the ACK's acknowledgment number less one
 * @base: the same keyed hash xtcp_cookie_make() was given
 * @now: the time counter now
 * @c: filled in with the fields and the full counter they were made at
 *
 * The counter is rebuilt from its low bits as the most recent value not
 * after @now; a cookie made XTCP_COOKIE_MAX_AGE or more steps ago (or in
 * the future) is refused, as is a window-scale field no peer can have
 * sent (above XTCP_MAX_WSCALE, not XTCP_COOKIE_NO_WSCALE).  The caller
 * then computes the mac for @c and asks xtcp_cookie_mac_ok().
 *
 * Return: true if the cookie may be valid.
 */
bool xtcp_cookie_decode(u32 cookie, u32 base, u32 now, struct xtcp_cookie *c)
{
	u32 v = cookie - base;
	u32 age = (now - (v >> COOKIE_TIME_SHIFT)) & COOKIE_TIME_MASK;
	u32 ws = v >> COOKIE_WS_SHIFT & COOKIE_WS_MASK;

	if (age >= XTCP_COOKIE_MAX_AGE)
		return false;
	if (ws > XTCP_MAX_WSCALE && ws != XTCP_COOKIE_NO_WSCALE)
		return false;
	c->count = now - age;
	c->mss_idx = v >> COOKIE_MSS_SHIFT & COOKIE_MSS_MASK;
	c->has_wscale = ws != XTCP_COOKIE_NO_WSCALE;
	c->wscale = c->has_wscale ? ws : 0;
	return true;
}

/**
 * xtcp_cookie_mac_ok() - does a cookie carry the hash it should?
 * @cookie: the cookie
 * @base: the keyed hash of the connection
 * @mac: the keyed hash for the fields xtcp_cookie_decode() found
 *
 * Return: true if the cookie's hash bits are @mac's.
 */
bool xtcp_cookie_mac_ok(u32 cookie, u32 base, u32 mac)
{
	return ((cookie - base) & COOKIE_MAC_MASK) == (mac & COOKIE_MAC_MASK);
}
