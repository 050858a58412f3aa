/* SPDX-License-Identifier: MIT */
/*
 * render: text and JSON views of meta's replies (see render.h).
 */
#include "render.h"

#include <stdlib.h>
#include <string.h>

#include "output.h"

static int         host_cmp(const void *a, const void *b);
static const char *host_state_text(const Au__V1__Host *h);
static char       *agents_cell(const Au__V1__Host *h);
static char       *failure_cell(const Au__V1__Host *h);
static json_t     *host_json(const Au__V1__Host *h);
static json_t     *agent_json(const Au__V1__HostAgent *a);

const char *
render_host_state_name(Au__V1__HostState state)
{
	switch (state) {
	case AU__V1__HOST_STATE__PENDING:
		return "pending";
	case AU__V1__HOST_STATE__ACCEPTED:
		return "accepted";
	case AU__V1__HOST_STATE__REJECTED:
		return "rejected";
	default:
		return "unknown";
	}
}

const char *
render_action_name(Au__V1__Action action)
{
	switch (action) {
	case AU__V1__ACTION__START:
		return "start";
	case AU__V1__ACTION__STOP:
		return "stop";
	default:
		return "-";
	}
}

static int
host_cmp(const void *a, const void *b)
{
	const Au__V1__Host *ha = *(Au__V1__Host *const *)a;
	const Au__V1__Host *hb = *(Au__V1__Host *const *)b;

	return strcmp(ha->hostname, hb->hostname);
}

static const char *
host_state_text(const Au__V1__Host *h)
{
	int stale = h->has_stale && h->stale;
	int failed = h->has_failed && h->failed;

	if (h->state != AU__V1__HOST_STATE__ACCEPTED)
		return render_host_state_name(h->state);
	if (stale && failed)
		return "stale,failed";
	if (stale)
		return "stale";
	return failed ? "failed" : "ok";
}

static int
str_set(const char *s)
{
	return s != NULL && *s != '\0';
}

/* "nodex=1.4.1/started>1.4.2! web=2.0/stopped" */
static char *
agents_cell(const Au__V1__Host *h)
{
	char  *buf = NULL;
	size_t len = 0;
	FILE  *f = open_memstream(&buf, &len);

	if (f == NULL)
		abort();
	for (size_t i = 0; i < h->n_agents; i++) {
		const Au__V1__HostAgent *a = h->agents[i];

		fprintf(f, "%s%s=%s/%s", i ? " " : "", a->name,
		    str_set(a->version) ? a->version : "-",
		    str_set(a->status) ? a->status : "-");
		if (str_set(a->desired_version) &&
		    (!str_set(a->version) ||
		        strcmp(a->version, a->desired_version) != 0))
			fprintf(f, ">%s", a->desired_version);
		if (a->has_failed && a->failed)
			fputc('!', f);
	}
	if (fclose(f) != 0)
		abort();
	return buf;
}

/* The most recent failure of any agent, "agent: text", or NULL. */
static char *
failure_cell(const Au__V1__Host *h)
{
	const Au__V1__HostAgent *last = NULL;
	char                    *s;

	for (size_t i = 0; i < h->n_agents; i++) {
		const Au__V1__HostAgent *a = h->agents[i];

		if (!str_set(a->last_failure))
			continue;
		if (last == NULL || a->last_failure_ms > last->last_failure_ms)
			last = a;
	}
	if (last == NULL)
		return NULL;
	s = out_xcalloc(1, strlen(last->name) + strlen(last->last_failure) + 3);
	sprintf(s, "%s: %s", last->name, last->last_failure);
	return s;
}

static json_t *
agent_json(const Au__V1__HostAgent *a)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:o,s:o}", "name",
	    out_json_str(a->name), "version", out_json_str(a->version),
	    "status", out_json_str(a->status), "last_error",
	    out_json_str(a->last_error), "desired_version",
	    out_json_str(a->desired_version), "desired_action",
	    a->has_desired_action
	        ? out_json_str(render_action_name(a->desired_action))
	        : json_null(),
	    "failed", a->has_failed && a->failed, "last_failure",
	    out_json_str(a->last_failure), "last_failure_ms",
	    a->has_last_failure_ms
	        ? json_integer((json_int_t)a->last_failure_ms)
	        : json_null());
}

static json_t *
host_json(const Au__V1__Host *h)
{
	json_t *agents = json_array();

	for (size_t i = 0; i < h->n_agents; i++)
		json_array_append_new(agents, agent_json(h->agents[i]));
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:b,s:b,s:o}", "hostname",
	    out_json_str(h->hostname), "state",
	    out_json_str(render_host_state_name(h->state)), "last_seen_ms",
	    h->has_last_seen_ms && h->last_seen_ms
	        ? json_integer((json_int_t)h->last_seen_ms)
	        : json_null(),
	    "key_id", out_json_str(h->key_id), "updater_version",
	    out_json_str(h->updater_version), "stale", h->has_stale && h->stale,
	    "failed", h->has_failed && h->failed, "agents", agents);
}

static void
hosts_json(FILE *f, Au__V1__Host **hosts, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, host_json(hosts[i]));
	out_json_print(f, arr);
	json_decref(arr);
}

void
render_hosts(FILE *f, Au__V1__Host **hosts, size_t n, uint64_t now_ms, int json)
{
	static const char *const hdr[] = {
	    "HOST", "STATE", "LAST-SEEN", "AGENTS", "LAST-FAILURE"};
	struct out_table *t;

	if (n > 0)
		qsort(hosts, n, sizeof(*hosts), host_cmp);
	if (json) {
		hosts_json(f, hosts, n);
		return;
	}
	t = out_table_new(5, hdr);
	for (size_t i = 0; i < n; i++) {
		const Au__V1__Host *h = hosts[i];
		char                ago[OUT_TIME_BYTES];
		char               *agents = agents_cell(h);
		char               *fail = failure_cell(h);

		out_ago(ago, sizeof(ago), now_ms,
		    h->has_last_seen_ms ? h->last_seen_ms : 0);
		out_table_addv(
		    t, h->hostname, host_state_text(h), ago, agents, fail);
		free(agents);
		free(fail);
	}
	out_table_print(t, f);
	out_table_free(t);
}

void
render_host_state(
    FILE *f, const char *hostname, Au__V1__HostState state, int json)
{
	json_t *j;

	if (!json) {
		fprintf(f, "host %s: %s\n", hostname,
		    render_host_state_name(state));
		return;
	}
	j = json_pack("{s:o,s:o}", "hostname", out_json_str(hostname), "state",
	    out_json_str(render_host_state_name(state)));
	out_json_print(f, j);
	json_decref(j);
}

static uint32_t
opt_u32(protobuf_c_boolean has, uint32_t v)
{
	return has ? v : 0;
}

static json_t *
summary_json(const Au__V1__AgentSummary *s)
{
	json_t *counts = json_array();

	for (size_t i = 0; i < s->n_counts; i++) {
		const Au__V1__AgentVersionCount *c = s->counts[i];

		json_array_append_new(
		    counts, json_pack("{s:o,s:o,s:I}", "version",
		                out_json_str(c->version), "status",
		                out_json_str(c->status), "hosts",
		                (json_int_t)c->hosts));
	}
	return json_pack("{s:o,s:o,s:o,s:I,s:I,s:I,s:I}", "agent",
	    out_json_str(s->agent), "default_version",
	    out_json_str(s->default_version), "counts", counts, "hosts_total",
	    (json_int_t)opt_u32(s->has_hosts_total, s->hosts_total),
	    "hosts_converged",
	    (json_int_t)opt_u32(s->has_hosts_converged, s->hosts_converged),
	    "hosts_failed",
	    (json_int_t)opt_u32(s->has_hosts_failed, s->hosts_failed),
	    "hosts_stale",
	    (json_int_t)opt_u32(s->has_hosts_stale, s->hosts_stale));
}

static void
summary_text(FILE *f, const Au__V1__AgentSummary *s)
{
	static const char *const hdr[] = {"VERSION", "STATUS", "HOSTS"};
	struct out_table        *t = out_table_new(3, hdr);

	fprintf(f, "agent %s: default %s\n", s->agent,
	    str_set(s->default_version) ? s->default_version : "none");
	out_table_indent(t, 2);
	for (size_t i = 0; i < s->n_counts; i++) {
		const Au__V1__AgentVersionCount *c = s->counts[i];
		char                             n[16];

		snprintf(n, sizeof(n), "%u", c->hosts);
		out_table_addv(t, c->version, c->status, n);
	}
	out_table_print(t, f);
	out_table_free(t);
	fprintf(f, "  %u/%u converged, %u failed, %u stale\n",
	    opt_u32(s->has_hosts_converged, s->hosts_converged),
	    opt_u32(s->has_hosts_total, s->hosts_total),
	    opt_u32(s->has_hosts_failed, s->hosts_failed),
	    opt_u32(s->has_hosts_stale, s->hosts_stale));
}

void
render_status(FILE *f, const Au__V1__StatusReply *rep, int json)
{
	json_t *arr;

	if (!json) {
		for (size_t i = 0; i < rep->n_agents; i++) {
			if (i > 0)
				fputc('\n', f);
			summary_text(f, rep->agents[i]);
		}
		if (rep->n_agents == 0)
			fputs("no agents\n", f);
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < rep->n_agents; i++)
		json_array_append_new(arr, summary_json(rep->agents[i]));
	out_json_print(f, arr);
	json_decref(arr);
}

static json_t *
rule_json(const Au__V1__Rule *r)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "agent",
	    out_json_str(r->agent), "kind", out_json_str(r->kind), "match",
	    out_json_str(r->match), "version", out_json_str(r->version),
	    "action", out_json_str(render_action_name(r->action)), "updated_ms",
	    r->has_updated_ms ? json_integer((json_int_t)r->updated_ms)
	                      : json_null(),
	    "updated_by", out_json_str(r->updated_by));
}

void
render_rules(
    FILE *f, const Au__V1__ListRulesReply *rep, uint64_t now_ms, int json)
{
	static const char *const hdr[] = {
	    "AGENT", "RULE", "VERSION", "ACTION", "UPDATED", "BY"};
	struct out_table *t;
	json_t           *arr;

	if (json) {
		arr = json_array();
		for (size_t i = 0; i < rep->n_rules; i++)
			json_array_append_new(arr, rule_json(rep->rules[i]));
		out_json_print(f, arr);
		json_decref(arr);
		return;
	}
	t = out_table_new(6, hdr);
	for (size_t i = 0; i < rep->n_rules; i++) {
		const Au__V1__Rule *r = rep->rules[i];
		char                rule[160], ago[OUT_TIME_BYTES];

		snprintf(rule, sizeof(rule), "%s%s%s%s", r->kind,
		    str_set(r->match) ? " " : "",
		    str_set(r->match) ? r->match : "",
		    strcmp(r->kind, "percent") == 0 ? "%" : "");
		out_ago(ago, sizeof(ago), now_ms,
		    r->has_updated_ms ? r->updated_ms : 0);
		out_table_addv(t, r->agent, rule, r->version,
		    render_action_name(r->action), ago, r->updated_by);
	}
	out_table_print(t, f);
	out_table_free(t);
}

void
render_audit(FILE *f, const Au__V1__AuditReply *rep, int json)
{
	static const char *const hdr[] = {"TIME", "WHO", "ACTION", "DETAIL"};
	struct out_table        *t;
	json_t                  *arr;

	if (json) {
		arr = json_array();
		for (size_t i = 0; i < rep->n_entries; i++) {
			const Au__V1__AuditEntry *e = rep->entries[i];

			json_array_append_new(
			    arr, json_pack("{s:I,s:o,s:o,s:o}", "time_ms",
			             (json_int_t)e->time_ms, "who",
			             out_json_str(e->who), "action",
			             out_json_str(e->action), "detail",
			             out_json_str(e->detail)));
		}
		out_json_print(f, arr);
		json_decref(arr);
		return;
	}
	t = out_table_new(4, hdr);
	for (size_t i = 0; i < rep->n_entries; i++) {
		const Au__V1__AuditEntry *e = rep->entries[i];
		char                      when[OUT_TIME_BYTES];

		out_time(when, sizeof(when), e->time_ms);
		out_table_addv(t, when, e->who, e->action, e->detail);
	}
	out_table_print(t, f);
	out_table_free(t);
}
