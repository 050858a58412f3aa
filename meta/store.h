/* SPDX-License-Identifier: MIT */
/*
 * store: meta's durable state in SQLite (the only file that includes
 * sqlite3.h): hosts and the agents they report, rollout rules, install
 * reports (stored once per host and report id) and the audit log.
 *
 * The database is <datadir>/meta.db in WAL mode with synchronous=FULL:
 * every call commits before it returns, so what a handler acknowledged
 * survives a crash or a power cut.  Heartbeat state (last seen, updater
 * version, agent status) is written in batches by store_seen_write(): the
 * inventory collects the hosts that heartbeated and hands them over every
 * 50 ms or 500 hosts (and at shutdown), so a crash loses at most that last
 * batch, which the next heartbeats send again.
 *
 * The schema carries a version (PRAGMA user_version) and store_open()
 * applies the migrations a database lacks.  Statements are prepared once.
 * All functions are thread-safe (one connection behind a mutex) and block
 * on disk I/O.  SQLite's codes become AU_* here: SQLITE_BUSY/LOCKED ->
 * AU_UNAVAILABLE, SQLITE_FULL -> AU_RESOURCE_EXHAUSTED, the rest ->
 * AU_INTERNAL, with SQLite's message in err.
 */
#ifndef META_STORE_H
#define META_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sig.h"

/* The newest schema this code writes. */
#define STORE_SCHEMA_VERSION 2

/* Host states, equal to the wire's au.v1.HostState. */
enum store_host_state {
	STORE_HOST_PENDING = 1,
	STORE_HOST_ACCEPTED = 2,
	STORE_HOST_REJECTED = 3,
};

struct store_host {
	const char *hostname;
	uint8_t     pubkey[SIG_PUBKEY_BYTES];
	int         state; /* enum store_host_state */
	uint64_t    created_ms;
	uint64_t    last_seen_ms;    /* loading only */
	const char *updater_version; /* loading only; may be NULL */
};

struct store_agent {
	const char *name;
	const char *version;    /* NULL or "" when none */
	const char *status;     /* "started", "stopped" or the script's text */
	const char *last_error; /* NULL or "" when none */
	/* The host's own word, from heartbeats only (not stored): a version
	 * that failed there and is not retried, the step it failed at,
	 * crashes of the current version, a version in its health window.
	 * NULL, "" or 0 when none. */
	const char *failed_version;
	const char *failed_step;
	uint32_t    crashes;
	const char *probation;
};

struct store_seen {
	const char               *hostname;
	uint64_t                  last_seen_ms;
	const char               *updater_version; /* may be NULL */
	int                       agents_changed;
	const struct store_agent *agents;
	size_t                    nagents;
};

struct store_rule {
	const char *agent;
	int         kind; /* enum rollout_kind */
	const char *match;
	uint32_t    percent;
	const char *version;
	int         action; /* enum rollout_action */
	uint64_t    updated_ms;
	const char *updated_by;
};

struct store_report {
	const char *hostname;
	const char *report_id;
	const char *agent;
	const char *version;
	const char *from_version;
	int         outcome; /* au.v1.Outcome */
	int         action;  /* au.v1.Action, 0 when not given */
	const char *step;
	int         has_exit_code;
	int32_t     exit_code;
	const char *output_tail;
	uint32_t    duration_ms;
	const char *message;
	uint64_t    time_ms;     /* host clock */
	uint64_t    received_ms; /* meta clock */
};

/* An operator's retry token: hosts that match (kind, match) retry a
 * version that failed on them when the token grows.  kind is enum
 * rollout_kind's DEFAULT (every host, match ""), HOST or PREFIX. */
struct store_retry {
	const char *agent;
	int         kind;
	const char *match;
	uint64_t    token;
};

struct store_audit {
	uint64_t    time_ms;
	const char *who;
	const char *action;
	const char *detail;
};

struct store;

/* Callbacks for the load and list functions: the struct and its strings
 * are borrowed for the duration of the call.  Return 0 to go on, non-zero
 * to stop. */
typedef int (*store_host_fn)(void *arg, const struct store_host *h);
typedef int (*store_agent_fn)(
    void *arg, const char *hostname, const struct store_agent *a);
typedef int (*store_rule_fn)(void *arg, const struct store_rule *r);
typedef int (*store_report_fn)(void *arg, const struct store_report *r);
typedef int (*store_audit_fn)(void *arg, const struct store_audit *a);
typedef int (*store_retry_fn)(void *arg, const struct store_retry *r);

/* Open (creating) <datadir>/meta.db, migrate, prepare.  AU_FAILED_PRECONDITION
 * when the database is newer than this code.  *out is released with
 * store_close(). */
enum au_status store_open(
    const char *datadir, struct store **out, struct au_err *err);

/* Close; NULL allowed. */
void store_close(struct store *s);

/* Insert or update a host's identity and state (not its heartbeat state).
 * Durable on return. */
enum au_status store_host_put(
    struct store *s, const struct store_host *h, struct au_err *err);

/* store_host_put for n hosts in one transaction (bulk enrollment, the
 * benchmark's fleet).  Durable on return. */
enum au_status store_host_put_many(
    struct store *s, const struct store_host *h, size_t n, struct au_err *err);

/* Delete a host, its agents' state, its reports and its host retry
 * records.  AU_NOT_FOUND when
 * unknown.  Durable on return. */
enum au_status store_host_delete(
    struct store *s, const char *hostname, struct au_err *err);

/* Every host, then every host's agents, in hostname order. */
enum au_status store_hosts_load(struct store *s, store_host_fn host_fn,
    store_agent_fn agent_fn, void *arg, struct au_err *err);

/* Write heartbeat state for n hosts in one transaction: last seen (the
 * newest of the stored and the given), updater version, and, where
 * agents_changed, the reported agents (replacing the stored ones; only for
 * hosts that still exist).  Blocks on disk. */
enum au_status store_seen_write(struct store *s, const struct store_seen *recs,
    size_t n, struct au_err *err);

/* Insert or replace the rule with r's (agent, kind, match).  Durable. */
enum au_status store_rule_put(
    struct store *s, const struct store_rule *r, struct au_err *err);

/* Delete the rule (agent, kind, match); *removed is 0 or 1.  Durable. */
enum au_status store_rule_delete(struct store *s, const char *agent, int kind,
    const char *match, int *removed, struct au_err *err);

/* Every rule, ordered by agent, kind, match. */
enum au_status store_rules_load(
    struct store *s, store_rule_fn fn, void *arg, struct au_err *err);

/* Store a report once per (hostname, report_id): *duplicate is 1 when it
 * was already stored (nothing changes).  Durable. */
enum au_status store_report_add(struct store *s, const struct store_report *r,
    int *duplicate, struct au_err *err);

/* The newest report of each (hostname, agent). */
enum au_status store_reports_latest(
    struct store *s, store_report_fn fn, void *arg, struct au_err *err);

/* How many reports are stored for hostname (0 when none). */
enum au_status store_report_count(
    struct store *s, const char *hostname, uint64_t *count, struct au_err *err);

/* The newest per_agent reports of each of hostname's agents, by agent,
 * newest first within an agent (through the index reports_host_time). */
enum au_status store_reports_host(struct store *s, const char *hostname,
    uint32_t per_agent, store_report_fn fn, void *arg, struct au_err *err);

/* Insert or replace n retry records (by agent, kind, match) in one
 * transaction.  Durable. */
enum au_status store_retry_put(
    struct store *s, const struct store_retry *r, size_t n, struct au_err *err);

/* Every retry record, ordered by agent, kind, match. */
enum au_status store_retries_load(
    struct store *s, store_retry_fn fn, void *arg, struct au_err *err);

/* Append to the audit log.  Durable. */
enum au_status store_audit_add(
    struct store *s, const struct store_audit *a, struct au_err *err);

/* Audit entries at or after since_ms, oldest first, at most limit (0: no
 * limit) of the newest. */
enum au_status store_audit_list(struct store *s, uint64_t since_ms,
    uint32_t limit, store_audit_fn fn, void *arg, struct au_err *err);

/* ------------------------------------------------------------ rollouts */

/* A phased rollout's row; lists are comma-separated text (waves
 * "1,10,50,100", thresholds and wave_started_ms one per reached wave). */
struct store_rollout {
	uint64_t    id;
	const char *agent;
	const char *version;
	int         state; /* au.v1.RolloutState */
	const char *waves;
	uint32_t    wave;
	const char *thresholds;
	uint64_t    bake_ms;
	uint32_t    max_failed;
	int         max_failed_percent;
	uint32_t    same_error;
	const char *prefix;           /* "" for every host */
	const char *reason;           /* may be NULL */
	const char *previous_version; /* may be NULL */
	uint64_t    created_ms;
	const char *created_by;
	uint64_t    updated_ms;
	const char *wave_started_ms;
	uint64_t    bake_started_ms;
};

typedef int (*store_rollout_fn)(void *arg, const struct store_rollout *r);

/* Insert a new rollout (r->id ignored); *id is its id.  Durable. */
enum au_status store_rollout_add(struct store *s, const struct store_rollout *r,
    uint64_t *id, struct au_err *err);

/* Write r's state, wave, thresholds, reason, times, but only while the
 * stored row still has old_state and old_wave: *changed is 1 when it did,
 * 0 when another writer got there first.  Durable. */
enum au_status store_rollout_update(struct store *s,
    const struct store_rollout *r, int old_state, uint32_t old_wave,
    int *changed, struct au_err *err);

/* Every rollout, oldest first. */
enum au_status store_rollouts_load(
    struct store *s, store_rollout_fn fn, void *arg, struct au_err *err);

#endif
