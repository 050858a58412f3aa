/* SPDX-License-Identifier: MIT */
/*
 * test_heartbeat: the schedule's arithmetic at the extremes of the random
 * input and of the configured bounds.
 */
#include <stdint.h>

#include "au_test.h"
#include "heartbeat.h"

#define RMAX UINT32_MAX

static void
test_first_delay_in_interval(void **state)
{
	struct heartbeat hb;

	(void)state;
	heartbeat_init(&hb, 60, 5, 3600);
	assert_int_equal(heartbeat_first(&hb, 1000, 0), 1000);
	assert_int_equal(heartbeat_first(&hb, 1000, RMAX / 2), 1000 + 29999);
	/* Strictly below now + interval at the largest random value. */
	assert_int_equal(heartbeat_first(&hb, 1000, RMAX), 1000 + 59999);
}

static void
test_success_jitter_bounds(void **state)
{
	struct heartbeat hb;

	(void)state;
	heartbeat_init(&hb, 100, 5, 3600);
	assert_int_equal(heartbeat_success(&hb, 0, 0, 0), 80000);
	assert_int_equal(heartbeat_success(&hb, 0, 0, RMAX), 80000 + 39999);
	assert_int_equal(hb.interval_s, 100);
}

static void
test_meta_interval_clamped(void **state)
{
	struct heartbeat hb;

	(void)state;
	heartbeat_init(&hb, 60, 10, 120);
	heartbeat_success(&hb, 1, 0, 0);
	assert_int_equal(hb.interval_s, 10);
	heartbeat_success(&hb, 99999, 0, 0);
	assert_int_equal(hb.interval_s, 120);
	heartbeat_success(&hb, 30, 0, 0);
	assert_int_equal(hb.interval_s, 30);
	/* 0: meta said nothing, keep the current interval. */
	heartbeat_success(&hb, 0, 0, 0);
	assert_int_equal(hb.interval_s, 30);
	heartbeat_init(&hb, 1, 10, 120);
	assert_int_equal(hb.interval_s, 10);
}

static void
test_backoff_grows_and_caps(void **state)
{
	(void)state;
	/* d = 1000 x 2^(n-1); jitter keeps it in [d/2, d). */
	assert_int_equal(heartbeat_backoff(1, 1000, 300000, 0), 500);
	assert_int_equal(heartbeat_backoff(2, 1000, 300000, 0), 1000);
	assert_int_equal(heartbeat_backoff(3, 1000, 300000, RMAX), 3999);
	assert_int_equal(heartbeat_backoff(20, 1000, 300000, 0), 150000);
	assert_int_equal(heartbeat_backoff(200, 1000, 300000, RMAX), 299999);
	assert_int_equal(
	    heartbeat_backoff(UINT32_MAX, 1000, 300000, 0), 150000);
}

static void
test_failure_then_success_resets(void **state)
{
	struct heartbeat hb;

	(void)state;
	heartbeat_init(&hb, 60, 5, 3600);
	assert_int_equal(heartbeat_failure(&hb, 0, 0, 0), 500);
	assert_int_equal(heartbeat_failure(&hb, 0, 0, 0), 1000);
	assert_int_equal(hb.failures, 2);
	heartbeat_success(&hb, 0, 0, 0);
	assert_int_equal(hb.failures, 0);
	assert_int_equal(heartbeat_failure(&hb, 0, 0, 0), 500);
}

static void
test_failure_cap_by_interval_max(void **state)
{
	struct heartbeat hb;
	int              i;

	(void)state;
	heartbeat_init(&hb, 10, 5, 20);
	for (i = 0; i < 30; i++)
		heartbeat_failure(&hb, 0, 0, 0);
	assert_int_equal(heartbeat_failure(&hb, 0, 0, RMAX), 19999);
}

static void
test_retry_after_honoured(void **state)
{
	struct heartbeat hb;

	(void)state;
	heartbeat_init(&hb, 60, 5, 3600);
	assert_int_equal(heartbeat_failure(&hb, 45000, 100, 0), 45100);
	/* A retry-after shorter than the backoff does not shorten it. */
	assert_int_equal(heartbeat_failure(&hb, 10, 0, 0), 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_delay_in_interval),
	    cmocka_unit_test(test_success_jitter_bounds),
	    cmocka_unit_test(test_meta_interval_clamped),
	    cmocka_unit_test(test_backoff_grows_and_caps),
	    cmocka_unit_test(test_failure_then_success_resets),
	    cmocka_unit_test(test_failure_cap_by_interval_max),
	    cmocka_unit_test(test_retry_after_honoured),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
