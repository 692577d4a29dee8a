/* Unit tests for symbolize/: the test binary symbolizes itself (a real
 * inlined call, found through a return address), the C library through its
 * build-id debug file, the vDSO from memory, a JIT map, kernel symbols, and
 * damaged copies of itself; files opened for a target stay inside its root,
 * FIFOs never block, and a debug file with another build-id is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <errno.h>
#include <gelf.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbolize/debugfile.h"
#include "symbolize/elf.h"
#include "symbolize/fde.h"
#include "symbolize/symbolizer.h"
#include "symbolize/tfile.h"

static volatile uintptr_t captured;
static volatile int leaf_line, outer_line, sink;

__attribute__((noinline)) static void capture(void)
{
	captured = (uintptr_t)__builtin_return_address(0);
	__asm__ volatile("" ::: "memory");
}

static inline __attribute__((always_inline)) void leaf_inline(int x)
{
	sink += x;
	capture(); leaf_line = __LINE__;
	sink += x * 3;
}

__attribute__((noinline)) static void outer_fn(int x)
{
	sink += 1;
	leaf_inline(x); outer_line = __LINE__;
	sink += 2;
}

static int find_main(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	*(uintptr_t *)data = info->dlpi_addr;
	return 1; /* the first object is the program itself */
}

/* Module-relative address (what nm shows) of a code address in this binary. */
static uint64_t self_vaddr(uintptr_t addr)
{
	uintptr_t bias = 0;
	dl_iterate_phdr(find_main, &bias);
	return addr - bias;
}

static struct sym_module *self_module(struct symbolizer *s)
{
	struct sym_source src = { .kind = SYM_ELF, .path = "/proc/self/exe" };
	struct sym_module *m = symbolizer_module(s, &src);
	assert_non_null(m);
	return m;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

static void test_names_own_function(void **state)
{
	(void)state;
	struct symbolizer *s = symbolizer_new(NULL);
	struct sym_module *m = self_module(s);
	struct sym_frame f[8];
	int n = sym_lookup(m, self_vaddr((uintptr_t)&outer_fn) + 1, f, 8);
	assert_int_equal(n, 1);
	assert_string_equal(f[0].function, "outer_fn");
	assert_non_null(f[0].file);
	assert_true(ends_with(f[0].file, "tests/test_symbolize.c"));
	assert_true(f[0].line > 0);
	assert_false(f[0].inlined);
	assert_int_equal(sym_module_caps(m) & 15, 15);
	assert_non_null(sym_module_build_id(m));
	symbolizer_free(s);
}

static void test_inline_chain(void **state)
{
	(void)state;
	outer_fn(5);
	assert_true(captured != 0);
	struct symbolizer *s = symbolizer_new(NULL);
	struct sym_module *m = self_module(s);
	struct sym_frame f[8];
	/* a return address is looked up at pc - 1, inside the call */
	int n = sym_lookup(m, self_vaddr(captured) - 1, f, 8);
	assert_int_equal(n, 2);
	assert_string_equal(f[0].function, "leaf_inline");
	assert_true(f[0].inlined);
	assert_true(ends_with(f[0].file, "tests/test_symbolize.c"));
	assert_int_equal(f[0].line, leaf_line);
	assert_string_equal(f[1].function, "outer_fn");
	assert_false(f[1].inlined);
	assert_true(ends_with(f[1].file, "tests/test_symbolize.c"));
	assert_int_equal(f[1].line, outer_line);
	/* a smaller array keeps the innermost frames */
	assert_int_equal(sym_lookup(m, self_vaddr(captured) - 1, f, 1), 1);
	assert_string_equal(f[0].function, "leaf_inline");
	symbolizer_free(s);
}

static void test_module_cache_and_unknowns(void **state)
{
	(void)state;
	struct symbolizer *s = symbolizer_new(NULL);
	struct sym_module *a = self_module(s);
	assert_ptr_equal(a, self_module(s));
	struct sym_frame f[4], g[4];
	uint64_t pc = self_vaddr((uintptr_t)&outer_fn) + 2;
	assert_int_equal(sym_lookup(a, pc, f, 4), 1);
	assert_int_equal(sym_lookup(a, pc, g, 4), 1);
	assert_ptr_equal(f[0].function, g[0].function); /* strings stay valid, cached */
	assert_int_equal(sym_lookup(a, 0, f, 4), 0);
	assert_int_equal(sym_lookup(a, UINT64_MAX - 16, f, 4), 0);
	/* an unreadable file is a module that knows nothing */
	struct sym_source none = { .kind = SYM_ELF, .path = "/nonexistent/prowl-test" };
	struct sym_module *z = symbolizer_module(s, &none);
	assert_non_null(z);
	assert_int_equal(sym_lookup(z, 0x1000, f, 4), 0);
	assert_int_equal(sym_module_caps(z), 0);
	struct sym_source bad = { .kind = SYM_ELF };
	assert_null(symbolizer_module(s, &bad));
	symbolizer_free(s);
}

static void test_proc_root_path(void **state)
{
	(void)state;
	char exe[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = 0;
	snprintf(path, sizeof(path), "/proc/%d/root%s", (int)getpid(), exe);
	struct symbolizer *s = symbolizer_new(NULL);
	struct sym_source src = { .kind = SYM_ELF, .path = path, .name = exe };
	struct sym_module *m = symbolizer_module(s, &src);
	struct sym_frame f[4];
	assert_int_equal(sym_lookup(m, self_vaddr((uintptr_t)&outer_fn) + 1, f, 4), 1);
	assert_string_equal(f[0].function, "outer_fn");
	symbolizer_free(s);
}

/* A module first seen through a path that is gone (the process exited) is
 * read again when the same build-id comes with a readable path. */
static void test_same_build_id_second_chance(void **state)
{
	(void)state;
	struct symbolizer *s = symbolizer_new(NULL);
	const char *hex = sym_module_build_id(self_module(s));
	assert_non_null(hex);
	unsigned char id[64];
	size_t n = strlen(hex) / 2;
	assert_true(n > 0 && n <= sizeof(id));
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		id[i] = (unsigned char)v;
	}
	struct symbolizer *t = symbolizer_new(NULL);
	struct sym_source gone = { .kind = SYM_ELF, .path = "/nonexistent/exe", .build_id = id,
				   .build_id_len = n };
	struct sym_module *a = symbolizer_module(t, &gone);
	struct sym_source here = { .kind = SYM_ELF, .path = "/proc/self/exe", .build_id = id,
				   .build_id_len = n };
	struct sym_module *b = symbolizer_module(t, &here);
	assert_ptr_equal(a, b);
	struct sym_frame f[4];
	assert_int_equal(sym_lookup(b, self_vaddr((uintptr_t)&outer_fn) + 1, f, 4), 1);
	assert_string_equal(f[0].function, "outer_fn");
	symbolizer_free(t);
	symbolizer_free(s);
}

static int find_libc(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	if (strstr(info->dlpi_name, "/libc.so.6")) {
		*(uintptr_t *)data = info->dlpi_addr;
		return 1;
	}
	return 0;
}

static void test_libc_through_build_id(void **state)
{
	(void)state;
	Dl_info di;
	/* from libc itself: under ASan RTLD_DEFAULT finds the interceptor */
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	assert_non_null(libc);
	void *fn = dlsym(libc, "fopen");
	dlclose(libc);
	assert_non_null(fn);
	assert_true(dladdr(fn, &di) != 0);
	uintptr_t bias = 0;
	dl_iterate_phdr(find_libc, &bias);
	assert_true(bias != 0);
	struct symbolizer *s = symbolizer_new(NULL);
	struct sym_source src = { .kind = SYM_ELF, .path = di.dli_fname };
	struct sym_module *m = symbolizer_module(s, &src);
	const char *id = sym_module_build_id(m);
	assert_non_null(id);
	char dbg[256];
	snprintf(dbg, sizeof(dbg), "/usr/lib/debug/.build-id/%.2s/%s.debug", id, id + 2);
	if (access(dbg, R_OK) != 0) {
		symbolizer_free(s);
		skip(); /* libc6-dbg not installed */
	}
	assert_non_null(sym_module_debug_file(m));
	assert_string_equal(sym_module_debug_file(m), dbg);
	struct sym_frame f[8];
	int n = sym_lookup(m, (uintptr_t)fn - bias + 4, f, 8);
	assert_true(n >= 1);
	assert_non_null(strstr(f[n - 1].function, "fopen"));
	assert_non_null(f[0].file);
	assert_non_null(strstr(f[0].file, "iofopen.c"));
	assert_true(f[0].line > 0);
	symbolizer_free(s);
}

static void test_vdso_from_memory(void **state)
{
	(void)state;
	const unsigned char *img = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
	if (!img)
		skip();
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	size_t len = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
	/* the expected address: __vdso_clock_gettime in its .dynsym */
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(img + eh->e_shoff);
	uint64_t want = 0;
	for (int i = 0; i < eh->e_shnum && !want; i++) {
		if (sh[i].sh_type != SHT_DYNSYM)
			continue;
		const Elf64_Sym *sym = (const Elf64_Sym *)(img + sh[i].sh_offset);
		const char *str = (const char *)img + sh[sh[i].sh_link].sh_offset;
		for (size_t k = 0; k < sh[i].sh_size / sizeof(*sym); k++)
			if (!strcmp(str + sym[k].st_name, "__vdso_clock_gettime"))
				want = sym[k].st_value;
	}
	assert_true(want != 0);
	struct symbolizer *s = symbolizer_new(NULL);
	struct sym_source src = { .kind = SYM_ELF, .name = "[vdso]", .image = img, .image_len = len };
	struct sym_module *m = symbolizer_module(s, &src);
	struct sym_frame f[4];
	assert_int_equal(sym_lookup(m, want + 3, f, 4), 1);
	assert_non_null(strstr(f[0].function, "clock_gettime"));
	symbolizer_free(s);
}

static void test_jit_map(void **state)
{
	(void)state;
	char path[64];
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "7f0000001000 100 jitted_loop\n"
		    "7f0000002000 80 LazyCompile:~handler app.js:12\n"
		    "garbage line\n");
	fclose(fp);
	struct symbolizer *s = symbolizer_new(NULL);
	struct sym_source src = { .kind = SYM_JIT, .pid = getpid() };
	struct sym_module *m = symbolizer_module(s, &src);
	struct sym_frame f[4];
	assert_int_equal(sym_lookup(m, 0x7f0000001010, f, 4), 1);
	assert_string_equal(f[0].function, "jitted_loop");
	assert_int_equal(sym_lookup(m, 0x7f000000207f, f, 4), 1);
	assert_string_equal(f[0].function, "LazyCompile:~handler app.js:12");
	assert_int_equal(sym_lookup(m, 0x7f0000001100, f, 4), 0); /* past its size */
	symbolizer_free(s);
	/* a map written by another user is not trusted */
	if (geteuid() == 0 && chown(path, 65534, 65534) == 0) {
		s = symbolizer_new(NULL);
		m = symbolizer_module(s, &src);
		assert_int_equal(sym_lookup(m, 0x7f0000001010, f, 4), 0);
		symbolizer_free(s);
	}
	unlink(path);
}

static void test_kernel_symbols(void **state)
{
	(void)state;
	FILE *fp = fopen("/proc/kallsyms", "r");
	if (!fp)
		skip();
	/* a text symbol alone at its address, so the expected name is unique */
	char line[512], name[256] = "", cand[256] = "";
	unsigned long long addr = 0, next = 0, prev = 0, ca = 0;
	while (fgets(line, sizeof(line), fp)) {
		unsigned long long a;
		char t, nm[256];
		if (sscanf(line, "%llx %c %255s", &a, &t, nm) != 3 || strchr(line, '['))
			continue;
		if (ca && a > ca) {
			addr = ca;
			next = a;
			snprintf(name, sizeof(name), "%s", cand);
			break;
		}
		ca = 0;
		if (a && a > prev && t == 'T') {
			ca = a;
			snprintf(cand, sizeof(cand), "%s", nm);
		}
		prev = a;
	}
	fclose(fp);
	if (!addr)
		skip(); /* addresses hidden by kptr_restrict */
	struct symbolizer *s = symbolizer_new(NULL);
	struct sym_source src = { .kind = SYM_KERNEL };
	struct sym_module *m = symbolizer_module(s, &src);
	struct sym_frame f[4];
	assert_int_equal(sym_lookup(m, addr + (next > addr + 1 ? 1 : 0), f, 4), 1);
	assert_string_equal(f[0].function, name);
	symbolizer_free(s);
}

/* A file in /proc/kallsyms' format (what a kernel source with an absolute
 * path reads): text symbols only, each to the next one's address, modules'
 * out of order sorted, lines of other shapes and hidden (zero) addresses
 * skipped, a name longer than the read buffer survived, the last line
 * without its newline kept. */
static void test_kallsyms_format(void **state)
{
	(void)state;
	char path[] = "/tmp/prowl-kallsyms-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("ffffffff81000000 T _stext\n"
	      "ffffffff81000010 t early_fn\n"
	      "ffffffff81000100 T main_fn\n"
	      "not a symbol line\n"
	      "ffffffff81000180 x\n"
	      "ffffffff81000200 D data_sym\n"
	      "0000000000000000 T hidden_fn\n"
	      "ffffffff81000300 W weak_fn\n"
	      "ffffffffc0002000 t mod_b_fn\t[mod_b]\n"
	      "ffffffffc0001000 t mod_a_fn\t[mod_a]\n", f);
	fputs("ffffffff81000400 T ", f);
	for (int i = 0; i < 70000; i++)
		fputc('L', f);
	fputs("\nffffffffc0001100 T mod_a_end\t[mod_a]", f);
	assert_int_equal(fclose(f), 0);

	struct symbolizer *s = symbolizer_new(NULL);
	struct sym_source src = { .kind = SYM_KERNEL, .path = path };
	struct sym_module *m = symbolizer_module(s, &src);
	struct sym_frame fr[4];
	static const struct {
		uint64_t addr;
		const char *name;
	} want[] = {
		{ 0xffffffff81000011, "early_fn" }, { 0xffffffff81000150, "main_fn" },
		/* data_sym is not text: main_fn runs on to weak_fn */
		{ 0xffffffff81000250, "main_fn" },   { 0xffffffff81000301, "weak_fn" },
		{ 0xffffffffc0001050, "mod_a_fn" },  { 0xffffffffc0001101, "mod_a_end" },
		{ 0xffffffffc0002001, "mod_b_fn" },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(sym_lookup(m, want[i].addr, fr, 4), 1);
		assert_string_equal(fr[0].function, want[i].name);
	}
	/* The long name is kept whole, and ends at the next symbol. */
	assert_int_equal(sym_lookup(m, 0xffffffff81000401, fr, 4), 1);
	assert_int_equal(strlen(fr[0].function), 70000);
	symbolizer_free(s);
	unlink(path);
}

/* Damaged copies of this binary: truncated, and with bytes flipped across
 * the file. Lookups may find less, never crash. */
static void test_damaged_copies(void **state)
{
	(void)state;
	int in = open("/proc/self/exe", O_RDONLY);
	assert_true(in >= 0);
	struct stat st;
	assert_int_equal(fstat(in, &st), 0);
	size_t len = (size_t)st.st_size;
	unsigned char *data = malloc(len);
	assert_non_null(data);
	assert_int_equal(pread(in, data, len, 0), (ssize_t)len);
	close(in);
	char path[] = "/tmp/prowl-symtest-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	uint64_t pcs[] = { self_vaddr((uintptr_t)&outer_fn) + 1, self_vaddr(captured) - 1,
			   self_vaddr((uintptr_t)&test_damaged_copies), 0, 0x40, UINT64_MAX };
	unsigned seed = 12345;
	for (int round = 0; round < 24; round++) {
		size_t n = len;
		unsigned char *copy = malloc(len);
		memcpy(copy, data, len);
		if (round < 8) {
			n = len / 8 * (size_t)round + 17 * (size_t)round;
		} else {
			for (int k = 0; k < 64 * (round - 7); k++) {
				seed = seed * 1103515245u + 12345u;
				copy[(seed >> 4) % len] = (unsigned char)(seed >> 16);
			}
		}
		FILE *fp = fopen(path, "w");
		assert_non_null(fp);
		assert_int_equal(fwrite(copy, 1, n, fp), n);
		fclose(fp);
		free(copy);
		struct symbolizer *s = symbolizer_new(&(struct symbolizer_opts){ .no_debuginfod = true });
		struct sym_source src = { .kind = SYM_ELF, .path = path };
		struct sym_module *m = symbolizer_module(s, &src);
		assert_non_null(m);
		for (size_t i = 0; i < sizeof(pcs) / sizeof(pcs[0]); i++) {
			struct sym_frame f[16];
			int k = sym_lookup(m, pcs[i], f, 16);
			assert_true(k >= 0 && k <= 16);
			for (int j = 0; j < k; j++)
				if (f[j].function)
					assert_true(strlen(f[j].function) < 4096);
		}
		symbolizer_free(s);
	}
	unlink(path);
	free(data);
}

/* A scratch folder standing in for a target's root. */
struct fakeroot {
	char dir[64];
	int fd;
};

static void put(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void fakeroot_make(struct fakeroot *r)
{
	char path[PATH_MAX];
	snprintf(r->dir, sizeof(r->dir), "/tmp/prowl-root-XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	snprintf(path, sizeof(path), "%s/etc", r->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	put(r->dir, "etc/passwd", "inside\n");
	snprintf(path, sizeof(path), "%s/etc/sub", r->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	/* absolute and climbing links: both must stay inside */
	snprintf(path, sizeof(path), "%s/abs", r->dir);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	snprintf(path, sizeof(path), "%s/etc/sub/up", r->dir);
	assert_int_equal(symlink("../../../../../../etc/passwd", path), 0);
	snprintf(path, sizeof(path), "%s/etc/absdir", r->dir);
	assert_int_equal(symlink("/etc", path), 0);
	snprintf(path, sizeof(path), "%s/loop", r->dir);
	assert_int_equal(symlink("/loop", path), 0);
	snprintf(path, sizeof(path), "%s/fifo", r->dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	r->fd = open(r->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(r->fd >= 0);
}

static void fakeroot_remove(struct fakeroot *r)
{
	static const char *const names[] = { "etc/sub/up", "etc/sub", "etc/absdir", "etc/passwd", "etc",
					     "abs", "loop", "fifo" };
	char path[PATH_MAX];
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		snprintf(path, sizeof(path), "%s/%s", r->dir, names[i]);
		if (unlink(path) != 0)
			rmdir(path);
	}
	rmdir(r->dir);
	close(r->fd);
}

/* What path reads as inside r, or NULL; *err gets the error. */
static char *read_in(struct fakeroot *r, const char *path, int *err)
{
	int fd = tfile_open_in(r->fd, path, NULL);
	*err = fd < 0 ? fd : 0;
	if (fd < 0)
		return NULL;
	char *buf;
	size_t len;
	int e = tfile_read_all(fd, 1 << 20, &buf, &len);
	close(fd);
	*err = e;
	return e ? NULL : buf;
}

static void check_in_root(struct fakeroot *r)
{
	int err;
	char *t;
	static const char *const inside[] = { "/etc/passwd", "etc/passwd", "/abs", "/etc/sub/up",
					      "/etc/absdir/passwd", "/../../etc/./passwd",
					      "/etc/sub/../passwd" };
	for (size_t i = 0; i < sizeof(inside) / sizeof(*inside); i++) {
		t = read_in(r, inside[i], &err);
		if (!t)
			fail_msg("%s: error %d (fallback %d)", inside[i], err, tfile_force_fallback);
		assert_string_equal(t, "inside\n");
		free(t);
	}
	assert_null(read_in(r, "/loop", &err));
	assert_int_equal(err, -ELOOP);
	assert_null(read_in(r, "/nothing", &err));
	assert_int_equal(err, -ENOENT);
	/* not regular: refused without being opened (a FIFO would block) */
	assert_null(read_in(r, "/fifo", &err));
	assert_int_equal(err, -EINVAL);
	assert_null(read_in(r, "/etc", &err));
	assert_true(err == -EINVAL || err == -EISDIR);
	assert_null(read_in(r, "/etc/passwd/x", &err));
	assert_int_equal(err, -ENOTDIR);
}

static void test_tfile_in_root(void **state)
{
	(void)state;
	struct fakeroot r;
	fakeroot_make(&r);
	tfile_force_fallback = false;
	check_in_root(&r);
	tfile_force_fallback = true; /* the same rules by hand */
	check_in_root(&r);
	tfile_force_fallback = false;
	/* /proc/PID/root/... is read inside that process's root (ours is /) */
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/%d/root%s/abs", (int)getpid(), r.dir);
	int fd = tfile_open(path, NULL);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(tfile_proc_pid(path), getpid());
	assert_int_equal(tfile_proc_pid("/tmp/x"), 0);
	assert_int_equal(tfile_proc_pid("/proc/self/exe"), 0);
	/* a bounded read refuses what is longer */
	snprintf(path, sizeof(path), "%s/etc/passwd", r.dir);
	fd = tfile_open(path, NULL);
	assert_true(fd >= 0);
	char *buf = NULL;
	size_t len;
	assert_int_equal(tfile_read_all(fd, 3, &buf, &len), -EFBIG);
	assert_null(buf);
	close(fd);
	snprintf(path, sizeof(path), "%s/fifo", r.dir);
	assert_int_equal(tfile_open(path, NULL), -EINVAL);
	fakeroot_remove(&r);
}

static size_t self_build_id(unsigned char **id)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(e);
	size_t n = elfx_build_id(e, id);
	elf_end(e);
	close(fd);
	return n;
}

/* A build-id link that leads to a file with another build-id is refused;
 * the same link to the right file is taken; a FIFO there is not opened. */
static void test_debug_file_build_id_checked(void **state)
{
	(void)state;
	unsigned char *id;
	size_t n = self_build_id(&id);
	if (n < 2) {
		free(id);
		skip();
	}
	char dir[] = "/tmp/prowl-debug-XXXXXX", path[PATH_MAX], sub[256];
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/.build-id", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	unsigned char other[20];
	memset(other, 0xab, sizeof(other));
	/* other's link points at this test binary, whose build-id is not other */
	snprintf(sub, sizeof(sub), "%s/.build-id/ab", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(path, sizeof(path), "%s/abababababababababababababababababababab.debug", sub);
	char exe[PATH_MAX];
	ssize_t el = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(el > 0);
	exe[el] = 0;
	assert_int_equal(symlink(exe, path), 0);
	struct debugfile_query q = { .build_id = other, .build_id_len = sizeof(other), .debug_dir = dir };
	char *found = NULL;
	assert_int_equal(debugfile_find(&q, &found), -ENOENT);
	assert_null(found);
	unlink(path);
	/* the right build-id through the same kind of link is accepted */
	char *ownpath;
	snprintf(sub, sizeof(sub), "%s/.build-id/%02x", dir, id[0]);
	mkdir(sub, 0755);
	struct strbuf_like { char b[256]; } hex = { "" };
	for (size_t i = 1; i < n && 2 * i < sizeof(hex.b) - 2; i++)
		snprintf(hex.b + 2 * (i - 1), 3, "%02x", id[i]);
	ownpath = malloc(PATH_MAX);
	snprintf(ownpath, PATH_MAX, "%s/%s.debug", sub, hex.b);
	assert_int_equal(symlink(exe, ownpath), 0);
	q.build_id = id;
	q.build_id_len = n;
	int fd = debugfile_find(&q, &found);
	assert_true(fd >= 0);
	assert_string_equal(found, ownpath);
	close(fd);
	free(found);
	/* a FIFO in its place: refused, and prowl does not block on it */
	unlink(ownpath);
	assert_int_equal(mkfifo(ownpath, 0644), 0);
	found = NULL;
	assert_int_equal(debugfile_find(&q, &found), -ENOENT);
	unlink(ownpath);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/.build-id/ab", dir);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/.build-id", dir);
	rmdir(sub);
	rmdir(dir);
	free(ownpath);
	free(id);
}

/* A FIFO perf map yields no names and does not block. */
static void test_jit_map_fifo(void **state)
{
	(void)state;
	char path[64];
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	unlink(path);
	assert_int_equal(mkfifo(path, 0644), 0);
	struct symbolizer *s = symbolizer_new(NULL);
	struct sym_source src = { .kind = SYM_JIT, .pid = getpid() };
	struct sym_module *m = symbolizer_module(s, &src);
	struct sym_frame f[4];
	assert_int_equal(sym_lookup(m, 0x7f0000001010, f, 4), 0);
	symbolizer_free(s);
	unlink(path);
}

/* The ELF helpers on this binary: build-id as the symbolizer reports it,
 * sections by name and type, and vaddr <-> offset both ways. */
static void test_elf_helpers(void **state)
{
	(void)state;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(e);
	GElf_Shdr sh;
	Elf_Scn *text = elfx_section(e, ".text", &sh);
	assert_non_null(text);
	assert_int_equal(sh.sh_type, SHT_PROGBITS);
	uint64_t off, back;
	assert_int_equal(elfx_vaddr_to_offset(e, sh.sh_addr + 16, &off), 0);
	assert_int_equal(off, sh.sh_offset + 16);
	assert_int_equal(elfx_offset_to_vaddr(e, off, &back), 0);
	assert_int_equal(back, sh.sh_addr + 16);
	assert_int_equal(elfx_vaddr_to_offset(e, UINT64_MAX - 1, &off), -ENOENT);
	assert_null(elfx_section(e, ".no-such-section", &sh));
	assert_non_null(elfx_section_type(e, SHT_DYNSYM, &sh));
	assert_true(elfx_has_dwarf(e)); /* the tests are built with -g */
	char *link = NULL;
	uint32_t crc;
	assert_int_equal(elfx_debuglink(e, &link, &crc), -ENOENT);
	unsigned char *id;
	size_t n = elfx_build_id(e, &id);
	elf_end(e);
	close(fd);
	if (!n)
		return;
	struct symbolizer *s = symbolizer_new(NULL);
	struct sym_source src = { .kind = SYM_ELF, .path = "/proc/self/exe" };
	struct sym_module *m = symbolizer_module(s, &src);
	const char *hex = sym_module_build_id(m);
	assert_non_null(hex);
	assert_int_equal(strlen(hex), 2 * n);
	for (size_t i = 0; i < n; i++) {
		char b[3];
		snprintf(b, sizeof(b), "%02x", id[i]);
		assert_memory_equal(hex + 2 * i, b, 2);
	}
	symbolizer_free(s);
	free(id);
}

/* A module costs no descriptor once loaded: libelf keeps what it needs. */
static void test_modules_hold_no_fd(void **state)
{
	(void)state;
	int before = open("/dev/null", O_RDONLY);
	assert_true(before >= 0);
	close(before);
	struct symbolizer *s = symbolizer_new(NULL);
	struct sym_source src = { .kind = SYM_ELF, .path = "/proc/self/exe" };
	struct sym_module *m = symbolizer_module(s, &src);
	Dl_info di;
	assert_true(dladdr((void *)printf, &di) != 0);
	struct sym_source libc = { .kind = SYM_ELF, .path = di.dli_fname };
	struct sym_module *lm = symbolizer_module(s, &libc);
	struct sym_frame f[8];
	uint64_t own = self_vaddr((uintptr_t)outer_fn);
	assert_true(sym_lookup(m, own, f, 8) >= 1); /* DWARF still readable */
	assert_string_equal(f[sym_lookup(m, own, f, 8) - 1].function, "outer_fn");
	(void)lm;
	int after = open("/dev/null", O_RDONLY);
	assert_int_equal(after, before); /* the lowest free descriptor is the same */
	close(after);
	symbolizer_free(s);
}

static bool section_of(Elf *e, const char *name, struct fde_section *out)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elfx_section(e, name, &sh);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	if (!d || !d->d_buf)
		return false;
	*out = (struct fde_section){ d->d_buf, d->d_size, sh.sh_addr };
	return true;
}

/* Stripped code is named by the start of its unwind entry: on this binary,
 * every function symbol's middle is found in an FDE that starts exactly at
 * the symbol (or in none: the few assembly stubs without one), the same
 * through .eh_frame_hdr's search table and through a walk of .eh_frame; and
 * damaged copies of the section find less, never crash. */
static void test_fde_starts(void **state)
{
	(void)state;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(e);
	struct fde_section eh, hdr;
	assert_true(section_of(e, ".eh_frame", &eh));
	assert_true(section_of(e, ".eh_frame_hdr", &hdr));
	struct fde_table searched, walked;
	assert_int_equal(fde_table_init(&searched, &eh, &hdr), 0);
	assert_non_null(searched.search); /* the linker's table is used */
	assert_int_equal(fde_table_init(&walked, &eh, NULL), 0);
	assert_null(walked.search);
	assert_true(walked.n >= searched.nsearch && searched.nsearch > 10);

	GElf_Shdr sh;
	Elf_Scn *scn = elfx_section_type(e, SHT_SYMTAB, &sh);
	assert_non_null(scn);
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t nsyms = d->d_size / sh.sh_entsize, funcs = 0, found = 0;
	for (size_t i = 1; i < nsyms; i++) {
		GElf_Sym sym;
		gelf_getsym(d, (int)i, &sym);
		if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || !sym.st_size || sym.st_shndx == SHN_UNDEF)
			continue;
		funcs++;
		uint64_t mid = sym.st_value + sym.st_size / 2;
		struct fde_range a, b;
		int ra = fde_find(&searched, mid, &a), rb = fde_find(&walked, mid, &b);
		assert_int_equal(ra, rb);
		if (ra < 0)
			continue;
		found++;
		assert_int_equal(a.start, b.start);
		assert_int_equal(a.end, b.end);
		assert_int_equal(a.start, sym.st_value);
		assert_true(a.end >= sym.st_value + sym.st_size);
	}
	assert_true(funcs > 10 && found * 10 >= funcs * 9);

	/* Through the symbolizer: any address of outer_fn gives its start. */
	struct symbolizer *s = symbolizer_new(NULL);
	struct sym_module *m = self_module(s);
	uint64_t start = 0, own = self_vaddr((uintptr_t)outer_fn);
	assert_int_equal(sym_lookup_fde(m, own + 3, &start), 0);
	assert_int_equal(start, own);
	assert_int_equal(sym_lookup_fde(m, 0x10, &start), -ENOENT);
	symbolizer_free(s);

	unsigned char *copy = malloc(eh.size);
	assert_non_null(copy);
	unsigned seed = 99;
	for (int round = 0; round < 40; round++) {
		memcpy(copy, eh.data, eh.size);
		struct fde_section bad = { copy, eh.size, eh.addr };
		if (round < 20)
			bad.size = eh.size / 20 * (size_t)round + (size_t)round;
		else
			for (int k = 0; k < 8 * (round - 19); k++) {
				seed = seed * 1103515245u + 12345u;
				copy[(seed >> 4) % eh.size] = (unsigned char)(seed >> 16);
			}
		for (int with_hdr = 0; with_hdr < 2; with_hdr++) {
			struct fde_table t;
			if (fde_table_init(&t, &bad, with_hdr ? &hdr : NULL) < 0)
				continue;
			struct fde_range r;
			for (uint64_t a = 0; a < eh.addr + eh.size; a += 0x1f3)
				if (fde_find(&t, a, &r) == 0)
					assert_true(r.start <= a && a < r.end);
			fde_table_release(&t);
		}
	}
	free(copy);
	fde_table_release(&searched);
	fde_table_release(&walked);
	elf_end(e);
	close(fd);
}

/* PLT stubs carry no symbol anywhere: each is named "name@plt" after the
 * dynamic symbol whose GOT slot it jumps through. Checked on this binary
 * against the other way to know a lazy stub's target: the relocation index
 * it pushes (push $N), entry by entry; PLT0 and other code give NULL. */
static void test_plt_stubs_named(void **state)
{
	(void)state;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(e);
	GElf_Shdr plt, rela, dsym;
	Elf_Scn *pscn = elfx_section(e, ".plt", &plt);
	Elf_Scn *rscn = elfx_section(e, ".rela.plt", &rela);
	if (!pscn || !rscn || elfx_section(e, ".plt.sec", &dsym)) {
		elf_end(e);
		close(fd);
		skip(); /* linked without lazy stubs, or with IBT's split PLT: no push index to check by */
	}
	Elf_Data *pd = elf_getdata(pscn, NULL), *rd = elf_getdata(rscn, NULL);
	Elf_Scn *sscn = elf_getscn(e, rela.sh_link);
	assert_non_null(gelf_getshdr(sscn, &dsym));
	Elf_Data *sd = elf_getdata(sscn, NULL);
	struct symbolizer *s = symbolizer_new(NULL);
	struct sym_module *m = self_module(s);
	size_t checked = 0;
	for (uint64_t off = 16; off + 16 <= plt.sh_size; off += 16) {
		const unsigned char *ent = (const unsigned char *)pd->d_buf + off;
		if (ent[6] != 0x68)
			continue; /* not "push imm32" */
		uint32_t idx;
		memcpy(&idx, ent + 7, 4);
		GElf_Rela r;
		GElf_Sym sym;
		assert_non_null(gelf_getrela(rd, (int)idx, &r));
		assert_non_null(gelf_getsym(sd, (int)GELF_R_SYM(r.r_info), &sym));
		char want[256];
		snprintf(want, sizeof(want), "%s@plt", elf_strptr(e, dsym.sh_link, sym.st_name));
		const char *got = sym_lookup_plt(m, plt.sh_addr + off + 11);
		assert_non_null(got);
		assert_string_equal(got, want);
		checked++;
	}
	assert_true(checked > 5);
	assert_null(sym_lookup_plt(m, plt.sh_addr + 4)); /* PLT0 */
	assert_null(sym_lookup_plt(m, self_vaddr((uintptr_t)outer_fn)));
	symbolizer_free(s);
	elf_end(e);
	close(fd);

	/* The C library's own PLT calls its ifuncs through IRELATIVE slots (no
	 * symbol in the relocation): named after the resolver's symbol. */
	Dl_info di;
	assert_true(dladdr((void *)printf, &di) != 0);
	fd = open(di.dli_fname, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	e = elf_begin(fd, ELF_C_READ, NULL);
	pscn = elfx_section(e, ".plt", &plt);
	rscn = elfx_section(e, ".rela.plt", &rela);
	s = symbolizer_new(NULL);
	struct sym_source src = { .kind = SYM_ELF, .path = di.dli_fname };
	m = symbolizer_module(s, &src);
	size_t irel = 0;
	if (pscn && rscn && !elfx_section(e, ".plt.sec", &dsym)) {
		pd = elf_getdata(pscn, NULL);
		rd = elf_getdata(rscn, NULL);
		for (uint64_t off = 16; off + 16 <= plt.sh_size; off += 16) {
			const unsigned char *ent = (const unsigned char *)pd->d_buf + off;
			uint32_t idx;
			GElf_Rela r;
			memcpy(&idx, ent + 7, 4);
			if (ent[6] != 0x68 || !gelf_getrela(rd, (int)idx, &r) || GELF_R_TYPE(r.r_info) != R_X86_64_IRELATIVE)
				continue;
			uint64_t symoff = 1;
			const char *resolver = sym_lookup_symbol(m, (uint64_t)r.r_addend, NULL, &symoff);
			if (!resolver || symoff)
				continue;
			char want[256];
			snprintf(want, sizeof(want), "%s@plt", resolver);
			const char *got = sym_lookup_plt(m, plt.sh_addr + off + 4);
			assert_non_null(got);
			assert_string_equal(got, want);
			irel++;
		}
	}
	if (!irel)
		print_message("no IRELATIVE stub in %s's .plt: that half not checked\n", di.dli_fname);
	symbolizer_free(s);
	elf_end(e);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_own_function),
		cmocka_unit_test(test_inline_chain),
		cmocka_unit_test(test_module_cache_and_unknowns),
		cmocka_unit_test(test_proc_root_path),
		cmocka_unit_test(test_same_build_id_second_chance),
		cmocka_unit_test(test_libc_through_build_id),
		cmocka_unit_test(test_vdso_from_memory),
		cmocka_unit_test(test_jit_map),
		cmocka_unit_test(test_kernel_symbols),
		cmocka_unit_test(test_kallsyms_format),
		cmocka_unit_test(test_damaged_copies),
		cmocka_unit_test(test_tfile_in_root),
		cmocka_unit_test(test_debug_file_build_id_checked),
		cmocka_unit_test(test_jit_map_fifo),
		cmocka_unit_test(test_elf_helpers),
		cmocka_unit_test(test_modules_hold_no_fd),
		cmocka_unit_test(test_fde_starts),
		cmocka_unit_test(test_plt_stubs_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
