// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: arbitrary bytes as a received segment.
 *
 * The bytes go to xtcp_parse() from a heap buffer of exactly their length,
 * so AddressSanitizer catches any read past the end.  Checked:
 *
 *  - the result is a named enum xtcp_parse_result value, and one of the
 *    reasons that really apply to these bytes, found by a reference decoder
 *    written from core.h's description of the format (OK exactly when none
 *    applies);
 *  - on success every field is the bytes' value, the header length lies
 *    within the buffer, and the options decode as the reference says;
 *  - xtcp_build() of the parsed header writes nothing when its buffer is
 *    one byte short, and otherwise a header that parses back to the same
 *    fields and builds again to the same bytes;
 *  - the Internet checksum of the bytes matches a textbook one, chains at
 *    any even cut, and a segment carrying it verifies to zero.
 */
#include "tests/fuzz/fuzz.h"
#include "tests/oracle.h"

static u16 be16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

static u32 be32(const u8 *p)
{
	return (u32)be16(p) << 16 | be16(p + 2);
}

/* What the reference decoder makes of an option area. */
struct ref_opts {
	bool bad;		/* an option overruns or has a bad length */
	int n_mss;		/* MSS options seen, before any EOL */
	u16 mss[XTCP_MAX_HDR_LEN];
	int n_wscale;		/* window-scale options seen */
	u8 wscale[XTCP_MAX_HDR_LEN];
	bool has_ts;		/* a well-formed timestamps option */
	u32 tsval, tsecr;	/* the last one's */
	bool sack_perm;		/* a well-formed SACK-permitted option */
	int nr_sack;		/* blocks of the last well-formed SACK option */
	struct xtcp_sack_block sack[XTCP_MAX_SACK_BLOCKS];
};

/*
 * TCP's option encoding as core.h describes it: EOL ends the list, NOP is
 * one byte, anything else is kind, length (counting both), value.  A kind
 * without room for its length byte, or a length that is below 2 or runs
 * past the area, is malformed; so are an MSS not 4 bytes long and a window
 * scale not 3 bytes long.  Timestamps count when 10 bytes long, and
 * SACK-permitted when 2 bytes long,
 * a SACK option when it is 2 + 8n long (n >= 1 blocks); other lengths of
 * those two are ignored, as TCP ignores them.  Other kinds are skipped by
 * their length.
 */
static void ref_options(const u8 *p, const u8 *end, struct ref_opts *r)
{
	memset(r, 0, sizeof(*r));
	while (p < end && *p != XTCP_OPT_EOL) {
		size_t room = end - p;

		if (*p == XTCP_OPT_NOP) {
			p++;
			continue;
		}
		if (room < 2 || p[1] < 2 || p[1] > room) {
			r->bad = true;
			return;
		}
		if (*p == XTCP_OPT_MSS) {
			if (p[1] != 4) {
				r->bad = true;
				return;
			}
			r->mss[r->n_mss++] = be16(p + 2);
		} else if (*p == XTCP_OPT_WSCALE) {
			if (p[1] != 3) {
				r->bad = true;
				return;
			}
			r->wscale[r->n_wscale++] = p[2] > XTCP_MAX_WSCALE ?
						   XTCP_MAX_WSCALE : p[2];
		} else if (*p == XTCP_OPT_TS && p[1] == 10) {
			r->has_ts = true;
			r->tsval = be32(p + 2);
			r->tsecr = be32(p + 6);
		} else if (*p == XTCP_OPT_SACK_PERM && p[1] == 2) {
			r->sack_perm = true;
		} else if (*p == XTCP_OPT_SACK && p[1] >= 10 && (p[1] - 2) % 8 == 0) {
			int i;

			r->nr_sack = (p[1] - 2) / 8;
			for (i = 0; i < r->nr_sack; i++) {
				r->sack[i].start = be32(p + 2 + 8 * i);
				r->sack[i].end = be32(p + 6 + 8 * i);
			}
		}
		p += p[1];
	}
}

/* The reasons that apply to @len bytes at @b, one bit per result. */
static unsigned int ref_reasons(const u8 *b, size_t len, struct ref_opts *ro)
{
	unsigned int why = 0, doff;

	memset(ro, 0, sizeof(*ro));
	if (len < XTCP_HDR_LEN)
		return 1u << XTCP_PARSE_SHORT;	/* nothing else is readable */
	doff = b[12] >> 4;
	if (doff < 5)
		why |= 1u << XTCP_PARSE_BAD_DOFF;
	else if (doff * 4 > len)
		why |= 1u << XTCP_PARSE_SHORT;
	if ((b[12] & 0x0f) != XTCP_VERSION)
		why |= 1u << XTCP_PARSE_BAD_VERSION;
	if (!oracle_flags_legal(b[13]))
		why |= 1u << XTCP_PARSE_BAD_FLAGS;
	if (doff >= 5 && doff * 4 <= len) {
		ref_options(b + XTCP_HDR_LEN, b + doff * 4, ro);
		if (ro->bad)
			why |= 1u << XTCP_PARSE_BAD_OPTION;
	}
	return why;
}

static bool mss_seen(const struct ref_opts *ro, u16 mss)
{
	int i;

	for (i = 0; i < ro->n_mss; i++)
		if (ro->mss[i] == mss)
			return true;
	return false;
}

static bool wscale_seen(const struct ref_opts *ro, u8 wscale)
{
	int i;

	for (i = 0; i < ro->n_wscale; i++)
		if (ro->wscale[i] == wscale)
			return true;
	return false;
}

/* A successful parse of @len bytes at @b, field by field. */
static void check_fields(const u8 *b, size_t len, const struct xtcp_seg *s,
			 const struct ref_opts *ro)
{
	bool syn = s->flags & XTCP_SYN;

	CHECK(s->hlen >= XTCP_HDR_LEN && s->hlen <= XTCP_MAX_HDR_LEN);
	CHECK(s->hlen <= len);
	CHECK_EQ(s->hlen % 4, 0);
	CHECK_EQ(s->hlen, (b[12] >> 4) * 4);
	CHECK_EQ(s->sport, be16(b));
	CHECK_EQ(s->dport, be16(b + 2));
	CHECK_EQ(s->seq, be32(b + 4));
	CHECK_EQ(s->ack, be32(b + 8));
	CHECK_EQ(s->flags, b[13]);
	CHECK_EQ(s->window, be16(b + 14));
	CHECK_EQ(s->check, be16(b + 16));

	/* Options count on SYNs only; then one of those present wins. */
	if (syn && ro->n_mss)
		CHECK(mss_seen(ro, s->mss));
	else
		CHECK_EQ(s->mss, 0);
	CHECK_EQ(s->has_wscale, syn && ro->n_wscale > 0);
	if (s->has_wscale)
		CHECK(wscale_seen(ro, s->wscale));
	else
		CHECK_EQ(s->wscale, 0);
	CHECK(s->wscale <= XTCP_MAX_WSCALE);
	/* timestamps on any segment */
	CHECK_EQ(s->has_ts, ro->has_ts);
	CHECK_EQ(s->tsval, ro->has_ts ? ro->tsval : 0);
	CHECK_EQ(s->tsecr, ro->has_ts ? ro->tsecr : 0);
	/* SACK-permitted on SYNs only, SACK blocks never on them */
	CHECK_EQ(s->sack_perm, syn && ro->sack_perm);
	CHECK(ro->nr_sack <= XTCP_MAX_SACK_BLOCKS);
	CHECK_EQ(s->nr_sack, syn ? 0 : ro->nr_sack);
	if (!syn) {
		int i;

		for (i = 0; i < s->nr_sack; i++) {
			CHECK_EQ(s->sack[i].start, ro->sack[i].start);
			CHECK_EQ(s->sack[i].end, ro->sack[i].end);
		}
	}
}

/* xtcp_build() into a heap buffer of exactly @cap bytes. */
static size_t build_exact(const struct xtcp_seg *s, size_t cap, u8 *out)
{
	u8 *b = malloc(cap);
	size_t n;

	CHECK(b);
	memset(b, 0xa5, cap);
	n = xtcp_build(b, cap, s);
	if (!n) {
		size_t i;

		for (i = 0; i < cap; i++)	/* a refusal writes nothing */
			CHECK_EQ(b[i], 0xa5);
	}
	memcpy(out, b, n);
	free(b);
	return n;
}

static int parse_exact(const u8 *src, size_t len, struct xtcp_seg *s)
{
	u8 *b = malloc(len);
	int r;

	CHECK(b || !len);
	if (len)
		memcpy(b, src, len);
	r = xtcp_parse(b, len, s);
	free(b);
	return r;
}

static void check_round_trip(const struct xtcp_seg *in)
{
	size_t want = XTCP_HDR_LEN + (in->mss ? 4 : 0) + (in->has_wscale ? 4 : 0) +
		      (in->sack_perm ? 4 : 0) + (in->has_ts ? 12 : 0) +
		      (in->nr_sack ? 4 + 8 * in->nr_sack : 0);
	u8 b1[XTCP_MAX_HDR_LEN], b2[XTCP_MAX_HDR_LEN];
	struct xtcp_seg out;
	size_t n;
	int i;

	CHECK_EQ(build_exact(in, want - 1, b1), 0);
	n = build_exact(in, want, b1);
	CHECK_EQ(n, want);
	CHECK_EQ(parse_exact(b1, n, &out), XTCP_PARSE_OK);
	CHECK_EQ(out.sport, in->sport);
	CHECK_EQ(out.dport, in->dport);
	CHECK_EQ(out.seq, in->seq);
	CHECK_EQ(out.ack, in->ack);
	CHECK_EQ(out.flags, in->flags);
	CHECK_EQ(out.window, in->window);
	CHECK_EQ(out.mss, in->mss);
	CHECK_EQ(out.has_wscale, in->has_wscale);
	CHECK_EQ(out.wscale, in->wscale);
	CHECK_EQ(out.sack_perm, in->sack_perm);
	CHECK_EQ(out.has_ts, in->has_ts);
	CHECK_EQ(out.tsval, in->tsval);
	CHECK_EQ(out.tsecr, in->tsecr);
	CHECK_EQ(out.nr_sack, in->nr_sack);
	for (i = 0; i < in->nr_sack; i++) {
		CHECK_EQ(out.sack[i].start, in->sack[i].start);
		CHECK_EQ(out.sack[i].end, in->sack[i].end);
	}
	CHECK_EQ(out.hlen, n);
	CHECK_EQ(out.check, 0);		/* build leaves it to the caller */
	/* A second trip is the identity on bytes. */
	CHECK_EQ(build_exact(&out, sizeof(b2), b2), n);
	CHECK(!memcmp(b1, b2, n));
}

/* The textbook checksum, one byte at a time. */
static u16 ref_csum(const u8 *p, size_t len)
{
	u64 sum = 0;
	size_t i;

	for (i = 0; i < len; i++)
		sum += (i & 1) ? p[i] : (u32)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (u16)~sum;
}

static void check_csum(const u8 *data, size_t len)
{
	size_t cut = len ? (data[0] * len / 256) & ~(size_t)1 : 0;
	u8 *b;
	u16 c;

	if (!len)
		return;
	CHECK_EQ(xtcp_csum_fold(xtcp_csum_add(0, data, len)), ref_csum(data, len));
	CHECK_EQ(xtcp_csum_fold(xtcp_csum_add(xtcp_csum_add(0, data, cut),
					      data + cut, len - cut)),
		 ref_csum(data, len));
	if (len < XTCP_HDR_LEN || len > 0xffff)
		return;
	/* As a sender fills the field in and a receiver verifies it. */
	b = malloc(len);
	CHECK(b);
	memcpy(b, data, len);
	b[16] = 0;
	b[17] = 0;
	c = xtcp_csum_segment(0x0a000001, 0x0a000002, IPPROTO_XTCP, b, len);
	b[16] = c >> 8;
	b[17] = c & 0xff;
	CHECK_EQ(xtcp_csum_segment(0x0a000001, 0x0a000002, IPPROTO_XTCP, b, len),
		 0);
	free(b);
}

int fuzz_one_input(const u8 *data, size_t size)
{
	struct ref_opts ro;
	struct xtcp_seg s;
	unsigned int why;
	const char *name;
	int r;

	why = ref_reasons(data, size, &ro);
	memset(&s, 0x5a, sizeof(s));
	r = parse_exact(data, size, &s);
	CHECK(r >= XTCP_PARSE_OK && r < XTCP_PARSE_MAX);
	name = xtcp_parse_result_name(r);
	CHECK(name && *name && strcmp(name, "unknown"));
	if (r == XTCP_PARSE_OK) {
		CHECK_EQ(why, 0);
		check_fields(data, size, &s, &ro);
		check_round_trip(&s);
	} else {
		CHECK(why & 1u << r);
	}
	check_csum(data, size);
	return 0;
}
