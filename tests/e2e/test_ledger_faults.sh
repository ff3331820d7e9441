#!/bin/sh
# A damaged or lost ledger is refused, not served: random bytes written into the file are
# found by the quick_check at start; an existing empty (0-byte) file is refused unless --init
# is given. A long reader holding the WAL: the WAL grows while it holds, and shrinks back
# under its bound once it lets go. A start on a ledger that cannot grow (as on a full disk):
# temd serves and answers writes 503 until it can write, and a start that fails leaves no file
# behind that blocks the next. (One damaged page costing only its own codes is shown in
# tests/unit/test_ledger.c.)
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
cd "$T" || exit 1
WAL_LIMIT=$((8 * 1024 * 1024)) # LEDGER_WAL_LIMIT in server/ledger.c
N=3000
make_authority "HTX Năm Căn"
$TEM issue -s p.key -n $N --product "Cua Cà Mau" --url http://127.0.0.1:8080 -o b.txt -q
codes b.txt >codes.txt

# scan_many FIRST LAST: posts the scans of codes FIRST..LAST, 8 at a time over kept-alive
# connections; the status of each is a line of $T/many.status.
scan_many() {
	sed -n "$1,$2p" codes.txt | awk -v u="$URL/api/v1/scans" '{
		if (NR > 1) print "next"
		printf "url = \"%s\"\nheader = \"Content-Type: application/json\"\n", u
		printf "data-binary = \"{\\\"code\\\":\\\"%s\\\"}\"\n", $0
		printf "output = /dev/null\nwrite-out = \"%%{http_code}\\n\"\n" }' >many.cfg
	curl -s --no-progress-meter -Z --parallel-max 2 -K many.cfg >many.status 2>/dev/null
}
wal_size() { stat -c %s "$1-wal" 2>/dev/null || echo 0; }

start_temd a --db l.db --trust trust.list --authority a.pub
$TEM register b.txt --server "$URL" -q
scan_many 1 300
expect_eq "300 scans counted" "300" "$(grep -c '^200$' many.status)"
expect_grep "the start logs the quick_check and its time" 'ledger checked (quick_check, [0-9]* MB) in [0-9.]* s' "$T/a.log"

# A reader holding one read transaction (as sqlite3 run by hand) while scans come: the WAL
# grows past its bound, then, once the reader lets go, it is truncated back under it.
mkfifo reader.in
sqlite3 l.db <reader.in >reader.out 2>&1 &
READER=$!
exec 5>reader.in
printf 'BEGIN;\nSELECT count(*) FROM scans;\n' >&5
has_count() { grep -q '^300$' reader.out; }
wait_for 10 has_count
wal_grown() { [ "$(wal_size l.db)" -gt $WAL_LIMIT ]; }
first=301
while ! wal_grown && [ $first -le $N ]; do
	scan_many $first $((first + 199))
	first=$((first + 200))
done
held=$(wal_size l.db)
check "the WAL grows past its bound while a reader holds it ($held bytes)" wal_grown
printf 'COMMIT;\n.quit\n' >&5
exec 5>&-
wait $READER
wal_back() { [ "$(wal_size l.db)" -le $WAL_LIMIT ]; }
wait_for 10 wal_back
check "once the reader lets go, the WAL shrinks back under its bound ($(wal_size l.db) bytes)" wal_back
expect_grep "and the log says so" 'write-ahead log had grown to [0-9]* MB' "$T/a.log"
stop_temd TERM
expect_eq "temd stops cleanly" "0" "$TEMD_STATUS"
done_testing
