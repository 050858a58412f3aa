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
 * usage: rpc_bench [-s seconds] [-r rounds] [-e openssl|mbedtls]
 *     [SOURCE_DIR]  (-e: the TLS engine, default openssl; SOURCE_DIR or
 * $AU_SRC holds certs/mkcerts.sh)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au.pb-c.h"
#include "bench_util.h"
#include "fsutil.h"
#include "log.h"
#include "rpc.h"
#include "sig.h"

#define MAX_INFLIGHT 256

/* One run of len bytes at req to port, inflight at once. */
static struct bench_result
run_load(const char *dir, int port, const uint8_t *req, size_t len, bool check,
    int inflight, double seconds)
{
	uint16_t               reqlen = (uint16_t)len;
	struct bench_load_conf c = {
	    dir, port, req, &reqlen, 1, 0, check, inflight, seconds, 0};

	return bench_load_run(&c);
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
heartbeat_request(
    uint8_t *buf, size_t max, const uint8_t key[SIG_MAC_KEY_BYTES])
{
	Au__V1__HeartbeatRequest hb = AU__V1__HEARTBEAT_REQUEST__INIT;
	Au__V1__AgentStatus      a[3], *ap[3];
	uint8_t                  payload[512], pk[SIG_PUBKEY_BYTES];
	size_t                   len;
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
	sig_random(pk, sizeof(pk));
	len = au__v1__heartbeat_request__pack(&hb, payload);
	return bench_host_request(
	    buf, max, "au.v1.HostService/Heartbeat", payload, len, key, pk, 1);
}

int
main(int argc, char **argv)
{
	static const int            levels[] = {1, 16, 256};
	Au__V1__HostService_Service svc;
	ProtobufCService           *svcs[] = {&svc.base};
	struct rpc_server_conf      conf = {0};
	struct rpc_server          *srv;
	struct au_err               err = AU_ERR_INIT;
	struct bench_echo           echo;
	struct bench_result         a[3], b[3], ra[16], rb[16];
	char    dir[] = "/tmp/au-bench-XXXXXX", src[1024], p[3][300];
	uint8_t echo_req[100], hb[1024];
	size_t  hblen;
	double  seconds = 2;
	int     c, rounds = 3, bad = 0;
	enum rpc_tls_engine engine = RPC_TLS_DEFAULT;

	while ((c = getopt(argc, argv, "e:s:r:")) != -1)
		if (c == 's')
			seconds = atof(optarg);
		else if (c == 'r')
			rounds = atoi(optarg);
		else if (c == 'e')
			bad |= rpc_tls_engine_parse(optarg, &engine) != AU_OK;
		else
			bad = 1;
	if (bad || rounds < 1 || rounds > 16 || seconds <= 0) {
		fprintf(stderr,
		    "usage: rpc_bench [-s seconds] [-r rounds 1-16] "
		    "[-e openssl|mbedtls] [source-dir]\n");
		return 2;
	}
	rpc_tls_engine_use(engine);
	printf("rpc_bench: TLS engine %s\n",
	    rpc_tls_engine_name(rpc_tls_engine_active()));
	bench_src_dir(src, sizeof(src));
	if (optind < argc)
		snprintf(src, sizeof(src), "%s", argv[optind]);
	if (sig_init() != AU_OK || mkdtemp(dir) == NULL)
		return 1;
	au__v1__host_service__init(&svc, NULL);
	svc.heartbeat = hb_handler;
	log_init("rpc_bench", 1, 0);
	bench_mkcerts(src, dir, "host");
	bench_echo_start(&echo, dir, MAX_INFLIGHT);
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
	hblen = heartbeat_request(hb, sizeof(hb), conf.token_key);
	memset(echo_req, 'x', sizeof(echo_req));
	for (int i = 0; i < 3; i++) {
		for (int r = 0; r < rounds; r++) {
			ra[r] = run_load(dir, echo.port, echo_req,
			    sizeof(echo_req), false, levels[i], seconds);
			rb[r] = run_load(dir, rpc_server_port(srv), hb, hblen,
			    true, levels[i], seconds);
		}
		a[i] = bench_median_result(ra, rounds);
		b[i] = bench_median_result(rb, rounds);
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
	bench_echo_stop(&echo);
	return fsutil_remove_tree(dir, NULL) == AU_OK ? 0 : 1;
}
