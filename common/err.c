/* SPDX-License-Identifier: MIT */
/*
 * err: formatting of error contexts into a fixed buffer.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum au_status
au_err_set(struct au_err *err, enum au_status code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

enum au_status
au_err_prefix(struct au_err *err, const char *fmt, ...)
{
	char    prefix[AU_ERR_MSG_BYTES], old[AU_ERR_MSG_BYTES];
	va_list ap;

	/* Callers write `return au_err_prefix(err, ...)` on failure paths:
	 * without an err to read the code from, still report a failure. */
	if (err == NULL)
		return AU_UNKNOWN;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	if (old[0] == '\0')
		snprintf(old, sizeof(old), "%s", au_strerror(err->code));
	/* A message too long for the buffer is cut; the head matters most. */
	if (snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old) >=
	    (int)sizeof(err->msg))
		err->msg[sizeof(err->msg) - 1] = '\0';
	return err->code;
}

void
au_err_clear(struct au_err *err)
{
	if (err == NULL)
		return;
	err->code = AU_OK;
	err->msg[0] = '\0';
}

const char *
au_err_str(const struct au_err *err)
{
	if (err == NULL)
		return "no error";
	if (err->msg[0] == '\0')
		return au_strerror(err->code);
	return err->msg;
}
