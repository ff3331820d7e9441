#!/bin/sh
# Every acknowledged scan survives kill -9: while four clients (each a phone keeping its cookie)
# post scans of distinct codes, each code twice (a first scan, then a repeat that adds to the
# client's counter, not a row), temd is killed once a round's number of scans has been
# acknowledged (drawn from the seed); after a restart, each code counts at least the scans that
# got a 2xx answer and at most those sent, and has one scan row for its client. Five rounds on
# the same ledger file. Then clients that hang up as soon as their request is sent, and
# SIGTERM; then a ledger that cannot grow (as on a full disk).
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
cd "$T" || exit 1
test_seed
ROUNDS=5
PER=60   # codes a client a round
HANG=200 # clients that hang up, then as many again while temd stops
make_authority "HTX Năm Căn"
$TEM issue -s p.key -n $((ROUNDS * 4 * PER + 2 * HANG)) --product "Cua Cà Mau" \
	--url http://127.0.0.1:8080 -o b.txt -q
codes b.txt >codes.txt # the code on line N has serial N
KEY=$(sed -n 's/^key-id: //p' b.txt)
start_temd d --db l.db --trust trust.list --authority a.pub
$TEM register b.txt --server "$URL" -q

# client N FIRST: posts PER codes from line FIRST on, each twice, keeping its cookie in jar.N;
# the short id of each scan sent goes to sent.N, of each 2xx to acked.N. Stops at the first
# request that gets no HTTP answer at all (temd killed: refused or cut).
client() {
	sed -n "$2,$(($2 + PER - 1))p" codes.txt | awk -v k="$KEY" -v f="$2" '{ print k "-" (f + NR - 1), $0 }' |
		while read -r id c; do
			for rep in 1 2; do
				echo "$id" >>"$T/sent.$1"
				s=$(curl -s -m 20 -o "$T/ans.$1" -w '%{http_code}' -H 'Content-Type: application/json' \
					-A "client-$1" -b "$T/jar.$1" -c "$T/jar.$1" \
					--data-binary "{\"code\":\"$c\"}" "$URL/api/v1/scans")
				case $s in
				2*) jq -r .short_id "$T/ans.$1" >>"$T/acked.$1" ;;
				000) break 2 ;;
				esac
			done
		done
}
# tally FILE: "SHORT-ID COUNT" lines, sorted, of the short ids in FILE
tally() { sort "$1" | uniq -c | awk '{ print $2, $1 }' | sort; }
# ledger_tally DB: each code's counted scans in DB, as tally prints them
ledger_tally() { ledger_sql "$1" "select key_id || '-' || serial || ' ' || scans from codes" | sort; }
# lost DB: the codes whose acknowledged scans (acked.all) outnumber the counted ones in DB
lost() {
	tally acked.all >acked.cnt
	ledger_tally "$1" >ledger.cnt
	join -a 1 -e 0 -o 0,1.2,2.2 acked.cnt ledger.cnt | awk '$3 < $2' | wc -l
}
acked_at_least() { [ "$(cat acked.1 acked.2 acked.3 acked.4 2>/dev/null | wc -l)" -ge "$1" ]; }

: >acked.all
r=0
while [ $r -lt $ROUNDS ]; do
	rm -f acked.1 acked.2 acked.3 acked.4
	# kill after 1-4 acknowledged scans in the first round (temd's first group commits on a
	# fresh ledger), then after 10-19, 20-29, ... (a ledger and WAL that grow across restarts)
	if [ $r -eq 0 ]; then kill_at=$((1 + $(rand_below 4))); else kill_at=$((r * 10 + $(rand_below 10))); fi
	cpids=""
	for n in 1 2 3 4; do
		client $n $((r * 4 * PER + (n - 1) * PER + 1)) &
		cpids="$cpids $!"
	done
	wait_for 30 acked_at_least $kill_at
	kill -9 "$TEMD_PID"
	for p in $cpids; do wait "$p"; done
	wait "$TEMD_PID" 2>/dev/null
	cat acked.1 acked.2 acked.3 acked.4 2>/dev/null | sort >acked.round
	n=$(wc -l <acked.round)
	cat acked.round >>acked.all
	start_temd d --db l.db --trust trust.list --authority a.pub
	missing=$(lost l.db)
	repeats=$(uniq -d acked.round | wc -l)
	if [ "$n" -ge "$kill_at" ] && [ "$missing" -eq 0 ]; then
		ok "round $((r + 1)): kill -9 under load after $kill_at acknowledgements, all $n acknowledged scans ($repeats repeats) survive"
	else
		not_ok "round $((r + 1)): kill -9 under load after $kill_at acknowledgements, all acknowledged scans survive" \
			"acknowledged: $n, codes counting fewer than acknowledged: $missing"
	fi
	r=$((r + 1))
done
cat sent.1 sent.2 sent.3 sent.4 >sent.all
expect_eq "no code counts more scans than were sent" "0" \
	"$(tally sent.all >sent.cnt && ledger_tally l.db >ledger.cnt && join -o 0,1.2,2.2 sent.cnt ledger.cnt | awk '$3 > $2' | wc -l)"
if [ "$(tally acked.all | awk '$2 == 2' | wc -l)" -gt 0 ]; then
	ok "repeat scans were acknowledged among them"
else
	not_ok "repeat scans were acknowledged among them"
fi
expect_eq "each code's scan rows are its clients' first scans, one a client" "0" \
	"$(ledger_sql l.db "select count(*) from code_scans c where (select count(*) from scans s where s.key_id = c.key_id and s.serial = c.serial and s.client = c.client and s.at = c.first_scan) != 1")"
expect_eq "/metrics counts every scan, repeats included" "temd_ledger_scans $(ledger_sql l.db 'select sum(scans) from code_scans')" \
	"$(curl -s -m 5 "$METRICS_URL/metrics" | grep '^temd_ledger_scans ')"
FIRST=$(head -n 1 acked.all)
BEFORE=$(ledger_sql l.db "select scans from codes where key_id || '-' || serial = '$FIRST'")
scan "$(sed -n "$((${FIRST#"$KEY-"}))p" codes.txt)" --interface 127.0.9.1
expect_eq "after the restarts an acknowledged code counts its earlier scans" "$((BEFORE + 1)) seen" "$(json scans) $(json verdict)"

# Clients that hang up as soon as their request is sent, never reading the answer: their scans
# are still committed, and SIGTERM still drains and exits 0 while such clients keep coming (a
# suspended request whose client has gone must not hold it), losing no acknowledged scan.
PORT=$(cat "$T/d.port")
# hangups FIRST COUNT: COUNT clients, eight at a time, each sending the code on line FIRST, FIRST
# + 1, ... and hanging up; the number whose request could not be sent goes to hangups.failed.
# Stops early when none of eight could connect (temd has stopped).
hangups() {
	_h=$1
	_failed=0
	while [ "$_h" -lt $(($1 + $2)) ]; do
		hpids=""
		for n in 1 2 3 4 5 6 7 8; do
			http_hangup "$PORT" "$(post_scan_request "$(sed -n "$((_h + n - 1))p" codes.txt)")" \
				2>/dev/null &
			hpids="$hpids $!"
		done
		_f=0
		for p in $hpids; do wait "$p" || _f=$((_f + 1)); done
		_failed=$((_failed + _f))
		[ $_f -eq 8 ] && break
		_h=$((_h + 8))
	done
	echo $_failed >hangups.failed
}
# recorded FIRST COUNT: how many of the codes on lines FIRST to FIRST + COUNT - 1 have a scan
recorded() {
	ledger_sql l.db \
		"select count(distinct serial) from scans where key_id = '$KEY' and serial between $1 and $(($1 + $2 - 1))"
}
all_recorded() { [ "$(recorded "$1" "$2")" = "$2" ]; }
any_recorded() { [ "$(recorded "$1" "$2")" != 0 ]; }
H1=$((ROUNDS * 4 * PER + 1))
hangups $H1 $HANG
wait_for 20 all_recorded $H1 $HANG
expect_eq "$HANG clients sent their scan and hung up at once, each scan is recorded" \
	"0 $HANG" "$(cat hangups.failed) $(recorded $H1 $HANG)"
H2=$((H1 + HANG))
hangups $H2 $HANG &
HPID=$!
wait_for 20 any_recorded $H2 $HANG
stop_temd TERM
wait "$HPID"
expect_eq "temd stops cleanly (exit 0) while clients hang up mid-request" "0" "$TEMD_STATUS"
[ "$TEMD_STATUS" = 0 ] || show_log d # what it said, for the run's log
expect_eq "after SIGTERM every acknowledged scan is in the ledger" "0" "$(lost l.db)"
ledger_sql l.db "select key_id || '-' || serial from scans" | sort >ledger.txt
expect_eq "and each client's first scan once (the code scanned again above from another network has two rows)" "$FIRST" \
	"$(uniq -d ledger.txt)"

# The rest is SQLite's: on PostgreSQL the database server writes the ledger, which temd's file
# size limit does not reach (tests/run.sh).
if [ "$TEM_TEST_DB" != sqlite ]; then
	done_testing
	exit 0
fi
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
exec 4<codes.txt
while [ $i -le 600 ] && [ $n503 -lt 5 ] && read -r c <&4; do
	scan "$c"
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
curl -s -m 5 "$METRICS_URL/metrics" >metrics.txt
expect_grep "metrics say so" '^temd_ledger_failing 1$' "$T/metrics.txt"
expect_grep "the log says what failed" 'transaction failed: disk I/O error while writing' "$T/f.log"
expect_eq "and does not repeat it for every failed group" "1" "$(grep -c 'transaction failed' "$T/f.log")"
stop_temd TERM
expect_eq "temd still stops on SIGTERM" "0" "$TEMD_STATUS"
start_temd f2 --db f.db --trust trust.list --authority a.pub
expect_eq "after a restart, the acknowledged scans are in the ledger, no more" "$nacked" \
	"$(ledger_sql f.db 'select coalesce(sum(scans), 0) from code_scans')"
ledger_sql f.db "select key_id || '-' || serial from scans" | sort >f.ledger
expect_eq "and they are the acknowledged ones" "0" "$(sort acked.f | comm -3 - f.ledger | wc -l)"
scan "$(sed -n "${i}p" codes.txt)"
expect_eq "with room again, scans are recorded" "200" "$(cat "$T/status")"
expect_eq "and healthz is ok again" "200" "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$URL/healthz")"
stop_temd TERM
done_testing
