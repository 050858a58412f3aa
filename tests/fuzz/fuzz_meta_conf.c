/* SPDX-License-Identifier: MIT */
/*
 * fuzz_meta_conf: libFuzzer harness for meta.conf parsing (build with
 * -DAU_FUZZ=ON and clang; seeds in tests/fuzz/seeds/meta_conf/).  Any
 * input must give AU_OK or AU_INVALID_ARGUMENT, never a crash; whatever
 * parses must print as a config that parses again and prints the same
 * (the -nv round trip).
 */
#include <sys/mman.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "meta.h" /* its conf.h: updater/ has one too */
#include "sig.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sig_init() != AU_OK)
		abort();
	return 0;
}

/* Write data to a memory file; returns its fd and its path in path. */
static int
memfile(const void *data, size_t size, char *path, size_t pathsz)
{
	int fd = memfd_create("meta.conf", 0);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, pathsz, "/proc/self/fd/%d", fd);
	return fd;
}

static char *
print(const struct meta_conf *c, size_t *len)
{
	char *buf = NULL;
	FILE *fp = open_memstream(&buf, len);

	if (fp == NULL)
		abort();
	meta_conf_print(c, fp);
	fclose(fp);
	return buf;
}

static void
round_trip(const struct meta_conf *c, FILE *diag)
{
	struct meta_conf *c2 = NULL;
	char             *p1, *p2, path[64];
	size_t            n1, n2;
	int               fd;

	p1 = print(c, &n1);
	fd = memfile(p1, n1, path, sizeof(path));
	if (meta_conf_load(path, diag, &c2, NULL) != AU_OK)
		abort(); /* printed config does not parse */
	p2 = print(c2, &n2);
	if (n1 != n2 || memcmp(p1, p2, n1) != 0)
		abort(); /* printed config does not print the same */
	close(fd);
	meta_conf_free(c2);
	free(p1);
	free(p2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct meta_conf *c = NULL;
	enum au_status    st;
	FILE             *diag = fopen("/dev/null", "w");
	char              path[64];
	int               fd;

	if (diag == NULL)
		abort();
	fd = memfile(data, size, path, sizeof(path));
	st = meta_conf_load(path, diag, &c, NULL);
	if (st != AU_OK && st != AU_INVALID_ARGUMENT)
		abort();
	if (st == AU_OK)
		round_trip(c, diag);
	meta_conf_free(c);
	close(fd);
	fclose(diag);
	return 0;
}
