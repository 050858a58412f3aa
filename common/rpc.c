/* SPDX-License-Identifier: MIT */
/*
 * rpc: the request/reply layer over nng.  The server is nng's
 * demo/async/server.c: a rep socket with a pool of contexts, each an aio
 * state machine (receive -> handle -> send -> receive).  Handlers run on
 * nng's callback threads.  The client is a synchronous req socket: one
 * call at a time, send finished before receive starts (nng 1.5.2 #1702).
 * This is the only file that includes nng.h.
 */
#include "rpc.h"

#include <sys/resource.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "au.pb-c.h"
#include "auth.h"
#include "fsutil.h"
#include "log.h"
#include "wire.h"

#ifndef RPC_SEND_TIMEOUT_MS
#define RPC_SEND_TIMEOUT_MS 1000
#endif
#define RPC_RECV_HEADROOM 1024
#define RPC_REPLAY_ENTRIES 65536
#define RPC_PEM_MAX (64 * 1024)
#define RPC_OUTBUF_KEEP (64 * 1024)
#define RPC_CLIENT_SERVICES 4
#define RPC_RECONNECT_MIN_MS 100
#define RPC_RECONNECT_MAX_MS 10000
/* Sign again this long before the token's expiry instead of being refused. */
#define RPC_TOKEN_MARGIN_MS 30000

/* closure_data of a server-side call. */
struct call {
	struct au_principal caller;
	enum au_status      status;
	char                msg[AU_ERR_MSG_BYTES];
	uint32_t            retry_after_ms;
	bool                done;
	const ProtobufCMessageDescriptor *output;
	struct srv_ctx                   *ctx;
	size_t                            outlen;
};

struct srv_ctx {
	struct rpc_server *srv;
	nng_ctx            ctx;
	nng_aio           *aio;
	bool               sending;
	uint8_t           *out; /* packed handler output, reused */
	size_t             outcap;
	struct call        call;
};

struct rpc_server {
	struct rpc_server_conf   conf;
	char                    *url;
	ProtobufCService       **services; /* our copy of the array */
	size_t                   nservices;
	nng_socket               sock;
	bool                     sock_open;
	nng_listener             lst;
	nng_tls_config          *tls;
	struct srv_ctx          *ctxs;
	int                      nctx;
	struct auth_replay      *replay;
	atomic_int               npipes;
	atomic_bool              stopping;
	int                      port;
};

struct client_svc {
	ProtobufCService   base; /* first: the stubs see only this */
	struct rpc_client *c;
};

struct rpc_client {
	char             *url;
	char              server_name[256];
	uint32_t          timeout_ms;
	size_t            recv_max;
	nng_socket        sock;
	bool              sock_open;
	nng_dialer        dialer;
	nng_tls_config   *tls;
	uint8_t           sk[SIG_SECKEY_BYTES];
	uint8_t           pk[SIG_PUBKEY_BYTES];
	uint8_t           token[WIRE_TOKEN_MAX];
	size_t            token_len;
	uint64_t          token_expiry_ms;
	uint64_t          next_id;
	atomic_int        npipes;
	struct client_svc svcs[RPC_CLIENT_SERVICES];
	size_t            nsvcs;
};

/* Outcome of one exchange, before it reaches struct rpc_result. */
struct exchange {
	const char                       *method;
	const uint8_t                    *payload;
	size_t                            plen;
	const ProtobufCMessageDescriptor *output;
	uint64_t                          deadline; /* monotonic ms */
	bool                              used_token;
};

static enum au_status nng_status(int rv);
static uint64_t       mono_ms(void);
static enum au_status tls_setup(nng_tls_config **out, int mode,
    const char *ca, const char *cert, const char *key, const char *server_name,
    struct au_err *err);
static void           pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg);
static void           srv_cb(void *arg);
static void           srv_recv(struct srv_ctx *c);
static void           srv_handle(struct srv_ctx *c, nng_msg *m);
static enum au_status srv_dispatch(struct srv_ctx *c, const Au__V1__Request *rq,
    Au__V1__Reply *rep, uint8_t *token, struct au_err *err);
static void           srv_closure(const ProtobufCMessage *msg, void *arg);
static void peer_desc(nng_pipe p, const struct au_principal *claimed,
    char *buf, size_t len);
static void caller_desc(const struct au_principal *p, char *buf, size_t len);

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

/* The one place NNG_E* values become statuses. */
static enum au_status
nng_status(int rv)
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

static uint64_t
mono_ms(void)
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
	    AU_OK)
		return au_err_prefix(err, "%s", path);
	return AU_OK;
}

static enum au_status
tls_setup(nng_tls_config **out, int mode, const char *ca, const char *cert,
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
		st = au_err_set(err, nng_status(rv), "tls: %s", nng_strerror(rv));
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

static void
pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
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

/* ------------------------------------------------------------ server */

enum au_status
rpc_server_new(const struct rpc_server_conf *conf,
    ProtobufCService *const *services, size_t nservices,
    struct rpc_server **out, struct au_err *err)
{
	struct rpc_server *srv;
	enum au_status     st;

	*out = NULL;
	if (conf->url == NULL)
		return au_err_set(err, AU_INVALID_ARGUMENT, "rpc: no URL");
	if ((srv = calloc(1, sizeof(*srv))) == NULL ||
	    (srv->url = strdup(conf->url)) == NULL) {
		free(srv);
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	}
	srv->conf = *conf;
	srv->conf.url = srv->url;
	srv->conf.ca_file = srv->conf.cert_file = srv->conf.key_file = NULL;
	if (srv->conf.token_lifetime_s == 0)
		srv->conf.token_lifetime_s = 3600;
	if (srv->conf.skew_s == 0)
		srv->conf.skew_s = 300;
	if (srv->conf.contexts <= 0)
		srv->conf.contexts = 256;
	if (srv->conf.recv_max == 0)
		srv->conf.recv_max = RPC_MAX_MSG_BYTES;
	srv->nservices = nservices;
	srv->nctx = srv->conf.contexts;
	if ((srv->services = calloc(nservices + 1, sizeof(*services))) == NULL) {
		st = au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
		goto fail;
	}
	memcpy(srv->services, services, nservices * sizeof(*services));
	if ((st = tls_setup(&srv->tls, NNG_TLS_MODE_SERVER, conf->ca_file,
	         conf->cert_file, conf->key_file, NULL, err)) != AU_OK)
		goto fail;
	srv->replay = auth_replay_new(
	    RPC_REPLAY_ENTRIES, 2000 * (uint64_t)srv->conf.skew_s);
	srv->ctxs = calloc((size_t)srv->nctx, sizeof(*srv->ctxs));
	if (srv->replay == NULL || srv->ctxs == NULL) {
		st = au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
		goto fail;
	}
	*out = srv;
	return AU_OK;
fail:
	au_err_prefix(err, "rpc server %s", conf->url);
	rpc_server_free(srv);
	return st;
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			log_warn("rpc: raise open files limit");
	}
	log_debug("rpc: open files limit %llu", (unsigned long long)rl.rlim_cur);
}

static enum au_status
srv_listen(struct rpc_server *srv, struct au_err *err)
{
	nng_sockaddr sa;
	size_t       maxsz = srv->conf.recv_max + RPC_RECV_HEADROOM;
	int          rv;

	if ((rv = nng_rep0_open(&srv->sock)) != 0)
		return au_err_set(err, nng_status(rv), "%s", nng_strerror(rv));
	srv->sock_open = true;
	nng_pipe_notify(srv->sock, NNG_PIPE_EV_ADD_POST, pipe_cb, &srv->npipes);
	nng_pipe_notify(srv->sock, NNG_PIPE_EV_REM_POST, pipe_cb, &srv->npipes);
	if ((rv = nng_socket_set_size(srv->sock, NNG_OPT_RECVMAXSZ, maxsz)) ||
	    (rv = nng_listener_create(&srv->lst, srv->sock, srv->url)) ||
	    (rv = nng_listener_set_size(srv->lst, NNG_OPT_RECVMAXSZ, maxsz)) ||
	    (rv = nng_listener_set_ptr(srv->lst, NNG_OPT_TLS_CONFIG, srv->tls)))
		return au_err_set(err, nng_status(rv), "%s", nng_strerror(rv));
	if ((rv = nng_listener_start(srv->lst, 0)) != 0)
		return au_err_set(err, nng_status(rv), "listen: %s",
		    nng_strerror(rv));
	if (nng_listener_get_addr(srv->lst, NNG_OPT_LOCADDR, &sa) == 0 &&
	    sa.s_family == NNG_AF_INET)
		srv->port = ntohs(sa.s_in.sa_port);
	else if (sa.s_family == NNG_AF_INET6)
		srv->port = ntohs(sa.s_in6.sa_port);
	return AU_OK;
}

enum au_status
rpc_server_start(struct rpc_server *srv, struct au_err *err)
{
	enum au_status st;
	int            rv;

	raise_nofile();
	if ((st = srv_listen(srv, err)) != AU_OK)
		return au_err_prefix(err, "rpc server %s", srv->url);
	for (int i = 0; i < srv->nctx; i++) {
		struct srv_ctx *c = &srv->ctxs[i];

		c->srv = srv;
		if ((rv = nng_aio_alloc(&c->aio, srv_cb, c)) != 0 ||
		    (rv = nng_ctx_open(&c->ctx, srv->sock)) != 0)
			return au_err_set(err, nng_status(rv),
			    "rpc server %s: context: %s", srv->url,
			    nng_strerror(rv));
	}
	for (int i = 0; i < srv->nctx; i++)
		srv_recv(&srv->ctxs[i]);
	log_info("rpc: listening on %s (port %d, %d contexts)", srv->url,
	    srv->port, srv->nctx);
	return AU_OK;
}

int
rpc_server_port(const struct rpc_server *srv)
{
	return srv->port;
}

void
rpc_server_stop(struct rpc_server *srv)
{
	if (srv == NULL || !srv->sock_open)
		return;
	atomic_store(&srv->stopping, true);
	nng_close(srv->sock); /* completes every aio with NNG_ECLOSED */
	srv->sock_open = false;
	for (int i = 0; i < srv->nctx; i++)
		if (srv->ctxs[i].aio != NULL)
			nng_aio_stop(srv->ctxs[i].aio);
}

void
rpc_server_free(struct rpc_server *srv)
{
	if (srv == NULL)
		return;
	rpc_server_stop(srv);
	for (int i = 0; srv->ctxs != NULL && i < srv->nctx; i++) {
		nng_aio_free(srv->ctxs[i].aio);
		free(srv->ctxs[i].out);
	}
	free(srv->ctxs);
	if (srv->tls != NULL)
		nng_tls_config_free(srv->tls);
	auth_replay_free(srv->replay);
	free(srv->services);
	free(srv->url);
	free(srv);
}

static void
srv_recv(struct srv_ctx *c)
{
	c->sending = false;
	nng_aio_set_timeout(c->aio, NNG_DURATION_INFINITE);
	nng_ctx_recv(c->ctx, c->aio);
}

static void
srv_cb(void *arg)
{
	struct srv_ctx *c = arg;
	int             rv = nng_aio_result(c->aio);
	nng_msg        *m;

	if (c->sending) {
		if (rv != 0) {
			/* A peer that does not read its replies loses them
			 * after RPC_SEND_TIMEOUT_MS instead of holding the
			 * context. */
			nng_msg_free(nng_aio_get_msg(c->aio));
			nng_aio_set_msg(c->aio, NULL);
			log_debug("rpc: reply not sent: %s", nng_strerror(rv));
		}
	} else if (rv == 0) {
		m = nng_aio_get_msg(c->aio);
		nng_aio_set_msg(c->aio, NULL);
		srv_handle(c, m);
		return;
	} else if (rv != NNG_ECLOSED && rv != NNG_ECANCELED)
		log_warnx("rpc: receive: %s", nng_strerror(rv));
	if (atomic_load(&c->srv->stopping) || rv == NNG_ECLOSED ||
	    rv == NNG_ECANCELED)
		return;
	srv_recv(c);
}

/* "peer 10.0.0.7:51234" and, when the request named one, the key it
 * claimed (not verified). */
static void
peer_desc(nng_pipe p, const struct au_principal *claimed, char *buf,
    size_t len)
{
	nng_sockaddr sa;
	char         ip[INET6_ADDRSTRLEN] = "?";
	unsigned     port = 0;

	if (nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa) == 0) {
		if (sa.s_family == NNG_AF_INET) {
			inet_ntop(AF_INET, &sa.s_in.sa_addr, ip, sizeof(ip));
			port = ntohs(sa.s_in.sa_port);
		} else if (sa.s_family == NNG_AF_INET6) {
			inet_ntop(AF_INET6, sa.s_in6.sa_addr, ip, sizeof(ip));
			port = ntohs(sa.s_in6.sa_port);
		}
	}
	if (claimed->key_id[0] != '\0')
		snprintf(buf, len, "peer %s port %u (claims key %s)", ip, port,
		    claimed->key_id);
	else
		snprintf(buf, len, "peer %s port %u", ip, port);
}

static void
caller_desc(const struct au_principal *p, char *buf, size_t len)
{
	if (p->name[0] == '\0' || strcmp(p->name, p->key_id) == 0)
		snprintf(buf, len, "%s key %s", au_role_name(p->role), p->key_id);
	else
		snprintf(buf, len, "%s %s (key %s)", au_role_name(p->role),
		    p->name, p->key_id);
}

/* Build the reply into m (reusing its storage) and send it. */
static void
srv_send(struct srv_ctx *c, nng_msg *m, Au__V1__Reply *rep)
{
	size_t size = au__v1__reply__get_packed_size(rep);

	if (size > c->srv->conf.recv_max) {
		rep->status = AU__V1__STATUS__RESOURCE_EXHAUSTED;
		rep->message = "reply larger than the message limit";
		rep->has_payload = false;
		size = au__v1__reply__get_packed_size(rep);
	}
	nng_msg_clear(m);
	if (nng_msg_realloc(m, size) != 0) {
		log_warnx("rpc: reply of %zu bytes: out of memory", size);
		nng_msg_free(m);
		srv_recv(c);
		return;
	}
	au__v1__reply__pack(rep, nng_msg_body(m));
	nng_aio_set_msg(c->aio, m);
	nng_aio_set_timeout(c->aio, RPC_SEND_TIMEOUT_MS);
	c->sending = true;
	nng_ctx_send(c->ctx, c->aio);
}

static void
srv_handle(struct srv_ctx *c, nng_msg *m)
{
	Au__V1__Reply    rep = AU__V1__REPLY__INIT;
	Au__V1__Request *rq = NULL;
	struct au_err    err = AU_ERR_INIT;
	uint8_t          token[AUTH_TOKEN_MAX];
	enum au_status   st;
	char             who[128];

	memset(&c->call, 0, sizeof(c->call));
	c->call.ctx = c;
	if (nng_msg_len(m) > c->srv->conf.recv_max)
		st = au_err_set(&err, AU_RESOURCE_EXHAUSTED,
		    "request of %zu bytes is over the limit of %zu",
		    nng_msg_len(m), c->srv->conf.recv_max);
	else if ((st = wire_request_unpack(
	              nng_msg_body(m), nng_msg_len(m), &rq, &err)) != AU_OK)
		au_err_prefix(&err, "request envelope");
	else
		st = srv_dispatch(c, rq, &rep, token, &err);
	rep.status = (Au__V1__Status)st;
	rep.has_protocol = true;
	rep.protocol = RPC_PROTOCOL_VERSION;
	if (rq != NULL && rq->has_request_id) {
		rep.has_request_id = true;
		rep.request_id = rq->request_id;
	}
	if (st == AU_OK) {
		rep.has_payload = true;
		rep.payload.data = c->out;
		rep.payload.len = c->call.outlen;
	} else {
		rep.message = err.msg;
		if (c->call.caller.role != AU_ROLE_NONE)
			caller_desc(&c->call.caller, who, sizeof(who));
		else
			peer_desc(nng_msg_get_pipe(m), &c->call.caller, who,
			    sizeof(who));
		log_warnx("rpc: %s: %s: %s: %s", who,
		    rq != NULL ? rq->method : "?", au_status_name(st), err.msg);
	}
	if (c->call.retry_after_ms != 0) {
		rep.has_retry_after_ms = true;
		rep.retry_after_ms = c->call.retry_after_ms;
	}
	srv_send(c, m, &rep);
	if (rq != NULL)
		au__v1__request__free_unpacked(rq, NULL);
	if (c->outcap > RPC_OUTBUF_KEEP) {
		free(c->out);
		c->out = NULL;
		c->outcap = 0;
	}
}

static enum au_status
srv_auth_signed(struct srv_ctx *c, const Au__V1__Request *rq,
    Au__V1__Reply *rep, uint8_t *token, struct au_err *err)
{
	struct rpc_server        *srv = c->srv;
	const Au__V1__SignedAuth *s = rq->signed_;
	struct au_principal      *p = &c->call.caller;
	uint64_t                  now = auth_now_ms();
	enum au_status            st;

	sig_key_id(s->pubkey.data, p->key_id);
	if ((st = auth_verify(s->signature.data, s->pubkey.data, rq->protocol,
	         rq->method, s->timestamp_ms, s->nonce.data,
	         rq->has_payload ? rq->payload.data : NULL,
	         rq->has_payload ? rq->payload.len : 0, now, srv->conf.skew_s,
	         err)) != AU_OK)
		return st;
	st = auth_replay_add(srv->replay, s->pubkey.data, s->nonce.data, now);
	if (st == AU_UNAUTHENTICATED)
		return au_err_set(err, st, "replayed request (nonce seen before)");
	if (st != AU_OK) {
		c->call.retry_after_ms = 1000;
		return au_err_set(err, st, "too many signed requests; retry later");
	}
	memcpy(p->pubkey, s->pubkey.data, SIG_PUBKEY_BYTES);
	if (srv->conf.identify != NULL) {
		if ((st = srv->conf.identify(srv->conf.identify_arg, p->pubkey, p,
		         err)) != AU_OK)
			return st;
		memcpy(p->pubkey, s->pubkey.data, SIG_PUBKEY_BYTES);
		sig_key_id(p->pubkey, p->key_id);
	} else {
		p->role = AU_ROLE_HOST;
		snprintf(p->name, sizeof(p->name), "%s", p->key_id);
	}
	rep->has_token = true;
	rep->token.data = token;
	rep->token_expiry_ms =
	    now + (uint64_t)srv->conf.token_lifetime_s * 1000;
	rep->has_token_expiry_ms = true;
	rep->token.len = auth_token_issue(
	    token, srv->conf.token_key, p, rep->token_expiry_ms);
	return AU_OK;
}

static enum au_status
srv_authenticate(struct srv_ctx *c, const Au__V1__Request *rq,
    Au__V1__Reply *rep, uint8_t *token, struct au_err *err)
{
	if (rq->has_token)
		return auth_token_verify(rq->token.data, rq->token.len,
		    c->srv->conf.token_key, auth_now_ms(), &c->call.caller, err);
	if (rq->signed_ != NULL)
		return srv_auth_signed(c, rq, rep, token, err);
	return au_err_set(err, AU_UNAUTHENTICATED,
	    "request carries neither a signature nor a session token");
}

/* Find "package.Service/Method" among the services. */
static ProtobufCService *
srv_lookup(struct rpc_server *srv, const char *method, unsigned *index)
{
	const char *slash = strrchr(method, '/');
	size_t      slen;

	if (slash == NULL)
		return NULL;
	slen = (size_t)(slash - method);
	for (size_t i = 0; i < srv->nservices; i++) {
		const ProtobufCServiceDescriptor *d = srv->services[i]->descriptor;

		if (strlen(d->name) != slen || memcmp(d->name, method, slen) != 0)
			continue;
		for (unsigned j = 0; j < d->n_methods; j++)
			if (strcmp(d->methods[j].name, slash + 1) == 0) {
				*index = j;
				return srv->services[i];
			}
	}
	return NULL;
}

static enum au_status
srv_dispatch(struct srv_ctx *c, const Au__V1__Request *rq, Au__V1__Reply *rep,
    uint8_t *token, struct au_err *err)
{
	struct rpc_server *srv = c->srv;
	ProtobufCService  *svc;
	ProtobufCMessage  *in = NULL;
	unsigned           idx = 0;
	enum au_status     st;
	char               who[128];

	if (rq->protocol != RPC_PROTOCOL_VERSION)
		return au_err_set(err, AU_FAILED_PRECONDITION,
		    "protocol %u not supported; server speaks %d", rq->protocol,
		    RPC_PROTOCOL_VERSION);
	if ((st = srv_authenticate(c, rq, rep, token, err)) != AU_OK)
		return st;
	if ((svc = srv_lookup(srv, rq->method, &idx)) == NULL)
		return au_err_set(
		    err, AU_UNIMPLEMENTED, "unknown method %s", rq->method);
	if (srv->conf.authorize != NULL &&
	    srv->conf.authorize(srv->conf.authorize_arg, &c->call.caller,
	        rq->method) != AU_OK) {
		caller_desc(&c->call.caller, who, sizeof(who));
		return au_err_set(err, AU_PERMISSION_DENIED,
		    "%s may not call %s", who, rq->method);
	}
	if ((st = wire_unpack(svc->descriptor->methods[idx].input,
	         rq->has_payload ? rq->payload.data : NULL,
	         rq->has_payload ? rq->payload.len : 0, &in, err)) != AU_OK)
		return au_err_prefix(err, "payload");
	c->call.output = svc->descriptor->methods[idx].output;
	c->call.status = AU_OK;
	svc->invoke(svc, idx, in, srv_closure, &c->call);
	protobuf_c_message_free_unpacked(in, NULL);
	if (!c->call.done)
		return au_err_set(err, AU_INTERNAL,
		    "handler for %s did not answer", rq->method);
	if (c->call.status != AU_OK)
		return au_err_set(err, c->call.status, "%s", c->call.msg);
	return AU_OK;
}

static void
srv_closure(const ProtobufCMessage *msg, void *arg)
{
	struct call    *call = arg;
	struct srv_ctx *c = call->ctx;
	size_t          size;

	if (call->done)
		return; /* a second answer is a handler bug; keep the first */
	call->done = true;
	if (msg == NULL) {
		if (call->status == AU_OK) {
			call->status = AU_INTERNAL;
			snprintf(call->msg, sizeof(call->msg),
			    "handler failed without a status");
		}
		return;
	}
	if (msg->descriptor != call->output) {
		call->status = AU_INTERNAL;
		snprintf(call->msg, sizeof(call->msg),
		    "handler answered with %s instead of %s",
		    msg->descriptor->name, call->output->name);
		return;
	}
	size = protobuf_c_message_get_packed_size(msg);
	if (size > c->outcap) {
		uint8_t *p = realloc(c->out, size);

		if (p == NULL) {
			call->status = AU_RESOURCE_EXHAUSTED;
			snprintf(call->msg, sizeof(call->msg), "out of memory");
			return;
		}
		c->out = p;
		c->outcap = size;
	}
	call->outlen = protobuf_c_message_pack(msg, c->out);
	call->status = AU_OK;
}

const struct au_principal *
rpc_call_caller(void *closure_data)
{
	return &((struct call *)closure_data)->caller;
}

void
rpc_call_fail(void *closure_data, enum au_status code, const char *fmt, ...)
{
	struct call *call = closure_data;
	va_list      ap;

	call->status = code == AU_OK ? AU_INTERNAL : code;
	va_start(ap, fmt);
	vsnprintf(call->msg, sizeof(call->msg), fmt, ap);
	va_end(ap);
}

void
rpc_call_retry_after(void *closure_data, uint32_t ms)
{
	((struct call *)closure_data)->retry_after_ms = ms;
}

/* ------------------------------------------------------------ client */

/* The host part of "tls+tcp://host:port" into buf. */
static void
url_host(const char *url, char *buf, size_t len)
{
	const char *h = strstr(url, "://"), *end;

	h = h != NULL ? h + 3 : url;
	if (*h == '[') {
		h++;
		end = strchr(h, ']');
	} else
		end = strrchr(h, ':');
	if (end == NULL)
		end = h + strlen(h);
	snprintf(buf, len, "%.*s", (int)(end - h), h);
}

static enum au_status
client_dial(struct rpc_client *c, const struct rpc_client_conf *conf,
    struct au_err *err)
{
	char           host[256];
	size_t         maxsz = c->recv_max + RPC_RECV_HEADROOM;
	enum au_status st;
	int            rv;

	url_host(conf->url, host, sizeof(host));
	snprintf(c->server_name, sizeof(c->server_name), "%s",
	    conf->server_name != NULL ? conf->server_name : host);
	if ((st = tls_setup(&c->tls, NNG_TLS_MODE_CLIENT, conf->ca_file,
	         conf->cert_file, conf->key_file, c->server_name, err)) !=
	    AU_OK)
		return st;
	if ((rv = nng_req0_open(&c->sock)) != 0)
		return au_err_set(err, nng_status(rv), "%s", nng_strerror(rv));
	c->sock_open = true;
	nng_pipe_notify(c->sock, NNG_PIPE_EV_ADD_POST, pipe_cb, &c->npipes);
	nng_pipe_notify(c->sock, NNG_PIPE_EV_REM_POST, pipe_cb, &c->npipes);
	/* No automatic resend: the client decides what to retry. */
	if ((rv = nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME,
	         NNG_DURATION_INFINITE)) ||
	    (rv = nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, maxsz)) ||
	    (rv = nng_dialer_create(&c->dialer, c->sock, conf->url)) ||
	    (rv = nng_dialer_set_size(c->dialer, NNG_OPT_RECVMAXSZ, maxsz)) ||
	    (rv = nng_dialer_set_ms(
	         c->dialer, NNG_OPT_RECONNMINT, RPC_RECONNECT_MIN_MS)) ||
	    (rv = nng_dialer_set_ms(
	         c->dialer, NNG_OPT_RECONNMAXT, RPC_RECONNECT_MAX_MS)) ||
	    (rv = nng_dialer_set_ptr(c->dialer, NNG_OPT_TLS_CONFIG, c->tls)) ||
	    (rv = nng_dialer_start(c->dialer, NNG_FLAG_NONBLOCK)))
		return au_err_set(err, nng_status(rv), "%s", nng_strerror(rv));
	return AU_OK;
}

enum au_status
rpc_client_new(const struct rpc_client_conf *conf, struct rpc_client **out,
    struct au_err *err)
{
	struct rpc_client *c;
	enum au_status     st;

	*out = NULL;
	if (conf->url == NULL)
		return au_err_set(err, AU_INVALID_ARGUMENT, "rpc: no URL");
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->url = strdup(conf->url)) == NULL) {
		free(c);
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	}
	c->timeout_ms = conf->timeout_ms != 0 ? conf->timeout_ms : 10000;
	c->recv_max = conf->recv_max != 0 ? conf->recv_max : RPC_MAX_MSG_BYTES;
	memcpy(c->sk, conf->identity_sk, SIG_SECKEY_BYTES);
	sig_sk_to_pk(c->sk, c->pk);
	if ((st = client_dial(c, conf, err)) != AU_OK) {
		au_err_prefix(err, "connect %s", conf->url);
		rpc_client_free(c);
		return st;
	}
	*out = c;
	return AU_OK;
}

void
rpc_client_free(struct rpc_client *c)
{
	if (c == NULL)
		return;
	if (c->sock_open)
		nng_close(c->sock);
	if (c->tls != NULL)
		nng_tls_config_free(c->tls);
	sig_memzero(c->sk, sizeof(c->sk));
	sig_memzero(c->token, sizeof(c->token));
	free(c->url);
	free(c);
}

/* A counter from nng's statistics for the dialer ("refused", ...). */
static uint64_t
dialer_stat(nng_dialer d, const char *name)
{
	nng_stat *all, *ds, *s;
	uint64_t  v = 0;

	if (nng_stats_get(&all) != 0)
		return 0;
	if ((ds = nng_stat_find_dialer(all, d)) != NULL &&
	    (s = nng_stat_find(ds, name)) != NULL)
		v = nng_stat_value(s);
	nng_stats_free(all);
	return v;
}

/* Why the dialer has no connection, from its error counters. */
static const char *
dial_reason(struct rpc_client *c, char *buf, size_t len)
{
	if (dialer_stat(c->dialer, "auth") > 0) {
		snprintf(buf, len,
		    "TLS handshake failed: a certificate was refused (meta's "
		    "for server name %s, or ours by meta): check ca, cert, "
		    "key and server_name",
		    c->server_name);
		return buf;
	}
	if (dialer_stat(c->dialer, "refused") > 0)
		return "connection refused";
	if (dialer_stat(c->dialer, "disconnect") > 0 ||
	    dialer_stat(c->dialer, "proto") > 0)
		return "connection closed during the TLS handshake (is our "
		       "certificate from meta's CA? check ca, cert, key and "
		       "server_name)";
	if (dialer_stat(c->dialer, "timedout") > 0)
		return "timed out connecting";
	return "no connection";
}

static uint64_t
dial_errors(struct rpc_client *c)
{
	static const char *const names[] = {"auth", "refused", "disconnect",
	    "proto", "timedout", "other", "reject", "nomem", NULL};
	uint64_t n = 0;

	for (int i = 0; names[i] != NULL; i++)
		n += dialer_stat(c->dialer, names[i]);
	return n;
}

/* Wait until the dialer has a connection, two more dial attempts failed
 * (one may have been under way before the call started: meta was just
 * restarting), or the deadline passed. */
static enum au_status
client_wait_pipe(struct rpc_client *c, uint64_t deadline, struct au_err *err)
{
	uint64_t base;
	char     why[384];

	if (atomic_load(&c->npipes) > 0)
		return AU_OK;
	base = dial_errors(c);
	while (atomic_load(&c->npipes) == 0) {
		if (mono_ms() >= deadline || dial_errors(c) >= base + 2)
			return au_err_set(err, AU_UNAVAILABLE, "connect %s: %s",
			    c->url, dial_reason(c, why, sizeof(why)));
		nanosleep(&(struct timespec){0, 5000000}, NULL);
	}
	return AU_OK;
}

/* Pack rq into a new nng message. */
static enum au_status
client_build(struct rpc_client *c, const struct exchange *x, nng_msg **out,
    struct au_err *err)
{
	Au__V1__Request    rq = AU__V1__REQUEST__INIT;
	Au__V1__SignedAuth sa = AU__V1__SIGNED_AUTH__INIT;
	uint8_t            nonce[AUTH_NONCE_BYTES], sig[SIG_BYTES];
	int                rv;

	rq.protocol = RPC_PROTOCOL_VERSION;
	rq.method = (char *)(uintptr_t)x->method;
	rq.has_payload = true;
	rq.payload.data = (uint8_t *)(uintptr_t)x->payload;
	rq.payload.len = x->plen;
	rq.has_request_id = true;
	rq.request_id = ++c->next_id;
	if (x->used_token) {
		rq.has_token = true;
		rq.token.data = c->token;
		rq.token.len = c->token_len;
	} else {
		sig_random(nonce, sizeof(nonce));
		sa.timestamp_ms = auth_now_ms();
		if (auth_sign(sig, c->sk, RPC_PROTOCOL_VERSION, x->method,
		        sa.timestamp_ms, nonce, x->payload, x->plen) != AU_OK)
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "method name too long");
		sa.pubkey = (ProtobufCBinaryData){SIG_PUBKEY_BYTES, c->pk};
		sa.nonce = (ProtobufCBinaryData){AUTH_NONCE_BYTES, nonce};
		sa.signature = (ProtobufCBinaryData){SIG_BYTES, sig};
		rq.signed_ = &sa;
	}
	if ((rv = nng_msg_alloc(out, au__v1__request__get_packed_size(&rq))))
		return au_err_set(err, nng_status(rv), "%s", nng_strerror(rv));
	au__v1__request__pack(&rq, nng_msg_body(*out));
	return AU_OK;
}

static nng_duration
remaining(uint64_t deadline)
{
	uint64_t now = mono_ms();

	return now >= deadline ? 1 : (nng_duration)(deadline - now);
}

/* Send m and wait for the answer; m is consumed. */
static enum au_status
client_roundtrip(struct rpc_client *c, nng_msg *m, uint64_t deadline,
    nng_msg **reply, struct au_err *err)
{
	char why[384];
	int  rv;

	nng_socket_set_ms(c->sock, NNG_OPT_SENDTIMEO, remaining(deadline));
	if ((rv = nng_sendmsg(c->sock, m, 0)) != 0) {
		nng_msg_free(m);
		if (rv == NNG_ETIMEDOUT && atomic_load(&c->npipes) == 0)
			return au_err_set(err, AU_UNAVAILABLE, "connect %s: %s",
			    c->url, dial_reason(c, why, sizeof(why)));
		return au_err_set(err, nng_status(rv), "send to %s: %s",
		    c->url, nng_strerror(rv));
	}
	nng_socket_set_ms(c->sock, NNG_OPT_RECVTIMEO, remaining(deadline));
	if ((rv = nng_recvmsg(c->sock, reply, 0)) != 0) {
		if (rv == NNG_ETIMEDOUT)
			return au_err_set(err, AU_DEADLINE_EXCEEDED,
			    "%s: no answer within %u ms", c->url, c->timeout_ms);
		return au_err_set(err, nng_status(rv), "receive from %s: %s",
		    c->url, nng_strerror(rv));
	}
	return AU_OK;
}

/* Turn a Reply into res. */
static enum au_status
client_result(struct rpc_client *c, const struct exchange *x,
    const Au__V1__Reply *rep, struct rpc_result *res)
{
	enum au_status st = au_status_from_wire(rep->status);

	if (rep->has_token && rep->token.len <= sizeof(c->token)) {
		memcpy(c->token, rep->token.data, rep->token.len);
		c->token_len = rep->token.len;
		c->token_expiry_ms = rep->token_expiry_ms;
	}
	res->retry_after_ms = rep->has_retry_after_ms ? rep->retry_after_ms : 0;
	if (st != AU_OK) {
		res->status = au_err_set(&res->err, st, "meta: %s: %s",
		    au_strerror(st),
		    rep->message != NULL && rep->message[0] != '\0'
		        ? rep->message
		        : "no details");
		return st;
	}
	if ((st = wire_unpack(x->output,
	         rep->has_payload ? rep->payload.data : NULL,
	         rep->has_payload ? rep->payload.len : 0, &res->reply,
	         &res->err)) != AU_OK) {
		au_err_prefix(&res->err, "meta: reply to %s", x->method);
		res->status = res->err.code = AU_INTERNAL;
		return AU_INTERNAL;
	}
	res->status = AU_OK;
	au_err_clear(&res->err);
	return AU_OK;
}

/* One attempt: build, send, receive, decode into res. */
static enum au_status
client_attempt(
    struct rpc_client *c, const struct exchange *x, struct rpc_result *res)
{
	nng_msg       *m = NULL, *reply = NULL;
	Au__V1__Reply *rep = NULL;
	enum au_status st;

	au_err_clear(&res->err);
	if ((st = client_build(c, x, &m, &res->err)) != AU_OK ||
	    (st = client_wait_pipe(c, x->deadline, &res->err)) != AU_OK)
		goto out;
	st = client_roundtrip(c, m, x->deadline, &reply, &res->err);
	m = NULL;
	if (st != AU_OK)
		goto out;
	if ((st = wire_reply_unpack(nng_msg_body(reply), nng_msg_len(reply),
	         &rep, &res->err)) != AU_OK) {
		st = au_err_set(&res->err, AU_INTERNAL,
		    "meta: malformed reply: %s", res->err.msg);
		goto out;
	}
	st = client_result(c, x, rep, res);
out:
	if (st != AU_OK)
		res->status = res->err.code = st;
	if (m != NULL)
		nng_msg_free(m);
	if (reply != NULL)
		nng_msg_free(reply);
	if (rep != NULL)
		au__v1__reply__free_unpacked(rep, NULL);
	return st;
}

static void
client_invoke(ProtobufCService *service, unsigned index,
    const ProtobufCMessage *input, ProtobufCClosure closure,
    void *closure_data)
{
	struct rpc_client *c = ((struct client_svc *)service)->c;
	struct rpc_result *res = closure_data;
	const ProtobufCMethodDescriptor *md = &service->descriptor->methods[index];
	char             method[WIRE_METHOD_MAX + 1];
	uint8_t         *payload;
	struct exchange  x;

	res->reply = NULL;
	res->retry_after_ms = 0;
	snprintf(method, sizeof(method), "%s/%s", service->descriptor->name,
	    md->name);
	x = (struct exchange){.method = method, .output = md->output,
	    .deadline = mono_ms() + c->timeout_ms};
	x.plen = protobuf_c_message_get_packed_size(input);
	if ((payload = malloc(x.plen > 0 ? x.plen : 1)) == NULL) {
		res->status = au_err_set(&res->err, AU_RESOURCE_EXHAUSTED,
		    "%s: out of memory", method);
		goto out;
	}
	protobuf_c_message_pack(input, payload);
	x.payload = payload;
	x.used_token = c->token_len > 0 &&
	    auth_now_ms() + RPC_TOKEN_MARGIN_MS < c->token_expiry_ms;
	if (client_attempt(c, &x, res) == AU_UNAUTHENTICATED && x.used_token) {
		/* Token expired or meta lost its secret: sign once more. */
		c->token_len = 0;
		x.used_token = false;
		client_attempt(c, &x, res);
	}
	free(payload);
out:
	if (closure != NULL)
		closure(res->reply, closure_data);
}

static void
client_svc_destroy(ProtobufCService *service)
{
	(void)service; /* owned by the client */
}

ProtobufCService *
rpc_client_service(
    struct rpc_client *c, const ProtobufCServiceDescriptor *descriptor)
{
	struct client_svc *s;

	for (size_t i = 0; i < c->nsvcs; i++)
		if (c->svcs[i].base.descriptor == descriptor)
			return &c->svcs[i].base;
	if (c->nsvcs == RPC_CLIENT_SERVICES)
		return NULL;
	s = &c->svcs[c->nsvcs++];
	s->base.descriptor = descriptor;
	s->base.invoke = client_invoke;
	s->base.destroy = client_svc_destroy;
	s->c = c;
	return &s->base;
}

void
rpc_result_fini(struct rpc_result *res)
{
	if (res == NULL)
		return;
	if (res->reply != NULL)
		protobuf_c_message_free_unpacked(res->reply, NULL);
	res->reply = NULL;
	res->status = AU_UNKNOWN;
	res->retry_after_ms = 0;
	au_err_clear(&res->err);
}
