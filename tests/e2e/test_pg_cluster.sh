#!/bin/sh
# test_pg_cluster.sh — the throwaway PostgreSQL cluster the ledger's PostgreSQL tests use
# (tests/pg/cluster.sh): it starts, answers on its Unix socket only, keeps fsync and
# synchronous_commit on, stops, stops again without complaint, and leaves nothing running.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
CLUSTER="$HERE/../pg/cluster.sh"
if [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
	echo "# skipped: no PostgreSQL 15 binaries (tests/deps.sh installs postgresql)"
	ok "# SKIP no PostgreSQL"
	done_testing
	exit 0
fi
# the postgres user must reach the folder: beside $T, not inside it
P=$(mktemp -d /tmp/tem-pg.XXXXXX)
trap 'sh "$CLUSTER" stop "$P" >/dev/null 2>&1; rm -rf "$P"; _cleanup' EXIT

check "starts" sh "$CLUSTER" start "$P"
check "starting again is a no-op" sh "$CLUSTER" start "$P"
URL=$(sh "$CLUSTER" url "$P")
expect_eq "answers" "1" "$(psql "$URL" -XAtc 'SELECT 1' 2>&1)"
expect_eq "no TCP, fsync and synchronous_commit on" "|on|on" \
	"$(psql "$URL" -XAtc "SELECT current_setting('listen_addresses') || '|' ||
		current_setting('fsync') || '|' || current_setting('synchronous_commit')" 2>&1)"
expect_eq "its socket is in its folder" "$P/.s.PGSQL.5432" "$(ls -d "$P"/.s.PGSQL.5432 2>&1)"
PID=$(head -n 1 "$P/data/postmaster.pid")
check "stops" sh "$CLUSTER" stop "$P"
# gone, or a zombie waiting for init to reap it
if ps -o stat= -p "$PID" 2>/dev/null | grep -qv '^Z'; then
	not_ok "leaves nothing running" "postmaster $PID still runs"
else
	ok "leaves nothing running"
fi
expect_eq "no socket left" "" "$(ls -d "$P"/.s.PGSQL.* 2>/dev/null)"
check "stopping again is a no-op" sh "$CLUSTER" stop "$P"
run_expect 2 "a call without a folder is refused" sh "$CLUSTER" start
done_testing
