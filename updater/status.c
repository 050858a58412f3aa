/* SPDX-License-Identifier: MIT */
/*
 * status: the local status report.
 */
#include "status.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scan.h"
#include "state.h"

#define STATUS_AGENTS_MAX 64

static void print_agent(const struct updater_conf *c, const struct state *s,
    const struct scan_agent *a, FILE *out);
static void print_time(uint64_t ms, FILE *out);
static void print_record(const struct state_agent *sa, FILE *out);
static void print_removed(
    const struct state *s, const struct scan_agent *found, size_t n, FILE *out);

static void
print_time(uint64_t ms, FILE *out)
{
	time_t    t = (time_t)(ms / 1000);
	struct tm tm;
	char      buf[32];

	if (ms == 0 || gmtime_r(&t, &tm) == NULL) {
		fputs("-", out);
		return;
	}
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fputs(buf, out);
}

static void
print_agent(const struct updater_conf *c, const struct state *s,
    const struct scan_agent *a, FILE *out)
{
	char                      vers[SCAN_VERSIONS_MAX][REPORT_NAME_MAX + 1];
	const struct state_agent *sa = state_find(s, a->name);
	size_t                    n = 0, i;

	fprintf(out, "agent %s\n", a->name);
	fprintf(out, "  current:   %s (%s)%s\n",
	    a->version[0] ? a->version : "-", a->status,
	    sa != NULL && sa->stopped ? ", stopped by meta" : "");
	scan_versions(c->root, a->name, vers, SCAN_VERSIONS_MAX, &n, NULL);
	fputs("  installed:", out);
	for (i = 0; i < n; i++)
		fprintf(out, " %s", vers[i]);
	fputs(n == 0 ? " -\n" : "\n", out);
	if (a->probation[0] != '\0')
		fprintf(out, "  probation: %s, in its health window\n",
		    a->probation);
	if (a->last_error[0] != '\0')
		fprintf(out, "  error:     %s\n", a->last_error);
	if (sa != NULL && sa->crashes > 0 &&
	    strcmp(sa->crash_version, a->version) == 0) {
		fprintf(out,
		    "  crashes:   %u of %s, restarted by the updater; "
		    "last at ",
		    sa->crashes, sa->crash_version);
		print_time(sa->crash_at_ms, out);
		fputc('\n', out);
	}
	print_record(sa, out);
}

/* The last action and the failure record. */
static void
print_record(const struct state_agent *sa, FILE *out)
{
	if (sa == NULL || sa->last_action[0] == '\0') {
		fputs("  last:      -\n", out);
		return;
	}
	fprintf(out, "  last:      %s %s at ", sa->last_action,
	    sa->last_version[0] ? sa->last_version : "-");
	print_time(sa->last_time_ms, out);
	fprintf(out, ": %s\n", sa->last_result);
	if (sa->failed_version[0] == '\0')
		return;
	fprintf(out, "  failed:    %s failed at %s", sa->failed_version,
	    sa->failed_step[0] ? sa->failed_step : "?");
	if (state_may_try(sa, sa->failed_version))
		fputs(", meta asked for a retry\n", out);
	else
		fprintf(out,
		    ", not retried until meta asks again (metactl retry %s)\n",
		    sa->name);
}

/* Agents a REMOVE deleted: only the state remembers them. */
static void
print_removed(
    const struct state *s, const struct scan_agent *found, size_t n, FILE *out)
{
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		if (s->agents[i].removed_ms == 0)
			continue;
		for (j = 0; j < n && strcmp(found[j].name, s->agents[i].name);
		     j++)
			;
		if (j < n)
			continue;
		fprintf(out, "agent %s\n  removed:   at ", s->agents[i].name);
		print_time(s->agents[i].removed_ms, out);
		fprintf(out, "%s%s\n",
		    s->agents[i].last_version[0] ? ", was " : "",
		    s->agents[i].last_version);
	}
}

enum au_status
status_print(const struct updater_conf *c, FILE *out, struct au_err *err)
{
	char               path[UPDATER_CONF_PATH_MAX + 16];
	struct state      *s;
	struct scan_agent *found;
	size_t             n = 0, i;
	enum au_status     st;

	s = calloc(1, sizeof(*s));
	found = calloc(STATUS_AGENTS_MAX, sizeof(*found));
	if (s == NULL || found == NULL) {
		st = au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/state.json", c->state_dir);
	if ((st = state_load(path, s, err)) != AU_OK)
		goto out;
	if ((st = scan_root(c, found, STATUS_AGENTS_MAX, &n, err)) != AU_OK)
		goto out;
	fprintf(out, "host %s, root %s\n", c->hostname, c->root);
	if (n == 0)
		fputs("no agents installed\n", out);
	for (i = 0; i < n; i++)
		print_agent(c, s, &found[i], out);
	print_removed(s, found, n, out);
out:
	free(found);
	free(s);
	return st;
}
