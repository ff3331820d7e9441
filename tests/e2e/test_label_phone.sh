#!/bin/sh
# Labels as a buyer's phone sees them, proved with code nobody here wrote: every layout is
# rendered as PNG at 300 dpi, degraded as a phone captures it (tests/e2e/phone_view.py, written
# apart from label/check.c: area-resampled to 7 px/mm, Gaussian blur of 0.8 px) and decoded by
# two independent decoders, zbar (zbarimg) and ZXing (ZXingReader). The claim PIN on each label
# is the one python3's hashlib computes from the batch's claim key, and no other; the buyer
# line, the host and the unbroken short id are on every label (pdftotext).
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$T" || exit 1
N=4
$TEM keygen -p p.pub -s p.key -W >/dev/null
$TEM issue -s p.key -n $N --product "Cua Cà Mau" --producer "Hợp tác xã Cua Cà Mau Năm Căn" \
	--url https://tem.example.vn --valid-days 10 -o b.txt -q
KEYID=$(sed -n 's/^key-id: //p' b.txt)
FIRST=$(sed -n 's/^first-serial: //p' b.txt)
codes b.txt | sed 's|^|HTTPS://TEM.EXAMPLE.VN/C/|' >want.txt

# the PINs, computed apart from tem: "SERIAL PIN" a line, PIN as printed ("01234 56789")
python3 - b.txt.claim "$FIRST" $N >pins.txt <<'PY'
import base64, hashlib, sys
key = None
for line in open(sys.argv[1]):
    if line.startswith("claim-key: "):
        key = base64.b64decode(line.split(": ", 1)[1].strip())
first, n = int(sys.argv[2]), int(sys.argv[3])
for s in range(first, first + n):
    d = hashlib.blake2b(b"tem-claim-pin-v1" + s.to_bytes(8, "big"), key=key, digest_size=8)
    pin = "%010d" % (int.from_bytes(d.digest(), "big") % 10**10)
    print(s, pin[:5] + " " + pin[5:])
PY
expect_eq "python3 computed a PIN for each code" $N "$(grep -c '^[0-9]* [0-9]\{5\} [0-9]\{5\}$' pins.txt)"

# phone NAME PNG...: each label degraded as a phone sees it, decoded by zbar and by ZXing
phone() {
	name=$1
	shift
	: >zbar.txt
	: >zxing.txt
	for f in "$@"; do
		python3 "$HERE/phone_view.py" "$f" view.pgm || { not_ok "$name: $f degrades" && return; }
		zbarimg -q --raw view.pgm 2>/dev/null >>zbar.txt
		ZXingReader -format QRCode view.pgm 2>/dev/null | sed -n 's/^Text: *"\(.*\)"$/\1/p' >>zxing.txt
	done
	for d in zbar zxing; do
		sort $d.txt >got.txt
		if sort want.txt | cmp -s - got.txt; then
			ok "$name: $d reads every label as a phone sees it"
		else
			not_ok "$name: $d reads every label as a phone sees it" \
				"read $(wc -l <got.txt) of $N: $(head -c 200 got.txt)"
		fi
	done
}

for layout in tie sticker sheet; do
	check "$layout as PNG at 300 dpi" $TEM label b.txt -p p.pub --layout $layout --dpi 300 -o $layout.png
	phone "$layout (default size)" $layout.png/*.png
	check "$layout as PDF" $TEM label b.txt -p p.pub --layout $layout -o $layout.pdf
	check "$layout: --check reads each label back as a phone sees it" \
		$TEM label b.txt -p p.pub --layout $layout -o chk-$layout.pdf --check
	pdftotext -raw $layout.pdf - | tr '\n' ' ' >$layout.txt
	for s in $(seq "$FIRST" $((FIRST + N - 1))); do
		grep -q -- "$KEYID-$s " $layout.txt || grep -q -- "$KEYID-$s\$" $layout.txt || break
	done
	expect_eq "$layout: every short id unbroken on one line" "$((FIRST + N - 1))" "$s"
	expect_grep "$layout: the buyer line" 'Tem chống hàng giả — quét mã để kiểm tra' $layout.txt
	expect_grep "$layout: the server's host" 'TEM.EXAMPLE.VN' $layout.txt
done
expect_grep "tie: the fold caption" 'Gấp lại — mã PIN bên trong' tie.txt
expect_grep "sticker: the scratch-off caption" 'Cào để lấy mã PIN' sticker.txt

# each sticker page is one code's label: its own PIN, and no other
i=0
bad=""
while read -r s pin; do
	i=$((i + 1))
	got=$(pdftotext -f $i -l $i -raw sticker.pdf - | tr '\n' ' ' | grep -o '[0-9]\{5\} [0-9]\{5\}' | tr '\n' ',')
	[ "$got" = "$pin," ] || bad="$bad serial $s: want '$pin,' got '$got';"
done <pins.txt
expect_eq "each sticker carries its own code's PIN and no other" "" "$bad"
want_pins=$(cut -d' ' -f2- pins.txt | sort | tr '\n' ',')
for layout in tie sheet; do
	got=$(grep -o '[0-9]\{5\} [0-9]\{5\}' $layout.txt | sort | tr '\n' ',')
	expect_eq "$layout: the batch's PINs, each once" "$want_pins" "$got"
done

# PNGs carry their resolution: 300 dpi is 11811 pixels a metre
f=$(ls tie.png/*.png | head -n 1)
phys=$(python3 -c 'import sys, struct
d = open(sys.argv[1], "rb").read(); i = d.find(b"pHYs")
print("%d %d %d" % struct.unpack(">IIB", d[i + 4:i + 13]) if i > 0 else "none")' "$f")
expect_eq "a PNG's pHYs says 300 dpi" "11811 11811 1" "$phys"

# modules a phone cannot read: the old 15 mm tie (0.28 mm) reads with neither decoder, and
# --check says so before anything is printed
check "a 15 mm tie still renders with --min-module 0.25" $TEM label b.txt -p p.pub --layout tie \
	--label-size 15x65mm --min-module 0.25 --dpi 300 -o narrow.png
python3 "$HERE/phone_view.py" "$(ls narrow.png/*.png | head -n 1)" narrow.pgm
expect_eq "0.28 mm modules: zbar reads nothing" "" "$(zbarimg -q --raw narrow.pgm 2>/dev/null)"
expect_eq "0.28 mm modules: ZXing reads nothing" "" \
	"$(ZXingReader -format QRCode narrow.pgm 2>/dev/null | sed -n 's/^Text: *//p')"
run_expect 1 "--check fails labels a phone cannot read" $TEM label b.txt -p p.pub --layout tie \
	--label-size 15x65mm --min-module 0.25 --check -o narrow.pdf
expect_grep "--check names the label and why" 'does not read as a phone sees it' "$T/err"
expect_no_file "nothing written after --check fails" narrow.pdf
run_expect 2 "--min-module below one printer dot is refused" $TEM label b.txt -p p.pub \
	--min-module 0.08 -o x.pdf
expect_grep "names the printer's dot" 'one dot of a 300 dpi printer' "$T/err"
check "--min-module of a 600 dpi printer's dot is allowed with --printer-dpi 600" \
	$TEM label b.txt -p p.pub --layout sheet --min-module 0.08 --printer-dpi 600 -o x600.pdf

# the claim key: needed, checked, optional only when asked
mkdir other && cp b.txt b.txt.minisig other/
run_expect 2 "a batch with claim PINs and no claim key file is refused" \
	$TEM label other/b.txt -p p.pub -o other/x.pdf
expect_grep "says what is missing and what to do" 'claim key cannot be read.*--no-pin' "$T/err"
check "--claim FILE names the key file" $TEM label other/b.txt -p p.pub --claim b.txt.claim \
	--layout sticker -o other/c.pdf
expect_eq "with --claim the PINs are the same" "$want_pins" \
	"$(pdftotext -raw other/c.pdf - | tr '\n' ' ' | grep -o '[0-9]\{5\} [0-9]\{5\}' | sort | tr '\n' ',')"
$TEM issue -s p.key -n 2 --product P --url https://tem.example.vn -o b2.txt -q
run_expect 1 "another batch's claim key is refused" $TEM label other/b.txt -p p.pub \
	--claim b2.txt.claim -o other/y.pdf
check "--no-pin draws a proof without PINs" $TEM label other/b.txt -p p.pub --no-pin \
	--layout sticker -o other/proof.pdf
expect_grep "--no-pin says so" 'without their PIN area' "$T/err"
expect_eq "a --no-pin proof has no PIN" "" \
	"$(pdftotext -raw other/proof.pdf - | tr '\n' ' ' | grep -o '[0-9]\{5\} [0-9]\{5\}\|Cào')"
$TEM issue -s p.key -n 2 --product P --url https://tem.example.vn --no-claim -o nc.txt -q
check "a --no-claim batch labels without a claim file" $TEM label nc.txt -p p.pub --layout sticker -o nc.pdf
expect_eq "and has no PIN area" "" "$(pdftotext -raw nc.pdf - | grep -o 'Cào\|Gấp')"

# output folders: OUT/ and an existing empty folder are filled
check "-o png/ fills the folder png" $TEM label b.txt -p p.pub --layout sticker --dpi 150 -o png/
expect_eq "one PNG a label in png/" $N "$(ls png | grep -c '\.png$')"
mkdir empty
check "an existing empty folder is filled" $TEM label nc.txt -p p.pub --layout sticker --dpi 150 \
	--format png -o empty
expect_eq "one PNG a label in it" 2 "$(ls empty | grep -c '\.png$')"
run_expect 2 "a folder with files in it is refused without -f" $TEM label nc.txt -p p.pub \
	--layout sticker --format png -o empty
done_testing
