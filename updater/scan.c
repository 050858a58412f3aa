/* SPDX-License-Identifier: MIT */
/*
 * scan: installed agents and their status.
 */
#include "scan.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentdir.h"
#include "fsutil.h"
#include "manifest.h"

struct version_ent {
	char   name[REPORT_NAME_MAX + 1];
	time_t mtime;
};

static int by_mtime_desc(const void *a, const void *b);

enum au_status
scan_current(const char *root, const char *agent, char *version,
    size_t versionsz, struct au_err *err)
{
	char           path[4096], *buf = NULL;
	size_t         len;
	enum au_status st;

	if (snprintf(path, sizeof(path), "%s/%s/.version", root, agent) >=
	    (int)sizeof(path))
		return au_err_set(err, AU_OUT_OF_RANGE, "path too long");
	if ((st = fsutil_read_file(path, 256, &buf, &len, err)) != AU_OK)
		return st;
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	if (manifest_check_version(buf, err) != AU_OK || len >= versionsz) {
		free(buf);
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "%s: not a version", path);
	}
	memcpy(version, buf, len + 1);
	free(buf);
	return AU_OK;
}

static int
by_mtime_desc(const void *a, const void *b)
{
	const struct version_ent *x = a, *y = b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? 1 : -1;
	return strcmp(y->name, x->name);
}

enum au_status
scan_versions(const char *root, const char  *agent,
    char (*out)[REPORT_NAME_MAX + 1], size_t max, size_t *n, struct au_err *err)
{
	struct version_ent ents[SCAN_VERSIONS_MAX];
	char               dir[4096], ctl[4400];
	struct stat        sb;
	struct dirent     *de;
	DIR               *d;
	size_t             k = 0, i;

	*n = 0;
	snprintf(dir, sizeof(dir), "%s/%s", root, agent);
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT
		           ? AU_OK
		           : au_err_set(err, fsutil_errno_status(errno),
		                 "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL && k < SCAN_VERSIONS_MAX) {
		if (de->d_name[0] == '.' ||
		    strlen(de->d_name) > REPORT_NAME_MAX ||
		    manifest_check_version(de->d_name, NULL) != AU_OK)
			continue;
		snprintf(ctl, sizeof(ctl), "%s/%s/control", dir, de->d_name);
		if (lstat(ctl, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		snprintf(ctl, sizeof(ctl), "%s/%s", dir, de->d_name);
		if (lstat(ctl, &sb) != 0 || !S_ISDIR(sb.st_mode))
			continue;
		/* The length was checked above. */
		memcpy(ents[k].name, de->d_name, strlen(de->d_name) + 1);
		ents[k++].mtime = sb.st_mtime;
	}
	closedir(d);
	qsort(ents, k, sizeof(ents[0]), by_mtime_desc);
	for (i = 0; i < k && i < max; i++)
		memcpy(out[i], ents[i].name, sizeof(ents[i].name));
	*n = i;
	return AU_OK;
}

void
scan_agent(
    const struct updater_conf *c, const char *agent, struct scan_agent *out)
{
	struct agentdir_probation p;
	struct au_err             e = AU_ERR_INIT;
	char                      dir[4096];
	enum au_status            st;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", agent);
	out->state = AGENTCTL_STOPPED;
	if (agentdir_probation_read(c->root, agent, &p, NULL) == AU_OK)
		snprintf(
		    out->probation, sizeof(out->probation), "%s", p.version);
	if ((st = scan_current(c->root, agent, out->version,
	         sizeof(out->version), &e)) != AU_OK) {
		if (st != AU_NOT_FOUND)
			snprintf(out->last_error, sizeof(out->last_error), "%s",
			    au_err_str(&e));
		snprintf(out->status, sizeof(out->status), "stopped");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/%s/%s", c->root, agent, out->version);
	st = agentctl_status(
	    dir, c->control_timeout * 1000, &out->state, NULL, 0, &e);
	snprintf(out->status, sizeof(out->status), "%s",
	    agentctl_state_name(out->state));
	if (st != AU_OK)
		snprintf(out->last_error, sizeof(out->last_error),
		    "control status: %s", au_err_str(&e));
}

enum au_status
scan_root(const struct updater_conf *c, struct scan_agent *out, size_t max,
    size_t *n, struct au_err *err)
{
	char           path[4096];
	struct stat    sb;
	struct dirent *de;
	DIR           *d;

	*n = 0;
	if ((d = opendir(c->root)) == NULL)
		return errno == ENOENT
		           ? AU_OK
		           : au_err_set(err, fsutil_errno_status(errno),
		                 "%s: %s", c->root, strerror(errno));
	while ((de = readdir(d)) != NULL && *n < max) {
		if (de->d_name[0] == '.' ||
		    manifest_check_name(de->d_name, NULL) != AU_OK ||
		    !updater_conf_allows(c, de->d_name))
			continue;
		snprintf(
		    path, sizeof(path), "%s/%s/.version", c->root, de->d_name);
		if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		scan_agent(c, de->d_name, &out[(*n)++]);
	}
	closedir(d);
	return AU_OK;
}
