/* SPDX-License-Identifier: MIT */
/*
 * test_spool: unsent reports survive in the spool file, in order, bounded,
 * and a damaged file keeps what can be read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au_test.h"
#include "fsutil.h"
#include "log.h"
#include "sig.h"
#include "spool.h"

struct fx {
	char dir[AU_TEST_DIR_BYTES];
	char path[96];
};

static int
setup(void **state)
{
	struct fx *fx = au_test_fixture_new(sizeof(*fx), "spool");

	if (fx == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/spool", fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	return au_test_fixture_free(*state);
}

static void
make(struct report *r, int i)
{
	char v[16];

	snprintf(v, sizeof(v), "1.0.%d", i);
	report_init(r, "demo", v, REPORT_START);
	report_set(r, REPORT_ROLLED_BACK, "start", "try %d", i);
	r->exit_code = i;
	snprintf(r->output_tail, sizeof(r->output_tail), "tail %d\n", i);
}

static void
test_add_load_save(void **state)
{
	struct fx    *fx = *state;
	struct report r, *got;
	char          ids[3][REPORT_ID_BYTES];
	size_t        n;
	int           i;

	assert_int_equal(spool_load(fx->path, &got, &n, NULL), AU_OK);
	assert_int_equal(n, 0);
	assert_null(got);
	for (i = 0; i < 3; i++) {
		make(&r, i);
		memcpy(ids[i], r.id, sizeof(ids[i]));
		assert_int_equal(spool_add(fx->path, &r, NULL), AU_OK);
	}
	assert_int_equal(spool_load(fx->path, &got, &n, NULL), AU_OK);
	assert_int_equal(n, 3);
	for (i = 0; i < 3; i++) {
		assert_string_equal(got[i].id, ids[i]);
		assert_int_equal(got[i].outcome, REPORT_ROLLED_BACK);
		assert_int_equal(got[i].exit_code, i);
		assert_string_equal(got[i].step, "start");
	}
	assert_string_equal(got[2].output_tail, "tail 2\n");
	assert_string_not_equal(ids[0], ids[1]);
	/* Sent the first two: keep the third. */
	assert_int_equal(spool_save(fx->path, got + 2, 1, NULL), AU_OK);
	free(got);
	assert_int_equal(spool_load(fx->path, &got, &n, NULL), AU_OK);
	assert_int_equal(n, 1);
	assert_string_equal(got[0].id, ids[2]);
	free(got);
	assert_int_equal(spool_save(fx->path, NULL, 0, NULL), AU_OK);
	assert_int_equal(access(fx->path, F_OK), -1);
}

static void
test_bounded(void **state)
{
	struct fx    *fx = *state;
	struct report r, *got;
	size_t        n;
	int           i;

	for (i = 0; i < SPOOL_MAX_REPORTS + 5; i++) {
		make(&r, i);
		assert_int_equal(spool_add(fx->path, &r, NULL), AU_OK);
	}
	assert_int_equal(spool_load(fx->path, &got, &n, NULL), AU_OK);
	assert_int_equal(n, SPOOL_MAX_REPORTS);
	assert_int_equal(got[0].exit_code, 5); /* the oldest were dropped */
	free(got);
}

static void
test_damaged(void **state)
{
	struct fx    *fx = *state;
	struct report r, *got;
	size_t        n;
	FILE         *f;

	make(&r, 1);
	assert_int_equal(spool_add(fx->path, &r, NULL), AU_OK);
	assert_non_null(f = fopen(fx->path, "a"));
	fwrite("\x00\x00\x10\x00garbage", 1, 11, f);
	fclose(f);
	assert_int_equal(spool_load(fx->path, &got, &n, NULL), AU_DATA_LOSS);
	assert_int_equal(n, 1);
	free(got);
	assert_int_equal(
	    fsutil_write_atomic(fx->path, "junk", 4, 0600, NULL), AU_OK);
	assert_int_equal(spool_load(fx->path, &got, &n, NULL), AU_DATA_LOSS);
	assert_int_equal(n, 0);
	free(got);
	/* Adding to a damaged spool keeps going. */
	assert_int_equal(spool_add(fx->path, &r, NULL), AU_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_add_load_save, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_damaged, setup, teardown),
	};

	if (sig_init() != AU_OK)
		return 1;
	log_init("test_spool", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
