#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# meta_conf_test: golden files for meta's config parser.  For each
# tests/conf/meta.N.in, `meta -nv -c meta.N.in` (stdout, stderr and the
# exit status) must equal meta.N.ok, and a printed config must parse
# again to the same text.  AU_UPDATE_GOLDEN=1 rewrites the .ok files.
. "$(dirname "$0")/lib.sh"

cd "$AU_SRC/tests/conf"
bad=0
for in in meta.*.in; do
	ok=${in%.in}.ok
	{ meta -nv -c "$in" 2>&1 && echo "exit 0" || echo "exit $?"; } \
	    > "$T/out"
	if [ "${AU_UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$T/out" "$ok"
		continue
	fi
	if ! diff -u "$ok" "$T/out"; then
		echo "$T_NAME: $in: output differs from $ok" >&2
		bad=1
	fi
	# The round trip: what -nv printed parses to the same text.
	if grep -qx "exit 0" "$T/out"; then
		grep -vx "exit 0" "$T/out" > "$T/printed.conf"
		meta -nv -c "$T/printed.conf" > "$T/again" 2>&1
		if ! diff -u "$T/printed.conf" "$T/again"; then
			echo "$T_NAME: $in: printed config does not" \
			    "parse back to itself" >&2
			bad=1
		fi
	fi
done
exit $bad
