#!/bin/sh
# temd: durable claims per second on POST /api/v1/claims against a ledger holding a registered
# batch of a million codes with claim PINs (right PINs for distinct codes in random order, each
# claim committed before it is answered), beside the raw crypto_sign_verify_detached rate of
# all cores measured in the same run (a claim verifies the code's signature, unseals the
# batch's claim key and derives the PIN). wrk shares the machine with temd.
# Environment: TEM_BENCH_CLAIMS_CODES (1000000), TEM_BENCH_CLAIMS (40000 claims prepared),
# TEM_BENCH_CLAIMS_SECONDS (5); KEEP=1 keeps the scratch folder under build/.
set -eu
N=${TEM_BENCH_CLAIMS_CODES:-1000000}
M=${TEM_BENCH_CLAIMS:-40000}
SECS=${TEM_BENCH_CLAIMS_SECONDS:-5}
cores=$(nproc)
lua=$(pwd)/tests/bench/claims.lua
. "$(dirname "$0")/lib.sh"
bench_batch "$N"
# M distinct codes in random order, each with its PIN computed apart (label/claim.h's scheme)
python3 - b.txt b.txt.claim "$M" >claims.txt <<'PY'
import base64, hashlib, random, sys
batch, claim, m = sys.argv[1], sys.argv[2], int(sys.argv[3])
k = next(base64.b64decode(l.split(":", 1)[1].strip()) for l in open(claim) if l.startswith("claim-key:"))
lines = open(batch).read().split("\n\n", 1)
first = int(next(l.split(": ")[1] for l in lines[0].splitlines() if l.startswith("first-serial:")))
codes = lines[1].split()
for i in random.sample(range(len(codes)), min(m, len(codes))):
    s = first + i
    h = hashlib.blake2b(b"tem-claim-pin-v1" + s.to_bytes(8, "big"), key=k, digest_size=8).digest()
    print(codes[i], "%010d" % (int.from_bytes(h, "big") % 10**10))
PY
all=$("$BIN/tests/bench/sign_rate" verify "$cores" 2)
bench_temd
wrk -t"$cores" -c64 -d"${SECS}s" --timeout 5s -s "$lua" "$url" -- "$dir/claims.txt" "$cores" \
	>wrk.out 2>&1
claimed=$(sqlite3 l.db 'select count(*) from claims')
kill -TERM $pid
wait $pid || true
pid=""
get() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
if [ -z "$(get RATE wrk.out)" ]; then
	echo "bench_claims: wrk measured nothing:" >&2
	cat wrk.out >&2
	exit 1
fi
awk -v rate="$(get RATE wrk.out)" -v p50="$(get P50MS wrk.out)" -v p99="$(get P99MS wrk.out)" \
	-v non2xx="$(get NON2XX wrk.out)" -v errs="$(get ERRORS wrk.out)" -v all="$all" -v n="$N" \
	-v secs="$SECS" -v claimed="$claimed" -v m="$M" -v cores="$cores" 'BEGIN {
	printf "temd POST /api/v1/claims on a ledger with a batch of %d codes, right PINs, distinct codes in random order, wrk -c64 for %ds on the same %d cores:\n", n, secs, cores
	printf "  %.0f claims/s, p50 %.2f ms, p99 %.2f ms; non-2xx %d, socket errors %d; %d codes claimed (of %d prepared)\n", rate, p50, p99, non2xx, errs, claimed, m
	printf "ratio to the raw verify rate on all cores (%.0f/s): %.2f\n", all, rate / all
}'
