/*
 * prowl record: sample a running process (-p) or a command (-- CMD ARGS) and
 * write a profile. Glue only: the capture is profiler/session.c, the file
 * formats/format.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profiler/base/errstr.h"
#include "profiler/base/procstat.h"
#include "formats/atomic.h"
#include "formats/format.h"
#include "formats/report.h"
#include "profiler/capture/capture.h"
#include "profiler/cli/cmds.h"
#include "profiler/cli/opts.h"
#include "profiler/cli/progress.h"
#include "profiler/capture/session.h"
#include "profiler/base/util.h"

#define DEFAULT_OUTPUT "prowl.svg"

static const char *const record_usage[] = {
	"[options] -p PID [-p PID...]",
	"[options] [--] COMMAND [ARGS...]",
	"[options] -a [--comm REGEX] [--uid USER] [--cgroup PATH]",
	NULL,
};
static const struct opts_example record_examples[] = {
	{ "record -- ./myprog arg", "profile a command until it exits; prowl.svg is its flame graph" },
	{ "record -p 4242 -d 10 -o prof.pb.gz", "ten seconds of a running process, as pprof" },
	{ "record --report --top 10 -o - -f folded -- make -j2", "folded stacks on stdout, then the 10 hottest functions" },
	{ "record -a -d 10 -o machine.svg", "ten seconds of every process on the machine, rooted at \"name (pid)\"" },
	{ NULL, NULL },
};
const struct opts_cmd record_cmd = {
	.name = "record",
	.summary = "sample a process or command and write a profile",
	.usage = record_usage,
	.description = "Samples every thread of a process or command and writes a profile. Options end at the\n"
		       "command's name: what follows it is the command's own.",
	.examples = record_examples,
	.notes = "Ctrl-C or SIGTERM write the profile so far; SIGUSR1 writes it and goes on. A launched\n"
		 "command gets the signal too (one sent to prowl alone is passed on): prowl samples it until it\n"
		 "exits, then writes; a second Ctrl-C kills it. With -p, prowl exits 0.\n\n"
		 "A launched command's exit status becomes prowl's (128+N when signal N killed it). Other exit status: 64 usage,\n"
		 "66 no such process, 69 sampling unavailable, 70 capture failed, 73 -o not written,\n"
		 "74 stdout not written, 77 permission denied, 126 command not executable, 127 command not found.",
	.args = OPTS_ARGS_COMMAND,
};

/* Asked while waiting for a FIFO's reader and between buffers written: a
 * stop signal then ends the write instead of waiting in the signalfd. */
static bool stop_requested(void *arg)
{
	return session_stop_pending(arg) != 0;
}

/* The output is opened before the profile is symbolized, so a name that
 * cannot take it is known before that work. A stop signal while waiting or
 * writing gives -EINTR (nothing written, the old file kept). last: the
 * final write, after which the session makes no profile (a SIGUSR1
 * snapshot is not: its interruption is not reported either). */
static int write_profile(struct session *s, const char *path, enum format f, const struct write_opts *w,
			 bool private_mode, bool last, struct profile **out)
{
	struct atomic_opts ao = { .private_mode = private_mode, .cancelled = stop_requested, .cancel_arg = s };
	struct strbuf why;
	struct atomic_file *af;
	struct profile *p = NULL;
	strbuf_init(&why);
	int r = atomic_open(path, &ao, &af, &why);
	if (r == 0) {
		bool replaces = atomic_replaces(af);
		p = session_profile(s, last ? SESSION_PROFILE_LAST : 0);
		r = profile_write_file(af, p, f, w);
		strbuf_reset(&why);
		if (r == -EINTR)
			strbuf_adds(&why, replaces ? "interrupted while writing (the old file, if any, is unchanged)"
						   : "interrupted while writing (the reader got part of it)");
		else
			strbuf_adds(&why, errstr(r));
	}
	const char *name = strcmp(path, "-") ? path : "stdout";
	if (r == -EINTR) {
		/* A SIGUSR1 snapshot cut short by a stop signal: the final write follows. */
		if (last)
			opts_error(&record_cmd, "%s not written: %s", name, why.buf);
	} else if (r < 0 && !strcmp(path, "-"))
		opts_error(&record_cmd, "cannot write the profile to stdout: %s", why.buf);
	else if (r < 0)
		opts_error(&record_cmd, "cannot write %s: %s", path, why.buf);
	strbuf_release(&why);
	if (out)
		*out = p;
	else
		profile_free(p);
	return r;
}

/* The first -p process (or -t thread) stopped by a signal now, or 0: it
 * records nothing, which is not the same as using no CPU. */
static pid_t stopped_target(const struct capture_opts *co)
{
	for (size_t i = 0; i < co->npids; i++)
		if (procstat_state(co->pids[i], co->pids[i]) == 'T')
			return co->pids[i];
	for (size_t i = 0; i < co->ntids; i++)
		if (procstat_state(co->tids[i], co->tids[i]) == 'T')
			return co->tids[i];
	return 0;
}

/* The test suite's audit (tests/run.sh sets PROWL_FRAME_AUDIT to a file
 * per test): one line per recording with the frames that reached the
 * profile outside executable memory, which must be 0 on every workload. */
void cmd_frame_audit(const char *cmd, const struct session_stats *st)
{
	const char *path = getenv("PROWL_FRAME_AUDIT");
	if (!path || !*path)
		return;
	FILE *f = fopen(path, "ae");
	if (!f)
		return;
	fprintf(f, "%s samples %llu nonexec %llu refused %llu\n", cmd, (unsigned long long)st->samples,
		(unsigned long long)st->nonexec, (unsigned long long)st->refused);
	fclose(f);
}

/* Launching or attaching: which row of the exit table a capture failure is on. */
static int start_exit_code(const struct capture_opts *co, int err)
{
	return exit_code(co->argv ? EXIT_LAUNCH : EXIT_TARGET, err);
}

/* The figure called name in a backend's "name value" cost pairs. */
static bool stats_number(const char *stats, const char *name, double *v)
{
	size_t n = strlen(name);
	for (const char *p = stats; (p = strstr(p, name)) != NULL; p += n) {
		if ((p == stats || p[-1] == ' ') && p[n] == ' ')
			return sscanf(p + n + 1, "%lf", v) == 1;
	}
	return false;
}

/* Wall mode says how it sampled and what that cost, in one line. */
static void wall_summary(const char *stats, bool detailed)
{
	double hit, cpu, held;
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_adds(&sb, "wall mode: blocked threads read without stopping them");
	if (stats_number(stats, "cache_hit_pct", &hit))
		strbuf_addf(&sb, " (%.0f%% unchanged since the last look, not read again)", hit);
	if (stats_number(stats, "held_pct", &held))
		strbuf_addf(&sb, "; running ones stopped for their stacks: target held %.2f%% of the time", held);
	else if (stats_number(stats, "cpu_pct", &cpu))
		strbuf_addf(&sb, "; running ones sampled by cpu-clock; the looks took %.1f%% of a CPU", cpu);
	if (!detailed)
		strbuf_adds(&sb, " (--stats for the figures)");
	fprintf(stderr, "prowl record: %s\n", sb.buf);
	strbuf_release(&sb);
}

int cmd_record(int argc, char **argv)
{
	struct capture_opts co;
	capture_opts_init(&co);
	struct output_opts out = { 0 };
	bool report = false, quiet = false, stats = false;
	const struct opt table[] = {
		OPTS_CAPTURE(&co),
		OPTS_CAPTURE_SYSTEM(&co),
		OPTS_OUTPUT(&out, "where to write (default " DEFAULT_OUTPUT "; format from the extension: "
				  ".svg .folded .txt .json .pb.gz .perf-script; - for stdout)"),
		OPT_GROUP("other"),
		OPT_FLAG(0, "report", &report, "also print the top functions on stdout at the end"),
		OPTS_TOP(&out),
		OPT_FLAG('q', "quiet", &quiet, "no summary line"),
		OPT_FLAG(0, "stats", &stats, "after the summary, the backend's cost figures (ptrace: how long the target was held)"),
		OPT_HELP(),
		OPT_END(),
	};
	int rc = EX_OK;
	const char *path;
	enum format fmt;
	int n = opts_parse_or_exit(&record_cmd, table, argc, argv, &rc);
	if (n < 0)
		goto out;
	struct strbuf err;
	strbuf_init(&err);
	if (opts_capture_finish(&co, n, argv, &err) || opts_output_format(&out, FORMAT_COLLAPSED, FORMAT_NONE, &fmt, &err)) {
		opts_error(&record_cmd, "%s (see 'prowl record --help')", err.buf);
		strbuf_release(&err);
		rc = EX_USAGE;
		goto out;
	}
	strbuf_release(&err);
	path = out.path ? out.path : DEFAULT_OUTPUT;
	if (!out.path && out.format == FORMAT_NONE)
		fmt = format_by_path(DEFAULT_OUTPUT);
	opts_warn_unused(&record_cmd, &co);
	if (out.w.top && !report && fmt != FORMAT_REPORT)
		opts_error(&record_cmd, "--top does nothing without --report or -f report; ignored");
	const struct write_opts *wp = &out.w;
	/* Only outputs that show when samples came keep their order: the
	 * others stay constant in memory however long the recording. */
	co.sequence = format_time_ordered(fmt);
	/* Fail before profiling, not after, when the file cannot be made. */
	struct strbuf why;
	strbuf_init(&why);
	int werr = atomic_check(path, NULL, &why);
	if (werr < 0) {
		opts_error(&record_cmd, "cannot write %s: %s", path, why.len ? why.buf : errstr(werr));
		strbuf_release(&why);
		rc = exit_code_output(path, werr);
		goto out;
	}
	strbuf_release(&why);
	/* Root's profile of another user's process is readable by root alone:
	 * it may hold names from files that user cannot read (README, Security). */
	bool private_mode = atomic_private_for(co.pids, co.npids);

	char *msg = NULL;
	struct session *s = session_new(&co, &msg);
	if (!s) {
		/* The one failure that is a pointer: errno is its return value. */
		int e = errno;
		opts_error(&record_cmd, "%s", msg ? msg : errstr(e));
		free(msg);
		rc = start_exit_code(&co, e);
		goto out;
	}
	const char *notes = session_new_notes(s);
	opts_notes(&record_cmd, notes);
	int sr = session_start(s, &msg);
	if (sr < 0) {
		opts_error(&record_cmd, "%s", msg ? msg : session_error(s));
		free(msg);
		session_free(s);
		rc = start_exit_code(&co, sr);
		goto out;
	}
	int ev = 0, interrupts = 0;
	struct progress prog;
	progress_init(&prog, stderr, !quiet);
	for (;;) {
		ev = session_poll(s, 1000, -1);
		const char *nn = session_new_notes(s);
		if (*nn) {
			progress_clear(&prog);
			opts_notes(&record_cmd, nn);
		}
		if (ev < 0 || (ev & SESSION_USR1))
			progress_clear(&prog);
		if (ev < 0) {
			opts_error(&record_cmd, "capture failed: %s", errstr(ev));
			break;
		}
		if (ev & SESSION_USR1) {
			if (write_profile(s, path, fmt, wp, private_mode, false, NULL) == 0 && !quiet) {
				struct session_stats st;
				session_stats(s, &st);
				fprintf(stderr, "prowl record: wrote %s (%llu sample%s so far)\n", path,
					(unsigned long long)st.samples, plural_s(st.samples));
			}
		}
		if (ev & SESSION_EXITED)
			break;
		if (ev & SESSION_INTERRUPTED) {
			/* A launched command got the signal too (from the terminal, or
			 * passed on): keep sampling its handler until it exits, and take
			 * its status. A second one does not wait: it is killed. */
			if (!co.argv || ++interrupts > 1)
				break;
			continue;
		}
		if ((ev & SESSION_DURATION) && !interrupts)
			break;
		if (progress_due(&prog)) {
			struct session_stats st;
			session_stats(s, &st);
			progress_tick(&prog, &st);
		}
	}
	int code = -1;
	if (co.argv) {
		/* The command ran only to be profiled: end it with the recording,
		 * and reap it (an init that does not reap would keep a zombie). */
		int sig = ev >= 0 && (ev & SESSION_EXITED) ? 0 : interrupts > 1 ? SIGKILL : SIGTERM;
		code = session_end_command(s, sig, 2000);
	}
	progress_clear(&prog);
	session_stop(s);
	struct profile *p = NULL;
	int wr = write_profile(s, path, fmt, wp, private_mode, true, &p);
	struct session_stats st;
	session_stats(s, &st);
	if (!quiet) {
		double secs = (double)st.elapsed_ns / 1e9;
		uint64_t all = st.samples + st.lost;
		fprintf(stderr,
			"prowl record: %llu sample%s, %llu lost (%.1f%%), %llu thread%s, %.1f s; %llu partial, %llu truncated; "
			"%s%s\n",
			(unsigned long long)st.samples, plural_s(st.samples), (unsigned long long)st.lost,
			all ? 100.0 * (double)st.lost / (double)all : 0.0, (unsigned long long)st.threads,
			st.threads == 1 ? "" : "s", secs, (unsigned long long)st.partial,
			(unsigned long long)st.truncated, wr == 0 ? "wrote " : "nothing written",
			wr == 0 ? (strcmp(path, "-") ? path : "stdout") : "");
		if (st.system_wide && st.idle_known)
			fprintf(stderr, "prowl record: the whole machine: %.1f of %u CPUs busy, idle %.1f%%\n", st.busy_cpus, st.ncpus,
				st.samples + st.idle ? 100.0 * (double)st.idle / (double)(st.samples + st.idle) : 0.0);
		else if (st.system_wide)
			fprintf(stderr, "prowl record: the cgroup kept %.1f of %u CPUs busy (--cgroup sees no idle share)\n",
				st.busy_cpus, st.ncpus);
		if (co.mode == CAPTURE_MODE_WALL)
			wall_summary(st.backend_stats, stats);
		if (stats && *st.backend_stats)
			opts_notes(&record_cmd, st.backend_stats);
		if (co.sequence && st.samples)
			fprintf(stderr, "prowl record: time order kept in %.1f KiB (%.1f bytes a sample)\n",
				(double)st.seq_bytes / 1024.0, (double)st.seq_bytes / (double)st.samples);
		if (stats)
			fprintf(stderr, "prowl record: unwinding: %llu refused a non-code return address; stepped without CFI: "
				"fp %llu trampoline %llu jitdump %llu; %llu frames outside code\n",
				(unsigned long long)st.refused, (unsigned long long)st.step_fp,
				(unsigned long long)st.step_tramp, (unsigned long long)st.step_jit,
				(unsigned long long)st.nonexec);
		if (st.folded)
			fprintf(stderr, "prowl record: %llu sample%s folded into [stack limit]: more than %u distinct call paths (raise --max-stacks)\n",
				(unsigned long long)st.folded, plural_s(st.folded), co.max_stacks);
		if (st.throttled)
			fprintf(stderr, "prowl record: the kernel throttled sampling %llu time%s (lower -F, or raise "
				"kernel.perf_cpu_time_max_percent)\n", (unsigned long long)st.throttled, plural_s(st.throttled));
	}
	if (!quiet && p) {
		/* Stripped code, named by function start: say once what would name it. */
		struct strbuf un;
		strbuf_init(&un);
		if (report_unnamed_note(p, &un))
			fprintf(stderr, "prowl record: %s\n", un.buf);
		strbuf_release(&un);
	}
	if (!quiet && st.kernel_hidden) {
		/* Root sees this time as [kernel] leaves; this user sees none of it. */
		char figure[160] = "";
		if (st.kernel_unseen_cpu_ns)
			snprintf(figure, sizeof(figure), ": %.2f s of the target's %.2f s of CPU (%.0f%%) went to system calls and page faults, not in this profile",
				 (double)st.kernel_unseen_ns / 1e9, (double)st.kernel_unseen_cpu_ns / 1e9,
				 100.0 * (double)st.kernel_unseen_ns / (double)st.kernel_unseen_cpu_ns);
		fprintf(stderr, "prowl record: kernel time is invisible to this user (kernel.perf_event_paranoid > 1)%s "
			"(run as root or with CAP_PERFMON to see it as [kernel])\n", figure);
	}
	cmd_frame_audit("record", &st);
	if (!quiet && st.unsymbolized)
		fprintf(stderr, "prowl record: symbolizing stopped on a signal: %llu frame%s written as module+offset\n",
			(unsigned long long)st.unsymbolized, plural_s(st.unsymbolized));
	if (!quiet && st.unfollowed_cpu_ns >= 10000000ull)
		fprintf(stderr, "prowl record: the command's child processes used %.2f s of CPU, not recorded (--no-children)\n",
			(double)st.unfollowed_cpu_ns / 1e9);
	if (!quiet && st.samples == 0 && code > 128 && interrupts)
		fprintf(stderr, "prowl record: nothing sampled: the command was ended by signal %d before it ran on a CPU\n",
			code - 128);
	else if (!quiet && st.samples == 0 && st.unfollowed_cpu_ns >= 10000000ull)
		fprintf(stderr, "prowl record: no samples: the command ran its work in child processes (drop --no-children)\n");
	else if (!quiet && st.samples == 0 && stopped_target(&co))
		fprintf(stderr, "prowl record: no samples: process %d is stopped (by a signal, state T), not idle: it ran no "
				"code while recorded (resume it with kill -CONT %d)\n",
			(int)stopped_target(&co), (int)stopped_target(&co));
	else if (!quiet && st.samples == 0 && st.system_wide)
		fprintf(stderr, "prowl record: no samples: no process matched ran on a CPU while recorded\n");
	else if (!quiet && st.samples == 0)
		fprintf(stderr, "prowl record: no samples: the target used no CPU while recorded (try --mode wall for a sleeping one)\n");
	if (report && p && wr == 0) {
		fflush(stdout);
		profile_write_stream(p, FORMAT_REPORT, stdout, wp);
		fflush(stdout);
	}
	profile_free(p);
	if (wr == -EINTR) {
		int sig = session_stop_pending(s);
		rc = 128 + (sig ? sig : SIGINT);
	} else if (wr < 0)
		rc = exit_code_output(path, wr);
	else if (ev < 0)
		rc = EX_SOFTWARE;
	else if (co.argv && (interrupts || (ev & SESSION_EXITED)))
		rc = code >= 0 ? code : EX_OK; /* the command's status, as a shell passes it on */
	else
		rc = EX_OK; /* attached and stopped, or -d ended a launched command */
	session_free(s);
out:
	capture_opts_release(&co);
	return rc;
}
