/* SPDX-License-Identifier: MIT */
/*
 * updater: the host daemon.  Parses argv, loads updater.conf, and runs one
 * of: the daemon loop, one cycle (--once), the local status report
 * (status) or a configuration check (-n, -nv).  See updater(8).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "sig.h"
#include "status.h"
#include "updater.h"

#define UPDATER_CONF_DEFAULT "/etc/agent-updater/updater.conf"

struct opts {
	const char *conf;
	int         foreground;
	int         noaction;
	int         verbose;
	int         once;
	int         status;
};

static volatile sig_atomic_t quit;

static void usage(void) __attribute__((noreturn));
static void help(void) __attribute__((noreturn));
static void on_signal(int sig);
static void parse_args(int argc, char **argv, struct opts *o);
static int  run_daemon(const struct opts *o, const struct updater_conf *c);

static void
usage(void)
{
	fprintf(stderr, "usage: updater [-dhnv] [-c file] [--once] [status]\n");
	exit(2);
}

static void
help(void)
{
	printf("usage: updater [-dhnv] [-c file] [--once] [status]\n\n"
	       "The agent-updater host daemon.\n\n"
	       "  -c file  configuration (default %s)\n"
	       "  -d       stay in the foreground, log to stderr\n"
	       "  -n       check the configuration and exit; with -v also "
	       "print it\n"
	       "  -v       more verbose logging (repeat for more)\n"
	       "  --once   one heartbeat-and-converge cycle and a last "
	       "heartbeat, then\n"
	       "           exit: 0 when every agent converged, 1 otherwise\n"
	       "  status   show installed versions, the running one and the "
	       "last\n"
	       "           action of each agent, without asking meta\n"
	       "  -h, --help  this help\n\n"
	       "Exit status: 0 success, 1 failure, 2 usage.  See updater(8), "
	       "updater.conf(5).\n",
	    UPDATER_CONF_DEFAULT);
	exit(0);
}

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"once", no_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->conf = UPDATER_CONF_DEFAULT;
	while ((ch = getopt_long(argc, argv, "c:dhnv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->conf = optarg;
			break;
		case 'd':
			o->foreground = 1;
			break;
		case 'n':
			o->noaction = 1;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'o':
			o->once = 1;
			break;
		case 'h':
			help();
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 1 && strcmp(argv[0], "status") == 0)
		o->status = 1;
	else if (argc != 0)
		usage();
	if (o->once + o->status + o->noaction > 1)
		usage();
}

static int
run_daemon(const struct opts *o, const struct updater_conf *c)
{
	struct updater  *u;
	struct au_err    e = AU_ERR_INIT;
	struct sigaction sa;
	uint32_t         retry;
	int              conv = 0;
	enum au_status   st;

	/* Detach before nng starts its threads. */
	if (!o->foreground && !o->once && daemon(0, 0) != 0)
		fatal("daemon");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: waits end at once */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((u = calloc(1, sizeof(*u))) == NULL)
		fatal("calloc");
	if ((st = updater_open(u, c, &e)) != AU_OK)
		fatalx("%s", au_err_str(&e));
	log_info("host %s: updater %s starting, meta %s, root %s", u->hostname,
	    AU_VERSION, c->meta, c->root);
	updater_recover(u);
	if (o->once) {
		st = updater_cycle(u, &conv, &retry, &e);
		if (st != AU_OK)
			log_warnx("host %s: %s", u->hostname, au_err_str(&e));
		/* One last heartbeat, so meta sees what was done. */
		else if (updater_heartbeat(u, &e) != AU_OK)
			log_warnx("host %s: last heartbeat: %s", u->hostname,
			    au_err_str(&e));
	} else
		updater_run(u, &quit);
	updater_close(u);
	free(u);
	return o->once ? (st == AU_OK && conv ? 0 : 1) : 0;
}

int
main(int argc, char **argv)
{
	struct updater_conf *c;
	struct opts          o;
	struct au_err        e = AU_ERR_INIT;
	int                  rc;

	parse_args(argc, argv, &o);
	log_init("updater", o.foreground || o.once || o.status || o.noaction,
	    o.verbose);
	if (sig_init() != AU_OK)
		fatalx("libsodium initialization failed");
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("calloc");
	if (updater_conf_load(o.conf, c, stderr, &e) != AU_OK ||
	    updater_conf_hostname(c, &e) != AU_OK) {
		fprintf(stderr, "updater: %s\n", au_err_str(&e));
		return 1;
	}
	if (o.status) {
		rc = status_print(c, stdout, &e) == AU_OK ? 0 : 1;
		if (rc)
			fprintf(
			    stderr, "updater: status: %s\n", au_err_str(&e));
	} else if (updater_conf_check_files(c, &e) != AU_OK) {
		fprintf(stderr, "updater: %s\n", au_err_str(&e));
		rc = 1;
	} else if (o.noaction) {
		if (o.verbose)
			updater_conf_print(c, stdout);
		else
			fprintf(stderr, "configuration OK\n");
		rc = 0;
	} else
		rc = run_daemon(&o, c);
	free(c);
	return rc;
}
