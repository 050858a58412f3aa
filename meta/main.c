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

#include "fsutil.h"
#include "log.h"
#include "meta.h"
#include "sig.h"

#define DEFAULT_CONF "/etc/agent-updater/meta.conf"

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: meta [-dhnv] [-c file]\n");
	exit(2);
}

static void __attribute__((noreturn)) help(void)
{
	printf("usage: meta [-dhnv] [-c file]\n\n"
	       "The agent-updater fleet server.\n\n"
	       "  -c file  configuration (default %s)\n"
	       "  -d       stay in the foreground, log to stderr\n"
	       "  -n       check the configuration and exit; with -v also "
	       "print it\n"
	       "  -v       more verbose logging (repeat for more)\n"
	       "  -h       this help\n\n"
	       "Signals: SIGHUP reloads the configuration; SIGTERM and SIGINT\n"
	       "finish the requests in flight, flush and exit 0.\n"
	       "Exit status: 0 clean shutdown or valid -n check, 1 error, 2 "
	       "usage.  See meta(8), meta.conf(5).\n",
	    DEFAULT_CONF);
	exit(0);
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

/* -n: report (or with -v print) the config; the exit status. */
static int
check_only(struct meta_conf *conf, const char *path, int verbose)
{
	if (verbose)
		meta_conf_print(conf, stdout);
	else
		fprintf(stderr, "meta: %s: configuration OK\n", path);
	meta_conf_free(conf);
	return 0;
}

/* Block the signals signal_loop() waits for, in every thread to come. */
static void
block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
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

	while ((ch = getopt(argc, argv, "c:dhnv")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			help();
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
	if (check)
		return check_only(conf, path, verbose);
	if (meta_conf_check_files(conf, &err) != AU_OK)
		fatalx("%s", au_err_str(&err));
	if (!foreground && daemon(1, 0) != 0)
		fatal("daemon");
	block_signals(&set);
	if (meta_init(&m, conf, &err) != AU_OK)
		fatalx("%s", au_err_str(&err));
	if (meta_serve_start(&m, &srv, &err) != AU_OK)
		fatalx("%s", au_err_str(&err));
	write_port(m.conf->datadir, rpc_server_port(srv));
	log_info("serving on %s (port %d), %zu hosts", m.conf->listen,
	    rpc_server_port(srv), inv_count(m.inv));
	signal_loop(&m, path, &set);
	if (!rpc_server_stop(srv)) {
		/* Handlers may still run: save the inventory, free nothing. */
		inv_flush(m.inv);
		log_warnx("stopped without freeing (see the warning above)");
		return 0;
	}
	rpc_server_free(srv);
	meta_fini(&m);
	log_info("stopped");
	return 0;
}
