#!/bin/sh
# The ledger's growth per counted scan (tests/bench/ledger_growth.c, the writer's own code on
# a real file): 100,000 repeat scans of one code by one phone, by one network dropping its
# cookie, and 100,000 first scans of distinct codes, each on a new ledger; the file's bytes
# (page_count * page_size, WAL merged) before and after (docs/temd.8, LIMITS).
set -eu
log=$(mktemp "${TMPDIR:-/tmp}/tem-bench-ledger.XXXXXX")
trap 'rm -f "$log"' EXIT
"$BIN/tests/bench/ledger_growth" "${TEM_BENCH_LEDGER_N:-100000}" 2>"$log" || {
	grep -v ' temd \(info\|notice\): ' "$log" >&2
	exit 1
}
