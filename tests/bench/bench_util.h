/* SPDX-License-Identifier: MIT */
/*
 * bench_util: what the benchmark programs share: the clock, dying with a
 * message, certificates from certs/mkcerts.sh, the mutual-TLS nng config,
 * the raw nng req/rep echo baseline, the aio load driver with its
 * latency statistics (p50/p99), medians over rounds and /proc sampling.
 *
 * nng.h is included here, outside rpc.c, only to measure the raw baseline
 * beside the real stack.  Every function that can fail prints
 * "<program>: what: why" and exits 1: benchmarks have no caller to
 * recover.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <sys/types.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sig.h"

/* The most contexts the echo server and the load driver run at once. */
#define BENCH_MAX_INFLIGHT 1024

/* n idle mutual-TLS connections to 127.0.0.1:port with certdir's host
 * certificate, each its own req socket, as each updater holds one: every
 * socket's dial (TCP, TLS handshake, SP negotiation) finishes before the
 * next starts.  Raises this process's open-files limit.  Returns the
 * sockets (*connected of them connected); close with
 * bench_conns_close(). */
nng_socket *bench_conns_open(
    const char *certdir, int port, int n, int *connected);

void bench_conns_close(nng_socket *s, int n);

/* Monotonic time in nanoseconds. */
uint64_t bench_now_ns(void);

/* Print "<program>: what: why" (why NULL: "failed") and exit(1). */
void bench_die(const char *what, const char *why);

/* bench_die with nng_strerror(rv). */
void bench_die_nng(const char *what, int rv);

/* The source tree holding certs/mkcerts.sh into out: $AU_SRC if set, else
 * the one this file was compiled from. */
void bench_src_dir(char *out, size_t sz);

/* Run src/certs/mkcerts.sh into dir for the client certs names
 * ("host", "host admin", NULL for the script's defaults); dies on
 * failure.  src NULL means bench_src_dir(). */
void bench_mkcerts(const char *src, const char *dir, const char *names);

/* Pack into buf (max bytes) a Request envelope for method with payload
 * (len bytes) and a session token for the host with pubkey, made with
 * token_key and valid for 10 hours; request_id 0 means none.  Returns the
 * envelope's length; dies when it does not fit. */
size_t bench_host_request(uint8_t *buf, size_t max, const char *method,
    const uint8_t *payload, size_t len,
    const uint8_t token_key[SIG_MAC_KEY_BYTES],
    const uint8_t pubkey[SIG_PUBKEY_BYTES], uint64_t request_id);

/* A mutual-TLS config from certdir/ca.crt and certdir/NAME.crt+key: server
 * mode or client mode checking the name "localhost".  Dies on failure;
 * the caller frees it with nng_tls_config_free (listeners and dialers
 * hold their own reference). */
nng_tls_config *bench_tls_config(
    const char *certdir, const char *name, bool server);

/* The raw baseline: a rep socket on 127.0.0.1 that sends back what it
 * gets, with ninflight contexts, over certdir's meta certificate. */
struct bench_echo_ctx;
struct bench_echo {
	nng_socket             sock;
	nng_tls_config        *cfg;
	struct bench_echo_ctx *ctxs;
	int                    n;
	int                    port;
};

/* Start e (its port in e->port); dies on failure.  Never blocks beyond
 * the listener's start. */
void bench_echo_start(struct bench_echo *e, const char *certdir, int n);

/* Close e's socket and free its contexts and config. */
void bench_echo_stop(struct bench_echo *e);

/* One load run: inflight req contexts on one client socket (certdir's
 * host certificate) to 127.0.0.1:port, each an aio loop sending the next
 * of nreqs requests (request i at reqs + i * stride, reqlen[i] bytes)
 * until seconds have passed.  With check, every reply must unpack as an
 * au.v1 Reply with status OK (or it counts as an error and its message
 * is printed).  With cpu_pid > 0, that process's CPU time per request is
 * measured from /proc over the run. */
struct bench_load_conf {
	const char     *certdir;
	int             port;
	const uint8_t  *reqs;
	const uint16_t *reqlen;
	size_t          nreqs;
	size_t          stride;
	bool            check;
	int             inflight;
	double          seconds;
	pid_t           cpu_pid;
};

struct bench_result {
	double rps, p50_us, p99_us, cpu_us;
	int    errors;
};

/* Run c (blocks for about c->seconds); errors are counted, reported on
 * stderr and in the result.  Dies when the client cannot be set up. */
struct bench_result bench_load_run(const struct bench_load_conf *c);

/* Sort r[0..n) by requests/s and return the median one. */
struct bench_result bench_median_result(struct bench_result *r, int n);

/* Sort v[0..n) and return the median. */
double bench_median_double(double *v, int n);

/* Sort lat[0..n) (nanoseconds) and give its p50 and p99 in microseconds
 * (0 when n is 0). */
void bench_latency(uint64_t *lat, size_t n, double *p50_us, double *p99_us);

/* A field of /proc/PID/status ("VmRSS:", "VmHWM:") in kB, -1 if absent. */
long bench_proc_kb(pid_t pid, const char *field);

/* pid's user + system CPU time in clock ticks, 0 if unknown. */
uint64_t bench_proc_cpu_ticks(pid_t pid);

#endif
