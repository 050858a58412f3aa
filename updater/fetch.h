/* SPDX-License-Identifier: MIT */
/*
 * fetch: chunked, resumable download of one package into
 * <root>/<agent>/.download/:
 *
 *	<version>.sig            the signed manifest, saved with the first chunk
 *	<version>.tar.gz.part    the bytes so far (resumed from its size)
 *	<version>.tar.gz         complete: renamed from .part after fsync
 *
 * The bytes come from a fetch_source (over RPC in the daemon, from memory
 * or files in tests).  A chunk must continue exactly where the file ends,
 * the manifest must not change between chunks (when it does, the download
 * restarts) and the total may not exceed the manifest's size.  Nothing is
 * trusted here; verify.h decides.  Blocks on I/O and on the source.
 */
#ifndef AU_FETCH_H
#define AU_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define FETCH_DIR ".download"
#define FETCH_PATH_BYTES 4096
/* Largest package the updater accepts at all. */
#define FETCH_MAX_BYTES ((uint64_t)4 << 30)
/* How long fetch waits for a RESOURCE_EXHAUSTED retry-after itself;
 * longer waits go back to the caller's schedule. */
#define FETCH_RETRY_WAIT_MAX_MS 10000u
#define FETCH_RETRIES_MAX 10

struct fetch_paths {
	char dir[FETCH_PATH_BYTES];
	char manifest[FETCH_PATH_BYTES];
	char part[FETCH_PATH_BYTES];
	char tarball[FETCH_PATH_BYTES];
};

/* One chunk as the source returns it; the pointers stay valid until the
 * source's next call or release. */
struct fetch_chunk {
	const uint8_t *manifest;
	size_t         manifest_len;
	uint64_t       size;   /* total package size */
	uint64_t       offset; /* where data starts */
	const uint8_t *data;
	size_t         len;
	uint32_t       retry_after_ms; /* set with AU_RESOURCE_EXHAUSTED */
};

struct fetch_source {
	/* Get up to len bytes at offset.  Returns AU_OK and *chunk, or a
	 * status (AU_RESOURCE_EXHAUSTED with chunk->retry_after_ms to be
	 * asked again later). */
	enum au_status (*get)(void *arg, const char *agent, const char *version,
	    uint64_t offset, uint32_t len, struct fetch_chunk *chunk,
	    struct au_err *err);
	/* Release what the last get returned (may be NULL). */
	void (*release)(void *arg);
	void *arg;
};

/* The file names for agent/version under root. */
enum au_status fetch_paths(const char *root, const char *agent,
    const char *version, struct fetch_paths *p, struct au_err *err);

/* Download agent/version (resuming a .part) until the complete tarball
 * and its manifest are on disk.  expected_size (0: unknown) is what the
 * heartbeat said; a package larger than it or FETCH_MAX_BYTES is refused
 * (AU_OUT_OF_RANGE).  Returns AU_OK when p->tarball and p->manifest exist;
 * AU_RESOURCE_EXHAUSTED with *retry_after_ms when meta asked to come back
 * later; otherwise the source's or the file system's status. */
enum au_status fetch_package(const struct fetch_source *src, const char *root,
    const char *agent, const char *version, uint64_t expected_size,
    uint32_t chunk_bytes, struct fetch_paths *p, uint32_t *retry_after_ms,
    struct au_err *err);

#endif
