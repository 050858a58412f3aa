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
typedef void (*blobs_audit_fn)(
    void *arg, const char *who, const char *action, const char *detail);
/* How many hosts currently run agent at version (for ListPackages). */
typedef uint32_t (*blobs_running_fn)(
    void *arg, const char *agent, const char *version);

struct blobs_conf {
	const char *datadir;           /* meta's data directory */
	uint64_t    max_package_bytes; /* 0: 512 MiB */
	uint32_t    max_downloads;     /* GetPackage calls in flight, 0: 64 */
	uint32_t    retry_after_ms; /* told to refused downloaders, 0: 2000 */
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
enum au_status blobs_open(
    const struct blobs_conf *conf, struct blobs **out, struct au_err *err);

/* Free; NULL allowed.  No call may be in flight. */
void blobs_close(struct blobs *b);

/* Replace the release keys (after a config reload); copies them. */
enum au_status blobs_set_release_keys(struct blobs *b,
    const uint8_t (*keys)[SIG_PUBKEY_BYTES], size_t n, struct au_err *err);

/* Size and hash of a stored package: AU_OK, or AU_NOT_FOUND.  No I/O. */
enum au_status blobs_lookup(struct blobs *b, const char *agent,
    const char *version, uint64_t *size, uint8_t hash[SIG_HASH_BYTES]);

/* The RPC handlers (in blobs_rpc.c; see rpc.h for closure_data):
 * GetPackage for hosts, UploadPackage and ListPackages for the admin
 * service.  in is borrowed; each calls closure exactly once, with a reply
 * it frees afterwards or with NULL after rpc_call_fail().  GetPackage
 * answers AU_RESOURCE_EXHAUSTED with a retry-after hint past
 * max_downloads.  They block on disk I/O (upload: fsync), never on the
 * network. */
void blobs_handle_get(struct blobs *b, const Au__V1__GetPackageRequest *in,
    Au__V1__GetPackageReply_Closure closure, void *closure_data);
void blobs_handle_upload(struct blobs  *b,
    const Au__V1__UploadPackageRequest *in,
    Au__V1__UploadPackageReply_Closure closure, void *closure_data);
void blobs_handle_list(struct blobs *b, const Au__V1__ListPackagesRequest *in,
    Au__V1__ListPackagesReply_Closure closure, void *closure_data);

/*
 * The core underneath the handlers, callable without RPC (tests, tools).
 * All are thread-safe.
 */

/* Package id in UploadPackageReply and logs: "<agent>/<version>". */
#define BLOBS_ID_BYTES (64 + 1 + 64 + 1)

struct blobs_upload_result {
	uint64_t received;        /* bytes held: the client resumes here */
	int      stored;          /* this call stored the package */
	int      already_present; /* the same bytes were stored before */
	uint8_t  hash[SIG_HASH_BYTES];
	char     package_id[BLOBS_ID_BYTES];
};

/*
 * One UploadPackage chunk by principal who.  manifest is the .sig file's
 * exact bytes (sent with every chunk).  Checks, in order: the manifest
 * verifies against a release key (else AU_UNAUTHENTICATED, or
 * AU_INVALID_ARGUMENT when malformed), names a valid agent and version
 * (AU_INVALID_ARGUMENT) and has not expired (AU_FAILED_PRECONDITION),
 * size <= max_package_bytes (AU_RESOURCE_EXHAUSTED, no retry-after).
 * Then: (agent, version) already stored with the same hash -> AU_OK with
 * already_present (nothing is written; the client stops); with another
 * hash -> AU_ALREADY_EXISTS.
 * The partial file is keyed by agent+version+hash.  offset > bytes held
 * -> AU_OUT_OF_RANGE; offset < bytes held -> AU_OK with received = bytes
 * held and nothing written (resume from there, finish ignored); offset ==
 * bytes held -> data appended.  Data past the manifest's size, or finish
 * with fewer bytes, or bytes whose BLAKE2b differs -> AU_INVALID_ARGUMENT
 * and the partial is removed.  finish with matching bytes stores the
 * package (fsync, rename, index) and sets stored.  A client whose
 * received == size sends an empty chunk at offset size with finish.
 * res is always filled as far as known.  Blocks on file I/O; finish hashes
 * the whole file.  Uploads are serialized (one chunk at a time).
 */
enum au_status blobs_upload_chunk(struct blobs *b, const char *who,
    const void *manifest, size_t manifest_len, uint64_t offset,
    const void *data, size_t len, int finish, struct blobs_upload_result *res,
    struct au_err *err);

/*
 * Admission for one GetPackage call: AU_OK (then call blobs_download_end
 * after the reply), or AU_RESOURCE_EXHAUSTED when max_downloads calls are
 * in flight, with *retry_after_ms = retry_after_ms plus up to 50% jitter.
 * Each GetPackage request is one chunk, so a download is admitted per
 * chunk: "in flight" counts concurrent calls, not open downloads.
 * Never blocks.
 */
enum au_status blobs_download_begin(
    struct blobs *b, uint32_t *retry_after_ms, struct au_err *err);
void blobs_download_end(struct blobs *b);

struct blobs_chunk {
	const char *manifest; /* borrowed: valid until blobs_close() */
	size_t      manifest_len;
	uint64_t    size; /* whole package */
	uint64_t    offset;
	size_t      len; /* bytes placed in buf */
};

/*
 * Read up to length bytes (0 or more than RPC_CHUNK_BYTES: RPC_CHUNK_BYTES;
 * never more than bufsz) of a package at offset into buf.  AU_NOT_FOUND
 * for an unknown package, AU_OUT_OF_RANGE when offset > size; offset ==
 * size gives len 0.  Blocks on one pread.
 */
enum au_status blobs_read_chunk(struct blobs *b, const char *agent,
    const char *version, uint64_t offset, uint32_t length, uint8_t *buf,
    size_t bufsz, struct blobs_chunk *out, struct au_err *err);

struct blobs_info {
	char     agent[64 + 1];
	char     version[64 + 1];
	uint64_t size;
	uint8_t  hash[SIG_HASH_BYTES];
	char     key_id[SIG_KEYID_HEX_BYTES];
	char     uploaded_by[64 + 1];
	uint64_t uploaded_ms;
	uint32_t hosts_running; /* from conf->running, 0 without it */
};

/*
 * The stored packages (of agent, or all when agent is NULL or empty),
 * sorted by agent, then version numerically ("1.10" after "1.9").  *out
 * is a new array the caller frees with free() (NULL when *n is 0).
 * AU_RESOURCE_EXHAUSTED when out of memory.  Calls conf->running per
 * package, outside any lock.
 */
enum au_status blobs_list(struct blobs *b, const char *agent,
    struct blobs_info **out, size_t *n, struct au_err *err);

#endif
