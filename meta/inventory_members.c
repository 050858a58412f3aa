/* SPDX-License-Identifier: MIT */
/*
 * inventory_members: which hosts are members of the active rollouts and
 * how each counts.  Each host keeps its place in every active rollout it
 * is a member of (struct inv_ro_member: the rollout, its wave, converged,
 * failed or pending, and the failure signature it counts under), so that a
 * heartbeat, a report or a removal moves one host's contribution between
 * the counters in O(1); the halt rules are checked at each such change.
 * Passes over the whole fleet happen only when a wave starts or a rollout
 * ends.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory_int.h"
#include "inventory_rollout.h"
#include "inventory_rollout_int.h"
#include "log.h"
#include "rollout.h"
#include "timeutil.h"

static int eligible(
    const struct inv *inv, const struct ro *ro, const char *hostname);
static void member_eval(struct inv *inv, struct ro *ro, struct inv_host *h,
    const struct failure *f);
static void failure_text(const struct store_report *r, char *out, size_t sz);
static void halt_check(
    struct inv *inv, struct ro *ro, const struct ro_sig *sig);

/* ------------------------------------------------------------ membership */

struct ro *
ro_active_for(const struct inv *inv, const char *agent)
{
	size_t i;

	if (inv->ro == NULL)
		return NULL;
	for (i = 0; i < inv->ro->nactive; i++)
		if (inv->ro->active[i]->agent == agent ||
		    strcmp(inv->ro->active[i]->agent, agent) == 0)
			return inv->ro->active[i];
	return NULL;
}

/* Is hostname in ro's selection and not overridden by a host or prefix
 * rule of ro's agent? */
static int
eligible(const struct inv *inv, const struct ro *ro, const char *hostname)
{
	int r;

	if (strncmp(ro->prefix, hostname, strlen(ro->prefix)) != 0)
		return 0;
	r = rollout_resolve(inv->rr, inv->nrules, hostname, ro->agent);
	return r < 0 || (inv->rr[r].kind != ROLLOUT_HOST &&
	                    inv->rr[r].kind != ROLLOUT_PREFIX);
}

/* The wave hostname is a member of in ro (-1: not a member). */
static int
member_wave(const struct inv *inv, const struct ro *ro, const char *hostname)
{
	int w;

	if (!inv_rollout_active(ro->state))
		return -1;
	w = wave_of(
	    rollout_bucket(hostname, ro->agent), ro->thr, (size_t)ro->wave + 1);
	if (w < 0 || !eligible(inv, ro, hostname))
		return -1;
	return w;
}

/* ------------------------------------------------------------ desired */

size_t
inv_rollout_desired(const struct inv *inv, const char *hostname,
    struct inv_desired *out, size_t n)
{
	const struct ro *ro;
	size_t           i, j;

	for (i = 0; inv->ro != NULL && i < inv->ro->nactive; i++) {
		ro = inv->ro->active[i];
		if (member_wave(inv, ro, hostname) < 0)
			continue;
		for (j = 0; j < n && out[j].name != ro->agent; j++)
			;
		if (j == n && n == INV_MAX_AGENTS)
			continue;
		if (j == n) { /* an agent no rule manages on this host */
			memset(&out[j], 0, sizeof(out[j]));
			out[j].retry =
			    inv_retry_token(inv, hostname, ro->agent);
		}
		out[j].name = ro->agent;
		out[j].version = ro->version;
		out[j].action = ROLLOUT_START;
		n += j == n;
	}
	return n;
}

/* ------------------------------------------------------------ counting */

struct inv_ro_member *
ro_member_find(const struct inv_host *h, const struct ro *ro)
{
	size_t i;

	for (i = 0; i < h->nro_members; i++)
		if (h->ro_members[i].ro == ro)
			return &h->ro_members[i];
	return NULL;
}

static int
classify(const struct inv *inv, const struct ro *ro, const struct inv_host *h)
{
	const struct inv_agent *a = inv_agent_find(h, ro->agent);
	struct inv_desired      d = {
	         .name = ro->agent, .version = ro->version, .action = ROLLOUT_START};

	if (a == NULL)
		return C_PENDING;
	/* A failure of this version counts until a later report about it
	 * succeeds, even while the host runs it again (a crash).  Reports
	 * from before the rollout began are history: an operator who starts
	 * a new rollout of a version that once failed gets a fresh count. */
	if (a->report_version == ro->version &&
	    a->report_ms >= ro->created_ms &&
	    (a->report_outcome == OUTCOME_FAILED ||
	        a->report_outcome == OUTCOME_ROLLED_BACK ||
	        a->report_outcome == RO_OUTCOME_CRASHED))
		return C_FAILED;
	return inv_converged(inv, a, &d) ? C_CONVERGED : C_PENDING;
}

static struct ro_sig *
sig_find(struct ro *ro, uint64_t hash)
{
	size_t i;

	for (i = 0; i < ro->nsigs; i++)
		if (ro->sigs[i].hash == hash)
			return &ro->sigs[i];
	return NULL;
}

/* Count one more host under f's signature; NULL when not tracked. */
static struct ro_sig *
sig_add(struct ro *ro, const struct failure *f, const char *hostname)
{
	uint64_t       hash = wave_sig_hash(f->sig);
	struct ro_sig *s = sig_find(ro, hash), *ns;

	if (s == NULL && ro->nsigs < RO_SIGS_MAX &&
	    (ns = realloc(ro->sigs, (ro->nsigs + 1) * sizeof(*ns))) != NULL) {
		ro->sigs = ns;
		s = &ro->sigs[ro->nsigs++];
		memset(s, 0, sizeof(*s));
		s->hash = hash;
		snprintf(s->text, sizeof(s->text), "%s", f->sig);
	}
	if (s == NULL)
		return NULL;
	if (s->hosts++ == 0) {
		snprintf(
		    s->sample_host, sizeof(s->sample_host), "%s", hostname);
		snprintf(s->sample_msg, sizeof(s->sample_msg), "%s",
		    f->message != NULL ? f->message : "");
	}
	return s;
}

static void
count(struct ro *ro, const struct inv_ro_member *m, int delta)
{
	ro->cnt[m->wave][m->cls] += (uint32_t)delta;
	ro->members += (uint32_t)delta;
	ro->failed += m->cls == C_FAILED ? (uint32_t)delta : 0;
	ro->pending += m->cls == C_PENDING ? (uint32_t)delta : 0;
}

static void
member_drop(struct inv_host *h, struct inv_ro_member *m)
{
	*m = h->ro_members[--h->nro_members];
	if (h->nro_members == 0) {
		free(h->ro_members);
		h->ro_members = NULL;
	}
}

static struct inv_ro_member *
member_add(struct inv_host *h, struct ro *ro)
{
	struct inv_ro_member *nm;

	if (h->nro_members == UINT8_MAX)
		return NULL;
	nm = realloc(h->ro_members, (h->nro_members + 1U) * sizeof(*nm));
	if (nm == NULL)
		return NULL;
	h->ro_members = nm;
	nm = &h->ro_members[h->nro_members++];
	memset(nm, 0, sizeof(*nm));
	nm->ro = ro;
	return nm;
}

/* Take back m's signature. */
static void
sig_drop(struct ro *ro, struct inv_ro_member *m)
{
	struct ro_sig *s;

	if (m->sig != 0 && (s = sig_find(ro, m->sig)) != NULL && s->hosts > 0)
		s->hosts--;
	m->sig = 0;
}

/*
 * Recount h in ro: its old contribution out, its new one in.  f is the
 * failure a report just told (NULL: keep the signature already counted
 * while h stays failed).  Halts ro when h newly failed past a limit.
 */
static void
member_eval(
    struct inv *inv, struct ro *ro, struct inv_host *h, const struct failure *f)
{
	struct inv_ro_member *m = ro_member_find(h, ro);
	struct ro_sig        *s = NULL;
	int w = -1, cls = C_NONE, was_failed = m != NULL && m->cls == C_FAILED;

	if (h->state == STORE_HOST_ACCEPTED &&
	    (w = member_wave(inv, ro, h->hostname)) >= 0)
		cls = classify(inv, ro, h);
	if (m != NULL)
		count(ro, m, -1);
	if (cls == C_NONE) {
		if (m != NULL) {
			sig_drop(ro, m);
			member_drop(h, m);
		}
		return;
	}
	if (m == NULL && (m = member_add(h, ro)) == NULL) {
		log_warnx("rollout %" PRIu64 " %s: host %s: out of memory",
		    ro->id, ro->agent, h->hostname);
		return;
	}
	if (cls != C_FAILED || f != NULL)
		sig_drop(ro, m);
	if (cls == C_FAILED && f != NULL && (s = sig_add(ro, f, h->hostname)))
		m->sig = s->hash;
	m->wave = (uint8_t)w;
	m->cls = (uint8_t)cls;
	count(ro, m, 1);
	if (cls == C_FAILED && (!was_failed || s != NULL))
		halt_check(inv, ro, s);
}

/* Every host of the inventory through member_eval (a wave started). */
void
ro_members_pass(struct inv *inv, struct ro *ro)
{
	struct inv_host *h;
	size_t           i;

	for (i = 0; i < inv->cap; i++)
		for (h = inv->by_name[i]; h != NULL; h = h->next_name)
			member_eval(inv, ro, h, NULL);
}

/* ro finished: its members leave it (its counts stay as they were). */
void
ro_members_clear(struct inv *inv, struct ro *ro)
{
	struct inv_ro_member *m;
	struct inv_host      *h;
	size_t                i;

	for (i = 0; i < inv->cap; i++)
		for (h = inv->by_name[i]; h != NULL; h = h->next_name)
			if ((m = ro_member_find(h, ro)) != NULL)
				member_drop(h, m);
}

void
inv_rollout_host(struct inv *inv, struct inv_host *h)
{
	size_t i;

	for (i = 0; inv->ro != NULL && i < inv->ro->nactive; i++)
		member_eval(inv, inv->ro->active[i], h, NULL);
}

void
inv_rollout_report(
    struct inv *inv, struct inv_host *h, const struct store_report *r)
{
	struct failure f;
	struct ro     *ro;
	char           text[WAVE_SIG_MAX];

	if ((ro = ro_active_for(inv, r->agent)) == NULL)
		return;
	failure_text(r, text, sizeof(text));
	wave_signature(r->step, text, f.sig, sizeof(f.sig));
	f.message = text;
	member_eval(inv, ro, h, &f);
}

/* What a failure says: the report's message and the first line of the
 * script's output ("control start failed: cannot open config ..."),
 * either alone when the other is empty.  The message alone is often the
 * same for every cause ("control start failed"); the output tells them
 * apart. */
static void
failure_text(const struct store_report *r, char *out, size_t sz)
{
	const char *msg = inv_nonempty(r->message), *line;
	int         len = 0;

	line = inv_first_line(r->output_tail, &len);
	if (msg != NULL && line != NULL)
		snprintf(out, sz, "%s: %.*s", msg, len, line);
	else if (msg != NULL)
		snprintf(out, sz, "%s", msg);
	else
		snprintf(out, sz, "%.*s", len, line != NULL ? line : "");
}

void
inv_rollout_host_gone(struct inv *inv, struct inv_host *h)
{
	struct inv_ro_member *m;

	(void)inv;
	while (h->nro_members > 0) {
		m = &h->ro_members[0];
		count(m->ro, m, -1);
		sig_drop(m->ro, m);
		member_drop(h, m);
	}
}

/* ------------------------------------------------------------ halts */

static void
halt(struct inv *inv, struct ro *ro, const char *reason)
{
	struct au_err err = AU_ERR_INIT;
	char          detail[WAVE_REASON_MAX + 128];

	if (ro_transition(inv, ro, INV_ROLLOUT_HALTED, reason,
	        timeutil_wall_ms(), &err) != AU_OK) {
		log_warnx("rollout %" PRIu64 " %s %s: halt: %s", ro->id,
		    ro->agent, ro->version, au_err_str(&err));
		return;
	}
	log_warnx("rollout %" PRIu64 " %s %s: AU-ROLLOUT-HALT: %s", ro->id,
	    ro->agent, ro->version, reason);
	snprintf(detail, sizeof(detail), "rollout %" PRIu64 " %s %s: %s",
	    ro->id, ro->agent, ro->version, reason);
	ro_audit(inv, RO_WHO, "rollout-halt", detail);
}

/* A member of ro newly failed (under signature s, when known): halt ro
 * when it is running and past a limit. */
static void
halt_check(struct inv *inv, struct ro *ro, const struct ro_sig *s)
{
	char reason[WAVE_REASON_MAX];

	if (ro->state != INV_ROLLOUT_RUNNING || inv->ro->loading)
		return;
	if (wave_halt_failed(
	        &ro->lim, ro->failed, ro->members, reason, sizeof(reason)) ||
	    (s != NULL && wave_halt_same_error(&ro->lim, s->hosts, s->text,
	                      s->sample_host, reason, sizeof(reason))))
		halt(inv, ro, reason);
}

/* The halt check of a loaded running rollout: its failures are news to
 * this process (a crash may have come between a report and its halt). */
void
ro_halt_check_all(struct inv *inv, struct ro *ro)
{
	const struct ro_sig *top = NULL;
	size_t               i;

	for (i = 0; i < ro->nsigs; i++)
		if (top == NULL || ro->sigs[i].hosts > top->hosts)
			top = &ro->sigs[i];
	if (ro->failed > 0)
		halt_check(inv, ro, top);
}

/* ------------------------------------------------------------ thresholds */

/* Eligible hosts of ro by bucket, into hist; returns how many. */
static uint32_t
histogram(const struct inv *inv, const struct ro *ro, uint32_t *hist)
{
	struct inv_host *h;
	uint32_t         n = 0;
	size_t           i;

	memset(hist, 0, WAVE_BUCKETS * sizeof(*hist));
	for (i = 0; i < inv->cap; i++)
		for (h = inv->by_name[i]; h != NULL; h = h->next_name)
			if (h->state == STORE_HOST_ACCEPTED &&
			    eligible(inv, ro, h->hostname)) {
				hist[rollout_bucket(h->hostname, ro->agent)]++;
				n++;
			}
	return n;
}

/* ro->thr[w] for wave w over the fleet as it is now. */
enum au_status
ro_threshold_set(struct inv *inv, struct ro *ro, uint32_t w, struct au_err *err)
{
	uint32_t *hist = malloc(WAVE_BUCKETS * sizeof(*hist));
	uint32_t  n;

	if (hist == NULL)
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	n = histogram(inv, ro, hist);
	ro->thr[w] =
	    wave_threshold(hist, n, ro->waves[w], w > 0 ? ro->thr[w - 1] : 0);
	free(hist);
	return AU_OK;
}
