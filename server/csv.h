/* csv.h — the regulator API's CSV (docs/api.md, "CSV"): RFC 4180 rows (fields separated by
 * commas, CRLF line ends, a field quoted, its quotes doubled, by libcsv when it holds a comma,
 * a quote, CR or LF, or begins or ends with a space), after a UTF-8 byte order mark so
 * spreadsheet programs read Vietnamese right. A text field that a spreadsheet would run as a
 * formula (beginning with =, +, -, @, a tab or CR) is written with a ' before it. Rows go into
 * an sbuf (server/sbuf.h), so a streamed export holds one page at a time. */
#ifndef TEM_CSV_H
#define TEM_CSV_H

#include <stdint.h>

#include "server/sbuf.h"

#define CSV_BOM "\xEF\xBB\xBF"

/* Appends text field s (NULL: an empty field), with the comma before it unless first. */
void csv_text(struct sbuf *b, const char *s, int first);

/* Appends an integer field. */
void csv_int(struct sbuf *b, int64_t v, int first);

/* Ends the row (CRLF). */
void csv_end(struct sbuf *b);

/* Appends a header row of the n names. */
void csv_header(struct sbuf *b, const char *const *names, int n);

#endif
