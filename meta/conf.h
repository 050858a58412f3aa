/* SPDX-License-Identifier: MIT */
/*
 * conf: meta.conf, an INI file read with libinih into a typed struct
 * meta_conf once; nothing else reads the file.  Strict: an unknown section
 * or key, a repeated key, a bad value or a missing required key is an
 * error naming file and line, and every error in the file is reported in
 * one run before the load fails.  meta_conf_print() writes the effective
 * configuration, defaults included, in a form that parses again (meta
 * -nv).  Loading blocks on file I/O (the config and any .pub files).
 *
 *	[meta]
 *	listen = tls+tcp://127.0.0.1:7600
 *	ca = PATH, cert = PATH, key = PATH (mode 0600), datadir = PATH
 *	auto_accept = no, interval = 60, stale_after = 0 (3 x interval),
 *	failed_grace = 0 (2 x interval), token_lifetime = 3600,
 *	clock_skew = 300, max_package_size = 536870912, max_downloads = 64,
 *	tls_engine = openssl (or mbedtls; a change needs a restart)
 *	[admin]    NAME = PUBKEY (64 hex inline, or a path to NAME.pub)
 *	[release]  NAME = PUBKEY
 *
 * The secrecy of the key file is checked by meta_conf_check_files() at
 * start-up, not by the parser, so `meta -n` can check a config on another
 * machine.
 */
#ifndef META_CONF_H
#define META_CONF_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "rpc.h"
#include "sig.h"

struct meta_conf_key {
	char    name[RPC_NAME_MAX + 1];
	uint8_t pk[SIG_PUBKEY_BYTES];
};

struct meta_conf {
	char    *path; /* the file it came from */
	char    *listen;
	char    *ca;
	char    *cert;
	char    *key;
	char    *datadir;
	int      auto_accept;
	uint32_t interval_s;
	uint32_t stale_after_s;  /* as written; 0 = 3 x interval */
	uint32_t failed_grace_s; /* as written; 0 = 2 x interval */
	uint32_t token_lifetime_s;
	uint32_t clock_skew_s;
	uint64_t max_package_size;
	uint32_t max_downloads;

	enum rpc_tls_engine tls_engine;

	struct meta_conf_key *admins;
	size_t                nadmins;
	struct meta_conf_key *releases;
	size_t                nreleases;
};

/* Parse path into a new conf the caller frees with meta_conf_free().
 * Each error is written as one line "FILE:LINE: reason" to diag (NULL:
 * log_warnx).  Returns AU_OK, AU_NOT_FOUND (no such file) or
 * AU_INVALID_ARGUMENT ("FILE: 3 errors") with err set. */
enum au_status meta_conf_load(
    const char *path, FILE *diag, struct meta_conf **out, struct au_err *err);

/* Free a conf; NULL allowed. */
void meta_conf_free(struct meta_conf *conf);

/* Write the effective configuration, every key with its value or default,
 * as INI that meta_conf_load() reads back to the same conf. */
void meta_conf_print(const struct meta_conf *conf, FILE *fp);

/* The effective stale and grace periods in seconds (defaults resolved). */
uint32_t meta_conf_stale_after(const struct meta_conf *conf);
uint32_t meta_conf_failed_grace(const struct meta_conf *conf);

/* Start-up checks of the files the conf names: the private key must not
 * be readable or writable by group or others (AU_PERMISSION_DENIED). */
enum au_status meta_conf_check_files(
    const struct meta_conf *conf, struct au_err *err);

#endif
