/* SPDX-License-Identifier: MIT */
/*
 * test_inventory: the in-memory fleet over a real store in a temporary
 * directory: enrollment and key binding, desired agents from rules, failed
 * and stale hosts (time passed in), listings with filters and paging,
 * reports once, and everything back after a reload from the store.
 * Failure state is about the current target: older reports are history,
 * the grace clock restarts with a new target; stop and remove without a
 * version; retry tokens; the host's own word (failed version, crashes,
 * probation) in views.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au_test.h"
#include "inventory.h"
#include "rollout.h"
#include "store.h"

#define T0 1000000000ULL

struct fixture {
	char          dir[AU_TEST_DIR_BYTES];
	struct store *st;
	struct inv   *inv;
};

static const struct inv_policy manual = {0, 180, 120};
static const struct inv_policy autoacc = {1, 180, 120};

static int
setup(void **state)
{
	struct fixture *f = au_test_fixture_new(sizeof(*f), "inventory");

	assert_non_null(f);
	assert_int_equal(store_open(f->dir, &f->st, NULL), AU_OK);
	assert_int_equal(inv_new(f->st, &f->inv, NULL), AU_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	inv_free(f->inv);
	store_close(f->st);
	assert_int_equal(au_test_fixture_free(f), 0);
	return 0;
}

static void
reload(struct fixture *f)
{
	inv_free(f->inv);
	store_close(f->st);
	assert_int_equal(store_open(f->dir, &f->st, NULL), AU_OK);
	assert_int_equal(inv_new(f->st, &f->inv, NULL), AU_OK);
}

static void
key(uint8_t pk[SIG_PUBKEY_BYTES], int n)
{
	memset(pk, n, SIG_PUBKEY_BYTES);
}

/* A heartbeat reporting nodex at version/status. */
static enum au_status
hb(struct fixture *f, int k, const char *host, const char *version,
    const char *status, const struct inv_policy *pol, uint64_t now, int *state,
    struct inv_desired *d, size_t *nd)
{
	struct store_agent a = {
	    "nodex", version, status, NULL, NULL, NULL, 0, NULL};
	uint8_t pk[SIG_PUBKEY_BYTES];

	key(pk, k);
	return inv_heartbeat(
	    f->inv, pk, host, "0.1.0", &a, 1, pol, now, state, d, nd, NULL);
}

static void
rule(struct fixture *f, int kind, const char *match, uint32_t pct,
    const char *version, int action)
{
	struct store_rule r = {
	    "nodex", kind, match, pct, version, action, 1, "test"};

	assert_int_equal(inv_rule_set(f->inv, &r, NULL), AU_OK);
}

static void
test_enrollment(void **state)
{
	struct fixture    *f = *state;
	struct inv_desired d[INV_MAX_AGENTS];
	size_t             nd = 9;
	int                st = 0;

	assert_int_equal(
	    hb(f, 1, "web-1", "1.0", "started", &manual, T0, &st, d, &nd),
	    AU_OK);
	assert_int_equal(st, STORE_HOST_PENDING);
	assert_int_equal(nd, 0);
	/* Another key for the name; this key for another name. */
	assert_int_equal(
	    hb(f, 2, "web-1", "1.0", "started", &manual, T0, &st, d, &nd),
	    AU_PERMISSION_DENIED);
	assert_int_equal(
	    hb(f, 1, "web-2", "1.0", "started", &autoacc, T0, &st, d, &nd),
	    AU_PERMISSION_DENIED);
	assert_int_equal(
	    inv_host_set_state(f->inv, "web-1", STORE_HOST_ACCEPTED, NULL),
	    AU_OK);
	assert_int_equal(
	    hb(f, 1, "web-1", "1.0", "started", &manual, T0, &st, d, &nd),
	    AU_OK);
	assert_int_equal(st, STORE_HOST_ACCEPTED);
	assert_int_equal(
	    inv_host_set_state(f->inv, "web-1", STORE_HOST_REJECTED, NULL),
	    AU_OK);
	assert_int_equal(
	    hb(f, 1, "web-1", "1.0", "started", &manual, T0, &st, d, &nd),
	    AU_PERMISSION_DENIED);
	assert_int_equal(
	    inv_host_set_state(f->inv, "nope", STORE_HOST_ACCEPTED, NULL),
	    AU_NOT_FOUND);
	/* The rejection survives a restart. */
	reload(f);
	assert_int_equal(
	    hb(f, 1, "web-1", "1.0", "started", &manual, T0, &st, d, &nd),
	    AU_PERMISSION_DENIED);
	assert_int_equal(inv_host_remove(f->inv, "web-1", NULL), AU_OK);
	assert_int_equal(inv_host_remove(f->inv, "web-1", NULL), AU_NOT_FOUND);
	assert_int_equal(inv_count(f->inv), 0);
}

static void
test_bad_input(void **state)
{
	struct fixture    *f = *state;
	struct inv_desired d[INV_MAX_AGENTS];
	struct store_agent a[INV_MAX_AGENTS + 1];
	uint8_t            pk[SIG_PUBKEY_BYTES];
	size_t             nd, i;
	int                st;

	assert_int_equal(
	    hb(f, 1, "bad host", "1.0", "started", &autoacc, T0, &st, d, &nd),
	    AU_INVALID_ARGUMENT);
	assert_int_equal(
	    hb(f, 1, "", "1.0", "started", &autoacc, T0, &st, d, &nd),
	    AU_INVALID_ARGUMENT);
	for (i = 0; i <= INV_MAX_AGENTS; i++)
		a[i] = (struct store_agent){
		    "nodex", NULL, NULL, NULL, NULL, NULL, 0, NULL};
	key(pk, 1);
	assert_int_equal(
	    inv_heartbeat(f->inv, pk, "web-1", NULL, a, INV_MAX_AGENTS + 1,
	        &autoacc, T0, &st, d, &nd, NULL),
	    AU_INVALID_ARGUMENT);
	/* The same agent twice. */
	assert_int_equal(inv_heartbeat(f->inv, pk, "web-1", NULL, a, 2,
	                     &autoacc, T0, &st, d, &nd, NULL),
	    AU_INVALID_ARGUMENT);
	assert_int_equal(inv_count(f->inv), 0);
}

static void
test_desired(void **state)
{
	struct fixture    *f = *state;
	struct inv_desired d[INV_MAX_AGENTS];
	size_t             nd = 0;
	int                st, removed = 0;

	rule(f, ROLLOUT_DEFAULT, "", 0, "1.0", ROLLOUT_START);
	rule(f, ROLLOUT_PREFIX, "web-", 0, "1.1", ROLLOUT_START);
	rule(f, ROLLOUT_HOST, "web-7", 0, "0.9", ROLLOUT_STOP);
	assert_int_equal(
	    hb(f, 1, "web-1", "1.0", "started", &autoacc, T0, &st, d, &nd),
	    AU_OK);
	assert_int_equal(nd, 1);
	assert_string_equal(d[0].version, "1.1");
	assert_int_equal(
	    hb(f, 2, "web-7", "1.0", "started", &autoacc, T0, &st, d, &nd),
	    AU_OK);
	assert_string_equal(d[0].version, "0.9");
	assert_int_equal(d[0].action, ROLLOUT_STOP);
	assert_int_equal(
	    hb(f, 3, "db-1", "1.0", "started", &autoacc, T0, &st, d, &nd),
	    AU_OK);
	assert_string_equal(d[0].version, "1.0");
	assert_int_equal(inv_rule_unset(f->inv, "nodex", ROLLOUT_DEFAULT, "",
	                     &removed, NULL),
	    AU_OK);
	assert_int_equal(removed, 1);
	assert_int_equal(
	    hb(f, 3, "db-1", "1.0", "started", &autoacc, T0, &st, d, &nd),
	    AU_OK);
	assert_int_equal(nd, 0);
	reload(f);
	assert_int_equal(
	    hb(f, 1, "web-1", "1.0", "started", &autoacc, T0, &st, d, &nd),
	    AU_OK);
	assert_string_equal(d[0].version, "1.1");
}

struct listing {
	int  n;
	char names[8][32];
	int  failed[8];
	int  stale[8];
	char failure[8][128];
};

static int
on_host(void *arg, const struct inv_host_view *h)
{
	struct listing *l = arg;
	size_t          i;

	snprintf(l->names[l->n], sizeof(l->names[0]), "%s", h->hostname);
	l->failed[l->n] = h->failed;
	l->stale[l->n] = h->stale;
	for (i = 0; i < h->nagents; i++)
		if (h->agents[i].last_failure != NULL)
			snprintf(l->failure[l->n], sizeof(l->failure[0]), "%s",
			    h->agents[i].last_failure);
	l->n++;
	return 0;
}

static struct listing
list(struct fixture *f, const struct inv_filter *flt, uint64_t now, int *more)
{
	struct listing l;

	memset(&l, 0, sizeof(l));
	assert_int_equal(
	    inv_hosts_each(f->inv, flt, &manual, now, on_host, &l, more),
	    AU_OK);
	return l;
}

/* 300 hosts enrolled in scrambled order, listed in pages of 7 with
 * after: every host once, in name order (the page selection keeps only
 * the first names of what remains). */
static void
test_paging_many(void **state)
{
	struct fixture    *f = *state;
	struct inv_desired d[INV_MAX_AGENTS];
	struct store_agent a = {
	    "nodex", "1.0", "started", NULL, NULL, NULL, 0, NULL};
	struct inv_filter flt;
	struct listing    l;
	uint8_t           pk[SIG_PUBKEY_BYTES];
	char              name[16], last[32] = "";
	size_t            nd;
	int               st, i, more = 1, seen = 0;

	for (i = 0; i < 300; i++) {
		memset(pk, 0x5a, sizeof(pk));
		pk[0] = (uint8_t)(i >> 8);
		pk[1] = (uint8_t)i;
		snprintf(name, sizeof(name), "n-%03d", (i * 7919) % 300);
		assert_int_equal(inv_heartbeat(f->inv, pk, name, "0.1.0", &a, 1,
		                     &autoacc, T0, &st, d, &nd, NULL),
		    AU_OK);
	}
	memset(&flt, 0, sizeof(flt));
	flt.limit = 7;
	while (more) {
		flt.after = last[0] != '\0' ? last : NULL;
		l = list(f, &flt, T0, &more);
		assert_true(l.n == 7 || (l.n > 0 && !more));
		for (i = 0; i < l.n; i++) {
			snprintf(name, sizeof(name), "n-%03d", seen++);
			assert_string_equal(l.names[i], name);
		}
		snprintf(last, sizeof(last), "%s", l.names[l.n - 1]);
	}
	assert_int_equal(seen, 300);
}

static void
test_failed_and_stale(void **state)
{
	struct fixture     *f = *state;
	struct inv_desired  d[INV_MAX_AGENTS];
	struct inv_filter   flt;
	struct store_report r;
	struct listing      l;
	size_t              nd;
	int                 st, more = 0, dup = -1;

	rule(f, ROLLOUT_DEFAULT, "", 0, "1.2", ROLLOUT_START);
	hb(f, 1, "c-3", "1.2", "started", &autoacc, T0, &st, d, &nd);
	hb(f, 2, "a-1", "1.1", "started", &autoacc, T0, &st, d, &nd);
	hb(f, 3, "b-2", "1.2", "started", &autoacc, T0 - 200000, &st, d, &nd);
	memset(&flt, 0, sizeof(flt));
	/* Sorted by name; a-1 differs, but within the grace period. */
	l = list(f, &flt, T0 + 1000, &more);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.names[0], "a-1");
	assert_string_equal(l.names[2], "c-3");
	assert_int_equal(l.failed[0], 0);
	assert_int_equal(l.stale[1], 1);
	flt.failed = 1;
	assert_int_equal(list(f, &flt, T0 + 1000, &more).n, 0);
	/* Past the grace period (120 s) a-1 is failed. */
	l = list(f, &flt, T0 + 121000, &more);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.names[0], "a-1");
	/* A rolled-back report makes c-3 failed at once. */
	memset(&r, 0, sizeof(r));
	r.hostname = "c-3";
	r.report_id = "r1";
	r.agent = "nodex";
	r.version = "1.3";
	r.outcome = 3;
	r.step = "start";
	r.has_exit_code = 1;
	r.exit_code = 1;
	r.output_tail = "\nport in use\nmore\n";
	r.received_ms = T0;
	assert_int_equal(inv_report(f->inv, &r, &dup, NULL), AU_OK);
	assert_int_equal(dup, 0);
	assert_int_equal(inv_report(f->inv, &r, &dup, NULL), AU_OK);
	assert_int_equal(dup, 1);
	rule(f, ROLLOUT_DEFAULT, "", 0, "1.3", ROLLOUT_START);
	l = list(f, &flt, T0 + 1000, &more);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.names[0], "c-3");
	assert_string_equal(
	    l.failure[0], "rolled back 1.3 at start: exit 1: port in use");
	/* Kept across a restart. */
	reload(f);
	l = list(f, &flt, T0 + 1000, &more);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.names[0], "c-3");
	memset(&flt, 0, sizeof(flt));
	flt.stale = 1;
	l = list(f, &flt, T0 + 1000, &more);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.names[0], "b-2");
}

static void
test_paging_and_filters(void **state)
{
	struct fixture    *f = *state;
	struct inv_desired d[INV_MAX_AGENTS];
	struct inv_filter  flt;
	struct listing     l;
	char               name[16];
	size_t             nd;
	int                st, i, more = 0;

	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "h-%d", 4 - i);
		hb(f, 10 + i, name, "1.0", "started",
		    i < 4 ? &autoacc : &manual, T0, &st, d, &nd);
	}
	memset(&flt, 0, sizeof(flt));
	flt.limit = 2;
	l = list(f, &flt, T0, &more);
	assert_int_equal(l.n, 2);
	assert_int_equal(more, 1);
	assert_string_equal(l.names[1], "h-1");
	flt.after = "h-1";
	l = list(f, &flt, T0, &more);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.names[0], "h-2");
	flt.after = "h-3";
	l = list(f, &flt, T0, &more);
	assert_int_equal(l.n, 1);
	assert_int_equal(more, 0);
	memset(&flt, 0, sizeof(flt));
	flt.pending = 1;
	l = list(f, &flt, T0, &more);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.names[0], "h-0");
	memset(&flt, 0, sizeof(flt));
	flt.prefix = "h-3";
	assert_int_equal(list(f, &flt, T0, &more).n, 1);
	flt.prefix = NULL;
	flt.agent = "nodex";
	assert_int_equal(list(f, &flt, T0, &more).n, 4); /* pending: none */
	flt.agent = "other";
	assert_int_equal(list(f, &flt, T0, &more).n, 0);
	assert_int_equal(inv_count_running(f->inv, "nodex", "1.0"), 4);
}

static void
test_add(void **state)
{
	struct fixture    *f = *state;
	struct inv_desired d[INV_MAX_AGENTS];
	uint8_t            pk[SIG_PUBKEY_BYTES];
	size_t             nd;
	int                st;

	key(pk, 7);
	assert_int_equal(inv_host_add(f->inv, "pre-1", pk, T0, NULL), AU_OK);
	assert_int_equal(inv_host_add(f->inv, "pre-1", pk, T0, NULL), AU_OK);
	assert_int_equal(
	    inv_host_add(f->inv, "pre-2", pk, T0, NULL), AU_ALREADY_EXISTS);
	key(pk, 8);
	assert_int_equal(
	    inv_host_add(f->inv, "pre-1", pk, T0, NULL), AU_ALREADY_EXISTS);
	assert_int_equal(
	    hb(f, 7, "pre-1", "1.0", "started", &manual, T0, &st, d, &nd),
	    AU_OK);
	assert_int_equal(st, STORE_HOST_ACCEPTED);
	key(pk, 7);
	assert_int_equal(inv_host_check(f->inv, pk, "pre-1", NULL), AU_OK);
	assert_int_equal(inv_host_check(f->inv, pk, NULL, NULL), AU_OK);
	assert_int_equal(
	    inv_host_check(f->inv, pk, "pre-2", NULL), AU_PERMISSION_DENIED);
	key(pk, 9);
	assert_int_equal(
	    inv_host_check(f->inv, pk, NULL, NULL), AU_PERMISSION_DENIED);
}

static int
on_status(void *arg, const struct inv_host_view *h)
{
	snprintf(arg, 64, "%s %s", h->agents[0].version, h->agents[0].status);
	return 0;
}

/* Free-form status text is kept (not interned) and survives a restart. */
static void
test_status_text(void **state)
{
	struct fixture    *f = *state;
	struct inv_desired d[INV_MAX_AGENTS];
	struct inv_filter  flt;
	char               got[64] = "";
	size_t             nd;
	int                st, more;

	assert_int_equal(hb(f, 1, "s-1", "1.0", "crashed: exit 3", &autoacc, T0,
	                     &st, d, &nd),
	    AU_OK);
	memset(&flt, 0, sizeof(flt));
	assert_int_equal(
	    inv_hosts_each(f->inv, &flt, &manual, T0, on_status, got, &more),
	    AU_OK);
	assert_string_equal(got, "1.0 crashed: exit 3");
	assert_int_equal(inv_count_running(f->inv, "nodex", "1.0"), 0);
	inv_flush(f->inv);
	reload(f);
	assert_int_equal(
	    inv_hosts_each(f->inv, &flt, &manual, T0, on_status, got, &more),
	    AU_OK);
	assert_string_equal(got, "1.0 crashed: exit 3");
	assert_int_equal(
	    hb(f, 1, "s-1", "1.0", "started", &autoacc, T0, &st, d, &nd),
	    AU_OK);
	assert_int_equal(inv_count_running(f->inv, "nodex", "1.0"), 1);
}

/* Heartbeat state reaches the store through the flusher; a host removed
 * while its state waits is not written back. */
static void
test_flush(void **state)
{
	struct fixture    *f = *state;
	struct inv_desired d[INV_MAX_AGENTS];
	struct inv_filter  flt;
	struct listing     l;
	size_t             nd;
	int                st, more;

	hb(f, 1, "f-1", "1.0", "started", &autoacc, T0 - 500000, &st, d, &nd);
	hb(f, 1, "f-1", "1.0", "started", &autoacc, T0, &st, d, &nd);
	hb(f, 2, "f-2", "1.0", "started", &autoacc, T0, &st, d, &nd);
	assert_int_equal(inv_host_remove(f->inv, "f-2", NULL), AU_OK);
	inv_flush(f->inv);
	reload(f);
	memset(&flt, 0, sizeof(flt));
	l = list(f, &flt, T0 + 1000, &more);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.names[0], "f-1");
	assert_int_equal(l.stale[0], 0); /* last seen T0 was stored */
}

/* ------------------------------------------------------------ issue 9 */

/* The view of one agent of one host, copied out. */
struct seen {
	int      found, failed, reported;
	char     version[32], failure[160], failed_version[32], step[32];
	char     probation[32];
	uint32_t crashes;
};

static int
on_seen(void *arg, const struct inv_host_view *h)
{
	struct seen *s = arg;
	size_t       i;

	for (i = 0; i < h->nagents; i++) {
		const struct inv_agent_view *a = &h->agents[i];

		if (strcmp(a->name, "nodex") != 0)
			continue;
		s->found = 1;
		s->failed = a->failed;
		s->reported = a->reported;
		s->crashes = a->crashes;
		snprintf(s->version, sizeof(s->version), "%s",
		    a->version != NULL ? a->version : "-");
		snprintf(s->failure, sizeof(s->failure), "%s",
		    a->last_failure != NULL ? a->last_failure : "-");
		snprintf(s->failed_version, sizeof(s->failed_version), "%s",
		    a->failed_version != NULL ? a->failed_version : "-");
		snprintf(s->step, sizeof(s->step), "%s",
		    a->failed_step != NULL ? a->failed_step : "-");
		snprintf(s->probation, sizeof(s->probation), "%s",
		    a->probation != NULL ? a->probation : "-");
	}
	return 0;
}

static struct seen
seen(struct fixture *f, const char *host, uint64_t now)
{
	struct seen s;

	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    inv_host_show(f->inv, host, &manual, now, on_seen, &s, NULL),
	    AU_OK);
	return s;
}

/* A report about nodex. */
static void
report(struct fixture *f, const char *host, const char *id, const char *version,
    int outcome, int action, uint64_t now)
{
	struct store_report r;
	int                 dup = -1;

	memset(&r, 0, sizeof(r));
	r.hostname = host;
	r.report_id = id;
	r.agent = "nodex";
	r.version = version;
	r.outcome = outcome;
	r.action = action;
	r.step = "start";
	r.has_exit_code = 1;
	r.exit_code = 1;
	r.output_tail = "port in use\n";
	r.received_ms = now;
	assert_int_equal(inv_report(f->inv, &r, &dup, NULL), AU_OK);
	assert_int_equal(dup, 0);
}

/* A failed report for the version asked now is failure; after a new
 * set-version it is history (shown, not failed), at once and not only
 * after a heartbeat. */
static void
test_failure_is_current(void **state)
{
	struct fixture    *f = *state;
	struct inv_desired d[INV_MAX_AGENTS];
	struct seen        s;
	size_t             nd;
	int                st;

	rule(f, ROLLOUT_DEFAULT, "", 0, "7.0", ROLLOUT_START);
	hb(f, 1, "w-1", "3.0", "started", &autoacc, T0, &st, d, &nd);
	report(f, "w-1", "r1", "7.0", 3, ROLLOUT_START, T0 + 10);
	s = seen(f, "w-1", T0 + 20);
	assert_int_equal(s.failed, 1);
	assert_string_equal(
	    s.failure, "rolled back 7.0 at start: exit 1: port in use");
	/* A report about another action on the same version is not it. */
	rule(f, ROLLOUT_DEFAULT, "", 0, "7.0", ROLLOUT_STOP);
	assert_int_equal(seen(f, "w-1", T0 + 20).failed, 0);
	rule(f, ROLLOUT_DEFAULT, "", 0, "8.0", ROLLOUT_START);
	s = seen(f, "w-1", T0 + 30);
	assert_int_equal(s.failed, 0);
	assert_string_equal(
	    s.failure, "rolled back 7.0 at start: exit 1: port in use");
	/* Still history after the heartbeat and past the old grace. */
	hb(f, 1, "w-1", "3.0", "started", &autoacc, T0 + 1000, &st, d, &nd);
	assert_int_equal(seen(f, "w-1", T0 + 120500).failed, 0);
	/* Then the new target's own grace runs out. */
	assert_int_equal(seen(f, "w-1", T0 + 121500).failed, 1);
	/* Survives a restart: history stays history. */
	reload(f);
	rule(f, ROLLOUT_DEFAULT, "", 0, "9.0", ROLLOUT_START);
	hb(f, 1, "w-1", "3.0", "started", &autoacc, T0, &st, d, &nd);
	assert_int_equal(seen(f, "w-1", T0 + 1000).failed, 0);
	/* Nothing asked: the latest report is all there is. */
	report(f, "w-1", "r2", "9.0", 2, ROLLOUT_START, T0 + 10);
	assert_int_equal(seen(f, "w-1", T0 + 1000).failed, 1);
	assert_int_equal(
	    inv_rule_unset(f->inv, "nodex", ROLLOUT_DEFAULT, "", &st, NULL),
	    AU_OK);
	assert_int_equal(seen(f, "w-1", T0 + 1000).failed, 1);
}

/* The grace clock is about one target: a new one starts it again. */
static void
test_grace_restarts(void **state)
{
	struct fixture    *f = *state;
	struct inv_desired d[INV_MAX_AGENTS];
	size_t             nd;
	int                st;

	rule(f, ROLLOUT_DEFAULT, "", 0, "2.0", ROLLOUT_START);
	hb(f, 1, "g-1", "1.0", "started", &autoacc, T0, &st, d, &nd);
	assert_int_equal(seen(f, "g-1", T0 + 119000).failed, 0);
	assert_int_equal(seen(f, "g-1", T0 + 121000).failed, 1);
	rule(f, ROLLOUT_DEFAULT, "", 0, "3.0", ROLLOUT_START);
	assert_int_equal(seen(f, "g-1", T0 + 121000).failed, 0);
	hb(f, 1, "g-1", "1.0", "started", &autoacc, T0 + 100000, &st, d, &nd);
	hb(f, 1, "g-1", "1.0", "started", &autoacc, T0 + 130000, &st, d, &nd);
	assert_int_equal(seen(f, "g-1", T0 + 130000).failed, 0);
	assert_int_equal(seen(f, "g-1", T0 + 219000).failed, 0);
	assert_int_equal(seen(f, "g-1", T0 + 221000).failed, 1);
	/* Converged: the clock stops. */
	hb(f, 1, "g-1", "3.0", "started", &autoacc, T0 + 222000, &st, d, &nd);
	assert_int_equal(seen(f, "g-1", T0 + 900000).failed, 0);
}

/* STOP with no version: any version, stopped or not installed; REMOVE:
 * not reported at all, even when reports about it are kept. */
static void
test_stop_and_remove(void **state)
{
	struct fixture    *f = *state;
	struct inv_desired d[INV_MAX_AGENTS];
	uint8_t            pk[SIG_PUBKEY_BYTES];
	size_t             nd;
	int                st;
	uint64_t           late = T0 + 200000;

	rule(f, ROLLOUT_DEFAULT, "", 0, "", ROLLOUT_STOP);
	hb(f, 1, "s-1", "1.0", "started", &autoacc, T0, &st, d, &nd);
	assert_int_equal(nd, 1);
	assert_string_equal(d[0].version, "");
	assert_int_equal(d[0].action, ROLLOUT_STOP);
	assert_int_equal(seen(f, "s-1", late).failed, 1);
	hb(f, 1, "s-1", "1.0", "stopped", &autoacc, T0, &st, d, &nd);
	assert_int_equal(seen(f, "s-1", late).failed, 0);
	hb(f, 1, "s-1", NULL, NULL, &autoacc, T0, &st, d, &nd);
	assert_int_equal(seen(f, "s-1", late).failed, 0);
	/* REMOVE: a stopped agent still on the host is not removed. */
	rule(f, ROLLOUT_DEFAULT, "", 0, "", ROLLOUT_REMOVE);
	hb(f, 1, "s-1", "1.0", "stopped", &autoacc, T0, &st, d, &nd);
	assert_int_equal(d[0].action, ROLLOUT_REMOVE);
	assert_string_equal(d[0].version, "");
	assert_int_equal(seen(f, "s-1", late).failed, 1);
	/* Gone from the heartbeat, with a report about it kept. */
	report(f, "s-1", "rm-1", "1.0", 1, ROLLOUT_REMOVE, T0);
	key(pk, 1);
	assert_int_equal(inv_heartbeat(f->inv, pk, "s-1", "0.1.0", NULL, 0,
	                     &autoacc, T0 + 1000, &st, d, &nd, NULL),
	    AU_OK);
	assert_int_equal(seen(f, "s-1", late).failed, 0);
	assert_int_equal(seen(f, "s-1", late).reported, 0);
	/* A failed remove is failure now. */
	report(f, "s-1", "rm-2", "1.0", 2, ROLLOUT_REMOVE, T0 + 2000);
	hb(f, 1, "s-1", "1.0", "stopped", &autoacc, T0 + 3000, &st, d, &nd);
	assert_int_equal(seen(f, "s-1", T0 + 4000).failed, 1);
}

/* The host's word: failed version, step, crashes, probation reach views;
 * a failed version that is the target is failure ("not retried"). */
static void
test_host_word(void **state)
{
	struct fixture    *f = *state;
	struct inv_desired d[INV_MAX_AGENTS];
	struct store_agent a = {
	    "nodex", "3.0", "started", NULL, "7.0", "start", 2, NULL};
	uint8_t     pk[SIG_PUBKEY_BYTES];
	struct seen s;
	size_t      nd;
	int         st;

	key(pk, 4);
	rule(f, ROLLOUT_DEFAULT, "", 0, "7.0", ROLLOUT_START);
	assert_int_equal(inv_heartbeat(f->inv, pk, "h-1", "0.1.0", &a, 1,
	                     &autoacc, T0, &st, d, &nd, NULL),
	    AU_OK);
	s = seen(f, "h-1", T0 + 10);
	assert_int_equal(s.failed, 1); /* the host says so, no report */
	assert_string_equal(s.failed_version, "7.0");
	assert_string_equal(s.step, "start");
	assert_int_equal(s.crashes, 2);
	assert_string_equal(s.probation, "-");
	report(f, "h-1", "w1", "7.0", 3, ROLLOUT_START, T0 + 20);
	assert_string_equal(seen(f, "h-1", T0 + 30).failure,
	    "rolled back 7.0 at start: exit 1: port in use, not retried");
	/* Each field counts as a change (the fast path compares them). */
	a.failed_version = NULL;
	a.failed_step = NULL;
	a.probation = "7.0";
	a.crashes = 0;
	assert_int_equal(inv_heartbeat(f->inv, pk, "h-1", "0.1.0", &a, 1,
	                     &autoacc, T0 + 40, &st, d, &nd, NULL),
	    AU_OK);
	s = seen(f, "h-1", T0 + 50);
	assert_string_equal(s.failed_version, "-");
	assert_string_equal(s.probation, "7.0");
	assert_int_equal(s.crashes, 0);
	/* On probation: not failed past the grace period. */
	assert_int_equal(seen(f, "h-1", T0 + 500000).failed, 0);
	assert_string_equal(
	    s.failure, "rolled back 7.0 at start: exit 1: port in use");
	/* A crash report counts and is history, not failure. */
	a.version = "7.0";
	a.probation = NULL;
	assert_int_equal(inv_heartbeat(f->inv, pk, "h-1", "0.1.0", &a, 1,
	                     &autoacc, T0 + 60, &st, d, &nd, NULL),
	    AU_OK);
	report(f, "h-1", "c1", "7.0", 4, ROLLOUT_START, T0 + 70);
	s = seen(f, "h-1", T0 + 80);
	assert_int_equal(s.failed, 0);
	assert_int_equal(s.crashes, 1);
	assert_string_equal(
	    s.failure, "crashed 7.0 at start: exit 1: port in use");
	assert_int_equal(
	    inv_host_show(f->inv, "nope", &manual, T0, on_seen, &s, NULL),
	    AU_NOT_FOUND);
}

static uint64_t
token_of(struct fixture *f, int k, const char *host)
{
	struct inv_desired d[INV_MAX_AGENTS];
	size_t             nd = 0;
	int                st;

	assert_int_equal(
	    hb(f, k, host, "1.0", "started", &autoacc, T0, &st, d, &nd), AU_OK);
	assert_int_equal(nd, 1);
	return d[0].retry;
}

static uint64_t
retry(struct fixture *f, const char *host, const char *prefix, int failed,
    uint64_t now, enum au_status want, uint32_t *hosts)
{
	struct inv_retry_req rq;
	const char          *hs[1] = {host};
	uint64_t             token = 0;
	uint32_t             n = 0;

	memset(&rq, 0, sizeof(rq));
	rq.agent = "nodex";
	rq.failed = failed;
	rq.hosts = hs;
	rq.nhosts = host != NULL;
	rq.prefix = prefix;
	assert_int_equal(
	    inv_retry(f->inv, &rq, &manual, now, &token, &n, NULL), want);
	if (hosts != NULL)
		*hosts = n;
	return token;
}

/* The largest matching token: host, prefix, default; tokens grow even
 * when the clock does not; records survive a restart. */
static void
test_retry_tokens(void **state)
{
	struct fixture *f = *state;

	rule(f, ROLLOUT_DEFAULT, "", 0, "1.0", ROLLOUT_START);
	assert_int_equal(token_of(f, 1, "web-1"), 0);
	assert_int_equal(retry(f, NULL, NULL, 0, 1000, AU_OK, NULL), 1000);
	assert_int_equal(retry(f, NULL, "web-", 0, 500, AU_OK, NULL), 1001);
	assert_int_equal(retry(f, "web-1", NULL, 0, 2000, AU_OK, NULL), 2000);
	assert_int_equal(retry(f, NULL, "db-", 0, 1500, AU_OK, NULL), 2001);
	assert_int_equal(token_of(f, 1, "web-1"), 2000);
	assert_int_equal(token_of(f, 2, "web-2"), 1001);
	assert_int_equal(token_of(f, 3, "db-1"), 2001);
	assert_int_equal(token_of(f, 4, "app-1"), 1000);
	/* A later default record is the largest for everyone. */
	assert_int_equal(retry(f, NULL, NULL, 0, 100, AU_OK, NULL), 2002);
	assert_int_equal(token_of(f, 2, "web-2"), 2002);
	reload(f);
	assert_int_equal(token_of(f, 1, "web-1"), 2002);
	assert_int_equal(token_of(f, 3, "db-1"), 2002);
}

/* --failed names exactly the hosts failed now; removing a host drops its
 * records (in memory and on disk). */
static void
test_retry_failed_and_remove(void **state)
{
	struct fixture *f = *state;
	uint32_t        n = 9;
	uint64_t        t;

	rule(f, ROLLOUT_DEFAULT, "", 0, "2.0", ROLLOUT_START);
	assert_int_equal(token_of(f, 1, "a-1"), 0);
	assert_int_equal(token_of(f, 2, "a-2"), 0);
	assert_int_equal(token_of(f, 3, "a-3"), 0);
	report(f, "a-2", "x1", "2.0", 3, ROLLOUT_START, T0);
	report(f, "a-3", "x2", "1.5", 3, ROLLOUT_START, T0); /* history */
	t = retry(f, NULL, NULL, 1, 5000, AU_OK, &n);
	assert_int_equal(n, 1);
	assert_int_equal(token_of(f, 2, "a-2"), t);
	assert_int_equal(token_of(f, 1, "a-1"), 0);
	assert_int_equal(token_of(f, 3, "a-3"), 0);
	assert_int_equal(inv_host_remove(f->inv, "a-2", NULL), AU_OK);
	assert_int_equal(token_of(f, 4, "a-2"), 0); /* a new host a-2 */
	reload(f);
	assert_int_equal(token_of(f, 4, "a-2"), 0);
	/* Nothing failed: a token for no host. */
	assert_true(retry(f, NULL, NULL, 1, 6000, AU_OK, &n) > t);
	assert_int_equal(n, 0);
}

/* At most INV_RETRY_MAX records in all; replacing one does not count. */
static void
test_retry_cap(void **state)
{
	struct fixture      *f = *state;
	struct inv_retry_req rq;
	static char          names[10000][12];
	static const char   *hs[10000];
	uint64_t             token = 0;
	uint32_t             n = 0;
	int                  i;

	for (i = 0; i < 10000; i++) {
		snprintf(names[i], sizeof(names[i]), "c-%d", i);
		hs[i] = names[i];
	}
	memset(&rq, 0, sizeof(rq));
	rq.agent = "nodex";
	rq.hosts = hs;
	rq.nhosts = 10000;
	assert_int_equal(
	    inv_retry(f->inv, &rq, &manual, T0, &token, &n, NULL), AU_OK);
	assert_int_equal(n, 10000);
	assert_int_equal(
	    inv_retry(f->inv, &rq, &manual, T0, &token, &n, NULL), AU_OK);
	assert_int_equal(
	    retry(f, "c-x", NULL, 0, T0, AU_RESOURCE_EXHAUSTED, NULL), 0);
	assert_int_equal(retry(f, "c-7", NULL, 0, T0, AU_OK, NULL), T0 + 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_enrollment, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_desired, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_failed_and_stale, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_paging_and_filters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paging_many, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_status_text, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flush, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_failure_is_current, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_grace_restarts, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_stop_and_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_host_word, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_tokens, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_retry_failed_and_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_cap, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
