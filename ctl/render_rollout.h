/* SPDX-License-Identifier: MIT */
/*
 * render_rollout: how metactl shows phased rollouts, as text or JSON.
 * Pure like render.h: the messages are borrowed, the current time is
 * passed in, output goes to f.
 *
 * rollout status, per rollout:
 *   rollout 3: demo 2.0.0  halted  wave 1/4 (10%)  bake 10m  max-failed 5%
 *     reason: same-error: 3 hosts: start: ...
 *     previous: 1.0.0  created 2026-12-07T09:00:00Z (12m ago) by alice
 *     wave  percent  hosts  converged  failed  pending  stale  started
 *     1     10%      2      0          2       0        0      12m ago
 *     failures: 2 hosts  start: ...  (e.g. web-3: <sample message>)
 * with "baking since 1m20s of 10m" while a running wave bakes.  Waves are
 * numbered from 1 in text; JSON keeps the reply's fields (wave is the
 * index from 0, times as *_ms).
 */
#ifndef AU_CTL_RENDER_ROLLOUT_H
#define AU_CTL_RENDER_ROLLOUT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "au.pb-c.h"

/* "running", "paused", "halted", "done", "aborted", "unknown". */
const char *render_rollout_state_name(Au__V1__RolloutState state);

/* The rollout as a JSON object (a new reference; never NULL). */
json_t *render_rollout_json(const Au__V1__Rollout *r);

/* One line, no line break: "rollout 3: 2.0.0 halted, wave 1/4 (10%)",
 * followed by ": REASON" when there is one (on one line). */
void render_rollout_line(FILE *f, const Au__V1__Rollout *r);

/* `rollout status`: every rollout of rep in full (see above), or
 * "no rollouts"; with json an array of rollout objects. */
void render_rollout_status(
    FILE *f, const Au__V1__RolloutStatusReply *rep, uint64_t now_ms, int json);

/* What `rollout start|pause|resume|abort` did, one line: "rollout 3: demo
 * 2.0.0: VERB; now STATE, wave 1/4 (10%)", verb being "started",
 * "paused", "resumed" or "aborted" (then followed by ", hosts go back to
 * PREVIOUS" or ", no previous version"); with json the rollout object. */
void render_rollout_done(
    FILE *f, const char *verb, const Au__V1__Rollout *r, int json);

#endif
