/* SPDX-License-Identifier: MIT */
/*
 * test_status: the status table and error contexts.
 */
#include <string.h>

#include "au_test.h"
#include "err.h"
#include "status.h"

static void
test_strerror_table(void **state)
{
	(void)state;
	assert_string_equal(au_strerror(AU_OK), "success");
	assert_string_equal(
	    au_strerror(AU_PERMISSION_DENIED), "permission denied");
	assert_string_equal(
	    au_status_name(AU_UNAUTHENTICATED), "UNAUTHENTICATED");
	assert_string_equal(au_strerror((enum au_status)99), "unknown status");
	assert_int_equal(au_status_from_wire(16), AU_UNAUTHENTICATED);
	assert_int_equal(au_status_from_wire(17), AU_UNKNOWN);
	assert_int_equal(au_status_from_wire(-1), AU_UNKNOWN);
}

static void
test_err_prefix(void **state)
{
	struct au_err err = AU_ERR_INIT;

	(void)state;
	assert_int_equal(
	    au_err_set(&err, AU_NOT_FOUND, "agent %s", "nodex"), AU_NOT_FOUND);
	assert_int_equal(
	    au_err_prefix(&err, "install %s", "1.2"), AU_NOT_FOUND);
	assert_string_equal(err.msg, "install 1.2: agent nodex");
	au_err_clear(&err);
	assert_int_equal(err.code, AU_OK);
	err.code = AU_INTERNAL;
	au_err_prefix(&err, "step");
	assert_string_equal(au_err_str(&err), "step: internal error");
	assert_int_equal(au_err_set(NULL, AU_ABORTED, "x"), AU_ABORTED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strerror_table),
	    cmocka_unit_test(test_err_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
