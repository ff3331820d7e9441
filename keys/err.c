/* err.c — filling struct tem_err. */
#include "keys/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 2, 0))) static void err_vset(struct tem_err *err, const char *fmt,
							   va_list ap)
{
	if (err == NULL)
		return;
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

int err_set(struct tem_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, fmt, ap);
	va_end(ap);
	return TEM_ERR;
}

int err_no(struct tem_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, fmt, ap);
	va_end(ap);
	return TEM_NO;
}

void err_prefix(struct tem_err *err, const char *prefix)
{
	char tmp[2 * sizeof err->msg + 8];

	if (err == NULL)
		return;
	snprintf(tmp, sizeof tmp, "%.255s: %s", prefix, err->msg);
	memcpy(err->msg, tmp, sizeof err->msg - 1);
	err->msg[sizeof err->msg - 1] = '\0';
}
