#!/bin/sh
# Every acknowledged scan survives kill -9: while four clients post scans of distinct codes,
# temd is killed; after a restart, every scan that got a 2xx answer is in the ledger exactly
# once. Five rounds on the same ledger file. Then clients that hang up mid-commit, and SIGTERM;
# then a ledger that cannot grow (as on a full disk).
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
cd "$T" || exit 1
ROUNDS=5
PER=60 # codes a client a round
$TEM keygen -p a.pub -s a.key -W >/dev/null
$TEM keygen -p p.pub -s p.key -W >/dev/null
$TEM trust init -o trust.list --authority "Sở KH&CN Cà Mau" >/dev/null
$TEM trust add trust.list -p p.pub --name "HTX Năm Căn" >/dev/null
$TEM trust sign trust.list -s a.key >/dev/null
$TEM issue -s p.key -n $((ROUNDS * 4 * PER)) --product "Cua Cà Mau" --url http://127.0.0.1:8080 \
	-o b.txt -q
tail -n +13 b.txt >codes.txt
KEY=$(sed -n 's/^key-id: //p' b.txt)
start_temd d --db l.db --trust trust.list --authority a.pub
$TEM register b.txt --server "$URL" -q

# client N FIRST: posts PER codes from line FIRST on; the short id of each 2xx goes to acked.N
client() {
	sed -n "$2,$(($2 + PER - 1))p" codes.txt | while read -r c; do
		s=$(curl -s -m 5 -o "$T/ans.$1" -w '%{http_code}' -H 'Content-Type: application/json' \
			-A "client-$1" --data-binary "{\"code\":\"$c\"}" "$URL/api/v1/scans")
		case $s in 2*) jq -r .short_id "$T/ans.$1" >>"$T/acked.$1" ;; esac
	done
}

: >acked.all
r=0
while [ $r -lt $ROUNDS ]; do
	rm -f acked.1 acked.2 acked.3 acked.4
	for n in 1 2 3 4; do
		client $n $((r * 4 * PER + (n - 1) * PER + 1)) &
	done
	sleep 0.$((3 + r))
	kill -9 "$TEMD_PID"
	wait
	cat acked.1 acked.2 acked.3 acked.4 2>/dev/null | sort >acked.round
	n=$(wc -l <acked.round)
	cat acked.round >>acked.all
	start_temd d --db l.db --trust trust.list --authority a.pub
	sqlite3 l.db "select key_id || '-' || serial from scans" | sort >ledger.txt
	missing=$(sort acked.all | comm -23 - ledger.txt | wc -l)
	if [ "$n" -gt 0 ] && [ "$missing" -eq 0 ]; then
		ok "round $((r + 1)): kill -9 under load, all $n acknowledged scans survive"
	else
		not_ok "round $((r + 1)): kill -9 under load, all acknowledged scans survive" \
			"acknowledged: $n, missing from the ledger: $missing"
	fi
	r=$((r + 1))
done
expect_eq "each scan is in the ledger once" "0" "$(uniq -d ledger.txt | wc -l)"
expect_eq "the per-code counts agree with the scan rows" "0" \
	"$(sqlite3 l.db "select count(*) from codes c where scans != (select count(*) from scans s where s.key_id = c.key_id and s.serial = c.serial)")"
FIRST=$(head -n 1 acked.all)
scan "$(sed -n "$(( ${FIRST#"$KEY-"} ))p" codes.txt)" -A client-x
expect_eq "after the restarts an acknowledged code counts its earlier scan" "2 seen" "$(json scans) $(json verdict)"

# Clients that hang up while their scan is being committed: the commit still lands, and
# SIGTERM still drains and exits (a suspended request whose client has gone must not hold it).
r=0
gone=0
while [ $r -lt 25 ]; do
	cpids=""
	for n in 1 2 3 4 5 6 7 8; do
		curl -s -o /dev/null -m "0.00$((n % 4 + 2))" -H 'Content-Type: application/json' \
			-A "gone-$n" --data-binary "{\"code\":\"$(sed -n "$((r * 8 + n))p" codes.txt)\"}" \
			"$URL/api/v1/scans" &
		cpids="$cpids $!"
	done
	for p in $cpids; do
		wait "$p" || gone=$((gone + 1)) # curl 28: it gave up before the answer
	done
	r=$((r + 1))
done
if [ $gone -gt 0 ]; then
	ok "$gone of 200 clients hung up before their answer"
else
	not_ok "some clients hung up before their answer" "all 200 were answered in 2 to 5 ms"
fi
stop_temd TERM
expect_eq "temd stops cleanly after clients hung up mid-commit" "0" "$TEMD_STATUS"

# A ledger that cannot grow, as on a full disk (a file size limit makes temd's writes fail
# with EFBIG): scans are answered 503 and not counted, temd stays up and says so on /healthz
# and /metrics, logs the cause without flooding, and after a restart without the limit every
# acknowledged scan is in the ledger, and no other.
printf '#!/bin/sh\ntrap "" XFSZ\nulimit -f 1200\nexec "%s" "$@"\n' "$TEMD" >limited.sh
chmod +x limited.sh
REAL_TEMD=$TEMD
TEMD=$T/limited.sh
start_temd f --db f.db --trust trust.list --authority a.pub
TEMD=$REAL_TEMD
$TEM register b.txt --server "$URL" -q
: >acked.f
n503=0
i=1
while [ $i -le 600 ] && [ $n503 -lt 5 ]; do
	scan "$(sed -n "${i}p" codes.txt)"
	case $(cat "$T/status") in
	200) jq -r .short_id "$T/out" >>acked.f ;;
	503) n503=$((n503 + 1)) && cp "$T/out" first503.json ;;
	esac
	i=$((i + 1))
done
nacked=$(wc -l <acked.f)
if [ "$nacked" -gt 0 ] && [ $n503 -eq 5 ]; then
	ok "a ledger that cannot grow: $nacked scans acknowledged, then 503"
else
	not_ok "a ledger that cannot grow: scans acknowledged, then 503" "acked $nacked, 503: $n503"
fi
expect_eq "the 503 says why" "ledger-unavailable" "$(jq -r .error.code first503.json)"
expect_eq "healthz says the ledger is failing" "503 ledger-failing" \
	"$(curl -s -m 5 -o "$T/out" -w '%{http_code}' "$URL/healthz") $(json status)"
curl -s -m 5 "$URL/metrics" >metrics.txt
expect_grep "metrics say so" '^temd_ledger_failing 1$' "$T/metrics.txt"
expect_grep "the log says what failed" 'transaction failed: disk I/O error while writing' "$T/f.log"
expect_eq "and does not repeat it for every failed group" "1" "$(grep -c 'transaction failed' "$T/f.log")"
stop_temd TERM
expect_eq "temd still stops on SIGTERM" "0" "$TEMD_STATUS"
start_temd f2 --db f.db --trust trust.list --authority a.pub
expect_eq "after a restart, the acknowledged scans are in the ledger, no more" "$nacked" \
	"$(sqlite3 f.db 'select count(*) from scans')"
sqlite3 f.db "select key_id || '-' || serial from scans" | sort >f.ledger
expect_eq "and they are the acknowledged ones" "0" "$(sort acked.f | comm -3 - f.ledger | wc -l)"
scan "$(sed -n "${i}p" codes.txt)"
expect_eq "with room again, scans are recorded" "200" "$(cat "$T/status")"
expect_eq "and healthz is ok again" "200" "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$URL/healthz")"
stop_temd TERM
done_testing
