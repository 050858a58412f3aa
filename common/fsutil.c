/* SPDX-License-Identifier: MIT */
/*
 * fsutil: atomic writes, bounded reads, safe joins and tree removal.
 */
#include "fsutil.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static enum au_status write_all(int fd, const void *data, size_t len);

enum au_status
fsutil_errno_status(int e)
{
	switch (e) {
	case 0:
		return AU_OK;
	case ENOENT:
	case ENOTDIR:
		return AU_NOT_FOUND;
	case EEXIST:
	case ENOTEMPTY:
		return AU_ALREADY_EXISTS;
	case EACCES:
	case EPERM:
	case EROFS:
		return AU_PERMISSION_DENIED;
	case ENOSPC:
	case EDQUOT:
	case ENOMEM:
	case EMFILE:
	case ENFILE:
		return AU_RESOURCE_EXHAUSTED;
	case EINVAL:
	case ENAMETOOLONG:
	case ELOOP:
		return AU_INVALID_ARGUMENT;
	default:
		return AU_INTERNAL;
	}
}

static enum au_status
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t     n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return fsutil_errno_status(errno);
		}
		p += n;
		len -= (size_t)n;
	}
	return AU_OK;
}

enum au_status
fsutil_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
    struct au_err *err)
{
	char           tmp[PATH_MAX];
	int            fd, e;
	enum au_status st;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "%s: path too long", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) <
	    0)
		return au_err_set(err, fsutil_errno_status(errno), "%s: %s",
		    tmp, strerror(errno));
	if ((st = write_all(fd, data, len)) != AU_OK || fchmod(fd, mode) != 0 ||
	    fsync(fd) != 0) {
		e = errno;
		close(fd);
		unlink(tmp);
		if (st == AU_OK)
			st = fsutil_errno_status(e);
		return au_err_set(err, st, "%s: write: %s", tmp, strerror(e));
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		return au_err_set(
		    err, fsutil_errno_status(e), "%s: %s", path, strerror(e));
	}
	return fsutil_fsync_dir(path, err);
}

enum au_status
fsutil_read_file(
    const char *path, size_t max, char **out, size_t *lenp, struct au_err *err)
{
	struct stat sb;
	char       *buf;
	size_t      off = 0;
	ssize_t     n;
	int         fd;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return au_err_set(err, fsutil_errno_status(errno), "%s: %s",
		    path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "%s: not a regular file", path);
	}
	if ((size_t)sb.st_size > max) {
		close(fd);
		return au_err_set(err, AU_OUT_OF_RANGE,
		    "%s: larger than %zu bytes", path, max);
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		close(fd);
		return au_err_set(
		    err, AU_RESOURCE_EXHAUSTED, "%s: no memory", path);
	}
	while (off < (size_t)sb.st_size) {
		n = read(fd, buf + off, (size_t)sb.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	*out = buf;
	if (lenp != NULL)
		*lenp = off;
	return AU_OK;
}

enum au_status
fsutil_fsync_dir(const char *path, struct au_err *err)
{
	char        copy[PATH_MAX];
	const char *dir = path;
	struct stat sb;
	int         fd;

	if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		snprintf(copy, sizeof(copy), "%s", path);
		dir = dirname(copy);
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return au_err_set(err, fsutil_errno_status(errno), "%s: %s",
		    dir, strerror(errno));
	if (fsync(fd) != 0 && errno != EINVAL) {
		close(fd);
		return au_err_set(err, fsutil_errno_status(errno),
		    "%s: fsync: %s", dir, strerror(errno));
	}
	close(fd);
	return AU_OK;
}

enum au_status
fsutil_join(char *out, size_t outsz, const char *dir, const char *name,
    struct au_err *err)
{
	if (name[0] == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "'%s': not a single path component", name);
	if (snprintf(out, outsz, "%s/%s", dir, name) >= (int)outsz)
		return au_err_set(
		    err, AU_OUT_OF_RANGE, "%s/%s: path too long", dir, name);
	return AU_OK;
}

enum au_status
fsutil_check_secret(const char *path, struct au_err *err)
{
	struct stat sb;

	if (stat(path, &sb) != 0)
		return au_err_set(err, fsutil_errno_status(errno), "%s: %s",
		    path, strerror(errno));
	if (sb.st_mode & (S_IRWXG | S_IRWXO))
		return au_err_set(err, AU_PERMISSION_DENIED,
		    "%s: private key is accessible by group or others "
		    "(mode %03o; chmod 600 it)",
		    path, (unsigned)(sb.st_mode & 0777));
	return AU_OK;
}

enum au_status
fsutil_mkdirs(const char *path, mode_t mode, struct au_err *err)
{
	char   buf[PATH_MAX];
	char  *p;
	size_t len;

	if ((len = strlen(path)) == 0 || len >= sizeof(buf))
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "'%s': bad path", path);
	memcpy(buf, path, len + 1);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return au_err_set(err, fsutil_errno_status(errno),
			    "mkdir %s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, mode) != 0 && errno != EEXIST)
		return au_err_set(err, fsutil_errno_status(errno),
		    "mkdir %s: %s", buf, strerror(errno));
	return AU_OK;
}

enum au_status
fsutil_remove_tree(const char *path, struct au_err *err)
{
	struct stat    sb;
	DIR           *d;
	struct dirent *de;
	char           child[PATH_MAX];
	enum au_status st = AU_OK;

	if (lstat(path, &sb) != 0)
		return errno == ENOENT
		           ? AU_OK
		           : au_err_set(err, fsutil_errno_status(errno),
		                 "%s: %s", path, strerror(errno));
	if (!S_ISDIR(sb.st_mode)) {
		if (unlink(path) != 0)
			return au_err_set(err, fsutil_errno_status(errno),
			    "unlink %s: %s", path, strerror(errno));
		return AU_OK;
	}
	if ((d = opendir(path)) == NULL)
		return au_err_set(err, fsutil_errno_status(errno), "%s: %s",
		    path, strerror(errno));
	while (st == AU_OK && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(child, sizeof(child), "%s/%s", path, de->d_name) >=
		    (int)sizeof(child))
			st = au_err_set(
			    err, AU_OUT_OF_RANGE, "%s: path too long", path);
		else
			st = fsutil_remove_tree(child, err);
	}
	closedir(d);
	if (st == AU_OK && rmdir(path) != 0)
		st = au_err_set(err, fsutil_errno_status(errno), "rmdir %s: %s",
		    path, strerror(errno));
	return st;
}
