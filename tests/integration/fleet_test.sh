#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# fleet_test: one meta and 20 real updater processes on 127.0.0.1.  A
# rollout by prefix, then by percentage, then to all; every host converges;
# a host whose new agent fails to start rolls back and shows in `metactl
# hosts --failed`; `metactl status` agrees with what the hosts' folders say.
. "$(dirname "$0")/lib.sh"

N=20
t_setup_meta
for i in $(seq -w 1 $N); do
	case $i in
	0[1-5]) t_start_updater "web-$i" ;;
	*) t_start_updater "app-$i" ;;
	esac
done
t_wait 60 bash -c '[ "$(metactl --json hosts | jq length)" -eq '$N' ]' ||
    fail "not all $N hosts enrolled"

# Every host runs fleet at the version meta wants of it, started.
all_at_desired() {
	[ "$(metactl --json hosts | jq '[.[].agents[]? | select(.name == "fleet"
	    and (.version != .desired_version or .status != "started"))] | length')" -eq 0 ]
}
# How many hosts meta wants at fleet VERSION.
wanted() {
	metactl --json hosts | jq --arg v "$1" \
	    '[.[].agents[]? | select(.name == "fleet" and .desired_version == $v)] | length'
}

t_release fleet 1.0.0 good
t_release fleet 2.0.0 good
t_release fleet 3.0.0 broken

# Everyone on 1.0.0.
metactl set-version fleet 1.0.0 >/dev/null
t_wait 120 t_converged fleet 1.0.0 $N || fail "1.0.0 did not reach all hosts"

# 2.0.0 by prefix: exactly the five web hosts.
metactl set-version fleet 2.0.0 --prefix web- >/dev/null
t_wait 60 t_converged fleet 2.0.0 5 || fail "prefix web- did not converge"
t_wait 30 all_at_desired || fail "prefix web-: hosts did not settle"
[ "$(t_count fleet 2.0.0)" -eq 5 ] || fail "prefix rollout reached $(t_count fleet 2.0.0) hosts, want 5"
for i in 01 02 03 04 05; do
	[ "$(cat "$T/hosts/web-$i/agents/fleet/.version")" = 2.0.0 ] ||
	    fail "web-$i: .version is not 2.0.0"
done

# 2.0.0 to 50% (plus the prefix rule, which still holds for web-*).
metactl set-version fleet 2.0.0 --percent 50 >/dev/null
t_wait 60 bash -c '[ "$(metactl --json hosts | jq "[.[].agents[]? | select(.name == \"fleet\" and .desired_version == \"2.0.0\")] | length")" -gt 5 ]' ||
    fail "after --percent 50, meta wants 2.0.0 on no app host"
t_wait 60 all_at_desired || fail "after --percent 50, hosts did not converge"
n50=$(t_count fleet 2.0.0)
[ "$n50" -eq "$(wanted 2.0.0)" ] ||
    fail "after --percent 50, $n50 hosts run 2.0.0 but meta wants $(wanted 2.0.0)"
[ "$n50" -gt 5 ] && [ "$n50" -lt $N ] ||
    fail "after --percent 50, $n50 hosts run 2.0.0 (want the 5 web hosts and some, not all, app hosts)"

# Then everyone.
metactl set-version fleet 2.0.0 >/dev/null
metactl unset fleet --percent 50 >/dev/null || true
t_wait 120 t_converged fleet 2.0.0 $N || fail "2.0.0 did not reach all hosts"

# A broken 3.0.0 on one host: it rolls back to 2.0.0 and shows as failed.
metactl set-version fleet 3.0.0 --host app-10 >/dev/null
t_wait 60 bash -c 'metactl hosts --failed | grep -q app-10' ||
    fail "app-10 never showed in hosts --failed"
# The report names the version and the failing step ("started" in the
# agents column is not enough: it shows before the report arrives).
t_wait 30 bash -c 'metactl hosts --failed | grep app-10 |
    grep -q "rolled back 3.0.0 at start"' ||
    fail "hosts --failed does not say which step failed"
[ "$(cat "$T/hosts/app-10/agents/fleet/.version")" = 2.0.0 ] ||
    fail "app-10 did not roll back to 2.0.0"
t_wait 20 bash -c '[ "$(metactl --json hosts --failed | jq length)" -eq 1 ]' ||
    fail "hosts --failed lists more than app-10"

# metactl status agrees with the hosts' folders.
on_disk=0
for d in "$T"/hosts/*/agents/fleet; do
	[ "$(cat "$d/.version")" = 2.0.0 ] && on_disk=$((on_disk + 1))
done
[ "$on_disk" -eq $N ] || fail "$on_disk hosts have .version 2.0.0 on disk, want $N"
t_wait 20 bash -c '[ "$(metactl --json status fleet | jq "[.[0].counts[]? | select(.version == \"2.0.0\" and .status == \"started\") | .hosts] | add")" -eq '$N' ]' ||
    fail "metactl status does not count $N hosts on 2.0.0 started"
echo "fleet_test: ok ($N hosts)"
