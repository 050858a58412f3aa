/* SPDX-License-Identifier: MIT */
/*
 * inventory_host: heartbeats (validation, enrollment, key checks, agent
 * state and how long it has differed from what is desired) and install
 * reports (stored once, their outcome noted on the agent).
 */
#include <sys/types.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory_int.h"
#include "inventory_rollout.h"
#include "log.h"

/* ------------------------------------------------------------ heartbeat */

static int
valid_chars(const char *s, size_t max, const char *extra)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= max)
			return 0;
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= 'A' && s[i] <= 'Z') ||
		        (s[i] >= '0' && s[i] <= '9') || strchr(extra, s[i])))
			return 0;
	}
	return 1;
}

int
inv_valid_hostname(const char *name)
{
	return valid_chars(name, INV_HOSTNAME_MAX, "._-");
}

int
inv_valid_name(const char *name)
{
	return valid_chars(name, INV_NAME_MAX, "._+~-");
}

/* NULL, "" or a plausible name. */
static int
opt_name(const char *s)
{
	return s == NULL || s[0] == '\0' || inv_valid_name(s);
}

static enum au_status
validate(const char *hostname, const char *uv, const struct store_agent *a,
    size_t n, struct au_err *err)
{
	size_t i, j;

	if (!inv_valid_hostname(hostname))
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "heartbeat: bad hostname");
	if (uv != NULL && strlen(uv) > INV_NAME_MAX)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "heartbeat: updater version too long");
	if (n > INV_MAX_AGENTS)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "heartbeat: more than %d agents", INV_MAX_AGENTS);
	for (i = 0; i < n; i++) {
		if (!inv_valid_name(a[i].name) ||
		    (a[i].version != NULL && a[i].version[0] != '\0' &&
		        !inv_valid_name(a[i].version)) ||
		    (a[i].status != NULL &&
		        strlen(a[i].status) > INV_STATUS_MAX) ||
		    (a[i].last_error != NULL &&
		        strlen(a[i].last_error) > INV_ERROR_MAX) ||
		    !opt_name(a[i].failed_version) ||
		    !opt_name(a[i].failed_step) || !opt_name(a[i].probation))
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "heartbeat: agent %zu: bad name, version, status,"
			    " error, failed version or step",
			    i);
		for (j = 0; j < i; j++)
			if (strcmp(a[i].name, a[j].name) == 0)
				return au_err_set(err, AU_INVALID_ARGUMENT,
				    "heartbeat: agent %s listed twice",
				    a[i].name);
	}
	return AU_OK;
}

struct interned {
	const char *name[INV_MAX_AGENTS];
	const char *version[INV_MAX_AGENTS];
	const char *status[INV_MAX_AGENTS];
	const char *status_text[INV_MAX_AGENTS];
	const char *failed_version[INV_MAX_AGENTS];
	const char *failed_step[INV_MAX_AGENTS];
	const char *probation[INV_MAX_AGENTS];
};

static const struct inv_agent *
find_interned(const struct inv_host *h, const char *name)
{
	uint32_t i;

	for (i = 0; i < h->nagents; i++)
		if (h->agents[i].name == name)
			return &h->agents[i];
	return NULL;
}

/* Does the report say what h already holds (in any order)?  Names are
 * unique in a report and interned, so a pointer match per name and equal
 * counts make the two sets the same. */
static int
agents_same(const struct inv_host *h, const struct store_agent *a, size_t n,
    const struct interned *in)
{
	const struct inv_agent *o;
	size_t                  i, reported = 0;

	for (i = 0; i < h->nagents; i++)
		reported += h->agents[i].reported;
	if (reported != n)
		return 0;
	for (i = 0; i < n; i++) {
		o = find_interned(h, in->name[i]);
		if (o == NULL || !o->reported || o->version != in->version[i] ||
		    o->status != in->status[i] ||
		    !inv_str_eq(o->status_text, in->status_text[i]) ||
		    !inv_str_eq(o->last_error, a[i].last_error) ||
		    o->failed_version != in->failed_version[i] ||
		    o->failed_step != in->failed_step[i] ||
		    o->probation != in->probation[i] ||
		    o->crashes != a[i].crashes)
			return 0;
	}
	return 1;
}

/* Move what reports taught us about an agent from o to a. */
static void
agent_take_history(struct inv_agent *a, struct inv_agent *o)
{
	a->last_failure = o->last_failure;
	a->last_failure_ms = o->last_failure_ms;
	a->report_version = o->report_version;
	a->report_ms = o->report_ms;
	a->report_outcome = o->report_outcome;
	a->report_action = o->report_action;
	a->last_failed = o->last_failed;
	a->mismatch_since_ms = o->mismatch_since_ms;
	a->mismatch_version = o->mismatch_version;
	a->mismatch_action = o->mismatch_action;
	a->crash_reports = o->crash_reports;
	o->last_failure = NULL;
}

static int
in_list(const struct inv_agent *a, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i].name == name)
			return 1;
	return 0;
}

static int
in_names(const struct interned *in, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (in->name[i] == name)
			return 1;
	return 0;
}

/* Replace h's agents with the reported ones, keeping report history and
 * unreported agents that have some. */
static enum au_status
agents_replace(struct inv_host *h, const struct store_agent *a, size_t n,
    const struct interned *in)
{
	struct inv_agent *na, *o;
	size_t            i, k = 0, keep = 0;

	/* Unreported agents stay only for their report history. */
	for (i = 0; i < h->nagents; i++)
		keep += (h->agents[i].last_failure != NULL ||
		            h->agents[i].last_failed) &&
		        !in_names(in, n, h->agents[i].name);
	na = calloc(n + keep + 1, sizeof(*na));
	if (na == NULL)
		return AU_RESOURCE_EXHAUSTED;
	for (i = 0; i < n; i++, k++) {
		na[k].name = in->name[i];
		na[k].version = in->version[i];
		na[k].status = in->status[i];
		if (in->status_text[i] != NULL &&
		    (na[k].status_text = strdup(in->status_text[i])) == NULL) {
			inv_agents_free(na, k + 1);
			return AU_RESOURCE_EXHAUSTED;
		}
		na[k].reported = 1;
		na[k].failed_version = in->failed_version[i];
		na[k].failed_step = in->failed_step[i];
		na[k].probation = in->probation[i];
		na[k].crashes = a[i].crashes;
		if (inv_nonempty(a[i].last_error) != NULL &&
		    (na[k].last_error = strdup(a[i].last_error)) == NULL) {
			inv_agents_free(na, k + 1);
			return AU_RESOURCE_EXHAUSTED;
		}
		if ((o = inv_agent_find(h, in->name[i])) != NULL)
			agent_take_history(&na[k], o);
	}
	for (i = 0; i < h->nagents; i++) {
		o = &h->agents[i];
		if (o->last_failure == NULL && !o->last_failed)
			continue;
		if (o->name == NULL || in_list(na, k, o->name))
			continue;
		na[k].name = o->name;
		agent_take_history(&na[k], o);
		k++;
	}
	inv_agents_free(h->agents, h->nagents);
	h->agents = na;
	h->nagents = (uint32_t)k;
	return AU_OK;
}

/* Track since when each agent differs from what is desired, and from
 * which target: a new target starts the clock again.  Add entries for
 * desired agents the host does not report. */
static enum au_status
track_mismatch(struct inv *inv, struct inv_host *h, const struct inv_desired *d,
    size_t nd, uint64_t now)
{
	const struct inv_desired *want;
	struct inv_agent         *a;
	size_t                    i;
	int                       oom = 0;

	for (i = 0; i < nd; i++)
		if (inv_agent_find(h, d[i].name) == NULL &&
		    inv_agent_append(h, d[i].name) == NULL)
			return AU_RESOURCE_EXHAUSTED;
	for (i = 0; i < h->nagents; i++) {
		a = &h->agents[i];
		want = inv_desired_find(d, nd, a->name);
		if (inv_converged(inv, a, want)) {
			a->mismatch_since_ms = 0;
			continue;
		}
		/* Not converged: want is not NULL. */
		if (a->mismatch_since_ms != 0 &&
		    inv_str_eq(a->mismatch_version, want->version) &&
		    a->mismatch_action == want->action)
			continue;
		a->mismatch_since_ms = now;
		a->mismatch_version =
		    inv_intern(&inv->pool, want->version, &oom);
		a->mismatch_action = (uint8_t)want->action;
		if (oom)
			return AU_RESOURCE_EXHAUSTED;
	}
	return AU_OK;
}

static enum au_status
inv_key_mismatch(const char *hostname, const uint8_t *have, const uint8_t *got,
    const char *other, struct au_err *err)
{
	char kh[SIG_KEYID_HEX_BYTES], kg[SIG_KEYID_HEX_BYTES];

	sig_key_id(have, kh);
	sig_key_id(got, kg);
	if (other != NULL) {
		log_warnx("AU-HOST-KEY-MISMATCH host %s: key %s is bound to"
		          " host %s (key %s)",
		    hostname, kg, other, kh);
		return au_err_set(err, AU_PERMISSION_DENIED,
		    "host %s: key %s is enrolled as another host", hostname,
		    kg);
	}
	log_warnx("AU-HOST-KEY-MISMATCH host %s: heartbeat under key %s,"
	          " enrolled with key %s",
	    hostname, kg, kh);
	return au_err_set(err, AU_PERMISSION_DENIED,
	    "host %s: enrolled under another key (%s, not %s)", hostname, kh,
	    kg);
}

static enum au_status
enroll(struct inv *inv, const uint8_t *pk, const char *hostname,
    const struct inv_policy *pol, uint64_t now, struct inv_host **out,
    struct au_err *err)
{
	struct store_host sh;
	struct inv_host  *other;
	enum au_status    code;
	char              kid[SIG_KEYID_HEX_BYTES];

	if ((other = inv_find_key(inv, pk)) != NULL)
		return inv_key_mismatch(
		    hostname, other->pk, pk, other->hostname, err);
	memset(&sh, 0, sizeof(sh));
	sh.hostname = hostname;
	memcpy(sh.pubkey, pk, SIG_PUBKEY_BYTES);
	sh.state = pol->auto_accept ? STORE_HOST_ACCEPTED : STORE_HOST_PENDING;
	sh.created_ms = now;
	if ((code = store_host_put(inv->st, &sh, err)) != AU_OK) {
		au_err_prefix(err, "host %s: enroll", hostname);
		return code;
	}
	if ((*out = inv_host_new(inv, hostname, pk, sh.state, now)) == NULL)
		return au_err_set(err, AU_RESOURCE_EXHAUSTED,
		    "host %s: out of memory", hostname);
	sig_key_id(pk, kid);
	log_info("host %s: enrolled with key %s as %s", hostname, kid,
	    pol->auto_accept ? "accepted" : "pending");
	return AU_OK;
}

static enum au_status
heartbeat_accepted(struct inv *inv, struct inv_host *h,
    const struct store_agent *a, size_t n, uint64_t now,
    struct inv_desired *desired, size_t *ndesired, int *changed)
{
	struct interned in;
	enum au_status  code;
	int             oom = 0;
	size_t          i;

	for (i = 0; i < n; i++) {
		in.name[i] = inv_intern(&inv->pool, a[i].name, &oom);
		in.version[i] =
		    inv_intern(&inv->pool, inv_nonempty(a[i].version), &oom);
		in.status[i] =
		    inv_status_class(inv, a[i].status, &in.status_text[i]);
		in.failed_version[i] = inv_intern(
		    &inv->pool, inv_nonempty(a[i].failed_version), &oom);
		in.failed_step[i] = inv_intern(
		    &inv->pool, inv_nonempty(a[i].failed_step), &oom);
		in.probation[i] =
		    inv_intern(&inv->pool, inv_nonempty(a[i].probation), &oom);
	}
	if (oom)
		return AU_RESOURCE_EXHAUSTED;
	*ndesired = inv_desired_for(inv, h->hostname, desired);
	if (!agents_same(h, a, n, &in)) {
		if ((code = agents_replace(h, a, n, &in)) != AU_OK)
			return code;
		*changed = 1;
	}
	return track_mismatch(inv, h, desired, *ndesired, now);
}

enum au_status
inv_heartbeat(struct inv *inv, const uint8_t pk[SIG_PUBKEY_BYTES],
    const char *hostname, const char *updater_version,
    const struct store_agent *agents, size_t nagents,
    const struct inv_policy *pol, uint64_t now_ms, int *state,
    struct inv_desired desired[INV_MAX_AGENTS], size_t *ndesired,
    struct au_err *err)
{
	struct inv_host *h;
	enum au_status   code = AU_OK;
	int              oom = 0, changed = 0;

	*ndesired = 0;
	*state = 0;
	if ((code = validate(
	         hostname, updater_version, agents, nagents, err)) != AU_OK)
		return code;
	pthread_mutex_lock(&inv->lock);
	if ((h = inv_find_name(inv, hostname)) == NULL)
		code = enroll(inv, pk, hostname, pol, now_ms, &h, err);
	else if (memcmp(h->pk, pk, SIG_PUBKEY_BYTES) != 0)
		code = inv_key_mismatch(hostname, h->pk, pk, NULL, err);
	else if (h->state == STORE_HOST_REJECTED)
		code = au_err_set(
		    err, AU_PERMISSION_DENIED, "host %s: rejected", hostname);
	if (code != AU_OK)
		goto out;
	h->last_seen_ms = now_ms;
	h->updater_version =
	    inv_intern(&inv->pool, inv_nonempty(updater_version), &oom);
	*state = h->state;
	if (h->state == STORE_HOST_ACCEPTED)
		code = heartbeat_accepted(inv, h, agents, nagents, now_ms,
		    desired, ndesired, &changed);
	if (code == AU_OK) {
		inv_dirty_mark(inv, h, changed);
		inv_rollout_host(inv, h);
	} else
		au_err_set(
		    err, code, "host %s: heartbeat: out of memory", hostname);
out:
	pthread_mutex_unlock(&inv->lock);
	return code;
}

/* ------------------------------------------------------------ reports */

enum au_status
inv_host_check(struct inv *inv, const uint8_t pk[SIG_PUBKEY_BYTES],
    const char *hostname, struct au_err *err)
{
	struct inv_host *h;
	enum au_status   code = AU_OK;
	char             kid[SIG_KEYID_HEX_BYTES];

	pthread_mutex_lock(&inv->lock);
	h = inv_find_key(inv, pk);
	if (h == NULL || h->state != STORE_HOST_ACCEPTED) {
		sig_key_id(pk, kid);
		code = au_err_set(err, AU_PERMISSION_DENIED,
		    "key %s: not an accepted host", kid);
	} else if (hostname != NULL && strcmp(h->hostname, hostname) != 0) {
		code = inv_key_mismatch(hostname, h->pk, pk, h->hostname, err);
	}
	pthread_mutex_unlock(&inv->lock);
	return code;
}

const char *
inv_first_line(const char *s, int *len)
{
	const char *nl;

	while (s != NULL && (*s == '\n' || *s == '\r' || *s == ' '))
		s++;
	if (s == NULL || *s == '\0')
		return NULL;
	nl = strpbrk(s, "\r\n");
	*len = nl != NULL ? (int)(nl - s) : (int)strlen(s);
	if (*len > 200)
		*len = 200;
	return s;
}

static const char *
outcome_word(int outcome)
{
	switch (outcome) {
	case OUTCOME_ROLLED_BACK:
		return "rolled back";
	case OUTCOME_CRASHED:
		return "crashed";
	}
	return "failed";
}

/* "rolled back 1.2.0 at start: exit 1: <first line of the tail>" */
static void
failure_line(char *out, size_t sz, const struct store_report *r)
{
	const char *text;
	size_t      n;
	int         len = 0;

	n = (size_t)snprintf(out, sz, "%s %s", outcome_word(r->outcome),
	    inv_nonempty(r->version) != NULL ? r->version : "?");
	if (n < sz && inv_nonempty(r->step) != NULL)
		n += (size_t)snprintf(out + n, sz - n, " at %s", r->step);
	if (n < sz && r->has_exit_code)
		n += (size_t)snprintf(
		    out + n, sz - n, ": exit %d", (int)r->exit_code);
	text = inv_first_line(r->output_tail, &len);
	if (text == NULL)
		text = inv_first_line(r->message, &len);
	if (n < sz && text != NULL)
		snprintf(out + n, sz - n, ": %.*s", len, text);
}

/* Note a report's outcome on the agent.  Under the lock. */
enum au_status
inv_note_report(struct inv *inv, const struct store_report *r)
{
	struct inv_host  *h = inv_find_name(inv, r->hostname);
	struct inv_agent *a;
	const char       *name;
	char              line[INV_ERROR_MAX];
	int               oom = 0;

	if (h == NULL)
		return AU_OK;
	if ((name = inv_intern(&inv->pool, r->agent, &oom)) == NULL)
		return AU_RESOURCE_EXHAUSTED;
	a = inv_agent_find(h, name);
	if (a == NULL && (a = inv_agent_append(h, name)) == NULL)
		return AU_RESOURCE_EXHAUSTED;
	a->report_version =
	    inv_intern(&inv->pool, inv_nonempty(r->version), &oom);
	if (oom)
		return AU_RESOURCE_EXHAUSTED;
	a->report_outcome = (uint8_t)r->outcome;
	a->report_action = (uint8_t)r->action;
	a->report_ms = r->received_ms;
	free(a->last_failure);
	a->last_failure = NULL;
	a->last_failed =
	    r->outcome == OUTCOME_FAILED || r->outcome == OUTCOME_ROLLED_BACK;
	/* A crash is history and a count; the status shows the rest. */
	a->crash_reports += r->outcome == OUTCOME_CRASHED;
	if (a->last_failed || r->outcome == OUTCOME_CRASHED) {
		failure_line(line, sizeof(line), r);
		a->last_failure = strdup(line);
		a->last_failure_ms = r->received_ms;
	}
	/* Last: the rollout reads what this report taught the agent. */
	inv_rollout_report(inv, h, r);
	return AU_OK;
}

enum au_status
inv_report(struct inv *inv, const struct store_report *r, int *duplicate,
    struct au_err *err)
{
	enum au_status code;

	*duplicate = 0;
	if (!inv_valid_name(r->agent) || r->report_id == NULL ||
	    r->report_id[0] == '\0' || strlen(r->report_id) > 128)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "report: bad agent name or report id");
	pthread_mutex_lock(&inv->lock);
	code = store_report_add(inv->st, r, duplicate, err);
	if (code == AU_OK && !*duplicate)
		code = inv_note_report(inv, r);
	pthread_mutex_unlock(&inv->lock);
	return code;
}
