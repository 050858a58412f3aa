/* SPDX-License-Identifier: MIT */
/*
 * test_timeutil: the two clocks agree with the system's and the monotonic
 * one never goes back.
 */
#include <time.h>

#include "au_test.h"
#include "timeutil.h"

static void
test_wall_is_unix_ms(void **state)
{
	uint64_t before, ms, after;

	(void)state;
	before = (uint64_t)time(NULL);
	ms = timeutil_wall_ms();
	after = (uint64_t)time(NULL);
	assert_true(ms / 1000 >= before);
	assert_true(ms / 1000 <= after);
}

static void
test_mono_never_goes_back(void **state)
{
	uint64_t prev = timeutil_mono_ms(), now;
	int      i;

	(void)state;
	for (i = 0; i < 100000; i++) {
		now = timeutil_mono_ms();
		assert_true(now >= prev);
		prev = now;
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wall_is_unix_ms),
	    cmocka_unit_test(test_mono_never_goes_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
