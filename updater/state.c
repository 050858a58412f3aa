/* SPDX-License-Identifier: MIT */
/*
 * state: the updater's record as JSON (jansson is included here only).
 */
#include "state.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

#define STATE_FILE_MAX (1024 * 1024)

static void     get_str(json_t *o, const char *key, char *dst, size_t sz);
static uint64_t get_u64(json_t *o, const char *key);
static json_t  *agent_to_json(const struct state_agent *a);

static void
get_str(json_t *o, const char *key, char *dst, size_t sz)
{
	const char *v = json_string_value(json_object_get(o, key));

	snprintf(dst, sz, "%s", v != NULL ? v : "");
}

static uint64_t
get_u64(json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (uint64_t)v : 0;
}

enum au_status
state_load(const char *path, struct state *s, struct au_err *err)
{
	json_error_t        jerr;
	json_t             *root, *o;
	struct state_agent *a;
	size_t              i;

	memset(s, 0, sizeof(*s));
	if ((root = json_load_file(path, 0, &jerr)) == NULL) {
		if (access(path, F_OK) != 0)
			return AU_OK; /* no state yet */
		return au_err_set(
		    err, AU_DATA_LOSS, "%s:%d: %s", path, jerr.line, jerr.text);
	}
	json_array_foreach(json_object_get(root, "agents"), i, o)
	{
		if (s->n == STATE_AGENTS_MAX)
			break;
		a = &s->agents[s->n];
		get_str(o, "name", a->name, sizeof(a->name));
		if (a->name[0] == '\0')
			continue;
		get_str(
		    o, "last_action", a->last_action, sizeof(a->last_action));
		get_str(o, "last_version", a->last_version,
		    sizeof(a->last_version));
		get_str(
		    o, "last_result", a->last_result, sizeof(a->last_result));
		a->last_time_ms = get_u64(o, "last_time_ms");
		a->stopped = json_is_true(json_object_get(o, "stopped"));
		get_str(o, "failed_version", a->failed_version,
		    sizeof(a->failed_version));
		a->failed_count = (uint32_t)get_u64(o, "failed_count");
		a->failed_at_ms = get_u64(o, "failed_at_ms");
		s->n++;
	}
	json_decref(root);
	return AU_OK;
}

static json_t *
agent_to_json(const struct state_agent *a)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:s, s:I, s:I}",
	    "name", a->name, "last_action", a->last_action, "last_version",
	    a->last_version, "last_result", a->last_result, "last_time_ms",
	    (json_int_t)a->last_time_ms, "stopped", a->stopped,
	    "failed_version", a->failed_version, "failed_count",
	    (json_int_t)a->failed_count, "failed_at_ms",
	    (json_int_t)a->failed_at_ms);
}

enum au_status
state_save(const char *path, const struct state *s, struct au_err *err)
{
	json_t        *root, *arr, *o;
	char          *text = NULL;
	size_t         i;
	enum au_status st = AU_RESOURCE_EXHAUSTED;

	if ((arr = json_array()) == NULL)
		return au_err_set(err, st, "out of memory");
	for (i = 0; i < s->n; i++) {
		/* A record jansson refuses (not UTF-8) is left out. */
		if ((o = agent_to_json(&s->agents[i])) != NULL)
			json_array_append_new(arr, o);
	}
	if ((root = json_pack("{s:i, s:o}", "format", 1, "agents", arr)) !=
	        NULL &&
	    (text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS)) != NULL)
		st = fsutil_write_atomic(path, text, strlen(text), 0644, err);
	else
		au_err_set(err, st, "state: out of memory");
	free(text);
	json_decref(root);
	return st;
}

const struct state_agent *
state_find(const struct state *s, const char *agent)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->agents[i].name, agent) == 0)
			return &s->agents[i];
	return NULL;
}

struct state_agent *
state_get(struct state *s, const char *agent)
{
	struct state_agent *a;
	size_t              i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->agents[i].name, agent) == 0)
			return &s->agents[i];
	if (s->n == STATE_AGENTS_MAX)
		return NULL;
	a = &s->agents[s->n++];
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", agent);
	return a;
}

void
state_record(struct state_agent *a, const struct report *r)
{
	snprintf(a->last_action, sizeof(a->last_action), "%s",
	    r->action == REPORT_STOP ? "stop" : "start");
	snprintf(a->last_version, sizeof(a->last_version), "%s", r->version);
	if (r->outcome == REPORT_OK)
		snprintf(a->last_result, sizeof(a->last_result), "ok");
	else
		/* The message is cut to fit; its head says what failed. */
		if (snprintf(a->last_result, sizeof(a->last_result),
		        "%s: %s%s%.*s", report_outcome_name(r->outcome),
		        r->step, r->step[0] ? ": " : "",
		        (int)sizeof(a->last_result), r->message) < 0)
			a->last_result[0] = '\0';
	a->last_time_ms = r->time_ms;
	a->stopped = r->action == REPORT_STOP && r->outcome == REPORT_OK;
	if (r->action != REPORT_START)
		return;
	if (r->outcome == REPORT_OK) {
		a->failed_version[0] = '\0';
		a->failed_count = 0;
		return;
	}
	if (strcmp(a->failed_version, r->version) != 0) {
		snprintf(a->failed_version, sizeof(a->failed_version), "%s",
		    r->version);
		a->failed_count = 0;
	}
	a->failed_count++;
	a->failed_at_ms = r->time_ms;
}

int
state_may_try(const struct state_agent *a, const char *version, uint64_t now_ms)
{
	uint64_t wait = STATE_RETRY_BASE_MS;
	uint32_t i;

	if (a == NULL || a->failed_count == 0 ||
	    strcmp(a->failed_version, version) != 0)
		return 1;
	for (i = 1; i < a->failed_count && wait < STATE_RETRY_CAP_MS; i++)
		wait *= 2;
	if (wait > STATE_RETRY_CAP_MS)
		wait = STATE_RETRY_CAP_MS;
	return now_ms >= a->failed_at_ms + wait;
}
