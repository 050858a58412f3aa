/* SPDX-License-Identifier: MIT */
/*
 * conf: strict parsing of updater.conf with libinih.  inih reports neither
 * the line of a key nor unknown keys, so the file is fed through a reader
 * that counts lines, and a key table says what each key is.
 */
#include "conf.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "rpc.h"

enum key_kind {
	KEY_STR,
	KEY_U32,
	KEY_AGENTS,
};

struct key {
	const char   *name;
	enum key_kind kind;
	size_t        off;
	size_t        size;
	uint32_t      min, max;
	int           required;
};

#define STR(f, req)                                                  \
	{                                                            \
#f, KEY_STR, offsetof(struct updater_conf, f),       \
		    sizeof(((struct updater_conf *)0)->f), 0, 0, req \
	}
#define U32(f, lo, hi)                                                      \
	{                                                                   \
#f, KEY_U32, offsetof(struct updater_conf, f), 0, lo, hi, 0 \
	}

static const struct key keys[] = {
    STR(meta, 1),
    STR(server_name, 0),
    STR(ca, 1),
    STR(cert, 1),
    STR(key, 1),
    STR(identity, 0),
    STR(state_dir, 0),
    STR(root, 0),
    STR(hostname, 0),
    {"agents", KEY_AGENTS, 0, 0, 0, 0, 0},
    U32(interval_min, 1, 86400),
    U32(interval_max, 1, 86400),
    U32(control_timeout, 1, 3600),
    U32(start_timeout, 1, 3600),
    U32(health_window, 0, 3600),
    U32(supervise_interval, 0, 3600),
    U32(keep_versions, 1, 100),
    STR(tls_engine, 0),
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

struct parse {
	struct updater_conf *c;
	const char          *path;
	FILE                *fp;
	FILE                *errs;
	int                  line;
	int                  nerr;
	int                  seen[NKEYS];
};

static void perr(struct parse *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static char *reader(char *str, int num, void *stream);
static int   handler(
      void *user, const char *section, const char *name, const char *value);
static void set_key(struct parse *p, const struct key *k, const char *value);
static void set_agents(struct parse *p, const char *value);
static void set_trust(struct parse *p, const char *name, const char *value);
static int  valid_name(const char *s);
static void finish(struct parse *p);
static void print_agents(const struct updater_conf *c, FILE *out);
static void print_str(FILE *out, const char *key, const char *value);

static void
perr(struct parse *p, int line, const char *fmt, ...)
{
	va_list ap;

	p->nerr++;
	if (p->errs == NULL)
		return;
	if (line > 0)
		fprintf(p->errs, "%s:%d: ", p->path, line);
	else
		fprintf(p->errs, "%s: ", p->path);
	va_start(ap, fmt);
	vfprintf(p->errs, fmt, ap);
	va_end(ap);
	fputc('\n', p->errs);
}

/* fgets that counts lines, so the handler knows where it is. */
static char *
reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	char         *r;

	if ((r = fgets(str, num, p->fp)) != NULL)
		p->line++;
	return r;
}

/* The agent-name rule of manifest_check_name, kept here so the config
 * parser stands alone. */
static int
valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > UPDATER_CONF_NAME_MAX ||
	    !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
		return 0;
	for (i = 1; i < n; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) &&
		    strchr("_.-", s[i]) == NULL)
			return 0;
	return 1;
}

static void
set_key(struct parse *p, const struct key *k, const char *value)
{
	char              *end;
	unsigned long long v;

	if (k->kind == KEY_AGENTS) {
		set_agents(p, value);
		return;
	}
	if (k->kind == KEY_STR) {
		/* updater -nv prints "key = value": a leading ';' would read
		 * back as a comment. */
		if (value[0] == ';' || value[0] == '#')
			perr(p, p->line,
			    "%s: value starts with a comment character '%c'",
			    k->name, value[0]);
		else if (strlen(value) >= k->size)
			perr(p, p->line, "%s: value too long", k->name);
		else
			memcpy((char *)p->c + k->off, value, strlen(value) + 1);
		return;
	}
	errno = 0;
	v = strtoull(value, &end, 10);
	if (value[0] == '\0' || *end != '\0' || errno != 0 ||
	    !isdigit((unsigned char)value[0]) || v < k->min || v > k->max) {
		perr(p, p->line, "%s: '%s' is not a number in %u..%u", k->name,
		    value, k->min, k->max);
		return;
	}
	*(uint32_t *)(void *)((char *)p->c + k->off) = (uint32_t)v;
}

static void
set_agents(struct parse *p, const char *value)
{
	char   buf[UPDATER_CONF_PATH_MAX], *tok, *save = NULL;
	size_t i;

	p->c->nagents = 0;
	snprintf(buf, sizeof(buf), "%s", value);
	for (tok = strtok_r(buf, " \t,", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t,", &save)) {
		if (!valid_name(tok)) {
			perr(p, p->line, "agents: '%s' is not an agent name",
			    tok);
			continue;
		}
		for (i = 0; i < p->c->nagents; i++)
			if (strcmp(p->c->agents[i], tok) == 0)
				break;
		if (i < p->c->nagents)
			continue;
		if (p->c->nagents == UPDATER_CONF_AGENTS_MAX) {
			perr(p, p->line, "agents: more than %d",
			    UPDATER_CONF_AGENTS_MAX);
			return;
		}
		snprintf(p->c->agents[p->c->nagents++],
		    UPDATER_CONF_NAME_MAX + 1, "%s", tok);
	}
}

static void
set_trust(struct parse *p, const char *name, const char *value)
{
	struct updater_trust *t;
	struct au_err         e = AU_ERR_INIT;
	size_t                i;
	enum au_status        st;

	for (i = 0; i < p->c->ntrust; i++)
		if (strcmp(p->c->trust[i].name, name) == 0) {
			perr(p, p->line, "[trust] %s: duplicate", name);
			return;
		}
	if (strlen(name) > UPDATER_CONF_NAME_MAX ||
	    p->c->ntrust == UPDATER_CONF_TRUST_MAX) {
		perr(p, p->line, "[trust] %s: name too long or too many keys",
		    name);
		return;
	}
	t = &p->c->trust[p->c->ntrust];
	/* All hex digits: an inline key; anything else names a file. */
	if (value[0] != '\0' &&
	    strspn(value, "0123456789abcdefABCDEF") == strlen(value))
		st = sig_pubkey_parse(value, t->pk, &e);
	else
		st = sig_pubkey_load(value, t->pk, &e);
	if (st != AU_OK) {
		perr(p, p->line, "[trust] %s: %s", name, au_err_str(&e));
		return;
	}
	snprintf(t->name, sizeof(t->name), "%s", name);
	p->c->ntrust++;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	size_t        i;

	if (strcmp(section, "trust") == 0) {
		set_trust(p, name, value);
		return 1;
	}
	if (strcmp(section, "updater") != 0) {
		perr(p, p->line, "unknown section [%s]", section);
		return 1;
	}
	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			break;
	if (i == NKEYS) {
		perr(p, p->line, "unknown key '%s' in [updater]", name);
		return 1;
	}
	if (p->seen[i]++) {
		perr(p, p->line, "duplicate key '%s'", name);
		return 1;
	}
	set_key(p, &keys[i], value);
	return 1;
}

/* Cross-key checks and derived defaults. */
static void
finish(struct parse *p)
{
	struct updater_conf *c = p->c;
	size_t               i;

	for (i = 0; i < NKEYS; i++)
		if (keys[i].required && !p->seen[i])
			perr(p, 0, "missing key '%s' in [updater]",
			    keys[i].name);
	if (c->meta[0] != '\0' && strncmp(c->meta, "tls+tcp://", 10) != 0)
		perr(p, 0, "meta: '%s' is not a tls+tcp:// URL", c->meta);
	if (c->interval_min > c->interval_max)
		perr(p, 0, "interval_min %u is above interval_max %u",
		    c->interval_min, c->interval_max);
	if (c->root[0] != '/' || c->state_dir[0] != '/')
		perr(p, 0, "root and state_dir must be absolute paths");
	if (c->identity[0] == '\0' &&
	    snprintf(c->identity, sizeof(c->identity), "%s/identity.key",
	        c->state_dir) >= (int)sizeof(c->identity))
		perr(p, 0, "state_dir: too long");
	if (rpc_tls_engine_parse(c->tls_engine, &(enum rpc_tls_engine){0}))
		perr(p, 0, "tls_engine: '%s' is not openssl or mbedtls",
		    c->tls_engine);
}

void
updater_conf_defaults(struct updater_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/agent-updater");
	snprintf(c->root, sizeof(c->root), "/opt/agents");
	c->interval_min = 5;
	c->interval_max = 3600;
	c->control_timeout = 30;
	c->start_timeout = 60;
	c->health_window = 30;
	c->supervise_interval = 10;
	c->keep_versions = 2;
	snprintf(c->tls_engine, sizeof(c->tls_engine), "%s",
	    UPDATER_TLS_ENGINE_DEFAULT);
}

enum au_status
updater_conf_load(
    const char *path, struct updater_conf *c, FILE *errs, struct au_err *err)
{
	struct parse p;
	int          r;

	memset(&p, 0, sizeof(p));
	p.c = c;
	p.path = path;
	p.errs = errs;
	updater_conf_defaults(c);
	if ((p.fp = fopen(path, "r")) == NULL)
		return au_err_set(err, fsutil_errno_status(errno), "%s: %s",
		    path, strerror(errno));
	r = ini_parse_stream(reader, &p, handler, &p);
	fclose(p.fp);
	if (r > 0)
		perr(&p, r, "syntax error");
	else if (r < 0)
		perr(&p, 0, "cannot parse (out of memory)");
	finish(&p);
	if (p.nerr > 0)
		return au_err_set(err, AU_INVALID_ARGUMENT, "%s: %d error%s",
		    path, p.nerr, p.nerr == 1 ? "" : "s");
	return AU_OK;
}

enum au_status
updater_conf_check_files(const struct updater_conf *c, struct au_err *err)
{
	struct stat    sb;
	enum au_status st;

	if ((st = fsutil_check_secret(c->key, err)) != AU_OK) {
		au_err_prefix(err, "key");
		return st;
	}
	if (stat(c->identity, &sb) == 0 &&
	    (st = fsutil_check_secret(c->identity, err)) != AU_OK)
		au_err_prefix(err, "identity");
	return st;
}

int
updater_conf_allows(const struct updater_conf *c, const char *agent)
{
	size_t i;

	if (c->nagents == 0)
		return 1;
	for (i = 0; i < c->nagents; i++)
		if (strcmp(c->agents[i], agent) == 0)
			return 1;
	return 0;
}

static void
print_str(FILE *out, const char *key, const char *value)
{
	if (value[0] == '\0')
		fprintf(out, "%s =\n", key);
	else
		fprintf(out, "%s = %s\n", key, value);
}

static void
print_agents(const struct updater_conf *c, FILE *out)
{
	size_t i;

	fprintf(out, "agents =");
	for (i = 0; i < c->nagents; i++)
		fprintf(out, " %s", c->agents[i]);
	fputc('\n', out);
}

void
updater_conf_print(const struct updater_conf *c, FILE *out)
{
	char   hex[2 * SIG_PUBKEY_BYTES + 1];
	size_t i;

	fprintf(out, "[updater]\n");
	for (i = 0; i < NKEYS; i++) {
		if (keys[i].kind == KEY_STR)
			print_str(
			    out, keys[i].name, (const char *)c + keys[i].off);
		else if (keys[i].kind == KEY_U32)
			fprintf(out, "%s = %u\n", keys[i].name,
			    *(const uint32_t *)(const void *)((const char *)c +
			                                      keys[i].off));
		else
			print_agents(c, out);
	}
	fprintf(out, "[trust]\n");
	for (i = 0; i < c->ntrust; i++) {
		sig_hex_encode(
		    hex, sizeof(hex), c->trust[i].pk, SIG_PUBKEY_BYTES);
		fprintf(out, "%s = %s\n", c->trust[i].name, hex);
	}
}
