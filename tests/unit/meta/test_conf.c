/* SPDX-License-Identifier: MIT */
/*
 * test_conf: meta.conf parsing: typed values and defaults, every error in
 * one run with file and line, key files, and the printed config parsing
 * back to the same thing.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au_test.h"
#include "conf.h"
#include "sig.h"

#define HEX_A "1111111111111111111111111111111111111111111111111111111111111111"
#define HEX_B "2222222222222222222222222222222222222222222222222222222222222222"

struct fixture {
	char dir[AU_TEST_DIR_BYTES];
	char path[128];
};

static int
setup(void **state)
{
	struct fixture *f = au_test_fixture_new(sizeof(*f), "conf");

	assert_non_null(f);
	snprintf(f->path, sizeof(f->path), "%s/meta.conf", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	assert_int_equal(au_test_fixture_free(*state), 0);
	return 0;
}

static const char base[] = "[meta]\n"
                           "listen = tls+tcp://127.0.0.1:7600\n"
                           "ca = /c/ca.crt\n"
                           "cert = /c/meta.crt\n"
                           "key = /c/meta.key\n"
                           "datadir = /var/lib/meta\n";

static void
test_defaults(void **state)
{
	struct fixture   *f = *state;
	struct meta_conf *c = NULL;

	au_test_write_file(f->path, base, 0644);
	assert_int_equal(meta_conf_load(f->path, stderr, &c, NULL), AU_OK);
	assert_string_equal(c->listen, "tls+tcp://127.0.0.1:7600");
	assert_string_equal(c->datadir, "/var/lib/meta");
	assert_int_equal(c->auto_accept, 0);
	assert_int_equal(c->interval_s, 60);
	assert_int_equal(meta_conf_stale_after(c), 180);
	assert_int_equal(meta_conf_failed_grace(c), 120);
	assert_int_equal(c->token_lifetime_s, 3600);
	assert_int_equal(c->clock_skew_s, 300);
	assert_int_equal(c->max_package_size, 536870912);
	assert_int_equal(c->max_downloads, 64);
	assert_int_equal(c->nadmins, 0);
	meta_conf_free(c);
}

static void
test_values(void **state)
{
	struct fixture   *f = *state;
	struct meta_conf *c = NULL;
	char              text[1024], pub[160];
	uint8_t           pk[SIG_PUBKEY_BYTES];

	memset(pk, 0x33, sizeof(pk));
	snprintf(pub, sizeof(pub), "%s/ci.pub", f->dir);
	assert_int_equal(sig_pubkey_save(pub, pk, NULL), AU_OK);
	snprintf(text, sizeof(text),
	    "%sauto_accept = yes ; demo\ninterval = 5\nstale_after = 30\n"
	    "[admin]\nalice = " HEX_A "\nbob = " HEX_B "\n[release]\nci = %s\n",
	    base, pub);
	au_test_write_file(f->path, text, 0644);
	assert_int_equal(meta_conf_load(f->path, stderr, &c, NULL), AU_OK);
	assert_int_equal(c->auto_accept, 1);
	assert_int_equal(meta_conf_stale_after(c), 30);
	assert_int_equal(meta_conf_failed_grace(c), 10);
	assert_int_equal(c->nadmins, 2);
	assert_string_equal(c->admins[1].name, "bob");
	assert_int_equal(c->admins[1].pk[0], 0x22);
	assert_int_equal(c->nreleases, 1);
	assert_memory_equal(c->releases[0].pk, pk, sizeof(pk));
	meta_conf_free(c);
}

static void
test_all_errors(void **state)
{
	struct fixture   *f = *state;
	struct meta_conf *c = NULL;
	struct au_err     err = AU_ERR_INIT;
	char              text[1024], out[2048], want[2048];
	FILE             *diag = tmpfile();
	size_t            n;

	snprintf(text, sizeof(text),
	    "%sinterval = 0\nbogus = 1\nlisten = again\n[nosuch]\n"
	    "[admin]\nalice = nothex\nbad name = " HEX_A "\n[meta]\n"
	    "auto_accept = maybe\n",
	    base);
	au_test_write_file(f->path, text, 0644);
	assert_int_equal(
	    meta_conf_load(f->path, diag, &c, &err), AU_INVALID_ARGUMENT);
	assert_null(c);
	rewind(diag);
	n = fread(out, 1, sizeof(out) - 1, diag);
	out[n] = '\0';
	fclose(diag);
	snprintf(want, sizeof(want),
	    "%1$s:7: interval: \"0\" is not a number from 1 to 86400\n"
	    "%1$s:8: unknown key \"bogus\" in [meta]\n"
	    "%1$s:9: listen: given twice\n"
	    "%1$s:10: unknown section [nosuch]\n"
	    "%1$s:12: alice: not 64 hex digits nor a readable key file: "
	    "nothex: No such file or directory\n",
	    f->path);
	/* The first five lines are exact; then the name and bool errors. */
	assert_memory_equal(out, want, strlen(want) - 40);
	assert_non_null(strstr(out, ":13: \"bad name\" is not a key name"));
	assert_non_null(strstr(out, ":15: auto_accept: \"maybe\" is not yes"));
	assert_non_null(strstr(err.msg, ": 7 errors"));
}

/* A value that starts with ';' (possible without a space: "key =;x")
 * would print back as "key = ;x", a comment: refused (found by
 * fuzz_meta_conf's round trip). */
static void
test_comment_character_value(void **state)
{
	struct fixture   *f = *state;
	struct meta_conf *c = NULL;
	FILE             *diag = tmpfile();
	char              out[512];
	size_t            n;

	au_test_write_file(f->path,
	    "[meta]\nlisten = tls+tcp://127.0.0.1:7600\nca = /c/ca.crt\n"
	    "cert = /c/meta.crt\nkey =;/400\ndatadir = /var/lib/meta\n",
	    0644);
	assert_int_equal(
	    meta_conf_load(f->path, diag, &c, NULL), AU_INVALID_ARGUMENT);
	assert_null(c);
	rewind(diag);
	n = fread(out, 1, sizeof(out) - 1, diag);
	out[n] = '\0';
	fclose(diag);
	assert_non_null(
	    strstr(out, ":5: value starts with a comment character ';'"));
}

static void
test_missing(void **state)
{
	struct fixture   *f = *state;
	struct meta_conf *c = NULL;
	FILE             *diag = tmpfile();

	assert_int_equal(
	    meta_conf_load("/nonexistent/meta.conf", diag, &c, NULL),
	    AU_NOT_FOUND);
	au_test_write_file(f->path, "[meta]\nlisten = x\n", 0644);
	assert_int_equal(
	    meta_conf_load(f->path, diag, &c, NULL), AU_INVALID_ARGUMENT);
	au_test_write_file(f->path, "orphan = 1\n[meta\n", 0644);
	assert_int_equal(
	    meta_conf_load(f->path, diag, &c, NULL), AU_INVALID_ARGUMENT);
	fclose(diag);
}

/* A line libinih would cut is an error, not a truncated value; so is a
 * value too long to print back within such a line. */
#define LONG_CONF \
	"[meta]\nlisten = x\nca = /%s\ncert = x\nkey = x\ndatadir = x\n"

static void
test_long_lines(void **state)
{
	struct fixture   *f = *state;
	struct meta_conf *c = NULL;
	FILE             *diag = tmpfile();
	char              text[1024], longv[400];

	memset(longv, 'x', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	snprintf(text, sizeof(text), LONG_CONF, "short");
	au_test_write_file(f->path, text, 0644);
	assert_int_equal(meta_conf_load(f->path, diag, &c, NULL), AU_OK);
	meta_conf_free(c);
	snprintf(text, sizeof(text), LONG_CONF, longv);
	au_test_write_file(f->path, text, 0644);
	assert_int_equal(
	    meta_conf_load(f->path, diag, &c, NULL), AU_INVALID_ARGUMENT);
	longv[170] = '\0';
	snprintf(text, sizeof(text), LONG_CONF, longv);
	au_test_write_file(f->path, text, 0644);
	assert_int_equal(
	    meta_conf_load(f->path, diag, &c, NULL), AU_INVALID_ARGUMENT);
	longv[150] = '\0';
	snprintf(text, sizeof(text), LONG_CONF, longv);
	au_test_write_file(f->path, text, 0644);
	assert_int_equal(meta_conf_load(f->path, diag, &c, NULL), AU_OK);
	meta_conf_free(c);
	fclose(diag);
}

static void
test_round_trip(void **state)
{
	struct fixture   *f = *state;
	struct meta_conf *c = NULL, *c2 = NULL;
	char              text[1024], p1[4096], p2[4096];
	FILE             *fp;

	snprintf(text, sizeof(text),
	    "%sfailed_grace = 77\n[admin]\nalice = " HEX_A "\n", base);
	au_test_write_file(f->path, text, 0644);
	assert_int_equal(meta_conf_load(f->path, stderr, &c, NULL), AU_OK);
	fp = fmemopen(p1, sizeof(p1), "w");
	meta_conf_print(c, fp);
	fclose(fp);
	au_test_write_file(f->path, p1, 0644);
	assert_int_equal(meta_conf_load(f->path, stderr, &c2, NULL), AU_OK);
	fp = fmemopen(p2, sizeof(p2), "w");
	meta_conf_print(c2, fp);
	fclose(fp);
	assert_string_equal(p1, p2);
	assert_int_equal(c2->failed_grace_s, 77);
	meta_conf_free(c);
	meta_conf_free(c2);
}

static void
test_key_secrecy(void **state)
{
	struct fixture   *f = *state;
	struct meta_conf *c = NULL;
	char              text[1024], key[128];

	snprintf(key, sizeof(key), "%s/meta.key", f->dir);
	au_test_write_file(key, "secret\n", 0644);
	snprintf(text, sizeof(text),
	    "[meta]\nlisten = x\nca = x\ncert = x\nkey = %s\ndatadir = x\n",
	    key);
	au_test_write_file(f->path, text, 0644);
	assert_int_equal(meta_conf_load(f->path, stderr, &c, NULL), AU_OK);
	assert_int_equal(meta_conf_check_files(c, NULL), AU_PERMISSION_DENIED);
	assert_int_equal(chmod(key, 0600), 0);
	assert_int_equal(meta_conf_check_files(c, NULL), AU_OK);
	meta_conf_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_all_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_comment_character_value, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_long_lines, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_secrecy, setup, teardown),
	};

	(void)sig_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
