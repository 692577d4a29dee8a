/*
 * pyline: CPython's three line-number tables, decoded without the
 * interpreter: co_lnotab (3.6-3.9), the 3.10 co_linetable and the 3.11+
 * location table. Pure functions over bytes copied out of the target: the
 * table is untrusted, so every read is bounded by len and every result is
 * either a line or -1. Nothing is allocated.
 */
#ifndef PROWL_PYLINE_H
#define PROWL_PYLINE_H

#include <stddef.h>
#include <stdint.h>

enum pyline_format {
	PYLINE_LNOTAB = 1,    /* 3.6-3.9: (byte delta, signed line delta) pairs */
	PYLINE_LINETABLE = 2, /* 3.10: (byte delta, signed line delta, -128 = none) pairs */
	PYLINE_LOCATIONS = 3, /* 3.11+: variable-length location entries */
};

/* The line table format of CPython 3.MINOR, or 0 when it has none prowl knows. */
enum pyline_format pyline_format_of(int major, int minor);

/* The source line of the instruction at byte offset addr of the bytecode
 * (f_lasti for <= 3.9, f_lasti * 2 for 3.10, code units * 2 for 3.11+), as
 * PyCode_Addr2Line computes it; -1 when the table gives no line there or the
 * format is unknown. A negative addr gives firstlineno (a frame that has not
 * started), as CPython does. */
int pyline_addr2line(enum pyline_format fmt, const uint8_t *tab, size_t len, int firstlineno, int addr);

#endif
