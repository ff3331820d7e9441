#!/bin/sh
# The SQLite ledger's index of codes in memory (server/codemap.h), rebuilt from the ledger at
# every open: its start-up time and temd's resident memory with TEM_BENCH_INDEX_CODES scanned
# codes (default 10,000,000), through tests/bench/index_rss.c. The ledger it reads (about 1 GB
# at 10 M codes) is made once and kept under build/bench, made again when the count differs.
set -eu
n=${TEM_BENCH_INDEX_CODES:-10000000}
mkdir -p build/bench
log=$(mktemp "${TMPDIR:-/tmp}/tem-bench-index.XXXXXX")
trap 'rm -f "$log"' EXIT
"$BIN/tests/bench/index_rss" "build/bench/index-$n.db" "$n" 2>"$log" || {
	grep -v ' temd \(info\|notice\): ' "$log" >&2
	exit 1
}
