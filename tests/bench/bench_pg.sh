#!/bin/sh
# temd on PostgreSQL against temd on SQLite: durable scans per second on POST /api/v1/scans
# (distinct valid codes in random order, wrk -c64 on loopback, as bench_temd.sh) in one run, on
# (a) one temd on a SQLite ledger, (b) one temd on a PostgreSQL ledger, (c) two temd on one
# PostgreSQL ledger on two loopback ports, two wrk at once with half the connections each and
# disjoint halves of the codes. PostgreSQL is a throwaway local cluster (tests/pg/cluster.sh:
# Unix socket, fsync and synchronous_commit on) the bench starts and stops; each configuration
# has a ledger of its own. For each: scans/s, p50/p99, non-2xx and socket errors (any fails the
# bench), and CPU per scan: temd's (user + system of all its threads, /proc/PID/stat) and the
# cluster's (the postmaster and every process under it, exited ones included through the
# postmaster's children's times), in microseconds and as a multiple of one signature check
# (tests/bench/sign_rate verify 1). Afterwards the scans counted in each ledger (day_stats) are
# compared with the 2xx answers wrk received: equal, but for the requests still in flight when
# wrk stopped (at most one a connection), which temd answers and counts after wrk has gone.
# Target: (c) >= 0.5 x (a) on this machine.
# Environment: TEM_BENCH_PG_SECONDS (10 a configuration), TEM_BENCH_PG_CODES (150000);
# KEEP=1 keeps the scratch folder (ledger, logs, wrk outputs) and the cluster's folder.
set -eu
: "${TEM:?}" "${TEMD:?}" "${BIN:?}"
SECS=${TEM_BENCH_PG_SECONDS:-10}
N=${TEM_BENCH_PG_CODES:-150000}
CONNS=64
cores=$(nproc)
lua=$(pwd)/tests/bench/scans.lua
CLUSTER=$(cd "$(dirname "$0")/../pg" && pwd)/cluster.sh
if [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
	echo "bench_pg: skipped: no PostgreSQL 15 binaries (tests/deps.sh installs postgresql)"
	exit 0
fi
. "$(dirname "$0")/lib.sh"
bench_batch "$N"
# the cluster's folder beside the scratch folder: the postgres user must reach it
P=$(mktemp -d /tmp/tem-pgb.XXXXXX)
# (pg_ctl runs as the postgres user, from a folder it can enter)
pg_cluster() { (cd / && sh "$CLUSTER" "$@"); }
bench_atexit='pg_cluster stop "$P" >/dev/null 2>&1; [ -n "${KEEP:-}" ] || rm -rf "$P"'
awk 'body { print } $0 == "" { body = 1 }' b.txt | shuf >codes.txt
half=$(($(wc -l <codes.txt) / 2))
head -n "$half" codes.txt >codes1.txt
tail -n +$((half + 1)) codes.txt >codes2.txt
one=$("$BIN/tests/bench/sign_rate" verify 1 2)
pg_cluster start "$P"
BASE=$(pg_cluster url "$P")
psql "$BASE" -XAtq -c 'CREATE DATABASE one' -c 'CREATE DATABASE two'
DB1="host=$P user=tem dbname=one"
DB2="host=$P user=tem dbname=two"
postmaster=$(head -n 1 "$P/data/postmaster.pid")
hz=$(getconf CLK_TCK)

# ticks PID...: user + system clock ticks of the processes (all their threads)
ticks() {
	for _p; do sed 's/.*) //' "/proc/$_p/stat"; done | awk '{ t += $12 + $13 } END { print t + 0 }'
}
# cluster_ticks: the same summed over the postmaster and every process under it, with the
# times of the children it has reaped (backends and workers that ended during the run)
cluster_ticks() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v pm="$postmaster" '{
		pid = $1; line = $0; sub(/.*\) /, "", line); split(line, f, " ")
		parent[pid] = f[2]; t[pid] = f[12] + f[13]
		if (pid == pm) t[pid] += f[14] + f[15]
	}
	END {
		for (p in t) {
			q = p
			for (d = 0; d < 8 && q != pm && q in parent; d++) q = parent[q]
			if (q == pm) s += t[p]
		}
		print s + 0
	}'
}
get() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
# wrk_run OUT URL CODES THREADS CONNECTIONS: one wrk run of $SECS seconds into OUT
wrk_run() {
	wrk -t"$4" -c"$5" -d"${SECS}s" --timeout 5s -s "$lua" "$2" -- "$dir/$3" "$4" >"$1" 2>&1
}
# checked OUT: fails the bench when wrk measured nothing or saw a non-2xx answer or a socket
# error
checked() {
	if [ -z "$(get RATE "$1")" ] || [ "$(get RATE "$1" | cut -d. -f1)" -eq 0 ] ||
		[ "$(get NON2XX "$1")" -ne 0 ] || [ "$(get ERRORS "$1")" -ne 0 ]; then
		echo "bench_pg: $1: nothing measured, or non-2xx answers or socket errors:" >&2
		cat "$1" >&2
		exit 1
	fi
}
# stop_all: SIGTERM to every temd started (each finishes what it has taken), waits for them
stop_all() {
	for _p in $pids; do kill -TERM "$_p"; done
	for _p in $pids; do wait "$_p" || true; done
	pids=""
}
# sqlite_counted FILE / pg_counted CONNINFO: the scans counted in a ledger
sqlite_counted() { sqlite3 "$1" 'select coalesce(sum(scans), 0) from day_stats'; }
pg_counted() { psql "$1" -XAtc 'SELECT coalesce(sum(scans), 0) FROM day_stats'; }
# report TAG NAME TEMD_TICKS DB_TICKS COUNTED OUT...: one configuration's lines (its scans/s
# also into TAG.rate), and its count check
report() {
	_tag=$1 _name=$2 _tt=$3 _dt=$4 _counted=$5
	shift 5
	for _o; do checked "$_o"; done
	_rate=0 _ok=0 _lat=""
	for _o; do
		_rate=$(echo "$_rate $(get RATE "$_o")" | awk '{ print $1 + $2 }')
		_ok=$((_ok + $(get REQUESTS "$_o") - $(get NON2XX "$_o")))
		_lat="$_lat${_lat:+ / }p50 $(get P50MS "$_o") ms, p99 $(get P99MS "$_o") ms"
	done
	echo "$_rate" >"$_tag.rate"
	awk -v name="$_name" -v rate="$_rate" -v lat="$_lat" -v tt="$_tt" -v dt="$_dt" -v hz="$hz" \
		-v ok="$_ok" -v counted="$_counted" -v one="$one" -v conns=$CONNS 'BEGIN {
		check = 1e6 / one
		t = tt * 1e6 / hz / ok; d = dt * 1e6 / hz / ok
		printf "%s: %.0f scans/s; %s; non-2xx 0, socket errors 0\n", name, rate, lat
		if (dt == "-")
			printf "  CPU per scan: temd %.1f us (%.2f x a signature check), the database is in temd\n", t, t / check
		else
			printf "  CPU per scan: temd %.1f us (%.2f x), PostgreSQL %.1f us (%.2f x), total %.1f us (%.2f x a signature check)\n", t, t / check, d, d / check, t + d, (t + d) / check
		printf "  %d scans counted in the ledger, %d 2xx answers received (%d more: answered after wrk stopped)\n", counted, ok, counted - ok
		exit !(counted >= ok && counted - ok <= conns)
	}' || {
		echo "bench_pg: $_name: the ledger counts $_counted scans for $_ok 2xx answers" >&2
		exit 1
	}
}

echo "raw crypto_sign_verify_detached: $one/s on 1 core ($(awk -v o="$one" 'BEGIN { printf "%.1f", 1e6 / o }') us a signature check)"
echo "POST /api/v1/scans, distinct codes in random order, each durable, wrk -c$CONNS for ${SECS}s a configuration on the same $cores cores:"

# (a) one temd on SQLite
bench_temd_start a --db l.db
"$TEM" register b.txt --server "$url" -q
ua=$url
t0=$(ticks $tpid)
wrk_run a.out "$ua" codes.txt "$cores" $CONNS
t1=$(ticks $tpid)
stop_all
report a "(a) one temd on SQLite (WAL, synchronous=FULL)" $((t1 - t0)) - \
	"$(sqlite_counted l.db)" a.out

# (b) one temd on PostgreSQL
bench_temd_start b --db "$DB1" --secret s.secret
"$TEM" register b.txt --server "$url" -q
tb=$tpid
t0=$(ticks $tb) d0=$(cluster_ticks)
wrk_run b.out "$url" codes.txt "$cores" $CONNS
t1=$(ticks $tb) d1=$(cluster_ticks)
stop_all
report b "(b) one temd on PostgreSQL" $((t1 - t0)) $((d1 - d0)) "$(pg_counted "$DB1")" b.out

# (c) two temd on one PostgreSQL, one wrk each, disjoint codes
bench_temd_start c1 --db "$DB2" --secret s.secret
"$TEM" register b.txt --server "$url" -q
u1=$url c1=$tpid
bench_temd_start c2 --db "$DB2" --secret s.secret
u2=$url c2=$tpid
w=$(((cores + 1) / 2))
t0=$(ticks $c1 $c2) d0=$(cluster_ticks)
wrk_run c1.out "$u1" codes1.txt $w $((CONNS / 2)) &
j1=$!
wrk_run c2.out "$u2" codes2.txt $w $((CONNS / 2)) &
j2=$!
wait $j1 $j2
t1=$(ticks $c1 $c2) d1=$(cluster_ticks)
stop_all
report c "(c) two temd on one PostgreSQL" $((t1 - t0)) $((d1 - d0)) "$(pg_counted "$DB2")" \
	c1.out c2.out

awk -v a="$(cat a.rate)" -v c="$(cat c.rate)" -v cores="$cores" 'BEGIN {
	printf "target: two temd on PostgreSQL >= 0.5 x one temd on SQLite (this %d-core machine): %.0f / %.0f = %.2f (%s)\n", cores, c, a, c / a, (c / a >= 0.5 ? "met" : "NOT met")
}'
