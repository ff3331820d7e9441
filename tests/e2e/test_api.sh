#!/bin/sh
# The regulator API on a real temd (docs/api.md), tokens from `temd token create`: every route
# answers 200 with its shape; a producer token sees nothing of another producer; CSV has its
# BOM, parses with Python's csv module and has the rows JSON reports (the scans CSV lists each
# client's first scan of a code, its client_scans column adds up to /stats scans: repeats add
# to a counter, not a row); paging /scans while scans keep arriving
# visits every row once; each bad input is a 400 naming its parameter; PATCH moves an alert
# through open, investigating and closed with every change kept.
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
cd "$T" || exit 1
make_authority "HTX Cua Năm Căn" || exit 1
$TEM keygen -p q.pub -s q.key -W >/dev/null
$TEM trust add trust.list -p q.pub --name "Other, \"Co\"" >/dev/null
$TEM trust sign trust.list -s a.key >/dev/null
$TEM issue -s p.key -n 6 --product "Cua gạch" -o b.txt -q
$TEM issue -s q.key -n 3 --product "Tôm" -o c.txt --no-claim -q
KEY=$(sed -n 's/^key-id: //p' b.txt)
QKEY=$(sed -n 's/^key-id: //p' c.txt)
FS=$(sed -n 's/^first-serial: //p' b.txt)

start_temd s --db l.db --trust trust.list --authority a.pub --duplicate-threshold 2 ||
	echo "# temd did not start: $(cat "$T/s.log")"
check "batch of the producer registers" $TEM register b.txt --server "$URL" -q
check "batch of the other producer registers" $TEM register c.txt --server "$URL" -q
check "a regulator's token" $TEMD token create --db l.db --name "Sở KH&CN"
TOK=$(cat "$T/out")
check "a producer's token" $TEMD token create --db l.db --name "HTX" --producer "$KEY"
PTOK=$(cat "$T/out")

# scans: code 1 from four networks (a duplicate), code 2 once, code 3 three times by one client
# keeping its cookie (two repeats: counted, no rows), the other producer's code 1: 9 scans,
# 7 first scans
C1=$(code_at b.txt 1)
for n in 1 2 3 4; do scan "$C1" --interface "127.0.$n.1"; done
expect_eq "code 1 is a duplicate" duplicate "$(json verdict)"
scan "$(code_at b.txt 2)"
C3=$(code_at b.txt 3)
for n in 1 2 3; do scan "$C3" -b "$T/jar" -c "$T/jar"; done
scan "$(code_at c.txt 1)" --interface 127.0.9.1

# get PATH [TOKEN]: GET $URL/api/v1/PATH; the body in out, the status printed
get() {
	curl -s -m 10 -o "$T/out" -w '%{http_code}' -H "Authorization: Bearer ${2:-$TOK}" \
		"$URL/api/v1/$1"
}
jqo() { jq -r "$1" "$T/out"; }

expect_eq "no token: 401" 401 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/v1/scans")"

# --- every route and its shape ---
expect_eq "GET /batches: 200" 200 "$(get batches)"
expect_eq "two batches, with their counts" "2 $KEY 6 8 3 1 true" \
	"$(jqo '"\(.items | length) \(.items[0].key_id) \(.items[0].codes) \(.items[0].scans) \(.items[0].codes_scanned) \(.items[0].codes_alerted) \(.items[0].has_pins)"')"
expect_eq "a batch's fields" "id,key_id,producer,product,batch_id,first_serial,last_serial,codes,issued,registered,last_valid_day,has_pins,scans,codes_scanned,codes_claimed,codes_alerted" \
	"$(jqo '.items[0] | keys_unsorted | join(",")')"
expect_eq "no next page" null "$(jqo .next_cursor)"

expect_eq "GET /codes/{code}: 200" 200 "$(get "codes/$C1")"
expect_eq "the code: verdict for a new network, counts, signature checked" \
	"duplicate 4 4 true $KEY-$FS" \
	"$(jqo '"\(.verdict) \(.scans) \(.clients) \(.signature_checked) \(.short_id)"')"
expect_eq "its history and alert" "4 duplicate open" \
	"$(jqo '"\(.history.items | length) \(.alerts[0].type) \(.alerts[0].status)"')"
expect_eq "GET /codes/{short id}: 200" 200 "$(get "codes/$KEY-$((FS + 1))")"
expect_eq "the short id: not signature-checked, seen by a new network" "false seen 1" \
	"$(jqo '"\(.signature_checked) \(.verdict) \(.scans)"')"
expect_eq "history pages with a cursor" 200 "$(get "codes/$C1?limit=3")"
HC=$(jqo .history.next_cursor)
expect_eq "the second page" "200 1 null" \
	"$(get "codes/$C1?limit=3&cursor=$HC") $(jqo '.history.items | length') $(jqo .history.next_cursor)"
expect_eq "an unknown key's code: 404" 404 "$(get "codes/0123456789ABCDEF-5")"
expect_eq "a client's repeats: one history row with its count and latest scan" "200 3 1 3 true" \
	"$(get "codes/$C3") $(jqo '"\(.scans) \(.history.items | length) \(.history.items[0].client_scans) \(.history.items[0].client_last_at >= .history.items[0].at)"')"

expect_eq "GET /scans: 200" 200 "$(get scans)"
expect_eq "every first scan, oldest first, with its fields" "7 id,at,code,key_id,serial,client,verdict,client_scans,client_last_at genuine" \
	"$(jqo '"\(.items | length) \(.items[0] | keys_unsorted | join(",")) \(.items[0].verdict)"')"
expect_eq "their client_scans add up to every scan" 9 "$(jqo '[.items[].client_scans] | add')"

expect_eq "GET /alerts: 200" 200 "$(get alerts)"
expect_eq "the duplicate alert" "duplicate $KEY-$FS 4 open" \
	"$(jqo '.items[] | select(.type == "duplicate") | "\(.type) \(.code) \(.clients) \(.status)"')"
AID=$(jqo '.items[] | select(.type == "duplicate") | .id')
expect_eq "filters: type and status" 200 "$(get "alerts?type=duplicate&status=open&since=2020-01-01")"
expect_eq "keep it" 1 "$(jqo '.items | length')"
expect_eq "GET /alerts/{id}: 200 with its changes" "200 0" "$(get "alerts/$AID") $(jqo '.changes | length')"

expect_eq "GET /stats: 200" 200 "$(get stats)"
expect_eq "31 days by day, totals" "31 9 1" \
	"$(jqo '"\(.rows | length) \(.totals.scans) \(.totals.verdicts.duplicate)"')"
expect_eq "by producer" "200 2" "$(get 'stats?by=producer') $(jqo '.rows | length')"
expect_eq "by batch" "200 2" "$(get 'stats?by=batch') $(jqo '.rows | length')"

expect_eq "GET /producers: 200" 200 "$(get producers)"
expect_eq "both producers with totals" "2 6 8" \
	"$(jqo '"\(.items | length) \(.items[] | select(.key_id == "'"$KEY"'") | "\(.codes) \(.scans)")"')"

# --- a producer's scope ---
expect_eq "the producer sees its batch only" "200 1 $KEY" \
	"$(get batches "$PTOK") $(jqo '.items | length') $(jqo '.items[0].key_id')"
expect_eq "asking for another producer: an empty list" "200 0" \
	"$(get "scans?producer=$QKEY" "$PTOK") $(jqo '.items | length')"
expect_eq "its own scans only" "200 6" "$(get scans "$PTOK") $(jqo '.items | length')"
expect_eq "another producer's code: 404" 404 "$(get "codes/$(code_at c.txt 1)" "$PTOK")"
expect_eq "its producers list is itself" "200 1" "$(get producers "$PTOK") $(jqo '.items | length')"
expect_eq "its statistics are its own" "200 8" "$(get stats "$PTOK") $(jqo .totals.scans)"

# --- CSV ---
# fetch NAME PATH: the CSV answer of PATH in NAME.csv (its headers in NAME.hdr)
fetch() {
	curl -s -m 10 -D "$T/$1.hdr" -o "$T/$1.csv" -H "Authorization: Bearer $TOK" "$URL/api/v1/$2"
}
fetch scans 'scans?format=csv'
fetch batches 'batches?format=csv'
fetch alerts 'alerts?format=csv'
fetch stats 'stats?format=csv'
fetch producers 'producers?format=csv'
fetch limited 'scans?format=csv&limit=3'
curl -s -m 10 -o accept.csv -H 'Accept: text/csv' -H "Authorization: Bearer $TOK" "$URL/api/v1/scans"
# the data rows of each CSV, parsed with Python's csv after checking the BOM, the CRLFs and
# that every row has the header's columns ("bad" when not)
python3 - scans batches alerts stats producers limited accept >rows <<'PY'
import csv, io, sys
for name in sys.argv[1:]:
    raw = open(name + ".csv", "rb").read()
    text = raw[3:].decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    good = (raw.startswith(b"\xef\xbb\xbf") and text.endswith("\r\n")
            and all(len(r) == len(rows[0]) for r in rows))
    print(name, len(rows) - 1 if good else "bad")
    if good and "client_scans" in rows[0]:
        i = rows[0].index("client_scans")
        print(name + "_sum", sum(int(r[i]) for r in rows[1:]))
PY
rows() { awk -v n="$1" '$1 == n { print $2 }' rows; }
expect_eq "scans CSV: a row per client's first scan of a code" 7 "$(rows scans)"
expect_eq "its client_scans column adds up to /stats scans" \
	"$(get stats >/dev/null && jqo .totals.scans)" "$(rows scans_sum)"
expect_grep "CSV content type" "Content-Type: text/csv; charset=utf-8" "$T/scans.hdr"
expect_grep "CSV as an attachment" "Content-Disposition: attachment; filename=\"tem-scans-" \
	"$T/scans.hdr"
expect_eq "Accept: text/csv is CSV too" 7 "$(rows accept)"
expect_eq "batches CSV (a name with a comma and quotes)" 2 "$(rows batches)"
expect_eq "alerts CSV" "$(get alerts >/dev/null && jqo '.items | length')" "$(rows alerts)"
expect_eq "stats CSV: a row a day" 31 "$(rows stats)"
expect_eq "producers CSV" 2 "$(rows producers)"
expect_eq "a CSV limit keeps that many rows" 3 "$(rows limited)"

# --- pagination while scans arrive ---
# every id before the walk
get 'scans?limit=1000' >/dev/null
jqo '.items[].id' >before
C2=$(code_at b.txt 2)
(for i in $(seq 1 20); do # from 20 networks: 20 first scans, 20 rows
	curl -s -o /dev/null -H 'Content-Type: application/json' --data-binary "{\"code\":\"$C2\"}" \
		--interface "127.0.$((100 + i)).1" "$URL/api/v1/scans"
done) &
BG=$!
: >walked
cur=""
pages=0
while :; do
	get "scans?limit=3${cur:+&cursor=$cur}" >status
	[ "$(cat status)" = 200 ] || break
	jqo '.items[].id' >>walked
	cur=$(jqo .next_cursor)
	pages=$((pages + 1))
	[ "$cur" = null ] && break
done
wait "$BG"
expect_eq "every page answered" 200 "$(cat status)"
expect_eq "no row twice" "" "$(sort walked | uniq -d)"
sort before >b.s
sort walked >w.s
expect_eq "every row there before the walk, visited" "" "$(comm -23 b.s w.s)"
get 'scans?limit=1000' >/dev/null
jqo '.items[].id' | sort >all.s
expect_eq "and only rows that exist" "" "$(comm -13 all.s w.s)"
expect_eq "the 20 scans made meanwhile are there" "$(($(wc -l <before) + 20))" "$(wc -l <all.s | tr -d ' ')"
expect_eq "in order" "$(cat walked)" "$(sort -n walked)"

# --- bad input: 400 naming the parameter ---
# bad PATH PARAM: GET PATH answers 400 bad-parameter whose message begins with PARAM
bad() {
	_st=$(get "$1")
	_m=$(jqo .error.message)
	case "$_m" in
	"$2:"*) expect_eq "400 naming $2: $1" "400 bad-parameter" "$_st $(jqo .error.code)" ;;
	*) expect_eq "400 naming $2: $1" "400 $2: ..." "$_st $_m" ;;
	esac
}
CUR=$(get 'scans?limit=1' >/dev/null && jqo .next_cursor)
bad "scans?from=yesterday" from
bad "scans?to=2026-02-30" to
bad "scans?limit=-1" limit
bad "scans?limit=0" limit
bad "scans?limit=1001" limit
bad "scans?limit=99999999999999999999999" limit
bad "batches?producer=nobody" producer
bad "alerts?type=copy" type
bad "alerts?status=done" status
bad "alerts?since=%27%20OR%201%3D1--" since
bad "stats?by=week" by
bad "stats?from=2020-01-01&to=2026-01-01" from
bad "producers?format=xml" format
bad "scans?color=red" color
bad "scans?limit=5&limit=6" limit
bad "alerts?cursor=$CUR" cursor
bad "scans?producer=$KEY&cursor=$CUR" cursor
bad "scans?cursor=AAAA$CUR" cursor
bad "scans?from=%3Cscript%3Ealert(1)%3C%2Fscript%3E" from
bad "scans?producer=%FF%FE" producer
bad "scans?to=$(printf 'x%.0s' $(seq 201))" to
bad "scans?token=$TOK" token
bad "codes/not-a-code" code
bad "alerts/abc" id
expect_eq "no token in temd's log" 0 "$(grep -c -F -e "${TOK#tem_}" s.log)"

# --- the workflow ---
# patch ID BODY [TOKEN]: PATCH an alert; the body in out, the status printed
patch() {
	curl -s -m 10 -o "$T/out" -w '%{http_code}' -X PATCH -H "Authorization: Bearer ${3:-$TOK}" \
		-H 'Content-Type: application/json' --data-binary "$2" "$URL/api/v1/alerts/$1"
}
expect_eq "investigating" "200 investigating Sở KH&CN" \
	"$(patch "$AID" '{"status":"investigating","note":"đang xem"}') $(jqo .status) $(jqo .updated_by)"
expect_eq "closing needs a reason" 422 "$(patch "$AID" '{"status":"closed"}')"
expect_eq "a reason only to close" 422 "$(patch "$AID" '{"status":"open","reason":"other"}')"
expect_eq "an unknown status" 422 "$(patch "$AID" '{"status":"done"}')"
expect_eq "a note too long" 422 \
	"$(patch "$AID" "{\"status\":\"investigating\",\"note\":\"$(printf 'x%.0s' $(seq 1001))\"}")"
expect_eq "closed as buyer error" "200 closed buyer-error" \
	"$(patch "$AID" '{"status":"closed","reason":"buyer-error","note":"một người mua, hai mạng"}') $(jqo .status) $(jqo .reason)"
expect_eq "every change kept" "2 investigating closed đang xem" \
	"$(jqo '"\(.changes | length) \(.changes[0].status) \(.changes[1].status) \(.changes[0].note)"')"
expect_eq "and reopened" "200 open null" "$(patch "$AID" '{"status":"open"}') $(jqo .status) $(jqo .reason)"
expect_eq "no such alert: 404" 404 "$(patch 999999 '{"status":"open"}')"
expect_eq "not JSON: 415" 415 "$(curl -s -o /dev/null -w '%{http_code}' -X PATCH \
	-H "Authorization: Bearer $TOK" --data-binary 'status=open' "$URL/api/v1/alerts/$AID")"
QAID=$(get "alerts?producer=$QKEY" >/dev/null && jqo '.items[0].id // empty')
if [ -n "$QAID" ]; then
	expect_eq "the producer cannot see another's alert" 404 "$(get "alerts/$QAID" "$PTOK")"
	expect_eq "nor change it" 404 "$(patch "$QAID" '{"status":"investigating"}' "$PTOK")"
fi
expect_grep "the change is logged with the token's name" 'alert [0-9]* set closed by Sở KH&CN' s.log

stop_temd TERM
expect_eq "temd stops cleanly" 0 "$TEMD_STATUS"
done_testing
