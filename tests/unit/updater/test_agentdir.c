/* SPDX-License-Identifier: MIT */
/*
 * test_agentdir: .probation round trip and refusal of garbage, .good
 * order, moves and cap.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentdir.h"
#include "au_test.h"
#include "fsutil.h"

struct fx {
	char dir[AU_TEST_DIR_BYTES];
	char path[AU_TEST_DIR_BYTES + 64];
};

static int
setup(void **state)
{
	struct fx *fx = au_test_fixture_new(sizeof(*fx), "agentdir");

	if (fx == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/demo", fx->dir);
	if (mkdir(fx->path, 0755) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	return au_test_fixture_free(*state);
}

static void
test_probation(void **state)
{
	struct fx                *fx = *state;
	struct agentdir_probation p, q;
	char                      file[AU_TEST_DIR_BYTES + 96];

	assert_int_equal(
	    agentdir_probation_read(fx->dir, "demo", &q, NULL), AU_NOT_FOUND);
	memset(&p, 0, sizeof(p));
	snprintf(p.version, sizeof(p.version), "2.0.0-rc1");
	p.window_ms = 30000;
	p.start_ms = 1767225600123ULL;
	assert_int_equal(
	    agentdir_probation_write(fx->dir, "demo", &p, NULL), AU_OK);
	assert_int_equal(
	    agentdir_probation_read(fx->dir, "demo", &q, NULL), AU_OK);
	assert_string_equal(q.version, "2.0.0-rc1");
	assert_string_equal(q.previous, ""); /* a first install */
	assert_int_equal(q.window_ms, 30000);
	assert_int_equal(q.start_ms, 1767225600123ULL);
	snprintf(file, sizeof(file), "%s/.probation", fx->path);
	au_test_write_file(file,
	    "version 2.0.0\nprevious ../etc\nwindow_ms 1\nstart_ms 2\n", 0644);
	assert_int_equal(agentdir_probation_read(fx->dir, "demo", &q, NULL),
	    AU_INVALID_ARGUMENT);
	au_test_write_file(file, "version 2.0.0\nprevious 1.0.0\n", 0644);
	assert_int_equal(agentdir_probation_read(fx->dir, "demo", &q, NULL),
	    AU_INVALID_ARGUMENT);
	agentdir_probation_remove(fx->dir, "demo");
	assert_int_equal(
	    agentdir_probation_read(fx->dir, "demo", &q, NULL), AU_NOT_FOUND);
}

static void
test_good(void **state)
{
	struct fx *fx = *state;
	char       good[AGENTDIR_GOOD_MAX + 4][REPORT_NAME_MAX + 1];
	char       v[32];
	size_t     n;
	int        i;

	agentdir_good_load(fx->dir, "demo", good, AGENTDIR_GOOD_MAX, &n);
	assert_int_equal(n, 0);
	assert_int_equal(
	    agentdir_good_add(fx->dir, "demo", "1.0.0", NULL), AU_OK);
	assert_int_equal(
	    agentdir_good_add(fx->dir, "demo", "2.0.0", NULL), AU_OK);
	/* Good again: it becomes the newest, listed once. */
	assert_int_equal(
	    agentdir_good_add(fx->dir, "demo", "1.0.0", NULL), AU_OK);
	agentdir_good_load(fx->dir, "demo", good, AGENTDIR_GOOD_MAX, &n);
	assert_int_equal(n, 2);
	assert_string_equal(good[0], "2.0.0");
	assert_string_equal(good[1], "1.0.0");
	/* The oldest go beyond the cap. */
	for (i = 0; i < AGENTDIR_GOOD_MAX + 3; i++) {
		snprintf(v, sizeof(v), "3.0.%d", i);
		assert_int_equal(
		    agentdir_good_add(fx->dir, "demo", v, NULL), AU_OK);
	}
	agentdir_good_load(fx->dir, "demo", good, AGENTDIR_GOOD_MAX + 4, &n);
	assert_int_equal(n, AGENTDIR_GOOD_MAX);
	snprintf(v, sizeof(v), "3.0.%d", AGENTDIR_GOOD_MAX + 2);
	assert_string_equal(good[n - 1], v);
	assert_string_equal(good[0], "3.0.3");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_probation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_good, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
