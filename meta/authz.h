/* SPDX-License-Identifier: MIT */
/*
 * authz: which roles may call which method.  One allow-list table, in the
 * manner of bgpd's restricted control socket: Ping for any role; the rest
 * of the host service for host keys; UploadPackage and ListPackages for
 * release and admin keys; every admin method for admin keys.  A method
 * missing from the table is refused.  Pure and thread-safe.
 */
#ifndef META_AUTHZ_H
#define META_AUTHZ_H

#include "rpc.h"
#include "status.h"

/* AU_OK when role may call method ("au.v1.AdminService/SetVersion"), else
 * AU_PERMISSION_DENIED. */
enum au_status authz_allow(enum au_role role, const char *method)
    __attribute__((warn_unused_result));

/* The roles (a mask of enum au_role) allowed to call method; 0 when the
 * method is unknown. */
unsigned authz_roles(const char *method);

/* An rpc_authorize_fn over authz_allow (arg unused). */
enum au_status authz_authorize(void *arg, const struct au_principal *caller,
    const char *method) __attribute__((warn_unused_result));

#endif
