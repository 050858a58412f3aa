/* SPDX-License-Identifier: MIT */
/*
 * sig: libsodium behind our own types.  This is the only file that
 * includes sodium.h.
 */
#include "sig.h"

#include <sys/stat.h>

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"

#define KEYFILE_PUB_TAG "ed25519-pub "
#define KEYFILE_SEC_TAG "ed25519-sec "
#define KEYFILE_MAX 512

struct sig_hash_state {
	crypto_generichash_state st;
};

enum au_status
sig_init(void)
{
	if (sodium_init() < 0)
		return AU_INTERNAL;
	return AU_OK;
}

void
sig_keypair(uint8_t pk[SIG_PUBKEY_BYTES], uint8_t sk[SIG_SECKEY_BYTES])
{
	crypto_sign_keypair(pk, sk);
}

void
sig_sk_to_pk(const uint8_t sk[SIG_SECKEY_BYTES], uint8_t pk[SIG_PUBKEY_BYTES])
{
	crypto_sign_ed25519_sk_to_pk(pk, sk);
}

void
sig_sign_detached(uint8_t sig[SIG_BYTES], const uint8_t *msg, size_t len,
    const uint8_t sk[SIG_SECKEY_BYTES])
{
	crypto_sign_detached(sig, NULL, msg, len, sk);
}

enum au_status
sig_verify_detached(const uint8_t sig[SIG_BYTES], const uint8_t *msg,
    size_t len, const uint8_t pk[SIG_PUBKEY_BYTES])
{
	if (crypto_sign_verify_detached(sig, msg, len, pk) != 0)
		return AU_UNAUTHENTICATED;
	return AU_OK;
}

void
sig_key_id(const uint8_t pk[SIG_PUBKEY_BYTES], char out[SIG_KEYID_HEX_BYTES])
{
	uint8_t h[SIG_HASH_BYTES];

	sig_hash(h, pk, SIG_PUBKEY_BYTES);
	sodium_bin2hex(
	    out, SIG_KEYID_HEX_BYTES, h, (SIG_KEYID_HEX_BYTES - 1) / 2);
}

void
sig_hash(uint8_t out[SIG_HASH_BYTES], const void *data, size_t len)
{
	crypto_generichash(out, SIG_HASH_BYTES, data, len, NULL, 0);
}

struct sig_hash_state *
sig_hash_new(void)
{
	struct sig_hash_state *st;

	if ((st = malloc(sizeof(*st))) == NULL)
		return NULL;
	crypto_generichash_init(&st->st, NULL, 0, SIG_HASH_BYTES);
	return st;
}

void
sig_hash_update(struct sig_hash_state *st, const void *data, size_t len)
{
	crypto_generichash_update(&st->st, data, len);
}

void
sig_hash_final(struct sig_hash_state *st, uint8_t out[SIG_HASH_BYTES])
{
	crypto_generichash_final(&st->st, out, SIG_HASH_BYTES);
}

void
sig_hash_free(struct sig_hash_state *st)
{
	free(st);
}

void
sig_mac(uint8_t out[SIG_MAC_BYTES], const void *msg, size_t len,
    const uint8_t key[SIG_MAC_KEY_BYTES])
{
	crypto_generichash(
	    out, SIG_MAC_BYTES, msg, len, key, SIG_MAC_KEY_BYTES);
}

enum au_status
sig_mac_verify(const uint8_t mac[SIG_MAC_BYTES], const void *msg, size_t len,
    const uint8_t key[SIG_MAC_KEY_BYTES])
{
	uint8_t expect[SIG_MAC_BYTES];
	int     diff;

	sig_mac(expect, msg, len, key);
	diff = sodium_memcmp(expect, mac, SIG_MAC_BYTES);
	sodium_memzero(expect, sizeof(expect));
	return diff == 0 ? AU_OK : AU_UNAUTHENTICATED;
}

void
sig_random(void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

uint32_t
sig_random_uniform(uint32_t upper)
{
	return upper == 0 ? 0 : randombytes_uniform(upper);
}

void
sig_memzero(void *p, size_t len)
{
	sodium_memzero(p, len);
}

int
sig_memcmp(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len);
}

void
sig_hex_encode(char *out, size_t outlen, const uint8_t *in, size_t inlen)
{
	sodium_bin2hex(out, outlen, in, inlen);
}

enum au_status
sig_hex_decode(uint8_t *out, size_t outlen, const char *hex, struct au_err *err)
{
	size_t      got = 0;
	const char *end = NULL;

	while (isspace((unsigned char)*hex))
		hex++;
	if (sodium_hex2bin(out, outlen, hex, strlen(hex), NULL, &got, &end) !=
	        0 ||
	    got != outlen)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "expected %zu hex digits", outlen * 2);
	while (isspace((unsigned char)*end))
		end++;
	if (*end != '\0')
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "expected %zu hex digits", outlen * 2);
	return AU_OK;
}

enum au_status
sig_pubkey_parse(
    const char *text, uint8_t pk[SIG_PUBKEY_BYTES], struct au_err *err)
{
	while (isspace((unsigned char)*text))
		text++;
	if (strncmp(text, KEYFILE_PUB_TAG, strlen(KEYFILE_PUB_TAG)) == 0)
		text += strlen(KEYFILE_PUB_TAG);
	/* au_err_prefix(NULL, ...) returns AU_OK: return the status. */
	if (sig_hex_decode(pk, SIG_PUBKEY_BYTES, text, err) != AU_OK) {
		au_err_prefix(err, "public key");
		return AU_INVALID_ARGUMENT;
	}
	return AU_OK;
}

enum au_status
sig_pubkey_load(
    const char *path, uint8_t pk[SIG_PUBKEY_BYTES], struct au_err *err)
{
	char          *buf = NULL;
	size_t         len;
	enum au_status st;

	if ((st = fsutil_read_file(path, KEYFILE_MAX, &buf, &len, err)) !=
	    AU_OK) {
		au_err_prefix(err, "%s", path);
		return st;
	}
	st = sig_pubkey_parse(buf, pk, err);
	free(buf);
	if (st != AU_OK)
		au_err_prefix(err, "%s", path);
	return st;
}

enum au_status
sig_seckey_load(
    const char *path, uint8_t sk[SIG_SECKEY_BYTES], struct au_err *err)
{
	char          *buf = NULL, *p;
	size_t         len = 0;
	enum au_status st;

	if ((st = fsutil_check_secret(path, err)) != AU_OK)
		return st;
	if ((st = fsutil_read_file(path, KEYFILE_MAX, &buf, &len, err)) !=
	    AU_OK) {
		au_err_prefix(err, "%s", path);
		return st;
	}
	p = buf;
	while (isspace((unsigned char)*p))
		p++;
	if (strncmp(p, KEYFILE_SEC_TAG, strlen(KEYFILE_SEC_TAG)) != 0)
		st = au_err_set(err, AU_INVALID_ARGUMENT,
		    "%s: not an ed25519 secret key file", path);
	else if ((st = sig_hex_decode(sk, SIG_SECKEY_BYTES,
	              p + strlen(KEYFILE_SEC_TAG), err)) != AU_OK)
		au_err_prefix(err, "%s: secret key", path);
	sodium_memzero(buf, len);
	free(buf);
	return st;
}

/* Write "<tag><hex of key>\n" to a new file at path (never over an
 * existing one) with mode; the hex copy is wiped. */
static enum au_status
key_save(const char *path, const char *tag, const uint8_t *key, size_t n,
    mode_t mode, struct au_err *err)
{
	char           line[sizeof(KEYFILE_SEC_TAG) + 2 * SIG_SECKEY_BYTES + 2];
	size_t         taglen = strlen(tag);
	struct stat    sb;
	enum au_status st;

	if (lstat(path, &sb) == 0)
		return au_err_set(
		    err, AU_ALREADY_EXISTS, "%s: already exists", path);
	memcpy(line, tag, taglen);
	sodium_bin2hex(line + taglen, 2 * n + 1, key, n);
	strcat(line, "\n");
	st = fsutil_write_atomic(path, line, strlen(line), mode, err);
	sodium_memzero(line, sizeof(line));
	return st;
}

enum au_status
sig_pubkey_save(
    const char *path, const uint8_t pk[SIG_PUBKEY_BYTES], struct au_err *err)
{
	return key_save(path, KEYFILE_PUB_TAG, pk, SIG_PUBKEY_BYTES, 0644, err);
}

enum au_status
sig_seckey_save(
    const char *path, const uint8_t sk[SIG_SECKEY_BYTES], struct au_err *err)
{
	return key_save(path, KEYFILE_SEC_TAG, sk, SIG_SECKEY_BYTES, 0600, err);
}
