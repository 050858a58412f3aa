/* SPDX-License-Identifier: MIT */
/*
 * state: the updater's own record, kept in <state_dir>/state.json and
 * written atomically: per agent the last action and its result (what
 * `updater status` shows), whether a STOP is in force (so recovery after a
 * restart does not start an agent meta stopped), and the version whose
 * install last failed with when and how often (so a failed version is not
 * retried until meta asks for another one or a backoff has passed).
 * Loading and saving block on file I/O; the rest is pure.
 */
#ifndef AU_STATE_H
#define AU_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "report.h"

#define STATE_AGENTS_MAX 64
/* Retry a failed version after 60 s x 2^(failures-1), at most an hour. */
#define STATE_RETRY_BASE_MS 60000u
#define STATE_RETRY_CAP_MS 3600000u

struct state_agent {
	char     name[REPORT_NAME_MAX + 1];
	char     last_action[16]; /* "start", "stop" */
	char     last_version[REPORT_NAME_MAX + 1];
	char     last_result[AU_ERR_MSG_BYTES]; /* "ok", "rolled back: ..." */
	uint64_t last_time_ms;
	int      stopped; /* a STOP action is in force */
	char     failed_version[REPORT_NAME_MAX + 1];
	uint32_t failed_count;
	uint64_t failed_at_ms;
};

struct state {
	size_t             n;
	struct state_agent agents[STATE_AGENTS_MAX];
};

/* Load path into *s; a missing file gives an empty state.  AU_DATA_LOSS
 * when the file is not valid (s is then empty). */
enum au_status state_load(
    const char *path, struct state *s, struct au_err *err);

/* Write s to path atomically (mode 0644). */
enum au_status state_save(
    const char *path, const struct state *s, struct au_err *err);

/* The record of agent, or NULL. */
const struct state_agent *state_find(const struct state *s, const char *agent);

/* The record of agent, added when missing; NULL when the table is full. */
struct state_agent *state_get(struct state *s, const char *agent);

/* Note the outcome of r (an install, stop or restart) in a. */
void state_record(struct state_agent *a, const struct report *r);

/* May version be installed now (not the last failed one, or its retry
 * backoff has passed)?  a may be NULL (yes). */
int state_may_try(
    const struct state_agent *a, const char *version, uint64_t now_ms);

#endif
