/* SPDX-License-Identifier: MIT */
/*
 * upstream: HostService calls over the rpc client.
 */
#include "upstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au.pb-c.h"
#include "log.h"
#include "manifest.h"

static ProtobufCService *host_service(struct rpc_client *c);
static void              take_desired(
                 const Au__V1__HeartbeatReply *rep, struct upstream_reply *out);
static int  valid_desired(const Au__V1__DesiredAgent *d);
static void agent_status(const struct scan_agent *a, Au__V1__AgentStatus *st);
static enum au_status source_get(void *arg, const char *agent,
    const char *version, uint64_t offset, uint32_t len,
    struct fetch_chunk *chunk, struct au_err *err);
static void           source_release(void *arg);

static ProtobufCService *
host_service(struct rpc_client *c)
{
	return rpc_client_service(c, &au__v1__host_service__descriptor);
}

/* A version, or "" with STOP or REMOVE (whatever is installed). */
static int
valid_desired(const Au__V1__DesiredAgent *d)
{
	if (manifest_check_name(d->name, NULL) != AU_OK)
		return 0;
	switch (d->action) {
	case AU__V1__ACTION__STOP:
	case AU__V1__ACTION__REMOVE:
		if (d->version[0] == '\0')
			return 1;
		/* FALLTHROUGH */
	case AU__V1__ACTION__START:
		return manifest_check_version(d->version, NULL) == AU_OK;
	default:
		return 0;
	}
}

static void
take_desired(const Au__V1__HeartbeatReply *rep, struct upstream_reply *out)
{
	const Au__V1__DesiredAgent *d;
	struct upstream_desired    *o;
	size_t                      i;

	out->state = (enum upstream_host_state)rep->state;
	out->interval_s = rep->has_interval_s ? rep->interval_s : 0;
	out->n = 0;
	for (i = 0; i < rep->n_agents && out->n < UPSTREAM_DESIRED_MAX; i++) {
		d = rep->agents[i];
		if (!valid_desired(d)) {
			log_warnx("meta: ignoring a desired state with a bad "
			          "agent, version or action");
			continue;
		}
		o = &out->agents[out->n++];
		snprintf(o->name, sizeof(o->name), "%s", d->name);
		snprintf(o->version, sizeof(o->version), "%s", d->version);
		o->action = (enum report_action)d->action;
		o->size = d->has_size ? d->size : 0;
		o->retry = d->has_retry ? d->retry : 0;
	}
}

/* st borrows a's strings; empty optional ones stay absent. */
static void
agent_status(const struct scan_agent *a, Au__V1__AgentStatus *st)
{
	au__v1__agent_status__init(st);
	st->name = (char *)(uintptr_t)a->name;
	st->version = (char *)(uintptr_t)a->version;
	st->status = (char *)(uintptr_t)a->status;
	st->last_error = (char *)(uintptr_t)a->last_error;
	if (a->failed_version[0] != '\0') {
		st->failed_version = (char *)(uintptr_t)a->failed_version;
		st->failed_step = (char *)(uintptr_t)a->failed_step;
	}
	st->has_crashes = a->crashes > 0;
	st->crashes = a->crashes;
	if (a->probation[0] != '\0')
		st->probation = (char *)(uintptr_t)a->probation;
}

enum au_status
upstream_heartbeat(struct rpc_client *c, const char *hostname,
    const struct scan_agent *agents, size_t n, struct upstream_reply *out,
    uint32_t *retry_after_ms, struct au_err *err)
{
	Au__V1__HeartbeatRequest req = AU__V1__HEARTBEAT_REQUEST__INIT;
	Au__V1__AgentStatus     *st = NULL, **stp = NULL;
	struct rpc_result        res = RPC_RESULT_INIT;
	enum au_status           status;
	size_t                   i;

	*retry_after_ms = 0;
	if (n > 0 && ((st = calloc(n, sizeof(*st))) == NULL ||
	                 (stp = calloc(n, sizeof(*stp))) == NULL)) {
		free(st);
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	}
	for (i = 0; i < n; i++) {
		agent_status(&agents[i], &st[i]);
		stp[i] = &st[i];
	}
	req.hostname = (char *)(uintptr_t)hostname;
	req.updater_version = (char *)(uintptr_t)AU_VERSION;
	req.n_agents = n;
	req.agents = stp;
	au__v1__host_service__heartbeat(host_service(c), &req, NULL, &res);
	free(stp);
	free(st);
	if (res.status == AU_OK)
		take_desired((const Au__V1__HeartbeatReply *)res.reply, out);
	else {
		*retry_after_ms = res.retry_after_ms;
		au_err_set(
		    err, res.status, "heartbeat: %s", au_err_str(&res.err));
	}
	status = res.status;
	rpc_result_fini(&res);
	return status;
}

enum au_status
upstream_reply_unpack(const uint8_t *buf, size_t len,
    struct upstream_reply *out, struct au_err *err)
{
	Au__V1__HeartbeatReply *rep;

	if ((rep = au__v1__heartbeat_reply__unpack(NULL, len, buf)) == NULL)
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "bad heartbeat reply");
	take_desired(rep, out);
	au__v1__heartbeat_reply__free_unpacked(rep, NULL);
	return AU_OK;
}

enum au_status
upstream_report(struct rpc_client *c, const char *hostname,
    const struct report *r, struct au_err *err)
{
	Au__V1__ReportRequest req = AU__V1__REPORT_REQUEST__INIT;
	struct rpc_result     res = RPC_RESULT_INIT;
	enum au_status        st;

	report_to_wire(r, hostname, &req);
	au__v1__host_service__report(host_service(c), &req, NULL, &res);
	if ((st = res.status) != AU_OK)
		au_err_set(
		    err, st, "report %s: %s", r->id, au_err_str(&res.err));
	rpc_result_fini(&res);
	return st;
}

static enum au_status
source_get(void *arg, const char *agent, const char *version, uint64_t offset,
    uint32_t len, struct fetch_chunk *chunk, struct au_err *err)
{
	struct upstream_source_state  *s = arg;
	Au__V1__GetPackageRequest      req = AU__V1__GET_PACKAGE_REQUEST__INIT;
	const Au__V1__GetPackageReply *rep;
	enum au_status                 st;

	rpc_result_fini(&s->res);
	req.agent = (char *)(uintptr_t)agent;
	req.version = (char *)(uintptr_t)version;
	req.offset = offset;
	req.length = len;
	au__v1__host_service__get_package(
	    host_service(s->client), &req, NULL, &s->res);
	if ((st = s->res.status) != AU_OK) {
		chunk->retry_after_ms = s->res.retry_after_ms;
		return au_err_set(err, st, "%s", au_err_str(&s->res.err));
	}
	rep = (const Au__V1__GetPackageReply *)s->res.reply;
	chunk->manifest = rep->manifest.data;
	chunk->manifest_len = rep->manifest.len;
	chunk->size = rep->size;
	chunk->offset = rep->offset;
	chunk->data = rep->data.data;
	chunk->len = rep->data.len;
	return AU_OK;
}

static void
source_release(void *arg)
{
	struct upstream_source_state *s = arg;

	rpc_result_fini(&s->res);
}

void
upstream_source(struct upstream_source_state *state, struct rpc_client *c,
    struct fetch_source *src)
{
	struct rpc_result init = RPC_RESULT_INIT;

	state->client = c;
	state->res = init;
	src->get = source_get;
	src->release = source_release;
	src->arg = state;
}
