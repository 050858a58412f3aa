/* SPDX-License-Identifier: MIT */
/*
 * test_extract: real tarballs written here with libarchive's writer (only
 * to make the fixtures; the code under test is extract.c), extracted into
 * a fresh staging folder inside a fresh parent.  Each hostile tarball must
 * be refused with its exact status by both extract_to and extract_inspect,
 * and the parent must hold nothing but the staging folder afterwards.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au_test.h"
#include "extract.h"
#include "fsutil.h"

enum comp { COMP_NONE, COMP_GZIP, COMP_XZ, COMP_ZSTD };

struct ent {
	const char *path;
	mode_t      type; /* AE_IFREG, AE_IFDIR, AE_IFLNK, ... */
	mode_t      perm;
	const char *data;  /* file contents, or a link target */
	int64_t     zeros; /* a file of this many zero bytes instead */
	int         hardlink;
};

struct fix {
	char parent[64];
	char stage[96];
	char tarball[96];
};

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->parent, "/tmp/test_extract.XXXXXX");
	assert_non_null(mkdtemp(f->parent));
	snprintf(f->stage, sizeof(f->stage), "%s/stage", f->parent);
	assert_int_equal(mkdir(f->stage, 0700), 0);
	/* The tarball lives beside the parent so that the parent's listing
	 * shows only what extraction wrote. */
	snprintf(f->tarball, sizeof(f->tarball), "%s.tar", f->parent);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	assert_int_equal(fsutil_remove_tree(f->parent, NULL), AU_OK);
	unlink(f->tarball);
	free(f);
	return 0;
}

static void
add_filter(struct archive *a, enum comp c)
{
	switch (c) {
	case COMP_NONE:
		break;
	case COMP_GZIP:
		assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
		break;
	case COMP_XZ:
		assert_int_equal(archive_write_add_filter_xz(a), ARCHIVE_OK);
		break;
	case COMP_ZSTD:
		assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
		break;
	}
}

static void
write_zeros(struct archive *a, int64_t n)
{
	static const char zero[65536];

	while (n > 0) {
		size_t k = n > (int64_t)sizeof(zero) ? sizeof(zero) : (size_t)n;

		assert_int_equal(archive_write_data(a, zero, k), (ssize_t)k);
		n -= (int64_t)k;
	}
}

static void
write_ent(struct archive *a, const struct ent *x)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, x->path);
	archive_entry_set_filetype(e, x->type);
	archive_entry_set_perm(e, x->perm);
	archive_entry_set_mtime(e, 1767225600, 0);
	if (x->hardlink)
		archive_entry_set_hardlink(e, x->data);
	else if (x->type == AE_IFLNK)
		archive_entry_set_symlink(e, x->data);
	if (x->type == AE_IFCHR || x->type == AE_IFBLK)
		archive_entry_set_rdev(e, makedev(1, 3));
	if (x->type == AE_IFREG && !x->hardlink)
		archive_entry_set_size(
		    e, x->zeros ? x->zeros
		                : (int64_t)strlen(x->data ? x->data : ""));
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	if (x->type == AE_IFREG && !x->hardlink) {
		if (x->zeros)
			write_zeros(a, x->zeros);
		else if (x->data != NULL && x->data[0] != '\0')
			assert_int_equal(
			    archive_write_data(a, x->data, strlen(x->data)),
			    (ssize_t)strlen(x->data));
	}
	archive_entry_free(e);
}

/* Write the entries as a tarball; return a read-only fd on it. */
static int
make_tar(const struct fix *f, enum comp c, const struct ent *ents, size_t n)
{
	struct archive *a = archive_write_new();
	size_t          i;
	int             fd;

	assert_non_null(a);
	assert_int_equal(
	    archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	add_filter(a, c);
	if (c == COMP_ZSTD || c == COMP_GZIP)
		archive_write_set_filter_option(
		    a, NULL, "compression-level", "1");
	assert_int_equal(
	    archive_write_open_filename(a, f->tarball), ARCHIVE_OK);
	for (i = 0; i < n; i++)
		write_ent(a, &ents[i]);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	fd = open(f->tarball, O_RDONLY);
	assert_true(fd >= 0);
	return fd;
}

/* The parent holds only "stage": nothing escaped. */
static void
assert_nothing_outside(const struct fix *f)
{
	DIR           *d = opendir(f->parent);
	struct dirent *de;
	int            n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (strcmp(de->d_name, "stage") != 0)
			fail_msg("escaped: %s/%s", f->parent, de->d_name);
		n++;
	}
	closedir(d);
	assert_int_equal(n, 1);
}

/* Bytes of regular files under dir (not following symlinks). */
static uint64_t
tree_bytes(const char *dir)
{
	DIR           *d = opendir(dir);
	struct dirent *de;
	struct stat    sb;
	char           p[PATH_MAX];
	uint64_t       n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		assert_int_equal(lstat(p, &sb), 0);
		if (S_ISDIR(sb.st_mode))
			n += tree_bytes(p);
		else if (S_ISREG(sb.st_mode))
			n += (uint64_t)sb.st_size;
	}
	closedir(d);
	return n;
}

static const struct ent good_ents[] = {
    {"./", AE_IFDIR, 0755, NULL, 0, 0},
    {"./control", AE_IFREG, 0755, "#!/bin/sh\necho started\n", 0, 0},
    {"./bin/", AE_IFDIR, 0755, NULL, 0, 0},
    {"./bin/tool", AE_IFREG, 0644, "tool data\n", 0, 0},
    {"./lib", AE_IFDIR, 0750, NULL, 0, 0},
    {"./lib/tool", AE_IFLNK, 0777, "../bin/tool", 0, 0},
    {"./self", AE_IFLNK, 0777, ".", 0, 0},
};
#define GOOD_N (sizeof(good_ents) / sizeof(good_ents[0]))
#define GOOD_BYTES (23 + 10)

static void
check_good_tree(const struct fix *f)
{
	char        p[PATH_MAX], link[64];
	struct stat sb;
	ssize_t     n;

	snprintf(p, sizeof(p), "%s/control", f->stage);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0755);
	assert_int_equal(sb.st_mtime, 1767225600);
	snprintf(p, sizeof(p), "%s/lib/tool", f->stage);
	n = readlink(p, link, sizeof(link) - 1);
	assert_int_equal(n, strlen("../bin/tool"));
	link[n] = '\0';
	assert_string_equal(link, "../bin/tool");
	snprintf(p, sizeof(p), "%s/lib", f->stage);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0750);
	assert_int_equal(tree_bytes(f->stage), GOOD_BYTES);
	assert_nothing_outside(f);
}

static void
run_good(void **state, enum comp c)
{
	struct fix           *f = *state;
	struct extract_info   info;
	struct extract_limits lim = {GOOD_N, GOOD_BYTES};
	int                   fd = make_tar(f, c, good_ents, GOOD_N);

	assert_int_equal(extract_inspect(fd, &info, NULL), AU_OK);
	assert_int_equal(info.entries, GOOD_N);
	assert_int_equal(info.unpacked_size, GOOD_BYTES);
	assert_int_equal(info.has_control, 1);
	/* Exactly at the limits is fine; the fd is rewound by extract. */
	assert_int_equal(extract_to(fd, f->stage, &lim, NULL), AU_OK);
	check_good_tree(f);
	close(fd);
}

static void
test_good_plain(void **state)
{
	run_good(state, COMP_NONE);
}

static void
test_good_gzip(void **state)
{
	run_good(state, COMP_GZIP);
}

static void
test_good_xz(void **state)
{
	run_good(state, COMP_XZ);
}

static void
test_good_zstd(void **state)
{
	run_good(state, COMP_ZSTD);
}

/* The committed KAT tarball (made with GNU tar) is what its manifest says. */
static void
test_kat_tarball(void **state)
{
	struct fix         *f = *state;
	struct extract_info info;
	char                path[PATH_MAX];
	const char         *src = getenv("AU_SRC");
	const char         *tail = "/tests/unit/common/test_extract.c";
	int                 fd;

	if (src != NULL)
		snprintf(
		    path, sizeof(path), "%s/tests/kat/nodex-1.4.2.tar.gz", src);
	else
		snprintf(path, sizeof(path),
		    "%.*s/tests/kat/nodex-1.4.2.tar.gz",
		    (int)(strlen(__FILE__) - strlen(tail)), __FILE__);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(extract_inspect(fd, &info, NULL), AU_OK);
	assert_int_equal(info.entries, 4);
	assert_int_equal(info.unpacked_size, 263);
	assert_int_equal(info.has_control, 1);
	assert_int_equal(extract_to(fd, f->stage, NULL, NULL), AU_OK);
	assert_nothing_outside(f);
	close(fd);
}

static void
test_no_control(void **state)
{
	static const struct ent noexec[] = {
	    {"control", AE_IFREG, 0644, "x", 0, 0},
	};
	static const struct ent nested[] = {
	    {"sub/control", AE_IFREG, 0755, "x", 0, 0},
	};
	static const struct ent islink[] = {
	    {"bin", AE_IFREG, 0755, "x", 0, 0},
	    {"control", AE_IFLNK, 0777, "bin", 0, 0},
	};
	struct fix         *f = *state;
	struct extract_info info;
	int                 fd;

	fd = make_tar(f, COMP_GZIP, noexec, 1);
	assert_int_equal(extract_inspect(fd, &info, NULL), AU_OK);
	assert_int_equal(info.has_control, 0);
	close(fd);
	fd = make_tar(f, COMP_GZIP, nested, 1);
	assert_int_equal(extract_inspect(fd, &info, NULL), AU_OK);
	assert_int_equal(info.has_control, 0);
	close(fd);
	fd = make_tar(f, COMP_GZIP, islink, 2);
	assert_int_equal(extract_inspect(fd, &info, NULL), AU_OK);
	assert_int_equal(info.has_control, 0);
	close(fd);
}

/* Refused by both inspect and extract, with status want, nothing outside. */
static void
refuse(struct fix *f, const struct ent *ents, size_t n,
    const struct extract_limits *lim, enum au_status want)
{
	struct extract_info info;
	struct au_err       err = AU_ERR_INIT;
	int                 fd = make_tar(f, COMP_GZIP, ents, n);

	if (lim == NULL)
		assert_int_equal(extract_inspect(fd, &info, NULL), want);
	assert_int_equal(extract_to(fd, f->stage, lim, &err), want);
	assert_int_equal(err.code, want);
	assert_true(strncmp(err.msg, "extract: ", 9) == 0);
	assert_nothing_outside(f);
	close(fd);
}

static void
test_dotdot(void **state)
{
	static const struct ent e1[] = {
	    {"../escape", AE_IFREG, 0644, "x", 0, 0}};
	static const struct ent e2[] = {
	    {"a/", AE_IFDIR, 0755, NULL, 0, 0},
	    {"a/../../escape", AE_IFREG, 0644, "x", 0, 0},
	};
	static const struct ent e3[] = {{"./..", AE_IFDIR, 0755, NULL, 0, 0}};

	refuse(*state, e1, 1, NULL, AU_INVALID_ARGUMENT);
	refuse(*state, e2, 2, NULL, AU_INVALID_ARGUMENT);
	refuse(*state, e3, 1, NULL, AU_INVALID_ARGUMENT);
}

static void
test_absolute(void **state)
{
	struct fix *f = *state;
	char        p[PATH_MAX];
	struct ent  e[] = {{p, AE_IFREG, 0644, "x", 0, 0}};

	snprintf(p, sizeof(p), "%s/abs-escape", f->parent);
	refuse(f, e, 1, NULL, AU_INVALID_ARGUMENT);
}

/* A symlink to / and then a file through it. */
static void
test_symlink_root_then_file(void **state)
{
	struct fix *f = *state;
	char        p[PATH_MAX];
	struct ent  e[] = {
	     {"l", AE_IFLNK, 0777, "/", 0, 0},
	     {p, AE_IFREG, 0644, "x", 0, 0},
        };

	snprintf(p, sizeof(p), "l%s/escape", f->parent);
	refuse(f, e, 2, NULL, AU_INVALID_ARGUMENT);
}

static void
test_symlink_outside(void **state)
{
	static const struct ent up[] = {{"l", AE_IFLNK, 0777, "..", 0, 0}};
	static const struct ent deep[] = {
	    {"d/l", AE_IFLNK, 0777, "../../x", 0, 0},
	};
	static const struct ent downup[] = {
	    {"s", AE_IFLNK, 0777, ".", 0, 0},
	    {"l", AE_IFLNK, 0777, "s/..", 0, 0},
	};
	static const struct ent empty[] = {{"l", AE_IFLNK, 0777, "", 0, 0}};

	refuse(*state, up, 1, NULL, AU_INVALID_ARGUMENT);
	refuse(*state, deep, 1, NULL, AU_INVALID_ARGUMENT);
	refuse(*state, downup, 2, NULL, AU_INVALID_ARGUMENT);
	refuse(*state, empty, 1, NULL, AU_INVALID_ARGUMENT);
}

/* A symlink inside the tree, then a file written through it. */
static void
test_through_symlink(void **state)
{
	static const struct ent e[] = {
	    {"sub/", AE_IFDIR, 0755, NULL, 0, 0},
	    {"l", AE_IFLNK, 0777, "sub", 0, 0},
	    {"l/x", AE_IFREG, 0644, "x", 0, 0},
	};
	struct fix *f = *state;
	char        p[PATH_MAX];
	struct stat sb;

	refuse(f, e, 3, NULL, AU_INVALID_ARGUMENT);
	snprintf(p, sizeof(p), "%s/sub/x", f->stage);
	assert_int_equal(lstat(p, &sb), -1);
}

static void
test_hardlinks(void **state)
{
	static const struct ent passwd[] = {
	    {"h", AE_IFREG, 0644, "/etc/passwd", 0, 1},
	};
	static const struct ent inside[] = {
	    {"a", AE_IFREG, 0644, "x", 0, 0},
	    {"b", AE_IFREG, 0644, "a", 0, 1},
	};

	refuse(*state, passwd, 1, NULL, AU_INVALID_ARGUMENT);
	refuse(*state, inside, 2, NULL, AU_INVALID_ARGUMENT);
}

static void
test_special_files(void **state)
{
	static const struct ent chr[] = {{"null", AE_IFCHR, 0666, NULL, 0, 0}};
	static const struct ent blk[] = {{"sda", AE_IFBLK, 0660, NULL, 0, 0}};
	static const struct ent fifo[] = {{"p", AE_IFIFO, 0644, NULL, 0, 0}};

	refuse(*state, chr, 1, NULL, AU_INVALID_ARGUMENT);
	refuse(*state, blk, 1, NULL, AU_INVALID_ARGUMENT);
	refuse(*state, fifo, 1, NULL, AU_INVALID_ARGUMENT);
}

static void
test_mode_bits(void **state)
{
	static const struct ent suid[] = {{"s", AE_IFREG, 04755, "x", 0, 0}};
	static const struct ent sgid[] = {{"d/", AE_IFDIR, 02755, NULL, 0, 0}};
	static const struct ent sticky[] = {
	    {"t/", AE_IFDIR, 01777, NULL, 0, 0}};

	refuse(*state, suid, 1, NULL, AU_INVALID_ARGUMENT);
	refuse(*state, sgid, 1, NULL, AU_INVALID_ARGUMENT);
	refuse(*state, sticky, 1, NULL, AU_INVALID_ARGUMENT);
}

/* 1 GiB of zeros, compressed: refused at its header, nothing written. */
static void
test_bomb(void **state)
{
	static const struct ent bomb[] = {
	    {"control", AE_IFREG, 0755, "x", 0, 0},
	    {"zeros", AE_IFREG, 0644, NULL, (int64_t)1 << 30, 0},
	};
	struct fix           *f = *state;
	struct extract_limits lim = {100, 1 << 20};
	struct stat           sb;
	int                   fd = make_tar(f, COMP_ZSTD, bomb, 2);

	assert_int_equal(fstat(fd, &sb), 0);
	assert_true(sb.st_size < (1 << 20));
	assert_int_equal(extract_to(fd, f->stage, &lim, NULL), AU_OUT_OF_RANGE);
	assert_true(tree_bytes(f->stage) <= 1);
	assert_nothing_outside(f);
	close(fd);
}

/* Many files, each under the limit, together over it. */
static void
test_many_small(void **state)
{
	struct fix           *f = *state;
	struct ent            e[40];
	char                  names[40][16];
	struct extract_limits lim = {0, 1 << 20};
	size_t                i;
	int                   fd;

	for (i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "f%zu", i);
		e[i] =
		    (struct ent){names[i], AE_IFREG, 0644, NULL, 64 * 1024, 0};
	}
	fd = make_tar(f, COMP_GZIP, e, 40);
	assert_int_equal(extract_to(fd, f->stage, &lim, NULL), AU_OUT_OF_RANGE);
	assert_true(tree_bytes(f->stage) <= (1 << 20));
	assert_nothing_outside(f);
	close(fd);
}

static void
test_entry_limit(void **state)
{
	static const struct ent e[] = {
	    {"a", AE_IFREG, 0644, "1", 0, 0},
	    {"b", AE_IFREG, 0644, "2", 0, 0},
	    {"c", AE_IFREG, 0644, "3", 0, 0},
	};
	struct extract_limits lim = {2, 0};

	refuse(*state, e, 3, &lim, AU_OUT_OF_RANGE);
}

/* A good gzip tarball with enough random data to corrupt in the middle. */
static void
make_random_tar(struct fix *f, char **buf, size_t *len)
{
	static char rnd[256 * 1024];
	struct ent  e[] = {
	     {"control", AE_IFREG, 0755, "x", 0, 0},
	     {"blob", AE_IFREG, 0644, rnd, 0, 0},
        };
	size_t i;
	int    fd;

	srand(7);
	for (i = 0; i + 1 < sizeof(rnd); i++)
		rnd[i] = (char)('a' + rand() % 26);
	rnd[sizeof(rnd) - 1] = '\0';
	close(make_tar(f, COMP_GZIP, e, 2));
	assert_int_equal(
	    fsutil_read_file(f->tarball, 1 << 22, buf, len, NULL), AU_OK);
	fd = open(f->tarball, O_RDONLY);
	assert_int_equal(
	    extract_inspect(fd, &(struct extract_info){0}, NULL), AU_OK);
	close(fd);
}

static void
refuse_bytes(struct fix *f, const char *buf, size_t len, enum au_status want)
{
	struct extract_info info;
	int                 fd;

	assert_int_equal(
	    fsutil_write_atomic(f->tarball, buf, len, 0600, NULL), AU_OK);
	fd = open(f->tarball, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(extract_inspect(fd, &info, NULL), want);
	assert_int_equal(extract_to(fd, f->stage, NULL, NULL), want);
	assert_nothing_outside(f);
	close(fd);
}

static void
test_truncated(void **state)
{
	struct fix *f = *state;
	char       *buf = NULL;
	size_t      len = 0;

	make_random_tar(f, &buf, &len);
	refuse_bytes(f, buf, len / 2, AU_DATA_LOSS);
	refuse_bytes(f, buf, 100, AU_DATA_LOSS);
	free(buf);
}

/*
 * A flipped bit in a gzip header, in the deflate block headers or in a tar
 * header is DATA_LOSS.  libarchive 3.6.2 does not check gzip's CRC, so a
 * flip inside compressed file data may go unnoticed here: that is what the
 * manifest's hash, checked before extraction, is for.  A sweep over the
 * whole file checks that no flip escapes or crashes.
 */
static void
test_bit_flipped(void **state)
{
	struct fix         *f = *state;
	struct extract_info info;
	char               *buf = NULL;
	size_t              len = 0, i;
	enum au_status      st;
	int                 fd;

	make_random_tar(f, &buf, &len);
	buf[20] ^= 0x10;
	refuse_bytes(f, buf, len, AU_DATA_LOSS);
	buf[20] ^= 0x10;
	for (i = 0; i < 64; i++) {
		buf[i * (len / 64)] ^= 0x04;
		assert_int_equal(
		    fsutil_write_atomic(f->tarball, buf, len, 0600, NULL),
		    AU_OK);
		buf[i * (len / 64)] ^= 0x04;
		fd = open(f->tarball, O_RDONLY);
		st = extract_inspect(fd, &info, NULL);
		if (st != AU_OK && st != AU_DATA_LOSS &&
		    st != AU_INVALID_ARGUMENT)
			fail_msg("flip at %zu: status %d", i * (len / 64), st);
		assert_int_equal(fsutil_remove_tree(f->stage, NULL), AU_OK);
		assert_int_equal(mkdir(f->stage, 0700), 0);
		assert_int_equal(extract_to(fd, f->stage, NULL, NULL), st);
		assert_nothing_outside(f);
		close(fd);
	}
	free(buf);
}

/* An uncompressed tarball whose first header is damaged. */
static void
test_tar_header_flipped(void **state)
{
	struct fix *f = *state;
	char       *buf = NULL;
	size_t      len = 0;

	close(make_tar(f, COMP_NONE, good_ents, GOOD_N));
	assert_int_equal(
	    fsutil_read_file(f->tarball, 1 << 20, &buf, &len, NULL), AU_OK);
	buf[100] ^= 0x10; /* the mode field: the header checksum fails */
	refuse_bytes(f, buf, len, AU_DATA_LOSS);
	free(buf);
}

static void
test_not_a_tarball(void **state)
{
	refuse_bytes(
	    *state, "this is not a tarball at all\n", 29, AU_DATA_LOSS);
}

static void
test_dest_missing(void **state)
{
	struct fix *f = *state;
	char        p[PATH_MAX];
	int         fd = make_tar(f, COMP_NONE, good_ents, GOOD_N);

	snprintf(p, sizeof(p), "%s/nope", f->parent);
	assert_int_equal(extract_to(fd, p, NULL, NULL), AU_NOT_FOUND);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_good_plain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_good_gzip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_good_xz, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_good_zstd, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kat_tarball, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_control, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dotdot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_absolute, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_symlink_root_then_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_symlink_outside, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_through_symlink, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hardlinks, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_special_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mode_bits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bomb, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_small, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_entry_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bit_flipped, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_tar_header_flipped, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_not_a_tarball, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dest_missing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
