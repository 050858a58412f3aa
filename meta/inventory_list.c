/* SPDX-License-Identifier: MIT */
/*
 * inventory_list: host listings in hostname order with filters and
 * paging, built as views under the inventory lock, and counts.
 */
#include <sys/types.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory_int.h"
#include "log.h"

/* ------------------------------------------------------------ listing */

/* A failure line and what may follow it. */
#define FAILURE_MAX (INV_ERROR_MAX + 16)

struct view_buf {
	struct inv_agent_view agents[2 * INV_MAX_AGENTS];
	struct inv_desired    d[INV_MAX_AGENTS];
	char                  failure[2 * INV_MAX_AGENTS][FAILURE_MAX];
};

/* The failure line, with ", not retried" when the host says it will not
 * try that version again: "rolled back 7.0.0 at start: exit 1: ...,
 * not retried".  buf is used when something is added. */
static const char *
failure_show(const struct inv_agent *a, char *buf, size_t sz)
{
	if (a->last_failure == NULL || a->failed_version == NULL ||
	    !a->last_failed ||
	    !inv_str_eq(a->failed_version, a->report_version))
		return a->last_failure;
	snprintf(buf, sz, "%s, not retried", a->last_failure);
	return buf;
}

static void
agent_view(const struct inv *inv, const struct inv_agent *a,
    const struct inv_desired *d, const struct inv_policy *pol, uint64_t now,
    struct inv_agent_view *av, char *failure)
{
	av->name = a->name;
	av->version = a->version;
	av->status = inv_status_show(a);
	av->last_error = a->last_error;
	av->desired_version = d != NULL ? d->version : NULL;
	av->desired_action = d != NULL ? d->action : 0;
	av->failed = inv_agent_failed(inv, a, d, pol, now);
	av->last_failure = failure_show(a, failure, FAILURE_MAX);
	av->last_failure_ms = a->last_failure_ms;
	av->reported = a->reported;
	av->failed_version = a->failed_version;
	av->failed_step = a->failed_step;
	av->crashes =
	    a->crashes > a->crash_reports ? a->crashes : a->crash_reports;
	av->probation = a->probation;
}

/* The view of h: its reported agents, those with report history, and
 * every agent desired of it (reported or not), each with what is desired
 * and whether it failed. */
static void
build_view(const struct inv *inv, const struct inv_host *h,
    const struct inv_policy *pol, uint64_t now, struct inv_host_view *v,
    struct view_buf *b)
{
	const struct inv_desired *d;
	const struct inv_agent   *a;
	size_t                    nd, i, k = 0;

	memset(v, 0, sizeof(*v));
	v->hostname = h->hostname;
	v->state = h->state;
	v->last_seen_ms = h->last_seen_ms;
	sig_key_id(h->pk, v->key_id);
	v->updater_version = h->updater_version;
	v->stale = inv_host_stale(h, pol, now);
	nd = h->state == STORE_HOST_ACCEPTED
	         ? inv_desired_for(inv, h->hostname, b->d)
	         : 0;
	for (i = 0; i < h->nagents && k < 2 * INV_MAX_AGENTS; i++) {
		a = &h->agents[i];
		d = inv_desired_find(b->d, nd, a->name);
		/* An entry left by a rule since removed shows no more. */
		if (!a->reported && d == NULL && a->last_failure == NULL &&
		    !a->last_failed)
			continue;
		agent_view(inv, a, d, pol, now, &b->agents[k], b->failure[k]);
		v->failed |= b->agents[k++].failed;
	}
	for (i = 0; i < nd && k < 2 * INV_MAX_AGENTS; i++) {
		if (inv_agent_find(h, b->d[i].name))
			continue;
		memset(&b->agents[k], 0, sizeof(b->agents[k]));
		b->agents[k].name = b->d[i].name;
		b->agents[k].desired_version = b->d[i].version;
		b->agents[k].desired_action = b->d[i].action;
		k++;
	}
	v->nagents = k;
	v->agents = b->agents;
}

static int
view_has_agent(const struct inv_host_view *v, const char *agent)
{
	size_t i;

	for (i = 0; i < v->nagents; i++)
		if (strcmp(v->agents[i].name, agent) == 0)
			return 1;
	return 0;
}

static int
host_matches(const struct inv *inv, const struct inv_host *h,
    const struct inv_filter *f, const struct inv_policy *pol, uint64_t now,
    struct view_buf *b)
{
	struct inv_host_view v;

	if (f->pending && h->state != STORE_HOST_PENDING)
		return 0;
	if (f->stale && !inv_host_stale(h, pol, now))
		return 0;
	if (!f->failed && f->agent == NULL)
		return 1;
	build_view(inv, h, pol, now, &v, b);
	if (f->failed && !v.failed)
		return 0;
	return f->agent == NULL || view_has_agent(&v, f->agent);
}

static int
host_cmp(const void *a, const void *b)
{
	const struct inv_host *const *ha = a;
	const struct inv_host *const *hb = b;

	return strcmp((*ha)->hostname, (*hb)->hostname);
}

/* Bring inv->order (every host, by name) up to date after hosts were
 * added or removed: once per listing that follows a change, so that a
 * page costs a binary search and a walk over what it returns instead of
 * a pass over the whole inventory.  -1 when out of memory. */
static int
order_refresh(struct inv *inv)
{
	struct inv_host **o, *h;
	size_t            i, n = 0;

	if (!inv->order_stale)
		return 0;
	o = inv->n > 0 ? realloc(inv->order, inv->n * sizeof(*o)) : inv->order;
	if (inv->n > 0 && o == NULL)
		return -1;
	inv->order = o;
	for (i = 0; i < inv->cap; i++)
		for (h = inv->by_name[i]; h != NULL; h = h->next_name)
			o[n++] = h;
	if (n > 1)
		qsort(o, n, sizeof(*o), host_cmp);
	inv->norder = n;
	inv->order_stale = 0;
	return 0;
}

/* The index in inv->order of the first host whose name is > key (after:
 * 1) or >= key (after: 0). */
static size_t
order_seek(const struct inv *inv, const char *key, int after)
{
	size_t lo = 0, hi = inv->norder, mid;
	int    c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(inv->order[mid]->hostname, key);
		if (c < 0 || (after && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

enum au_status
inv_hosts_each(struct inv *inv, const struct inv_filter *f,
    const struct inv_policy *pol, uint64_t now_ms, inv_host_fn fn, void *arg,
    int *more)
{
	struct view_buf     *b;
	struct inv_host_view v;
	struct inv_host     *h;
	size_t               i, start = 0, plen, sent = 0, first;

	*more = 0;
	if ((b = malloc(sizeof(*b))) == NULL)
		return AU_RESOURCE_EXHAUSTED;
	pthread_mutex_lock(&inv->lock);
	if (order_refresh(inv) != 0) {
		pthread_mutex_unlock(&inv->lock);
		free(b);
		return AU_RESOURCE_EXHAUSTED;
	}
	plen = f->prefix != NULL ? strlen(f->prefix) : 0;
	if (f->after != NULL)
		start = order_seek(inv, f->after, 1);
	if (f->prefix != NULL &&
	    (first = order_seek(inv, f->prefix, 0)) > start)
		start = first;
	for (i = start; i < inv->norder; i++) {
		h = inv->order[i];
		/* Names with the prefix are contiguous: past them, done. */
		if (plen > 0 && strncmp(h->hostname, f->prefix, plen) != 0)
			break;
		if (!host_matches(inv, h, f, pol, now_ms, b))
			continue;
		if (f->limit != 0 && sent == f->limit) {
			*more = 1;
			break;
		}
		build_view(inv, h, pol, now_ms, &v, b);
		sent++;
		if (fn(arg, &v) != 0) {
			*more = i + 1 < inv->norder;
			break;
		}
	}
	pthread_mutex_unlock(&inv->lock);
	free(b);
	return AU_OK;
}

enum au_status
inv_host_show(struct inv *inv, const char *hostname,
    const struct inv_policy *pol, uint64_t now_ms, inv_host_fn fn, void *arg,
    struct au_err *err)
{
	struct view_buf     *b;
	struct inv_host_view v;
	struct inv_host     *h;
	enum au_status       code = AU_OK;

	if ((b = malloc(sizeof(*b))) == NULL)
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	pthread_mutex_lock(&inv->lock);
	if ((h = inv_find_name(inv, hostname)) == NULL) {
		code = au_err_set(
		    err, AU_NOT_FOUND, "host %s: not found", hostname);
	} else {
		build_view(inv, h, pol, now_ms, &v, b);
		fn(arg, &v);
	}
	pthread_mutex_unlock(&inv->lock);
	free(b);
	return code;
}

uint32_t
inv_count_running(struct inv *inv, const char *agent, const char *version)
{
	struct inv_host *h;
	uint32_t         count = 0, k;
	size_t           i;

	pthread_mutex_lock(&inv->lock);
	for (i = 0; i < inv->cap; i++)
		for (h = inv->by_name[i]; h != NULL; h = h->next_name)
			for (k = 0; k < h->nagents; k++)
				if (h->agents[k].reported &&
				    strcmp(h->agents[k].name, agent) == 0 &&
				    inv_str_eq(h->agents[k].version, version) &&
				    h->agents[k].status == inv->started)
					count++;
	pthread_mutex_unlock(&inv->lock);
	return count;
}

size_t
inv_count(struct inv *inv)
{
	size_t n;

	pthread_mutex_lock(&inv->lock);
	n = inv->n;
	pthread_mutex_unlock(&inv->lock);
	return n;
}
