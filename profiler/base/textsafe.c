#include "profiler/base/textsafe.h"

#include <string.h>

size_t textsafe_utf8_len(const void *p, size_t avail)
{
	const unsigned char *s = p;
	if (!avail)
		return 0;
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t n;
	unsigned min, cp;
	if ((c & 0xe0) == 0xc0)
		n = 2, cp = c & 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		n = 3, cp = c & 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		n = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

bool textsafe_printable(const void *p, size_t len)
{
	const unsigned char *s = p;
	if (len == 1)
		return s[0] >= 0x20 && s[0] != 0x7f;
	/* U+0080..U+009F: an 8-bit terminal takes U+009B as CSI. */
	if (len == 2 && s[0] == 0xc2 && s[1] < 0xa0)
		return false;
	return len > 1;
}

/* How many bytes at s go out as they are (0: the byte at s is escaped). */
static size_t keep_len(const unsigned char *s, size_t n, unsigned flags, const char *also)
{
	size_t len = textsafe_utf8_len(s, n);
	if (!len || !textsafe_printable(s, len))
		return 0;
	if (len == 1 && also && strchr(also, s[0]))
		return 0;
	if (len == 1 && s[0] == '\\' && (flags & TEXTSAFE_REVERSIBLE) && n > 1 && s[1] == 'x')
		return 0;
	return len;
}

void textsafe_add(struct strbuf *out, const void *p, size_t n, unsigned flags, const char *also)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = p;
	size_t i = 0, run = 0;
	while (i < n) {
		size_t len = keep_len(s + i, n - i, flags, also);
		if (len == 1) {
			i++;
			continue;
		}
		/* Plain ASCII is copied in runs: most names are nothing else. */
		strbuf_add(out, s + run, i - run);
		if (len > 1 && (flags & TEXTSAFE_ASCII)) {
			strbuf_addc(out, '?');
			i += len;
		} else if (len > 1) {
			strbuf_add(out, s + i, len);
			i += len;
		} else {
			/* A C1 control is escaped byte by byte, as invalid bytes are. */
			size_t u = textsafe_utf8_len(s + i, n - i);
			for (size_t k = 0; k < (u ? u : 1); k++) {
				char e[4] = { '\\', 'x', hex[s[i + k] >> 4], hex[s[i + k] & 15] };
				strbuf_add(out, e, 4);
			}
			i += u ? u : 1;
		}
		run = i;
	}
	strbuf_add(out, s + run, i - run);
}

void textsafe_append(struct strbuf *out, const char *s)
{
	if (s)
		textsafe_add(out, s, strlen(s), 0, NULL);
}

bool textsafe_plain(const void *p, size_t n, unsigned flags, const char *also)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n;) {
		size_t len = keep_len(s + i, n - i, flags, also);
		if (!len || (len > 1 && (flags & TEXTSAFE_ASCII)))
			return false;
		i += len;
	}
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t textsafe_unescape(char *dst, const char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		int hi, lo;
		if (s[i] == '\\' && n - i >= 4 && s[i + 1] == 'x' && (hi = hexval(s[i + 2])) >= 0 &&
		    (lo = hexval(s[i + 3])) >= 0 && (hi | lo)) {
			dst[o++] = (char)(hi << 4 | lo);
			i += 4;
		} else {
			dst[o++] = s[i++];
		}
	}
	return o;
}
