/* Unit tests for symbolize/maps.c: /proc/PID/maps parsing, the per-segment
 * load bias, MMAP2-style updates, build-ids, and this process's own maps. */
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "profiler/capture/maps.h"

/* A minimal ELF image: a read-only segment at offset 0 / vaddr 0 and a code
 * segment whose vaddr differs from its file offset by 0x200000 (as with
 * linkers that pad segments), plus a GNU build-id note. */
static unsigned char *fake_elf(size_t *len)
{
	size_t n = 0x3000;
	unsigned char *img = calloc(1, n);
	Elf64_Ehdr eh = { 0 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_type = ET_DYN;
	eh.e_machine = EM_X86_64;
	eh.e_phoff = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 3;
	memcpy(img, &eh, sizeof(eh));
	Elf64_Phdr ph[3] = {
		{ .p_type = PT_LOAD, .p_flags = PF_R, .p_offset = 0, .p_vaddr = 0, .p_filesz = 0x1000, .p_memsz = 0x1000 },
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0x1000, .p_vaddr = 0x201000,
		  .p_filesz = 0x2000, .p_memsz = 0x2000 },
		{ .p_type = PT_NOTE, .p_offset = 0x800, .p_filesz = 16 + 8 },
	};
	memcpy(img + sizeof(eh), ph, sizeof(ph));
	uint32_t note[3] = { 4, 8, NT_GNU_BUILD_ID };
	memcpy(img + 0x800, note, sizeof(note));
	memcpy(img + 0x80c, "GNU", 4);
	const unsigned char id[8] = { 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04 };
	memcpy(img + 0x810, id, sizeof(id));
	*len = n;
	return img;
}

static const char fake_maps[] =
	"555555554000-555555555000 r--p 00000000 fd:01 1234                       /usr/bin/fake\n"
	"555555555000-555555557000 r-xp 00001000 fd:01 1234                       /usr/bin/fake\n"
	"555555558000-555555579000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f0000000000-7f0000001000 r-xp 00000000 fd:01 99 /opt/lib/with space.so (deleted)\n"
	"7ffff7fc1000-7ffff7fc3000 r-xp 00000000 00:00 0                          [vdso]\n"
	"7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n"
	"garbage line that is not a mapping\n";

static void test_parse_fields(void **state)
{
	(void)state;
	struct module_set *ms = module_set_new();
	struct maps *m = maps_new(ms, 0);
	assert_int_equal(maps_parse(m, fake_maps), 0);
	assert_int_equal(m->n, 6);
	const struct map_entry *e = maps_find(m, 0x555555555123);
	assert_non_null(e);
	assert_int_equal(e->start, 0x555555555000);
	assert_int_equal(e->pgoff, 0x1000);
	assert_int_equal(e->prot, MAPS_PROT_READ | MAPS_PROT_EXEC);
	assert_string_equal(e->module->path, "/usr/bin/fake");
	assert_int_equal(e->module->ino, 1234);
	/* Both segments of one file are one module. */
	assert_ptr_equal(maps_find(m, 0x555555554000)->module, e->module);
	assert_null(maps_find(m, 0x555555558010)->module); /* [heap] */
	assert_null(maps_find(m, 0x555555557000));          /* a hole */
	assert_null(maps_find(m, 0x1000));
	e = maps_find(m, 0x7f0000000010);
	assert_string_equal(e->module->path, "/opt/lib/with space.so");
	e = maps_find(m, 0x7ffff7fc1000);
	assert_int_equal(e->module->kind, MODULE_VDSO);
	maps_free(m);
	module_set_free(ms);
}

static void test_per_segment_bias(void **state)
{
	(void)state;
	struct module_set *ms = module_set_new();
	struct maps *m = maps_new(ms, 0);
	maps_parse(m, fake_maps);
	struct module *mod = maps_find(m, 0x555555555000)->module;
	size_t len;
	unsigned char *img = fake_elf(&len);
	assert_int_equal(module_parse_elf(mod, img, len), 0);
	mod->loaded = true; /* no file to open: the image above stands for it */
	assert_int_equal(mod->nsegs, 2);
	assert_int_equal(mod->build_id_len, 8);
	assert_int_equal(mod->build_id[0], 0xde);

	struct module *out;
	uint64_t vaddr;
	/* Code: file offset 0x1010 lies in the second PT_LOAD: vaddr 0x201010,
	 * not the 0x1010 a first-segment bias would give. */
	assert_int_equal(maps_resolve(m, 0x555555555010, &out, &vaddr), 0);
	assert_ptr_equal(out, mod);
	assert_int_equal(vaddr, 0x201010);
	assert_int_equal(maps_resolve(m, 0x555555556ffe, &out, &vaddr), 0);
	assert_int_equal(vaddr, 0x202ffe);
	/* Read-only data: first segment, no bias. */
	assert_int_equal(maps_resolve(m, 0x555555554020, &out, &vaddr), 0);
	assert_int_equal(vaddr, 0x20);
	/* Anonymous memory: no module, the address itself. */
	assert_int_equal(maps_resolve(m, 0x555555558010, &out, &vaddr), -ENOENT);
	assert_null(out);
	assert_int_equal(vaddr, 0x555555558010);
	uint64_t v;
	assert_true(module_offset_to_vaddr(mod, 0x1fff, &v));
	assert_int_equal(v, 0x201fff);
	assert_false(module_offset_to_vaddr(mod, 0x9000, &v));
	mod->image = NULL; /* not ours to unmap */
	free(img);
	maps_free(m);
	module_set_free(ms);
}

static void test_bad_elf_is_refused(void **state)
{
	(void)state;
	struct module_set *ms = module_set_new();
	struct module *mod = module_set_get(ms, "/x", 1, 2, MODULE_FILE, NULL);
	size_t len;
	unsigned char *img = fake_elf(&len);
	assert_int_equal(module_parse_elf(mod, img, 10), -ENOEXEC); /* too short */
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	eh->e_phnum = 60000; /* program headers past the end */
	assert_int_equal(module_parse_elf(mod, img, len), -ENOEXEC);
	eh->e_phnum = 3;
	/* A note whose sizes run past the segment: no build-id, no crash. */
	uint32_t big[3] = { 4, 0xffffff00u, NT_GNU_BUILD_ID };
	memcpy(img + 0x800, big, sizeof(big));
	assert_int_equal(module_parse_elf(mod, img, len), 0);
	assert_int_equal(mod->build_id_len, 0);
	free(img);
	module_set_free(ms);
}

static void test_add_splits_and_replaces(void **state)
{
	(void)state;
	struct module_set *ms = module_set_new();
	struct maps *m = maps_new(ms, 0);
	maps_add(m, 0x10000, 0x10000, 0, MAPS_PROT_READ, "//anon", 0, 0);
	uint64_t gen = m->generation;
	/* dlopen maps a library into the middle of a reserved region. */
	maps_add(m, 0x14000, 0x2000, 0x3000, MAPS_PROT_READ | MAPS_PROT_EXEC, "/lib/libplug.so", 5, 6);
	assert_true(m->generation > gen);
	assert_int_equal(m->n, 3);
	assert_int_equal(m->v[0].start, 0x10000);
	assert_int_equal(m->v[0].end, 0x14000);
	assert_int_equal(m->v[1].start, 0x14000);
	assert_string_equal(m->v[1].module->path, "/lib/libplug.so");
	assert_int_equal(m->v[1].pgoff, 0x3000);
	assert_int_equal(m->v[2].start, 0x16000);
	assert_int_equal(m->v[2].end, 0x20000);
	assert_int_equal(m->v[2].pgoff, 0x6000); /* right part keeps its file offset */
	/* A mapping over everything replaces it all. */
	maps_add(m, 0x8000, 0x20000, 0, MAPS_PROT_READ, "/lib/other.so", 5, 7);
	assert_int_equal(m->n, 1);
	assert_string_equal(maps_find(m, 0x15000)->module->path, "/lib/other.so");
	/* Same file: same module. */
	assert_ptr_equal(module_set_get(ms, "/lib/other.so", 5, 7, MODULE_FILE, NULL), m->v[0].module);
	maps_clear(m);
	assert_null(maps_find(m, 0x15000));
	maps_free(m);
	module_set_free(ms);
}

static int find_main_bias(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	if (!info->dlpi_name || !*info->dlpi_name) {
		*(uint64_t *)data = info->dlpi_addr;
		return 1;
	}
	return 0;
}

__attribute__((noinline)) static int marker_function(int x)
{
	return x * 3 + 1;
}

static void test_own_process(void **state)
{
	(void)state;
	struct module_set *ms = module_set_new();
	struct maps *m = maps_new(ms, getpid());
	assert_int_equal(maps_load(m), 0);
	uint64_t bias = 0;
	dl_iterate_phdr(find_main_bias, &bias);
	uint64_t addr = (uint64_t)(uintptr_t)&marker_function;
	struct module *mod;
	uint64_t vaddr;
	assert_int_equal(maps_resolve(m, addr, &mod, &vaddr), 0);
	assert_non_null(mod);
	assert_true(mod->elf_ok);
	assert_int_equal(vaddr, addr - bias);
	assert_true(mod->build_id_len > 0);
	/* Code can be read back from the file behind the mapping. */
	unsigned char a[16], b[16];
	memcpy(a, (const void *)(uintptr_t)addr, sizeof(a));
	assert_int_equal(maps_read_file(m, addr, b, sizeof(b)), 0);
	assert_memory_equal(a, b, sizeof(a));
	/* ...but not writable memory. */
	static int data_word = 42;
	assert_int_not_equal(maps_read_file(m, (uint64_t)(uintptr_t)&data_word, b, 4), 0);
	assert_int_equal(marker_function(1), 4);
	maps_free(m);
	struct maps *gone = maps_new(ms, 0x7ffffff0);
	assert_int_equal(maps_load(gone), -ESRCH);
	maps_free(gone);
	module_set_free(ms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_per_segment_bias),
		cmocka_unit_test(test_bad_elf_is_refused),
		cmocka_unit_test(test_add_splits_and_replaces),
		cmocka_unit_test(test_own_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
