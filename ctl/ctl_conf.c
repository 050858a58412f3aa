/* SPDX-License-Identifier: MIT */
/*
 * ctl_conf: metactl.conf through libinih (see ctl_conf.h).
 */
#include "ctl_conf.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"

/* Parser state: inih reads one line per reader call, so the reader's line
 * count is the line of the name=value the handler sees. */
struct parse {
	FILE            *f;
	const char      *path;
	char            *dir; /* for relative paths */
	int              line;
	int              errors;
	unsigned         seen; /* bit per key */
	FILE            *diag;
	struct au_err   *err;
	struct ctl_conf *conf;
};

static char *reader(char *str, int num, void *stream);
static int   handler(
      void *user, const char *section, const char *name, const char *value);
static void perr(struct parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static char *make_path(const struct parse *p, const char *value);
static void  set_str(char **slot, const char *value);
static void  apply_env(struct ctl_conf *conf);

static const char *const keys[] = {"meta", "server_name", "ca", "cert", "key",
    "identity", "timeout", "tls_engine"};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

const char *
ctl_conf_path(const char *explicit_path)
{
	const char *env = getenv("METACTL_CONFIG");

	if (explicit_path != NULL)
		return explicit_path;
	if (env != NULL && *env != '\0')
		return env;
	if (access("metactl.conf", F_OK) == 0)
		return "metactl.conf";
	return CTL_CONF_DEFAULT_PATH;
}

static char *
reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	char         *r = fgets(str, num, p->f);

	if (r != NULL)
		p->line++;
	return r;
}

static void
perr(struct parse *p, const char *fmt, ...)
{
	char    msg[AU_ERR_MSG_BYTES];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->diag != NULL)
		fprintf(p->diag, "metactl: %s:%d: %s\n", p->path, p->line, msg);
	if (p->errors++ == 0)
		au_err_set(p->err, AU_INVALID_ARGUMENT, "%s:%d: %s", p->path,
		    p->line, msg);
}

static void
set_str(char **slot, const char *value)
{
	free(*slot);
	*slot = out_xstrdup(value);
}

static char *
make_path(const struct parse *p, const char *value)
{
	char *s;

	if (value[0] == '/' || p->dir == NULL)
		return out_xstrdup(value);
	s = out_xcalloc(1, strlen(p->dir) + strlen(value) + 2);
	sprintf(s, "%s/%s", p->dir, value);
	return s;
}

static int
set_key(struct parse *p, size_t k, const char *value)
{
	struct ctl_conf *c = p->conf;
	char           **paths[] = {&c->ca, &c->cert, &c->key, &c->identity};
	unsigned long    n;

	switch (k) {
	case 0:
		set_str(&c->meta, value);
		return 0;
	case 1:
		set_str(&c->server_name, value);
		return 0;
	case 6:
		if (out_parse_uint(value, 1, 3600, &n, NULL) != AU_OK)
			return -1;
		c->timeout_s = (uint32_t)n;
		return 0;
	case 7:
		return rpc_tls_engine_parse(value, &c->tls_engine) == AU_OK
		           ? 0
		           : -1;
	default:
		free(*paths[k - 2]);
		*paths[k - 2] = make_path(p, value);
		return 0;
	}
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	size_t        k;

	if (strcmp(section, "metactl") != 0) {
		perr(p, "unknown section [%s]", section);
		return 1;
	}
	for (k = 0; k < NKEYS && strcmp(keys[k], name) != 0; k++)
		;
	if (k == NKEYS)
		perr(p, "unknown key '%s'", name);
	else if (p->seen & (1u << k))
		perr(p, "'%s' given twice", name);
	else if (*value == '\0')
		perr(p, "'%s' is empty", name);
	else if (set_key(p, k, value) != 0)
		perr(p, "bad %s '%s' (want %s)", name, value,
		    k == 7 ? "openssl or mbedtls" : "seconds, 1 to 3600");
	if (k < NKEYS)
		p->seen |= 1u << k;
	return 1; /* go on: report every error in one run */
}

static void
apply_env(struct ctl_conf *conf)
{
	const char *url = getenv("METACTL_URL");
	const char *id = getenv("METACTL_IDENTITY");

	if (url != NULL && *url != '\0')
		set_str(&conf->meta, url);
	if (id != NULL && *id != '\0')
		set_str(&conf->identity, id);
}

static enum au_status
parse_file(struct parse *p)
{
	const char *slash = strrchr(p->path, '/');
	int         rc;

	if (slash != NULL) {
		p->dir = out_xstrdup(p->path);
		p->dir[slash - p->path] = '\0';
		if (p->dir[0] == '\0')
			set_str(&p->dir, "/");
	}
	rc = ini_parse_stream(reader, p, handler, p);
	if (rc > 0) { /* the first line inih cannot parse */
		p->line = rc;
		perr(p, "syntax error (want name = value or [section])");
	} else if (rc != 0) {
		perr(p, "cannot parse");
	}
	free(p->dir);
	if (p->errors > 0) {
		if (p->errors > 1)
			au_err_set(p->err, AU_INVALID_ARGUMENT, "%s: %d errors",
			    p->path, p->errors);
		return AU_INVALID_ARGUMENT;
	}
	return AU_OK;
}

enum au_status
ctl_conf_load(const char *path, int missing_ok, struct ctl_conf *conf,
    FILE *diag, struct au_err *err)
{
	struct parse   p = {0};
	enum au_status st;

	memset(conf, 0, sizeof(*conf));
	conf->timeout_s = CTL_CONF_DEFAULT_TIMEOUT_S;
	p.f = fopen(path, "r");
	if (p.f == NULL) {
		int e = errno;

		if (e == ENOENT && missing_ok) {
			apply_env(conf);
			return AU_OK;
		}
		return au_err_set(err,
		    e == ENOENT ? AU_NOT_FOUND : AU_PERMISSION_DENIED, "%s: %s",
		    path, strerror(e));
	}
	conf->path = out_xstrdup(path);
	p.path = path;
	p.diag = diag;
	p.err = err;
	p.conf = conf;
	st = parse_file(&p);
	fclose(p.f);
	if (st == AU_OK)
		apply_env(conf);
	return st;
}

enum au_status
ctl_conf_check(const struct ctl_conf *conf, struct au_err *err)
{
	const char *missing = NULL;
	const char *where = conf->path != NULL ? conf->path : "no config file";

	if (conf->meta == NULL)
		missing = "meta (or METACTL_URL)";
	else if (conf->ca == NULL)
		missing = "ca";
	else if (conf->cert == NULL)
		missing = "cert";
	else if (conf->key == NULL)
		missing = "key";
	else if (conf->identity == NULL)
		missing = "identity (or METACTL_IDENTITY)";
	if (missing == NULL)
		return AU_OK;
	return au_err_set(
	    err, AU_FAILED_PRECONDITION, "%s: %s is not set", where, missing);
}

void
ctl_conf_fini(struct ctl_conf *conf)
{
	if (conf == NULL)
		return;
	free(conf->path);
	free(conf->meta);
	free(conf->server_name);
	free(conf->ca);
	free(conf->cert);
	free(conf->key);
	free(conf->identity);
	memset(conf, 0, sizeof(*conf));
}
