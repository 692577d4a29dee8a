/*
 * The algorithms follow CPython's PyCode_Addr2Line of each version
 * (Objects/codeobject.c, Objects/lnotab_notes.txt, InternalDocs/locations):
 * only the line matters to prowl, so 3.11+ column data is skipped.
 */
#include "profiler/capture/pyline.h"

#include <limits.h>

enum pyline_format pyline_format_of(int major, int minor)
{
	if (major != 3 || minor < 6)
		return 0;
	if (minor <= 9)
		return PYLINE_LNOTAB;
	if (minor == 10)
		return PYLINE_LINETABLE;
	return PYLINE_LOCATIONS;
}

/* Lines are ints in CPython; a table that would overflow one is garbage. */
static int add_line(long *line, long delta)
{
	*line += delta;
	return *line > INT_MIN / 2 && *line < INT_MAX / 2;
}

static int lnotab(const uint8_t *tab, size_t len, int firstlineno, int addr)
{
	long line = firstlineno, a = 0;
	for (size_t i = 0; i + 1 < len; i += 2) {
		a += tab[i];
		if (a > addr)
			break;
		if (!add_line(&line, (int8_t)tab[i + 1]))
			return -1;
	}
	return (int)line;
}

static int linetable310(const uint8_t *tab, size_t len, int firstlineno, int addr)
{
	long line = firstlineno, end = 0;
	for (size_t i = 0; i + 1 < len; i += 2) {
		long start = end;
		end += tab[i];
		int8_t ld = (int8_t)tab[i + 1];
		if (ld != -128 && !add_line(&line, ld))
			return -1;
		if (start <= addr && addr < end)
			return ld == -128 ? -1 : (int)line;
	}
	return -1;
}

/* A 6-bit-per-byte varint starting at tab[*i], bit 6 = more; bounded. */
static long varint(const uint8_t *tab, size_t len, size_t *i)
{
	unsigned long v = 0;
	unsigned shift = 0;
	while (*i < len) {
		uint8_t b = tab[(*i)++];
		v |= (unsigned long)(b & 63) << shift;
		if (!(b & 64))
			return (long)(v & 0x7fffffff);
		shift += 6;
		if (shift > 30)
			return -1;
	}
	return -1;
}

static int locations(const uint8_t *tab, size_t len, int firstlineno, int addr)
{
	long line = firstlineno, end = 0;
	size_t i = 0;
	while (i < len) {
		uint8_t first = tab[i];
		if (!(first & 128))
			return -1; /* not at the start of an entry: corrupt */
		int code = first >> 3 & 15;
		long start = end;
		end += ((first & 7) + 1) * 2;
		long delta = 0;
		if (code == 13 || code == 14) {
			size_t j = i + 1;
			long v = varint(tab, len, &j);
			if (v < 0)
				return -1;
			delta = (v & 1) ? -(v >> 1) : (v >> 1);
		} else if (code == 11 || code == 12) {
			delta = code - 10;
		}
		if (!add_line(&line, delta))
			return -1;
		if (start <= addr && addr < end)
			return code == 15 ? -1 : (int)line;
		do
			i++;
		while (i < len && !(tab[i] & 128));
	}
	return -1;
}

int pyline_addr2line(enum pyline_format fmt, const uint8_t *tab, size_t len, int firstlineno, int addr)
{
	if (addr < 0)
		return firstlineno;
	switch (fmt) {
	case PYLINE_LNOTAB:
		return lnotab(tab, len, firstlineno, addr);
	case PYLINE_LINETABLE:
		return linetable310(tab, len, firstlineno, addr);
	case PYLINE_LOCATIONS:
		return locations(tab, len, firstlineno, addr);
	}
	return -1;
}
