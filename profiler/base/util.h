/*
 * util: memory helpers that never return NULL, a growable string buffer and a
 * hash. Out of memory is fatal (xmalloc and friends print one line and exit 70);
 * nothing else here fails. The caller owns every returned buffer.
 */
#ifndef PROWL_UTIL_H
#define PROWL_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "profiler/base/itab.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Says "out of memory (asked for n bytes)" and exits 70: what every x*
 * allocator does on failure, for memory prowl gets elsewhere (mmap). */
void xoom(size_t n) __attribute__((noreturn));
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows *p (of *cap elements of size elem) so that it holds at least need. */
void xgrow(void **p, size_t *cap, size_t need, size_t elem);
/* The other way: a vector of n elements (n > 0) gives back its unused room,
 * for one that will not grow again; *cap becomes n. */
void xfit(void **p, size_t *cap, size_t n, size_t elem);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last component of a path (points into path; path itself when it has no "/"). */
const char *base_name(const char *path);

/* A growable, always NUL-terminated byte buffer. */
struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};
void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
void strbuf_add(struct strbuf *sb, const void *data, size_t n);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addc(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* Hands the buffer to the caller and leaves sb empty. */
char *strbuf_detach(struct strbuf *sb);

/* A map from pointers to pointers (memo tables keyed by a string's address).
 * Keys are compared by address, never dereferenced; NULL keys are not allowed. */
struct ptrmap {
	struct ptrmap_ent {
		const void *key;
		void *value;
	} *v;          /* in insertion order */
	size_t n, cap;
	struct itab index;
};
/* The value stored for key, or NULL. */
void *ptrmap_get(const struct ptrmap *m, const void *key);
/* Stores value for key (replacing an older value). */
void ptrmap_put(struct ptrmap *m, const void *key, void *value);
/* Frees the table, not the values. */
void ptrmap_release(struct ptrmap *m);

/* Monotonic and wall clocks in nanoseconds. */
uint64_t now_ns(void);
uint64_t wall_ns(void);

#endif
