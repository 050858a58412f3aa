/* SPDX-License-Identifier: MIT */
/*
 * agentdir: the updater's own small files inside <root>/<agent>, beside
 * the version folders and .version:
 *
 *	.probation  the version in its health window: the version, the one
 *	            to go back to, the window and when it began (wall clock),
 *	            written before `control start` of the new version and
 *	            removed after commit or rollback, so a restarted updater
 *	            resumes the window or rolls back
 *	.good       versions that passed their health window, one a line,
 *	            newest last (pruning keeps these first)
 *
 * Both are written atomically.  Every function blocks on file I/O.
 */
#ifndef AU_AGENTDIR_H
#define AU_AGENTDIR_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "report.h"

#define AGENTDIR_GOOD_MAX 32

struct agentdir_probation {
	char     version[REPORT_NAME_MAX + 1];
	char     previous[REPORT_NAME_MAX + 1]; /* "": nothing before it */
	uint32_t window_ms;
	uint64_t start_ms; /* Unix ms when the window began */
};

/* Write <root>/<agent>/.probation atomically. */
enum au_status agentdir_probation_write(const char *root, const char *agent,
    const struct agentdir_probation *p, struct au_err *err);

/* Read it into *p: AU_NOT_FOUND when there is none, AU_INVALID_ARGUMENT
 * when it does not parse. */
enum au_status agentdir_probation_read(const char *root, const char *agent,
    struct agentdir_probation *p, struct au_err *err);

/* Remove it (and make that durable); a missing file is fine. */
void agentdir_probation_remove(const char *root, const char *agent);

/* The good versions, oldest first, into out[0..*n) (at most max); none
 * when the file is missing.  Lines that are not versions are skipped. */
void agentdir_good_load(const char *root, const char *agent,
    char (*out)[REPORT_NAME_MAX + 1], size_t max, size_t *n);

/* Append version as the newest good one (moved there when listed
 * already; the oldest dropped beyond AGENTDIR_GOOD_MAX). */
enum au_status agentdir_good_add(const char *root, const char *agent,
    const char *version, struct au_err *err);

#endif
