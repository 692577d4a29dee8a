#include "formats/format.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profiler/base/util.h"
#include "formats/collapsed.h"
#include "formats/perfscript.h"
#include "formats/pprof.h"
#include "formats/report.h"
#include "formats/speedscope.h"
#include "formats/svg.h"

static const struct {
	const char *name;
	enum format f;
} names[] = {
	{ "folded", FORMAT_COLLAPSED },
	{ "collapsed", FORMAT_COLLAPSED },
	{ "svg", FORMAT_SVG },
	{ "flamegraph", FORMAT_SVG },
	{ "speedscope", FORMAT_SPEEDSCOPE },
	{ "json", FORMAT_SPEEDSCOPE },
	{ "pprof", FORMAT_PPROF },
	{ "report", FORMAT_REPORT },
	{ "text", FORMAT_REPORT },
	{ "perf-script", FORMAT_PERF_SCRIPT },
};

enum format format_by_name(const char *name)
{
	if (!name)
		return FORMAT_NONE;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(names[i].name, name) == 0)
			return names[i].f;
	return FORMAT_NONE;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

enum format format_by_path(const char *path)
{
	static const struct {
		const char *ext;
		enum format f;
	} exts[] = {
		{ ".svg", FORMAT_SVG },
		{ ".folded", FORMAT_COLLAPSED },
		{ ".collapsed", FORMAT_COLLAPSED },
		{ ".txt", FORMAT_COLLAPSED },
		{ ".json", FORMAT_SPEEDSCOPE },
		{ ".speedscope", FORMAT_SPEEDSCOPE },
		{ ".pb.gz", FORMAT_PPROF },
		{ ".pprof", FORMAT_PPROF },
		{ ".pb", FORMAT_PPROF },
	};
	if (!path)
		return FORMAT_NONE;
	for (size_t i = 0; i < ARRAY_SIZE(exts); i++)
		if (ends_with(path, exts[i].ext))
			return exts[i].f;
	return FORMAT_NONE;
}

const char *format_name(enum format f)
{
	switch (f) {
	case FORMAT_COLLAPSED: return "collapsed";
	case FORMAT_SVG: return "svg";
	case FORMAT_SPEEDSCOPE: return "speedscope";
	case FORMAT_PPROF: return "pprof";
	case FORMAT_REPORT: return "report";
	case FORMAT_PERF_SCRIPT: return "perf-script";
	case FORMAT_NONE: break;
	}
	return "none";
}

int profile_write_stream(const struct profile *p, enum format f, FILE *out,
			 const struct write_opts *o)
{
	static const struct write_opts none;
	if (!o)
		o = &none;
	int rc;
	switch (f) {
	case FORMAT_COLLAPSED:
		rc = collapsed_write(p, out, o);
		break;
	case FORMAT_REPORT:
		rc = report_write(p, out, o);
		break;
	case FORMAT_SVG:
		rc = svg_write(p, out, o);
		break;
	case FORMAT_SPEEDSCOPE:
		rc = speedscope_write(p, out, o);
		break;
	case FORMAT_PPROF:
		rc = pprof_write(p, out, o);
		break;
	default:
		return -EINVAL;
	}
	if (rc < 0)
		return rc;
	if (fflush(out) != 0 || ferror(out))
		return errno ? -errno : -EIO;
	return 0;
}

/*
 * The file is written unnamed (O_TMPFILE) in the destination folder, so a
 * writer killed halfway leaves nothing behind; once complete and synced it
 * gets a temporary name and is renamed over the destination, so readers only
 * ever see the old file or the whole new one. Filesystems without O_TMPFILE
 * get a named temporary file instead, removed on every error path.
 */
static int open_temp(const char *path, char **tmpname, bool *unnamed)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (!slash) {
		free(dir);
		dir = xstrdup(".");
	} else if (slash == dir) {
		slash[1] = '\0';
	} else {
		*slash = '\0';
	}
	int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
	free(dir);
	if (fd >= 0) {
		*unnamed = true;
		*tmpname = NULL;
		return fd;
	}
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != ENOENT)
		return -errno;
	if (errno == ENOENT) {
		/* O_TMPFILE says ENOENT for a missing folder and for old kernels alike. */
		struct stat st;
		char *d = xstrdup(path);
		char *sl = strrchr(d, '/');
		int missing = sl && sl != d && (*sl = '\0', stat(d, &st) != 0);
		free(d);
		if (missing)
			return -ENOENT;
	}
	*unnamed = false;
	*tmpname = xasprintf("%s.tmpXXXXXX", path);
	fd = mkostemp(*tmpname, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		free(*tmpname);
		*tmpname = NULL;
		return -e;
	}
	/* mkstemp makes 0600; a profile is as readable as any file the user writes. */
	mode_t mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	return fd;
}

static int publish(int fd, const char *path, char **tmpname, bool unnamed)
{
	if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
		return -errno;
	if (unnamed) {
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		for (int tries = 0; tries < 100; tries++) {
			char *name = xasprintf("%s.tmp%06x", path, (unsigned)(rand() ^ getpid() ^ tries) & 0xffffff);
			if (linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW) == 0) {
				*tmpname = name;
				break;
			}
			int e = errno;
			free(name);
			if (e != EEXIST)
				return -e;
		}
		if (!*tmpname)
			return -EEXIST;
	}
	if (rename(*tmpname, path) != 0)
		return -errno;
	free(*tmpname);
	*tmpname = NULL;
	return 0;
}

/* The stream writers see: stdio forgets why a write failed (errno is gone by
 * the time ferror() says so), and "no space left" is the message that matters.
 * After the first failure the sink swallows the rest instead of failing
 * again: glibc's cookie streams are not safe to keep writing to once a write
 * has failed (a crash in fwrite), and the result is thrown away anyway. */
struct sink {
	int fd;
	int err;
};

static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
	struct sink *s = cookie;
	size_t done = 0;
	while (done < n && !s->err) {
		ssize_t w = write(s->fd, buf + done, n - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			s->err = errno;
			break;
		}
		done += (size_t)w;
	}
	return (ssize_t)n;
}

static int run_on_fd(int fd, int (*fn)(FILE *out, void *arg), void *arg)
{
	struct sink sink = { fd, 0 };
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
	return rc;
}

static int write_direct(const char *path, int (*fn)(FILE *out, void *arg), void *arg)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	int rc = run_on_fd(fd, fn, arg);
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

/* A link someone else planted in a sticky world-writable folder (/tmp) is
 * not followed, whatever fs.protected_symlinks says: it would have root
 * write a profile over any file (or device) that user chose. The kernel's
 * rule: follow our own links, the folder owner's, or any outside such folders. */
static bool link_trusted(const char *path, const struct stat *lst)
{
	if (lst->st_uid == geteuid())
		return true;
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	struct stat dst;
	bool ok = stat(dir, &dst) == 0 &&
		  (!(dst.st_mode & S_ISVTX) || !(dst.st_mode & S_IWOTH) || dst.st_uid == lst->st_uid);
	free(dir);
	return ok;
}

int format_write_atomic(const char *path, int (*fn)(FILE *out, void *arg), void *arg)
{
	if (!path)
		return -EINVAL;
	if (strcmp(path, "-") == 0) {
		int rc = fn(stdout, arg);
		if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout)))
			rc = errno ? -errno : -EIO;
		return rc;
	}
	/* Only a regular file (or a new one) is replaced. /dev/null, a FIFO or a
	 * terminal is written into: renaming over it would put a regular file in
	 * place of the device. A symbolic link keeps pointing where it did: its
	 * target is replaced. */
	struct stat st;
	char *real = NULL;
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && !link_trusted(path, &st))
		return -EACCES;
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		if (!S_ISREG(st.st_mode))
			return write_direct(path, fn, arg);
		struct stat lst;
		if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
			real = realpath(path, NULL);
			if (!real)
				return -errno;
			path = real;
		}
	}
	char *tmpname = NULL;
	bool unnamed = false;
	int fd = open_temp(path, &tmpname, &unnamed);
	if (fd < 0) {
		free(real);
		return fd;
	}
	int rc = run_on_fd(fd, fn, arg);
	if (rc == 0)
		rc = publish(fd, path, &tmpname, unnamed);
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (tmpname) {
		unlink(tmpname);
		free(tmpname);
	}
	free(real);
	return rc;
}

struct write_job {
	const struct profile *p;
	enum format f;
	const struct write_opts *o;
};

static int write_job_run(FILE *out, void *arg)
{
	const struct write_job *j = arg;
	return profile_write_stream(j->p, j->f, out, j->o);
}

int profile_write(const struct profile *p, enum format f, const char *path,
		  const struct write_opts *o)
{
	if (!p || !path || f == FORMAT_NONE || f == FORMAT_PERF_SCRIPT)
		return -EINVAL;
	struct write_job j = { p, f, o };
	return format_write_atomic(path, write_job_run, &j);
}

/* Text formats are text: a NUL, or control bytes beyond one in a thousand
 * (random bytes have one in nine), mean binary data that happens to begin
 * like a profile; reading it would report garbage as samples. */
static bool looks_like_text(const char *data, size_t len)
{
	size_t ctl = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];
		if (c == 0)
			return false;
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1b) || c == 0x7f)
			ctl++;
	}
	return ctl <= 8 + len / 1000;
}

enum format format_detect(const char *data, size_t len)
{
	if (len >= 2 && (unsigned char)data[0] == 0x1f && (unsigned char)data[1] == 0x8b)
		return FORMAT_PPROF;
	if (!looks_like_text(data, len))
		return FORMAT_NONE;
	size_t i = 0;
	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r'))
		i++;
	if (i < len && data[i] == '{')
		return FORMAT_SPEEDSCOPE;
	/* Before collapsed: "comm 1234" alone would pass for a folded line. */
	if (perfscript_probe(data, len))
		return FORMAT_PERF_SCRIPT;
	if (collapsed_probe(data, len))
		return FORMAT_COLLAPSED;
	return FORMAT_NONE;
}

struct profile *profile_read_mem(const char *data, size_t len, const struct read_opts *o)
{
	enum format f = o && o->format != FORMAT_NONE ? o->format : format_detect(data, len);
	switch (f) {
	case FORMAT_COLLAPSED:
		return collapsed_read(data, len);
	case FORMAT_PERF_SCRIPT:
		return perfscript_read(data, len, o);
	case FORMAT_SPEEDSCOPE:
		return speedscope_read(data, len);
	case FORMAT_PPROF:
		return pprof_read(data, len);
	default:
		errno = EINVAL;
		return NULL;
	}
}

/* Reads a whole file (or stdin) into memory; profiles are read at once anyway. */
static char *slurp(const char *path, size_t *len)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		return NULL;
	}
	size_t cap = 1 << 16, n = 0;
	char *buf = xmalloc(cap + 1);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(buf);
			if (fd)
				close(fd);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (fd)
		close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

struct profile *profile_read_opts(const char *path, const struct read_opts *o)
{
	size_t len;
	char *data = slurp(path, &len);
	if (!data)
		return NULL;
	struct profile *p = profile_read_mem(data, len, o);
	int e = errno;
	free(data);
	errno = e;
	return p;
}

struct profile *profile_read(const char *path)
{
	return profile_read_opts(path, NULL);
}
