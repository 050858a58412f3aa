/* SPDX-License-Identifier: MIT */
/*
 * inventory_int: the inventory's internals, shared by inventory.c (tables,
 * strings, rules, administration, loading), inventory_host.c (heartbeats
 * and reports) and inventory_list.c (listings).  Not for other modules:
 * they use inventory.h.  Every function here expects the caller to hold
 * inv->lock (or to be the only thread, while loading).
 */
#ifndef META_INVENTORY_INT_H
#define META_INVENTORY_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "inventory.h"
#include "rollout.h"

/* Outcomes, as au.v1.Outcome. */
#define OUTCOME_OK 1
#define OUTCOME_FAILED 2
#define OUTCOME_ROLLED_BACK 3
#define OUTCOME_CRASHED 4

/* At most this many retry records in all (inv_retry_add). */
#define INV_RETRY_MAX 10000

struct pool {
	char **slots;
	size_t cap; /* a power of two */
	size_t n;
};

struct inv_agent {
	const char *name;        /* interned */
	const char *version;     /* interned; NULL when not reported */
	const char *status;      /* interned "started" or "stopped", or NULL */
	char       *status_text; /* any other status text, or NULL */
	char       *last_error;
	char       *last_failure;
	uint64_t    last_failure_ms;
	uint64_t    mismatch_since_ms;
	uint8_t     reported;
	uint8_t     last_failed;
	/* The latest report about this agent: its version (interned; NULL
	 * when none), outcome (au.v1.Outcome, 0 when none), action and
	 * when meta received it. */
	const char *report_version;
	uint8_t     report_outcome;
	uint8_t     report_action;
	uint64_t    report_ms; /* when meta received it */
	/* What mismatch_since_ms is about: the desired version (interned)
	 * and action when the agent began to differ from it. */
	const char *mismatch_version;
	uint8_t     mismatch_action;
	/* The host's own word (heartbeats): interned, NULL when none. */
	const char *failed_version;
	const char *failed_step;
	const char *probation;
	uint32_t    crashes;
	uint32_t    crash_reports; /* CRASHED reports since meta started */
};

/* A retry record in memory; strings interned. */
struct inv_retry {
	const char *agent;
	int         kind; /* ROLLOUT_DEFAULT, ROLLOUT_HOST, ROLLOUT_PREFIX */
	const char *match;
	uint64_t    token;
};

struct inv_host {
	struct inv_host  *next_name;
	struct inv_host  *next_key;
	struct inv_host  *next_dirty; /* heartbeat state not yet stored */
	uint8_t           pk[SIG_PUBKEY_BYTES];
	uint8_t           state;
	uint8_t           dirty;        /* on the dirty list */
	uint8_t           agents_dirty; /* and its agents changed */
	uint8_t           nro_members;  /* rollouts it counts in */
	uint32_t          nagents;
	uint64_t          created_ms;
	uint64_t          last_seen_ms;
	const char       *updater_version; /* interned */
	struct inv_agent *agents;
	/* Its place in active rollouts (inventory_rollout.c). */
	struct inv_ro_member *ro_members;
	char                  hostname[];
};

struct inv {
	pthread_mutex_t   lock;
	struct store     *st;
	struct pool       pool;
	struct inv_host **by_name;
	struct inv_host **by_key;
	size_t            cap; /* buckets, a power of two */
	size_t            n;
	/* Every host by name, for listings (inventory_list.c); rebuilt on
	 * the first listing after a host was added or removed. */
	struct inv_host **order;
	size_t            norder;
	int               order_stale;

	struct store_rule   *rules; /* strings interned; sorted */
	struct rollout_rule *rr;    /* the same rules for rollout_resolve */
	size_t               nrules;
	const char         **managed; /* distinct agents with rules */
	size_t               nmanaged;
	const char          *started; /* interned "started", "stopped" */
	const char          *stopped;

	/* The flusher (inventory_flush.c): hosts whose heartbeat state is
	 * not yet in the store, written every 50 ms or 500 hosts. */
	struct inv_host *dirty;
	size_t           ndirty;
	pthread_cond_t   flush_cond; /* wakes the flusher */
	pthread_cond_t   flush_done; /* a batch was written */
	uint64_t         batches_taken, batches_done;
	int              flush_now, flush_stop, flusher_started;
	pthread_t        flusher;

	/* Retry tokens (inventory_retry.c), sorted by agent name, kind,
	 * match, so an agent's records are one run. */
	struct inv_retry *retries;
	size_t            nretries;

	/* Phased rollouts and their ticker (inventory_rollout.c). */
	struct inv_rollouts *ro;
};

/* The pool's copy of s: NULL for NULL, and NULL with *oom set when out of
 * memory.  Interned strings live until the pool is freed, so equal
 * interned strings compare equal as pointers. */
const char *inv_intern(struct pool *p, const char *s, int *oom);

/* Equal strings, NULL and "" being equal. */
int inv_str_eq(const char *a, const char *b);

/* s, or NULL when s is NULL or "". */
const char *inv_nonempty(const char *s);

/* Classify a reported status: "started" and "stopped" as the interned
 * pointers (*text NULL), anything else as *text (s itself, borrowed) with
 * NULL returned.  Script output varies, so it is not interned: the pool
 * would only grow. */
const char *inv_status_class(
    const struct inv *inv, const char *s, const char **text);

/* The status an agent shows: the interned one or its text. */
const char *inv_status_show(const struct inv_agent *a);

/* A heap copy of s; NULL for NULL, "" or out of memory. */
char *inv_dup_opt(const char *s);

/* Lookups in the tables; NULL when absent. */
struct inv_host *inv_find_name(const struct inv *inv, const char *name);
struct inv_host *inv_find_key(const struct inv *inv, const uint8_t *pk);

/* A new host linked into the tables; NULL when out of memory. */
struct inv_host *inv_host_new(struct inv *inv, const char *hostname,
    const uint8_t *pk, int state, uint64_t created_ms);

/* Unlink h from the tables (it is not freed); free a host (NULL ok). */
void inv_host_unlink(struct inv *inv, struct inv_host *h);
void inv_host_free(struct inv_host *h);

/* A host's agent entry by name (NULL when absent); append an empty entry
 * named name (interned; NULL when out of memory); free an entry array. */
struct inv_agent *inv_agent_find(const struct inv_host *h, const char *name);
struct inv_agent *inv_agent_append(struct inv_host *h, const char *name);
void              inv_agents_free(struct inv_agent *a, size_t n);

/* The desired agents of hostname (at most INV_MAX_AGENTS) into out;
 * returns how many.  Find one by name (NULL when absent). */
size_t inv_desired_for(
    const struct inv *inv, const char *hostname, struct inv_desired *out);
const struct inv_desired *inv_desired_find(
    const struct inv_desired *d, size_t nd, const char *name);

/* Does agent a match d (NULL d: nothing is asked, so yes)?  STOP: not
 * reported, nothing installed, or stopped; REMOVE: not reported at all.
 * Is it failed for d now: it does not match d, the host does not have
 * d's version on probation (being tried), and its latest report is about
 * d (version and action) and failed, or the host says d's version failed
 * there, or it has differed from d (the same d) for longer than the grace
 * period?  With no d, its latest report failed.  CRASHED reports do not
 * count.  Is h stale? */
int inv_converged(const struct inv *inv, const struct inv_agent *a,
    const struct inv_desired *d);
int inv_agent_failed(const struct inv *inv, const struct inv_agent *a,
    const struct inv_desired *d, const struct inv_policy *pol, uint64_t now);
int inv_host_stale(
    const struct inv_host *h, const struct inv_policy *pol, uint64_t now);

/* Put h on the dirty list (its agents too when agents_changed). */
void inv_dirty_mark(struct inv *inv, struct inv_host *h, int agents_changed);

/* Take h off the dirty list (it is being removed). */
void inv_dirty_unlink(struct inv *inv, struct inv_host *h);

/* Start the flusher thread / stop it after a last flush.  Called without
 * the lock.  Start returns AU_RESOURCE_EXHAUSTED when no thread. */
enum au_status inv_flusher_start(struct inv *inv);
void           inv_flusher_stop(struct inv *inv);

/* The largest retry token among agent's records that match hostname
 * (host exact, prefix, default); 0 when none.  O(records of agent). */
uint64_t inv_retry_token(
    const struct inv *inv, const char *hostname, const char *agent);

/* Put a loaded retry record in memory; drop hostname's host records.
 * AU_RESOURCE_EXHAUSTED when out of memory. */
enum au_status inv_retry_put_mem(struct inv *inv, const struct store_retry *r);
void           inv_retry_drop_host(struct inv *inv, const char *hostname);
void           inv_retries_free(struct inv *inv);

/* inv_rule_set() with the lock held. */
enum au_status inv_rule_set_locked(
    struct inv *inv, const struct store_rule *r, struct au_err *err);

/* The first non-blank line of s (at most 200 characters): its start, with
 * its length in *len; NULL when s is NULL or blank.  Borrowed from s. */
const char *inv_first_line(const char *s, int *len);

/* Note a stored report's outcome on its host's agent (no-op for an unknown
 * host).  AU_RESOURCE_EXHAUSTED when out of memory. */
enum au_status inv_note_report(struct inv *inv, const struct store_report *r);

#endif
