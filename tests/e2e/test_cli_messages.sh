#!/bin/sh
# test_cli_messages.sh — what a newcomer meets at the command line: tem help COMMAND, -V,
# one-line option errors naming the option, a key file of the wrong kind named as what it is,
# the passphrase notice, what tem trust init and sign wrote, the trust list's dated comment,
# and tem register --cacert against an https server behind a private CA.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
cd "$T" || exit 1

check "tem help issue" $TEM help issue
expect_grep "tem help issue shows issue's usage" '^usage: tem issue' "$T/out"
check "tem help trust" $TEM help trust
expect_grep "tem help trust shows trust's usage" '^usage: tem trust init' "$T/out"
run_expect 2 "tem help of no such command" $TEM help nosuch
expect_grep "tem help names the unknown command" "no command 'nosuch'" "$T/err"
check "tem -V" $TEM -V
expect_grep "tem -V prints the version" '^tem [0-9][0-9.]*$' "$T/out"
check "tem --version" $TEM --version
if [ -n "${TEMD:-}" ]; then
	check "temd -V" $TEMD -V
	expect_grep "temd -V prints the version" '^temd [0-9][0-9.]*$' "$T/out"
fi

# option errors: one line, naming the option
run_expect 2 "an unknown long option" $TEM issue --bogus -n 1
expect_eq "an unknown long option is one line naming it" \
	"tem issue: unknown option '--bogus' (tem help issue)" "$(cat "$T/err")"
run_expect 2 "a long option without its value" $TEM verify --passphrase-file
run_expect 2 "a long option lacking its value" $TEM label x --layout
expect_eq "a missing value is one line naming the option" \
	"tem label: option '--layout' needs a value (tem help label)" "$(cat "$T/err")"
run_expect 2 "an unknown short option" $TEM keygen -Z
expect_eq "an unknown short option is one line" \
	"tem keygen: option '-Z' is unknown or needs a value (tem help keygen)" "$(cat "$T/err")"
run_expect 2 "tem trust with an unknown option" $TEM trust add --nosuch
expect_eq "tem trust's unknown option is named" \
	"tem trust: unknown option '--nosuch' (tem help trust)" "$(cat "$T/err")"
run_expect 2 "a usage error" $TEM issue -n 0 -s x --product x -o y
expect_eq "a usage error is one line" 1 "$(wc -l <"$T/err")"

# keys: the passphrase notice; the wrong kind of file named
export TEM_PASSPHRASE="a passphrase"
check "tem keygen with a passphrase" $TEM keygen -p p.pub -s p.key
expect_grep "key derivation is announced" 'deriving the key from the passphrase' "$T/err"
unset TEM_PASSPHRASE
$TEM keygen -W -p a.pub -s a.key >/dev/null 2>&1
$TEM keygen -W -p w.pub -s w.key >/dev/null 2>&1
$TEM issue -s w.key -n 300 --product "Cua" -o batch.txt -q >/dev/null 2>&1
$TEM issue -s w.key -n 1 --product "Cua" -o small.txt -q >/dev/null 2>&1
run_expect 2 "a secret key given as a public key" $TEM verify -p w.key x
expect_grep "the secret key is named" 'w.key: a secret key, not a minisign public key' "$T/err"
run_expect 2 "a public key given as a secret key" $TEM issue -s w.pub -n 1 --product x -o o.txt
expect_grep "the public key is named" 'w.pub: a public key, not a minisign secret key' "$T/err"
run_expect 2 "a batch file given as a public key" $TEM verify -p batch.txt x
expect_grep "a large batch is named" 'batch.txt: a tem batch file, not a minisign public key' \
	"$T/err"
run_expect 2 "a small batch file given as a public key" $TEM verify -p small.txt x
expect_grep "a small batch is named" 'small.txt: a tem batch file, not a minisign public key' \
	"$T/err"
run_expect 2 "a signature given as a public key" $TEM verify -p batch.txt.minisig x
expect_grep "a signature is named" 'a signature, not a minisign public key' "$T/err"

# a base URL with a path: temd answers at its host's root, so tem issue refuses it
run_expect 2 "a base URL with a path is refused" $TEM issue -s w.key -n 1 --product x \
	--url https://tem.example.vn/tem -o path.txt
expect_grep "the refusal says why" "has a path; temd answers at its host's root" "$T/err"
expect_no_file "nothing is written for it" path.txt
check "a base URL with only a trailing slash is fine" $TEM issue -s w.key -n 1 --product x \
	--url https://tem.example.vn/ -o slash.txt -q

# trust init and sign say what they wrote; the trusted comment carries a date
check "tem trust init" $TEM trust init -o trust.list --authority "Sở KH&CN Cà Mau"
expect_grep "trust init says what it wrote" '^wrote trust.list: authority' "$T/out"
$TEM trust add trust.list -p w.pub --name "HTX" >/dev/null 2>&1
check "tem trust sign" $TEM trust sign trust.list -s a.key
expect_grep "trust sign says what it wrote" '^wrote trust.list.minisig' "$T/out"
expect_grep "the trusted comment carries a date" \
	'^trusted comment: tem trust list, sequence [0-9]*, 1 producer keys, signed [0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T' \
	trust.list.minisig

# tem register --cacert: an https server behind a private CA
run_expect 2 "--cacert of a missing file" $TEM register small.txt --server https://127.0.0.1:1 \
	--cacert nosuch.pem
expect_grep "--cacert's missing file is named" 'nosuch.pem' "$T/err"
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout k.pem \
	-out ca.pem -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	>/dev/null 2>&1; then
	python3 "$HERE/https_stub.py" ca.pem k.pem stub.port 2>stub.log &
	PIDS="$PIDS $!"
	wait_for 10 test -s stub.port
	port=$(cat stub.port)
	run_expect 2 "an https server behind a private CA is refused without --cacert" \
		$TEM register small.txt --server "https://127.0.0.1:$port"
	expect_grep "the refusal points to --cacert" 'needs --cacert FILE' "$T/err"
	run_expect 1 "with --cacert the server is reached (and answers)" \
		$TEM register small.txt --server "https://127.0.0.1:$port" --cacert ca.pem
	expect_grep "the server's answer is reported" 'refused (unknown_key)' "$T/err"
else
	not_ok "openssl makes a test certificate"
fi
done_testing
