/* SPDX-License-Identifier: MIT */
/*
 * upstream: the updater's calls to meta's HostService (Heartbeat,
 * GetPackage, Report) through the rpc client, translated to and from the
 * updater's own types so protoc-c types stay in this file.  Every call
 * blocks up to the client's deadline.
 */
#ifndef AU_UPSTREAM_H
#define AU_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "fetch.h"
#include "report.h"
#include "rpc.h"
#include "scan.h"

#define UPSTREAM_DESIRED_MAX 64

enum upstream_host_state {
	UPSTREAM_HOST_UNSPECIFIED = 0,
	UPSTREAM_HOST_PENDING = 1,
	UPSTREAM_HOST_ACCEPTED = 2,
	UPSTREAM_HOST_REJECTED = 3,
};

/* What meta wants for one agent on this host. */
struct upstream_desired {
	char               name[REPORT_NAME_MAX + 1];
	char               version[REPORT_NAME_MAX + 1]; /* "": any (STOP) */
	enum report_action action;
	uint64_t           size;  /* 0: unknown */
	uint64_t           retry; /* meta's retry token, 0 when absent */
};

struct upstream_reply {
	enum upstream_host_state state;
	uint32_t                 interval_s; /* 0: meta said nothing */
	size_t                   n;
	struct upstream_desired  agents[UPSTREAM_DESIRED_MAX];
};

/* Send a heartbeat with the scanned agents; fill *out.  On error,
 * *retry_after_ms is what meta asked for (0: nothing).  Entries with an
 * invalid agent name, version or action are dropped (and logged); the
 * version may be "" with STOP and REMOVE only. */
enum au_status upstream_heartbeat(struct rpc_client *c, const char *hostname,
    const struct scan_agent *agents, size_t n, struct upstream_reply *out,
    uint32_t *retry_after_ms, struct au_err *err);

/* Unpack a packed au.v1.HeartbeatReply into *out the way
 * upstream_heartbeat() takes meta's reply (the same checks).
 * AU_INVALID_ARGUMENT when it does not unpack. */
enum au_status upstream_reply_unpack(const uint8_t *buf, size_t len,
    struct upstream_reply *out, struct au_err *err);

/* Send one report.  AU_OK also when meta had it already. */
enum au_status upstream_report(struct rpc_client *c, const char *hostname,
    const struct report *r, struct au_err *err);

/* A fetch_source that reads packages with GetPackage over c.  state is
 * caller-provided storage that must live as long as the source. */
struct upstream_source_state {
	struct rpc_client *client;
	struct rpc_result  res;
};
void upstream_source(struct upstream_source_state *state, struct rpc_client *c,
    struct fetch_source *src);

#endif
