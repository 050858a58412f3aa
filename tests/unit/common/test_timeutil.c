/* SPDX-License-Identifier: MIT */
/*
 * test_timeutil: the two clocks agree with the system's and the monotonic
 * one never goes back.
 */
#include <time.h>

#include "au_test.h"
#include "timeutil.h"

/* Unix milliseconds from clock_gettime(), which is what the module must
 * agree with (time(2) reads a coarse clock that may lag by a tick). */
static uint64_t
realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
test_wall_is_unix_ms(void **state)
{
	uint64_t before, ms, after;

	(void)state;
	before = realtime_ms();
	ms = timeutil_wall_ms();
	after = realtime_ms();
	assert_true(ms >= before);
	assert_true(ms <= after);
	/* And it is Unix time: later than 2020-01-01. */
	assert_true(ms > 1577836800000ull);
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
