/* Placeholder until `tem register` lands (see its issue); removed when it does. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_register(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_warn("register: not available in this build yet");
	return EXIT_USAGE;
}
