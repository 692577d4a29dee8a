/*
 * escape: how every writer puts an untrusted name (thread, function, file,
 * module, command: bytes a target chose) into its format. Each escaper
 * appends to a strbuf; NULL appends nothing; nothing fails except out of
 * memory (fatal). All of them build on profiler/base/textsafe.h, so a
 * control byte never reaches a terminal or a file as itself:
 *   text (report, dump, diff): control bytes, DEL, C1 controls and invalid
 *     UTF-8 as \xNN; valid UTF-8 as is.
 *   folded: the same, and ';' as \x3b and a '\' that starts "\x" as \x5c, so
 *     no name splits a frame or a line and escape_folded_decode() gives back
 *     the exact bytes (the collapsed reader decodes every \xHH).
 *   XML (SVG): the text rules, then & < > " ' as entities; no character XML
 *     1.0 forbids can remain.
 *   JSON (speedscope, dump --json): '"' '\' and controls (C0, DEL, C1,
 *     U+2028/U+2029) as \uXXXX, invalid UTF-8 as U+FFFD; always valid UTF-8.
 *   pprof: the text rules (strings stay valid UTF-8 for go tool pprof, and
 *     its -top output stays safe on a terminal).
 */
#ifndef PROWL_ESCAPE_H
#define PROWL_ESCAPE_H

#include <stddef.h>

#include "profiler/base/textsafe.h"
#include "profiler/base/util.h"

void escape_text(struct strbuf *out, const char *s);
void escape_folded(struct strbuf *out, const char *s);
/* Undoes escape_folded on n bytes at s into dst (may be s); returns the length. */
size_t escape_folded_decode(char *dst, const char *s, size_t n);
void escape_xml(struct strbuf *out, const char *s);
void escape_json(struct strbuf *out, const char *s);
void escape_pprof(struct strbuf *out, const char *s);
/* True when escape_pprof(s) is s (no copy needed). */
int escape_pprof_plain(const char *s);

#endif
