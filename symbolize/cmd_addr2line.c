/* PLACEHOLDER: replaced by the owner of this command. */
#include <stdio.h>

#include "../profiler/cmds.h"

int cmd_addr2line(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "prowl addr2line: not built yet\n");
	return EX_UNAVAILABLE;
}
