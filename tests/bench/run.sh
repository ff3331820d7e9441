#!/bin/sh
# make bench: runs each tests/bench/bench_*.sh in turn. Each prints its figures as ratios
# against a limit measured in the same run on this machine.
set -u
: "${TEM:?run through make bench}"
status=0
echo "tem bench on $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%dT%H:%MZ)"
for b in $(dirname "$0")/bench_*.sh; do
	[ -e "$b" ] || continue
	echo
	echo "== $(basename "$b" .sh)"
	sh "$b" || status=1
done
exit $status
