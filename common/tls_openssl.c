/* SPDX-License-Identifier: MIT */
/*
 * tls_openssl: nng's TLS engine API (version 1) on OpenSSL 3; see
 * tls_openssl.h for what it offers.
 *
 * nng calls the engine with the connection's lock held, from its own few
 * threads, each of which runs many connections: so OpenSSL's per-thread
 * error queue is cleared before and after every call, and nothing is left
 * in it for the next connection.  The record bytes go through a BIO whose
 * read and write are nng_tls_engine_recv/send; NNG_EAGAIN there becomes a
 * BIO retry, and SSL_ERROR_WANT_READ/WRITE becomes NNG_EAGAIN again for
 * nng, which calls back when the TCP stream moved.
 *
 * nng 1.5.2 never marks its own connection closed after the engine's
 * close, so the engine keeps its own flag and refuses I/O after close; nor
 * does it set its configuration's "busy" guard, so the engine refuses
 * configuration changes (NNG_EBUSY) once a connection used it, as nng
 * documents: a connection reads the configuration without its lock.
 */
#include "tls_openssl.h"

#include <nng/nng.h>
#include <nng/supplemental/tls/engine.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ratelimit.h"
#include "timeutil.h"

/* TLS 1.2 suites (TLS 1.3 has its own list): forward secrecy with AES-GCM
 * or ChaCha20-Poly1305, ECDSA (our certificates) before RSA. */
#define TLS_CIPHERS_12                                                 \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"   \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"
#define TLS_CIPHERS_13                                   \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:" \
	"TLS_CHACHA20_POLY1305_SHA256"
/* X25519 and P-256 first; the server's order wins, or an mbedtls client
 * (which lists P-521 first) steers the exchange to the slowest curve. */
#define TLS_GROUPS "X25519:P-256:P-384:P-521"
/* Longest reason kept for the log line of a failed handshake. */
#define TLS_WHY_MAX 256
/* A server logs at most this many failed handshakes at once, then this
 * many a second: a scanner must not fill the disk. */
#define TLS_LOG_BURST 20
#define TLS_LOG_PER_S 2

struct nng_tls_engine_config {
	SSL_CTX         *ctx;
	nng_tls_mode     mode;
	char            *server_name; /* client: expected name, SNI */
	struct ratelimit logrl;       /* failed handshakes logged */
	atomic_bool      busy;        /* a connection was made from it */
};

struct nng_tls_engine_conn {
	void                         *nng; /* nng's stream: for engine_send */
	SSL                          *ssl;
	struct nng_tls_engine_config *cfg;
	int                           io_err;  /* last error of the stream */
	long                          vfy_err; /* first failed check */
	char                          vfy_subject[128];
	bool                          closed;
	bool                          hs_done;
	bool                          failed;
};

static int  cfg_init(struct nng_tls_engine_config *, nng_tls_mode);
static void cfg_fini(struct nng_tls_engine_config *);
static int  cfg_server(struct nng_tls_engine_config *, const char *);
static int  cfg_auth(struct nng_tls_engine_config *, nng_tls_auth_mode);
static int  cfg_ca_chain(
     struct nng_tls_engine_config *, const char *, const char *);
static int cfg_own_cert(
    struct nng_tls_engine_config *, const char *, const char *, const char *);
static int cfg_version(
    struct nng_tls_engine_config *, nng_tls_version, nng_tls_version);
static int cfg_ctx_defaults(SSL_CTX *ctx);
static int add_pem_items(X509_STORE *store, const char *pem, bool crl);
static int version_code(nng_tls_version v);
static int verify_cb(int ok, X509_STORE_CTX *x);

static int conn_init(
    struct nng_tls_engine_conn *, void *, struct nng_tls_engine_config *);
static void conn_fini(struct nng_tls_engine_conn *);
static void conn_close(struct nng_tls_engine_conn *);
static int  conn_handshake(struct nng_tls_engine_conn *);
static int  conn_recv(struct nng_tls_engine_conn *, uint8_t *, size_t *);
static int  conn_send(struct nng_tls_engine_conn *, const uint8_t *, size_t *);
static bool conn_verified(struct nng_tls_engine_conn *);
static int  conn_error(struct nng_tls_engine_conn *c, int ret);
static int  ssl_failure(struct nng_tls_engine_conn *c);
static bool reason_is_peer_auth(int reason);
static void log_failure(struct nng_tls_engine_conn *c, int rv);

static int            bio_write(BIO *b, const char *buf, int len);
static int            bio_read(BIO *b, char *buf, int len);
static long           bio_ctrl(BIO *b, int cmd, long num, void *ptr);
static int            bio_create(BIO *b);
static void           bio_method_make(void);
static BIO_METHOD    *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;
/* Written only by tls_openssl_release_buffers(), for the benchmark. */
static int release_buffers = 1;

static nng_tls_engine_config_ops config_ops = {
    .size = sizeof(struct nng_tls_engine_config),
    .init = cfg_init,
    .fini = cfg_fini,
    .server = cfg_server,
    .auth = cfg_auth,
    .ca_chain = cfg_ca_chain,
    .own_cert = cfg_own_cert,
    .version = cfg_version,
};

static nng_tls_engine_conn_ops conn_ops = {
    .size = sizeof(struct nng_tls_engine_conn),
    .init = conn_init,
    .fini = conn_fini,
    .close = conn_close,
    .handshake = conn_handshake,
    .recv = conn_recv,
    .send = conn_send,
    .verified = conn_verified,
};

static nng_tls_engine engine = {
    .version = NNG_TLS_ENGINE_V1,
    .config_ops = &config_ops,
    .conn_ops = &conn_ops,
    .name = "openssl",
    .description = "OpenSSL 3 (agent-updater engine)",
    .fips_mode = false,
};

int
tls_openssl_register(void)
{
	pthread_once(&bio_once, bio_method_make);
	if (bio_method == NULL)
		return NNG_ENOMEM;
	return nng_tls_engine_register(&engine);
}

const char *
tls_openssl_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}

void
tls_openssl_release_buffers(int on)
{
	release_buffers = on;
}

/* Leave this thread's OpenSSL error queue empty, for the next connection
 * that runs on it.  Peeking first is cheaper than clearing the whole
 * queue, and the queue is empty but after a failure. */
static void
err_reset(void)
{
	if (ERR_peek_error() != 0)
		ERR_clear_error();
}

/* ---- configuration ---- */

/* A new context in mode, with what every connection shares: versions
 * 1.2-1.3, suites, groups, no tickets, the verify callback.  nng's default
 * auth mode is required for a client and none for a server. */
static int
cfg_init(struct nng_tls_engine_config *cfg, nng_tls_mode mode)
{
	const SSL_METHOD *m = mode == NNG_TLS_MODE_SERVER ? TLS_server_method()
	                                                  : TLS_client_method();
	int               rv;

	err_reset();
	cfg->mode = mode;
	ratelimit_init(&cfg->logrl, TLS_LOG_BURST, TLS_LOG_PER_S);
	if ((cfg->ctx = SSL_CTX_new(m)) == NULL) {
		ratelimit_fini(&cfg->logrl);
		return NNG_ENOMEM;
	}
	if ((rv = cfg_ctx_defaults(cfg->ctx)) != 0) {
		cfg_fini(cfg);
		err_reset();
		return rv;
	}
	/* A client offers TLS 1.2 unless asked for 1.3 (engine.h lets an
	 * engine default to 1.2).  In TLS 1.3 a server refuses a client
	 * certificate after the client's handshake has finished: the client
	 * then learns it from a read that races with the server's reset, and
	 * nng 1.5.2 leaks connections that fail in that phase (seen under
	 * ASan).  In TLS 1.2 the refusal ends the handshake itself.  The
	 * cost is the same: one X25519 exchange and one ECDSA signature. */
	if (mode == NNG_TLS_MODE_CLIENT &&
	    !SSL_CTX_set_max_proto_version(cfg->ctx, TLS1_2_VERSION)) {
		cfg_fini(cfg);
		err_reset();
		return NNG_ECRYPTO;
	}
	return cfg_auth(cfg, mode == NNG_TLS_MODE_SERVER
	                         ? NNG_TLS_AUTH_MODE_NONE
	                         : NNG_TLS_AUTH_MODE_REQUIRED);
}

static int
cfg_ctx_defaults(SSL_CTX *ctx)
{
	long mode =
	    SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;

	if (release_buffers)
		mode |= SSL_MODE_RELEASE_BUFFERS;
	SSL_CTX_set_mode(ctx, mode);
	SSL_CTX_set_options(
	    ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	             SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
	/* OpenSSL 3.0 sends two TLS 1.3 tickets by default, ~0.45 ms of
	 * server CPU per handshake, and nothing here resumes sessions. */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_cipher_list(ctx, TLS_CIPHERS_12) ||
	    !SSL_CTX_set_ciphersuites(ctx, TLS_CIPHERS_13) ||
	    !SSL_CTX_set1_groups_list(ctx, TLS_GROUPS))
		return NNG_ECRYPTO;
	return 0;
}

static void
cfg_fini(struct nng_tls_engine_config *cfg)
{
	SSL_CTX_free(cfg->ctx);
	free(cfg->server_name);
	ratelimit_fini(&cfg->logrl);
	cfg->ctx = NULL;
	cfg->server_name = NULL;
}

/* The name a client sends (SNI) and expects in the server's certificate:
 * applied to each new connection. */
static int
cfg_server(struct nng_tls_engine_config *cfg, const char *name)
{
	char *dup = NULL;

	if (atomic_load(&cfg->busy))
		return NNG_EBUSY;
	if (name != NULL && (dup = strdup(name)) == NULL)
		return NNG_ENOMEM;
	free(cfg->server_name);
	cfg->server_name = dup;
	return 0;
}

static int
cfg_auth(struct nng_tls_engine_config *cfg, nng_tls_auth_mode mode)
{
	if (atomic_load(&cfg->busy))
		return NNG_EBUSY;
	switch (mode) {
	case NNG_TLS_AUTH_MODE_NONE:
		SSL_CTX_set_verify(cfg->ctx, SSL_VERIFY_NONE, NULL);
		return 0;
	case NNG_TLS_AUTH_MODE_OPTIONAL:
		SSL_CTX_set_verify(cfg->ctx, SSL_VERIFY_PEER, verify_cb);
		return 0;
	case NNG_TLS_AUTH_MODE_REQUIRED:
		SSL_CTX_set_verify(cfg->ctx,
		    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
		    verify_cb);
		return 0;
	default:
		return NNG_EINVAL;
	}
}

/* Add the certificates (or the CRLs) of the PEM text to store; 0 when
 * at least one was added, NNG_EINVAL otherwise. */
static int
add_pem_items(X509_STORE *store, const char *pem, bool crl)
{
	STACK_OF(X509_INFO) *items = NULL;
	BIO *bio;
	int  added = 0, rv = NNG_EINVAL;

	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL)
		return NNG_ENOMEM;
	items = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
	for (int i = 0; items != NULL && i < sk_X509_INFO_num(items); i++) {
		X509_INFO *it = sk_X509_INFO_value(items, i);

		if (!crl && it->x509 != NULL &&
		    X509_STORE_add_cert(store, it->x509))
			added++;
		if (crl && it->crl != NULL &&
		    X509_STORE_add_crl(store, it->crl))
			added++;
	}
	if (added > 0)
		rv = 0;
	sk_X509_INFO_pop_free(items, X509_INFO_free);
	BIO_free(bio);
	return rv;
}

static int
cfg_ca_chain(
    struct nng_tls_engine_config *cfg, const char *certs, const char *crl)
{
	X509_STORE *store = SSL_CTX_get_cert_store(cfg->ctx);
	int         rv;

	if (atomic_load(&cfg->busy))
		return NNG_EBUSY;
	err_reset();
	if ((rv = add_pem_items(store, certs, false)) == 0 && crl != NULL) {
		if ((rv = add_pem_items(store, crl, true)) == 0)
			X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
	}
	err_reset();
	return rv;
}

/* Our certificate (the first PEM block of cert; any others are its chain)
 * and its private key, which must match.  May be called once per key type
 * (an RSA and an EC identity). */
static int
cfg_own_cert(struct nng_tls_engine_config *cfg, const char *cert,
    const char *key, const char *pass)
{
	BIO      *cb = NULL, *kb = NULL;
	X509     *leaf = NULL, *extra;
	EVP_PKEY *pk = NULL;
	STACK_OF(X509) *chain = NULL;
	int rv = NNG_EINVAL;

	if (atomic_load(&cfg->busy))
		return NNG_EBUSY;
	err_reset();
	if ((cb = BIO_new_mem_buf(cert, -1)) == NULL ||
	    (kb = BIO_new_mem_buf(key, -1)) == NULL ||
	    (chain = sk_X509_new_null()) == NULL) {
		rv = NNG_ENOMEM;
		goto out;
	}
	if ((leaf = PEM_read_bio_X509(cb, NULL, NULL, NULL)) == NULL)
		goto out;
	while ((extra = PEM_read_bio_X509(cb, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(chain, extra)) {
			X509_free(extra);
			goto out;
		}
	pk = PEM_read_bio_PrivateKey(kb, NULL, NULL, (void *)(uintptr_t)pass);
	/* override 1: a second call for the same key type replaces it. */
	if (pk != NULL &&
	    SSL_CTX_use_cert_and_key(cfg->ctx, leaf, pk, chain, 1))
		rv = 0;
out:
	sk_X509_pop_free(chain, X509_free);
	X509_free(leaf);
	EVP_PKEY_free(pk);
	BIO_free(cb);
	BIO_free(kb);
	err_reset();
	return rv;
}

static int
version_code(nng_tls_version v)
{
	switch (v) {
	case NNG_TLS_1_0:
		return TLS1_VERSION;
	case NNG_TLS_1_1:
		return TLS1_1_VERSION;
	case NNG_TLS_1_2:
		return TLS1_2_VERSION;
	case NNG_TLS_1_3:
		return TLS1_3_VERSION;
	default:
		return -1;
	}
}

/* Versions below 1.2 are not offered: the suites above need 1.2. */
static int
cfg_version(
    struct nng_tls_engine_config *cfg, nng_tls_version lo, nng_tls_version hi)
{
	int min = version_code(lo), max = version_code(hi);

	if (atomic_load(&cfg->busy))
		return NNG_EBUSY;
	if (min < 0 || max < 0 || min > max)
		return NNG_ENOTSUP;
	if (max < TLS1_2_VERSION)
		return NNG_ENOTSUP;
	if (min < TLS1_2_VERSION)
		min = TLS1_2_VERSION;
	if (!SSL_CTX_set_min_proto_version(cfg->ctx, min) ||
	    !SSL_CTX_set_max_proto_version(cfg->ctx, max)) {
		err_reset();
		return NNG_ENOTSUP;
	}
	return 0;
}

/* Remember the first certificate check that failed, for the log line and
 * the status; OpenSSL's verdict stands. */
static int
verify_cb(int ok, X509_STORE_CTX *x)
{
	SSL                        *ssl;
	struct nng_tls_engine_conn *c;
	X509                       *cert;

	if (ok)
		return ok;
	ssl =
	    X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl == NULL || (c = SSL_get_app_data(ssl)) == NULL ||
	    c->vfy_err != X509_V_OK)
		return ok;
	c->vfy_err = X509_STORE_CTX_get_error(x);
	if ((cert = X509_STORE_CTX_get_current_cert(x)) != NULL)
		X509_NAME_oneline(X509_get_subject_name(cert), c->vfy_subject,
		    sizeof(c->vfy_subject));
	return ok;
}

/* ---- connections ---- */

static int
conn_init(
    struct nng_tls_engine_conn *c, void *nng, struct nng_tls_engine_config *cfg)
{
	BIO *bio;

	err_reset();
	atomic_store(&cfg->busy, true);
	c->nng = nng;
	c->cfg = cfg;
	c->vfy_err = X509_V_OK;
	if ((c->ssl = SSL_new(cfg->ctx)) == NULL)
		return NNG_ENOMEM;
	if ((bio = BIO_new(bio_method)) == NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
		return NNG_ENOMEM;
	}
	BIO_set_data(bio, c);
	BIO_set_init(bio, 1);
	SSL_set_bio(c->ssl, bio, bio);
	SSL_set_app_data(c->ssl, c);
	if (cfg->mode == NNG_TLS_MODE_SERVER) {
		SSL_set_accept_state(c->ssl);
		return 0;
	}
	SSL_set_connect_state(c->ssl);
	if (cfg->server_name != NULL &&
	    (!SSL_set_tlsext_host_name(c->ssl, cfg->server_name) ||
	        !SSL_set1_host(c->ssl, cfg->server_name))) {
		err_reset();
		return NNG_EINVAL;
	}
	return 0;
}

static void
conn_fini(struct nng_tls_engine_conn *c)
{
	SSL_free(c->ssl);
	c->ssl = NULL;
	err_reset();
}

/* Send close_notify once, if the session was up; never waits for the
 * peer's. */
static void
conn_close(struct nng_tls_engine_conn *c)
{
	if (c->closed)
		return;
	if (c->hs_done && !c->failed) {
		err_reset();
		(void)SSL_shutdown(c->ssl);
		err_reset();
	}
	c->closed = true;
}

static int
conn_handshake(struct nng_tls_engine_conn *c)
{
	int ret;

	if (c->closed)
		return NNG_ECLOSED;
	if (c->hs_done)
		return 0;
	err_reset();
	ret = SSL_do_handshake(c->ssl);
	if (ret == 1) {
		c->hs_done = true;
		return 0;
	}
	return conn_error(c, ret);
}

static int
conn_recv(struct nng_tls_engine_conn *c, uint8_t *buf, size_t *len)
{
	size_t n = 0;
	int    ret;

	if (c->closed)
		return NNG_ECLOSED;
	err_reset();
	/* TLS 1.3 (when a client asks for it): a client learns that meta
	 * refused its certificate on its first read, after its side of the
	 * handshake finished: that is NNG_EPEERAUTH here too. */
	if ((ret = SSL_read_ex(c->ssl, buf, *len, &n)) == 1) {
		*len = n;
		return 0;
	}
	return conn_error(c, ret);
}

static int
conn_send(struct nng_tls_engine_conn *c, const uint8_t *buf, size_t *len)
{
	size_t n = 0;
	int    ret;

	if (c->closed)
		return NNG_ECLOSED;
	err_reset();
	if ((ret = SSL_write_ex(c->ssl, buf, *len, &n)) == 1) {
		*len = n;
		return 0;
	}
	return conn_error(c, ret);
}

static bool
conn_verified(struct nng_tls_engine_conn *c)
{
	return SSL_get0_peer_certificate(c->ssl) != NULL &&
	       SSL_get_verify_result(c->ssl) == X509_V_OK;
}

/* The NNG_E* for a failed SSL call; logs the first TLS failure of the
 * connection; clears the error queue. */
static int
conn_error(struct nng_tls_engine_conn *c, int ret)
{
	int rv;

	switch (SSL_get_error(c->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		rv = NNG_EAGAIN;
		break;
	case SSL_ERROR_ZERO_RETURN: /* close_notify from the peer */
		rv = NNG_ECONNSHUT;
		break;
	case SSL_ERROR_SSL:
		rv = ssl_failure(c);
		break;
	default: /* SSL_ERROR_SYSCALL: the stream failed or hit EOF */
		rv = c->io_err != 0 ? c->io_err : NNG_ECONNSHUT;
		break;
	}
	if ((rv == NNG_EPEERAUTH || rv == NNG_ECRYPTO) && !c->failed)
		log_failure(c, rv);
	if (rv != NNG_EAGAIN)
		c->failed = true;
	err_reset();
	return rv;
}

/* A protocol failure: about certificates (ours refused by the peer, or the
 * peer's by us) is NNG_EPEERAUTH, anything else NNG_ECRYPTO. */
static int
ssl_failure(struct nng_tls_engine_conn *c)
{
	unsigned long e = ERR_peek_error();

	if (c->vfy_err != X509_V_OK ||
	    SSL_get_verify_result(c->ssl) != X509_V_OK)
		return NNG_EPEERAUTH;
	if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    reason_is_peer_auth(ERR_GET_REASON(e)))
		return NNG_EPEERAUTH;
	return NNG_ECRYPTO;
}

static bool
reason_is_peer_auth(int reason)
{
	switch (reason) {
	case SSL_R_CERTIFICATE_VERIFY_FAILED:
	case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
	case SSL_R_NO_CERTIFICATES_RETURNED:
	case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
	case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
	case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
	case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
	case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
		return true;
	default:
		return false;
	}
}

/* One line on why the handshake failed: the certificate check that failed
 * with its subject, else OpenSSL's reason.  A server logs it as a warning
 * (meta wants to see refused hosts); a client leaves its caller to say
 * what failed and keeps the detail for -v. */
static void
log_failure(struct nng_tls_engine_conn *c, int rv)
{
	char          why[TLS_WHY_MAX];
	unsigned long e = ERR_peek_error();
	uint64_t      dropped = 0;

	if (c->cfg->mode == NNG_TLS_MODE_SERVER &&
	    !ratelimit_take(&c->cfg->logrl, timeutil_mono_ms(), &dropped))
		return;
	if (c->vfy_err != X509_V_OK)
		snprintf(why, sizeof(why), "certificate %s: %s",
		    c->vfy_subject[0] ? c->vfy_subject : "(no subject)",
		    X509_verify_cert_error_string(c->vfy_err));
	else if (e != 0 && ERR_reason_error_string(e) != NULL)
		snprintf(why, sizeof(why), "%s", ERR_reason_error_string(e));
	else
		snprintf(why, sizeof(why), "%s", nng_strerror(rv));
	if (c->cfg->mode == NNG_TLS_MODE_SERVER)
		log_warnx("tls: handshake with a client failed: %s%s", why,
		    dropped > 0 ? " (after more failures not logged)" : "");
	else
		log_debug("tls: handshake with %s failed: %s",
		    c->cfg->server_name ? c->cfg->server_name : "the server",
		    why);
}

/* ---- the BIO between OpenSSL and nng's stream ---- */

static int
bio_write(BIO *b, const char *buf, int len)
{
	struct nng_tls_engine_conn *c = BIO_get_data(b);
	size_t                      n = (size_t)len;
	int                         rv;

	BIO_clear_retry_flags(b);
	rv = nng_tls_engine_send(c->nng, (const uint8_t *)buf, &n);
	if (rv == NNG_EAGAIN) {
		BIO_set_retry_write(b);
		return -1;
	}
	if (rv != 0) {
		c->io_err = rv;
		return -1;
	}
	return (int)n;
}

static int
bio_read(BIO *b, char *buf, int len)
{
	struct nng_tls_engine_conn *c = BIO_get_data(b);
	size_t                      n = (size_t)len;
	int                         rv;

	BIO_clear_retry_flags(b);
	rv = nng_tls_engine_recv(c->nng, (uint8_t *)buf, &n);
	if (rv == NNG_EAGAIN) {
		BIO_set_retry_read(b);
		return -1;
	}
	if (rv != 0) {
		c->io_err = rv;
		return -1;
	}
	return (int)n;
}

/* OpenSSL flushes after each flight; nng sends as soon as it has bytes. */
static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int
bio_create(BIO *b)
{
	BIO_set_init(b, 0);
	return 1;
}

static void
bio_method_make(void)
{
	BIO_METHOD *m;

	m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "nng");
	if (m == NULL)
		return;
	if (!BIO_meth_set_write(m, bio_write) ||
	    !BIO_meth_set_read(m, bio_read) ||
	    !BIO_meth_set_ctrl(m, bio_ctrl) ||
	    !BIO_meth_set_create(m, bio_create)) {
		BIO_meth_free(m);
		return;
	}
	bio_method = m;
}
