/* SPDX-License-Identifier: MIT */
/*
 * auth: how a caller proves who it is, without I/O.
 *
 * Signed requests: the caller signs
 *   "au-req-v1" || protocol (u32 BE) || method || 0x00 || timestamp_ms
 *   (u64 BE) || nonce (16 bytes) || BLAKE2b-256(payload)
 * with its ed25519 key.  The server checks the timestamp against its clock
 * (allowed skew), the signature, and that the (public key, nonce) pair was
 * not seen within the replay window.
 *
 * Session tokens: after a good signed request the server hands out
 *   version (1) || role (1) || expiry_ms (u64 BE) || pubkey (32) ||
 *   name length (1) || name || MAC (32, keyed BLAKE2b with the server's
 *   token key over everything before it)
 * and later requests carry it instead of a signature.  A token check is
 * one MAC and an expiry comparison.  Tokens are opaque to clients.
 *
 * All functions are pure except the replay cache, which is thread-safe.
 */
#ifndef AU_AUTH_H
#define AU_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "rpc.h"
#include "sig.h"

#define AUTH_NONCE_BYTES 16
/* Longest method name ("au.v1.AdminService/UploadPackage" is 32). */
#define AUTH_METHOD_MAX 128
#define AUTH_TOKEN_VERSION 1
#define AUTH_TOKEN_MAX \
	(1 + 1 + 8 + SIG_PUBKEY_BYTES + 1 + RPC_NAME_MAX + SIG_MAC_BYTES)

/* Sign a request: fills sig.  AU_INVALID_ARGUMENT when method is longer
 * than AUTH_METHOD_MAX. */
enum au_status auth_sign(uint8_t sig[SIG_BYTES],
    const uint8_t sk[SIG_SECKEY_BYTES], uint32_t protocol, const char *method,
    uint64_t timestamp_ms, const uint8_t nonce[AUTH_NONCE_BYTES],
    const void *payload, size_t payload_len);

/* Check a signed request's signature and timestamp (|now - ts| <= skew).
 * AU_OK, or AU_UNAUTHENTICATED with err saying why (no replay check:
 * see auth_replay_add). */
enum au_status auth_verify(const uint8_t sig[SIG_BYTES],
    const uint8_t pk[SIG_PUBKEY_BYTES], uint32_t protocol, const char *method,
    uint64_t timestamp_ms, const uint8_t nonce[AUTH_NONCE_BYTES],
    const void *payload, size_t payload_len, uint64_t now_ms, uint32_t skew_s,
    struct au_err *err) __attribute__((warn_unused_result));

/* Make a token for principal valid until expiry_ms into out (at least
 * AUTH_TOKEN_MAX bytes); returns its length. */
size_t auth_token_issue(uint8_t out[AUTH_TOKEN_MAX],
    const uint8_t key[SIG_MAC_KEY_BYTES], const struct au_principal *principal,
    uint64_t expiry_ms);

/* Check a token: MAC, version, layout and expiry.  AU_OK and *out (with
 * key_id filled in), or AU_UNAUTHENTICATED with err ("session token
 * expired", "session token invalid"). */
enum au_status auth_token_verify(const uint8_t *token, size_t len,
    const uint8_t key[SIG_MAC_KEY_BYTES], uint64_t now_ms,
    struct au_principal *out, struct au_err *err)
    __attribute__((warn_unused_result));

/*
 * Replay cache: a bounded hash set of (public key, nonce) pairs, each kept
 * for window_ms after it was added.  When it holds capacity live entries it
 * refuses new ones (AU_UNAVAILABLE) rather than forget one.
 */
struct auth_replay;

/* New cache for up to capacity entries (rounded up); NULL when out of
 * memory.  Free with auth_replay_free (NULL allowed). */
struct auth_replay *auth_replay_new(size_t capacity, uint64_t window_ms);
void                auth_replay_free(struct auth_replay *r);

/* Remember (pk, nonce) at now_ms.  AU_OK when new; AU_UNAUTHENTICATED when
 * seen within the window (a replay); AU_UNAVAILABLE when full.
 * Thread-safe. */
enum au_status auth_replay_add(struct auth_replay *r,
    const uint8_t pk[SIG_PUBKEY_BYTES], const uint8_t nonce[AUTH_NONCE_BYTES],
    uint64_t now_ms) __attribute__((warn_unused_result));

/* Entries held, live or expired but not yet swept (tests, logs). */
size_t auth_replay_count(struct auth_replay *r);

/* Wall clock in Unix milliseconds. */
uint64_t auth_now_ms(void);

#endif
