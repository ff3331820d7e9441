#!/bin/sh
# bench_copy.sh — `make bench-copy`: temd ledger copy on a large ledger. tests/bench/gen_ledger
# makes a SQLite ledger of TEM_BENCH_COPY_SCANS counted scans (default 1,000,000) through the
# ledger code; temd starts on it once (it makes the secret file); the copy into a throwaway
# PostgreSQL cluster (tests/pg/cluster.sh) is stopped a third of the way (--limit-rows, the test
# hook an interrupted copy stands for), run again to the end, and every table's rows and the
# counted scans are compared with psql against sqlite3. Reports the copy's rows per second, the
# SQLite file's and the PostgreSQL database's bytes per counted scan (pg_database_size, after
# VACUUM ANALYZE) for docs/scaling.md's sizing. KEEP=1 keeps the folders. Exit 0, or 1 when the
# counts differ or a step fails.
set -eu
: "${TEMD:?}" "${BIN:?}"
SCANS=${TEM_BENCH_COPY_SCANS:-1000000}
CODES=${TEM_BENCH_COPY_CODES:-$((SCANS / 5))}
CLUSTER=$(cd "$(dirname "$0")/../pg" && pwd)/cluster.sh
TABLES="meta producers batches scans code_scans code_alerts tokens claims claim_fails_code
claim_fails_net alerts alert_changes day_stats batch_stats"
mkdir -p build
work=$(mktemp -d "$PWD/build/tem-copy.XXXXXX")
P=$(mktemp -d /tmp/tem-pg.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; sh "$CLUSTER" stop "$P" >/dev/null 2>&1;
	[ -n "${KEEP:-}" ] || rm -rf "$work" "$P"' EXIT
ms() { echo $(($(date +%s%N) / 1000000)); }

echo "bench_copy: making a ledger of $SCANS scans of $CODES codes (gen_ledger)" >&2
"$BIN/tests/bench/gen_ledger" "$work/g" --scans "$SCANS" --codes "$CODES" >&2
L=$work/g/ledger.db
# temd once on it: the secret file (and the client salt in it)
"$TEMD" --db "$L" --trust "$work/g/trust.list" --authority "$work/g/authority.pub" \
	--listen 127.0.0.1:0 --port-file "$work/port" --metrics-listen none >"$work/temd.log" 2>&1 &
pid=$!
i=0
while [ ! -s "$work/port" ] && [ $i -lt 3000 ] && kill -0 $pid 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
[ -s "$work/port" ] || {
	cat "$work/temd.log" >&2
	exit 1
}
kill -TERM $pid
wait $pid || true
pid=""

sh "$CLUSTER" start "$P"
BASE=$(sh "$CLUSTER" url "$P")
psql "$BASE" -XAtqc 'CREATE DATABASE copy'
DB="host=$P user=tem dbname=copy"
rows=0
for t in $TABLES; do rows=$((rows + $(sqlite3 "$L" "select count(*) from $t"))); done
t0=$(ms)
rc=0
"$TEMD" ledger copy --from "$L" --to "$DB" --limit-rows $((rows / 3)) >/dev/null || rc=$?
[ $rc -eq 3 ] || {
	echo "bench_copy: the interrupted copy exited $rc, not 3" >&2
	exit 1
}
"$TEMD" ledger copy --from "$L" --to "$DB" >"$work/copy.out"
t1=$(ms)
bad=0
for t in $TABLES; do
	a=$(sqlite3 "$L" "select count(*) from $t")
	b=$(psql "$DB" -XAtc "select count(*) from $t")
	[ "$a" = "$b" ] || {
		echo "bench_copy: table $t: $a rows in the file, $b in PostgreSQL" >&2
		bad=1
	}
done
sa=$(sqlite3 "$L" 'select sum(scans) from code_scans')
sb=$(psql "$DB" -XAtc 'select sum(scans) from code_scans')
[ "$sa" = "$sb" ] || {
	echo "bench_copy: counted scans: $sa in the file, $sb in PostgreSQL" >&2
	bad=1
}
psql "$DB" -XAtqc 'VACUUM ANALYZE'
psql "$DB" -XAtqc 'DROP TABLE ledger_copy'
sqlite_bytes=$(($(sqlite3 "$L" 'pragma page_count') * $(sqlite3 "$L" 'pragma page_size')))
pg_bytes=$(psql "$DB" -XAtc 'select pg_database_size(current_database())')
empty=$(psql "$BASE" -XAtc "select pg_database_size('template1')")
secs=$(((t1 - t0) / 1000))
[ "$secs" -gt 0 ] || secs=1
echo "copy: $rows rows ($sa counted scans) in $((t1 - t0)) ms, stopped once and resumed:" \
	"$((rows / secs)) rows/s; counts $([ $bad -eq 0 ] && echo verified || echo DIFFER)"
echo "size: SQLite $sqlite_bytes bytes ($((sqlite_bytes / sa)) per counted scan);" \
	"PostgreSQL $pg_bytes bytes, $((pg_bytes - empty)) above an empty database" \
	"($(((pg_bytes - empty) / sa)) per counted scan)"
exit $bad
