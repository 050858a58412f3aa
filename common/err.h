/* SPDX-License-Identifier: MIT */
/*
 * err: error context that travels with a status.  A failing module fills a
 * caller-provided struct au_err with a status and a message; each caller
 * may prefix its own step ("install nodex 1.4.2: ").  No heap is used, and
 * every function accepts a NULL err, so callers that do not care pass NULL.
 */
#ifndef AU_ERR_H
#define AU_ERR_H

#include "status.h"

#define AU_ERR_MSG_BYTES 256

struct au_err {
	enum au_status code;
	char           msg[AU_ERR_MSG_BYTES];
};

#define AU_ERR_INIT       \
	{                 \
		AU_OK, "" \
	}

/* Set err (if not NULL) to code and a formatted message; returns code so
 * callers can write `return au_err_set(err, AU_NOT_FOUND, ...)`. */
enum au_status au_err_set(struct au_err *err, enum au_status code,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefix err's message with a formatted context and ": ".  The result is
 * truncated to fit.  Returns err->code; for a NULL err, AU_UNKNOWN, so
 * that `return au_err_prefix(err, ...)` never turns a failure into AU_OK.
 * Prefer returning the status you hold when err may be NULL. */
enum au_status au_err_prefix(struct au_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reset err to AU_OK and an empty message. */
void au_err_clear(struct au_err *err);

/* The message, or the status text when the message is empty; never NULL. */
const char *au_err_str(const struct au_err *err);

#endif
