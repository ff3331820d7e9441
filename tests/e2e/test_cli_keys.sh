#!/bin/sh
# tem keygen, sign and check, and interoperability with the real minisign program both ways,
# with and without a passphrase.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
echo 'a file to sign' >f.txt
printf 'secret words\n' >pass.txt

check "keygen -W makes a key pair" $TEM keygen -p a.pub -s a.key -W
expect_grep "keygen prints the key id" '^key id [0-9A-F]\{16\}$' "$T/out"
expect_eq "secret key file is mode 600" 600 "$(stat -c %a a.key)"
run_expect 2 "keygen refuses to overwrite without -f" $TEM keygen -p a.pub -s a.key -W
expect_grep "keygen says why" 'already exists (use -f' "$T/err"
cp a.pub a.pub.old
check "keygen -f overwrites" $TEM keygen -p a.pub -s a.key -W -f
if cmp -s a.pub a.pub.old; then not_ok "and makes a new key" "a.pub unchanged"; else ok "and makes a new key"; fi
run_expect 2 "keygen with a passphrase but no terminal fails clearly" $TEM keygen -p b.pub -s b.key
expect_grep "keygen names the ways to give a passphrase" 'passphrase-file' "$T/err"
expect_no_file "no secret key half-made" b.key
check "keygen --passphrase-file" $TEM keygen -p e.pub -s e.key --passphrase-file pass.txt
expect_grep "encrypted key says so in its comment" 'encrypted' e.key

check "sign with an unencrypted key" $TEM sign -s a.key -m f.txt
check "minisign verifies tem's signature" minisign -Vm f.txt -p a.pub
check "tem check verifies it" $TEM check -p a.pub -m f.txt
expect_grep "check prints the trusted comment" 'trusted comment: timestamp' "$T/out"
check "sign with an encrypted key (TEM_PASSPHRASE)" env TEM_PASSPHRASE='secret words' $TEM sign -s e.key -m f.txt -f
check "minisign verifies the encrypted key's signature" minisign -Vm f.txt -p e.pub
run_expect 2 "wrong passphrase is refused" env TEM_PASSPHRASE=nope $TEM sign -s e.key -m f.txt -f
expect_grep "wrong passphrase is named" 'wrong passphrase' "$T/err"
run_expect 2 "signing refuses to overwrite a signature without -f" $TEM sign -s a.key -m f.txt
run_expect 1 "check with another key says no" $TEM check -p a.pub -m f.txt
expect_grep "check names both keys" 'signed by key' "$T/err"
echo tampered >>f.txt
run_expect 1 "check of a tampered file says no" $TEM check -p e.pub -m f.txt
printf 'a file to sign\n' >f.txt

# keys made by minisign itself
check "minisign -G -W makes a key" minisign -G -W -p m.pub -s m.key
check "tem signs with minisign's unencrypted key" $TEM sign -s m.key -m f.txt -f
check "minisign verifies it" minisign -Vm f.txt -p m.pub
printf 'pw1\npw1\n' | minisign -G -p me.pub -s me.key >/dev/null 2>&1
check "tem signs with minisign's encrypted key" env TEM_PASSPHRASE=pw1 $TEM sign -s me.key -m f.txt -f
check "minisign verifies that too" minisign -Vm f.txt -p me.pub
# Those were the suite's two scrypt derivations at minisign's setting (1 GiB): minisign's
# keygen and tem's use of its key. The refusals below derive at scrypt's interactive limits:
# me.key with its limits rewritten to those (bytes 38-53 of the decoded key: opslimit, memlimit).
sed -n 2p me.key | base64 -d >me.bin
expect_eq "minisign's key has minisign's limits (2^25 ops, 1 GiB)" \
	" 00 00 00 02 00 00 00 00 00 00 00 40 00 00 00 00" "$(od -An -tx1 -j38 -N16 me.bin)"
sed -n 1p me.key >mi.key
{ head -c 38 me.bin; printf '\000\000\010\000\000\000\000\000\000\000\000\001\000\000\000\000'; tail -c +55 me.bin; } |
	base64 -w 0 >>mi.key
echo >>mi.key
run_expect 2 "minisign's key with a wrong passphrase is refused" env TEM_PASSPHRASE=pw2 $TEM sign -s mi.key -m f.txt -f
expect_grep "and the passphrase is named" 'wrong passphrase' "$T/err"
run_expect 2 "tem derives with the limits the key file gives, not its own" env TEM_PASSPHRASE=pw1 $TEM sign -s mi.key -m f.txt -f
echo 'signed by minisign' >g.txt
minisign -S -s m.key -m g.txt -W >/dev/null 2>&1 || echo 'pw1' | minisign -S -s m.key -m g.txt >/dev/null 2>&1
check "tem checks a signature made by minisign" $TEM check -p m.pub -m g.txt
echo 'secret words' | minisign -S -s e.key -m g.txt >/dev/null 2>&1
check "minisign signs with tem's encrypted key" $TEM check -p e.pub -m g.txt

# damaged key files
head -c 40 a.key >trunc.key
run_expect 2 "truncated secret key" $TEM sign -s trunc.key -m f.txt -f
expect_grep "error names the file" 'trunc.key' "$T/err"
c=$(sed -n 2p a.key | cut -c121)
r=A
[ "$c" = A ] && r=B
sed "2s/^\(.\{120\}\)./\1$r/" a.key >corrupt.key
run_expect 2 "corrupted secret key" $TEM sign -s corrupt.key -m f.txt -f
head -c 30 a.pub >trunc.pub
run_expect 2 "truncated public key" $TEM check -p trunc.pub -m f.txt
printf '\377\376garbage' >bin.pub
run_expect 2 "binary junk as a public key" $TEM check -p bin.pub -m f.txt
run_expect 2 "missing file" $TEM check -p nope.pub -m f.txt
run_expect 2 "empty signature file" sh -c ": >f.txt.minisig; $TEM check -p a.pub -m f.txt"
for c in keygen sign check; do
	check "tem $c --help" $TEM $c --help
	expect_grep "tem $c --help starts with its usage line" "^usage: tem $c" "$T/out"
done
run_expect 2 "unknown command" $TEM frobnicate
done_testing
