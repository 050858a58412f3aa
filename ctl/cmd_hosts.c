/* SPDX-License-Identifier: MIT */
/*
 * cmd_hosts: the fleet inventory: `hosts` lists hosts with filters,
 * `hosts show HOST` drills down into one host's agents and reports,
 * `hosts accept|reject|remove HOST` decides on enrollment, `hosts add HOST
 * --key PUBKEY` preauthorizes a host's key.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "au.pb-c.h"
#include "ctl.h"
#include "output.h"
#include "render.h"
#include "sig.h"
#include "timeutil.h"

/* hosts show --reports: meta keeps at most this many per agent. */
#define HOSTS_MAX_REPORTS 100

/* At most this many pages of ListHosts (a page is the server's limit). */
#define HOSTS_MAX_PAGES 100000

static int cmd_list(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);
static int cmd_show(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);
static int parse_show(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv, Au__V1__HostShowRequest *req);
static int cmd_action(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);
static int cmd_add(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);

const struct ctl_cmd ctl_cmds_hosts[] = {
    {"hosts", "[--failed] [--stale] [--pending] [--agent A] [--prefix P]",
        "List hosts: state, last seen, agents, last failure",
        "Prints one line per host, sorted by name:\n"
        "  HOST  STATE  LAST-SEEN  AGENTS  LAST-FAILURE\n"
        "STATE is pending, rejected, ok, failed, stale or stale,failed.\n"
        "Each agent shows as NAME=VERSION/STATUS, followed by >WANTED when\n"
        "meta wants another version, by ! when it counts as failed, by\n"
        ",crashes=N when its current version crashed N times and by\n"
        ",probation=V while version V is in its health window.\n"
        "LAST-FAILURE is the most recent failure of any agent; a version\n"
        "that failed on the host and is not tried again shows there as\n"
        "\"7.0.0 failed at start, not retried\" (see metactl retry).\n"
        "\n"
        "  --failed     only hosts with a failed agent\n"
        "  --stale      only hosts not heard from for stale_after\n"
        "  --pending    only hosts waiting to be accepted\n"
        "  --agent A    only hosts that run or should run agent A\n"
        "  --prefix P   only hosts whose name starts with P (not empty)\n"
        "Filters combine (all must hold).  With -j, a JSON array of hosts.\n"
        "metactl hosts show HOST has one host's reports in full.\n",
        AU_ROLE_ADMIN, cmd_list},
    {"hosts show", "HOST [--reports N]",
        "Show one host: its agents and their latest reports in full",
        "Prints the host (state, last seen, key id, updater version), then\n"
        "for each agent its version and status, what meta wants, whether\n"
        "it counts as failed, a version that failed and is not retried,\n"
        "crashes, probation, and its latest reports, newest first: time\n"
        "(UTC and how long ago), version (from -> to), outcome, action,\n"
        "step, exit code, duration, message and the whole output tail of\n"
        "the control script, indented by four spaces.\n"
        "  --reports N  reports per agent (1..100; meta's default is 5)\n"
        "With -j, an object {host, reports, now_ms}, times as *_ms.\n"
        "\n"
        "Example:\n"
        "  metactl hosts show web-1 --reports 20\n",
        AU_ROLE_ADMIN, cmd_show},
    {"hosts accept", "HOST", "Accept a pending host's key",
        "The host's next heartbeat is served its desired agents.\n",
        AU_ROLE_ADMIN, cmd_action},
    {"hosts reject", "HOST", "Reject a host: its heartbeats are refused",
        "Its record stays, bound to its key, so the name cannot enroll\n"
        "again under another key until it is removed.\n",
        AU_ROLE_ADMIN, cmd_action},
    {"hosts remove", "HOST", "Forget a host and its key",
        "The name may enroll again (as pending, unless auto_accept).\n",
        AU_ROLE_ADMIN, cmd_action},
    {"hosts add", "HOST --key PUBKEY", "Preauthorize a host's key",
        "PUBKEY is the host's identity public key: 64 hex digits or a .pub\n"
        "file (\"ed25519-pub <hex>\").  The host is accepted at its first\n"
        "heartbeat.\n",
        AU_ROLE_ADMIN, cmd_add},
    {NULL, NULL, NULL, NULL, AU_ROLE_NONE, NULL},
};

static int
parse_list(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv,
    Au__V1__ListHostsRequest *req)
{
	static const struct option longopts[] = {
	    {"failed", no_argument, NULL, 'f'},
	    {"stale", no_argument, NULL, 's'},
	    {"pending", no_argument, NULL, 'p'},
	    {"agent", required_argument, NULL, 'a'},
	    {"prefix", required_argument, NULL, 'P'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			req->has_failed = req->failed = 1;
			break;
		case 's':
			req->has_stale = req->stale = 1;
			break;
		case 'p':
			req->has_pending = req->pending = 1;
			break;
		case 'a':
			req->agent = optarg;
			break;
		case 'P':
			if (*optarg == '\0')
				return ctl_usage(
				    ctl, cmd, "--prefix: must not be empty");
			req->prefix = optarg;
			break;
		default:
			return ctl_usage(ctl, cmd, NULL);
		}
	}
	if (optind != argc)
		return ctl_usage(
		    ctl, cmd, "hosts: unknown subcommand '%s'", argv[optind]);
	return CTL_EXIT_OK;
}

/* The pages of a host list: the replies stay owned by their results. */
struct pages {
	struct rpc_result *res;
	size_t             n, cap;
	Au__V1__Host     **hosts;
	size_t             nhosts;
	uint64_t           now_ms;
};

static void
pages_free(struct pages *p)
{
	for (size_t i = 0; i < p->n; i++)
		rpc_result_fini(&p->res[i]);
	free(p->res);
	free(p->hosts);
}

static struct rpc_result *
pages_next(struct pages *p)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 4;
		p->res = realloc(p->res, p->cap * sizeof(*p->res));
		if (p->res == NULL)
			abort();
	}
	p->res[p->n] = (struct rpc_result)RPC_RESULT_INIT;
	return &p->res[p->n++];
}

static void
pages_take(struct pages *p, const Au__V1__ListHostsReply *rep)
{
	p->hosts = realloc(
	    p->hosts, (p->nhosts + rep->n_hosts + 1) * sizeof(*p->hosts));
	if (p->hosts == NULL)
		abort();
	if (rep->n_hosts > 0) /* an empty page has no array at all */
		memcpy(p->hosts + p->nhosts, rep->hosts,
		    rep->n_hosts * sizeof(*p->hosts));
	p->nhosts += rep->n_hosts;
	if (rep->has_now_ms && p->now_ms == 0)
		p->now_ms = rep->now_ms;
}

/* Call ListHosts until meta says there is no more. */
static int
fetch_hosts(struct ctl *ctl, ProtobufCService *svc,
    Au__V1__ListHostsRequest *req, struct pages *p)
{
	for (int page = 0; page < HOSTS_MAX_PAGES; page++) {
		struct rpc_result            *res = pages_next(p);
		const Au__V1__ListHostsReply *rep;

		au__v1__admin_service__list_hosts(svc, req, NULL, res);
		if (res->status != AU_OK)
			return ctl_fail_rpc(ctl, "hosts", res);
		rep = (const Au__V1__ListHostsReply *)res->reply;
		pages_take(p, rep);
		if (!(rep->has_more && rep->more) || rep->n_hosts == 0)
			return CTL_EXIT_OK;
		req->after = rep->hosts[rep->n_hosts - 1]->hostname;
	}
	return ctl_fail(ctl, "hosts: more than %d pages", HOSTS_MAX_PAGES);
}

static int
cmd_list(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	Au__V1__ListHostsRequest req = AU__V1__LIST_HOSTS_REQUEST__INIT;
	struct pages             p = {0};
	ProtobufCService        *svc;
	int                      rc;

	if ((rc = parse_list(ctl, cmd, argc, argv, &req)) != CTL_EXIT_OK)
		return rc;
	if ((svc = ctl_service(ctl, &au__v1__admin_service__descriptor)) ==
	    NULL)
		return CTL_EXIT_FAIL;
	rc = fetch_hosts(ctl, svc, &req, &p);
	if (rc == CTL_EXIT_OK)
		render_hosts(stdout, p.hosts, p.nhosts,
		    p.now_ms ? p.now_ms : timeutil_wall_ms(), ctl_json(ctl));
	pages_free(&p);
	return rc;
}

static int
parse_show(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv,
    Au__V1__HostShowRequest *req)
{
	static const struct option longopts[] = {
	    {"reports", required_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	struct au_err err = AU_ERR_INIT;
	unsigned long n;
	int           ch;

	/* Permute: --reports may come before or after HOST. */
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch != 'r')
			return ctl_usage(ctl, cmd, NULL);
		if (out_parse_uint(optarg, 1, HOSTS_MAX_REPORTS, &n, &err) !=
		    AU_OK)
			return ctl_usage(ctl, cmd, "--reports: %s", err.msg);
		req->has_reports_per_agent = 1;
		req->reports_per_agent = (uint32_t)n;
	}
	if (argc - optind != 1 || *argv[optind] == '\0')
		return ctl_usage(ctl, cmd, NULL);
	req->hostname = argv[optind];
	return CTL_EXIT_OK;
}

static int
cmd_show(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	Au__V1__HostShowRequest req = AU__V1__HOST_SHOW_REQUEST__INIT;
	struct rpc_result       res = RPC_RESULT_INIT;
	Au__V1__HostShowReply  *rep;
	char                    ctx[RPC_NAME_MAX + 32];
	int                     rc;

	if ((rc = parse_show(ctl, cmd, argc, argv, &req)) != CTL_EXIT_OK)
		return rc;
	snprintf(ctx, sizeof(ctx), "hosts show %.64s", req.hostname);
	if ((rc = ctl_call(ctl, &au__v1__admin_service__descriptor, "HostShow",
	         &req, ctx, &res)) != CTL_EXIT_OK)
		return rc;
	rep = (Au__V1__HostShowReply *)res.reply;
	if (rep->host == NULL)
		rc = ctl_fail(ctl, "%s: meta sent no host", ctx);
	else
		render_host_show(stdout, rep,
		    rep->has_now_ms ? rep->now_ms : timeutil_wall_ms(),
		    ctl_json(ctl));
	rpc_result_fini(&res);
	return rc;
}

static int
host_action(struct ctl *ctl, Au__V1__HostActionRequest *req, const char *verb)
{
	struct rpc_result        res = RPC_RESULT_INIT;
	Au__V1__HostActionReply *rep;
	char                     ctx[RPC_NAME_MAX + 32];
	int                      rc;

	snprintf(ctx, sizeof(ctx), "hosts %s %.64s", verb, req->hostname);
	if ((rc = ctl_call(ctl, &au__v1__admin_service__descriptor,
	         "HostAction", req, ctx, &res)) != CTL_EXIT_OK)
		return rc;
	rep = (Au__V1__HostActionReply *)res.reply;
	if (req->op == AU__V1__HOST_ACTION_REQUEST__OP__REMOVE &&
	    !ctl_json(ctl))
		printf("host %s: removed\n", req->hostname);
	else
		render_host_state(stdout, req->hostname,
		    rep->has_state ? rep->state
		                   : AU__V1__HOST_STATE__HOST_STATE_UNSPECIFIED,
		    ctl_json(ctl));
	rpc_result_fini(&res);
	return CTL_EXIT_OK;
}

static int
cmd_action(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	Au__V1__HostActionRequest  req = AU__V1__HOST_ACTION_REQUEST__INIT;
	static const struct option longopts[] = {{NULL, 0, NULL, 0}};

	if (getopt_long(argc, argv, "+", longopts, NULL) != -1 ||
	    argc - optind != 1)
		return ctl_usage(ctl, cmd, NULL);
	if (strcmp(argv[0], "accept") == 0)
		req.op = AU__V1__HOST_ACTION_REQUEST__OP__ACCEPT;
	else if (strcmp(argv[0], "reject") == 0)
		req.op = AU__V1__HOST_ACTION_REQUEST__OP__REJECT;
	else
		req.op = AU__V1__HOST_ACTION_REQUEST__OP__REMOVE;
	req.hostname = argv[optind];
	return host_action(ctl, &req, argv[0]);
}

/* PUBKEY: 64 hex digits, or a path to a .pub file. */
static enum au_status
read_pubkey(const char *text, uint8_t pk[SIG_PUBKEY_BYTES], struct au_err *err)
{
	if (strlen(text) == 2 * SIG_PUBKEY_BYTES &&
	    strspn(text, "0123456789abcdefABCDEF") == 2 * SIG_PUBKEY_BYTES)
		return sig_pubkey_parse(text, pk, err);
	return sig_pubkey_load(text, pk, err);
}

static int
cmd_add(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"key", required_argument, NULL, 'k'},
	    {NULL, 0, NULL, 0},
	};
	Au__V1__HostActionRequest req = AU__V1__HOST_ACTION_REQUEST__INIT;
	uint8_t                   pk[SIG_PUBKEY_BYTES];
	struct au_err             err = AU_ERR_INIT;
	const char               *key = NULL;
	int                       ch;

	/* Permute: --key may come before or after HOST. */
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch != 'k')
			return ctl_usage(ctl, cmd, NULL);
		key = optarg;
	}
	if (argc - optind != 1 || key == NULL)
		return ctl_usage(
		    ctl, cmd, key ? NULL : "hosts add: --key is required");
	if (read_pubkey(key, pk, &err) != AU_OK)
		return ctl_fail(ctl, "hosts add: key: %s", au_err_str(&err));
	req.op = AU__V1__HOST_ACTION_REQUEST__OP__ADD;
	req.hostname = argv[optind];
	req.has_pubkey = 1;
	req.pubkey.data = pk;
	req.pubkey.len = sizeof(pk);
	return host_action(ctl, &req, "add");
}
