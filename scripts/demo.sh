#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# usage: scripts/demo.sh BINDIR
#
# The main job end to end on localhost, printed as the commands a user
# would type: development certificates and keys in ./demo/, one meta
# (auto-accept on) and three updaters with their own roots, a small real
# agent released as 1.0.0, 1.1.0 and a broken 1.2.0; sign, upload, roll out
# to all, canary 1.1.0 on one host then all, send 1.2.0 to one host and
# watch it roll back.  Everything it starts is stopped at the end and on
# Ctrl-C.
set -euo pipefail

BIN=$(cd "${1:?usage: demo.sh BINDIR}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
DEMO=$SRC/demo
PIDS=()
# shellcheck source=proc.sh
. "$SRC/scripts/proc.sh"

cleanup() {
	if [ "${#PIDS[@]}" -gt 0 ]; then
		proc_stop "${PIDS[@]}"
	fi
	# The demo agents are real processes; stop them through their control
	# scripts' pid files.
	for f in "$DEMO"/hosts/*/agents/*/*/run/pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# show CMD...: print the command as a user would type it, then run it.
show() {
	printf '\033[36m$ %s\033[0m\n' "$*"
	"$@"
}

# wait_for SECONDS CMD...: retry CMD until it succeeds.
wait_for() {
	proc_retry "$@" && return 0
	echo "demo: timed out after ${1}s waiting for: ${*:2}" >&2
	return 1
}

# A TCP port on 127.0.0.1 that nothing listens on.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
}

export PATH="$BIN:$PATH"
rm -rf "$DEMO"
mkdir -p "$DEMO"
cd "$DEMO"
PORT=$(free_port)
URL="tls+tcp://127.0.0.1:$PORT"

say "1. A development CA and certificates (meta, three hosts, an admin, the release pipeline)"
show "$SRC/certs/mkcerts.sh" certs web-1 web-2 db-1 admin release
ls certs

say "2. Identity keys: the operator's and the release pipeline's (ed25519)"
show metactl keygen admin
show metactl keygen release

cat > meta.conf <<CONF
[meta]
listen = $URL
ca = $DEMO/certs/ca.crt
cert = $DEMO/certs/meta.crt
key = $DEMO/certs/meta.key
datadir = $DEMO/meta-data
auto_accept = yes
interval = 2

[admin]
admin = $DEMO/admin.pub

[release]
release = $DEMO/release.pub
CONF
cat > metactl.conf <<CONF
[metactl]
meta = $URL
server_name = localhost
ca = $DEMO/certs/ca.crt
cert = $DEMO/certs/admin.crt
key = $DEMO/certs/admin.key
identity = $DEMO/admin.key
CONF
cat > release.conf <<CONF
[metactl]
meta = $URL
server_name = localhost
ca = $DEMO/certs/ca.crt
cert = $DEMO/certs/release.crt
key = $DEMO/certs/release.key
identity = $DEMO/release.key
CONF
export METACTL_CONFIG=$DEMO/metactl.conf

say "3. Start meta"
show meta -n -c meta.conf
meta -d -c meta.conf 2> meta.log &
PIDS+=($!)
wait_for 10 metactl ping
show metactl ping

say "4. Start three updaters, each with its own root and identity"
for h in web-1 web-2 db-1; do
	mkdir -p "hosts/$h/agents" "hosts/$h/state"
	cat > "hosts/$h/updater.conf" <<CONF
[updater]
meta = $URL
server_name = localhost
ca = $DEMO/certs/ca.crt
cert = $DEMO/certs/$h.crt
key = $DEMO/certs/$h.key
state_dir = $DEMO/hosts/$h/state
root = $DEMO/hosts/$h/agents
hostname = $h
interval_min = 1
interval_max = 2
control_timeout = 5
start_timeout = 3

[trust]
release = $DEMO/release.pub
CONF
	updater -d -c "hosts/$h/updater.conf" 2> "hosts/$h/updater.log" &
	PIDS+=($!)
done
echo "updaters started: web-1 web-2 db-1 (logs in demo/hosts/*/updater.log)"
wait_for 20 bash -c '[ "$(metactl --json hosts | jq length)" -eq 3 ]'
show metactl hosts

say "5. Build a small real agent, \"hello\": 1.0.0, 1.1.0 and a broken 1.2.0"
bash "$SRC/scripts/demo-agent.sh" hello 1.0.0 good pkg
bash "$SRC/scripts/demo-agent.sh" hello 1.1.0 good pkg
bash "$SRC/scripts/demo-agent.sh" hello 1.2.0 broken pkg
ls pkg

say "6. Sign and upload them as the release pipeline"
for v in 1.0.0 1.1.0 1.2.0; do
	show metactl sign --key release.key --agent hello --version $v pkg/hello-$v.tar.gz
done
show metactl verify --pub release.pub pkg/hello-1.0.0.tar.gz
for v in 1.0.0 1.1.0 1.2.0; do
	show metactl -c release.conf upload pkg/hello-$v.tar.gz
done
show metactl packages

# converged AGENT VERSION N: N hosts run VERSION, started.
converged() {
	local n
	n=$(metactl --json hosts | jq --arg a "$1" --arg v "$2" \
	    '[.[].agents[]? | select(.name == $a and .version == $v and .status == "started")] | length')
	[ "$n" -ge "$3" ]
}

say "7. Roll out hello 1.0.0 to every host"
show metactl set-version hello 1.0.0
wait_for 60 converged hello 1.0.0 3
show metactl status hello

say "8. Canary 1.1.0 on one host, then everywhere"
show metactl set-version hello 1.1.0 --host web-1
wait_for 60 converged hello 1.1.0 1
show metactl hosts
show metactl set-version hello 1.1.0
wait_for 60 converged hello 1.1.0 3
show metactl status hello

say "9. A bad release: 1.2.0 fails to start on db-1 and rolls itself back"
show metactl set-version hello 1.2.0 --host db-1
wait_for 60 bash -c "metactl hosts --failed | grep -q db-1"
show metactl hosts --failed
show metactl status hello
echo
echo "db-1 still runs: $(cat hosts/db-1/agents/hello/.version)"
show metactl audit

say "Done. Everything the demo started is being stopped."
