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
 * status: per agent "agent A: default V", a table VERSION STATUS HOSTS and
 * "N/M converged, F failed, S stale".
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

/* One line per host for `hosts accept|reject|remove|add`. */
void render_host_state(
    FILE *f, const char *hostname, Au__V1__HostState state, int json);

void render_status(FILE *f, const Au__V1__StatusReply *rep, int json);

void render_rules(
    FILE *f, const Au__V1__ListRulesReply *rep, uint64_t now_ms, int json);

void render_audit(FILE *f, const Au__V1__AuditReply *rep, int json);

/* "pending", "accepted", "rejected", "unknown". */
const char *render_host_state_name(Au__V1__HostState state);

/* "start", "stop", "-". */
const char *render_action_name(Au__V1__Action action);

#endif
