#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# release_test: the release pipeline's side, end to end with real files
# and a real meta.  Local: keygen refuses to overwrite; sign refuses bad
# names and versions, a tarball without an executable control and hostile
# tarballs; verify catches a flipped byte in the tarball or the manifest,
# another key, and another agent or version; the committed known-answer
# manifest verifies.  Against meta: upload stores a package once, the same
# bytes again are a no-op, other bytes under the same name and version are
# refused, a manifest signed by an unknown key is refused, an upload killed
# part-way and run again ends as one package, and `packages` lists it.
. "$(dirname "$0")/lib.sh"

# expect_fail WHAT CMD...: CMD must exit 1 (a failed operation, not usage).
expect_fail() {
	local what=$1 rc=0
	shift
	"$@" > "$T/out" 2> "$T/err" || rc=$?
	[ "$rc" -eq 1 ] || fail "$what: exit $rc, want 1: $(cat "$T/err")"
	grep -q '^metactl: ' "$T/err" || fail "$what: no 'metactl:' line"
}

# mkpkg DIR NAME: DIR/NAME.tar.gz from DIR/NAME/.
mkpkg() {
	tar -C "$1/$2" -czf "$1/$2.tar.gz" .
}

P=$T/pkg
mkdir -p "$P"
cd "$T"

# ---- keygen
metactl keygen rel > "$T/out"
[ "$(stat -c %a rel.key)" = 600 ] || fail "rel.key is not mode 0600"
grep -q '^ed25519-pub [0-9a-f]\{64\}$' rel.pub || fail "rel.pub format"
expect_fail "keygen over an existing key" metactl keygen rel
metactl keygen other > /dev/null

# ---- sign and verify a good release
mkdir -p "$P/good/bin"
printf '#!/bin/sh\necho started\n' > "$P/good/control"
chmod 755 "$P/good/control"
echo data > "$P/good/bin/data"
ln -s ../control "$P/good/bin/ctl"
mkpkg "$P" good
metactl sign --key rel.key --agent nodex --version 1.0.0 --expires 7d \
    "$P/good.tar.gz" > /dev/null
grep -q '^entries: 5$' "$P/good.tar.gz.sig" || fail "entries not measured"
grep -q '^expires: ' "$P/good.tar.gz.sig" || fail "no expires line"
metactl verify --pub rel.pub --agent nodex --version 1.0.0 "$P/good.tar.gz" |
    grep -q 'nodex 1.0.0' || fail "verify did not print agent and version"
[ "$(metactl -j verify --pub "$(cut -d' ' -f2 rel.pub)" "$P/good.tar.gz" |
    jq -r .hash)" = "$(b2sum -l 256 "$P/good.tar.gz" | cut -d' ' -f1)" ] ||
    fail "the manifest's hash is not b2sum -l 256 of the tarball"
expect_fail "verify with another key" \
    metactl verify --pub other.pub "$P/good.tar.gz"
grep -q 'signed by unknown key' "$T/err" || fail "unknown key not named"
expect_fail "verify for another agent" \
    metactl verify --pub rel.pub --agent nodey --version 1.0.0 "$P/good.tar.gz"
expect_fail "verify for another version" \
    metactl verify --pub rel.pub --agent nodex --version 1.0.1 "$P/good.tar.gz"

# A flipped byte in the tarball, then in the manifest.
cp "$P/good.tar.gz" "$P/flip.tar.gz"
cp "$P/good.tar.gz.sig" "$P/flip.tar.gz.sig"
printf '\xff' | dd of="$P/flip.tar.gz" bs=1 seek=40 conv=notrunc 2>/dev/null
expect_fail "verify a flipped tarball" metactl verify --pub rel.pub "$P/flip.tar.gz"
cp "$P/good.tar.gz" "$P/flip.tar.gz"
sed -i 's/^size: /size: 1/' "$P/flip.tar.gz.sig"
expect_fail "verify a changed manifest" metactl verify --pub rel.pub "$P/flip.tar.gz"
expect_fail "verify without a .sig" metactl verify --pub rel.pub "$P/nosuch.tar.gz"

# The committed known answer.
metactl verify --pub "$AU_SRC/tests/kat/test-release-key.pub" \
    "$AU_SRC/tests/kat/nodex-1.4.2.tar.gz" > /dev/null ||
    fail "the KAT manifest does not verify"

# ---- sign refuses
rc=0
metactl sign --key rel.key --agent Nodex --version 1.0.0 "$P/good.tar.gz" \
    2> /dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "sign with a bad agent name: exit $rc, want 2"
rc=0
metactl sign --key rel.key --agent nodex --version v1 "$P/good.tar.gz" \
    2> /dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "sign with a bad version: exit $rc, want 2"

mkdir -p "$P/noexec" && printf '#!/bin/sh\n' > "$P/noexec/control"
chmod 644 "$P/noexec/control" && mkpkg "$P" noexec
expect_fail "sign without an executable control" \
    metactl sign --key rel.key --agent nodex --version 1.0.0 "$P/noexec.tar.gz"
grep -q 'no executable control' "$T/err" || fail "no-control reason"
[ ! -e "$P/noexec.tar.gz.sig" ] || fail "a .sig was written for a refused tarball"

hostile() {
	local name=$1
	shift
	expect_fail "sign $name" metactl sign --key rel.key --agent nodex \
	    --version 1.0.0 "$P/$name.tar"
	[ ! -e "$P/$name.tar.sig" ] || fail "$name: a .sig was written"
}
mkdir -p "$P/h"
cp "$P/good/control" "$P/h/control"
(cd "$P/h" && tar -cPf "$P/dotdot.tar" control ../good/bin/data)
hostile dotdot
(cd "$P/h" && tar -cPf "$P/absolute.tar" control /etc/hostname)
hostile absolute
(cd "$P/h" && ln -sf / root && tar -cf "$P/rootlink.tar" control root && rm root)
hostile rootlink
(cd "$P/h" && ln -sf ../../x up && tar -cf "$P/uplink.tar" control up && rm up)
hostile uplink
(cd "$P/h" && cp control c2 && ln c2 hard && tar -cf "$P/hardlink.tar" control c2 hard && rm c2 hard)
hostile hardlink
(cd "$P/h" && mkfifo fifo && tar -cf "$P/fifo.tar" control fifo && rm fifo)
hostile fifo
(cd "$P/h" && cp control suid && chmod 4755 suid && tar -cf "$P/suid.tar" control suid && rm suid)
hostile suid
mkdir -p "$P/mid" && cp "$P/good/control" "$P/mid/control"
head -c 200000 /dev/urandom > "$P/mid/blob" && mkpkg "$P" mid
head -c 100000 "$P/mid.tar.gz" > "$P/trunc.tar"
hostile trunc

# ---- against meta
t_setup_meta "max_package_size = 33554432"
# t_setup_meta made release.key/pub for the [release] section; sign with it.
mkdir -p "$P/big/bin"
cp "$P/good/control" "$P/big/control"
head -c 20000000 /dev/urandom > "$P/big/bin/blob"
mkpkg "$P" big
metactl sign --key "$T/release.key" --agent bigapp --version 2.0.0 \
    "$P/big.tar.gz" > /dev/null

# An upload killed part-way (wherever it stopped) then run again: one package.
# (No timing is asserted: the kill lands wherever it lands.)
(timeout -s TERM 0.3 metactl -c "$T/release.conf" upload "$P/big.tar.gz" \
    > /dev/null 2>&1) 2> /dev/null || true
metactl -c "$T/release.conf" upload "$P/big.tar.gz" > "$T/out" ||
    fail "upload after an interrupted one failed"
hash=$(b2sum -l 256 "$P/big.tar.gz" | cut -d' ' -f1)
grep -q "$hash" "$T/out" || fail "upload did not print the hash"
grep -q 'bigapp' "$T/out" || fail "upload did not print the package id"
[ -z "$(find "$T/meta-data" -name '*.part')" ] || fail "a partial upload is left"
metactl -c "$T/release.conf" -j upload "$P/big.tar.gz" > "$T/out" ||
    fail "the same upload again failed"
[ "$(jq -r .already_present "$T/out")" = true ] ||
    fail "a second upload was not a no-op"
[ "$(jq -r .hash "$T/out")" = "$hash" ] || fail "upload -j hash"
[ "$(metactl -j packages bigapp | jq length)" -eq 1 ] ||
    fail "packages bigapp does not list exactly one package"
[ "$(metactl -j packages bigapp | jq -r '.[0].hash')" = "$hash" ] ||
    fail "the stored package has another hash"
[ "$(metactl -j packages bigapp | jq -r '.[0].size')" = "$(stat -c %s "$P/big.tar.gz")" ] ||
    fail "the stored package has another size"
metactl packages | grep -q '^bigapp  *2\.0\.0 ' || fail "packages table"

# Other bytes under the same name and version.
metactl sign --key "$T/release.key" --agent bigapp --version 2.0.0 \
    "$P/good.tar.gz" > /dev/null
expect_fail "upload other bytes as bigapp 2.0.0" \
    metactl -c "$T/release.conf" upload "$P/good.tar.gz"
grep -qi 'already exists' "$T/err" || fail "other bytes: $(cat "$T/err")"

# A manifest signed by a key meta does not know.
metactl sign --key rel.key --agent nodex --version 3.0.0 "$P/good.tar.gz" > /dev/null
expect_fail "upload signed by an unknown key" \
    metactl -c "$T/release.conf" upload "$P/good.tar.gz"
grep -qi 'unauthenticated\|unknown key' "$T/err" || fail "unknown key: $(cat "$T/err")"
[ "$(metactl -j packages nodex | jq length)" -eq 0 ] ||
    fail "a refused upload is visible"

echo "$T_NAME: ok"
