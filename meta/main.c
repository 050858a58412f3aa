/* SPDX-License-Identifier: MIT */
/*
 * meta: the fleet's central server.  Parses argv, loads meta.conf, opens
 * the stores, serves the host and admin services over the RPC layer, and
 * waits for signals: SIGTERM/SIGINT stop (finish calls in flight, flush,
 * exit 0), SIGHUP reloads the config (the old one stays when the new one
 * does not parse).
 */
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authz.h"
#include "fsutil.h"
#include "log.h"
#include "meta.h"
#include "sig.h"

#define DEFAULT_CONF "/etc/agent-updater/meta.conf"

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: meta [-dnv] [-c file]\n");
	exit(2);
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

static void
write_port(const char *datadir, int port)
{
	char path[4096], text[16];
	int  n = snprintf(text, sizeof(text), "%d\n", port);

	if (fsutil_join(path, sizeof(path), datadir, "meta.port", NULL) !=
	        AU_OK ||
	    fsutil_write_atomic(path, text, (size_t)n, 0644, NULL) != AU_OK)
		log_warnx("%s: cannot write the port", path);
}

static enum au_status
serve_start(struct meta *m, struct rpc_server **srv, struct au_err *err)
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

static void
reload(struct meta *m, const char *path)
{
	struct meta_conf *nc = NULL;
	struct au_err     err = AU_ERR_INIT;

	if (meta_conf_load(path, NULL, &nc, &err) != AU_OK ||
	    meta_conf_check_files(nc, &err) != AU_OK) {
		log_warnx(
		    "reload: %s; keeping the running config", au_err_str(&err));
		meta_conf_free(nc);
		return;
	}
	meta_reload(m, nc);
	log_info("reload: %s loaded", path);
}

/* Wait for signals until told to stop. */
static void
signal_loop(struct meta *m, const char *path, const sigset_t *set)
{
	int signo;

	for (;;) {
		if (sigwait(set, &signo) != 0)
			continue;
		if (signo == SIGHUP) {
			reload(m, path);
			continue;
		}
		log_info("signal %d: stopping", signo);
		return;
	}
}

int
main(int argc, char *argv[])
{
	const char        *path = DEFAULT_CONF;
	struct meta_conf  *conf = NULL;
	struct meta        m;
	struct rpc_server *srv = NULL;
	struct au_err      err = AU_ERR_INIT;
	sigset_t           set;
	int                ch, foreground = 0, check = 0, verbose = 0;

	while ((ch = getopt(argc, argv, "c:dnv")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			foreground = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	umask(027); /* the database and logs are not for everyone */
	log_init("meta", foreground || check, verbose);
	if (sig_init() != AU_OK)
		fatalx("libsodium failed to initialize");
	if (meta_conf_load(path, stderr, &conf, &err) != AU_OK) {
		fprintf(stderr, "meta: %s\n", au_err_str(&err));
		return 1;
	}
	if (check) {
		if (verbose)
			meta_conf_print(conf, stdout);
		else
			fprintf(stderr, "meta: %s: configuration OK\n", path);
		meta_conf_free(conf);
		return 0;
	}
	if (meta_conf_check_files(conf, &err) != AU_OK)
		fatalx("%s", au_err_str(&err));
	if (!foreground && daemon(1, 0) != 0)
		fatal("daemon");
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (meta_init(&m, conf, &err) != AU_OK)
		fatalx("%s", au_err_str(&err));
	if (serve_start(&m, &srv, &err) != AU_OK)
		fatalx("%s", au_err_str(&err));
	write_port(m.conf->datadir, rpc_server_port(srv));
	log_info("serving on %s (port %d), %zu hosts", m.conf->listen,
	    rpc_server_port(srv), inv_count(m.inv));
	signal_loop(&m, path, &set);
	rpc_server_stop(srv);
	rpc_server_free(srv);
	meta_fini(&m);
	log_info("stopped");
	return 0;
}
