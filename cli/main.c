/* main.c — the `tem` command: dispatches to one subcommand per file. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#define TEM_VERSION "0.1.0"

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
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
	fprintf(f, "usage: tem COMMAND [ARGS...]\n\n"
		   "tem issues signed anti-counterfeit codes and prints them as QR labels.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'tem help COMMAND' (or 'tem COMMAND --help') for a command's options;\n"
		   "'tem -V' prints the version; man tem for more.\n");
}

/* The subcommand called name, NULL when there is none. */
static const struct command *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (argc == 2) {
			usage(stdout);
			return 0;
		}
		if (argc > 3) {
			cli_warn("help takes one command name, not %d", argc - 2);
			return EXIT_USAGE;
		}
		if ((cmd = find(argv[2])) == NULL) {
			cli_warn("help: no command '%s' (tem help lists them)", argv[2]);
			return EXIT_USAGE;
		}
		char *help_argv[] = {(char *)cmd->name, (char *)"--help", NULL};
		return cmd->run(2, help_argv);
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("tem " TEM_VERSION "\n");
		return 0;
	}
	if ((cmd = find(argv[1])) == NULL) {
		cli_warn("unknown command '%s' (tem help lists them)", argv[1]);
		return EXIT_USAGE;
	}
	/* the subcommands' option errors are reported by cli_usage_error, on one line */
	opterr = 0;
	cli_args(argc - 1, argv + 1);
	return cmd->run(argc - 1, argv + 1);
}
