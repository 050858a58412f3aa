/* SPDX-License-Identifier: MIT */
/*
 * ctl: the contract between metactl's dispatcher (metactl.c) and its
 * command groups (cmd_*.c).  Each group exports one array of struct
 * ctl_cmd, terminated by an entry whose name is NULL; metactl.c gathers
 * the arrays into the one table that dispatch, `metactl --help` and the
 * man page's synopsis come from.
 *
 * Exit codes, for every command: CTL_EXIT_OK (0) success, CTL_EXIT_FAIL
 * (1) the operation failed (one line on stderr: "metactl: <context>:
 * <reason>"), CTL_EXIT_USAGE (2) a usage error.
 */
#ifndef AU_CTL_H
#define AU_CTL_H

#include <protobuf-c/protobuf-c.h>
#include <stdio.h>

#include "err.h"
#include "rpc.h"

#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1
#define CTL_EXIT_USAGE 2

struct ctl; /* metactl's context: options, config, the lazily made client */
struct ctl_cmd;

/* A command's handler: argv[0] is the command name (for a two-word
 * command such as "hosts accept", argv[0] is "accept"); getopt_long may be
 * used on argc/argv (optind is reset by the dispatcher).  Returns a
 * CTL_EXIT_* code. */
typedef int (*ctl_handler_fn)(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);

struct ctl_cmd {
	const char    *name;    /* "set-version", or "hosts accept" */
	const char    *args;    /* "AGENT VERSION [--host H]... [--stop]" */
	const char    *summary; /* one line for --help */
	const char    *help;    /* the full text for `metactl CMD --help` */
	enum au_role   role; /* the role meta requires; AU_ROLE_NONE: local */
	ctl_handler_fn handler;
};

/* The command groups (NULL-name terminated). */
extern const struct ctl_cmd ctl_cmds_meta[];  /* ping, log */
extern const struct ctl_cmd ctl_cmds_hosts[]; /* hosts ... */
extern const struct ctl_cmd
    ctl_cmds_version[]; /* set-version, remove, retry, unset, rules, ... */
extern const struct ctl_cmd ctl_cmds_rollout[]; /* rollout ... */
extern const struct ctl_cmd
    ctl_cmds_release[]; /* keygen, sign, verify, upload, packages */

/* The service for descriptor over the connection to meta, connecting on
 * first use with the configured URL, certificates and identity key.
 * Returns NULL after printing "metactl: connect: <reason>". */
ProtobufCService *ctl_service(
    struct ctl *ctl, const ProtobufCServiceDescriptor *descriptor);

/* Call method (its name in the .proto, e.g. "ListRules") of the service
 * descriptor with req, connecting first if need be; blocks for up to the
 * configured timeout.  CTL_EXIT_OK: res holds the reply, which the caller
 * releases with rpc_result_fini().  CTL_EXIT_FAIL: "metactl: <context>:
 * <reason>" was printed and res holds nothing. */
int ctl_call(struct ctl *ctl, const ProtobufCServiceDescriptor *descriptor,
    const char *method, const void *req, const char *context,
    struct rpc_result *res);

/* Non-zero when --json was given: print JSON on stdout instead of text. */
int ctl_json(const struct ctl *ctl);

/* Print "metactl: <formatted>" on stderr; returns CTL_EXIT_FAIL. */
int ctl_fail(struct ctl *ctl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print "metactl: <context>: <reason>" for a failed call; returns
 * CTL_EXIT_FAIL. */
int ctl_fail_rpc(
    struct ctl *ctl, const char *context, const struct rpc_result *res);

/* Print cmd's usage line (and "metactl: <formatted>" when fmt is not
 * NULL) on stderr; returns CTL_EXIT_USAGE. */
int ctl_usage(struct ctl *ctl, const struct ctl_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Print cmd's full help on stdout; returns CTL_EXIT_OK. */
int ctl_help(struct ctl *ctl, const struct ctl_cmd *cmd);

#endif
