/*
 * prowl dump: every thread's stack once, then detach. All threads are stopped
 * together (PTRACE_SEIZE + PTRACE_INTERRUPT), each is unwound over live memory
 * as soon as it stops, everything is let go, and only then are the addresses
 * named (the target is held for the unwinds only, never for DWARF work).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/capture/maps.h"
#include "symbolize/symbolizer.h"
#include "profiler/cli/cmds.h"
#include "profiler/base/procstat.h"
#include "profiler/capture/ptrace.h"
#include "profiler/capture/target.h"
#include "profiler/capture/unwind.h"
#include "profiler/base/util.h"

#define DUMP_MAX_DEPTH 256
#define DUMP_MAX_INLINE 16

struct dump_thread {
	pid_t tid;
	char name[64];
	char state;         /* before we stopped it */
	uint64_t *ips;
	size_t nips;
	unsigned flags;     /* UNWIND_* */
	int err;            /* negative errno when it could not be read */
};

struct dump {
	struct target *target;
	struct target_proc *tp;
	struct unwinder *unwinder;
	struct ptrace_mem *mem;
	struct dump_thread *threads;
	size_t nthreads, cap;
	uint64_t ips[DUMP_MAX_DEPTH];
};

static struct dump_thread *dump_thread_get(struct dump *d, pid_t tid)
{
	for (size_t i = 0; i < d->nthreads; i++)
		if (d->threads[i].tid == tid)
			return &d->threads[i];
	xgrow((void **)&d->threads, &d->cap, d->nthreads + 1, sizeof(*d->threads));
	struct dump_thread *t = &d->threads[d->nthreads++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->err = -ETIMEDOUT; /* until it stops for us */
	return t;
}

static int mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return ptrace_mem_read(ctx, addr, buf, len);
}

static void on_stop(struct ptrace_proc *pp, struct ptrace_thread *t, void *arg)
{
	struct dump *d = arg;
	(void)pp;
	/* Let it go for good as soon as it is read: one stop per thread. */
	t->detach_after = true;
	struct dump_thread *dt = dump_thread_get(d, t->tid);
	struct user_regs_struct r;
	int e = ptrace_thread_regs(t->tid, &r);
	if (e) {
		dt->err = e;
		return;
	}
	struct unwind_regs ur = { { r.rax, r.rdx, r.rcx, r.rbx, r.rsi, r.rdi, r.rbp, r.rsp, r.r8, r.r9,
				    r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rip } };
	ptrace_mem_reset(d->mem);
	struct unwind_mem um = { mem_read, d->mem };
	unsigned flags = 0;
	int n = unwind_dwarf(d->unwinder, d->tp->maps, &ur, &um, d->ips, DUMP_MAX_DEPTH, &flags);
	if (n < 0) {
		dt->err = n;
		return;
	}
	dt->err = 0;
	dt->flags = flags;
	dt->nips = (size_t)n;
	dt->ips = xmalloc((size_t)n * sizeof(*dt->ips));
	memcpy(dt->ips, d->ips, (size_t)n * sizeof(*dt->ips));
}

/* Stops every thread once, unwinds it, lets it go; then detaches. */
static int dump_capture(struct dump *d, pid_t pid, char *err, size_t errlen)
{
	struct ptrace_proc pp;
	int r = ptrace_proc_attach(&pp, pid);
	if (r < 0) {
		if (r == -ESRCH)
			snprintf(err, errlen, "cannot dump %d: no such process (check the pid with ps)", (int)pid);
		else if (r == -EPERM || r == -EACCES)
			snprintf(err, errlen,
				 "cannot dump %d: permission denied (run as the process owner or root, and check kernel.yama.ptrace_scope; a debugger may already be attached)",
				 (int)pid);
		else
			snprintf(err, errlen, "cannot dump %d: %s", (int)pid, strerror(-r));
		ptrace_proc_release(&pp);
		return r;
	}
	/* The state each thread was in before we touched it. */
	for (size_t i = 0; i < pp.nthreads; i++) {
		struct procstat st;
		struct dump_thread *dt = dump_thread_get(d, pp.threads[i].tid);
		if (procstat_read(pid, pp.threads[i].tid, &st) == 0) {
			dt->state = st.state;
			snprintf(dt->name, sizeof(dt->name), "%s", st.comm);
		}
	}
	for (size_t i = 0; i < pp.nthreads; i++)
		ptrace_thread_interrupt(&pp, &pp.threads[i]);
	ptrace_proc_collect(&pp, 2000000000ull, on_stop, d);
	ptrace_proc_detach(&pp);
	ptrace_proc_release(&pp);
	return 0;
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static const char *state_word(char c)
{
	/* "[sleeping]" without the brackets. */
	static char buf[32];
	const char *l = procstat_state_label(c);
	size_t n = strlen(l);
	if (n >= 2 && l[0] == '[' && n - 2 < sizeof(buf)) {
		memcpy(buf, l + 1, n - 2);
		buf[n - 2] = 0;
		return buf;
	}
	return l;
}

struct symctx {
	struct symbolizer *sym;
	struct maps *maps;
};

/* Names one address: fills out (innermost first) and the module; returns the count. */
static int dump_lookup(struct symctx *sc, uint64_t addr, struct sym_frame *out, struct module **modp,
		       uint64_t *vaddrp)
{
	struct module *m = NULL;
	uint64_t vaddr = addr;
	maps_resolve(sc->maps, addr, &m, &vaddr);
	*modp = m;
	*vaddrp = vaddr;
	if (!m || (m->kind != MODULE_FILE && m->kind != MODULE_VDSO))
		return 0;
	if (!m->sym_data) {
		struct sym_source src = {
			.kind = SYM_ELF,
			.path = m->open_path ? m->open_path : m->path,
			.name = m->path,
			.build_id = m->build_id_len ? m->build_id : NULL,
			.build_id_len = m->build_id_len,
		};
		if (m->kind == MODULE_VDSO) {
			module_load(m);
			src.image = m->image;
			src.image_len = m->image_len;
		}
		m->sym_data = symbolizer_module(sc->sym, &src);
	}
	if (!m->sym_data)
		return 0;
	int n = sym_lookup(m->sym_data, vaddr, out, DUMP_MAX_INLINE);
	return n < 0 ? 0 : n;
}

static void print_text(FILE *out, struct dump *d, struct symctx *sc)
{
	fprintf(out, "process %d", (int)d->tp->pid);
	if (d->tp->command)
		fprintf(out, " %s", d->tp->command);
	fputc('\n', out);
	for (size_t i = 0; i < d->nthreads; i++) {
		struct dump_thread *t = &d->threads[i];
		fprintf(out, "\nthread %d \"%s\" %s\n", (int)t->tid, t->name, state_word(t->state));
		if (t->err) {
			fprintf(out, "  (stack not read: %s)\n",
				t->err == -ETIMEDOUT ? "it did not stop within 2 s (uninterruptible sleep?)" : strerror(-t->err));
			continue;
		}
		unsigned k = 0;
		for (size_t j = 0; j < t->nips; j++) {
			uint64_t pc = t->ips[j], look = pc - (j ? 1 : 0);
			struct sym_frame fr[DUMP_MAX_INLINE];
			struct module *m;
			uint64_t vaddr;
			int n = dump_lookup(sc, look, fr, &m, &vaddr);
			if (n == 0 || !(fr[n - 1].function || fr[n - 1].raw)) {
				if (m)
					fprintf(out, "  #%-3u 0x%016" PRIx64 " %s+0x%" PRIx64 "\n", k++, pc,
						base_name(m->path), vaddr);
				else
					fprintf(out, "  #%-3u 0x%016" PRIx64 " [unknown]\n", k++, pc);
				continue;
			}
			for (int f = 0; f < n; f++) {
				const char *fn = fr[f].function ? fr[f].function : fr[f].raw ? fr[f].raw : "[unknown]";
				fprintf(out, "  #%-3u 0x%016" PRIx64 " %s", k++, pc, fn);
				if (fr[f].file) {
					fprintf(out, " at %s", fr[f].file);
					if (fr[f].line)
						fprintf(out, ":%u", fr[f].line);
				}
				if (fr[f].inlined)
					fputs(" [inlined]", out);
				if (m)
					fprintf(out, " (%s)", base_name(m->path));
				fputc('\n', out);
			}
		}
		if (t->flags & (UNWIND_PARTIAL | UNWIND_TRUNCATED | UNWIND_DEPTH))
			fprintf(out, "  (stack incomplete: %s)\n",
				t->flags & UNWIND_DEPTH ? "too deep" : "unwinding stopped early");
	}
}

static void print_json(FILE *out, struct dump *d, struct symctx *sc)
{
	fprintf(out, "{\"pid\":%d,\"command\":", (int)d->tp->pid);
	if (d->tp->command)
		json_str(out, d->tp->command);
	else
		fputs("null", out);
	fputs(",\"threads\":[", out);
	for (size_t i = 0; i < d->nthreads; i++) {
		struct dump_thread *t = &d->threads[i];
		fprintf(out, "%s\n{\"tid\":%d,\"name\":", i ? "," : "", (int)t->tid);
		json_str(out, t->name);
		char st[2] = { t->state ? t->state : '?', 0 };
		fputs(",\"state\":", out);
		json_str(out, st);
		fputs(",\"state_label\":", out);
		json_str(out, state_word(t->state));
		if (t->err) {
			fputs(",\"error\":", out);
			json_str(out, t->err == -ETIMEDOUT ? "it did not stop within 2 s" : strerror(-t->err));
		}
		fprintf(out, ",\"complete\":%s,\"frames\":[",
			t->flags & (UNWIND_PARTIAL | UNWIND_TRUNCATED | UNWIND_DEPTH) ? "false" : "true");
		bool first = true;
		for (size_t j = 0; j < t->nips; j++) {
			uint64_t pc = t->ips[j], look = pc - (j ? 1 : 0);
			struct sym_frame fr[DUMP_MAX_INLINE];
			struct module *m;
			uint64_t vaddr;
			int n = dump_lookup(sc, look, fr, &m, &vaddr);
			int count = n ? n : 1;
			for (int f = 0; f < count; f++) {
				fprintf(out, "%s\n {\"address\":\"0x%" PRIx64 "\"", first ? "" : ",", pc);
				first = false;
				const char *fn = n ? (fr[f].function ? fr[f].function : fr[f].raw) : NULL;
				fputs(",\"function\":", out);
				if (fn)
					json_str(out, fn);
				else
					fputs("null", out);
				if (n && fr[f].raw && fr[f].function && strcmp(fr[f].raw, fr[f].function)) {
					fputs(",\"symbol\":", out);
					json_str(out, fr[f].raw);
				}
				fputs(",\"file\":", out);
				if (n && fr[f].file)
					json_str(out, fr[f].file);
				else
					fputs("null", out);
				fprintf(out, ",\"line\":%u,\"inlined\":%s,\"module\":", n ? fr[f].line : 0,
					n && fr[f].inlined ? "true" : "false");
				if (m)
					json_str(out, m->path);
				else
					fputs("null", out);
				fprintf(out, ",\"offset\":\"0x%" PRIx64 "\"}", vaddr);
			}
		}
		fputs("]}", out);
	}
	fputs("\n]}\n", out);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: prowl dump [--json] -p PID\n\n"
		     "print every thread's stack once, then detach (the process is stopped only\n"
		     "while its stacks are read)\n\n"
		     "  -p, --pid PID   the process\n"
		     "      --json      one JSON document: threads with tid, name, state and frames\n"
		     "  -h, --help      this help\n");
}

int cmd_dump(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	pid_t pid = 0;
	bool json = false;
	int c;
	optind = 1;
	opterr = 0; /* one line of our own below, not getopt's and the usage */
	while ((c = getopt_long(argc, argv, "+p:h", longs, NULL)) != -1) {
		switch (c) {
		case 'p': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v <= 0 || v > INT32_MAX) {
				fprintf(stderr, "prowl dump: '%s' is not a process id\n", optarg);
				return EX_USAGE;
			}
			if (pid) {
				fprintf(stderr, "prowl dump: one -p PID at a time (run it once per process)\n");
				return EX_USAGE;
			}
			pid = (pid_t)v;
			break;
		}
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			if (optopt && optopt < 0x100 && optopt > ' ')
				fprintf(stderr, "prowl dump: unknown option or missing value: -%c (see prowl dump --help)\n",
					optopt);
			else
				fprintf(stderr, "prowl dump: unknown option or missing value: %s (see prowl dump --help)\n",
					argv[optind - 1]);
			return EX_USAGE;
		}
	}
	if (optind < argc || !pid) {
		fprintf(stderr, optind < argc ? "prowl dump: unexpected argument '%s' (give the process with -p PID)\n"
					     : "prowl dump: which process? (give -p PID)%s\n",
			optind < argc ? argv[optind] : "");
		return EX_USAGE;
	}

	struct dump d;
	memset(&d, 0, sizeof(d));
	d.target = target_new();
	int r = target_attach(d.target, pid);
	if (r < 0) {
		if (r == -ESRCH)
			fprintf(stderr, "prowl dump: cannot dump %d: no such process (check the pid with ps)\n", (int)pid);
		else
			fprintf(stderr, "prowl dump: cannot read /proc/%d: %s (run as the process owner or root)\n",
				(int)pid, strerror(-r));
		target_free(d.target);
		return r == -ESRCH ? EX_NOINPUT : EX_NOPERM;
	}
	d.tp = target_proc(d.target, pid, false);
	d.unwinder = unwinder_new(d.target->modules, DUMP_MAX_DEPTH);
	d.mem = xmalloc(sizeof(*d.mem));
	ptrace_mem_init(d.mem, pid);
	char err[256];
	r = dump_capture(&d, pid, err, sizeof(err));
	int rc = EX_OK;
	if (r < 0) {
		fprintf(stderr, "prowl dump: %s\n", err);
		rc = r == -ESRCH ? EX_NOINPUT : r == -EPERM || r == -EACCES ? EX_NOPERM : EX_FAIL;
	} else {
		/* Threads that exited during the dump have nothing to show. */
		size_t k = 0;
		for (size_t i = 0; i < d.nthreads; i++) {
			if (d.threads[i].err && !procstat_state(pid, d.threads[i].tid))
				continue;
			d.threads[k++] = d.threads[i];
		}
		d.nthreads = k;
		struct symbolizer_opts so = { 0 };
		struct symctx sc = { symbolizer_new(&so), d.tp->maps };
		if (json)
			print_json(stdout, &d, &sc);
		else
			print_text(stdout, &d, &sc);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			fprintf(stderr, "prowl dump: cannot write the output: %s\n", strerror(errno));
			rc = EX_IOERR;
		}
		/* The symbolizer owns what the modules' sym_data point to. */
		symbolizer_free(sc.sym);
		for (size_t i = 0; i < module_set_count(d.target->modules); i++)
			module_set_at(d.target->modules, i)->sym_data = NULL;
	}
	for (size_t i = 0; i < d.nthreads; i++)
		free(d.threads[i].ips);
	free(d.threads);
	free(d.mem);
	unwinder_free(d.unwinder);
	target_free(d.target);
	return rc;
}
