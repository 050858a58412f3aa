#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# usage: scripts/bench.sh BINDIR
#
# Run every benchmark once, each against its baseline measured in the same
# run, and print the tables that BENCHMARKS.md records.  Each takes a
# minute or more; the machine should be otherwise idle.  Benchmarks never
# run in `make test`.
set -euo pipefail
BIN=$(cd "${1:?usage: bench.sh BINDIR}" && pwd)
export AU_SRC=$(cd "$(dirname "$0")/.." && pwd)
export AU_BIN=$BIN

run() {
	printf '\n== %s\n' "$*"
	"$@"
}

run "$BIN/rpc_bench" -s 3 -r 5
run "$BIN/heartbeat_bench"
run "$BIN/download_bench" -m 64 -n 8 -r 5
run bash "$AU_SRC/tests/bench/updater_bench.sh" 30
