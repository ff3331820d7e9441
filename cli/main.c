/* main.c — the `tem` command: dispatches to one subcommand per file. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
    {"keygen", cmd_keygen, "make a producer or authority key pair"},
    {"issue", cmd_issue, "issue a batch of signed codes"},
    {"label", cmd_label, "render a batch as printable QR labels"},
    {"verify", cmd_verify, "verify codes or label URLs"},
    {"inspect", cmd_inspect, "show the fields of a code"},
    {"sign", cmd_sign, "sign a file (minisign format)"},
    {"check", cmd_check, "check a file's signature"},
    {"trust", cmd_trust, "the authority's trust list: init, add, revoke, sign, show"},
    {"register", cmd_register, "register a batch with a temd server"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: tem COMMAND [ARGS...]\n\n"
		   "tem issues signed anti-counterfeit codes and prints them as QR labels.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'tem COMMAND --help' for a command's options; man tem for more.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("tem 0.1.0\n");
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "tem: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
