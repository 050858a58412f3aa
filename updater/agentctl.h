/* SPDX-License-Identifier: MIT */
/*
 * agentctl: run an agent's control script, `<dir>/control start|stop|status`,
 * the way the original ops-updater did, but safely: the working directory
 * is the version folder, stdin is /dev/null, the script runs in its own
 * process group and the whole group is killed when it overruns its
 * timeout; combined stdout and stderr are captured, keeping the last
 * AGENTCTL_TAIL_BYTES.  Every function blocks until the script exits or
 * is killed.
 */
#ifndef AU_AGENTCTL_H
#define AU_AGENTCTL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define AGENTCTL_TAIL_BYTES 4096

struct agentctl_result {
	int    exit_code; /* 0..255; 128+signal when killed by one */
	int    timed_out; /* 1 when the group was killed on timeout */
	size_t tail_len;
	char   tail[AGENTCTL_TAIL_BYTES + 1]; /* NUL-terminated output tail */
};

enum agentctl_state {
	AGENTCTL_STOPPED = 0,
	AGENTCTL_STARTED = 1,
	AGENTCTL_UNKNOWN = 2,
};

/* Run `./control verb` in dir with a timeout of timeout_ms (0: 30 s) and
 * fill *res.  Returns AU_OK when the script ran to completion, whatever
 * its exit code (read res->exit_code); AU_DEADLINE_EXCEEDED when it was
 * killed on timeout (res still holds the output so far); AU_NOT_FOUND when
 * dir has no executable control; AU_INTERNAL when fork/pipe fail. */
enum au_status agentctl_run(const char *dir, const char *verb,
    uint32_t timeout_ms, struct agentctl_result *res, struct au_err *err);

/* Map what `control status` printed to a state: the first word "started"
 * or "running" gives STARTED; "stopped" or "stoped" (old agents misspell
 * it) gives STOPPED; anything else UNKNOWN. */
enum agentctl_state agentctl_parse_status(const char *output);

/* "started", "stopped" or "unknown". */
const char *agentctl_state_name(enum agentctl_state st);

/* Run `control status` in dir and parse it.  A script that exits non-zero
 * without printing a state counts as STOPPED.  text (optional) receives
 * the first line of the output.  Returns what agentctl_run returns. */
enum au_status agentctl_status(const char *dir, uint32_t timeout_ms,
    enum agentctl_state *state, char *text, size_t textsz, struct au_err *err);

#endif
