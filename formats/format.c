#include "formats/format.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profiler/base/util.h"
#include "formats/atomic.h"
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
		{ ".perf-script", FORMAT_PERF_SCRIPT },
		{ ".perfscript", FORMAT_PERF_SCRIPT },
		{ ".report", FORMAT_REPORT },
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

bool format_time_ordered(enum format f)
{
	return f == FORMAT_SPEEDSCOPE || f == FORMAT_PERF_SCRIPT;
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
	case FORMAT_PERF_SCRIPT:
		rc = perfscript_write(p, out, o);
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
	if (!p || !path || f == FORMAT_NONE)
		return -EINVAL;
	struct write_job j = { p, f, o };
	struct atomic_opts ao = { .private_mode = o && o->private_file };
	return atomic_write_file(path, &ao, write_job_run, &j, NULL);
}

int profile_write_file(struct atomic_file *af, const struct profile *p, enum format f,
		       const struct write_opts *o)
{
	if (!p || f == FORMAT_NONE) {
		atomic_abort(af);
		return -EINVAL;
	}
	struct write_job j = { p, f, o };
	int rc = atomic_write(af, write_job_run, &j);
	if (rc < 0) {
		atomic_abort(af);
		return rc;
	}
	return atomic_commit(af);
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
	/* Folded lines with frames first: a name with " 1 " in it ("pool 1
	 * (7);main 5") would pass for a perf script event line. Then perf
	 * script: "comm 1234" alone would pass for a folded line. */
	int folded = collapsed_probe(data, len);
	if (folded == 2)
		return FORMAT_COLLAPSED;
	if (perfscript_probe(data, len))
		return FORMAT_PERF_SCRIPT;
	if (folded)
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
