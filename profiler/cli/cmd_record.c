/*
 * prowl record: sample a running process (-p) or a command (-- CMD ARGS) and
 * write a profile. Glue only: the capture is profiler/session.c, the file
 * formats/format.c.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profiler/base/errstr.h"
#include "formats/atomic.h"
#include "formats/format.h"
#include "profiler/capture/capture.h"
#include "profiler/cli/cmds.h"
#include "profiler/capture/session.h"
#include "profiler/base/util.h"

#define DEFAULT_OUTPUT "prowl.svg"

enum {
	KEY_REPORT = 0x100,
	KEY_THREADS,
	KEY_LINES,
	KEY_ICICLE,
	KEY_TITLE,
	KEY_QUIET,
};

static const struct option record_long[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, 'f' },
	{ "report", no_argument, NULL, KEY_REPORT },
	{ "threads", no_argument, NULL, KEY_THREADS },
	{ "lines", no_argument, NULL, KEY_LINES },
	{ "icicle", no_argument, NULL, KEY_ICICLE },
	{ "title", required_argument, NULL, KEY_TITLE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: prowl record [options] -p PID [-p PID...]\n"
		     "       prowl record [options] [--] COMMAND [ARGS...]\n\n"
		     "sample every thread of a process or command and write a profile\n\n");
	capture_opts_help(out);
	fprintf(out,
		"  -o, --output FILE     where to write (default %s; format from the extension:\n"
		"                        .svg .folded .txt .json .pb.gz; - for stdout)\n"
		"  -f, --format FMT      svg, folded, speedscope, pprof or report (overrides the extension)\n"
		"      --threads         root each stack at its thread \"name (tid)\"\n"
		"      --lines           frames are function:line\n"
		"      --icicle          SVG drawn top-down\n"
		"      --title TEXT      SVG title\n"
		"      --report          also print the top functions on stdout at the end\n"
		"  -q, --quiet           no summary line\n"
		"  -h, --help            this help\n\n"
		"Ctrl-C or SIGTERM write the profile so far and exit 0; SIGUSR1 writes it and goes on.\n"
		"A launched command's exit status becomes prowl's.\n",
		DEFAULT_OUTPUT);
}

/* Asked while waiting for a FIFO's reader and between buffers written: a
 * stop signal then ends the write instead of waiting in the signalfd. */
static bool stop_requested(void *arg)
{
	return session_stop_pending(arg) != 0;
}

/* The output is opened before the profile is symbolized, so a name that
 * cannot take it is known before that work. A stop signal while waiting or
 * writing gives -EINTR (nothing written, the old file kept). */
static int write_profile(struct session *s, const char *path, enum format f, const struct write_opts *w,
			 bool private_mode, bool quiet_interrupt, struct profile **out)
{
	struct atomic_opts ao = { .private_mode = private_mode, .cancelled = stop_requested, .cancel_arg = s };
	struct strbuf why;
	struct atomic_file *af;
	struct profile *p = NULL;
	strbuf_init(&why);
	int r = atomic_open(path, &ao, &af, &why);
	if (r == 0) {
		bool replaces = atomic_replaces(af);
		p = session_profile(s, 0);
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
		if (!quiet_interrupt)
			fprintf(stderr, "prowl: %s not written: %s\n", name, why.buf);
	} else if (r < 0 && !strcmp(path, "-"))
		fprintf(stderr, "prowl: cannot write the profile to stdout: %s\n", why.buf);
	else if (r < 0)
		fprintf(stderr, "prowl: cannot write %s: %s\n", path, why.buf);
	strbuf_release(&why);
	if (out)
		*out = p;
	else
		profile_free(p);
	return r;
}

static int open_error_code(int err)
{
	switch (err) {
	case ENOENT:
		return 127; /* as a shell says for a command not found */
	case EACCES:
	case ENOEXEC:
		return 126;
	case EPERM:
		return EX_NOPERM;
	case ESRCH:
		return EX_NOINPUT;
	default:
		return EX_UNAVAILABLE;
	}
}

int cmd_record(int argc, char **argv)
{
	struct capture_opts co;
	capture_opts_init(&co);
	char *shorts;
	struct option *longs;
	capture_getopt_build("o:f:qh", record_long, &shorts, &longs);
	const char *path = NULL;
	enum format fmt = FORMAT_NONE;
	struct write_opts w = { 0 };
	bool report = false, quiet = false;
	char err[256];
	int c, rc = EX_OK;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		int h = capture_opts_handle(&co, c, optarg, err, sizeof(err));
		if (h == CAPTURE_OPT_USAGE) {
			fprintf(stderr, "prowl record: %s\n", err);
			rc = EX_USAGE;
			goto out;
		}
		if (h == CAPTURE_OPT_HANDLED)
			continue;
		switch (c) {
		case 'o':
			if (!*optarg) {
				fprintf(stderr, "prowl record: -o needs a file name (or - for stdout)\n");
				rc = EX_USAGE;
				goto out;
			}
			path = optarg;
			break;
		case 'f':
			fmt = format_by_name(optarg);
			if (fmt == FORMAT_NONE || fmt == FORMAT_PERF_SCRIPT) {
				fprintf(stderr, "prowl record: unknown format '%s' (use svg, folded, speedscope, pprof or report)\n",
					optarg);
				rc = EX_USAGE;
				goto out;
			}
			break;
		case KEY_REPORT:
			report = true;
			break;
		case KEY_THREADS:
			w.threads = true;
			break;
		case KEY_LINES:
			w.lines = true;
			break;
		case KEY_ICICLE:
			w.icicle = true;
			break;
		case KEY_TITLE:
			w.title = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			goto out;
		default:
			if (optopt && optopt < 0x100 && optopt > ' ')
				fprintf(stderr, "prowl record: unknown option or missing value: -%c (see prowl record --help)\n",
					optopt);
			else
				fprintf(stderr, "prowl record: unknown option or missing value: %s (see prowl record --help)\n",
					argv[optind - 1]);
			rc = EX_USAGE;
			goto out;
		}
	}
	if (capture_opts_finish(&co, argc - optind, argv + optind, err, sizeof(err))) {
		fprintf(stderr, "prowl record: %s (see prowl record --help)\n", err);
		rc = EX_USAGE;
		goto out;
	}
	if (!path)
		path = DEFAULT_OUTPUT;
	if (fmt == FORMAT_NONE)
		fmt = format_by_path(path);
	if (fmt == FORMAT_NONE)
		fmt = strcmp(path, "-") ? FORMAT_COLLAPSED : FORMAT_COLLAPSED;
	/* Fail before profiling, not after, when the file cannot be made. */
	struct strbuf why;
	strbuf_init(&why);
	if (atomic_check(path, NULL, &why) < 0) {
		fprintf(stderr, "prowl record: cannot write %s: %s\n", path, why.buf);
		strbuf_release(&why);
		rc = EX_CANTCREAT;
		goto out;
	}
	strbuf_release(&why);
	/* Root's profile of another user's process is readable by root alone:
	 * it may hold names from files that user cannot read (README, Security). */
	bool private_mode = atomic_private_for(co.pids, co.npids);

	char *msg = NULL;
	struct session *s = session_new(&co, &msg);
	if (!s) {
		int e = errno;
		fprintf(stderr, "prowl: %s\n", msg ? msg : strerror(e));
		free(msg);
		rc = open_error_code(e);
		goto out;
	}
	if (*session_notes(s))
		fprintf(stderr, "prowl: %s\n", session_notes(s));
	if (session_start(s, &msg)) {
		int e = errno;
		fprintf(stderr, "prowl: %s\n", msg ? msg : session_error(s));
		free(msg);
		session_free(s);
		rc = open_error_code(e ? e : EIO);
		goto out;
	}
	int ev = 0;
	for (;;) {
		ev = session_poll(s, 1000, -1);
		if (ev < 0) {
			fprintf(stderr, "prowl: capture failed: %s\n", strerror(-ev));
			break;
		}
		if (ev & SESSION_USR1) {
			if (write_profile(s, path, fmt, &w, private_mode, true, NULL) == 0 && !quiet) {
				struct session_stats st;
				session_stats(s, &st);
				fprintf(stderr, "prowl: wrote %s (%llu samples so far)\n", path,
					(unsigned long long)st.samples);
			}
		}
		if (ev & (SESSION_INTERRUPTED | SESSION_DURATION | SESSION_EXITED))
			break;
	}
	session_stop(s);
	struct profile *p = NULL;
	int wr = write_profile(s, path, fmt, &w, private_mode, false, &p);
	struct session_stats st;
	session_stats(s, &st);
	if (!quiet) {
		double secs = (double)st.elapsed_ns / 1e9;
		uint64_t all = st.samples + st.lost;
		fprintf(stderr,
			"prowl: %llu samples, %llu lost (%.1f%%), %llu thread%s, %.1f s; %llu partial, %llu truncated; "
			"%s%s\n",
			(unsigned long long)st.samples, (unsigned long long)st.lost,
			all ? 100.0 * (double)st.lost / (double)all : 0.0, (unsigned long long)st.threads,
			st.threads == 1 ? "" : "s", secs, (unsigned long long)st.partial,
			(unsigned long long)st.truncated, wr == 0 ? "wrote " : "nothing written",
			wr == 0 ? (strcmp(path, "-") ? path : "stdout") : "");
		if (st.throttled)
			fprintf(stderr, "prowl: the kernel throttled sampling %llu times (lower -F, or raise "
				"kernel.perf_cpu_time_max_percent)\n", (unsigned long long)st.throttled);
	}
	if (!quiet && st.unsymbolized)
		fprintf(stderr, "prowl: symbolizing stopped on a signal: %llu frames written as module+offset\n",
			(unsigned long long)st.unsymbolized);
	if (!quiet && st.samples == 0 && co.argv && !co.children)
		fprintf(stderr, "prowl: no samples: if the command runs its work in child processes, add --children\n");
	else if (!quiet && st.samples == 0)
		fprintf(stderr, "prowl: no samples: the target used no CPU while recorded (try --mode wall for a sleeping one)\n");
	if (report && p && wr == 0) {
		fflush(stdout);
		profile_write_stream(p, FORMAT_REPORT, stdout, &w);
		fflush(stdout);
	}
	profile_free(p);
	if (wr == -EINTR) {
		int sig = session_stop_pending(s);
		rc = 128 + (sig ? sig : SIGINT);
	} else if (wr < 0) {
		rc = EX_CANTCREAT;
	} else if (ev >= 0 && (ev & SESSION_EXITED) && !(ev & SESSION_INTERRUPTED)) {
		int code = session_exit_code(s);
		rc = code >= 0 ? code : EX_OK;
	} else if (ev < 0) {
		rc = EX_SOFTWARE;
	} else {
		if ((ev & SESSION_DURATION) && !(ev & (SESSION_INTERRUPTED | SESSION_EXITED)) && co.argv) {
			/* The command ran only to be profiled: end it with the recording. */
			session_signal_command(s, SIGTERM);
		}
		rc = EX_OK;
	}
	session_free(s);
out:
	free(shorts);
	free(longs);
	capture_opts_release(&co);
	return rc;
}
