/* A target whose names are hostile: it renames itself (PR_SET_NAME) to a
 * name holding an escape sequence and a newline, and spends its time in two
 * functions defined in assembly under placeholder symbols, which
 * test_escape_names.sh renames in a copy of this binary (objcopy
 * --redefine-sym: the assembler cannot write a newline into a symbol).
 * Assembly keeps DWARF from naming them: the symbol table's names are the
 * ones shown. Runs until killed; usage: oddnames [NAME]. */
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

/* A leaf loop of n iterations, with CFI so unwinders get out of it. */
#define SPIN(sym)                            \
	".text\n"                            \
	".globl " sym "\n"                   \
	".type " sym ", @function\n"         \
	sym ":\n"                            \
	".cfi_startproc\n"                   \
	"1: pause\n"                         \
	"   decq %rdi\n"                     \
	"   jnz 1b\n"                        \
	"   ret\n"                           \
	".cfi_endproc\n"                     \
	".size " sym ", .-" sym "\n"

#ifdef __x86_64__
__asm__(SPIN("prowl_odd_placeholder_one") SPIN("prowl_odd_placeholder_two"));
void prowl_odd_placeholder_one(long n);
void prowl_odd_placeholder_two(long n);
#endif

int main(int argc, char **argv)
{
#ifndef __x86_64__
	(void)argc, (void)argv;
	fprintf(stderr, "oddnames: x86-64 only\n");
	return 2;
#else
	const char *name = argc > 1 ? argv[1] : "x\x1b[2J\nthread 1";
	if (prctl(PR_SET_NAME, name, 0, 0, 0) != 0) {
		perror("prctl");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		prowl_odd_placeholder_one(200000);
		prowl_odd_placeholder_two(100000);
	}
#endif
}
