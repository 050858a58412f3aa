/* SPDX-License-Identifier: MIT */
/*
 * extract: reading release tarballs with libarchive; the only file that
 * includes archive.h.  One walk over the archive serves both inspection
 * (metactl sign) and extraction (the updater).  Every entry is checked by
 * us before libarchive sees it: a plain relative path without "..", a
 * regular file, directory or symlink (never a hard link, device, FIFO or
 * socket), no setuid/setgid/sticky bits, and a symlink target that stays
 * inside the tree when resolved lexically from the entry's directory.
 * libarchive's secure flags are a second line behind that (they refuse,
 * among others, writing through a symlink).
 *
 * Entries are written to dest + "/" + name with dest made canonical by
 * realpath(): no chdir (process-global), and no symlink in the prefix for
 * ARCHIVE_EXTRACT_SECURE_SYMLINKS to trip on.  Because the joined path is
 * absolute, ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS cannot be set; absolute
 * names are refused by check_path() before the join instead.
 *
 * Bytes are counted as data blocks are written, and an entry whose
 * declared size would pass the limit is refused before any of it is
 * decompressed, so a tarball bomb stops at once.
 */
#include "extract.h"

#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

#define EXTRACT_BLOCK (64 * 1024)
#define EXTRACT_NAME_SHOW 96 /* characters of a name in messages */

#define EXTRACT_DISK_FLAGS                                                   \
	(ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS | \
	    ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM)

struct walk {
	struct archive              *r;
	struct archive              *w;    /* NULL when only inspecting */
	const char                  *dest; /* canonical, when extracting */
	const struct extract_limits *limits;
	struct extract_info          info;
	char                       **links; /* symlinks seen, normalized */
	size_t                       nlinks;
	size_t                       caplinks;
};

static const char    *next_component(const char **p, size_t *len);
static enum au_status open_reader(
    int fd, struct archive **out, struct au_err *err);
static enum au_status check_path(const char *path, char *norm, size_t normsz,
    int *dirdepth, struct au_err *err);
static enum au_status check_symlink(
    const char *name, const char *target, int dirdepth, struct au_err *err);
static enum au_status check_entry(struct walk *wk, struct archive_entry *e,
    char *norm, size_t normsz, struct au_err *err);
static enum au_status count_entry(struct walk *wk, struct archive_entry *e,
    const char *norm, struct au_err *err);
static enum au_status write_entry(struct walk *wk, struct archive_entry *e,
    const char *norm, struct au_err *err);
static enum au_status copy_data(
    struct walk *wk, const char *norm, struct au_err *err);
static enum au_status walk_all(struct walk *wk, struct au_err *err);
static enum au_status check_links(
    struct walk *wk, const char *norm, int is_link, struct au_err *err);
static void           walk_fini(struct walk *wk);
static enum au_status disk_error(
    struct archive *w, const char *norm, struct au_err *err);

static enum au_status
open_reader(int fd, struct archive **out, struct au_err *err)
{
	struct archive *r;

	*out = NULL;
	if (lseek(fd, 0, SEEK_SET) != 0)
		return au_err_set(err, fsutil_errno_status(errno),
		    "extract: seek: %s", strerror(errno));
	if ((r = archive_read_new()) == NULL)
		return au_err_set(
		    err, AU_RESOURCE_EXHAUSTED, "extract: out of memory");
	/* The compressions we build in; never an external program. */
	archive_read_support_filter_gzip(r);
	archive_read_support_filter_xz(r);
	archive_read_support_filter_zstd(r);
	archive_read_support_filter_bzip2(r);
	archive_read_support_format_tar(r);
	if (archive_read_open_fd(r, fd, EXTRACT_BLOCK) != ARCHIVE_OK) {
		au_err_set(err, AU_DATA_LOSS, "extract: not a tarball: %s",
		    archive_error_string(r));
		archive_read_free(r);
		return AU_DATA_LOSS;
	}
	*out = r;
	return AU_OK;
}

/*
 * The next component of the path at *p, skipping empty ones and ".":
 * returns its start (not NUL-terminated, *len bytes) and advances *p past
 * it, or returns NULL at the end.
 */
static const char *
next_component(const char **p, size_t *len)
{
	const char *c;

	for (;;) {
		c = *p;
		while (**p != '\0' && **p != '/')
			(*p)++;
		*len = (size_t)(*p - c);
		if (**p == '/')
			(*p)++;
		else if (*len == 0)
			return NULL;
		if (*len != 0 && !(*len == 1 && c[0] == '.'))
			return c;
	}
}

/*
 * A relative path of components, none of them "..": copied into norm
 * without a leading "./" or trailing "/".  "" (the archive's root, "./")
 * is allowed.  *dirdepth is the number of real components before the last.
 */
static enum au_status
check_path(const char *path, char *norm, size_t normsz, int *dirdepth,
    struct au_err *err)
{
	const char *p = path, *c;
	size_t      n = 0, len;
	int         depth = 0;

	if (path[0] == '/')
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "absolute path \"%.*s\"", EXTRACT_NAME_SHOW, path);
	norm[0] = '\0';
	while ((c = next_component(&p, &len)) != NULL) {
		if (len == 2 && c[0] == '.' && c[1] == '.')
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "\"..\" in path \"%.*s\"", EXTRACT_NAME_SHOW, path);
		if (n + len + 2 > normsz)
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "path too long \"%.*s\"", EXTRACT_NAME_SHOW, path);
		if (n > 0) {
			norm[n++] = '/';
			depth++;
		}
		memcpy(norm + n, c, len);
		n += len;
		norm[n] = '\0';
	}
	*dirdepth = depth;
	return AU_OK;
}

/*
 * A symlink target must be relative, and resolved lexically from the
 * link's directory must stay inside the tree.  ".." is allowed only as a
 * leading run: after a real component, that component may itself be a
 * symlink and ".." would climb from wherever it points.
 */
static enum au_status
check_symlink(
    const char *name, const char *target, int dirdepth, struct au_err *err)
{
	const char *p = target, *c;
	size_t      len;
	int         depth = dirdepth, down = 0;

	if (target[0] == '\0' || target[0] == '/')
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "symlink \"%.*s\" -> \"%.*s\" points outside",
		    EXTRACT_NAME_SHOW, name, EXTRACT_NAME_SHOW, target);
	while ((c = next_component(&p, &len)) != NULL) {
		if (len == 2 && c[0] == '.' && c[1] == '.') {
			if (down || --depth < 0)
				return au_err_set(err, AU_INVALID_ARGUMENT,
				    "symlink \"%.*s\" -> \"%.*s\" points "
				    "outside",
				    EXTRACT_NAME_SHOW, name, EXTRACT_NAME_SHOW,
				    target);
		} else
			down = 1;
	}
	return AU_OK;
}

static enum au_status
check_entry(struct walk *wk, struct archive_entry *e, char *norm, size_t normsz,
    struct au_err *err)
{
	const char *path = archive_entry_pathname(e);
	const char *target;
	mode_t      type = archive_entry_filetype(e);
	int         depth = 0;

	if (path == NULL)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "entry without a "
		    "name");
	if (check_path(path, norm, normsz, &depth, err) != AU_OK)
		return AU_INVALID_ARGUMENT;
	if (archive_entry_hardlink(e) != NULL)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "\"%.*s\": hard links are refused", EXTRACT_NAME_SHOW,
		    path);
	if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "\"%.*s\": devices, FIFOs and sockets are refused",
		    EXTRACT_NAME_SHOW, path);
	if (archive_entry_mode(e) & (S_ISUID | S_ISGID | S_ISVTX))
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "\"%.*s\": setuid, setgid and sticky bits are refused",
		    EXTRACT_NAME_SHOW, path);
	if (norm[0] == '\0' && type != AE_IFDIR)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "\"%.*s\": the root must be a directory", EXTRACT_NAME_SHOW,
		    path);
	if (type == AE_IFREG && archive_entry_sparse_count(e) > 0)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "\"%.*s\": sparse files are refused", EXTRACT_NAME_SHOW,
		    path);
	if (check_links(wk, norm, type == AE_IFLNK, err) != AU_OK)
		return AU_INVALID_ARGUMENT;
	if (type != AE_IFLNK)
		return AU_OK;
	if ((target = archive_entry_symlink(e)) == NULL)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "\"%.*s\": symlink without a target", EXTRACT_NAME_SHOW,
		    path);
	return check_symlink(path, target, depth, err);
}

/*
 * No entry may be written through a symlink an earlier entry made (a
 * second line behind libarchive's SECURE_SYMLINKS, so that inspection
 * refuses it too); remember is_link entries.  Quadratic in the number of
 * symlinks, which the entry limit bounds.
 */
static enum au_status
check_links(struct walk *wk, const char *norm, int is_link, struct au_err *err)
{
	size_t i, n;
	char **p;

	for (i = 0; i < wk->nlinks; i++) {
		n = strlen(wk->links[i]);
		if (strncmp(norm, wk->links[i], n) == 0 && norm[n] == '/')
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "\"%.*s\": through the symlink \"%.*s\"",
			    EXTRACT_NAME_SHOW, norm, EXTRACT_NAME_SHOW,
			    wk->links[i]);
	}
	if (!is_link)
		return AU_OK;
	if (wk->nlinks == wk->caplinks) {
		n = wk->caplinks ? 2 * wk->caplinks : 16;
		if ((p = reallocarray(wk->links, n, sizeof(*p))) == NULL)
			return au_err_set(
			    err, AU_RESOURCE_EXHAUSTED, "out of memory");
		wk->links = p;
		wk->caplinks = n;
	}
	if ((wk->links[wk->nlinks] = strdup(norm)) == NULL)
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	wk->nlinks++;
	return AU_OK;
}

static void
walk_fini(struct walk *wk)
{
	size_t i;

	for (i = 0; i < wk->nlinks; i++)
		free(wk->links[i]);
	free(wk->links);
	if (wk->w != NULL)
		archive_write_free(wk->w);
	if (wk->r != NULL)
		archive_read_free(wk->r);
}

/* Count the entry and its declared size against the limits, before any of
 * its data is read. */
static enum au_status
count_entry(struct walk *wk, struct archive_entry *e, const char *norm,
    struct au_err *err)
{
	const struct extract_limits *l = wk->limits;
	int64_t                      size = archive_entry_size(e);

	wk->info.entries++;
	if (l != NULL && l->max_entries != 0 &&
	    wk->info.entries > l->max_entries)
		return au_err_set(err, AU_OUT_OF_RANGE,
		    "more than %llu entries",
		    (unsigned long long)l->max_entries);
	if (archive_entry_filetype(e) != AE_IFREG)
		return AU_OK;
	if (strcmp(norm, "control") == 0 && (archive_entry_mode(e) & 0111) != 0)
		wk->info.has_control = 1;
	if (size <= 0)
		return AU_OK;
	if (l != NULL && l->max_unpacked_size != 0 &&
	    (uint64_t)size > l->max_unpacked_size - wk->info.unpacked_size)
		return au_err_set(err, AU_OUT_OF_RANGE,
		    "\"%.*s\": unpacked size over the limit of %llu bytes",
		    EXTRACT_NAME_SHOW, norm,
		    (unsigned long long)l->max_unpacked_size);
	return AU_OK;
}

static enum au_status
disk_error(struct archive *w, const char *norm, struct au_err *err)
{
	int            e = archive_errno(w);
	enum au_status st = AU_INVALID_ARGUMENT;

	/* libarchive's own refusals (through a symlink, "..") carry no
	 * errno or ARCHIVE_ERRNO_MISC; real I/O errors map as errno does. */
	if (e == ENOSPC || e == EDQUOT)
		st = AU_RESOURCE_EXHAUSTED;
	else if (e == EIO || e == EROFS)
		st = fsutil_errno_status(e);
	return au_err_set(err, st, "\"%.*s\": %s", EXTRACT_NAME_SHOW, norm,
	    archive_error_string(w) ? archive_error_string(w) : "write failed");
}

static enum au_status
copy_data(struct walk *wk, const char *norm, struct au_err *err)
{
	const struct extract_limits *l = wk->limits;
	const void                  *buf;
	size_t                       size;
	la_int64_t                   off;
	int                          rc;

	for (;;) {
		rc = archive_read_data_block(wk->r, &buf, &size, &off);
		if (rc == ARCHIVE_EOF)
			return AU_OK;
		if (rc != ARCHIVE_OK)
			return au_err_set(err, AU_DATA_LOSS, "\"%.*s\": %s",
			    EXTRACT_NAME_SHOW, norm,
			    archive_error_string(wk->r));
		if (l != NULL && l->max_unpacked_size != 0 &&
		    size > l->max_unpacked_size - wk->info.unpacked_size)
			return au_err_set(err, AU_OUT_OF_RANGE,
			    "\"%.*s\": unpacked size over the limit of %llu "
			    "bytes",
			    EXTRACT_NAME_SHOW, norm,
			    (unsigned long long)l->max_unpacked_size);
		wk->info.unpacked_size += size;
		if (wk->w != NULL && archive_write_data_block(
		                         wk->w, buf, size, off) != ARCHIVE_OK)
			return disk_error(wk->w, norm, err);
	}
}

static enum au_status
write_entry(struct walk *wk, struct archive_entry *e, const char *norm,
    struct au_err *err)
{
	char           path[PATH_MAX];
	enum au_status st;
	size_t         n;

	/* The root entry ("./") is dest itself, which exists. */
	if (norm[0] == '\0') {
		archive_read_data_skip(wk->r);
		return AU_OK;
	}
	n = strlen(wk->dest) + 1 + strlen(norm);
	if (n >= sizeof(path))
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "\"%.*s\": path too long", EXTRACT_NAME_SHOW, norm);
	memcpy(path, wk->dest, strlen(wk->dest));
	path[strlen(wk->dest)] = '/';
	memcpy(path + strlen(wk->dest) + 1, norm, strlen(norm) + 1);
	archive_entry_set_pathname(e, path);
	if (archive_write_header(wk->w, e) != ARCHIVE_OK)
		return disk_error(wk->w, norm, err);
	if ((st = copy_data(wk, norm, err)) != AU_OK)
		return st;
	if (archive_write_finish_entry(wk->w) != ARCHIVE_OK)
		return disk_error(wk->w, norm, err);
	return AU_OK;
}

static enum au_status
walk_all(struct walk *wk, struct au_err *err)
{
	struct archive_entry *e;
	char                  norm[PATH_MAX];
	enum au_status        st;
	int                   rc;

	for (;;) {
		rc = archive_read_next_header(wk->r, &e);
		if (rc == ARCHIVE_EOF)
			return AU_OK;
		if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
			return au_err_set(err, AU_DATA_LOSS,
			    "corrupt archive: %s", archive_error_string(wk->r));
		if ((st = check_entry(wk, e, norm, sizeof(norm), err)) !=
		        AU_OK ||
		    (st = count_entry(wk, e, norm, err)) != AU_OK)
			return st;
		if (wk->w != NULL)
			st = write_entry(wk, e, norm, err);
		else
			st = copy_data(wk, norm, err);
		if (st != AU_OK)
			return st;
	}
}

enum au_status
extract_inspect(int fd, struct extract_info *info, struct au_err *err)
{
	struct walk    wk;
	enum au_status st;

	memset(&wk, 0, sizeof(wk));
	if ((st = open_reader(fd, &wk.r, err)) != AU_OK)
		return st;
	if ((st = walk_all(&wk, err)) == AU_OK)
		*info = wk.info;
	else
		au_err_prefix(err, "extract");
	walk_fini(&wk);
	return st;
}

enum au_status
extract_to(int fd, const char *dest, const struct extract_limits *limits,
    struct au_err *err)
{
	struct walk    wk;
	char           real[PATH_MAX];
	enum au_status st;

	memset(&wk, 0, sizeof(wk));
	if (realpath(dest, real) == NULL)
		return au_err_set(err, fsutil_errno_status(errno),
		    "extract: %s: %s", dest, strerror(errno));
	wk.dest = real;
	wk.limits = limits;
	if ((st = open_reader(fd, &wk.r, err)) != AU_OK)
		return st;
	if ((wk.w = archive_write_disk_new()) == NULL) {
		walk_fini(&wk);
		return au_err_set(
		    err, AU_RESOURCE_EXHAUSTED, "extract: out of memory");
	}
	archive_write_disk_set_options(wk.w, EXTRACT_DISK_FLAGS);
	if ((st = walk_all(&wk, err)) != AU_OK)
		au_err_prefix(err, "extract");
	else if (archive_write_close(wk.w) != ARCHIVE_OK)
		st = disk_error(wk.w, ".", err);
	walk_fini(&wk);
	return st;
}
