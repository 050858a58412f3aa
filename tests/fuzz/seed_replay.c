/* SPDX-License-Identifier: MIT */
/*
 * seed_replay: a main() for the libFuzzer harnesses outside fuzzing builds.
 * It feeds every file under the directories given as arguments to
 * LLVMFuzzerTestOneInput once, so that `make test` keeps each harness
 * compiling and replays its committed seeds (and any crash reproducer
 * added to them) under the sanitizers.  Exit 0 when every input ran, 1
 * when one could not be read, 2 usage.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Largest seed replayed; the committed seeds are a few hundred bytes. */
#define SEED_MAX (1024 * 1024)

static int
replay_file(const char *path, uint8_t *buf)
{
	FILE  *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "seed_replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	n = fread(buf, 1, SEED_MAX, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

static int
replay_dir(const char *dir, uint8_t *buf, int *count)
{
	DIR           *d = opendir(dir);
	struct dirent *e;
	char           path[4096];
	int            bad = 0;

	if (d == NULL) {
		fprintf(stderr, "seed_replay: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		bad |= replay_file(path, buf);
		(*count)++;
	}
	closedir(d);
	return bad;
}

int
main(int argc, char **argv)
{
	uint8_t *buf;
	int      bad = 0, count = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s SEED_DIR...\n", argv[0]);
		return 2;
	}
	if ((buf = malloc(SEED_MAX)) == NULL)
		return 1;
	for (int i = 1; i < argc; i++)
		bad |= replay_dir(argv[i], buf, &count);
	free(buf);
	printf("%s: %d seeds replayed%s\n", argv[0], count,
	    bad ? ", some unreadable" : "");
	return bad || count == 0;
}
