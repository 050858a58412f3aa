/* SPDX-License-Identifier: MIT */
/*
 * test_metactl: the dispatcher's contract: exit 0/1/2, global options,
 * every command's --help, usage errors caught before any connection, and
 * failures to reach meta (a missing config, an unreadable identity, a
 * port where nobody listens) reported as exit 1 within the deadline.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au_test.h"
#include "ctl.h"
#include "metactl.h"
#include "sig.h"

#define RUN(...) run((const char *const[]){"metactl", __VA_ARGS__, NULL})

static int
run(const char *const *args)
{
	char *argv[32];
	int   argc = 0;

	while (args[argc] != NULL && argc < 31) {
		argv[argc] = (char *)(uintptr_t)args[argc];
		argc++;
	}
	argv[argc] = NULL;
	return metactl_main(argc, argv);
}

static void
test_global_options(void **state)
{
	(void)state;
	assert_int_equal(
	    run((const char *const[]){"metactl", NULL}), CTL_EXIT_USAGE);
	assert_int_equal(RUN("--help"), CTL_EXIT_OK);
	assert_int_equal(RUN("-h"), CTL_EXIT_OK);
	assert_int_equal(RUN("-V"), CTL_EXIT_OK);
	assert_int_equal(RUN("--version"), CTL_EXIT_OK);
	assert_int_equal(RUN("--synopsis"), CTL_EXIT_OK);
	assert_int_equal(RUN("-x"), CTL_EXIT_USAGE);
	assert_int_equal(RUN("-c"), CTL_EXIT_USAGE);
	assert_int_equal(RUN("-j"), CTL_EXIT_USAGE);
	assert_int_equal(RUN("frobnicate"), CTL_EXIT_USAGE);
	assert_int_equal(RUN("-j", "hosts", "frob"), CTL_EXIT_USAGE);
}

static void
test_every_command_help(void **state)
{
	static const char *const cmds[][2] = {
	    {"ping", NULL},
	    {"log", NULL},
	    {"hosts", NULL},
	    {"hosts", "accept"},
	    {"hosts", "reject"},
	    {"hosts", "remove"},
	    {"hosts", "add"},
	    {"set-version", NULL},
	    {"unset", NULL},
	    {"rules", NULL},
	    {"status", NULL},
	    {"audit", NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (cmds[i][1] == NULL)
			assert_int_equal(
			    RUN(cmds[i][0], "--help"), CTL_EXIT_OK);
		else
			assert_int_equal(
			    RUN(cmds[i][0], cmds[i][1], "--help"), CTL_EXIT_OK);
	}
}

/* Wrong arguments: exit 2 before any config is read (-c names nothing). */
static void
test_usage_errors(void **state)
{
	(void)state;
	assert_int_equal(
	    RUN("-c", "/nonexistent", "ping", "extra"), CTL_EXIT_USAGE);
	assert_int_equal(RUN("-c", "/nonexistent", "log"), CTL_EXIT_USAGE);
	assert_int_equal(
	    RUN("-c", "/nonexistent", "log", "loud"), CTL_EXIT_USAGE);
	assert_int_equal(
	    RUN("-c", "/nonexistent", "hosts", "--bogus"), CTL_EXIT_USAGE);
	assert_int_equal(
	    RUN("-c", "/nonexistent", "hosts", "--agent"), CTL_EXIT_USAGE);
	assert_int_equal(
	    RUN("-c", "/nonexistent", "hosts", "accept"), CTL_EXIT_USAGE);
	assert_int_equal(RUN("-c", "/nonexistent", "hosts", "accept", "a", "b"),
	    CTL_EXIT_USAGE);
	assert_int_equal(
	    RUN("-c", "/nonexistent", "hosts", "add", "web-1"), CTL_EXIT_USAGE);
	assert_int_equal(
	    RUN("-c", "/nonexistent", "set-version", "nodex"), CTL_EXIT_USAGE);
	assert_int_equal(RUN("-c", "/nonexistent", "set-version", "nodex",
	                     "1.0", "--percent", "0"),
	    CTL_EXIT_USAGE);
	assert_int_equal(RUN("-c", "/nonexistent", "set-version", "nodex",
	                     "1.0", "--percent", "101"),
	    CTL_EXIT_USAGE);
	assert_int_equal(RUN("-c", "/nonexistent", "unset", "nodex", "--stop"),
	    CTL_EXIT_USAGE);
	assert_int_equal(
	    RUN("-c", "/nonexistent", "rules", "a", "b"), CTL_EXIT_USAGE);
	assert_int_equal(
	    RUN("-c", "/nonexistent", "status", "--x"), CTL_EXIT_USAGE);
	assert_int_equal(RUN("-c", "/nonexistent", "audit", "--since", "5x"),
	    CTL_EXIT_USAGE);
	assert_int_equal(
	    RUN("-c", "/nonexistent", "audit", "--limit", "0"), CTL_EXIT_USAGE);
}

/* Failures: exit 1 with one line. */
static void
test_failures(void **state)
{
	(void)state;
	assert_int_equal(RUN("-c", "/nonexistent", "ping"), CTL_EXIT_FAIL);
	assert_int_equal(RUN("-c", "/nonexistent", "hosts"), CTL_EXIT_FAIL);
	assert_int_equal(RUN("-c", "/nonexistent", "set-version", "nodex",
	                     "1.0", "--host", "web-1", "--stop"),
	    CTL_EXIT_FAIL);
	/* A key that is neither 64 hex digits nor a readable .pub file. */
	assert_int_equal(
	    RUN("-c", "/nonexistent", "hosts", "add", "web-1", "--key", "abcd"),
	    CTL_EXIT_FAIL);
}

struct fixture {
	char dir[AU_TEST_DIR_BYTES];
	char conf[128];
};

static void
write_conf(const struct fixture *fx, const char *port, const char *id)
{
	FILE *f = fopen(fx->conf, "w");

	assert_non_null(f);
	fprintf(f,
	    "[metactl]\nmeta = tls+tcp://127.0.0.1:%s\nserver_name = "
	    "localhost\nca = ca.crt\ncert = admin.crt\nkey = admin.key\n"
	    "identity = %s\ntimeout = 1\n",
	    port, id);
	assert_int_equal(fclose(f), 0);
}

static int
setup_certs(void **state)
{
	struct fixture *fx = au_test_fixture_new(sizeof(*fx), "metactl");

	if (fx == NULL || getenv("AU_SRC") == NULL)
		return -1;
	snprintf(fx->conf, sizeof(fx->conf), "%s/metactl.conf", fx->dir);
	if (au_test_mkcerts(fx->dir, "admin"))
		return -1;
	*state = fx;
	return 0;
}

static int
teardown_certs(void **state)
{
	return au_test_fixture_free(*state);
}

static void
test_unreachable_meta(void **state)
{
	struct fixture *fx = *state;
	uint8_t         pk[SIG_PUBKEY_BYTES], sk[SIG_SECKEY_BYTES];
	char            id[128];

	snprintf(id, sizeof(id), "%s/alice.key", fx->dir);
	sig_keypair(pk, sk);
	assert_int_equal(sig_seckey_save(id, sk, NULL), AU_OK);
	sig_memzero(sk, sizeof(sk));
	/* Port 1 on loopback: nothing listens, the call fails in 1 s. */
	write_conf(fx, "1", id);
	assert_int_equal(RUN("-c", fx->conf, "ping"), CTL_EXIT_FAIL);
	assert_int_equal(RUN("-c", fx->conf, "-j", "hosts"), CTL_EXIT_FAIL);
	/* An identity readable by others is refused before connecting. */
	assert_int_equal(chmod(id, 0644), 0);
	assert_int_equal(RUN("-c", fx->conf, "ping"), CTL_EXIT_FAIL);
	write_conf(fx, "1", "missing.key");
	assert_int_equal(RUN("-c", fx->conf, "status"), CTL_EXIT_FAIL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_global_options),
	    cmocka_unit_test(test_every_command_help),
	    cmocka_unit_test(test_usage_errors),
	    cmocka_unit_test(test_failures),
	    cmocka_unit_test_setup_teardown(
	        test_unreachable_meta, setup_certs, teardown_certs),
	};

	if (sig_init() != AU_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
