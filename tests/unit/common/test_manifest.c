/* SPDX-License-Identifier: MIT */
/*
 * test_manifest: known answers (tests/kat/: a committed TEST-ONLY key pair,
 * a tarball and the manifest signed for it), the exact signed message,
 * and hostile manifests: every flipped byte, unknown and mismatched keys,
 * and each way of spelling a manifest that the parser must refuse.
 * Set AU_UPDATE_GOLDEN=1 to rewrite tests/kat/nodex-1.4.2.tar.gz.sig
 * deliberately (only when the format changes).
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au_test.h"
#include "fsutil.h"
#include "manifest.h"
#include "sig.h"

#define KAT_CREATED 1767225600ULL /* 2026-01-01T00:00:00Z */
#define KAT_UNPACKED 263
#define KAT_ENTRIES 4

struct kat {
	char    dir[512];
	uint8_t pk[SIG_PUBKEY_BYTES];
	uint8_t sk[SIG_SECKEY_BYTES];
	char   *tar;
	size_t  tarlen;
	char   *sig;
	size_t  siglen;
};

static void
kat_path(char *out, size_t outsz, const struct kat *k, const char *name)
{
	snprintf(out, outsz, "%s/%s", k->dir, name);
}

/* The source tree: $AU_SRC, else derived from this file's path. */
static void
kat_dir(char *out, size_t outsz)
{
	const char *src = getenv("AU_SRC");
	const char *tail = "/tests/unit/common/test_manifest.c";
	size_t      n = strlen(__FILE__);

	if (src != NULL) {
		snprintf(out, outsz, "%s/tests/kat", src);
		return;
	}
	assert_true(n > strlen(tail));
	snprintf(
	    out, outsz, "%.*s/tests/kat", (int)(n - strlen(tail)), __FILE__);
}

/* The committed secret key is mode 0644 in git; load it via a 0600 copy. */
static void
load_seckey(struct kat *k)
{
	char   path[600], tmp[] = "/tmp/test_manifest.keyXXXXXX";
	char  *buf = NULL;
	size_t len;
	int    fd;

	kat_path(path, sizeof(path), k, "test-release-key.key");
	assert_int_equal(fsutil_read_file(path, 4096, &buf, &len, NULL), AU_OK);
	assert_true((fd = mkstemp(tmp)) >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	free(buf);
	assert_int_equal(sig_seckey_load(tmp, k->sk, NULL), AU_OK);
	unlink(tmp);
}

static int
setup(void **state)
{
	struct kat *k = calloc(1, sizeof(*k));
	char        path[600];

	assert_non_null(k);
	assert_int_equal(sig_init(), AU_OK);
	kat_dir(k->dir, sizeof(k->dir));
	kat_path(path, sizeof(path), k, "test-release-key.pub");
	assert_int_equal(sig_pubkey_load(path, k->pk, NULL), AU_OK);
	load_seckey(k);
	kat_path(path, sizeof(path), k, "nodex-1.4.2.tar.gz");
	assert_int_equal(
	    fsutil_read_file(path, 1 << 20, &k->tar, &k->tarlen, NULL), AU_OK);
	kat_path(path, sizeof(path), k, "nodex-1.4.2.tar.gz.sig");
	assert_int_equal(fsutil_read_file(path, MANIFEST_MAX_BYTES + 1, &k->sig,
	                     &k->siglen, NULL),
	    AU_OK);
	*state = k;
	return 0;
}

static int
teardown(void **state)
{
	struct kat *k = *state;

	sig_memzero(k->sk, sizeof(k->sk));
	free(k->tar);
	free(k->sig);
	free(k);
	return 0;
}

static void
kat_manifest(const struct kat *k, struct manifest *m)
{
	memset(m, 0, sizeof(*m));
	m->format = MANIFEST_FORMAT;
	strcpy(m->agent, "nodex");
	strcpy(m->version, "1.4.2");
	m->size = k->tarlen;
	sig_hash(m->hash, k->tar, k->tarlen);
	m->unpacked_size = KAT_UNPACKED;
	m->entries = KAT_ENTRIES;
	m->created = KAT_CREATED;
}

/* Signing the known manifest gives the committed bytes (ed25519 is
 * deterministic). */
static void
test_kat_sign(void **state)
{
	struct kat     *k = *state;
	struct manifest m;
	char           *out = NULL, path[600];
	size_t          len = 0;

	kat_manifest(k, &m);
	assert_int_equal(manifest_sign(&m, k->sk, &out, &len, NULL), AU_OK);
	if (getenv("AU_UPDATE_GOLDEN") != NULL) {
		kat_path(path, sizeof(path), k, "nodex-1.4.2.tar.gz.sig");
		assert_int_equal(
		    fsutil_write_atomic(path, out, len, 0644, NULL), AU_OK);
	}
	assert_int_equal(len, k->siglen);
	assert_memory_equal(out, k->sig, len);
	assert_int_equal(strlen(out), len);
	free(out);
}

static void
test_kat_verify(void **state)
{
	struct kat     *k = *state;
	struct manifest m;
	char            id[SIG_KEYID_HEX_BYTES];
	uint8_t         h[SIG_HASH_BYTES];

	assert_int_equal(
	    manifest_verify(k->sig, k->siglen,
	        (const uint8_t(*)[SIG_PUBKEY_BYTES])k->pk, 1, &m, NULL),
	    AU_OK);
	sig_key_id(k->pk, id);
	assert_string_equal(m.key_id, id);
	assert_memory_equal(m.key_pub, k->pk, SIG_PUBKEY_BYTES);
	assert_string_equal(m.agent, "nodex");
	assert_string_equal(m.version, "1.4.2");
	assert_int_equal(m.size, k->tarlen);
	sig_hash(h, k->tar, k->tarlen);
	assert_memory_equal(m.hash, h, SIG_HASH_BYTES);
	assert_int_equal(m.unpacked_size, KAT_UNPACKED);
	assert_int_equal(m.entries, KAT_ENTRIES);
	assert_int_equal(m.created, KAT_CREATED);
	assert_int_equal(m.expires, 0);
	assert_int_equal(
	    manifest_check(&m, "nodex", "1.4.2", KAT_CREATED, NULL), AU_OK);
}

/* The signature is over tag || raw hash || body, checked here without
 * manifest.c so that the documented format is what the code does. */
static void
test_signed_message(void **state)
{
	struct kat *k = *state;
	const char *sigline = strstr(k->sig, "signature: ");
	size_t      bodylen, taglen = strlen("au-manifest-v1\n");
	uint8_t     msg[MANIFEST_MAX_BYTES + 64], sig[SIG_BYTES];

	assert_non_null(sigline);
	bodylen = (size_t)(sigline - k->sig);
	memcpy(msg, "au-manifest-v1\n", taglen);
	sig_hash(msg + taglen, k->tar, k->tarlen);
	memcpy(msg + taglen + SIG_HASH_BYTES, k->sig, bodylen);
	assert_int_equal(sig_hex_decode(sig, SIG_BYTES,
	                     sigline + strlen("signature: "), NULL),
	    AU_OK);
	assert_int_equal(sig_verify_detached(sig, msg,
	                     taglen + SIG_HASH_BYTES + bodylen, k->pk),
	    AU_OK);
}

static void
test_unknown_key(void **state)
{
	struct kat     *k = *state;
	struct manifest m;
	struct au_err   err = AU_ERR_INIT;
	uint8_t         pk2[SIG_PUBKEY_BYTES], sk2[SIG_SECKEY_BYTES];
	char            id[SIG_KEYID_HEX_BYTES], want[128];

	sig_keypair(pk2, sk2);
	assert_int_equal(
	    manifest_verify(k->sig, k->siglen,
	        (const uint8_t(*)[SIG_PUBKEY_BYTES])pk2, 1, &m, &err),
	    AU_UNAUTHENTICATED);
	sig_key_id(k->pk, id);
	snprintf(want, sizeof(want),
	    "manifest nodex 1.4.2: signed by unknown key %s", id);
	assert_string_equal(err.msg, want);
	/* No trusted keys at all: the same. */
	assert_int_equal(manifest_verify(k->sig, k->siglen, NULL, 0, &m, NULL),
	    AU_UNAUTHENTICATED);
	sig_memzero(sk2, sizeof(sk2));
}

static void
test_second_trusted_key(void **state)
{
	struct kat     *k = *state;
	struct manifest m;
	uint8_t         keys[2][SIG_PUBKEY_BYTES], sk2[SIG_SECKEY_BYTES];

	sig_keypair(keys[0], sk2);
	memcpy(keys[1], k->pk, SIG_PUBKEY_BYTES);
	assert_int_equal(
	    manifest_verify(k->sig, k->siglen,
	        (const uint8_t(*)[SIG_PUBKEY_BYTES])keys, 2, &m, NULL),
	    AU_OK);
	assert_memory_equal(m.key_pub, k->pk, SIG_PUBKEY_BYTES);
	sig_memzero(sk2, sizeof(sk2));
}

/* Every single flipped bit in the manifest is refused. */
static void
test_every_flipped_byte(void **state)
{
	struct kat     *k = *state;
	struct manifest m;
	char           *buf = malloc(k->siglen);
	size_t          i;
	enum au_status  st;

	assert_non_null(buf);
	for (i = 0; i < k->siglen; i++) {
		memcpy(buf, k->sig, k->siglen);
		buf[i] ^= 0x01;
		st = manifest_verify(buf, k->siglen,
		    (const uint8_t(*)[SIG_PUBKEY_BYTES])k->pk, 1, &m, NULL);
		if (st != AU_INVALID_ARGUMENT && st != AU_UNAUTHENTICATED)
			fail_msg("byte %zu flipped: status %d", i, st);
	}
	free(buf);
}

static void
test_bad_signature_known_key(void **state)
{
	struct kat     *k = *state;
	struct manifest m;
	struct au_err   err = AU_ERR_INIT;
	char           *buf = malloc(k->siglen);
	char           *p;

	assert_non_null(buf);
	memcpy(buf, k->sig, k->siglen);
	p = strstr(buf, "signature: ") + strlen("signature: ");
	*p = *p == '0' ? '1' : '0';
	assert_int_equal(
	    manifest_verify(buf, k->siglen,
	        (const uint8_t(*)[SIG_PUBKEY_BYTES])k->pk, 1, &m, &err),
	    AU_UNAUTHENTICATED);
	assert_non_null(strstr(err.msg, "bad signature by key"));
	free(buf);
}

/* A manifest whose key_id names another key than the one that signed. */
static void
test_key_id_mismatch(void **state)
{
	struct kat     *k = *state;
	struct manifest m;
	struct au_err   err = AU_ERR_INIT;
	char            buf[MANIFEST_MAX_BYTES], id[SIG_KEYID_HEX_BYTES];
	uint8_t         msg[MANIFEST_MAX_BYTES + 64], sig[SIG_BYTES];
	size_t          bodylen, taglen = strlen(MANIFEST_SIG_TAG);
	char           *kid;

	bodylen = (size_t)(strstr(k->sig, "signature: ") - k->sig);
	memcpy(buf, k->sig, bodylen);
	kid = strstr(buf, "key_id: ") + strlen("key_id: ");
	memcpy(kid, "0123456789abcdef", 16);
	memcpy(msg, MANIFEST_SIG_TAG, taglen);
	sig_hash(msg + taglen, k->tar, k->tarlen);
	memcpy(msg + taglen + SIG_HASH_BYTES, buf, bodylen);
	sig_sign_detached(sig, msg, taglen + SIG_HASH_BYTES + bodylen, k->sk);
	memcpy(buf + bodylen, "signature: ", 11);
	sig_hex_encode(buf + bodylen + 11, 2 * SIG_BYTES + 1, sig, SIG_BYTES);
	strcat(buf, "\n");
	assert_int_equal(
	    manifest_verify(buf, strlen(buf),
	        (const uint8_t(*)[SIG_PUBKEY_BYTES])k->pk, 1, &m, &err),
	    AU_UNAUTHENTICATED);
	sig_key_id(k->pk, id);
	assert_non_null(strstr(err.msg, id));
	assert_non_null(strstr(err.msg, "is not the signing key"));
}

/* Replace the first occurrence of from by to in the KAT manifest. */
static char *
mutate(const struct kat *k, const char *from, const char *to)
{
	const char *at = strstr(k->sig, from);
	char       *out;
	size_t      pre;

	assert_non_null(at);
	pre = (size_t)(at - k->sig);
	out = malloc(k->siglen + strlen(to) + 1);
	assert_non_null(out);
	memcpy(out, k->sig, pre);
	strcpy(out + pre, to);
	strcat(out, at + strlen(from));
	return out;
}

static void
test_malformed(void **state)
{
	static const struct {
		const char *from, *to;
	} cases[] = {
	    {"format: 1\n", "format: 2\n"},
	    {"format: 1\n", "format: 01\n"},
	    {"format: 1\n", ""},
	    {"format: 1\n", "format: 1\nformat: 1\n"},
	    {"format: 1\n", "comment: hi\nformat: 1\n"},
	    {"agent: nodex\n", "agent: Nodex\n"},
	    {"agent: nodex\n", "agent: ../x\n"},
	    {"agent: nodex\n", "agent:  nodex\n"},
	    {"agent: nodex\n", "agent: nodex \n"},
	    {"agent: nodex\n", "agent:nodex\n"},
	    {"agent: nodex\n", "agent: \n"},
	    {"agent: nodex\n", "agent: nodex\r\n"},
	    {"agent: nodex\n", "Agent: nodex\n"},
	    {"version: 1.4.2\n", "version: 1..2\n"},
	    {"version: 1.4.2\n", "version: v1.4.2\n"},
	    {"version: 1.4.2\n", "version: 1.4.2-\n"},
	    {"version: 1.4.2\n", "version: 1.4.2-rc_1\n"},
	    {"version: 1.4.2\n", ""},
	    {"agent: nodex\nversion: 1.4.2\n",
	        "version: 1.4.2\nagent: nodex\n"},
	    {"size: ", "size: -"},
	    {"size: ", "size: +"},
	    {"size: ", "size: 0"},
	    {"size: ", "size: 18446744073709551616\nx: "},
	    {"entries: 4\n", "entries: 18446744073709551616\n"},
	    {"entries: 4\n", "entries: 99999999999999999999\n"},
	    {"entries: 4\n", "entries: 4 \n"},
	    {"entries: 4\n", "entries: 0x4\n"},
	    {"hash: ", "hash: 0"},
	    {"hash: 6c", "hash: 6C"},
	    {"created: 1767225600\n", "created: 1767225600\nexpires: 1\n"},
	    {"created: 1767225600\n",
	        "created: 1767225600\nexpires: 1767225600\n"},
	    {"created: 1767225600\n", "created: 1767225600\ncreated: 1\n"},
	    {"signature: ", "signature: 00"},
	    {"signature: ", "signature:  "},
	};
	struct kat     *k = *state;
	struct manifest m;
	size_t          i;
	char           *buf;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf = mutate(k, cases[i].from, cases[i].to);
		if (manifest_parse(buf, strlen(buf), &m, NULL) !=
		    AU_INVALID_ARGUMENT)
			fail_msg("case %zu (%s) parsed", i, cases[i].to);
		if (manifest_verify(buf, strlen(buf),
		        (const uint8_t(*)[SIG_PUBKEY_BYTES])k->pk, 1, &m,
		        NULL) != AU_INVALID_ARGUMENT)
			fail_msg("case %zu (%s) verified", i, cases[i].to);
		free(buf);
	}
}

static void
test_framing(void **state)
{
	struct kat     *k = *state;
	struct manifest m;
	char            big[MANIFEST_MAX_BYTES + 2];
	char           *buf;

	/* No newline at the end, then data after the signature. */
	assert_int_equal(manifest_parse(k->sig, k->siglen - 1, &m, NULL),
	    AU_INVALID_ARGUMENT);
	buf = malloc(k->siglen + 8);
	assert_non_null(buf);
	memcpy(buf, k->sig, k->siglen);
	memcpy(buf + k->siglen, "x: y\n", 5);
	assert_int_equal(
	    manifest_parse(buf, k->siglen + 5, &m, NULL), AU_INVALID_ARGUMENT);
	/* An embedded NUL. */
	memcpy(buf, k->sig, k->siglen);
	buf[strstr(k->sig, "nodex") - k->sig + 2] = '\0';
	assert_int_equal(
	    manifest_parse(buf, k->siglen, &m, NULL), AU_INVALID_ARGUMENT);
	free(buf);
	/* Empty and oversized. */
	assert_int_equal(manifest_parse("", 0, &m, NULL), AU_INVALID_ARGUMENT);
	memset(big, '\n', sizeof(big));
	assert_int_equal(
	    manifest_parse(big, sizeof(big), &m, NULL), AU_INVALID_ARGUMENT);
	/* The KAT parses without a key too. */
	assert_int_equal(manifest_parse(k->sig, k->siglen, &m, NULL), AU_OK);
	assert_string_equal(m.agent, "nodex");
}

static void
test_expires_and_limits(void **state)
{
	struct kat     *k = *state;
	struct manifest m, got;
	struct au_err   err = AU_ERR_INIT;
	char           *out = NULL;
	size_t          len;

	kat_manifest(k, &m);
	m.size = UINT64_MAX;
	m.entries = UINT64_MAX;
	m.expires = KAT_CREATED + 86400;
	strcpy(m.version, "2.0.0-rc1.x");
	assert_int_equal(manifest_sign(&m, k->sk, &out, &len, NULL), AU_OK);
	assert_non_null(strstr(out, "size: 18446744073709551615\n"));
	assert_int_equal(
	    manifest_verify(out, len, (const uint8_t(*)[SIG_PUBKEY_BYTES])k->pk,
	        1, &got, NULL),
	    AU_OK);
	assert_int_equal(got.size, UINT64_MAX);
	assert_int_equal(got.expires, KAT_CREATED + 86400);
	assert_int_equal(manifest_check(&got, "nodex", "2.0.0-rc1.x",
	                     KAT_CREATED + 86399, NULL),
	    AU_OK);
	assert_int_equal(manifest_check(&got, "nodex", "2.0.0-rc1.x",
	                     KAT_CREATED + 86400, &err),
	    AU_FAILED_PRECONDITION);
	assert_non_null(strstr(err.msg, "expired"));
	free(out);
	/* Signing refuses what parsing would refuse. */
	m.expires = m.created;
	assert_int_equal(
	    manifest_sign(&m, k->sk, &out, &len, NULL), AU_INVALID_ARGUMENT);
	assert_null(out);
	m.expires = 0;
	strcpy(m.agent, "Bad");
	assert_int_equal(
	    manifest_sign(&m, k->sk, &out, &len, NULL), AU_INVALID_ARGUMENT);
	strcpy(m.agent, "nodex");
	m.format = 2;
	assert_int_equal(
	    manifest_sign(&m, k->sk, &out, &len, NULL), AU_INVALID_ARGUMENT);
}

/* Parse text with its first from replaced by to. */
static enum au_status
parse_replaced(const char *text, const char *from, const char *to)
{
	struct manifest m;
	const char     *at = strstr(text, from);
	char            buf[MANIFEST_MAX_BYTES + 64];
	int             n;

	assert_non_null(at);
	n = snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - text), text, to,
	    at + strlen(from));
	return manifest_parse(buf, (size_t)n, &m, NULL);
}

/* A package may ask for a health window (1..3600 s); without one the
 * manifest's bytes are those of before the field existed. */
static void
test_health_window(void **state)
{
	struct kat     *k = *state;
	struct manifest m, got;
	char           *out = NULL;
	size_t          len;

	kat_manifest(k, &m);
	m.expires = KAT_CREATED + 86400;
	m.health_window = 600;
	assert_int_equal(manifest_sign(&m, k->sk, &out, &len, NULL), AU_OK);
	assert_non_null(
	    strstr(out, "expires: 1767312000\nhealth_window: 600\nsignature"));
	assert_int_equal(
	    manifest_verify(out, len, (const uint8_t(*)[SIG_PUBKEY_BYTES])k->pk,
	        1, &got, NULL),
	    AU_OK);
	assert_int_equal(got.health_window, 600);
	/* Out of range, when parsing (before any signature check). */
	assert_int_equal(
	    parse_replaced(out, "health_window: 600", "health_window: 0"),
	    AU_INVALID_ARGUMENT);
	assert_int_equal(
	    parse_replaced(out, "health_window: 600", "health_window: 3601"),
	    AU_INVALID_ARGUMENT);
	assert_int_equal(
	    parse_replaced(out, "health_window: 600", "health_window: 3600"),
	    AU_OK);
	free(out);
	/* Without expires, right after created. */
	m.expires = 0;
	m.health_window = 30;
	assert_int_equal(manifest_sign(&m, k->sk, &out, &len, NULL), AU_OK);
	assert_non_null(
	    strstr(out, "created: 1767225600\nhealth_window: 30\n"));
	assert_int_equal(manifest_parse(out, len, &got, NULL), AU_OK);
	assert_int_equal(got.health_window, 30);
	free(out);
	m.health_window = 3601;
	assert_int_equal(
	    manifest_sign(&m, k->sk, &out, &len, NULL), AU_INVALID_ARGUMENT);
}

/* A valid manifest for another agent or version is refused. */
static void
test_check_other_release(void **state)
{
	struct kat     *k = *state;
	struct manifest m;
	struct au_err   err = AU_ERR_INIT;

	assert_int_equal(manifest_parse(k->sig, k->siglen, &m, NULL), AU_OK);
	assert_int_equal(manifest_check(&m, "nodey", "1.4.2", 0, &err),
	    AU_FAILED_PRECONDITION);
	assert_string_equal(
	    err.msg, "manifest nodex 1.4.2: expected nodey 1.4.2");
	assert_int_equal(manifest_check(&m, "nodex", "1.4.3", 0, NULL),
	    AU_FAILED_PRECONDITION);
	assert_int_equal(manifest_check(&m, "nodex", "1.4", 0, NULL),
	    AU_FAILED_PRECONDITION);
}

static void
test_names(void **state)
{
	static const char *good[] = {"a", "nodex", "0", "a-b_c.d",
	    "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01"};
	static const char *bad[] = {"", "-a", ".a", "_a", "A", "a/b", "a b",
	    "..", "a\n",
	    ("abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01"
	     "2")};
	size_t             i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(manifest_check_name(good[i], NULL), AU_OK);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    manifest_check_name(bad[i], NULL), AU_INVALID_ARGUMENT);
}

static void
test_versions(void **state)
{
	static const char *good[] = {
	    "1", "1.4.2", "10.0.0-rc1", "1.2-a.B.3", "0.0.0.0.1"};
	static const char *bad[] = {"", "1.", ".1", "1..2", "v1", "1.4.2-",
	    "1.4.2-rc-1", "1.4.2-rc_1", "1.4 ", "-rc1", "1/2",
	    ("1.2.3-"
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")};
	size_t             i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(manifest_check_version(good[i], NULL), AU_OK);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (manifest_check_version(bad[i], NULL) != AU_INVALID_ARGUMENT)
			fail_msg("version \"%s\" accepted", bad[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kat_sign),
	    cmocka_unit_test(test_kat_verify),
	    cmocka_unit_test(test_signed_message),
	    cmocka_unit_test(test_unknown_key),
	    cmocka_unit_test(test_second_trusted_key),
	    cmocka_unit_test(test_every_flipped_byte),
	    cmocka_unit_test(test_bad_signature_known_key),
	    cmocka_unit_test(test_key_id_mismatch),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_framing),
	    cmocka_unit_test(test_expires_and_limits),
	    cmocka_unit_test(test_health_window),
	    cmocka_unit_test(test_check_other_release),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_versions),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
