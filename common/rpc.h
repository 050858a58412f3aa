/* SPDX-License-Identifier: MIT */
/*
 * rpc: requests and replies over nng req/rep on tls+tcp:// with mutual TLS,
 * every request authenticated by the caller's ed25519 key (or a session
 * token that meta issued after a signed request).  This is the only module
 * that includes nng.h (with nngclose, its helper); nng_msg and NNG_E* never
 *leave rpc.c.
 *
 * Server: a rep socket with a pool of contexts driven by asynchronous aio.
 * Each request is an au.v1.Request envelope; the server checks the protocol
 * version, authenticates the caller (signature + replay window, or token),
 * asks the authorize callback, unpacks the payload with the method's input
 * descriptor and calls the ProtobufCService's invoke.  The handler receives
 * closure_data: an opaque per-call pointer to use with rpc_call_*().  It
 * must call the closure exactly once, with its reply or with NULL after
 * rpc_call_fail().  The server packs and sends the reply.  Anything
 * malformed, oversized, unauthenticated or forbidden gets a status reply
 * and a log line naming the caller; the server goes on.
 *
 * Client: rpc_client_service() gives a ProtobufCService whose invoke goes
 * over the req socket, so callers use the generated stubs:
 *
 *	struct rpc_result res = RPC_RESULT_INIT;
 *	au__v1__host_service__ping(rpc_client_service(c,
 *	    &au__v1__host_service__descriptor), &req, NULL, &res);
 *	if (res.status != AU_OK) ... au_err_str(&res.err) ...
 *	Au__V1__PingReply *rep = (Au__V1__PingReply *)res.reply;
 *	...
 *	rpc_result_fini(&res);
 *
 * closure_data MUST point to a struct rpc_result; the closure may be NULL
 * (when given, it is called with the reply after res is filled).  The reply
 * is owned by res until rpc_result_fini().  A call blocks up to the
 * client's deadline.  The client signs its first request, keeps the
 * session token from the reply, and signs again by itself when the token
 * expires or is refused.  One rpc_client serves one call at a time.
 *
 * A program using this module ignores SIGPIPE (meta, the updater and
 * metactl do, as do the tests): a peer that closes its end while a reply
 * or request is being written must cost an error, not the process.
 */
#ifndef AU_RPC_H
#define AU_RPC_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sig.h"

#define RPC_PROTOCOL_VERSION 1
/* Largest package chunk moved by GetPackage or UploadPackage. */
#define RPC_CHUNK_BYTES (1024 * 1024)
/* Largest message either side accepts (a chunk, a manifest, the envelope). */
#define RPC_MAX_MSG_BYTES (RPC_CHUNK_BYTES + 256 * 1024)
#define RPC_NAME_MAX 64
/* How long rpc_server_stop() waits for nng to close the listener. */
#define RPC_SERVER_CLOSE_WAIT_MS 5000

enum au_role {
	AU_ROLE_NONE = 0,
	AU_ROLE_HOST = 1,
	AU_ROLE_RELEASE = 2,
	AU_ROLE_ADMIN = 4,
};

/* "host", "release", "admin" or "none". */
const char *au_role_name(enum au_role role);

/* Who is calling.  For admin and release keys, name is the name configured
 * for the key; for any other key (a host), name is the key id. */
struct au_principal {
	enum au_role role;
	char         name[RPC_NAME_MAX + 1];
	uint8_t      pubkey[SIG_PUBKEY_BYTES];
	char         key_id[SIG_KEYID_HEX_BYTES];
};

/* Map a verified public key to a principal.  Called on signed requests
 * only (a token carries the principal).  Return AU_OK, or a status (say
 * AU_PERMISSION_DENIED) that the caller receives.  Must be thread-safe. */
typedef enum au_status (*rpc_identify_fn)(void *arg,
    const uint8_t pk[SIG_PUBKEY_BYTES], struct au_principal *out,
    struct au_err *err);

/* May principal call method ("au.v1.AdminService/SetVersion")?  AU_OK or
 * AU_PERMISSION_DENIED.  Must be thread-safe. */
typedef enum au_status (*rpc_authorize_fn)(
    void *arg, const struct au_principal *caller, const char *method);

/* The TLS library under nng: OpenSSL 3 (our engine, tls_openssl.c) or
 * mbedtls (nng's own).  nng holds one engine per process, so the first
 * rpc_server_new() or rpc_client_new() chooses it; a later one asking for
 * another engine gets the one in use and a log line saying that a change
 * needs a restart. */
enum rpc_tls_engine {
	RPC_TLS_DEFAULT = 0, /* RPC_TLS_DEFAULT_ENGINE */
	RPC_TLS_OPENSSL,
	RPC_TLS_MBEDTLS,
};

/* What RPC_TLS_DEFAULT means. */
#define RPC_TLS_DEFAULT_ENGINE RPC_TLS_OPENSSL

/* "openssl" or "mbedtls" (RPC_TLS_DEFAULT: the default's name). */
const char *rpc_tls_engine_name(enum rpc_tls_engine e);

/* Parse "openssl" or "mbedtls" into *out; AU_INVALID_ARGUMENT otherwise.
 * Pure. */
enum au_status rpc_tls_engine_parse(const char *s, enum rpc_tls_engine *out);

/* Make e the process's TLS engine if none was chosen yet (initialising nng
 * first, as registration needs); returns the engine in use, which differs
 * from e when another was chosen before (then logged).  Thread-safe;
 * called by rpc_server_new() and rpc_client_new(), so programs need not. */
enum rpc_tls_engine rpc_tls_engine_use(enum rpc_tls_engine e);

/* The engine in use, or RPC_TLS_DEFAULT before any was chosen. */
enum rpc_tls_engine rpc_tls_engine_active(void);

struct rpc_server_conf {
	const char         *url;     /* "tls+tcp://127.0.0.1:7600"; port 0 ok */
	const char         *ca_file; /* the fleet CA: client certs must chain */
	const char         *cert_file; /* meta's certificate (PEM) */
	const char         *key_file;  /* its private key (PEM) */
	uint8_t             token_key[SIG_MAC_KEY_BYTES];
	uint32_t            token_lifetime_s; /* 0: 3600 */
	uint32_t            skew_s;           /* allowed clock skew, 0: 300 */
	int                 contexts;         /* requests in flight, 0: 256 */
	size_t              recv_max;         /* 0: RPC_MAX_MSG_BYTES */
	const char         *server_version;   /* for logs */
	rpc_identify_fn     identify;
	void               *identify_arg;
	rpc_authorize_fn    authorize;
	void               *authorize_arg;
	enum rpc_tls_engine tls_engine; /* see rpc_tls_engine_use() */
};

struct rpc_server;

/* Create a server for the given services (the array is copied; the
 * services are borrowed and must outlive the server).  Copies conf.
 * Returns AU_OK and *out, or a status with err set (unreadable
 * certificates, a URL nng refuses). */
enum au_status rpc_server_new(const struct rpc_server_conf *conf,
    ProtobufCService *const *services, size_t nservices,
    struct rpc_server **out, struct au_err *err);

/* Listen and start serving; returns at once. */
enum au_status rpc_server_start(struct rpc_server *srv, struct au_err *err);

/* The TCP port the listener is bound to (useful with port 0). */
int rpc_server_port(const struct rpc_server *srv);

/* Connections (TLS sessions that completed the SP handshake) open now. */
int rpc_server_connections(const struct rpc_server *srv);

/* Stop taking requests and wait for the handlers in flight to finish.
 * Returns true when the server stopped; free it with rpc_server_free().
 * Returns false when nng's close did not finish within
 * RPC_SERVER_CLOSE_WAIT_MS (nngclose.h): srv is then no longer the
 * caller's (it is freed when the close finishes; do not call
 * rpc_server_free()), and handlers may still run, so the caller must not
 * free what they use: it should save what it must and exit. */
bool rpc_server_stop(struct rpc_server *srv);

/* Stop srv if it runs, then free it; NULL allowed.  After a hung close
 * (rpc_server_stop() false) it returns at once and srv is freed when the
 * close finishes. */
void rpc_server_free(struct rpc_server *srv);

/* In a handler: who is calling.  Never NULL. */
const struct au_principal *rpc_call_caller(void *closure_data);

/* In a handler: fail the call with code and a message for the caller; then
 * call the closure with NULL. */
void rpc_call_fail(void *closure_data, enum au_status code, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/* In a handler: a buffer of cap bytes (at most the server's recv_max)
 * for the one large bytes field of its reply, placed inside the message
 * the server will send, so that the bytes go out without being copied.
 * Fill a prefix of it and point the reply's bytes field at its start
 * (data == the buffer, len <= cap); any other use still works, with a
 * copy.  Owned by the call: valid until the closure returns.  NULL when
 * out of memory, cap is 0 or too large, or one was taken already in this
 * call: then use a buffer of your own.  Never blocks. */
void *rpc_call_reply_buffer(void *closure_data, size_t cap);

/* In a handler: ask the caller to wait ms before retrying (sent with
 * AU_RESOURCE_EXHAUSTED or AU_UNAVAILABLE). */
void rpc_call_retry_after(void *closure_data, uint32_t ms);

/* Note on server_name: the server name is matched against DNS names in
 * the certificate only, never IP addresses (mbedtls 2.28 cannot, and the
 * OpenSSL engine keeps the same rule so that both engines accept the same
 * configurations), so a URL with 127.0.0.1 needs server_name = "localhost"
 * (mkcerts.sh puts it in meta's certificate).  A TLS failure (wrong server
 * name, a certificate from another CA or expired, no client certificate on
 * meta's side) fails the call with AU_UNAVAILABLE and a message that says
 * TLS ("a certificate was refused" whenever the engine can tell, which
 * OpenSSL always can); connection refused likewise and says so.  Such a call
 * returns after two failed dial attempts (a few hundred ms) rather than at its
 * deadline. */
struct rpc_client_conf {
	const char *url;       /* "tls+tcp://meta.example:7600" */
	const char *ca_file;   /* the fleet CA: meta's cert must chain */
	const char *cert_file; /* this client's certificate */
	const char *key_file;  /* its private key */
	const char
	        *server_name; /* checked against meta's cert; NULL: URL host */
	uint8_t  identity_sk[SIG_SECKEY_BYTES]; /* copied; the copy is wiped */
	uint32_t timeout_ms;            /* deadline of one call, 0: 10000 */
	size_t   recv_max;              /* 0: RPC_MAX_MSG_BYTES */
	enum rpc_tls_engine tls_engine; /* see rpc_tls_engine_use() */
};

struct rpc_client;

/* Create a client and start dialing (non-blocking).  Returns AU_OK and
 * *out, or a status with err set. */
enum au_status rpc_client_new(const struct rpc_client_conf *conf,
    struct rpc_client **out, struct au_err *err);

/* Close and free; wipes the identity key; NULL allowed. */
void rpc_client_free(struct rpc_client *c);

/* A ProtobufCService for descriptor whose invoke calls over this client;
 * owned by the client. */
ProtobufCService *rpc_client_service(
    struct rpc_client *c, const ProtobufCServiceDescriptor *descriptor);

struct rpc_result {
	enum au_status    status;         /* also in err.code */
	struct au_err     err;            /* "meta: permission denied: ..." */
	uint32_t          retry_after_ms; /* from the server, 0 when none */
	ProtobufCMessage *reply;          /* owned; NULL unless status OK */
};

#define RPC_RESULT_INIT                          \
	{                                        \
		AU_UNKNOWN, AU_ERR_INIT, 0, NULL \
	}

/* Free the reply and reset res; NULL allowed. */
void rpc_result_fini(struct rpc_result *res);

#endif
