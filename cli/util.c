/* util.c — error reporting and process hardening shared by the subcommands. */
#include <stdarg.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "cli/cli.h"

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("tem: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_fail(const struct tem_err *err)
{
	fprintf(stderr, "tem: %s\n", err->msg);
	return EXIT_USAGE;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("tem: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'tem %s --help'.\n", cmd);
	return EXIT_USAGE;
}

void cli_harden(void)
{
	struct rlimit rl = {0, 0};

	/* a secret key must never end up in a core file */
	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
