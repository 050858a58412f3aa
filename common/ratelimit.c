/* SPDX-License-Identifier: MIT */
/*
 * ratelimit: see ratelimit.h.  Tokens are kept in thousandths so that a
 * refill of per_s a second is exact at millisecond steps.
 */
#include "ratelimit.h"

void
ratelimit_init(struct ratelimit *rl, uint32_t burst, uint32_t per_s)
{
	pthread_mutex_init(&rl->mu, NULL);
	rl->burst = burst > 0 ? burst : 1;
	rl->per_s = per_s > 0 ? per_s : 1;
	rl->milli = (uint64_t)rl->burst * 1000;
	rl->last_ms = 0;
	rl->dropped = 0;
}

void
ratelimit_fini(struct ratelimit *rl)
{
	pthread_mutex_destroy(&rl->mu);
}

static void
refill(struct ratelimit *rl, uint64_t now_ms)
{
	uint64_t full = (uint64_t)rl->burst * 1000, add;

	if (rl->last_ms == 0 || now_ms < rl->last_ms) {
		rl->last_ms = now_ms;
		return;
	}
	add = (now_ms - rl->last_ms) * rl->per_s;
	rl->milli = full - rl->milli <= add ? full : rl->milli + add;
	rl->last_ms = now_ms;
}

bool
ratelimit_take(struct ratelimit *rl, uint64_t now_ms, uint64_t *dropped)
{
	bool ok;

	pthread_mutex_lock(&rl->mu);
	refill(rl, now_ms);
	ok = rl->milli >= 1000;
	if (ok) {
		rl->milli -= 1000;
		*dropped = rl->dropped;
		rl->dropped = 0;
	} else
		rl->dropped++;
	pthread_mutex_unlock(&rl->mu);
	return ok;
}

uint64_t
ratelimit_drain(struct ratelimit *rl)
{
	uint64_t n;

	pthread_mutex_lock(&rl->mu);
	n = rl->dropped;
	rl->dropped = 0;
	pthread_mutex_unlock(&rl->mu);
	return n;
}
