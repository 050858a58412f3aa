/* SPDX-License-Identifier: MIT */
/*
 * status: `updater status`, what an operator on the host wants to know
 * without meta: each agent's installed versions, the current one and its
 * status, and the last action with its result from the updater's state.
 * Blocks on file I/O and on `control status`.
 */
#ifndef AU_UPDATER_STATUS_H
#define AU_UPDATER_STATUS_H

#include <stdio.h>

#include "conf.h"
#include "err.h"

/* Print the status of every allowed agent under c->root to out. */
enum au_status status_print(
    const struct updater_conf *c, FILE *out, struct au_err *err);

#endif
