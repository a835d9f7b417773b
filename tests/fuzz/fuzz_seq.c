// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: one connection's receive side, as a script (see
 * fuzz.h) of segments, window updates and application calls.
 *
 * Each segment is built with xtcp_build() and read back with xtcp_parse(),
 * then its acceptability is decided by xtcp_seq_acceptable() and compared
 * with a plain-integer model of the rule, as test_core.c states it: with
 * offsets counted from RCV.WUP, a segment is acceptable when it ends at or
 * after RCV.WUP and starts at or before max(RCV.NXT, RCV.WUP + RCV.WND).
 * The model keeps every offset far below 2^31, where sequence arithmetic
 * and integers agree; RCV.NXT may run past the advertised edge by at most
 * SEQ_OVERRUN_MAX, as a receiver that takes in more than it offered.
 * xtcp_rcv_window() is held to max(0, RCV.WUP + RCV.WND - RCV.NXT) after
 * every step, and to shrinking by exactly what RCV.NXT advances.
 *
 * The connection moves through RFC 9293's state diagram as the segments
 * and calls dictate; each move must be an edge xtcp_edge_legal() allows.
 * A walk event also moves to any state the table allows.  Once per process
 * the table itself is checked: named states, no self-edges, every state
 * reachable from CLOSED and CLOSED reachable from every state.
 */
#include "tests/fuzz/fuzz.h"

struct rcv {
	u32 wup;	/* RCV.NXT when the window was last advertised */
	u32 nxt;	/* RCV.NXT */
	u32 wnd;	/* the window advertised at wup */
};

struct conn {
	int state;
	struct rcv r;
};

/* A u16 read as two's complement. */
static long long signed16(u16 v)
{
	return v < 0x8000 ? v : (long long)v - 0x10000;
}

static long long max_ll(long long a, long long b)
{
	return a > b ? a : b;
}

static long long min_ll(long long a, long long b)
{
	return a < b ? a : b;
}

/* Offset of @seq from RCV.WUP; the model keeps it well within +-2^31. */
static long long off(const struct rcv *r, u32 seq)
{
	return (s32)(seq - r->wup);
}

static u32 model_window(const struct rcv *r)
{
	long long nxt = off(r, r->nxt);

	return nxt > r->wnd ? 0 : (u32)(r->wnd - nxt);
}

static void check_rcv(const struct rcv *r)
{
	u32 edge = r->nxt + model_window(r);

	CHECK(off(r, r->nxt) >= 0);
	CHECK(off(r, r->nxt) <= (long long)r->wnd + SEQ_OVERRUN_MAX);
	CHECK_EQ(xtcp_rcv_window(r->wup, r->nxt, r->wnd), model_window(r));
	/* An ACK at RCV.NXT, and one at the edge, always get through. */
	CHECK(xtcp_seq_acceptable(r->nxt, r->nxt, r->wup, r->nxt, r->wnd));
	CHECK(xtcp_seq_acceptable(edge, edge, r->wup, r->nxt, r->wnd));
	/* Wholly before RCV.WUP, or starting beyond the edge: refused. */
	CHECK(!xtcp_seq_acceptable(r->wup - 1, r->wup - 1, r->wup, r->nxt,
				   r->wnd));
	CHECK(!xtcp_seq_acceptable(edge + 1, edge + 1, r->wup, r->nxt, r->wnd));
}

static void rcv_reset(struct rcv *r, u32 nxt, u32 wnd)
{
	r->nxt = nxt;
	r->wup = nxt;
	r->wnd = wnd;
	CHECK_EQ(xtcp_rcv_window(r->wup, r->nxt, r->wnd), wnd);
}

static void move(struct conn *c, int to)
{
	if (!xtcp_edge_legal(c->state, to)) {
		fprintf(stderr, "%s -> %s\n", xtcp_state_name(c->state),
			xtcp_state_name(to));
		CHECK(xtcp_edge_legal(c->state, to));
	}
	c->state = to;
}

/* RCV.NXT moves on by @n: the open window shrinks by as much. */
static void advance(struct rcv *r, u32 n)
{
	u32 before = xtcp_rcv_window(r->wup, r->nxt, r->wnd), after;

	r->nxt += n;
	after = xtcp_rcv_window(r->wup, r->nxt, r->wnd);
	CHECK_EQ(after, n <= before ? before - n : 0);
}

/*
 * In-order text: what starts at or before RCV.NXT and ends after it is
 * taken up to the window's edge (or past it, by SEQ_OVERRUN_MAX at most,
 * with @overrun).  Out-of-order segments are not queued in this model.
 *
 * Return: the whole segment, its FIN included, was taken.
 */
static bool take(struct rcv *r, u32 seq, u32 seglen, bool overrun)
{
	long long nxt = off(r, r->nxt), s = off(r, seq), e = s + seglen;
	long long limit, upto;

	if (s > nxt || e <= nxt)
		return false;
	limit = overrun ? (long long)r->wnd + SEQ_OVERRUN_MAX :
			  max_ll(nxt, r->wnd);
	upto = min_ll(e, max_ll(limit, nxt));
	if (upto > nxt)
		advance(r, (u32)(upto - nxt));
	return upto == e;
}

static bool receives_text(int state)
{
	return state == XTCP_ESTABLISHED || state == XTCP_FIN_WAIT1 ||
	       state == XTCP_FIN_WAIT2;
}

static void segment(struct conn *c, u8 op, u8 flags, long long rel, u32 len)
{
	struct xtcp_seg out = { 0 }, in;
	bool ours_acked = op & SEQ_SEG_OURS_ACKED, fin;
	u8 b[XTCP_MAX_HDR_LEN];
	long long s, e, edge;
	u32 seglen, end;
	size_t n;

	out.sport = 4000;
	out.dport = 5000;
	out.seq = c->r.nxt + (u32)rel;
	out.ack = 1;
	out.flags = flags;
	out.window = 0xffff;
	n = xtcp_build(b, sizeof(b), &out);
	CHECK_EQ(n, XTCP_HDR_LEN);
	if (xtcp_parse(b, n, &in) != XTCP_PARSE_OK)
		return;		/* a flag combination no sender produces */
	CHECK_EQ(in.seq, out.seq);
	CHECK_EQ(in.flags, flags);

	seglen = len + !!(in.flags & XTCP_SYN) + !!(in.flags & XTCP_FIN);
	end = in.seq + seglen;
	s = off(&c->r, in.seq);
	e = s + seglen;
	edge = max_ll(off(&c->r, c->r.nxt), c->r.wnd);
	CHECK_EQ(xtcp_seq_acceptable(in.seq, end, c->r.wup, c->r.nxt, c->r.wnd),
		 e >= 0 && s <= edge);

	switch (c->state) {
	case XTCP_LISTEN:
		if ((in.flags & XTCP_SYN) && !(in.flags & XTCP_ACK)) {
			rcv_reset(&c->r, in.seq + 1, c->r.wnd);
			move(c, XTCP_SYN_RECV);
		}
		return;
	case XTCP_SYN_SENT:
		/* ours_acked: the segment's ACK is for our SYN. */
		if ((in.flags & XTCP_RST) && (in.flags & XTCP_ACK) && ours_acked) {
			move(c, XTCP_CLOSE);
		} else if (in.flags & XTCP_SYN) {
			rcv_reset(&c->r, in.seq + 1, c->r.wnd);
			if ((in.flags & XTCP_ACK) && ours_acked)
				move(c, XTCP_ESTABLISHED);
			else
				move(c, XTCP_SYN_RECV);	/* simultaneous open */
		}
		return;
	case XTCP_CLOSE:
		return;
	}

	if (!(e >= 0 && s <= edge))
		return;		/* only an ACK goes back */
	if (in.flags & XTCP_RST) {
		move(c, XTCP_CLOSE);
		return;
	}
	if ((in.flags & XTCP_SYN) || !(in.flags & XTCP_ACK))
		return;		/* challenge ACK, or nothing to act on */
	if (c->state == XTCP_SYN_RECV) {
		if (!ours_acked)
			return;
		move(c, XTCP_ESTABLISHED);
	}
	fin = false;
	if (receives_text(c->state))
		fin = take(&c->r, in.seq, seglen, op & SEQ_SEG_OVERRUN) &&
		      (in.flags & XTCP_FIN);

	switch (c->state) {
	case XTCP_ESTABLISHED:
		if (fin)
			move(c, XTCP_CLOSE_WAIT);
		break;
	case XTCP_FIN_WAIT1:
		if (fin && ours_acked)
			move(c, XTCP_TIME_WAIT);
		else if (fin)
			move(c, XTCP_CLOSING);
		else if (ours_acked)
			move(c, XTCP_FIN_WAIT2);
		break;
	case XTCP_FIN_WAIT2:
		if (fin)
			move(c, XTCP_TIME_WAIT);
		break;
	case XTCP_CLOSING:
		if (ours_acked)
			move(c, XTCP_TIME_WAIT);
		break;
	case XTCP_LAST_ACK:
		if (ours_acked)
			move(c, XTCP_CLOSE);
		break;
	}
}

static void app(struct conn *c, u8 what)
{
	switch (what % SEQ_APP_MAX) {
	case SEQ_APP_LISTEN:
		if (c->state == XTCP_CLOSE)
			move(c, XTCP_LISTEN);
		break;
	case SEQ_APP_CONNECT:
		if (c->state == XTCP_CLOSE)
			move(c, XTCP_SYN_SENT);
		break;
	case SEQ_APP_CLOSE:
		if (c->state == XTCP_LISTEN || c->state == XTCP_SYN_SENT)
			move(c, XTCP_CLOSE);
		else if (c->state == XTCP_SYN_RECV ||
			 c->state == XTCP_ESTABLISHED)
			move(c, XTCP_FIN_WAIT1);
		else if (c->state == XTCP_CLOSE_WAIT)
			move(c, XTCP_LAST_ACK);
		break;
	default:	/* aborts, timeouts, TIME_WAIT's end */
		if (c->state != XTCP_CLOSE)
			move(c, XTCP_CLOSE);
		break;
	}
}

static void walk(struct conn *c, u8 b)
{
	int to = (int)(b % (XTCP_MAX_STATES + 3)) - 1;	/* -1 .. MAX + 1 */

	if (!xtcp_edge_legal(c->state, to))
		return;
	CHECK(xtcp_state_valid(to));
	CHECK(to != c->state);
	c->state = to;
}

static void check_state_int(int s)
{
	const char *name = xtcp_state_name(s);

	CHECK(name);
	CHECK_EQ(xtcp_state_valid(s), s >= XTCP_ESTABLISHED &&
		 s < XTCP_MAX_STATES);
	if (!xtcp_state_valid(s)) {
		CHECK(!strcmp(name, "UNKNOWN"));
		CHECK(!xtcp_edge_legal(s, XTCP_CLOSE));
		CHECK(!xtcp_edge_legal(XTCP_CLOSE, s));
	}
}

/* Laws of sequence arithmetic that hold for any three numbers. */
static void arith(u32 a, u32 b, u32 c)
{
	u32 span = c & 0x7fffffffu, hi = b + span;
	bool both = xtcp_seq_before(a, b) && xtcp_seq_before(b, a);

	CHECK(!xtcp_seq_before(a, a) && !xtcp_seq_after(a, a));
	CHECK_EQ(xtcp_seq_after(a, b), xtcp_seq_before(b, a));
	/* Antisymmetric, but for the one distance of exactly 2^31. */
	CHECK_EQ(both, a - b == 0x80000000u);
	if (a != b && !both)
		CHECK(xtcp_seq_before(a, b) != xtcp_seq_after(a, b));
	CHECK(xtcp_seq_between(b, b, c) && xtcp_seq_between(c, b, c));
	/* Below half the space, between() is !before(lo) && !after(hi). */
	CHECK_EQ(xtcp_seq_between(a, b, hi),
		 !xtcp_seq_before(a, b) && !xtcp_seq_after(a, hi));

	/* Any window: the open part is below 2^31, zero or the edge. */
	if (xtcp_rcv_window(a, b, c))
		CHECK_EQ(xtcp_rcv_window(a, b, c), a + c - b);
	CHECK(xtcp_rcv_window(a, b, c) < 0x80000000u);
	if (!xtcp_seq_before(b, a)) {
		CHECK(xtcp_seq_acceptable(b, b, a, b, c));
		if (b - a < 0x80000000u && c < 0x80000000u)
			CHECK_EQ(xtcp_rcv_window(a, b, c),
				 b - a > c ? 0 : c - (b - a));
	}

	check_state_int((int)a);
	check_state_int((int)(b & 0xff) - 0x80);
	CHECK(!xtcp_edge_legal((int)a, (int)b) ||
	      (xtcp_state_valid((int)a) && xtcp_state_valid((int)b)));
}

static void check_table(void)
{
	bool fwd[XTCP_MAX_STATES] = { false }, back[XTCP_MAX_STATES] = { false };
	bool grew = true;
	int s, t;

	for (s = XTCP_ESTABLISHED; s < XTCP_MAX_STATES; s++) {
		const char *name = xtcp_state_name(s);

		CHECK(name && *name && strcmp(name, "UNKNOWN"));
		for (t = XTCP_ESTABLISHED; t < s; t++)
			CHECK(strcmp(name, xtcp_state_name(t)));
		CHECK(!xtcp_edge_legal(s, s));
	}
	for (s = -1; s <= XTCP_MAX_STATES; s++)
		for (t = -1; t <= XTCP_MAX_STATES; t++)
			if (xtcp_edge_legal(s, t))
				CHECK(xtcp_state_valid(s) && xtcp_state_valid(t));

	fwd[XTCP_CLOSE] = true;
	back[XTCP_CLOSE] = true;
	while (grew) {
		grew = false;
		for (s = XTCP_ESTABLISHED; s < XTCP_MAX_STATES; s++)
			for (t = XTCP_ESTABLISHED; t < XTCP_MAX_STATES; t++) {
				if (!xtcp_edge_legal(s, t))
					continue;
				if (fwd[s] && !fwd[t]) {
					fwd[t] = true;
					grew = true;
				}
				if (back[t] && !back[s]) {
					back[s] = true;
					grew = true;
				}
			}
	}
	for (s = XTCP_ESTABLISHED; s < XTCP_MAX_STATES; s++) {
		CHECK(fwd[s]);		/* entered from CLOSED */
		CHECK(back[s]);		/* leads back to CLOSED */
	}
}

int fuzz_one_input(const u8 *data, size_t size)
{
	static bool table_checked;
	struct fuzz_in in = { data, size };
	struct conn c;
	u32 base;
	u16 win;
	u8 ws;

	if (!table_checked) {
		check_table();
		table_checked = true;
	}
	base = fuzz_u32(&in);
	win = fuzz_u16(&in);
	ws = fuzz_u8(&in) % (XTCP_MAX_WSCALE + 1);
	c.state = XTCP_CLOSE;
	rcv_reset(&c.r, base, (u32)win << ws);
	check_rcv(&c.r);

	while (in.left) {
		u8 op = fuzz_u8(&in), flags;
		long long rel;

		switch (op & SEQ_OP_MASK) {
		case SEQ_OP_SEG_FAR:
			flags = fuzz_u8(&in);
			rel = (s32)fuzz_u32(&in) / 4;
			segment(&c, op, flags, rel, fuzz_u16(&in));
			break;
		case SEQ_OP_ADVERTISE:
			win = fuzz_u16(&in);
			ws = fuzz_u8(&in) % (XTCP_MAX_WSCALE + 1);
			rcv_reset(&c.r, c.r.nxt, (u32)win << ws);
			break;
		case SEQ_OP_APP:
			app(&c, fuzz_u8(&in));
			break;
		case SEQ_OP_WALK:
			walk(&c, fuzz_u8(&in));
			break;
		case SEQ_OP_ARITH: {
			u32 a = fuzz_u32(&in), b = fuzz_u32(&in);

			arith(a, b, fuzz_u32(&in));
			break;
		}
		default:
			flags = fuzz_u8(&in);
			rel = signed16(fuzz_u16(&in));
			segment(&c, op, flags, rel, fuzz_u16(&in));
			break;
		}
		CHECK(xtcp_state_valid(c.state));
		CHECK(strcmp(xtcp_state_name(c.state), "UNKNOWN"));
		check_rcv(&c.r);
	}
	return 0;
}
