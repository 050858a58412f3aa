/* SPDX-License-Identifier: MIT */
/*
 * meta: the daemon's context, shared by the RPC handlers: the current
 * configuration (swapped whole on SIGHUP), the store, the in-memory
 * inventory, the package store and the two services handed to the RPC
 * server.  main() owns one struct meta; nothing here is global.
 *
 * Heartbeat semantics (what an updater sees):
 *   - accepted host: OK, state ACCEPTED, the desired agents and the
 *     interval;
 *   - unknown key and hostname: the host is recorded bound to the key;
 *     with auto_accept it is accepted at once and answered as above,
 *     otherwise OK with state PENDING, no agents, and the interval (keep
 *     heartbeating until an admin accepts it);
 *   - pending host: OK, state PENDING, no agents;
 *   - rejected host: PERMISSION_DENIED "host NAME: rejected";
 *   - a known hostname under another key, or a key bound to another
 *     hostname: PERMISSION_DENIED, logged as AU-HOST-KEY-MISMATCH.
 */
#ifndef META_META_H
#define META_META_H

#include <pthread.h>
#include <stdint.h>

#include "au.pb-c.h"
#include "conf.h"
#include "err.h"
#include "inventory.h"
#include "rpc.h"
#include "store.h"

struct meta;
struct blobs;

struct meta_host_service {
	Au__V1__HostService_Service base; /* first: the RPC layer's view */
	struct meta                *meta;
};

struct meta_admin_service {
	Au__V1__AdminService_Service base;
	struct meta                 *meta;
};

struct meta {
	pthread_rwlock_t          conf_lock;
	struct meta_conf         *conf; /* under conf_lock */
	struct store             *store;
	struct inv               *inv;
	struct blobs             *blobs;
	struct meta_host_service  host;
	struct meta_admin_service admin;
};

/* Open the store, load the inventory and open the package store under
 * conf's datadir; conf is taken over (freed by meta_fini, also on
 * failure).  Blocks on disk. */
enum au_status meta_init(
    struct meta *m, struct meta_conf *conf, struct au_err *err);

/* Close everything meta_init opened (flushing the store); the RPC server
 * must be stopped first. */
void meta_fini(struct meta *m);

/* Swap in a new configuration (taken over); the old one is freed.  Keys,
 * auto_accept and the intervals take effect at once; listen, the TLS
 * files and datadir need a restart (logged when they differ). */
void meta_reload(struct meta *m, struct meta_conf *conf);

/* Make the RPC server for m's config (reading or creating
 * <datadir>/token.key, 0600) and start it listening.  On AU_OK *srv is
 * the caller's, to stop with rpc_server_stop() and release with
 * rpc_server_free().  Blocks on disk and on binding the listener. */
enum au_status meta_serve_start(
    struct meta *m, struct rpc_server **srv, struct au_err *err);

/* The services for rpc_server_new(). */
void meta_services(struct meta *m, ProtobufCService *out[2]);

/* An rpc_identify_fn: admin and release keys from the config map to their
 * role and name; any other key is a host named by its key id. */
enum au_status meta_identify(void *arg, const uint8_t pk[SIG_PUBKEY_BYTES],
    struct au_principal *out, struct au_err *err);

/* The current policy (auto accept, stale and grace periods) and
 * heartbeat interval, read under the config lock. */
void meta_policy(struct meta *m, struct inv_policy *pol, uint32_t *interval_s);

/* Append to the audit log; logs (and does not fail) when that fails. */
enum au_status meta_audit(struct meta *m, const char *who, const char *action,
    const char *detail, struct au_err *err);

/* Answer an RPC call: with reply (owned by the caller, packed before
 * this returns) when err is NULL or holds AU_OK, else with err's code and
 * text and no reply.  closure is the handler's typed closure cast back to
 * ProtobufCClosure; cd its closure_data.  Never blocks. */
void meta_reply(void *cd, ProtobufCClosure closure, const void *reply,
    const struct au_err *err);

/* Service setup, in handlers_host.c and handlers_admin.c. */
void meta_host_service_init(struct meta_host_service *svc, struct meta *m);
void meta_admin_service_init(struct meta_admin_service *svc, struct meta *m);

#endif
