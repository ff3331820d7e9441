#!/bin/sh
# Typed alerts on a real temd: a staged duplicate (one code scanned from several loopback
# networks), a sold-then-scanned code (claimed, then scanned from another network), a code of an
# unregistered batch, claim-guessing (wrong PINs up to the code's daily limit) and an invalid
# burst (25 forged codes naming the trusted key) each appear in table alerts with their type and
# counts, are logged, and are counted in batch_stats; day_stats adds up to the scans and claims.
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
cd "$T" || exit 1
make_authority "HTX Cua Năm Căn"
$TEM issue -s p.key -n 5 --product "Cua gạch" -o b.txt -q
$TEM issue -s p.key -n 2 --product "Cua gạch" -o u.txt --no-claim -q
$TEM issue -s p.key -n 25 --product "Cua gạch" -o f.txt --no-claim -q
FS=$(sed -n 's/^first-serial: //p' b.txt)
KEY=$(sed -n 's/^key-id: //p' b.txt)

start_temd s --db l.db --trust trust.list --authority a.pub --duplicate-threshold 2 ||
	echo "# temd did not start: $(cat "$T/s.log")"
check "the batch registers" $TEM register b.txt --server "$URL" -q

# claim CODE PIN [CURL ARGS...]: POST /api/v1/claims; the status in status
claim() {
	_c=$1
	_p=$2
	shift 2
	curl -s -m 10 -o out -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary "{\"code\":\"$_c\",\"pin\":\"$_p\"}" "$@" "$URL/api/v1/claims" >status
}

# a duplicate: code 1 from four networks (threshold 2), then once more
C1=$(code_at b.txt 1)
for n in 1 2 3 4 4; do scan "$C1" --interface "127.0.$n.1"; done
expect_eq "code 1 from four networks is a duplicate" "duplicate 4" "$(json verdict) $(json clients)"

# sold-then-scanned: code 2 claimed on one network, scanned on another
C2=$(code_at b.txt 2)
claim "$C2" "$(pin b.txt.claim $((FS + 1)))" --interface 127.0.1.1
expect_eq "code 2 is claimed" 201 "$(cat status)"
scan "$C2" --interface 127.0.5.1
expect_eq "another network's scan of it is sold" sold "$(json verdict)"

# unregistered: a valid code of a batch never registered
scan "$(code_at u.txt 1)" --interface 127.0.6.1
expect_eq "a code of an unregistered batch" unregistered "$(json verdict)"

# claim-guessing: five wrong PINs on code 3 (the daily limit), then a refused sixth
C3=$(code_at b.txt 3)
P3=$(pin b.txt.claim $((FS + 2)))
W3=$(printf '%010d' $(((1$P3 - 10000000000 + 1) % 10000000000)))
got=""
for i in 1 2 3 4 5 6; do
	claim "$C3" "$W3" --interface "127.0.$((10 + i)).1"
	got="$got $(cat status)"
done
expect_eq "wrong PINs up to the limit, then refused" " 403 403 403 403 403 429" "$got"

# an invalid burst: 25 forged codes naming the trusted key (one signature character changed)
L=$(header_lines f.txt)
got=""
for i in $(seq 1 25); do
	scan "$(change_char $((L + i)) 101 f.txt | sed -n "$((L + i))p")" --interface 127.0.7.1
	got="$got$(json verdict | cut -c1)"
done
expect_eq "25 forged codes are invalid" "iiiiiiiiiiiiiiiiiiiiiiiii" "$got"

# the HTTP side's alert job is queued without waiting: a stop runs every queued job
stop_temd TERM
expect_eq "temd stops cleanly" 0 "$TEMD_STATUS"

q() { ledger_sql l.db "$1"; }
expect_eq "the duplicate: events are the code's scans, clients its networks" "1|5|4|open" \
	"$(q "SELECT serial, events, clients, status FROM alerts WHERE type = 'duplicate'")"
expect_eq "the sold code scanned on another network" "2|1|open" \
	"$(q "SELECT serial - $FS + 1, events, status FROM alerts WHERE type = 'sold-then-scanned'")"
expect_eq "the unregistered code" "$(sed -n 's/^first-serial: //p' u.txt)|1" \
	"$(q "SELECT serial, events FROM alerts WHERE type = 'unregistered'")"
expect_eq "claim-guessing counts the wrong PINs of the day" "3|5" \
	"$(q "SELECT serial - $FS + 1, events FROM alerts WHERE type = 'claim-guessing'")"
expect_eq "the invalid burst is an alert on the key: 20 forged codes" "$KEY|0|20|open" \
	"$(q "SELECT key_id, serial, events, status FROM alerts WHERE type = 'invalid-burst'")"
expect_eq "one alert of each type, nothing more" 5 "$(q 'SELECT count(*) FROM alerts')"
expect_grep "the invalid burst is logged" "alert [0-9]*: invalid-burst on $KEY-0 (20 events)" s.log
expect_grep "claim-guessing is logged" "alert [0-9]*: claim-guessing on $KEY-$((FS + 2))" s.log
expect_grep "the sold scan is logged" "alert [0-9]*: sold-then-scanned on $KEY-$((FS + 1))" s.log
expect_eq "batch_stats: 6 scans of 2 codes, 1 claimed, 3 alerted (codes 1, 2, 3)" "6|2|1|3" \
	"$(q 'SELECT scans, codes, claimed, alerted FROM batch_stats')"
expect_eq "day_stats adds up to every scan and claim" "$(q 'SELECT sum(scans) FROM code_scans')|1" \
	"$(q 'SELECT sum(scans), sum(claims) FROM day_stats')"
expect_eq "day_stats by verdict" "1|2|2|1|1" \
	"$(q 'SELECT sum(genuine), sum(seen), sum(duplicate), sum(sold), sum(unregistered) FROM day_stats')"
done_testing
