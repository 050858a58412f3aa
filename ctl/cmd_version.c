/* SPDX-License-Identifier: MIT */
/*
 * cmd_version: desired state and what came of it: `set-version` and
 * `unset` (rules: default, per host, per prefix, percentage canary),
 * `rules`, `status` (per agent, desired against actual) and `audit`.
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

static int cmd_set(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);
static int cmd_unset(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);
static int cmd_rules(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);
static int cmd_status(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);
static int cmd_audit(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);

#define SELECTOR_HELP                                                        \
	"  --host H     for host H (repeatable)\n"                           \
	"  --prefix P   for hosts whose name starts with P\n"                \
	"  --percent N  for N% of hosts (1..100), chosen by a stable hash\n" \
	"               of host and agent: the hosts in at 5% stay in at\n"  \
	"               25%\n"                                               \
	"Without a selector, the agent's default.  Precedence on a host:\n"  \
	"its host rule, then the longest matching prefix, then the\n"        \
	"percentage, then the default.\n"

const struct ctl_cmd ctl_cmds_version[] = {
    {"set-version",
        "AGENT VERSION [--host H]... [--prefix P] [--percent N] [--stop]",
        "Set the version (and start or stop) an agent should run",
        "Sets a rule: meta hands it to the matching hosts at their next\n"
        "heartbeat.\n" SELECTOR_HELP "  --stop       the agent should be "
        "stopped (default: started)\n",
        AU_ROLE_ADMIN, cmd_set},
    {"unset", "AGENT [--host H]... [--prefix P] [--percent N]",
        "Remove rules set with set-version",
        "Removes the rules the selectors name; without one, the default.\n",
        AU_ROLE_ADMIN, cmd_unset},
    {"rules", "[AGENT]", "List the rules, of all agents or of one", "",
        AU_ROLE_ADMIN, cmd_rules},
    {"status", "[AGENT]", "Per agent: hosts by version and status",
        "For each agent: its default version, how many hosts run which\n"
        "version with which status, and how many hosts have converged to\n"
        "what meta wants, have failed, or are stale.\n",
        AU_ROLE_ADMIN, cmd_status},
    {"audit", "[--since DURATION] [--limit N]",
        "Show who changed what in meta, and when",
        "  --since D    only entries newer than D (e.g. 30m, 12h, 7d)\n"
        "  --limit N    at most N entries (meta's default otherwise)\n",
        AU_ROLE_ADMIN, cmd_audit},
    {NULL, NULL, NULL, NULL, AU_ROLE_NONE, NULL},
};

struct sel_args {
	Au__V1__Selector sel;
	char            *hosts[VERSION_MAX_HOSTS];
	int              stop;
	int              any;
};

static int
sel_opt(struct ctl *ctl, const struct ctl_cmd *cmd, int ch, struct sel_args *s)
{
	struct au_err err = AU_ERR_INIT;
	unsigned long n;

	switch (ch) {
	case 'h':
		if (s->sel.n_hosts == VERSION_MAX_HOSTS)
			return ctl_usage(
			    ctl, cmd, "at most %d --host", VERSION_MAX_HOSTS);
		s->hosts[s->sel.n_hosts++] = optarg;
		break;
	case 'p':
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

/* Options --host, --prefix, --percent (and --stop when allow_stop), then
 * exactly nargs arguments. */
static int
parse_sel(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv,
    int allow_stop, int nargs, struct sel_args *s)
{
	static const struct option longopts[] = {
	    {"host", required_argument, NULL, 'h'},
	    {"prefix", required_argument, NULL, 'p'},
	    {"percent", required_argument, NULL, 'n'},
	    {"stop", no_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	Au__V1__Selector init = AU__V1__SELECTOR__INIT;
	int              ch, rc;

	memset(s, 0, sizeof(*s));
	s->sel = init;
	s->sel.hosts = s->hosts;
	/* Permute: options may follow AGENT VERSION. */
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 's' && allow_stop)
			s->stop = 1;
		else if ((rc = sel_opt(ctl, cmd, ch == 's' ? '?' : ch, s)) !=
		         CTL_EXIT_OK)
			return rc;
	}
	if (argc - optind != nargs)
		return ctl_usage(ctl, cmd, NULL);
	return CTL_EXIT_OK;
}

/* "default", "hosts a, b", "prefix web-", "5% of hosts" */
static void
describe_sel(char *buf, size_t len, const struct sel_args *s)
{
	size_t off = 0;

	if (!s->any) {
		snprintf(buf, len, "default");
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

static int
cmd_set(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	Au__V1__SetVersionRequest req = AU__V1__SET_VERSION_REQUEST__INIT;
	struct rpc_result         res = RPC_RESULT_INIT;
	struct sel_args           s;
	Au__V1__SetVersionReply  *rep;
	char                      what[512];
	int                       rc;

	if ((rc = parse_sel(ctl, cmd, argc, argv, 1, 2, &s)) != CTL_EXIT_OK)
		return rc;
	req.agent = argv[optind];
	req.version = argv[optind + 1];
	req.action = s.stop ? AU__V1__ACTION__STOP : AU__V1__ACTION__START;
	req.selector = s.any ? &s.sel : NULL;
	if ((rc = ctl_call(ctl, ADMIN, "SetVersion", &req, "set-version",
	         &res)) != CTL_EXIT_OK)
		return rc;
	rep = (Au__V1__SetVersionReply *)res.reply;
	describe_sel(what, sizeof(what), &s);
	if (ctl_json(ctl)) {
		json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:I}", "agent",
		    req.agent, "version", req.version, "action",
		    render_action_name(req.action), "selector", what,
		    "rules_changed",
		    (json_int_t)(rep->has_rules_changed ? rep->rules_changed
		                                        : 0));
		out_json_print(stdout, j);
		json_decref(j);
	} else {
		printf("%s %s %s: %s\n", req.agent, req.version,
		    render_action_name(req.action), what);
	}
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

	if ((rc = parse_sel(ctl, cmd, argc, argv, 0, 1, &s)) != CTL_EXIT_OK)
		return rc;
	req.agent = argv[optind];
	req.selector = s.any ? &s.sel : NULL;
	if ((rc = ctl_call(ctl, ADMIN, "Unset", &req, "unset", &res)) !=
	    CTL_EXIT_OK)
		return rc;
	rep = (Au__V1__UnsetReply *)res.reply;
	n = rep->has_rules_removed ? rep->rules_removed : 0;
	describe_sel(what, sizeof(what), &s);
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
