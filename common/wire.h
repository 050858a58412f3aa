/* SPDX-License-Identifier: MIT */
/*
 * wire: limits on what comes off the network, around the generated
 * protobuf-c code.  protobuf-c checks that bytes parse and that required
 * fields are present; it does not bound repeated fields or strings, and it
 * accepts strings with embedded NUL bytes (it NUL-terminates after the
 * wire length, so strlen() would silently cut them).  wire_check() walks
 * the PACKED bytes with the message descriptor before anything is
 * unpacked, because only there is a string's wire length known:
 *
 *   - every string at most WIRE_STRING_MAX bytes, name-like fields (name,
 *     agent, hostname, hosts, version, *_version, report_id, key_id,
 *     prefix, after, caller_name) at most WIRE_NAME_MAX, none with a NUL;
 *   - every repeated field at most WIRE_REPEATED_MAX entries;
 *   - sub-messages nested at most WIRE_DEPTH_MAX deep;
 *   - no groups, no malformed varints or lengths.
 *
 * Unknown fields are skipped (a newer peer may send them).  Nothing here
 * allocates except wire_unpack (through protobuf-c) or blocks.
 */
#ifndef AU_WIRE_H
#define AU_WIRE_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "au.pb-c.h"
#include "err.h"

#define WIRE_STRING_MAX 4096
#define WIRE_NAME_MAX 64
#define WIRE_METHOD_MAX 128
#define WIRE_TOKEN_MAX 256
#define WIRE_REPEATED_MAX 10000
#define WIRE_DEPTH_MAX 8

/* Check packed bytes of a desc message against the limits above.  AU_OK or
 * AU_INVALID_ARGUMENT with err naming the field ("au.v1.AgentStatus.name:
 * 70 bytes, more than 64"). */
enum au_status wire_check(const ProtobufCMessageDescriptor *desc,
    const uint8_t *data, size_t len, struct au_err *err)
    __attribute__((warn_unused_result));

/* wire_check, then unpack.  On AU_OK *out is a new message the caller frees
 * with protobuf_c_message_free_unpacked(*out, NULL).  AU_INVALID_ARGUMENT
 * when the bytes break a limit or do not parse (missing required field);
 * AU_RESOURCE_EXHAUSTED is not distinguished from a parse failure by
 * protobuf-c, so both are AU_INVALID_ARGUMENT. */
enum au_status wire_unpack(const ProtobufCMessageDescriptor *desc,
    const uint8_t *data, size_t len, ProtobufCMessage **out, struct au_err *err)
    __attribute__((warn_unused_result));

/* Unpack a Request envelope and check its fields: method at most
 * WIRE_METHOD_MAX, SignedAuth sizes (32-byte key, 16-byte nonce, 64-byte
 * signature), token at most WIRE_TOKEN_MAX.  Free with
 * au__v1__request__free_unpacked(*out, NULL). */
enum au_status wire_request_unpack(
    const uint8_t *data, size_t len, Au__V1__Request **out, struct au_err *err)
    __attribute__((warn_unused_result));

/* Unpack a Reply envelope (limits as wire_check).  Free with
 * au__v1__reply__free_unpacked(*out, NULL). */
enum au_status wire_reply_unpack(
    const uint8_t *data, size_t len, Au__V1__Reply **out, struct au_err *err)
    __attribute__((warn_unused_result));

/* wire_reply_unpack without copying the payload: the Reply is unpacked
 * from the envelope's other fields, with has_payload false, and
 * *payload / *plen point at the payload's bytes inside data (borrowed:
 * valid while data is; NULL and 0 when there is none).  Same limits and
 * statuses as wire_reply_unpack; allocates only the envelope's other
 * fields (and a copy of them when the payload is not at either end). */
enum au_status wire_reply_unpack_split(const uint8_t *data, size_t len,
    Au__V1__Reply **out, const uint8_t **payload, size_t *plen,
    struct au_err *err) __attribute__((warn_unused_result));

/* A name or version in the strict character set: 1..WIRE_NAME_MAX bytes of
 * [A-Za-z0-9._+~-], starting with a letter or digit. */
bool wire_name_valid(const char *s);

#endif
