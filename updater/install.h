/* SPDX-License-Identifier: MIT */
/*
 * install: the per-agent state machine of DESIGN.md, "The updater on
 * disk".  Installing version V of agent A:
 *
 *	verify  tarball + manifest (verify.h), on one open descriptor
 *	extract into <root>/A/.staging-V with the manifest's limits
 *	fsync   the tree, rename to <root>/A/V, fsync <root>/A
 *	stop    `control stop` in the running version (if any)
 *	start   `control start` in V
 *	status  poll `control status` until "started" or start_timeout
 *	commit  write <root>/A/.version atomically, prune old versions
 *
 * A failure after the old version was stopped stops V and starts the old
 * version again: outcome ROLLED_BACK with the failing step, the script's
 * exit code and its output tail.  Until .version is written the old
 * version is the one that should run, so a crash at any step is undone by
 * install_recover().  Each function fills a report (report.h) and logs
 * with the stable ids AU-INSTALL-FAIL, AU-ROLLBACK and AU-SIG-REJECT.
 * Everything blocks (file I/O, control scripts).
 */
#ifndef AU_INSTALL_H
#define AU_INSTALL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "report.h"
#include "sig.h"

struct install_env {
	const char *root;
	const char *hostname; /* for log lines */
	const uint8_t (*trusted)[SIG_PUBKEY_BYTES];
	size_t   ntrusted;
	uint32_t control_timeout_ms; /* each control script run */
	uint32_t start_timeout_ms;   /* until status says started */
	uint32_t keep_versions;      /* installed versions kept, >= 1 */
	uint64_t now_s;              /* for manifest expiry */
};

/* Is <root>/agent/version installed (a folder with a control script)? */
int install_have(
    const struct install_env *env, const char *agent, const char *version);

/* Install version and make it the running one.  When the version folder
 * exists already (an earlier install) tarball and manifest may be NULL
 * and only the switch runs; otherwise they are the downloaded files.
 * Fills *rep (initialized here).  Returns AU_OK on success; otherwise the
 * failing step's status, with rep->outcome FAILED (nothing changed) or
 * ROLLED_BACK. */
enum au_status install_version(const struct install_env *env, const char *agent,
    const char *version, const char *tarball, const char *manifest,
    struct report *rep);

/* Start the version .version names (after a crash, or when it stopped):
 * control start, then poll status.  Fills *rep. */
enum au_status install_start(
    const struct install_env *env, const char *agent, struct report *rep);

/* The STOP action: `control stop` in the version .version names.  Fills
 * *rep.  AU_NOT_FOUND when nothing is installed. */
enum au_status install_stop(
    const struct install_env *env, const char *agent, struct report *rep);

/* Crash recovery for one agent, at start: remove staging folders and
 * downloads that cannot be resumed or do not verify, stop any other
 * version whose status says started, and when want_running start the
 * version .version names if it is not started.  Returns AU_OK or the
 * status of the failed start (logged). */
enum au_status install_recover(const struct install_env *env, const char *agent,
    int want_running, struct au_err *err);

/* Remove installed versions beyond keep_versions (newest first), never
 * current.  Errors are logged, not returned. */
void install_prune(
    const struct install_env *env, const char *agent, const char *current);

#endif
