/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xtcp KUnit harness: one socket under test and a peer the test plays.
 *
 * The suites of module/tests/ make xtcp_kunit.ko (make kunit), loaded in
 * the debug kernel after an xtcp.ko built with XTCP_KUNIT=1; KUnit runs
 * them as xtcp_kunit.ko loads.  A test talks to a real xtcp socket
 * (sock_create_kern() in init_net, on 127.0.0.1) through the real receive
 * entry (the handler xtcp registered in inet_protos) and reads what xtcp
 * sends from a "wire": while a test runs, every segment xtcp would hand
 * to IP is queued there instead (xtcp_kunit_capture(), kunit.c).
 * Everything happens in the test's own thread, segment after segment, as
 * smoltcp's tests drive its sockets; timers still run, so a check skips
 * a retransmission it did not ask for.
 *
 * Why KUnit and not a user-space mock of the kernel (as HomaModule has):
 * the code under test runs on the real sk_buff, socket lock, timers,
 * slab and RCU, under KASAN, lockdep and kmemleak, and its allocation
 * failures come from the kernel's own fail-nth, in softirq-like context
 * (softirqs off) as on the receive path.  A mock would have to imitate
 * all of that for the two kernels xtcp supports, and would drift from it.
 *
 * State builders (xkt_established(), xkt_fin_wait2(), ...) put the socket
 * in a state by the segments a peer would send, so a test starts from a
 * connection that got there honestly.
 */
#ifndef _XTCP_KUNIT_HARNESS_H
#define _XTCP_KUNIT_HARNESS_H

#include <kunit/test.h>
#include <linux/net.h>
#include <linux/skbuff.h>

#include "../xtcp.h"

/**
 * struct xkt - one test's connection and its peer
 * @test: the KUnit test
 * @wire: segments xtcp sent, oldest first
 * @sock: the socket under test (a connected one, or the accepted child)
 * @lsock: the listener, when the test made one
 * @laddr: our address, 127.0.0.1
 * @raddr: the peer's, 127.0.0.2
 * @lport: our port, host order, one per test
 * @rport: the peer's, host order
 * @iss: our initial sequence number, from our SYN (or SYN+ACK)
 * @snd: our next sequence number as the peer has seen it
 * @peer_seq: the peer's next sequence number
 * @peer_window: the window the peer's segments carry (65535 unless a
 *	test sets it; the peer offers no window scaling)
 * @peer_sack: the peer's SYN (or SYN+ACK) offers SACK (RFC 2018); off
 *	unless a test sets it
 * @gso_size: the MSS of the last segment xkt_next() took if it was a
 *	run (many segments in one skb, offload.c), else 0
 * @last: the segment xkt_expect() returned last, to skip its resends
 * @saved: sysctls xkt_sysctl_set() changed, with their values before,
 *	put back by xkt_exit()
 * @nsaved: how many of @saved are in use
 */
/* sysctls one test may change (struct xkt.saved) */
#define XKT_MAX_SAVED	2

struct xkt {
	struct kunit *test;
	struct sk_buff_head wire;
	struct socket *sock;
	struct socket *lsock;
	__be32 laddr;
	__be32 raddr;
	u16 lport;
	u16 rport;
	u32 iss;
	u32 snd;
	u32 peer_seq;
	u16 peer_window;
	bool peer_sack;
	unsigned int gso_size;
	struct xtcp_seg last;
	struct {
		const char *path;
		char val[32];
	} saved[XKT_MAX_SAVED];
	unsigned int nsaved;
};

/*
 * The most rounds of a walk of allocation failures (xkt_deliver_failing()):
 * more allocations than any one segment or call makes, so the walks end
 * before.
 */
#define XKT_MAX_NTH	64

/* The peer's initial sequence number: near the wrap, on purpose. */
#define XKT_PEER_ISS	0xfffffff0U

int xkt_init(struct kunit *test);
void xkt_exit(struct kunit *test);
struct xkt *xkt_of(struct kunit *test);

struct sk_buff *xkt_segment(struct xkt *t, u8 flags, u32 seq, u32 ack,
			    const void *data, size_t len);
struct sk_buff *xkt_sack_segment(struct xkt *t, u32 ack,
				 const struct xtcp_sack_block *blk,
				 unsigned int n);
void xkt_deliver(struct xkt *t, struct sk_buff *skb);
void xkt_send(struct xkt *t, u8 flags, u32 seq, u32 ack, const void *data,
	      size_t len);
bool xkt_next(struct xkt *t, struct xtcp_seg *seg, unsigned int *len);
unsigned int xkt_take_data(struct xkt *t, u32 seq, unsigned int want,
			   unsigned int mss);
void xkt_expect(struct xkt *t, u8 flags, struct xtcp_seg *seg,
		unsigned int *len);
void xkt_expect_ack(struct xkt *t, u32 ack);
void xkt_expect_quiet(struct xkt *t);
bool xkt_synack_to(struct xkt *t, u16 port, struct xtcp_seg *seg);
void xkt_purge(struct xkt *t);
void xkt_release(struct socket **sockp);
int xkt_bound_socket(__be32 addr, u16 port, struct socket **sockp);
int xkt_sysctl_read(const char *path, char *buf, size_t size);
int xkt_sysctl_write(const char *path, const char *val);
int xkt_sysctl_set(struct xkt *t, const char *path, const char *val);
void xkt_next_round(struct xkt *t, bool new_local);
bool xkt_poll(struct xkt *t, bool (*done)(struct xkt *t, long a, long b),
	      long a, long b);
bool xkt_wait(struct xkt *t);
bool xkt_wait_state(struct xkt *t, int state);
bool xkt_wait_mib(struct xkt *t, enum xtcp_mib field, long above);
int xkt_setsockopt(struct xkt *t, int level, int optname, int val);
void xkt_forget(struct xkt *t);
int xkt_state(const struct xkt *t);
long xkt_mib(const struct xkt *t, enum xtcp_mib field);

void xkt_open(struct xkt *t);
void xkt_connect(struct xkt *t);
void xkt_established(struct xkt *t);
void xkt_fin_wait1(struct xkt *t);
void xkt_fin_wait2(struct xkt *t);
void xkt_closing(struct xkt *t);
void xkt_close_wait(struct xkt *t, const void *unread, size_t len);
void xkt_last_ack(struct xkt *t);
void xkt_listen(struct xkt *t);
void xkt_syn_rcvd(struct xkt *t);
void xkt_accepted(struct xkt *t);

bool xkt_deliver_failing(struct xkt *t, struct sk_buff *skb,
			 unsigned int nth);
int xkt_recv(struct xkt *t, void *buf, size_t len);
int xkt_write(struct xkt *t, const void *buf, size_t len);

#endif /* _XTCP_KUNIT_HARNESS_H */
