/*
 * elf: the few ELF questions prowl asks of a module, answered once over
 * libelf: a section by name or type, the GNU build-id note, the
 * .gnu_debuglink name and CRC, whether DWARF is present, and vaddr <-> file
 * offset through the PT_LOAD segments. The ELF is untrusted: every size is
 * checked and a malformed file gives "not found", never a crash. Functions
 * are prefixed elfx_ because libelf owns elf_. Nothing here owns the Elf;
 * returned strings and buffers are malloc'd and the caller's to free. Errors
 * are a negative errno (-ENOENT when the thing is simply absent).
 */
#ifndef PROWL_SYMBOLIZE_ELF_H
#define PROWL_SYMBOLIZE_ELF_H

#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Opens the ELF in fd and lets go of the descriptor at once: libelf maps the
 * file (or reads it whole when it cannot be mapped), so an open module costs
 * no descriptor. Always closes fd; NULL when it is not an ELF file. The
 * caller elf_end()s the result. */
Elf *elfx_begin_fd(int fd);

/* The first section named name (e.g. ".gnu_debuglink"), its header in *sh. */
Elf_Scn *elfx_section(Elf *elf, const char *name, GElf_Shdr *sh);

/* The first section of type type (e.g. SHT_SYMTAB), its header in *sh. */
Elf_Scn *elfx_section_type(Elf *elf, Elf64_Word type, GElf_Shdr *sh);

/* Reads the GNU build-id (from the note sections, else the PT_NOTE segments)
 * into *id (malloc'd); returns its length, or 0 with *id NULL when absent. */
size_t elfx_build_id(Elf *elf, unsigned char **id);

/* Reads .gnu_debuglink: *name (malloc'd, never holding '/') and the CRC-32
 * it promises, in host order. 0, or -ENOENT. */
int elfx_debuglink(Elf *elf, char **name, uint32_t *crc);

/* True when the file has DWARF (.debug_info or .zdebug_info with data). */
bool elfx_has_dwarf(Elf *elf);

/* Through the PT_LOAD segments: the file offset of a virtual address and
 * back. 0, or -ENOENT when no segment holds it. */
int elfx_vaddr_to_offset(Elf *elf, uint64_t vaddr, uint64_t *offset);
int elfx_offset_to_vaddr(Elf *elf, uint64_t offset, uint64_t *vaddr);

#endif
