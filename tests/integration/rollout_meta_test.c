/* SPDX-License-Identifier: MIT */
/*
 * rollout_meta_test: phased rollouts in a real meta process on 127.0.0.1
 * (ephemeral port, temporary data directory, certificates from
 * certs/mkcerts.sh), driven by 20 hosts that are real RPC clients, each
 * with its own ed25519 identity, sending heartbeats and install reports as
 * an updater would: a host asked for another version reports it installed
 * (and runs it) or, when told to fail, reports it rolled back and keeps
 * its version, without trying that version again.
 *
 * Covered: RolloutStart's checks with exact statuses; a 10,50,100 rollout
 * that advances as hosts converge and ends DONE with the default rule set;
 * halts on max-failed and on same-error (signature and sample host in
 * RolloutStatus, kept across a SIGKILL of meta); pause and resume; abort,
 * which puts the previous default back and asks members for it; SIGKILL of
 * meta mid-rollout: same state and wave after the restart, then on to the
 * end.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au.pb-c.h"
#include "au_test.h"
#include "rpc.h"
#include "sig.h"

#define HOST_SVC &au__v1__host_service__descriptor
#define ADMIN_SVC &au__v1__admin_service__descriptor
#define NHOSTS 20
#define AGENT "demo"
#define WAIT_ROUNDS 600 /* fleet rounds before a wait gives up (~60 s) */
/* meta.conf's lines besides those au_test_meta_write_conf always writes. */
#define CONF_EXTRA "stale_after = 30\nauto_accept = yes\n"

enum { RUNNING = 1, PAUSED = 2, HALTED = 3, DONE = 4, ABORTED = 5 };

struct env {
	struct au_test_meta meta;
	/* The fleet: web-00 .. web-19. */
	struct rpc_client *host[NHOSTS];
	uint8_t            host_sk[NHOSTS][SIG_SECKEY_BYTES];
	char               name[NHOSTS][16];
	char               version[NHOSTS][16]; /* what it runs */
	char               failed[NHOSTS][16];  /* what failed on it */
	const char        *bad;     /* the version every host fails with */
	int                reports; /* report ids */
	struct rpc_client *admin;
};

/* ------------------------------------------------------------ meta */

static void
clients_open(struct env *e)
{
	int i;

	e->admin = au_test_meta_client(&e->meta, e->meta.admin_sk, "admin");
	for (i = 0; i < NHOSTS; i++)
		e->host[i] =
		    au_test_meta_client(&e->meta, e->host_sk[i], "host");
}

static void
clients_close(struct env *e)
{
	int i;

	rpc_client_free(e->admin);
	for (i = 0; i < NHOSTS; i++)
		rpc_client_free(e->host[i]);
}

/* ------------------------------------------------------------ admin */

static void
upload(struct env *e, const char *version)
{
	Au__V1__UploadPackageRequest req = AU__V1__UPLOAD_PACKAGE_REQUEST__INIT;
	struct rpc_result            res = RPC_RESULT_INIT;
	char                         data[64];
	size_t                       mlen;
	char                        *man;

	snprintf(data, sizeof(data), "package %s %s", AGENT, version);
	man = au_test_manifest(AGENT, version, data, sizeof(data), 1,
	    sizeof(data), e->meta.rel_sk, &mlen);
	req.manifest.data = (uint8_t *)man;
	req.manifest.len = mlen;
	req.data.data = (uint8_t *)data;
	req.data.len = sizeof(data);
	req.has_finish = 1;
	req.finish = 1;
	au__v1__admin_service__upload_package(
	    rpc_client_service(e->admin, ADMIN_SVC), &req, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	rpc_result_fini(&res);
	free(man);
}

static void
set_default(struct env *e, const char *version)
{
	Au__V1__SetVersionRequest req = AU__V1__SET_VERSION_REQUEST__INIT;
	struct rpc_result         res = RPC_RESULT_INIT;

	req.agent = AGENT;
	req.version = (char *)(uintptr_t)version;
	req.action = AU__V1__ACTION__START;
	au__v1__admin_service__set_version(
	    rpc_client_service(e->admin, ADMIN_SVC), &req, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	rpc_result_fini(&res);
}

/* The default rule's version of AGENT into buf ("" when none). */
static void
default_version(struct env *e, char *buf, size_t sz)
{
	Au__V1__ListRulesRequest req = AU__V1__LIST_RULES_REQUEST__INIT;
	struct rpc_result        res = RPC_RESULT_INIT;
	Au__V1__ListRulesReply  *rep;
	size_t                   i;

	req.agent = AGENT;
	au__v1__admin_service__list_rules(
	    rpc_client_service(e->admin, ADMIN_SVC), &req, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	rep = (Au__V1__ListRulesReply *)res.reply;
	buf[0] = '\0';
	for (i = 0; i < rep->n_rules; i++)
		if (strcmp(rep->rules[i]->kind, "default") == 0)
			snprintf(buf, sz, "%s", rep->rules[i]->version);
	rpc_result_fini(&res);
}

struct start_opts {
	const uint32_t *waves;
	size_t          nwaves;
	uint64_t        bake_ms;
	int             max_failed; /* -1: default */
	int             percent;
	int             same_error; /* -1: default */
	const char     *version;
};

static enum au_status
rollout_start(struct env *e, const struct start_opts *o, struct rpc_result *res)
{
	Au__V1__RolloutStartRequest req = AU__V1__ROLLOUT_START_REQUEST__INIT;

	req.agent = AGENT;
	req.version = (char *)(uintptr_t)o->version;
	req.waves = (uint32_t *)(uintptr_t)o->waves;
	req.n_waves = o->nwaves;
	req.has_bake_ms = 1;
	req.bake_ms = o->bake_ms;
	if (o->max_failed >= 0) {
		req.has_max_failed = req.has_max_failed_percent = 1;
		req.max_failed = (uint32_t)o->max_failed;
		req.max_failed_percent = o->percent;
	}
	if (o->same_error >= 0) {
		req.has_same_error = 1;
		req.same_error = (uint32_t)o->same_error;
	}
	rpc_result_fini(res);
	au__v1__admin_service__rollout_start(
	    rpc_client_service(e->admin, ADMIN_SVC), &req, NULL, res);
	return res->status;
}

static enum au_status
control(struct env *e, int op, const char *reason, struct rpc_result *res)
{
	Au__V1__RolloutControlRequest req =
	    AU__V1__ROLLOUT_CONTROL_REQUEST__INIT;

	req.op = (Au__V1__RolloutControlRequest__Op)op;
	req.agent = AGENT;
	req.reason = (char *)(uintptr_t)reason;
	rpc_result_fini(res);
	au__v1__admin_service__rollout_control(
	    rpc_client_service(e->admin, ADMIN_SVC), &req, NULL, res);
	return res->status;
}

/* The newest rollout of AGENT; valid until res is finished. */
static Au__V1__Rollout *
status(struct env *e, struct rpc_result *res)
{
	Au__V1__RolloutStatusRequest req = AU__V1__ROLLOUT_STATUS_REQUEST__INIT;
	Au__V1__RolloutStatusReply  *rep;

	req.agent = AGENT;
	req.has_all = req.all = 1;
	rpc_result_fini(res);
	au__v1__admin_service__rollout_status(
	    rpc_client_service(e->admin, ADMIN_SVC), &req, NULL, res);
	assert_int_equal(res->status, AU_OK);
	rep = (Au__V1__RolloutStatusReply *)res->reply;
	assert_true(rep->n_rollouts > 0);
	return rep->rollouts[0];
}

/* ------------------------------------------------------------ the fleet */

static void
report(struct env *e, int i, const char *version, int outcome)
{
	Au__V1__ReportRequest req = AU__V1__REPORT_REQUEST__INIT;
	struct rpc_result     res = RPC_RESULT_INIT;
	char                  id[32], msg[160];

	snprintf(id, sizeof(id), "r-%d", ++e->reports);
	req.hostname = e->name[i];
	req.report_id = id;
	req.agent = AGENT;
	req.version = (char *)(uintptr_t)version;
	req.from_version = e->version[i];
	req.outcome = (Au__V1__Outcome)outcome;
	req.has_action = 1;
	req.action = AU__V1__ACTION__START;
	if (outcome != AU__V1__OUTCOME__OUTCOME_OK) {
		/* Every host fails alike, with its own pid. */
		snprintf(msg, sizeof(msg),
		    "control start failed: exit 1: pid %d "
		    "/opt/agents/%s/%s/control",
		    4000 + 37 * i, AGENT, version);
		req.step = "start";
		req.message = msg;
		req.has_exit_code = 1;
		req.exit_code = 1;
	}
	au__v1__host_service__report(
	    rpc_client_service(e->host[i], HOST_SVC), &req, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	rpc_result_fini(&res);
}

/* Host i heartbeats; what it is asked for and reply into want. */
static void
heartbeat(struct env *e, int i, char *want, size_t sz)
{
	Au__V1__HeartbeatRequest req = AU__V1__HEARTBEAT_REQUEST__INIT;
	Au__V1__AgentStatus      a = AU__V1__AGENT_STATUS__INIT, *ap = &a;
	Au__V1__HeartbeatReply  *rep;
	struct rpc_result        res = RPC_RESULT_INIT;
	size_t                   k;

	req.hostname = e->name[i];
	req.updater_version = "0.1.0";
	a.name = AGENT;
	a.version = e->version[i];
	a.status = "started";
	req.n_agents = 1;
	req.agents = &ap;
	au__v1__host_service__heartbeat(
	    rpc_client_service(e->host[i], HOST_SVC), &req, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	rep = (Au__V1__HeartbeatReply *)res.reply;
	want[0] = '\0';
	for (k = 0; k < rep->n_agents; k++)
		if (strcmp(rep->agents[k]->name, AGENT) == 0 &&
		    rep->agents[k]->action == AU__V1__ACTION__START)
			snprintf(want, sz, "%s", rep->agents[k]->version);
	rpc_result_fini(&res);
}

/* One heartbeat of every host, each acting on the answer: install what
 * it is asked for, or fail (once) when it is the bad version. */
static void
fleet_round(struct env *e)
{
	char want[16];
	int  i;

	for (i = 0; i < NHOSTS; i++) {
		heartbeat(e, i, want, sizeof(want));
		if (want[0] == '\0' || strcmp(want, e->version[i]) == 0 ||
		    strcmp(want, e->failed[i]) == 0)
			continue;
		if (e->bad != NULL && strcmp(want, e->bad) == 0) {
			report(
			    e, i, want, AU__V1__OUTCOME__OUTCOME_ROLLED_BACK);
			snprintf(
			    e->failed[i], sizeof(e->failed[i]), "%s", want);
			continue;
		}
		report(e, i, want, AU__V1__OUTCOME__OUTCOME_OK);
		snprintf(e->version[i], sizeof(e->version[i]), "%s", want);
	}
}

static int
hosts_on(const struct env *e, const char *version)
{
	int i, n = 0;

	for (i = 0; i < NHOSTS; i++)
		n += strcmp(e->version[i], version) == 0;
	return n;
}

/* Fleet rounds until the newest rollout is in state with wave at least
 * wave; fails the test after WAIT_ROUNDS. */
static void
wait_rollout(struct env *e, int state, uint32_t wave)
{
	struct rpc_result res = RPC_RESULT_INIT;
	Au__V1__Rollout  *r;
	int               i;

	for (i = 0; i < WAIT_ROUNDS; i++) {
		fleet_round(e);
		r = status(e, &res);
		if ((int)r->state == state && r->wave >= wave)
			break;
		au_test_sleep_ms(50);
	}
	rpc_result_fini(&res);
	if (i == WAIT_ROUNDS)
		fail_msg("rollout: no state %d at wave %u", state, wave);
}

/* ------------------------------------------------------------ fixtures */

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	char        dir[sizeof(e->meta.dir)];
	uint8_t     pk[SIG_PUBKEY_BYTES];
	int         i;

	snprintf(dir, sizeof(dir), "%s/t.XXXXXX", getenv("ROLLOUT_TEST_DIR"));
	assert_non_null(mkdtemp(dir));
	au_test_meta_init(&e->meta, dir);
	au_test_meta_write_conf(&e->meta, CONF_EXTRA);
	au_test_meta_start(&e->meta);
	/* Again, with the port meta got, to keep it across restarts. */
	au_test_meta_write_conf(&e->meta, CONF_EXTRA);
	for (i = 0; i < NHOSTS; i++) {
		sig_keypair(pk, e->host_sk[i]);
		snprintf(e->name[i], sizeof(e->name[i]), "web-%02d", i);
		snprintf(e->version[i], sizeof(e->version[i]), "1.0.0");
	}
	clients_open(e);
	upload(e, "1.0.0");
	upload(e, "2.0.0");
	set_default(e, "1.0.0");
	fleet_round(e); /* enrolled (auto_accept), on 1.0.0 */
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;
	int         rv;

	clients_close(e);
	au_test_meta_stop(&e->meta, SIGTERM);
	rv = getenv("ROLLOUT_TEST_KEEP") == NULL ? au_test_rmtree(e->meta.dir)
	                                         : 0;
	free(e);
	return rv;
}

/* ------------------------------------------------------------ tests */

static const uint32_t waves_10_50[] = {10, 50, 100};

static void
expect_start_error(struct env *e, const struct start_opts *o,
    Au__V1__Selector *sel, enum au_status want, const char *msg)
{
	Au__V1__RolloutStartRequest req = AU__V1__ROLLOUT_START_REQUEST__INIT;
	struct rpc_result           res = RPC_RESULT_INIT;

	req.agent = AGENT;
	req.version = (char *)(uintptr_t)o->version;
	req.waves = (uint32_t *)(uintptr_t)o->waves;
	req.n_waves = o->nwaves;
	req.selector = sel;
	au__v1__admin_service__rollout_start(
	    rpc_client_service(e->admin, ADMIN_SVC), &req, NULL, &res);
	assert_int_equal(res.status, want);
	if (strcmp(res.err.msg, msg) != 0)
		fail_msg("got \"%s\", want \"%s\"", res.err.msg, msg);
	rpc_result_fini(&res);
}

static void
test_start_checks(void **state)
{
	struct env       *e = *state;
	static uint32_t   bad[] = {10, 50};
	struct start_opts o = {bad, 2, 1000, -1, 0, -1, "2.0.0"};
	Au__V1__Selector  sel = AU__V1__SELECTOR__INIT;
	char             *hosts[1] = {"web-01"};
	struct rpc_result res = RPC_RESULT_INIT;
	Au__V1__Rollout  *r;

	expect_start_error(e, &o, NULL, AU_INVALID_ARGUMENT,
	    "meta: invalid argument: waves: must end at 100");
	o.waves = waves_10_50;
	o.nwaves = 3;
	o.version = "9.9.9";
	expect_start_error(e, &o, NULL, AU_FAILED_PRECONDITION,
	    "meta: failed precondition: no package demo 9.9.9 uploaded");
	o.version = "2.0.0";
	sel.n_hosts = 1;
	sel.hosts = hosts;
	expect_start_error(e, &o, &sel, AU_INVALID_ARGUMENT,
	    "meta: invalid argument: a rollout selects hosts by prefix only"
	    " (its waves are the percents)");
	sel.n_hosts = 0;
	sel.prefix = "";
	expect_start_error(e, &o, &sel, AU_INVALID_ARGUMENT,
	    "meta: invalid argument: selector: empty prefix");
	/* Defaults: waves 1,10,50,100, 5%, same error on 3. */
	o.waves = NULL;
	o.nwaves = 0;
	assert_int_equal(rollout_start(e, &o, &res), AU_OK);
	r = ((Au__V1__RolloutStartReply *)res.reply)->rollout;
	assert_int_equal(r->id, 1);
	assert_int_equal(r->state, RUNNING);
	assert_int_equal(r->n_waves, 4);
	assert_int_equal(r->waves[0], 1);
	assert_int_equal(r->max_failed, 5);
	assert_true(r->max_failed_percent);
	assert_int_equal(r->same_error, 3);
	assert_string_equal(r->previous_version, "1.0.0");
	assert_string_equal(r->created_by, "alice");
	/* 1% of 20 hosts is one host. */
	assert_int_equal(r->wave_stats[0]->hosts, 1);
	assert_int_equal(r->wave_stats[0]->pending, 1);
	o.waves = waves_10_50;
	o.nwaves = 3;
	assert_int_equal(rollout_start(e, &o, &res), AU_FAILED_PRECONDITION);
	assert_string_equal(res.err.msg,
	    "meta: failed precondition: rollout 1 of demo is running: pause,"
	    " abort or wait for it");
	assert_int_equal(control(e, 2, NULL, &res), AU_FAILED_PRECONDITION);
	assert_string_equal(res.err.msg,
	    "meta: failed precondition: rollout 1 of demo is running");
	rpc_result_fini(&res);
}

static void
test_advance_to_done(void **state)
{
	struct env       *e = *state;
	struct start_opts o = {waves_10_50, 3, 1000, -1, 0, -1, "2.0.0"};
	struct rpc_result res = RPC_RESULT_INIT;
	Au__V1__Rollout  *r;
	char              def[32];

	assert_int_equal(rollout_start(e, &o, &res), AU_OK);
	r = ((Au__V1__RolloutStartReply *)res.reply)->rollout;
	/* 10% of 20 hosts: 2. */
	assert_int_equal(r->wave_stats[0]->hosts, 2);
	fleet_round(e);
	assert_int_equal(hosts_on(e, "2.0.0"), 2);
	wait_rollout(e, RUNNING, 1);
	r = status(e, &res);
	assert_int_equal(r->wave_stats[0]->hosts, 2);
	assert_int_equal(r->wave_stats[0]->converged, 2);
	/* 50% of 20: 10 hosts in all, 8 of them in the second wave. */
	assert_int_equal(r->wave_stats[1]->hosts, 8);
	assert_true(r->wave_stats[1]->started_ms > 0);
	assert_int_equal(r->wave_stats[2]->started_ms, 0);
	wait_rollout(e, DONE, 2);
	r = status(e, &res);
	assert_int_equal(r->wave, 2);
	assert_null(r->reason);
	/* The counts as they were at the end. */
	assert_int_equal(r->wave_stats[0]->converged, 2);
	assert_int_equal(r->wave_stats[1]->converged, 8);
	assert_int_equal(r->wave_stats[2]->converged, 10);
	assert_int_equal(r->wave_stats[2]->pending, 0);
	assert_int_equal(hosts_on(e, "2.0.0"), NHOSTS);
	default_version(e, def, sizeof(def));
	assert_string_equal(def, "2.0.0");
	/* Done: another rollout may start. */
	upload(e, "3.0.0");
	o.version = "3.0.0";
	assert_int_equal(rollout_start(e, &o, &res), AU_OK);
	assert_int_equal(
	    ((Au__V1__RolloutStartReply *)res.reply)->rollout->id, 2);
	rpc_result_fini(&res);
}

static void
test_halt_max_failed(void **state)
{
	struct env       *e = *state;
	struct start_opts o = {waves_10_50, 3, 1000, 10, 1, 0, "2.0.0"};
	struct rpc_result res = RPC_RESULT_INIT;
	Au__V1__Rollout  *r;
	char              def[32];
	int               i;

	e->bad = "2.0.0";
	assert_int_equal(rollout_start(e, &o, &res), AU_OK);
	wait_rollout(e, HALTED, 0);
	r = status(e, &res);
	assert_int_equal(r->wave, 0);
	assert_string_equal(
	    r->reason, "max-failed: 1 of 2 hosts failed (limit 10%)");
	/* Halted: no further wave, whatever the hosts do. */
	for (i = 0; i < 5; i++)
		fleet_round(e);
	r = status(e, &res);
	assert_int_equal(r->state, HALTED);
	assert_int_equal(r->wave, 0);
	assert_int_equal(r->wave_stats[0]->failed, 2);
	assert_int_equal(r->wave_stats[1]->started_ms, 0);
	assert_int_equal(hosts_on(e, "1.0.0"), NHOSTS);
	default_version(e, def, sizeof(def));
	assert_string_equal(def, "1.0.0");
	rpc_result_fini(&res);
}

static void
test_halt_same_error(void **state)
{
	struct env       *e = *state;
	static uint32_t   w[] = {50, 100};
	struct start_opts o = {w, 2, 1000, 100, 1, 3, "2.0.0"};
	struct rpc_result res = RPC_RESULT_INIT;
	Au__V1__Rollout  *r;
	char              want[256], reason[256];

	e->bad = "2.0.0";
	assert_int_equal(rollout_start(e, &o, &res), AU_OK);
	wait_rollout(e, HALTED, 0);
	r = status(e, &res);
	assert_int_equal(r->n_signatures, 1);
	assert_string_equal(r->signatures[0]->signature,
	    "start: control start failed: exit N: pid N PATH");
	assert_int_equal(r->signatures[0]->hosts, 10);
	assert_non_null(strstr(r->signatures[0]->sample_message,
	    "control start failed: exit 1: pid "));
	snprintf(want, sizeof(want),
	    "same-error: 3 hosts: start: control start failed: exit N: pid N"
	    " PATH (e.g. %s)",
	    r->signatures[0]->sample_host);
	assert_string_equal(r->reason, want);
	snprintf(reason, sizeof(reason), "%s", r->reason);
	assert_int_equal(r->wave_stats[0]->failed, 10);
	/* SIGKILL: halted, same reason, the signatures rebuilt. */
	clients_close(e);
	au_test_meta_stop(&e->meta, SIGKILL);
	au_test_meta_start(&e->meta);
	clients_open(e);
	r = status(e, &res);
	assert_int_equal(r->state, HALTED);
	assert_string_equal(r->reason, reason);
	assert_int_equal(r->n_signatures, 1);
	assert_int_equal(r->signatures[0]->hosts, 10);
	assert_int_equal(r->wave_stats[0]->failed, 10);
	rpc_result_fini(&res);
}

static void
test_pause_resume(void **state)
{
	struct env       *e = *state;
	static uint32_t   w[] = {10, 100};
	struct start_opts o = {w, 2, 500, -1, 0, -1, "2.0.0"};
	struct rpc_result res = RPC_RESULT_INIT;
	Au__V1__Rollout  *r;
	int               i;

	assert_int_equal(control(e, 1, NULL, &res), AU_NOT_FOUND);
	assert_string_equal(
	    res.err.msg, "meta: not found: no active rollout of demo");
	assert_int_equal(rollout_start(e, &o, &res), AU_OK);
	assert_int_equal(control(e, 1, "look first", &res), AU_OK);
	r = ((Au__V1__RolloutControlReply *)res.reply)->rollout;
	assert_int_equal(r->state, PAUSED);
	assert_string_equal(r->reason, "look first");
	assert_int_equal(control(e, 1, NULL, &res), AU_FAILED_PRECONDITION);
	assert_string_equal(res.err.msg,
	    "meta: failed precondition: rollout 1 of demo is paused");
	/* Paused: members keep the version and converge; no advance for
	 * several bake periods. */
	for (i = 0; i < 20; i++) {
		fleet_round(e);
		au_test_sleep_ms(100);
	}
	r = status(e, &res);
	assert_int_equal(r->state, PAUSED);
	assert_int_equal(r->wave, 0);
	assert_int_equal(r->wave_stats[0]->converged, 2);
	assert_int_equal(hosts_on(e, "2.0.0"), 2);
	assert_int_equal(control(e, 2, NULL, &res), AU_OK);
	assert_int_equal(
	    ((Au__V1__RolloutControlReply *)res.reply)->rollout->state,
	    RUNNING);
	wait_rollout(e, DONE, 1);
	assert_int_equal(hosts_on(e, "2.0.0"), NHOSTS);
	rpc_result_fini(&res);
}

static void
test_abort(void **state)
{
	struct env       *e = *state;
	static uint32_t   w[] = {50, 100};
	struct start_opts o = {w, 2, 60000, -1, 0, -1, "2.0.0"};
	struct rpc_result res = RPC_RESULT_INIT;
	Au__V1__Rollout  *r;
	char              def[32];
	int               i;

	assert_int_equal(rollout_start(e, &o, &res), AU_OK);
	for (i = 0; i < WAIT_ROUNDS && hosts_on(e, "2.0.0") < 10; i++)
		fleet_round(e);
	assert_int_equal(hosts_on(e, "2.0.0"), 10);
	fleet_round(e); /* meta sees them run it */
	/* An operator moves the default meanwhile; abort puts 1.0.0 back. */
	upload(e, "1.5.0");
	set_default(e, "1.5.0");
	assert_int_equal(control(e, 3, "bad latency", &res), AU_OK);
	r = ((Au__V1__RolloutControlReply *)res.reply)->rollout;
	assert_int_equal(r->state, ABORTED);
	assert_string_equal(r->reason, "bad latency");
	assert_int_equal(r->wave_stats[0]->converged, 10);
	default_version(e, def, sizeof(def));
	assert_string_equal(def, "1.0.0");
	/* Every host, members first of all, is asked for 1.0.0 again. */
	fleet_round(e);
	assert_int_equal(hosts_on(e, "1.0.0"), NHOSTS);
	assert_int_equal(control(e, 3, NULL, &res), AU_NOT_FOUND);
	r = status(e, &res);
	assert_int_equal(r->state, ABORTED);
	rpc_result_fini(&res);
}

static void
test_sigkill_mid_rollout(void **state)
{
	struct env *e = *state;
	/* Baking takes 3 s: no wave can pass while meta restarts. */
	static uint32_t   w[] = {50, 100};
	struct start_opts o = {w, 2, 3000, -1, 0, -1, "2.0.0"};
	struct rpc_result res = RPC_RESULT_INIT;
	Au__V1__Rollout  *r;
	uint64_t          started1;

	assert_int_equal(rollout_start(e, &o, &res), AU_OK);
	/* The last wave reached: it bakes 3 s at least before it ends. */
	wait_rollout(e, RUNNING, 1);
	r = status(e, &res);
	assert_int_equal(r->wave, 1);
	started1 = r->wave_stats[1]->started_ms;
	clients_close(e);
	au_test_meta_stop(&e->meta, SIGKILL);
	au_test_meta_start(&e->meta);
	clients_open(e);
	r = status(e, &res);
	assert_int_equal(r->state, RUNNING);
	assert_int_equal(r->wave, 1);
	assert_true(r->wave_stats[1]->started_ms == started1);
	assert_int_equal(r->wave_stats[0]->hosts, 10);
	assert_int_equal(r->wave_stats[1]->hosts, 10);
	wait_rollout(e, DONE, 1);
	assert_int_equal(hosts_on(e, "2.0.0"), NHOSTS);
	rpc_result_fini(&res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_start_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_advance_to_done, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_halt_max_failed, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_halt_same_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pause_resume, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_sigkill_mid_rollout, setup, teardown),
	};
	char dir[64];
	int  rc;

	if (getenv("AU_BIN") == NULL || getenv("AU_SRC") == NULL) {
		fprintf(stderr, "rollout_meta_test: AU_BIN and AU_SRC must be"
		                " set\n");
		return 1;
	}
	if (au_test_mkdtemp(dir, sizeof(dir), "rollout_meta_test") ||
	    setenv("ROLLOUT_TEST_DIR", dir, 1) != 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (getenv("ROLLOUT_TEST_KEEP") == NULL && au_test_rmtree(dir) != 0)
		rc = 1;
	return rc;
}
