/* SPDX-License-Identifier: MIT */
/*
 * nngclose: nng_close() with an upper bound on the wait.
 *
 * nng 1.5.2's socket close can miss a wake-up and wait forever (upstream
 * nanomsg/nng #1543 and #1813, fixed after 1.5.2): the closing thread waits
 * for a pipe that the reaper never reaps.  Seen here about once in twenty
 * closes on a loaded machine, most often right after the peer dropped the
 * connection.  Everything in this project that closes an nng socket (the
 * rpc module, the tests and benchmarks that speak raw nng) closes it here.
 */
#ifndef AU_NNGCLOSE_H
#define AU_NNGCLOSE_H

#include <nng/nng.h>
#include <stdbool.h>

/* Default bound for nngclose(): long enough for a healthy close under
 * load (which takes milliseconds), short enough for an operator. */
#define NNGCLOSE_WAIT_MS 2000

/*
 * Close sock on a thread of its own and wait for it at most wait_ms.
 * Returns true when the close finished: every aio of the socket has
 * completed and nothing of nng refers to the caller's memory any more.
 * Returns false when it did not finish in time: the close goes on in the
 * background and arg, whatever the socket's callbacks may still touch,
 * stops being the caller's.  The caller must not use it again; when the
 * close finishes later, late(arg) runs on the closing thread to free it
 * (late may be NULL when there is nothing to free).  Until then arg stays
 * reachable from the closing thread, so leak checkers see it in use.
 */
bool nngclose(nng_socket sock, int wait_ms, void (*late)(void *), void *arg);

#endif
