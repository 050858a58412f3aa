/* SPDX-License-Identifier: MIT */
/*
 * fuzz_manifest: libFuzzer harness for the manifest parser and verifier
 * (build with -DAU_FUZZ=ON and clang; seeds in tests/fuzz/seeds/manifest/).
 * Any input must give AU_OK, AU_INVALID_ARGUMENT or AU_UNAUTHENTICATED,
 * never a crash, and whatever parses must satisfy the name and version
 * patterns.  The trusted key is the committed TEST-ONLY release key, so
 * seeds signed with it reach the signature path.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "sig.h"

/* tests/kat/test-release-key.pub */
#define FUZZ_PUBKEY \
	"4d7117566b78f079996fc283cb61550808de6e4814782486b833c3cef2397f17"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sig_init() != AU_OK)
		abort();
	return 0;
}

static void
check_parsed(const struct manifest *m)
{
	if (manifest_check_name(m->agent, NULL) != AU_OK ||
	    manifest_check_version(m->version, NULL) != AU_OK ||
	    m->format != MANIFEST_FORMAT ||
	    (m->expires != 0 && m->expires <= m->created))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t         pk[SIG_PUBKEY_BYTES];
	struct manifest m;
	enum au_status  st;
	const char     *buf = (const char *)data;

	if (sig_hex_decode(pk, sizeof(pk), FUZZ_PUBKEY, NULL) != AU_OK)
		abort();
	st = manifest_parse(buf, size, &m, NULL);
	if (st == AU_OK)
		check_parsed(&m);
	else if (st != AU_INVALID_ARGUMENT)
		abort();
	st = manifest_verify(
	    buf, size, (const uint8_t(*)[SIG_PUBKEY_BYTES])pk, 1, &m, NULL);
	if (st == AU_OK) {
		check_parsed(&m);
		if (memcmp(m.key_pub, pk, sizeof(pk)) != 0)
			abort();
		/* Its own agent and version, at its creation: accepted. */
		if (manifest_check(&m, m.agent, m.version, m.created, NULL) !=
		    AU_OK)
			abort();
	} else if (st != AU_INVALID_ARGUMENT && st != AU_UNAUTHENTICATED)
		abort();
	return 0;
}
