/* SPDX-License-Identifier: MIT */
/*
 * cmd_release: the release pipeline's commands.  keygen, sign and verify
 * are local (no meta); upload and packages talk to meta.  The release
 * secret key is read only by `sign`, and wiped before it returns.  A
 * tarball's manifest lives beside it as FILE.sig (docs/manifest.md).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "au.pb-c.h"
#include "ctl.h"
#include "extract.h"
#include "fsutil.h"
#include "manifest.h"
#include "output.h"
#include "sig.h"

#define SIG_SUFFIX ".sig"
/* Retries of one upload chunk after a lost connection or a lost partial. */
#define UPLOAD_RETRIES 5

static int cmd_keygen(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);
static int cmd_sign(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);
static int cmd_verify(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);
static int cmd_upload(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);
static int cmd_packages(
    struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv);

const struct ctl_cmd ctl_cmds_release[] = {
    {"keygen", "NAME", "Make an ed25519 identity or release key pair",
        "Writes NAME.key (the secret key, mode 0600) and NAME.pub (the\n"
        "public key: for meta.conf [admin] or [release], and for a release\n"
        "key also updater.conf [trust]).  Refuses to overwrite either file.\n"
        "Keep a release NAME.key off meta.\n",
        AU_ROLE_NONE, cmd_keygen},
    {"sign",
        "--key FILE --agent NAME --version VERSION [--expires DURATION] "
        "[--health-window SECONDS] TARBALL",
        "Sign a release tarball (writes TARBALL.sig)",
        "Checks NAME ([a-z0-9][a-z0-9_.-]*, at most 64) and VERSION (dotted\n"
        "numbers with an optional -suffix), reads the tarball the way the\n"
        "updater will extract it (refusing absolute paths, \"..\", links,\n"
        "devices, setuid bits) and requires an executable ./control at its\n"
        "root.  Writes the signed manifest (docs/manifest.md) to TARBALL.sig.\n"
        "  --expires D   the manifest expires D (90s, 30m, 12h, 7d) from now\n"
        "  --health-window S  ask updaters for a health window of at least S\n"
        "                seconds (1..3600) after this release starts\n",
        AU_ROLE_NONE, cmd_sign},
    {"verify", "--pub PUBKEY [--agent NAME] [--version VERSION] TARBALL",
        "Check a tarball against its TARBALL.sig",
        "Checks the signature against PUBKEY (a .pub file or 64 hex digits),\n"
        "the expiry, and the tarball's size and hash; with --agent and\n"
        "--version, also that the manifest names them.  Prints agent,\n"
        "version and key id.  Exit 0 when all hold, 1 otherwise.\n",
        AU_ROLE_NONE, cmd_verify},
    {"upload", "TARBALL", "Upload a signed release to meta",
        "Sends TARBALL and TARBALL.sig in chunks; an interrupted upload\n"
        "resumes where meta stopped.  meta stores it only when the manifest\n"
        "verifies against its release keys and the bytes match.  Uploading\n"
        "the same release again is a no-op; other bytes under the same name\n"
        "and version are refused.  Prints the package id and hash.\n",
        AU_ROLE_RELEASE, cmd_upload},
    {"packages", "[AGENT]", "List uploaded packages",
        "  NAME  VERSION  SIZE  HASH  KEY  UPLOADED  BY  HOSTS\n"
        "HASH is the first 16 hex digits of the BLAKE2b-256; HOSTS counts\n"
        "the hosts that report running that version.  With -j, a JSON\n"
        "array with the full hash.\n",
        AU_ROLE_ADMIN, cmd_packages},
    {NULL, NULL, NULL, NULL, AU_ROLE_NONE, NULL},
};

/* "FILE.sig" into out; 0, or -1 when too long. */
static int
sig_path(char *out, size_t outsz, const char *tarball)
{
	int n = snprintf(out, outsz, "%s" SIG_SUFFIX, tarball);

	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

/* Size and BLAKE2b-256 of the open file fd, read from its start. */
static enum au_status
hash_fd(
    int fd, uint64_t *size, uint8_t hash[SIG_HASH_BYTES], struct au_err *err)
{
	struct sig_hash_state *st = sig_hash_new();
	static uint8_t         buf[64 * 1024];
	ssize_t                n;
	uint64_t               total = 0;

	if (st == NULL)
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	while ((n = pread(fd, buf, sizeof(buf), (off_t)total)) > 0) {
		sig_hash_update(st, buf, (size_t)n);
		total += (uint64_t)n;
	}
	if (n < 0) {
		sig_hash_free(st);
		return au_err_set(err, fsutil_errno_status(errno), "read: %s",
		    strerror(errno));
	}
	sig_hash_final(st, hash);
	sig_hash_free(st);
	*size = total;
	return AU_OK;
}

static int
cmd_keygen(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	char          pub[4096], sec[4096], id[SIG_KEYID_HEX_BYTES];
	uint8_t       pk[SIG_PUBKEY_BYTES], sk[SIG_SECKEY_BYTES];
	struct au_err err = AU_ERR_INIT;
	struct stat   sb;

	if (argc != 2 || argv[1][0] == '-')
		return ctl_usage(ctl, cmd, NULL);
	if (snprintf(pub, sizeof(pub), "%s.pub", argv[1]) >= (int)sizeof(pub) ||
	    snprintf(sec, sizeof(sec), "%s.key", argv[1]) >= (int)sizeof(sec))
		return ctl_fail(ctl, "keygen: %s: name too long", argv[1]);
	if (lstat(sec, &sb) == 0 || lstat(pub, &sb) == 0)
		return ctl_fail(ctl, "keygen: %s: already exists",
		    lstat(sec, &sb) == 0 ? sec : pub);
	sig_keypair(pk, sk);
	if (sig_seckey_save(sec, sk, &err) != AU_OK) {
		sig_memzero(sk, sizeof(sk));
		return ctl_fail(ctl, "keygen: %s", au_err_str(&err));
	}
	sig_memzero(sk, sizeof(sk));
	if (sig_pubkey_save(pub, pk, &err) != AU_OK)
		return ctl_fail(ctl, "keygen: %s", au_err_str(&err));
	sig_key_id(pk, id);
	printf("%s %s key id %s\n", sec, pub, id);
	return CTL_EXIT_OK;
}

struct sign_opts {
	const char *key, *agent, *version, *file;
	uint64_t    expires_s;
	uint32_t    health_window;
};

static int
sign_parse(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv,
    struct sign_opts *o)
{
	static const struct option longopts[] = {
	    {"key", required_argument, NULL, 'k'},
	    {"agent", required_argument, NULL, 'a'},
	    {"version", required_argument, NULL, 'v'},
	    {"expires", required_argument, NULL, 'e'},
	    {"health-window", required_argument, NULL, 'w'},
	    {NULL, 0, NULL, 0},
	};
	struct au_err err = AU_ERR_INIT;
	uint64_t      ms;
	char         *end;
	unsigned long w;
	int           ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 'k')
			o->key = optarg;
		else if (ch == 'a')
			o->agent = optarg;
		else if (ch == 'v')
			o->version = optarg;
		else if (ch == 'e' &&
		         out_parse_duration(optarg, &ms, &err) == AU_OK)
			o->expires_s = (ms + 999) / 1000;
		else if (ch == 'e')
			return ctl_usage(
			    ctl, cmd, "sign: --expires: %s", au_err_str(&err));
		else if (ch == 'w' && optarg[0] >= '1' && optarg[0] <= '9' &&
		         (w = strtoul(optarg, &end, 10)) <=
		             MANIFEST_HEALTH_WINDOW_MAX &&
		         *end == '\0')
			o->health_window = (uint32_t)w;
		else if (ch == 'w')
			return ctl_usage(ctl, cmd,
			    "sign: --health-window: '%s' is not a number in "
			    "1..%d",
			    optarg, MANIFEST_HEALTH_WINDOW_MAX);
		else
			return ctl_usage(ctl, cmd, NULL);
	}
	if (optind + 1 != argc || !o->key || !o->agent || !o->version)
		return ctl_usage(ctl, cmd, NULL);
	o->file = argv[optind];
	if (manifest_check_name(o->agent, &err) != AU_OK ||
	    manifest_check_version(o->version, &err) != AU_OK)
		return ctl_usage(ctl, cmd, "sign: %s", au_err_str(&err));
	return CTL_EXIT_OK;
}

/* Fill everything but the key id from the tarball on fd. */
static enum au_status
sign_measure(
    int fd, const struct sign_opts *o, struct manifest *m, struct au_err *err)
{
	struct extract_info info;
	enum au_status      st;

	memset(m, 0, sizeof(*m));
	m->format = MANIFEST_FORMAT;
	strcpy(m->agent, o->agent);
	strcpy(m->version, o->version);
	if ((st = hash_fd(fd, &m->size, m->hash, err)) != AU_OK)
		return st;
	if ((st = extract_inspect(fd, &info, err)) != AU_OK)
		return st;
	if (!info.has_control)
		return au_err_set(err, AU_FAILED_PRECONDITION,
		    "no executable control at the root of the tarball");
	m->unpacked_size = info.unpacked_size;
	m->entries = info.entries;
	m->created = (uint64_t)time(NULL);
	if (o->expires_s != 0)
		m->expires = m->created + o->expires_s;
	m->health_window = o->health_window;
	return AU_OK;
}

static enum au_status
sign_write(const struct sign_opts *o, const struct manifest *m, const char *out,
    struct au_err *err)
{
	uint8_t        sk[SIG_SECKEY_BYTES];
	char          *buf = NULL;
	size_t         len = 0;
	enum au_status st;

	if ((st = sig_seckey_load(o->key, sk, err)) != AU_OK)
		return st;
	st = manifest_sign(m, sk, &buf, &len, err);
	sig_memzero(sk, sizeof(sk));
	if (st == AU_OK)
		st = fsutil_write_atomic(out, buf, len, 0644, err);
	free(buf);
	return st;
}

static int
cmd_sign(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct sign_opts o = {0};
	struct manifest  m;
	struct au_err    err = AU_ERR_INIT;
	char             out[4096];
	int              fd, rc;

	if ((rc = sign_parse(ctl, cmd, argc, argv, &o)) != CTL_EXIT_OK)
		return rc;
	if (sig_path(out, sizeof(out), o.file) != 0)
		return ctl_fail(ctl, "sign: %s: name too long", o.file);
	if ((fd = open(o.file, O_RDONLY | O_CLOEXEC)) < 0)
		return ctl_fail(ctl, "sign: %s: %s", o.file, strerror(errno));
	if (sign_measure(fd, &o, &m, &err) != AU_OK) {
		close(fd);
		return ctl_fail(ctl, "sign: %s: %s", o.file, au_err_str(&err));
	}
	close(fd);
	if (sign_write(&o, &m, out, &err) != AU_OK)
		return ctl_fail(ctl, "sign: %s", au_err_str(&err));
	printf("%s: %s %s, %llu bytes, %llu entries\n", out, m.agent, m.version,
	    (unsigned long long)m.size, (unsigned long long)m.entries);
	return CTL_EXIT_OK;
}

/* A public key given inline (64 hex) or as a .pub file. */
static enum au_status
load_pub(const char *text, uint8_t pk[SIG_PUBKEY_BYTES], struct au_err *err)
{
	struct au_err inline_err = AU_ERR_INIT;

	/* A real err: sig_pubkey_parse reports failure through it. */
	if (sig_pubkey_parse(text, pk, &inline_err) == AU_OK &&
	    inline_err.code == AU_OK)
		return AU_OK;
	return sig_pubkey_load(text, pk, err);
}

/* Read FILE.sig (the caller frees *buf). */
static enum au_status
read_manifest(const char *tarball, char **buf, size_t *len, struct au_err *err)
{
	char           path[4096];
	enum au_status st;

	if (sig_path(path, sizeof(path), tarball) != 0)
		return au_err_set(err, AU_INVALID_ARGUMENT, "name too long");
	if ((st = fsutil_read_file(path, MANIFEST_MAX_BYTES, buf, len, err)) !=
	    AU_OK)
		au_err_prefix(err, "%s", path);
	return st;
}

/* The tarball's size and hash are what m says. */
static enum au_status
match_tarball(const char *file, const struct manifest *m, struct au_err *err)
{
	uint8_t        hash[SIG_HASH_BYTES];
	uint64_t       size;
	enum au_status st;
	int            fd;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return au_err_set(err, fsutil_errno_status(errno), "%s: %s",
		    file, strerror(errno));
	st = hash_fd(fd, &size, hash, err);
	close(fd);
	if (st != AU_OK)
		return st;
	if (size != m->size)
		return au_err_set(err, AU_DATA_LOSS,
		    "%s: %llu bytes, the manifest says %llu", file,
		    (unsigned long long)size, (unsigned long long)m->size);
	if (sig_memcmp(hash, m->hash, SIG_HASH_BYTES) != 0)
		return au_err_set(err, AU_DATA_LOSS,
		    "%s: hash differs from the manifest's", file);
	return AU_OK;
}

struct verify_opts {
	const char *pub, *agent, *version, *file;
};

static int
verify_parse(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv,
    struct verify_opts *o)
{
	static const struct option longopts[] = {
	    {"pub", required_argument, NULL, 'p'},
	    {"agent", required_argument, NULL, 'a'},
	    {"version", required_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 'p')
			o->pub = optarg;
		else if (ch == 'a')
			o->agent = optarg;
		else if (ch == 'v')
			o->version = optarg;
		else
			return ctl_usage(ctl, cmd, NULL);
	}
	if (optind + 1 != argc || o->pub == NULL ||
	    (o->agent == NULL) != (o->version == NULL))
		return ctl_usage(ctl, cmd, NULL);
	o->file = argv[optind];
	return CTL_EXIT_OK;
}

static enum au_status
verify_all(const struct verify_opts *o, struct manifest *m, struct au_err *err)
{
	uint8_t        pk[SIG_PUBKEY_BYTES];
	char          *buf = NULL;
	size_t         len = 0;
	enum au_status st;

	if ((st = load_pub(o->pub, pk, err)) != AU_OK)
		return st;
	if ((st = read_manifest(o->file, &buf, &len, err)) != AU_OK)
		return st;
	st = manifest_verify(
	    buf, len, (const uint8_t(*)[SIG_PUBKEY_BYTES])pk, 1, m, err);
	free(buf);
	if (st != AU_OK)
		return st;
	if ((st = manifest_check(m, o->agent ? o->agent : m->agent,
	         o->version ? o->version : m->version, (uint64_t)time(NULL),
	         err)) != AU_OK)
		return st;
	return match_tarball(o->file, m, err);
}

static int
cmd_verify(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct verify_opts o = {0};
	struct manifest    m;
	struct au_err      err = AU_ERR_INIT;
	char               hex[2 * SIG_HASH_BYTES + 1];
	json_t            *j;
	int                rc;

	if ((rc = verify_parse(ctl, cmd, argc, argv, &o)) != CTL_EXIT_OK)
		return rc;
	if (verify_all(&o, &m, &err) != AU_OK)
		return ctl_fail(ctl, "verify: %s", au_err_str(&err));
	sig_hex_encode(hex, sizeof(hex), m.hash, SIG_HASH_BYTES);
	if (!ctl_json(ctl)) {
		printf("%s: ok: %s %s, key %s, %llu bytes, hash %s", o.file,
		    m.agent, m.version, m.key_id, (unsigned long long)m.size,
		    hex);
		if (m.health_window != 0)
			printf(
			    ", health window %u s", (unsigned)m.health_window);
		putchar('\n');
		return CTL_EXIT_OK;
	}
	j = json_pack("{s:s, s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:I}", "agent",
	    m.agent, "version", m.version, "key_id", m.key_id, "size",
	    (json_int_t)m.size, "hash", hex, "unpacked_size",
	    (json_int_t)m.unpacked_size, "entries", (json_int_t)m.entries,
	    "created", (json_int_t)m.created, "expires", (json_int_t)m.expires);
	if (j != NULL && m.health_window != 0)
		json_object_set_new(
		    j, "health_window", json_integer(m.health_window));
	out_json_print(stdout, j);
	json_decref(j);
	return CTL_EXIT_OK;
}

/* The upload in progress: the tarball, its manifest and where we are. */
struct upload {
	int             fd;
	char           *manifest;
	size_t          manifest_len;
	struct manifest m;
	uint64_t        offset;
	uint8_t        *chunk;
};

static enum au_status
upload_open(struct upload *u, const char *file, struct au_err *err)
{
	enum au_status st;

	if ((st = read_manifest(file, &u->manifest, &u->manifest_len, err)) !=
	    AU_OK)
		return st;
	/* Not trusted here (meta verifies); parsed to know the size and
	 * to refuse a tarball that does not match before sending it. */
	if ((st = manifest_parse(u->manifest, u->manifest_len, &u->m, err)) !=
	        AU_OK ||
	    (st = match_tarball(file, &u->m, err)) != AU_OK)
		return st;
	if ((u->fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return au_err_set(err, fsutil_errno_status(errno), "%s: %s",
		    file, strerror(errno));
	if ((u->chunk = malloc(RPC_CHUNK_BYTES)) == NULL)
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	return AU_OK;
}

static void
upload_close(struct upload *u)
{
	if (u->fd >= 0)
		close(u->fd);
	free(u->manifest);
	free(u->chunk);
}

/* Send the chunk at u->offset into res.  -1 when the file could not be
 * read (err set), else 0 with res->status meta's answer. */
static int
upload_send(struct upload *u, ProtobufCService *svc, struct rpc_result *res,
    struct au_err *err)
{
	Au__V1__UploadPackageRequest req = AU__V1__UPLOAD_PACKAGE_REQUEST__INIT;
	uint64_t                     left = u->m.size - u->offset;
	size_t  len = left > RPC_CHUNK_BYTES ? RPC_CHUNK_BYTES : (size_t)left;
	ssize_t n = len ? pread(u->fd, u->chunk, len, (off_t)u->offset) : 0;

	if (n < 0 || (size_t)n != len) {
		au_err_set(err, AU_DATA_LOSS, "short read at %llu",
		    (unsigned long long)u->offset);
		return -1;
	}
	req.manifest.data = (uint8_t *)u->manifest;
	req.manifest.len = u->manifest_len;
	req.offset = u->offset;
	req.data.data = u->chunk;
	req.data.len = len;
	req.has_finish = 1;
	req.finish = u->offset + len == u->m.size;
	rpc_result_fini(res);
	au__v1__admin_service__upload_package(svc, &req, NULL, res);
	return 0;
}

/*
 * Send chunks until meta stores the package (or has it already).  meta's
 * `received` says where to go on: past the chunk we sent, or (a partial
 * from an earlier run) further on.  A lost connection retries the same
 * offset; OUT_OF_RANGE means meta lost the partial: start over at 0,
 * where meta answers with what it holds.  Retries and replies that make
 * no progress are bounded.
 */
static int
upload_loop(struct ctl *ctl, struct upload *u, ProtobufCService *svc,
    struct rpc_result *res)
{
	const Au__V1__UploadPackageReply *rep;
	struct au_err                     err = AU_ERR_INIT;
	int                               retries = 0;

	for (;;) {
		if (upload_send(u, svc, res, &err) != 0)
			return ctl_fail(ctl, "upload: %s", au_err_str(&err));
		rep = (const Au__V1__UploadPackageReply *)res->reply;
		if (res->status == AU_OK &&
		    (rep->stored || rep->already_present))
			return CTL_EXIT_OK;
		if (res->status == AU_OK && rep->received > u->offset &&
		    rep->received <= u->m.size) {
			u->offset = rep->received;
			retries = 0;
			continue;
		}
		if (++retries > UPLOAD_RETRIES)
			break;
		if (res->status == AU_OK)
			continue; /* no progress: ask again, bounded */
		if (res->status == AU_OUT_OF_RANGE)
			u->offset = 0;
		else if (res->status == AU_UNAVAILABLE ||
		         res->status == AU_DEADLINE_EXCEEDED)
			sleep(1);
		else
			return ctl_fail_rpc(ctl, "upload", res);
	}
	if (res->status == AU_OK)
		return ctl_fail(ctl,
		    "upload: meta holds %llu of %llu bytes "
		    "and did not store the package",
		    (unsigned long long)rep->received,
		    (unsigned long long)u->m.size);
	return ctl_fail_rpc(ctl, "upload", res);
}

static void
upload_print(
    const Au__V1__UploadPackageReply *rep, const struct manifest *m, int json)
{
	char    hex[2 * SIG_HASH_BYTES + 1];
	json_t *j;

	sig_hex_encode(hex, sizeof(hex), m->hash, SIG_HASH_BYTES);
	if (!json) {
		printf("%s %s%s\n", rep->package_id ? rep->package_id : "?",
		    hex, rep->already_present ? " (already present)" : "");
		return;
	}
	j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:b}", "package_id",
	    rep->package_id ? rep->package_id : "", "agent", m->agent,
	    "version", m->version, "hash", hex, "size", (json_int_t)m->size,
	    "already_present", rep->already_present ? 1 : 0);
	out_json_print(stdout, j);
	json_decref(j);
}

static int
cmd_upload(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct upload     u = {.fd = -1};
	struct rpc_result res = RPC_RESULT_INIT;
	struct au_err     err = AU_ERR_INIT;
	ProtobufCService *svc;
	int               rc;

	if (argc != 2 || argv[1][0] == '-')
		return ctl_usage(ctl, cmd, NULL);
	if (upload_open(&u, argv[1], &err) != AU_OK) {
		upload_close(&u);
		return ctl_fail(ctl, "upload: %s", au_err_str(&err));
	}
	if ((svc = ctl_service(ctl, &au__v1__admin_service__descriptor)) ==
	    NULL) {
		upload_close(&u);
		return CTL_EXIT_FAIL;
	}
	rc = upload_loop(ctl, &u, svc, &res);
	if (rc == CTL_EXIT_OK)
		upload_print((const Au__V1__UploadPackageReply *)res.reply,
		    &u.m, ctl_json(ctl));
	rpc_result_fini(&res);
	upload_close(&u);
	return rc;
}

static json_t *
package_json(const Au__V1__Package *p)
{
	char hex[2 * SIG_HASH_BYTES + 1] = "";

	if (p->hash.len == SIG_HASH_BYTES)
		sig_hex_encode(hex, sizeof(hex), p->hash.data, SIG_HASH_BYTES);
	return json_pack("{s:s, s:s, s:I, s:s, s:s, s:I, s:s, s:I}", "agent",
	    p->agent, "version", p->version, "size", (json_int_t)p->size,
	    "hash", hex, "key_id", p->key_id ? p->key_id : "", "uploaded_ms",
	    (json_int_t)p->uploaded_ms, "uploaded_by",
	    p->uploaded_by ? p->uploaded_by : "", "hosts",
	    (json_int_t)p->hosts_running);
}

static void
packages_print(const Au__V1__ListPackagesReply *rep, int json)
{
	static const char *const hdr[] = {"NAME", "VERSION", "SIZE", "HASH",
	    "KEY", "UPLOADED", "BY", "HOSTS"};
	struct out_table        *t;
	char    hex[2 * SIG_HASH_BYTES + 1], size[24], when[OUT_TIME_BYTES];
	char    hosts[12];
	json_t *arr;

	if (json) {
		arr = json_array();
		for (size_t i = 0; i < rep->n_packages; i++)
			json_array_append_new(
			    arr, package_json(rep->packages[i]));
		out_json_print(stdout, arr);
		json_decref(arr);
		return;
	}
	t = out_table_new(8, hdr);
	for (size_t i = 0; i < rep->n_packages; i++) {
		const Au__V1__Package *p = rep->packages[i];

		hex[0] = '\0';
		if (p->hash.len == SIG_HASH_BYTES)
			sig_hex_encode(hex, sizeof(hex), p->hash.data, 8);
		snprintf(
		    size, sizeof(size), "%llu", (unsigned long long)p->size);
		snprintf(hosts, sizeof(hosts), "%u", p->hosts_running);
		out_time(when, sizeof(when), p->uploaded_ms);
		out_table_addv(t, p->agent, p->version, size, hex,
		    p->key_id ? p->key_id : "-", when,
		    p->uploaded_by ? p->uploaded_by : "-", hosts);
	}
	out_table_print(t, stdout);
	out_table_free(t);
}

static int
cmd_packages(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	Au__V1__ListPackagesRequest req = AU__V1__LIST_PACKAGES_REQUEST__INIT;
	struct rpc_result           res = RPC_RESULT_INIT;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
		return ctl_usage(ctl, cmd, NULL);
	if (argc == 2)
		req.agent = argv[1];
	if (ctl_call(ctl, &au__v1__admin_service__descriptor, "ListPackages",
	        &req, "packages", &res) != CTL_EXIT_OK)
		return CTL_EXIT_FAIL;
	packages_print(
	    (const Au__V1__ListPackagesReply *)res.reply, ctl_json(ctl));
	rpc_result_fini(&res);
	return CTL_EXIT_OK;
}
