/* SPDX-License-Identifier: MIT */
/*
 * test_fetch: the chunked, resumable download against an in-memory
 * package source: chunking, resuming a partial file, a package that
 * changes on the server, RESOURCE_EXHAUSTED with retry-after, a source
 * that sends the wrong offset, and a package larger than announced.
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au_test.h"
#include "fetch.h"
#include "fsutil.h"

struct src {
	const uint8_t *data;
	size_t         size;
	const char    *manifest;
	int            calls;
	int            busy;    /* answer RESOURCE_EXHAUSTED this often */
	int            fail_at; /* fail with UNAVAILABLE on this call */
	int            bad_off; /* send a wrong offset */
	int            swap_at; /* change the manifest from this call */
};

struct fx {
	char    dir[AU_TEST_DIR_BYTES];
	uint8_t pkg[300000];
};

static enum au_status
src_get(void *arg, const char *agent, const char *version, uint64_t offset,
    uint32_t len, struct fetch_chunk *c, struct au_err *err)
{
	struct src *s = arg;

	(void)agent;
	(void)version;
	s->calls++;
	if (s->fail_at && s->calls == s->fail_at)
		return au_err_set(err, AU_UNAVAILABLE, "connection lost");
	if (s->busy && s->calls <= s->busy) {
		c->retry_after_ms = 10;
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "busy");
	}
	c->manifest = (const uint8_t *)s->manifest;
	if (s->swap_at && s->calls >= s->swap_at)
		c->manifest = (const uint8_t *)"manifest B\n";
	c->manifest_len = strlen((const char *)c->manifest);
	c->size = s->size;
	c->offset = s->bad_off ? offset + 1 : offset;
	c->len = offset + len > s->size ? s->size - offset : len;
	c->data = s->data + offset;
	return AU_OK;
}

static void
init_src(struct src *s, struct fetch_source *fs, const struct fx *fx)
{
	memset(s, 0, sizeof(*s));
	s->data = fx->pkg;
	s->size = sizeof(fx->pkg);
	s->manifest = "manifest A\n";
	fs->get = src_get;
	fs->release = NULL;
	fs->arg = s;
}

static void
assert_file_is(const char *path, const uint8_t *data, size_t n)
{
	char  *buf;
	size_t len;

	assert_int_equal(
	    fsutil_read_file(path, 1 << 20, &buf, &len, NULL), AU_OK);
	assert_int_equal(len, n);
	assert_memory_equal(buf, data, n);
	free(buf);
}

static int
setup(void **state)
{
	struct fx *fx = au_test_fixture_new(sizeof(*fx), "fetch");
	size_t     i;

	if (fx == NULL)
		return -1;
	for (i = 0; i < sizeof(fx->pkg); i++)
		fx->pkg[i] = (uint8_t)(i * 7 + i / 251);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	return au_test_fixture_free(*state);
}

static void
test_chunked_download(void **state)
{
	struct fx          *fx = *state;
	struct src          s;
	struct fetch_source fs;
	struct fetch_paths  p;
	uint32_t            retry;

	init_src(&s, &fs, fx);
	assert_int_equal(fetch_package(&fs, fx->dir, "demo", "1.0.0", 0, 65536,
	                     &p, &retry, NULL),
	    AU_OK);
	assert_int_equal(s.calls, 5); /* 300000 bytes in 64 KiB chunks */
	assert_file_is(p.tarball, fx->pkg, sizeof(fx->pkg));
	assert_file_is(p.manifest, (const uint8_t *)"manifest A\n", 11);
	assert_int_equal(access(p.part, F_OK), -1);
	/* Complete already: no request at all. */
	assert_int_equal(fetch_package(&fs, fx->dir, "demo", "1.0.0", 0, 65536,
	                     &p, &retry, NULL),
	    AU_OK);
	assert_int_equal(s.calls, 5);
}

static void
test_resume_after_break(void **state)
{
	struct fx          *fx = *state;
	struct src          s;
	struct fetch_source fs;
	struct fetch_paths  p;
	struct au_err       e = AU_ERR_INIT;
	uint32_t            retry;
	struct stat         sb;

	init_src(&s, &fs, fx);
	s.fail_at = 3;
	assert_int_equal(fetch_package(&fs, fx->dir, "demo", "1.0.0", 0, 65536,
	                     &p, &retry, &e),
	    AU_UNAVAILABLE);
	assert_int_equal(stat(p.part, &sb), 0);
	assert_int_equal(sb.st_size, 2 * 65536);
	s.fail_at = 0;
	s.calls = 0;
	assert_int_equal(fetch_package(&fs, fx->dir, "demo", "1.0.0", 0, 65536,
	                     &p, &retry, NULL),
	    AU_OK);
	assert_int_equal(s.calls, 3); /* only the rest */
	assert_file_is(p.tarball, fx->pkg, sizeof(fx->pkg));
}

static void
test_changed_package_restarts(void **state)
{
	struct fx          *fx = *state;
	struct src          s;
	struct fetch_source fs;
	struct fetch_paths  p;
	uint32_t            retry;

	init_src(&s, &fs, fx);
	s.swap_at = 3;
	assert_int_equal(fetch_package(&fs, fx->dir, "demo", "1.0.0", 0, 65536,
	                     &p, &retry, NULL),
	    AU_OK);
	assert_file_is(p.tarball, fx->pkg, sizeof(fx->pkg));
	assert_file_is(p.manifest, (const uint8_t *)"manifest B\n", 11);
}

static void
test_retry_after(void **state)
{
	struct fx          *fx = *state;
	struct src          s;
	struct fetch_source fs;
	struct fetch_paths  p;
	uint32_t            retry = 0;

	init_src(&s, &fs, fx);
	s.busy = 2; /* short waits: fetch waits itself */
	assert_int_equal(fetch_package(&fs, fx->dir, "demo", "1.0.0", 0,
	                     1 << 20, &p, &retry, NULL),
	    AU_OK);
	assert_int_equal(s.calls, 3);
	init_src(&s, &fs, fx);
	s.busy = 1000; /* never free: back to the caller with retry-after */
	assert_int_equal(fetch_package(&fs, fx->dir, "demo", "2.0.0", 0,
	                     1 << 20, &p, &retry, NULL),
	    AU_RESOURCE_EXHAUSTED);
	assert_int_equal(retry, 10);
	assert_int_equal(s.calls, FETCH_RETRIES_MAX + 1);
}

static void
test_bad_chunks_refused(void **state)
{
	struct fx          *fx = *state;
	struct src          s;
	struct fetch_source fs;
	struct fetch_paths  p;
	uint32_t            retry;

	init_src(&s, &fs, fx);
	s.bad_off = 1;
	assert_int_equal(fetch_package(&fs, fx->dir, "demo", "1.0.0", 0, 65536,
	                     &p, &retry, NULL),
	    AU_DATA_LOSS);
	init_src(&s, &fs, fx);
	/* The heartbeat announced fewer bytes than the server sends. */
	assert_int_equal(fetch_package(&fs, fx->dir, "demo", "3.0.0", 1000,
	                     65536, &p, &retry, NULL),
	    AU_OUT_OF_RANGE);
	assert_int_equal(access(p.tarball, F_OK), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_chunked_download, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_resume_after_break, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_changed_package_restarts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_after, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_bad_chunks_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
