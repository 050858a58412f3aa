/* SPDX-License-Identifier: MIT */
/*
 * conf: meta.conf through libinih.  libinih reports only the first syntax
 * error and does not pass line numbers to the handler, so the file is fed
 * through a reader that counts lines and checks section headers itself;
 * the handler records every error and always lets parsing go on.
 */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "log.h"

#define CONF_VALUE_MAX 160

enum sect { SECT_NONE, SECT_META, SECT_ADMIN, SECT_RELEASE };

/* The [meta] keys, in the order meta_conf_print() writes them. */
enum key {
	K_LISTEN,
	K_CA,
	K_CERT,
	K_KEY,
	K_DATADIR,
	K_AUTO_ACCEPT,
	K_INTERVAL,
	K_STALE_AFTER,
	K_FAILED_GRACE,
	K_TOKEN_LIFETIME,
	K_CLOCK_SKEW,
	K_MAX_PACKAGE_SIZE,
	K_MAX_DOWNLOADS,
	K_TLS_ENGINE,
	K_COUNT
};

static const char *const key_names[K_COUNT] = {"listen", "ca", "cert", "key",
    "datadir", "auto_accept", "interval", "stale_after", "failed_grace",
    "token_lifetime", "clock_skew", "max_package_size", "max_downloads",
    "tls_engine"};

struct parse {
	struct meta_conf *conf;
	const char       *path;
	FILE             *fp;
	FILE             *diag;
	int               line;
	int               errors;
	int               last_error_line;
	enum sect         sect;
	int               seen[K_COUNT];
};

static char *reader(char *str, int num, void *stream);
static int   handler(
      void *user, const char *section, const char *name, const char *value);
static void perr(struct parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void meta_key(struct parse *p, const char *name, const char *value);
static void role_key(struct parse *p, struct meta_conf_key **keys, size_t *n,
    const char *name, const char *value);
static int  parse_u64(const char *v, uint64_t max, uint64_t *out);
static void set_u32(struct parse *p, const char *name, const char *value,
    uint32_t min, uint32_t max, uint32_t *out);
static void set_str(struct parse *p, const char *value, char **out);
static void set_defaults(struct meta_conf *conf);
static void check_required(struct parse *p);
static void print_keys(
    FILE *fp, const char *sect, const struct meta_conf_key *k, size_t n);

static void
perr(struct parse *p, const char *fmt, ...)
{
	char    msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->errors++;
	p->last_error_line = p->line;
	if (p->line == 0 && p->diag != NULL)
		fprintf(p->diag, "%s: %s\n", p->path, msg);
	else if (p->line == 0)
		log_warnx("%s: %s", p->path, msg);
	else if (p->diag != NULL)
		fprintf(p->diag, "%s:%d: %s\n", p->path, p->line, msg);
	else
		log_warnx("%s:%d: %s", p->path, p->line, msg);
}

static enum sect
sect_lookup(const char *name)
{
	if (strcmp(name, "meta") == 0)
		return SECT_META;
	if (strcmp(name, "admin") == 0)
		return SECT_ADMIN;
	if (strcmp(name, "release") == 0)
		return SECT_RELEASE;
	return SECT_NONE;
}

/* Check a "[name]" header line before libinih sees it, so that an unknown
 * section is reported even when it has no keys. */
static void
check_header(struct parse *p, const char *s)
{
	const char *end;
	char        name[64];
	size_t      len;

	while (isspace((unsigned char)*s))
		s++;
	if (*s != '[')
		return;
	end = strchr(s, ']');
	if (end == NULL)
		return; /* libinih reports it as a syntax error */
	len = (size_t)(end - s - 1);
	if (len >= sizeof(name)) {
		perr(p, "unknown section [%.*s...]", 20, s + 1);
		return;
	}
	memcpy(name, s + 1, len);
	name[len] = '\0';
	if (sect_lookup(name) == SECT_NONE)
		perr(p, "unknown section [%s]", name);
}

static char *
reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	char         *r;
	size_t        len;
	int           c;

	r = fgets(str, num, p->fp);
	if (r == NULL)
		return NULL;
	p->line++;
	check_header(p, str);
	len = strlen(str);
	if (num > 1 && len == (size_t)num - 1 && str[len - 1] != '\n') {
		/* libinih would read the rest as another line; drop it and
		 * fail the load rather than keep a truncated value. */
		perr(p, "line longer than %d characters", num - 2);
		while ((c = fgetc(p->fp)) != EOF && c != '\n')
			;
	}
	return r;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse     *p = user;
	struct meta_conf *c = p->conf;

	switch (sect_lookup(section)) {
	case SECT_META:
		meta_key(p, name, value);
		break;
	case SECT_ADMIN:
		role_key(p, &c->admins, &c->nadmins, name, value);
		break;
	case SECT_RELEASE:
		role_key(p, &c->releases, &c->nreleases, name, value);
		break;
	case SECT_NONE:
		if (section[0] == '\0')
			perr(p, "key \"%s\" outside a section", name);
		/* an unknown section was reported at its header */
		break;
	}
	return 1;
}

static int
parse_u64(const char *v, uint64_t max, uint64_t *out)
{
	char              *end;
	unsigned long long x;

	if (!isdigit((unsigned char)v[0]))
		return -1;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || x > max)
		return -1;
	*out = x;
	return 0;
}

static void
set_u32(struct parse *p, const char *name, const char *value, uint32_t min,
    uint32_t max, uint32_t *out)
{
	uint64_t x;

	if (parse_u64(value, max, &x) != 0 || x < min) {
		perr(p,
		    "%s: \"%s\" is not a number from %" PRIu32 " to %" PRIu32,
		    name, value, min, max);
		return;
	}
	*out = (uint32_t)x;
}

static void
set_str(struct parse *p, const char *value, char **out)
{
	char *s;

	if (value[0] == '\0') {
		perr(p, "empty value");
		return;
	}
	/* meta -nv prints "key = value", where a leading ';' would read as
	 * a comment (libinih's inline comments follow whitespace). */
	if (value[0] == ';' || value[0] == '#') {
		perr(p, "value starts with a comment character '%c'", value[0]);
		return;
	}
	/* So that what meta -nv prints fits libinih's line again. */
	if (strlen(value) > CONF_VALUE_MAX) {
		perr(p, "value longer than %d characters", CONF_VALUE_MAX);
		return;
	}
	s = strdup(value);
	if (s == NULL) {
		perr(p, "out of memory");
		return;
	}
	free(*out);
	*out = s;
}

static void
set_bool(struct parse *p, const char *name, const char *value, int *out)
{
	if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0)
		*out = 1;
	else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0)
		*out = 0;
	else
		perr(p, "%s: \"%s\" is not yes or no", name, value);
}

static void
meta_key(struct parse *p, const char *name, const char *value)
{
	struct meta_conf *c = p->conf;
	uint64_t          x;
	int               k;

	for (k = 0; k < K_COUNT; k++)
		if (strcmp(name, key_names[k]) == 0)
			break;
	if (k == K_COUNT) {
		perr(p, "unknown key \"%s\" in [meta]", name);
		return;
	}
	if (p->seen[k]++) {
		perr(p, "%s: given twice", name);
		return;
	}
	switch (k) {
	case K_LISTEN:
		set_str(p, value, &c->listen);
		break;
	case K_CA:
		set_str(p, value, &c->ca);
		break;
	case K_CERT:
		set_str(p, value, &c->cert);
		break;
	case K_KEY:
		set_str(p, value, &c->key);
		break;
	case K_DATADIR:
		set_str(p, value, &c->datadir);
		break;
	case K_AUTO_ACCEPT:
		set_bool(p, name, value, &c->auto_accept);
		break;
	case K_INTERVAL:
		set_u32(p, name, value, 1, 86400, &c->interval_s);
		break;
	case K_STALE_AFTER:
		set_u32(p, name, value, 0, 30 * 86400, &c->stale_after_s);
		break;
	case K_FAILED_GRACE:
		set_u32(p, name, value, 0, 30 * 86400, &c->failed_grace_s);
		break;
	case K_TOKEN_LIFETIME:
		set_u32(p, name, value, 60, 7 * 86400, &c->token_lifetime_s);
		break;
	case K_CLOCK_SKEW:
		set_u32(p, name, value, 1, 86400, &c->clock_skew_s);
		break;
	case K_MAX_PACKAGE_SIZE:
		if (parse_u64(value, UINT64_C(1) << 40, &x) != 0 || x < 1024)
			perr(p, "%s: \"%s\" is not a size from 1024 to 2^40",
			    name, value);
		else
			c->max_package_size = x;
		break;
	case K_MAX_DOWNLOADS:
		set_u32(p, name, value, 1, 65536, &c->max_downloads);
		break;
	case K_TLS_ENGINE:
		if (rpc_tls_engine_parse(value, &c->tls_engine) != AU_OK)
			perr(p, "%s: \"%s\" is not openssl or mbedtls", name,
			    value);
		break;
	}
}

static int
valid_name(const char *s)
{
	size_t i;

	if (s[0] == '\0' || strlen(s) > RPC_NAME_MAX)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("-_.@", s[i]) == NULL)
			return 0;
	return 1;
}

static void
role_key(struct parse *p, struct meta_conf_key **keys, size_t *n,
    const char *name, const char *value)
{
	struct meta_conf_key *k;
	struct au_err         e = AU_ERR_INIT;
	uint8_t               pk[SIG_PUBKEY_BYTES];
	size_t                i;

	if (!valid_name(name)) {
		perr(p, "\"%s\" is not a key name (letters, digits, -_.@)",
		    name);
		return;
	}
	for (i = 0; i < *n; i++)
		if (strcmp((*keys)[i].name, name) == 0) {
			perr(p, "%s: given twice", name);
			return;
		}
	/* A real err: with NULL, sig's error path cannot return its code. */
	if (sig_pubkey_parse(value, pk, &e) != AU_OK &&
	    (au_err_clear(&e), sig_pubkey_load(value, pk, &e)) != AU_OK) {
		perr(p, "%s: not 64 hex digits nor a readable key file: %s",
		    name, au_err_str(&e));
		return;
	}
	k = realloc(*keys, (*n + 1) * sizeof(*k));
	if (k == NULL) {
		perr(p, "out of memory");
		return;
	}
	*keys = k;
	snprintf(k[*n].name, sizeof(k[*n].name), "%s", name);
	memcpy(k[*n].pk, pk, sizeof(pk));
	(*n)++;
}

static void
set_defaults(struct meta_conf *c)
{
	c->auto_accept = 0;
	c->interval_s = 60;
	c->token_lifetime_s = 3600;
	c->clock_skew_s = 300;
	c->max_package_size = UINT64_C(536870912);
	c->max_downloads = 64;
	c->tls_engine = RPC_TLS_DEFAULT_ENGINE;
}

static void
check_required(struct parse *p)
{
	static const int req[] = {K_LISTEN, K_CA, K_CERT, K_KEY, K_DATADIR};
	size_t           i;

	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++)
		if (!p->seen[req[i]]) {
			p->line = 0;
			perr(p, "[meta] %s is required", key_names[req[i]]);
		}
}

enum au_status
meta_conf_load(
    const char *path, FILE *diag, struct meta_conf **out, struct au_err *err)
{
	struct parse p;
	int          rc;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.path = path;
	p.diag = diag;
	p.fp = fopen(path, "r");
	if (p.fp == NULL)
		return au_err_set(err, fsutil_errno_status(errno), "%s: %s",
		    path, strerror(errno));
	p.conf = calloc(1, sizeof(*p.conf));
	if (p.conf == NULL || (p.conf->path = strdup(path)) == NULL) {
		fclose(p.fp);
		meta_conf_free(p.conf);
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	}
	set_defaults(p.conf);
	rc = ini_parse_stream(reader, &p, handler, &p);
	fclose(p.fp);
	if (rc > 0 && rc != p.last_error_line) {
		p.line = rc;
		perr(&p, "syntax error");
	}
	check_required(&p);
	if (p.errors > 0) {
		meta_conf_free(p.conf);
		return au_err_set(err, AU_INVALID_ARGUMENT, "%s: %d error%s",
		    path, p.errors, p.errors == 1 ? "" : "s");
	}
	*out = p.conf;
	return AU_OK;
}

void
meta_conf_free(struct meta_conf *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->listen);
	free(c->ca);
	free(c->cert);
	free(c->key);
	free(c->datadir);
	free(c->admins);
	free(c->releases);
	free(c);
}

uint32_t
meta_conf_stale_after(const struct meta_conf *c)
{
	return c->stale_after_s != 0 ? c->stale_after_s : 3 * c->interval_s;
}

uint32_t
meta_conf_failed_grace(const struct meta_conf *c)
{
	return c->failed_grace_s != 0 ? c->failed_grace_s : 2 * c->interval_s;
}

static void
print_keys(FILE *fp, const char *sect, const struct meta_conf_key *k, size_t n)
{
	char   hex[2 * SIG_PUBKEY_BYTES + 1];
	size_t i;

	fprintf(fp, "\n[%s]\n", sect);
	for (i = 0; i < n; i++) {
		sig_hex_encode(hex, sizeof(hex), k[i].pk, sizeof(k[i].pk));
		fprintf(fp, "%s = %s\n", k[i].name, hex);
	}
}

void
meta_conf_print(const struct meta_conf *c, FILE *fp)
{
	fprintf(fp, "[meta]\n");
	fprintf(fp, "listen = %s\n", c->listen);
	fprintf(fp, "ca = %s\n", c->ca);
	fprintf(fp, "cert = %s\n", c->cert);
	fprintf(fp, "key = %s\n", c->key);
	fprintf(fp, "datadir = %s\n", c->datadir);
	fprintf(fp, "auto_accept = %s\n", c->auto_accept ? "yes" : "no");
	fprintf(fp, "interval = %" PRIu32 "\n", c->interval_s);
	fprintf(fp, "stale_after = %" PRIu32 "\n", c->stale_after_s);
	fprintf(fp, "failed_grace = %" PRIu32 "\n", c->failed_grace_s);
	fprintf(fp, "token_lifetime = %" PRIu32 "\n", c->token_lifetime_s);
	fprintf(fp, "clock_skew = %" PRIu32 "\n", c->clock_skew_s);
	fprintf(fp, "max_package_size = %" PRIu64 "\n", c->max_package_size);
	fprintf(fp, "max_downloads = %" PRIu32 "\n", c->max_downloads);
	fprintf(fp, "tls_engine = %s\n", rpc_tls_engine_name(c->tls_engine));
	print_keys(fp, "admin", c->admins, c->nadmins);
	print_keys(fp, "release", c->releases, c->nreleases);
}

enum au_status
meta_conf_check_files(const struct meta_conf *c, struct au_err *err)
{
	struct au_err  e = AU_ERR_INIT;
	enum au_status code;

	if ((code = fsutil_check_secret(c->key, &e)) != AU_OK)
		return au_err_set(
		    err, code, "%s: key: %s", c->path, au_err_str(&e));
	return AU_OK;
}
