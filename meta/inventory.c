/* SPDX-License-Identifier: MIT */
/*
 * inventory: hosts in two chained hash tables (by name and by key), rules
 * in a small array resolved with rollout_resolve(), repeated strings in an
 * intern pool so that a heartbeat that changes nothing allocates nothing
 * and compares its agents by pointer.  This file holds the tables, the
 * rules, host administration and loading; heartbeats and reports are in
 * inventory_host.c, listings in inventory_list.c.
 */
#include "inventory.h"

#include <sys/types.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory_int.h"
#include "inventory_rollout.h"
#include "log.h"

/* ------------------------------------------------------------ strings */

static uint64_t
hash_bytes(const void *p, size_t len)
{
	const unsigned char *s = p;
	uint64_t             h = UINT64_C(14695981039346656037);
	size_t               i;

	for (i = 0; i < len; i++) {
		h ^= s[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

static int
pool_grow(struct pool *p)
{
	size_t ncap = p->cap != 0 ? p->cap * 2 : 256, i, j;
	char **ns = calloc(ncap, sizeof(*ns));

	if (ns == NULL)
		return -1;
	for (i = 0; i < p->cap; i++) {
		if (p->slots[i] == NULL)
			continue;
		j = hash_bytes(p->slots[i], strlen(p->slots[i])) & (ncap - 1);
		while (ns[j] != NULL)
			j = (j + 1) & (ncap - 1);
		ns[j] = p->slots[i];
	}
	free(p->slots);
	p->slots = ns;
	p->cap = ncap;
	return 0;
}

/* The pool's copy of s (NULL for NULL or out of memory; *oom set then). */
const char *
inv_intern(struct pool *p, const char *s, int *oom)
{
	size_t j, len;

	if (s == NULL)
		return NULL;
	if (2 * (p->n + 1) > p->cap && pool_grow(p) != 0) {
		*oom = 1;
		return NULL;
	}
	len = strlen(s);
	j = hash_bytes(s, len) & (p->cap - 1);
	for (; p->slots[j] != NULL; j = (j + 1) & (p->cap - 1))
		if (strcmp(p->slots[j], s) == 0)
			return p->slots[j];
	if ((p->slots[j] = malloc(len + 1)) == NULL) {
		*oom = 1;
		return NULL;
	}
	memcpy(p->slots[j], s, len + 1);
	p->n++;
	return p->slots[j];
}

static void
pool_fini(struct pool *p)
{
	size_t i;

	for (i = 0; i < p->cap; i++)
		free(p->slots[i]);
	free(p->slots);
}

int
inv_str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL || a[0] == '\0') &&
		       (b == NULL || b[0] == '\0');
	return strcmp(a, b) == 0;
}

/* A heap copy of s, or NULL for NULL, "" or out of memory. */
char *
inv_dup_opt(const char *s)
{
	return s != NULL && s[0] != '\0' ? strdup(s) : NULL;
}

/* ------------------------------------------------------------ hosts */

static size_t
name_slot(const struct inv *inv, const char *name)
{
	return hash_bytes(name, strlen(name)) & (inv->cap - 1);
}

static size_t
key_slot(const struct inv *inv, const uint8_t *pk)
{
	return hash_bytes(pk, SIG_PUBKEY_BYTES) & (inv->cap - 1);
}

struct inv_host *
inv_find_name(const struct inv *inv, const char *name)
{
	struct inv_host *h;

	for (h = inv->by_name[name_slot(inv, name)]; h != NULL;
	     h = h->next_name)
		if (strcmp(h->hostname, name) == 0)
			return h;
	return NULL;
}

struct inv_host *
inv_find_key(const struct inv *inv, const uint8_t *pk)
{
	struct inv_host *h;

	for (h = inv->by_key[key_slot(inv, pk)]; h != NULL; h = h->next_key)
		if (memcmp(h->pk, pk, SIG_PUBKEY_BYTES) == 0)
			return h;
	return NULL;
}

static void
link_host(struct inv *inv, struct inv_host *h)
{
	size_t i = name_slot(inv, h->hostname), k = key_slot(inv, h->pk);

	h->next_name = inv->by_name[i];
	inv->by_name[i] = h;
	h->next_key = inv->by_key[k];
	inv->by_key[k] = h;
}

static int
table_grow(struct inv *inv)
{
	struct inv_host **on = inv->by_name, *h, *next;
	struct inv_host **nn, **nk;
	size_t            ocap = inv->cap, i;

	nn = calloc(ocap != 0 ? ocap * 2 : 1024, sizeof(*nn));
	nk = calloc(ocap != 0 ? ocap * 2 : 1024, sizeof(*nk));
	if (nn == NULL || nk == NULL) {
		free(nn);
		free(nk);
		return -1;
	}
	free(inv->by_key);
	inv->by_name = nn;
	inv->by_key = nk;
	inv->cap = ocap != 0 ? ocap * 2 : 1024;
	for (i = 0; i < ocap; i++)
		for (h = on[i]; h != NULL; h = next) {
			next = h->next_name;
			link_host(inv, h);
		}
	free(on);
	return 0;
}

void
inv_host_unlink(struct inv *inv, struct inv_host *h)
{
	struct inv_host **pp;

	for (pp = &inv->by_name[name_slot(inv, h->hostname)]; *pp != h;
	     pp = &(*pp)->next_name)
		;
	*pp = h->next_name;
	for (pp = &inv->by_key[key_slot(inv, h->pk)]; *pp != h;
	     pp = &(*pp)->next_key)
		;
	*pp = h->next_key;
	inv->n--;
	inv->order_stale = 1;
}

void
inv_agents_free(struct inv_agent *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(a[i].status_text);
		free(a[i].last_error);
		free(a[i].last_failure);
	}
	free(a);
}

void
inv_host_free(struct inv_host *h)
{
	if (h == NULL)
		return;
	inv_agents_free(h->agents, h->nagents);
	free(h->ro_members);
	free(h);
}

/* A new host, linked into the tables; NULL when out of memory. */
struct inv_host *
inv_host_new(struct inv *inv, const char *hostname, const uint8_t *pk,
    int state, uint64_t created_ms)
{
	struct inv_host *h;
	size_t           len = strlen(hostname);

	if (inv->n + 1 > inv->cap && table_grow(inv) != 0)
		return NULL;
	if ((h = calloc(1, sizeof(*h) + len + 1)) == NULL)
		return NULL;
	memcpy(h->hostname, hostname, len + 1);
	memcpy(h->pk, pk, SIG_PUBKEY_BYTES);
	h->state = (uint8_t)state;
	h->created_ms = created_ms;
	link_host(inv, h);
	inv->n++;
	inv->order_stale = 1;
	return h;
}

struct inv_agent *
inv_agent_find(const struct inv_host *h, const char *name)
{
	uint32_t i;

	for (i = 0; i < h->nagents; i++)
		if (strcmp(h->agents[i].name, name) == 0)
			return &h->agents[i];
	return NULL;
}

/* Append an empty agent entry named name (interned). */
struct inv_agent *
inv_agent_append(struct inv_host *h, const char *name)
{
	struct inv_agent *a;

	a = realloc(h->agents, (h->nagents + 1) * sizeof(*a));
	if (a == NULL)
		return NULL;
	h->agents = a;
	a = &h->agents[h->nagents++];
	memset(a, 0, sizeof(*a));
	a->name = name;
	return a;
}

/* ------------------------------------------------------------ rules */

static int
rule_cmp(const struct store_rule *a, const struct store_rule *b)
{
	int c = strcmp(a->agent, b->agent);

	if (c == 0)
		c = a->kind - b->kind;
	if (c == 0)
		c = strcmp(a->match, b->match);
	return c;
}

/* Rebuild the rollout view and the list of managed agents. */
static int
rules_index(struct inv *inv)
{
	struct rollout_rule *rr = NULL;
	const char         **m = NULL;
	size_t               i, nm = 0;

	if (inv->nrules > 0) {
		rr = calloc(inv->nrules, sizeof(*rr));
		m = calloc(inv->nrules, sizeof(*m));
		if (rr == NULL || m == NULL) {
			free(rr);
			free(m);
			return -1;
		}
	}
	for (i = 0; i < inv->nrules; i++) {
		const struct store_rule *r = &inv->rules[i];

		rr[i] = (struct rollout_rule){r->agent, r->kind, r->match,
		    r->percent, r->version, r->action};
		if (nm == 0 || m[nm - 1] != r->agent)
			m[nm++] = r->agent; /* sorted: one run per agent */
	}
	free(inv->rr);
	free(inv->managed);
	inv->rr = rr;
	inv->managed = m;
	inv->nmanaged = nm;
	return 0;
}

/* Find (agent, kind, match); percent rules match on agent and kind. */
static ssize_t
rule_find(const struct inv *inv, const char *agent, int kind, const char *match)
{
	size_t i;

	for (i = 0; i < inv->nrules; i++) {
		const struct store_rule *r = &inv->rules[i];

		if (strcmp(r->agent, agent) == 0 && r->kind == kind &&
		    (kind == ROLLOUT_PERCENT || strcmp(r->match, match) == 0))
			return (ssize_t)i;
	}
	return -1;
}

/* Insert or replace r in memory (strings interned here). */
static enum au_status
rule_put_mem(struct inv *inv, const struct store_rule *in)
{
	struct store_rule r = *in, *nr;
	int               oom = 0;
	ssize_t           at;
	size_t            i;

	r.agent = inv_intern(&inv->pool, in->agent, &oom);
	r.match =
	    inv_intern(&inv->pool, in->match != NULL ? in->match : "", &oom);
	r.version = inv_intern(&inv->pool, in->version, &oom);
	r.updated_by = inv_intern(&inv->pool, in->updated_by, &oom);
	if (oom)
		return AU_RESOURCE_EXHAUSTED;
	if ((at = rule_find(inv, r.agent, r.kind, r.match)) >= 0) {
		inv->rules[at] = r;
		return rules_index(inv) == 0 ? AU_OK : AU_RESOURCE_EXHAUSTED;
	}
	nr = realloc(inv->rules, (inv->nrules + 1) * sizeof(*nr));
	if (nr == NULL)
		return AU_RESOURCE_EXHAUSTED;
	inv->rules = nr;
	for (i = inv->nrules; i > 0 && rule_cmp(&nr[i - 1], &r) > 0; i--)
		nr[i] = nr[i - 1];
	nr[i] = r;
	inv->nrules++;
	return rules_index(inv) == 0 ? AU_OK : AU_RESOURCE_EXHAUSTED;
}

size_t
inv_desired_for(
    const struct inv *inv, const char *hostname, struct inv_desired *out)
{
	size_t i, n = 0;
	int    r;

	for (i = 0; i < inv->nmanaged && n < INV_MAX_AGENTS; i++) {
		r = rollout_resolve(
		    inv->rr, inv->nrules, hostname, inv->managed[i]);
		if (r < 0)
			continue;
		out[n].name = inv->managed[i];
		out[n].version = inv->rr[r].version;
		out[n].action = inv->rr[r].action;
		out[n].retry = inv_retry_token(inv, hostname, inv->managed[i]);
		n++;
	}
	return inv_rollout_desired(inv, hostname, out, n);
}

const struct inv_desired *
inv_desired_find(const struct inv_desired *d, size_t nd, const char *name)
{
	size_t i;

	for (i = 0; i < nd; i++)
		if (d[i].name == name || strcmp(d[i].name, name) == 0)
			return &d[i];
	return NULL;
}

/* Does a reported agent match what is desired of it? */
int
inv_converged(const struct inv *inv, const struct inv_agent *a,
    const struct inv_desired *d)
{
	if (d == NULL)
		return 1;
	if (d->action == ROLLOUT_REMOVE)
		return !a->reported;
	if (d->action == ROLLOUT_STOP)
		return !a->reported || a->version == NULL ||
		       a->status == inv->stopped;
	return a->version != NULL && strcmp(a->version, d->version) == 0 &&
	       a->status == inv->started;
}

/* Is the agent's latest report about d: its version (any, when d asks
 * for none) and its action (when the report names one)? */
static int
report_about(const struct inv_agent *a, const struct inv_desired *d)
{
	if (d->version[0] == '\0')
		return a->report_action == d->action;
	return inv_str_eq(a->report_version, d->version) &&
	       (a->report_action == 0 || a->report_action == d->action);
}

/* Has a differed from this very d for longer than the grace period? */
static int
mismatch_expired(const struct inv_agent *a, const struct inv_desired *d,
    const struct inv_policy *pol, uint64_t now)
{
	if (a->mismatch_since_ms == 0 || a->mismatch_action != d->action ||
	    !inv_str_eq(a->mismatch_version, d->version))
		return 0;
	return now > a->mismatch_since_ms &&
	       now - a->mismatch_since_ms >
	           (uint64_t)pol->failed_grace_s * 1000;
}

int
inv_agent_failed(const struct inv *inv, const struct inv_agent *a,
    const struct inv_desired *d, const struct inv_policy *pol, uint64_t now)
{
	/* Nothing asked: the latest report is all there is to go by. */
	if (d == NULL)
		return a->last_failed;
	if (inv_converged(inv, a, d))
		return 0;
	/* Inside its health window the target is being tried (again). */
	if (d->action == ROLLOUT_START && a->probation != NULL &&
	    strcmp(a->probation, d->version) == 0)
		return 0;
	if (a->last_failed && report_about(a, d))
		return 1;
	if (d->action == ROLLOUT_START && a->failed_version != NULL &&
	    strcmp(a->failed_version, d->version) == 0)
		return 1;
	return mismatch_expired(a, d, pol, now);
}

int
inv_host_stale(
    const struct inv_host *h, const struct inv_policy *pol, uint64_t now)
{
	uint64_t seen =
	    h->last_seen_ms > h->created_ms ? h->last_seen_ms : h->created_ms;

	return now > seen && now - seen > (uint64_t)pol->stale_after_s * 1000;
}

const char *
inv_nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

const char *
inv_status_class(const struct inv *inv, const char *s, const char **text)
{
	*text = NULL;
	if (s == NULL || s[0] == '\0')
		return NULL;
	if (strcmp(s, inv->started) == 0)
		return inv->started;
	if (strcmp(s, inv->stopped) == 0)
		return inv->stopped;
	*text = s;
	return NULL;
}

const char *
inv_status_show(const struct inv_agent *a)
{
	return a->status != NULL ? a->status : a->status_text;
}

/* ------------------------------------------------------------ admin */

static const char *
state_name(int state)
{
	switch (state) {
	case STORE_HOST_PENDING:
		return "pending";
	case STORE_HOST_ACCEPTED:
		return "accepted";
	case STORE_HOST_REJECTED:
		return "rejected";
	}
	return "unknown";
}

static enum au_status
host_persist(
    struct inv *inv, const struct inv_host *h, int state, struct au_err *err)
{
	struct store_host sh;

	memset(&sh, 0, sizeof(sh));
	sh.hostname = h->hostname;
	memcpy(sh.pubkey, h->pk, SIG_PUBKEY_BYTES);
	sh.state = state;
	sh.created_ms = h->created_ms;
	return store_host_put(inv->st, &sh, err);
}

enum au_status
inv_host_set_state(
    struct inv *inv, const char *hostname, int state, struct au_err *err)
{
	struct inv_host *h;
	enum au_status   code;

	pthread_mutex_lock(&inv->lock);
	if ((h = inv_find_name(inv, hostname)) == NULL)
		code = au_err_set(
		    err, AU_NOT_FOUND, "host %s: not found", hostname);
	else if ((code = host_persist(inv, h, state, err)) == AU_OK) {
		h->state = (uint8_t)state;
		inv_rollout_host(inv, h);
	}
	pthread_mutex_unlock(&inv->lock);
	if (code == AU_OK)
		log_info("host %s: %s", hostname, state_name(state));
	return code;
}

enum au_status
inv_host_remove(struct inv *inv, const char *hostname, struct au_err *err)
{
	struct inv_host *h;
	enum au_status   code;

	pthread_mutex_lock(&inv->lock);
	if ((h = inv_find_name(inv, hostname)) == NULL) {
		code = au_err_set(
		    err, AU_NOT_FOUND, "host %s: not found", hostname);
	} else if ((code = store_host_delete(inv->st, hostname, err)) ==
	           AU_OK) {
		inv_retry_drop_host(inv, hostname);
		inv_dirty_unlink(inv, h);
		inv_rollout_host_gone(inv, h);
		inv_host_unlink(inv, h);
		inv_host_free(h);
	}
	pthread_mutex_unlock(&inv->lock);
	return code;
}

enum au_status
inv_host_add(struct inv *inv, const char *hostname,
    const uint8_t pk[SIG_PUBKEY_BYTES], uint64_t now_ms, struct au_err *err)
{
	struct inv_host  *h, *other;
	struct store_host sh;
	enum au_status    code = AU_OK;

	if (!inv_valid_hostname(hostname))
		return au_err_set(err, AU_INVALID_ARGUMENT, "bad hostname");
	pthread_mutex_lock(&inv->lock);
	h = inv_find_name(inv, hostname);
	other = inv_find_key(inv, pk);
	if (h != NULL && memcmp(h->pk, pk, SIG_PUBKEY_BYTES) != 0)
		code = au_err_set(err, AU_ALREADY_EXISTS,
		    "host %s: known under another key", hostname);
	else if (other != NULL && other != h)
		code = au_err_set(err, AU_ALREADY_EXISTS,
		    "host %s: key already bound to host %s", hostname,
		    other->hostname);
	if (code != AU_OK)
		goto out;
	memset(&sh, 0, sizeof(sh));
	sh.hostname = hostname;
	memcpy(sh.pubkey, pk, SIG_PUBKEY_BYTES);
	sh.state = STORE_HOST_ACCEPTED;
	sh.created_ms = h != NULL ? h->created_ms : now_ms;
	if ((code = store_host_put(inv->st, &sh, err)) != AU_OK)
		goto out;
	if (h == NULL)
		h = inv_host_new(
		    inv, hostname, pk, STORE_HOST_ACCEPTED, now_ms);
	if (h == NULL)
		code = au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	else
		h->state = STORE_HOST_ACCEPTED;
out:
	pthread_mutex_unlock(&inv->lock);
	return code;
}

enum au_status
inv_rule_set_locked(
    struct inv *inv, const struct store_rule *r, struct au_err *err)
{
	enum au_status code;

	if ((code = store_rule_put(inv->st, r, err)) == AU_OK &&
	    (code = rule_put_mem(inv, r)) != AU_OK)
		au_err_set(err, code, "rule: out of memory");
	return code;
}

enum au_status
inv_rule_set(struct inv *inv, const struct store_rule *r, struct au_err *err)
{
	enum au_status code;

	pthread_mutex_lock(&inv->lock);
	code = inv_rule_set_locked(inv, r, err);
	pthread_mutex_unlock(&inv->lock);
	return code;
}

enum au_status
inv_rule_unset(struct inv *inv, const char *agent, int kind, const char *match,
    int *removed, struct au_err *err)
{
	enum au_status code = AU_OK;
	ssize_t        at;

	*removed = 0;
	pthread_mutex_lock(&inv->lock);
	at = rule_find(inv, agent, kind, match != NULL ? match : "");
	if (at >= 0)
		code = store_rule_delete(
		    inv->st, agent, kind, inv->rules[at].match, removed, err);
	if (code == AU_OK && at >= 0) {
		memmove(&inv->rules[at], &inv->rules[at + 1],
		    (inv->nrules - (size_t)at - 1) * sizeof(inv->rules[0]));
		inv->nrules--;
		*removed = 1;
		if (rules_index(inv) != 0)
			code = au_err_set(
			    err, AU_RESOURCE_EXHAUSTED, "rule: out of memory");
	}
	pthread_mutex_unlock(&inv->lock);
	return code;
}

void
inv_rules_each(struct inv *inv, const char *agent, inv_rule_fn fn, void *arg)
{
	size_t i;

	pthread_mutex_lock(&inv->lock);
	for (i = 0; i < inv->nrules; i++) {
		if (agent != NULL && strcmp(inv->rules[i].agent, agent) != 0)
			continue;
		if (fn(arg, &inv->rules[i]) != 0)
			break;
	}
	pthread_mutex_unlock(&inv->lock);
}

/* ------------------------------------------------------------ loading */

struct loader {
	struct inv *inv;
	int         oom;
};

static int
load_host(void *arg, const struct store_host *sh)
{
	struct loader   *l = arg;
	struct inv_host *h;

	h = inv_host_new(
	    l->inv, sh->hostname, sh->pubkey, sh->state, sh->created_ms);
	if (h == NULL) {
		l->oom = 1;
		return 1;
	}
	h->last_seen_ms = sh->last_seen_ms;
	h->updater_version = inv_intern(
	    &l->inv->pool, inv_nonempty(sh->updater_version), &l->oom);
	return l->oom;
}

static int
load_agent(void *arg, const char *hostname, const struct store_agent *sa)
{
	struct loader    *l = arg;
	struct inv_host  *h = inv_find_name(l->inv, hostname);
	struct inv_agent *a;
	const char       *name, *text;

	if (h == NULL)
		return 0;
	name = inv_intern(&l->inv->pool, sa->name, &l->oom);
	if (name == NULL || (a = inv_agent_append(h, name)) == NULL) {
		l->oom = 1;
		return 1;
	}
	a->version =
	    inv_intern(&l->inv->pool, inv_nonempty(sa->version), &l->oom);
	a->status = inv_status_class(l->inv, sa->status, &text);
	if (text != NULL && (a->status_text = strdup(text)) == NULL)
		l->oom = 1;
	a->last_error = inv_dup_opt(sa->last_error);
	a->reported = 1;
	return l->oom;
}

static int
load_report(void *arg, const struct store_report *r)
{
	struct loader *l = arg;

	if (inv_note_report(l->inv, r) != AU_OK)
		l->oom = 1;
	return l->oom;
}

static int
load_rule(void *arg, const struct store_rule *r)
{
	struct loader *l = arg;

	if (rule_put_mem(l->inv, r) != AU_OK)
		l->oom = 1;
	return l->oom;
}

static int
load_retry(void *arg, const struct store_retry *r)
{
	struct loader *l = arg;

	if (inv_retry_put_mem(l->inv, r) != AU_OK)
		l->oom = 1;
	return l->oom;
}

static enum au_status
load(struct inv *inv, struct au_err *err)
{
	struct loader  l = {inv, 0};
	enum au_status code;

	if ((code = store_hosts_load(
	         inv->st, load_host, load_agent, &l, err)) != AU_OK ||
	    (code = store_reports_latest(inv->st, load_report, &l, err)) !=
	        AU_OK ||
	    (code = store_rules_load(inv->st, load_rule, &l, err)) != AU_OK ||
	    (code = store_retries_load(inv->st, load_retry, &l, err)) != AU_OK)
		return code;
	if (l.oom)
		return au_err_set(err, AU_RESOURCE_EXHAUSTED,
		    "inventory: out of memory while loading");
	return AU_OK;
}

enum au_status
inv_new(struct store *st, struct inv **out, struct au_err *err)
{
	struct inv    *inv;
	enum au_status code;
	int            oom = 0;

	*out = NULL;
	if ((inv = calloc(1, sizeof(*inv))) == NULL)
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	pthread_mutex_init(&inv->lock, NULL);
	inv->st = st;
	inv->started = inv_intern(&inv->pool, "started", &oom);
	inv->stopped = inv_intern(&inv->pool, "stopped", &oom);
	if (oom || table_grow(inv) != 0) {
		inv_free(inv);
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	}
	if ((code = load(inv, err)) != AU_OK) {
		inv_free(inv);
		au_err_prefix(err, "inventory");
		return code;
	}
	if (inv_flusher_start(inv) != AU_OK) {
		inv_free(inv);
		return au_err_set(err, AU_RESOURCE_EXHAUSTED,
		    "inventory: cannot start the flusher thread");
	}
	if ((code = inv_rollouts_start(inv, err)) != AU_OK) {
		inv_free(inv);
		au_err_prefix(err, "inventory");
		return code;
	}
	*out = inv;
	return AU_OK;
}

void
inv_free(struct inv *inv)
{
	struct inv_host *h, *next;
	size_t           i;

	if (inv == NULL)
		return;
	inv_rollouts_free(inv);
	inv_flusher_stop(inv);
	for (i = 0; i < inv->cap; i++)
		for (h = inv->by_name[i]; h != NULL; h = next) {
			next = h->next_name;
			inv_host_free(h);
		}
	free(inv->by_name);
	free(inv->by_key);
	free(inv->order);
	free(inv->rules);
	free(inv->rr);
	free(inv->managed);
	inv_retries_free(inv);
	pool_fini(&inv->pool);
	pthread_mutex_destroy(&inv->lock);
	free(inv);
}
