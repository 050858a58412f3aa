/* SPDX-License-Identifier: MIT */
/*
 * rpc_priv: what the server (rpc.c) and the client (rpc_client.c) of the
 * rpc module share.  Not for use outside common/rpc*.c: it exposes nng.
 */
#ifndef AU_RPC_PRIV_H
#define AU_RPC_PRIV_H

#include <nng/nng.h>
#include <stdint.h>

#include "err.h"

/* Room above recv_max for NNG_OPT_RECVMAXSZ: nng counts its own header, and
 * a message of exactly recv_max must still arrive so that the server can
 * refuse it with a status instead of dropping the connection. */
#define RPC_RECV_HEADROOM 1024

/* The one place NNG_E* values become statuses (NNG_ETIMEDOUT ->
 * AU_DEADLINE_EXCEEDED, connection errors -> AU_UNAVAILABLE, NNG_ENOMEM and
 * NNG_EMSGSIZE -> AU_RESOURCE_EXHAUSTED, others AU_INTERNAL). */
enum au_status rpc_nng_status(int rv);

/* Monotonic clock in milliseconds. */
uint64_t rpc_mono_ms(void);

/* A TLS configuration for mode (NNG_TLS_MODE_SERVER or _CLIENT): peer
 * certificates required and checked against the CA in ca_file, our own
 * certificate and key (which must be mode 0600) from files, and the server
 * name a client expects (NULL for a server).  Blocks on file reads.
 * On AU_OK the caller frees *out with nng_tls_config_free(). */
enum au_status rpc_tls_setup(nng_tls_config **out, int mode, const char *ca,
    const char *cert, const char *key, const char *server_name,
    struct au_err *err);

/* nng pipe-event callback counting open connections in the atomic_int at
 * arg; logs the count. */
void rpc_pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg);

#endif
