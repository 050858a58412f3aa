/* SPDX-License-Identifier: MIT */
/*
 * test_state: the updater's own record: round trip through the file, the
 * last action and result, the STOP and REMOVE records, the failure record
 * with meta's retry token (no churn), and the crash restart backoff.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au_test.h"
#include "fsutil.h"
#include "sig.h"
#include "state.h"

/* A failed version is not tried again while meta asks for it with the
 * same retry token; a larger token tries it once more; a change of target
 * clears the record. */
static void
test_failure_record(void **state)
{
	struct state       *s = calloc(1, sizeof(*s));
	struct state_agent *a;
	struct report       r;

	(void)state;
	assert_non_null(a = state_get(s, "demo"));
	assert_true(state_may_try(NULL, "7.0.0"));
	assert_int_equal(state_desired(a, REPORT_START, "7.0.0", 5), 1);
	assert_true(state_may_try(a, "7.0.0"));
	report_init(&r, "demo", "7.0.0", REPORT_START);
	report_set(&r, REPORT_ROLLED_BACK, "start", "control start failed");
	state_record(a, &r);
	assert_string_equal(
	    a->last_result, "rolled back: start: control start failed");
	assert_string_equal(a->failed_version, "7.0.0");
	assert_string_equal(a->failed_step, "start");
	assert_int_equal(a->failed_retry, 5);
	/* Meta keeps asking: not retried, however long. */
	assert_int_equal(state_desired(a, REPORT_START, "7.0.0", 5), 0);
	assert_false(state_may_try(a, "7.0.0"));
	assert_true(state_may_try(a, "7.0.1"));
	/* An older token is no reason either. */
	state_desired(a, REPORT_START, "7.0.0", 4);
	assert_false(state_may_try(a, "7.0.0"));
	/* metactl retry: the token grows, one more try; it fails again. */
	assert_int_equal(state_desired(a, REPORT_START, "7.0.0", 6), 1);
	assert_true(state_may_try(a, "7.0.0"));
	report_set(&r, REPORT_FAILED, "health", "died");
	state_record(a, &r);
	assert_string_equal(a->failed_step, "health");
	assert_false(state_may_try(a, "7.0.0"));
	/* The target changes (another version, or a STOP): cleared, so a
	 * later return to 7.0.0 is tried again. */
	assert_int_equal(state_desired(a, REPORT_START, "3.0.0", 6), 1);
	assert_string_equal(a->failed_version, "");
	assert_true(state_may_try(a, "7.0.0"));
	state_record(a, &r);
	state_desired(a, REPORT_STOP, "", 6);
	assert_true(state_may_try(a, "7.0.0"));
	/* A crash report is no failure of a target; success clears. */
	state_record(a, &r);
	report_set(&r, REPORT_CRASHED, "crash", "control status said stopped");
	state_record(a, &r);
	assert_string_equal(a->failed_version, "7.0.0");
	assert_string_equal(a->last_action, "restart");
	report_set(&r, REPORT_OK, NULL, "running");
	state_record(a, &r);
	assert_string_equal(a->failed_version, "");
	assert_string_equal(a->last_result, "ok");
	free(s);
}

static void
test_stop_and_remove(void **state)
{
	struct state       *s = calloc(1, sizeof(*s));
	struct state_agent *a;
	struct report       r;

	(void)state;
	a = state_get(s, "demo");
	report_init(&r, "demo", "3.0.0", REPORT_STOP);
	report_set(&r, REPORT_OK, NULL, "stopped");
	state_record(a, &r);
	assert_true(a->stopped);
	assert_string_equal(a->last_action, "stop");
	report_init(&r, "demo", "3.0.0", REPORT_REMOVE);
	report_set(&r, REPORT_OK, NULL, "stopped and removed");
	state_record(a, &r);
	assert_false(a->stopped);
	assert_int_equal(a->removed_ms, r.time_ms);
	assert_string_equal(a->last_action, "remove");
	/* Installed afresh later. */
	report_init(&r, "demo", "4.0.0", REPORT_START);
	report_set(&r, REPORT_OK, NULL, "running");
	state_record(a, &r);
	assert_int_equal(a->removed_ms, 0);
	free(s);
}

/* Restart at once, then 10 s, 20 s, 40 s ... 5 min; afresh after 10 min
 * up; counted per current version. */
static void
test_crash_backoff(void **state)
{
	struct state       *s = calloc(1, sizeof(*s));
	struct state_agent *a;
	uint64_t            t = 1000000;

	(void)state;
	a = state_get(s, "demo");
	assert_int_equal(state_crash_backoff(1), 10000);
	assert_int_equal(state_crash_backoff(2), 20000);
	assert_int_equal(state_crash_backoff(3), 40000);
	assert_int_equal(state_crash_backoff(6), 300000);
	assert_int_equal(state_crash_backoff(60), 300000);
	state_crash_track(a, "2.0.0");
	assert_true(state_crash_due(a, t));
	assert_int_equal(state_crash_note(a, t), 1);
	assert_false(state_crash_due(a, t + 9999));
	assert_true(state_crash_due(a, t + 10000));
	assert_int_equal(state_crash_note(a, t + 10000), 2);
	assert_false(state_crash_due(a, t + 29999));
	assert_true(state_crash_due(a, t + 30000));
	/* Up for less than 10 min: the backoff stays. */
	state_crash_settle(a, t + 10000 + STATE_CRASH_SETTLE_MS - 1);
	assert_int_equal(a->crash_streak, 2);
	state_crash_settle(a, t + 10000 + STATE_CRASH_SETTLE_MS);
	assert_int_equal(a->crash_streak, 0);
	assert_true(state_crash_due(a, t + 10000 + STATE_CRASH_SETTLE_MS));
	assert_int_equal(a->crashes, 2);
	/* Same version: still counted; a new current version: afresh. */
	state_crash_track(a, "2.0.0");
	assert_int_equal(a->crashes, 2);
	state_crash_track(a, "3.0.0");
	assert_int_equal(a->crashes, 0);
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
	snprintf(a->failed_step, sizeof(a->failed_step), "health");
	a->failed_retry = 3;
	a->retry = 4;
	a->failed_at_ms = 1767225600123ULL;
	a->stopped = 1;
	a->removed_ms = 17;
	snprintf(a->crash_version, sizeof(a->crash_version), "1.0.0");
	a->crashes = 5;
	a->crash_streak = 2;
	a->crash_at_ms = 11;
	a->restart_at_ms = 12;
	state_get(s, "other");
	assert_int_equal(state_save(path, s, NULL), AU_OK);
	assert_int_equal(state_load(path, t, NULL), AU_OK);
	assert_int_equal(t->n, 2);
	assert_non_null(b = state_find(t, "demo"));
	assert_string_equal(b->last_result, "failed: \"quoted\"");
	assert_string_equal(b->failed_version, "2.0.0");
	assert_string_equal(b->failed_step, "health");
	assert_int_equal(b->failed_retry, 3);
	assert_int_equal(b->retry, 4);
	assert_int_equal(b->failed_at_ms, 1767225600123ULL);
	assert_true(b->stopped);
	assert_int_equal(b->removed_ms, 17);
	assert_string_equal(b->crash_version, "1.0.0");
	assert_int_equal(b->crashes, 5);
	assert_int_equal(b->crash_streak, 2);
	assert_int_equal(b->crash_at_ms, 11);
	assert_int_equal(b->restart_at_ms, 12);
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
	    cmocka_unit_test(test_failure_record),
	    cmocka_unit_test(test_stop_and_remove),
	    cmocka_unit_test(test_crash_backoff),
	    cmocka_unit_test(test_round_trip),
	};

	if (sig_init() != AU_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
