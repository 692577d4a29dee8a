/* libplugin.so: the library the dlopen sample loads late. plugin_work spins
 * UNITS spin units in its own body (exported, noinline, so it is the sampled
 * leaf inside libplugin.so). */
#include "common.h"

uint64_t plugin_work(uint64_t acc, unsigned units);

__attribute__((visibility("default"))) NOINLINE uint64_t plugin_work(uint64_t acc, unsigned units)
{
	SPIN_UNITS(acc, units);
	return acc;
}
