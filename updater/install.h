/* SPDX-License-Identifier: MIT */
/*
 * install: the per-agent state machine of DESIGN.md, "The updater on
 * disk".  Installing version V of agent A:
 *
 *	verify  tarball + manifest (verify.h), on one open descriptor
 *	extract into <root>/A/.staging-V with the manifest's limits
 *	fsync   the tree, rename to <root>/A/V, fsync <root>/A
 *	stop    `control stop` in the running version (if any)
 *	        write <root>/A/.probation (agentdir.h)
 *	start   `control start` in V
 *	status  poll `control status` until "started" or start_timeout
 *	health  poll `control status` about once a second for the health
 *	        window: V must keep saying started
 *	commit  write <root>/A/.version atomically, add V to .good, remove
 *	        .probation
 *	prune   after every attempt, failed ones too: keep the current and
 *	        the newest good versions, remove the rest
 *
 * A failure after the old version was stopped stops V and starts the old
 * version again: outcome ROLLED_BACK with the failing step, the script's
 * exit code and its output tail.  Until .version is written the old
 * version is the one that should run, so a crash at any step is undone by
 * install_recover(), which also resumes (or fails) a health window that a
 * crash cut short.  Each function fills a report (report.h) and logs with
 * the stable ids AU-INSTALL-FAIL, AU-ROLLBACK and AU-SIG-REJECT.
 * Everything blocks (file I/O, control scripts; an install for the whole
 * health window).
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
	uint32_t health_window_ms;   /* probation after start; 0: none;
	                              * a package's manifest may ask for more */
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

/* The REMOVE action: stop every version that says started (stop, with a
 * verified stop), then rename <root>/agent to <root>/.removing-agent-XXXXXX
 * and delete that tree.  Fills *rep (action REMOVE, version the current
 * one or "").  AU_NOT_FOUND when <root>/agent does not exist (nothing to
 * do, nothing to report); otherwise the failing step is stop or remove. */
enum au_status install_remove(
    const struct install_env *env, const char *agent, struct report *rep);

/* Crash recovery for one agent, at start: remove staging folders and
 * downloads that cannot be resumed or do not verify; judge a version left
 * in its health window (.probation): when it still says started the
 * window resumes for the rest of its time (at least one status check),
 * then it is committed or rolled back; when it does not, it is rolled
 * back.  Then stop any other version whose status says started, and when
 * want_running start the version .version names if it is not started.
 * rep receives the report of the health window's verdict (rep->id is ""
 * when there is none).  Returns AU_OK or the status of the failed start
 * (logged). */
enum au_status install_recover(const struct install_env *env, const char *agent,
    int want_running, struct report *rep, struct au_err *err);

/* Keep current, the version in probation (if any) and the newest
 * keep_versions - 1 versions of .good that are installed; remove every
 * other version folder (failed ones first by construction), and the
 * downloaded tarballs of the versions kept.  Errors are logged, not
 * returned. */
void install_prune(
    const struct install_env *env, const char *agent, const char *current);

#endif
