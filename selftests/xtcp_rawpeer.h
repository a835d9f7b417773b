/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A scripted xtcp peer for the selftests, on raw sockets of xtcp's protocol
 * over 127.0.0.1: it sends segments built by the protocol core (SYN
 * options, any flags, payload) and sees every segment the kernel sends.
 * The kernel also answers the peer's segments sent to a port it has no
 * socket on with RSTs: tests drop those with a fault rule
 * ("add dir=out flags=rst port=PEERPORT").
 */
#ifndef _XTCP_SELFTEST_RAWPEER_H
#define _XTCP_SELFTEST_RAWPEER_H

#include "module/core.h"
#include "xtcp_util.h"

/**
 * struct rseg - a segment the raw socket saw
 * @h: its decoded header
 * @len: payload bytes
 * @data: the payload (its first sizeof(data) bytes)
 */
struct rseg {
	struct xtcp_seg h;
	u32 len;
	u8 data[2048];
};

/* A raw socket of xtcp's protocol: sees every segment, sends ours. */
static inline int raw_open(void)
{
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, xtcp_proto());
	int size = 4 << 20;

	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	return fd;
}

/*
 * The next segment @sport -> @dport the raw socket sees, within @ms;
 * 1, or 0 when none came.
 */
static inline int raw_next(int fd, unsigned int sport, unsigned int dport,
			   struct rseg *s, int ms)
{
	long long end = now_ms() + ms;
	u8 pkt[70000];

	for (;;) {
		ssize_t n = recv(fd, pkt, sizeof(pkt), MSG_DONTWAIT);
		size_t ihl;

		if (n < 0) {
			long long left = end - now_ms();

			if (errno != EAGAIN || left <= 0)
				return 0;
			wait_revents(fd, POLLIN, left > 100 ? 100 : (int)left);
			continue;
		}
		ihl = n < 20 ? 0 : (pkt[0] & 0x0f) * 4;
		if (ihl < 20 || ihl > (size_t)n || pkt[9] != xtcp_proto() ||
		    xtcp_parse(pkt + ihl, n - ihl, &s->h) != XTCP_PARSE_OK ||
		    s->h.sport != sport || s->h.dport != dport) {
			/* other traffic never stretches the wait */
			if (now_ms() >= end)
				return 0;
			continue;
		}
		s->len = n - ihl - s->h.hlen;
		memcpy(s->data, pkt + ihl + s->h.hlen,
		       s->len < sizeof(s->data) ? s->len : sizeof(s->data));
		return 1;
	}
}

/**
 * struct peer - what the scripted peer sends with
 * @sport: its port
 * @dport: the listener's
 * @mss: MSS option of its SYN (0: none)
 * @wscale: window-scale option of its SYN (-1: none)
 * @window: window field of its segments
 * @sack_perm: its SYN offers SACK (RFC 2018)
 * @ts: its segments carry timestamps (RFC 7323), @tsval and @tsecr
 * @tsval: the TSval they carry
 * @tsecr: the TSecr they carry
 */
struct peer {
	u16 sport, dport, mss;
	int wscale;
	u16 window;
	bool sack_perm;
	bool ts;
	u32 tsval, tsecr;
};

/* Send the segment @h (its options included) with @len bytes of @data. */
static inline int inject_seg(int raw, struct xtcp_seg *h, const void *data,
			     size_t len)
{
	struct sockaddr_in dst = sin_of(INADDR_LOOPBACK, 0);
	u8 b[2048];
	size_t hl;
	u16 sum;

	if (len > sizeof(b) - XTCP_MAX_HDR_LEN)
		return -1;
	hl = xtcp_build(b, sizeof(b) - len, h);
	if (!hl)
		return -1;
	memcpy(b + hl, data, len);
	sum = xtcp_csum_segment(INADDR_LOOPBACK, INADDR_LOOPBACK, xtcp_proto(),
				b, hl + len);
	b[16] = sum >> 8;
	b[17] = sum & 0xff;
	len += hl;
	return sendto(raw, b, len, 0, (struct sockaddr *)&dst, sizeof(dst)) ==
	       (ssize_t)len ? 0 : -1;
}

/* An ACK of @p's connection carrying the @n SACK blocks @blk; 0, or -1. */
static inline int inject_sack(int raw, const struct peer *p, u32 seq, u32 ack,
			      const struct xtcp_sack_block *blk, unsigned int n)
{
	struct xtcp_seg h = {
		.sport = p->sport, .dport = p->dport, .seq = seq, .ack = ack,
		.flags = XTCP_ACK, .window = p->window,
		.has_ts = p->ts, .tsval = p->tsval, .tsecr = p->tsecr,
	};
	unsigned int i;

	if (n > XTCP_MAX_SACK_BLOCKS)
		return -1;
	for (i = 0; i < n; i++)
		h.sack[i] = blk[i];
	h.nr_sack = n;
	return inject_seg(raw, &h, NULL, 0);
}

/* Send one segment of @p's connection; 0, or -1. */
static inline int inject(int raw, const struct peer *p, u32 seq, u32 ack,
			 u8 flags, const void *data, size_t len)
{
	struct xtcp_seg h = {
		.sport = p->sport, .dport = p->dport, .seq = seq, .ack = ack,
		.flags = flags, .window = p->window,
		.has_ts = p->ts, .tsval = p->tsval, .tsecr = p->tsecr,
	};

	if (flags & XTCP_SYN) {
		h.mss = p->mss;
		h.has_wscale = p->wscale >= 0;
		h.wscale = p->wscale >= 0 ? p->wscale : 0;
		h.sack_perm = p->sack_perm;
	}
	return inject_seg(raw, &h, data, len);
}

/* The peer's SYN with ISN @isn; the listener's SYN+ACK in @sa.  0 or -1. */
static inline int peer_syn(int raw, const struct peer *p, u32 isn, struct rseg *sa)
{
	if (inject(raw, p, isn, 0, XTCP_SYN, NULL, 0))
		return -1;
	if (!raw_next(raw, p->dport, p->sport, sa, XTCP_WAIT_MS))
		return -1;
	return sa->h.flags == (XTCP_SYN | XTCP_ACK) && sa->h.ack == isn + 1 ? 0 : -1;
}

/*
 * The kernel would reset the raw peer's segments sent from @sport (no
 * socket there): drop its RSTs to that port.  0 or -1.
 */
static inline int peer_quiet_rsts(u16 sport)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "add dir=out flags=rst port=%u", sport);
	return xtcp_fault_cmd(cmd);
}

/* The next segment from @p's listener port to @p, within XTCP_WAIT_MS. */
static inline int peer_next(int raw, const struct peer *p, struct rseg *s)
{
	return raw_next(raw, p->dport, p->sport, s, XTCP_WAIT_MS);
}

/* The next ACK without data to @p, skipping what carries data; 1 or 0. */
static inline int peer_next_ack(int raw, const struct peer *p, struct rseg *s)
{
	while (peer_next(raw, p, s))
		if (!s->len && (s->h.flags & XTCP_ACK))
			return 1;
	return 0;
}

#endif /* _XTCP_SELFTEST_RAWPEER_H */
