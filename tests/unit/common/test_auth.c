/* SPDX-License-Identifier: MIT */
/*
 * test_auth: the signed-request message (its exact byte layout), the
 * clock-skew check, session tokens (every byte is covered by the MAC) and
 * the replay cache (replays, expiry, a full cache refuses).
 */
#include <stdio.h>
#include <string.h>

#include "au_test.h"
#include "auth.h"
#include "sig.h"

#define NOW 1700000000000ull
#define METHOD "au.v1.HostService/Heartbeat"

struct keys {
	uint8_t pk[SIG_PUBKEY_BYTES], sk[SIG_SECKEY_BYTES];
	uint8_t nonce[AUTH_NONCE_BYTES];
};

static void
keys(struct keys *k)
{
	sig_keypair(k->pk, k->sk);
	for (int i = 0; i < AUTH_NONCE_BYTES; i++)
		k->nonce[i] = (uint8_t)i;
}

/* The layout is a contract with every other implementation: build it by
 * hand and check that auth_verify accepts a signature over it. */
static void
test_signed_message_layout(void **state)
{
	struct keys k;
	uint8_t     msg[256], sig[SIG_BYTES];
	size_t      n = 0;

	(void)state;
	keys(&k);
	memcpy(msg, "au-req-v1", 9);
	n = 9;
	memcpy(msg + n, "\x00\x00\x00\x01", 4);
	n += 4;
	memcpy(msg + n, METHOD, strlen(METHOD) + 1);
	n += strlen(METHOD) + 1;
	for (int i = 7; i >= 0; i--)
		msg[n++] = (uint8_t)(NOW >> (8 * i));
	memcpy(msg + n, k.nonce, AUTH_NONCE_BYTES);
	n += AUTH_NONCE_BYTES;
	sig_hash(msg + n, "payload", 7);
	n += SIG_HASH_BYTES;
	sig_sign_detached(sig, msg, n, k.sk);
	assert_int_equal(auth_verify(sig, k.pk, 1, METHOD, NOW, k.nonce,
	                     "payload", 7, NOW, 300, NULL),
	    AU_OK);
	/* and auth_sign makes that same signature (ed25519 is deterministic) */
	{
		uint8_t sig2[SIG_BYTES];

		assert_int_equal(auth_sign(sig2, k.sk, 1, METHOD, NOW, k.nonce,
		                     "payload", 7),
		    AU_OK);
		assert_memory_equal(sig, sig2, SIG_BYTES);
	}
}

static void
test_verify_refusals(void **state)
{
	struct keys   k, other;
	uint8_t       sig[SIG_BYTES];
	struct au_err err = AU_ERR_INIT;

	(void)state;
	keys(&k);
	keys(&other);
	assert_int_equal(
	    auth_sign(sig, k.sk, 1, METHOD, NOW, k.nonce, "p", 1), AU_OK);
	assert_int_equal(auth_verify(sig, k.pk, 1, METHOD, NOW + 300000,
	                     k.nonce, "p", 1, NOW + 300000, 300, NULL),
	    AU_UNAUTHENTICATED); /* timestamp is part of the message */
	/* Skew: 300 s either way is fine, 301 s is not. */
	assert_int_equal(auth_verify(sig, k.pk, 1, METHOD, NOW, k.nonce, "p", 1,
	                     NOW + 300000, 300, NULL),
	    AU_OK);
	assert_int_equal(auth_verify(sig, k.pk, 1, METHOD, NOW, k.nonce, "p", 1,
	                     NOW - 300000, 300, NULL),
	    AU_OK);
	assert_int_equal(auth_verify(sig, k.pk, 1, METHOD, NOW, k.nonce, "p", 1,
	                     NOW + 301000, 300, &err),
	    AU_UNAUTHENTICATED);
	assert_non_null(strstr(err.msg, "clock"));
	/* Every other input changes the verdict. */
	assert_int_equal(auth_verify(sig, other.pk, 1, METHOD, NOW, k.nonce,
	                     "p", 1, NOW, 300, &err),
	    AU_UNAUTHENTICATED);
	assert_string_equal(err.msg, "bad signature");
	assert_int_equal(auth_verify(sig, k.pk, 2, METHOD, NOW, k.nonce, "p", 1,
	                     NOW, 300, NULL),
	    AU_UNAUTHENTICATED);
	assert_int_equal(auth_verify(sig, k.pk, 1, "au.v1.HostService/Ping",
	                     NOW, k.nonce, "p", 1, NOW, 300, NULL),
	    AU_UNAUTHENTICATED);
	assert_int_equal(auth_verify(sig, k.pk, 1, METHOD, NOW, other.pk, "p",
	                     1, NOW, 300, NULL),
	    AU_UNAUTHENTICATED);
	assert_int_equal(auth_verify(sig, k.pk, 1, METHOD, NOW, k.nonce, "q", 1,
	                     NOW, 300, NULL),
	    AU_UNAUTHENTICATED);
}

static void
test_method_too_long(void **state)
{
	struct keys k;
	uint8_t     sig[SIG_BYTES];
	char        m[AUTH_METHOD_MAX + 2];

	(void)state;
	keys(&k);
	memset(m, 'm', sizeof(m) - 1);
	m[sizeof(m) - 1] = '\0';
	assert_int_equal(auth_sign(sig, k.sk, 1, m, NOW, k.nonce, NULL, 0),
	    AU_INVALID_ARGUMENT);
	assert_int_equal(
	    auth_verify(sig, k.pk, 1, m, NOW, k.nonce, NULL, 0, NOW, 300, NULL),
	    AU_UNAUTHENTICATED);
}

static void
test_tokens(void **state)
{
	uint8_t             key[SIG_MAC_KEY_BYTES], tok[AUTH_TOKEN_MAX];
	struct au_principal p = {0}, got;
	struct au_err       err = AU_ERR_INIT;
	char                kid[SIG_KEYID_HEX_BYTES];
	size_t              n;

	(void)state;
	sig_random(key, sizeof(key));
	p.role = AU_ROLE_ADMIN;
	snprintf(p.name, sizeof(p.name), "alice");
	sig_random(p.pubkey, sizeof(p.pubkey));
	n = auth_token_issue(tok, key, &p, NOW + 1000);
	assert_int_equal(n, 1 + 1 + 8 + 32 + 1 + 5 + 32);
	assert_int_equal(
	    auth_token_verify(tok, n, key, NOW, &got, NULL), AU_OK);
	assert_int_equal(got.role, AU_ROLE_ADMIN);
	assert_string_equal(got.name, "alice");
	assert_memory_equal(got.pubkey, p.pubkey, 32);
	sig_key_id(p.pubkey, kid);
	assert_string_equal(got.key_id, kid);
	/* Expiry is exclusive. */
	assert_int_equal(auth_token_verify(tok, n, key, NOW + 1000, &got, &err),
	    AU_UNAUTHENTICATED);
	assert_string_equal(err.msg, "session token expired");
	/* Any flipped bit, any length change: invalid. */
	for (size_t i = 0; i < n; i++) {
		tok[i] ^= 0x01;
		assert_int_equal(
		    auth_token_verify(tok, n, key, NOW, &got, NULL),
		    AU_UNAUTHENTICATED);
		tok[i] ^= 0x01;
	}
	for (size_t len = 0; len < n; len++)
		assert_int_equal(
		    auth_token_verify(tok, len, key, NOW, &got, &err),
		    AU_UNAUTHENTICATED);
	assert_string_equal(err.msg, "session token invalid");
	/* A name of the full 64 bytes fits. */
	memset(p.name, 'n', RPC_NAME_MAX);
	p.name[RPC_NAME_MAX] = '\0';
	n = auth_token_issue(tok, key, &p, NOW + 1000);
	assert_int_equal(n, AUTH_TOKEN_MAX);
	assert_int_equal(
	    auth_token_verify(tok, n, key, NOW, &got, NULL), AU_OK);
	assert_string_equal(got.name, p.name);
}

static void
test_replay_cache(void **state)
{
	struct auth_replay *r = auth_replay_new(16, 1000);
	uint8_t             pk[32] = {1}, pk2[32] = {2}, nonce[16] = {0};

	(void)state;
	assert_non_null(r);
	assert_int_equal(auth_replay_add(r, pk, nonce, NOW), AU_OK);
	assert_int_equal(
	    auth_replay_add(r, pk, nonce, NOW + 999), AU_UNAUTHENTICATED);
	/* The same nonce from another key is another request. */
	assert_int_equal(auth_replay_add(r, pk2, nonce, NOW), AU_OK);
	/* After the window, the entry is gone. */
	assert_int_equal(auth_replay_add(r, pk, nonce, NOW + 1000), AU_OK);
	auth_replay_free(r);
}

static void
test_replay_cache_full(void **state)
{
	struct auth_replay *r = auth_replay_new(16, 1000);
	uint8_t             pk[32] = {1}, nonce[16] = {0};
	int                 i;

	(void)state;
	/* 16 slots hold 12 live entries; the 13th is refused, not evicted. */
	for (i = 0; i < 12; i++) {
		nonce[0] = (uint8_t)i;
		assert_int_equal(auth_replay_add(r, pk, nonce, NOW), AU_OK);
	}
	nonce[0] = 100;
	assert_int_equal(
	    auth_replay_add(r, pk, nonce, NOW + 10), AU_UNAVAILABLE);
	/* Every old entry is still remembered. */
	for (i = 0; i < 12; i++) {
		nonce[0] = (uint8_t)i;
		assert_int_equal(auth_replay_add(r, pk, nonce, NOW + 20),
		    AU_UNAUTHENTICATED);
	}
	/* Once they expire there is room again. */
	assert_int_equal(auth_replay_add(r, pk, nonce, NOW + 1000), AU_OK);
	for (i = 20; i < 30; i++) {
		nonce[0] = (uint8_t)i;
		assert_int_equal(
		    auth_replay_add(r, pk, nonce, NOW + 1001), AU_OK);
	}
	assert_true(auth_replay_count(r) <= 12);
	auth_replay_free(r);
	auth_replay_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_signed_message_layout),
	    cmocka_unit_test(test_verify_refusals),
	    cmocka_unit_test(test_method_too_long),
	    cmocka_unit_test(test_tokens),
	    cmocka_unit_test(test_replay_cache),
	    cmocka_unit_test(test_replay_cache_full),
	};

	if (sig_init() != AU_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
