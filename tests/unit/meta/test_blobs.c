/* SPDX-License-Identifier: MIT */
/*
 * test_blobs: meta's package store on a real temporary data directory,
 * with manifests signed by real ed25519 keys: refused uploads (each with
 * its exact status), resumed uploads, chunked downloads, admission, and
 * what a crash leaves behind.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "au_test.h"
#include "blobs.h"
#include "fsutil.h"
#include "manifest.h"
#include "rpc.h"
#include "sig.h"

#define MIB (1024 * 1024)
#define PKG_BYTES (3 * MIB + 12345)

struct fx {
	char          dir[128];
	uint8_t       pk[SIG_PUBKEY_BYTES], sk[SIG_SECKEY_BYTES];
	uint8_t       pk2[SIG_PUBKEY_BYTES], sk2[SIG_SECKEY_BYTES];
	struct blobs *b;
	uint8_t      *data;
	int           audits;
	char          audit_detail[256];
};

static void
audit_cb(void *arg, const char *who, const char *action, const char *detail)
{
	struct fx *f = arg;

	assert_string_equal(who, "pipeline");
	assert_string_equal(action, "upload");
	f->audits++;
	snprintf(f->audit_detail, sizeof(f->audit_detail), "%s", detail);
}

static uint32_t
running_cb(void *arg, const char *agent, const char *version)
{
	(void)arg;
	return strcmp(agent, "nodex") == 0 && strcmp(version, "1.9.0") == 0 ? 7
	                                                                    : 0;
}

static enum au_status
open_blobs(struct fx *f, uint64_t max_bytes, uint32_t max_downloads)
{
	struct blobs_conf c = {0};

	c.datadir = f->dir;
	c.max_package_bytes = max_bytes;
	c.max_downloads = max_downloads;
	c.retry_after_ms = 1000;
	c.release_keys = (const uint8_t(*)[SIG_PUBKEY_BYTES])f->pk;
	c.nrelease_keys = 1;
	c.audit = audit_cb;
	c.audit_arg = f;
	c.running = running_cb;
	blobs_close(f->b);
	f->b = NULL;
	return blobs_open(&c, &f->b, NULL);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	size_t     i;

	assert_non_null(f);
	assert_int_equal(sig_init(), AU_OK);
	assert_int_equal(au_test_mkdtemp(f->dir, sizeof(f->dir), "blobs"), 0);
	sig_keypair(f->pk, f->sk);
	sig_keypair(f->pk2, f->sk2);
	assert_non_null(f->data = malloc(PKG_BYTES));
	for (i = 0; i < PKG_BYTES; i++)
		f->data[i] = (uint8_t)(i * 2654435761u >> 13);
	assert_int_equal(open_blobs(f, 0, 2), AU_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	blobs_close(f->b);
	assert_int_equal(fsutil_remove_tree(f->dir, NULL), AU_OK);
	free(f->data);
	free(f);
	return 0;
}

/* A manifest for (agent, version) over data[0..size), signed by sk. */
static char *
make_manifest(const char *agent, const char *version, const uint8_t *data,
    size_t size, const uint8_t *sk, size_t *len)
{
	return au_test_manifest(agent, version, data, size, 1, size, sk, len);
}

/* Upload all of data like metactl does: resume from received, finish
 * with the last chunk.  Returns the first failing status. */
static enum au_status
upload(struct fx *f, const char *man, size_t mlen, const uint8_t *data,
    size_t size, struct blobs_upload_result *res)
{
	uint64_t       off = 0;
	size_t         n;
	enum au_status st;
	int            i;

	for (i = 0; i < 64; i++) {
		n = size - off > MIB ? MIB : size - off;
		st = blobs_upload_chunk(f->b, "pipeline", man, mlen, off,
		    data + off, n, off + n == size, res, NULL);
		if (st != AU_OK || res->stored || res->already_present)
			return st;
		off = res->received;
	}
	return AU_ABORTED;
}

static int
count_files(const char *dir)
{
	struct dirent *de;
	DIR           *d;
	int            n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static int
uploads_left(const struct fx *f)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/packages/uploads", f->dir);
	return count_files(path);
}

/* Download by chunks of step bytes into out; returns bytes read. */
static uint64_t
download(struct fx *f, const char *agent, const char *version, uint64_t from,
    uint32_t step, uint8_t *out, uint64_t stop_at)
{
	struct blobs_chunk c;
	uint8_t           *buf = malloc(MIB);
	uint64_t           off = from;
	int                i;

	assert_non_null(buf);
	for (i = 0; i < 4096 && off < stop_at; i++) {
		assert_int_equal(blobs_read_chunk(f->b, agent, version, off,
		                     step, buf, MIB, &c, NULL),
		    AU_OK);
		assert_int_equal(c.offset, off);
		if (c.len == 0)
			break;
		memcpy(out + off, buf, c.len);
		off += c.len;
	}
	free(buf);
	return off;
}

static void
test_upload_and_download(void **state)
{
	struct fx                 *f = *state;
	struct blobs_upload_result res;
	uint8_t                    hash[SIG_HASH_BYTES], want[SIG_HASH_BYTES];
	uint64_t                   size = 0;
	uint8_t                   *got = calloc(1, PKG_BYTES);
	size_t                     mlen;
	char                      *man =
	    make_manifest("nodex", "1.4.2", f->data, PKG_BYTES, f->sk, &mlen);

	assert_int_equal(
	    blobs_lookup(f->b, "nodex", "1.4.2", NULL, NULL), AU_NOT_FOUND);
	assert_int_equal(upload(f, man, mlen, f->data, PKG_BYTES, &res), AU_OK);
	assert_true(res.stored);
	assert_false(res.already_present);
	assert_int_equal(res.received, PKG_BYTES);
	assert_string_equal(res.package_id, "nodex/1.4.2");
	sig_hash(want, f->data, PKG_BYTES);
	assert_memory_equal(res.hash, want, SIG_HASH_BYTES);
	assert_int_equal(
	    blobs_lookup(f->b, "nodex", "1.4.2", &size, hash), AU_OK);
	assert_int_equal(size, PKG_BYTES);
	assert_memory_equal(hash, want, SIG_HASH_BYTES);
	assert_int_equal(f->audits, 1);
	assert_non_null(strstr(f->audit_detail, "nodex 1.4.2 hash "));
	assert_int_equal(uploads_left(f), 0);
	assert_int_equal(
	    download(f, "nodex", "1.4.2", 0, 0, got, PKG_BYTES), PKG_BYTES);
	assert_memory_equal(got, f->data, PKG_BYTES);
	free(got);
	free(man);
}

static void
test_flipped_tarball_byte(void **state)
{
	struct fx                 *f = *state;
	struct blobs_upload_result res;
	size_t                     mlen;
	char                      *man =
	    make_manifest("nodex", "1.4.2", f->data, PKG_BYTES, f->sk, &mlen);

	f->data[PKG_BYTES / 2] ^= 0x01;
	assert_int_equal(upload(f, man, mlen, f->data, PKG_BYTES, &res),
	    AU_INVALID_ARGUMENT);
	assert_false(res.stored);
	assert_int_equal(
	    blobs_lookup(f->b, "nodex", "1.4.2", NULL, NULL), AU_NOT_FOUND);
	assert_int_equal(uploads_left(f), 0);
	assert_int_equal(f->audits, 0);
	free(man);
}

static void
test_flipped_manifest_byte(void **state)
{
	struct fx                 *f = *state;
	struct blobs_upload_result res;
	size_t                     mlen;
	char                      *man =
	    make_manifest("nodex", "1.4.2", f->data, PKG_BYTES, f->sk, &mlen);
	char *p = strstr(man, "size: ");

	assert_non_null(p);
	p[6] = p[6] == '1' ? '2' : '1'; /* still parses; signature breaks */
	assert_int_equal(
	    upload(f, man, mlen, f->data, PKG_BYTES, &res), AU_UNAUTHENTICATED);
	assert_int_equal(res.received, 0);
	assert_int_equal(uploads_left(f), 0);
	/* A flip that breaks the syntax is malformed, not forged. */
	p = strstr(man, "agent: ");
	p[5] = '=';
	assert_int_equal(upload(f, man, mlen, f->data, PKG_BYTES, &res),
	    AU_INVALID_ARGUMENT);
	assert_int_equal(
	    blobs_lookup(f->b, "nodex", "1.4.2", NULL, NULL), AU_NOT_FOUND);
	free(man);
}

static void
test_unknown_key(void **state)
{
	struct fx                 *f = *state;
	struct blobs_upload_result res;
	struct au_err              err = AU_ERR_INIT;
	size_t                     mlen;
	char                      *man =
	    make_manifest("nodex", "1.4.2", f->data, PKG_BYTES, f->sk2, &mlen);

	assert_int_equal(blobs_upload_chunk(f->b, "pipeline", man, mlen, 0,
	                     f->data, MIB, 0, &res, &err),
	    AU_UNAUTHENTICATED);
	assert_non_null(strstr(err.msg, "unknown key"));
	assert_int_equal(uploads_left(f), 0);
	/* After a reload that trusts the second key, it is accepted. */
	assert_int_equal(
	    blobs_set_release_keys(
	        f->b, (const uint8_t(*)[SIG_PUBKEY_BYTES])f->pk2, 1, NULL),
	    AU_OK);
	assert_int_equal(upload(f, man, mlen, f->data, PKG_BYTES, &res), AU_OK);
	assert_true(res.stored);
	free(man);
}

static void
test_manifest_for_other_package(void **state)
{
	struct fx                 *f = *state;
	struct blobs_upload_result res;
	size_t                     mlen, half = PKG_BYTES / 2;
	/* Signed for the first half of the bytes; paired with the second
	 * half (same size, other hash), then with all of them. */
	char *man =
	    make_manifest("nodex", "1.4.1", f->data, half, f->sk, &mlen);

	assert_int_equal(upload(f, man, mlen, f->data + half, half, &res),
	    AU_INVALID_ARGUMENT);
	assert_int_equal(uploads_left(f), 0);
	assert_int_equal(upload(f, man, mlen, f->data, PKG_BYTES, &res),
	    AU_INVALID_ARGUMENT);
	assert_int_equal(uploads_left(f), 0);
	assert_int_equal(
	    blobs_lookup(f->b, "nodex", "1.4.1", NULL, NULL), AU_NOT_FOUND);
	free(man);
}

static void
test_second_upload(void **state)
{
	struct fx                 *f = *state;
	struct blobs_upload_result res;
	struct au_err              err = AU_ERR_INIT;
	size_t                     mlen, mlen2;
	char *man = make_manifest("nodex", "2.0.0", f->data, MIB, f->sk, &mlen);
	char *other =
	    make_manifest("nodex", "2.0.0", f->data + 1, MIB, f->sk, &mlen2);

	assert_int_equal(upload(f, man, mlen, f->data, MIB, &res), AU_OK);
	assert_true(res.stored);
	assert_int_equal(blobs_upload_chunk(f->b, "pipeline", other, mlen2, 0,
	                     f->data + 1, MIB, 1, &res, &err),
	    AU_ALREADY_EXISTS);
	assert_non_null(strstr(err.msg, "already stored"));
	assert_int_equal(upload(f, man, mlen, f->data, MIB, &res), AU_OK);
	assert_true(res.already_present);
	assert_false(res.stored);
	assert_int_equal(res.received, MIB);
	assert_int_equal(f->audits, 1);
	assert_int_equal(uploads_left(f), 0);
	free(man);
	free(other);
}

static void
test_resumed_upload(void **state)
{
	struct fx                 *f = *state;
	struct blobs_upload_result res;
	struct blobs_info         *v = NULL;
	uint8_t                   *got = calloc(1, PKG_BYTES);
	size_t                     mlen, n;
	char                      *man =
	    make_manifest("nodex", "1.5.0", f->data, PKG_BYTES, f->sk, &mlen);

	assert_int_equal(blobs_upload_chunk(f->b, "pipeline", man, mlen, 0,
	                     f->data, MIB, 0, &res, NULL),
	    AU_OK);
	assert_int_equal(blobs_upload_chunk(f->b, "pipeline", man, mlen, MIB,
	                     f->data + MIB, MIB, 0, &res, NULL),
	    AU_OK);
	assert_int_equal(res.received, 2 * MIB);
	assert_int_equal(
	    blobs_lookup(f->b, "nodex", "1.5.0", NULL, NULL), AU_NOT_FOUND);
	/* meta restarts: the fresh partial survives, still invisible. */
	assert_int_equal(open_blobs(f, 0, 2), AU_OK);
	assert_int_equal(uploads_left(f), 1);
	assert_int_equal(blobs_list(f->b, NULL, &v, &n, NULL), AU_OK);
	assert_int_equal(n, 0);
	/* A restarted client starts at 0 and is told where to resume. */
	assert_int_equal(blobs_upload_chunk(f->b, "pipeline", man, mlen, 0,
	                     f->data, MIB, 0, &res, NULL),
	    AU_OK);
	assert_int_equal(res.received, 2 * MIB);
	assert_int_equal(blobs_upload_chunk(f->b, "pipeline", man, mlen,
	                     3 * MIB, f->data + 3 * MIB, 12345, 1, &res, NULL),
	    AU_OUT_OF_RANGE);
	assert_int_equal(upload(f, man, mlen, f->data, PKG_BYTES, &res), AU_OK);
	assert_true(res.stored);
	assert_int_equal(uploads_left(f), 0);
	assert_int_equal(blobs_list(f->b, NULL, &v, &n, NULL), AU_OK);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].version, "1.5.0");
	assert_int_equal(v[0].size, PKG_BYTES);
	free(v);
	assert_int_equal(
	    download(f, "nodex", "1.5.0", 0, 0, got, PKG_BYTES), PKG_BYTES);
	assert_memory_equal(got, f->data, PKG_BYTES);
	free(got);
	free(man);
}

static void
test_chunked_download_restart(void **state)
{
	struct fx                 *f = *state;
	struct blobs_upload_result res;
	struct blobs_chunk         c;
	uint8_t                   *got = calloc(1, PKG_BYTES), buf[16];
	uint64_t                   mid;
	size_t                     mlen;
	char                      *man =
	    make_manifest("nodex", "1.4.2", f->data, PKG_BYTES, f->sk, &mlen);

	assert_int_equal(upload(f, man, mlen, f->data, PKG_BYTES, &res), AU_OK);
	/* First client: odd chunks, killed part way; the next one resumes
	 * from what the first had written, with another chunk size. */
	mid = download(f, "nodex", "1.4.2", 0, 300001, got, PKG_BYTES / 2);
	assert_true(mid >= PKG_BYTES / 2 && mid < PKG_BYTES);
	assert_int_equal(
	    download(f, "nodex", "1.4.2", mid, 2 * MIB, got, PKG_BYTES),
	    PKG_BYTES);
	assert_memory_equal(got, f->data, PKG_BYTES);
	/* The manifest travels with every chunk, byte for byte. */
	assert_int_equal(blobs_read_chunk(f->b, "nodex", "1.4.2", 5, 10, buf,
	                     sizeof(buf), &c, NULL),
	    AU_OK);
	assert_int_equal(c.len, 10);
	assert_int_equal(c.size, PKG_BYTES);
	assert_int_equal(c.manifest_len, mlen);
	assert_memory_equal(c.manifest, man, mlen);
	assert_memory_equal(buf, f->data + 5, 10);
	assert_int_equal(blobs_read_chunk(f->b, "nodex", "1.4.2", PKG_BYTES, 0,
	                     buf, sizeof(buf), &c, NULL),
	    AU_OK);
	assert_int_equal(c.len, 0);
	assert_int_equal(blobs_read_chunk(f->b, "nodex", "1.4.2", PKG_BYTES + 1,
	                     0, buf, sizeof(buf), &c, NULL),
	    AU_OUT_OF_RANGE);
	assert_int_equal(blobs_read_chunk(f->b, "nodex", "9.9.9", 0, 0, buf,
	                     sizeof(buf), &c, NULL),
	    AU_NOT_FOUND);
	free(got);
	free(man);
}

static void
test_admission(void **state)
{
	struct fx    *f = *state;
	struct au_err err = AU_ERR_INIT;
	uint32_t      retry = 0;

	assert_int_equal(blobs_download_begin(f->b, &retry, NULL), AU_OK);
	assert_int_equal(blobs_download_begin(f->b, &retry, NULL), AU_OK);
	assert_int_equal(
	    blobs_download_begin(f->b, &retry, &err), AU_RESOURCE_EXHAUSTED);
	assert_in_range(retry, 1000, 1500);
	assert_non_null(strstr(err.msg, "too many downloads in flight (2)"));
	blobs_download_end(f->b);
	assert_int_equal(blobs_download_begin(f->b, &retry, NULL), AU_OK);
	blobs_download_end(f->b);
	blobs_download_end(f->b);
}

static void
test_size_limit(void **state)
{
	struct fx                 *f = *state;
	struct blobs_upload_result res;
	size_t                     mlen;
	char                      *man =
	    make_manifest("nodex", "1.4.2", f->data, PKG_BYTES, f->sk, &mlen);

	assert_int_equal(open_blobs(f, 2 * MIB, 2), AU_OK);
	assert_int_equal(upload(f, man, mlen, f->data, PKG_BYTES, &res),
	    AU_RESOURCE_EXHAUSTED);
	assert_int_equal(uploads_left(f), 0);
	free(man);
}

static void
put_file(const char *dir, const char *name, time_t mtime)
{
	char            path[PATH_MAX];
	struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(fsutil_write_atomic(path, "x", 1, 0600, NULL), AU_OK);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void
test_crash_leftovers(void **state)
{
	struct fx                 *f = *state;
	struct blobs_upload_result res;
	struct blobs_info         *v = NULL;
	char                       up[PATH_MAX], idx[PATH_MAX], bl[PATH_MAX];
	time_t                     now = time(NULL);
	size_t                     mlen, n;
	char *man = make_manifest("nodex", "1.4.2", f->data, MIB, f->sk, &mlen);

	assert_int_equal(upload(f, man, mlen, f->data, MIB, &res), AU_OK);
	snprintf(up, sizeof(up), "%s/packages/uploads", f->dir);
	snprintf(idx, sizeof(idx), "%s/packages/index/nodex", f->dir);
	snprintf(bl, sizeof(bl), "%s/packages/blobs", f->dir);
	put_file(up, "nodex-3.0.0-aa.part", now - 2 * 86400);
	put_file(up, "nodex-3.1.0-bb.part", now);
	put_file(up, "nodex-3.1.0-bb.part.tmp.77", now);
	put_file(idx, "3.0.0.sig.tmp.123", now);
	put_file(idx, "3.0.0.meta", now); /* its .sig never landed */
	put_file(bl, "cafe.tmp.9", now);
	assert_int_equal(open_blobs(f, 0, 2), AU_OK);
	assert_int_equal(blobs_list(f->b, NULL, &v, &n, NULL), AU_OK);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].version, "1.4.2");
	assert_string_equal(v[0].uploaded_by, "pipeline");
	assert_true(v[0].uploaded_ms > 0);
	free(v);
	assert_int_equal(
	    blobs_lookup(f->b, "nodex", "3.0.0", NULL, NULL), AU_NOT_FOUND);
	assert_int_equal(count_files(up), 1); /* the fresh .part only */
	assert_int_equal(count_files(idx), 2);
	assert_int_equal(count_files(bl), 1);
	/* A .sig with no blob behind it is not served. */
	assert_int_equal(fsutil_remove_tree(bl, NULL), AU_OK);
	assert_int_equal(open_blobs(f, 0, 2), AU_OK);
	assert_int_equal(
	    blobs_lookup(f->b, "nodex", "1.4.2", NULL, NULL), AU_NOT_FOUND);
	free(man);
}

static void
test_list_sorted(void **state)
{
	struct fx                 *f = *state;
	struct blobs_upload_result res;
	struct blobs_info         *v = NULL;
	const char *vers[] = {"1.10.0", "1.9.0", "1.9.0-rc1", "0.2.0"};
	char        bl[PATH_MAX];
	size_t      i, mlen, n;
	char       *man;

	for (i = 0; i < 4; i++) {
		/* The same bytes under several versions share one blob. */
		man = make_manifest(i == 3 ? "alpha" : "nodex", vers[i],
		    f->data, 1000, f->sk, &mlen);
		assert_int_equal(
		    upload(f, man, mlen, f->data, 1000, &res), AU_OK);
		assert_true(res.stored);
		free(man);
	}
	snprintf(bl, sizeof(bl), "%s/packages/blobs", f->dir);
	assert_int_equal(count_files(bl), 1);
	assert_int_equal(blobs_list(f->b, NULL, &v, &n, NULL), AU_OK);
	assert_int_equal(n, 4);
	assert_string_equal(v[0].agent, "alpha");
	assert_string_equal(v[1].version, "1.9.0-rc1");
	assert_string_equal(v[2].version, "1.9.0");
	assert_string_equal(v[3].version, "1.10.0");
	assert_int_equal(v[2].hosts_running, 7);
	assert_int_equal(v[3].hosts_running, 0);
	free(v);
	assert_int_equal(blobs_list(f->b, "alpha", &v, &n, NULL), AU_OK);
	assert_int_equal(n, 1);
	free(v);
	assert_int_equal(blobs_list(f->b, "none", &v, &n, NULL), AU_OK);
	assert_int_equal(n, 0);
	assert_null(v);
}

/* ------------------------------------------------ through a real server */

struct e2e {
	Au__V1__HostService_Service  host;
	Au__V1__AdminService_Service admin;
	struct fx                   *f;
	uint8_t                      caller_pk[SIG_PUBKEY_BYTES];
	uint8_t                      caller_sk[SIG_SECKEY_BYTES];
	struct rpc_server           *srv;
	struct rpc_client           *cli;
	char                         certs[160];
};

static struct e2e *
e2e_of_host(Au__V1__HostService_Service *svc)
{
	return (struct e2e *)((char *)svc - offsetof(struct e2e, host));
}

static struct e2e *
e2e_of_admin(Au__V1__AdminService_Service *svc)
{
	return (struct e2e *)((char *)svc - offsetof(struct e2e, admin));
}

static void
h_get(Au__V1__HostService_Service *svc, const Au__V1__GetPackageRequest *in,
    Au__V1__GetPackageReply_Closure closure, void *cd)
{
	blobs_handle_get(e2e_of_host(svc)->f->b, in, closure, cd);
}

static void
h_upload(Au__V1__AdminService_Service  *svc,
    const Au__V1__UploadPackageRequest *in,
    Au__V1__UploadPackageReply_Closure closure, void *cd)
{
	blobs_handle_upload(e2e_of_admin(svc)->f->b, in, closure, cd);
}

static void
h_list(Au__V1__AdminService_Service *svc, const Au__V1__ListPackagesRequest *in,
    Au__V1__ListPackagesReply_Closure closure, void *cd)
{
	blobs_handle_list(e2e_of_admin(svc)->f->b, in, closure, cd);
}

/* The caller's key is the release pipeline "pipeline"; nobody else. */
static enum au_status
e2e_identify(void *arg, const uint8_t pk[SIG_PUBKEY_BYTES],
    struct au_principal *out, struct au_err *err)
{
	struct e2e *e = arg;

	if (memcmp(pk, e->caller_pk, SIG_PUBKEY_BYTES) != 0)
		return au_err_set(err, AU_PERMISSION_DENIED, "unknown key");
	memset(out, 0, sizeof(*out));
	out->role = AU_ROLE_RELEASE;
	snprintf(out->name, sizeof(out->name), "pipeline");
	memcpy(out->pubkey, pk, SIG_PUBKEY_BYTES);
	sig_key_id(pk, out->key_id);
	return AU_OK;
}

static enum au_status
e2e_authorize(void *arg, const struct au_principal *caller, const char *method)
{
	(void)arg;
	(void)method;
	return caller->role == AU_ROLE_RELEASE ? AU_OK : AU_PERMISSION_DENIED;
}

static void
e2e_start(struct fx *f, struct e2e *e)
{
	struct rpc_server_conf sc = {0};
	struct rpc_client_conf cc = {0};
	ProtobufCService      *svcs[2];
	char                   ca[200], crt[200], key[200], url[64];
	char                   ccrt[200], ckey[200];

	memset(e, 0, sizeof(*e));
	e->f = f;
	snprintf(e->certs, sizeof(e->certs), "%s/certs", f->dir);
	assert_int_equal(au_test_mkcerts(e->certs, "release"), 0);
	au__v1__host_service__init(&e->host, NULL);
	e->host.get_package = h_get;
	au__v1__admin_service__init(&e->admin, NULL);
	e->admin.upload_package = h_upload;
	e->admin.list_packages = h_list;
	svcs[0] = &e->host.base;
	svcs[1] = &e->admin.base;
	sig_keypair(e->caller_pk, e->caller_sk);
	snprintf(ca, sizeof(ca), "%s/ca.crt", e->certs);
	snprintf(crt, sizeof(crt), "%s/meta.crt", e->certs);
	snprintf(key, sizeof(key), "%s/meta.key", e->certs);
	sc.url = "tls+tcp://127.0.0.1:0";
	sc.ca_file = ca;
	sc.cert_file = crt;
	sc.key_file = key;
	sig_random(sc.token_key, sizeof(sc.token_key));
	sc.identify = e2e_identify;
	sc.identify_arg = e;
	sc.authorize = e2e_authorize;
	sc.contexts = 8;
	assert_int_equal(rpc_server_new(&sc, svcs, 2, &e->srv, NULL), AU_OK);
	assert_int_equal(rpc_server_start(e->srv, NULL), AU_OK);
	snprintf(url, sizeof(url), "tls+tcp://127.0.0.1:%d",
	    rpc_server_port(e->srv));
	snprintf(ccrt, sizeof(ccrt), "%s/release.crt", e->certs);
	snprintf(ckey, sizeof(ckey), "%s/release.key", e->certs);
	cc.url = url;
	cc.ca_file = ca;
	cc.cert_file = ccrt;
	cc.key_file = ckey;
	cc.server_name = "localhost";
	cc.timeout_ms = 20000;
	memcpy(cc.identity_sk, e->caller_sk, SIG_SECKEY_BYTES);
	assert_int_equal(rpc_client_new(&cc, &e->cli, NULL), AU_OK);
}

static void
e2e_stop(struct e2e *e)
{
	rpc_client_free(e->cli);
	rpc_server_free(e->srv);
	sig_memzero(e->caller_sk, sizeof(e->caller_sk));
}

/* One UploadPackage call; the reply (if any) stays in res. */
static enum au_status
rpc_upload(struct e2e *e, const char *man, size_t mlen, uint64_t off,
    const uint8_t *data, size_t len, int finish, struct rpc_result *res)
{
	Au__V1__UploadPackageRequest rq = AU__V1__UPLOAD_PACKAGE_REQUEST__INIT;

	rq.manifest.data = (uint8_t *)(uintptr_t)man;
	rq.manifest.len = mlen;
	rq.offset = off;
	rq.data.data = (uint8_t *)(uintptr_t)data;
	rq.data.len = len;
	rq.has_finish = 1;
	rq.finish = finish;
	rpc_result_fini(res);
	au__v1__admin_service__upload_package(
	    rpc_client_service(e->cli, &au__v1__admin_service__descriptor), &rq,
	    NULL, res);
	return res->status;
}

static enum au_status
rpc_get(struct e2e *e, const char *version, uint64_t off, uint32_t len,
    struct rpc_result *res)
{
	Au__V1__GetPackageRequest rq = AU__V1__GET_PACKAGE_REQUEST__INIT;

	rq.agent = "nodex";
	rq.version = (char *)(uintptr_t)version;
	rq.offset = off;
	rq.length = len;
	rpc_result_fini(res);
	au__v1__host_service__get_package(
	    rpc_client_service(e->cli, &au__v1__host_service__descriptor), &rq,
	    NULL, res);
	return res->status;
}

static void
test_rpc_upload_list_get(void **state)
{
	struct fx                  *f = *state;
	struct e2e                  e;
	struct rpc_result           res = RPC_RESULT_INIT;
	Au__V1__UploadPackageReply *up;
	Au__V1__GetPackageReply    *gp;
	Au__V1__ListPackagesReply  *lp;
	Au__V1__ListPackagesRequest lq = AU__V1__LIST_PACKAGES_REQUEST__INIT;
	uint8_t                    *got = calloc(1, PKG_BYTES);
	uint64_t                    off = 0;
	size_t                      mlen, n;
	int                         i;
	char                       *man =
	    make_manifest("nodex", "1.4.2", f->data, PKG_BYTES, f->sk, &mlen);

	e2e_start(f, &e);
	for (i = 0; i < 16; i++) {
		n = PKG_BYTES - off > MIB ? MIB : PKG_BYTES - off;
		assert_int_equal(rpc_upload(&e, man, mlen, off, f->data + off,
		                     n, off + n == PKG_BYTES, &res),
		    AU_OK);
		up = (Au__V1__UploadPackageReply *)res.reply;
		off = up->received;
		if (up->stored)
			break;
	}
	assert_true(up->stored);
	assert_string_equal(up->package_id, "nodex/1.4.2");
	assert_int_equal(up->hash.len, SIG_HASH_BYTES);
	/* The same bytes again: a no-op at the first chunk. */
	assert_int_equal(
	    rpc_upload(&e, man, mlen, 0, f->data, MIB, 0, &res), AU_OK);
	up = (Au__V1__UploadPackageReply *)res.reply;
	assert_true(up->already_present);
	assert_int_equal(up->received, PKG_BYTES);
	rpc_result_fini(&res);
	au__v1__admin_service__list_packages(
	    rpc_client_service(e.cli, &au__v1__admin_service__descriptor), &lq,
	    NULL, &res);
	assert_int_equal(res.status, AU_OK);
	lp = (Au__V1__ListPackagesReply *)res.reply;
	assert_int_equal(lp->n_packages, 1);
	assert_string_equal(lp->packages[0]->uploaded_by, "pipeline");
	assert_int_equal(lp->packages[0]->size, PKG_BYTES);
	/* Download by chunks over the wire; the manifest rides along. */
	for (off = 0, i = 0; off < PKG_BYTES && i < 16; i++) {
		assert_int_equal(rpc_get(&e, "1.4.2", off, 0, &res), AU_OK);
		gp = (Au__V1__GetPackageReply *)res.reply;
		assert_int_equal(gp->offset, off);
		assert_int_equal(gp->size, PKG_BYTES);
		assert_int_equal(gp->manifest.len, mlen);
		assert_memory_equal(gp->manifest.data, man, mlen);
		memcpy(got + off, gp->data.data, gp->data.len);
		off += gp->data.len;
	}
	assert_memory_equal(got, f->data, PKG_BYTES);
	assert_int_equal(
	    rpc_get(&e, "1.4.2", PKG_BYTES + 1, 0, &res), AU_OUT_OF_RANGE);
	assert_int_equal(rpc_get(&e, "7.7.7", 0, 0, &res), AU_NOT_FOUND);
	rpc_result_fini(&res);
	e2e_stop(&e);
	free(got);
	free(man);
}

static void
test_rpc_refusals(void **state)
{
	struct fx        *f = *state;
	struct e2e        e;
	struct rpc_result res = RPC_RESULT_INIT;
	uint32_t          retry;
	size_t            mlen;
	char *man = make_manifest("nodex", "1.0.0", f->data, MIB, f->sk, &mlen);

	e2e_start(f, &e);
	f->data[7] ^= 0x80;
	assert_int_equal(rpc_upload(&e, man, mlen, 0, f->data, MIB, 1, &res),
	    AU_INVALID_ARGUMENT);
	f->data[7] ^= 0x80;
	assert_int_equal(
	    rpc_upload(&e, man, mlen, 0, f->data, MIB, 1, &res), AU_OK);
	/* Both download slots taken: the next GetPackage is refused with a
	 * retry-after, and admitted again once one is free. */
	assert_int_equal(blobs_download_begin(f->b, &retry, NULL), AU_OK);
	assert_int_equal(blobs_download_begin(f->b, &retry, NULL), AU_OK);
	assert_int_equal(
	    rpc_get(&e, "1.0.0", 0, 0, &res), AU_RESOURCE_EXHAUSTED);
	assert_in_range(res.retry_after_ms, 1000, 1500);
	assert_non_null(strstr(au_err_str(&res.err), "too many downloads"));
	blobs_download_end(f->b);
	assert_int_equal(rpc_get(&e, "1.0.0", 0, 0, &res), AU_OK);
	blobs_download_end(f->b);
	rpc_result_fini(&res);
	e2e_stop(&e);
	free(man);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_upload_and_download, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_flipped_tarball_byte, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_flipped_manifest_byte, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_manifest_for_other_package, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_second_upload, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_resumed_upload, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_chunked_download_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_admission, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_size_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_crash_leftovers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_sorted, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_rpc_upload_list_get, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rpc_refusals, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN); /* as every rpc program (rpc.h) */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
