/* SPDX-License-Identifier: MIT */
/*
 * test_render: what operators and scripts see for hosts, status, rules
 * and the audit log, built from real protobuf-c messages and compared
 * byte for byte.
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
	r2.version = "1.4.2";
	r2.action = AU__V1__ACTION__STOP;
	rr.n_rules = 2;
	rr.rules = rs;
	au_test_cap_open(&c);
	render_rules(c.f, &rr, NOW, 0);
	au_test_cap_check(&c,
	    "AGENT  RULE        VERSION  ACTION  UPDATED  BY\n"
	    "nodex  default     1.4.1    start   3m ago   alice\n"
	    "nodex  percent 5%  1.4.2    stop    never    -\n");
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
	    cmocka_unit_test(test_host_state),
	    cmocka_unit_test(test_status),
	    cmocka_unit_test(test_rules_and_audit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
