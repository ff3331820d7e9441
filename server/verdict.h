/* verdict.h — temd's counting verdicts (shared/DESIGN.md, "Verdicts"): a code the shared rules
 * (label/verdict.h) call genuine becomes `seen` or `duplicate` by how many other clients
 * (server/client.h) scanned it, or
 * `sold` when it was claimed at sale by another client. Pure logic: no I/O, no clock, no locks. */
#ifndef TEM_SERVER_VERDICT_H
#define TEM_SERVER_VERDICT_H

#include <stdint.h>

#include "label/verdict.h"

/* What the ledger's writer decides a counted scan's verdict from. */
struct verdict_facts {
	enum verdict base;     /* verdict_judge's verdict of the code, before counting */
	int64_t other_clients; /* distinct clients other than this one that scanned the code */
	int threshold;         /* T: more other clients than this is a duplicate */
	int claimed;           /* 1 when a buyer claimed the code with its PIN */
	int claimed_by_this;   /* 1 when this scan's client is the one that claimed it */
};

/* The final verdict: base unless it is V_GENUINE. Claims beat counts: a genuine code that was
 * claimed is V_SOLD to every client but the claimer's. Otherwise V_GENUINE becomes V_DUPLICATE
 * past the threshold, V_SEEN when any other client scanned the code, else stays V_GENUINE
 * (the claimer's own scans are counted as anyone's). */
enum verdict verdict_decide(const struct verdict_facts *f);

/* 1 when a scan with this base verdict is recorded and counted in the ledger: only codes whose
 * signature verifies with a trusted key, so that forged codes cannot inflate a real code's
 * counts. */
int verdict_is_counted(enum verdict base);

#endif
