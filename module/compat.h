/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xtcp: the differences between the kernels xtcp supports (Debian's 6.1 and
 * 6.12), kept in this one file so the rest of the code has no version #ifs.
 * Each entry says which kernel changed what.
 */
#ifndef _XTCP_COMPAT_H
#define _XTCP_COMPAT_H

/*
 * Nothing differs yet in what xtcp calls: the socket, protocol, pernet and
 * seq_file APIs it uses are the same in 6.1 and 6.12.
 */

#endif /* _XTCP_COMPAT_H */
