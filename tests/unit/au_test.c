/* SPDX-License-Identifier: MIT */
/*
 * au_test: the helpers the C tests share (see au_test.h).
 */
#include "au_test.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "manifest.h"
#include "rpc.h"
#include "sig.h"

static int meta_read_port(const struct au_test_meta *);

int
au_test_mkdtemp(char *dir, size_t sz, const char *name)
{
	if (snprintf(dir, sz, "/tmp/au-%s-XXXXXX", name) >= (int)sz)
		return -1;
	return mkdtemp(dir) != NULL ? 0 : -1;
}

void *
au_test_fixture_new(size_t size, const char *name)
{
	char *fx = size >= AU_TEST_DIR_BYTES ? calloc(1, size) : NULL;

	if (fx != NULL && au_test_mkdtemp(fx, AU_TEST_DIR_BYTES, name) != 0) {
		free(fx);
		return NULL;
	}
	return fx;
}

int
au_test_fixture_free(void *fx)
{
	int rv = fx != NULL ? au_test_rmtree(fx) : 0;

	free(fx);
	return rv;
}

int
au_test_rmtree(const char *dir)
{
	return fsutil_remove_tree(dir, NULL) == AU_OK ? 0 : -1;
}

int
au_test_mkcerts(const char *dir, const char *names)
{
	const char *src = getenv("AU_SRC");
	char        cmd[1024];

	if (snprintf(cmd, sizeof(cmd),
	        "sh '%s/certs/mkcerts.sh' '%s' %s >/dev/null",
	        src != NULL ? src : ".", dir,
	        names != NULL ? names : "") >= (int)sizeof(cmd))
		return -1;
	return system(cmd) == 0 ? 0 : -1;
}

void
au_test_write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

int
au_test_pid_gone(pid_t pid)
{
	char  path[64], buf[256], *p;
	FILE *f;
	int   zombie = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 1;
	if (fgets(buf, sizeof(buf), f) != NULL && (p = strrchr(buf, ')')))
		zombie = p[2] == 'Z' || p[2] == 'X';
	fclose(f);
	return zombie;
}

pid_t
au_test_read_pid(const char *path)
{
	FILE *f;
	int   pid = 0;

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	return (pid_t)pid;
}

void
au_test_cap_open(struct au_test_cap *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
}

void
au_test_cap_check(struct au_test_cap *c, const char *want)
{
	assert_int_equal(fclose(c->f), 0);
	assert_string_equal(c->buf, want);
	free(c->buf);
}

char *
au_test_manifest(const char *agent, const char *version, const void *data,
    size_t size, uint64_t entries, uint64_t unpacked, const uint8_t *sk,
    size_t *len)
{
	struct manifest m;
	char           *out = NULL;

	memset(&m, 0, sizeof(m));
	m.format = MANIFEST_FORMAT;
	snprintf(m.agent, sizeof(m.agent), "%s", agent);
	snprintf(m.version, sizeof(m.version), "%s", version);
	m.size = size;
	sig_hash(m.hash, data, size);
	m.entries = entries;
	m.unpacked_size = unpacked;
	m.created = (uint64_t)time(NULL);
	assert_int_equal(manifest_sign(&m, sk, &out, len, NULL), AU_OK);
	return out;
}

void
au_test_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

void
au_test_meta_init(struct au_test_meta *m, const char *dir)
{
	char certs[sizeof(m->dir) + 8];

	memset(m, 0, sizeof(*m));
	assert_int_equal(sig_init(), AU_OK);
	assert_true(
	    snprintf(m->dir, sizeof(m->dir), "%s", dir) < (int)sizeof(m->dir));
	snprintf(certs, sizeof(certs), "%s/certs", m->dir);
	assert_int_equal(au_test_mkcerts(certs, NULL), 0);
	snprintf(m->conf, sizeof(m->conf), "%s/meta.conf", m->dir);
	sig_keypair(m->admin_pk, m->admin_sk);
	sig_keypair(m->rel_pk, m->rel_sk);
}

void
au_test_meta_write_conf(struct au_test_meta *m, const char *extra_lines)
{
	char  hex[2 * SIG_PUBKEY_BYTES + 1], rel[2 * SIG_PUBKEY_BYTES + 1];
	FILE *fp = fopen(m->conf, "w");

	assert_non_null(fp);
	sig_hex_encode(hex, sizeof(hex), m->admin_pk, sizeof(m->admin_pk));
	sig_hex_encode(rel, sizeof(rel), m->rel_pk, sizeof(m->rel_pk));
	fprintf(fp,
	    "[meta]\nlisten = tls+tcp://127.0.0.1:%d\nca = %s/certs/ca.crt\n"
	    "cert = %s/certs/meta.crt\nkey = %s/certs/meta.key\n"
	    "datadir = %s/data\ninterval = 1\n%s"
	    "[admin]\nalice = %s\n[release]\nci = %s\n",
	    m->port, m->dir, m->dir, m->dir, m->dir, extra_lines, hex, rel);
	fclose(fp);
}

/* The port in dir/data/meta.port, 0 while meta has not written it. */
static int
meta_read_port(const struct au_test_meta *m)
{
	char  path[128];
	int   port = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/data/meta.port", m->dir);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	if (fscanf(fp, "%d", &port) != 1)
		port = 0;
	fclose(fp);
	return port;
}

void
au_test_meta_start(struct au_test_meta *m)
{
	char path[128], bin[256], log[128];
	int  i, fd;

	snprintf(path, sizeof(path), "%s/data/meta.port", m->dir);
	unlink(path);
	snprintf(bin, sizeof(bin), "%s/meta", getenv("AU_BIN"));
	snprintf(log, sizeof(log), "%s/meta.log", m->dir);
	m->pid = fork();
	assert_true(m->pid >= 0);
	if (m->pid == 0) {
		/* cmocka skips teardown after a failure: meta must not
		 * outlive this test program. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, 2);
		dup2(fd, 1);
		execl(bin, "meta", "-d", "-c", m->conf, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200 && (m->port = meta_read_port(m)) == 0; i++)
		au_test_sleep_ms(50);
	assert_true(m->port > 0);
}

void
au_test_meta_stop(struct au_test_meta *m, int signo)
{
	int status = 0;

	if (m->pid <= 0)
		return;
	kill(m->pid, signo);
	waitpid(m->pid, &status, 0);
	if (signo == SIGTERM)
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	m->pid = 0;
}

struct rpc_client *
au_test_meta_client(struct au_test_meta *m, const uint8_t sk[SIG_SECKEY_BYTES],
    const char *cert)
{
	struct rpc_client_conf cc;
	struct rpc_client     *c = NULL;
	char                   url[64], ca[128], crt[128], key[128];

	memset(&cc, 0, sizeof(cc));
	snprintf(url, sizeof(url), "tls+tcp://127.0.0.1:%d", m->port);
	snprintf(ca, sizeof(ca), "%s/certs/ca.crt", m->dir);
	snprintf(crt, sizeof(crt), "%s/certs/%s.crt", m->dir, cert);
	snprintf(key, sizeof(key), "%s/certs/%s.key", m->dir, cert);
	cc.url = url;
	cc.ca_file = ca;
	cc.cert_file = crt;
	cc.key_file = key;
	cc.server_name = "localhost";
	memcpy(cc.identity_sk, sk, SIG_SECKEY_BYTES);
	cc.timeout_ms = 10000;
	assert_int_equal(rpc_client_new(&cc, &c, NULL), AU_OK);
	return c;
}
