#!/bin/sh
# temd: durable scans per second on POST /api/v1/scans (distinct valid codes in random order, as
# buyers scan them, not in serial order; wrk on loopback)
# against the raw crypto_sign_verify_detached rate of all cores measured in the same run; p99
# latency at that load; RSS growth over a one-minute soak. wrk shares the machine with temd.
# For scale it also measures the HTTP floor: the same requests with codes made malformed, which
# temd answers without a signature check or a ledger write, and from it and the raw verify rate
# the most any server could reach here with wrk on the same cores: 1 / (1/floor + 1/verify).
# Environment: TEM_BENCH_TEMD_SECONDS (10), TEM_BENCH_TEMD_SOAK (60), TEM_BENCH_TEMD_CODES
# (400000); KEEP=1 keeps the scratch folder (ledger, temd.log, wrk outputs) under build/.
set -eu
SECS=${TEM_BENCH_TEMD_SECONDS:-10}
SOAK=${TEM_BENCH_TEMD_SOAK:-60}
N=${TEM_BENCH_TEMD_CODES:-400000}
cores=$(nproc)
lua=$(pwd)/tests/bench/scans.lua
. "$(dirname "$0")/lib.sh"
bench_batch "$N"
awk 'body { print } $0 == "" { body = 1 }' b.txt | shuf >codes.txt
one=$("$BIN/tests/bench/sign_rate" verify 1 2)
all=$("$BIN/tests/bench/sign_rate" verify "$cores" 2)
bench_temd
threads=$cores
# temd's own CPU time (user + system, all its threads, from /proc) over the measured run, per
# scan recorded in it: a figure that does not depend on how much of the machine wrk takes
cpu() { awk '{ print $14 + $15 }' /proc/$pid/stat; }
# bytes temd had written to storage (its ledger: WAL, checkpoints), and its transactions
written() { awk '/^write_bytes/ { print $2 }' /proc/$pid/io; }
commits() { curl -s "$metrics/metrics" | awk '$1 == "temd_ledger_commits_total" { print $2 }'; }
# counted scans (repeats included: a repeat by the same client adds to a counter, not a row)
counted() { sqlite3 l.db 'select coalesce(sum(scans), 0) from day_stats'; }
rows0=$(counted)
cpu0=$(cpu)
wb0=$(written)
tx0=$(commits)
wrk -t"$threads" -c64 -d"${SECS}s" --timeout 5s -s "$lua" "$url" -- "$dir/codes.txt" "$threads" \
	>wrk.out 2>&1
cpu1=$(cpu)
wb1=$(written)
tx1=$(commits)
rows1=$(counted)
wrk -t"$threads" -c64 -d"${SECS}s" --timeout 5s -s "$lua" "$url" -- "$dir/codes.txt" "$threads" \
	malformed >floor.out 2>&1
# the same requests with one character of each signature changed: temd checks the signature
# and answers "invalid", writing no scan: what a scan costs without its ledger write (the
# ledger still counts them: every 20 forged codes of a key update its invalid-burst alert,
# a commit for every 20 or so of these requests)
cpu2=$(cpu)
wrk -t"$threads" -c64 -d"${SECS}s" --timeout 5s -s "$lua" "$url" -- "$dir/codes.txt" "$threads" \
	forged >forged.out 2>&1
cpu3=$(cpu)
# the soak: RSS sampled while its connections are open, after a warm-up, and again just before
# it ends (between runs MHD frees each connection's memory pool, so samples taken then would
# compare different things). The warm-up is a sixth of the soak, or longer: until every code
# has been scanned once at the rate measured above, since the ledger's index of codes in memory
# grows with the codes scanned, by design (27 bytes a code: bench_index); what the soak
# looks for is growth that scanning the same codes again would not explain.
wrk -t"$threads" -c64 -d"${SOAK}s" --timeout 5s -s "$lua" "$url" -- "$dir/codes.txt" "$threads" \
	>soak.out 2>&1 &
wpid=$!
rss() { awk '/VmRSS/ { print $2 }' /proc/$pid/status; }
warm=$((SOAK / 6 > 1 ? SOAK / 6 : 1))
# (with a third to spare: the soak runs slower than the first run, its first codes being
# repeats, and a warm-up that ended just before the last codes came once saw the index's one
# doubling, 8 MiB at 393,000 codes, as 33 % growth)
pass=$(awk -v n="$N" -v r="$(awk '$1 == "RATE" { print $2 }' wrk.out)" \
	'BEGIN { print (r > 0 ? int(1.33 * n / r) + 2 : 0) }')
once=""
if [ "$pass" -lt $((SOAK - 5)) ]; then
	[ "$pass" -gt "$warm" ] && warm=$pass
	once=" (every code scanned once)"
fi
sleep "$warm"
rss0=$(rss)
sleep $((SOAK - warm - 1 > 0 ? SOAK - warm - 1 : 0))
rss1=$(rss)
wait $wpid
all2=$("$BIN/tests/bench/sign_rate" verify "$cores" 2)
# the machine's speed drifts by a few percent over the minutes of a run (other programs, the
# host): the CPU figures are given against the mean of the one-core rate before and after
one2=$("$BIN/tests/bench/sign_rate" verify 1 2)
rows=$(counted)
first=$(sqlite3 l.db 'select count(*) from scans')
kill -TERM $pid
wait $pid || true
pid=""
get() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
for f in wrk.out floor.out forged.out soak.out; do
	if [ -z "$(get RATE $f)" ] || [ "$(get RATE $f | cut -d. -f1)" -eq 0 ]; then
		echo "bench_temd: wrk measured nothing ($f):" >&2
		cat "$f" >&2
		exit 1
	fi
done
awk -v rate="$(get RATE wrk.out)" -v p99="$(get P99MS wrk.out)" -v p50="$(get P50MS wrk.out)" \
	-v non2xx="$(get NON2XX wrk.out)" -v errs="$(get ERRORS wrk.out)" -v one1="$one" -v one2="$one2" -v all="$all" \
	-v all2="$all2" -v cores="$cores" -v secs="$SECS" -v soak="$SOAK" -v warm="$warm" -v once="$once" -v rss0="$rss0" \
	-v rss1="$rss1" -v srate="$(get RATE soak.out)" -v rows="$rows" -v first="$first" -v floor="$(get RATE floor.out)" \
	-v cpus="$(echo "$cpu0 $cpu1 $(getconf CLK_TCK)" | awk '{ print ($2 - $1) / $3 }')" \
	-v scanned=$((rows1 - rows0)) -v wbytes=$((wb1 - wb0)) -v txs=$((tx1 - tx0)) \
	-v fcpus="$(echo "$cpu2 $cpu3 $(getconf CLK_TCK)" | awk '{ print ($2 - $1) / $3 }')" \
	-v forged="$(get REQUESTS forged.out)" 'BEGIN {
	limit = (all + all2) / 2
	one = (one1 + one2) / 2
	printf "raw crypto_sign_verify_detached: on 1 core %.0f/s before, %.0f/s after; on %d threads %.0f/s before, %.0f/s after\n", one1, one2, cores, all, all2
	printf "temd POST /api/v1/scans, distinct codes in random order, each durable (WAL, synchronous=FULL), wrk -c64 for %ds on the same %d cores:\n", secs, cores
	printf "  %.0f scans/s, p50 %.2f ms, p99 %.2f ms (target < 20 ms); non-2xx %d, socket errors %d\n", rate, p50, p99, non2xx, errs
	printf "ratio to the raw verify rate on all cores: %.2f (target >= 0.50)\n", rate / limit
	us = cpus * 1e6 / scanned
	printf "temd CPU per durable scan (user + system, all threads): %.1f us = %.2f x one signature check (%.1f us, the mean of before and after; target <= 1.70)\n", us, us * one / 1e6, 1e6 / one
	fus = fcpus * 1e6 / forged
	printf "  for scale, the same requests with a forged signature (checked, answered invalid, no scan written; an invalid-burst alert updated every 20): %.1f us = %.2f x one signature check; the durable ledger adds %.1f us a scan\n", fus, fus * one / 1e6, us - fus
	printf "written to storage per new-code scan (/proc/PID/io write_bytes: WAL and checkpoints): %.0f bytes (target < 1024); %.1f scans a commit\n", wbytes / scanned, (txs > 0 ? scanned / txs : 0)
	ceil = 1 / (1 / floor + 1 / limit)
	printf "for scale: HTTP floor (same requests, malformed codes: no verify, no ledger) %.0f/s;\n", floor
	printf "  verify + HTTP alone, with wrk on the same cores, allow at most %.0f/s (ratio %.2f);\n", ceil, ceil / limit
	printf "  durable scans reach %.0f%% of that\n", rate * 100 / ceil
	printf "soak %ds at %.0f scans/s (codes repeat once all are used): RSS after a %ds warm-up%s %.1f MiB, at the end %.1f MiB, growth %.1f%% (target < 10%%); %d scans counted in the ledger, %d of them first scans with a row\n", soak, srate, warm, once, rss0 / 1024, rss1 / 1024, (rss1 - rss0) * 100 / rss0, rows, first
}'
