/* util.c — error reporting and process hardening shared by the subcommands. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "cli/cli.h"

static int saved_argc;
static char **saved_argv;

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

void cli_args(int argc, char **argv)
{
	saved_argc = argc;
	saved_argv = argv;
}

/* Names the option getopt_long just refused (opterr is 0, so it printed nothing): the word it
 * was reading is argv[optind - 1]. A short option is either unknown or lacks its value, which
 * getopt does not tell apart without the option string. */
static void option_error(const char *cmd)
{
	const char *w = NULL;

	if (saved_argv != NULL && optind >= 1 && optind - 1 < saved_argc)
		w = saved_argv[optind - 1];
	if (w != NULL && strncmp(w, "--", 2) == 0) {
		size_t n = strcspn(w, "=");
		if (optopt == 0)
			fprintf(stderr, "tem %s: unknown option '%.*s'", cmd, (int)n, w);
		else if (w[n] == '=')
			fprintf(stderr, "tem %s: option '%.*s' takes no value", cmd, (int)n, w);
		else
			fprintf(stderr, "tem %s: option '%s' needs a value", cmd, w);
	} else if (optopt > ' ' && optopt < 127) {
		fprintf(stderr, "tem %s: option '-%c' is unknown or needs a value", cmd, optopt);
	} else {
		fprintf(stderr, "tem %s: bad option", cmd);
	}
	fprintf(stderr, " (tem help %s)\n", cmd);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	if (strcmp(fmt, "bad option") == 0 || strcmp(fmt, "unknown option") == 0) {
		option_error(cmd);
		return EXIT_USAGE;
	}
	fputs("tem: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (tem help %s)\n", cmd);
	return EXIT_USAGE;
}

void cli_harden(void)
{
	struct rlimit rl = {0, 0};

	/* a secret key must never end up in a core file */
	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
