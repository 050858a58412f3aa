/* SPDX-License-Identifier: MIT */
/*
 * test_wave: the arithmetic of phased rollouts: wave lists with their
 * exact errors, thresholds over small and large fleets, membership that
 * only grows with the percent, failure signature masking, the halt rules
 * (count, percent, same error) and when a rollout bakes, advances and
 * finishes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au_test.h"
#include "rollout.h"
#include "wave.h"

static void
expect_parse_error(const char *text, const char *want)
{
	struct au_err err = AU_ERR_INIT;
	uint32_t      w[WAVE_MAX];
	size_t        n = 99;

	assert_int_equal(wave_parse(text, w, &n, &err), AU_INVALID_ARGUMENT);
	assert_int_equal(err.code, AU_INVALID_ARGUMENT);
	if (strcmp(err.msg, want) != 0)
		fail_msg(
		    "\"%s\": got \"%s\", want \"%s\"", text, err.msg, want);
}

static void
test_parse(void **state)
{
	struct au_err err = AU_ERR_INIT;
	uint32_t      w[WAVE_MAX];
	size_t        n = 0;

	(void)state;
	assert_int_equal(wave_parse("1,10,50,100", w, &n, &err), AU_OK);
	assert_int_equal(n, 4);
	assert_int_equal(w[0], 1);
	assert_int_equal(w[3], 100);
	assert_int_equal(wave_parse("100", w, &n, &err), AU_OK);
	assert_int_equal(n, 1);
	expect_parse_error("10,50", "waves: must end at 100");
	expect_parse_error("10,10,100", "waves: must increase (10 after 10)");
	expect_parse_error("50,10,100", "waves: must increase (10 after 50)");
	expect_parse_error("0,100", "waves: 0 is not a percent 1..100");
	expect_parse_error("1,101", "waves: 101 is not a percent 1..100");
	expect_parse_error("1,,100",
	    "waves: \"1,,100\": want up to 10 comma-separated percents");
	expect_parse_error(
	    "", "waves: \"\": want up to 10 comma-separated percents");
	expect_parse_error("1,2,3,4,5,6,7,8,9,10,100",
	    "waves: \"1,2,3,4,5,6,7,8,9,10,100\": want up to 10"
	    " comma-separated percents");
	expect_parse_error("5 ,100",
	    "waves: \"5 ,100\": want up to 10 comma-separated percents");
}

static void
test_list_round_trip(void **state)
{
	uint64_t v[3] = {1, 250, 1733000000123ULL}, back[WAVE_MAX];
	char     buf[128];

	(void)state;
	assert_string_equal(
	    wave_format(v, 3, buf, sizeof(buf)), "1,250,1733000000123");
	assert_int_equal(wave_parse_list(buf, back, WAVE_MAX), 3);
	assert_true(back[2] == v[2]);
	assert_int_equal(wave_parse_list("", back, WAVE_MAX), 0);
	assert_int_equal(wave_parse_list("1,x", back, WAVE_MAX), -1);
	assert_int_equal(wave_parse_list("1,2,3", back, 2), -1);
}

/* The histogram of hosts "h-0" .. "h-(n-1)" for agent. */
static uint32_t *
fleet_hist(int n, const char *agent)
{
	uint32_t *hist = calloc(WAVE_BUCKETS, sizeof(*hist));
	char      name[32];
	int       i;

	assert_non_null(hist);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "h-%d", i);
		hist[rollout_bucket(name, agent)]++;
	}
	return hist;
}

/* How many of hosts h-0 .. h-(n-1) are below threshold. */
static int
members(int n, const char *agent, uint32_t thr)
{
	char name[32];
	int  i, k = 0;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "h-%d", i);
		k += rollout_bucket(name, agent) < thr;
	}
	return k;
}

static void
test_threshold_small(void **state)
{
	uint32_t *hist = fleet_hist(20, "demo");
	uint32_t  t1, t10, t50, t100;

	(void)state;
	t1 = wave_threshold(hist, 20, 1, 0);
	t10 = wave_threshold(hist, 20, 10, t1);
	t50 = wave_threshold(hist, 20, 50, t10);
	t100 = wave_threshold(hist, 20, 100, t50);
	assert_int_equal(members(20, "demo", t1), 1);   /* 1% of 20: 1 */
	assert_int_equal(members(20, "demo", t10), 2);  /* 10% of 20: 2 */
	assert_int_equal(members(20, "demo", t50), 10); /* 50% of 20: 10 */
	assert_int_equal(t100, WAVE_BUCKETS);
	assert_int_equal(members(20, "demo", t100), 20);
	/* No hosts: nothing moves; never below the previous wave. */
	assert_int_equal(wave_threshold(hist, 0, 10, 77), 77);
	assert_int_equal(wave_threshold(hist, 20, 1, 9000), 9000);
	free(hist);
}

static void
test_threshold_large(void **state)
{
	uint32_t *hist = fleet_hist(100000, "nodex");
	uint32_t  t;
	int       k;

	(void)state;
	t = wave_threshold(hist, 100000, 1, 0);
	k = members(100000, "nodex", t);
	/* ceil(1% of 100000) = 1000, more only when the last bucket holds
	 * several hosts. */
	assert_true(k >= 1000 && k < 1040);
	t = wave_threshold(hist, 100000, 50, t);
	k = members(100000, "nodex", t);
	assert_true(k >= 50000 && k < 50040);
	free(hist);
}

/* As the percent grows, every member stays a member. */
static void
test_membership_stable(void **state)
{
	static const uint32_t pct[] = {1, 5, 10, 25, 50, 75, 100};
	uint32_t             *hist = fleet_hist(500, "logd");
	uint32_t              thr[7], prev = 0;
	char                  name[32];
	int                   i, k, w, first;

	(void)state;
	for (k = 0; k < 7; k++)
		prev = thr[k] = wave_threshold(hist, 500, pct[k], prev);
	for (i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "h-%d", i);
		w = wave_of(rollout_bucket(name, "logd"), thr, 7);
		assert_true(w >= 0);
		/* A member of wave w is a member of every later one. */
		for (first = -1, k = 0; k < 7; k++)
			if (rollout_bucket(name, "logd") < thr[k]) {
				if (first < 0)
					first = k;
			} else {
				assert_true(first < 0);
			}
		assert_int_equal(first, w);
	}
	assert_int_equal(wave_of(WAVE_BUCKETS - 1, thr, 6), -1);
	free(hist);
}

static void
expect_sig(const char *step, const char *msg, const char *want)
{
	char out[WAVE_SIG_MAX];

	wave_signature(step, msg, out, sizeof(out));
	if (strcmp(out, want) != 0)
		fail_msg("got \"%s\", want \"%s\"", out, want);
}

static void
test_signature(void **state)
{
	char out[WAVE_SIG_MAX], longmsg[400];

	(void)state;
	expect_sig("start",
	    "control start failed: exit 1: pid 4242 "
	    "/opt/agents/x/7.0.0/control",
	    "start: control start failed: exit N: pid N PATH");
	expect_sig("verify", "hash 3f9a0c1d2e4b5a6f does not match",
	    "verify: hash H does not match");
	expect_sig("fetch", "deadbeefcafe", "fetch: H");
	expect_sig("start", "took 12345678901 ms", "start: took N ms");
	expect_sig("health", "exit 2\nout of memory at 0x7ffe12345678",
	    "health: exit N out of memory at H");
	expect_sig(
	    "stop", "v1.2.3 in /tmp/x.log: busy", "stop: vN.N.N in PATH: busy");
	expect_sig(NULL, NULL, ": ");
	/* Two hosts, one error. */
	wave_signature(
	    "start", "exit 1: pid 17 /opt/a/1/control", out, sizeof(out));
	expect_sig("start", "exit 3: pid 99999 /srv/b/control", out);
	/* Bounded. */
	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	wave_signature("start", longmsg, out, sizeof(out));
	assert_int_equal(strlen(out), WAVE_SIG_MAX - 1);
	assert_true(wave_sig_hash("a") != wave_sig_hash("b"));
	assert_true(wave_sig_hash("") != 0);
}

static void
test_halt_failed(void **state)
{
	struct wave_limits pct = {10, 1, 3}, cnt = {2, 0, 3};
	char               reason[WAVE_REASON_MAX];

	(void)state;
	/* Percent: 2 of 20 is 10%, not over; 3 of 20 is. */
	assert_int_equal(
	    wave_halt_failed(&pct, 2, 20, reason, sizeof(reason)), 0);
	assert_int_equal(
	    wave_halt_failed(&pct, 3, 20, reason, sizeof(reason)), 1);
	assert_string_equal(
	    reason, "max-failed: 3 of 20 hosts failed (limit 10%)");
	/* The first host of a 1% wave failing is 100%. */
	assert_int_equal(
	    wave_halt_failed(&pct, 1, 1, reason, sizeof(reason)), 1);
	assert_int_equal(
	    wave_halt_failed(&pct, 0, 0, reason, sizeof(reason)), 0);
	/* Count. */
	assert_int_equal(
	    wave_halt_failed(&cnt, 2, 1000, reason, sizeof(reason)), 0);
	assert_int_equal(
	    wave_halt_failed(&cnt, 3, 1000, reason, sizeof(reason)), 1);
	assert_string_equal(
	    reason, "max-failed: 3 of 1000 hosts failed (limit 2 hosts)");
}

static void
test_halt_same_error(void **state)
{
	struct wave_limits l = {100, 1, 3}, off = {100, 1, 0};
	char               reason[WAVE_REASON_MAX];

	(void)state;
	assert_int_equal(wave_halt_same_error(&l, 2, "start: exit N", "web-3",
	                     reason, sizeof(reason)),
	    0);
	assert_int_equal(
	    wave_halt_same_error(&l, 3, "start: control start failed: exit N",
	        "web-3", reason, sizeof(reason)),
	    1);
	assert_string_equal(reason, "same-error: 3 hosts: start: control start"
	                            " failed: exit N (e.g. web-3)");
	assert_int_equal(wave_halt_same_error(&off, 50, "start: exit N",
	                     "web-3", reason, sizeof(reason)),
	    0);
}

static void
test_next(void **state)
{
	struct wave_progress p = {0, 4, 2, 1000, 0};

	(void)state;
	/* Pending members: wait; pending again while baking: clear. */
	assert_int_equal(wave_next(&p, 5000), WAVE_WAIT);
	p.bake_started_ms = 4000;
	assert_int_equal(wave_next(&p, 5000), WAVE_BAKE_CLEAR);
	/* Settled: start the clock, then advance only after bake_ms. */
	p.pending = 0;
	p.bake_started_ms = 0;
	assert_int_equal(wave_next(&p, 5000), WAVE_BAKE_START);
	p.bake_started_ms = 5000;
	assert_int_equal(wave_next(&p, 5999), WAVE_WAIT);
	assert_int_equal(wave_next(&p, 6000), WAVE_ADVANCE);
	/* A clock that went back waits. */
	assert_int_equal(wave_next(&p, 4000), WAVE_WAIT);
	/* The last wave finishes. */
	p.wave = 3;
	assert_int_equal(wave_next(&p, 6000), WAVE_FINISH);
	p.pending = 1;
	assert_int_equal(wave_next(&p, 60000), WAVE_BAKE_CLEAR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_list_round_trip),
	    cmocka_unit_test(test_threshold_small),
	    cmocka_unit_test(test_threshold_large),
	    cmocka_unit_test(test_membership_stable),
	    cmocka_unit_test(test_signature),
	    cmocka_unit_test(test_halt_failed),
	    cmocka_unit_test(test_halt_same_error),
	    cmocka_unit_test(test_next),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
