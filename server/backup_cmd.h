/* backup_cmd.h — `temd backup`: a checked copy of a running temd's SQLite ledger
 * (server/ledger_backup.h). */
#ifndef TEM_BACKUP_CMD_H
#define TEM_BACKUP_CMD_H

/* `temd backup --db FILE -o OUT [-f]`: argv[0] is "backup". Parses the options, runs
 * ledger_backup and says what it did. Returns the exit status: 0 done, 1 the backup failed,
 * 2 a usage error (a PostgreSQL --db among them: its operators use pg_dump). */
int backup_main(int argc, char **argv);

#endif
