/* SPDX-License-Identifier: MIT */
/*
 * rpc_common: what the rpc server (rpc.c) and client (rpc_client.c) share,
 * declared in rpc_priv.h: NNG_E* to status mapping, the monotonic clock,
 * TLS configuration from PEM files, connection counting; and
 * au_role_name() and the TLS engine choice (rpc_tls_engine_*) of rpc.h.
 */
#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsutil.h"
#include "log.h"
#include "rpc.h"
#include "rpc_priv.h"
#include "tls_openssl.h"

/* Largest PEM file read for TLS. */
#define RPC_PEM_MAX (64 * 1024)

/* Weak: a program has the OpenSSL engine only when it links it (see
 * common/CMakeLists.txt; the static updater does not). */
#pragma weak tls_openssl_register
#pragma weak tls_openssl_version

static enum rpc_tls_engine engine_resolve(enum rpc_tls_engine e);
static enum rpc_tls_engine engine_choose(enum rpc_tls_engine want);

/* The process's TLS engine: nng keeps one per process (a pointer inside
 * libnng), so this mirrors it; set once under engine_lock. */
static pthread_mutex_t engine_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int     engine_active = RPC_TLS_DEFAULT;

const char *
au_role_name(enum au_role role)
{
	switch (role) {
	case AU_ROLE_HOST:
		return "host";
	case AU_ROLE_RELEASE:
		return "release";
	case AU_ROLE_ADMIN:
		return "admin";
	default:
		return "none";
	}
}

static enum rpc_tls_engine
engine_resolve(enum rpc_tls_engine e)
{
	return e == RPC_TLS_DEFAULT ? RPC_TLS_DEFAULT_ENGINE : e;
}

const char *
rpc_tls_engine_name(enum rpc_tls_engine e)
{
	return engine_resolve(e) == RPC_TLS_MBEDTLS ? "mbedtls" : "openssl";
}

enum au_status
rpc_tls_engine_parse(const char *s, enum rpc_tls_engine *out)
{
	if (strcmp(s, "openssl") == 0)
		*out = RPC_TLS_OPENSSL;
	else if (strcmp(s, "mbedtls") == 0)
		*out = RPC_TLS_MBEDTLS;
	else
		return AU_INVALID_ARGUMENT;
	return AU_OK;
}

/* Called with engine_lock held, once.  nng resets its engine to mbedtls
 * when it initialises, so allocating a configuration first makes it
 * initialise; registering before that would silently not stick.  If
 * OpenSSL cannot be registered, mbedtls stays, and the log says so. */
static enum rpc_tls_engine
engine_choose(enum rpc_tls_engine want)
{
	nng_tls_config *cfg;
	int             rv;

	if (want == RPC_TLS_MBEDTLS)
		return want;
	if (tls_openssl_register == NULL) {
		log_warnx("rpc: TLS engine openssl is not built into this "
		          "program; using mbedtls");
		return RPC_TLS_MBEDTLS;
	}
	if ((rv = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_CLIENT)) == 0)
		nng_tls_config_free(cfg);
	if (rv != 0 || (rv = tls_openssl_register()) != 0) {
		log_warnx("rpc: TLS engine openssl: %s; using mbedtls",
		    nng_strerror(rv));
		return RPC_TLS_MBEDTLS;
	}
	log_debug("rpc: TLS engine openssl (%s)", tls_openssl_version());
	return want;
}

enum rpc_tls_engine
rpc_tls_engine_use(enum rpc_tls_engine e)
{
	enum rpc_tls_engine want = engine_resolve(e), have;

	pthread_mutex_lock(&engine_lock);
	have = (enum rpc_tls_engine)atomic_load(&engine_active);
	if (have == RPC_TLS_DEFAULT) {
		have = engine_choose(want);
		atomic_store(&engine_active, (int)have);
	} else if (have != want)
		log_warnx("rpc: tls_engine %s: the process runs %s, and "
		          "changing it needs a restart",
		    rpc_tls_engine_name(want), rpc_tls_engine_name(have));
	pthread_mutex_unlock(&engine_lock);
	return have;
}

enum rpc_tls_engine
rpc_tls_engine_active(void)
{
	return (enum rpc_tls_engine)atomic_load(&engine_active);
}

/* The one place NNG_E* values become statuses. */
enum au_status
rpc_nng_status(int rv)
{
	switch (rv) {
	case 0:
		return AU_OK;
	case NNG_ETIMEDOUT:
		return AU_DEADLINE_EXCEEDED;
	case NNG_ECONNREFUSED:
	case NNG_ECLOSED:
	case NNG_ECONNSHUT:
	case NNG_ECONNRESET:
	case NNG_ECONNABORTED:
	case NNG_EADDRINVAL:
	case NNG_EUNREACHABLE:
	case NNG_EPEERAUTH:
	case NNG_ECRYPTO:
		return AU_UNAVAILABLE;
	case NNG_ENOMEM:
	case NNG_EMSGSIZE:
		return AU_RESOURCE_EXHAUSTED;
	case NNG_EINVAL:
	case NNG_ENOTSUP:
		return AU_INVALID_ARGUMENT;
	default:
		return AU_INTERNAL;
	}
}

uint64_t
rpc_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Read a PEM file into a new string; the key file must be private. */
static enum au_status
read_pem(const char *path, bool secret, char **out, struct au_err *err)
{
	size_t         len;
	enum au_status st;

	if (path == NULL)
		return au_err_set(err, AU_INVALID_ARGUMENT, "no file given");
	if (secret && (st = fsutil_check_secret(path, err)) != AU_OK)
		return st;
	if ((st = fsutil_read_file(path, RPC_PEM_MAX, out, &len, err)) !=
	    AU_OK) {
		au_err_prefix(err, "%s", path);
		return st;
	}
	return AU_OK;
}

enum au_status
rpc_tls_setup(nng_tls_config **out, int mode, const char *ca, const char *cert,
    const char *key, const char *server_name, struct au_err *err)
{
	nng_tls_config *cfg = NULL;
	char           *ca_pem = NULL, *cert_pem = NULL, *key_pem = NULL;
	enum au_status  st;
	int             rv;

	*out = NULL;
	if ((st = read_pem(ca, false, &ca_pem, err)) != AU_OK ||
	    (st = read_pem(cert, false, &cert_pem, err)) != AU_OK ||
	    (st = read_pem(key, true, &key_pem, err)) != AU_OK)
		goto out;
	if ((rv = nng_tls_config_alloc(&cfg, (nng_tls_mode)mode)) != 0) {
		st = au_err_set(
		    err, rpc_nng_status(rv), "tls: %s", nng_strerror(rv));
		goto out;
	}
	if ((rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED)) ||
	    (rv = nng_tls_config_ca_chain(cfg, ca_pem, NULL))) {
		st = au_err_set(err, AU_INVALID_ARGUMENT, "tls: CA %s: %s", ca,
		    nng_strerror(rv));
		goto out;
	}
	if ((rv = nng_tls_config_own_cert(cfg, cert_pem, key_pem, NULL))) {
		st = au_err_set(err, AU_INVALID_ARGUMENT,
		    "tls: certificate %s with key %s: %s", cert, key,
		    nng_strerror(rv));
		goto out;
	}
	if (server_name != NULL &&
	    (rv = nng_tls_config_server_name(cfg, server_name))) {
		st = au_err_set(err, AU_INVALID_ARGUMENT,
		    "tls: server name %s: %s", server_name, nng_strerror(rv));
		goto out;
	}
	*out = cfg;
	cfg = NULL;
	st = AU_OK;
out:
	if (cfg != NULL)
		nng_tls_config_free(cfg);
	if (key_pem != NULL) {
		sig_memzero(key_pem, strlen(key_pem));
		free(key_pem);
	}
	free(ca_pem);
	free(cert_pem);
	return st;
}

void
rpc_pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	atomic_int *count = arg;
	int         n;

	(void)p;
	if (ev == NNG_PIPE_EV_ADD_POST)
		n = atomic_fetch_add(count, 1) + 1;
	else
		n = atomic_fetch_sub(count, 1) - 1;
	if (n > 0 && n % 100 == 0)
		log_info("rpc: %d connections open", n);
	else
		log_debug("rpc: %d connections open", n);
}
