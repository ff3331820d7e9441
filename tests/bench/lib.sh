# lib.sh — sourced by the temd benchmarks: a scratch folder under build/ (the ledger on the
# project's disk, not a tmpfs: fsync must cost what it costs), an authority and producer with
# a batch of N codes, and a temd on a free loopback port. KEEP=1 keeps the folder.

# bench_batch N: makes the scratch folder, cds into it, and issues b.txt (N codes, claim PINs
# in b.txt.claim); sets $dir. The temd started later ($pid, and every one in $pids) is killed
# on exit, after which $bench_atexit (a command, when set) runs, before the folder goes.
bench_batch() {
	mkdir -p build
	dir=$(mktemp -d "$PWD/build/tem-bench.XXXXXX")
	pid=""
	pids=""
	bench_atexit=""
	trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; [ -n "$pids" ] && kill -9 $pids 2>/dev/null;
		[ -n "$bench_atexit" ] && eval "$bench_atexit"; [ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
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
	bench_temd_start "" --db l.db
	pid=$tpid
	pids=""
	"$TEM" register b.txt --server "$url" -q
}

# bench_temd_start NAME ARG...: starts a temd with the scratch folder's trust list and ARGs
# (its --db, and --secret for PostgreSQL), the limits off as bench_temd's, listening on a free
# loopback port (files NAMEport, NAMEmport, NAMEtemd.log); waits (10 s at most) for its port
# file. Sets $tpid, $url and $metrics, and adds the pid to $pids. Returns 1, with its log on
# stderr, when it did not start.
bench_temd_start() {
	_n=$1
	shift
	"$TEMD" "$@" --trust trust.list --authority a.pub --listen 127.0.0.1:0 \
		--port-file "${_n}port" --rate-limit 0 --connections-per-address 0 \
		--metrics-listen 127.0.0.1:0 --metrics-port-file "${_n}mport" >"${_n}temd.log" 2>&1 &
	tpid=$!
	pids="$pids $tpid"
	_i=0
	while { [ ! -s "${_n}port" ] || [ ! -s "${_n}mport" ]; } && [ $_i -lt 100 ] &&
		kill -0 $tpid 2>/dev/null; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if [ ! -s "${_n}port" ] || [ ! -s "${_n}mport" ]; then
		echo "bench: temd $_n did not start:" >&2
		cat "${_n}temd.log" >&2
		return 1
	fi
	url="http://127.0.0.1:$(cat "${_n}port")"
	metrics="http://127.0.0.1:$(cat "${_n}mport")"
}
