/* SPDX-License-Identifier: MIT */
/*
 * manifest: writing and strictly parsing the signed manifest.  The format
 * is in docs/manifest.md.  A manifest is the body, lines "key: value\n" in
 * one fixed order, followed by "signature: <128 hex>\n".  The signature is
 * ed25519 over
 *
 *	MANIFEST_SIG_TAG || hash (32 raw bytes) || body bytes
 *
 * so the tarball's hash is bound both as raw bytes (which a standard tool
 * can compute, b2sum -l 256) and as the hex in the body.  Parsing accepts
 * exactly one spelling of every manifest: no unknown or repeated keys, no
 * leading zeros, lower-case hex only, "\n" line ends, nothing after the
 * signature line.  That keeps the bytes that were signed and the values
 * that are used the same thing.
 */
#include "manifest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum mf_field {
	MF_FORMAT,
	MF_KEY_ID,
	MF_AGENT,
	MF_VERSION,
	MF_SIZE,
	MF_HASH,
	MF_UNPACKED_SIZE,
	MF_ENTRIES,
	MF_CREATED,
	MF_EXPIRES,
	MF_HEALTH_WINDOW,
	MF_SIGNATURE,
	MF_COUNT
};

static const struct {
	const char *key;
	int         optional;
} mf_fields[MF_COUNT] = {
    [MF_FORMAT] = {"format", 0},
    [MF_KEY_ID] = {"key_id", 0},
    [MF_AGENT] = {"agent", 0},
    [MF_VERSION] = {"version", 0},
    [MF_SIZE] = {"size", 0},
    [MF_HASH] = {"hash", 0},
    [MF_UNPACKED_SIZE] = {"unpacked_size", 0},
    [MF_ENTRIES] = {"entries", 0},
    [MF_CREATED] = {"created", 0},
    [MF_EXPIRES] = {"expires", 1},
    [MF_HEALTH_WINDOW] = {"health_window", 1},
    [MF_SIGNATURE] = {"signature", 0},
};

/* One parsed line: key and value point into the caller's buffer. */
struct mf_line {
	const char *key;
	size_t      keylen;
	const char *val;
	size_t      vallen;
	size_t      next; /* offset just past the '\n' */
};

struct mf_parse {
	struct manifest m;
	uint8_t         sig[SIG_BYTES];
	size_t          bodylen;
	int             lineno;
};

static enum au_status parse_line(const char *buf, size_t len, size_t off,
    int lineno, struct mf_line *ln, struct au_err *err);
static enum au_status parse_u64(const char *s, size_t n, uint64_t *out);
static enum au_status parse_hex(
    const char *s, size_t n, uint8_t *out, size_t outlen);
static enum au_status set_field(struct mf_parse *p, enum mf_field f,
    const struct mf_line *ln, struct au_err *err);
static enum au_status parse_all(
    const char *buf, size_t len, struct mf_parse *p, struct au_err *err);
static int    field_index(const char *key, size_t keylen);
static size_t build_message(uint8_t *msg, size_t msgsz,
    const uint8_t hash[SIG_HASH_BYTES], const char *body, size_t bodylen);
static int    write_body(
       char *out, size_t outsz, const struct manifest *m, const char *key_id);

enum au_status
manifest_check_name(const char *name, struct au_err *err)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > MANIFEST_NAME_MAX)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "agent name must be 1 to %d characters", MANIFEST_NAME_MAX);
	for (i = 0; i < n; i++) {
		char c = name[i];
		int  ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (i > 0 && (c == '_' || c == '.' || c == '-'))
			ok = 1;
		if (!ok)
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "agent name \"%.64s\" must match "
			    "[a-z0-9][a-z0-9_.-]*",
			    name);
	}
	return AU_OK;
}

enum au_status
manifest_check_version(const char *version, struct au_err *err)
{
	size_t      n = strlen(version);
	const char *p = version;
	int         digits = 0;

	if (n == 0 || n > MANIFEST_VERSION_MAX)
		goto bad;
	/* Dotted numbers: digits ('.' digits)*. */
	for (; *p != '\0' && *p != '-'; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (*p == '.' && digits > 0)
			digits = 0;
		else
			goto bad;
	}
	if (digits == 0)
		goto bad;
	if (*p == '\0')
		return AU_OK;
	/* An optional suffix: '-' [A-Za-z0-9.]+ */
	if (*++p == '\0')
		goto bad;
	for (; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || *p == '.'))
			goto bad;
	return AU_OK;
bad:
	return au_err_set(err, AU_INVALID_ARGUMENT,
	    "version \"%.64s\" must be dotted numbers with an optional "
	    "-suffix (1.4.2, 2.0.0-rc1)",
	    version);
}

static int
write_body(
    char *out, size_t outsz, const struct manifest *m, const char *key_id)
{
	char hash[2 * SIG_HASH_BYTES + 1];
	int  n, e = 0;

	sig_hex_encode(hash, sizeof(hash), m->hash, SIG_HASH_BYTES);
	n = snprintf(out, outsz,
	    "format: %d\nkey_id: %s\nagent: %s\nversion: %s\nsize: %llu\n"
	    "hash: %s\nunpacked_size: %llu\nentries: %llu\ncreated: %llu\n",
	    m->format, key_id, m->agent, m->version,
	    (unsigned long long)m->size, hash,
	    (unsigned long long)m->unpacked_size,
	    (unsigned long long)m->entries, (unsigned long long)m->created);
	if (n < 0 || (size_t)n >= outsz)
		return -1;
	if (m->expires != 0)
		e = snprintf(out + n, outsz - (size_t)n, "expires: %llu\n",
		    (unsigned long long)m->expires);
	if (e < 0 || (size_t)(n + e) >= outsz)
		return -1;
	n += e;
	e = 0;
	if (m->health_window != 0)
		e = snprintf(out + n, outsz - (size_t)n, "health_window: %u\n",
		    (unsigned)m->health_window);
	if (e < 0 || (size_t)(n + e) >= outsz)
		return -1;
	return n + e;
}

static size_t
build_message(uint8_t *msg, size_t msgsz, const uint8_t hash[SIG_HASH_BYTES],
    const char *body, size_t bodylen)
{
	size_t taglen = strlen(MANIFEST_SIG_TAG);

	if (taglen + SIG_HASH_BYTES + bodylen > msgsz)
		return 0;
	memcpy(msg, MANIFEST_SIG_TAG, taglen);
	memcpy(msg + taglen, hash, SIG_HASH_BYTES);
	memcpy(msg + taglen + SIG_HASH_BYTES, body, bodylen);
	return taglen + SIG_HASH_BYTES + bodylen;
}

enum au_status
manifest_sign(const struct manifest *m, const uint8_t sk[SIG_SECKEY_BYTES],
    char **out, size_t *outlen, struct au_err *err)
{
	char           buf[MANIFEST_MAX_BYTES], key_id[SIG_KEYID_HEX_BYTES];
	uint8_t        msg[MANIFEST_MAX_BYTES + 64], pk[SIG_PUBKEY_BYTES];
	uint8_t        sig[SIG_BYTES];
	size_t         msglen, total;
	int            n;
	enum au_status st;

	*out = NULL;
	if (m->format != MANIFEST_FORMAT)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "manifest: unsupported format %d", m->format);
	if ((st = manifest_check_name(m->agent, err)) != AU_OK ||
	    (st = manifest_check_version(m->version, err)) != AU_OK) {
		au_err_prefix(err, "manifest");
		return st;
	}
	if (m->expires != 0 && m->expires <= m->created)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "manifest %s %s: expires before it was created", m->agent,
		    m->version);
	if (m->health_window > MANIFEST_HEALTH_WINDOW_MAX)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "manifest %s %s: health window above %d s", m->agent,
		    m->version, MANIFEST_HEALTH_WINDOW_MAX);
	sig_sk_to_pk(sk, pk);
	sig_key_id(pk, key_id);
	if ((n = write_body(buf, sizeof(buf), m, key_id)) < 0)
		return au_err_set(err, AU_INTERNAL, "manifest: too long");
	msglen = build_message(msg, sizeof(msg), m->hash, buf, (size_t)n);
	sig_sign_detached(sig, msg, msglen, sk);
	total = (size_t)n + strlen("signature: ") + 2 * SIG_BYTES + 1;
	if (total > MANIFEST_MAX_BYTES)
		return au_err_set(err, AU_INTERNAL, "manifest: too long");
	if ((*out = malloc(total + 1)) == NULL)
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "manifest: %s",
		    strerror(ENOMEM));
	memcpy(*out, buf, (size_t)n);
	memcpy(*out + n, "signature: ", strlen("signature: "));
	sig_hex_encode(*out + n + strlen("signature: "), 2 * SIG_BYTES + 1, sig,
	    SIG_BYTES);
	(*out)[total - 1] = '\n';
	(*out)[total] = '\0';
	*outlen = total;
	return AU_OK;
}

static enum au_status
parse_line(const char *buf, size_t len, size_t off, int lineno,
    struct mf_line *ln, struct au_err *err)
{
	const char *nl, *colon;
	size_t      n;

	nl = memchr(buf + off, '\n', len - off);
	if (nl == NULL)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "manifest: line %d: not terminated by a newline", lineno);
	n = (size_t)(nl - (buf + off));
	colon = memchr(buf + off, ':', n);
	/* The key is non-empty and ": " fits before the newline. */
	if (colon == NULL || colon == buf + off ||
	    (size_t)(colon - (buf + off)) + 2 > n || colon[1] != ' ')
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "manifest: line %d: expected \"key: value\"", lineno);
	ln->key = buf + off;
	ln->keylen = (size_t)(colon - ln->key);
	ln->val = colon + 2;
	ln->vallen = (size_t)(nl - ln->val);
	ln->next = off + n + 1;
	if (ln->vallen == 0 || memchr(ln->val, '\0', ln->vallen) != NULL ||
	    ln->val[0] == ' ' || ln->val[ln->vallen - 1] == ' ' ||
	    ln->val[ln->vallen - 1] == '\r')
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "manifest: line %d: bad value for \"%.*s\"", lineno,
		    (int)(ln->keylen > 32 ? 32 : ln->keylen), ln->key);
	return AU_OK;
}

/* Decimal without sign, leading zeros or overflow. */
static enum au_status
parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t   i;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return AU_INVALID_ARGUMENT;
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9')
			return AU_INVALID_ARGUMENT;
		if (v > (UINT64_MAX - d) / 10)
			return AU_INVALID_ARGUMENT;
		v = v * 10 + d;
	}
	*out = v;
	return AU_OK;
}

/* Exactly 2 * outlen lower-case hex digits. */
static enum au_status
parse_hex(const char *s, size_t n, uint8_t *out, size_t outlen)
{
	size_t i;

	if (n != 2 * outlen)
		return AU_INVALID_ARGUMENT;
	for (i = 0; i < n; i++) {
		char c = s[i];
		int  v = c >= '0' && c <= '9'   ? c - '0'
		         : c >= 'a' && c <= 'f' ? c - 'a' + 10
		                                : -1;

		if (v < 0)
			return AU_INVALID_ARGUMENT;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
	}
	return AU_OK;
}

static enum au_status
parse_text(const struct mf_line *ln, char *out, size_t outsz,
    enum au_status (*check)(const char *, struct au_err *), struct au_err *err)
{
	if (ln->vallen >= outsz)
		return au_err_set(err, AU_INVALID_ARGUMENT, "%.*s too long",
		    (int)ln->keylen, ln->key);
	memcpy(out, ln->val, ln->vallen);
	out[ln->vallen] = '\0';
	return check(out, err);
}

static enum au_status
set_field(struct mf_parse *p, enum mf_field f, const struct mf_line *ln,
    struct au_err *err)
{
	struct manifest *m = &p->m;
	uint64_t         v = 0;
	uint8_t          id[(SIG_KEYID_HEX_BYTES - 1) / 2];
	enum au_status   st = AU_OK;

	switch (f) {
	case MF_FORMAT:
		if (parse_u64(ln->val, ln->vallen, &v) != AU_OK ||
		    v != MANIFEST_FORMAT)
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "unsupported format \"%.*s\"",
			    (int)(ln->vallen > 16 ? 16 : ln->vallen), ln->val);
		m->format = (int)v;
		return AU_OK;
	case MF_KEY_ID:
		st = parse_hex(ln->val, ln->vallen, id, sizeof(id));
		if (st == AU_OK)
			memcpy(m->key_id, ln->val, ln->vallen);
		break;
	case MF_AGENT:
		return parse_text(
		    ln, m->agent, sizeof(m->agent), manifest_check_name, err);
	case MF_VERSION:
		return parse_text(ln, m->version, sizeof(m->version),
		    manifest_check_version, err);
	case MF_SIZE:
		st = parse_u64(ln->val, ln->vallen, &m->size);
		break;
	case MF_HASH:
		st = parse_hex(ln->val, ln->vallen, m->hash, SIG_HASH_BYTES);
		break;
	case MF_UNPACKED_SIZE:
		st = parse_u64(ln->val, ln->vallen, &m->unpacked_size);
		break;
	case MF_ENTRIES:
		st = parse_u64(ln->val, ln->vallen, &m->entries);
		break;
	case MF_CREATED:
		st = parse_u64(ln->val, ln->vallen, &m->created);
		break;
	case MF_EXPIRES:
		st = parse_u64(ln->val, ln->vallen, &m->expires);
		if (st == AU_OK && m->expires <= m->created)
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "expires before it was created");
		break;
	case MF_HEALTH_WINDOW:
		st = parse_u64(ln->val, ln->vallen, &v);
		if (st == AU_OK && (v == 0 || v > MANIFEST_HEALTH_WINDOW_MAX))
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "health_window not in 1..%d",
			    MANIFEST_HEALTH_WINDOW_MAX);
		m->health_window = (uint32_t)v;
		break;
	case MF_SIGNATURE:
		st = parse_hex(ln->val, ln->vallen, p->sig, SIG_BYTES);
		break;
	case MF_COUNT:
		return au_err_set(err, AU_INTERNAL, "bad field");
	}
	if (st != AU_OK)
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "bad %s value", mf_fields[f].key);
	return AU_OK;
}

static int
field_index(const char *key, size_t keylen)
{
	int i;

	for (i = 0; i < MF_COUNT; i++)
		if (strlen(mf_fields[i].key) == keylen &&
		    memcmp(mf_fields[i].key, key, keylen) == 0)
			return i;
	return -1;
}

static enum au_status
parse_all(const char *buf, size_t len, struct mf_parse *p, struct au_err *err)
{
	struct mf_line ln;
	size_t         off = 0;
	int            f = 0, k;

	memset(p, 0, sizeof(*p));
	memset(&ln, 0, sizeof(ln));
	if (len > MANIFEST_MAX_BYTES)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "manifest: larger than %d bytes", MANIFEST_MAX_BYTES);
	while (f < MF_COUNT) {
		p->lineno++;
		if (off == len)
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "manifest: missing \"%s\"", mf_fields[f].key);
		if (parse_line(buf, len, off, p->lineno, &ln, err) != AU_OK)
			return AU_INVALID_ARGUMENT;
		k = field_index(ln.key, ln.keylen);
		while (k != f && f < MF_COUNT && mf_fields[f].optional)
			f++;
		if (k < 0)
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "manifest: line %d: unknown key \"%.*s\"",
			    p->lineno, (int)(ln.keylen > 32 ? 32 : ln.keylen),
			    ln.key);
		if (k != f)
			return au_err_set(err, AU_INVALID_ARGUMENT,
			    "manifest: line %d: \"%s\" repeated or out of "
			    "order",
			    p->lineno, mf_fields[k].key);
		if (f == MF_SIGNATURE)
			p->bodylen = off;
		if (set_field(p, (enum mf_field)f, &ln, err) != AU_OK) {
			au_err_prefix(err, "manifest: line %d", p->lineno);
			return AU_INVALID_ARGUMENT;
		}
		off = ln.next;
		f++;
	}
	if (off != len)
		return au_err_set(err, AU_INVALID_ARGUMENT,
		    "manifest %s %s: data after the signature", p->m.agent,
		    p->m.version);
	return AU_OK;
}

enum au_status
manifest_parse(
    const char *buf, size_t len, struct manifest *m, struct au_err *err)
{
	struct mf_parse p;

	if (parse_all(buf, len, &p, err) != AU_OK)
		return AU_INVALID_ARGUMENT;
	*m = p.m;
	return AU_OK;
}

enum au_status
manifest_verify(const char *buf, size_t                len,
    const uint8_t (*trusted)[SIG_PUBKEY_BYTES], size_t n, struct manifest *m,
    struct au_err *err)
{
	struct mf_parse p;
	uint8_t         msg[MANIFEST_MAX_BYTES + 64];
	size_t          msglen, i;
	char            id[SIG_KEYID_HEX_BYTES];

	if (parse_all(buf, len, &p, err) != AU_OK)
		return AU_INVALID_ARGUMENT;
	msglen = build_message(msg, sizeof(msg), p.m.hash, buf, p.bodylen);
	for (i = 0; i < n; i++) {
		if (sig_verify_detached(p.sig, msg, msglen, trusted[i]) !=
		    AU_OK)
			continue;
		sig_key_id(trusted[i], id);
		if (strcmp(id, p.m.key_id) != 0)
			return au_err_set(err, AU_UNAUTHENTICATED,
			    "manifest %s %s: key_id %s is not the signing "
			    "key %s",
			    p.m.agent, p.m.version, p.m.key_id, id);
		memcpy(p.m.key_pub, trusted[i], SIG_PUBKEY_BYTES);
		*m = p.m;
		return AU_OK;
	}
	for (i = 0; i < n; i++) {
		sig_key_id(trusted[i], id);
		if (strcmp(id, p.m.key_id) == 0)
			return au_err_set(err, AU_UNAUTHENTICATED,
			    "manifest %s %s: bad signature by key %s",
			    p.m.agent, p.m.version, id);
	}
	return au_err_set(err, AU_UNAUTHENTICATED,
	    "manifest %s %s: signed by unknown key %s", p.m.agent, p.m.version,
	    p.m.key_id);
}

enum au_status
manifest_check(const struct manifest *m, const char *agent, const char *version,
    uint64_t now, struct au_err *err)
{
	if (strcmp(m->agent, agent) != 0 || strcmp(m->version, version) != 0)
		return au_err_set(err, AU_FAILED_PRECONDITION,
		    "manifest %s %s: expected %.64s %.64s", m->agent,
		    m->version, agent, version);
	if (m->expires != 0 && now >= m->expires)
		return au_err_set(err, AU_FAILED_PRECONDITION,
		    "manifest %s %s: expired at %llu", m->agent, m->version,
		    (unsigned long long)m->expires);
	return AU_OK;
}
