/* SPDX-License-Identifier: MIT */
/*
 * updater: open/close, recovery, the heartbeat-and-converge cycle,
 * supervision and the daemon loop.
 */
#include "updater.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fetch.h"
#include "fsutil.h"
#include "log.h"
#include "manifest.h"
#include "scan.h"
#include "sig.h"
#include "spool.h"
#include "timeutil.h"
#include "upstream.h"

#define UPDATER_SCAN_MAX 64

static enum au_status take_lock(struct updater *u, struct au_err *err);
static enum au_status load_identity(const struct updater_conf *c,
    uint8_t sk[SIG_SECKEY_BYTES], struct au_err *err);
static enum au_status make_client(struct updater *u, struct au_err *err);
static void           save_state(struct updater *u);
static void           send_report(struct updater *u, const struct report *r);
static void           flush_spool(struct updater *u);
static void           note_meta(
              struct updater *u, enum au_status st, const struct au_err *err);
static int converge_stop(struct updater *u, const struct upstream_desired *d,
    const char *cur, enum agentctl_state state);
static int converge_remove(struct updater *u, const struct upstream_desired *d);
static int converge_start(struct updater *u, const struct upstream_desired *d,
    const struct scan_agent *a);
static int converge_one(struct updater *u, const struct upstream_desired *d,
    const struct scan_agent *found, size_t n);
static int supervise_one(struct updater *u, const struct scan_agent *a);
static void crash_report(const struct scan_agent *a, uint32_t crash,
    const struct report *start, int ok, struct report *rep);
static void forget_untargeted(
    struct updater *u, const struct upstream_reply *rep);
static size_t annotate(
    struct updater *u, struct scan_agent *found, size_t n, size_t max);
static enum au_status recover_agent(struct updater *u, const char *agent);
static int            agent_dir(const struct updater *u, const char *name);
static enum au_status heartbeat(struct updater *u, struct scan_agent *found,
    size_t *n, struct upstream_reply *rep, uint32_t *retry_after_ms,
    struct au_err *err);
static enum au_status download(struct updater *u,
    const struct upstream_desired *d, struct fetch_paths *p,
    struct report *rep);

enum au_status
updater_conf_hostname(struct updater_conf *c, struct au_err *err)
{
	if (c->hostname[0] != '\0')
		return AU_OK;
	if (gethostname(c->hostname, sizeof(c->hostname) - 1) != 0)
		return au_err_set(
		    err, AU_INTERNAL, "gethostname: %s", strerror(errno));
	c->hostname[sizeof(c->hostname) - 1] = '\0';
	return AU_OK;
}

static enum au_status
take_lock(struct updater *u, struct au_err *err)
{
	char           path[UPDATER_CONF_PATH_MAX + 32];
	enum au_status st;

	if ((st = fsutil_mkdirs(u->conf.root, 0755, err)) != AU_OK)
		return st;
	snprintf(path, sizeof(path), "%s/.updater.lock", u->conf.root);
	u->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (u->lock_fd < 0)
		return au_err_set(err, fsutil_errno_status(errno), "%s: %s",
		    path, strerror(errno));
	if (flock(u->lock_fd, LOCK_EX | LOCK_NB) != 0)
		return au_err_set(err, AU_ALREADY_EXISTS,
		    "%s: another updater runs on %s", path, u->conf.root);
	return AU_OK;
}

/* Load the identity key, creating it (0600) on first start. */
static enum au_status
load_identity(const struct updater_conf *c, uint8_t sk[SIG_SECKEY_BYTES],
    struct au_err *err)
{
	uint8_t pk[SIG_PUBKEY_BYTES];
	char    dir[UPDATER_CONF_PATH_MAX], *slash, id[SIG_KEYID_HEX_BYTES];
	enum au_status st;

	st = sig_seckey_load(c->identity, sk, err);
	if (st != AU_NOT_FOUND)
		return st;
	snprintf(dir, sizeof(dir), "%s", c->identity);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if ((st = fsutil_mkdirs(dir, 0700, err)) != AU_OK)
			return st;
	}
	sig_keypair(pk, sk);
	if ((st = sig_seckey_save(c->identity, sk, err)) != AU_OK) {
		sig_memzero(sk, SIG_SECKEY_BYTES);
		return st;
	}
	sig_key_id(pk, id);
	log_info("host %s: created identity key %s in %s", c->hostname, id,
	    c->identity);
	return AU_OK;
}

static enum au_status
make_client(struct updater *u, struct au_err *err)
{
	struct rpc_client_conf rc;
	enum au_status         st;

	memset(&rc, 0, sizeof(rc));
	rc.url = u->conf.meta;
	rc.ca_file = u->conf.ca;
	rc.cert_file = u->conf.cert;
	rc.key_file = u->conf.key;
	rc.server_name = u->conf.server_name[0] ? u->conf.server_name : NULL;
	rc.timeout_ms = UPDATER_RPC_TIMEOUT_MS;
	(void)rpc_tls_engine_parse(u->conf.tls_engine, &rc.tls_engine);
	if ((st = load_identity(&u->conf, rc.identity_sk, err)) != AU_OK)
		return st;
	st = rpc_client_new(&rc, &u->client, err);
	sig_memzero(rc.identity_sk, sizeof(rc.identity_sk));
	return st;
}

enum au_status
updater_open(
    struct updater *u, const struct updater_conf *c, struct au_err *err)
{
	struct au_err  e = AU_ERR_INIT;
	enum au_status st;
	size_t         i;

	memset(u, 0, sizeof(*u));
	u->lock_fd = -1;
	u->conf = *c;
	snprintf(u->hostname, sizeof(u->hostname), "%s", c->hostname);
	for (i = 0; i < c->ntrust; i++)
		memcpy(u->trusted[i], c->trust[i].pk, SIG_PUBKEY_BYTES);
	u->env.root = u->conf.root;
	u->env.hostname = u->hostname;
	u->env.trusted = (const uint8_t(*)[SIG_PUBKEY_BYTES])u->trusted;
	u->env.ntrusted = c->ntrust;
	u->env.control_timeout_ms = c->control_timeout * 1000;
	u->env.start_timeout_ms = c->start_timeout * 1000;
	u->env.health_window_ms = c->health_window * 1000;
	u->env.keep_versions = c->keep_versions;
	heartbeat_init(&u->hb, 60, c->interval_min, c->interval_max);
	snprintf(u->state_path, sizeof(u->state_path), "%s/state.json",
	    c->state_dir);
	snprintf(
	    u->spool_path, sizeof(u->spool_path), "%s/spool", c->state_dir);
	if (c->ntrust == 0)
		log_warnx("host %s: no keys in [trust]: no release can be "
		          "verified, so nothing will be installed",
		    u->hostname);
	if ((st = fsutil_mkdirs(c->state_dir, 0700, err)) != AU_OK ||
	    (st = take_lock(u, err)) != AU_OK ||
	    (st = make_client(u, err)) != AU_OK) {
		updater_close(u);
		return st;
	}
	if (state_load(u->state_path, &u->state, &e) != AU_OK)
		log_warnx("host %s: %s: starting with an empty state",
		    u->hostname, au_err_str(&e));
	return AU_OK;
}

void
updater_close(struct updater *u)
{
	rpc_client_free(u->client);
	u->client = NULL;
	if (u->lock_fd >= 0)
		close(u->lock_fd);
	u->lock_fd = -1;
}

/* Is name, in the root, an agent folder this updater looks after? */
static int
agent_dir(const struct updater *u, const char *name)
{
	char        path[UPDATER_CONF_PATH_MAX + 300];
	struct stat sb;

	if (name[0] == '.' || manifest_check_name(name, NULL) != AU_OK ||
	    !updater_conf_allows(&u->conf, name))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", u->conf.root, name);
	return lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static enum au_status
recover_agent(struct updater *u, const char *agent)
{
	const struct state_agent *sa = state_find(&u->state, agent);
	struct report            *rep;
	struct au_err             e = AU_ERR_INIT;
	enum au_status            st;

	if ((rep = malloc(sizeof(*rep))) == NULL)
		return AU_RESOURCE_EXHAUSTED;
	if ((st = install_recover(
	         &u->env, agent, sa == NULL || !sa->stopped, rep, &e)) != AU_OK)
		log_warnx("host %s: agent %s: recovery: %s", u->hostname, agent,
		    au_err_str(&e));
	/* The verdict on a health window the restart cut short. */
	if (rep->id[0] != '\0')
		send_report(u, rep);
	free(rep);
	return st;
}

enum au_status
updater_recover(struct updater *u)
{
	char           path[UPDATER_CONF_PATH_MAX + 300];
	struct dirent *de;
	DIR           *d;
	enum au_status st = AU_OK;

	u->env.now_s = (uint64_t)time(NULL);
	if ((d = opendir(u->conf.root)) == NULL)
		return AU_OK;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, ".removing-", 10) == 0) {
			/* A REMOVE that a crash cut short. */
			snprintf(path, sizeof(path), "%s/%s", u->conf.root,
			    de->d_name);
			log_info(
			    "host %s: removing %s", u->hostname, de->d_name);
			fsutil_remove_tree(path, NULL);
		} else if (agent_dir(u, de->d_name) &&
		           recover_agent(u, de->d_name) != AU_OK)
			st = AU_UNAVAILABLE;
	}
	closedir(d);
	return st;
}

static void
save_state(struct updater *u)
{
	struct au_err e = AU_ERR_INIT;

	if (state_save(u->state_path, &u->state, &e) != AU_OK)
		log_warnx("host %s: %s", u->hostname, au_err_str(&e));
}

/* Record r, then send it; keep it in the spool when meta is not there.
 * A report meta refuses as malformed would block the spool for good: it
 * is logged and dropped. */
static void
send_report(struct updater *u, const struct report *r)
{
	struct state_agent *sa;
	struct au_err       e = AU_ERR_INIT;
	enum au_status      st;

	if ((sa = state_get(&u->state, r->agent)) != NULL)
		state_record(sa, r);
	save_state(u);
	u->reported = 1;
	/* Meta was away at the last heartbeat: do not wait for it here (a
	 * call to an absent meta can take seconds), the spool is sent after
	 * the next successful heartbeat. */
	if (u->meta_down)
		au_err_set(
		    &e, AU_UNAVAILABLE, "meta away at the last heartbeat");
	else if ((st = upstream_report(u->client, u->hostname, r, &e)) == AU_OK)
		return;
	else if (st == AU_INVALID_ARGUMENT) {
		log_warnx("host %s: agent %s: report %s refused by meta: %s",
		    u->hostname, r->agent, r->id, au_err_str(&e));
		return;
	}
	log_info("host %s: agent %s: report %s kept for later: %s", u->hostname,
	    r->agent, r->id, au_err_str(&e));
	if (spool_add(u->spool_path, r, &e) != AU_OK)
		log_warnx("host %s: agent %s: report %s lost: %s", u->hostname,
		    r->agent, r->id, au_err_str(&e));
}

static void
flush_spool(struct updater *u)
{
	struct report *reps = NULL;
	struct au_err  e = AU_ERR_INIT;
	enum au_status st;
	size_t         n = 0, i;

	if (spool_load(u->spool_path, &reps, &n, &e) != AU_OK && n == 0) {
		log_warnx("host %s: %s", u->hostname, au_err_str(&e));
		spool_save(u->spool_path, NULL, 0, NULL);
	}
	for (i = 0; i < n; i++) {
		st = upstream_report(u->client, u->hostname, &reps[i], &e);
		if (st == AU_INVALID_ARGUMENT)
			log_warnx("host %s: agent %s: spooled report %s "
			          "refused by meta: %s",
			    u->hostname, reps[i].agent, reps[i].id,
			    au_err_str(&e));
		else if (st != AU_OK)
			break;
	}
	if (i > 0) {
		log_info("host %s: sent %zu spooled report%s", u->hostname, i,
		    i == 1 ? "" : "s");
		spool_save(u->spool_path, reps + i, n - i, NULL);
	}
	free(reps);
}

/* Log when meta goes away and when it is back, not on every attempt. */
static void
note_meta(struct updater *u, enum au_status st, const struct au_err *err)
{
	if (st == AU_OK && u->meta_down) {
		log_info("host %s: meta %s reachable again", u->hostname,
		    u->conf.meta);
		u->meta_down = 0;
	} else if (st != AU_OK && !u->meta_down) {
		log_warnx("host %s: meta %s unreachable: %s; agents keep "
		          "running, retrying with backoff",
		    u->hostname, u->conf.meta, au_err_str(err));
		u->meta_down = 1;
	} else if (st != AU_OK)
		log_debug("host %s: meta still unreachable: %s", u->hostname,
		    au_err_str(err));
}

static int
converge_stop(struct updater *u, const struct upstream_desired *d,
    const char *cur, enum agentctl_state state)
{
	struct state_agent *sa = state_get(&u->state, d->name);
	struct report      *rep;
	int                 ok;

	if (cur[0] == '\0')
		return 1;
	if (state == AGENTCTL_STOPPED && sa != NULL && sa->stopped)
		return 1;
	if ((rep = malloc(sizeof(*rep))) == NULL)
		return 0;
	ok = install_stop(&u->env, d->name, rep) == AU_OK;
	send_report(u, rep);
	free(rep);
	return ok;
}

static enum au_status
download(struct updater *u, const struct upstream_desired *d,
    struct fetch_paths *p, struct report *rep)
{
	struct upstream_source_state ss;
	struct fetch_source          src;
	struct au_err                e = AU_ERR_INIT;
	uint32_t                     retry = 0;
	enum au_status               st;

	upstream_source(&ss, u->client, &src);
	st = fetch_package(&src, u->conf.root, d->name, d->version, d->size,
	    RPC_CHUNK_BYTES, p, &retry, &e);
	rpc_result_fini(&ss.res);
	if (st == AU_OK)
		return AU_OK;
	log_warnx("host %s: agent %s %s: %s", u->hostname, d->name, d->version,
	    au_err_str(&e));
	/* Meta busy or gone: try again next cycle, nothing to report. */
	if (st == AU_UNAVAILABLE || st == AU_RESOURCE_EXHAUSTED ||
	    st == AU_DEADLINE_EXCEEDED)
		return st;
	report_init(rep, d->name, d->version, REPORT_START);
	report_set(rep, REPORT_FAILED, "download", "%s", au_err_str(&e));
	send_report(u, rep);
	return st;
}

static int
converge_remove(struct updater *u, const struct upstream_desired *d)
{
	struct report *rep;
	enum au_status st;

	if ((rep = malloc(sizeof(*rep))) == NULL)
		return 0;
	/* Not there: nothing to do and nothing to report. */
	if ((st = install_remove(&u->env, d->name, rep)) != AU_NOT_FOUND)
		send_report(u, rep);
	free(rep);
	return st == AU_OK || st == AU_NOT_FOUND;
}

static int
converge_start(struct updater *u, const struct upstream_desired *d,
    const struct scan_agent *a)
{
	const struct state_agent *sa = state_find(&u->state, d->name);
	const char               *cur = a != NULL ? a->version : "";
	struct fetch_paths        p;
	struct report            *rep;
	enum au_status            st = AU_OK;

	if (a != NULL && strcmp(cur, d->version) == 0 &&
	    a->state == AGENTCTL_STARTED)
		return 1;
	if (!state_may_try(sa, d->version)) {
		/* No churn: the running version is left alone for it, but
		 * stays supervised. */
		log_debug("host %s: agent %s %s: failed at %s, not retried "
		          "until meta asks again",
		    u->hostname, d->name, d->version, sa->failed_step);
		if (a != NULL)
			supervise_one(u, a);
		return 0;
	}
	/* The current version stopped on its own: a crash, with backoff. */
	if (a != NULL && strcmp(cur, d->version) == 0 &&
	    (sa == NULL || !sa->stopped))
		return supervise_one(u, a);
	if ((rep = malloc(sizeof(*rep))) == NULL)
		return 0;
	if (strcmp(cur, d->version) == 0)
		st = install_start(&u->env, d->name, rep);
	else if (install_have(&u->env, d->name, d->version))
		st = install_version(
		    &u->env, d->name, d->version, NULL, NULL, rep);
	else if ((st = download(u, d, &p, rep)) == AU_OK) {
		st = install_version(
		    &u->env, d->name, d->version, p.tarball, p.manifest, rep);
		/* Installed, or refused: either way the tarball has served.
		 * Keeping every release's tarball would fill the disk; a
		 * retry after a failure downloads it again. */
		unlink(p.tarball);
		unlink(p.manifest);
	} else
		rep->id[0] = '\0'; /* download() reported it, or nothing */
	if (rep->id[0] != '\0')
		send_report(u, rep);
	free(rep);
	return st == AU_OK;
}

/* The scan just ran `control status` for every agent: reuse it. */
static int
converge_one(struct updater *u, const struct upstream_desired *d,
    const struct scan_agent *found, size_t n)
{
	const struct scan_agent *a = NULL;
	struct state_agent      *sa;
	size_t                   i;

	if (!updater_conf_allows(&u->conf, d->name)) {
		log_debug("host %s: agent %s: not in agents, left alone",
		    u->hostname, d->name);
		return 1;
	}
	for (i = 0; i < n; i++)
		if (strcmp(found[i].name, d->name) == 0)
			a = &found[i];
	if ((sa = state_get(&u->state, d->name)) != NULL &&
	    state_desired(sa, d->action, d->version, d->retry))
		save_state(u);
	if (d->action == REPORT_REMOVE)
		return converge_remove(u, d);
	if (d->action == REPORT_STOP)
		return converge_stop(u, d, a != NULL ? a->version : "",
		    a != NULL ? a->state : AGENTCTL_STOPPED);
	return converge_start(u, d, a);
}

/* The report of a crash of a's version, restarted by start (ok or not). */
static void
crash_report(const struct scan_agent *a, uint32_t crash,
    const struct report *start, int ok, struct report *rep)
{
	report_init(rep, a->name, a->version, REPORT_START);
	snprintf(
	    rep->from_version, sizeof(rep->from_version), "%s", a->version);
	if (ok)
		report_set(rep, REPORT_CRASHED, "crash",
		    "control status said %s; restarted (crash %u)", a->status,
		    crash);
	else {
		report_set(rep, REPORT_CRASHED, "crash",
		    "control status said %s; restart failed at %s: %s "
		    "(crash %u)",
		    a->status, start->step, start->message, crash);
		rep->exit_code = start->exit_code;
		memcpy(rep->output_tail, start->output_tail,
		    sizeof(rep->output_tail));
	}
	rep->duration_ms = start->duration_ms;
}

/* a is current (it has a .version) and no STOP is in force: when its
 * status does not say started it crashed (or was stopped by hand), and it
 * is restarted with a backoff and reported.  1 when it runs. */
static int
supervise_one(struct updater *u, const struct scan_agent *a)
{
	struct state_agent *sa = state_get(&u->state, a->name);
	struct report      *start, *rep;
	uint64_t            now = timeutil_wall_ms();
	uint32_t            crash;
	int                 ok;

	/* Nothing current (an entry for a failed first install), or a
	 * STOP in force: nothing to supervise. */
	if (sa == NULL || sa->stopped || a->version[0] == '\0')
		return 0;
	state_crash_track(sa, a->version);
	if (a->state == AGENTCTL_STARTED) {
		state_crash_settle(sa, now);
		return 1;
	}
	if (!state_crash_due(sa, now)) {
		log_debug("host %s: agent %s %s: not started; restart in %llu "
		          "ms",
		    u->hostname, a->name, a->version,
		    (unsigned long long)(sa->restart_at_ms - now));
		return 0;
	}
	start = malloc(sizeof(*start));
	rep = malloc(sizeof(*rep));
	if (start == NULL || rep == NULL) {
		free(start);
		free(rep);
		return 0;
	}
	crash = state_crash_note(sa, now);
	log_warnx("host %s: agent %s %s: AU-CRASH: control status says %s; "
	          "restarting (crash %u)",
	    u->hostname, a->name, a->version, a->status, crash);
	ok = install_start(&u->env, a->name, start) == AU_OK;
	crash_report(a, crash, start, ok, rep);
	send_report(u, rep);
	free(start);
	free(rep);
	return ok;
}

void
updater_supervise(struct updater *u)
{
	struct scan_agent *found;
	size_t             n = 0, i;

	if ((found = calloc(UPDATER_SCAN_MAX, sizeof(*found))) == NULL)
		return;
	scan_root(&u->conf, found, UPDATER_SCAN_MAX, &n, NULL);
	for (i = 0; i < n; i++)
		supervise_one(u, &found[i]);
	free(found);
}

/* Meta no longer names an agent that failed here: its target changed
 * (to nothing), so the failure record goes. */
static void
forget_untargeted(struct updater *u, const struct upstream_reply *rep)
{
	struct state_agent *sa;
	size_t              i, j;
	int                 changed = 0;

	for (i = 0; i < u->state.n; i++) {
		sa = &u->state.agents[i];
		if (sa->failed_version[0] == '\0')
			continue;
		for (j = 0; j < rep->n && strcmp(rep->agents[j].name, sa->name);
		     j++)
			;
		if (j == rep->n)
			changed |=
			    state_desired(sa, REPORT_STOP, "", sa->retry);
	}
	if (changed)
		save_state(u);
}

/* Add what the state knows to the scan for the heartbeat: the failure
 * record and the crashes of each agent, and an entry for an agent whose
 * only install failed (nothing current, but meta should see why).
 * Returns the new count. */
static size_t
annotate(struct updater *u, struct scan_agent *found, size_t n, size_t max)
{
	const struct state_agent *sa;
	struct scan_agent        *a;
	size_t                    i, j;

	for (i = 0; i < u->state.n; i++) {
		sa = &u->state.agents[i];
		for (j = 0; j < n && strcmp(found[j].name, sa->name) != 0; j++)
			;
		if (j == n &&
		    (sa->failed_version[0] == '\0' || sa->removed_ms != 0 ||
		        n == max || !updater_conf_allows(&u->conf, sa->name)))
			continue;
		a = &found[j];
		if (j == n) {
			memset(a, 0, sizeof(*a));
			snprintf(a->name, sizeof(a->name), "%s", sa->name);
			snprintf(a->status, sizeof(a->status), "stopped");
			n++;
		}
		snprintf(a->failed_version, sizeof(a->failed_version), "%s",
		    sa->failed_version);
		snprintf(a->failed_step, sizeof(a->failed_step), "%s",
		    sa->failed_step);
		a->crashes = strcmp(sa->crash_version, a->version) == 0
		                 ? sa->crashes
		                 : 0;
	}
	return n;
}

/* Scan (into found, UPDATER_SCAN_MAX entries), annotate and send a
 * heartbeat; on success act on meta's interval and host state, and send
 * the spooled reports. */
static enum au_status
heartbeat(struct updater *u, struct scan_agent *found, size_t *n,
    struct upstream_reply *rep, uint32_t *retry_after_ms, struct au_err *err)
{
	enum au_status st;

	u->env.now_s = (uint64_t)time(NULL);
	scan_root(&u->conf, found, UPDATER_SCAN_MAX, n, NULL);
	*n = annotate(u, found, *n, UPDATER_SCAN_MAX);
	st = upstream_heartbeat(
	    u->client, u->hostname, found, *n, rep, retry_after_ms, err);
	note_meta(u, st, err);
	if (st != AU_OK)
		return st;
	u->hb.interval_s = heartbeat_clamp(rep->interval_s, u->hb.interval_s,
	    u->hb.interval_min_s, u->hb.interval_max_s);
	if ((int)rep->state != u->host_state) {
		u->host_state = (int)rep->state;
		if (rep->state != UPSTREAM_HOST_ACCEPTED)
			log_warnx("host %s: meta has this host %s: nothing "
			          "will be installed until it is accepted",
			    u->hostname,
			    rep->state == UPSTREAM_HOST_REJECTED ? "rejected"
			                                         : "pending");
	}
	flush_spool(u);
	return AU_OK;
}

enum au_status
updater_cycle(struct updater *u, int *converged, uint32_t *retry_after_ms,
    struct au_err *err)
{
	struct scan_agent     *found;
	struct upstream_reply *rep;
	size_t                 n = 0, i;
	enum au_status         st;

	*converged = 0;
	*retry_after_ms = 0;
	found = calloc(UPDATER_SCAN_MAX, sizeof(*found));
	rep = calloc(1, sizeof(*rep));
	if (found == NULL || rep == NULL) {
		st = au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	if ((st = heartbeat(u, found, &n, rep, retry_after_ms, err)) != AU_OK)
		goto out;
	*converged = 1;
	for (i = 0; i < rep->n; i++)
		if (!converge_one(u, &rep->agents[i], found, n))
			*converged = 0;
	forget_untargeted(u, rep);
out:
	free(found);
	free(rep);
	return st;
}

enum au_status
updater_heartbeat(struct updater *u, struct au_err *err)
{
	struct scan_agent     *found;
	struct upstream_reply *rep;
	uint32_t               retry;
	size_t                 n = 0;
	enum au_status         st;

	found = calloc(UPDATER_SCAN_MAX, sizeof(*found));
	rep = calloc(1, sizeof(*rep));
	if (found == NULL || rep == NULL)
		st = au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	else
		st = heartbeat(u, found, &n, rep, &retry, err);
	free(found);
	free(rep);
	return st;
}

void
updater_run(struct updater *u, volatile sig_atomic_t *quit)
{
	struct au_err  e = AU_ERR_INIT;
	uint64_t       next, now, sup, every = u->conf.supervise_interval;
	uint32_t       retry;
	int            conv, quick = 0;
	enum au_status st;

	next = heartbeat_first(
	    &u->hb, timeutil_mono_ms(), sig_random_uniform(UINT32_MAX));
	sup = timeutil_mono_ms() + every * 1000;
	log_info("host %s: first heartbeat in %llu ms", u->hostname,
	    (unsigned long long)(next - timeutil_mono_ms()));
	while (!*quit) {
		now = timeutil_mono_ms();
		/* Supervision keeps its own schedule, meta or not. */
		if (every > 0 && now >= sup) {
			updater_supervise(u);
			sup = timeutil_mono_ms() + every * 1000;
			continue;
		}
		if (now < next) {
			/* A signal cuts the wait short (no SA_RESTART). */
			poll(NULL, 0,
			    (int)(next - now > 1000 ? 1000 : next - now));
			continue;
		}
		au_err_clear(&e);
		u->reported = 0;
		st = updater_cycle(u, &conv, &retry, &e);
		log_debug("host %s: cycle done: %s, %s", u->hostname,
		    au_strerror(st), conv ? "converged" : "not converged");
		now = timeutil_mono_ms();
		/* After acting, one heartbeat at once tells meta the result
		 * (and only one: it acts again only when due). */
		if (st == AU_OK) {
			next = heartbeat_success(
			    &u->hb, 0, now, sig_random_uniform(UINT32_MAX));
			quick = u->reported && !quick;
			if (quick)
				next = now;
		} else
			next = heartbeat_failure(
			    &u->hb, retry, now, sig_random_uniform(UINT32_MAX));
	}
}
