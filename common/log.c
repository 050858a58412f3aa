/* SPDX-License-Identifier: MIT */
/*
 * log: stderr or syslog output for the daemons and tools.
 */
#include "log.h"

#include <sys/time.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static int         log_foreground = 1;
static int         log_verbose;
static const char *log_name = "agent-updater";

static void emit(int pri, const char *line);
static void vlog(int pri, int saved_errno, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

void
log_init(const char *name, int foreground, int verbose)
{
	log_name = name;
	log_foreground = foreground;
	log_verbose = verbose;
	if (!foreground)
		openlog(name, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

int
log_setverbose(int verbose)
{
	int old = log_verbose;

	log_verbose = verbose;
	return old;
}

int
log_getverbose(void)
{
	return log_verbose;
}

static void
emit(int pri, const char *line)
{
	char           stamp[32];
	struct timeval tv;
	struct tm      tm;

	if (!log_foreground) {
		syslog(pri, "%s", line);
		return;
	}
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s: %s\n", stamp, (long)(tv.tv_usec / 1000),
	    log_name, line);
}

/* saved_errno < 0 means: do not append strerror. */
static void
vlog(int pri, int saved_errno, const char *fmt, va_list ap)
{
	char   line[2048];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	if (saved_errno >= 0) {
		n = strlen(line);
		snprintf(
		    line + n, sizeof(line) - n, ": %s", strerror(saved_errno));
	}
	emit(pri, line);
}

void
log_warn(const char *fmt, ...)
{
	int     saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, -1, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, -1, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose <= 0)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, -1, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int     saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, -1, fmt, ap);
	va_end(ap);
	exit(1);
}
