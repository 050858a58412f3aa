/* SPDX-License-Identifier: MIT */
/*
 * test_wire: the limits checked on packed bytes before unpacking: string
 * sizes and embedded NULs, repeated-field caps, malformed encodings,
 * unknown fields, and the envelope's own checks.
 */
#include <stdlib.h>
#include <string.h>

#include "au.pb-c.h"
#include "au_test.h"
#include "wire.h"

static size_t
pack_heartbeat(Au__V1__HeartbeatRequest *hb, uint8_t **out)
{
	size_t n = au__v1__heartbeat_request__get_packed_size(hb);

	*out = malloc(n + 1);
	assert_non_null(*out);
	return au__v1__heartbeat_request__pack(hb, *out);
}

static void
test_good_message(void **state)
{
	Au__V1__HeartbeatRequest hb = AU__V1__HEARTBEAT_REQUEST__INIT;
	Au__V1__AgentStatus      a = AU__V1__AGENT_STATUS__INIT, *ap = &a;
	ProtobufCMessage        *m;
	uint8_t                 *buf;
	size_t                   n;

	(void)state;
	hb.hostname = "web-12.example";
	hb.updater_version = "0.1.0";
	a.name = "nodex";
	a.version = "1.4.2";
	hb.agents = &ap;
	hb.n_agents = 1;
	n = pack_heartbeat(&hb, &buf);
	assert_int_equal(wire_unpack(&au__v1__heartbeat_request__descriptor,
	                     buf, n, &m, NULL),
	    AU_OK);
	assert_string_equal(
	    ((Au__V1__HeartbeatRequest *)m)->agents[0]->name, "nodex");
	protobuf_c_message_free_unpacked(m, NULL);
	free(buf);
}

static void
test_embedded_nul(void **state)
{
	/* HeartbeatRequest.hostname = "a\0b": protobuf-c would accept it and
	 * strlen() would see "a". */
	const uint8_t     bad[] = {0x0a, 0x03, 'a', 0x00, 'b'};
	struct au_err     err = AU_ERR_INIT;
	ProtobufCMessage *m;

	(void)state;
	m = protobuf_c_message_unpack(
	    &au__v1__heartbeat_request__descriptor, NULL, sizeof(bad), bad);
	assert_non_null(m); /* the reason wire exists */
	protobuf_c_message_free_unpacked(m, NULL);
	assert_int_equal(wire_unpack(&au__v1__heartbeat_request__descriptor,
	                     bad, sizeof(bad), &m, &err),
	    AU_INVALID_ARGUMENT);
	assert_null(m);
	assert_string_equal(err.msg,
	    "au.v1.HeartbeatRequest.hostname: string contains a NUL byte");
}

static void
test_string_caps(void **state)
{
	Au__V1__ReportRequest r = AU__V1__REPORT_REQUEST__INIT;
	struct au_err         err = AU_ERR_INIT;
	char                  name[WIRE_NAME_MAX + 2];
	char                 *tail = malloc(WIRE_STRING_MAX + 2);
	uint8_t              *buf = malloc(2 * WIRE_STRING_MAX);
	size_t                n;

	(void)state;
	memset(name, 'h', sizeof(name));
	name[WIRE_NAME_MAX] = '\0';
	memset(tail, 't', WIRE_STRING_MAX + 1);
	tail[WIRE_STRING_MAX] = '\0';
	r.hostname = name;
	r.report_id = "r";
	r.agent = "a";
	r.outcome = AU__V1__OUTCOME__OUTCOME_OK;
	r.output_tail = tail;
	/* Exactly at both caps: fine. */
	n = au__v1__report_request__pack(&r, buf);
	assert_int_equal(
	    wire_check(&au__v1__report_request__descriptor, buf, n, NULL),
	    AU_OK);
	/* One over the name cap. */
	name[WIRE_NAME_MAX] = 'h';
	name[WIRE_NAME_MAX + 1] = '\0';
	n = au__v1__report_request__pack(&r, buf);
	assert_int_equal(
	    wire_check(&au__v1__report_request__descriptor, buf, n, &err),
	    AU_INVALID_ARGUMENT);
	assert_string_equal(
	    err.msg, "au.v1.ReportRequest.hostname: 65 bytes, more than 64");
	/* One over the string cap. */
	name[WIRE_NAME_MAX] = '\0';
	tail[WIRE_STRING_MAX] = 't';
	tail[WIRE_STRING_MAX + 1] = '\0';
	n = au__v1__report_request__pack(&r, buf);
	assert_int_equal(
	    wire_check(&au__v1__report_request__descriptor, buf, n, &err),
	    AU_INVALID_ARGUMENT);
	assert_string_equal(err.msg,
	    "au.v1.ReportRequest.output_tail: 4097 bytes, more than 4096");
	free(tail);
	free(buf);
}

static void
test_repeated_cap(void **state)
{
	Au__V1__HeartbeatRequest hb = AU__V1__HEARTBEAT_REQUEST__INIT;
	Au__V1__AgentStatus      a = AU__V1__AGENT_STATUS__INIT;
	Au__V1__AgentStatus    **many =
	    calloc(WIRE_REPEATED_MAX + 1, sizeof(*many));
	struct au_err err = AU_ERR_INIT;
	uint8_t      *buf;
	size_t        n;

	(void)state;
	a.name = "x";
	for (int i = 0; i <= WIRE_REPEATED_MAX; i++)
		many[i] = &a;
	hb.hostname = "h";
	hb.agents = many;
	hb.n_agents = WIRE_REPEATED_MAX;
	n = pack_heartbeat(&hb, &buf);
	assert_int_equal(
	    wire_check(&au__v1__heartbeat_request__descriptor, buf, n, NULL),
	    AU_OK);
	free(buf);
	hb.n_agents = WIRE_REPEATED_MAX + 1;
	n = pack_heartbeat(&hb, &buf);
	assert_int_equal(
	    wire_check(&au__v1__heartbeat_request__descriptor, buf, n, &err),
	    AU_INVALID_ARGUMENT);
	assert_string_equal(
	    err.msg, "au.v1.HeartbeatRequest.agents: more than 10000 entries");
	free(buf);
	free(many);
}

static void
test_malformed(void **state)
{
	static const struct {
		const char *what;
		uint8_t     b[12];
		size_t      n;
	} cases[] = {
	    {"truncated length", {0x0a, 0x05, 'a'}, 3},
	    {"truncated varint", {0x18, 0x80}, 2},
	    {"varint of 11 bytes",
	        {0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	            0xff, 0x01},
	        12},
	    {"field 0", {0x00, 0x01}, 2},
	    {"start group", {0x0b}, 1},
	    {"wire type 7", {0x0f}, 1},
	    {"truncated fixed64", {0x09, 1, 2, 3}, 4},
	    {"bad nested length", {0x1a, 0x02, 0x0a, 0x05}, 4},
	};
	ProtobufCMessage *m;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    wire_unpack(&au__v1__heartbeat_request__descriptor,
		        cases[i].b, cases[i].n, &m, NULL),
		    AU_INVALID_ARGUMENT);
		assert_null(m);
	}
}

static void
test_unknown_field_and_required(void **state)
{
	/* hostname "h", then unknown field 99 (varint 1): skipped. */
	const uint8_t ok[] = {0x0a, 0x01, 'h', 0x98, 0x06, 0x01};
	/* no hostname: protobuf-c refuses a missing required field */
	const uint8_t     missing[] = {0x12, 0x01, '1'};
	ProtobufCMessage *m;
	struct au_err     err = AU_ERR_INIT;

	(void)state;
	assert_int_equal(wire_unpack(&au__v1__heartbeat_request__descriptor, ok,
	                     sizeof(ok), &m, NULL),
	    AU_OK);
	protobuf_c_message_free_unpacked(m, NULL);
	assert_int_equal(wire_unpack(&au__v1__heartbeat_request__descriptor,
	                     missing, sizeof(missing), &m, &err),
	    AU_INVALID_ARGUMENT);
	assert_non_null(strstr(err.msg, "does not parse"));
}

static void
test_request_envelope(void **state)
{
	Au__V1__Request    rq = AU__V1__REQUEST__INIT, *out;
	Au__V1__SignedAuth sa = AU__V1__SIGNED_AUTH__INIT;
	uint8_t            buf[1024], k[64] = {0};
	char               method[WIRE_METHOD_MAX + 2];
	size_t             n;

	(void)state;
	rq.protocol = 1;
	rq.method = "au.v1.HostService/Ping";
	sa.pubkey = (ProtobufCBinaryData){32, k};
	sa.nonce = (ProtobufCBinaryData){16, k};
	sa.signature = (ProtobufCBinaryData){64, k};
	rq.signed_ = &sa;
	n = au__v1__request__pack(&rq, buf);
	assert_int_equal(wire_request_unpack(buf, n, &out, NULL), AU_OK);
	assert_string_equal(out->method, "au.v1.HostService/Ping");
	au__v1__request__free_unpacked(out, NULL);
	sa.pubkey.len = 31;
	n = au__v1__request__pack(&rq, buf);
	assert_int_equal(
	    wire_request_unpack(buf, n, &out, NULL), AU_INVALID_ARGUMENT);
	assert_null(out);
	sa.pubkey.len = 32;
	sa.nonce.len = 15;
	n = au__v1__request__pack(&rq, buf);
	assert_int_equal(
	    wire_request_unpack(buf, n, &out, NULL), AU_INVALID_ARGUMENT);
	sa.nonce.len = 16;
	memset(method, 'm', sizeof(method) - 1);
	method[sizeof(method) - 1] = '\0';
	rq.method = method;
	n = au__v1__request__pack(&rq, buf);
	assert_int_equal(
	    wire_request_unpack(buf, n, &out, NULL), AU_INVALID_ARGUMENT);
	rq.method = "m";
	rq.signed_ = NULL;
	rq.has_token = true;
	rq.token = (ProtobufCBinaryData){WIRE_TOKEN_MAX + 1, buf + 512};
	n = au__v1__request__pack(&rq, buf);
	assert_int_equal(
	    wire_request_unpack(buf, n, &out, NULL), AU_INVALID_ARGUMENT);
	/* Not an envelope at all. */
	assert_int_equal(
	    wire_request_unpack((const uint8_t *)"\xff\xff", 2, &out, NULL),
	    AU_INVALID_ARGUMENT);
	assert_int_equal(
	    wire_request_unpack(NULL, 0, &out, NULL), AU_INVALID_ARGUMENT);
}

static void
test_reply_envelope(void **state)
{
	Au__V1__Reply rep = AU__V1__REPLY__INIT, *out;
	uint8_t       buf[256];
	size_t        n;

	(void)state;
	rep.status = AU__V1__STATUS__NOT_FOUND;
	rep.message = "no such host";
	n = au__v1__reply__pack(&rep, buf);
	assert_int_equal(wire_reply_unpack(buf, n, &out, NULL), AU_OK);
	assert_int_equal(out->status, AU__V1__STATUS__NOT_FOUND);
	au__v1__reply__free_unpacked(out, NULL);
	buf[n - 1] = '\0'; /* "no such hos\0" */
	assert_int_equal(
	    wire_reply_unpack(buf, n, &out, NULL), AU_INVALID_ARGUMENT);
}

/* Split off the payload of rep's packing with extra bytes before and
 * after it; check the rest unpacked and the payload borrowed. */
static void
split_case(const uint8_t *pre, size_t npre, const uint8_t *post, size_t npost,
    const char *want)
{
	Au__V1__Reply  rep = AU__V1__REPLY__INIT, *out;
	uint8_t        buf[256];
	const uint8_t *pl;
	size_t         n, plen;

	rep.status = AU__V1__STATUS__OK;
	rep.has_token = true;
	rep.token = (ProtobufCBinaryData){2, (uint8_t *)"tk"};
	rep.has_request_id = true;
	rep.request_id = 77;
	if (npre > 0)
		memcpy(buf, pre, npre);
	n = npre + au__v1__reply__pack(&rep, buf + npre);
	if (npost > 0)
		memcpy(buf + n, post, npost);
	n += npost;
	assert_int_equal(
	    wire_reply_unpack_split(buf, n, &out, &pl, &plen, NULL), AU_OK);
	assert_false(out->has_payload);
	assert_null(out->payload.data);
	assert_int_equal(out->request_id, 77);
	assert_int_equal(out->token.len, 2);
	assert_memory_equal(out->token.data, "tk", 2);
	assert_int_equal(plen, strlen(want));
	assert_true(pl > buf && pl < buf + n); /* borrowed, not copied */
	assert_memory_equal(pl, want, plen);
	au__v1__reply__free_unpacked(out, NULL);
}

static void
test_reply_split(void **state)
{
	Au__V1__Reply  rep = AU__V1__REPLY__INIT, *out;
	uint8_t        buf[256];
	const uint8_t *pl;
	size_t         n, plen;

	(void)state;
	/* payload first (how the server sends chunks), last, repeated */
	split_case((const uint8_t *)"\x1a\x03xyz", 5, NULL, 0, "xyz");
	split_case(NULL, 0, (const uint8_t *)"\x1a\x02pq", 4, "pq");
	split_case((const uint8_t *)"\x1a\x01"
	                            "a",
	    3,
	    (const uint8_t *)"\x1a\x01"
	                     "b",
	    3, "b");
	/* payload in the middle (protobuf-c's field order) */
	rep.status = AU__V1__STATUS__OK;
	rep.message = "m";
	rep.has_payload = true;
	rep.payload = (ProtobufCBinaryData){4, (uint8_t *)"body"};
	rep.has_token = true;
	rep.token = (ProtobufCBinaryData){2, (uint8_t *)"tk"};
	n = au__v1__reply__pack(&rep, buf);
	assert_int_equal(
	    wire_reply_unpack_split(buf, n, &out, &pl, &plen, NULL), AU_OK);
	assert_false(out->has_payload);
	assert_string_equal(out->message, "m");
	assert_int_equal(out->token.len, 2);
	assert_int_equal(plen, 4);
	assert_memory_equal(pl, "body", 4);
	assert_true(pl > buf && pl < buf + n);
	au__v1__reply__free_unpacked(out, NULL);
	/* no payload */
	rep.has_payload = false;
	n = au__v1__reply__pack(&rep, buf);
	assert_int_equal(
	    wire_reply_unpack_split(buf, n, &out, &pl, &plen, NULL), AU_OK);
	assert_null(pl);
	assert_int_equal(plen, 0);
	assert_string_equal(out->message, "m");
	au__v1__reply__free_unpacked(out, NULL);
	/* limits still apply; a missing status does not parse */
	buf[4] = '\0'; /* message "m" -> "\0" */
	assert_int_equal(buf[2], 0x12);
	assert_int_equal(
	    wire_reply_unpack_split(buf, n, &out, &pl, &plen, NULL),
	    AU_INVALID_ARGUMENT);
	assert_null(out);
	assert_int_equal(wire_reply_unpack_split((const uint8_t *)"\x1a\x01z",
	                     3, &out, &pl, &plen, NULL),
	    AU_INVALID_ARGUMENT);
}

static void
test_name_valid(void **state)
{
	char longname[WIRE_NAME_MAX + 2];

	(void)state;
	assert_true(wire_name_valid("nodex"));
	assert_true(wire_name_valid("web-12.example.com"));
	assert_true(wire_name_valid("1.4.2-rc1+build~2_x"));
	assert_false(wire_name_valid(""));
	assert_false(wire_name_valid(NULL));
	assert_false(wire_name_valid("-rf"));
	assert_false(wire_name_valid(".hidden"));
	assert_false(wire_name_valid("a/b"));
	assert_false(wire_name_valid("a b"));
	assert_false(wire_name_valid("a\nb"));
	assert_false(wire_name_valid("caf\xc3\xa9"));
	memset(longname, 'a', sizeof(longname));
	longname[WIRE_NAME_MAX] = '\0';
	assert_true(wire_name_valid(longname));
	longname[WIRE_NAME_MAX] = 'a';
	longname[WIRE_NAME_MAX + 1] = '\0';
	assert_false(wire_name_valid(longname));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_message),
	    cmocka_unit_test(test_embedded_nul),
	    cmocka_unit_test(test_string_caps),
	    cmocka_unit_test(test_repeated_cap),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_unknown_field_and_required),
	    cmocka_unit_test(test_request_envelope),
	    cmocka_unit_test(test_reply_envelope),
	    cmocka_unit_test(test_reply_split),
	    cmocka_unit_test(test_name_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
