/* SPDX-License-Identifier: MIT */
/*
 * heartbeat: jittered intervals and capped exponential backoff.  Pure.
 */
#include "heartbeat.h"

static uint64_t scale(uint64_t span, uint32_t rnd);

/* span x rnd / 2^32: uniform in [0, span) when rnd is. */
static uint64_t
scale(uint64_t span, uint32_t rnd)
{
	return (uint64_t)(((unsigned __int128)span * rnd) >> 32);
}

uint32_t
heartbeat_clamp(uint32_t v, uint32_t current, uint32_t min_s, uint32_t max_s)
{
	if (v == 0)
		v = current;
	if (v < min_s)
		v = min_s;
	if (v > max_s)
		v = max_s;
	return v == 0 ? 1 : v;
}

void
heartbeat_init(struct heartbeat *hb, uint32_t interval_s,
    uint32_t interval_min_s, uint32_t interval_max_s)
{
	if (interval_max_s < interval_min_s)
		interval_max_s = interval_min_s;
	hb->interval_min_s = interval_min_s;
	hb->interval_max_s = interval_max_s;
	hb->interval_s =
	    heartbeat_clamp(interval_s, 60, interval_min_s, interval_max_s);
	hb->failures = 0;
}

uint64_t
heartbeat_first(const struct heartbeat *hb, uint64_t now_ms, uint32_t rnd)
{
	return now_ms + scale((uint64_t)hb->interval_s * 1000, rnd);
}

uint64_t
heartbeat_success(struct heartbeat *hb, uint32_t meta_interval_s,
    uint64_t now_ms, uint32_t rnd)
{
	uint64_t base;

	hb->failures = 0;
	hb->interval_s = heartbeat_clamp(meta_interval_s, hb->interval_s,
	    hb->interval_min_s, hb->interval_max_s);
	base = (uint64_t)hb->interval_s * 1000;
	/* 0.8 x base + [0, 0.4 x base) */
	return now_ms + base * 4 / 5 + scale(base * 2 / 5, rnd);
}

uint64_t
heartbeat_backoff(
    uint32_t failures, uint64_t base_ms, uint64_t cap_ms, uint32_t rnd)
{
	uint64_t d = base_ms;
	uint32_t i;

	for (i = 1; i < failures && d < cap_ms; i++)
		d *= 2;
	if (d > cap_ms)
		d = cap_ms;
	return d / 2 + scale(d - d / 2, rnd);
}

uint64_t
heartbeat_failure(struct heartbeat *hb, uint32_t retry_after_ms,
    uint64_t now_ms, uint32_t rnd)
{
	uint64_t cap = HEARTBEAT_BACKOFF_CAP_MS, d;

	if (hb->failures < UINT32_MAX)
		hb->failures++;
	if ((uint64_t)hb->interval_max_s * 1000 < cap)
		cap = (uint64_t)hb->interval_max_s * 1000;
	if (cap < HEARTBEAT_BACKOFF_BASE_MS)
		cap = HEARTBEAT_BACKOFF_BASE_MS;
	d = heartbeat_backoff(
	    hb->failures, HEARTBEAT_BACKOFF_BASE_MS, cap, rnd);
	if (d < retry_after_ms)
		d = retry_after_ms;
	return now_ms + d;
}
