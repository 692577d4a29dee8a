/*
 * unwind: turns the registers and memory of a sampled thread into return
 * addresses, with libunwind driven by prowl's own accessors: unwind tables
 * from the module files (.eh_frame_hdr, else .debug_frame, also from separate
 * debug files), memory from the backend's reader (perf: the stack copy;
 * ptrace: process_vm_readv) and read-only file mappings from disk. One
 * unwinder serves every process (a libunwind address space per process, with
 * caching on; unwind tables kept per module). Where a frame has no CFI
 * (JIT code, V8's builtins, CPython's perf trampolines) one step is taken
 * by another rule (the JIT's jitdump .eh_frame, the trampoline's fixed
 * shape, else its frame pointer), then CFI goes on. Every return address
 * must lie in executable memory: the first that does not ends the stack,
 * and the sample is partial. Returns frame counts or a negative errno
 * (errno set to match).
 */
#ifndef PROWL_UNWIND_H
#define PROWL_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profiler/capture/maps.h"

/* Registers by DWARF number (x86_64): 0 rax 1 rdx 2 rcx 3 rbx 4 rsi 5 rdi
 * 6 rbp 7 rsp 8..15 r8..r15 16 rip. */
enum {
	UNWIND_REG_RAX = 0, UNWIND_REG_RDX, UNWIND_REG_RCX, UNWIND_REG_RBX, UNWIND_REG_RSI,
	UNWIND_REG_RDI, UNWIND_REG_RBP, UNWIND_REG_RSP, UNWIND_REG_R8, UNWIND_REG_R9,
	UNWIND_REG_R10, UNWIND_REG_R11, UNWIND_REG_R12, UNWIND_REG_R13, UNWIND_REG_R14,
	UNWIND_REG_R15, UNWIND_REG_RIP, UNWIND_NREGS
};

struct unwind_regs {
	uint64_t r[UNWIND_NREGS];
};

/* The backend's view of the target's memory. read() returns 0, -EFAULT when
 * the address cannot be read, or -ERANGE when it lies on the stack past the
 * end of the copy (that makes the sample "truncated" rather than "partial"). */
struct unwind_mem {
	int (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
	void *ctx;
};

/* Flags of one unwind. */
enum {
	UNWIND_PARTIAL = 1,   /* stopped early (no CFI, bad memory, loop) */
	UNWIND_TRUNCATED = 2, /* needed stack beyond the copy (--stack-size) */
	UNWIND_DEPTH = 4,     /* hit max frames (counted as truncated) */
	UNWIND_REFUSED = 8,   /* a return address outside executable memory ended it (with PARTIAL) */
	/* Which other rules stepped frames without CFI in this unwind: */
	UNWIND_STEP_FP = 16,    /* a frame pointer (rbp chain into the stack, return address code) */
	UNWIND_STEP_TRAMP = 32, /* a CPython perf trampoline's fixed rule */
	UNWIND_STEP_JIT = 64,   /* the .eh_frame a jitdump gave for JIT code */
	/* The bits a backend passes on in its sample's flags as they are
	 * (sampler.h's SAMPLE_REFUSED and SAMPLE_STEP_* have these values). */
	UNWIND_NOTES = UNWIND_REFUSED | UNWIND_STEP_FP | UNWIND_STEP_TRAMP | UNWIND_STEP_JIT,
};

struct unwinder;

/* max_depth bounds every unwind. */
struct unwinder *unwinder_new(struct module_set *ms, unsigned max_depth);
void unwinder_free(struct unwinder *u);

/* DWARF unwind: fills ips[0..max) leaf first (ips[0] = the sampled pc, the rest
 * return addresses, absolute) and *flags; returns the number of frames (>= 1
 * when regs has a pc) or -errno. Every ips[i > 0] is meant to be looked up at
 * ips[i] - 1: frames whose pc is exact (a signal trampoline, the frame a
 * signal interrupted) are given as pc + 1. */
int unwind_dwarf(struct unwinder *u, struct maps *maps, const struct unwind_regs *regs,
		 const struct unwind_mem *mem, uint64_t *ips, size_t max, unsigned *flags);
/* Frame-pointer walk over mem (for backends without a kernel callchain);
 * return addresses checked against maps (NULL: not checked). */
int unwind_fp(const struct maps *maps, const struct unwind_regs *regs, const struct unwind_mem *mem,
	      uint64_t *ips, size_t max, unsigned *flags);
/* Whether addr (a pc, or a return address minus one) lies in executable
 * memory of the process: a mapping with PROT_EXEC (JIT code included). */
bool unwind_is_code(const struct maps *maps, uint64_t addr);
/* Checks a stack someone else unwound (the kernel's callchain): cuts it at
 * the first return address outside executable memory (UNWIND_PARTIAL |
 * UNWIND_REFUSED), and flags UNWIND_PARTIAL a stack whose outermost frame is
 * anonymous code (no process starts in JIT code). Returns the frames kept. */
size_t unwind_check(const struct maps *maps, const uint64_t *ips, size_t n, unsigned *flags);
/* Whether an outermost frame at vaddr (module m's ELF address; a return
 * address minus one) is where a stack starts: the entry function of an
 * executable or of the dynamic loader (_start, _dl_start_user). A stack
 * ending there is whole, not partial. */
bool unwind_is_root(struct module *m, uint64_t vaddr);
/* The fast path (on by default): frames whose CFI row has the plain shape
 * (CFA = rsp or rbp + k, registers saved at CFA + k) are stepped by rows
 * compiled once per address and kept per module, without libunwind; the
 * first other frame and the rest of the stack go through libunwind. Off,
 * every frame goes through libunwind (tests and benchmarks compare the
 * two). unwinder_fast_frames counts the frames the fast path found,
 * unwinder_slow_unwinds the unwinds libunwind took on from it. */
void unwinder_set_fast(struct unwinder *u, bool on);
uint64_t unwinder_fast_frames(const struct unwinder *u);
uint64_t unwinder_slow_unwinds(const struct unwinder *u);
/* Drops what is cached for this process (its maps changed wholesale, or it exited). */
void unwinder_forget(struct unwinder *u, struct maps *maps);
/* Drops everything cached: every process's libunwind state and every
 * module's CFI, compiled rows and ELF handles. The unwinder stays usable
 * and loads them again when asked; for a session that has stopped sampling
 * and now only symbolizes and writes. */
void unwinder_trim(struct unwinder *u);

#endif
