/* SPDX-License-Identifier: MIT */
/*
 * handlers_admin: the admin service.  Rules, host enrollment decisions,
 * listings, fleet status, the audit log and log verbosity; package upload
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
	return action == ROLLOUT_STOP ? "stop" : "start";
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
	    op->in->version, (int)op->in->action, op->now, op->who};
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

	if (!inv_valid_name(in->agent) || !inv_valid_name(in->version))
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "bad agent name or version");
	if (in->action != AU__V1__ACTION__START &&
	    in->action != AU__V1__ACTION__STOP)
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "action must be start or stop");
	if (selector_check(in->selector, err) != AU_OK)
		return err != NULL ? err->code : AU_INVALID_ARGUMENT;
	if (in->action == AU__V1__ACTION__START &&
	    blobs_lookup(m->blobs, in->agent, in->version, &size, hash) !=
	        AU_OK)
		return au_err_set(err, AU_FAILED_PRECONDITION,
		    "no package %s %s uploaded", in->agent, in->version);
	return AU_OK;
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
	char          sel[512], detail[700];

	if (set_check(m, in, &err) == AU_OK)
		for_selector(m, in->selector, set_one, &op, &err);
	selector_text(in->selector, sel, sizeof(sel));
	if (op.changed > 0) {
		snprintf(detail, sizeof(detail), "%s %s %s %s", in->agent,
		    in->version, action_name((int)in->action), sel);
		meta_audit(m, op.who, "set-version", detail, NULL);
	}
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
