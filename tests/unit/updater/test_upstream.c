/* SPDX-License-Identifier: MIT */
/*
 * test_upstream: what the updater takes from meta's heartbeat reply: the
 * retry token, STOP and REMOVE without a version (a START without one is
 * refused), unknown actions and bad names dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "au.pb-c.h"
#include "au_test.h"
#include "log.h"
#include "upstream.h"

#define NDESIRED 6

/* Pack a reply with one desired agent per (name, version, action). */
static uint8_t *
pack_reply(
    const char *const (*d)[2], const Au__V1__Action *act, size_t n, size_t *len)
{
	Au__V1__HeartbeatReply rep = AU__V1__HEARTBEAT_REPLY__INIT;
	Au__V1__DesiredAgent   a[NDESIRED], *p[NDESIRED];
	uint8_t               *buf;
	size_t                 i;

	for (i = 0; i < n; i++) {
		au__v1__desired_agent__init(&a[i]);
		a[i].name = (char *)(uintptr_t)d[i][0];
		a[i].version = (char *)(uintptr_t)d[i][1];
		a[i].action = act[i];
		p[i] = &a[i];
	}
	a[0].has_retry = 1;
	a[0].retry = 42;
	rep.state = AU__V1__HOST_STATE__ACCEPTED;
	rep.n_agents = n;
	rep.agents = p;
	*len = au__v1__heartbeat_reply__get_packed_size(&rep);
	buf = malloc(*len);
	au__v1__heartbeat_reply__pack(&rep, buf);
	return buf;
}

static void
test_desired(void **state)
{
	static const char *const d[NDESIRED][2] = {
	    {"demo", "7.0.0"},
	    {"stopme", ""},
	    {"gone", ""},
	    {"gone2", "1.0.0"},
	    {"noversion", ""},
	    {"Bad", "1.0.0"},
	};
	static const Au__V1__Action act[NDESIRED] = {AU__V1__ACTION__START,
	    AU__V1__ACTION__STOP, AU__V1__ACTION__REMOVE,
	    AU__V1__ACTION__REMOVE, AU__V1__ACTION__START,
	    AU__V1__ACTION__START};
	struct upstream_reply      *out = calloc(1, sizeof(*out));
	uint8_t                    *buf;
	size_t                      len;

	(void)state;
	buf = pack_reply(d, act, NDESIRED, &len);
	assert_int_equal(upstream_reply_unpack(buf, len, out, NULL), AU_OK);
	assert_int_equal(out->state, UPSTREAM_HOST_ACCEPTED);
	/* "noversion" (START without a version) and "Bad" are dropped. */
	assert_int_equal(out->n, 4);
	assert_string_equal(out->agents[0].name, "demo");
	assert_int_equal(out->agents[0].action, REPORT_START);
	assert_int_equal(out->agents[0].retry, 42);
	assert_string_equal(out->agents[1].name, "stopme");
	assert_string_equal(out->agents[1].version, "");
	assert_int_equal(out->agents[1].action, REPORT_STOP);
	assert_int_equal(out->agents[1].retry, 0);
	assert_string_equal(out->agents[2].name, "gone");
	assert_int_equal(out->agents[2].action, REPORT_REMOVE);
	assert_string_equal(out->agents[3].version, "1.0.0");
	assert_int_equal(out->agents[3].action, REPORT_REMOVE);
	assert_int_equal(
	    upstream_reply_unpack((const uint8_t *)"\xff\xff", 2, out, NULL),
	    AU_INVALID_ARGUMENT);
	free(buf);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_desired),
	};

	log_init("test_upstream", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
