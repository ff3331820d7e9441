#!/bin/sh
# An older trust list, validly signed, put back in place of the newest: temd refuses it at start
# and on SIGHUP (keeping the list in force), so a revoked key cannot be un-revoked that way.
# tem trust raises the list's sequence number with every change and signature; a list without
# one reads as sequence 0.
. "$(dirname "$0")/lib.sh"
: "${TEMD:?TEMD must name the temd binary}"
cd "$T" || exit 1
for k in a p; do $TEM keygen -p $k.pub -s $k.key -W >/dev/null; done
$TEM trust init -o trust.list --authority "Sở Khoa học và Công nghệ Cà Mau" >/dev/null
expect_grep "a new list starts at sequence 1" '^sequence: 1$' trust.list
$TEM trust add trust.list -p p.pub --name "HTX Năm Căn" >/dev/null 2>&1
expect_grep "a change raises it" '^sequence: 2$' trust.list
check "tem trust sign" $TEM trust sign trust.list -s a.key
expect_grep "so does a signature" '^sequence: 3$' trust.list
expect_grep "and says so" 'sequence 3' "$T/out"
check "the signed list verifies" $TEM trust show trust.list -P a.pub
expect_grep "show gives the sequence" '^sequence: 3$' "$T/out"
cp trust.list old.list
cp trust.list.minisig old.list.minisig
$TEM issue -s p.key -n 3 --product "Cua Cà Mau" -o b.txt -q --no-claim
C=$(code_at b.txt 1)

start_temd s --db l.db --trust trust.list --authority a.pub || echo "# temd did not start: $(cat "$T/s.log")"
expect_grep "temd logs the sequence in force" 'sequence 3,' "$T/s.log"
check "the batch registers" $TEM register b.txt --server "$URL" -q
KEY=$(sed -n 's/^key-id: //p' b.txt)
$TEM trust revoke trust.list "$KEY" --date 2000-01-01 >/dev/null 2>&1
$TEM trust sign trust.list -s a.key >/dev/null
expect_grep "the revoking list is sequence 5" '^sequence: 5$' trust.list
cp trust.list new.list
cp trust.list.minisig new.list.minisig
kill -HUP "$TEMD_PID"
wait_for 10 grep -q 'sequence 5,' "$T/s.log"
scan "$C"
expect_eq "the revocation is in force" "revoked" "$(json verdict)"

# the old list put back, its signature valid
cp old.list trust.list
cp old.list.minisig trust.list.minisig
check "the old list's signature is valid" $TEM trust show trust.list -P a.pub
kill -HUP "$TEMD_PID"
wait_for 10 grep -q 'not reloaded' "$T/s.log"
expect_grep "SIGHUP refuses it, naming both sequences" 'sequence 3 is older than sequence 5' "$T/s.log"
scan "$C"
expect_eq "the revocation stays in force" "revoked" "$(json verdict)"
stop_temd TERM

if start_temd s2 --db l.db --trust trust.list --authority a.pub; then
	not_ok "temd refuses to start on the old list"
	stop_temd KILL
else
	ok "temd refuses to start on the old list"
fi
expect_grep "saying why" 'refusing to start: .*sequence 3 is older than sequence 5' "$T/s2.log"

# a list with no sequence line (made before it existed) reads as sequence 0
grep -v '^sequence:' new.list >nos.list
check "a list without a sequence line is read" $TEM trust show nos.list
expect_grep "as sequence 0" '^sequence: 0$' "$T/out"
check "tem sign signs it as it stands" $TEM sign -s a.key -m nos.list
if start_temd s3 --db l.db --trust nos.list --authority a.pub; then
	not_ok "temd refuses it too, on a ledger that accepted sequence 5"
	stop_temd KILL
else
	ok "temd refuses it too, on a ledger that accepted sequence 5"
fi
start_temd s4 --db fresh.db --trust nos.list --authority a.pub || echo "# temd did not start: $(cat "$T/s4.log")"
expect_grep "a fresh ledger takes it, as sequence 0" 'sequence 0,' "$T/s4.log"
stop_temd TERM

# the newest list still starts
cp new.list trust.list
cp new.list.minisig trust.list.minisig
if start_temd s5 --db l.db --trust trust.list --authority a.pub; then
	ok "the newest list starts temd"
	stop_temd TERM
else
	not_ok "the newest list starts temd" "$(cat "$T/s5.log")"
fi

# names that hide or reorder text are refused
run_expect 2 "tem trust add refuses a name with a right-to-left override" \
	$TEM trust add trust.list -p a.pub --name "$(printf 'HTX \342\200\256nC maN')"
expect_grep "naming the character" 'U+202E' "$T/err"
run_expect 2 "tem trust init refuses an authority with a zero-width space" \
	$TEM trust init -o z.list --authority "$(printf 'S\342\200\213KHCN')"
run_expect 2 "tem issue refuses a product with a zero-width joiner" \
	$TEM issue -s p.key -n 1 --product "$(printf 'Cua\342\200\215 Cà Mau')" -o z.txt -q
expect_grep "naming the option" '^tem: --product holds an invisible' "$T/err"
done_testing
