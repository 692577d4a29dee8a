/*
 * procstat: see procstat.h. stat is parsed from the last ')' because a thread
 * name may itself contain spaces and parentheses.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profiler/base/procstat.h"
#include "profiler/base/util.h"

/* Reads a small /proc file into buf, NUL-terminated: its length, or -errno
 * (errno set): -ENOENT when it is gone or reads empty, -ESRCH when its
 * thread dies during the read. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	ssize_t n = read(fd, buf, size - 1);
	int e = errno;
	close(fd);
	if (n <= 0) {
		errno = n < 0 ? e : ENOENT;
		return -errno;
	}
	buf[n] = 0;
	return n;
}

int procstat_read(pid_t pid, pid_t tid, struct procstat *st)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	ssize_t n = read_small(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	char *open_paren = strchr(buf, '(');
	char *close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren || close_paren[1] != ' ') {
		errno = EINVAL;
		return -EINVAL;
	}
	memset(st, 0, sizeof(*st));
	size_t len = (size_t)(close_paren - open_paren - 1);
	if (len >= sizeof(st->comm))
		len = sizeof(st->comm) - 1;
	memcpy(st->comm, open_paren + 1, len);
	st->comm[len] = 0;
	st->state = close_paren[2];
	/* Fields after the name, counting state as field 3. */
	char *f = close_paren + 2;
	int field = 3;
	unsigned long long utime = 0, stime = 0;
	while (f && *f) {
		if (field == 14)
			utime = strtoull(f, NULL, 10);
		else if (field == 15)
			stime = strtoull(f, NULL, 10);
		else if (field == 39) {
			st->processor = atoi(f);
			break;
		}
		f = strchr(f, ' ');
		if (f)
			f++;
		field++;
	}
	st->cpu_ticks = utime + stime;
	return 0;
}

char procstat_state(pid_t pid, pid_t tid)
{
	struct procstat st;
	return procstat_read(pid, tid, &st) == 0 ? st.state : 0;
}

int procstat_runs(pid_t pid, pid_t tid, uint64_t *runs)
{
	uint64_t run_ns;
	return procstat_sched(pid, tid, &run_ns, runs);
}

int procstat_sched(pid_t pid, pid_t tid, uint64_t *run_ns, uint64_t *runs)
{
	char path[64], buf[128];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pid, (int)tid);
	ssize_t n = read_small(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	/* "run_ns wait_ns timeslices" */
	unsigned long long run, wait, slices;
	if (sscanf(buf, "%llu %llu %llu", &run, &wait, &slices) != 3) {
		errno = EINVAL;
		return -EINVAL;
	}
	*runs = slices;
	*run_ns = run;
	return 0;
}

const char *procstat_state_label(char state)
{
	switch (state) {
	case 'R':
		return "[running]";
	case 'S':
		return "[sleeping]";
	case 'D':
		return "[I/O wait]";
	case 'T':
		return "[stopped]";
	case 't':
		return "[traced]";
	case 'Z':
	case 'X':
		return "[exiting]";
	case 'I':
		return "[idle]";
	case 'P':
		return "[parked]";
	case 'W':
		return "[paging]";
	default:
		return "[unknown state]";
	}
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

int procstat_tasks(pid_t pid, pid_t **tids)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	*tids = NULL;
	if (!d) {
		/* Gone is ESRCH, as for every other reader; anything else
		 * (EACCES, EMFILE) is passed on, never read from a NULL dir. */
		if (errno == ENOENT)
			errno = ESRCH;
		return -errno;
	}
	size_t n = 0, cap = 0;
	pid_t *out = NULL;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		xgrow((void **)&out, &cap, n + 1, sizeof(*out));
		out[n++] = (pid_t)atoi(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(out, n, sizeof(*out), cmp_pid);
	*tids = out;
	return (int)n;
}

int procstat_comm(pid_t pid, pid_t tid, char *buf, size_t len)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)pid, (int)tid);
	buf[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno == ENOENT || errno == ESRCH ? ENOENT : errno;
		errno = e;
		return -e;
	}
	ssize_t n = read(fd, buf, len - 1);
	int e = errno;
	close(fd);
	if (n < 0) {
		buf[0] = 0;
		errno = e == ESRCH ? ENOENT : e;
		return -errno;
	}
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return 0;
}

char *procstat_cmdline(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct strbuf sb;
	strbuf_init(&sb);
	char buf[4096];
	ssize_t r;
	/* A megabyte is more than any command line worth showing. */
	while ((r = read(fd, buf, sizeof(buf))) > 0 && sb.len < (1u << 20))
		strbuf_add(&sb, buf, (size_t)r);
	close(fd);
	size_t n = sb.len;
	while (n && !sb.buf[n - 1])
		n--;
	if (!n) {
		strbuf_release(&sb);
		errno = ENOENT;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (!sb.buf[i])
			sb.buf[i] = ' ';
	sb.buf[n] = 0;
	return strbuf_detach(&sb);
}

int procstat_status(pid_t pid, pid_t tid, const char *key, char *buf, size_t len)
{
	char path[96], line[512];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, (int)tid);
	buf[0] = 0;
	FILE *f = fopen(path, "re");
	if (!f) {
		errno = ENOENT;
		return -ENOENT;
	}
	size_t kl = strlen(key);
	int r = -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, kl))
			continue;
		const char *v = line + kl;
		while (*v == ' ' || *v == '\t')
			v++;
		snprintf(buf, len, "%s", v);
		size_t n = strlen(buf);
		if (n && buf[n - 1] == '\n')
			buf[n - 1] = 0;
		r = 0;
		break;
	}
	fclose(f);
	if (r)
		errno = -r;
	return r;
}

int procstat_process_cpu(pid_t pid, struct procstat_cpu *c)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	ssize_t n = read_small(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	/* After the last ')': the name may hold anything. Fields 14-17. */
	const char *p = strrchr(buf, ')');
	unsigned long long ut, st, cut, cst;
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu", &ut, &st, &cut,
			 &cst) != 4) {
		errno = EINVAL;
		return -EINVAL;
	}
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t tick = 1000000000ull / (uint64_t)(hz > 0 ? hz : 100);
	c->user_ns = ut * tick;
	c->sys_ns = st * tick;
	c->children_user_ns = cut * tick;
	c->children_sys_ns = cst * tick;
	return 0;
}

int procstat_pids(pid_t **pids)
{
	*pids = NULL;
	DIR *d = opendir("/proc");
	if (!d)
		return -errno;
	size_t n = 0, cap = 0;
	pid_t *out = NULL;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		xgrow((void **)&out, &cap, n + 1, sizeof(*out));
		out[n++] = (pid_t)atoi(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(out, n, sizeof(*out), cmp_pid);
	*pids = out;
	return (int)n;
}
