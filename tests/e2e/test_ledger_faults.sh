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
N=5000
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
said_shrunk() { grep -q 'write-ahead log had grown to [0-9]* MB' "$T/a.log"; }
check "and the log says so" wait_for 5 said_shrunk
stop_temd TERM
expect_eq "temd stops cleanly" "0" "$TEMD_STATUS"

# temd_fails NAME ARGS...: starts temd with ARGS, which must exit (not listen); its status is
# in $TEMD_STATUS.
temd_fails() {
	if start_temd "$@"; then
		stop_temd TERM
		TEMD_STATUS=listening
	else
		wait "$TEMD_PID" 2>/dev/null
		TEMD_STATUS=$?
	fi
}

# 64 KiB of random bytes written over leaves of the scans table: refused at start.
cp l.db c.db
page_size=$(sqlite3 c.db 'PRAGMA page_size')
page=$(sqlite3 c.db "SELECT pageno FROM dbstat WHERE name = 'scans' AND pagetype = 'leaf' LIMIT 1 OFFSET 2")
dd if=/dev/urandom of=c.db bs="$page_size" seek=$((page - 1)) count=$((65536 / page_size)) conv=notrunc 2>/dev/null
temd_fails c --db c.db --trust trust.list --authority a.pub
expect_eq "a ledger with random bytes inside is refused (exit 1)" "1" "$TEMD_STATUS"
expect_grep "saying it is damaged and what to do" 'c.db: the ledger is damaged (quick_check: .*): restore it from a backup' "$T/c.log"

# An existing empty file is a lost ledger, not a new one: refused unless --init is given.
: >e.db
temd_fails e --db e.db --trust trust.list --authority a.pub
expect_eq "an empty (0-byte) ledger file is refused (exit 1)" "1" "$TEMD_STATUS"
expect_grep "saying so and naming --init" 'e.db: the ledger file is empty (0 bytes): restore it from a backup, or give --init' "$T/e.log"
expect_eq "and left as it was" "0" "$(stat -c %s e.db)"
expect_no_file "with no WAL beside it" e.db-wal
if start_temd e --db e.db --trust trust.list --authority a.pub --init; then ok "with --init it becomes a new ledger"; else not_ok "with --init it becomes a new ledger" "log: $(tail -3 "$T/e.log")"; fi
check "which answers" curl -sf -o /dev/null "$URL/healthz"
stop_temd TERM

# A start on a ledger that cannot grow, as on a full disk: a WAL left by kill -9 (never merged)
# and a file size limit below its size make every write fail. temd starts all the same, says
# why, answers writes 503 and /healthz ledger-failing, and writes again once the limit is lifted.
start_temd k --db l.db --trust trust.list --authority a.pub
# few enough scans that the WAL stays under SQLite's 1000-page automatic checkpoint: a WAL
# checkpointed whole starts again from its beginning, below the size limit
scan_many 1 100
kill -9 "$TEMD_PID"
wait "$TEMD_PID" 2>/dev/null
wal=$(wal_size l.db)
# a trust list with one more producer, which the start must record
$TEM keygen -p p2.pub -s p2.key -W >/dev/null
$TEM trust add trust.list -p p2.pub --name "HTX Cái Nước" >/dev/null
$TEM trust sign trust.list -s a.key >/dev/null
printf '#!/bin/sh\ntrap "" XFSZ\nulimit -S -f %d\nexec "%s" "$@"\n' $((wal / 512 - 8)) "$TEMD" >limited.sh
chmod +x limited.sh
REAL_TEMD=$TEMD
TEMD=$T/limited.sh
if start_temd f --db l.db --trust trust.list --authority a.pub; then ok "a start where the ledger cannot grow ($wal-byte WAL) serves"; else not_ok "a start where the ledger cannot grow ($wal-byte WAL) serves" "log: $(tail -3 "$T/f.log")"; fi
TEMD=$REAL_TEMD
expect_grep "saying writes are answered 503" 'cannot record the producers in the ledger, which takes no writes: serving, writes answered 503' "$T/f.log"
expect_eq "/healthz says ledger-failing" "503 ledger-failing" "$(curl -s -o out -w '%{http_code}' "$URL/healthz") $(jq -r .status out)"
scan "$(code_at b.txt 1)"
expect_eq "a scan is answered 503" "503" "$(cat "$T/status")"
prlimit --pid "$TEMD_PID" --fsize=unlimited:unlimited
scan "$(code_at b.txt 1)"
expect_eq "once the ledger can grow, scans are counted" "200" "$(cat "$T/status")"
expect_eq "and /healthz says ok" "200 ok" "$(curl -s -o out -w '%{http_code}' "$URL/healthz") $(jq -r .status out)"
stop_temd TERM
expect_eq "it stops cleanly" "0" "$TEMD_STATUS"

# A start that cannot even make a new ledger leaves nothing that blocks the next.
printf '#!/bin/sh\ntrap "" XFSZ\nulimit -f 0\nexec "%s" "$@"\n' "$TEMD" >nospace.sh
chmod +x nospace.sh
TEMD=$T/nospace.sh
temd_fails n --db n.db --trust trust.list --authority a.pub
TEMD=$REAL_TEMD
expect_eq "a new ledger on a full disk is refused (exit 1)" "1" "$TEMD_STATUS"
expect_no_file "and leaves no ledger file" n.db
expect_no_file "no WAL" n.db-wal
expect_no_file "no WAL index" n.db-shm
if start_temd n --db n.db --trust trust.list --authority a.pub; then ok "so the next start makes it"; else not_ok "so the next start makes it" "log: $(tail -3 "$T/n.log")"; fi
stop_temd TERM

# A ledger temd may not write is refused before SQLite makes read-only WAL files beside it.
# Root writes every file, so as root temd runs as nobody, on a ledger folder of its own (the
# scratch folder made sticky, as /tmp is, for the port files).
R=r.db
if [ "$(id -u)" -eq 0 ]; then
	chmod 1777 "$T"
	mkdir ro
	R=ro/r.db
	printf '#!/bin/sh\nexec setpriv --reuid=nobody --regid=nogroup --clear-groups "%s" "$@"\n' \
		"$TEMD" >asnobody.sh
	chmod 755 asnobody.sh
fi
cp l.db $R
[ "$(id -u)" -eq 0 ] && chown -R nobody:nogroup ro && chmod 700 ro
chmod 400 $R
[ "$(id -u)" -eq 0 ] && TEMD=$T/asnobody.sh
temd_fails r --db $R --trust trust.list --authority a.pub
expect_grep "a read-only ledger is refused" 'r.db: cannot write the ledger' "$T/r.log"
expect_no_file "leaving no read-only WAL" $R-wal
chmod 600 $R
if start_temd r --db $R --trust trust.list --authority a.pub; then ok "so the next start, once writable, serves"; else not_ok "so the next start, once writable, serves" "log: $(tail -3 "$T/r.log")"; fi
stop_temd TERM
TEMD=$REAL_TEMD
done_testing
