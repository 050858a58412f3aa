/* SPDX-License-Identifier: MIT */
/*
 * spool: reports that could not be sent, kept in a small file in the
 * state directory and sent again later, oldest first, so meta's record of
 * what happened on this host is complete.  The file holds at most
 * SPOOL_MAX_REPORTS; beyond that the oldest are dropped (and logged).
 * Format: "AUSPOOL1\n", then per report a 4-byte big-endian length and a
 * packed au.v1.ReportRequest.  Every change rewrites the file atomically.
 * All functions block on file I/O.
 */
#ifndef AU_SPOOL_H
#define AU_SPOOL_H

#include <stddef.h>

#include "err.h"
#include "report.h"

#define SPOOL_MAX_REPORTS 64

/* Load the spool at path into a new array (*out, *n) the caller frees
 * with free(); a missing file is an empty spool (AU_OK, *out NULL).
 * AU_DATA_LOSS when the file is corrupt (the records before the damage
 * are returned). */
enum au_status spool_load(
    const char *path, struct report **out, size_t *n, struct au_err *err);

/* Replace the spool with reps[0..n) (the newest SPOOL_MAX_REPORTS);
 * n == 0 removes the file. */
enum au_status spool_save(
    const char *path, const struct report *reps, size_t n, struct au_err *err);

/* Append one report. */
enum au_status spool_add(
    const char *path, const struct report *rep, struct au_err *err);

#endif
