#!/bin/sh
# test_upgrade.sh — a ledger from every earlier schema version kept in tests/vectors/
# (ledger-vN.sql, dumped from the temd that wrote it) is copied to LEDGER.vN.bak, migrated
# with a log line per step, keeps its scans and alerts, counts its old scans and claims in the
# daily and per-batch statistics, and answers; a second start migrates nothing.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
cd "$T" || exit 1
make_authority "HTX Năm Căn" || not_ok "make_authority"
start_temd fresh --db new.db --trust trust.list --authority a.pub || not_ok "a new ledger"
stop_temd TERM
current=$(sqlite3 new.db 'PRAGMA user_version')
expect_grep "a new ledger is logged with its version" "new.db: new ledger, schema version $current" \
	fresh.log

for dump in "$HERE"/../vectors/ledger-v*.sql; do
	v=$(basename "$dump" .sql)
	v=${v#ledger-v}
	rm -f "l$v.db"*
	sqlite3 "l$v.db" <"$dump" || not_ok "v$v: the dump loads"
	scans=$(sqlite3 "l$v.db" 'SELECT count(*) FROM scans')
	alerts=$(sqlite3 "l$v.db" 'SELECT count(*) FROM alerts')
	expect_eq "v$v: the dump is at schema version $v" "$v" "$(sqlite3 "l$v.db" 'PRAGMA user_version')"
	if start_temd "up$v" --db "l$v.db" --trust trust.list --authority a.pub; then
		ok "v$v: temd starts on it"
	else
		not_ok "v$v: temd starts on it" "$(cat "up$v.log")"
		continue
	fi
	curl -s -o /dev/null -w '%{http_code}' "$URL/healthz" >status
	expect_eq "v$v: the migrated ledger answers" 200 "$(cat status)"
	stop_temd TERM
	expect_grep "v$v: the copy before migrating is logged" \
		"copied the version $v ledger to l$v.db.v$v.bak before migrating it" "up$v.log"
	i=$v
	while [ "$i" -lt "$current" ]; do
		expect_grep "v$v: migration to $((i + 1)) is logged" \
			"migrating the ledger from schema version $i to $((i + 1))" "up$v.log"
		i=$((i + 1))
	done
	expect_eq "v$v: the copy is the version $v ledger" "$v" \
		"$(sqlite3 "l$v.db.v$v.bak" 'PRAGMA user_version')"
	expect_eq "v$v: the copy is whole" ok "$(sqlite3 "l$v.db.v$v.bak" 'PRAGMA integrity_check')"
	expect_eq "v$v: migrated to version $current" "$current" \
		"$(sqlite3 "l$v.db" 'PRAGMA user_version')"
	expect_eq "v$v: every scan kept" "$scans" "$(sqlite3 "l$v.db" 'SELECT count(*) FROM scans')"
	expect_eq "v$v: every alert kept" "$alerts" "$(sqlite3 "l$v.db" 'SELECT count(*) FROM alerts')"
	expect_eq "v$v: daily statistics count every old scan" "$scans" \
		"$(sqlite3 "l$v.db" 'SELECT coalesce(sum(scans), 0) FROM day_stats')"
	expect_eq "v$v: each old duplicate alert is a typed open alert" "$alerts" \
		"$(sqlite3 "l$v.db" "SELECT count(*) FROM alerts WHERE type = 'duplicate' AND status = 'open'")"
	expect_eq "v$v: daily statistics count every old claim" \
		"$(sqlite3 "l$v.db" 'SELECT count(*) FROM claims')" \
		"$(sqlite3 "l$v.db" 'SELECT coalesce(sum(claims), 0) FROM day_stats')"
	expect_eq "v$v: batch statistics count each scanned code once" \
		"$(sqlite3 "l$v.db" 'SELECT count(DISTINCT s.serial) FROM scans s JOIN batches b
			ON b.key_id = s.key_id AND s.serial BETWEEN b.first_serial AND b.last_serial')" \
		"$(sqlite3 "l$v.db" 'SELECT coalesce(sum(codes), 0) FROM batch_stats')"
	start_temd "again$v" --db "l$v.db" --trust trust.list --authority a.pub
	stop_temd TERM
	expect_eq "v$v: a second start migrates nothing" 0 "$(grep -c 'migrat' "again$v.log")"
done
done_testing
