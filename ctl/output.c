/* SPDX-License-Identifier: MIT */
/*
 * output: tables, times, durations and JSON for metactl (see output.h).
 */
#include "output.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct out_table {
	size_t  ncols;
	int     indent;
	size_t  nrows;
	size_t  cap;
	char  **headers; /* ncols */
	char ***rows;    /* nrows x ncols */
};

static char  *cell_dup(const char *s);
static size_t cell_width(const char *s);

void *
out_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL) {
		fputs("metactl: out of memory\n", stderr);
		abort();
	}
	return p;
}

char *
out_xstrdup(const char *s)
{
	size_t len = strlen(s);
	char  *p = out_xcalloc(1, len + 1);

	memcpy(p, s, len);
	return p;
}

void
out_ago(char *buf, size_t len, uint64_t now_ms, uint64_t then_ms)
{
	uint64_t s;

	if (then_ms == 0) {
		snprintf(buf, len, "never");
		return;
	}
	s = now_ms > then_ms ? (now_ms - then_ms) / 1000 : 0;
	if (s < 60)
		snprintf(buf, len, "%llus ago", (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%llum ago", (unsigned long long)(s / 60));
	else if (s < 86400)
		snprintf(buf, len, "%lluh ago", (unsigned long long)(s / 3600));
	else
		snprintf(
		    buf, len, "%llud ago", (unsigned long long)(s / 86400));
}

void
out_time(char *buf, size_t len, uint64_t ms)
{
	time_t    t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms == 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "never");
		return;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
out_duration(char *buf, size_t len, uint64_t ms)
{
	static const struct {
		uint64_t    ms;
		const char *unit;
		uint64_t    sub_ms;
		const char *sub_unit;
	} units[] = {
	    {86400000, "d", 3600000, "h"},
	    {3600000, "h", 60000, "m"},
	    {60000, "m", 1000, "s"},
	};
	unsigned long long n, sub;

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms < units[i].ms)
			continue;
		n = ms / units[i].ms;
		sub = ms % units[i].ms / units[i].sub_ms;
		if (sub == 0)
			snprintf(buf, len, "%llu%s", n, units[i].unit);
		else
			snprintf(buf, len, "%llu%s%llu%s", n, units[i].unit,
			    sub, units[i].sub_unit);
		return;
	}
	if (ms < 1000)
		snprintf(buf, len, "%llums", (unsigned long long)ms);
	else if (ms % 1000 < 100)
		snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, len, "%llu.%llus",
		    (unsigned long long)(ms / 1000),
		    (unsigned long long)(ms % 1000 / 100));
}

enum au_status
out_parse_duration(const char *text, uint64_t *ms, struct au_err *err)
{
	unsigned long long n;
	uint64_t           unit = 1000;
	char              *end;

	if (text[0] < '0' || text[0] > '9')
		goto bad;
	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno != 0 || n == 0)
		goto bad;
	if (strcmp(end, "m") == 0)
		unit = 60 * 1000;
	else if (strcmp(end, "h") == 0)
		unit = 3600 * 1000;
	else if (strcmp(end, "d") == 0)
		unit = 86400 * 1000;
	else if (*end != '\0' && strcmp(end, "s") != 0)
		goto bad;
	if (n > UINT64_MAX / unit)
		goto bad;
	*ms = n * unit;
	return AU_OK;
bad:
	return au_err_set(err, AU_INVALID_ARGUMENT,
	    "bad duration '%s' (want N with s, m, h or d, e.g. 30m)", text);
}

enum au_status
out_parse_uint(const char *text, unsigned long min, unsigned long max,
    unsigned long *out, struct au_err *err)
{
	unsigned long n;
	char         *end;

	if (text[0] < '0' || text[0] > '9')
		goto bad;
	errno = 0;
	n = strtoul(text, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		goto bad;
	*out = n;
	return AU_OK;
bad:
	return au_err_set(err, AU_INVALID_ARGUMENT,
	    "bad number '%s' (want %lu to %lu)", text, min, max);
}

/* A copy with line breaks and tabs turned into spaces; "-" for nothing. */
static char *
cell_dup(const char *s)
{
	char *p;

	if (s == NULL || *s == '\0')
		s = "-";
	p = out_xstrdup(s);
	for (char *q = p; *q != '\0'; q++)
		if (*q == '\n' || *q == '\r' || *q == '\t')
			*q = ' ';
	return p;
}

/* Display width: UTF-8 continuation bytes do not count. */
static size_t
cell_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

struct out_table *
out_table_new(size_t ncols, const char *const *headers)
{
	struct out_table *t = out_xcalloc(1, sizeof(*t));

	t->ncols = ncols;
	t->headers = out_xcalloc(ncols, sizeof(char *));
	for (size_t i = 0; i < ncols; i++)
		t->headers[i] = cell_dup(headers[i]);
	return t;
}

void
out_table_add(struct out_table *t, const char *const *cells)
{
	char **row = out_xcalloc(t->ncols, sizeof(char *));

	if (t->nrows == t->cap) {
		size_t  cap = t->cap ? t->cap * 2 : 16;
		char ***rows = realloc(t->rows, cap * sizeof(*rows));

		if (rows == NULL) {
			fputs("metactl: out of memory\n", stderr);
			abort();
		}
		t->rows = rows;
		t->cap = cap;
	}
	for (size_t i = 0; i < t->ncols; i++)
		row[i] = cell_dup(cells[i]);
	t->rows[t->nrows++] = row;
}

void
out_table_addv(struct out_table *t, ...)
{
	const char **cells = out_xcalloc(t->ncols, sizeof(char *));
	va_list      ap;

	va_start(ap, t);
	for (size_t i = 0; i < t->ncols; i++)
		cells[i] = va_arg(ap, const char *);
	va_end(ap);
	out_table_add(t, cells);
	free(cells);
}

size_t
out_table_rows(const struct out_table *t)
{
	return t->nrows;
}

void
out_table_indent(struct out_table *t, int n)
{
	t->indent = n;
}

static void
print_row(
    FILE *f, int indent, char *const *cells, const size_t *w, size_t ncols)
{
	fprintf(f, "%*s", indent, "");
	for (size_t i = 0; i < ncols; i++) {
		fputs(cells[i], f);
		if (i + 1 < ncols)
			fprintf(f, "%*s",
			    (int)(w[i] - cell_width(cells[i]) + 2), "");
	}
	fputc('\n', f);
}

int
out_table_print(const struct out_table *t, FILE *f)
{
	size_t *w = out_xcalloc(t->ncols, sizeof(size_t));

	for (size_t i = 0; i < t->ncols; i++) {
		w[i] = cell_width(t->headers[i]);
		for (size_t r = 0; r < t->nrows; r++) {
			size_t cw = cell_width(t->rows[r][i]);

			if (cw > w[i])
				w[i] = cw;
		}
	}
	print_row(f, t->indent, t->headers, w, t->ncols);
	for (size_t r = 0; r < t->nrows; r++)
		print_row(f, t->indent, t->rows[r], w, t->ncols);
	free(w);
	return ferror(f) ? -1 : 0;
}

void
out_table_free(struct out_table *t)
{
	if (t == NULL)
		return;
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t i = 0; i < t->ncols; i++)
			free(t->rows[r][i]);
		free(t->rows[r]);
	}
	for (size_t i = 0; i < t->ncols; i++)
		free(t->headers[i]);
	free(t->headers);
	free(t->rows);
	free(t);
}

int
out_json_print(FILE *f, const json_t *j)
{
	if (json_dumpf(j, f, JSON_INDENT(2) | JSON_SORT_KEYS) != 0)
		return -1;
	fputc('\n', f);
	return ferror(f) ? -1 : 0;
}

json_t *
out_json_str(const char *s)
{
	json_t *j = s != NULL ? json_string(s) : json_null();

	if (j == NULL && s != NULL) { /* not UTF-8: keep the ASCII */
		char *a = out_xstrdup(s);

		for (char *q = a; *q != '\0'; q++)
			if ((unsigned char)*q >= 0x80)
				*q = '?';
		j = json_string(a);
		free(a);
	}
	if (j == NULL) {
		fputs("metactl: out of memory\n", stderr);
		abort();
	}
	return j;
}
