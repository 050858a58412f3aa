/* SPDX-License-Identifier: MIT */
/*
 * handlers_view: the read-only admin handlers: ListRules, ListHosts,
 * HostShow, Status and Audit.  Each builds its reply in a per-call arena from
 * the inventory or the store and frees it after the RPC layer has packed it.
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
/* HostShow: reports per agent by default and at most. */
#define SHOW_DEFAULT 5
#define SHOW_MAX 100

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

/* Room for one more pointer in *v (n used of *cap), in the arena. */
static int
grow(struct arena *a, void ***v, size_t n, size_t *cap)
{
	void **nv;

	if (n < *cap)
		return 0;
	if ((nv = arena_alloc(a, 2 * (*cap + 8) * sizeof(*nv))) == NULL)
		return -1;
	if (n > 0)
		memcpy(nv, *v, n * sizeof(*nv));
	*v = nv;
	*cap = 2 * (*cap + 8);
	return 0;
}

/* The wire form of a rule (strings interned: borrowed). */
static Au__V1__Rule *
rule_msg(struct arena *a, const struct store_rule *r)
{
	Au__V1__Rule *o;
	char          pct[16];

	if ((o = arena_alloc(a, sizeof(*o))) == NULL)
		return NULL;
	au__v1__rule__init(o);
	o->agent = (char *)(uintptr_t)r->agent; /* interned: stable */
	o->kind = (char *)(uintptr_t)rollout_kind_name(r->kind);
	snprintf(pct, sizeof(pct), "%" PRIu32, r->percent);
	o->match = r->kind == ROLLOUT_PERCENT   ? arena_str(a, pct)
	           : r->kind == ROLLOUT_DEFAULT ? NULL
	                                        : (char *)(uintptr_t)r->match;
	o->version = (char *)(uintptr_t)r->version;
	o->action = (Au__V1__Action)r->action;
	o->has_updated_ms = 1;
	o->updated_ms = r->updated_ms;
	o->updated_by = (char *)(uintptr_t)r->updated_by;
	return o;
}

static int
rules_add(void *arg, const struct store_rule *r)
{
	struct rules_list *l = arg;
	Au__V1__Rule      *o;

	if (grow(&l->a, (void ***)&l->v, l->n, &l->cap) != 0 ||
	    (o = rule_msg(&l->a, r)) == NULL)
		return 1;
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
	o->failed_version = (char *)(uintptr_t)v->failed_version;
	o->failed_step = (char *)(uintptr_t)v->failed_step;
	o->has_crashes = v->crashes != 0;
	o->crashes = v->crashes;
	o->probation = (char *)(uintptr_t)v->probation;
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
	const char    *agent; /* interned */
	const char    *default_version;
	struct count  *counts;
	size_t         ncounts;
	uint32_t       total, converged, failed, stale;
	Au__V1__Rule **rules; /* in the reply's arena */
	size_t         nrules, rcap;
};

struct status_acc {
	const char     *only; /* agent filter or NULL */
	struct summary *s;
	size_t          n;
	int             oom;
	struct arena    a; /* the reply's */
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
	if (a->desired_action == ROLLOUT_REMOVE)
		return !a->reported;
	if (a->desired_action == ROLLOUT_STOP)
		return !a->reported || a->version == NULL ||
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

/* The agent's rules, and its default version. */
static int
status_rule(void *arg, const struct store_rule *r)
{
	struct status_acc *acc = arg;
	struct summary    *s;
	Au__V1__Rule      *o;

	if ((s = summary_get(acc, r->agent)) == NULL)
		return 1;
	if (r->kind == ROLLOUT_DEFAULT)
		s->default_version = r->version;
	if (grow(&acc->a, (void ***)&s->rules, s->nrules, &s->rcap) != 0 ||
	    (o = rule_msg(&acc->a, r)) == NULL) {
		acc->oom = 1;
		return 1;
	}
	s->rules[s->nrules++] = o;
	return 0;
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
	o->rules = s->rules;
	o->n_rules = s->nrules;
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
	struct status_acc   acc = {NULL, NULL, 0, 0, {NULL, 0}};
	struct arena       *a = &acc.a;
	struct inv_filter   f;
	struct inv_policy   pol;
	size_t              i;
	int                 more = 0;

	acc.only = in->agent != NULL && in->agent[0] != '\0' ? in->agent : NULL;
	memset(&f, 0, sizeof(f));
	meta_policy(m, &pol, NULL);
	inv_rules_each(m->inv, acc.only, status_rule, &acc);
	if (inv_hosts_each(m->inv, &f, &pol, timeutil_wall_ms(), status_host,
	        &acc, &more) != AU_OK)
		acc.oom = 1;
	if (acc.n > 1)
		qsort(acc.s, acc.n, sizeof(acc.s[0]), summary_cmp);
	out.agents = arena_alloc(a, (acc.n + 1) * sizeof(*out.agents));
	for (i = 0; out.agents != NULL && i < acc.n && !acc.oom; i++) {
		out.agents[i] = arena_alloc(a, sizeof(*out.agents[i]));
		if (out.agents[i] == NULL ||
		    summary_msg(a, &acc.s[i], out.agents[i]) != 0)
			acc.oom = 1;
		else /* the agent's newest rollout */
			out.agents[i]->rollout =
			    rollout_newest_msg(m, a, acc.s[i].agent);
	}
	out.n_agents = acc.n;
	reply_free(cd, (ProtobufCClosure)closure, &out, acc.oom || a->oom, a);
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

/* ------------------------------------------------------------ host */

struct show {
	struct arena          a;
	Au__V1__Host         *host;
	Au__V1__ReportEntry **v;
	size_t                n, cap, bytes;
};

static int
show_host(void *arg, const struct inv_host_view *v)
{
	struct show *s = arg;

	s->host = host_msg(&s->a, v);
	return 0;
}

static Au__V1__ReportEntry *
report_msg(struct arena *a, const struct store_report *r)
{
	Au__V1__ReportEntry *o = arena_alloc(a, sizeof(*o));

	if (o == NULL)
		return NULL;
	au__v1__report_entry__init(o);
	o->agent = arena_str(a, r->agent);
	o->version = arena_str(a, r->version);
	o->from_version = arena_str(a, r->from_version);
	o->outcome = (Au__V1__Outcome)r->outcome;
	o->has_action = r->action != 0;
	o->action = (Au__V1__Action)r->action;
	o->step = arena_str(a, r->step);
	o->has_exit_code = r->has_exit_code;
	o->exit_code = r->exit_code;
	o->output_tail = arena_str(a, r->output_tail);
	o->has_duration_ms = 1;
	o->duration_ms = r->duration_ms;
	o->message = arena_str(a, r->message);
	o->has_time_ms = r->time_ms != 0;
	o->time_ms = r->time_ms;
	o->has_received_ms = 1;
	o->received_ms = r->received_ms;
	return o;
}

/* Reports go in whole, newest first per agent, until the reply's byte
 * budget is spent (64 agents of 100 reports with 16 KiB tails would not
 * fit one message). */
static int
show_report(void *arg, const struct store_report *r)
{
	struct show         *s = arg;
	Au__V1__ReportEntry *o;

	if (grow(&s->a, (void ***)&s->v, s->n, &s->cap) != 0 ||
	    (o = report_msg(&s->a, r)) == NULL)
		return 1;
	s->bytes += au__v1__report_entry__get_packed_size(o) + 4;
	if (s->bytes > LIST_BYTES)
		return 1;
	s->v[s->n++] = o;
	return 0;
}

void
admin_host_show(Au__V1__AdminService_Service *svc,
    const Au__V1__HostShowRequest *in, Au__V1__HostShowReply_Closure closure,
    void *cd)
{
	struct meta          *m = ADMIN_SVC(svc);
	Au__V1__HostShowReply out = AU__V1__HOST_SHOW_REPLY__INIT;
	struct inv_policy     pol;
	struct show           s;
	struct au_err         err = AU_ERR_INIT;
	uint64_t              now = timeutil_wall_ms();
	uint32_t              per = SHOW_DEFAULT;

	memset(&s, 0, sizeof(s));
	if (in->has_reports_per_agent && in->reports_per_agent > 0)
		per = in->reports_per_agent < SHOW_MAX ? in->reports_per_agent
		                                       : SHOW_MAX;
	meta_policy(m, &pol, NULL);
	if (!inv_valid_hostname(in->hostname))
		au_err_set(&err, AU_INVALID_ARGUMENT, "bad hostname");
	else if (inv_host_show(m->inv, in->hostname, &pol, now, show_host, &s,
	             &err) == AU_OK &&
	         store_reports_host(m->store, in->hostname, per, show_report,
	             &s, &err) == AU_OK &&
	         (s.host == NULL || s.a.oom))
		au_err_set(&err, AU_RESOURCE_EXHAUSTED, "out of memory");
	out.host = s.host;
	out.n_reports = s.n;
	out.reports = s.v;
	out.has_now_ms = 1;
	out.now_ms = now;
	meta_reply(cd, (ProtobufCClosure)closure, &out, &err);
	arena_free(&s.a);
}
