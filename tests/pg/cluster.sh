#!/bin/sh
# A throwaway PostgreSQL 15 cluster for tests (Debian's postgresql, binaries under
# /usr/lib/postgresql/15/bin):
#   cluster.sh start DIR   initdb into DIR/data (made when missing) and start it, listening on a
#                          Unix socket in DIR only (no TCP); waits until it answers
#   cluster.sh url DIR     prints the libpq connection string of that cluster (database postgres,
#                          superuser tem, no password: only the socket's owner can reach it)
#   cluster.sh stop DIR    stops it (fast shutdown); nothing to do when it is not running
# As root the cluster runs as the postgres user (initdb refuses root), DIR then owned by it;
# otherwise as the calling user. fsync stays on (the ledger's durability promise rests on it);
# what is made faster is only what a test cluster can do without: initdb's own syncing, WAL for
# replicas, the statistics collector's work, a large shared memory.
set -eu
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
usage() {
	echo "usage: cluster.sh start|stop|url DIR" >&2
	exit 2
}
[ $# -eq 2 ] || usage
cmd=$1
[ -n "$2" ] || usage
case "$2" in
/*) dir=$2 ;;
*) dir=$(pwd)/$2 ;;
esac
data=$dir/data

# as_owner CMD...: runs CMD as the cluster's owner (postgres when we are root)
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

case "$cmd" in
url)
	echo "host=$dir user=tem dbname=postgres"
	;;
start)
	if [ ! -x "$PGBIN/initdb" ]; then
		echo "cluster.sh: no PostgreSQL 15 in $PGBIN (install Debian's postgresql)" >&2
		exit 3
	fi
	# the socket's path must fit in sun_path (107 bytes)
	if [ ${#dir} -gt 80 ]; then
		echo "cluster.sh: $dir: too long a path for a Unix socket folder (80 bytes at most)" >&2
		exit 2
	fi
	mkdir -p "$dir"
	chmod 0700 "$dir"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$dir"
		if ! runuser -u postgres -- test -w "$dir"; then
			echo "cluster.sh: $dir: the postgres user cannot reach it (choose a folder" \
				"under /tmp, not inside a private one)" >&2
			exit 2
		fi
	fi
	if [ ! -f "$data/PG_VERSION" ]; then
		as_owner "$PGBIN/initdb" -D "$data" -U tem --auth=trust --no-sync -E UTF8 \
			--locale=C.UTF-8 --no-instructions >"$dir/initdb.log" 2>&1 || {
			cat "$dir/initdb.log" >&2
			exit 1
		}
		cat >>"$data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir'
unix_socket_permissions = 0700
fsync = on
synchronous_commit = on
full_page_writes = on
wal_level = minimal
max_wal_senders = 0
max_connections = 40
shared_buffers = 32MB
max_wal_size = 256MB
checkpoint_timeout = 30min
track_counts = on
autovacuum = on
logging_collector = off
log_min_messages = warning
CONF
	fi
	if as_owner "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
		exit 0
	fi
	as_owner "$PGBIN/pg_ctl" -D "$data" -l "$dir/server.log" -W -s start >/dev/null || {
		cat "$dir/server.log" >&2 2>/dev/null || true
		exit 1
	}
	# bounded wait: 30 s at most, polled every 50 ms
	i=0
	until as_owner "$PGBIN/pg_isready" -q -h "$dir" -d postgres -U tem; do
		i=$((i + 1))
		if [ $i -gt 600 ]; then
			echo "cluster.sh: the cluster in $dir did not answer within 30 s:" >&2
			tail -n 20 "$dir/server.log" >&2 2>/dev/null || true
			exit 1
		fi
		sleep 0.05
	done
	;;
stop)
	[ -f "$data/postmaster.pid" ] || exit 0
	as_owner "$PGBIN/pg_ctl" -D "$data" -m fast -w -s stop >/dev/null 2>&1 || {
		# already gone (a stale pid file): that is stopped too
		as_owner "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1 && exit 1
		exit 0
	}
	;;
*)
	usage
	;;
esac
