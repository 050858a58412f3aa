/* SPDX-License-Identifier: MIT */
/*
 * state: the updater's own record, kept in <state_dir>/state.json and
 * written atomically: per agent the last action and its result (what
 * `updater status` shows), whether a STOP is in force (so recovery after a
 * restart does not start an agent meta stopped), when a REMOVE deleted it,
 * the version that failed on this host with the step and the retry token
 * meta had sent (a failed version is not tried again until what meta asks
 * for changes or the token grows: no churn of the running version), and
 * the crashes of the current version with the restart backoff.
 * Loading and saving block on file I/O; the rest is pure.
 */
#ifndef AU_STATE_H
#define AU_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "report.h"

#define STATE_AGENTS_MAX 64
/* A crashed agent is restarted at once, then after 10 s, 20 s, 40 s ...
 * at most 5 min; the backoff starts afresh once it stayed up 10 min. */
#define STATE_CRASH_BASE_MS 10000u
#define STATE_CRASH_CAP_MS 300000u
#define STATE_CRASH_SETTLE_MS 600000u

struct state_agent {
	char     name[REPORT_NAME_MAX + 1];
	char     last_action[16]; /* "start", "stop", "remove", "restart" */
	char     last_version[REPORT_NAME_MAX + 1];
	char     last_result[AU_ERR_MSG_BYTES]; /* "ok", "rolled back: ..." */
	uint64_t last_time_ms;
	int      stopped;    /* a STOP action is in force */
	uint64_t removed_ms; /* when a REMOVE deleted it; 0: not removed */
	uint64_t retry;      /* the newest retry token meta sent */
	char     failed_version[REPORT_NAME_MAX + 1]; /* "": none */
	char     failed_step[16];
	uint64_t failed_retry; /* the retry token when it failed */
	uint64_t failed_at_ms;
	char     crash_version[REPORT_NAME_MAX + 1]; /* crashes count for it */
	uint32_t crashes;       /* of crash_version since it became current */
	uint32_t crash_streak;  /* restarts without settling, for backoff */
	uint64_t crash_at_ms;   /* the last crash, Unix ms */
	uint64_t restart_at_ms; /* no restart before this, Unix ms */
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

/* Note the outcome of r (an install, stop, remove or crash restart) in a.
 * A failed or rolled back START records r's version as failed, with the
 * retry token a holds; a START that worked clears the record. */
void state_record(struct state_agent *a, const struct report *r);

/* Meta asks for action (and version, for START) with retry token retry:
 * anything but a START of the failed version clears the failure record
 * (the target changed, so a later return to it is tried again).  Returns
 * 1 when a changed (to be saved). */
int state_desired(struct state_agent *a, enum report_action action,
    const char *version, uint64_t retry);

/* May version be installed now: it is not the failed version, or meta's
 * retry token grew since it failed?  a may be NULL (yes). */
int state_may_try(const struct state_agent *a, const char *version);

/* Crashes count for the current version: a new current version starts
 * afresh. */
void state_crash_track(struct state_agent *a, const char *version);

/* Is a restart due at now_ms (the backoff since the last one passed)? */
int state_crash_due(const struct state_agent *a, uint64_t now_ms);

/* Note a crash at now_ms and arm the backoff; returns the crash count. */
uint32_t state_crash_note(struct state_agent *a, uint64_t now_ms);

/* The current version is started at now_ms: once it stayed up
 * STATE_CRASH_SETTLE_MS after its last crash, the backoff starts afresh. */
void state_crash_settle(struct state_agent *a, uint64_t now_ms);

/* The wait before the next restart after streak restarts (>= 1). */
uint64_t state_crash_backoff(uint32_t streak);

#endif
