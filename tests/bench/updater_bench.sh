#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# updater_bench: the updater's idle resident memory and its CPU time per
# heartbeat cycle with 5 agents installed and converged, against a real
# meta on 127.0.0.1.  CPU is the updater's own run time, all threads, from
# the scheduler's schedstat (the control scripts it runs are children and
# are not counted), divided by the cycles it logged.  Targets (issue 5): <= 4 MB RSS idle, <= 2 ms CPU
# per cycle.  Never run by `make test`.
#
# usage: AU_BIN=build/bin AU_SRC=. bash tests/bench/updater_bench.sh [SECONDS]
. "$AU_SRC/tests/integration/lib.sh"

SECS=${1:-30}
t_setup_meta
t_start_updater bench "agents = a1 a2 a3 a4 a5"
PID=${T_PIDS[-1]}
# Debug logging to count cycles: restart the updater with -v.
proc_stop "$PID"
unset 'T_PIDS[-1]'
D=$T/hosts/bench
updater -d -v -c "$D/updater.conf" 2>> "$D/updater.log" &
PID=$!
T_PIDS+=("$PID")
for i in 1 2 3 4 5; do
	t_release "a$i" 1.0.0 good
	metactl set-version "a$i" 1.0.0 >/dev/null
done
t_wait 60 bash -c "[ \$(ls $D/agents/*/.version 2>/dev/null | wc -l) -eq 5 ]" ||
    fail "5 agents did not install"
sleep 3

# CPU time of every thread of the updater in nanoseconds, from the
# scheduler's own accounting (/proc/PID/task/*/schedstat, first field):
# /proc/PID/stat counts 10 ms clock ticks, too coarse for 2 ms cycles.
cpu_ns() { cat /proc/"$PID"/task/*/schedstat | awk '{ s += $1 } END { printf "%d", s }'; }
ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
c0=$(grep -c 'cycle done' "$D/updater.log")
t0=$(ticks)
n0=$(cpu_ns)
sleep "$SECS"
n1=$(cpu_ns)
t1=$(ticks)
c1=$(grep -c 'cycle done' "$D/updater.log")
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$PID/status")
anon=$(awk '/^RssAnon/ {print $2}' "/proc/$PID/status")
thr=$(awk '/^Threads/ {print $2}' "/proc/$PID/status")
hz=$(getconf CLK_TCK)
cycles=$((c1 - c0))
[ "$cycles" -gt 0 ] || fail "no heartbeat cycles in $SECS s"
awk -v t=$((t1 - t0)) -v hz="$hz" -v c="$cycles" -v rss="$rss" -v s="$SECS" \
    -v anon="$anon" -v thr="$thr" -v ns=$((n1 - n0)) 'BEGIN {
	printf "updater_bench: %d cycles in %d s, 5 agents\n", c, s
	printf "  idle RSS        %.2f MB (target <= 4 MB), of it anonymous %.2f MB, %d threads\n", rss / 1024, anon / 1024, thr
	printf "  CPU per cycle   %.2f ms (target <= 2 ms; schedstat; from clock ticks of %.0f ms: %.2f ms)\n", ns / 1e6 / c, 1000 / hz, t * 1000 / hz / c
}'
