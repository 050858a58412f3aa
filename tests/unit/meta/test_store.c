/* SPDX-License-Identifier: MIT */
/*
 * test_store: meta's SQLite store in a temporary directory: hosts, batched
 * heartbeat state, rules, reports once per id, reports by host newest
 * first, retry records, the audit log, and that everything is there after
 * closing and opening again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au_test.h"
#include "store.h"

struct fixture {
	char          dir[AU_TEST_DIR_BYTES];
	struct store *s;
};

static int
setup(void **state)
{
	struct fixture *f = au_test_fixture_new(sizeof(*f), "store");

	assert_non_null(f);
	assert_int_equal(store_open(f->dir, &f->s, NULL), AU_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->s);
	assert_int_equal(au_test_fixture_free(f), 0);
	return 0;
}

static void
reopen(struct fixture *f)
{
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(f->dir, &f->s, NULL), AU_OK);
}

struct seen_hosts {
	int      n;
	char     name[4][32];
	int      state[4];
	uint64_t last_seen[4];
	int      nagents;
	char     agent[4][64];
};

static int
on_host(void *arg, const struct store_host *h)
{
	struct seen_hosts *s = arg;

	snprintf(s->name[s->n], sizeof(s->name[0]), "%s", h->hostname);
	s->state[s->n] = h->state;
	s->last_seen[s->n] = h->last_seen_ms;
	s->n++;
	return 0;
}

static int
on_agent(void *arg, const char *host, const struct store_agent *a)
{
	struct seen_hosts *s = arg;

	snprintf(s->agent[s->nagents++], sizeof(s->agent[0]), "%s/%s/%s/%s",
	    host, a->name, a->version != NULL ? a->version : "-",
	    a->status != NULL ? a->status : "-");
	return 0;
}

static void
put_host(struct store *st, const char *name, uint8_t key, int state)
{
	struct store_host h;

	memset(&h, 0, sizeof(h));
	h.hostname = name;
	memset(h.pubkey, key, sizeof(h.pubkey));
	h.state = state;
	h.created_ms = 1000;
	assert_int_equal(store_host_put(st, &h, NULL), AU_OK);
}

static void
test_hosts(void **state)
{
	struct fixture   *f = *state;
	struct seen_hosts s;

	put_host(f->s, "web-2", 2, STORE_HOST_PENDING);
	put_host(f->s, "web-1", 1, STORE_HOST_PENDING);
	put_host(f->s, "web-2", 2, STORE_HOST_ACCEPTED); /* an update */
	reopen(f);
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    store_hosts_load(f->s, on_host, on_agent, &s, NULL), AU_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.name[0], "web-1");
	assert_int_equal(s.state[1], STORE_HOST_ACCEPTED);
	assert_int_equal(store_host_delete(f->s, "web-1", NULL), AU_OK);
	assert_int_equal(store_host_delete(f->s, "web-1", NULL), AU_NOT_FOUND);
}

static void
test_seen_batch(void **state)
{
	struct fixture    *f = *state;
	struct seen_hosts  s;
	struct store_agent a[2] = {
	    {"nodex", "1.4.2", "started", NULL, NULL, NULL, 0, NULL},
	    {"logd", NULL, "stopped", "boom", NULL, NULL, 0, NULL}};
	struct store_seen recs[3] = {{"web-1", 6000, "0.1.0", 1, a, 2},
	    {"web-1", 5000, "0.1.0", 0, NULL, 0}, /* older: kept out */
	    {"gone", 5000, NULL, 1, a, 2}};       /* removed host: no rows */

	put_host(f->s, "web-1", 1, STORE_HOST_ACCEPTED);
	assert_int_equal(store_seen_write(f->s, recs, 3, NULL), AU_OK);
	assert_int_equal(store_seen_write(f->s, recs, 0, NULL), AU_OK);
	reopen(f);
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    store_hosts_load(f->s, on_host, on_agent, &s, NULL), AU_OK);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.last_seen[0], 6000);
	assert_int_equal(s.nagents, 2);
	assert_string_equal(s.agent[0], "web-1/logd/-/stopped");
	assert_string_equal(s.agent[1], "web-1/nodex/1.4.2/started");
	/* Agents replaced as a whole when they changed. */
	recs[0].nagents = 1;
	recs[0].last_seen_ms = 7000;
	assert_int_equal(store_seen_write(f->s, recs, 1, NULL), AU_OK);
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    store_hosts_load(f->s, on_host, on_agent, &s, NULL), AU_OK);
	assert_int_equal(s.last_seen[0], 7000);
	assert_int_equal(s.nagents, 1);
	assert_string_equal(s.agent[0], "web-1/nodex/1.4.2/started");
}

struct rules_seen {
	int  n;
	char text[8][96];
};

static int
on_rule(void *arg, const struct store_rule *r)
{
	struct rules_seen *s = arg;

	snprintf(s->text[s->n++], sizeof(s->text[0]), "%s %d '%s' %u %s %d %s",
	    r->agent, r->kind, r->match, r->percent, r->version, r->action,
	    r->updated_by);
	return 0;
}

static void
test_rules(void **state)
{
	struct fixture   *f = *state;
	struct rules_seen s;
	struct store_rule r = {"nodex", 0, "", 0, "1.0", 1, 10, "alice"};
	int               removed = 0;

	assert_int_equal(store_rule_put(f->s, &r, NULL), AU_OK);
	r.kind = 2;
	r.match = "web-";
	r.version = "1.1";
	assert_int_equal(store_rule_put(f->s, &r, NULL), AU_OK);
	r.version = "1.2"; /* replaces (nodex, prefix, web-) */
	r.updated_by = "bob";
	assert_int_equal(store_rule_put(f->s, &r, NULL), AU_OK);
	reopen(f);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_rules_load(f->s, on_rule, &s, NULL), AU_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.text[0], "nodex 0 '' 0 1.0 1 alice");
	assert_string_equal(s.text[1], "nodex 2 'web-' 0 1.2 1 bob");
	assert_int_equal(
	    store_rule_delete(f->s, "nodex", 2, "web-", &removed, NULL), AU_OK);
	assert_int_equal(removed, 1);
	assert_int_equal(
	    store_rule_delete(f->s, "nodex", 2, "web-", &removed, NULL), AU_OK);
	assert_int_equal(removed, 0);
}

static int
on_report(void *arg, const struct store_report *r)
{
	struct rules_seen *s = arg;

	snprintf(s->text[s->n++], sizeof(s->text[0]), "%s %s %s %d %d",
	    r->hostname, r->agent, r->report_id, r->outcome,
	    r->has_exit_code ? r->exit_code : -99);
	return 0;
}

static void
test_reports_once(void **state)
{
	struct fixture     *f = *state;
	struct store_report r;
	struct rules_seen   s;
	uint64_t            count = 0;
	int                 dup = -1;

	memset(&r, 0, sizeof(r));
	r.hostname = "web-1";
	r.report_id = "r-1";
	r.agent = "nodex";
	r.version = "1.2.0";
	r.outcome = 3;
	r.step = "start";
	r.has_exit_code = 1;
	r.exit_code = 1;
	r.received_ms = 100;
	assert_int_equal(store_report_add(f->s, &r, &dup, NULL), AU_OK);
	assert_int_equal(dup, 0);
	assert_int_equal(store_report_add(f->s, &r, &dup, NULL), AU_OK);
	assert_int_equal(dup, 1);
	r.report_id = "r-2";
	r.outcome = 1;
	r.has_exit_code = 0;
	assert_int_equal(store_report_add(f->s, &r, &dup, NULL), AU_OK);
	assert_int_equal(dup, 0);
	assert_int_equal(
	    store_report_count(f->s, "web-1", &count, NULL), AU_OK);
	assert_int_equal(count, 2);
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    store_reports_latest(f->s, on_report, &s, NULL), AU_OK);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.text[0], "web-1 nodex r-2 1 -99");
}

/* Reports of web-1 and web-2 for two agents, five each of nodex: by
 * host, each agent's newest first, at most per_agent of each; the output
 * tail whole. */
static void
test_reports_host(void **state)
{
	struct fixture     *f = *state;
	struct store_report r;
	struct rules_seen   s;
	char                id[16], tail[3000];
	int                 dup = -1, i;

	memset(tail, 'x', sizeof(tail) - 1);
	tail[sizeof(tail) - 1] = '\0';
	memset(&r, 0, sizeof(r));
	r.agent = "nodex";
	r.outcome = 2;
	for (i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "n-%d", i);
		r.report_id = id;
		r.hostname = i == 2 ? "web-2" : "web-1";
		r.exit_code = i;
		r.has_exit_code = 1;
		r.output_tail = i == 4 ? tail : "short";
		assert_int_equal(store_report_add(f->s, &r, &dup, NULL), AU_OK);
	}
	r.hostname = "web-1";
	r.agent = "logd";
	r.report_id = "l-0";
	r.has_exit_code = 0;
	assert_int_equal(store_report_add(f->s, &r, &dup, NULL), AU_OK);
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    store_reports_host(f->s, "web-1", 2, on_report, &s, NULL), AU_OK);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.text[0], "web-1 logd l-0 2 -99");
	assert_string_equal(s.text[1], "web-1 nodex n-4 2 4");
	assert_string_equal(s.text[2], "web-1 nodex n-3 2 3");
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    store_reports_host(f->s, "web-1", 100, on_report, &s, NULL), AU_OK);
	assert_int_equal(s.n, 5);
	assert_string_equal(s.text[4], "web-1 nodex n-0 2 0");
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    store_reports_host(f->s, "nope", 5, on_report, &s, NULL), AU_OK);
	assert_int_equal(s.n, 0);
}

static int
on_tail(void *arg, const struct store_report *r)
{
	*(size_t *)arg = r->output_tail != NULL ? strlen(r->output_tail) : 0;
	return 1;
}

static void
test_reports_host_tail(void **state)
{
	struct fixture     *f = *state;
	struct store_report r;
	char                tail[16385];
	size_t              got = 0;
	int                 dup = -1;

	memset(tail, 'y', sizeof(tail) - 1);
	tail[sizeof(tail) - 1] = '\0';
	memset(&r, 0, sizeof(r));
	r.hostname = "web-1";
	r.report_id = "t-1";
	r.agent = "nodex";
	r.outcome = 3;
	r.output_tail = tail;
	assert_int_equal(store_report_add(f->s, &r, &dup, NULL), AU_OK);
	assert_int_equal(
	    store_reports_host(f->s, "web-1", 1, on_tail, &got, NULL), AU_OK);
	assert_int_equal(got, 16384);
}

static int
on_retry(void *arg, const struct store_retry *r)
{
	struct rules_seen *s = arg;

	snprintf(s->text[s->n++], sizeof(s->text[0]), "%s %d '%s' %llu",
	    r->agent, r->kind, r->match, (unsigned long long)r->token);
	return 0;
}

/* Retry records: put, replace by (agent, kind, match), load in order,
 * and a removed host takes its host records (only) with it. */
static void
test_retries(void **state)
{
	struct fixture    *f = *state;
	struct rules_seen  s;
	struct store_retry r[4] = {{"nodex", 1, "web-1", 10},
	    {"nodex", 2, "web-", 11}, {"logd", 0, "", 12},
	    {"logd", 1, "web-1", 13}};

	put_host(f->s, "web-1", 1, STORE_HOST_ACCEPTED);
	assert_int_equal(store_retry_put(f->s, r, 4, NULL), AU_OK);
	r[1].token = 20; /* replaces (nodex, prefix, web-) */
	assert_int_equal(store_retry_put(f->s, &r[1], 1, NULL), AU_OK);
	reopen(f);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_retries_load(f->s, on_retry, &s, NULL), AU_OK);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.text[0], "logd 0 '' 12");
	assert_string_equal(s.text[1], "logd 1 'web-1' 13");
	assert_string_equal(s.text[2], "nodex 1 'web-1' 10");
	assert_string_equal(s.text[3], "nodex 2 'web-' 20");
	assert_int_equal(store_host_delete(f->s, "web-1", NULL), AU_OK);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_retries_load(f->s, on_retry, &s, NULL), AU_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.text[0], "logd 0 '' 12");
	assert_string_equal(s.text[1], "nodex 2 'web-' 20");
}

static int
on_audit(void *arg, const struct store_audit *a)
{
	struct rules_seen *s = arg;

	snprintf(s->text[s->n++], sizeof(s->text[0]), "%llu %s %s %s",
	    (unsigned long long)a->time_ms, a->who, a->action,
	    a->detail != NULL ? a->detail : "-");
	return 0;
}

static void
test_audit(void **state)
{
	struct fixture    *f = *state;
	struct rules_seen  s;
	struct store_audit a[3] = {{100, "alice", "set-version", "nodex 1.0"},
	    {200, "bob", "accept", "web-1"}, {300, "alice", "unset", NULL}};
	int                i;

	for (i = 0; i < 3; i++)
		assert_int_equal(store_audit_add(f->s, &a[i], NULL), AU_OK);
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    store_audit_list(f->s, 150, 0, on_audit, &s, NULL), AU_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.text[0], "200 bob accept web-1");
	assert_string_equal(s.text[1], "300 alice unset -");
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    store_audit_list(f->s, 0, 1, on_audit, &s, NULL), AU_OK);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.text[0], "300 alice unset -");
}

static void
test_open_bad_dir(void **state)
{
	struct store *s = NULL;

	(void)state;
	assert_int_equal(store_open("/proc/version/x", &s, NULL) != AU_OK, 1);
	assert_null(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_hosts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_seen_batch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reports_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reports_host, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_reports_host_tail, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
	    cmocka_unit_test(test_open_bad_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
