#!/bin/sh
# Expiry is a calendar day in Vietnam time (UTC+7): a code whose last day is 2026-12-11 is valid
# until 23:59:59 that day in Cà Mau (16:59:59 UTC) and expired from 00:00 on 12/12 (17:00 UTC),
# in tem and temd alike. The clock is moved with faketime, as a real clock would be.
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
cd "$T" || exit 1
export TZ=UTC
# faketime preloads its library; under make check AddressSanitizer must accept not coming first
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
at() { # "YYYY-MM-DD HH:MM:SS" (UTC) CMD...: runs CMD with the clock at that moment
	_when=$1
	shift
	faketime "$_when" "$@"
}
$TEM keygen -p a.pub -s a.key -W >/dev/null
$TEM keygen -p p.pub -s p.key -W >/dev/null
$TEM trust init -o trust.list --authority "Sở Khoa học và Công nghệ Cà Mau" >/dev/null
at "2026-12-01 00:00:00" $TEM trust add trust.list -p p.pub --name "HTX Năm Căn" --from 2026-12-01 >/dev/null
$TEM trust sign trust.list -s a.key >/dev/null
check "a batch valid to 2026-12-11 is issued" at "2026-12-01 03:00:00" $TEM issue -s p.key -n 2 \
	--product "Cua Cà Mau" --url http://127.0.0.1:8080 --expires 2026-12-11 -o b.txt -q
C=$(code_at b.txt 1)

# tem verify, offline
check "tem: genuine at 23:59 on the last day in Cà Mau (16:59 UTC)" \
	at "2026-12-11 16:59:00" $TEM verify -p p.pub "$C"
run_expect 1 "tem: expired at 00:00 the next day in Cà Mau (17:00 UTC)" \
	at "2026-12-11 17:00:00" $TEM verify -p p.pub "$C"
expect_grep "and says expired" 'expired' "$T/out"
# --valid-days counts from today in Cà Mau: at 18:00 UTC on 12/01 it is already 12/02 there
check "tem issue --valid-days counts from the day in Cà Mau" at "2026-12-01 18:00:00" \
	$TEM issue -s p.key -n 1 --product "Cua Cà Mau" --valid-days 1 -o v.txt -q
expect_grep "the last day is 12/03 (12/02 in Cà Mau, plus one)" '^expires: 2026-12-03$' v.txt

# temd: the same moments, a real server each time on the same ledger
for moment in "2026-12-11 16:59:00|genuine" "2026-12-11 17:00:00|expired"; do
	when=${moment%|*}
	want=${moment#*|}
	: >"$T/s.log"
	rm -f "$T/s.port"
	# faketime's library preloaded into temd itself (the faketime command would stand between,
	# and a SIGTERM to it never reaches temd, whose ledger lock then refuses the next start)
	LD_PRELOAD=$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -n 1) FAKETIME="@$when" \
		"$TEMD" --listen 127.0.0.1:0 --port-file "$T/s.port" --threads 2 --metrics-listen none \
		--db l.db --trust trust.list --authority a.pub >>"$T/s.log" 2>&1 &
	TEMD_PID=$!
	PIDS="$PIDS $TEMD_PID"
	_i=0
	while [ ! -s "$T/s.port" ] && [ $_i -lt 200 ] && kill -0 "$TEMD_PID" 2>/dev/null; do
		sleep 0.05
		_i=$((_i + 1))
	done
	URL="http://127.0.0.1:$(cat "$T/s.port" 2>/dev/null)"
	$TEM register b.txt --server "$URL" -q
	scan "$C"
	expect_eq "temd at $when UTC: $want" "$want" "$(json verdict)"
	stop_temd TERM
done
done_testing
