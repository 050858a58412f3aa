/* SPDX-License-Identifier: MIT */
/*
 * test_fsutil: atomic writes and bounded reads in a temporary directory,
 * path joins, secret-file modes, mkdir -p and rm -rf (which must not
 * follow symlinks out of the tree), errno mapping.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au_test.h"
#include "fsutil.h"

struct tmp {
	char dir[AU_TEST_DIR_BYTES];
	char path[128];
};

static int
setup(void **state)
{
	*state = au_test_fixture_new(sizeof(struct tmp), "fs");
	return *state != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	return au_test_fixture_free(*state);
}

static const char *
at(struct tmp *t, const char *name)
{
	snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);
	return t->path;
}

static void
test_write_read(void **state)
{
	struct tmp *t = *state;
	struct stat sb;
	char       *buf = NULL;
	size_t      len = 0;

	assert_int_equal(
	    fsutil_write_atomic(at(t, "f"), "hello", 5, 0640, NULL), AU_OK);
	assert_int_equal(stat(at(t, "f"), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);
	assert_int_equal(
	    fsutil_read_file(at(t, "f"), 5, &buf, &len, NULL), AU_OK);
	assert_int_equal(len, 5);
	assert_string_equal(buf, "hello");
	free(buf);
	/* Replaced atomically, no temporary file left behind. */
	assert_int_equal(
	    fsutil_write_atomic(at(t, "f"), "bye", 3, 0600, NULL), AU_OK);
	assert_int_equal(
	    fsutil_read_file(at(t, "f"), 100, &buf, &len, NULL), AU_OK);
	assert_string_equal(buf, "bye");
	free(buf);
	assert_int_equal(
	    fsutil_read_file(at(t, "f"), 2, &buf, &len, NULL), AU_OUT_OF_RANGE);
	assert_int_equal(
	    fsutil_read_file(at(t, "missing"), 2, &buf, &len, NULL),
	    AU_NOT_FOUND);
	assert_int_equal(
	    fsutil_write_atomic(at(t, "no/such/dir"), "x", 1, 0600, NULL),
	    AU_NOT_FOUND);
	assert_int_equal(fsutil_fsync_dir(t->dir, NULL), AU_OK);
	assert_int_equal(fsutil_fsync_dir(at(t, "f"), NULL), AU_OK);
}

static void
test_join(void **state)
{
	char          out[16];
	struct au_err err = AU_ERR_INIT;

	(void)state;
	assert_int_equal(fsutil_join(out, sizeof(out), "/a", "b", NULL), AU_OK);
	assert_string_equal(out, "/a/b");
	assert_int_equal(fsutil_join(out, sizeof(out), "/a", "..", &err),
	    AU_INVALID_ARGUMENT);
	assert_int_equal(fsutil_join(out, sizeof(out), "/a", ".", NULL),
	    AU_INVALID_ARGUMENT);
	assert_int_equal(
	    fsutil_join(out, sizeof(out), "/a", "", NULL), AU_INVALID_ARGUMENT);
	assert_int_equal(fsutil_join(out, sizeof(out), "/a", "b/c", NULL),
	    AU_INVALID_ARGUMENT);
	assert_int_equal(fsutil_join(out, sizeof(out), "/a", "/etc", NULL),
	    AU_INVALID_ARGUMENT);
	assert_int_equal(
	    fsutil_join(out, sizeof(out), "/a", "0123456789abcdef", NULL),
	    AU_OUT_OF_RANGE);
}

static void
test_check_secret(void **state)
{
	struct tmp *t = *state;

	assert_int_equal(
	    fsutil_write_atomic(at(t, "k"), "s", 1, 0600, NULL), AU_OK);
	assert_int_equal(fsutil_check_secret(at(t, "k"), NULL), AU_OK);
	assert_int_equal(chmod(at(t, "k"), 0640), 0);
	assert_int_equal(
	    fsutil_check_secret(at(t, "k"), NULL), AU_PERMISSION_DENIED);
	assert_int_equal(chmod(at(t, "k"), 0604), 0);
	assert_int_equal(
	    fsutil_check_secret(at(t, "k"), NULL), AU_PERMISSION_DENIED);
	assert_int_equal(
	    fsutil_check_secret(at(t, "none"), NULL), AU_NOT_FOUND);
}

static void
test_mkdirs_remove(void **state)
{
	struct tmp *t = *state;
	struct stat sb;
	char        outside[160];

	assert_int_equal(fsutil_mkdirs(at(t, "a/b/c"), 0700, NULL), AU_OK);
	assert_int_equal(stat(at(t, "a/b/c"), &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(fsutil_mkdirs(at(t, "a/b/c"), 0700, NULL), AU_OK);
	assert_int_equal(fsutil_mkdirs("", 0700, NULL), AU_INVALID_ARGUMENT);
	/* A symlink inside the tree is removed, not followed. */
	snprintf(outside, sizeof(outside), "%s/keep", t->dir);
	assert_int_equal(mkdir(outside, 0700), 0);
	assert_int_equal(
	    fsutil_write_atomic(at(t, "keep/file"), "x", 1, 0600, NULL), AU_OK);
	assert_int_equal(symlink(outside, at(t, "a/b/link")), 0);
	assert_int_equal(fsutil_remove_tree(at(t, "a"), NULL), AU_OK);
	assert_int_equal(lstat(at(t, "a"), &sb), -1);
	assert_int_equal(stat(at(t, "keep/file"), &sb), 0);
	assert_int_equal(fsutil_remove_tree(at(t, "a"), NULL), AU_OK);
}

static void
test_errno_status(void **state)
{
	(void)state;
	assert_int_equal(fsutil_errno_status(0), AU_OK);
	assert_int_equal(fsutil_errno_status(ENOENT), AU_NOT_FOUND);
	assert_int_equal(fsutil_errno_status(EEXIST), AU_ALREADY_EXISTS);
	assert_int_equal(fsutil_errno_status(EACCES), AU_PERMISSION_DENIED);
	assert_int_equal(fsutil_errno_status(ENOSPC), AU_RESOURCE_EXHAUSTED);
	assert_int_equal(fsutil_errno_status(EINVAL), AU_INVALID_ARGUMENT);
	assert_int_equal(fsutil_errno_status(EIO), AU_INTERNAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_write_read, setup, teardown),
	    cmocka_unit_test(test_join),
	    cmocka_unit_test_setup_teardown(test_check_secret, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_mkdirs_remove, setup, teardown),
	    cmocka_unit_test(test_errno_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
