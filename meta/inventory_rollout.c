/* SPDX-License-Identifier: MIT */
/*
 * inventory_rollout: the rollouts in memory (every one loaded, oldest
 * first, and the active ones, at most one per agent, in a short array
 * that heartbeats scan), their durable transitions, starting and
 * controlling them, their views, the ticker thread that bakes, advances
 * and finishes them, and loading them at start.  Membership and counting
 * are in inventory_members.c.
 */
#include "inventory_rollout.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inventory_int.h"
#include "inventory_rollout_int.h"
#include "log.h"
#include "rollout.h"
#include "timeutil.h"

#define TICK_MS 1000
#define RO_LIST_MAX 256 /* a list column's text */

static enum au_status persist(struct inv *inv, struct ro *ro, int state,
    uint32_t wave, struct au_err *err);

/* ------------------------------------------------------------ helpers */

int
inv_rollout_active(int state)
{
	return state == INV_ROLLOUT_RUNNING || state == INV_ROLLOUT_PAUSED ||
	       state == INV_ROLLOUT_HALTED;
}

static const char *const state_names[] = {
    "unknown", "running", "paused", "halted", "done", "aborted"};

const char *
inv_rollout_state_name(int state)
{
	if (state < 0 || state > INV_ROLLOUT_ABORTED)
		state = 0;
	return state_names[state];
}

static void
active_remove(struct inv *inv, struct ro *ro)
{
	struct inv_rollouts *rs = inv->ro;
	size_t               i;

	for (i = 0; i < rs->nactive; i++)
		if (rs->active[i] == ro) {
			rs->active[i] = rs->active[--rs->nactive];
			return;
		}
}

/* Add ro to the lists (active too when it is); -1 when out of memory. */
static int
ro_link(struct inv_rollouts *rs, struct ro *ro)
{
	struct ro **na, **nb;

	if ((na = realloc(rs->all, (rs->nall + 1) * sizeof(*na))) == NULL)
		return -1;
	rs->all = na;
	if ((nb = realloc(rs->active, (rs->nactive + 1) * sizeof(*nb))) == NULL)
		return -1;
	rs->active = nb;
	rs->all[rs->nall++] = ro;
	if (inv_rollout_active(ro->state))
		rs->active[rs->nactive++] = ro;
	return 0;
}

static void
ro_free(struct ro *ro)
{
	if (ro == NULL)
		return;
	free(ro->sigs);
	free(ro);
}

void
ro_audit(
    struct inv *inv, const char *who, const char *action, const char *detail)
{
	struct store_audit a = {timeutil_wall_ms(), who, action, detail};
	struct au_err      err = AU_ERR_INIT;

	if (store_audit_add(inv->st, &a, &err) != AU_OK)
		log_warnx("audit: %s %s %s: %s", who, action, detail,
		    au_err_str(&err));
	else
		log_info("audit: %s: %s %s", who, action, detail);
}

/* ------------------------------------------------------------ transitions */

/* ro as a row; the lists go into the three buffers of RO_LIST_MAX. */
static void
row_of(const struct ro *ro, struct store_rollout *r, char *waves, char *thr,
    char *started)
{
	const size_t sz = RO_LIST_MAX;
	uint64_t     v[WAVE_MAX];
	size_t       i;

	for (i = 0; i < ro->nwaves; i++)
		v[i] = ro->waves[i];
	wave_format(v, ro->nwaves, waves, sz);
	for (i = 0; i <= ro->wave; i++)
		v[i] = ro->thr[i];
	wave_format(v, (size_t)ro->wave + 1, thr, sz);
	wave_format(ro->started, (size_t)ro->wave + 1, started, sz);
	*r = (struct store_rollout){ro->id, ro->agent, ro->version, ro->state,
	    waves, ro->wave, thr, ro->bake_ms, ro->lim.max_failed,
	    ro->lim.max_failed_percent, ro->lim.same_error, ro->prefix,
	    inv_nonempty(ro->reason), ro->previous, ro->created_ms,
	    ro->created_by, ro->updated_ms, started, ro->bake_started_ms};
}

/*
 * Write ro as it is now, moving the stored row from (state, wave): the
 * in-memory ro already holds the new values.  0 rows changed means
 * another meta sharing the store made this transition first: AU_ABORTED.
 */
static enum au_status
persist(struct inv *inv, struct ro *ro, int state, uint32_t wave,
    struct au_err *err)
{
	struct store_rollout r;
	enum au_status       code;
	char                 w[RO_LIST_MAX], t[RO_LIST_MAX], s[RO_LIST_MAX];
	int                  changed = 0;

	row_of(ro, &r, w, t, s);
	code = store_rollout_update(inv->st, &r, state, wave, &changed, err);
	if (code == AU_OK && !changed)
		code = au_err_set(err, AU_ABORTED,
		    "rollout %" PRIu64 ": changed by another meta", ro->id);
	return code;
}

/* Move ro to state (reason may be NULL), durably; memory follows the
 * store: on failure ro is as it was. */
enum au_status
ro_transition(struct inv *inv, struct ro *ro, int state, const char *reason,
    uint64_t now, struct au_err *err)
{
	struct ro      old = *ro;
	enum au_status code;

	ro->state = state;
	ro->updated_ms = now;
	snprintf(
	    ro->reason, sizeof(ro->reason), "%s", reason != NULL ? reason : "");
	if ((code = persist(inv, ro, old.state, old.wave, err)) != AU_OK) {
		ro->state = old.state;
		ro->updated_ms = old.updated_ms;
		memcpy(ro->reason, old.reason, sizeof(ro->reason));
		return code;
	}
	if (!inv_rollout_active(state)) {
		active_remove(inv, ro);
		ro_members_clear(inv, ro);
	}
	return AU_OK;
}

/* ------------------------------------------------------------ start */

/* The version agent's default rule starts, NULL when none does. */
static const char *
default_version(const struct inv *inv, const char *agent)
{
	size_t i;

	/* A default that stops the agent has no version to go back to. */
	for (i = 0; i < inv->nrules; i++)
		if (inv->rules[i].kind == ROLLOUT_DEFAULT &&
		    inv->rules[i].action == ROLLOUT_START &&
		    strcmp(inv->rules[i].agent, agent) == 0)
			return inv->rules[i].version;
	return NULL;
}

static struct ro *
ro_from_spec(struct inv *inv, const struct inv_rollout_spec *s, uint64_t now)
{
	struct ro *ro = calloc(1, sizeof(*ro));
	int        oom = 0;

	if (ro == NULL)
		return NULL;
	ro->agent = inv_intern(&inv->pool, s->agent, &oom);
	ro->version = inv_intern(&inv->pool, s->version, &oom);
	ro->previous = default_version(inv, s->agent);
	if (oom) {
		free(ro);
		return NULL;
	}
	ro->state = INV_ROLLOUT_RUNNING;
	memcpy(ro->waves, s->waves, s->nwaves * sizeof(ro->waves[0]));
	ro->nwaves = s->nwaves;
	ro->bake_ms = s->bake_ms;
	ro->lim = s->lim;
	snprintf(ro->prefix, sizeof(ro->prefix), "%s",
	    s->prefix != NULL ? s->prefix : "");
	snprintf(ro->created_by, sizeof(ro->created_by), "%s", s->who);
	ro->created_ms = ro->updated_ms = ro->started[0] = now;
	return ro;
}

static enum au_status
ro_insert(struct inv *inv, struct ro *ro, struct au_err *err)
{
	struct store_rollout r;
	char                 w[RO_LIST_MAX], t[RO_LIST_MAX], s[RO_LIST_MAX];

	row_of(ro, &r, w, t, s);
	return store_rollout_add(inv->st, &r, &ro->id, err);
}

enum au_status
inv_rollout_start(struct inv *inv, const struct inv_rollout_spec *s,
    uint64_t now_ms, uint64_t *id, struct au_err *err)
{
	struct ro     *ro = NULL, *other;
	enum au_status code = AU_OK;

	*id = 0;
	pthread_mutex_lock(&inv->lock);
	if ((other = ro_active_for(inv, s->agent)) != NULL) {
		code = au_err_set(err, AU_FAILED_PRECONDITION,
		    "rollout %" PRIu64 " of %s is %s: pause, abort or wait for"
		    " it",
		    other->id, other->agent,
		    inv_rollout_state_name(other->state));
		goto out;
	}
	if ((ro = ro_from_spec(inv, s, now_ms)) == NULL) {
		code = au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	if ((code = ro_threshold_set(inv, ro, 0, err)) != AU_OK ||
	    (code = ro_insert(inv, ro, err)) != AU_OK)
		goto out;
	if (ro_link(inv->ro, ro) != 0) {
		/* Stored: the next start of meta takes it up. */
		code = au_err_set(err, AU_RESOURCE_EXHAUSTED,
		    "rollout %" PRIu64 ": out of memory", ro->id);
		goto out;
	}
	*id = ro->id;
	ro->counted = 1;
	ro_members_pass(inv, ro);
	log_info("rollout %" PRIu64 " %s %s: started: wave 1 (%" PRIu32
	         "%%): %" PRIu32 " host%s",
	    ro->id, ro->agent, ro->version, ro->waves[0], ro->members,
	    ro->members == 1 ? "" : "s");
	ro = NULL;
out:
	pthread_mutex_unlock(&inv->lock);
	ro_free(ro);
	return code;
}

/* ------------------------------------------------------------ control */

/* Put ro's previous default version back when the default changed. */
static enum au_status
restore_default(struct inv *inv, struct ro *ro, const char *who, uint64_t now,
    struct au_err *err)
{
	struct store_rule r = {ro->agent, ROLLOUT_DEFAULT, "", 0, ro->previous,
	    ROLLOUT_START, now, who};
	const char       *cur = default_version(inv, ro->agent);
	enum au_status    code;
	char              detail[256];

	if (ro->previous == NULL || cur == ro->previous)
		return AU_OK;
	if ((code = inv_rule_set_locked(inv, &r, err)) != AU_OK)
		return code;
	snprintf(detail, sizeof(detail),
	    "%s %s start default (abort of rollout %" PRIu64 ")", ro->agent,
	    ro->previous, ro->id);
	ro_audit(inv, who, "set-version", detail);
	return AU_OK;
}

static enum au_status
control_op(struct inv *inv, struct ro *ro, int op, const char *who,
    const char *reason, uint64_t now, struct au_err *err)
{
	const char *st = inv_rollout_state_name(ro->state);
	int         ok;

	ok = op == INV_ROLLOUT_PAUSE    ? ro->state == INV_ROLLOUT_RUNNING
	     : op == INV_ROLLOUT_RESUME ? ro->state != INV_ROLLOUT_RUNNING
	                                : 1;
	if (op < INV_ROLLOUT_PAUSE || op > INV_ROLLOUT_ABORT)
		return au_err_set(err, AU_INVALID_ARGUMENT, "unknown op");
	if (!ok)
		return au_err_set(err, AU_FAILED_PRECONDITION,
		    "rollout %" PRIu64 " of %s is %s", ro->id, ro->agent, st);
	if (op == INV_ROLLOUT_PAUSE)
		return ro_transition(
		    inv, ro, INV_ROLLOUT_PAUSED, reason, now, err);
	if (op == INV_ROLLOUT_RESUME)
		return ro_transition(
		    inv, ro, INV_ROLLOUT_RUNNING, reason, now, err);
	if (restore_default(inv, ro, who, now, err) != AU_OK)
		return err != NULL ? err->code : AU_INTERNAL;
	return ro_transition(inv, ro, INV_ROLLOUT_ABORTED, reason, now, err);
}

enum au_status
inv_rollout_control(struct inv *inv, const char *agent, int op, const char *who,
    const char *reason, uint64_t now_ms, uint64_t *id, struct au_err *err)
{
	struct ro     *ro;
	enum au_status code;

	*id = 0;
	pthread_mutex_lock(&inv->lock);
	if ((ro = ro_active_for(inv, agent)) == NULL) {
		code = au_err_set(
		    err, AU_NOT_FOUND, "no active rollout of %s", agent);
	} else {
		*id = ro->id;
		code = control_op(inv, ro, op, who, reason, now_ms, err);
	}
	pthread_mutex_unlock(&inv->lock);
	return code;
}

/* ------------------------------------------------------------ views */

static int
sig_cmp(const void *a, const void *b)
{
	const struct ro_sig *x = *(const struct ro_sig *const *)a;
	const struct ro_sig *y = *(const struct ro_sig *const *)b;

	if (x->hosts != y->hosts)
		return x->hosts > y->hosts ? -1 : 1;
	return strcmp(x->text, y->text);
}

static void
view_sigs(const struct ro *ro, struct inv_rollout_view *v)
{
	const struct ro_sig *top[RO_SIGS_MAX];
	size_t               i, n = 0;

	for (i = 0; i < ro->nsigs; i++)
		if (ro->sigs[i].hosts > 0)
			top[n++] = &ro->sigs[i];
	qsort(top, n, sizeof(top[0]), sig_cmp);
	for (i = 0; i < n && i < INV_ROLLOUT_SIGS; i++)
		v->sigs[i] = (struct inv_rollout_sig){top[i]->text,
		    top[i]->hosts, top[i]->sample_host, top[i]->sample_msg};
	v->nsigs = i;
}

/* Stale members, per wave: a scan of the fleet. */
static void
view_stale(const struct inv *inv, const struct ro *ro,
    struct inv_rollout_view *v, const struct inv_policy *pol, uint64_t now)
{
	const struct inv_ro_member *m;
	struct inv_host            *h;
	size_t                      i;

	for (i = 0; i < inv->cap; i++)
		for (h = inv->by_name[i]; h != NULL; h = h->next_name)
			if ((m = ro_member_find(h, ro)) != NULL &&
			    inv_host_stale(h, pol, now))
				v->waves[m->wave].stale++;
}

static void
view_of(const struct inv *inv, const struct ro *ro, struct inv_rollout_view *v,
    const struct inv_policy *pol, uint64_t now)
{
	size_t i;

	*v = (struct inv_rollout_view){.id = ro->id,
	    .agent = ro->agent,
	    .version = ro->version,
	    .state = ro->state,
	    .wave = ro->wave,
	    .nwaves = ro->nwaves,
	    .bake_ms = ro->bake_ms,
	    .bake_started_ms = ro->bake_started_ms,
	    .lim = ro->lim,
	    .prefix = ro->prefix,
	    .reason = inv_nonempty(ro->reason),
	    .previous_version = ro->previous,
	    .created_ms = ro->created_ms,
	    .updated_ms = ro->updated_ms,
	    .created_by = ro->created_by,
	    .counts = ro->counted};
	for (i = 0; i < ro->nwaves; i++) {
		v->waves[i].percent = ro->waves[i];
		v->waves[i].started_ms = i <= ro->wave ? ro->started[i] : 0;
		if (!v->counts)
			continue;
		v->waves[i].converged = ro->cnt[i][C_CONVERGED];
		v->waves[i].failed = ro->cnt[i][C_FAILED];
		v->waves[i].pending = ro->cnt[i][C_PENDING];
		v->waves[i].hosts = v->waves[i].converged + v->waves[i].failed +
		                    v->waves[i].pending;
	}
	if (!v->counts)
		return;
	view_sigs(ro, v);
	if (inv_rollout_active(ro->state))
		view_stale(inv, ro, v, pol, now);
}

void
inv_rollouts_each(struct inv *inv, const char *agent, int all,
    const struct inv_policy *pol, uint64_t now_ms, inv_rollout_fn fn, void *arg)
{
	struct inv_rollout_view *v = malloc(sizeof(*v));
	const struct ro         *ro;
	size_t                   i;

	if (v == NULL)
		return;
	pthread_mutex_lock(&inv->lock);
	for (i = inv->ro != NULL ? inv->ro->nall : 0; i > 0; i--) {
		ro = inv->ro->all[i - 1];
		if (agent != NULL && strcmp(ro->agent, agent) != 0)
			continue;
		if (!all && !inv_rollout_active(ro->state))
			continue;
		view_of(inv, ro, v, pol, now_ms);
		if (fn(arg, v) != 0)
			break;
	}
	pthread_mutex_unlock(&inv->lock);
	free(v);
}

/* ------------------------------------------------------------ ticker */

/* Every member settled and baked: the next wave, or done. */
static void
advance(struct inv *inv, struct ro *ro, uint64_t now)
{
	struct ro     old = *ro;
	struct au_err err = AU_ERR_INIT;
	char          detail[256];

	ro->wave++;
	ro->started[ro->wave] = now;
	ro->bake_started_ms = 0;
	ro->updated_ms = now;
	if (ro_threshold_set(inv, ro, ro->wave, &err) != AU_OK ||
	    persist(inv, ro, old.state, old.wave, &err) != AU_OK) {
		ro->wave = old.wave;
		ro->bake_started_ms = old.bake_started_ms;
		ro->updated_ms = old.updated_ms;
		log_warnx("rollout %" PRIu64 " %s %s: advance: %s", ro->id,
		    ro->agent, ro->version, au_err_str(&err));
		return;
	}
	ro_members_pass(inv, ro);
	snprintf(detail, sizeof(detail),
	    "rollout %" PRIu64 " %s %s: wave %" PRIu32 " (%" PRIu32
	    "%%): %" PRIu32 " hosts",
	    ro->id, ro->agent, ro->version, ro->wave + 1, ro->waves[ro->wave],
	    ro->members);
	ro_audit(inv, RO_WHO, "rollout-advance", detail);
}

/* The last wave baked: the version becomes the agent's default. */
static void
finish(struct inv *inv, struct ro *ro, uint64_t now)
{
	struct store_rule r = {ro->agent, ROLLOUT_DEFAULT, "", 0, ro->version,
	    ROLLOUT_START, now, RO_WHO};
	struct au_err     err = AU_ERR_INIT;
	char              detail[256];

	if (inv_rule_set_locked(inv, &r, &err) != AU_OK ||
	    ro_transition(inv, ro, INV_ROLLOUT_DONE, NULL, now, &err) !=
	        AU_OK) {
		log_warnx("rollout %" PRIu64 " %s %s: finish: %s", ro->id,
		    ro->agent, ro->version, au_err_str(&err));
		return;
	}
	snprintf(detail, sizeof(detail),
	    "%s %s start default (rollout %" PRIu64 ")", ro->agent, ro->version,
	    ro->id);
	ro_audit(inv, RO_WHO, "set-version", detail);
	snprintf(detail, sizeof(detail), "rollout %" PRIu64 " %s %s: done",
	    ro->id, ro->agent, ro->version);
	ro_audit(inv, RO_WHO, "rollout-done", detail);
}

/* Start or stop the bake clock (durable, same state and wave). */
static void
bake_set(struct inv *inv, struct ro *ro, uint64_t started)
{
	uint64_t      old = ro->bake_started_ms;
	struct au_err err = AU_ERR_INIT;

	ro->bake_started_ms = started;
	if (persist(inv, ro, ro->state, ro->wave, &err) != AU_OK) {
		ro->bake_started_ms = old;
		log_warnx("rollout %" PRIu64 " %s: bake: %s", ro->id, ro->agent,
		    au_err_str(&err));
	}
}

static void
tick_one(struct inv *inv, struct ro *ro, uint64_t now)
{
	struct wave_progress p = {ro->wave, ro->nwaves, ro->pending,
	    ro->bake_ms, ro->bake_started_ms};

	switch (wave_next(&p, now)) {
	case WAVE_BAKE_START:
		bake_set(inv, ro, now);
		break;
	case WAVE_BAKE_CLEAR:
		bake_set(inv, ro, 0);
		break;
	case WAVE_ADVANCE:
		advance(inv, ro, now);
		break;
	case WAVE_FINISH:
		finish(inv, ro, now);
		break;
	case WAVE_WAIT:
		break;
	}
}

static void
tick(struct inv *inv)
{
	struct inv_rollouts *rs = inv->ro;
	uint64_t             now = timeutil_wall_ms();
	size_t               i;

	/* finish() takes a rollout off the active list: walk from the end. */
	for (i = rs->nactive; i > 0; i--)
		if (rs->active[i - 1]->state == INV_ROLLOUT_RUNNING)
			tick_one(inv, rs->active[i - 1], now);
}

static void *
ticker_main(void *arg)
{
	struct inv     *inv = arg;
	struct timespec ts;

	pthread_mutex_lock(&inv->lock);
	while (!inv->ro->stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += TICK_MS / 1000;
		while (!inv->ro->stop && pthread_cond_timedwait(&inv->ro->cond,
		                             &inv->lock, &ts) != ETIMEDOUT)
			;
		if (!inv->ro->stop)
			tick(inv);
	}
	pthread_mutex_unlock(&inv->lock);
	return NULL;
}

/* ------------------------------------------------------------ loading */

struct ro_loader {
	struct inv *inv;
	int         bad;
};

static int
ro_parse(struct ro *ro, const struct store_rollout *r)
{
	uint64_t v[WAVE_MAX];
	int      n, k, i;

	if ((n = wave_parse_list(r->waves, v, WAVE_MAX)) <= 0 ||
	    r->wave >= (uint32_t)n)
		return -1;
	for (i = 0; i < n; i++)
		ro->waves[i] = (uint32_t)v[i];
	ro->nwaves = (size_t)n;
	if ((k = wave_parse_list(r->thresholds, v, WAVE_MAX)) !=
	    (int)r->wave + 1)
		return -1;
	for (i = 0; i < k; i++)
		ro->thr[i] = (uint32_t)v[i];
	if (wave_parse_list(r->wave_started_ms, ro->started, WAVE_MAX) != k)
		return -1;
	return 0;
}

static int
load_rollout(void *arg, const struct store_rollout *r)
{
	struct ro_loader *l = arg;
	struct ro        *ro = calloc(1, sizeof(*ro));
	int               oom = 0;

	if (ro == NULL) {
		l->bad = 1;
		return 1;
	}
	*ro = (struct ro){.id = r->id,
	    .state = r->state,
	    .wave = r->wave,
	    .bake_ms = r->bake_ms,
	    .bake_started_ms = r->bake_started_ms,
	    .lim = {r->max_failed, r->max_failed_percent, r->same_error},
	    .created_ms = r->created_ms,
	    .updated_ms = r->updated_ms};
	if (ro_parse(ro, r) != 0) {
		log_warnx("rollout %" PRIu64 ": damaged row, skipped", r->id);
		free(ro);
		return 0;
	}
	ro->agent = inv_intern(&l->inv->pool, r->agent, &oom);
	ro->version = inv_intern(&l->inv->pool, r->version, &oom);
	ro->previous =
	    inv_intern(&l->inv->pool, inv_nonempty(r->previous_version), &oom);
	snprintf(ro->prefix, sizeof(ro->prefix), "%s", r->prefix);
	snprintf(ro->reason, sizeof(ro->reason), "%s",
	    r->reason != NULL ? r->reason : "");
	snprintf(ro->created_by, sizeof(ro->created_by), "%s", r->created_by);
	if (oom || ro_link(l->inv->ro, ro) != 0) {
		ro_free(ro);
		l->bad = 1;
		return 1;
	}
	return 0;
}

/* Failed members learn their signatures from the latest reports. */
static int
load_sig(void *arg, const struct store_report *r)
{
	struct ro_loader     *l = arg;
	struct inv_host      *h = inv_find_name(l->inv, r->hostname);
	struct ro            *ro = ro_active_for(l->inv, r->agent);
	struct inv_ro_member *m;

	if (h == NULL || ro == NULL || (m = ro_member_find(h, ro)) == NULL ||
	    m->cls != C_FAILED || !inv_str_eq(r->version, ro->version))
		return 0;
	inv_rollout_report(l->inv, h, r);
	return 0;
}

static enum au_status
rollouts_load(struct inv *inv, struct au_err *err)
{
	struct ro_loader l = {inv, 0};
	enum au_status   code;
	size_t           i;

	if ((code = store_rollouts_load(inv->st, load_rollout, &l, err)) !=
	    AU_OK)
		return code;
	if (l.bad)
		return au_err_set(err, AU_RESOURCE_EXHAUSTED,
		    "rollouts: out of memory while loading");
	/* Halts wait until the signatures are in. */
	inv->ro->loading = 1;
	for (i = 0; i < inv->ro->nactive; i++) {
		inv->ro->active[i]->counted = 1;
		ro_members_pass(inv, inv->ro->active[i]);
	}
	if (inv->ro->nactive > 0)
		code = store_reports_latest(inv->st, load_sig, &l, err);
	inv->ro->loading = 0;
	for (i = inv->ro->nactive; code == AU_OK && i > 0; i--)
		ro_halt_check_all(inv, inv->ro->active[i - 1]);
	return code;
}

enum au_status
inv_rollouts_start(struct inv *inv, struct au_err *err)
{
	enum au_status code;

	if ((inv->ro = calloc(1, sizeof(*inv->ro))) == NULL)
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	pthread_mutex_lock(&inv->lock);
	code = rollouts_load(inv, err);
	pthread_mutex_unlock(&inv->lock);
	if (code != AU_OK)
		return code;
	pthread_cond_init(&inv->ro->cond, NULL);
	if (pthread_create(&inv->ro->ticker, NULL, ticker_main, inv) != 0) {
		pthread_cond_destroy(&inv->ro->cond);
		return au_err_set(err, AU_RESOURCE_EXHAUSTED,
		    "rollouts: cannot start the ticker thread");
	}
	inv->ro->started = 1;
	return AU_OK;
}

void
inv_rollouts_free(struct inv *inv)
{
	struct inv_rollouts *rs = inv->ro;
	size_t               i;

	if (rs == NULL)
		return;
	if (rs->started) {
		pthread_mutex_lock(&inv->lock);
		rs->stop = 1;
		pthread_cond_signal(&rs->cond);
		pthread_mutex_unlock(&inv->lock);
		pthread_join(rs->ticker, NULL);
		pthread_cond_destroy(&rs->cond);
	}
	for (i = 0; i < rs->nall; i++)
		ro_free(rs->all[i]);
	free(rs->all);
	free(rs->active);
	free(rs);
	inv->ro = NULL;
}
