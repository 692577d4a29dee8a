/*
 * prowl top: the live view. Glue only: options, the session's event loop, a
 * snapshot every --delay seconds into the view model (ui/view.c), drawn by
 * ui/tui.c, or printed as text with --batch (or when stdout is not a terminal).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "formats/atomic.h"
#include "formats/format.h"
#include "ui/tui.h"
#include "ui/view.h"
#include "profiler/capture/capture.h"
#include "profiler/cli/cmds.h"
#include "profiler/capture/session.h"
#include "profiler/base/util.h"

enum {
	OPT_DELAY = 0x200,
	OPT_LINES,
	OPT_WINDOW,
	OPT_ROWS,
};

static const struct option top_long[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "delay", required_argument, NULL, OPT_DELAY },
	{ "batch", no_argument, NULL, 'b' },
	{ "count", required_argument, NULL, 'n' },
	{ "lines", no_argument, NULL, OPT_LINES },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "rows", required_argument, NULL, OPT_ROWS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct top {
	struct capture_opts co;
	const char *output;
	enum format format;
	double delay;
	bool batch;
	long count; /* snapshots to print in batch mode, 0 = until the target exits */
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
	double self_cpu;
	bool lagging;
	unsigned slow_ms;
	bool exited;
	bool interrupted; /* a signal ended us (the session passed it on to a launched command) */
	char *note;
	uint64_t note_until;
	unsigned nsaves;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: prowl top [options] -p PID\n"
		"       prowl top [options] -- COMMAND [ARGS...]\n\n"
		"live view of the hottest functions of a running program (keys: ? in the view)\n\n"
		"  -o, --output FILE     format and file for 's' (save) and for quitting: by extension\n"
		"                        (.svg .folded .json .pb.gz), SVG by default\n"
		"      --delay SECS      refresh every SECS seconds (default 1)\n"
		"  -b, --batch           print a text snapshot every --delay seconds (also when stdout\n"
		"                        is not a terminal)\n"
		"  -n, --count N         batch: stop after N snapshots\n"
		"      --rows N          batch: rows per snapshot (default 20)\n"
		"      --lines           start at line granularity (L in the view)\n"
		"      --window SECS     start with a window of the last SECS seconds (w in the view)\n"
		"capture options (as prowl record):\n");
	capture_opts_help(out);
}

static int parse_seconds(const char *arg, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(arg, &end);
	if (errno || end == arg || *end || !(d >= 0.05) || d > 3600)
		return -1;
	*out = d;
	return 0;
}

static int parse_count(const char *arg, long max, long *out)
{
	char *end;
	errno = 0;
	long n = strtol(arg, &end, 10);
	if (errno || end == arg || *end || n < 1 || n > max)
		return -1;
	*out = n;
	return 0;
}

static int parse_args(struct top *t, int argc, char **argv)
{
	char *shorts;
	struct option *longs;
	char err[256];
	long n;
	capture_getopt_build("o:bn:h", top_long, &shorts, &longs);
	optind = 1;
	opterr = 0; /* one line of our own below, not getopt's and ours */
	int c, rc = 0;
	while (!rc && (c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		int r = capture_opts_handle(&t->co, c, optarg, err, sizeof(err));
		if (r == CAPTURE_OPT_USAGE) {
			fprintf(stderr, "prowl top: %s\n", err);
			rc = EX_USAGE;
			break;
		}
		if (r == CAPTURE_OPT_HANDLED)
			continue;
		switch (c) {
		case 'o':
			t->output = optarg;
			break;
		case 'b':
			t->batch = true;
			break;
		case 'n':
			if (parse_count(optarg, 1000000000L, &t->count)) {
				fprintf(stderr, "prowl top: bad count '%s' (give a whole number from 1)\n", optarg);
				rc = EX_USAGE;
			}
			break;
		case OPT_ROWS:
			if (parse_count(optarg, 100000L, &n)) {
				fprintf(stderr, "prowl top: bad --rows '%s' (give a whole number from 1)\n", optarg);
				rc = EX_USAGE;
			}
			t->rows = (int)n;
			break;
		case OPT_DELAY:
			if (parse_seconds(optarg, &t->delay)) {
				fprintf(stderr, "prowl top: bad --delay '%s' (give seconds from 0.05 to 3600, e.g. 0.5)\n",
					optarg);
				rc = EX_USAGE;
			}
			break;
		case OPT_LINES:
			t->lines = true;
			break;
		case OPT_WINDOW:
			if (parse_count(optarg, 3600, &n)) {
				fprintf(stderr, "prowl top: bad --window '%s' (give whole seconds from 1 to 3600)\n",
					optarg);
				rc = EX_USAGE;
			}
			t->window = (unsigned)n;
			break;
		case 'h':
			usage(stdout);
			rc = -1;
			break;
		default:
			if (optopt && optopt < 0x100 && optopt > ' ')
				fprintf(stderr, "prowl top: unknown option or missing value: -%c (see 'prowl top --help')\n",
					optopt);
			else
				fprintf(stderr, "prowl top: unknown option or missing value: %s (see 'prowl top --help')\n",
					argv[optind - 1]);
			rc = EX_USAGE;
			break;
		}
	}
	free(shorts);
	free(longs);
	if (rc)
		return rc;
	if (capture_opts_finish(&t->co, argc - optind, argv + optind, err, sizeof(err))) {
		fprintf(stderr, "prowl top: %s\n", err);
		return EX_USAGE;
	}
	if (t->output) {
		t->format = format_by_path(t->output);
		if (t->format == FORMAT_NONE || t->format == FORMAT_REPORT)
			t->format = FORMAT_SVG;
	}
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
		.pid = t->pid,
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
		.note = t->note,
	};
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

static int run_tui(struct top *t)
{
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
		if (ev > 0 && (ev & SESSION_DURATION))
			break;
		if (ev > 0 && (ev & SESSION_EXITED) && !t->exited) {
			t->exited = true;
			refresh(t);
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
		if (!ok)
			return errno == EPIPE ? EX_OK : EX_IOERR;
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

static int errno_exit(int err)
{
	switch (err) {
	case EPERM:
	case EACCES:
		return EX_NOPERM;
	case ESRCH:
	case ENOENT:
		return EX_NOINPUT;
	case EINVAL:
		return EX_USAGE;
	default:
		return EX_UNAVAILABLE;
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
		fprintf(stderr, "prowl top: -n applies to --batch only; ignored\n");
	char *msg = NULL;
	if (!t.batch && !tui_check(&msg)) {
		/* Before anything is launched or attached. */
		fprintf(stderr, "prowl top: %s\n", msg);
		free(msg);
		capture_opts_release(&t.co);
		return EX_UNAVAILABLE;
	}

	t.s = session_new(&t.co, &msg);
	if (!t.s || session_start(t.s, &msg) < 0) {
		int err = errno;
		fprintf(stderr, "prowl top: %s\n", msg ? msg : strerror(err));
		free(msg);
		session_free(t.s);
		capture_opts_release(&t.co);
		return errno_exit(err);
	}
	struct view_opts vo = { .delay = t.delay, .lines = t.lines, .window = t.window };
	t.v = view_new(&vo);

	rc = t.batch ? run_batch(&t) : run_tui(&t);

	stop_command(&t);
	/* Detach first: an attached target runs on while we write. */
	session_stop(t.s);
	if (t.output && rc == EX_OK) {
		if (!view_frozen(t.v)) {
			struct profile *p = session_profile(t.s, 0);
			if (p)
				view_update(t.v, p, now_ns());
		}
		int r = save(&t, t.output, t.format);
		if (r < 0) {
			fprintf(stderr, "prowl top: cannot write %s: %s (check the folder exists and is writable)\n",
				t.output, strerror(-r));
			rc = EX_CANTCREAT;
		} else {
			fprintf(stderr, "prowl top: wrote %s\n", t.output);
		}
	}
	const char *notes = session_notes(t.s);
	if (notes && *notes)
		fprintf(stderr, "%s\n", notes);
	session_free(t.s);
	view_free(t.v);
	free(t.command);
	free(t.note);
	capture_opts_release(&t.co);
	return rc;
}
