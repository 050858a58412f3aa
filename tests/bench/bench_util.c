/* SPDX-License-Identifier: MIT */
/*
 * bench_util: the pieces rpc_bench, heartbeat_bench and download_bench
 * share (see bench_util.h).
 */
#include "bench_util.h"

#include <sys/resource.h>

#include <arpa/inet.h>
#include <errno.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "au.pb-c.h"
#include "auth.h"
#include "fsutil.h"
#include "nngclose.h"
#include "rpc.h"
#include "wire.h"

#define LAT_CAP (4u << 20)

struct bench_echo_ctx {
	nng_ctx  ctx;
	nng_aio *aio;
	bool     sending;
};

struct load {
	const struct bench_load_conf *c;
	nng_socket                    sock;
	atomic_size_t                 next;
	uint64_t                      end_ns;
	uint64_t                     *lat;
	atomic_size_t                 nlat;
	atomic_int                    active;
	atomic_int                    errors;
};

struct worker {
	struct load *l;
	nng_ctx      ctx;
	nng_aio     *aio;
	bool         receiving;
	uint64_t     t0;
};

static char *slurp(const char *path);
static void  echo_cb(void *arg);
static void  worker_send(struct worker *w);
static bool  reply_ok(nng_msg *m);
static void  worker_cb(void *arg);
static void  load_open(struct load *l, struct worker *w, nng_tls_config *cfg);
static int   cmp_u64(const void *a, const void *b);
static int   cmp_rps(const void *a, const void *b);
static int   cmp_double(const void *a, const void *b);

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
bench_die(const char *what, const char *why)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
	    why != NULL ? why : "failed");
	exit(1);
}

void
bench_die_nng(const char *what, int rv)
{
	bench_die(what, nng_strerror(rv));
}

void
bench_src_dir(char *out, size_t sz)
{
	/* This file is <src>/tests/bench/bench_util.c. */
	static const char here[] = __FILE__;
	static const char tail[] = "/tests/bench/bench_util.c";
	const char       *env = getenv("AU_SRC");
	size_t            n = strlen(here);

	if (env != NULL)
		snprintf(out, sz, "%s", env);
	else if (n >= sizeof(tail) - 1 &&
	         strcmp(here + n - (sizeof(tail) - 1), tail) == 0)
		snprintf(out, sz, "%.*s", (int)(n - (sizeof(tail) - 1)), here);
	else
		snprintf(out, sz, ".");
}

void
bench_mkcerts(const char *src, const char *dir, const char *names)
{
	char cmd[2048], dflt[1024];

	if (src == NULL) {
		bench_src_dir(dflt, sizeof(dflt));
		src = dflt;
	}
	if (snprintf(cmd, sizeof(cmd),
	        "sh '%s/certs/mkcerts.sh' '%s' %s >/dev/null 2>&1", src, dir,
	        names != NULL ? names : "") >= (int)sizeof(cmd))
		bench_die("mkcerts.sh", "path too long");
	if (system(cmd) != 0)
		bench_die("mkcerts.sh", NULL);
}

size_t
bench_host_request(uint8_t *buf, size_t max, const char *method,
    const uint8_t *payload, size_t len,
    const uint8_t token_key[SIG_MAC_KEY_BYTES],
    const uint8_t pubkey[SIG_PUBKEY_BYTES], uint64_t request_id)
{
	Au__V1__Request     rq = AU__V1__REQUEST__INIT;
	struct au_principal p;
	uint8_t             tok[AUTH_TOKEN_MAX];

	memset(&p, 0, sizeof(p));
	p.role = AU_ROLE_HOST;
	memcpy(p.pubkey, pubkey, SIG_PUBKEY_BYTES);
	sig_key_id(p.pubkey, p.name);
	rq.protocol = RPC_PROTOCOL_VERSION;
	rq.method = (char *)(uintptr_t)method;
	rq.has_payload = true;
	rq.payload.data = (uint8_t *)(uintptr_t)(len > 0 ? payload : tok);
	rq.payload.len = len;
	rq.has_token = true;
	rq.token.data = tok;
	rq.token.len =
	    auth_token_issue(tok, token_key, &p, auth_now_ms() + 36000000);
	rq.has_request_id = request_id != 0;
	rq.request_id = request_id;
	if (au__v1__request__get_packed_size(&rq) > max)
		bench_die("request", "too large");
	return au__v1__request__pack(&rq, buf);
}

static char *
slurp(const char *path)
{
	char *buf = NULL;

	if (fsutil_read_file(path, 65536, &buf, NULL, NULL) != AU_OK)
		bench_die(path, "cannot read");
	return buf;
}

nng_tls_config *
bench_tls_config(const char *certdir, const char *name, bool server)
{
	nng_tls_config *cfg;
	char            p[512], *ca, *cert, *key;
	int             rv;

	snprintf(p, sizeof(p), "%s/ca.crt", certdir);
	ca = slurp(p);
	snprintf(p, sizeof(p), "%s/%s.crt", certdir, name);
	cert = slurp(p);
	snprintf(p, sizeof(p), "%s/%s.key", certdir, name);
	key = slurp(p);
	if ((rv = nng_tls_config_alloc(
	         &cfg, server ? NNG_TLS_MODE_SERVER : NNG_TLS_MODE_CLIENT)) ||
	    (rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED)) ||
	    (rv = nng_tls_config_ca_chain(cfg, ca, NULL)) ||
	    (rv = nng_tls_config_own_cert(cfg, cert, key, NULL)) ||
	    (!server && (rv = nng_tls_config_server_name(cfg, "localhost"))))
		bench_die_nng("tls config", rv);
	free(ca);
	free(cert);
	free(key);
	return cfg;
}

/* ---------------------------------------------------------- idle conns */

nng_socket *
bench_conns_open(const char *certdir, int port, int n, int *connected)
{
	nng_tls_config *cfg = bench_tls_config(certdir, "host", false);
	nng_socket     *s = calloc((size_t)n, sizeof(*s));
	struct rlimit   rl;
	nng_dialer      d;
	char            url[64];
	int             i, rv;

	if (s == NULL)
		bench_die("connections", "out of memory");
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	snprintf(url, sizeof(url), "tls+tcp://127.0.0.1:%d", port);
	*connected = 0;
	for (i = 0; i < n; i++) {
		if ((rv = nng_req0_open(&s[i])) != 0 ||
		    (rv = nng_dialer_create(&d, s[i], url)) != 0 ||
		    (rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cfg)) != 0)
			bench_die_nng("connection", rv);
		if (nng_dialer_start(d, 0) == 0)
			(*connected)++;
	}
	nng_tls_config_free(cfg);
	return s;
}

void
bench_conns_close(nng_socket *s, int n)
{
	for (int i = 0; i < n; i++)
		(void)nngclose(s[i], NNGCLOSE_WAIT_MS, NULL, NULL);
	free(s);
}

/* ---------------------------------------------------------- raw echo */

static void
echo_cb(void *arg)
{
	struct bench_echo_ctx *e = arg;
	int                    rv = nng_aio_result(e->aio);

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

void
bench_echo_start(struct bench_echo *e, const char *certdir, int n)
{
	nng_listener l;
	nng_sockaddr sa;
	int          rv, i;

	e->n = n;
	e->cfg = bench_tls_config(certdir, "meta", true);
	if ((e->ctxs = calloc((size_t)n, sizeof(*e->ctxs))) == NULL)
		bench_die("echo server", "out of memory");
	if ((rv = nng_rep0_open(&e->sock)) ||
	    (rv = nng_socket_set_size(e->sock, NNG_OPT_RECVMAXSZ, 1 << 20)) ||
	    (rv = nng_listener_create(&l, e->sock, "tls+tcp://127.0.0.1:0")) ||
	    (rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, e->cfg)) ||
	    (rv = nng_listener_start(l, 0)) ||
	    (rv = nng_listener_get_addr(l, NNG_OPT_LOCADDR, &sa)))
		bench_die_nng("echo server", rv);
	for (i = 0; i < n; i++) {
		if ((rv = nng_aio_alloc(
		         &e->ctxs[i].aio, echo_cb, &e->ctxs[i])) ||
		    (rv = nng_ctx_open(&e->ctxs[i].ctx, e->sock)))
			bench_die_nng("echo ctx", rv);
		nng_ctx_recv(e->ctxs[i].ctx, e->ctxs[i].aio);
	}
	e->port = ntohs(sa.s_in.sa_port);
}

void
bench_echo_stop(struct bench_echo *e)
{
	int i;

	if (!nngclose(e->sock, NNGCLOSE_WAIT_MS, NULL, NULL))
		return; /* callbacks may still use the contexts */
	for (i = 0; i < e->n; i++)
		nng_aio_free(e->ctxs[i].aio);
	free(e->ctxs);
	nng_tls_config_free(e->cfg);
}

/* ---------------------------------------------------------- load */

static void
worker_send(struct worker *w)
{
	struct load                  *l = w->l;
	const struct bench_load_conf *c = l->c;
	size_t   i = atomic_fetch_add(&l->next, 1) % c->nreqs;
	nng_msg *m;

	if (nng_msg_alloc(&m, c->reqlen[i]) != 0) {
		atomic_fetch_add(&l->errors, 1);
		atomic_fetch_sub(&l->active, 1);
		return;
	}
	memcpy(nng_msg_body(m), c->reqs + i * c->stride, c->reqlen[i]);
	w->receiving = false;
	w->t0 = bench_now_ns();
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
	if (!ok && rep->message != NULL)
		fprintf(stderr, "%s: %s\n", program_invocation_short_name,
		    rep->message);
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
	t = bench_now_ns();
	if (l->c->check && !reply_ok(m))
		atomic_fetch_add(&l->errors, 1);
	nng_msg_free(m);
	if ((i = atomic_fetch_add(&l->nlat, 1)) < LAT_CAP)
		l->lat[i] = t - w->t0;
	if (t < l->end_ns)
		worker_send(w);
	else
		atomic_fetch_sub(&l->active, 1);
}

/* Dial c's port and open the workers' contexts. */
static void
load_open(struct load *l, struct worker *w, nng_tls_config *cfg)
{
	nng_dialer d;
	char       url[64];
	int        rv, i;

	snprintf(url, sizeof(url), "tls+tcp://127.0.0.1:%d", l->c->port);
	if ((rv = nng_req0_open(&l->sock)) ||
	    (rv = nng_socket_set_ms(
	         l->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE)) ||
	    (rv = nng_socket_set_size(l->sock, NNG_OPT_RECVMAXSZ, 1 << 20)) ||
	    (rv = nng_dialer_create(&d, l->sock, url)) ||
	    (rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cfg)) ||
	    (rv = nng_dialer_start(d, 0)))
		bench_die_nng("client", rv);
	for (i = 0; i < l->c->inflight; i++) {
		w[i].l = l;
		if ((rv = nng_aio_alloc(&w[i].aio, worker_cb, &w[i])) ||
		    (rv = nng_ctx_open(&w[i].ctx, l->sock)))
			bench_die_nng("client ctx", rv);
	}
}

struct bench_result
bench_load_run(const struct bench_load_conf *c)
{
	struct load        *l = calloc(1, sizeof(*l));
	struct worker      *w = calloc((size_t)c->inflight, sizeof(*w));
	nng_tls_config     *cfg = bench_tls_config(c->certdir, "host", false);
	struct bench_result r;
	uint64_t            start, c0 = 0;
	size_t              n;
	int                 i;

	if (l == NULL || w == NULL ||
	    (l->lat = malloc(LAT_CAP * sizeof(uint64_t))) == NULL)
		bench_die("load", "out of memory");
	l->c = c;
	load_open(l, w, cfg);
	atomic_store(&l->active, c->inflight);
	if (c->cpu_pid > 0)
		c0 = bench_proc_cpu_ticks(c->cpu_pid);
	start = bench_now_ns();
	l->end_ns = start + (uint64_t)(c->seconds * 1e9);
	for (i = 0; i < c->inflight; i++)
		worker_send(&w[i]);
	while (atomic_load(&l->active) > 0)
		usleep(10000);
	n = atomic_load(&l->nlat);
	r.rps = (double)n / ((double)(bench_now_ns() - start) / 1e9);
	r.cpu_us = c->cpu_pid > 0 && n > 0
	               ? (double)(bench_proc_cpu_ticks(c->cpu_pid) - c0) * 1e6 /
	                     (double)sysconf(_SC_CLK_TCK) / (double)n
	               : 0;
	bench_latency(l->lat, n > LAT_CAP ? LAT_CAP : n, &r.p50_us, &r.p99_us);
	if ((r.errors = atomic_load(&l->errors)) > 0)
		fprintf(stderr, "%s: %d errors\n",
		    program_invocation_short_name, r.errors);
	if (!nngclose(l->sock, NNGCLOSE_WAIT_MS, NULL, NULL))
		return r; /* callbacks may still use w and l */
	for (i = 0; i < c->inflight; i++)
		nng_aio_free(w[i].aio);
	nng_tls_config_free(cfg);
	free(l->lat);
	free(l);
	free(w);
	return r;
}

/* ---------------------------------------------------------- statistics */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_rps(const void *a, const void *b)
{
	double x = ((const struct bench_result *)a)->rps;
	double y = ((const struct bench_result *)b)->rps;

	return x < y ? -1 : x > y;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void
bench_latency(uint64_t *lat, size_t n, double *p50_us, double *p99_us)
{
	qsort(lat, n, sizeof(uint64_t), cmp_u64);
	*p50_us = n ? (double)lat[n / 2] / 1000 : 0;
	*p99_us = n ? (double)lat[n * 99 / 100] / 1000 : 0;
}

struct bench_result
bench_median_result(struct bench_result *r, int n)
{
	qsort(r, (size_t)n, sizeof(r[0]), cmp_rps);
	return r[n / 2];
}

double
bench_median_double(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
	return v[n / 2];
}

/* ---------------------------------------------------------- /proc */

long
bench_proc_kb(pid_t pid, const char *field)
{
	char  path[64], line[256];
	long  kb = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, field, strlen(field)) == 0)
			kb = strtol(line + strlen(field) + 1, NULL, 10);
	fclose(fp);
	return kb;
}

uint64_t
bench_proc_cpu_ticks(pid_t pid)
{
	char               path[64], buf[1024], *p;
	unsigned long long ut = 0, stt = 0;
	FILE              *fp;
	size_t             n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pid <= 0 || (fp = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2,
	        "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
	        &stt) != 2)
		return 0;
	return ut + stt;
}
