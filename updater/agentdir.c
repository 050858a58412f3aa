/* SPDX-License-Identifier: MIT */
/*
 * agentdir: .probation and .good.  Both are small line files: a reader
 * that finds garbage says so instead of guessing.
 */
#include "agentdir.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "manifest.h"

#define AGENTDIR_PATH_BYTES 4200
#define AGENTDIR_FILE_MAX 8192

static void agent_path(
    const char *root, const char *agent, const char *file, char *out);
static int parse_probation(char *text, struct agentdir_probation *p);

static void
agent_path(const char *root, const char *agent, const char *file, char *out)
{
	snprintf(out, AGENTDIR_PATH_BYTES, "%s/%s/%s", root, agent, file);
}

enum au_status
agentdir_probation_write(const char *root, const char *agent,
    const struct agentdir_probation *p, struct au_err *err)
{
	char path[AGENTDIR_PATH_BYTES], text[512];
	int  n;

	agent_path(root, agent, ".probation", path);
	n = snprintf(text, sizeof(text),
	    "version %s\nprevious %s\nwindow_ms %" PRIu32 "\nstart_ms %" PRIu64
	    "\n",
	    p->version, p->previous[0] ? p->previous : "-", p->window_ms,
	    p->start_ms);
	return fsutil_write_atomic(path, text, (size_t)n, 0644, err);
}

/* One "key value" a line, in the order written; 1 when it parses. */
static int
parse_probation(char *text, struct agentdir_probation *p)
{
	char              *line, *save = NULL, *val;
	unsigned long long v;
	int                seen = 0;

	memset(p, 0, sizeof(*p));
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if ((val = strchr(line, ' ')) == NULL)
			return 0;
		*val++ = '\0';
		if (strcmp(line, "version") == 0 &&
		    manifest_check_version(val, NULL) == AU_OK &&
		    strlen(val) <= REPORT_NAME_MAX) {
			snprintf(p->version, sizeof(p->version), "%s", val);
			seen |= 1;
		} else if (strcmp(line, "previous") == 0 &&
		           (strcmp(val, "-") == 0 ||
		               (manifest_check_version(val, NULL) == AU_OK &&
		                   strlen(val) <= REPORT_NAME_MAX))) {
			snprintf(p->previous, sizeof(p->previous), "%s",
			    strcmp(val, "-") == 0 ? "" : val);
			seen |= 2;
		} else if (sscanf(val, "%llu", &v) == 1 &&
		           strcmp(line, "window_ms") == 0 && v <= UINT32_MAX) {
			p->window_ms = (uint32_t)v;
			seen |= 4;
		} else if (sscanf(val, "%llu", &v) == 1 &&
		           strcmp(line, "start_ms") == 0) {
			p->start_ms = v;
			seen |= 8;
		} else
			return 0;
	}
	return seen == 15;
}

enum au_status
agentdir_probation_read(const char *root, const char *agent,
    struct agentdir_probation *p, struct au_err *err)
{
	char           path[AGENTDIR_PATH_BYTES], *buf = NULL;
	size_t         len;
	enum au_status st;
	int            ok;

	agent_path(root, agent, ".probation", path);
	if ((st = fsutil_read_file(path, AGENTDIR_FILE_MAX, &buf, &len, err)) !=
	    AU_OK)
		return st;
	ok = parse_probation(buf, p);
	free(buf);
	if (!ok)
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "%s: does not parse", path);
	return AU_OK;
}

void
agentdir_probation_remove(const char *root, const char *agent)
{
	char path[AGENTDIR_PATH_BYTES];

	agent_path(root, agent, ".probation", path);
	if (unlink(path) == 0) {
		agent_path(root, agent, "", path);
		fsutil_fsync_dir(path, NULL);
	}
}

void
agentdir_good_load(const char *root, const char *agent,
    char (*out)[REPORT_NAME_MAX + 1], size_t max, size_t *n)
{
	char   path[AGENTDIR_PATH_BYTES], *buf = NULL, *line, *save = NULL;
	size_t len;

	*n = 0;
	agent_path(root, agent, ".good", path);
	if (fsutil_read_file(path, AGENTDIR_FILE_MAX, &buf, &len, NULL) !=
	    AU_OK)
		return;
	for (line = strtok_r(buf, "\n", &save); line != NULL && *n < max;
	     line = strtok_r(NULL, "\n", &save))
		if (strlen(line) <= REPORT_NAME_MAX &&
		    manifest_check_version(line, NULL) == AU_OK)
			snprintf(out[(*n)++], REPORT_NAME_MAX + 1, "%s", line);
	free(buf);
}

enum au_status
agentdir_good_add(const char *root, const char *agent, const char *version,
    struct au_err *err)
{
	char   good[AGENTDIR_GOOD_MAX][REPORT_NAME_MAX + 1];
	char   path[AGENTDIR_PATH_BYTES], text[AGENTDIR_FILE_MAX];
	size_t n, i, first, len = 0;

	agentdir_good_load(root, agent, good, AGENTDIR_GOOD_MAX, &n);
	/* Keep room for version: drop the oldest beyond the cap. */
	first = n >= AGENTDIR_GOOD_MAX ? n - AGENTDIR_GOOD_MAX + 1 : 0;
	for (i = first; i < n; i++)
		if (strcmp(good[i], version) != 0)
			len += (size_t)snprintf(
			    text + len, sizeof(text) - len, "%s\n", good[i]);
	len +=
	    (size_t)snprintf(text + len, sizeof(text) - len, "%s\n", version);
	agent_path(root, agent, ".good", path);
	return fsutil_write_atomic(path, text, len, 0644, err);
}
