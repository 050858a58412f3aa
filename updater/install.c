/* SPDX-License-Identifier: MIT */
/*
 * install: verify, extract, switch, roll back, recover.  See install.h for
 * the steps; the comments here say why things are done in their order.
 */
#include "install.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agentctl.h"
#include "agentdir.h"
#include "extract.h"
#include "fetch.h"
#include "fsutil.h"
#include "log.h"
#include "scan.h"
#include "timeutil.h"
#include "verify.h"

#define INSTALL_POLL_MS 200
#define INSTALL_HEALTH_POLL_MS 1000
#define PATH_BYTES 4096

static void           vdir(const struct install_env *env, const char *agent,
              const char *version, char *out);
static enum au_status unpack(const struct install_env *env, const char *agent,
    const char *version, const char *tarball, const char *manifest,
    uint32_t *window_ms, struct report *rep);
static enum au_status extract_staged(const struct install_env *env,
    const char *agent, const char *version, int fd, const struct manifest *m,
    struct au_err *err);
static enum au_status run(const struct install_env *env, const char *agent,
    const char *version, const char *verb, struct agentctl_result *res);
static enum au_status wait_status(const struct install_env *env,
    const char *agent, const char *version, int want_started,
    uint32_t timeout_ms, struct agentctl_result *res);
static enum au_status start_verified(const struct install_env *env,
    const char *agent, const char *version, struct report *rep);
static enum au_status activate(const struct install_env *env, const char *agent,
    const char *version, const char *cur, uint32_t window_ms,
    struct report *rep);
static void           rollback(const struct install_env *env, const char *agent,
              const char *version, const char *cur, struct report *rep);
static enum au_status commit(const struct install_env *env, const char *agent,
    const char *version, struct report *rep);
static void clean_downloads(const struct install_env *env, const char *agent);
static enum au_status current(const struct install_env *env, const char *agent,
    enum report_action action, char *cur, struct report *rep);
static void           stop_strays(
              const struct install_env *env, const char *agent, const char *cur);
static enum au_status begin_probation(const struct install_env *env,
    const char *agent, const char *version, const char *cur, uint32_t window_ms,
    struct report *rep);
static enum au_status judge(const struct install_env *env, const char *agent,
    const char *version, uint32_t window_ms, uint64_t elapsed_ms,
    struct report *rep);
static void           health_failed(struct report *rep, enum au_status st,
              const struct agentctl_result *res, uint64_t at_ms, uint32_t window_ms);
static void           recover_probation(
              const struct install_env *env, const char *agent, struct report *rep);
static void remove_leftovers(const struct install_env *env, const char *agent);
static enum au_status stop_all(
    const struct install_env *env, const char *agent, struct report *rep);
static void prune_downloads(
    const struct install_env *env, const char *agent, const char *version);

static void
vdir(const struct install_env *env, const char *agent, const char *version,
    char *out)
{
	snprintf(out, PATH_BYTES, "%s/%s/%s", env->root, agent, version);
}

int
install_have(
    const struct install_env *env, const char *agent, const char *version)
{
	char        path[PATH_BYTES + 16];
	struct stat sb;

	snprintf(
	    path, sizeof(path), "%s/%s/%s/control", env->root, agent, version);
	return lstat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Extract into a fresh staging folder, make it durable, rename it into
 * place.  Nothing outside the staging folder is touched until the rename,
 * so a failure leaves the running version as it was. */
static enum au_status
extract_staged(const struct install_env *env, const char *agent,
    const char *version, int fd, const struct manifest *m, struct au_err *err)
{
	char                  staging[PATH_BYTES], dest[PATH_BYTES + 16];
	struct extract_limits lim = {m->entries, m->unpacked_size};
	enum au_status        st;
	int                   dfd;

	snprintf(staging, sizeof(staging), "%s/%s/.staging-%s", env->root,
	    agent, version);
	vdir(env, agent, version, dest);
	if ((st = fsutil_remove_tree(staging, err)) != AU_OK ||
	    (st = fsutil_mkdirs(staging, 0755, err)) != AU_OK)
		return st;
	if ((st = extract_to(fd, staging, &lim, err)) != AU_OK)
		goto fail;
	snprintf(dest, sizeof(dest), "%s/control", staging);
	if (access(dest, X_OK) != 0) {
		st = au_err_set(err, AU_INVALID_ARGUMENT,
		    "no executable control at the root of the tarball");
		goto fail;
	}
	/* One syncfs is far cheaper than an fsync per extracted file. */
	if ((dfd = open(staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		syncfs(dfd);
		close(dfd);
	}
	vdir(env, agent, version, dest);
	if ((st = fsutil_remove_tree(dest, err)) != AU_OK)
		goto fail;
	if (rename(staging, dest) != 0) {
		st = au_err_set(err, fsutil_errno_status(errno),
		    "rename %s: %s", staging, strerror(errno));
		goto fail;
	}
	return fsutil_fsync_dir(dest, err);
fail:
	fsutil_remove_tree(staging, NULL);
	return st;
}

/* Verify and extract; *window_ms grows to the health window the
 * package's manifest asks for. */
static enum au_status
unpack(const struct install_env *env, const char *agent, const char *version,
    const char *tarball, const char *manifest, uint32_t *window_ms,
    struct report *rep)
{
	struct au_err   e = AU_ERR_INIT;
	struct manifest m;
	enum au_status  st;
	int             fd;

	if (tarball == NULL || manifest == NULL) {
		report_set(rep, REPORT_FAILED, "download", "no package");
		return AU_NOT_FOUND;
	}
	st = verify_open(tarball, manifest, env->trusted, env->ntrusted, agent,
	    version, env->now_s, &fd, &m, &e);
	if (st != AU_OK) {
		report_set(rep, REPORT_FAILED, "verify", "%s", au_err_str(&e));
		log_warnx("host %s: agent %s %s: AU-SIG-REJECT: package "
		          "refused: %s",
		    env->hostname, agent, version, au_err_str(&e));
		/* A refused download is fetched afresh next time. */
		unlink(tarball);
		unlink(manifest);
		return st;
	}
	if ((uint64_t)m.health_window * 1000 > *window_ms)
		*window_ms = m.health_window * 1000;
	st = extract_staged(env, agent, version, fd, &m, &e);
	close(fd);
	if (st != AU_OK) {
		report_set(rep, REPORT_FAILED, "extract", "%s", au_err_str(&e));
		log_warnx("host %s: agent %s %s: AU-INSTALL-FAIL: extract: %s",
		    env->hostname, agent, version, au_err_str(&e));
		unlink(tarball);
		unlink(manifest);
	}
	return st;
}

static enum au_status
run(const struct install_env *env, const char *agent, const char *version,
    const char *verb, struct agentctl_result *res)
{
	char           dir[PATH_BYTES];
	struct au_err  e = AU_ERR_INIT;
	enum au_status st;

	vdir(env, agent, version, dir);
	st = agentctl_run(dir, verb, env->control_timeout_ms, res, &e);
	if (st == AU_OK && res->exit_code != 0)
		st = AU_ABORTED;
	if (st != AU_OK)
		log_debug("host %s: agent %s %s: control %s: %s (exit %d)",
		    env->hostname, agent, version, verb,
		    st == AU_ABORTED ? "failed" : au_err_str(&e),
		    res->exit_code);
	return st;
}

/* Poll `control status` until it says started (want_started), or until
 * it exits 0 saying anything else (!want_started), for at most
 * timeout_ms: AU_OK or AU_DEADLINE_EXCEEDED. */
static enum au_status
wait_status(const struct install_env *env, const char *agent,
    const char *version, int want_started, uint32_t timeout_ms,
    struct agentctl_result *res)
{
	uint64_t       deadline = timeutil_mono_ms() + timeout_ms;
	enum au_status st;
	int            started;

	for (;;) {
		st = run(env, agent, version, "status", res);
		started = st != AU_DEADLINE_EXCEEDED &&
		          agentctl_parse_status(res->tail) == AGENTCTL_STARTED;
		if (want_started ? started : st == AU_OK && !started)
			return AU_OK;
		if (timeutil_mono_ms() >= deadline)
			return AU_DEADLINE_EXCEEDED;
		poll(NULL, 0, INSTALL_POLL_MS);
	}
}

/* control stop, then wait until `control status` no longer says started
 * (a stop script may only send a signal), for at most control_timeout:
 * the next version must not start beside the old one.  AU_OK, the stop
 * script's status, or AU_FAILED_PRECONDITION when the agent still says
 * started. */
static enum au_status
stop_verified(const struct install_env *env, const char *agent,
    const char *version, struct agentctl_result *res)
{
	enum au_status st;

	if ((st = run(env, agent, version, "stop", res)) != AU_OK)
		return st;
	if (wait_status(env, agent, version, 0, env->control_timeout_ms, res) !=
	    AU_OK)
		return AU_FAILED_PRECONDITION;
	return AU_OK;
}

/* The report of a failed stop_verified(). */
static void
report_stop_failed(const struct install_env *env, const char *version,
    enum au_status st, const struct agentctl_result *res, struct report *rep)
{
	if (st == AU_FAILED_PRECONDITION)
		report_set(rep, REPORT_FAILED, "stop",
		    "control status still says started %u ms after control "
		    "stop of %s",
		    (unsigned)env->control_timeout_ms, version);
	else
		report_set(rep, REPORT_FAILED, "stop", "control stop of %s %s",
		    version,
		    st == AU_DEADLINE_EXCEEDED ? "timed out" : "failed");
	report_set_output(rep, res);
}

/* control start, then wait for started; the report names the failing
 * step with its exit code and output. */
static enum au_status
start_verified(const struct install_env *env, const char *agent,
    const char *version, struct report *rep)
{
	struct agentctl_result *res;
	enum au_status          st;

	if ((res = malloc(sizeof(*res))) == NULL) {
		report_set(rep, REPORT_FAILED, "start", "out of memory");
		return AU_RESOURCE_EXHAUSTED;
	}
	if ((st = run(env, agent, version, "start", res)) != AU_OK) {
		report_set(rep, REPORT_FAILED, "start", "control start %s",
		    st == AU_DEADLINE_EXCEEDED ? "timed out" : "failed");
		report_set_output(rep, res);
	} else if ((st = wait_status(env, agent, version, 1,
	                env->start_timeout_ms, res)) != AU_OK) {
		report_set(rep, REPORT_FAILED, "status",
		    "control status did not say started within %u ms",
		    (unsigned)env->start_timeout_ms);
		report_set_output(rep, res);
	}
	free(res);
	return st;
}

static void
rollback(const struct install_env *env, const char *agent, const char *version,
    const char *cur, struct report *rep)
{
	struct agentctl_result *res;
	struct report           again;
	int                     back = 0;

	if ((res = malloc(sizeof(*res))) != NULL) {
		if (stop_verified(env, agent, version, res) != AU_OK)
			log_warnx("host %s: agent %s %s: AU-ROLLBACK: the "
			          "failed version did not stop",
			    env->hostname, agent, version);
		free(res);
	}
	if (cur[0] != '\0' && strcmp(cur, version) != 0 &&
	    install_have(env, agent, cur)) {
		report_init(&again, agent, cur, REPORT_START);
		back = start_verified(env, agent, cur, &again) == AU_OK;
		if (!back)
			log_warnx("host %s: agent %s %s: AU-ROLLBACK: "
			          "restarting the old version failed too: %s",
			    env->hostname, agent, cur, again.message);
	}
	if (back)
		rep->outcome = REPORT_ROLLED_BACK;
	log_warnx("host %s: agent %s %s: %s: %s failed (exit %d): %s; %s%s",
	    env->hostname, agent, version,
	    back ? "AU-ROLLBACK" : "AU-INSTALL-FAIL", rep->step, rep->exit_code,
	    rep->message, back ? "rolled back to " : "nothing to roll back to",
	    back ? cur : "");
}

/* The new version's window begins: note it on disk before it starts, so
 * a restarted updater knows an unproven version may be running. */
static enum au_status
begin_probation(const struct install_env *env, const char *agent,
    const char *version, const char *cur, uint32_t window_ms,
    struct report *rep)
{
	struct agentdir_probation p;
	struct au_err             e = AU_ERR_INIT;
	enum au_status            st;

	memset(&p, 0, sizeof(p));
	snprintf(p.version, sizeof(p.version), "%s", version);
	snprintf(p.previous, sizeof(p.previous), "%s", cur);
	p.window_ms = window_ms;
	p.start_ms = timeutil_wall_ms();
	st = agentdir_probation_write(env->root, agent, &p, &e);
	if (st != AU_OK)
		report_set(rep, REPORT_FAILED, "start", "%s", au_err_str(&e));
	return st;
}

/* The report of a failed health check at_ms into the window. */
static void
health_failed(struct report *rep, enum au_status st,
    const struct agentctl_result *res, uint64_t at_ms, uint32_t window_ms)
{
	char what[64];

	if (st == AU_DEADLINE_EXCEEDED)
		snprintf(what, sizeof(what), "timed out");
	else if (st != AU_OK)
		snprintf(
		    what, sizeof(what), "failed (exit %d)", res->exit_code);
	else
		snprintf(what, sizeof(what), "said %s",
		    agentctl_state_name(agentctl_parse_status(res->tail)));
	report_set(rep, REPORT_FAILED, "health",
	    "control status %s %.1f s into the %g s health window", what,
	    (double)at_ms / 1000.0, (double)window_ms / 1000.0);
	report_set_output(rep, res);
}

/* Poll `control status` about once a second until window_ms has passed,
 * elapsed_ms of it already; the last check is at or after the end.  AU_OK
 * when it said started every time, else the report says why. */
static enum au_status
judge(const struct install_env *env, const char *agent, const char *version,
    uint32_t window_ms, uint64_t elapsed_ms, struct report *rep)
{
	struct agentctl_result *res;
	uint64_t                t0 = timeutil_mono_ms() - elapsed_ms, now;
	enum au_status          st;

	if ((res = malloc(sizeof(*res))) == NULL) {
		report_set(rep, REPORT_FAILED, "health", "out of memory");
		return AU_RESOURCE_EXHAUSTED;
	}
	for (;;) {
		st = run(env, agent, version, "status", res);
		now = timeutil_mono_ms();
		if (st != AU_OK ||
		    agentctl_parse_status(res->tail) != AGENTCTL_STARTED) {
			health_failed(rep, st, res, now - t0, window_ms);
			st = st == AU_OK ? AU_ABORTED : st;
			break;
		}
		if (now >= t0 + window_ms)
			break;
		poll(NULL, 0,
		    (int)(t0 + window_ms - now < INSTALL_HEALTH_POLL_MS
		              ? t0 + window_ms - now
		              : INSTALL_HEALTH_POLL_MS));
	}
	free(res);
	return st;
}

static enum au_status
commit(const struct install_env *env, const char *agent, const char *version,
    struct report *rep)
{
	char           path[PATH_BYTES + 16], line[REPORT_NAME_MAX + 2];
	struct au_err  e = AU_ERR_INIT;
	enum au_status st;
	int            n;

	snprintf(path, sizeof(path), "%s/%s/.version", env->root, agent);
	n = snprintf(line, sizeof(line), "%s\n", version);
	if ((st = fsutil_write_atomic(path, line, (size_t)n, 0644, &e)) !=
	    AU_OK) {
		report_set(rep, REPORT_FAILED, "commit", "%s", au_err_str(&e));
		return st;
	}
	/* The modification time orders versions for pruning. */
	vdir(env, agent, version, path);
	utimensat(AT_FDCWD, path, NULL, 0);
	/* A lost .good line costs a kept version, never the running one. */
	if (agentdir_good_add(env->root, agent, version, &e) != AU_OK)
		log_warnx("host %s: agent %s %s: %s", env->hostname, agent,
		    version, au_err_str(&e));
	report_set(rep, REPORT_OK, NULL, "running");
	return AU_OK;
}

static enum au_status
activate(const struct install_env *env, const char *agent, const char *version,
    const char *cur, uint32_t window_ms, struct report *rep)
{
	struct agentctl_result *res;
	enum au_status          st = AU_OK;

	if (cur[0] != '\0' && strcmp(cur, version) != 0 &&
	    install_have(env, agent, cur)) {
		if ((res = malloc(sizeof(*res))) == NULL)
			return AU_RESOURCE_EXHAUSTED;
		if ((st = stop_verified(env, agent, cur, res)) != AU_OK)
			report_stop_failed(env, cur, st, res, rep);
		free(res);
	}
	if (st == AU_OK)
		st = begin_probation(env, agent, version, cur, window_ms, rep);
	if (st == AU_OK)
		st = start_verified(env, agent, version, rep);
	if (st == AU_OK)
		st = judge(env, agent, version, window_ms, 0, rep);
	if (st == AU_OK)
		st = commit(env, agent, version, rep);
	if (st != AU_OK)
		rollback(env, agent, version, cur, rep);
	agentdir_probation_remove(env->root, agent);
	return st;
}

enum au_status
install_version(const struct install_env *env, const char *agent,
    const char *version, const char *tarball, const char *manifest,
    struct report *rep)
{
	char           cur[REPORT_NAME_MAX + 1] = "";
	uint64_t       t0 = timeutil_mono_ms();
	uint32_t       window_ms = env->health_window_ms;
	enum au_status st;

	report_init(rep, agent, version, REPORT_START);
	if (scan_current(env->root, agent, cur, sizeof(cur), NULL) != AU_OK)
		cur[0] = '\0';
	snprintf(rep->from_version, sizeof(rep->from_version), "%s", cur);
	st = AU_OK;
	if (!install_have(env, agent, version))
		st = unpack(
		    env, agent, version, tarball, manifest, &window_ms, rep);
	if (st == AU_OK)
		st = activate(env, agent, version, cur, window_ms, rep);
	if (st == AU_OK)
		log_info("host %s: agent %s %s: installed, started and "
		         "healthy%s%s",
		    env->hostname, agent, version, cur[0] ? ", was " : "", cur);
	install_prune(env, agent, st == AU_OK ? version : cur);
	rep->duration_ms = (uint32_t)(timeutil_mono_ms() - t0);
	return st;
}

/* Start a report of action for agent's current version, into cur (of
 * REPORT_NAME_MAX + 1 bytes); with nothing installed, the report fails. */
static enum au_status
current(const struct install_env *env, const char *agent,
    enum report_action action, char *cur, struct report *rep)
{
	enum au_status st;

	report_init(rep, agent, "", action);
	st = scan_current(env->root, agent, cur, REPORT_NAME_MAX + 1, NULL);
	if (st != AU_OK) {
		report_set(rep, REPORT_FAILED,
		    action == REPORT_START ? "start" : "stop",
		    "nothing installed");
		return st;
	}
	snprintf(rep->version, sizeof(rep->version), "%s", cur);
	return AU_OK;
}

enum au_status
install_start(
    const struct install_env *env, const char *agent, struct report *rep)
{
	char           cur[REPORT_NAME_MAX + 1] = "";
	uint64_t       t0 = timeutil_mono_ms();
	enum au_status st;

	if ((st = current(env, agent, REPORT_START, cur, rep)) != AU_OK)
		return st;
	snprintf(rep->from_version, sizeof(rep->from_version), "%s", cur);
	if ((st = start_verified(env, agent, cur, rep)) == AU_OK) {
		report_set(rep, REPORT_OK, NULL, "started");
		log_info(
		    "host %s: agent %s %s: started", env->hostname, agent, cur);
	} else
		log_warnx("host %s: agent %s %s: AU-INSTALL-FAIL: %s: %s",
		    env->hostname, agent, cur, rep->step, rep->message);
	rep->duration_ms = (uint32_t)(timeutil_mono_ms() - t0);
	return st;
}

enum au_status
install_stop(
    const struct install_env *env, const char *agent, struct report *rep)
{
	char                    cur[REPORT_NAME_MAX + 1] = "";
	struct agentctl_result *res;
	uint64_t                t0 = timeutil_mono_ms();
	enum au_status          st;

	if ((st = current(env, agent, REPORT_STOP, cur, rep)) != AU_OK)
		return st;
	if ((res = malloc(sizeof(*res))) == NULL)
		return AU_RESOURCE_EXHAUSTED;
	if ((st = stop_verified(env, agent, cur, res)) == AU_OK) {
		report_set(rep, REPORT_OK, NULL, "stopped");
		report_set_output(rep, res);
		log_info(
		    "host %s: agent %s %s: stopped", env->hostname, agent, cur);
	} else {
		report_stop_failed(env, cur, st, res, rep);
		log_warnx("host %s: agent %s %s: AU-INSTALL-FAIL: stop: %s",
		    env->hostname, agent, cur, rep->message);
	}
	free(res);
	rep->duration_ms = (uint32_t)(timeutil_mono_ms() - t0);
	return st;
}

/* Downloads that cannot be resumed (a .part without its manifest) or do
 * not verify (a complete tarball) are removed; a .part with its manifest
 * stays so the download resumes. */
static void
clean_downloads(const struct install_env *env, const char *agent)
{
	char               dir[PATH_BYTES], path[PATH_BYTES + 300];
	char               ver[256];
	struct fetch_paths p;
	struct manifest    m;
	struct dirent     *de;
	DIR               *d;
	char              *dot;
	int                fd, keep;

	snprintf(dir, sizeof(dir), "%s/%s/%s", env->root, agent, FETCH_DIR);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(ver, sizeof(ver), "%s", de->d_name);
		if ((dot = strstr(ver, ".tar.gz")) != NULL ||
		    (dot = strstr(ver, ".sig")) != NULL)
			*dot = '\0';
		keep = fetch_paths(env->root, agent, ver, &p, NULL) == AU_OK &&
		       access(p.manifest, F_OK) == 0;
		if (keep && strcmp(de->d_name + strlen(ver), ".tar.gz") == 0) {
			keep = verify_open(p.tarball, p.manifest, env->trusted,
			           env->ntrusted, agent, ver, env->now_s, &fd,
			           &m, NULL) == AU_OK;
			if (keep)
				close(fd);
			else
				unlink(p.manifest);
		} else if (keep &&
		           strcmp(de->d_name + strlen(ver), ".sig") == 0)
			keep = access(p.part, F_OK) == 0 ||
			       access(p.tarball, F_OK) == 0;
		if (keep)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		log_info("host %s: agent %s: removing download %s",
		    env->hostname, agent, de->d_name);
		fsutil_remove_tree(path, NULL);
	}
	closedir(d);
}

/* A crash between `start new` and writing .version can leave a version
 * running that .version does not name: stop it. */
static void
stop_strays(const struct install_env *env, const char *agent, const char *cur)
{
	char                    vers[SCAN_VERSIONS_MAX][REPORT_NAME_MAX + 1];
	char                    dir[PATH_BYTES];
	enum agentctl_state     state;
	struct agentctl_result *res;
	size_t                  n, i;

	if (scan_versions(
	        env->root, agent, vers, SCAN_VERSIONS_MAX, &n, NULL) != AU_OK ||
	    (res = malloc(sizeof(*res))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (strcmp(vers[i], cur) == 0)
			continue;
		vdir(env, agent, vers[i], dir);
		if (agentctl_status(dir, env->control_timeout_ms, &state, NULL,
		        0, NULL) != AU_OK ||
		    state != AGENTCTL_STARTED)
			continue;
		log_warnx("host %s: agent %s %s: running but not current: "
		          "stopping it",
		    env->hostname, agent, vers[i]);
		if (stop_verified(env, agent, vers[i], res) != AU_OK)
			log_warnx("host %s: agent %s %s: did not stop",
			    env->hostname, agent, vers[i]);
	}
	free(res);
}

/* Every version that says started is stopped (verified); the first that
 * will not stop fails the report. */
static enum au_status
stop_all(const struct install_env *env, const char *agent, struct report *rep)
{
	char                    vers[SCAN_VERSIONS_MAX][REPORT_NAME_MAX + 1];
	char                    dir[PATH_BYTES];
	enum agentctl_state     state;
	struct agentctl_result *res;
	enum au_status          st = AU_OK;
	size_t                  n = 0, i;

	if ((res = malloc(sizeof(*res))) == NULL) {
		report_set(rep, REPORT_FAILED, "stop", "out of memory");
		return AU_RESOURCE_EXHAUSTED;
	}
	scan_versions(env->root, agent, vers, SCAN_VERSIONS_MAX, &n, NULL);
	for (i = 0; i < n && st == AU_OK; i++) {
		vdir(env, agent, vers[i], dir);
		if (agentctl_status(dir, env->control_timeout_ms, &state, NULL,
		        0, NULL) == AU_OK &&
		    state != AGENTCTL_STARTED)
			continue;
		if ((st = stop_verified(env, agent, vers[i], res)) != AU_OK)
			report_stop_failed(env, vers[i], st, res, rep);
	}
	free(res);
	return st;
}

enum au_status
install_remove(
    const struct install_env *env, const char *agent, struct report *rep)
{
	char           dir[PATH_BYTES], gone[PATH_BYTES + 300];
	struct au_err  e = AU_ERR_INIT;
	uint64_t       t0 = timeutil_mono_ms();
	struct stat    sb;
	enum au_status st;

	report_init(rep, agent, "", REPORT_REMOVE);
	snprintf(dir, sizeof(dir), "%s/%s", env->root, agent);
	if (lstat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return AU_NOT_FOUND;
	scan_current(
	    env->root, agent, rep->version, sizeof(rep->version), NULL);
	if ((st = stop_all(env, agent, rep)) != AU_OK) {
		log_warnx("host %s: agent %s: AU-INSTALL-FAIL: remove: %s",
		    env->hostname, agent, rep->message);
		return st;
	}
	/* Out of sight in one step: a crash while deleting leaves only a
	 * hidden folder that recovery removes, never half an agent. */
	snprintf(
	    gone, sizeof(gone), "%s/.removing-%s-XXXXXX", env->root, agent);
	if (mkdtemp(gone) == NULL || rename(dir, gone) != 0 ||
	    fsutil_fsync_dir(env->root, &e) != AU_OK) {
		if (e.code == AU_OK)
			au_err_set(&e, fsutil_errno_status(errno), "%s: %s",
			    dir, strerror(errno));
		rmdir(gone);
		report_set(rep, REPORT_FAILED, "remove", "%s", au_err_str(&e));
		log_warnx("host %s: agent %s: AU-INSTALL-FAIL: remove: %s",
		    env->hostname, agent, rep->message);
		return e.code;
	}
	fsutil_remove_tree(gone, NULL);
	report_set(rep, REPORT_OK, NULL, "stopped and removed");
	log_info("host %s: agent %s: removed%s%s", env->hostname, agent,
	    rep->version[0] ? ", was " : "", rep->version);
	rep->duration_ms = (uint32_t)(timeutil_mono_ms() - t0);
	return AU_OK;
}

/* Staging folders of an interrupted extraction. */
static void
remove_leftovers(const struct install_env *env, const char *agent)
{
	char           dir[PATH_BYTES], path[PATH_BYTES + 300];
	struct dirent *de;
	DIR           *d;

	snprintf(dir, sizeof(dir), "%s/%s", env->root, agent);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, ".staging-", 9) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		log_info("host %s: agent %s: removing %s", env->hostname, agent,
		    de->d_name);
		fsutil_remove_tree(path, NULL);
	}
	closedir(d);
}

/* A version was in its health window when the updater stopped.  Unless
 * it was committed already, it is judged now: the rest of its window if
 * it still says started, else it failed. */
static void
recover_probation(
    const struct install_env *env, const char *agent, struct report *rep)
{
	char cur[REPORT_NAME_MAX + 1] = "", dir[PATH_BYTES];
	struct agentdir_probation p;
	enum agentctl_state       state = AGENTCTL_STOPPED;
	struct au_err             e = AU_ERR_INIT;
	uint64_t                  t0 = timeutil_mono_ms(), elapsed, now;
	enum au_status            st;

	if ((st = agentdir_probation_read(env->root, agent, &p, &e)) != AU_OK) {
		if (st != AU_NOT_FOUND)
			log_warnx("host %s: agent %s: %s: ignored",
			    env->hostname, agent, au_err_str(&e));
		agentdir_probation_remove(env->root, agent);
		return;
	}
	if (scan_current(env->root, agent, cur, sizeof(cur), NULL) != AU_OK)
		cur[0] = '\0';
	if (strcmp(cur, p.version) == 0 ||
	    !install_have(env, agent, p.version)) {
		agentdir_probation_remove(env->root, agent);
		return; /* committed before the crash, or nothing to judge */
	}
	report_init(rep, agent, p.version, REPORT_START);
	snprintf(rep->from_version, sizeof(rep->from_version), "%s", cur);
	vdir(env, agent, p.version, dir);
	agentctl_status(dir, env->control_timeout_ms, &state, NULL, 0, NULL);
	if (state == AGENTCTL_STARTED) {
		/* A clock that went back restarts the window. */
		now = timeutil_wall_ms();
		elapsed = now < p.start_ms ? 0 : now - p.start_ms;
		if (elapsed > p.window_ms)
			elapsed = p.window_ms;
		log_info("host %s: agent %s %s: updater restarted inside the "
		         "health window: resuming it, %llu ms left",
		    env->hostname, agent, p.version,
		    (unsigned long long)(p.window_ms - elapsed));
		st = judge(env, agent, p.version, p.window_ms, elapsed, rep);
		if (st == AU_OK &&
		    (st = commit(env, agent, p.version, rep)) == AU_OK)
			log_info("host %s: agent %s %s: healthy, now current",
			    env->hostname, agent, p.version);
	} else {
		report_set(rep, REPORT_FAILED, "health",
		    "updater restarted inside the health window; %s was not "
		    "running",
		    p.version);
		st = AU_ABORTED;
	}
	if (st != AU_OK)
		rollback(env, agent, p.version, cur, rep);
	agentdir_probation_remove(env->root, agent);
	rep->duration_ms = (uint32_t)(timeutil_mono_ms() - t0);
}

enum au_status
install_recover(const struct install_env *env, const char *agent,
    int want_running, struct report *rep, struct au_err *err)
{
	char                cur[REPORT_NAME_MAX + 1] = "", dir[PATH_BYTES];
	enum agentctl_state state = AGENTCTL_UNKNOWN;
	struct report      *start;
	enum au_status      st = AU_OK;

	rep->id[0] = '\0';
	remove_leftovers(env, agent);
	clean_downloads(env, agent);
	/* Before stop_strays: the version on probation is no stray. */
	recover_probation(env, agent, rep);
	if (scan_current(env->root, agent, cur, sizeof(cur), NULL) != AU_OK)
		cur[0] = '\0';
	stop_strays(env, agent, cur);
	if (rep->id[0] != '\0')
		install_prune(env, agent, cur);
	if (cur[0] == '\0' || !want_running)
		return AU_OK;
	vdir(env, agent, cur, dir);
	agentctl_status(dir, env->control_timeout_ms, &state, NULL, 0, NULL);
	if (state == AGENTCTL_STARTED)
		return AU_OK;
	if ((start = malloc(sizeof(*start))) == NULL)
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	log_info("host %s: agent %s %s: not started: starting it",
	    env->hostname, agent, cur);
	if ((st = install_start(env, agent, start)) != AU_OK)
		au_err_set(err, st, "start %s: %s: %s", cur, start->step,
		    start->message);
	free(start);
	return st;
}

/* The tarball of an installed version has served. */
static void
prune_downloads(
    const struct install_env *env, const char *agent, const char *version)
{
	struct fetch_paths p;

	if (fetch_paths(env->root, agent, version, &p, NULL) != AU_OK)
		return;
	unlink(p.tarball);
	unlink(p.manifest);
}

void
install_prune(
    const struct install_env *env, const char *agent, const char *current)
{
	char vers[SCAN_VERSIONS_MAX][REPORT_NAME_MAX + 1], dir[PATH_BYTES];
	char good[AGENTDIR_GOOD_MAX][REPORT_NAME_MAX + 1];
	char keep[AGENTDIR_GOOD_MAX + 2][REPORT_NAME_MAX + 1];
	struct agentdir_probation p;
	size_t                    n, ngood, nkeep = 0, i, j;

	if (scan_versions(
	        env->root, agent, vers, SCAN_VERSIONS_MAX, &n, NULL) != AU_OK)
		return;
	snprintf(keep[nkeep++], sizeof(keep[0]), "%s", current);
	if (agentdir_probation_read(env->root, agent, &p, NULL) == AU_OK)
		snprintf(keep[nkeep++], sizeof(keep[0]), "%s", p.version);
	agentdir_good_load(env->root, agent, good, AGENTDIR_GOOD_MAX, &ngood);
	/* The newest good versions that are still there, current counted. */
	for (i = ngood, j = 1; i-- > 0 && j < env->keep_versions;)
		if (strcmp(good[i], current) != 0 &&
		    install_have(env, agent, good[i])) {
			snprintf(keep[nkeep++], sizeof(keep[0]), "%s", good[i]);
			j++;
		}
	for (i = 0; i < n; i++) {
		for (j = 0; j < nkeep && strcmp(vers[i], keep[j]) != 0; j++)
			;
		if (j < nkeep) {
			prune_downloads(env, agent, vers[i]);
			continue;
		}
		vdir(env, agent, vers[i], dir);
		log_info("host %s: agent %s %s: removing this version (not "
		         "current, not among the last known-good)",
		    env->hostname, agent, vers[i]);
		fsutil_remove_tree(dir, NULL);
	}
}
