#!/bin/sh
# tem label: labels per second into one PDF against libqrencode's own encode rate on the same
# machine in the same run, peak memory for 10,000 labels, and the qrencode program for scale.
set -eu
N=${TEM_BENCH_LABEL_N:-10000}
cores=$(nproc)
dir=$(mktemp -d "${TMPDIR:-/tmp}/tem-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$TEM" keygen -p "$dir/p.pub" -s "$dir/p.key" -W >/dev/null
"$TEM" issue -s "$dir/p.key" -n "$N" --product "Cua Cà Mau" \
	--producer "Hợp tác xã Cua Cà Mau Năm Căn" --url http://127.0.0.1:8080 -o "$dir/b.txt" -q
one=$("$BIN/tests/bench/qr_rate" 1 2)
all=$("$BIN/tests/bench/qr_rate" "$cores" 2)
start=$(date +%s.%N)
/usr/bin/time -f %M -o "$dir/rss" "$TEM" label "$dir/b.txt" -p "$dir/p.pub" --layout sheet \
	-o "$dir/labels.pdf" -q
end=$(date +%s.%N)
all2=$("$BIN/tests/bench/qr_rate" "$cores" 2)
# the naive way: the qrencode program run once per code
tail -n 300 "$dir/b.txt" | sed 's|^|HTTP://127.0.0.1:8080/C/|' >"$dir/urls"
nstart=$(date +%s.%N)
i=0
while read -r u; do
	i=$((i + 1))
	qrencode -l M -o "$dir/q.png" "$u"
done <"$dir/urls"
nend=$(date +%s.%N)
awk -v n="$N" -v s="$start" -v e="$end" -v one="$one" -v all="$all" -v all2="$all2" \
	-v cores="$cores" -v rss="$(cat "$dir/rss")" -v size="$(stat -c %s "$dir/labels.pdf")" \
	-v ns="$nstart" -v ne="$nend" 'BEGIN {
	rate = n / (e - s); limit = (all + all2) / 2
	printf "raw libqrencode: %.0f URLs/s on 1 core; on %d threads %.0f/s before, %.0f/s after\n", one, cores, all, all2
	printf "tem label -n %d (sheet, one PDF): %.2f s, %.0f labels/s, PDF %.1f MiB\n", n, e - s, rate, size / 1048576
	printf "ratio to the raw encode rate on all cores: %.2f (target >= 0.60; tem also verifies every code and draws it)\n", rate / limit
	printf "peak RSS: %.1f MiB (target < 64 MiB)\n", rss / 1024
	printf "for scale, the qrencode program once per code: %.0f codes/s (300 codes)\n", 300 / (ne - ns)
}'
