/* date.c — UTC calendar days since 1970-01-01, with strict YYYY-MM-DD and RFC 3339 parsing. */
#include "keys/date.h"

#include <stdlib.h>
#include <string.h>

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse of days_from_civil. */
static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int date_parse(const char *s, int32_t *days, struct tem_err *err)
{
	int y, m, d, y2;
	unsigned m2, d2;
	int64_t z;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return err_set(err, "%.40s: not a date of the form YYYY-MM-DD", s);
	y = digits(s, 4);
	m = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < 0 || m < 1 || m > 12 || d < 1 || d > 31)
		return err_set(err, "%s: not a date of the form YYYY-MM-DD", s);
	z = days_from_civil(y, (unsigned)m, (unsigned)d);
	civil_from_days(z, &y2, &m2, &d2);
	if (y2 != y || (int)m2 != m || (int)d2 != d)
		return err_set(err, "%s: no such day", s);
	if (z < 0)
		return err_set(err, "%s: before 1970-01-01", s);
	*days = (int32_t)z;
	return TEM_OK;
}

int date_parse_time(const char *s, int64_t *t, struct tem_err *err)
{
	char date[11];
	int32_t day;
	const char *p;
	int h, m, sec, off;

	/* the date part first: its own message says what is wrong with it */
	if (strlen(s) < 10)
		return err_set(err, "%.40s: not an RFC 3339 time (YYYY-MM-DDTHH:MM:SSZ)", s);
	memcpy(date, s, 10);
	date[10] = '\0';
	if (date_parse(date, &day, err) != TEM_OK)
		return TEM_ERR;
	if (strlen(s) < 20 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
	    s[16] != ':' || (h = digits(s + 11, 2)) < 0 || h > 23 || (m = digits(s + 14, 2)) < 0 ||
	    m > 59 || (sec = digits(s + 17, 2)) < 0 || sec > 60)
		goto bad;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			goto bad;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		off = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		int oh = digits(p + 1, 2), om = digits(p + 4, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			goto bad;
		off = (oh * 60 + om) * (*p == '-' ? -1 : 1);
	} else {
		goto bad;
	}
	*t = (int64_t)day * 86400 + h * 3600 + m * 60 + (sec > 59 ? 59 : sec) - off * 60;
	return TEM_OK;
bad:
	return err_set(err, "%.40s: not an RFC 3339 time (YYYY-MM-DDTHH:MM:SSZ)", s);
}

/* Writes v % 100 as two digits at p. (The dates below are written digit by digit, not with
 * snprintf: every answer to a scan carries two.) */
static void two_digits(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

void date_format(int32_t days, char out[11])
{
	int y;
	unsigned m, d, yy;

	civil_from_days(days, &y, &m, &d);
	yy = (unsigned)y % 10000u;
	two_digits(out, yy / 100);
	two_digits(out + 2, yy);
	out[4] = '-';
	two_digits(out + 5, m);
	out[7] = '-';
	two_digits(out + 8, d);
	out[10] = '\0';
}

int32_t date_from_time(time_t t)
{
	int64_t s = (int64_t)t;
	int64_t q = s / 86400;
	if (s % 86400 < 0)
		q--;
	return (int32_t)q;
}

int32_t date_vn_day(time_t t)
{
	return date_from_time(t + DATE_VN_OFFSET);
}

int32_t date_today(void)
{
	/* no environment variable moves this clock: tests move the real one (faketime) */
	return date_vn_day(time(NULL));
}

void date_format_iso(time_t t, char out[21])
{
	int64_t s = (int64_t)t;
	int32_t day = date_from_time(t);
	int64_t rem = s - (int64_t)day * 86400;

	date_format(day, out);
	out[10] = 'T';
	two_digits(out + 11, (unsigned)(rem / 3600));
	out[13] = ':';
	two_digits(out + 14, (unsigned)(rem / 60 % 60));
	out[16] = ':';
	two_digits(out + 17, (unsigned)(rem % 60));
	out[19] = 'Z';
	out[20] = '\0';
}

int64_t date_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double date_mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
