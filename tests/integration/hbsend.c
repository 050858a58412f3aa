/* SPDX-License-Identifier: MIT */
/*
 * hbsend: a real host client for integration tests.  Sends one Heartbeat
 * (and optionally one Report) to meta over mutual TLS with the host's own
 * ed25519 identity, through the same rpc client the updater uses, and
 * prints meta's answer:
 *
 *	state accepted
 *	desired nodex 1.4.2 start
 *
 * usage: hbsend -u URL -a CA -c CERT -k KEY -i IDENTITY [-n SERVER_NAME]
 *	      [-r AGENT:VERSION:OUTCOME:STEP:EXIT:MESSAGE] [-R REPORT_ID]
 *	      -H HOSTNAME [AGENT=VERSION/STATUS]...
 *
 * IDENTITY is created (with IDENTITY.pub beside it) when it does not
 * exist.  OUTCOME is ok, failed or rolled-back.  Exit 0 when every call
 * succeeded, 1 with "hbsend: <call>: <STATUS_NAME>: <message>" otherwise,
 * 2 for usage errors.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "au.pb-c.h"
#include "rpc.h"
#include "sig.h"

#define HB_MAX_AGENTS 16

struct opts {
	struct rpc_client_conf cc;
	const char            *identity;
	char                  *report;
	char                  *report_id;
	char                  *hostname;
	char                 **agents;
	int                    nagents;
};

static void
usage(void)
{
	fputs("usage: hbsend -u URL -a CA -c CERT -k KEY -i IDENTITY "
	      "[-n SERVER_NAME]\n"
	      "              [-r AGENT:VERSION:OUTCOME:STEP:EXIT:MESSAGE] "
	      "[-R REPORT_ID]\n"
	      "              -H HOSTNAME [AGENT=VERSION/STATUS]...\n",
	    stderr);
	exit(2);
}

static int
fail(const char *call, const struct rpc_result *res)
{
	fprintf(stderr, "hbsend: %s: %s: %s\n", call,
	    au_status_name(res->status), au_err_str(&res->err));
	return 1;
}

/* Load the identity, or make one (and its .pub) when there is none. */
static enum au_status
identity(const char *path, uint8_t sk[SIG_SECKEY_BYTES], struct au_err *err)
{
	uint8_t pk[SIG_PUBKEY_BYTES];
	char    pub[1024];

	if (access(path, F_OK) == 0)
		return sig_seckey_load(path, sk, err);
	sig_keypair(pk, sk);
	snprintf(pub, sizeof(pub), "%s.pub", path);
	if (sig_seckey_save(path, sk, err) != AU_OK)
		return err->code;
	return sig_pubkey_save(pub, pk, err);
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	int ch;

	while ((ch = getopt(argc, argv, "u:a:c:k:i:n:r:R:H:")) != -1) {
		switch (ch) {
		case 'u':
			o->cc.url = optarg;
			break;
		case 'a':
			o->cc.ca_file = optarg;
			break;
		case 'c':
			o->cc.cert_file = optarg;
			break;
		case 'k':
			o->cc.key_file = optarg;
			break;
		case 'i':
			o->identity = optarg;
			break;
		case 'n':
			o->cc.server_name = optarg;
			break;
		case 'r':
			o->report = optarg;
			break;
		case 'R':
			o->report_id = optarg;
			break;
		case 'H':
			o->hostname = optarg;
			break;
		default:
			usage();
		}
	}
	if (o->cc.url == NULL || o->identity == NULL || o->hostname == NULL ||
	    argc - optind > HB_MAX_AGENTS)
		usage();
	o->agents = argv + optind;
	o->nagents = argc - optind;
}

/* "nodex=1.4.2/started" (the text is split in place). */
static void
parse_agent(char *text, Au__V1__AgentStatus *a)
{
	char *eq = strchr(text, '='), *slash;

	if (eq == NULL)
		usage();
	*eq = '\0';
	a->name = text;
	a->version = eq + 1;
	if ((slash = strchr(a->version, '/')) != NULL) {
		*slash = '\0';
		a->status = slash + 1;
	}
}

static int
heartbeat(struct rpc_client *c, const struct opts *o)
{
	Au__V1__HeartbeatRequest req = AU__V1__HEARTBEAT_REQUEST__INIT;
	Au__V1__AgentStatus      as[HB_MAX_AGENTS], *ap[HB_MAX_AGENTS];
	struct rpc_result        res = RPC_RESULT_INIT;
	Au__V1__HeartbeatReply  *rep;
	int                      rc = 0;

	for (int i = 0; i < o->nagents; i++) {
		Au__V1__AgentStatus init = AU__V1__AGENT_STATUS__INIT;

		as[i] = init;
		parse_agent(o->agents[i], &as[i]);
		ap[i] = &as[i];
	}
	req.hostname = o->hostname;
	req.updater_version = "hbsend";
	req.n_agents = (size_t)o->nagents;
	req.agents = ap;
	au__v1__host_service__heartbeat(
	    rpc_client_service(c, &au__v1__host_service__descriptor), &req,
	    NULL, &res);
	if (res.status != AU_OK) {
		rc = fail("heartbeat", &res);
	} else {
		rep = (Au__V1__HeartbeatReply *)res.reply;
		printf("state %s\n",
		    rep->state == AU__V1__HOST_STATE__ACCEPTED   ? "accepted"
		    : rep->state == AU__V1__HOST_STATE__PENDING  ? "pending"
		    : rep->state == AU__V1__HOST_STATE__REJECTED ? "rejected"
		                                                 : "unknown");
		for (size_t i = 0; i < rep->n_agents; i++)
			printf("desired %s %s %s\n", rep->agents[i]->name,
			    rep->agents[i]->version,
			    rep->agents[i]->action == AU__V1__ACTION__STOP
			        ? "stop"
			        : "start");
	}
	rpc_result_fini(&res);
	return rc;
}

static Au__V1__Outcome
outcome(const char *s)
{
	if (strcmp(s, "ok") == 0)
		return AU__V1__OUTCOME__OUTCOME_OK;
	if (strcmp(s, "failed") == 0)
		return AU__V1__OUTCOME__OUTCOME_FAILED;
	if (strcmp(s, "rolled-back") == 0)
		return AU__V1__OUTCOME__OUTCOME_ROLLED_BACK;
	usage();
	return AU__V1__OUTCOME__OUTCOME_UNSPECIFIED;
}

static int
report(struct rpc_client *c, const struct opts *o)
{
	Au__V1__ReportRequest req = AU__V1__REPORT_REQUEST__INIT;
	struct rpc_result     res = RPC_RESULT_INIT;
	char                 *f[6], *save = NULL, id[64];
	struct timespec       ts;
	int                   rc = 0;

	for (int i = 0; i < 6; i++)
		if ((f[i] = strtok_r(i ? NULL : o->report, ":", &save)) == NULL)
			usage();
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(id, sizeof(id), "hbsend-%lld-%ld", (long long)ts.tv_sec,
	    ts.tv_nsec);
	req.hostname = o->hostname;
	req.report_id = o->report_id ? o->report_id : id;
	req.agent = f[0];
	req.version = f[1];
	req.outcome = outcome(f[2]);
	req.step = f[3];
	req.has_exit_code = 1;
	req.exit_code = atoi(f[4]);
	req.output_tail = f[5];
	req.message = f[5];
	req.has_time_ms = 1;
	req.time_ms =
	    (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	req.has_action = 1;
	req.action = AU__V1__ACTION__START;
	au__v1__host_service__report(
	    rpc_client_service(c, &au__v1__host_service__descriptor), &req,
	    NULL, &res);
	if (res.status != AU_OK)
		rc = fail("report", &res);
	else
		printf("report %s%s\n", req.report_id,
		    ((Au__V1__ReportReply *)res.reply)->duplicate ? " duplicate"
		                                                  : "");
	rpc_result_fini(&res);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts        o = {0};
	struct au_err      err = AU_ERR_INIT;
	struct rpc_client *c = NULL;
	int                rc;

	parse_args(argc, argv, &o);
	signal(SIGPIPE, SIG_IGN); /* as every rpc program (rpc.h) */
	if (sig_init() != AU_OK)
		return 1;
	if (identity(o.identity, o.cc.identity_sk, &err) != AU_OK ||
	    rpc_client_new(&o.cc, &c, &err) != AU_OK) {
		sig_memzero(o.cc.identity_sk, sizeof(o.cc.identity_sk));
		fprintf(stderr, "hbsend: %s\n", au_err_str(&err));
		return 1;
	}
	sig_memzero(o.cc.identity_sk, sizeof(o.cc.identity_sk));
	rc = heartbeat(c, &o);
	if (rc == 0 && o.report != NULL)
		rc = report(c, &o);
	rpc_client_free(c);
	return rc;
}
