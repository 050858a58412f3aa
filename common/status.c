/* SPDX-License-Identifier: MIT */
/*
 * status: one table of texts and names for enum au_status.
 */
#include "status.h"

static const struct {
	const char *name;
	const char *text;
} status_table[] = {
    [AU_OK] = {"OK", "success"},
    [AU_CANCELLED] = {"CANCELLED", "cancelled"},
    [AU_UNKNOWN] = {"UNKNOWN", "unknown error"},
    [AU_INVALID_ARGUMENT] = {"INVALID_ARGUMENT", "invalid argument"},
    [AU_DEADLINE_EXCEEDED] = {"DEADLINE_EXCEEDED", "deadline exceeded"},
    [AU_NOT_FOUND] = {"NOT_FOUND", "not found"},
    [AU_ALREADY_EXISTS] = {"ALREADY_EXISTS", "already exists"},
    [AU_PERMISSION_DENIED] = {"PERMISSION_DENIED", "permission denied"},
    [AU_RESOURCE_EXHAUSTED] = {"RESOURCE_EXHAUSTED", "resource exhausted"},
    [AU_FAILED_PRECONDITION] = {"FAILED_PRECONDITION", "failed precondition"},
    [AU_ABORTED] = {"ABORTED", "aborted"},
    [AU_OUT_OF_RANGE] = {"OUT_OF_RANGE", "out of range"},
    [AU_UNIMPLEMENTED] = {"UNIMPLEMENTED", "not implemented"},
    [AU_INTERNAL] = {"INTERNAL", "internal error"},
    [AU_UNAVAILABLE] = {"UNAVAILABLE", "unavailable"},
    [AU_DATA_LOSS] = {"DATA_LOSS", "data loss"},
    [AU_UNAUTHENTICATED] = {"UNAUTHENTICATED", "unauthenticated"},
};

const char *
au_strerror(enum au_status status)
{
	if ((unsigned)status > AU_STATUS_MAX)
		return "unknown status";
	return status_table[status].text;
}

const char *
au_status_name(enum au_status status)
{
	if ((unsigned)status > AU_STATUS_MAX)
		return "UNKNOWN";
	return status_table[status].name;
}

enum au_status
au_status_from_wire(int value)
{
	if (value < 0 || value > AU_STATUS_MAX)
		return AU_UNKNOWN;
	return (enum au_status)value;
}
