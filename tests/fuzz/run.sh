#!/bin/sh
# run.sh DIR SECONDS: for each fuzz target DIR/fuzz_NAME, replays its kept crash inputs
# (tests/fuzz/regressions/NAME/), then fuzzes it for SECONDS from its seed corpus
# (tests/fuzz/corpus/NAME/, read only; what it finds goes to build/fuzz/corpus/NAME/) with
# tests/fuzz/NAME.dict when there is one. Prints each target's executions and the total.
# Exit 1 when a regression input or the fuzzer fails (its crash input is left in
# build/fuzz/crashes/NAME/: keep it in tests/fuzz/regressions/NAME/ once fixed).
set -u
dir=$1
secs=$2
src=$(cd "$(dirname "$0")" && pwd)
work=$(cd "$dir/../../.." && pwd)
# the request targets run temd's threads; leaks are checked per input only where the heap of
# one input is its own
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=0:detect_odr_violation=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
total=0
failed=""
report=""
for bin in "$dir"/fuzz_*; do
	[ -x "$bin" ] || continue
	case "$bin" in *.o | *.d) continue ;; esac
	name=${bin##*/fuzz_}
	log="$work/logs/$name.log"
	mkdir -p "$work/corpus/$name" "$work/crashes/$name" "$work/logs"
	opts="-timeout=10 -rss_limit_mb=2048 -max_len=16384"
	[ -f "$src/$name.dict" ] && opts="$opts -dict=$src/$name.dict"
	[ -f "$src/$name.options" ] && opts="$opts $(cat "$src/$name.options")"
	if [ -d "$src/regressions/$name" ] && [ -n "$(ls -A "$src/regressions/$name")" ]; then
		# shellcheck disable=SC2086
		if ! "$bin" $opts -runs=1 "$src/regressions/$name"/* >"$log" 2>&1; then
			echo "fuzz_$name: a kept regression input fails again (log: $log)"
			tail -30 "$log"
			failed="$failed $name"
			continue
		fi
	fi
	seeds=""
	[ -d "$src/corpus/$name" ] && seeds="$src/corpus/$name"
	# shellcheck disable=SC2086
	"$bin" $opts -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$work/crashes/$name/" "$work/corpus/$name" $seeds >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | sed 's/cov: //')
	execs=${execs:-0}
	total=$((total + execs))
	line=$(printf '%-10s %10s executions in %ss, %s edges covered' "fuzz_$name" "$execs" \
		"$secs" "${cov:-?}")
	if [ "$rc" -ne 0 ]; then
		line="$line: FAILED (exit $rc; log $log, input in $work/crashes/$name/)"
		failed="$failed $name"
		grep -E -A25 '^==[0-9]+==ERROR|runtime error|deadly signal|timeout' "$log" | head -40
	fi
	echo "$line"
	report="$report$line
"
done
echo
printf '%s' "$report"
echo "total: $total executions"
if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed"
	exit 1
fi
