#!/bin/sh
# temd's own instructions per scan, counted by valgrind's callgrind: the same figure on a busy
# machine as on a quiet one, unlike CPU time (bench_temd), so a change of a few percent in what
# temd does for a scan shows. It counts user-space instructions only: the kernel's part
# (sockets, epoll, fdatasync) is not in it. Two runs of temd under callgrind, each POST
# /api/v1/scans of distinct codes (wrk, 8 connections) for TEM_BENCH_INSTR_SECONDS (6) after a
# 2 s warm-up: valid codes (durable scans, a ledger write each) and forged ones (the signature
# checked and refused, no write). Each is given against the instructions of one
# crypto_sign_verify_detached call, read from the same run. KEEP=1 keeps the scratch folders.
set -eu
SECS=${TEM_BENCH_INSTR_SECONDS:-6}
lua=$(pwd)/tests/bench/scans.lua
real=$TEMD
if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then
	echo "bench_instructions: valgrind is not installed (make deps installs it)" >&2
	exit 1
fi

# run MODE: prints "REQUESTS INSTRUCTIONS VERIFY_INSTRUCTIONS" for one temd under callgrind
run() (
	. "$(dirname "$0")/lib.sh"
	bench_batch 20000
	awk 'body { print } $0 == "" { body = 1 }' b.txt | shuf >codes.txt
	cat >vg-temd <<EOF
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file=$dir/cg.out --dump-instr=no "$real" "\$@"
EOF
	chmod +x vg-temd
	TEMD=$dir/vg-temd
	bench_temd >/dev/null
	arg=""
	[ "$1" = durable ] || arg=$1
	wrk -t1 -c8 -d2s --timeout 10s -s "$lua" "$url" -- "$dir/codes.txt" 1 $arg >warm.out 2>&1
	callgrind_control -z "$pid" >/dev/null 2>&1
	wrk -t1 -c8 -d"${SECS}s" --timeout 10s -s "$lua" "$url" -- "$dir/codes.txt" 1 $arg \
		>wrk.out 2>&1
	callgrind_control -d "$pid" >/dev/null 2>&1
	# the dump is written by the time callgrind_control returns; cg.out.1 is the measured part
	f=$dir/cg.out.1
	[ -s "$f" ] || {
		echo "bench_instructions: callgrind wrote no dump" >&2
		exit 1
	}
	req=$(awk '$1 == "REQUESTS" { print $2 }' wrk.out)
	total=$(awk '$1 == "summary:" { print $2; exit }' "$f")
	# the arc into crypto_sign_verify_detached: its inclusive cost and its number of calls
	verify=$(callgrind_annotate --inclusive=yes --tree=caller "$f" 2>/dev/null |
		awk '/< .*:code_verify \(/ { c = $1; gsub(",", "", c); n = $0;
			sub(/.*\(/, "", n); sub(/x\).*/, "", n); gsub(",", "", n); v = c / n }
			/\* .*:crypto_sign_verify_detached / { print v; exit }')
	echo "$req $total $verify"
)

d=$(run durable)
f=$(run forged)
echo "$d" "$f" | awk '{
	dr = $1; di = $2 / $1; dv = $3; fr = $4; fi = $5 / $4; fv = $6
	if (dr == 0 || fr == 0 || dv == 0 || fv == 0) { print "bench_instructions: nothing measured" > "/dev/stderr"; exit 1 }
	printf "temd user-space instructions a scan (callgrind; %d durable scans, %d forged), against one crypto_sign_verify_detached (%.0f):\n", dr, fr, dv
	printf "  durable scan: %.0f = %.3f x a signature check; the rest of temd: %.0f\n", di, di / dv, di - dv
	printf "  forged code (checked, refused, nothing written): %.0f = %.3f x; the rest: %.0f\n", fi, fi / fv, fi - fv
	printf "  what the ledger and the answer of a counted scan add: %.0f\n", di - fi
}'
