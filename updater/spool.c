/* SPDX-License-Identifier: MIT */
/*
 * spool: the file of unsent reports.
 */
#include "spool.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"

#define SPOOL_MAGIC "AUSPOOL1\n"
#define SPOOL_MAGIC_LEN (sizeof(SPOOL_MAGIC) - 1)
#define SPOOL_RECORD_MAX (64 * 1024)
#define SPOOL_FILE_MAX (SPOOL_MAGIC_LEN + SPOOL_MAX_REPORTS * SPOOL_RECORD_MAX)

static enum au_status parse(const uint8_t *buf, size_t len, struct report *reps,
    size_t *n, struct au_err *err);
static enum au_status append(
    uint8_t **buf, size_t *len, size_t *cap, const uint8_t *data, size_t n);

static enum au_status
parse(const uint8_t *buf, size_t len, struct report *reps, size_t *n,
    struct au_err *err)
{
	size_t   off = SPOOL_MAGIC_LEN;
	uint32_t rl;

	*n = 0;
	if (len < SPOOL_MAGIC_LEN || memcmp(buf, SPOOL_MAGIC, SPOOL_MAGIC_LEN))
		return au_err_set(err, AU_DATA_LOSS, "not a spool file");
	while (off < len && *n < SPOOL_MAX_REPORTS) {
		if (len - off < 4)
			return au_err_set(err, AU_DATA_LOSS, "truncated");
		rl = (uint32_t)buf[off] << 24 | (uint32_t)buf[off + 1] << 16 |
		     (uint32_t)buf[off + 2] << 8 | buf[off + 3];
		off += 4;
		if (rl > len - off || rl > SPOOL_RECORD_MAX)
			return au_err_set(err, AU_DATA_LOSS, "truncated");
		if (report_unpack(buf + off, rl, &reps[*n], err) != AU_OK)
			return au_err_set(err, AU_DATA_LOSS, "bad record");
		off += rl;
		(*n)++;
	}
	return AU_OK;
}

enum au_status
spool_load(const char *path, struct report **out, size_t *n, struct au_err *err)
{
	char          *buf = NULL;
	size_t         len;
	enum au_status st;

	*out = NULL;
	*n = 0;
	st = fsutil_read_file(path, SPOOL_FILE_MAX, &buf, &len, err);
	if (st == AU_NOT_FOUND) {
		au_err_clear(err);
		return AU_OK;
	}
	if (st != AU_OK)
		return st;
	if ((*out = calloc(SPOOL_MAX_REPORTS, sizeof(**out))) == NULL) {
		free(buf);
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	}
	st = parse((const uint8_t *)buf, len, *out, n, err);
	free(buf);
	if (st != AU_OK)
		au_err_prefix(err, "spool %s", path);
	return st;
}

static enum au_status
append(uint8_t **buf, size_t *len, size_t *cap, const uint8_t *data, size_t n)
{
	uint8_t *nb;

	if (*len + n > *cap) {
		*cap = (*len + n) * 2;
		if ((nb = realloc(*buf, *cap)) == NULL)
			return AU_RESOURCE_EXHAUSTED;
		*buf = nb;
	}
	memcpy(*buf + *len, data, n);
	*len += n;
	return AU_OK;
}

enum au_status
spool_save(
    const char *path, const struct report *reps, size_t n, struct au_err *err)
{
	uint8_t       *buf = NULL, *rec = NULL, be[4];
	size_t         len = 0, cap = 0, rl, i = 0;
	enum au_status st;

	if (n == 0) {
		if (unlink(path) != 0 && errno != ENOENT)
			return au_err_set(err, fsutil_errno_status(errno),
			    "%s: %s", path, strerror(errno));
		return AU_OK;
	}
	if (n > SPOOL_MAX_REPORTS)
		i = n - SPOOL_MAX_REPORTS;
	st = append(
	    &buf, &len, &cap, (const uint8_t *)SPOOL_MAGIC, SPOOL_MAGIC_LEN);
	for (; st == AU_OK && i < n; i++) {
		if ((st = report_pack(&reps[i], "", &rec, &rl)) != AU_OK)
			break;
		be[0] = (uint8_t)(rl >> 24);
		be[1] = (uint8_t)(rl >> 16);
		be[2] = (uint8_t)(rl >> 8);
		be[3] = (uint8_t)rl;
		if ((st = append(&buf, &len, &cap, be, 4)) == AU_OK)
			st = append(&buf, &len, &cap, rec, rl);
		free(rec);
		rec = NULL;
	}
	if (st == AU_OK)
		st = fsutil_write_atomic(path, buf, len, 0600, err);
	else
		au_err_set(err, st, "spool %s: out of memory", path);
	free(buf);
	return st;
}

enum au_status
spool_add(const char *path, const struct report *rep, struct au_err *err)
{
	struct report *reps = NULL;
	size_t         n = 0;
	enum au_status st;

	st = spool_load(path, &reps, &n, err);
	if (st == AU_DATA_LOSS) {
		log_warnx(
		    "%s; keeping the %zu readable reports", au_err_str(err), n);
		au_err_clear(err);
	} else if (st != AU_OK)
		return st;
	if (reps == NULL &&
	    (reps = calloc(SPOOL_MAX_REPORTS, sizeof(*reps))) == NULL)
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	if (n == SPOOL_MAX_REPORTS) {
		log_warnx("spool %s full: dropping report %s for agent %s",
		    path, reps[0].id, reps[0].agent);
		memmove(reps, reps + 1, (n - 1) * sizeof(*reps));
		n--;
	}
	reps[n++] = *rep;
	st = spool_save(path, reps, n, err);
	free(reps);
	return st;
}
