/* SPDX-License-Identifier: MIT */
/*
 * timeutil: one place that turns clock_gettime() into milliseconds, so
 * that every module rounds the same way.
 */
#include "timeutil.h"

#include <time.h>

static uint64_t
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
timeutil_wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

uint64_t
timeutil_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}
