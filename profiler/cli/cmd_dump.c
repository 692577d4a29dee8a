/*
 * prowl dump: every thread's stack once, then detach. The capture layer takes
 * the stacks (stackshot.h: the target is held for the unwinds only), the one
 * resolve step names them, formats/dump.c writes them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/dump.h"
#include "profiler/base/errstr.h"
#include "profiler/base/procstat.h"
#include "profiler/base/util.h"
#include "profiler/capture/capture.h"
#include "profiler/capture/resolve.h"
#include "profiler/capture/stackshot.h"
#include "profiler/capture/unwind.h"
#include "profiler/cli/cmds.h"

/* "[sleeping]" without the brackets. */
static char *state_word(char c)
{
	const char *l = procstat_state_label(c);
	size_t n = strlen(l);
	if (n >= 2 && l[0] == '[')
		return xasprintf("%.*s", (int)(n - 2), l + 1);
	return xstrdup(l);
}

/* Names every frame of the shot; the strings stay the resolver's. */
static void build_doc(struct stackshot *ss, struct resolver *r, struct dump_doc *doc, struct dump_thread *threads)
{
	*doc = (struct dump_doc){ ss->pid, ss->proc->command, threads, ss->nthreads };
	for (size_t i = 0; i < ss->nthreads; i++) {
		const struct stackshot_thread *st = &ss->threads[i];
		struct dump_thread *t = &threads[i];
		*t = (struct dump_thread){ .tid = st->tid, .name = st->name, .state = st->state,
					   .state_label = state_word(st->state) };
		if (st->err)
			t->error = st->err == -ETIMEDOUT ? "it did not stop within 2 s (uninterruptible sleep?)"
							 : errstr(-st->err);
		else if (st->flags & (UNWIND_PARTIAL | UNWIND_TRUNCATED | UNWIND_DEPTH))
			t->incomplete = st->flags & UNWIND_DEPTH ? "too deep" : "unwinding stopped early";
		struct dump_frame *fv = NULL;
		size_t n = 0, cap = 0;
		for (size_t j = 0; j < st->npcs; j++) {
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
		t->frames = fv;
		t->nframes = n;
	}
}

static void usage(FILE *out)
{
	fprintf(out, "usage: prowl dump [--json] [--thread REGEX] [--max-depth N] -p PID\n\n"
		     "print every thread's stack once, then detach (the process is stopped only\n"
		     "while its stacks are read)\n\n"
		     "  -p, --pid PID         the process\n"
		     "      --thread REGEX    only threads whose name matches (POSIX extended)\n"
		     "      --max-depth N     frames per stack (default %u)\n"
		     "      --json            one JSON document: threads with tid, name, state and frames\n"
		     "  -h, --help            this help\n\n"
		     "The other capture options (-F, -d, --stack-size, --unwind, --kernel,\n"
		     "--children, --backend, --mode) do not apply to a single look.\n",
		CAPTURE_DEFAULT_DEPTH);
}

int cmd_dump(int argc, char **argv)
{
	static const struct option mine[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct capture_opts co;
	capture_opts_init(&co);
	char *shorts;
	struct option *longs;
	capture_getopt_build("h", mine, &shorts, &longs);
	bool json = false;
	int c, rc = -1, li = -1;
	char err[256];
	optind = 1;
	opterr = 0; /* one line of our own below, not getopt's and the usage */
	while (rc < 0 && (c = getopt_long(argc, argv, shorts, longs, &li)) != -1) {
		if (c == 'F' || c == 'd' || (c >= CAPTURE_KEY_BASE && c != CAPTURE_KEY_THREAD && c != CAPTURE_KEY_MAX_DEPTH)) {
			fprintf(stderr, "prowl dump: %s%s does not apply to a dump (it takes -p, --thread, --max-depth, --json)\n",
				c < CAPTURE_KEY_BASE ? "-" : "--", c < CAPTURE_KEY_BASE ? (char[]){ (char)c, 0 } : longs[li].name);
			rc = EX_USAGE;
			break;
		}
		int h = capture_opts_handle(&co, c, optarg, err, sizeof(err));
		if (h == CAPTURE_OPT_USAGE) {
			fprintf(stderr, "prowl dump: %s\n", err);
			rc = EX_USAGE;
		} else if (h == CAPTURE_OPT_NOT_MINE) {
			if (c == 'j') {
				json = true;
			} else if (c == 'h') {
				usage(stdout);
				rc = EX_OK;
			} else {
				if (optopt && optopt < 0x100 && optopt > ' ')
					fprintf(stderr, "prowl dump: unknown option or missing value: -%c (see prowl dump --help)\n", optopt);
				else
					fprintf(stderr, "prowl dump: unknown option or missing value: %s (see prowl dump --help)\n",
						argv[optind - 1]);
				rc = EX_USAGE;
			}
		}
		li = -1;
	}
	free(shorts);
	free(longs);
	if (rc < 0 && (optind < argc || co.npids != 1)) {
		if (optind < argc)
			fprintf(stderr, "prowl dump: unexpected argument '%s' (give the process with -p PID)\n", argv[optind]);
		else if (co.npids > 1)
			fprintf(stderr, "prowl dump: one -p PID at a time (run it once per process)\n");
		else
			fprintf(stderr, "prowl dump: which process? (give -p PID)\n");
		rc = EX_USAGE;
	}
	if (rc >= 0) {
		capture_opts_release(&co);
		return rc;
	}

	char *msg;
	struct stackshot *ss;
	int r = stackshot_take(&co, &ss, &msg);
	if (r < 0) {
		fprintf(stderr, "prowl dump: %s\n", msg ? msg : errstr(-r));
		rc = r == -ESRCH ? EX_NOINPUT : r == -EPERM || r == -EACCES ? EX_NOPERM : r == -EINVAL ? EX_USAGE : EX_FAIL;
	} else {
		struct resolver *res = resolve_new();
		struct dump_doc doc;
		struct dump_thread *threads = xcalloc(ss->nthreads + 1, sizeof(*threads));
		build_doc(ss, res, &doc, threads);
		r = json ? dump_write_json(stdout, &doc) : dump_write_text(stdout, &doc);
		rc = EX_OK;
		if (r < 0) {
			fprintf(stderr, "prowl dump: cannot write the output: %s\n", errstr(-r));
			rc = EX_IOERR;
		}
		for (size_t i = 0; i < ss->nthreads; i++) {
			free((void *)threads[i].frames);
			free((void *)threads[i].state_label);
		}
		free(threads);
		resolve_free(res);
		stackshot_free(ss);
	}
	free(msg);
	capture_opts_release(&co);
	return rc;
}
