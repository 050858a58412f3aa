/* SPDX-License-Identifier: MIT */
/*
 * fsutil: file-system helpers that must be right once: atomic writes
 * (temporary file, fsync, rename, fsync of the directory), bounded reads,
 * safe path joins, permission checks for secret files, recursive mkdir and
 * removal.  All functions block on file I/O.
 */
#ifndef AU_FSUTIL_H
#define AU_FSUTIL_H

#include <sys/types.h>

#include <stddef.h>

#include "err.h"

/* Write data to path atomically with the given mode: a crash leaves either
 * the old file or the new one.  ENOSPC gives AU_RESOURCE_EXHAUSTED. */
enum au_status fsutil_write_atomic(const char *path, const void *data,
    size_t len, mode_t mode, struct au_err *err);

/* Read a whole file of at most max bytes into a new NUL-terminated buffer
 * that the caller frees with free().  AU_NOT_FOUND when missing,
 * AU_OUT_OF_RANGE when larger than max. */
enum au_status fsutil_read_file(
    const char *path, size_t max, char **out, size_t *lenp, struct au_err *err);

/* fsync the directory that contains path (or path itself when it is a
 * directory). */
enum au_status fsutil_fsync_dir(const char *dir, struct au_err *err);

/* Join dir and name into out.  name must be one path component: no '/',
 * not "." or "..", not empty (AU_INVALID_ARGUMENT).  AU_OUT_OF_RANGE when
 * out is too small. */
enum au_status fsutil_join(char *out, size_t outsz, const char *dir,
    const char *name, struct au_err *err);

/* AU_PERMISSION_DENIED when path is readable or writable by group or
 * others (a private key file must not be). */
enum au_status fsutil_check_secret(const char *path, struct au_err *err);

/* mkdir -p with mode for the directories it creates. */
enum au_status fsutil_mkdirs(const char *path, mode_t mode, struct au_err *err);

/* rm -rf path, not following symlinks; a missing path is AU_OK. */
enum au_status fsutil_remove_tree(const char *path, struct au_err *err);

/* Map an errno value to a status (ENOENT -> AU_NOT_FOUND, ENOSPC ->
 * AU_RESOURCE_EXHAUSTED, EACCES -> AU_PERMISSION_DENIED, ...). */
enum au_status fsutil_errno_status(int e);

#endif
