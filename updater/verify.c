/* SPDX-License-Identifier: MIT */
/*
 * verify: manifest, size and hash checks on one open descriptor.
 */
#include "verify.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

#define VERIFY_BUF_BYTES (64 * 1024)

static enum au_status hash_fd(
    int fd, uint64_t size, uint8_t out[SIG_HASH_BYTES], struct au_err *err);

/* Hash exactly size bytes from offset 0; AU_DATA_LOSS when the file has
 * fewer or more. */
static enum au_status
hash_fd(int fd, uint64_t size, uint8_t out[SIG_HASH_BYTES], struct au_err *err)
{
	struct sig_hash_state *hs;
	uint8_t               *buf;
	uint64_t               off = 0;
	ssize_t                n = 0;
	enum au_status         st = AU_OK;

	buf = malloc(VERIFY_BUF_BYTES);
	hs = sig_hash_new();
	if (buf == NULL || hs == NULL) {
		free(buf);
		sig_hash_free(hs);
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	}
	while ((n = pread(fd, buf, VERIFY_BUF_BYTES, (off_t)off)) > 0) {
		sig_hash_update(hs, buf, (size_t)n);
		off += (uint64_t)n;
	}
	if (n < 0)
		st = au_err_set(err, fsutil_errno_status(errno), "read: %s",
		    strerror(errno));
	else if (off != size)
		st = au_err_set(err, AU_DATA_LOSS,
		    "size is %llu bytes, manifest says %llu",
		    (unsigned long long)off, (unsigned long long)size);
	sig_hash_final(hs, out);
	sig_hash_free(hs);
	free(buf);
	return st;
}

enum au_status
verify_package(int fd, const char *mbuf, size_t mlen,
    const uint8_t (*trusted)[SIG_PUBKEY_BYTES], size_t ntrusted,
    const char *agent, const char *version, uint64_t now_s, struct manifest *m,
    struct au_err *err)
{
	uint8_t        h[SIG_HASH_BYTES];
	enum au_status st;

	if (ntrusted == 0)
		return au_err_set(err, AU_FAILED_PRECONDITION,
		    "no trusted release keys in [trust]: installing nothing");
	/* Prefix and return st: au_err_prefix returns AU_OK for a NULL
	 * err, and a verdict must never depend on whether anyone listens. */
	if ((st = manifest_verify(mbuf, mlen, trusted, ntrusted, m, err)) !=
	    AU_OK)
		goto fail;
	if ((st = manifest_check(m, agent, version, now_s, err)) != AU_OK)
		goto fail;
	if ((st = hash_fd(fd, m->size, h, err)) != AU_OK) {
		au_err_prefix(err, "tarball");
		return st;
	}
	if (sig_memcmp(h, m->hash, SIG_HASH_BYTES) != 0)
		return au_err_set(err, AU_DATA_LOSS,
		    "tarball: hash does not match the manifest (key %s)",
		    m->key_id);
	return AU_OK;
fail:
	au_err_prefix(err, "manifest");
	return st;
}

enum au_status
verify_open(const char *path, const char              *mpath,
    const uint8_t (*trusted)[SIG_PUBKEY_BYTES], size_t ntrusted,
    const char *agent, const char *version, uint64_t now_s, int *fdp,
    struct manifest *m, struct au_err *err)
{
	char          *mbuf = NULL;
	size_t         mlen = 0;
	int            fd;
	enum au_status st;

	*fdp = -1;
	if ((st = fsutil_read_file(
	         mpath, MANIFEST_MAX_BYTES, &mbuf, &mlen, err)) != AU_OK) {
		au_err_prefix(err, "manifest");
		return st;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		free(mbuf);
		return au_err_set(err, fsutil_errno_status(errno), "%s: %s",
		    path, strerror(errno));
	}
	st = verify_package(
	    fd, mbuf, mlen, trusted, ntrusted, agent, version, now_s, m, err);
	free(mbuf);
	if (st != AU_OK) {
		close(fd);
		return st;
	}
	*fdp = fd;
	return AU_OK;
}
