#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# updater_crash_test: crash safety with real processes.  A real meta and a
# real updater install a large signed release (tens of MiB of
# incompressible data); the updater is SIGKILLed half-way through the
# download, then half-way through the extraction, and restarted each time:
# it resumes, converges, exactly one agent process runs, .version names
# it, no staging folder or partial download is left and meta has an ok
# report.  (updater_test.sh covers SIGKILL between stop old / start new.)
# Then meta admits one download at a time (max_downloads = 1) and eight
# new updaters fetch the large package at once: meta refuses some chunk
# requests with RESOURCE_EXHAUSTED, the updaters wait as told, and all
# converge.
. "$(dirname "$0")/lib.sh"

MIB=40
H=h1
D=$T/hosts/$H
A=$D/agents/demo

current() {
	cat "$A/.version" 2>/dev/null
}

# converged VERSION: .version names it and exactly that one runs.
converged() {
	[ "$(current)" = "$1" ] && [ "$(t_agent_procs "$A" demo)" = "$1" ]
}

# part_between LOW HIGH: the partial download of $V holds more than LOW
# and fewer than HIGH bytes.
part_between() {
	local s
	s=$(stat -c %s "$A/.download/$V.tar.gz.part" 2>/dev/null) || return 1
	[ "$s" -gt "$1" ] && [ "$s" -lt "$2" ]
}

# leftovers: staging folders or partial downloads under the agent.
leftovers() {
	compgen -G "$A/.staging-*" >/dev/null ||
	    compgen -G "$A/.download/*.part" >/dev/null
}

# poll SECONDS CMD...: like t_wait, but every 10 ms (downloads are fast).
poll() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.01
	done
}

# nearly_extracting: $V's download is in its last MiBs or complete.
nearly_extracting() {
	part_between $((size - (6 << 20))) $((size + 1)) ||
	    [ -f "$A/.download/$V.tar.gz" ] || [ -e "$A/.staging-$V" ]
}

kill_updater() {
	kill -9 "$UPDATER_PID"
	wait "$UPDATER_PID" 2>/dev/null || true
} 2>/dev/null

restart_updater() {
	t_start_updater $H
	UPDATER_PID=${T_PIDS[-1]}
}

# after_crash VERSION: restarted, the updater converges on VERSION cleanly.
after_crash() {
	t_wait 90 converged "$1" ||
	    fail "after SIGKILL: not converged on $1 (.version '$(current)'," \
	        "running: $(t_agent_procs "$A" demo | tr '\n' ' '))"
	! leftovers || fail "after SIGKILL: staging or partial left behind"
	t_wait 20 t_reported_ok $H demo "$1" || fail "no ok report for $1"
	t_wait 20 t_converged demo "$1" 1 || fail "meta never saw $1 started"
}

t_setup_meta "max_downloads = 1"
restart_updater
t_release demo 1.0.0 good
t_big_release demo 2.0.0 $MIB
t_big_release demo 3.0.0 $MIB
metactl set-version demo 1.0.0 --host $H >/dev/null
t_wait 30 converged 1.0.0 || fail "1.0.0 never ran alone"

# ---- SIGKILL during the download: it resumes the partial file
V=2.0.0
size=$(stat -c %s "$T/pkg/demo-$V.tar.gz")
metactl set-version demo $V --host $H >/dev/null
poll 60 part_between $((2 << 20)) $((size - (4 << 20))) ||
    fail "never saw $V's download half-way"
kill_updater
part_between 0 "$size" || fail "the download was not partial when killed"
[ ! -e "$A/$V" ] || fail "$V extracted before its download completed"
converged 1.0.0 || fail "1.0.0 disturbed by the interrupted download"
restart_updater
after_crash $V
grep -q "demo $V: resuming download at" "$D/updater.log" ||
    fail "the download of $V did not resume"

# ---- SIGKILL during the extraction: the staging folder is thrown away
V=3.0.0
size=$(stat -c %s "$T/pkg/demo-$V.tar.gz")
metactl set-version demo $V --host $H >/dev/null
poll 90 nearly_extracting || fail "the download of $V never completed"
# Verification comes next; then the staging folder lives only while
# libarchive writes the package, so watch for it without sleeping.
end=$((SECONDS + 30))
until [ -d "$A/.staging-$V" ] || [ -e "$A/$V" ] || [ $SECONDS -ge $end ]; do
	:
done
kill_updater
[ -d "$A/.staging-$V" ] && [ ! -e "$A/$V" ] ||
    fail "did not catch $V's extraction half-way"
converged 2.0.0 || fail "2.0.0 disturbed by the interrupted extraction"
restart_updater
after_crash $V
grep -q "removing .staging-$V" "$D/updater.log" ||
    fail "the staging folder of $V was not removed on start"

# ---- download admission: one chunk request at a time, eight new updaters
# fetching at once (meta answers the others RESOURCE_EXHAUSTED with a
# retry-after; with eight, refusals are all but certain in every run)
HOSTS="h2 h3 h4 h5 h6 h7 h8 h9"
N=9
for h in $HOSTS; do
	t_start_updater $h
done
t_wait 30 bash -c '[ "$(metactl --json hosts | jq length)" -eq '$N' ]' ||
    fail "not all hosts enrolled"
metactl set-version demo $V >/dev/null
t_wait 120 t_converged demo $V $N || fail "not every host converged on $V"
for h in $HOSTS; do
	[ "$(cat "$T/hosts/$h/agents/demo/.version")" = $V ] ||
	    fail "$h: .version is not $V"
	[ "$(t_agent_procs "$T/hosts/$h/agents/demo" demo)" = $V ] ||
	    fail "$h: not exactly one $V running"
	t_wait 20 t_reported_ok $h demo $V || fail "$h: no ok report for $V"
	! compgen -G "$T/hosts/$h/agents/demo/.download/*.part" >/dev/null ||
	    fail "$h: a partial download left behind"
	! compgen -G "$T/hosts/$h/agents/demo/.download/*.tar.gz" >/dev/null ||
	    fail "$h: the installed tarball was kept in .download"
done
# Refused chunks were waited for, not reported as failed downloads.
! grep -q 'AU-INSTALL-FAIL\|AU-ROLLBACK' "$T/meta.log" ||
    fail "a host reported a failure while downloads were limited"
grep -q 'GetPackage: RESOURCE_EXHAUSTED: too many downloads' "$T/meta.log" ||
    fail "meta never refused a download"
echo "updater_crash_test: ok ($(grep -c 'too many downloads' "$T/meta.log") refusals)"
