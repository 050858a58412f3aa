/* SPDX-License-Identifier: MIT */
/*
 * status: the one status vocabulary of agent-updater.  The names and numbers
 * are gRPC's, mirrored one to one by the wire's au.v1.Status enum, so an
 * operator can read any error and the wire mapping is a checked cast.
 */
#ifndef AU_STATUS_H
#define AU_STATUS_H

enum au_status {
	AU_OK = 0,
	AU_CANCELLED = 1,
	AU_UNKNOWN = 2,
	AU_INVALID_ARGUMENT = 3,
	AU_DEADLINE_EXCEEDED = 4,
	AU_NOT_FOUND = 5,
	AU_ALREADY_EXISTS = 6,
	AU_PERMISSION_DENIED = 7,
	AU_RESOURCE_EXHAUSTED = 8,
	AU_FAILED_PRECONDITION = 9,
	AU_ABORTED = 10,
	AU_OUT_OF_RANGE = 11,
	AU_UNIMPLEMENTED = 12,
	AU_INTERNAL = 13,
	AU_UNAVAILABLE = 14,
	AU_DATA_LOSS = 15,
	AU_UNAUTHENTICATED = 16,
};

#define AU_STATUS_MAX AU_UNAUTHENTICATED

/* Human-readable text for a status ("permission denied"); never NULL.  An
 * out-of-range value gives "unknown status". */
const char *au_strerror(enum au_status status);

/* The gRPC name of a status ("PERMISSION_DENIED"); never NULL. */
const char *au_status_name(enum au_status status);

/* Map a wire value to a status: values outside 0..AU_STATUS_MAX become
 * AU_UNKNOWN. */
enum au_status au_status_from_wire(int value);

#endif
