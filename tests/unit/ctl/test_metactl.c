/* SPDX-License-Identifier: MIT */
/*
 * test_metactl: the dispatcher's contract: exit 0/1/2, global options,
 * every command's --help (and that it names each option), usage errors
 * caught before any connection with their exact message, arguments that
 * parse reaching the connection, and failures to reach meta (a missing
 * config, an unreadable identity, a port where nobody listens) reported as
 * exit 1 within the deadline.
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

/* RUN with stdout and stderr captured into out and err (each freed by
 * the next run_cap, or by cap_free). */
#define CAP(...) run_cap((const char *const[]){"metactl", __VA_ARGS__, NULL})

static char *out, *err;

static int run(const char *const *args);

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

/* The whole of f, from its start, as a new string. */
static char *
slurp(FILE *f)
{
	long  n;
	char *buf;

	fflush(f);
	n = ftell(f);
	assert_true(n >= 0);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	rewind(f);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	return buf;
}

static void
cap_free(void)
{
	free(out);
	free(err);
	out = err = NULL;
}

static int
run_cap(const char *const *args)
{
	FILE *fo = tmpfile(), *fe = tmpfile();
	int   so, se, rc;

	assert_non_null(fo);
	assert_non_null(fe);
	cap_free();
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	assert_true(so >= 0 && se >= 0);
	assert_true(dup2(fileno(fo), 1) >= 0 && dup2(fileno(fe), 2) >= 0);
	rc = run(args);
	fflush(stdout);
	fflush(stderr);
	assert_true(dup2(so, 1) >= 0 && dup2(se, 2) >= 0);
	close(so);
	close(se);
	out = slurp(fo);
	err = slurp(fe);
	fclose(fo);
	fclose(fe);
	return rc;
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
	    {"hosts", "show"},
	    {"set-version", NULL},
	    {"remove", NULL},
	    {"retry", NULL},
	    {"unset", NULL},
	    {"rules", NULL},
	    {"status", NULL},
	    {"audit", NULL},
	    {"rollout", "start"},
	    {"rollout", "status"},
	    {"rollout", "pause"},
	    {"rollout", "resume"},
	    {"rollout", "abort"},
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

/* A usage error: exit 2, stderr is "metactl: <msg>" (when msg is not
 * NULL) and then the command's usage line. */
static void
usage_is(int rc, const char *msg, const char *cmd)
{
	char want[256];

	assert_int_equal(rc, CTL_EXIT_USAGE);
	snprintf(want, sizeof(want), "%s%s%susage: metactl %s ",
	    msg ? "metactl: " : "", msg ? msg : "", msg ? "\n" : "", cmd);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("stderr '%s', want it to start with '%s'", err, want);
	assert_string_equal(out, "");
}

#define NX "-c", "/nonexistent"

static void
test_rollout_start_usage(void **state)
{
	(void)state;
	usage_is(
	    CAP(NX, "rollout", "start", "demo", "2.0", "--waves", "1,5,5,100"),
	    "--waves: 5 after 5: the percents must increase", "rollout start");
	usage_is(
	    CAP(NX, "rollout", "start", "demo", "2.0", "--waves", "10,1,100"),
	    "--waves: 1 after 10: the percents must increase", "rollout start");
	usage_is(
	    CAP(NX, "rollout", "start", "demo", "2.0", "--waves", "1,10,50"),
	    "--waves: the last wave must be 100 (every host)", "rollout start");
	usage_is(CAP(NX, "rollout", "start", "demo", "2.0", "--waves", "0,100"),
	    "--waves: bad percent '0' (want 1 to 100)", "rollout start");
	usage_is(CAP(NX, "rollout", "start", "demo", "2.0", "--waves", "1,101"),
	    "--waves: bad percent '101' (want 1 to 100)", "rollout start");
	usage_is(
	    CAP(NX, "rollout", "start", "demo", "2.0", "--waves", "1,,100"),
	    "--waves: bad percent '' (want 1 to 100)", "rollout start");
	usage_is(
	    CAP(NX, "rollout", "start", "demo", "2.0", "--waves", "1,10,100,"),
	    "--waves: bad percent '' (want 1 to 100)", "rollout start");
	usage_is(CAP(NX, "rollout", "start", "demo", "2.0", "--waves", ""),
	    "--waves: bad percent '' (want 1 to 100)", "rollout start");
	usage_is(CAP(NX, "rollout", "start", "demo", "2.0", "--waves",
	             "1,2,3,4,5,6,7,8,9,10,100"),
	    "--waves: more than 10 waves", "rollout start");
	usage_is(CAP(NX, "rollout", "start", "demo", "2.0", "--bake", "0"),
	    "--bake: bad duration '0' (want N with s, m, h or d, e.g. 30m)",
	    "rollout start");
	usage_is(CAP(NX, "rollout", "start", "demo", "2.0", "--bake", "5x"),
	    "--bake: bad duration '5x' (want N with s, m, h or d, e.g. 30m)",
	    "rollout start");
	usage_is(
	    CAP(NX, "rollout", "start", "demo", "2.0", "--max-failed", "x"),
	    "--max-failed: bad value 'x' (want a count N or a percent P%, "
	    "e.g. 3 or 10%)",
	    "rollout start");
	usage_is(
	    CAP(NX, "rollout", "start", "demo", "2.0", "--max-failed", "101%"),
	    "--max-failed: bad value '101%' (want a count N or a percent P%, "
	    "e.g. 3 or 10%)",
	    "rollout start");
	usage_is(
	    CAP(NX, "rollout", "start", "demo", "2.0", "--max-failed", "%"),
	    "--max-failed: bad value '%' (want a count N or a percent P%, "
	    "e.g. 3 or 10%)",
	    "rollout start");
	usage_is(
	    CAP(NX, "rollout", "start", "demo", "2.0", "--same-error", "0"),
	    "--same-error: bad number '0' (want 1 to 1000000)",
	    "rollout start");
	usage_is(CAP(NX, "rollout", "start", "demo", "2.0", "--prefix", ""),
	    "--prefix: must not be empty", "rollout start");
	usage_is(CAP(NX, "rollout", "start", "demo"), NULL, "rollout start");
	usage_is(
	    CAP(NX, "rollout", "start", "demo", ""), NULL, "rollout start");
	cap_free();
}

static void
test_rollout_usage(void **state)
{
	(void)state;
	usage_is(
	    CAP(NX, "rollout", "status", "a", "b"), NULL, "rollout status");
	assert_int_equal(
	    CAP(NX, "rollout", "status", "--bogus"), CTL_EXIT_USAGE);
	assert_string_equal(err, "status: unrecognized option '--bogus'\n"
	                         "usage: metactl rollout status [AGENT] "
	                         "[--all]\n");
	usage_is(CAP(NX, "rollout", "pause"), NULL, "rollout pause");
	usage_is(
	    CAP(NX, "rollout", "resume", "a", "b"), NULL, "rollout resume");
	usage_is(CAP(NX, "rollout", "abort", "demo", "--reason", ""),
	    "--reason: must not be empty", "rollout abort");
	assert_int_equal(CAP(NX, "rollout", "frob"), CTL_EXIT_USAGE);
	assert_string_equal(err,
	    "metactl: rollout: unknown subcommand 'frob'\n"
	    "usage: metactl rollout start AGENT VERSION [--waves 1,10,50,100] "
	    "[--bake DURATION] [--max-failed N|P%] [--same-error N] "
	    "[--prefix P]\n"
	    "       metactl rollout status [AGENT] [--all]\n"
	    "       metactl rollout pause AGENT [--reason TEXT]\n"
	    "       metactl rollout resume AGENT [--reason TEXT]\n"
	    "       metactl rollout abort AGENT [--reason TEXT]\n");
	assert_int_equal(CAP(NX, "rollout"), CTL_EXIT_USAGE);
	assert_true(strncmp(err,
	                "metactl: rollout: a subcommand is needed\nusage: "
	                "metactl rollout start ",
	                63) == 0);
	assert_int_equal(CAP("rollout", "--help"), CTL_EXIT_OK);
	assert_true(strncmp(out, "usage: metactl rollout start ", 29) == 0);
	assert_string_equal(err, "");
	assert_int_equal(CAP(NX, "frob"), CTL_EXIT_USAGE);
	assert_string_equal(err, "metactl: unknown command 'frob'\n"
	                         "usage: metactl [-j] [-c file] command "
	                         "[argument ...]\n");
	cap_free();
}

/* An empty --host or --prefix never means every host. */
static void
test_selector_usage(void **state)
{
	(void)state;
	usage_is(CAP(NX, "set-version", "demo"),
	    "VERSION is required without --stop", "set-version");
	usage_is(CAP(NX, "set-version", "demo", ""),
	    "VERSION must not be empty (leave it out with --stop)",
	    "set-version");
	usage_is(
	    CAP(NX, "set-version", "demo", "1.0", "2.0"), NULL, "set-version");
	usage_is(CAP(NX, "set-version", "demo", "--stop", "--prefix", ""),
	    "--prefix: must not be empty", "set-version");
	usage_is(CAP(NX, "set-version", "demo", "1.0", "--host", ""),
	    "--host: must not be empty", "set-version");
	usage_is(CAP(NX, "unset", "demo", "--prefix", ""),
	    "--prefix: must not be empty", "unset");
	usage_is(CAP(NX, "unset", "demo", "--stop"),
	    "--stop is not an option of unset", "unset");
	usage_is(CAP(NX, "remove", "demo", "--prefix", ""),
	    "--prefix: must not be empty", "remove");
	usage_is(CAP(NX, "remove", "demo", "--stop"),
	    "--stop is not an option of remove", "remove");
	usage_is(CAP(NX, "remove", "demo", "1.0"), NULL, "remove");
	usage_is(CAP(NX, "remove"), NULL, "remove");
	usage_is(CAP(NX, "retry", "demo", "--host", ""),
	    "--host: must not be empty", "retry");
	usage_is(CAP(NX, "retry", "demo", "--prefix", ""),
	    "--prefix: must not be empty", "retry");
	usage_is(CAP(NX, "retry", "demo", "--percent", "5"),
	    "--percent is not an option of retry", "retry");
	usage_is(CAP(NX, "retry"), NULL, "retry");
	usage_is(CAP(NX, "hosts", "--prefix", ""),
	    "--prefix: must not be empty", "hosts");
	usage_is(CAP(NX, "hosts", "show"), NULL, "hosts show");
	usage_is(
	    CAP(NX, "hosts", "show", "web-1", "web-2"), NULL, "hosts show");
	usage_is(CAP(NX, "hosts", "show", "web-1", "--reports", "0"),
	    "--reports: bad number '0' (want 1 to 100)", "hosts show");
	usage_is(CAP(NX, "hosts", "show", "web-1", "--reports", "101"),
	    "--reports: bad number '101' (want 1 to 100)", "hosts show");
	cap_free();
}

/* Arguments that parse go on to connect: exit 1 on the missing config. */
static void
test_new_commands_parse(void **state)
{
	static const char *const want =
	    "metactl: connect: /nonexistent: No such file or directory\n";

	(void)state;
#define PARSES(...)                                                    \
	do {                                                           \
		assert_int_equal(CAP(NX, __VA_ARGS__), CTL_EXIT_FAIL); \
		assert_string_equal(err, want);                        \
	} while (0)
	PARSES("set-version", "demo", "--stop", "--prefix", "web-");
	PARSES("set-version", "demo", "--stop");
	PARSES("set-version", "demo", "2.0", "--stop", "--host", "web-1");
	PARSES("remove", "demo", "--host", "web-1", "--percent", "5");
	PARSES("retry", "demo");
	PARSES("retry", "demo", "--failed", "--prefix", "web-");
	PARSES("retry", "demo", "--host", "a", "--host", "b");
	PARSES("hosts", "show", "web-1", "--reports", "100");
	PARSES("hosts", "show", "--reports", "1", "web-1");
	PARSES("rollout", "start", "demo", "2.0", "--waves", "100", "--bake",
	    "90s", "--max-failed", "10%", "--same-error", "1", "--prefix",
	    "web-");
	PARSES("rollout", "start", "demo", "2.0", "--max-failed", "0",
	    "--waves", "1,2,3,4,5,6,7,8,9,100");
	PARSES("rollout", "status");
	PARSES("rollout", "status", "demo", "--all");
	PARSES("rollout", "pause", "demo", "--reason", "dashboards");
	PARSES("rollout", "resume", "demo");
	PARSES("rollout", "abort", "--reason", "bad config", "demo");
#undef PARSES
	cap_free();
}

/* help_has(cmd words..., NULL, options..., NULL): `--help` names each. */
static void
help_has(const char *const *words, const char *const *opts)
{
	const char *args[8] = {"metactl"};
	size_t      n = 1;

	for (; *words != NULL; words++)
		args[n++] = *words;
	args[n++] = "--help";
	args[n] = NULL;
	assert_int_equal(run_cap(args), CTL_EXIT_OK);
	for (; *opts != NULL; opts++)
		if (strstr(out, *opts) == NULL)
			fail_msg(
			    "%s --help lacks %s:\n%s", args[1], *opts, out);
}

#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void
test_help_names_options(void **state)
{
	(void)state;
	help_has(WORDS("rollout", "start"),
	    WORDS("--waves", "--bake", "--max-failed", "--same-error",
	        "--prefix", "Example"));
	help_has(WORDS("rollout", "status"), WORDS("--all", "-j"));
	help_has(WORDS("rollout", "pause"), WORDS("--reason"));
	help_has(WORDS("rollout", "resume"), WORDS("--reason"));
	help_has(WORDS("rollout", "abort"), WORDS("--reason"));
	help_has(WORDS("hosts", "show"), WORDS("--reports", "-j"));
	help_has(WORDS("hosts"),
	    WORDS(",crashes=N", ",probation=V", "not retried", "--prefix"));
	help_has(WORDS("set-version"),
	    WORDS("--host", "--prefix", "--percent", "--stop"));
	help_has(WORDS("remove"), WORDS("--host", "--prefix", "--percent"));
	help_has(WORDS("retry"), WORDS("--host", "--prefix", "--failed"));
	help_has(WORDS("status"), WORDS("rules", "rollout"));
	assert_int_equal(CAP("--help"), CTL_EXIT_OK);
	for (const char *const *c = WORDS("hosts show", "remove", "retry",
	         "rollout start", "rollout status", "rollout pause",
	         "rollout resume", "rollout abort");
	     *c != NULL; c++) {
		char line[64];

		snprintf(line, sizeof(line), "\n  %-16s ", *c);
		if (strstr(out, line) == NULL)
			fail_msg("metactl --help lacks %s", *c);
	}
	assert_int_equal(CAP("--synopsis"), CTL_EXIT_OK);
	assert_non_null(strstr(out, "\nrollout abort AGENT [--reason TEXT]\n"));
	assert_non_null(strstr(out, "\nhosts show HOST [--reports N]\n"));
	cap_free();
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
	    cmocka_unit_test(test_rollout_start_usage),
	    cmocka_unit_test(test_rollout_usage),
	    cmocka_unit_test(test_selector_usage),
	    cmocka_unit_test(test_new_commands_parse),
	    cmocka_unit_test(test_help_names_options),
	    cmocka_unit_test(test_failures),
	    cmocka_unit_test_setup_teardown(
	        test_unreachable_meta, setup_certs, teardown_certs),
	};

	if (sig_init() != AU_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
