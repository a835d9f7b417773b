/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xtcp: what the KUnit suites (xtcp_kunit.ko, module/tests/, make kunit)
 * have in the module.  xtcp.ko built with XTCP_KUNIT=1 hands each segment
 * it sends to the running test's "wire" instead of IP (output.c), and
 * exports what the suites call (kunit.c).  Built without XTCP_KUNIT the
 * hook is an inline "no" and nothing is exported.
 */
#ifndef _XTCP_KUNIT_H
#define _XTCP_KUNIT_H

#include <linux/skbuff.h>

#ifdef XTCP_KUNIT
bool xtcp_kunit_capture(struct sk_buff *skb);
void xtcp_kunit_set_wire(struct sk_buff_head *wire);
#else
static inline bool xtcp_kunit_capture(struct sk_buff *skb)
{
	return false;
}
#endif

#endif /* _XTCP_KUNIT_H */
