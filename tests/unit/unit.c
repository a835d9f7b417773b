// SPDX-License-Identifier: GPL-2.0
/*
 * The runner behind unit.h: a registry filled by constructors, and main().
 */
#include "tests/unit/unit.h"

#define UNIT_MAX_TESTS 512

struct unit_test {
	const char *name;
	void (*fn)(void);
};

static struct unit_test tests[UNIT_MAX_TESTS];
static int ntests;
static int failures;		/* failures in the running test */
long unit_checks;

void unit_register(const char *name, void (*fn)(void))
{
	if (ntests == UNIT_MAX_TESTS) {
		fprintf(stderr, "unit: more than %d tests\n", UNIT_MAX_TESTS);
		exit(2);
	}
	tests[ntests].name = name;
	tests[ntests].fn = fn;
	ntests++;
}

/* Report the first few of a test's failures; count them all. */
void unit_fail(const char *file, int line, const char *what)
{
	if (failures++ < 10)
		printf("# %s:%d: CHECK(%s) failed\n", file, line, what);
}

void unit_fail_eq(const char *file, int line, const char *a, long long va,
		  const char *b, long long vb)
{
	if (failures++ < 10)
		printf("# %s:%d: %s is %lld, expected %s = %lld\n",
		       file, line, a, va, b, vb);
}

int main(void)
{
	int i, passed = 0, failed = 0;

	printf("KTAP version 1\n1..%d\n", ntests);
	for (i = 0; i < ntests; i++) {
		failures = 0;
		unit_checks = 0;
		tests[i].fn();
		if (!unit_checks)
			unit_fail(__FILE__, __LINE__, "the test asserted nothing");
		printf("%sok %d %s # %ld checks\n", failures ? "not " : "",
		       i + 1, tests[i].name, unit_checks);
		if (failures)
			failed++;
		else
			passed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
