#!/bin/sh
# SPDX-License-Identifier: MIT
#
# usage: scripts/fuzz.sh BIN_DIR [SECONDS]
#
# Run every fuzz_* libFuzzer binary in BIN_DIR for SECONDS (default 60)
# each, starting from its seeds in tests/fuzz/seeds/<name without fuzz_>/.
# New inputs go to a scratch corpus that is removed afterwards, so the
# committed seeds stay small; crashes are kept in BIN_DIR/fuzz-artifacts/.
# Build the binaries first:
#   CC=clang cmake -S . -B build-fuzz -DAU_FUZZ=ON && cmake --build build-fuzz
# Exit 0 when every harness ran clean, 1 when one found a crash, 2 usage.
set -eu

usage() {
	echo "usage: fuzz.sh BIN_DIR [SECONDS]" >&2
	exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
bindir=$1
secs=${2:-60}
case "$secs" in ''|*[!0-9]*) usage ;; esac
src=$(cd "$(dirname "$0")/.." && pwd)
[ -d "$bindir" ] || { echo "fuzz.sh: $bindir: no such directory" >&2; exit 2; }

found=0
failed=0
arts="$bindir/fuzz-artifacts"
mkdir -p "$arts"
for bin in "$bindir"/fuzz_*; do
	[ -x "$bin" ] || continue
	found=1
	name=$(basename "$bin")
	seeds="$src/tests/fuzz/seeds/${name#fuzz_}"
	corpus=$(mktemp -d)
	trap 'rm -rf "$corpus"' EXIT INT TERM
	[ -d "$seeds" ] && cp "$seeds"/* "$corpus"/ 2>/dev/null || true
	echo "fuzz.sh: $name for ${secs}s ($(ls "$corpus" | wc -l) seeds)"
	if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -max_len=65536 -artifact_prefix="$arts/$name-" -print_final_stats=1 \
	    "$corpus" >"$arts/$name.log" 2>&1; then
		echo "fuzz.sh: $name: FAILED, see $arts/$name.log" >&2
		tail -n 30 "$arts/$name.log" >&2
		failed=1
	else
		grep -E "stat::number_of_executed_units|cov:" "$arts/$name.log" |
		    tail -n 2
	fi
	rm -rf "$corpus"
	trap - EXIT INT TERM
done
[ "$found" -eq 1 ] || { echo "fuzz.sh: no fuzz_* binaries in $bindir" >&2; exit 2; }
exit "$failed"
