#!/bin/sh
# The regulator routes' limits on a real temd (docs/security.md, "The regulator API"): bodies
# over the bound on PATCH /api/v1/alerts/{id} and the dashboard's forms get 413; a huge limit,
# long values, many parameters, bad UTF-8 and SQL- or script-looking strings get 400 naming the
# parameter; the dashboard's HTML never carries them unescaped; a token is never in the access
# log or temd's log, even sent in the query string; wrong tokens from one network reach the
# sign-in limit (429 with Retry-After) while another network's right token is served; a few
# dozen slow connections on /api/v1/alerts do not keep a regulator from being answered.
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
cd "$T" || exit 1
make_authority "HTX Năm Căn" || exit 1

start_temd s --db l.db --trust trust.list --authority a.pub --access-log access.log \
	--rate-limit signins=3/m || exit 1
PORT=$(cat "$T/s.port")
check "a regulator's token" $TEMD token create --db l.db --name "Thanh tra Cà Mau"
TOK=$(cat "$T/out")
AUTH="Authorization: Bearer $TOK"

# status ARGS...: curl's status code for ARGS (the body in $T/out, the headers in $T/hdr)
status() {
	curl -s -m 10 -D "$T/hdr" -o "$T/out" -w '%{http_code}' "$@"
}

# --- bodies over the bound: 413 ---
head -c 5000 /dev/zero | tr '\0' 'a' >big5k
head -c 9000 /dev/zero | tr '\0' 'a' >big9k
expect_eq "PATCH /api/v1/alerts/1 with a 5000-byte body: 413" 413 \
	"$(status -X PATCH -H "$AUTH" -H 'Content-Type: application/json' --data-binary @big5k \
		"$URL/api/v1/alerts/1")"
expect_eq "the same, chunked: 413" 413 \
	"$(status -X PATCH -H "$AUTH" -H 'Content-Type: application/json' \
		-H 'Transfer-Encoding: chunked' --data-binary @big5k "$URL/api/v1/alerts/1")"
expect_eq "a 9000-byte sign-in form: 413" 413 \
	"$(status --data-binary @big9k "$URL/dashboard/sign-in")"
expect_eq "sign in from 127.0.1.1 (another network than the limit's below)" 303 \
	"$(status --interface 127.0.1.1 -c jar --data-urlencode "token=$TOK" \
		"$URL/dashboard/sign-in")"
expect_eq "a 9000-byte workflow form, signed in: 413" 413 \
	"$(status --interface 127.0.1.1 -b jar --data-binary @big9k "$URL/dashboard/alerts/1")"

# --- bad parameters: 400 naming the parameter ---
# bad NAME PARAM QUERY [ROUTE]: GET ROUTE?QUERY answers 400 with a message beginning "PARAM:"
bad() {
	_s=$(status -H "$AUTH" "$URL${4:-/api/v1/alerts}?$3")
	_m=$(json error.message)
	case "$_s $_m" in
	"400 $2:"*) ok "$1: 400 naming $2" ;;
	*) not_ok "$1: 400 naming $2" "got $_s: $(head -c 300 "$T/out")" ;;
	esac
}
long=$(head -c 300 /dev/zero | tr '\0' '7')
many=$(seq 200 | sed 's/^/p/; s/$/=1/' | paste -sd '&' -)
bad "a huge limit" limit "limit=100000000000000000000000"
bad "a limit over 1000" limit "limit=1001"
bad "a negative limit" limit "limit=-1"
bad "a 300-byte value" since "since=$long"
bad "200 parameters" p1 "$many"
bad "one parameter many times" limit "limit=1&limit=2&limit=3"
bad "bad UTF-8" producer "producer=%FF%FE3F9A0C21D4E5B6"
bad "a NUL" producer "producer=3F9A0C21%00D4E5B6A7"
bad "SQL in producer" producer "producer=%27%20OR%201%3D1--"
bad "SQL in type" type "type=duplicate%27%3B%20DROP%20TABLE%20alerts%3B--"
bad "a script in status" status "status=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
bad "a forged cursor" cursor "cursor=AQAAAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
bad "an impossible date" from "from=2026-02-30" /api/v1/batches
bad "an RFC 3339 time with a bad offset" to "to=2026-11-27T10:00:00%2B25:00" /api/v1/scans
bad "a script in by" by "by=%3Cscript%3E" /api/v1/stats
bad "an unknown parameter named by a script" parameter "%3Cscript%3E=1"
expect_eq "a script in a code: 400" 400 \
	"$(status -H "$AUTH" "$URL/api/v1/codes/%3Cscript%3Ealert(1)%3C%2Fscript%3E")"
expect_eq "no answer reflects a raw <script>" 0 "$(grep -c '<script' "$T/out")"

# --- the dashboard's HTML: nothing reflected unescaped ---
for q in "/code?code=%3Cscript%3Ealert(1)%3C%2Fscript%3E" \
	"/code?code=3F9A0C21D4E5B6A7-1%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E" \
	"?type=%3Cscript%3E&status=%22%3E%3Cscript%3E&producer=%3Cscript%3E&lang=%3Cscript%3E" \
	"?fail=1&why=%3Cscript%3Ealert(1)%3C%2Fscript%3E&done=%3Cscript%3E"; do
	s=$(status --interface 127.0.1.1 -b jar "$URL/dashboard$q")
	case "$s" in
	200 | 400)
		if grep -q '<script' "$T/out"; then
			not_ok "dashboard$q: no raw <script>" \
				"$(grep -o '.\{40\}<script.\{20\}' "$T/out" | head -3)"
		else
			ok "dashboard$q ($s): no raw <script> in the page"
		fi
		;;
	*) not_ok "dashboard$q: answered" "got $s" ;;
	esac
done
status --interface 127.0.1.1 -b jar "$URL/dashboard/code?code=%3Cscript%3Ex" >/dev/null
expect_grep "a typed code is shown back escaped" '&lt;script&gt;' "$T/out"

# --- tokens in the URL: refused, never logged ---
expect_eq "a token in the query string: 400" 400 "$(status "$URL/api/v1/alerts?token=$TOK")"
expect_eq "naming the parameter" token "$(json error.message | cut -d: -f1)"
expect_eq "with the header as well: 400" 400 \
	"$(status -H "$AUTH" "$URL/api/v1/alerts?access_token=$TOK")"
expect_eq "on the dashboard: 400" 400 "$(status "$URL/dashboard?token=$TOK")"

# --- slow connections on /api/v1/alerts ---
# slow.py N SECONDS PORT: N connections from 127.0.0.1, each with a partial request to
# /api/v1/alerts (its Authorization header unfinished) and one more byte every 0.2 s; touches
# slow.ready once all are open; prints "alive A", those temd still held at the end.
cat >slow.py <<'PY'
import socket, sys, time
n, secs, port = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.setblocking(False)
    s.send(b"GET /api/v1/alerts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tem_")
    socks.append(s)
open("slow.ready", "w").close()
end = time.time() + secs
while time.time() < end:
    time.sleep(0.2)
    for s in socks:
        try:
            s.send(b"a")
        except OSError:
            pass
alive = 0
for s in socks:
    try:
        s.recv(1)  # closed by temd (b""), or answered: not held
    except BlockingIOError:
        alive += 1  # open, nothing answered yet
    except OSError:
        pass
print("alive", alive)
PY
python3 slow.py 40 2 "$PORT" >slow.out &
SLOW=$!
PIDS="$PIDS $SLOW"
wait_for 10 test -e slow.ready
fast=0
for i in 1 2 3 4 5; do
	s=$(curl -s -m 1 -o /dev/null -w '%{http_code}' --interface 127.0.0.2 -H "$AUTH" \
		"$URL/api/v1/alerts?limit=5")
	[ "$s" = 200 ] && fast=$((fast + 1))
done
expect_eq "40 slow requests on /api/v1/alerts from 127.0.0.1: a regulator on 127.0.0.2 answered within 1 s, 5 times of 5" \
	5 "$fast"
wait "$SLOW" 2>/dev/null
expect_eq "and the 40 slow requests were held open meanwhile (not refused)" 40 \
	"$(awk '$1 == "alive" { print $2 }' slow.out)"

# --- wrong tokens: the sign-in limit of one network ---
for i in 1 2 3; do
	status -H "Authorization: Bearer tem_wrong$i" "$URL/api/v1/alerts" >/dev/null
done
expect_eq "the fourth wrong token from 127.0.0.1's network: 429" 429 \
	"$(status -H "Authorization: Bearer tem_wrong4" "$URL/api/v1/alerts")"
expect_grep "with Retry-After" '^Retry-After: [0-9]' "$T/hdr"
expect_eq "the dashboard's sign-in from that network: 429 too" 429 \
	"$(status --data-urlencode "token=$TOK" "$URL/dashboard/sign-in")"
expect_grep "with Retry-After" '^Retry-After: [0-9]' "$T/hdr"
expect_eq "127.0.1.1 (another network) with the right token: 200" 200 \
	"$(status --interface 127.0.1.1 -H "$AUTH" "$URL/api/v1/alerts")"

# --- no token in any log ---
expect_grep "the access log names the token's name" 'token=Thanh tra Cà Mau' access.log
leaks=0
for f in "$T/s.log" access.log; do
	grep -q -F -e "${TOK#tem_}" "$f" && leaks=$((leaks + 1))
	grep -q -F "tem_wrong" "$f" && leaks=$((leaks + 1))
done
expect_eq "no token, right or wrong, in temd's log or its access log" 0 "$leaks"
stop_temd TERM
expect_eq "temd stops cleanly" 0 "$TEMD_STATUS"
done_testing
