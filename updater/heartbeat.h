/* SPDX-License-Identifier: MIT */
/*
 * heartbeat: the updater's schedule, pure arithmetic with the time and the
 * randomness passed in (rnd is a uniform 32-bit random number, so tests
 * can pin the extremes).  The first heartbeat comes after a delay uniform
 * in [0, interval), so a fleet restarted at once spreads out; then every
 * interval x a factor uniform in [0.8, 1.2); meta's reply sets the interval
 * within [interval_min, interval_max].  After errors the delay is a capped
 * exponential backoff with jitter, and never shorter than meta's
 * retry-after.  All times are milliseconds.
 */
#ifndef AU_HEARTBEAT_H
#define AU_HEARTBEAT_H

#include <stdint.h>

/* The first backoff delay and the cap on backoffs (unless interval_max is
 * smaller). */
#define HEARTBEAT_BACKOFF_BASE_MS 1000u
#define HEARTBEAT_BACKOFF_CAP_MS 300000u

struct heartbeat {
	uint32_t interval_min_s;
	uint32_t interval_max_s;
	uint32_t interval_s; /* current interval, within the bounds */
	uint32_t failures;   /* consecutive failed heartbeats */
};

/* Start a schedule with interval_s (clamped to the bounds). */
void heartbeat_init(struct heartbeat *hb, uint32_t interval_s,
    uint32_t interval_min_s, uint32_t interval_max_s);

/* v clamped to [min_s, max_s]; 0 (meta said nothing) gives current. */
uint32_t heartbeat_clamp(
    uint32_t v, uint32_t current, uint32_t min_s, uint32_t max_s);

/* When to send the first heartbeat: now + [0, interval). */
uint64_t heartbeat_first(
    const struct heartbeat *hb, uint64_t now_ms, uint32_t rnd);

/* A heartbeat succeeded and meta asked for meta_interval_s (0: no
 * change): reset the backoff and return the next time,
 * now + interval x [0.8, 1.2). */
uint64_t heartbeat_success(struct heartbeat *hb, uint32_t meta_interval_s,
    uint64_t now_ms, uint32_t rnd);

/* A heartbeat failed; retry_after_ms is meta's request (0: none).  Returns
 * the next time: now + max(backoff, retry_after). */
uint64_t heartbeat_failure(struct heartbeat *hb, uint32_t retry_after_ms,
    uint64_t now_ms, uint32_t rnd);

/* The backoff after `failures` consecutive failures (>= 1): base x
 * 2^(failures-1) capped at cap_ms, then jittered into [d/2, d). */
uint64_t heartbeat_backoff(
    uint32_t failures, uint64_t base_ms, uint64_t cap_ms, uint32_t rnd);

#endif
