#!/bin/sh
# make demo: tem end to end in ./demo/ — an authority and a producer key, a signed trust list,
# a batch of 24 codes registered with a running temd, its labels in labels.pdf, and the server
# left running on 127.0.0.1:$PORT (make demo PORT=N, default 8080) with its SQLite ledger
# until Ctrl-C. When the port is taken, it says so and stops before anything is registered.
set -eu
: "${TEM:?run through make demo}"
: "${TEMD:?run through make demo}"
PORT=${PORT:-8080}
case $PORT in
'' | *[!0-9]*)
	echo "demo: PORT=$PORT is not a port number" >&2
	exit 2
	;;
esac
LISTEN=127.0.0.1:$PORT
# whatever listens there (another demo, another server) must not receive this demo's batch:
# only "connection refused" (curl's status 7) means the port is free
taken=0
curl -s -o /dev/null -m 2 "http://$LISTEN/" || taken=$?
if [ "$taken" -ne 7 ]; then
	echo "demo: something already listens on $LISTEN; stop it, or run make demo PORT=N with a free port" >&2
	exit 1
fi
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
	--producer "Hợp tác xã Cua Cà Mau Năm Căn" --url "http://$LISTEN" --valid-days 14 \
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
if "$TEM" verify -t trust.list -P authority.pub "HTTP://$LISTEN/C/$forged"; then
	echo "demo: a forged code verified" >&2
	exit 1
fi

say "The producer prints the labels (A4 sheet, every label read back before writing)"
"$TEM" label batch.txt -p producer.pub --layout sheet -o labels.pdf --check

say "temd starts on $LISTEN with a new ledger; the producer registers the batch"
"$TEMD" --db ledger.db --trust trust.list --authority authority.pub --listen "$LISTEN" \
	--base-url "http://$LISTEN" --port-file temd.port 2>temd.log &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid; echo; echo "temd stopped; the ledger is $(pwd)/ledger.db"' EXIT
trap 'exit 0' INT TERM
# temd writes its port file once it listens: polling the port instead could reach another
# server that took it meanwhile
i=0
until [ -s temd.port ]; do
	i=$((i + 1))
	if ! kill -0 $pid 2>/dev/null || [ $i -gt 100 ]; then
		# temd says why in one line (the port in use, ...)
		cat temd.log >&2
		echo "demo: temd did not start on $LISTEN; make demo PORT=N picks another port" >&2
		exit 1
	fi
	sleep 0.1
done
"$TEM" register batch.txt --server "http://$LISTEN"

say "Ready"
echo "Labels to print:     $(pwd)/labels.pdf"
echo "A genuine label:     http://$LISTEN/C/$first"
echo "A forged label:      http://$LISTEN/C/$forged"
echo "Open the URLs in a browser on this machine (temd listens on loopback only). Browsers on"
echo "one network are one buyer: to see 'seen', scan the genuine code from another network,"
echo "  curl --interface 127.0.5.1 -H 'Content-Type: application/json' \\"
echo "    -d '{\"code\":\"$first\"}' http://$LISTEN/api/v1/scans"
echo "then from 127.0.6.1 and 127.0.7.1 for 'duplicate'. The PINs are in labels.pdf's hidden areas."
echo "The ledger: $(pwd)/ledger.db (sqlite3 ledger.db 'select * from scans'). Ctrl-C stops temd."
wait $pid
