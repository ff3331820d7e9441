#!/bin/sh
# What a buyer's phone shows, on a real temd: a label's URL with one trailing slash is the
# code; a forged label names the producer it impersonates and none of its facts; a warning page
# gives temd --contact first.
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
cd "$T" || exit 1
make_authority "HTX Cua Năm Căn"
$TEM issue -s p.key -n 3 --product "Cua gạch" -o b.txt -q
start_temd s --db l.db --trust trust.list --authority a.pub --contact "Zalo 0290 3 123 456" ||
	echo "# temd did not start: $(cat "$T/s.log")"
$TEM register b.txt --server "$URL" -q
C=$(code_at b.txt 1)

curl -s -m 10 -o page.html "$URL/c/$C/"
expect_grep "/c/CODE/ with one trailing slash is the code" 'Hàng chính hãng' page.html
curl -s -m 10 -o page.html "$URL/c/$C//"
expect_grep "two trailing slashes are not" 'Không phải mã tem' page.html

# a forged label: a real code of the producer with its signature changed
printf '%s\n' "$C" >c.txt
F=$(change_char 1 120 c.txt)
curl -s -m 10 -o page.html "$URL/c/$F"
expect_grep "a forged label is called fake" 'Tem giả' page.html
expect_grep "naming the producer it impersonates" 'Tem này mạo danh HTX Cua Năm Căn' page.html
if grep -q 'Cua gạch' page.html; then
	not_ok "and showing none of the real batch's facts"
else
	ok "and showing none of the real batch's facts"
fi
expect_grep "the contact is on the warning page" 'Zalo 0290 3 123 456' page.html
act=$(grep -o 'class="box act"' page.html | head -1)
before=$(sed 's/<dl>.*//' page.html)
case "$before" in
*'class="box act"'*) ok "what to do comes before the details" ;;
*) not_ok "what to do comes before the details" "act box: '$act'" ;;
esac
run_expect 2 "a --contact with control characters is refused" "$TEMD" --db x.db --trust trust.list \
	--authority a.pub --contact "$(printf 'a\tb')"
expect_grep "and says why" 'contact' "$T/err"
done_testing
