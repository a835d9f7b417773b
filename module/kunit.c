// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: the module's side of its KUnit suites, built only with
 * XTCP_KUNIT=1 (make kunit; see kunit.h and module/tests/).
 *
 * The suites are a module of their own, xtcp_kunit.ko, loaded after this
 * one: on 6.1 KUnit runs a module's suites before its init function
 * (MODULE_STATE_COMING), so a suite inside xtcp.ko would find no socket
 * family registered yet.
 */
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/skbuff.h>

#include "kunit.h"
#include "xtcp.h"

/*
 * The running test's wire, or NULL.  Segments are sent from the test's
 * thread and from timers in softirq: they read it under RCU, and
 * xtcp_kunit_set_wire(NULL) waits for them before the test empties it.
 */
static struct sk_buff_head __rcu *xtcp_kunit_wire;

/**
 * xtcp_kunit_set_wire() - where segments go from now on
 * @wire: the test's queue, or NULL for IP again
 *
 * Context: process; with @wire NULL it sleeps (a grace period), after
 * which no segment can still be on its way to the old queue.
 */
void xtcp_kunit_set_wire(struct sk_buff_head *wire)
{
	rcu_assign_pointer(xtcp_kunit_wire, wire);
	if (!wire)
		synchronize_rcu();
}
EXPORT_SYMBOL_GPL(xtcp_kunit_set_wire);

/**
 * xtcp_kunit_capture() - keep a segment xtcp sends on the test's wire
 * @skb: the segment, its xtcp header at the transport header
 *
 * Context: any; output.c calls it just before a segment would go to IP.
 * Return: true if the wire took @skb (IP must not see it).
 */
bool xtcp_kunit_capture(struct sk_buff *skb)
{
	struct sk_buff_head *wire;
	bool taken = false;

	rcu_read_lock();
	wire = rcu_dereference(xtcp_kunit_wire);
	if (wire) {
		skb_dst_drop(skb);
		skb_queue_tail(wire, skb);
		taken = true;
	}
	rcu_read_unlock();
	return taken;
}
