/*
 * symbolizer: turns (module, address) into what a person reads: function
 * (demangled and raw), file:line:column, and the chain of inlined calls.
 * Engine: libdw. Modules are opened lazily and cached by build-id (or by path,
 * size and mtime when there is none); a symbolizer owns its modules and every
 * string it returns stays valid until symbolizer_free(). Functions return 0 or
 * a negative errno, never print, and never crash on malformed ELF/DWARF: a bad
 * file yields unknown frames. Never used on the sampling path. Not thread-safe:
 * one symbolizer per thread.
 */
#ifndef PROWL_SYMBOLIZER_H
#define PROWL_SYMBOLIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum sym_source_kind {
	SYM_ELF = 0,    /* an ELF file on disk (executable, library, or vdso image below) */
	SYM_KERNEL = 1, /* the kernel: names from /proc/kallsyms, addresses absolute */
	SYM_JIT = 2,    /* /tmp/perf-PID.map: addresses absolute; read inside the
			   process's root under the pid it sees itself as, only
			   when owned by the uid it runs as; and its jit-PID.dump
			   (found through the runtime's marker mapping, same
			   rules), asked first: names and file:line */
};

/* Where a module's code comes from. Only path is required for SYM_ELF. */
struct sym_source {
	enum sym_source_kind kind;
	const char *path;      /* file to open, e.g. /proc/PID/map_files/... or /proc/PID/root/usr/lib/... */
	const char *name;      /* path as the target maps it (for display and debug-file search); NULL = path */
	const unsigned char *build_id; /* raw bytes if known (from MMAP2 or the ELF note), else NULL */
	size_t build_id_len;
	const void *image;     /* an in-memory ELF image instead of path (the vDSO), or NULL */
	size_t image_len;
	pid_t pid;             /* SYM_JIT: whose perf map; also for /proc/PID/root lookups */
};

struct sym_frame {
	const char *function;  /* demangled name, or NULL when unknown */
	const char *raw;       /* name as the binary spells it: the mangled linkage name
				  for C++/Rust, the same as function for C; or NULL */
	const char *file;      /* source file, or NULL */
	uint32_t line;         /* 0 when unknown */
	uint32_t column;       /* 0 when unknown */
	bool inlined;          /* this frame was inlined into the next one in the array */
};

struct symbolizer_opts {
	bool no_debuginfod;    /* never ask debuginfod, even with DEBUGINFOD_URLS set */
	bool no_demangle;      /* keep raw names as function */
	const char *debug_dir; /* global debug folder, default /usr/lib/debug */
};

struct symbolizer;
struct sym_module;

struct symbolizer *symbolizer_new(const struct symbolizer_opts *opts);
void symbolizer_free(struct symbolizer *s);

/* Remembers, while pid runs, who it is (the uid it runs as, the pid it sees
 * itself as, its root folder) so that its perf map can be found and trusted
 * after it exits, when symbolizing happens. Call it when a process is first
 * seen running JIT code; a SYM_JIT source of a pid never watched is looked up
 * live, and yields nothing once the process is gone. 0 or a negative errno. */
int symbolizer_watch_process(struct symbolizer *s, pid_t pid);

/* Returns the module for src (opened lazily; cached, so two equal sources give
 * the same module). NULL with errno only for bad arguments: a file that cannot be
 * read still gives a module, whose lookups find nothing. */
struct sym_module *symbolizer_module(struct symbolizer *s, const struct sym_source *src);

/* Resolves addr, a module-relative address in the ELF's own vaddr space (what
 * `nm` and DWARF use) for SYM_ELF, or an absolute address for SYM_KERNEL and
 * SYM_JIT. Callers pass return addresses already minus one. Fills out[0..max)
 * innermost (most inlined) frame first, the real function last; returns the
 * number of frames (0 when nothing is known). */
int sym_lookup(struct sym_module *m, uint64_t addr, struct sym_frame *out, size_t max);

/* Where no symbol names addr: the start of the function holding it, from
 * the module's .eh_frame unwind table (kept by strip), in the same address
 * space as addr. 0 and *start, or -ENOENT (errno set) when no FDE covers it. */
int sym_lookup_fde(struct sym_module *m, uint64_t addr, uint64_t *start);

/* A PLT stub (.plt, .plt.sec, .plt.got) holding addr: "name@plt" after the
 * dynamic symbol whose GOT slot it jumps through, as perf and objdump name
 * it (no symbol table has it), or NULL. Valid until symbolizer_free(). */
const char *sym_lookup_plt(struct sym_module *m, uint64_t addr);

/* The module's build-id as lowercase hex, or NULL; its path as given. */
const char *sym_module_build_id(struct sym_module *m);
/* What the module had: bit 0 symbols, bit 1 file names, bit 2 lines, bit 3 inlines. */
unsigned sym_module_caps(struct sym_module *m);

/* Where the module's DWARF came from (the file itself, a build-id or
 * debuglink debug file, or debuginfod's cache), or NULL when it has none. */
const char *sym_module_debug_file(struct sym_module *m);

/* What `prowl addr2line` needs beyond the frames to print an address the way
 * eu-addr2line does. Strings live as long as the symbolizer. */
struct sym_lookup_info {
	bool from_dwarf;         /* frames come from DWARF scopes (else ELF symbol) */
	/* For an inlined innermost frame: the function that lexically holds the
	 * inlined function's definition (raw, demangled), or NULL. */
	const char *inline_owner;
	const char *inline_owner_demangled;
	/* Start of the line-table row holding addr (addr when there is none):
	 * eu-addr2line -i reports the inline chain at that address. */
	uint64_t line_addr;
};

/* sym_lookup() plus info (info may be NULL). */
int sym_lookup_ex(struct sym_module *m, uint64_t addr, struct sym_frame *out, size_t max,
		  struct sym_lookup_info *info);

/* The ELF symbol (.symtab, else the debug file's, else .dynsym) covering
 * addr, chosen as libdwfl does: raw name or NULL; *demangled_name and *offset
 * (addr minus the symbol's value) when not NULL. */
const char *sym_lookup_symbol(struct sym_module *m, uint64_t addr, const char **demangled_name,
			      uint64_t *offset);

/* Demangles C++ and Rust (legacy and v0) names; returns a new string or NULL
 * when name is not mangled. */
char *sym_demangle(const char *name);

#endif
