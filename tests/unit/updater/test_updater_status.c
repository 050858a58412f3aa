/* SPDX-License-Identifier: MIT */
/*
 * test_updater_status: the exact text of `updater status` for an agent with a
 * version that failed and is not retried, crashes of its current version,
 * and an agent a REMOVE deleted; then the same failure after meta asked
 * for a retry.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au_test.h"
#include "conf.h"
#include "fsutil.h"
#include "state.h"
#include "status.h"

#define T0 1767225600000ULL /* 2026-01-01T00:00:00Z */

static const char control[] = "#!/bin/sh\n"
                              "[ \"$1\" = status ] && echo started\n"
                              "exit 0\n";

struct fx {
	char                dir[AU_TEST_DIR_BYTES];
	struct updater_conf c;
	struct state        s;
	char                path[AU_TEST_DIR_BYTES + 64];
};

static int
setup(void **state)
{
	struct fx *fx = au_test_fixture_new(sizeof(*fx), "status");

	if (fx == NULL)
		return -1;
	updater_conf_defaults(&fx->c);
	snprintf(fx->c.root, sizeof(fx->c.root), "%s/root", fx->dir);
	snprintf(fx->c.state_dir, sizeof(fx->c.state_dir), "%s", fx->dir);
	snprintf(fx->c.hostname, sizeof(fx->c.hostname), "web-1");
	snprintf(fx->path, sizeof(fx->path), "%s/root/demo/1.0.0", fx->dir);
	if (fsutil_mkdirs(fx->path, 0755, NULL) != AU_OK)
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
write_state(struct fx *fx)
{
	char path[AU_TEST_DIR_BYTES + 32];

	snprintf(path, sizeof(path), "%s/state.json", fx->dir);
	assert_int_equal(state_save(path, &fx->s, NULL), AU_OK);
}

static void
test_status_text(void **state)
{
	struct fx          *fx = *state;
	struct state_agent *a;
	struct au_test_cap  cap;
	char                path[AU_TEST_DIR_BYTES + 96], want[2048];

	snprintf(path, sizeof(path), "%s/control", fx->path);
	au_test_write_file(path, control, 0755);
	snprintf(path, sizeof(path), "%s/root/demo/.version", fx->dir);
	au_test_write_file(path, "1.0.0\n", 0644);
	a = state_get(&fx->s, "demo");
	snprintf(a->last_action, sizeof(a->last_action), "start");
	snprintf(a->last_version, sizeof(a->last_version), "7.0.0");
	snprintf(a->last_result, sizeof(a->last_result),
	    "rolled back: start: control start failed");
	a->last_time_ms = T0;
	snprintf(a->failed_version, sizeof(a->failed_version), "7.0.0");
	snprintf(a->failed_step, sizeof(a->failed_step), "start");
	a->failed_retry = 3;
	a->retry = 3;
	snprintf(a->crash_version, sizeof(a->crash_version), "1.0.0");
	a->crashes = 2;
	a->crash_at_ms = T0 + 61000;
	a = state_get(&fx->s, "gone");
	snprintf(a->last_action, sizeof(a->last_action), "remove");
	snprintf(a->last_version, sizeof(a->last_version), "4.0.0");
	a->removed_ms = T0 + 3600000;
	write_state(fx);
	snprintf(want, sizeof(want),
	    "host web-1, root %s/root\n"
	    "agent demo\n"
	    "  current:   1.0.0 (started)\n"
	    "  installed: 1.0.0\n"
	    "  crashes:   2 of 1.0.0, restarted by the updater; last at "
	    "2026-01-01T00:01:01Z\n"
	    "  last:      start 7.0.0 at 2026-01-01T00:00:00Z: rolled back: "
	    "start: control start failed\n"
	    "  failed:    7.0.0 failed at start, not retried until meta asks "
	    "again (metactl retry demo)\n"
	    "agent gone\n"
	    "  removed:   at 2026-01-01T01:00:00Z, was 4.0.0\n",
	    fx->dir);
	au_test_cap_open(&cap);
	assert_int_equal(status_print(&fx->c, cap.f, NULL), AU_OK);
	au_test_cap_check(&cap, want);
	/* metactl retry: meta's token grew. */
	fx->s.agents[0].retry = 4;
	write_state(fx);
	au_test_cap_open(&cap);
	assert_int_equal(status_print(&fx->c, cap.f, NULL), AU_OK);
	assert_int_equal(fflush(cap.f), 0);
	assert_non_null(strstr(cap.buf, "  failed:    7.0.0 failed at start, "
	                                "meta asked for a retry\n"));
	fclose(cap.f);
	free(cap.buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_status_text, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
