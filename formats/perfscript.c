#include "formats/perfscript.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/base/util.h"
#include "profiler/model/seq.h"
#include "formats/escape.h"

/*
 * The reference is a Perl script whose behaviour lives in its regular
 * expressions; each matcher below reproduces one of them, backtracking
 * included, so odd lines come out as the reference would have them.
 */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\r' || c == '\v' || c == '\n';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

struct event_line {
	const char *comm;
	size_t comm_len;
	const char *pid, *tid; /* digit runs; tid NULL when the line had one number */
	size_t pid_len, tid_len;
	uint64_t period;     /* 0 when the line carries none */
	const char *event;   /* NULL when no "event:" ends the line */
	size_t event_len;
};

/* /^(\S.+?)\s+(\d+)[\/]*(\d+)*\s+/: the shortest command name followed by
 * blanks, pid[/tid] and a blank. */
static bool match_event(const char *s, size_t n, struct event_line *ev)
{
	if (n < 2 || is_space(s[0]))
		return false;
	for (size_t e = 2; e < n; e++) {
		/* Inside a run of blanks the try at e - 1 already scanned what this
		 * one would (the same blanks, then the same digits) and failed:
		 * skipping keeps a line of N blanks linear instead of N^2 / 2. */
		if (e > 2 && is_space(s[e - 1]))
			continue;
		size_t i = e;
		while (i < n && is_space(s[i]))
			i++;
		if (i == e)
			continue;
		size_t d = i;
		while (i < n && is_digit(s[i]))
			i++;
		if (i == d)
			continue;
		size_t dlen = i - d;
		while (i < n && s[i] == '/')
			i++;
		size_t t = i;
		while (i < n && is_digit(s[i]))
			i++;
		size_t tlen = i - t;
		if (i >= n || !is_space(s[i]))
			continue;
		ev->comm = s;
		ev->comm_len = e;
		ev->pid = s + d;
		ev->pid_len = dlen;
		ev->tid = tlen ? s + t : NULL;
		ev->tid_len = tlen;
		return true;
	}
	return false;
}

/* /:\s*(\d+)*\s+(\S+):\s*$/: "... [period] event:" at the end of the line. */
static void match_period(const char *s, size_t n, struct event_line *ev)
{
	ev->period = 0;
	ev->event = NULL;
	size_t end = n;
	while (end && is_space(s[end - 1]))
		end--;
	if (!end || s[end - 1] != ':')
		return;
	size_t tok_end = end - 1, tok = tok_end;
	while (tok && !is_space(s[tok - 1]))
		tok--;
	if (tok == tok_end || !tok)
		return;
	for (size_t c = 0; c < tok; c++) {
		if (s[c] != ':')
			continue;
		size_t i = c + 1, ws1 = 0;
		while (i < tok && is_space(s[i]))
			i++, ws1++;
		size_t d = i;
		while (i < tok && is_digit(s[i]))
			i++;
		size_t dlen = i - d, ws2 = 0;
		while (i < tok && is_space(s[i]))
			i++, ws2++;
		if (i != tok)
			continue;
		if (dlen ? ws2 == 0 : ws1 == 0)
			continue;
		uint64_t p = 0;
		for (size_t k = d; k < d + dlen; k++)
			p = p * 10 + (uint64_t)(s[k] - '0');
		ev->period = p;
		ev->event = s + tok;
		ev->event_len = tok_end - tok;
		return;
	}
}

struct frame_line {
	const char *pc, *func, *mod;
	size_t pc_len, func_len, mod_len;
};

/* /^\s*(\w+)\s*(.+) \((.*)\)/: address, symbol (greedy: up to the last " ("
 * that a ")" follows), module up to the last ")". */
static bool match_frame(const char *s, size_t n, struct frame_line *fl)
{
	size_t i0 = 0;
	while (i0 < n && is_space(s[i0]))
		i0++;
	size_t lmax = 0;
	while (i0 + lmax < n && is_word(s[i0 + lmax]))
		lmax++;
	if (!lmax)
		return false;
	size_t close = n;
	while (close > 0 && s[close - 1] != ')')
		close--;
	if (!close)
		return false;
	close--; /* index of the last ')' */
	size_t r = SIZE_MAX;
	for (size_t k = close; k-- > 0;) {
		if (k + 2 <= close && s[k] == ' ' && s[k + 1] == '(') {
			r = k;
			break;
		}
	}
	if (r == SIZE_MAX)
		return false;
	size_t wmax = 0;
	while (i0 + lmax + wmax < n && is_space(s[i0 + lmax + wmax]))
		wmax++;
	size_t l, w;
	if (i0 + lmax + wmax + 1 <= r) {
		l = lmax, w = wmax;
	} else if (i0 + lmax + 1 <= r) {
		l = lmax, w = r - 1 - i0 - lmax;
	} else if (r >= i0 + 2) {
		l = r - 1 - i0, w = 0;
	} else {
		return false;
	}
	fl->pc = s + i0;
	fl->pc_len = l;
	fl->func = s + i0 + l + w;
	fl->func_len = r - (i0 + l + w);
	fl->mod = s + r + 2;
	fl->mod_len = close - (r + 2);
	return true;
}

static bool has(const char *s, size_t n, const char *needle)
{
	return memmem(s, n, needle, strlen(needle)) != NULL;
}

/* Is the module the kernel: m/(^\[|vmlinux$)/ and not m/unknown/. */
static bool module_is_kernel(const char *m, size_t n)
{
	bool k = (n && m[0] == '[') || (n >= 7 && memcmp(m + n - 7, "vmlinux", 7) == 0);
	return k && !has(m, n, "unknown");
}

/* m:/tmp/perf-\d+\.map: */
static bool module_is_jit(const char *m, size_t n)
{
	const char *p = m, *end = m + n;
	while ((p = memmem(p, (size_t)(end - p), "/tmp/perf-", 10))) {
		const char *d = p + 10, *q = d;
		while (q < end && is_digit(*q))
			q++;
		if (q > d && end - q >= 4 && memcmp(q, ".map", 4) == 0)
			return true;
		p++;
	}
	return false;
}

/* The reference's tidy_generic and tidy_java, in place on a strbuf. */
static void tidy(struct strbuf *f, bool java)
{
	for (size_t i = 0; i < f->len; i++)
		if (f->buf[i] == ';')
			f->buf[i] = ':';
	/* Unless it looks like a Go method (m/\.\(.*\)\./), everything from the
	 * first "(" not opening "(anonymous namespace)" is argument noise. */
	/* The first ".(" and the last ")." decide it, in one pass each (a
	 * name of many ".(" made the pairwise search quadratic). */
	bool go = false;
	size_t first = SIZE_MAX;
	for (size_t i = 0; i + 1 < f->len; i++)
		if (f->buf[i] == '.' && f->buf[i + 1] == '(') {
			first = i;
			break;
		}
	if (first != SIZE_MAX)
		for (size_t j = f->len; j-- > first + 2;)
			if (f->buf[j] == '.' && f->buf[j - 1] == ')') {
				go = true;
				break;
			}
	if (!go) {
		static const char anon[] = "anonymous namespace)";
		for (size_t i = 0; i < f->len; i++) {
			if (f->buf[i] != '(')
				continue;
			if (f->len - i - 1 >= sizeof(anon) - 1 &&
			    memcmp(f->buf + i + 1, anon, sizeof(anon) - 1) == 0)
				continue;
			f->len = i;
			f->buf[i] = '\0';
			break;
		}
	}
	size_t o = 0;
	for (size_t i = 0; i < f->len; i++)
		if (f->buf[i] != '"' && f->buf[i] != '\'')
			f->buf[o++] = f->buf[i];
	f->len = o;
	f->buf[o] = '\0';
	if (java && f->len && f->buf[0] == 'L' && memchr(f->buf, '/', f->len)) {
		memmove(f->buf, f->buf + 1, f->len);
		f->len--;
	}
}

struct reader {
	struct profile *p;
	const struct read_opts *o;
	struct strbuf pname;
	bool have_pname;
	uint32_t thread;
	uint64_t period;
	uint64_t period_sum, samples; /* of the kept event, for meta.period_ns */
	bool time_event; /* cpu-clock or task-clock: periods are nanoseconds */
	bool weighted;   /* a period weighed a sample: counts are events, not samples */
	uint32_t *stack; /* leaf first, as read */
	size_t depth, cap;
	char *event_filter;
	struct strbuf tmp;
};

static void push_frame(struct reader *r, uint32_t frame)
{
	xgrow((void **)&r->stack, &r->cap, r->depth + 1, sizeof(*r->stack));
	r->stack[r->depth++] = frame;
}

/* One "pc symbol (module)" line: the symbol may be an inline chain "a->b",
 * which becomes frames a then b (b towards the leaf, marked inlined). The
 * pieces are pushed leaf-first like the rest of the stack. */
static void frame_line(struct reader *r, const struct frame_line *fl)
{
	const char *func = fl->func;
	size_t flen = fl->func_len;
	/* s/\+0x[\da-f]+$// */
	size_t k = flen;
	while (k && (is_digit(func[k - 1]) || (func[k - 1] >= 'a' && func[k - 1] <= 'f')))
		k--;
	if (k < flen && k >= 3 && func[k - 1] == 'x' && func[k - 2] == '0' && func[k - 3] == '+')
		flen = k - 3;
	if (flen && func[0] == '(')
		return;
	bool java = r->pname.len >= 4 && memcmp(r->pname.buf, "java", 4) == 0;
	char *mod = xstrndup(fl->mod, fl->mod_len);
	/* perf prints an inlined function as "addr name (inlined)", with no
	 * module, before the function it is inlined into: "inlined" is a mark,
	 * not a module. */
	bool inlined = strcmp(mod, "inlined") == 0;
	struct profile_module m = { .path = mod, .kernel = module_is_kernel(fl->mod, fl->mod_len) };
	int32_t module = fl->mod_len && strcmp(mod, "[unknown]") && !inlined ? profile_module_intern(r->p, &m) : -1;
	bool kernel = r->o->kernel && module_is_kernel(fl->mod, fl->mod_len);
	bool jit = r->o->jit && module_is_jit(fl->mod, fl->mod_len);

	/* Perl's split drops trailing empty pieces but keeps leading ones. */
	size_t npieces = 0, starts[64], lens[64];
	size_t a = 0;
	for (size_t i = 0; i <= flen; i++) {
		if (i == flen || (i + 1 < flen && func[i] == '-' && func[i + 1] == '>')) {
			if (npieces < ARRAY_SIZE(starts)) {
				starts[npieces] = a;
				lens[npieces] = i - a;
				npieces++;
			}
			a = i + 2;
			i++;
		}
	}
	while (npieces && lens[npieces - 1] == 0)
		npieces--;
	uint32_t frames[64];
	for (size_t pi = 0; pi < npieces; pi++) {
		struct strbuf *f = &r->tmp;
		strbuf_reset(f);
		const char *piece = func + starts[pi];
		size_t plen = lens[pi];
		if (plen == 9 && memcmp(piece, "[unknown]", 9) == 0) {
			strbuf_addc(f, '[');
			if (strcmp(mod, "[unknown]") != 0) {
				const char *base = strrchr(mod, '/');
				strbuf_adds(f, base ? base + 1 : mod);
			} else {
				strbuf_adds(f, "unknown");
			}
			if (r->o->addrs) {
				strbuf_adds(f, " <");
				strbuf_add(f, fl->pc, fl->pc_len);
				strbuf_addc(f, '>');
			}
			strbuf_addc(f, ']');
		} else {
			strbuf_add(f, piece, plen);
		}
		tidy(f, java);
		struct profile_frame fr = { .module = module, .kind = FRAME_USER, .inlined = inlined };
		if (inlined) {
			/* kind stays user: an inlined frame sits in its caller's code */
		} else if (pi > 0) {
			char *at = memmem(f->buf, f->len, "_[i]", 4);
			if (at && at + 4 == f->buf + f->len) {
				f->len -= 4;
				f->buf[f->len] = '\0';
				fr.inlined = 1;
			} else if (!at) {
				fr.inlined = 1;
			}
		} else if (kernel) {
			fr.kind = FRAME_KERNEL;
		} else if (jit) {
			char *at = memmem(f->buf, f->len, "_[j]", 4);
			if (at && at + 4 == f->buf + f->len) {
				f->len -= 4;
				f->buf[f->len] = '\0';
				fr.kind = FRAME_JIT;
			} else if (!at) {
				fr.kind = FRAME_JIT;
			}
		}
		fr.name = f->buf;
		frames[pi] = profile_frame_intern(r->p, &fr);
	}
	/* unshift @stack, @inline: the chain keeps its order in front of the rest. */
	for (size_t pi = npieces; pi-- > 0;)
		push_frame(r, frames[pi]);
	free(mod);
}

static void end_sample(struct reader *r)
{
	if (!r->have_pname)
		return;
	uint32_t root = profile_frame_named(r->p, r->pname.buf, FRAME_THREAD);
	/* Deeper than READ_MAX_FRAMES: the outermost frames are kept. */
	size_t keep = r->depth < READ_MAX_FRAMES ? r->depth : READ_MAX_FRAMES;
	uint32_t *path = xmalloc((keep + 1) * sizeof(*path));
	path[0] = root;
	for (size_t i = 0; i < keep; i++)
		path[1 + i] = r->stack[r->depth - 1 - i];
	uint32_t node = profile_node_path(r->p, path, keep + 1);
	free(path);
	if (keep < r->depth)
		r->p->meta.truncated++;
	/* Units follow the input. The period of a time event (cpu-clock,
	 * task-clock) is nanoseconds: the sample counts one, and the periods
	 * give meta.period_ns, which writers with a place for time (pprof,
	 * speedscope) keep; stackcollapse-perf.pl adds them, and 10 ms of
	 * cpu-clock became 10,101,010 "samples". The period of another event
	 * (cycles, page-faults) is how many events the sample stands for: it
	 * is the weight, as the reference has it. No period: one. */
	if (r->time_event) {
		profile_add(r->p, r->thread, node, 1);
		r->samples++;
		r->period_sum = r->period > UINT64_MAX - r->period_sum ? UINT64_MAX : r->period_sum + r->period;
	} else {
		profile_add(r->p, r->thread, node, r->period ? r->period : 1);
		r->weighted |= r->period != 0;
	}
	r->depth = 0;
	r->have_pname = false;
}

static int32_t parse_num(const char *s, size_t n)
{
	int64_t v = 0;
	for (size_t i = 0; i < n && v < INT32_MAX; i++)
		v = v * 10 + (s[i] - '0');
	return v > INT32_MAX ? INT32_MAX : (int32_t)v;
}

/* Perl's truth of a captured number: "" and "0" are false. */
static bool perl_true(const char *s, size_t n)
{
	return n && !(n == 1 && s[0] == '0');
}

static void event_line(struct reader *r, const char *line, size_t n, struct event_line *ev)
{
	match_period(line, n, ev);
	if (ev->event) {
		if (!r->event_filter) {
			/* Only the first event type is kept: cycles and instructions
			 * added together mean nothing. */
			r->event_filter = xstrndup(ev->event, ev->event_len);
			profile_set_str(&r->p->meta.event, r->event_filter);
			r->time_event = strncmp(r->event_filter, "cpu-clock", 9) == 0 ||
					strncmp(r->event_filter, "task-clock", 10) == 0;
		} else if (strlen(r->event_filter) != ev->event_len ||
			   memcmp(r->event_filter, ev->event, ev->event_len) != 0) {
			return;
		}
	}
	r->period = ev->period;
	const char *pid = ev->pid, *tid = ev->tid;
	size_t pid_len = ev->pid_len, tid_len = ev->tid_len;
	bool no_pid = !tid || !perl_true(tid, tid_len);
	if (no_pid) {
		tid = pid;
		tid_len = pid_len;
	}
	strbuf_reset(&r->pname);
	strbuf_add(&r->pname, ev->comm, ev->comm_len);
	char *comm = xstrndup(ev->comm, ev->comm_len);
	if (r->o->tid || r->o->pid) {
		strbuf_addc(&r->pname, '-');
		if (no_pid)
			strbuf_addc(&r->pname, '?');
		else
			strbuf_add(&r->pname, pid, pid_len);
		if (r->o->tid) {
			strbuf_addc(&r->pname, '/');
			strbuf_add(&r->pname, tid, tid_len);
		}
	}
	for (size_t i = 0; i < r->pname.len; i++)
		if (r->pname.buf[i] == ' ')
			r->pname.buf[i] = '_';
	/* A "0" name is false in Perl: the reference drops such samples. */
	r->have_pname = perl_true(r->pname.buf, r->pname.len);
	int32_t ipid = no_pid ? 0 : parse_num(pid, pid_len);
	r->thread = profile_thread_intern(r->p, ipid, parse_num(tid, tid_len), comm);
	free(comm);
}

/* "# cmdline : perf record ... cmd args": the command, for titles. */
static void header_line(struct reader *r, const char *s, size_t n)
{
	static const char key[] = "# cmdline : ";
	if (n > sizeof(key) - 1 && memcmp(s, key, sizeof(key) - 1) == 0 && !r->p->meta.command) {
		char *c = xstrndup(s + sizeof(key) - 1, n - (sizeof(key) - 1));
		size_t l = strlen(c);
		while (l && is_space(c[l - 1]))
			c[--l] = '\0';
		profile_set_str(&r->p->meta.command, c);
		free(c);
	}
}

struct profile *perfscript_read(const char *data, size_t len, const struct read_opts *o)
{
	static const struct read_opts defaults;
	struct reader r = { .o = o ? o : &defaults };
	r.p = profile_new();
	strbuf_init(&r.pname);
	strbuf_init(&r.tmp);
	size_t events = 0;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - data) : len;
		const char *line = data + i;
		size_t n = e - i;
		i = e + 1;
		if (n && line[0] == '#') {
			header_line(&r, line, n);
			continue;
		}
		if (!n) {
			end_sample(&r);
			continue;
		}
		struct event_line ev;
		struct frame_line fl;
		if (match_event(line, n, &ev)) {
			events++;
			event_line(&r, line, n, &ev);
		} else if (match_frame(line, n, &fl)) {
			if (r.have_pname)
				frame_line(&r, &fl);
		}
		/* Other lines are skipped, as the reference does (with a warning). */
	}
	/* A sample not closed by a blank line is dropped, as the reference does. */
	profile_set_str(&r.p->meta.backend, NULL);
	if (r.time_event && r.samples && r.period_sum)
		r.p->meta.period_ns = (r.period_sum + r.samples / 2) / r.samples;
	/* Counts that sum periods count the event itself (report says
	 * "page-faults", pprof names its value so). */
	if (!r.time_event && r.weighted && r.event_filter)
		profile_set_str(&r.p->meta.unit, r.event_filter);
	free(r.stack);
	free(r.event_filter);
	strbuf_release(&r.pname);
	strbuf_release(&r.tmp);
	if (!events) {
		profile_free(r.p);
		errno = EINVAL;
		return NULL;
	}
	return r.p;
}

bool perfscript_probe(const char *data, size_t len)
{
	size_t i = 0;
	int seen_event = 0;
	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - data) : len;
		const char *line = data + i;
		size_t n = e - i;
		i = e + 1;
		if (!n || line[0] == '#')
			continue;
		struct event_line ev;
		struct frame_line fl;
		if (!seen_event) {
			if (!match_event(line, n, &ev))
				return false;
			seen_event = 1;
			continue;
		}
		/* The line after an event: a frame (indented or not), or the next
		 * event (no stacks). */
		return match_event(line, n, &ev) || match_frame(line, n, &fl);
	}
	return seen_event;
}

/*
 * The writer: what `perf script -F comm,pid,tid,time,event,ip,sym,dso`
 * prints, a blank line after each sample, samples in time order when the
 * profile carries it (p->seq). Frames are the profile's own, unfolded:
 * address (module-relative), name, module; an inlined frame joins the line
 * of the frame it is inlined into as "caller->inlined", the spelling
 * stackcollapse-perf.pl marks _[i] with --inline or --all. Without a time
 * order (a profile converted from counts), each distinct stack of a thread
 * is one sample whose event line carries its count as the period, under the
 * event "samples", which readers add up as stackcollapse-perf.pl does.
 */
struct writer {
	const struct profile *p;
	FILE *out;
	struct strbuf sb, name;
	uint32_t *stack;
	size_t cap;
	const char *event;
};

static void put_name(struct strbuf *sb, const char *s)
{
	size_t start = sb->len;
	escape_text(sb, s && *s ? s : "[unknown]");
	/* A name is one line; a blank would not split it, a newline would. */
	for (size_t i = start; i < sb->len; i++)
		if (sb->buf[i] == '\n' || sb->buf[i] == '\r')
			sb->buf[i] = ' ';
}

static void put_module(struct writer *w, const struct profile_frame *f, uint32_t thread)
{
	const struct profile *p = w->p;
	struct strbuf *sb = &w->sb;
	const struct profile_module *m =
		f->module >= 0 && (size_t)f->module < p->nmodules ? &p->modules[f->module] : NULL;
	if (f->kind == FRAME_KERNEL || (m && m->kernel))
		strbuf_adds(sb, "[kernel.kallsyms]");
	else if (f->kind == FRAME_JIT && (!m || !m->path))
		strbuf_addf(sb, "/tmp/perf-%d.map",
			    thread < p->nthreads && p->threads[thread].pid ? p->threads[thread].pid : p->meta.pid);
	else if (m && m->path)
		put_name(sb, m->path);
	else
		strbuf_adds(sb, "[unknown]");
}

/* The frame lines of a stack, leaf first. */
static void put_stack(struct writer *w, uint32_t node, uint32_t thread)
{
	const struct profile *p = w->p;
	size_t d = profile_node_depth(p, node);
	xgrow((void **)&w->stack, &w->cap, d + 1, sizeof(*w->stack));
	profile_node_frames(p, node, w->stack, d);
	/* Root first in stack[]: a real frame and the frames inlined into it
	 * (those after it, towards the leaf) make one line. */
	size_t i = d;
	while (i > 0) {
		size_t end = i, start = i - 1;
		while (start > 0 && p->frames[w->stack[start]].inlined &&
		       p->frames[w->stack[start]].kind != FRAME_THREAD)
			start--;
		i = start;
		const struct profile_frame *head = &p->frames[w->stack[start]];
		if (head->kind == FRAME_THREAD) {
			/* The process root: the event line names the thread. */
			if (start + 1 == end)
				continue;
			start++;
			head = &p->frames[w->stack[start]];
		}
		const struct profile_frame *leaf = &p->frames[w->stack[end - 1]];
		strbuf_addf(&w->sb, "\t%16llx ", (unsigned long long)leaf->address);
		for (size_t k = start; k < end; k++) {
			if (k > start)
				strbuf_adds(&w->sb, "->");
			put_name(&w->sb, p->frames[w->stack[k]].name);
		}
		strbuf_adds(&w->sb, " (");
		put_module(w, head, thread);
		strbuf_adds(&w->sb, ")\n");
	}
}

static void put_sample(struct writer *w, uint32_t thread, uint32_t node, uint64_t time_ns, uint64_t period)
{
	const struct profile *p = w->p;
	const struct profile_thread *t = thread < p->nthreads ? &p->threads[thread] : NULL;
	struct strbuf *sb = &w->sb;
	size_t start = sb->len;
	/* A readable command name: no blank first (readers take the first
	 * non-blank run), never empty. */
	put_name(sb, t && t->name[0] && t->name[0] != ' ' && t->name[0] != '\t' ? t->name : "[unknown]");
	for (size_t i = start; i < sb->len; i++)
		if (sb->buf[i] == '\t')
			sb->buf[i] = ' ';
	strbuf_addf(sb, " %d/%d %llu.%06llu: ", t ? t->pid : 0, t ? t->tid : 0,
		    (unsigned long long)(time_ns / 1000000000ull), (unsigned long long)(time_ns / 1000 % 1000000));
	if (period)
		strbuf_addf(sb, "%llu ", (unsigned long long)period);
	strbuf_adds(sb, w->event);
	strbuf_adds(sb, ":\n");
	put_stack(w, node, thread);
	strbuf_addc(sb, '\n');
	if (sb->len > (1 << 16)) {
		fwrite(sb->buf, 1, sb->len, w->out);
		strbuf_reset(sb);
	}
}

/* The streams merged by time: a heap of (time, thread) over each thread's
 * next record, so memory is one record per thread whatever the length. */
struct head {
	uint64_t time;
	uint32_t thread;
};

static bool before(const struct head *a, const struct head *b)
{
	return a->time != b->time ? a->time < b->time : a->thread < b->thread;
}

static void sift_down(struct head *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < n && before(&h[l], &h[m]))
			m = l;
		if (l + 1 < n && before(&h[l + 1], &h[m]))
			m = l + 1;
		if (m == i)
			return;
		struct head t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void write_in_time_order(struct writer *w, const struct seq *q)
{
	size_t n = q->nstreams;
	struct seq_iter *it = xcalloc(n + 1, sizeof(*it));
	struct seq_rec *cur = xcalloc(n + 1, sizeof(*cur));
	struct head *h = xmalloc((n + 1) * sizeof(*h));
	size_t nh = 0;
	for (size_t t = 0; t < n; t++) {
		seq_iter_init(&it[t], q, (uint32_t)t);
		if (seq_iter_next(&it[t], &cur[t]))
			h[nh++] = (struct head){ cur[t].time_ns, (uint32_t)t };
	}
	for (size_t i = nh / 2; i-- > 0;)
		sift_down(h, nh, i);
	while (nh) {
		uint32_t t = h[0].thread;
		const struct seq_rec *r = &cur[t];
		/* A weighted sample (ptrace) stands for several: each is one. */
		for (uint64_t k = 0; k < r->weight; k++)
			put_sample(w, t, r->node, r->time_ns, 0);
		if (seq_iter_next(&it[t], &cur[t]))
			h[0].time = cur[t].time_ns;
		else
			h[0] = h[--nh];
		sift_down(h, nh, 0);
	}
	free(h);
	free(cur);
	free(it);
}

int perfscript_write(const struct profile *p, FILE *out, const struct write_opts *o)
{
	(void)o;
	struct writer w = { .p = p, .out = out };
	strbuf_init(&w.sb);
	strbuf_init(&w.name);
	if (p->meta.command) {
		strbuf_adds(&w.sb, "# cmdline : ");
		put_name(&w.sb, p->meta.command);
		strbuf_addc(&w.sb, '\n');
	}
	if (p->seq) {
		w.event = p->meta.event ? p->meta.event : "cpu-clock";
		write_in_time_order(&w, p->seq);
	} else {
		/* Counts without times: one sample per (thread, stack), its count
		 * as the period; the times only keep the order readable. */
		w.event = "samples";
		uint64_t t = 0, step = p->meta.period_ns ? p->meta.period_ns : 1000000;
		for (size_t i = 0; i < p->ncounts; i++) {
			const struct profile_count *c = &p->counts[i];
			if (!c->count)
				continue;
			put_sample(&w, c->thread, c->node, t, c->count);
			t += c->count > UINT64_MAX / step ? 0 : c->count * step;
		}
	}
	fwrite(w.sb.buf, 1, w.sb.len, out);
	strbuf_release(&w.sb);
	strbuf_release(&w.name);
	free(w.stack);
	return ferror(out) ? -EIO : 0;
}
