#!/bin/sh
# tem issue, verify, inspect and trust: the producer's and the authority's flow, serials that
# never repeat, and bad input of every kind.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
$TEM keygen -p auth.pub -s auth.key -W >/dev/null
$TEM keygen -p prod.pub -s prod.key -W >/dev/null
$TEM keygen -p other.pub -s other.key -W >/dev/null

check "trust init" $TEM trust init -o trust.list --authority "Sở Khoa học và Công nghệ Cà Mau"
check "trust add" $TEM trust add trust.list -p prod.pub --name "Hợp tác xã Cua Cà Mau Năm Căn" --from 2026-01-01
run_expect 2 "trust add refuses the same key twice" $TEM trust add trust.list -p prod.pub --name again
run_expect 2 "trust add refuses a name that is not UTF-8" $TEM trust add trust.list -p other.pub --name "$(printf 'bad\377name')"
check "trust sign" $TEM trust sign trust.list -s auth.key
check "minisign verifies the trust list" minisign -Vm trust.list -p auth.pub
check "trust show verifies the list" $TEM trust show trust.list -P auth.pub
expect_grep "trust show lists the producer" 'Hợp tác xã Cua Cà Mau Năm Căn' "$T/out"
run_expect 1 "trust show with another authority key says no" $TEM trust show trust.list -P prod.pub

check "issue 24 codes" $TEM issue -s prod.key -n 24 --product "Cua Cà Mau" --producer "HTX Năm Căn" --url http://127.0.0.1:8080 --valid-days 10 -o b1.txt
expect_eq "the batch has a 13-line header (claim line included) and 24 codes" 37 "$(wc -l <b1.txt)"
check "minisign verifies the batch file" minisign -Vm b1.txt -p prod.pub
check "tem check verifies the batch file" $TEM check -p prod.pub -m b1.txt
tail -n 24 b1.txt >codes1
check "every code verifies with the trust list" $TEM verify -t trust.list -P auth.pub - <codes1
expect_eq "one genuine line per code" 24 "$(grep -c '^genuine ' "$T/out")"
expect_grep "verify names the producer" 'Hợp tác xã Cua Cà Mau Năm Căn' "$T/out"
check "every code verifies with the public key" $TEM verify -p prod.pub - <codes1
c1=$(sed -n 1p codes1)
check "a label URL verifies" $TEM verify -p prod.pub "HTTP://127.0.0.1:8080/C/$c1"
lower=$(echo "https://tem.example.vn/c/$c1" | tr 'A-Z' 'a-z')
check "a lower-case URL verifies" $TEM verify -p prod.pub "$lower"
check "inspect shows the fields" $TEM inspect -p prod.pub "$c1"
expect_grep "inspect shows serial 1" '^serial: *1$' "$T/out"
expect_grep "inspect shows the verdict" '^verdict: *genuine' "$T/out"

check "a second batch" $TEM issue -s prod.key -n 5 --product "Cua Cà Mau" -o b2.txt -q
expect_grep "serials continue where the last batch ended" '^first-serial: 25$' b2.txt
run_expect 2 "issue refuses to overwrite without -f" $TEM issue -s prod.key -n 5 --product x -o b2.txt
expect_grep "second batch was not spent" '^30$' prod.key.serial

# two runs at once on one key never share a serial
$TEM issue -s prod.key -n 3000 --product P -o c1.txt -q &
p1=$!
$TEM issue -s prod.key -n 3000 --product P -o c2.txt -q &
p2=$!
wait $p1
wait $p2
s1=$(sed -n 's/^first-serial: //p' c1.txt)
s2=$(sed -n 's/^first-serial: //p' c2.txt)
if [ $((s1 + 3000)) -le "$s2" ] || [ $((s2 + 3000)) -le "$s1" ]; then
	ok "concurrent issues reserved disjoint ranges ($s1, $s2)"
else
	not_ok "concurrent issues reserved disjoint ranges" "first serials $s1 and $s2"
fi
tail -n 3000 c1.txt >cc1
tail -n 3000 c2.txt >cc2
check "both concurrent batches verify" sh -c "cat cc1 cc2 | $TEM verify -q -p prod.pub -"

# verdicts other than genuine
# the clock is moved with faketime (under make check, ASan must accept not being loaded first)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
check "issue with an expiry date" faketime "2026-11-25 12:00:00" $TEM issue -s prod.key -n 2 --product P --expires 2026-12-01 -o e.txt -q
e1=$(tail -n 1 e.txt)
check "before its day the code is genuine" faketime "2026-12-01 12:00:00" $TEM verify -p prod.pub "$e1"
run_expect 1 "after its day the code is expired" faketime "2026-12-02 12:00:00" $TEM verify -p prod.pub "$e1"
expect_grep "expired is the verdict" '^expired ' "$T/out"
bad=$(echo "$c1" | change_char 1 61 -) # one signature character changed
run_expect 1 "a tampered code is not genuine" $TEM verify -p prod.pub "$bad"
run_expect 1 "a code of another key is unknown-key" $TEM verify -p other.pub "$c1"
expect_grep "unknown-key is the verdict" '^unknown-key ' "$T/out"
run_expect 1 "garbage is malformed" $TEM verify -p prod.pub "not-a-code"
expect_grep "malformed is the verdict" '^malformed ' "$T/out"
run_expect 1 "one bad code among good ones fails the run" $TEM verify -p prod.pub "$c1" xyz
cp trust.list t2.list
check "revoke a key" $TEM trust revoke t2.list "$(sed -n 's/^key-id: //p' b1.txt)" --date 2026-06-01
expect_no_file "revoking removed the stale signature" t2.list.minisig
check "sign the changed list" $TEM trust sign t2.list -s auth.key
run_expect 1 "a code of a revoked key is revoked" $TEM verify -t t2.list -P auth.pub "$c1"
expect_grep "revoked is the verdict" '^revoked ' "$T/out"
run_expect 1 "a code of a key not in the list is unknown-key" sh -c "$TEM issue -s other.key -n 1 --product P -o o.txt -q && $TEM verify -t trust.list -P auth.pub \$(tail -n 1 o.txt)"

# bad input
sed 's/Năm Căn$/Nam Can/' trust.list >t3.list
if cmp -s trust.list t3.list; then not_ok "the tampered copy differs from the list"; else ok "the tampered copy differs from the list"; fi
cp trust.list.minisig t3.list.minisig
run_expect 1 "a tampered trust list is refused" $TEM verify -t t3.list -P auth.pub "$c1"
expect_grep "the refusal says the signature does not verify" 'does not verify' "$T/err"
run_expect 2 "a trust list with no signature" sh -c "cp trust.list t4.list; $TEM verify -t t4.list -P auth.pub $c1"
run_expect 2 "empty stdin" $TEM verify -p prod.pub -
head -c 5000 /dev/zero | tr '\0' 'A' >long.txt
run_expect 2 "an overlong line on stdin" sh -c "$TEM verify -p prod.pub - <long.txt"
printf '\377\376\375\n' >nonutf8
run_expect 1 "non-UTF-8 input is malformed, not a crash" sh -c "$TEM verify -p prod.pub - <nonutf8"
run_expect 2 "issue refuses a product that is not UTF-8" $TEM issue -s prod.key -n 1 --product "$(printf 'bad\377')" -o x.txt
run_expect 2 "issue refuses a product with a newline" $TEM issue -s prod.key -n 1 --product "$(printf 'a\nb')" -o x.txt
expect_no_file "nothing written for a refused product" x.txt
run_expect 2 "issue refuses -n 0" $TEM issue -s prod.key -n 0 --product P -o x.txt
run_expect 2 "issue refuses an impossible date" $TEM issue -s prod.key -n 1 --product P --expires 2026-02-30 -o x.txt
run_expect 2 "issue refuses a bad batch id" $TEM issue -s prod.key -n 1 --product P --batch 'a b' -o x.txt
run_expect 2 "issue into an unwritable folder" $TEM issue -s prod.key -n 10 --product P -o /proc/nope/x.txt
run_expect 2 "issue with a truncated key" sh -c "head -c 50 prod.key >t.key; $TEM issue -s t.key -n 1 --product P -o x.txt"
expect_no_file "no half-written batch" x.txt
if ls ./*.tmp-* >/dev/null 2>&1; then not_ok "no temporary files left" "$(ls ./*.tmp-*)"; else ok "no temporary files left"; fi
change_char 20 31 b1.txt >tampered.txt
cp b1.txt.minisig tampered.txt.minisig
run_expect 1 "a tampered batch file fails its signature" $TEM check -p prod.pub -m tampered.txt
for c in issue verify inspect trust; do
	check "tem $c --help" $TEM $c --help
	expect_grep "tem $c --help starts with its usage line" "^usage: tem $c" "$T/out"
done
done_testing
