/*
 * prowl addr2line: the symbolizer as a command, printing what eu-addr2line
 * prints with the same flags, line for line. Addresses come from the
 * arguments or one per line on stdin. Output is flushed whenever stdin has no
 * more input ready, so it answers a pipe line by line and still writes big
 * batches in large blocks.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "profiler/base/errstr.h"
#include "profiler/cli/cmds.h"
#include "profiler/cli/opts.h"
#include "profiler/base/itab.h"
#include "profiler/base/textsafe.h"
#include "profiler/base/util.h"
#include "symbolize/elf.h"
#include "symbolize/symbolizer.h"
#include "symbolize/tfile.h"

#define MAX_FRAMES 64

struct a2l {
	bool functions, inlines, demangle, addresses, basenames, pretty;
	int addr_width;
	struct sym_module *mod;
	/* formatted answers by address: a repeated address costs one probe */
	struct outent {
		uint64_t addr;
		char *text;
		size_t len;
	} *cache;             /* in the order first asked */
	size_t ncache, cap_cache;
	struct itab cache_idx;
	struct strbuf sb;
};

static const char *const a2l_usage[] = { "[-e FILE] [-fiCas] [--pretty-print] [ADDR...]", NULL };
static const struct opts_example a2l_examples[] = {
	{ "addr2line -e /usr/lib/x86_64-linux-gnu/libc.so.6 -f -i 0x29d90", "function, file:line and inlined frames of one address" },
	{ "addr2line -e ./prog -a -f -C <addrs.txt", "one address per line on stdin, answered line by line" },
	{ NULL, NULL },
};
const struct opts_cmd addr2line_cmd = {
	.name = "addr2line",
	.summary = "addresses to function, file:line and inlined frames",
	.usage = a2l_usage,
	.description = "Prints the function, source file and line of each address in FILE (a.out by default),\n"
		       "like eu-addr2line; addresses are hex in the file's own address space (what nm shows),\n"
		       "from the arguments or one per line on stdin.",
	.examples = a2l_examples,
	.notes = "exit status: 0, 64 usage, 65 an address that is not hex, 66 FILE unreadable or not ELF, 74 stdout not written",
	.args = OPTS_ARGS_MIXED,
};

static void add_loc(struct a2l *a, const char *file, uint32_t line, uint32_t col)
{
	if (!file) {
		strbuf_adds(&a->sb, "??:0");
		return;
	}
	textsafe_append(&a->sb, a->basenames ? base_name(file) : file);
	if (col)
		strbuf_addf(&a->sb, ":%" PRIu32 ":%" PRIu32, line, col);
	else
		strbuf_addf(&a->sb, ":%" PRIu32, line);
}

static const char *pick(struct a2l *a, const char *raw, const char *dem)
{
	const char *n = a->demangle ? dem : raw;
	return n ? n : raw ? raw : "??";
}

/* The function line follows eu-addr2line: the innermost inlined function
 * with its call site, then the function holding it ("X inlined at F:L in Y"). */
static void add_function_line(struct a2l *a, uint64_t addr, const struct sym_frame *f, int n,
			      const struct sym_lookup_info *info)
{
	if (n > 0 && info->from_dwarf) {
		textsafe_append(&a->sb, pick(a, f[0].raw, f[0].function));
		if (!f[0].inlined || a->pretty)
			return;
		strbuf_adds(&a->sb, " inlined");
		if (n > 1 && f[1].file) {
			const char *file = a->basenames ? base_name(f[1].file) : f[1].file;
			if (!f[1].line)
				strbuf_addf(&a->sb, " from %s", file);
			else if (!f[1].column)
				strbuf_addf(&a->sb, " at %s:%" PRIu32, file, f[1].line);
			else
				strbuf_addf(&a->sb, " at %s:%" PRIu32 ":%" PRIu32, file, f[1].line,
					    f[1].column);
		}
		strbuf_adds(&a->sb, " in ");
		if (info->inline_owner) {
			textsafe_append(&a->sb, pick(a, info->inline_owner, info->inline_owner_demangled));
			return;
		}
	}
	const char *dem = NULL;
	const char *raw = sym_lookup_symbol(a->mod, addr, &dem, NULL);
	textsafe_append(&a->sb, pick(a, raw, dem));
}

static void format_address(struct a2l *a, uint64_t addr)
{
	struct sym_frame f[MAX_FRAMES];
	struct sym_lookup_info info;
	int n = sym_lookup_ex(a->mod, addr, f, MAX_FRAMES, &info);
	char sep = a->pretty ? ' ' : '\n';
	if (a->addresses)
		strbuf_addf(&a->sb, "0x%.*" PRIx64 "%s", a->addr_width, addr, a->pretty ? ": " : "\n");
	if (a->functions) {
		add_function_line(a, addr, f, n, &info);
		strbuf_addc(&a->sb, sep);
		if (a->pretty)
			strbuf_adds(&a->sb, "at ");
	}
	if (n > 0)
		add_loc(a, f[0].file, f[0].line, f[0].column);
	else
		add_loc(a, NULL, 0, 0);
	strbuf_addc(&a->sb, '\n');
	if (!a->inlines)
		return;
	/* eu-addr2line walks the inline chain at the start of the line-table
	 * row, not at the address itself; do the same to print the same. */
	if (info.line_addr != addr)
		n = sym_lookup_ex(a->mod, info.line_addr, f, MAX_FRAMES, &info);
	if (!info.from_dwarf)
		return;
	for (int i = 1; i < n; i++) {
		if (a->pretty)
			strbuf_adds(&a->sb, " (inlined by) ");
		if (a->functions) {
			textsafe_append(&a->sb, pick(a, f[i].raw, f[i].function));
			strbuf_adds(&a->sb, a->pretty ? " at " : "\n");
		}
		add_loc(a, f[i].file, f[i].line, f[i].column);
		strbuf_addc(&a->sb, '\n');
	}
}

static bool outent_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct a2l *a = ctx;
	return a->cache[idx].addr == *(const uint64_t *)key;
}

/* The formatted answer for addr, made on first use. */
static const struct outent *cached(struct a2l *a, uint64_t addr)
{
	uint64_t h = hash_mix(0, addr);
	uint32_t i = itab_find(&a->cache_idx, h, outent_eq, a, &addr);
	if (i != ITAB_NONE)
		return &a->cache[i];
	strbuf_reset(&a->sb);
	format_address(a, addr);
	xgrow((void **)&a->cache, &a->cap_cache, a->ncache + 1, sizeof(*a->cache));
	struct outent *e = &a->cache[a->ncache];
	*e = (struct outent){ addr, xmalloc(a->sb.len + 1), a->sb.len };
	memcpy(e->text, a->sb.buf, a->sb.len + 1);
	itab_insert(&a->cache_idx, h, (uint32_t)a->ncache++);
	return e;
}

static int handle(struct a2l *a, const char *s, size_t len)
{
	while (len && (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	char tmp[64];
	if (!len || len >= sizeof(tmp)) {
		/* Clipped: a 4 MiB line is not worth echoing whole. */
		fprintf(stderr, "prowl addr2line: '%.*s' is not a hex address\n", len > 80 ? 80 : (int)len, s);
		return -1;
	}
	memcpy(tmp, s, len);
	tmp[len] = 0;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(tmp, &end, 16);
	if (end == tmp || *end || errno) {
		fprintf(stderr, "prowl addr2line: '%s' is not a hex address\n", tmp);
		return -1;
	}
	const struct outent *e = cached(a, v);
	fwrite(e->text, 1, e->len, stdout);
	return 0;
}

/* Reads stdin in blocks; flushes stdout only before a read that may wait. */
static int run_stdin(struct a2l *a)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = xmalloc(cap);
	int rc = 0;
	for (;;) {
		fflush(stdout);
		if (len == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		ssize_t r = read(0, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r < 0)
				rc = -1;
			if (len && handle(a, buf, len) != 0)
				rc = -1;
			break;
		}
		len += (size_t)r;
		size_t start = 0;
		char *nl;
		while ((nl = memchr(buf + start, '\n', len - start))) {
			if (handle(a, buf + start, (size_t)(nl - (buf + start))) != 0)
				rc = -1;
			start = (size_t)(nl - buf) + 1;
		}
		memmove(buf, buf + start, len - start);
		len -= start;
	}
	free(buf);
	return rc;
}

/* Decompressed DWARF and the index are tens of megabytes touched once; in a
 * VM each 4 KiB page fault costs microseconds. Growing the heap in one large
 * step backed by transparent huge pages cuts the faults twentyfold (a
 * process-wide choice, so it is made here by the command, not the module). */
static void prefer_huge_pages(void)
{
	const size_t pad = (size_t)64 << 20, huge = (size_t)2 << 20;
	mallopt(M_MMAP_THRESHOLD, 32 << 20); /* glibc's maximum */
	mallopt(M_TRIM_THRESHOLD, 512 << 20);
	mallopt(M_TOP_PAD, (int)pad);
	uintptr_t start = (uintptr_t)sbrk(0);
	void *volatile grow = malloc(1); /* volatile: the pair must not be optimised out */
	free(grow);
	uintptr_t top = (uintptr_t)sbrk(0);
	if (start == (uintptr_t)-1 || top == (uintptr_t)-1 || top <= start)
		return;
	uintptr_t lo = (start + huge - 1) & ~(uintptr_t)(huge - 1);
	if (lo < top)
		madvise((void *)lo, top - lo, MADV_HUGEPAGE);
}

/* Opens path as the symbolizer will and checks it is ELF before any address
 * is answered: eu-addr2line and binutils refuse anything else, where the
 * symbolizer alone would answer ??:0 for every address. The address width
 * (8 or 16 digits) in *width. 0, -ENOEXEC when it is not ELF, or the errno
 * of the open (-EINVAL: not a regular file). */
static int elf_check(const char *path, int *width)
{
	int fd = tfile_open(path, NULL);
	if (fd < 0)
		return fd;
	elf_version(EV_CURRENT);
	Elf *e = elfx_begin_fd(fd);
	GElf_Ehdr eh;
	GElf_Shdr sh;
	GElf_Phdr ph;
	size_t nsec = 0, nph = 0;
	/* An ELF magic with garbage after it: headers that point past the end. */
	bool ok = e && gelf_getehdr(e, &eh) && elf_getshdrnum(e, &nsec) == 0 &&
		  elf_getphdrnum(e, &nph) == 0 && (nsec == 0 || gelf_getshdr(elf_getscn(e, nsec - 1), &sh)) &&
		  (nph == 0 || gelf_getphdr(e, (int)nph - 1, &ph));
	int cls = ok ? gelf_getclass(e) : ELFCLASSNONE;
	if (e)
		elf_end(e);
	if (cls != ELFCLASS32 && cls != ELFCLASS64)
		return -ENOEXEC;
	*width = cls == ELFCLASS32 ? 8 : 16;
	return 0;
}

int cmd_addr2line(int argc, char **argv)
{
	struct a2l a;
	memset(&a, 0, sizeof(a));
	const char *exe = "a.out";
	struct symbolizer_opts so = { 0 };
	const struct opt table[] = {
		{ .kind = OPT_KIND_STRING, .short_name = 'e', .long_name = "exe", .value = &exe, .argh = "FILE",
		  .help = "the ELF file (executable, library, or debug file)", .flags = OPT_NONEMPTY },
		OPT_FLAG('f', "functions", &a.functions, "also print the function name"),
		OPT_FLAG('i', "inlines", &a.inlines, "also print the frames of inlined calls, innermost first"),
		{ .kind = OPT_KIND_FLAG, .short_name = 'C', .long_name = "demangle", .value = &a.demangle, .argh = "STYLE",
		  .help = "demangle C++ and Rust names (STYLE is accepted and ignored, as eu-addr2line)",
		  .flags = OPT_OPTARG },
		OPT_FLAG('a', "addresses", &a.addresses, "print each address first"),
		OPT_FLAG('s', "basenames", &a.basenames, "print only the base names of source files"),
		OPT_FLAG(0, "pretty-print", &a.pretty, "one line per frame: 'function at file:line'"),
		OPT_FLAG(0, "no-debuginfod", &so.no_debuginfod, "never ask debuginfod for debug files"),
		OPT_HELP(),
		OPT_END(),
	};
	int rc0;
	int nargs = opts_parse_or_exit(&addr2line_cmd, table, argc, argv, &rc0);
	if (nargs < 0)
		return rc0;
	int w = 16;
	int cerr = elf_check(exe, &w);
	if (cerr == -ENOEXEC)
		fprintf(stderr, "prowl addr2line: %s is not an ELF file (give an executable, a library or a debug file with -e)\n",
			exe);
	else if (cerr == -EINVAL)
		fprintf(stderr, "prowl addr2line: %s is not a regular file (give the ELF file with -e)\n", exe);
	else if (cerr < 0)
		fprintf(stderr, "prowl addr2line: cannot open %s: %s (give the ELF file with -e)\n",
			exe, errstr(cerr));
	if (cerr < 0)
		return exit_code(EXIT_INPUT, cerr);
	a.addr_width = w;
	prefer_huge_pages();
	struct symbolizer *s = symbolizer_new(&so);
	struct sym_source src = { .kind = SYM_ELF, .path = exe };
	a.mod = symbolizer_module(s, &src);
	strbuf_init(&a.sb);
	static char obuf[1 << 16];
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	int rc = 0;
	if (nargs > 0) {
		for (int i = 0; i < nargs; i++)
			if (handle(&a, argv[i], strlen(argv[i])) != 0)
				rc = -1;
	} else {
		rc = run_stdin(&a);
	}
	int werr = 0;
	if (fflush(stdout) != 0) {
		werr = errno;
		fprintf(stderr, "prowl addr2line: cannot write the output: %s\n", errstr(werr));
	}
	for (size_t i = 0; i < a.ncache; i++)
		free(a.cache[i].text);
	free(a.cache);
	itab_release(&a.cache_idx);
	strbuf_release(&a.sb);
	symbolizer_free(s);
	return werr ? exit_code(EXIT_STDOUT, werr) : rc ? EX_DATAERR : EX_OK;
}
