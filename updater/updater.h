/* SPDX-License-Identifier: MIT */
/*
 * updater: the host daemon's context and its cycle.  One cycle scans the
 * installed agents, sends a heartbeat, and converges each agent meta names
 * (and the allow-list permits) one at a time: download, verify, install
 * (with its health window), stop or remove, report.  A version that failed
 * here is not tried again until meta's target or retry token changes (no
 * churn of the running version).  Between cycles, supervision restarts
 * current agents that stopped, with a backoff, and reports the crash.
 * Reports that cannot be sent go to the spool and are sent after the next
 * successful heartbeat.  A lock on the root keeps a second updater away.
 * Nothing here is global: main() owns the struct.  Every function blocks
 * (network, file I/O, control scripts).
 */
#ifndef AU_UPDATER_H
#define AU_UPDATER_H

#include <signal.h>
#include <stdint.h>

#include "conf.h"
#include "err.h"
#include "heartbeat.h"
#include "install.h"
#include "rpc.h"
#include "state.h"

/* Timeout of one RPC (a 1 MiB chunk must fit in it). */
#define UPDATER_RPC_TIMEOUT_MS 30000

struct updater {
	struct updater_conf conf;
	char                hostname[256];
	uint8_t             trusted[UPDATER_CONF_TRUST_MAX][SIG_PUBKEY_BYTES];
	struct install_env  env;
	struct rpc_client  *client;
	struct heartbeat    hb;
	struct state        state;
	char                state_path[UPDATER_CONF_PATH_MAX + 16];
	char                spool_path[UPDATER_CONF_PATH_MAX + 16];
	int                 lock_fd;
	int                 meta_down;  /* for logging state changes only */
	int                 host_state; /* last HostState meta sent */
	int                 reported;   /* a report was made since the last
	                                 * heartbeat (so meta should hear soon) */
};

/* Resolve the hostname default (the system's) in c. */
enum au_status updater_conf_hostname(
    struct updater_conf *c, struct au_err *err);

/* Set u up from c (copied): take the lock on the root (AU_ALREADY_EXISTS
 * when another updater holds it), create the identity key on first start
 * (0600), load the state and make the rpc client.  On error everything
 * taken is released. */
enum au_status updater_open(
    struct updater *u, const struct updater_conf *c, struct au_err *err);

/* Release everything; safe on a zeroed or half-opened struct. */
void updater_close(struct updater *u);

/* Crash recovery for every allowed agent folder under the root
 * (install.h), honouring a STOP in force: also the verdict on a health
 * window a crash cut short (reported), and the removal of folders a
 * REMOVE left behind.  Returns AU_OK when every agent is as .version
 * says. */
enum au_status updater_recover(struct updater *u);

/* One heartbeat-and-converge cycle.  *converged is 1 when meta answered
 * and every agent it named is as it wants.  On a failed heartbeat
 * *retry_after_ms is meta's retry-after (0: none). */
enum au_status updater_cycle(struct updater *u, int *converged,
    uint32_t *retry_after_ms, struct au_err *err);

/* One heartbeat with the agents' state and nothing else (updater --once
 * sends it after acting, so meta sees the result). */
enum au_status updater_heartbeat(struct updater *u, struct au_err *err);

/* Supervision: every agent with a .version, no STOP in force, whose
 * `control status` does not say started has crashed (or was stopped by
 * hand): log AU-CRASH, restart it (at once, then with a backoff of 10 s,
 * 20 s ... 5 min) and report outcome CRASHED (to the spool when meta is
 * away). */
void updater_supervise(struct updater *u);

/* The daemon loop: cycles on the heartbeat schedule (and once more at
 * once after a cycle that acted, so meta sees the result) and supervises
 * every supervise_interval seconds, until *quit is set (by a signal
 * handler in main). */
void updater_run(struct updater *u, volatile sig_atomic_t *quit);

#endif
