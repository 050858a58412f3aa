/* SPDX-License-Identifier: MIT */
/*
 * test_authz: the method -> roles table, exact codes.
 */
#include "au_test.h"
#include "authz.h"

static void
test_ping_any(void **state)
{
	(void)state;
	assert_int_equal(
	    authz_allow(AU_ROLE_HOST, "au.v1.HostService/Ping"), AU_OK);
	assert_int_equal(
	    authz_allow(AU_ROLE_RELEASE, "au.v1.HostService/Ping"), AU_OK);
	assert_int_equal(
	    authz_allow(AU_ROLE_ADMIN, "au.v1.HostService/Ping"), AU_OK);
	assert_int_equal(authz_allow(AU_ROLE_NONE, "au.v1.HostService/Ping"),
	    AU_PERMISSION_DENIED);
}

static void
test_host_service(void **state)
{
	static const char *m[] = {"au.v1.HostService/Heartbeat",
	    "au.v1.HostService/GetPackage", "au.v1.HostService/Report"};
	size_t             i;

	(void)state;
	for (i = 0; i < 3; i++) {
		assert_int_equal(authz_allow(AU_ROLE_HOST, m[i]), AU_OK);
		assert_int_equal(
		    authz_allow(AU_ROLE_ADMIN, m[i]), AU_PERMISSION_DENIED);
		assert_int_equal(
		    authz_allow(AU_ROLE_RELEASE, m[i]), AU_PERMISSION_DENIED);
	}
}

static void
test_release(void **state)
{
	(void)state;
	assert_int_equal(
	    authz_allow(AU_ROLE_RELEASE, "au.v1.AdminService/UploadPackage"),
	    AU_OK);
	assert_int_equal(
	    authz_allow(AU_ROLE_RELEASE, "au.v1.AdminService/ListPackages"),
	    AU_OK);
	assert_int_equal(
	    authz_allow(AU_ROLE_RELEASE, "au.v1.AdminService/SetVersion"),
	    AU_PERMISSION_DENIED);
	assert_int_equal(
	    authz_allow(AU_ROLE_HOST, "au.v1.AdminService/UploadPackage"),
	    AU_PERMISSION_DENIED);
}

static void
test_admin(void **state)
{
	static const char *m[] = {"au.v1.AdminService/UploadPackage",
	    "au.v1.AdminService/SetVersion", "au.v1.AdminService/Unset",
	    "au.v1.AdminService/ListRules", "au.v1.AdminService/ListHosts",
	    "au.v1.AdminService/HostAction", "au.v1.AdminService/ListPackages",
	    "au.v1.AdminService/Status", "au.v1.AdminService/Audit",
	    "au.v1.AdminService/LogVerbose"};
	size_t             i;

	(void)state;
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		assert_int_equal(authz_allow(AU_ROLE_ADMIN, m[i]), AU_OK);
		assert_int_equal(
		    authz_allow(AU_ROLE_HOST, m[i]), AU_PERMISSION_DENIED);
	}
}

static void
test_unknown(void **state)
{
	struct au_principal p = {.role = AU_ROLE_ADMIN};

	(void)state;
	assert_int_equal(authz_allow(AU_ROLE_ADMIN, "au.v1.AdminService/Nope"),
	    AU_PERMISSION_DENIED);
	assert_int_equal(
	    authz_allow(AU_ROLE_ADMIN, NULL), AU_PERMISSION_DENIED);
	assert_int_equal(
	    authz_roles("au.v1.HostService/Heartbeat"), (unsigned)AU_ROLE_HOST);
	assert_int_equal(
	    authz_authorize(NULL, &p, "au.v1.AdminService/Audit"), AU_OK);
	p.role = AU_ROLE_HOST;
	assert_int_equal(authz_authorize(NULL, &p, "au.v1.AdminService/Audit"),
	    AU_PERMISSION_DENIED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ping_any),
	    cmocka_unit_test(test_host_service),
	    cmocka_unit_test(test_release),
	    cmocka_unit_test(test_admin),
	    cmocka_unit_test(test_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
