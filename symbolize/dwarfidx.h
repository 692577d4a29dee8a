/*
 * dwarfidx: per-module DWARF index over libdw: compile units by address, and
 * for each unit touched (lazily) its tree of scopes with PC ranges, so an
 * address gives its inline chain without walking DIEs again. Owned by one
 * sym_module; strings returned live as long as the index. Never prints; a
 * malformed unit just yields fewer frames.
 */
#ifndef PROWL_DWARFIDX_H
#define PROWL_DWARFIDX_H

#include <elfutils/libdw.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dwidx;

/* One function frame: name as in the binary (linkage name when there is one)
 * and the location in it: the line table's for the innermost frame, the call
 * site of the frame below for the others. */
struct dw_frame {
	const char *raw;
	const char *file;
	uint32_t line;
	uint32_t column;
	bool inlined;
};

struct dw_result {
	int nframes;           /* frames filled; 0 when the address has no function DIE */
	bool have_cu;          /* a compile unit covers the address */
	bool have_line;        /* out[0] location came from the line table */
	const char *file;      /* line table answer (also when nframes is 0) */
	uint32_t line, column;
	uint64_t line_addr;    /* where that line-table row starts */
	/* eu-addr2line's "-f" line names, after "inlined at ... in", the
	 * function that lexically holds the inlined function's definition,
	 * when there is one (else the ELF symbol). */
	const char *inline_owner;
};

/* Takes a Dwarf opened on elf (the caller keeps elf alive); NULL when it has
 * no DWARF. */
struct dwidx *dwidx_new(Elf *elf);
void dwidx_free(struct dwidx *d);
/* Fills out[0..max) innermost first. */
void dwidx_lookup(struct dwidx *d, uint64_t addr, struct dw_frame *out, size_t max,
		  struct dw_result *res);
bool dwidx_has_units(struct dwidx *d);

#endif
