#!/bin/sh
# Runs each test program or e2e script given, reads its TAP lines ("ok N - name",
# "not ok N - name"), and ends with one line: "N passed, N failed". Exit 1 on any failure.
# A program that dies or exits non-zero without reporting a failure counts as one failure.
# Each file's time is measured to the millisecond; the five slowest are listed at the end. A
# failing test's "# seed: N" line is shown with its failures (replay with TEM_TEST_SEED=N).
set -u
pass=0
fail=0
failed_names=""
times=""
# now_ms: the time in milliseconds (GNU date)
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# secs MS: MS milliseconds as seconds with a decimal point, "12.345"
secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }
log_dir=${TEST_LOG_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/tem-test.XXXXXX")}
mkdir -p "$log_dir"
export CMOCKA_MESSAGE_OUTPUT=TAP
# Sanitizer builds (make check): library-internal caches are suppressed, nothing of tem's.
LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
run_start=$(now_ms)
for t in "$@"; do
	name=$(basename "$t")
	log="$log_dir/$name.log"
	start=$(now_ms)
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
	ms=$(($(now_ms) - start))
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
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
