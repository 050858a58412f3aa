#!/bin/sh
# SPDX-License-Identifier: MIT
#
# usage: scripts/format-check.sh [--fix]
#
# Check (or with --fix, rewrite) every C file of the project except the
# generated gen/ with clang-format 14, the version Debian 12 ships and the
# one .clang-format was written for: another version formats differently,
# so it is refused rather than trusted.  Exit 0 when all files are
# formatted, 1 when some are not (they are listed), 2 on a usage error or
# a missing clang-format 14.
set -eu
cd "$(dirname "$0")/.."

fix=0
case "${1:-}" in
"") ;;
--fix) fix=1 ;;
*) echo "usage: format-check.sh [--fix]" >&2; exit 2 ;;
esac

cf=$(command -v clang-format-14 || command -v clang-format || true)
if [ -z "$cf" ] || ! "$cf" --version | grep -q 'version 14\.'; then
	echo "format-check.sh: clang-format 14 is needed (scripts/deps.sh installs it)" >&2
	exit 2
fi

files=$(find common meta updater ctl tests -name '*.[ch]' | sort)
if [ "$fix" -eq 1 ]; then
	# shellcheck disable=SC2086
	"$cf" -i $files
	exit 0
fi
bad=""
for f in $files; do
	"$cf" --dry-run -Werror "$f" >/dev/null 2>&1 || bad="$bad $f"
done
if [ -n "$bad" ]; then
	echo "format-check.sh: not formatted (run make format):$bad" >&2
	exit 1
fi
echo "format-check.sh: all files formatted"
