/*
 * debugfile: finds the separate debug file of an ELF module: by build-id under
 * the debug folder, by .gnu_debuglink, then through debuginfod when
 * DEBUGINFOD_URLS is set. The target chooses these paths (its root, its
 * links), so they are resolved inside its root (symbolize/tfile.h), only
 * regular files are opened, and a file is accepted only when it is the
 * module's: same build-id, or, for a module without one, the CRC its
 * .gnu_debuglink promises. Owned by the symbolizer (and capture's unwinder);
 * returns an open fd or a negative errno, never prints.
 */
#ifndef PROWL_DEBUGFILE_H
#define PROWL_DEBUGFILE_H

#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct debugfile_query {
	Elf *elf;                   /* the module's ELF (for .gnu_debuglink) */
	const char *open_path;      /* path it was opened by, or NULL for an image;
				       /proc/PID/... means "look inside PID's root" */
	const char *name;           /* path as the target maps it */
	const unsigned char *build_id; /* raw build-id bytes, or NULL */
	size_t build_id_len;
	const char *debug_dir;      /* e.g. /usr/lib/debug */
	bool use_debuginfod;
	pid_t pid;                  /* whose root to search; 0: taken from open_path */
	dev_t dev;                  /* the module file itself (never its own debug
				       file); both 0 when unknown */
	ino_t ino;
};

/* Opens the best debug file for q; on success returns an fd and sets *path
 * (malloc'd). Returns -ENOENT when there is none. */
int debugfile_find(const struct debugfile_query *q, char **path);

/* The CRC-32 used by .gnu_debuglink, over a whole file; 0 on success. */
int debugfile_crc32(int fd, unsigned *crc);

/* Reads the build-id note of elf into *id (malloc'd); returns its length or 0.
 * (Same as elfx_build_id(), kept for capture's unwinder.) */
size_t debugfile_build_id(Elf *elf, unsigned char **id);

#endif
