#!/bin/sh
# temd under attack from one address: hundreds of slow connections trickling a byte at a time
# while another address is answered within a second; the per-address limit and the deadline of
# a whole request; rate limits (429, Retry-After, JSON or a plain page); request framing a proxy
# could read otherwise (two Content-Lengths, a chunked body over the bound, huge headers); one
# temd per address and per ledger.
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
cd "$T" || exit 1
make_authority "HTX Năm Căn"
$TEM issue -s p.key -n 20 --product "Cua Cà Mau" --url http://127.0.0.1:8080 -o b.txt -q
C1=$(code_at b.txt 1)
C2=$(code_at b.txt 2)

# raw REQUEST_FILE: sends the file's bytes to temd as they are and prints the answer (status
# line, headers, body) as it came, waiting at most 3 s.
raw() {
	python3 - "$PORT" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
s.sendall(open(sys.argv[2], "rb").read())
out = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
        if b"\r\n\r\n" in out:
            head, body = out.split(b"\r\n\r\n", 1)
            n = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
            if n and len(body) >= n[0]:
                break
except socket.timeout:
    pass
sys.stdout.write(out.decode("utf-8", "replace"))
PY
}

# --- slow clients ---
# slow.py N SECONDS: opens N connections from 127.0.0.1, sends each a request line and then one
# header byte every 0.2 s (so no idle timer ever fires) for SECONDS; touches slow.ready once
# every connection is made. Prints "held H" (the most open at once after the first half second,
# refused ones being closed by temd at once) and "alive A" (those still open at the end).
cat >slow.py <<'PY'
import socket, sys, time, select
n, secs = int(sys.argv[1]), float(sys.argv[2])
socks = []
for i in range(n):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", int(sys.argv[3])))
    s.setblocking(False)
    s.send(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    socks.append(s)
open("slow.ready", "w").close()
alive = set(socks)
start = time.time()
held = 0
while time.time() - start < secs:
    r, _, _ = select.select(list(alive), [], [], 0.2)
    for s in r:
        try:
            if not s.recv(4096):
                alive.discard(s)
        except OSError:
            alive.discard(s)
    for s in list(alive):
        try:
            s.send(b"a")
        except OSError:
            alive.discard(s)
    if time.time() - start > 0.5:
        held = max(held, len(alive))
print("held", held)
print("alive", len(alive))
PY
start_temd h --db h.db --trust trust.list --authority a.pub --timeout 2 \
	--connections-per-address 50
PORT=$(cat "$T/h.port")
python3 slow.py 300 3.5 "$PORT" >slow.out 2>slow.err &
SPID=$!
wait_for 10 test -e slow.ready
fast=0
slowest=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	ms=$(curl -s -m 1 -o /dev/null -w '%{http_code} %{time_total}' --interface 127.0.0.2 \
		"$URL/healthz" | awk '$1 == 200 { printf "%d", $2 * 1000 }')
	[ -n "$ms" ] && fast=$((fast + 1)) && [ "$ms" -gt "$slowest" ] && slowest=$ms
done
wait "$SPID"
expect_eq "300 slow connections from 127.0.0.1: 127.0.0.2 answered within 1 s, 10 times of 10 (slowest ${slowest} ms)" \
	"10" "$fast"
held=$(awk '$1 == "held" { print $2 }' slow.out)
if [ -n "$held" ] && [ "$held" -gt 0 ] && [ "$held" -le 50 ]; then
	ok "one address holds at most its 50 connections (held $held of 300)"
else
	not_ok "one address holds at most its 50 connections" "held: '$held'" "$(cat slow.err)"
fi
expect_eq "a request trickling a byte every 0.2 s is cut at its 2 s deadline" "0" \
	"$(awk '$1 == "alive" { print $2 }' slow.out)"
curl -s "$METRICS_URL/metrics" >m.txt
expect_grep "metrics count the refused connections" '^temd_connections_refused_total [1-9]' m.txt
expect_grep "metrics count the cut connections" '^temd_connections_cut_total [1-9]' m.txt
expect_eq "after the attack 127.0.0.1 is answered again" "200" \
	"$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$URL/healthz")"

# --- one temd per address, per ledger ---
run_expect 1 "a second temd on the same port is refused" "$TEMD" --db other.db --trust trust.list \
	--authority a.pub --listen "127.0.0.1:$PORT" --metrics-listen none
expect_grep "saying the address is in use" "cannot listen on 127.0.0.1:$PORT: Address already in use" "$T/err"
expect_eq "in one line, libmicrohttpd adding none" "1" "$(grep -c 'in use\|http:' "$T/err")"
# a SQLite ledger is one temd's (several share a PostgreSQL one: test_pg_temd.sh)
if [ "$TEM_TEST_DB" = sqlite ]; then
	run_expect 1 "a second temd on the same ledger is refused" "$TEMD" --db h.db --trust trust.list \
		--authority a.pub --listen 127.0.0.1:0 --metrics-listen none
	expect_grep "naming the other temd's pid" "h.db: in use by another temd (pid $TEMD_PID)" "$T/err"
fi
run_expect 1 "a second temd on the same metrics port is refused" "$TEMD" --db other.db \
	--trust trust.list --authority a.pub --listen 127.0.0.1:0 \
	--metrics-listen "127.0.0.1:${METRICS_URL##*:}"
expect_grep "saying that address is in use" "the address is in use" "$T/err"
run_expect 2 "a bad --rate-limit is refused" "$TEMD" --db x.db --trust trust.list \
	--authority a.pub --rate-limit scans=5/week
expect_grep "naming the unit" "unit is s, m, h or d" "$T/err"

# --- request framing ---
$TEM register b.txt --server "$URL" -q
printf 'POST /api/v1/scans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\n{"co' >two.req
raw two.req >two.out
expect_grep "two different Content-Length headers: 400" '^HTTP/1.1 400' two.out
expect_grep "in tem's JSON error shape" '"code":"bad-request"' two.out
printf 'POST /api/v1/scans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"co\r\n0\r\n\r\n' >te.req
raw te.req >te.out
expect_grep "Content-Length beside Transfer-Encoding: 400" '^HTTP/1.1 400' te.out
printf 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n' >nohost.req
raw nohost.req >nohost.out
expect_grep "HTTP/1.1 without Host: 400" '^HTTP/1.1 400' nohost.out
# libmicrohttpd answers these itself, before temd sees the request (docs/temd.8, "HTTP")
printf 'GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n' >v2.req
raw v2.req >v2.out
expect_grep "an HTTP version other than 1.0 and 1.1: 505 from libmicrohttpd" '^HTTP/1.1 505' v2.out
head -c 6000 /dev/zero | tr '\0' x >big.body
status=$(curl -s -m 5 -o big.out -w '%{http_code}' -H 'Content-Type: application/json' \
	-H 'Transfer-Encoding: chunked' --data-binary @big.body "$URL/api/v1/scans")
expect_eq "a chunked body over the bound: 413, not a dropped connection" "413 body-too-large" \
	"$status $(jq -r .error.code big.out)"
status=$(curl -s -m 5 -D hdr.txt -o h431.out -w '%{http_code}' \
	-H "X-Big: $(head -c 20000 /dev/zero | tr '\0' y)" "$URL/healthz")
expect_eq "headers over 16 KiB: 431 in tem's JSON shape" "431 headers-too-large" \
	"$status $(jq -r .error.code h431.out)"
expect_grep "with tem's security headers" '^X-Content-Type-Options: nosniff' hdr.txt

# --- rate limits ---
stop_temd TERM
start_temd r --db h.db --trust trust.list --authority a.pub --rate-limit scans=5/m,claims=1/h
for i in 1 2 3 4 5; do scan "$C1"; done
expect_eq "5 scans a minute: the fifth is answered" "200" "$(cat "$T/status")"
curl -s -m 5 -D hdr.txt -o "$T/out" -H 'Content-Type: application/json' \
	--data-binary "{\"code\":\"$C1\"}" "$URL/api/v1/scans" >/dev/null
expect_eq "the sixth gets 429 rate-limited" "429 rate-limited" \
	"$(awk 'NR == 1 { print $2 }' hdr.txt) $(json error.code)"
expect_grep "with Retry-After" '^Retry-After: [1-9]' hdr.txt
status=$(curl -s -m 5 -D hdr.txt -o page.html -w '%{http_code}' "$URL/c/$C2")
expect_eq "the buyer's page is limited too" "429" "$status"
expect_grep "with a plain page" '^Content-Type: text/html' hdr.txt
expect_grep "that says so in Vietnamese" 'Quá nhiều lượt kiểm tra' page.html
scan "$C2" --interface 127.0.1.1
expect_eq "another network scans on" "200 genuine" "$(cat "$T/status") $(json verdict)"
expect_eq "the limited scans were not recorded (5 from 127.0.0.1, 1 from 127.0.1.1)" "6" \
	"$(ledger_sql h.db 'select sum(scans) from code_scans')"
claim() {
	curl -s -m 5 -o "$T/out" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary "{\"code\":\"$C2\",\"pin\":\"0000000000\"}" "$URL/api/v1/claims"
}
claim >/dev/null
expect_eq "claims are limited apart: the second in an hour gets 429" "429 rate-limited" \
	"$(claim) $(json error.code)"
curl -s "$METRICS_URL/metrics" >m.txt
expect_grep "metrics count the limited scans" '^temd_rate_limited_total{kind="scans"} 2$' m.txt

# --- stopping: while temd drains, a new connection is closed at once ---
PORT=${URL##*:}
# a request whose body never comes: temd, stopping, waits for it (up to 10 s)
bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" &&
	printf "POST /api/v1/scans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n{" >&3 &&
	: >"$1" && exec sleep 8' "$PORT" "$T/slow-sent" &
SLOW=$!
# its headers read by temd: sent, and the connection's receive queue on
# temd's side is empty (before the headers are sent, an empty queue would
# also be that of a connection temd has not yet accepted)
headers_read() {
	[ -e "$T/slow-sent" ] || return 1
	ss -Htn state established "( sport = :$PORT )" >ss.txt
	[ -s ss.txt ] && [ "$(awk '{ s += $1 } END { print s }' ss.txt)" = 0 ]
}
wait_for 5 headers_read
kill -TERM "$TEMD_PID"
draining() { grep -q 'SIGTERM: stopping' "$T/r.log"; }
wait_for 5 draining
t0=$(($(date +%s%N) / 1000000))
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$URL/healthz")
ms=$(($(date +%s%N) / 1000000 - t0))
alive=$(kill -0 "$TEMD_PID" 2>/dev/null && echo draining || echo gone)
expect_eq "while temd drains, a new connection is closed at once, unanswered" "000 draining yes" \
	"$code $alive $([ "$ms" -lt 2000 ] && echo yes || echo "no: $ms ms")"
kill "$SLOW" 2>/dev/null
stop_temd TERM
expect_eq "temd stops cleanly" "0" "$TEMD_STATUS"
done_testing
