// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: the lookup tables of a namespace (what inet_hashtables.c is to TCP).
 *
 *   bhash    a bind bucket for each local port in use, hashed by port:
 *            the sockets and TIME_WAIT entries holding that port (bind(),
 *            listen(), ephemeral port choice look at one port's bucket,
 *            as TCP's inet_bind_bucket)
 *   lhash    listeners by local port: a SYN's lookup walks only these
 *   ehash    connections by four-tuple: the receive path's first lookup
 *   twhash   TIME_WAIT entries by four-tuple (the entries themselves and
 *            their lifetime are minisocks.c's)
 *   rqhash   requests (SYN_RCVD) by four-tuple, likewise minisocks.c's:
 *            the handshake's last ACK finds its request as data finds a
 *            connection, in one lookup
 *
 * All of them live in struct xtcp_net.  ehash and twhash are sized when
 * the namespace is made, as TCP's connection table is: the initial
 * namespace's by the machine's memory (or the ehash_entries module
 * parameter), every later one's by child_ehash_entries (TCP's
 * tcp_child_ehash_entries).  Writers (bind, listen, connect, a new
 * child, a request's entry and exit, TIME_WAIT's swap and end) take its
 * hash_lock, with BH disabled from process context and plain in softirq.
 * Readers do not:
 *
 *  - The receive path (xtcp_lookup()) walks @ehash, @twhash, @rqhash and
 *    @lhash under RCU, as TCP's __inet_lookup() does.  Sockets come from a
 *    SLAB_TYPESAFE_BY_RCU cache: freed, a socket's memory may become
 *    another xtcp socket at once, but stays an xtcp socket until a grace
 *    period has passed.  So a reader takes a reference only while the
 *    count is not zero (a socket being set up gets its count last, after
 *    a write barrier: sock_init_data()) and checks the four-tuple again
 *    once it holds one, and its namespace (every namespace has tables
 *    of its own, all from one cache).  @ehash and @lhash are nulls lists
 *    whose end marker is the bucket's index (plus a per-namespace salt),
 *    linked through struct sock's own sk_nulls_node, the one field
 *    sk_alloc() leaves as it was: a reader
 *    led into another chain by a socket that was freed and hashed again
 *    (or unhashed and hashed elsewhere) sees the wrong marker at the end
 *    and starts over.  TIME_WAIT entries are freed a grace period after
 *    their last reference (xtcp_tw_put()), requests likewise
 *    (xtcp_req_put()); neither ever changes chains, so theirs are plain
 *    RCU lists.
 *  - The ephemeral port search (bind_ephemeral()) takes the lock for one
 *    port at a time: no walk over thousands of ports with bottom halves
 *    off.
 *  - /proc/net/xtcp (proc.c) does take it, while it fills one chunk: its
 *    rows of requests and TIME_WAIT entries are @rqhash's and @twhash's,
 *    each chain in decreasing row id order (ids given under the lock).
 *
 * A table holds a reference on what it lists: the connection table one
 * on each socket (sock_hold()), the TIME_WAIT tables one on each entry.
 * A request is in @rqhash exactly while it is on its listener's SYN
 * queue (as seen under the listener's lock), whose reference covers
 * both.
 * A bind bucket lives while a socket or a TIME_WAIT entry is in it: the
 * last one out frees it (bb_put()).
 */
#define pr_fmt(fmt) "xtcp: " fmt

#include <linux/jhash.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/rculist.h>
#include <linux/rculist_nulls.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "xtcp.h"

static u32 xtcp_hash_seed __read_mostly;

const struct in6_addr xtcp_v4_any = {
	.s6_addr32 = { 0, 0, cpu_to_be32(0x0000ffff), 0 },
};

static unsigned int ehash_entries;
module_param(ehash_entries, uint, 0444);
MODULE_PARM_DESC(ehash_entries,
		 "chains of the initial namespace's connection and TIME_WAIT tables (0: one per 128 KiB of memory; rounded up to a power of two, 16..65536)");

static unsigned int child_ehash_entries = 4096;
module_param(child_ehash_entries, uint, 0644);
MODULE_PARM_DESC(child_ehash_entries,
		 "chains of those tables in each namespace made later (default 4096; rounded up to a power of two, 16..65536)");

/**
 * struct xtcp_bind_bucket - the bindings of one local port
 * @node: link in xtcp_net.bhash, by port
 * @owners: the sockets bound to the port (struct xtcp_sock.xs_bind_node)
 * @tw_owners: the TIME_WAIT entries keeping it (struct xtcp_tw.bind_node)
 * @port: the port, host order
 *
 * bind(), listen() and the ephemeral port search look at one port's
 * sockets and entries, however many other ports share the hash chain; a
 * listener's thousands of connections and TIME_WAIT entries are walked
 * only by a bind() to that very port.  Everything here is under
 * xtcp_net.hash_lock.
 */
struct xtcp_bind_bucket {
	struct hlist_node node;
	struct hlist_head owners;
	struct hlist_head tw_owners;
	u16 port;
};

/**
 * xtcp_hash_init() - pick the tables' hash seed, once per module load
 */
void xtcp_hash_init(void)
{
	xtcp_hash_seed = get_random_u32();
}

/*
 * Where a chain of @xn's connection table ends: its index, plus the
 * namespace's salt (bits 16..27), so that a lock-free reader led into
 * another namespace's chain of the same index (by a socket freed and
 * reused there) most likely notices; ehash_match() checks the namespace
 * of what it finds in any case.
 */
static unsigned int ehash_nulls(const struct xtcp_net *xn, unsigned int slot)
{
	return xn->nulls_salt + slot;
}

/* Where a listener chain ends: never where a connection chain ends. */
static unsigned int lhash_nulls(const struct xtcp_net *xn, unsigned int slot)
{
	return XTCP_LHASH_NULLS_BASE + xn->nulls_salt + slot;
}

/**
 * xtcp_ehash_entries() - how many chains a namespace's connection table gets
 * @net: the namespace being made
 *
 * The initial namespace's from ehash_entries, or when that is 0 one per
 * 128 KiB of memory (TCP's scale); any other's from child_ehash_entries
 * as it is when the namespace is made.  Rounded up to a power of two
 * within XTCP_EHASH_MIN..XTCP_EHASH_MAX.
 *
 * Return: the count, also that of the TIME_WAIT and request tables.
 */
unsigned int xtcp_ehash_entries(const struct net *net)
{
	unsigned long n;

	if (net_eq(net, &init_net))
		n = ehash_entries ? : totalram_pages() >> (17 - PAGE_SHIFT);
	else
		n = READ_ONCE(child_ehash_entries);
	return roundup_pow_of_two(clamp_t(unsigned long, n, XTCP_EHASH_MIN,
					  XTCP_EHASH_MAX));
}

/**
 * xtcp_hash_net_init() - empty tables for a new namespace
 * @xn: the namespace's xtcp state
 * @net: the namespace
 *
 * Each nulls chain ends in a marker naming its bucket, its table
 * (listener buckets' markers are offset by XTCP_LHASH_NULLS_BASE) and,
 * likely, its namespace (ehash_nulls()), which a lock-free reader checks
 * to learn that it strayed.  A namespace other than the initial one
 * charges its tables to the memory cgroup of its maker (or of the
 * module's loader, for namespaces that exist then).
 *
 * Return: 0 or -ENOMEM.
 */
int xtcp_hash_net_init(struct xtcp_net *xn, const struct net *net)
{
	gfp_t gfp = net_eq(net, &init_net) ? GFP_KERNEL : GFP_KERNEL_ACCOUNT;
	unsigned int i, n = xtcp_ehash_entries(net);

	xn->ehash = kvmalloc_array(n, sizeof(*xn->ehash), gfp);
	xn->twhash = kvmalloc_array(n, sizeof(*xn->twhash), gfp);
	xn->rqhash = kvmalloc_array(n, sizeof(*xn->rqhash), gfp);
	if (!xn->ehash || !xn->twhash || !xn->rqhash) {
		xtcp_hash_net_exit(xn);
		return -ENOMEM;
	}
	xn->ehash_mask = n - 1;
	BUILD_BUG_ON(XTCP_EHASH_MAX > 1 << 16 || XTCP_BHASH_SIZE > 1 << 16);
	xn->nulls_salt = (get_random_u32() & 0xfff) << 16;
	spin_lock_init(&xn->hash_lock);
	for (i = 0; i < XTCP_BHASH_SIZE; i++) {
		INIT_HLIST_HEAD(&xn->bhash[i]);
		INIT_HLIST_NULLS_HEAD(&xn->lhash[i], lhash_nulls(xn, i));
	}
	for (i = 0; i < n; i++) {
		INIT_HLIST_NULLS_HEAD(&xn->ehash[i], ehash_nulls(xn, i));
		INIT_HLIST_HEAD(&xn->twhash[i]);
		INIT_HLIST_HEAD(&xn->rqhash[i]);
	}
	xn->req_row_id = 0;
	return 0;
}

/**
 * xtcp_hash_net_exit() - free a namespace's four-tuple tables
 * @xn: the namespace's xtcp state, its tables empty (no socket is left,
 *	TIME_WAIT has been purged) and no device left to receive on
 */
void xtcp_hash_net_exit(struct xtcp_net *xn)
{
	unsigned int i;

	/* a socket or entry left linked would write into freed memory */
	if (!xn->ehash || !xn->twhash || !xn->rqhash)
		goto free;	/* the namespace's init failed */
	for (i = 0; i <= xn->ehash_mask; i++)
		if (WARN_ON_ONCE(!hlist_nulls_empty(&xn->ehash[i]) ||
				 !hlist_empty(&xn->twhash[i]) ||
				 !hlist_empty(&xn->rqhash[i])))
			return;	/* leaked rather than freed */
free:
	kvfree(xn->ehash);
	kvfree(xn->twhash);
	kvfree(xn->rqhash);
	xn->ehash = NULL;
	xn->twhash = NULL;
	xn->rqhash = NULL;
}

/*
 * The four-tuple's hash: every word of both addresses goes in, keyed with
 * the secret seed, so that a peer choosing its own IPv6 address cannot aim
 * at one chain.
 */
static unsigned int ehashfn(const struct in6_addr *laddr, __be16 lport,
			    const struct in6_addr *raddr, __be16 rport)
{
	u32 h = jhash2((const u32 *)laddr, 4, xtcp_hash_seed);

	return jhash_3words(h, jhash2((const u32 *)raddr, 4, xtcp_hash_seed),
			    (__force u32)lport << 16 | (__force u32)rport,
			    xtcp_hash_seed);
}

/* @port's chain in the bind table and in the listener table (one size) */
static unsigned int port_slot(u16 port)
{
	return port & (XTCP_BHASH_SIZE - 1);
}

/* @port's bind bucket, or NULL when nothing holds the port */
static struct xtcp_bind_bucket *bb_find(struct xtcp_net *xn, u16 port)
{
	struct xtcp_bind_bucket *bb;

	lockdep_assert_held(&xn->hash_lock);
	hlist_for_each_entry(bb, &xn->bhash[port_slot(port)], node)
		if (bb->port == port)
			return bb;
	return NULL;
}

/*
 * @port's bind bucket; made from *@spare (which is then used up) or, if
 * @spare is NULL, allocated with GFP_ATOMIC when the port has none.
 * NULL when there is no memory.  Caller holds hash_lock.
 */
static struct xtcp_bind_bucket *bb_get(struct xtcp_net *xn, u16 port,
				       struct xtcp_bind_bucket **spare)
{
	struct xtcp_bind_bucket *bb = bb_find(xn, port);

	if (bb)
		return bb;
	if (spare) {
		bb = *spare;
		*spare = NULL;
	} else {
		bb = kmalloc(sizeof(*bb), GFP_ATOMIC);
	}
	if (!bb)
		return NULL;
	INIT_HLIST_HEAD(&bb->owners);
	INIT_HLIST_HEAD(&bb->tw_owners);
	bb->port = port;
	hlist_add_head(&bb->node, &xn->bhash[port_slot(port)]);
	return bb;
}

/* Free @bb once nothing holds its port.  Caller holds hash_lock. */
static void bb_put(struct xtcp_bind_bucket *bb)
{
	if (hlist_empty(&bb->owners) && hlist_empty(&bb->tw_owners)) {
		hlist_del(&bb->node);
		kfree(bb);
	}
}

/*
 * SO_REUSEPORT, as TCP's: sockets that all set it, of one user, share a
 * port, listeners included; connections to it are spread over the
 * listeners (listener_find()).
 */
static bool reuseport_shared(const struct sock *sk, const struct sock *sk2)
{
	return sk->sk_reuseport && sk2->sk_reuseport &&
	       uid_eq(sock_i_uid((struct sock *)sk), sock_i_uid((struct sock *)sk2));
}

/*
 * Could sockets (or entries) bound to @a and @b take one segment?  The
 * core's rule (xtcp_addr_overlap()), for IPv4 that the addresses are
 * equal or one is the wildcard.
 */
static bool addr_overlap(const struct in6_addr *a, bool a_v6only,
			 const struct in6_addr *b, bool b_v6only)
{
	return xtcp_addr_overlap(a->s6_addr, a_v6only, b->s6_addr, b_v6only);
}

/* Two bindings of one port clash unless both allow reuse and the old one
 * is not listening (as TCP's SO_REUSEADDR), both have SO_REUSEPORT and
 * one owner, or their addresses never meet.
 */
static bool bind_conflict(const struct sock *sk, const struct in6_addr *addr,
			  const struct sock *sk2)
{
	if (sk == sk2)
		return false;
	if (!addr_overlap(addr, sk->sk_ipv6only, &sk2->sk_v6_rcv_saddr,
			  sk2->sk_ipv6only))
		return false;
	if (sk->sk_bound_dev_if && sk2->sk_bound_dev_if &&
	    sk->sk_bound_dev_if != sk2->sk_bound_dev_if)
		return false;
	if (sk->sk_reuse && sk2->sk_reuse && sk2->sk_state != XTCP_LISTEN)
		return false;
	if (reuseport_shared(sk, sk2))
		return false;
	return true;
}

/*
 * A TIME_WAIT entry keeps its port as the socket did, with the socket's
 * SO_REUSEADDR: it never listens, so two sockets that both allow reuse
 * share (TCP's "bind over TIME_WAIT" with SO_REUSEADDR).
 */
static bool tw_bind_conflict(const struct sock *sk, const struct in6_addr *addr,
			     const struct xtcp_tw *tw)
{
	if (!addr_overlap(addr, sk->sk_ipv6only, &tw->laddr, tw->v6only))
		return false;
	if (sk->sk_bound_dev_if && tw->bound_dev_if &&
	    sk->sk_bound_dev_if != tw->bound_dev_if)
		return false;
	return !(sk->sk_reuse && tw->reuse) &&
	       !(sk->sk_reuseport && tw->reuseport);
}

static bool port_conflict(struct xtcp_net *xn, struct sock *sk,
			  const struct in6_addr *addr, u16 port)
{
	struct xtcp_bind_bucket *bb = bb_find(xn, port);
	struct xtcp_sock *xs;
	struct xtcp_tw *tw;

	if (!bb)
		return false;
	hlist_for_each_entry(xs, &bb->owners, xs_bind_node)
		if (bind_conflict(sk, addr, (struct sock *)xs))
			return true;
	hlist_for_each_entry(tw, &bb->tw_owners, bind_node)
		if (tw_bind_conflict(sk, addr, tw))
			return true;
	return false;
}

/*
 * No socket has @port, and no TIME_WAIT entry holds it; for connect()
 * (@to_peer) only an entry towards @raddr:@rport from @laddr counts.  A
 * port that TIME_WAIT keeps for other peers makes a different
 * four-tuple, as TCP shares its ephemeral ports across destinations: a
 * client's closed connections to one server do not use up the ports it
 * needs for another.
 * Caller holds hash_lock.
 */
static bool port_free(struct xtcp_net *xn, u16 port, bool to_peer,
		      const struct in6_addr *laddr,
		      const struct in6_addr *raddr, __be16 rport)
{
	struct xtcp_bind_bucket *bb = bb_find(xn, port);
	struct xtcp_tw *tw;

	if (!bb)
		return true;
	if (!hlist_empty(&bb->owners))
		return false;
	if (!to_peer)
		return hlist_empty(&bb->tw_owners);
	hlist_for_each_entry(tw, &bb->tw_owners, bind_node)
		if (ipv6_addr_equal(&tw->laddr, laddr) &&
		    ipv6_addr_equal(&tw->raddr, raddr) && tw->rport == rport)
			return false;
	return true;
}

/* @sk takes @addr:@bb->port.  Caller holds hash_lock. */
static void bind_add(struct sock *sk, struct xtcp_bind_bucket *bb,
		     const struct in6_addr *addr)
{
	struct inet_sock *inet = inet_sk(sk);

	xtcp_set_laddr(sk, addr);
	inet->inet_num = bb->port;
	inet->inet_sport = htons(bb->port);
	hlist_add_head(&xtcp_sk(sk)->xs_bind_node, &bb->owners);
	xtcp_sk(sk)->xs_bb = bb;
}

/*
 * Bind @sk to @addr and an ephemeral port from ip_local_port_range,
 * tried from a random offset (RFC 6056): one port_free(), towards the
 * peer @raddr:@rport for connect() (@to_peer).  hash_lock is taken for
 * one port at a time, as TCP's __inet_hash_connect() takes a bucket's:
 * bottom halves are never off for more than one port's check, and the
 * search yields the CPU now and then.  The port's bind bucket, if it
 * needs one, is *@spare, allocated by bind_port() (the caller's memory
 * cgroup pays for it, as for TCP's).  Process context.
 */
static int bind_ephemeral(struct sock *sk, const struct in6_addr *addr,
			  const struct in6_addr *raddr, __be16 rport,
			  bool to_peer,
			  struct xtcp_bind_bucket **spare)
{
	struct xtcp_net *xn = xtcp_pernet(sock_net(sk));
	/* TCP's errno when the range is used up: bind()'s, connect()'s */
	int low, high, err = to_peer ? -EADDRNOTAVAIL : -EADDRINUSE;
	u32 range, offset, i;

	inet_get_local_port_range(sock_net(sk), &low, &high);
	range = high - low + 1;
	offset = get_random_u32_below(range);
	for (i = 0; i < range && err; i++) {
		u16 p = low + (offset + i) % range;

		if (inet_is_local_reserved_port(sock_net(sk), p))
			continue;
		spin_lock_bh(&xn->hash_lock);
		if (port_free(xn, p, to_peer, addr, raddr, rport)) {
			bind_add(sk, bb_get(xn, p, spare), addr);
			err = 0;
		}
		spin_unlock_bh(&xn->hash_lock);
		if ((i & 255) == 255)
			cond_resched();
	}
	return err;
}

/* Bind @sk to @port, or to a free one if @port is 0 (see bind_ephemeral()) */
static int bind_port(struct sock *sk, const struct in6_addr *addr, u16 port,
		     const struct in6_addr *raddr, __be16 rport, bool to_peer)
{
	struct xtcp_net *xn = xtcp_pernet(sock_net(sk));
	struct xtcp_bind_bucket *spare;
	int err = 0;

	/* the bucket the port may need, allocated where sleeping is allowed */
	spare = kmalloc(sizeof(*spare), GFP_KERNEL_ACCOUNT);
	if (!spare)
		return -ENOMEM;
	if (!port) {
		err = bind_ephemeral(sk, addr, raddr, rport, to_peer, &spare);
	} else {
		spin_lock_bh(&xn->hash_lock);
		if (port_conflict(xn, sk, addr, port))
			err = -EADDRINUSE;
		else
			bind_add(sk, bb_get(xn, port, &spare), addr);
		spin_unlock_bh(&xn->hash_lock);
	}
	kfree(spare);
	return err;
}

/**
 * xtcp_bind_port() - bind a socket to a local address and port
 * @sk: an unbound socket, locked by the caller
 * @addr: local address, v4-mapped for IPv4 (its wildcard
 *	::ffff:0.0.0.0 for all of IPv4's)
 * @port: local port, host order; 0 picks a free one at random from
 *	net.ipv4.ip_local_port_range (RFC 6056)
 *
 * An ephemeral port chosen here is one no socket of the namespace has
 * bound and no TIME_WAIT entry holds (the socket may listen).
 *
 * Return: 0, -EADDRINUSE (the port is taken, or with @port 0 every
 * ephemeral port is: TCP's errno for both) or -ENOMEM (no memory for the
 * port's bind bucket).
 */
int xtcp_bind_port(struct sock *sk, const struct in6_addr *addr, u16 port)
{
	return bind_port(sk, addr, port, &in6addr_any, 0, false);
}

/**
 * xtcp_connect_port() - bind a connecting socket to an ephemeral port
 * @sk: an unbound socket, locked by the caller
 * @addr: the local address the route chose (v4-mapped for IPv4)
 * @raddr: the peer's address, likewise
 * @rport: the peer's port
 *
 * A port no socket has bound; TIME_WAIT entries may hold it, towards
 * other peers (TCP's connect() shares ports so).  The four-tuple is
 * free then, unless a socket takes it before the caller hashes this one:
 * the caller checks as it hashes the socket (xtcp_ehash_add_unique()).
 *
 * Return: 0, -EADDRNOTAVAIL when no port is free, or -ENOMEM.
 */
int xtcp_connect_port(struct sock *sk, const struct in6_addr *addr,
		      const struct in6_addr *raddr, __be16 rport)
{
	return bind_port(sk, addr, 0, raddr, rport, true);
}

/*
 * May bound socket @sk start listening?  Sockets sharing a port through
 * SO_REUSEADDR may not both listen.  Caller holds hash_lock.
 */
static bool listen_conflict(struct xtcp_net *xn, struct sock *sk)
{
	struct xtcp_sock *xs;

	lockdep_assert_held(&xn->hash_lock);
	hlist_for_each_entry(xs, &xtcp_sk(sk)->xs_bb->owners, xs_bind_node) {
		struct sock *sk2 = (struct sock *)xs;

		if (sk2 == sk)
			continue;
		if (!addr_overlap(&sk->sk_v6_rcv_saddr, sk->sk_ipv6only,
				  &sk2->sk_v6_rcv_saddr, sk2->sk_ipv6only))
			continue;
		if (reuseport_shared(sk, sk2))
			continue;
		if (sk2->sk_state == XTCP_LISTEN || !sk2->sk_reuse)
			return true;
	}
	return false;
}

/**
 * xtcp_listen_start() - a bound socket starts listening
 * @sk: the socket, locked, bound, CLOSED
 *
 * Checks that no other socket on the port forbids it, enters the listener
 * table and LISTEN in one critical section, so that of two SO_REUSEADDR
 * sharers calling listen() at once only one gets there.
 *
 * Context: process; takes hash_lock.
 * Return: 0, or -EADDRINUSE (a sharer of the port listens already).
 */
int xtcp_listen_start(struct sock *sk)
{
	struct xtcp_net *xn = xtcp_pernet(sock_net(sk));
	int err = 0;

	spin_lock_bh(&xn->hash_lock);
	if (listen_conflict(xn, sk)) {
		err = -EADDRINUSE;
	} else {
		WARN_ON_ONCE(xtcp_sk(sk)->xs_table != XTCP_TABLE_NONE);
		hlist_nulls_add_head_rcu(&sk->sk_nulls_node,
					 &xn->lhash[port_slot(inet_sk(sk)->inet_num)]);
		xtcp_sk(sk)->xs_table = XTCP_TABLE_LISTEN;
		xtcp_set_state(sk, XTCP_LISTEN);
	}
	spin_unlock_bh(&xn->hash_lock);
	return err;
}

/**
 * xtcp_listen_stop() - a listener leaves LISTEN: out of the listener table
 * @sk: the socket, locked; nothing happens if it is not in the table
 *
 * Called by xtcp_set_state() on every edge out of LISTEN.
 *
 * Context: process or softirq, never under hash_lock; takes it.
 */
void xtcp_listen_stop(struct sock *sk)
{
	struct xtcp_net *xn = xtcp_pernet(sock_net(sk));

	spin_lock_bh(&xn->hash_lock);
	if (xtcp_sk(sk)->xs_table == XTCP_TABLE_LISTEN) {
		hlist_nulls_del_init_rcu(&sk->sk_nulls_node);
		xtcp_sk(sk)->xs_table = XTCP_TABLE_NONE;
	}
	spin_unlock_bh(&xn->hash_lock);
}

/**
 * xtcp_bind_child() - give a new connection its listener's port
 * @child: the new socket, not yet visible
 * @laddr: the local address the connection uses (v4-mapped for IPv4)
 * @lport: the listener's port
 *
 * The port's bind bucket is the listener's, which holds the port while
 * it listens (its lock held by the caller); were it gone, a new bucket
 * would be made, with GFP_ATOMIC.
 *
 * Context: softirq or process; takes hash_lock.
 * Return: 0, or -ENOMEM (no bucket and no memory for one).
 */
int xtcp_bind_child(struct sock *child, const struct in6_addr *laddr,
		    __be16 lport)
{
	struct xtcp_net *xn = xtcp_pernet(sock_net(child));
	struct xtcp_bind_bucket *bb;

	spin_lock_bh(&xn->hash_lock);
	bb = bb_get(xn, ntohs(lport), NULL);
	if (bb)
		bind_add(child, bb, laddr);
	spin_unlock_bh(&xn->hash_lock);
	return bb ? 0 : -ENOMEM;
}

/**
 * xtcp_set_bound_laddr() - change a bound socket's local address
 * @sk: the socket, locked by the caller, bound or not
 * @addr: its new local address (v4-mapped for IPv4)
 *
 * connect() takes the route's source address for a socket bound to the
 * wildcard, and gives it back when it fails.  Under hash_lock, as bind()
 * reads the addresses of a port's sockets under it.
 *
 * Context: process; takes hash_lock.
 */
void xtcp_set_bound_laddr(struct sock *sk, const struct in6_addr *addr)
{
	struct xtcp_net *xn = xtcp_pernet(sock_net(sk));

	spin_lock_bh(&xn->hash_lock);
	xtcp_set_laddr(sk, addr);
	spin_unlock_bh(&xn->hash_lock);
}

/**
 * xtcp_unbind() - release a socket's local port
 * @sk: the socket; nothing happens if it is not bound
 */
void xtcp_unbind(struct sock *sk)
{
	struct xtcp_net *xn = xtcp_pernet(sock_net(sk));
	struct xtcp_sock *xs = xtcp_sk(sk);

	spin_lock_bh(&xn->hash_lock);
	if (!hlist_unhashed(&xs->xs_bind_node)) {
		hlist_del_init(&xs->xs_bind_node);
		bb_put(xs->xs_bb);
		xs->xs_bb = NULL;
		inet_sk(sk)->inet_num = 0;
	}
	spin_unlock_bh(&xn->hash_lock);
}

static unsigned int ehash_slot(const struct xtcp_net *xn,
			       const struct in6_addr *laddr, __be16 lport,
			       const struct in6_addr *raddr, __be16 rport)
{
	return ehashfn(laddr, lport, raddr, rport) & xn->ehash_mask;
}

/*
 * Is @sk @xn's connection with this four-tuple?  The namespace too: a
 * lock-free reader may be led by a socket freed and reused meanwhile
 * into another namespace's chain of the same index, whose end marker
 * looks like its own (every namespace numbers its chains alike).
 */
static bool ehash_match(const struct sock *sk, const struct xtcp_net *xn,
			const struct in6_addr *laddr, __be16 lport,
			const struct in6_addr *raddr, __be16 rport)
{
	const struct inet_sock *inet = inet_sk(sk);

	return inet->inet_sport == lport && inet->inet_dport == rport &&
	       ipv6_addr_equal(&sk->sk_v6_rcv_saddr, laddr) &&
	       ipv6_addr_equal(&sk->sk_v6_daddr, raddr) &&
	       net_eq(sock_net(sk), xn->net);
}

/*
 * The connection with this four-tuple, with a reference, or NULL.
 * Caller holds hash_lock or is in an RCU read-side section.  A socket
 * whose count already reached zero is on its way out (unhashed by now):
 * not found.
 */
static struct sock *ehash_find(struct xtcp_net *xn,
			       const struct in6_addr *laddr, __be16 lport,
			       const struct in6_addr *raddr, __be16 rport)
{
	unsigned int slot = ehash_slot(xn, laddr, lport, raddr, rport);
	const struct hlist_nulls_node *node;
	struct sock *sk;

again:
	sk_nulls_for_each_rcu(sk, node, &xn->ehash[slot]) {
		if (!ehash_match(sk, xn, laddr, lport, raddr, rport))
			continue;
		if (unlikely(!refcount_inc_not_zero(&sk->sk_refcnt)))
			return NULL;
		/* hashed again under another four-tuple meanwhile? */
		if (unlikely(!ehash_match(sk, xn, laddr, lport, raddr, rport))) {
			sock_put(sk);
			goto again;
		}
		return sk;
	}
	/* the walk strayed into another bucket's chain: walk again */
	if (get_nulls_value(node) != ehash_nulls(xn, slot))
		goto again;
	return NULL;
}

static struct hlist_head *tw_slot(struct xtcp_net *xn,
				  const struct in6_addr *laddr, __be16 lport,
				  const struct in6_addr *raddr, __be16 rport)
{
	return &xn->twhash[ehash_slot(xn, laddr, lport, raddr, rport)];
}

static bool tw_match(const struct xtcp_tw *tw, const struct in6_addr *laddr,
		     __be16 lport, const struct in6_addr *raddr, __be16 rport)
{
	return tw->lport == lport && tw->rport == rport &&
	       ipv6_addr_equal(&tw->laddr, laddr) &&
	       ipv6_addr_equal(&tw->raddr, raddr);
}

/*
 * The TIME_WAIT entry with this four-tuple, with a reference, or NULL.
 * Caller holds hash_lock or is in an RCU read-side section.  An entry
 * never changes chains (it is linked once, and freed a grace period
 * after it leaves), so a plain RCU list does.
 */
static struct xtcp_tw *tw_find(struct xtcp_net *xn,
			       const struct in6_addr *laddr, __be16 lport,
			       const struct in6_addr *raddr, __be16 rport)
{
	struct xtcp_tw *tw;

	hlist_for_each_entry_rcu(tw, tw_slot(xn, laddr, lport, raddr, rport),
				 hash_node, lockdep_is_held(&xn->hash_lock))
		if (tw_match(tw, laddr, lport, raddr, rport) &&
		    refcount_inc_not_zero(&tw->refcnt))
			return tw;
	return NULL;
}

static struct hlist_head *req_slot(struct xtcp_net *xn,
				   const struct in6_addr *laddr, __be16 lport,
				   const struct in6_addr *raddr, __be16 rport)
{
	return &xn->rqhash[ehash_slot(xn, laddr, lport, raddr, rport)];
}

static bool req_match(const struct xtcp_request *req,
		      const struct in6_addr *laddr, __be16 lport,
		      const struct in6_addr *raddr, __be16 rport)
{
	return req->lport == lport && req->rport == rport &&
	       ipv6_addr_equal(&req->laddr, laddr) &&
	       ipv6_addr_equal(&req->raddr, raddr);
}

/*
 * The request with this four-tuple, or NULL: of @listener only, if one
 * is given; with a reference taken, if @ref (a request whose count
 * reached zero left the table before: not found).  Caller is in an RCU
 * read-side section or holds hash_lock.
 */
static struct xtcp_request *req_walk(struct xtcp_net *xn,
				     const struct sock *listener, bool ref,
				     const struct in6_addr *laddr, __be16 lport,
				     const struct in6_addr *raddr, __be16 rport)
{
	struct xtcp_request *req;

	hlist_for_each_entry_rcu(req, req_slot(xn, laddr, lport, raddr, rport),
				 hash_node, lockdep_is_held(&xn->hash_lock))
		if ((!listener || req->listener == listener) &&
		    req_match(req, laddr, lport, raddr, rport) &&
		    (!ref || refcount_inc_not_zero(&req->refcnt)))
			return req;
	return NULL;
}

/**
 * xtcp_req_find() - a listener's request for this peer
 * @listener: the listener, its spinlock held (softirq) or owned
 * @raddr: the peer's address (v4-mapped for IPv4)
 * @rport: the peer's port
 * @laddr: the local address the SYN came to, likewise
 *
 * No reference is taken: the request stays while the caller holds the
 * listener, which alone drops its requests.  A request of another
 * listener on the port (SO_REUSEPORT) with the same four-tuple is not
 * this one's.
 *
 * Return: the request, or NULL.
 */
struct xtcp_request *xtcp_req_find(struct sock *listener,
				   const struct in6_addr *raddr, __be16 rport,
				   const struct in6_addr *laddr)
{
	struct xtcp_net *xn = xtcp_pernet(sock_net(listener));
	struct xtcp_request *req;

	rcu_read_lock();
	req = req_walk(xn, listener, false, laddr,
		       inet_sk(listener)->inet_sport, raddr, rport);
	rcu_read_unlock();
	return req;
}

/*
 * Does a connection, a request or a TIME_WAIT entry have this
 * four-tuple?  A match only, no reference taken: the caller holds
 * hash_lock, so the answer holds until it lets go.
 */
static bool tuple_taken(struct xtcp_net *xn, const struct in6_addr *laddr,
			__be16 lport, const struct in6_addr *raddr,
			__be16 rport)
{
	unsigned int slot = ehash_slot(xn, laddr, lport, raddr, rport);
	const struct hlist_nulls_node *node;
	struct xtcp_tw *tw;
	struct sock *sk;

	lockdep_assert_held(&xn->hash_lock);
	sk_nulls_for_each(sk, node, &xn->ehash[slot])
		if (ehash_match(sk, xn, laddr, lport, raddr, rport))
			return true;
	hlist_for_each_entry(tw, tw_slot(xn, laddr, lport, raddr, rport),
			     hash_node)
		if (tw_match(tw, laddr, lport, raddr, rport))
			return true;
	return !!req_walk(xn, NULL, false, laddr, lport, raddr, rport);
}

/**
 * xtcp_req_hash() - a new request enters its namespace's request table
 * @net: the listener's namespace
 * @req: the request, complete, its count set
 *
 * Unless something has its four-tuple already: a connection, a TIME_WAIT
 * entry or a request, which a SYN reaches before any listener, can be
 * there only when two SYNs of one peer raced (to two listeners sharing
 * the port, as their group changed); the second is dropped, as TCP's.
 * A request hashed gets its /proc row id, and /proc shows it from then
 * on (before it is on the SYN queue: what /proc reads is set already).
 *
 * Context: any; takes hash_lock with BH disabled.
 * Return: true if @req was hashed.
 */
bool xtcp_req_hash(struct net *net, struct xtcp_request *req)
{
	struct xtcp_net *xn = xtcp_pernet(net);
	bool taken;

	spin_lock_bh(&xn->hash_lock);
	taken = tuple_taken(xn, &req->laddr, req->lport, &req->raddr,
			    req->rport);
	if (!taken) {
		req->id = ++xn->req_row_id;	/* /proc's order: proc.c */
		hlist_add_head_rcu(&req->hash_node,
				   req_slot(xn, &req->laddr, req->lport,
					    &req->raddr, req->rport));
	}
	spin_unlock_bh(&xn->hash_lock);
	return !taken;
}

/**
 * xtcp_req_unhash() - a request leaves the request table
 * @net: the listener's namespace
 * @req: a request added by xtcp_req_hash()
 *
 * Receivers that found it before may hold it still: it is freed a grace
 * period after their last reference (xtcp_req_put()).
 *
 * Context: any; takes hash_lock with BH disabled.
 */
void xtcp_req_unhash(struct net *net, struct xtcp_request *req)
{
	struct xtcp_net *xn = xtcp_pernet(net);

	spin_lock_bh(&xn->hash_lock);
	hlist_del_init_rcu(&req->hash_node);
	spin_unlock_bh(&xn->hash_lock);
}

/*
 * Link @sk into the connection table, unless @unique and its four-tuple
 * is taken (checked under the same hold of hash_lock, so two connect()s
 * from sockets sharing a port cannot both take one four-tuple).
 */
static bool ehash_insert(struct sock *sk, bool unique)
{
	struct xtcp_net *xn = xtcp_pernet(sock_net(sk));
	struct inet_sock *inet = inet_sk(sk);
	const struct in6_addr *laddr = &sk->sk_v6_rcv_saddr;
	const struct in6_addr *raddr = &sk->sk_v6_daddr;
	__be16 lport = inet->inet_sport, rport = inet->inet_dport;
	unsigned int slot = ehash_slot(xn, laddr, lport, raddr, rport);

	spin_lock_bh(&xn->hash_lock);
	if (unique && tuple_taken(xn, laddr, lport, raddr, rport)) {
		spin_unlock_bh(&xn->hash_lock);
		return false;
	}
	if (WARN_ON_ONCE(xtcp_sk(sk)->xs_table != XTCP_TABLE_NONE)) {
		spin_unlock_bh(&xn->hash_lock);
		return false;	/* linked twice would corrupt the chain */
	}
	sock_hold(sk);	/* the table's reference */
	hlist_nulls_add_head_rcu(&sk->sk_nulls_node, &xn->ehash[slot]);
	xtcp_sk(sk)->xs_table = XTCP_TABLE_EHASH;
	spin_unlock_bh(&xn->hash_lock);
	return true;
}

/**
 * xtcp_ehash_add() - make a new child findable by its four-tuple
 * @sk: the child; its inet addresses and ports are set
 *
 * The request it grew from held the four-tuple, so no check is made.
 */
void xtcp_ehash_add(struct sock *sk)
{
	ehash_insert(sk, false);
}

/**
 * xtcp_ehash_add_unique() - a connecting socket takes its four-tuple
 * @sk: the socket, locked; its inet addresses and ports are set
 *
 * Return: 0, or -EADDRNOTAVAIL when a connection, a request or a
 * TIME_WAIT entry already has the four-tuple (as TCP's connect() answers).
 */
int xtcp_ehash_add_unique(struct sock *sk)
{
	return ehash_insert(sk, true) ? 0 : -EADDRNOTAVAIL;
}

/**
 * xtcp_ehash_unlink_locked() - out of the connection table, if there
 * @sk: the socket
 *
 * Context: the caller holds hash_lock.
 * Return: true if it was there (the caller drops the table's reference).
 */
bool xtcp_ehash_unlink_locked(struct sock *sk)
{
	if (xtcp_sk(sk)->xs_table != XTCP_TABLE_EHASH)
		return false;
	hlist_nulls_del_init_rcu(&sk->sk_nulls_node);
	xtcp_sk(sk)->xs_table = XTCP_TABLE_NONE;
	return true;
}

/**
 * xtcp_ehash_del() - remove a socket from the connection table
 * @sk: the socket; nothing happens if it is not there
 *
 * Drops the table's reference; the caller holds another.
 */
void xtcp_ehash_del(struct sock *sk)
{
	struct xtcp_net *xn = xtcp_pernet(sock_net(sk));
	bool hashed;

	spin_lock_bh(&xn->hash_lock);
	hashed = xtcp_ehash_unlink_locked(sk);
	spin_unlock_bh(&xn->hash_lock);
	if (hashed)
		__sock_put(sk);
}

/*
 * How well listener candidate @sk fits a connection to @daddr:@port in
 * @xn: the core's order (xtcp_listen_score(): an address before the
 * wildcard), 0 not at all (not listening, another port, address or
 * namespace: see ehash_match()).
 */
static unsigned int listener_score(const struct sock *sk,
				   const struct xtcp_net *xn,
				   const struct in6_addr *daddr, u16 port)
{
	if (!net_eq(sock_net(sk), xn->net) ||
	    READ_ONCE(sk->sk_state) != XTCP_LISTEN ||
	    READ_ONCE(inet_sk(sk)->inet_num) != port)
		return 0;
	return xtcp_listen_score(sk->sk_v6_rcv_saddr.s6_addr,
				 xtcp_sk(sk)->v6_api,
				 sk->sk_ipv6only, daddr->s6_addr);
}

/*
 * The listener for a connection from @saddr:@sport to @daddr:@dport, with
 * a reference, or NULL: one bound to @daddr in preference to the
 * wildcard; of several bound alike (SO_REUSEPORT), the one the
 * four-tuple's hash picks, so that a peer's SYN sent again reaches the
 * listener holding its request (the handshake's later segments find the
 * request itself).  Caller in an RCU read-side section.
 * Two walks (the best fit and how many share it, then the pick); if the
 * chain changed between them, or a walk strayed into another chain, it
 * starts over.
 */
static struct sock *listener_find(struct xtcp_net *xn,
				  const struct in6_addr *saddr, __be16 sport,
				  const struct in6_addr *daddr, __be16 dport)
{
	u16 port = ntohs(dport);
	unsigned int slot = port_slot(port), best, n, pick, score;
	struct hlist_nulls_head *head = &xn->lhash[slot];
	const struct hlist_nulls_node *node;
	struct sock *sk;

again:
	best = 0;
	n = 0;
	/* first the best fit and how many listeners share it */
	sk_nulls_for_each_rcu(sk, node, head) {
		score = listener_score(sk, xn, daddr, port);
		if (score > best) {
			best = score;
			n = 0;
		}
		if (score && score == best)
			n++;
	}
	if (get_nulls_value(node) != lhash_nulls(xn, slot))
		goto again;
	if (!n)
		return NULL;
	pick = n > 1 ? reciprocal_scale(ehashfn(daddr, dport, saddr, sport), n) : 0;
	sk_nulls_for_each_rcu(sk, node, head) {
		if (listener_score(sk, xn, daddr, port) != best || pick--)
			continue;
		/* a listener whose count is zero is closing: none */
		if (!refcount_inc_not_zero(&sk->sk_refcnt))
			return NULL;
		/* still that listener, not a socket made of its memory? */
		if (listener_score(sk, xn, daddr, port) == best)
			return sk;
		sock_put(sk);
		break;
	}
	goto again;
}

/*
 * The connection with this four-tuple (a reference held), else its
 * TIME_WAIT entry in *@twp (likewise), else NULL.  Caller in an RCU
 * read-side section.
 */
static struct sock *conn_find(struct xtcp_net *xn,
			      const struct in6_addr *saddr, __be16 sport,
			      const struct in6_addr *daddr, __be16 dport,
			      struct xtcp_tw **twp)
{
	struct sock *found = ehash_find(xn, daddr, dport, saddr, sport);

	if (found)
		return found;
	/*
	 * A connection that left the table for TIME_WAIT was in TIME_WAIT's
	 * table first: pairs with the smp_wmb() in xtcp_tw_hash_swap().
	 */
	smp_rmb();
	*twp = tw_find(xn, daddr, dport, saddr, sport);
	return NULL;
}

/**
 * xtcp_lookup() - find what a received segment belongs to
 * @net: namespace the segment arrived in
 * @saddr: the segment's source address (the remote end), v4-mapped if
 *	it came over IPv4
 * @sport: its source port
 * @daddr: its destination address (the local end), likewise
 * @dport: its destination port
 * @twp: set to the TIME_WAIT entry with the four-tuple, if that is what
 *	matched (with a reference held: xtcp_tw_put()), else NULL
 * @reqp: NULL, or set to the request (SYN_RCVD) with the four-tuple, if
 *	that is what matched (with a reference held: xtcp_req_put()), else
 *	NULL; when NULL is passed, requests are not looked for
 *
 * A connection with the exact four-tuple wins, then a TIME_WAIT entry
 * (segments of an old connection never reach a listener), then a request
 * (its handshake's ACK, data or RST), then a listener on the port, bound
 * to @daddr in preference to the wildcard.  A request that has just made
 * its connection may be missed in both tables by a reader that walked the
 * first before the connection entered it: the segment then goes to the
 * listener, which looks again (input.c).
 *
 * Context: softirq; lock-free (RCU), see the head of this file.
 * Return: the socket with a reference held, or NULL.
 */
struct sock *xtcp_lookup(struct net *net, const struct in6_addr *saddr,
			 __be16 sport, const struct in6_addr *daddr,
			 __be16 dport, struct xtcp_tw **twp,
			 struct xtcp_request **reqp)
{
	struct xtcp_net *xn = xtcp_pernet(net);
	struct sock *found;

	*twp = NULL;
	if (reqp)
		*reqp = NULL;
	rcu_read_lock();
	found = conn_find(xn, saddr, sport, daddr, dport, twp);
	if (!found && !*twp) {
		if (reqp)
			*reqp = req_walk(xn, NULL, true, daddr, dport, saddr,
					 sport);
		if (!reqp || !*reqp)
			found = listener_find(xn, saddr, sport, daddr, dport);
	}
	rcu_read_unlock();
	return found;
}

/**
 * xtcp_lookup_conn() - the connection or TIME_WAIT entry of a segment
 * @net: namespace the segment arrived in
 * @saddr: the segment's source address (the remote end), v4-mapped if
 *	it came over IPv4
 * @sport: its source port
 * @daddr: its destination address (the local end), likewise
 * @dport: its destination port
 * @twp: set to the TIME_WAIT entry with the four-tuple, if that is what
 *	matched (with a reference held: xtcp_tw_put()), else NULL
 *
 * As xtcp_lookup() without requests and listeners: for a listener that
 * looks for the connection one of its requests became.
 *
 * Context: softirq, or process context with BH disabled; lock-free (RCU).
 * Return: the connection with a reference held, or NULL.
 */
struct sock *xtcp_lookup_conn(struct net *net, const struct in6_addr *saddr,
			      __be16 sport, const struct in6_addr *daddr,
			      __be16 dport, struct xtcp_tw **twp)
{
	struct sock *found;

	*twp = NULL;
	rcu_read_lock();
	found = conn_find(xtcp_pernet(net), saddr, sport, daddr, dport, twp);
	rcu_read_unlock();
	return found;
}

/**
 * xtcp_lookup_listener() - the listener a SYN for @daddr:@dport goes to
 * @net: namespace
 * @saddr: remote address (v4-mapped for IPv4)
 * @sport: remote port
 * @daddr: local address, likewise
 * @dport: local port
 *
 * Context: softirq; lock-free (RCU).
 * Return: the listener with a reference held, or NULL.
 */
struct sock *xtcp_lookup_listener(struct net *net,
				  const struct in6_addr *saddr, __be16 sport,
				  const struct in6_addr *daddr, __be16 dport)
{
	struct sock *found;

	rcu_read_lock();
	found = listener_find(xtcp_pernet(net), saddr, sport, daddr, dport);
	rcu_read_unlock();
	return found;
}

/**
 * xtcp_tw_hash_link() - a TIME_WAIT entry enters the TIME_WAIT tables
 * @xn: its namespace
 * @tw: the entry, its four-tuple filled in
 * @sk: its socket, still bound: the entry joins its port's bind bucket,
 *	which it keeps after the socket lets go of the port
 *
 * Context: the caller holds hash_lock.
 */
void xtcp_tw_hash_link(struct xtcp_net *xn, struct xtcp_tw *tw,
		       struct sock *sk)
{
	hlist_add_head_rcu(&tw->hash_node,
			   tw_slot(xn, &tw->laddr, tw->lport, &tw->raddr,
				   tw->rport));
	tw->bb = xtcp_sk(sk)->xs_bb;
	/* a connection is bound from SYN_SENT or SYN_RCVD to its end */
	if (!WARN_ON_ONCE(!tw->bb))
		hlist_add_head(&tw->bind_node, &tw->bb->tw_owners);
}

/**
 * xtcp_tw_hash_unlink() - a TIME_WAIT entry leaves the TIME_WAIT tables
 * @tw: the entry, linked by xtcp_tw_hash_link()
 *
 * Readers walking past it may still see it until a grace period ends:
 * the entry is freed no sooner (xtcp_tw_put()).
 *
 * Context: the caller holds hash_lock.
 */
void xtcp_tw_hash_unlink(struct xtcp_tw *tw)
{
	hlist_del_init_rcu(&tw->hash_node);
	if (tw->bb) {
		hlist_del_init(&tw->bind_node);
		bb_put(tw->bb);
		tw->bb = NULL;
	}
}
