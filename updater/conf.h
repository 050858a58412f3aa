/* SPDX-License-Identifier: MIT */
/*
 * conf: updater.conf, an INI file parsed with libinih into a typed struct
 * updater_conf once; nothing else reads the file.  Strict: an unknown
 * section or key, a duplicate, a bad value are errors naming file and
 * line, and every error in the file is reported in one run.  See
 * updater.conf(5).
 *
 *	[updater]
 *	meta = tls+tcp://127.0.0.1:7600
 *	server_name = localhost      ; default: the URL's host
 *	ca = PATH
 *	cert = PATH
 *	key = PATH                   ; must be mode 0600
 *	identity = PATH              ; default <state_dir>/identity.key
 *	state_dir = PATH             ; default /var/lib/agent-updater
 *	root = PATH                  ; default /opt/agents
 *	hostname =                   ; default: the system's
 *	agents =                     ; space-separated allow-list
 *	interval_min = 5
 *	interval_max = 3600
 *	control_timeout = 30
 *	start_timeout = 60
 *	health_window = 30           ; 0..3600, 0: none
 *	supervise_interval = 10      ; 0..3600, 0: no supervision
 *	keep_versions = 2
 *	tls_engine = mbedtls         ; or openssl; a change needs a restart
 *	[trust]
 *	NAME = PUBKEY                ; 64 hex or a path to NAME.pub
 */
#ifndef AU_UPDATER_CONF_H
#define AU_UPDATER_CONF_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "sig.h"

#define UPDATER_CONF_PATH_MAX 1024
#define UPDATER_CONF_NAME_MAX 64
#define UPDATER_CONF_AGENTS_MAX 64
#define UPDATER_CONF_TRUST_MAX 16
/* The updater's TLS engine unless tls_engine says otherwise. */
#define UPDATER_TLS_ENGINE_DEFAULT "mbedtls"

struct updater_trust {
	char    name[UPDATER_CONF_NAME_MAX + 1];
	uint8_t pk[SIG_PUBKEY_BYTES];
};

struct updater_conf {
	char     meta[UPDATER_CONF_PATH_MAX];
	char     server_name[256];
	char     ca[UPDATER_CONF_PATH_MAX];
	char     cert[UPDATER_CONF_PATH_MAX];
	char     key[UPDATER_CONF_PATH_MAX];
	char     identity[UPDATER_CONF_PATH_MAX];
	char     state_dir[UPDATER_CONF_PATH_MAX];
	char     root[UPDATER_CONF_PATH_MAX];
	char     hostname[256]; /* empty: the system's (see main) */
	char     agents[UPDATER_CONF_AGENTS_MAX][UPDATER_CONF_NAME_MAX + 1];
	size_t   nagents; /* 0: every agent under root */
	uint32_t interval_min;
	uint32_t interval_max;
	uint32_t control_timeout;
	uint32_t start_timeout;
	uint32_t health_window;      /* seconds of probation after start */
	uint32_t supervise_interval; /* seconds between checks; 0: none */
	uint32_t keep_versions;
	char     tls_engine[16]; /* rpc_tls_engine_parse() accepts it */
	struct updater_trust trust[UPDATER_CONF_TRUST_MAX];
	size_t               ntrust;
};

/* Fill c with the defaults. */
void updater_conf_defaults(struct updater_conf *c);

/* Parse path into c (defaults first).  Each error is written to errs (when
 * not NULL) as "FILE:LINE: message".  Returns AU_OK, AU_NOT_FOUND when the
 * file cannot be opened, or AU_INVALID_ARGUMENT with err saying how many
 * errors there were.  Blocks on file I/O (key files named in [trust] are
 * read). */
enum au_status updater_conf_load(
    const char *path, struct updater_conf *c, FILE *errs, struct au_err *err);

/* Checks that need the files: the TLS key and the identity key (when it
 * exists) must not be readable by group or others. */
enum au_status updater_conf_check_files(
    const struct updater_conf *c, struct au_err *err);

/* Is agent in the allow-list (always, when the list is empty)? */
int updater_conf_allows(const struct updater_conf *c, const char *agent);

/* Print the effective configuration as an updater.conf that parses again
 * (trust keys inline as hex). */
void updater_conf_print(const struct updater_conf *c, FILE *out);

#endif
