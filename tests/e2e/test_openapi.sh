#!/bin/sh
# docs/openapi.yaml against a real temd: every documented route and status the test can
# provoke is called with a real HTTP client and its answer checked by tests/openapi/contract.py
# (status documented, Content-Type one of its media types, the body valid against its JSON
# Schema, required headers there); an operation or status of the spec that no probe reached
# fails unless contract.py says why it cannot be provoked, and every route of temd's route table
# must be in the spec. A second temd with every rate limit at 1 an hour gives the 429s. The
# regulator routes are checked when temd can make tokens (temd token create).
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cd "$T" || exit 1

if ! python3 -c 'import jsonschema, yaml' 2>/dev/null; then
	not_ok "python3 has jsonschema and yaml (make deps installs python3-jsonschema, python3-yaml)"
	done_testing
	exit 1
fi
make_authority "HTX Cua Năm Căn"
$TEM issue -s p.key -n 8 --product "Cua gạch" -o b.txt -q &&
	$TEM issue -s p.key -n 2 --product "Cua gạch" -o nc.txt --no-claim -q &&
	$TEM issue -s p.key -n 2 --product "Cua thịt" -o new.txt -q &&
	mkdir old && cp p.key old/ && # a key whose serial counter was lost
	$TEM issue -s old/p.key -n 2 --product "Cua thịt" -o ov.txt --first-serial 2 -q &&
	$TEM keygen -p q.pub -s q.key -W >/dev/null &&
	$TEM issue -s q.key -n 1 --product "Cua giả" -o unknown.txt -q
check "the batches are issued" test -s ov.txt -a -s unknown.txt

start_temd s --db l.db --trust trust.list --authority a.pub ||
	echo "# temd did not start: $(cat "$T/s.log")"
check "b.txt registers" $TEM register b.txt --server "$URL" -q
check "nc.txt registers" $TEM register nc.txt --server "$URL" -q
MAIN_URL=$URL
MAIN_METRICS=$METRICS_URL
start_temd lim --db l2.db --trust trust.list --authority a.pub \
	--rate-limit scans=1/h,claims=1/h,batches=1/h,signins=1/h ||
	echo "# the rate-limited temd did not start: $(cat "$T/lim.log")"
LIM_URL=$URL
URL=$MAIN_URL

KEY=$(sed -n 's/^key-id: //p' b.txt)
FS=$(sed -n 's/^first-serial: //p' b.txt)
# header FILE: its header as JSON text; claimkey FILE: its batch's claim key
header() { sed -n "1,$(header_lines "$1")p" "$1" | jq -Rs .; }
claimkey() { sed -n 's/^claim-key: //p' "$1.claim"; }

# regulator tokens, when this temd makes them: a regulator's and a producer's
TOKEN=$($TEMD token create --db l.db --name contract 2>/dev/null | tail -n 1) || TOKEN=""
PTOKEN=$($TEMD token create --db l.db --name producer --producer "$KEY" 2>/dev/null |
	tail -n 1) || PTOKEN=""
API=false
[ -f "$SRC/server/routes_api.c" ] && API=true
DASHBOARD=false
[ -f "$SRC/server/routes_dashboard.c" ] && DASHBOARD=true
# a staged duplicate: code 6 scanned from four networks raises an alert
for n in 30 31 32 33; do scan "$(code_at b.txt 6)" --interface "127.0.$n.1"; done
expect_eq "the fourth network's scan is a duplicate" duplicate "$(json verdict)"
ROUTES=$SRC/server/routes.c
[ -f "$ROUTES" ] || ROUTES=$SRC/server/http.c

cat >fixtures.json <<JSON
{
  "url": "$MAIN_URL", "murl": "$MAIN_METRICS", "lurl": "$LIM_URL",
  "keyid": "$KEY",
  "code": "$(code_at b.txt 1)",
  "home_id": "$KEY-$((FS + 1))", "home_pin": "$(pin b.txt.claim $((FS + 1)))",
  "form_code": "$(code_at b.txt 3)", "form_pin": "$(pin b.txt.claim $((FS + 2)))",
  "claim_code": "$(code_at b.txt 4)", "claim_pin": "$(pin b.txt.claim $((FS + 3)))",
  "guess_code": "$(code_at b.txt 5)",
  "nopin_code": "$(code_at nc.txt 1)",
  "wrong_pin": "0000000000",
  "header_registered": $(header b.txt), "claim_key_registered": "$(claimkey b.txt)",
  "header_new": $(header new.txt), "claim_key_new": "$(claimkey new.txt)",
  "header_overlap": $(header ov.txt), "claim_key_overlap": "$(claimkey ov.txt)",
  "header_unknown": $(header unknown.txt),
  "token": "$TOKEN", "ptoken": "$PTOKEN", "api": $API, "dashboard": $DASHBOARD,
  "routes_src": "$ROUTES"
}
JSON
check "the fixtures are JSON" jq -e .code fixtures.json

python3 "$SRC/tests/openapi/contract.py" "$SRC/docs/openapi.yaml" fixtures.json "$_n" count
read -r _n _failed <count || not_ok "contract.py wrote its count"
done_testing
