/* Placeholder until `tem label` lands (see its issue); removed when it does. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_label(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_warn("label: not available in this build yet");
	return EXIT_USAGE;
}
