/* SPDX-License-Identifier: MIT */
/*
 * store: SQLite behind one connection and one mutex.  Every call runs in
 * its own transaction under the mutex; heartbeat state arrives in batches
 * (the inventory's flusher), so thousands of heartbeats a second cost one
 * fsync per batch rather than one each.
 */
#include "store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsutil.h"
#include "log.h"
#include "timeutil.h"

enum stmt {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_HOST_PUT,
	S_HOST_DEL,
	S_HOST_AGENTS_DEL,
	S_HOST_REPORTS_DEL,
	S_HOSTS_ALL,
	S_AGENTS_ALL,
	S_SEEN,
	S_AGENT_PUT,
	S_RULE_PUT,
	S_RULE_DEL,
	S_RULES_ALL,
	S_REPORT_ADD,
	S_REPORTS_LATEST,
	S_REPORT_COUNT,
	S_AUDIT_ADD,
	S_AUDIT_LIST,
	/* Retry tokens and the host drill-down (schema 2). */
	S_RETRY_PUT,
	S_RETRIES_ALL,
	S_HOST_RETRIES_DEL,
	S_REPORTS_HOST,
	/* phased rollouts */
	S_ROLLOUT_ADD,
	S_ROLLOUT_UPDATE,
	S_ROLLOUTS_ALL,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_HOST_PUT] = "INSERT INTO hosts(hostname, pubkey, state, created_ms)"
                   " VALUES(?1, ?2, ?3, ?4) ON CONFLICT(hostname) DO UPDATE"
                   " SET pubkey = ?2, state = ?3",
    [S_HOST_DEL] = "DELETE FROM hosts WHERE hostname = ?1",
    [S_HOST_AGENTS_DEL] = "DELETE FROM host_agents WHERE hostname = ?1",
    [S_HOST_REPORTS_DEL] = "DELETE FROM reports WHERE hostname = ?1",
    [S_HOSTS_ALL] = "SELECT hostname, pubkey, state, created_ms,"
                    " last_seen_ms, updater_version FROM hosts"
                    " ORDER BY hostname",
    [S_AGENTS_ALL] = "SELECT hostname, agent, version, status, last_error"
                     " FROM host_agents ORDER BY hostname, agent",
    [S_SEEN] = "UPDATE hosts SET last_seen_ms = max(last_seen_ms, ?2), "
               "updater_version = ?3"
               " WHERE hostname = ?1",
    /* Only for a host that still exists: a batch may trail a removal. */
    [S_AGENT_PUT] = "INSERT OR REPLACE INTO host_agents(hostname, agent,"
                    " version, status, last_error) SELECT ?1, ?2, ?3, ?4, ?5"
                    " WHERE EXISTS (SELECT 1 FROM hosts WHERE hostname = ?1)",
    [S_RULE_PUT] = "INSERT OR REPLACE INTO rules(agent, kind, match,"
                   " percent, version, action, updated_ms, updated_by)"
                   " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [S_RULE_DEL] = "DELETE FROM rules WHERE agent = ?1 AND kind = ?2"
                   " AND match = ?3",
    [S_RULES_ALL] = "SELECT agent, kind, match, percent, version, action,"
                    " updated_ms, updated_by FROM rules"
                    " ORDER BY agent, kind, match",
    [S_REPORT_ADD] = "INSERT OR IGNORE INTO reports(hostname, report_id,"
                     " agent, version, from_version, outcome, action, step,"
                     " exit_code, output_tail, duration_ms, message, time_ms,"
                     " received_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                     " ?10, ?11, ?12, ?13, ?14)",
    [S_REPORTS_LATEST] =
        "SELECT hostname, report_id, agent, version, from_version, outcome,"
        " action, step, exit_code, output_tail, duration_ms, message,"
        " time_ms, received_ms FROM reports WHERE id IN"
        " (SELECT max(id) FROM reports GROUP BY hostname, agent)"
        " ORDER BY hostname, agent",
    [S_REPORT_COUNT] = "SELECT count(*) FROM reports WHERE hostname = ?1",
    [S_AUDIT_ADD] = "INSERT INTO audit(time_ms, who, action, detail)"
                    " VALUES(?1, ?2, ?3, ?4)",
    [S_AUDIT_LIST] = "SELECT time_ms, who, action, detail FROM (SELECT *"
                     " FROM audit WHERE time_ms >= ?1 ORDER BY id DESC"
                     " LIMIT ?2) ORDER BY id",
    [S_RETRY_PUT] = "INSERT OR REPLACE INTO retries(agent, kind, match, token)"
                    " VALUES(?1, ?2, ?3, ?4)",
    [S_RETRIES_ALL] = "SELECT agent, kind, match, token FROM retries"
                      " ORDER BY agent, kind, match",
    /* Kind 1 is a host record (enum rollout_kind's ROLLOUT_HOST). */
    [S_HOST_RETRIES_DEL] = "DELETE FROM retries WHERE kind = 1 AND match = ?1",
    /* The newest ?2 of each agent, through reports_host_time. */
    [S_REPORTS_HOST] =
        "SELECT hostname, report_id, agent, version, from_version, outcome,"
        " action, step, exit_code, output_tail, duration_ms, message,"
        " time_ms, received_ms FROM (SELECT *, row_number() OVER"
        " (PARTITION BY agent ORDER BY id DESC) AS rn FROM reports"
        " WHERE hostname = ?1) WHERE rn <= ?2 ORDER BY agent, id DESC",
    /* phased rollouts */
    [S_ROLLOUT_ADD] =
        "INSERT INTO rollouts(agent, version, state, waves, wave,"
        " thresholds, bake_ms, max_failed, max_failed_percent, same_error,"
        " prefix, reason, previous_version, created_ms, created_by,"
        " updated_ms, wave_started_ms, bake_started_ms) VALUES(?1, ?2, ?3,"
        " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
        " ?18)",
    /* A transition happens once: only from the state and wave it saw. */
    [S_ROLLOUT_UPDATE] =
        "UPDATE rollouts SET state = ?2, wave = ?3, thresholds = ?4,"
        " reason = ?5, updated_ms = ?6, wave_started_ms = ?7,"
        " bake_started_ms = ?8 WHERE id = ?1 AND state = ?9 AND wave = ?10",
    [S_ROLLOUTS_ALL] =
        "SELECT id, agent, version, state, waves, wave, thresholds, bake_ms,"
        " max_failed, max_failed_percent, same_error, prefix, reason,"
        " previous_version, created_ms, created_by, updated_ms,"
        " wave_started_ms, bake_started_ms FROM rollouts ORDER BY id",
};

/* Migration N takes the schema from version N to N + 1. */
static const char *const migrations[STORE_SCHEMA_VERSION] = {
    "CREATE TABLE hosts(hostname TEXT PRIMARY KEY, pubkey BLOB NOT NULL,"
    " state INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
    " last_seen_ms INTEGER NOT NULL DEFAULT 0, updater_version TEXT);"
    "CREATE UNIQUE INDEX hosts_pubkey ON hosts(pubkey);"
    "CREATE TABLE host_agents(hostname TEXT NOT NULL, agent TEXT NOT NULL,"
    " version TEXT, status TEXT, last_error TEXT,"
    " PRIMARY KEY(hostname, agent)) WITHOUT ROWID;"
    "CREATE TABLE rules(agent TEXT NOT NULL, kind INTEGER NOT NULL,"
    " match TEXT NOT NULL, percent INTEGER NOT NULL, version TEXT NOT NULL,"
    " action INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
    " updated_by TEXT NOT NULL, PRIMARY KEY(agent, kind, match));"
    "CREATE TABLE reports(id INTEGER PRIMARY KEY, hostname TEXT NOT NULL,"
    " report_id TEXT NOT NULL, agent TEXT NOT NULL, version TEXT,"
    " from_version TEXT, outcome INTEGER NOT NULL, action INTEGER,"
    " step TEXT, exit_code INTEGER, output_tail TEXT, duration_ms INTEGER,"
    " message TEXT, time_ms INTEGER, received_ms INTEGER NOT NULL,"
    " UNIQUE(hostname, report_id));"
    "CREATE INDEX reports_agent ON reports(hostname, agent);"
    "CREATE TABLE audit(id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL,"
    " who TEXT NOT NULL, action TEXT NOT NULL, detail TEXT);",
    /* 2: phased rollouts (waves and thresholds as comma-separated text)
     * and operators' retry tokens; reports by host, newest first. */
    "CREATE TABLE rollouts(id INTEGER PRIMARY KEY, agent TEXT NOT NULL,"
    " version TEXT NOT NULL, state INTEGER NOT NULL, waves TEXT NOT NULL,"
    " wave INTEGER NOT NULL, thresholds TEXT NOT NULL,"
    " bake_ms INTEGER NOT NULL, max_failed INTEGER NOT NULL,"
    " max_failed_percent INTEGER NOT NULL, same_error INTEGER NOT NULL,"
    " prefix TEXT NOT NULL, reason TEXT, previous_version TEXT,"
    " created_ms INTEGER NOT NULL, created_by TEXT NOT NULL,"
    " updated_ms INTEGER NOT NULL, wave_started_ms TEXT NOT NULL,"
    " bake_started_ms INTEGER NOT NULL);"
    "CREATE INDEX rollouts_agent ON rollouts(agent, id);"
    "CREATE TABLE retries(agent TEXT NOT NULL, kind INTEGER NOT NULL,"
    " match TEXT NOT NULL, token INTEGER NOT NULL,"
    " PRIMARY KEY(agent, kind, match));"
    "CREATE INDEX reports_host_time ON reports(hostname, agent, id);",
};

struct store {
	sqlite3        *db;
	sqlite3_stmt   *stmt[S_COUNT];
	pthread_mutex_t db_lock;
};

static enum au_status db_status(
    struct store *s, int rc, const char *what, struct au_err *err);
static sqlite3_stmt  *prep(struct store *s, enum stmt id);
static enum au_status step_done(
    struct store *s, sqlite3_stmt *st, const char *what, struct au_err *err);
static enum au_status txn(struct store *s, enum stmt id, struct au_err *err);
static enum au_status txn_end(
    struct store *s, enum au_status code, struct au_err *err);

static enum au_status
db_status(struct store *s, int rc, const char *what, struct au_err *err)
{
	enum au_status code;

	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return AU_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = AU_UNAVAILABLE;
		break;
	case SQLITE_FULL:
		code = AU_RESOURCE_EXHAUSTED;
		break;
	case SQLITE_NOMEM:
		code = AU_RESOURCE_EXHAUSTED;
		break;
	default:
		code = AU_INTERNAL;
		break;
	}
	return au_err_set(err, code, "store: %s: %s", what,
	    s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
}

static sqlite3_stmt *
prep(struct store *s, enum stmt id)
{
	sqlite3_stmt *st = s->stmt[id];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

static enum au_status
step_done(
    struct store *s, sqlite3_stmt *st, const char *what, struct au_err *err)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_status(s, rc, what, err);
	return AU_OK;
}

static enum au_status
txn(struct store *s, enum stmt id, struct au_err *err)
{
	return step_done(s, prep(s, id), stmt_sql[id], err);
}

/* End the open transaction: commit when code is AU_OK (the commit's
 * status is returned), else roll back and return code. */
static enum au_status
txn_end(struct store *s, enum au_status code, struct au_err *err)
{
	if (code == AU_OK)
		return txn(s, S_COMMIT, err);
	txn(s, S_ROLLBACK, NULL);
	return code;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static enum au_status
exec(struct store *s, const char *sql, struct au_err *err)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? AU_OK : db_status(s, rc, "exec", err);
}

static enum au_status
migrate(struct store *s, struct au_err *err)
{
	sqlite3_stmt  *st;
	int            version, rc;
	enum au_status code;
	char           sql[64];

	rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_status(s, rc, "schema version", err);
	rc = sqlite3_step(st);
	version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (version < 0)
		return db_status(s, rc, "schema version", err);
	if (version > STORE_SCHEMA_VERSION)
		return au_err_set(err, AU_FAILED_PRECONDITION,
		    "store: database schema %d is newer than this meta (%d)",
		    version, STORE_SCHEMA_VERSION);
	for (; version < STORE_SCHEMA_VERSION; version++) {
		snprintf(
		    sql, sizeof(sql), "PRAGMA user_version = %d", version + 1);
		if ((code = exec(s, "BEGIN IMMEDIATE", err)) != AU_OK)
			return code;
		if ((code = exec(s, migrations[version], err)) != AU_OK ||
		    (code = exec(s, sql, err)) != AU_OK) {
			exec(s, "ROLLBACK", NULL);
			au_err_prefix(err, "migration %d", version + 1);
			return code;
		}
		if ((code = exec(s, "COMMIT", err)) != AU_OK)
			return code;
		log_info("store: schema migrated to version %d", version + 1);
	}
	return AU_OK;
}

static enum au_status
setup(struct store *s, const char *path, struct au_err *err)
{
	enum au_status code;
	int            rc, i;

	rc = sqlite3_open_v2(path, &s->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK)
		return db_status(s, rc, path, err);
	sqlite3_busy_timeout(s->db, 5000);
	if ((code = exec(s,
	         "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	         " PRAGMA foreign_keys = OFF; PRAGMA cache_size = -4096;",
	         err)) != AU_OK)
		return code;
	if ((code = migrate(s, err)) != AU_OK)
		return code;
	for (i = 0; i < S_COUNT; i++) {
		rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL);
		if (rc != SQLITE_OK)
			return db_status(s, rc, stmt_sql[i], err);
	}
	return AU_OK;
}

enum au_status
store_open(const char *datadir, struct store **out, struct au_err *err)
{
	struct store  *s;
	enum au_status code;
	char           path[4096];

	*out = NULL;
	if ((code = fsutil_mkdirs(datadir, 0700, err)) != AU_OK ||
	    (code = fsutil_join(path, sizeof(path), datadir, "meta.db", err)) !=
	        AU_OK) {
		au_err_prefix(err, "store");
		return code;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	pthread_mutex_init(&s->db_lock, NULL);
	if ((code = setup(s, path, err)) != AU_OK) {
		store_close(s);
		return code;
	}
	*out = s;
	return AU_OK;
}

void
store_close(struct store *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	if (s->db != NULL)
		sqlite3_close(s->db);
	pthread_mutex_destroy(&s->db_lock);
	free(s);
}

/* ------------------------------------------------------------ heartbeats */

static enum au_status
write_seen(struct store *s, const struct store_seen *e, struct au_err *err)
{
	sqlite3_stmt  *st;
	enum au_status code;
	size_t         i;

	st = prep(s, S_SEEN);
	bind_text(st, 1, e->hostname);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)e->last_seen_ms);
	bind_text(st, 3, e->updater_version);
	if ((code = step_done(s, st, "last seen", err)) != AU_OK)
		return code;
	if (!e->agents_changed)
		return AU_OK;
	st = prep(s, S_HOST_AGENTS_DEL);
	bind_text(st, 1, e->hostname);
	if ((code = step_done(s, st, "agents", err)) != AU_OK)
		return code;
	for (i = 0; i < e->nagents; i++) {
		st = prep(s, S_AGENT_PUT);
		bind_text(st, 1, e->hostname);
		bind_text(st, 2, e->agents[i].name);
		bind_text(st, 3, e->agents[i].version);
		bind_text(st, 4, e->agents[i].status);
		bind_text(st, 5, e->agents[i].last_error);
		if ((code = step_done(s, st, "agent", err)) != AU_OK)
			return code;
	}
	return AU_OK;
}

enum au_status
store_seen_write(struct store *s, const struct store_seen *recs, size_t n,
    struct au_err *err)
{
	enum au_status code;
	size_t         i;

	if (n == 0)
		return AU_OK;
	pthread_mutex_lock(&s->db_lock);
	code = txn(s, S_BEGIN, err);
	for (i = 0; code == AU_OK && i < n; i++)
		code = write_seen(s, &recs[i], err);
	code = txn_end(s, code, err);
	pthread_mutex_unlock(&s->db_lock);
	return code;
}

/* ------------------------------------------------------------ durable */

/* Run st (already bound) as one committed transaction.  Holds db_lock. */
static enum au_status
commit_one(struct store *s, sqlite3_stmt *st, const char *what, int *changes,
    struct au_err *err)
{
	enum au_status code;

	if ((code = txn(s, S_BEGIN, err)) != AU_OK)
		return code;
	if ((code = step_done(s, st, what, err)) == AU_OK && changes != NULL)
		*changes = sqlite3_changes(s->db);
	return txn_end(s, code, err);
}

static sqlite3_stmt *
bind_host(struct store *s, const struct store_host *h)
{
	sqlite3_stmt *st = prep(s, S_HOST_PUT);

	bind_text(st, 1, h->hostname);
	sqlite3_bind_blob(st, 2, h->pubkey, SIG_PUBKEY_BYTES, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, h->state);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)h->created_ms);
	return st;
}

enum au_status
store_host_put(struct store *s, const struct store_host *h, struct au_err *err)
{
	enum au_status code;

	pthread_mutex_lock(&s->db_lock);
	code = commit_one(s, bind_host(s, h), "host", NULL, err);
	pthread_mutex_unlock(&s->db_lock);
	return code;
}

enum au_status
store_host_put_many(
    struct store *s, const struct store_host *h, size_t n, struct au_err *err)
{
	enum au_status code;
	size_t         i;

	pthread_mutex_lock(&s->db_lock);
	code = txn(s, S_BEGIN, err);
	for (i = 0; code == AU_OK && i < n; i++)
		code = step_done(s, bind_host(s, &h[i]), "host", err);
	code = txn_end(s, code, err);
	pthread_mutex_unlock(&s->db_lock);
	return code;
}

static enum au_status
host_delete_locked(
    struct store *s, const char *hostname, int *found, struct au_err *err)
{
	static const enum stmt ids[] = {S_HOST_AGENTS_DEL, S_HOST_REPORTS_DEL,
	    S_HOST_RETRIES_DEL, S_HOST_DEL};
	sqlite3_stmt          *st;
	enum au_status         code;
	size_t                 i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		st = prep(s, ids[i]);
		bind_text(st, 1, hostname);
		if ((code = step_done(s, st, "delete host", err)) != AU_OK)
			return code;
	}
	*found = sqlite3_changes(s->db) > 0;
	return AU_OK;
}

enum au_status
store_host_delete(struct store *s, const char *hostname, struct au_err *err)
{
	enum au_status code;
	int            found = 0;

	pthread_mutex_lock(&s->db_lock);
	if ((code = txn(s, S_BEGIN, err)) == AU_OK) {
		code = host_delete_locked(s, hostname, &found, err);
		code = txn_end(s, code, err);
	}
	pthread_mutex_unlock(&s->db_lock);
	if (code == AU_OK && !found)
		return au_err_set(
		    err, AU_NOT_FOUND, "host %s: not found", hostname);
	return code;
}

static int
load_host_row(sqlite3_stmt *st, store_host_fn fn, void *arg)
{
	struct store_host h;
	const void       *pk = sqlite3_column_blob(st, 1);

	memset(&h, 0, sizeof(h));
	h.hostname = col_text(st, 0);
	if (pk == NULL || sqlite3_column_bytes(st, 1) != SIG_PUBKEY_BYTES)
		return 0; /* not ours to load; skip a damaged row */
	memcpy(h.pubkey, pk, SIG_PUBKEY_BYTES);
	h.state = sqlite3_column_int(st, 2);
	h.created_ms = (uint64_t)sqlite3_column_int64(st, 3);
	h.last_seen_ms = (uint64_t)sqlite3_column_int64(st, 4);
	h.updater_version = col_text(st, 5);
	return fn(arg, &h);
}

static int
load_agent_row(sqlite3_stmt *st, store_agent_fn fn, void *arg)
{
	struct store_agent a;

	a.name = col_text(st, 1);
	a.version = col_text(st, 2);
	a.status = col_text(st, 3);
	a.last_error = col_text(st, 4);
	return fn(arg, col_text(st, 0), &a);
}

/* Step through a query, calling row for each row until it returns
 * non-zero.  Holds db_lock. */
static enum au_status
each_row(struct store *s, sqlite3_stmt *st, int (*row)(sqlite3_stmt *, void *),
    void *arg, struct au_err *err)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (row(st, arg) != 0)
			break;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_status(s, rc, "query", err);
	return AU_OK;
}

struct row_cb {
	void *fn;
	void *arg;
};

/* Run the parameterless statement id under db_lock, calling row with a
 * struct row_cb of (fn, arg) for each row. */
static enum au_status
load_all(struct store *s, enum stmt id, int (*row)(sqlite3_stmt *, void *),
    void *fn, void *arg, struct au_err *err)
{
	struct row_cb  cb = {fn, arg};
	enum au_status code;

	pthread_mutex_lock(&s->db_lock);
	code = each_row(s, prep(s, id), row, &cb, err);
	pthread_mutex_unlock(&s->db_lock);
	return code;
}

static int
host_row(sqlite3_stmt *st, void *arg)
{
	struct row_cb *cb = arg;

	return load_host_row(st, (store_host_fn)cb->fn, cb->arg);
}

static int
agent_row(sqlite3_stmt *st, void *arg)
{
	struct row_cb *cb = arg;

	return load_agent_row(st, (store_agent_fn)cb->fn, cb->arg);
}

enum au_status
store_hosts_load(struct store *s, store_host_fn host_fn,
    store_agent_fn agent_fn, void *arg, struct au_err *err)
{
	struct row_cb  hcb = {(void *)host_fn, arg};
	struct row_cb  acb = {(void *)agent_fn, arg};
	enum au_status code;

	pthread_mutex_lock(&s->db_lock);
	code = each_row(s, prep(s, S_HOSTS_ALL), host_row, &hcb, err);
	if (code == AU_OK && agent_fn != NULL)
		code = each_row(s, prep(s, S_AGENTS_ALL), agent_row, &acb, err);
	pthread_mutex_unlock(&s->db_lock);
	return code;
}

enum au_status
store_rule_put(struct store *s, const struct store_rule *r, struct au_err *err)
{
	sqlite3_stmt  *st;
	enum au_status code;

	pthread_mutex_lock(&s->db_lock);
	st = prep(s, S_RULE_PUT);
	bind_text(st, 1, r->agent);
	sqlite3_bind_int(st, 2, r->kind);
	bind_text(st, 3, r->match != NULL ? r->match : "");
	sqlite3_bind_int(st, 4, (int)r->percent);
	bind_text(st, 5, r->version);
	sqlite3_bind_int(st, 6, r->action);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)r->updated_ms);
	bind_text(st, 8, r->updated_by);
	code = commit_one(s, st, "rule", NULL, err);
	pthread_mutex_unlock(&s->db_lock);
	return code;
}

enum au_status
store_rule_delete(struct store *s, const char *agent, int kind,
    const char *match, int *removed, struct au_err *err)
{
	sqlite3_stmt  *st;
	enum au_status code;

	*removed = 0;
	pthread_mutex_lock(&s->db_lock);
	st = prep(s, S_RULE_DEL);
	bind_text(st, 1, agent);
	sqlite3_bind_int(st, 2, kind);
	bind_text(st, 3, match != NULL ? match : "");
	code = commit_one(s, st, "rule", removed, err);
	pthread_mutex_unlock(&s->db_lock);
	return code;
}

static int
rule_row(sqlite3_stmt *st, void *arg)
{
	struct row_cb    *cb = arg;
	struct store_rule r;

	r.agent = col_text(st, 0);
	r.kind = sqlite3_column_int(st, 1);
	r.match = col_text(st, 2);
	r.percent = (uint32_t)sqlite3_column_int(st, 3);
	r.version = col_text(st, 4);
	r.action = sqlite3_column_int(st, 5);
	r.updated_ms = (uint64_t)sqlite3_column_int64(st, 6);
	r.updated_by = col_text(st, 7);
	return ((store_rule_fn)cb->fn)(cb->arg, &r);
}

enum au_status
store_rules_load(
    struct store *s, store_rule_fn fn, void *arg, struct au_err *err)
{
	return load_all(s, S_RULES_ALL, rule_row, (void *)fn, arg, err);
}

static void
bind_report(sqlite3_stmt *st, const struct store_report *r)
{
	bind_text(st, 1, r->hostname);
	bind_text(st, 2, r->report_id);
	bind_text(st, 3, r->agent);
	bind_text(st, 4, r->version);
	bind_text(st, 5, r->from_version);
	sqlite3_bind_int(st, 6, r->outcome);
	sqlite3_bind_int(st, 7, r->action);
	bind_text(st, 8, r->step);
	if (r->has_exit_code)
		sqlite3_bind_int(st, 9, r->exit_code);
	bind_text(st, 10, r->output_tail);
	sqlite3_bind_int64(st, 11, r->duration_ms);
	bind_text(st, 12, r->message);
	sqlite3_bind_int64(st, 13, (sqlite3_int64)r->time_ms);
	sqlite3_bind_int64(st, 14, (sqlite3_int64)r->received_ms);
}

enum au_status
store_report_add(struct store *s, const struct store_report *r, int *duplicate,
    struct au_err *err)
{
	sqlite3_stmt  *st;
	enum au_status code;
	int            changes = 0;

	pthread_mutex_lock(&s->db_lock);
	st = prep(s, S_REPORT_ADD);
	bind_report(st, r);
	code = commit_one(s, st, "report", &changes, err);
	pthread_mutex_unlock(&s->db_lock);
	*duplicate = code == AU_OK && changes == 0;
	return code;
}

static int
report_row(sqlite3_stmt *st, void *arg)
{
	struct row_cb      *cb = arg;
	struct store_report r;

	memset(&r, 0, sizeof(r));
	r.hostname = col_text(st, 0);
	r.report_id = col_text(st, 1);
	r.agent = col_text(st, 2);
	r.version = col_text(st, 3);
	r.from_version = col_text(st, 4);
	r.outcome = sqlite3_column_int(st, 5);
	r.action = sqlite3_column_int(st, 6);
	r.step = col_text(st, 7);
	r.has_exit_code = sqlite3_column_type(st, 8) != SQLITE_NULL;
	r.exit_code = sqlite3_column_int(st, 8);
	r.output_tail = col_text(st, 9);
	r.duration_ms = (uint32_t)sqlite3_column_int64(st, 10);
	r.message = col_text(st, 11);
	r.time_ms = (uint64_t)sqlite3_column_int64(st, 12);
	r.received_ms = (uint64_t)sqlite3_column_int64(st, 13);
	return ((store_report_fn)cb->fn)(cb->arg, &r);
}

enum au_status
store_reports_latest(
    struct store *s, store_report_fn fn, void *arg, struct au_err *err)
{
	return load_all(s, S_REPORTS_LATEST, report_row, (void *)fn, arg, err);
}

static int
count_row(sqlite3_stmt *st, void *arg)
{
	*(uint64_t *)arg = (uint64_t)sqlite3_column_int64(st, 0);
	return 1;
}

enum au_status
store_report_count(
    struct store *s, const char *hostname, uint64_t *count, struct au_err *err)
{
	sqlite3_stmt  *st;
	enum au_status code;

	*count = 0;
	pthread_mutex_lock(&s->db_lock);
	st = prep(s, S_REPORT_COUNT);
	bind_text(st, 1, hostname);
	code = each_row(s, st, count_row, count, err);
	pthread_mutex_unlock(&s->db_lock);
	return code;
}

enum au_status
store_audit_add(
    struct store *s, const struct store_audit *a, struct au_err *err)
{
	sqlite3_stmt  *st;
	enum au_status code;

	pthread_mutex_lock(&s->db_lock);
	st = prep(s, S_AUDIT_ADD);
	sqlite3_bind_int64(st, 1,
	    (sqlite3_int64)(a->time_ms != 0 ? a->time_ms : timeutil_wall_ms()));
	bind_text(st, 2, a->who);
	bind_text(st, 3, a->action);
	bind_text(st, 4, a->detail);
	code = commit_one(s, st, "audit", NULL, err);
	pthread_mutex_unlock(&s->db_lock);
	return code;
}

static int
audit_row(sqlite3_stmt *st, void *arg)
{
	struct row_cb     *cb = arg;
	struct store_audit a;

	a.time_ms = (uint64_t)sqlite3_column_int64(st, 0);
	a.who = col_text(st, 1);
	a.action = col_text(st, 2);
	a.detail = col_text(st, 3);
	return ((store_audit_fn)cb->fn)(cb->arg, &a);
}

enum au_status
store_audit_list(struct store *s, uint64_t since_ms, uint32_t limit,
    store_audit_fn fn, void *arg, struct au_err *err)
{
	struct row_cb  cb = {(void *)fn, arg};
	sqlite3_stmt  *st;
	enum au_status code;

	pthread_mutex_lock(&s->db_lock);
	st = prep(s, S_AUDIT_LIST);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)since_ms);
	sqlite3_bind_int64(st, 2, limit != 0 ? (sqlite3_int64)limit : -1);
	code = each_row(s, st, audit_row, &cb, err);
	pthread_mutex_unlock(&s->db_lock);
	return code;
}

/* ------------------------------------------------------------ retries */

enum au_status
store_retry_put(
    struct store *s, const struct store_retry *r, size_t n, struct au_err *err)
{
	sqlite3_stmt  *st;
	enum au_status code;
	size_t         i;

	pthread_mutex_lock(&s->db_lock);
	code = txn(s, S_BEGIN, err);
	for (i = 0; code == AU_OK && i < n; i++) {
		st = prep(s, S_RETRY_PUT);
		bind_text(st, 1, r[i].agent);
		sqlite3_bind_int(st, 2, r[i].kind);
		bind_text(st, 3, r[i].match != NULL ? r[i].match : "");
		sqlite3_bind_int64(st, 4, (sqlite3_int64)r[i].token);
		code = step_done(s, st, "retry", err);
	}
	code = txn_end(s, code, err);
	pthread_mutex_unlock(&s->db_lock);
	return code;
}

static int
retry_row(sqlite3_stmt *st, void *arg)
{
	struct row_cb     *cb = arg;
	struct store_retry r;

	r.agent = col_text(st, 0);
	r.kind = sqlite3_column_int(st, 1);
	r.match = col_text(st, 2);
	r.token = (uint64_t)sqlite3_column_int64(st, 3);
	return ((store_retry_fn)cb->fn)(cb->arg, &r);
}

enum au_status
store_retries_load(
    struct store *s, store_retry_fn fn, void *arg, struct au_err *err)
{
	return load_all(s, S_RETRIES_ALL, retry_row, (void *)fn, arg, err);
}

enum au_status
store_reports_host(struct store *s, const char *hostname, uint32_t per_agent,
    store_report_fn fn, void *arg, struct au_err *err)
{
	struct row_cb  cb = {(void *)fn, arg};
	sqlite3_stmt  *st;
	enum au_status code;

	pthread_mutex_lock(&s->db_lock);
	st = prep(s, S_REPORTS_HOST);
	bind_text(st, 1, hostname);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)per_agent);
	code = each_row(s, st, report_row, &cb, err);
	pthread_mutex_unlock(&s->db_lock);
	return code;
}

/* ------------------------------------------------------------ rollouts */

enum au_status
store_rollout_add(struct store *s, const struct store_rollout *r, uint64_t *id,
    struct au_err *err)
{
	sqlite3_stmt  *st;
	enum au_status code;

	pthread_mutex_lock(&s->db_lock);
	st = prep(s, S_ROLLOUT_ADD);
	bind_text(st, 1, r->agent);
	bind_text(st, 2, r->version);
	sqlite3_bind_int(st, 3, r->state);
	bind_text(st, 4, r->waves);
	sqlite3_bind_int(st, 5, (int)r->wave);
	bind_text(st, 6, r->thresholds);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)r->bake_ms);
	sqlite3_bind_int(st, 8, (int)r->max_failed);
	sqlite3_bind_int(st, 9, r->max_failed_percent);
	sqlite3_bind_int(st, 10, (int)r->same_error);
	bind_text(st, 11, r->prefix != NULL ? r->prefix : "");
	bind_text(st, 12, r->reason);
	bind_text(st, 13, r->previous_version);
	sqlite3_bind_int64(st, 14, (sqlite3_int64)r->created_ms);
	bind_text(st, 15, r->created_by);
	sqlite3_bind_int64(st, 16, (sqlite3_int64)r->updated_ms);
	bind_text(st, 17, r->wave_started_ms);
	sqlite3_bind_int64(st, 18, (sqlite3_int64)r->bake_started_ms);
	code = commit_one(s, st, "rollout", NULL, err);
	*id = code == AU_OK ? (uint64_t)sqlite3_last_insert_rowid(s->db) : 0;
	pthread_mutex_unlock(&s->db_lock);
	return code;
}

enum au_status
store_rollout_update(struct store *s, const struct store_rollout *r,
    int old_state, uint32_t old_wave, int *changed, struct au_err *err)
{
	sqlite3_stmt  *st;
	enum au_status code;

	*changed = 0;
	pthread_mutex_lock(&s->db_lock);
	st = prep(s, S_ROLLOUT_UPDATE);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)r->id);
	sqlite3_bind_int(st, 2, r->state);
	sqlite3_bind_int(st, 3, (int)r->wave);
	bind_text(st, 4, r->thresholds);
	bind_text(st, 5, r->reason);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)r->updated_ms);
	bind_text(st, 7, r->wave_started_ms);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)r->bake_started_ms);
	sqlite3_bind_int(st, 9, old_state);
	sqlite3_bind_int(st, 10, (int)old_wave);
	code = commit_one(s, st, "rollout", changed, err);
	pthread_mutex_unlock(&s->db_lock);
	return code;
}

static int
rollout_row(sqlite3_stmt *st, void *arg)
{
	struct row_cb       *cb = arg;
	struct store_rollout r;

	r.id = (uint64_t)sqlite3_column_int64(st, 0);
	r.agent = col_text(st, 1);
	r.version = col_text(st, 2);
	r.state = sqlite3_column_int(st, 3);
	r.waves = col_text(st, 4);
	r.wave = (uint32_t)sqlite3_column_int(st, 5);
	r.thresholds = col_text(st, 6);
	r.bake_ms = (uint64_t)sqlite3_column_int64(st, 7);
	r.max_failed = (uint32_t)sqlite3_column_int(st, 8);
	r.max_failed_percent = sqlite3_column_int(st, 9);
	r.same_error = (uint32_t)sqlite3_column_int(st, 10);
	r.prefix = col_text(st, 11);
	r.reason = col_text(st, 12);
	r.previous_version = col_text(st, 13);
	r.created_ms = (uint64_t)sqlite3_column_int64(st, 14);
	r.created_by = col_text(st, 15);
	r.updated_ms = (uint64_t)sqlite3_column_int64(st, 16);
	r.wave_started_ms = col_text(st, 17);
	r.bake_started_ms = (uint64_t)sqlite3_column_int64(st, 18);
	return ((store_rollout_fn)cb->fn)(cb->arg, &r);
}

enum au_status
store_rollouts_load(
    struct store *s, store_rollout_fn fn, void *arg, struct au_err *err)
{
	return load_all(s, S_ROLLOUTS_ALL, rollout_row, (void *)fn, arg, err);
}
