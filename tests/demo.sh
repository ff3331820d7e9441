#!/bin/sh
# make demo: the producer's and the authority's flow end to end in ./demo/ — an authority and a
# producer key, a signed trust list, a batch of 24 codes, their verification, and a tampered
# code rejected.
set -eu
: "${TEM:?run through make demo}"
D=${DEMO_DIR:-demo}
rm -rf "$D"
mkdir -p "$D"
cd "$D"
export TEM_PASSPHRASE="${TEM_PASSPHRASE:-demo passphrase}"
export TEM_SCRYPT_LIMITS=interactive # demo keys only: real keys use minisign's limits
say() { printf '\n== %s\n' "$*"; }

say "The authority (province science department) makes its key and a trust list"
"$TEM" keygen -p authority.pub -s authority.key
"$TEM" trust init -o trust.list --authority "Sở Khoa học và Công nghệ Cà Mau"

say "A producer makes its key; the authority adds it to the list and signs the list"
"$TEM" keygen -p producer.pub -s producer.key
"$TEM" trust add trust.list -p producer.pub --name "Hợp tác xã Cua Cà Mau Năm Căn"
"$TEM" trust sign trust.list -s authority.key
"$TEM" trust show trust.list -P authority.pub

say "The producer issues a batch of 24 codes, valid 14 days"
"$TEM" issue -s producer.key -n 24 --product "Cua Cà Mau" \
	--producer "Hợp tác xã Cua Cà Mau Năm Căn" --url http://127.0.0.1:8080 --valid-days 14 \
	-o batch.txt
sed -n '1,11p' batch.txt

say "Anyone with the trust list verifies the codes (first three shown)"
tail -n 24 batch.txt >codes.txt
"$TEM" verify -t trust.list -P authority.pub - <codes.txt >verdicts.txt
head -n 3 verdicts.txt
echo "... $(grep -c '^genuine ' verdicts.txt) of 24 genuine"

say "A counterfeiter changes one character of a code: it is rejected"
first=$(head -n 1 codes.txt)
forged=$(printf '%s' "$first" | sed 's/^\(.\{40\}\)\(.\)/\1Q/')
[ "$forged" != "$first" ] || forged=$(printf '%s' "$first" | sed 's/^\(.\{40\}\)\(.\)/\1R/')
if "$TEM" verify -t trust.list -P authority.pub "HTTP://127.0.0.1:8080/C/$forged"; then
	echo "demo: a forged code verified" >&2
	exit 1
fi

say "Done. Files are in $(pwd)"
