/* Unit tests for profiler/base/textsafe.c and formats/escape.c, and for every
 * text writer given names a hostile target can choose: escape sequences,
 * newlines that would forge lines, ';' that would split a folded frame,
 * other control bytes, C1 controls, invalid UTF-8, and valid UTF-8 that must
 * be kept as it is. Each output is checked the way a user would: no control
 * byte but the format's own newlines, as many lines as the same profile with
 * plain names, valid UTF-8, parsed back by our readers where one exists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "formats/collapsed.h"
#include "formats/diff.h"
#include "formats/dump.h"
#include "formats/escape.h"
#include "formats/format.h"
#include "formats/json.h"
#include "formats/svg.h"
#include "profiler/base/textsafe.h"
#include "profiler/base/util.h"
#include "profiler/model/profile.h"
#include "ui/view.h"

/* The names of the hostile profile, and plain names of the same shape. */
#define EVIL_THREAD "a\x1b[31mred\nthread 1 \"systemd\" running"
#define EVIL_CLEAR "weird\x1b[2Jname"
#define EVIL_SEMI "semi;colon\nforged_frame 99"
#define EVIL_CTL "tab\there\rcr\x7f" "del\x01"
#define EVIL_BAD "bad\xff\xfeutf8\xc3"
#define EVIL_C1 "c1\xc2\x9b" "31m"
#define KEPT "caf\xc3\xa9_\xe6\x97\xa5\xe6\x9c\xac"
#define EVIL_SLASH "back\\x41slash\\"
#define EVIL_FILE "/src/evil\n.c"
#define EVIL_MODULE "/lib/li\x1b" "b.so"
#define EVIL_COMMAND "cmd\x1b]0;title\x07 --x"

static const char *const evil_names[] = { EVIL_CLEAR, EVIL_SEMI, EVIL_CTL, EVIL_BAD, EVIL_C1, KEPT, EVIL_SLASH };
static const char *const plain_names[] = { "f_clear", "f_semi", "f_ctl", "f_bad", "f_c1", "f_kept", "f_slash" };
#define NNAMES (sizeof(evil_names) / sizeof(evil_names[0]))

/* Strict UTF-8, written apart from textsafe_utf8_len so a bug there shows. */
static bool valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t k;
		uint32_t cp;
		if (c < 0x80)
			k = 1, cp = c;
		else if (c >= 0xc2 && c <= 0xdf)
			k = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			k = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 4, cp = c & 0x07;
		else
			return false;
		if (i + k > n)
			return false;
		for (size_t j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k;
	}
	return true;
}

/* Fails on any byte a terminal obeys: C0 but the allowed ones, DEL, and the
 * C1 controls in their UTF-8 form; and on invalid UTF-8. */
static void assert_terminal_safe(const char *what, const char *buf, size_t n, const char *allowed)
{
	const unsigned char *s = (const unsigned char *)buf;
	for (size_t i = 0; i < n; i++) {
		if ((s[i] < 0x20 && !(s[i] && strchr(allowed, s[i]))) || s[i] == 0x7f)
			fail_msg("%s: control byte 0x%02x at offset %zu", what, s[i], i);
		if (s[i] == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] < 0xa0)
			fail_msg("%s: C1 control U+00%02X at offset %zu", what, s[i + 1], i);
	}
	if (!valid_utf8(s, n))
		fail_msg("%s: not valid UTF-8", what);
}

static size_t count_lines(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += s[i] == '\n';
	return k;
}

static char *esc(void (*fn)(struct strbuf *, const char *), const char *s)
{
	struct strbuf sb;
	strbuf_init(&sb);
	fn(&sb, s);
	return strbuf_detach(&sb);
}

/* Two threads; main -> each name -> a kernel leaf, plus one inlined frame
 * with a file and a module, so every kind of label and location is printed. */
static struct profile *make_profile(bool evil)
{
	const char *const *names = evil ? evil_names : plain_names;
	struct profile *p = profile_new();
	profile_set_str(&p->meta.command, evil ? EVIL_COMMAND : "cmd_plain_xyz --x");
	p->meta.pid = 42;
	p->meta.freq = 99;
	p->meta.period_ns = 1000000;
	struct profile_module m = { .path = evil ? EVIL_MODULE : "/lib/lixb.so" };
	int32_t mod = profile_module_intern(p, &m);
	uint32_t th[2] = { profile_thread_intern(p, 42, 42, evil ? EVIL_THREAD : "plain_thread_name_here"),
			   profile_thread_intern(p, 42, 43, "worker") };
	uint32_t top = profile_frame_named(p, "main", FRAME_USER);
	uint32_t kern = profile_frame_named(p, "do_syscall_64", FRAME_KERNEL);
	for (size_t i = 0; i < NNAMES; i++) {
		struct profile_frame f = { .name = (char *)names[i], .module = mod, .address = 0x1000 + i,
					   .file = i == 0 ? (char *)(evil ? EVIL_FILE : "/src/plai.c") : NULL,
					   .line = i == 0 ? 7 : 0 };
		uint32_t fr = profile_frame_intern(p, &f);
		struct profile_frame in = { .name = (char *)names[(i + 1) % NNAMES], .module = mod, .inlined = 1 };
		uint32_t inl = profile_frame_intern(p, &in);
		uint32_t stack[4] = { top, fr, inl, kern };
		profile_add(p, th[i % 2], profile_node_path(p, stack, 4), 10 + i);
		profile_add(p, th[i % 2], profile_node_path(p, stack, 2), 3);
	}
	return p;
}

static char *write_mem(const struct profile *p, enum format f, const struct write_opts *o, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);
	assert_non_null(m);
	assert_int_equal(profile_write_stream(p, f, m, o), 0);
	assert_int_equal(fclose(m), 0);
	*len = n;
	return buf;
}

/* --- the byte-level sanitiser ------------------------------------------ */

static void expect_text(const char *in, const char *want)
{
	char *got = esc(escape_text, in);
	assert_string_equal(got, want);
	free(got);
}

static void test_textsafe(void **state)
{
	(void)state;
	expect_text("plain name (x)", "plain name (x)");
	expect_text(EVIL_CLEAR, "weird\\x1b[2Jname");
	expect_text(EVIL_THREAD, "a\\x1b[31mred\\x0athread 1 \"systemd\" running");
	expect_text(EVIL_CTL, "tab\\x09here\\x0dcr\\x7fdel\\x01");
	/* Invalid bytes one by one, a sequence cut short at the end too. */
	expect_text(EVIL_BAD, "bad\\xff\\xfeutf8\\xc3");
	expect_text("over\xc0\xaflong \xed\xa0\x80surrogate \xf4\x90\x80\x80" "big", "over\\xc0\\xaflong \\xed\\xa0\\x80surrogate \\xf4\\x90\\x80\\x80big");
	/* C1 controls are valid UTF-8 a terminal may obey: escaped, bytes as they are. */
	expect_text(EVIL_C1, "c1\\xc2\\x9b31m");
	/* Other valid UTF-8 is kept, also at the edges of the C1 range. */
	expect_text(KEPT, KEPT);
	expect_text("\xc2\xa0nbsp \xf0\x9f\x98\x80", "\xc2\xa0nbsp \xf0\x9f\x98\x80");
	/* Display text does not escape a backslash: it shows as it is. */
	expect_text(EVIL_SLASH, EVIL_SLASH);

	struct strbuf sb;
	strbuf_init(&sb);
	textsafe_add(&sb, "a\0b", 3, 0, NULL);
	assert_string_equal(sb.buf, "a\\x00b");
	strbuf_reset(&sb);
	/* One cell a character for the live view's grid. */
	textsafe_add(&sb, KEPT "\x1b", strlen(KEPT) + 1, TEXTSAFE_ASCII, NULL);
	assert_string_equal(sb.buf, "caf?_??\\x1b");
	strbuf_release(&sb);

	assert_true(textsafe_plain("ok name", 7, 0, NULL));
	assert_true(textsafe_plain(KEPT, strlen(KEPT), 0, NULL));
	assert_false(textsafe_plain(KEPT, strlen(KEPT), TEXTSAFE_ASCII, NULL));
	assert_false(textsafe_plain("a;b", 3, 0, ";"));
	assert_false(textsafe_plain("a\\xb", 4, TEXTSAFE_REVERSIBLE, NULL));
	assert_true(textsafe_plain("a\\b", 3, TEXTSAFE_REVERSIBLE, NULL));
	assert_int_equal(textsafe_utf8_len("\xe6\x97\xa5", 2), 0);
	assert_int_equal(textsafe_utf8_len("\xe6\x97\xa5", 3), 3);
}

static void test_folded_roundtrip(void **state)
{
	(void)state;
	const char *names[] = { EVIL_THREAD, EVIL_CLEAR, EVIL_SEMI, EVIL_CTL, EVIL_BAD, EVIL_C1, KEPT,
				EVIL_SLASH, "\\", "\\x", "\\x4", "\\x5c", "x\\\\x41", "\\X41", "100%" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *e = esc(escape_folded, names[i]);
		assert_null(strchr(e, ';'));
		assert_terminal_safe(names[i], e, strlen(e), "");
		size_t n = strlen(e);
		char *d = xmalloc(n + 1);
		d[escape_folded_decode(d, e, n)] = '\0';
		if (strcmp(d, names[i]))
			fail_msg("folded %s came back as %s", e, d);
		free(d);
		free(e);
	}
	char *e = esc(escape_folded, EVIL_SEMI);
	assert_string_equal(e, "semi\\x3bcolon\\x0aforged_frame 99");
	free(e);
	e = esc(escape_folded, "plain::name<int>(a, b) [x]");
	assert_string_equal(e, "plain::name<int>(a, b) [x]");
	free(e);
}

static void test_json_escape(void **state)
{
	(void)state;
	const char *names[] = { EVIL_THREAD, EVIL_CLEAR, EVIL_SEMI, EVIL_CTL, EVIL_C1, KEPT, EVIL_SLASH,
				"quote\" and \\ back", "line\xe2\x80\xa8sep" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct strbuf sb;
		strbuf_init(&sb);
		strbuf_addc(&sb, '"');
		escape_json(&sb, names[i]);
		strbuf_addc(&sb, '"');
		assert_terminal_safe(names[i], sb.buf, sb.len, "");
		assert_null(strstr(sb.buf, "\xe2\x80\xa8"));
		/* Valid UTF-8 comes back exactly. */
		struct json *j = json_parse(sb.buf, sb.len);
		assert_non_null(j);
		assert_int_equal(j->type, JSON_STRING);
		assert_string_equal(j->string, names[i]);
		json_free(j);
		strbuf_release(&sb);
	}
	char *e = esc(escape_json, EVIL_C1 "\x1b");
	assert_string_equal(e, "c1\\u009b31m\\u001b");
	free(e);
	/* Invalid bytes become U+FFFD, each. */
	e = esc(escape_json, EVIL_BAD);
	assert_string_equal(e, "bad\\ufffd\\ufffdutf8\\ufffd");
	free(e);
}

static void test_xml_escape(void **state)
{
	(void)state;
	char *e = esc(escape_xml, "a<b>&\"'" EVIL_CLEAR "\n" EVIL_BAD KEPT);
	assert_string_equal(e, "a&lt;b&gt;&amp;&quot;&#39;weird\\x1b[2Jname\\x0abad\\xff\\xfeutf8\\xc3" KEPT);
	free(e);
	/* A character XML 1.0 forbids cannot remain, whatever the byte. */
	for (int c = 1; c < 0x20; c++) {
		char in[4] = { 'x', (char)c, 'y', 0 };
		e = esc(escape_xml, in);
		assert_terminal_safe("xml", e, strlen(e), "");
		free(e);
	}
}

/* --- every writer -------------------------------------------------------- */

struct fmt_case {
	enum format f;
	struct write_opts o;
	const char *name;
};

static const struct fmt_case cases[] = {
	{ FORMAT_COLLAPSED, { 0 }, "folded" },
	{ FORMAT_COLLAPSED, { .threads = true, .lines = true }, "folded --threads --lines" },
	{ FORMAT_REPORT, { 0 }, "report" },
	{ FORMAT_REPORT, { .lines = true, .threads = true }, "report --lines --threads" },
	{ FORMAT_SVG, { 0 }, "svg" },
	{ FORMAT_SVG, { .threads = true, .title = "title\x1b[5m\n" }, "svg --threads --title" },
	{ FORMAT_SPEEDSCOPE, { 0 }, "speedscope" },
};

/* Text writers: nothing a terminal obeys, no forged line, and what names
 * show is there. */
static void test_writers_text(void **state)
{
	(void)state;
	struct profile *evil = make_profile(true), *plain = make_profile(false);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t ne, np;
		char *e = write_mem(evil, cases[i].f, &cases[i].o, &ne);
		char *p = write_mem(plain, cases[i].f, &cases[i].o, &np);
		assert_terminal_safe(cases[i].name, e, ne, "\n");
		if (count_lines(e, ne) != count_lines(p, np))
			fail_msg("%s: %zu lines for hostile names, %zu for plain ones:\n%s", cases[i].name,
				 count_lines(e, ne), count_lines(p, np), e);
		if (cases[i].f == FORMAT_REPORT || cases[i].f == FORMAT_SVG) {
			assert_non_null(strstr(e, "weird\\x1b[2Jname"));
			assert_non_null(strstr(e, "c1\\xc2\\x9b31m"));
			assert_non_null(strstr(e, "bad\\xff\\xfeutf8\\xc3"));
			assert_non_null(strstr(e, KEPT));
		}
		if (cases[i].f == FORMAT_REPORT) {
			assert_non_null(strstr(e, "prowl report: cmd\\x1b]0;title\\x07 --x (pid 42)"));
			assert_non_null(strstr(e, "semi;colon\\x0aforged_frame 99"));
			assert_non_null(strstr(e, "/src/evil\\x0a.c:7"));
		}
		if (cases[i].o.threads && (cases[i].f == FORMAT_COLLAPSED || cases[i].f == FORMAT_SVG) && !strstr(e, "a\\x1b[31mred\\x0athread 1 "))
			fail_msg("%s: no escaped thread name in\n%s", cases[i].name, e);
		if (cases[i].f == FORMAT_SPEEDSCOPE) {
			struct json *j = json_parse(e, ne);
			assert_non_null(j);
			json_free(j);
			assert_non_null(strstr(e, "weird\\u001b[2Jname"));
			assert_non_null(strstr(e, "a\\u001b[31mred\\u000athread 1 \\\"systemd\\\" running (42)"));
		}
		free(e);
		free(p);
	}
	profile_free(evil);
	profile_free(plain);
}

/* Names of the frames of a profile, sorted, one string ("a|b|..."). */
static char *frame_names(const struct profile *p, const char *(*map)(const char *, struct strbuf *))
{
	char **v = xcalloc(p->nframes + 1, sizeof(*v));
	struct strbuf tmp;
	strbuf_init(&tmp);
	for (size_t i = 0; i < p->nframes; i++) {
		strbuf_reset(&tmp);
		v[i] = xstrdup(map ? map(p->frames[i].name, &tmp) : p->frames[i].name);
	}
	strbuf_release(&tmp);
	for (size_t i = 1; i < p->nframes; i++)
		for (size_t k = i; k > 0 && strcmp(v[k - 1], v[k]) > 0; k--) {
			char *t = v[k];
			v[k] = v[k - 1];
			v[k - 1] = t;
		}
	struct strbuf sb;
	strbuf_init(&sb);
	for (size_t i = 0; i < p->nframes; i++) {
		if (i && !strcmp(v[i], v[i - 1]))
			continue;
		strbuf_adds(&sb, v[i]);
		strbuf_addc(&sb, '|');
	}
	for (size_t i = 0; i < p->nframes; i++)
		free(v[i]);
	free(v);
	return strbuf_detach(&sb);
}

static const char *as_text(const char *s, struct strbuf *tmp)
{
	escape_text(tmp, s);
	return tmp->buf;
}

static const char *as_json(const char *s, struct strbuf *tmp)
{
	/* What a JSON round trip keeps: invalid bytes become U+FFFD. */
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		size_t k = textsafe_utf8_len(u + i, n - i);
		if (!k) {
			strbuf_adds(tmp, "\xef\xbf\xbd");
			i++;
		} else {
			strbuf_add(tmp, u + i, k);
			i += k;
		}
	}
	return tmp->buf;
}

/* Each writer read back by our reader: folded gives the exact names, pprof
 * the names as text shows them (valid UTF-8, no controls), speedscope the
 * names with invalid bytes replaced. */
static void test_writers_read_back(void **state)
{
	(void)state;
	struct profile *evil = make_profile(true);
	struct profile *folded = profile_fold(evil, 0);
	char *want = frame_names(folded, NULL);
	profile_free(folded);
	size_t n;
	char *out = write_mem(evil, FORMAT_COLLAPSED, NULL, &n);
	struct profile *back = collapsed_read(out, n);
	assert_non_null(back);
	char *got = frame_names(back, NULL);
	assert_string_equal(got, want);
	/* Kinds survive the escaping too. */
	bool kernel = false, inl = false;
	for (size_t i = 0; i < back->nframes; i++) {
		kernel |= back->frames[i].kind == FRAME_KERNEL && !strcmp(back->frames[i].name, "do_syscall_64");
		inl |= back->frames[i].inlined && !strcmp(back->frames[i].name, EVIL_SEMI);
	}
	assert_true(kernel);
	assert_true(inl);
	assert_int_equal(back->total, evil->total);
	free(got);
	profile_free(back);
	free(out);
	free(want);

	struct profile *all = profile_fold(evil, 0);
	want = frame_names(all, as_text);
	out = write_mem(evil, FORMAT_PPROF, NULL, &n);
	back = profile_read_mem(out, n, NULL);
	assert_non_null(back);
	got = frame_names(back, NULL);
	assert_string_equal(got, want);
	for (size_t i = 0; i < back->nthreads; i++)
		assert_terminal_safe("pprof thread", back->threads[i].name, strlen(back->threads[i].name), "");
	for (size_t i = 0; i < back->nmodules; i++)
		assert_terminal_safe("pprof module", back->modules[i].path, strlen(back->modules[i].path), "");
	for (size_t i = 0; i < back->nframes; i++)
		if (back->frames[i].file)
			assert_terminal_safe("pprof file", back->frames[i].file, strlen(back->frames[i].file), "");
	assert_terminal_safe("pprof command", back->meta.command, strlen(back->meta.command), "");
	free(got);
	free(want);
	profile_free(back);
	free(out);

	/* speedscope marks kinds in the name ("_[k]"): compare without them. */
	want = frame_names(all, as_json);
	out = write_mem(evil, FORMAT_SPEEDSCOPE, NULL, &n);
	back = profile_read_mem(out, n, NULL);
	assert_non_null(back);
	got = frame_names(back, NULL);
	assert_string_equal(got, want);
	free(got);
	free(want);
	profile_free(back);
	free(out);
	profile_free(all);
	profile_free(evil);
}

static char *diff_mem(int (*fn)(const struct profile *, const struct profile *, FILE *, const struct write_opts *),
		      const struct profile *a, const struct profile *b, size_t *len)
{
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);
	assert_non_null(m);
	assert_int_equal(fn(a, b, m, NULL), 0);
	assert_int_equal(fclose(m), 0);
	return buf;
}

static void test_diff_writers(void **state)
{
	(void)state;
	struct profile *evil = make_profile(true), *plain = make_profile(false);
	/* after: one stack more, so shares change */
	struct profile *evil2 = make_profile(true), *plain2 = make_profile(false);
	profile_add(evil2, 0, profile_node_path(evil2, (uint32_t[]){ 0 }, 1), 50);
	profile_add(plain2, 0, profile_node_path(plain2, (uint32_t[]){ 0 }, 1), 50);
	int (*fns[])(const struct profile *, const struct profile *, FILE *, const struct write_opts *) = {
		diff_write_text, diff_write_folded, svg_write_diff
	};
	for (size_t i = 0; i < ARRAY_SIZE(fns); i++) {
		size_t ne, np;
		char *e = diff_mem(fns[i], evil, evil2, &ne);
		char *p = diff_mem(fns[i], plain, plain2, &np);
		assert_terminal_safe("diff", e, ne, "\n");
		assert_int_equal(count_lines(e, ne), count_lines(p, np));
		if (fns[i] == diff_write_folded)
			assert_non_null(strstr(e, "semi\\x3bcolon\\x0aforged_frame 99"));
		else
			assert_non_null(strstr(e, "weird\\x1b[2Jname"));
		free(e);
		free(p);
	}
	profile_free(evil);
	profile_free(plain);
	profile_free(evil2);
	profile_free(plain2);
}

static char *dump_mem(int (*fn)(FILE *, const struct dump_doc *), const struct dump_doc *d, size_t *len)
{
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);
	assert_non_null(m);
	assert_int_equal(fn(m, d), 0);
	assert_int_equal(fclose(m), 0);
	return buf;
}

static void test_dump_writers(void **state)
{
	(void)state;
	for (int evil = 1; evil >= 0; evil--) {
		const char *const *names = evil ? evil_names : plain_names;
		struct dump_frame fr[NNAMES];
		for (size_t i = 0; i < NNAMES; i++)
			fr[i] = (struct dump_frame){ .address = 0x1000 + i, .name = names[i], .named = true,
						     .symbol = i == 1 ? names[2] : NULL,
						     .file = i == 0 ? (evil ? EVIL_FILE : "/src/plai.c") : NULL, .line = 3,
						     .module = evil ? EVIL_MODULE : "/lib/lixb.so", .offset = i };
		struct dump_thread th = { .tid = 42, .name = evil ? EVIL_THREAD : "plain", .state = 'S',
					  .state_label = "sleeping", .frames = fr, .nframes = NNAMES };
		struct dump_doc d = { .pid = 42, .command = evil ? EVIL_COMMAND : "cmd", .threads = &th, .nthreads = 1 };
		size_t n, nj;
		char *t = dump_mem(dump_write_text, &d, &n);
		char *j = dump_mem(dump_write_json, &d, &nj);
		assert_terminal_safe("dump", t, n, "\n");
		assert_terminal_safe("dump --json", j, nj, "\n");
		assert_int_equal(count_lines(t, n), 3 + NNAMES);
		struct json *doc = json_parse(j, nj);
		assert_non_null(doc);
		const struct json *threads = json_get(doc, "threads");
		assert_non_null(threads);
		assert_int_equal(threads->n, 1);
		assert_string_equal(json_get(threads->items[0], "name")->string, th.name);
		json_free(doc);
		if (evil) {
			assert_non_null(strstr(t, "thread 42 \"a\\x1b[31mred\\x0athread 1 \"systemd\" running\" sleeping\n"));
			assert_non_null(strstr(t, " weird\\x1b[2Jname at /src/evil\\x0a.c:3 (li\\x1bb.so)\n"));
		}
		free(t);
		free(j);
	}
}

/* prowl top: the live view's grid and its --batch text. */
static void test_view(void **state)
{
	(void)state;
	size_t lines[2];
	for (int evil = 1; evil >= 0; evil--) {
		struct view_opts o = { .delay = 1.0 };
		struct view *v = view_new(&o);
		view_update(v, make_profile(evil), 1000000000ull);
		struct strbuf sb;
		strbuf_init(&sb);
		view_render_text(v, &sb, 0, 50);
		assert_terminal_safe("top --batch", sb.buf, sb.len, "\n");
		for (size_t i = 0; i < sb.len; i++)
			assert_true((unsigned char)sb.buf[i] < 0x80);
		lines[evil] = count_lines(sb.buf, sb.len);
		if (evil) {
			assert_non_null(strstr(sb.buf, "weird\\x1b[2Jname"));
			assert_non_null(strstr(sb.buf, "caf?_??"));
		}
		const struct view_screen *s = view_render(v, 100, 30);
		for (int r = 0; r < s->height; r++)
			assert_terminal_safe("top", s->lines[r].text, strlen(s->lines[r].text), "");
		strbuf_release(&sb);
		view_free(v);
	}
	assert_int_equal(lines[0], lines[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_textsafe),
		cmocka_unit_test(test_folded_roundtrip),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_xml_escape),
		cmocka_unit_test(test_writers_text),
		cmocka_unit_test(test_writers_read_back),
		cmocka_unit_test(test_diff_writers),
		cmocka_unit_test(test_dump_writers),
		cmocka_unit_test(test_view),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
