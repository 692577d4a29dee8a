/*
 * tfile: the kernel's openat2(RESOLVE_IN_ROOT) does exactly what prowl needs
 * and is race-free; the by-hand walk keeps the same rules on older kernels.
 * Both look at the last component through O_PATH first, so a FIFO or a
 * device node is never opened (opening a device can have effects).
 */
#include "symbolize/tfile.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "profiler/base/util.h"

#define MAX_LINKS 40  /* the kernel's own limit */
#define MAX_DEPTH 256 /* folders deep, for the by-hand walk */

bool tfile_force_fallback;
static bool no_openat2;

int tfile_root(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

pid_t tfile_proc_pid(const char *path)
{
	if (!path || strncmp(path, "/proc/", 6))
		return 0;
	const char *p = path + 6, *d = p;
	long v = 0;
	while (isdigit((unsigned char)*p) && v < INT_MAX / 10)
		v = v * 10 + (*p++ - '0');
	if (p == d || *p != '/' || v <= 0)
		return 0;
	return (pid_t)v;
}

static int try_openat2(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)flags,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	for (int tries = 0; tries < 8; tries++) {
		long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		/* EAGAIN: a rename raced with the walk; the kernel asks us to retry. */
		if (errno != EAGAIN)
			return -errno;
	}
	return -EAGAIN;
}

/* One component at a time from rootfd. Folders are kept as a stack of fds so
 * ".." pops instead of asking the file system (which could lead out of the
 * root if a folder is moved meanwhile), and an absolute link empties it. The
 * link text is read, never followed by the kernel, so magic links (/proc/N/root)
 * are only text here. Returns an O_PATH fd of the final file. */
static int walk_by_hand(int rootfd, const char *path)
{
	int fds[MAX_DEPTH];
	int depth = 0, links = 0, ret = -ENOENT;
	fds[0] = rootfd;
	char *buf = xstrdup(path), *p = buf;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p) {
			ret = -EISDIR;
			break;
		}
		char *end = strchrnul(p, '/');
		size_t len = (size_t)(end - p);
		if (len > NAME_MAX) {
			ret = -ENAMETOOLONG;
			break;
		}
		char name[NAME_MAX + 1];
		memcpy(name, p, len);
		name[len] = 0;
		p = end;
		const char *q = p;
		while (*q == '/')
			q++;
		bool last = !*q;
		if (!strcmp(name, ".") || !strcmp(name, "..")) {
			if (name[1] && depth)
				close(fds[depth--]);
			if (last) {
				ret = -EISDIR;
				break;
			}
			continue;
		}
		int fd = openat(fds[depth], name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			ret = -errno;
			break;
		}
		struct stat st;
		if (fstat(fd, &st) != 0) {
			ret = -errno;
			close(fd);
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			char link[PATH_MAX];
			ssize_t n = ++links > MAX_LINKS ? -1 : readlinkat(fd, "", link, sizeof(link) - 1);
			int e = links > MAX_LINKS ? ELOOP : errno;
			close(fd);
			if (n <= 0) {
				ret = n < 0 ? -e : -ENOENT;
				break;
			}
			link[n] = 0;
			if (link[0] == '/')
				while (depth)
					close(fds[depth--]);
			char *nb = xasprintf("%s%s", link, p);
			free(buf);
			buf = p = nb;
			continue;
		}
		if (last) {
			ret = fd;
			break;
		}
		if (!S_ISDIR(st.st_mode)) {
			close(fd);
			ret = -ENOTDIR;
			break;
		}
		if (depth + 1 >= MAX_DEPTH) {
			close(fd);
			ret = -ENAMETOOLONG;
			break;
		}
		fds[++depth] = fd;
	}
	while (depth)
		close(fds[depth--]);
	free(buf);
	return ret;
}

/* Opens the O_PATH fd's file for reading once fstat says it is a regular
 * file: through /proc/self/fd, which reopens that very inode, so nothing can
 * be swapped in between the check and the open. Consumes pfd. */
static int reopen_regular(int pfd, struct stat *st)
{
	struct stat tmp, *s = st ? st : &tmp;
	if (fstat(pfd, s) != 0) {
		int e = errno;
		close(pfd);
		return -e;
	}
	if (!S_ISREG(s->st_mode)) {
		close(pfd);
		return -EINVAL;
	}
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	int fd = open(self, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int e = errno;
	close(pfd);
	return fd < 0 ? -e : fd;
}

int tfile_open_in(int rootfd, const char *path, struct stat *st)
{
	if (rootfd < 0 || !path || !*path)
		return -EINVAL;
	int pfd = -ENOSYS;
	if (!tfile_force_fallback && !no_openat2) {
		pfd = try_openat2(rootfd, path, O_PATH | O_CLOEXEC);
		if (pfd == -ENOSYS || pfd == -E2BIG)
			no_openat2 = true;
	}
	if (tfile_force_fallback || no_openat2)
		pfd = walk_by_hand(rootfd, path);
	if (pfd < 0)
		return pfd;
	return reopen_regular(pfd, st);
}

int tfile_open(const char *path, struct stat *st)
{
	if (!path || !*path)
		return -EINVAL;
	pid_t pid = tfile_proc_pid(path);
	const char *rest = pid ? strchr(path + 6, '/') : NULL;
	if (rest && !strncmp(rest, "/root/", 6)) {
		int rootfd = tfile_root(pid);
		if (rootfd < 0)
			return rootfd;
		int fd = tfile_open_in(rootfd, rest + 5, st);
		close(rootfd);
		return fd;
	}
	/* prowl's own namespace, or a /proc link the kernel resolves to the
	 * mapped file itself: follow it, but look before opening. */
	int pfd = open(path, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	return reopen_regular(pfd, st);
}

int tfile_read_all(int fd, size_t max, char **buf, size_t *len)
{
	struct strbuf sb;
	strbuf_init(&sb);
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			strbuf_release(&sb);
			return -e;
		}
		if (n == 0)
			break;
		if (sb.len + (size_t)n > max) {
			strbuf_release(&sb);
			return -EFBIG;
		}
		strbuf_add(&sb, chunk, (size_t)n);
	}
	*len = sb.len;
	*buf = sb.buf ? strbuf_detach(&sb) : xstrdup("");
	return 0;
}
