/* SPDX-License-Identifier: MIT */
/*
 * rollout: rule resolution.  One pass over the rules remembers the best
 * candidate of each kind; the most specific kind present wins.
 */
#include "rollout.h"

#include <string.h>

#define FNV_OFFSET UINT64_C(14695981039346656037)
#define FNV_PRIME UINT64_C(1099511628211)

static uint64_t
fnv1a(uint64_t h, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= FNV_PRIME;
	}
	return h;
}

uint32_t
rollout_bucket(const char *hostname, const char *agent)
{
	uint64_t h = FNV_OFFSET;

	h = fnv1a(h, hostname, strlen(hostname) + 1); /* with its NUL */
	h = fnv1a(h, agent, strlen(agent));
	return (uint32_t)(h % 10000);
}

static int
prefix_of(const char *prefix, const char *s)
{
	return strncmp(prefix, s, strlen(prefix)) == 0;
}

int
rollout_resolve(const struct rollout_rule *rules, size_t nrules,
    const char *hostname, const char *agent)
{
	int    def = -1, pct = -1, pre = -1;
	size_t prelen = 0, i;

	for (i = 0; i < nrules; i++) {
		const struct rollout_rule *r = &rules[i];

		if (strcmp(r->agent, agent) != 0)
			continue;
		switch (r->kind) {
		case ROLLOUT_HOST:
			if (strcmp(r->match, hostname) == 0)
				return (int)i;
			break;
		case ROLLOUT_PREFIX:
			if (prefix_of(r->match, hostname) &&
			    (pre < 0 || strlen(r->match) > prelen)) {
				pre = (int)i;
				prelen = strlen(r->match);
			}
			break;
		case ROLLOUT_PERCENT:
			if (rollout_bucket(hostname, agent) < r->percent * 100)
				pct = (int)i;
			break;
		case ROLLOUT_DEFAULT:
			def = (int)i;
			break;
		}
	}
	if (pre >= 0)
		return pre;
	return pct >= 0 ? pct : def;
}

static const char *const kind_names[] = {
    "default", "host", "prefix", "percent"};

const char *
rollout_kind_name(enum rollout_kind kind)
{
	if ((unsigned)kind >= sizeof(kind_names) / sizeof(kind_names[0]))
		return "unknown";
	return kind_names[kind];
}

int
rollout_kind_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (strcmp(kind_names[i], name) == 0)
			return (int)i;
	return -1;
}
