/* date.h — calendar days as tem stores them: days since 1970-01-01. The day that "today" and
 * a product's last valid day name is a calendar day in Vietnam (UTC+7, no daylight saving),
 * where labels are sold; ISO times in files and the API stay UTC. */
#ifndef TEM_DATE_H
#define TEM_DATE_H

#include <stdint.h>
#include <time.h>

#include "keys/err.h"

/* Parses "YYYY-MM-DD" (exactly that form, a real calendar date, 1970-01-01 or later) into days
 * since 1970-01-01. Returns TEM_OK or TEM_ERR ("DATE: not a date of the form YYYY-MM-DD"). */
int date_parse(const char *s, int32_t *days, struct tem_err *err);

/* Parses an RFC 3339 time, "YYYY-MM-DDTHH:MM:SS" then an optional fraction ("." and one or
 * more digits, dropped) then "Z" or an offset "+HH:MM" / "-HH:MM" (offset hours 00-23), into
 * Unix seconds *t. The date is read as date_parse reads it (so 1970-01-01 or later, though an
 * offset may put *t a few hours before 1970); "T" may be "t" or a space, "Z" may be "z"; hours
 * 00-23, minutes 00-59, seconds 00-60 (a leap second :60 counts as :59). Nothing may follow.
 * Returns TEM_OK, or TEM_ERR with err naming s and the cause. */
int date_parse_time(const char *s, int64_t *t, struct tem_err *err);

/* Formats days since 1970-01-01 as "YYYY-MM-DD" into out (11 bytes with the NUL). */
void date_format(int32_t days, char out[11]);

#define DATE_VN_OFFSET (7 * 3600) /* Vietnam time: UTC+7, all year */

/* Today's date in Vietnam as days since 1970-01-01, from the system clock alone. */
int32_t date_today(void);

/* The day (UTC) a Unix time falls on. */
int32_t date_from_time(time_t t);

/* The calendar day in Vietnam (UTC+7) a Unix time falls on. */
int32_t date_vn_day(time_t t);

/* Seconds on the monotonic clock, for measuring intervals (never goes back). */
double date_mono_seconds(void);

/* Now, as Unix time in milliseconds (the wall clock: what ledger rows record). */
int64_t date_now_ms(void);

/* Formats a Unix time as ISO 8601 UTC, "2026-11-25T04:50:00Z", into out (21 bytes). */
void date_format_iso(time_t t, char out[21]);

#endif
