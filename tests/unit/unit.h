/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small unit-test harness for the user-space tests of the xtcp core.
 *
 * UNIT_TEST(name) defines a test; CHECK(cond) and CHECK_EQ(a, b) record a
 * failure with its location and go on.  unit.c's main() runs every test in
 * the order defined, prints one KTAP line per test and a final
 * "N passed, N failed" line, and exits 1 if anything failed.  A test that
 * evaluated no check at all counts as failed.
 */
#ifndef _XTCP_UNIT_H
#define _XTCP_UNIT_H

#include <stdio.h>
#include <stdlib.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

void unit_register(const char *name, void (*fn)(void));
void unit_fail(const char *file, int line, const char *what);
void unit_fail_eq(const char *file, int line, const char *a, long long va,
		  const char *b, long long vb);
extern long unit_checks;	/* checks evaluated in the running test */

#define UNIT_TEST(tname)						\
	static void unit_fn_##tname(void);				\
	__attribute__((constructor)) static void unit_reg_##tname(void) \
	{								\
		unit_register(#tname, unit_fn_##tname);			\
	}								\
	static void unit_fn_##tname(void)

#define CHECK(cond) do {						\
		unit_checks++;						\
		if (!(cond))						\
			unit_fail(__FILE__, __LINE__, #cond);		\
	} while (0)

#define CHECK_EQ(a, b) do {						\
		long long _a = (long long)(a), _b = (long long)(b);	\
		unit_checks++;						\
		if (_a != _b)						\
			unit_fail_eq(__FILE__, __LINE__, #a, _a, #b, _b); \
	} while (0)

#endif /* _XTCP_UNIT_H */
