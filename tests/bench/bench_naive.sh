#!/bin/sh
# temd against the straightforward server a typical team would write (tests/bench/naive/app.py:
# Flask, PyNaCl and Python's sqlite3 under gunicorn, one commit per scan, WAL and
# synchronous=FULL as temd), measured in the same run on the same codes with the same wrk
# settings (POST /api/v1/scans, distinct codes in random order, wrk -c64 on loopback), each
# server on a fresh ledger. Before measuring, both must give the expected verdicts for a genuine
# code, a forged one (one signature character changed), a signed but unregistered one and a
# malformed one, and the genuine one from other networks (seen, seen, duplicate). Prints each one's scans/s, p50/p99, CPU per scan (temd from /proc/PID/stat;
# the app summed over the gunicorn master and its workers) and temd's lead.
# Environment: TEM_BENCH_NAIVE_SECONDS (10, per wrk run), TEM_BENCH_NAIVE_CODES (200000),
# TEM_BENCH_NAIVE_WORKERS (the gunicorn settings tried, the best reported: "sync:2 sync:5
# gthread:5x4");
# KEEP=1 keeps the scratch folder (ledgers, logs, wrk outputs) under build/.
set -eu
SECS=${TEM_BENCH_NAIVE_SECONDS:-10}
N=${TEM_BENCH_NAIVE_CODES:-200000}
# gunicorn settings tried (KIND:WORKERS or gthread:WORKERSxTHREADS), the best one reported:
# - sync:2: one sync worker a core, the fewest processes contending for SQLite's write lock
#   (a waiting writer sleeps in SQLite's busy handler)
# - sync:5: gunicorn's documented starting point, 2 * cores + 1 sync workers, its default
#   worker class (one request at a time a process; the connection closed after each answer)
# - gthread:5x4: the same 5 processes with 4 threads each, which keeps connections alive and
#   lets one thread wait for its commit's fsync while another verifies
WORKERS=${TEM_BENCH_NAIVE_WORKERS:-"sync:2 sync:5 gthread:5x4"}
cores=$(nproc)
top=$(pwd)
lua=$top/tests/bench/scans.lua
app=$top/tests/bench/naive
# Debian's interpreter and gunicorn (python3-flask, python3-nacl, gunicorn from tests/deps.sh),
# whatever python3 comes first in PATH
PY=/usr/bin/python3
GUNICORN=/usr/bin/gunicorn
if [ ! -x "$GUNICORN" ] || ! "$PY" -c 'import flask, nacl.signing' 2>/dev/null; then
	echo "bench_naive: the comparison app needs Debian's gunicorn, python3-flask and python3-nacl (make deps installs them); nothing measured" >&2
	exit 1
fi
# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_batch "$N"
gpid=""
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; [ -n "$gpid" ] && kill -TERM $gpid 2>/dev/null && wait $gpid; [ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
fail() {
	echo "bench_naive: $*" >&2
	exit 1
}
awk 'body { print } $0 == "" { body = 1 }' b.txt | shuf >all.txt
# the checks' codes are kept out of wrk's: the genuine one, the same with a signature character
# changed, one signed by the producer's key in a batch never registered, and a malformed one
tail -n 1 all.txt >genuine.txt
head -n -1 all.txt >codes.txt
awk '{ c = substr($0, 100, 1); print substr($0, 1, 99) (c == "A" ? "B" : "A") substr($0, 101) }' \
	genuine.txt >forged.txt
"$TEM" issue -s p.key -n 1 --product "Cua Cà Mau" --no-claim -o u.txt -q
tail -n 1 u.txt >unregistered.txt
echo "NOT-A-CODE" >malformed.txt
# then the genuine one again from three other networks (other /24s on loopback): seen by one
# and two other clients, then a duplicate (more than temd's default threshold, 2)
expect="genuine invalid unregistered malformed seen seen duplicate"
# verdict URL CODE_FILE [FROM]: the verdict the server at URL gives the code, scanned from FROM
verdict() {
	curl -sS --max-time 5 ${3:+--interface "$3"} -H 'Content-Type: application/json' \
		-d "{\"code\":\"$(cat "$2")\"}" "$1/api/v1/scans" | jq -r .verdict 2>/dev/null || echo "?"
}
# verdicts URL: the verdicts the server at URL gives the check codes, in the order of $expect
verdicts() {
	_v=""
	for k in genuine forged unregistered malformed; do
		_v="$_v $(verdict "$1" $k.txt)"
	done
	for net in 5 6 7; do
		_v="$_v $(verdict "$1" genuine.txt 127.0.$net.1)"
	done
	echo "${_v# }"
}
# measure NAME URL: runs wrk against URL into NAME.wrk
measure() {
	wrk -t"$cores" -c64 -d"${SECS}s" --timeout 5s -s "$lua" "$2" -- "$dir/codes.txt" "$cores" \
		>"$1.wrk" 2>&1
}
get() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
ticks=$(getconf CLK_TCK)

# temd, as bench_temd.sh starts it, on a fresh ledger each time: run_temd NAME measures it into
# NAME.wrk and appends its line to results. It runs before and after the app, and its rate is
# the mean of both, so load that other programs put on the machine meanwhile hits both sides.
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
counted() { sqlite3 l.db 'select coalesce(sum(scans), 0) from day_stats'; }
run_temd() {
	rm -f port mport l.db l.db-wal l.db-shm
	bench_temd
	got=$(verdicts "$url")
	[ "$got" = "$expect" ] || fail "temd answered \"$got\" to the check codes, expected \"$expect\""
	r0=$(counted)
	c0=$(cpu)
	measure "$1" "$url"
	c1=$(cpu)
	r1=$(counted)
	kill -TERM "$pid"
	wait "$pid" || true
	pid=""
	echo "$1 $(get RATE "$1.wrk") $(get P50MS "$1.wrk") $(get P99MS "$1.wrk") $(get NON2XX "$1.wrk") $(get ERRORS "$1.wrk") $((c1 - c0)) $((r1 - r0))" >>results
}
: >results
load0=$(cut -d' ' -f1 /proc/loadavg)
run_temd temd-before

# the app, once per gunicorn setting, each on a fresh ledger
# gcpu: CPU ticks of the gunicorn master (its own, and its reaped children's) and live workers
gcpu() {
	_f=/proc/$gpid/stat
	for w in $(pgrep -P "$gpid"); do _f="$_f /proc/$w/stat"; done
	# shellcheck disable=SC2086
	awk -v m="/proc/$gpid/stat" '{ s += $14 + $15 } FILENAME == m { s += $16 + $17 } END { print s }' $_f
}
for w in $WORKERS; do
	kind=${w%%:*}
	n=${w#*:}
	case $kind in
	sync) opts="-k sync -w $n" ;;
	gthread) opts="-k gthread -w ${n%x*} --threads ${n#*x}" ;;
	*) fail "TEM_BENCH_NAIVE_WORKERS: \"$w\" is not sync:N or gthread:NxT" ;;
	esac
	db="n-$kind-$n.db"
	"$PY" "$app/app.py" init "$db" trust.list a.pub b.txt || fail "the app could not make its ledger"
	log="gunicorn-$kind-$n.log"
	: >"$log"
	# shellcheck disable=SC2086
	PYTHONDONTWRITEBYTECODE=1 NAIVE_DB="$dir/$db" "$GUNICORN" --chdir "$app" -b 127.0.0.1:0 $opts app:app >"$log" 2>&1 &
	gpid=$!
	_i=0
	port=""
	while [ -z "$port" ] && [ $_i -lt 100 ] && kill -0 $gpid 2>/dev/null; do
		port=$(sed -n 's/.*Listening at: http:\/\/127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$log")
		[ -n "$port" ] || sleep 0.1
		_i=$((_i + 1))
	done
	[ -n "$port" ] || fail "gunicorn did not start ($log: $(tail -n 3 "$log"))"
	# every worker booted, so none starts during the measurement
	_i=0
	while [ "$(grep -c 'Booting worker' "$log")" -lt "${n%x*}" ] && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	nurl="http://127.0.0.1:$port"
	got=$(verdicts "$nurl")
	[ "$got" = "$expect" ] ||
		fail "the app ($w) answered \"$got\" to the check codes, expected \"$expect\" ($log: $(tail -n 3 "$log"))"
	r0=$(sqlite3 "$db" 'select count(*) from scans')
	c0=$(gcpu)
	measure "naive-$kind-$n" "$nurl"
	c1=$(gcpu)
	r1=$(sqlite3 "$db" 'select count(*) from scans')
	kill -TERM $gpid
	wait $gpid || true
	gpid=""
	f="naive-$kind-$n.wrk"
	echo "$w $(get RATE "$f") $(get P50MS "$f") $(get P99MS "$f") $(get NON2XX "$f") $(get ERRORS "$f") $((c1 - c0)) $((r1 - r0))" >>results
done

run_temd temd-after
load1=$(cut -d' ' -f1 /proc/loadavg)

# every run measured something, with no error
while read -r name rate _ _ non2xx errs _ scans; do
	if [ -z "$rate" ] || [ "${rate%.*}" -eq 0 ] || [ "$scans" -eq 0 ]; then
		fail "wrk measured nothing against $name (KEEP=1 keeps its output)"
	fi
	[ "$non2xx" -eq 0 ] && [ "$errs" -eq 0 ] && continue
	case $name in
	temd*) f=$name.wrk ;;
	*) f=naive-$(echo "$name" | tr : -).wrk ;;
	esac
	fail "$name: $non2xx non-2xx answers and $errs socket errors (must be 0): $(grep -h 'Socket errors' "$f")"
done <results
awk -v secs="$SECS" -v cores="$cores" -v tck="$ticks" -v load0="$load0" -v load1="$load1" 'BEGIN {
	printf "POST /api/v1/scans, distinct codes in random order, each durable (WAL, synchronous=FULL), wrk -c64 for %ds on the same %d cores, each server on a fresh ledger;\n  the app: tests/bench/naive, Flask + PyNaCl + Python sqlite3 under gunicorn, one commit a scan:\n", secs, cores
}
{
	us = $7 / tck * 1e6 / $8
	if ($1 ~ /^temd/) {
		name = "temd, " substr($1, 6) " the app"
		trate += $2 / 2; tus += us / 2
	} else {
		name = "the app, gunicorn " $1
		if ($2 > best) { best = $2; bus = us; bname = $1 }
	}
	printf "  %-28s %7.0f scans/s, p50 %7.2f ms, p99 %7.2f ms, CPU %6.1f us a scan\n", name, $2, $3, $4, us
}
END {
	printf "load average (1 min) %s at the start, %s at the end (other programs on the machine slow both servers)\n", load0, load1
	printf "temd (mean of before and after: %.0f scans/s, %.1f us a scan) leads the best gunicorn setting (%s): %.1f x the scans/s, %.1f x less CPU a scan\n", trate, tus, bname, trate / best, bus / tus
}' results
