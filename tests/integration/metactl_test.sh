#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# metactl_test: a real meta on 127.0.0.1 driven by metactl, with four real
# host clients (hbsend: its own ed25519 identity each, mutual TLS):
#   web-1  enrolls pending, is accepted, runs what meta wants      -> ok
#   web-2  reports a rolled-back install                           -> failed
#   web-3  preauthorized with `hosts add`, then goes quiet         -> stale
#   db-1   enrolls and is never accepted                           -> pending
# The outputs of `hosts`, `hosts --failed/--stale/--pending` and `status`
# are compared with tests/integration/golden/*.ok ("Ns ago" normalized);
# AU_UPDATE_GOLDEN=1 rewrites them.  Also: exit codes and one-line errors,
# --json, rules, audit, log, enrollment refusals, the man page's SYNOPSIS.
. "$(dirname "$0")/lib.sh"

GOLDEN=$AU_SRC/tests/integration/golden
STALE_AFTER=5

# --- setup: certificates (and one for the hosts), keys, auto_accept off ----
T_AUTO_ACCEPT=no t_setup_meta "stale_after = $STALE_AFTER
failed_grace = 60" host

# hb HOST [hbsend options and AGENT=VERSION/STATUS ...]: one heartbeat.
hb() {
	local h=$1
	shift
	hbsend -u "$URL" -n localhost -a "$T/certs/ca.crt" \
	    -c "$T/certs/host.crt" -k "$T/certs/host.key" \
	    -i "$T/id-$h.key" -H "$h" "$@"
}

# expect_fail CODE CMD...: CMD exits CODE and says one line on stderr.
expect_fail() {
	local want=$1 rc=0
	shift
	"$@" > "$T/out" 2> "$T/err" || rc=$?
	[ "$rc" -eq "$want" ] || fail "$*: exit $rc, want $want: $(cat "$T/err")"
	if [ "$want" -eq 1 ]; then
		[ "$(wc -l < "$T/err")" -eq 1 ] || fail "$*: not one line: $(cat "$T/err")"
		grep -q '^metactl: ' "$T/err" || fail "$*: stderr: $(cat "$T/err")"
	fi
}

# Column widths stay put: LAST-SEEN is 9 wide (its header), so each
# "N[smhd] ago" and its padding is 11 characters.
norm() {
	sed -E 's/[0-9]+[smhd] ago +/N ago      /g'
}

# golden NAME CMD...: CMD's output, normalized, into $T/NAME.out; with
# AU_UPDATE_GOLDEN=1 it becomes the golden file.  Returns 1 when it differs
# from tests/integration/golden/NAME.ok (the caller decides to fail).
golden() {
	local name=$1
	shift
	"$@" | norm > "$T/$name.out" || fail "$*: exit $?"
	if [ "${AU_UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$T/$name.out" "$GOLDEN/$name.ok"
	else
		diff -u "$GOLDEN/$name.ok" "$T/$name.out" > "$T/$name.diff"
	fi
}

# --- ping, log -----------------------------------------------------------
metactl ping > "$T/ping" || fail "ping"
grep -q '^caller admin (admin)$' "$T/ping" || fail "ping: $(cat "$T/ping")"
grep -q '^round trip ' "$T/ping" || fail "ping: no round trip"
[ "$(metactl -j ping | jq -r .caller_role)" = admin ] || fail "ping --json"
metactl log verbose | grep -qx 'meta: log verbose (was brief)' || fail "log verbose"
metactl log brief | grep -qx 'meta: log brief (was verbose)' || fail "log brief"

# --- a release to want --------------------------------------------------
mkdir -p "$T/pkg/nodex"
printf '#!/bin/sh\necho started\n' > "$T/pkg/nodex/control"
chmod 755 "$T/pkg/nodex/control"
tar -C "$T/pkg/nodex" -czf "$T/pkg/nodex-1.4.2.tar.gz" control
metactl sign --key "$T/release.key" --agent nodex --version 1.4.2 \
    "$T/pkg/nodex-1.4.2.tar.gz" >/dev/null || fail "sign"
metactl -c "$T/release.conf" upload "$T/pkg/nodex-1.4.2.tar.gz" >/dev/null ||
    fail "upload"
metactl set-version nodex 1.4.2 | grep -qx 'nodex 1.4.2 start: default' ||
    fail "set-version"

# --- enrollment ----------------------------------------------------------
(cd "$T" && metactl keygen id-web-3 >/dev/null) || fail "keygen id-web-3"
metactl hosts add web-3 --key "$T/id-web-3.pub" | grep -qx 'host web-3: accepted' ||
    fail "hosts add"
hb web-3 nodex=1.4.2/started | grep -qx 'state accepted' || fail "web-3 not accepted"

hb web-1 nodex=/stopped | grep -qx 'state pending' || fail "web-1 not pending"
metactl hosts accept web-1 | grep -qx 'host web-1: accepted' || fail "accept"
hb web-1 nodex=/stopped | grep -qx 'desired nodex 1.4.2 start' || fail "web-1 desired"
hb web-2 nodex=1.4.1/started | grep -qx 'state pending' || fail "web-2 not pending"
metactl hosts accept web-2 >/dev/null || fail "accept web-2"

# Another key under a known name is refused.
hb web-1 -i "$T/id-impostor.key" > /dev/null 2> "$T/err" && fail "impostor accepted"
grep -q PERMISSION_DENIED "$T/err" || fail "impostor: $(cat "$T/err")"

# A rejected host's heartbeats are refused; after remove it may enroll again.
hb tmp-1 >/dev/null || fail "tmp-1"
metactl hosts reject tmp-1 | grep -qx 'host tmp-1: rejected' || fail "reject"
hb tmp-1 >/dev/null 2> "$T/err" && fail "rejected host served"
grep -q PERMISSION_DENIED "$T/err" || fail "rejected: $(cat "$T/err")"
metactl hosts remove tmp-1 | grep -qx 'host tmp-1: removed' || fail "remove"

# web-3 goes quiet; the others heartbeat after stale_after has passed.
t_wait 30 bash -c "metactl hosts --stale | grep -q '^web-3 '" ||
    fail "web-3 never went stale"
hb web-2 -r "nodex:1.4.2:rolled-back:start:1:boom" -R web-2-r1 \
    nodex=1.4.1/started > "$T/out" || fail "web-2 report"
grep -qx 'report web-2-r1' "$T/out" || fail "report: $(cat "$T/out")"
hb web-2 -r "nodex:1.4.2:rolled-back:start:1:boom" -R web-2-r1 \
    nodex=1.4.1/started | grep -qx 'report web-2-r1 duplicate' ||
    fail "a resent report was not a duplicate"

# --- the goldens -----------------------------------------------------------
# The listings depend on web-1, web-2 and db-1 having heartbeated within
# stale_after: on a loaded machine the heartbeats and the five listings can
# take longer than that, so heartbeat again and list again until they match.
goldens_match() {
	local rc=0
	hb web-1 nodex=1.4.2/started >/dev/null || fail "web-1"
	hb web-2 nodex=1.4.1/started >/dev/null || fail "web-2"
	hb db-1 nodex=1.4.0/started | grep -qx 'state pending' || fail "db-1"
	golden hosts metactl hosts || rc=1
	golden hosts-failed metactl hosts --failed || rc=1
	golden hosts-stale metactl hosts --stale || rc=1
	golden hosts-pending metactl hosts --pending || rc=1
	golden status metactl status || rc=1
	return $rc
}
deadline=$((SECONDS + 60))
until goldens_match; do
	if [ "$SECONDS" -ge "$deadline" ]; then
		cat "$T"/*.diff >&2
		fail "metactl listings differ from tests/integration/golden"
	fi
done

[ "$(metactl -j hosts | jq -r '[.[].hostname] | join(" ")')" = "db-1 web-1 web-2 web-3" ] ||
    fail "hosts --json: $(metactl -j hosts)"
[ "$(metactl -j hosts --failed | jq -r '.[0].agents[0].failed')" = true ] ||
    fail "hosts --json --failed"
[ "$(metactl hosts --prefix web- | tail -n +2 | wc -l)" -eq 3 ] || fail "--prefix"
[ "$(metactl -j status nodex | jq -r '.[0].default_version')" = 1.4.2 ] ||
    fail "status --json"

# --- rules, unset, audit ---------------------------------------------------
metactl set-version nodex 1.4.2 --percent 10 --stop >/dev/null || fail "percent"
metactl rules nodex | grep -Eq '^nodex +percent 10% +1\.4\.2 +stop ' ||
    fail "rules: $(metactl rules nodex)"
metactl unset nodex --percent 10 | grep -qx 'nodex: 10% of hosts: 1 rule removed' ||
    fail "unset"
[ "$(metactl -j rules | jq length)" -eq 1 ] || fail "rules after unset"
metactl audit --since 1h > "$T/audit" || fail "audit"
grep -q ' admin ' "$T/audit" || fail "audit: $(cat "$T/audit")"
[ "$(metactl -j audit | jq length)" -ge 5 ] || fail "audit --json"

# --- failures: exit 1 and one line; usage: exit 2 --------------------------
expect_fail 1 metactl hosts accept no-such-host
expect_fail 1 metactl -c "$T/release.conf" set-version nodex 1.4.2
expect_fail 1 metactl set-version nodex 9.9.9
expect_fail 2 metactl set-version nodex
expect_fail 2 metactl hosts --bogus
expect_fail 2 metactl audit --since yesterday
METACTL_URL="tls+tcp://127.0.0.1:1" expect_fail 1 metactl ping

# --- the man page's SYNOPSIS names every command ---------------------------
syn=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$AU_SRC/docs/metactl.8")
while read -r w1 w2 _; do
	name=$w1
	case $w2 in accept|reject|remove|add|show|start|status|pause|resume|abort) name="$w1 $w2" ;; esac
	grep -qx "\.Cm $name" <<< "$syn" || fail "docs/metactl.8 SYNOPSIS lacks '$name'"
done < <(metactl --synopsis)

echo "metactl_test: ok"
