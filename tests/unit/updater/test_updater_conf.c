/* SPDX-License-Identifier: MIT */
/*
 * test_conf: updater.conf parsing against golden files.  For each
 * tests/conf/updater.N.in the expected output updater.N.ok holds either the
 * printed effective configuration or the error lines.  Set AU_UPDATE_GOLDEN=1
 * to rewrite the .ok files.  The printed configuration must parse again
 * to the same output (round trip).
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au_test.h"
#include "conf.h"
#include "fsutil.h"
#include "sig.h"

#define GOLDEN_MAX 5

static char *render(const char *path, enum au_status *st);
static void  check_golden(int n);

/* Parse path; the result's text is the config or the error lines. */
static char *
render(const char *path, enum au_status *st)
{
	struct updater_conf *c = calloc(1, sizeof(*c));
	struct au_err        e = AU_ERR_INIT;
	char                *buf = NULL;
	size_t               len = 0;
	FILE                *out = open_memstream(&buf, &len);

	assert_non_null(c);
	assert_non_null(out);
	*st = updater_conf_load(path, c, out, &e);
	if (*st == AU_OK)
		updater_conf_print(c, out);
	else
		fprintf(out, "=> %s\n", au_err_str(&e));
	fclose(out);
	free(c);
	return buf;
}

static void
check_golden(int n)
{
	char           in[64], ok[64], *got, *want = NULL;
	size_t         wlen;
	enum au_status st;

	snprintf(in, sizeof(in), "updater.%d.in", n);
	snprintf(ok, sizeof(ok), "updater.%d.ok", n);
	got = render(in, &st);
	if (getenv("AU_UPDATE_GOLDEN") != NULL)
		assert_int_equal(
		    fsutil_write_atomic(ok, got, strlen(got), 0644, NULL),
		    AU_OK);
	assert_int_equal(
	    fsutil_read_file(ok, 1 << 20, &want, &wlen, NULL), AU_OK);
	assert_string_equal(got, want);
	free(got);
	free(want);
}

static int
setup(void **state)
{
	const char *src = getenv("AU_SRC");
	char        dir[PATH_MAX];

	(void)state;
	if (src == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s/tests/conf", src);
	return chdir(dir);
}

static void
test_golden(void **state)
{
	int n;

	(void)state;
	for (n = 1; n <= GOLDEN_MAX; n++)
		check_golden(n);
}

static void
test_errors_are_counted(void **state)
{
	enum au_status st;
	char          *got;

	(void)state;
	got = render("updater.3.in", &st);
	assert_int_equal(st, AU_INVALID_ARGUMENT);
	assert_non_null(strstr(got, "updater.3.in:5: unknown key 'colour'"));
	assert_non_null(
	    strstr(got, "updater.3.in:22: unknown section [extra]"));
	assert_non_null(strstr(got, "updater.3.in:14: health_window: '3601' "
	                            "is not a number in 0..3600"));
	free(got);
	got = render("does-not-exist.conf", &st);
	assert_int_equal(st, AU_NOT_FOUND);
	free(got);
}

static void
test_round_trip(void **state)
{
	char           tmp[] = "/tmp/au-conf-XXXXXX";
	char          *first, *second;
	enum au_status st;
	int            fd, n;

	(void)state;
	for (n = 1; n <= 2; n++) {
		char in[64];

		snprintf(in, sizeof(in), "updater.%d.in", n);
		first = render(in, &st);
		assert_int_equal(st, AU_OK);
		assert_true((fd = mkstemp(tmp)) >= 0);
		assert_int_equal(
		    write(fd, first, strlen(first)), (ssize_t)strlen(first));
		close(fd);
		second = render(tmp, &st);
		assert_int_equal(st, AU_OK);
		assert_string_equal(first, second);
		unlink(tmp);
		strcpy(tmp, "/tmp/au-conf-XXXXXX");
		free(first);
		free(second);
	}
}

static void
test_defaults_and_allow_list(void **state)
{
	struct updater_conf *c = calloc(1, sizeof(*c));

	(void)state;
	assert_int_equal(
	    updater_conf_load("updater.1.in", c, NULL, NULL), AU_OK);
	assert_string_equal(c->root, "/opt/agents");
	assert_string_equal(c->identity, "/var/lib/agent-updater/identity.key");
	assert_int_equal(c->interval_min, 5);
	assert_int_equal(c->keep_versions, 2);
	assert_int_equal(c->health_window, 30);
	assert_int_equal(c->supervise_interval, 10);
	assert_int_equal(c->ntrust, 1);
	assert_true(updater_conf_allows(c, "anything"));
	assert_int_equal(
	    updater_conf_load("updater.2.in", c, NULL, NULL), AU_OK);
	assert_int_equal(c->nagents, 2);
	assert_int_equal(c->health_window, 120);
	assert_int_equal(c->supervise_interval, 5);
	assert_true(updater_conf_allows(c, "logship"));
	assert_false(updater_conf_allows(c, "other"));
	assert_int_equal(c->ntrust, 2);
	free(c);
}

static void
test_key_file_secrecy(void **state)
{
	struct updater_conf *c = calloc(1, sizeof(*c));
	char                 key[] = "/tmp/au-conf-key-XXXXXX";
	struct au_err        e = AU_ERR_INIT;
	int                  fd;

	(void)state;
	assert_int_equal(
	    updater_conf_load("updater.1.in", c, NULL, NULL), AU_OK);
	assert_true((fd = mkstemp(key)) >= 0);
	close(fd);
	snprintf(c->key, sizeof(c->key), "%s", key);
	snprintf(c->identity, sizeof(c->identity), "/nonexistent/id.key");
	assert_int_equal(updater_conf_check_files(c, &e), AU_OK);
	assert_int_equal(chmod(key, 0640), 0);
	assert_int_equal(updater_conf_check_files(c, &e), AU_PERMISSION_DENIED);
	assert_int_equal(
	    updater_conf_check_files(c, NULL), AU_PERMISSION_DENIED);
	unlink(key);
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_golden),
	    cmocka_unit_test(test_errors_are_counted),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_defaults_and_allow_list),
	    cmocka_unit_test(test_key_file_secrecy),
	};

	if (sig_init() != AU_OK)
		return 1;
	return cmocka_run_group_tests(tests, setup, NULL);
}
