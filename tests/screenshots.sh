#!/bin/sh
# make screenshots: every buyer page, in Vietnamese and English, as a phone shows it (headless
# Chromium at 390x844), written to screenshots/VERDICT-LANG.png; then the regulators' dashboard
# on a laptop and a phone, and a code's page (screenshots/dashboard*-LANG.png). Each verdict is reached for
# real on a temd on loopback (other buyers are other loopback networks), and the page Chromium
# rendered must carry the verdict's words. TAP output; run through tests/run.sh, which ends
# with "N passed, N failed".
set -u
: "${TEM:?run through make screenshots}"
: "${TEMD:?run through make screenshots}"
OUT=${SCREENSHOTS:-$(pwd)/screenshots}
BROWSER=$(command -v chromium || command -v chromium-browser) || {
	echo "screenshots: chromium is not installed"
	exit 2
}
. "$(dirname "$0")/e2e/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$T" || exit 1
mkdir -p "$OUT"
make_authority "HTX Cua Năm Căn"
$TEM keygen -p r.pub -s r.key -W >/dev/null
$TEM keygen -p u.pub -s u.key -W >/dev/null
$TEM trust add trust.list -p r.pub --name "Trại giống Đầm Dơi" >/dev/null
issue() { # KEY N OUT [ARGS]
	k=$1 n=$2 o=$3
	shift 3
	$TEM issue -s "$k" -n "$n" --product "Cua gạch loại 1" --producer "HTX Cua Năm Căn" \
		--url http://127.0.0.1:8080 -o "$o" -q "$@"
}
issue p.key 8 b.txt --valid-days 30
issue p.key 1 unreg.txt --valid-days 30
issue r.key 1 r.txt
issue u.key 1 u.txt
# a batch that expired yesterday: issued 40 days ago for 30 days
faketime "$(date -u -d '40 days ago' '+%Y-%m-%d %H:%M:%S')" $TEM issue -s p.key -n 1 \
	--product "Cua gạch loại 1" --valid-days 30 -o old.txt -q
# the second producer's key is revoked today: its unregistered codes are `revoked`
$TEM trust revoke trust.list "$(sed -n 's/^key-id: //p' r.txt)" >/dev/null
$TEM trust sign trust.list -s a.key >/dev/null
start_temd s --db l.db --trust trust.list --authority a.pub --contact "Zalo 0290 3 123 456" ||
	{ echo "screenshots: temd did not start: $(cat "$T/s.log")"; exit 2; }
for f in b.txt old.txt; do $TEM register "$f" --server "$URL" -q; done
others() { # CODE N: N other buyers, each on its own network, scan CODE
	_i=1
	while [ "$_i" -le "$2" ]; do
		curl -s -m 10 -o /dev/null --interface "127.0.$((10 + _i)).1" \
			-H 'Content-Type: application/json' --data-binary "{\"code\":\"$1\"}" \
			"$URL/api/v1/scans"
		_i=$((_i + 1))
	done
}
others "$(code_at b.txt 2)" 1
others "$(code_at b.txt 3)" 3
SOLD=$(code_at b.txt 4)
FS=$(sed -n 's/^first-serial: //p' b.txt)
curl -s -m 10 -o /dev/null --interface 127.0.20.1 -H 'Content-Type: application/json' \
	--data-binary "{\"code\":\"$SOLD\",\"pin\":\"$(pin b.txt.claim $((FS + 3)))\"}" "$URL/api/v1/claims"
code_at b.txt 5 >c.txt
FORGED=$(change_char 1 120 c.txt)

shoot() { # NAME PATH WORDS_VI WORDS_EN
	for lang in vi en; do
		words=$3
		[ "$lang" = en ] && words=$4
		png="$OUT/$1-$lang.png"
		rm -f "$png"
		# a phone's screen; each load is one navigation from this machine's network
		timeout 60 "$BROWSER" --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
			--window-size=390,844 --lang="$lang" --screenshot="$png" \
			"$URL$2?lang=$lang" >/dev/null 2>&1
		timeout 60 "$BROWSER" --headless=new --no-sandbox --disable-gpu --lang="$lang" \
			--dump-dom "$URL$2?lang=$lang" >"$T/dom.html" 2>/dev/null
		if [ -s "$png" ] && [ "$(wc -c <"$png")" -gt 5000 ] && grep -q "$words" "$T/dom.html"; then
			ok "$1 ($lang): $png shows '$words'"
		else
			not_ok "$1 ($lang): a screenshot showing '$words'" "png: $(wc -c <"$png" 2>/dev/null) bytes" \
				"page: $(head -c 300 "$T/dom.html")"
		fi
	done
}
shoot genuine "/c/$(code_at b.txt 1)" "Hàng chính hãng" "Genuine"
shoot seen "/c/$(code_at b.txt 2)" "Đã có người quét mã này" "Scanned before"
shoot duplicate "/c/$(code_at b.txt 3)" "tem có thể bị sao chép" "this label may be a copy"
shoot sold "/c/$SOLD" "Sản phẩm đã được bán" "Already sold"
shoot unregistered "/c/$(code_at unreg.txt 1)" "Mã chưa được khai báo" "Code not declared"
shoot expired "/c/$(code_at old.txt 1)" "Tem đã hết hạn" "Label expired"
shoot revoked "/c/$(code_at r.txt 1)" "Nhà sản xuất đã bị ngừng công nhận" "Producer no longer recognised"
shoot unknown-key "/c/$(code_at u.txt 1)" "Nhà sản xuất không được công nhận" "Producer not recognised"
shoot invalid "/c/$FORGED" "Tem giả" "Fake label"
shoot malformed "/c/NOT-A-CODE" "Không phải mã tem" "Not a tem code"
shoot home "/" "Kiểm tra tem" "Check a label"

# The dashboard (docs/dashboard.md) as the authority sees it after the scans above, on a laptop
# and on a phone: signed in with a token, through a loopback proxy that gives Chromium the
# session cookie; each shot's DOM must show the alert queue's words.
TOKEN=$($TEMD token create --db l.db --name so-khcn 2>/dev/null)
curl -s -m 10 -o /dev/null -D "$T/signin.hdr" -H "Origin: $URL" --data "token=$TOKEN" \
	"$URL/dashboard/sign-in"
COOKIE=$(sed -n 's/^Set-Cookie: *\(tem_session=[^;]*\).*/\1/Ip' "$T/signin.hdr" | tr -d '\r')
python3 "$HERE/e2e/cookie_proxy.py" "$T/proxy.port" "$URL" "$COOKIE" &
PIDS="$PIDS $!"
wait_for 10 test -s "$T/proxy.port"
PROXY="http://127.0.0.1:$(cat "$T/proxy.port" 2>/dev/null)"
shoot_dash() { # NAME PATH SIZE WORDS_VI WORDS_EN
	for lang in vi en; do
		words=$4
		[ "$lang" = en ] && words=$5
		png="$OUT/$1-$lang.png"
		rm -f "$png"
		timeout 60 "$BROWSER" --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
			--window-size="$3" --screenshot="$png" "$PROXY$2lang=$lang" >/dev/null 2>&1
		timeout 60 "$BROWSER" --headless=new --no-sandbox --disable-gpu \
			--dump-dom "$PROXY$2lang=$lang" >"$T/dom.html" 2>/dev/null
		if [ -s "$png" ] && [ "$(wc -c <"$png")" -gt 20000 ] && grep -q "$words" "$T/dom.html"; then
			ok "$1 ($lang): $png shows '$words'"
		else
			not_ok "$1 ($lang): a screenshot showing '$words'" "png: $(wc -c <"$png" 2>/dev/null) bytes" \
				"page: $(head -c 300 "$T/dom.html")"
		fi
	done
}
shoot_dash dashboard "/dashboard?" 1366,1100 ">Tem bị sao chép<" ">Copied label<"
shoot_dash dashboard-phone "/dashboard?" 390,844 ">Quét sau khi đã bán<" ">Scanned after sale<"
DUP=$(sed -n 's/^key-id: //p' b.txt)-$(($(sed -n 's/^first-serial: //p' b.txt) + 2))
shoot_dash dashboard-code "/dashboard/code?code=$DUP&" 1366,900 "Lịch sử quét" "Scan history"
done_testing
