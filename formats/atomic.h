/*
 * atomic: where prowl's outputs go, opened so that root writing into a folder
 * other users share cannot be turned against its own files.
 *
 * The folder is opened once (O_PATH) and every later step is relative to it.
 * What the name is gets decided on one fstatat() that does not follow links:
 * - new, or a regular file: the profile is written unnamed (O_TMPFILE) in the
 *   folder, then linked under a random temporary name and renamed over the
 *   name. Readers see the old file or the whole new one; a name swapped for a
 *   symlink meanwhile is replaced, never followed. Where O_TMPFILE is missing
 *   a named temporary (random name, O_EXCL) takes its place.
 * - a FIFO or character device: written into, opened O_NOFOLLOW|O_NONBLOCK
 *   (a FIFO without a reader is waited for, never blocked in) and checked on
 *   the open descriptor;
 * - a symlink: followed by hand, one hop at a time, only when the kernel's
 *   protected_symlinks rule would (ours, the folder owner's, or outside a
 *   sticky world-writable folder); the link stays, its target gets the file;
 * - "-" (stdout), /dev/stdout, /dev/stderr, /dev/fd/N: that descriptor,
 *   written into.
 * Modes are 0666 (private: 0600) less the umask.
 *
 * Memory: an atomic_file belongs to the caller from atomic_open() until
 * atomic_commit() or atomic_abort(), which free it. Errors: 0 or a negative
 * errno, errno set to match; where the number says too little (a planted
 * link, a FIFO nobody reads), *why gets one line (no path, lowercase). Never
 * prints, never exits.
 */
#ifndef PROWL_ATOMIC_H
#define PROWL_ATOMIC_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "profiler/base/util.h"

struct atomic_opts {
	/* 0600 instead of 0666 (both less the umask): root's profile of another
	 * user's process may hold what that user may not read. */
	bool private_mode;
	/* Asked every ~100 ms while waiting (a FIFO's reader, a full pipe) and
	 * at every buffer written; true stops the wait or write with -EINTR.
	 * NULL: stop when SIGINT, SIGTERM or SIGHUP is pending (blocked by a
	 * caller that reads them from a signalfd; unblocked, they end the
	 * process the default way). */
	bool (*cancelled)(void *arg);
	void *cancel_arg;
	/* Tests only: a named temporary, as where O_TMPFILE is not supported. */
	bool named_temp;
};

struct atomic_file;

/* Whether a profile of these processes should be private_mode: made by root
 * of a process root does not own (or that is gone). */
bool atomic_private_for(const pid_t *pids, size_t npids);

/* Decides what path is and whether a profile could be written there, without
 * creating or opening the name itself: for a command to fail before its work
 * rather than after. */
int atomic_check(const char *path, const struct atomic_opts *o, struct strbuf *why);
/* Opens the output ("-": stdout). A FIFO without a reader is waited for until
 * one comes or o->cancelled says stop (-EINTR). o may be NULL. */
int atomic_open(const char *path, const struct atomic_opts *o, struct atomic_file **out, struct strbuf *why);
/* True when f is a file published by rename (a failed write leaves the old
 * one); false when written into (a FIFO, a device, stdout). */
bool atomic_replaces(const struct atomic_file *f);
/* Runs fn on a buffered stream into f: 0 only if fn returned 0 and every byte
 * was written. */
int atomic_write(struct atomic_file *f, int (*fn)(FILE *out, void *arg), void *arg);
/* Makes the written file the name (syncs, links, renames; into a FIFO or
 * device: closes). Frees f. On failure nothing is left but the old file. */
int atomic_commit(struct atomic_file *f);
/* Throws away what was written; the old file, if any, stays. Frees f (NULL: no-op). */
void atomic_abort(struct atomic_file *f);
/* open, write, commit (abort on any failure). */
int atomic_write_file(const char *path, const struct atomic_opts *o, int (*fn)(FILE *out, void *arg),
		      void *arg, struct strbuf *why);

#endif
