/* SPDX-License-Identifier: MIT */
/*
 * blobs_int: the package store's in-memory index, shared by blobs.c (open,
 * upload, download) and blobs_rpc.c (listing, RPC handlers).  Private to
 * those two files.
 */
#ifndef META_BLOBS_INT_H
#define META_BLOBS_INT_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "blobs.h"
#include "manifest.h"
#include "rpc.h"
#include "sig.h"

#define HASH_HEX (2 * SIG_HASH_BYTES + 1)

/* One stored package; never removed while the store is open. */
struct entry {
	struct entry *next;
	uint32_t      hv;
	char          agent[MANIFEST_NAME_MAX + 1];
	char          version[MANIFEST_VERSION_MAX + 1];
	uint64_t      size;
	uint8_t       hash[SIG_HASH_BYTES];
	char          hash_hex[HASH_HEX];
	char          key_id[SIG_KEYID_HEX_BYTES];
	char          who[RPC_NAME_MAX + 1];
	uint64_t      uploaded_ms;
	char         *manifest;
	size_t        manifest_len;
};

/* The store behind blobs.h's opaque handle. */
struct blobs {
	struct blobs_conf conf;
	char              blobs_dir[PATH_MAX];
	char              index_dir[PATH_MAX];
	char              uploads_dir[PATH_MAX];
	pthread_rwlock_t  lock; /* table and keys */
	struct entry    **buckets;
	size_t            nbuckets, nentries;
	uint8_t (*keys)[SIG_PUBKEY_BYTES];
	size_t          nkeys;
	pthread_mutex_t upload_mu;
	atomic_uint     inflight;
};

#endif
