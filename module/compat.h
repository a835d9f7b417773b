/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xtcp: the differences between the kernels xtcp supports (Debian's 6.1 and
 * 6.12), kept in this one file so the rest of the code has no version #ifs.
 * Each entry says which kernel changed what.
 */
#ifndef _XTCP_COMPAT_H
#define _XTCP_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "xtcp needs Linux 6.1 or later"
#endif

#endif /* _XTCP_COMPAT_H */
