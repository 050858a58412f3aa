/* SPDX-License-Identifier: MIT */
/*
 * agentctl: fork/exec of control scripts with a timeout, a process group
 * of their own and a bounded capture of their output.
 *
 * Output goes to an unlinked temporary file, not a pipe: `control start`
 * typically leaves a daemon behind that inherited stdout, and with a pipe
 * the updater would either wait for an end of file that never comes or,
 * by closing its end, kill the daemon with SIGPIPE on its next write.  The
 * script is done when it has exited; the tail is then read from the file.
 */
#include "agentctl.h"

#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "timeutil.h"

#define AGENTCTL_DEFAULT_TIMEOUT_MS 30000
#define AGENTCTL_POLL_MS 50

static int  open_capture(const char *verb);
static void read_tail(int fd, struct agentctl_result *res);
static int  spawn(const char *dir, const char *verb, int outfd, pid_t *pid);
static int  wait_exit(pid_t pid, int status_flags, int *status);
static int  exit_code_of(int status);
static enum au_status supervise(
    pid_t pid, uint32_t timeout_ms, struct agentctl_result *res);

/* Where the script's output goes, or -1.  `status` runs for every agent
 * on every heartbeat and prints a word: an anonymous memory file spares
 * the file system an inode and a journal entry each time.  `start` and
 * `stop` may print a lot (a runaway script until its timeout), so their
 * output goes to an unlinked file in TMPDIR rather than to memory. */
static int
open_capture(const char *verb)
{
	const char *dir = getenv("TMPDIR");
	char        path[4096];
	int         fd;

	if (strcmp(verb, "status") == 0 &&
	    (fd = memfd_create("control-status", MFD_CLOEXEC)) >= 0)
		return fd;
	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) >= 0)
		return fd;
	snprintf(path, sizeof(path), "%s/agentctl.XXXXXX", dir);
	if ((fd = mkostemp(path, O_CLOEXEC)) >= 0)
		unlink(path);
	return fd;
}

/* The last AGENTCTL_TAIL_BYTES the script wrote. */
static void
read_tail(int fd, struct agentctl_result *res)
{
	struct stat sb;
	off_t       off = 0;
	ssize_t     n;

	if (fstat(fd, &sb) != 0)
		return;
	if (sb.st_size > AGENTCTL_TAIL_BYTES)
		off = sb.st_size - AGENTCTL_TAIL_BYTES;
	n = pread(fd, res->tail, AGENTCTL_TAIL_BYTES, off);
	res->tail_len = n > 0 ? (size_t)n : 0;
	res->tail[res->tail_len] = '\0';
}

/* posix_spawn (vfork-like in glibc) costs the updater far less than a
 * fork that copies its page tables, twice per agent per cycle.  The child
 * gets its own process group, the version folder as working directory,
 * /dev/null as stdin, the capture file as stdout and stderr, and no other
 * descriptor (the lock file, sockets). */
static int
spawn(const char *dir, const char *verb, int outfd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t          at;
	sigset_t                   none, dfl;
	char *const                argv[] = {
	                   (char *)(uintptr_t) "control", (char *)(uintptr_t)verb, NULL};
	int rc;

	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGCHLD);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
	                                  POSIX_SPAWN_SETSIGMASK |
	                                  POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, outfd, 1);
	posix_spawn_file_actions_adddup2(&fa, outfd, 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawn_file_actions_addchdir_np(&fa, dir);
	rc = posix_spawn(pid, "./control", &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc;
}

static int
wait_exit(pid_t pid, int status_flags, int *status)
{
	pid_t r;

	do
		r = waitpid(pid, status, status_flags);
	while (r < 0 && errno == EINTR);
	return r == pid;
}

static int
exit_code_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/* Wait until the child exits or the deadline passes; on timeout kill its
 * process group. */
static enum au_status
supervise(pid_t pid, uint32_t timeout_ms, struct agentctl_result *res)
{
	uint64_t      deadline = timeutil_mono_ms() + timeout_ms, now;
	int           status = 0, nap = 2, pfd;
	struct pollfd p;

	/* A pidfd wakes us once, when the script exits: polling with naps
	 * cost most of a heartbeat cycle's CPU in context switches.  Kernels
	 * before 5.3 have no pidfd: fall back to the naps. */
	pfd = pidfd_open(pid, 0);
	for (;;) {
		if (wait_exit(pid, WNOHANG, &status)) {
			if (pfd >= 0)
				close(pfd);
			res->exit_code = exit_code_of(status);
			return AU_OK;
		}
		if ((now = timeutil_mono_ms()) >= deadline)
			break;
		if (pfd >= 0) {
			p.fd = pfd;
			p.events = POLLIN;
			poll(&p, 1, (int)(deadline - now));
			continue;
		}
		poll(NULL, 0, nap);
		if (nap < AGENTCTL_POLL_MS)
			nap *= 2;
	}
	if (pfd >= 0)
		close(pfd);
	/* Kill the whole group: the script and whatever it started. */
	kill(-pid, SIGKILL);
	wait_exit(pid, 0, &status);
	res->exit_code = exit_code_of(status);
	res->timed_out = 1;
	return AU_DEADLINE_EXCEEDED;
}

enum au_status
agentctl_run(const char *dir, const char *verb, uint32_t timeout_ms,
    struct agentctl_result *res, struct au_err *err)
{
	char           path[4096];
	int            fd, rc;
	pid_t          pid;
	enum au_status st;

	memset(res, 0, sizeof(*res));
	res->exit_code = -1;
	if (timeout_ms == 0)
		timeout_ms = AGENTCTL_DEFAULT_TIMEOUT_MS;
	if ((st = fsutil_join(path, sizeof(path), dir, "control", err)) !=
	    AU_OK)
		return st;
	if (access(path, X_OK) != 0)
		return au_err_set(
		    err, AU_NOT_FOUND, "%s: %s", path, strerror(errno));
	if ((fd = open_capture(verb)) < 0)
		return au_err_set(
		    err, AU_INTERNAL, "output file: %s", strerror(errno));
	if ((rc = spawn(dir, verb, fd, &pid)) != 0) {
		close(fd);
		return au_err_set(err,
		    rc == ENOENT || rc == EACCES ? AU_NOT_FOUND : AU_INTERNAL,
		    "control %s in %s: %s", verb, dir, strerror(rc));
	}
	st = supervise(pid, timeout_ms, res);
	read_tail(fd, res);
	close(fd);
	if (st != AU_OK)
		return au_err_set(err, st, "control %s: timed out after %u ms",
		    verb, (unsigned)timeout_ms);
	return AU_OK;
}

enum agentctl_state
agentctl_parse_status(const char *output)
{
	static const struct {
		const char         *word;
		enum agentctl_state st;
	} words[] = {
	    {"started", AGENTCTL_STARTED},
	    {"running", AGENTCTL_STARTED},
	    {"stopped", AGENTCTL_STOPPED},
	    {"stoped", AGENTCTL_STOPPED},
	};
	size_t i, n;

	while (isspace((unsigned char)*output))
		output++;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		n = strlen(words[i].word);
		if (strncasecmp(output, words[i].word, n) == 0 &&
		    (output[n] == '\0' || isspace((unsigned char)output[n])))
			return words[i].st;
	}
	return AGENTCTL_UNKNOWN;
}

const char *
agentctl_state_name(enum agentctl_state st)
{
	switch (st) {
	case AGENTCTL_STARTED:
		return "started";
	case AGENTCTL_STOPPED:
		return "stopped";
	default:
		return "unknown";
	}
}

enum au_status
agentctl_status(const char *dir, uint32_t timeout_ms,
    enum agentctl_state *state, char *text, size_t textsz, struct au_err *err)
{
	struct agentctl_result *res;
	enum au_status          st;
	size_t                  n;

	*state = AGENTCTL_UNKNOWN;
	if (text != NULL && textsz > 0)
		text[0] = '\0';
	/* The result is 4 KiB: keep it off the caller's stack. */
	if ((res = malloc(sizeof(*res))) == NULL)
		return au_err_set(err, AU_RESOURCE_EXHAUSTED, "out of memory");
	if ((st = agentctl_run(dir, "status", timeout_ms, res, err)) == AU_OK) {
		*state = agentctl_parse_status(res->tail);
		if (*state == AGENTCTL_UNKNOWN && res->exit_code != 0)
			*state = AGENTCTL_STOPPED;
	}
	if (text != NULL && textsz > 0) {
		n = strcspn(res->tail, "\r\n");
		if (n >= textsz)
			n = textsz - 1;
		memcpy(text, res->tail, n);
		text[n] = '\0';
	}
	free(res);
	return st;
}
