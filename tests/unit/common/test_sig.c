/* SPDX-License-Identifier: MIT */
/*
 * test_sig: known answers for ed25519 (RFC 8032 section 7.1, tests 1 and 2)
 * and BLAKE2b-256 (plain and keyed), hex, and key files on disk.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au_test.h"
#include "sig.h"

struct kat {
	const char *seed, *pk, *msg, *sig;
};

static const struct kat rfc8032[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
};

static void
hex(uint8_t *out, size_t n, const char *h)
{
	assert_int_equal(sig_hex_decode(out, n, h, NULL), AU_OK);
}

static void
test_ed25519_kat(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rfc8032) / sizeof(rfc8032[0]); i++) {
		const struct kat *k = &rfc8032[i];
		uint8_t sk[SIG_SECKEY_BYTES], pk[SIG_PUBKEY_BYTES], pk2[32];
		uint8_t want[SIG_BYTES], got[SIG_BYTES], msg[8];
		size_t  mlen = strlen(k->msg) / 2;

		/* libsodium's secret key is seed || public key. */
		hex(sk, 32, k->seed);
		hex(pk, 32, k->pk);
		memcpy(sk + 32, pk, 32);
		if (mlen > 0)
			hex(msg, mlen, k->msg);
		hex(want, SIG_BYTES, k->sig);
		sig_sign_detached(got, msg, mlen, sk);
		assert_memory_equal(got, want, SIG_BYTES);
		assert_int_equal(
		    sig_verify_detached(want, msg, mlen, pk), AU_OK);
		got[0] ^= 1;
		assert_int_equal(sig_verify_detached(got, msg, mlen, pk),
		    AU_UNAUTHENTICATED);
		sig_sk_to_pk(sk, pk2);
		assert_memory_equal(pk2, pk, 32);
	}
}

static void
test_blake2b_kat(void **state)
{
	uint8_t h[SIG_HASH_BYTES], want[SIG_HASH_BYTES], key[SIG_MAC_KEY_BYTES];
	struct sig_hash_state *st;

	(void)state;
	sig_hash(h, "", 0);
	hex(want, 32,
	    "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
	assert_memory_equal(h, want, 32);
	sig_hash(h, "abc", 3);
	hex(want, 32,
	    "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
	assert_memory_equal(h, want, 32);
	/* Streaming gives the same answer. */
	assert_non_null(st = sig_hash_new());
	sig_hash_update(st, "a", 1);
	sig_hash_update(st, "bc", 2);
	sig_hash_final(st, h);
	sig_hash_free(st);
	assert_memory_equal(h, want, 32);
	/* Keyed: key 00 01 .. 1f over "message". */
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	sig_mac(h, "message", 7, key);
	hex(want, 32,
	    "2615bcafac3ebcd31940a8f15d876916435d805823d2db78c201a8e94624a0ae");
	assert_memory_equal(h, want, 32);
	assert_int_equal(sig_mac_verify(want, "message", 7, key), AU_OK);
	assert_int_equal(
	    sig_mac_verify(want, "messagE", 7, key), AU_UNAUTHENTICATED);
}

static void
test_key_id_and_hex(void **state)
{
	uint8_t       pk[32], out[4];
	char          id[SIG_KEYID_HEX_BYTES], h[9];
	struct au_err err = AU_ERR_INIT;

	(void)state;
	hex(pk, 32, rfc8032[0].pk);
	sig_key_id(pk, id);
	assert_int_equal(strlen(id), 16);
	assert_int_equal(sig_hex_decode(out, 4, " 0a0B0c0d\n", NULL), AU_OK);
	sig_hex_encode(h, sizeof(h), out, 4);
	assert_string_equal(h, "0a0b0c0d");
	assert_int_equal(
	    sig_hex_decode(out, 4, "0a0b0c", &err), AU_INVALID_ARGUMENT);
	assert_int_equal(
	    sig_hex_decode(out, 4, "0a0b0c0d0e", NULL), AU_INVALID_ARGUMENT);
	assert_int_equal(
	    sig_hex_decode(out, 4, "0a0b0c0x", NULL), AU_INVALID_ARGUMENT);
	assert_int_equal(sig_pubkey_parse(rfc8032[0].pk, pk, NULL), AU_OK);
	assert_int_equal(sig_pubkey_parse("ed25519-pub "
	                                  "d75a980182b10ab7d54bfed3c964073a0ee1"
	                                  "72f3daa62325af021a68f707511a\n",
	                     pk, NULL),
	    AU_OK);
	assert_int_equal(sig_pubkey_parse("ed25519-pub d75a", pk, NULL),
	    AU_INVALID_ARGUMENT);
}

static void
test_key_files(void **state)
{
	char    dir[64], pub[96], sec[96];
	uint8_t pk[32], sk[64], pk2[32], sk2[64];

	(void)state;
	assert_int_equal(au_test_mkdtemp(dir, sizeof(dir), "sig"), 0);
	snprintf(pub, sizeof(pub), "%s/k.pub", dir);
	snprintf(sec, sizeof(sec), "%s/k.sec", dir);
	sig_keypair(pk, sk);
	assert_int_equal(sig_pubkey_save(pub, pk, NULL), AU_OK);
	assert_int_equal(sig_seckey_save(sec, sk, NULL), AU_OK);
	assert_int_equal(sig_pubkey_load(pub, pk2, NULL), AU_OK);
	assert_memory_equal(pk, pk2, 32);
	assert_int_equal(sig_seckey_load(sec, sk2, NULL), AU_OK);
	assert_memory_equal(sk, sk2, 64);
	/* Never overwritten. */
	assert_int_equal(sig_seckey_save(sec, sk, NULL), AU_ALREADY_EXISTS);
	assert_int_equal(sig_pubkey_save(pub, pk, NULL), AU_ALREADY_EXISTS);
	/* A secret key readable by others is refused. */
	assert_int_equal(chmod(sec, 0644), 0);
	assert_int_equal(sig_seckey_load(sec, sk2, NULL), AU_PERMISSION_DENIED);
	/* A public key file is not a secret key file. */
	assert_int_equal(chmod(pub, 0600), 0);
	assert_int_equal(sig_seckey_load(pub, sk2, NULL), AU_INVALID_ARGUMENT);
	assert_int_equal(
	    sig_pubkey_load("/nonexistent/k.pub", pk2, NULL), AU_NOT_FOUND);
	assert_int_equal(au_test_rmtree(dir), 0);
}

static void
test_random(void **state)
{
	uint8_t a[32] = {0}, b[32] = {0};

	(void)state;
	sig_random(a, sizeof(a));
	sig_random(b, sizeof(b));
	assert_memory_not_equal(a, b, sizeof(a));
	for (int i = 0; i < 100; i++)
		assert_true(sig_random_uniform(10) < 10);
	assert_int_equal(sig_random_uniform(0), 0);
	assert_int_equal(sig_memcmp(a, a, 32), 0);
	assert_int_not_equal(sig_memcmp(a, b, 32), 0);
	sig_memzero(a, sizeof(a));
	assert_memory_equal(a, (uint8_t[32]){0}, 32);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ed25519_kat),
	    cmocka_unit_test(test_blake2b_kat),
	    cmocka_unit_test(test_key_id_and_hex),
	    cmocka_unit_test(test_key_files),
	    cmocka_unit_test(test_random),
	};

	if (sig_init() != AU_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
