/* SPDX-License-Identifier: MIT */
/*
 * fetch: the resumable chunked download.
 */
#include "fetch.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "manifest.h"

struct download {
	const struct fetch_source *src;
	const char                *agent;
	const char                *version;
	const struct fetch_paths  *p;
	uint64_t                   max;
	uint32_t                   chunk_bytes;
	int                        fd;
	uint64_t                   have;
	int                        done;
	char                      *manifest; /* saved manifest, NUL-ended */
	size_t                     manifest_len;
};

static enum au_status open_part(struct download *d, struct au_err *err);
static enum au_status restart(struct download *d, struct au_err *err);
static enum au_status take_chunk(
    struct download *d, const struct fetch_chunk *c, struct au_err *err);
static enum au_status get_chunk(
    struct download *d, uint32_t *retry_after_ms, struct au_err *err);
static enum au_status finish(struct download *d, struct au_err *err);

enum au_status
fetch_paths(const char *root, const char *agent, const char *version,
    struct fetch_paths *p, struct au_err *err)
{
	static const char *sfx[] = {".sig", ".tar.gz.part", ".tar.gz"};
	char              *out[] = {p->manifest, p->part, p->tarball};
	size_t             i;

	if (strchr(version, '/') != NULL ||
	    snprintf(p->dir, sizeof(p->dir), "%s/%s/%s", root, agent,
	        FETCH_DIR) >= (int)sizeof(p->dir))
		return au_err_set(err, AU_INVALID_ARGUMENT, "bad path");
	for (i = 0; i < 3; i++)
		if (snprintf(out[i], FETCH_PATH_BYTES, "%s/%s%s", p->dir,
		        version, sfx[i]) >= FETCH_PATH_BYTES)
			return au_err_set(err, AU_INVALID_ARGUMENT, "bad path");
	return AU_OK;
}

/* Open the .part for appending and learn how much of it there is; the
 * manifest saved with it (if any) must match what the server sends. */
static enum au_status
open_part(struct download *d, struct au_err *err)
{
	struct stat    sb;
	enum au_status st;

	if ((st = fsutil_mkdirs(d->p->dir, 0700, err)) != AU_OK)
		return st;
	st = fsutil_read_file(d->p->manifest, MANIFEST_MAX_BYTES, &d->manifest,
	    &d->manifest_len, NULL);
	if (st != AU_OK) {
		/* Without its manifest a partial file cannot be trusted to
		 * belong to the package the server has now. */
		d->manifest = NULL;
		unlink(d->p->part);
	}
	d->fd = open(d->p->part,
	    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (d->fd < 0 || fstat(d->fd, &sb) != 0)
		return au_err_set(err, fsutil_errno_status(errno), "%s: %s",
		    d->p->part, strerror(errno));
	d->have = (uint64_t)sb.st_size;
	if (d->have > 0)
		log_info("agent %s %s: resuming download at %llu bytes",
		    d->agent, d->version, (unsigned long long)d->have);
	return AU_OK;
}

static enum au_status
restart(struct download *d, struct au_err *err)
{
	if (ftruncate(d->fd, 0) != 0)
		return au_err_set(err, fsutil_errno_status(errno), "%s: %s",
		    d->p->part, strerror(errno));
	d->have = 0;
	free(d->manifest);
	d->manifest = NULL;
	unlink(d->p->manifest);
	return AU_OK;
}

static enum au_status
take_chunk(struct download *d, const struct fetch_chunk *c, struct au_err *err)
{
	ssize_t        n;
	size_t         off = 0;
	enum au_status st;

	if (c->size > d->max || c->manifest_len == 0 ||
	    c->manifest_len > MANIFEST_MAX_BYTES)
		return au_err_set(err, AU_OUT_OF_RANGE,
		    "package of %llu bytes or its manifest is too large",
		    (unsigned long long)c->size);
	if (c->offset != d->have || c->len > c->size - d->have ||
	    (c->len == 0 && d->have < c->size))
		return au_err_set(err, AU_DATA_LOSS,
		    "chunk at %llu (+%zu) does not continue %llu of %llu",
		    (unsigned long long)c->offset, c->len,
		    (unsigned long long)d->have, (unsigned long long)c->size);
	if (d->manifest == NULL) {
		if ((st = fsutil_write_atomic(d->p->manifest, c->manifest,
		         c->manifest_len, 0600, err)) != AU_OK)
			return st;
		if ((d->manifest = malloc(c->manifest_len + 1)) == NULL)
			return au_err_set(
			    err, AU_RESOURCE_EXHAUSTED, "no memory");
		memcpy(d->manifest, c->manifest, c->manifest_len);
		d->manifest[c->manifest_len] = '\0';
		d->manifest_len = c->manifest_len;
	}
	while (off < c->len) {
		if ((n = write(d->fd, c->data + off, c->len - off)) < 0) {
			if (errno == EINTR)
				continue;
			return au_err_set(err, fsutil_errno_status(errno),
			    "%s: %s", d->p->part, strerror(errno));
		}
		off += (size_t)n;
	}
	d->have += c->len;
	return AU_OK;
}

/* One request.  *retry_after_ms is set when the server asked to wait. */
static enum au_status
get_chunk(struct download *d, uint32_t *retry_after_ms, struct au_err *err)
{
	struct fetch_chunk c;
	enum au_status     st;

	memset(&c, 0, sizeof(c));
	st = d->src->get(d->src->arg, d->agent, d->version, d->have,
	    d->chunk_bytes, &c, err);
	if (st == AU_RESOURCE_EXHAUSTED)
		*retry_after_ms = c.retry_after_ms ? c.retry_after_ms : 1000;
	if (st == AU_OK && d->manifest != NULL &&
	    (c.manifest_len != d->manifest_len ||
	        memcmp(c.manifest, d->manifest, c.manifest_len) != 0)) {
		log_info("agent %s %s: the package changed on the server: "
		         "downloading it again",
		    d->agent, d->version);
		if ((st = restart(d, err)) == AU_OK)
			st = AU_ABORTED;
	}
	if (st == AU_OK)
		st = take_chunk(d, &c, err);
	if (d->src->release != NULL)
		d->src->release(d->src->arg);
	if (st == AU_OK && d->have == c.size) {
		st = finish(d, err);
		d->done = st == AU_OK;
	}
	return st;
}

static enum au_status
finish(struct download *d, struct au_err *err)
{
	if (fsync(d->fd) != 0)
		return au_err_set(err, fsutil_errno_status(errno),
		    "fsync %s: %s", d->p->part, strerror(errno));
	if (rename(d->p->part, d->p->tarball) != 0)
		return au_err_set(err, fsutil_errno_status(errno),
		    "rename %s: %s", d->p->part, strerror(errno));
	return fsutil_fsync_dir(d->p->dir, err);
}

enum au_status
fetch_package(const struct fetch_source *src, const char *root,
    const char *agent, const char *version, uint64_t expected_size,
    uint32_t chunk_bytes, struct fetch_paths *p, uint32_t *retry_after_ms,
    struct au_err *err)
{
	struct download d;
	enum au_status  st;
	uint64_t        guard;
	int             waits = 0, restarts = 0;

	*retry_after_ms = 0;
	if ((st = fetch_paths(root, agent, version, p, err)) != AU_OK)
		return st;
	if (access(p->tarball, F_OK) == 0 && access(p->manifest, F_OK) == 0)
		return AU_OK;
	memset(&d, 0, sizeof(d));
	d.fd = -1;
	d.src = src;
	d.agent = agent;
	d.version = version;
	d.p = p;
	d.max = expected_size && expected_size < FETCH_MAX_BYTES
	            ? expected_size
	            : FETCH_MAX_BYTES;
	d.chunk_bytes = chunk_bytes ? chunk_bytes : 1024 * 1024;
	if ((st = open_part(&d, err)) != AU_OK)
		goto out;
	/* Bounded: every round either adds bytes, waits or restarts. */
	guard = d.max / d.chunk_bytes + 2 * FETCH_RETRIES_MAX + 8;
	while (!d.done && guard-- > 0) {
		st = get_chunk(&d, retry_after_ms, err);
		if (st == AU_RESOURCE_EXHAUSTED &&
		    *retry_after_ms <= FETCH_RETRY_WAIT_MAX_MS &&
		    waits++ < FETCH_RETRIES_MAX)
			poll(NULL, 0, (int)*retry_after_ms);
		else if (st == AU_ABORTED && restarts++ < 2)
			continue;
		else if (st != AU_OK)
			break;
	}
	if (st == AU_OK && !d.done)
		st = au_err_set(err, AU_ABORTED, "download did not complete");
out:
	if (d.fd >= 0)
		close(d.fd);
	free(d.manifest);
	if (st != AU_OK)
		au_err_prefix(err, "download %s %s", agent, version);
	return st;
}
