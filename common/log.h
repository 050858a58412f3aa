/* SPDX-License-Identifier: MIT */
/*
 * log: the OpenBSD daemon logging API.  In the foreground lines go to
 * stderr with a timestamp; otherwise to syslog.  Each line names its
 * subject first ("host web-12: agent nodex 1.4.2: ...") and alertable
 * events carry a stable id such as AU-INSTALL-FAIL.  The state kept here
 * (foreground, verbosity, program name) is the one accepted global.
 * All functions are thread-safe as far as stdio and syslog are.
 */
#ifndef AU_LOG_H
#define AU_LOG_H

#include <stdarg.h>

/* Start logging as `name`; foreground logs to stderr; verbose > 0 enables
 * log_debug. */
void log_init(const char *name, int foreground, int verbose);

/* Change verbosity at run time; returns the previous value. */
int log_setverbose(int verbose);
int log_getverbose(void);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log and exit(1); only at startup or for a broken invariant. */
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
