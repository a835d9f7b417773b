/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small unit-test harness for the user-space tests of the xtcp core.
 *
 * UNIT_TEST(name) defines a test; CHECK(cond) records a failure with its
 * location and goes on; main() from UNIT_MAIN() runs every test in the
 * order defined, prints one KTAP line per test and a final
 * "N passed, N failed" line, and exits 1 if anything failed.
 */
#ifndef _XTCP_UNIT_H
#define _XTCP_UNIT_H

#include <stdio.h>
#include <stdlib.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
};

#define UNIT_MAX_TESTS 256
extern struct unit_test unit_tests[UNIT_MAX_TESTS];
extern int unit_ntests;
extern int unit_failures;	/* failures in the running test */
extern long unit_checks;	/* checks evaluated in the running test */

#define UNIT_TEST(tname)						\
	static void tname(void);					\
	__attribute__((constructor)) static void reg_##tname(void)	\
	{								\
		if (unit_ntests < UNIT_MAX_TESTS)			\
			unit_tests[unit_ntests++] =			\
				(struct unit_test){ #tname, tname };	\
	}								\
	static void tname(void)

#define CHECK(cond) do {						\
		unit_checks++;						\
		if (!(cond)) {						\
			if (unit_failures++ < 10)			\
				printf("# %s:%d: CHECK(%s) failed\n",	\
				       __FILE__, __LINE__, #cond);	\
		}							\
	} while (0)

#define CHECK_EQ(a, b) do {						\
		long long _a = (long long)(a), _b = (long long)(b);	\
		unit_checks++;						\
		if (_a != _b) {						\
			if (unit_failures++ < 10)			\
				printf("# %s:%d: %s == %lld, expected %s == %lld\n", \
				       __FILE__, __LINE__, #a, _a, #b, _b); \
		}							\
	} while (0)

#define UNIT_MAIN()							\
	struct unit_test unit_tests[UNIT_MAX_TESTS];			\
	int unit_ntests, unit_failures;					\
	long unit_checks;						\
	int main(void)							\
	{								\
		int i, passed = 0, failed = 0;				\
									\
		printf("KTAP version 1\n1..%d\n", unit_ntests);		\
		for (i = 0; i < unit_ntests; i++) {			\
			unit_failures = 0;				\
			unit_checks = 0;				\
			unit_tests[i].fn();				\
			if (!unit_checks)				\
				unit_failures++; /* asserted nothing */	\
			printf("%sok %d %s # %ld checks\n",		\
			       unit_failures ? "not " : "", i + 1,	\
			       unit_tests[i].name, unit_checks);	\
			if (unit_failures)				\
				failed++;				\
			else						\
				passed++;				\
		}							\
		printf("%d passed, %d failed\n", passed, failed);	\
		return failed ? 1 : 0;					\
	}

#endif /* _XTCP_UNIT_H */
