/* SPDX-License-Identifier: MIT */
/*
 * inventory_retry: operators' retry tokens.  A record (agent, kind, match,
 * token) names the hosts that should try again a version that failed on
 * them: one host, the hosts with a prefix, or every host.  Records are
 * durable (the store's retries table) and kept in memory sorted by agent,
 * so a heartbeat finds the largest token that applies to its host among
 * the records of each desired agent without looking at other agents'.
 */
#include <sys/types.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory_int.h"
#include "log.h"

static int retry_cmp(
    const struct inv_retry *a, const char *agent, int kind, const char *match);
static size_t lower_bound(
    const struct inv *inv, const char *agent, int kind, const char *match);
static ssize_t retry_find(
    const struct inv *inv, const char *agent, int kind, const char *match);
static uint64_t agent_max_token(const struct inv *inv, const char *agent);

static int
retry_cmp(
    const struct inv_retry *a, const char *agent, int kind, const char *match)
{
	int c = a->agent == agent ? 0 : strcmp(a->agent, agent);

	if (c == 0)
		c = a->kind - kind;
	if (c == 0)
		c = strcmp(a->match, match);
	return c;
}

/* The index of the first record not below (agent, kind, match). */
static size_t
lower_bound(
    const struct inv *inv, const char *agent, int kind, const char *match)
{
	size_t lo = 0, hi = inv->nretries, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (retry_cmp(&inv->retries[mid], agent, kind, match) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static ssize_t
retry_find(
    const struct inv *inv, const char *agent, int kind, const char *match)
{
	size_t i = lower_bound(inv, agent, kind, match);

	if (i < inv->nretries &&
	    retry_cmp(&inv->retries[i], agent, kind, match) == 0)
		return (ssize_t)i;
	return -1;
}

/* Its default record, its own host record (a binary search each) and
 * the agent's prefix records: a heartbeat does not walk host records. */
uint64_t
inv_retry_token(const struct inv *inv, const char *hostname, const char *agent)
{
	const struct inv_retry *r;
	uint64_t                best = 0;
	ssize_t                 at;
	size_t                  i;

	if (inv->nretries == 0)
		return 0;
	if ((at = retry_find(inv, agent, ROLLOUT_DEFAULT, "")) >= 0)
		best = inv->retries[at].token;
	if ((at = retry_find(inv, agent, ROLLOUT_HOST, hostname)) >= 0 &&
	    inv->retries[at].token > best)
		best = inv->retries[at].token;
	for (i = lower_bound(inv, agent, ROLLOUT_PREFIX, ""); i < inv->nretries;
	     i++) {
		r = &inv->retries[i];
		if (r->kind != ROLLOUT_PREFIX || strcmp(r->agent, agent) != 0)
			break;
		if (r->token > best &&
		    strncmp(hostname, r->match, strlen(r->match)) == 0)
			best = r->token;
	}
	return best;
}

static uint64_t
agent_max_token(const struct inv *inv, const char *agent)
{
	uint64_t best = 0;
	size_t   i;

	for (i = lower_bound(inv, agent, ROLLOUT_DEFAULT, "");
	     i < inv->nretries && strcmp(inv->retries[i].agent, agent) == 0;
	     i++)
		if (inv->retries[i].token > best)
			best = inv->retries[i].token;
	return best;
}

enum au_status
inv_retry_put_mem(struct inv *inv, const struct store_retry *in)
{
	struct inv_retry r, *nr;
	ssize_t          at;
	size_t           i;
	int              oom = 0;

	/* Kinds sort DEFAULT < HOST < PREFIX; nothing else is a record. */
	if (in->kind != ROLLOUT_DEFAULT && in->kind != ROLLOUT_HOST &&
	    in->kind != ROLLOUT_PREFIX)
		return AU_OK;
	r.agent = inv_intern(&inv->pool, in->agent, &oom);
	r.kind = in->kind;
	r.token = in->token;
	if (oom)
		return AU_RESOURCE_EXHAUSTED;
	if ((at = retry_find(inv, r.agent, r.kind, in->match)) >= 0) {
		inv->retries[at].token = r.token;
		return AU_OK;
	}
	if ((r.match = strdup(in->match != NULL ? in->match : "")) == NULL)
		return AU_RESOURCE_EXHAUSTED;
	nr = realloc(inv->retries, (inv->nretries + 1) * sizeof(*nr));
	if (nr == NULL) {
		free((char *)(uintptr_t)r.match);
		return AU_RESOURCE_EXHAUSTED;
	}
	inv->retries = nr;
	i = lower_bound(inv, r.agent, r.kind, r.match);
	memmove(&nr[i + 1], &nr[i], (inv->nretries - i) * sizeof(*nr));
	nr[i] = r;
	inv->nretries++;
	return AU_OK;
}

void
inv_retry_drop_host(struct inv *inv, const char *hostname)
{
	size_t i, k = 0;

	for (i = 0; i < inv->nretries; i++) {
		if (inv->retries[i].kind == ROLLOUT_HOST &&
		    strcmp(inv->retries[i].match, hostname) == 0) {
			free((char *)(uintptr_t)inv->retries[i].match);
			continue;
		}
		inv->retries[k++] = inv->retries[i];
	}
	inv->nretries = k;
}

void
inv_retries_free(struct inv *inv)
{
	size_t i;

	for (i = 0; i < inv->nretries; i++)
		free((char *)(uintptr_t)inv->retries[i].match);
	free(inv->retries);
	inv->retries = NULL;
	inv->nretries = 0;
}

/* ------------------------------------------------------------ requests */

struct retry_set {
	struct store_retry *v;
	size_t              n, cap;
	size_t              fresh; /* records not yet in memory */
};

static int
set_add(struct inv *inv, struct retry_set *s, const char *agent, int kind,
    const char *match, uint64_t token)
{
	struct store_retry *nv;

	if (s->n == s->cap) {
		nv = realloc(s->v, (s->cap * 2 + 16) * sizeof(*nv));
		if (nv == NULL)
			return -1;
		s->v = nv;
		s->cap = s->cap * 2 + 16;
	}
	s->v[s->n++] = (struct store_retry){agent, kind, match, token};
	s->fresh += retry_find(inv, agent, kind, match) < 0;
	return 0;
}

/* Host records for every host failed for agent now. */
static int
set_failed(struct inv *inv, struct retry_set *s, const char *agent,
    const struct inv_policy *pol, uint64_t now, uint64_t token)
{
	struct inv_desired      d[INV_MAX_AGENTS];
	const struct inv_agent *a;
	struct inv_host        *h;
	size_t                  i, nd;

	for (i = 0; i < inv->cap; i++)
		for (h = inv->by_name[i]; h != NULL; h = h->next_name) {
			if (h->state != STORE_HOST_ACCEPTED ||
			    (a = inv_agent_find(h, agent)) == NULL)
				continue;
			nd = inv_desired_for(inv, h->hostname, d);
			if (!inv_agent_failed(inv, a,
			        inv_desired_find(d, nd, agent), pol, now))
				continue;
			if (set_add(inv, s, agent, ROLLOUT_HOST, h->hostname,
			        token) != 0)
				return -1;
		}
	return 0;
}

static int
set_build(struct inv *inv, struct retry_set *s, const struct inv_retry_req *rq,
    const struct inv_policy *pol, uint64_t now, uint64_t token)
{
	size_t i;

	if (rq->failed)
		return set_failed(inv, s, rq->agent, pol, now, token);
	for (i = 0; i < rq->nhosts; i++)
		if (set_add(inv, s, rq->agent, ROLLOUT_HOST, rq->hosts[i],
		        token) != 0)
			return -1;
	if (rq->prefix != NULL &&
	    set_add(inv, s, rq->agent, ROLLOUT_PREFIX, rq->prefix, token) != 0)
		return -1;
	if (rq->nhosts == 0 && rq->prefix == NULL &&
	    set_add(inv, s, rq->agent, ROLLOUT_DEFAULT, "", token) != 0)
		return -1;
	return 0;
}

/* Store the records, then take them into memory.  Under the lock. */
static enum au_status
set_commit(struct inv *inv, const struct retry_set *s, struct au_err *err)
{
	enum au_status code;
	size_t         i;

	if (inv->nretries + s->fresh > INV_RETRY_MAX)
		return au_err_set(err, AU_RESOURCE_EXHAUSTED,
		    "retry: more than %d retry records; remove hosts or"
		    " retry by prefix",
		    INV_RETRY_MAX);
	if (s->n == 0)
		return AU_OK;
	if ((code = store_retry_put(inv->st, s->v, s->n, err)) != AU_OK)
		return code;
	for (i = 0; i < s->n; i++)
		if (inv_retry_put_mem(inv, &s->v[i]) != AU_OK)
			return au_err_set(
			    err, AU_RESOURCE_EXHAUSTED, "retry: out of memory");
	return AU_OK;
}

enum au_status
inv_retry(struct inv *inv, const struct inv_retry_req *rq,
    const struct inv_policy *pol, uint64_t now_ms, uint64_t *token,
    uint32_t *hosts, struct au_err *err)
{
	struct retry_set s;
	enum au_status   code;
	uint64_t         prev;

	memset(&s, 0, sizeof(s));
	*token = 0;
	*hosts = 0;
	pthread_mutex_lock(&inv->lock);
	prev = agent_max_token(inv, rq->agent);
	*token = now_ms > prev ? now_ms : prev + 1;
	if (set_build(inv, &s, rq, pol, now_ms, *token) != 0)
		code = au_err_set(
		    err, AU_RESOURCE_EXHAUSTED, "retry: out of memory");
	else
		code = set_commit(inv, &s, err);
	pthread_mutex_unlock(&inv->lock);
	if (code == AU_OK)
		*hosts = (uint32_t)(rq->failed ? s.n : rq->nhosts);
	else
		*token = 0;
	free(s.v);
	return code;
}
