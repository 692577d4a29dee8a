/*
 * elf: one place for the section and note walks that the symbolizer and the
 * debug-file search used to each do by hand.
 */
#include "symbolize/elf.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "profiler/base/util.h"

Elf *elfx_begin_fd(int fd)
{
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP_PRIVATE, NULL);
	if (e && (elf_kind(e) != ELF_K_ELF || elf_cntl(e, ELF_C_FDREAD) != 0)) {
		elf_end(e);
		e = NULL;
	}
	close(fd);
	return e;
}

Elf_Scn *elfx_section(Elf *elf, const char *name, GElf_Shdr *sh)
{
	size_t shstrndx;
	if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0)
		return NULL;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, sh))
			continue;
		const char *n = elf_strptr(elf, shstrndx, sh->sh_name);
		if (n && !strcmp(n, name))
			return scn;
	}
	return NULL;
}

Elf_Scn *elfx_section_type(Elf *elf, Elf64_Word type, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	while (elf && (scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, sh) && sh->sh_type == type)
			return scn;
	return NULL;
}

/* The build-id in one block of notes, or 0. */
static size_t note_build_id(Elf_Data *data, unsigned char **id)
{
	if (!data || !data->d_buf)
		return 0;
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;
	while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp((char *)data->d_buf + name_off, "GNU", 4) && nh.n_descsz > 0 &&
		    nh.n_descsz <= 64) {
			*id = xmalloc(nh.n_descsz);
			memcpy(*id, (char *)data->d_buf + desc_off, nh.n_descsz);
			return nh.n_descsz;
		}
	}
	return 0;
}

size_t elfx_build_id(Elf *elf, unsigned char **id)
{
	*id = NULL;
	if (!elf)
		return 0;
	Elf_Scn *scn = NULL;
	bool any_section = false;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		any_section = true;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		size_t n = note_build_id(elf_getdata(scn, NULL), id);
		if (n)
			return n;
	}
	if (any_section)
		return 0;
	/* No section headers (stripped to the bone): the note segments. */
	size_t nph;
	if (elf_getphdrnum(elf, &nph) != 0)
		return 0;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		Elf_Data *d = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR);
		size_t n = note_build_id(d, id);
		if (n)
			return n;
	}
	return 0;
}

int elfx_debuglink(Elf *elf, char **name, uint32_t *crc)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elfx_section(elf, ".gnu_debuglink", &sh);
	if (!scn || sh.sh_type == SHT_NOBITS)
		return -ENOENT;
	Elf_Data *data = elf_getdata(scn, NULL);
	if (!data || !data->d_buf || data->d_size < 6)
		return -ENOENT;
	const char *p = data->d_buf;
	size_t n = strnlen(p, data->d_size);
	size_t crc_off = (n + 4) & ~(size_t)3;
	if (n == 0 || crc_off + 4 > data->d_size || memchr(p, '/', n))
		return -ENOENT;
	uint32_t c;
	memcpy(&c, p + crc_off, 4);
	const char *ident = elf_getident(elf, NULL);
	if (ident && ident[EI_DATA] != ELFDATA2LSB)
		c = __builtin_bswap32(c);
	*name = xstrndup(p, n);
	*crc = c;
	return 0;
}

bool elfx_has_dwarf(Elf *elf)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elfx_section(elf, ".debug_info", &sh);
	if (!scn || sh.sh_type == SHT_NOBITS)
		scn = elfx_section(elf, ".zdebug_info", &sh);
	return scn && sh.sh_type != SHT_NOBITS;
}

static int convert(Elf *elf, uint64_t in, uint64_t *out, bool from_vaddr)
{
	size_t nph;
	if (!elf || elf_getphdrnum(elf, &nph) != 0)
		return -ENOENT;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		uint64_t base = from_vaddr ? ph.p_vaddr : ph.p_offset;
		if (in < base || in - base >= ph.p_filesz)
			continue;
		*out = (from_vaddr ? ph.p_offset : ph.p_vaddr) + (in - base);
		return 0;
	}
	return -ENOENT;
}

int elfx_vaddr_to_offset(Elf *elf, uint64_t vaddr, uint64_t *offset)
{
	return convert(elf, vaddr, offset, true);
}

int elfx_offset_to_vaddr(Elf *elf, uint64_t offset, uint64_t *vaddr)
{
	return convert(elf, offset, vaddr, false);
}
