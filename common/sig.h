/* SPDX-License-Identifier: MIT */
/*
 * sig: every use of libsodium in agent-updater: ed25519 keys, detached
 * signatures, BLAKE2b-256 hashing (one-shot and streaming), keyed MACs for
 * session tokens, random bytes, hex, and key files.  Keys and signatures
 * are fixed-size byte arrays; hex appears only at the edges (files, logs).
 * Secret keys are wiped with sig_memzero() by whoever holds them.
 * Nothing here blocks except the key-file functions (file I/O).
 */
#ifndef AU_SIG_H
#define AU_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SIG_PUBKEY_BYTES 32
#define SIG_SECKEY_BYTES 64
#define SIG_BYTES 64
#define SIG_HASH_BYTES 32
#define SIG_MAC_KEY_BYTES 32
#define SIG_MAC_BYTES 32
/* A key id: the first 8 bytes of BLAKE2b-256(pubkey) as 16 hex digits. */
#define SIG_KEYID_HEX_BYTES 17

/* Initialize libsodium; call once from main() before any other sig_*.
 * Returns AU_OK or AU_INTERNAL. */
enum au_status sig_init(void);

/* Make a new ed25519 key pair. */
void sig_keypair(uint8_t pk[SIG_PUBKEY_BYTES], uint8_t sk[SIG_SECKEY_BYTES]);

/* The public half of a secret key. */
void sig_sk_to_pk(
    const uint8_t sk[SIG_SECKEY_BYTES], uint8_t pk[SIG_PUBKEY_BYTES]);

/* Sign msg with sk into sig. */
void sig_sign_detached(uint8_t sig[SIG_BYTES], const uint8_t *msg, size_t len,
    const uint8_t sk[SIG_SECKEY_BYTES]);

/* AU_OK when sig is pk's signature over msg, else AU_UNAUTHENTICATED. */
enum au_status sig_verify_detached(const uint8_t sig[SIG_BYTES],
    const uint8_t *msg, size_t len, const uint8_t pk[SIG_PUBKEY_BYTES])
    __attribute__((warn_unused_result));

/* The key id of pk, as 16 lower-case hex digits and a NUL. */
void sig_key_id(
    const uint8_t pk[SIG_PUBKEY_BYTES], char out[SIG_KEYID_HEX_BYTES]);

/* BLAKE2b-256 of data. */
void sig_hash(uint8_t out[SIG_HASH_BYTES], const void *data, size_t len);

/* Streaming BLAKE2b-256.  sig_hash_new returns NULL when out of memory;
 * the caller frees with sig_hash_free (NULL allowed). */
struct sig_hash_state;
struct sig_hash_state *sig_hash_new(void);
void sig_hash_update(struct sig_hash_state *st, const void *data, size_t len);
void sig_hash_final(struct sig_hash_state *st, uint8_t out[SIG_HASH_BYTES]);
void sig_hash_free(struct sig_hash_state *st);

/* Keyed MAC (BLAKE2b-256 keyed) of msg. */
void sig_mac(uint8_t out[SIG_MAC_BYTES], const void *msg, size_t len,
    const uint8_t key[SIG_MAC_KEY_BYTES]);

/* AU_OK when mac is key's MAC of msg (constant time), else
 * AU_UNAUTHENTICATED. */
enum au_status sig_mac_verify(const uint8_t mac[SIG_MAC_BYTES], const void *msg,
    size_t len, const uint8_t key[SIG_MAC_KEY_BYTES])
    __attribute__((warn_unused_result));

/* Fill buf with random bytes; a uniform integer in [0, upper). */
void     sig_random(void *buf, size_t len);
uint32_t sig_random_uniform(uint32_t upper);

/* Wipe memory that held a secret; compare secrets in constant time
 * (0 when equal). */
void sig_memzero(void *p, size_t len);
int  sig_memcmp(const void *a, const void *b, size_t len);

/* Lower-case hex of in into out (outlen >= 2*inlen+1). */
void sig_hex_encode(char *out, size_t outlen, const uint8_t *in, size_t inlen);

/* Decode exactly outlen bytes of hex (surrounding white space ignored).
 * AU_INVALID_ARGUMENT when hex is not exactly that. */
enum au_status sig_hex_decode(
    uint8_t *out, size_t outlen, const char *hex, struct au_err *err);

/*
 * Key files.  A public key file holds one line "ed25519-pub <64 hex>"; a
 * secret key file "ed25519-sec <128 hex>" with mode 0600.  Loading a secret
 * key file readable by group or others is refused (AU_PERMISSION_DENIED).
 * Saving writes atomically and refuses to overwrite (AU_ALREADY_EXISTS).
 * A public key may also be given inline as the 64 hex digits
 * (sig_pubkey_parse).
 */
enum au_status sig_pubkey_parse(
    const char *text, uint8_t pk[SIG_PUBKEY_BYTES], struct au_err *err);
enum au_status sig_pubkey_load(
    const char *path, uint8_t pk[SIG_PUBKEY_BYTES], struct au_err *err);
enum au_status sig_seckey_load(
    const char *path, uint8_t sk[SIG_SECKEY_BYTES], struct au_err *err);
enum au_status sig_pubkey_save(
    const char *path, const uint8_t pk[SIG_PUBKEY_BYTES], struct au_err *err);
enum au_status sig_seckey_save(
    const char *path, const uint8_t sk[SIG_SECKEY_BYTES], struct au_err *err);

#endif
