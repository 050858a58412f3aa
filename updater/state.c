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

static void        get_str(json_t *o, const char *key, char *dst, size_t sz);
static uint64_t    get_u64(json_t *o, const char *key);
static void        agent_from_json(json_t *o, struct state_agent *a);
static json_t     *agent_to_json(const struct state_agent *a);
static void        clear_failure(struct state_agent *a);
static const char *action_name(const struct report *r);

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

#define GET_STR(o, a, f) get_str(o, #f, (a)->f, sizeof((a)->f))

static void
agent_from_json(json_t *o, struct state_agent *a)
{
	memset(a, 0, sizeof(*a));
	GET_STR(o, a, name);
	GET_STR(o, a, last_action);
	GET_STR(o, a, last_version);
	GET_STR(o, a, last_result);
	a->last_time_ms = get_u64(o, "last_time_ms");
	a->stopped = json_is_true(json_object_get(o, "stopped"));
	a->removed_ms = get_u64(o, "removed_ms");
	a->retry = get_u64(o, "retry");
	GET_STR(o, a, failed_version);
	GET_STR(o, a, failed_step);
	a->failed_retry = get_u64(o, "failed_retry");
	a->failed_at_ms = get_u64(o, "failed_at_ms");
	GET_STR(o, a, crash_version);
	a->crashes = (uint32_t)get_u64(o, "crashes");
	a->crash_streak = (uint32_t)get_u64(o, "crash_streak");
	a->crash_at_ms = get_u64(o, "crash_at_ms");
	a->restart_at_ms = get_u64(o, "restart_at_ms");
}

enum au_status
state_load(const char *path, struct state *s, struct au_err *err)
{
	json_error_t jerr;
	json_t      *root, *o;
	size_t       i;

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
		agent_from_json(o, &s->agents[s->n]);
		if (s->agents[s->n].name[0] != '\0')
			s->n++;
	}
	json_decref(root);
	return AU_OK;
}

static json_t *
agent_to_json(const struct state_agent *a)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:I, s:I, s:s, s:s, "
	                 "s:I, s:I, s:s, s:I, s:I, s:I, s:I}",
	    "name", a->name, "last_action", a->last_action, "last_version",
	    a->last_version, "last_result", a->last_result, "last_time_ms",
	    (json_int_t)a->last_time_ms, "stopped", a->stopped, "removed_ms",
	    (json_int_t)a->removed_ms, "retry", (json_int_t)a->retry,
	    "failed_version", a->failed_version, "failed_step", a->failed_step,
	    "failed_retry", (json_int_t)a->failed_retry, "failed_at_ms",
	    (json_int_t)a->failed_at_ms, "crash_version", a->crash_version,
	    "crashes", (json_int_t)a->crashes, "crash_streak",
	    (json_int_t)a->crash_streak, "crash_at_ms",
	    (json_int_t)a->crash_at_ms, "restart_at_ms",
	    (json_int_t)a->restart_at_ms);
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

static void
clear_failure(struct state_agent *a)
{
	a->failed_version[0] = '\0';
	a->failed_step[0] = '\0';
	a->failed_retry = 0;
	a->failed_at_ms = 0;
}

static const char *
action_name(const struct report *r)
{
	if (r->outcome == REPORT_CRASHED)
		return "restart";
	switch (r->action) {
	case REPORT_STOP:
		return "stop";
	case REPORT_REMOVE:
		return "remove";
	default:
		return "start";
	}
}

void
state_record(struct state_agent *a, const struct report *r)
{
	snprintf(a->last_action, sizeof(a->last_action), "%s", action_name(r));
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
	if (r->outcome == REPORT_CRASHED)
		return; /* the current version: no change of target */
	a->stopped = r->action == REPORT_STOP && r->outcome == REPORT_OK;
	if (r->action == REPORT_REMOVE && r->outcome == REPORT_OK) {
		a->removed_ms = r->time_ms;
		clear_failure(a);
		a->crash_version[0] = '\0';
	}
	if (r->action != REPORT_START)
		return;
	if (r->outcome == REPORT_OK) {
		a->removed_ms = 0;
		clear_failure(a);
		return;
	}
	snprintf(
	    a->failed_version, sizeof(a->failed_version), "%s", r->version);
	snprintf(a->failed_step, sizeof(a->failed_step), "%s", r->step);
	a->failed_retry = a->retry;
	a->failed_at_ms = r->time_ms;
}

int
state_desired(struct state_agent *a, enum report_action action,
    const char *version, uint64_t retry)
{
	int changed = a->retry != retry;

	if (a->failed_version[0] != '\0' &&
	    (action != REPORT_START ||
	        strcmp(a->failed_version, version) != 0)) {
		clear_failure(a);
		changed = 1;
	}
	a->retry = retry;
	return changed;
}

int
state_may_try(const struct state_agent *a, const char *version)
{
	if (a == NULL || a->failed_version[0] == '\0' ||
	    strcmp(a->failed_version, version) != 0)
		return 1;
	return a->retry > a->failed_retry;
}

void
state_crash_track(struct state_agent *a, const char *version)
{
	if (strcmp(a->crash_version, version) == 0)
		return;
	snprintf(a->crash_version, sizeof(a->crash_version), "%s", version);
	a->crashes = 0;
	a->crash_streak = 0;
	a->crash_at_ms = 0;
	a->restart_at_ms = 0;
}

int
state_crash_due(const struct state_agent *a, uint64_t now_ms)
{
	return now_ms >= a->restart_at_ms;
}

uint32_t
state_crash_note(struct state_agent *a, uint64_t now_ms)
{
	a->crashes++;
	a->crash_streak++;
	a->crash_at_ms = now_ms;
	a->restart_at_ms = now_ms + state_crash_backoff(a->crash_streak);
	return a->crashes;
}

void
state_crash_settle(struct state_agent *a, uint64_t now_ms)
{
	if (a->crash_streak > 0 &&
	    now_ms >= a->crash_at_ms + STATE_CRASH_SETTLE_MS) {
		a->crash_streak = 0;
		a->restart_at_ms = 0;
	}
}

uint64_t
state_crash_backoff(uint32_t streak)
{
	uint64_t wait = STATE_CRASH_BASE_MS;
	uint32_t i;

	for (i = 1; i < streak && wait < STATE_CRASH_CAP_MS; i++)
		wait *= 2;
	return wait > STATE_CRASH_CAP_MS ? STATE_CRASH_CAP_MS : wait;
}
