/* SPDX-License-Identifier: MIT */
/*
 * fuzz_envelope: libFuzzer harness for what the server does with bytes
 * from the network before a handler runs: the Request envelope (limits
 * walk, unpack, field checks), the session token check, the method lookup
 * the way the server splits "service/method", and the limits walk plus
 * unpack of the payload for every method's input type; also the Reply
 * envelope as a client decodes it, both ways (copying and zero-copy),
 * which must agree.  wire.c and auth.c are compiled into
 * the harness so that libFuzzer's coverage sees them.
 *
 * Build: cmake -DAU_FUZZ=ON -DCMAKE_C_COMPILER=clang; run: scripts/fuzz.sh
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/auth.c"
#include "../../common/wire.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const ProtobufCServiceDescriptor *const services[] = {
    &au__v1__host_service__descriptor,
    &au__v1__admin_service__descriptor,
};

static const ProtobufCMethodDescriptor *
lookup(const char *method)
{
	const char *slash = strrchr(method, '/');

	if (slash == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		const ProtobufCServiceDescriptor *d = services[i];

		if (strlen(d->name) != (size_t)(slash - method) ||
		    memcmp(d->name, method, (size_t)(slash - method)) != 0)
			continue;
		for (unsigned j = 0; j < d->n_methods; j++)
			if (strcmp(d->methods[j].name, slash + 1) == 0)
				return &d->methods[j];
	}
	return NULL;
}

static void
payload(const ProtobufCMessageDescriptor *desc, const uint8_t *p, size_t n)
{
	ProtobufCMessage *m;

	if (wire_unpack(desc, p, n, &m, NULL) == AU_OK)
		protobuf_c_message_free_unpacked(m, NULL);
}

/* The zero-copy reply decoder must agree with the plain one: same verdict,
 * same status, same payload bytes. */
static void
reply_split_agrees(const uint8_t *data, size_t size)
{
	Au__V1__Reply *a = NULL, *b = NULL;
	const uint8_t *pl = NULL;
	size_t         n = 0;
	enum au_status sa, sb;

	sa = wire_reply_unpack(data, size, &a, NULL);
	sb = wire_reply_unpack_split(data, size, &b, &pl, &n, NULL);
	if ((sa == AU_OK) != (sb == AU_OK))
		abort();
	if (sa != AU_OK)
		return;
	if (a->status != b->status || b->has_payload)
		abort();
	if (a->has_payload ? a->payload.len != n ||
	                         (n > 0 && memcmp(a->payload.data, pl, n) != 0)
	                   : n != 0)
		abort();
	au__v1__reply__free_unpacked(a, NULL);
	au__v1__reply__free_unpacked(b, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[SIG_MAC_KEY_BYTES] = {1, 2, 3};
	static const uint8_t other_key[SIG_MAC_KEY_BYTES] = {4, 5, 6};
	const ProtobufCMethodDescriptor *md;
	Au__V1__Request                 *rq;
	Au__V1__Reply                   *rep;
	struct au_principal              p;
	struct au_err                    err;

	if (wire_request_unpack(data, size, &rq, &err) == AU_OK) {
		/* A seed may carry a token made with key: coverage past
		 * the MAC. */
		if (rq->has_token &&
		    auth_token_verify(rq->token.data, rq->token.len, key,
		        1700000000000ull, &p, &err) == AU_OK &&
		    p.role == AU_ROLE_NONE)
			abort(); /* a token verified but names no role */
		if ((md = lookup(rq->method)) != NULL)
			payload(md->input,
			    rq->has_payload ? rq->payload.data : NULL,
			    rq->has_payload ? rq->payload.len : 0);
		au__v1__request__free_unpacked(rq, NULL);
	}
	/* The same bytes as every input type, and as a Reply. */
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		for (unsigned j = 0; j < services[i]->n_methods; j++)
			payload(services[i]->methods[j].input, data, size);
	if (wire_reply_unpack(data, size, &rep, &err) == AU_OK)
		au__v1__reply__free_unpacked(rep, NULL);
	reply_split_agrees(data, size);
	/* Raw input as a token under another key: a MAC forged. */
	if (auth_token_verify(data, size, other_key, 0, &p, &err) == AU_OK)
		abort();
	return 0;
}
