/* SPDX-License-Identifier: MIT */
/*
 * heartbeat_bench: meta under a fleet's heartbeat load.  Builds a data
 * directory with N enrolled hosts (3 agents each, a few failed), starts a
 * real meta process on 127.0.0.1, and drives it from C client threads (one
 * rpc_client, key and session token each) with C requests in flight:
 * first Ping (the RPC round trip ceiling: TLS, envelope, token check, no
 * handler work), then Heartbeat with 3 agents.  Prints requests/s, p50,
 * p99, meta's CPU per request, the heartbeat/ceiling ratio, meta's RSS,
 * and how long `ListHosts failed=true` takes over the whole inventory.
 *
 * usage: heartbeat_bench [-n hosts] [-c in_flight] [-d seconds]
 * Needs AU_BIN (meta's directory) and AU_SRC (for certs/mkcerts.sh).
 * Never run by `make test`; no timing is asserted.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "au.pb-c.h"
#include "rpc.h"
#include "sig.h"
#include "store.h"

#define SAMPLES 4096

struct bench {
	char    dir[64];
	int     nhosts, inflight, seconds, port;
	pid_t   pid;
	uint8_t admin_pk[SIG_PUBKEY_BYTES], admin_sk[SIG_SECKEY_BYTES];
	uint8_t (*host_sk)[SIG_SECKEY_BYTES];
	atomic_int stop;
	int        phase; /* 0 ping, 1 heartbeat */
};

struct worker {
	struct bench      *b;
	int                index;
	struct rpc_client *c;
	pthread_t          tid;
	uint64_t           calls, errors;
	uint32_t           lat_us[SAMPLES];
	size_t             nlat;
};

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
die(const char *what, const struct au_err *err)
{
	fprintf(stderr, "heartbeat_bench: %s: %s\n", what,
	    err != NULL ? au_err_str(err) : "failed");
	exit(1);
}

static void
hostname(char *buf, size_t sz, int i)
{
	snprintf(buf, sz, "bench-%06d", i);
}

/* N hosts, the first `inflight` with the workers' keys; 3 agents each;
 * every 1000th host has a rolled-back report; default rules. */
static void
populate(struct bench *b)
{
	struct store      *st = NULL;
	struct store_host *hs = calloc((size_t)b->nhosts, sizeof(*hs));
	char(*names)[32] = calloc((size_t)b->nhosts, 32);
	struct store_agent  ag[3] = {{"nodex", "1.4.2", "started", NULL},
	     {"logd", "2.0.1", "started", NULL},
	     {"metricsd", "0.9.0", "stopped", NULL}};
	struct store_report r;
	struct store_rule   rule = {NULL, 0, "", 0, NULL, 1, 1, "bench"};
	struct au_err       err = AU_ERR_INIT;
	char                datadir[128];
	int                 i, dup;

	if (hs == NULL || names == NULL)
		die("populate", NULL);
	snprintf(datadir, sizeof(datadir), "%s/data", b->dir);
	if (store_open(datadir, &st, &err) != AU_OK)
		die("store", &err);
	for (i = 0; i < b->nhosts; i++) {
		hostname(names[i], 32, i);
		hs[i].hostname = names[i];
		if (i < b->inflight)
			sig_sk_to_pk(b->host_sk[i], hs[i].pubkey);
		else
			sig_random(hs[i].pubkey, SIG_PUBKEY_BYTES);
		hs[i].state = STORE_HOST_ACCEPTED;
		hs[i].created_ms = 1;
	}
	if (store_host_put_many(st, hs, (size_t)b->nhosts, &err) != AU_OK)
		die("hosts", &err);
	for (i = 0; i < b->nhosts; i++) {
		/* Every 1000th host rolled nodex back to 1.4.1: failed. */
		ag[0].version =
		    i >= b->inflight && i % 1000 == 0 ? "1.4.1" : "1.4.2";
		store_seen_queue(st, names[i], 1, "0.1.0", ag, 3, 1);
	}
	ag[0].version = "1.4.2";
	store_flush(st, NULL);
	for (i = 0; i < 3; i++) {
		rule.agent = ag[i].name;
		rule.version = ag[i].version;
		rule.action = i == 2 ? 2 : 1;
		if (store_rule_put(st, &rule, &err) != AU_OK)
			die("rule", &err);
	}
	memset(&r, 0, sizeof(r));
	for (i = (b->inflight + 999) / 1000 * 1000; i < b->nhosts; i += 1000) {
		char id[32];

		snprintf(id, sizeof(id), "r-%d", i);
		r.hostname = names[i];
		r.report_id = id;
		r.agent = "nodex";
		r.version = "1.4.2";
		r.outcome = 3;
		r.step = "start";
		r.received_ms = 1;
		if (store_report_add(st, &r, &dup, &err) != AU_OK)
			die("report", &err);
	}
	store_close(st);
	free(hs);
	free(names);
}

static void
write_conf(struct bench *b)
{
	char  path[128], hex[2 * SIG_PUBKEY_BYTES + 1];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/meta.conf", b->dir);
	if ((fp = fopen(path, "w")) == NULL)
		die(path, NULL);
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
		die("meta did not start (see meta.log)", NULL);
}

static struct rpc_client *
client(struct bench *b, const uint8_t *sk, const char *cert)
{
	struct rpc_client_conf cc;
	struct rpc_client     *c = NULL;
	struct au_err          err = AU_ERR_INIT;
	char                   url[64], ca[128], crt[128], key[128];

	memset(&cc, 0, sizeof(cc));
	snprintf(url, sizeof(url), "tls+tcp://127.0.0.1:%d", b->port);
	snprintf(ca, sizeof(ca), "%s/certs/ca.crt", b->dir);
	snprintf(crt, sizeof(crt), "%s/certs/%s.crt", b->dir, cert);
	snprintf(key, sizeof(key), "%s/certs/%s.key", b->dir, cert);
	cc.url = url;
	cc.ca_file = ca;
	cc.cert_file = crt;
	cc.key_file = key;
	cc.server_name = "localhost";
	memcpy(cc.identity_sk, sk, SIG_SECKEY_BYTES);
	cc.timeout_ms = 30000;
	if (rpc_client_new(&cc, &c, &err) != AU_OK)
		die("client", &err);
	return c;
}

static enum au_status
one_call(struct worker *w, const char *host)
{
	struct rpc_result res = RPC_RESULT_INIT;
	enum au_status    st;

	if (w->b->phase == 0) {
		Au__V1__PingRequest req = AU__V1__PING_REQUEST__INIT;

		au__v1__host_service__ping(
		    rpc_client_service(w->c, &au__v1__host_service__descriptor),
		    &req, NULL, &res);
	} else {
		Au__V1__HeartbeatRequest req = AU__V1__HEARTBEAT_REQUEST__INIT;
		Au__V1__AgentStatus      a[3] = {AU__V1__AGENT_STATUS__INIT,
		         AU__V1__AGENT_STATUS__INIT, AU__V1__AGENT_STATUS__INIT};
		Au__V1__AgentStatus     *ap[3] = {&a[0], &a[1], &a[2]};

		a[0].name = "nodex", a[0].version = "1.4.2";
		a[0].status = "started";
		a[1].name = "logd", a[1].version = "2.0.1";
		a[1].status = "started";
		a[2].name = "metricsd", a[2].version = "0.9.0";
		a[2].status = "stopped";
		req.hostname = (char *)(uintptr_t)host;
		req.updater_version = "0.1.0";
		req.n_agents = 3;
		req.agents = ap;
		au__v1__host_service__heartbeat(
		    rpc_client_service(w->c, &au__v1__host_service__descriptor),
		    &req, NULL, &res);
	}
	st = res.status;
	if (st != AU_OK && w->errors == 0)
		fprintf(stderr, "heartbeat_bench: %s\n", au_err_str(&res.err));
	rpc_result_fini(&res);
	return st;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	char           host[32];
	uint64_t       t0;

	hostname(host, sizeof(host), w->index);
	while (!atomic_load(&w->b->stop)) {
		t0 = now_us();
		if (one_call(w, host) != AU_OK)
			w->errors++;
		w->calls++;
		if (w->nlat < SAMPLES)
			w->lat_us[w->nlat++] = (uint32_t)(now_us() - t0);
	}
	return NULL;
}

static uint64_t
meta_cpu_ticks(pid_t pid)
{
	char               path[64], buf[1024], *p;
	unsigned long long ut = 0, stt = 0;
	FILE              *fp;
	size_t             n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
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

static long
meta_kb(pid_t pid, const char *field)
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
	return kb;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Run one phase; returns requests/s. */
static double
run_phase(struct bench *b, struct worker *w, const char *name)
{
	uint32_t *all;
	uint64_t  calls = 0, errors = 0, t0, t1, c0, c1;
	size_t    n = 0;
	double    secs, rate;
	int       i;

	atomic_store(&b->stop, 0);
	c0 = meta_cpu_ticks(b->pid);
	t0 = now_us();
	for (i = 0; i < b->inflight; i++) {
		w[i].calls = w[i].errors = w[i].nlat = 0;
		pthread_create(&w[i].tid, NULL, worker_main, &w[i]);
	}
	sleep((unsigned)b->seconds);
	atomic_store(&b->stop, 1);
	for (i = 0; i < b->inflight; i++)
		pthread_join(w[i].tid, NULL);
	t1 = now_us();
	c1 = meta_cpu_ticks(b->pid);
	all = malloc((size_t)b->inflight * SAMPLES * sizeof(*all));
	for (i = 0; i < b->inflight; i++) {
		calls += w[i].calls;
		errors += w[i].errors;
		memcpy(all + n, w[i].lat_us, w[i].nlat * sizeof(*all));
		n += w[i].nlat;
	}
	qsort(all, n, sizeof(*all), cmp_u32);
	secs = (double)(t1 - t0) / 1e6;
	rate = (double)calls / secs;
	printf("%-10s %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms  meta CPU %6.1f "
	       "us/req  errors %llu\n",
	    name, rate, n ? all[n / 2] / 1000.0 : 0,
	    n ? all[n * 99 / 100] / 1000.0 : 0,
	    calls ? (double)(c1 - c0) * 1e6 / (double)sysconf(_SC_CLK_TCK) /
	                (double)calls
	          : 0,
	    (unsigned long long)errors);
	free(all);
	return rate;
}

/* ListHosts failed=true over the whole inventory, page by page. */
static void
list_failed(struct bench *b)
{
	struct rpc_client *admin = client(b, b->admin_sk, "admin");
	char               after[64] = "";
	uint64_t           t0 = now_us();
	size_t             hosts = 0;
	int                more = 1, pages = 0;

	while (more) {
		Au__V1__ListHostsRequest req = AU__V1__LIST_HOSTS_REQUEST__INIT;
		struct rpc_result        res = RPC_RESULT_INIT;
		Au__V1__ListHostsReply  *rep;

		req.has_failed = 1;
		req.failed = 1;
		req.after = after;
		au__v1__admin_service__list_hosts(
		    rpc_client_service(
		        admin, &au__v1__admin_service__descriptor),
		    &req, NULL, &res);
		if (res.status != AU_OK)
			die("ListHosts", &res.err);
		rep = (Au__V1__ListHostsReply *)res.reply;
		hosts += rep->n_hosts;
		more = rep->more && rep->n_hosts > 0;
		if (rep->n_hosts > 0)
			snprintf(after, sizeof(after), "%s",
			    rep->hosts[rep->n_hosts - 1]->hostname);
		pages++;
		rpc_result_fini(&res);
	}
	printf("ListHosts failed=true: %zu hosts of %d in %.1f ms (%d pages)\n",
	    hosts, b->nhosts, (double)(now_us() - t0) / 1000.0, pages);
	rpc_client_free(admin);
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
	b->host_sk = calloc((size_t)b->inflight, sizeof(*b->host_sk));
	for (i = 0; i < b->inflight; i++) {
		uint8_t pk[SIG_PUBKEY_BYTES];

		sig_keypair(pk, b->host_sk[i]);
	}
	populate(b);
	write_conf(b);
}

int
main(int argc, char *argv[])
{
	struct bench   b;
	struct worker *w;
	double         ping, hb;
	uint64_t       t0;
	char           cmd[128];
	int            ch, i;

	memset(&b, 0, sizeof(b));
	b.nhosts = 100000;
	b.inflight = 256;
	b.seconds = 10;
	while ((ch = getopt(argc, argv, "n:c:d:")) != -1) {
		if (ch == 'n')
			b.nhosts = atoi(optarg);
		else if (ch == 'c')
			b.inflight = atoi(optarg);
		else if (ch == 'd')
			b.seconds = atoi(optarg);
		else {
			fprintf(stderr, "usage: heartbeat_bench [-n hosts] "
			                "[-c in_flight] [-d seconds]\n");
			return 2;
		}
	}
	if (getenv("AU_BIN") == NULL || getenv("AU_SRC") == NULL ||
	    b.inflight < 1 || b.nhosts < b.inflight || b.seconds < 1) {
		fprintf(stderr, "heartbeat_bench: set AU_BIN and AU_SRC; "
		                "hosts >= in_flight >= 1\n");
		return 2;
	}
	if (sig_init() != AU_OK)
		die("sig_init", NULL);
	signal(SIGPIPE, SIG_IGN);
	setup(&b);
	t0 = now_us();
	start_meta(&b);
	printf("heartbeat_bench: %d hosts (3 agents each), %d in flight, "
	       "%d s per phase; meta loaded the inventory in %.1f s\n",
	    b.nhosts, b.inflight, b.seconds, (double)(now_us() - t0) / 1e6);
	w = calloc((size_t)b.inflight, sizeof(*w));
	for (i = 0; i < b.inflight; i++) {
		w[i].b = &b;
		w[i].index = i;
		w[i].c = client(&b, b.host_sk[i], "host");
	}
	/* Warm up: TLS handshakes and the first (signed) request. */
	for (i = 0; i < b.inflight; i++)
		one_call(&w[i], "warm-up");
	b.phase = 0;
	ping = run_phase(&b, w, "ping");
	b.phase = 1;
	hb = run_phase(&b, w, "heartbeat");
	printf("heartbeat/ping ratio: %.2f (target >= 0.85)\n", hb / ping);
	printf("meta RSS: %.1f MB (peak %.1f MB) with %d hosts "
	       "(target <= 64 MB)\n",
	    meta_kb(b.pid, "VmRSS:") / 1024.0,
	    meta_kb(b.pid, "VmHWM:") / 1024.0, b.nhosts);
	list_failed(&b);
	for (i = 0; i < b.inflight; i++)
		rpc_client_free(w[i].c);
	kill(b.pid, SIGTERM);
	waitpid(b.pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b.dir);
	if (getenv("BENCH_KEEP") != NULL)
		printf("kept %s\n", b.dir);
	else if (system(cmd) != 0)
		fprintf(
		    stderr, "heartbeat_bench: could not remove %s\n", b.dir);
	free(w);
	free(b.host_sk);
	return 0;
}
