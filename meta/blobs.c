/* SPDX-License-Identifier: MIT */
/*
 * blobs: meta's package store.  On disk, under <datadir>/packages/:
 *
 *	blobs/<hash hex>                    package bytes, 0444, by BLAKE2b-256
 *	index/<agent>/<version>.sig         the signed manifest's exact bytes
 *	index/<agent>/<version>.meta        "uploaded_by", "uploaded_ms", "key"
 *	uploads/<agent>-<version>-<hash>.part   partial uploads, private
 *
 * Every file that becomes visible is written elsewhere, fsynced, renamed
 * and its directory fsynced.  The .sig is written last: it is the commit
 * point, so a crash leaves at most an orphan blob or .meta, never a half
 * package.  The index is loaded at open into a chained hash table guarded
 * by a rwlock; entries are never removed, so a pointer to one stays valid
 * until blobs_close().  Uploads are serialized by one mutex (the release
 * pipeline uploads rarely); downloads take only the read lock and one
 * pread per chunk.  Listing and the RPC handlers are in blobs_rpc.c.
 */
#include "blobs.h"

#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blobs_int.h"
#include "fsutil.h"
#include "log.h"
#include "manifest.h"
#include "rpc.h"
#include "timeutil.h"

#define BLOBS_DEFAULT_MAX_BYTES (512ULL * 1024 * 1024)
#define BLOBS_DEFAULT_DOWNLOADS 64
#define BLOBS_DEFAULT_RETRY_MS 2000
#define BLOBS_STALE_PART_S (24 * 3600)
#define BLOBS_META_MAX 1024

/* Everything a chunk's manifest check establishes. */
struct upload {
	struct manifest m;
	char            hash_hex[HASH_HEX];
	char            part[PATH_MAX];
	const char     *who;
	const char     *manifest;
	size_t          manifest_len;
};

static uint32_t      key_hash(const char *agent, const char *version);
static struct entry *table_find(
    const struct blobs *b, const char *agent, const char *version);
static enum au_status table_insert(struct blobs *b, struct entry *e);
static void           table_free(struct blobs *b);
static int            has_suffix(const char *name, const char *suffix);
static enum au_status path_fmt(char *out, size_t sz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void           clean_dir(const char *dir, int parts_too);
static enum au_status load_index(struct blobs *b, struct au_err *err);
static void           load_agent(struct blobs *b, const char *agent);
static enum au_status load_entry(struct blobs *b, const char *agent,
    const char *dir, const char *version, struct au_err *err);
static enum au_status parse_meta(
    const char *text, struct entry *e, uint8_t pk[SIG_PUBKEY_BYTES]);
static enum au_status check_manifest(
    struct blobs *b, struct upload *u, struct au_err *err);
static enum au_status check_existing(struct blobs *b, const struct upload *u,
    struct blobs_upload_result *res, struct au_err *err);
static enum au_status upload_locked(struct blobs *b, struct upload *u,
    uint64_t offset, const void *data, size_t len, int finish,
    struct blobs_upload_result *res, struct au_err *err);
static enum au_status append_chunk(int fd, const struct upload *u,
    uint64_t offset, const void *data, size_t len, uint64_t *held,
    struct au_err *err);
static enum au_status hash_fd(int fd, uint8_t out[SIG_HASH_BYTES]);
static enum au_status commit(
    struct blobs *b, struct upload *u, int fd, struct au_err *err);
static enum au_status write_index(
    struct blobs *b, const struct upload *u, uint64_t ms, struct au_err *err);
static enum au_status pread_all(
    int fd, uint8_t *buf, size_t len, uint64_t off, size_t *got);

/* ------------------------------------------------------------ table */

static uint32_t
key_hash(const char *agent, const char *version)
{
	uint32_t    h = 2166136261u;
	const char *p;

	for (p = agent; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (p = version; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h;
}

/* Caller holds the lock. */
static struct entry *
table_find(const struct blobs *b, const char *agent, const char *version)
{
	uint32_t      hv = key_hash(agent, version);
	struct entry *e;

	for (e = b->buckets[hv & (b->nbuckets - 1)]; e != NULL; e = e->next)
		if (e->hv == hv && strcmp(e->agent, agent) == 0 &&
		    strcmp(e->version, version) == 0)
			return e;
	return NULL;
}

/* Caller holds the write lock; takes ownership of e on AU_OK. */
static enum au_status
table_insert(struct blobs *b, struct entry *e)
{
	struct entry **nb, *x, *next;
	size_t         i, n;

	if (b->nentries >= b->nbuckets) {
		n = b->nbuckets * 2;
		if ((nb = calloc(n, sizeof(*nb))) == NULL)
			return AU_RESOURCE_EXHAUSTED;
		for (i = 0; i < b->nbuckets; i++)
			for (x = b->buckets[i]; x != NULL; x = next) {
				next = x->next;
				x->next = nb[x->hv & (n - 1)];
				nb[x->hv & (n - 1)] = x;
			}
		free(b->buckets);
		b->buckets = nb;
		b->nbuckets = n;
	}
	e->hv = key_hash(e->agent, e->version);
	e->next = b->buckets[e->hv & (b->nbuckets - 1)];
	b->buckets[e->hv & (b->nbuckets - 1)] = e;
	b->nentries++;
	return AU_OK;
}

static void
table_free(struct blobs *b)
{
	struct entry *e, *next;
	size_t        i;

	for (i = 0; b->buckets != NULL && i < b->nbuckets; i++)
		for (e = b->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e->manifest);
			free(e);
		}
	free(b->buckets);
	b->buckets = NULL;
}

/* ------------------------------------------------------------ helpers */

static int
has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s && strcmp(name + n - s, suffix) == 0;
}

static enum au_status
path_fmt(char *out, size_t sz, const char *fmt, ...)
{
	va_list ap;
	int     n;

	va_start(ap, fmt);
	n = vsnprintf(out, sz, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= sz ? AU_INVALID_ARGUMENT : AU_OK;
}

/*
 * Remove what a crash may leave in dir: temporary files of atomic writes
 * always; with parts_too, partial uploads untouched for a day (younger
 * ones stay, so an interrupted upload resumes across a restart).
 */
static void
clean_dir(const char *dir, int parts_too)
{
	char           path[PATH_MAX];
	struct dirent *de;
	struct stat    sb;
	DIR           *d;
	time_t         now = time(NULL);

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (path_fmt(path, sizeof(path), "%s/%s", dir, de->d_name) !=
		    AU_OK)
			continue;
		if (strstr(de->d_name, ".tmp.") != NULL ||
		    (parts_too && has_suffix(de->d_name, ".part") &&
		        lstat(path, &sb) == 0 &&
		        now - sb.st_mtime > BLOBS_STALE_PART_S)) {
			if (unlink(path) == 0)
				log_info("blobs: removed stale %s", path);
		}
	}
	closedir(d);
}

/* ------------------------------------------------------------ open */

enum au_status
blobs_open(
    const struct blobs_conf *conf, struct blobs **out, struct au_err *err)
{
	char           pkg[PATH_MAX];
	struct blobs  *b;
	enum au_status st;

	*out = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->buckets = calloc(64, sizeof(*b->buckets))) == NULL) {
		free(b);
		return au_err_set(
		    err, AU_RESOURCE_EXHAUSTED, "blobs: no memory");
	}
	b->nbuckets = 64;
	b->conf = *conf;
	if (b->conf.max_package_bytes == 0)
		b->conf.max_package_bytes = BLOBS_DEFAULT_MAX_BYTES;
	if (b->conf.max_downloads == 0)
		b->conf.max_downloads = BLOBS_DEFAULT_DOWNLOADS;
	if (b->conf.retry_after_ms == 0)
		b->conf.retry_after_ms = BLOBS_DEFAULT_RETRY_MS;
	pthread_rwlock_init(&b->lock, NULL);
	pthread_mutex_init(&b->upload_mu, NULL);
	atomic_init(&b->inflight, 0);
	if (path_fmt(pkg, sizeof(pkg), "%s/packages", conf->datadir) != AU_OK ||
	    path_fmt(b->blobs_dir, PATH_MAX, "%s/blobs", pkg) != AU_OK ||
	    path_fmt(b->index_dir, PATH_MAX, "%s/index", pkg) != AU_OK ||
	    path_fmt(b->uploads_dir, PATH_MAX, "%s/uploads", pkg) != AU_OK) {
		blobs_close(b);
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "blobs: %s: path too long", conf->datadir);
	}
	if ((st = fsutil_mkdirs(b->blobs_dir, 0750, err)) != AU_OK ||
	    (st = fsutil_mkdirs(b->index_dir, 0750, err)) != AU_OK ||
	    (st = fsutil_mkdirs(b->uploads_dir, 0700, err)) != AU_OK ||
	    (st = blobs_set_release_keys(
	         b, conf->release_keys, conf->nrelease_keys, err)) != AU_OK ||
	    (st = load_index(b, err)) != AU_OK) {
		blobs_close(b);
		au_err_prefix(err, "blobs");
		return st;
	}
	clean_dir(b->blobs_dir, 0);
	clean_dir(b->uploads_dir, 1);
	*out = b;
	return AU_OK;
}

void
blobs_close(struct blobs *b)
{
	if (b == NULL)
		return;
	table_free(b);
	free(b->keys);
	pthread_rwlock_destroy(&b->lock);
	pthread_mutex_destroy(&b->upload_mu);
	free(b);
}

enum au_status
blobs_set_release_keys(struct blobs *b, const uint8_t (*keys)[SIG_PUBKEY_BYTES],
    size_t n, struct au_err *err)
{
	uint8_t(*copy)[SIG_PUBKEY_BYTES] = NULL;

	if (n > 0) {
		if ((copy = calloc(n, SIG_PUBKEY_BYTES)) == NULL)
			return au_err_set(err, AU_RESOURCE_EXHAUSTED,
			    "release keys: no memory");
		memcpy(copy, keys, n * SIG_PUBKEY_BYTES);
	}
	pthread_rwlock_wrlock(&b->lock);
	free(b->keys);
	b->keys = copy;
	b->nkeys = n;
	pthread_rwlock_unlock(&b->lock);
	return AU_OK;
}

static enum au_status
load_index(struct blobs *b, struct au_err *err)
{
	struct dirent *de;
	DIR           *d;

	if ((d = opendir(b->index_dir)) == NULL)
		return au_err_set(err, fsutil_errno_status(errno), "%s: %s",
		    b->index_dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		load_agent(b, de->d_name);
	}
	closedir(d);
	log_debug("blobs: %zu packages in %s", b->nentries, b->index_dir);
	return AU_OK;
}

/* Load one agent's folder; an entry that does not check out is skipped
 * (and logged), never fatal: meta serves the rest. */
static void
load_agent(struct blobs *b, const char *agent)
{
	char           dir[PATH_MAX], path[PATH_MAX], version[PATH_MAX];
	struct au_err  e = AU_ERR_INIT;
	struct dirent *de;
	DIR           *d;
	size_t         n;

	if (path_fmt(dir, sizeof(dir), "%s/%s", b->index_dir, agent) != AU_OK ||
	    (d = opendir(dir)) == NULL)
		return;
	clean_dir(dir, 0);
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (has_suffix(de->d_name, ".meta") &&
		    path_fmt(path, sizeof(path), "%s/%.*s.sig", dir,
		        (int)(n - 5), de->d_name) == AU_OK &&
		    access(path, F_OK) != 0 &&
		    path_fmt(path, sizeof(path), "%s/%s", dir, de->d_name) ==
		        AU_OK) {
			/* A .meta whose .sig never landed: an upload that
			 * crashed before its commit point. */
			unlink(path);
			continue;
		}
		if (!has_suffix(de->d_name, ".sig") || n - 4 >= sizeof(version))
			continue;
		snprintf(
		    version, sizeof(version), "%.*s", (int)(n - 4), de->d_name);
		if (load_entry(b, agent, dir, version, &e) != AU_OK)
			log_warnx("blobs: agent %s %s: skipped: %s", agent,
			    version, au_err_str(&e));
	}
	closedir(d);
}

static enum au_status
load_entry(struct blobs *b, const char *agent, const char *dir,
    const char *version, struct au_err *err)
{
	char            path[PATH_MAX], *meta = NULL;
	uint8_t         pk[SIG_PUBKEY_BYTES];
	struct manifest m;
	struct stat     sb;
	struct entry   *e;
	enum au_status  st;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "no memory");
	if ((st = path_fmt(path, sizeof(path), "%s/%s.meta", dir, version)) ||
	    (st = fsutil_read_file(path, BLOBS_META_MAX, &meta, NULL, err)) ||
	    (st = parse_meta(meta, e, pk)) ||
	    (st = path_fmt(path, sizeof(path), "%s/%s.sig", dir, version)) ||
	    (st = fsutil_read_file(path, MANIFEST_MAX_BYTES, &e->manifest,
	         &e->manifest_len, err)) ||
	    (st = manifest_verify(
	         e->manifest, e->manifest_len, &pk, 1, &m, err)))
		goto out;
	if (strcmp(m.agent, agent) != 0 || strcmp(m.version, version) != 0) {
		st = au_err_set(err, AU_DATA_LOSS, "manifest names %s %s",
		    m.agent, m.version);
		goto out;
	}
	snprintf(e->agent, sizeof(e->agent), "%s", m.agent);
	snprintf(e->version, sizeof(e->version), "%s", m.version);
	e->size = m.size;
	memcpy(e->hash, m.hash, sizeof(e->hash));
	sig_hex_encode(
	    e->hash_hex, sizeof(e->hash_hex), m.hash, SIG_HASH_BYTES);
	memcpy(e->key_id, m.key_id, sizeof(e->key_id));
	if (path_fmt(path, sizeof(path), "%s/%s", b->blobs_dir, e->hash_hex) ||
	    stat(path, &sb) != 0 || (uint64_t)sb.st_size != e->size) {
		st = au_err_set(
		    err, AU_DATA_LOSS, "blob %s missing or short", e->hash_hex);
		goto out;
	}
	if ((st = table_insert(b, e)) == AU_OK)
		e = NULL;
out:
	if (st != AU_OK && err != NULL && err->code == AU_OK)
		au_err_set(err, st, "bad index files");
	if (e != NULL)
		free(e->manifest);
	free(e);
	free(meta);
	return st;
}

/* .meta: "uploaded_by NAME\nuploaded_ms N\nkey HEX\n". */
static enum au_status
parse_meta(const char *text, struct entry *e, uint8_t pk[SIG_PUBKEY_BYTES])
{
	const char *p, *nl;
	char        line[256];
	int         have_key = 0;

	for (p = text; *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		snprintf(line, sizeof(line), "%.*s", (int)(nl - p), p);
		if (strncmp(line, "uploaded_by ", 12) == 0)
			snprintf(e->who, sizeof(e->who), "%.*s", RPC_NAME_MAX,
			    line + 12);
		else if (strncmp(line, "uploaded_ms ", 12) == 0)
			e->uploaded_ms = strtoull(line + 12, NULL, 10);
		else if (strncmp(line, "key ", 4) == 0)
			have_key = sig_hex_decode(pk, SIG_PUBKEY_BYTES,
			               line + 4, NULL) == AU_OK;
	}
	return have_key ? AU_OK : AU_DATA_LOSS;
}

/* ------------------------------------------------------------ lookup */

enum au_status
blobs_lookup(struct blobs *b, const char *agent, const char *version,
    uint64_t *size, uint8_t hash[SIG_HASH_BYTES])
{
	struct entry *e;

	pthread_rwlock_rdlock(&b->lock);
	if ((e = table_find(b, agent, version)) != NULL) {
		if (size != NULL)
			*size = e->size;
		if (hash != NULL)
			memcpy(hash, e->hash, SIG_HASH_BYTES);
	}
	pthread_rwlock_unlock(&b->lock);
	return e != NULL ? AU_OK : AU_NOT_FOUND;
}

/* ------------------------------------------------------------ upload */

enum au_status
blobs_upload_chunk(struct blobs *b, const char *who, const void *manifest,
    size_t manifest_len, uint64_t offset, const void *data, size_t len,
    int finish, struct blobs_upload_result *res, struct au_err *err)
{
	struct au_err  e = AU_ERR_INIT;
	struct upload  u;
	enum au_status st;

	memset(res, 0, sizeof(*res));
	memset(&u, 0, sizeof(u));
	u.who = who != NULL ? who : "";
	u.manifest = manifest;
	u.manifest_len = manifest_len;
	if (len > RPC_CHUNK_BYTES)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "upload: chunk of %zu bytes exceeds %d", len,
		    RPC_CHUNK_BYTES);
	/* A local err: the log line needs the reason even when the caller
	 * passes NULL. */
	if ((st = check_manifest(b, &u, &e)) != AU_OK)
		goto out;
	memcpy(res->hash, u.m.hash, SIG_HASH_BYTES);
	snprintf(res->package_id, sizeof(res->package_id), "%s/%s", u.m.agent,
	    u.m.version);
	if ((st = check_existing(b, &u, res, &e)) != AU_OK ||
	    res->already_present)
		goto out;
	pthread_mutex_lock(&b->upload_mu);
	st = upload_locked(b, &u, offset, data, len, finish, res, &e);
	pthread_mutex_unlock(&b->upload_mu);
out:
	if (st != AU_OK && err != NULL)
		*err = e;
	return st;
}

static enum au_status
check_manifest(struct blobs *b, struct upload *u, struct au_err *err)
{
	enum au_status st;

	if (u->manifest_len == 0 || u->manifest_len > MANIFEST_MAX_BYTES)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "upload: manifest of %zu bytes (1..%d)", u->manifest_len,
		    MANIFEST_MAX_BYTES);
	pthread_rwlock_rdlock(&b->lock);
	st = manifest_verify(
	    u->manifest, u->manifest_len, b->keys, b->nkeys, &u->m, err);
	pthread_rwlock_unlock(&b->lock);
	if (st != AU_OK) {
		log_warnx("blobs: upload by %s: AU-SIG-REJECT: %s", u->who,
		    au_err_str(err));
		au_err_prefix(err, "upload");
		return st;
	}
	if ((st = manifest_check_name(u->m.agent, err)) != AU_OK ||
	    (st = manifest_check_version(u->m.version, err)) != AU_OK ||
	    (st = manifest_check(&u->m, u->m.agent, u->m.version,
	         (uint64_t)time(NULL), err)) != AU_OK) {
		au_err_prefix(err, "upload %s %s", u->m.agent, u->m.version);
		return st;
	}
	if (u->m.size > b->conf.max_package_bytes)
		return au_err_set(err, AU_RESOURCE_EXHAUSTED,
		    "upload %s %s: %" PRIu64
		    " bytes exceeds max_package_size %" PRIu64,
		    u->m.agent, u->m.version, u->m.size,
		    b->conf.max_package_bytes);
	sig_hex_encode(
	    u->hash_hex, sizeof(u->hash_hex), u->m.hash, SIG_HASH_BYTES);
	return path_fmt(u->part, sizeof(u->part), "%s/%s-%s-%s.part",
	    b->uploads_dir, u->m.agent, u->m.version, u->hash_hex);
}

/* AU_OK with already_present when the same bytes are stored; AU_OK and
 * nothing set when (agent, version) is new. */
static enum au_status
check_existing(struct blobs *b, const struct upload *u,
    struct blobs_upload_result *res, struct au_err *err)
{
	enum au_status st = AU_OK;
	struct entry  *e;

	pthread_rwlock_rdlock(&b->lock);
	if ((e = table_find(b, u->m.agent, u->m.version)) != NULL) {
		if (memcmp(e->hash, u->m.hash, SIG_HASH_BYTES) == 0) {
			res->already_present = 1;
			res->received = e->size;
		} else
			st = au_err_set(err, AU_ALREADY_EXISTS,
			    "upload %s %s: already stored with hash %s",
			    e->agent, e->version, e->hash_hex);
	}
	pthread_rwlock_unlock(&b->lock);
	return st;
}

static enum au_status
upload_locked(struct blobs *b, struct upload *u, uint64_t offset,
    const void *data, size_t len, int finish, struct blobs_upload_result *res,
    struct au_err *err)
{
	struct stat    sb;
	uint64_t       held = 0;
	enum au_status st;
	int            fd;

	/* Another upload of the same package may have finished meanwhile. */
	if ((st = check_existing(b, u, res, err)) != AU_OK ||
	    res->already_present)
		return st;
	fd = open(
	    u->part, O_RDWR | O_CLOEXEC | (offset == 0 ? O_CREAT : 0), 0600);
	if (fd < 0 && errno != ENOENT)
		return au_err_set(err, fsutil_errno_status(errno), "%s: %s",
		    u->part, strerror(errno));
	if (fd >= 0 && fstat(fd, &sb) == 0)
		held = (uint64_t)sb.st_size;
	res->received = held;
	if (offset > held) {
		st = au_err_set(err, AU_OUT_OF_RANGE,
		    "upload %s: offset %" PRIu64 " past %" PRIu64 " bytes held",
		    res->package_id, offset, held);
		goto out;
	}
	if (offset < held || fd < 0)
		goto out;
	if ((st = append_chunk(fd, u, offset, data, len, &held, err)) != AU_OK)
		goto drop;
	res->received = held;
	if (!finish)
		goto out;
	st = commit(b, u, fd, err);
	fd = -1; /* commit closed it */
	if (st != AU_OK)
		goto drop;
	res->stored = 1;
	goto out;
drop:
	if (st == AU_INVALID_ARGUMENT) {
		unlink(u->part);
		res->received = 0;
	}
out:
	if (fd >= 0)
		close(fd);
	return st;
}

static enum au_status
append_chunk(int fd, const struct upload *u, uint64_t offset, const void *data,
    size_t len, uint64_t *held, struct au_err *err)
{
	const uint8_t *p = data;
	ssize_t        n;
	size_t         done = 0;

	if (offset + len > u->m.size)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "upload %s %s: data past the manifest's %" PRIu64 " bytes",
		    u->m.agent, u->m.version, u->m.size);
	while (done < len) {
		n = pwrite(fd, p + done, len - done, (off_t)(offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return au_err_set(err, fsutil_errno_status(errno),
			    "%s: write: %s", u->part, strerror(errno));
		done += (size_t)n;
	}
	*held = offset + len;
	return AU_OK;
}

static enum au_status
hash_fd(int fd, uint8_t out[SIG_HASH_BYTES])
{
	struct sig_hash_state *hs;
	uint8_t               *buf;
	uint64_t               off = 0;
	ssize_t                n;

	hs = sig_hash_new();
	buf = malloc(256 * 1024);
	if (hs == NULL || buf == NULL) {
		sig_hash_free(hs);
		free(buf);
		return AU_RESOURCE_EXHAUSTED;
	}
	while ((n = pread(fd, buf, 256 * 1024, (off_t)off)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		sig_hash_update(hs, buf, (size_t)n);
		off += (uint64_t)n;
	}
	sig_hash_final(hs, out);
	sig_hash_free(hs);
	free(buf);
	return n < 0 ? fsutil_errno_status(errno) : AU_OK;
}

/* Verify the partial against the manifest and make it a package; closes
 * fd whatever happens. */
static enum au_status
commit(struct blobs *b, struct upload *u, int fd, struct au_err *err)
{
	char           blob[PATH_MAX], detail[256];
	uint8_t        got[SIG_HASH_BYTES];
	struct entry  *e = NULL;
	struct stat    sb;
	enum au_status st;
	uint64_t       ms = timeutil_wall_ms();

	memset(&sb, 0, sizeof(sb));
	if (fstat(fd, &sb) != 0 || (uint64_t)sb.st_size != u->m.size)
		st = au_err_set(err, AU_INVALID_ARGUMENT,
		    "upload %s %s: finished with %jd of %" PRIu64 " bytes",
		    u->m.agent, u->m.version, (intmax_t)sb.st_size, u->m.size);
	else if ((st = hash_fd(fd, got)) != AU_OK)
		au_err_set(err, st, "%s: read: %s", u->part, strerror(errno));
	else if (sig_memcmp(got, u->m.hash, SIG_HASH_BYTES) != 0)
		st = au_err_set(err, AU_INVALID_ARGUMENT,
		    "upload %s %s: bytes do not match the manifest's hash",
		    u->m.agent, u->m.version);
	else if (fchmod(fd, 0444) != 0 || fsync(fd) != 0)
		st = au_err_set(err, fsutil_errno_status(errno),
		    "%s: fsync: %s", u->part, strerror(errno));
	close(fd);
	if (st != AU_OK)
		return st;
	if ((st = path_fmt(blob, sizeof(blob), "%s/%s", b->blobs_dir,
	         u->hash_hex)) != AU_OK)
		return au_err_set(err, st, "%s: path too long", b->blobs_dir);
	/* An identical blob (another agent or version) may exist: keep it. */
	if (access(blob, F_OK) == 0 ? unlink(u->part) != 0
	                            : rename(u->part, blob) != 0)
		return au_err_set(err, fsutil_errno_status(errno), "%s: %s",
		    blob, strerror(errno));
	if ((st = fsutil_fsync_dir(b->blobs_dir, err)) != AU_OK ||
	    (st = write_index(b, u, ms, err)) != AU_OK)
		return st;
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->manifest = malloc(u->manifest_len)) == NULL) {
		free(e);
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "no memory");
	}
	snprintf(e->agent, sizeof(e->agent), "%s", u->m.agent);
	snprintf(e->version, sizeof(e->version), "%s", u->m.version);
	e->size = u->m.size;
	memcpy(e->hash, u->m.hash, SIG_HASH_BYTES);
	memcpy(e->hash_hex, u->hash_hex, sizeof(e->hash_hex));
	memcpy(e->key_id, u->m.key_id, sizeof(e->key_id));
	snprintf(e->who, sizeof(e->who), "%s", u->who);
	e->uploaded_ms = ms;
	memcpy(e->manifest, u->manifest, u->manifest_len);
	e->manifest_len = u->manifest_len;
	pthread_rwlock_wrlock(&b->lock);
	st = table_insert(b, e);
	pthread_rwlock_unlock(&b->lock);
	if (st != AU_OK) {
		free(e->manifest);
		free(e);
		return au_err_set(err, st, "no memory");
	}
	snprintf(detail, sizeof(detail), "%s %s hash %s key %s size %" PRIu64,
	    u->m.agent, u->m.version, u->hash_hex, u->m.key_id, u->m.size);
	log_info("blobs: package %s %s stored by %s: hash %s key %s",
	    u->m.agent, u->m.version, u->who, u->hash_hex, u->m.key_id);
	if (b->conf.audit != NULL)
		b->conf.audit(b->conf.audit_arg, u->who, "upload", detail);
	return AU_OK;
}

/* The .meta, then the .sig: the .sig is the commit point. */
static enum au_status
write_index(
    struct blobs *b, const struct upload *u, uint64_t ms, struct au_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX], sig[PATH_MAX];
	char meta[BLOBS_META_MAX], who[RPC_NAME_MAX + 1],
	    pkhex[2 * SIG_PUBKEY_BYTES + 1];
	enum au_status st;
	size_t         i;

	snprintf(who, sizeof(who), "%s", u->who != NULL ? u->who : "");
	for (i = 0; who[i] != '\0'; i++)
		if ((unsigned char)who[i] < 0x20)
			who[i] = '?';
	sig_hex_encode(pkhex, sizeof(pkhex), u->m.key_pub, SIG_PUBKEY_BYTES);
	snprintf(meta, sizeof(meta),
	    "uploaded_by %s\nuploaded_ms %" PRIu64 "\nkey %s\n", who, ms,
	    pkhex);
	if (path_fmt(dir, sizeof(dir), "%s/%s", b->index_dir, u->m.agent) ||
	    path_fmt(path, sizeof(path), "%s/%s.meta", dir, u->m.version) ||
	    path_fmt(sig, sizeof(sig), "%s/%s.sig", dir, u->m.version))
		return au_err_set(err, AU_INVALID_ARGUMENT, "%s: path too long",
		    b->index_dir);
	if ((st = fsutil_mkdirs(dir, 0750, err)) != AU_OK ||
	    (st = fsutil_fsync_dir(b->index_dir, err)) != AU_OK ||
	    (st = fsutil_write_atomic(path, meta, strlen(meta), 0640, err)) !=
	        AU_OK)
		return st;
	return fsutil_write_atomic(
	    sig, u->manifest, u->manifest_len, 0644, err);
}

/* ------------------------------------------------------------ download */

enum au_status
blobs_download_begin(
    struct blobs *b, uint32_t *retry_after_ms, struct au_err *err)
{
	uint32_t max = b->conf.max_downloads, base = b->conf.retry_after_ms;

	if (atomic_fetch_add(&b->inflight, 1) < max)
		return AU_OK;
	atomic_fetch_sub(&b->inflight, 1);
	/* Jitter spreads the retries of a crowd refused at once. */
	*retry_after_ms = base + sig_random_uniform(base / 2 + 1);
	return au_err_set(err, AU_RESOURCE_EXHAUSTED,
	    "too many downloads in flight (%u); retry after %u ms", max,
	    *retry_after_ms);
}

void
blobs_download_end(struct blobs *b)
{
	atomic_fetch_sub(&b->inflight, 1);
}

static enum au_status
pread_all(int fd, uint8_t *buf, size_t len, uint64_t off, size_t *got)
{
	ssize_t n;

	*got = 0;
	while (*got < len) {
		n = pread(fd, buf + *got, len - *got, (off_t)(off + *got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fsutil_errno_status(errno);
		if (n == 0)
			return AU_DATA_LOSS;
		*got += (size_t)n;
	}
	return AU_OK;
}

enum au_status
blobs_read_chunk(struct blobs *b, const char *agent, const char *version,
    uint64_t offset, uint32_t length, uint8_t *buf, size_t bufsz,
    struct blobs_chunk *out, struct au_err *err)
{
	char           path[PATH_MAX];
	struct entry  *e;
	enum au_status st;
	size_t         want;
	int            fd;

	memset(out, 0, sizeof(*out));
	pthread_rwlock_rdlock(&b->lock);
	e = table_find(b, agent, version);
	pthread_rwlock_unlock(&b->lock);
	if (e == NULL)
		return au_err_set(err, AU_NOT_FOUND, "package %s %s: not found",
		    agent, version);
	if (offset > e->size)
		return au_err_set(err, AU_OUT_OF_RANGE,
		    "package %s %s: offset %" PRIu64 " past its %" PRIu64
		    " bytes",
		    agent, version, offset, e->size);
	want =
	    length == 0 || length > RPC_CHUNK_BYTES ? RPC_CHUNK_BYTES : length;
	if (want > bufsz)
		want = bufsz;
	if (want > e->size - offset)
		want = (size_t)(e->size - offset);
	out->manifest = e->manifest;
	out->manifest_len = e->manifest_len;
	out->size = e->size;
	out->offset = offset;
	if (want == 0)
		return AU_OK;
	if (path_fmt(path, sizeof(path), "%s/%s", b->blobs_dir, e->hash_hex))
		return au_err_set(err, AU_INTERNAL, "blob path too long");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return au_err_set(err, AU_DATA_LOSS, "package %s %s: %s: %s",
		    agent, version, path, strerror(errno));
	st = pread_all(fd, buf, want, offset, &out->len);
	close(fd);
	if (st != AU_OK)
		return au_err_set(err, st, "package %s %s: read %s failed",
		    agent, version, path);
	return AU_OK;
}
