/* SPDX-License-Identifier: MIT */
/*
 * metactl: the dispatcher.  Parses the global options (-c FILE, -j/--json,
 * -h/--help, -V/--version), finds the command in the one table gathered
 * from the command groups (ctl.h), answers `metactl --help` and
 * `metactl CMD --help` from it, and runs the command's handler with a
 * struct ctl whose connection to meta is made on first use.
 */
#ifndef AU_CTL_METACTL_H
#define AU_CTL_METACTL_H

/* Run metactl with argv (argv[0] is the program name).  Returns the exit
 * code: 0 success, 1 the operation failed, 2 a usage error.  Blocks for
 * as long as the command's calls to meta take (each bounded by the
 * configured timeout).  The caller has called sig_init(). */
int metactl_main(int argc, char **argv);

#endif
