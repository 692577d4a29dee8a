/*
 * prowl dump: every thread's stack once, then detach. The capture layer takes
 * the stacks (stackshot.h: the target is held for the unwinds only), the one
 * resolve step names them, formats/dump.c writes them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/dump.h"
#include "profiler/base/errstr.h"
#include "profiler/base/procstat.h"
#include "profiler/base/util.h"
#include "profiler/capture/capture.h"
#include "profiler/capture/offcpu.h"
#include "profiler/capture/resolve.h"
#include "profiler/capture/stackshot.h"
#include "profiler/capture/unwind.h"
#include "profiler/cli/cmds.h"
#include "profiler/cli/exit.h"
#include "profiler/cli/opts.h"

/* "[sleeping]" without the brackets. */
static char *state_word(char c)
{
	const char *l = procstat_state_label(c);
	size_t n = strlen(l);
	if (n >= 2 && l[0] == '[')
		return xasprintf("%.*s", (int)(n - 2), l + 1);
	return xstrdup(l);
}

/* The call a thread waits in, and what it waits for when the call's name
 * does not say it (wall mode's states without brackets: "lock wait" for a
 * futex); *wait is allocated, or NULL. */
static void wait_of(const struct stackshot_thread *st, const char **syscall, char **wait)
{
	*syscall = NULL;
	*wait = NULL;
	if (st->call < 0)
		return;
	struct offcpu_call c = { .where = OFFCPU_IN_CALL, .nr = st->call };
	memcpy(c.args, st->call_args, sizeof(c.args));
	*syscall = offcpu_syscall_name(st->call);
	int nr;
	enum sample_state s = offcpu_state(&c, &nr);
	if (s == SAMPLE_STATE_SYSCALL || s == SAMPLE_STATE_SLEEPING)
		return; /* the call's name is the whole story */
	char buf[64];
	const char *l = offcpu_state_name(s, nr, buf, sizeof(buf));
	size_t n = strlen(l);
	*wait = n >= 2 && l[0] == '[' ? xasprintf("%.*s", (int)(n - 2), l + 1) : xstrdup(l);
}

/* Names every frame of the shot; the strings stay the resolver's. */
static void build_doc(struct stackshot *ss, struct resolver *r, struct dump_doc *doc, struct dump_thread *threads)
{
	*doc = (struct dump_doc){ .pid = ss->pid, .command = ss->proc->command, .threads = threads,
				  .nthreads = ss->nthreads };
	if (ss->python && ss->python->state == PYSAMPLE_READY)
		doc->python = ss->python->message;
	for (size_t i = 0; i < ss->nthreads; i++) {
		const struct stackshot_thread *st = &ss->threads[i];
		struct dump_thread *t = &threads[i];
		*t = (struct dump_thread){ .tid = st->tid, .name = st->name, .state = st->state,
					   .state_label = state_word(st->state) };
		char *wait;
		wait_of(st, &t->syscall, &wait);
		t->wait = wait;
		if (st->err)
			t->error = st->err == -ETIMEDOUT ? "it did not stop within 2 s (uninterruptible sleep?)"
							 : errstr(-st->err);
		else if (st->flags & (UNWIND_PARTIAL | UNWIND_TRUNCATED | UNWIND_DEPTH))
			t->incomplete = st->flags & UNWIND_DEPTH ? "too deep" : "unwinding stopped early";
		struct dump_frame *fv = NULL;
		size_t n = 0, cap = 0;
		/* A CPython thread: its merged stack, else the native one as is. */
		size_t nel = st->py.nmerged ? st->py.nmerged : st->npcs;
		for (size_t e = 0; e < nel; e++) {
			if (st->py.nmerged && st->py.merged[e].python) {
				const struct py_frame *pf = &st->py.thread.frames[st->py.merged[e].index];
				xgrow((void **)&fv, &cap, n + 1, sizeof(*fv));
				fv[n++] = (struct dump_frame){ .name = pf->name, .named = true, .file = pf->file,
							       .line = pf->line > 0 ? (unsigned)pf->line : 0,
							       .python = true };
				continue;
			}
			size_t j = st->py.nmerged ? st->py.merged[e].index : e;
			uint64_t pc = st->pcs[j], vaddr;
			struct module *m;
			resolve_locate(ss->target->modules, ss->proc->maps, pc - (j ? 1 : 0), &m, &vaddr);
			const struct resolved *res = resolve_frame(r, m, vaddr, RESOLVE_USER);
			for (uint32_t k = 0; k < res->nframes; k++) {
				const struct profile_frame *pf = &res->frames[k];
				xgrow((void **)&fv, &cap, n + 1, sizeof(*fv));
				fv[n++] = (struct dump_frame){
					.address = pc, .name = pf->name, .named = res->named,
					.symbol = pf->system_name && strcmp(pf->system_name, pf->name) ? pf->system_name : NULL,
					.file = pf->file, .line = pf->line, .inlined = pf->inlined,
					.module = m ? m->path : NULL, .offset = vaddr,
				};
			}
		}
		if (!t->incomplete && st->py.partial)
			t->incomplete = "python and native frames did not match";
		t->frames = fv;
		t->nframes = n;
	}
}

static const char *const dump_usage[] = { "[options] -p PID", NULL };
static const struct opts_example dump_examples[] = {
	{ "dump -p 4242", "every thread's stack, named, with its state" },
	{ "dump --json --thread 'worker.*' -p 4242", "the worker threads only, as one JSON document" },
	{ NULL, NULL },
};
const struct opts_cmd dump_cmd = {
	.name = "dump",
	.summary = "print every thread's stack once",
	.usage = dump_usage,
	.description = "Prints every thread's stack once, then detaches: the process is stopped only while\n"
		       "its stacks are read. Of the capture options it takes -p, --thread, --max-depth and\n"
		       "--no-python; a CPython process shows each thread's Python frames (function, file.py:line)\n"
		       "in place of the interpreter's evaluation frames, read in the same stop;\n"
		       "the others (-F, -d, --stack-size, --unwind, --kernel, --children, --backend, --mode)\n"
		       "do not apply to a single look and are refused.",
	.examples = dump_examples,
	.notes = "Exit status: 0 done, 64 usage, 66 no such process, 69 a kernel thread, 74 stdout not written, 77 permission denied.",
	.args = OPTS_ARGS_MIXED,
};

/* The sampling options of record and top, named so the refusal says why. */
static int not_for_dump(const struct opt *o, const char *arg, struct strbuf *err)
{
	(void)arg;
	if (o->long_name && !o->short_name)
		strbuf_addf(err, "--%s", o->long_name);
	else
		strbuf_addf(err, "-%c", o->short_name);
	strbuf_adds(err, " does not apply to a dump (it takes -p, --thread, --max-depth, --no-python, --json)");
	return -1;
}

#define NOT_FOR_DUMP(s, l, f) \
	{ .kind = OPT_KIND_CALLBACK, .short_name = (s), .long_name = (l), .cb = not_for_dump, .flags = OPT_HIDDEN | (f) }

int cmd_dump(int argc, char **argv)
{
	struct capture_opts co;
	capture_opts_init(&co);
	bool json = false;
	const struct opt table[] = {
		OPT_GROUP("capture options"),
		OPTS_CAP_('p', "pid", &co, "PID", "the process to look at", CAPTURE_OPT_PID, 0),
		OPTS_CAP_(0, "thread", &co, "REGEX", "only threads whose name matches (POSIX extended regex)",
			  CAPTURE_OPT_THREAD, 0),
		OPTS_CAP_(0, "max-depth", &co, "N", "frames walked per stack; inlined calls not counted (default 512)", CAPTURE_OPT_MAX_DEPTH, 0),
		OPTS_CAP_(0, "no-python", &co, NULL, "raw native stacks of a CPython process (no Python frames)",
			  CAPTURE_OPT_NO_PYTHON, OPT_NOARG),
		OPT_GROUP("output options"),
		OPT_FLAG(0, "json", &json, "one JSON document: threads with tid, name, state and frames"),
		OPT_HELP(),
		NOT_FOR_DUMP('F', "freq", 0),
		NOT_FOR_DUMP('d', "duration", 0),
		NOT_FOR_DUMP(0, "stack-size", 0),
		NOT_FOR_DUMP(0, "unwind", 0),
		NOT_FOR_DUMP(0, "kernel", OPT_NOARG),
		NOT_FOR_DUMP(0, "children", OPT_NOARG),
		NOT_FOR_DUMP(0, "backend", 0),
		NOT_FOR_DUMP(0, "mode", 0),
		OPT_END(),
	};
	int rc = EX_OK;
	int n = opts_parse_or_exit(&dump_cmd, table, argc, argv, &rc);
	if (n < 0) {
		capture_opts_release(&co);
		return rc;
	}
	if (n > 0 || co.npids != 1) {
		if (n > 0)
			opts_error(&dump_cmd, "unexpected argument '%s' (give the process with -p PID)", argv[0]);
		else if (co.npids > 1)
			opts_error(&dump_cmd, "one -p PID at a time (run it once per process)");
		else
			opts_error(&dump_cmd, "which process? (give -p PID)");
		capture_opts_release(&co);
		return EX_USAGE;
	}

	char *msg;
	struct stackshot *ss;
	int r = stackshot_take(&co, &ss, &msg);
	if (r < 0) {
		opts_error(&dump_cmd, "%s", msg ? msg : errstr(r));
		rc = exit_code(EXIT_TARGET, r);
	} else {
		/* A CPython prowl cannot read: say so once, show native stacks. */
		if (ss->python && ss->python->state == PYSAMPLE_UNSUPPORTED)
			opts_error(&dump_cmd, "%s", ss->python->message);
		struct resolver *res = resolve_new();
		struct dump_doc doc;
		struct dump_thread *threads = xcalloc(ss->nthreads + 1, sizeof(*threads));
		build_doc(ss, res, &doc, threads);
		r = json ? dump_write_json(stdout, &doc) : dump_write_text(stdout, &doc);
		rc = EX_OK;
		if (r < 0) {
			opts_error(&dump_cmd, "cannot write the output: %s", errstr(r));
			rc = exit_code(EXIT_STDOUT, r);
		}
		for (size_t i = 0; i < ss->nthreads; i++) {
			free((void *)threads[i].frames);
			free((void *)threads[i].state_label);
			free((void *)threads[i].wait);
		}
		free(threads);
		resolve_free(res);
		stackshot_free(ss);
	}
	free(msg);
	capture_opts_release(&co);
	return rc;
}
