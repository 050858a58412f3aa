/* SPDX-License-Identifier: MIT */
/*
 * metactl: the administration tool for meta.  Everything but the process
 * set-up lives in ctl_core (metactl.c and the cmd_*.c command groups).
 */
#include <signal.h>
#include <stdio.h>

#include "log.h"
#include "metactl.h"
#include "sig.h"

int
main(int argc, char **argv)
{
	/* A closed pipe (metactl hosts | head) is a write error, not a
	 * signal. */
	signal(SIGPIPE, SIG_IGN);
	log_init("metactl", 1, 0);
	if (sig_init() != AU_OK) {
		fputs("metactl: libsodium: cannot initialize\n", stderr);
		return 1;
	}
	return metactl_main(argc, argv);
}
