#!/bin/sh
# temd backup under steady scans: while wrk posts scans as fast as temd takes them and a curl
# client records each scan temd acknowledges, `temd backup` finishes in bounded time with a copy
# that passes PRAGMA integrity_check and holds every scan acknowledged before it started; temd
# restored from the copy and the secret file answers for those scans (docs/deploy.md).
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
SCANS_LUA=$(cd "$(dirname "$0")/../bench" && pwd)/scans.lua
cd "$T" || exit 1
make_authority "HTX Năm Căn"
$TEM issue -s p.key -n 2000 --product "Cua Cà Mau" --url http://127.0.0.1:8080 -o b.txt -q
codes b.txt | sed -n '1,1000p' >load.txt     # wrk's codes
codes b.txt | sed -n '1001,2000p' >acked.txt # the acknowledged client's
start_temd d --db l.db --trust trust.list --authority a.pub || echo "# temd: $(cat d.log)"
$TEM register b.txt --server "$URL" -q

# acked client: posts its codes one by one until stop exists; each 2xx answer's short id goes
# to acked
client() {
	while read -r c && [ ! -e stop ]; do
		s=$(curl -s -m 10 -o ans.json -w '%{http_code}' -H 'Content-Type: application/json' \
			--data-binary "{\"code\":\"$c\"}" "$URL/api/v1/scans")
		case $s in 2*) jq -r .short_id ans.json >>acked ;; esac
	done <acked.txt
}
: >acked
# wrk runs long enough to outlast the wait for acknowledged scans on a busy machine; it is
# stopped once the backup is judged
wrk -t 2 -c 8 -d 30s -s "$SCANS_LUA" "$URL" -- load.txt 2 >wrk.out 2>&1 &
WRK=$!
PIDS="$PIDS $WRK"
client &
CLIENT=$!
PIDS="$PIDS $CLIENT"
# counted DB: the scans counted in DB, repeats included (wrk repeats its codes: a repeat by the
# same client adds to a counter, not a scans row)
counted() { sqlite3 -cmd '.timeout 2000' "$1" 'select coalesce(sum(scans), 0) from day_stats'; }
ledger_has_scans() { [ "$(wc -l <acked)" -ge 20 ] && [ "$(counted l.db)" -ge 200 ]; }
wait_for 20 ledger_has_scans || echo "# few scans before the backup: $(wc -l <acked) acked"
cp acked acked.before
before=$(date +%s%N)
run_expect 0 "temd backup while wrk and a client post scans" $TEMD backup --db l.db -o backup.db
took=$((($(date +%s%N) - before) / 1000000))
cp err backup.err
expect_grep "it says what it copied and that the secret file is kept apart" \
	'l.db copied to backup.db (.*integrity ok.*l.db.secret apart' out
after=$(counted l.db)
if kill -0 "$WRK" 2>/dev/null && [ "$took" -lt 10000 ]; then
	ok "the backup finished in ${took} ms while the load went on"
else
	not_ok "the backup finished within 10 s while the load went on" "took ${took} ms" \
		"wrk still running: $(kill -0 "$WRK" 2>/dev/null && echo yes || echo no)"
fi
touch stop
kill "$WRK" 2>/dev/null
wait "$CLIENT"
wait "$WRK"
expect_eq "the copy passes PRAGMA integrity_check" "ok" "$(sqlite3 backup.db 'pragma integrity_check')"
expect_eq "the copy is mode 0600" "600" "$(stat -c %a backup.db)"
expect_eq "no temporary file is left beside it" "" "$(ls | grep 'backup.db.tmp' || true)"
# each code's acknowledged scans against its counted ones in the copy
sort acked.before | uniq -c | awk '{ print $2, $1 }' | sort >acked.cnt
sqlite3 backup.db "select key_id || '-' || serial || ' ' || scans from codes" | sort >backup.txt
n=$(wc -l <acked.before)
missing=$(join -a 1 -e 0 -o 0,1.2,2.2 acked.cnt backup.txt | awk '$3 < $2' | wc -l)
nb=$(counted backup.db)
if [ "$n" -ge 20 ] && [ "$missing" -eq 0 ]; then
	ok "all $n scans acknowledged before the backup are in it ($nb scans copied, $after in the ledger just after)"
else
	not_ok "every scan acknowledged before the backup is in it" "acknowledged: $n, missing: $missing"
fi
grep -E '^(RATE|NON2XX|ERRORS)' wrk.out | sed 's/^/# wrk: /'

run_expect 1 "an existing output is refused" $TEMD backup --db l.db -o backup.db
expect_grep "and says how to replace it" 'backup.db exists already (-f replaces it)' err
run_expect 0 "-f replaces it" $TEMD backup --db l.db -o backup.db -f
run_expect 1 "a missing ledger is one clear error" $TEMD backup --db nosuch.db -o x.db
expect_eq "naming the file" "temd: backup: nosuch.db: No such file or directory" "$(cat err)"
expect_no_file "and leaves nothing behind" x.db
echo "not a database, just text" >text.db
run_expect 1 "a file that is not a ledger is refused" $TEMD backup --db text.db -o x.db
expect_grep "with SQLite's reason" 'text.db: the copy failed: file is not a database' err
expect_eq "and nothing is left behind" "" "$(ls | grep '^x.db' || true)"
run_expect 2 "without -o: a usage error" $TEMD backup --db l.db

# restore as docs/deploy.md says: stop temd, put the copy and the secret file in place, start
stop_temd TERM
expect_eq "temd stops" "0" "$TEMD_STATUS"
mkdir restored
cp backup.db restored/l.db
cp -p l.db.secret restored/l.db.secret
start_temd r --db restored/l.db --trust trust.list --authority a.pub || echo "# temd: $(cat r.log)"
expect_grep "temd starts on the restored ledger with its batch" "(.* scans, 1 batches)" r.log
FIRST=$(head -n 1 acked.before)
scan "$(code_at b.txt "${FIRST#*-}")" \
	--interface 127.0.9.1
expect_eq "an acknowledged code counts its earlier scan after the restore" "2 seen" \
	"$(json scans) $(json verdict)"
if grep -q 'new secret file' r.log; then
	not_ok "the restored secret file is used (no new one made)" "$(cat r.log)"
else
	ok "the restored secret file is used (no new one made)"
fi
stop_temd TERM
done_testing
