/* SPDX-License-Identifier: MIT */
/*
 * cmd_version: desired state and what came of it: `set-version`, `remove`
 * and `unset` (rules: default, per host, per prefix, percentage canary),
 * `retry` (hand failed hosts a retry token), `rules`, `status` (per agent,
 * desired against actual, its rules and rollout) and `audit`.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "au.pb-c.h"
#include "ctl.h"
#include "output.h"
#include "render.h"
#include "timeutil.h"

/* The service every command here calls. */
#define ADMIN (&au__v1__admin_service__descriptor)

/* --host may be given this many times in one call. */
#define VERSION_MAX_HOSTS 1000

struct sel_args;

static int cmd_set(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);
static int cmd_remove(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);
static int cmd_retry(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);
static int set_call(struct ctl *ctl, const char *context,
    const Au__V1__SetVersionRequest *req, const struct sel_args *s);
static int cmd_unset(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);
static int cmd_rules(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);
static int cmd_status(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);
static int cmd_audit(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);

#define SELECTOR_OPTS                                                        \
	"  --host H     for host H (repeatable)\n"                           \
	"  --prefix P   for hosts whose name starts with P (not empty)\n"    \
	"  --percent N  for N% of hosts (1..100), chosen by a stable hash\n" \
	"               of host and agent: the hosts in at 5% stay in at\n"  \
	"               25%\n"
#define SELECTOR_RULES                                                      \
	"Without a selector, the agent's default.  Precedence on a host:\n" \
	"its host rule, then the longest matching prefix, then the\n"       \
	"percentage, then the default.\n"
#define SELECTOR_HELP SELECTOR_OPTS SELECTOR_RULES

const struct ctl_cmd ctl_cmds_version[] = {
    {"set-version",
        "AGENT [VERSION] [--host H]... [--prefix P] [--percent N] [--stop]",
        "Set the version (and start or stop) an agent should run",
        "Sets a rule: meta hands it to the matching hosts at their next\n"
        "heartbeat.  VERSION may be left out with --stop only: the agent\n"
        "is stopped whatever version the host has.\n" SELECTOR_OPTS
        "  --stop       the agent should be stopped (default: "
        "started)\n" SELECTOR_RULES "\n"
        "Examples:\n"
        "  metactl set-version demo 2.0.0 --prefix web-\n"
        "  metactl set-version demo --stop --host web-1\n"
        "For a release to many hosts, `metactl rollout start` goes in\n"
        "waves and halts itself on failures.\n",
        AU_ROLE_ADMIN, cmd_set},
    {"remove", "AGENT [--host H]... [--prefix P] [--percent N]",
        "Stop an agent and delete its folder on the matching hosts",
        "Sets a rule with the action remove: the agent is stopped and its\n"
        "folder deleted on the matching hosts (the updater keeps only a\n"
        "line about it in its state).  `metactl unset` with the same\n"
        "selector takes the rule away again.\n" SELECTOR_HELP,
        AU_ROLE_ADMIN, cmd_remove},
    {"retry", "AGENT [--host H]... [--prefix P] [--failed]",
        "Let hosts try again a version that failed on them",
        "A version that failed on a host is not tried again there until\n"
        "what meta asks for changes.  retry hands the matching hosts a new\n"
        "retry token at their next heartbeat, and they try once more.\n"
        "  --host H     host H (repeatable)\n"
        "  --prefix P   hosts whose name starts with P (not empty)\n"
        "  --failed     only hosts that count as failed for AGENT now\n"
        "Without --host or --prefix, every host of the agent.\n"
        "\n"
        "Example:\n"
        "  metactl retry demo --failed\n",
        AU_ROLE_ADMIN, cmd_retry},
    {"unset", "AGENT [--host H]... [--prefix P] [--percent N]",
        "Remove rules set with set-version or remove",
        "Removes the rules the selectors name; without one, the default.\n"
        "  --host H     the rule for host H (repeatable)\n"
        "  --prefix P   the rule for prefix P (not empty)\n"
        "  --percent N  the rule for N% of hosts\n",
        AU_ROLE_ADMIN, cmd_unset},
    {"rules", "[AGENT]", "List the rules, of all agents or of one",
        "One line per rule: agent, rule (default, host H, prefix P or\n"
        "percent N%), version (\"any\" for a stop or remove of any\n"
        "version), action, when and by whom it was set.\n",
        AU_ROLE_ADMIN, cmd_rules},
    {"status", "[AGENT]", "Per agent: hosts by version, rules, rollout",
        "For each agent: its default version, how many hosts run which\n"
        "version with which status, how many hosts have converged to\n"
        "what meta wants, have failed, or are stale; then its rules (rule,\n"
        "version, action) and the one-line state of its newest rollout\n"
        "(see metactl rollout status).\n",
        AU_ROLE_ADMIN, cmd_status},
    {"audit", "[--since DURATION] [--limit N]",
        "Show who changed what in meta, and when",
        "  --since D    only entries newer than D (e.g. 30m, 12h, 7d)\n"
        "  --limit N    at most N entries (meta's default otherwise)\n",
        AU_ROLE_ADMIN, cmd_audit},
    {NULL, NULL, NULL, NULL, AU_ROLE_NONE, NULL},
};

/* What parse_sel() accepts besides --host and --prefix. */
#define SEL_STOP 0x1    /* --stop */
#define SEL_PERCENT 0x2 /* --percent N */
#define SEL_FAILED 0x4  /* --failed */

struct sel_args {
	Au__V1__Selector sel;
	char            *hosts[VERSION_MAX_HOSTS];
	int              stop;
	int              failed;
	int              any;
};

static int
sel_opt(struct ctl *ctl, const struct ctl_cmd *cmd, int ch, struct sel_args *s)
{
	struct au_err err = AU_ERR_INIT;
	unsigned long n;

	switch (ch) {
	case 'h':
		if (*optarg == '\0')
			return ctl_usage(ctl, cmd, "--host: must not be empty");
		if (s->sel.n_hosts == VERSION_MAX_HOSTS)
			return ctl_usage(
			    ctl, cmd, "at most %d --host", VERSION_MAX_HOSTS);
		s->hosts[s->sel.n_hosts++] = optarg;
		break;
	case 'p':
		if (*optarg == '\0')
			return ctl_usage(
			    ctl, cmd, "--prefix: must not be empty");
		s->sel.prefix = optarg;
		break;
	case 'n':
		if (out_parse_uint(optarg, 1, 100, &n, &err) != AU_OK)
			return ctl_usage(ctl, cmd, "--percent: %s", err.msg);
		s->sel.has_percent = 1;
		s->sel.percent = (uint32_t)n;
		break;
	default:
		return ctl_usage(ctl, cmd, NULL);
	}
	s->any = 1;
	return CTL_EXIT_OK;
}

/* Options --host and --prefix, and those flags (SEL_*) allow; the
 * arguments are left at argv[optind..argc). */
static int
parse_sel(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv,
    int flags, struct sel_args *s)
{
	static const struct option longopts[] = {
	    {"host", required_argument, NULL, 'h'},
	    {"prefix", required_argument, NULL, 'p'},
	    {"percent", required_argument, NULL, 'n'},
	    {"stop", no_argument, NULL, 's'},
	    {"failed", no_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	Au__V1__Selector init = AU__V1__SELECTOR__INIT;
	int              ch, rc;

	memset(s, 0, sizeof(*s));
	s->sel = init;
	s->sel.hosts = s->hosts;
	/* Permute: options may follow AGENT VERSION. */
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 's' && (flags & SEL_STOP))
			s->stop = 1;
		else if (ch == 'f' && (flags & SEL_FAILED))
			s->failed = 1;
		else if ((ch == 'n' && !(flags & SEL_PERCENT)) || ch == 's' ||
		         ch == 'f')
			return ctl_usage(ctl, cmd,
			    "--%s is not an option of %s",
			    ch == 'n'   ? "percent"
			    : ch == 's' ? "stop"
			                : "failed",
			    cmd->name);
		else if ((rc = sel_opt(ctl, cmd, ch, s)) != CTL_EXIT_OK)
			return rc;
	}
	return CTL_EXIT_OK;
}

/* "host a, b", "prefix web-", "5% of hosts", or none when there is no
 * selector. */
static void
describe_sel(char *buf, size_t len, const struct sel_args *s, const char *none)
{
	size_t off = 0;

	if (!s->any) {
		snprintf(buf, len, "%s", none);
		return;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < s->sel.n_hosts && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i ? ", " : "host ", s->sel.hosts[i]);
	if (s->sel.prefix != NULL && off < len)
		off += (size_t)snprintf(buf + off, len - off, "%sprefix %s",
		    off ? "; " : "", s->sel.prefix);
	if (s->sel.has_percent && off < len)
		snprintf(buf + off, len - off, "%s%u%% of hosts",
		    off ? "; " : "", s->sel.percent);
}

/* Call SetVersion with req and print what was set (render_set_version). */
static int
set_call(struct ctl *ctl, const char *context,
    const Au__V1__SetVersionRequest *req, const struct sel_args *s)
{
	struct rpc_result        res = RPC_RESULT_INIT;
	Au__V1__SetVersionReply *rep;
	char                     what[512];
	int                      rc;

	if ((rc = ctl_call(ctl, ADMIN, "SetVersion", req, context, &res)) !=
	    CTL_EXIT_OK)
		return rc;
	rep = (Au__V1__SetVersionReply *)res.reply;
	describe_sel(what, sizeof(what), s, "default");
	render_set_version(stdout, req, what,
	    rep->has_rules_changed ? rep->rules_changed : 0, ctl_json(ctl));
	rpc_result_fini(&res);
	return CTL_EXIT_OK;
}

static int
cmd_set(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	Au__V1__SetVersionRequest req = AU__V1__SET_VERSION_REQUEST__INIT;
	struct sel_args           s;
	int                       rc, nargs;

	rc = parse_sel(ctl, cmd, argc, argv, SEL_STOP | SEL_PERCENT, &s);
	if (rc != CTL_EXIT_OK)
		return rc;
	nargs = argc - optind;
	if (nargs == 1 && !s.stop)
		return ctl_usage(
		    ctl, cmd, "VERSION is required without --stop");
	if (nargs != 1 && nargs != 2)
		return ctl_usage(ctl, cmd, NULL);
	if (nargs == 2 && *argv[optind + 1] == '\0')
		return ctl_usage(ctl, cmd,
		    "VERSION must not be empty (leave it out with --stop)");
	req.agent = argv[optind];
	req.version = nargs == 2 ? argv[optind + 1] : "";
	req.action = s.stop ? AU__V1__ACTION__STOP : AU__V1__ACTION__START;
	req.selector = s.any ? &s.sel : NULL;
	return set_call(ctl, "set-version", &req, &s);
}

static int
cmd_remove(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	Au__V1__SetVersionRequest req = AU__V1__SET_VERSION_REQUEST__INIT;
	struct sel_args           s;
	int                       rc;

	if ((rc = parse_sel(ctl, cmd, argc, argv, SEL_PERCENT, &s)) !=
	    CTL_EXIT_OK)
		return rc;
	if (argc - optind != 1)
		return ctl_usage(ctl, cmd, NULL);
	req.agent = argv[optind];
	req.version = "";
	req.action = AU__V1__ACTION__REMOVE;
	req.selector = s.any ? &s.sel : NULL;
	return set_call(ctl, "remove", &req, &s);
}

static int
cmd_retry(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	Au__V1__RetryRequest req = AU__V1__RETRY_REQUEST__INIT;
	struct rpc_result    res = RPC_RESULT_INIT;
	struct sel_args      s;
	char                 what[512];
	int                  rc;

	if ((rc = parse_sel(ctl, cmd, argc, argv, SEL_FAILED, &s)) !=
	    CTL_EXIT_OK)
		return rc;
	if (argc - optind != 1)
		return ctl_usage(ctl, cmd, NULL);
	req.agent = argv[optind];
	req.selector = s.any ? &s.sel : NULL;
	req.has_failed = req.failed = s.failed;
	if ((rc = ctl_call(ctl, ADMIN, "Retry", &req, "retry", &res)) !=
	    CTL_EXIT_OK)
		return rc;
	describe_sel(what, sizeof(what), &s, "every host");
	render_retry(stdout, req.agent, (Au__V1__RetryReply *)res.reply,
	    s.failed, s.any ? what : NULL, ctl_json(ctl));
	rpc_result_fini(&res);
	return CTL_EXIT_OK;
}

static int
cmd_unset(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	Au__V1__UnsetRequest req = AU__V1__UNSET_REQUEST__INIT;
	struct rpc_result    res = RPC_RESULT_INIT;
	struct sel_args      s;
	Au__V1__UnsetReply  *rep;
	uint32_t             n;
	char                 what[512];
	int                  rc;

	if ((rc = parse_sel(ctl, cmd, argc, argv, SEL_PERCENT, &s)) !=
	    CTL_EXIT_OK)
		return rc;
	if (argc - optind != 1)
		return ctl_usage(ctl, cmd, NULL);
	req.agent = argv[optind];
	req.selector = s.any ? &s.sel : NULL;
	if ((rc = ctl_call(ctl, ADMIN, "Unset", &req, "unset", &res)) !=
	    CTL_EXIT_OK)
		return rc;
	rep = (Au__V1__UnsetReply *)res.reply;
	n = rep->has_rules_removed ? rep->rules_removed : 0;
	describe_sel(what, sizeof(what), &s, "default");
	if (ctl_json(ctl)) {
		json_t *j = json_pack("{s:s,s:s,s:I}", "agent", req.agent,
		    "selector", what, "rules_removed", (json_int_t)n);
		out_json_print(stdout, j);
		json_decref(j);
	} else {
		printf("%s: %s: %u rule%s removed\n", req.agent, what, n,
		    n == 1 ? "" : "s");
	}
	rpc_result_fini(&res);
	return CTL_EXIT_OK;
}

/* No options, at most one argument (the agent): returns it or NULL. */
static int
parse_agent(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv,
    char **agent)
{
	static const struct option longopts[] = {{NULL, 0, NULL, 0}};

	if (getopt_long(argc, argv, "+", longopts, NULL) != -1 ||
	    argc - optind > 1)
		return ctl_usage(ctl, cmd, NULL);
	*agent = optind < argc ? argv[optind] : NULL;
	return CTL_EXIT_OK;
}

/* parse_agent() into *agent, then call method of the admin service with
 * req (whose agent field *agent is), in the command's name. */
static int
agent_call(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv,
    const char *method, const void *req, char **agent, struct rpc_result *res)
{
	int rc;

	if ((rc = parse_agent(ctl, cmd, argc, argv, agent)) != CTL_EXIT_OK)
		return rc;
	return ctl_call(ctl, ADMIN, method, req, cmd->name, res);
}

static int
cmd_rules(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	Au__V1__ListRulesRequest req = AU__V1__LIST_RULES_REQUEST__INIT;
	struct rpc_result        res = RPC_RESULT_INIT;
	int                      rc;

	if ((rc = agent_call(ctl, cmd, argc, argv, "ListRules", &req,
	         &req.agent, &res)) == CTL_EXIT_OK)
		render_rules(stdout, (Au__V1__ListRulesReply *)res.reply,
		    timeutil_wall_ms(), ctl_json(ctl));
	rpc_result_fini(&res);
	return rc;
}

static int
cmd_status(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	Au__V1__StatusRequest req = AU__V1__STATUS_REQUEST__INIT;
	struct rpc_result     res = RPC_RESULT_INIT;
	int                   rc;

	if ((rc = agent_call(ctl, cmd, argc, argv, "Status", &req, &req.agent,
	         &res)) == CTL_EXIT_OK)
		render_status(
		    stdout, (Au__V1__StatusReply *)res.reply, ctl_json(ctl));
	rpc_result_fini(&res);
	return rc;
}

static int
parse_audit(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv,
    Au__V1__AuditRequest *req)
{
	static const struct option longopts[] = {
	    {"since", required_argument, NULL, 's'},
	    {"limit", required_argument, NULL, 'l'},
	    {NULL, 0, NULL, 0},
	};
	struct au_err err = AU_ERR_INIT;
	uint64_t      ms, now = timeutil_wall_ms();
	unsigned long n;
	int           ch;

	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (ch == 's' &&
		    out_parse_duration(optarg, &ms, &err) == AU_OK) {
			req->has_since_ms = 1;
			req->since_ms = ms < now ? now - ms : 0;
		} else if (ch == 'l' && out_parse_uint(optarg, 1, 1000000, &n,
		                            &err) == AU_OK) {
			req->has_limit = 1;
			req->limit = (uint32_t)n;
		} else {
			return ctl_usage(
			    ctl, cmd, err.code != AU_OK ? "%s" : NULL, err.msg);
		}
	}
	if (optind != argc)
		return ctl_usage(ctl, cmd, NULL);
	return CTL_EXIT_OK;
}

static int
cmd_audit(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	Au__V1__AuditRequest req = AU__V1__AUDIT_REQUEST__INIT;
	struct rpc_result    res = RPC_RESULT_INIT;
	int                  rc;

	if ((rc = parse_audit(ctl, cmd, argc, argv, &req)) != CTL_EXIT_OK)
		return rc;
	if ((rc = ctl_call(ctl, ADMIN, "Audit", &req, "audit", &res)) ==
	    CTL_EXIT_OK)
		render_audit(
		    stdout, (Au__V1__AuditReply *)res.reply, ctl_json(ctl));
	rpc_result_fini(&res);
	return rc;
}
