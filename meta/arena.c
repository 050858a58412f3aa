/* SPDX-License-Identifier: MIT */
/*
 * arena: a list of calloc'd blocks, one per allocation, freed together.
 * Replies are small (at most a few thousand pieces), so one block per
 * piece keeps it simple and lets ASan see every overrun.
 */
#include "arena.h"

#include <stdlib.h>
#include <string.h>

struct arena_block {
	struct arena_block *next;
	max_align_t         data[];
};

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_block *b = calloc(1, sizeof(*b) + n);

	if (b == NULL) {
		a->oom = 1;
		return NULL;
	}
	b->next = a->head;
	a->head = b;
	return b->data;
}

char *
arena_str(struct arena *a, const char *s)
{
	char  *p;
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	if ((p = arena_alloc(a, n)) != NULL)
		memcpy(p, s, n);
	return p;
}

void
arena_free(struct arena *a)
{
	struct arena_block *b, *next;

	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
}
