/*
 * fuzz_unwind: the DWARF unwinder (profiler/unwind.c: .eh_frame_hdr table
 * checks, section lookup, the .debug_frame / libdw CFI fallback and its
 * expression evaluator, libunwind driven through prowl's accessors) on
 * mutated ELF files. The input's last 256 bytes are the registers (17
 * words, perf order: ax bx cx dx si di bp sp ip r8..r15) and 120 bytes of
 * stack; everything before is the ELF file, written to a memfd and mapped,
 * segment by segment as ld.so would, at FUZZ_BASE in a fake process. The
 * pc is taken into the mapped file (FUZZ_BASE + ip % 64 KiB), the stack at
 * FUZZ_SP. A fresh module set and unwinder per input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profiler/capture/unwind.h"
#include "profiler/capture/maps.h"

#define FUZZ_BASE 0x10000000ull
#define FUZZ_SP 0x7ff000000000ull
#define TAIL 256
#define NREGS 17

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

struct stack {
	const uint8_t *bytes;
	size_t len;
};

static int stack_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct stack *s = ctx;
	if (addr < FUZZ_SP)
		return -EFAULT;
	if (addr - FUZZ_SP > s->len || len > s->len - (addr - FUZZ_SP))
		return -ERANGE;
	memcpy(buf, s->bytes + (addr - FUZZ_SP), len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (len < TAIL + 64)
		return 0;
	size_t elf_len = len - TAIL;
	uint64_t w[NREGS];
	memcpy(w, data + elf_len, sizeof(w));
	struct stack st = { data + elf_len + sizeof(w), TAIL - sizeof(w) };

	int fd = memfd_create("fuzz-unwind", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, elf_len) != (ssize_t)elf_len)
		abort();
	struct stat sb;
	fstat(fd, &sb);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	/* Where ld.so would put each PT_LOAD (bounded: 8 segments, 256 MiB). */
	struct module probe;
	memset(&probe, 0, sizeof(probe));
	module_parse_elf(&probe, data, elf_len);
	struct module_set *ms = module_set_new();
	struct maps *m = maps_new(ms, 0);
	for (size_t i = 0; i < probe.nsegs && i < 8; i++) {
		const struct module_segment *sg = &probe.segs[i];
		uint64_t va = sg->vaddr & ~0xfffull, off = sg->offset & ~0xfffull;
		uint64_t end = sg->vaddr + (sg->memsz > sg->filesz ? sg->memsz : sg->filesz);
		if (sg->vaddr >= (1ull << 28) || end < va || end - va > (1ull << 28))
			continue;
		uint32_t prot = (sg->flags & 4 ? MAPS_PROT_READ : 0) | (sg->flags & 2 ? MAPS_PROT_WRITE : 0) |
				(sg->flags & 1 ? MAPS_PROT_EXEC : 0);
		maps_add(m, FUZZ_BASE + va, ((end - va) + 0xfff) & ~0xfffull, off, prot, path, sb.st_dev, sb.st_ino);
	}
	free(probe.segs);

	struct unwind_regs regs;
	memset(&regs, 0, sizeof(regs));
	static const int to_dwarf[NREGS] = { UNWIND_REG_RAX, UNWIND_REG_RBX, UNWIND_REG_RCX, UNWIND_REG_RDX,
					     UNWIND_REG_RSI, UNWIND_REG_RDI, UNWIND_REG_RBP, UNWIND_REG_RSP,
					     UNWIND_REG_RIP, UNWIND_REG_R8,  UNWIND_REG_R9,  UNWIND_REG_R10,
					     UNWIND_REG_R11, UNWIND_REG_R12, UNWIND_REG_R13, UNWIND_REG_R14,
					     UNWIND_REG_R15 };
	for (int i = 0; i < NREGS; i++)
		regs.r[to_dwarf[i]] = w[i];
	regs.r[UNWIND_REG_RIP] = FUZZ_BASE + (w[8] & 0xffff);
	regs.r[UNWIND_REG_RSP] = FUZZ_SP + (w[7] & 0x3f);
	if (w[6] >> 63)
		regs.r[UNWIND_REG_RBP] = FUZZ_SP + (w[6] & 0x7f);

	struct unwinder *u = unwinder_new(ms, 32);
	struct unwind_mem um = { stack_read, &st };
	uint64_t ips[32];
	unsigned flags = 0;
	int n = unwind_dwarf(u, m, &regs, &um, ips, 32, &flags);
	if (n > 32)
		abort();
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz_unwind: %zu mappings, %d frames (flags %u), first %#llx %#llx\n", m->n, n, flags,
			(unsigned long long)ips[0], n > 1 ? (unsigned long long)ips[1] : 0ull);
	n = unwind_fp(NULL, &regs, &um, ips, 32, &flags);
	if (n > 32)
		abort();
	unwinder_free(u);
	maps_free(m);
	module_set_free(ms);
	close(fd);
	return 0;
}
