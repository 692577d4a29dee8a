/*
 * fuzz_elf: the symbolizer (symbolize/, libdw underneath) and the capture's
 * ELF program-header and build-id parser (module_parse_elf) on mutated ELF
 * files. The input is written to a memfd and opened by path as a target's
 * file would be; a few addresses are looked up: the entry point, the start,
 * middle and end of each PT_LOAD, and two taken from the input's last bytes.
 * Each address is also named as stripped code would be (FDE start, PLT stub).
 * A fresh symbolizer per input, so no cache hides a file behind an older one.
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "profiler/capture/maps.h"
#include "symbolize/symbolizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void lookup(struct sym_module *sm, uint64_t addr)
{
	struct sym_frame fr[16];
	struct sym_lookup_info info;
	int n = sym_lookup_ex(sm, addr, fr, 16, &info);
	if (n < 0 || n > 16)
		abort();
	for (int i = 0; i < n; i++) {
		/* Every string handed out must be readable. */
		if (fr[i].function)
			(void)strlen(fr[i].function);
		if (fr[i].raw)
			(void)strlen(fr[i].raw);
		if (fr[i].file)
			(void)strlen(fr[i].file);
	}
	/* Stripped code's names: an FDE's start is at or before the address;
	 * a PLT stub's name is readable. */
	uint64_t start;
	if (sym_lookup_fde(sm, addr, &start) == 0 && start > addr)
		abort();
	const char *plt = sym_lookup_plt(sm, addr);
	if (plt)
		(void)strlen(plt);
	const char *dem = NULL;
	uint64_t off = 0;
	const char *raw = sym_lookup_symbol(sm, addr, &dem, &off);
	if (raw)
		(void)strlen(raw);
	if (dem)
		(void)strlen(dem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct module mod;
	memset(&mod, 0, sizeof(mod));
	module_parse_elf(&mod, data, len);
	uint64_t v;
	if (mod.nsegs)
		(void)module_offset_to_vaddr(&mod, mod.segs[0].offset + 0x10, &v);

	int fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	if (len && write(fd, data, len) != (ssize_t)len)
		abort();
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct symbolizer_opts so = { .no_debuginfod = true, .debug_dir = "/nonexistent-prowl-fuzz" };
	struct symbolizer *s = symbolizer_new(&so);
	struct sym_source src = { .kind = SYM_ELF, .path = path, .name = "/fuzz/target" };
	if (mod.build_id_len) {
		src.build_id = mod.build_id;
		src.build_id_len = mod.build_id_len;
	}
	struct sym_module *sm = symbolizer_module(s, &src);
	if (sm) {
		(void)sym_module_build_id(sm);
		(void)sym_module_caps(sm);
		(void)sym_module_debug_file(sm);
		if (len >= sizeof(Elf64_Ehdr)) {
			Elf64_Ehdr eh;
			memcpy(&eh, data, sizeof(eh));
			lookup(sm, eh.e_entry);
		}
		for (size_t i = 0; i < mod.nsegs && i < 4; i++) {
			lookup(sm, mod.segs[i].vaddr);
			lookup(sm, mod.segs[i].vaddr + mod.segs[i].memsz / 2);
			lookup(sm, mod.segs[i].vaddr + mod.segs[i].memsz - 1);
		}
		if (len >= 16) {
			uint64_t a[2];
			memcpy(a, data + len - 16, 16);
			lookup(sm, a[0] & 0xffffff);
			lookup(sm, a[1]);
		}
	}
	symbolizer_free(s);
	close(fd);
	free(mod.segs);
	return 0;
}
