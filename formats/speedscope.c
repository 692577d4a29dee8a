#include "formats/speedscope.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/base/version.h"
#include "formats/escape.h"
#include "formats/json.h"
#include "formats/stacks.h"
#include "profiler/model/seq.h"

static const struct profile_count *sort_counts;

static int by_thread(const void *a, const void *b)
{
	const struct profile_count *x = &sort_counts[*(const uint32_t *)a];
	const struct profile_count *y = &sort_counts[*(const uint32_t *)b];
	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	return x->node < y->node ? -1 : x->node > y->node;
}

static void frame_json(const struct fold *s, uint32_t f, struct strbuf *sb)
{
	const struct profile *p = s->p;
	const struct profile_frame *fr = &p->frames[f];
	struct strbuf name;
	strbuf_init(&name);
	stacks_label(s, f, false, &name);
	/* speedscope has no kinds: the FlameGraph marks say kernel and inlined. */
	strbuf_adds(&name, stacks_suffix(fr));
	strbuf_adds(sb, "{\"name\":\"");
	escape_json(sb, name.buf);
	strbuf_addc(sb, '"');
	const char *file = fr->file ? fr->file : f < s->nfile ? s->file[f] : NULL;
	uint32_t line = fr->line ? fr->line : f < s->nfile ? s->line[f] : 0;
	if (!file && fr->module >= 0 && (size_t)fr->module < p->nmodules)
		file = p->modules[fr->module].path;
	if (file) {
		strbuf_adds(sb, ",\"file\":\"");
		escape_json(sb, file);
		strbuf_addc(sb, '"');
	}
	if (line)
		strbuf_addf(sb, ",\"line\":%u", line);
	if (fr->column)
		strbuf_addf(sb, ",\"col\":%u", fr->column);
	strbuf_addc(sb, '}');
	strbuf_release(&name);
}

static void flush_big(struct strbuf *sb, FILE *out)
{
	if (sb->len > (1 << 16)) {
		fwrite(sb->buf, 1, sb->len, out);
		strbuf_reset(sb);
	}
}

/* A thread's profile up to its samples: name, unit and extent. */
static void profile_head(struct strbuf *sb, const struct profile *p, uint32_t t, uint64_t end, bool timed)
{
	strbuf_adds(sb, "{\"type\":\"sampled\",\"name\":\"");
	if (t < p->nthreads && (p->nthreads > 1 || p->threads[t].tid)) {
		escape_json(sb, p->threads[t].name);
		strbuf_addf(sb, " (%d)", p->threads[t].tid);
	} else {
		strbuf_adds(sb, "all");
	}
	strbuf_addf(sb, "\",\"unit\":\"%s\",\"startValue\":0,\"endValue\":%llu,\"samples\":[",
		    timed ? "nanoseconds" : "none", (unsigned long long)end);
}

/* "[f0,f1,...]": a node's frames, root first. */
static void stack_json(struct strbuf *sb, const struct profile *p, uint32_t node, uint32_t **stack, size_t *scap)
{
	size_t d = profile_node_depth(p, node);
	xgrow((void **)stack, scap, d + 1, sizeof(**stack));
	profile_node_frames(p, node, *stack, d);
	strbuf_addc(sb, '[');
	for (size_t q = 0; q < d; q++)
		strbuf_addf(sb, q ? ",%u" : "%u", (*stack)[q]);
	strbuf_addc(sb, ']');
}

/* Without a time order: one sample per distinct stack of a thread, weighted
 * by its count (speedscope's time-order view then groups, not times). */
static void counted_profiles(const struct profile *p, struct strbuf *sb, FILE *out, size_t *active)
{
	uint32_t *order = xmalloc((p->ncounts + 1) * sizeof(*order));
	for (size_t i = 0; i < p->ncounts; i++)
		order[i] = (uint32_t)i;
	sort_counts = p->counts;
	qsort(order, p->ncounts, sizeof(*order), by_thread);
	uint64_t period = p->meta.period_ns;
	uint32_t *stack = NULL;
	size_t scap = 0;
	size_t nprof = 0;
	uint64_t best = 0;
	for (size_t i = 0; i < p->ncounts;) {
		uint32_t t = p->counts[order[i]].thread;
		size_t j = i;
		uint64_t sum = 0;
		while (j < p->ncounts && p->counts[order[j]].thread == t)
			sum += p->counts[order[j++]].count;
		if (sum > best)
			best = sum, *active = nprof;
		if (nprof++)
			strbuf_addc(sb, ',');
		profile_head(sb, p, t, period ? sum * period : sum, period != 0);
		for (size_t k = i; k < j; k++) {
			if (k > i)
				strbuf_addc(sb, ',');
			stack_json(sb, p, p->counts[order[k]].node, &stack, &scap);
			flush_big(sb, out);
		}
		strbuf_adds(sb, "],\"weights\":[");
		for (size_t k = i; k < j; k++) {
			uint64_t c = p->counts[order[k]].count;
			strbuf_addf(sb, k > i ? ",%llu" : "%llu", (unsigned long long)(period ? c * period : c));
			flush_big(sb, out);
		}
		strbuf_adds(sb, "]}");
		i = j;
	}
	free(stack);
	free(order);
}

/* One pass over a thread's time order: the samples as speedscope takes them.
 * Runs of the same stack are one sample (the same picture, a smaller file);
 * time the thread spent off the CPU between two samples (a gap of more
 * than two sample periods), or before its first one, is an empty sample,
 * so the view is a timeline where a stall shows as a stall. emit is called for each (node or
 * PROFILE_NONE for a gap, weight in the profile's unit). */
struct run_state {
	bool any;
	uint32_t node;
	uint64_t weight, last_ns;
};

static void timeline_pass(const struct seq *q, uint32_t t, const uint32_t *nmap, uint64_t period,
			  uint64_t origin, void (*emit)(void *ctx, uint32_t node, uint64_t w), void *ctx)
{
	struct seq_iter it;
	struct seq_rec r;
	struct run_state st = { .last_ns = origin };
	seq_iter_init(&it, q, t);
	while (seq_iter_next(&it, &r)) {
		uint32_t node = nmap ? nmap[r.node] : r.node;
		uint64_t w = period ? r.weight * period : r.weight;
		uint64_t gap = 0;
		/* Before the first sample: the time since the first sample of any
		 * thread, so a thread that started late starts late. */
		if (!st.any && period && r.time_ns > origin + w)
			gap = r.time_ns - origin - w;
		if (st.any && period && r.time_ns > st.last_ns && r.time_ns - st.last_ns > 2 * w)
			gap = r.time_ns - st.last_ns - w;
		if (st.any && (gap || node != st.node)) {
			emit(ctx, st.node, st.weight);
			st.weight = 0;
		}
		if (gap)
			emit(ctx, PROFILE_NONE, gap);
		st.any = true;
		st.node = node;
		st.weight += w;
		if (r.time_ns > st.last_ns)
			st.last_ns = r.time_ns;
	}
	if (st.any)
		emit(ctx, st.node, st.weight);
}

struct emit_ctx {
	const struct profile *p;
	struct strbuf *sb;
	FILE *out;
	bool weights;  /* this pass writes weights, else stacks */
	size_t n;
	uint64_t sum, busy;
	uint32_t *stack;
	size_t scap;
};

static void emit_sample(void *arg, uint32_t node, uint64_t w)
{
	struct emit_ctx *e = arg;
	if (e->n++)
		strbuf_addc(e->sb, ',');
	if (e->weights)
		strbuf_addf(e->sb, "%llu", (unsigned long long)w);
	else if (node == PROFILE_NONE)
		strbuf_adds(e->sb, "[]");
	else
		stack_json(e->sb, e->p, node, &e->stack, &e->scap);
	flush_big(e->sb, e->out);
}

static void sum_sample(void *arg, uint32_t node, uint64_t w)
{
	struct emit_ctx *e = arg;
	e->sum += w;
	if (node != PROFILE_NONE)
		e->busy += w;
}

/* With the time order (src->seq): each thread's samples as they came. */
static void timeline_profiles(struct fold *s, const struct profile *src, struct strbuf *sb, FILE *out,
			      size_t *active)
{
	const struct profile *p = s->p;
	uint32_t *nmap = s->borrowed ? NULL : profile_fold_nodes(s->p, src, s->lines ? PROFILE_FOLD_LINES : 0);
	uint64_t period = p->meta.period_ns, best = 0;
	struct emit_ctx e = { .p = p, .sb = sb, .out = out };
	size_t nprof = 0;
	/* Every thread's timeline starts at the recording's first sample. */
	uint64_t origin = UINT64_MAX;
	for (uint32_t t = 0; t < src->seq->nstreams; t++) {
		struct seq_iter it;
		struct seq_rec r;
		seq_iter_init(&it, src->seq, t);
		if (seq_iter_next(&it, &r) && r.time_ns < origin)
			origin = r.time_ns;
	}
	for (uint32_t t = 0; t < src->seq->nstreams; t++) {
		e.sum = e.busy = 0;
		timeline_pass(src->seq, t, nmap, period, origin, sum_sample, &e);
		if (!e.busy)
			continue;
		if (e.busy > best)
			best = e.busy, *active = nprof;
		if (nprof++)
			strbuf_addc(sb, ',');
		profile_head(sb, p, t, e.sum, period != 0);
		e.weights = false;
		e.n = 0;
		timeline_pass(src->seq, t, nmap, period, origin, emit_sample, &e);
		strbuf_adds(sb, "],\"weights\":[");
		e.weights = true;
		e.n = 0;
		timeline_pass(src->seq, t, nmap, period, origin, emit_sample, &e);
		strbuf_adds(sb, "]}");
	}
	free(e.stack);
	free(nmap);
}

int speedscope_write(const struct profile *src, FILE *out, const struct write_opts *o)
{
	/* One profile per thread already says the thread: no thread roots. */
	struct write_opts w = { 0 };
	if (o)
		w = *o;
	w.threads = false;
	struct fold s;
	stacks_init(&s, src, &w);
	const struct profile *p = s.p;
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_adds(&sb, "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\"exporter\":\"prowl " PROWL_VERSION "\",\"name\":\"");
	escape_json(&sb, o && o->title ? o->title : p->meta.command ? p->meta.command : "prowl profile");
	strbuf_adds(&sb, "\",\"shared\":{\"frames\":[");
	for (size_t f = 0; f < p->nframes; f++) {
		if (f)
			strbuf_addc(&sb, ',');
		frame_json(&s, (uint32_t)f, &sb);
		if (sb.len > (1 << 16)) {
			fwrite(sb.buf, 1, sb.len, out);
			strbuf_reset(&sb);
		}
	}
	strbuf_adds(&sb, "]},\"profiles\":[");
	size_t active = 0;
	if (src->seq)
		timeline_profiles(&s, src, &sb, out, &active);
	else
		counted_profiles(p, &sb, out, &active);
	uint64_t period = p->meta.period_ns;
	/* Extra members are allowed by the schema: what prowl needs to read its
	 * own file back with the same numbers. */
	strbuf_addf(&sb, "],\"activeProfileIndex\":%zu,\"prowl\":{\"period_ns\":%llu,\"duration_ns\":%llu,"
		    "\"start_ns\":%llu,\"pid\":%d,\"freq\":%u,\"lost\":%llu}}\n",
		    active, (unsigned long long)period, (unsigned long long)src->meta.duration_ns,
		    (unsigned long long)src->meta.start_ns, src->meta.pid, src->meta.freq,
		    (unsigned long long)src->meta.lost);
	fwrite(sb.buf, 1, sb.len, out);
	strbuf_release(&sb);
	fold_release(&s);
	return ferror(out) ? -EIO : 0;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

static bool is_count(const struct json *j)
{
	return j && j->type == JSON_NUMBER && j->number >= 0 && j->number < 1.8e19;
}

static uint64_t num(const struct json *j)
{
	return is_count(j) ? (uint64_t)j->number : 0;
}

/* A frame name with the FlameGraph marks the writer adds back to kinds. */
static uint32_t read_frame(struct profile *p, const struct json *fr)
{
	const struct json *name = json_get(fr, "name"), *file = json_get(fr, "file");
	const struct json *line = json_get(fr, "line"), *col = json_get(fr, "col");
	struct profile_frame f = { .module = -1, .kind = FRAME_USER };
	char *n = xstrdup(name && name->type == JSON_STRING ? name->string : "[unknown]");
	size_t len = strlen(n);
	if (len > 4 && n[len - 4] == '_' && n[len - 3] == '[' && n[len - 1] == ']' && strchr("kji", n[len - 2])) {
		char m = n[len - 2];
		n[len - 4] = '\0';
		if (m == 'k')
			f.kind = FRAME_KERNEL;
		else if (m == 'j')
			f.kind = FRAME_JIT;
		else
			f.inlined = 1;
	}
	f.name = n;
	if (file && file->type == JSON_STRING)
		f.file = file->string;
	if (is_count(line) && line->number <= UINT32_MAX)
		f.line = (uint32_t)line->number;
	if (is_count(col) && col->number <= UINT32_MAX)
		f.column = (uint32_t)col->number;
	uint32_t k = profile_frame_intern(p, &f);
	free(n);
	return k;
}

/* "name (tid)" as the writer names a thread's profile. */
static uint32_t read_thread(struct profile *p, const struct json *name)
{
	const char *s = name && name->type == JSON_STRING ? name->string : "all";
	size_t n = strlen(s);
	int tid = 0;
	char *label = xstrdup(s);
	if (n > 3 && s[n - 1] == ')') {
		const char *open = strrchr(s, '(');
		char *end;
		long v = open ? strtol(open + 1, &end, 10) : -1;
		if (open && open > s && open[-1] == ' ' && end == s + n - 1 && v >= 0 && v < INT32_MAX) {
			tid = (int)v;
			label[open - 1 - s] = '\0';
		}
	}
	uint32_t t = profile_thread_intern(p, 0, tid, label);
	free(label);
	return t;
}

struct profile *speedscope_read(const char *data, size_t len)
{
	struct json *root = json_parse(data, len);
	const struct json *shared = json_get(root, "shared");
	const struct json *frames = json_get(shared, "frames");
	const struct json *profiles = json_get(root, "profiles");
	if (!root || !frames || frames->type != JSON_ARRAY || !profiles || profiles->type != JSON_ARRAY) {
		json_free(root);
		errno = EINVAL;
		return NULL;
	}
	struct profile *p = profile_new();
	uint32_t *fmap = xmalloc((frames->n + 1) * sizeof(*fmap));
	for (size_t i = 0; i < frames->n; i++)
		fmap[i] = read_frame(p, frames->items[i]);
	const struct json *meta = json_get(root, "prowl");
	uint64_t period = num(json_get(meta, "period_ns"));
	const struct json *name = json_get(root, "name");
	if (name && name->type == JSON_STRING && strcmp(name->string, "prowl profile") != 0)
		profile_set_str(&p->meta.command, name->string);
	p->meta.duration_ns = num(json_get(meta, "duration_ns"));
	p->meta.start_ns = num(json_get(meta, "start_ns"));
	p->meta.pid = (int32_t)num(json_get(meta, "pid"));
	p->meta.freq = (uint32_t)num(json_get(meta, "freq"));
	p->meta.lost = num(json_get(meta, "lost"));
	/* Time weights from another tool: the common divisor is the period. */
	if (!period) {
		for (size_t i = 0; i < profiles->n; i++) {
			const struct json *unit = json_get(profiles->items[i], "unit");
			const struct json *w = json_get(profiles->items[i], "weights");
			if (!unit || unit->type != JSON_STRING || strcmp(unit->string, "none") == 0 || !w ||
			    w->type != JSON_ARRAY)
				continue;
			for (size_t k = 0; k < w->n; k++)
				period = gcd(period, num(w->items[k]));
		}
	}
	if (period > 1)
		p->meta.period_ns = period;
	uint32_t *stack = NULL;
	size_t scap = 0;
	bool bad = false;
	for (size_t i = 0; i < profiles->n && !bad; i++) {
		const struct json *pr = profiles->items[i];
		const struct json *type = json_get(pr, "type");
		const struct json *samples = json_get(pr, "samples"), *weights = json_get(pr, "weights");
		const struct json *unit = json_get(pr, "unit");
		if (!type || type->type != JSON_STRING || strcmp(type->string, "sampled") != 0)
			continue; /* evented profiles: prowl never writes them */
		if (!samples || samples->type != JSON_ARRAY || !weights || weights->type != JSON_ARRAY ||
		    weights->n != samples->n) {
			bad = true;
			break;
		}
		bool timed = unit && unit->type == JSON_STRING && strcmp(unit->string, "none") != 0 && period > 1;
		uint32_t t = read_thread(p, json_get(pr, "name"));
		for (size_t k = 0; k < samples->n; k++) {
			const struct json *st = samples->items[k];
			if (st->type != JSON_ARRAY) {
				bad = true;
				break;
			}
			xgrow((void **)&stack, &scap, st->n + 1, sizeof(*stack));
			for (size_t q = 0; q < st->n; q++) {
				const struct json *ix = st->items[q];
				if (!is_count(ix) || ix->number >= (double)frames->n) {
					bad = true;
					break;
				}
				stack[q] = fmap[(size_t)ix->number];
			}
			if (bad)
				break;
			uint64_t c = num(weights->items[k]);
			if (timed)
				c /= period;
			/* An empty stack is time the thread was off the CPU (the
			 * writer's timeline gaps): no sample. */
			if (!st->n)
				c = 0;
			/* Deeper than READ_MAX_FRAMES: the outermost are kept, counted. */
			size_t depth = st->n < READ_MAX_FRAMES ? st->n : READ_MAX_FRAMES;
			if (c)
				profile_add(p, t, profile_node_path(p, stack, depth), c);
			if (c && depth < st->n)
				p->meta.truncated++;
		}
	}
	free(stack);
	free(fmap);
	json_free(root);
	if (bad) {
		profile_free(p);
		errno = EINVAL;
		return NULL;
	}
	return p;
}
