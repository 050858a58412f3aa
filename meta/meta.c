/* SPDX-License-Identifier: MIT */
/*
 * meta: the daemon context: opening and closing the stores, the config
 * swap on reload, caller identification and the audit helper.
 */
#include "meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authz.h"
#include "blobs.h"
#include "fsutil.h"
#include "log.h"
#include "sig.h"
#include "timeutil.h"

void
meta_reply(void *cd, ProtobufCClosure closure, const void *reply,
    const struct au_err *err)
{
	if (err != NULL && err->code != AU_OK) {
		rpc_call_fail(cd, err->code, "%s", au_err_str(err));
		reply = NULL;
	}
	closure(reply, cd);
}

static void
audit_cb(void *arg, const char *who, const char *action, const char *detail)
{
	meta_audit(arg, who, action, detail, NULL);
}

static uint32_t
running_cb(void *arg, const char *agent, const char *version)
{
	struct meta *m = arg;

	return inv_count_running(m->inv, agent, version);
}

/* The release keys of c as the array blobs wants; caller frees. */
static uint8_t (*release_keys(const struct meta_conf *c))[SIG_PUBKEY_BYTES]
{
	uint8_t(*keys)[SIG_PUBKEY_BYTES];
	size_t i;

	keys = calloc(c->nreleases + 1, sizeof(*keys));
	for (i = 0; keys != NULL && i < c->nreleases; i++)
		memcpy(keys[i], c->releases[i].pk, SIG_PUBKEY_BYTES);
	return keys;
}

static enum au_status
open_blobs(struct meta *m, struct au_err *err)
{
	struct blobs_conf bc;
	enum au_status    code;
	uint8_t(*keys)[SIG_PUBKEY_BYTES] = release_keys(m->conf);

	if (keys == NULL)
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	memset(&bc, 0, sizeof(bc));
	bc.datadir = m->conf->datadir;
	bc.max_package_bytes = m->conf->max_package_size;
	bc.max_downloads = m->conf->max_downloads;
	bc.release_keys = (const uint8_t(*)[SIG_PUBKEY_BYTES])keys;
	bc.nrelease_keys = m->conf->nreleases;
	bc.audit = audit_cb;
	bc.audit_arg = m;
	bc.running = running_cb;
	bc.running_arg = m;
	code = blobs_open(&bc, &m->blobs, err);
	free(keys);
	return code;
}

enum au_status
meta_init(struct meta *m, struct meta_conf *conf, struct au_err *err)
{
	enum au_status code;

	memset(m, 0, sizeof(*m));
	pthread_rwlock_init(&m->conf_lock, NULL);
	m->conf = conf;
	if ((code = store_open(conf->datadir, &m->store, err)) != AU_OK ||
	    (code = inv_new(m->store, &m->inv, err)) != AU_OK ||
	    (code = open_blobs(m, err)) != AU_OK) {
		meta_fini(m);
		return code;
	}
	meta_host_service_init(&m->host, m);
	meta_admin_service_init(&m->admin, m);
	return AU_OK;
}

void
meta_fini(struct meta *m)
{
	blobs_close(m->blobs);
	inv_free(m->inv);
	store_close(m->store);
	meta_conf_free(m->conf);
	pthread_rwlock_destroy(&m->conf_lock);
	memset(m, 0, sizeof(*m));
}

static void
warn_changed(const char *key, const char *old, const char *new)
{
	if (strcmp(old, new) != 0)
		log_warnx(
		    "reload: %s changed; it takes effect at restart", key);
}

void
meta_reload(struct meta *m, struct meta_conf *conf)
{
	struct meta_conf *old;
	uint8_t(*keys)[SIG_PUBKEY_BYTES] = release_keys(conf);
	struct au_err e = AU_ERR_INIT;

	if (keys == NULL || blobs_set_release_keys(m->blobs,
	                        (const uint8_t(*)[SIG_PUBKEY_BYTES])keys,
	                        conf->nreleases, &e) != AU_OK)
		log_warnx("reload: release keys: %s", au_err_str(&e));
	free(keys);
	pthread_rwlock_wrlock(&m->conf_lock);
	old = m->conf;
	m->conf = conf;
	pthread_rwlock_unlock(&m->conf_lock);
	warn_changed("listen", old->listen, conf->listen);
	warn_changed("tls_engine", rpc_tls_engine_name(old->tls_engine),
	    rpc_tls_engine_name(conf->tls_engine));
	warn_changed("ca", old->ca, conf->ca);
	warn_changed("cert", old->cert, conf->cert);
	warn_changed("key", old->key, conf->key);
	warn_changed("datadir", old->datadir, conf->datadir);
	meta_conf_free(old);
}

void
meta_services(struct meta *m, ProtobufCService *out[2])
{
	out[0] = &m->host.base.base;
	out[1] = &m->admin.base.base;
}

static int
find_key(const struct meta_conf_key *k, size_t n, const uint8_t *pk)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (memcmp(k[i].pk, pk, SIG_PUBKEY_BYTES) == 0)
			return (int)i;
	return -1;
}

enum au_status
meta_identify(void *arg, const uint8_t pk[SIG_PUBKEY_BYTES],
    struct au_principal *out, struct au_err *err)
{
	struct meta      *m = arg;
	struct meta_conf *c;
	uint8_t           key[SIG_PUBKEY_BYTES];
	int               i;

	(void)err;
	memcpy(key, pk, SIG_PUBKEY_BYTES); /* pk may point into out */
	memset(out, 0, sizeof(*out));
	memcpy(out->pubkey, key, SIG_PUBKEY_BYTES);
	pk = key;
	sig_key_id(pk, out->key_id);
	out->role = AU_ROLE_HOST;
	snprintf(out->name, sizeof(out->name), "%s", out->key_id);
	pthread_rwlock_rdlock(&m->conf_lock);
	c = m->conf;
	if ((i = find_key(c->admins, c->nadmins, pk)) >= 0) {
		out->role = AU_ROLE_ADMIN;
		snprintf(out->name, sizeof(out->name), "%s", c->admins[i].name);
	} else if ((i = find_key(c->releases, c->nreleases, pk)) >= 0) {
		out->role = AU_ROLE_RELEASE;
		snprintf(
		    out->name, sizeof(out->name), "%s", c->releases[i].name);
	}
	pthread_rwlock_unlock(&m->conf_lock);
	return AU_OK;
}

void
meta_policy(struct meta *m, struct inv_policy *pol, uint32_t *interval_s)
{
	pthread_rwlock_rdlock(&m->conf_lock);
	pol->auto_accept = m->conf->auto_accept;
	pol->stale_after_s = meta_conf_stale_after(m->conf);
	pol->failed_grace_s = meta_conf_failed_grace(m->conf);
	if (interval_s != NULL)
		*interval_s = m->conf->interval_s;
	pthread_rwlock_unlock(&m->conf_lock);
}

enum au_status
meta_audit(struct meta *m, const char *who, const char *action,
    const char *detail, struct au_err *err)
{
	struct store_audit a = {timeutil_wall_ms(), who, action, detail};
	struct au_err      e = AU_ERR_INIT;
	enum au_status     code;

	code = store_audit_add(m->store, &a, &e);
	if (code != AU_OK)
		log_warnx("audit: %s %s %s: %s", who, action,
		    detail != NULL ? detail : "", au_err_str(&e));
	else
		log_info("audit: %s: %s %s", who, action,
		    detail != NULL ? detail : "");
	if (err != NULL && code != AU_OK)
		*err = e;
	return code;
}

/* Read <datadir>/token.key, or make it (32 random bytes, 0600). */
static enum au_status
token_key(
    const char *datadir, uint8_t key[SIG_MAC_KEY_BYTES], struct au_err *err)
{
	char           path[4096], *buf = NULL;
	size_t         len = 0;
	enum au_status code;

	if ((code = fsutil_join(
	         path, sizeof(path), datadir, "token.key", err)) != AU_OK)
		return code;
	code = fsutil_read_file(path, SIG_MAC_KEY_BYTES, &buf, &len, err);
	if (code == AU_NOT_FOUND) {
		sig_random(key, SIG_MAC_KEY_BYTES);
		return fsutil_write_atomic(
		    path, key, SIG_MAC_KEY_BYTES, 0600, err);
	}
	if (code == AU_OK && len != SIG_MAC_KEY_BYTES)
		code = au_err_set(err, AU_DATA_LOSS, "%s: not %d bytes", path,
		    SIG_MAC_KEY_BYTES);
	if (code == AU_OK)
		code = fsutil_check_secret(path, err);
	if (code == AU_OK)
		memcpy(key, buf, SIG_MAC_KEY_BYTES);
	if (buf != NULL)
		sig_memzero(buf, len);
	free(buf);
	return code;
}

enum au_status
meta_serve_start(struct meta *m, struct rpc_server **srv, struct au_err *err)
{
	struct rpc_server_conf rc;
	ProtobufCService      *svcs[2];
	enum au_status         code;

	memset(&rc, 0, sizeof(rc));
	rc.url = m->conf->listen;
	rc.ca_file = m->conf->ca;
	rc.cert_file = m->conf->cert;
	rc.key_file = m->conf->key;
	rc.token_lifetime_s = m->conf->token_lifetime_s;
	rc.skew_s = m->conf->clock_skew_s;
	rc.server_version = AU_VERSION;
	rc.tls_engine = m->conf->tls_engine;
	rc.identify = meta_identify;
	rc.identify_arg = m;
	rc.authorize = authz_authorize;
	if ((code = token_key(m->conf->datadir, rc.token_key, err)) != AU_OK)
		return code;
	meta_services(m, svcs);
	code = rpc_server_new(&rc, svcs, 2, srv, err);
	sig_memzero(rc.token_key, sizeof(rc.token_key));
	if (code == AU_OK && (code = rpc_server_start(*srv, err)) != AU_OK) {
		rpc_server_free(*srv);
		*srv = NULL;
	}
	return code;
}
