#!/bin/sh
# tem label, proved with decoders nobody here wrote: every layout in every format is
# rasterised (pdftoppm, rsvg-convert), every QR decoded with zbarimg, and the decoded URLs must
# be exactly the batch's, each verifying with tem verify. Then bad input of every kind.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
$TEM keygen -p p.pub -s p.key -W >/dev/null
$TEM keygen -p o.pub -s o.key -W >/dev/null
$TEM issue -s p.key -n 14 --product "Cua Cà Mau" --producer "Hợp tác xã Cua Cà Mau Năm Căn" \
	--url http://127.0.0.1:8080 --valid-days 10 -o b.txt -q
tail -n 14 b.txt | sed 's|^|HTTP://127.0.0.1:8080/C/|' | sort >want.txt

# decoded NAME FILES...: zbarimg over rasterised labels, one label a file, compared with the
# batch. zbar now and then reports one symbol twice from one image (seen once in CI, under
# make check): a file's repeats of the same text are one reading, a second different text in
# one file is not.
decoded() {
	name=$1
	shift
	for f; do
		zbarimg -q --raw "$f" 2>/dev/null | sort -u
	done | sort >got.txt
	if cmp -s want.txt got.txt; then
		ok "$name: every label decodes to exactly its code"
	else
		not_ok "$name: every label decodes to exactly its code" \
			"missing: $(comm -23 want.txt got.txt | wc -l), unexpected: $(comm -13 want.txt got.txt | wc -l)"
	fi
}

# cells LAYOUT: "INDEX PAGE X Y W H" (mm) for each of the batch's labels, from tem label --info.
# A phone sees one label at a time; zbar run over a whole page of aligned symbols misses some
# (a limit of its finder, worse at higher resolution), so each label is rasterised on its own.
cells() {
	$TEM label b.txt -p p.pub --layout "$1" --info | awk -v n=14 '
		/^label / { split($2, s, "x"); w = s[1] + 0; h = s[2] + 0; per = $4 + 0 }
		/^grid / { split($2, c, "x"); cols = c[1] + 0; split($6, o, ","); x0 = o[1]; y0 = o[2] }
		END { for (i = 0; i < n; i++) { k = i % per
			printf "%d %d %.3f %.3f %.3f %.3f\n", i, int(i / per) + 1,
				x0 + (k % cols) * w, y0 + int(k / cols) * h, w, h } }'
}
px() { awk -v mm="$1" 'BEGIN { printf "%d", mm / 25.4 * 300 + 0.5 }'; }

for layout in tie sticker sheet; do
	check "$layout as PDF" $TEM label b.txt -p p.pub --layout $layout -o $layout.pdf
	rm -f cell-*.png
	cells $layout | while read -r i pg x y w h; do
		pdftoppm -r 300 -f "$pg" -l "$pg" -x "$(px "$x")" -y "$(px "$y")" -W "$(px "$w")" \
			-H "$(px "$h")" -png -singlefile $layout.pdf cell-$i 2>/dev/null
	done
	decoded "$layout PDF (pdftoppm 300 dpi)" cell-*.png
	check "$layout as SVG" $TEM label b.txt -p p.pub --layout $layout -o $layout.svg
	rm -f cell-*.png
	cells $layout | while read -r i pg x y w h; do
		if [ -d $layout.svg ]; then f=$(ls $layout.svg/*.svg | sed -n "${pg}p"); else f=$layout.svg; fi
		rsvg-convert -d 300 -p 300 -b white --page-width ${w}mm --page-height ${h}mm \
			--left=-${x}mm --top=-${y}mm "$f" -o cell-$i.png 2>/dev/null
	done
	decoded "$layout SVG (rsvg-convert 300 dpi)" cell-*.png
	check "$layout as PNG" $TEM label b.txt -p p.pub --layout $layout --dpi 300 -o $layout.png
	decoded "$layout PNG" $layout.png/*.png
done
expect_eq "one PNG per label" 14 "$(ls tie.png | wc -l)"
zbarimg -q --raw cell-*.png 2>/dev/null | head -n 3 >urls.txt
check "decoded URLs verify with tem verify" $TEM verify -p p.pub $(cat urls.txt)
check "--check reads every label back" $TEM label b.txt -p p.pub --layout sticker -o chk.pdf --check
expect_grep "--check says so" 'read back' "$T/err"
check "--info reports the QR version" $TEM label b.txt -p p.pub --info
expect_grep "--info names version 7 for this URL" 'QR version 7' "$T/out"
check "--ecc H makes a bigger symbol" $TEM label b.txt -p p.pub --layout sheet --ecc H --info
expect_grep "--ecc H gives version 10" 'QR version 10' "$T/out"
check "Vietnamese text is drawn as text" sh -c "pdftotext -raw sheet.pdf - | tr '\\n' ' ' | grep -q 'Hợp tác xã Cua Cà Mau'"

# bad input: a clear error, a non-zero exit and nothing left behind
run_expect 2 "unknown layout" $TEM label b.txt -p p.pub --layout poster -o x.pdf
run_expect 2 "unknown paper" $TEM label b.txt -p p.pub --layout sheet --paper A3 -o x.pdf
run_expect 2 "a label size that does not fit the page" $TEM label b.txt -p p.pub --layout sheet --label-size 300x30mm -o x.pdf
expect_grep "says it does not fit" 'does not fit' "$T/err"
run_expect 2 "a QR too big for the label" $TEM label b.txt -p p.pub --layout sticker --qr-size 40 -o x.pdf
run_expect 2 "modules under the printer's minimum" $TEM label b.txt -p p.pub --layout tie --min-module 0.5 -o x.pdf
expect_grep "names the smallest QR that works" 'smallest QR that works is' "$T/err"
run_expect 2 "a base URL past --max-version" $TEM label b.txt -p p.pub --max-version 5 -o x.pdf
expect_grep "names the version needed" 'needs QR version 7' "$T/err"
run_expect 2 "unknown format" $TEM label b.txt -p p.pub -o x.gif
run_expect 2 "unwritable output" $TEM label b.txt -p p.pub -o /proc/nope/x.pdf
run_expect 2 "no key given" $TEM label b.txt -o x.pdf
run_expect 1 "another producer's key" $TEM label b.txt -p o.pub -o x.pdf
head -c 2000 b.txt >trunc.txt
cp b.txt.minisig trunc.txt.minisig
run_expect 1 "a truncated batch fails its signature" $TEM label trunc.txt -p p.pub -o x.pdf
# a re-signed batch with a forged code: the file signature holds, the code's does not
H=$(header_lines b.txt)
change_char $((H + 2)) 51 b.txt >forged.txt
$TEM sign -s p.key -m forged.txt -f
run_expect 1 "a forged code in a re-signed batch" $TEM label forged.txt -p p.pub --claim b.txt.claim -o x.pdf
expect_grep "names the bad code's line" "code 2 (line $((H + 2)))" "$T/err"
printf 'not a batch\n' >junk.txt
$TEM sign -s p.key -m junk.txt
run_expect 2 "a file of another format" $TEM label junk.txt -p p.pub -o x.pdf
expect_grep "says it is not a batch" 'not a tem batch file' "$T/err"
expect_no_file "no output file after any refusal" x.pdf
if ls ./*.tmp-* >/dev/null 2>&1; then not_ok "no temporary files left" "$(ls -d ./*.tmp-*)"; else ok "no temporary files left"; fi
run_expect 2 "refuses to overwrite without -f" $TEM label b.txt -p p.pub -o tie.pdf
check "-f overwrites" $TEM label b.txt -p p.pub -o tie.pdf -f
check "tem label --help" $TEM label --help
expect_grep "--help starts with the usage line" '^usage: tem label' "$T/out"
done_testing
