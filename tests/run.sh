#!/bin/sh
# Runs each test program or e2e script given, reads its TAP lines ("ok N - name",
# "not ok N - name"), and ends with one line: "N passed, N failed". Exit 1 on any failure.
# A program that dies or exits non-zero without reporting a failure counts as one failure.
# Files run TEM_TEST_JOBS at a time (default one a core); each file's time is measured to the
# millisecond, the five slowest listed at the end. A
# failing test's "# seed: N" line is shown with its failures (replay with TEM_TEST_SEED=N).
set -u
pass=0
fail=0
failed_names=""
known=""
times=""
# now_ms: the time in milliseconds (GNU date)
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# secs MS: MS milliseconds as seconds with a decimal point, "12.345"
secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }
# run_one FILE: runs one test into its log, then writes its exit status and milliseconds
run_one() {
	_log="$log_dir/$(basename "$1").log"
	_start=$(now_ms)
	case "$1" in
	*.sh) timeout 1200 sh "$1" >"$_log" 2>&1 ;;
	*) timeout 600 "$1" >"$_log" 2>&1 ;;
	esac
	echo "$? $(($(now_ms) - _start))" >"$_log.rc"
}
# run.sh --one LOGDIR FILE: one test, for the parallel runs below
if [ "${1:-}" = "--one" ]; then
	log_dir=$2
	run_one "$3"
	exit 0
fi
log_dir=${TEST_LOG_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/tem-test.XXXXXX")}
mkdir -p "$log_dir"
# TEM_TEST_DB=pg (make test-pg): the end-to-end tests run with temd on PostgreSQL
# (tests/e2e/lib.sh), in one throwaway cluster started here for the whole run (unless
# TEM_PG_CLUSTER names a running one) and stopped at the end, on failure or interrupt too.
# These files run on SQLite only, each for its reason:
SQLITE_ONLY="
test_backup.sh         temd backup copies a SQLite file (it refuses a PostgreSQL --db)
test_ledger_copy.sh    temd ledger copy reads a SQLite file into its own PostgreSQL cluster
test_ledger_faults.sh  SQLite's file faults: a held read transaction, corrupt pages, a full disk
test_upgrade.sh        SQLite schema migrations from each shipped version's dump
test_pg_cluster.sh     starts its own PostgreSQL cluster already
test_pg_temd.sh        runs temd on its own PostgreSQL cluster already
"
# Parts of files run on SQLite only (TEM_TEST_DB tested there): test_durability's ledger that
# cannot grow (temd's file size limit), test_hardening's one temd per ledger (several share a
# PostgreSQL one), test_ledger_files' file modes and a salt left in an old ledger; and a --db
# that is a folder, in a missing folder, or a file that is not a ledger (test_startup,
# test_tokens) stays that path (tests/e2e/temd_pg.sh).
# Files expected to fail on PostgreSQL, each for a difference of temd's there (a bug): run and
# shown, not counted as failures while they fail. None now.
PG_KNOWN_FAILURES="
"
pg_cluster=""
if [ "${TEM_TEST_DB:-sqlite}" = pg ]; then
	kept=""
	for t in "$@"; do
		case "$t" in
		*.sh) ;;
		*) continue ;; # unit tests and simulations: make test's
		esac
		why=$(printf '%s\n' "$SQLITE_ONLY" | sed -n "s/^$(basename "$t") *//p")
		if [ -n "$why" ]; then
			echo "$(basename "$t"): on SQLite only: $why"
		elif ! grep -q 'TEMD' "$t"; then
			echo "$(basename "$t"): starts no temd, the same on either engine"
		else
			kept="$kept $t"
		fi
	done
	# shellcheck disable=SC2086
	set -- $kept
	if [ -z "${TEM_PG_CLUSTER:-}" ]; then
		# under /tmp (the postgres user must reach it, the socket path fit in 107 bytes)
		pg_cluster=$(mktemp -d /tmp/tem-e2e-pg.XXXXXX)
		cl="$(cd "$(dirname "$0")" && pwd)/pg/cluster.sh"
		trap 'sh "$cl" stop "$pg_cluster" >/dev/null 2>&1; rm -rf "$pg_cluster"' EXIT
		trap 'exit 130' INT TERM
		if ! sh "$cl" start "$pg_cluster"; then
			echo "the PostgreSQL cluster did not start"
			echo "0 passed, 1 failed"
			exit 1
		fi
		TEM_PG_CLUSTER=$pg_cluster
		export TEM_PG_CLUSTER
	fi
fi
export CMOCKA_MESSAGE_OUTPUT=TAP
# Sanitizer builds (make check): library-internal caches are suppressed, nothing of tem's.
LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
run_start=$(now_ms)
# TEM_TEST_JOBS files at a time (default: one a core): most e2e time is waiting on temd
jobs=${TEM_TEST_JOBS:-$(nproc)}
if [ "$jobs" -gt 1 ]; then
	printf '%s\n' "$@" | xargs -P "$jobs" -I{} sh "$0" --one "$log_dir" {}
else
	for t in "$@"; do run_one "$t"; done
fi
for t in "$@"; do
	name=$(basename "$t")
	log="$log_dir/$name.log"
	read -r rc ms <"$log.rc" || { rc=1; ms=0; }
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc" >>"$log"
	fi
	if [ "${TEM_TEST_DB:-sqlite}" = pg ] && [ "$f" -gt 0 ] &&
		printf '%s\n' "$PG_KNOWN_FAILURES" | grep -q "^$name "; then
		printf '%-28s %4d ok, %d failed: a known failure on PostgreSQL (%ss)\n' "$name" "$p" \
			"$f" "$(secs $ms)"
		pass=$((pass + p))
		known="$known $name"
		continue
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	times="$times$ms $name
"
	if [ "$f" -eq 0 ]; then
		printf '%-28s %4d ok   (%ss)\n' "$name" "$p" "$(secs $ms)"
	else
		printf '%-28s %4d ok, %d FAILED (%ss)\n' "$name" "$p" "$f" "$(secs $ms)"
		grep '^# seed: ' "$log" | sed 's/^/    /'
		grep -E -A8 '^not ok ' "$log" | head -60 | sed 's/^/    /'
		failed_names="$failed_names $name"
	fi
done
echo "$# files in $(secs $(($(now_ms) - run_start)))s; the slowest:"
printf '%s' "$times" | sort -rn | head -n 5 | while read -r ms name; do
	printf '  %-26s %8ss\n' "$name" "$(secs "$ms")"
done
echo "logs: $log_dir"
[ -n "$failed_names" ] && echo "failed:$failed_names"
[ -n "$known" ] && echo "known failures on PostgreSQL:$known"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
