/* SPDX-License-Identifier: MIT */
/*
 * au_test: the helpers the C tests share (see au_test.h).
 */
#include "au_test.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsutil.h"
#include "manifest.h"
#include "sig.h"

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
