/*
 * debugfile: the search order is the one gdb and elfutils use, so a machine
 * set up for them works for us: build-id, then debuglink next to the file, in
 * its .debug/ folder and under the global debug folder, then debuginfod.
 */
#include "symbolize/debugfile.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "profiler/base/util.h"
#include "symbolize/elf.h"
#include "symbolize/tfile.h"

int debugfile_crc32(int fd, unsigned *crc)
{
	unsigned char buf[65536];
	uLong c = crc32(0L, Z_NULL, 0);
	off_t off = 0;
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		c = crc32(c, buf, (uInt)n);
		off += n;
	}
	*crc = (unsigned)c;
	return 0;
}

size_t debugfile_build_id(Elf *elf, unsigned char **id)
{
	return elfx_build_id(elf, id);
}

/* Whether fd holds the module's debug info: the same build-id when the
 * module has one (then the CRC adds nothing and costs a read of the whole
 * file), else the CRC its .gnu_debuglink promises. A file that names no
 * CRC and no build-id to check against is never accepted. */
static bool matches(int fd, const struct debugfile_query *q, const uint32_t *want_crc)
{
	if (q->build_id && q->build_id_len) {
		Elf *e = elf_begin(fd, ELF_C_READ_MMAP_PRIVATE, NULL);
		unsigned char *id = NULL;
		size_t n = e && elf_kind(e) == ELF_K_ELF ? elfx_build_id(e, &id) : 0;
		bool ok = n == q->build_id_len && !memcmp(id, q->build_id, n);
		free(id);
		if (e)
			elf_end(e);
		return ok;
	}
	unsigned crc;
	return want_crc && debugfile_crc32(fd, &crc) == 0 && crc == *want_crc;
}

/* Opens path inside rootfd and keeps it only when it is the module's debug
 * file (and not the module itself). */
static int try_path(const struct debugfile_query *q, int rootfd, const char *path,
		    const uint32_t *want_crc)
{
	struct stat st;
	int fd = tfile_open_in(rootfd, path, &st);
	if (fd < 0)
		return fd;
	if ((q->dev || q->ino) && st.st_dev == q->dev && st.st_ino == q->ino) {
		close(fd);
		return -ENOENT;
	}
	if (!matches(fd, q, want_crc)) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

static int try_build_id(const struct debugfile_query *q, int rootfd, char **path)
{
	if (!q->build_id || q->build_id_len < 2 || !q->debug_dir)
		return -ENOENT;
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_addf(&sb, "%s/.build-id/%02x/", q->debug_dir, q->build_id[0]);
	for (size_t i = 1; i < q->build_id_len; i++)
		strbuf_addf(&sb, "%02x", q->build_id[i]);
	strbuf_adds(&sb, ".debug");
	int fd = try_path(q, rootfd, sb.buf, NULL);
	if (fd >= 0) {
		*path = strbuf_detach(&sb);
		return fd;
	}
	strbuf_release(&sb);
	return -ENOENT;
}

static int try_debuglink(const struct debugfile_query *q, int rootfd, char **path)
{
	char *link;
	uint32_t want;
	if (elfx_debuglink(q->elf, &link, &want) != 0)
		return -ENOENT;
	const char *name = q->name ? q->name : q->open_path;
	char *dir = NULL;
	if (name && strrchr(name, '/'))
		dir = xstrndup(name, (size_t)(strrchr(name, '/') - name));
	int found = -ENOENT;
	char *cands[3] = { NULL, NULL, NULL };
	if (dir) {
		cands[0] = xasprintf("%s/%s", dir, link);
		cands[1] = xasprintf("%s/.debug/%s", dir, link);
		if (q->debug_dir)
			cands[2] = xasprintf("%s%s/%s", q->debug_dir, dir, link);
	}
	for (int i = 0; i < 3 && found < 0; i++) {
		if (!cands[i])
			continue;
		found = try_path(q, rootfd, cands[i], &want);
		if (found >= 0) {
			*path = cands[i];
			cands[i] = NULL;
		}
	}
	for (int i = 0; i < 3; i++)
		free(cands[i]);
	free(dir);
	free(link);
	return found < 0 ? -ENOENT : found;
}

/* libdebuginfod is loaded on demand: most runs never need it and it pulls in
 * libcurl. The prototypes are the library's documented ABI. */
struct debuginfod_client;
typedef struct debuginfod_client *(*dbgd_begin_fn)(void);
typedef int (*dbgd_find_fn)(struct debuginfod_client *, const unsigned char *, int, char **);
typedef void (*dbgd_end_fn)(struct debuginfod_client *);

static int try_debuginfod(const struct debugfile_query *q, char **path)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	if (!q->use_debuginfod || !urls || !*urls || !q->build_id || !q->build_id_len)
		return -ENOENT;
	static void *lib;
	static bool tried;
	if (!tried) {
		tried = true;
		lib = dlopen("libdebuginfod.so.1", RTLD_NOW | RTLD_LOCAL);
	}
	if (!lib)
		return -ENOENT;
	dbgd_begin_fn begin = (dbgd_begin_fn)dlsym(lib, "debuginfod_begin");
	dbgd_find_fn find = (dbgd_find_fn)dlsym(lib, "debuginfod_find_debuginfo");
	dbgd_end_fn end = (dbgd_end_fn)dlsym(lib, "debuginfod_end");
	if (!begin || !find || !end)
		return -ENOENT;
	struct debuginfod_client *c = begin();
	if (!c)
		return -ENOENT;
	char *p = NULL;
	int fd = find(c, q->build_id, (int)q->build_id_len, &p);
	end(c);
	if (fd >= 0 && !matches(fd, q, NULL)) {
		close(fd);
		fd = -ENOENT;
	}
	if (fd < 0) {
		free(p);
		return -ENOENT;
	}
	*path = p ? p : xstrdup("(debuginfod)");
	return fd;
}

int debugfile_find(const struct debugfile_query *q, char **path)
{
	/* The target's root first (its own debug files, in its own mount
	 * namespace), then prowl's (where an administrator installs them). */
	pid_t pid = q->pid ? q->pid : tfile_proc_pid(q->open_path);
	struct debugfile_query qq = *q;
	struct stat self;
	if (!qq.dev && !qq.ino && qq.open_path && stat(qq.open_path, &self) == 0) {
		qq.dev = self.st_dev;
		qq.ino = self.st_ino;
	}
	q = &qq;
	int roots[2] = { pid > 0 ? tfile_root(pid) : -1, open("/", O_PATH | O_DIRECTORY | O_CLOEXEC) };
	int fd = -ENOENT;
	for (int r = 0; r < 2 && fd < 0; r++)
		if (roots[r] >= 0)
			fd = try_build_id(q, roots[r], path);
	for (int r = 0; r < 2 && fd < 0; r++)
		if (roots[r] >= 0)
			fd = try_debuglink(q, roots[r], path);
	for (int r = 0; r < 2; r++)
		if (roots[r] >= 0)
			close(roots[r]);
	if (fd < 0)
		fd = try_debuginfod(q, path);
	return fd;
}
