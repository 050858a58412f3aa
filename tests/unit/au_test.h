/* SPDX-License-Identifier: MIT */
/*
 * au_test: cmocka with the headers it needs before it, in the order it
 * needs them (clang-format would otherwise sort cmocka.h first), plus small
 * helpers the tests share (tests/unit/au_test.c, linked into every unit
 * and integration test written in C).
 *
 * Helpers that return int are for cmocka setup and teardown functions:
 * 0 on success, -1 on failure.  The void ones fail the running test with
 * a cmocka assertion instead.
 */
#ifndef AU_TEST_H
#define AU_TEST_H

/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <sys/types.h>

#include <stdio.h>

/* Make a new directory /tmp/au-NAME-XXXXXX into dir (sz bytes). */
int au_test_mkdtemp(char *dir, size_t sz, const char *name);

/* A test fixture that starts with its temporary directory:
 *   struct fx { char dir[AU_TEST_DIR_BYTES]; ...the test's own... };
 * au_test_fixture_new returns one of size bytes, zeroed but for dir, a new
 * /tmp/au-NAME-XXXXXX (NULL on failure); au_test_fixture_free removes that
 * tree and frees the fixture (NULL is a no-op). */
#define AU_TEST_DIR_BYTES 64
void *au_test_fixture_new(size_t size, const char *name);
int   au_test_fixture_free(void *fx);

/* Remove dir and all below it (never following symlinks out of it). */
int au_test_rmtree(const char *dir);

/* Run $AU_SRC/certs/mkcerts.sh (AU_SRC unset: ".") into dir for the
 * client certificates names ("host admin"; NULL for the script's
 * defaults), quietly. */
int au_test_mkcerts(const char *dir, const char *names);

/* Write text to path (created or truncated), then chmod it to mode. */
void au_test_write_file(const char *path, const char *text, mode_t mode);

/* 1 when pid is dead or a zombie nobody has reaped yet, else 0. */
int au_test_pid_gone(pid_t pid);

/* The pid written in the file at path, 0 when there is none. */
pid_t au_test_read_pid(const char *path);

/* A FILE that collects what is written to it, for exact comparisons:
 * au_test_cap_check closes it, asserts its text is want and frees it. */
struct au_test_cap {
	char  *buf;
	size_t len;
	FILE  *f;
};

void au_test_cap_open(struct au_test_cap *c);
void au_test_cap_check(struct au_test_cap *c, const char *want);

/* A signed manifest for (agent, version) over the package data[0..size)
 * with the given entries and unpacked size, made now with the release
 * secret key sk.  Returns the text (the caller frees it) and its length
 * in *len. */
char *au_test_manifest(const char *agent, const char *version, const void *data,
    size_t size, uint64_t entries, uint64_t unpacked, const uint8_t *sk,
    size_t *len);

#endif
