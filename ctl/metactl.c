/* SPDX-License-Identifier: MIT */
/*
 * metactl: global options, the command table, help, and the context the
 * handlers share (see metactl.h and ctl.h).
 */
#include "metactl.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_conf.h"
#include "sig.h"

struct ctl {
	const char        *conf_arg; /* -c FILE, or NULL */
	int                json;
	int                conf_loaded;
	struct ctl_conf    conf;
	struct rpc_client *client;
};

/* The one command table: the groups in the order --help lists them. */
static const struct ctl_cmd *const groups[] = {
    ctl_cmds_meta,
    ctl_cmds_hosts,
    ctl_cmds_version,
    ctl_cmds_rollout,
    ctl_cmds_release,
};
#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

#define USAGE "usage: metactl [-j] [-c file] command [argument ...]\n"

static const struct ctl_cmd *find_cmd(int argc, char **argv, int *words);
static void                  print_usage(FILE *f);
static void                  print_help(void);
static void                  print_synopsis(void);
static int                   wants_help(int argc, char **argv);
static int                   group_usage(int argc, char **argv);
static int                   run(struct ctl *ctl, int argc, char **argv);
static int                   finish(struct ctl *ctl, int rc);
static enum au_status        connect_meta(struct ctl *ctl, struct au_err *err);
static void                  vsay(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));

static void
print_usage(FILE *f)
{
	fputs(USAGE, f);
}

static void
print_help(void)
{
	print_usage(stdout);
	fputs("\nCommands:\n", stdout);
	for (size_t g = 0; g < NGROUPS; g++)
		for (const struct ctl_cmd *c = groups[g]; c->name != NULL; c++)
			printf("  %-16s %s\n", c->name, c->summary);
	fputs("\nOptions:\n"
	      "  -c FILE        configuration (default: $METACTL_CONFIG,\n"
	      "                 ./metactl.conf, " CTL_CONF_DEFAULT_PATH ")\n"
	      "  -j, --json     print JSON instead of text\n"
	      "  -h, --help     this help; see also metactl COMMAND --help\n"
	      "  -V, --version  print metactl's version\n"
	      "\nExit status: 0 success, 1 the operation failed, 2 usage "
	      "error.\n",
	    stdout);
}

/* One line per command, "name args": what the man page's SYNOPSIS lists
 * (checked by the integration test). */
static void
print_synopsis(void)
{
	for (size_t g = 0; g < NGROUPS; g++)
		for (const struct ctl_cmd *c = groups[g]; c->name != NULL; c++)
			printf(
			    "%s%s%s\n", c->name, *c->args ? " " : "", c->args);
}

/* The command at argv[0] (two words first: "hosts accept"). */
static const struct ctl_cmd *
find_cmd(int argc, char **argv, int *words)
{
	const struct ctl_cmd *one = NULL;
	size_t                len = strlen(argv[0]);

	for (size_t g = 0; g < NGROUPS; g++) {
		for (const struct ctl_cmd *c = groups[g]; c->name != NULL;
		     c++) {
			if (strcmp(c->name, argv[0]) == 0)
				one = c;
			else if (argc > 1 &&
			         strncmp(c->name, argv[0], len) == 0 &&
			         c->name[len] == ' ' &&
			         strcmp(c->name + len + 1, argv[1]) == 0) {
				*words = 2;
				return c;
			}
		}
	}
	*words = 1;
	return one;
}

static int
wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    (argc == 2 && strcmp(argv[i], "-h") == 0))
			return 1;
	return 0;
}

/* argv[0] names a group of two-word commands ("rollout") but no command
 * of its own: list the group's usage lines, on stdout with --help (exit
 * 0), else on stderr after what is wrong (exit 2).  -1: not a group. */
static int
group_usage(int argc, char **argv)
{
	size_t      len = strlen(argv[0]);
	int         help = wants_help(argc, argv), n = 0;
	FILE       *f = help ? stdout : stderr;
	const char *lead = "usage:";

	for (int pass = 0; pass < 2; pass++) {
		for (size_t g = 0; g < NGROUPS; g++) {
			for (const struct ctl_cmd *c = groups[g];
			     c->name != NULL; c++) {
				if (strncmp(c->name, argv[0], len) != 0 ||
				    c->name[len] != ' ')
					continue;
				if (pass == 0) {
					n++;
					continue;
				}
				fprintf(f, "%s metactl %s %s\n", lead, c->name,
				    c->args);
				lead = "      ";
			}
		}
		if (n == 0)
			return -1;
		if (pass == 0 && !help && argc > 1)
			fprintf(stderr,
			    "metactl: %s: unknown subcommand '%s'\n", argv[0],
			    argv[1]);
		else if (pass == 0 && !help)
			fprintf(stderr, "metactl: %s: a subcommand is needed\n",
			    argv[0]);
	}
	return help ? CTL_EXIT_OK : CTL_EXIT_USAGE;
}

static int
run(struct ctl *ctl, int argc, char **argv)
{
	const struct ctl_cmd *cmd;
	int                   words, rc;

	cmd = find_cmd(argc, argv, &words);
	if (cmd == NULL && (rc = group_usage(argc, argv)) >= 0)
		return rc;
	if (cmd == NULL) {
		fprintf(stderr, "metactl: unknown command '%s'\n", argv[0]);
		print_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	argc -= words - 1;
	argv += words - 1;
	if (wants_help(argc, argv))
		return ctl_help(ctl, cmd);
	optind = 0; /* glibc: start over, argv[0] being the command */
	return cmd->handler(ctl, cmd, argc, argv);
}

int
metactl_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"config", required_argument, NULL, 'c'},
	    {"synopsis", no_argument, NULL, 'S'},
	    {NULL, 0, NULL, 0},
	};
	struct ctl ctl = {0};
	int        ch, rc = -1;

	optind = 0;
	while (rc < 0 &&
	       (ch = getopt_long(argc, argv, "+c:jhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			ctl.conf_arg = optarg;
			break;
		case 'j':
			ctl.json = 1;
			break;
		case 'h':
			print_help();
			rc = CTL_EXIT_OK;
			break;
		case 'V':
			printf("metactl %s (protocol %d)\n", AU_VERSION,
			    RPC_PROTOCOL_VERSION);
			rc = CTL_EXIT_OK;
			break;
		case 'S':
			print_synopsis();
			rc = CTL_EXIT_OK;
			break;
		default:
			print_usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (rc < 0 && optind >= argc) {
		print_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (rc < 0)
		rc = run(&ctl, argc - optind, argv + optind);
	rpc_client_free(ctl.client);
	ctl_conf_fini(&ctl.conf);
	return finish(&ctl, rc);
}

/* Flush stdout: a write error fails the command (quietly when the reader
 * went away, as in `metactl hosts | head`). */
static int
finish(struct ctl *ctl, int rc)
{
	if (fflush(stdout) == 0 || rc != CTL_EXIT_OK)
		return rc;
	if (errno == EPIPE)
		return CTL_EXIT_FAIL;
	return ctl_fail(ctl, "stdout: %s", strerror(errno));
}

static enum au_status
connect_meta(struct ctl *ctl, struct au_err *err)
{
	struct rpc_client_conf cc = {0};
	const char            *path = ctl_conf_path(ctl->conf_arg);
	int            missing_ok = strcmp(path, CTL_CONF_DEFAULT_PATH) == 0;
	enum au_status st;

	if (!ctl->conf_loaded) {
		ctl->conf_loaded = 1;
		st = ctl_conf_load(path, missing_ok, &ctl->conf, stderr, err);
		if (st != AU_OK)
			return st;
	}
	if ((st = ctl_conf_check(&ctl->conf, err)) != AU_OK)
		return st;
	st = sig_seckey_load(ctl->conf.identity, cc.identity_sk, err);
	if (st != AU_OK) {
		sig_memzero(cc.identity_sk, sizeof(cc.identity_sk));
		au_err_prefix(err, "identity");
		return st;
	}
	cc.url = ctl->conf.meta;
	cc.ca_file = ctl->conf.ca;
	cc.cert_file = ctl->conf.cert;
	cc.key_file = ctl->conf.key;
	cc.server_name = ctl->conf.server_name;
	cc.timeout_ms = ctl->conf.timeout_s * 1000;
	cc.tls_engine = ctl->conf.tls_engine;
	st = rpc_client_new(&cc, &ctl->client, err);
	sig_memzero(cc.identity_sk, sizeof(cc.identity_sk));
	return st;
}

ProtobufCService *
ctl_service(struct ctl *ctl, const ProtobufCServiceDescriptor *descriptor)
{
	struct au_err err = AU_ERR_INIT;

	if (ctl->client == NULL && connect_meta(ctl, &err) != AU_OK) {
		ctl_fail(ctl, "connect: %s", au_err_str(&err));
		return NULL;
	}
	return rpc_client_service(ctl->client, descriptor);
}

int
ctl_call(struct ctl *ctl, const ProtobufCServiceDescriptor *descriptor,
    const char *method, const void *req, const char *context,
    struct rpc_result *res)
{
	const ProtobufCMethodDescriptor *md;
	ProtobufCService                *svc;
	int                              rc;

	md = protobuf_c_service_descriptor_get_method_by_name(
	    descriptor, method);
	if (md == NULL)
		return ctl_fail(ctl, "%s: no method %s", context, method);
	if ((svc = ctl_service(ctl, descriptor)) == NULL)
		return CTL_EXIT_FAIL;
	svc->invoke(svc, (unsigned)(md - descriptor->methods), req, NULL, res);
	if (res->status == AU_OK)
		return CTL_EXIT_OK;
	rc = ctl_fail_rpc(ctl, context, res);
	rpc_result_fini(res);
	return rc;
}

int
ctl_json(const struct ctl *ctl)
{
	return ctl->json;
}

/* "metactl: <formatted>\n" on stderr. */
static void
vsay(const char *fmt, va_list ap)
{
	fputs("metactl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int
ctl_fail(struct ctl *ctl, const char *fmt, ...)
{
	va_list ap;

	(void)ctl;
	fflush(stdout);
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	return CTL_EXIT_FAIL;
}

int
ctl_fail_rpc(struct ctl *ctl, const char *context, const struct rpc_result *res)
{
	return ctl_fail(ctl, "%s: %s", context, au_err_str(&res->err));
}

int
ctl_usage(struct ctl *ctl, const struct ctl_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	(void)ctl;
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsay(fmt, ap);
		va_end(ap);
	}
	fprintf(stderr, "usage: metactl %s%s%s\n", cmd->name,
	    *cmd->args ? " " : "", cmd->args);
	return CTL_EXIT_USAGE;
}

int
ctl_help(struct ctl *ctl, const struct ctl_cmd *cmd)
{
	(void)ctl;
	printf("usage: metactl %s%s%s\n\n%s\n", cmd->name,
	    *cmd->args ? " " : "", cmd->args, cmd->summary);
	if (cmd->help != NULL && *cmd->help != '\0')
		printf("\n%s", cmd->help);
	if (cmd->role != AU_ROLE_NONE) {
		static const enum au_role roles[] = {
		    AU_ROLE_ADMIN, AU_ROLE_RELEASE, AU_ROLE_HOST};
		const char *sep = "";

		printf("\nCalls meta with the identity key, as ");
		for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
			if (cmd->role & roles[i]) {
				printf("%s%s", sep, au_role_name(roles[i]));
				sep = " or ";
			}
		}
		printf(".\n");
	}
	return CTL_EXIT_OK;
}
