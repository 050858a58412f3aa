/* SPDX-License-Identifier: MIT */
/*
 * cmd_hosts: metactl's "hosts" command group.  Not written yet.
 */
#include <stddef.h>

#include "ctl.h"

const struct ctl_cmd ctl_cmds_hosts[] = {
	{NULL, NULL, NULL, NULL, AU_ROLE_NONE, NULL},
};
