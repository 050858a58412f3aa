/* SPDX-License-Identifier: MIT */
/*
 * heartbeat_bench: meta under a fleet's heartbeat load.
 *
 * Builds a data directory with N enrolled hosts (each with its own key, 3
 * agents, every 1000th one failed) and meta's token key, so that the bench
 * can hand every host its own session token; starts a real meta process
 * on 127.0.0.1; and, over the same mutual-TLS client setup as rpc_bench
 * (one req socket, C contexts in flight, each an aio loop):
 *   (a) the raw nng echo of rpc_bench (a rep server echoing 100-byte
 *       messages, in this process): the transport ceiling;
 *   (b) Heartbeat requests to meta, each from the next of the N hosts (its
 *       hostname, its token), 3 agents each; every Reply is checked.
 * (a) and (b) alternate for several rounds; the median round of each is
 * reported: requests/s, p50, p99, meta's CPU per heartbeat (from /proc),
 * and b/a.  Then meta's RSS with N hosts, and how long ListHosts
 * failed=true (paged, as metactl does) takes over the inventory.
 *
 * usage: heartbeat_bench [-n hosts] [-c in_flight] [-s seconds] [-r rounds]
 * Needs AU_BIN (meta's directory) and AU_SRC (for certs/mkcerts.sh).
 * Never run by `make test`; nothing is asserted.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "au.pb-c.h"
#include "auth.h"
#include "fsutil.h"
#include "rpc.h"
#include "sig.h"
#include "store.h"
#include "wire.h"

#define MAX_INFLIGHT 1024
#define LAT_CAP (4u << 20)
#define REQ_MAX 512

struct bench {
	char    dir[64];
	int     nhosts, inflight, rounds, port;
	double  seconds;
	pid_t   pid;
	uint8_t admin_pk[SIG_PUBKEY_BYTES], admin_sk[SIG_SECKEY_BYTES];
	uint8_t token_key[SIG_MAC_KEY_BYTES];
	uint8_t (*pk)[SIG_PUBKEY_BYTES]; /* the hosts' keys */
	uint8_t  *reqs;                  /* nhosts envelopes, REQ_MAX apart */
	uint16_t *reqlen;
};

struct load {
	nng_socket      sock;
	const uint8_t  *reqs;
	const uint16_t *reqlen;
	size_t          nreqs;
	bool            check;
	atomic_size_t   next;
	uint64_t        end_ns;
	uint64_t       *lat;
	atomic_size_t   nlat;
	atomic_int      active;
	atomic_int      errors;
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
	double rps, p50_us, p99_us, cpu_us;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "heartbeat_bench: %s: %s\n", what,
	    why != NULL ? why : "failed");
	exit(1);
}

static void
die_nng(const char *what, int rv)
{
	die(what, nng_strerror(rv));
}

static void
hostname(char *buf, size_t sz, int i)
{
	snprintf(buf, sz, "bench-%06d", i);
}

/* ------------------------------------------------------------ the fleet */

static void
populate_hosts(struct bench *b, struct store *st, char (*names)[32])
{
	struct store_host *hs = calloc((size_t)b->nhosts, sizeof(*hs));
	struct store_agent ag[3] = {{"nodex", "1.4.2", "started", NULL},
	    {"logd", "2.0.1", "started", NULL},
	    {"metricsd", "0.9.0", "stopped", NULL}};
	struct store_agent bad[3] = {{"nodex", "1.4.1", "started", NULL},
	    {"logd", "2.0.1", "started", NULL},
	    {"metricsd", "0.9.0", "stopped", NULL}};
	struct store_seen *seen = calloc((size_t)b->nhosts, sizeof(*seen));
	struct au_err      err = AU_ERR_INIT;
	int                i;

	if (hs == NULL || seen == NULL)
		die("populate", "out of memory");
	for (i = 0; i < b->nhosts; i++) {
		hostname(names[i], 32, i);
		hs[i].hostname = names[i];
		memcpy(hs[i].pubkey, b->pk[i], SIG_PUBKEY_BYTES);
		hs[i].state = STORE_HOST_ACCEPTED;
		hs[i].created_ms = 1;
	}
	if (store_host_put_many(st, hs, (size_t)b->nhosts, &err) != AU_OK)
		die("hosts", au_err_str(&err));
	/* Every 1000th host rolled nodex back to 1.4.1: failed. */
	for (i = 0; i < b->nhosts; i++) {
		seen[i] = (struct store_seen){
		    names[i], 1, "0.1.0", 1, i % 1000 == 999 ? bad : ag, 3};
	}
	if (store_seen_write(st, seen, (size_t)b->nhosts, &err) != AU_OK)
		die("agents", au_err_str(&err));
	free(seen);
	free(hs);
}

static void
populate_rest(struct bench *b, struct store *st, char (*names)[32])
{
	static const char *const agents[3] = {"nodex", "logd", "metricsd"};
	static const char *const versions[3] = {"1.4.2", "2.0.1", "0.9.0"};
	struct store_rule        rule = {NULL, 0, "", 0, NULL, 1, 1, "bench"};
	struct store_report      r;
	struct au_err            err = AU_ERR_INIT;
	char                     id[32];
	int                      i, dup;

	for (i = 0; i < 3; i++) {
		rule.agent = agents[i];
		rule.version = versions[i];
		rule.action = i == 2 ? 2 : 1;
		if (store_rule_put(st, &rule, &err) != AU_OK)
			die("rule", au_err_str(&err));
	}
	memset(&r, 0, sizeof(r));
	for (i = 999; i < b->nhosts; i += 1000) {
		snprintf(id, sizeof(id), "r-%d", i);
		r.hostname = names[i];
		r.report_id = id;
		r.agent = "nodex";
		r.version = "1.4.2";
		r.outcome = 3;
		r.step = "start";
		r.received_ms = 1;
		if (store_report_add(st, &r, &dup, &err) != AU_OK)
			die("report", au_err_str(&err));
	}
}

/* meta's data directory: the token key (so the bench can mint each host's
 * session token) and the store with the fleet. */
static void
populate(struct bench *b)
{
	struct store *st = NULL;
	struct au_err err = AU_ERR_INIT;
	char(*names)[32] = calloc((size_t)b->nhosts, 32);
	char datadir[128], path[160];

	snprintf(datadir, sizeof(datadir), "%s/data", b->dir);
	snprintf(path, sizeof(path), "%s/token.key", datadir);
	sig_random(b->token_key, sizeof(b->token_key));
	if (names == NULL || fsutil_mkdirs(datadir, 0700, &err) != AU_OK ||
	    fsutil_write_atomic(path, b->token_key, sizeof(b->token_key), 0600,
	        &err) != AU_OK ||
	    store_open(datadir, &st, &err) != AU_OK)
		die("populate", au_err_str(&err));
	populate_hosts(b, st, names);
	populate_rest(b, st, names);
	store_close(st);
	free(names);
}

/* Host i's Heartbeat envelope, with its own session token. */
static size_t
heartbeat_request(const struct bench *b, int i, uint8_t *buf)
{
	Au__V1__HeartbeatRequest hb = AU__V1__HEARTBEAT_REQUEST__INIT;
	Au__V1__AgentStatus      a[3], *ap[3];
	Au__V1__Request          rq = AU__V1__REQUEST__INIT;
	struct au_principal      p;
	static const char *const names[3] = {"nodex", "logd", "metricsd"};
	static const char *const vers[3] = {"1.4.2", "2.0.1", "0.9.0"};
	uint8_t                  payload[256], tok[AUTH_TOKEN_MAX];
	char                     host[32];
	int                      k;

	hostname(host, sizeof(host), i);
	for (k = 0; k < 3; k++) {
		a[k] = (Au__V1__AgentStatus)AU__V1__AGENT_STATUS__INIT;
		a[k].name = (char *)(uintptr_t)names[k];
		a[k].version = (char *)(uintptr_t)vers[k];
		a[k].status = k == 2 ? "stopped" : "started";
		ap[k] = &a[k];
	}
	if (i % 1000 == 999)
		a[0].version = "1.4.1";
	hb.hostname = host;
	hb.updater_version = "0.1.0";
	hb.agents = ap;
	hb.n_agents = 3;
	memset(&p, 0, sizeof(p));
	p.role = AU_ROLE_HOST;
	memcpy(p.pubkey, b->pk[i], SIG_PUBKEY_BYTES);
	sig_key_id(p.pubkey, p.name);
	rq.protocol = RPC_PROTOCOL_VERSION;
	rq.method = "au.v1.HostService/Heartbeat";
	rq.has_payload = true;
	rq.payload.data = payload;
	rq.payload.len = au__v1__heartbeat_request__pack(&hb, payload);
	rq.has_token = true;
	rq.token.data = tok;
	rq.token.len =
	    auth_token_issue(tok, b->token_key, &p, auth_now_ms() + 36000000);
	rq.has_request_id = true;
	rq.request_id = (uint64_t)i + 1;
	if (au__v1__request__get_packed_size(&rq) > REQ_MAX)
		die("request", "too large");
	return au__v1__request__pack(&rq, buf);
}

/* Host 0's Ping envelope: meta's RPC stack with no inventory work. */
static size_t
ping_request(const struct bench *b, uint8_t *buf)
{
	Au__V1__Request     rq = AU__V1__REQUEST__INIT;
	struct au_principal p;
	uint8_t             tok[AUTH_TOKEN_MAX];

	memset(&p, 0, sizeof(p));
	p.role = AU_ROLE_HOST;
	memcpy(p.pubkey, b->pk[0], SIG_PUBKEY_BYTES);
	sig_key_id(p.pubkey, p.name);
	rq.protocol = RPC_PROTOCOL_VERSION;
	rq.method = "au.v1.HostService/Ping";
	rq.has_payload = true;
	rq.payload.data = tok; /* an empty PingRequest */
	rq.payload.len = 0;
	rq.has_token = true;
	rq.token.data = tok;
	rq.token.len =
	    auth_token_issue(tok, b->token_key, &p, auth_now_ms() + 36000000);
	return au__v1__request__pack(&rq, buf);
}

static void
build_requests(struct bench *b)
{
	int i;

	b->reqs = malloc((size_t)b->nhosts * REQ_MAX);
	b->reqlen = calloc((size_t)b->nhosts, sizeof(*b->reqlen));
	if (b->reqs == NULL || b->reqlen == NULL)
		die("requests", "out of memory");
	for (i = 0; i < b->nhosts; i++)
		b->reqlen[i] = (uint16_t)heartbeat_request(
		    b, i, b->reqs + (size_t)i * REQ_MAX);
}

/* ------------------------------------------------------------ transport */

static char *
slurp(const char *path)
{
	char  *buf = NULL;
	size_t len;

	if (fsutil_read_file(path, 65536, &buf, &len, NULL) != AU_OK)
		die(path, "cannot read");
	return buf;
}

static nng_tls_config *
tls(const char *dir, const char *name, bool server)
{
	nng_tls_config *cfg;
	char            p[256], *ca, *cert, *key;
	int             rv;

	snprintf(p, sizeof(p), "%s/certs/ca.crt", dir);
	ca = slurp(p);
	snprintf(p, sizeof(p), "%s/certs/%s.crt", dir, name);
	cert = slurp(p);
	snprintf(p, sizeof(p), "%s/certs/%s.key", dir, name);
	key = slurp(p);
	if ((rv = nng_tls_config_alloc(
	         &cfg, server ? NNG_TLS_MODE_SERVER : NNG_TLS_MODE_CLIENT)) ||
	    (rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED)) ||
	    (rv = nng_tls_config_ca_chain(cfg, ca, NULL)) ||
	    (rv = nng_tls_config_own_cert(cfg, cert, key, NULL)) ||
	    (!server && (rv = nng_tls_config_server_name(cfg, "localhost"))))
		die_nng("tls config", rv);
	free(ca);
	free(cert);
	free(key);
	return cfg;
}

/* rpc_bench's (a): a rep server that sends back what it got. */
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
echo_start(const char *dir, nng_socket *s, struct echo_ctx *ctxs, int n,
    nng_tls_config **cfgp)
{
	nng_listener l;
	nng_sockaddr sa;
	int          rv, i;

	*cfgp = tls(dir, "meta", true);
	if ((rv = nng_rep0_open(s)) ||
	    (rv = nng_socket_set_size(*s, NNG_OPT_RECVMAXSZ, 1 << 20)) ||
	    (rv = nng_listener_create(&l, *s, "tls+tcp://127.0.0.1:0")) ||
	    (rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, *cfgp)) ||
	    (rv = nng_listener_start(l, 0)) ||
	    (rv = nng_listener_get_addr(l, NNG_OPT_LOCADDR, &sa)))
		die_nng("echo server", rv);
	for (i = 0; i < n; i++) {
		if ((rv = nng_aio_alloc(&ctxs[i].aio, echo_cb, &ctxs[i])) ||
		    (rv = nng_ctx_open(&ctxs[i].ctx, *s)))
			die_nng("echo ctx", rv);
		nng_ctx_recv(ctxs[i].ctx, ctxs[i].aio);
	}
	return ntohs(sa.s_in.sa_port);
}

static void
worker_send(struct worker *w)
{
	struct load *l = w->l;
	size_t       i = atomic_fetch_add(&l->next, 1) % l->nreqs;
	nng_msg     *m;

	if (nng_msg_alloc(&m, l->reqlen[i]) != 0) {
		atomic_fetch_add(&l->errors, 1);
		atomic_fetch_sub(&l->active, 1);
		return;
	}
	memcpy(nng_msg_body(m), l->reqs + i * REQ_MAX, l->reqlen[i]);
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
	if (!ok && rep->message != NULL)
		fprintf(stderr, "heartbeat_bench: %s\n", rep->message);
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
		w->receiving = true;
		nng_ctx_recv(w->ctx, w->aio);
		return;
	}
	m = nng_aio_get_msg(w->aio);
	t = now_ns();
	if (l->check && !reply_ok(m))
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
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_rps(const void *a, const void *b)
{
	double x = ((const struct result *)a)->rps;
	double y = ((const struct result *)b)->rps;

	return x < y ? -1 : x > y;
}

static uint64_t meta_cpu_ticks(pid_t pid);
static double   meta_mb(pid_t pid, const char *field);

/* Drive port with the requests (cycling) at b->inflight for b->seconds. */
static struct result
run_load(struct bench *b, int port, const uint8_t *reqs, const uint16_t *reqlen,
    size_t nreqs, bool check)
{
	static struct worker w[MAX_INFLIGHT];
	struct load         *l = calloc(1, sizeof(*l));
	nng_tls_config      *cfg = tls(b->dir, "host", false);
	nng_dialer           d;
	char                 url[64];
	uint64_t             start, c0;
	struct result        r;
	size_t               n;
	int                  rv, i;

	l->lat = malloc(LAT_CAP * sizeof(uint64_t));
	l->reqs = reqs;
	l->reqlen = reqlen;
	l->nreqs = nreqs;
	l->check = check;
	snprintf(url, sizeof(url), "tls+tcp://127.0.0.1:%d", port);
	if ((rv = nng_req0_open(&l->sock)) ||
	    (rv = nng_socket_set_ms(
	         l->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE)) ||
	    (rv = nng_socket_set_size(l->sock, NNG_OPT_RECVMAXSZ, 1 << 20)) ||
	    (rv = nng_dialer_create(&d, l->sock, url)) ||
	    (rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cfg)) ||
	    (rv = nng_dialer_start(d, 0)))
		die_nng("client", rv);
	for (i = 0; i < b->inflight; i++) {
		w[i].l = l;
		if ((rv = nng_aio_alloc(&w[i].aio, worker_cb, &w[i])) ||
		    (rv = nng_ctx_open(&w[i].ctx, l->sock)))
			die_nng("client ctx", rv);
	}
	atomic_store(&l->active, b->inflight);
	c0 = meta_cpu_ticks(b->pid);
	start = now_ns();
	l->end_ns = start + (uint64_t)(b->seconds * 1e9);
	for (i = 0; i < b->inflight; i++)
		worker_send(&w[i]);
	while (atomic_load(&l->active) > 0)
		usleep(10000);
	n = atomic_load(&l->nlat);
	r.rps = (double)n / ((double)(now_ns() - start) / 1e9);
	r.cpu_us = n ? (double)(meta_cpu_ticks(b->pid) - c0) * 1e6 /
	                   (double)sysconf(_SC_CLK_TCK) / (double)n
	             : 0;
	if (n > LAT_CAP)
		n = LAT_CAP;
	qsort(l->lat, n, sizeof(uint64_t), cmp_u64);
	r.p50_us = n ? (double)l->lat[n / 2] / 1000 : 0;
	r.p99_us = n ? (double)l->lat[n * 99 / 100] / 1000 : 0;
	if (atomic_load(&l->errors) > 0)
		fprintf(stderr, "heartbeat_bench: %d errors\n",
		    atomic_load(&l->errors));
	if (getenv("BENCH_VERBOSE") != NULL)
		fprintf(stderr, "port %d: %.0f req/s, meta RSS %.1f MB\n", port,
		    r.rps, meta_mb(b->pid, "VmRSS:"));
	nng_close(l->sock);
	for (i = 0; i < b->inflight; i++)
		nng_aio_free(w[i].aio);
	nng_tls_config_free(cfg);
	free(l->lat);
	free(l);
	return r;
}

/* ------------------------------------------------------------ meta */

static void
write_conf(struct bench *b)
{
	char  path[128], hex[2 * SIG_PUBKEY_BYTES + 1];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/meta.conf", b->dir);
	if ((fp = fopen(path, "w")) == NULL)
		die(path, "cannot write");
	sig_hex_encode(hex, sizeof(hex), b->admin_pk, sizeof(b->admin_pk));
	fprintf(fp,
	    "[meta]\nlisten = tls+tcp://127.0.0.1:0\nca = %1$s/certs/ca.crt\n"
	    "cert = %1$s/certs/meta.crt\nkey = %1$s/certs/meta.key\n"
	    "datadir = %1$s/data\ninterval = 60\n[admin]\nbench = %2$s\n",
	    b->dir, hex);
	fclose(fp);
}

static void
start_meta(struct bench *b)
{
	char  bin[256], conf[128], log[128], portf[128];
	FILE *fp;
	int   i, fd;

	snprintf(bin, sizeof(bin), "%s/meta", getenv("AU_BIN"));
	snprintf(conf, sizeof(conf), "%s/meta.conf", b->dir);
	snprintf(log, sizeof(log), "%s/meta.log", b->dir);
	snprintf(portf, sizeof(portf), "%s/data/meta.port", b->dir);
	if ((b->pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* die() must not leak it */
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(bin, "meta", "-d", "-c", conf, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 1200 && b->port == 0; i++) {
		usleep(50000);
		if ((fp = fopen(portf, "r")) != NULL) {
			if (fscanf(fp, "%d", &b->port) != 1)
				b->port = 0;
			fclose(fp);
		}
	}
	if (b->port == 0)
		die("meta", "did not start (see meta.log)");
}

static uint64_t
meta_cpu_ticks(pid_t pid)
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

static double
meta_mb(pid_t pid, const char *field)
{
	char  path[64], line[256];
	long  kb = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, field, strlen(field)) == 0)
			kb = strtol(line + strlen(field) + 1, NULL, 10);
	fclose(fp);
	return (double)kb / 1024.0;
}

/* ListHosts failed=true over the whole inventory, page by page, as
 * `metactl hosts --failed` does. */
static void
list_failed(struct bench *b)
{
	struct rpc_client_conf cc;
	struct rpc_client     *c = NULL;
	struct au_err          err = AU_ERR_INIT;
	char     url[64], ca[128], crt[128], key[128], after[64] = "";
	uint64_t t0;
	size_t   hosts = 0;
	int      more = 1, pages = 0;

	memset(&cc, 0, sizeof(cc));
	snprintf(url, sizeof(url), "tls+tcp://127.0.0.1:%d", b->port);
	snprintf(ca, sizeof(ca), "%s/certs/ca.crt", b->dir);
	snprintf(crt, sizeof(crt), "%s/certs/admin.crt", b->dir);
	snprintf(key, sizeof(key), "%s/certs/admin.key", b->dir);
	cc.url = url;
	cc.ca_file = ca;
	cc.cert_file = crt;
	cc.key_file = key;
	cc.server_name = "localhost";
	memcpy(cc.identity_sk, b->admin_sk, SIG_SECKEY_BYTES);
	cc.timeout_ms = 30000;
	if (rpc_client_new(&cc, &c, &err) != AU_OK)
		die("admin client", au_err_str(&err));
	t0 = now_ns();
	while (more) {
		Au__V1__ListHostsRequest req = AU__V1__LIST_HOSTS_REQUEST__INIT;
		struct rpc_result        res = RPC_RESULT_INIT;
		Au__V1__ListHostsReply  *rep;

		req.has_failed = 1;
		req.failed = 1;
		req.after = after;
		au__v1__admin_service__list_hosts(
		    rpc_client_service(c, &au__v1__admin_service__descriptor),
		    &req, NULL, &res);
		if (res.status != AU_OK)
			die("ListHosts", au_err_str(&res.err));
		rep = (Au__V1__ListHostsReply *)res.reply;
		hosts += rep->n_hosts;
		more = rep->more && rep->n_hosts > 0;
		if (rep->n_hosts > 0)
			snprintf(after, sizeof(after), "%s",
			    rep->hosts[rep->n_hosts - 1]->hostname);
		pages++;
		rpc_result_fini(&res);
	}
	printf("ListHosts failed=true: %zu of %d hosts in %.1f ms (%d "
	       "page%s, with connect and signature; target < 1000 ms)\n",
	    hosts, b->nhosts, (double)(now_ns() - t0) / 1e6, pages,
	    pages == 1 ? "" : "s");
	rpc_client_free(c);
}

static void
setup(struct bench *b)
{
	char cmd[512];
	int  i;

	snprintf(b->dir, sizeof(b->dir), "/tmp/heartbeat_bench.XXXXXX");
	if (mkdtemp(b->dir) == NULL)
		die("mkdtemp", NULL);
	snprintf(cmd, sizeof(cmd), "sh %s/certs/mkcerts.sh %s/certs >/dev/null",
	    getenv("AU_SRC"), b->dir);
	if (system(cmd) != 0)
		die("mkcerts.sh", NULL);
	sig_keypair(b->admin_pk, b->admin_sk);
	b->pk = calloc((size_t)b->nhosts, sizeof(*b->pk));
	if (b->pk == NULL)
		die("keys", "out of memory");
	/* Each host's own public key; the bench holds its token, not its
	 * secret key (meta sees only tokens after the first signature). */
	for (i = 0; i < b->nhosts; i++)
		sig_random(b->pk[i], SIG_PUBKEY_BYTES);
	populate(b);
	build_requests(b);
	write_conf(b);
}

static void
usage(void)
{
	fprintf(stderr, "usage: heartbeat_bench [-n hosts] [-c in_flight] "
	                "[-s seconds] [-r rounds]\n"
	                "AU_BIN (meta's directory) and AU_SRC must be set\n");
	exit(2);
}

static void
options(struct bench *b, int argc, char *argv[])
{
	int ch;

	b->nhosts = 100000;
	b->inflight = 256;
	b->seconds = 3;
	b->rounds = 3;
	while ((ch = getopt(argc, argv, "n:c:s:r:")) != -1) {
		if (ch == 'n')
			b->nhosts = atoi(optarg);
		else if (ch == 'c')
			b->inflight = atoi(optarg);
		else if (ch == 's')
			b->seconds = atof(optarg);
		else if (ch == 'r')
			b->rounds = atoi(optarg);
		else
			usage();
	}
	if (getenv("AU_BIN") == NULL || getenv("AU_SRC") == NULL ||
	    b->inflight < 1 || b->inflight > MAX_INFLIGHT || b->nhosts < 1 ||
	    b->seconds <= 0 || b->rounds < 1 || b->rounds > 16)
		usage();
}

static void
report(const struct bench *b, const struct result *a, const struct result *h,
    const struct result *p)
{
	printf("heartbeat_bench: %d hosts (3 agents, own key and token each), "
	       "%d in flight, %.1f s per run, median of %d rounds\n",
	    b->nhosts, b->inflight, b->seconds, b->rounds);
	printf("(a) raw TLS echo  %8.0f req/s  p50 %7.2f ms  p99 %7.2f ms\n",
	    a->rps, a->p50_us / 1000, a->p99_us / 1000);
	printf("(b) heartbeat     %8.0f req/s  p50 %7.2f ms  p99 %7.2f ms  "
	       "meta CPU %.1f us/req\n",
	    h->rps, h->p50_us / 1000, h->p99_us / 1000, h->cpu_us);
	printf("(c) ping to meta  %8.0f req/s  p50 %7.2f ms  p99 %7.2f ms  "
	       "meta CPU %.1f us/req\n",
	    p->rps, p->p50_us / 1000, p->p99_us / 1000, p->cpu_us);
	printf("b/a: %.0f%% (target >= 85%%); b/c: %.0f%%\n",
	    100 * h->rps / a->rps, 100 * h->rps / p->rps);
	printf("meta RSS: %.1f MB (peak %.1f MB) with %d hosts (target <= "
	       "64 MB)\n",
	    meta_mb(b->pid, "VmRSS:"), meta_mb(b->pid, "VmHWM:"), b->nhosts);
}

int
main(int argc, char *argv[])
{
	static struct echo_ctx echo[MAX_INFLIGHT];
	struct bench           b;
	struct result          ra[16], rh[16], rp[16];
	nng_tls_config        *ecfg;
	nng_socket             es;
	uint8_t                echo_req[100], ping[REQ_MAX];
	uint16_t               echo_len = sizeof(echo_req), ping_len;
	char                   cmd[128];
	int                    eport, r, i;

	memset(&b, 0, sizeof(b));
	options(&b, argc, argv);
	if (sig_init() != AU_OK)
		die("sig_init", NULL);
	signal(SIGPIPE, SIG_IGN);
	setup(&b);
	start_meta(&b);
	printf("meta RSS after loading %d hosts: %.1f MB\n", b.nhosts,
	    meta_mb(b.pid, "VmRSS:"));
	eport = echo_start(b.dir, &es, echo, b.inflight, &ecfg);
	memset(echo_req, 'x', sizeof(echo_req));
	ping_len = (uint16_t)ping_request(&b, ping);
	for (r = 0; r < b.rounds; r++) {
		ra[r] = run_load(&b, eport, echo_req, &echo_len, 1, false);
		rh[r] = run_load(
		    &b, b.port, b.reqs, b.reqlen, (size_t)b.nhosts, true);
		rp[r] = run_load(&b, b.port, ping, &ping_len, 1, true);
	}
	qsort(ra, (size_t)b.rounds, sizeof(ra[0]), cmp_rps);
	qsort(rp, (size_t)b.rounds, sizeof(rp[0]), cmp_rps);
	qsort(rh, (size_t)b.rounds, sizeof(rh[0]), cmp_rps);
	report(&b, &ra[b.rounds / 2], &rh[b.rounds / 2], &rp[b.rounds / 2]);
	list_failed(&b);
	kill(b.pid, SIGTERM);
	waitpid(b.pid, NULL, 0);
	nng_close(es);
	for (i = 0; i < b.inflight; i++)
		nng_aio_free(echo[i].aio);
	nng_tls_config_free(ecfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b.dir);
	if (getenv("BENCH_KEEP") != NULL)
		printf("kept %s\n", b.dir);
	else if (system(cmd) != 0)
		fprintf(stderr, "heartbeat_bench: cannot remove %s\n", b.dir);
	free(b.pk);
	free(b.reqs);
	free(b.reqlen);
	return 0;
}
