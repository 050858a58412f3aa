/* SPDX-License-Identifier: MIT */
/*
 * tls_openssl: an nng TLS engine (nng/supplemental/tls/engine.h, version 1)
 * on OpenSSL 3.  nng 1.5.2 ships only an mbedtls engine, whose handshakes
 * cost about four times the CPU and whose bulk bytes run at a third of
 * the speed (BENCHMARKS.md).  Used by the rpc module only (rpc_common.c
 * registers it); nothing else includes this header.
 *
 * What the engine does: TLS 1.2 and 1.3 (a client offers 1.3 only when its
 * configuration's version range is set to include it: see cfg_init() for
 * why), own certificate chain and key, a
 * CA chain with optional CRLs, auth modes none/optional/required, server
 * name (SNI and DNS-name verification) on the client, I/O through
 * nng_tls_engine_send/recv (a BIO), close_notify on close.  Groups X25519
 * then P-256 with the server's preference, AES-GCM and ChaCha20-Poly1305
 * only, no renegotiation, no compression, no session tickets or cache,
 * SSL_MODE_RELEASE_BUFFERS.  A peer certificate that fails verification
 * (or a peer that refuses ours) is NNG_EPEERAUTH, other TLS failures
 * NNG_ECRYPTO; the verification reason is logged (log_warnx on a server,
 * log_debug on a client), naming the certificate's subject.
 */
#ifndef AU_TLS_OPENSSL_H
#define AU_TLS_OPENSSL_H

/* Register the engine with nng, which must have initialised already (nng
 * resets its engine to mbedtls when it initialises).  Configurations
 * allocated afterwards use OpenSSL; older ones keep their engine.
 * Returns 0 or an NNG_E* code.  Thread-safe; never blocks. */
int tls_openssl_register(void);

/* OpenSSL's version text ("OpenSSL 3.0.19 ..."); static storage. */
const char *tls_openssl_version(void);

/* Set whether new configurations ask OpenSSL to release a connection's
 * buffers while it is idle (SSL_MODE_RELEASE_BUFFERS, the default: on).
 * For the benchmark that measures what it saves.  Not thread-safe with
 * configuration allocation. */
void tls_openssl_release_buffers(int on);

#endif
