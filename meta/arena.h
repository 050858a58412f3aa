/* SPDX-License-Identifier: MIT */
/*
 * arena: the per-call allocator of the admin handlers.  A reply is built
 * from many small pieces (messages, strings, pointer arrays) that all die
 * together once the RPC layer has packed it; an arena frees them in one
 * call.  Not thread-safe: one arena per call.
 */
#ifndef META_ARENA_H
#define META_ARENA_H

#include <stddef.h>

struct arena_block;

/* Zero-initialize ({0} or memset) before first use. */
struct arena {
	struct arena_block *head;
	int                 oom; /* set once any allocation failed */
};

/* n zeroed bytes, aligned for any type, owned by the arena (freed by
 * arena_free).  NULL, and a->oom set, when out of memory. */
void *arena_alloc(struct arena *a, size_t n);

/* A copy of s owned by the arena; NULL for NULL s or out of memory
 * (a->oom set). */
char *arena_str(struct arena *a, const char *s);

/* Free everything the arena handed out; the arena may be used again.
 * Accepts an arena that never allocated. */
void arena_free(struct arena *a);

#endif
