/* SPDX-License-Identifier: MIT */
/*
 * render: text and JSON views of meta's replies (see render.h).
 */
#include "render.h"

#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "render_rollout.h"

static int         str_set(const char *s);
static int         host_cmp(const void *a, const void *b);
static const char *host_state_text(const Au__V1__Host *h);
static char       *agents_cell(const Au__V1__Host *h);
static char       *failure_cell(const Au__V1__Host *h);
static int         ends_with(const char *s, const char *suffix);
static json_t     *host_json(const Au__V1__Host *h);
static json_t     *agent_json(const Au__V1__HostAgent *a);
static void        put_flat(FILE *f, const char *s);
static const char *or_dash(const char *s);
static void        put_desired(FILE *f, const Au__V1__HostAgent *a);
static uint64_t    report_time(const Au__V1__ReportEntry *r);
static int         agent_shown(const Au__V1__HostShowReply *rep, size_t i);
static void        host_show_json(
           FILE *f, const Au__V1__HostShowReply *rep, uint64_t now_ms);
static void put_indented(FILE *f, const char *text, int indent);
static void show_agent(FILE *f, const Au__V1__HostAgent *a, uint64_t now_ms);
static void show_reports(FILE *f, const Au__V1__HostShowReply *rep,
    const char *agent, uint64_t now_ms);
static void show_report(FILE *f, const Au__V1__ReportEntry *r, uint64_t now_ms);
static json_t *report_json(const Au__V1__ReportEntry *r);
static json_t *rule_json(const Au__V1__Rule *r);
static void    rule_match(char *buf, size_t len, const Au__V1__Rule *r);
static void    summary_rules(FILE *f, const Au__V1__AgentSummary *s);

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
	case AU__V1__ACTION__REMOVE:
		return "remove";
	default:
		return "-";
	}
}

const char *
render_outcome_name(Au__V1__Outcome outcome)
{
	switch (outcome) {
	case AU__V1__OUTCOME__OUTCOME_OK:
		return "ok";
	case AU__V1__OUTCOME__OUTCOME_FAILED:
		return "failed";
	case AU__V1__OUTCOME__OUTCOME_ROLLED_BACK:
		return "rolled back";
	case AU__V1__OUTCOME__OUTCOME_CRASHED:
		return "crashed";
	default:
		return "-";
	}
}

void
render_not_retried(char *buf, size_t len, const Au__V1__HostAgent *a)
{
	if (!str_set(a->failed_version)) {
		snprintf(buf, len, "%s", "");
		return;
	}
	if (str_set(a->failed_step))
		snprintf(buf, len, "%s failed at %s, not retried",
		    a->failed_version, a->failed_step);
	else
		snprintf(buf, len, "%s failed, not retried", a->failed_version);
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

/* "nodex=1.4.1/started>1.4.2! web=2.0/stopped", an agent followed by
 * ",crashes=N" and ",probation=V" when it has them. */
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
		if (a->has_crashes && a->crashes > 0)
			fprintf(f, ",crashes=%u", a->crashes);
		if (str_set(a->probation))
			fprintf(f, ",probation=%s", a->probation);
	}
	if (fclose(f) != 0)
		abort();
	return buf;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The most recent failure of any agent, "agent: text", preceded by
 * "V failed at STEP, not retried: " when that agent has a failed version;
 * then "; agent: V failed at STEP, not retried" for the other agents with
 * one.  NULL when there is nothing to say. */
static char *
failure_cell(const Au__V1__Host *h)
{
	const Au__V1__HostAgent *last = NULL;
	char                    *buf = NULL, nr[RENDER_NOT_RETRIED_BYTES];
	size_t                   len = 0;
	FILE                    *f;

	for (size_t i = 0; i < h->n_agents; i++) {
		const Au__V1__HostAgent *a = h->agents[i];

		if (!str_set(a->last_failure))
			continue;
		if (last == NULL || a->last_failure_ms > last->last_failure_ms)
			last = a;
	}
	if ((f = open_memstream(&buf, &len)) == NULL)
		abort();
	if (last != NULL) {
		/* meta ends the line with ", not retried" when the failure is
		 * about the version the host holds back: no need to say it
		 * twice. */
		render_not_retried(nr, sizeof(nr), last);
		if (ends_with(last->last_failure, ", not retried"))
			nr[0] = '\0';
		fprintf(f, "%s: %s%s%s", last->name, nr, *nr ? ": " : "",
		    last->last_failure);
	}
	for (size_t i = 0; i < h->n_agents; i++) {
		const Au__V1__HostAgent *a = h->agents[i];

		render_not_retried(nr, sizeof(nr), a);
		if (a != last && *nr)
			fprintf(f, "%s%s: %s", ftell(f) > 0 ? "; " : "",
			    a->name, nr);
	}
	if (fclose(f) != 0)
		abort();
	if (len == 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static json_t *
agent_json(const Au__V1__HostAgent *a)
{
	json_t *j = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:o,s:o}", "name",
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

	json_object_set_new(
	    j, "failed_version", out_json_str(a->failed_version));
	json_object_set_new(j, "failed_step", out_json_str(a->failed_step));
	json_object_set_new(j, "crashes",
	    json_integer(a->has_crashes ? (json_int_t)a->crashes : 0));
	json_object_set_new(j, "probation", out_json_str(a->probation));
	return j;
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

/* ------------------------------------------------------------ hosts show */

/* s on one line: line breaks and tabs as spaces. */
static void
put_flat(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		fputc(*s == '\n' || *s == '\r' || *s == '\t' ? ' ' : *s, f);
}

/* Each line of text on a line of its own, indented by indent spaces. */
static void
put_indented(FILE *f, const char *text, int indent)
{
	const char *p = text, *nl;
	size_t      n;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		fprintf(f, "%*s%.*s\n", indent, "", (int)n, p);
		p += n + (nl != NULL);
	}
}

static const char *
or_dash(const char *s)
{
	return str_set(s) ? s : "-";
}

/* "  desired 1.4.2 start", "  desired stop (any version)", or "". */
static void
put_desired(FILE *f, const Au__V1__HostAgent *a)
{
	const char *action = a->has_desired_action
	                         ? render_action_name(a->desired_action)
	                         : NULL;

	if (str_set(a->desired_version))
		fprintf(f, "  desired %s%s%s", a->desired_version,
		    action ? " " : "", action ? action : "");
	else if (action != NULL)
		fprintf(f, "  desired %s (any version)", action);
}

static void
show_agent(FILE *f, const Au__V1__HostAgent *a, uint64_t now_ms)
{
	char nr[RENDER_NOT_RETRIED_BYTES], ago[OUT_TIME_BYTES];

	fprintf(f, "\nagent %s: %s %s", a->name, or_dash(a->version),
	    or_dash(a->status));
	put_desired(f, a);
	fputs(a->has_failed && a->failed ? "  failed\n" : "\n", f);
	render_not_retried(nr, sizeof(nr), a);
	if (*nr)
		fprintf(f, "  %s\n", nr);
	if (a->has_crashes && a->crashes > 0)
		fprintf(f, "  crashes %u\n", a->crashes);
	if (str_set(a->probation))
		fprintf(
		    f, "  probation %s (in its health window)\n", a->probation);
	if (str_set(a->last_error)) {
		fputs("  last error: ", f);
		put_flat(f, a->last_error);
		fputc('\n', f);
	}
	if (str_set(a->last_failure)) {
		out_ago(ago, sizeof(ago), now_ms,
		    a->has_last_failure_ms ? a->last_failure_ms : 0);
		fprintf(f, "  last failure %s: ", ago);
		put_flat(f, a->last_failure);
		fputc('\n', f);
	}
}

/* The time a report was made: the host's clock, else meta's. */
static uint64_t
report_time(const Au__V1__ReportEntry *r)
{
	if (r->has_time_ms && r->time_ms != 0)
		return r->time_ms;
	return r->has_received_ms ? r->received_ms : 0;
}

static void
show_report(FILE *f, const Au__V1__ReportEntry *r, uint64_t now_ms)
{
	char when[OUT_TIME_BYTES], ago[OUT_TIME_BYTES], dur[OUT_TIME_BYTES];

	out_time(when, sizeof(when), report_time(r));
	out_ago(ago, sizeof(ago), now_ms, report_time(r));
	fprintf(f, "  %s (%s)  ", when, ago);
	if (str_set(r->from_version))
		fprintf(f, "%s -> %s", r->from_version, or_dash(r->version));
	else
		fputs(or_dash(r->version), f);
	fprintf(f, "  %s", render_outcome_name(r->outcome));
	if (r->has_action)
		fprintf(f, "  action %s", render_action_name(r->action));
	if (str_set(r->step))
		fprintf(f, "  step %s", r->step);
	if (r->has_exit_code)
		fprintf(f, "  exit %d", r->exit_code);
	if (r->has_duration_ms) {
		out_duration(dur, sizeof(dur), r->duration_ms);
		fprintf(f, "  %s", dur);
	}
	fputc('\n', f);
	if (str_set(r->message)) {
		fputs("    message: ", f);
		put_flat(f, r->message);
		fputc('\n', f);
	}
	if (str_set(r->output_tail))
		put_indented(f, r->output_tail, 4);
}

/* The reports about agent, in meta's order (newest first). */
static void
show_reports(FILE *f, const Au__V1__HostShowReply *rep, const char *agent,
    uint64_t now_ms)
{
	int any = 0;

	for (size_t i = 0; i < rep->n_reports; i++) {
		if (strcmp(rep->reports[i]->agent, agent) != 0)
			continue;
		show_report(f, rep->reports[i], now_ms);
		any = 1;
	}
	if (!any)
		fputs("  no reports\n", f);
}

/* Whether reports[0..i) or the host's agents name reports[i]'s agent. */
static int
agent_shown(const Au__V1__HostShowReply *rep, size_t i)
{
	const char *name = rep->reports[i]->agent;

	for (size_t k = 0; k < rep->host->n_agents; k++)
		if (strcmp(rep->host->agents[k]->name, name) == 0)
			return 1;
	for (size_t k = 0; k < i; k++)
		if (strcmp(rep->reports[k]->agent, name) == 0)
			return 1;
	return 0;
}

static json_t *
report_json(const Au__V1__ReportEntry *r)
{
	json_t *j = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "agent",
	    out_json_str(r->agent), "version", out_json_str(r->version),
	    "from_version", out_json_str(r->from_version), "outcome",
	    out_json_str(render_outcome_name(r->outcome)), "action",
	    r->has_action ? out_json_str(render_action_name(r->action))
	                  : json_null(),
	    "step", out_json_str(r->step), "message", out_json_str(r->message));

	json_object_set_new(j, "exit_code",
	    r->has_exit_code ? json_integer(r->exit_code) : json_null());
	json_object_set_new(j, "output_tail", out_json_str(r->output_tail));
	json_object_set_new(j, "duration_ms",
	    r->has_duration_ms ? json_integer((json_int_t)r->duration_ms)
	                       : json_null());
	json_object_set_new(j, "time_ms",
	    r->has_time_ms ? json_integer((json_int_t)r->time_ms)
	                   : json_null());
	json_object_set_new(j, "received_ms",
	    r->has_received_ms ? json_integer((json_int_t)r->received_ms)
	                       : json_null());
	return j;
}

static void
host_show_json(FILE *f, const Au__V1__HostShowReply *rep, uint64_t now_ms)
{
	json_t *reports = json_array(), *j;

	for (size_t i = 0; i < rep->n_reports; i++)
		json_array_append_new(reports, report_json(rep->reports[i]));
	j = json_pack("{s:o,s:o,s:I}", "host", host_json(rep->host), "reports",
	    reports, "now_ms", (json_int_t)now_ms);
	out_json_print(f, j);
	json_decref(j);
}

void
render_host_show(
    FILE *f, const Au__V1__HostShowReply *rep, uint64_t now_ms, int json)
{
	const Au__V1__Host *h = rep->host;
	char                ago[OUT_TIME_BYTES];

	if (json) {
		host_show_json(f, rep, now_ms);
		return;
	}
	out_ago(ago, sizeof(ago), now_ms,
	    h->has_last_seen_ms ? h->last_seen_ms : 0);
	fprintf(f, "host %s: %s  last seen %s  key %s  updater %s\n",
	    h->hostname, host_state_text(h), ago, or_dash(h->key_id),
	    or_dash(h->updater_version));
	for (size_t i = 0; i < h->n_agents; i++) {
		show_agent(f, h->agents[i], now_ms);
		show_reports(f, rep, h->agents[i]->name, now_ms);
	}
	for (size_t i = 0; i < rep->n_reports; i++) {
		if (agent_shown(rep, i))
			continue;
		fprintf(f, "\nagent %s: not reported by the host\n",
		    rep->reports[i]->agent);
		show_reports(f, rep, rep->reports[i]->agent, now_ms);
	}
}

void
render_set_version(FILE *f, const Au__V1__SetVersionRequest *req,
    const char *what, uint32_t rules_changed, int json)
{
	const char *action = render_action_name(req->action);
	json_t     *j;

	if (json) {
		j = json_pack("{s:o,s:o,s:s,s:o,s:I}", "agent",
		    out_json_str(req->agent), "version",
		    out_json_str(str_set(req->version) ? req->version : NULL),
		    "action", action, "selector", out_json_str(what),
		    "rules_changed", (json_int_t)rules_changed);
		out_json_print(f, j);
		json_decref(j);
	} else if (req->action == AU__V1__ACTION__REMOVE) {
		fprintf(f,
		    "%s: remove: %s: the agent is stopped and its folder "
		    "deleted on the matching hosts\n",
		    req->agent, what);
	} else if (!str_set(req->version)) {
		fprintf(
		    f, "%s: %s (any version): %s\n", req->agent, action, what);
	} else {
		fprintf(f, "%s %s %s: %s\n", req->agent, req->version, action,
		    what);
	}
}

void
render_retry(FILE *f, const char *agent, const Au__V1__RetryReply *rep,
    int failed, const char *sel, int json)
{
	unsigned long long token = rep->has_token ? rep->token : 0;
	uint32_t           n = rep->has_hosts ? rep->hosts : 0;
	json_t            *j;

	if (json) {
		j = json_pack("{s:o,s:I,s:I,s:b,s:o}", "agent",
		    out_json_str(agent), "token", (json_int_t)token, "hosts",
		    (json_int_t)n, "failed", failed, "selector",
		    out_json_str(sel));
		out_json_print(f, j);
		json_decref(j);
		return;
	}
	fprintf(f, "%s: retry token %llu for ", agent, token);
	if (failed)
		fprintf(f, "%u failed host%s", n, n == 1 ? "" : "s");
	if (failed && sel != NULL)
		fprintf(f, " (%s)", sel);
	else if (!failed)
		fputs(sel != NULL ? sel : "every host", f);
	fputc('\n', f);
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
	json_t *rules = json_array();

	for (size_t i = 0; i < s->n_rules; i++)
		json_array_append_new(rules, rule_json(s->rules[i]));
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:I,s:I,s:I,s:I}", "agent",
	    out_json_str(s->agent), "default_version",
	    out_json_str(s->default_version), "rules", rules, "rollout",
	    s->rollout != NULL ? render_rollout_json(s->rollout) : json_null(),
	    "counts", counts, "hosts_total",
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
	summary_rules(f, s);
	if (s->rollout != NULL) {
		fputs("  ", f);
		render_rollout_line(f, s->rollout);
		fputc('\n', f);
	}
}

/* "  rules:" and a table RULE VERSION ACTION, when the agent has rules. */
static void
summary_rules(FILE *f, const Au__V1__AgentSummary *s)
{
	static const char *const hdr[] = {"RULE", "VERSION", "ACTION"};
	struct out_table        *t;

	if (s->n_rules == 0)
		return;
	t = out_table_new(3, hdr);
	out_table_indent(t, 4);
	for (size_t i = 0; i < s->n_rules; i++) {
		const Au__V1__Rule *r = s->rules[i];
		char                rule[160];

		rule_match(rule, sizeof(rule), r);
		out_table_addv(t, rule,
		    str_set(r->version) ? r->version : "any",
		    render_action_name(r->action));
	}
	fputs("  rules:\n", f);
	out_table_print(t, f);
	out_table_free(t);
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

/* "default", "host web-1", "prefix web-", "percent 5%" */
static void
rule_match(char *buf, size_t len, const Au__V1__Rule *r)
{
	snprintf(buf, len, "%s%s%s%s", r->kind, str_set(r->match) ? " " : "",
	    str_set(r->match) ? r->match : "",
	    strcmp(r->kind, "percent") == 0 ? "%" : "");
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

		rule_match(rule, sizeof(rule), r);
		out_ago(ago, sizeof(ago), now_ms,
		    r->has_updated_ms ? r->updated_ms : 0);
		out_table_addv(t, r->agent, rule,
		    str_set(r->version) ? r->version : "any",
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
