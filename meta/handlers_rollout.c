/* SPDX-License-Identifier: MIT */
/*
 * handlers_rollout: the admin service's phased rollouts (RolloutStart,
 * RolloutStatus, RolloutControl).  Not implemented yet: each answers
 * UNIMPLEMENTED.
 */
#include "handlers_admin.h"
#include "meta.h"

static void
unimplemented(void *cd, ProtobufCClosure closure, const char *what)
{
	struct au_err err = AU_ERR_INIT;

	au_err_set(&err, AU_UNIMPLEMENTED, "%s: not implemented yet", what);
	meta_reply(cd, closure, NULL, &err);
}

void
admin_rollout_start(Au__V1__AdminService_Service *svc,
    const Au__V1__RolloutStartRequest            *in,
    Au__V1__RolloutStartReply_Closure closure, void *cd)
{
	(void)svc;
	(void)in;
	unimplemented(cd, (ProtobufCClosure)closure, "rollout start");
}

void
admin_rollout_status(Au__V1__AdminService_Service *svc,
    const Au__V1__RolloutStatusRequest            *in,
    Au__V1__RolloutStatusReply_Closure closure, void *cd)
{
	(void)svc;
	(void)in;
	unimplemented(cd, (ProtobufCClosure)closure, "rollout status");
}

void
admin_rollout_control(Au__V1__AdminService_Service *svc,
    const Au__V1__RolloutControlRequest            *in,
    Au__V1__RolloutControlReply_Closure closure, void *cd)
{
	(void)svc;
	(void)in;
	unimplemented(cd, (ProtobufCClosure)closure, "rollout control");
}
