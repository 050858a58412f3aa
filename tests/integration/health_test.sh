#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# health_test: a bad release is contained on the host, with a real meta, a
# real updater (health window 3 s, supervision every second) and real
# agent processes.
#  (a) no churn: 7.0.0 fails to start and is rolled back; while meta keeps
#      asking for it, the healthy 3.0.0's process is never touched again;
#      `updater status` says it is not retried;
#  (b) 8.0.0 dies 1 s after it started: rolled back at step health, and
#      .version never names it;
#  (c) 9.0.0 dies after its window, while meta is stopped: supervision
#      restarts it and reports the crash (the report arrives later);
#      (3.0.0 stopped by hand in (a) is restarted with meta there);
#  (d) kill -9 of the updater inside 10.0.0's window: on restart the window
#      resumes and 10.0.0 is committed after it; 11.0.0 dies inside its
#      window while the updater is down: rolled back on restart;
#  (e) `updater --once` sends a last heartbeat: meta sees the result.
. "$(dirname "$0")/lib.sh"

H=h1
D=$T/hosts/$H
A=$D/agents/demo
WINDOW=3
export T_HEALTH_WINDOW=$WINDOW T_SUPERVISE_INTERVAL=1

pid_of() {
	cat "$A/$1/run/pid" 2>/dev/null
}

# running VERSION: VERSION's agent process is alive.
running() {
	local s p
	p=$(pid_of "$1") && [ -n "$p" ] || return 1
	s=$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null) || return 1
	[ -n "$s" ] && [ "$s" != Z ]
}

current() {
	cat "$A/.version" 2>/dev/null
}

is_current() {
	[ "$(current)" = "$1" ]
}

# settled VERSION: current, running, and out of its window.
settled() {
	is_current "$1" && running "$1" && [ ! -e "$A/.probation" ]
}

db() {
	sqlite3 -readonly "$T/meta-data/meta.db" "$1"
}

# reports VERSION OUTCOME STEP: how many such reports meta has from h1.
reports() {
	db "SELECT count(*) FROM reports WHERE hostname = '$H' AND
	    agent = 'demo' AND version = '$1' AND outcome = $2 AND
	    coalesce(step, '') = '$3';"
}

reported() {
	[ "$(reports "$@")" -ge 1 ]
}

# not_current_until VERSION SECONDS CMD...: wait for CMD, failing if
# .version names VERSION at any time meanwhile.
not_current_until() {
	local v=$1 end=$((SECONDS + $2))
	shift 2
	until "$@" >/dev/null 2>&1; do
		! is_current "$v" || fail ".version named $v"
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}

# wait_heartbeats N: meta saw N more heartbeats from h1.
wait_heartbeats() {
	local n=0 last now end=$((SECONDS + 40))
	last=$(db "SELECT last_seen_ms FROM hosts WHERE hostname = '$H';")
	while [ $n -lt "$1" ]; do
		[ $SECONDS -lt $end ] || fail "only $n heartbeats in 40 s"
		sleep 0.2
		now=$(db "SELECT last_seen_ms FROM hosts WHERE hostname = '$H';")
		if [ "$now" != "$last" ]; then
			n=$((n + 1))
			last=$now
		fi
	done
}

start_updater() {
	t_start_updater $H
	UPDATER_PID=${T_PIDS[-1]}
}

t_setup_meta
start_updater
t_wait 20 bash -c "metactl --json hosts | jq -e '.[] | select(.hostname == \"$H\")'" ||
    fail "$H never heartbeated"
t_release demo 3.0.0 good
t_release demo 7.0.0 broken
t_release demo 8.0.0 dies
t_release demo 9.0.0 good
t_release demo 10.0.0 good
DIES_AFTER=2 t_release demo 11.0.0 dies-later
t_release demo 12.0.0 good

# ---- (a) no churn of the healthy version after a failed one
metactl set-version demo 3.0.0 >/dev/null
t_wait 30 settled 3.0.0 || fail "3.0.0 never settled"
metactl set-version demo 7.0.0 --host $H >/dev/null
t_wait 30 reported 7.0.0 3 start || fail "no rolled back report for 7.0.0"
t_wait 10 running 3.0.0 || fail "3.0.0 not running after the rollback"
pid3=$(pid_of 3.0.0)
wait_heartbeats 4
[ "$(pid_of 3.0.0)" = "$pid3" ] && running 3.0.0 ||
    fail "3.0.0 was restarted while meta kept asking for 7.0.0"
[ "$(reports 7.0.0 3 start)" -eq 1 ] || fail "7.0.0 was tried again"
[ "$(grep -c 'demo 7.0.0: AU-ROLLBACK' "$D/updater.log")" -eq 1 ] ||
    fail "7.0.0 was installed more than once"
updater -c "$D/updater.conf" status > "$T/status.out"
grep -q "failed:    7.0.0 failed at start, not retried until meta asks again (metactl retry demo)" \
    "$T/status.out" || fail "updater status does not say 7.0.0 is not retried"
# Its process stopped by hand meanwhile (SIGTERM; `control stop` by hand
# would race the restart for the pid file): supervision starts it again,
# as a crash.
kill "$pid3"
t_wait 20 running 3.0.0 || fail "3.0.0 stopped by hand stayed stopped"
t_wait 20 reported 3.0.0 4 crash || fail "no crash report for 3.0.0"

# ---- (b) a release that dies inside its window
metactl set-version demo 8.0.0 --host $H >/dev/null
not_current_until 8.0.0 40 reported 8.0.0 3 health ||
    fail "no health report for 8.0.0"
msg=$(db "SELECT message FROM reports WHERE version = '8.0.0';")
case $msg in
"control status said stopped "*" s into the $WINDOW s health window") ;;
*) fail "8.0.0's report says: $msg" ;;
esac
t_wait 10 settled 3.0.0 || fail "3.0.0 not back after 8.0.0"
! running 8.0.0 || fail "8.0.0 still runs"

# ---- (c) a release that dies after its window: supervision
metactl set-version demo 9.0.0 --host $H >/dev/null
t_wait 30 settled 9.0.0 || fail "9.0.0 never settled"
t_wait 10 t_reported_ok $H demo 9.0.0 || fail "no ok report for 9.0.0"
# It dies while meta is away: the restart needs no meta, and the crash
# report waits in the spool until meta is back.
t_stop_meta
t_wait 30 grep -q 'unreachable' "$D/updater.log" ||
    fail "the updater did not notice that meta went away"
pid9=$(pid_of 9.0.0)
kill -9 "$pid9"
t_wait 20 bash -c "[ \"\$(cat '$A/9.0.0/run/pid')\" != $pid9 ]" ||
    fail "9.0.0 not restarted while meta was away"
t_wait 10 running 9.0.0 || fail "9.0.0 not running after its restart"
grep -q "demo 9.0.0: AU-CRASH: control status says stopped; restarting (crash 1)" \
    "$D/updater.log" || fail "no AU-CRASH log line"
is_current 9.0.0 || fail ".version moved off 9.0.0 after a crash"
t_wait 30 grep -q "agent demo: report .* kept for later" "$D/updater.log" ||
    fail "the crash report was not spooled"
t_start_meta
t_wait 30 reported 9.0.0 4 crash ||
    fail "the crash report made while meta was away never arrived"
msg=$(db "SELECT message FROM reports WHERE version = '9.0.0' AND outcome = 4;")
[ "$msg" = "control status said stopped; restarted (crash 1)" ] ||
    fail "9.0.0's crash report says: $msg"

# ---- (d) kill -9 of the updater inside a window
metactl set-version demo 10.0.0 --host $H >/dev/null
t_wait 30 bash -c "[ -e '$A/.probation' ] && grep -q 10.0.0 '$A/.probation'" ||
    fail "10.0.0 never entered its window"
t_wait 10 running 10.0.0 || fail "10.0.0 never started"
start_ms=$(sed -n 's/^start_ms //p' "$A/.probation")
kill -9 "$UPDATER_PID"
wait "$UPDATER_PID" 2>/dev/null || true
is_current 9.0.0 || fail ".version moved off 9.0.0 inside the window"
start_updater
t_wait 30 settled 10.0.0 || fail "10.0.0 not committed after the restart"
committed_ms=$(stat -c %.3Y "$A/.version" | tr -d .)
[ "$committed_ms" -ge $((start_ms + WINDOW * 1000)) ] ||
    fail ".version named 10.0.0 $((committed_ms - start_ms)) ms into its window"
grep -q "demo 10.0.0: updater restarted inside the health window: resuming it" \
    "$D/updater.log" || fail "the window did not resume"
t_wait 10 t_reported_ok $H demo 10.0.0 || fail "no ok report for 10.0.0"
! running 9.0.0 || fail "9.0.0 still runs beside 10.0.0"

metactl set-version demo 11.0.0 --host $H >/dev/null
t_wait 30 bash -c "[ -e '$A/.probation' ] && grep -q 11.0.0 '$A/.probation'" ||
    fail "11.0.0 never entered its window"
t_wait 10 running 11.0.0 || fail "11.0.0 never started"
kill -9 "$UPDATER_PID"
wait "$UPDATER_PID" 2>/dev/null || true
t_wait 10 bash -c "! kill -0 $(pid_of 11.0.0) 2>/dev/null" ||
    fail "11.0.0 did not die"
start_updater
not_current_until 11.0.0 30 reported 11.0.0 3 health ||
    fail "no health report for 11.0.0 after the restart"
[ "$(db "SELECT message FROM reports WHERE version = '11.0.0';")" = \
    "updater restarted inside the health window; 11.0.0 was not running" ] ||
    fail "11.0.0's report does not say why"
t_wait 10 settled 10.0.0 || fail "10.0.0 not back after 11.0.0"

# ---- (e) --once: the last heartbeat shows the result
proc_stop "$UPDATER_PID"
metactl set-version demo 12.0.0 --host $H >/dev/null
updater --once -c "$D/updater.conf" 2>> "$D/updater.log" ||
    fail "--once did not converge on 12.0.0"
settled 12.0.0 || fail "--once did not install 12.0.0"
# No updater runs now: only --once's last heartbeat can have told meta.
t_wait 5 t_converged demo 12.0.0 1 ||
    fail "meta did not see 12.0.0 after --once"
echo "health_test: ok"
