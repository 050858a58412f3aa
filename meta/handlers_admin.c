/* SPDX-License-Identifier: MIT */
/*
 * handlers_admin: the admin service.  Rules (start, stop, remove), retry
 * tokens, host enrollment decisions, listings, fleet status, the audit log
 * and log verbosity; package upload
 * and listing go to blobs.  Every change is committed, then audited (who
 * = the caller's configured name), then answered.  Replies are built in a
 * per-call arena freed after the RPC layer has packed them.
 */
#include "handlers_admin.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "blobs.h"
#include "log.h"
#include "meta.h"
#include "rollout.h"
#include "timeutil.h"

#define ADMIN_SVC(s) (((struct meta_admin_service *)(s))->meta)

/* ------------------------------------------------------------ helpers */

static const char *
action_name(int action)
{
	switch (action) {
	case ROLLOUT_STOP:
		return "stop";
	case ROLLOUT_REMOVE:
		return "remove";
	}
	return "start";
}

static int
selector_empty(const Au__V1__Selector *s)
{
	return s == NULL || (s->n_hosts == 0 &&
	                        (s->prefix == NULL || s->prefix[0] == '\0') &&
	                        (!s->has_percent || s->percent == 0));
}

static enum au_status
selector_check(const Au__V1__Selector *s, struct au_err *err)
{
	size_t i;

	if (s == NULL)
		return AU_OK;
	if (s->n_hosts > 1000)
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "at most 1000 hosts per call");
	for (i = 0; i < s->n_hosts; i++)
		if (!inv_valid_hostname(s->hosts[i]))
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "bad hostname \"%.64s\"", s->hosts[i]);
	if (s->prefix != NULL && s->prefix[0] != '\0' &&
	    !inv_valid_hostname(s->prefix))
		return au_err_set(err, AU_INVALID_ARGUMENT, "bad prefix");
	if (s->has_percent && s->percent > 100)
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "percent must be 1 to 100");
	return AU_OK;
}

/* "hosts=a,b prefix=web- percent=5" or "default", into buf. */
static void
selector_text(const Au__V1__Selector *s, char *buf, size_t sz)
{
	size_t n = 0, i;

	buf[0] = '\0';
	if (selector_empty(s)) {
		snprintf(buf, sz, "default");
		return;
	}
	for (i = 0; i < s->n_hosts && n < sz; i++)
		n += (size_t)snprintf(buf + n, sz - n, "%s%s",
		    i == 0 ? "hosts=" : ",", s->hosts[i]);
	if (n < sz && s->prefix != NULL && s->prefix[0] != '\0')
		n += (size_t)snprintf(buf + n, sz - n, "%sprefix=%s",
		    n > 0 ? " " : "", s->prefix);
	if (n < sz && s->has_percent && s->percent > 0)
		snprintf(buf + n, sz - n, "%spercent=%" PRIu32,
		    n > 0 ? " " : "", s->percent);
}

/* ------------------------------------------------------------ rules */

/* Apply fn to each rule the selector names: (kind, match, percent). */
typedef enum au_status (*rule_op_fn)(struct meta *m, void *arg, int kind,
    const char *match, uint32_t percent, struct au_err *err);

static enum au_status
for_selector(struct meta *m, const Au__V1__Selector *s, rule_op_fn fn,
    void *arg, struct au_err *err)
{
	enum au_status code;
	size_t         i;

	if (selector_empty(s))
		return fn(m, arg, ROLLOUT_DEFAULT, "", 0, err);
	for (i = 0; i < s->n_hosts; i++)
		if ((code = fn(m, arg, ROLLOUT_HOST, s->hosts[i], 0, err)) !=
		    AU_OK)
			return code;
	if (s->prefix != NULL && s->prefix[0] != '\0' &&
	    (code = fn(m, arg, ROLLOUT_PREFIX, s->prefix, 0, err)) != AU_OK)
		return code;
	if (s->has_percent && s->percent > 0 &&
	    (code = fn(m, arg, ROLLOUT_PERCENT, "", s->percent, err)) != AU_OK)
		return code;
	return AU_OK;
}

struct set_op {
	const Au__V1__SetVersionRequest *in;
	const char                      *who;
	uint64_t                         now;
	uint32_t                         changed;
};

static enum au_status
set_one(struct meta *m, void *arg, int kind, const char *match,
    uint32_t percent, struct au_err *err)
{
	struct set_op    *op = arg;
	struct store_rule r = {op->in->agent, kind, match, percent,
	    op->in->version != NULL ? op->in->version : "", (int)op->in->action,
	    op->now, op->who};
	enum au_status    code;

	if ((code = inv_rule_set(m->inv, &r, err)) == AU_OK)
		op->changed++;
	return code;
}

static enum au_status
set_check(
    struct meta *m, const Au__V1__SetVersionRequest *in, struct au_err *err)
{
	uint8_t  hash[SIG_HASH_BYTES];
	uint64_t size;

	int any = in->version == NULL || in->version[0] == '\0';

	if (in->action != AU__V1__ACTION__START &&
	    in->action != AU__V1__ACTION__STOP &&
	    in->action != AU__V1__ACTION__REMOVE)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "action must be start, stop or remove");
	/* STOP may name no version (whatever is installed); REMOVE names
	 * none; START always names one. */
	if (!inv_valid_name(in->agent) ||
	    (!any && !inv_valid_name(in->version)) ||
	    (any && in->action == AU__V1__ACTION__START))
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "bad agent name or version");
	if (!any && in->action == AU__V1__ACTION__REMOVE)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "remove takes no version: it removes every version");
	if (selector_check(in->selector, err) != AU_OK)
		return err != NULL ? err->code : AU_INVALID_ARGUMENT;
	if (in->action == AU__V1__ACTION__START &&
	    blobs_lookup(m->blobs, in->agent, in->version, &size, hash) !=
	        AU_OK)
		return au_err_set(err, AU_FAILED_PRECONDITION,
		    "no package %s %s uploaded", in->agent, in->version);
	return AU_OK;
}

/* "set-version" "demo 7.0.0 start prefix=web-", "set-version" "demo stop
 * default" (no version), or "remove" "demo prefix=web-". */
static void
set_audit(struct meta *m, const Au__V1__SetVersionRequest *in, const char *who,
    const char *sel)
{
	char detail[700];

	if (in->action == AU__V1__ACTION__REMOVE) {
		snprintf(detail, sizeof(detail), "%s %s", in->agent, sel);
		meta_audit(m, who, "remove", detail, NULL);
		return;
	}
	if (in->version == NULL || in->version[0] == '\0')
		snprintf(detail, sizeof(detail), "%s %s %s", in->agent,
		    action_name((int)in->action), sel);
	else
		snprintf(detail, sizeof(detail), "%s %s %s %s", in->agent,
		    in->version, action_name((int)in->action), sel);
	meta_audit(m, who, "set-version", detail, NULL);
}

static void
admin_set_version(Au__V1__AdminService_Service *svc,
    const Au__V1__SetVersionRequest            *in,
    Au__V1__SetVersionReply_Closure closure, void *cd)
{
	struct meta            *m = ADMIN_SVC(svc);
	Au__V1__SetVersionReply out = AU__V1__SET_VERSION_REPLY__INIT;
	struct set_op           op = {
	              in, rpc_call_caller(cd)->name, timeutil_wall_ms(), 0};
	struct au_err err = AU_ERR_INIT;
	char          sel[512];

	if (set_check(m, in, &err) == AU_OK)
		for_selector(m, in->selector, set_one, &op, &err);
	selector_text(in->selector, sel, sizeof(sel));
	if (op.changed > 0)
		set_audit(m, in, op.who, sel);
	out.has_rules_changed = 1;
	out.rules_changed = op.changed;
	meta_reply(cd, (ProtobufCClosure)closure, &out, &err);
}

struct unset_op {
	const char *agent;
	uint32_t    removed;
};

static enum au_status
unset_one(struct meta *m, void *arg, int kind, const char *match,
    uint32_t percent, struct au_err *err)
{
	struct unset_op *op = arg;
	int              removed = 0;
	enum au_status   code;

	(void)percent;
	code = inv_rule_unset(m->inv, op->agent, kind, match, &removed, err);
	op->removed += (uint32_t)removed;
	return code;
}

static void
admin_unset(Au__V1__AdminService_Service *svc, const Au__V1__UnsetRequest *in,
    Au__V1__UnsetReply_Closure closure, void *cd)
{
	struct meta       *m = ADMIN_SVC(svc);
	Au__V1__UnsetReply out = AU__V1__UNSET_REPLY__INIT;
	struct unset_op    op = {in->agent, 0};
	struct au_err      err = AU_ERR_INIT;
	char               sel[512], detail[600];

	if (!inv_valid_name(in->agent))
		au_err_set(&err, AU_INVALID_ARGUMENT, "bad agent name");
	else if (selector_check(in->selector, &err) == AU_OK)
		for_selector(m, in->selector, unset_one, &op, &err);
	selector_text(in->selector, sel, sizeof(sel));
	if (op.removed > 0) {
		snprintf(detail, sizeof(detail), "%s %s", in->agent, sel);
		meta_audit(m, rpc_call_caller(cd)->name, "unset", detail, NULL);
	} else if (err.code == AU_OK) {
		au_err_set(
		    &err, AU_NOT_FOUND, "no rule for %s %s", in->agent, sel);
	}
	out.has_rules_removed = 1;
	out.rules_removed = op.removed;
	meta_reply(cd, (ProtobufCClosure)closure, &out, &err);
}

/* ------------------------------------------------------------ retry */

/* Check a Retry and turn it into rq (borrowing in's strings). */
static enum au_status
retry_check(const Au__V1__RetryRequest *in, struct inv_retry_req *rq,
    struct au_err *err)
{
	const Au__V1__Selector *s = in->selector;

	memset(rq, 0, sizeof(*rq));
	if (!inv_valid_name(in->agent))
		return au_err_set(err, AU_INVALID_ARGUMENT, "bad agent name");
	rq->agent = in->agent;
	rq->failed = in->has_failed && in->failed;
	if (s == NULL)
		return AU_OK;
	if (rq->failed)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "retry: --failed takes no host or prefix");
	if (s->has_percent)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "retry: by host or prefix, not by percent");
	/* An empty selector must never mean every host. */
	if (selector_empty(s) || (s->prefix != NULL && s->prefix[0] == '\0'))
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "retry: empty host or prefix");
	if (selector_check(s, err) != AU_OK)
		return err != NULL ? err->code : AU_INVALID_ARGUMENT;
	rq->hosts = (const char *const *)s->hosts;
	rq->nhosts = s->n_hosts;
	rq->prefix = s->prefix;
	return AU_OK;
}

void
admin_retry(Au__V1__AdminService_Service *svc, const Au__V1__RetryRequest *in,
    Au__V1__RetryReply_Closure closure, void *cd)
{
	struct meta         *m = ADMIN_SVC(svc);
	Au__V1__RetryReply   out = AU__V1__RETRY_REPLY__INIT;
	struct inv_retry_req rq;
	struct inv_policy    pol;
	struct au_err        err = AU_ERR_INIT;
	char                 sel[512], detail[600];
	uint32_t             hosts = 0;

	if (retry_check(in, &rq, &err) != AU_OK) {
		meta_reply(cd, (ProtobufCClosure)closure, NULL, &err);
		return;
	}
	meta_policy(m, &pol, NULL);
	if (inv_retry(m->inv, &rq, &pol, timeutil_wall_ms(), &out.token, &hosts,
	        &err) != AU_OK) {
		meta_reply(cd, (ProtobufCClosure)closure, NULL, &err);
		return;
	}
	if (rq.failed)
		snprintf(detail, sizeof(detail),
		    "%s failed (%" PRIu32 " host%s)", in->agent, hosts,
		    hosts == 1 ? "" : "s");
	else {
		selector_text(in->selector, sel, sizeof(sel));
		snprintf(detail, sizeof(detail), "%s %s", in->agent, sel);
	}
	meta_audit(m, rpc_call_caller(cd)->name, "retry", detail, NULL);
	log_info("agent %s: retry token %" PRIu64 " (%s)", in->agent, out.token,
	    detail + strlen(in->agent) + 1);
	out.has_token = 1;
	out.has_hosts = 1;
	out.hosts = hosts;
	closure(&out, cd);
}

/* ------------------------------------------------------------ hosts */

static enum au_status
host_op(struct meta *m, const Au__V1__HostActionRequest *in, int *state,
    struct au_err *err)
{
	uint64_t now = timeutil_wall_ms();

	switch (in->op) {
	case AU__V1__HOST_ACTION_REQUEST__OP__ACCEPT:
		*state = STORE_HOST_ACCEPTED;
		return inv_host_set_state(m->inv, in->hostname, *state, err);
	case AU__V1__HOST_ACTION_REQUEST__OP__REJECT:
		*state = STORE_HOST_REJECTED;
		return inv_host_set_state(m->inv, in->hostname, *state, err);
	case AU__V1__HOST_ACTION_REQUEST__OP__REMOVE:
		*state = 0;
		return inv_host_remove(m->inv, in->hostname, err);
	case AU__V1__HOST_ACTION_REQUEST__OP__ADD:
		*state = STORE_HOST_ACCEPTED;
		if (!in->has_pubkey || in->pubkey.len != SIG_PUBKEY_BYTES)
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "add: a 32-byte public key is required");
		return inv_host_add(
		    m->inv, in->hostname, in->pubkey.data, now, err);
	default:
		return au_err_set(err, AU_INVALID_ARGUMENT, "unknown op");
	}
}

static const char *const op_names[] = {
    "?", "accept", "reject", "remove", "add"};

static void
admin_host_action(Au__V1__AdminService_Service *svc,
    const Au__V1__HostActionRequest            *in,
    Au__V1__HostActionReply_Closure closure, void *cd)
{
	struct meta            *m = ADMIN_SVC(svc);
	Au__V1__HostActionReply out = AU__V1__HOST_ACTION_REPLY__INIT;
	struct au_err           err = AU_ERR_INIT;
	char                    detail[400], kid[SIG_KEYID_HEX_BYTES] = "";
	int                     state = 0;

	if (!inv_valid_hostname(in->hostname))
		au_err_set(&err, AU_INVALID_ARGUMENT, "bad hostname");
	else
		host_op(m, in, &state, &err);
	if (err.code != AU_OK) {
		meta_reply(cd, (ProtobufCClosure)closure, NULL, &err);
		return;
	}
	if (in->op == AU__V1__HOST_ACTION_REQUEST__OP__ADD)
		sig_key_id(in->pubkey.data, kid);
	snprintf(detail, sizeof(detail), "%s%s%s", in->hostname,
	    kid[0] != '\0' ? " key " : "", kid);
	meta_audit(m, rpc_call_caller(cd)->name,
	    in->op <= 4 ? op_names[in->op] : "?", detail, NULL);
	if (state != 0) {
		out.has_state = 1;
		out.state = (Au__V1__HostState)state;
	}
	closure(&out, cd);
}

/* ------------------------------------------------------------ log */

static void
admin_log_verbose(Au__V1__AdminService_Service *svc,
    const Au__V1__LogVerboseRequest            *in,
    Au__V1__LogVerboseReply_Closure closure, void *cd)
{
	struct meta            *m = ADMIN_SVC(svc);
	Au__V1__LogVerboseReply out = AU__V1__LOG_VERBOSE_REPLY__INIT;
	struct au_err           err = AU_ERR_INIT;
	char                    detail[32];

	if (in->verbose < 0 || in->verbose > 9) {
		au_err_set(&err, AU_INVALID_ARGUMENT, "verbose must be 0..9");
		meta_reply(cd, (ProtobufCClosure)closure, NULL, &err);
		return;
	}
	out.has_previous = 1;
	out.previous = log_setverbose(in->verbose);
	snprintf(detail, sizeof(detail), "%d", (int)in->verbose);
	meta_audit(m, rpc_call_caller(cd)->name, "log-verbose", detail, NULL);
	closure(&out, cd);
}

/* ------------------------------------------------------------ packages */

static void
admin_upload_package(Au__V1__AdminService_Service *svc,
    const Au__V1__UploadPackageRequest            *in,
    Au__V1__UploadPackageReply_Closure closure, void *cd)
{
	blobs_handle_upload(ADMIN_SVC(svc)->blobs, in, closure, cd);
}

static void
admin_list_packages(Au__V1__AdminService_Service *svc,
    const Au__V1__ListPackagesRequest            *in,
    Au__V1__ListPackagesReply_Closure closure, void *cd)
{
	blobs_handle_list(ADMIN_SVC(svc)->blobs, in, closure, cd);
}

void
meta_admin_service_init(struct meta_admin_service *svc, struct meta *m)
{
	Au__V1__AdminService_Service init = AU__V1__ADMIN_SERVICE__INIT(admin_);

	svc->base = init;
	svc->meta = m;
}
