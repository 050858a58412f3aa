/* SPDX-License-Identifier: MIT */
/*
 * scan: what is installed under the root.  An agent is a folder
 * <root>/<agent> with a .version file naming the folder
 * <root>/<agent>/<version> that should run; its status is what that
 * version's `control status` says.  Folders that are not agents, hidden
 * entries, and agents outside the configured allow-list are left alone.
 * Blocks on file I/O and on control scripts.
 */
#ifndef AU_SCAN_H
#define AU_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "agentctl.h"
#include "conf.h"
#include "err.h"
#include "report.h"

#define SCAN_VERSIONS_MAX 32

struct scan_agent {
	char                name[REPORT_NAME_MAX + 1];
	char                version[REPORT_NAME_MAX + 1]; /* from .version */
	enum agentctl_state state;
	char                status[64]; /* "started", "stopped", ... */
	char                last_error[AU_ERR_MSG_BYTES];
	char                probation[REPORT_NAME_MAX + 1]; /* .probation */
	/* From the updater's state (filled by the updater, not the scan). */
	char     failed_version[REPORT_NAME_MAX + 1];
	char     failed_step[16];
	uint32_t crashes;
};

/* Read <root>/<agent>/.version into version (one line, trimmed).
 * AU_NOT_FOUND when there is none; AU_INVALID_ARGUMENT when it does not
 * hold a valid version. */
enum au_status scan_current(const char *root, const char *agent, char *version,
    size_t versionsz, struct au_err *err);

/* The installed version folders of agent (names that are valid versions
 * and hold a control script), newest first by modification time. */
enum au_status scan_versions(const char *root, const char *agent,
    char (*out)[REPORT_NAME_MAX + 1], size_t max, size_t *n,
    struct au_err *err);

/* Scan the root: every agent folder with a .version that c allows, with
 * its status (control status, timeout c->control_timeout).  Fills
 * out[0..*n), at most max.  A missing root is an empty scan. */
enum au_status scan_root(const struct updater_conf *c, struct scan_agent *out,
    size_t max, size_t *n, struct au_err *err);

/* Fill one agent's entry (version, status, last error, the version in
 * its health window). */
void scan_agent(
    const struct updater_conf *c, const char *agent, struct scan_agent *out);

#endif
