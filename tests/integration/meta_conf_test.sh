#!/bin/sh
# SPDX-License-Identifier: MIT
#
# meta_conf_test: golden files for meta's config parser.  For each
# tests/conf/meta.N.in, `meta -nv -c meta.N.in` (stdout, stderr and the
# exit status) must equal meta.N.ok, and a printed config must parse
# again to the same text.  AU_UPDATE_GOLDEN=1 rewrites the .ok files.
set -eu
: "${AU_BIN:?}" "${AU_SRC:?}"
meta="$AU_BIN/meta"
cd "$AU_SRC/tests/conf"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
for in in meta.*.in; do
	ok=${in%.in}.ok
	{ "$meta" -nv -c "$in" 2>&1 && echo "exit 0" || echo "exit $?"; } \
	    > "$tmp/out"
	if [ "${AU_UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$tmp/out" "$ok"
		continue
	fi
	if ! diff -u "$ok" "$tmp/out"; then
		echo "meta_conf_test: $in: output differs from $ok" >&2
		fail=1
	fi
	# The round trip: what -nv printed parses to the same text.
	if grep -qx "exit 0" "$tmp/out"; then
		grep -vx "exit 0" "$tmp/out" > "$tmp/printed.conf"
		"$meta" -nv -c "$tmp/printed.conf" > "$tmp/again" 2>&1
		if ! diff -u "$tmp/printed.conf" "$tmp/again"; then
			echo "meta_conf_test: $in: printed config does not" \
			    "parse back to itself" >&2
			fail=1
		fi
	fi
done
exit $fail
