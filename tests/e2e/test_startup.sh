#!/bin/sh
# test_startup.sh — temd's start-up as an operator meets it: each refusal is one accurate line,
# creates nothing, and exits with a status docs/temd.8 lists; the start-up line names the port
# really listened on; the log's levels, journald's priority prefixes, the access log, trust list
# reloads with their revocation counts, and /metrics as promtool reads it.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
cd "$T" || exit 1
make_authority "HTX Năm Căn" || not_ok "make_authority"
ARGS="--trust trust.list --authority a.pub"

# refuse NAME STATUS PATTERN ARGS...: temd must exit STATUS with one line on stderr matching
# PATTERN, leaving no ledger (nothing in new/).
refuse() {
	_rn=$1 _rs=$2 _rp=$3
	shift 3
	rm -rf new && mkdir new
	run_expect "$_rs" "$_rn: exit $_rs" "$TEMD" "$@"
	expect_eq "$_rn: one line" 1 "$(wc -l <"$T/err")"
	expect_grep "$_rn: says why" "$_rp" "$T/err"
	expect_eq "$_rn: creates nothing" "" "$(ls new)"
}

refuse "a missing ledger folder" 2 'the folder new/nodir does not exist' \
	--db new/nodir/l.db $ARGS
refuse "a ledger that is a folder" 2 'new/: not a file\|new: not a file' --db new/ $ARGS
refuse "a trust list signed by another key" 2 \
	'refusing to start: trust.list: .*signed by key' --db new/l.db --trust trust.list \
	--authority p.pub
refuse "a missing trust list" 2 'refusing to start: nosuch.list' --db new/l.db \
	--trust nosuch.list --authority a.pub
refuse "a missing authority key" 2 'nosuch.pub' --db new/l.db --trust trust.list \
	--authority nosuch.pub
refuse "a secret key as the authority key" 2 'a.key: a secret key, not a minisign public key' \
	--db new/l.db --trust trust.list --authority a.key
refuse "an unknown option" 2 "unknown option '--nosuch'" --db new/l.db $ARGS --nosuch
refuse "an option without its value" 2 "option '--listen' needs a value" --db new/l.db $ARGS \
	--listen
refuse "a bad --listen" 2 "--listen: 'nowhere' is not ADDR:PORT" --db new/l.db $ARGS \
	--listen nowhere
refuse "an address of no interface here" 1 'cannot listen on 192.0.2.1:8080: .*not an address' \
	--db new/l.db $ARGS --listen 192.0.2.1:8080
refuse "an access log in a missing folder" 2 '--access-log new/nodir/a.log' --db new/l.db \
	$ARGS --access-log new/nodir/a.log

# the port another temd listens on (libmicrohttpd binds with SO_REUSEPORT: a second temd must
# not share it silently)
start_temd first --db l.db $ARGS --access-log access.log ||
	not_ok "temd starts" "$(cat "$T/first.log")"
port=$(cat first.port)
expect_grep "the start-up line names the port picked for port 0" \
	"started: listening on 127.0.0.1:$port with" first.log
expect_grep "log lines carry their level" '^[0-9-]*T[0-9:]*Z temd notice: ' first.log
refuse "a port another server listens on" 1 \
	"cannot listen on 127.0.0.1:$port: Address already in use" --db new/l.db $ARGS \
	--listen "127.0.0.1:$port"

curl -s -o /dev/null "$URL/healthz"
curl -s -o /dev/null "$URL/nosuch"
expect_grep "the access log has a line per request" ' GET /healthz 200 ' access.log
expect_grep "the access log names the route, not the URL" ' GET other 404 ' access.log

# reloads: logged with the revocation counts, counted in /metrics
$TEM trust revoke trust.list "$(sed -n 's/^producer \([0-9A-F]*\) .*/\1/p' trust.list)" \
	>/dev/null 2>&1
$TEM trust sign trust.list -s a.key >/dev/null 2>&1
kill -HUP "$TEMD_PID"
if wait_for 10 grep -q 'trust list trust.list in force (reloaded)' first.log; then
	ok "a reload is logged"
else
	not_ok "a reload is logged" "$(cat first.log)"
fi
expect_grep "a reload says the revocations" '1 producer keys (+0), 1 revoked (+1)' first.log
echo broken >trust.list.minisig
kill -HUP "$TEMD_PID"
wait_for 10 grep -q 'trust list not reloaded' first.log
expect_grep "a failed reload is an error line" ' temd error: trust list not reloaded' first.log
curl -s -o metrics.txt "$METRICS_URL/metrics"
expect_grep "metrics count the reloads" '^temd_trust_reloads_total{result="success"} 2$' metrics.txt
expect_grep "metrics count the failed reload" '^temd_trust_reloads_total{result="failure"} 1$' \
	metrics.txt
expect_grep "metrics give the build" '^temd_build_info{version="[0-9.]*"} 1$' metrics.txt
expect_grep "a 404 has its own status label" '^temd_requests_total{route="other",status="404"} 1$' \
	metrics.txt
for m in process_resident_memory_bytes process_cpu_seconds_total process_open_fds \
	process_start_time_seconds; do
	expect_grep "metrics give $m" "^$m [0-9]" metrics.txt
done
check "promtool check metrics finds nothing to say" sh -c 'promtool check metrics <metrics.txt'
stop_temd TERM
expect_eq "SIGTERM stops temd with status 0" 0 "$TEMD_STATUS"
expect_grep "the stop is logged" 'temd notice: stopped' first.log

# under systemd, stderr is the journal stream JOURNAL_STREAM names: priority prefixes, and
# neither the time nor the program name, which journald adds itself
$TEM trust sign trust.list -s a.key >/dev/null 2>&1
: >journal.log
JOURNAL_STREAM=$(stat -c '%d:%i' journal.log) "$TEMD" --db l.db $ARGS --listen 127.0.0.1:0 \
	--port-file j.port 2>>journal.log &
jpid=$!
PIDS="$PIDS $jpid"
wait_for 10 test -s j.port
kill -TERM "$jpid"
wait "$jpid"
expect_grep "journald lines start with their priority" '^<5>version .* started: listening' \
	journal.log
expect_eq "journald lines carry no time or program name" 0 "$(grep -c 'temd notice' journal.log)"
JOURNAL_STREAM=1:1 "$TEMD" --db new/nodir/l.db $ARGS 2>other.log
expect_grep "JOURNAL_STREAM of another stream is ignored" ' temd error: ' other.log

# every exit status temd uses is in its manual page
for s in 0 1 2; do
	expect_grep "docs/temd.8 lists exit status $s" "^\\.IP $s\$" "$HERE/../../docs/temd.8"
done
done_testing
