/* SPDX-License-Identifier: MIT */
/*
 * handlers_admin: the admin service.  Rules, host enrollment decisions,
 * listings, fleet status, the audit log and log verbosity; package upload
 * and listing go to blobs.  Every change is committed, then audited (who
 * = the caller's configured name), then answered.  Replies are built in a
 * per-call arena freed after the RPC layer has packed them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blobs.h"
#include "log.h"
#include "meta.h"
#include "rollout.h"

#define ADMIN_SVC(s) (((struct meta_admin_service *)(s))->meta)
/* ListHosts: default and largest page, and a byte budget per reply. */
#define LIST_DEFAULT 1000
#define LIST_MAX 5000
#define LIST_BYTES (768 * 1024)

/* ------------------------------------------------------------ arena */

struct arena_block {
	struct arena_block *next;
	max_align_t         data[];
};

struct arena {
	struct arena_block *head;
	int                 oom;
};

static void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_block *b = calloc(1, sizeof(*b) + n);

	if (b == NULL) {
		a->oom = 1;
		return NULL;
	}
	b->next = a->head;
	a->head = b;
	return b->data;
}

static char *
arena_str(struct arena *a, const char *s)
{
	char  *p;
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	if ((p = arena_alloc(a, n)) != NULL)
		memcpy(p, s, n);
	return p;
}

static void
arena_free(struct arena *a)
{
	struct arena_block *b, *next;

	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
}

/* ------------------------------------------------------------ helpers */

static void
fail_err(void *cd, const struct au_err *e)
{
	rpc_call_fail(
	    cd, e->code != AU_OK ? e->code : AU_INTERNAL, "%s", au_err_str(e));
}

static const char *
action_name(int action)
{
	return action == ROLLOUT_STOP ? "stop" : "start";
}

static int
selector_empty(const Au__V1__Selector *s)
{
	return s == NULL || (s->n_hosts == 0 &&
	                        (s->prefix == NULL || s->prefix[0] == '\0') &&
	                        (!s->has_percent || s->percent == 0));
}

static enum au_status
selector_check(const Au__V1__Selector *s, struct au_err *err)
{
	size_t i;

	if (s == NULL)
		return AU_OK;
	if (s->n_hosts > 1000)
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "at most 1000 hosts per call");
	for (i = 0; i < s->n_hosts; i++)
		if (!inv_valid_hostname(s->hosts[i]))
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "bad hostname \"%.64s\"", s->hosts[i]);
	if (s->prefix != NULL && s->prefix[0] != '\0' &&
	    !inv_valid_hostname(s->prefix))
		return au_err_set(err, AU_INVALID_ARGUMENT, "bad prefix");
	if (s->has_percent && s->percent > 100)
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "percent must be 1 to 100");
	return AU_OK;
}

/* "hosts=a,b prefix=web- percent=5" or "default", into buf. */
static void
selector_text(const Au__V1__Selector *s, char *buf, size_t sz)
{
	size_t n = 0, i;

	buf[0] = '\0';
	if (selector_empty(s)) {
		snprintf(buf, sz, "default");
		return;
	}
	for (i = 0; i < s->n_hosts && n < sz; i++)
		n += (size_t)snprintf(buf + n, sz - n, "%s%s",
		    i == 0 ? "hosts=" : ",", s->hosts[i]);
	if (n < sz && s->prefix != NULL && s->prefix[0] != '\0')
		n += (size_t)snprintf(buf + n, sz - n, "%sprefix=%s",
		    n > 0 ? " " : "", s->prefix);
	if (n < sz && s->has_percent && s->percent > 0)
		snprintf(buf + n, sz - n, "%spercent=%" PRIu32,
		    n > 0 ? " " : "", s->percent);
}

/* ------------------------------------------------------------ rules */

/* Apply fn to each rule the selector names: (kind, match, percent). */
typedef enum au_status (*rule_op_fn)(struct meta *m, void *arg, int kind,
    const char *match, uint32_t percent, struct au_err *err);

static enum au_status
for_selector(struct meta *m, const Au__V1__Selector *s, rule_op_fn fn,
    void *arg, struct au_err *err)
{
	enum au_status code;
	size_t         i;

	if (selector_empty(s))
		return fn(m, arg, ROLLOUT_DEFAULT, "", 0, err);
	for (i = 0; i < s->n_hosts; i++)
		if ((code = fn(m, arg, ROLLOUT_HOST, s->hosts[i], 0, err)) !=
		    AU_OK)
			return code;
	if (s->prefix != NULL && s->prefix[0] != '\0' &&
	    (code = fn(m, arg, ROLLOUT_PREFIX, s->prefix, 0, err)) != AU_OK)
		return code;
	if (s->has_percent && s->percent > 0 &&
	    (code = fn(m, arg, ROLLOUT_PERCENT, "", s->percent, err)) != AU_OK)
		return code;
	return AU_OK;
}

struct set_op {
	const Au__V1__SetVersionRequest *in;
	const char                      *who;
	uint64_t                         now;
	uint32_t                         changed;
};

static enum au_status
set_one(struct meta *m, void *arg, int kind, const char *match,
    uint32_t percent, struct au_err *err)
{
	struct set_op    *op = arg;
	struct store_rule r = {op->in->agent, kind, match, percent,
	    op->in->version, (int)op->in->action, op->now, op->who};
	enum au_status    code;

	if ((code = inv_rule_set(m->inv, &r, err)) == AU_OK)
		op->changed++;
	return code;
}

static enum au_status
set_check(
    struct meta *m, const Au__V1__SetVersionRequest *in, struct au_err *err)
{
	uint8_t  hash[SIG_HASH_BYTES];
	uint64_t size;

	if (!inv_valid_name(in->agent) || !inv_valid_name(in->version))
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "bad agent name or version");
	if (in->action != AU__V1__ACTION__START &&
	    in->action != AU__V1__ACTION__STOP)
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "action must be start or stop");
	if (selector_check(in->selector, err) != AU_OK)
		return err != NULL ? err->code : AU_INVALID_ARGUMENT;
	if (in->action == AU__V1__ACTION__START &&
	    blobs_lookup(m->blobs, in->agent, in->version, &size, hash) !=
	        AU_OK)
		return au_err_set(err, AU_FAILED_PRECONDITION,
		    "no package %s %s uploaded", in->agent, in->version);
	return AU_OK;
}

static void
admin_set_version(Au__V1__AdminService_Service *svc,
    const Au__V1__SetVersionRequest            *in,
    Au__V1__SetVersionReply_Closure closure, void *cd)
{
	struct meta            *m = ADMIN_SVC(svc);
	Au__V1__SetVersionReply out = AU__V1__SET_VERSION_REPLY__INIT;
	struct set_op  op = {in, rpc_call_caller(cd)->name, meta_now_ms(), 0};
	struct au_err  err = AU_ERR_INIT;
	char           sel[512], detail[700];
	enum au_status code;

	if (set_check(m, in, &err) == AU_OK)
		for_selector(m, in->selector, set_one, &op, &err);
	selector_text(in->selector, sel, sizeof(sel));
	if (op.changed > 0) {
		snprintf(detail, sizeof(detail), "%s %s %s %s", in->agent,
		    in->version, action_name((int)in->action), sel);
		meta_audit(m, op.who, "set-version", detail, NULL);
	}
	if ((code = err.code) != AU_OK) {
		fail_err(cd, &err);
		closure(NULL, cd);
		return;
	}
	out.has_rules_changed = 1;
	out.rules_changed = op.changed;
	closure(&out, cd);
}

struct unset_op {
	const char *agent;
	uint32_t    removed;
};

static enum au_status
unset_one(struct meta *m, void *arg, int kind, const char *match,
    uint32_t percent, struct au_err *err)
{
	struct unset_op *op = arg;
	int              removed = 0;
	enum au_status   code;

	(void)percent;
	code = inv_rule_unset(m->inv, op->agent, kind, match, &removed, err);
	op->removed += (uint32_t)removed;
	return code;
}

static void
admin_unset(Au__V1__AdminService_Service *svc, const Au__V1__UnsetRequest *in,
    Au__V1__UnsetReply_Closure closure, void *cd)
{
	struct meta       *m = ADMIN_SVC(svc);
	Au__V1__UnsetReply out = AU__V1__UNSET_REPLY__INIT;
	struct unset_op    op = {in->agent, 0};
	struct au_err      err = AU_ERR_INIT;
	char               sel[512], detail[600];

	if (!inv_valid_name(in->agent))
		au_err_set(&err, AU_INVALID_ARGUMENT, "bad agent name");
	else if (selector_check(in->selector, &err) == AU_OK)
		for_selector(m, in->selector, unset_one, &op, &err);
	selector_text(in->selector, sel, sizeof(sel));
	if (op.removed > 0) {
		snprintf(detail, sizeof(detail), "%s %s", in->agent, sel);
		meta_audit(m, rpc_call_caller(cd)->name, "unset", detail, NULL);
	} else if (err.code == AU_OK) {
		au_err_set(
		    &err, AU_NOT_FOUND, "no rule for %s %s", in->agent, sel);
	}
	if (err.code != AU_OK) {
		fail_err(cd, &err);
		closure(NULL, cd);
		return;
	}
	out.has_rules_removed = 1;
	out.rules_removed = op.removed;
	closure(&out, cd);
}

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

static void
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
	if (l.a.oom) {
		arena_free(&l.a);
		rpc_call_fail(cd, AU_RESOURCE_EXHAUSTED, "out of memory");
		closure(NULL, cd);
		return;
	}
	out.n_rules = l.n;
	out.rules = l.v;
	closure(&out, cd);
	arena_free(&l.a);
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

static void
admin_list_hosts(Au__V1__AdminService_Service *svc,
    const Au__V1__ListHostsRequest *in, Au__V1__ListHostsReply_Closure closure,
    void *cd)
{
	struct meta           *m = ADMIN_SVC(svc);
	Au__V1__ListHostsReply out = AU__V1__LIST_HOSTS_REPLY__INIT;
	struct inv_filter      f;
	struct inv_policy      pol;
	struct hosts_list      l;
	uint64_t               now = meta_now_ms();
	int                    more = 0;

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
	if (l.v == NULL ||
	    inv_hosts_each(m->inv, &f, &pol, now, hosts_add, &l, &more) !=
	        AU_OK ||
	    (l.a.oom && !l.full)) {
		arena_free(&l.a);
		rpc_call_fail(cd, AU_RESOURCE_EXHAUSTED, "out of memory");
		closure(NULL, cd);
		return;
	}
	out.n_hosts = l.n;
	out.hosts = l.v;
	out.has_now_ms = 1;
	out.now_ms = now;
	out.has_more = 1;
	out.more = more || l.full;
	closure(&out, cd);
	arena_free(&l.a);
}

static enum au_status
host_op(struct meta *m, const Au__V1__HostActionRequest *in, int *state,
    struct au_err *err)
{
	uint64_t now = meta_now_ms();

	switch (in->op) {
	case AU__V1__HOST_ACTION_REQUEST__OP__ACCEPT:
		*state = STORE_HOST_ACCEPTED;
		return inv_host_set_state(m->inv, in->hostname, *state, err);
	case AU__V1__HOST_ACTION_REQUEST__OP__REJECT:
		*state = STORE_HOST_REJECTED;
		return inv_host_set_state(m->inv, in->hostname, *state, err);
	case AU__V1__HOST_ACTION_REQUEST__OP__REMOVE:
		*state = 0;
		return inv_host_remove(m->inv, in->hostname, err);
	case AU__V1__HOST_ACTION_REQUEST__OP__ADD:
		*state = STORE_HOST_ACCEPTED;
		if (!in->has_pubkey || in->pubkey.len != SIG_PUBKEY_BYTES)
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "add: a 32-byte public key is required");
		return inv_host_add(
		    m->inv, in->hostname, in->pubkey.data, now, err);
	default:
		return au_err_set(err, AU_INVALID_ARGUMENT, "unknown op");
	}
}

static const char *const op_names[] = {
    "?", "accept", "reject", "remove", "add"};

static void
admin_host_action(Au__V1__AdminService_Service *svc,
    const Au__V1__HostActionRequest            *in,
    Au__V1__HostActionReply_Closure closure, void *cd)
{
	struct meta            *m = ADMIN_SVC(svc);
	Au__V1__HostActionReply out = AU__V1__HOST_ACTION_REPLY__INIT;
	struct au_err           err = AU_ERR_INIT;
	char                    detail[400], kid[SIG_KEYID_HEX_BYTES] = "";
	int                     state = 0;

	if (!inv_valid_hostname(in->hostname))
		au_err_set(&err, AU_INVALID_ARGUMENT, "bad hostname");
	else
		host_op(m, in, &state, &err);
	if (err.code != AU_OK) {
		fail_err(cd, &err);
		closure(NULL, cd);
		return;
	}
	if (in->op == AU__V1__HOST_ACTION_REQUEST__OP__ADD)
		sig_key_id(in->pubkey.data, kid);
	snprintf(detail, sizeof(detail), "%s%s%s", in->hostname,
	    kid[0] != '\0' ? " key " : "", kid);
	meta_audit(m, rpc_call_caller(cd)->name,
	    in->op <= 4 ? op_names[in->op] : "?", detail, NULL);
	if (state != 0) {
		out.has_state = 1;
		out.state = (Au__V1__HostState)state;
	}
	closure(&out, cd);
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

static void
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
	if (inv_hosts_each(m->inv, &f, &pol, meta_now_ms(), status_host, &acc,
	        &more) != AU_OK)
		acc.oom = 1;
	if (acc.n > 1)
		qsort(acc.s, acc.n, sizeof(acc.s[0]), summary_cmp);
	out.agents = arena_alloc(&a, (acc.n + 1) * sizeof(*out.agents));
	for (i = 0; out.agents != NULL && i < acc.n && !acc.oom; i++) {
		out.agents[i] = arena_alloc(&a, sizeof(*out.agents[i]));
		if (out.agents[i] == NULL ||
		    summary_msg(&a, &acc.s[i], out.agents[i]) != 0)
			acc.oom = 1;
	}
	out.n_agents = acc.n;
	if (acc.oom || a.oom) {
		rpc_call_fail(cd, AU_RESOURCE_EXHAUSTED, "out of memory");
		closure(NULL, cd);
	} else {
		closure(&out, cd);
	}
	arena_free(&a);
	status_free(&acc);
}

/* ------------------------------------------------------------ audit, log */

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

static void
admin_audit(Au__V1__AdminService_Service *svc, const Au__V1__AuditRequest *in,
    Au__V1__AuditReply_Closure closure, void *cd)
{
	struct meta       *m = ADMIN_SVC(svc);
	Au__V1__AuditReply out = AU__V1__AUDIT_REPLY__INIT;
	struct audit_list  l;
	struct au_err      err = AU_ERR_INIT;

	memset(&l, 0, sizeof(l));
	l.cap = in->has_limit && in->limit > 0 && in->limit < 5000 ? in->limit
	                                                           : 5000;
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
	if (err.code != AU_OK) {
		fail_err(cd, &err);
		closure(NULL, cd);
	} else {
		out.n_entries = l.n;
		out.entries = l.v;
		closure(&out, cd);
	}
	arena_free(&l.a);
}

static void
admin_log_verbose(Au__V1__AdminService_Service *svc,
    const Au__V1__LogVerboseRequest            *in,
    Au__V1__LogVerboseReply_Closure closure, void *cd)
{
	struct meta            *m = ADMIN_SVC(svc);
	Au__V1__LogVerboseReply out = AU__V1__LOG_VERBOSE_REPLY__INIT;
	char                    detail[32];

	if (in->verbose < 0 || in->verbose > 9) {
		rpc_call_fail(cd, AU_INVALID_ARGUMENT, "verbose must be 0..9");
		closure(NULL, cd);
		return;
	}
	out.has_previous = 1;
	out.previous = log_setverbose(in->verbose);
	snprintf(detail, sizeof(detail), "%d", (int)in->verbose);
	meta_audit(m, rpc_call_caller(cd)->name, "log-verbose", detail, NULL);
	closure(&out, cd);
}

/* ------------------------------------------------------------ packages */

static void
admin_upload_package(Au__V1__AdminService_Service *svc,
    const Au__V1__UploadPackageRequest            *in,
    Au__V1__UploadPackageReply_Closure closure, void *cd)
{
	blobs_handle_upload(ADMIN_SVC(svc)->blobs, in, closure, cd);
}

static void
admin_list_packages(Au__V1__AdminService_Service *svc,
    const Au__V1__ListPackagesRequest            *in,
    Au__V1__ListPackagesReply_Closure closure, void *cd)
{
	blobs_handle_list(ADMIN_SVC(svc)->blobs, in, closure, cd);
}

void
meta_admin_service_init(struct meta_admin_service *svc, struct meta *m)
{
	Au__V1__AdminService_Service init = AU__V1__ADMIN_SERVICE__INIT(admin_);

	svc->base = init;
	svc->meta = m;
}
