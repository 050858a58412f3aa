/* SPDX-License-Identifier: MIT */
/*
 * tls_bench: what each TLS engine under nng costs, in one run: nng's
 * mbedtls 2.28 engine, our OpenSSL 3 engine (common/tls_openssl.c), and
 * the OpenSSL engine without SSL_MODE_RELEASE_BUFFERS (for its memory).
 * A process holds one engine, so every measurement runs in fresh
 * processes: a server (a rep socket on 127.0.0.1 with mutual TLS, ECDSA
 * P-256 certificates from certs/mkcerts.sh) and a client, both forked
 * from this process, which never starts nng itself.  Engines alternate
 * within each round and the median round is reported, so that load from
 * other processes hits them alike.  Per engine:
 *   handshakes   n idle connections opened one after another (TCP, TLS,
 *                SP negotiation each): server and client CPU per
 *                connection, and the server's RSS growth per connection;
 *   bytes        1 MiB replies to 4-byte requests on one connection for a
 *                few seconds: MiB/s and server CPU per MiB;
 *   small RPC    100-byte echoes, 16 in flight on one connection: server
 *                CPU per request and requests/s.
 * CPU is the scheduler's own per-thread accounting (schedstat), RSS is
 * VmRSS.  Ratios are against mbedtls in the same run.  Never run by
 * `make test`.
 *
 * usage: tls_bench [-n connections] [-r rounds] [-s seconds] [SOURCE_DIR]
 */
#include <sys/wait.h>

#include <dirent.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "fsutil.h"
#include "rpc.h"
#include "tls_openssl.h"

#define ENGINES 3
#define MAX_ROUNDS 15
#define SERVER_CTXS 32
#define BIG_REPLY (1024 * 1024)

struct engine {
	const char         *name;
	enum rpc_tls_engine engine;
	int                 release_buffers;
};

static const struct engine engines[ENGINES] = {
    {"mbedtls", RPC_TLS_MBEDTLS, 1},
    {"openssl", RPC_TLS_OPENSSL, 1},
    {"openssl, no RELEASE_BUFFERS", RPC_TLS_OPENSSL, 0},
};

/* One measurement of one engine. */
struct sample {
	double hs_server_ms, hs_client_ms, rss_kb_per_conn;
	double mib_s, server_ms_per_mib;
	double small_us, small_client_us, small_rps, small_p50_us;
};

struct srv_ctx {
	nng_ctx  ctx;
	nng_aio *aio;
	bool     sending;
	nng_msg *big; /* a copy is sent for each big request */
};

static uint64_t schedstat_ns(pid_t pid);
static void     srv_cb(void *arg);
static void     server_main(
        const struct engine *e, const char *dir, int wfd, int rfd);
static void client_main(const struct engine *e, const char *dir, int port,
    pid_t srv, int n, double secs, int wfd);
static void measure_handshakes(
    const char *dir, int port, pid_t srv, int n, struct sample *s);
static void measure_bytes(
    const char *dir, int port, pid_t srv, double secs, struct sample *s);
static void measure_small(
    const char *dir, int port, pid_t srv, double secs, struct sample *s);
static struct sample run_one(
    const struct engine *e, const char *dir, int n, double secs);
static double median_of(struct sample *s, int n, size_t off);
static void   report(struct sample all[ENGINES][MAX_ROUNDS], int rounds, int n);

/* CPU time of every thread of pid in nanoseconds. */
static uint64_t
schedstat_ns(pid_t pid)
{
	char           path[64];
	DIR           *d;
	struct dirent *de;
	uint64_t       sum = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char               p2[384];
		FILE              *f;
		unsigned long long v;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p2, sizeof(p2), "%s/%s/schedstat", path, de->d_name);
		if ((f = fopen(p2, "r")) == NULL)
			continue;
		if (fscanf(f, "%llu", &v) == 1)
			sum += v;
		fclose(f);
	}
	closedir(d);
	return sum;
}

/* The server's context loop: a 4-byte request asks for a reply of that
 * many bytes (1 MiB: the prepared one); anything else is echoed. */
static void
srv_cb(void *arg)
{
	struct srv_ctx *c = arg;
	nng_msg        *m;

	if (nng_aio_result(c->aio) != 0) {
		if (!c->sending)
			return; /* closed */
		nng_msg_free(nng_aio_get_msg(c->aio));
	} else if (!c->sending) {
		m = nng_aio_get_msg(c->aio);
		if (nng_msg_len(m) == 4 && nng_msg_dup(&m, c->big) == 0) {
			nng_msg_free(nng_aio_get_msg(c->aio));
		}
		nng_aio_set_msg(c->aio, m);
		c->sending = true;
		nng_ctx_send(c->ctx, c->aio);
		return;
	}
	c->sending = false;
	nng_ctx_recv(c->ctx, c->aio);
}

/* The server process: report the port on wfd, serve until rfd closes. */
static void
server_main(const struct engine *e, const char *dir, int wfd, int rfd)
{
	struct srv_ctx  ctxs[SERVER_CTXS];
	nng_tls_config *cfg;
	nng_socket      s;
	nng_listener    l;
	nng_msg        *big;
	int             rv, port;
	char            buf[16];

	tls_openssl_release_buffers(e->release_buffers);
	rpc_tls_engine_use(e->engine);
	cfg = bench_tls_config(dir, "meta", true);
	if ((rv = nng_rep0_open(&s)) != 0 ||
	    (rv = nng_listener_create(&l, s, "tls+tcp://127.0.0.1:0")) != 0 ||
	    (rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, cfg)) != 0 ||
	    (rv = nng_listener_start(l, 0)) != 0 ||
	    (rv = nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port)) !=
	        0 ||
	    (rv = nng_msg_alloc(&big, BIG_REPLY)) != 0)
		bench_die_nng("server", rv);
	memset(nng_msg_body(big), 0x5a, BIG_REPLY);
	for (int i = 0; i < SERVER_CTXS; i++) {
		ctxs[i].big = big;
		ctxs[i].sending = false;
		if ((rv = nng_ctx_open(&ctxs[i].ctx, s)) != 0 ||
		    (rv = nng_aio_alloc(&ctxs[i].aio, srv_cb, &ctxs[i])) != 0)
			bench_die_nng("server context", rv);
		nng_ctx_recv(ctxs[i].ctx, ctxs[i].aio);
	}
	if (write(wfd, &port, sizeof(port)) != (ssize_t)sizeof(port))
		bench_die("server", "cannot report the port");
	while (read(rfd, buf, sizeof(buf)) > 0)
		;
	_exit(0); /* nng's close is not what is measured */
}

/* Open n connections one after another; CPU and RSS per connection. */
static void
measure_handshakes(
    const char *dir, int port, pid_t srv, int n, struct sample *s)
{
	uint64_t    s0 = schedstat_ns(srv), c0 = schedstat_ns(getpid());
	long        r0 = bench_proc_kb(srv, "VmRSS:");
	int         connected;
	nng_socket *socks = bench_conns_open(dir, port, n, &connected);

	if (connected != n)
		bench_die("handshakes", "some connections failed");
	/* Let the server finish the last negotiation before sampling. */
	usleep(200000);
	s->hs_server_ms = (double)(schedstat_ns(srv) - s0) / 1e6 / n;
	s->hs_client_ms = (double)(schedstat_ns(getpid()) - c0) / 1e6 / n;
	s->rss_kb_per_conn =
	    (double)(bench_proc_kb(srv, "VmRSS:") - r0) / (double)n;
	bench_conns_close(socks, n);
}

/* 1 MiB replies on one connection for secs. */
static void
measure_bytes(
    const char *dir, int port, pid_t srv, double secs, struct sample *s)
{
	nng_tls_config *cfg = bench_tls_config(dir, "host", false);
	nng_socket      sock;
	nng_dialer      d;
	char            url[64];
	uint64_t        t0, s0, bytes = 0;
	int             rv;

	snprintf(url, sizeof(url), "tls+tcp://127.0.0.1:%d", port);
	if ((rv = nng_req0_open(&sock)) != 0 ||
	    (rv = nng_socket_set_size(
	         sock, NNG_OPT_RECVMAXSZ, 2 * BIG_REPLY)) ||
	    (rv = nng_dialer_create(&d, sock, url)) != 0 ||
	    (rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cfg)) != 0 ||
	    (rv = nng_dialer_start(d, 0)) != 0)
		bench_die_nng("bytes", rv);
	t0 = bench_now_ns();
	s0 = schedstat_ns(srv);
	while (bench_now_ns() - t0 < (uint64_t)(secs * 1e9)) {
		uint32_t ask = BIG_REPLY;
		void    *rep;
		size_t   len;

		if ((rv = nng_send(sock, &ask, sizeof(ask), 0)) != 0 ||
		    (rv = nng_recv(sock, &rep, &len, NNG_FLAG_ALLOC)) != 0)
			bench_die_nng("bytes", rv);
		bytes += len;
		nng_free(rep, len);
	}
	s->mib_s =
	    (double)bytes / (1 << 20) / ((double)(bench_now_ns() - t0) / 1e9);
	s->server_ms_per_mib = (double)(schedstat_ns(srv) - s0) / 1e6 /
	                       ((double)bytes / (1 << 20));
	(void)nng_close(sock);
	nng_tls_config_free(cfg);
}

/* 100-byte echoes, 16 in flight, for secs. */
static void
measure_small(
    const char *dir, int port, pid_t srv, double secs, struct sample *s)
{
	static uint8_t         req[100];
	static const uint16_t  len = sizeof(req);
	struct bench_load_conf c = {0};
	struct bench_result    r;
	uint64_t               s0, c0;

	memset(req, 0x42, sizeof(req));
	c.certdir = dir;
	c.port = port;
	c.reqs = req;
	c.reqlen = &len;
	c.nreqs = 1;
	c.inflight = getenv("TLS_BENCH_INFLIGHT")
	                 ? atoi(getenv("TLS_BENCH_INFLIGHT"))
	                 : 16;
	c.seconds = secs;
	s0 = schedstat_ns(srv);
	c0 = schedstat_ns(getpid());
	r = bench_load_run(&c);
	s->small_rps = r.rps;
	s->small_p50_us = r.p50_us;
	s->small_us = (double)(schedstat_ns(srv) - s0) / 1e3 /
	              (r.rps * secs > 0 ? r.rps * secs : 1);
	s->small_client_us = (double)(schedstat_ns(getpid()) - c0) / 1e3 /
	                     (r.rps * secs > 0 ? r.rps * secs : 1);
}

/* The client process: all three measurements, the sample on wfd. */
static void
client_main(const struct engine *e, const char *dir, int port, pid_t srv, int n,
    double secs, int wfd)
{
	struct sample s = {0};

	rpc_tls_engine_use(e->engine);
	measure_handshakes(dir, port, srv, n, &s);
	measure_bytes(dir, port, srv, secs, &s);
	measure_small(dir, port, srv, secs, &s);
	if (write(wfd, &s, sizeof(s)) != (ssize_t)sizeof(s))
		bench_die("client", "cannot report");
	_exit(0);
}

/* One measurement of e: a server process and a client process. */
static struct sample
run_one(const struct engine *e, const char *dir, int n, double secs)
{
	int           ctl[2], up[2], res[2], port, status;
	pid_t         srv, cli;
	struct sample s;

	if (pipe(ctl) != 0 || pipe(up) != 0 || pipe(res) != 0)
		bench_die("pipe", NULL);
	if ((srv = fork()) == 0) {
		close(ctl[1]);
		server_main(e, dir, up[1], ctl[0]);
	}
	close(ctl[0]);
	close(up[1]);
	if (srv < 0 || read(up[0], &port, sizeof(port)) != sizeof(port))
		bench_die("server", "did not start");
	if ((cli = fork()) == 0)
		client_main(e, dir, port, srv, n, secs, res[1]);
	close(res[1]);
	if (cli < 0 || read(res[0], &s, sizeof(s)) != sizeof(s))
		bench_die("client", "failed");
	close(ctl[1]);
	waitpid(cli, &status, 0);
	waitpid(srv, &status, 0);
	close(up[0]);
	close(res[0]);
	return s;
}

/* The median of the double at offset off over n samples. */
static double
median_of(struct sample *s, int n, size_t off)
{
	double v[MAX_ROUNDS];

	for (int i = 0; i < n; i++)
		memcpy(&v[i], (char *)&s[i] + off, sizeof(double));
	return bench_median_double(v, n);
}

static void
report(struct sample all[ENGINES][MAX_ROUNDS], int rounds, int n)
{
	static const struct {
		const char *what;
		size_t      off;
	} rows[] = {
	    {"server CPU per handshake, ms",
	        offsetof(struct sample, hs_server_ms)},
	    {"client CPU per handshake, ms",
	        offsetof(struct sample, hs_client_ms)},
	    {"server RSS per idle connection, KB",
	        offsetof(struct sample, rss_kb_per_conn)},
	    {"1 MiB replies, MiB/s", offsetof(struct sample, mib_s)},
	    {"server CPU per MiB, ms",
	        offsetof(struct sample, server_ms_per_mib)},
	    {"server CPU per 100-byte req/rep, us",
	        offsetof(struct sample, small_us)},
	    {"client CPU per 100-byte req/rep, us",
	        offsetof(struct sample, small_client_us)},
	    {"100-byte req/rep per s (16 in flight)",
	        offsetof(struct sample, small_rps)},
	    {"100-byte req/rep p50 latency, us",
	        offsetof(struct sample, small_p50_us)},
	};

	printf("tls_bench: %d connections, %d rounds, medians\n", n, rounds);
	printf("%-38s %10s %10s %8s %12s %8s\n", "", engines[0].name,
	    engines[1].name, "x mbed", "no RELBUF", "x mbed");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		double m[ENGINES];

		for (int e = 0; e < ENGINES; e++)
			m[e] = median_of(all[e], rounds, rows[i].off);
		printf("%-38s %10.2f %10.2f %7.2fx %12.2f %7.2fx\n",
		    rows[i].what, m[0], m[1], m[1] / m[0], m[2], m[2] / m[0]);
	}
}

int
main(int argc, char **argv)
{
	static struct sample all[ENGINES][MAX_ROUNDS];
	char                 src[1024], dir[] = "/tmp/au-tlsbench-XXXXXX";
	int                  ch, n = 300, rounds = 3;
	double               secs = 3;

	while ((ch = getopt(argc, argv, "n:r:s:")) != -1) {
		if (ch == 'n')
			n = atoi(optarg);
		else if (ch == 'r')
			rounds = atoi(optarg);
		else if (ch == 's')
			secs = atof(optarg);
		else {
			fprintf(stderr,
			    "usage: tls_bench [-n connections] "
			    "[-r rounds] [-s seconds] [SOURCE_DIR]\n");
			return 2;
		}
	}
	if (n < 1 || rounds < 1 || rounds > MAX_ROUNDS || secs <= 0)
		bench_die("arguments", "out of range");
	if (optind < argc)
		snprintf(src, sizeof(src), "%s", argv[optind]);
	else
		bench_src_dir(src, sizeof(src));
	if (mkdtemp(dir) == NULL)
		bench_die("mkdtemp", NULL);
	bench_mkcerts(src, dir, "host");
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < ENGINES; i++) {
			/* Alternate the order, so no engine always goes
			 * first after a pause. */
			int e = (r % 2) ? ENGINES - 1 - i : i;

			all[e][r] = run_one(&engines[e], dir, n, secs);
			fprintf(stderr, "round %d %s: %.2f ms/handshake\n",
			    r + 1, engines[e].name, all[e][r].hs_server_ms);
		}
	report(all, rounds, n);
	(void)fsutil_remove_tree(dir, NULL);
	return 0;
}
