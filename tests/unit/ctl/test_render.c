/* SPDX-License-Identifier: MIT */
/*
 * test_render: what operators and scripts see for hosts, hosts show,
 * status (with rules and rollout), rules, set-version, retry and the audit
 * log, built from real protobuf-c messages and compared byte for byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au_test.h"
#include "render.h"

#define NOW 1764108638000ULL

/* Three hosts, given out of order: a healthy one, one whose agent failed
 * and one pending that never got anywhere. */
struct fleet {
	Au__V1__HostAgent  a1, a2, b1;
	Au__V1__HostAgent *aa[2], *ba[1];
	Au__V1__Host       a, b, c;
	Au__V1__Host      *hosts[3];
};

static void
fleet_init(struct fleet *fl)
{
	Au__V1__HostAgent ai = AU__V1__HOST_AGENT__INIT;
	Au__V1__Host      hi = AU__V1__HOST__INIT;

	fl->a1 = fl->a2 = fl->b1 = ai;
	fl->a = fl->b = fl->c = hi;
	fl->a1.name = "nodex";
	fl->a1.version = "1.4.2";
	fl->a1.status = "started";
	fl->a1.desired_version = "1.4.2";
	fl->a2.name = "logship";
	fl->a2.version = "";
	fl->a2.status = "stopped";
	fl->a2.desired_version = "0.9";
	fl->aa[0] = &fl->a1;
	fl->aa[1] = &fl->a2;
	fl->a.hostname = "web-2";
	fl->a.state = AU__V1__HOST_STATE__ACCEPTED;
	fl->a.has_last_seen_ms = 1;
	fl->a.last_seen_ms = NOW - 5000;
	fl->a.n_agents = 2;
	fl->a.agents = fl->aa;
	fl->b1.name = "nodex";
	fl->b1.version = "1.4.1";
	fl->b1.status = "started";
	fl->b1.desired_version = "1.4.2";
	fl->b1.has_failed = fl->b1.failed = 1;
	fl->b1.last_failure = "rolled back 1.4.2 at start: exit 1:\nboom";
	fl->b1.has_last_failure_ms = 1;
	fl->b1.last_failure_ms = NOW - 60000;
	fl->ba[0] = &fl->b1;
	fl->b.hostname = "web-10";
	fl->b.state = AU__V1__HOST_STATE__ACCEPTED;
	fl->b.has_last_seen_ms = 1;
	fl->b.last_seen_ms = NOW - 7200000;
	fl->b.has_stale = fl->b.stale = 1;
	fl->b.has_failed = fl->b.failed = 1;
	fl->b.n_agents = 1;
	fl->b.agents = fl->ba;
	fl->c.hostname = "db-1";
	fl->c.state = AU__V1__HOST_STATE__PENDING;
	fl->c.key_id = "3f9a00112233aabb";
	fl->hosts[0] = &fl->a;
	fl->hosts[1] = &fl->b;
	fl->hosts[2] = &fl->c;
}

static void
test_hosts_table(void **state)
{
	struct fleet       fl;
	struct au_test_cap c;

	(void)state;
	fleet_init(&fl);
	au_test_cap_open(&c);
	render_hosts(c.f, fl.hosts, 3, NOW, 0);
	au_test_cap_check(&c,
	    "HOST    STATE         LAST-SEEN  AGENTS                          "
	    "           LAST-FAILURE\n"
	    "db-1    pending       never      -                               "
	    "           -\n"
	    "web-10  stale,failed  2h ago     nodex=1.4.1/started>1.4.2!      "
	    "           nodex: rolled back 1.4.2 at start: exit 1: boom\n"
	    "web-2   ok            5s ago     nodex=1.4.2/started "
	    "logship=-/stopped>0.9  -\n");
	assert_string_equal(fl.hosts[0]->hostname, "db-1"); /* sorted */
}

static void
test_hosts_empty(void **state)
{
	struct au_test_cap c;

	(void)state;
	au_test_cap_open(&c);
	render_hosts(c.f, NULL, 0, NOW, 0);
	au_test_cap_check(&c, "HOST  STATE  LAST-SEEN  AGENTS  LAST-FAILURE\n");
	au_test_cap_open(&c);
	render_hosts(c.f, NULL, 0, NOW, 1);
	au_test_cap_check(&c, "[]\n");
}

static void
test_hosts_json(void **state)
{
	struct fleet       fl;
	struct au_test_cap c;

	(void)state;
	fleet_init(&fl);
	au_test_cap_open(&c);
	render_hosts(c.f, &fl.hosts[1], 2, NOW, 1);
	au_test_cap_check(&c,
	    "[\n"
	    "  {\n"
	    "    \"agents\": [],\n"
	    "    \"failed\": false,\n"
	    "    \"hostname\": \"db-1\",\n"
	    "    \"key_id\": \"3f9a00112233aabb\",\n"
	    "    \"last_seen_ms\": null,\n"
	    "    \"stale\": false,\n"
	    "    \"state\": \"pending\",\n"
	    "    \"updater_version\": null\n"
	    "  },\n"
	    "  {\n"
	    "    \"agents\": [\n"
	    "      {\n"
	    "        \"crashes\": 0,\n"
	    "        \"desired_action\": null,\n"
	    "        \"desired_version\": \"1.4.2\",\n"
	    "        \"failed\": true,\n"
	    "        \"failed_step\": null,\n"
	    "        \"failed_version\": null,\n"
	    "        \"last_error\": null,\n"
	    "        \"last_failure\": \"rolled back 1.4.2 at start: "
	    "exit 1:\\nboom\",\n"
	    "        \"last_failure_ms\": 1764108578000,\n"
	    "        \"name\": \"nodex\",\n"
	    "        \"probation\": null,\n"
	    "        \"status\": \"started\",\n"
	    "        \"version\": \"1.4.1\"\n"
	    "      }\n"
	    "    ],\n"
	    "    \"failed\": true,\n"
	    "    \"hostname\": \"web-10\",\n"
	    "    \"key_id\": null,\n"
	    "    \"last_seen_ms\": 1764101438000,\n"
	    "    \"stale\": true,\n"
	    "    \"state\": \"accepted\",\n"
	    "    \"updater_version\": null\n"
	    "  }\n"
	    "]\n");
}

/* One host with every new field: a version that failed and is not
 * retried, crashes, probation, reports of an agent it no longer runs. */
struct drill {
	Au__V1__HostAgent     a1, a2;
	Au__V1__HostAgent    *aa[2];
	Au__V1__Host          h;
	Au__V1__ReportEntry   r1, r2, r3;
	Au__V1__ReportEntry  *rr[3];
	Au__V1__HostShowReply rep;
};

static void
drill_agents(struct drill *d)
{
	Au__V1__HostAgent ai = AU__V1__HOST_AGENT__INIT;

	d->a1 = d->a2 = ai;
	d->a1.name = "demo";
	d->a1.version = "3.0.0";
	d->a1.status = "started";
	d->a1.desired_version = "7.0.0";
	d->a1.has_desired_action = 1;
	d->a1.desired_action = AU__V1__ACTION__START;
	d->a1.has_failed = d->a1.failed = 1;
	d->a1.failed_version = "7.0.0";
	d->a1.failed_step = "start";
	d->a1.has_crashes = 1;
	d->a1.crashes = 2;
	d->a1.last_failure = "rolled back 7.0.0 at start: exit 1:\nboom";
	d->a1.has_last_failure_ms = 1;
	d->a1.last_failure_ms = NOW - 60000;
	d->a2.name = "logship";
	d->a2.version = "1.1";
	d->a2.status = "started";
	d->a2.desired_version = "";
	d->a2.has_desired_action = 1;
	d->a2.desired_action = AU__V1__ACTION__STOP;
	d->a2.probation = "1.1";
	d->a2.last_error = "status: exit 3";
	d->a2.failed_version = "1.0";
	d->a2.failed_step = "health";
	d->aa[0] = &d->a1;
	d->aa[1] = &d->a2;
}

static void
drill_reports(struct drill *d)
{
	Au__V1__ReportEntry ri = AU__V1__REPORT_ENTRY__INIT;

	d->r1 = d->r2 = d->r3 = ri;
	d->r1.agent = "demo";
	d->r1.version = "7.0.0";
	d->r1.from_version = "3.0.0";
	d->r1.outcome = AU__V1__OUTCOME__OUTCOME_ROLLED_BACK;
	d->r1.has_action = 1;
	d->r1.action = AU__V1__ACTION__START;
	d->r1.step = "start";
	d->r1.has_exit_code = 1;
	d->r1.exit_code = 1;
	d->r1.output_tail = "+ ./control start\nboom\n";
	d->r1.has_duration_ms = 1;
	d->r1.duration_ms = 2150;
	d->r1.message = "control start failed: exit 1";
	d->r1.has_time_ms = d->r1.has_received_ms = 1;
	d->r1.time_ms = NOW - 60000;
	d->r1.received_ms = NOW - 59000;
	d->r2.agent = "demo";
	d->r2.version = "3.0.0";
	d->r2.outcome = AU__V1__OUTCOME__OUTCOME_OK;
	d->r2.has_action = 1;
	d->r2.action = AU__V1__ACTION__START;
	d->r2.has_duration_ms = 1;
	d->r2.duration_ms = 350;
	d->r2.has_received_ms = 1; /* no host time: meta's is shown */
	d->r2.received_ms = NOW - 3600000;
	d->r3.agent = "oldagent";
	d->r3.from_version = "0.1";
	d->r3.outcome = AU__V1__OUTCOME__OUTCOME_CRASHED;
	d->r3.has_action = 1;
	d->r3.action = AU__V1__ACTION__REMOVE;
	d->r3.step = "remove";
	d->r3.has_time_ms = 1;
	d->r3.time_ms = NOW - 86400000;
	d->rr[0] = &d->r1;
	d->rr[1] = &d->r3;
	d->rr[2] = &d->r2;
}

static void
drill_init(struct drill *d)
{
	Au__V1__Host          hi = AU__V1__HOST__INIT;
	Au__V1__HostShowReply si = AU__V1__HOST_SHOW_REPLY__INIT;

	drill_agents(d);
	drill_reports(d);
	d->h = hi;
	d->h.hostname = "web-1";
	d->h.state = AU__V1__HOST_STATE__ACCEPTED;
	d->h.has_last_seen_ms = 1;
	d->h.last_seen_ms = NOW - 5000;
	d->h.key_id = "3f9a00112233aabb";
	d->h.updater_version = "0.9.0";
	d->h.has_failed = d->h.failed = 1;
	d->h.n_agents = 2;
	d->h.agents = d->aa;
	d->rep = si;
	d->rep.host = &d->h;
	d->rep.n_reports = 3;
	d->rep.reports = d->rr;
}

static void
test_hosts_new_fields(void **state)
{
	struct drill       d;
	Au__V1__Host      *hosts[1];
	struct au_test_cap c;

	(void)state;
	drill_init(&d);
	hosts[0] = &d.h;
	au_test_cap_open(&c);
	render_hosts(c.f, hosts, 1, NOW, 0);
	au_test_cap_check(&c,
	    "HOST   STATE   LAST-SEEN  AGENTS                              "
	    "                                   LAST-FAILURE\n"
	    "web-1  failed  5s ago     demo=3.0.0/started>7.0.0!,crashes=2 "
	    "logship=1.1/started,probation=1.1  demo: 7.0.0 failed at start, "
	    "not retried: rolled back 7.0.0 at start: exit 1: boom; logship: "
	    "1.0 failed at health, not retried\n");
	/* A failed version without any failure text still shows. */
	d.h.n_agents = 1;
	d.h.agents = &d.aa[1];
	au_test_cap_open(&c);
	render_hosts(c.f, hosts, 1, NOW, 0);
	au_test_cap_check(&c,
	    "HOST   STATE   LAST-SEEN  AGENTS                             "
	    "LAST-FAILURE\n"
	    "web-1  failed  5s ago     logship=1.1/started,probation=1.1  "
	    "logship: 1.0 failed at health, not retried\n");
	/* meta's line already says it is not retried: said once. */
	d.h.n_agents = 2;
	d.h.agents = d.aa;
	d.a1.last_failure =
	    "rolled back 7.0.0 at start: exit 1: boom, not retried";
	au_test_cap_open(&c);
	render_hosts(c.f, hosts, 1, NOW, 0);
	au_test_cap_check(&c,
	    "HOST   STATE   LAST-SEEN  AGENTS                              "
	    "                                   LAST-FAILURE\n"
	    "web-1  failed  5s ago     demo=3.0.0/started>7.0.0!,crashes=2 "
	    "logship=1.1/started,probation=1.1  demo: rolled back 7.0.0 at "
	    "start: exit 1: boom, not retried; logship: 1.0 failed at health, "
	    "not retried\n");
}

static void
test_not_retried(void **state)
{
	Au__V1__HostAgent a = AU__V1__HOST_AGENT__INIT;
	char              buf[RENDER_NOT_RETRIED_BYTES];

	(void)state;
	render_not_retried(buf, sizeof(buf), &a);
	assert_string_equal(buf, "");
	a.failed_version = "7.0.0";
	render_not_retried(buf, sizeof(buf), &a);
	assert_string_equal(buf, "7.0.0 failed, not retried");
	a.failed_step = "health";
	render_not_retried(buf, sizeof(buf), &a);
	assert_string_equal(buf, "7.0.0 failed at health, not retried");
	render_not_retried(buf, 12, &a);
	assert_string_equal(buf, "7.0.0 faile");
}

static void
test_host_show_text(void **state)
{
	struct drill       d;
	struct au_test_cap c;

	(void)state;
	drill_init(&d);
	au_test_cap_open(&c);
	render_host_show(c.f, &d.rep, NOW, 0);
	au_test_cap_check(&c,
	    "host web-1: failed  last seen 5s ago  key 3f9a00112233aabb  "
	    "updater 0.9.0\n"
	    "\n"
	    "agent demo: 3.0.0 started  desired 7.0.0 start  failed\n"
	    "  7.0.0 failed at start, not retried\n"
	    "  crashes 2\n"
	    "  last failure 1m ago: rolled back 7.0.0 at start: exit 1: boom\n"
	    "  2025-11-25T22:09:38Z (1m ago)  3.0.0 -> 7.0.0  rolled back  "
	    "action start  step start  exit 1  2.1s\n"
	    "    message: control start failed: exit 1\n"
	    "    + ./control start\n"
	    "    boom\n"
	    "  2025-11-25T21:10:38Z (1h ago)  3.0.0  ok  action start  350ms\n"
	    "\n"
	    "agent logship: 1.1 started  desired stop (any version)\n"
	    "  1.0 failed at health, not retried\n"
	    "  probation 1.1 (in its health window)\n"
	    "  last error: status: exit 3\n"
	    "  no reports\n"
	    "\n"
	    "agent oldagent: not reported by the host\n"
	    "  2025-11-24T22:10:38Z (1d ago)  0.1 -> -  crashed  action remove "
	    " "
	    "step remove\n");
	/* A pending host that never reported anything. */
	d.h.state = AU__V1__HOST_STATE__PENDING;
	d.h.has_last_seen_ms = 0;
	d.h.key_id = d.h.updater_version = NULL;
	d.h.n_agents = d.rep.n_reports = 0;
	au_test_cap_open(&c);
	render_host_show(c.f, &d.rep, NOW, 0);
	au_test_cap_check(&c, "host web-1: pending  last seen never  key -  "
	                      "updater -\n");
}

static void
test_host_show_json(void **state)
{
	struct drill       d;
	struct au_test_cap c;

	(void)state;
	drill_init(&d);
	d.h.n_agents = 1;
	d.rep.n_reports = 2; /* r1 and r3 */
	au_test_cap_open(&c);
	render_host_show(c.f, &d.rep, NOW, 1);
	au_test_cap_check(&c,
	    "{\n"
	    "  \"host\": {\n"
	    "    \"agents\": [\n"
	    "      {\n"
	    "        \"crashes\": 2,\n"
	    "        \"desired_action\": \"start\",\n"
	    "        \"desired_version\": \"7.0.0\",\n"
	    "        \"failed\": true,\n"
	    "        \"failed_step\": \"start\",\n"
	    "        \"failed_version\": \"7.0.0\",\n"
	    "        \"last_error\": null,\n"
	    "        \"last_failure\": \"rolled back 7.0.0 at start: exit "
	    "1:\\nboom\",\n"
	    "        \"last_failure_ms\": 1764108578000,\n"
	    "        \"name\": \"demo\",\n"
	    "        \"probation\": null,\n"
	    "        \"status\": \"started\",\n"
	    "        \"version\": \"3.0.0\"\n"
	    "      }\n"
	    "    ],\n"
	    "    \"failed\": true,\n"
	    "    \"hostname\": \"web-1\",\n"
	    "    \"key_id\": \"3f9a00112233aabb\",\n"
	    "    \"last_seen_ms\": 1764108633000,\n"
	    "    \"stale\": false,\n"
	    "    \"state\": \"accepted\",\n"
	    "    \"updater_version\": \"0.9.0\"\n"
	    "  },\n"
	    "  \"now_ms\": 1764108638000,\n"
	    "  \"reports\": [\n"
	    "    {\n"
	    "      \"action\": \"start\",\n"
	    "      \"agent\": \"demo\",\n"
	    "      \"duration_ms\": 2150,\n"
	    "      \"exit_code\": 1,\n"
	    "      \"from_version\": \"3.0.0\",\n"
	    "      \"message\": \"control start failed: exit 1\",\n"
	    "      \"outcome\": \"rolled back\",\n"
	    "      \"output_tail\": \"+ ./control start\\nboom\\n\",\n"
	    "      \"received_ms\": 1764108579000,\n"
	    "      \"step\": \"start\",\n"
	    "      \"time_ms\": 1764108578000,\n"
	    "      \"version\": \"7.0.0\"\n"
	    "    },\n"
	    "    {\n"
	    "      \"action\": \"remove\",\n"
	    "      \"agent\": \"oldagent\",\n"
	    "      \"duration_ms\": null,\n"
	    "      \"exit_code\": null,\n"
	    "      \"from_version\": \"0.1\",\n"
	    "      \"message\": null,\n"
	    "      \"outcome\": \"crashed\",\n"
	    "      \"output_tail\": null,\n"
	    "      \"received_ms\": null,\n"
	    "      \"step\": \"remove\",\n"
	    "      \"time_ms\": 1764022238000,\n"
	    "      \"version\": null\n"
	    "    }\n"
	    "  ]\n"
	    "}\n");
}

static void
test_host_state(void **state)
{
	struct au_test_cap c;

	(void)state;
	au_test_cap_open(&c);
	render_host_state(c.f, "web-1", AU__V1__HOST_STATE__ACCEPTED, 0);
	au_test_cap_check(&c, "host web-1: accepted\n");
	au_test_cap_open(&c);
	render_host_state(c.f, "web-1", AU__V1__HOST_STATE__REJECTED, 1);
	au_test_cap_check(&c, "{\n  \"hostname\": \"web-1\",\n  \"state\": "
	                      "\"rejected\"\n}\n");
}

static void
test_status(void **state)
{
	Au__V1__AgentVersionCount  k1 = AU__V1__AGENT_VERSION_COUNT__INIT;
	Au__V1__AgentVersionCount  k2 = AU__V1__AGENT_VERSION_COUNT__INIT;
	Au__V1__AgentVersionCount *ks[] = {&k1, &k2};
	Au__V1__AgentSummary       s1 = AU__V1__AGENT_SUMMARY__INIT;
	Au__V1__AgentSummary       s2 = AU__V1__AGENT_SUMMARY__INIT;
	Au__V1__AgentSummary      *ss[] = {&s1, &s2};
	Au__V1__StatusReply        rep = AU__V1__STATUS_REPLY__INIT;
	struct au_test_cap         c;

	(void)state;
	k1.version = "1.4.2";
	k1.status = "started";
	k1.hosts = 2;
	k2.version = "1.4.1";
	k2.status = "rolled back";
	k2.hosts = 1;
	s1.agent = "nodex";
	s1.default_version = "1.4.2";
	s1.n_counts = 2;
	s1.counts = ks;
	s1.has_hosts_total = s1.has_hosts_converged = 1;
	s1.has_hosts_failed = 1;
	s1.hosts_total = 3;
	s1.hosts_converged = 2;
	s1.hosts_failed = 1;
	s2.agent = "logship";
	rep.n_agents = 2;
	rep.agents = ss;
	au_test_cap_open(&c);
	render_status(c.f, &rep, 0);
	au_test_cap_check(&c, "agent nodex: default 1.4.2\n"
	                      "  VERSION  STATUS       HOSTS\n"
	                      "  1.4.2    started      2\n"
	                      "  1.4.1    rolled back  1\n"
	                      "  2/3 converged, 1 failed, 0 stale\n"
	                      "\n"
	                      "agent logship: default none\n"
	                      "  VERSION  STATUS  HOSTS\n"
	                      "  0/0 converged, 0 failed, 0 stale\n");
	rep.n_agents = 1;
	rep.agents = &ss[1];
	au_test_cap_open(&c);
	render_status(c.f, &rep, 1);
	au_test_cap_check(&c, "[\n"
	                      "  {\n"
	                      "    \"agent\": \"logship\",\n"
	                      "    \"counts\": [],\n"
	                      "    \"default_version\": null,\n"
	                      "    \"hosts_converged\": 0,\n"
	                      "    \"hosts_failed\": 0,\n"
	                      "    \"hosts_stale\": 0,\n"
	                      "    \"hosts_total\": 0,\n"
	                      "    \"rollout\": null,\n"
	                      "    \"rules\": []\n"
	                      "  }\n"
	                      "]\n");
	rep.n_agents = 0;
	au_test_cap_open(&c);
	render_status(c.f, &rep, 0);
	au_test_cap_check(&c, "no agents\n");
}

/* status: the rules of the agent and its newest rollout, in text and
 * JSON. */
static void
test_status_rules_rollout(void **state)
{
	Au__V1__Rule          r1 = AU__V1__RULE__INIT, r2 = AU__V1__RULE__INIT;
	Au__V1__Rule          r3 = AU__V1__RULE__INIT;
	Au__V1__Rule         *rs[] = {&r1, &r2, &r3};
	Au__V1__Rollout       ro = AU__V1__ROLLOUT__INIT;
	uint32_t              waves[] = {1, 10, 50, 100};
	Au__V1__AgentSummary  s1 = AU__V1__AGENT_SUMMARY__INIT;
	Au__V1__AgentSummary *ss[] = {&s1};
	Au__V1__StatusReply   rep = AU__V1__STATUS_REPLY__INIT;
	struct au_test_cap    c;

	(void)state;
	r1.agent = r2.agent = r3.agent = "demo";
	r1.kind = "default";
	r1.version = "1.0.0";
	r1.action = AU__V1__ACTION__START;
	r2.kind = "prefix";
	r2.match = "web-";
	r2.version = "2.0.0";
	r2.action = AU__V1__ACTION__START;
	r3.kind = "host";
	r3.match = "db-1";
	r3.version = "";
	r3.action = AU__V1__ACTION__REMOVE;
	ro.id = 3;
	ro.agent = "demo";
	ro.version = "2.0.0";
	ro.state = AU__V1__ROLLOUT_STATE__ROLLOUT_HALTED;
	ro.n_waves = 4;
	ro.waves = waves;
	ro.has_wave = 1;
	ro.wave = 0;
	ro.reason = "same-error: 3 hosts:\nstart: control start failed";
	s1.agent = "demo";
	s1.default_version = "1.0.0";
	s1.n_rules = 3;
	s1.rules = rs;
	s1.rollout = &ro;
	rep.n_agents = 1;
	rep.agents = ss;
	au_test_cap_open(&c);
	render_status(c.f, &rep, 0);
	au_test_cap_check(&c,
	    "agent demo: default 1.0.0\n"
	    "  VERSION  STATUS  HOSTS\n"
	    "  0/0 converged, 0 failed, 0 stale\n"
	    "  rules:\n"
	    "    RULE         VERSION  ACTION\n"
	    "    default      1.0.0    start\n"
	    "    prefix web-  2.0.0    start\n"
	    "    host db-1    any      remove\n"
	    "  rollout 3: 2.0.0 halted, wave 1/4 (1%): same-error: 3 hosts: "
	    "start: control start failed\n");
	s1.n_rules = 1;
	s1.rollout = NULL;
	au_test_cap_open(&c);
	render_status(c.f, &rep, 1);
	au_test_cap_check(&c, "[\n"
	                      "  {\n"
	                      "    \"agent\": \"demo\",\n"
	                      "    \"counts\": [],\n"
	                      "    \"default_version\": \"1.0.0\",\n"
	                      "    \"hosts_converged\": 0,\n"
	                      "    \"hosts_failed\": 0,\n"
	                      "    \"hosts_stale\": 0,\n"
	                      "    \"hosts_total\": 0,\n"
	                      "    \"rollout\": null,\n"
	                      "    \"rules\": [\n"
	                      "      {\n"
	                      "        \"action\": \"start\",\n"
	                      "        \"agent\": \"demo\",\n"
	                      "        \"kind\": \"default\",\n"
	                      "        \"match\": null,\n"
	                      "        \"updated_by\": null,\n"
	                      "        \"updated_ms\": null,\n"
	                      "        \"version\": \"1.0.0\"\n"
	                      "      }\n"
	                      "    ]\n"
	                      "  }\n"
	                      "]\n");
}

static void
set_version_is(const char *version, Au__V1__Action action, const char *what,
    int json, const char *want)
{
	Au__V1__SetVersionRequest req = AU__V1__SET_VERSION_REQUEST__INIT;
	struct au_test_cap        c;

	req.agent = "demo";
	req.version = (char *)(uintptr_t)version;
	req.action = action;
	au_test_cap_open(&c);
	render_set_version(c.f, &req, what, 1, json);
	au_test_cap_check(&c, want);
}

static void
test_set_version(void **state)
{
	(void)state;
	set_version_is("2.0.0", AU__V1__ACTION__START, "prefix web-", 0,
	    "demo 2.0.0 start: prefix web-\n");
	set_version_is("", AU__V1__ACTION__STOP, "prefix web-", 0,
	    "demo: stop (any version): prefix web-\n");
	set_version_is("", AU__V1__ACTION__REMOVE, "host web-1, web-2", 0,
	    "demo: remove: host web-1, web-2: the agent is stopped and its "
	    "folder deleted on the matching hosts\n");
	set_version_is("", AU__V1__ACTION__STOP, "default", 1,
	    "{\n"
	    "  \"action\": \"stop\",\n"
	    "  \"agent\": \"demo\",\n"
	    "  \"rules_changed\": 1,\n"
	    "  \"selector\": \"default\",\n"
	    "  \"version\": null\n"
	    "}\n");
	set_version_is("", AU__V1__ACTION__REMOVE, "default", 1,
	    "{\n"
	    "  \"action\": \"remove\",\n"
	    "  \"agent\": \"demo\",\n"
	    "  \"rules_changed\": 1,\n"
	    "  \"selector\": \"default\",\n"
	    "  \"version\": null\n"
	    "}\n");
}

static void
retry_is(
    uint32_t hosts, int failed, const char *sel, int json, const char *want)
{
	Au__V1__RetryReply rep = AU__V1__RETRY_REPLY__INIT;
	struct au_test_cap c;

	rep.has_token = 1;
	rep.token = 1765098123456ULL;
	rep.has_hosts = 1;
	rep.hosts = hosts;
	au_test_cap_open(&c);
	render_retry(c.f, "demo", &rep, failed, sel, json);
	au_test_cap_check(&c, want);
}

static void
test_retry(void **state)
{
	(void)state;
	retry_is(3, 1, NULL, 0,
	    "demo: retry token 1765098123456 for 3 failed hosts\n");
	retry_is(1, 1, "prefix web-", 0,
	    "demo: retry token 1765098123456 for 1 failed host (prefix "
	    "web-)\n");
	retry_is(0, 0, "prefix web-", 0,
	    "demo: retry token 1765098123456 for prefix web-\n");
	retry_is(
	    0, 0, NULL, 0, "demo: retry token 1765098123456 for every host\n");
	retry_is(3, 1, NULL, 1,
	    "{\n"
	    "  \"agent\": \"demo\",\n"
	    "  \"failed\": true,\n"
	    "  \"hosts\": 3,\n"
	    "  \"selector\": null,\n"
	    "  \"token\": 1765098123456\n"
	    "}\n");
}

static void
test_rules_and_audit(void **state)
{
	Au__V1__Rule           r1 = AU__V1__RULE__INIT, r2 = AU__V1__RULE__INIT;
	Au__V1__Rule          *rs[] = {&r1, &r2};
	Au__V1__ListRulesReply rr = AU__V1__LIST_RULES_REPLY__INIT;
	Au__V1__AuditEntry     e = AU__V1__AUDIT_ENTRY__INIT;
	Au__V1__AuditEntry    *es[] = {&e};
	Au__V1__AuditReply     ar = AU__V1__AUDIT_REPLY__INIT;
	struct au_test_cap     c;

	(void)state;
	r1.agent = r2.agent = "nodex";
	r1.kind = "default";
	r1.version = "1.4.1";
	r1.action = AU__V1__ACTION__START;
	r1.has_updated_ms = 1;
	r1.updated_ms = NOW - 180000;
	r1.updated_by = "alice";
	r2.kind = "percent";
	r2.match = "5";
	r2.version = "";
	r2.action = AU__V1__ACTION__STOP;
	rr.n_rules = 2;
	rr.rules = rs;
	au_test_cap_open(&c);
	render_rules(c.f, &rr, NOW, 0);
	au_test_cap_check(&c,
	    "AGENT  RULE        VERSION  ACTION  UPDATED  BY\n"
	    "nodex  default     1.4.1    start   3m ago   alice\n"
	    "nodex  percent 5%  any      stop    never    -\n");
	e.time_ms = NOW;
	e.who = "alice";
	e.action = "set-version";
	e.detail = "nodex 1.4.2 start default";
	ar.n_entries = 1;
	ar.entries = es;
	au_test_cap_open(&c);
	render_audit(c.f, &ar, 0);
	au_test_cap_check(&c,
	    "TIME                  WHO    ACTION       DETAIL\n"
	    "2025-11-25T22:10:38Z  alice  set-version  nodex 1.4.2 "
	    "start default\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hosts_table),
	    cmocka_unit_test(test_hosts_empty),
	    cmocka_unit_test(test_hosts_json),
	    cmocka_unit_test(test_hosts_new_fields),
	    cmocka_unit_test(test_not_retried),
	    cmocka_unit_test(test_host_show_text),
	    cmocka_unit_test(test_host_show_json),
	    cmocka_unit_test(test_host_state),
	    cmocka_unit_test(test_status),
	    cmocka_unit_test(test_status_rules_rollout),
	    cmocka_unit_test(test_set_version),
	    cmocka_unit_test(test_retry),
	    cmocka_unit_test(test_rules_and_audit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
