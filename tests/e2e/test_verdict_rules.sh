#!/bin/sh
# The verdict rules tem and temd share (label/verdict.h), end to end: a key is trusted only from
# its valid-from day (tem verify, temd scans and batch registration alike); codes re-signed
# with another expiry under already registered serials are not genuine; tem verify and temd
# agree on a key revoked today, and on one revoked tomorrow.
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
cd "$T" || exit 1
TODAY=$(date -u +%Y-%m-%d)
TOMORROW=$(date -u -d tomorrow +%Y-%m-%d)
# the clock is moved with faketime (under make check, ASan must accept not being loaded first)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
for k in a p f r s; do $TEM keygen -p $k.pub -s $k.key -W >/dev/null; done
$TEM trust init -o trust.list --authority "Sở Khoa học và Công nghệ Cà Mau" >/dev/null
$TEM trust add trust.list -p p.pub --name "HTX Năm Căn" >/dev/null
$TEM trust add trust.list -p f.pub --name "Trại tương lai" --from 2099-01-01 >/dev/null
$TEM trust add trust.list -p r.pub --name "Trại giống Đầm Dơi" >/dev/null
$TEM trust add trust.list -p s.pub --name "Trại Cái Nước" >/dev/null
$TEM trust sign trust.list -s a.key >/dev/null
issue() { # KEY N OUT [ARGS]
	k=$1 n=$2 o=$3
	shift 3
	# no claim PINs: register() sends the header alone (test_claim.sh sends claim keys)
	$TEM issue -s "$k" -n "$n" --product "Cua Cà Mau" --producer "HTX" -o "$o" -q --no-claim "$@"
}
code() { code_at "$@"; } # FILE N: the N-th code of a batch
issue p.key 5 p1.txt --valid-days 30
issue f.key 3 f1.txt --expires 2099-06-30
issue r.key 3 r1.txt --valid-days 30
issue s.key 3 s1.txt --valid-days 30
# register FILE: POSTs the batch's header; the answer in $T/out, the status in $T/status
register() {
	sed '/^$/q' "$1" | jq -Rs '{header: .}' |
		curl -s -m 10 -o "$T/out" -w '%{http_code}' -H 'Content-Type: application/json' \
			--data-binary @- "$URL/api/v1/batches" >"$T/status"
}
counted() { ledger_sql l.db "select coalesce(sum(scans), 0) from code_scans where key_id = '$(sed -n 's/^key-id: //p' "$1")'"; }

start_temd v --db l.db --trust trust.list --authority a.pub || echo "# temd did not start: $(cat "$T/v.log")"
for b in p1 r1 s1; do
	register $b.txt
	expect_eq "batch $b registers" "201" "$(cat "$T/status")"
done

# (a) a key trusted only from 2099-01-01: not trusted today, anywhere
F1=$(code f1.txt 1)
run_expect 1 "tem verify: a key before its valid-from day is not genuine" \
	$TEM verify -t trust.list -P a.pub "$F1"
expect_grep "it is unknown-key, with the reason" \
	'^unknown-key .*the producer.s key is trusted only from 2099-01-01$' "$T/out"
run_expect 1 "tem inspect agrees" $TEM inspect -t trust.list -P a.pub "$F1"
expect_grep "inspect gives the reason" '^verdict: *unknown-key .*trusted only from 2099-01-01' "$T/out"
run_expect 1 "the day before its valid-from day: still not genuine" \
	faketime "2098-12-31 12:00:00" $TEM verify -t trust.list -P a.pub "$F1"
check "from its valid-from day: genuine" faketime "2099-01-01 12:00:00" $TEM verify -t trust.list -P a.pub "$F1"
scan "$F1"
expect_eq "temd: a scan of its code is unknown-key" "200 unknown-key" "$(cat "$T/status") $(json verdict)"
expect_eq "with the reason" "the producer's key is trusted only from 2099-01-01" "$(json reason)"
expect_eq "and it is not counted" "0" "$(counted f1.txt)"
register f1.txt
expect_eq "temd refuses to register its batch" "403 unknown-key" "$(cat "$T/status") $(json error.code)"
expect_grep "saying from when the key is trusted" 'trusted only from 2099-01-01' "$T/out"
run_expect 1 "tem register says no too" $TEM register f1.txt --server "$URL"
scan "$(code p1.txt 1)"
expect_eq "twin: a code of a key trusted today is genuine" "genuine" "$(json verdict)"

# (b) the .serial counter put back: the same serials re-signed with another expiry
rm -f p.key.serial # p1.txt was the key's first batch: serials given again from the start
issue p.key 5 p2.txt --valid-days 10 --first-serial 1
serial() { $TEM inspect "$(code "$1" "$2")" | sed -n 's/^serial: *//p'; }
expect_eq "the second batch re-uses the first one's serials" "2 2" "$(serial p1.txt 2) $(serial p2.txt 2)"
if [ "$(sed -n 's/^expires: //p' p1.txt)" != "$(sed -n 's/^expires: //p' p2.txt)" ]; then
	ok "with another last valid day"
else
	not_ok "with another last valid day" "both expire $(sed -n 's/^expires: //p' p1.txt)"
fi
check "offline, its code verifies (tem verify knows no registration)" $TEM verify -p p.pub "$(code p2.txt 2)"
register p2.txt
expect_eq "its registration is refused: 409" "409 overlap" "$(cat "$T/status") $(json error.code)"
scan "$(code p2.txt 2)"
expect_eq "temd: its code is not genuine but unregistered" "unregistered" "$(json verdict)"
expect_grep "because its last day is not its batch's" 'not part of that batch as issued' "$T/out"
scan "$(code p1.txt 2)"
expect_eq "twin: the registered batch's code of that serial is genuine" "genuine" "$(json verdict)"

# (c) r revoked today, s revoked tomorrow, both after their batches registered today
$TEM trust revoke trust.list "$(sed -n 's/^key-id: //p' r1.txt)" --date "$TODAY" >/dev/null 2>&1
$TEM trust revoke trust.list "$(sed -n 's/^key-id: //p' s1.txt)" --date "$TOMORROW" >/dev/null 2>&1
$TEM trust sign trust.list -s a.key >/dev/null
kill -HUP "$TEMD_PID"
i=0
while [ "$(grep -c 'in force' "$T/v.log")" -lt 2 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
expect_eq "temd reloads the revocations" "2" "$(grep -c 'in force' "$T/v.log")"
R1=$(code r1.txt 1)
run_expect 1 "tem verify: a key revoked today is revoked" $TEM verify -t trust.list -P a.pub "$R1"
expect_grep "revoked, with its day" "^revoked .*revoked on $TODAY\$" "$T/out"
scan "$R1"
expect_eq "temd agrees: revoked" "revoked" "$(json verdict)"
expect_eq "with the same reason" "the producer's key was revoked on $TODAY" "$(json reason)"
S1=$(code s1.txt 1)
check "tem verify: a key revoked tomorrow is still genuine today" $TEM verify -t trust.list -P a.pub "$S1"
scan "$S1"
expect_eq "temd agrees: genuine" "genuine" "$(json verdict)"
register r1.txt
expect_eq "a key revoked today registers nothing" "403 revoked" "$(cat "$T/status") $(json error.code)"
stop_temd KILL
done_testing
