/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared pieces of the libFuzzer targets over the xtcp protocol core
 * (tests/fuzz/fuzz_*.c): a check that aborts, a reader that turns the
 * fuzzer's bytes into numbers, and the byte encodings of the event scripts
 * fuzz_cc and fuzz_seq run, which gen_corpus.c also writes its seeds in.
 *
 * A failed CHECK() prints the condition and calls abort(): libFuzzer then
 * saves the input as a crash-* artifact and exits non-zero.  Each target
 * reads its whole input: running out of bytes yields zeros, so every input
 * is valid and short ones simply end the script early.
 */
#ifndef _XTCP_FUZZ_H
#define _XTCP_FUZZ_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module/core.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/*
 * Each target's entry point.  libFuzzer calls it by its own name, given
 * here as the symbol (a string, so the kernel's naming style holds in the
 * source); u8 is uint8_t under another name.
 */
int fuzz_one_input(const u8 *data, size_t size)
	__asm__("LLVMFuzzerTestOneInput");

static inline void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: CHECK(%s) failed\n", file, line, what);
	abort();
}

static inline void fuzz_fail_eq(const char *file, int line, const char *a,
				long long va, const char *b, long long vb)
{
	fprintf(stderr, "%s:%d: %s is %lld, expected %s = %lld\n",
		file, line, a, va, b, vb);
	abort();
}

#define CHECK(cond) do {						\
		if (!(cond))						\
			fuzz_fail(__FILE__, __LINE__, #cond);		\
	} while (0)

#define CHECK_EQ(a, b) do {						\
		long long _a = (long long)(a), _b = (long long)(b);	\
		if (_a != _b)						\
			fuzz_fail_eq(__FILE__, __LINE__, #a, _a, #b, _b); \
	} while (0)

/* The fuzzer's bytes, consumed front to back; zeros once they run out. */
struct fuzz_in {
	const u8 *p;
	size_t left;
};

static inline u8 fuzz_u8(struct fuzz_in *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static inline u16 fuzz_u16(struct fuzz_in *in)
{
	u16 hi = fuzz_u8(in);

	return (u16)(hi << 8 | fuzz_u8(in));
}

static inline u32 fuzz_u32(struct fuzz_in *in)
{
	u32 hi = fuzz_u16(in);

	return hi << 16 | fuzz_u16(in);
}

/*
 * fuzz_cc's script: a header, then events.
 *
 *   header  u16 MSS, u32 ISN, u32 min RTO, u32 max RTO, u32 granularity
 *   event   u8 op, then the op's arguments
 *
 * The low three bits of op pick the event; the high bits modify it.
 */
#define CC_HDR_LEN		18
enum cc_op {
	CC_OP_SEND = 0,		/* send what cwnd allows */
	CC_OP_ACK,		/* an ACK of new data */
	CC_OP_DUPACK,		/* a duplicate ACK */
	CC_OP_TIMEOUT,		/* the retransmission timer expired */
	CC_OP_RTT,		/* u32: one RTT sample */
	CC_OP_MSS,		/* u32: the MSS changes */
	CC_OP_NOACK,		/* an ACK acknowledging nothing */
	CC_OP_BACKOFF,		/* RTO backoff; CC_BACKOFF_UNDO: an undo */
};

#define CC_OP_MASK		0x07
#define CC_SEND_SOME		0x80	/* u32: send only part of the room */
#define CC_ACK_MODE(op)		(((op) >> 3) & 3)
#define CC_ACK_ALL		0	/* everything in flight */
#define CC_ACK_MSS		1	/* one MSS, or what is in flight */
#define CC_ACK_ANY32		2	/* u32: 1 + u32 % flight */
#define CC_ACK_ANY16		3	/* u16: 1 + u16 % flight */
#define CC_TIMEOUT_REWOUND	0x80	/* u32: pass a rewound SND.NXT */
#define CC_RTT_RETRANSMITTED	0x40	/* the timed segment was resent */
#define CC_RTT_MS		0x80	/* sample = low 16 bits, in ms */
#define CC_BACKOFF_UNDO		0x80	/* an undo event, CC_UNDO_EVENT(op): */
#define CC_UNDO_EVENT(op)	(((op) >> 3) & 3)
#define CC_UNDO_RESENT		0	/* u8 segments, u32 TSval */
#define CC_UNDO_DSACK		1	/* u32 start - una, u16 length */
#define CC_UNDO_ECHO		2	/* u32 TSecr */
#define CC_UNDO_DO		3	/* xtcp_cc_undo() */

/*
 * fuzz_seq's script: a header, then events.
 *
 *   header  u32 peer's sequence number base, u16 window, u8 window scale
 *   event   u8 op, then the op's arguments
 *
 * Offsets are relative to RCV.NXT.  Segments are the common event: op
 * values with low bits 0, 6 and 7 are all short-offset segments.
 */
#define SEQ_HDR_LEN		7
enum seq_op {
	SEQ_OP_SEG = 0,		/* u8 flags, s16 offset, u16 length */
	SEQ_OP_SEG_FAR,		/* u8 flags, u32 offset (signed, / 4), u16 len */
	SEQ_OP_ADVERTISE,	/* u16 window, u8 scale: a window update */
	SEQ_OP_APP,		/* u8 enum seq_app: the application acts */
	SEQ_OP_WALK,		/* u8 state: move there if the table allows */
	SEQ_OP_ARITH,		/* u32 a, b, c: free-form arithmetic laws */
};

#define SEQ_OP_MASK		0x07
#define SEQ_SEG_OURS_ACKED	0x80	/* the segment's ACK covers our FIN */
#define SEQ_SEG_OVERRUN		0x40	/* take data past the window's edge */
#define SEQ_OVERRUN_MAX		65536u	/* how far past the edge, at most */

enum seq_app {
	SEQ_APP_LISTEN = 0,
	SEQ_APP_CONNECT,
	SEQ_APP_CLOSE,
	SEQ_APP_ABORT,		/* RTO give-up, user timeout, SO_LINGER 0 */
	SEQ_APP_MAX
};

#endif /* _XTCP_FUZZ_H */
