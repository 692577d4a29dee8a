#include "formats/svg.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "formats/escape.h"
#include "formats/report.h"
#include "formats/stacks.h"
#include "formats/svg_script.h"

#define WIDTH 1200.0
#define XPAD 10.0
#define FRAME_H 16
#define FONT 12
#define TOP 84.0    /* title, subtitle, legend */
#define BOTTOM 34.0 /* details line */
/* Frames narrower than this many pixels are merged with their narrow
 * siblings (and their children dropped): a million-sample profile stays a
 * file of a few thousand frames. */
#define MIN_WIDTH 0.3

enum palette { PAL_PROGRAM, PAL_LIBRARY, PAL_KERNEL, PAL_INLINED, PAL_JIT, PAL_THREAD, PAL_STATE, PAL_PYTHON,
	       PAL_MERGED, PAL_ROOT };

struct item {
	uint32_t node;     /* PROFILE_NONE for a merged box */
	uint32_t merged;   /* frames merged into the box */
	double x, w;       /* pixels */
	uint64_t samples;
	uint32_t depth;
};

struct diffdata {
	uint64_t *before_self, *before_total; /* per node of the view */
	uint64_t before_sum, after_sum;
	double max_delta;
};

struct svg {
	struct fold s;
	char **labels;
	struct item *items;
	size_t nitems, cap;
	uint32_t max_depth;
	const struct diffdata *diff;
};

static uint64_t name_hash(const char *s)
{
	return hash_bytes(s, strlen(s), 0x70726f776cULL);
}

/* A shared library by its file name (libc.so.6, libfoo.so, ld-linux-x86-64.so.2,
 * the vDSO), wherever it lies; anything else mapped is a program, also one
 * kept under /usr/lib (cc1, java): the colour says which code is the
 * program's own, the same in every process of a profile. */
static bool is_library(const char *path)
{
	const char *b = base_name(path);
	if (strcmp(b, "[vdso]") == 0 || strcmp(b, "[vsyscall]") == 0 || strncmp(b, "ld-linux", 8) == 0)
		return true;
	const char *so = strstr(b, ".so");
	while (so && so[3] && so[3] != '.')
		so = strstr(so + 3, ".so");
	if (!so)
		return false;
	/* ".so" at the end, or followed by version numbers only (".so.6", ".so.1.2.3"). */
	return so[3] == 0 || strspn(so + 3, ".0123456789") == strlen(so + 3);
}

static enum palette palette_of(const struct profile *p, uint32_t frame)
{
	const struct profile_frame *f = &p->frames[frame];
	const struct profile_module *m =
		f->module >= 0 && (size_t)f->module < p->nmodules ? &p->modules[f->module] : NULL;
	switch (f->kind) {
	case FRAME_THREAD: return PAL_THREAD;
	case FRAME_PROCESS: return PAL_THREAD;
	case FRAME_STATE: return PAL_STATE;
	case FRAME_JIT: return PAL_JIT;
	case FRAME_KERNEL: return PAL_KERNEL;
	case FRAME_PYTHON: return PAL_PYTHON;
	default: break;
	}
	if (m && m->kernel)
		return PAL_KERNEL;
	if (m && m->path && is_library(m->path))
		return PAL_LIBRARY;
	return PAL_PROGRAM;
}

/* Hues are fixed per kind of code and the name only varies the shade, so
 * the same function has the same colour in every graph and every process.
 * An inlined frame keeps its module's hue, lighter (PAL_INLINED: the key's
 * swatch, a lighter program). */
static void colour(enum palette pal, const char *name, bool inlined, struct strbuf *out)
{
	if (pal == PAL_INLINED) {
		pal = PAL_PROGRAM;
		inlined = true;
	}
	uint64_t h = name_hash(name);
	double v1 = (double)(h & 0xff) / 255.0, v2 = (double)((h >> 8) & 0xff) / 255.0,
	       v3 = (double)((h >> 16) & 0xff) / 255.0;
	int r, g, b;
	switch (pal) {
	case PAL_PROGRAM: r = 210 + (int)(45 * v3), g = 50 + (int)(55 * v1), b = 40 + (int)(30 * v2); break;
	case PAL_LIBRARY: r = 180 + (int)(50 * v1), g = 175 + (int)(50 * v1), b = 50 + (int)(25 * v2); break;
	case PAL_KERNEL: r = 235 + (int)(20 * v3), g = 140 + (int)(35 * v1), b = 10 + (int)(25 * v2); break;
	case PAL_INLINED: r = 60 + (int)(50 * v1), g = 170 + (int)(50 * v2), b = 180 + (int)(50 * v2); break;
	case PAL_JIT: r = 60 + (int)(50 * v1), g = 190 + (int)(50 * v2), b = 60 + (int)(40 * v3); break;
	case PAL_THREAD: r = 150 + (int)(30 * v1), g = 160 + (int)(30 * v1), b = 205 + (int)(30 * v1); break;
	case PAL_STATE: r = g = b = 200 + (int)(25 * v1); break;
	/* Python's own blue: the interpreted half of a merged stack stands apart from C. */
	case PAL_PYTHON: r = 70 + (int)(40 * v1), g = 130 + (int)(40 * v2), b = 200 + (int)(40 * v3); break;
	case PAL_MERGED: r = g = b = 170; break;
	default: r = g = b = 190; break;
	}
	if (inlined && (pal == PAL_PROGRAM || pal == PAL_LIBRARY || pal == PAL_KERNEL)) {
		/* Halfway to white: the same hue, plainly another shade. */
		r += (255 - r) / 2;
		g += (255 - g) / 2;
		b += (255 - b) / 2;
	}
	strbuf_addf(out, "rgb(%d,%d,%d)", r, g, b);
}

/* Red where a frame's share of self samples grew, blue where it shrank,
 * white where it stayed: intensity relative to the largest change. */
static void diff_colour(const struct svg *g, uint32_t node, struct strbuf *out)
{
	const struct diffdata *d = g->diff;
	double a = d->after_sum ? (double)g->s.self[node] / (double)d->after_sum : 0;
	double b = d->before_sum ? (double)d->before_self[node] / (double)d->before_sum : 0;
	double k = d->max_delta > 0 ? (a - b) / d->max_delta : 0;
	if (k > 1)
		k = 1;
	if (k < -1)
		k = -1;
	int v = 250 - (int)(fabs(k) * 210);
	if (k > 0.0005)
		strbuf_addf(out, "rgb(255,%d,%d)", v, v);
	else if (k < -0.0005)
		strbuf_addf(out, "rgb(%d,%d,255)", v, v);
	else
		strbuf_adds(out, "rgb(250,250,250)");
}

static void add_item(struct svg *g, uint32_t node, uint32_t merged, double x, double w, uint64_t samples,
		     uint32_t depth)
{
	xgrow((void **)&g->items, &g->cap, g->nitems + 1, sizeof(*g->items));
	g->items[g->nitems++] = (struct item){ node, merged, x, w, samples, depth };
	if (depth > g->max_depth)
		g->max_depth = depth;
}

static const char *const *sort_labels;
static const struct profile *sort_profile;

static int by_label(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int c = strcmp(sort_labels[sort_profile->nodes[x].frame], sort_labels[sort_profile->nodes[y].frame]);
	return c ? c : (x < y ? -1 : x > y);
}

/* Depth-first over the view, children in name order (as flamegraph.pl), an
 * explicit stack so deep recursion in a profile cannot overflow ours. */
static void layout(struct svg *g)
{
	const struct profile *p = g->s.p;
	uint64_t total = g->s.total[PROFILE_ROOT];
	double scale = total ? (WIDTH - 2 * XPAD) / (double)total : 0;
	uint32_t *child, *next;
	profile_children(p, &child, &next);
	struct frame_todo {
		uint32_t node, depth;
		double x;
	} *todo = NULL;
	size_t ntodo = 0, cap = 0;
	uint32_t *kids = NULL;
	size_t kcap = 0;
	add_item(g, PROFILE_ROOT, 0, XPAD, total * scale, total, 0);
	xgrow((void **)&todo, &cap, 1, sizeof(*todo));
	todo[ntodo++] = (struct frame_todo){ PROFILE_ROOT, 0, XPAD };
	sort_labels = (const char *const *)g->labels;
	sort_profile = p;
	while (ntodo) {
		struct frame_todo t = todo[--ntodo];
		size_t nk = 0;
		for (uint32_t c = child[t.node]; c != PROFILE_NONE; c = next[c])
			if (g->s.total[c]) {
				xgrow((void **)&kids, &kcap, nk + 1, sizeof(*kids));
				kids[nk++] = c;
			}
		if (nk > 1)
			qsort(kids, nk, sizeof(*kids), by_label);
		double x = t.x;
		/* Leave the node's own samples as the gap at the end, as flame graphs do. */
		uint64_t merged_samples = 0;
		uint32_t merged = 0;
		double merged_x = 0;
		for (size_t i = 0; i < nk; i++) {
			uint32_t c = kids[i];
			double w = (double)g->s.total[c] * scale;
			if (w < MIN_WIDTH) {
				if (!merged)
					merged_x = x;
				merged++;
				merged_samples += g->s.total[c];
			} else {
				add_item(g, c, 0, x, w, g->s.total[c], t.depth + 1);
				xgrow((void **)&todo, &cap, ntodo + 1, sizeof(*todo));
				todo[ntodo++] = (struct frame_todo){ c, t.depth + 1, x };
			}
			x += w;
		}
		/* Narrow siblings become one grey box where they add up to something
		 * visible; the box sits where the first of them was. */
		if (merged && (double)merged_samples * scale >= MIN_WIDTH)
			add_item(g, PROFILE_NONE, merged, merged_x, (double)merged_samples * scale, merged_samples,
				 t.depth + 1);
	}
	free(kids);
	free(todo);
	free(child);
	free(next);
}

static double share(uint64_t n, uint64_t total)
{
	return total ? 100.0 * (double)n / (double)total : 0;
}

static void emit_item(struct svg *g, const struct item *it, double base, bool icicle, struct strbuf *sb,
		      FILE *out)
{
	const struct profile *p = g->s.p;
	uint64_t total = g->s.total[PROFILE_ROOT];
	double y = icicle ? base + it->depth * FRAME_H : base - it->depth * FRAME_H;
	strbuf_reset(sb);
	struct strbuf name, fill;
	strbuf_init(&name);
	strbuf_init(&fill);
	enum palette pal;
	bool inl = false;
	if (it->node == PROFILE_NONE) {
		strbuf_addf(&name, "[%u narrow frames]", it->merged);
		pal = PAL_MERGED;
	} else if (it->node == PROFILE_ROOT) {
		strbuf_adds(&name, "all");
		pal = PAL_ROOT;
	} else {
		strbuf_adds(&name, g->labels[p->nodes[it->node].frame]);
		pal = palette_of(p, p->nodes[it->node].frame);
		inl = p->frames[p->nodes[it->node].frame].inlined;
	}
	if (g->diff && it->node != PROFILE_NONE && it->node != PROFILE_ROOT)
		diff_colour(g, it->node, &fill);
	else
		colour(pal, name.buf, inl, &fill);
	strbuf_addf(sb, "<g class=\"f\" data-s=\"%llu\"><title>", (unsigned long long)it->samples);
	escape_xml(sb, name.buf);
	strbuf_addf(sb, "\n%llu ", (unsigned long long)it->samples);
	/* The plural follows this frame's count, not the profile's total. */
	if (p->meta.unit && *p->meta.unit) {
		struct strbuf unit;
		strbuf_init(&unit);
		report_unit(p, &unit);
		escape_xml(sb, unit.buf);
		strbuf_release(&unit);
	} else {
		strbuf_adds(sb, it->samples == 1 ? "sample" : "samples");
	}
	strbuf_addf(sb, ", %.2f%%", share(it->samples, total));
	if (it->node != PROFILE_NONE && g->s.self[it->node] && it->node != PROFILE_ROOT)
		strbuf_addf(sb, ", self %llu", (unsigned long long)g->s.self[it->node]);
	if (g->diff && it->node != PROFILE_NONE) {
		const struct diffdata *d = g->diff;
		double bt = share(d->before_total[it->node], d->before_sum);
		double at = share(g->s.total[it->node], d->after_sum);
		double bs = share(d->before_self[it->node], d->before_sum);
		double as = share(g->s.self[it->node], d->after_sum);
		strbuf_addf(sb, "\nbefore %.2f%%, after %.2f%% (%+.2f); self %.2f%% to %.2f%% (%+.2f)", bt, at,
			    at - bt, bs, as, as - bs);
	}
	if (it->node != PROFILE_NONE && it->node != PROFILE_ROOT) {
		struct strbuf where;
		strbuf_init(&where);
		uint32_t fr = p->nodes[it->node].frame;
		const struct profile_frame *f = &p->frames[fr];
		if (fold_file(&g->s, fr))
			stacks_where(&g->s, fr, &where);
		if (where.len) {
			strbuf_addc(sb, '\n');
			escape_xml(sb, where.buf);
		}
		/* The module and what kind of code it is: what the colour says. */
		if (f->module >= 0 && (size_t)f->module < p->nmodules && p->modules[f->module].path) {
			const struct profile_module *m = &p->modules[f->module];
			strbuf_adds(sb, "\nin ");
			escape_xml(sb, base_name(m->path));
			strbuf_adds(sb, m->kernel ? " (kernel" : is_library(m->path) ? " (library" : " (program");
			strbuf_adds(sb, f->inlined ? ", inlined)" : ")");
		}
		strbuf_release(&where);
	}
	strbuf_addf(sb, "</title><rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%d\" fill=\"%s\"/>", it->x, y,
		    it->w, FRAME_H - 1, fill.buf);
	/* Text only where a few characters fit; the script fills it in on zoom. */
	int fit = (int)((it->w - 6) / (FONT * 0.59));
	strbuf_addf(sb, "<text x=\"%.2f\" y=\"%.1f\">", it->x + 3, y + FRAME_H - 4.5);
	if (fit >= 3) {
		/* Cut what is shown (escapes included), on a UTF-8 boundary. */
		struct strbuf shown;
		strbuf_init(&shown);
		escape_text(&shown, name.buf);
		if ((int)shown.len > fit) {
			size_t cut = (size_t)(fit - 2);
			while (cut > 0 && ((unsigned char)shown.buf[cut] & 0xc0) == 0x80)
				cut--;
			shown.buf[cut] = '\0';
			shown.len = cut;
			strbuf_adds(&shown, "..");
		}
		escape_xml(sb, shown.buf);
		strbuf_release(&shown);
	}
	strbuf_adds(sb, "</text></g>\n");
	fwrite(sb->buf, 1, sb->len, out);
	strbuf_release(&name);
	strbuf_release(&fill);
}

/* Which keys the legend shows beyond the kinds every graph may have. */
struct legend_extra {
	bool python, state, process;
};

static void legend(FILE *out, double y, bool diff, const struct legend_extra *ex)
{
	static const struct {
		enum palette pal;
		const char *name;
	} keys[] = {
		{ PAL_PROGRAM, "program" }, { PAL_LIBRARY, "libraries" }, { PAL_KERNEL, "kernel" },
		{ PAL_INLINED, "inlined (lighter)" }, { PAL_JIT, "JIT" }, { PAL_PYTHON, "Python" },
		{ PAL_STATE, "thread state" }, { PAL_THREAD, "process/thread" },
	};
	if (diff) {
		fprintf(out, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" class=\"legend\">"
			     "width: after; <tspan fill=\"rgb(220,0,0)\">red: self share grew</tspan>, "
			     "<tspan fill=\"rgb(0,0,230)\">blue: shrank</tspan></text>\n", WIDTH / 2, y);
		return;
	}
	/* Keys of kinds a graph may lack only where it has them; centred. */
	bool show[ARRAY_SIZE(keys)];
	double span = 0;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		show[i] = !((keys[i].pal == PAL_PYTHON && !ex->python) || (keys[i].pal == PAL_STATE && !ex->state) ||
			    (keys[i].pal == PAL_THREAD && !ex->process));
		if (show[i])
			span += 40 + 7.0 * (double)strlen(keys[i].name);
	}
	struct strbuf c;
	strbuf_init(&c);
	double x = (WIDTH - span) / 2 + 20;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!show[i])
			continue;
		strbuf_reset(&c);
		colour(keys[i].pal, keys[i].name, false, &c);
		fprintf(out, "<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"12\" fill=\"%s\"/>"
			     "<text x=\"%.0f\" y=\"%.0f\" class=\"legend\">%s</text>\n",
			x, y - 10, c.buf, x + 16, y, keys[i].name);
		x += 40 + 7.0 * (double)strlen(keys[i].name);
	}
	strbuf_release(&c);
}

static int write_graph(struct svg *g, const struct profile *src, FILE *out, const struct write_opts *o,
		       const char *default_title, const char *subtitle)
{
	const struct profile *p = g->s.p;
	bool icicle = o && o->icicle;
	g->labels = xmalloc((p->nframes + 1) * sizeof(*g->labels));
	struct strbuf sb;
	strbuf_init(&sb);
	for (size_t f = 0; f < p->nframes; f++) {
		strbuf_reset(&sb);
		stacks_label(&g->s, (uint32_t)f, false, &sb);
		g->labels[f] = xstrdup(sb.buf);
	}
	layout(g);
	double height = TOP + (g->max_depth + 1) * FRAME_H + BOTTOM;
	double base = icicle ? TOP : TOP + g->max_depth * FRAME_H;
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		     "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" id=\"prowl-fg\" "
		     "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
		     "data-width=\"%.0f\" data-fh=\"%d\" data-base=\"%.0f\" data-icicle=\"%d\">\n",
		WIDTH, height, WIDTH, height, WIDTH, FRAME_H, base, icicle ? 1 : 0);
	fprintf(out, "<!-- drawn by prowl; click a frame to zoom, Ctrl-F or Search to find by regular expression -->\n"
		     "<defs><linearGradient id=\"prowl-bg\" y1=\"0\" y2=\"1\" x1=\"0\" x2=\"0\">"
		     "<stop stop-color=\"#eeeeee\" offset=\"5%%\"/><stop stop-color=\"%s\" offset=\"95%%\"/>"
		     "</linearGradient></defs>\n"
		     "<style type=\"text/css\">\n"
		     "#prowl-fg text { font-family: Verdana, \"DejaVu Sans\", sans-serif; font-size: %dpx; fill: #000; }\n"
		     "#prowl-fg .title { font-size: 17px; }\n"
		     "#prowl-fg .legend { font-size: 11px; }\n"
		     "#prowl-fg g.f:hover rect { stroke: #000; stroke-width: 0.5; cursor: pointer; }\n"
		     "#prowl-fg .hide { display: none; }\n"
		     "#prowl-fg .parent { opacity: 0.5; }\n"
		     "#prowl-fg .button { cursor: pointer; fill: #1a4d8f; }\n"
		     "</style>\n",
		g->diff ? "#e0e0f0" : "#eeeeb0", FONT);
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"url(#prowl-bg)\"/>\n", WIDTH, height);
	strbuf_reset(&sb);
	escape_xml(&sb, o && o->title ? o->title : default_title);
	fprintf(out, "<text id=\"prowl-title\" class=\"title\" x=\"%.0f\" y=\"24\" text-anchor=\"middle\">%s</text>\n",
		WIDTH / 2, sb.buf);
	strbuf_reset(&sb);
	escape_xml(&sb, subtitle);
	fprintf(out, "<text id=\"prowl-subtitle\" x=\"%.0f\" y=\"44\" text-anchor=\"middle\">%s</text>\n", WIDTH / 2,
		sb.buf);
	struct legend_extra ex = { false, false, false };
	for (size_t i = 0; i < p->nframes; i++) {
		ex.python |= p->frames[i].kind == FRAME_PYTHON;
		ex.state |= p->frames[i].kind == FRAME_STATE;
		ex.process |= p->frames[i].kind == FRAME_THREAD;
	}
	legend(out, 66, g->diff != NULL, &ex);
	fprintf(out, "<text id=\"prowl-reset\" class=\"button hide\" x=\"%.0f\" y=\"24\">Reset Zoom</text>\n"
		     "<text id=\"prowl-search\" class=\"button\" x=\"%.0f\" y=\"24\" text-anchor=\"end\">Search</text>\n"
		     "<text id=\"prowl-details\" x=\"%.0f\" y=\"%.0f\"> </text>\n"
		     "<text id=\"prowl-matched\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\"> </text>\n",
		XPAD, WIDTH - XPAD, XPAD, height - 12, WIDTH - XPAD, height - 12);
	fprintf(out, "<g id=\"prowl-frames\">\n");
	for (size_t i = 0; i < g->nitems; i++)
		emit_item(g, &g->items[i], base, icicle, &sb, out);
	fprintf(out, "</g>\n<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n</svg>\n", svg_script);
	(void)src;
	for (size_t f = 0; f < p->nframes; f++)
		free(g->labels[f]);
	free(g->labels);
	free(g->items);
	strbuf_release(&sb);
	return ferror(out) ? -EIO : 0;
}

int svg_write(const struct profile *src, FILE *out, const struct write_opts *o)
{
	struct svg g = { 0 };
	stacks_init(&g.s, src, o);
	struct strbuf sub;
	strbuf_init(&sub);
	report_summary(src, &sub);
	int rc = write_graph(&g, src, out, o, o && o->icicle ? "Icicle Graph" : "Flame Graph", sub.buf);
	strbuf_release(&sub);
	fold_release(&g.s);
	return rc;
}

/* Labels of the after view, to find before's frames in it by what they show. */
struct label_map {
	struct itab idx;
	char **keys;
	uint32_t *vals;
	size_t n, cap_keys, cap_vals;
};

static bool label_eq(const void *ctx, uint32_t i, const void *key)
{
	const struct label_map *m = ctx;
	return strcmp(m->keys[i], key) == 0;
}

static uint32_t map_find(const struct label_map *m, const char *key, uint64_t h)
{
	uint32_t i = itab_find(&m->idx, h, label_eq, m, key);
	return i == ITAB_NONE ? PROFILE_NONE : m->vals[i];
}

/* The first frame with a label keeps it. */
static void map_put(struct label_map *m, const char *key, uint64_t h, uint32_t v)
{
	if (itab_find(&m->idx, h, label_eq, m, key) != ITAB_NONE)
		return;
	xgrow((void **)&m->keys, &m->cap_keys, m->n + 1, sizeof(*m->keys));
	xgrow((void **)&m->vals, &m->cap_vals, m->n + 1, sizeof(*m->vals));
	m->keys[m->n] = xstrdup(key);
	m->vals[m->n] = v;
	itab_insert(&m->idx, h, (uint32_t)m->n++);
}

static void map_release(struct label_map *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	itab_release(&m->idx);
}

int svg_write_diff(const struct profile *before, const struct profile *after, FILE *out,
		   const struct write_opts *o)
{
	struct svg g = { 0 };
	stacks_init_private(&g.s, after, o);
	struct profile *p = g.s.p;
	struct fold b;
	stacks_init(&b, before, o);
	/* Frames are matched by their label (name, kind marks, :line), so a
	 * profile read from folded text compares with a recorded one. */
	struct label_map m = { 0 };
	struct strbuf sb;
	strbuf_init(&sb);
	for (size_t f = 0; f < p->nframes; f++) {
		strbuf_reset(&sb);
		stacks_label(&g.s, (uint32_t)f, true, &sb);
		map_put(&m, sb.buf, name_hash(sb.buf), (uint32_t)f);
	}
	uint32_t *fmap = xmalloc((b.p->nframes + 1) * sizeof(*fmap));
	for (size_t f = 0; f < b.p->nframes; f++) {
		strbuf_reset(&sb);
		stacks_label(&b, (uint32_t)f, true, &sb);
		uint32_t k = map_find(&m, sb.buf, name_hash(sb.buf));
		if (k == PROFILE_NONE) {
			struct profile_frame fr = b.p->frames[f];
			fr.module = -1;
			k = profile_frame_intern(p, &fr);
		}
		fmap[f] = k;
	}
	uint32_t *nmap = xmalloc((b.p->nnodes + 1) * sizeof(*nmap));
	nmap[PROFILE_ROOT] = PROFILE_ROOT;
	for (size_t n = 1; n < b.p->nnodes; n++)
		nmap[n] = profile_node_child(p, nmap[b.p->nodes[n].parent], fmap[b.p->nodes[n].frame]);
	fold_recount(&g.s);
	struct diffdata d = { 0 };
	d.before_self = xcalloc(p->nnodes + 1, sizeof(*d.before_self));
	d.before_total = xcalloc(p->nnodes + 1, sizeof(*d.before_total));
	for (size_t n = 1; n < b.p->nnodes; n++) {
		d.before_self[nmap[n]] += b.self[n];
		d.before_total[nmap[n]] += b.total[n];
	}
	d.before_total[PROFILE_ROOT] = b.total[PROFILE_ROOT];
	d.before_sum = b.total[PROFILE_ROOT];
	d.after_sum = g.s.total[PROFILE_ROOT];
	for (size_t n = 1; n < p->nnodes; n++) {
		double a = d.after_sum ? (double)g.s.self[n] / (double)d.after_sum : 0;
		double bb = d.before_sum ? (double)d.before_self[n] / (double)d.before_sum : 0;
		if (fabs(a - bb) > d.max_delta)
			d.max_delta = fabs(a - bb);
	}
	g.diff = &d;
	strbuf_reset(&sb);
	strbuf_addf(&sb, "before: %llu sample%s, after: %llu sample%s; widths are after, colours the change in share",
		    (unsigned long long)d.before_sum, d.before_sum == 1 ? "" : "s", (unsigned long long)d.after_sum,
		    d.after_sum == 1 ? "" : "s");
	int rc = write_graph(&g, after, out, o, "Differential Flame Graph", sb.buf);
	strbuf_release(&sb);
	map_release(&m);
	free(fmap);
	free(nmap);
	free(d.before_self);
	free(d.before_total);
	fold_release(&b);
	fold_release(&g.s);
	return rc;
}
