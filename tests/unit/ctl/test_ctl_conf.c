/* SPDX-License-Identifier: MIT */
/*
 * test_ctl_conf: metactl.conf in a temporary directory: a complete file,
 * relative paths, the environment's overrides, and strictness (unknown
 * section and key, repeated and bad values, all reported with their
 * lines in one run).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au_test.h"
#include "ctl_conf.h"

struct tmp {
	char dir[AU_TEST_DIR_BYTES];
	char path[128];
};

static int
setup(void **state)
{
	struct tmp *t = au_test_fixture_new(sizeof(*t), "ctl_conf");

	if (t == NULL)
		return -1;
	snprintf(t->path, sizeof(t->path), "%s/metactl.conf", t->dir);
	unsetenv("METACTL_URL");
	unsetenv("METACTL_IDENTITY");
	unsetenv("METACTL_CONFIG");
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	return au_test_fixture_free(*state);
}

static void
write_conf(const struct tmp *t, const char *text)
{
	au_test_write_file(t->path, text, 0644);
}

/* Load t's file; returns the status, diagnostics into diag. */
static enum au_status
load(
    const struct tmp *t, struct ctl_conf *conf, char **diag, struct au_err *err)
{
	size_t         len;
	FILE          *f = open_memstream(diag, &len);
	enum au_status st;

	assert_non_null(f);
	st = ctl_conf_load(t->path, 0, conf, f, err);
	fclose(f);
	return st;
}

static void
test_full(void **state)
{
	struct tmp     *t = *state;
	struct ctl_conf c;
	struct au_err   err = AU_ERR_INIT;
	char           *diag = NULL, want[256];

	write_conf(t,
	    "; metactl\n[metactl]\n"
	    "meta = tls+tcp://127.0.0.1:7600\n"
	    "server_name = localhost ; the cert's SAN\n"
	    "ca = /etc/au/ca.crt\ncert = admin.crt\nkey = keys/admin.key\n"
	    "identity = /etc/au/alice.key\ntimeout = 3\n");
	assert_int_equal(load(t, &c, &diag, &err), AU_OK);
	assert_string_equal(diag, "");
	assert_string_equal(c.meta, "tls+tcp://127.0.0.1:7600");
	assert_string_equal(c.server_name, "localhost");
	assert_string_equal(c.ca, "/etc/au/ca.crt");
	snprintf(want, sizeof(want), "%s/admin.crt", t->dir);
	assert_string_equal(c.cert, want);
	snprintf(want, sizeof(want), "%s/keys/admin.key", t->dir);
	assert_string_equal(c.key, want);
	assert_string_equal(c.identity, "/etc/au/alice.key");
	assert_int_equal(c.timeout_s, 3);
	assert_string_equal(c.path, t->path);
	assert_int_equal(ctl_conf_check(&c, &err), AU_OK);
	ctl_conf_fini(&c);
	free(diag);
}

static void
test_env_and_defaults(void **state)
{
	struct tmp     *t = *state;
	struct ctl_conf c;
	struct au_err   err = AU_ERR_INIT;
	char           *diag = NULL;

	write_conf(t, "[metactl]\nmeta = tls+tcp://meta:1\nca = /ca\n");
	setenv("METACTL_URL", "tls+tcp://127.0.0.1:9", 1);
	setenv("METACTL_IDENTITY", "/id.key", 1);
	assert_int_equal(load(t, &c, &diag, &err), AU_OK);
	unsetenv("METACTL_URL");
	unsetenv("METACTL_IDENTITY");
	assert_string_equal(c.meta, "tls+tcp://127.0.0.1:9");
	assert_string_equal(c.identity, "/id.key");
	assert_null(c.server_name);
	assert_int_equal(c.timeout_s, CTL_CONF_DEFAULT_TIMEOUT_S);
	assert_int_equal(ctl_conf_check(&c, &err), AU_FAILED_PRECONDITION);
	assert_non_null(strstr(err.msg, "cert is not set"));
	ctl_conf_fini(&c);
	ctl_conf_fini(NULL);
	free(diag);
}

static void
test_all_errors_reported(void **state)
{
	struct tmp     *t = *state;
	struct ctl_conf c;
	struct au_err   err = AU_ERR_INIT;
	char           *diag = NULL, want[1024];

	write_conf(t, "[metactl]\n"
	              "meta = tls+tcp://127.0.0.1:7600\n"
	              "colour = blue\n"
	              "meta = tls+tcp://127.0.0.1:7601\n"
	              "timeout = 0\n"
	              "timeout = ten\n"
	              "[other]\n"
	              "x = 1\n"
	              "ca =\n");
	assert_int_equal(load(t, &c, &diag, &err), AU_INVALID_ARGUMENT);
	snprintf(want, sizeof(want),
	    "metactl: %1$s:3: unknown key 'colour'\n"
	    "metactl: %1$s:4: 'meta' given twice\n"
	    "metactl: %1$s:5: bad timeout '0' (want seconds, 1 to 3600)\n"
	    "metactl: %1$s:6: 'timeout' given twice\n"
	    "metactl: %1$s:8: unknown section [other]\n"
	    "metactl: %1$s:9: unknown section [other]\n",
	    t->path);
	assert_string_equal(diag, want);
	assert_int_equal(err.code, AU_INVALID_ARGUMENT);
	snprintf(want, sizeof(want), "%s: 6 errors", t->path);
	assert_string_equal(err.msg, want);
	ctl_conf_fini(&c);
	free(diag);
}

static void
test_syntax_error(void **state)
{
	struct tmp     *t = *state;
	struct ctl_conf c;
	struct au_err   err = AU_ERR_INIT;
	char           *diag = NULL, want[512];

	write_conf(t, "[metactl]\nmeta = x\nthis line has no equals\n");
	assert_int_equal(load(t, &c, &diag, &err), AU_INVALID_ARGUMENT);
	snprintf(want, sizeof(want),
	    "%s:3: syntax error (want name = value or [section])", t->path);
	assert_string_equal(err.msg, want);
	ctl_conf_fini(&c);
	free(diag);
}

static void
test_missing_file(void **state)
{
	struct tmp     *t = *state;
	struct ctl_conf c;
	struct au_err   err = AU_ERR_INIT;

	assert_int_equal(
	    ctl_conf_load(t->path, 0, &c, NULL, &err), AU_NOT_FOUND);
	ctl_conf_fini(&c);
	setenv("METACTL_URL", "tls+tcp://127.0.0.1:9", 1);
	assert_int_equal(ctl_conf_load(t->path, 1, &c, NULL, &err), AU_OK);
	unsetenv("METACTL_URL");
	assert_null(c.path);
	assert_string_equal(c.meta, "tls+tcp://127.0.0.1:9");
	assert_int_equal(ctl_conf_check(&c, &err), AU_FAILED_PRECONDITION);
	assert_string_equal(err.msg, "no config file: ca is not set");
	ctl_conf_fini(&c);
}

static void
test_path_choice(void **state)
{
	(void)state;
	assert_string_equal(ctl_conf_path("/x.conf"), "/x.conf");
	setenv("METACTL_CONFIG", "/from/env.conf", 1);
	assert_string_equal(ctl_conf_path(NULL), "/from/env.conf");
	assert_string_equal(ctl_conf_path("/x.conf"), "/x.conf");
	unsetenv("METACTL_CONFIG");
	if (access("metactl.conf", F_OK) != 0)
		assert_string_equal(ctl_conf_path(NULL), CTL_CONF_DEFAULT_PATH);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_full, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_env_and_defaults, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_all_errors_reported, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_syntax_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_path_choice, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
