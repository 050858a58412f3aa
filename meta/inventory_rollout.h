/* SPDX-License-Identifier: MIT */
/*
 * inventory_rollout: phased rollouts held by the inventory.  A rollout
 * takes the agent's hosts wave by wave (wave.h): its members are asked for
 * its version (after host and prefix rules, before percent and default
 * rules), each member counts as converged, failed or pending in its wave,
 * and the counts change with each heartbeat, report or host removal that
 * changes a member (O(1) each; a pass over the fleet only when a wave
 * starts).  A rollout halts itself when too many members failed or when
 * one failure signature shows on same_error hosts.  A ticker thread
 * (every second) starts the bake clock when every member is settled,
 * advances to the next wave when the bake time has passed, and finishes
 * the rollout by making its version the agent's default.
 *
 * Every transition is written to the store before it takes effect, with
 * the state and wave it started from (store_rollout_update()), and
 * audited; a rollout survives restarts in any state: loading rebuilds the
 * members and counts with one pass.
 *
 * The first part is for the handlers (each takes the inventory lock); the
 * hooks after it are for inventory*.c and expect the lock held.
 */
#ifndef META_INVENTORY_ROLLOUT_H
#define META_INVENTORY_ROLLOUT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "inventory.h"
#include "store.h"
#include "wave.h"

/* States, equal to the wire's au.v1.RolloutState. */
enum inv_rollout_state {
	INV_ROLLOUT_RUNNING = 1,
	INV_ROLLOUT_PAUSED = 2,
	INV_ROLLOUT_HALTED = 3,
	INV_ROLLOUT_DONE = 4,
	INV_ROLLOUT_ABORTED = 5,
};

/* Control operations, equal to au.v1.RolloutControlRequest.Op. */
enum inv_rollout_op {
	INV_ROLLOUT_PAUSE = 1,
	INV_ROLLOUT_RESUME = 2,
	INV_ROLLOUT_ABORT = 3,
};

#define INV_ROLLOUT_SIGS 5 /* signatures a view shows */

/* What RolloutStart asks for, checked by the caller (wave_check(), the
 * package exists, names are valid). */
struct inv_rollout_spec {
	const char        *agent;
	const char        *version;
	const uint32_t    *waves;
	size_t             nwaves;
	uint64_t           bake_ms;
	struct wave_limits lim;
	const char        *prefix; /* "" for every host */
	const char        *who;
};

struct inv_rollout_wave {
	uint32_t percent;
	uint32_t hosts, converged, failed, pending, stale; /* with counts */
	uint64_t started_ms;                               /* 0: not reached */
};

struct inv_rollout_sig {
	const char *signature;
	uint32_t    hosts;
	const char *sample_host;
	const char *sample_message;
};

/* A rollout as the handlers show it; strings borrowed for the callback. */
struct inv_rollout_view {
	uint64_t                id;
	const char             *agent, *version;
	int                     state; /* enum inv_rollout_state */
	uint32_t                wave;
	size_t                  nwaves;
	struct inv_rollout_wave waves[WAVE_MAX];
	uint64_t                bake_ms, bake_started_ms;
	struct wave_limits      lim;
	const char             *prefix;           /* "" for every host */
	const char             *reason;           /* NULL when none */
	const char             *previous_version; /* NULL when none */
	uint64_t                created_ms, updated_ms;
	const char             *created_by;
	/* The wave counts and signatures are known: the rollout is active,
	 * or ended while this meta ran (then they are as they were at its
	 * end, stale 0); a finished rollout loaded from the store has none. */
	int                    counts;
	size_t                 nsigs; /* most hosts first */
	struct inv_rollout_sig sigs[INV_ROLLOUT_SIGS];
};

/* Called under the inventory lock; return non-zero to stop. */
typedef int (*inv_rollout_fn)(void *arg, const struct inv_rollout_view *v);

/* 1 for RUNNING, PAUSED and HALTED. */
int inv_rollout_active(int state);

/* "running", "paused", ... */
const char *inv_rollout_state_name(int state);

/*
 * Start a rollout of s (durable before it returns) and its first wave:
 * *id is its id.  AU_FAILED_PRECONDITION "rollout 3 of demo is running:
 * pause, abort or wait for it" when the agent has an active one.  A pass
 * over the fleet; blocks on the store.
 */
enum au_status inv_rollout_start(struct inv *inv,
    const struct inv_rollout_spec *s, uint64_t now_ms, uint64_t *id,
    struct au_err *err);

/*
 * Pause (RUNNING), resume (PAUSED or HALTED) or abort (any active state)
 * the agent's active rollout; reason (may be NULL) becomes its reason.
 * Abort first puts the previous default version back when the default
 * changed (audited as who).  *id is the rollout's.  AU_NOT_FOUND when the
 * agent has no active rollout, AU_FAILED_PRECONDITION when op does not
 * apply to its state.  Durable; blocks on the store.
 */
enum au_status inv_rollout_control(struct inv *inv, const char *agent, int op,
    const char *who, const char *reason, uint64_t now_ms, uint64_t *id,
    struct au_err *err);

/* The rollouts of agent (NULL: all), newest first: the active ones, and
 * with all the finished ones too.  Stale members are counted by a scan. */
void inv_rollouts_each(struct inv *inv, const char *agent, int all,
    const struct inv_policy *pol, uint64_t now_ms, inv_rollout_fn fn,
    void *arg);

/* ------------------------------------------------------------ hooks */

struct inv_host;
struct store_report;

/* Load the rollouts, rebuild members and counts, start the ticker.
 * Called by inv_new() after loading, without the lock. */
enum au_status inv_rollouts_start(struct inv *inv, struct au_err *err);

/* Stop the ticker and free the rollouts; first thing in inv_free(). */
void inv_rollouts_free(struct inv *inv);

/* The desired agents out[0..n) with the active rollouts applied to
 * hostname; returns the new count (at most INV_MAX_AGENTS). */
size_t inv_rollout_desired(const struct inv *inv, const char *hostname,
    struct inv_desired *out, size_t n);

/* h's heartbeat, state or agents changed: recount it in each active
 * rollout (may halt one). */
void inv_rollout_host(struct inv *inv, struct inv_host *h);

/* r was noted on h: recount h in the rollout of r's agent, with r's
 * failure signature. */
void inv_rollout_report(
    struct inv *inv, struct inv_host *h, const struct store_report *r);

/* h is being removed: take it out of every rollout's counts. */
void inv_rollout_host_gone(struct inv *inv, struct inv_host *h);

#endif
