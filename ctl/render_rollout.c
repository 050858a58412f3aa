/* SPDX-License-Identifier: MIT */
/*
 * render_rollout: text and JSON views of phased rollouts (see
 * render_rollout.h).
 */
#include "render_rollout.h"

#include <string.h>

#include "output.h"

static int     str_set(const char *s);
static void    put_flat(FILE *f, const char *s);
static void    wave_text(char *buf, size_t len, const Au__V1__Rollout *r);
static void    put_limits(FILE *f, const Au__V1__Rollout *r);
static void    put_times(FILE *f, const Au__V1__Rollout *r, uint64_t now_ms);
static void    put_waves(FILE *f, const Au__V1__Rollout *r, uint64_t now_ms);
static void    put_signatures(FILE *f, const Au__V1__Rollout *r);
static void    put_rollout(FILE *f, const Au__V1__Rollout *r, uint64_t now_ms);
static json_t *opt_int(protobuf_c_boolean has, uint64_t v);
static json_t *wave_json(const Au__V1__RolloutWave *w);
static json_t *signature_json(const Au__V1__FailureSignature *s);

static int
str_set(const char *s)
{
	return s != NULL && *s != '\0';
}

/* s on one line: line breaks and tabs as spaces. */
static void
put_flat(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		fputc(*s == '\n' || *s == '\r' || *s == '\t' ? ' ' : *s, f);
}

const char *
render_rollout_state_name(Au__V1__RolloutState state)
{
	switch (state) {
	case AU__V1__ROLLOUT_STATE__ROLLOUT_RUNNING:
		return "running";
	case AU__V1__ROLLOUT_STATE__ROLLOUT_PAUSED:
		return "paused";
	case AU__V1__ROLLOUT_STATE__ROLLOUT_HALTED:
		return "halted";
	case AU__V1__ROLLOUT_STATE__ROLLOUT_DONE:
		return "done";
	case AU__V1__ROLLOUT_STATE__ROLLOUT_ABORTED:
		return "aborted";
	default:
		return "unknown";
	}
}

/* "wave 2/4 (10%)", counting from 1; "wave -" without waves. */
static void
wave_text(char *buf, size_t len, const Au__V1__Rollout *r)
{
	uint32_t k = r->has_wave ? r->wave : 0;

	if (r->n_waves == 0 || k >= r->n_waves)
		snprintf(buf, len, "wave -");
	else
		snprintf(buf, len, "wave %u/%zu (%u%%)", k + 1, r->n_waves,
		    r->waves[k]);
}

void
render_rollout_line(FILE *f, const Au__V1__Rollout *r)
{
	char wave[64];

	wave_text(wave, sizeof(wave), r);
	fprintf(f, "rollout %llu: %s %s, %s", (unsigned long long)r->id,
	    r->version, render_rollout_state_name(r->state), wave);
	if (str_set(r->reason)) {
		fputs(": ", f);
		put_flat(f, r->reason);
	}
}

void
render_rollout_done(
    FILE *f, const char *verb, const Au__V1__Rollout *r, int json)
{
	char    wave[64];
	json_t *j;

	if (json) {
		j = render_rollout_json(r);
		out_json_print(f, j);
		json_decref(j);
		return;
	}
	wave_text(wave, sizeof(wave), r);
	fprintf(f, "rollout %llu: %s %s: %s", (unsigned long long)r->id,
	    r->agent, r->version, verb);
	if (strcmp(verb, "aborted") == 0 && str_set(r->previous_version))
		fprintf(f, ", hosts go back to %s", r->previous_version);
	else if (strcmp(verb, "aborted") == 0)
		fputs(", no previous version", f);
	fprintf(f, "; now %s, %s\n", render_rollout_state_name(r->state), wave);
}

/* "  bake 10m  max-failed 5%  same-error 3  prefix web-" */
static void
put_limits(FILE *f, const Au__V1__Rollout *r)
{
	char bake[OUT_TIME_BYTES];

	if (r->has_bake_ms) {
		out_duration(bake, sizeof(bake), r->bake_ms);
		fprintf(f, "  bake %s", bake);
	}
	if (r->has_max_failed)
		fprintf(f, "  max-failed %u%s", r->max_failed,
		    r->has_max_failed_percent && r->max_failed_percent ? "%"
		                                                       : "");
	if (r->has_same_error)
		fprintf(f, "  same-error %u", r->same_error);
	if (str_set(r->prefix))
		fprintf(f, "  prefix %s", r->prefix);
}

/* The bake in progress, the version before, who made it and when. */
static void
put_times(FILE *f, const Au__V1__Rollout *r, uint64_t now_ms)
{
	char since[OUT_TIME_BYTES], bake[OUT_TIME_BYTES];
	char when[OUT_TIME_BYTES], ago[OUT_TIME_BYTES];

	if (r->state == AU__V1__ROLLOUT_STATE__ROLLOUT_RUNNING &&
	    r->has_bake_started_ms && r->bake_started_ms != 0) {
		out_duration(since, sizeof(since),
		    now_ms > r->bake_started_ms ? now_ms - r->bake_started_ms
		                                : 0);
		out_duration(
		    bake, sizeof(bake), r->has_bake_ms ? r->bake_ms : 0);
		fprintf(f, "  baking since %s of %s\n", since, bake);
	}
	fprintf(f, "  previous: %s",
	    str_set(r->previous_version) ? r->previous_version : "none");
	if (r->has_created_ms && r->created_ms != 0) {
		out_time(when, sizeof(when), r->created_ms);
		out_ago(ago, sizeof(ago), now_ms, r->created_ms);
		fprintf(f, "  created %s (%s)", when, ago);
	}
	if (str_set(r->created_by))
		fprintf(f, " by %s", r->created_by);
	fputc('\n', f);
}

/* The table of waves; a wave meta has no numbers for shows "-". */
static void
put_waves(FILE *f, const Au__V1__Rollout *r, uint64_t now_ms)
{
	static const char *const hdr[] = {"wave", "percent", "hosts",
	    "converged", "failed", "pending", "stale", "started"};
	struct out_table        *t = out_table_new(8, hdr);

	out_table_indent(t, 2);
	for (size_t i = 0; i < r->n_waves; i++) {
		const Au__V1__RolloutWave *w =
		    i < r->n_wave_stats ? r->wave_stats[i] : NULL;
		char k[24], pct[16], n[5][16], ago[OUT_TIME_BYTES] = "";

		snprintf(k, sizeof(k), "%zu", i + 1);
		snprintf(pct, sizeof(pct), "%u%%", r->waves[i]);
		memset(n, 0, sizeof(n));
		if (w != NULL) {
			snprintf(n[0], 16, "%u", w->has_hosts ? w->hosts : 0);
			snprintf(n[1], 16, "%u",
			    w->has_converged ? w->converged : 0);
			snprintf(n[2], 16, "%u", w->has_failed ? w->failed : 0);
			snprintf(
			    n[3], 16, "%u", w->has_pending ? w->pending : 0);
			snprintf(n[4], 16, "%u", w->has_stale ? w->stale : 0);
			if (w->has_started_ms && w->started_ms != 0)
				out_ago(
				    ago, sizeof(ago), now_ms, w->started_ms);
		}
		out_table_addv(t, k, pct, n[0], n[1], n[2], n[3], n[4], ago);
	}
	out_table_print(t, f);
	out_table_free(t);
}

/* "  failures: 3 hosts  SIGNATURE  (e.g. web-3: MESSAGE)" each. */
static void
put_signatures(FILE *f, const Au__V1__Rollout *r)
{
	for (size_t i = 0; i < r->n_signatures; i++) {
		const Au__V1__FailureSignature *s = r->signatures[i];

		fprintf(f, "  failures: %u host%s  ", s->hosts,
		    s->hosts == 1 ? "" : "s");
		put_flat(f, s->signature);
		if (str_set(s->sample_host)) {
			fprintf(f, "  (e.g. %s", s->sample_host);
			if (str_set(s->sample_message)) {
				fputs(": ", f);
				put_flat(f, s->sample_message);
			}
			fputc(')', f);
		}
		fputc('\n', f);
	}
}

static void
put_rollout(FILE *f, const Au__V1__Rollout *r, uint64_t now_ms)
{
	char wave[64];

	wave_text(wave, sizeof(wave), r);
	fprintf(f, "rollout %llu: %s %s  %s  %s", (unsigned long long)r->id,
	    r->agent, r->version, render_rollout_state_name(r->state), wave);
	put_limits(f, r);
	fputc('\n', f);
	if (str_set(r->reason)) {
		fputs("  reason: ", f);
		put_flat(f, r->reason);
		fputc('\n', f);
	}
	put_times(f, r, now_ms);
	put_waves(f, r, now_ms);
	put_signatures(f, r);
}

void
render_rollout_status(
    FILE *f, const Au__V1__RolloutStatusReply *rep, uint64_t now_ms, int json)
{
	json_t *arr;

	if (json) {
		arr = json_array();
		for (size_t i = 0; i < rep->n_rollouts; i++)
			json_array_append_new(
			    arr, render_rollout_json(rep->rollouts[i]));
		out_json_print(f, arr);
		json_decref(arr);
		return;
	}
	for (size_t i = 0; i < rep->n_rollouts; i++) {
		if (i > 0)
			fputc('\n', f);
		put_rollout(f, rep->rollouts[i], now_ms);
	}
	if (rep->n_rollouts == 0)
		fputs("no rollouts\n", f);
}

/* An optional number: null when absent. */
static json_t *
opt_int(protobuf_c_boolean has, uint64_t v)
{
	return has ? json_integer((json_int_t)v) : json_null();
}

static json_t *
wave_json(const Au__V1__RolloutWave *w)
{
	return json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o}", "percent",
	    (json_int_t)w->percent, "hosts", opt_int(w->has_hosts, w->hosts),
	    "converged", opt_int(w->has_converged, w->converged), "failed",
	    opt_int(w->has_failed, w->failed), "pending",
	    opt_int(w->has_pending, w->pending), "stale",
	    opt_int(w->has_stale, w->stale), "started_ms",
	    opt_int(w->has_started_ms, w->started_ms));
}

static json_t *
signature_json(const Au__V1__FailureSignature *s)
{
	return json_pack("{s:o,s:I,s:o,s:o}", "signature",
	    out_json_str(s->signature), "hosts", (json_int_t)s->hosts,
	    "sample_host", out_json_str(s->sample_host), "sample_message",
	    out_json_str(s->sample_message));
}

json_t *
render_rollout_json(const Au__V1__Rollout *r)
{
	json_t *waves = json_array(), *stats = json_array();
	json_t *sigs = json_array(), *j;

	for (size_t i = 0; i < r->n_waves; i++)
		json_array_append_new(waves, json_integer(r->waves[i]));
	for (size_t i = 0; i < r->n_wave_stats; i++)
		json_array_append_new(stats, wave_json(r->wave_stats[i]));
	for (size_t i = 0; i < r->n_signatures; i++)
		json_array_append_new(sigs, signature_json(r->signatures[i]));
	j = json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id",
	    (json_int_t)r->id, "agent", out_json_str(r->agent), "version",
	    out_json_str(r->version), "state",
	    out_json_str(render_rollout_state_name(r->state)), "waves", waves,
	    "wave_stats", stats, "signatures", sigs, "wave",
	    opt_int(r->has_wave, r->wave));
	json_object_set_new(j, "bake_ms", opt_int(r->has_bake_ms, r->bake_ms));
	json_object_set_new(
	    j, "max_failed", opt_int(r->has_max_failed, r->max_failed));
	json_object_set_new(j, "max_failed_percent",
	    json_boolean(r->has_max_failed_percent && r->max_failed_percent));
	json_object_set_new(
	    j, "same_error", opt_int(r->has_same_error, r->same_error));
	json_object_set_new(j, "prefix", out_json_str(r->prefix));
	json_object_set_new(j, "reason", out_json_str(r->reason));
	json_object_set_new(
	    j, "previous_version", out_json_str(r->previous_version));
	json_object_set_new(
	    j, "created_ms", opt_int(r->has_created_ms, r->created_ms));
	json_object_set_new(j, "created_by", out_json_str(r->created_by));
	json_object_set_new(
	    j, "updated_ms", opt_int(r->has_updated_ms, r->updated_ms));
	json_object_set_new(j, "bake_started_ms",
	    opt_int(r->has_bake_started_ms, r->bake_started_ms));
	return j;
}
