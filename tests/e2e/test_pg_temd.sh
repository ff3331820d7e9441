#!/bin/sh
# Two temd on one PostgreSQL ledger (tests/pg/cluster.sh's throwaway cluster): a code scanned
# through one then the other counts both scans and both networks; a duplicate is decided
# across servers; a batch registered through one is known at once to the other (a code of it
# scanned there is genuine), while codes of no batch stay unregistered with the ledger read
# at most once a second; a batch whose registration was still uncommitted when a temd started
# (a row id below the highest it loaded) is read by that temd once it commits; two claims of one code at once through the two servers: exactly one wins;
# kill -9 of one temd under load loses no acknowledged scan; while PostgreSQL is away scans are
# answered 503 and /healthz fails, and service comes back after. The connection string never
# reaches the log.
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
CLUSTER="$(cd "$(dirname "$0")/.." && pwd)/pg/cluster.sh"
if [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
	echo "# skipped: no PostgreSQL 15 binaries (tests/deps.sh installs postgresql)"
	ok "# SKIP no PostgreSQL"
	done_testing
	exit 0
fi
cd "$T" || exit 1
# the postgres user must reach the folder: beside $T, not inside it
P=$(mktemp -d /tmp/tem-pgt.XXXXXX)
trap 'sh "$CLUSTER" stop "$P" >/dev/null 2>&1; rm -rf "$P"; _cleanup' EXIT
check "the cluster starts" sh "$CLUSTER" start "$P"
DB="$(sh "$CLUSTER" url "$P") password=hunter2-not-logged"

make_authority "HTX Cua Năm Căn"
$TEM issue -s p.key -n 8 --product "Cua gạch" -o b.txt -q
KEY=$(sed -n 's/^key-id: //p' b.txt)
FS=$(sed -n 's/^first-serial: //p' b.txt)

run_expect 2 "a PostgreSQL --db without --secret is refused" \
	"$TEMD" --db "$DB" --trust trust.list --authority a.pub
expect_grep "naming --secret" 'secret FILE is required' "$T/err"

start_temd a --db "$DB" --secret s.secret --trust trust.list --authority a.pub ||
	echo "# temd a did not start: $(cat a.log)"
A=$URL A_PID=$TEMD_PID A_M=$METRICS_URL
# a batch registered through A is known to a temd that starts after (each temd keeps the
# registered batches in memory, read from the ledger at its start)
check "a batch registers through A" $TEM register b.txt --server "$A" -q
start_temd b --db "$DB" --secret s.secret --trust trust.list --authority a.pub ||
	echo "# temd b did not start: $(cat b.log)"
B=$URL B_PID=$TEMD_PID B_M=$METRICS_URL
expect_eq "two temd serve one database" "200 200" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$A_M/healthz") $(curl -s -o /dev/null -w '%{http_code}' "$B_M/healthz")"

C1=$(code_at b.txt 1)
URL=$A scan "$C1" --interface 127.0.1.1
expect_eq "a scan through A" "200 genuine 1 1" "$(cat status) $(json verdict) $(json scans) $(json clients)"
URL=$B scan "$C1" --interface 127.0.2.1
expect_eq "then through B from another network: both scans, both networks" "200 seen 2 2" \
	"$(cat status) $(json verdict) $(json scans) $(json clients)"
URL=$A scan "$C1" --interface 127.0.3.1
URL=$B scan "$C1" --interface 127.0.4.1
expect_eq "a duplicate decided across servers" "duplicate 4 4" \
	"$(json verdict) $(json scans) $(json clients)"

# a batch registered through A after B started: B reads it from the ledger when one of its
# codes is scanned (each temd keeps the registered batches in memory)
$TEM issue -s p.key -n 2 --product "Cua gạch" -o n.txt -q
$TEM issue -s p.key -n 60 --product "Cua gạch" -o u.txt --no-claim -q # never registered
refreshes() { curl -s "$B_M/metrics" | sed -n 's/^temd_registry_refreshes_total //p'; }
R0=$(refreshes)
check "a batch registers through A after B started" $TEM register n.txt --server "$A" -q
URL=$B scan "$(code_at n.txt 1)" --interface 127.0.5.1
expect_eq "its code scanned through B at once: genuine" "200 genuine" "$(cat status) $(json verdict)"
expect_eq "B read the ledger once for it" "$((R0 + 1))" "$(refreshes)"
# a valid code of a batch nobody registered stays unregistered, and reads are throttled: 50
# scans at most one read a second (one refresh at a time)
S0=$(date +%s)
R1=$(refreshes)
i=1
while [ $i -le 50 ]; do
	URL=$B scan "$(code_at u.txt $i)" --interface "127.0.6.$i"
	[ "$(json verdict)" = unregistered ] || echo "# code $i of u.txt: $(cat status) $(cat out)"
	i=$((i + 1))
done
N=$(($(refreshes) - R1))
MAXR=$(($(date +%s) - S0 + 2))
expect_eq "the last of them is unregistered" "200 unregistered" "$(cat status) $(json verdict)"
if [ "$N" -ge 1 ] && [ "$N" -le "$MAXR" ]; then
	ok "50 unregistered scans: $N ledger reads (at most $MAXR)"
else
	not_ok "50 unregistered scans read the ledger at most once a second" "$N reads, at most $MAXR"
fi

# a batch whose registration took its row id before a temd started and committed after: the
# new temd's start-up load finds the gap below its highest row and reads it until it fills.
# A psql transaction stands for the other temd's open one: h.txt registered through A, its
# row moved aside and inserted again in a transaction kept open (a new id) while g.txt
# registers (a higher id, committed); C starts, then the transaction commits.
PGU=$(sh "$CLUSTER" url "$P")
$TEM issue -s p.key -n 2 --product "Cua gạch" -o h.txt -q
$TEM issue -s p.key -n 2 --product "Cua gạch" -o g.txt -q
HFS=$(sed -n 's/^first-serial: //p' h.txt)
check "a batch registers through A" $TEM register h.txt --server "$A" -q
COLS="key_id, first_serial, last_serial, batch_id, product, producer, url, issued, last_day,
	header, registered, claim_key"
check "its row is moved aside" psql "$PGU" -XAtq -v ON_ERROR_STOP=1 \
	-c "CREATE TABLE held AS SELECT * FROM batches WHERE key_id = '$KEY' AND first_serial = $HFS" \
	-c "DELETE FROM batches WHERE id = (SELECT id FROM held)"
mkfifo hold.in
psql "$PGU application_name=tem-hold" -XAtq -v ON_ERROR_STOP=1 <hold.in >hold.out 2>&1 &
HOLD=$!
exec 3>hold.in
echo "BEGIN; WITH n AS (INSERT INTO batches($COLS) SELECT $COLS FROM held RETURNING id)
	UPDATE batch_stats SET batch = (SELECT id FROM n) WHERE key_id = '$KEY'
	AND batch = (SELECT id FROM held);" >&3
held_open() {
	[ "$(psql "$PGU" -XAtc "SELECT state FROM pg_stat_activity WHERE application_name = 'tem-hold'")" = "idle in transaction" ]
}
check "the batch's row is inserted again in a transaction left open" wait_for 10 held_open
check "a later batch registers through A (a higher row id, committed)" \
	$TEM register g.txt --server "$A" -q 3>&-
start_temd c --db "$DB" --secret s.secret --trust trust.list --authority a.pub 3>&- ||
	echo "# temd c did not start: $(cat c.log)"
C=$URL
HC=$(code_at h.txt 1)
URL=$C scan "$HC" --interface 127.0.7.1
expect_eq "C started while the row was uncommitted: its code is unregistered" \
	"200 unregistered" "$(cat status) $(json verdict)"
printf 'COMMIT;\n\\q\n' >&3
exec 3>&-
wait $HOLD
expect_eq "the transaction commits" "" "$(cat hold.out)"
scan_genuine() {
	URL=$C scan "$HC" --interface 127.0.7.1
	[ "$(json verdict)" = genuine ]
}
check "once committed, C reads it: a code of it is genuine within seconds" wait_for 5 scan_genuine
psql "$PGU" -XAtqc "DROP TABLE held"
stop_temd TERM

# two claims of one code at once, from two networks through the two servers
C2=$(code_at b.txt 2)
P2=$(pin b.txt.claim $((FS + 1)))
W=""
for s in A B; do
	eval "u=\$$s"
	curl -s -m 10 -o "claim$s" -w '%{http_code}' -H 'Content-Type: application/json' \
		--interface "127.0.$([ $s = A ] && echo 9 || echo 10).1" \
		--data-binary "{\"code\":\"$C2\",\"pin\":\"$P2\"}" "$u/api/v1/claims" >"st$s" &
	W="$W $!"
done
wait $W
expect_eq "two simultaneous claims through two servers: exactly one 201, one 409" "201 409" \
	"$(cat stA stB | tr -d '\n' | sed 's/\(...\)\(...\)/\1 \2/' | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"

# kill -9 of A under load: every acknowledged scan is in the ledger
C3=$(code_at b.txt 3)
: >acks
W=""
for i in 1 2 3 4; do
	(
		while [ ! -e stop ]; do
			c=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
				--data-binary "{\"code\":\"$C3\"}" "$A/api/v1/scans")
			[ "$c" = 200 ] && echo >>acks
		done
	) &
	W="$W $!"
done
wait_for 5 sh -c '[ $(wc -l <acks) -ge 20 ]'
kill -9 "$A_PID"
touch stop
wait $W
N=$(wc -l <acks | tr -d ' ')
L=$(psql "$(sh "$CLUSTER" url "$P")" -XAtc "SELECT coalesce(sum(scans), 0) FROM code_scans WHERE key_id = '$KEY' AND serial = $((FS + 2))")
if [ "$N" -gt 0 ] && [ "$L" -ge "$N" ]; then
	ok "kill -9 under load: $N acknowledged scans, $L in the ledger"
else
	not_ok "kill -9 under load loses no acknowledged scan" "$N acknowledged, $L in the ledger"
fi
URL=$B scan "$C3"
expect_eq "B counts on from the ledger" "$((L + 1))" "$(json scans)"

# the regulator API on the shared database: a token made while both serve, read through B
TOK=$("$TEMD" token create --db "$DB" --name inspector 2>tok.err)
check "temd token create on the PostgreSQL ledger" test -n "$TOK"
expect_eq "B knows the token" "200 inspector" \
	"$(curl -s -o tok.json -w '%{http_code}' -H "Authorization: Bearer $TOK" "$B/api/v1/token") $(jq -r .name tok.json)"
curl -s -H "Authorization: Bearer $TOK" -o alerts.json "$B/api/v1/alerts?type=duplicate"
expect_eq "the duplicate decided across servers is an alert" "$KEY-$FS" \
	"$(jq -r '.items[0].code' alerts.json)"
curl -s -H "Authorization: Bearer $TOK" -o code.json "$B/api/v1/codes/$KEY-$FS"
expect_eq "its history: four networks, four scans" "4 4" \
	"$(jq -r '.history.items | length' code.json) $(jq -r .scans code.json)"
curl -s -H "Authorization: Bearer $TOK" -o stats.json "$B/api/v1/stats"
expect_eq "statistics count every scan of both servers" \
	"$(psql "$(sh "$CLUSTER" url "$P")" -XAtc 'SELECT sum(scans) FROM code_scans')" \
	"$(jq -r .totals.scans stats.json)"

# PostgreSQL away: 503 and /healthz failing; back: served again
sh "$CLUSTER" stop "$P" >/dev/null 2>&1
URL=$B scan "$C3"
expect_eq "PostgreSQL away: a scan is 503" "503" "$(cat status)"
healthz_is() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$B_M/healthz")" = "$1" ]; }
check "PostgreSQL away: /healthz fails" wait_for 5 healthz_is 503
check "the cluster starts again" sh "$CLUSTER" start "$P"
check "/healthz passes again" wait_for 10 healthz_is 200
URL=$B scan "$C3"
expect_eq "served again" "200 $((L + 2))" "$(cat status) $(json scans)"
if grep -q hunter2 a.log b.log; then
	not_ok "the log holds no password"
else
	ok "the log holds no password"
fi
done_testing
