/* SPDX-License-Identifier: MIT */
/*
 * cmd_rollout: phased rollouts: `rollout start` creates one (waves of a
 * growing share of hosts, a bake time, halt rules), `rollout status` shows
 * waves, counts and failure signatures, `rollout pause|resume|abort`
 * steer it.  meta does the work; this file parses and prints.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "au.pb-c.h"
#include "ctl.h"
#include "output.h"
#include "render_rollout.h"
#include "timeutil.h"

/* The service every command here calls. */
#define ADMIN (&au__v1__admin_service__descriptor)

/* --waves: at most this many. */
#define ROLLOUT_MAX_WAVES 10
/* --max-failed N and --same-error N: at most this many hosts. */
#define ROLLOUT_MAX_HOSTS 1000000

static int cmd_start(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);
static int cmd_status(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);
static int cmd_control(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);
static enum au_status parse_waves(
    const char *text, uint32_t *waves, size_t *n, struct au_err *err);
static enum au_status parse_max_failed(
    const char *text, Au__V1__RolloutStartRequest *req, struct au_err *err);
static int start_opt(struct ctl *ctl, const struct ctl_cmd *cmd, int ch,
    Au__V1__RolloutStartRequest *req, uint32_t *waves);

#define CONTROL_HELP \
	"  --reason TEXT  why, kept in the rollout and the audit log\n"

const struct ctl_cmd ctl_cmds_rollout[] = {
    {"rollout start",
        "AGENT VERSION [--waves 1,10,50,100] [--bake DURATION] "
        "[--max-failed N|P%] [--same-error N] [--prefix P]",
        "Roll a version out in waves that halt themselves on failures",
        "Creates a rollout in meta: wave k runs VERSION on the first k% of\n"
        "the hosts (by a stable hash of host and agent, so a host never\n"
        "leaves a wave).  meta moves to the next wave when every host of\n"
        "the current one has converged and the bake time has passed, and\n"
        "halts the rollout by itself when too many hosts fail or when the\n"
        "same failure (step and message, numbers and paths masked) shows\n"
        "on several hosts.  When the last wave is done, VERSION becomes the\n"
        "agent's default.  One rollout per agent at a time.\n"
        "  --waves LIST       increasing percents 1..100 ending at 100, at\n"
        "                     most 10 (default 1,10,50,100)\n"
        "  --bake DURATION    wait this long after a wave converged (e.g.\n"
        "                     90s, 10m, 1h; default 10m)\n"
        "  --max-failed N|P%  halt when more than N hosts, or more than P%\n"
        "                     of the hosts reached, failed (default 5%)\n"
        "  --same-error N     halt when one failure signature is on N hosts\n"
        "                     (N >= 1, default 3)\n"
        "  --prefix P         only hosts whose name starts with P (not empty)\n"
        "\n"
        "Example:\n"
        "  metactl rollout start demo 2.0.0 --waves 5,50,100 --bake 30m\n",
        AU_ROLE_ADMIN, cmd_start},
    {"rollout status", "[AGENT] [--all]",
        "Show rollouts: waves, hosts per state, failure signatures",
        "For each rollout: its state and current wave, the bake and halt\n"
        "rules, why it halted, paused or was aborted, the version before\n"
        "it, who started it and when, then per wave its hosts, how many\n"
        "converged, failed, are pending or stale and when it started, and\n"
        "the top failure signatures with a sample host and message.\n"
        "  --all        finished (done, aborted) rollouts too\n"
        "With -j, a JSON array of rollouts (wave counts from 0, times as\n"
        "*_ms).\n",
        AU_ROLE_ADMIN, cmd_status},
    {"rollout pause", "AGENT [--reason TEXT]", "Hold a rollout where it is",
        "Hosts already in a wave keep the new version; no wave is added\n"
        "until `metactl rollout resume`.\n" CONTROL_HELP,
        AU_ROLE_ADMIN, cmd_control},
    {"rollout resume", "AGENT [--reason TEXT]",
        "Go on with a paused or halted rollout",
        "The rollout runs again from its current wave; a halted one halts\n"
        "again if its failures still pass the halt rules.\n" CONTROL_HELP,
        AU_ROLE_ADMIN, cmd_control},
    {"rollout abort", "AGENT [--reason TEXT]",
        "End a rollout and put back the version from before",
        "The default version from before the rollout applies again, and\n"
        "the hosts of its waves roll back to it.\n" CONTROL_HELP,
        AU_ROLE_ADMIN, cmd_control},
    {NULL, NULL, NULL, NULL, AU_ROLE_NONE, NULL},
};

/* "1,10,50,100": increasing percents 1..100 ending at 100. */
static enum au_status
parse_waves(const char *text, uint32_t *waves, size_t *n, struct au_err *err)
{
	const char   *p = text, *comma;
	char          piece[16];
	size_t        len;
	unsigned long v;

	*n = 0;
	do {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		snprintf(piece, sizeof(piece), "%.*s",
		    (int)(len < sizeof(piece) ? len : sizeof(piece) - 1), p);
		if (len >= sizeof(piece) ||
		    out_parse_uint(piece, 1, 100, &v, err) != AU_OK)
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "bad percent '%.*s' (want 1 to 100)",
			    (int)(len < 32 ? len : 32), p);
		if (*n == ROLLOUT_MAX_WAVES)
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "more than %d waves", ROLLOUT_MAX_WAVES);
		if (*n > 0 && v <= waves[*n - 1])
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "%lu after %u: the percents must increase", v,
			    waves[*n - 1]);
		waves[(*n)++] = (uint32_t)v;
		p = comma + 1;
	} while (comma != NULL);
	if (waves[*n - 1] != 100)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "the last wave must be 100 (every host)");
	return AU_OK;
}

/* "3" (hosts) or "10%" (of the hosts reached). */
static enum au_status
parse_max_failed(
    const char *text, Au__V1__RolloutStartRequest *req, struct au_err *err)
{
	size_t        len = strlen(text);
	int           pct = len > 0 && text[len - 1] == '%';
	char          num[16];
	unsigned long v;

	snprintf(num, sizeof(num), "%.*s", (int)(pct ? len - 1 : len), text);
	if (len - pct >= sizeof(num) ||
	    out_parse_uint(num, 0, pct ? 100 : ROLLOUT_MAX_HOSTS, &v, err) !=
	        AU_OK)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "bad value '%.32s' (want a count N or a percent P%%, e.g. "
		    "3 "
		    "or 10%%)",
		    text);
	req->has_max_failed = req->has_max_failed_percent = 1;
	req->max_failed = (uint32_t)v;
	req->max_failed_percent = pct;
	return AU_OK;
}

/* One option of rollout start into req (waves into waves[]). */
static int
start_opt(struct ctl *ctl, const struct ctl_cmd *cmd, int ch,
    Au__V1__RolloutStartRequest *req, uint32_t *waves)
{
	struct au_err err = AU_ERR_INIT;
	unsigned long v;

	switch (ch) {
	case 'w':
		if (parse_waves(optarg, waves, &req->n_waves, &err) != AU_OK)
			return ctl_usage(ctl, cmd, "--waves: %s", err.msg);
		req->waves = waves;
		break;
	case 'b':
		if (out_parse_duration(optarg, &req->bake_ms, &err) != AU_OK)
			return ctl_usage(ctl, cmd, "--bake: %s", err.msg);
		req->has_bake_ms = 1;
		break;
	case 'm':
		if (parse_max_failed(optarg, req, &err) != AU_OK)
			return ctl_usage(ctl, cmd, "--max-failed: %s", err.msg);
		break;
	case 'e':
		if (out_parse_uint(optarg, 1, ROLLOUT_MAX_HOSTS, &v, &err) !=
		    AU_OK)
			return ctl_usage(ctl, cmd, "--same-error: %s", err.msg);
		req->has_same_error = 1;
		req->same_error = (uint32_t)v;
		break;
	case 'p':
		if (*optarg == '\0')
			return ctl_usage(
			    ctl, cmd, "--prefix: must not be empty");
		req->selector->prefix = optarg;
		break;
	default:
		return ctl_usage(ctl, cmd, NULL);
	}
	return CTL_EXIT_OK;
}

static int
cmd_start(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"waves", required_argument, NULL, 'w'},
	    {"bake", required_argument, NULL, 'b'},
	    {"max-failed", required_argument, NULL, 'm'},
	    {"same-error", required_argument, NULL, 'e'},
	    {"prefix", required_argument, NULL, 'p'},
	    {NULL, 0, NULL, 0},
	};
	Au__V1__RolloutStartRequest req = AU__V1__ROLLOUT_START_REQUEST__INIT;
	Au__V1__Selector            sel = AU__V1__SELECTOR__INIT;
	struct rpc_result           res = RPC_RESULT_INIT;
	uint32_t                    waves[ROLLOUT_MAX_WAVES];
	int                         ch, rc;

	req.selector = &sel;
	/* Permute: options may follow AGENT VERSION. */
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		if ((rc = start_opt(ctl, cmd, ch, &req, waves)) != CTL_EXIT_OK)
			return rc;
	if (argc - optind != 2 || *argv[optind] == '\0' ||
	    *argv[optind + 1] == '\0')
		return ctl_usage(ctl, cmd, NULL);
	req.agent = argv[optind];
	req.version = argv[optind + 1];
	if (sel.prefix == NULL)
		req.selector = NULL;
	if ((rc = ctl_call(ctl, ADMIN, "RolloutStart", &req, "rollout start",
	         &res)) != CTL_EXIT_OK)
		return rc;
	render_rollout_done(stdout, "started",
	    ((Au__V1__RolloutStartReply *)res.reply)->rollout, ctl_json(ctl));
	rpc_result_fini(&res);
	return CTL_EXIT_OK;
}

static int
cmd_status(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"all", no_argument, NULL, 'a'},
	    {NULL, 0, NULL, 0},
	};
	Au__V1__RolloutStatusRequest req = AU__V1__ROLLOUT_STATUS_REQUEST__INIT;
	struct rpc_result            res = RPC_RESULT_INIT;
	Au__V1__RolloutStatusReply  *rep;
	int                          ch, rc;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch != 'a')
			return ctl_usage(ctl, cmd, NULL);
		req.has_all = req.all = 1;
	}
	if (argc - optind > 1)
		return ctl_usage(ctl, cmd, NULL);
	req.agent = optind < argc ? argv[optind] : NULL;
	if ((rc = ctl_call(ctl, ADMIN, "RolloutStatus", &req, "rollout status",
	         &res)) != CTL_EXIT_OK)
		return rc;
	rep = (Au__V1__RolloutStatusReply *)res.reply;
	render_rollout_status(stdout, rep,
	    rep->has_now_ms ? rep->now_ms : timeutil_wall_ms(), ctl_json(ctl));
	rpc_result_fini(&res);
	return CTL_EXIT_OK;
}

static int
cmd_control(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"reason", required_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	Au__V1__RolloutControlRequest req =
	    AU__V1__ROLLOUT_CONTROL_REQUEST__INIT;
	struct rpc_result res = RPC_RESULT_INIT;
	const char       *verb;
	char              ctx[64];
	int               ch, rc;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch != 'r')
			return ctl_usage(ctl, cmd, NULL);
		if (*optarg == '\0')
			return ctl_usage(
			    ctl, cmd, "--reason: must not be empty");
		req.reason = optarg;
	}
	if (argc - optind != 1 || *argv[optind] == '\0')
		return ctl_usage(ctl, cmd, NULL);
	req.agent = argv[optind];
	if (strcmp(argv[0], "pause") == 0) {
		req.op = AU__V1__ROLLOUT_CONTROL_REQUEST__OP__PAUSE;
		verb = "paused";
	} else if (strcmp(argv[0], "resume") == 0) {
		req.op = AU__V1__ROLLOUT_CONTROL_REQUEST__OP__RESUME;
		verb = "resumed";
	} else {
		req.op = AU__V1__ROLLOUT_CONTROL_REQUEST__OP__ABORT;
		verb = "aborted";
	}
	snprintf(ctx, sizeof(ctx), "rollout %s", argv[0]);
	if ((rc = ctl_call(ctl, ADMIN, "RolloutControl", &req, ctx, &res)) !=
	    CTL_EXIT_OK)
		return rc;
	render_rollout_done(stdout, verb,
	    ((Au__V1__RolloutControlReply *)res.reply)->rollout, ctl_json(ctl));
	rpc_result_fini(&res);
	return CTL_EXIT_OK;
}
