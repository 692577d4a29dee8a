/* PLACEHOLDER: replaced by the owner of this command. */
#include <stdio.h>

#include "../profiler/cmds.h"

int cmd_top(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "prowl top: not built yet\n");
	return EX_UNAVAILABLE;
}
