#!/bin/sh
# tem issue: codes per second against the raw libsodium signing rate of the same machine in
# the same run, and peak memory for a million codes.
set -eu
N=${TEM_BENCH_ISSUE_N:-1000000}
cores=$(nproc)
dir=$(mktemp -d "${TMPDIR:-/tmp}/tem-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$TEM" keygen -p "$dir/p.pub" -s "$dir/p.key" -W >/dev/null
one=$("$BIN/tests/bench/sign_rate" sign 1 2)
all=$("$BIN/tests/bench/sign_rate" sign "$cores" 2)
start=$(date +%s.%N)
/usr/bin/time -f %M -o "$dir/rss" "$TEM" issue -s "$dir/p.key" -n "$N" --product "Cua Cà Mau" \
	--url https://tem.example.vn -o "$dir/batch.txt" -q
end=$(date +%s.%N)
all2=$("$BIN/tests/bench/sign_rate" sign "$cores" 2)
rss_kib=$(cat "$dir/rss")
lines=$(awk 'body { n++ } $0 == "" { body = 1 } END { print n + 0 }' "$dir/batch.txt")
[ "$lines" -eq "$N" ] || { echo "issue wrote $lines codes, expected $N"; exit 1; }
awk -v n="$N" -v s="$start" -v e="$end" -v one="$one" -v all="$all" -v all2="$all2" -v cores="$cores" \
	-v rss="$rss_kib" 'BEGIN {
	rate = n / (e - s); limit = (all + all2) / 2
	printf "raw crypto_sign_detached: %.0f/s on 1 core; on %d threads %.0f/s before, %.0f/s after\n", one, cores, all, all2
	printf "tem issue -n %d: %.2f s, %.0f codes/s on %d cores\n", n, e - s, rate, cores
	printf "ratio to the raw rate on all cores (mean of before and after): %.2f (target >= 0.85)\n", rate / limit
	printf "(for scale: ratio to the 1-core rate x %d: %.2f; the 1-core figure varies with turbo)\n", cores, rate / (one * cores)
	printf "peak RSS: %.1f MiB (target < 32 MiB)\n", rss / 1024
}'
