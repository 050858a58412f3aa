/* SPDX-License-Identifier: MIT */
/*
 * inventory_rollout_int: the rollouts' internals, shared by
 * inventory_rollout.c (lifecycle, transitions, views, ticker, loading) and
 * inventory_members.c (membership, counts, signatures, halts).  Not for
 * other modules.  Every function here expects inv->lock held.
 */
#ifndef META_INVENTORY_ROLLOUT_INT_H
#define META_INVENTORY_ROLLOUT_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "inventory.h"
#include "wave.h"

#define RO_SIGS_MAX 256 /* distinct signatures tracked per rollout */
#define RO_SAMPLE_MAX 200
#define RO_WHO "meta"        /* who meta's own transitions are audited as */
#define RO_OUTCOME_CRASHED 4 /* au.v1.Outcome */

/* How a member counts. */
enum cls { C_NONE, C_CONVERGED, C_FAILED, C_PENDING, C_COUNT };

struct ro_sig {
	uint64_t hash;
	uint32_t hosts;
	char     text[WAVE_SIG_MAX];
	char     sample_host[INV_HOSTNAME_MAX + 1];
	char     sample_msg[RO_SAMPLE_MAX];
};

struct ro {
	uint64_t           id;
	const char        *agent, *version, *previous; /* interned */
	int                state;
	uint32_t           waves[WAVE_MAX], thr[WAVE_MAX];
	uint64_t           started[WAVE_MAX];
	size_t             nwaves;
	uint32_t           wave;
	uint64_t           bake_ms, bake_started_ms;
	struct wave_limits lim;
	char               prefix[INV_HOSTNAME_MAX + 1];
	char               reason[WAVE_REASON_MAX];
	char               created_by[INV_NAME_MAX + 1];
	uint64_t           created_ms, updated_ms;
	/* Members by wave and class, and the totals of reached waves. */
	uint32_t cnt[WAVE_MAX][C_COUNT];
	uint32_t members, failed, pending;
	int      counted; /* counted in this process (not a finished
	                     rollout loaded from the store) */
	struct ro_sig *sigs;
	size_t         nsigs;
};

/* A host's place in one active rollout. */
struct inv_ro_member {
	struct ro *ro;
	uint64_t   sig; /* the signature counted, 0 when none */
	uint8_t    wave;
	uint8_t    cls;
};

struct inv_rollouts {
	struct ro    **all; /* oldest first */
	size_t         nall;
	struct ro    **active;
	size_t         nactive;
	pthread_t      ticker;
	pthread_cond_t cond;
	int            stop, started;
	int            loading; /* no halts until every signature is in */
};

/* A failure as a report tells it: its signature and sample message. */
struct failure {
	char        sig[WAVE_SIG_MAX];
	const char *message;
};

/* inventory_members.c */

/* The active rollout of agent, NULL when none. */
struct ro *ro_active_for(const struct inv *inv, const char *agent);

/* h's place in ro, NULL when it is not a member. */
struct inv_ro_member *ro_member_find(
    const struct inv_host *h, const struct ro *ro);

/* Recount every host in ro (a wave started); a pass over the fleet. */
void ro_members_pass(struct inv *inv, struct ro *ro);

/* ro ended: every member leaves it (its counts stay as they were). */
void ro_members_clear(struct inv *inv, struct ro *ro);

/* The halt rules over ro's counts as they are (a loaded rollout). */
void ro_halt_check_all(struct inv *inv, struct ro *ro);

/* ro->thr[w] for wave w over the fleet as it is now; a pass over it.
 * AU_RESOURCE_EXHAUSTED when out of memory. */
enum au_status ro_threshold_set(
    struct inv *inv, struct ro *ro, uint32_t w, struct au_err *err);

/* inventory_rollout.c */

/* Append to the audit log (and log it); failures are logged only. */
void ro_audit(
    struct inv *inv, const char *who, const char *action, const char *detail);

/* Move ro to state with reason (NULL: none), durably first: on failure
 * ro is as it was (AU_ABORTED when another meta moved it first).  Ending
 * states take ro off the active list and clear its members. */
enum au_status ro_transition(struct inv *inv, struct ro *ro, int state,
    const char *reason, uint64_t now, struct au_err *err);

#endif
