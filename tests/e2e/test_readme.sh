#!/bin/sh
# test_readme.sh — README.md's shell commands, run as written, in order, in an empty folder,
# so the README cannot drift from what tem and temd do. Each ```sh fence's commands are run
# in one shell (variables carry over; a line ending in \ continues). What is not run: `make`
# lines (they are this test's own caller). A command whose comment says "keeps running"
# (temd) runs in the background on a free port, which replaces 127.0.0.1:8080 in the
# commands after it; the test waits for its port file, as a reader waits for its log line.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
README="$HERE/../../README.md"
cd "$T" || exit 1
mkdir work
PATH="$(dirname "$TEM"):$(dirname "${TEMD:?}"):$PATH"
export PATH
# the README's keys are passphrase-encrypted: the reader types it, the test gives it
export TEM_PASSPHRASE="the README's passphrase"
[ "$(command -v tem)" = "$TEM" ] || not_ok "the tem under test is first on the PATH"

# the commands: one a line, continuations joined, comment-only and blank lines dropped
awk '
	/^```sh$/ { infence = 1; next }
	/^```/ { infence = 0; next }
	!infence { next }
	{
		line = $0
		if (cont != "") { line = cont " " line; cont = "" }
		if (line ~ /\\$/) { sub(/\\$/, "", line); cont = line; next }
		if (line ~ /^[ \t]*(#|$)/) next
		print line
	}' "$README" >commands.txt
expect_eq "README.md has its walk-through commands" 1 "$([ "$(wc -l <commands.txt)" -ge 20 ] && echo 1)"

port=""
n=0
while IFS= read -r cmd <&3; do
	n=$((n + 1))
	case $cmd in
	make\ *) continue ;;
	esac
	[ -n "$port" ] && cmd=$(printf '%s' "$cmd" | sed "s/127\.0\.0\.1:8080/127.0.0.1:$port/g")
	short=$(printf '%s' "$cmd" | cut -c 1-90)
	case $cmd in
	*"# keeps running"*)
		cd work || exit 1
		eval "${cmd%%#*} --listen 127.0.0.1:0 --port-file ../readme.port >../temd.out \
			2>../temd.log &"
		TEMD_PID=$!
		PIDS="$PIDS $TEMD_PID"
		cd "$T" || exit 1
		if wait_for 10 test -s readme.port; then
			port=$(cat readme.port)
			ok "README: $short"
		else
			not_ok "README: $short" "temd did not start: $(cat temd.log)"
		fi
		continue
		;;
	esac
	cd work || exit 1
	eval "$cmd" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	cd "$T" || exit 1
	case $cmd in
	*/api/v1/scans*) cp out scan.out ;;
	*/api/v1/alerts*) cp out alerts.out ;;
	esac
	if [ "$rc" -eq 0 ]; then
		ok "README: $short"
	else
		not_ok "README: $short" "exit $rc" "stdout: $(head -c 300 "$T/out")" \
			"stderr: $(head -c 300 "$T/err")"
	fi
done 3<commands.txt
expect_eq "temd was started by the README" 1 "$([ -n "$port" ] && echo 1)"
expect_grep "the README's scan is answered genuine" '"verdict": *"genuine"' "$T/scan.out"
expect_eq "the README's token reads the alerts" "0" "$(jq -r '.items | length' alerts.out 2>&1)"
expect_eq "the README's statistics are a spreadsheet with a BOM" "$(printf '\357\273\277')key_id" \
	"$(head -c 9 work/stats.csv)"
stop_temd TERM
expect_eq "the README's temd stops cleanly on SIGTERM" 0 "$TEMD_STATUS"
done_testing
