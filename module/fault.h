/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xtcp: fault injection, a module of its own (xtcp_fault.ko, fault.c) that
 * the tests load; xtcp.ko registers no netfilter hook.  What the two
 * share: xtcp.ko lends xtcp_fault.ko the protocol number and the header
 * parser (core.h), and learns from it whether a namespace has rules (a
 * namespace with rules sends no runs: they must see single segments).
 */
#ifndef _XTCP_FAULT_H
#define _XTCP_FAULT_H

#include <linux/types.h>

struct net;

extern int xtcp_ipproto;

void xtcp_fault_set_rules(struct net *net, unsigned int nrules);
bool xtcp_fault_active(const struct net *net);

#endif /* _XTCP_FAULT_H */
