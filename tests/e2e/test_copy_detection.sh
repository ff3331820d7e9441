#!/bin/sh
# Copy detection on a real temd (docs/verdicts.md): from one address, User-Agent changes, forged
# cookies, HEAD, link-preview agents, <img>-style and prefetch requests never add a client (and
# the last four record nothing); four apps on two networks stay seen; a cookie temd issued
# links one buyer's networks, at most three; X-Forwarded-For is believed only from a trusted
# proxy, and then its rightmost address that is not a proxy. Counts are read via the JSON API.
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
cd "$T" || exit 1
make_authority "HTX Năm Căn"
$TEM issue -s p.key -n 10 --product "Cua Cà Mau" --url http://127.0.0.1:8080 -o b.txt -q
start_temd c --db l.db --trust trust.list --authority a.pub ||
	echo "# temd did not start: $(cat "$T/c.log")"
$TEM register b.txt --server "$URL" -q

SAFARI='Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Mobile/15E148 Safari/604.1'
CHROME='Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 Chrome/126.0.0.0 Mobile Safari/537.36'
ZALO='Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Zalo iOS/24.07.01 ZaloTheme/light ZaloLanguage/vn'
FBIAB='Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 [FBAN/FBIOS;FBAV/470.0.0.34.109]'
# page CODE [CURL ARGS...]: GETs the buyer's page (English); status and body size to $T/page.st
page() {
	_c=$1
	shift
	curl -s -m 10 -o "$T/page.html" -w '%{http_code} %{size_download}' "$@" \
		"$URL/c/$_c?lang=en" >"$T/page.st"
}
counts() { echo "$(json verdict) $(json scans) $(json clients)"; }

# One address, one machine: no User-Agent, cookie or request kind makes a second client.
A=$(code_at b.txt 1)
scan "$A"
expect_eq "a first scan: genuine, one client" "genuine 1 1" "$(counts)"
for ua in "$SAFARI" "$CHROME" "$ZALO" "$FBIAB" "curl/8.0" "x$(date +%N)"; do
	page "$A" -A "$ua"
done
expect_eq "the pages were served" "200" "$(cut -d' ' -f1 "$T/page.st")"
for forged in "tem_client=$(head -c 48 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')" \
	"tem_client=00112233445566778899aabbccddeeff" "tem_client=../../etc" "tem_client="; do
	page "$A" -b "$forged" -A "$CHROME"
done
scan "$A"
expect_eq "six User-Agents and four forged cookies from one address: still one client" \
	"genuine 12 1" "$(counts)"
if grep -q 'may be a copy' page.html; then
	not_ok "no page warned of a copy"
else
	ok "no page warned of a copy"
fi

# Not a person's scan: served, recorded nowhere, even from other networks.
page "$A" -I -A "$CHROME"
expect_eq "HEAD: 200 with no body" "200 0" "$(cat "$T/page.st")"
page "$A" -I --interface 127.0.7.1
expect_eq "HEAD from another network: 200 with no body" "200 0" "$(cat "$T/page.st")"
n=0
for bot in "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)" \
	"Facebot" "Zalobot/1.0 (+https://zalo.me)" "WhatsApp/2.24.6.77 A" \
	"TelegramBot (like TwitterBot)" "Twitterbot/1.0" \
	"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)" \
	"Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)" \
	"LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)" \
	"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" \
	"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)" \
	"Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5" \
	"Mozilla/5.0 Viber/21.0"; do
	n=$((n + 1))
	page "$A" -A "$bot" --interface "127.0.$((20 + n)).1"
	[ "$(cut -d' ' -f1 "$T/page.st")" = 200 ] || not_ok "link preview $bot is served" "$(cat "$T/page.st")"
done
expect_grep "a link preview gets the page" 'lang="en"' page.html
page "$A" -A "$CHROME" -H 'Sec-Fetch-Dest: image' --interface 127.0.8.1
expect_eq "an <img> request (Sec-Fetch-Dest: image) is served" "200" "$(cut -d' ' -f1 "$T/page.st")"
page "$A" -A "$CHROME" -H 'Sec-Fetch-Dest: iframe' --interface 127.0.8.2
page "$A" -A "$CHROME" -H 'Sec-Fetch-Dest: document' -H 'Sec-Purpose: prefetch' --interface 127.0.9.1
page "$A" -A "$CHROME" -H 'Sec-Purpose: prefetch;prerender' --interface 127.0.10.1
page "$A" -A "$CHROME" -H 'Purpose: prefetch' --interface 127.0.11.1
scan "$A"
expect_eq "HEAD, $n link previews, <img>, iframe and prefetches recorded nothing" "genuine 13 1" "$(counts)"
expect_eq "the ledger has exactly the counted scans" "13" \
	"$(ledger_sql l.db "select sum(scans) from code_scans where serial = 1")"

# A buyer with four apps (no shared cookies) on two networks: seen, never duplicate.
B=$(code_at b.txt 2)
for net in 127.0.5.1 127.0.6.1; do
	for ua in "$SAFARI" "$ZALO" "$CHROME" "$FBIAB"; do
		page "$B" -A "$ua" --interface "$net"
		if grep -q 'may be a copy' page.html; then not_ok "app on $net warned of a copy: $ua"; fi
	done
done
scan "$B" --interface 127.0.6.1
expect_eq "four apps on two networks: seen by two clients, not duplicate" "seen 9 2" "$(counts)"

# The cookie temd issues links one buyer's networks: Wi-Fi, then 4G, then a café.
C=$(code_at b.txt 3)
curl -s -m 10 -o /dev/null -D hdr.txt -c jar.txt -A "$SAFARI" --interface 127.0.5.1 "$URL/c/$C"
expect_grep "a first visit gets the tem_client cookie" '^[Ss]et-[Cc]ookie: tem_client=[A-Za-z0-9_-]\{64\};' hdr.txt
expect_grep "HttpOnly, SameSite=Lax, long-lived" 'HttpOnly; SameSite=Lax' hdr.txt
expect_grep "for two years" 'Max-Age=63072000' hdr.txt
if grep -qi 'secure' hdr.txt; then not_ok "not Secure over http"; else ok "not Secure over http"; fi
curl -s -m 10 -o /dev/null -D hdr2.txt -b jar.txt -A "$SAFARI" --interface 127.0.6.1 "$URL/c/$C"
if grep -qi '^set-cookie' hdr2.txt; then
	not_ok "a browser with its cookie gets no new one"
else
	ok "a browser with its cookie gets no new one"
fi
scan "$C" -b jar.txt --interface 127.0.6.1
expect_eq "the cookie links the buyer's two networks into one client" "genuine 3 1" "$(counts)"
scan "$C" -b jar.txt --interface 127.0.7.1
expect_eq "a third network with the same cookie: still one client" "genuine 4 1" "$(counts)"
scan "$C" -b jar.txt --interface 127.0.8.1
expect_eq "a fourth: the cookie links nothing any more" "duplicate 5 4" "$(counts)"
# a cookie cannot be moved to another code's networks to merge them: each code counts its own
D=$(code_at b.txt 4)
scan "$D" --interface 127.0.5.1
scan "$D" --interface 127.0.6.1
expect_eq "without the cookie, two networks are two clients" "seen 2" "$(json verdict) $(json clients)"

# X-Forwarded-For: ignored without --trust-proxy.
E=$(code_at b.txt 5)
for a in 203.0.113.1 198.51.100.2 192.0.2.3 100.64.4.4; do
	scan "$E" -H "X-Forwarded-For: $a"
done
expect_eq "without --trust-proxy, X-Forwarded-For makes no client" "genuine 4 1" "$(counts)"
stop_temd TERM

run_expect 2 "--trust-proxy refuses a host name" $TEMD --db x.db --trust trust.list \
	--authority a.pub --trust-proxy proxy.example
expect_grep "and says why" "'proxy.example' is not an IPv4 or IPv6 address" "$T/err"
run_expect 2 "--trust-proxy refuses a bad prefix length" $TEMD --db x.db --trust trust.list \
	--authority a.pub --trust-proxy 127.0.0.0/40
run_expect 2 "--trust-proxy needs a value" $TEMD --db x.db --trust trust.list \
	--authority a.pub --trust-proxy

start_temd p --db l.db --trust trust.list --authority a.pub --trust-proxy 127.0.0.1,10.0.0.0/8
F=$(code_at b.txt 6)
scan "$F" -H "X-Forwarded-For: 203.0.113.9"
expect_eq "behind a trusted proxy: the address it saw" "genuine 1 1" "$(counts)"
scan "$F" -H "X-Forwarded-For: 198.51.100.7, 203.0.113.10"
scan "$F" -H "X-Forwarded-For: 192.0.2.1, 100.64.0.1, 203.0.113.11"
scan "$F" -H "X-Forwarded-For: 192.0.2.1" -H "X-Forwarded-For: 203.0.113.12"
scan "$F" -H "X-Forwarded-For: 192.0.2.1" -H "X-Forwarded-For: 203.0.113.13, 10.1.2.3"
expect_eq "addresses a client writes left of the proxy's are ignored (one or many lines)" \
	"genuine 5 1" "$(counts)"
scan "$F" --interface 127.0.5.1 -H "X-Forwarded-For: 198.51.100.7"
scan "$F" --interface 127.0.5.2 -H "X-Forwarded-For: 192.0.2.7"
expect_eq "an untrusted peer's X-Forwarded-For is ignored: its own network" "seen 7 2" "$(counts)"
scan "$F" -H "X-Forwarded-For: 198.51.100.20"
expect_eq "another network behind the proxy is another client" "seen 8 3" "$(counts)"
stop_temd TERM
expect_eq "temd stopped cleanly" "0" "$TEMD_STATUS"
done_testing
