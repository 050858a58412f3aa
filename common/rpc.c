/* SPDX-License-Identifier: MIT */
/*
 * rpc: the request/reply layer over nng.  The server is nng's
 * demo/async/server.c: a rep socket with a pool of contexts, each an aio
 * state machine (receive -> handle -> send -> receive).  Handlers run on
 * nng's callback threads.  The client is in rpc_client.c; what both
 * share (NNG_E* mapping, TLS setup, connection counting) is in
 * rpc_common.c behind rpc_priv.h.  nng.h is included by the rpc module
 * (and nngclose) only.
 */
#include "rpc.h"

#include <sys/resource.h>

#include <arpa/inet.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/tls/tls.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au.pb-c.h"
#include "auth.h"
#include "log.h"
#include "nngclose.h"
#include "ratelimit.h"
#include "rpc_priv.h"
#include "wire.h"

#ifndef RPC_SEND_TIMEOUT_MS
#define RPC_SEND_TIMEOUT_MS 1000
#endif
#define RPC_REPLAY_ENTRIES 65536
#define RPC_REFUSAL_BURST 100
#define RPC_REFUSAL_PER_S 10
#define RPC_OUTBUF_KEEP (64 * 1024)
/* A reply buffer (rpc_call_reply_buffer) sits in the message to be sent,
 * with room before it for the envelope's payload tag and length and the
 * handler reply's other fields, and room after it for the envelope's
 * other fields. */
#define RPC_ZC_HEAD 4096
#define RPC_ZC_TAIL 1024
/* Largest handler reply struct that rpc_call_reply_buffer supports. */
#define RPC_ZC_STRUCT_MAX 512

/* closure_data of a server-side call. */
struct call {
	struct au_principal               caller;
	enum au_status                    status;
	char                              msg[AU_ERR_MSG_BYTES];
	uint32_t                          retry_after_ms;
	bool                              done;
	const ProtobufCMessageDescriptor *output;
	struct srv_ctx                   *ctx;
	size_t                            outlen;
	nng_msg *zmsg;   /* holds the rpc_call_reply_buffer(), or NULL */
	size_t   zcap;   /* the buffer's size, at body offset RPC_ZC_HEAD */
	size_t   zstart; /* the packed payload field: body offsets */
	size_t   zend;
	bool     zready; /* the handler's reply is packed in zmsg */
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
	struct rpc_server_conf conf;
	char                  *url;
	ProtobufCService     **services; /* our copy of the array */
	size_t                 nservices;
	nng_socket             sock;
	bool                   sock_open;
	nng_listener           lst;
	nng_tls_config        *tls;
	struct srv_ctx        *ctxs;
	int                    nctx;
	struct auth_replay    *replay;
	atomic_int             npipes;
	atomic_bool            stopping;
	struct ratelimit       refusals; /* log lines of refused calls */
	int                    port;
};

static void           srv_cb(void *arg);
static void           srv_recv(struct srv_ctx *c);
static void           srv_handle(struct srv_ctx *c, nng_msg *m);
static enum au_status srv_dispatch(struct srv_ctx *c, const Au__V1__Request *rq,
    Au__V1__Reply *rep, uint8_t *token, struct au_err *err);
static void           srv_closure(const ProtobufCMessage *msg, void *arg);
static bool           zc_pack(struct call *call, const ProtobufCMessage *msg);
static void           peer_desc(
              nng_pipe p, const struct au_principal *claimed, char *buf, size_t len);
static void caller_desc(const struct au_principal *p, char *buf, size_t len);

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
	ratelimit_init(&srv->refusals, RPC_REFUSAL_BURST, RPC_REFUSAL_PER_S);
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
	if ((srv->services = calloc(nservices + 1, sizeof(*services))) ==
	    NULL) {
		st = au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
		goto fail;
	}
	memcpy(srv->services, services, nservices * sizeof(*services));
	rpc_tls_engine_use(conf->tls_engine);
	if ((st = rpc_tls_setup(&srv->tls, NNG_TLS_MODE_SERVER, conf->ca_file,
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
	log_debug(
	    "rpc: open files limit %llu", (unsigned long long)rl.rlim_cur);
}

static enum au_status
srv_listen(struct rpc_server *srv, struct au_err *err)
{
	nng_sockaddr sa;
	size_t       maxsz = srv->conf.recv_max + RPC_RECV_HEADROOM;
	int          rv;

	if ((rv = nng_rep0_open(&srv->sock)) != 0)
		return au_err_set(
		    err, rpc_nng_status(rv), "%s", nng_strerror(rv));
	srv->sock_open = true;
	nng_pipe_notify(
	    srv->sock, NNG_PIPE_EV_ADD_POST, rpc_pipe_cb, &srv->npipes);
	nng_pipe_notify(
	    srv->sock, NNG_PIPE_EV_REM_POST, rpc_pipe_cb, &srv->npipes);
	if ((rv = nng_socket_set_size(srv->sock, NNG_OPT_RECVMAXSZ, maxsz)) ||
	    (rv = nng_listener_create(&srv->lst, srv->sock, srv->url)) ||
	    (rv = nng_listener_set_size(srv->lst, NNG_OPT_RECVMAXSZ, maxsz)) ||
	    (rv = nng_listener_set_ptr(srv->lst, NNG_OPT_TLS_CONFIG, srv->tls)))
		return au_err_set(
		    err, rpc_nng_status(rv), "%s", nng_strerror(rv));
	if ((rv = nng_listener_start(srv->lst, 0)) != 0)
		return au_err_set(
		    err, rpc_nng_status(rv), "listen: %s", nng_strerror(rv));
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
	if ((st = srv_listen(srv, err)) != AU_OK) {
		au_err_prefix(err, "rpc server %s", srv->url);
		return st;
	}
	for (int i = 0; i < srv->nctx; i++) {
		struct srv_ctx *c = &srv->ctxs[i];

		c->srv = srv;
		if ((rv = nng_aio_alloc(&c->aio, srv_cb, c)) != 0 ||
		    (rv = nng_ctx_open(&c->ctx, srv->sock)) != 0)
			return au_err_set(err, rpc_nng_status(rv),
			    "rpc server %s: context: %s", srv->url,
			    nng_strerror(rv));
	}
	for (int i = 0; i < srv->nctx; i++)
		srv_recv(&srv->ctxs[i]);
	log_info("rpc: listening on %s (port %d, %d contexts, TLS engine %s)",
	    srv->url, srv->port, srv->nctx,
	    rpc_tls_engine_name(rpc_tls_engine_active()));
	return AU_OK;
}

int
rpc_server_port(const struct rpc_server *srv)
{
	return srv->port;
}

int
rpc_server_connections(const struct rpc_server *srv)
{
	return atomic_load(&((struct rpc_server *)(uintptr_t)srv)->npipes);
}

/* Free what rpc_server_stop() leaves: the contexts, the TLS config and
 * the server itself.  Called when nng's close has finished, by
 * rpc_server_free() or, after a hung close, by the closing thread. */
static void
srv_release(void *arg)
{
	struct rpc_server *srv = arg;

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
	ratelimit_fini(&srv->refusals);
	free(srv);
}

bool
rpc_server_stop(struct rpc_server *srv)
{
	uint64_t dropped;

	if (srv == NULL || !srv->sock_open)
		return true;
	atomic_store(&srv->stopping, true);
	srv->sock_open = false;
	if ((dropped = ratelimit_drain(&srv->refusals)) > 0)
		log_warnx("rpc: %llu more refused calls were not logged",
		    (unsigned long long)dropped);
	/* Closing completes every aio with NNG_ECLOSED.  When nng's close
	 * hangs (nngclose.h), srv becomes the closing thread's, which frees
	 * it once the close finishes: not one more access to it here. */
	if (!nngclose(srv->sock, RPC_SERVER_CLOSE_WAIT_MS, srv_release, srv)) {
		log_warnx("rpc: closing the listener did not finish within "
		          "%d ms (an nng 1.5.2 close bug); leaving it to the "
		          "process's exit",
		    RPC_SERVER_CLOSE_WAIT_MS);
		return false;
	}
	for (int i = 0; i < srv->nctx; i++)
		if (srv->ctxs[i].aio != NULL)
			nng_aio_stop(srv->ctxs[i].aio);
	return true;
}

void
rpc_server_free(struct rpc_server *srv)
{
	if (srv == NULL || !rpc_server_stop(srv))
		return;
	srv_release(srv);
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
peer_desc(nng_pipe p, const struct au_principal *claimed, char *buf, size_t len)
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
		snprintf(
		    buf, len, "%s key %s", au_role_name(p->role), p->key_id);
	else
		snprintf(buf, len, "%s %s (key %s)", au_role_name(p->role),
		    p->name, p->key_id);
}

/* Send m, the packed reply. */
static void
srv_post(struct srv_ctx *c, nng_msg *m)
{
	nng_aio_set_msg(c->aio, m);
	nng_aio_set_timeout(c->aio, RPC_SEND_TIMEOUT_MS);
	c->sending = true;
	nng_ctx_send(c->ctx, c->aio);
}

/* Pack rep into m (reusing its storage); NULL (m freed) when out of
 * memory. */
static nng_msg *
srv_pack(struct srv_ctx *c, nng_msg *m, Au__V1__Reply *rep)
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
		return NULL;
	}
	au__v1__reply__pack(rep, nng_msg_body(m));
	return m;
}

/* The handler's reply is already in call->zmsg as the payload field:
 * append the envelope's other fields (rep has no payload) behind it and
 * cut the message to the packed bytes.  Frees req; NULL when out of
 * memory. */
static nng_msg *
srv_pack_zc(struct srv_ctx *c, nng_msg *req, Au__V1__Reply *rep)
{
	struct call *call = &c->call;
	nng_msg     *m = call->zmsg;
	size_t       rest = au__v1__reply__get_packed_size(rep);

	if (call->zend - call->zstart + rest > c->srv->conf.recv_max) {
		rep->status = AU__V1__STATUS__RESOURCE_EXHAUSTED;
		rep->message = "reply larger than the message limit";
		return srv_pack(c, req, rep);
	}
	nng_msg_free(req);
	call->zmsg = NULL;
	if (nng_msg_realloc(m, call->zend + rest) != 0) {
		log_warnx("rpc: reply of %zu bytes: out of memory",
		    call->zend + rest);
		nng_msg_free(m);
		return NULL;
	}
	au__v1__reply__pack(rep, (uint8_t *)nng_msg_body(m) + call->zend);
	nng_msg_trim(m, call->zstart);
	return m;
}

/* " (N more refused calls not logged)" when N > 0, else "". */
static const char *
dropped_note(uint64_t n, char *buf, size_t len)
{
	if (n == 0)
		return "";
	snprintf(buf, len, " (and %llu more refused calls not logged)",
	    (unsigned long long)n);
	return buf;
}

/* Fill the envelope's status fields and log a failure (at most
 * RPC_REFUSAL_BURST lines at once and RPC_REFUSAL_PER_S a second after
 * that: a client sending garbage in a loop must not fill the disk). */
static void
srv_reply_init(struct srv_ctx *c, nng_msg *m, const Au__V1__Request *rq,
    enum au_status st, struct au_err *err, Au__V1__Reply *rep)
{
	char     who[128], note[64];
	uint64_t dropped;

	rep->status = (Au__V1__Status)st;
	rep->has_protocol = true;
	rep->protocol = RPC_PROTOCOL_VERSION;
	if (rq != NULL && rq->has_request_id) {
		rep->has_request_id = true;
		rep->request_id = rq->request_id;
	}
	if (st == AU_OK && !c->call.zready) {
		rep->has_payload = true;
		rep->payload.data = c->out;
		rep->payload.len = c->call.outlen;
	} else if (st != AU_OK) {
		rep->message = err->msg;
		if (c->call.caller.role != AU_ROLE_NONE)
			caller_desc(&c->call.caller, who, sizeof(who));
		else
			peer_desc(nng_msg_get_pipe(m), &c->call.caller, who,
			    sizeof(who));
		if (ratelimit_take(&c->srv->refusals, rpc_mono_ms(), &dropped))
			log_warnx("rpc: %s: %s: %s: %s%s", who,
			    rq != NULL ? rq->method : "?", au_status_name(st),
			    err->msg,
			    dropped_note(dropped, note, sizeof(note)));
	}
	if (c->call.retry_after_ms != 0) {
		rep->has_retry_after_ms = true;
		rep->retry_after_ms = c->call.retry_after_ms;
	}
}

static void
srv_handle(struct srv_ctx *c, nng_msg *m)
{
	Au__V1__Reply    rep = AU__V1__REPLY__INIT;
	Au__V1__Request *rq = NULL;
	struct au_err    err = AU_ERR_INIT;
	uint8_t          token[AUTH_TOKEN_MAX];
	enum au_status   st;

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
	srv_reply_init(c, m, rq, st, &err, &rep);
	if (st == AU_OK && c->call.zready)
		m = srv_pack_zc(c, m, &rep);
	else
		m = srv_pack(c, m, &rep);
	/* Everything of this call goes before the send: its completion may
	 * start the next request on this context. */
	if (rq != NULL)
		au__v1__request__free_unpacked(rq, NULL);
	if (c->call.zmsg != NULL)
		nng_msg_free(c->call.zmsg);
	c->call.zmsg = NULL;
	if (c->outcap > RPC_OUTBUF_KEEP) {
		free(c->out);
		c->out = NULL;
		c->outcap = 0;
	}
	if (m != NULL)
		srv_post(c, m);
	else
		srv_recv(c);
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
		return au_err_set(
		    err, st, "replayed request (nonce seen before)");
	if (st != AU_OK) {
		c->call.retry_after_ms = 1000;
		return au_err_set(
		    err, st, "too many signed requests; retry later");
	}
	memcpy(p->pubkey, s->pubkey.data, SIG_PUBKEY_BYTES);
	if (srv->conf.identify != NULL) {
		if ((st = srv->conf.identify(
		         srv->conf.identify_arg, p->pubkey, p, err)) != AU_OK) {
			sig_key_id(s->pubkey.data, p->key_id);
			p->role = AU_ROLE_NONE;
			if (err != NULL && err->msg[0] == '\0')
				au_err_set(
				    err, st, "key %s refused", p->key_id);
			return st;
		}
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
		    c->srv->conf.token_key, auth_now_ms(), &c->call.caller,
		    err);
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
		const ProtobufCServiceDescriptor *d =
		    srv->services[i]->descriptor;

		if (strlen(d->name) != slen ||
		    memcmp(d->name, method, slen) != 0)
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
	         rq->has_payload ? rq->payload.len : 0, &in, err)) != AU_OK) {
		au_err_prefix(err, "payload");
		return st;
	}
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

static size_t
varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static uint8_t *
put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* The bytes field of msg that points at the call's reply buffer, or
 * NULL. */
static const ProtobufCFieldDescriptor *
zc_field(const struct call *call, const ProtobufCMessage *msg)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	const uint8_t *zbuf = (uint8_t *)nng_msg_body(call->zmsg) + RPC_ZC_HEAD;

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const ProtobufCBinaryData      *bd;

		if (f->type != PROTOBUF_C_TYPE_BYTES ||
		    f->label == PROTOBUF_C_LABEL_REPEATED)
			continue;
		bd = (const ProtobufCBinaryData *)(const void *)((const char *)
		                                                     msg +
		                                                 f->offset);
		if (bd->data == zbuf && bd->len <= call->zcap)
			return f;
	}
	return NULL;
}

/*
 * Pack msg, whose bytes field f already lies in place in zmsg at
 * RPC_ZC_HEAD, around it without copying it: in front of the bytes, the
 * envelope's payload tag and length, msg's other fields (packed from a
 * copy of msg with f empty; a required f packs as empty there, and the
 * real value after it wins, as for any repeated singular field), then f's
 * tag and length.  false when it does not fit: the caller packs normally.
 */
static bool
zc_pack(struct call *call, const ProtobufCMessage *msg)
{
	const ProtobufCFieldDescriptor *f = zc_field(call, msg);
	const ProtobufCFieldDescriptor *pf;
	union {
		ProtobufCMessage m;
		max_align_t      align;
		uint8_t          b[RPC_ZC_STRUCT_MAX];
	} cp;
	ProtobufCBinaryData *bd;
	size_t               len, rest, inner, head;
	uint32_t             ftag, etag;
	uint8_t             *p;

	pf = protobuf_c_message_descriptor_get_field_by_name(
	    &au__v1__reply__descriptor, "payload");
	if (f == NULL || pf == NULL ||
	    msg->descriptor->sizeof_message > sizeof(cp))
		return false;
	memcpy(cp.b, msg, msg->descriptor->sizeof_message);
	bd = (ProtobufCBinaryData *)(void *)(cp.b + f->offset);
	len = bd->len;
	*bd = (ProtobufCBinaryData){0, NULL};
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset != 0)
		*(protobuf_c_boolean *)(void *)(cp.b + f->quantifier_offset) =
		    0;
	ftag = f->id << 3 | 2;
	etag = pf->id << 3 | 2;
	rest = protobuf_c_message_get_packed_size(&cp.m);
	inner = rest + varint_len(ftag) + varint_len(len) + len;
	head = varint_len(etag) + varint_len(inner) + inner - len;
	if (head > RPC_ZC_HEAD)
		return false;
	call->zstart = RPC_ZC_HEAD - head;
	call->zend = RPC_ZC_HEAD + len;
	p = (uint8_t *)nng_msg_body(call->zmsg) + call->zstart;
	p = put_varint(p, etag);
	p = put_varint(p, inner);
	p += protobuf_c_message_pack(&cp.m, p);
	p = put_varint(p, ftag);
	put_varint(p, len);
	call->zready = true;
	return true;
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
	if (call->zmsg != NULL && zc_pack(call, msg)) {
		call->status = AU_OK;
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

void *
rpc_call_reply_buffer(void *closure_data, size_t cap)
{
	struct call *call = closure_data;

	if (call->zmsg != NULL || cap == 0 ||
	    cap > call->ctx->srv->conf.recv_max)
		return NULL;
	if (nng_msg_alloc(&call->zmsg, RPC_ZC_HEAD + cap + RPC_ZC_TAIL) != 0) {
		call->zmsg = NULL;
		return NULL;
	}
	call->zcap = cap;
	return (uint8_t *)nng_msg_body(call->zmsg) + RPC_ZC_HEAD;
}

void
rpc_call_retry_after(void *closure_data, uint32_t ms)
{
	((struct call *)closure_data)->retry_after_ms = ms;
}
