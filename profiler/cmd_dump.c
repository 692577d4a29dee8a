/* PLACEHOLDER: replaced by the owner of this command. */
#include <stdio.h>

#include "../profiler/cmds.h"

int cmd_dump(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "prowl dump: not built yet\n");
	return EX_UNAVAILABLE;
}
