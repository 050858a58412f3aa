/* SPDX-License-Identifier: MIT */
/*
 * verify: the gate before extraction.  A downloaded tarball is installed
 * only when its manifest verifies against the updater's own trusted
 * release keys, names the agent and version meta asked for, has not
 * expired, and the tarball on the open file descriptor has the size and
 * BLAKE2b hash the manifest states.  The caller extracts from that same
 * descriptor, so what was checked is what gets unpacked.  Blocks on file
 * I/O.
 */
#ifndef AU_VERIFY_H
#define AU_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "manifest.h"
#include "sig.h"

/* Check manifest bytes (mbuf, mlen) and the tarball on fd (read from
 * offset 0 with pread, so fd's position is unchanged).  On AU_OK *m holds
 * the manifest.  Returns AU_FAILED_PRECONDITION when no key is trusted
 * (fail closed) or the manifest is for another agent/version or expired;
 * AU_UNAUTHENTICATED when signed by no trusted key; AU_INVALID_ARGUMENT
 * when malformed; AU_DATA_LOSS when size or hash differ. */
enum au_status verify_package(int fd, const char *mbuf, size_t mlen,
    const uint8_t (*trusted)[SIG_PUBKEY_BYTES], size_t ntrusted,
    const char *agent, const char *version, uint64_t now_s, struct manifest *m,
    struct au_err *err) __attribute__((warn_unused_result));

/* Open the tarball at path read-only and verify it with the manifest file
 * at mpath.  On AU_OK *fdp is the open descriptor (the caller closes it)
 * and *m the manifest; on error nothing is left open. */
enum au_status verify_open(const char *path, const char *mpath,
    const uint8_t (*trusted)[SIG_PUBKEY_BYTES], size_t   ntrusted,
    const char *agent, const char *version, uint64_t now_s, int *fdp,
    struct manifest *m, struct au_err *err) __attribute__((warn_unused_result));

#endif
