#!/bin/sh
# temd's files: the ledger, its WAL and the secret file are 0600 (an existing ledger made with
# more is narrowed); trust inputs others could replace are refused (the trust list, the
# authority's key, their folders, the ledger's folder); a batch hand-edited or injected into the
# ledger stops the start, named, instead of being shown to buyers. On PostgreSQL
# (TEM_TEST_DB=pg) the ledger's files are the database server's: the secret file and its folder
# are checked, and the ledger edited by hand.
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
cd "$T" || exit 1
for k in a p; do $TEM keygen -p $k.pub -s $k.key -W >/dev/null; done
$TEM trust init -o trust.list --authority "Sở Khoa học và Công nghệ Cà Mau" >/dev/null
$TEM trust add trust.list -p p.pub --name "HTX Năm Căn" >/dev/null 2>&1
$TEM trust sign trust.list -s a.key >/dev/null
$TEM issue -s p.key -n 3 --product "Cua Cà Mau" -o b.txt -q --no-claim
$TEM issue -s p.key -n 3 --product "Cua Cà Mau" -o b2.txt -q --no-claim
mkdir db
start_temd s --db db/l.db --trust trust.list --authority a.pub || echo "# temd did not start: $(cat "$T/s.log")"
check "a batch registers" $TEM register b.txt --server "$URL" -q
scan "$(code_at b.txt 1)"
if [ "$TEM_TEST_DB" = sqlite ]; then
	expect_eq "the ledger, its WAL and shared memory, and the secret file are 0600" "600 600 600 600" \
		"$(stat -c %a db/l.db db/l.db-wal db/l.db-shm db/l.db.secret | tr '\n' ' ' | sed 's/ $//')"
else
	expect_eq "the secret file is 0600" "600" "$(stat -c %a db/l.db.secret)"
fi
expect_eq "the secret key's counter is 0600" "600" "$(stat -c %a p.key.serial)"
stop_temd TERM
if [ "$TEM_TEST_DB" = sqlite ]; then
	chmod 644 db/l.db
	start_temd s2 --db db/l.db --trust trust.list --authority a.pub || echo "# temd did not start: $(cat "$T/s2.log")"
	expect_eq "a ledger found 0644 is made 0600" "600" "$(stat -c %a db/l.db)"
	expect_grep "and temd says so" 'made the ledger.s files private' "$T/s2.log"
	stop_temd TERM
fi

refused() { # NAME LOGNAME PATTERN: temd must not start, and must say PATTERN
	if start_temd "$2" --db db/l.db --trust trust.list --authority a.pub; then
		not_ok "$1"
		stop_temd KILL
	else
		ok "$1"
	fi
	expect_grep "  saying why" "$3" "$T/$2.log"
}
chmod 664 trust.list
refused "a group-writable trust list is refused" g1 'trust.list (the trust list) is writable by its group (mode 664): .*chmod go-w'
chmod 644 trust.list
chmod 666 a.pub
refused "a world-writable authority key is refused" g2 'a.pub (the authority.s public key) is writable by everyone'
chmod 644 a.pub
chmod 777 db
refused "a world-writable ledger folder is refused" g3 'db (the ledger.s folder) is writable by everyone'
chmod 700 db
chmod 775 .
refused "a group-writable folder of the trust list is refused" g4 'the folder of the trust list) is writable by its group'
chmod 700 .

# the ledger changed by hand
ledger_sql db/l.db "update batches set product = 'Cua Hoàng Đế' where first_serial = 1"
refused "a hand-edited product name stops the start" t1 "refusing to start: batch .* of key .*: the ledger's product, producer, serials or dates differ from its signed header"
ledger_sql db/l.db "update batches set product = 'Cua Cà Mau' where first_serial = 1"
# another header copied in: its own signature verifies, but not for the row it sits in
ledger_sql db/l.db "insert into batches(key_id, first_serial, last_serial, batch_id, product, producer, url, issued, last_day, header, registered)
	select key_id, 100, 102, batch_id, 'Cua giả', producer, url, issued, last_day, header, registered from batches where first_serial = 1"
refused "an injected batch stops the start" t2 'differ from its signed header'
ledger_sql db/l.db "delete from batches where first_serial = 100"
sed 's/^product: .*/product: Cua giả/' b2.txt | sed '/^$/q' >forged.hdr
ledger_sql db/l.db "insert into batches(key_id, first_serial, last_serial, batch_id, product, producer, url, issued, last_day, header, registered)
	select key_id, 4, 6, batch_id, 'Cua giả', producer, url, issued, last_day, readfile('forged.hdr'), registered from batches where first_serial = 1" \
	"insert into batches(key_id, first_serial, last_serial, batch_id, product, producer, url, issued, last_day, header, registered)
	select key_id, 4, 6, batch_id, 'Cua giả', producer, url, issued, last_day, convert_from(decode('$(base64 -w 0 forged.hdr)', 'base64'), 'UTF8'), registered from batches where first_serial = 1"
refused "a batch whose header the producer did not sign stops the start" t3 'is not one the producer signed'
ledger_sql db/l.db "delete from batches where first_serial = 4"
if start_temd s3 --db db/l.db --trust trust.list --authority a.pub; then
	ok "the ledger put right starts again"
	scan "$(code_at b.txt 1)"
	expect_eq "and its batch is genuine again, as signed" "Cua Cà Mau" "$(json product)"
	expect_eq "one client so far" "1" "$(json clients)"
	stop_temd TERM
else
	not_ok "the ledger put right starts again" "$(cat "$T/s3.log")"
fi

# the client salt: in the 0600 secret file, never in the ledger
expect_eq "the ledger holds no client salt" "0" "$(ledger_sql db/l.db "select count(*) from meta where name = 'client-salt'")"
expect_eq "the secret file holds it: 64 bytes" "64" "$(stat -c %s db/l.db.secret)"
# the rest is SQLite's: only a SQLite ledger ever held the salt
if [ "$TEM_TEST_DB" != sqlite ]; then
	done_testing
	exit 0
fi
# a ledger from before: its salt in table meta, a 32-byte secret file
SALT=$(tail -c 32 db/l.db.secret | od -An -tx1 -v | tr -d ' \n')
sqlite3 db/l.db "insert into meta values('client-salt', x'$SALT')"
truncate -s 32 db/l.db.secret
start_temd s4 --db db/l.db --trust trust.list --authority a.pub || echo "# temd did not start: $(cat "$T/s4.log")"
expect_grep "an old ledger's salt is moved out at start" 'client salt moved out of the ledger' "$T/s4.log"
expect_eq "gone from the ledger" "0" "$(sqlite3 db/l.db "select count(*) from meta where name = 'client-salt'")"
expect_eq "into the secret file, unchanged" "64 $SALT" \
	"$(stat -c %s db/l.db.secret) $(tail -c 32 db/l.db.secret | od -An -tx1 -v | tr -d ' \n')"
scan "$(code_at b.txt 1)"
expect_eq "so every client keeps its id" "1" "$(json clients)"
stop_temd TERM
done_testing
