/* SPDX-License-Identifier: MIT */
/*
 * test_tls_openssl: the OpenSSL engine's configuration operations through
 * nng's TLS API, with exact NNG_E* codes (the connection path is
 * test_rpc's: certificates, hostile frames, mixed pairs), and a TLS 1.3
 * pair, which clients offer only when asked (test_rpc runs TLS 1.2), after
 * which its configurations refuse changes.
 */
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au_test.h"
#include "fsutil.h"
#include "nngclose.h"
#include "rpc.h"

struct fixture {
	char dir[64];
	char ca[128], meta_crt[128], meta_key[128], host_crt[128],
	    host_key[128];
};

/* The PEM text of path (static buffer per slot). */
static const char *
pem(const char *path, int slot)
{
	static char *buf[4];
	size_t       len;

	free(buf[slot]);
	buf[slot] = NULL;
	assert_int_equal(
	    fsutil_read_file(path, 64 * 1024, &buf[slot], &len, NULL), AU_OK);
	return buf[slot];
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || au_test_mkdtemp(f->dir, sizeof(f->dir), "tlsossl") ||
	    au_test_mkcerts(f->dir, "host"))
		return -1;
	snprintf(f->ca, sizeof(f->ca), "%s/ca.crt", f->dir);
	snprintf(f->meta_crt, sizeof(f->meta_crt), "%s/meta.crt", f->dir);
	snprintf(f->meta_key, sizeof(f->meta_key), "%s/meta.key", f->dir);
	snprintf(f->host_crt, sizeof(f->host_crt), "%s/host.crt", f->dir);
	snprintf(f->host_key, sizeof(f->host_key), "%s/host.key", f->dir);
	if (rpc_tls_engine_use(RPC_TLS_OPENSSL) != RPC_TLS_OPENSSL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int             rv = au_test_rmtree(f->dir);

	free(f);
	return rv;
}

static void
test_engine_registered(void **state)
{
	(void)state;
	assert_string_equal(nng_tls_engine_name(), "openssl");
}

static void
test_versions(void **state)
{
	nng_tls_config *c;

	(void)state;
	assert_int_equal(nng_tls_config_alloc(&c, NNG_TLS_MODE_CLIENT), 0);
	assert_int_equal(
	    nng_tls_config_version(c, NNG_TLS_1_2, NNG_TLS_1_3), 0);
	assert_int_equal(
	    nng_tls_config_version(c, NNG_TLS_1_3, NNG_TLS_1_3), 0);
	/* 1.0-1.3 is narrowed to 1.2-1.3; nothing at or above 1.2 is
	 * refused; so is a reversed range. */
	assert_int_equal(
	    nng_tls_config_version(c, NNG_TLS_1_0, NNG_TLS_1_3), 0);
	assert_int_equal(
	    nng_tls_config_version(c, NNG_TLS_1_0, NNG_TLS_1_1), NNG_ENOTSUP);
	assert_int_equal(
	    nng_tls_config_version(c, NNG_TLS_1_3, NNG_TLS_1_2), NNG_ENOTSUP);
	nng_tls_config_free(c);
}

static void
test_bad_material(void **state)
{
	struct fixture *f = *state;
	nng_tls_config *c;

	assert_int_equal(nng_tls_config_alloc(&c, NNG_TLS_MODE_SERVER), 0);
	assert_int_equal(
	    nng_tls_config_ca_chain(c, "not a PEM", NULL), NNG_EINVAL);
	assert_int_equal(
	    nng_tls_config_ca_chain(c, pem(f->ca, 0), "no CRL"), NNG_EINVAL);
	assert_int_equal(nng_tls_config_ca_chain(c, pem(f->ca, 0), NULL), 0);
	/* meta's certificate with the host's key; a key in place of a
	 * certificate; then the right pair. */
	assert_int_equal(nng_tls_config_own_cert(
	                     c, pem(f->meta_crt, 1), pem(f->host_key, 2), NULL),
	    NNG_EINVAL);
	assert_int_equal(nng_tls_config_own_cert(
	                     c, pem(f->meta_key, 1), pem(f->meta_key, 2), NULL),
	    NNG_EINVAL);
	assert_int_equal(nng_tls_config_own_cert(
	                     c, pem(f->meta_crt, 1), pem(f->meta_key, 2), NULL),
	    0);
	assert_int_equal(
	    nng_tls_config_auth_mode(c, (nng_tls_auth_mode)9), NNG_EINVAL);
	nng_tls_config_free(c);
}

/* A TLS config of f's files for mode, limited to TLS 1.3. */
static nng_tls_config *
tls13(struct fixture *f, nng_tls_mode mode)
{
	nng_tls_config *c;
	bool            srv = mode == NNG_TLS_MODE_SERVER;

	assert_int_equal(nng_tls_config_alloc(&c, mode), 0);
	assert_int_equal(
	    nng_tls_config_version(c, NNG_TLS_1_3, NNG_TLS_1_3), 0);
	assert_int_equal(
	    nng_tls_config_auth_mode(c, NNG_TLS_AUTH_MODE_REQUIRED), 0);
	assert_int_equal(nng_tls_config_ca_chain(c, pem(f->ca, 0), NULL), 0);
	assert_int_equal(
	    nng_tls_config_own_cert(c, pem(srv ? f->meta_crt : f->host_crt, 1),
	        pem(srv ? f->meta_key : f->host_key, 2), NULL),
	    0);
	if (!srv)
		assert_int_equal(nng_tls_config_server_name(c, "localhost"), 0);
	return c;
}

/* TLS 1.3 on both ends: a request and its reply go through. */
static void
test_tls13_pair(void **state)
{
	struct fixture *f = *state;
	nng_tls_config *sc = tls13(f, NNG_TLS_MODE_SERVER),
	               *cc = tls13(f, NNG_TLS_MODE_CLIENT);
	nng_socket   rep, req;
	nng_listener l;
	nng_dialer   d;
	char         url[64], *got = NULL;
	size_t       len;
	int          port;

	assert_int_equal(nng_rep0_open(&rep), 0);
	assert_int_equal(nng_req0_open(&req), 0);
	assert_int_equal(
	    nng_listener_create(&l, rep, "tls+tcp://127.0.0.1:0"), 0);
	assert_int_equal(nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, sc), 0);
	assert_int_equal(nng_listener_start(l, 0), 0);
	assert_int_equal(
	    nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port), 0);
	snprintf(url, sizeof(url), "tls+tcp://127.0.0.1:%d", port);
	assert_int_equal(nng_dialer_create(&d, req, url), 0);
	assert_int_equal(nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cc), 0);
	assert_int_equal(nng_dialer_start(d, 0), 0);
	assert_int_equal(nng_socket_set_ms(rep, NNG_OPT_RECVTIMEO, 10000), 0);
	assert_int_equal(nng_socket_set_ms(req, NNG_OPT_RECVTIMEO, 10000), 0);
	assert_int_equal(nng_send(req, "hello", 6, 0), 0);
	assert_int_equal(nng_recv(rep, &got, &len, NNG_FLAG_ALLOC), 0);
	assert_string_equal(got, "hello");
	assert_int_equal(nng_send(rep, got, len, NNG_FLAG_ALLOC), 0);
	assert_int_equal(nng_recv(req, &got, &len, NNG_FLAG_ALLOC), 0);
	assert_string_equal(got, "hello");
	nng_free(got, len);
	/* nng 1.5.2 lets a used configuration change under its
	 * connections; the engine does not. */
	assert_int_equal(nng_tls_config_server_name(cc, "other"), NNG_EBUSY);
	assert_int_equal(
	    nng_tls_config_auth_mode(sc, NNG_TLS_AUTH_MODE_NONE), NNG_EBUSY);
	assert_int_equal(
	    nng_tls_config_version(cc, NNG_TLS_1_2, NNG_TLS_1_3), NNG_EBUSY);
	(void)nngclose(req, NNGCLOSE_WAIT_MS, NULL, NULL);
	(void)nngclose(rep, NNGCLOSE_WAIT_MS, NULL, NULL);
	nng_tls_config_free(sc);
	nng_tls_config_free(cc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_engine_registered),
	    cmocka_unit_test(test_versions),
	    cmocka_unit_test(test_bad_material),
	    cmocka_unit_test(test_tls13_pair),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
