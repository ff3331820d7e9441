#!/bin/sh
# tem issue and tem label over several blocks of the ordered work pool: every code comes out in
# serial order whatever the thread count, a bad code deep in a batch is named by its own line,
# and a refused run leaves nothing behind.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
$TEM keygen -p p.pub -s p.key -W >/dev/null
# 4200 codes are three signing blocks of 2048
check "issue 4200 codes on 7 threads" $TEM issue -s p.key -n 4200 --product P --threads 7 \
	--url http://127.0.0.1:8080 -o b7.txt -q
check "issue 4200 codes on 1 thread" $TEM issue -s p.key -n 4200 --product P --threads 1 \
	--url http://127.0.0.1:8080 -o b1.txt -q
expect_eq "serials continue across the two batches" 4201 "$(sed -n 's/^first-serial: //p' b1.txt)"
serials_in_order() { # BATCH: the serial of each code, read back with tem inspect, is 1.. in order
	first=$(sed -n 's/^first-serial: //p' "$1")
	tail -n 4200 "$1" | sed -n '1p;2048p;2049p;4096p;4097p;4200p' >picked
	got=$(for c in $(cat picked); do $TEM inspect "$c" | sed -n 's/^serial: *//p'; done | tr '\n' ' ')
	want=$(for i in 0 2047 2048 4095 4096 4199; do printf '%s ' $((first + i)); done)
	expect_eq "$1: codes at block edges carry their serials in order" "$want" "$got"
}
serials_in_order b7.txt
serials_in_order b1.txt
# tem label reads every code in sequence (it refuses one out of order) and verifies each
check "label a 4200-code batch on 3 threads" $TEM label b7.txt -p p.pub --layout sheet \
	--threads 3 -o s3.pdf -q
check "label it on 1 thread" $TEM label b7.txt -p p.pub --layout sheet --threads 1 -o s1.pdf -q
# the same bytes but for the creation time
grep -av CreationDate s1.pdf >s1.cmp
grep -av CreationDate s3.pdf >s3.cmp
expect_eq "the same PDF whatever the thread count" same "$(cmp s1.cmp s3.cmp >/dev/null && echo same)"
expect_eq "156 pages of 27 labels" 156 "$(pdfinfo s3.pdf | sed -n 's/^Pages: *//p')"
# a forged code in the third block, re-signed: its own line is named, and nothing is written
H=$(header_lines b7.txt)
change_char $((H + 4138)) 70 b7.txt >f.txt
$TEM sign -s p.key -m f.txt
run_expect 1 "a forged code deep in a batch" $TEM label f.txt -p p.pub --claim b7.txt.claim --threads 4 -o f.pdf
expect_grep "names code 4138 on line 4150" "code 4138 (line $((H + 4138))): does not verify" "$T/err"
expect_no_file "no output after the refusal" f.pdf
# a malformed line after good codes: the reader's own line number
sed '3000s/^/x/' b7.txt >m.txt
$TEM sign -s p.key -m m.txt
run_expect 2 "a malformed line deep in a batch" $TEM label m.txt -p p.pub --claim b7.txt.claim -o m.pdf
expect_grep "names line 3000" 'm.txt: line 3000' "$T/err"
expect_no_file "no output after a malformed line" m.pdf
if ls ./*.tmp-* >/dev/null 2>&1; then not_ok "no temporary files left" "$(ls -d ./*.tmp-*)"; else ok "no temporary files left"; fi
# the issue time in a header is strict
sed 's/^issued: \(.\{11\}\)[0-9]/issued: \1 /' b1.txt >t.txt
$TEM sign -s p.key -m t.txt
run_expect 2 "an issue time with a space for a digit" $TEM label t.txt -p p.pub -o t.pdf
expect_grep "names the issued line" 'line 8: issued' "$T/err"
done_testing
