#!/bin/sh
# Serials never repeat for a key: tem keygen makes the key's counter, a missing counter is
# refused with what to do (restore it, or --first-serial N), and tem issue --server asks temd
# for the key's highest registered serial and refuses a batch that would not start past it,
# before it spends a serial or writes a code. A killed tem issue leaves no temporary file.
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
cd "$T" || exit 1
$TEM keygen -p a.pub -s a.key -W >/dev/null
check "tem keygen makes the key's counter" $TEM keygen -p p.pub -s p.key -W
expect_eq "starting at serial 1, mode 0600" "1 600" "$(cat p.key.serial) $(stat -c %a p.key.serial)"
$TEM trust init -o trust.list --authority "Sở Khoa học và Công nghệ Cà Mau" >/dev/null
$TEM trust add trust.list -p p.pub --name "HTX Năm Căn" >/dev/null 2>&1
$TEM trust sign trust.list -s a.key >/dev/null
issue() { # OUT [ARGS]: a batch of 10 codes of p.key
	o=$1
	shift
	$TEM issue -s p.key -n 10 --product "Cua Cà Mau" -o "$o" -q --no-claim "$@"
}
first() { sed -n 's/^first-serial: //p' "$1"; }
check "the first batch" issue b1.txt
check "the second batch" issue b2.txt
expect_eq "serials 1 and 11" "1 11" "$(first b1.txt) $(first b2.txt)"
cp p.key.serial old.serial # a backup, taken now

# a lost counter
mv p.key.serial lost.serial
run_expect 2 "a missing counter is refused" issue b3.txt
expect_grep "saying what to do" 'counter is missing: restore it from a backup, or give --first-serial' "$T/err"
expect_no_file "nothing is written" b3.txt
expect_no_file "and no counter is made up" p.key.serial
run_expect 2 "--first-serial below what was spent is refused once the counter is back" \
	sh -c "mv lost.serial p.key.serial && $TEM issue -s p.key -n 1 --product P -o b3.txt -q --no-claim --first-serial 5"
expect_grep "naming the spent range" 'serials up to 20 are spent already' "$T/err"

# a key made by minisign has no counter: its first batch says which serial to start at
minisign -G -W -p m.pub -s m.key >/dev/null 2>&1
run_expect 2 "a key without a counter (minisign -G) is refused too" \
	$TEM issue -s m.key -n 1 --product P -o m1.txt -q --no-claim
check "its first batch starts with --first-serial 1" \
	$TEM issue -s m.key -n 1 --product P -o m1.txt -q --no-claim --first-serial 1
expect_eq "and the counter follows" "2" "$(cat m.key.serial)"

start_temd s --db l.db --trust trust.list --authority a.pub || echo "# temd did not start: $(cat "$T/s.log")"
KEY=$(sed -n 's/^key-id: //p' b1.txt)
check "b1 registers" $TEM register b1.txt --server "$URL" -q
check "b2 registers" $TEM register b2.txt --server "$URL" -q
curl -s -m 10 -o "$T/out" -w '%{http_code}' "$URL/api/v1/producers/$KEY/serial" >"$T/status"
expect_eq "GET /api/v1/producers/KEYID/serial: the highest registered serial" "200 $KEY 20" \
	"$(cat "$T/status") $(json key_id) $(json last_serial)"
curl -s -m 10 -o "$T/out" -w '%{http_code}' "$URL/api/v1/producers/0123456789ABCDEF/serial" >"$T/status"
expect_eq "a key with no batch: 0" "200 0" "$(cat "$T/status") $(json last_serial)"
curl -s -m 10 -o "$T/out" -w '%{http_code}' "$URL/api/v1/producers/nothex/serial" >"$T/status"
expect_eq "a key id that is not one: 404" "404 not-found" "$(cat "$T/status") $(json error.code)"

# an old counter restored: --server refuses before anything is spent or written
cp p.key.serial new.serial
printf '11\n' >p.key.serial
run_expect 2 "tem issue --server refuses to start at or below the server's highest serial" \
	issue b3.txt --server "$URL"
expect_grep "saying where to start" 'the server has serials up to 20 .*--first-serial 21' "$T/err"
expect_no_file "no batch is written" b3.txt
expect_eq "and no serial spent" "11" "$(cat p.key.serial)"
check "--first-serial past the server's serials is taken" issue b3.txt --server "$URL" --first-serial 21
expect_eq "starting there" "21" "$(first b3.txt)"
check "and registers" $TEM register b3.txt --server "$URL" -q
check "with a current counter --server just checks" issue b4.txt --server "$URL"
expect_eq "b4 follows b3" "31" "$(first b4.txt)"
run_expect 2 "an unreachable --server is an error, not a pass" issue b5.txt --server http://127.0.0.1:1
expect_no_file "and nothing is written" b5.txt
stop_temd TERM

# a killed tem issue: its half-written batch is 0600, removed on SIGTERM, and a stale one left
# by SIGKILL is removed by the next run
has_tmp() { ls big.txt.tmp-* >/dev/null 2>&1; }
big() { $TEM issue -s p.key -n 5000000 --product P -o big.txt -q --no-claim --threads 1 & BIG=$!; }
big
wait_for 20 has_tmp
expect_eq "the temporary batch file is 0600" "600" "$(stat -c %a big.txt.tmp-* | head -n 1)"
kill -TERM "$BIG"
wait "$BIG"
expect_eq "SIGTERM ends tem issue as SIGTERM does" "143" "$?"
if has_tmp; then not_ok "and removes its temporary files" "$(ls big.txt.*)"; else ok "and removes its temporary files"; fi
big
wait_for 20 has_tmp
kill -KILL "$BIG"
wait "$BIG"
if has_tmp; then ok "SIGKILL leaves one behind"; else not_ok "SIGKILL leaves one behind"; fi
check "the next run" $TEM issue -s p.key -n 2 --product P -o big.txt -q --no-claim
if has_tmp; then not_ok "removes the stale one" "$(ls big.txt.*)"; else ok "removes the stale one"; fi
check "and its batch verifies" $TEM check -p p.pub -m big.txt
done_testing
