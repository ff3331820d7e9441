# lib.sh — sourced by every end-to-end test: TAP output, a scratch folder removed on exit,
# and small assertions. Tests run the real binaries named by $TEM and $TEMD.
set -u
: "${TEM:?TEM must name the tem binary (run through make test)}"
T=$(mktemp -d "${TMPDIR:-/tmp}/tem-e2e.XXXXXX")
PIDS=""
_n=0
# The ledger engine (README.md, "Tests on both ledgers"): TEM_TEST_DB=pg runs temd on
# PostgreSQL, in the cluster tests/run.sh started ($TEM_PG_CLUSTER): $TEMD becomes $T/.bin/temd,
# tests/e2e/temd_pg.sh, which gives each --db path a database of its own, named from
# $TEM_PG_PREFIX (this test's) and the path, and dropped when the test ends. $TEMD_BINARY is the
# temd binary itself, either way.
TEM_TEST_DB=${TEM_TEST_DB:-sqlite}
TEMD_BINARY=${TEMD:-}
case "$TEM_TEST_DB" in
sqlite) ;;
pg)
	: "${TEMD:?TEMD must name the temd binary}"
	: "${TEM_PG_CLUSTER:?TEM_TEST_DB=pg needs the cluster tests/run.sh starts (TEM_PG_CLUSTER)}"
	mkdir "$T/.bin" && ln -s "$(cd "$(dirname "$0")" && pwd)/temd_pg.sh" "$T/.bin/temd" || exit 1
	TEMD_PG_REAL=$TEMD
	TEMD=$T/.bin/temd
	TEMD_BINARY=$TEMD_PG_REAL
	TEM_PG_PREFIX="e$(printf '%s' "$T" | md5sum | cut -c 1-10)"
	export TEMD TEMD_PG_REAL TEM_PG_CLUSTER TEM_PG_PREFIX
	;;
*)
	echo "TEM_TEST_DB: '$TEM_TEST_DB' is neither sqlite nor pg" >&2
	exit 2
	;;
esac
_cleanup() {
	for _p in $PIDS; do kill -9 "$_p" 2>/dev/null; done
	[ "$TEM_TEST_DB" = pg ] && _pg_drop
	[ -n "${TEM_TEST_KEEP:-}" ] || rm -rf "$T"
}
# _pg_drop: drops this test's databases (their connections ended first)
_pg_drop() {
	psql "host=$TEM_PG_CLUSTER user=tem dbname=postgres" -XAtq -c "SELECT datname FROM pg_database
		WHERE datname LIKE '${TEM_PG_PREFIX}\_%'" 2>/dev/null | while read -r _d; do
		psql "host=$TEM_PG_CLUSTER user=tem dbname=postgres" -Xq \
			-c "DROP DATABASE IF EXISTS $_d WITH (FORCE)" >/dev/null 2>&1
	done
}
trap _cleanup EXIT
trap 'exit 130' INT TERM
# Encrypted test keys use scrypt's interactive limits so the suite stays fast; the default is
# minisign's (1 GiB, seconds per key), which the keys tests exercise once.
export TEM_SCRYPT_LIMITS=interactive
unset TEM_PASSPHRASE

# faketime "YYYY-MM-DD HH:MM:SS" CMD...: runs CMD with its clock starting at that moment (TZ
# decides how the moment is read), through libfaketime preloaded directly. The faketime
# command does the same through a semaphore and shared memory named by its pid, which an
# earlier run killed mid-test leaves in /dev/shm for a later process of the same pid to fail
# on ("sem_open: File exists"); this needs neither. Under make check, AddressSanitizer must
# accept not coming first in LD_PRELOAD (verify_asan_link_order=0, as lib.sh's callers set).
faketime() {
	_ft_when=$1
	shift
	_ft_lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
	if [ -z "$_ft_lib" ]; then
		echo "faketime: libfaketime is not installed (tests/deps.sh installs faketime)" >&2
		return 127
	fi
	LD_PRELOAD="$_ft_lib${LD_PRELOAD:+ $LD_PRELOAD}" FAKETIME="@$_ft_when" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" "$@"
}

ok() {
	_n=$((_n + 1))
	echo "ok $_n - $1"
}

# not_ok NAME [DETAIL...]: a failure, each DETAIL on a '#' line.
not_ok() {
	_n=$((_n + 1))
	echo "not ok $_n - $1"
	shift
	for _d in "$@"; do printf '#   %s\n' "$_d"; done
}

# run_expect STATUS NAME CMD...: runs CMD (stdout in $T/out, stderr in $T/err) and checks its
# exit status.
run_expect() {
	_want=$1
	_name=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	_got=$?
	if [ "$_got" -eq "$_want" ]; then
		ok "$_name"
	else
		not_ok "$_name" "expected exit $_want, got $_got" "stdout: $(head -c 400 "$T/out")" \
			"stderr: $(head -c 400 "$T/err")"
	fi
}

# check NAME CMD...: CMD must exit 0.
check() {
	_name=$1
	shift
	run_expect 0 "$_name" "$@"
}

# expect_grep NAME PATTERN FILE: FILE must contain a line matching the basic regex PATTERN.
expect_grep() {
	if grep -q -- "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1" "expected /$2/ in $3" "got: $(head -c 400 "$3")"
	fi
}

# expect_no_file NAME PATH: nothing may have been left at PATH.
expect_no_file() {
	if [ -e "$2" ]; then not_ok "$1" "$2 exists"; else ok "$1"; fi
}

# expect_eq NAME WANT GOT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected '$2'" "got '$3'"; fi
}

# change_char LINE COL FILE: prints FILE with the character at LINE, COL replaced by Q (by R
# when it is Q already), so the result always differs from FILE.
change_char() {
	awk -v l="$1" -v c="$2" 'NR == l {
		x = substr($0, c, 1)
		$0 = substr($0, 1, c - 1) (x == "Q" ? "R" : "Q") substr($0, c + 1)
	} 1' "$3"
}

# ledger_sql LEDGER SQL [PG_SQL]: runs SQL on the ledger temd keeps for --db LEDGER, whichever
# the engine (TEM_TEST_DB): sqlite3 on the file, or psql on its PostgreSQL database (PG_SQL
# there when given, for what the two dialects spell differently). Rows one a line, columns
# separated by '|', NULL as nothing, in both.
ledger_sql() {
	if [ "$TEM_TEST_DB" = pg ]; then
		psql "$("$TEMD" --conninfo "$1")" -XAtq -v ON_ERROR_STOP=1 -c "${3:-$2}"
	else
		sqlite3 -cmd '.timeout 2000' "$1" "$2"
	fi
}

# ledger_dump LEDGER TABLE...: the rows of TABLEs of the ledger temd keeps for --db LEDGER as
# SQL INSERT statements ("INSERT INTO TABLE ..."; blobs as hex): sqlite3's .dump, or pg_dump's.
ledger_dump() {
	_ld=$1
	shift
	if [ "$TEM_TEST_DB" = pg ]; then
		for _t; do
			set -- "$@" -t "$_t"
			shift
		done
		pg_dump "$("$TEMD" --conninfo "$_ld")" --data-only --inserts --no-owner "$@" |
			sed 's/^INSERT INTO public\./INSERT INTO /'
	else
		for _t; do
			set -- "$@" ".dump $_t"
			shift
		done
		sqlite3 -cmd '.timeout 2000' "$_ld" "$@"
	fi
}

# done_testing: prints the TAP plan; call last.
done_testing() {
	echo "1..$_n"
}

# start_temd NAME ARGS...: starts $TEMD on a free loopback port with ARGS (--db, --trust, ...),
# waits (at most 10 s) until it listens, and sets $URL, $METRICS_URL (the --metrics-listen
# listener, on a free loopback port too) and $TEMD_PID. Its log is $T/NAME.log. The rate limits
# are off (tests scan hundreds of times from 127.0.0.1); a test gives --rate-limit to check them.
start_temd() {
	_name=$1
	shift
	rm -f "$T/$_name.port" "$T/$_name.mport"
	"$TEMD" --listen 127.0.0.1:0 --port-file "$T/$_name.port" --threads 2 --rate-limit 0 \
		--metrics-listen 127.0.0.1:0 --metrics-port-file "$T/$_name.mport" "$@" \
		>>"$T/$_name.log" 2>&1 &
	TEMD_PID=$!
	PIDS="$PIDS $TEMD_PID"
	_i=0
	while [ ! -s "$T/$_name.port" ] && [ $_i -lt 200 ]; do
		kill -0 "$TEMD_PID" 2>/dev/null || break
		sleep 0.05
		_i=$((_i + 1))
	done
	if [ -s "$T/$_name.port" ]; then
		URL="http://127.0.0.1:$(cat "$T/$_name.port")"
		METRICS_URL="http://127.0.0.1:$(cat "$T/$_name.mport" 2>/dev/null)"
		# TEM_TEST_DB=pg: a temd that serves must serve a PostgreSQL ledger (its start line)
		if [ "$TEM_TEST_DB" = pg ] && ! wait_for 10 grep -q 'ledger the PostgreSQL' "$T/$_name.log"; then
			not_ok "temd $_name serves a PostgreSQL ledger (TEM_TEST_DB=pg)" \
				"$(tail -n 3 "$T/$_name.log")"
		fi
		return 0
	fi
	URL=""
	METRICS_URL=""
	return 1
}

# show_log NAME: the last 40 lines of temd NAME's log as TAP comments (for a failure's cause,
# seen in the run's log although $T is removed).
show_log() {
	tail -n 40 "$T/$1.log" 2>/dev/null | sed 's/^/# log: /'
}

# stop_temd SIGNAL: signals $TEMD_PID and waits for it (at most 15 s); sets $TEMD_STATUS, or
# kills it and sets TEMD_STATUS=timeout when it has not exited by then.
stop_temd() {
	kill "-$1" "$TEMD_PID" 2>/dev/null
	_i=0
	while kill -0 "$TEMD_PID" 2>/dev/null && [ $_i -lt 300 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	if kill -0 "$TEMD_PID" 2>/dev/null; then
		kill -9 "$TEMD_PID" 2>/dev/null
		wait "$TEMD_PID" 2>/dev/null
		TEMD_STATUS=timeout
		return
	fi
	wait "$TEMD_PID" 2>/dev/null
	TEMD_STATUS=$?
}

# scan CODE [CURL ARGS...]: POSTs a scan with curl; the JSON answer is in $T/out, the status
# in $T/status.
scan() {
	_c=$1
	shift
	curl -s -m 10 -o "$T/out" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary "{\"code\":\"$_c\"}" "$@" "$URL/api/v1/scans" >"$T/status"
}

# json FIELD: a field of the JSON in $T/out (jq path without the dot; strings unquoted).
json() {
	jq -r ".$1 | if . == null then \"null\" else . end" "$T/out" 2>/dev/null
}

# wait_for SECONDS CMD...: runs CMD every 0.05 s until it succeeds (returns 0) or SECONDS have
# passed (returns 1). For synchronising on a state or a log line instead of sleeping.
wait_for() {
	_wf_end=$(($(date +%s%N) / 1000000 + $1 * 1000))
	shift
	while ! "$@"; do
		[ $(($(date +%s%N) / 1000000)) -ge $_wf_end ] && return 1
		sleep 0.05
	done
	return 0
}

# test_seed: sets $SEED from TEM_TEST_SEED, or picks one, and prints it as "# seed: N" so a
# failing run can be replayed with TEM_TEST_SEED=N. Call it in a test that uses randomness.
test_seed() {
	SEED=${TEM_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
	echo "# seed: $SEED"
}

# rand_below N: a number from 0 to N-1 drawn from the stream $SEED starts (test_seed first).
rand_below() {
	_rb_i=$((${_rb_i:--1} + 1))
	awk -v s="$SEED" -v i="$_rb_i" -v n="$1" 'BEGIN {
		srand(s); for (k = 0; k < i; k++) rand(); printf "%d\n", int(rand() * n) }'
}

# seeded_shuffle [FILE]: the lines of FILE (or stdin) in an order drawn from $SEED (test_seed
# first): the same seed gives the same order.
seeded_shuffle() {
	awk -v s="$SEED" 'BEGIN { srand(s) } { printf "%.17f\t%s\n", rand(), $0 }' "$@" |
		sort -k1,1 | cut -f 2-
}

# http_hangup PORT REQUEST: opens a connection to 127.0.0.1:PORT, writes REQUEST whole and closes
# the connection at once, never reading the answer (a client that hangs up). Needs bash for
# /dev/tcp (bash is on every Debian system).
http_hangup() {
	bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" && printf "%s" "$1" >&3' "$1" "$2"
}

# post_scan_request CODE: the bytes of a whole POST /api/v1/scans for CODE (ASCII), for
# http_hangup.
post_scan_request() {
	_b="{\"code\":\"$1\"}"
	printf 'POST /api/v1/scans HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
		"${#_b}" "$_b"
}

# header_lines FILE: the lines of a batch file's header, its blank line included (the header
# grows a line when the codes have claim PINs, so never count it by hand).
header_lines() {
	awk '$0 == "" { print NR; exit }' "$1"
}

# codes FILE: a batch file's codes, one a line.
codes() {
	awk 'body { print } $0 == "" { body = 1 }' "$1"
}

# code_at FILE N: the N-th code of a batch file (the first is 1).
code_at() {
	codes "$1" | sed -n "${2}p"
}

# make_authority PRODUCER_NAME: in the current folder, an authority key pair a.pub/a.key, a
# producer key pair p.pub/p.key (unencrypted), and trust.list naming the producer, signed.
make_authority() {
	$TEM keygen -p a.pub -s a.key -W >/dev/null &&
		$TEM keygen -p p.pub -s p.key -W >/dev/null &&
		$TEM trust init -o trust.list --authority "Sở Khoa học và Công nghệ Cà Mau" >/dev/null &&
		$TEM trust add trust.list -p p.pub --name "$1" >/dev/null &&
		$TEM trust sign trust.list -s a.key >/dev/null
}

# pin FILE.claim SERIAL: the claim PIN of a serial, computed apart from tem and temd from the
# batch's claim key file (the scheme of label/claim.h, in python3).
pin() {
	python3 - "$1" "$2" <<'PY'
import base64, hashlib, sys
k = None
for line in open(sys.argv[1]):
    if line.startswith("claim-key:"):
        k = base64.b64decode(line.split(":", 1)[1].strip())
s = int(sys.argv[2])
h = hashlib.blake2b(b"tem-claim-pin-v1" + s.to_bytes(8, "big"), key=k, digest_size=8).digest()
print("%010d" % (int.from_bytes(h, "big") % 10**10))
PY
}
