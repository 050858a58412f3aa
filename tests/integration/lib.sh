# SPDX-License-Identifier: MIT
#
# Shared by the shell integration tests: a private temporary folder,
# certificates and keys made for the test, a real meta on a free port of
# 127.0.0.1, real updaters, and a trap that stops every process started
# here.  Logs are kept only when the test fails.
#
# Environment (set by CTest): AU_BIN (the programs), AU_SRC (the sources).

set -euo pipefail

: "${AU_BIN:?AU_BIN must name the folder with meta, updater and metactl}"
: "${AU_SRC:?AU_SRC must name the source folder}"
export PATH="$AU_BIN:$PATH"

T=$(mktemp -d "${TMPDIR:-/tmp}/au-test.XXXXXX")
T_PIDS=()
T_NAME=$(basename "$0" .sh)

# shellcheck source=../../scripts/proc.sh
. "$AU_SRC/scripts/proc.sh"

t_cleanup() {
	local rc=$? f
	kill "$T_WATCHDOG" 2>/dev/null || true
	if [ "${#T_PIDS[@]}" -gt 0 ]; then
		proc_stop "${T_PIDS[@]}"
	fi
	# Agents started by control scripts write run/pid in their folder.
	while IFS= read -r f; do
		kill "$(cat "$f")" 2>/dev/null || true
	done < <(find "$T" -path '*/run/pid' -type f 2>/dev/null)
	if [ "$rc" -ne 0 ]; then
		echo "$T_NAME: FAILED (rc $rc); logs follow" >&2
		for f in "$T"/*.log "$T"/hosts/*/updater.log; do
			[ -f "$f" ] || continue
			echo "---- $f (last 40 lines)" >&2
			tail -n 40 "$f" >&2
		done
	fi
	rm -rf "$T"
	exit "$rc"
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

# A deadline of the test's own, below CTest's (300 s): when CTest kills a
# test, its cleanup does not run, so its processes, its temporary folder
# and its logs would be lost.  Past T_DEADLINE seconds the test says so and
# ends itself through the trap above, which stops what it started and
# prints the logs.
# The wait is bash's own `read -t` on a FIFO nobody writes to, so no child
# process outlives a killed watchdog.
mkfifo "$T/.watchdog"
(
	trap - EXIT
	exec 3<> "$T/.watchdog"
	read -r -t "${T_DEADLINE:-270}" -u 3 _ && exit 0
	echo "$T_NAME: FAIL: still running after ${T_DEADLINE:-270} s" >&2
	kill -TERM $$
) &
T_WATCHDOG=$!

fail() {
	echo "$T_NAME: FAIL: $*" >&2
	exit 1
}

# t_wait SECONDS CMD...: retry CMD every 0.2 s until it succeeds.
t_wait() {
	proc_retry "$@"
}

# t_setup_meta [EXTRA-META-LINES [CLIENT-CERT...]]: certificates (admin,
# release and the CLIENT-CERTs), admin and release keys, meta.conf and
# metactl.conf (exported as METACTL_CONFIG), meta started.  auto_accept is
# $T_AUTO_ACCEPT (default yes).
t_setup_meta() {
	local extra=${1:-}
	shift || true
	# meta binds a port of its choosing and names it in meta.port: no
	# race with other tests for a port picked in advance.  The port is
	# then written into meta.conf, so that a restarted meta keeps it.
	URL="tls+tcp://127.0.0.1:0"
	"$AU_SRC/certs/mkcerts.sh" "$T/certs" admin release "$@" >/dev/null
	(cd "$T" && metactl keygen admin >/dev/null && metactl keygen release >/dev/null)
	cat > "$T/meta.conf" <<CONF
[meta]
listen = $URL
ca = $T/certs/ca.crt
cert = $T/certs/meta.crt
key = $T/certs/meta.key
datadir = $T/meta-data
auto_accept = ${T_AUTO_ACCEPT:-yes}
interval = 1
$extra

[admin]
admin = $T/admin.pub

[release]
release = $T/release.pub
CONF
	meta -d -c "$T/meta.conf" 2>> "$T/meta.log" &
	META_PID=$!
	T_PIDS+=("$META_PID")
	t_wait 20 test -s "$T/meta-data/meta.port" ||
	    fail "meta did not start (no meta-data/meta.port)"
	PORT=$(cat "$T/meta-data/meta.port")
	URL="tls+tcp://127.0.0.1:$PORT"
	sed -i "s|^listen = .*|listen = $URL|" "$T/meta.conf"
	t_ctl_conf admin > "$T/metactl.conf"
	t_ctl_conf release > "$T/release.conf"
	export METACTL_CONFIG=$T/metactl.conf
	t_wait 20 metactl ping || fail "meta did not answer ping"
}

# t_ctl_conf NAME: a metactl.conf for the client certificate and key NAME.
t_ctl_conf() {
	cat <<CONF
[metactl]
meta = $URL
server_name = localhost
ca = $T/certs/ca.crt
cert = $T/certs/$1.crt
key = $T/certs/$1.key
identity = $T/$1.key
timeout = 10
CONF
}

t_start_meta() {
	meta -d -c "$T/meta.conf" 2>> "$T/meta.log" &
	META_PID=$!
	T_PIDS+=("$META_PID")
	t_wait 20 metactl ping || fail "meta did not answer ping"
}

t_stop_meta() {
	proc_stop "$META_PID"
}

# t_start_updater HOST [EXTRA-UPDATER-LINES]: an updater with its own root.
# The health window is $T_HEALTH_WINDOW seconds (default 2, to keep the
# tests fast), supervision every $T_SUPERVISE_INTERVAL seconds (default 10).
t_start_updater() {
	local h=$1 extra=${2:-} d=$T/hosts/$1
	mkdir -p "$d/agents" "$d/state"
	[ -f "$T/certs/$h.crt" ] || "$AU_SRC/certs/mkcerts.sh" "$T/certs" "$h" >/dev/null
	cat > "$d/updater.conf" <<CONF
[updater]
meta = $URL
server_name = localhost
ca = $T/certs/ca.crt
cert = $T/certs/$h.crt
key = $T/certs/$h.key
state_dir = $d/state
root = $d/agents
hostname = $h
interval_min = 1
interval_max = 2
control_timeout = 5
start_timeout = 3
health_window = ${T_HEALTH_WINDOW:-2}
supervise_interval = ${T_SUPERVISE_INTERVAL:-10}
$extra

[trust]
release = $T/release.pub
CONF
	updater -d -c "$d/updater.conf" 2>> "$d/updater.log" &
	T_PIDS+=($!)
}

# t_release AGENT VERSION good|broken|hang: build, sign and upload.
t_release() {
	mkdir -p "$T/pkg"
	bash "$AU_SRC/scripts/demo-agent.sh" "$1" "$2" "$3" "$T/pkg" >/dev/null
	t_publish "$1" "$2"
}

# t_publish AGENT VERSION [KEY]: sign $T/pkg/AGENT-VERSION.tar.gz with KEY
# (default the release key meta trusts) and upload it as the release role.
t_publish() {
	metactl sign --key "${3:-$T/release.key}" --agent "$1" --version "$2" \
	    "$T/pkg/$1-$2.tar.gz" >/dev/null
	metactl -c "$T/release.conf" upload "$T/pkg/$1-$2.tar.gz" >/dev/null
}

# t_count AGENT VERSION: hosts that report AGENT at VERSION, started.
t_count() {
	metactl --json hosts | jq --arg a "$1" --arg v "$2" \
	    '[.[].agents[]? | select(.name == $a and .version == $v and .status == "started")] | length'
}

# t_converged AGENT VERSION N: at least N hosts run AGENT VERSION.
t_converged() {
	[ "$(t_count "$1" "$2")" -ge "$3" ]
}

# t_big_release AGENT VERSION MIB: like t_release (good), with MIB MiB of
# incompressible data in data/blob, so that downloading and extracting it
# take long enough to be caught half-way.  The data is made once per test.
t_big_release() {
	local w=$T/big-$1-$2
	mkdir -p "$T/pkg" "$w"
	[ -f "$T/big-$3.bin" ] ||
	    head -c "$(($3 * 1024 * 1024))" /dev/urandom > "$T/big-$3.bin"
	bash "$AU_SRC/scripts/demo-agent.sh" "$1" "$2" good "$w" >/dev/null
	tar -C "$w" -xzf "$w/$1-$2.tar.gz"
	rm -f "$w/$1-$2.tar.gz"
	mkdir -p "$w/data"
	ln "$T/big-$3.bin" "$w/data/blob" 2>/dev/null ||
	    cp "$T/big-$3.bin" "$w/data/blob"
	tar -C "$w" -czf "$T/pkg/$1-$2.tar.gz" --owner=0 --group=0 \
	    control bin data
	rm -rf "$w"
	t_publish "$1" "$2"
}

# t_agent_procs AGENTDIR NAME: the version folder (one line each) of every
# live NAME agent process (the demo agent's `bin/NAME` loop) whose working
# folder is a version under AGENTDIR.
t_agent_procs() {
	local p cwd
	for p in /proc/[0-9]*; do
		cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
		case $cwd in "$1"/*) ;; *) continue ;; esac
		tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -q "bin/$2" ||
		    continue
		[ "$(cut -d' ' -f3 "$p/stat" 2>/dev/null)" != Z ] || continue
		basename "$cwd"
	done
}

# t_reported_ok HOST AGENT VERSION: meta recorded an ok report for it.
t_reported_ok() {
	[ "$(sqlite3 -readonly "$T/meta-data/meta.db" \
	    "SELECT count(*) FROM reports WHERE hostname = '$1' AND agent = '$2'
	     AND version = '$3' AND outcome = 1;")" -ge 1 ]
}
