/* SPDX-License-Identifier: MIT */
/*
 * cmd_release: the release pipeline's commands (keygen, sign, verify,
 * upload, packages).  Not written yet.
 */
#include <stddef.h>

#include "ctl.h"

const struct ctl_cmd ctl_cmds_release[] = {
	{NULL, NULL, NULL, NULL, AU_ROLE_NONE, NULL},
};
