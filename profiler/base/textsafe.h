/*
 * textsafe: untrusted names (thread, function, file and module names a
 * target chose) made safe to show. Printable ASCII and valid UTF-8 stay as
 * they are; C0 control bytes, DEL, the C1 controls (U+0080..U+009F, which
 * some terminals obey as CSI and friends) and bytes that are not valid UTF-8
 * become "\xNN", one per byte. The result holds no control byte, so a name
 * can neither drive a terminal nor start a line of its own, and it is always
 * valid UTF-8. Every text writer (formats/escape.h) and the live view use it.
 * The caller owns the strbuf; nothing here fails except out of memory (fatal).
 */
#ifndef PROWL_TEXTSAFE_H
#define PROWL_TEXTSAFE_H

#include <stdbool.h>
#include <stddef.h>

#include "profiler/base/util.h"

enum textsafe_flags {
	/* Each valid non-ASCII character becomes one '?': for a grid with one
	 * byte per cell (the live view). */
	TEXTSAFE_ASCII = 1,
	/* A '\' that starts "\x" is written "\x5c", so textsafe_unescape()
	 * gives back exactly the bytes escaped (the folded format). */
	TEXTSAFE_REVERSIBLE = 2,
};

/* Length of the valid UTF-8 sequence at s (1..4, at most avail bytes read),
 * or 0 when it is not valid UTF-8 (overlong, surrogate, U+FFFE/U+FFFF,
 * beyond U+10FFFF, cut short). An ASCII byte, NUL included, is 1. */
size_t textsafe_utf8_len(const void *s, size_t avail);

/* True when the character of len bytes at s (from textsafe_utf8_len) is
 * shown as is: not a C0 control, DEL or C1 control. */
bool textsafe_printable(const void *s, size_t len);

/* Appends n bytes of s, made safe; bytes of also (ASCII, may be NULL) are
 * escaped too. A NUL inside n is shown as \x00. */
void textsafe_add(struct strbuf *out, const void *s, size_t n, unsigned flags, const char *also);
/* The same for a C string (NULL appends nothing). */
void textsafe_append(struct strbuf *out, const char *s);
/* True when textsafe_add would append s unchanged (the common case). */
bool textsafe_plain(const void *s, size_t n, unsigned flags, const char *also);

/* Turns every "\xHH" (two hex digits, either case) of n bytes at s back into
 * its byte, other bytes as they are; "\x00" stays text, so a C string stays
 * whole. Writes at most n bytes to dst (which may be s); returns how many. */
size_t textsafe_unescape(char *dst, const char *s, size_t n);

#endif
