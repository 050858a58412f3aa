/* SPDX-License-Identifier: MIT */
/*
 * ctl_conf: metactl's configuration file (INI, strict), read with libinih.
 *
 *	[metactl]
 *	meta = tls+tcp://127.0.0.1:7600
 *	server_name = localhost   ; default: the URL's host
 *	ca = PATH
 *	cert = PATH
 *	key = PATH
 *	identity = PATH           ; the caller's ed25519 secret key
 *	timeout = 10              ; seconds per call, 1..3600
 *	tls_engine = openssl      ; or mbedtls
 *
 * An unknown section or key, a repeated key or a bad value is an error
 * naming the file and line; every error in the file is reported in one
 * run.  Relative paths are taken relative to the file's directory.  The
 * environment variables METACTL_URL and METACTL_IDENTITY override meta and
 * identity.  Blocks on file I/O only.
 */
#ifndef AU_CTL_CONF_H
#define AU_CTL_CONF_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "rpc.h"

#define CTL_CONF_DEFAULT_PATH "/etc/agent-updater/metactl.conf"
#define CTL_CONF_DEFAULT_TIMEOUT_S 10

struct ctl_conf {
	char    *path; /* the file read, or NULL when none was */
	char    *meta;
	char    *server_name;
	char    *ca;
	char    *cert;
	char    *key;
	char    *identity;
	uint32_t timeout_s;

	enum rpc_tls_engine tls_engine; /* 0: RPC_TLS_DEFAULT */
};

/* Which file to read: explicit (from -c) when not NULL, else
 * $METACTL_CONFIG, else ./metactl.conf when it exists, else
 * CTL_CONF_DEFAULT_PATH.  Returns a borrowed or static string. */
const char *ctl_conf_path(const char *explicit_path);

/* Read path into conf (which the caller fini's, also on failure) and apply
 * the environment.  missing_ok: a path that does not exist is not an
 * error (conf then holds the defaults and the environment).  Each problem
 * is printed on diag (when not NULL) as "metactl: FILE:LINE: reason".
 * Returns AU_OK; AU_NOT_FOUND or AU_PERMISSION_DENIED when the file cannot
 * be opened; AU_INVALID_ARGUMENT when it has errors (err says how many). */
enum au_status ctl_conf_load(const char *path, int missing_ok,
    struct ctl_conf *conf, FILE *diag, struct au_err *err);

/* Check that everything a call to meta needs is set: AU_OK or
 * AU_FAILED_PRECONDITION naming the first missing key. */
enum au_status ctl_conf_check(const struct ctl_conf *conf, struct au_err *err);

/* Free what conf holds and zero it; NULL allowed. */
void ctl_conf_fini(struct ctl_conf *conf);

#endif
