#!/bin/sh
# API tokens on a real temd: `temd token create|list|revoke` while temd runs on the same
# ledger; GET /api/v1/token answers 200 for a token in force and one 401 (with
# WWW-Authenticate: Bearer, no hint which) for none, a wrong, an expired and a revoked one; a
# token in the URL is refused; failed attempts are limited per network (429 with Retry-After);
# no token ever reaches temd's log, its access log or `temd token list`.
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
cd "$T" || exit 1
export TZ=UTC
# faketime preloads its library; under make check AddressSanitizer must accept not coming first
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
make_authority "HTX Năm Căn" || exit 1
KEYID=$(awk '$1 == "producer" { print $2; exit }' trust.list)

run_expect 2 "create refuses a missing ledger" $TEMD token create --db none.db --name a
expect_grep "and says so" 'no ledger there' "$T/err"
expect_no_file "and makes none" none.db
: >empty.db
run_expect 2 "create refuses a file that is not a ledger" $TEMD token create --db empty.db --name a
expect_grep "and says so" 'not a tem ledger' "$T/err"

# get STATUS_FILE CURL_ARGS...: GET /api/v1/token; the body in $T/out, the headers in $T/hdr
get() {
	curl -s -m 10 -D "$T/hdr" -o "$T/out" -w '%{http_code}' "$@" "$URL/api/v1/token"
}

start_temd s --db l.db --trust trust.list --authority a.pub --access-log access.log \
	--rate-limit signins=3/m || exit 1

# tokens made while temd runs (it holds LEDGER.lock: the command never takes it)
check "create while temd runs" $TEMD token create --db l.db --name "Sở KH&CN Cà Mau"
TOK=$(cat "$T/out")
expect_eq "the token alone on stdout, tem_ and 43 base64url characters" 1 \
	"$(grep -c '^tem_[A-Za-z0-9_-]\{43\}$' "$T/out")"
check "a producer token with an expiry" $TEMD token create --db l.db --name producer \
	--producer "$KEYID" --expires 2099-12-31
PTOK=$(cat "$T/out")
run_expect 1 "a name in force already is refused" $TEMD token create --db l.db \
	--name "Sở KH&CN Cà Mau"
expect_grep "and says so" 'in force already' "$T/err"
for bad in "" "tab$(printf '\t')name" "$(printf 'a%.0s' $(seq 65))" "$(printf 'bidi\342\200\256')"; do
	run_expect 2 "a bad name is refused: '$(printf '%s' "$bad" | head -c 12)'" \
		$TEMD token create --db l.db --name "$bad"
done
run_expect 2 "a bad key id is refused" $TEMD token create --db l.db --name x --producer 12
run_expect 2 "a bad date is refused" $TEMD token create --db l.db --name x --expires 2026-13-01
run_expect 2 "a day over already is refused" $TEMD token create --db l.db --name x \
	--expires 2020-01-01
# made in 2020 to expire in 2020: temd, on today's clock, sees it expired
check "an expired token (made with the clock in 2020)" env \
	LD_PRELOAD="$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -n 1)" \
	FAKETIME="@2020-01-01 00:00:00" $TEMD token create --db l.db --name old --expires 2020-01-02
OTOK=$(cat "$T/out")
check "a token to revoke" $TEMD token create --db l.db --name gone
RTOK=$(cat "$T/out")

expect_eq "a right token: 200" 200 "$(get -H "Authorization: Bearer $TOK")"
expect_eq "it is named" "Sở KH&CN Cà Mau" "$(json name)"
expect_eq "it sees every producer" null "$(json producer)"
expect_eq "it never expires" null "$(json expires)"
expect_eq "the scheme's case does not matter" 200 "$(get -H "Authorization: bearer $TOK")"
expect_eq "a producer token: 200" 200 "$(get -H "Authorization: Bearer $PTOK")"
expect_eq "its producer is reported" "$KEYID" "$(json producer)"
expect_eq "its expiry is the end of 2099-12-31 in Vietnam" "2099-12-31T17:00:00Z" "$(json expires)"
expect_eq "the token to revoke works before" 200 "$(get -H "Authorization: Bearer $RTOK")"
check "revoke while temd runs" $TEMD token revoke --db l.db gone
run_expect 1 "revoking it again says there is none" $TEMD token revoke --db l.db gone

# refusals: one answer, whatever the cause (3 failures a minute: the 4th is refused unseen)
: >codes401
for c in "none|" "wrong|Authorization: Bearer tem_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
	"expired|Authorization: Bearer $OTOK"; do
	name=${c%%|*}
	h=${c#*|}
	if [ -z "$h" ]; then s=$(get); else s=$(get -H "$h"); fi
	expect_eq "$name token: 401" 401 "$s"
	expect_grep "$name token: WWW-Authenticate: Bearer" '^WWW-Authenticate: Bearer' "$T/hdr"
	cat "$T/out" >>codes401
done
expect_eq "one body for every refusal" 1 "$(sort -u codes401 | wc -l)"
expect_grep "which says how to call" '"code":"unauthorized"' codes401
expect_eq "a revoked token: 401 (the third failure)" 401 \
	"$(get -H "Authorization: Bearer $RTOK")"
expect_eq "the fourth failure of the network: 429" 429 "$(get -H "Authorization: Bearer tem_x")"
expect_grep "with Retry-After" '^Retry-After: [0-9]' "$T/hdr"
expect_eq "a right token from that network is not even checked now" 429 \
	"$(get -H "Authorization: Bearer $TOK")"
expect_eq "no credentials at all are no attempt: 401" 401 "$(get)"

expect_eq "a token in the query string: 400" 400 "$(curl -s -o "$T/out" -w '%{http_code}' \
	"$URL/api/v1/token?token=$TOK")"
expect_eq "naming the parameter" "token: API tokens go in the Authorization header, never in the URL" \
	"$(json error.message)"
expect_eq "access_token too" 400 "$(curl -s -o "$T/out" -w '%{http_code}' \
	"$URL/api/v1/token?access_token=x")"
expect_eq "the token route takes GET only" 405 "$(curl -s -o /dev/null -w '%{http_code}' \
	-X POST "$URL/api/v1/token")"

# concurrent creates while temd answers scans
$TEM issue -s p.key -n 3 --product "Cua Cà Mau" --url "$URL" -o b.txt -q
$TEM register b.txt --server "$URL" -q
C=$(code_at b.txt 1)
pids=""
for i in 1 2 3 4 5 6; do
	$TEMD token create --db l.db --name "batch $i" >"tok$i" 2>"err$i" &
	pids="$pids $!"
done
for i in 1 2 3 4 5 6; do scan "$C"; done
fails=0
for p in $pids; do wait "$p" || fails=$((fails + 1)); done
expect_eq "six creates at once beside temd's scans all succeed" 0 "$fails"
expect_eq "and scans go on" 200 "$(cat "$T/status")"
$TEMD token list --db l.db >list.txt
expect_eq "list shows every token, revoked included" 10 "$(tail -n +2 list.txt | wc -l)"
expect_grep "with its scope" "^producer	$KEYID	" list.txt
expect_grep "and its revocation" "^gone	all	.*	never	20" list.txt
expect_eq "list never prints a token" 0 "$(grep -c 'tem_' list.txt)"
expect_grep "the access log names a regulator's request by its token's name" \
	' GET /api/v1/token 200 [0-9]* token=Sở KH&CN Cà Mau$' access.log
expect_grep "temd's log names the token's requests" 'api: token "producer": GET /api/v1/token 200' \
	"$T/s.log"
leaks=0
for f in "$T/s.log" access.log; do
	for k in "$TOK" "$PTOK" "$OTOK" "$RTOK"; do
		grep -qF -- "${k#tem_}" "$f" && leaks=$((leaks + 1))
	done
done
expect_eq "no token in temd's log or its access log" 0 "$leaks"
stop_temd TERM
expect_eq "temd stops cleanly" 0 "$TEMD_STATUS"
check "create on a stopped temd's ledger" $TEMD token create --db l.db --name later
check "token --help" $TEMD token --help
check "token create --help" $TEMD token create --help
expect_grep "which documents --producer" 'producer KEYID' "$T/out"
done_testing
