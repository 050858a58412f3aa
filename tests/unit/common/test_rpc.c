/* SPDX-License-Identifier: MIT */
/*
 * test_rpc: the RPC layer end to end over mutual TLS on 127.0.0.1, with
 * certificates made by certs/mkcerts.sh in a temporary directory and a
 * small real service (au.v1.HostService plus two AdminService methods).
 * Hostile input goes through raw nng sockets and a raw TLS stream.
 *
 * TLS engines: AU_TLS_ENGINE=openssl|mbedtls picks the engine of the
 * process and runs only the TLS cases (certificates, hostile frames, a
 * peer process on the other engine); unset, every case runs on the default
 * engine.  CTest runs it both ways (test_rpc and test_rpc_mbedtls).  With
 * AU_RPC_PEER=DIR the program is that peer instead: a server on
 * AU_TLS_ENGINE with the certificates in DIR, which prints its port and
 * serves until its standard input closes.  AU_RPC_FILTER=PATTERN runs
 * only the cases whose names match (cmocka's * and ?).
 */
#include <sys/wait.h>

#include <arpa/inet.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au.pb-c.h"
#include "au_test.h"
#include "auth.h"
#include "log.h"
#include "nngclose.h"
#include "rpc.h"
#include "sig.h"
#include "wire.h"

struct fixture {
	char                         dir[64];
	char                         other[80]; /* a second, unrelated CA */
	uint8_t                      host_sk[SIG_SECKEY_BYTES];
	uint8_t                      admin_sk[SIG_SECKEY_BYTES];
	uint8_t                      admin_pk[SIG_PUBKEY_BYTES];
	uint8_t                      banned_sk[SIG_SECKEY_BYTES];
	uint8_t                      banned_pk[SIG_PUBKEY_BYTES];
	uint8_t                      token_key[SIG_MAC_KEY_BYTES];
	char                         path[8][128];
	atomic_int                   signed_calls;
	Au__V1__HostService_Service  host_svc;
	Au__V1__AdminService_Service admin_svc;
	struct rpc_server           *srv;
	char                         url[64];
	enum rpc_tls_engine          engine; /* from AU_TLS_ENGINE */
};

static const char *
fpath(struct fixture *f, int slot, const char *dir, const char *name)
{
	snprintf(f->path[slot], sizeof(f->path[slot]), "%s/%s", dir, name);
	return f->path[slot];
}

/* ---------------------------------------------------------- service */

static void
h_ping(Au__V1__HostService_Service *s, const Au__V1__PingRequest *in,
    Au__V1__PingReply_Closure closure, void *cd)
{
	Au__V1__PingReply          rep = AU__V1__PING_REPLY__INIT;
	const struct au_principal *p = rpc_call_caller(cd);

	(void)s;
	(void)in;
	rep.server_version = "test";
	rep.server_time_ms = auth_now_ms();
	rep.protocol = RPC_PROTOCOL_VERSION;
	rep.caller_name = (char *)(uintptr_t)p->name;
	rep.caller_role = (char *)(uintptr_t)au_role_name(p->role);
	closure(&rep, cd);
}

static void
h_heartbeat(Au__V1__HostService_Service *s, const Au__V1__HeartbeatRequest *in,
    Au__V1__HeartbeatReply_Closure closure, void *cd)
{
	Au__V1__HeartbeatReply rep = AU__V1__HEARTBEAT_REPLY__INIT;

	(void)s;
	rep.state = AU__V1__HOST_STATE__ACCEPTED;
	rep.has_interval_s = true;
	rep.interval_s = (uint32_t)in->n_agents;
	closure(&rep, cd);
}

/* GetPackage for agent "zc" (and "zc-off"): length bytes of a pattern
 * read into the RPC layer's reply buffer (at offset 1 of it for "zc-off",
 * which the layer must copy); offset says whether a second buffer was
 * refused (0) or given (1).  "zc-big" asks for a buffer over the server's
 * limit. */
static void
get_package_zc(const Au__V1__GetPackageRequest *in,
    Au__V1__GetPackageReply_Closure closure, void *cd)
{
	Au__V1__GetPackageReply rep = AU__V1__GET_PACKAGE_REPLY__INIT;
	size_t                  skip = strcmp(in->agent, "zc-off") == 0 ? 1 : 0;
	size_t   cap = strcmp(in->agent, "zc-big") == 0 ? RPC_CHUNK_BYTES
	                                                : in->length + skip + 1;
	uint8_t *buf = rpc_call_reply_buffer(cd, cap);

	if (buf == NULL) {
		rpc_call_fail(cd, AU_INTERNAL, "no reply buffer");
		closure(NULL, cd);
		return;
	}
	for (size_t i = 0; i < in->length; i++)
		buf[skip + i] = (uint8_t)(i * 7 + 3);
	rep.manifest = (ProtobufCBinaryData){8, (uint8_t *)"manifest"};
	rep.size = 5 * RPC_CHUNK_BYTES;
	rep.offset = rpc_call_reply_buffer(cd, 16) != NULL;
	rep.data.data = buf + skip;
	rep.data.len = in->length;
	closure(&rep, cd);
}

/* Fails with NOT_FOUND, or answers length bytes of data. */
static void
h_get_package(Au__V1__HostService_Service *s,
    const Au__V1__GetPackageRequest       *in,
    Au__V1__GetPackageReply_Closure closure, void *cd)
{
	Au__V1__GetPackageReply rep = AU__V1__GET_PACKAGE_REPLY__INIT;
	uint8_t                *buf;

	(void)s;
	if (strcmp(in->agent, "missing") == 0) {
		rpc_call_fail(cd, AU_NOT_FOUND, "no package %s", in->agent);
		closure(NULL, cd);
		return;
	}
	if (strncmp(in->agent, "zc", 2) == 0) {
		get_package_zc(in, closure, cd);
		return;
	}
	buf = calloc(1, in->length + 1);
	rep.manifest.data = buf;
	rep.size = in->length;
	rep.data.data = buf;
	rep.data.len = in->length;
	closure(&rep, cd);
	free(buf);
}

/* A buggy handler: never answers. */
static void
h_report(Au__V1__HostService_Service *s, const Au__V1__ReportRequest *in,
    Au__V1__ReportReply_Closure closure, void *cd)
{
	(void)s;
	(void)in;
	(void)closure;
	(void)cd;
}

static void
h_set_version(Au__V1__AdminService_Service *s,
    const Au__V1__SetVersionRequest        *in,
    Au__V1__SetVersionReply_Closure closure, void *cd)
{
	Au__V1__SetVersionReply rep = AU__V1__SET_VERSION_REPLY__INIT;

	(void)s;
	(void)in;
	rep.has_rules_changed = true;
	rep.rules_changed = 1;
	closure(&rep, cd);
}

static enum au_status
identify(void *arg, const uint8_t pk[SIG_PUBKEY_BYTES],
    struct au_principal *out, struct au_err *err)
{
	struct fixture *f = arg;

	(void)err;
	atomic_fetch_add(&f->signed_calls, 1);
	if (memcmp(pk, f->banned_pk, SIG_PUBKEY_BYTES) == 0)
		return AU_PERMISSION_DENIED; /* no message: rpc supplies one */
	if (memcmp(pk, f->admin_pk, SIG_PUBKEY_BYTES) == 0) {
		out->role = AU_ROLE_ADMIN;
		snprintf(out->name, sizeof(out->name), "alice");
	} else {
		out->role = AU_ROLE_HOST;
		sig_key_id(pk, out->name);
	}
	return AU_OK;
}

static enum au_status
authorize(void *arg, const struct au_principal *caller, const char *method)
{
	(void)arg;
	if (caller->role == AU_ROLE_ADMIN)
		return AU_OK;
	if (strncmp(method, "au.v1.HostService/", 18) == 0)
		return AU_OK;
	return AU_PERMISSION_DENIED;
}

/* ---------------------------------------------------------- helpers */

static enum au_status
server_start(struct fixture *f, const uint8_t key[SIG_MAC_KEY_BYTES],
    size_t recv_max, int port, struct rpc_server **out)
{
	ProtobufCService      *svcs[] = {&f->host_svc.base, &f->admin_svc.base};
	struct rpc_server_conf conf = {0};
	struct au_err          err = AU_ERR_INIT;
	char                   url[64];
	enum au_status         st;

	snprintf(url, sizeof(url), "tls+tcp://127.0.0.1:%d", port);
	conf.url = url;
	conf.ca_file = fpath(f, 0, f->dir, "ca.crt");
	conf.cert_file = fpath(f, 1, f->dir, "meta.crt");
	conf.key_file = fpath(f, 2, f->dir, "meta.key");
	memcpy(conf.token_key, key, SIG_MAC_KEY_BYTES);
	conf.contexts = 8;
	conf.recv_max = recv_max;
	conf.identify = identify;
	conf.identify_arg = f;
	conf.authorize = authorize;
	conf.tls_engine = f->engine;
	if ((st = rpc_server_new(&conf, svcs, 2, out, &err)) != AU_OK ||
	    (st = rpc_server_start(*out, &err)) != AU_OK)
		fprintf(stderr, "server: %s\n", au_err_str(&err));
	return st;
}

/* A client of the server at url with certificate name in certdir. */
static struct rpc_client *
client_new_at(struct fixture *f, const char *url, const char *certdir,
    const char *name, const uint8_t *sk, const char *server_name,
    uint32_t timeout_ms)
{
	struct rpc_client_conf conf = {0};
	struct rpc_client     *c = NULL;
	struct au_err          err = AU_ERR_INIT;
	char                   cert[16], key[16];

	snprintf(cert, sizeof(cert), "%s.crt", name);
	snprintf(key, sizeof(key), "%s.key", name);
	conf.url = url;
	conf.ca_file = fpath(f, 3, certdir, "ca.crt");
	conf.cert_file = fpath(f, 4, certdir, cert);
	conf.key_file = fpath(f, 5, certdir, key);
	conf.server_name = server_name != NULL ? server_name : "localhost";
	memcpy(conf.identity_sk, sk, SIG_SECKEY_BYTES);
	conf.timeout_ms = timeout_ms;
	conf.tls_engine = f->engine;
	assert_int_equal(rpc_client_new(&conf, &c, &err), AU_OK);
	return c;
}

static struct rpc_client *
client_new(struct fixture *f, const char *certdir, const char *name,
    const uint8_t *sk, const char *server_name, uint32_t timeout_ms)
{
	return client_new_at(
	    f, f->url, certdir, name, sk, server_name, timeout_ms);
}

static enum au_status
ping(struct rpc_client *c, struct rpc_result *res)
{
	Au__V1__PingRequest rq = AU__V1__PING_REQUEST__INIT;

	rpc_result_fini(res);
	au__v1__host_service__ping(
	    rpc_client_service(c, &au__v1__host_service__descriptor), &rq, NULL,
	    res);
	if (res->status != AU_OK)
		fprintf(stderr, "ping: %s\n", au_err_str(&res->err));
	return res->status;
}

/* ping(), tried again (up to three times) while it fails with UNAVAILABLE:
 * right after a server restart the first call may go out on the old
 * connection before the client sees it close. */
static enum au_status
ping_retry_unavailable(struct rpc_client *c, struct rpc_result *res)
{
	enum au_status st = AU_UNAVAILABLE;

	for (int i = 0; i < 3 && st == AU_UNAVAILABLE; i++)
		st = ping(c, res);
	return st;
}

/* The engine AU_TLS_ENGINE names (RPC_TLS_DEFAULT when unset). */
static enum rpc_tls_engine
env_engine(void)
{
	const char         *e = getenv("AU_TLS_ENGINE");
	enum rpc_tls_engine eng = RPC_TLS_DEFAULT;

	if (e != NULL && *e != '\0' && rpc_tls_engine_parse(e, &eng) != AU_OK) {
		fprintf(
		    stderr, "AU_TLS_ENGINE=%s: not openssl or mbedtls\n", e);
		exit(2);
	}
	return eng;
}

/* old.crt and old.key in dir: a client certificate of dir's CA that
 * expired yesterday. */
static int
mk_expired(const char *dir)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
	    "cd '%s' && umask 077 && "
	    "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
	    "-out old.key 2>/dev/null && "
	    "openssl req -new -key old.key -subj /CN=old -out old.csr && "
	    "openssl x509 -req -in old.csr -CA ca.crt -CAkey ca.key "
	    "-CAcreateserial -days -1 -out old.crt 2>/dev/null",
	    dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The fixture without its server: keys, services, and the certificates
 * in dir (NULL: made in a new temporary directory). */
static struct fixture *
fixture_new(const char *dir)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || sig_init() != AU_OK)
		return NULL;
	f->engine = env_engine();
	if (dir != NULL)
		snprintf(f->dir, sizeof(f->dir), "%s", dir);
	else if (au_test_mkdtemp(f->dir, sizeof(f->dir), "rpc"))
		return NULL;
	snprintf(f->other, sizeof(f->other), "%s/other", f->dir);
	if (dir == NULL &&
	    (au_test_mkcerts(f->dir, "host admin") ||
	        au_test_mkcerts(f->other, "host") || mk_expired(f->dir)))
		return NULL;
	sig_keypair(f->admin_pk, f->admin_sk);
	sig_keypair(f->banned_pk, f->banned_sk);
	{
		uint8_t pk[SIG_PUBKEY_BYTES];
		sig_keypair(pk, f->host_sk);
	}
	sig_random(f->token_key, sizeof(f->token_key));
	f->host_svc =
	    (Au__V1__HostService_Service)AU__V1__HOST_SERVICE__INIT(h_);
	au__v1__admin_service__init(&f->admin_svc, NULL);
	f->admin_svc.set_version = h_set_version;
	return f;
}

static int
group_setup(void **state)
{
	struct fixture *f;

	log_init("test_rpc", 1, 0);
	if ((f = fixture_new(NULL)) == NULL)
		return -1;
	if (server_start(f, f->token_key, 64 * 1024, 0, &f->srv) != AU_OK)
		return -1;
	snprintf(f->url, sizeof(f->url), "tls+tcp://127.0.0.1:%d",
	    rpc_server_port(f->srv));
	*state = f;
	return 0;
}

static int
group_teardown(void **state)
{
	struct fixture *f = *state;
	int             rv;

	if (f == NULL) /* group_setup failed */
		return -1;
	rpc_server_free(f->srv);
	rv = au_test_rmtree(f->dir);
	free(f);
	return rv;
}

/* ---------------------------------------------------------- tests */

static void
test_ping_signed_then_token(void **state)
{
	struct fixture    *f = *state;
	struct rpc_client *c =
	    client_new(f, f->dir, "host", f->host_sk, NULL, 5000);
	struct rpc_result  res = RPC_RESULT_INIT;
	Au__V1__PingReply *rep;
	char               kid[SIG_KEYID_HEX_BYTES];
	uint8_t            pk[SIG_PUBKEY_BYTES];
	int                before = atomic_load(&f->signed_calls);

	assert_int_equal(ping(c, &res), AU_OK);
	assert_true(rpc_server_connections(f->srv) >= 1);
	rep = (Au__V1__PingReply *)res.reply;
	sig_sk_to_pk(f->host_sk, pk);
	sig_key_id(pk, kid);
	assert_string_equal(rep->caller_role, "host");
	assert_string_equal(rep->caller_name, kid);
	assert_int_equal(rep->protocol, RPC_PROTOCOL_VERSION);
	/* The second and third calls ride on the session token. */
	assert_int_equal(ping(c, &res), AU_OK);
	assert_int_equal(ping(c, &res), AU_OK);
	assert_int_equal(atomic_load(&f->signed_calls), before + 1);
	rpc_result_fini(&res);
	rpc_client_free(c);
}

static void
test_permission_denied(void **state)
{
	struct fixture    *f = *state;
	struct rpc_client *c =
	    client_new(f, f->dir, "host", f->host_sk, NULL, 5000);
	struct rpc_client *a =
	    client_new(f, f->dir, "admin", f->admin_sk, NULL, 5000);
	Au__V1__SetVersionRequest rq = AU__V1__SET_VERSION_REQUEST__INIT;
	struct rpc_result         res = RPC_RESULT_INIT;

	rq.agent = "nodex";
	rq.version = "1.4.2";
	rq.action = AU__V1__ACTION__START;
	au__v1__admin_service__set_version(
	    rpc_client_service(c, &au__v1__admin_service__descriptor), &rq,
	    NULL, &res);
	assert_int_equal(res.status, AU_PERMISSION_DENIED);
	assert_null(res.reply);
	assert_non_null(strstr(au_err_str(&res.err),
	    "may not call au.v1.AdminService/SetVersion"));
	rpc_result_fini(&res);
	au__v1__admin_service__set_version(
	    rpc_client_service(a, &au__v1__admin_service__descriptor), &rq,
	    NULL, &res);
	assert_int_equal(res.status, AU_OK);
	assert_int_equal(
	    ((Au__V1__SetVersionReply *)res.reply)->rules_changed, 1);
	rpc_result_fini(&res);
	rpc_client_free(c);
	rpc_client_free(a);
}

/* identify() refuses a key outright: every call is PERMISSION_DENIED. */
static void
test_identify_refusal(void **state)
{
	struct fixture    *f = *state;
	struct rpc_client *c =
	    client_new(f, f->dir, "host", f->banned_sk, NULL, 5000);
	struct rpc_result res = RPC_RESULT_INIT;
	char              kid[SIG_KEYID_HEX_BYTES], want[64];

	sig_key_id(f->banned_pk, kid);
	snprintf(want, sizeof(want), "key %s refused", kid);
	assert_int_equal(ping(c, &res), AU_PERMISSION_DENIED);
	assert_non_null(strstr(au_err_str(&res.err), want));
	assert_int_equal(ping(c, &res), AU_PERMISSION_DENIED);
	rpc_result_fini(&res);
	rpc_client_free(c);
}

static void
test_handler_status_and_bugs(void **state)
{
	struct fixture    *f = *state;
	struct rpc_client *c =
	    client_new(f, f->dir, "host", f->host_sk, NULL, 5000);
	ProtobufCService *hs =
	    rpc_client_service(c, &au__v1__host_service__descriptor);
	Au__V1__GetPackageRequest g = AU__V1__GET_PACKAGE_REQUEST__INIT;
	Au__V1__ReportRequest     r = AU__V1__REPORT_REQUEST__INIT;
	struct rpc_result         res = RPC_RESULT_INIT;

	g.agent = "missing";
	g.version = "1.0";
	au__v1__host_service__get_package(hs, &g, NULL, &res);
	assert_int_equal(res.status, AU_NOT_FOUND);
	assert_string_equal(
	    au_err_str(&res.err), "meta: not found: no package missing");
	rpc_result_fini(&res);
	g.agent = "nodex";
	g.length = 1000;
	au__v1__host_service__get_package(hs, &g, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	assert_int_equal(
	    ((Au__V1__GetPackageReply *)res.reply)->data.len, 1000);
	rpc_result_fini(&res);
	r.hostname = "web-1";
	r.report_id = "r1";
	r.agent = "nodex";
	r.outcome = AU__V1__OUTCOME__OUTCOME_OK;
	au__v1__host_service__report(hs, &r, NULL, &res);
	assert_int_equal(res.status, AU_INTERNAL);
	assert_non_null(strstr(au_err_str(&res.err), "did not answer"));
	rpc_result_fini(&res);
	rpc_client_free(c);
}

/* One zero-copy GetPackage of length bytes: the reply must unpack to
 * exactly what the handler wrote. */
static void
zc_get(ProtobufCService *hs, const char *agent, uint32_t length)
{
	Au__V1__GetPackageRequest g = AU__V1__GET_PACKAGE_REQUEST__INIT;
	struct rpc_result         res = RPC_RESULT_INIT;
	Au__V1__GetPackageReply  *rep;

	g.agent = (char *)(uintptr_t)agent;
	g.version = "1.0";
	g.length = length;
	au__v1__host_service__get_package(hs, &g, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	rep = (Au__V1__GetPackageReply *)res.reply;
	assert_int_equal(rep->size, 5 * RPC_CHUNK_BYTES);
	assert_int_equal(rep->offset, 0); /* a second buffer was refused */
	assert_int_equal(rep->manifest.len, 8);
	assert_memory_equal(rep->manifest.data, "manifest", 8);
	assert_int_equal(rep->data.len, length);
	for (size_t i = 0; i < length; i++)
		if (rep->data.data[i] != (uint8_t)(i * 7 + 3))
			fail_msg("byte %zu of %u differs", i, length);
	rpc_result_fini(&res);
}

static void
test_reply_buffer(void **state)
{
	struct fixture    *f = *state;
	struct rpc_client *c =
	    client_new(f, f->dir, "host", f->host_sk, NULL, 5000);
	ProtobufCService *hs =
	    rpc_client_service(c, &au__v1__host_service__descriptor);

	Au__V1__GetPackageRequest g = AU__V1__GET_PACKAGE_REQUEST__INIT;
	struct rpc_result         res = RPC_RESULT_INIT;

	/* The first call is signed, so its reply also carries a token.  The
	 * server's limit is 64 KiB. */
	zc_get(hs, "zc", 60000);
	zc_get(hs, "zc", 1000);
	zc_get(hs, "zc", 0);
	zc_get(hs, "zc", 127);
	zc_get(hs, "zc", 128);
	zc_get(hs, "zc-off", 4096);
	zc_get(hs, "zc-off", 60000);
	g.agent = "zc-big";
	g.version = "1.0";
	au__v1__host_service__get_package(hs, &g, NULL, &res);
	assert_int_equal(res.status, AU_INTERNAL);
	assert_non_null(strstr(au_err_str(&res.err), "no reply buffer"));
	rpc_result_fini(&res);
	/* Fits the buffer but not, with the envelope, the message limit. */
	g.agent = "zc";
	g.length = 64 * 1024 - 4;
	au__v1__host_service__get_package(hs, &g, NULL, &res);
	assert_int_equal(res.status, AU_RESOURCE_EXHAUSTED);
	assert_non_null(strstr(au_err_str(&res.err), "message limit"));
	rpc_result_fini(&res);
	zc_get(hs, "zc", 2);
	rpc_client_free(c);
}

static void
test_unknown_method(void **state)
{
	struct fixture    *f = *state;
	struct rpc_client *c =
	    client_new(f, f->dir, "host", f->host_sk, NULL, 5000);
	ProtobufCServiceDescriptor fake = au__v1__host_service__descriptor;
	Au__V1__PingRequest        rq = AU__V1__PING_REQUEST__INIT;
	struct rpc_result          res = RPC_RESULT_INIT;

	fake.name = "au.v1.NoService";
	/* Through invoke: the generated stub asserts its own descriptor. */
	{
		ProtobufCService *svc = rpc_client_service(c, &fake);

		svc->invoke(svc, 0, &rq.base, NULL, &res);
	}
	assert_int_equal(res.status, AU_UNIMPLEMENTED);
	assert_non_null(strstr(
	    au_err_str(&res.err), "unknown method au.v1.NoService/Ping"));
	rpc_result_fini(&res);
	assert_int_equal(ping(c, &res), AU_OK);
	rpc_result_fini(&res);
	rpc_client_free(c);
}

static void
test_payload_limits(void **state)
{
	struct fixture    *f = *state;
	struct rpc_client *c =
	    client_new(f, f->dir, "host", f->host_sk, NULL, 5000);
	ProtobufCService *hs =
	    rpc_client_service(c, &au__v1__host_service__descriptor);
	Au__V1__HeartbeatRequest hb = AU__V1__HEARTBEAT_REQUEST__INIT;
	Au__V1__AgentStatus      a = AU__V1__AGENT_STATUS__INIT;
	Au__V1__AgentStatus    **many;
	struct rpc_result        res = RPC_RESULT_INIT;
	char                     longname[80];

	/* A name over 64 bytes. */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	hb.hostname = longname;
	au__v1__host_service__heartbeat(hs, &hb, NULL, &res);
	assert_int_equal(res.status, AU_INVALID_ARGUMENT);
	assert_non_null(strstr(au_err_str(&res.err), "hostname"));
	rpc_result_fini(&res);
	/* More than WIRE_REPEATED_MAX agents. */
	many = calloc(WIRE_REPEATED_MAX + 1, sizeof(*many));
	a.name = "x";
	for (int i = 0; i <= WIRE_REPEATED_MAX; i++)
		many[i] = &a;
	hb.hostname = "web-1";
	hb.agents = many;
	hb.n_agents = WIRE_REPEATED_MAX + 1;
	au__v1__host_service__heartbeat(hs, &hb, NULL, &res);
	assert_int_equal(res.status, AU_INVALID_ARGUMENT);
	rpc_result_fini(&res);
	hb.n_agents = 3;
	au__v1__host_service__heartbeat(hs, &hb, NULL, &res);
	assert_int_equal(res.status, AU_OK);
	assert_int_equal(((Au__V1__HeartbeatReply *)res.reply)->interval_s, 3);
	rpc_result_fini(&res);
	free(many);
	rpc_client_free(c);
}

static void
test_tls_wrong_server_name(void **state)
{
	struct fixture    *f = *state;
	struct rpc_client *c =
	    client_new(f, f->dir, "host", f->host_sk, "meta.example", 3000);
	struct rpc_result res = RPC_RESULT_INIT;

	assert_int_equal(ping(c, &res), AU_UNAVAILABLE);
	assert_non_null(strstr(au_err_str(&res.err), "TLS"));
	assert_non_null(strstr(au_err_str(&res.err), "meta.example"));
	rpc_result_fini(&res);
	rpc_client_free(c);
}

/* mbedtls cannot verify an address as a server name: refused up front
 * with a message that says what to do, not a TLS failure later. */
static void
test_tls_ip_server_name(void **state)
{
	struct fixture        *f = *state;
	struct rpc_client_conf conf = {0};
	struct rpc_client     *c = NULL;
	struct au_err          err = AU_ERR_INIT;

	conf.url = f->url;
	conf.ca_file = fpath(f, 3, f->dir, "ca.crt");
	conf.cert_file = fpath(f, 4, f->dir, "host.crt");
	conf.key_file = fpath(f, 5, f->dir, "host.key");
	memcpy(conf.identity_sk, f->host_sk, SIG_SECKEY_BYTES);
	assert_int_equal(rpc_client_new(&conf, &c, &err), AU_INVALID_ARGUMENT);
	assert_null(c);
	assert_non_null(strstr(err.msg, "server name 127.0.0.1 is an IP"));
	conf.server_name = "::1";
	assert_int_equal(rpc_client_new(&conf, &c, &err), AU_INVALID_ARGUMENT);
	assert_null(c);
}

static void
test_tls_client_from_other_ca(void **state)
{
	struct fixture        *f = *state;
	struct rpc_client_conf conf = {0};
	struct rpc_client     *c = NULL;
	struct rpc_result      res = RPC_RESULT_INIT;
	char                   ca[128], cert[128], key[128];

	snprintf(ca, sizeof(ca), "%s/ca.crt", f->dir);
	snprintf(cert, sizeof(cert), "%s/host.crt", f->other);
	snprintf(key, sizeof(key), "%s/host.key", f->other);
	conf.url = f->url;
	conf.ca_file = ca;
	conf.cert_file = cert;
	conf.key_file = key;
	conf.server_name = "localhost";
	memcpy(conf.identity_sk, f->host_sk, SIG_SECKEY_BYTES);
	conf.timeout_ms = 3000;
	conf.tls_engine = f->engine;
	assert_int_equal(rpc_client_new(&conf, &c, NULL), AU_OK);
	assert_int_equal(ping(c, &res), AU_UNAVAILABLE);
	assert_non_null(strstr(au_err_str(&res.err), "TLS"));
	rpc_result_fini(&res);
	rpc_client_free(c);
}

/* A raw dialer without a client certificate never gets a connection
 * (exact status per engine). */
static void
test_tls_no_client_cert(void **state)
{
	struct fixture *f = *state;
	nng_tls_config *cfg;
	nng_socket      s;
	nng_dialer      d;
	char            ca[128];
	int             rv;

	snprintf(ca, sizeof(ca), "%s/ca.crt", f->dir);
	assert_int_equal(nng_tls_config_alloc(&cfg, NNG_TLS_MODE_CLIENT), 0);
	assert_int_equal(nng_tls_config_ca_file(cfg, ca), 0);
	assert_int_equal(nng_tls_config_server_name(cfg, "localhost"), 0);
	assert_int_equal(nng_req0_open(&s), 0);
	assert_int_equal(nng_dialer_create(&d, s, f->url), 0);
	assert_int_equal(nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cfg), 0);
	rv = nng_dialer_start(d, 0);
	/* TLS 1.2 has no "certificate required" alert: OpenSSL's client
	 * reads a handshake_failure alert, which it cannot tell from other
	 * handshake failures; mbedtls's client only sees the close. */
	if (rpc_tls_engine_active() == RPC_TLS_OPENSSL)
		assert_int_equal(rv, NNG_ECRYPTO);
	else
		assert_int_equal(rv, NNG_ECONNSHUT);
	(void)nngclose(s, NNGCLOSE_WAIT_MS, NULL, NULL);
	nng_tls_config_free(cfg);
}

/* ---------------------------------------------------------- raw */

/* Generous: these tests share two loaded cores with the sanitized suite. */
#define RAW_TIMEOUT_MS 10000

struct raw {
	nng_socket      s;
	nng_tls_config *cfg;
};

static void
raw_tls(struct fixture *f, nng_tls_config **cfgp, int mode)
{
	char ca[128], cert[128], key[128];

	snprintf(ca, sizeof(ca), "%s/ca.crt", f->dir);
	snprintf(cert, sizeof(cert), "%s/%s", f->dir,
	    mode == NNG_TLS_MODE_CLIENT ? "host.crt" : "meta.crt");
	snprintf(key, sizeof(key), "%s/%s", f->dir,
	    mode == NNG_TLS_MODE_CLIENT ? "host.key" : "meta.key");
	assert_int_equal(nng_tls_config_alloc(cfgp, (nng_tls_mode)mode), 0);
	assert_int_equal(nng_tls_config_ca_file(*cfgp, ca), 0);
	assert_int_equal(
	    nng_tls_config_auth_mode(*cfgp, NNG_TLS_AUTH_MODE_REQUIRED), 0);
	if (mode == NNG_TLS_MODE_CLIENT)
		assert_int_equal(
		    nng_tls_config_server_name(*cfgp, "localhost"), 0);
	{
		char  *both = NULL;
		FILE  *o = open_memstream(&both, &(size_t){0});
		char   buf[4096];
		size_t n;
		FILE  *in;

		assert_non_null(o);
		in = fopen(cert, "r");
		n = fread(buf, 1, sizeof(buf), in);
		fwrite(buf, 1, n, o);
		fclose(in);
		in = fopen(key, "r");
		n = fread(buf, 1, sizeof(buf), in);
		fwrite(buf, 1, n, o);
		fclose(in);
		fclose(o);
		{
			char *k = strstr(both, "-----BEGIN PRIVATE KEY");
			char  kcopy[4096];

			assert_non_null(k);
			snprintf(kcopy, sizeof(kcopy), "%s", k);
			*k = '\0';
			assert_int_equal(
			    nng_tls_config_own_cert(*cfgp, both, kcopy, NULL),
			    0);
		}
		free(both);
	}
}

/* A raw req socket (no resend) dialed to the fixture's server. */
static void
raw_open(struct fixture *f, struct raw *r, const char *url)
{
	nng_dialer d;

	raw_tls(f, &r->cfg, NNG_TLS_MODE_CLIENT);
	assert_int_equal(nng_req0_open(&r->s), 0);
	assert_int_equal(nng_socket_set_ms(r->s, NNG_OPT_REQ_RESENDTIME,
	                     NNG_DURATION_INFINITE),
	    0);
	assert_int_equal(
	    nng_socket_set_ms(r->s, NNG_OPT_RECVTIMEO, RAW_TIMEOUT_MS), 0);
	assert_int_equal(
	    nng_socket_set_ms(r->s, NNG_OPT_SENDTIMEO, RAW_TIMEOUT_MS), 0);
	assert_int_equal(nng_dialer_create(&d, r->s, url), 0);
	assert_int_equal(nng_dialer_set_ms(d, NNG_OPT_RECONNMINT, 50), 0);
	assert_int_equal(nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, r->cfg), 0);
	assert_int_equal(nng_dialer_start(d, 0), 0);
}

static void
raw_close(struct raw *r)
{
	(void)nngclose(r->s, NNGCLOSE_WAIT_MS, NULL, NULL);
	nng_tls_config_free(r->cfg);
}

/* Send bytes, return the reply's status (message into msg), or -1 when no
 * reply came (closed connection or timeout). */
static int
raw_call(struct raw *r, const void *data, size_t len, char *msg, size_t msglen)
{
	nng_msg       *m;
	Au__V1__Reply *rep;
	int            st;

	assert_int_equal(nng_msg_alloc(&m, len), 0);
	memcpy(nng_msg_body(m), data, len);
	if (nng_sendmsg(r->s, m, 0) != 0) {
		nng_msg_free(m);
		return -1;
	}
	if (nng_recvmsg(r->s, &m, 0) != 0)
		return -1;
	rep = au__v1__reply__unpack(NULL, nng_msg_len(m), nng_msg_body(m));
	nng_msg_free(m);
	assert_non_null(rep);
	st = (int)rep->status;
	if (msg != NULL)
		snprintf(msg, msglen, "%s",
		    rep->message != NULL ? rep->message : "");
	au__v1__reply__free_unpacked(rep, NULL);
	return st;
}

/* Pack a Ping request signed with sk (or carrying token) into buf. */
static size_t
build_ping(uint8_t *buf, uint32_t protocol, const uint8_t *sk,
    const uint8_t *token, size_t token_len, int corrupt_sig)
{
	Au__V1__Request    rq = AU__V1__REQUEST__INIT;
	Au__V1__SignedAuth sa = AU__V1__SIGNED_AUTH__INIT;
	uint8_t            pk[SIG_PUBKEY_BYTES], nonce[AUTH_NONCE_BYTES];
	uint8_t            sig[SIG_BYTES];

	rq.protocol = protocol;
	rq.method = "au.v1.HostService/Ping";
	rq.has_request_id = true;
	rq.request_id = 7;
	if (token != NULL) {
		rq.has_token = true;
		rq.token.data = (uint8_t *)(uintptr_t)token;
		rq.token.len = token_len;
	} else {
		sig_sk_to_pk(sk, pk);
		sig_random(nonce, sizeof(nonce));
		sa.timestamp_ms = auth_now_ms();
		assert_int_equal(auth_sign(sig, sk, protocol, rq.method,
		                     sa.timestamp_ms, nonce, NULL, 0),
		    AU_OK);
		if (corrupt_sig)
			sig[corrupt_sig % SIG_BYTES] ^= 1;
		sa.pubkey = (ProtobufCBinaryData){sizeof(pk), pk};
		sa.nonce = (ProtobufCBinaryData){sizeof(nonce), nonce};
		sa.signature = (ProtobufCBinaryData){sizeof(sig), sig};
		rq.signed_ = &sa;
	}
	return au__v1__request__pack(&rq, buf);
}

static void
test_replay_and_bad_signature(void **state)
{
	struct fixture *f = *state;
	struct raw      r;
	uint8_t         buf[512];
	size_t          n;
	char            msg[256];

	raw_open(f, &r, f->url);
	n = build_ping(buf, RPC_PROTOCOL_VERSION, f->host_sk, NULL, 0, 0);
	assert_int_equal(raw_call(&r, buf, n, msg, sizeof(msg)), AU_OK);
	assert_int_equal(
	    raw_call(&r, buf, n, msg, sizeof(msg)), AU_UNAUTHENTICATED);
	assert_non_null(strstr(msg, "replay"));
	n = build_ping(buf, RPC_PROTOCOL_VERSION, f->host_sk, NULL, 0, 5);
	assert_int_equal(
	    raw_call(&r, buf, n, msg, sizeof(msg)), AU_UNAUTHENTICATED);
	assert_string_equal(msg, "bad signature");
	raw_close(&r);
}

static void
test_tokens(void **state)
{
	struct fixture     *f = *state;
	struct raw          r;
	struct au_principal p = {0};
	uint8_t             tok[AUTH_TOKEN_MAX], other[SIG_MAC_KEY_BYTES];
	uint8_t             buf[512];
	size_t              n, tl;
	char                msg[256];

	raw_open(f, &r, f->url);
	p.role = AU_ROLE_HOST;
	sig_sk_to_pk(f->host_sk, p.pubkey);
	snprintf(p.name, sizeof(p.name), "web-1");
	tl = auth_token_issue(tok, f->token_key, &p, auth_now_ms() + 60000);
	n = build_ping(buf, RPC_PROTOCOL_VERSION, NULL, tok, tl, 0);
	assert_int_equal(raw_call(&r, buf, n, msg, sizeof(msg)), AU_OK);
	/* Expired. */
	tl = auth_token_issue(tok, f->token_key, &p, auth_now_ms() - 1);
	n = build_ping(buf, RPC_PROTOCOL_VERSION, NULL, tok, tl, 0);
	assert_int_equal(
	    raw_call(&r, buf, n, msg, sizeof(msg)), AU_UNAUTHENTICATED);
	assert_string_equal(msg, "session token expired");
	/* Forged: MAC'd with another key, or edited after issue. */
	sig_random(other, sizeof(other));
	tl = auth_token_issue(tok, other, &p, auth_now_ms() + 60000);
	n = build_ping(buf, RPC_PROTOCOL_VERSION, NULL, tok, tl, 0);
	assert_int_equal(
	    raw_call(&r, buf, n, msg, sizeof(msg)), AU_UNAUTHENTICATED);
	assert_string_equal(msg, "session token invalid");
	tl = auth_token_issue(tok, f->token_key, &p, auth_now_ms() + 60000);
	tok[1] = AU_ROLE_ADMIN;
	n = build_ping(buf, RPC_PROTOCOL_VERSION, NULL, tok, tl, 0);
	assert_int_equal(
	    raw_call(&r, buf, n, msg, sizeof(msg)), AU_UNAUTHENTICATED);
	/* Neither signature nor token. */
	n = build_ping(buf, RPC_PROTOCOL_VERSION, NULL, tok, 0, 0);
	assert_int_equal(
	    raw_call(&r, buf, n, msg, sizeof(msg)), AU_UNAUTHENTICATED);
	raw_close(&r);
}

static void
test_newer_protocol(void **state)
{
	struct fixture *f = *state;
	struct raw      r;
	uint8_t         buf[512];
	size_t          n;
	char            msg[256];

	raw_open(f, &r, f->url);
	n = build_ping(buf, RPC_PROTOCOL_VERSION + 1, f->host_sk, NULL, 0, 0);
	assert_int_equal(
	    raw_call(&r, buf, n, msg, sizeof(msg)), AU_FAILED_PRECONDITION);
	assert_string_equal(msg, "protocol 2 not supported; server speaks 1");
	raw_close(&r);
}

static void
test_garbage_and_truncation(void **state)
{
	struct fixture     *f = *state;
	struct raw          r;
	struct au_principal p = {0};
	uint8_t             tok[AUTH_TOKEN_MAX], buf[512], junk[300];
	size_t              n, tl;
	int                 st;

	raw_open(f, &r, f->url);
	for (int i = 0; i < 20; i++) {
		sig_random(junk, sizeof(junk));
		st = raw_call(
		    &r, junk, 1 + sig_random_uniform(sizeof(junk)), NULL, 0);
		assert_int_equal(st, AU_INVALID_ARGUMENT);
	}
	assert_int_equal(raw_call(&r, "", 0, NULL, 0), AU_INVALID_ARGUMENT);
	p.role = AU_ROLE_HOST;
	sig_sk_to_pk(f->host_sk, p.pubkey);
	snprintf(p.name, sizeof(p.name), "web-1");
	tl = auth_token_issue(tok, f->token_key, &p, auth_now_ms() + 60000);
	n = build_ping(buf, RPC_PROTOCOL_VERSION, NULL, tok, tl, 0);
	/* A cut at a field boundary may still parse: without the token it
	 * is unauthenticated, without request_id (last, optional) it is
	 * fine.  Every other cut is refused; every cut gets a reply. */
	for (size_t cut = 0; cut < n; cut++) {
		st = raw_call(&r, buf, cut, NULL, 0);
		assert_true(st == AU_INVALID_ARGUMENT ||
		            st == AU_UNAUTHENTICATED || st == AU_OK);
	}
	assert_int_equal(raw_call(&r, buf, n, NULL, 0), AU_OK);
	raw_close(&r);
}

/* Send len bytes once from a raw-mode req socket and expect the server
 * to drop the connection without a reply. */
static void
far_over(struct fixture *f, const uint8_t *data, size_t len)
{
	struct raw r;
	nng_dialer d;
	nng_msg   *m;

	raw_tls(f, &r.cfg, NNG_TLS_MODE_CLIENT);
	assert_int_equal(nng_req0_open_raw(&r.s), 0);
	assert_int_equal(nng_socket_set_ms(r.s, NNG_OPT_RECVTIMEO, 2000), 0);
	assert_int_equal(nng_dialer_create(&d, r.s, f->url), 0);
	assert_int_equal(nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, r.cfg), 0);
	assert_int_equal(nng_dialer_start(d, 0), 0);
	assert_int_equal(nng_msg_alloc(&m, len), 0);
	memcpy(nng_msg_body(m), data, len);
	assert_int_equal(nng_msg_header_append_u32(m, 0x80000001u), 0);
	assert_int_equal(nng_sendmsg(r.s, m, 0), 0);
	assert_int_not_equal(nng_recvmsg(r.s, &m, 0), 0);
	raw_close(&r);
}

static void
test_oversized(void **state)
{
	struct fixture     *f = *state;
	struct raw          r;
	struct au_principal p = {0};
	uint8_t             tok[AUTH_TOKEN_MAX], small[512], *big;
	size_t              n, tl;
	char                msg[256];

	raw_open(f, &r, f->url);
	big = calloc(1, 256 * 1024);
	/* Just over the limit: a clear refusal. */
	assert_int_equal(raw_call(&r, big, 64 * 1024 + 10, msg, sizeof(msg)),
	    AU_RESOURCE_EXHAUSTED);
	raw_close(&r);
	/* Far over: nng drops the connection; no reply.  Sent once from a
	 * raw-mode socket: a cooked req socket would resend it on every
	 * reconnection until its timeout, a storm of handshakes. */
	far_over(f, big, 256 * 1024);
	free(big);
	raw_open(f, &r, f->url);
	p.role = AU_ROLE_HOST;
	sig_sk_to_pk(f->host_sk, p.pubkey);
	tl = auth_token_issue(tok, f->token_key, &p, auth_now_ms() + 60000);
	n = build_ping(small, RPC_PROTOCOL_VERSION, NULL, tok, tl, 0);
	assert_int_equal(raw_call(&r, small, n, NULL, 0), AU_OK);
	raw_close(&r);
}

/* meta restarted with a new token secret: the old token is refused and
 * the client signs again without the caller noticing. */
static void
test_resign_after_new_secret(void **state)
{
	struct fixture    *f = *state;
	struct rpc_server *a = NULL, *b = NULL;
	struct rpc_client *c;
	struct rpc_result  res = RPC_RESULT_INIT;
	uint8_t            key2[SIG_MAC_KEY_BYTES];
	char               saved[64];
	int                port, before;

	assert_int_equal(
	    server_start(f, f->token_key, 64 * 1024, 0, &a), AU_OK);
	port = rpc_server_port(a);
	memcpy(saved, f->url, sizeof(saved));
	snprintf(f->url, sizeof(f->url), "tls+tcp://127.0.0.1:%d", port);
	c = client_new(f, f->dir, "host", f->host_sk, NULL, 5000);
	before = atomic_load(&f->signed_calls);
	assert_int_equal(ping(c, &res), AU_OK);
	assert_int_equal(ping(c, &res), AU_OK);
	assert_int_equal(atomic_load(&f->signed_calls), before + 1);
	memcpy(f->url, saved, sizeof(saved));
	if (!rpc_server_stop(a)) {
		/* nng 1.5.2's close hung (nngclose.h): the old server keeps
		 * the client's connection, so the restart cannot be tested
		 * this run.  Seen only on a loaded machine.  a is freed when
		 * the close finishes. */
		rpc_result_fini(&res);
		rpc_client_free(c);
		skip();
	}
	rpc_server_free(a);
	snprintf(f->url, sizeof(f->url), "tls+tcp://127.0.0.1:%d", port);
	sig_random(key2, sizeof(key2));
	assert_int_equal(server_start(f, key2, 64 * 1024, port, &b), AU_OK);
	/* The first call may still go to the old, closing connection. */
	assert_int_equal(ping_retry_unavailable(c, &res), AU_OK);
	assert_int_equal(atomic_load(&f->signed_calls), before + 2);
	assert_int_equal(ping(c, &res), AU_OK);
	assert_int_equal(atomic_load(&f->signed_calls), before + 2);
	rpc_result_fini(&res);
	rpc_client_free(c);
	rpc_server_free(b);
	memcpy(f->url, saved, sizeof(saved));
}

/* A TCP port of 127.0.0.1 bound to *fd but not listening, so that a
 * connection to it is refused until *fd is closed. */
static int
unlistened_port(int *fd)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t          len = sizeof(sin);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((*fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(*fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(*fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

/* A server that accepts and receives but never answers: the call returns
 * DEADLINE_EXCEEDED once its deadline passes.  A URL where nobody listens
 * gives UNAVAILABLE. */
static void
test_deadline(void **state)
{
	struct fixture    *f = *state;
	nng_tls_config    *cfg;
	nng_socket         s;
	nng_listener       l;
	nng_sockaddr       sa;
	struct rpc_client *c;
	struct rpc_result  res = RPC_RESULT_INIT;
	char               saved[64];
	enum au_status     st;
	int                fd;

	raw_tls(f, &cfg, NNG_TLS_MODE_SERVER);
	assert_int_equal(nng_rep0_open(&s), 0);
	assert_int_equal(
	    nng_listener_create(&l, s, "tls+tcp://127.0.0.1:0"), 0);
	assert_int_equal(nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, cfg), 0);
	assert_int_equal(nng_listener_start(l, 0), 0);
	assert_int_equal(nng_listener_get_addr(l, NNG_OPT_LOCADDR, &sa), 0);
	memcpy(saved, f->url, sizeof(saved));
	snprintf(f->url, sizeof(f->url), "tls+tcp://127.0.0.1:%u",
	    ntohs(sa.s_in.sa_port));
	c = client_new(f, f->dir, "host", f->host_sk, NULL, 500);
	assert_int_equal(ping(c, &res), AU_DEADLINE_EXCEEDED);
	assert_non_null(
	    strstr(au_err_str(&res.err), "no answer within 500 ms"));
	rpc_client_free(c);
	(void)nngclose(s, NNGCLOSE_WAIT_MS, NULL, NULL);
	nng_tls_config_free(cfg);
	/* A port nobody listens on: bound, never listening (nng's listener
	 * above may close its descriptor only after nng_close returns). */
	snprintf(f->url, sizeof(f->url), "tls+tcp://127.0.0.1:%d",
	    unlistened_port(&fd));
	c = client_new(f, f->dir, "host", f->host_sk, NULL, 10000);
	st = ping(c, &res);
	memcpy(f->url, saved, sizeof(saved));
	close(fd);
	assert_int_equal(st, AU_UNAVAILABLE);
	assert_non_null(strstr(au_err_str(&res.err), "connection refused"));
	rpc_result_fini(&res);
	rpc_client_free(c);
}

/* A raw req client sends many requests with large replies and never reads
 * them; other clients still get answers. */
static void
test_non_reading_client(void **state)
{
	struct fixture           *f = *state;
	struct raw                bad;
	struct rpc_client        *c;
	struct rpc_result         res = RPC_RESULT_INIT;
	struct au_principal       p = {0};
	Au__V1__Request           rq = AU__V1__REQUEST__INIT;
	Au__V1__GetPackageRequest g = AU__V1__GET_PACKAGE_REQUEST__INIT;
	uint8_t                   tok[AUTH_TOKEN_MAX], pl[64];
	nng_socket                s;
	nng_dialer                d;

	raw_tls(f, &bad.cfg, NNG_TLS_MODE_CLIENT);
	assert_int_equal(nng_req0_open_raw(&s), 0);
	assert_int_equal(nng_socket_set_int(s, NNG_OPT_RECVBUF, 1), 0);
	assert_int_equal(nng_dialer_create(&d, s, f->url), 0);
	assert_int_equal(nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, bad.cfg), 0);
	assert_int_equal(nng_dialer_start(d, 0), 0);
	p.role = AU_ROLE_HOST;
	sig_sk_to_pk(f->host_sk, p.pubkey);
	rq.protocol = RPC_PROTOCOL_VERSION;
	rq.method = "au.v1.HostService/GetPackage";
	rq.has_token = true;
	rq.token.data = tok;
	rq.token.len =
	    auth_token_issue(tok, f->token_key, &p, auth_now_ms() + 60000);
	g.agent = "nodex";
	g.version = "1";
	g.length = 60000;
	rq.has_payload = true;
	rq.payload.data = pl;
	rq.payload.len = au__v1__get_package_request__pack(&g, pl);
	for (uint32_t i = 0; i < 200; i++) {
		nng_msg *m;

		assert_int_equal(
		    nng_msg_alloc(&m, au__v1__request__get_packed_size(&rq)),
		    0);
		au__v1__request__pack(&rq, nng_msg_body(m));
		/* raw mode: the request id (high bit set) goes in the header */
		assert_int_equal(
		    nng_msg_header_append_u32(m, 0x80000000u | i), 0);
		assert_int_equal(nng_sendmsg(s, m, 0), 0);
	}
	c = client_new(f, f->dir, "host", f->host_sk, NULL, 5000);
	for (int i = 0; i < 5; i++)
		assert_int_equal(ping(c, &res), AU_OK);
	rpc_result_fini(&res);
	rpc_client_free(c);
	(void)nngclose(s, NNGCLOSE_WAIT_MS, NULL, NULL);
	nng_tls_config_free(bad.cfg);
}

/* A frame whose length header says 2^64-1, over a raw TLS stream: the
 * server closes that connection and goes on. */
static void
test_huge_frame_header(void **state)
{
	struct fixture    *f = *state;
	nng_stream_dialer *sd;
	nng_stream        *st;
	nng_tls_config    *cfg;
	nng_aio           *aio;
	uint8_t frame[16] = {0x00, 'S', 'P', 0x00, 0x00, 0x30, 0, 0, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t in[64];
	nng_iov iov;
	struct rpc_client *c;
	struct rpc_result  res = RPC_RESULT_INIT;
	int                rv = 0;

	raw_tls(f, &cfg, NNG_TLS_MODE_CLIENT);
	assert_int_equal(nng_stream_dialer_alloc(&sd, f->url), 0);
	assert_int_equal(
	    nng_stream_dialer_set_ptr(sd, NNG_OPT_TLS_CONFIG, cfg), 0);
	assert_int_equal(nng_aio_alloc(&aio, NULL, NULL), 0);
	nng_aio_set_timeout(aio, RAW_TIMEOUT_MS);
	nng_stream_dialer_dial(sd, aio);
	nng_aio_wait(aio);
	assert_int_equal(nng_aio_result(aio), 0);
	st = nng_aio_get_output(aio, 0);
	iov.iov_buf = frame;
	iov.iov_len = sizeof(frame);
	assert_int_equal(nng_aio_set_iov(aio, 1, &iov), 0);
	nng_stream_send(st, aio);
	nng_aio_wait(aio);
	assert_int_equal(nng_aio_result(aio), 0);
	/* Read the server's SP header, then expect the connection to close. */
	for (int i = 0; i < 10 && rv == 0; i++) {
		iov.iov_buf = in;
		iov.iov_len = sizeof(in);
		assert_int_equal(nng_aio_set_iov(aio, 1, &iov), 0);
		nng_stream_recv(st, aio);
		nng_aio_wait(aio);
		rv = nng_aio_result(aio);
	}
	assert_int_not_equal(rv, 0);
	assert_int_not_equal(rv, NNG_ETIMEDOUT);
	nng_stream_free(st);
	nng_aio_free(aio);
	nng_stream_dialer_free(sd);
	nng_tls_config_free(cfg);
	c = client_new(f, f->dir, "host", f->host_sk, NULL, 5000);
	assert_int_equal(ping(c, &res), AU_OK);
	rpc_result_fini(&res);
	rpc_client_free(c);
}

/* ---------------------------------------------------------- engines */

/* The engine a run asks for is the one the process runs. */
static void
test_tls_engine_active(void **state)
{
	struct fixture     *f = *state;
	enum rpc_tls_engine want =
	    f->engine == RPC_TLS_DEFAULT ? RPC_TLS_DEFAULT_ENGINE : f->engine;

	assert_int_equal(rpc_tls_engine_active(), want);
	/* Asking for the other one later changes nothing (and logs). */
	assert_int_equal(
	    rpc_tls_engine_use(
	        want == RPC_TLS_OPENSSL ? RPC_TLS_MBEDTLS : RPC_TLS_OPENSSL),
	    want);
	assert_string_equal(rpc_tls_engine_name(RPC_TLS_OPENSSL), "openssl");
	assert_string_equal(rpc_tls_engine_name(RPC_TLS_MBEDTLS), "mbedtls");
}

/* What a client on our engine says when meta refused its certificate or
 * it refused meta's: OpenSSL tells a refused certificate from a dropped
 * connection (NNG_EPEERAUTH); mbedtls 2.28 often cannot. */
static void
assert_refused(struct fixture *f, const struct rpc_result *res)
{
	const char *msg = au_err_str(&res->err);

	assert_int_equal(res->status, AU_UNAVAILABLE);
	assert_non_null(strstr(msg, "TLS"));
	if (rpc_tls_engine_active() == RPC_TLS_OPENSSL)
		assert_non_null(strstr(msg, "TLS handshake failed: a "
		                            "certificate was refused"));
	(void)f;
}

/* A client certificate of the right CA that expired yesterday. */
static void
test_tls_expired_client_cert(void **state)
{
	struct fixture    *f = *state;
	struct rpc_client *c =
	    client_new(f, f->dir, "old", f->host_sk, NULL, 3000);
	struct rpc_result res = RPC_RESULT_INIT;

	assert_int_equal(ping(c, &res), AU_UNAVAILABLE);
	assert_refused(f, &res);
	rpc_result_fini(&res);
	rpc_client_free(c);
}

/* mbedtls 2.28 takes a certificate with another's key; the handshake
 * then fails. */
static void
key_mismatch_mbedtls(struct fixture *f, const struct rpc_client_conf *cc)
{
	struct rpc_client     *c = NULL;
	struct rpc_result      res = RPC_RESULT_INIT;
	struct rpc_client_conf conf = *cc;

	conf.url = f->url;
	conf.timeout_ms = 3000;
	assert_int_equal(rpc_client_new(&conf, &c, NULL), AU_OK);
	assert_int_equal(ping(c, &res), AU_UNAVAILABLE);
	assert_non_null(strstr(au_err_str(&res.err), "TLS"));
	rpc_result_fini(&res);
	rpc_client_free(c);
}

/* A certificate with another certificate's key is refused before any
 * connection, on both sides, with exact status and message (OpenSSL). */
static void
test_tls_key_mismatch(void **state)
{
	struct fixture        *f = *state;
	struct rpc_client_conf cc = {0};
	struct rpc_server_conf sc = {0};
	struct rpc_client     *c = NULL;
	struct rpc_server     *srv = NULL;
	ProtobufCService      *svcs[] = {&f->host_svc.base};
	struct au_err          err = AU_ERR_INIT;
	char                   want[512];

	cc.url = f->url;
	cc.ca_file = fpath(f, 3, f->dir, "ca.crt");
	cc.cert_file = fpath(f, 4, f->dir, "host.crt");
	cc.key_file = fpath(f, 5, f->dir, "admin.key");
	cc.server_name = "localhost";
	cc.tls_engine = f->engine;
	if (rpc_tls_engine_active() == RPC_TLS_MBEDTLS) {
		key_mismatch_mbedtls(f, &cc);
		return;
	}
	assert_int_equal(rpc_client_new(&cc, &c, &err), AU_INVALID_ARGUMENT);
	assert_null(c);
	snprintf(want, sizeof(want),
	    "connect %s: tls: certificate %s with key %s: Invalid argument",
	    f->url, cc.cert_file, cc.key_file);
	assert_string_equal(au_err_str(&err), want);
	sc.url = "tls+tcp://127.0.0.1:0";
	sc.ca_file = cc.ca_file;
	sc.cert_file = fpath(f, 6, f->dir, "meta.crt");
	sc.key_file = cc.key_file;
	sc.identify = identify;
	sc.identify_arg = f;
	sc.authorize = authorize;
	sc.tls_engine = f->engine;
	assert_int_equal(
	    rpc_server_new(&sc, svcs, 1, &srv, &err), AU_INVALID_ARGUMENT);
	assert_null(srv);
	assert_non_null(strstr(au_err_str(&err), "Invalid argument"));
}

/* The peer process: the other engine's server, on our certificates. */
struct peer {
	pid_t pid;
	int   in;  /* its standard input: closing it stops it */
	FILE *out; /* its standard output: the port */
	char  url[64];
};

static void
peer_start(struct fixture *f, enum rpc_tls_engine engine, struct peer *p)
{
	int  to[2], from[2], port = 0;
	char line[32];

	assert_int_equal(pipe(to), 0);
	assert_int_equal(pipe(from), 0);
	assert_true((p->pid = fork()) >= 0);
	if (p->pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[1]);
		close(from[0]);
		setenv("AU_TLS_ENGINE", rpc_tls_engine_name(engine), 1);
		setenv("AU_RPC_PEER", f->dir, 1);
		execl("/proc/self/exe", "test_rpc", (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	p->in = to[1];
	assert_non_null(p->out = fdopen(from[0], "r"));
	assert_non_null(fgets(line, sizeof(line), p->out));
	assert_int_equal(sscanf(line, "%d", &port), 1);
	snprintf(p->url, sizeof(p->url), "tls+tcp://127.0.0.1:%d", port);
}

static void
peer_stop(struct peer *p)
{
	int status;

	close(p->in);
	fclose(p->out);
	assert_int_equal(waitpid(p->pid, &status, 0), p->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Our engine's client against the other engine's server (run both ways,
 * one per registration): a good call, then certificates refused. */
static void
test_tls_mixed_pair(void **state)
{
	struct fixture     *f = *state;
	struct peer         p;
	struct rpc_client  *c;
	struct rpc_result   res = RPC_RESULT_INIT;
	enum rpc_tls_engine other = rpc_tls_engine_active() == RPC_TLS_OPENSSL
	                                ? RPC_TLS_MBEDTLS
	                                : RPC_TLS_OPENSSL;

	peer_start(f, other, &p);
	c = client_new_at(f, p.url, f->dir, "host", f->host_sk, NULL, 5000);
	assert_int_equal(ping(c, &res), AU_OK);
	assert_string_equal(
	    ((Au__V1__PingReply *)res.reply)->caller_role, "host");
	rpc_result_fini(&res);
	rpc_client_free(c);
	c = client_new_at(f, p.url, f->dir, "old", f->host_sk, NULL, 3000);
	assert_int_equal(ping(c, &res), AU_UNAVAILABLE);
	assert_refused(f, &res);
	rpc_result_fini(&res);
	rpc_client_free(c);
	c = client_new_at(
	    f, p.url, f->dir, "host", f->host_sk, "meta.example", 3000);
	assert_int_equal(ping(c, &res), AU_UNAVAILABLE);
	assert_refused(f, &res);
	rpc_result_fini(&res);
	rpc_client_free(c);
	peer_stop(&p);
}

/* AU_RPC_PEER: serve on AU_TLS_ENGINE until stdin closes; exit status. */
static int
peer_main(const char *dir)
{
	struct fixture *f;
	char            buf[64];

	log_init("test_rpc peer", 1, 0);
	if ((f = fixture_new(dir)) == NULL ||
	    server_start(f, f->token_key, 64 * 1024, 0, &f->srv) != AU_OK)
		return 1;
	printf("%d\n", rpc_server_port(f->srv));
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	rpc_server_free(f->srv);
	free(f);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ping_signed_then_token),
	    cmocka_unit_test(test_permission_denied),
	    cmocka_unit_test(test_identify_refusal),
	    cmocka_unit_test(test_handler_status_and_bugs),
	    cmocka_unit_test(test_reply_buffer),
	    cmocka_unit_test(test_unknown_method),
	    cmocka_unit_test(test_payload_limits),
	    cmocka_unit_test(test_tls_wrong_server_name),
	    cmocka_unit_test(test_tls_ip_server_name),
	    cmocka_unit_test(test_tls_client_from_other_ca),
	    cmocka_unit_test(test_tls_no_client_cert),
	    cmocka_unit_test(test_tls_engine_active),
	    cmocka_unit_test(test_tls_expired_client_cert),
	    cmocka_unit_test(test_tls_key_mismatch),
	    cmocka_unit_test(test_tls_mixed_pair),
	    cmocka_unit_test(test_replay_and_bad_signature),
	    cmocka_unit_test(test_tokens),
	    cmocka_unit_test(test_newer_protocol),
	    cmocka_unit_test(test_garbage_and_truncation),
	    cmocka_unit_test(test_oversized),
	    cmocka_unit_test(test_resign_after_new_secret),
	    cmocka_unit_test(test_deadline),
	    cmocka_unit_test(test_non_reading_client),
	    cmocka_unit_test(test_huge_frame_header),
	};

	const struct CMUnitTest tls_tests[] = {
	    cmocka_unit_test(test_tls_engine_active),
	    cmocka_unit_test(test_tls_wrong_server_name),
	    cmocka_unit_test(test_tls_ip_server_name),
	    cmocka_unit_test(test_tls_client_from_other_ca),
	    cmocka_unit_test(test_tls_no_client_cert),
	    cmocka_unit_test(test_tls_expired_client_cert),
	    cmocka_unit_test(test_tls_key_mismatch),
	    cmocka_unit_test(test_tls_mixed_pair),
	    cmocka_unit_test(test_garbage_and_truncation),
	    cmocka_unit_test(test_oversized),
	    cmocka_unit_test(test_non_reading_client),
	    cmocka_unit_test(test_huge_frame_header),
	};
	const char *engine = getenv("AU_TLS_ENGINE");

	signal(SIGPIPE, SIG_IGN); /* as every rpc program (rpc.h) */
	if (getenv("AU_RPC_PEER") != NULL)
		return peer_main(getenv("AU_RPC_PEER"));
	if (getenv("AU_RPC_FILTER") != NULL) /* one case, by name pattern */
		cmocka_set_test_filter(getenv("AU_RPC_FILTER"));
	if (getenv("AU_RPC_SKIP") != NULL)
		cmocka_set_skip_filter(getenv("AU_RPC_SKIP"));
	if (engine != NULL && *engine != '\0')
		return cmocka_run_group_tests_name(
		    engine, tls_tests, group_setup, group_teardown);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
