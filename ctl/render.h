/* SPDX-License-Identifier: MIT */
/*
 * render: how metactl shows meta's answers, as text for operators or as
 * JSON for scripts (output.h has the layout rules).  Pure: the messages
 * are borrowed, the current time is passed in, output goes to f.
 *
 * hosts: a table sorted by hostname with the columns
 *	HOST  STATE  LAST-SEEN  AGENTS  LAST-FAILURE
 * STATE is pending, rejected, ok, failed, stale or stale,failed; each agent
 * shows as name=VERSION/STATUS, followed by >WANTED when meta wants
 * another version and by ! when it counts as failed; LAST-FAILURE is the
 * most recent failure of any agent ("agent: text"), on one line.
 * JSON: an array of host objects with every field (absent ones null).
 *
 * Each agent may be followed by ",crashes=N" and ",probation=V"; an agent
 * with a version that failed and is not retried adds "V failed at STEP,
 * not retried" to LAST-FAILURE.
 *
 * hosts show: a header line for the host, then per agent its state and
 * its reports, newest first, each with the whole output tail indented by
 * four spaces.  JSON: {"host": ..., "reports": [...], "now_ms": N}.
 *
 * status: per agent "agent A: default V", a table VERSION STATUS HOSTS,
 * "N/M converged, F failed, S stale", the agent's rules and the one-line
 * summary of its newest rollout.
 */
#ifndef AU_CTL_RENDER_H
#define AU_CTL_RENDER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "au.pb-c.h"

/* hosts[0..n) in any order; they are printed sorted by hostname (the
 * array is sorted in place). */
void render_hosts(
    FILE *f, Au__V1__Host **hosts, size_t n, uint64_t now_ms, int json);

/* `hosts show`: the host of rep and its reports (see above). */
void render_host_show(
    FILE *f, const Au__V1__HostShowReply *rep, uint64_t now_ms, int json);

/* One line per host for `hosts accept|reject|remove|add`. */
void render_host_state(
    FILE *f, const char *hostname, Au__V1__HostState state, int json);

void render_status(FILE *f, const Au__V1__StatusReply *rep, int json);

void render_rules(
    FILE *f, const Au__V1__ListRulesReply *rep, uint64_t now_ms, int json);

void render_audit(FILE *f, const Au__V1__AuditReply *rep, int json);

/* What set-version or remove set, what being the selector in words
 * ("default", "prefix web-"): "demo 2.0.0 start: prefix web-", "demo:
 * stop (any version): default", "demo: remove: host web-1: the agent is
 * stopped and its folder deleted on the matching hosts".  JSON: {agent,
 * version (null for any), action, selector, rules_changed}. */
void render_set_version(FILE *f, const Au__V1__SetVersionRequest *req,
    const char *what, uint32_t rules_changed, int json);

/* What retry did: "demo: retry token T for 3 failed hosts (prefix web-)",
 * "demo: retry token T for prefix web-", "... for every host"; sel is the
 * selector in words or NULL for none.  JSON: {agent, token, hosts, failed,
 * selector (null for every host)}. */
void render_retry(FILE *f, const char *agent, const Au__V1__RetryReply *rep,
    int failed, const char *sel, int json);

/* "pending", "accepted", "rejected", "unknown". */
const char *render_host_state_name(Au__V1__HostState state);

/* "start", "stop", "remove", "-". */
const char *render_action_name(Au__V1__Action action);

/* "ok", "failed", "rolled back", "crashed", "-". */
const char *render_outcome_name(Au__V1__Outcome outcome);

/* Large enough for render_not_retried() with a name-sized version and
 * step. */
#define RENDER_NOT_RETRIED_BYTES 320

/* "7.0.0 failed at start, not retried" for an agent with a failed
 * version (cut to len bytes), else "". */
void render_not_retried(char *buf, size_t len, const Au__V1__HostAgent *a);

#endif
