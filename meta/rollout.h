/* SPDX-License-Identifier: MIT */
/*
 * rollout: which version of an agent a host should run, and whether it
 * should run.  Pure: takes rules and names, returns a decision; no I/O, no
 * clock, no locks.  Resolution for (hostname, agent), among the rules of
 * that agent:
 *   1. a host rule whose match is the hostname;
 *   2. the prefix rule with the longest match that the hostname starts with;
 *   3. the percent rule, when the host's canary bucket is below percent;
 *   4. the default rule.
 * The bucket is a stable hash (FNV-1a 64 of hostname, a NUL, agent) modulo
 * 10000, so a host inside the 5% canary (bucket < 500) stays inside at 25%
 * (bucket < 2500).  There is at most one percent rule per agent.
 */
#ifndef META_ROLLOUT_H
#define META_ROLLOUT_H

#include <stddef.h>
#include <stdint.h>

enum rollout_kind {
	ROLLOUT_DEFAULT = 0,
	ROLLOUT_HOST = 1,
	ROLLOUT_PREFIX = 2,
	ROLLOUT_PERCENT = 3,
};

/* Values equal to the wire's au.v1.Action. */
enum rollout_action {
	ROLLOUT_START = 1,
	ROLLOUT_STOP = 2,
	ROLLOUT_REMOVE = 3,
};

struct rollout_rule {
	const char         *agent;
	enum rollout_kind   kind;
	const char         *match;   /* hostname or prefix; "" otherwise */
	uint32_t            percent; /* 1..100 for ROLLOUT_PERCENT */
	const char         *version;
	enum rollout_action action;
};

/* The rule that decides (hostname, agent): an index into rules, or -1 when
 * no rule applies (the agent is not managed on that host). */
int rollout_resolve(const struct rollout_rule *rules, size_t nrules,
    const char *hostname, const char *agent);

/* The canary bucket of (hostname, agent), 0..9999. */
uint32_t rollout_bucket(const char *hostname, const char *agent);

/* "default", "host", "prefix", "percent"; parse returns -1 when unknown. */
const char *rollout_kind_name(enum rollout_kind kind);
int         rollout_kind_parse(const char *name);

#endif
