/*
 * prowl top: the live view. Glue only: options, the session's event loop, a
 * snapshot every --delay seconds into the view model (ui/view.c), drawn by
 * ui/tui.c, or printed as text with --batch (or when stdout is not a terminal).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "formats/atomic.h"
#include "formats/format.h"
#include "profiler/base/errstr.h"
#include "profiler/base/procstat.h"
#include "ui/tui.h"
#include "ui/view.h"
#include "profiler/capture/capture.h"
#include "profiler/cli/cmds.h"
#include "profiler/cli/opts.h"
#include "profiler/capture/session.h"
#include "profiler/base/util.h"

struct top {
	struct capture_opts co;
	const char *output;
	enum format format;
	double delay;
	bool batch;
	int count; /* snapshots to print in batch mode, 0 = until the target exits */
	int rows;
	bool lines;
	unsigned window;
	/* run time */
	struct session *s;
	struct view *v;
	struct tui *tui;
	char *command;
	int pid;
	uint64_t prev_elapsed, prev_cpu, prev_lost;
	uint64_t prev_busy, prev_idle; /* the whole machine: the last refresh's counts */
	double self_cpu;
	bool lagging;
	unsigned slow_ms;
	bool exited;
	bool interrupted; /* a signal ended us (the session passed it on to a launched command) */
	char *note;
	uint64_t note_until;
	unsigned nsaves;
};

static const char *const top_usage[] = {
	"[options] -p PID",
	"[options] [--] COMMAND [ARGS...]",
	NULL,
};
static const struct opts_example top_examples[] = {
	{ "top -p 4242", "the hottest functions of a running process, refreshed every second (? for keys)" },
	{ "top -p 4242 --batch -n 5 --top 10", "5 text snapshots of 10 rows, one a second, for scripts and CI logs" },
	{ "top -o prof.folded -- ./myprog", "a live view of a command; its profile is written on quitting" },
	{ NULL, NULL },
};
const struct opts_cmd top_cmd = {
	.name = "top",
	.summary = "live view of the hottest functions",
	.usage = top_usage,
	.description = "A live view of the hottest functions of a running program (keys: ? in the view), or\n"
		       "text snapshots with --batch (also when stdout is not a terminal).",
	.examples = top_examples,
	.notes = "exit status: 0, 64 usage, 66 no such process, 69 no terminal or sampling unavailable,\n"
		 "70 capture failed, 73 -o not written, 74 stdout not written, 77 permission denied,\n"
		 "126 command not executable, 127 command not found.",
	.args = OPTS_ARGS_COMMAND,
};

enum { TOP_DELAY = 1, TOP_WINDOW };

static int top_cb(const struct opt *o, const char *arg, struct strbuf *err)
{
	struct top *t = o->value;
	long n;
	if (o->key == TOP_DELAY)
		return opts_parse_seconds("--delay", arg, 0.05, 3600, &t->delay, err);
	if (opts_parse_long("--window", arg, 1, 3600, &n, err))
		return -1;
	t->window = (unsigned)n;
	return 0;
}

static int parse_args(struct top *t, int argc, char **argv)
{
	struct output_opts out = { 0 };
	out.w.top = t->rows;
	const struct opt table[] = {
		OPT_GROUP("view options"),
		OPTS_OUTPUT_FILE(&out, "format and file for 's' (save) and for quitting: by extension "
				       "(.svg .folded .json .pb.gz)"),
		OPT_CALLBACK(0, "delay", t, "SECS", "refresh every SECS seconds (default 1)", top_cb, TOP_DELAY),
		OPT_FLAG('b', "batch", &t->batch, "print a text snapshot every --delay seconds (also when stdout is not a terminal)"),
		OPT_INT('n', "count", &t->count, "N", 1, 1000000000, "batch: stop after N snapshots"),
		OPTS_TOP(&out),
		{ .kind = OPT_KIND_INT, .long_name = "rows", .value = &t->rows, .argh = "N", .min = 1, .max = 100000,
		  .help = "old spelling of --top", .flags = OPT_HIDDEN },
		OPT_FLAG(0, "lines", &t->lines, "start at line granularity (L in the view)"),
		OPT_CALLBACK(0, "window", t, "SECS", "start with a window of the last SECS seconds (w in the view)", top_cb,
			     TOP_WINDOW),
		OPTS_CAPTURE(&t->co),
		OPTS_CAPTURE_SYSTEM(&t->co),
		OPT_GROUP("other"),
		OPT_HELP(),
		OPT_END(),
	};
	int rc;
	int rows = t->rows;
	int n = opts_parse_or_exit(&top_cmd, table, argc, argv, &rc);
	if (n < 0)
		return rc == EX_OK ? -1 : rc;
	/* --top N, or its old spelling --rows N: whichever was given. */
	if (out.w.top != rows)
		t->rows = out.w.top;
	struct strbuf err;
	strbuf_init(&err);
	enum format f = FORMAT_SVG;
	/* No target: the whole machine, as perf top. */
	if (n == 0 && !t->co.npids && !t->co.ntids)
		t->co.system_wide = true;
	if (opts_capture_finish(&t->co, n, argv, &err) ||
	    (out.path && opts_output_format(&out, FORMAT_SVG, FORMAT_NONE, &f, &err))) {
		opts_error(&top_cmd, "%s", err.buf);
		strbuf_release(&err);
		return EX_USAGE;
	}
	strbuf_release(&err);
	int werr = opts_output_writable(out.path);
	if (werr) {
		opts_error(&top_cmd, "cannot write %s: %s (check the folder exists and is writable)", out.path,
			   errstr(werr));
		return exit_code(EXIT_OUTPUT, werr);
	}
	t->output = out.path;
	/* A text report is no profile to save: the view's 's' writes SVG then. */
	t->format = f == FORMAT_REPORT ? FORMAT_SVG : f;
	return 0;
}

/* "cmd arg arg" of a pid from /proc, or NULL. */
static char *proc_cmdline(int pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	for (ssize_t i = 0; i < n - 1; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	return xstrdup(buf);
}

static char *join_argv(char **argv)
{
	struct strbuf sb;
	strbuf_init(&sb);
	for (char **a = argv; a && *a; a++) {
		if (a != argv)
			strbuf_addc(&sb, ' ');
		strbuf_adds(&sb, *a);
	}
	return strbuf_detach(&sb);
}

static void set_note(struct top *t, char *msg)
{
	free(t->note);
	t->note = msg;
	t->note_until = now_ns() + 4000000000ull;
}

/* Takes a snapshot into the view and refreshes the header. */
static void refresh(struct top *t)
{
	uint64_t t0 = now_ns();
	struct profile *p = session_profile(t->s, 0);
	if (p) {
		if (!t->pid && p->meta.pid)
			t->pid = p->meta.pid;
		/* Several -p: the profile names them all. */
		if (t->co.npids > 1 && p->meta.command) {
			free(t->command);
			t->command = xstrdup(p->meta.command);
		}
		view_update(t->v, p, now_ns());
	}
	struct session_stats st;
	memset(&st, 0, sizeof(st));
	session_stats(t->s, &st);
	if (!t->pid && t->co.npids)
		t->pid = t->co.pids[0];
	if (!t->command && t->pid)
		t->command = proc_cmdline(t->pid);
	if (!t->command && t->co.argv)
		t->command = join_argv(t->co.argv);
	if (st.elapsed_ns > t->prev_elapsed) {
		t->self_cpu = (double)(st.cpu_ns - t->prev_cpu) / (double)(st.elapsed_ns - t->prev_elapsed);
		/* Lost samples since the last refresh mean the capture does not keep up. */
		t->lagging = st.lost > t->prev_lost;
		t->prev_elapsed = st.elapsed_ns;
		t->prev_cpu = st.cpu_ns;
		t->prev_lost = st.lost;
	}
	if (t->note && now_ns() > t->note_until) {
		free(t->note);
		t->note = NULL;
	}
	struct view_status vs = {
		.pid = t->co.npids > 1 ? 0 : t->pid,
		.command = t->command,
		.backend = st.backend,
		.event = p && p->meta.event ? p->meta.event : NULL,
		.freq = t->co.freq,
		.elapsed = (double)st.elapsed_ns / 1e9,
		.samples = st.samples,
		.lost = st.lost,
		.threads = (unsigned)st.threads_live,
		.self_cpu = t->self_cpu,
		.lagging = t->lagging,
		.slow_ms = t->slow_ms,
		.exited = t->exited,
		.stopped = !t->exited && t->pid && procstat_state(t->pid, t->pid) == 'T',
		.note = t->note,
	};
	if (st.system_wide) {
		/* Busy and idle since the last refresh: what the machine does now. */
		uint64_t busy = st.samples - t->prev_busy, idle = st.idle - t->prev_idle;
		if (busy + idle == 0) {
			busy = st.samples;
			idle = st.idle;
		}
		vs.system_wide = true;
		vs.ncpus = st.ncpus;
		vs.idle_share = busy + idle ? (double)idle / (double)(busy + idle) : 0;
		vs.busy_cpus = (double)st.ncpus * (1.0 - vs.idle_share);
		if (!st.idle_known) {
			vs.idle_share = -1; /* --cgroup: only its own tasks are seen */
			vs.busy_cpus = st.busy_cpus;
		}
		t->prev_busy = st.samples;
		t->prev_idle = st.idle;
	}
	view_set_status(t->v, &vs);
	/* Shown from the next refresh on: this one's cost is known only now. */
	uint64_t took = now_ns() - t0;
	t->slow_ms = took * 2 > (uint64_t)(t->delay * 1e9) ? (unsigned)(took / 1000000) : 0;
}

static const char *save_path(struct top *t, char *buf, size_t n)
{
	if (t->output)
		return t->output;
	snprintf(buf, n, "prowl-top-%d-%u.svg", t->pid, ++t->nsaves);
	return buf;
}

static int save(struct top *t, const char *path, enum format f)
{
	struct profile *p = view_profile(t->v);
	struct write_opts wo;
	memset(&wo, 0, sizeof(wo));
	char *title = xasprintf("prowl top: %s", t->command ? t->command : "profile");
	wo.title = title;
	wo.private_file = atomic_private_for(t->co.pids, t->co.npids);
	int r = profile_write(p, f, path, &wo);
	free(title);
	profile_free(p);
	return r;
}

static void save_key(struct top *t)
{
	char buf[128];
	const char *path = save_path(t, buf, sizeof(buf));
	int r = save(t, path, t->output ? t->format : FORMAT_SVG);
	if (r < 0)
		set_note(t, xasprintf("cannot save %s: %s", path, strerror(-r)));
	else
		set_note(t, xasprintf("saved %s", path));
	refresh(t); /* the note shows at once; a fresh snapshot costs one refresh early */
}

/* Blocked termination signals still pending after the target exited: the
 * session no longer polls its signalfd then, so look for them ourselves. */
static bool termination_pending(void)
{
	sigset_t set;
	struct timespec zero = { 0, 0 };
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	return sigtimedwait(&set, NULL, &zero) > 0;
}

static int ms_until(uint64_t when)
{
	uint64_t now = now_ns();
	if (when <= now)
		return 0;
	uint64_t ms = (when - now + 999999) / 1000000;
	return ms > 60000 ? 60000 : (int)ms;
}

/* Whether the command we launched writes to our terminal (its stdout or
 * stderr is it): its output lands on the view behind curses' back. */
static bool command_shares_terminal(const struct top *t)
{
	struct stat tty, st;
	if (!t->co.argv || !t->pid || t->exited || fstat(STDOUT_FILENO, &tty) != 0 || !S_ISCHR(tty.st_mode))
		return false;
	for (int fd = 1; fd <= 2; fd++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", t->pid, fd);
		if (stat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == tty.st_rdev)
			return true;
	}
	return false;
}

/* Refreshes between two full repaints while a launched command shares the
 * terminal: a write to a terminal cannot be seen, so the view is repainted
 * whole every few seconds (and once when the command exits) instead of
 * staying garbled until Ctrl-L. */
#define TOP_REPAINT_EVERY 5

static int run_tui(struct top *t)
{
	unsigned refreshes = 0;
	char *msg = NULL;
	t->tui = tui_open(&msg);
	if (!t->tui) {
		fprintf(stderr, "prowl top: %s\n", msg);
		free(msg);
		return EX_UNAVAILABLE;
	}
	uint64_t delay = (uint64_t)(t->delay * 1e9);
	uint64_t next = now_ns() + delay;
	int rc = EX_OK;
	bool quit = false;
	refresh(t);
	tui_draw(t->tui, t->v);
	while (!quit) {
		int ev;
		if (!t->exited) {
			ev = session_poll(t->s, ms_until(next), STDIN_FILENO);
		} else {
			struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
			int n = poll(&pfd, 1, 500);
			ev = n > 0 ? SESSION_EXTRA_FD : n < 0 ? -errno : 0;
			if (n > 0 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)))
				ev |= SESSION_EXTRA_HUP;
			if (termination_pending())
				ev = SESSION_INTERRUPTED;
		}
		if (ev < 0 && ev != -EINTR) {
			tui_restore();
			fprintf(stderr, "prowl top: capture failed: %s\n",
				*session_error(t->s) ? session_error(t->s) : strerror(-ev));
			rc = EX_SOFTWARE;
			break;
		}
		bool redraw = ev == -EINTR; /* most likely SIGWINCH: curses has a KEY_RESIZE for us */
		if (ev > 0 && (ev & SESSION_INTERRUPTED)) {
			t->interrupted = true;
			break;
		}
		/* The terminal hung up (an ssh session dropped, tmux killed): stdin
		 * then reads ready for ever while curses reads nothing, and the loop
		 * would spin on a CPU until killed. Such a top ends as on SIGHUP. */
		if (ev > 0 && (ev & SESSION_EXTRA_HUP)) {
			t->interrupted = true;
			break;
		}
		if (ev > 0 && (ev & SESSION_DURATION))
			break;
		if (ev > 0 && (ev & SESSION_EXITED) && !t->exited) {
			t->exited = true;
			refresh(t);
			if (t->co.argv)
				tui_repaint(t->tui); /* its last words may be on the screen */
			redraw = true;
		}
		int key;
		while ((key = tui_key(t->tui)) >= 0) {
			enum view_action a = view_key(t->v, key);
			if (a == VIEW_ACT_QUIT) {
				quit = true;
				break;
			}
			if (a == VIEW_ACT_SAVE)
				save_key(t);
			if (a != VIEW_ACT_NONE)
				redraw = true;
		}
		if (quit)
			break;
		if (!t->exited && now_ns() >= next) {
			refresh(t);
			if (++refreshes % TOP_REPAINT_EVERY == 0 && command_shares_terminal(t))
				tui_repaint(t->tui);
			next += delay;
			if (next < now_ns())
				next = now_ns() + delay; /* we fell behind: do not refresh in a burst */
			redraw = true;
		} else if (t->exited && t->note && now_ns() > t->note_until) {
			refresh(t);
			redraw = true;
		}
		if (redraw)
			tui_draw(t->tui, t->v);
	}
	tui_close(t->tui);
	t->tui = NULL;
	return rc;
}

static int run_batch(struct top *t)
{
	uint64_t delay = (uint64_t)(t->delay * 1e9);
	uint64_t next = now_ns() + delay;
	long printed = 0;
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int ev = session_poll(t->s, ms_until(next), -1);
		if (ev < 0 && ev != -EINTR) {
			fprintf(stderr, "prowl top: capture failed: %s\n",
				*session_error(t->s) ? session_error(t->s) : strerror(-ev));
			return EX_SOFTWARE;
		}
		bool last = ev > 0 && (ev & (SESSION_EXITED | SESSION_DURATION));
		if (ev > 0 && (ev & SESSION_INTERRUPTED)) {
			t->interrupted = true;
			return EX_OK;
		}
		if (now_ns() < next && !last)
			continue;
		if (last)
			t->exited = ev & SESSION_EXITED;
		refresh(t);
		struct strbuf sb;
		strbuf_init(&sb);
		view_render_text(t->v, &sb, 0, t->rows);
		strbuf_addc(&sb, '\n');
		bool ok = fwrite(sb.buf, 1, sb.len, stdout) == sb.len && fflush(stdout) == 0;
		strbuf_release(&sb);
		if (!ok) {
			/* A reader that stopped reading (| head) is no error. */
			int e = errno;
			if (e == EPIPE)
				return EX_OK;
			opts_error(&top_cmd, "cannot write to stdout: %s", errstr(e));
			return exit_code(EXIT_STDOUT, e);
		}
		printed++;
		if (last || (t->count && printed >= t->count))
			return EX_OK;
		next += delay;
		if (next < now_ns())
			next = now_ns() + delay;
	}
}

/*
 * Quitting with q (raw mode: no SIGINT reached anyone) or after -n snapshots
 * leaves a command we launched running in our terminal: stop it as Ctrl-C
 * would, and give it a moment to exit before the shell gets the terminal back.
 */
static void stop_command(struct top *t)
{
	if (!t->co.argv || t->exited || t->interrupted || session_signal_command(t->s, SIGINT) < 0)
		return;
	uint64_t until = now_ns() + 2000000000ull;
	while (now_ns() < until) {
		int ev = session_poll(t->s, 100, -1);
		if (ev < 0 || (ev & SESSION_EXITED))
			break;
	}
}

int cmd_top(int argc, char **argv)
{
	struct top t;
	memset(&t, 0, sizeof(t));
	t.delay = 1.0;
	t.rows = 20;
	capture_opts_init(&t.co);
	int rc = parse_args(&t, argc, argv);
	if (rc) {
		capture_opts_release(&t.co);
		return rc < 0 ? EX_OK : rc;
	}
	if (!t.batch && !isatty(STDOUT_FILENO))
		t.batch = true;
	if (t.count && !t.batch)
		fprintf(stderr, "prowl top: -n counts --batch snapshots only; ignored\n");
	opts_warn_unused(&top_cmd, &t.co);
	char *msg = NULL;
	if (!t.batch && !tui_check(&msg)) {
		/* Before anything is launched or attached. */
		fprintf(stderr, "prowl top: %s\n", msg);
		free(msg);
		capture_opts_release(&t.co);
		return EX_UNAVAILABLE;
	}

	t.s = session_new(&t.co, &msg);
	/* session_new() hands back NULL and errno; session_start() a negative errno. */
	int sr = t.s ? session_start(t.s, &msg) : -errno;
	if (sr < 0) {
		fprintf(stderr, "prowl top: %s\n", msg ? msg : t.s ? session_error(t.s) : errstr(sr));
		free(msg);
		session_free(t.s);
		rc = exit_code(t.co.argv ? EXIT_LAUNCH : EXIT_TARGET, sr);
		capture_opts_release(&t.co);
		return rc;
	}
	struct view_opts vo = { .delay = t.delay, .lines = t.lines, .window = t.window };
	t.v = view_new(&vo);

	rc = t.batch ? run_batch(&t) : run_tui(&t);

	stop_command(&t);
	/* Detach first: an attached target runs on while we write. */
	session_stop(t.s);
	struct session_stats audit;
	session_stats(t.s, &audit);
	cmd_frame_audit("top", &audit);
	/* A command we launched is reaped before we go (no zombie for an init
	 * that does not reap); one that was interrupted already got the signal. */
	if (t.co.argv)
		session_end_command(t.s, t.interrupted ? 0 : SIGTERM, 2000);
	if (t.output && rc == EX_OK) {
		if (!view_frozen(t.v)) {
			struct profile *p = session_profile(t.s, 0);
			if (p)
				view_update(t.v, p, now_ns());
		}
		int r = save(&t, t.output, t.format);
		if (r < 0) {
			fprintf(stderr, "prowl top: cannot write %s: %s (check the folder exists and is writable)\n",
				t.output, errstr(r));
			rc = exit_code_output(t.output, r);
		} else {
			fprintf(stderr, "prowl top: wrote %s\n", t.output);
		}
	}
	opts_notes(&top_cmd, session_notes(t.s));
	session_free(t.s);
	view_free(t.v);
	free(t.command);
	free(t.note);
	capture_opts_release(&t.co);
	return rc;
}
