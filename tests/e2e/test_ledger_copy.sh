#!/bin/sh
# temd ledger copy: a SQLite ledger made by a real temd (a batch with claim PINs, scans from
# several networks, a duplicate alert moved through its workflow, a claim, wrong PINs, API
# tokens) copied into a throwaway PostgreSQL cluster (tests/pg/cluster.sh): every table holds as
# many rows there as in the file (psql against sqlite3) and the same counted scans; the copy
# interrupted (--limit-rows, the test hook that stops as a kill would between chunks) and run
# again completes with the same counts; a second run is a no-op; a database holding another
# ledger is refused, as is a copy while temd runs on the file or without its secret file.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
CLUSTER="$HERE/../pg/cluster.sh"
if [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
	echo "# skipped: no PostgreSQL 15 binaries (tests/deps.sh installs postgresql)"
	ok "# SKIP no PostgreSQL"
	done_testing
	exit 0
fi
P=$(mktemp -d /tmp/tem-pg.XXXXXX)
trap 'sh "$CLUSTER" stop "$P" >/dev/null 2>&1; rm -rf "$P"; _cleanup' EXIT
cd "$T" || exit 1
check "a throwaway cluster starts" sh "$CLUSTER" start "$P"
BASE=$(sh "$CLUSTER" url "$P")
psql "$BASE" -XAtq -c 'CREATE DATABASE one' -c 'CREATE DATABASE two' -c 'CREATE DATABASE three'
DB1="host=$P user=tem dbname=one"
DB2="host=$P user=tem dbname=two"
DB3="host=$P user=tem dbname=three"
TABLES="meta producers batches scans code_scans code_alerts tokens claims claim_fails_code
claim_fails_net alerts alert_changes day_stats batch_stats"

# the ledger, by a real temd
make_authority "HTX Cua Năm Căn"
$TEM issue -s p.key -n 40 --product "Cua gạch" -o b.txt -q
start_temd s --db l.db --trust trust.list --authority a.pub --duplicate-threshold 2 ||
	echo "# temd did not start: $(cat "$T/s.log")"
$TEM register b.txt --server "$URL" -q
$TEMD token create --db l.db --name "Sở KH&CN" >/dev/null 2>&1
TOK=$(cat "$T/out" 2>/dev/null)
$TEMD token create --db l.db --name "HTX" >/dev/null 2>&1
TOK=$($TEMD token create --db l.db --name "Thanh tra" 2>/dev/null)
for i in $(seq 1 30); do scan "$(code_at b.txt "$i")" --interface 127.0.0.1; done
C1=$(code_at b.txt 1)
for n in 2 3 4 5; do scan "$C1" --interface "127.0.$n.1"; done
expect_eq "code 1 is a duplicate" duplicate "$(json verdict)"
FS=$(sed -n 's/^first-serial: //p' b.txt)
P2=$(pin b.txt.claim $((FS + 1)))
st=$(curl -s -m 10 -o out -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary "{\"code\":\"$(code_at b.txt 2)\",\"pin\":\"$P2\"}" "$URL/api/v1/claims")
expect_eq "code 2 is claimed" 201 "$st"
st=$(curl -s -m 10 -o out -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary "{\"code\":\"$(code_at b.txt 3)\",\"pin\":\"0000000000\"}" "$URL/api/v1/claims")
expect_eq "a wrong PIN on code 3" 403 "$st"
scan "$(code_at b.txt 2)" --interface 127.0.7.1
AID=$(curl -s -m 10 -H "Authorization: Bearer $TOK" "$URL/api/v1/alerts" | jq -r '.items[] | select(.type == "duplicate") | .id')
st=$(curl -s -m 10 -o out -w '%{http_code}' -X PATCH -H "Authorization: Bearer $TOK" \
	-H 'Content-Type: application/json' --data-binary '{"status":"investigating"}' \
	"$URL/api/v1/alerts/$AID")
expect_eq "an alert moved to investigating" 200 "$st"

run_expect 1 "a copy while temd runs on the file is refused" $TEMD ledger copy --from l.db --to "$DB1"
expect_grep "naming temd" "l.db: a temd (process $TEMD_PID) is using the ledger: stop it first" err
stop_temd TERM

# counts FILE-OR-DB: "table rows" lines, then the counted scans
sq_counts() {
	for t in $TABLES; do echo "$t $(sqlite3 l.db "select count(*) from $t")"; done
	echo "counted $(sqlite3 l.db 'select coalesce(sum(scans), 0) from code_scans')"
}
pg_counts() {
	for t in $TABLES; do echo "$t $(psql "$1" -XAtc "select count(*) from $t")"; done
	echo "counted $(psql "$1" -XAtc 'select coalesce(sum(scans), 0) from code_scans')"
}
sq_counts >want
empty=$(awk '$2 == 0 { print $1 }' want | tr '\n' ' ')
if [ -z "$empty" ]; then
	ok "the ledger has rows in every table"
else
	not_ok "the ledger has rows in every table" "empty: $empty"
fi

run_expect 2 "--to must be PostgreSQL" $TEMD ledger copy --from l.db --to other.db
run_expect 2 "--from and --to are required" $TEMD ledger copy --from l.db
check "--help" $TEMD ledger copy --help
expect_grep "--help names the secret file" "secret" out
mv l.db.secret keep.secret
run_expect 1 "a ledger without its secret file is refused" $TEMD ledger copy --from l.db --to "$DB1"
expect_grep "naming it" "l.db.secret: No such file or directory: the ledger's secret file must go with it" err
mv keep.secret l.db.secret

# the whole copy at once
run_expect 0 "the copy" $TEMD ledger copy --from l.db --to "$DB1"
expect_grep "says the counts were verified" "counts verified: 14 tables" out
expect_grep "and what to do with the secret file" "secret l.db.secret" out
expect_grep "progress on stderr" "scans: .* rows, done" err
pg_counts "$DB1" >got1
expect_eq "every table's rows and the counted scans match" "$(cat want)" "$(cat got1)"
expect_eq "the copied ids: the scans' ids as in the file" \
	"$(sqlite3 l.db 'select group_concat(id) from (select id from scans order by id)')" \
	"$(psql "$DB1" -XAtc 'select string_agg(id::text, $$,$$ order by id) from scans')"
expect_eq "a scan row's values copied as they were (client hash in hex)" \
	"$(sqlite3 l.db "select key_id, serial, at, lower(hex(client)), verdict from scans where id = 5")" \
	"$(psql "$DB1" -XAtc "select key_id, serial, at, encode(client, 'hex'), verdict from scans where id = 5")"
expect_eq "the id sequences follow the copied ids" \
	"$(sqlite3 l.db 'select max(id) + 1 from alerts')" \
	"$(psql "$DB1" -XAtc "select nextval(pg_get_serial_sequence('alerts', 'id'))")"
expect_eq "alert_changes gain their alert's key id" "0" \
	"$(psql "$DB1" -XAtc 'select count(*) from alert_changes c join alerts a on a.id = c.alert where a.key_id <> c.key_id')"

run_expect 0 "a second copy into the same database is a no-op" $TEMD ledger copy --from l.db --to "$DB1"
expect_grep "saying so" "was already copied to" out
expect_eq "and writes nothing twice" "$(cat want)" "$(pg_counts "$DB1")"

# interrupted copies, each stopped after some rows as a kill between chunks would, then run
# again: complete, nothing twice
run_expect 3 "a copy stopped after 50 rows" $TEMD ledger copy --from l.db --to "$DB2" --limit-rows 50
expect_grep "says so" "stopped after 50 rows" err
expect_eq "50 rows are in" 50 "$(pg_counts "$DB2" | grep -v '^counted ' | awk '{ n += $2 } END { print n }')"
run_expect 3 "run again, stopped after 7 more" $TEMD ledger copy --from l.db --to "$DB2" --limit-rows 7
expect_grep "going on where it stopped" "holds a copy of l.db begun earlier: going on" err
run_expect 0 "run again: it completes" $TEMD ledger copy --from l.db --to "$DB2"
expect_eq "with every table's rows and the counted scans once" "$(cat want)" "$(pg_counts "$DB2")"

# another ledger's database is refused
mkdir other
start_temd o --db other/l.db --trust trust.list --authority a.pub ||
	echo "# temd did not start: $(cat "$T/o.log")"
scan "$(code_at b.txt 1)"
stop_temd TERM
run_expect 1 "a database holding a copy of another ledger is refused" \
	$TEMD ledger copy --from other/l.db --to "$DB1"
expect_grep "clearly" "holds a copy of another ledger (another secret file)" err
expect_eq "and left as it was" "$(cat want)" "$(pg_counts "$DB1")"
# a database a PostgreSQL temd has served (here: another ledger's copy, its record dropped)
check "the other ledger copied into a third database" $TEMD ledger copy --from other/l.db --to "$DB3"
psql "$DB3" -XAtq -c "DROP TABLE ledger_copy"
run_expect 1 "a database with other ledger rows is refused" $TEMD ledger copy --from l.db --to "$DB3"
expect_grep "naming the table" "already holds ledger data (table meta has rows)" err
done_testing
