/* SPDX-License-Identifier: MIT */
/*
 * cmd_version: metactl's "version" command group.  Not written yet.
 */
#include <stddef.h>

#include "ctl.h"

const struct ctl_cmd ctl_cmds_version[] = {
	{NULL, NULL, NULL, NULL, AU_ROLE_NONE, NULL},
};
