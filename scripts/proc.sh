# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# proc.sh: waiting for what a script started, and stopping it.  Sourced
# (bash) by scripts/demo.sh and tests/integration/lib.sh.

# proc_retry SECONDS CMD...: run CMD (output discarded) every 0.2 s until
# it succeeds; 1 when SECONDS pass first.
proc_retry() {
	local limit=$1 i
	shift
	for ((i = 0; i < limit * 5; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	return 1
}

# proc_alive PID: the process exists and has not exited (a child that
# exited stays a zombie until the shell reaps it with wait).
proc_alive() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "${st%% *}" != Z ]
}

# proc_stop PID...: SIGTERM each, wait up to 10 s for all of them to exit,
# then SIGKILL what is left, and reap them.  SIGTERM is sent again every
# second: one sent between a background job's fork and its exec is taken
# by the shell's own trap in the child and lost.
proc_stop() {
	local pid i alive
	for ((i = 0; i < 50; i++)); do
		alive=0
		for pid in "$@"; do
			proc_alive "$pid" || continue
			alive=1
			if [ $((i % 5)) -eq 0 ]; then
				kill "$pid" 2>/dev/null || true
			fi
		done
		[ "$alive" -eq 1 ] || break
		sleep 0.2
	done
	for pid in "$@"; do
		if proc_alive "$pid"; then
			echo "proc_stop: $pid did not stop on SIGTERM; killing it" >&2
			kill -9 "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
}
