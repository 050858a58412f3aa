/* SPDX-License-Identifier: MIT */
/*
 * test_install: the install state machine with real signed tarballs whose
 * control script starts a real background process and writes a pid file.
 * Good releases are made with tar(1); hostile ones with libarchive's
 * writer (as test_extract does), all signed with manifest_sign().
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agentctl.h"
#include "agentdir.h"
#include "au_test.h"
#include "extract.h"
#include "fetch.h"
#include "fsutil.h"
#include "install.h"
#include "log.h"
#include "manifest.h"
#include "scan.h"
#include "sig.h"
#include "timeutil.h"

#define AGENT "demo"
#define F_FAIL_START 1
#define F_NEVER_STARTED 2
#define F_DIES 4 /* the process exits 1 s after start */

struct fx {
	char               tmp[128];
	char               root[256];
	uint8_t            trusted[1][SIG_PUBKEY_BYTES];
	uint8_t            sk[SIG_SECKEY_BYTES];
	uint8_t            other_sk[SIG_SECKEY_BYTES];
	struct install_env env;
	char               tarball[PATH_MAX];
	char               manifest[PATH_MAX];
	struct report      rep;
	uint32_t           manifest_window; /* health_window to sign, s */
};

struct hent {
	const char *path;
	int         type; /* AE_IF* */
	const char *data; /* file contents, link target */
	int         hardlink;
	int64_t     zeros; /* a file of this many zero bytes */
};

static const char control_script[] =
    "#!/bin/sh\n"
    "P=\"$PWD/agent.pid\"\n"
    "alive() {\n"
    "\t[ -f \"$P\" ] || return 1\n"
    "\ts=$(cut -d' ' -f3 \"/proc/$(cat \"$P\")/stat\" 2>/dev/null)\n"
    "\t[ -n \"$s\" ] && [ \"$s\" != Z ]\n"
    "}\n"
    "case \"$1\" in\n"
    "start)\n"
    "\tif [ -f fail_start ]; then\n"
    "\t\techo \"$(basename \"$PWD\") refuses to start\"; exit 7\n"
    "\tfi\n"
    "\tif [ -f dies ]; then t=1; else t=600; fi\n"
    "\tsleep $t </dev/null >/dev/null 2>&1 &\n"
    "\techo $! > \"$P\"; echo \"started pid $!\";;\n"
    "stop)\n"
    "\tif [ -f ignore_stop ]; then echo stopped; exit 0; fi\n"
    "\tif [ -f \"$P\" ]; then kill \"$(cat \"$P\")\" 2>/dev/null; fi\n"
    "\techo stopped;;\n"
    "status)\n"
    "\tif [ -f never_started ]; then echo starting; exit 0; fi\n"
    "\tif alive; then echo started; else echo stopped; fi;;\n"
    "*) echo usage; exit 2;;\n"
    "esac\n";

/* ------------------------------------------------------------ helpers */

static void
xpath(char *out, const struct fx *fx, const char *fmt, const char *a)
{
	char rel[512];

	snprintf(rel, sizeof(rel), fmt, a);
	snprintf(out, PATH_MAX, "%s/%s", fx->tmp, rel);
}

static int
exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

/* The pid of version's agent process, 0 when it has no pid file. */
static pid_t
agent_pid(const struct fx *fx, const char *version)
{
	char path[PATH_MAX * 2];

	snprintf(
	    path, sizeof(path), "%s/%s/%s/agent.pid", fx->root, AGENT, version);
	return au_test_read_pid(path);
}

static int
running(const struct fx *fx, const char *version)
{
	pid_t pid = agent_pid(fx, version);

	return pid > 0 && !au_test_pid_gone(pid);
}

static void
assert_current(const struct fx *fx, const char *version)
{
	char cur[REPORT_NAME_MAX + 1];

	assert_int_equal(
	    scan_current(fx->root, AGENT, cur, sizeof(cur), NULL), AU_OK);
	assert_string_equal(cur, version);
}

/* Sign the tarball at fx->tarball into fx->manifest. */
static void
sign(struct fx *fx, const char *agent, const char *version, const uint8_t *sk,
    uint64_t entries, uint64_t unpacked)
{
	char  *buf, *data;
	size_t len, dlen;

	assert_int_equal(
	    fsutil_read_file(fx->tarball, 1 << 30, &data, &dlen, NULL), AU_OK);
	buf = au_test_manifest(
	    agent, version, data, dlen, entries, unpacked, sk, &len);
	free(data);
	if (fx->manifest_window != 0) {
		struct manifest m;

		assert_int_equal(manifest_parse(buf, len, &m, NULL), AU_OK);
		free(buf);
		m.health_window = fx->manifest_window;
		assert_int_equal(
		    manifest_sign(&m, sk, &buf, &len, NULL), AU_OK);
	}
	assert_int_equal(
	    fsutil_write_atomic(fx->manifest, buf, len, 0644, NULL), AU_OK);
	free(buf);
}

/* A good release made with tar(1), signed by sk. */
static void
make_release(struct fx *fx, const char *version, int flags, const uint8_t *sk)
{
	char dir[PATH_MAX], path[PATH_MAX * 2], cmd[PATH_MAX * 3];
	struct extract_info info;
	int                 fd;

	xpath(dir, fx, "src-%s", version);
	assert_int_equal(fsutil_mkdirs(dir, 0755, NULL), AU_OK);
	snprintf(path, sizeof(path), "%s/control", dir);
	au_test_write_file(path, control_script, 0755);
	snprintf(path, sizeof(path), "%s/payload.txt", dir);
	au_test_write_file(path, "payload\n", 0644);
	if (flags & F_FAIL_START) {
		snprintf(path, sizeof(path), "%s/fail_start", dir);
		au_test_write_file(path, "", 0644);
	}
	if (flags & F_DIES) {
		snprintf(path, sizeof(path), "%s/dies", dir);
		au_test_write_file(path, "", 0644);
	}
	if (flags & F_NEVER_STARTED) {
		snprintf(path, sizeof(path), "%s/never_started", dir);
		au_test_write_file(path, "", 0644);
	}
	xpath(fx->tarball, fx, "demo-%s.tar.gz", version);
	xpath(fx->manifest, fx, "demo-%s.sig", version);
	snprintf(cmd, sizeof(cmd), "tar -C '%s' -czf '%s' .", dir, fx->tarball);
	assert_int_equal(system(cmd), 0);
	assert_true((fd = open(fx->tarball, O_RDONLY)) >= 0);
	assert_int_equal(extract_inspect(fd, &info, NULL), AU_OK);
	close(fd);
	sign(fx, AGENT, version, sk, info.entries, info.unpacked_size);
}

static void
write_hent(struct archive *a, const struct hent *x)
{
	static const char     zero[65536];
	struct archive_entry *e = archive_entry_new();
	int64_t               n;
	size_t                k;

	archive_entry_set_pathname(e, x->path);
	archive_entry_set_filetype(e, (unsigned)x->type);
	archive_entry_set_perm(e, x->type == AE_IFDIR ? 0755 : 0755);
	if (x->hardlink)
		archive_entry_set_hardlink(e, x->data);
	else if (x->type == AE_IFLNK)
		archive_entry_set_symlink(e, x->data);
	if (x->type == AE_IFCHR)
		archive_entry_set_rdev(e, makedev(1, 3));
	if (x->type == AE_IFREG && !x->hardlink)
		archive_entry_set_size(
		    e, x->zeros ? x->zeros : (int64_t)strlen(x->data));
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	if (x->type == AE_IFREG && !x->hardlink && x->zeros == 0)
		archive_write_data(a, x->data, strlen(x->data));
	for (n = x->zeros; n > 0; n -= (int64_t)k) {
		k = n > (int64_t)sizeof(zero) ? sizeof(zero) : (size_t)n;
		assert_int_equal(archive_write_data(a, zero, k), (ssize_t)k);
	}
	archive_entry_free(e);
}

/* A hostile release: a good control script, then the entries given,
 * signed with the trusted key (a signature proves origin, not safety). */
static void
make_hostile(
    struct fx *fx, const char *version, const struct hent *ents, size_t n)
{
	struct hent     ctl = {"control", AE_IFREG, control_script, 0, 0};
	struct archive *a = archive_write_new();
	size_t          i;

	xpath(fx->tarball, fx, "demo-%s.tar.gz", version);
	xpath(fx->manifest, fx, "demo-%s.sig", version);
	assert_int_equal(
	    archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	archive_write_set_filter_option(a, NULL, "compression-level", "1");
	assert_int_equal(
	    archive_write_open_filename(a, fx->tarball), ARCHIVE_OK);
	write_hent(a, &ctl);
	for (i = 0; i < n; i++)
		write_hent(a, &ents[i]);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	sign(fx, AGENT, version, fx->sk, n + 1, 1024 * 1024);
}

static enum au_status
install(struct fx *fx, const char *version)
{
	return install_version(
	    &fx->env, AGENT, version, fx->tarball, fx->manifest, &fx->rep);
}

/* v1 installed and running. */
static void
install_v1(struct fx *fx)
{
	make_release(fx, "1.0.0", 0, fx->sk);
	assert_int_equal(install(fx, "1.0.0"), AU_OK);
	assert_int_equal(fx->rep.outcome, REPORT_OK);
	assert_true(running(fx, "1.0.0"));
}

/* Nothing was written beside the agent's versions and the tarball's own
 * tree: no staging folder, no version folder for a refused release. */
static void
assert_refused_cleanly(struct fx *fx, const char *version)
{
	char path[PATH_MAX * 2];

	snprintf(
	    path, sizeof(path), "%s/%s/.staging-%s", fx->root, AGENT, version);
	assert_false(exists(path));
	snprintf(path, sizeof(path), "%s/%s/%s", fx->root, AGENT, version);
	assert_false(exists(path));
	assert_current(fx, "1.0.0");
	assert_true(running(fx, "1.0.0"));
}

/* ------------------------------------------------------------ fixture */

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL || au_test_mkdtemp(fx->tmp, sizeof(fx->tmp), "install"))
		return -1;
	snprintf(fx->root, sizeof(fx->root), "%s/root", fx->tmp);
	if (mkdir(fx->root, 0755) != 0)
		return -1;
	sig_keypair(fx->trusted[0], fx->sk);
	{
		uint8_t pk[SIG_PUBKEY_BYTES];
		sig_keypair(pk, fx->other_sk);
	}
	fx->env.root = fx->root;
	fx->env.hostname = "test-host";
	fx->env.trusted = (const uint8_t(*)[SIG_PUBKEY_BYTES])fx->trusted;
	fx->env.ntrusted = 1;
	fx->env.control_timeout_ms = 10000;
	fx->env.start_timeout_ms = 3000;
	fx->env.health_window_ms = 0; /* the health tests set their own */
	fx->env.keep_versions = 2;
	fx->env.now_s = (uint64_t)time(NULL);
	*state = fx;
	return 0;
}

/* Stop every agent process the test started, then remove the tree. */
static int
teardown(void **state)
{
	struct fx             *fx = *state;
	char                   vers[SCAN_VERSIONS_MAX][REPORT_NAME_MAX + 1];
	char                   dir[PATH_MAX * 2];
	struct agentctl_result res;
	size_t                 n = 0, i;
	pid_t                  pid;
	int                    rv;

	scan_versions(fx->root, AGENT, vers, SCAN_VERSIONS_MAX, &n, NULL);
	for (i = 0; i < n; i++) {
		if ((pid = agent_pid(fx, vers[i])) > 0)
			kill(pid, SIGKILL);
		snprintf(
		    dir, sizeof(dir), "%s/%s/%s", fx->root, AGENT, vers[i]);
		agentctl_run(dir, "stop", 5000, &res, NULL);
	}
	rv = au_test_rmtree(fx->tmp);
	free(fx);
	return rv;
}

/* ------------------------------------------------------------ tests */

static void
test_install_and_upgrade(void **state)
{
	struct fx *fx = *state;
	pid_t      v1;
	char       path[PATH_MAX * 2];

	install_v1(fx);
	assert_current(fx, "1.0.0");
	assert_string_equal(fx->rep.from_version, "");
	assert_int_equal(fx->rep.action, REPORT_START);
	snprintf(
	    path, sizeof(path), "%s/%s/1.0.0/payload.txt", fx->root, AGENT);
	assert_true(exists(path));
	v1 = agent_pid(fx, "1.0.0");

	make_release(fx, "2.0.0", 0, fx->sk);
	assert_int_equal(install(fx, "2.0.0"), AU_OK);
	assert_int_equal(fx->rep.outcome, REPORT_OK);
	assert_string_equal(fx->rep.version, "2.0.0");
	assert_string_equal(fx->rep.from_version, "1.0.0");
	assert_current(fx, "2.0.0");
	assert_true(running(fx, "2.0.0"));
	assert_true(au_test_pid_gone(v1));
	assert_false(running(fx, "1.0.0"));
	assert_true(install_have(&fx->env, AGENT, "1.0.0"));
}

static void
test_start_failure_rolls_back(void **state)
{
	struct fx *fx = *state;

	install_v1(fx);
	make_release(fx, "2.0.0", 0, fx->sk);
	assert_int_equal(install(fx, "2.0.0"), AU_OK);
	make_release(fx, "3.0.0", F_FAIL_START, fx->sk);
	assert_int_equal(install(fx, "3.0.0"), AU_ABORTED);
	assert_int_equal(fx->rep.outcome, REPORT_ROLLED_BACK);
	assert_string_equal(fx->rep.step, "start");
	assert_int_equal(fx->rep.exit_code, 7);
	assert_string_equal(fx->rep.output_tail, "3.0.0 refuses to start\n");
	assert_string_equal(fx->rep.from_version, "2.0.0");
	assert_current(fx, "2.0.0");
	assert_true(running(fx, "2.0.0"));
	assert_false(running(fx, "3.0.0"));
	/* keep_versions = 2: the current and the previous one stay. */
	assert_true(install_have(&fx->env, AGENT, "1.0.0"));
}

static void
test_status_timeout_rolls_back(void **state)
{
	struct fx *fx = *state;

	fx->env.start_timeout_ms = 600;
	install_v1(fx);
	make_release(fx, "4.0.0", F_NEVER_STARTED, fx->sk);
	assert_int_equal(install(fx, "4.0.0"), AU_DEADLINE_EXCEEDED);
	assert_int_equal(fx->rep.outcome, REPORT_ROLLED_BACK);
	assert_string_equal(fx->rep.step, "status");
	assert_string_equal(fx->rep.output_tail, "starting\n");
	assert_current(fx, "1.0.0");
	assert_true(running(fx, "1.0.0"));
	assert_false(running(fx, "4.0.0"));
}

static void
test_first_install_fails_without_rollback(void **state)
{
	struct fx *fx = *state;
	char       path[PATH_MAX * 2];

	make_release(fx, "3.0.0", F_FAIL_START, fx->sk);
	assert_int_equal(install(fx, "3.0.0"), AU_ABORTED);
	assert_int_equal(fx->rep.outcome, REPORT_FAILED);
	assert_string_equal(fx->rep.step, "start");
	snprintf(path, sizeof(path), "%s/%s/.version", fx->root, AGENT);
	assert_false(exists(path));
}

static void
test_stop_action(void **state)
{
	struct fx *fx = *state;
	pid_t      v1;

	install_v1(fx);
	v1 = agent_pid(fx, "1.0.0");
	assert_int_equal(install_stop(&fx->env, AGENT, &fx->rep), AU_OK);
	assert_int_equal(fx->rep.outcome, REPORT_OK);
	assert_int_equal(fx->rep.action, REPORT_STOP);
	assert_string_equal(fx->rep.version, "1.0.0");
	assert_true(au_test_pid_gone(v1));
	assert_current(fx, "1.0.0");
	/* Start again: the version .version names. */
	assert_int_equal(install_start(&fx->env, AGENT, &fx->rep), AU_OK);
	assert_true(running(fx, "1.0.0"));
	assert_int_equal(
	    install_stop(&fx->env, "absent", &fx->rep), AU_NOT_FOUND);
}

/* A stop script that returns but leaves the agent running: the STOP
 * action fails at step "stop" and says so; so does an install of another
 * version, which then never starts beside the old one. */
static void
test_stop_that_does_not_stop(void **state)
{
	struct fx *fx = *state;
	char       path[PATH_MAX * 2];

	install_v1(fx);
	snprintf(
	    path, sizeof(path), "%s/%s/1.0.0/ignore_stop", fx->root, AGENT);
	au_test_write_file(path, "", 0644);
	fx->env.control_timeout_ms = 1500;
	assert_int_equal(
	    install_stop(&fx->env, AGENT, &fx->rep), AU_FAILED_PRECONDITION);
	assert_int_equal(fx->rep.outcome, REPORT_FAILED);
	assert_string_equal(fx->rep.step, "stop");
	assert_non_null(strstr(fx->rep.message, "still says started"));
	assert_true(running(fx, "1.0.0"));
	make_release(fx, "2.0.0", 0, fx->sk);
	assert_int_equal(install(fx, "2.0.0"), AU_FAILED_PRECONDITION);
	assert_string_equal(fx->rep.step, "stop");
	assert_false(running(fx, "2.0.0"));
	assert_true(running(fx, "1.0.0"));
	assert_current(fx, "1.0.0");
	unlink(path);
	assert_int_equal(install_stop(&fx->env, AGENT, &fx->rep), AU_OK);
}

static void
test_tampered_tarball_refused(void **state)
{
	struct fx *fx = *state;
	FILE      *f;

	install_v1(fx);
	make_release(fx, "2.0.0", 0, fx->sk);
	/* Replace one byte after signing. */
	assert_non_null(f = fopen(fx->tarball, "r+"));
	fseek(f, 20, SEEK_SET);
	fputc(0x5a, f);
	fclose(f);
	assert_int_equal(install(fx, "2.0.0"), AU_DATA_LOSS);
	assert_int_equal(fx->rep.outcome, REPORT_FAILED);
	assert_string_equal(fx->rep.step, "verify");
	assert_refused_cleanly(fx, "2.0.0");
	/* The refused download is gone, to be fetched afresh. */
	assert_false(exists(fx->tarball));
}

static void
test_untrusted_key_refused(void **state)
{
	struct fx *fx = *state;

	install_v1(fx);
	make_release(fx, "2.0.0", 0, fx->other_sk);
	assert_int_equal(install(fx, "2.0.0"), AU_UNAUTHENTICATED);
	assert_string_equal(fx->rep.step, "verify");
	assert_refused_cleanly(fx, "2.0.0");
}

static void
test_manifest_for_other_version_refused(void **state)
{
	struct fx *fx = *state;

	install_v1(fx);
	make_release(fx, "2.0.0", 0, fx->sk);
	assert_int_equal(install(fx, "2.0.1"), AU_FAILED_PRECONDITION);
	assert_refused_cleanly(fx, "2.0.1");
}

static void
test_no_trusted_keys_installs_nothing(void **state)
{
	struct fx *fx = *state;

	make_release(fx, "1.0.0", 0, fx->sk);
	fx->env.ntrusted = 0;
	assert_int_equal(install(fx, "1.0.0"), AU_FAILED_PRECONDITION);
	assert_false(install_have(&fx->env, AGENT, "1.0.0"));
}

static void
test_hostile_tarballs_refused(void **state)
{
	struct fx        *fx = *state;
	char              outside[PATH_MAX], abs[256];
	char              through[256];
	const struct hent dotdot[] = {{"../../escaped", AE_IFREG, "x", 0, 0}};
	const struct hent absolute[] = {{abs, AE_IFREG, "x", 0, 0}};
	const struct hent symlink_root[] = {
	    {"link", AE_IFLNK, "/", 0, 0}, {through, AE_IFREG, "x", 0, 0}};
	const struct hent hardlink[] = {
	    {"passwd", AE_IFREG, "/etc/passwd", 1, 0}};
	const struct hent device[] = {{"null", AE_IFCHR, "", 0, 0}};
	const struct hent bomb[] = {
	    {"zeros", AE_IFREG, "", 0, (int64_t)1 << 30}};
	const struct {
		const struct hent *ents;
		size_t             n;
	} cases[] = {{dotdot, 1}, {absolute, 1}, {symlink_root, 2},
	    {hardlink, 1}, {device, 1}, {bomb, 1}};
	char   ver[16];
	size_t i;

	install_v1(fx);
	xpath(outside, fx, "%s", "escaped");
	snprintf(abs, sizeof(abs), "%s/abs-escaped", fx->tmp);
	snprintf(through, sizeof(through), "link%s/through-escaped", fx->tmp);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(ver, sizeof(ver), "6.0.%zu", i);
		make_hostile(fx, ver, cases[i].ents, cases[i].n);
		assert_int_not_equal(install(fx, ver), AU_OK);
		assert_int_equal(fx->rep.outcome, REPORT_FAILED);
		assert_string_equal(fx->rep.step, "extract");
		assert_refused_cleanly(fx, ver);
	}
	assert_false(exists(outside));
	assert_false(exists(abs));
	xpath(outside, fx, "%s", "through-escaped");
	assert_false(exists(outside));
	xpath(outside, fx, "root/%s", "escaped");
	assert_false(exists(outside));
}

static void
test_recovery_after_kill(void **state)
{
	struct fx         *fx = *state;
	struct fetch_paths p2, p3;
	char               path[PATH_MAX * 2];
	struct au_err      e = AU_ERR_INIT;
	struct report      rep;

	install_v1(fx);
	make_release(fx, "2.0.0", 0, fx->sk);
	assert_int_equal(install(fx, "2.0.0"), AU_OK);
	/* kill -9 between `start new` and writing .version: v2 runs, .version
	 * still names v1, which is stopped. */
	au_test_write_file(
	    strcat(strcat(strcpy(path, fx->root), "/" AGENT), "/.version"),
	    "1.0.0\n", 0644);
	/* ... with a staging folder and a partial download left behind. */
	snprintf(path, sizeof(path), "%s/%s/.staging-3.0.0", fx->root, AGENT);
	assert_int_equal(fsutil_mkdirs(path, 0755, NULL), AU_OK);
	strcat(path, "/half");
	au_test_write_file(path, "x", 0644);
	assert_int_equal(
	    fetch_paths(fx->root, AGENT, "3.0.0", &p3, NULL), AU_OK);
	assert_int_equal(fsutil_mkdirs(p3.dir, 0700, NULL), AU_OK);
	au_test_write_file(p3.part, "partial", 0600);
	/* A complete download that does not verify, and a resumable one. */
	assert_int_equal(
	    fetch_paths(fx->root, AGENT, "2.0.1", &p2, NULL), AU_OK);
	au_test_write_file(p2.tarball, "garbage", 0600);
	au_test_write_file(p2.manifest, "garbage", 0600);
	assert_int_equal(
	    fetch_paths(fx->root, AGENT, "2.0.2", &p2, NULL), AU_OK);
	au_test_write_file(p2.part, "resume me", 0600);
	au_test_write_file(p2.manifest, "the manifest", 0600);

	assert_int_equal(install_recover(&fx->env, AGENT, 1, &rep, &e), AU_OK);
	assert_string_equal(rep.id, ""); /* no health window to judge */
	snprintf(path, sizeof(path), "%s/%s/.staging-3.0.0", fx->root, AGENT);
	assert_false(exists(path));
	assert_false(exists(p3.part));
	assert_int_equal(
	    fetch_paths(fx->root, AGENT, "2.0.1", &p3, NULL), AU_OK);
	assert_false(exists(p3.tarball));
	assert_false(exists(p3.manifest));
	assert_true(exists(p2.part));
	assert_true(exists(p2.manifest));
	/* Exactly one version runs, the one .version names. */
	assert_current(fx, "1.0.0");
	assert_true(running(fx, "1.0.0"));
	assert_false(running(fx, "2.0.0"));
	/* want_running = 0 (a STOP in force) leaves it as it is. */
	assert_int_equal(install_stop(&fx->env, AGENT, &fx->rep), AU_OK);
	assert_int_equal(install_recover(&fx->env, AGENT, 0, &rep, &e), AU_OK);
	assert_false(running(fx, "1.0.0"));
}

static void
test_prune_keeps_current_and_previous(void **state)
{
	struct fx *fx = *state;

	install_v1(fx);
	make_release(fx, "2.0.0", 0, fx->sk);
	assert_int_equal(install(fx, "2.0.0"), AU_OK);
	make_release(fx, "2.1.0", 0, fx->sk);
	assert_int_equal(install(fx, "2.1.0"), AU_OK);
	assert_true(install_have(&fx->env, AGENT, "2.1.0"));
	assert_true(install_have(&fx->env, AGENT, "2.0.0"));
	assert_false(install_have(&fx->env, AGENT, "1.0.0"));
	/* Back to an installed version: no tarball needed. */
	assert_int_equal(
	    install_version(&fx->env, AGENT, "2.0.0", NULL, NULL, &fx->rep),
	    AU_OK);
	assert_current(fx, "2.0.0");
	assert_true(running(fx, "2.0.0"));
	assert_false(running(fx, "2.1.0"));
}

static int
agent_file_exists(const struct fx *fx, const char *name)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s/%s", fx->root, AGENT, name);
	return exists(path);
}

/* 2.0.0 starts, says started, and its process exits 1 s later: inside the
 * 3 s window, so it is stopped and 1.0.0 started again; .version never
 * names 2.0.0, and the failed version is pruned at once. */
static void
test_health_window_rolls_back(void **state)
{
	struct fx *fx = *state;

	install_v1(fx);
	fx->env.health_window_ms = 3000;
	make_release(fx, "2.0.0", F_DIES, fx->sk);
	assert_int_equal(install(fx, "2.0.0"), AU_ABORTED);
	assert_int_equal(fx->rep.outcome, REPORT_ROLLED_BACK);
	assert_string_equal(fx->rep.step, "health");
	assert_non_null(strstr(fx->rep.message, "control status said stopped"));
	assert_non_null(strstr(fx->rep.message, "into the 3 s health window"));
	assert_string_equal(fx->rep.output_tail, "stopped\n");
	assert_current(fx, "1.0.0");
	assert_true(running(fx, "1.0.0"));
	assert_false(agent_file_exists(fx, ".probation"));
	assert_false(install_have(&fx->env, AGENT, "2.0.0"));
}

/* A version that stays up through the window is committed after it. */
static void
test_health_window_commits(void **state)
{
	struct fx *fx = *state;
	char       good[4][REPORT_NAME_MAX + 1];
	size_t     n;
	uint64_t   t0;

	install_v1(fx);
	fx->env.health_window_ms = 1500;
	make_release(fx, "2.0.0", 0, fx->sk);
	t0 = timeutil_mono_ms();
	assert_int_equal(install(fx, "2.0.0"), AU_OK);
	assert_true(timeutil_mono_ms() - t0 >= 1500);
	assert_int_equal(fx->rep.outcome, REPORT_OK);
	assert_current(fx, "2.0.0");
	assert_true(running(fx, "2.0.0"));
	assert_false(agent_file_exists(fx, ".probation"));
	agentdir_good_load(fx->root, AGENT, good, 4, &n);
	assert_int_equal(n, 2);
	assert_string_equal(good[0], "1.0.0");
	assert_string_equal(good[1], "2.0.0");
}

/* The package asks for a 2 s window where the updater has none: a
 * version that dies after 1 s is rolled back all the same. */
static void
test_manifest_health_window(void **state)
{
	struct fx *fx = *state;

	install_v1(fx);
	fx->manifest_window = 2;
	make_release(fx, "2.0.0", F_DIES, fx->sk);
	assert_int_equal(install(fx, "2.0.0"), AU_ABORTED);
	assert_int_equal(fx->rep.outcome, REPORT_ROLLED_BACK);
	assert_string_equal(fx->rep.step, "health");
	assert_non_null(strstr(fx->rep.message, "into the 2 s health window"));
	assert_current(fx, "1.0.0");
	assert_true(running(fx, "1.0.0"));
}

/* The state a kill -9 inside 2.0.0's window leaves: 2.0.0 started (or
 * dead), 1.0.0 stopped, .version still 1.0.0, .probation naming 2.0.0
 * with its window begun 500 ms ago. */
static void
killed_in_window(struct fx *fx, int flags)
{
	struct agentdir_probation p;
	char                      path[PATH_MAX * 2];

	install_v1(fx);
	make_release(fx, "2.0.0", flags, fx->sk);
	assert_int_equal(install(fx, "2.0.0"), AU_OK);
	snprintf(path, sizeof(path), "%s/%s/.version", fx->root, AGENT);
	au_test_write_file(path, "1.0.0\n", 0644);
	memset(&p, 0, sizeof(p));
	snprintf(p.version, sizeof(p.version), "2.0.0");
	snprintf(p.previous, sizeof(p.previous), "1.0.0");
	p.window_ms = 2000;
	p.start_ms = timeutil_wall_ms() - 500;
	assert_int_equal(
	    agentdir_probation_write(fx->root, AGENT, &p, NULL), AU_OK);
	assert_false(running(fx, "1.0.0"));
}

static void
test_probation_recovery_resumes(void **state)
{
	struct fx    *fx = *state;
	struct au_err e = AU_ERR_INIT;
	uint64_t      t0;

	killed_in_window(fx, 0);
	assert_true(running(fx, "2.0.0"));
	t0 = timeutil_mono_ms();
	assert_int_equal(
	    install_recover(&fx->env, AGENT, 1, &fx->rep, &e), AU_OK);
	/* The rest of the window, about 1.5 s, not the whole of it again. */
	assert_true(timeutil_mono_ms() - t0 >= 1400);
	assert_true(timeutil_mono_ms() - t0 < 2500);
	assert_int_not_equal(fx->rep.id[0], '\0');
	assert_int_equal(fx->rep.outcome, REPORT_OK);
	assert_string_equal(fx->rep.version, "2.0.0");
	assert_string_equal(fx->rep.from_version, "1.0.0");
	assert_current(fx, "2.0.0");
	assert_true(running(fx, "2.0.0"));
	assert_false(running(fx, "1.0.0"));
	assert_false(agent_file_exists(fx, ".probation"));
}

static void
test_probation_recovery_rolls_back(void **state)
{
	struct fx    *fx = *state;
	struct au_err e = AU_ERR_INIT;
	pid_t         pid;

	killed_in_window(fx, 0);
	/* It died while the updater was away. */
	assert_true((pid = agent_pid(fx, "2.0.0")) > 0);
	kill(pid, SIGKILL);
	while (!au_test_pid_gone(pid))
		poll(NULL, 0, 10);
	assert_int_equal(
	    install_recover(&fx->env, AGENT, 1, &fx->rep, &e), AU_OK);
	assert_int_equal(fx->rep.outcome, REPORT_ROLLED_BACK);
	assert_string_equal(fx->rep.step, "health");
	assert_string_equal(fx->rep.message,
	    "updater restarted inside the health window; 2.0.0 was not "
	    "running");
	assert_current(fx, "1.0.0");
	assert_true(running(fx, "1.0.0"));
	assert_false(running(fx, "2.0.0"));
	assert_false(agent_file_exists(fx, ".probation"));
}

/* keep_versions = 2 keeps the current and the last good one; a failed
 * version goes at once, whatever its age; the tarballs of installed
 * versions go too. */
static void
test_prune_keeps_last_good(void **state)
{
	struct fx         *fx = *state;
	struct fetch_paths p;

	install_v1(fx);
	make_release(fx, "2.0.0", 0, fx->sk);
	assert_int_equal(install(fx, "2.0.0"), AU_OK);
	make_release(fx, "3.0.0", F_FAIL_START, fx->sk);
	assert_int_equal(install(fx, "3.0.0"), AU_ABORTED);
	assert_false(install_have(&fx->env, AGENT, "3.0.0"));
	assert_true(install_have(&fx->env, AGENT, "1.0.0"));
	assert_true(install_have(&fx->env, AGENT, "2.0.0"));
	/* A tarball left in .download for an installed version. */
	assert_int_equal(
	    fetch_paths(fx->root, AGENT, "2.0.0", &p, NULL), AU_OK);
	assert_int_equal(fsutil_mkdirs(p.dir, 0700, NULL), AU_OK);
	au_test_write_file(p.tarball, "old", 0600);
	au_test_write_file(p.manifest, "old", 0600);
	make_release(fx, "4.0.0", 0, fx->sk);
	assert_int_equal(install(fx, "4.0.0"), AU_OK);
	assert_true(install_have(&fx->env, AGENT, "4.0.0"));
	assert_true(install_have(&fx->env, AGENT, "2.0.0"));
	assert_false(install_have(&fx->env, AGENT, "1.0.0"));
	assert_false(exists(p.tarball));
	assert_false(exists(p.manifest));
}

static void
test_remove(void **state)
{
	struct fx *fx = *state;
	char       path[PATH_MAX * 2];
	pid_t      v1;

	install_v1(fx);
	v1 = agent_pid(fx, "1.0.0");
	assert_int_equal(install_remove(&fx->env, AGENT, &fx->rep), AU_OK);
	assert_int_equal(fx->rep.action, REPORT_REMOVE);
	assert_int_equal(fx->rep.outcome, REPORT_OK);
	assert_string_equal(fx->rep.version, "1.0.0");
	assert_true(au_test_pid_gone(v1));
	snprintf(path, sizeof(path), "%s/%s", fx->root, AGENT);
	assert_false(exists(path));
	/* Only the root's lock file could be left: no .removing-*. */
	snprintf(path, sizeof(path), "test -z \"$(ls -A '%s')\"", fx->root);
	assert_int_equal(system(path), 0);
	assert_int_equal(
	    install_remove(&fx->env, AGENT, &fx->rep), AU_NOT_FOUND);
}

/* An agent that will not stop is not deleted. */
static void
test_remove_that_does_not_stop(void **state)
{
	struct fx *fx = *state;
	char       path[PATH_MAX * 2];

	install_v1(fx);
	snprintf(
	    path, sizeof(path), "%s/%s/1.0.0/ignore_stop", fx->root, AGENT);
	au_test_write_file(path, "", 0644);
	fx->env.control_timeout_ms = 1000;
	assert_int_equal(
	    install_remove(&fx->env, AGENT, &fx->rep), AU_FAILED_PRECONDITION);
	assert_int_equal(fx->rep.outcome, REPORT_FAILED);
	assert_string_equal(fx->rep.step, "stop");
	assert_true(running(fx, "1.0.0"));
	assert_current(fx, "1.0.0");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_install_and_upgrade, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_start_failure_rolls_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_status_timeout_rolls_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_first_install_fails_without_rollback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stop_action, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_stop_that_does_not_stop, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_tampered_tarball_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_untrusted_key_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_manifest_for_other_version_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_no_trusted_keys_installs_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_hostile_tarballs_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_recovery_after_kill, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_prune_keeps_current_and_previous, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_health_window_rolls_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_health_window_commits, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_manifest_health_window, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_probation_recovery_resumes, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_probation_recovery_rolls_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_prune_keeps_last_good, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_remove_that_does_not_stop, setup, teardown),
	};

	if (sig_init() != AU_OK)
		return 1;
	log_init("test_install", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
