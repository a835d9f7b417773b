// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: one memory budget for the whole machine, and the orphans.
 *
 * Every byte a connection queues, in either direction and in the
 * out-of-order queue, is charged to xtcp's struct proto through the
 * kernel's socket accounting (sk_wmem_schedule(), sk_rmem_schedule(),
 * sk_mem_charge() and their undo; memory cgroups ride on the same calls
 * for sockets created by a task in one, and for an accepted socket from
 * accept() on, xtcp_mem_accept_memcg()).  The budget is net.xtcp.mem,
 * three numbers of pages as net.ipv4.tcp_mem: below the first nothing
 * happens; above the second xtcp is under memory pressure (senders
 * shrink their buffers, receivers offer small windows); above the third
 * no socket gets more, receivers drop segments (RcvMemDrops, the peer
 * sends them again) and senders wait.  The defaults are sized from the
 * RAM as tcp_mem's are.  Only the initial namespace has the file: the
 * budget is the machine's, not a namespace's.
 *
 * Orphans, sockets their programs closed that still finish their
 * close, are counted here too; beyond net.xtcp.max_orphans (or with the
 * budget exhausted) a close resets the connection instead (AbortOnMemory).
 *
 * Context: the counters are per-CPU or atomic; the pressure flag is a
 * word written with cmpxchg()/WRITE_ONCE() from any context.
 */
#define pr_fmt(fmt) "xtcp: " fmt

#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/percpu_counter.h>
#include <linux/sysctl.h>

#include "xtcp.h"

static atomic_long_t xtcp_memory_allocated ____cacheline_aligned_in_smp;
static DEFINE_PER_CPU(int, xtcp_memory_per_cpu_fw_alloc);
static struct percpu_counter xtcp_sockets_allocated;
static struct percpu_counter xtcp_orphan_count;
/* jiffies when pressure began (never 0 while it lasts), else 0 */
static unsigned long xtcp_memory_pressure __read_mostly;

/* net.xtcp.mem: pages; written only from the initial namespace */
static long xtcp_sysctl_mem[3] __read_mostly;
/* net.xtcp.max_orphans */
static int xtcp_max_orphans __read_mostly;
/*
 * What a socket may always keep queued, however short memory is (the
 * kernel reads element 0 only): one page each way, tcp_rmem[0] and
 * tcp_wmem[0]'s defaults.
 */
static int xtcp_mem_floor[3] = { 4096, 4096, 4096 };

static void xtcp_enter_memory_pressure(struct sock *sk)
{
	unsigned long now = jiffies ? : 1;

	if (READ_ONCE(xtcp_memory_pressure))
		return;
	if (!cmpxchg(&xtcp_memory_pressure, 0, now))
		XTCP_INC_STATS(sock_net(sk), XTCP_MIB_MEMORY_PRESSURES);
}

static void xtcp_leave_memory_pressure(struct sock *sk)
{
	if (READ_ONCE(xtcp_memory_pressure))
		WRITE_ONCE(xtcp_memory_pressure, 0);
}

/**
 * xtcp_mem_proto_init() - give a struct proto xtcp's accounting
 * @prot: xtcp_prot, before proto_register()
 */
void xtcp_mem_proto_init(struct proto *prot)
{
	prot->memory_allocated = &xtcp_memory_allocated;
	prot->per_cpu_fw_alloc = &xtcp_memory_per_cpu_fw_alloc;
	prot->sockets_allocated = &xtcp_sockets_allocated;
	prot->memory_pressure = &xtcp_memory_pressure;
	prot->enter_memory_pressure = xtcp_enter_memory_pressure;
	prot->leave_memory_pressure = xtcp_leave_memory_pressure;
	prot->sysctl_mem = xtcp_sysctl_mem;
	prot->sysctl_wmem = xtcp_mem_floor;
	prot->sysctl_rmem = xtcp_mem_floor;
}

/**
 * xtcp_mem_init() - counters and the default budget, at module load
 *
 * As tcp_mem: pressure at 1/16 of the pages the page allocator can give
 * to buffers, the hard limit at 3/32; max_orphans as many as one orphan
 * per 32 such pages.
 *
 * Return: 0 or -ENOMEM.
 */
int xtcp_mem_init(void)
{
	unsigned long limit = max(nr_free_buffer_pages() / 16, 128UL);
	int err;

	err = percpu_counter_init(&xtcp_sockets_allocated, 0, GFP_KERNEL);
	if (err)
		return err;
	err = percpu_counter_init(&xtcp_orphan_count, 0, GFP_KERNEL);
	if (err) {
		percpu_counter_destroy(&xtcp_sockets_allocated);
		return err;
	}
	xtcp_sysctl_mem[0] = limit / 4 * 3;
	xtcp_sysctl_mem[1] = limit;
	xtcp_sysctl_mem[2] = xtcp_sysctl_mem[0] * 2;
	xtcp_max_orphans = clamp_t(unsigned long, nr_free_buffer_pages() / 32,
				   128, INT_MAX);
	return 0;
}

/**
 * xtcp_mem_exit() - at module unload, every socket gone
 */
void xtcp_mem_exit(void)
{
	percpu_counter_destroy(&xtcp_orphan_count);
	percpu_counter_destroy(&xtcp_sockets_allocated);
}

/**
 * xtcp_mem_pages() - pages charged to xtcp now, every socket together
 *
 * Exact: the shared figure the limits are checked against lags by what
 * each CPU keeps in reserve (up to sysctl_mem_pcpu_rsv pages a CPU);
 * this adds the reserves in, for /proc/net/xtcp_stat.
 *
 * Return: pages.
 */
long xtcp_mem_pages(void)
{
	long pages = atomic_long_read(&xtcp_memory_allocated);
	int cpu;

	for_each_possible_cpu(cpu)
		pages += READ_ONCE(*per_cpu_ptr(&xtcp_memory_per_cpu_fw_alloc, cpu));
	return max(0L, pages);
}

/**
 * xtcp_mem_pressure() - is xtcp under memory pressure?
 *
 * Return: true between crossing net.xtcp.mem's second number and
 * falling below its first.
 */
bool xtcp_mem_pressure(void)
{
	return READ_ONCE(xtcp_memory_pressure);
}

/**
 * xtcp_sockets_count() - xtcp sockets alive now, every namespace together
 *
 * Return: the count.
 */
long xtcp_sockets_count(void)
{
	return percpu_counter_sum_positive(&xtcp_sockets_allocated);
}

/**
 * xtcp_orphans_count() - orphans alive now, every namespace together
 *
 * Return: the count.
 */
long xtcp_orphans_count(void)
{
	return percpu_counter_sum_positive(&xtcp_orphan_count);
}

/**
 * xtcp_orphan_inc() - a socket became an orphan that lives on
 * @sk: the socket, locked, SOCK_DEAD, not CLOSED
 */
void xtcp_orphan_inc(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (xs->orphan_counted)
		return;
	xs->orphan_counted = true;
	percpu_counter_inc(&xtcp_orphan_count);
}

/**
 * xtcp_orphan_dec() - an orphan is being freed
 * @sk: the socket, its last reference gone
 */
void xtcp_orphan_dec(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (!xs->orphan_counted)
		return;
	xs->orphan_counted = false;
	percpu_counter_dec(&xtcp_orphan_count);
}

/**
 * xtcp_out_of_resources() - must this orphan give up now?
 * @sk: an orphan, locked
 *
 * Too many orphans, or the budget's hard limit passed while it still
 * holds data: as TCP's tcp_check_oom(), the orphan is reset rather than
 * kept.  Counted as AbortOnMemory by the caller.
 *
 * Return: true if it must be reset.
 */
bool xtcp_out_of_resources(struct sock *sk)
{
	/* exact when the count is near the limit, cheap when far from it */
	if (percpu_counter_compare(&xtcp_orphan_count,
				   READ_ONCE(xtcp_max_orphans)) > 0)
		return true;
	return sk->sk_wmem_queued > SOCK_MIN_SNDBUF &&
	       proto_memory_allocated(&xtcp_prot) > READ_ONCE(xtcp_sysctl_mem[2]);
}

/**
 * xtcp_mem_accept_memcg() - bring an accepted socket into its memory cgroup
 * @child: the socket accept() is about to hand out, locked (lock_sock())
 *
 * A socket the handshake made in softirq belongs to no memory cgroup: the
 * kernel ties a socket to the cgroup of the task creating it, and there
 * was none.  TCP ties its children to the acceptor's cgroup in accept()
 * and charges the cgroup with what they already hold; its helper is not
 * exported, so xtcp lets sk_alloc() make that association for a scratch
 * socket of the acceptor and moves it to @child (the cgroup's reference
 * with it).  What @child holds (its reserve and its receive queues; it
 * has written nothing yet) is then charged to the cgroup through the
 * budget, which counts it a second time, and that second count is
 * returned with the cgroup out of sight.  From then on @child's memory
 * is charged and uncharged with the cgroup, as any socket created by a
 * task in it.  If the cgroup has no room now, @child stays outside it
 * (TCP would overcharge the cgroup; xtcp's budget still bounds it).
 *
 * Context: process context, may sleep; @child's softirq paths back off
 * while it is owned.
 */
void xtcp_mem_accept_memcg(struct sock *child)
{
	struct mem_cgroup *memcg;
	struct sock *scratch;
	int held;

	if (!mem_cgroup_sockets_enabled || child->sk_memcg ||
	    child->sk_wmem_queued)
		return;
	scratch = sk_alloc(sock_net(child), child->sk_family, GFP_KERNEL,
			   child->sk_prot, 1);
	if (!scratch)
		return;
	memcg = scratch->sk_memcg;
	if (!memcg)		/* the acceptor is in the root cgroup */
		goto out;
	held = sk_mem_pages(child->sk_forward_alloc +
			    atomic_read(&child->sk_rmem_alloc));
	child->sk_memcg = memcg;
	if (held) {
		if (!__sk_mem_schedule(child, held << PAGE_SHIFT,
				       SK_MEM_RECV)) {
			child->sk_memcg = NULL;
			goto out;
		}
		child->sk_memcg = NULL;
		__sk_mem_reclaim(child, held << PAGE_SHIFT);
		child->sk_memcg = memcg;
	}
	scratch->sk_memcg = NULL;
out:
	sk_free(scratch);
}

/**
 * xtcp_wmem_queue() - account an skb joining the write queue
 * @sk: the socket, locked
 * @skb: the skb, not yet queued
 * @charged: its truesize was scheduled (sk_wmem_schedule()) and is now
 *	charged to the budget; false for the few control segments (SYN,
 *	FIN) that must go whatever the budget says, one or two a socket
 */
void xtcp_wmem_queue(struct sock *sk, struct sk_buff *skb, bool charged)
{
	XTCP_SKB_CB(skb)->charged = charged;
	sk_wmem_queued_add(sk, skb->truesize);
	if (charged)
		sk_mem_charge(sk, skb->truesize);
}

/**
 * xtcp_wmem_free_skb() - free an skb that left the write queue
 * @sk: the socket, locked
 * @skb: the skb, unlinked
 */
void xtcp_wmem_free_skb(struct sock *sk, struct sk_buff *skb)
{
	sk_wmem_queued_add(sk, -skb->truesize);
	if (XTCP_SKB_CB(skb)->charged)
		sk_mem_uncharge(sk, skb->truesize);
	kfree_skb(skb);
}

/*
 * Buffer autotuning.  A socket starts with net.xtcp.rmem_default and
 * wmem_default, small as TCP's tcp_rmem[1] and tcp_wmem[1], and grows
 * them as the connection shows it needs more, up to rmem_max and
 * wmem_max; never while xtcp is under memory pressure, never when the
 * owner fixed the size with SO_RCVBUF or SO_SNDBUF (SOCK_*BUF_LOCK), and
 * never back down: the sizes are ceilings, memory is charged only as
 * data is queued.  Called under the socket lock.
 */

/**
 * xtcp_choose_wscale() - the window scale the next SYN or SYN+ACK offers
 * @sk: the socket, locked, about to connect or listen
 *
 * Sized from the largest receive buffer the socket may reach (its own or
 * the namespace's rmem_max), so autotuning is never held back by the
 * 16-bit window field (RFC 7323 2.2).
 */
void xtcp_choose_wscale(struct sock *sk)
{
	u32 space = max_t(u32, READ_ONCE(sk->sk_rcvbuf),
			  READ_ONCE(xtcp_sysctl(sock_net(sk))->rmem_max));

	xtcp_sk(sk)->rcv_wscale = xtcp_wscale_for(space);
}

/**
 * xtcp_buf_init() - buffer state of a connection that just opened
 * @sk: the socket, locked, entering ESTABLISHED with its MSS known
 *
 * Starts the receive side's round-trip measurement and gives the send
 * side room for the initial window (xtcp_sndbuf_expand()).
 */
void xtcp_buf_init(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->rcvq_seq = xs->copied_seq;
	xs->rcvq_space = min_t(u32, xs->rcv_wnd, 10U * xs->mss);
	xs->rcvq_stamp = jiffies;
	xtcp_sndbuf_expand(sk);
}

/**
 * xtcp_rcv_space_adjust() - grow the receive buffer to the reader's pace
 * @sk: the socket, locked; the reader just took data
 *
 * Once a round trip (the smoothed RTT, at least a jiffy), compare what
 * the application read in it with the best round trip before; when it
 * read more, the buffer grows to hold xtcp_rcvbuf_target() bytes of
 * payload at the measured payload-per-truesize ratio.  The next window
 * update then offers it (dynamic right-sizing, as tcp_rcv_space_adjust).
 */
void xtcp_rcv_space_adjust(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	unsigned long rtt = 1;
	u32 copied, target;
	u64 mem;

	if (xs->rtt.has_sample)
		rtt = max_t(unsigned long, usecs_to_jiffies(xs->rtt.srtt_us), 1);
	if (time_before(jiffies, xs->rcvq_stamp + rtt))
		return;
	copied = xs->copied_seq - xs->rcvq_seq;
	target = xtcp_rcvbuf_target(copied, xs->rcvq_space, xs->mss);
	if (target) {
		xs->rcvq_space = copied;
		if (!(sk->sk_userlocks & SOCK_RCVBUF_LOCK) &&
		    !sk_under_memory_pressure(sk)) {
			mem = div_u64((u64)target << 8, READ_ONCE(xs->rcv_ratio));
			mem = min_t(u64, mem,
				    READ_ONCE(xtcp_sysctl(sock_net(sk))->rmem_max));
			if (mem > READ_ONCE(sk->sk_rcvbuf))
				WRITE_ONCE(sk->sk_rcvbuf, (int)mem);
		}
	}
	xs->rcvq_seq = xs->copied_seq;
	xs->rcvq_stamp = jiffies;
}

/**
 * xtcp_sndbuf_expand() - room for twice the congestion window
 * @sk: the socket, locked; the window just grew or the connection opened
 *
 * The send buffer holds what is in flight until it is acknowledged and
 * what the next window will send: twice the congestion window (at least
 * ten segments), each segment counted at the memory an skb of one MSS
 * costs, as tcp_sndbuf_expand() sizes TCP's.
 */
void xtcp_sndbuf_expand(struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	u32 segs = max_t(u32, xs->cc.cwnd / max_t(u32, xs->mss, 1), 10);
	u64 per_mss, want;

	if ((sk->sk_userlocks & SOCK_SNDBUF_LOCK) ||
	    sk_under_memory_pressure(sk))
		return;
	per_mss = roundup_pow_of_two(SKB_TRUESIZE(max_t(u32, xs->mss, 2048) +
						  MAX_HEADER + XTCP_MAX_HDR_LEN));
	want = min_t(u64, 2 * segs * per_mss,
		     READ_ONCE(xtcp_sysctl(sock_net(sk))->wmem_max));
	if (want > READ_ONCE(sk->sk_sndbuf))
		WRITE_ONCE(sk->sk_sndbuf, (int)want);
}

/* The machine-wide tunables, in the initial namespace only. */
static int max_orphans_max = INT_MAX;

static struct ctl_table xtcp_mem_table[] = {
	{
		.procname	= "mem",
		.data		= &xtcp_sysctl_mem,
		.maxlen		= sizeof(xtcp_sysctl_mem),
		.mode		= 0644,
		.proc_handler	= proc_doulongvec_minmax,
	},
	{
		.procname	= "max_orphans",
		.data		= &xtcp_max_orphans,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= &max_orphans_max,
	},
	{ }
};

static struct ctl_table_header *xtcp_mem_hdr;

/**
 * xtcp_mem_sysctl_init() - net.xtcp.mem and net.xtcp.max_orphans
 *
 * Registered in the initial namespace, beside its per-namespace table.
 *
 * Return: 0 or -ENOMEM.
 */
int xtcp_mem_sysctl_init(void)
{
	xtcp_mem_hdr = xtcp_register_net_sysctl(&init_net, "net/xtcp",
						xtcp_mem_table,
						ARRAY_SIZE(xtcp_mem_table) - 1);
	return xtcp_mem_hdr ? 0 : -ENOMEM;
}

/**
 * xtcp_mem_sysctl_exit() - remove them
 */
void xtcp_mem_sysctl_exit(void)
{
	unregister_net_sysctl_table(xtcp_mem_hdr);
}
