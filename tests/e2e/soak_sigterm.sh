#!/bin/sh
# SIGTERM under load (make soak-sigterm; about half a minute): 25 rounds of 16 keep-alive clients
# posting scans as fast as temd answers, each round on a fresh ledger, SIGTERM once a number of
# scans drawn from the seed is acknowledged. Each round temd must exit 0 (never abort with a
# connection still suspended), answer every request after the signal with 503 or close, and
# every acknowledged scan must be in the ledger.
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
cd "$T" || exit 1
test_seed
ROUNDS=${SOAK_ROUNDS:-25}
CLIENTS=16
PER=150 # codes a client may scan in a round
make_authority "HTX Năm Căn"
$TEM issue -s p.key -n $((CLIENTS * PER)) --product "Cua Cà Mau" --url http://127.0.0.1:8080 \
	-o b.txt -q
codes b.txt >codes.txt

# load.py PORT: CLIENTS threads, each with one keep-alive connection, posting its PER codes; a
# 200's short id goes to acked.txt (flushed at once). A thread stops at its first answer that
# is not 200 (503 once temd stops) or a closed connection; "other STATUS" lines report answers
# that are neither 200 nor 503.
cat >load.py <<'PY'
import http.client, json, sys, threading
port, clients, per = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
codes = open("codes.txt").read().split()
out = open("acked.txt", "w")
lock = threading.Lock()
def run(n):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    for code in codes[n * per:(n + 1) * per]:
        try:
            c.request("POST", "/api/v1/scans", json.dumps({"code": code}),
                      {"Content-Type": "application/json"})
            r = c.getresponse()
            body = r.read()
        except (OSError, http.client.HTTPException):
            return
        if r.status != 200:
            if r.status != 503:
                with lock:
                    print("other", r.status, flush=True)
            return
        with lock:
            out.write(json.loads(body)["short_id"] + "\n")
            out.flush()
ts = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
for t in ts: t.start()
for t in ts: t.join()
PY
acked_at_least() { [ -e acked.txt ] && [ "$(wc -l <acked.txt)" -ge "$1" ]; }

r=1
while [ $r -le $ROUNDS ]; do
	rm -f "l$r.db" acked.txt
	start_temd "s$r" --db "l$r.db" --trust trust.list --authority a.pub
	$TEM register b.txt --server "$URL" -q
	# rand_below in $( ) would draw the same number each round (its counter stays in the
	# subshell): the round is mixed into the seed instead
	at=$(awk -v s="$SEED" -v r=$r 'BEGIN { srand(s + r); print 20 + int(rand() * 300) }')
	python3 load.py "$(cat "$T/s$r.port")" $CLIENTS $PER >load.out 2>&1 &
	LPID=$!
	wait_for 30 acked_at_least $at
	stop_temd TERM
	wait "$LPID"
	# each code's acknowledged scans against its counted ones (a repeat by the same client is
	# counted in its client's row, not a scans row)
	sort acked.txt | uniq -c | awk '{ print $2, $1 }' | sort >acked.sorted
	sqlite3 "l$r.db" "select key_id || '-' || serial || ' ' || scans from codes" | sort >ledger.txt
	n=$(wc -l <acked.txt)
	missing=$(join -a 1 -e 0 -o 0,1.2,2.2 acked.sorted ledger.txt | awk '$3 < $2' | wc -l)
	if [ "$TEMD_STATUS" = 0 ] && [ "$missing" -eq 0 ] && [ "$n" -ge "$at" ] && ! grep -q other load.out &&
		! grep -q 'suspended' "$T/s$r.log"; then
		ok "round $r: SIGTERM after $at acknowledgements under 16 keep-alive clients: exit 0, all $n acknowledged scans in the ledger"
	else
		not_ok "round $r: SIGTERM under 16 keep-alive clients" "exit: $TEMD_STATUS" \
			"acknowledged: $n (wanted $at), missing: $missing" "$(head -c 300 load.out)" \
			"$(tail -n 3 "$T/s$r.log")"
	fi
	rm -f "l$r.db" "l$r.db-wal" "l$r.db-shm"
	r=$((r + 1))
done
done_testing
