/* SPDX-License-Identifier: MIT */
/*
 * test_render_rollout: what `metactl rollout status|start|pause|resume|
 * abort` print for real protobuf-c replies, in text and JSON, compared
 * byte for byte: a rollout that halted itself (reason, waves not reached,
 * failure signatures), one baking its last wave, and the one-line forms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au_test.h"
#include "render_rollout.h"

#define NOW 1764108638000ULL

struct halted {
	uint32_t                  waves[4];
	Au__V1__RolloutWave       w1;
	Au__V1__RolloutWave      *ws[1];
	Au__V1__FailureSignature  s1, s2;
	Au__V1__FailureSignature *ss[2];
	Au__V1__Rollout           r;
};

/* Rollout 3 of demo 2.0.0: halted in its first wave on the same error. */
static void
halted_init(struct halted *h)
{
	Au__V1__RolloutWave      wi = AU__V1__ROLLOUT_WAVE__INIT;
	Au__V1__FailureSignature si = AU__V1__FAILURE_SIGNATURE__INIT;
	Au__V1__Rollout          ri = AU__V1__ROLLOUT__INIT;
	static const uint32_t    waves[] = {1, 10, 50, 100};

	memcpy(h->waves, waves, sizeof(waves));
	h->w1 = wi;
	h->w1.percent = 1;
	h->w1.has_hosts = h->w1.has_converged = h->w1.has_failed = 1;
	h->w1.has_pending = h->w1.has_stale = h->w1.has_started_ms = 1;
	h->w1.hosts = 3;
	h->w1.failed = 3;
	h->w1.started_ms = NOW - 720000;
	h->ws[0] = &h->w1;
	h->s1 = h->s2 = si;
	h->s1.signature =
	    "start: control start failed: exit N: cannot open config PATH";
	h->s1.hosts = 3;
	h->s1.sample_host = "web-3";
	h->s1.sample_message =
	    "control start failed: exit 2: cannot open config /etc/demo.conf";
	h->s2.signature = "health: status stopped";
	h->s2.hosts = 1;
	h->s2.sample_host = "web-9";
	h->ss[0] = &h->s1;
	h->ss[1] = &h->s2;
	h->r = ri;
	h->r.id = 3;
	h->r.agent = "demo";
	h->r.version = "2.0.0";
	h->r.state = AU__V1__ROLLOUT_STATE__ROLLOUT_HALTED;
	h->r.n_waves = 4;
	h->r.waves = h->waves;
	h->r.has_wave = 1;
	h->r.has_bake_ms = 1;
	h->r.bake_ms = 600000;
	h->r.has_max_failed = h->r.has_max_failed_percent = 1;
	h->r.max_failed = 5;
	h->r.max_failed_percent = 1;
	h->r.has_same_error = 1;
	h->r.same_error = 3;
	h->r.prefix = "web-";
	h->r.reason = "same-error: 3 hosts: start: control start failed: "
	              "exit N: cannot open config PATH";
	h->r.previous_version = "1.0.0";
	h->r.has_created_ms = 1;
	h->r.created_ms = NOW - 720000;
	h->r.created_by = "alice";
	h->r.n_wave_stats = 1;
	h->r.wave_stats = h->ws;
	h->r.n_signatures = 2;
	h->r.signatures = h->ss;
}

struct baking {
	uint32_t             waves[2];
	Au__V1__RolloutWave  w1, w2;
	Au__V1__RolloutWave *ws[2];
	Au__V1__Rollout      r;
};

/* Rollout 4 of logship 0.9: its last wave converged and bakes. */
static void
baking_init(struct baking *b)
{
	Au__V1__RolloutWave wi = AU__V1__ROLLOUT_WAVE__INIT;
	Au__V1__Rollout     ri = AU__V1__ROLLOUT__INIT;

	b->waves[0] = 50;
	b->waves[1] = 100;
	b->w1 = b->w2 = wi;
	b->w1.percent = 50;
	b->w2.percent = 100;
	b->w1.has_hosts = b->w2.has_hosts = 1;
	b->w1.hosts = b->w2.hosts = 5;
	b->w1.has_converged = b->w2.has_converged = 1;
	b->w1.converged = b->w2.converged = 5;
	b->w1.has_started_ms = b->w2.has_started_ms = 1;
	b->w1.started_ms = NOW - 3600000;
	b->w2.started_ms = NOW - 400000;
	b->ws[0] = &b->w1;
	b->ws[1] = &b->w2;
	b->r = ri;
	b->r.id = 4;
	b->r.agent = "logship";
	b->r.version = "0.9";
	b->r.state = AU__V1__ROLLOUT_STATE__ROLLOUT_RUNNING;
	b->r.n_waves = 2;
	b->r.waves = b->waves;
	b->r.has_wave = 1;
	b->r.wave = 1;
	b->r.has_bake_ms = 1;
	b->r.bake_ms = 600000;
	b->r.has_max_failed = 1;
	b->r.max_failed = 3;
	b->r.has_same_error = 1;
	b->r.same_error = 2;
	b->r.has_bake_started_ms = 1;
	b->r.bake_started_ms = NOW - 80000;
	b->r.n_wave_stats = 2;
	b->r.wave_stats = b->ws;
}

static void
test_status_text(void **state)
{
	struct halted              h;
	struct baking              b;
	Au__V1__Rollout           *rs[2];
	Au__V1__RolloutStatusReply rep = AU__V1__ROLLOUT_STATUS_REPLY__INIT;
	struct au_test_cap         c;

	(void)state;
	halted_init(&h);
	baking_init(&b);
	rs[0] = &h.r;
	rs[1] = &b.r;
	rep.n_rollouts = 2;
	rep.rollouts = rs;
	au_test_cap_open(&c);
	render_rollout_status(c.f, &rep, NOW, 0);
	au_test_cap_check(&c,
	    "rollout 3: demo 2.0.0  halted  wave 1/4 (1%)  bake 10m  "
	    "max-failed 5%  same-error 3  prefix web-\n"
	    "  reason: same-error: 3 hosts: start: control start failed: "
	    "exit N: cannot open config PATH\n"
	    "  previous: 1.0.0  created 2025-11-25T21:58:38Z (12m ago) by "
	    "alice\n"
	    "  wave  percent  hosts  converged  failed  pending  stale  "
	    "started\n"
	    "  1     1%       3      0          3       0        0      "
	    "12m ago\n"
	    "  2     10%      -      -          -       -        -      -\n"
	    "  3     50%      -      -          -       -        -      -\n"
	    "  4     100%     -      -          -       -        -      -\n"
	    "  failures: 3 hosts  start: control start failed: exit N: "
	    "cannot open config PATH  (e.g. web-3: control start failed: "
	    "exit 2: cannot open config /etc/demo.conf)\n"
	    "  failures: 1 host  health: status stopped  (e.g. web-9)\n"
	    "\n"
	    "rollout 4: logship 0.9  running  wave 2/2 (100%)  bake 10m  "
	    "max-failed 3  same-error 2\n"
	    "  baking since 1m20s of 10m\n"
	    "  previous: none\n"
	    "  wave  percent  hosts  converged  failed  pending  stale  "
	    "started\n"
	    "  1     50%      5      5          0       0        0      1h "
	    "ago\n"
	    "  2     100%     5      5          0       0        0      6m "
	    "ago\n");
	/* Paused, it no longer bakes. */
	b.r.state = AU__V1__ROLLOUT_STATE__ROLLOUT_PAUSED;
	b.r.reason = "by alice: checking dashboards";
	rep.n_rollouts = 1;
	rep.rollouts = &rs[1];
	au_test_cap_open(&c);
	render_rollout_status(c.f, &rep, NOW, 0);
	au_test_cap_check(&c,
	    "rollout 4: logship 0.9  paused  wave 2/2 (100%)  bake 10m  "
	    "max-failed 3  same-error 2\n"
	    "  reason: by alice: checking dashboards\n"
	    "  previous: none\n"
	    "  wave  percent  hosts  converged  failed  pending  stale  "
	    "started\n"
	    "  1     50%      5      5          0       0        0      1h "
	    "ago\n"
	    "  2     100%     5      5          0       0        0      6m "
	    "ago\n");
	rep.n_rollouts = 0;
	au_test_cap_open(&c);
	render_rollout_status(c.f, &rep, NOW, 0);
	au_test_cap_check(&c, "no rollouts\n");
	au_test_cap_open(&c);
	render_rollout_status(c.f, &rep, NOW, 1);
	au_test_cap_check(&c, "[]\n");
}

static void
test_status_json(void **state)
{
	struct halted              h;
	Au__V1__Rollout           *rs[1];
	Au__V1__RolloutStatusReply rep = AU__V1__ROLLOUT_STATUS_REPLY__INIT;
	struct au_test_cap         c;

	(void)state;
	halted_init(&h);
	h.r.n_signatures = 1;
	rs[0] = &h.r;
	rep.n_rollouts = 1;
	rep.rollouts = rs;
	au_test_cap_open(&c);
	render_rollout_status(c.f, &rep, NOW, 1);
	au_test_cap_check(&c,
	    "[\n"
	    "  {\n"
	    "    \"agent\": \"demo\",\n"
	    "    \"bake_ms\": 600000,\n"
	    "    \"bake_started_ms\": null,\n"
	    "    \"created_by\": \"alice\",\n"
	    "    \"created_ms\": 1764107918000,\n"
	    "    \"id\": 3,\n"
	    "    \"max_failed\": 5,\n"
	    "    \"max_failed_percent\": true,\n"
	    "    \"prefix\": \"web-\",\n"
	    "    \"previous_version\": \"1.0.0\",\n"
	    "    \"reason\": \"same-error: 3 hosts: start: control start "
	    "failed: exit N: cannot open config PATH\",\n"
	    "    \"same_error\": 3,\n"
	    "    \"signatures\": [\n"
	    "      {\n"
	    "        \"hosts\": 3,\n"
	    "        \"sample_host\": \"web-3\",\n"
	    "        \"sample_message\": \"control start failed: exit 2: "
	    "cannot open config /etc/demo.conf\",\n"
	    "        \"signature\": \"start: control start failed: exit N: "
	    "cannot open config PATH\"\n"
	    "      }\n"
	    "    ],\n"
	    "    \"state\": \"halted\",\n"
	    "    \"updated_ms\": null,\n"
	    "    \"version\": \"2.0.0\",\n"
	    "    \"wave\": 0,\n"
	    "    \"wave_stats\": [\n"
	    "      {\n"
	    "        \"converged\": 0,\n"
	    "        \"failed\": 3,\n"
	    "        \"hosts\": 3,\n"
	    "        \"pending\": 0,\n"
	    "        \"percent\": 1,\n"
	    "        \"stale\": 0,\n"
	    "        \"started_ms\": 1764107918000\n"
	    "      }\n"
	    "    ],\n"
	    "    \"waves\": [\n"
	    "      1,\n"
	    "      10,\n"
	    "      50,\n"
	    "      100\n"
	    "    ]\n"
	    "  }\n"
	    "]\n");
}

static void
test_done_lines(void **state)
{
	struct halted      h;
	struct baking      b;
	struct au_test_cap c;

	(void)state;
	halted_init(&h);
	baking_init(&b);
	au_test_cap_open(&c);
	render_rollout_done(c.f, "started", &b.r, 0);
	render_rollout_done(c.f, "paused", &b.r, 0);
	render_rollout_done(c.f, "resumed", &h.r, 0);
	h.r.state = AU__V1__ROLLOUT_STATE__ROLLOUT_ABORTED;
	render_rollout_done(c.f, "aborted", &h.r, 0);
	h.r.previous_version = NULL;
	render_rollout_done(c.f, "aborted", &h.r, 0);
	h.r.n_waves = 0;
	render_rollout_done(c.f, "aborted", &h.r, 0);
	au_test_cap_check(&c,
	    "rollout 4: logship 0.9: started; now running, wave 2/2 (100%)\n"
	    "rollout 4: logship 0.9: paused; now running, wave 2/2 (100%)\n"
	    "rollout 3: demo 2.0.0: resumed; now halted, wave 1/4 (1%)\n"
	    "rollout 3: demo 2.0.0: aborted, hosts go back to 1.0.0; now "
	    "aborted, wave 1/4 (1%)\n"
	    "rollout 3: demo 2.0.0: aborted, no previous version; now "
	    "aborted, wave 1/4 (1%)\n"
	    "rollout 3: demo 2.0.0: aborted, no previous version; now "
	    "aborted, wave -\n");
	au_test_cap_open(&c);
	b.r.n_wave_stats = 0;
	render_rollout_done(c.f, "started", &b.r, 1);
	au_test_cap_check(&c, "{\n"
	                      "  \"agent\": \"logship\",\n"
	                      "  \"bake_ms\": 600000,\n"
	                      "  \"bake_started_ms\": 1764108558000,\n"
	                      "  \"created_by\": null,\n"
	                      "  \"created_ms\": null,\n"
	                      "  \"id\": 4,\n"
	                      "  \"max_failed\": 3,\n"
	                      "  \"max_failed_percent\": false,\n"
	                      "  \"prefix\": null,\n"
	                      "  \"previous_version\": null,\n"
	                      "  \"reason\": null,\n"
	                      "  \"same_error\": 2,\n"
	                      "  \"signatures\": [],\n"
	                      "  \"state\": \"running\",\n"
	                      "  \"updated_ms\": null,\n"
	                      "  \"version\": \"0.9\",\n"
	                      "  \"wave\": 1,\n"
	                      "  \"wave_stats\": [],\n"
	                      "  \"waves\": [\n"
	                      "    50,\n"
	                      "    100\n"
	                      "  ]\n"
	                      "}\n");
}

static void
test_line_and_states(void **state)
{
	struct halted      h;
	struct au_test_cap c;

	(void)state;
	halted_init(&h);
	au_test_cap_open(&c);
	render_rollout_line(c.f, &h.r);
	h.r.reason = NULL;
	h.r.state = AU__V1__ROLLOUT_STATE__ROLLOUT_DONE;
	h.r.wave = 3;
	fputc('\n', c.f);
	render_rollout_line(c.f, &h.r);
	au_test_cap_check(&c,
	    "rollout 3: 2.0.0 halted, wave 1/4 (1%): same-error: 3 hosts: "
	    "start: control start failed: exit N: cannot open config PATH\n"
	    "rollout 3: 2.0.0 done, wave 4/4 (100%)");
	assert_string_equal(
	    render_rollout_state_name(AU__V1__ROLLOUT_STATE__ROLLOUT_RUNNING),
	    "running");
	assert_string_equal(
	    render_rollout_state_name(AU__V1__ROLLOUT_STATE__ROLLOUT_PAUSED),
	    "paused");
	assert_string_equal(
	    render_rollout_state_name(AU__V1__ROLLOUT_STATE__ROLLOUT_ABORTED),
	    "aborted");
	assert_string_equal(
	    render_rollout_state_name(
	        AU__V1__ROLLOUT_STATE__ROLLOUT_STATE_UNSPECIFIED),
	    "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_status_text),
	    cmocka_unit_test(test_status_json),
	    cmocka_unit_test(test_done_lines),
	    cmocka_unit_test(test_line_and_states),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
