/*
 * fde: where a function starts and ends, from the .eh_frame unwind table
 * that every x86-64 binary keeps even when stripped of its symbols. The
 * symbolizer names code without a symbol by its FDE's start ("gzip+0x4300"),
 * so all the addresses of one unnamed function are one row, not one each.
 *
 * The table is read from the bytes of .eh_frame (and .eh_frame_hdr's sorted
 * search table when it has the usual encoding, which costs nothing to keep;
 * otherwise .eh_frame is walked once into a sorted array). The bytes are
 * borrowed: they must outlive the table (the symbolizer's Elf holds them).
 * Both sections are untrusted: every read is bounds-checked, and a malformed
 * entry is skipped or gives "not found", never a crash. Out of memory is
 * fatal (xmalloc).
 */
#ifndef PROWL_SYMBOLIZE_FDE_H
#define PROWL_SYMBOLIZE_FDE_H

#include <stddef.h>
#include <stdint.h>

/* A section's bytes and the virtual address they are loaded at. */
struct fde_section {
	const unsigned char *data;
	size_t size;
	uint64_t addr;
};

struct fde_range {
	uint64_t start, end; /* [start, end) */
};

struct fde_table {
	struct fde_section eh, hdr;  /* hdr.data NULL: the sorted array is used */
	const unsigned char *search; /* .eh_frame_hdr's table (pairs of sdata4), or NULL */
	size_t nsearch;
	struct fde_range *v;         /* sorted by start, when there is no usable search table */
	size_t n;
};

/* Sets t up over eh (required) and hdr (hdr->data may be NULL). 0, or
 * -ENOENT when eh holds no FDE. Release with fde_table_release(). */
int fde_table_init(struct fde_table *t, const struct fde_section *eh, const struct fde_section *hdr);
void fde_table_release(struct fde_table *t);

/* The FDE covering addr: 0 and *r, or -ENOENT. */
int fde_find(const struct fde_table *t, uint64_t addr, struct fde_range *r);

#endif
