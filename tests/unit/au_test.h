/* SPDX-License-Identifier: MIT */
/*
 * au_test: cmocka with the headers it needs before it, in the order it
 * needs them (clang-format would otherwise sort cmocka.h first), plus small
 * helpers the tests share, up to a real meta process for integration tests
 * (tests/unit/au_test.c, linked into every unit and integration test
 * written in C).
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

#include "sig.h"

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

/* Sleep ms milliseconds; for the pauses between polls of a condition. */
void au_test_sleep_ms(long ms);

/*
 * A real meta process for an integration test: $AU_BIN/meta -d with a
 * meta.conf of the test's own, listening on an ephemeral port of 127.0.0.1,
 * certificates from certs/mkcerts.sh and a data directory, all under dir:
 *   dir/certs/  dir/meta.conf  dir/data/  dir/meta.log (meta's output)
 * The caller owns dir (it makes it before au_test_meta_init and removes
 * it after au_test_meta_stop) and the struct (usually inside its fixture);
 * the struct owns the meta process from au_test_meta_start until
 * au_test_meta_stop.  All of these fail the running test with a cmocka
 * assertion.
 */
struct au_test_meta {
	char    dir[AU_TEST_DIR_BYTES];
	char    conf[AU_TEST_DIR_BYTES + 16]; /* dir/meta.conf */
	pid_t   pid;                          /* 0 when not running */
	int     port;                         /* 0 until the first start */
	uint8_t admin_pk[SIG_PUBKEY_BYTES], admin_sk[SIG_SECKEY_BYTES];
	uint8_t rel_pk[SIG_PUBKEY_BYTES], rel_sk[SIG_SECKEY_BYTES];
};

struct rpc_client;

/* Set m up in the existing directory dir: initialize sig, make the
 * certificates into dir/certs (slow: runs mkcerts.sh), a new admin key
 * pair (operator "alice") and a new release key pair ("ci").  Writes no
 * config and starts nothing. */
void au_test_meta_init(struct au_test_meta *m, const char *dir);

/* Write m->conf (created or truncated): the [meta] section with listen
 * (port m->port, so 0 before the first start), the test certificates,
 * datadir and interval = 1, then extra_lines verbatim (each ending in
 * "\n"; "" for none), then [admin] and [release] with m's public keys. */
void au_test_meta_write_conf(struct au_test_meta *m, const char *extra_lines);

/* Start meta with m->conf and wait (up to 10 s) until it has written
 * data/meta.port; sets m->pid and m->port.  meta gets SIGTERM when this
 * program dies, since cmocka skips teardown after a failure.  Rewrite the
 * config after the first start to keep the same port across restarts. */
void au_test_meta_start(struct au_test_meta *m);

/* Send signo to meta and reap it; for SIGTERM also assert that it exited
 * with status 0.  A no-op when meta is not running.  Blocks until meta
 * has exited. */
void au_test_meta_stop(struct au_test_meta *m, int signo);

/* A new RPC client of the running meta with the test certificate cert
 * ("admin", "host", "release": dir/certs/CERT.crt and .key) and the
 * identity secret key sk (copied).  The caller frees it with
 * rpc_client_free(). */
struct rpc_client *au_test_meta_client(struct au_test_meta *m,
    const uint8_t sk[SIG_SECKEY_BYTES], const char *cert);

#endif
