#!/bin/sh
# The dashboard on a real temd (docs/dashboard.md): without a session, the sign-in page; a wrong
# token, 401; the right one, a session cookie (HttpOnly, SameSite=Strict, Path) and 303; a staged
# duplicate shows in the alert queue, its workflow buttons move it to investigating and closed;
# forms posted from another site are refused; a producer's token shows nothing of another
# producer; strings from the ledger are escaped; a code's page gives its history; the page
# rendered by headless Chromium (through a loopback proxy giving it the cookie) shows the alert
# in its table.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
: "${TEMD:?TEMD must name the temd binary}"
cd "$T" || exit 1
make_authority "HTX Cua Năm Căn"
$TEM keygen -p q.pub -s q.key -W >/dev/null
$TEM trust add trust.list -p q.pub --name "Trại <b>Đầm Dơi</b>" >/dev/null 2>&1
$TEM trust sign trust.list -s a.key >/dev/null
$TEM issue -s p.key -n 5 --product "Cua gạch" -o b.txt -q
$TEM issue -s q.key -n 3 --product "Cua giống" -o q.txt -q
KEY=$(sed -n 's/^key-id: //p' b.txt)
QKEY=$(sed -n 's/^key-id: //p' q.txt)
FS=$(sed -n 's/^first-serial: //p' b.txt)
QFS=$(sed -n 's/^first-serial: //p' q.txt)
start_temd s --db l.db --trust trust.list --authority a.pub --duplicate-threshold 2 ||
	echo "# temd did not start: $(cat "$T/s.log")"
$TEM register b.txt --server "$URL" -q
$TEM register q.txt --server "$URL" -q
TOKEN=$($TEMD token create --db l.db --name so-khcn 2>/dev/null)
QTOKEN=$($TEMD token create --db l.db --name dam-doi --producer "$QKEY" 2>/dev/null)
[ -n "$TOKEN" ] && [ -n "$QTOKEN" ] || echo "# token create failed"

# get PATH [CURL ARGS...]: GET; body in page.html, status in status
get() {
	_p=$1
	shift
	curl -s -m 10 -o page.html -w '%{http_code}' "$@" "$URL$_p" >status
}
# post PATH DATA [CURL ARGS...]: a form POST from $ORIGIN (the dashboard's own origin unless
# set); headers in hdr
post() {
	_p=$1
	_d=$2
	shift 2
	curl -s -m 10 -o page.html -D hdr -w '%{http_code}' -H "Origin: ${ORIGIN:-$URL}" \
		--data "$_d" "$@" "$URL$_p" >status
}
location() { sed -n 's/^Location: *//Ip' hdr | tr -d '\r'; }

get /dashboard
expect_eq "without a session: 200" 200 "$(cat status)"
expect_grep "without a session: the sign-in page and its token field" 'name="token"' page.html
expect_grep "the sign-in page says where a token comes from" 'temd token create' page.html

post /dashboard/sign-in "token=not-a-token&lang=en"
expect_eq "a wrong token: 401" 401 "$(cat status)"
expect_grep "a wrong token: the sign-in page says so" 'This token was not accepted' page.html
if grep -qi '^Set-Cookie: tem_session' hdr; then
	not_ok "a wrong token gets no session"
else
	ok "a wrong token gets no session"
fi

post /dashboard/sign-in "token=$TOKEN&lang=en"
expect_eq "the right token: 303" 303 "$(cat status)"
expect_eq "to the dashboard" "/dashboard?lang=en" "$(location)"
SETC=$(sed -n 's/^Set-Cookie: *\(tem_session=.*\)/\1/Ip' hdr | tr -d '\r')
COOKIE=$(echo "$SETC" | cut -d';' -f1)
case "$SETC" in
*HttpOnly*SameSite=Strict* | *SameSite=Strict*HttpOnly*) ok "the session cookie is HttpOnly and SameSite=Strict" ;;
*) not_ok "the session cookie is HttpOnly and SameSite=Strict" "got: $SETC" ;;
esac
case "$SETC" in
*Path=/*) ok "the session cookie has a Path" ;;
*) not_ok "the session cookie has a Path" "got: $SETC" ;;
esac
ORIGIN=http://evil.example post /dashboard/sign-in "token=$TOKEN"
unset ORIGIN
expect_eq "a sign-in posted from another site: 403" 403 "$(cat status)"

# a staged duplicate: code 1 from four networks (threshold 2)
C1=$(code_at b.txt 1)
for n in 1 2 3 4; do scan "$C1" --interface "127.0.$n.1"; done
expect_eq "code 1 from four networks is a duplicate" duplicate "$(json verdict)"
# another producer's code, scanned once, and its own duplicate
Q1=$(code_at q.txt 1)
for n in 1 2 3 4; do scan "$Q1" --interface "127.0.$n.1"; done

get "/dashboard?lang=en" -b "$COOKIE"
expect_eq "with the session: 200" 200 "$(cat status)"
expect_grep "the queue shows the duplicate" '>Copied label<' page.html
expect_grep "its code links to its page" "/dashboard/code?code=$KEY-$FS&amp;lang=en" page.html
expect_grep "the signed-in token is named" 'Signed in: <strong>so-khcn</strong>' page.html
expect_grep "the producer's name is escaped" 'Trại &lt;b&gt;Đầm Dơi&lt;/b&gt;' page.html
if grep -q '<b>Đầm' page.html; then not_ok "no raw markup from the trust list"; else ok "no raw markup from the trust list"; fi
expect_grep "the chart is drawn" '<polyline class="line-s"' page.html
expect_grep "the producers table lists both" "$QKEY" page.html
ID=$(tr '>' '\n' <page.html | grep -A40 "id=\"a[0-9]*\"" |
	awk -v k="code=$KEY-$FS&" '/id="a[0-9]+"/ { match($0, /id="a[0-9]+"/); id = substr($0, RSTART + 5, RLENGTH - 6) } index($0, k) { print id; exit }')
[ -n "$ID" ] || echo "# no alert id found for $KEY-$FS"
get "/dashboard?lang=en&type=duplicate&status=closed" -b "$COOKIE"
expect_grep "filters: no closed duplicate yet" 'No alert matches the filters.' page.html

# the workflow
post "/dashboard/alerts/$ID" "status=investigating&reason=buyer-error&note=&lang=en&f_type=duplicate" -b "$COOKIE"
expect_eq "investigate: 303" 303 "$(cat status)"
expect_eq "back to the queue, filters kept, saying what was done" \
	"/dashboard?lang=en&type=duplicate&done=$ID&to=investigating#a$ID" "$(location)"
get "/dashboard?lang=en&status=investigating" -b "$COOKIE"
expect_grep "the alert is investigating" "id=\"a$ID\"" page.html
expect_grep "and says who moved it" 'so-khcn, ' page.html
post "/dashboard/alerts/$ID" "status=closed&lang=en" -b "$COOKIE"
expect_eq "closing without a reason is refused" "/dashboard?lang=en&fail=$ID&why=reason#a$ID" "$(location)"
post "/dashboard/alerts/$ID" "status=closed&reason=confirmed-counterfeit&note=B%E1%BA%AFt+gi%E1%BB%AF+%3Cscript%3E&lang=en" -b "$COOKIE"
expect_eq "close: 303" "/dashboard?lang=en&done=$ID&to=closed#a$ID" "$(location)"
get "/dashboard?lang=en&status=closed" -b "$COOKIE"
expect_grep "the alert is closed as confirmed counterfeit" 'Confirmed counterfeit' page.html
expect_grep "its note is kept, escaped" 'Bắt giữ &lt;script&gt;' page.html
get "/dashboard?lang=en&done=$ID&to=closed" -b "$COOKIE"
expect_grep "the step's outcome is shown" "Alert #$ID: Closed." page.html

# cross-site posts
for origin in "Origin: http://evil.example" "Origin: null" "Origin: $URL.evil.example"; do
	curl -s -m 10 -o page.html -w '%{http_code}' -H "$origin" -b "$COOKIE" \
		--data "status=open&lang=en" "$URL/dashboard/alerts/$ID" >status
	expect_eq "a workflow post with '$origin': 403" 403 "$(cat status)"
done
curl -s -m 10 -o page.html -w '%{http_code}' -H "Referer: http://evil.example/x" -b "$COOKIE" \
	--data "status=open&lang=en" "$URL/dashboard/alerts/$ID" >status
expect_eq "a workflow post referred by another site: 403" 403 "$(cat status)"
get "/dashboard?lang=en&status=closed" -b "$COOKIE"
expect_grep "the refused posts changed nothing" "id=\"a$ID\"" page.html
curl -s -m 10 -o page.html -w '%{http_code}' --data "status=open" "$URL/dashboard/alerts/$ID" >status
expect_eq "a workflow post without a session: 401" 401 "$(cat status)"

# a code's page
get "/dashboard/code?code=$KEY-$FS&lang=en" -b "$COOKIE"
expect_eq "a code's page: 200" 200 "$(cat status)"
expect_eq "its history has the four scans" 4 "$(grep -o '<td data-l="Verdict">' page.html | wc -l)"
expect_grep "the last was a possible copy" 'Possible copy</td>' page.html
get "/dashboard/code?code=%3Cscript%3E&lang=en" -b "$COOKIE"
expect_eq "not a code: 400" 400 "$(cat status)"
if grep -q '<script>' page.html; then not_ok "the query is escaped"; else ok "the query is escaped"; fi

# the CSV links open with the session cookie
get "/dashboard?lang=en" -b "$COOKIE"
for list in alerts producers batches stats scans; do
	href=$(grep -o "href=\"/dashboard/csv/$list?[^\"]*\"" page.html | head -1 | cut -d'"' -f2 | sed 's/&amp;/\&/g')
	curl -s -m 10 -o "$list.csv" -w '%{http_code} %{content_type}' -b "$COOKIE" "$URL$href" >status
	expect_eq "the $list CSV link ($href) opens with the session" "200 text/csv; charset=utf-8" "$(cat status)"
done
expect_grep "the alerts CSV has the duplicate" "$KEY-$FS" alerts.csv
curl -s -m 10 -o nosession.csv -w '%{content_type}' "$URL/dashboard/csv/alerts?format=csv" >status
expect_eq "a CSV link without a session: the sign-in page" "text/html; charset=utf-8" "$(cat status)"
if grep -q "$KEY" nosession.csv; then not_ok "and no CSV"; else ok "and no CSV"; fi

# a producer's token sees its own producer only
post /dashboard/sign-in "token=$QTOKEN&lang=en"
QCOOKIE=$(sed -n 's/^Set-Cookie: *\(tem_session=[^;]*\).*/\1/Ip' hdr | tr -d '\r')
get "/dashboard?lang=en" -b "$QCOOKIE"
expect_grep "a producer's dashboard shows its own alert" "code=$QKEY-$QFS&" page.html
if grep -q "$KEY" page.html || grep -q "HTX Cua Năm Căn" page.html; then
	not_ok "a producer's dashboard shows nothing of another producer" "$(grep -o ".\{60\}$KEY.\{20\}" page.html | head -3)"
else
	ok "a producer's dashboard shows nothing of another producer"
fi
get "/dashboard/code?code=$KEY-$FS&lang=en" -b "$QCOOKIE"
expect_eq "another producer's code: 404" 404 "$(cat status)"
if grep -q 'Scan history' page.html; then not_ok "and no history of it"; else ok "and no history of it"; fi
curl -s -m 10 -o q.csv -b "$QCOOKIE" "$URL/dashboard/csv/alerts?format=csv"
if grep -q "$KEY" q.csv; then not_ok "a producer's CSV has nothing of another producer"; else ok "a producer's CSV has nothing of another producer"; fi
expect_grep "but has its own alert" "$QKEY-$QFS" q.csv
post "/dashboard/alerts/$ID" "status=open&lang=en" -b "$QCOOKIE"
expect_eq "another producer's alert cannot be moved" "/dashboard?lang=en&fail=$ID&why=gone#a$ID" "$(location)"

# the page as a browser renders it (the proxy gives Chromium the cookie)
BROWSER=$(command -v chromium || command -v chromium-browser)
if [ -z "$BROWSER" ]; then
	not_ok "chromium is installed (make deps)"
else
	python3 "$HERE/cookie_proxy.py" "$T/proxy.port" "$URL" "$COOKIE" &
	PIDS="$PIDS $!"
	wait_for 10 test -s "$T/proxy.port"
	PROXY="http://127.0.0.1:$(cat "$T/proxy.port")"
	timeout 60 "$BROWSER" --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
		--window-size=1366,1000 --screenshot="$T/dash.png" "$PROXY/dashboard?lang=en" >/dev/null 2>&1
	timeout 60 "$BROWSER" --headless=new --no-sandbox --disable-gpu \
		--dump-dom "$PROXY/dashboard?lang=en" >dom.html 2>/dev/null
	if [ -s "$T/dash.png" ] && [ "$(wc -c <"$T/dash.png")" -gt 20000 ]; then
		ok "Chromium renders the dashboard ($(wc -c <"$T/dash.png") bytes of PNG)"
	else
		not_ok "Chromium renders the dashboard" "png: $(wc -c <"$T/dash.png" 2>/dev/null) bytes"
	fi
	[ -n "${DASH_PNG:-}" ] && cp "$T/dash.png" "$DASH_PNG"
	# the rendered table's row of the alert: its type, code and status, in that order
	if tr -d '\n' <dom.html | grep -q "<tr id=\"a$ID\">.*>Copied label<.*$KEY-$FS</a>.*>Closed<"; then
		ok "the rendered alert table shows the closed duplicate"
	else
		not_ok "the rendered alert table shows the closed duplicate" "dom: $(head -c 300 dom.html)"
	fi
fi

post /dashboard/sign-out "lang=en" -b "$COOKIE"
expect_eq "sign out: 303" 303 "$(cat status)"
expect_grep "sign out ends the cookie" 'Max-Age=0' hdr
done_testing
