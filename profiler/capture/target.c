#include "profiler/capture/target.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "profiler/base/procstat.h"
#include "profiler/base/util.h"

static int with_errno(int r);

/* The soft RLIMIT_NOFILE prowl started with, when it raised it. */
static struct rlimit nofile_orig;
static bool nofile_raised;

int target_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur >= rl.rlim_max)
		return 0;
	struct rlimit up = { rl.rlim_max, rl.rlim_max };
	if (setrlimit(RLIMIT_NOFILE, &up))
		return -errno;
	nofile_orig = rl;
	nofile_raised = true;
	return 0;
}

/* In the launched child, before exec: the soft limit its parent's shell set. */
static void restore_nofile(void)
{
	if (nofile_raised)
		setrlimit(RLIMIT_NOFILE, &nofile_orig);
}

struct target *target_new(void)
{
	struct target *t = xcalloc(1, sizeof(*t));
	t->modules = module_set_new();
	t->go_fd = -1;
	t->err_fd = -1;
	return t;
}

static void proc_free(struct target_proc *p)
{
	maps_free(p->maps);
	free(p->threads);
	free(p->command);
	free(p);
}

void target_free(struct target *t)
{
	if (!t)
		return;
	if (t->go_fd >= 0) {
		/* Still held before exec: it never ran the command, so end it. */
		kill(t->child, SIGKILL);
		close(t->go_fd);
		waitpid(t->child, NULL, 0);
	}
	if (t->err_fd >= 0)
		close(t->err_fd);
	for (size_t i = 0; i < t->nprocs; i++)
		proc_free(t->procs[i]);
	free(t->procs);
	itab_release(&t->proc_idx);
	module_set_free(t->modules);
	free(t);
}

static int check_exec(const char *path)
{
	struct stat st;
	if (stat(path, &st))
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EACCES;
	if (access(path, X_OK))
		return -errno;
	return 0;
}

static int do_find_command(const char *cmd, char **path_out)
{
	*path_out = NULL;
	if (!cmd || !*cmd)
		return -ENOENT;
	if (strchr(cmd, '/')) {
		int r = check_exec(cmd);
		if (!r)
			*path_out = xstrdup(cmd);
		return r;
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	int best = -ENOENT;
	while (*path) {
		const char *colon = strchr(path, ':');
		size_t n = colon ? (size_t)(colon - path) : strlen(path);
		char *full = n ? xasprintf("%.*s/%s", (int)n, path, cmd) : xasprintf("./%s", cmd);
		int r = check_exec(full);
		if (!r) {
			*path_out = full;
			return 0;
		}
		if (r == -EACCES)
			best = -EACCES;
		free(full);
		path += n;
		if (*path == ':')
			path++;
	}
	return best;
}

static bool proc_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct target *t = ctx;
	return t->procs[idx]->pid == *(const pid_t *)key;
}

struct target_proc *target_proc(struct target *t, pid_t pid, bool add)
{
	uint64_t h = hash_mix(0x9c, (uint64_t)pid);
	uint32_t i = itab_find(&t->proc_idx, h, proc_eq, t, &pid);
	if (i != ITAB_NONE)
		return t->procs[i];
	if (!add)
		return NULL;
	struct target_proc *p = xcalloc(1, sizeof(*p));
	p->pid = pid;
	p->maps = maps_new(t->modules, pid);
	xgrow((void **)&t->procs, &t->cap, t->nprocs + 1, sizeof(*t->procs));
	itab_insert(&t->proc_idx, h, (uint32_t)t->nprocs);
	t->procs[t->nprocs++] = p;
	return p;
}

struct target_thread *target_thread(struct target_proc *p, pid_t tid, bool add)
{
	for (size_t i = p->nthreads; i-- > 0;)
		if (p->threads[i].tid == tid)
			return &p->threads[i];
	if (!add)
		return NULL;
	xgrow((void **)&p->threads, &p->cap, p->nthreads + 1, sizeof(*p->threads));
	struct target_thread *th = &p->threads[p->nthreads++];
	memset(th, 0, sizeof(*th));
	th->tid = tid;
	return th;
}

void target_thread_set_name(struct target_thread *th, const char *name)
{
	snprintf(th->comm, sizeof(th->comm), "%s", name ? name : "");
	size_t n = strlen(th->comm);
	if (n && th->comm[n - 1] == '\n')
		th->comm[n - 1] = 0;
	memcpy(th->name, th->comm, sizeof(th->comm));
}

void target_thread_set_display_name(struct target_thread *th, const char *name)
{
	snprintf(th->name, sizeof(th->name), "%s", name ? name : "");
}

static void read_thread_name(pid_t pid, struct target_thread *th)
{
	char name[sizeof(th->comm)];
	if (procstat_comm(pid, th->tid, name, sizeof(name)) == 0)
		target_thread_set_name(th, name);
}

int target_scan_threads(struct target_proc *p)
{
	pid_t *tids;
	int n = procstat_tasks(p->pid, &tids); /* errno set on failure */
	if (n < 0)
		return n;
	int added = 0;
	for (int i = 0; i < n; i++) {
		pid_t tid = tids[i];
		struct target_thread *th = target_thread(p, tid, false);
		if (th && !th->exited) {
			/* A thread that names itself between two scans (and before the
			 * events that would report it are open) gets its new name. */
			read_thread_name(p->pid, th);
			continue;
		}
		if (!th)
			th = target_thread(p, tid, true);
		th->exited = false;
		read_thread_name(p->pid, th);
		added++;
	}
	free(tids);
	return added;
}

pid_t target_tgid(pid_t tid)
{
	char buf[32], *end;
	if (procstat_status(tid, tid, "Tgid:", buf, sizeof(buf)))
		return with_errno(-ESRCH);
	long v = strtol(buf, &end, 10);
	if (end == buf || v <= 0)
		return with_errno(-ESRCH);
	return (pid_t)v;
}

bool target_is_kernel_thread(pid_t pid)
{
	char buf[32];
	/* Linux 6.x says so; before, a kernel thread is kthreadd (pid 2,
	 * no parent) or its child, and has no command line. */
	if (procstat_status(pid, pid, "Kthread:", buf, sizeof(buf)) == 0)
		return buf[0] == '1';
	if (procstat_status(pid, pid, "PPid:", buf, sizeof(buf)) != 0)
		return false;
	long ppid = strtol(buf, NULL, 10);
	if (ppid != 2 && !(ppid == 0 && pid == 2))
		return false;
	char *cmd = procstat_cmdline(pid);
	free(cmd);
	return cmd == NULL;
}

static void user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);
	if (pw && pw->pw_name)
		snprintf(buf, len, "uid %u (%s)", (unsigned)uid, pw->pw_name);
	else
		snprintf(buf, len, "uid %u", (unsigned)uid);
}

bool target_denied_hint(pid_t pid, char *buf, size_t len)
{
	char v[64];
	buf[0] = 0;
	if (procstat_status(pid, pid, "TracerPid:", v, sizeof(v)) == 0) {
		long tracer = strtol(v, NULL, 10);
		if (tracer > 0 && tracer != getpid()) {
			char comm[64];
			if (procstat_comm((pid_t)tracer, (pid_t)tracer, comm, sizeof(comm)) < 0)
				snprintf(comm, sizeof(comm), "?");
			snprintf(buf, len, "it is already traced by %ld (%s): detach that tracer first", tracer, comm);
			return true;
		}
	}
	/* Uid: real, effective, saved, filesystem: the kernel checks them all. */
	unsigned long ids[4];
	if (procstat_status(pid, pid, "Uid:", v, sizeof(v)) == 0 &&
	    sscanf(v, "%lu %lu %lu %lu", &ids[0], &ids[1], &ids[2], &ids[3]) == 4) {
		uid_t me = geteuid();
		for (int i = 0; i < 4; i++) {
			if (ids[i] == me)
				continue;
			char them[96], us[96];
			user_name((uid_t)ids[i], them, sizeof(them));
			user_name(me, us, sizeof(us));
			snprintf(buf, len, "run as root or with CAP_SYS_PTRACE and CAP_PERFMON: it runs as %s, prowl as %s",
				 them, us);
			return true;
		}
	}
	return false;
}

static int do_attach(struct target *t, pid_t pid)
{
	if (kill(pid, 0) && errno == ESRCH)
		return -ESRCH;
	if (target_is_kernel_thread(pid))
		return -EOPNOTSUPP;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if (access(path, R_OK))
		return errno == ENOENT ? -ESRCH : -EPERM;
	struct target_proc *p = target_proc(t, pid, true);
	free(p->command);
	p->command = procstat_cmdline(pid);
	int r = target_scan_threads(p);
	if (r < 0)
		return r;
	r = maps_load(p->maps);
	return r == -EACCES ? -EPERM : r;
}

static int do_launch(struct target *t, char *const argv[])
{
	char *path;
	int r = do_find_command(argv[0], &path);
	if (r)
		return r;
	int go[2], err[2];
	/* A socket, not a pipe: release sends with MSG_NOSIGNAL, so a child
	 * killed while held (SIGKILL) cannot kill prowl by SIGPIPE. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go)) {
		r = -errno;
		free(path);
		return r;
	}
	if (pipe2(err, O_CLOEXEC)) {
		r = -errno;
		close(go[0]);
		close(go[1]);
		free(path);
		return r;
	}
	pid_t pid = fork();
	if (pid < 0) {
		r = -errno;
		close(go[0]);
		close(go[1]);
		close(err[0]);
		close(err[1]);
		free(path);
		return r;
	}
	if (pid == 0) {
		/* Held with prowl's mask (SIGINT, SIGTERM... blocked): a Ctrl-C now
		 * stays pending instead of killing a child whose exec the backend
		 * waits for; it is delivered when the mask is lifted below, so the
		 * command still dies of it as if it had been running. */
		close(go[1]);
		close(err[0]);
		char c;
		ssize_t n;
		do
			n = read(go[0], &c, 1);
		while (n < 0 && errno == EINTR);
		if (n != 1)
			_exit(127);
		close(go[0]);
		/* The command must get the signal mask and dispositions a shell gives it. */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		restore_nofile();
		execv(path, argv);
		int e = errno;
		ssize_t w = write(err[1], &e, sizeof(e));
		(void)w;
		_exit(127);
	}
	free(path);
	close(go[0]);
	close(err[1]);
	t->child = pid;
	t->go_fd = go[1];
	t->err_fd = err[0];
	struct target_proc *p = target_proc(t, pid, true);
	struct target_thread *th = target_thread(p, pid, true);
	const char *base = strrchr(argv[0], '/');
	target_thread_set_name(th, base ? base + 1 : argv[0]);
	struct strbuf sb;
	strbuf_init(&sb);
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			strbuf_addc(&sb, ' ');
		strbuf_adds(&sb, argv[i]);
	}
	p->command = strbuf_detach(&sb);
	return 0;
}

static int do_release(struct target *t)
{
	if (t->go_fd < 0)
		return -EINVAL;
	char c = 1;
	ssize_t w;
	do
		w = send(t->go_fd, &c, 1, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	int we = errno;
	close(t->go_fd);
	t->go_fd = -1;
	if (w != 1 && we != EPIPE && we != ECONNRESET) {
		close(t->err_fd);
		t->err_fd = -1;
		return -EIO;
	}
	/* EPIPE: the child died while held; its exit is seen like any other. */
	int e = 0;
	ssize_t n;
	do
		n = read(t->err_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(t->err_fd);
	t->err_fd = -1;
	if (n == (ssize_t)sizeof(e)) {
		waitpid(t->child, &t->child_status, 0);
		t->child_reaped = true;
		return -(e ? e : ENOEXEC);
	}
	return 0;
}

size_t target_live_threads(const struct target *t)
{
	size_t n = 0;
	for (size_t i = 0; i < t->nprocs; i++)
		for (size_t j = 0; j < t->procs[i]->nthreads; j++)
			n += !t->procs[i]->threads[j].exited;
	return n;
}

/* The CPU time of the exited child's own children (fields 16-17 of
 * /proc/PID/stat: cutime, cstime), readable while it is a zombie. */
void target_child_read_cpu(struct target *t)
{
	if (!t->child || t->child_reaped)
		return;
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)t->child);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* After the last ')': the name may hold anything. Fields 3.. follow. */
	char *p = strrchr(buf, ')');
	if (!p)
		return;
	unsigned long long cu = 0, cs = 0;
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %llu %llu", &cu, &cs) != 2)
		return;
	long hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		hz = 100;
	t->child_children_cpu_ns = (cu + cs) * (1000000000ull / (unsigned long long)hz);
	struct procstat_cpu c;
	if (procstat_process_cpu(t->child, &c) == 0) {
		t->child_cpu_ns = c.user_ns + c.sys_ns + c.children_user_ns + c.children_sys_ns;
		t->child_sys_ns = c.sys_ns + c.children_sys_ns;
	}
}

bool target_child_done(struct target *t)
{
	if (!t->child)
		return false;
	if (t->child_reaped)
		return true;
	/* Peek first: a tracer's waits also report ptrace stops, which are not
	 * ours to consume; reap only an exit. */
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)t->child, &si, WEXITED | WNOHANG | WNOWAIT)) {
		if (errno == ECHILD) {
			t->child_reaped = true; /* someone else reaped it */
			t->child_status = 0;
		}
		return t->child_reaped;
	}
	if (si.si_pid != t->child ||
	    (si.si_code != CLD_EXITED && si.si_code != CLD_KILLED && si.si_code != CLD_DUMPED))
		return false;
	target_child_read_cpu(t);
	int st;
	if (waitpid(t->child, &st, WNOHANG) == t->child) {
		t->child_status = st;
		t->child_reaped = true;
	}
	return t->child_reaped;
}

int target_exit_code(const struct target *t)
{
	if (!t->child || !t->child_reaped)
		return -1;
	if (WIFEXITED(t->child_status))
		return WEXITSTATUS(t->child_status);
	if (WIFSIGNALED(t->child_status))
		return 128 + WTERMSIG(t->child_status);
	return 1;
}

/* The public entry points: the negative errno returned is also in errno. */
static int with_errno(int r)
{
	if (r < 0)
		errno = -r;
	return r;
}

int target_find_command(const char *cmd, char **path_out)
{
	return with_errno(do_find_command(cmd, path_out));
}

int target_attach(struct target *t, pid_t pid)
{
	return with_errno(do_attach(t, pid));
}

int target_launch(struct target *t, char *const argv[])
{
	return with_errno(do_launch(t, argv));
}

int target_release(struct target *t)
{
	return with_errno(do_release(t));
}

void target_child_exited(struct target *t, int status)
{
	if (!t->child || t->child_reaped)
		return;
	t->child_status = status;
	t->child_reaped = true;
}

int target_child_end(struct target *t, int sig, unsigned grace_ms)
{
	if (!t->child)
		return -1;
	if (!target_child_done(t)) {
		if (sig)
			kill(t->child, sig);
		/* Its handler gets a moment to finish what it writes. */
		for (unsigned waited = 0; waited < grace_ms && !target_child_done(t); waited += 10) {
			struct timespec ts = { 0, 10 * 1000000L };
			nanosleep(&ts, NULL);
		}
		if (!target_child_done(t)) {
			kill(t->child, SIGKILL);
			siginfo_t si;
			if (!waitid(P_PID, (id_t)t->child, &si, WEXITED | WNOWAIT))
				target_child_read_cpu(t);
			int st;
			pid_t r;
			do
				r = waitpid(t->child, &st, 0);
			while (r < 0 && errno == EINTR);
			t->child_status = r == t->child ? st : (SIGKILL & 0x7f);
			t->child_reaped = true;
		}
	}
	return target_exit_code(t);
}
