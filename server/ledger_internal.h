/* ledger_internal.h — a window into the ledger's engine (the backend's check, on SQLite
 * server/ledger_sqlite.c) for tests/unit/test_ledger.c only, so the checks that guard every
 * statement can be shown to fire where they matter: in the writer, inside a group transaction.
 * Only ledger.c, which defines it, and that test include it. */
#ifndef TEM_LEDGER_INTERNAL_H
#define TEM_LEDGER_INTERNAL_H

#include "server/ledger.h"

/* Runs sql_text, with 1 bound to its parameter called name, as a job of l's writer: in a
 * transaction of its own group, through the same bind and step helpers as every ledger
 * statement (the group's commit and failure handling included). Returns the job's status:
 * LEDGER_OK when the statement ran and was committed; LEDGER_FAILED when name is not one of
 * its parameters, the bind or the statement failed (err then says why, naming the parameter
 * and the statement; the failure is logged and counted as every failed transaction is). Call
 * it from one thread at a time. */
enum ledger_status ledger_bind_check(struct ledger *l, const char *sql_text, const char *name,
				     struct tem_err *err);

#endif
