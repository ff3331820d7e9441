#!/bin/sh
# temd restarted on the same ledger answers as before: a registered batch keeps its issue time
# (the JSON's "issued" and the buyer's page's "Issued" row), read back from the ledger at start
# rather than from the registration temd no longer remembers.
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
cd "$T" || exit 1
make_authority "Hợp tác xã Cua Cà Mau Năm Căn"
$TEM issue -s p.key -n 3 --product "Cua Cà Mau" --producer "HTX Năm Căn" \
	--url http://127.0.0.1:8080 -o b.txt -q --valid-days 30
CODE=$(code_at b.txt 1)
ISSUED=$(sed -n 's/^issued: //p' b.txt)
# issued_row FILE: the text of the page's "Issued" row (English), empty when it has none
issued_row() { sed -n 's|.*<dt>Issued</dt><dd>\([^<]*\)</dd>.*|\1|p' "$1"; }

start_temd r1 --db l.db --trust trust.list --authority a.pub || echo "# temd did not start: $(cat "$T/r1.log")"
check "tem register registers the batch" $TEM register b.txt --server "$URL"
scan "$CODE"
expect_eq "a scan before the restart is genuine" "200 genuine" "$(cat "$T/status") $(json verdict)"
BEFORE=$(json issued)
expect_eq "and gives the batch's issue time" "$ISSUED" "$BEFORE"
curl -s -m 10 -o page1.html "$URL/c/$CODE?lang=en"
ROW1=$(issued_row page1.html)
if [ -n "$ROW1" ]; then ok "the page has its Issued row"; else not_ok "the page has its Issued row" "$(head -c 400 page1.html)"; fi

stop_temd TERM
expect_eq "SIGTERM: exit 0" "0" "$TEMD_STATUS"
start_temd r2 --db l.db --trust trust.list --authority a.pub || echo "# temd did not restart: $(cat "$T/r2.log")"
expect_grep "the restarted temd loaded the batch" '(.* scans, 1 batches)' "$T/r2.log"
scan "$CODE"
expect_eq "after the restart the same code is still genuine" "200 genuine" "$(cat "$T/status") $(json verdict)"
AFTER=$(json issued)
expect_eq "the issue time survives the restart" "$BEFORE" "$AFTER"
case $AFTER in 1970-*) not_ok "and is not the epoch" "$AFTER" ;; *) ok "and is not the epoch" ;; esac
curl -s -m 10 -o page2.html "$URL/c/$CODE?lang=en"
expect_eq "the page keeps its Issued row, unchanged" "$ROW1" "$(issued_row page2.html)"
curl -s -m 10 -o page3.html "$URL/c/$CODE"
expect_grep "and so does the Vietnamese page" '<dt>Ngày phát hành</dt>' page3.html
stop_temd TERM
expect_eq "the second SIGTERM: exit 0" "0" "$TEMD_STATUS"
done_testing
