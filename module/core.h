/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The xtcp protocol core: wire format, checksum, sequence arithmetic, state
 * names and the legal edges of the state diagram.
 *
 * Nothing here calls into the kernel.  The same core.c is compiled into the
 * module and into the user-space unit tests (tests/unit), and the selftests'
 * scripted peer builds its segments with it, so what the tests pin down is
 * exactly what the module runs.
 *
 * Wire format (all fields big-endian), 20 bytes plus 0..40 bytes of options:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |          Source Port          |        Destination Port       |
 *  +-------------------------------+-------------------------------+
 *  |                        Sequence Number                        |
 *  +---------------------------------------------------------------+
 *  |                     Acknowledgment Number                     |
 *  +-------+-------+---------------+-------------------------------+
 *  | Data  |Version|     Flags     |            Window             |
 *  |Offset |  (1)  |   . . . A P R S F                             |
 *  +-------+-------+---------------+-------------------------------+
 *  |           Checksum            |       Reserved (zero)         |
 *  +-------------------------------+-------------------------------+
 *  |                  Options (Data Offset - 5 words)              |
 *  +---------------------------------------------------------------+
 *
 * Data Offset counts 32-bit words (5..15).  The checksum is the Internet
 * checksum over a pseudo-header (source and destination address, zero,
 * protocol, xtcp length) followed by header and payload, as TCP's.
 * Options are TCP's encoding: kind 0 ends the list, kind 1 pads, then
 * kind/length/value: MSS (kind 2, length 4), window scale (kind 3, length 3),
 * SACK-permitted (kind 4, length 2), SACK (kind 5, length 2 + 8 per
 * block, 1..4 blocks of two sequence numbers) and timestamps (kind 8,
 * length 10: TSval and TSecr).
 */
#ifndef _XTCP_CORE_H
#define _XTCP_CORE_H

#ifdef __KERNEL__
#include <linux/build_bug.h>
#include <linux/export.h>
#include <linux/types.h>
#else
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
/* user space: nothing is exported (a declaration, so the ';' stays legal) */
#define EXPORT_SYMBOL_GPL(sym)	static_assert(1, #sym)
#endif

/* Exported only for the KUnit suites (xtcp_kunit.ko, make kunit). */
#ifdef XTCP_KUNIT
#define XTCP_EXPORT_IF_KUNIT(sym)	EXPORT_SYMBOL_GPL(sym)
#else
#define XTCP_EXPORT_IF_KUNIT(sym)	static_assert(1, #sym)
#endif

#include "../include/uapi/linux/xtcp.h"

#define XTCP_VERSION		1
#define XTCP_HDR_LEN		20	/* header without options */
#define XTCP_MAX_HDR_LEN	60	/* Data Offset 15 */
#define XTCP_MAX_WSCALE		14	/* as RFC 7323 */
#define XTCP_IPV4_MIN_MTU	68	/* RFC 791 */
#define XTCP_IPV4_MAX_MTU	65535	/* the largest datagram IPv4 carries */
#define XTCP_IPV6_MIN_MTU	1280	/* RFC 8200 5 */
/* A 40-byte header and the largest payload its 16-bit length says. */
#define XTCP_IPV6_MAX_MTU	(40 + 65535)

/* Flags byte. */
#define XTCP_FIN		0x01
#define XTCP_SYN		0x02
#define XTCP_RST		0x04
#define XTCP_PSH		0x08
#define XTCP_ACK		0x10
#define XTCP_FLAGS_KNOWN	0x1f

/* Option kinds. */
#define XTCP_OPT_EOL		0
#define XTCP_OPT_NOP		1
#define XTCP_OPT_MSS		2
#define XTCP_OPT_WSCALE		3
#define XTCP_OPT_SACK_PERM	4	/* RFC 2018, length 2, SYNs only */
#define XTCP_OPT_SACK		5	/* RFC 2018, length 2 + 8 * blocks */
#define XTCP_MAX_SACK_BLOCKS	4	/* 2 + 4 * 8 = 34 of the 40 option bytes */
#define XTCP_OPT_TS		8	/* RFC 7323, length 10: TSval, TSecr */

/**
 * struct xtcp_sack_block - one SACK block: bytes [@start, @end) arrived
 * @start: first sequence number of the block
 * @end: one past its last
 */
struct xtcp_sack_block {
	u32 start;
	u32 end;
};

/**
 * struct xtcp_seg - a decoded xtcp header, host byte order
 * @sport: source port
 * @dport: destination port
 * @seq: sequence number
 * @ack: acknowledgment number (meaningful with XTCP_ACK)
 * @flags: XTCP_FIN, XTCP_SYN, ...
 * @hlen: header length in bytes, options included
 * @window: advertised window, unscaled
 * @check: checksum field as received
 * @mss: MSS option value, 0 when absent
 * @wscale: window-scale option value; valid when @has_wscale
 * @has_wscale: the window-scale option was present
 * @sack_perm: the SACK-permitted option was present (on a SYN)
 * @nr_sack: SACK blocks in @sack, 0..XTCP_MAX_SACK_BLOCKS (not on SYNs)
 * @has_ts: the timestamps option was present
 * @tsval: its TSval; valid with @has_ts
 * @tsecr: its TSecr; valid with @has_ts
 * @sack: the SACK option's blocks, in the order the option lists them
 */
struct xtcp_seg {
	u16 sport;
	u16 dport;
	u32 seq;
	u32 ack;
	u8 flags;
	u8 hlen;
	u16 window;
	u16 check;
	u16 mss;
	u8 wscale;
	bool has_wscale;
	bool sack_perm;
	u8 nr_sack;
	bool has_ts;
	u32 tsval;
	u32 tsecr;
	struct xtcp_sack_block sack[XTCP_MAX_SACK_BLOCKS];
};

/* Why xtcp_parse() refused a segment; each maps to a drop counter. */
enum xtcp_parse_result {
	XTCP_PARSE_OK = 0,
	XTCP_PARSE_SHORT,	/* fewer bytes than a header / than Data Offset */
	XTCP_PARSE_BAD_DOFF,	/* Data Offset below 5 */
	XTCP_PARSE_BAD_VERSION,	/* not XTCP_VERSION */
	XTCP_PARSE_BAD_FLAGS,	/* a combination no sender produces */
	XTCP_PARSE_BAD_OPTION,	/* option overruns the header or has a bad length */
	XTCP_PARSE_MAX
};

int xtcp_parse(const u8 *buf, size_t len, struct xtcp_seg *seg);
size_t xtcp_build(u8 *buf, size_t cap, const struct xtcp_seg *seg);
const char *xtcp_parse_result_name(int result);

/* Internet checksum (RFC 1071), over big-endian 16-bit words. */
u32 xtcp_csum_add(u32 sum, const u8 *data, size_t len);
u16 xtcp_csum_fold(u32 sum);
u32 xtcp_csum_pseudo(u32 saddr, u32 daddr, u8 proto, u16 len);
u16 xtcp_csum_segment(u32 saddr, u32 daddr, u8 proto, const u8 *seg, size_t len);
u32 xtcp_csum_pseudo6(const u8 *saddr, const u8 *daddr, u8 proto, u32 len);
u16 xtcp_csum_segment6(const u8 *saddr, const u8 *daddr, u8 proto,
		       const u8 *seg, size_t len);

/*
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 section 3.4): a is
 * "before" b when b - a, as a signed 32-bit number, is positive.
 */
static inline bool xtcp_seq_before(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

static inline bool xtcp_seq_after(u32 a, u32 b)
{
	return xtcp_seq_before(b, a);
}

/* lo <= x <= hi, modulo 2^32 */
static inline bool xtcp_seq_between(u32 x, u32 lo, u32 hi)
{
	return hi - lo >= x - lo;
}

bool xtcp_seq_acceptable(u32 seq, u32 end_seq, u32 rcv_wup, u32 rcv_nxt,
			 u32 rcv_wnd);

/*
 * RFC 7323 5.3 (PAWS): TS.Recent is trusted for 24 days of idleness
 * (XTCP_PAWS_IDLE_S); past that a segment is never rejected for its TSval.
 */
#define XTCP_PAWS_IDLE_S	(24 * 24 * 3600)
bool xtcp_paws_reject(const struct xtcp_seg *seg, bool ts_ok, u32 ts_recent,
		      u32 recent_idle_s);
u32 xtcp_rcv_window(u32 rcv_wup, u32 rcv_nxt, u32 rcv_wnd);
u32 xtcp_window_offer(u32 cur, u32 space, u32 mss, u32 buf);
u32 xtcp_mtu_to_mss(u32 mtu);
u32 xtcp_mtu6_to_mss(u32 mtu);
u8 xtcp_wscale_for(u32 space);
u32 xtcp_rcvbuf_target(u32 copied, u32 space, u32 mss);
bool xtcp_gro_follows(const u8 *th, const u8 *held, u32 held_len);
bool xtcp_gro_ends(const u8 *th);

/*
 * Local addresses, as the socket tables compare them: 16 bytes in network
 * order, an IPv4 address v4-mapped (::ffff:a.b.c.d, RFC 4291 2.5.5.2), so
 * that one rule serves AF_INET and dual-stack AF_INET6 sockets, as
 * Linux's ipv6_rcv_saddr_equal() and its listener lookups do.
 */
bool xtcp_addr6_mapped(const u8 *a);
bool xtcp_addr6_any(const u8 *a);
bool xtcp_addr_overlap(const u8 *a, bool a_v6only, const u8 *b, bool b_v6only);
unsigned int xtcp_listen_score(const u8 *bound, bool v6_api, bool v6only,
			       const u8 *daddr);

const char *xtcp_state_name(int state);
bool xtcp_state_valid(int state);
bool xtcp_edge_legal(int from, int to);

/* The close half of the diagram: the state each close event leads to. */
int xtcp_state_on_close(int state);
int xtcp_state_on_fin(int state, bool our_fin_acked);
int xtcp_state_on_fin_acked(int state);

/* What a TIME_WAIT entry does with a segment (RFC 9293, RFC 1337). */
enum xtcp_tw_action {
	XTCP_TW_DROP,		/* drop quietly */
	XTCP_TW_ACK,		/* answer with an ACK (rate-limited) */
	XTCP_TW_FIN_ACK,	/* the peer's FIN again: ACK, restart 2*MSL */
	XTCP_TW_RST_IGNORE,	/* an RST: ignore it (RFC 1337) */
	XTCP_TW_NEW_SYN,	/* a new connection's SYN: end the entry */
};

/**
 * struct xtcp_tw_ts - timestamps a TIME_WAIT entry judges a SYN by
 * @tw_ts: the connection in TIME_WAIT used timestamps
 * @ts_recent: the last TSval it had from the peer
 * @syn_ts: the SYN has timestamps and the new connection would use them
 * @tsval: the SYN's TSval
 */
struct xtcp_tw_ts {
	bool tw_ts;
	u32 ts_recent;
	bool syn_ts;
	u32 tsval;
};

enum xtcp_tw_action xtcp_tw_classify(u8 flags, u32 seq, u32 end_seq,
				     u32 rcv_nxt, const struct xtcp_tw_ts *ts);

/*
 * SYN cookies (RFC 4987): the ISN of a SYN+ACK a listener answers without
 * keeping a request.  The 32 bits, before a per-connection keyed hash
 * @base (of the addresses, ports and the peer's ISN) is added to hide them:
 *
 *   31..29  the time counter's low 3 bits (XTCP_COOKIE_PERIOD_S per step)
 *   28..26  index into the MSS table (xtcp_cookie_mss())
 *   25..22  the peer's window-scale shift, 0..14; 15: it sent none
 *   21..0   the low 22 bits of a keyed hash @mac of the same connection,
 *           the full time counter and the two fields above
 *
 * The hashes come from the caller (the module's siphash keys); what is
 * here packs, unpacks and checks.  A cookie is valid for
 * XTCP_COOKIE_MAX_AGE counter steps: the step it was made in and the next.
 */
#define XTCP_COOKIE_PERIOD_S	64	/* seconds per time-counter step */
#define XTCP_COOKIE_MAX_AGE	2	/* steps a cookie is accepted for */
#define XTCP_COOKIE_MSS_NUM	8	/* entries of the MSS table */
#define XTCP_COOKIE_NO_WSCALE	15	/* field value: no window scale */

/**
 * struct xtcp_cookie - what a SYN cookie carries
 * @count: the full time counter it was made at
 * @mss_idx: index into the MSS table (0..XTCP_COOKIE_MSS_NUM - 1)
 * @wscale: the peer's window-scale shift (0..XTCP_MAX_WSCALE)
 * @has_wscale: the peer sent the window-scale option
 */
struct xtcp_cookie {
	u32 count;
	u8 mss_idx;
	u8 wscale;
	bool has_wscale;
};

u16 xtcp_cookie_mss(unsigned int idx);
unsigned int xtcp_cookie_mss_index(u16 mss);
u32 xtcp_cookie_fields(const struct xtcp_cookie *c);
u32 xtcp_cookie_make(u32 base, u32 mac, const struct xtcp_cookie *c);
bool xtcp_cookie_decode(u32 cookie, u32 base, u32 now, struct xtcp_cookie *c);
bool xtcp_cookie_mac_ok(u32 cookie, u32 base, u32 mac);

#endif /* _XTCP_CORE_H */
