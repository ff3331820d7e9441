/* ledger_rollup.h — a ledger transaction's roll-ups (day_stats and batch_stats, docs/api.md
 * "Statistics"), added up in memory as its scans and claims are counted and written by the
 * engine once, just before its COMMIT, so that they still commit with what they count. The
 * same for every engine (ledger_sqlite.c, ledger_pg.c); each writes the rows its own way. */
#ifndef TEM_LEDGER_ROLLUP_H
#define TEM_LEDGER_ROLLUP_H

#include <stddef.h>
#include <stdint.h>

/* day_stats' columns counting scans by final verdict, in the order of struct rollup_day's v. */
#define ROLLUP_VERDICTS 7
extern const char *const rollup_verdicts[ROLLUP_VERDICTS];

/* What a transaction adds to one day_stats row (the Vietnam calendar day, key, batch). */
struct rollup_day {
	char key_id[17];
	int64_t day, batch;
	int64_t scans, codes, v[ROLLUP_VERDICTS], claims;
};

/* What it adds to one batch_stats row. */
struct rollup_batch {
	char key_id[17];
	int64_t batch;
	int64_t scans, codes, claimed, alerted;
};

/* A transaction's roll-ups; all zero is empty. The memory is kept from one transaction to the
 * next (rollup_clear); rollup_free gives it back. */
struct rollups {
	struct rollup_day *days;
	size_t ndays, capdays;
	struct rollup_batch *batches;
	size_t nbatches, capbatches;
};

/* Counts in r, as the ledger's statistics count: one scan of final verdict verdict (its name;
 * "" counts no scan) on the Vietnam day of at_ms, day_code 1 when the code is new to that day,
 * batch_code 1 when it was never scanned before, claims (0 or 1) a new claim; batch 0 counts
 * in no batch_stats row. 0, or -1 when out of memory (nothing counted). */
int rollup_count(struct rollups *r, const char *key_id, int64_t batch, int64_t at_ms,
		 const char *verdict, int day_code, int batch_code, int claims);

/* The batch_stats row of (key_id, batch) in r, made (all counts 0) when missing; NULL when out
 * of memory. */
struct rollup_batch *rollup_batch(struct rollups *r, const char *key_id, int64_t batch);

/* Orders r's rows by key (key_id, then day, then batch), so that two servers writing into one
 * database lock the rows they share in one order. */
void rollup_sort(struct rollups *r);

/* Forgets r's rows (written, or rolled back), keeping its memory. */
void rollup_clear(struct rollups *r);

/* Frees r's memory; r is empty after. */
void rollup_free(struct rollups *r);

#endif
