#!/bin/sh
# The regulator API's speed (issue #10, "Speed"), on a bench ledger of 10 million scans over 1
# million codes and 100 producers that tests/bench/gen_ledger makes through the ledger code and
# keeps under build/bench/ (keyed by its source and the ledger's schema, made again once a week
# old: the dashboard shows the last 31 days to today). Each figure beside its target:
#   the lq_* reads timed directly (tests/bench/bench_query: median and p99);
#   over HTTP with a token (curl's time_total, keep-alive, many requests): one code's history
#   (< 2 ms), alerts of the last day (< 20 ms), 31 days of daily statistics of every producer
#   (< 20 ms), the dashboard page (< 50 ms), the CSV export of about a million scans
#   (> 200,000 rows/s, temd's peak RSS VmHWM < 64 MiB);
#   the scan rate of POST /api/v1/scans (wrk, as bench_temd) of this temd, which keeps the daily
#   roll-ups in the writer's transaction, against the temd of the base commit (before them),
#   alternated in the same run (target: under 10% slower); and for scale the writer alone
#   (gen_ledger's jobs per second, built against each commit's ledger code).
# A piece not built yet on this branch (a route answering 404, no `temd token`) is said so and
# skipped. Environment: TEM_BENCH_API_SCANS (10000000), TEM_BENCH_API_CODES (1000000),
# TEM_BENCH_API_PRODUCERS (100), TEM_BENCH_API_REPS (200), TEM_BENCH_BASE (987f0b8),
# TEM_BENCH_AB_SECONDS (8), TEM_BENCH_AB_ROUNDS (3), TEM_BENCH_AB_CODES (200000),
# TEM_BENCH_AB_GEN_SCANS (500000: the writer alone, through gen_ledger built against both),
# TEM_BENCH_AB=0 skips the scan-rate comparison, TEM_BENCH_API=0 the reads; KEEP=1 keeps the
# scratch folder.
set -eu
: "${TEMD:?run through make bench}"
SCANS=${TEM_BENCH_API_SCANS:-10000000}
CODES=${TEM_BENCH_API_CODES:-1000000}
PRODUCERS=${TEM_BENCH_API_PRODUCERS:-100}
REPS=${TEM_BENCH_API_REPS:-200}
BASE=${TEM_BENCH_BASE:-987f0b8}
AB_SECS=${TEM_BENCH_AB_SECONDS:-8}
AB_ROUNDS=${TEM_BENCH_AB_ROUNDS:-3}
AB_CODES=${TEM_BENCH_AB_CODES:-200000}
AB_GEN_SCANS=${TEM_BENCH_AB_GEN_SCANS:-500000}
root=$(pwd)
cache=$root/build/bench
mkdir -p "$cache"

# --- the bench ledger, made once per generator version and ledger code ---

# ledger_dir: sets $ldir to the cached bench ledger, making it first when it is missing, made
# by other code, or more than 7 days old
ledger_dir() {
	ver=$(sed -n 's/^#define GEN_VERSION \([0-9]*\).*/\1/p' tests/bench/gen_ledger.c)
	# the generator and the ledger's schema (its migrations): the writer's other changes keep
	# the ledger (what is timed is reading it)
	src=$({
		cat tests/bench/gen_ledger.c
		sed -n '/^static const char \*const migrations\[\] = {/,/^};/p' server/ledger.c
	} | sha256sum | cut -c1-12)
	ldir=$cache/ledger-$SCANS-$CODES-$PRODUCERS-v$ver-$src
	if [ -s "$ldir/info" ]; then
		end=$(awk '$1 == "end_ms" { print int($2 / 1000) }' "$ldir/info")
		if [ $(($(date +%s) - end)) -lt $((7 * 86400)) ]; then
			echo "bench ledger: $(basename "$ldir") (made $(($(date +%s) - end))s ago, kept)"
			return 0
		fi
	fi
	rm -rf "$cache/ledger-$SCANS-$CODES-$PRODUCERS-"* # older ones of this size: 1 to 2 GB each
	echo "bench ledger: making $SCANS scans of $CODES codes of $PRODUCERS producers through" \
		"the ledger code (once; kept as $(basename "$ldir"))"
	nice -n 10 "$BIN/tests/bench/gen_ledger" "$ldir.tmp" --scans "$SCANS" --codes "$CODES" \
		--producers "$PRODUCERS"
	mv "$ldir.tmp" "$ldir"
}

# --- statistics of repeated timings ---

# summary NAME TARGET_MS FILE: FILE holds "STATUS SECONDS" lines (curl -w); prints the median
# beside the target (flagged when over it) and the p99 (on a shared machine, the p99 of a few
# hundred requests is mostly the neighbours' load), or says which status came back when not
# all were 200
summary() {
	bad=$(awk '$1 != 200 { print $1; exit }' "$3")
	if [ -n "$bad" ]; then
		echo "  $1: answered $bad, not 200 (not built yet on this branch?): not timed"
		return 0
	fi
	sort -k2 -g "$3" | awk -v name="$1" -v target="$2" '{ t[NR] = $2 * 1000 } END {
		med = t[int((NR + 1) / 2)]; p = int(NR * 0.99); if (p < 1) p = 1; p99 = t[p]
		printf "  %s: median %.2f ms (target < %g ms)%s, p99 %.2f ms over %d requests\n",
			name, med, target, (med < target) ? "" : "  ** over target **", p99, NR
	}'
}

# timed FILE [CURL_OPTION...] < URLS: GETs each URL read (one a line) on one keep-alive
# connection with the token, appending "STATUS SECONDS" lines to FILE
timed() {
	_f=$1
	shift
	awk '{ printf "url = \"%s\"\noutput = \"/dev/null\"\n", $0 }' >"$work/curl.cfg"
	curl -s -K "$work/curl.cfg" -H "Authorization: Bearer $tok" "$@" \
		-w '%{http_code} %{time_total}\n' >>"$_f" || true
}

# repeat N LINE: LINE N times
repeat() {
	_i=0
	while [ $_i -lt "$1" ]; do
		echo "$2"
		_i=$((_i + 1))
	done
}

# start_temd DB TRUST AUTHORITY LOG: temd on a free loopback port, rate limits off; sets $pid
# and $url once it answers (bounded: a big ledger's quick_check takes a while)
start_temd() {
	rm -f "$work/port"
	"$TEMD_RUN" --db "$1" --trust "$2" --authority "$3" --listen 127.0.0.1:0 \
		--port-file "$work/port" --rate-limit 0 --connections-per-address 0 >"$4" 2>&1 &
	pid=$!
	_i=0
	while [ ! -s "$work/port" ] && [ $_i -lt 3000 ] && kill -0 $pid 2>/dev/null; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if [ ! -s "$work/port" ]; then
		echo "bench_api: temd did not start:" >&2
		cat "$4" >&2
		exit 1
	fi
	url="http://127.0.0.1:$(cat "$work/port")"
}

stop_temd() {
	kill -TERM $pid
	wait $pid || true
	pid=""
}

work=$(mktemp -d "$cache/api.XXXXXX")
pid=""
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
TEMD_RUN=$TEMD

if [ "${TEM_BENCH_API:-1}" != 0 ]; then
	ledger_dir
	awk '{ printf "  %s %s\n", $1, $2 }' "$ldir/info" | grep -E 'scans|claims|codes|producers|days|seconds|jobs_per_s|duplicate|sold' |
		tr '\n' ';' | sed 's/;  /; /g; s/^  /  ledger: /; s/;$/\n/'
	end_ms=$(awk '$1 == "end_ms" { print $2 }' "$ldir/info")
	nscans=$(awk '$1 == "scans" { print $2 }' "$ldir/info")
	ndays=$(awk '$1 == "days" { print $2 }' "$ldir/info")
	end=$((end_ms / 1000))

	# the reads alone
	if [ -x "$BIN/tests/bench/bench_query" ]; then
		"$BIN/tests/bench/bench_query" "$ldir" "$REPS"
	else
		echo "lq_* reads: tests/bench/bench_query is built once server/ledger_query.c exists:" \
			"not timed"
	fi

	# the same over HTTP, with a token
	tok=$("$TEMD" token create --db "$ldir/ledger.db" --name "bench-$(date +%s)-$$" \
		2>"$work/token.err" | awk 'NF { t = $NF } END { print t }') || tok=""
	if [ -z "$tok" ]; then
		echo "HTTP reads: no token ('temd token create' is not built yet on this branch:" \
			"$(head -c 200 "$work/token.err" | head -1)): not timed"
	else
		start_temd "$ldir/ledger.db" "$ldir/trust.list" "$ldir/authority.pub" "$work/temd.log"
		echo "temd over HTTP (curl, keep-alive, bearer token), $REPS requests each:"
		# one code's history: the sampled codes by short id
		head -n "$REPS" "$ldir/sample" | awk -v u="$url" '{ print u "/api/v1/codes/" $1 "-" $2 }' |
			timed "$work/code.t"
		summary "one code's history (GET /api/v1/codes/KEYID-SERIAL)" 2 "$work/code.t"
		since=$(date -u -d "@$((end - 86400))" +%Y-%m-%dT%H:%M:%SZ)
		repeat "$REPS" "$url/api/v1/alerts?since=$since" | timed "$work/alerts.t"
		summary "alerts of the last day (GET /api/v1/alerts?since=END-24h)" 20 "$work/alerts.t"
		to=$(date -u -d "@$((end + 25200))" +%F)
		from=$(date -u -d "@$((end + 25200 - 30 * 86400))" +%F)
		repeat "$REPS" "$url/api/v1/stats?from=$from&to=$to&by=day" | timed "$work/stats.t"
		summary "31 days of daily statistics, all producers (GET /api/v1/stats?by=day)" 20 \
			"$work/stats.t"
		# the dashboard: signed in once (its session cookie), then the page again and again
		curl -s -o /dev/null -c "$work/jar" --data-urlencode "token=$tok" \
			"$url/dashboard/sign-in" || true
		repeat 50 "$url/dashboard" | timed "$work/dash.t" -b "$work/jar"
		summary "the dashboard page (GET /dashboard, signed in)" 50 "$work/dash.t"
		# the CSV export of about a million rows: the last days of the ledger. The list holds
		# each client's first scan of a code (repeats are counted in its row), so the days
		# come from the rows the scans table holds, not from the scans counted.
		nrows=$(sqlite3 "file:$ldir/ledger.db?mode=ro" 'SELECT count(*) FROM scans')
		per_day=$((nrows / ndays))
		days=$(((1000000 + per_day - 1) / per_day))
		[ "$days" -le "$ndays" ] || days=$ndays
		csv_from=$(date -u -d "@$((end - days * 86400))" +%Y-%m-%dT%H:%M:%SZ)
		csv_to=$(date -u -d "@$((end + 1))" +%Y-%m-%dT%H:%M:%SZ)
		status=$(curl -s -H "Authorization: Bearer $tok" -o "$work/scans.csv" \
			-w '%{http_code} %{time_total} %{size_download}' \
			"$url/api/v1/scans?format=csv&from=$csv_from&to=$csv_to" || true)
		hwm=$(awk '/VmHWM/ { print $2 }' /proc/$pid/status)
		# shellcheck disable=SC2086 # three numbers
		set -- $status
		if [ "${1:-0}" != 200 ]; then
			echo "  CSV export (GET /api/v1/scans?format=csv): answered ${1:-nothing}, not 200" \
				"(not built yet on this branch?): not timed"
		else
			rows=$(($(wc -l <"$work/scans.csv") - 1))
			awk -v rows="$rows" -v s="$2" -v bytes="$3" -v hwm="$hwm" -v days="$days" 'BEGIN {
				printf "  CSV export of the last %d days (GET /api/v1/scans?format=csv): %d rows, %.0f MB in %.2f s: %.0f rows/s (target > 200000 rows/s)%s\n", days, rows, bytes / 1e6, s, rows / s, (rows / s > 200000) ? "" : "  ** under target **"
				printf "  temd peak RSS (VmHWM) after it: %.1f MiB (target < 64 MiB)%s\n", hwm / 1024, (hwm / 1024 < 64) ? "" : "  ** over target **"
			}'
		fi
		rm -f "$work/scans.csv"
		stop_temd
	fi
fi

# --- the scan rate with the writer's roll-ups against the base commit's temd ---

if [ "${TEM_BENCH_AB:-1}" != 0 ]; then
	base_dir=$cache/base-$BASE
	if [ ! -x "$base_dir/obj/server/temd" ]; then
		echo "scan rate: building the temd of $BASE (once, under build/bench/)"
		rm -rf "$base_dir"
		mkdir -p "$base_dir"
		git archive "$BASE" | tar -x -C "$base_dir"
		# its objects under obj/: make's dependency files there name obj/ targets only
		if ! nice -n 10 make -C "$base_dir" -j2 B=obj obj/server/temd >"$base_dir.log" 2>&1; then
			echo "bench_api: building $BASE failed:" >&2
			tail -20 "$base_dir.log" >&2
			exit 1
		fi
	fi
	# the same generator built against the base commit's ledger code, for the writer alone
	cp tests/bench/gen_ledger.c "$base_dir/tests/bench/gen_ledger.c"
	if ! nice -n 10 make -C "$base_dir" -j2 B=obj obj/tests/bench/gen_ledger \
		>"$base_dir.log" 2>&1; then
		echo "bench_api: building gen_ledger against $BASE failed:" >&2
		tail -20 "$base_dir.log" >&2
		exit 1
	fi
	cores=$(nproc)
	lua=$root/tests/bench/scans.lua
	cd "$work"
	export TEM_SCRYPT_LIMITS=interactive
	"$TEM" keygen -p a.pub -s a.key -W >/dev/null
	"$TEM" keygen -p p.pub -s p.key -W >/dev/null
	"$TEM" trust init -o trust.list --authority "bench" >/dev/null
	"$TEM" trust add trust.list -p p.pub --name "HTX Năm Căn" >/dev/null
	"$TEM" trust sign trust.list -s a.key >/dev/null
	"$TEM" issue -s p.key -n "$AB_CODES" --product "Cua Cà Mau" --url http://127.0.0.1:8080 \
		-o b.txt -q
	awk 'body { print } $0 == "" { body = 1 }' b.txt | shuf >codes.txt
	echo "scan rate of POST /api/v1/scans (wrk -c64, ${AB_SECS}s a run, distinct codes, a new" \
		"ledger each run), $AB_ROUNDS rounds alternating:"
	: >ab.txt
	r=1
	while [ $r -le "$AB_ROUNDS" ]; do
		# alternate which goes first, so a drift of the machine's load favours neither
		if [ $((r % 2)) -eq 1 ]; then order="base new"; else order="new base"; fi
		for which in $order; do
			if [ "$which" = base ]; then TEMD_RUN=$base_dir/obj/server/temd; else TEMD_RUN=$TEMD; fi
			rm -f l.db l.db-wal l.db-shm l.db.secret
			start_temd l.db trust.list a.pub "temd-$which-$r.log"
			"$TEM" register b.txt --server "$url" -q
			wrk -t"$cores" -c64 -d"${AB_SECS}s" --timeout 5s -s "$lua" "$url" -- \
				"$work/codes.txt" "$cores" >"wrk-$which-$r.out" 2>&1
			stop_temd
			rate=$(awk '$1 == "RATE" { print $2 }' "wrk-$which-$r.out")
			if [ -z "$rate" ]; then
				echo "bench_api: wrk measured nothing:" >&2
				cat "wrk-$which-$r.out" >&2
				exit 1
			fi
			echo "$which $rate" >>ab.txt
			printf "  round %d %-4s %.0f scans/s\n" "$r" "$which" "$rate"
		done
		r=$((r + 1))
	done
	awk -v base="$BASE" '{ v[$1, ++n[$1]] = $2 }
	function med(k,   i, j, t, a) {
		for (i = 1; i <= n[k]; i++) a[i] = v[k, i]
		for (i = 1; i <= n[k]; i++) for (j = i + 1; j <= n[k]; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n[k] % 2 ? a[(n[k] + 1) / 2] : (a[n[k] / 2] + a[n[k] / 2 + 1]) / 2
	}
	END {
		b = med("base"); w = med("new")
		d = (b - w) * 100 / b
		printf "  median: %.0f scans/s with the daily roll-ups in the writer, %.0f scans/s at %s without: %.1f%% %s (target: under 10%% slower)%s\n", w, b, base, (d < 0) ? -d : d, (d < 0) ? "faster" : "slower", (d < 10) ? "" : "  ** over target **"
	}' ab.txt
	# for scale, the writer alone: gen_ledger's jobs per second through the ledger code of
	# each (no HTTP, no signature checks), alternated the same way
	echo "the writer alone (gen_ledger: $AB_GEN_SCANS scans, $((AB_GEN_SCANS / 10)) codes," \
		"jobs through ledger_submit), $AB_ROUNDS rounds alternating:"
	: >gen.txt
	r=1
	while [ $r -le "$AB_ROUNDS" ]; do
		if [ $((r % 2)) -eq 1 ]; then order="base new"; else order="new base"; fi
		for which in $order; do
			if [ "$which" = base ]; then g=$base_dir/obj/tests/bench/gen_ledger; else
				g=$BIN/tests/bench/gen_ledger; fi
			rm -rf "gen-$which"
			"$g" "gen-$which" --scans "$AB_GEN_SCANS" --codes $((AB_GEN_SCANS / 10)) \
				--producers 50 >/dev/null 2>&1
			rate=$(awk '$1 == "jobs_per_s" { print $2 }' "gen-$which/info")
			rm -rf "gen-$which"
			echo "$which $rate" >>gen.txt
			printf "  round %d %-4s %.0f jobs/s\n" "$r" "$which" "$rate"
		done
		r=$((r + 1))
	done
	awk -v base="$BASE" '{ v[$1, ++n[$1]] = $2 }
	function med(k,   i, j, t, a) {
		for (i = 1; i <= n[k]; i++) a[i] = v[k, i]
		for (i = 1; i <= n[k]; i++) for (j = i + 1; j <= n[k]; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n[k] % 2 ? a[(n[k] + 1) / 2] : (a[n[k] / 2] + a[n[k] / 2 + 1]) / 2
	}
	END {
		b = med("base"); w = med("new")
		printf "  median: %.0f jobs/s now, %.0f jobs/s at %s: the writer alone does %.2f times the work per scan\n", w, b, base, b / w
	}' gen.txt
	cd "$root"
fi
