/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the xtcp selftests: the family and protocol numbers the
 * loaded module took, and readers for /proc/net/xtcp and /proc/net/xtcp_stat.
 */
#ifndef _XTCP_SELFTEST_UTIL_H
#define _XTCP_SELFTEST_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/xtcp.h>

static inline int read_int_file(const char *path, int dflt)
{
	FILE *f = fopen(path, "r");
	int v = dflt;

	if (!f)
		return dflt;
	if (fscanf(f, "%d", &v) != 1)
		v = dflt;
	fclose(f);
	return v;
}

/* The socket family the loaded module registered (module parameter). */
static inline int xtcp_af(void)
{
	return read_int_file("/sys/module/xtcp/parameters/family", AF_XTCP);
}

/* The IP protocol number the loaded module uses (module parameter). */
static inline int xtcp_proto(void)
{
	return read_int_file("/sys/module/xtcp/parameters/proto", IPPROTO_XTCP);
}

/**
 * struct xtcp_row - one parsed row of /proc/net/xtcp
 */
struct xtcp_row {
	unsigned int laddr, lport, raddr, rport, st;
	unsigned int uid;
	unsigned long inode;
	char state[32];
	unsigned long state_ms;
};

/*
 * Read every row of a /proc/net/xtcp file into @rows (up to @max).
 * Returns the number of rows, -1 if the file cannot be read or its header
 * is not the expected one, -2 if a row does not parse.
 */
static inline int xtcp_read_rows(const char *path, struct xtcp_row *rows, int max)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f) ||
	    strncmp(line, "  sl  local_address rem_address   st ", 37)) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct xtcp_row r;
		int sl;

		if (sscanf(line, "%d: %x:%x %x:%x %x %*x:%*x %*x:%*x %*x %u %*d %lu %31s %lu",
			   &sl, &r.laddr, &r.lport, &r.raddr, &r.rport, &r.st,
			   &r.uid, &r.inode, r.state, &r.state_ms) != 10) {
			fclose(f);
			return -2;
		}
		if (n < max)
			rows[n] = r;
		n++;
	}
	fclose(f);
	return n;
}

/* Find the row of the socket with inode @ino; returns 1 if found. */
static inline int xtcp_find_row(const char *path, unsigned long ino,
				struct xtcp_row *out)
{
	static struct xtcp_row rows[4096];
	int i, n = xtcp_read_rows(path, rows, 4096);

	for (i = 0; i < n && i < 4096; i++)
		if (rows[i].inode == ino) {
			*out = rows[i];
			return 1;
		}
	return 0;
}

/* A counter from /proc/net/xtcp_stat, or -1 if absent. */
static inline long xtcp_counter(const char *name)
{
	char key[64];
	long v;
	FILE *f = fopen("/proc/net/xtcp_stat", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2)
		if (!strcmp(key, name)) {
			fclose(f);
			return v;
		}
	fclose(f);
	return -1;
}

#endif /* _XTCP_SELFTEST_UTIL_H */
