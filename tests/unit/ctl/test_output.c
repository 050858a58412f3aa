/* SPDX-License-Identifier: MIT */
/*
 * test_output: metactl's relative times, UTC times, duration and number
 * parsing, aligned tables and the JSON layout, compared byte for byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au_test.h"
#include "output.h"

static void
ago_is(uint64_t now, uint64_t then, const char *want)
{
	char buf[OUT_TIME_BYTES];

	out_ago(buf, sizeof(buf), now, then);
	assert_string_equal(buf, want);
}

static void
test_ago(void **state)
{
	const uint64_t now = 1764108638000ULL;

	(void)state;
	ago_is(now, 0, "never");
	ago_is(now, now, "0s ago");
	ago_is(now, now + 5000, "0s ago"); /* meta's clock ahead */
	ago_is(now, now - 5999, "5s ago");
	ago_is(now, now - 59999, "59s ago");
	ago_is(now, now - 60000, "1m ago");
	ago_is(now, now - 3599999, "59m ago");
	ago_is(now, now - 3600000, "1h ago");
	ago_is(now, now - 86399999, "23h ago");
	ago_is(now, now - 86400000, "1d ago");
	ago_is(now, now - 4 * 86400000ULL - 1, "4d ago");
	ago_is(now, 1, "20417d ago");
}

static void
test_time(void **state)
{
	char buf[OUT_TIME_BYTES];

	(void)state;
	out_time(buf, sizeof(buf), 1764108638999ULL);
	assert_string_equal(buf, "2025-11-25T22:10:38Z");
	out_time(buf, sizeof(buf), 0);
	assert_string_equal(buf, "never");
}

static void
shown_as(uint64_t ms, const char *want)
{
	char buf[OUT_TIME_BYTES];

	out_duration(buf, sizeof(buf), ms);
	assert_string_equal(buf, want);
}

static void
test_duration_text(void **state)
{
	(void)state;
	shown_as(0, "0ms");
	shown_as(350, "350ms");
	shown_as(1000, "1s");
	shown_as(1099, "1s");
	shown_as(2150, "2.1s");
	shown_as(59999, "59.9s");
	shown_as(60000, "1m");
	shown_as(80000, "1m20s");
	shown_as(600000, "10m");
	shown_as(3600000 + 5 * 60000 + 59000, "1h5m");
	shown_as(7200000, "2h");
	shown_as(3 * 86400000ULL + 4 * 3600000 + 1, "3d4h");
	shown_as(UINT64_MAX, "213503982334d14h");
}

static void
duration_is(const char *text, enum au_status want, uint64_t want_ms)
{
	struct au_err err = AU_ERR_INIT;
	uint64_t      ms = 12345;

	assert_int_equal(out_parse_duration(text, &ms, &err), want);
	if (want == AU_OK)
		assert_true(ms == want_ms);
	else
		assert_int_equal(err.code, AU_INVALID_ARGUMENT);
}

static void
test_duration(void **state)
{
	(void)state;
	duration_is("90", AU_OK, 90000);
	duration_is("90s", AU_OK, 90000);
	duration_is("30m", AU_OK, 1800000);
	duration_is("12h", AU_OK, 43200000);
	duration_is("7d", AU_OK, 604800000);
	duration_is("", AU_INVALID_ARGUMENT, 0);
	duration_is("m", AU_INVALID_ARGUMENT, 0);
	duration_is("0", AU_INVALID_ARGUMENT, 0);
	duration_is("-5m", AU_INVALID_ARGUMENT, 0);
	duration_is(" 5m", AU_INVALID_ARGUMENT, 0);
	duration_is("5x", AU_INVALID_ARGUMENT, 0);
	duration_is("5mm", AU_INVALID_ARGUMENT, 0);
	duration_is("5 m", AU_INVALID_ARGUMENT, 0);
	duration_is("99999999999999999999", AU_INVALID_ARGUMENT, 0);
	duration_is("999999999999999999d", AU_INVALID_ARGUMENT, 0);
}

static void
test_uint(void **state)
{
	struct au_err err = AU_ERR_INIT;
	unsigned long n = 0;

	(void)state;
	assert_int_equal(out_parse_uint("1", 1, 100, &n, NULL), AU_OK);
	assert_int_equal(n, 1);
	assert_int_equal(out_parse_uint("100", 1, 100, &n, NULL), AU_OK);
	assert_int_equal(n, 100);
	assert_int_equal(
	    out_parse_uint("0", 1, 100, &n, &err), AU_INVALID_ARGUMENT);
	assert_string_equal(err.msg, "bad number '0' (want 1 to 100)");
	assert_int_equal(
	    out_parse_uint("101", 1, 100, &n, NULL), AU_INVALID_ARGUMENT);
	assert_int_equal(
	    out_parse_uint("5%", 1, 100, &n, NULL), AU_INVALID_ARGUMENT);
	assert_int_equal(
	    out_parse_uint("-1", 0, 100, &n, NULL), AU_INVALID_ARGUMENT);
	assert_int_equal(
	    out_parse_uint("", 0, 100, &n, NULL), AU_INVALID_ARGUMENT);
}

static void
test_table(void **state)
{
	static const char *const hdr[] = {"HOST", "STATE", "AGENTS"};
	struct out_table        *t = out_table_new(3, hdr);
	struct au_test_cap       c;

	(void)state;
	out_table_addv(t, "web-1", "ok", "nodex=1.4.2/started");
	out_table_addv(t, "db-10", NULL, "");
	out_table_addv(t, "x", "failed", "two\nlines\tand tab");
	assert_int_equal(out_table_rows(t), 3);
	au_test_cap_open(&c);
	assert_int_equal(out_table_print(t, c.f), 0);
	au_test_cap_check(&c, "HOST   STATE   AGENTS\n"
	                      "web-1  ok      nodex=1.4.2/started\n"
	                      "db-10  -       -\n"
	                      "x      failed  two lines and tab\n");
	out_table_indent(t, 2);
	au_test_cap_open(&c);
	assert_int_equal(out_table_print(t, c.f), 0);
	au_test_cap_check(&c, "  HOST   STATE   AGENTS\n"
	                      "  web-1  ok      nodex=1.4.2/started\n"
	                      "  db-10  -       -\n"
	                      "  x      failed  two lines and tab\n");
	out_table_free(t);
	out_table_free(NULL);
}

static void
test_table_utf8_and_empty(void **state)
{
	static const char *const hdr[] = {"A", "B"};
	struct out_table        *t = out_table_new(2, hdr);
	struct au_test_cap       c;

	(void)state;
	au_test_cap_open(&c);
	assert_int_equal(out_table_print(t, c.f), 0);
	au_test_cap_check(&c, "A  B\n");
	out_table_addv(t, "h\xc3\xa9t", "x"); /* "hét": 3 columns wide */
	out_table_addv(t, "abcd", "y");
	au_test_cap_open(&c);
	assert_int_equal(out_table_print(t, c.f), 0);
	au_test_cap_check(&c, "A     B\n"
	                      "h\xc3\xa9t   x\n"
	                      "abcd  y\n");
	out_table_free(t);
}

static void
test_json(void **state)
{
	json_t *j = json_pack("{s:i,s:[i,s],s:o,s:o}", "b", 1, "a", 2, "x", "n",
	    out_json_str(NULL), "u", out_json_str("caf\xc3"));
	struct au_test_cap c;

	(void)state;
	assert_non_null(j);
	au_test_cap_open(&c);
	assert_int_equal(out_json_print(c.f, j), 0);
	au_test_cap_check(&c, "{\n"
	                      "  \"a\": [\n"
	                      "    2,\n"
	                      "    \"x\"\n"
	                      "  ],\n"
	                      "  \"b\": 1,\n"
	                      "  \"n\": null,\n"
	                      "  \"u\": \"caf?\"\n"
	                      "}\n");
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ago),
	    cmocka_unit_test(test_time),
	    cmocka_unit_test(test_duration),
	    cmocka_unit_test(test_duration_text),
	    cmocka_unit_test(test_uint),
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_table_utf8_and_empty),
	    cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
