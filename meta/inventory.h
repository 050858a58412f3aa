/* SPDX-License-Identifier: MIT */
/*
 * inventory: the fleet in memory, backed by the store.  Every host (its
 * key, enrollment state, last heartbeat and agents), every rollout rule,
 * and each agent's last install report, so that a heartbeat is answered
 * from memory and a listing over 100,000 hosts takes no disk reads.
 *
 * Changes that must be durable (enrollment, accept/reject/remove/add,
 * rules, reports) are committed to the store before the call returns;
 * heartbeat state (last seen, agents) is soft: a flusher thread writes the
 * hosts that heartbeated since its last batch every 50 ms or 500 hosts,
 * and at inv_free().  A host heartbeating often is written once per batch,
 * so the backlog is bounded by the number of hosts, not of heartbeats.  Strings
 * that repeat across hosts (agent names, versions, statuses, updater versions)
 * are interned: views hand out pointers that stay valid until inv_free().
 *
 * Failure state is about what is desired now: an agent is failed when it
 * does not run what is asked and its latest report about that version and
 * action failed (or the host says that version failed there), or when it
 * has differed from that same target for longer than failed_grace.  A
 * report about an older target is history: it shows as last_failure but
 * does not make the host failed.
 *
 * Thread-safe: one mutex; durable writes happen under it.
 */
#ifndef META_INVENTORY_H
#define META_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sig.h"
#include "store.h"

/* Bounds on what a heartbeat may carry. */
#define INV_MAX_AGENTS 64
#define INV_NAME_MAX 64 /* agent names, versions */
#define INV_HOSTNAME_MAX 253
#define INV_STATUS_MAX 128 /* agent status text */
#define INV_ERROR_MAX 512  /* last error, failure one-liner */

/* Per-call policy, from the current config. */
struct inv_policy {
	int      auto_accept;
	uint32_t stale_after_s;
	uint32_t failed_grace_s;
};

/* A desired agent; strings interned (valid until inv_free()). */
struct inv_desired {
	const char *name;
	const char *version; /* "" with STOP or REMOVE: any version */
	int         action;  /* enum rollout_action */
	uint64_t    retry;   /* the largest retry token for the host, or 0 */
};

struct inv_agent_view {
	const char *name;
	const char *version;         /* NULL when not reported */
	const char *status;          /* NULL when not reported */
	const char *last_error;      /* NULL when none */
	const char *desired_version; /* NULL when not managed here */
	int         desired_action;
	int         failed;
	const char *last_failure; /* NULL when none; history included */
	uint64_t    last_failure_ms;
	int         reported; /* in the host's latest heartbeat */
	/* The host's own word; NULL or 0 when none. */
	const char *failed_version; /* failed there, not retried */
	const char *failed_step;
	uint32_t    crashes;   /* of the current version */
	const char *probation; /* a version in its health window */
};

struct inv_host_view {
	const char                  *hostname;
	int                          state; /* enum store_host_state */
	uint64_t                     last_seen_ms;
	char                         key_id[SIG_KEYID_HEX_BYTES];
	const char                  *updater_version;
	int                          stale;
	int                          failed;
	size_t                       nagents;
	const struct inv_agent_view *agents;
};

struct inv_filter {
	int         failed;  /* only hosts with a failed agent */
	int         stale;   /* only stale hosts */
	int         pending; /* only pending hosts */
	const char *agent;   /* only hosts with this agent, NULL: any */
	const char *prefix;  /* only hostnames with this prefix, NULL: any */
	const char *after;   /* only hostnames after this, NULL: from start */
	uint32_t    limit;   /* at most this many, 0: no limit */
};

/* Called under the inventory lock with a view borrowed for the call;
 * return 0 to go on, non-zero to stop (the listing then reports more). */
typedef int (*inv_host_fn)(void *arg, const struct inv_host_view *h);
typedef int (*inv_rule_fn)(void *arg, const struct store_rule *r);

/* What a Retry names: the hosts failed for agent now (failed), or hosts
 * and/or a prefix, or (none of them) every host. */
struct inv_retry_req {
	const char        *agent;
	int                failed;
	const char *const *hosts;
	size_t             nhosts;
	const char        *prefix; /* NULL: none */
};

struct inv;

/* 1 when name is a plausible hostname (1..253 of [A-Za-z0-9._-]). */
int inv_valid_hostname(const char *name);

/* 1 when name is a plausible agent name or version (1..64 of
 * [A-Za-z0-9._+~-]). */
int inv_valid_name(const char *name);

/* Load hosts, agents, last reports and rules from st (borrowed; it must
 * outlive the inventory).  Blocks on the store. */
enum au_status inv_new(struct store *st, struct inv **out, struct au_err *err);

/* Flush the heartbeat state, stop the flusher and free; NULL allowed. */
void inv_free(struct inv *inv);

/*
 * A heartbeat from key pk for hostname, reporting agents.
 *   - unknown hostname, unknown key: recorded bound to pk (durably), as
 *     accepted with auto_accept, else pending;
 *   - pending: *state = STORE_HOST_PENDING, AU_OK, no desired agents;
 *   - accepted: last seen and agents recorded (batched), *state =
 *     STORE_HOST_ACCEPTED and desired[0..*ndesired) filled (at most
 *     INV_MAX_AGENTS);
 *   - rejected: AU_PERMISSION_DENIED;
 *   - hostname known under another key, or pk bound to another hostname:
 *     AU_PERMISSION_DENIED, logged as AU-HOST-KEY-MISMATCH, nothing
 *     changes.
 * Bad input (lengths, counts): AU_INVALID_ARGUMENT.
 */
enum au_status inv_heartbeat(struct inv *inv,
    const uint8_t pk[SIG_PUBKEY_BYTES], const char *hostname,
    const char *updater_version, const struct store_agent *agents,
    size_t nagents, const struct inv_policy *pol, uint64_t now_ms, int *state,
    struct inv_desired desired[INV_MAX_AGENTS], size_t *ndesired,
    struct au_err *err);

/* AU_OK when pk belongs to an accepted host (named hostname, unless
 * hostname is NULL), else AU_PERMISSION_DENIED with err set. */
enum au_status inv_host_check(struct inv *inv,
    const uint8_t pk[SIG_PUBKEY_BYTES], const char *hostname,
    struct au_err *err);

/* Store a report (durably, once per hostname and report id) and note its
 * outcome on the agent.  The caller has checked the host with
 * inv_host_check().  *duplicate as store_report_add(). */
enum au_status inv_report(struct inv *inv, const struct store_report *r,
    int *duplicate, struct au_err *err);

/* Host administration; each is durable on return.
 * accept/reject: AU_NOT_FOUND when unknown.  remove: AU_NOT_FOUND.
 * add: bind hostname to pk as accepted; AU_ALREADY_EXISTS when the name
 * is known under another key or pk is bound to another host. */
enum au_status inv_host_set_state(
    struct inv *inv, const char *hostname, int state, struct au_err *err);
enum au_status inv_host_remove(
    struct inv *inv, const char *hostname, struct au_err *err);
enum au_status inv_host_add(struct inv *inv, const char *hostname,
    const uint8_t pk[SIG_PUBKEY_BYTES], uint64_t now_ms, struct au_err *err);

/* Add or replace the rule (agent, kind, match); durable. */
enum au_status inv_rule_set(
    struct inv *inv, const struct store_rule *r, struct au_err *err);

/* Remove the rule (agent, kind, match; for a percent rule match is
 * ignored); *removed 0 or 1; durable. */
enum au_status inv_rule_unset(struct inv *inv, const char *agent, int kind,
    const char *match, int *removed, struct au_err *err);

/* Every rule (of agent, unless NULL), ordered by agent, kind, match. */
void inv_rules_each(
    struct inv *inv, const char *agent, inv_rule_fn fn, void *arg);

/* Hosts matching f in hostname order; *more is set when the limit or fn
 * stopped the listing early.  Returns AU_RESOURCE_EXHAUSTED when out of
 * memory. */
enum au_status inv_hosts_each(struct inv *inv, const struct inv_filter *f,
    const struct inv_policy *pol, uint64_t now_ms, inv_host_fn fn, void *arg,
    int *more);

/* The view of one host (as inv_hosts_each gives it) to fn.  AU_NOT_FOUND
 * (err set) when unknown, AU_RESOURCE_EXHAUSTED when out of memory. */
enum au_status inv_host_show(struct inv *inv, const char *hostname,
    const struct inv_policy *pol, uint64_t now_ms, inv_host_fn fn, void *arg,
    struct au_err *err);

/*
 * A retry token for the hosts rq names: *token is the wall clock now_ms,
 * made larger than every earlier token of the agent.  Writes one host
 * record per host failed for the agent now (rq->failed; *hosts = how
 * many), a host record per named host, a prefix record, or a default
 * record, replacing records with the same (agent, kind, match); durable on
 * return.  The heartbeat then hands each matching host the largest token
 * of its records.  AU_RESOURCE_EXHAUSTED past INV_RETRY_MAX (10000)
 * records in all.  The caller has checked the names.
 */
enum au_status inv_retry(struct inv *inv, const struct inv_retry_req *rq,
    const struct inv_policy *pol, uint64_t now_ms, uint64_t *token,
    uint32_t *hosts, struct au_err *err);

/* How many hosts report running agent at version. */
uint32_t inv_count_running(
    struct inv *inv, const char *agent, const char *version);

/* Write the heartbeat state collected so far to the store now (it is
 * otherwise written every 50 ms or 500 hosts, and by inv_free()).  Blocks
 * until it is on disk. */
void inv_flush(struct inv *inv);

/* Number of hosts in the inventory. */
size_t inv_count(struct inv *inv);

#endif
