#!/bin/sh
# temd end to end: a real server on a loopback port with a real ledger file, driven by curl and
# tem register. Every verdict reached on purpose, the duplicate rule and its alert row, a label
# decoded by zbarimg then scanned, hostile requests, SIGHUP with a corrupt trust list, restarts.
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
cd "$T" || exit 1
$TEM keygen -p a.pub -s a.key -W >/dev/null
$TEM keygen -p p.pub -s p.key -W >/dev/null
$TEM keygen -p r.pub -s r.key -W >/dev/null
$TEM keygen -p u.pub -s u.key -W >/dev/null
$TEM trust init -o trust.list --authority "Sở Khoa học và Công nghệ Cà Mau" >/dev/null
$TEM trust add trust.list -p p.pub --name "Hợp tác xã Cua Cà Mau Năm Căn" >/dev/null
$TEM trust add trust.list -p r.pub --name "Trại giống Đầm Dơi" >/dev/null
$TEM trust sign trust.list -s a.key >/dev/null
issue() { # KEY N OUT [ARGS]
	k=$1 n=$2 o=$3
	shift 3
	$TEM issue -s "$k" -n "$n" --product "Cua Cà Mau" --producer "HTX Năm Căn" \
		--url http://127.0.0.1:8080 -o "$o" -q "$@"
}
issue p.key 20 b1.txt --valid-days 30
issue p.key 5 b2.txt --valid-days 30 # never registered
issue r.key 5 r1.txt
issue u.key 5 u1.txt
code() { code_at "$@"; } # FILE N: the N-th code of a batch

run_expect 2 "temd refuses to start without its files" $TEMD --db x.db
# temd only verifies: it links no signing code, so it does not even import the signing call
nm -D "$TEMD_BINARY" | awk '{ print $NF }' >"$T/imports"
expect_eq "temd imports crypto_sign_verify_detached" "1" "$(grep -cx 'crypto_sign_verify_detached' "$T/imports")"
expect_eq "temd does not import crypto_sign_detached" "0" "$(grep -cx 'crypto_sign_detached' "$T/imports")"
cp trust.list bad.list
sed 's/Năm Căn/Năm Căm/' trust.list >bad.list
cp trust.list.minisig bad.list.minisig
if start_temd bad --db l.db --trust bad.list --authority a.pub; then
	not_ok "temd refuses a trust list whose signature fails"
else
	ok "temd refuses a trust list whose signature fails"
fi
expect_grep "says why it refuses" 'refusing to start' "$T/bad.log"

start_temd s1 --db l.db --trust trust.list --authority a.pub --timeout 1 || echo "# temd did not start: $(cat "$T/s1.log")"
check "tem register registers a batch" $TEM register b1.txt --server "$URL"
expect_grep "and says so" 'registered as batch' "$T/out"
check "registering again is harmless" $TEM register b1.txt --server "$URL"
expect_grep "already registered" 'already registered' "$T/out"
check "the second producer registers" $TEM register r1.txt --server "$URL"
run_expect 1 "an unknown key cannot register" $TEM register u1.txt --server "$URL"
expect_grep "names the unknown key" 'unknown-key' "$T/err"
mv p.key.serial serial.bak # a lost counter, then serials given again by hand
issue p.key 3 overlap.txt --first-serial 1
mv serial.bak p.key.serial
run_expect 1 "overlapping serials are refused" $TEM register overlap.txt --server "$URL"
expect_grep "names the overlap" 'overlap' "$T/err"
run_expect 2 "an unreachable server is an error" $TEM register b1.txt --server http://127.0.0.1:1

# verdicts
C1=$(code b1.txt 1)
scan "$C1" --interface 127.0.1.1
expect_eq "first scan: genuine" "200 genuine" "$(cat "$T/status") $(json verdict)"
expect_eq "carries its counts" "1 1" "$(json scans) $(json clients)"
expect_eq "names the producer" "Hợp tác xã Cua Cà Mau Năm Căn" "$(json producer.name)"
expect_eq "and the product and batch" "Cua Cà Mau $(sed -n 's/^batch: //p' b1.txt)" "$(json product) $(json batch)"
expect_eq "and the serial" "1" "$(json serial)"
case $(json first_scan) in 20*T*Z) ok "first_scan is ISO 8601" ;; *) not_ok "first_scan is ISO 8601" "$(json first_scan)" ;; esac
scan "$C1" --interface 127.0.1.2 -A another-app
expect_eq "the same network again, another app: the same client" "genuine 2 1" "$(json verdict) $(json scans) $(json clients)"
scan "$C1" --interface 127.0.2.1
expect_eq "a second client (another /24): seen" "seen 2" "$(json verdict) $(json clients)"
scan "$C1" --interface 127.0.3.1
expect_eq "a third client: seen" "seen 3" "$(json verdict) $(json clients)"
scan "$C1" --interface 127.0.4.1
expect_eq "past the threshold: duplicate" "duplicate 4" "$(json verdict) $(json clients)"
expect_eq "an alert row exists" "1|4" "$(ledger_sql l.db "select count(*), max(clients) from code_alerts")"
scan "$C1" --interface 127.0.4.2 -b "tem_client=$(ledger_sql l.db "select hex(client) from scans where id = 1" \
	"select encode(client, 'hex') from scans where id = 1" | tr A-F a-f)"
expect_eq "a made-up tem_client cookie names no client" "4" "$(json clients)"
scan "$(code b2.txt 1)"
expect_eq "a valid code of an unregistered batch" "unregistered" "$(json verdict)"
scan "$(code u1.txt 1)"
expect_eq "a key not in the trust list" "unknown-key" "$(json verdict)"
BAD=$(change_char 14 101 b1.txt | sed -n 14p) # code 2, one signature character changed
scan "$BAD"
expect_eq "a forged signature: invalid, still 200" "200 invalid" "$(cat "$T/status") $(json verdict)"
scan "hello"
expect_eq "not a code: malformed, still 200" "200 malformed" "$(cat "$T/status") $(json verdict)"
scan "'; DROP TABLE scans; --"
expect_eq "SQL-looking text is just malformed" "malformed" "$(json verdict)"
expect_eq "forged and malformed codes are not counted" "7" "$(ledger_sql l.db 'select sum(scans) from code_scans')"
scan "http://127.0.0.1:8080/C/$(code b1.txt 3)"
expect_eq "a URL works as well as the bare code" "genuine" "$(json verdict)"

# the buyer's page
curl -s -m 10 -o page.html "$URL/c/$(code b1.txt 4)"
expect_grep "the page says genuine in Vietnamese" 'Hàng chính hãng' page.html
expect_grep "with the producer" 'Hợp tác xã Cua Cà Mau Năm Căn' page.html
curl -s -m 10 -o page.html "$URL/c/$C1?lang=en"
expect_grep "English by ?lang=en" 'Warning: this label may be a copy' page.html
curl -s -m 10 -o page.html -H 'Accept-Language: en-GB,en;q=0.9' "$URL/c/$C1"
expect_grep "English by Accept-Language" 'lang="en"' page.html
curl -s -m 10 -o page.html "$URL/c/%3Cscript%3Ealert(1)%3C%2Fscript%3E"
expect_grep "script-looking input gets the not-a-code page" 'Không phải mã tem' page.html
if grep -q '<script>' page.html; then not_ok "script-looking input is escaped"; else ok "script-looking input is escaped"; fi
curl -s -m 10 -o page.html "$URL/"
expect_grep "GET / offers a form" '<form' page.html
expect_eq "GET /?code= redirects to the code's page" "303" \
	"$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$URL/?code=$(code b1.txt 5)")"

# hostile HTTP: a JSON error with the right status, the server stays up, the ledger unchanged
ROWS=$(ledger_sql l.db 'select count(*), sum(scans) from code_scans')
status() { curl -s -m 10 -o "$T/out" -w '%{http_code}' "$@"; }
expect_eq "unknown route: 404" "404 not-found" "$(status "$URL/nope") $(json error.code)"
expect_eq "wrong method: 405" "405" "$(status -X PUT "$URL/api/v1/scans")"
expect_eq "GET /api/v1/scans is the regulators' list: 401 without a token" "401" \
	"$(status "$URL/api/v1/scans")"
expect_eq "wrong content type: 415" "415" "$(status -H 'Content-Type: text/plain' -d x "$URL/api/v1/scans")"
expect_eq "invalid JSON: 400" "400 invalid-json" "$(status -H 'Content-Type: application/json' -d '{"code":' "$URL/api/v1/scans") $(json error.code)"
printf '{"code":"\377\376"}' >badutf.json
expect_eq "invalid UTF-8: 400" "400" "$(status -H 'Content-Type: application/json' --data-binary @badutf.json "$URL/api/v1/scans")"
expect_eq "no code field: 422" "422" "$(status -H 'Content-Type: application/json' -d '{"kode":1}' "$URL/api/v1/scans")"
head -c 10000 /dev/zero | tr '\0' 'A' >big.txt
expect_eq "a huge body: 413" "413" "$(status -H 'Content-Type: application/json' --data-binary @big.txt "$URL/api/v1/scans")"
expect_eq "an overlong URL: 414" "414" "$(status "$URL/c/$(head -c 5000 big.txt)")"
# a client that sends part of a request and then nothing: temd (--timeout 1) closes the
# connection without an answer; the client waits for that close (at most 10 s)
timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" && printf "%s" "$1" >&3 && cat <&3' \
	"$(cat "$T/s1.port")" "$(printf 'POST /api/v1/scans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 90\r\n\r\n{"co')" \
	>slow.out 2>&1
SLOW=$?
expect_eq "a slow client is cut off, without an answer" "0 0" "$SLOW $(wc -c <slow.out)"
expect_eq "the server is still up" "200" "$(status "$URL/healthz")"
expect_eq "the ledger kept its rows and counts, no more" "$ROWS" "$(ledger_sql l.db 'select count(*), sum(scans) from code_scans')"
# every table a client is recorded in (the batches' URLs name 127.0.0.1 on purpose)
ledger_dump l.db scans code_scans alerts >clients.sql
expect_grep "the ledger's client records are there to look at" 'INSERT INTO scans' clients.sql
if grep -qi -e '127\.0\.0\.1' -e '7f0000' clients.sql; then
	not_ok "no raw address in the ledger" "$(grep -i -m 3 -e '127\.0\.0\.1' -e '7f0000' clients.sql)"
else
	ok "no raw address in the ledger"
fi

# a printed label, read back by a decoder, then scanned
$TEM label b1.txt -p p.pub --layout sticker -o lab.pdf -q
pdftoppm -r 300 -f 10 -l 10 -png lab.pdf lab
U=$(zbarimg -q --raw lab*.png 2>/dev/null | head -n 1)
case $U in HTTP://127.0.0.1:8080/C/*) ok "the label decodes to its URL" ;; *) not_ok "the label decodes to its URL" "$U" ;; esac
scan "$U"
expect_eq "the decoded label scans genuine" "genuine 10" "$(json verdict) $(json serial)"

# metrics: on the --metrics-listen listener only; the public port's /healthz tells no volumes
expect_eq "the public port does not serve /metrics" "404" "$(status "$URL/metrics")"
status "$URL/healthz" >/dev/null
expect_eq "the public port's /healthz says only ok" '{"status":"ok"}' "$(cat "$T/out")"
status "$METRICS_URL/healthz" >/dev/null
expect_eq "the metrics listener's /healthz gives the counts" "ok $(ledger_sql l.db 'select count(*) from batches')" "$(json status) $(json batches)"
expect_eq "the metrics listener serves nothing else" "404" "$(status "$METRICS_URL/api/v1/scans")"
status "$METRICS_URL/metrics" >/dev/null
expect_grep "metrics count requests by route and status" 'temd_requests_total{route="/api/v1/scans",status="200"}' "$T/out"
expect_grep "metrics count verdicts" 'temd_verdicts_total{verdict="duplicate"} [1-9]' "$T/out"
expect_grep "metrics have the commit latency histogram" 'temd_scan_commit_seconds_bucket{le="+Inf"}' "$T/out"
expect_grep "metrics give the ledger size" "^temd_ledger_scans $(ledger_sql l.db 'select sum(scans) from day_stats')\$" "$T/out"

# trust list: a corrupt reload keeps the old list; a revocation takes effect
cp trust.list trust.good
printf 'garbage\n' >trust.list
kill -HUP "$TEMD_PID"
wait_for 10 grep -q 'not reloaded' "$T/s1.log"
scan "$(code b1.txt 6)"
expect_eq "SIGHUP with a corrupt trust list keeps serving" "200 genuine" "$(cat "$T/status") $(json verdict)"
expect_grep "and logs it" 'not reloaded' "$T/s1.log"
cp trust.good trust.list
$TEM trust revoke trust.list "$(sed -n 's/^key-id: //p' r1.txt)" >/dev/null 2>&1
$TEM trust sign trust.list -s a.key >/dev/null
LOADS=$(grep -c 'in force' "$T/s1.log")
kill -HUP "$TEMD_PID"
reloaded() { [ "$(grep -c 'in force' "$T/s1.log")" -gt "$LOADS" ]; }
wait_for 10 reloaded
expect_eq "SIGHUP with a good trust list puts it in force" "$((LOADS + 1))" "$(grep -c 'in force' "$T/s1.log")"
scan "$(code r1.txt 1)"
expect_eq "a key revoked after its batch registered the same day: revoked" "revoked" "$(json verdict)"

# restarts keep every count
N1=$(ledger_sql l.db "select scans from codes where serial = 1 and key_id = '$(sed -n 's/^key-id: //p' b1.txt)'")
stop_temd TERM
expect_eq "SIGTERM: exit 0" "0" "$TEMD_STATUS"
expect_no_file "SIGTERM checkpoints the WAL" l.db-wal
start_temd s2 --db l.db --trust trust.list --authority a.pub
scan "$C1" --interface 127.0.1.1
expect_eq "a restart keeps every count" "duplicate $((N1 + 1)) 5" "$(json verdict) $(json scans) $(json clients)"
stop_temd TERM
# temd with its clock at 2099-01-01: faketime's library preloaded through exec, so that
# $TEMD_PID is temd itself (the faketime program would stand between and keep the signals)
cat >"$T/temd-2099" <<EOF
#!/bin/sh
export ASAN_OPTIONS="\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}verify_asan_link_order=0"
export LD_PRELOAD='/usr/\$LIB/faketime/libfaketime.so.1' FAKETIME='@2099-01-01 12:00:00'
exec "$TEMD" "\$@"
EOF
chmod +x "$T/temd-2099"
REAL_TEMD=$TEMD
TEMD=$T/temd-2099
start_temd s3 --db l.db --trust trust.list --authority a.pub
TEMD=$REAL_TEMD
scan "$(code b1.txt 7)"
expect_eq "past its last valid day: expired" "expired" "$(json verdict)"
stop_temd KILL
done_testing
