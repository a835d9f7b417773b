// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: fault injection on xtcp segments, per network namespace.
 *
 * A module of its own, xtcp_fault.ko, that the tests load after xtcp.ko
 * (it uses xtcp_parse() and xtcp_ipproto, and tells xtcp.ko when a
 * namespace has rules, fault.h); xtcp.ko alone registers no hook.
 *
 * Two netfilter hooks per namespace look at every IPv4 datagram carrying
 * xtcp's protocol number: NF_INET_LOCAL_OUT (direction "out") and
 * NF_INET_PRE_ROUTING (direction "in"), both at NF_IP_PRI_LAST.  Each xtcp
 * segment whose header xtcp_parse() accepts is checked against the
 * namespace's rules; a rule that selects it drops it or delays it.
 * Segments that do not parse, and IP fragments, pass untouched (the
 * receive path counts the former).  On loopback a segment passes both
 * hooks: once "out", once "in".  Being last, the hooks see addresses and
 * ports as any NAT in the same chain left them.
 *
 * Configuration: /proc/net/xtcp_fault (mode 0600; writing also needs
 * CAP_NET_ADMIN over the namespace).  One command a line; a write may hold
 * several lines, applied in order; the first bad line fails the write(2)
 * with its errno and the lines before it stay applied.  Empty lines and
 * lines starting with '#' are ignored.
 *
 *   add [dir=in|out|any] [flags=NAME|VALUE/MASK] [port=N|any]
 *       [nth=N | count=K|all | prob=P%|Pppm]
 *       [action=drop | action=delay delay=MS]
 *   del ID
 *   clear
 *
 *   dir     the hook: "in" (PRE_ROUTING), "out" (LOCAL_OUT), "any" (both,
 *           the default)
 *   flags   the flag byte, masked, must equal a value:
 *             any     every segment (the default)
 *             syn     SYN without ACK
 *             synack  SYN and ACK
 *             ack     ACK without SYN, FIN or RST, and no payload
 *             data    a payload of at least one byte, any flags
 *             fin     FIN set
 *             rst     RST set
 *           or VALUE/MASK, numbers in C syntax: flags=0x12/0x12
 *   port    the source or the destination port is N (0..65535); "any",
 *           the default, matches every port
 *   which matching segments the action applies to; at most one of:
 *     nth=N     only the Nth match (N >= 1) since the rule was added
 *     count=K   the first K matches (K >= 1); count=all, the default: every
 *               match
 *     prob=P    each match with probability P: "5%", "0.25%" (at most four
 *               decimals) or "2500ppm" (parts per million, 0..1000000)
 *   action  drop (the default): NF_DROP; at LOCAL_OUT the sender's
 *           ip_local_out() gets -EPERM, as with an iptables DROP.
 *           delay: hold the segment for delay=MS milliseconds (1..10000,
 *           "ms" suffix allowed) and send it on; the sender sees success.
 *           At most 1000 segments are held per namespace; one that cannot
 *           be held (queue full, no memory) is dropped and counted as a
 *           drop, as netem does beyond its limit.  Held segments are
 *           discarded when their device goes away (counted), at
 *           namespace exit and at module unload; "del" and "clear" leave
 *           them to be sent on when due.
 *
 * Errors: a malformed line gives EINVAL; more than 32 rules ENOSPC; "del"
 * of an unknown id ENOENT.
 *
 * Reading the file gives four counter lines, then one line per rule in
 * evaluation order, in the syntax "add" takes plus the rule's counters:
 *
 *   drops 3
 *   delayed 0
 *   queued 0
 *   discarded 0
 *   id=1 dir=out flags=syn port=any nth=1 action=drop matched=4 dropped=1 delayed=0
 *
 *   drops    segments dropped by the rules since the namespace was created
 *   delayed  segments delayed since then
 *   queued   segments held for a delay right now
 *   discarded  held segments discarded as their device went away
 *   matched  segments that fit the rule's dir, flags and port
 *   dropped  of those, dropped by this rule
 *   delayed  of those, delayed by this rule
 *
 * Rules are evaluated in id order.  Every rule a segment fits counts it in
 * "matched" (this is what nth and count refer to); the first rule that also
 * selects it acts, and the rules after it do not see the segment.  A
 * delayed segment is sent on through the hook's okfn, i.e. it resumes
 * after the last LOCAL_OUT or PRE_ROUTING hook (ours are the last), and is
 * not looked at again by these rules.  Ids grow from 1 in each namespace
 * and are not reused; "clear" removes every rule but keeps the counters.
 *
 * Locking and context:
 *  - The hooks run in softirq (PRE_ROUTING) or in process context with BH
 *    enabled or in softirq (LOCAL_OUT).  They walk the rule list under
 *    rcu_read_lock() and only touch atomic counters.
 *  - Writers (the proc write handler, process context) serialise on
 *    xtcp_fault_net.lock, a mutex, and publish with list_add_tail_rcu() /
 *    list_del_rcu() + kfree_rcu().  The proc read handler takes the mutex.
 *  - The delay queue (queue, queued, dying) is protected by
 *    xtcp_fault_net.qlock, a spinlock taken with BH disabled (or plain in
 *    the timer callback, which runs in softirq).  One timer per namespace
 *    fires for the earliest held segment.  Segments are sent on and freed
 *    outside the lock.
 *  - A held segment keeps a reference on its device (netdev_hold), on its
 *    socket if any, and on its route (skb_dst_force); a device going away
 *    (NETDEV_UNREGISTER) discards the segments held on it.
 *  - Namespace exit and module unload run pre_exit: unregister the hooks,
 *    set dying (so a hook still running cannot queue again), stop the
 *    timer synchronously (timer_shutdown_sync) and free what is held; then,
 *    after the RCU grace period the core waits for, exit frees the rules.
 *    Nothing of ours runs after xtcp_fault_exit() returns.
 */
#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/ip.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/proc_fs.h>
#include <linux/random.h>
#include <linux/rculist.h>
#include <linux/seq_file.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include "core.h"
#include "fault.h"

#define XTCP_FAULT_PROC		"xtcp_fault"
#define XTCP_FAULT_MAX_RULES	32
#define XTCP_FAULT_MAX_QUEUED	1000
#define XTCP_FAULT_MAX_DELAY_MS	10000
#define XTCP_FAULT_PPM		1000000		/* prob: parts per million */

/* Directions: bit values, so that "any" is both. */
#define XTCP_FAULT_IN		0x1
#define XTCP_FAULT_OUT		0x2
#define XTCP_FAULT_ANY		(XTCP_FAULT_IN | XTCP_FAULT_OUT)

/* What a rule requires of the payload length. */
enum xtcp_fault_payload {
	XTCP_FAULT_PAY_ANY,
	XTCP_FAULT_PAY_NONE,
	XTCP_FAULT_PAY_SOME,
};

/* Which matching segments a rule acts on. */
enum xtcp_fault_sel {
	XTCP_FAULT_EVERY,
	XTCP_FAULT_NTH,
	XTCP_FAULT_COUNT,
	XTCP_FAULT_PROB,
};

enum xtcp_fault_action {
	XTCP_FAULT_DROP,
	XTCP_FAULT_DELAY,
};

/**
 * struct xtcp_fault_rule - one rule of a namespace
 * @node: link in xtcp_fault_net.rules (RCU)
 * @rcu: for kfree_rcu()
 * @id: number shown and used by "del", unique in the namespace
 * @dir: XTCP_FAULT_IN, XTCP_FAULT_OUT or both
 * @fmask: mask applied to the segment's flag byte
 * @fval: value the masked flag byte must equal
 * @payload: enum xtcp_fault_payload
 * @fname: index in xtcp_fault_flag_names, or -1 for VALUE/MASK
 * @has_port: @port applies
 * @port: source or destination port to match
 * @sel: enum xtcp_fault_sel
 * @arg: N of nth, K of count, parts per million of prob
 * @action: enum xtcp_fault_action
 * @delay_ms: the delay, for XTCP_FAULT_DELAY
 * @matched: segments that fit dir, flags and port
 * @dropped: segments this rule dropped
 * @delayed: segments this rule delayed
 *
 * Everything but the counters is fixed once the rule is published.
 */
struct xtcp_fault_rule {
	struct list_head node;
	struct rcu_head rcu;
	u32 id;
	u8 dir;
	u8 fmask;
	u8 fval;
	u8 payload;
	int fname;
	bool has_port;
	u16 port;
	u8 sel;
	u32 arg;
	u8 action;
	u32 delay_ms;
	atomic_long_t matched;
	atomic_long_t dropped;
	atomic_long_t delayed;
};

/**
 * struct xtcp_fault_held - a segment held by a delay rule
 * @node: link in xtcp_fault_net.queue, sorted by @due
 * @skb: the segment
 * @dev: the hook's device (input device "in", output device "out"), held
 * @dev_tracker: tracker of the reference on @dev
 * @sk: the hook's socket with a reference held, or NULL
 * @okfn: where the segment continues, from the hook state
 * @due: jiffies when it is sent on
 */
struct xtcp_fault_held {
	struct list_head node;
	struct sk_buff *skb;
	struct net_device *dev;
	netdevice_tracker dev_tracker;
	struct sock *sk;
	int (*okfn)(struct net *net, struct sock *sk, struct sk_buff *skb);
	unsigned long due;
};

/**
 * struct xtcp_fault_net - fault injection state of a namespace
 * @net: the namespace
 * @lock: serialises writers of @rules, @nrules and @next_id
 * @rules: the rules, in id order; RCU for the hooks
 * @nrules: entries in @rules
 * @next_id: id of the next rule added
 * @drops: segments dropped by the rules
 * @delays: segments delayed by the rules
 * @discards: held segments discarded as their device went away
 * @qlock: protects @queue, @queued and @dying; BH-safe
 * @queue: held segments, earliest @due first
 * @queued: entries in @queue
 * @dying: the namespace or the module is going; nothing more is queued
 * @timer: fires when the first entry of @queue is due
 */
struct xtcp_fault_net {
	struct net *net;
	struct mutex lock;		/* protects rules, nrules, next_id */
	struct list_head rules;
	unsigned int nrules;
	u32 next_id;
	atomic_long_t drops;
	atomic_long_t delays;
	atomic_long_t discards;
	spinlock_t qlock;		/* protects queue, queued, dying */
	struct list_head queue;
	unsigned int queued;
	bool dying;
	struct timer_list timer;
};

static unsigned int xtcp_fault_net_id __read_mostly;

static struct xtcp_fault_net *xtcp_fault_pernet(const struct net *net)
{
	return net_generic(net, xtcp_fault_net_id);
}

/* The segment, as the rules see it. */
struct xtcp_fault_pkt {
	u8 dir;
	u8 flags;
	u16 sport;
	u16 dport;
	unsigned int payload;
};

/* Flag classes by name; "add flags=NAME". */
static const struct {
	const char *name;
	u8 mask;
	u8 value;
	u8 payload;
} xtcp_fault_flag_names[] = {
	{ "any", 0, 0, XTCP_FAULT_PAY_ANY },
	{ "syn", XTCP_SYN | XTCP_ACK, XTCP_SYN, XTCP_FAULT_PAY_ANY },
	{ "synack", XTCP_SYN | XTCP_ACK, XTCP_SYN | XTCP_ACK,
	  XTCP_FAULT_PAY_ANY },
	{ "ack", XTCP_SYN | XTCP_ACK | XTCP_FIN | XTCP_RST, XTCP_ACK,
	  XTCP_FAULT_PAY_NONE },
	{ "data", 0, 0, XTCP_FAULT_PAY_SOME },
	{ "fin", XTCP_FIN, XTCP_FIN, XTCP_FAULT_PAY_ANY },
	{ "rst", XTCP_RST, XTCP_RST, XTCP_FAULT_PAY_ANY },
};

/* Indexed by direction bits. */
static const char *const xtcp_fault_dir_names[] = {
	[XTCP_FAULT_IN]		= "in",
	[XTCP_FAULT_OUT]	= "out",
	[XTCP_FAULT_ANY]	= "any",
};

static const char *const xtcp_fault_action_names[] = {
	[XTCP_FAULT_DROP]	= "drop",
	[XTCP_FAULT_DELAY]	= "delay",
};

/* ---- the data path ---- */

/*
 * Fill @pkt from an IPv4 datagram at a hook.  Returns false for anything
 * the rules do not look at: another protocol, a fragment, a header that is
 * short or that xtcp_parse() refuses.
 */
static bool xtcp_fault_classify(struct sk_buff *skb,
				const struct nf_hook_state *state,
				struct xtcp_fault_pkt *pkt)
{
	u8 buf[XTCP_MAX_HDR_LEN];
	unsigned int off, len;
	const struct iphdr *iph;
	struct xtcp_seg seg;
	struct iphdr _iph;
	const u8 *hdr;

	iph = skb_header_pointer(skb, skb_network_offset(skb), sizeof(_iph),
				 &_iph);
	if (!iph || iph->protocol != xtcp_ipproto || ip_is_fragment(iph))
		return false;
	off = skb_network_offset(skb) + iph->ihl * 4;
	if (iph->ihl < 5 || skb->len < off + XTCP_HDR_LEN)
		return false;
	len = min_t(unsigned int, skb->len - off, XTCP_MAX_HDR_LEN);
	hdr = skb_header_pointer(skb, off, len, buf);
	if (!hdr || xtcp_parse(hdr, len, &seg) != XTCP_PARSE_OK)
		return false;

	pkt->dir = state->hook == NF_INET_LOCAL_OUT ? XTCP_FAULT_OUT :
						      XTCP_FAULT_IN;
	pkt->flags = seg.flags;
	pkt->sport = seg.sport;
	pkt->dport = seg.dport;
	pkt->payload = skb->len - off - seg.hlen;
	return true;
}

static bool xtcp_fault_match(const struct xtcp_fault_rule *r,
			     const struct xtcp_fault_pkt *pkt)
{
	if (!(r->dir & pkt->dir))
		return false;
	if ((pkt->flags & r->fmask) != r->fval)
		return false;
	if (r->payload == XTCP_FAULT_PAY_NONE && pkt->payload)
		return false;
	if (r->payload == XTCP_FAULT_PAY_SOME && !pkt->payload)
		return false;
	if (r->has_port && pkt->sport != r->port && pkt->dport != r->port)
		return false;
	return true;
}

/* Count a match; true if the rule acts on it. */
static bool xtcp_fault_select(struct xtcp_fault_rule *r)
{
	long n = atomic_long_inc_return(&r->matched);

	switch (r->sel) {
	case XTCP_FAULT_NTH:
		return n == r->arg;
	case XTCP_FAULT_COUNT:
		return n <= r->arg;
	case XTCP_FAULT_PROB:
		return get_random_u32_below(XTCP_FAULT_PPM) < r->arg;
	default:
		return true;
	}
}

/* Drop the references a held segment took, and the entry. */
static void xtcp_fault_release(struct xtcp_fault_held *h)
{
	netdev_put(h->dev, &h->dev_tracker);
	if (h->sk)
		sock_gen_put(h->sk);
	kfree(h);
}

/*
 * Take @skb over for @ms milliseconds.  Returns 0 when it is queued (the
 * hook then answers NF_STOLEN), an errno when it could not be (the caller
 * drops it).  Context: a hook, BH enabled or not.
 */
static int xtcp_fault_enqueue(struct xtcp_fault_net *fn, struct sk_buff *skb,
			      const struct nf_hook_state *state, u32 ms)
{
	struct net_device *dev = state->in ? state->in : state->out;
	struct xtcp_fault_held *h, *pos;
	struct sock *sk = state->sk;

	if (!dev)
		return -ENODEV;
	/*
	 * A route attached without a reference lives only as long as the
	 * caller's RCU section: take one.  The output path needs the route;
	 * the input path routes again if it is gone.
	 */
	if (!skb_dst_force(skb) && state->hook == NF_INET_LOCAL_OUT)
		return -ENETUNREACH;
	h = kmalloc(sizeof(*h), GFP_ATOMIC);
	if (!h)
		return -ENOMEM;
	if (sk && !refcount_inc_not_zero(&sk->sk_refcnt)) {
		kfree(h);
		return -ENOENT;
	}
	h->skb = skb;
	h->dev = dev;
	h->sk = sk;
	h->okfn = state->okfn;
	h->due = jiffies + msecs_to_jiffies(ms);

	spin_lock_bh(&fn->qlock);
	if (fn->dying || fn->queued >= XTCP_FAULT_MAX_QUEUED) {
		spin_unlock_bh(&fn->qlock);
		if (sk)
			sock_gen_put(sk);
		kfree(h);
		return -ENOSPC;
	}
	netdev_hold(dev, &h->dev_tracker, GFP_ATOMIC);
	/* Sorted by due time; first in, first out among equals. */
	list_for_each_entry_reverse(pos, &fn->queue, node)
		if (!time_after(pos->due, h->due))
			break;
	list_add(&h->node, &pos->node);
	fn->queued++;
	/* The timer is armed for the first entry whenever there is one. */
	if (fn->queue.next == &h->node)
		mod_timer(&fn->timer, h->due);
	spin_unlock_bh(&fn->qlock);
	return 0;
}

/*
 * Send on every held segment that is due.  Context: timer, softirq.  The
 * segments continue where the hook would have sent them: ip_rcv_finish()
 * (in) or dst_output() (out), both expecting rcu_read_lock() and BH off.
 */
static void xtcp_fault_timer(struct timer_list *t)
{
	struct xtcp_fault_net *fn = from_timer(fn, t, timer);
	struct xtcp_fault_held *h, *tmp;
	LIST_HEAD(due);

	spin_lock(&fn->qlock);
	list_for_each_entry_safe(h, tmp, &fn->queue, node) {
		if (time_after(h->due, jiffies))
			break;
		list_move_tail(&h->node, &due);
		fn->queued--;
	}
	h = list_first_entry_or_null(&fn->queue, struct xtcp_fault_held, node);
	if (h && !fn->dying)
		mod_timer(&fn->timer, h->due);
	spin_unlock(&fn->qlock);

	list_for_each_entry_safe(h, tmp, &due, node) {
		rcu_read_lock();
		h->okfn(fn->net, h->sk, h->skb);
		rcu_read_unlock();
		xtcp_fault_release(h);
	}
}

/*
 * Discard the held segments of @dev, or all of them when @dev is NULL.
 * Context: process; takes qlock with BH disabled.
 */
static void xtcp_fault_flush(struct xtcp_fault_net *fn,
			     const struct net_device *dev)
{
	struct xtcp_fault_held *h, *tmp;
	LIST_HEAD(gone);

	spin_lock_bh(&fn->qlock);
	list_for_each_entry_safe(h, tmp, &fn->queue, node) {
		if (dev && h->dev != dev)
			continue;
		list_move_tail(&h->node, &gone);
		fn->queued--;
	}
	spin_unlock_bh(&fn->qlock);

	list_for_each_entry_safe(h, tmp, &gone, node) {
		kfree_skb(h->skb);
		xtcp_fault_release(h);
		if (dev)
			atomic_long_inc(&fn->discards);
	}
}

static unsigned int xtcp_fault_act(struct xtcp_fault_net *fn,
				   struct xtcp_fault_rule *r,
				   struct sk_buff *skb,
				   const struct nf_hook_state *state)
{
	if (r->action == XTCP_FAULT_DELAY &&
	    !xtcp_fault_enqueue(fn, skb, state, r->delay_ms)) {
		atomic_long_inc(&r->delayed);
		atomic_long_inc(&fn->delays);
		return NF_STOLEN;
	}
	atomic_long_inc(&r->dropped);
	atomic_long_inc(&fn->drops);
	return NF_DROP;
}

/*
 * The hook, for both directions.  Context: softirq (PRE_ROUTING), process
 * or softirq (LOCAL_OUT); the caller holds rcu_read_lock().
 */
static unsigned int xtcp_fault_hook(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	struct xtcp_fault_net *fn = xtcp_fault_pernet(state->net);
	unsigned int verdict = NF_ACCEPT;
	struct xtcp_fault_rule *r;
	struct xtcp_fault_pkt pkt;

	if (list_empty(&fn->rules) || !xtcp_fault_classify(skb, state, &pkt))
		return NF_ACCEPT;

	rcu_read_lock();
	list_for_each_entry_rcu(r, &fn->rules, node) {
		if (!xtcp_fault_match(r, &pkt) || !xtcp_fault_select(r))
			continue;
		verdict = xtcp_fault_act(fn, r, skb, state);
		break;
	}
	rcu_read_unlock();
	return verdict;
}

/*
 * Last in both chains, so that a delayed segment, sent on through okfn,
 * skips no other hook (conntrack, filter, NAT have all seen it).
 */
static const struct nf_hook_ops xtcp_fault_nf_ops[] = {
	{
		.hook		= xtcp_fault_hook,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP_PRI_LAST,
	},
	{
		.hook		= xtcp_fault_hook,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= NF_IP_PRI_LAST,
	},
};

/* ---- configuration: /proc/net/xtcp_fault ---- */

/* Split off the next whitespace-separated word of *@s, or NULL at the end. */
static char *xtcp_fault_word(char **s)
{
	char *word = skip_spaces(*s), *end = word;

	if (!*word)
		return NULL;
	while (*end && !isspace(*end))
		end++;
	if (*end)
		*end++ = '\0';
	*s = end;
	return word;
}

static int xtcp_fault_parse_u32(const char *s, u32 min, u32 max, u32 *out)
{
	u32 v;

	if (kstrtou32(s, 10, &v) || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "5%", "0.25%" (up to four decimals) or "2500ppm", as parts per million. */
static int xtcp_fault_parse_prob(char *s, u32 *ppm)
{
	size_t len = strlen(s);
	u32 whole, frac = 0, unit = XTCP_FAULT_PPM / 100;
	char *dot;

	if (len > 3 && !strcmp(s + len - 3, "ppm")) {
		s[len - 3] = '\0';
		return xtcp_fault_parse_u32(s, 0, XTCP_FAULT_PPM, ppm);
	}
	if (len < 2 || s[len - 1] != '%')
		return -EINVAL;
	s[len - 1] = '\0';
	dot = strchr(s, '.');
	if (dot) {
		*dot++ = '\0';
		if (!*dot || strlen(dot) > 4)
			return -EINVAL;
		for (; *dot; dot++) {
			if (!isdigit(*dot))
				return -EINVAL;
			unit /= 10;
			frac += (*dot - '0') * unit;
		}
	}
	if (xtcp_fault_parse_u32(s, 0, 100, &whole))
		return -EINVAL;
	if (whole * (XTCP_FAULT_PPM / 100) + frac > XTCP_FAULT_PPM)
		return -EINVAL;
	*ppm = whole * (XTCP_FAULT_PPM / 100) + frac;
	return 0;
}

static int xtcp_fault_parse_flags(char *s, struct xtcp_fault_rule *r)
{
	unsigned int i;
	char *slash;
	u8 value, mask;

	for (i = 0; i < ARRAY_SIZE(xtcp_fault_flag_names); i++) {
		if (strcmp(s, xtcp_fault_flag_names[i].name))
			continue;
		r->fname = i;
		r->fmask = xtcp_fault_flag_names[i].mask;
		r->fval = xtcp_fault_flag_names[i].value;
		r->payload = xtcp_fault_flag_names[i].payload;
		return 0;
	}
	slash = strchr(s, '/');
	if (!slash)
		return -EINVAL;
	*slash++ = '\0';
	if (kstrtou8(s, 0, &value) || kstrtou8(slash, 0, &mask) ||
	    (value & ~mask))
		return -EINVAL;
	r->fname = -1;
	r->fmask = mask;
	r->fval = value;
	r->payload = XTCP_FAULT_PAY_ANY;
	return 0;
}

static int xtcp_fault_parse_delay(char *s, u32 *ms)
{
	size_t len = strlen(s);

	if (len > 2 && !strcmp(s + len - 2, "ms"))
		s[len - 2] = '\0';
	return xtcp_fault_parse_u32(s, 1, XTCP_FAULT_MAX_DELAY_MS, ms);
}

enum {
	XTCP_FAULT_KEY_DIR,
	XTCP_FAULT_KEY_FLAGS,
	XTCP_FAULT_KEY_PORT,
	XTCP_FAULT_KEY_NTH,
	XTCP_FAULT_KEY_COUNT,
	XTCP_FAULT_KEY_PROB,
	XTCP_FAULT_KEY_ACTION,
	XTCP_FAULT_KEY_DELAY,
	XTCP_FAULT_KEY_MAX
};

static const char *const xtcp_fault_keys[XTCP_FAULT_KEY_MAX] = {
	[XTCP_FAULT_KEY_DIR]	= "dir",
	[XTCP_FAULT_KEY_FLAGS]	= "flags",
	[XTCP_FAULT_KEY_PORT]	= "port",
	[XTCP_FAULT_KEY_NTH]	= "nth",
	[XTCP_FAULT_KEY_COUNT]	= "count",
	[XTCP_FAULT_KEY_PROB]	= "prob",
	[XTCP_FAULT_KEY_ACTION]	= "action",
	[XTCP_FAULT_KEY_DELAY]	= "delay",
};

/* One KEY=VALUE of an "add" line into @r. */
static int xtcp_fault_parse_key(int key, char *val, struct xtcp_fault_rule *r)
{
	u32 v;
	int i;

	switch (key) {
	case XTCP_FAULT_KEY_DIR:
		for (i = XTCP_FAULT_IN; i <= XTCP_FAULT_ANY; i++)
			if (!strcmp(val, xtcp_fault_dir_names[i])) {
				r->dir = i;
				return 0;
			}
		return -EINVAL;
	case XTCP_FAULT_KEY_FLAGS:
		return xtcp_fault_parse_flags(val, r);
	case XTCP_FAULT_KEY_PORT:
		if (!strcmp(val, "any"))
			return 0;
		if (xtcp_fault_parse_u32(val, 0, U16_MAX, &v))
			return -EINVAL;
		r->has_port = true;
		r->port = v;
		return 0;
	case XTCP_FAULT_KEY_NTH:
		r->sel = XTCP_FAULT_NTH;
		return xtcp_fault_parse_u32(val, 1, U32_MAX, &r->arg);
	case XTCP_FAULT_KEY_COUNT:
		if (!strcmp(val, "all"))
			return 0;
		r->sel = XTCP_FAULT_COUNT;
		return xtcp_fault_parse_u32(val, 1, U32_MAX, &r->arg);
	case XTCP_FAULT_KEY_PROB:
		r->sel = XTCP_FAULT_PROB;
		return xtcp_fault_parse_prob(val, &r->arg);
	case XTCP_FAULT_KEY_ACTION:
		i = match_string(xtcp_fault_action_names,
				 ARRAY_SIZE(xtcp_fault_action_names), val);
		if (i < 0)
			return -EINVAL;
		r->action = i;
		return 0;
	case XTCP_FAULT_KEY_DELAY:
		return xtcp_fault_parse_delay(val, &r->delay_ms);
	}
	return -EINVAL;
}

/* The words after "add": a new rule in *@rp, or an errno. */
static int xtcp_fault_parse_rule(char *args, struct xtcp_fault_rule **rp)
{
	unsigned long seen = 0;
	struct xtcp_fault_rule *r;
	char *word, *val;
	bool delay;
	int key;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->dir = XTCP_FAULT_ANY;
	r->sel = XTCP_FAULT_EVERY;
	r->action = XTCP_FAULT_DROP;

	while ((word = xtcp_fault_word(&args))) {
		val = strchr(word, '=');
		if (!val)
			goto bad;
		*val++ = '\0';
		key = match_string(xtcp_fault_keys, XTCP_FAULT_KEY_MAX, word);
		if (key < 0 || test_and_set_bit(key, &seen))
			goto bad;
		if (xtcp_fault_parse_key(key, val, r))
			goto bad;
	}
	/* At most one selection; a delay exactly when the action is delay. */
	if (test_bit(XTCP_FAULT_KEY_NTH, &seen) +
	    test_bit(XTCP_FAULT_KEY_COUNT, &seen) +
	    test_bit(XTCP_FAULT_KEY_PROB, &seen) > 1)
		goto bad;
	delay = r->action == XTCP_FAULT_DELAY;
	if (delay != test_bit(XTCP_FAULT_KEY_DELAY, &seen))
		goto bad;
	*rp = r;
	return 0;
bad:
	kfree(r);
	return -EINVAL;
}

static int xtcp_fault_add(struct xtcp_fault_net *fn, char *args)
{
	struct xtcp_fault_rule *r;
	int err;

	err = xtcp_fault_parse_rule(args, &r);
	if (err)
		return err;
	mutex_lock(&fn->lock);
	if (fn->nrules >= XTCP_FAULT_MAX_RULES) {
		mutex_unlock(&fn->lock);
		kfree(r);
		return -ENOSPC;
	}
	r->id = fn->next_id++;
	list_add_tail_rcu(&r->node, &fn->rules);
	WRITE_ONCE(fn->nrules, fn->nrules + 1);
	xtcp_fault_set_rules(fn->net, fn->nrules);
	mutex_unlock(&fn->lock);
	return 0;
}

static int xtcp_fault_del(struct xtcp_fault_net *fn, char *args)
{
	struct xtcp_fault_rule *r;
	char *word = xtcp_fault_word(&args);
	u32 id;

	if (!word || xtcp_fault_word(&args) || kstrtou32(word, 10, &id))
		return -EINVAL;
	mutex_lock(&fn->lock);
	list_for_each_entry(r, &fn->rules, node) {
		if (r->id != id)
			continue;
		list_del_rcu(&r->node);
		WRITE_ONCE(fn->nrules, fn->nrules - 1);
		xtcp_fault_set_rules(fn->net, fn->nrules);
		mutex_unlock(&fn->lock);
		kfree_rcu(r, rcu);
		return 0;
	}
	mutex_unlock(&fn->lock);
	return -ENOENT;
}

static int xtcp_fault_clear(struct xtcp_fault_net *fn, char *args)
{
	struct xtcp_fault_rule *r, *tmp;

	if (xtcp_fault_word(&args))
		return -EINVAL;
	mutex_lock(&fn->lock);
	list_for_each_entry_safe(r, tmp, &fn->rules, node) {
		list_del_rcu(&r->node);
		kfree_rcu(r, rcu);
	}
	WRITE_ONCE(fn->nrules, 0);
	xtcp_fault_set_rules(fn->net, 0);
	mutex_unlock(&fn->lock);
	return 0;
}

static int xtcp_fault_command(struct xtcp_fault_net *fn, char *line)
{
	char *cmd = xtcp_fault_word(&line);

	if (!cmd || *cmd == '#')
		return 0;
	if (!strcmp(cmd, "add"))
		return xtcp_fault_add(fn, line);
	if (!strcmp(cmd, "del"))
		return xtcp_fault_del(fn, line);
	if (!strcmp(cmd, "clear"))
		return xtcp_fault_clear(fn, line);
	return -EINVAL;
}

/*
 * proc write handler.  @buf is a NUL-terminated kernel copy of the @size
 * bytes written (proc_simple_write()).  Context: process; sleeps.
 */
static int xtcp_fault_write(struct file *file, char *buf, size_t size)
{
	struct net *net = seq_file_single_net(file->private_data);
	struct xtcp_fault_net *fn = xtcp_fault_pernet(net);
	char *line;
	int err;

	if (!file_ns_capable(file, net->user_ns, CAP_NET_ADMIN))
		return -EPERM;
	if (strlen(buf) != size)
		return -EINVAL;		/* a NUL byte in the middle */
	while ((line = strsep(&buf, "\n"))) {
		err = xtcp_fault_command(fn, line);
		if (err)
			return err;
	}
	return 0;
}

static void xtcp_fault_show_rule(struct seq_file *seq,
				 const struct xtcp_fault_rule *r)
{
	seq_printf(seq, "id=%u dir=%s", r->id, xtcp_fault_dir_names[r->dir]);
	if (r->fname >= 0)
		seq_printf(seq, " flags=%s",
			   xtcp_fault_flag_names[r->fname].name);
	else
		seq_printf(seq, " flags=0x%02x/0x%02x", r->fval, r->fmask);
	if (r->has_port)
		seq_printf(seq, " port=%u", r->port);
	else
		seq_puts(seq, " port=any");
	switch (r->sel) {
	case XTCP_FAULT_NTH:
		seq_printf(seq, " nth=%u", r->arg);
		break;
	case XTCP_FAULT_COUNT:
		seq_printf(seq, " count=%u", r->arg);
		break;
	case XTCP_FAULT_PROB:
		if (r->arg % (XTCP_FAULT_PPM / 100))
			seq_printf(seq, " prob=%uppm", r->arg);
		else
			seq_printf(seq, " prob=%u%%",
				   r->arg / (XTCP_FAULT_PPM / 100));
		break;
	default:
		seq_puts(seq, " count=all");
		break;
	}
	seq_printf(seq, " action=%s", xtcp_fault_action_names[r->action]);
	if (r->action == XTCP_FAULT_DELAY)
		seq_printf(seq, " delay=%u", r->delay_ms);
	seq_printf(seq, " matched=%ld dropped=%ld delayed=%ld\n",
		   atomic_long_read(&r->matched),
		   atomic_long_read(&r->dropped),
		   atomic_long_read(&r->delayed));
}

/* proc read handler.  Context: process; takes the rules mutex. */
static int xtcp_fault_show(struct seq_file *seq, void *v)
{
	struct xtcp_fault_net *fn = xtcp_fault_pernet(seq_file_single_net(seq));
	const struct xtcp_fault_rule *r;
	unsigned int queued;

	spin_lock_bh(&fn->qlock);
	queued = fn->queued;
	spin_unlock_bh(&fn->qlock);
	seq_printf(seq, "drops %ld\ndelayed %ld\nqueued %u\ndiscarded %ld\n",
		   atomic_long_read(&fn->drops),
		   atomic_long_read(&fn->delays), queued,
		   atomic_long_read(&fn->discards));

	mutex_lock(&fn->lock);
	list_for_each_entry(r, &fn->rules, node)
		xtcp_fault_show_rule(seq, r);
	mutex_unlock(&fn->lock);
	return 0;
}

/* ---- namespaces and the module ---- */

static int __net_init xtcp_fault_net_init(struct net *net)
{
	struct xtcp_fault_net *fn = xtcp_fault_pernet(net);
	int err;

	fn->net = net;
	mutex_init(&fn->lock);
	INIT_LIST_HEAD(&fn->rules);
	fn->next_id = 1;
	spin_lock_init(&fn->qlock);
	INIT_LIST_HEAD(&fn->queue);
	timer_setup(&fn->timer, xtcp_fault_timer, 0);

	if (!proc_create_net_single_write(XTCP_FAULT_PROC, 0600, net->proc_net,
					  xtcp_fault_show, xtcp_fault_write,
					  NULL))
		return -ENOMEM;
	err = nf_register_net_hooks(net, xtcp_fault_nf_ops,
				    ARRAY_SIZE(xtcp_fault_nf_ops));
	if (err)
		remove_proc_entry(XTCP_FAULT_PROC, net->proc_net);
	return err;
}

/*
 * First stage of teardown: no new writer, no new hook call, nothing held.
 * A hook that started before the unregistration may still run until the
 * grace period the core waits for before exit; it finds @dying set and
 * drops instead of queueing.
 */
static void __net_exit xtcp_fault_net_pre_exit(struct net *net)
{
	struct xtcp_fault_net *fn = xtcp_fault_pernet(net);

	remove_proc_entry(XTCP_FAULT_PROC, net->proc_net);
	xtcp_fault_set_rules(net, 0);
	nf_unregister_net_hooks(net, xtcp_fault_nf_ops,
				ARRAY_SIZE(xtcp_fault_nf_ops));
	spin_lock_bh(&fn->qlock);
	fn->dying = true;
	spin_unlock_bh(&fn->qlock);
	timer_shutdown_sync(&fn->timer);
	xtcp_fault_flush(fn, NULL);
}

/* Second stage: every reader is gone (RCU grace period since pre_exit). */
static void __net_exit xtcp_fault_net_exit(struct net *net)
{
	struct xtcp_fault_net *fn = xtcp_fault_pernet(net);
	struct xtcp_fault_rule *r, *tmp;

	list_for_each_entry_safe(r, tmp, &fn->rules, node)
		kfree(r);
	WARN_ON_ONCE(!list_empty(&fn->queue));
	mutex_destroy(&fn->lock);
}

static struct pernet_operations xtcp_fault_net_ops = {
	.init		= xtcp_fault_net_init,
	.pre_exit	= xtcp_fault_net_pre_exit,
	.exit		= xtcp_fault_net_exit,
	.id		= &xtcp_fault_net_id,
	.size		= sizeof(struct xtcp_fault_net),
};

/*
 * A device that goes away (or leaves the namespace) must not wait for our
 * timer: discard what is held on it.  Context: process, RTNL held.
 */
static int xtcp_fault_netdev_event(struct notifier_block *nb,
				   unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	if (event == NETDEV_UNREGISTER)
		xtcp_fault_flush(xtcp_fault_pernet(dev_net(dev)), dev);
	return NOTIFY_DONE;
}

static struct notifier_block xtcp_fault_netdev_nb = {
	.notifier_call	= xtcp_fault_netdev_event,
};

/*
 * Module init: /proc/net/xtcp_fault and the netfilter hooks in every
 * namespace, present and future; devices going away are watched.
 */
static int __init xtcp_fault_init(void)
{
	int err;

	err = register_pernet_subsys(&xtcp_fault_net_ops);
	if (err)
		return err;
	err = register_netdevice_notifier(&xtcp_fault_netdev_nb);
	if (err)
		unregister_pernet_subsys(&xtcp_fault_net_ops);
	return err;
}

/*
 * Module exit: the hooks go, every held segment is discarded, the timers
 * stop synchronously and every rule is freed; nothing of fault.c runs
 * afterwards.
 */
static void __exit xtcp_fault_exit(void)
{
	unregister_netdevice_notifier(&xtcp_fault_netdev_nb);
	unregister_pernet_subsys(&xtcp_fault_net_ops);
}

module_init(xtcp_fault_init);
module_exit(xtcp_fault_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("xtcp fault injection for tests: drop or delay segments by rule");
