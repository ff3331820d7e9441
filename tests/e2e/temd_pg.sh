#!/bin/sh
# temd_pg.sh — temd on PostgreSQL for the end-to-end suite (TEM_TEST_DB=pg, tests/e2e/lib.sh
# points $TEMD here). Runs the real temd ($TEMD_PG_REAL) with every --db X and --db=X rewritten
# to a database of its own for the path X in the run's cluster ($TEM_PG_CLUSTER, started by
# tests/run.sh): the same X always names the same database (made on first use), so a restart
# or `temd token create --db X` while temd runs sees the same ledger. The server itself gets
# --secret X.secret when it has no --secret (where SQLite keeps it by default), so tests that
# read or remove X.secret see the same file.
#
# X is left as it is when it is no ledger path at all: a folder, a path in a missing folder, or
# a file that exists and is not a SQLite database (an empty or text file): what temd says of
# those is about the file, before any ledger is opened. A SQLite database file at X stops the
# run: a test that makes one belongs in tests/run.sh's SQLite-only list.
#   temd_pg.sh --conninfo X   prints the libpq connection string of X's database (lib.sh's
#                             ledger_sql)
set -u
: "${TEMD_PG_REAL:?TEMD_PG_REAL must name the temd binary}"
: "${TEM_PG_CLUSTER:?TEM_PG_CLUSTER must name the cluster folder (tests/run.sh)}"

# dbname X: the database of path X, the test's prefix ($TEM_PG_PREFIX, lib.sh's) and a hash of
# X's absolute path, within PostgreSQL's 63 bytes
dbname() {
	_abs=$(realpath -m -- "$1")
	echo "${TEM_PG_PREFIX:-e}_$(printf '%s' "$_abs" | md5sum | cut -c 1-24)"
}

conninfo() {
	echo "host=$TEM_PG_CLUSTER user=tem dbname=$1"
}

# is_file_case X: 0 when X is a path temd refuses as a file before opening a ledger
is_file_case() {
	[ -d "$1" ] && return 0
	[ -d "$(dirname -- "$1")" ] || return 0
	if [ -e "$1" ]; then
		if [ "$(head -c 15 -- "$1" 2>/dev/null)" = "SQLite format 3" ]; then
			echo "temd_pg.sh: $1 is a SQLite ledger file: this test runs on SQLite only" \
				"(tests/run.sh's SQLITE_ONLY)" >&2
			exit 99
		fi
		return 0
	fi
	return 1
}

# pg_db X: the connection string for path X, its database made when missing
pg_db() {
	_n=$(dbname "$1")
	_admin=$(conninfo postgres)
	if [ "$(psql "$_admin" -XAtqc "SELECT 1 FROM pg_database WHERE datname = '$_n'")" != 1 ]; then
		# two commands at once may both make it: the loser finds it made
		psql "$_admin" -Xqc "CREATE DATABASE $_n" >/dev/null 2>&1 ||
			[ "$(psql "$_admin" -XAtqc "SELECT 1 FROM pg_database WHERE datname = '$_n'")" = 1 ] || {
			echo "temd_pg.sh: cannot make the database $_n for $1" >&2
			exit 99
		}
	fi
	conninfo "$_n"
}

# ledger X: what --db X becomes
ledger() {
	case "$1" in
	postgres://* | postgresql://* | *=*) echo "$1" ;; # already PostgreSQL
	*)
		if is_file_case "$1"; then echo "$1"; else pg_db "$1"; fi
		;;
	esac
}

if [ "${1:-}" = "--conninfo" ]; then
	conninfo "$(dbname "$2")"
	exit 0
fi

server=1
case "${1:-}" in
token | backup | ledger) server=0 ;;
esac
rewritten=0
has_secret=0
next_db=0
first=1
for a; do
	if [ $first = 1 ]; then
		set --
		first=0
	fi
	db=""
	if [ $next_db = 1 ]; then
		next_db=0
		db=$a
		a=$(ledger "$db") || exit 99
	else
		case "$a" in
		--db) next_db=1 ;;
		--db=*)
			db=${a#--db=}
			a="--db=$(ledger "$db")" || exit 99
			;;
		--secret | --secret=*) has_secret=1 ;;
		esac
	fi
	# the --secret a server on a rewritten X gets: X.secret, as SQLite's default
	[ -n "$db" ] && [ "$a" != "$db" ] && [ "$a" != "--db=$db" ] && rewritten=1 secret="$db.secret"
	set -- "$@" "$a"
done
if [ $server = 1 ] && [ $has_secret = 0 ] && [ $rewritten = 1 ]; then
	exec "$TEMD_PG_REAL" --secret "$secret" "$@"
fi
exec "$TEMD_PG_REAL" "$@"
