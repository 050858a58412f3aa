/* SPDX-License-Identifier: MIT */
/*
 * wave: wave lists, thresholds, membership, failure signatures and the
 * halt and advance decisions of a phased rollout.
 */
#include "wave.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FNV_OFFSET UINT64_C(14695981039346656037)
#define FNV_PRIME UINT64_C(1099511628211)

static int    is_hex(char c);
static size_t hex_run(const char *s);
static size_t path_run(const char *s, int at_start);
static void   put(char *out, size_t sz, size_t *n, const char *s, size_t len);

enum au_status
wave_check(const uint32_t *waves, size_t n, struct au_err *err)
{
	size_t i;

	if (n == 0 || n > WAVE_MAX)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "waves: 1 to %d percents", WAVE_MAX);
	for (i = 0; i < n; i++) {
		if (waves[i] < 1 || waves[i] > 100)
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "waves: %" PRIu32 " is not a percent 1..100",
			    waves[i]);
		if (i > 0 && waves[i] <= waves[i - 1])
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "waves: must increase (%" PRIu32 " after %" PRIu32
			    ")",
			    waves[i], waves[i - 1]);
	}
	if (waves[n - 1] != 100)
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "waves: must end at 100");
	return AU_OK;
}

int
wave_parse_list(const char *text, uint64_t *v, size_t max)
{
	const char *p = text;
	char       *end;
	size_t      n = 0;

	if (text == NULL || *text == '\0')
		return 0;
	for (;;) {
		if (*p < '0' || *p > '9' || n == max)
			return -1;
		v[n++] = strtoull(p, &end, 10);
		if (*end == '\0')
			return (int)n;
		if (*end != ',')
			return -1;
		p = end + 1;
	}
}

enum au_status
wave_parse(const char *text, uint32_t *waves, size_t *n, struct au_err *err)
{
	uint64_t v[WAVE_MAX];
	int      k, i;

	*n = 0;
	if ((k = wave_parse_list(text, v, WAVE_MAX)) <= 0)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "waves: \"%.64s\": want up to %d comma-separated percents",
		    text != NULL ? text : "", WAVE_MAX);
	for (i = 0; i < k; i++)
		waves[i] = v[i] > 1000 ? 1000 : (uint32_t)v[i];
	*n = (size_t)k;
	return wave_check(waves, *n, err);
}

char *
wave_format(const uint64_t *v, size_t n, char *buf, size_t sz)
{
	size_t i, k = 0;

	buf[0] = '\0';
	for (i = 0; i < n && k < sz; i++)
		k += (size_t)snprintf(
		    buf + k, sz - k, "%s%" PRIu64, i > 0 ? "," : "", v[i]);
	return buf;
}

uint32_t
wave_threshold(const uint32_t hist[WAVE_BUCKETS], uint32_t n, uint32_t percent,
    uint32_t prev)
{
	uint64_t want, seen = 0;
	uint32_t b;

	if (percent >= 100)
		return WAVE_BUCKETS;
	if (n == 0)
		return prev;
	want = ((uint64_t)percent * n + 99) / 100;
	if (want == 0)
		want = 1;
	for (b = 0; b < WAVE_BUCKETS; b++) {
		seen += hist[b];
		if (seen >= want)
			break;
	}
	b = b < WAVE_BUCKETS ? b + 1 : WAVE_BUCKETS;
	return b > prev ? b : prev;
}

int
wave_of(uint32_t bucket, const uint32_t *thresholds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (bucket < thresholds[i])
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------ signatures */

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* The length of the hex run at s when it is 8 or longer, holds a letter
 * and does not run on into a word, else 0. */
static size_t
hex_run(const char *s)
{
	size_t n = 0, digits = 0;

	for (; is_hex(s[n]); n++)
		digits += s[n] >= '0' && s[n] <= '9';
	/* All digits: a number, masked as one. */
	if (n < 8 || digits == n || (s[n] >= 'g' && s[n] <= 'z') ||
	    (s[n] >= 'G' && s[n] <= 'Z') || s[n] == '_')
		return 0;
	return n;
}

/* The length of an absolute path at s ("/" then non-blanks), when s starts
 * a word; else 0. */
static size_t
path_run(const char *s, int at_start)
{
	size_t n = 0;

	if (s[0] != '/' || !at_start)
		return 0;
	while (s[n] != '\0' && s[n] != ' ' && s[n] != '\t' && s[n] != '\n' &&
	       s[n] != '"' && s[n] != '\'' && s[n] != ',' && s[n] != ')')
		n++;
	while (n > 1 && (s[n - 1] == ':' || s[n - 1] == '.'))
		n--;
	return n > 1 ? n : 0;
}

static void
put(char *out, size_t sz, size_t *n, const char *s, size_t len)
{
	if (*n + 1 >= sz)
		return;
	if (len > sz - 1 - *n)
		len = sz - 1 - *n;
	memcpy(out + *n, s, len);
	*n += len;
	out[*n] = '\0';
}

/* Append text masked. */
static void
mask(char *out, size_t sz, size_t *n, const char *s)
{
	size_t k;
	int    start = 1;

	while (*s != '\0' && *n + 1 < sz) {
		if ((k = path_run(s, start)) > 0) {
			put(out, sz, n, "PATH", 4);
		} else if (start && s[0] == '0' && s[1] == 'x' &&
		           is_hex(s[2])) {
			for (k = 2; is_hex(s[k]); k++)
				;
			put(out, sz, n, "H", 1);
		} else if (start && (k = hex_run(s)) > 0) {
			put(out, sz, n, "H", 1);
		} else if (*s >= '0' && *s <= '9') {
			for (k = 0; s[k] >= '0' && s[k] <= '9'; k++)
				;
			put(out, sz, n, "N", 1);
		} else {
			k = 1;
			/* Control characters become blanks: one line. */
			put(out, sz, n, (unsigned char)*s < ' ' ? " " : s, 1);
		}
		start = !((s[k - 1] >= 'a' && s[k - 1] <= 'z') ||
		          (s[k - 1] >= 'A' && s[k - 1] <= 'Z') ||
		          (s[k - 1] >= '0' && s[k - 1] <= '9') ||
		          s[k - 1] == '_' || s[k - 1] == '.');
		s += k;
	}
}

void
wave_signature(const char *step, const char *message, char *out, size_t sz)
{
	size_t n = 0;

	if (sz == 0)
		return;
	out[0] = '\0';
	mask(out, sz, &n, step != NULL ? step : "");
	put(out, sz, &n, ": ", 2);
	mask(out, sz, &n, message != NULL ? message : "");
}

uint64_t
wave_sig_hash(const char *sig)
{
	uint64_t h = FNV_OFFSET;

	for (; *sig != '\0'; sig++) {
		h ^= (unsigned char)*sig;
		h *= FNV_PRIME;
	}
	return h != 0 ? h : 1;
}

/* ------------------------------------------------------------ decisions */

int
wave_halt_failed(const struct wave_limits *l, uint32_t failed, uint32_t members,
    char *reason, size_t sz)
{
	int over;

	if (l->max_failed_percent)
		over =
		    (uint64_t)failed * 100 > (uint64_t)l->max_failed * members;
	else
		over = failed > l->max_failed;
	if (!over)
		return 0;
	if (l->max_failed_percent)
		snprintf(reason, sz,
		    "max-failed: %" PRIu32 " of %" PRIu32
		    " hosts failed (limit %" PRIu32 "%%)",
		    failed, members, l->max_failed);
	else
		snprintf(reason, sz,
		    "max-failed: %" PRIu32 " of %" PRIu32
		    " hosts failed (limit %" PRIu32 " host%s)",
		    failed, members, l->max_failed,
		    l->max_failed == 1 ? "" : "s");
	return 1;
}

int
wave_halt_same_error(const struct wave_limits *l, uint32_t hosts,
    const char *sig, const char *sample_host, char *reason, size_t sz)
{
	if (l->same_error == 0 || hosts < l->same_error)
		return 0;
	snprintf(reason, sz, "same-error: %" PRIu32 " hosts: %s (e.g. %s)",
	    hosts, sig, sample_host != NULL ? sample_host : "?");
	return 1;
}

enum wave_step
wave_next(const struct wave_progress *p, uint64_t now_ms)
{
	if (p->pending > 0)
		return p->bake_started_ms != 0 ? WAVE_BAKE_CLEAR : WAVE_WAIT;
	if (p->bake_started_ms == 0)
		return WAVE_BAKE_START;
	if (now_ms < p->bake_started_ms ||
	    now_ms - p->bake_started_ms < p->bake_ms)
		return WAVE_WAIT;
	return p->wave + 1 < p->nwaves ? WAVE_ADVANCE : WAVE_FINISH;
}
