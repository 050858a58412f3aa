/* SPDX-License-Identifier: MIT */
/*
 * inventory_flush: heartbeat state to the store in batches.  A heartbeat
 * only links its host into the dirty list (once, however often it comes);
 * the flusher thread takes the list every 50 ms, or as soon as 500 hosts
 * are on it, copies their state under the lock, and writes it with one
 * store_seen_write() transaction outside the lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inventory_int.h"
#include "log.h"

#define FLUSH_HOSTS 500
#define FLUSH_MS 50

/* One host's record and the strings it needs, in one allocation. */
struct rec {
	struct store_seen  seen;
	struct store_agent agents[];
};

void
inv_dirty_mark(struct inv *inv, struct inv_host *h, int agents_changed)
{
	h->agents_dirty |= (uint8_t)(agents_changed != 0);
	if (h->dirty)
		return;
	h->dirty = 1;
	h->next_dirty = inv->dirty;
	inv->dirty = h;
	if (++inv->ndirty == FLUSH_HOSTS)
		pthread_cond_signal(&inv->flush_cond);
}

void
inv_dirty_unlink(struct inv *inv, struct inv_host *h)
{
	struct inv_host **pp;

	if (!h->dirty)
		return;
	for (pp = &inv->dirty; *pp != NULL; pp = &(*pp)->next_dirty)
		if (*pp == h) {
			*pp = h->next_dirty;
			inv->ndirty--;
			break;
		}
	h->dirty = 0;
}

static size_t
str_size(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

static const char *
put(char **p, const char *s)
{
	char  *d = *p;
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	memcpy(d, s, n);
	*p = d + n;
	return d;
}

/* Copy h's state (its reported agents when they changed).  Interned
 * strings are referenced: they outlive the flusher. */
static struct rec *
rec_new(const struct inv_host *h)
{
	size_t      size = str_size(h->hostname), n = 0, i;
	struct rec *r;
	char       *p;

	for (i = 0; h->agents_dirty && i < h->nagents; i++)
		if (h->agents[i].reported) {
			size += str_size(h->agents[i].status_text) +
			        str_size(h->agents[i].last_error);
			n++;
		}
	if ((r = malloc(sizeof(*r) + n * sizeof(r->agents[0]) + size)) == NULL)
		return NULL;
	p = (char *)&r->agents[n];
	r->seen.hostname = put(&p, h->hostname);
	r->seen.last_seen_ms = h->last_seen_ms;
	r->seen.updater_version = h->updater_version;
	r->seen.agents_changed = h->agents_dirty;
	r->seen.agents = r->agents;
	r->seen.nagents = n;
	for (i = 0, n = 0; h->agents_dirty && i < h->nagents; i++) {
		const struct inv_agent *a = &h->agents[i];

		if (!a->reported)
			continue;
		r->agents[n].name = a->name;
		r->agents[n].version = a->version;
		r->agents[n].status =
		    a->status != NULL ? a->status : put(&p, a->status_text);
		r->agents[n].last_error = put(&p, a->last_error);
		n++;
	}
	return r;
}

/* Take the dirty list into recs (at most *n); under the lock. */
static size_t
take(struct inv *inv, struct rec **recs, size_t max)
{
	struct inv_host *h, *next;
	size_t           n = 0;

	for (h = inv->dirty; h != NULL; h = next) {
		next = h->next_dirty;
		if (n < max && (recs[n] = rec_new(h)) != NULL)
			n++;
		/* Out of memory: this batch loses the host; its next
		 * heartbeat marks it again. */
		h->dirty = 0;
		h->agents_dirty = 0;
		h->next_dirty = NULL;
	}
	inv->dirty = NULL;
	inv->ndirty = 0;
	return n;
}

static void
write_batch(struct inv *inv, struct rec **recs, size_t n)
{
	struct store_seen *seen;
	struct au_err      err = AU_ERR_INIT;
	size_t             i;

	if (n == 0)
		return;
	if ((seen = malloc(n * sizeof(*seen))) != NULL) {
		for (i = 0; i < n; i++)
			seen[i] = recs[i]->seen;
		if (store_seen_write(inv->st, seen, n, &err) != AU_OK)
			log_warnx("inventory: heartbeat state of %zu hosts"
			          " not stored: %s",
			    n, au_err_str(&err));
		free(seen);
	}
	for (i = 0; i < n; i++)
		free(recs[i]);
}

static void
deadline_in(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_nsec += ms * 1000000L;
	ts->tv_sec += ts->tv_nsec / 1000000000L;
	ts->tv_nsec %= 1000000000L;
}

static void *
flusher_main(void *arg)
{
	struct inv     *inv = arg;
	struct rec    **recs;
	struct timespec ts;
	size_t          n, max;
	int             stop;

	pthread_mutex_lock(&inv->lock);
	for (;;) {
		deadline_in(&ts, FLUSH_MS);
		while (!inv->flush_stop && !inv->flush_now &&
		       inv->ndirty < FLUSH_HOSTS &&
		       pthread_cond_timedwait(
		           &inv->flush_cond, &inv->lock, &ts) != ETIMEDOUT)
			;
		max = inv->ndirty;
		recs = max > 0 ? malloc(max * sizeof(*recs)) : NULL;
		n = take(inv, recs, recs != NULL ? max : 0);
		inv->flush_now = 0;
		stop = inv->flush_stop;
		inv->batches_taken++;
		pthread_mutex_unlock(&inv->lock);
		write_batch(inv, recs, n);
		free(recs);
		pthread_mutex_lock(&inv->lock);
		inv->batches_done++;
		pthread_cond_broadcast(&inv->flush_done);
		if (stop)
			break;
	}
	pthread_mutex_unlock(&inv->lock);
	return NULL;
}

enum au_status
inv_flusher_start(struct inv *inv)
{
	pthread_cond_init(&inv->flush_cond, NULL);
	pthread_cond_init(&inv->flush_done, NULL);
	if (pthread_create(&inv->flusher, NULL, flusher_main, inv) != 0)
		return AU_RESOURCE_EXHAUSTED;
	inv->flusher_started = 1;
	return AU_OK;
}

void
inv_flusher_stop(struct inv *inv)
{
	if (!inv->flusher_started)
		return;
	pthread_mutex_lock(&inv->lock);
	inv->flush_stop = 1;
	pthread_cond_signal(&inv->flush_cond);
	pthread_mutex_unlock(&inv->lock);
	pthread_join(inv->flusher, NULL);
	inv->flusher_started = 0;
	pthread_cond_destroy(&inv->flush_done);
	pthread_cond_destroy(&inv->flush_cond);
}

void
inv_flush(struct inv *inv)
{
	uint64_t want;

	pthread_mutex_lock(&inv->lock);
	/* The batch taken after this point holds everything marked so far. */
	want = inv->batches_taken + 1;
	inv->flush_now = 1;
	pthread_cond_signal(&inv->flush_cond);
	while (inv->flusher_started && inv->batches_done < want)
		pthread_cond_wait(&inv->flush_done, &inv->lock);
	pthread_mutex_unlock(&inv->lock);
}
