/* SPDX-License-Identifier: MIT */
/*
 * download_bench: 1 and N clients fetch a package through GetPackage over a
 * real rpc_server (mutual TLS, signed requests then session tokens) backed
 * by a real blobs store, beside raw nng TLS req/rep with 1 MiB replies
 * measured in the same run on the same certificates.  The servers run in
 * a child process so its RSS is the server's alone; the parent samples it
 * while the N clients download.
 *
 * usage: download_bench [-m MiB] [-n clients] [-e openssl|mbedtls]
 * (defaults 64, 8 and the default TLS engine; both processes use it)
 *
 * nng.h is included here, outside rpc.c, only to measure the raw baseline
 * (the TLS setup and the statistics are bench_util's).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au.pb-c.h"
#include "bench_util.h"
#include "blobs.h"
#include "fsutil.h"
#include "manifest.h"
#include "nngclose.h"
#include "rpc.h"
#include "sig.h"

#define MIB (1024 * 1024)
#define MAX_CLIENTS 64
#define MAX_ROUNDS 15

struct bench {
	enum rpc_tls_engine engine;
	char                dir[128];
	char                certs[160];
	char                pkg[160];
	uint64_t            size;
	int                 clients;
	int                 rounds;
	char               *manifest;
	size_t              manifest_len;
	uint8_t             release_pk[SIG_PUBKEY_BYTES];
	int                 rpc_port, raw_port[MAX_CLIENTS];
	pid_t               child;
};

/* The server side: a HostService whose GetPackage is blobs'. */
struct bench_host {
	Au__V1__HostService_Service svc;
	struct blobs               *blobs;
};

/* Raw baseline: one rep socket and thread per client, on its own port. */
struct raw_srv {
	nng_socket sock;
	pthread_t  th;
	int        port;
};

struct client_arg {
	struct bench *bn;
	int           raw;
	int           idx;
	uint64_t      bytes;
	int           failed;
	atomic_int    finished;
};

static void  make_package(struct bench *bn);
static void  path_in(char *out, size_t sz, const char *dir, const char *f);
static void *raw_thread(void *arg);
static void  raw_serve(const struct bench *bn, struct raw_srv *rs);
static void  host_get(Au__V1__HostService_Service *svc,
     const Au__V1__GetPackageRequest              *in,
     Au__V1__GetPackageReply_Closure closure, void *closure_data);
static enum au_status ident(void *arg, const uint8_t pk[SIG_PUBKEY_BYTES],
    struct au_principal *out, struct au_err *err);
static enum au_status authz(
    void *arg, const struct au_principal *caller, const char *method);
static void   child_main(struct bench *bn, int wfd, int rfd);
static void  *raw_client(void *arg);
static void  *rpc_client_thread(void *arg);
static double run(struct bench *bn, int raw, int n, long *peak_kb);

static void
path_in(char *out, size_t sz, const char *dir, const char *f)
{
	if (snprintf(out, sz, "%s/%s", dir, f) >= (int)sz)
		bench_die(dir, "path too long");
}

/* Write size random bytes to bn->pkg, hashing as we go, and sign it. */
static void
make_package(struct bench *bn)
{
	struct sig_hash_state *hs = sig_hash_new();
	struct manifest        m;
	uint8_t                sk[SIG_SECKEY_BYTES], *buf = malloc(MIB);
	uint64_t               off;
	FILE                  *fp;

	if (hs == NULL || buf == NULL || (fp = fopen(bn->pkg, "w")) == NULL)
		bench_die(bn->pkg, strerror(errno));
	for (off = 0; off < bn->size; off += MIB) {
		sig_random(buf, MIB);
		sig_hash_update(hs, buf, MIB);
		if (fwrite(buf, 1, MIB, fp) != MIB)
			bench_die(bn->pkg, strerror(errno));
	}
	fclose(fp);
	memset(&m, 0, sizeof(m));
	m.format = MANIFEST_FORMAT;
	snprintf(m.agent, sizeof(m.agent), "benchd");
	snprintf(m.version, sizeof(m.version), "1.0.0");
	m.size = bn->size;
	sig_hash_final(hs, m.hash);
	m.entries = 1;
	m.created = (uint64_t)time(NULL);
	sig_keypair(bn->release_pk, sk);
	if (manifest_sign(&m, sk, &bn->manifest, &bn->manifest_len, NULL) !=
	    AU_OK)
		bench_die("manifest_sign", "failed");
	sig_memzero(sk, sizeof(sk));
	sig_hash_free(hs);
	free(buf);
}

/* One raw server: a rep socket answering every request with 1 MiB
 * (allocated and filled per reply, as a real server packs each reply). */
static void *
raw_thread(void *arg)
{
	struct raw_srv *rs = arg;
	nng_msg        *msg;

	while (nng_recvmsg(rs->sock, &msg, 0) == 0) {
		nng_msg_free(msg);
		if (nng_msg_alloc(&msg, MIB) != 0)
			break;
		memset(nng_msg_body(msg), 0x5a, MIB);
		if (nng_sendmsg(rs->sock, msg, 0) != 0)
			nng_msg_free(msg);
	}
	return NULL;
}

static void
raw_serve(const struct bench *bn, struct raw_srv *rs)
{
	nng_tls_config *tls = bench_tls_config(bn->certs, "meta", true);
	nng_listener    lst;
	nng_sockaddr    sa;

	if (nng_rep0_open(&rs->sock) != 0 ||
	    nng_listener_create(&lst, rs->sock, "tls+tcp://127.0.0.1:0") != 0 ||
	    nng_listener_set_ptr(lst, NNG_OPT_TLS_CONFIG, tls) != 0 ||
	    nng_listener_start(lst, 0) != 0 ||
	    nng_listener_get_addr(lst, NNG_OPT_LOCADDR, &sa) != 0 ||
	    pthread_create(&rs->th, NULL, raw_thread, rs) != 0)
		bench_die("raw server", "listen failed");
	nng_tls_config_free(tls); /* the listener holds its own reference */
	rs->port = ntohs(sa.s_in.sa_port);
}

static void
host_get(Au__V1__HostService_Service *svc, const Au__V1__GetPackageRequest *in,
    Au__V1__GetPackageReply_Closure closure, void *closure_data)
{
	struct bench_host *h = (struct bench_host *)svc;

	blobs_handle_get(h->blobs, in, closure, closure_data);
}

static enum au_status
ident(void *arg, const uint8_t pk[SIG_PUBKEY_BYTES], struct au_principal *out,
    struct au_err *err)
{
	(void)arg;
	(void)err;
	memset(out, 0, sizeof(*out));
	out->role = AU_ROLE_HOST;
	memcpy(out->pubkey, pk, SIG_PUBKEY_BYTES);
	sig_key_id(pk, out->key_id);
	snprintf(out->name, sizeof(out->name), "%s", out->key_id);
	return AU_OK;
}

static enum au_status
authz(void *arg, const struct au_principal *caller, const char *method)
{
	(void)arg;
	(void)caller;
	(void)method;
	return AU_OK;
}

/* Upload the package from its file into blobs, serve GetPackage and the
 * raw baseline, report both ports on wfd, serve until rfd closes. */
static void
child_main(struct bench *bn, int wfd, int rfd)
{
	struct bench_host          host;
	struct blobs_conf          bc = {0};
	struct blobs_upload_result res;
	struct rpc_server_conf     sc = {0};
	struct rpc_server         *srv = NULL;
	struct raw_srv             rs[MAX_CLIENTS];
	struct au_err              err = AU_ERR_INIT;
	ProtobufCService          *svcs[1];
	char                       ca[256], crt[256], key[256], c;
	uint8_t                   *buf = malloc(MIB);
	int                        fd, ports[1 + MAX_CLIENTS], i;
	uint64_t                   off;
	ssize_t                    n;

	bc.datadir = bn->dir;
	bc.max_package_bytes = bn->size;
	bc.release_keys = (const uint8_t(*)[SIG_PUBKEY_BYTES])bn->release_pk;
	bc.nrelease_keys = 1;
	if (blobs_open(&bc, &host.blobs, &err) != AU_OK)
		bench_die("blobs_open", au_err_str(&err));
	if ((fd = open(bn->pkg, O_RDONLY)) < 0)
		bench_die(bn->pkg, strerror(errno));
	for (off = 0, i = 0; off < bn->size && i < 100000; i++) {
		n = pread(fd, buf, MIB, (off_t)off);
		if (n <= 0 ||
		    blobs_upload_chunk(host.blobs, "bench", bn->manifest,
		        bn->manifest_len, off, buf, (size_t)n,
		        off + (uint64_t)n == bn->size, &res, &err) != AU_OK)
			bench_die("upload", au_err_str(&err));
		off = res.received;
	}
	close(fd);
	free(buf);
	memset(&host.svc, 0, sizeof(host.svc));
	au__v1__host_service__init(&host.svc, NULL);
	host.svc.get_package = host_get;
	svcs[0] = &host.svc.base;
	path_in(ca, sizeof(ca), bn->certs, "ca.crt");
	path_in(crt, sizeof(crt), bn->certs, "meta.crt");
	path_in(key, sizeof(key), bn->certs, "meta.key");
	sc.url = "tls+tcp://127.0.0.1:0";
	sc.ca_file = ca;
	sc.cert_file = crt;
	sc.key_file = key;
	sig_random(sc.token_key, sizeof(sc.token_key));
	sc.identify = ident;
	sc.authorize = authz;
	sc.server_version = "bench";
	if (rpc_server_new(&sc, svcs, 1, &srv, &err) != AU_OK ||
	    rpc_server_start(srv, &err) != AU_OK)
		bench_die("rpc_server", au_err_str(&err));
	ports[0] = rpc_server_port(srv);
	for (i = 0; i < bn->clients; i++) {
		raw_serve(bn, &rs[i]);
		ports[1 + i] = rs[i].port;
	}
	if (write(wfd, ports, sizeof(ports)) != (ssize_t)sizeof(ports))
		bench_die("pipe", strerror(errno));
	while (read(rfd, &c, 1) > 0)
		;
	rpc_server_free(srv);
	for (i = 0; i < bn->clients; i++) {
		(void)nngclose(rs[i].sock, NNGCLOSE_WAIT_MS, NULL, NULL);
		pthread_join(rs[i].th, NULL);
	}
	blobs_close(host.blobs);
	_exit(0);
}

static void *
raw_client(void *arg)
{
	struct client_arg *ca = arg;
	nng_socket         s;
	nng_dialer         d;
	nng_msg           *msg;
	char               url[64];
	uint64_t           i, n = ca->bn->size / MIB;
	nng_tls_config    *tls;
	int                rv;

	snprintf(url, sizeof(url), "tls+tcp://127.0.0.1:%d",
	    ca->bn->raw_port[ca->idx]);
	tls = bench_tls_config(ca->bn->certs, "host", false);
	if (nng_req0_open(&s) != 0 ||
	    nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, 2 * MIB) != 0 ||
	    nng_socket_set_ms(s, NNG_OPT_RECONNMINT, 10) != 0 ||
	    nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 30000) != 0 ||
	    nng_dialer_create(&d, s, url) != 0 ||
	    nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, tls) != 0 ||
	    nng_dialer_set_size(d, NNG_OPT_RECVMAXSZ, 2 * MIB) != 0 ||
	    nng_dialer_start(d, 0) != 0) {
		nng_tls_config_free(tls);
		ca->failed = 1;
		atomic_store(&ca->finished, 1);
		return NULL;
	}
	nng_tls_config_free(tls); /* the dialer holds its own reference */
	for (i = 0; i < n; i++) {
		if ((rv = nng_msg_alloc(&msg, 16)) != 0 ||
		    (rv = nng_sendmsg(s, msg, 0)) != 0 ||
		    (rv = nng_recvmsg(s, &msg, 0)) != 0) {
			fprintf(stderr, "raw: %s\n", nng_strerror(rv));
			ca->failed = 1;
			break;
		}
		ca->bytes += nng_msg_len(msg);
		nng_msg_free(msg);
	}
	(void)nngclose(s, NNGCLOSE_WAIT_MS, NULL, NULL);
	atomic_store(&ca->finished, 1);
	return NULL;
}

static void *
rpc_client_thread(void *arg)
{
	struct client_arg        *ca = arg;
	struct rpc_client_conf    cc = {0};
	struct rpc_client        *c = NULL;
	Au__V1__GetPackageRequest req = AU__V1__GET_PACKAGE_REQUEST__INIT;
	Au__V1__GetPackageReply  *rep;
	uint8_t                   pk[SIG_PUBKEY_BYTES];
	char                      url[64], cafile[256], crt[256], key[256];
	int                       i;

	snprintf(url, sizeof(url), "tls+tcp://127.0.0.1:%d", ca->bn->rpc_port);
	path_in(cafile, sizeof(cafile), ca->bn->certs, "ca.crt");
	path_in(crt, sizeof(crt), ca->bn->certs, "host.crt");
	path_in(key, sizeof(key), ca->bn->certs, "host.key");
	cc.url = url;
	cc.ca_file = cafile;
	cc.cert_file = crt;
	cc.key_file = key;
	cc.server_name = "localhost";
	cc.timeout_ms = 30000;
	sig_keypair(pk, cc.identity_sk);
	if (rpc_client_new(&cc, &c, NULL) != AU_OK) {
		ca->failed = 1;
		atomic_store(&ca->finished, 1);
		return NULL;
	}
	req.agent = "benchd";
	req.version = "1.0.0";
	req.length = RPC_CHUNK_BYTES;
	for (i = 0; i < 100000 && req.offset < ca->bn->size; i++) {
		struct rpc_result res = RPC_RESULT_INIT;

		au__v1__host_service__get_package(
		    rpc_client_service(c, &au__v1__host_service__descriptor),
		    &req, NULL, &res);
		if (res.status != AU_OK) {
			fprintf(
			    stderr, "GetPackage: %s\n", au_err_str(&res.err));
			ca->failed = 1;
			rpc_result_fini(&res);
			break;
		}
		rep = (Au__V1__GetPackageReply *)res.reply;
		req.offset += rep->data.len;
		ca->bytes += rep->data.len;
		rpc_result_fini(&res);
	}
	rpc_client_free(c);
	atomic_store(&ca->finished, 1);
	return NULL;
}

/* n clients at once; returns MB/s (10^6 bytes) over all of them and the
 * server's largest sampled RSS. */
static double
run(struct bench *bn, int raw, int n, long *peak_kb)
{
	struct client_arg ca[MAX_CLIENTS];
	pthread_t         th[MAX_CLIENTS];
	uint64_t          total = 0, t0 = bench_now_ns();
	long              kb;
	int               i, done;

	memset(ca, 0, sizeof(ca));
	*peak_kb = 0;
	for (i = 0; i < n; i++) {
		ca[i].bn = bn;
		ca[i].raw = raw;
		ca[i].idx = i;
		pthread_create(
		    &th[i], NULL, raw ? raw_client : rpc_client_thread, &ca[i]);
	}
	/* Sample the server's RSS while the clients run (bounded). */
	for (done = 0; !done;) {
		if ((kb = bench_proc_kb(bn->child, "VmRSS:")) > *peak_kb)
			*peak_kb = kb;
		usleep(20000);
		done = 1;
		for (i = 0; i < n; i++)
			done &= atomic_load(&ca[i].finished);
		if (bench_now_ns() - t0 > 600000000000u)
			bench_die("run", "took more than 600 s");
	}
	for (i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		if (ca[i].failed)
			bench_die(raw ? "raw client" : "rpc client", "failed");
		total += ca[i].bytes;
	}
	return (double)total / 1e6 / ((double)(bench_now_ns() - t0) / 1e9);
}

/* Alternate GetPackage and raw rounds with n clients, so load from other
 * processes hits both alike; print the medians and the largest RSS. */
static void
report(struct bench *bn, int n)
{
	double rpc[MAX_ROUNDS], raw[MAX_ROUNDS], mrpc, mraw;
	long   kb, rss_rpc = 0, rss_raw = 0;
	int    r;

	for (r = 0; r < bn->rounds; r++) {
		rpc[r] = run(bn, 0, n, &kb);
		rss_rpc = kb > rss_rpc ? kb : rss_rpc;
		raw[r] = run(bn, 1, n, &kb);
		rss_raw = kb > rss_raw ? kb : rss_raw;
	}
	mrpc = bench_median_double(rpc, bn->rounds);
	mraw = bench_median_double(raw, bn->rounds);
	printf("%-8d %12.1f %16.1f %7.0f%% %9.1f (raw %.1f)\n", n, mraw, mrpc,
	    100.0 * mrpc / mraw, (double)rss_rpc / 1024.0,
	    (double)rss_raw / 1024.0);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct bench bn;
	int          opt, up[2], down[2], ports[1 + MAX_CLIENTS], i, n[2];

	memset(&bn, 0, sizeof(bn));
	bn.size = 64ULL * MIB;
	bn.clients = 8;
	bn.rounds = 5;
	while ((opt = getopt(argc, argv, "e:m:n:r:")) != -1) {
		if (opt == 'e' &&
		    rpc_tls_engine_parse(optarg, &bn.engine) != AU_OK)
			bench_die("-e", "openssl or mbedtls");
		else if (opt == 'e')
			continue;
		else if (opt == 'm')
			bn.size = strtoull(optarg, NULL, 10) * MIB;
		else if (opt == 'r')
			bn.rounds = atoi(optarg);
		else if (opt == 'n')
			bn.clients = atoi(optarg);
		else {
			fprintf(stderr,
			    "usage: download_bench [-m MiB] [-n clients] "
			    "[-r rounds] [-e openssl|mbedtls]\n");
			return 2;
		}
	}
	if (bn.size == 0 || bn.clients < 1 || bn.clients > MAX_CLIENTS ||
	    bn.rounds < 1 || bn.rounds > MAX_ROUNDS)
		bench_die("arguments", "-m >= 1, 1 <= -n <= 64, 1 <= -r <= 15");
	if (sig_init() != AU_OK)
		bench_die("sig_init", "failed");
	snprintf(bn.dir, sizeof(bn.dir), "/tmp/download_bench.XXXXXX");
	if (mkdtemp(bn.dir) == NULL)
		bench_die("mkdtemp", strerror(errno));
	path_in(bn.certs, sizeof(bn.certs), bn.dir, "certs");
	path_in(bn.pkg, sizeof(bn.pkg), bn.dir, "package.tar.gz");
	bench_mkcerts(NULL, bn.certs, "host");
	make_package(&bn);
	if (pipe(up) != 0 || pipe(down) != 0)
		bench_die("pipe", strerror(errno));
	if ((bn.child = fork()) < 0)
		bench_die("fork", strerror(errno));
	if (bn.child == 0) {
		close(up[0]);
		close(down[1]);
		rpc_tls_engine_use(bn.engine);
		child_main(&bn, up[1], down[0]);
	}
	rpc_tls_engine_use(bn.engine);
	close(up[1]);
	close(down[0]);
	if (read(up[0], ports, sizeof(ports)) != (ssize_t)sizeof(ports))
		bench_die("server", "did not start");
	bn.rpc_port = ports[0];
	for (i = 0; i < bn.clients; i++)
		bn.raw_port[i] = ports[1 + i];
	n[0] = 1;
	n[1] = bn.clients;
	printf("download_bench: %" PRIu64 " MiB package, 1 MiB chunks, "
	       "mutual TLS (%s) on 127.0.0.1, median of %d alternating "
	       "rounds\n",
	    bn.size / MIB, rpc_tls_engine_name(rpc_tls_engine_active()),
	    bn.rounds);
	printf("%-8s %12s %16s %8s %18s\n", "clients", "raw MB/s",
	    "GetPackage MB/s", "ratio", "server RSS MB");
	for (i = 0; i < 2; i++)
		report(&bn, n[i]);
	close(down[1]);
	waitpid(bn.child, NULL, 0);
	free(bn.manifest);
	fsutil_remove_tree(bn.dir, NULL);
	return 0;
}
