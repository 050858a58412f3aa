/* SPDX-License-Identifier: MIT */
/*
 * extract: every use of libarchive.  A release tarball is inspected by
 * metactl sign (entry count, unpacked size, an executable ./control at the
 * root, nothing extraction would refuse) and extracted by the updater into
 * a staging folder with libarchive's secure flags plus our own refusals:
 * absolute paths, "..", symlinks that point outside the tree, hard links,
 * devices, FIFOs, sockets, setuid/setgid bits; and limits on unpacked
 * bytes and entries (a tarball bomb stops at the limit).  The updater
 * extracts from the very file descriptor it verified.  Blocks on I/O.
 */
#ifndef AU_EXTRACT_H
#define AU_EXTRACT_H

#include <stdint.h>

#include "err.h"

struct extract_info {
	uint64_t entries;       /* archive entries */
	uint64_t unpacked_size; /* sum of regular file sizes */
	int      has_control;   /* ./control exists, regular, executable */
};

struct extract_limits {
	uint64_t max_entries;       /* 0: no limit */
	uint64_t max_unpacked_size; /* 0: no limit */
};

/* Read the tarball on fd from its start and fill *info.  A hostile entry
 * gives AU_INVALID_ARGUMENT naming it; a corrupt archive AU_DATA_LOSS.
 * Does not close fd. */
enum au_status extract_inspect(
    int fd, struct extract_info *info, struct au_err *err);

/* Extract the tarball on fd (read from its start) into the existing empty
 * directory dest, within limits.  Hostile entries: AU_INVALID_ARGUMENT;
 * limits exceeded: AU_OUT_OF_RANGE; corrupt: AU_DATA_LOSS; disk full:
 * AU_RESOURCE_EXHAUSTED.  On error dest may hold a partial tree that the
 * caller removes; nothing is ever written outside dest.  Does not close
 * fd. */
enum au_status extract_to(int fd, const char *dest,
    const struct extract_limits *limits, struct au_err *err);

#endif
