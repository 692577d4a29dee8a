/*
 * demangle: sym_demangle() of symbolizer.h. Kept apart because libiberty's
 * header redefines helpers that profiler/util.h also defines.
 */
#include <stdlib.h>

#include <libiberty/demangle.h>

#include "symbolize/symbolizer.h"

char *sym_demangle(const char *name)
{
	/* Only C++ (_Z, also Rust legacy) and Rust v0 (_R) names; anything else,
	 * C names included, is returned as not mangled. */
	if (!name || name[0] != '_' || (name[1] != 'Z' && name[1] != 'R'))
		return NULL;
	return cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
}
