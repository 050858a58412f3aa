/* SPDX-License-Identifier: MIT */
/*
 * test_rollout: the resolution table: host rule, longest prefix, percent
 * canary by stable hash, default; and canary stability as it grows.
 */
#include <stdio.h>
#include <string.h>

#include "au_test.h"
#include "rollout.h"

static const struct rollout_rule rules[] = {
    {"nodex", ROLLOUT_DEFAULT, "", 0, "1.0.0", ROLLOUT_START},
    {"nodex", ROLLOUT_PREFIX, "web-", 0, "1.1.0", ROLLOUT_START},
    {"nodex", ROLLOUT_PREFIX, "web-eu-", 0, "1.2.0", ROLLOUT_START},
    {"nodex", ROLLOUT_HOST, "web-eu-7", 0, "0.9.0", ROLLOUT_STOP},
    {"nodex", ROLLOUT_PERCENT, "", 100, "2.0.0", ROLLOUT_START},
    {"logd", ROLLOUT_PREFIX, "db-", 0, "3.0.0", ROLLOUT_START},
    {"logd", ROLLOUT_PERCENT, "", 0, "3.1.0", ROLLOUT_START},
};
#define NRULES (sizeof(rules) / sizeof(rules[0]))

static void
test_table(void **state)
{
	static const struct {
		const char *host;
		const char *agent;
		int         want; /* rule index or -1 */
	} cases[] = {
	    {"web-eu-7", "nodex", 3},  /* explicit host rule wins */
	    {"web-eu-8", "nodex", 2},  /* longest prefix */
	    {"web-us-1", "nodex", 1},  /* shorter prefix */
	    {"db-1", "nodex", 4},      /* 100% canary beats the default */
	    {"db-1", "logd", 5},       /* prefix for another agent */
	    {"app-1", "logd", -1},     /* 0% canary, no default */
	    {"web-eu-7", "other", -1}, /* no rule for the agent */
	    {"", "nodex", 4},          /* empty hostname: canary */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = rollout_resolve(
		    rules, NRULES, cases[i].host, cases[i].agent);
		if (got != cases[i].want)
			fail_msg("%s/%s: got %d, want %d", cases[i].host,
			    cases[i].agent, got, cases[i].want);
	}
}

static void
test_default_only(void **state)
{
	(void)state;
	assert_int_equal(rollout_resolve(rules, 1, "anything", "nodex"), 0);
	assert_int_equal(rollout_resolve(rules, 0, "anything", "nodex"), -1);
}

/* A host inside the 5% canary stays inside at 25%; about 5% are in. */
static void
test_canary_stable(void **state)
{
	struct rollout_rule r[2] = {
	    {"nodex", ROLLOUT_DEFAULT, "", 0, "1.0", ROLLOUT_START},
	    {"nodex", ROLLOUT_PERCENT, "", 5, "1.1", ROLLOUT_START},
	};
	char host[32];
	int  in5 = 0, in25 = 0, i;

	(void)state;
	for (i = 0; i < 10000; i++) {
		int a, b;

		snprintf(host, sizeof(host), "host-%05d", i);
		r[1].percent = 5;
		a = rollout_resolve(r, 2, host, "nodex");
		r[1].percent = 25;
		b = rollout_resolve(r, 2, host, "nodex");
		if (a == 1 && b != 1)
			fail_msg("%s left the canary as it grew", host);
		in5 += a == 1;
		in25 += b == 1;
	}
	assert_in_range(in5, 350, 650);
	assert_in_range(in25, 2200, 2800);
}

static void
test_bucket_known(void **state)
{
	(void)state;
	/* Stable across builds: FNV-1a 64 of "web-1\0nodex" mod 10000. */
	assert_int_equal(
	    rollout_bucket("web-1", "nodex"), rollout_bucket("web-1", "nodex"));
	assert_true(rollout_bucket("web-1", "nodex") !=
	            rollout_bucket("web-1", "logd"));
	assert_true(rollout_bucket("web-1", "nodex") < 10000);
}

static void
test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(rollout_kind_name(ROLLOUT_PERCENT), "percent");
	assert_int_equal(rollout_kind_parse("prefix"), ROLLOUT_PREFIX);
	assert_int_equal(rollout_kind_parse("bogus"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_default_only),
	    cmocka_unit_test(test_canary_stable),
	    cmocka_unit_test(test_bucket_known),
	    cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
