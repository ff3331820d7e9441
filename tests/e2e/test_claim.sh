#!/bin/sh
# Claims at sale on a real temd: tem register sends the claim key (a wrong .claim file is
# refused); a right PIN claims a code (201) and every other client's scan of it is then `sold`,
# the claimer's own is not; another client's claim is 409, a wrong PIN 403 and then 429 past
# the limit, changing nothing; claims survive a restart and a kill -9 right after the 201; the
# page form and the typed fallback on / work; the ledger holds no claim key in clear. The PINs
# are computed here, apart from temd, from BATCH.claim (label/claim.h's scheme, in python3).
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
cd "$T" || exit 1
make_authority "HTX Cua Năm Căn"
$TEM issue -s p.key -n 12 --product "Cua gạch" -o b.txt -q
$TEM issue -s p.key -n 2 --product "Cua gạch" -o nc.txt --no-claim -q
$TEM issue -s p.key -n 2 --product "Cua gạch" -o w.txt -q

# serial_of N: the serial of the N-th code of b.txt (the short id's number)
serial_of() {
	FS=$(sed -n 's/^first-serial: //p' b.txt)
	echo $((FS + $1 - 1))
}
KEY=$(sed -n 's/^key-id: //p' b.txt)

start_temd s --db l.db --trust trust.list --authority a.pub ||
	echo "# temd did not start: $(cat "$T/s.log")"
expect_eq "temd makes its secret file 0600 beside the ledger" "600" "$(stat -c %a l.db.secret)"

# a wrong claim file: the other batch's key
cp b.txt.claim good.claim
cp w.txt.claim b.txt.claim
run_expect 2 "register with another batch's claim file is refused" $TEM register b.txt --server "$URL"
expect_grep "naming the file" 'b.txt.claim' "$T/err"
rm b.txt.claim
run_expect 2 "register with no claim file is refused" $TEM register b.txt --server "$URL"
expect_grep "naming the file" 'b.txt.claim' "$T/err"
cp good.claim b.txt.claim
check "register sends the claim key" $TEM register b.txt --server "$URL" -q
check "a --no-claim batch registers without one" $TEM register nc.txt --server "$URL" -q

# temd itself checks the key against the signed header
H=$(sed -n "1,$(header_lines w.txt)p" w.txt | jq -Rs .)
curl -s -m 10 -o out -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary "{\"header\":$H}" "$URL/api/v1/batches" >status
expect_eq "a header with a claim line and no key: 422" "422 claim-key-missing" \
	"$(cat status) $(jq -r .error.code out)"
curl -s -m 10 -o out -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary "{\"header\":$H,\"claim_key\":\"$(sed -n 's/^claim-key: //p' good.claim)\"}" \
	"$URL/api/v1/batches" >status
expect_eq "another batch's key: 422 claim-key-mismatch" "422 claim-key-mismatch" \
	"$(cat status) $(jq -r .error.code out)"

C1=$(code_at b.txt 1)
S1=$(serial_of 1)
P1=$(pin b.txt.claim "$S1")
# claim CODE PIN [CURL ARGS...]: POST /api/v1/claims; answer in out, status in status
claim() {
	_c=$1
	_p=$2
	shift 2
	curl -s -m 10 -o out -D hdr -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary "{\"code\":\"$_c\",\"pin\":\"$_p\"}" "$@" "$URL/api/v1/claims" >status
}
ME="-A buyer-phone"
OTHER="--interface 127.0.1.2 -A other-phone"

scan "$C1" $ME
expect_eq "before the claim, a scan is genuine" genuine "$(json verdict)"
claim "$C1" "$(echo "$P1" | sed 's/^\(.....\)/\1 /')" $ME
expect_eq "the right PIN (typed with a space) claims the code: 201" "201 true" \
	"$(cat status) $(json claimed)"
scan "$C1" $OTHER
expect_eq "another client's scan is then sold" "sold false" \
	"$(json verdict) $(json claimed.yours)"
scan "$C1" $ME
expect_eq "the claimer's own scan is not sold, and says it is theirs" "true" "$(json claimed.yours)"
case "$(json verdict)" in sold) not_ok "the claimer's verdict is its normal one" ;; *) ok "the claimer's verdict is its normal one ($(json verdict))" ;; esac
claim "$C1" "$P1" $ME
expect_eq "the claimer claiming again: 200" "200" "$(cat status)"
claim "$C1" "$P1" $OTHER
expect_eq "another client claiming: 409 already-claimed" "409 already-claimed" \
	"$(cat status) $(jq -r .error.code out)"
scan "$C1" $ME
expect_eq "and nothing changed: the claimer is still the claimer" "true" "$(json claimed.yours)"

# wrong PINs: 403 each, then 429 past the code's limit (5 a day), state unchanged
C2=$(code_at b.txt 2)
S2=$(serial_of 2)
P2=$(pin b.txt.claim "$S2")
W2=$(printf '%010d' $(((1$P2 - 10000000000 + 1) % 10000000000)))
codes403=""
for i in 1 2 3 4 5; do
	claim "$C2" "$W2" -A "guesser-$i"
	codes403="$codes403$(cat status)"
done
expect_eq "five wrong PINs: 403 wrong-pin each" "403403403403403" "$codes403"
claim "$C2" "$P2" -A guesser-6
expect_eq "the sixth try is limited (429), even with the right PIN" "429" "$(cat status)"
expect_grep "with a Retry-After" '^Retry-After: [0-9]' hdr
scan "$C2" -A guesser-7
expect_eq "the code is still unclaimed" "genuine null" "$(json verdict) $(json claimed)"
expect_eq "no claim row was written" "1" "$(ledger_sql l.db 'select count(*) from claims')"

# the network limit: 20 wrong PINs an hour from one network, on codes each under theirs
n=0
for i in 6 7 8 9 10; do
	C=$(code_at b.txt $i)
	for j in 1 2 3 4; do
		claim "$C" 0000000000 --interface 127.0.2.9 -A "net-$j"
		[ "$(cat status)" = 403 ] && n=$((n + 1))
	done
done
claim "$(code_at b.txt 12)" "$(pin b.txt.claim "$(serial_of 12)")" --interface 127.0.2.9
expect_eq "20 wrong PINs from one network, then that network is limited" "20 429" "$n $(cat status)"

# the page form (POST /c/CODE, a urlencoded form)
C3=$(code_at b.txt 3)
S3=$(serial_of 3)
curl -s -m 10 -o page.html -A form-phone "$URL/c/$C3"
expect_grep "a genuine page of a batch with PINs shows the claim form" 'Tôi đã mua sản phẩm này' page.html
expect_grep "with a numeric PIN field" 'inputmode="numeric"' page.html
curl -s -m 10 -o page.html -A form-phone "$URL/c/$(code_at nc.txt 1)"
if grep -q 'name="pin"' page.html; then not_ok "a --no-claim batch's page has no form"; else ok "a --no-claim batch's page has no form"; fi
code=$(curl -s -m 10 -o page.html -w '%{http_code}' -A form-phone --data-urlencode "pin=1234567890" \
	"$URL/c/$C3?lang=en")
expect_eq "the form with a wrong PIN: 403" 403 "$code"
expect_grep "saying so" 'Wrong PIN' page.html
code=$(curl -s -m 10 -o page.html -w '%{http_code}' -A form-phone \
	--data-urlencode "pin=$(pin b.txt.claim "$S3")" "$URL/c/$C3?lang=en")
expect_eq "the form with the right PIN: 201" 201 "$code"
expect_grep "and the claimer's note" 'You claimed this product on' page.html
curl -s -m 10 -o page.html --interface 127.0.1.2 -A other-phone "$URL/c/$C3?lang=en"
expect_grep "another buyer's page says already sold" 'Already sold' page.html
expect_grep "with the day" 'This product was sold on 20' page.html

# a buyer who claims on Wi-Fi and scans again on 4G: the cookie temd gave the browser makes
# the claim its own; a stranger's browser on another network sees it sold
C6=$(code_at b.txt 5)
curl -s -m 10 -o page.html -c jar -b jar --interface 127.0.3.1 -A wifi-phone "$URL/c/$C6"
code=$(curl -s -m 10 -o page.html -w '%{http_code}' -c jar -b jar --interface 127.0.3.1 \
	-A wifi-phone --data-urlencode "pin=$(pin b.txt.claim "$(serial_of 5)")" "$URL/c/$C6?lang=en")
expect_eq "a claim on Wi-Fi: 201" 201 "$code"
curl -s -m 10 -o page.html -c jar -b jar --interface 127.0.4.1 -A wifi-phone "$URL/c/$C6?lang=en"
expect_grep "the same browser on 4G sees its own claim" 'You claimed this product on' page.html
if grep -q 'Already sold' page.html; then not_ok "and not sold"; else ok "and not sold"; fi
curl -s -m 10 -o page.html --interface 127.0.6.1 -A stranger "$URL/c/$C6?lang=en"
expect_grep "a stranger on another network sees it sold" 'Already sold' page.html

# a busy stall: shoppers on four networks scanned the label, so the buyer's page warns of a
# copy; it asks for the PIN first, and the right PIN settles it
C7=$(code_at b.txt 7)
for n in 11 12 13 14; do
	curl -s -m 10 -o /dev/null --interface 127.0.$n.1 -A shopper "$URL/c/$C7"
done
curl -s -m 10 -o page.html -c jar7 -b jar7 --interface 127.0.15.1 -A stall-buyer "$URL/c/$C7?lang=en"
expect_grep "after four shoppers' networks, the buyer is warned" 'this label may be a copy' page.html
expect_grep "and asked to type the PIN before paying" 'Before you pay, scratch' page.html
expect_grep "temd logs the alert as a warning" "temd warning: alert: code $KEY-$(serial_of 7) scanned from" "$T/s.log"
code=$(curl -s -m 10 -o page.html -w '%{http_code}' -c jar7 -b jar7 --interface 127.0.15.1 \
	-A stall-buyer --data-urlencode "pin=$(pin b.txt.claim "$(serial_of 7)")" "$URL/c/$C7?lang=en")
expect_eq "the right PIN claims the warned code: 201" 201 "$code"
expect_grep "and tells the buyer it is theirs" 'You claimed this product on' page.html
curl -s -m 10 -o page.html --interface 127.0.11.1 -A shopper "$URL/c/$C7?lang=en"
expect_grep "a shopper scanning again sees it sold" 'Already sold' page.html

# the typed fallback on /
C4=$(code_at b.txt 4)
S4=$(serial_of 4)
P4=$(pin b.txt.claim "$S4")
curl -s -m 10 -o page.html "$URL/"
expect_grep "the home page asks for the label number and the PIN" 'name="id"' page.html
code=$(curl -s -m 10 -o page.html -w '%{http_code}' -A typed-phone --data-urlencode "id=$KEY-$S4" \
	--data-urlencode "pin=$P4" --data-urlencode "lang=en" "$URL/")
expect_eq "a right PIN for a short id shows the label is real" "200" "$code"
expect_grep "saying the label is real" 'this label is real' page.html
expect_grep "and offering to claim it" 'name="claim" value="1"' page.html
code=$(curl -s -m 10 -o page.html -w '%{http_code}' -A typed-phone --data-urlencode "id=$KEY-$S4" \
	--data-urlencode "pin=$(printf '%010d' $(((1$P4 - 10000000000 + 7) % 10000000000)))" "$URL/")
expect_eq "a wrong one says so (403)" 403 "$code"
expect_grep "in Vietnamese by default" 'Mã mua hàng không đúng' page.html
code=$(curl -s -m 10 -o page.html -w '%{http_code}' -A typed-phone --data-urlencode "id=$KEY-$S4" \
	--data-urlencode "pin=$P4" --data-urlencode "claim=1" "$URL/")
expect_eq "the same PIN claims it" 201 "$code"
scan "$C4" --interface 127.0.1.2 -A other-phone
expect_eq "and the code is then sold to others" sold "$(json verdict)"
code=$(curl -s -m 10 -o page.html -w '%{http_code}' -A typed-phone --data-urlencode "id=$KEY-$S4" \
	--data-urlencode "pin=$P4" --data-urlencode "lang=en" --interface 127.0.1.2 "$URL/")
expect_grep "a right PIN from another buyer shows it sold" 'Already sold' page.html

# kill -9 right after a 201: the claim was durable
C5=$(code_at b.txt 11)
claim "$C5" "$(pin b.txt.claim "$(serial_of 11)")" $ME
expect_eq "a claim is acknowledged" 201 "$(cat status)"
kill -9 "$TEMD_PID"
wait "$TEMD_PID" 2>/dev/null
start_temd s2 --db l.db --trust trust.list --authority a.pub ||
	echo "# temd did not restart: $(cat "$T/s2.log")"
scan "$C5" $OTHER
expect_eq "after kill -9 right after the 201, the code is sold" sold "$(json verdict)"
scan "$C1" $OTHER
expect_eq "and the earlier claims too" sold "$(json verdict)"
stop_temd TERM
start_temd s3 --db l.db --trust trust.list --authority a.pub ||
	echo "# temd did not restart: $(cat "$T/s3.log")"
scan "$C1" $ME
expect_eq "after a clean restart, the claimer is still the claimer" "true" "$(json claimed.yours)"
stop_temd TERM

# a copy of the ledger alone holds no claim key
K64=$(sed -n 's/^claim-key: //p' b.txt.claim)
KHEX=$(echo "$K64" | base64 -d | od -An -tx1 | tr -d ' \n')
# the ledger's bytes: the file and its WAL, or on PostgreSQL a dump of every table (bytea in hex)
if [ "$TEM_TEST_DB" = pg ]; then
	ledger_dump l.db >l.bytes
	expect_grep "the dump holds the ledger's batches" '^INSERT INTO batches' l.bytes
	ledger_hex() { tr -d '\n' <l.bytes; }
else
	cat l.db l.db-wal >l.bytes 2>/dev/null
	ledger_hex() { od -An -tx1 -v l.bytes | tr -d ' \n'; }
fi
if grep -a -q -F "$K64" l.bytes; then
	not_ok "the ledger holds no claim key in base64"
else
	ok "the ledger holds no claim key in base64"
fi
if ledger_hex | grep -q "$KHEX"; then
	not_ok "nor in raw bytes"
else
	ok "nor in raw bytes"
fi
expect_eq "it holds one sealed key per batch with PINs" "1 72" \
	"$(ledger_sql l.db "select count(*) || ' ' || length(claim_key) from batches where claim_key is not null" \
		"select count(*)::text || ' ' || max(length(claim_key))::text from batches where claim_key is not null")"

# a secret file others can read is refused
chmod 644 l.db.secret
run_expect 1 "temd refuses a secret file others can read" "$TEMD" --listen 127.0.0.1:0 \
	--db l.db --trust trust.list --authority a.pub
expect_grep "and says why" 'l.db.secret' "$T/err"
done_testing
