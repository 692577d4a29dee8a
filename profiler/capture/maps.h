/*
 * maps: what a process has mapped, and the ELF files behind it. A module_set
 * owns every struct module (one per file, shared by all processes, keyed by
 * device+inode+path); a struct maps is one process's sorted table of mappings,
 * loaded from /proc/PID/maps and updated by MMAP2 records. Functions return 0
 * or a negative errno with errno set to match; pointers are NULL with errno.
 * Never prints.
 */
#ifndef PROWL_MAPS_H
#define PROWL_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MAPS_PROT_READ 1u
#define MAPS_PROT_WRITE 2u
#define MAPS_PROT_EXEC 4u

/* One PT_LOAD segment of an ELF file: file range [offset, offset+filesz) is
 * loaded at ELF vaddr [vaddr, vaddr+memsz). */
struct module_segment {
	uint64_t offset, filesz, vaddr, memsz;
	uint32_t flags; /* PF_X, PF_W, PF_R */
};

enum module_kind {
	MODULE_FILE = 0,   /* an ELF file on disk */
	MODULE_VDSO = 1,   /* [vdso]: image read from the target's memory */
	MODULE_ANON = 2,   /* anonymous or unreadable: JIT, [heap], deleted file we cannot open */
	MODULE_KERNEL = 3, /* the kernel: addresses are absolute */
};

/* An ELF file (or pseudo module). Loaded lazily by module_load(): until then
 * only path/dev/ino are set. Everything here stays valid until module_set_free(). */
struct module {
	char *path;        /* as the target maps it, e.g. /usr/lib/x86_64-linux-gnu/libc.so.6 */
	char *open_path;   /* what we open: path, /proc/PID/root/path or /proc/PID/map_files/..; NULL = path */
	enum module_kind kind;
	uint64_t dev, ino;
	unsigned char build_id[20];
	size_t build_id_len; /* 0 when unknown */
	bool loaded;       /* module_load() ran (successfully or not) */
	bool elf_ok;       /* the file was read and its program headers parsed */
	uint16_t elf_type; /* ET_EXEC or ET_DYN */
	struct module_segment *segs;
	size_t nsegs;
	/* The file's bytes, mapped read-only (NULL if unreadable); vdso: a copy. */
	const unsigned char *image;
	size_t image_len;
	uint32_t id;       /* dense index in the module_set, stable */
	/* The unwinder's per-module slot (freed through unwind_free when the
	 * set is freed). Symbolizer handles live in resolve.c, not here. */
	void *unwind_data;
	void (*unwind_free)(void *);
};

struct module_set;
struct module_set *module_set_new(void);
void module_set_free(struct module_set *ms);
/* Finds or adds the module for (path, dev, ino); open_path is a hint for
 * where to read it (copied), may be NULL. */
struct module *module_set_get(struct module_set *ms, const char *path, uint64_t dev, uint64_t ino,
			      enum module_kind kind, const char *open_path);
/* The kernel pseudo module (one per set). */
struct module *module_set_kernel(struct module_set *ms);
size_t module_set_count(const struct module_set *ms);
struct module *module_set_at(const struct module_set *ms, size_t i);

/* Reads the file's program headers and build-id and maps its bytes. Safe to
 * call again (does nothing). A bad or missing file leaves elf_ok false. */
int module_load(struct module *m);
/* Parses program headers and the build-id note from an ELF image in memory
 * (used by module_load, and by tests with fake images). */
int module_parse_elf(struct module *m, const unsigned char *img, size_t len);
/* ELF vaddr of a file offset, through the PT_LOAD holding it (the per-segment
 * bias: vaddr = off - p_offset + p_vaddr); false if no segment holds it. */
bool module_offset_to_vaddr(const struct module *m, uint64_t off, uint64_t *vaddr);

struct map_entry {
	uint64_t start, end; /* [start, end) in the target */
	uint64_t pgoff;      /* file offset of start */
	uint32_t prot;       /* MAPS_PROT_* */
	struct module *module; /* NULL for anonymous memory */
};

/* One process's mappings. */
struct maps {
	pid_t pid;
	struct map_entry *v; /* sorted by start, non-overlapping */
	size_t n, cap;
	struct module_set *ms; /* not owned */
	uint64_t generation;   /* bumped on every change (caches compare it) */
	/* A file named jit-N.dump was mapped: the marker a JIT runtime makes
	 * for its jitdump (the unwinder then opens it). */
	bool jitdump_marker;
};

struct maps *maps_new(struct module_set *ms, pid_t pid);
void maps_free(struct maps *m);
/* Replaces the table with /proc/PID/maps. */
int maps_load(struct maps *m);
/* Parses a /proc/PID/maps text (tests feed fake ones); same as maps_load. */
int maps_parse(struct maps *m, const char *text);
/* Adds a mapping (from an MMAP2 record), splitting or replacing what it overlaps.
 * path may be "//anon", "[vdso]", "" for anonymous. */
void maps_add(struct maps *m, uint64_t start, uint64_t len, uint64_t pgoff, uint32_t prot,
	      const char *path, uint64_t dev, uint64_t ino);
/* Replaces dst's mappings with a copy of src's (a forked child starts with
 * its parent's address space); the modules are shared through the set. */
void maps_copy(struct maps *dst, const struct maps *src);
/* Forgets every mapping (exec replaced the address space). */
void maps_clear(struct maps *m);
/* The mapping holding addr, or NULL. */
const struct map_entry *maps_find(const struct maps *m, uint64_t addr);

/* addr -> module and ELF vaddr with the per-segment load bias. Returns 0 and
 * fills *mod and *vaddr; -ENOENT if no file mapping holds addr (then *mod is
 * NULL and *vaddr = addr); for a module whose ELF could not be parsed, vaddr is
 * the file offset (addr - start + pgoff) and the return is 0. */
int maps_resolve(const struct maps *m, uint64_t addr, struct module **mod, uint64_t *vaddr);

/* Reads len bytes at target address addr from the file behind the mapping
 * (for read-only code and unwind tables); returns 0 or -EFAULT. */
int maps_read_file(const struct maps *m, uint64_t addr, void *buf, size_t len);
/* The same, remembering in *hint (NULL at first) the mapping the last read
 * used: the unwinder's thousands of small reads of one module's unwind
 * tables skip the search. *hint points into m and is good until m changes
 * (maps_add, maps_load, maps_copy, maps_clear): keep it no longer than one
 * unwinding. */
int maps_read_file_hint(const struct maps *m, const struct map_entry **hint, uint64_t addr, void *buf, size_t len);

#endif
