/* SPDX-License-Identifier: MIT */
/*
 * handlers_host: the host service (Ping, Heartbeat, GetPackage, Report).
 * Each handler checks that the calling key speaks for the hostname in the
 * request, turns the request into inventory calls and fills the reply the
 * RPC layer packs.  See meta.h for the heartbeat semantics.
 */
#include <stdlib.h>
#include <string.h>

#include "blobs.h"
#include "log.h"
#include "meta.h"
#include "timeutil.h"

#define HOST_SVC(s) (((struct meta_host_service *)(s))->meta)

static void
host_ping(Au__V1__HostService_Service *svc, const Au__V1__PingRequest *in,
    Au__V1__PingReply_Closure closure, void *cd)
{
	const struct au_principal *who = rpc_call_caller(cd);
	Au__V1__PingReply          out = AU__V1__PING_REPLY__INIT;

	(void)svc;
	(void)in;
	out.server_version = AU_VERSION;
	out.server_time_ms = timeutil_wall_ms();
	out.protocol = RPC_PROTOCOL_VERSION;
	out.caller_name = (char *)(uintptr_t)who->name;
	out.caller_role = (char *)(uintptr_t)au_role_name(who->role);
	closure(&out, cd);
}

/* The request's agents as store_agents; AU_INVALID_ARGUMENT past the cap. */
static enum au_status
hb_agents(const Au__V1__HeartbeatRequest *in, struct store_agent *a,
    struct au_err *err)
{
	size_t i;

	if (in->n_agents > INV_MAX_AGENTS)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "heartbeat: more than %d agents", INV_MAX_AGENTS);
	for (i = 0; i < in->n_agents; i++) {
		a[i].name = in->agents[i]->name;
		a[i].version = in->agents[i]->version;
		a[i].status = in->agents[i]->status;
		a[i].last_error = in->agents[i]->last_error;
	}
	return AU_OK;
}

struct hb_reply {
	Au__V1__HeartbeatReply out;
	Au__V1__DesiredAgent   agents[INV_MAX_AGENTS];
	Au__V1__DesiredAgent  *ptrs[INV_MAX_AGENTS];
	uint8_t                hash[INV_MAX_AGENTS][SIG_HASH_BYTES];
};

static void
hb_fill(
    struct meta *m, struct hb_reply *r, const struct inv_desired *d, size_t nd)
{
	size_t i;

	for (i = 0; i < nd; i++) {
		Au__V1__DesiredAgent *a = &r->agents[i];

		au__v1__desired_agent__init(a);
		a->name = (char *)(uintptr_t)d[i].name;
		a->version = (char *)(uintptr_t)d[i].version;
		a->action = (Au__V1__Action)d[i].action;
		if (blobs_lookup(m->blobs, d[i].name, d[i].version, &a->size,
		        r->hash[i]) == AU_OK) {
			a->has_size = 1;
			a->has_hash = 1;
			a->hash.data = r->hash[i];
			a->hash.len = SIG_HASH_BYTES;
		}
		r->ptrs[i] = a;
	}
	r->out.n_agents = nd;
	r->out.agents = r->ptrs;
}

static void
host_heartbeat(Au__V1__HostService_Service *svc,
    const Au__V1__HeartbeatRequest *in, Au__V1__HeartbeatReply_Closure closure,
    void *cd)
{
	struct meta               *m = HOST_SVC(svc);
	const struct au_principal *who = rpc_call_caller(cd);
	struct store_agent         agents[INV_MAX_AGENTS];
	struct inv_desired         desired[INV_MAX_AGENTS];
	struct inv_policy          pol;
	struct hb_reply           *r;
	struct au_err              err = AU_ERR_INIT;
	size_t                     nd = 0;
	uint32_t                   interval;
	int                        state = 0;

	meta_policy(m, &pol, &interval);
	if (hb_agents(in, agents, &err) != AU_OK ||
	    inv_heartbeat(m->inv, who->pubkey, in->hostname,
	        in->updater_version, agents, in->n_agents, &pol,
	        timeutil_wall_ms(), &state, desired, &nd, &err) != AU_OK) {
		if (err.code != AU_PERMISSION_DENIED)
			log_warnx("key %s: %s", who->key_id, au_err_str(&err));
		meta_reply(cd, (ProtobufCClosure)closure, NULL, &err);
		return;
	}
	if ((r = malloc(sizeof(*r))) == NULL) {
		au_err_set(&err, AU_RESOURCE_EXHAUSTED, "out of memory");
		meta_reply(cd, (ProtobufCClosure)closure, NULL, &err);
		return;
	}
	au__v1__heartbeat_reply__init(&r->out);
	r->out.state = (Au__V1__HostState)state;
	r->out.has_interval_s = 1;
	r->out.interval_s = interval;
	hb_fill(m, r, desired, nd);
	closure(&r->out, cd);
	free(r);
}

static void
host_get_package(Au__V1__HostService_Service *svc,
    const Au__V1__GetPackageRequest          *in,
    Au__V1__GetPackageReply_Closure closure, void *cd)
{
	struct meta               *m = HOST_SVC(svc);
	const struct au_principal *who = rpc_call_caller(cd);
	struct au_err              err = AU_ERR_INIT;

	if (inv_host_check(m->inv, who->pubkey, NULL, &err) != AU_OK) {
		meta_reply(cd, (ProtobufCClosure)closure, NULL, &err);
		return;
	}
	blobs_handle_get(m->blobs, in, closure, cd);
}

static void
report_from(const Au__V1__ReportRequest *in, struct store_report *r)
{
	memset(r, 0, sizeof(*r));
	r->hostname = in->hostname;
	r->report_id = in->report_id;
	r->agent = in->agent;
	r->version = in->version;
	r->from_version = in->from_version;
	r->outcome = (int)in->outcome;
	r->action = in->has_action ? (int)in->action : 0;
	r->step = in->step;
	r->has_exit_code = in->has_exit_code;
	r->exit_code = in->exit_code;
	r->output_tail = in->output_tail;
	r->duration_ms = in->has_duration_ms ? in->duration_ms : 0;
	r->message = in->message;
	r->time_ms = in->has_time_ms ? in->time_ms : 0;
	r->received_ms = timeutil_wall_ms();
}

/* Bounds on what a report may carry. */
static enum au_status
report_check(const Au__V1__ReportRequest *in, struct au_err *err)
{
	if ((in->output_tail != NULL && strlen(in->output_tail) > 16384) ||
	    (in->message != NULL && strlen(in->message) > 4096) ||
	    (in->step != NULL && strlen(in->step) > 64) ||
	    (in->version != NULL && strlen(in->version) > INV_NAME_MAX) ||
	    (in->from_version != NULL &&
	        strlen(in->from_version) > INV_NAME_MAX))
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "report: a field is too long");
	if (in->outcome < AU__V1__OUTCOME__OUTCOME_OK ||
	    in->outcome > AU__V1__OUTCOME__OUTCOME_CRASHED)
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "report: no outcome");
	return AU_OK;
}

static void
host_report(Au__V1__HostService_Service *svc, const Au__V1__ReportRequest *in,
    Au__V1__ReportReply_Closure closure, void *cd)
{
	struct meta               *m = HOST_SVC(svc);
	const struct au_principal *who = rpc_call_caller(cd);
	Au__V1__ReportReply        out = AU__V1__REPORT_REPLY__INIT;
	struct store_report        r;
	struct au_err              err = AU_ERR_INIT;
	int                        dup = 0;

	if (inv_host_check(m->inv, who->pubkey, in->hostname, &err) != AU_OK ||
	    report_check(in, &err) != AU_OK) {
		meta_reply(cd, (ProtobufCClosure)closure, NULL, &err);
		return;
	}
	report_from(in, &r);
	if (inv_report(m->inv, &r, &dup, &err) != AU_OK) {
		log_warnx("host %s: report %s: %s", in->hostname, in->report_id,
		    au_err_str(&err));
		meta_reply(cd, (ProtobufCClosure)closure, NULL, &err);
		return;
	}
	if (!dup && r.outcome != AU__V1__OUTCOME__OUTCOME_OK)
		log_warnx("host %s: agent %s %s: %s at %s", in->hostname,
		    in->agent, in->version != NULL ? in->version : "?",
		    r.outcome == AU__V1__OUTCOME__OUTCOME_ROLLED_BACK
		        ? "AU-ROLLBACK rolled back"
		        : "AU-INSTALL-FAIL failed",
		    in->step != NULL ? in->step : "?");
	out.has_duplicate = 1;
	out.duplicate = dup;
	closure(&out, cd);
}

void
meta_host_service_init(struct meta_host_service *svc, struct meta *m)
{
	Au__V1__HostService_Service init = AU__V1__HOST_SERVICE__INIT(host_);

	svc->base = init;
	svc->meta = m;
}
