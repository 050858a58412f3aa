/* SPDX-License-Identifier: MIT */
/*
 * authz: the method -> roles table.
 */
#include "authz.h"

#include <string.h>

#define ANY (AU_ROLE_HOST | AU_ROLE_RELEASE | AU_ROLE_ADMIN)
#define HOST AU_ROLE_HOST
#define UPLOAD (AU_ROLE_RELEASE | AU_ROLE_ADMIN)
#define ADMIN AU_ROLE_ADMIN

static const struct {
	const char *method;
	unsigned    roles;
} authz_table[] = {
    {"au.v1.HostService/Ping", ANY},
    {"au.v1.HostService/Heartbeat", HOST},
    {"au.v1.HostService/GetPackage", HOST},
    {"au.v1.HostService/Report", HOST},
    {"au.v1.AdminService/UploadPackage", UPLOAD},
    {"au.v1.AdminService/ListPackages", UPLOAD},
    {"au.v1.AdminService/SetVersion", ADMIN},
    {"au.v1.AdminService/Unset", ADMIN},
    {"au.v1.AdminService/ListRules", ADMIN},
    {"au.v1.AdminService/ListHosts", ADMIN},
    {"au.v1.AdminService/HostAction", ADMIN},
    {"au.v1.AdminService/Status", ADMIN},
    {"au.v1.AdminService/Audit", ADMIN},
    {"au.v1.AdminService/LogVerbose", ADMIN},
    {"au.v1.AdminService/HostShow", ADMIN},
    {"au.v1.AdminService/Retry", ADMIN},
    {"au.v1.AdminService/RolloutStart", ADMIN},
    {"au.v1.AdminService/RolloutStatus", ADMIN},
    {"au.v1.AdminService/RolloutControl", ADMIN},
};

unsigned
authz_roles(const char *method)
{
	size_t i;

	if (method == NULL)
		return 0;
	for (i = 0; i < sizeof(authz_table) / sizeof(authz_table[0]); i++)
		if (strcmp(authz_table[i].method, method) == 0)
			return authz_table[i].roles;
	return 0;
}

enum au_status
authz_allow(enum au_role role, const char *method)
{
	if (role == AU_ROLE_NONE || (authz_roles(method) & (unsigned)role) == 0)
		return AU_PERMISSION_DENIED;
	return AU_OK;
}

enum au_status
authz_authorize(
    void *arg, const struct au_principal *caller, const char *method)
{
	(void)arg;
	return authz_allow(caller->role, method);
}
