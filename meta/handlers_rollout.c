/* SPDX-License-Identifier: MIT */
/*
 * handlers_rollout: the admin service's phased rollouts.  RolloutStart
 * checks the request (names, waves, limits, a prefix-only selector, the
 * package) and starts one; RolloutStatus shows the active ones (and with
 * `all` the finished ones), newest first, with per-wave counts and the
 * top failure signatures; RolloutControl pauses, resumes or aborts the
 * agent's active one.  Each change is durable, then audited with the
 * caller's name, then answered; the rollout logic is in
 * inventory_rollout.c and wave.c.
 */
#include "handlers_rollout.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "blobs.h"
#include "handlers_admin.h"
#include "inventory_rollout.h"
#include "meta.h"
#include "timeutil.h"

#define ADMIN_SVC(s) (((struct meta_admin_service *)(s))->meta)
#define DEFAULT_BAKE_MS (10 * 60 * 1000)
#define DEFAULT_MAX_FAILED 5 /* percent */
#define DEFAULT_SAME_ERROR 3
#define MAX_BAKE_MS (7ULL * 24 * 3600 * 1000)
#define STATUS_MAX 1000 /* rollouts per RolloutStatus reply */

static const uint32_t default_waves[] = {1, 10, 50, 100};

struct msg_list {
	struct arena     *a;
	Au__V1__Rollout **v;
	size_t            n, cap;
};

static char            *astr(struct arena *a, const char *s);
static Au__V1__Rollout *rollout_msg(
    struct arena *a, const struct inv_rollout_view *v);

/* ------------------------------------------------------------ messages */

static char *
astr(struct arena *a, const char *s)
{
	return s != NULL ? arena_str(a, s) : NULL;
}

static Au__V1__RolloutWave *
wave_msg(struct arena *a, const struct inv_rollout_wave *w, int counts)
{
	Au__V1__RolloutWave *o = arena_alloc(a, sizeof(*o));

	if (o == NULL)
		return NULL;
	au__v1__rollout_wave__init(o);
	o->percent = w->percent;
	o->has_started_ms = 1;
	o->started_ms = w->started_ms;
	if (!counts)
		return o;
	o->has_hosts = o->has_converged = o->has_failed = 1;
	o->has_pending = o->has_stale = 1;
	o->hosts = w->hosts;
	o->converged = w->converged;
	o->failed = w->failed;
	o->pending = w->pending;
	o->stale = w->stale;
	return o;
}

static Au__V1__FailureSignature *
sig_msg(struct arena *a, const struct inv_rollout_sig *s)
{
	Au__V1__FailureSignature *o = arena_alloc(a, sizeof(*o));

	if (o == NULL)
		return NULL;
	au__v1__failure_signature__init(o);
	o->signature = astr(a, s->signature);
	o->hosts = s->hosts;
	o->sample_host = astr(a, s->sample_host);
	o->sample_message = astr(a, s->sample_message);
	return o->signature != NULL ? o : NULL;
}

static int
rollout_lists(
    struct arena *a, const struct inv_rollout_view *v, Au__V1__Rollout *o)
{
	size_t i;

	o->waves = arena_alloc(a, (v->nwaves + 1) * sizeof(*o->waves));
	o->wave_stats =
	    arena_alloc(a, (v->nwaves + 1) * sizeof(*o->wave_stats));
	o->signatures = arena_alloc(a, (v->nsigs + 1) * sizeof(*o->signatures));
	if (o->waves == NULL || o->wave_stats == NULL || o->signatures == NULL)
		return -1;
	for (i = 0; i < v->nwaves; i++) {
		o->waves[i] = v->waves[i].percent;
		if ((o->wave_stats[i] = wave_msg(a, &v->waves[i], v->counts)) ==
		    NULL)
			return -1;
	}
	o->n_waves = o->n_wave_stats = v->nwaves;
	for (i = 0; i < v->nsigs; i++)
		if ((o->signatures[i] = sig_msg(a, &v->sigs[i])) == NULL)
			return -1;
	o->n_signatures = v->nsigs;
	return 0;
}

static Au__V1__Rollout *
rollout_msg(struct arena *a, const struct inv_rollout_view *v)
{
	Au__V1__Rollout *o = arena_alloc(a, sizeof(*o));

	if (o == NULL)
		return NULL;
	au__v1__rollout__init(o);
	o->id = v->id;
	o->agent = astr(a, v->agent);
	o->version = astr(a, v->version);
	o->state = (Au__V1__RolloutState)v->state;
	o->has_wave = o->has_bake_ms = o->has_max_failed = 1;
	o->has_max_failed_percent = o->has_same_error = 1;
	o->has_created_ms = o->has_updated_ms = o->has_bake_started_ms = 1;
	o->wave = v->wave;
	o->bake_ms = v->bake_ms;
	o->max_failed = v->lim.max_failed;
	o->max_failed_percent = v->lim.max_failed_percent != 0;
	o->same_error = v->lim.same_error;
	o->prefix = astr(a, v->prefix);
	o->reason = astr(a, v->reason);
	o->previous_version = astr(a, v->previous_version);
	o->created_ms = v->created_ms;
	o->created_by = astr(a, v->created_by);
	o->updated_ms = v->updated_ms;
	o->bake_started_ms = v->bake_started_ms;
	if (o->agent == NULL || o->version == NULL ||
	    rollout_lists(a, v, o) != 0)
		return NULL;
	return o;
}

static int
list_add(void *arg, const struct inv_rollout_view *v)
{
	struct msg_list *l = arg;

	if (l->n == l->cap)
		return 1;
	if ((l->v[l->n] = rollout_msg(l->a, v)) == NULL)
		return 1;
	l->n++;
	return 0;
}

/* The rollout id of agent as a message in a; NULL when gone or oom. */
static Au__V1__Rollout *
rollout_by_id(struct meta *m, struct arena *a, const char *agent, uint64_t id)
{
	Au__V1__Rollout  *one = NULL;
	struct msg_list   l = {a, &one, 0, 1};
	struct inv_policy pol;

	meta_policy(m, &pol, NULL);
	inv_rollouts_each(
	    m->inv, agent, 1, &pol, timeutil_wall_ms(), list_add, &l);
	return one != NULL && one->id == id ? one : NULL;
}

Au__V1__Rollout *
rollout_newest_msg(struct meta *m, struct arena *a, const char *agent)
{
	Au__V1__Rollout  *one = NULL;
	struct msg_list   l = {a, &one, 0, 1};
	struct inv_policy pol;

	meta_policy(m, &pol, NULL);
	inv_rollouts_each(
	    m->inv, agent, 1, &pol, timeutil_wall_ms(), list_add, &l);
	return one;
}

/* Reply with the rollout id of agent (or err), then free the arena. */
static void
reply_rollout(struct meta *m, void *cd, ProtobufCClosure closure,
    const char *agent, uint64_t id, struct au_err *err, int control)
{
	Au__V1__RolloutStartReply   s = AU__V1__ROLLOUT_START_REPLY__INIT;
	Au__V1__RolloutControlReply c = AU__V1__ROLLOUT_CONTROL_REPLY__INIT;
	struct arena                a = {NULL, 0};
	Au__V1__Rollout            *r = NULL;

	if (err->code == AU_OK && (r = rollout_by_id(m, &a, agent, id)) == NULL)
		au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	s.rollout = c.rollout = r;
	meta_reply(cd, closure, control ? (void *)&c : (void *)&s, err);
	arena_free(&a);
}

/* ------------------------------------------------------------ start */

static enum au_status
start_selector(
    const Au__V1__Selector *sel, const char **prefix, struct au_err *err)
{
	*prefix = "";
	if (sel == NULL)
		return AU_OK;
	if (sel->n_hosts > 0 || (sel->has_percent && sel->percent > 0))
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "a rollout selects hosts by prefix only (its waves are"
		    " the percents)");
	if (sel->prefix == NULL || sel->prefix[0] == '\0')
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "selector: empty prefix");
	if (!inv_valid_hostname(sel->prefix))
		return au_err_set(err, AU_INVALID_ARGUMENT, "bad prefix");
	*prefix = sel->prefix;
	return AU_OK;
}

static enum au_status
start_limits(const Au__V1__RolloutStartRequest *in, struct inv_rollout_spec *s,
    struct au_err *err)
{
	s->bake_ms = in->has_bake_ms ? in->bake_ms : DEFAULT_BAKE_MS;
	if (s->bake_ms > MAX_BAKE_MS)
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "bake: at most 7 days");
	s->lim.max_failed = DEFAULT_MAX_FAILED;
	s->lim.max_failed_percent = 1;
	if (in->has_max_failed) {
		s->lim.max_failed = in->max_failed;
		s->lim.max_failed_percent =
		    in->has_max_failed_percent && in->max_failed_percent;
	}
	if (s->lim.max_failed_percent && s->lim.max_failed > 100)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "max-failed: a percent must be 0 to 100");
	s->lim.same_error =
	    in->has_same_error ? in->same_error : DEFAULT_SAME_ERROR;
	return AU_OK;
}

static enum au_status
start_check(struct meta *m, const Au__V1__RolloutStartRequest *in,
    struct inv_rollout_spec *s, struct au_err *err)
{
	uint8_t        hash[SIG_HASH_BYTES];
	uint64_t       size;
	enum au_status code;

	if (!inv_valid_name(in->agent) || !inv_valid_name(in->version))
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "bad agent name or version");
	s->agent = in->agent;
	s->version = in->version;
	s->waves = in->n_waves > 0 ? in->waves : default_waves;
	s->nwaves = in->n_waves > 0 ? in->n_waves : 4;
	if ((code = wave_check(s->waves, s->nwaves, err)) != AU_OK ||
	    (code = start_limits(in, s, err)) != AU_OK ||
	    (code = start_selector(in->selector, &s->prefix, err)) != AU_OK)
		return code;
	if (blobs_lookup(m->blobs, in->agent, in->version, &size, hash) !=
	    AU_OK)
		return au_err_set(err, AU_FAILED_PRECONDITION,
		    "no package %s %s uploaded", in->agent, in->version);
	return AU_OK;
}

static void
start_audit(struct meta *m, const struct inv_rollout_spec *s, uint64_t id)
{
	char     waves[64], detail[512];
	uint64_t v[WAVE_MAX];
	size_t   i;
	int      secs = s->bake_ms % 1000 == 0;

	for (i = 0; i < s->nwaves; i++)
		v[i] = s->waves[i];
	wave_format(v, s->nwaves, waves, sizeof(waves));
	snprintf(detail, sizeof(detail),
	    "rollout %" PRIu64 " %s %s waves %s bake %" PRIu64
	    "%s max-failed %" PRIu32 "%s same-error %" PRIu32 "%s%s",
	    id, s->agent, s->version, waves,
	    secs ? s->bake_ms / 1000 : s->bake_ms, secs ? "s" : "ms",
	    s->lim.max_failed, s->lim.max_failed_percent ? "%" : "",
	    s->lim.same_error, s->prefix[0] != '\0' ? " prefix " : "",
	    s->prefix);
	meta_audit(m, s->who, "rollout-start", detail, NULL);
}

void
admin_rollout_start(Au__V1__AdminService_Service *svc,
    const Au__V1__RolloutStartRequest            *in,
    Au__V1__RolloutStartReply_Closure closure, void *cd)
{
	struct meta            *m = ADMIN_SVC(svc);
	struct inv_rollout_spec s;
	struct au_err           err = AU_ERR_INIT;
	uint64_t                id = 0;

	memset(&s, 0, sizeof(s));
	s.who = rpc_call_caller(cd)->name;
	if (start_check(m, in, &s, &err) == AU_OK &&
	    inv_rollout_start(m->inv, &s, timeutil_wall_ms(), &id, &err) ==
	        AU_OK)
		start_audit(m, &s, id);
	reply_rollout(m, cd, (ProtobufCClosure)closure, in->agent, id, &err, 0);
}

/* ------------------------------------------------------------ status */

void
admin_rollout_status(Au__V1__AdminService_Service *svc,
    const Au__V1__RolloutStatusRequest            *in,
    Au__V1__RolloutStatusReply_Closure closure, void *cd)
{
	struct meta               *m = ADMIN_SVC(svc);
	Au__V1__RolloutStatusReply out = AU__V1__ROLLOUT_STATUS_REPLY__INIT;
	struct arena               a = {NULL, 0};
	struct msg_list            l = {&a, NULL, 0, STATUS_MAX};
	struct au_err              err = AU_ERR_INIT;
	struct inv_policy          pol;
	const char                *agent =
            in->agent != NULL && in->agent[0] != '\0' ? in->agent : NULL;

	if (agent != NULL && !inv_valid_name(agent)) {
		au_err_set(&err, AU_INVALID_ARGUMENT, "bad agent name");
	} else if ((l.v = arena_alloc(&a, STATUS_MAX * sizeof(*l.v))) == NULL) {
		au_err_set(&err, AU_RESOURCE_EXHAUSTED, "out of memory");
	} else {
		meta_policy(m, &pol, NULL);
		out.now_ms = timeutil_wall_ms();
		out.has_now_ms = 1;
		inv_rollouts_each(m->inv, agent, in->has_all && in->all, &pol,
		    out.now_ms, list_add, &l);
		if (a.oom)
			au_err_set(
			    &err, AU_RESOURCE_EXHAUSTED, "out of memory");
	}
	out.rollouts = l.v;
	out.n_rollouts = l.n;
	meta_reply(cd, (ProtobufCClosure)closure, &out, &err);
	arena_free(&a);
}

/* ------------------------------------------------------------ control */

static const char *const op_actions[] = {
    "?", "rollout-pause", "rollout-resume", "rollout-abort"};

void
admin_rollout_control(Au__V1__AdminService_Service *svc,
    const Au__V1__RolloutControlRequest            *in,
    Au__V1__RolloutControlReply_Closure closure, void *cd)
{
	struct meta *m = ADMIN_SVC(svc);
	const char  *who = rpc_call_caller(cd)->name;
	const char  *reason =
            in->reason != NULL && in->reason[0] != '\0' ? in->reason : NULL;
	struct au_err err = AU_ERR_INIT;
	uint64_t      id = 0;
	char          detail[512];

	if (!inv_valid_name(in->agent))
		au_err_set(&err, AU_INVALID_ARGUMENT, "bad agent name");
	else if (in->op < 1 || in->op > 3)
		au_err_set(&err, AU_INVALID_ARGUMENT,
		    "op must be pause, resume or abort");
	else if (reason != NULL && strlen(reason) > 200)
		au_err_set(&err, AU_INVALID_ARGUMENT,
		    "reason: at most 200 characters");
	else if (inv_rollout_control(m->inv, in->agent, (int)in->op, who,
	             reason, timeutil_wall_ms(), &id, &err) == AU_OK) {
		snprintf(detail, sizeof(detail), "rollout %" PRIu64 " %s%s%s",
		    id, in->agent, reason != NULL ? ": " : "",
		    reason != NULL ? reason : "");
		meta_audit(m, who, op_actions[in->op], detail, NULL);
	}
	reply_rollout(m, cd, (ProtobufCClosure)closure, in->agent, id, &err, 1);
}
