/* SPDX-License-Identifier: MIT */
/*
 * manifest: the signed description of one release tarball.  The release
 * pipeline (metactl sign) writes it; meta checks it on upload; the updater
 * checks it before extracting one byte.  A .sig file is the manifest's
 * exact bytes: a text body of "key: value" lines, then a line
 * "signature: <128 hex>" over everything before it (see manifest.c for the
 * exact signed message).  Pure: no I/O.
 */
#ifndef AU_MANIFEST_H
#define AU_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sig.h"

#define MANIFEST_FORMAT 1
#define MANIFEST_NAME_MAX 64
#define MANIFEST_VERSION_MAX 64
#define MANIFEST_MAX_BYTES 4096
/* The longest health window a package may ask for, in seconds. */
#define MANIFEST_HEALTH_WINDOW_MAX 3600
/* The first bytes of the signed message: tag || hash || body. */
#define MANIFEST_SIG_TAG "au-manifest-v1\n"

struct manifest {
	int      format;
	char     agent[MANIFEST_NAME_MAX + 1];
	char     version[MANIFEST_VERSION_MAX + 1];
	uint64_t size;                 /* tarball bytes */
	uint8_t  hash[SIG_HASH_BYTES]; /* BLAKE2b-256 of the tarball */
	uint64_t unpacked_size;        /* sum of regular file sizes */
	uint64_t entries;              /* archive entries */
	uint64_t created;              /* Unix seconds */
	uint64_t expires;              /* Unix seconds, 0 = never */
	uint32_t health_window; /* seconds 1..3600 it asks for, 0 = none */
	uint8_t  key_pub[SIG_PUBKEY_BYTES]; /* the key that verified */
	char     key_id[SIG_KEYID_HEX_BYTES];
};

/* AU_OK when name matches ^[a-z0-9][a-z0-9_.-]{0,63}$, else
 * AU_INVALID_ARGUMENT with err set. */
enum au_status manifest_check_name(const char *name, struct au_err *err)
    __attribute__((warn_unused_result));

/* AU_OK when version is dotted numbers with an optional -suffix
 * ("1.4.2", "2.0.0-rc1"), at most 64 characters. */
enum au_status manifest_check_version(const char *version, struct au_err *err)
    __attribute__((warn_unused_result));

/* Serialize m and sign it with sk into a new buffer (*out, *outlen) that
 * the caller frees with free(). */
enum au_status manifest_sign(const struct manifest *m,
    const uint8_t sk[SIG_SECKEY_BYTES], char **out, size_t *outlen,
    struct au_err *err);

/* Parse a manifest and verify its signature against the trusted keys
 * (an array of n public keys).  On AU_OK, *m is filled.  A signature by
 * none of the keys gives AU_UNAUTHENTICATED ("signed by unknown key 3f9a..");
 * a malformed manifest AU_INVALID_ARGUMENT. */
enum au_status manifest_verify(const char *buf, size_t len,
    const uint8_t (*trusted)[SIG_PUBKEY_BYTES], size_t n, struct manifest *m,
    struct au_err *err) __attribute__((warn_unused_result));

/* Parse a manifest WITHOUT checking its signature (to show or route it,
 * never to trust it): AU_OK and *m filled (key_pub left zero), or
 * AU_INVALID_ARGUMENT for anything but the one accepted spelling. */
enum au_status manifest_parse(const char *buf, size_t len, struct manifest *m,
    struct au_err *err) __attribute__((warn_unused_result));

/* Check that m names this agent and version and has not expired at now
 * (Unix seconds): AU_FAILED_PRECONDITION otherwise. */
enum au_status manifest_check(const struct manifest *m, const char *agent,
    const char *version, uint64_t now, struct au_err *err)
    __attribute__((warn_unused_result));

#endif
