/* SPDX-License-Identifier: MIT */
/*
 * cmd_meta: metactl's "meta" command group.  Not written yet.
 */
#include <stddef.h>

#include "ctl.h"

const struct ctl_cmd ctl_cmds_meta[] = {
	{NULL, NULL, NULL, NULL, AU_ROLE_NONE, NULL},
};
