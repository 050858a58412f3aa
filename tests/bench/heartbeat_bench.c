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
 * failed=true and an unfiltered ListHosts (paged, as metactl does) take
 * over the inventory.  Last, what idle connections cost meta: -k of them
 * (default 2000; 0: skip), meta's RSS per connection and CPU per
 * handshake.
 *
 * With -R, the store also holds an active phased rollout of nodex 1.4.3
 * (waves 1,10,50,100, at its 10% wave, thresholds as for 100,000 hosts):
 * each heartbeat then also resolves the rollout (the host's bucket, its
 * membership) and recounts the host in it; members are asked for 1.4.3
 * and keep reporting 1.4.2, so they stay pending.
 *
 * usage: heartbeat_bench [-n hosts] [-c in_flight] [-s seconds] [-r rounds]
 *                        [-k idle_connections] [-R]
 * Needs AU_BIN (meta's directory) and AU_SRC (for certs/mkcerts.sh).
 * Never run by `make test`; nothing is asserted.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au.pb-c.h"
#include "auth.h"
#include "bench_util.h"
#include "fsutil.h"
#include "rpc.h"
#include "sig.h"
#include "store.h"

#define MAX_INFLIGHT BENCH_MAX_INFLIGHT
#define REQ_MAX 512

struct bench {
	char    dir[64];
	int     nhosts, inflight, rounds, port, conns, rollout;
	double  seconds;
	pid_t   pid;
	uint8_t admin_pk[SIG_PUBKEY_BYTES], admin_sk[SIG_SECKEY_BYTES];
	uint8_t token_key[SIG_MAC_KEY_BYTES];
	uint8_t (*pk)[SIG_PUBKEY_BYTES]; /* the hosts' keys */
	uint8_t  *reqs;                  /* nhosts envelopes, REQ_MAX apart */
	uint16_t *reqlen;
};

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
	struct store_agent ag[3] = {
	    {"nodex", "1.4.2", "started", NULL, NULL, NULL, 0, NULL},
	    {"logd", "2.0.1", "started", NULL, NULL, NULL, 0, NULL},
	    {"metricsd", "0.9.0", "stopped", NULL, NULL, NULL, 0, NULL}};
	struct store_agent bad[3] = {
	    {"nodex", "1.4.1", "started", NULL, NULL, NULL, 0, NULL},
	    {"logd", "2.0.1", "started", NULL, NULL, NULL, 0, NULL},
	    {"metricsd", "0.9.0", "stopped", NULL, NULL, NULL, 0, NULL}};
	struct store_seen *seen = calloc((size_t)b->nhosts, sizeof(*seen));
	struct au_err      err = AU_ERR_INIT;
	int                i;

	if (hs == NULL || seen == NULL)
		bench_die("populate", "out of memory");
	for (i = 0; i < b->nhosts; i++) {
		hostname(names[i], 32, i);
		hs[i].hostname = names[i];
		memcpy(hs[i].pubkey, b->pk[i], SIG_PUBKEY_BYTES);
		hs[i].state = STORE_HOST_ACCEPTED;
		hs[i].created_ms = 1;
	}
	if (store_host_put_many(st, hs, (size_t)b->nhosts, &err) != AU_OK)
		bench_die("hosts", au_err_str(&err));
	/* Every 1000th host rolled nodex back to 1.4.1: failed. */
	for (i = 0; i < b->nhosts; i++) {
		seen[i] = (struct store_seen){
		    names[i], 1, "0.1.0", 1, i % 1000 == 999 ? bad : ag, 3};
	}
	if (store_seen_write(st, seen, (size_t)b->nhosts, &err) != AU_OK)
		bench_die("agents", au_err_str(&err));
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
			bench_die("rule", au_err_str(&err));
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
			bench_die("report", au_err_str(&err));
	}
}

/* An active rollout of nodex 1.4.3 at its 10% wave (-R). */
static void
populate_rollout(struct store *st)
{
	struct store_rollout r = {0, "nodex", "1.4.3", 1, "1,10,50,100", 1,
	    "100,1000", 600000, 5, 1, 3, "", NULL, "1.4.2", 1, "bench", 1,
	    "1,1", 0};
	struct au_err        err = AU_ERR_INIT;
	uint64_t             id;

	if (store_rollout_add(st, &r, &id, &err) != AU_OK)
		bench_die("rollout", au_err_str(&err));
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
		bench_die("populate", au_err_str(&err));
	populate_hosts(b, st, names);
	populate_rest(b, st, names);
	if (b->rollout)
		populate_rollout(st);
	store_close(st);
	free(names);
}

/* Host i's Heartbeat envelope, with its own session token. */
static size_t
heartbeat_request(const struct bench *b, int i, uint8_t *buf)
{
	Au__V1__HeartbeatRequest hb = AU__V1__HEARTBEAT_REQUEST__INIT;
	Au__V1__AgentStatus      a[3], *ap[3];
	static const char *const names[3] = {"nodex", "logd", "metricsd"};
	static const char *const vers[3] = {"1.4.2", "2.0.1", "0.9.0"};
	uint8_t                  payload[256];
	char                     host[32];
	size_t                   len;
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
	len = au__v1__heartbeat_request__pack(&hb, payload);
	return bench_host_request(buf, REQ_MAX, "au.v1.HostService/Heartbeat",
	    payload, len, b->token_key, b->pk[i], (uint64_t)i + 1);
}

/* Host 0's Ping envelope: meta's RPC stack with no inventory work. */
static size_t
ping_request(const struct bench *b, uint8_t *buf)
{
	return bench_host_request(buf, REQ_MAX, "au.v1.HostService/Ping", NULL,
	    0, b->token_key, b->pk[0], 0);
}

static void
build_requests(struct bench *b)
{
	int i;

	b->reqs = malloc((size_t)b->nhosts * REQ_MAX);
	b->reqlen = calloc((size_t)b->nhosts, sizeof(*b->reqlen));
	if (b->reqs == NULL || b->reqlen == NULL)
		bench_die("requests", "out of memory");
	for (i = 0; i < b->nhosts; i++)
		b->reqlen[i] = (uint16_t)heartbeat_request(
		    b, i, b->reqs + (size_t)i * REQ_MAX);
}

static double
meta_mb(pid_t pid, const char *field)
{
	return (double)bench_proc_kb(pid, field) / 1024.0;
}

/* ------------------------------------------------------------ load */

/* Drive port with the requests (cycling) at b->inflight for b->seconds,
 * measuring meta's CPU. */
static struct bench_result
run_load(struct bench *b, int port, const uint8_t *reqs, const uint16_t *reqlen,
    size_t nreqs, bool check)
{
	char                   certs[128];
	struct bench_load_conf c = {certs, port, reqs, reqlen, nreqs, REQ_MAX,
	    check, b->inflight, b->seconds, b->pid};
	struct bench_result    r;

	snprintf(certs, sizeof(certs), "%s/certs", b->dir);
	r = bench_load_run(&c);
	if (getenv("BENCH_VERBOSE") != NULL)
		fprintf(stderr, "port %d: %.0f req/s, meta RSS %.1f MB\n", port,
		    r.rps, meta_mb(b->pid, "VmRSS:"));
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
		bench_die(path, "cannot write");
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
		prctl(PR_SET_PDEATHSIG,
		    SIGTERM); /* bench_die() must not leak it */
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
		bench_die("meta", "did not start (see meta.log)");
}

/* ListHosts over the whole inventory, page by page, as `metactl hosts`
 * (failed: `metactl hosts --failed`) does. */
static void
list_hosts(struct bench *b, int failed)
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
		bench_die("admin client", au_err_str(&err));
	t0 = bench_now_ns();
	while (more) {
		Au__V1__ListHostsRequest req = AU__V1__LIST_HOSTS_REQUEST__INIT;
		struct rpc_result        res = RPC_RESULT_INIT;
		Au__V1__ListHostsReply  *rep;

		req.has_failed = failed != 0;
		req.failed = failed != 0;
		req.after = after;
		au__v1__admin_service__list_hosts(
		    rpc_client_service(c, &au__v1__admin_service__descriptor),
		    &req, NULL, &res);
		if (res.status != AU_OK)
			bench_die("ListHosts", au_err_str(&res.err));
		rep = (Au__V1__ListHostsReply *)res.reply;
		hosts += rep->n_hosts;
		more = rep->more && rep->n_hosts > 0;
		if (rep->n_hosts > 0)
			snprintf(after, sizeof(after), "%s",
			    rep->hosts[rep->n_hosts - 1]->hostname);
		pages++;
		rpc_result_fini(&res);
	}
	printf("ListHosts%s: %zu of %d hosts in %.1f ms (%d "
	       "page%s, with connect and signature%s)\n",
	    failed ? " failed=true" : " (all)", hosts, b->nhosts,
	    (double)(bench_now_ns() - t0) / 1e6, pages, pages == 1 ? "" : "s",
	    failed ? "; target < 1000 ms" : "");
	rpc_client_free(c);
}

/* What one open connection per host costs meta: b->conns idle
 * mutual-TLS connections (each updater holds one between heartbeats),
 * meta's RSS before and after, and its CPU time per handshake, which is
 * what closing the connection after every heartbeat would cost instead. */
static void
idle_connections(struct bench *b)
{
	nng_socket *s;
	char        certs[128];
	double      rss0, rss1;
	uint64_t    c0, c1, t0;
	int         n;

	if (b->conns == 0)
		return;
	snprintf(certs, sizeof(certs), "%s/certs", b->dir);
	rss0 = meta_mb(b->pid, "VmRSS:");
	c0 = bench_proc_cpu_ticks(b->pid);
	t0 = bench_now_ns();
	s = bench_conns_open(certs, b->port, b->conns, &n);
	t0 = bench_now_ns() - t0;
	sleep(1);
	c1 = bench_proc_cpu_ticks(b->pid);
	rss1 = meta_mb(b->pid, "VmRSS:");
	printf("idle connections: %d of %d open in %.1f s; meta RSS %.1f -> "
	       "%.1f MB: %.1f KB per connection (%.1f GB at 100,000); meta "
	       "CPU %.2f ms per handshake\n",
	    n, b->conns, (double)t0 / 1e9, rss0, rss1,
	    n > 0 ? (rss1 - rss0) * 1024 / n : 0,
	    n > 0 ? (rss1 - rss0) * 100000 / n / 1024 : 0,
	    n > 0 ? (double)(c1 - c0) * 1000 / (double)sysconf(_SC_CLK_TCK) / n
	          : 0);
	bench_conns_close(s, b->conns);
}

static void
setup(struct bench *b)
{
	char certs[128];
	int  i;

	snprintf(b->dir, sizeof(b->dir), "/tmp/heartbeat_bench.XXXXXX");
	if (mkdtemp(b->dir) == NULL)
		bench_die("mkdtemp", NULL);
	snprintf(certs, sizeof(certs), "%s/certs", b->dir);
	bench_mkcerts(getenv("AU_SRC"), certs, NULL);
	sig_keypair(b->admin_pk, b->admin_sk);
	b->pk = calloc((size_t)b->nhosts, sizeof(*b->pk));
	if (b->pk == NULL)
		bench_die("keys", "out of memory");
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
	                "[-s seconds] [-r rounds] [-k idle_connections] "
	                "[-R]\n"
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
	b->conns = 2000;
	while ((ch = getopt(argc, argv, "n:c:s:r:k:R")) != -1) {
		if (ch == 'n')
			b->nhosts = atoi(optarg);
		else if (ch == 'c')
			b->inflight = atoi(optarg);
		else if (ch == 's')
			b->seconds = atof(optarg);
		else if (ch == 'r')
			b->rounds = atoi(optarg);
		else if (ch == 'k')
			b->conns = atoi(optarg);
		else if (ch == 'R')
			b->rollout = 1;
		else
			usage();
	}
	if (getenv("AU_BIN") == NULL || getenv("AU_SRC") == NULL ||
	    b->inflight < 1 || b->inflight > MAX_INFLIGHT || b->nhosts < 1 ||
	    b->seconds <= 0 || b->rounds < 1 || b->rounds > 16 || b->conns < 0)
		usage();
}

static void
report(const struct bench *b, const struct bench_result *a,
    const struct bench_result *h, const struct bench_result *p)
{
	printf("heartbeat_bench: %d hosts (3 agents, own key and token each), "
	       "%d in flight, %.1f s per run, median of %d rounds%s\n",
	    b->nhosts, b->inflight, b->seconds, b->rounds,
	    b->rollout ? ", an active rollout at 10%" : "");
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
	struct bench        b;
	struct bench_result ra[16], rh[16], rp[16], a, h, p;
	struct bench_echo   echo;
	uint8_t             echo_req[100], ping[REQ_MAX];
	uint16_t            echo_len = sizeof(echo_req), ping_len;
	char                certs[128];
	int                 r;

	memset(&b, 0, sizeof(b));
	options(&b, argc, argv);
	if (sig_init() != AU_OK)
		bench_die("sig_init", NULL);
	signal(SIGPIPE, SIG_IGN);
	setup(&b);
	start_meta(&b);
	printf("meta RSS after loading %d hosts: %.1f MB\n", b.nhosts,
	    meta_mb(b.pid, "VmRSS:"));
	snprintf(certs, sizeof(certs), "%s/certs", b.dir);
	bench_echo_start(&echo, certs, b.inflight);
	memset(echo_req, 'x', sizeof(echo_req));
	ping_len = (uint16_t)ping_request(&b, ping);
	for (r = 0; r < b.rounds; r++) {
		ra[r] = run_load(&b, echo.port, echo_req, &echo_len, 1, false);
		rh[r] = run_load(
		    &b, b.port, b.reqs, b.reqlen, (size_t)b.nhosts, true);
		rp[r] = run_load(&b, b.port, ping, &ping_len, 1, true);
	}
	a = bench_median_result(ra, b.rounds);
	h = bench_median_result(rh, b.rounds);
	p = bench_median_result(rp, b.rounds);
	report(&b, &a, &h, &p);
	list_hosts(&b, 1);
	list_hosts(&b, 0);
	idle_connections(&b);
	kill(b.pid, SIGTERM);
	waitpid(b.pid, NULL, 0);
	bench_echo_stop(&echo);
	if (getenv("BENCH_KEEP") != NULL)
		printf("kept %s\n", b.dir);
	else if (fsutil_remove_tree(b.dir, NULL) != AU_OK)
		fprintf(stderr, "heartbeat_bench: cannot remove %s\n", b.dir);
	free(b.pk);
	free(b.reqs);
	free(b.reqlen);
	return 0;
}
