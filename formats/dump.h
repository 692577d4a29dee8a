/*
 * dump: the writer of `prowl dump` (every thread's stack once), as text or as
 * one JSON document. The caller fills a struct dump_doc with names already
 * resolved; the writer only formats. Output is always valid UTF-8: names
 * from the target are untrusted bytes, so text shows control and invalid
 * bytes as \xNN and JSON escapes control characters and replaces invalid
 * bytes with U+FFFD (formats/escape.h). Strings in the doc are
 * borrowed. Returns 0 or a negative errno (errno set) when the stream fails.
 */
#ifndef PROWL_FORMAT_DUMP_H
#define PROWL_FORMAT_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct dump_frame {
	uint64_t address;   /* as unwound (a return address for callers) */
	const char *name;   /* what to show: the function, or "file+0xOFF" / "[unknown]" */
	bool named;         /* the name is a function's (else a fallback) */
	const char *symbol; /* the linkage name when it differs from name, or NULL */
	const char *file;   /* source file or NULL */
	unsigned line;      /* 0 when unknown */
	bool inlined;       /* inlined into the next frame */
	const char *module; /* path of the module, or NULL */
	uint64_t offset;    /* address in the module's ELF vaddr space (absolute without module) */
	bool python;        /* a CPython frame: name, file and line only (no address, no module) */
};

struct dump_thread {
	int tid;
	const char *name;
	char state;         /* scheduler letter (0: unknown) */
	const char *state_label; /* "sleeping", "running", ... */
	const char *syscall; /* the system call it waits in ("futex"), or NULL */
	const char *wait;    /* what that call waits for ("lock wait", "poll", "I/O wait"), or NULL */
	const char *error;  /* why the stack was not read, or NULL */
	const char *incomplete; /* why the stack is cut short ("too deep"), or NULL when complete */
	const struct dump_frame *frames;
	size_t nframes;
};

struct dump_doc {
	int pid;
	const char *command; /* or NULL */
	const struct dump_thread *threads;
	size_t nthreads;
	const char *python;  /* "python 3.11.7 (/usr/bin/python3.11)" when its frames are merged in, or NULL */
};

int dump_write_text(FILE *out, const struct dump_doc *d);
int dump_write_json(FILE *out, const struct dump_doc *d);

#endif
