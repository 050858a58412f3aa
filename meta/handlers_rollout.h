/* SPDX-License-Identifier: MIT */
/*
 * handlers_rollout: what the other admin handlers use of the rollout
 * handlers (handlers_rollout.c).  Private to meta/.
 */
#ifndef META_HANDLERS_ROLLOUT_H
#define META_HANDLERS_ROLLOUT_H

#include "arena.h"
#include "au.pb-c.h"
#include "meta.h"

/* The newest rollout of agent (active or finished) as a message built in
 * a (freed with the arena), or NULL when the agent never had one or out
 * of memory (a->oom set).  Takes the inventory lock; a scan of the fleet
 * for its stale members when it is active. */
Au__V1__Rollout *rollout_newest_msg(
    struct meta *m, struct arena *a, const char *agent);

#endif
