#!/bin/sh
# Runs each test program or e2e script given, reads its TAP lines ("ok N - name",
# "not ok N - name"), and ends with one line: "N passed, N failed". Exit 1 on any failure.
# A program that dies or exits non-zero without reporting a failure counts as one failure.
set -u
pass=0
fail=0
failed_names=""
log_dir=${TEST_LOG_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/tem-test.XXXXXX")}
mkdir -p "$log_dir"
export CMOCKA_MESSAGE_OUTPUT=TAP
# Sanitizer builds (make check): library-internal caches are suppressed, nothing of tem's.
LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
for t in "$@"; do
	name=$(basename "$t")
	log="$log_dir/$name.log"
	start=$(date +%s)
	case "$t" in
	*.sh) timeout 1200 sh "$t" >"$log" 2>&1 ;;
	*) timeout 600 "$t" >"$log" 2>&1 ;;
	esac
	rc=$?
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc" >>"$log"
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	secs=$(($(date +%s) - start))
	if [ "$f" -eq 0 ]; then
		printf '%-28s %4d ok   (%ds)\n' "$name" "$p" "$secs"
	else
		printf '%-28s %4d ok, %d FAILED (%ds)\n' "$name" "$p" "$f" "$secs"
		grep -E -A8 '^not ok ' "$log" | head -60 | sed 's/^/    /'
		failed_names="$failed_names $name"
	fi
done
echo "logs: $log_dir"
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
