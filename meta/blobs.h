/* SPDX-License-Identifier: MIT */
/*
 * blobs: meta's package store.  Package bytes live content-addressed under
 * <datadir>/blobs/ (named by their BLAKE2b-256), each release's signed
 * manifest beside its index entry; a package (agent, version), once stored,
 * never changes.  Uploads arrive in chunks into a private partial file
 * that is never visible as a package; the last chunk verifies the manifest
 * against the configured release keys and the bytes against the manifest,
 * then fsyncs and renames into place.  An in-memory index (loaded at open)
 * answers blobs_lookup() without I/O, since every heartbeat asks it.
 * Downloads are admitted up to max_downloads in flight.
 * Thread-safe: meta's RPC workers call in concurrently.
 */
#ifndef META_BLOBS_H
#define META_BLOBS_H

#include <stddef.h>
#include <stdint.h>

#include "au.pb-c.h"
#include "err.h"
#include "sig.h"

/* Record an admin action in meta's audit log (who, what, detail). */
typedef void (*blobs_audit_fn)(void *arg, const char *who,
    const char *action, const char *detail);
/* How many hosts currently run agent at version (for ListPackages). */
typedef uint32_t (*blobs_running_fn)(void *arg, const char *agent,
    const char *version);

struct blobs_conf {
	const char *datadir;           /* meta's data directory */
	uint64_t    max_package_bytes; /* 0: 512 MiB */
	uint32_t    max_downloads;     /* GetPackage calls in flight, 0: 64 */
	uint32_t    retry_after_ms;    /* told to refused downloaders, 0: 2000 */
	const uint8_t (*release_keys)[SIG_PUBKEY_BYTES]; /* borrowed */
	size_t           nrelease_keys;
	blobs_audit_fn   audit;
	void            *audit_arg;
	blobs_running_fn running;
	void            *running_arg;
};

struct blobs;

/* Open (creating folders as needed) and load the index; removes stale
 * partial uploads older than a day.  *out is freed with blobs_close(). */
enum au_status blobs_open(const struct blobs_conf *conf, struct blobs **out,
    struct au_err *err);

/* Free; NULL allowed.  No call may be in flight. */
void blobs_close(struct blobs *b);

/* Replace the release keys (after a config reload); copies them. */
enum au_status blobs_set_release_keys(struct blobs *b,
    const uint8_t (*keys)[SIG_PUBKEY_BYTES], size_t n, struct au_err *err);

/* Size and hash of a stored package: AU_OK, or AU_NOT_FOUND.  No I/O. */
enum au_status blobs_lookup(struct blobs *b, const char *agent,
    const char *version, uint64_t *size, uint8_t hash[SIG_HASH_BYTES]);

/* The RPC handlers (see rpc.h for closure_data): GetPackage for hosts,
 * UploadPackage and ListPackages for the admin service. */
void blobs_handle_get(struct blobs *b, const Au__V1__GetPackageRequest *in,
    Au__V1__GetPackageReply_Closure closure, void *closure_data);
void blobs_handle_upload(struct blobs *b,
    const Au__V1__UploadPackageRequest *in,
    Au__V1__UploadPackageReply_Closure closure, void *closure_data);
void blobs_handle_list(struct blobs *b, const Au__V1__ListPackagesRequest *in,
    Au__V1__ListPackagesReply_Closure closure, void *closure_data);

#endif
