/* SPDX-License-Identifier: MIT */
/*
 * handlers_view: the read-only admin handlers: ListRules, ListHosts,
 * Status and Audit.  Each builds its reply in a per-call arena from the
 * inventory or the store and frees it after the RPC layer has packed it.
 * The handlers keep the admin_ names AU__V1__ADMIN_SERVICE__INIT wants.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "handlers_admin.h"
#include "handlers_rollout.h"
#include "rollout.h"
#include "timeutil.h"

#define ADMIN_SVC(s) (((struct meta_admin_service *)(s))->meta)
/* ListHosts: default and largest page, and a byte budget per reply. */
#define LIST_DEFAULT 1000
#define LIST_MAX 5000
#define LIST_BYTES (768 * 1024)
/* Audit: the most entries one reply carries. */
#define AUDIT_MAX 5000

/* Reply out, or AU_RESOURCE_EXHAUSTED when oom; then free the arena the
 * reply was built in. */
static void
reply_free(void *cd, ProtobufCClosure closure, const void *out, int oom,
    struct arena *a)
{
	struct au_err err = AU_ERR_INIT;

	if (oom)
		au_err_set(&err, AU_RESOURCE_EXHAUSTED, "out of memory");
	meta_reply(cd, closure, out, &err);
	arena_free(a);
}

/* ------------------------------------------------------------ rules */

struct rules_list {
	struct arena   a;
	Au__V1__Rule **v;
	size_t         n, cap;
};

static int
rules_add(void *arg, const struct store_rule *r)
{
	struct rules_list *l = arg;
	Au__V1__Rule      *o;
	char               pct[16];

	if (l->n == l->cap) {
		Au__V1__Rule **nv =
		    arena_alloc(&l->a, 2 * (l->cap + 8) * sizeof(*nv));
		if (nv == NULL)
			return 1;
		if (l->n > 0)
			memcpy(nv, l->v, l->n * sizeof(*nv));
		l->v = nv;
		l->cap = 2 * (l->cap + 8);
	}
	if ((o = arena_alloc(&l->a, sizeof(*o))) == NULL)
		return 1;
	au__v1__rule__init(o);
	o->agent = (char *)(uintptr_t)r->agent; /* interned: stable */
	o->kind = (char *)(uintptr_t)rollout_kind_name(r->kind);
	snprintf(pct, sizeof(pct), "%" PRIu32, r->percent);
	o->match = r->kind == ROLLOUT_PERCENT   ? arena_str(&l->a, pct)
	           : r->kind == ROLLOUT_DEFAULT ? NULL
	                                        : (char *)(uintptr_t)r->match;
	o->version = (char *)(uintptr_t)r->version;
	o->action = (Au__V1__Action)r->action;
	o->has_updated_ms = 1;
	o->updated_ms = r->updated_ms;
	o->updated_by = (char *)(uintptr_t)r->updated_by;
	l->v[l->n++] = o;
	return 0;
}

void
admin_list_rules(Au__V1__AdminService_Service *svc,
    const Au__V1__ListRulesRequest *in, Au__V1__ListRulesReply_Closure closure,
    void *cd)
{
	struct meta           *m = ADMIN_SVC(svc);
	Au__V1__ListRulesReply out = AU__V1__LIST_RULES_REPLY__INIT;
	struct rules_list      l;

	memset(&l, 0, sizeof(l));
	inv_rules_each(m->inv,
	    in->agent != NULL && in->agent[0] != '\0' ? in->agent : NULL,
	    rules_add, &l);
	out.n_rules = l.n;
	out.rules = l.v;
	reply_free(cd, (ProtobufCClosure)closure, &out, l.a.oom, &l.a);
}

/* ------------------------------------------------------------ hosts */

struct hosts_list {
	struct arena   a;
	Au__V1__Host **v;
	size_t         n, cap;
	size_t         bytes;
	int            full;
};

static Au__V1__HostAgent *
host_agent(struct arena *a, const struct inv_agent_view *v)
{
	Au__V1__HostAgent *o = arena_alloc(a, sizeof(*o));

	if (o == NULL)
		return NULL;
	au__v1__host_agent__init(o);
	o->name = (char *)(uintptr_t)v->name; /* interned: stable */
	o->version = (char *)(uintptr_t)v->version;
	o->status = (char *)(uintptr_t)v->status;
	o->last_error = arena_str(a, v->last_error);
	o->desired_version = (char *)(uintptr_t)v->desired_version;
	if (v->desired_version != NULL) {
		o->has_desired_action = 1;
		o->desired_action = (Au__V1__Action)v->desired_action;
	}
	o->has_failed = 1;
	o->failed = v->failed;
	o->last_failure = arena_str(a, v->last_failure);
	if (v->last_failure != NULL) {
		o->has_last_failure_ms = 1;
		o->last_failure_ms = v->last_failure_ms;
	}
	return o;
}

static Au__V1__Host *
host_msg(struct arena *a, const struct inv_host_view *v)
{
	Au__V1__Host *o = arena_alloc(a, sizeof(*o));
	size_t        i;

	if (o == NULL)
		return NULL;
	au__v1__host__init(o);
	o->hostname = arena_str(a, v->hostname);
	o->state = (Au__V1__HostState)v->state;
	o->has_last_seen_ms = v->last_seen_ms != 0;
	o->last_seen_ms = v->last_seen_ms;
	o->key_id = arena_str(a, v->key_id);
	o->updater_version = (char *)(uintptr_t)v->updater_version;
	o->has_stale = 1;
	o->stale = v->stale;
	o->has_failed = 1;
	o->failed = v->failed;
	o->agents = arena_alloc(a, (v->nagents + 1) * sizeof(*o->agents));
	if (o->agents == NULL)
		return NULL;
	for (i = 0; i < v->nagents; i++)
		if ((o->agents[i] = host_agent(a, &v->agents[i])) == NULL)
			return NULL;
	o->n_agents = v->nagents;
	return o;
}

static int
hosts_add(void *arg, const struct inv_host_view *v)
{
	struct hosts_list *l = arg;
	Au__V1__Host      *o;

	if ((o = host_msg(&l->a, v)) == NULL)
		return 1;
	l->bytes += au__v1__host__get_packed_size(o) + 4;
	if (l->n > 0 && l->bytes > LIST_BYTES) {
		l->full = 1;
		return 1;
	}
	l->v[l->n++] = o;
	return l->n == l->cap;
}

void
admin_list_hosts(Au__V1__AdminService_Service *svc,
    const Au__V1__ListHostsRequest *in, Au__V1__ListHostsReply_Closure closure,
    void *cd)
{
	struct meta           *m = ADMIN_SVC(svc);
	Au__V1__ListHostsReply out = AU__V1__LIST_HOSTS_REPLY__INIT;
	struct inv_filter      f;
	struct inv_policy      pol;
	struct hosts_list      l;
	uint64_t               now = timeutil_wall_ms();
	int                    more = 0, oom;

	memset(&l, 0, sizeof(l));
	memset(&f, 0, sizeof(f));
	f.failed = in->has_failed && in->failed;
	f.stale = in->has_stale && in->stale;
	f.pending = in->has_pending && in->pending;
	f.agent = in->agent != NULL && in->agent[0] != '\0' ? in->agent : NULL;
	f.prefix =
	    in->prefix != NULL && in->prefix[0] != '\0' ? in->prefix : NULL;
	f.after = in->after != NULL && in->after[0] != '\0' ? in->after : NULL;
	l.cap =
	    in->has_limit && in->limit > 0 && in->limit < LIST_MAX
	        ? in->limit
	        : (in->has_limit && in->limit > 0 ? LIST_MAX : LIST_DEFAULT);
	meta_policy(m, &pol, NULL);
	l.v = arena_alloc(&l.a, l.cap * sizeof(*l.v));
	oom = l.v == NULL ||
	      inv_hosts_each(m->inv, &f, &pol, now, hosts_add, &l, &more) !=
	          AU_OK ||
	      (l.a.oom && !l.full);
	out.n_hosts = l.n;
	out.hosts = l.v;
	out.has_now_ms = 1;
	out.now_ms = now;
	out.has_more = 1;
	out.more = more || l.full;
	reply_free(cd, (ProtobufCClosure)closure, &out, oom, &l.a);
}

/* ------------------------------------------------------------ status */

struct count {
	const char *version; /* interned, or NULL */
	const char *status;
	uint32_t    hosts;
};

struct summary {
	const char   *agent; /* interned */
	const char   *default_version;
	struct count *counts;
	size_t        ncounts;
	uint32_t      total, converged, failed, stale;
};

struct status_acc {
	const char     *only; /* agent filter or NULL */
	struct summary *s;
	size_t          n;
	int             oom;
};

static struct summary *
summary_get(struct status_acc *acc, const char *agent)
{
	struct summary *ns;
	size_t          i;

	for (i = 0; i < acc->n; i++)
		if (strcmp(acc->s[i].agent, agent) == 0)
			return &acc->s[i];
	if ((ns = realloc(acc->s, (acc->n + 1) * sizeof(*ns))) == NULL) {
		acc->oom = 1;
		return NULL;
	}
	acc->s = ns;
	memset(&ns[acc->n], 0, sizeof(ns[0]));
	ns[acc->n].agent = agent;
	return &ns[acc->n++];
}

static void
count_add(struct status_acc *acc, struct summary *s, const char *version,
    const char *status)
{
	struct count *nc;
	size_t        i;

	for (i = 0; i < s->ncounts; i++)
		if (s->counts[i].version == version &&
		    s->counts[i].status == status) {
			s->counts[i].hosts++;
			return;
		}
	if ((nc = realloc(s->counts, (s->ncounts + 1) * sizeof(*nc))) == NULL) {
		acc->oom = 1;
		return;
	}
	s->counts = nc;
	nc[s->ncounts++] = (struct count){version, status, 1};
}

static int
view_converged(const struct inv_agent_view *a)
{
	if (a->desired_version == NULL)
		return 1;
	if (a->desired_action == ROLLOUT_STOP)
		return a->version == NULL ||
		       (a->status != NULL && strcmp(a->status, "stopped") == 0);
	return a->version != NULL &&
	       strcmp(a->version, a->desired_version) == 0 &&
	       a->status != NULL && strcmp(a->status, "started") == 0;
}

static int
status_host(void *arg, const struct inv_host_view *h)
{
	struct status_acc *acc = arg;
	struct summary    *s;
	size_t             i;

	if (h->state != STORE_HOST_ACCEPTED)
		return 0;
	for (i = 0; i < h->nagents; i++) {
		const struct inv_agent_view *a = &h->agents[i];

		if (acc->only != NULL && strcmp(acc->only, a->name) != 0)
			continue;
		if ((s = summary_get(acc, a->name)) == NULL)
			return 1;
		s->total++;
		s->converged += a->desired_version != NULL && view_converged(a);
		s->failed += a->failed;
		s->stale += h->stale;
		count_add(acc, s, a->version, a->status);
	}
	return acc->oom;
}

static int
status_default(void *arg, const struct store_rule *r)
{
	struct status_acc *acc = arg;
	struct summary    *s;

	if (r->kind != ROLLOUT_DEFAULT)
		return 0;
	if ((s = summary_get(acc, r->agent)) != NULL)
		s->default_version = r->version;
	return acc->oom;
}

static int
summary_msg(struct arena *a, const struct summary *s, Au__V1__AgentSummary *o)
{
	size_t i;

	au__v1__agent_summary__init(o);
	o->agent = (char *)(uintptr_t)s->agent;
	o->default_version = (char *)(uintptr_t)s->default_version;
	o->has_hosts_total = o->has_hosts_converged = 1;
	o->has_hosts_failed = o->has_hosts_stale = 1;
	o->hosts_total = s->total;
	o->hosts_converged = s->converged;
	o->hosts_failed = s->failed;
	o->hosts_stale = s->stale;
	o->counts = arena_alloc(a, (s->ncounts + 1) * sizeof(*o->counts));
	if (o->counts == NULL)
		return -1;
	for (i = 0; i < s->ncounts; i++) {
		Au__V1__AgentVersionCount *c = arena_alloc(a, sizeof(*c));

		if (c == NULL)
			return -1;
		au__v1__agent_version_count__init(c);
		c->version = (char *)(uintptr_t)(s->counts[i].version != NULL
		                                     ? s->counts[i].version
		                                     : "");
		c->status = (char *)(uintptr_t)(s->counts[i].status != NULL
		                                    ? s->counts[i].status
		                                    : "");
		c->hosts = s->counts[i].hosts;
		o->counts[i] = c;
	}
	o->n_counts = s->ncounts;
	return 0;
}

static int
summary_cmp(const void *a, const void *b)
{
	return strcmp(((const struct summary *)a)->agent,
	    ((const struct summary *)b)->agent);
}

static void
status_free(struct status_acc *acc)
{
	size_t i;

	for (i = 0; i < acc->n; i++)
		free(acc->s[i].counts);
	free(acc->s);
}

void
admin_status(Au__V1__AdminService_Service *svc, const Au__V1__StatusRequest *in,
    Au__V1__StatusReply_Closure closure, void *cd)
{
	struct meta        *m = ADMIN_SVC(svc);
	Au__V1__StatusReply out = AU__V1__STATUS_REPLY__INIT;
	struct status_acc   acc = {NULL, NULL, 0, 0};
	struct inv_filter   f;
	struct inv_policy   pol;
	struct arena        a = {NULL, 0};
	size_t              i;
	int                 more = 0;

	acc.only = in->agent != NULL && in->agent[0] != '\0' ? in->agent : NULL;
	memset(&f, 0, sizeof(f));
	meta_policy(m, &pol, NULL);
	inv_rules_each(m->inv, acc.only, status_default, &acc);
	if (inv_hosts_each(m->inv, &f, &pol, timeutil_wall_ms(), status_host,
	        &acc, &more) != AU_OK)
		acc.oom = 1;
	if (acc.n > 1)
		qsort(acc.s, acc.n, sizeof(acc.s[0]), summary_cmp);
	out.agents = arena_alloc(&a, (acc.n + 1) * sizeof(*out.agents));
	for (i = 0; out.agents != NULL && i < acc.n && !acc.oom; i++) {
		out.agents[i] = arena_alloc(&a, sizeof(*out.agents[i]));
		if (out.agents[i] == NULL ||
		    summary_msg(&a, &acc.s[i], out.agents[i]) != 0)
			acc.oom = 1;
		else /* the agent's newest rollout */
			out.agents[i]->rollout =
			    rollout_newest_msg(m, &a, acc.s[i].agent);
	}
	out.n_agents = acc.n;
	reply_free(cd, (ProtobufCClosure)closure, &out, acc.oom || a.oom, &a);
	status_free(&acc);
}

/* ------------------------------------------------------------ audit */

struct audit_list {
	struct arena         a;
	Au__V1__AuditEntry **v;
	size_t               n, cap;
};

static int
audit_add(void *arg, const struct store_audit *e)
{
	struct audit_list  *l = arg;
	Au__V1__AuditEntry *o;

	if (l->n == l->cap)
		return 1;
	if ((o = arena_alloc(&l->a, sizeof(*o))) == NULL)
		return 1;
	au__v1__audit_entry__init(o);
	o->time_ms = e->time_ms;
	o->who = arena_str(&l->a, e->who);
	o->action = arena_str(&l->a, e->action);
	o->detail = arena_str(&l->a, e->detail);
	l->v[l->n++] = o;
	return 0;
}

void
admin_audit(Au__V1__AdminService_Service *svc, const Au__V1__AuditRequest *in,
    Au__V1__AuditReply_Closure closure, void *cd)
{
	struct meta       *m = ADMIN_SVC(svc);
	Au__V1__AuditReply out = AU__V1__AUDIT_REPLY__INIT;
	struct audit_list  l;
	struct au_err      err = AU_ERR_INIT;

	memset(&l, 0, sizeof(l));
	l.cap = in->has_limit && in->limit > 0 && in->limit < AUDIT_MAX
	            ? in->limit
	            : AUDIT_MAX;
	l.v = arena_alloc(&l.a, l.cap * sizeof(*l.v));
	if (l.v == NULL) {
		au_err_set(&err, AU_RESOURCE_EXHAUSTED, "out of memory");
	} else {
		store_audit_list(m->store, in->has_since_ms ? in->since_ms : 0,
		    (uint32_t)l.cap, audit_add, &l, &err);
		if (err.code == AU_OK && l.a.oom)
			au_err_set(
			    &err, AU_RESOURCE_EXHAUSTED, "out of memory");
	}
	out.n_entries = l.n;
	out.entries = l.v;
	meta_reply(cd, (ProtobufCClosure)closure, &out, &err);
	arena_free(&l.a);
}

/* ------------------------------------------------------------ failures */

void
admin_host_show(Au__V1__AdminService_Service *svc,
    const Au__V1__HostShowRequest *in, Au__V1__HostShowReply_Closure closure,
    void *cd)
{
	struct au_err err = AU_ERR_INIT;

	(void)svc;
	(void)in;
	au_err_set(&err, AU_UNIMPLEMENTED, "hosts show: not implemented yet");
	meta_reply(cd, (ProtobufCClosure)closure, NULL, &err);
}

void
admin_retry(Au__V1__AdminService_Service *svc, const Au__V1__RetryRequest *in,
    Au__V1__RetryReply_Closure closure, void *cd)
{
	struct au_err err = AU_ERR_INIT;

	(void)svc;
	(void)in;
	au_err_set(&err, AU_UNIMPLEMENTED, "retry: not implemented yet");
	meta_reply(cd, (ProtobufCClosure)closure, NULL, &err);
}
