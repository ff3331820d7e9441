/* pages.h — the buyer's HTML pages: the verdict page for a scanned code and the page to paste
 * a code, in Vietnamese (default) or English. Mobile-first, no external assets (inline CSS and
 * SVG), every value HTML-escaped. Times are shown in Asia/Ho_Chi_Minh (UTC+7, no DST). */
#ifndef TEM_PAGES_H
#define TEM_PAGES_H

#include <stddef.h>
#include <stdint.h>

#include "server/verdict.h"

enum lang { LANG_VI, LANG_EN };

struct page_scan {
	enum verdict verdict;
	const char *code_text;  /* the code as scanned (for the language link); may be NULL */
	const char *short_id;   /* KEYID-SERIAL, or NULL when the code did not parse */
	const char *key_id;     /* 16 hex digits, or NULL */
	const char *producer;   /* name in the trust list, or "" */
	const char *product;    /* from the registered batch, or "" */
	const char *batch_id;   /* or "" */
	int64_t issued;         /* batch issue time, Unix s; 0 = unknown */
	int32_t last_day;       /* last valid day, 0 = none */
	int64_t scans, clients; /* counts, this scan included; 0 when not counted */
	int64_t first_scan_ms;  /* 0 when not counted */
	int32_t revoked;        /* day the producer stopped being recognised, 0 = not revoked */
	const char *authority;  /* who to tell when in doubt (the trust list's authority) */
	const char *contact;    /* how to reach them (temd --contact), or NULL */
	/* claims at sale (docs/security.md, "Claim PINs") */
	int64_t claimed_ms;  /* when the code was claimed, Unix ms; 0 = not claimed */
	int claimed_yours;   /* 1 when this client claimed it (a green note) */
	int claimable;       /* 1: show the "I bought this product" PIN form */
	const char *form_id; /* the typed fallback's short id: the form posts it to "/" with
				 * claim=1; NULL: the form posts the PIN to this page's URL */
	const char *notice;  /* what a claim attempt came to, shown first; may be NULL */
	int notice_bad;      /* 1: the notice is a failure (red), 0: good news (green) */
};

/* Renders the verdict page; *out is malloc'd (caller frees). 0, or -1 out of memory. */
int pages_scan(const struct page_scan *s, enum lang lang, char **out, size_t *len);

/* Renders the page to paste a code, with an optional message (escaped), and the typed
 * fallback's form (the short id under the QR and the claim PIN, posted to "/"). */
int pages_home(enum lang lang, const char *message, char **out, size_t *len);

/* What a claim attempt came to, in the page's language, for page_scan.notice: static text. */
enum page_claim {
	PAGE_CLAIMED,      /* claimed now */
	PAGE_CLAIM_YOURS,  /* claimed earlier by this buyer */
	PAGE_CLAIM_TAKEN,  /* claimed earlier by someone else */
	PAGE_CLAIM_WRONG,  /* wrong PIN */
	PAGE_CLAIM_LIMIT,  /* too many wrong PINs */
	PAGE_CLAIM_REAL,   /* typed fallback: the PIN is right, the label is real, not claimed */
	PAGE_CLAIM_NO_PINS /* the label has no claim PIN */
};
const char *pages_claim_notice(enum page_claim c, enum lang lang);

/* The language a request asks for: ?lang= first (vi or en), then the first of Accept-Language
 * that is Vietnamese or English; Vietnamese otherwise. Either may be NULL. */
enum lang pages_lang(const char *query_lang, const char *accept_language);

#endif
