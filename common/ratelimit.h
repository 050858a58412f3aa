/* SPDX-License-Identifier: MIT */
/*
 * ratelimit: a token bucket that keeps a flood of alike log lines (say,
 * refusals of garbage sent by one misbehaving client) from filling the
 * disk and hiding everything else.  A line is let through while tokens
 * remain; the next line let through says how many were dropped before it.
 * Thread-safe.
 *
 *	struct ratelimit rl;
 *	uint64_t         dropped;
 *	ratelimit_init(&rl, 100, 10);
 *	if (ratelimit_take(&rl, timeutil_mono_ms(), &dropped))
 *		log_warnx("...%s", dropped ? " (and N more, dropped)" : "");
 */
#ifndef AU_RATELIMIT_H
#define AU_RATELIMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
	pthread_mutex_t mu;
	uint32_t        burst;   /* lines let through at once */
	uint32_t        per_s;   /* lines let through per second after that */
	uint64_t        milli;   /* tokens in thousandths */
	uint64_t        last_ms; /* when milli was last refilled */
	uint64_t        dropped; /* since the last line let through */
};

/* A full bucket: burst lines at once, then per_s a second (both >= 1). */
void ratelimit_init(struct ratelimit *rl, uint32_t burst, uint32_t per_s);

void ratelimit_fini(struct ratelimit *rl);

/* May a line be logged at now_ms (a monotonic clock)?  true: yes, and
 * *dropped is how many were refused since the last true (then zeroed);
 * false: no, and the line is counted as dropped. */
bool ratelimit_take(struct ratelimit *rl, uint64_t now_ms, uint64_t *dropped);

/* How many lines were refused since the last one let through; zeroes the
 * count (for a closing "N more not logged" line). */
uint64_t ratelimit_drain(struct ratelimit *rl);

#endif
