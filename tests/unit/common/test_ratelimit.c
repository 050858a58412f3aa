/* SPDX-License-Identifier: MIT */
/*
 * test_ratelimit: the burst passes, the flood after it is dropped and
 * counted, the refill lets lines through again at the set rate, and the
 * first line after a flood says how many were dropped.
 */
#include <pthread.h>

#include "au_test.h"
#include "ratelimit.h"

#define T0 1000000

static void
test_burst_then_rate(void **state)
{
	struct ratelimit rl;
	uint64_t         dropped = 99;
	int              i;

	(void)state;
	ratelimit_init(&rl, 3, 2);
	for (i = 0; i < 3; i++) {
		assert_true(ratelimit_take(&rl, T0, &dropped));
		assert_int_equal(dropped, 0);
	}
	for (i = 0; i < 10; i++)
		assert_false(ratelimit_take(&rl, T0 + 100, &dropped));
	/* 2 a second: one token after 500 ms, not before. */
	assert_false(ratelimit_take(&rl, T0 + 499, &dropped));
	assert_true(ratelimit_take(&rl, T0 + 500, &dropped));
	assert_int_equal(dropped, 11);
	assert_false(ratelimit_take(&rl, T0 + 600, &dropped));
	assert_int_equal(ratelimit_drain(&rl), 1);
	assert_int_equal(ratelimit_drain(&rl), 0);
	/* A long quiet spell refills to the burst, not beyond. */
	for (i = 0; i < 3; i++)
		assert_true(ratelimit_take(&rl, T0 + 60000, &dropped));
	assert_int_equal(dropped, 0);
	assert_false(ratelimit_take(&rl, T0 + 60000, &dropped));
	ratelimit_fini(&rl);
}

static void
test_clock_going_back(void **state)
{
	struct ratelimit rl;
	uint64_t         dropped;

	(void)state;
	ratelimit_init(&rl, 1, 1);
	assert_true(ratelimit_take(&rl, T0, &dropped));
	/* A clock that goes back adds nothing and breaks nothing. */
	assert_false(ratelimit_take(&rl, T0 - 5000, &dropped));
	assert_true(ratelimit_take(&rl, T0 - 4000, &dropped));
	assert_int_equal(dropped, 1);
	ratelimit_fini(&rl);
}

struct flood {
	struct ratelimit *rl;
	int               passed;
	uint64_t          dropped;
};

static void *
flood(void *arg)
{
	struct flood *f = arg;
	uint64_t      d;

	for (int i = 0; i < 10000; i++)
		if (ratelimit_take(f->rl, T0, &d)) {
			f->passed++;
			f->dropped += d;
		}
	return NULL;
}

/* Four threads at once: exactly the burst passes at one instant. */
static void
test_threads(void **state)
{
	struct ratelimit rl;
	struct flood     f[4];
	pthread_t        t[4];
	int              passed = 0;

	(void)state;
	ratelimit_init(&rl, 50, 10);
	for (int i = 0; i < 4; i++) {
		f[i] = (struct flood){&rl, 0, 0};
		assert_int_equal(pthread_create(&t[i], NULL, flood, &f[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		passed += f[i].passed;
	}
	assert_int_equal(passed, 50);
	ratelimit_fini(&rl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_burst_then_rate),
	    cmocka_unit_test(test_clock_going_back),
	    cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
