/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xtcp: fault injection on xtcp segments through netfilter (fault.c).
 */
#ifndef _XTCP_FAULT_H
#define _XTCP_FAULT_H

struct net;

int xtcp_fault_init(void);
void xtcp_fault_exit(void);
unsigned long xtcp_fault_drops(const struct net *net);
bool xtcp_fault_active(const struct net *net);

#endif /* _XTCP_FAULT_H */
