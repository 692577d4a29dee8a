#include "formats/json.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/base/util.h"

#define MAX_DEPTH 256

struct parser {
	const char *s, *end;
	int depth;
};

static void skip_ws(struct parser *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
		p->s++;
}

static void add_utf8(struct strbuf *sb, unsigned cp)
{
	if (cp < 0x80) {
		strbuf_addc(sb, (char)cp);
	} else if (cp < 0x800) {
		strbuf_addc(sb, (char)(0xc0 | (cp >> 6)));
		strbuf_addc(sb, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		strbuf_addc(sb, (char)(0xe0 | (cp >> 12)));
		strbuf_addc(sb, (char)(0x80 | ((cp >> 6) & 0x3f)));
		strbuf_addc(sb, (char)(0x80 | (cp & 0x3f)));
	} else {
		strbuf_addc(sb, (char)(0xf0 | (cp >> 18)));
		strbuf_addc(sb, (char)(0x80 | ((cp >> 12) & 0x3f)));
		strbuf_addc(sb, (char)(0x80 | ((cp >> 6) & 0x3f)));
		strbuf_addc(sb, (char)(0x80 | (cp & 0x3f)));
	}
}

static int hex4(const char *s, const char *end, unsigned *out)
{
	if (end - s < 4)
		return -1;
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static char *parse_string(struct parser *p)
{
	if (p->s >= p->end || *p->s != '"')
		return NULL;
	p->s++;
	struct strbuf sb;
	strbuf_init(&sb);
	while (p->s < p->end && *p->s != '"') {
		char c = *p->s++;
		if ((unsigned char)c < 0x20)
			goto fail;
		if (c != '\\') {
			strbuf_addc(&sb, c);
			continue;
		}
		if (p->s >= p->end)
			goto fail;
		c = *p->s++;
		switch (c) {
		case '"': case '\\': case '/': strbuf_addc(&sb, c); break;
		case 'b': strbuf_addc(&sb, '\b'); break;
		case 'f': strbuf_addc(&sb, '\f'); break;
		case 'n': strbuf_addc(&sb, '\n'); break;
		case 'r': strbuf_addc(&sb, '\r'); break;
		case 't': strbuf_addc(&sb, '\t'); break;
		case 'u': {
			unsigned cp;
			if (hex4(p->s, p->end, &cp))
				goto fail;
			p->s += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && p->end - p->s >= 6 && p->s[0] == '\\' && p->s[1] == 'u') {
				unsigned lo;
				if (!hex4(p->s + 2, p->end, &lo) && lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					p->s += 6;
				}
			}
			if (cp == 0 || (cp >= 0xd800 && cp < 0xe000))
				cp = 0xfffd;
			add_utf8(&sb, cp);
			break;
		}
		default:
			goto fail;
		}
	}
	if (p->s >= p->end)
		goto fail;
	p->s++;
	return strbuf_detach(&sb);
fail:
	strbuf_release(&sb);
	return NULL;
}

static struct json *parse_value(struct parser *p);

static struct json *node(enum json_type t)
{
	struct json *j = xcalloc(1, sizeof(*j));
	j->type = t;
	return j;
}

static struct json *parse_container(struct parser *p, bool object)
{
	struct json *j = node(object ? JSON_OBJECT : JSON_ARRAY);
	size_t cap = 0, kcap = 0;
	p->s++;
	skip_ws(p);
	if (p->s < p->end && *p->s == (object ? '}' : ']')) {
		p->s++;
		return j;
	}
	for (;;) {
		char *key = NULL;
		skip_ws(p);
		if (object) {
			key = parse_string(p);
			if (!key)
				goto fail;
			skip_ws(p);
			if (p->s >= p->end || *p->s != ':') {
				free(key);
				goto fail;
			}
			p->s++;
		}
		struct json *v = parse_value(p);
		if (!v) {
			free(key);
			goto fail;
		}
		xgrow((void **)&j->items, &cap, j->n + 1, sizeof(*j->items));
		if (object) {
			xgrow((void **)&j->keys, &kcap, j->n + 1, sizeof(*j->keys));
			j->keys[j->n] = key;
		}
		j->items[j->n++] = v;
		skip_ws(p);
		if (p->s < p->end && *p->s == ',') {
			p->s++;
			continue;
		}
		if (p->s < p->end && *p->s == (object ? '}' : ']')) {
			p->s++;
			return j;
		}
		goto fail;
	}
fail:
	json_free(j);
	return NULL;
}

static struct json *parse_value(struct parser *p)
{
	skip_ws(p);
	if (p->s >= p->end)
		return NULL;
	char c = *p->s;
	if (c == '{' || c == '[') {
		if (++p->depth > MAX_DEPTH)
			return NULL;
		struct json *j = parse_container(p, c == '{');
		p->depth--;
		return j;
	}
	if (c == '"') {
		char *s = parse_string(p);
		if (!s)
			return NULL;
		struct json *j = node(JSON_STRING);
		j->string = s;
		return j;
	}
	static const struct {
		const char *word;
		enum json_type t;
		double v;
	} words[] = { { "true", JSON_BOOL, 1 }, { "false", JSON_BOOL, 0 }, { "null", JSON_NULL, 0 } };
	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		size_t n = strlen(words[i].word);
		if ((size_t)(p->end - p->s) >= n && memcmp(p->s, words[i].word, n) == 0) {
			p->s += n;
			struct json *j = node(words[i].t);
			j->number = words[i].v;
			return j;
		}
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		char buf[64];
		size_t n = 0;
		while (p->s + n < p->end && n < sizeof(buf) - 1 &&
		       strchr("+-0123456789.eE", p->s[n]) && p->s[n])
			n++;
		memcpy(buf, p->s, n);
		buf[n] = '\0';
		char *e;
		double v = strtod(buf, &e);
		if (e == buf)
			return NULL;
		p->s += e - buf;
		struct json *j = node(JSON_NUMBER);
		j->number = v;
		return j;
	}
	return NULL;
}

struct json *json_parse(const char *text, size_t len)
{
	struct parser p = { text, text + len, 0 };
	struct json *j = parse_value(&p);
	if (!j)
		return NULL;
	skip_ws(&p);
	if (p.s != p.end) {
		json_free(j);
		return NULL;
	}
	return j;
}

/* Iterative so a deep tree cannot overflow the stack while freeing. */
void json_free(struct json *j)
{
	if (!j)
		return;
	struct json **todo = NULL;
	size_t n = 0, cap = 0;
	xgrow((void **)&todo, &cap, 1, sizeof(*todo));
	todo[n++] = j;
	while (n) {
		struct json *x = todo[--n];
		for (size_t i = 0; i < x->n; i++) {
			xgrow((void **)&todo, &cap, n + 1, sizeof(*todo));
			todo[n++] = x->items[i];
			if (x->keys)
				free(x->keys[i]);
		}
		free(x->items);
		free(x->keys);
		free(x->string);
		free(x);
	}
	free(todo);
}

const struct json *json_get(const struct json *j, const char *key)
{
	if (!j || j->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < j->n; i++)
		if (strcmp(j->keys[i], key) == 0)
			return j->items[i];
	return NULL;
}
