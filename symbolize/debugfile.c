/*
 * debugfile: the search order is the one gdb and elfutils use, so a machine
 * set up for them works for us: build-id, then debuglink next to the file, in
 * its .debug/ folder and under the global debug folder, then debuginfod.
 */
#include "symbolize/debugfile.h"

#include <ctype.h>
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
	Elf_Scn *scn = NULL;
	*id = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf)
			continue;
		size_t off = 0, name_off, desc_off;
		GElf_Nhdr nh;
		while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((char *)data->d_buf + name_off, "GNU", 4) && nh.n_descsz > 0 &&
			    nh.n_descsz <= 64) {
				*id = xmalloc(nh.n_descsz);
				memcpy(*id, (char *)data->d_buf + desc_off, nh.n_descsz);
				return nh.n_descsz;
			}
		}
	}
	return 0;
}

/* "/proc/PID/root" when the module is opened through the target's /proc
 * folder, so debug files are looked for in the target's mount namespace. */
static char *root_prefix(const char *open_path)
{
	if (!open_path || strncmp(open_path, "/proc/", 6))
		return NULL;
	const char *p = open_path + 6;
	const char *d = p;
	while (isdigit((unsigned char)*p))
		p++;
	if (p == d || *p != '/')
		return NULL;
	return xasprintf("/proc/%.*s/root", (int)(p - d), d);
}

static int open_regular(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

static int try_build_id(const struct debugfile_query *q, const char *root, char **path)
{
	if (!q->build_id || q->build_id_len < 2 || !q->debug_dir)
		return -ENOENT;
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_addf(&sb, "%s%s/.build-id/%02x/", root ? root : "", q->debug_dir, q->build_id[0]);
	for (size_t i = 1; i < q->build_id_len; i++)
		strbuf_addf(&sb, "%02x", q->build_id[i]);
	strbuf_adds(&sb, ".debug");
	int fd = open_regular(sb.buf);
	if (fd >= 0) {
		*path = strbuf_detach(&sb);
		return fd;
	}
	strbuf_release(&sb);
	return -ENOENT;
}

/* Reads .gnu_debuglink: the file name and the CRC that follows it aligned. */
static int read_debuglink(Elf *elf, char **name, unsigned *crc)
{
	size_t shstrndx;
	if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0)
		return -ENOENT;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS)
			continue;
		const char *sname = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!sname || strcmp(sname, ".gnu_debuglink"))
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf || data->d_size < 6)
			return -ENOENT;
		const char *p = data->d_buf;
		size_t n = strnlen(p, data->d_size);
		size_t crc_off = (n + 4) & ~(size_t)3;
		if (n == 0 || crc_off + 4 > data->d_size || memchr(p, '/', n))
			return -ENOENT;
		uint32_t c;
		memcpy(&c, p + crc_off, 4);
		if (elf_getident(elf, NULL) && elf_getident(elf, NULL)[EI_DATA] != ELFDATA2LSB)
			c = __builtin_bswap32(c);
		*name = xstrndup(p, n);
		*crc = c;
		return 0;
	}
	return -ENOENT;
}

static int try_debuglink(const struct debugfile_query *q, const char *root, char **path)
{
	char *link;
	unsigned want;
	if (read_debuglink(q->elf, &link, &want) != 0)
		return -ENOENT;
	const char *name = q->name ? q->name : q->open_path;
	char *dir = NULL;
	if (name && strrchr(name, '/'))
		dir = xstrndup(name, (size_t)(strrchr(name, '/') - name));
	int found = -ENOENT;
	struct stat self;
	int have_self = q->open_path && stat(q->open_path, &self) == 0;
	for (int r = 0; r < 2 && found < 0; r++) {
		const char *pre = r == 0 ? (root ? root : "") : "";
		if (r == 1 && !root)
			break;
		char *cands[3] = { NULL, NULL, NULL };
		if (dir) {
			cands[0] = xasprintf("%s%s/%s", pre, dir, link);
			cands[1] = xasprintf("%s%s/.debug/%s", pre, dir, link);
			if (q->debug_dir)
				cands[2] = xasprintf("%s%s%s/%s", pre, q->debug_dir, dir, link);
		}
		for (int i = 0; i < 3 && found < 0; i++) {
			if (!cands[i])
				continue;
			int fd = open_regular(cands[i]);
			if (fd < 0)
				continue;
			struct stat st;
			unsigned crc;
			/* The link may name the file itself (same dir, same name). */
			if (have_self && fstat(fd, &st) == 0 && st.st_dev == self.st_dev &&
			    st.st_ino == self.st_ino) {
				close(fd);
				continue;
			}
			if (debugfile_crc32(fd, &crc) == 0 && crc == want) {
				*path = cands[i];
				cands[i] = NULL;
				found = fd;
			} else {
				close(fd);
			}
		}
		for (int i = 0; i < 3; i++)
			free(cands[i]);
	}
	free(dir);
	free(link);
	return found;
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
	if (fd < 0) {
		free(p);
		return -ENOENT;
	}
	*path = p ? p : xstrdup("(debuginfod)");
	return fd;
}

int debugfile_find(const struct debugfile_query *q, char **path)
{
	char *root = root_prefix(q->open_path);
	int fd = -ENOENT;
	if (root)
		fd = try_build_id(q, root, path);
	if (fd < 0)
		fd = try_build_id(q, NULL, path);
	if (fd < 0)
		fd = try_debuglink(q, root, path);
	if (fd < 0)
		fd = try_debuginfod(q, path);
	free(root);
	return fd;
}
