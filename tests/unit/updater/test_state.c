/* SPDX-License-Identifier: MIT */
/*
 * test_state: the updater's own record: round trip through the file, the
 * last action and result, the STOP flag, and the retry backoff for a
 * failed version (no retry storm).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au_test.h"
#include "fsutil.h"
#include "sig.h"
#include "state.h"

static void
test_record_and_backoff(void **state)
{
	struct state       *s = calloc(1, sizeof(*s));
	struct state_agent *a;
	struct report       r;
	uint64_t            t;

	(void)state;
	assert_non_null(a = state_get(s, "demo"));
	assert_true(state_may_try(a, "3.0.0", 0));
	report_init(&r, "demo", "3.0.0", REPORT_START);
	report_set(&r, REPORT_ROLLED_BACK, "start", "control start failed");
	state_record(a, &r);
	t = r.time_ms;
	assert_string_equal(
	    a->last_result, "rolled back: start: control start failed");
	assert_false(state_may_try(a, "3.0.0", t + 1000));
	assert_true(state_may_try(a, "3.0.0", t + STATE_RETRY_BASE_MS));
	/* Another version is tried at once. */
	assert_true(state_may_try(a, "3.0.1", t + 1));
	/* A second failure doubles the wait. */
	state_record(a, &r);
	assert_int_equal(a->failed_count, 2);
	assert_false(state_may_try(a, "3.0.0", t + STATE_RETRY_BASE_MS));
	assert_true(state_may_try(a, "3.0.0", t + 2 * STATE_RETRY_BASE_MS));
	/* Success clears it; a STOP sets the flag. */
	report_set(&r, REPORT_OK, NULL, "running");
	state_record(a, &r);
	assert_int_equal(a->failed_count, 0);
	assert_string_equal(a->last_result, "ok");
	report_init(&r, "demo", "3.0.0", REPORT_STOP);
	report_set(&r, REPORT_OK, NULL, "stopped");
	state_record(a, &r);
	assert_true(a->stopped);
	assert_string_equal(a->last_action, "stop");
	free(s);
}

static void
test_round_trip(void **state)
{
	char                      dir[64], path[96];
	struct state             *s = calloc(1, sizeof(*s));
	struct state             *t = calloc(1, sizeof(*t));
	struct state_agent       *a;
	const struct state_agent *b;

	(void)state;
	assert_int_equal(au_test_mkdtemp(dir, sizeof(dir), "state"), 0);
	snprintf(path, sizeof(path), "%s/state.json", dir);
	assert_int_equal(state_load(path, t, NULL), AU_OK);
	assert_int_equal(t->n, 0);
	a = state_get(s, "demo");
	snprintf(a->last_action, sizeof(a->last_action), "start");
	snprintf(a->last_result, sizeof(a->last_result), "failed: \"quoted\"");
	snprintf(a->failed_version, sizeof(a->failed_version), "2.0.0");
	a->failed_count = 3;
	a->failed_at_ms = 1767225600123ULL;
	a->stopped = 1;
	state_get(s, "other");
	assert_int_equal(state_save(path, s, NULL), AU_OK);
	assert_int_equal(state_load(path, t, NULL), AU_OK);
	assert_int_equal(t->n, 2);
	assert_non_null(b = state_find(t, "demo"));
	assert_string_equal(b->last_result, "failed: \"quoted\"");
	assert_int_equal(b->failed_count, 3);
	assert_int_equal(b->failed_at_ms, 1767225600123ULL);
	assert_true(b->stopped);
	assert_null(state_find(t, "absent"));
	assert_int_equal(
	    fsutil_write_atomic(path, "{bad", 4, 0644, NULL), AU_OK);
	assert_int_equal(state_load(path, t, NULL), AU_DATA_LOSS);
	assert_int_equal(au_test_rmtree(dir), 0);
	free(s);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_record_and_backoff),
	    cmocka_unit_test(test_round_trip),
	};

	if (sig_init() != AU_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
