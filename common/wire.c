/* SPDX-License-Identifier: MIT */
/*
 * wire: a bounded walk over packed protobuf bytes, guided by the message
 * descriptors, that enforces our limits before protobuf-c allocates.
 */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

#include "sig.h"

/* Repeated-field counters per message; fields past this index (none in
 * au.v1) are bounded by the message size alone. */
#define WIRE_COUNTED_FIELDS 32

struct walk {
	const uint8_t *p;
	const uint8_t *end;
};

static const char *const name_fields[] = {"name", "agent", "hostname", "hosts",
    "version", "report_id", "key_id", "prefix", "after", "caller_name", NULL};

static int            read_varint(struct walk *w, uint64_t *v);
static size_t         string_cap(const ProtobufCFieldDescriptor *f);
static enum au_status check_ld(const ProtobufCMessageDescriptor *desc,
    const ProtobufCFieldDescriptor *f, const uint8_t *p, size_t len, int depth,
    uint32_t *count, struct au_err *err);
static enum au_status walk_message(const ProtobufCMessageDescriptor *desc,
    const uint8_t *data, size_t len, int depth, struct au_err *err);

static int
read_varint(struct walk *w, uint64_t *v)
{
	uint64_t r = 0;

	for (int shift = 0; shift < 70; shift += 7) {
		if (w->p >= w->end)
			return -1;
		uint8_t b = *w->p++;
		if (shift == 63 && (b & 0x7e) != 0)
			return -1;
		r |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

static size_t
string_cap(const ProtobufCFieldDescriptor *f)
{
	size_t n = strlen(f->name);

	for (int i = 0; name_fields[i] != NULL; i++)
		if (strcmp(f->name, name_fields[i]) == 0)
			return WIRE_NAME_MAX;
	if (n >= 8 && strcmp(f->name + n - 8, "_version") == 0)
		return WIRE_NAME_MAX;
	return WIRE_STRING_MAX;
}

/* Elements in a packed repeated scalar field of len bytes. */
static uint32_t
packed_count(const ProtobufCFieldDescriptor *f, const uint8_t *p, size_t len)
{
	uint32_t n = 0;

	switch (f->type) {
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return (uint32_t)(len / 4);
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return (uint32_t)(len / 8);
	default:
		for (size_t i = 0; i < len && n <= WIRE_REPEATED_MAX; i++)
			if ((p[i] & 0x80) == 0)
				n++;
		return n;
	}
}

/* One length-delimited field: a string, a sub-message, bytes or a packed
 * array. */
static enum au_status
check_ld(const ProtobufCMessageDescriptor *desc,
    const ProtobufCFieldDescriptor *f, const uint8_t *p, size_t len, int depth,
    uint32_t *count, struct au_err *err)
{
	size_t cap;

	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		cap = string_cap(f);
		if (len > cap)
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "%s.%s: %zu bytes, more than %zu", desc->name,
			    f->name, len, cap);
		if (memchr(p, 0, len) != NULL)
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "%s.%s: string contains a NUL byte", desc->name,
			    f->name);
		*count += 1;
		return AU_OK;
	case PROTOBUF_C_TYPE_MESSAGE:
		*count += 1;
		return walk_message(f->descriptor, p, len, depth + 1, err);
	case PROTOBUF_C_TYPE_BYTES:
		*count += 1;
		return AU_OK;
	default:
		*count += packed_count(f, p, len);
		return AU_OK;
	}
}

static enum au_status
skip_value(struct walk *w, unsigned wt, const uint8_t **vp, uint64_t *vlen)
{
	uint64_t v;

	switch (wt) {
	case 0:
		return read_varint(w, &v) == 0 ? AU_OK : AU_INVALID_ARGUMENT;
	case 1:
	case 5:
		v = wt == 1 ? 8 : 4;
		break;
	case 2:
		if (read_varint(w, &v) != 0)
			return AU_INVALID_ARGUMENT;
		break;
	default:
		return AU_INVALID_ARGUMENT; /* groups and reserved types */
	}
	if (v > (uint64_t)(w->end - w->p))
		return AU_INVALID_ARGUMENT;
	*vp = w->p;
	*vlen = v;
	w->p += v;
	return AU_OK;
}

static enum au_status
walk_message(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
    size_t len, int depth, struct au_err *err)
{
	struct walk    w = {data, data + len};
	uint32_t       counts[WIRE_COUNTED_FIELDS] = {0};
	uint32_t       spare = 0;
	enum au_status st;

	if (depth > WIRE_DEPTH_MAX)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "%s: nested more than %d deep", desc->name, WIRE_DEPTH_MAX);
	while (w.p < w.end) {
		const ProtobufCFieldDescriptor *f;
		const uint8_t                  *vp = NULL;
		uint64_t                        tag, vlen = 0;
		uint32_t                       *count;
		unsigned                        wt;

		if (read_varint(&w, &tag) != 0 || (tag >> 3) == 0 ||
		    (tag >> 3) > 0x1fffffff)
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "%s: malformed field tag", desc->name);
		wt = (unsigned)(tag & 7);
		if (skip_value(&w, wt, &vp, &vlen) != AU_OK)
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "%s: malformed field %u", desc->name,
			    (unsigned)(tag >> 3));
		f = protobuf_c_message_descriptor_get_field(
		    desc, (unsigned)(tag >> 3));
		if (f == NULL)
			continue; /* unknown field: protobuf-c keeps it */
		count = (size_t)(f - desc->fields) < WIRE_COUNTED_FIELDS
		            ? &counts[f - desc->fields]
		            : &spare;
		if (wt == 2) {
			if ((st = check_ld(desc, f, vp, (size_t)vlen, depth,
			         count, err)) != AU_OK)
				return st;
		} else
			*count += 1;
		if (f->label == PROTOBUF_C_LABEL_REPEATED &&
		    *count > WIRE_REPEATED_MAX)
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "%s.%s: more than %d entries", desc->name, f->name,
			    WIRE_REPEATED_MAX);
	}
	return AU_OK;
}

enum au_status
wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
    size_t len, struct au_err *err)
{
	if (len > 0 && data == NULL)
		return au_err_set(err, AU_INVALID_ARGUMENT, "no data");
	return walk_message(desc, data, len, 0, err);
}

enum au_status
wire_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
    size_t len, ProtobufCMessage **out, struct au_err *err)
{
	enum au_status st;

	*out = NULL;
	if ((st = wire_check(desc, data, len, err)) != AU_OK)
		return st;
	*out = protobuf_c_message_unpack(desc, NULL, len, data);
	if (*out == NULL)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "%s: does not parse (or a required field is missing)",
		    desc->name);
	return AU_OK;
}

static enum au_status
check_request(const Au__V1__Request *rq, struct au_err *err)
{
	const Au__V1__SignedAuth *s = rq->signed_;

	if (strlen(rq->method) > WIRE_METHOD_MAX)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "method longer than %d bytes", WIRE_METHOD_MAX);
	if (rq->has_token && rq->token.len > WIRE_TOKEN_MAX)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "token longer than %d bytes", WIRE_TOKEN_MAX);
	if (s != NULL &&
	    (s->pubkey.len != SIG_PUBKEY_BYTES || s->nonce.len != 16 ||
	        s->signature.len != SIG_BYTES))
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "signed request: wrong key, nonce or signature size");
	return AU_OK;
}

enum au_status
wire_request_unpack(
    const uint8_t *data, size_t len, Au__V1__Request **out, struct au_err *err)
{
	ProtobufCMessage *m;
	enum au_status    st;

	st = wire_unpack(&au__v1__request__descriptor, data, len, &m, err);
	if (st == AU_OK &&
	    (st = check_request((Au__V1__Request *)m, err)) != AU_OK) {
		protobuf_c_message_free_unpacked(m, NULL);
		m = NULL;
	}
	*out = (Au__V1__Request *)m;
	return st;
}

enum au_status
wire_reply_unpack(
    const uint8_t *data, size_t len, Au__V1__Reply **out, struct au_err *err)
{
	ProtobufCMessage *m;
	enum au_status    st;

	st = wire_unpack(&au__v1__reply__descriptor, data, len, &m, err);
	*out = (Au__V1__Reply *)m;
	return st;
}

/* Where the (last) payload field of a checked Reply lies: its value at
 * *vp and *vlen, the whole field (tag, length, value) at *fp, *flen. */
static void
find_payload(const uint8_t *data, size_t len, uint32_t id, const uint8_t **vp,
    uint64_t *vlen, const uint8_t **fp, size_t *flen)
{
	struct walk w = {data, data + len};

	while (w.p < w.end) {
		const uint8_t *start = w.p, *v = NULL;
		uint64_t       tag, n = 0;

		if (read_varint(&w, &tag) != 0 ||
		    skip_value(&w, (unsigned)(tag & 7), &v, &n) != AU_OK)
			return; /* cannot happen after wire_check */
		if ((tag >> 3) == id && (tag & 7) == 2) {
			*vp = v;
			*vlen = n;
			*fp = start;
			*flen = (size_t)(w.p - start);
		}
	}
}

/* The fields of data other than the one at fp..fp+flen: a pointer into
 * data when that field is at either end, else a copy in *copy. */
static const uint8_t *
without_field(const uint8_t *data, size_t len, const uint8_t *fp, size_t flen,
    uint8_t **copy)
{
	size_t before = (size_t)(fp - data);

	*copy = NULL;
	if (before == 0)
		return data + flen;
	if (before + flen == len)
		return data;
	if ((*copy = malloc(len - flen)) == NULL)
		return NULL;
	memcpy(*copy, data, before);
	memcpy(*copy + before, fp + flen, len - before - flen);
	return *copy;
}

enum au_status
wire_reply_unpack_split(const uint8_t *data, size_t len, Au__V1__Reply **out,
    const uint8_t **payload, size_t *plen, struct au_err *err)
{
	const ProtobufCFieldDescriptor *pf;
	const uint8_t                  *vp = NULL, *fp = NULL, *rest;
	uint64_t                        vlen = 0;
	size_t                          flen = 0;
	uint8_t                        *copy = NULL;
	enum au_status                  st;

	*out = NULL;
	*payload = NULL;
	*plen = 0;
	pf = protobuf_c_message_descriptor_get_field_by_name(
	    &au__v1__reply__descriptor, "payload");
	if ((st = wire_check(&au__v1__reply__descriptor, data, len, err)) !=
	    AU_OK)
		return st;
	find_payload(data, len, pf->id, &vp, &vlen, &fp, &flen);
	if (fp == NULL)
		rest = data;
	else if ((rest = without_field(data, len, fp, flen, &copy)) == NULL)
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	*out = au__v1__reply__unpack(NULL, len - flen, rest);
	free(copy);
	if (*out == NULL)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "%s: does not parse (or a required field is missing)",
		    au__v1__reply__descriptor.name);
	if ((*out)->has_payload) {
		/* a peer repeated the field: the last one wins */
		free((*out)->payload.data);
		(*out)->payload = (ProtobufCBinaryData){0, NULL};
		(*out)->has_payload = false;
	}
	*payload = vp;
	*plen = (size_t)vlen;
	return AU_OK;
}

bool
wire_name_valid(const char *s)
{
	size_t n = 0;

	if (s == NULL ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	        (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (; s[n] != '\0'; n++) {
		char c = s[n];

		if (n >= WIRE_NAME_MAX)
			return false;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("._+~-", c) != NULL)
			continue;
		return false;
	}
	return true;
}
