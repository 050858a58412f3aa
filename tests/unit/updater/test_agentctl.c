/* SPDX-License-Identifier: MIT */
/*
 * test_agentctl: real control scripts in a temporary folder: exit codes,
 * the working directory and stdin, status words, the output tail bound,
 * and a timeout that kills the script's whole process group.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentctl.h"
#include "au_test.h"

struct fx {
	char dir[AU_TEST_DIR_BYTES];
};

/* dir/control: a shell script running body. */
static void
write_control(const char *dir, const char *body)
{
	char path[PATH_MAX + 16], text[4096];

	snprintf(path, sizeof(path), "%s/control", dir);
	snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
	au_test_write_file(path, text, 0755);
}

static int
setup(void **state)
{
	*state = au_test_fixture_new(sizeof(struct fx), "agentctl");
	return *state != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	return au_test_fixture_free(*state);
}

static void
test_exit_codes_and_output(void **state)
{
	struct fx             *fx = *state;
	struct agentctl_result res;

	write_control(fx->dir, "echo \"verb=$1\"; echo oops >&2; exit 3");
	assert_int_equal(
	    agentctl_run(fx->dir, "start", 5000, &res, NULL), AU_OK);
	assert_int_equal(res.exit_code, 3);
	assert_int_equal(res.timed_out, 0);
	assert_string_equal(res.tail, "verb=start\noops\n");
	write_control(fx->dir, "exit 0");
	assert_int_equal(
	    agentctl_run(fx->dir, "stop", 5000, &res, NULL), AU_OK);
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(res.tail_len, 0);
}

static void
test_cwd_and_stdin(void **state)
{
	struct fx             *fx = *state;
	struct agentctl_result res;
	char                   want[PATH_MAX + 16], real[PATH_MAX];

	write_control(fx->dir, "pwd; if read x; then echo got; else echo eof; "
	                       "fi");
	assert_int_equal(
	    agentctl_run(fx->dir, "status", 5000, &res, NULL), AU_OK);
	assert_non_null(realpath(fx->dir, real));
	snprintf(want, sizeof(want), "%s\neof\n", real);
	assert_string_equal(res.tail, want);
}

static void
test_missing_control(void **state)
{
	struct fx             *fx = *state;
	struct agentctl_result res;
	struct au_err          e = AU_ERR_INIT;

	assert_int_equal(
	    agentctl_run(fx->dir, "start", 1000, &res, &e), AU_NOT_FOUND);
	assert_int_equal(e.code, AU_NOT_FOUND);
}

static void
test_status_words(void **state)
{
	struct fx          *fx = *state;
	enum agentctl_state st;
	char                text[64];

	assert_int_equal(agentctl_parse_status("started\n"), AGENTCTL_STARTED);
	assert_int_equal(agentctl_parse_status("  running"), AGENTCTL_STARTED);
	assert_int_equal(agentctl_parse_status("stopped\n"), AGENTCTL_STOPPED);
	assert_int_equal(agentctl_parse_status("stoped"), AGENTCTL_STOPPED);
	assert_int_equal(agentctl_parse_status("startedx"), AGENTCTL_UNKNOWN);
	assert_int_equal(agentctl_parse_status(""), AGENTCTL_UNKNOWN);
	write_control(fx->dir, "echo stoped");
	assert_int_equal(
	    agentctl_status(fx->dir, 5000, &st, text, sizeof(text), NULL),
	    AU_OK);
	assert_int_equal(st, AGENTCTL_STOPPED);
	assert_string_equal(text, "stoped");
	write_control(fx->dir, "echo started; echo more");
	assert_int_equal(
	    agentctl_status(fx->dir, 5000, &st, text, sizeof(text), NULL),
	    AU_OK);
	assert_int_equal(st, AGENTCTL_STARTED);
	assert_string_equal(text, "started");
	write_control(fx->dir, "echo 'no idea'; exit 1");
	assert_int_equal(
	    agentctl_status(fx->dir, 5000, &st, NULL, 0, NULL), AU_OK);
	assert_int_equal(st, AGENTCTL_STOPPED);
	write_control(fx->dir, "echo 'no idea'");
	assert_int_equal(
	    agentctl_status(fx->dir, 5000, &st, NULL, 0, NULL), AU_OK);
	assert_int_equal(st, AGENTCTL_UNKNOWN);
}

static void
test_tail_is_bounded(void **state)
{
	struct fx             *fx = *state;
	struct agentctl_result res;
	const char            *end;

	/* 20000 numbered lines, far more than the tail keeps. */
	write_control(fx->dir, "i=0; while [ $i -lt 20000 ]; do "
	                       "echo \"line $i\"; i=$((i+1)); done");
	assert_int_equal(
	    agentctl_run(fx->dir, "start", 30000, &res, NULL), AU_OK);
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(res.tail_len, AGENTCTL_TAIL_BYTES);
	assert_int_equal(strlen(res.tail), AGENTCTL_TAIL_BYTES);
	end = res.tail + res.tail_len - strlen("line 19999\n");
	assert_string_equal(end, "line 19999\n");
	assert_null(strstr(res.tail, "line 100\n"));
}

static void
test_timeout_kills_group(void **state)
{
	struct fx             *fx = *state;
	struct agentctl_result res;
	struct au_err          e = AU_ERR_INIT;
	char                   pidfile[PATH_MAX + 8];
	pid_t                  child;
	int                    i;

	/* The script starts a grandchild, then hangs. */
	write_control(fx->dir, "sleep 300 & echo $! > bg.pid; echo waiting; "
	                       "sleep 300");
	assert_int_equal(agentctl_run(fx->dir, "start", 500, &res, &e),
	    AU_DEADLINE_EXCEEDED);
	assert_int_equal(e.code, AU_DEADLINE_EXCEEDED);
	assert_int_equal(res.timed_out, 1);
	assert_int_equal(res.exit_code, 128 + SIGKILL);
	assert_string_equal(res.tail, "waiting\n");
	snprintf(pidfile, sizeof(pidfile), "%s/bg.pid", fx->dir);
	assert_true((child = au_test_read_pid(pidfile)) > 0);
	/* SIGKILL is asynchronous: allow the kernel a moment (bounded). */
	for (i = 0; i < 100 && !au_test_pid_gone(child); i++)
		poll(NULL, 0, 20);
	assert_true(au_test_pid_gone(child));
}

static void
test_daemon_keeping_stdout_does_not_block(void **state)
{
	struct fx             *fx = *state;
	struct agentctl_result res;
	char                   pidfile[PATH_MAX + 8];
	pid_t                  child;

	/* A daemon that inherits stdout and keeps it open. */
	write_control(fx->dir, "sleep 300 & echo $! > bg.pid; echo started");
	assert_int_equal(
	    agentctl_run(fx->dir, "start", 20000, &res, NULL), AU_OK);
	assert_int_equal(res.timed_out, 0);
	assert_int_equal(res.exit_code, 0);
	assert_string_equal(res.tail, "started\n");
	snprintf(pidfile, sizeof(pidfile), "%s/bg.pid", fx->dir);
	assert_true((child = au_test_read_pid(pidfile)) > 0);
	assert_false(au_test_pid_gone(child));
	kill(child, SIGKILL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_exit_codes_and_output, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_cwd_and_stdin, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_missing_control, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_status_words, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_tail_is_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_timeout_kills_group, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_daemon_keeping_stdout_does_not_block, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
