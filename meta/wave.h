/* SPDX-License-Identifier: MIT */
/*
 * wave: the arithmetic of phased rollouts.  Pure: no I/O, no clock, no
 * locks; the current time is passed in.
 *
 * A rollout's waves are cumulative percents of the eligible hosts (1, 10,
 * 50, 100).  Hosts are ranked by their rollout bucket (rollout_bucket(),
 * 0..9999); when wave k starts, its threshold is one more than the bucket
 * of the last host of the first ceil(waves[k] * N / 100) (at least one),
 * never below the previous wave's, 10000 at 100%.  A host is a member when
 * its bucket is below the current threshold, so no host ever leaves a
 * wave and new hosts below it join.
 *
 * Failure signatures: a report's step and message with digit runs masked
 * to "N", hex runs of 8 or more (with a letter) and 0x numbers to "H" and
 * absolute paths to "PATH", so
 * the same error on several hosts reads the same.
 */
#ifndef META_WAVE_H
#define META_WAVE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define WAVE_MAX 10         /* waves per rollout */
#define WAVE_BUCKETS 10000  /* rollout_bucket() range */
#define WAVE_SIG_MAX 160    /* a signature, with its NUL */
#define WAVE_REASON_MAX 256 /* a halt reason, with its NUL */

/* Parse "1,10,50,100" into waves (at most WAVE_MAX), then wave_check().
 * AU_INVALID_ARGUMENT with err set when malformed. */
enum au_status wave_parse(
    const char *text, uint32_t *waves, size_t *n, struct au_err *err);

/* AU_OK when waves[0..n) are strictly increasing percents 1..100 ending at
 * 100, with 1..WAVE_MAX of them; else AU_INVALID_ARGUMENT with err set
 * ("waves must end at 100", ...). */
enum au_status wave_check(const uint32_t *waves, size_t n, struct au_err *err);

/* "1,10,50,100" of v[0..n) into buf (always terminated); returns buf. */
char *wave_format(const uint64_t *v, size_t n, char *buf, size_t sz);

/* Parse a comma-separated list of at most max numbers (the store's text
 * columns); returns how many, or -1 when malformed. */
int wave_parse_list(const char *text, uint64_t *v, size_t max);

/*
 * The threshold of a wave of percent over the eligible hosts, given as a
 * histogram of their buckets (hist[b] hosts with bucket b, n in all):
 * one more than the bucket of host number ceil(percent * n / 100) (at
 * least 1 when n > 0) in bucket order; 10000 when percent is 100; never
 * below prev.
 */
uint32_t wave_threshold(const uint32_t hist[WAVE_BUCKETS], uint32_t n,
    uint32_t percent, uint32_t prev);

/* The index of the first of thresholds[0..n) that bucket is below, or -1
 * when none (the host is not a member). */
int wave_of(uint32_t bucket, const uint32_t *thresholds, size_t n);

/* The signature of a failure: step + ": " + message, masked as above, cut
 * to fit out (sz at most WAVE_SIG_MAX is enough).  NULL step or message
 * count as "". */
void wave_signature(
    const char *step, const char *message, char *out, size_t sz);

/* A non-zero 64-bit hash of a signature. */
uint64_t wave_sig_hash(const char *sig);

struct wave_limits {
	uint32_t max_failed;         /* a count, or a percent */
	int      max_failed_percent; /* max_failed is a percent of members */
	uint32_t same_error;         /* hosts with one signature */
};

/* Do failed of members hosts pass the limit (failed > max_failed, or
 * failed * 100 > max_failed * members)?  Then 1, with reason "max-failed:
 * 3 of 20 hosts failed (limit 10%)" or "(limit 2 hosts)"; else 0. */
int wave_halt_failed(const struct wave_limits *l, uint32_t failed,
    uint32_t members, char *reason, size_t sz);

/* Does a signature on hosts hosts reach same_error?  Then 1, with reason
 * "same-error: 3 hosts: <sig> (e.g. web-3)"; else 0. */
int wave_halt_same_error(const struct wave_limits *l, uint32_t hosts,
    const char *sig, const char *sample_host, char *reason, size_t sz);

/* What a running rollout should do next. */
enum wave_step {
	WAVE_WAIT,       /* members pending, or baking */
	WAVE_BAKE_START, /* every member settled: start the bake clock */
	WAVE_BAKE_CLEAR, /* a member is pending again: stop the bake clock */
	WAVE_ADVANCE,    /* baked: start the next wave */
	WAVE_FINISH,     /* the last wave baked: done */
};

struct wave_progress {
	size_t   wave, nwaves;    /* the current wave's index, how many */
	uint32_t pending;         /* members neither converged nor failed */
	uint64_t bake_ms;         /* how long to bake */
	uint64_t bake_started_ms; /* 0 when not baking */
};

/* The next step of a running rollout at now_ms. */
enum wave_step wave_next(const struct wave_progress *p, uint64_t now_ms);

#endif
