/*
 * tfile: opens files on a target's behalf, where the target chooses the path
 * (its mapped files, debug links, build-id links, perf maps). A path is
 * resolved inside the target's root (/proc/PID/root) as if the target had
 * chrooted there: openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), or, where
 * the kernel lacks openat2, by hand one component at a time with ".." and
 * absolute symlinks kept inside that root. Only regular files are opened
 * (a FIFO or device is looked at through O_PATH, never opened), with
 * O_NONBLOCK so nothing can block prowl. Returns an fd the caller closes, or
 * a negative errno (-EINVAL: not a regular file). Never prints.
 */
#ifndef PROWL_TFILE_H
#define PROWL_TFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* An O_PATH descriptor of the target's root folder, or a negative errno. */
int tfile_root(pid_t pid);

/* Opens path (absolute or not, taken from rootfd's top) inside rootfd for
 * reading; *st (may be NULL) gets its fstat. */
int tfile_open_in(int rootfd, const char *path, struct stat *st);

/* Opens a path of prowl's own namespace, or one spelled /proc/PID/root/REST
 * (then REST is resolved inside that root), or /proc/PID/map_files/...
 * (the kernel's link to the mapped file). Regular files only, O_NONBLOCK. */
int tfile_open(const char *path, struct stat *st);

/* When path is /proc/PID/..., that PID; else 0. */
pid_t tfile_proc_pid(const char *path);

/* Reads the whole of fd (a regular file) into *buf (malloc'd, NUL added),
 * *len bytes; -EFBIG when it is longer than max. */
int tfile_read_all(int fd, size_t max, char **buf, size_t *len);

/* Test hook: resolve by hand even where openat2 exists. */
extern bool tfile_force_fallback;

#endif
