/* Unit tests for profiler/unwind.c: this process unwinds a copy of its own
 * stack through the remote accessors, as it would a sample's. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <elf.h>

#include "profiler/capture/maps.h"
#include "profiler/capture/unwind.h"

struct copy {
	uint64_t sp;
	unsigned char *data;
	uint64_t size;
	bool full;
};

static int copy_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct copy *c = ctx;
	if (addr >= c->sp && addr - c->sp <= c->size && len <= c->size - (addr - c->sp)) {
		memcpy(buf, c->data + (addr - c->sp), len);
		return 0;
	}
	return addr >= c->sp && c->full ? -ERANGE : -EFAULT;
}

static uint64_t stack_end(uint64_t sp)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	uint64_t end = sp;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && sp >= s && sp < e)
			end = e;
	}
	if (f)
		fclose(f);
	return end;
}

/* Our own stack holds ASan's redzones: copy it without instrumentation. */
__attribute__((no_sanitize_address, noinline)) static void raw_copy(unsigned char *dst, const unsigned char *src,
								    size_t n)
{
	for (size_t i = 0; i < n; i++)
		((volatile unsigned char *)dst)[i] = ((const volatile unsigned char *)src)[i];
}

#define DEPTH 6
static uint64_t ret_addr[DEPTH + 1];
static struct unwind_regs regs;
static struct copy copy;

/* Recurses, records where each level returns to, and at the bottom takes
 * the registers and a copy of the stack above them, like a perf sample. */
__attribute__((noinline)) static int capture(int depth, size_t max_copy)
{
	ret_addr[depth] = (uint64_t)(uintptr_t)__builtin_return_address(0);
	if (depth > 0) {
		int r = capture(depth - 1, max_copy);
		__asm__ volatile("" ::: "memory");
		return r + 1;
	}
	ucontext_t uc;
	getcontext(&uc);
	const greg_t *g = uc.uc_mcontext.gregs;
	memset(&regs, 0, sizeof(regs));
	regs.r[UNWIND_REG_RAX] = (uint64_t)g[REG_RAX];
	regs.r[UNWIND_REG_RDX] = (uint64_t)g[REG_RDX];
	regs.r[UNWIND_REG_RCX] = (uint64_t)g[REG_RCX];
	regs.r[UNWIND_REG_RBX] = (uint64_t)g[REG_RBX];
	regs.r[UNWIND_REG_RSI] = (uint64_t)g[REG_RSI];
	regs.r[UNWIND_REG_RDI] = (uint64_t)g[REG_RDI];
	regs.r[UNWIND_REG_RBP] = (uint64_t)g[REG_RBP];
	regs.r[UNWIND_REG_RSP] = (uint64_t)g[REG_RSP];
	regs.r[UNWIND_REG_R8] = (uint64_t)g[REG_R8];
	regs.r[UNWIND_REG_R9] = (uint64_t)g[REG_R9];
	regs.r[UNWIND_REG_R12] = (uint64_t)g[REG_R12];
	regs.r[UNWIND_REG_R13] = (uint64_t)g[REG_R13];
	regs.r[UNWIND_REG_R14] = (uint64_t)g[REG_R14];
	regs.r[UNWIND_REG_R15] = (uint64_t)g[REG_R15];
	regs.r[UNWIND_REG_RIP] = (uint64_t)g[REG_RIP];
	uint64_t sp = regs.r[UNWIND_REG_RSP];
	uint64_t avail = stack_end(sp) - sp;
	copy.sp = sp;
	copy.size = avail < max_copy ? avail : max_copy;
	copy.full = copy.size == max_copy;
	copy.data = malloc(copy.size);
	raw_copy(copy.data, (const unsigned char *)(uintptr_t)sp, copy.size);
	return 0;
}

static void test_unwinds_own_stack_to_the_end(void **state)
{
	(void)state;
	assert_int_equal(capture(DEPTH, 256 * 1024), DEPTH);
	struct module_set *ms = module_set_new();
	struct maps *m = maps_new(ms, getpid());
	assert_int_equal(maps_load(m), 0);
	struct unwinder *u = unwinder_new(ms, 256);
	struct unwind_mem mem = { copy_read, &copy };
	uint64_t ips[256];
	unsigned flags = 99;
	int n = unwind_dwarf(u, m, &regs, &mem, ips, 256, &flags);
	/* Complete: through every level, cmocka, main, libc, to _start. */
	assert_int_equal(flags, 0);
	assert_true(n >= DEPTH + 5);
	assert_int_equal(ips[0], regs.r[UNWIND_REG_RIP]);
	for (int d = 0; d <= DEPTH; d++)
		assert_int_equal(ips[1 + d], ret_addr[d]);
	/* A second unwind uses the caches and gives the same frames. */
	uint64_t again[256];
	unsigned f2;
	assert_int_equal(unwind_dwarf(u, m, &regs, &mem, again, 256, &f2), n);
	assert_memory_equal(ips, again, (size_t)n * sizeof(*ips));
	/* Max depth: the frames found are kept and it says so. */
	assert_int_equal(unwind_dwarf(u, m, &regs, &mem, again, 3, &f2), 3);
	assert_true(f2 & UNWIND_TRUNCATED);
	free(copy.data);
	unwinder_forget(u, m);
	unwinder_free(u);
	maps_free(m);
	module_set_free(ms);
}

/* Unwinds regs/copy twice, with the fast path and with libunwind alone:
 * the same frames and the same flags. Returns the frame count; *handed
 * (if not NULL) gets how many unwinds the fast path handed to libunwind. */
static int unwind_both_ways(uint64_t *ips, unsigned *flags, uint64_t *fast_frames, uint64_t *handed)
{
	struct module_set *ms = module_set_new();
	struct maps *m = maps_new(ms, getpid());
	assert_int_equal(maps_load(m), 0);
	struct unwind_mem mem = { copy_read, &copy };
	struct unwinder *fast = unwinder_new(ms, 256), *slow = unwinder_new(ms, 256);
	unwinder_set_fast(slow, false);
	uint64_t other[256];
	unsigned oflags = 99;
	int n = unwind_dwarf(fast, m, &regs, &mem, ips, 256, flags);
	assert_int_equal(unwind_dwarf(slow, m, &regs, &mem, other, 256, &oflags), n);
	assert_int_equal(*flags, oflags);
	assert_memory_equal(ips, other, (size_t)n * sizeof(*ips));
	assert_int_equal(unwinder_fast_frames(slow), 0);
	assert_int_equal(unwinder_slow_unwinds(slow), 1);
	*fast_frames = unwinder_fast_frames(fast);
	if (handed)
		*handed = unwinder_slow_unwinds(fast);
	unwinder_free(fast);
	unwinder_free(slow);
	maps_free(m);
	module_set_free(ms);
	return n;
}

static void test_fast_path_agrees_with_libunwind(void **state)
{
	(void)state;
	capture(DEPTH, 256 * 1024);
	uint64_t ips[256], fast;
	unsigned flags;
	int n = unwind_both_ways(ips, &flags, &fast, NULL);
	assert_int_equal(flags, 0);
	assert_true(n >= DEPTH + 5); /* through main and libc to _start */
	for (int d = 0; d <= DEPTH; d++)
		assert_int_equal(ips[1 + d], ret_addr[d]);
	/* The plain frames of this file were the fast path's. */
	assert_true(fast >= DEPTH + 1);
	free(copy.data);
}

static volatile int in_handler;
static void on_usr1(int sig)
{
	(void)sig;
	capture(2, 256 * 1024);
	in_handler = 1;
}

/* Through a signal frame: the fast path hands the sigreturn trampoline to
 * libunwind, and the frames past it are the same either way. */
static void test_fast_path_through_a_signal_frame(void **state)
{
	(void)state;
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	in_handler = 0;
	raise(SIGUSR1);
	sigaction(SIGUSR1, &old, NULL);
	assert_true(in_handler);
	uint64_t ips[256], fast;
	unsigned flags;
	int n = unwind_both_ways(ips, &flags, &fast, NULL);
	assert_int_equal(flags, 0);
	/* capture's three levels, the handler, then the trampoline (pc + 1). */
	for (int d = 0; d <= 2; d++)
		assert_int_equal(ips[1 + d], ret_addr[d]);
	assert_true(n > 6);
	assert_true(fast >= 3);
	free(copy.data);
}

static void test_short_copy_is_truncated(void **state)
{
	(void)state;
	/* Each level holds little stack; 192 bytes cannot cover six of them. */
	capture(DEPTH, 192);
	assert_true(copy.full);
	struct module_set *ms = module_set_new();
	struct maps *m = maps_new(ms, getpid());
	maps_load(m);
	struct unwinder *u = unwinder_new(ms, 256);
	struct unwind_mem mem = { copy_read, &copy };
	uint64_t ips[256];
	unsigned flags = 0;
	int n = unwind_dwarf(u, m, &regs, &mem, ips, 256, &flags);
	assert_true(n >= 1 && n < DEPTH + 5);
	assert_true(flags & UNWIND_TRUNCATED);
	for (int i = 1; i < n; i++)
		assert_int_equal(ips[i], ret_addr[i - 1]); /* what it kept is right */
	free(copy.data);
	unwinder_free(u);
	maps_free(m);
	module_set_free(ms);
}

static void test_garbage_registers(void **state)
{
	(void)state;
	struct module_set *ms = module_set_new();
	struct maps *m = maps_new(ms, getpid());
	maps_load(m);
	struct unwinder *u = unwinder_new(ms, 64);
	unsigned char junk[512];
	memset(junk, 0x41, sizeof(junk));
	struct copy c = { .sp = 0x1000, .data = junk, .size = sizeof(junk), .full = true };
	struct unwind_mem mem = { copy_read, &c };
	struct unwind_regs r;
	memset(&r, 0, sizeof(r));
	r.r[UNWIND_REG_RIP] = 0x1234; /* nothing mapped there */
	r.r[UNWIND_REG_RSP] = 0x1000;
	uint64_t ips[64];
	unsigned flags = 0;
	assert_int_equal(unwind_dwarf(u, m, &r, &mem, ips, 64, &flags), 1);
	assert_int_equal(ips[0], 0x1234);
	assert_true(flags & (UNWIND_PARTIAL | UNWIND_TRUNCATED));
	/* In code, but with a stack of junk: it stops, it does not loop or crash. */
	r.r[UNWIND_REG_RIP] = (uint64_t)(uintptr_t)&test_garbage_registers + 4;
	int n = unwind_dwarf(u, m, &r, &mem, ips, 64, &flags);
	assert_true(n >= 1 && n < 64);
	unwinder_free(u);
	maps_free(m);
	module_set_free(ms);
}

static void test_frame_pointer_walk(void **state)
{
	(void)state;
	/* A fake stack of frame records: [bp] = next bp, [bp+8] = return address. */
	uint64_t stack[16] = { 0 };
	uint64_t base = 0x7000;
	stack[2] = base + 6 * 8; stack[3] = 0x401111;  /* frame at base+16 */
	stack[6] = base + 10 * 8; stack[7] = 0x402222; /* frame at base+48 */
	stack[10] = 0; stack[11] = 0x403333;           /* outermost */
	struct copy c = { .sp = base, .data = (unsigned char *)stack, .size = sizeof(stack), .full = false };
	struct unwind_mem mem = { copy_read, &c };
	struct unwind_regs r;
	memset(&r, 0, sizeof(r));
	r.r[UNWIND_REG_RIP] = 0x400000;
	r.r[UNWIND_REG_RSP] = base;
	r.r[UNWIND_REG_RBP] = base + 16;
	uint64_t ips[8];
	unsigned flags = 9;
	assert_int_equal(unwind_fp(NULL, &r, &mem, ips, 8, &flags), 4);
	assert_int_equal(flags, 0);
	assert_int_equal(ips[1], 0x401111);
	assert_int_equal(ips[2], 0x402222);
	assert_int_equal(ips[3], 0x403333);
	/* A loop in the chain is cut. */
	stack[6] = base + 16;
	assert_int_equal(unwind_fp(NULL, &r, &mem, ips, 8, &flags), 3);
	assert_true(flags & UNWIND_PARTIAL);
}

/* The e_entry of an ELF file (64-bit, as this machine's). */
static uint64_t elf_entry(const char *path)
{
	Elf64_Ehdr eh;
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(&eh, sizeof(eh), 1, f), 1);
	fclose(f);
	return eh.e_entry;
}

/* The path of the first mapping of ours whose name holds what. */
static bool mapped_path(const char *what, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[1024];
	bool found = false;
	while (f && !found && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/');
		if (p && strstr(p, what)) {
			p[strcspn(p, "\n")] = 0;
			snprintf(out, len, "%s", p);
			found = true;
		}
	}
	if (f)
		fclose(f);
	return found;
}

/* Where ld.so's own stack begins (its mapping at file offset 0). */
static uint64_t mapped_base(const char *what)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[1024];
	uint64_t base = 0;
	while (f && !base && fgets(line, sizeof(line), f)) {
		unsigned long s, e, off;
		char *p = strchr(line, '/');
		if (p && strstr(p, what) && sscanf(line, "%lx-%lx %*s %lx", &s, &e, &off) == 3 && off == 0)
			base = s;
	}
	if (f)
		fclose(f);
	return base;
}

/* A sample of a process that is starting: in ld.so's _dl_start_user, after
 * _start's call to _dl_start, where ld.so has no CFI. The fast path ends
 * it there, whole, as libunwind alone does (slower): nothing is handed on. */
static void test_fast_path_ends_at_the_loader_start(void **state)
{
	(void)state;
	char path[1024];
	assert_true(mapped_path("/ld-linux", path, sizeof(path)));
	uint64_t base = mapped_base("/ld-linux");
	assert_true(base != 0);
	capture(0, 4096); /* any stack: nothing above the root is read */
	memset(&regs, 0, sizeof(regs));
	regs.r[UNWIND_REG_RSP] = copy.sp;
	regs.r[UNWIND_REG_RIP] = base + elf_entry(path) + 8;
	uint64_t ips[256], fast, handed;
	unsigned flags = 99;
	assert_int_equal(unwind_both_ways(ips, &flags, &fast, &handed), 1);
	assert_int_equal(flags, 0); /* whole, not partial */
	assert_int_equal(handed, 0);
	free(copy.data);
}

/* Where a stack may end and still be whole: the function at the entry point
 * of an executable and of the dynamic loader (_start; ld.so's _start, then
 * _dl_start_user after its call to _dl_start), nowhere else. */
static void test_root_rule(void **state)
{
	(void)state;
	struct module_set *ms = module_set_new();
	char path[1024];

	/* ld.so: _start at e_entry calls _dl_start (5 bytes at +3); the return
	 * address, minus one, is in the window, and so is _dl_start_user after it. */
	assert_true(mapped_path("/ld-linux", path, sizeof(path)));
	uint64_t e = elf_entry(path);
	struct module *ld = module_set_get(ms, path, 0, 0, MODULE_FILE, NULL);
	assert_true(unwind_is_root(ld, e));
	assert_true(unwind_is_root(ld, e + 7));
	assert_true(unwind_is_root(ld, e + 8));
	assert_false(unwind_is_root(ld, e - 1));
	assert_false(unwind_is_root(ld, e + 4096));

	/* This test's own executable: its _start, not its main. */
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	assert_true(n > 0);
	path[n] = 0;
	e = elf_entry(path);
	struct module *exe = module_set_get(ms, path, 0, 0, MODULE_FILE, NULL);
	assert_true(unwind_is_root(exe, e));
	assert_false(unwind_is_root(exe, e - 1));
	assert_false(unwind_is_root(exe, e + 4096));

	/* A library that is not the loader or runnable: its entry is no start. */
	if (mapped_path("libcmocka", path, sizeof(path))) {
		struct module *lib = module_set_get(ms, path, 0, 0, MODULE_FILE, NULL);
		e = elf_entry(path);
		assert_false(unwind_is_root(lib, e));
		assert_false(unwind_is_root(lib, e + 8));
	}
	/* No module, or the kernel: never. */
	assert_false(unwind_is_root(NULL, 0));
	assert_false(unwind_is_root(module_set_kernel(ms), 0xffffffff81000000ull));
	module_set_free(ms);
}

/* A fake process: anonymous executable memory at 0x400000 (JIT code), a
 * data mapping at 0x600000 and a stack at 0x7000. Its memory reader serves
 * the stack and the code (as ptrace's does). */
#define JIT_LO 0x400000u
#define DATA_LO 0x600000u
#define STK_LO 0x7000u
static const char fake_maps[] =
	"00007000-00008000 rw-p 00000000 00:00 0 [stack]\n"
	"00400000-00401000 r-xp 00000000 00:00 0 \n"
	"00600000-00601000 rw-p 00000000 00:00 0 \n";

struct fake_mem {
	uint64_t stack[512]; /* at STK_LO */
	unsigned char code[4096]; /* at JIT_LO */
};

static int fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fake_mem *f = ctx;
	if (addr >= STK_LO && addr - STK_LO <= sizeof(f->stack) && len <= sizeof(f->stack) - (addr - STK_LO)) {
		memcpy(buf, (unsigned char *)f->stack + (addr - STK_LO), len);
		return 0;
	}
	if (addr >= JIT_LO && addr - JIT_LO <= sizeof(f->code) && len <= sizeof(f->code) - (addr - JIT_LO)) {
		memcpy(buf, f->code + (addr - JIT_LO), len);
		return 0;
	}
	return -EFAULT;
}

/* A frame record at stack slot i: saved rbp (the record at slot next, or 0)
 * and return address. */
static void frame_at(struct fake_mem *f, size_t i, size_t next, uint64_t ret)
{
	f->stack[i] = next ? STK_LO + next * 8 : 0;
	f->stack[i + 1] = ret;
}

static void test_return_addresses_must_be_code(void **state)
{
	(void)state;
	struct module_set *ms = module_set_new();
	struct maps *m = maps_new(ms, 0);
	assert_int_equal(maps_parse(m, fake_maps), 0);
	assert_true(unwind_is_code(m, JIT_LO + 0x10));
	assert_false(unwind_is_code(m, DATA_LO + 0x10));
	assert_false(unwind_is_code(m, STK_LO + 0x10));
	assert_false(unwind_is_code(m, 0x900000));

	/* A chain whose second "return address" points into data (what a
	 * garbage rbp gives): the walk keeps the code ones and ends partial. */
	static struct fake_mem f;
	memset(&f, 0, sizeof(f));
	frame_at(&f, 4, 10, JIT_LO + 0x100);
	frame_at(&f, 10, 16, DATA_LO + 0x80);
	frame_at(&f, 16, 0, JIT_LO + 0x300);
	struct unwind_mem mem = { fake_read, &f };
	struct unwind_regs r;
	memset(&r, 0, sizeof(r));
	r.r[UNWIND_REG_RIP] = JIT_LO + 0x10;
	r.r[UNWIND_REG_RSP] = STK_LO;
	r.r[UNWIND_REG_RBP] = STK_LO + 4 * 8;
	uint64_t ips[8];
	unsigned flags = 0;
	assert_int_equal(unwind_fp(m, &r, &mem, ips, 8, &flags), 2);
	assert_int_equal(ips[1], JIT_LO + 0x100);
	assert_int_equal(flags, UNWIND_PARTIAL | UNWIND_REFUSED);
	/* Unchecked (no maps) it is taken as a frame. */
	assert_int_equal(unwind_fp(NULL, &r, &mem, ips, 8, &flags), 4);
	/* A chain that ends (saved rbp 0) in JIT code is not a whole stack:
	 * no process starts there. */
	frame_at(&f, 4, 0, JIT_LO + 0x100);
	flags = 0;
	assert_int_equal(unwind_fp(m, &r, &mem, ips, 8, &flags), 2);
	assert_int_equal(flags, UNWIND_PARTIAL);
	frame_at(&f, 4, 10, JIT_LO + 0x100);

	/* The DWARF unwinder steps the JIT frame (no CFI) by its frame
	 * pointer, and refuses the data address alike. */
	struct unwinder *u = unwinder_new(ms, 64);
	flags = 0;
	int n = unwind_dwarf(u, m, &r, &mem, ips, 8, &flags);
	assert_int_equal(n, 2);
	assert_int_equal(ips[1], JIT_LO + 0x100);
	assert_true(flags & UNWIND_PARTIAL);
	assert_true(flags & UNWIND_REFUSED);
	assert_true(flags & UNWIND_STEP_FP);
	assert_false(flags & UNWIND_STEP_TRAMP);

	/* Someone else's stack (the kernel's callchain) is cut alike. */
	uint64_t chain[4] = { JIT_LO + 0x10, JIT_LO + 0x100, DATA_LO + 0x80, JIT_LO + 0x300 };
	flags = 0;
	assert_int_equal(unwind_check(m, chain, 4, &flags), 2);
	assert_int_equal(flags, UNWIND_PARTIAL | UNWIND_REFUSED);
	/* All code but ending in anonymous code: not a whole stack. */
	flags = 0;
	assert_int_equal(unwind_check(m, chain, 2, &flags), 2);
	assert_int_equal(flags, UNWIND_PARTIAL);
	unwinder_free(u);
	maps_free(m);
	module_set_free(ms);
}

/* CPython's perf trampoline: sub $8,%rsp; call *%rcx; add $8,%rsp; ret. */
static const unsigned char tramp[11] = { 0x48, 0x83, 0xec, 0x08, 0xff, 0xd1, 0x48, 0x83, 0xc4, 0x08, 0xc3 };

static void test_trampoline_then_frame_pointer(void **state)
{
	(void)state;
	struct module_set *ms = module_set_new();
	struct maps *m = maps_new(ms, 0);
	assert_int_equal(maps_parse(m, fake_maps), 0);
	static struct fake_mem f;
	memset(&f, 0, sizeof(f));
	memcpy(f.code + 0x200, tramp, sizeof(tramp));
	/*
	 * leaf (JIT, rbp frame at slot 4) returns into the trampoline at
	 * 0x200 + 6; the trampoline's frame is slots 6..7 (sub 8, then the
	 * return address into JIT code at 0x380 at slot 7). That code's own
	 * frame record is at slot 12: rbp must survive the trampoline.
	 */
	frame_at(&f, 4, 12, JIT_LO + 0x206);
	f.stack[7] = JIT_LO + 0x380;
	frame_at(&f, 12, 20, JIT_LO + 0x500);
	frame_at(&f, 20, 0, DATA_LO + 8);
	struct unwind_mem mem = { fake_read, &f };
	struct unwind_regs r;
	memset(&r, 0, sizeof(r));
	r.r[UNWIND_REG_RIP] = JIT_LO + 0x10;
	r.r[UNWIND_REG_RSP] = STK_LO;
	r.r[UNWIND_REG_RBP] = STK_LO + 4 * 8;
	struct unwinder *u = unwinder_new(ms, 64);
	uint64_t ips[8];
	unsigned flags = 0;
	int n = unwind_dwarf(u, m, &r, &mem, ips, 8, &flags);
	assert_int_equal(n, 4);
	assert_int_equal(ips[1], JIT_LO + 0x206);
	assert_int_equal(ips[2], JIT_LO + 0x380);
	assert_int_equal(ips[3], JIT_LO + 0x500);
	assert_true(flags & UNWIND_STEP_TRAMP);
	assert_true(flags & UNWIND_STEP_FP);
	assert_true(flags & UNWIND_REFUSED);

	/* Without the trampoline's bytes the same stack is read by frame
	 * pointers: rbp there is its caller's, so the trampoline's caller
	 * (0x380) is skipped and no rule says trampoline. */
	memset(f.code + 0x200, 0x90, sizeof(tramp));
	unwinder_forget(u, m);
	flags = 0;
	n = unwind_dwarf(u, m, &r, &mem, ips, 8, &flags);
	assert_int_equal(n, 3);
	assert_int_equal(ips[2], JIT_LO + 0x500);
	assert_false(flags & UNWIND_STEP_TRAMP);
	unwinder_free(u);
	maps_free(m);
	module_set_free(ms);
}

/* CPython 3.13's -X perf_jit unwinding record for its 11-byte trampoline
 * (as test_jitdump.c has it, written on this machine): .eh_frame (CIE, an
 * FDE over 11 bytes with CFA rsp+16 from +4 to +10), then a 20-byte
 * .eh_frame_hdr. */
static const unsigned char cpython_unwind[68] = {
	0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x7a, 0x52, 0x00, 0x01, 0x78, 0x10, 0x01,
	0x1b, 0x0c, 0x07, 0x08, 0x90, 0x01, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00,
	0xd0, 0xff, 0xff, 0xff, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x44, 0x0e, 0x10, 0x46, 0x0e, 0x08, 0x00,
	0x01, 0x1b, 0x03, 0x3b, 0xcc, 0xff, 0xff, 0xff, 0x01, 0x00, 0x00, 0x00, 0xc0, 0xff, 0xff, 0xff,
	0xe8, 0xff, 0xff, 0xff,
};

static void put32(FILE *f, uint32_t v) { fwrite(&v, 4, 1, f); }
static void put64(FILE *f, uint64_t v) { fwrite(&v, 8, 1, f); }

#define JD_CODE 0x500000u

/* A jitdump of this process: the trampoline's unwinding record, then its
 * load at JD_CODE (11 bytes of nops: only the .eh_frame can step it). */
static void write_jitdump(FILE *f)
{
	put32(f, 0x4A695444); put32(f, 1); put32(f, 40); put32(f, 62); put32(f, 0);
	put32(f, (uint32_t)getpid()); put64(f, 1000); put64(f, 0);
	put32(f, 4); put32(f, 16 + 24 + sizeof(cpython_unwind)); put64(f, 3);
	put64(f, sizeof(cpython_unwind)); put64(f, 20); put64(f, 80);
	fwrite(cpython_unwind, sizeof(cpython_unwind), 1, f);
	static const char name[] = "py::t";
	put32(f, 0); put32(f, 16 + 40 + sizeof(name) + 11); put64(f, 10);
	put32(f, 42); put32(f, 43); put64(f, JD_CODE); put64(f, JD_CODE); put64(f, 11); put64(f, 1);
	fwrite(name, sizeof(name), 1, f);
	fwrite("\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90", 11, 1, f);
}

static void test_jit_code_stepped_by_its_jitdump(void **state)
{
	(void)state;
	/* The runtime's part, played by this process: the dump, mapped
	 * executable as the marker a profiler looks for. */
	char dir[] = "/tmp/prowl-unwind-XXXXXX", path[128];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/jit-%d.dump", dir, (int)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	write_jitdump(f);
	assert_int_equal(fclose(f), 0);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	void *marker = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	assert_true(marker != MAP_FAILED);
	close(fd);

	/* The profiler's view: JIT code at JD_CODE and at JIT_LO, the marker. */
	struct module_set *ms = module_set_new();
	struct maps *m = maps_new(ms, getpid());
	char text[1024];
	snprintf(text, sizeof(text), "%s00500000-00501000 r-xp 00000000 00:00 0 \n%lx-%lx r-xp 00000000 00:00 0 %s\n",
		 fake_maps, (unsigned long)(uintptr_t)marker, (unsigned long)(uintptr_t)marker + 4096, path);
	assert_int_equal(maps_parse(m, text), 0);
	assert_true(m->jitdump_marker);

	/* Sampled in the trampoline after its sub (CFA rsp+16): the return
	 * address at rsp+8 goes to JIT code at JIT_LO with a frame record;
	 * rbp is that code's frame, whose return address is into data. A
	 * frame-pointer step at JD_CODE would skip JIT_LO + 0x100. */
	static struct fake_mem fm;
	memset(&fm, 0, sizeof(fm));
	fm.stack[1] = JIT_LO + 0x100;
	frame_at(&fm, 6, 0, DATA_LO + 8);
	struct unwind_mem mem = { fake_read, &fm };
	struct unwind_regs r;
	memset(&r, 0, sizeof(r));
	r.r[UNWIND_REG_RIP] = JD_CODE + 5;
	r.r[UNWIND_REG_RSP] = STK_LO;
	r.r[UNWIND_REG_RBP] = STK_LO + 6 * 8;
	struct unwinder *u = unwinder_new(ms, 64);
	uint64_t ips[8];
	unsigned flags = 0;
	int n = unwind_dwarf(u, m, &r, &mem, ips, 8, &flags);
	assert_int_equal(n, 2);
	assert_int_equal(ips[1], JIT_LO + 0x100);
	assert_true(flags & UNWIND_STEP_JIT);
	assert_false(flags & UNWIND_STEP_TRAMP);
	assert_true(flags & UNWIND_REFUSED); /* the data address after it */

	unwinder_free(u);
	maps_free(m);
	module_set_free(ms);
	munmap(marker, 4096);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unwinds_own_stack_to_the_end),
		cmocka_unit_test(test_fast_path_agrees_with_libunwind),
		cmocka_unit_test(test_fast_path_through_a_signal_frame),
		cmocka_unit_test(test_short_copy_is_truncated),
		cmocka_unit_test(test_garbage_registers),
		cmocka_unit_test(test_frame_pointer_walk),
		cmocka_unit_test(test_root_rule),
		cmocka_unit_test(test_fast_path_ends_at_the_loader_start),
		cmocka_unit_test(test_return_addresses_must_be_code),
		cmocka_unit_test(test_trampoline_then_frame_pointer),
		cmocka_unit_test(test_jit_code_stepped_by_its_jitdump),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
