#include "formats/collapsed.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "formats/escape.h"
#include "formats/stacks.h"

struct line_ref {
	size_t off;     /* into the text buffer */
	uint64_t count;
};

static const char *sort_text;

static int line_cmp(const void *a, const void *b)
{
	const struct line_ref *x = a, *y = b;
	return strcmp(sort_text + x->off, sort_text + y->off);
}

/* Lines come out sorted bytewise, as stackcollapse-perf.pl prints them, so
 * the same profile always gives the same file. Names are escaped
 * (formats/escape.h: ';', controls and invalid UTF-8 as \xNN), so a name
 * never splits a frame or a line; the reader decodes them. */
int collapsed_write(const struct profile *src, FILE *out, const struct write_opts *o)
{
	struct fold s;
	stacks_init(&s, src, o);
	const struct profile *p = s.p;
	size_t *label_off = xmalloc((p->nframes + 1) * sizeof(*label_off));
	struct strbuf labels, raw;
	strbuf_init(&labels);
	strbuf_init(&raw);
	for (size_t f = 0; f < p->nframes; f++) {
		label_off[f] = labels.len;
		strbuf_reset(&raw);
		stacks_label(&s, (uint32_t)f, true, &raw);
		escape_folded(&labels, raw.buf);
		strbuf_addc(&labels, '\0');
	}
	strbuf_release(&raw);
	struct strbuf text;
	strbuf_init(&text);
	struct line_ref *lines = NULL;
	size_t nlines = 0, cap = 0;
	uint32_t *stack = NULL;
	size_t scap = 0;
	for (size_t n = 1; n < p->nnodes; n++) {
		if (!s.self[n])
			continue;
		size_t d = profile_node_depth(p, (uint32_t)n);
		xgrow((void **)&stack, &scap, d + 1, sizeof(*stack));
		profile_node_frames(p, (uint32_t)n, stack, d);
		xgrow((void **)&lines, &cap, nlines + 1, sizeof(*lines));
		lines[nlines].off = text.len;
		lines[nlines].count = s.self[n];
		nlines++;
		for (size_t i = 0; i < d; i++) {
			if (i)
				strbuf_addc(&text, ';');
			strbuf_adds(&text, labels.buf + label_off[stack[i]]);
		}
		strbuf_addc(&text, '\0');
	}
	sort_text = text.buf;
	if (nlines)
		qsort(lines, nlines, sizeof(*lines), line_cmp);
	/* Distinct frames can print the same (say "f_[i]" the name and "f" inlined):
	 * equal lines after sorting are one line. */
	for (size_t i = 0; i < nlines;) {
		uint64_t c = lines[i].count;
		size_t j = i + 1;
		while (j < nlines && strcmp(text.buf + lines[j].off, text.buf + lines[i].off) == 0)
			c += lines[j++].count;
		fprintf(out, "%s %llu\n", text.buf + lines[i].off, (unsigned long long)c);
		i = j;
	}
	free(stack);
	free(lines);
	strbuf_release(&text);
	strbuf_release(&labels);
	free(label_off);
	fold_release(&s);
	return ferror(out) ? -EIO : 0;
}

/* A line is "stack count": the count is after the last space or tab
 * (flamegraph.pl also takes a fractional count; we keep its integer part).
 * Returns the length of the stack part, or -1 when the line has no count. */
static long split_count(const char *line, size_t len, uint64_t *count)
{
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	size_t i = len;
	while (i && line[i - 1] != ' ' && line[i - 1] != '\t')
		i--;
	if (!i || i == len)
		return -1;
	uint64_t c = 0;
	size_t digits = 0, k = i;
	for (; k < len && line[k] >= '0' && line[k] <= '9'; k++, digits++) {
		/* Up to UINT64_MAX exactly: a saturated total written out must
		 * read back. */
		uint64_t d = (uint64_t)(line[k] - '0');
		if (c > (UINT64_MAX - d) / 10)
			return -1;
		c = c * 10 + d;
	}
	if (!digits)
		return -1;
	if (k < len && line[k] == '.')
		for (k++; k < len && line[k] >= '0' && line[k] <= '9'; k++)
			;
	if (k != len)
		return -1;
	*count = c;
	size_t end = i - 1;
	while (end && (line[end - 1] == ' ' || line[end - 1] == '\t'))
		end--;
	return (long)end;
}

static void add_frame(struct profile *p, const char *name, size_t len, uint32_t *out)
{
	struct profile_frame f = { .module = -1, .kind = FRAME_USER };
	if (len > 4 && name[len - 4] == '_' && name[len - 3] == '[' && name[len - 1] == ']') {
		char m = name[len - 2];
		if (m == 'k' || m == 'j' || m == 'i') {
			len -= 4;
			if (m == 'k')
				f.kind = FRAME_KERNEL;
			else if (m == 'j')
				f.kind = FRAME_JIT;
			else
				f.inlined = 1;
		}
	}
	char *copy = xstrndup(name, len);
	/* What escape_folded wrote: \xHH back to its byte. */
	if (memchr(copy, '\\', len))
		copy[escape_folded_decode(copy, copy, len)] = '\0';
	f.name = copy;
	*out = profile_frame_intern(p, &f);
	free(copy);
}

int collapsed_probe(const char *data, size_t len)
{
	size_t good = 0, bad = 0, i = 0;
	bool frames = false;
	while (i < len && good + bad < 50) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - data) : len;
		uint64_t c;
		if (e > i && data[i] != '\r') {
			long sl = split_count(data + i, e - i, &c);
			if (sl >= 0) {
				good++;
				frames = frames || memchr(data + i, ';', (size_t)sl);
			} else if (data[i] != '#') {
				bad++;
			}
		}
		i = e + 1;
	}
	if (!good || bad)
		return 0;
	return frames ? 2 : 1;
}

/* Folded files are usually sorted, so a line mostly repeats the frames of
 * the line before: those frames and their nodes are reused, not interned again. */
struct prev_frame {
	const char *text;
	size_t len;
	uint32_t frame, node;
};

struct profile *collapsed_read(const char *data, size_t len)
{
	struct profile *p = profile_new();
	uint32_t thread = profile_thread_intern(p, 0, 0, "all");
	struct prev_frame *prev = NULL;
	size_t pcap = 0, pdepth = 0, good = 0, bad = 0, i = 0;
	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - data) : len;
		const char *line = data + i;
		size_t n = e - i;
		i = e + 1;
		if (!n || (n == 1 && line[0] == '\r'))
			continue;
		uint64_t count;
		long sl = split_count(line, n, &count);
		if (sl < 0 || memchr(line, '\0', n)) {
			/* A comment only when it is not a stack: "#worker (7);main 5" is. */
			if (line[0] != '#')
				bad++;
			continue;
		}
		size_t depth = 0, a = 0;
		bool same = true, cut = false;
		uint32_t node = PROFILE_ROOT;
		for (size_t k = 0; k <= (size_t)sl; k++) {
			if (k != (size_t)sl && line[k] != ';')
				continue;
			if (k > a && depth == READ_MAX_FRAMES) {
				cut = true; /* the outermost READ_MAX_FRAMES are kept */
				break;
			}
			if (k > a) {
				const char *t = line + a;
				size_t tl = k - a;
				same = same && depth < pdepth && prev[depth].len == tl && memcmp(prev[depth].text, t, tl) == 0;
				if (!same) {
					xgrow((void **)&prev, &pcap, depth + 1, sizeof(*prev));
					uint32_t f;
					add_frame(p, t, tl, &f);
					node = profile_node_child(p, node, f);
					prev[depth] = (struct prev_frame){ t, tl, f, node };
				}
				node = prev[depth].node;
				depth++;
			}
			a = k + 1;
		}
		pdepth = depth;
		good++;
		if (count)
			profile_add(p, thread, node, count);
		if (count && cut)
			p->meta.truncated++;
	}
	free(prev);
	if (!good || bad > good) {
		profile_free(p);
		errno = EINVAL;
		return NULL;
	}
	return p;
}
