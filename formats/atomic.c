#include "formats/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "profiler/base/errstr.h"
#include "profiler/base/itab.h"

/* How long one wait lasts before o->cancelled is asked again. */
#define WAIT_MS 100
/* Symlinks followed by hand before giving up, as the kernel's limit. */
#define MAX_HOPS 40
/* A temporary's name keeps this much of the final name (NAME_MAX is 255). */
#define TEMP_BASE_MAX 200

enum out_kind {
	OUT_FILE,   /* new or regular: written aside, renamed into place */
	OUT_DEVICE, /* FIFO or character device: written into */
	OUT_FD,     /* "-", /dev/stdout, /dev/fd/N: a descriptor we were given */
};

struct atomic_file {
	enum out_kind kind;
	int dirfd;       /* the folder (O_PATH); -1 for OUT_FD */
	int fd;
	char *name;      /* the final name, in dirfd */
	char *tmp;       /* a named temporary in dirfd, else NULL */
	bool pollable;   /* a pipe, FIFO or device: wait for room before writing */
	struct atomic_opts o;
};

/* Where a path leads once its symlinks were followed (or refused). */
struct resolved {
	int dirfd;
	char *name;
	bool exists;
	struct stat st; /* of the name, not followed; valid when exists */
};

static int fail(struct strbuf *why, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct strbuf *why, int err, const char *fmt, ...)
{
	if (why) {
		strbuf_reset(why);
		if (fmt) {
			va_list ap;
			va_start(ap, fmt);
			strbuf_vaddf(why, fmt, ap);
			va_end(ap);
		} else {
			strbuf_adds(why, errstr(err));
		}
	}
	errno = err;
	return -err;
}

/* The error's own text and what to check when it is a permission. */
static int fail_errno(struct strbuf *why, int err)
{
	if (err == EACCES || err == EPERM)
		return fail(why, err, "%s (check the folder is writable)", errstr(err));
	return fail(why, err, NULL);
}

/* Without a callback: a stop signal the process blocked (for a signalfd)
 * and nobody reads while we wait or write. Unblocked, it ends the process
 * the default way and never shows here. */
static bool stop_signal_pending(void)
{
	sigset_t set;
	return sigpending(&set) == 0 && (sigismember(&set, SIGINT) == 1 || sigismember(&set, SIGTERM) == 1 ||
					 sigismember(&set, SIGHUP) == 1);
}

static bool cancelled(const struct atomic_opts *o)
{
	return o->cancelled ? o->cancelled(o->cancel_arg) : stop_signal_pending();
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Names nobody can guess: a user who plants the next temporary names in a
 * shared folder must not be able to make root's writes fail. */
static uint64_t random_u64(void)
{
	uint64_t v;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	/* No getrandom (or no entropy yet): mixed clock, pid and a counter are
	 * still not predictable enough to plant ahead of many names. */
	static uint64_t counter;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	v = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ ((uint64_t)getpid() << 16) ^ ++counter;
	return hash_mix(v, (uint64_t)(uintptr_t)&v);
}

static char *temp_name(const char *name)
{
	return xasprintf(".%.*s.tmp%016llx", TEMP_BASE_MAX, name, (unsigned long long)random_u64());
}

/* Opens the folder of path relative to at, and gives the last component. */
static int open_folder(int at, const char *path, char **name, struct strbuf *why)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	if (!*base)
		return fail(why, EISDIR, "it names a folder (give a file name)");
	char *folder = slash ? (slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path))) : xstrdup(".");
	int fd = openat(at, folder, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int e = errno;
	free(folder);
	if (fd < 0) {
		if (e == ENOENT)
			return fail(why, e, "%s (check the folder exists)", errstr(e));
		if (e == EACCES)
			return fail(why, e, "%s (check the folder can be searched and written)", errstr(e));
		return fail(why, e, NULL);
	}
	*name = xstrdup(base);
	return fd;
}

/* The kernel's protected_symlinks rule, applied whatever the sysctl says: a
 * link in a sticky world-writable folder (/tmp) is followed only if it is
 * ours or the folder owner's. Anyone else's would have root write where that
 * user chose. */
static bool link_trusted(int dirfd, const struct stat *lst)
{
	struct stat d;
	if (lst->st_uid == geteuid())
		return true;
	if (fstat(dirfd, &d) != 0)
		return false;
	return !(d.st_mode & S_ISVTX) || !(d.st_mode & S_IWOTH) || d.st_uid == lst->st_uid;
}

static void resolved_release(struct resolved *r)
{
	if (r->dirfd >= 0)
		close(r->dirfd);
	r->dirfd = -1;
	free(r->name);
	r->name = NULL;
}

/* Decides what the path is on one fstatat() per name, following trusted
 * links one hop at a time relative to the folder descriptor (no realpath:
 * a name that changes between a check and its use is the attack). */
static int resolve(const char *path, struct resolved *r, struct strbuf *why)
{
	memset(r, 0, sizeof(*r));
	r->dirfd = open_folder(AT_FDCWD, path, &r->name, why);
	if (r->dirfd < 0)
		return r->dirfd;
	for (int hops = 0;; hops++) {
		if (fstatat(r->dirfd, r->name, &r->st, AT_SYMLINK_NOFOLLOW) != 0) {
			int e = errno;
			if (e == ENOENT) {
				r->exists = false;
				return 0;
			}
			resolved_release(r);
			return fail(why, e, NULL);
		}
		r->exists = true;
		if (!S_ISLNK(r->st.st_mode))
			return 0;
		if (!link_trusted(r->dirfd, &r->st)) {
			resolved_release(r);
			return fail(why, EACCES,
				    "a symbolic link another user put in a shared sticky folder: not followed "
				    "(remove it or write elsewhere)");
		}
		if (hops == MAX_HOPS) {
			resolved_release(r);
			return fail(why, ELOOP, NULL);
		}
		char target[PATH_MAX];
		ssize_t n = readlinkat(r->dirfd, r->name, target, sizeof(target));
		if (n < 0 || n == (ssize_t)sizeof(target)) {
			int e = n < 0 ? errno : ENAMETOOLONG;
			resolved_release(r);
			if (e == EINVAL) /* no longer a link */
				return fail(why, EAGAIN, "it changed while being looked at (try again)");
			return fail(why, e, NULL);
		}
		target[n] = '\0';
		char *next = NULL;
		int fd = open_folder(r->dirfd, target, &next, why);
		if (fd < 0) {
			resolved_release(r);
			return fd;
		}
		resolved_release(r);
		r->dirfd = fd;
		r->name = next;
	}
}

/* The descriptor a path names without being a file: "-" (stdout),
 * /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N. These are links the
 * kernel makes into our own descriptors (a pipe has no folder to rename
 * in): written into, as a shell's redirection would. -1 for any other path. */
static int given_fd(const char *path)
{
	if (!strcmp(path, "-") || !strcmp(path, "/dev/stdout"))
		return STDOUT_FILENO;
	if (!strcmp(path, "/dev/stderr"))
		return STDERR_FILENO;
	const char *n = !strncmp(path, "/dev/fd/", 8) ? path + 8 : !strncmp(path, "/proc/self/fd/", 14) ? path + 14 : NULL;
	if (!n || *n < '0' || *n > '9')
		return -1;
	char *end;
	long fd = strtol(n, &end, 10);
	return *end || fd > INT_MAX ? -1 : (int)fd;
}

/* What cannot be written into or replaced, named. */
static int refuse_kind(const struct stat *st, struct strbuf *why)
{
	if (S_ISDIR(st->st_mode))
		return fail(why, EISDIR, NULL);
	if (S_ISBLK(st->st_mode))
		return fail(why, EINVAL, "it is a block device (prowl writes files, FIFOs and character devices only)");
	if (S_ISSOCK(st->st_mode))
		return fail(why, EINVAL, "it is a socket (prowl writes files, FIFOs and character devices only)");
	return 0;
}

bool atomic_private_for(const pid_t *pids, size_t npids)
{
	if (geteuid() != 0)
		return false;
	for (size_t i = 0; i < npids; i++) {
		char proc[32];
		struct stat st;
		snprintf(proc, sizeof(proc), "/proc/%d", (int)pids[i]);
		if (stat(proc, &st) != 0 || st.st_uid != 0)
			return true;
	}
	return false;
}

int atomic_check(const char *path, const struct atomic_opts *o, struct strbuf *why)
{
	static const struct atomic_opts none;
	if (!o)
		o = &none;
	if (!path || !*path)
		return fail(why, EINVAL, "no file name");
	int gfd = given_fd(path);
	if (gfd >= 0) {
		int fl = fcntl(gfd, F_GETFL);
		if (fl < 0)
			return fail(why, errno, gfd == STDOUT_FILENO ? "stdout is closed" : "that descriptor is closed");
		if ((fl & O_ACCMODE) == O_RDONLY)
			return fail(why, EBADF, "it is not open for writing");
		return 0;
	}
	struct resolved r;
	int rc = resolve(path, &r, why);
	if (rc < 0)
		return rc;
	if (r.exists && (rc = refuse_kind(&r.st, why)) < 0)
		goto out;
	if (r.exists && !S_ISREG(r.st.st_mode)) {
		if (faccessat(r.dirfd, r.name, W_OK, AT_EACCESS) != 0)
			rc = fail(why, errno, NULL);
		goto out;
	}
	/* A trial file that vanishes when closed finds a read-only or full
	 * folder the way the real write would. */
	int fd = o->named_temp ? -1 : openat(r.dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
	} else if (!o->named_temp && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
		rc = fail_errno(why, errno);
	} else if (faccessat(r.dirfd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
		rc = fail_errno(why, errno);
	}
out:
	resolved_release(&r);
	return rc;
}

static int open_temp(struct atomic_file *f, struct strbuf *why)
{
	mode_t mode = f->o.private_mode ? 0600 : 0666;
	if (!f->o.named_temp) {
		/* Unnamed: a writer killed halfway leaves nothing behind. */
		f->fd = openat(f->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
		if (f->fd >= 0)
			return 0;
		/* EISDIR and EINVAL: a kernel without O_TMPFILE; EOPNOTSUPP: a
		 * filesystem without it. */
		if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
			return fail_errno(why, errno);
	}
	for (int tries = 0; tries < 64; tries++) {
		char *t = temp_name(f->name);
		f->fd = openat(f->dirfd, t, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (f->fd >= 0) {
			f->tmp = t;
			return 0;
		}
		int e = errno;
		free(t);
		if (e != EEXIST)
			return fail_errno(why, e);
	}
	return fail(why, EEXIST, "no free temporary name in the folder");
}

/* A FIFO without a reader fails a non-blocking open with ENXIO: it is
 * waited for in short naps, so a signal (or o->cancelled) always ends the
 * wait; a blocking open would sit in the kernel with the signals blocked. */
static int open_device(struct atomic_file *f, const struct stat *st, struct strbuf *why)
{
	for (;;) {
		f->fd = openat(f->dirfd, f->name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (f->fd >= 0)
			break;
		int e = errno;
		if (e == EINTR)
			continue;
		if (e == ELOOP)
			return fail(why, EAGAIN, "it became a symbolic link while being opened: not followed");
		if (e != ENXIO || !S_ISFIFO(st->st_mode))
			return fail(why, e, NULL);
		if (cancelled(&f->o))
			return fail(why, EINTR, "nobody opened the FIFO for reading (interrupted while waiting)");
		nap_ms(WAIT_MS / 2);
	}
	/* The descriptor decides, not the name looked at before: a name swapped
	 * for a regular file (a hard link to someone's file) is not written into. */
	struct stat now;
	if (fstat(f->fd, &now) != 0)
		return fail(why, errno, NULL);
	if (!S_ISFIFO(now.st_mode) && !S_ISCHR(now.st_mode))
		return fail(why, EAGAIN, "it changed while being opened (try again)");
	f->pollable = true;
	return 0;
}

int atomic_open(const char *path, const struct atomic_opts *o, struct atomic_file **out, struct strbuf *why)
{
	static const struct atomic_opts none;
	*out = NULL;
	if (!o)
		o = &none;
	if (!path || !*path)
		return fail(why, EINVAL, "no file name");
	struct atomic_file *f = xcalloc(1, sizeof(*f));
	f->o = *o;
	f->dirfd = f->fd = -1;
	int rc;
	int gfd = given_fd(path);
	if (gfd >= 0) {
		struct stat st;
		f->kind = OUT_FD;
		if (fstat(gfd, &st) != 0) {
			rc = fail(why, errno, gfd == STDOUT_FILENO ? "stdout is closed" : "that descriptor is closed");
			goto failed;
		}
		/* What stdio holds for the descriptor goes first. */
		fflush(gfd == STDERR_FILENO ? stderr : stdout);
		f->fd = gfd;
		f->pollable = !S_ISREG(st.st_mode);
		*out = f;
		return 0;
	}
	struct resolved r;
	rc = resolve(path, &r, why);
	if (rc < 0)
		goto failed;
	f->dirfd = r.dirfd;
	f->name = r.name;
	if (r.exists && (rc = refuse_kind(&r.st, why)) < 0)
		goto failed;
	if (r.exists && !S_ISREG(r.st.st_mode)) {
		/* /dev/null, a FIFO or a terminal: renaming over it would put a
		 * regular file in place of the device. */
		f->kind = OUT_DEVICE;
		rc = open_device(f, &r.st, why);
	} else {
		f->kind = OUT_FILE;
		rc = open_temp(f, why);
	}
	if (rc < 0)
		goto failed;
	*out = f;
	return 0;
failed:
	atomic_abort(f);
	errno = -rc;
	return rc;
}

bool atomic_replaces(const struct atomic_file *f)
{
	return f && f->kind == OUT_FILE;
}

/* The stream writers see: stdio forgets why a write failed (errno is gone by
 * the time ferror() says so), and "no space left" is the message that matters.
 * After the first failure the sink swallows the rest instead of failing
 * again: glibc's cookie streams are not safe to keep writing to once a write
 * has failed (a crash in fwrite), and the result is thrown away anyway. */
struct sink {
	struct atomic_file *f;
	int err;
};

static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
	struct sink *s = cookie;
	struct atomic_file *f = s->f;
	size_t done = 0;
	if (!s->err && cancelled(&f->o))
		s->err = EINTR;
	while (done < n && !s->err) {
		size_t chunk = n - done;
		if (f->pollable) {
			/* Wait for room in short steps (a reader that stopped reading
			 * must not hold us), then write what is sure to fit. */
			struct pollfd pfd = { f->fd, POLLOUT, 0 };
			int pr = poll(&pfd, 1, WAIT_MS);
			if (pr < 0 && errno != EINTR) {
				s->err = errno;
				break;
			}
			if (pr <= 0) {
				if (cancelled(&f->o))
					s->err = EINTR;
				continue;
			}
			if (chunk > PIPE_BUF)
				chunk = PIPE_BUF;
		}
		ssize_t w = write(f->fd, buf + done, chunk);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			s->err = errno;
			break;
		}
		done += (size_t)w;
	}
	return (ssize_t)n;
}

int atomic_write(struct atomic_file *f, int (*fn)(FILE *out, void *arg), void *arg)
{
	if (!f || !fn)
		return -EINVAL;
	struct sink sink = { f, 0 };
	cookie_io_functions_t io = { .write = sink_write };
	FILE *out = fopencookie(&sink, "w", io);
	if (!out)
		return -errno;
	char *buf = xmalloc(1 << 16);
	setvbuf(out, buf, _IOFBF, 1 << 16);
	int rc = fn(out, arg);
	if (fflush(out) != 0 || ferror(out))
		rc = rc ? rc : -EIO;
	if (sink.err)
		rc = -sink.err;
	fclose(out);
	free(buf);
	if (rc < 0)
		errno = -rc;
	return rc;
}

/* Gives the unnamed file a random name in the folder. /proc/self/fd works
 * for anyone; AT_EMPTY_PATH (root only) where /proc is not mounted. */
static int link_unnamed(struct atomic_file *f)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", f->fd);
	for (int tries = 0; tries < 64; tries++) {
		char *t = temp_name(f->name);
		int r = linkat(AT_FDCWD, proc, f->dirfd, t, AT_SYMLINK_FOLLOW);
		if (r != 0 && errno == ENOENT)
			r = linkat(f->fd, "", f->dirfd, t, AT_EMPTY_PATH);
		if (r == 0) {
			f->tmp = t;
			return 0;
		}
		int e = errno;
		free(t);
		if (e != EEXIST)
			return -e;
	}
	return -EEXIST;
}

int atomic_commit(struct atomic_file *f)
{
	if (!f)
		return -EINVAL;
	int rc = 0;
	if (f->kind == OUT_FILE) {
		if (fsync(f->fd) != 0 && errno != EINVAL && errno != EROFS)
			rc = -errno;
		/* Between the link and the rename the file has a temporary name:
		 * a terminating signal is held off for these two calls so that it
		 * cannot leave one behind. */
		sigset_t term, old;
		sigemptyset(&term);
		sigaddset(&term, SIGINT);
		sigaddset(&term, SIGTERM);
		sigaddset(&term, SIGHUP);
		sigprocmask(SIG_BLOCK, &term, &old);
		if (rc == 0 && !f->tmp)
			rc = link_unnamed(f);
		/* Relative to the folder descriptor: whatever the name became
		 * meanwhile (a symlink included) is replaced, never followed. */
		if (rc == 0 && renameat(f->dirfd, f->tmp, f->dirfd, f->name) != 0)
			rc = -errno;
		if (rc == 0) {
			free(f->tmp);
			f->tmp = NULL;
		} else if (f->tmp) {
			unlinkat(f->dirfd, f->tmp, 0);
			free(f->tmp);
			f->tmp = NULL;
		}
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	if (f->kind != OUT_FD && f->fd >= 0 && close(f->fd) != 0 && rc == 0 && errno != EINTR)
		rc = -errno;
	f->fd = -1;
	atomic_abort(f);
	if (rc < 0)
		errno = -rc;
	return rc;
}

void atomic_abort(struct atomic_file *f)
{
	if (!f)
		return;
	int e = errno;
	if (f->kind != OUT_FD && f->fd >= 0)
		close(f->fd);
	if (f->tmp)
		unlinkat(f->dirfd, f->tmp, 0);
	if (f->dirfd >= 0)
		close(f->dirfd);
	free(f->tmp);
	free(f->name);
	free(f);
	errno = e;
}

int atomic_write_file(const char *path, const struct atomic_opts *o, int (*fn)(FILE *out, void *arg),
		      void *arg, struct strbuf *why)
{
	struct atomic_file *f;
	int rc = atomic_open(path, o, &f, why);
	if (rc < 0)
		return rc;
	rc = atomic_write(f, fn, arg);
	if (rc < 0) {
		atomic_abort(f);
		errno = -rc;
		return rc;
	}
	return atomic_commit(f);
}
