#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# usage: scripts/demo.sh BINDIR
#
# The main job end to end on localhost, printed as the commands a user
# would type: development certificates and keys in ./demo/, one meta
# (auto-accept on) and four updaters with their own roots, a small real
# agent released as 1.0.0, 1.1.0 and a broken 1.2.0; sign, upload, roll out
# 1.0.0 to all, a phased rollout of 1.1.0 that advances wave by wave, then a
# phased rollout of 1.2.0 that fails on its first wave with the same error,
# halts itself, and is aborted: every host back on 1.1.0.  Everything it
# starts is stopped at the end and on Ctrl-C.
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

HOSTS="web-1 web-2 web-3 db-1"

say "1. A development CA and certificates (meta, four hosts, an admin, the release pipeline)"
show "$SRC/certs/mkcerts.sh" certs $HOSTS admin release
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

say "4. Start four updaters, each with its own root and identity"
# The demo agent's stop waits up to 10 s for its process: control_timeout
# leaves room for it.  A new version must keep saying "started" for
# health_window seconds before it becomes current.
for h in $HOSTS; do
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
control_timeout = 15
start_timeout = 5
health_window = 3
supervise_interval = 2

[trust]
release = $DEMO/release.pub
CONF
	updater -d -c "hosts/$h/updater.conf" 2> "hosts/$h/updater.log" &
	PIDS+=($!)
done
echo "updaters started: $HOSTS (logs in demo/hosts/*/updater.log)"
wait_for 20 bash -c '[ "$(metactl --json hosts | jq length)" -eq 4 ]'
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

# rollout_state AGENT: the state of AGENT's newest rollout.
rollout_state() {
	metactl --json rollout status --all "$1" | jq -r '.[0].state'
}

# pids: per host, the hello version it runs and that process's pid.
pids() {
	local h v
	for h in $HOSTS; do
		v=$(cat "hosts/$h/agents/hello/.version")
		echo "$h hello $v pid $(cat "hosts/$h/agents/hello/$v/run/pid")"
	done
}

say "7. Roll out hello 1.0.0 to every host"
show metactl set-version hello 1.0.0
wait_for 90 converged hello 1.0.0 4
show metactl status hello

say "8. A phased rollout of 1.1.0: waves of 25%, 50% and every host, 3 s of bake each"
show metactl rollout start hello 1.1.0 --waves 25,50,100 --bake 3s
wait_for 120 bash -c '[ "$(metactl --json rollout status --all hello | jq -r ".[0].state")" = done ]'
show metactl rollout status --all hello
wait_for 60 converged hello 1.1.0 4
show metactl hosts

say "9. A bad release: 1.2.0 cannot start.  Its rollout halts itself on the first wave"
pids > pids.before
show metactl rollout start hello 1.2.0 --waves 50,100 --bake 10s --same-error 2 --max-failed 3
wait_for 120 bash -c '[ "$(metactl --json rollout status hello | jq -r ".[0].state")" = halted ]'
show metactl rollout status hello
show metactl hosts --failed
failed_host=$(metactl --json hosts --failed | jq -r '.[0].hostname')
show metactl hosts show "$failed_host" --reports 2
pids > pids.halted
echo
echo "The first wave's hosts rolled back to 1.1.0 by themselves; the other"
echo "hosts never saw 1.2.0.  Before the rollout and after it halted:"
paste -d'|' pids.before pids.halted | sed 's/|/   ->   /'
# The failed version is not retried: the running 1.1.0 is left alone.
sleep 6
pids > pids.later
if ! cmp -s pids.halted pids.later; then
	echo "demo: hello was restarted after the rollout halted" >&2
	diff pids.halted pids.later >&2
	exit 1
fi
echo "6 s later, the same processes: nothing retries 1.2.0 by itself."

say "10. Abort the rollout: every host is asked for 1.1.0 again, nothing stays failed"
show metactl rollout abort hello --reason "1.2.0 cannot find its config"
wait_for 60 converged hello 1.1.0 4
wait_for 60 bash -c '[ -z "$(metactl --json hosts --failed | jq -r ".[].hostname")" ]'
# The hosts drop their "not retried" at their next heartbeat: the target
# changed, so 1.2.0 would be tried again if it were asked for again.
wait_for 30 bash -c '! metactl hosts | grep -q "not retried"'
show metactl hosts
show metactl status hello
show metactl audit

say "Done. Everything the demo started is being stopped."
