#include "profiler/base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void xoom(size_t n)
{
	fprintf(stderr, "prowl: out of memory (asked for %zu bytes)\n", n);
	exit(70);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		xoom(n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		xoom(nmemb * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		xoom(n);
	return q;
}

void xgrow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap;
	if (need <= c)
		return;
	if (c < 8)
		c = 8;
	while (c < need) {
		if (c > SIZE_MAX / 2 / elem)
			xoom(SIZE_MAX);
		c *= 2;
	}
	*p = xrealloc(*p, c * elem);
	*cap = c;
}

void xfit(void **p, size_t *cap, size_t n, size_t elem)
{
	if (*p && n && n < *cap) {
		*p = xrealloc(*p, n * elem);
		*cap = n;
	}
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *d = xmalloc(len + 1);
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

char *xasprintf(const char *fmt, ...)
{
	struct strbuf sb;
	va_list ap;
	strbuf_init(&sb);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	return strbuf_detach(&sb);
}

void strbuf_init(struct strbuf *sb)
{
	sb->buf = NULL;
	sb->len = 0;
	sb->cap = 0;
	xgrow((void **)&sb->buf, &sb->cap, 1, 1);
	sb->buf[0] = '\0';
}

void strbuf_release(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->buf[0] = '\0';
}

void strbuf_add(struct strbuf *sb, const void *data, size_t n)
{
	xgrow((void **)&sb->buf, &sb->cap, sb->len + n + 1, 1);
	memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void strbuf_adds(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_addc(struct strbuf *sb, char c)
{
	strbuf_add(sb, &c, 1);
}

void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	va_copy(cp, ap);
	n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n >= sb->cap - sb->len) {
		xgrow((void **)&sb->buf, &sb->cap, sb->len + (size_t)n + 1, 1);
		vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
	}
	sb->len += (size_t)n;
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

char *strbuf_detach(struct strbuf *sb)
{
	char *b = sb->buf;
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return b;
}

static bool ptrmap_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct ptrmap *m = ctx;
	return m->v[idx].key == key;
}

static uint64_t ptrmap_hash(const void *key)
{
	return hash_mix(0, (uintptr_t)key);
}

void *ptrmap_get(const struct ptrmap *m, const void *key)
{
	uint32_t i = itab_find(&m->index, ptrmap_hash(key), ptrmap_eq, m, key);
	return i == ITAB_NONE ? NULL : m->v[i].value;
}

void ptrmap_put(struct ptrmap *m, const void *key, void *value)
{
	uint64_t h = ptrmap_hash(key);
	uint32_t i = itab_find(&m->index, h, ptrmap_eq, m, key);
	if (i == ITAB_NONE) {
		xgrow((void **)&m->v, &m->cap, m->n + 1, sizeof(*m->v));
		i = (uint32_t)m->n++;
		m->v[i].key = key;
		itab_insert(&m->index, h, i);
	}
	m->v[i].value = value;
}

void ptrmap_release(struct ptrmap *m)
{
	free(m->v);
	itab_release(&m->index);
	m->v = NULL;
	m->n = m->cap = 0;
}

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}
