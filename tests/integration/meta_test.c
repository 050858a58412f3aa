/* SPDX-License-Identifier: MIT */
/*
 * meta_test: a real meta process on 127.0.0.1 (ephemeral port, temporary
 * data directory, certificates from certs/mkcerts.sh), driven by real RPC
 * clients with their own ed25519 keys: enrollment (pending, accept,
 * reject, another key for a known name), rules and desired agents, the
 * package precondition, reports stored once, failed listings, status,
 * audit, durability across SIGKILL, and SIGHUP with a broken config;
 * issue 9: HostShow's drill-down, Retry tokens in heartbeat replies, stop
 * and remove without a version, failure that is about the current target.
 */
#include <sys/wait.h>

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

/* What every test's config has besides au_test_meta_write_conf's lines. */
#define CONF_EXTRA "failed_grace = 1\n"

static int
setup(void **state)
{
	struct au_test_meta *e = calloc(1, sizeof(*e));
	char                 dir[sizeof(e->dir)];

	/* Under the run's directory, removed by main() even after a
	 * failure (cmocka skips teardown then). */
	snprintf(dir, sizeof(dir), "%s/t.XXXXXX", getenv("META_TEST_DIR"));
	assert_non_null(mkdtemp(dir));
	au_test_meta_init(e, dir);
	au_test_meta_write_conf(e, CONF_EXTRA);
	au_test_meta_start(e);
	au_test_meta_write_conf(e, CONF_EXTRA); /* pin the port for restarts */
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct au_test_meta *e = *state;
	int                  rv;

	au_test_meta_stop(e, SIGTERM);
	rv = au_test_rmtree(e->dir);
	free(e);
	return rv;
}

/* A heartbeat with one agent; returns the status, fills *state. */
static enum au_status
heartbeat(struct rpc_client *c, const char *host, const char *version,
    const char *status, int *state, Au__V1__HeartbeatReply **keep,
    struct rpc_result *res)
{
	Au__V1__HeartbeatRequest req = AU__V1__HEARTBEAT_REQUEST__INIT;
	Au__V1__AgentStatus      a = AU__V1__AGENT_STATUS__INIT;
	Au__V1__AgentStatus     *ap = &a;

	req.hostname = (char *)(uintptr_t)host;
	req.updater_version = "0.1.0";
	a.name = "nodex";
	a.version = (char *)(uintptr_t)version;
	a.status = (char *)(uintptr_t)status;
	req.n_agents = 1;
	req.agents = &ap;
	au__v1__host_service__heartbeat(
	    rpc_client_service(c, HOST_SVC), &req, NULL, res);
	if (res->status == AU_OK) {
		*state = ((Au__V1__HeartbeatReply *)res->reply)->state;
		if (keep != NULL)
			*keep = (Au__V1__HeartbeatReply *)res->reply;
	}
	return res->status;
}

static enum au_status
hb_simple(struct rpc_client *c, const char *host, int *state)
{
	struct rpc_result res = RPC_RESULT_INIT;
	enum au_status    st;

	st = heartbeat(c, host, "1.0.0", "started", state, NULL, &res);
	rpc_result_fini(&res);
	return st;
}

static enum au_status
host_action(
    struct rpc_client *admin, int op, const char *host, const uint8_t *pk)
{
	Au__V1__HostActionRequest req = AU__V1__HOST_ACTION_REQUEST__INIT;
	struct rpc_result         res = RPC_RESULT_INIT;
	enum au_status            st;

	req.op = (Au__V1__HostActionRequest__Op)op;
	req.hostname = (char *)(uintptr_t)host;
	if (pk != NULL) {
		req.has_pubkey = 1;
		req.pubkey.data = (uint8_t *)(uintptr_t)pk;
		req.pubkey.len = SIG_PUBKEY_BYTES;
	}
	au__v1__admin_service__host_action(
	    rpc_client_service(admin, ADMIN_SVC), &req, NULL, &res);
	st = res.status;
	if (st != AU_OK && getenv("META_TEST_DEBUG") != NULL)
		fprintf(stderr, "host_action: %s\n", au_err_str(&res.err));
	rpc_result_fini(&res);
	return st;
}

static enum au_status
set_version(struct rpc_client *admin, const char *agent, const char *version,
    int action, const char *prefix, struct rpc_result *res)
{
	Au__V1__SetVersionRequest req = AU__V1__SET_VERSION_REQUEST__INIT;
	Au__V1__Selector          sel = AU__V1__SELECTOR__INIT;

	req.agent = (char *)(uintptr_t)agent;
	req.version = (char *)(uintptr_t)version;
	req.action = (Au__V1__Action)action;
	if (prefix != NULL) {
		sel.prefix = (char *)(uintptr_t)prefix;
		req.selector = &sel;
	}
	au__v1__admin_service__set_version(
	    rpc_client_service(admin, ADMIN_SVC), &req, NULL, res);
	return res->status;
}

static size_t
count_rules(struct rpc_client *admin)
{
	Au__V1__ListRulesRequest req = AU__V1__LIST_RULES_REQUEST__INIT;
	struct rpc_result        res = RPC_RESULT_INIT;
	size_t                   n;

	au__v1__admin_service__list_rules(
	    rpc_client_service(admin, ADMIN_SVC), &req, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	n = ((Au__V1__ListRulesReply *)res.reply)->n_rules;
	rpc_result_fini(&res);
	return n;
}

#define OP_ACCEPT AU__V1__HOST_ACTION_REQUEST__OP__ACCEPT
#define OP_REJECT AU__V1__HOST_ACTION_REQUEST__OP__REJECT
#define OP_REMOVE AU__V1__HOST_ACTION_REQUEST__OP__REMOVE
#define OP_ADD AU__V1__HOST_ACTION_REQUEST__OP__ADD

static void
test_enrollment(void **state)
{
	struct au_test_meta *e = *state;
	uint8_t              pk1[32], sk1[64], pk2[32], sk2[64];
	struct rpc_client   *h1, *h2, *admin;
	int                  st = 0;

	sig_keypair(pk1, sk1);
	sig_keypair(pk2, sk2);
	h1 = au_test_meta_client(e, sk1, "host");
	h2 = au_test_meta_client(e, sk2, "host");
	admin = au_test_meta_client(e, e->admin_sk, "admin");
	/* Unknown key: pending, bound to that key. */
	assert_int_equal(hb_simple(h1, "web-1", &st), AU_OK);
	assert_int_equal(st, AU__V1__HOST_STATE__PENDING);
	assert_int_equal(hb_simple(h1, "web-1", &st), AU_OK);
	assert_int_equal(st, AU__V1__HOST_STATE__PENDING);
	/* Another key for the known name; the same key for another name. */
	assert_int_equal(hb_simple(h2, "web-1", &st), AU_PERMISSION_DENIED);
	assert_int_equal(hb_simple(h1, "web-9", &st), AU_PERMISSION_DENIED);
	/* A host key may not call the admin service. */
	assert_int_equal(
	    host_action(h1, OP_ACCEPT, "web-1", NULL), AU_PERMISSION_DENIED);
	assert_int_equal(host_action(admin, OP_ACCEPT, "web-1", NULL), AU_OK);
	assert_int_equal(hb_simple(h1, "web-1", &st), AU_OK);
	assert_int_equal(st, AU__V1__HOST_STATE__ACCEPTED);
	assert_int_equal(hb_simple(h2, "web-1", &st), AU_PERMISSION_DENIED);
	assert_int_equal(host_action(admin, OP_REJECT, "web-1", NULL), AU_OK);
	assert_int_equal(hb_simple(h1, "web-1", &st), AU_PERMISSION_DENIED);
	assert_int_equal(host_action(admin, OP_REMOVE, "web-1", NULL), AU_OK);
	assert_int_equal(
	    host_action(admin, OP_REMOVE, "web-1", NULL), AU_NOT_FOUND);
	/* Preauthorized: accepted at the first heartbeat. */
	assert_int_equal(host_action(admin, OP_ADD, "web-2", pk2), AU_OK);
	assert_int_equal(
	    host_action(admin, OP_ADD, "web-3", pk2), AU_ALREADY_EXISTS);
	assert_int_equal(hb_simple(h2, "web-2", &st), AU_OK);
	assert_int_equal(st, AU__V1__HOST_STATE__ACCEPTED);
	rpc_client_free(h1);
	rpc_client_free(h2);
	rpc_client_free(admin);
}

static void
test_rules_desired(void **state)
{
	struct au_test_meta    *e = *state;
	uint8_t                 pk[32], sk[64];
	struct rpc_client      *h, *admin;
	struct rpc_result       res = RPC_RESULT_INIT;
	Au__V1__HeartbeatReply *rep = NULL;
	int                     st = 0;

	sig_keypair(pk, sk);
	h = au_test_meta_client(e, sk, "host");
	admin = au_test_meta_client(e, e->admin_sk, "admin");
	assert_int_equal(host_action(admin, OP_ADD, "db-1", pk), AU_OK);
	/* START needs an uploaded package. */
	assert_int_equal(set_version(admin, "nodex", "1.4.2",
	                     AU__V1__ACTION__START, NULL, &res),
	    AU_FAILED_PRECONDITION);
	assert_non_null(strstr(res.err.msg, "no package nodex 1.4.2 uploaded"));
	rpc_result_fini(&res);
	assert_int_equal(set_version(admin, "nodex", "1.0.0",
	                     AU__V1__ACTION__STOP, NULL, &res),
	    AU_OK);
	rpc_result_fini(&res);
	assert_int_equal(set_version(admin, "nodex", "1.1.0",
	                     AU__V1__ACTION__STOP, "db-", &res),
	    AU_OK);
	rpc_result_fini(&res);
	assert_int_equal(count_rules(admin), 2);
	assert_int_equal(
	    heartbeat(h, "db-1", "1.0.0", "started", &st, &rep, &res), AU_OK);
	assert_int_equal(st, AU__V1__HOST_STATE__ACCEPTED);
	assert_int_equal(rep->n_agents, 1);
	assert_string_equal(rep->agents[0]->name, "nodex");
	assert_string_equal(rep->agents[0]->version, "1.1.0");
	assert_int_equal(rep->agents[0]->action, AU__V1__ACTION__STOP);
	assert_int_equal(rep->agents[0]->has_size, 0);
	assert_int_equal(rep->interval_s, 1);
	rpc_result_fini(&res);
	rpc_client_free(h);
	rpc_client_free(admin);
}

static enum au_status
report(struct rpc_client *c, const char *host, const char *id, int outcome,
    int *dup)
{
	Au__V1__ReportRequest req = AU__V1__REPORT_REQUEST__INIT;
	struct rpc_result     res = RPC_RESULT_INIT;
	enum au_status        st;

	req.hostname = (char *)(uintptr_t)host;
	req.report_id = (char *)(uintptr_t)id;
	req.agent = "nodex";
	req.version = "1.2.0";
	req.from_version = "1.0.0";
	req.outcome = (Au__V1__Outcome)outcome;
	req.step = "start";
	req.has_exit_code = 1;
	req.exit_code = 1;
	req.output_tail = "port 8080 in use\nsecond line\n";
	au__v1__host_service__report(
	    rpc_client_service(c, HOST_SVC), &req, NULL, &res);
	st = res.status;
	if (st == AU_OK)
		*dup = ((Au__V1__ReportReply *)res.reply)->duplicate;
	rpc_result_fini(&res);
	return st;
}

static void
test_report_once_and_failed(void **state)
{
	struct au_test_meta     *e = *state;
	uint8_t                  pk[32], sk[64], pk2[32], sk2[64];
	struct rpc_client       *h, *h2, *admin;
	Au__V1__ListHostsRequest req = AU__V1__LIST_HOSTS_REQUEST__INIT;
	Au__V1__ListHostsReply  *rep;
	struct rpc_result        res = RPC_RESULT_INIT;
	int                      st = 0, dup = -1;

	sig_keypair(pk, sk);
	sig_keypair(pk2, sk2);
	h = au_test_meta_client(e, sk, "host");
	h2 = au_test_meta_client(e, sk2, "host");
	admin = au_test_meta_client(e, e->admin_sk, "admin");
	assert_int_equal(host_action(admin, OP_ADD, "app-1", pk), AU_OK);
	assert_int_equal(host_action(admin, OP_ADD, "app-2", pk2), AU_OK);
	assert_int_equal(hb_simple(h, "app-1", &st), AU_OK);
	assert_int_equal(hb_simple(h2, "app-2", &st), AU_OK);
	assert_int_equal(report(h, "app-1", "r-1",
	                     AU__V1__OUTCOME__OUTCOME_ROLLED_BACK, &dup),
	    AU_OK);
	assert_int_equal(dup, 0);
	assert_int_equal(report(h, "app-1", "r-1",
	                     AU__V1__OUTCOME__OUTCOME_ROLLED_BACK, &dup),
	    AU_OK);
	assert_int_equal(dup, 1);
	/* A host may not report for another. */
	assert_int_equal(
	    report(h2, "app-1", "r-2", AU__V1__OUTCOME__OUTCOME_OK, &dup),
	    AU_PERMISSION_DENIED);
	req.has_failed = 1;
	req.failed = 1;
	req.prefix = "app-";
	au__v1__admin_service__list_hosts(
	    rpc_client_service(admin, ADMIN_SVC), &req, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	rep = (Au__V1__ListHostsReply *)res.reply;
	assert_int_equal(rep->n_hosts, 1);
	assert_string_equal(rep->hosts[0]->hostname, "app-1");
	assert_true(rep->hosts[0]->failed);
	assert_string_equal(rep->hosts[0]->agents[0]->last_failure,
	    "rolled back 1.2.0 at start: exit 1: port 8080 in use");
	rpc_result_fini(&res);
	rpc_client_free(h);
	rpc_client_free(h2);
	rpc_client_free(admin);
}

static void
test_status_and_audit(void **state)
{
	struct au_test_meta  *e = *state;
	uint8_t               pk[32], sk[64];
	struct rpc_client    *h, *admin;
	Au__V1__StatusRequest sreq = AU__V1__STATUS_REQUEST__INIT;
	Au__V1__AuditRequest  areq = AU__V1__AUDIT_REQUEST__INIT;
	Au__V1__StatusReply  *srep;
	Au__V1__AuditReply   *arep;
	struct rpc_result     res = RPC_RESULT_INIT;
	int                   st = 0;

	sig_keypair(pk, sk);
	h = au_test_meta_client(e, sk, "host");
	admin = au_test_meta_client(e, e->admin_sk, "admin");
	assert_int_equal(host_action(admin, OP_ADD, "st-1", pk), AU_OK);
	assert_int_equal(set_version(admin, "nodex", "1.0.0",
	                     AU__V1__ACTION__STOP, NULL, &res),
	    AU_OK);
	rpc_result_fini(&res);
	assert_int_equal(hb_simple(h, "st-1", &st), AU_OK);
	sreq.agent = "nodex";
	au__v1__admin_service__status(
	    rpc_client_service(admin, ADMIN_SVC), &sreq, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	srep = (Au__V1__StatusReply *)res.reply;
	assert_int_equal(srep->n_agents, 1);
	assert_string_equal(srep->agents[0]->default_version, "1.0.0");
	assert_int_equal(srep->agents[0]->hosts_total, 1);
	assert_int_equal(srep->agents[0]->hosts_converged, 0);
	assert_int_equal(srep->agents[0]->n_counts, 1);
	assert_string_equal(srep->agents[0]->counts[0]->status, "started");
	rpc_result_fini(&res);
	au__v1__admin_service__audit(
	    rpc_client_service(admin, ADMIN_SVC), &areq, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	arep = (Au__V1__AuditReply *)res.reply;
	assert_int_equal(arep->n_entries, 2);
	assert_string_equal(arep->entries[0]->who, "alice");
	assert_string_equal(arep->entries[0]->action, "add");
	assert_string_equal(arep->entries[1]->action, "set-version");
	assert_string_equal(
	    arep->entries[1]->detail, "nodex 1.0.0 stop default");
	rpc_result_fini(&res);
	rpc_client_free(h);
	rpc_client_free(admin);
}

/* SIGKILL right after a set-version reply: the rule survives. */
static void
test_sigkill_durable(void **state)
{
	struct au_test_meta *e = *state;
	struct rpc_client *admin = au_test_meta_client(e, e->admin_sk, "admin");
	struct rpc_result  res = RPC_RESULT_INIT;

	assert_int_equal(set_version(admin, "logd", "2.0.0",
	                     AU__V1__ACTION__STOP, "web-", &res),
	    AU_OK);
	rpc_result_fini(&res);
	au_test_meta_stop(e, SIGKILL);
	rpc_client_free(admin);
	au_test_meta_start(e);
	admin = au_test_meta_client(e, e->admin_sk, "admin");
	assert_int_equal(count_rules(admin), 1);
	rpc_client_free(admin);
}

/* SIGHUP with a broken config: meta keeps serving with the old one. */
static void
test_sighup_broken(void **state)
{
	struct au_test_meta *e = *state;
	struct rpc_client   *admin;
	FILE                *fp;
	int                  i;

	fp = fopen(e->conf, "a");
	assert_non_null(fp);
	fputs("[bogus]\nnot a key line\n", fp);
	fclose(fp);
	kill(e->pid, SIGHUP);
	au_test_sleep_ms(200);
	assert_int_equal(waitpid(e->pid, &i, WNOHANG), 0);
	admin = au_test_meta_client(e, e->admin_sk, "admin");
	assert_int_equal(count_rules(admin), 0);
	rpc_client_free(admin);
	au_test_meta_write_conf(e, CONF_EXTRA "auto_accept = yes\n");
	kill(e->pid, SIGHUP);
	au_test_sleep_ms(200);
	admin = au_test_meta_client(e, e->admin_sk, "admin");
	assert_int_equal(count_rules(admin), 0);
	rpc_client_free(admin);
}

static void
test_auto_accept_after_reload(void **state)
{
	struct au_test_meta *e = *state;
	uint8_t              pk[32], sk[64];
	struct rpc_client   *h;
	int                  st = 0;

	au_test_meta_write_conf(e, CONF_EXTRA "auto_accept = yes\n");
	kill(e->pid, SIGHUP);
	au_test_sleep_ms(300);
	sig_keypair(pk, sk);
	h = au_test_meta_client(e, sk, "host");
	assert_int_equal(hb_simple(h, "auto-1", &st), AU_OK);
	assert_int_equal(st, AU__V1__HOST_STATE__ACCEPTED);
	rpc_client_free(h);
}

static enum au_status
ping(struct rpc_client *c, char *name, size_t namesz, char *role, size_t rolesz)
{
	Au__V1__PingRequest req = AU__V1__PING_REQUEST__INIT;
	Au__V1__PingReply  *rep;
	struct rpc_result   res = RPC_RESULT_INIT;
	enum au_status      st;

	au__v1__host_service__ping(
	    rpc_client_service(c, HOST_SVC), &req, NULL, &res);
	if ((st = res.status) == AU_OK) {
		rep = (Au__V1__PingReply *)res.reply;
		snprintf(name, namesz, "%s", rep->caller_name);
		snprintf(role, rolesz, "%s", rep->caller_role);
	}
	rpc_result_fini(&res);
	return st;
}

/* Roles, percent rules, unset, log verbosity, downloads by non-hosts. */
static void
test_admin_misc(void **state)
{
	struct au_test_meta        *e = *state;
	uint8_t                     pk[32], sk[64];
	struct rpc_client          *admin, *rel, *h;
	struct rpc_result           res = RPC_RESULT_INIT;
	Au__V1__UnsetRequest        ureq = AU__V1__UNSET_REQUEST__INIT;
	Au__V1__Selector            sel = AU__V1__SELECTOR__INIT;
	Au__V1__LogVerboseRequest   lreq = AU__V1__LOG_VERBOSE_REQUEST__INIT;
	Au__V1__ListRulesRequest    rreq = AU__V1__LIST_RULES_REQUEST__INIT;
	Au__V1__GetPackageRequest   greq = AU__V1__GET_PACKAGE_REQUEST__INIT;
	Au__V1__ListPackagesRequest preq = AU__V1__LIST_PACKAGES_REQUEST__INIT;
	Au__V1__SetVersionRequest   sreq = AU__V1__SET_VERSION_REQUEST__INIT;
	Au__V1__ListRulesReply     *rules;
	char                        name[80], role[16];
	int                         st = 0;

	sig_keypair(pk, sk);
	admin = au_test_meta_client(e, e->admin_sk, "admin");
	rel = au_test_meta_client(e, e->rel_sk, "release");
	h = au_test_meta_client(e, sk, "host");
	assert_int_equal(
	    ping(admin, name, sizeof(name), role, sizeof(role)), AU_OK);
	assert_string_equal(name, "alice");
	assert_string_equal(role, "admin");
	assert_int_equal(
	    ping(rel, name, sizeof(name), role, sizeof(role)), AU_OK);
	assert_string_equal(name, "ci");
	assert_string_equal(role, "release");
	assert_int_equal(
	    ping(h, name, sizeof(name), role, sizeof(role)), AU_OK);
	assert_string_equal(role, "host");
	/* release: packages yes, rules no. */
	au__v1__admin_service__list_packages(
	    rpc_client_service(rel, ADMIN_SVC), &preq, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	rpc_result_fini(&res);
	sreq.agent = "nodex";
	sreq.version = "1.0";
	sreq.action = AU__V1__ACTION__STOP;
	au__v1__admin_service__set_version(
	    rpc_client_service(rel, ADMIN_SVC), &sreq, NULL, &res);
	assert_int_equal(res.status, AU_PERMISSION_DENIED);
	rpc_result_fini(&res);
	/* A pending host may not download. */
	assert_int_equal(hb_simple(h, "dl-1", &st), AU_OK);
	assert_int_equal(st, AU__V1__HOST_STATE__PENDING);
	greq.agent = "nodex";
	greq.version = "1.0";
	greq.length = 1024;
	au__v1__host_service__get_package(
	    rpc_client_service(h, HOST_SVC), &greq, NULL, &res);
	assert_int_equal(res.status, AU_PERMISSION_DENIED);
	rpc_result_fini(&res);
	/* A percent rule lists with its percent; unset removes it once. */
	sel.has_percent = 1;
	sel.percent = 5;
	sreq.selector = &sel;
	au__v1__admin_service__set_version(
	    rpc_client_service(admin, ADMIN_SVC), &sreq, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	rpc_result_fini(&res);
	sel.percent = 101;
	au__v1__admin_service__set_version(
	    rpc_client_service(admin, ADMIN_SVC), &sreq, NULL, &res);
	assert_int_equal(res.status, AU_INVALID_ARGUMENT);
	rpc_result_fini(&res);
	rreq.agent = "nodex";
	au__v1__admin_service__list_rules(
	    rpc_client_service(admin, ADMIN_SVC), &rreq, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	rules = (Au__V1__ListRulesReply *)res.reply;
	assert_int_equal(rules->n_rules, 1);
	assert_string_equal(rules->rules[0]->kind, "percent");
	assert_string_equal(rules->rules[0]->match, "5");
	assert_string_equal(rules->rules[0]->updated_by, "alice");
	rpc_result_fini(&res);
	ureq.agent = "nodex";
	sel.percent = 1;
	ureq.selector = &sel;
	au__v1__admin_service__unset(
	    rpc_client_service(admin, ADMIN_SVC), &ureq, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	assert_int_equal(((Au__V1__UnsetReply *)res.reply)->rules_removed, 1);
	rpc_result_fini(&res);
	au__v1__admin_service__unset(
	    rpc_client_service(admin, ADMIN_SVC), &ureq, NULL, &res);
	assert_int_equal(res.status, AU_NOT_FOUND);
	rpc_result_fini(&res);
	lreq.verbose = 1;
	au__v1__admin_service__log_verbose(
	    rpc_client_service(admin, ADMIN_SVC), &lreq, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	assert_int_equal(((Au__V1__LogVerboseReply *)res.reply)->previous, 0);
	rpc_result_fini(&res);
	rpc_client_free(admin);
	rpc_client_free(rel);
	rpc_client_free(h);
}

/* ------------------------------------------------------------ issue 9 */

/* A report about nodex with the given id, version, outcome and tail. */
static enum au_status
report_tail(struct rpc_client *c, const char *host, const char *id,
    const char *version, int outcome, const char *tail)
{
	Au__V1__ReportRequest req = AU__V1__REPORT_REQUEST__INIT;
	struct rpc_result     res = RPC_RESULT_INIT;
	enum au_status        st;

	req.hostname = (char *)(uintptr_t)host;
	req.report_id = (char *)(uintptr_t)id;
	req.agent = "nodex";
	req.version = (char *)(uintptr_t)version;
	req.outcome = (Au__V1__Outcome)outcome;
	req.step = "start";
	req.has_exit_code = 1;
	req.exit_code = 3;
	req.output_tail = (char *)(uintptr_t)tail;
	au__v1__host_service__report(
	    rpc_client_service(c, HOST_SVC), &req, NULL, &res);
	st = res.status;
	if (st != AU_OK)
		fprintf(stderr, "report: %s\n", au_err_str(&res.err));
	rpc_result_fini(&res);
	return st;
}

static enum au_status
host_show(struct rpc_client *admin, const char *host, uint32_t per,
    struct rpc_result *res)
{
	Au__V1__HostShowRequest req = AU__V1__HOST_SHOW_REQUEST__INIT;

	req.hostname = (char *)(uintptr_t)host;
	if (per > 0) {
		req.has_reports_per_agent = 1;
		req.reports_per_agent = per;
	}
	au__v1__admin_service__host_show(
	    rpc_client_service(admin, ADMIN_SVC), &req, NULL, res);
	return res->status;
}

/* hosts show: the host as ListHosts has it, the newest reports first
 * with the whole output tail; NOT_FOUND for an unknown host. */
static void
test_host_show(void **state)
{
	struct au_test_meta   *e = *state;
	uint8_t                pk[32], sk[64];
	struct rpc_client     *h, *admin;
	struct rpc_result      res = RPC_RESULT_INIT;
	Au__V1__HostShowReply *rep;
	char                   tail[4001];
	int                    st = 0, i;

	/* As long as a report may carry. */
	for (i = 0; i < 4000; i++)
		tail[i] = i % 100 == 99 ? '\n' : (char)('a' + i % 26);
	tail[4000] = '\0';
	sig_keypair(pk, sk);
	h = au_test_meta_client(e, sk, "host");
	admin = au_test_meta_client(e, e->admin_sk, "admin");
	assert_int_equal(host_action(admin, OP_ADD, "hs-1", pk), AU_OK);
	assert_int_equal(hb_simple(h, "hs-1", &st), AU_OK);
	assert_int_equal(report_tail(h, "hs-1", "a", "1.1.0",
	                     AU__V1__OUTCOME__OUTCOME_OK, "fine\n"),
	    AU_OK);
	assert_int_equal(report_tail(h, "hs-1", "b", "1.2.0",
	                     AU__V1__OUTCOME__OUTCOME_FAILED, "old\n"),
	    AU_OK);
	assert_int_equal(report_tail(h, "hs-1", "c", "1.3.0",
	                     AU__V1__OUTCOME__OUTCOME_ROLLED_BACK, tail),
	    AU_OK);
	assert_int_equal(host_show(admin, "hs-1", 2, &res), AU_OK);
	rep = (Au__V1__HostShowReply *)res.reply;
	assert_string_equal(rep->host->hostname, "hs-1");
	assert_true(rep->host->n_agents >= 1);
	assert_string_equal(rep->host->agents[0]->last_failure,
	    "rolled back 1.3.0 at start: exit 3: abcdefghijklmnopqrstuvwxyz"
	    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmn"
	    "opqrstu");
	assert_int_equal(rep->n_reports, 2);
	assert_string_equal(rep->reports[0]->version, "1.3.0");
	assert_int_equal(
	    rep->reports[0]->outcome, AU__V1__OUTCOME__OUTCOME_ROLLED_BACK);
	assert_string_equal(rep->reports[0]->output_tail, tail);
	assert_int_equal(rep->reports[0]->exit_code, 3);
	assert_string_equal(rep->reports[1]->version, "1.2.0");
	assert_true(rep->now_ms > 0);
	rpc_result_fini(&res);
	assert_int_equal(host_show(admin, "hs-1", 0, &res), AU_OK);
	assert_int_equal(((Au__V1__HostShowReply *)res.reply)->n_reports, 3);
	rpc_result_fini(&res);
	assert_int_equal(host_show(admin, "nope-1", 0, &res), AU_NOT_FOUND);
	assert_string_equal(
	    res.err.msg, "meta: not found: host nope-1: not found");
	rpc_result_fini(&res);
	assert_int_equal(host_show(admin, "", 0, &res), AU_INVALID_ARGUMENT);
	rpc_result_fini(&res);
	rpc_client_free(h);
	rpc_client_free(admin);
}

static enum au_status
retry(struct rpc_client *admin, const char *prefix, int failed, int percent,
    struct rpc_result *res)
{
	Au__V1__RetryRequest req = AU__V1__RETRY_REQUEST__INIT;
	Au__V1__Selector     sel = AU__V1__SELECTOR__INIT;

	req.agent = "nodex";
	req.has_failed = failed;
	req.failed = failed;
	if (prefix != NULL || percent > 0) {
		sel.prefix = (char *)(uintptr_t)prefix;
		sel.has_percent = percent > 0;
		sel.percent = (uint32_t)percent;
		req.selector = &sel;
	}
	au__v1__admin_service__retry(
	    rpc_client_service(admin, ADMIN_SVC), &req, NULL, res);
	return res->status;
}

/* The retry token a heartbeat hands out for nodex (0: none). */
static uint64_t
hb_retry(struct rpc_client *c, const char *host, const char *status)
{
	struct rpc_result       res = RPC_RESULT_INIT;
	Au__V1__HeartbeatReply *rep = NULL;
	uint64_t                token;
	int                     st = 0;

	assert_int_equal(
	    heartbeat(c, host, "1.0.0", status, &st, &rep, &res), AU_OK);
	assert_int_equal(rep->n_agents, 1);
	token = rep->agents[0]->has_retry ? rep->agents[0]->retry : 0;
	rpc_result_fini(&res);
	return token;
}

/* Retry --failed: a larger token for exactly the failed hosts, in their
 * next heartbeat reply; empty or percent selectors refused; audited. */
static void
test_retry_failed(void **state)
{
	struct au_test_meta *e = *state;
	uint8_t              pk[3][32], sk[3][64];
	struct rpc_client   *h[3], *admin;
	struct rpc_result    res = RPC_RESULT_INIT;
	Au__V1__AuditRequest areq = AU__V1__AUDIT_REQUEST__INIT;
	Au__V1__AuditReply  *arep;
	const char          *names[3] = {"rt-1", "rt-2", "rt-3"};
	uint64_t             t1, t2;
	int                  i;

	admin = au_test_meta_client(e, e->admin_sk, "admin");
	assert_int_equal(set_version(admin, "nodex", "1.2.0",
	                     AU__V1__ACTION__STOP, NULL, &res),
	    AU_OK);
	rpc_result_fini(&res);
	for (i = 0; i < 3; i++) {
		sig_keypair(pk[i], sk[i]);
		h[i] = au_test_meta_client(e, sk[i], "host");
		assert_int_equal(
		    host_action(admin, OP_ADD, names[i], pk[i]), AU_OK);
		/* rt-2 runs what it was asked to stop, and says why. */
		assert_int_equal(
		    hb_retry(h[i], names[i], i == 1 ? "started" : "stopped"),
		    0);
	}
	assert_int_equal(report_tail(h[1], "rt-2", "f-1", "1.2.0",
	                     AU__V1__OUTCOME__OUTCOME_FAILED, "no\n"),
	    AU_OK);
	assert_int_equal(retry(admin, NULL, 1, 0, &res), AU_OK);
	assert_int_equal(((Au__V1__RetryReply *)res.reply)->hosts, 1);
	t1 = ((Au__V1__RetryReply *)res.reply)->token;
	rpc_result_fini(&res);
	assert_true(t1 > 0);
	assert_int_equal(hb_retry(h[0], "rt-1", "stopped"), 0);
	assert_int_equal(hb_retry(h[1], "rt-2", "stopped"), t1);
	assert_int_equal(hb_retry(h[2], "rt-3", "stopped"), 0);
	/* rt-2 runs as asked now: no longer failed.  By prefix: larger,
	 * even within the same millisecond. */
	assert_int_equal(retry(admin, NULL, 1, 0, &res), AU_OK);
	assert_int_equal(((Au__V1__RetryReply *)res.reply)->hosts, 0);
	rpc_result_fini(&res);
	assert_int_equal(retry(admin, "rt-2", 0, 0, &res), AU_OK);
	t2 = ((Au__V1__RetryReply *)res.reply)->token;
	rpc_result_fini(&res);
	assert_true(t2 > t1);
	assert_int_equal(hb_retry(h[1], "rt-2", "stopped"), t2);
	assert_int_equal(hb_retry(h[2], "rt-3", "stopped"), 0);
	/* Never "every host" by accident. */
	assert_int_equal(retry(admin, "", 0, 0, &res), AU_INVALID_ARGUMENT);
	rpc_result_fini(&res);
	assert_int_equal(retry(admin, NULL, 0, 5, &res), AU_INVALID_ARGUMENT);
	rpc_result_fini(&res);
	assert_int_equal(hb_retry(h[2], "rt-3", "stopped"), 0);
	areq.has_limit = 1;
	areq.limit = 3;
	au__v1__admin_service__audit(
	    rpc_client_service(admin, ADMIN_SVC), &areq, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	arep = (Au__V1__AuditReply *)res.reply;
	assert_int_equal(arep->n_entries, 3);
	assert_string_equal(arep->entries[0]->action, "retry");
	assert_string_equal(arep->entries[0]->detail, "nodex failed (1 host)");
	assert_string_equal(arep->entries[1]->detail, "nodex failed (0 hosts)");
	assert_string_equal(arep->entries[2]->detail, "nodex prefix=rt-2");
	rpc_result_fini(&res);
	for (i = 0; i < 3; i++)
		rpc_client_free(h[i]);
	rpc_client_free(admin);
}

static Au__V1__DesiredAgent *
hb_desired(struct rpc_client *c, const char *host, struct rpc_result *res)
{
	Au__V1__HeartbeatReply *rep = NULL;
	int                     st = 0;

	assert_int_equal(
	    heartbeat(c, host, "1.0.0", "started", &st, &rep, res), AU_OK);
	assert_int_equal(rep->n_agents, 1);
	return rep->agents[0];
}

/* STOP without a version and REMOVE: accepted without a package, handed
 * out with version "", listed and shown in Status with the rules. */
static void
test_stop_and_remove(void **state)
{
	struct au_test_meta      *e = *state;
	uint8_t                   pk[2][32], sk[2][64];
	struct rpc_client        *h[2], *admin;
	struct rpc_result         res = RPC_RESULT_INIT;
	Au__V1__DesiredAgent     *d;
	Au__V1__StatusRequest     sreq = AU__V1__STATUS_REQUEST__INIT;
	Au__V1__AuditRequest      areq = AU__V1__AUDIT_REQUEST__INIT;
	Au__V1__StatusReply      *srep;
	Au__V1__AgentSummary     *sum;
	Au__V1__SetVersionRequest req = AU__V1__SET_VERSION_REQUEST__INIT;
	Au__V1__Selector          sel = AU__V1__SELECTOR__INIT;
	char                     *hosts[1] = {"rm-2"};
	int                       i;

	admin = au_test_meta_client(e, e->admin_sk, "admin");
	for (i = 0; i < 2; i++) {
		sig_keypair(pk[i], sk[i]);
		h[i] = au_test_meta_client(e, sk[i], "host");
	}
	assert_int_equal(host_action(admin, OP_ADD, "rm-1", pk[0]), AU_OK);
	assert_int_equal(host_action(admin, OP_ADD, "rm-2", pk[1]), AU_OK);
	assert_int_equal(
	    set_version(admin, "nodex", "", AU__V1__ACTION__STOP, "rm-", &res),
	    AU_OK);
	rpc_result_fini(&res);
	assert_int_equal(set_version(admin, "nodex", "1.0.0",
	                     AU__V1__ACTION__REMOVE, NULL, &res),
	    AU_INVALID_ARGUMENT);
	assert_non_null(strstr(res.err.msg,
	    ": remove takes no version: it removes every version"));
	rpc_result_fini(&res);
	assert_int_equal(
	    set_version(admin, "nodex", "", AU__V1__ACTION__START, NULL, &res),
	    AU_INVALID_ARGUMENT);
	rpc_result_fini(&res);
	req.agent = "nodex";
	req.version = "";
	req.action = AU__V1__ACTION__REMOVE;
	sel.n_hosts = 1;
	sel.hosts = hosts;
	req.selector = &sel;
	au__v1__admin_service__set_version(
	    rpc_client_service(admin, ADMIN_SVC), &req, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	rpc_result_fini(&res);
	d = hb_desired(h[0], "rm-1", &res);
	assert_string_equal(d->version, "");
	assert_int_equal(d->action, AU__V1__ACTION__STOP);
	assert_int_equal(d->has_size, 0);
	rpc_result_fini(&res);
	d = hb_desired(h[1], "rm-2", &res);
	assert_string_equal(d->version, "");
	assert_int_equal(d->action, AU__V1__ACTION__REMOVE);
	rpc_result_fini(&res);
	sreq.agent = "nodex";
	au__v1__admin_service__status(
	    rpc_client_service(admin, ADMIN_SVC), &sreq, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	srep = (Au__V1__StatusReply *)res.reply;
	assert_int_equal(srep->n_agents, 1);
	sum = srep->agents[0];
	assert_int_equal(sum->n_rules, 2);
	assert_string_equal(sum->rules[0]->kind, "host");
	assert_string_equal(sum->rules[0]->match, "rm-2");
	assert_string_equal(sum->rules[0]->version, "");
	assert_int_equal(sum->rules[0]->action, AU__V1__ACTION__REMOVE);
	assert_string_equal(sum->rules[1]->kind, "prefix");
	assert_int_equal(sum->hosts_converged, 0);
	rpc_result_fini(&res);
	areq.has_limit = 1;
	areq.limit = 2;
	au__v1__admin_service__audit(
	    rpc_client_service(admin, ADMIN_SVC), &areq, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	assert_string_equal(
	    ((Au__V1__AuditReply *)res.reply)->entries[0]->detail,
	    "nodex stop prefix=rm-");
	assert_string_equal(
	    ((Au__V1__AuditReply *)res.reply)->entries[1]->action, "remove");
	assert_string_equal(
	    ((Au__V1__AuditReply *)res.reply)->entries[1]->detail,
	    "nodex hosts=rm-2");
	rpc_result_fini(&res);
	for (i = 0; i < 2; i++)
		rpc_client_free(h[i]);
	rpc_client_free(admin);
}

static size_t
failed_hosts(
    struct rpc_client *admin, const char *prefix, char *failure, size_t sz)
{
	Au__V1__ListHostsRequest req = AU__V1__LIST_HOSTS_REQUEST__INIT;
	Au__V1__ListHostsReply  *rep;
	struct rpc_result        res = RPC_RESULT_INIT;
	size_t                   n;

	req.has_failed = failure == NULL;
	req.failed = failure == NULL;
	req.prefix = (char *)(uintptr_t)prefix;
	au__v1__admin_service__list_hosts(
	    rpc_client_service(admin, ADMIN_SVC), &req, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	rep = (Au__V1__ListHostsReply *)res.reply;
	n = rep->n_hosts;
	if (failure != NULL && n > 0 && rep->hosts[0]->n_agents > 0)
		snprintf(failure, sz, "%s",
		    rep->hosts[0]->agents[0]->last_failure != NULL
		        ? rep->hosts[0]->agents[0]->last_failure
		        : "-");
	rpc_result_fini(&res);
	return n;
}

/* Right after a new set-version the failed listing does not show a
 * failure about the old target; the host still shows it as history. */
static void
test_failed_is_current(void **state)
{
	struct au_test_meta *e = *state;
	uint8_t              pk[32], sk[64];
	struct rpc_client   *h, *admin;
	struct rpc_result    res = RPC_RESULT_INIT;
	char                 failure[256] = "";
	int                  st = 0;

	sig_keypair(pk, sk);
	h = au_test_meta_client(e, sk, "host");
	admin = au_test_meta_client(e, e->admin_sk, "admin");
	assert_int_equal(host_action(admin, OP_ADD, "fc-1", pk), AU_OK);
	assert_int_equal(set_version(admin, "nodex", "1.2.0",
	                     AU__V1__ACTION__STOP, NULL, &res),
	    AU_OK);
	rpc_result_fini(&res);
	assert_int_equal(
	    heartbeat(h, "fc-1", "1.0.0", "started", &st, NULL, &res), AU_OK);
	rpc_result_fini(&res);
	assert_int_equal(report_tail(h, "fc-1", "x-1", "1.2.0",
	                     AU__V1__OUTCOME__OUTCOME_FAILED, "busy\n"),
	    AU_OK);
	assert_int_equal(failed_hosts(admin, "fc-", NULL, 0), 1);
	assert_int_equal(set_version(admin, "nodex", "1.3.0",
	                     AU__V1__ACTION__STOP, NULL, &res),
	    AU_OK);
	rpc_result_fini(&res);
	assert_int_equal(failed_hosts(admin, "fc-", NULL, 0), 0);
	assert_int_equal(
	    failed_hosts(admin, "fc-", failure, sizeof(failure)), 1);
	assert_string_equal(failure, "failed 1.2.0 at start: exit 3: busy");
	rpc_client_free(h);
	rpc_client_free(admin);
}

/* The host's own word travels: AgentStatus 5-8 into HostAgent 10-13, the
 * failure line says "not retried", and a CRASHED report is accepted,
 * counted and not failure by itself. */
static void
test_host_word(void **state)
{
	struct au_test_meta     *e = *state;
	uint8_t                  pk[32], sk[64];
	struct rpc_client       *h, *admin;
	struct rpc_result        res = RPC_RESULT_INIT;
	Au__V1__HeartbeatRequest req = AU__V1__HEARTBEAT_REQUEST__INIT;
	Au__V1__AgentStatus      a = AU__V1__AGENT_STATUS__INIT;
	Au__V1__AgentStatus     *ap = &a;
	Au__V1__ListHostsRequest lreq = AU__V1__LIST_HOSTS_REQUEST__INIT;
	Au__V1__HostAgent       *ha;

	sig_keypair(pk, sk);
	h = au_test_meta_client(e, sk, "host");
	admin = au_test_meta_client(e, e->admin_sk, "admin");
	assert_int_equal(host_action(admin, OP_ADD, "hw-1", pk), AU_OK);
	req.hostname = "hw-1";
	a.name = "nodex";
	a.version = "1.0.0";
	a.status = "started";
	a.failed_version = "1.2.0";
	a.failed_step = "health";
	a.has_crashes = 1;
	a.crashes = 2;
	a.probation = "1.1.0";
	req.n_agents = 1;
	req.agents = &ap;
	au__v1__host_service__heartbeat(
	    rpc_client_service(h, HOST_SVC), &req, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	rpc_result_fini(&res);
	assert_int_equal(report_tail(h, "hw-1", "w-1", "1.2.0",
	                     AU__V1__OUTCOME__OUTCOME_ROLLED_BACK, "died\n"),
	    AU_OK);
	lreq.prefix = "hw-";
	au__v1__admin_service__list_hosts(
	    rpc_client_service(admin, ADMIN_SVC), &lreq, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	ha = ((Au__V1__ListHostsReply *)res.reply)->hosts[0]->agents[0];
	assert_string_equal(ha->failed_version, "1.2.0");
	assert_string_equal(ha->failed_step, "health");
	assert_true(ha->has_crashes);
	assert_int_equal(ha->crashes, 2);
	assert_string_equal(ha->probation, "1.1.0");
	assert_string_equal(ha->last_failure,
	    "rolled back 1.2.0 at start: exit 3: died, not retried");
	rpc_result_fini(&res);
	/* A crash of the current version: history and a count. */
	assert_int_equal(report_tail(h, "hw-1", "c-1", "1.0.0",
	                     AU__V1__OUTCOME__OUTCOME_CRASHED, "segv\n"),
	    AU_OK);
	au__v1__admin_service__list_hosts(
	    rpc_client_service(admin, ADMIN_SVC), &lreq, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	ha = ((Au__V1__ListHostsReply *)res.reply)->hosts[0]->agents[0];
	assert_string_equal(
	    ha->last_failure, "crashed 1.0.0 at start: exit 3: segv");
	assert_false(ha->failed);
	rpc_result_fini(&res);
	rpc_client_free(h);
	rpc_client_free(admin);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_enrollment, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_rules_desired, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_report_once_and_failed, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_status_and_audit, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_sigkill_durable, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_sighup_broken, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_auto_accept_after_reload, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_admin_misc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_host_show, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_failed, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_stop_and_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_failed_is_current, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_host_word, setup, teardown),
	};

	char dir[64];
	int  rc;

	if (getenv("AU_BIN") == NULL || getenv("AU_SRC") == NULL) {
		fprintf(stderr, "meta_test: AU_BIN and AU_SRC must be set\n");
		return 1;
	}
	if (au_test_mkdtemp(dir, sizeof(dir), "meta_test") ||
	    setenv("META_TEST_DIR", dir, 1) != 0)
		return 1;
	signal(SIGPIPE, SIG_IGN); /* as every rpc program (rpc.h) */
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (getenv("META_TEST_KEEP") == NULL && au_test_rmtree(dir) != 0)
		rc = 1;
	return rc;
}
