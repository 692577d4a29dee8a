/*
 * jitdump: reads the jit-PID.dump files JIT runtimes write for perf (CPython
 * 3.13 -X perf_jit, node --perf-prof, the JVM's perf agent; format: perf's
 * jitdump-specification.txt), in either byte order: code loads with their
 * names, moves, debug line tables and .eh_frame unwinding info. The file is
 * the target's: every size is checked against its record and the file, every
 * string must end inside its record; unknown record types are skipped; a
 * record whose total_size is 0 or runs past the end ends the read, keeping
 * what came before (stats say so). A struct jitdump owns copies of all it
 * returns (the input is not kept), valid until jitdump_free(). Functions
 * return 0 or a negative errno (errno set too) and never print.
 */
#ifndef PROWL_SYMBOLIZE_JITDUMP_H
#define PROWL_SYMBOLIZE_JITDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The most prowl reads of one file. */
#define JITDUMP_MAX_BYTES ((size_t)1 << 30)

struct jitdump_header {
	uint32_t version, elf_mach, pid;
	uint64_t timestamp, flags; /* flags bit 0: timestamps are the CPU's counter */
	bool swapped;              /* written in the other byte order */
};

struct jitdump_line {
	uint64_t addr;             /* absolute, moves applied */
	const char *file;
	uint32_t line, discrim;
};

struct jitdump_code {
	uint64_t addr, size;       /* where the code runs now (code_addr, moves applied) */
	uint64_t vma;
	uint64_t index;            /* the runtime's code_index */
	uint64_t load_time;        /* the load record's timestamp */
	const char *name;
	const struct jitdump_line *lines; /* sorted by addr; NULL when none */
	size_t nlines;
	/* JIT_CODE_UNWINDING_INFO given just before the load: .eh_frame then
	 * .eh_frame_hdr (its last eh_frame_hdr_size bytes); NULL when none. */
	const unsigned char *unwind;
	uint64_t unwind_size, eh_frame_hdr_size, mapped_size;
};

struct jitdump_stats {
	uint64_t records, loads, moves, debug_infos, unwind_infos, unknown;
	uint64_t bad;      /* records whose fields did not fit in them: skipped */
	uint64_t orphans;  /* debug or unwind info no load took, moves of unknown code */
	bool truncated;    /* the read ended early (total_size 0 or past the end) */
	bool closed;       /* JIT_CODE_CLOSE was read */
};

struct jitdump;

/* Parses a whole file's bytes. -EINVAL: not a jitdump (magic, header); a
 * version other than 1: -ENOTSUP. */
int jitdump_parse(const void *data, size_t len, struct jitdump **out);
/* Reads fd (a regular file, from its start) and parses it. */
int jitdump_read_fd(int fd, struct jitdump **out);
/* For a file the runtime is still writing (the unwinder's case): an empty
 * jitdump, then jitdump_update() reads what fd holds past what was read
 * before and adds the records now complete (a record cut at the end is
 * read next time). Names, lines and unwinding bytes handed out before stay
 * valid; a struct jitdump_code pointer only until the next update. 0, or a
 * negative errno (not a jitdump: later calls do nothing). */
struct jitdump *jitdump_new(void);
int jitdump_update(struct jitdump *jd, int fd);
void jitdump_free(struct jitdump *jd);

const struct jitdump_header *jitdump_header(const struct jitdump *jd);
const struct jitdump_stats *jitdump_stats(const struct jitdump *jd);
/* Code loads in file order. */
size_t jitdump_count(const struct jitdump *jd);
const struct jitdump_code *jitdump_code_at(const struct jitdump *jd, size_t i);
/* The code holding pc; where loads overlap (a runtime reuses freed code
 * memory), the one loaded last. NULL when none. */
const struct jitdump_code *jitdump_lookup(const struct jitdump *jd, uint64_t pc);
/* The debug line entry for pc: the last one at or before it; NULL when none. */
const struct jitdump_line *jitdump_line(const struct jitdump_code *c, uint64_t pc);

/* What an unwinder needs for pc in JIT code, laid out as perf lays it out
 * (perf inject --jit): .eh_frame at code_addr + ALIGN_8(code_size), then
 * .eh_frame_hdr; the runtime's pc-relative encodings assume that place. */
struct jitdump_unwind {
	uint64_t code_addr, code_size;
	const unsigned char *eh_frame;
	uint64_t eh_frame_addr, eh_frame_size;
	const unsigned char *eh_frame_hdr;
	uint64_t eh_frame_hdr_addr, eh_frame_hdr_size;
	/* From the header: its binary-search table (pairs of datarel sdata4
	 * initial_loc, fde address, relative to eh_frame_hdr_addr). */
	uint64_t table_addr, fde_count;
};

/* Fills *u for the code holding pc. -ENOENT: no code there, or it came
 * without unwinding info; -EINVAL: its .eh_frame_hdr is not version 1 with a
 * datarel sdata4 table inside the bytes given. */
int jitdump_unwind_info(const struct jitdump *jd, uint64_t pc, struct jitdump_unwind *u);
/* Copies len (at most 64) bytes at addr from u's .eh_frame and
 * .eh_frame_hdr (the unwinder's memory accessor serves these addresses from
 * here); bytes of [addr, addr+len) outside them read as zero, since
 * libunwind reads aligned words. False when none is inside. */
bool jitdump_unwind_read(const struct jitdump_unwind *u, uint64_t addr, void *buf, size_t len);

/* The marker mapping: a runtime maps its jit-PID.dump executable so that a
 * profiler can find it. In a /proc/PID/maps text, the first executable
 * mapping of a file named jit-NSPID.dump: its path as the target sees it and
 * its start, end and inode. 0, or -ENOENT. *path is malloc'd. */
int jitdump_find_mapping(const char *maps_text, int nspid, char **path, uint64_t *start,
			 uint64_t *end, uint64_t *ino);
/* Opens the jitdump of a running process: found through its marker mapping,
 * through /proc/PID/map_files (the mapped file itself) or else inside rootfd
 * at the mapped path (same inode), a regular file owned by euid. Returns an
 * fd, or a negative errno (-ENOENT: none; -EPERM: someone else's). */
int jitdump_open(pid_t pid, int rootfd, uid_t euid, int nspid);

#endif
