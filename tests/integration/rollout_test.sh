#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# rollout_test: phased rollouts end to end, one meta and 10 real updater
# processes on 127.0.0.1, driven by metactl (rollout_meta_test covers 20
# hosts as real signed RPC clients; this one runs the updaters themselves):
#   - a rollout that advances through its waves (never beyond the current
#     wave's hosts) and ends done, with the version as the new default;
#   - a broken release whose rollout halts itself on the same error in its
#     first wave: the other hosts never see it, no host's healthy agent is
#     restarted afterwards (no churn), `rollout status` names the signature;
#   - `metactl retry --failed`: the failed hosts try once more, once;
#   - abort: every host asked for the previous version, nothing failed;
#   - a rollout that halts on --max-failed;
#   - meta killed with SIGKILL mid-rollout: it comes back in the same state
#     and wave and finishes;
#   - `set-version --stop` without a version, and `remove`.
. "$(dirname "$0")/lib.sh"

N=10
t_setup_meta
for i in $(seq -w 1 $N); do
	t_start_updater "h$i"
done
t_wait 60 bash -c '[ "$(metactl --json hosts | jq length)" -eq '$N' ]' ||
    fail "not all $N hosts enrolled"

# rollout JQ: evaluate JQ on the newest rollout of demo (finished ones too).
rollout() {
	metactl --json rollout status --all demo | jq -r ".[0] | $1"
}

# state_is STATE: demo's newest rollout is in STATE.
state_is() {
	[ "$(rollout .state)" = "$1" ]
}

# pids: "HOST VERSION PID" for every host, from the folders.
pids() {
	local h v
	for h in "$T"/hosts/*/; do
		h=$(basename "$h")
		v=$(cat "$T/hosts/$h/agents/demo/.version" 2>/dev/null) || v=-
		echo "$h $v $(cat "$T/hosts/$h/agents/demo/$v/run/pid" 2>/dev/null || echo -)"
	done
}

# tried VERSION: how many hosts sent meta a report about demo VERSION.
tried() {
	sqlite3 -readonly "$T/meta-data/meta.db" \
	    "SELECT count(DISTINCT hostname) FROM reports WHERE agent = 'demo'
	     AND version = '$1';"
}

# reports VERSION: how many reports about demo VERSION meta stored.
reports() {
	sqlite3 -readonly "$T/meta-data/meta.db" \
	    "SELECT count(*) FROM reports WHERE agent = 'demo' AND version = '$1';"
}

# reports_at_least VERSION N: meta stored at least N reports about it.
reports_at_least() {
	[ "$(reports "$1")" -ge "$2" ]
}

# heartbeated_since MS: every host heartbeated after MS (meta's clock).
heartbeated_since() {
	[ "$(metactl --json hosts | jq --argjson t "$1" \
	    '[.[] | select(.last_seen_ms <= $t)] | length')" -eq 0 ]
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# step TEXT: say how far the test got, and when (kept in CTest's output).
step() {
	echo "rollout_test: ${SECONDS}s: $*" >&2
}

t_release demo 1.0.0 good
t_release demo 2.0.0 good
t_release demo 3.0.0 broken
t_release demo 3.0.1 broken
t_release demo 4.0.0 good

step "enrolled; releases uploaded"
metactl set-version demo 1.0.0 >/dev/null
t_wait 120 t_converged demo 1.0.0 $N || fail "1.0.0 did not reach all hosts"

step "every host on 1.0.0"
# --- 1. waves: 10% (1 host), 50%, 100% -------------------------------------
metactl rollout start demo 2.0.0 --waves 10,50,100 --bake 2s > "$T/out" ||
    fail "rollout start: $(cat "$T/out")"
deadline=$((SECONDS + 180))
waves_seen=""
until state_is done; do
	[ "$SECONDS" -lt "$deadline" ] || fail "rollout 2.0.0 not done: $(rollout .)"
	wave=$(rollout .wave)
	case " $waves_seen " in *" $wave "*) ;; *) waves_seen="$waves_seen $wave" ;; esac
	if [ "$wave" = 0 ]; then
		n=$(t_count demo 2.0.0)
		[ "$n" -le 1 ] || fail "wave 1 (10%) is 1 host, $n run 2.0.0"
	fi
	sleep 0.5
done
[ "$(echo $waves_seen | wc -w)" -ge 2 ] ||
    fail "the rollout did not show its waves (saw:$waves_seen)"
[ "$(rollout '.wave_stats[0].hosts')" -eq 1 ] ||
    fail "10% of 10 hosts is 1, wave 1 had $(rollout '.wave_stats[0].hosts')"
t_wait 120 t_converged demo 2.0.0 $N || fail "2.0.0 did not reach all hosts"
metactl rules demo | grep default | grep -q 2.0.0 ||
    fail "a done rollout did not make 2.0.0 the default: $(metactl rules demo)"

step "rollout 2.0.0 done"
# --- 2. a broken release halts itself on the same error --------------------
pids > "$T/pids.before"
metactl rollout start demo 3.0.0 --waves 30,100 --bake 1s --same-error 3 \
    --max-failed 5 >/dev/null || fail "rollout start 3.0.0"
t_wait 120 state_is halted || fail "rollout 3.0.0 did not halt: $(rollout .)"
rollout .reason | grep -q '^same-error' || fail "halt reason: $(rollout .reason)"
rollout '.signatures[0].signature' | grep -q '^start' ||
    fail "signature: $(rollout '.signatures[0]')"
metactl rollout status demo | grep -q 'same-error' || fail "rollout status text"
[ "$(tried 3.0.0)" -le 3 ] || fail "3.0.0 reached $(tried 3.0.0) hosts, wave 1 is 3"
# Hosts outside the failed wave kept their process; the failed ones rolled
# back to 2.0.0 by themselves.
t_wait 60 t_converged demo 2.0.0 $N || fail "not every host runs 2.0.0"
pids > "$T/pids.halted"
failed=$(metactl --json hosts --failed | jq -r '.[].hostname' | sort)
[ -n "$failed" ] || fail "no host shows failed after the halt"
for h in $(cut -d' ' -f1 "$T/pids.before"); do
	case " $(echo $failed) " in *" $h "*) continue ;; esac
	[ "$(grep "^$h " "$T/pids.before")" = "$(grep "^$h " "$T/pids.halted")" ] ||
	    fail "$h was not in the failed wave but its agent changed"
done
step "rollout 3.0.0 halted"
# No churn: three more heartbeats from every host, and nothing restarts.
since=$(($(now_ms) + 3000))
t_wait 60 heartbeated_since "$since" || fail "hosts stopped heartbeating"
pids > "$T/pids.later"
diff -u "$T/pids.halted" "$T/pids.later" ||
    fail "a healthy agent was restarted after the rollout halted"
metactl hosts --failed | grep -q 'not retried' ||
    fail "hosts --failed does not say the version is not retried"

# metactl retry --failed: each failed host tries 3.0.0 once more, and once.
before=$(reports 3.0.0)
nfailed=$(echo "$failed" | wc -w)
metactl retry demo --failed > "$T/out" || fail "retry: $(cat "$T/out")"
grep -q "for $nfailed failed host" "$T/out" || fail "retry said: $(cat "$T/out")"
t_wait 60 reports_at_least 3.0.0 $((before + nfailed)) ||
    fail "retry: the failed hosts did not try 3.0.0 again"
since=$(($(now_ms) + 3000))
t_wait 60 heartbeated_since "$since" || fail "hosts stopped heartbeating"
[ "$(reports 3.0.0)" -eq $((before + nfailed)) ] ||
    fail "retry: 3.0.0 was tried more than once more ($before -> $(reports 3.0.0))"

step "no churn"
# --- 3. abort: back to 2.0.0 everywhere, nothing failed ---------------------
metactl rollout abort demo --reason "3.0.0 is broken" >/dev/null || fail "abort"
state_is aborted || fail "not aborted: $(rollout .state)"
t_wait 60 bash -c '[ "$(metactl --json hosts --failed | jq length)" -eq 0 ]' ||
    fail "hosts still failed after abort: $(metactl hosts --failed)"
t_converged demo 2.0.0 $N || fail "not every host on 2.0.0 after abort"

step "aborted"
# --- 4. a halt on --max-failed -----------------------------------------------
metactl rollout start demo 3.0.1 --waves 50,100 --bake 1s --max-failed 1 \
    --same-error 20 >/dev/null || fail "rollout start 3.0.1"
t_wait 120 state_is halted || fail "rollout 3.0.1 did not halt: $(rollout .)"
rollout .reason | grep -q '^max-failed' || fail "halt reason: $(rollout .reason)"
metactl rollout abort demo >/dev/null || fail "abort 3.0.1"
t_wait 60 t_converged demo 2.0.0 $N || fail "not back on 2.0.0"

step "max-failed halt"
# --- 5. meta killed mid-rollout ----------------------------------------------
metactl rollout start demo 4.0.0 --waves 10,50,100 --bake 2s >/dev/null ||
    fail "rollout start 4.0.0"
id=$(rollout .id)
t_wait 120 bash -c "[ \"\$(metactl --json rollout status demo | jq -r '.[0].wave')\" -ge 1 ]" ||
    fail "rollout 4.0.0 did not reach its second wave: $(rollout .)"
wave=$(rollout .wave)
kill -9 "$META_PID"
wait "$META_PID" 2>/dev/null || true
t_start_meta
[ "$(rollout .id)" = "$id" ] || fail "after kill -9: another rollout"
[ "$(rollout .wave)" -ge "$wave" ] || fail "after kill -9: wave went back"
state_is running || state_is done || fail "after kill -9: $(rollout .state)"
t_wait 180 state_is done || fail "rollout 4.0.0 did not finish after the restart"
t_wait 120 t_converged demo 4.0.0 $N || fail "4.0.0 did not reach all hosts"

step "rollout 4.0.0 done after kill -9"
# --- 6. stop without a version, and remove -------------------------------------
metactl set-version demo --stop --prefix h0 >/dev/null || fail "set-version --stop"
stopped() {
	[ "$(metactl --json hosts --prefix h0 | jq '[.[].agents[]? |
	    select(.name == "demo" and .status == "stopped")] | length')" -eq 9 ]
}
t_wait 60 stopped || fail "hosts h01..h09 did not stop demo"
t_converged demo 4.0.0 1 || fail "h10, outside prefix h0, stopped too"
metactl remove demo --host h10 >/dev/null || fail "remove"
t_wait 60 test ! -e "$T/hosts/h10/agents/demo" || fail "h10 kept demo's folder"
t_wait 30 bash -c '[ "$(metactl --json hosts --prefix h10 | jq "[.[].agents[]? |
    select(.name == \"demo\" and .version != null)] | length")" -eq 0 ]' ||
    fail "meta still lists demo on h10"
echo "rollout_test: ok"
