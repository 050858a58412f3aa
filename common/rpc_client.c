/* SPDX-License-Identifier: MIT */
/*
 * rpc_client: the client half of rpc.h.  A synchronous req socket with
 * automatic resend off: one call at a time, each send finished before its
 * receive starts (nng 1.5.2 #1702), each call bounded by its deadline.
 * The client signs its first request, keeps the session token from the
 * reply and signs again when the token is refused.
 */
#include <arpa/inet.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "au.pb-c.h"
#include "auth.h"
#include "log.h"
#include "nngclose.h"
#include "rpc.h"
#include "rpc_priv.h"
#include "wire.h"

#define RPC_CLIENT_SERVICES 4
#define RPC_RECONNECT_MIN_MS 100
#define RPC_RECONNECT_MAX_MS 10000
/* Sign again this long before the token's expiry instead of being refused. */
#define RPC_TOKEN_MARGIN_MS 30000

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

/* The server name is matched against DNS names only (mbedtls 2.28 can do
 * no more, and the OpenSSL engine keeps the rule), so an address there can
 * never verify: say so before dialing. */
static bool
is_ip_literal(const char *name)
{
	struct in6_addr a6;
	struct in_addr  a4;

	return inet_pton(AF_INET, name, &a4) == 1 ||
	       inet_pton(AF_INET6, name, &a6) == 1;
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
	if (is_ip_literal(c->server_name))
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "server name %s is an IP address, and the TLS library "
		    "checks only DNS names: set server_name to a DNS name in "
		    "meta's certificate (the development certificate has "
		    "localhost)",
		    c->server_name);
	rpc_tls_engine_use(conf->tls_engine);
	if ((st = rpc_tls_setup(&c->tls, NNG_TLS_MODE_CLIENT, conf->ca_file,
	         conf->cert_file, conf->key_file, c->server_name, err)) !=
	    AU_OK)
		return st;
	if ((rv = nng_req0_open(&c->sock)) != 0)
		return au_err_set(
		    err, rpc_nng_status(rv), "%s", nng_strerror(rv));
	c->sock_open = true;
	nng_pipe_notify(c->sock, NNG_PIPE_EV_ADD_POST, rpc_pipe_cb, &c->npipes);
	nng_pipe_notify(c->sock, NNG_PIPE_EV_REM_POST, rpc_pipe_cb, &c->npipes);
	/* No automatic resend: the client decides what to retry. */
	if ((rv = nng_socket_set_ms(
	         c->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE)) ||
	    (rv = nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, maxsz)) ||
	    (rv = nng_dialer_create(&c->dialer, c->sock, conf->url)) ||
	    (rv = nng_dialer_set_size(c->dialer, NNG_OPT_RECVMAXSZ, maxsz)) ||
	    (rv = nng_dialer_set_ms(
	         c->dialer, NNG_OPT_RECONNMINT, RPC_RECONNECT_MIN_MS)) ||
	    (rv = nng_dialer_set_ms(
	         c->dialer, NNG_OPT_RECONNMAXT, RPC_RECONNECT_MAX_MS)) ||
	    (rv = nng_dialer_set_ptr(c->dialer, NNG_OPT_TLS_CONFIG, c->tls)) ||
	    (rv = nng_dialer_start(c->dialer, NNG_FLAG_NONBLOCK)))
		return au_err_set(
		    err, rpc_nng_status(rv), "%s", nng_strerror(rv));
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

/* Free c once its socket is closed (here, or on nngclose's thread). */
static void
client_release(void *arg)
{
	struct rpc_client *c = arg;

	if (c->tls != NULL)
		nng_tls_config_free(c->tls);
	free(c->url);
	free(c);
}

void
rpc_client_free(struct rpc_client *c)
{
	if (c == NULL)
		return;
	sig_memzero(c->sk, sizeof(c->sk));
	sig_memzero(c->token, sizeof(c->token));
	/* A client is closed when its program is done with it (metactl's
	 * exit, the updater's shutdown): a close that hangs is logged and left
	 * to the process's exit.  Its pipe callbacks count in c->npipes until
	 * the close finishes, so c is then freed by the closing thread. */
	if (c->sock_open &&
	    !nngclose(c->sock, NNGCLOSE_WAIT_MS, client_release, c)) {
		log_warnx("rpc: closing the connection to meta did not finish "
		          "within %d ms (an nng 1.5.2 close bug); leaving it "
		          "to the process's exit",
		    NNGCLOSE_WAIT_MS);
		return;
	}
	client_release(c);
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
	/* mbedtls reports a fatal TLS alert from meta (our certificate
	 * expired or unknown) as none of the above, like other failures. */
	if (dialer_stat(c->dialer, "other") > 0)
		return "connection failed (a TLS alert or a reset: check the "
		       "URL, ca, cert, key and server_name)";
	return "no connection";
}

static uint64_t
dial_errors(struct rpc_client *c)
{
	static const char *const names[] = {"auth", "refused", "disconnect",
	    "proto", "timedout", "other", "reject", "nomem", NULL};
	uint64_t                 n = 0;

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
		if (rpc_mono_ms() >= deadline || dial_errors(c) >= base + 2)
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
			return au_err_set(
			    err, AU_INVALID_ARGUMENT, "method name too long");
		sa.pubkey = (ProtobufCBinaryData){SIG_PUBKEY_BYTES, c->pk};
		sa.nonce = (ProtobufCBinaryData){AUTH_NONCE_BYTES, nonce};
		sa.signature = (ProtobufCBinaryData){SIG_BYTES, sig};
		rq.signed_ = &sa;
	}
	if ((rv = nng_msg_alloc(out, au__v1__request__get_packed_size(&rq))))
		return au_err_set(
		    err, rpc_nng_status(rv), "%s", nng_strerror(rv));
	au__v1__request__pack(&rq, nng_msg_body(*out));
	return AU_OK;
}

static nng_duration
remaining(uint64_t deadline)
{
	uint64_t now = rpc_mono_ms();

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
		return au_err_set(err, rpc_nng_status(rv), "send to %s: %s",
		    c->url, nng_strerror(rv));
	}
	nng_socket_set_ms(c->sock, NNG_OPT_RECVTIMEO, remaining(deadline));
	if ((rv = nng_recvmsg(c->sock, reply, 0)) != 0) {
		if (rv == NNG_ETIMEDOUT)
			return au_err_set(err, AU_DEADLINE_EXCEEDED,
			    "%s: no answer within %u ms", c->url,
			    c->timeout_ms);
		return au_err_set(err, rpc_nng_status(rv),
		    "receive from %s: %s", c->url, nng_strerror(rv));
	}
	return AU_OK;
}

/* Turn a Reply (and its payload, kept apart) into res. */
static enum au_status
client_result(struct rpc_client *c, const struct exchange *x,
    const Au__V1__Reply *rep, const uint8_t *payload, size_t plen,
    struct rpc_result *res)
{
	enum au_status st = au_status_from_wire(rep->status);

	if (rep->has_token && rep->token.len <= sizeof(c->token)) {
		memcpy(c->token, rep->token.data, rep->token.len);
		c->token_len = rep->token.len;
		c->token_expiry_ms = rep->token_expiry_ms;
	}
	res->retry_after_ms = rep->has_retry_after_ms ? rep->retry_after_ms : 0;
	if (st != AU_OK) {
		res->status =
		    au_err_set(&res->err, st, "meta: %s: %s", au_strerror(st),
		        rep->message != NULL && rep->message[0] != '\0'
		            ? rep->message
		            : "no details");
		return st;
	}
	if ((st = wire_unpack(
	         x->output, payload, plen, &res->reply, &res->err)) != AU_OK) {
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
	const uint8_t *payload;
	size_t         plen;
	enum au_status st;

	au_err_clear(&res->err);
	if ((st = client_build(c, x, &m, &res->err)) != AU_OK ||
	    (st = client_wait_pipe(c, x->deadline, &res->err)) != AU_OK)
		goto out;
	st = client_roundtrip(c, m, x->deadline, &reply, &res->err);
	m = NULL;
	if (st != AU_OK)
		goto out;
	/* The payload stays in the message: unpacked once, below. */
	if ((st = wire_reply_unpack_split(nng_msg_body(reply),
	         nng_msg_len(reply), &rep, &payload, &plen, &res->err)) !=
	    AU_OK) {
		st = au_err_set(&res->err, AU_INTERNAL,
		    "meta: malformed reply: %s", res->err.msg);
		goto out;
	}
	st = client_result(c, x, rep, payload, plen, res);
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
    const ProtobufCMessage *input, ProtobufCClosure closure, void *closure_data)
{
	struct rpc_client               *c = ((struct client_svc *)service)->c;
	struct rpc_result               *res = closure_data;
	const ProtobufCMethodDescriptor *md =
	    &service->descriptor->methods[index];
	char            method[WIRE_METHOD_MAX + 1];
	uint8_t        *payload;
	struct exchange x;

	res->reply = NULL;
	res->retry_after_ms = 0;
	snprintf(method, sizeof(method), "%s/%s", service->descriptor->name,
	    md->name);
	x = (struct exchange){.method = method,
	    .output = md->output,
	    .deadline = rpc_mono_ms() + c->timeout_ms};
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
