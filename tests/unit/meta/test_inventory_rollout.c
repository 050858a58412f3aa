/* SPDX-License-Identifier: MIT */
/*
 * test_inventory_rollout: phased rollouts in the inventory over a real
 * store in a temporary directory, 200 hosts heartbeating in process: the
 * first wave's members are exactly the hosts the threshold names; the
 * incremental counts equal a recount after heartbeats, reports, a host
 * rule that takes a member out, and a removal; a prefix rollout; a halt by
 * count with its exact reason; the counts and signatures rebuilt the same
 * after a reload from the store; and a transition another meta on the same
 * store made first, which this one then does not make again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au_test.h"
#include "inventory.h"
#include "inventory_rollout.h"
#include "rollout.h"
#include "store.h"

#define T0 1000000000ULL
#define NHOSTS 200

struct fixture {
	char          dir[AU_TEST_DIR_BYTES];
	struct store *st;
	struct inv   *inv;
	char          name[NHOSTS][16];
	char          version[NHOSTS][16]; /* what each host reports */
	int           reports;
};

/* What a test reads of a view. */
struct seen {
	int      n, state;
	uint32_t wave, hosts[WAVE_MAX], converged[WAVE_MAX], failed[WAVE_MAX];
	uint32_t pending[WAVE_MAX], nsigs, sig_hosts;
	char     reason[WAVE_REASON_MAX], sig[WAVE_SIG_MAX];
};

static const struct inv_policy pol = {1, 180, 120};

static void
pk_of(uint8_t pk[SIG_PUBKEY_BYTES], int i)
{
	memset(pk, 0x5a, SIG_PUBKEY_BYTES);
	pk[0] = (uint8_t)(i & 0xff);
	pk[1] = (uint8_t)(i >> 8);
}

/* Host i heartbeats with nodex at its version; returns what it is asked
 * for ("" when nothing). */
static const char *
hb(struct fixture *f, int i)
{
	static char        want[32];
	struct store_agent a = {
	    .name = "nodex", .version = f->version[i], .status = "started"};
	struct inv_desired d[INV_MAX_AGENTS];
	uint8_t            pk[SIG_PUBKEY_BYTES];
	size_t             nd = 0, k;
	int                state = 0;

	pk_of(pk, i);
	assert_int_equal(inv_heartbeat(f->inv, pk, f->name[i], "0.1.0", &a, 1,
	                     &pol, T0, &state, d, &nd, NULL),
	    AU_OK);
	want[0] = '\0';
	for (k = 0; k < nd; k++)
		if (strcmp(d[k].name, "nodex") == 0)
			snprintf(want, sizeof(want), "%s", d[k].version);
	return want;
}

static void report_at(struct fixture *f, int i, const char *version,
    int outcome, int pid, uint64_t received_ms);

static void
report(struct fixture *f, int i, const char *version, int outcome, int pid)
{
	report_at(f, i, version, outcome, pid, T0);
}

/* A report of nodex version from host i, received at received_ms. */
static void
report_at(struct fixture *f, int i, const char *version, int outcome, int pid,
    uint64_t received_ms)
{
	struct store_report r;
	char                id[32], msg[128];
	int                 dup = 0;

	memset(&r, 0, sizeof(r));
	snprintf(id, sizeof(id), "r-%d", ++f->reports);
	snprintf(msg, sizeof(msg),
	    "control start failed: exit 1: pid %d /opt/agents/nodex/%s/control",
	    pid, version);
	r.hostname = f->name[i];
	r.report_id = id;
	r.agent = "nodex";
	r.version = version;
	r.outcome = outcome;
	r.step = "start";
	r.message = outcome != 1 ? msg : NULL;
	r.received_ms = received_ms;
	assert_int_equal(inv_report(f->inv, &r, &dup, NULL), AU_OK);
	assert_int_equal(dup, 0);
}

static int
seen_cb(void *arg, const struct inv_rollout_view *v)
{
	struct seen *s = arg;
	size_t       i;

	memset(s, 0, sizeof(*s));
	s->n = 1;
	s->state = v->state;
	s->wave = v->wave;
	for (i = 0; i < v->nwaves; i++) {
		s->hosts[i] = v->waves[i].hosts;
		s->converged[i] = v->waves[i].converged;
		s->failed[i] = v->waves[i].failed;
		s->pending[i] = v->waves[i].pending;
	}
	snprintf(s->reason, sizeof(s->reason), "%s",
	    v->reason != NULL ? v->reason : "");
	s->nsigs = (uint32_t)v->nsigs;
	if (v->nsigs > 0) {
		snprintf(s->sig, sizeof(s->sig), "%s", v->sigs[0].signature);
		s->sig_hosts = v->sigs[0].hosts;
	}
	return 1; /* the newest only */
}

static void
look(struct fixture *f, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	inv_rollouts_each(f->inv, "nodex", 1, &pol, T0, seen_cb, s);
	assert_int_equal(s->n, 1);
}

/* Start nodex 2.0.0 over waves with the given limits (prefix "" = all). */
static void
start(struct fixture *f, const uint32_t *waves, size_t n,
    struct wave_limits lim, const char *prefix)
{
	struct inv_rollout_spec s = {
	    "nodex", "2.0.0", waves, n, 60000, lim, prefix, "test"};
	uint64_t id = 0;

	assert_int_equal(inv_rollout_start(f->inv, &s, T0, &id, NULL), AU_OK);
	assert_true(id > 0);
}

static int
setup(void **state)
{
	struct fixture   *f = au_test_fixture_new(sizeof(*f), "inv_rollout");
	struct store_rule def = {"nodex", ROLLOUT_DEFAULT, "", 0, "1.0.0",
	    ROLLOUT_START, T0, "test"};
	int               i;

	assert_non_null(f);
	assert_int_equal(store_open(f->dir, &f->st, NULL), AU_OK);
	assert_int_equal(inv_new(f->st, &f->inv, NULL), AU_OK);
	assert_int_equal(inv_rule_set(f->inv, &def, NULL), AU_OK);
	for (i = 0; i < NHOSTS; i++) {
		snprintf(f->name[i], sizeof(f->name[i]), "%s-%03d",
		    i % 4 == 0 ? "db" : "web", i);
		snprintf(f->version[i], sizeof(f->version[i]), "1.0.0");
		assert_string_equal(hb(f, i), "1.0.0");
	}
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

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* How many hosts (with the prefix) a wave of pct takes: all those whose
 * bucket is at most that of host number ceil(pct * n / 100). */
static uint32_t
expect_members(struct fixture *f, uint32_t pct, const char *prefix)
{
	uint32_t b[NHOSTS], n = 0, want, k, i;

	for (i = 0; i < NHOSTS; i++)
		if (strncmp(f->name[i], prefix, strlen(prefix)) == 0)
			b[n++] = rollout_bucket(f->name[i], "nodex");
	qsort(b, n, sizeof(b[0]), cmp_u32);
	want = (pct * n + 99) / 100;
	for (k = want; k < n && b[k] == b[want - 1]; k++)
		;
	return k;
}

/* Every host heartbeats: returns how many are asked for 2.0.0. */
static uint32_t
asked(struct fixture *f)
{
	uint32_t n = 0;
	int      i;

	for (i = 0; i < NHOSTS; i++)
		n += strcmp(hb(f, i), "2.0.0") == 0;
	return n;
}

static void
test_members_and_counts(void **state)
{
	struct fixture    *f = *state;
	static uint32_t    waves[] = {10, 50, 100};
	struct wave_limits lim = {100, 1, 0}; /* never halts */
	struct store_rule  pin = {
	     "nodex", ROLLOUT_HOST, NULL, 0, "1.0.0", ROLLOUT_START, T0, "test"};
	struct seen s;
	uint32_t    m = expect_members(f, 10, "");
	int         i, k = 0, member[4];

	start(f, waves, 3, lim, "");
	look(f, &s);
	assert_int_equal(s.state, INV_ROLLOUT_RUNNING);
	assert_int_equal(s.hosts[0], m);
	assert_int_equal(s.pending[0], m);
	assert_int_equal(asked(f), m);
	/* Members: the first converges, the second fails, the third is
	 * pinned by a host rule, the fourth is removed. */
	for (i = 0; i < NHOSTS && k < 4; i++)
		if (strcmp(hb(f, i), "2.0.0") == 0)
			member[k++] = i;
	assert_int_equal(k, 4);
	snprintf(f->version[member[0]], 16, "2.0.0");
	hb(f, member[0]);
	report(f, member[1], "2.0.0", 3, 77);
	pin.match = f->name[member[2]];
	assert_int_equal(inv_rule_set(f->inv, &pin, NULL), AU_OK);
	assert_string_equal(hb(f, member[2]), "1.0.0");
	assert_int_equal(
	    inv_host_remove(f->inv, f->name[member[3]], NULL), AU_OK);
	look(f, &s);
	assert_int_equal(s.hosts[0], m - 2);
	assert_int_equal(s.converged[0], 1);
	assert_int_equal(s.failed[0], 1);
	assert_int_equal(s.pending[0], m - 4);
	assert_int_equal(s.nsigs, 1);
	assert_string_equal(
	    s.sig, "start: control start failed: exit N: pid N PATH");
	/* The same after a reload from the store. */
	reload(f);
	look(f, &s);
	assert_int_equal(s.hosts[0], m - 2);
	assert_int_equal(s.converged[0], 1);
	assert_int_equal(s.failed[0], 1);
	assert_int_equal(s.nsigs, 1);
	assert_int_equal(s.sig_hosts, 1);
	/* A later success of the version: converged. */
	report(f, member[1], "2.0.0", 1, 0);
	snprintf(f->version[member[1]], 16, "2.0.0");
	hb(f, member[1]);
	look(f, &s);
	assert_int_equal(s.converged[0], 2);
	assert_int_equal(s.failed[0], 0);
	assert_int_equal(s.nsigs, 0);
}

static void
test_prefix(void **state)
{
	struct fixture    *f = *state;
	static uint32_t    waves[] = {50, 100};
	struct wave_limits lim = {100, 1, 0};
	struct seen        s;
	int                i;

	start(f, waves, 2, lim, "db-");
	look(f, &s);
	assert_int_equal(s.hosts[0], expect_members(f, 50, "db-"));
	for (i = 0; i < NHOSTS; i++)
		if (strncmp(f->name[i], "db-", 3) != 0)
			assert_string_equal(hb(f, i), "1.0.0");
	assert_int_equal(asked(f), s.hosts[0]);
}

/* A failure of the version reported before the rollout began is history:
 * a new rollout of it starts with a clean count. */
static void
test_old_failure_is_history(void **state)
{
	struct fixture    *f = *state;
	static uint32_t    waves[] = {100};
	struct wave_limits lim = {0, 0, 0}; /* halt at the first failure */
	struct seen        s;
	int                i;

	for (i = 0; i < NHOSTS; i++)
		report_at(f, i, "2.0.0", 3, 200 + i, T0 - 1);
	start(f, waves, 1, lim, "");
	look(f, &s);
	assert_int_equal(s.state, INV_ROLLOUT_RUNNING);
	assert_int_equal(s.failed[0], 0);
	assert_int_equal(s.pending[0], s.hosts[0]);
	report(f, 0, "2.0.0", 3, 300);
	look(f, &s);
	assert_int_equal(s.state, INV_ROLLOUT_HALTED);
	assert_int_equal(s.failed[0], 1);
}

static void
test_halt_count(void **state)
{
	struct fixture    *f = *state;
	static uint32_t    waves[] = {50, 100};
	struct wave_limits lim = {2, 0, 0}; /* more than 2 hosts failed */
	struct seen        s;
	int                i, failed = 0;

	start(f, waves, 2, lim, "");
	for (i = 0; i < NHOSTS && failed < 3; i++)
		if (strcmp(hb(f, i), "2.0.0") == 0) {
			look(f, &s);
			assert_int_equal(s.state, INV_ROLLOUT_RUNNING);
			report(f, i, "2.0.0", 2, 100 + i);
			failed++;
		}
	look(f, &s);
	assert_int_equal(s.state, INV_ROLLOUT_HALTED);
	assert_int_equal(s.failed[0], 3);
	snprintf(s.sig, sizeof(s.sig),
	    "max-failed: 3 of %u hosts failed"
	    " (limit 2 hosts)",
	    s.hosts[0]);
	assert_string_equal(s.reason, s.sig);
	/* Halted members keep the version; the rollout stays halted. */
	assert_int_equal(asked(f), s.hosts[0]);
	reload(f);
	look(f, &s);
	assert_int_equal(s.state, INV_ROLLOUT_HALTED);
	assert_int_equal(s.failed[0], 3);
	/* Abort: the default (never changed) applies again everywhere. */
	assert_int_equal(inv_rollout_control(f->inv, "nodex", INV_ROLLOUT_ABORT,
	                     "test", NULL, T0, &(uint64_t){0}, NULL),
	    AU_OK);
	assert_int_equal(asked(f), 0);
}

/* Two metas on one store: a transition the other made first is not made
 * again (the update names the state and wave it starts from). */
static void
test_transition_once(void **state)
{
	struct fixture      *f = *state;
	static uint32_t      waves[] = {50, 100};
	struct wave_limits   lim = {100, 1, 0};
	struct store        *other = NULL;
	struct store_rollout r = {1, "nodex", "2.0.0", INV_ROLLOUT_PAUSED,
	    "50,100", 0, "5000", 60000, 100, 1, 0, "", "by the other meta",
	    "1.0.0", T0, "test", T0 + 1, "1000000000", 0};
	struct au_err        err = AU_ERR_INIT;
	struct seen          s;
	uint64_t             id = 0;
	int                  changed = 0;

	start(f, waves, 2, lim, "");
	assert_int_equal(store_open(f->dir, &other, NULL), AU_OK);
	assert_int_equal(store_rollout_update(
	                     other, &r, INV_ROLLOUT_RUNNING, 0, &changed, NULL),
	    AU_OK);
	assert_int_equal(changed, 1);
	/* This meta still sees it running: its pause finds nothing to move. */
	assert_int_equal(inv_rollout_control(f->inv, "nodex", INV_ROLLOUT_PAUSE,
	                     "test", NULL, T0, &id, &err),
	    AU_ABORTED);
	assert_string_equal(err.msg, "rollout 1: changed by another meta");
	look(f, &s);
	assert_int_equal(s.state, INV_ROLLOUT_RUNNING);
	/* The same update again changes nothing. */
	assert_int_equal(store_rollout_update(
	                     other, &r, INV_ROLLOUT_RUNNING, 0, &changed, NULL),
	    AU_OK);
	assert_int_equal(changed, 0);
	store_close(other);
	/* A restart reads what the store holds. */
	reload(f);
	look(f, &s);
	assert_int_equal(s.state, INV_ROLLOUT_PAUSED);
	assert_string_equal(s.reason, "by the other meta");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_members_and_counts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prefix, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_halt_count, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_old_failure_is_history, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_transition_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
