/* SPDX-License-Identifier: MIT */
/*
 * rpc_bench: what the RPC stack costs over raw nng.  In one run, over the
 * same mutual-TLS setup on 127.0.0.1:
 *   (a) raw nng req/rep echo of 100-byte messages (rep server with 256
 *       contexts that sends back what it got);
 *   (b) a Heartbeat-sized call through the whole stack: Request envelope
 *       with a session token, limits walk, token check, dispatch, a
 *       handler that does nothing, Reply packing; the client unpacks each
 *       Reply and checks its status;
 * each at 1, 16 and 256 requests in flight (that many req contexts on one
 * client socket, each an aio loop).  Runs (a) and (b) alternately for
 * several rounds and reports, per configuration, the round with the median
 * throughput, so that load from other processes on a shared machine hits
 * both sides alike.  Prints requests/s, p50 and p99 latency and the ratio
 * b/a.  Never run by `make test`.
 *
 * usage: rpc_bench [-s seconds] [-r rounds] [SOURCE_DIR]  (SOURCE_DIR or
 * $AU_SRC holds certs/mkcerts.sh)
 */
#include <arpa/inet.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "au.pb-c.h"
#include "auth.h"
#include "log.h"
#include "rpc.h"
#include "sig.h"
#include "wire.h"

#define MAX_INFLIGHT 256
#define LAT_CAP (4u << 20)

struct load {
	nng_socket     sock;
	const uint8_t *req;
	size_t         reqlen;
	bool           check_reply;
	uint64_t       end_ns;
	uint64_t      *lat;
	atomic_size_t  nlat;
	atomic_int     active;
	atomic_int     errors;
};

struct worker {
	struct load *l;
	nng_ctx      ctx;
	nng_aio     *aio;
	bool         receiving;
	uint64_t     t0;
};

struct echo_ctx {
	nng_ctx  ctx;
	nng_aio *aio;
	bool     sending;
};

struct result {
	double rps, p50_us, p99_us;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
die(const char *what, int rv)
{
	fprintf(stderr, "rpc_bench: %s: %s\n", what, nng_strerror(rv));
	exit(1);
}

static char *
slurp(const char *path)
{
	FILE  *f = fopen(path, "r");
	char  *buf = calloc(1, 65536);
	size_t n;

	if (f == NULL || buf == NULL) {
		fprintf(stderr, "rpc_bench: %s: cannot read\n", path);
		exit(1);
	}
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static nng_tls_config *
tls(const char *dir, const char *name, bool server)
{
	nng_tls_config *cfg;
	char            p[256], *ca, *cert, *key;
	int             rv;

	snprintf(p, sizeof(p), "%s/ca.crt", dir);
	ca = slurp(p);
	snprintf(p, sizeof(p), "%s/%s.crt", dir, name);
	cert = slurp(p);
	snprintf(p, sizeof(p), "%s/%s.key", dir, name);
	key = slurp(p);
	if ((rv = nng_tls_config_alloc(
	         &cfg, server ? NNG_TLS_MODE_SERVER : NNG_TLS_MODE_CLIENT)) ||
	    (rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED)) ||
	    (rv = nng_tls_config_ca_chain(cfg, ca, NULL)) ||
	    (rv = nng_tls_config_own_cert(cfg, cert, key, NULL)) ||
	    (!server && (rv = nng_tls_config_server_name(cfg, "localhost"))))
		die("tls config", rv);
	free(ca);
	free(cert);
	free(key);
	return cfg;
}

/* ---------------------------------------------------------- raw echo */

static void
echo_cb(void *arg)
{
	struct echo_ctx *e = arg;
	int              rv = nng_aio_result(e->aio);

	if (rv != 0) {
		if (e->sending)
			nng_msg_free(nng_aio_get_msg(e->aio));
		if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
			return;
	} else if (!e->sending) {
		e->sending = true;
		nng_ctx_send(e->ctx, e->aio);
		return;
	}
	e->sending = false;
	nng_ctx_recv(e->ctx, e->aio);
}

static int
echo_start(const char *dir, nng_socket *s, struct echo_ctx *ctxs,
    nng_tls_config **cfgp)
{
	nng_listener l;
	nng_sockaddr sa;
	int          rv;

	*cfgp = tls(dir, "meta", true);
	if ((rv = nng_rep0_open(s)) ||
	    (rv = nng_socket_set_size(*s, NNG_OPT_RECVMAXSZ, 1 << 20)) ||
	    (rv = nng_listener_create(&l, *s, "tls+tcp://127.0.0.1:0")) ||
	    (rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, *cfgp)) ||
	    (rv = nng_listener_start(l, 0)) ||
	    (rv = nng_listener_get_addr(l, NNG_OPT_LOCADDR, &sa)))
		die("echo server", rv);
	for (int i = 0; i < MAX_INFLIGHT; i++) {
		if ((rv = nng_aio_alloc(&ctxs[i].aio, echo_cb, &ctxs[i])) ||
		    (rv = nng_ctx_open(&ctxs[i].ctx, *s)))
			die("echo ctx", rv);
		nng_ctx_recv(ctxs[i].ctx, ctxs[i].aio);
	}
	return ntohs(sa.s_in.sa_port);
}

/* ---------------------------------------------------------- load */

static void
worker_send(struct worker *w)
{
	nng_msg *m;

	if (nng_msg_alloc(&m, w->l->reqlen) != 0) {
		atomic_fetch_add(&w->l->errors, 1);
		atomic_fetch_sub(&w->l->active, 1);
		return;
	}
	memcpy(nng_msg_body(m), w->l->req, w->l->reqlen);
	w->receiving = false;
	w->t0 = now_ns();
	nng_aio_set_msg(w->aio, m);
	nng_ctx_send(w->ctx, w->aio);
}

static bool
reply_ok(nng_msg *m)
{
	Au__V1__Reply *rep;
	bool           ok;

	if (wire_reply_unpack(nng_msg_body(m), nng_msg_len(m), &rep, NULL) !=
	    AU_OK)
		return false;
	ok = rep->status == AU__V1__STATUS__OK;
	au__v1__reply__free_unpacked(rep, NULL);
	return ok;
}

static void
worker_cb(void *arg)
{
	struct worker *w = arg;
	struct load   *l = w->l;
	nng_msg       *m;
	uint64_t       t;
	size_t         i;

	if (nng_aio_result(w->aio) != 0) {
		if (!w->receiving)
			nng_msg_free(nng_aio_get_msg(w->aio));
		atomic_fetch_add(&l->errors, 1);
		atomic_fetch_sub(&l->active, 1);
		return;
	}
	if (!w->receiving) {
		/* The send finished; only now start the receive (#1702). */
		w->receiving = true;
		nng_ctx_recv(w->ctx, w->aio);
		return;
	}
	m = nng_aio_get_msg(w->aio);
	t = now_ns();
	if (l->check_reply && !reply_ok(m))
		atomic_fetch_add(&l->errors, 1);
	nng_msg_free(m);
	if ((i = atomic_fetch_add(&l->nlat, 1)) < LAT_CAP)
		l->lat[i] = t - w->t0;
	if (t < l->end_ns)
		worker_send(w);
	else
		atomic_fetch_sub(&l->active, 1);
}

static int
cmp_rps(const void *a, const void *b)
{
	double x = ((const struct result *)a)->rps;
	double y = ((const struct result *)b)->rps;

	return x < y ? -1 : x > y;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static struct result
run_load(const char *dir, int port, const uint8_t *req, size_t reqlen,
    bool check, int inflight, double seconds)
{
	static struct worker w[MAX_INFLIGHT];
	struct load         *l = calloc(1, sizeof(*l));
	nng_tls_config      *cfg = tls(dir, "host", false);
	nng_dialer           d;
	char                 url[64];
	uint64_t             start;
	struct result        r;
	size_t               n;
	int                  rv;

	l->lat = malloc(LAT_CAP * sizeof(uint64_t));
	l->req = req;
	l->reqlen = reqlen;
	l->check_reply = check;
	snprintf(url, sizeof(url), "tls+tcp://127.0.0.1:%d", port);
	if ((rv = nng_req0_open(&l->sock)) ||
	    (rv = nng_socket_set_ms(
	         l->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE)) ||
	    (rv = nng_socket_set_size(l->sock, NNG_OPT_RECVMAXSZ, 1 << 20)) ||
	    (rv = nng_dialer_create(&d, l->sock, url)) ||
	    (rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cfg)) ||
	    (rv = nng_dialer_start(d, 0)))
		die("client", rv);
	for (int i = 0; i < inflight; i++) {
		w[i].l = l;
		if ((rv = nng_aio_alloc(&w[i].aio, worker_cb, &w[i])) ||
		    (rv = nng_ctx_open(&w[i].ctx, l->sock)))
			die("client ctx", rv);
	}
	atomic_store(&l->active, inflight);
	start = now_ns();
	l->end_ns = start + (uint64_t)(seconds * 1e9);
	for (int i = 0; i < inflight; i++)
		worker_send(&w[i]);
	while (atomic_load(&l->active) > 0)
		usleep(10000);
	n = atomic_load(&l->nlat);
	r.rps = (double)n / ((double)(now_ns() - start) / 1e9);
	if (n > LAT_CAP)
		n = LAT_CAP;
	qsort(l->lat, n, sizeof(uint64_t), cmp_u64);
	r.p50_us = n ? (double)l->lat[n / 2] / 1000 : 0;
	r.p99_us = n ? (double)l->lat[n * 99 / 100] / 1000 : 0;
	if (atomic_load(&l->errors) > 0)
		fprintf(
		    stderr, "rpc_bench: %d errors\n", atomic_load(&l->errors));
	nng_close(l->sock);
	for (int i = 0; i < inflight; i++)
		nng_aio_free(w[i].aio);
	nng_tls_config_free(cfg);
	free(l->lat);
	free(l);
	return r;
}

/* ---------------------------------------------------------- stack */

static void
hb_handler(Au__V1__HostService_Service *s, const Au__V1__HeartbeatRequest *in,
    Au__V1__HeartbeatReply_Closure closure, void *cd)
{
	Au__V1__HeartbeatReply rep = AU__V1__HEARTBEAT_REPLY__INIT;

	(void)s;
	(void)in;
	rep.state = AU__V1__HOST_STATE__ACCEPTED;
	closure(&rep, cd);
}

/* A Request envelope for Heartbeat from a host with three agents, carrying
 * a session token made with key. */
static size_t
heartbeat_request(uint8_t *buf, const uint8_t key[SIG_MAC_KEY_BYTES])
{
	Au__V1__HeartbeatRequest hb = AU__V1__HEARTBEAT_REQUEST__INIT;
	Au__V1__AgentStatus      a[3], *ap[3];
	Au__V1__Request          rq = AU__V1__REQUEST__INIT;
	struct au_principal      p = {0};
	uint8_t                  payload[512], tok[AUTH_TOKEN_MAX];
	static const char *const names[] = {"nodex", "logship", "metrics"};

	hb.hostname = "web-12.example.com";
	hb.updater_version = "0.1.0";
	for (int i = 0; i < 3; i++) {
		a[i] = (Au__V1__AgentStatus)AU__V1__AGENT_STATUS__INIT;
		a[i].name = (char *)(uintptr_t)names[i];
		a[i].version = "1.4.2";
		a[i].status = "started";
		ap[i] = &a[i];
	}
	hb.agents = ap;
	hb.n_agents = 3;
	p.role = AU_ROLE_HOST;
	sig_random(p.pubkey, sizeof(p.pubkey));
	sig_key_id(p.pubkey, p.name);
	rq.protocol = RPC_PROTOCOL_VERSION;
	rq.method = "au.v1.HostService/Heartbeat";
	rq.has_payload = true;
	rq.payload.data = payload;
	rq.payload.len = au__v1__heartbeat_request__pack(&hb, payload);
	rq.has_token = true;
	rq.token.data = tok;
	rq.token.len = auth_token_issue(tok, key, &p, auth_now_ms() + 3600000);
	rq.has_request_id = true;
	rq.request_id = 1;
	return au__v1__request__pack(&rq, buf);
}

int
main(int argc, char **argv)
{
	static struct echo_ctx      echo[MAX_INFLIGHT];
	static const int            levels[] = {1, 16, 256};
	Au__V1__HostService_Service svc;
	ProtobufCService           *svcs[] = {&svc.base};
	struct rpc_server_conf      conf = {0};
	struct rpc_server          *srv;
	struct au_err               err = AU_ERR_INIT;
	nng_tls_config             *ecfg;
	nng_socket                  es;
	struct result               a[3], b[3], ra[16], rb[16];
	const char                 *src = getenv("AU_SRC");
	char    dir[] = "/tmp/au-bench-XXXXXX", cmd[512], p[3][300];
	uint8_t echo_req[100], hb[1024];
	size_t  hblen;
	double  seconds = 2;
	int     c, eport, rounds = 3;

	while ((c = getopt(argc, argv, "s:r:")) != -1)
		if (c == 's')
			seconds = atof(optarg);
		else if (c == 'r')
			rounds = atoi(optarg);
	if (rounds < 1 || rounds > 16 || seconds <= 0) {
		fprintf(stderr,
		    "usage: rpc_bench [-s seconds] [-r rounds 1-16] "
		    "[source-dir]\n");
		return 2;
	}
	if (optind < argc)
		src = argv[optind];
	if (sig_init() != AU_OK || mkdtemp(dir) == NULL)
		return 1;
	au__v1__host_service__init(&svc, NULL);
	svc.heartbeat = hb_handler;
	log_init("rpc_bench", 1, 0);
	snprintf(cmd, sizeof(cmd), "sh %s/certs/mkcerts.sh %s host >/dev/null",
	    src != NULL ? src : ".", dir);
	if (system(cmd) != 0)
		return 1;
	eport = echo_start(dir, &es, echo, &ecfg);
	snprintf(p[0], sizeof(p[0]), "%s/ca.crt", dir);
	snprintf(p[1], sizeof(p[1]), "%s/meta.crt", dir);
	snprintf(p[2], sizeof(p[2]), "%s/meta.key", dir);
	conf.url = "tls+tcp://127.0.0.1:0";
	conf.ca_file = p[0];
	conf.cert_file = p[1];
	conf.key_file = p[2];
	sig_random(conf.token_key, sizeof(conf.token_key));
	if (rpc_server_new(&conf, svcs, 1, &srv, &err) != AU_OK ||
	    rpc_server_start(srv, &err) != AU_OK) {
		fprintf(stderr, "rpc_bench: %s\n", au_err_str(&err));
		return 1;
	}
	hblen = heartbeat_request(hb, conf.token_key);
	memset(echo_req, 'x', sizeof(echo_req));
	for (int i = 0; i < 3; i++) {
		for (int r = 0; r < rounds; r++) {
			ra[r] = run_load(dir, eport, echo_req, sizeof(echo_req),
			    false, levels[i], seconds);
			rb[r] = run_load(dir, rpc_server_port(srv), hb, hblen,
			    true, levels[i], seconds);
		}
		qsort(ra, (size_t)rounds, sizeof(ra[0]), cmp_rps);
		qsort(rb, (size_t)rounds, sizeof(rb[0]), cmp_rps);
		a[i] = ra[rounds / 2];
		b[i] = rb[rounds / 2];
	}
	printf("heartbeat envelope: %zu bytes; %.1f s per run; median of %d "
	       "rounds\n\n",
	    hblen, seconds, rounds);
	printf("| in flight | (a) raw echo req/s | p50 us | p99 us "
	       "| (b) stack req/s | p50 us | p99 us | b/a |\n");
	printf("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int i = 0; i < 3; i++)
		printf("| %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | "
		       "%.0f%% |\n",
		    levels[i], a[i].rps, a[i].p50_us, a[i].p99_us, b[i].rps,
		    b[i].p50_us, b[i].p99_us, 100 * b[i].rps / a[i].rps);
	rpc_server_free(srv);
	nng_close(es);
	for (int i = 0; i < MAX_INFLIGHT; i++)
		nng_aio_free(echo[i].aio);
	nng_tls_config_free(ecfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
