/* SPDX-License-Identifier: MIT */
/*
 * auth: signed-request messages, session tokens and the replay cache.
 * Cryptography goes through sig.h; this file only lays out bytes.
 */
#include "auth.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timeutil.h"

#define AUTH_DOMAIN "au-req-v1"
#define AUTH_DOMAIN_LEN (sizeof(AUTH_DOMAIN) - 1)
#define AUTH_MSG_MAX                                                        \
	(AUTH_DOMAIN_LEN + 4 + AUTH_METHOD_MAX + 1 + 8 + AUTH_NONCE_BYTES + \
	    SIG_HASH_BYTES)
/* Token layout offsets. */
#define TOK_ROLE 1
#define TOK_EXPIRY 2
#define TOK_PK 10
#define TOK_NLEN (TOK_PK + SIG_PUBKEY_BYTES)
#define TOK_NAME (TOK_NLEN + 1)
#define TOK_MIN (TOK_NAME + SIG_MAC_BYTES)

#define REPLAY_KEY_BYTES (SIG_PUBKEY_BYTES + AUTH_NONCE_BYTES)

struct replay_entry {
	uint8_t  key[REPLAY_KEY_BYTES];
	uint64_t expires_ms; /* 0: slot never used */
};

struct auth_replay {
	pthread_mutex_t      mtx;
	struct replay_entry *slots;
	size_t               mask;     /* capacity - 1, a power of two */
	size_t               used;     /* slots ever filled since rebuild */
	size_t               max_used; /* 3/4 of capacity */
	uint64_t             window_ms;
	uint64_t             next_sweep; /* no expiry before this time */
	uint8_t              hash_key[SIG_MAC_KEY_BYTES];
};

static size_t   build_msg(uint8_t *buf, uint32_t protocol, const char *method,
      size_t mlen, uint64_t ts, const uint8_t *nonce, const void *payload,
      size_t plen);
static void     put_be64(uint8_t *p, uint64_t v);
static uint64_t get_be64(const uint8_t *p);
static size_t   replay_hash(const struct auth_replay *r, const uint8_t *key);
static void     replay_sweep(struct auth_replay *r, uint64_t now_ms);
static enum au_status replay_insert(
    struct auth_replay *r, const uint8_t *key, uint64_t now_ms);

static void
put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static size_t
build_msg(uint8_t *buf, uint32_t protocol, const char *method, size_t mlen,
    uint64_t ts, const uint8_t *nonce, const void *payload, size_t plen)
{
	size_t n = 0;

	memcpy(buf, AUTH_DOMAIN, AUTH_DOMAIN_LEN);
	n += AUTH_DOMAIN_LEN;
	buf[n++] = (uint8_t)(protocol >> 24);
	buf[n++] = (uint8_t)(protocol >> 16);
	buf[n++] = (uint8_t)(protocol >> 8);
	buf[n++] = (uint8_t)protocol;
	memcpy(buf + n, method, mlen);
	n += mlen;
	buf[n++] = 0;
	put_be64(buf + n, ts);
	n += 8;
	memcpy(buf + n, nonce, AUTH_NONCE_BYTES);
	n += AUTH_NONCE_BYTES;
	sig_hash(buf + n, payload, plen);
	return n + SIG_HASH_BYTES;
}

enum au_status
auth_sign(uint8_t sig[SIG_BYTES], const uint8_t sk[SIG_SECKEY_BYTES],
    uint32_t protocol, const char *method, uint64_t timestamp_ms,
    const uint8_t nonce[AUTH_NONCE_BYTES], const void *payload,
    size_t payload_len)
{
	uint8_t msg[AUTH_MSG_MAX];
	size_t  mlen = strlen(method), n;

	if (mlen > AUTH_METHOD_MAX)
		return AU_INVALID_ARGUMENT;
	n = build_msg(msg, protocol, method, mlen, timestamp_ms, nonce, payload,
	    payload_len);
	sig_sign_detached(sig, msg, n, sk);
	return AU_OK;
}

enum au_status
auth_verify(const uint8_t sig[SIG_BYTES], const uint8_t pk[SIG_PUBKEY_BYTES],
    uint32_t protocol, const char *method, uint64_t timestamp_ms,
    const uint8_t nonce[AUTH_NONCE_BYTES], const void *payload,
    size_t payload_len, uint64_t now_ms, uint32_t skew_s, struct au_err *err)
{
	uint8_t  msg[AUTH_MSG_MAX];
	size_t   mlen = strlen(method), n;
	uint64_t skew_ms = (uint64_t)skew_s * 1000;
	uint64_t diff;

	if (mlen > AUTH_METHOD_MAX)
		return au_err_set(err, AU_UNAUTHENTICATED, "method too long");
	diff = now_ms > timestamp_ms ? now_ms - timestamp_ms
	                             : timestamp_ms - now_ms;
	if (diff > skew_ms)
		return au_err_set(err, AU_UNAUTHENTICATED,
		    "request time is more than %u s off the server's clock "
		    "(check the caller's clock)",
		    skew_s);
	n = build_msg(msg, protocol, method, mlen, timestamp_ms, nonce, payload,
	    payload_len);
	if (sig_verify_detached(sig, msg, n, pk) != AU_OK)
		return au_err_set(err, AU_UNAUTHENTICATED, "bad signature");
	return AU_OK;
}

size_t
auth_token_issue(uint8_t out[AUTH_TOKEN_MAX],
    const uint8_t key[SIG_MAC_KEY_BYTES], const struct au_principal *principal,
    uint64_t expiry_ms)
{
	size_t nlen = strnlen(principal->name, RPC_NAME_MAX);

	out[0] = AUTH_TOKEN_VERSION;
	out[TOK_ROLE] = (uint8_t)principal->role;
	put_be64(out + TOK_EXPIRY, expiry_ms);
	memcpy(out + TOK_PK, principal->pubkey, SIG_PUBKEY_BYTES);
	out[TOK_NLEN] = (uint8_t)nlen;
	memcpy(out + TOK_NAME, principal->name, nlen);
	sig_mac(out + TOK_NAME + nlen, out, TOK_NAME + nlen, key);
	return TOK_NAME + nlen + SIG_MAC_BYTES;
}

static bool
role_valid(uint8_t role)
{
	return role == AU_ROLE_HOST || role == AU_ROLE_RELEASE ||
	       role == AU_ROLE_ADMIN;
}

enum au_status
auth_token_verify(const uint8_t *token, size_t len,
    const uint8_t key[SIG_MAC_KEY_BYTES], uint64_t now_ms,
    struct au_principal *out, struct au_err *err)
{
	size_t nlen;

	if (len < TOK_MIN || len > AUTH_TOKEN_MAX ||
	    token[0] != AUTH_TOKEN_VERSION)
		return au_err_set(
		    err, AU_UNAUTHENTICATED, "session token invalid");
	nlen = token[TOK_NLEN];
	if (len != TOK_MIN + nlen || nlen > RPC_NAME_MAX)
		return au_err_set(
		    err, AU_UNAUTHENTICATED, "session token invalid");
	if (sig_mac_verify(
	        token + TOK_NAME + nlen, token, TOK_NAME + nlen, key) != AU_OK)
		return au_err_set(
		    err, AU_UNAUTHENTICATED, "session token invalid");
	if (get_be64(token + TOK_EXPIRY) <= now_ms)
		return au_err_set(
		    err, AU_UNAUTHENTICATED, "session token expired");
	if (!role_valid(token[TOK_ROLE]) ||
	    memchr(token + TOK_NAME, 0, nlen) != NULL)
		return au_err_set(
		    err, AU_UNAUTHENTICATED, "session token invalid");
	memset(out, 0, sizeof(*out));
	out->role = (enum au_role)token[TOK_ROLE];
	memcpy(out->name, token + TOK_NAME, nlen);
	memcpy(out->pubkey, token + TOK_PK, SIG_PUBKEY_BYTES);
	sig_key_id(out->pubkey, out->key_id);
	return AU_OK;
}

struct auth_replay *
auth_replay_new(size_t capacity, uint64_t window_ms)
{
	struct auth_replay *r;
	size_t              cap = 16;

	while (cap < capacity)
		cap <<= 1;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->slots = calloc(cap, sizeof(*r->slots))) == NULL) {
		free(r);
		return NULL;
	}
	pthread_mutex_init(&r->mtx, NULL);
	r->mask = cap - 1;
	r->max_used = cap / 4 * 3;
	r->window_ms = window_ms;
	sig_random(r->hash_key, sizeof(r->hash_key));
	return r;
}

void
auth_replay_free(struct auth_replay *r)
{
	if (r == NULL)
		return;
	pthread_mutex_destroy(&r->mtx);
	free(r->slots);
	free(r);
}

/* A keyed hash, so that a caller cannot choose nonces that collide. */
static size_t
replay_hash(const struct auth_replay *r, const uint8_t *key)
{
	uint8_t  mac[SIG_MAC_BYTES];
	uint64_t h;

	sig_mac(mac, key, REPLAY_KEY_BYTES, r->hash_key);
	memcpy(&h, mac, sizeof(h));
	return (size_t)h & r->mask;
}

/* Drop expired entries by reinserting the live ones into cleared slots;
 * linear probing cannot simply delete. */
static void
replay_sweep(struct auth_replay *r, uint64_t now_ms)
{
	size_t               cap = r->mask + 1, live = 0;
	struct replay_entry *old = r->slots, *fresh;
	uint64_t             earliest = UINT64_MAX;

	if ((fresh = calloc(cap, sizeof(*fresh))) == NULL)
		return; /* keep the old table; new entries are refused */
	for (size_t i = 0; i < cap; i++) {
		size_t j;

		if (old[i].expires_ms <= now_ms)
			continue;
		j = replay_hash(r, old[i].key);
		while (fresh[j].expires_ms != 0)
			j = (j + 1) & r->mask;
		fresh[j] = old[i];
		live++;
		if (old[i].expires_ms < earliest)
			earliest = old[i].expires_ms;
	}
	free(old);
	r->slots = fresh;
	r->used = live;
	r->next_sweep = earliest;
}

static enum au_status
replay_insert(struct auth_replay *r, const uint8_t *key, uint64_t now_ms)
{
	size_t               i = replay_hash(r, key);
	struct replay_entry *reuse = NULL;

	for (size_t n = 0; n <= r->mask; n++, i = (i + 1) & r->mask) {
		struct replay_entry *e = &r->slots[i];

		if (e->expires_ms == 0)
			break;
		if (memcmp(e->key, key, REPLAY_KEY_BYTES) == 0) {
			if (e->expires_ms > now_ms)
				return AU_UNAUTHENTICATED;
			reuse = e;
			break;
		}
		if (reuse == NULL && e->expires_ms <= now_ms)
			reuse = e;
	}
	if (reuse == NULL) {
		if (r->used >= r->max_used)
			return AU_UNAVAILABLE;
		reuse = &r->slots[i];
		r->used++;
	}
	memcpy(reuse->key, key, REPLAY_KEY_BYTES);
	reuse->expires_ms = now_ms + r->window_ms;
	if (reuse->expires_ms == 0)
		reuse->expires_ms = 1;
	return AU_OK;
}

enum au_status
auth_replay_add(struct auth_replay *r, const uint8_t pk[SIG_PUBKEY_BYTES],
    const uint8_t nonce[AUTH_NONCE_BYTES], uint64_t now_ms)
{
	uint8_t        key[REPLAY_KEY_BYTES];
	enum au_status st;

	memcpy(key, pk, SIG_PUBKEY_BYTES);
	memcpy(key + SIG_PUBKEY_BYTES, nonce, AUTH_NONCE_BYTES);
	pthread_mutex_lock(&r->mtx);
	if (r->used >= r->max_used && now_ms >= r->next_sweep)
		replay_sweep(r, now_ms);
	st = replay_insert(r, key, now_ms);
	pthread_mutex_unlock(&r->mtx);
	return st;
}

size_t
auth_replay_count(struct auth_replay *r)
{
	size_t n = 0;

	pthread_mutex_lock(&r->mtx);
	for (size_t i = 0; i <= r->mask; i++)
		if (r->slots[i].expires_ms != 0)
			n++;
	pthread_mutex_unlock(&r->mtx);
	return n;
}

uint64_t
auth_now_ms(void)
{
	return timeutil_wall_ms();
}
