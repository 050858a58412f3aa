/* SPDX-License-Identifier: MIT */
/*
 * handlers_admin: what handlers_admin.c (the admin service's changes and
 * its setup) needs from handlers_view.c (its read-only calls).  Private to
 * meta/.  Each handler follows the protobuf-c service contract: in is
 * borrowed, the reply is built in memory the handler frees after calling
 * closure exactly once (with NULL after rpc_call_fail), and cd is the RPC
 * layer's closure_data.  They take the inventory's or the store's locks
 * and never block on the network.
 */
#ifndef META_HANDLERS_ADMIN_H
#define META_HANDLERS_ADMIN_H

#include "au.pb-c.h"
#include "meta.h"

/* ListRules: the rules of one agent, or of all when in->agent is empty. */
void admin_list_rules(Au__V1__AdminService_Service *svc,
    const Au__V1__ListRulesRequest *in, Au__V1__ListRulesReply_Closure closure,
    void *cd);

/* ListHosts: one page of hosts matching in's filters, sorted by name. */
void admin_list_hosts(Au__V1__AdminService_Service *svc,
    const Au__V1__ListHostsRequest *in, Au__V1__ListHostsReply_Closure closure,
    void *cd);

/* Status: per agent, hosts by version and status, and the counts of
 * converged, failed and stale hosts. */
void admin_status(Au__V1__AdminService_Service *svc,
    const Au__V1__StatusRequest *in, Au__V1__StatusReply_Closure closure,
    void *cd);

/* Audit: the newest audit entries, since in->since_ms, at most in->limit
 * (and at most 5000). */
void admin_audit(Au__V1__AdminService_Service *svc,
    const Au__V1__AuditRequest *in, Au__V1__AuditReply_Closure closure,
    void *cd);

/* HostShow: one host with its agents and the newest reports of each. */
void admin_host_show(Au__V1__AdminService_Service *svc,
    const Au__V1__HostShowRequest *in, Au__V1__HostShowReply_Closure closure,
    void *cd);

/* Retry (in handlers_admin.c: it changes state): a new durable retry
 * token for the hosts in->selector names (or the hosts failed for
 * in->agent now), handed out with their next heartbeat; audited. */
void admin_retry(Au__V1__AdminService_Service *svc,
    const Au__V1__RetryRequest *in, Au__V1__RetryReply_Closure closure,
    void *cd);

/* Rollouts (handlers_rollout.c): start one, show them, pause, resume or
 * abort one. */
void admin_rollout_start(Au__V1__AdminService_Service *svc,
    const Au__V1__RolloutStartRequest                 *in,
    Au__V1__RolloutStartReply_Closure closure, void *cd);
void admin_rollout_status(Au__V1__AdminService_Service *svc,
    const Au__V1__RolloutStatusRequest                 *in,
    Au__V1__RolloutStatusReply_Closure closure, void *cd);
void admin_rollout_control(Au__V1__AdminService_Service *svc,
    const Au__V1__RolloutControlRequest                 *in,
    Au__V1__RolloutControlReply_Closure closure, void *cd);

#endif
