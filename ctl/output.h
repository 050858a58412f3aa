/* SPDX-License-Identifier: MIT */
/*
 * output: how metactl prints for operators: aligned text tables, relative
 * times ("2m ago"), absolute UTC times, durations given on the command line
 * ("30m", "7d"), and JSON through jansson with one stable layout
 * (two-space indent, sorted keys, a final newline).  Nothing here talks to
 * the network; everything is pure or writes to the FILE it is given.
 * Allocation failure aborts (acceptable in metactl only, STYLE.md 29).
 */
#ifndef AU_CTL_OUTPUT_H
#define AU_CTL_OUTPUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

/* Large enough for any out_ago() or out_time() text. */
#define OUT_TIME_BYTES 32

/* "5s ago", "2m ago", "3h ago", "4d ago" (whole units, rounded down), or
 * "never" when then_ms is 0.  A time after now (clock skew) is "0s ago". */
void out_ago(char *buf, size_t len, uint64_t now_ms, uint64_t then_ms);

/* "2026-11-25T22:10:38Z" (UTC), or "never" when ms is 0. */
void out_time(char *buf, size_t len, uint64_t ms);

/* A duration for people: "350ms", "2.1s" (tenths, rounded down), "45s",
 * "1m20s", "10m", "2h5m", "3d4h": the two largest units, the second left
 * out when it is zero. */
void out_duration(char *buf, size_t len, uint64_t ms);

/* Parse a duration: a positive integer with a unit s, m, h or d ("90s",
 * "30m", "12h", "7d"); a bare integer is seconds.  AU_OK and *ms, or
 * AU_INVALID_ARGUMENT with err set. */
enum au_status out_parse_duration(
    const char *text, uint64_t *ms, struct au_err *err);

/* Parse a decimal integer in [min, max].  AU_OK and *out, or
 * AU_INVALID_ARGUMENT with err set. */
enum au_status out_parse_uint(const char *text, unsigned long min,
    unsigned long max, unsigned long *out, struct au_err *err);

/*
 * Tables: columns separated by two spaces, each as wide as its widest cell
 * or header, the last column not padded; no trailing white space.  Cells
 * are copied; a NULL or empty cell prints as "-".  Line breaks and tabs in
 * a cell print as spaces, so one row is always one line.
 */
struct out_table;

/* A table with ncols columns and these headers (copied). */
struct out_table *out_table_new(size_t ncols, const char *const *headers);

/* Indent every printed line by n spaces (default 0). */
void out_table_indent(struct out_table *t, int n);

/* Add a row of ncols cells. */
void out_table_add(struct out_table *t, const char *const *cells);

/* Add a row given as ncols string arguments. */
void out_table_addv(struct out_table *t, ...);

size_t out_table_rows(const struct out_table *t);

/* Print the headers and the rows; returns 0, or -1 on a write error. */
int out_table_print(const struct out_table *t, FILE *f);

/* Free; NULL allowed. */
void out_table_free(struct out_table *t);

/* Print j (borrowed) as indented JSON with sorted keys and a final
 * newline; returns 0, or -1 on a write error. */
int out_json_print(FILE *f, const json_t *j);

/* A JSON string, or null when s is NULL: never returns NULL. */
json_t *out_json_str(const char *s);

/* Abort-on-failure allocation helpers. */
void *out_xcalloc(size_t n, size_t size);
char *out_xstrdup(const char *s);

#endif
