#include "formats/escape.h"

#include <string.h>

void escape_text(struct strbuf *out, const char *s)
{
	textsafe_append(out, s);
}

void escape_folded(struct strbuf *out, const char *s)
{
	if (s)
		textsafe_add(out, s, strlen(s), TEXTSAFE_REVERSIBLE, ";");
}

size_t escape_folded_decode(char *dst, const char *s, size_t n)
{
	return textsafe_unescape(dst, s, n);
}

static const char *xml_entity(char c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	default: return NULL;
	}
}

void escape_xml(struct strbuf *out, const char *s)
{
	if (!s)
		return;
	/* An entity's character is ASCII, never inside a UTF-8 sequence, so
	 * the runs between them are made safe on their own. */
	size_t i = 0, run = 0;
	for (; s[i]; i++) {
		const char *e = xml_entity(s[i]);
		if (!e)
			continue;
		textsafe_add(out, s + run, i - run, 0, NULL);
		strbuf_adds(out, e);
		run = i + 1;
	}
	textsafe_add(out, s + run, i - run, 0, NULL);
}

void escape_json(struct strbuf *out, const char *str)
{
	if (!str)
		return;
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str);
	for (size_t i = 0; i < n;) {
		size_t len = textsafe_utf8_len(s + i, n - i);
		if (!len) {
			strbuf_adds(out, "\\ufffd");
			i++;
			continue;
		}
		if (len == 1 && (s[i] == '"' || s[i] == '\\')) {
			strbuf_addc(out, '\\');
			strbuf_addc(out, (char)s[i]);
		} else if (len == 1 && !textsafe_printable(s + i, 1)) {
			strbuf_addf(out, "\\u%04x", s[i]);
		} else if (len == 2 && !textsafe_printable(s + i, 2)) {
			strbuf_addf(out, "\\u%04x", (unsigned)(s[i + 1] & 0x3f) | (unsigned)(s[i] & 0x1f) << 6);
		} else if (len == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
			/* Line and paragraph separators end a line in JavaScript. */
			strbuf_addf(out, "\\u%04x", 0x2000u | (s[i + 2] & 0x3f));
		} else {
			strbuf_add(out, s + i, len);
		}
		i += len;
	}
}

void escape_pprof(struct strbuf *out, const char *s)
{
	textsafe_append(out, s);
}

int escape_pprof_plain(const char *s)
{
	return textsafe_plain(s, strlen(s), 0, NULL);
}
