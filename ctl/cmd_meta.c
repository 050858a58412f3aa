/* SPDX-License-Identifier: MIT */
/*
 * cmd_meta: commands about meta itself: `ping` (meta's version, clock,
 * who meta thinks is calling, the round trip) and `log verbose|brief`.
 */
#include <getopt.h>
#include <string.h>
#include <time.h>

#include "au.pb-c.h"
#include "ctl.h"
#include "output.h"
#include "timeutil.h"

static int cmd_ping(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);
static int cmd_log(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);

const struct ctl_cmd ctl_cmds_meta[] = {
    {"ping", "", "Show meta's version, clock, the caller and the round trip",
        "Calls Ping twice: the first call connects and signs, the second\n"
        "uses the session token, so its round trip is the network's and\n"
        "meta's.  Prints meta's version and protocol, meta's time and its\n"
        "offset from this machine's clock, the name and role meta gives the\n"
        "caller, and both round-trip times.\n",
        AU_ROLE_HOST | AU_ROLE_RELEASE | AU_ROLE_ADMIN, cmd_ping},
    {"log", "verbose | brief", "Turn meta's debug logging on or off",
        "verbose: meta logs debug lines too; brief: back to the default.\n"
        "Takes effect at once, without a restart, and is not kept across\n"
        "restarts.\n",
        AU_ROLE_ADMIN, cmd_log},
    {NULL, NULL, NULL, NULL, AU_ROLE_NONE, NULL},
};

/* Refuse options and extra arguments: only --help, handled already. */
static int
no_options(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv,
    int nargs)
{
	static const struct option longopts[] = {{NULL, 0, NULL, 0}};

	if (getopt_long(argc, argv, "+", longopts, NULL) != -1)
		return ctl_usage(ctl, cmd, NULL);
	if (argc - optind != nargs)
		return ctl_usage(ctl, cmd, NULL);
	return CTL_EXIT_OK;
}

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* One Ping; *rtt_us is its round trip, *offset_ms meta's clock minus ours
 * at the middle of it. */
static int
ping_once(struct ctl *ctl, ProtobufCService *svc, struct rpc_result *res,
    uint64_t *rtt_us, int64_t *offset_ms)
{
	Au__V1__PingRequest req = AU__V1__PING_REQUEST__INIT;
	Au__V1__PingReply  *rep;
	uint64_t            t0 = mono_us(), w0 = timeutil_wall_ms(), w1;

	au__v1__host_service__ping(svc, &req, NULL, res);
	*rtt_us = mono_us() - t0;
	w1 = timeutil_wall_ms();
	if (res->status != AU_OK)
		return ctl_fail_rpc(ctl, "ping", res);
	rep = (Au__V1__PingReply *)res->reply;
	*offset_ms = (int64_t)rep->server_time_ms - (int64_t)((w0 + w1) / 2);
	return CTL_EXIT_OK;
}

static void
ping_print(struct ctl *ctl, const Au__V1__PingReply *rep, uint64_t first_us,
    uint64_t rtt_us, int64_t offset_ms)
{
	char when[OUT_TIME_BYTES];

	if (ctl_json(ctl)) {
		json_t *j = json_pack("{s:o,s:I,s:I,s:I,s:o,s:o,s:I,s:I}",
		    "server_version", out_json_str(rep->server_version),
		    "protocol", (json_int_t)rep->protocol, "server_time_ms",
		    (json_int_t)rep->server_time_ms, "clock_offset_ms",
		    (json_int_t)offset_ms, "caller_name",
		    out_json_str(rep->caller_name), "caller_role",
		    out_json_str(rep->caller_role), "rtt_us",
		    (json_int_t)rtt_us, "first_rtt_us", (json_int_t)first_us);
		out_json_print(stdout, j);
		json_decref(j);
		return;
	}
	out_time(when, sizeof(when), rep->server_time_ms);
	printf("meta %s, protocol %u\n", rep->server_version, rep->protocol);
	printf("time %s (%+.3f s from this host)\n", when, offset_ms / 1000.0);
	printf("caller %s (%s)\n", rep->caller_name ? rep->caller_name : "?",
	    rep->caller_role ? rep->caller_role : "?");
	printf("round trip %.2f ms (first call, with connect and signature: "
	       "%.2f ms)\n",
	    rtt_us / 1000.0, first_us / 1000.0);
	printf("tls engine %s (metactl's)\n",
	    rpc_tls_engine_name(rpc_tls_engine_active()));
}

static int
cmd_ping(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct rpc_result res = RPC_RESULT_INIT;
	ProtobufCService *svc;
	uint64_t          first_us, rtt_us;
	int64_t           offset_ms;
	int               rc;

	if ((rc = no_options(ctl, cmd, argc, argv, 0)) != CTL_EXIT_OK)
		return rc;
	svc = ctl_service(ctl, &au__v1__host_service__descriptor);
	if (svc == NULL)
		return CTL_EXIT_FAIL;
	rc = ping_once(ctl, svc, &res, &first_us, &offset_ms);
	rpc_result_fini(&res);
	if (rc != CTL_EXIT_OK)
		return rc;
	rc = ping_once(ctl, svc, &res, &rtt_us, &offset_ms);
	if (rc == CTL_EXIT_OK)
		ping_print(ctl, (const Au__V1__PingReply *)res.reply, first_us,
		    rtt_us, offset_ms);
	rpc_result_fini(&res);
	return rc;
}

static int
cmd_log(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	Au__V1__LogVerboseRequest req = AU__V1__LOG_VERBOSE_REQUEST__INIT;
	struct rpc_result         res = RPC_RESULT_INIT;
	Au__V1__LogVerboseReply  *rep;
	int                       rc;

	if ((rc = no_options(ctl, cmd, argc, argv, 1)) != CTL_EXIT_OK)
		return rc;
	if (strcmp(argv[optind], "verbose") == 0)
		req.verbose = 1;
	else if (strcmp(argv[optind], "brief") != 0)
		return ctl_usage(ctl, cmd,
		    "log: want verbose or brief, not '%s'", argv[optind]);
	if ((rc = ctl_call(ctl, &au__v1__admin_service__descriptor,
	         "LogVerbose", &req, "log", &res)) != CTL_EXIT_OK)
		return rc;
	rep = (Au__V1__LogVerboseReply *)res.reply;
	if (ctl_json(ctl)) {
		json_t *j = json_pack("{s:i,s:i}", "verbose", req.verbose,
		    "previous", rep->has_previous ? rep->previous : 0);
		out_json_print(stdout, j);
		json_decref(j);
	} else {
		printf("meta: log %s (was %s)\n", argv[optind],
		    rep->has_previous && rep->previous > 0 ? "verbose"
		                                           : "brief");
	}
	rpc_result_fini(&res);
	return CTL_EXIT_OK;
}
