# lib.sh — sourced by the temd benchmarks: a scratch folder under build/ (the ledger on the
# project's disk, not a tmpfs: fsync must cost what it costs), an authority and producer with
# a batch of N codes, and a temd on a free loopback port. KEEP=1 keeps the folder.

# bench_batch N: makes the scratch folder, cds into it, and issues b.txt (N codes, claim PINs
# in b.txt.claim); sets $dir. The temd started later is killed on exit.
bench_batch() {
	mkdir -p build
	dir=$(mktemp -d "$PWD/build/tem-bench.XXXXXX")
	pid=""
	trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
	export TEM_SCRYPT_LIMITS=interactive
	cd "$dir" || exit 1
	"$TEM" keygen -p a.pub -s a.key -W >/dev/null
	"$TEM" keygen -p p.pub -s p.key -W >/dev/null
	"$TEM" trust init -o trust.list --authority "bench" >/dev/null
	"$TEM" trust add trust.list -p p.pub --name "HTX Năm Căn" >/dev/null
	"$TEM" trust sign trust.list -s a.key >/dev/null
	"$TEM" issue -s p.key -n "$1" --product "Cua Cà Mau" --url http://127.0.0.1:8080 -o b.txt -q
}

# bench_temd: starts temd on a new ledger in the scratch folder, registers b.txt, and sets
# $pid, $url and $metrics (the --metrics-listen listener's URL). wrk's 64 connections come from
# one address and scan thousands of times a second: the rate and per-address limits are off.
bench_temd() {
	"$TEMD" --db l.db --trust trust.list --authority a.pub --listen 127.0.0.1:0 \
		--port-file port --rate-limit 0 --connections-per-address 0 \
		--metrics-listen 127.0.0.1:0 --metrics-port-file mport >temd.log 2>&1 &
	pid=$!
	_i=0
	while [ ! -s port ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	url="http://127.0.0.1:$(cat port)"
	metrics="http://127.0.0.1:$(cat mport)"
	"$TEM" register b.txt --server "$url" -q
}
