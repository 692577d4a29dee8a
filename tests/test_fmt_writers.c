/* Unit tests for the writers and readers of formats/: pprof, speedscope, SVG,
 * the text report, diff and the perf script reader, each checked by reading
 * the result back (our readers, go tool pprof, the speedscope JSON schema). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "formats/diff.h"
#include "formats/format.h"
#include "formats/perfscript.h"
#include "formats/pprof.h"
#include "formats/report.h"
#include "formats/speedscope.h"
#include "formats/svg.h"
#include "profiler/model/profile.h"
#include "profiler/base/util.h"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/prowl-fmtw-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static char *write_mem(const struct profile *p, enum format f, const struct write_opts *o, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);
	assert_non_null(m);
	assert_int_equal(profile_write_stream(p, f, m, o), 0);
	fclose(m);
	if (len)
		*len = n;
	return buf;
}

static char *folded(const struct profile *p, bool lines)
{
	struct write_opts o = { .lines = lines };
	return write_mem(p, FORMAT_COLLAPSED, &o, NULL);
}

/*
 * A small recorded-looking profile: an executable and libc with build-ids,
 * frames with addresses, files and lines, an inline chain (helper inlined
 * into compute, at one address), a kernel leaf and two threads.
 *   app (tid 100): main;compute;helper  x60   main;compute x20   main;libc_write;[k]sys_write x10
 *   worker (101):  main;compute;helper  x30   main;idle x 5
 */
static struct profile *fake_profile(void)
{
	struct profile *p = profile_new();
	struct profile_module exe = { .path = "/opt/app/bin/app", .build_id = "aabbccddeeff00112233",
				      .start = 0x555555554000, .limit = 0x555555560000, .offset = 0x1000,
				      .has_functions = 1, .has_filenames = 1, .has_line_numbers = 1,
				      .has_inline_frames = 1 };
	struct profile_module libc = { .path = "/usr/lib/x86_64-linux-gnu/libc.so.6",
				       .build_id = "0123456789abcdef0123", .start = 0x7ffff7c28000,
				       .limit = 0x7ffff7dbd000, .offset = 0x28000, .has_functions = 1 };
	struct profile_module kern = { .path = "[kernel.kallsyms]", .kernel = 1 };
	int32_t me = profile_module_intern(p, &exe), ml = profile_module_intern(p, &libc),
		mk = profile_module_intern(p, &kern);
	struct profile_frame main_f = { .name = "main", .file = "/src/app.c", .line = 40, .module = me, .address = 0x1180 };
	struct profile_frame comp_f = { .name = "compute(int)", .system_name = "_Z7computei", .file = "/src/app.c",
					.line = 22, .module = me, .address = 0x1250 };
	struct profile_frame comp2_f = comp_f;
	comp2_f.line = 25;
	comp2_f.address = 0x1270;
	struct profile_frame help_f = { .name = "helper", .file = "/src/util.h", .line = 7, .module = me,
					.address = 0x1250, .inlined = 1 };
	struct profile_frame wr_f = { .name = "libc_write", .module = ml, .address = 0x114a20 };
	struct profile_frame sys_f = { .name = "sys_write", .module = mk, .kind = FRAME_KERNEL, .address = 0x1000 };
	struct profile_frame idle_f = { .name = "idle", .file = "/src/app.c", .line = 60, .module = me, .address = 0x1300 };
	uint32_t m = profile_frame_intern(p, &main_f), c = profile_frame_intern(p, &comp_f),
		 c2 = profile_frame_intern(p, &comp2_f), h = profile_frame_intern(p, &help_f),
		 w = profile_frame_intern(p, &wr_f), k = profile_frame_intern(p, &sys_f),
		 i = profile_frame_intern(p, &idle_f);
	uint32_t t1 = profile_thread_intern(p, 100, 100, "app"), t2 = profile_thread_intern(p, 100, 101, "worker");
	uint32_t s1[] = { m, c, h }, s2[] = { m, c2 }, s3[] = { m, w, k }, s4[] = { m, i };
	profile_add(p, t1, profile_node_path(p, s1, 3), 60);
	profile_add(p, t1, profile_node_path(p, s2, 2), 20);
	profile_add(p, t1, profile_node_path(p, s3, 3), 10);
	profile_add(p, t2, profile_node_path(p, s1, 3), 30);
	profile_add(p, t2, profile_node_path(p, s4, 2), 5);
	profile_set_str(&p->meta.command, "./app --fast");
	p->meta.pid = 100;
	p->meta.period_ns = 1001001;
	p->meta.duration_ns = 2000000000;
	p->meta.start_ns = 1700000000000000000ull;
	p->meta.freq = 999;
	profile_set_str(&p->meta.mode, "cpu");
	return p;
}

static void test_pprof_roundtrip(void **state)
{
	(void)state;
	struct profile *p = fake_profile();
	size_t len;
	char *gz = write_mem(p, FORMAT_PPROF, NULL, &len);
	assert_true(len > 20);
	assert_int_equal((unsigned char)gz[0], 0x1f); /* gzip */
	assert_int_equal(format_detect(gz, len), FORMAT_PPROF);
	struct profile *q = profile_read_mem(gz, len, NULL);
	assert_non_null(q);
	assert_int_equal(q->total, p->total);
	/* Same stacks, same lines (inline chain included). */
	char *a = folded(p, true), *b = folded(q, true);
	assert_string_equal(a, b);
	assert_non_null(strstr(b, "main:40;compute(int):22;helper:7_[i] 90\n"));
	free(a);
	free(b);
	assert_int_equal(q->meta.period_ns, 1001001);
	assert_int_equal(q->meta.duration_ns, 2000000000);
	assert_int_equal(q->meta.start_ns, p->meta.start_ns);
	assert_string_equal(q->meta.command, "./app --fast");
	/* Modules keep build-ids and flags; frames keep mangled names, kinds, threads. */
	bool exe = false, kernel_kind = false, mangled = false;
	for (size_t i = 0; i < q->nmodules; i++)
		if (q->modules[i].build_id && !strcmp(q->modules[i].build_id, "aabbccddeeff00112233"))
			exe = q->modules[i].has_inline_frames && q->modules[i].has_line_numbers;
	for (size_t i = 0; i < q->nframes; i++) {
		if (!strcmp(q->frames[i].name, "sys_write"))
			kernel_kind = q->frames[i].kind == FRAME_KERNEL;
		if (q->frames[i].system_name && !strcmp(q->frames[i].system_name, "_Z7computei"))
			mangled = true;
		if (!strcmp(q->frames[i].name, "helper"))
			assert_int_equal(q->frames[i].address, 0x1250); /* module-relative again */
	}
	assert_true(exe);
	assert_true(kernel_kind);
	assert_true(mangled);
	struct write_opts th = { .threads = true };
	a = write_mem(p, FORMAT_COLLAPSED, &th, NULL);
	b = write_mem(q, FORMAT_COLLAPSED, &th, NULL);
	assert_string_equal(a, b);
	free(a);
	free(b);
	free(gz);
	profile_free(q);
	profile_free(p);
}

/* Runs a shell command, returning its stdout (NULL when it failed). */
static char *run(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	if (!f)
		return NULL;
	struct strbuf sb;
	strbuf_init(&sb);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	int rc = pclose(f);
	if (rc != 0) {
		fprintf(stderr, "command failed (%d): %s\n%s\n", rc, cmd, sb.buf);
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb);
}

static void test_pprof_go_tool(void **state)
{
	(void)state;
	if (system("command -v go >/dev/null 2>&1") != 0) {
		skip(); /* golang-go missing: sh scripts/setup-deps.sh test */
		return;
	}
	struct profile *p = fake_profile();
	char *path = xasprintf("%s/fake.pb.gz", tmpdir);
	assert_int_equal(profile_write(p, FORMAT_PPROF, path, NULL), 0);
	char *env = xasprintf("cd '%s' && mkdir -p go && GOPATH='%s/go' GOCACHE='%s/go/cache' HOME='%s' GOFLAGS= GOTOOLCHAIN=local "
			      "PPROF_TMPDIR='%s' go tool pprof -symbolize=none",
			      tmpdir, tmpdir, tmpdir, tmpdir, tmpdir);
	char *cmd = xasprintf("%s -raw '%s' 2>&1", env, path);
	char *raw = run(cmd);
	assert_non_null(raw);
	/* -raw lists the mappings with their build-ids, and the inline chain. */
	assert_non_null(strstr(raw, "aabbccddeeff00112233"));
	assert_non_null(strstr(raw, "0123456789abcdef0123"));
	assert_non_null(strstr(raw, "samples/count"));
	assert_non_null(strstr(raw, "cpu/nanoseconds"));
	assert_non_null(strstr(raw, "helper"));
	assert_non_null(strstr(raw, "compute(int)"));
	free(cmd);
	/* -top by samples: flat and cum as the report's self and total. */
	cmd = xasprintf("%s -top -sample_index=samples '%s' 2>&1", env, path);
	char *top = run(cmd);
	assert_non_null(top);
	char *rep = write_mem(p, FORMAT_REPORT, NULL, NULL);
	/* report: helper self 90 (72.00%), compute self 20, sys_write 10, idle 5 */
	assert_non_null(strstr(rep, " 72.00%        90  72.00%        90  helper [inlined]"));
	struct {
		const char *name;
		const char *flat, *cum;
	} rows[] = { { "helper (inline)", "90", "90" }, { "compute(int)", "20", "110" }, { "sys_write", "10", "10" },
		     { "idle", "5", "5" }, { "main", "0", "125" } };
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		char *line = NULL;
		for (char *l = top; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
			size_t n = strcspn(l, "\n");
			char *copy = xstrndup(l, n);
			size_t nl = strlen(rows[i].name);
			if (n > nl && !strcmp(copy + strlen(copy) - nl, rows[i].name) && copy[strlen(copy) - nl - 1] == ' ') {
				line = copy;
				break;
			}
			free(copy);
		}
		if (!line)
			fail_msg("go tool pprof -top has no row for %s:\n%s", rows[i].name, top);
		char flat[32], flatp[32], sum[32], cum[32];
		assert_int_equal(sscanf(line, "%31s %31s %31s %31s", flat, flatp, sum, cum), 4);
		assert_string_equal(flat, rows[i].flat);
		assert_string_equal(cum, rows[i].cum);
		free(line);
	}
	free(top);
	free(rep);
	free(cmd);
	free(raw);
	free(env);
	free(path);
	profile_free(p);
}

static void test_speedscope_schema(void **state)
{
	(void)state;
	if (system("python3 -c 'import jsonschema' 2>/dev/null") != 0) {
		skip(); /* python3-jsonschema missing */
		return;
	}
	const char *schema = getenv("PROWL_SPEEDSCOPE_SCHEMA");
	char *def = NULL;
	if (!schema) {
		def = xasprintf("%s/../shared/corpus/speedscope/file-format-schema.json", getenv("PWD") ? getenv("PWD") : ".");
		schema = def;
	}
	if (access(schema, R_OK) != 0) {
		free(def);
		skip(); /* schema copy not found (set PROWL_SPEEDSCOPE_SCHEMA) */
		return;
	}
	struct profile *p = fake_profile();
	char *path = xasprintf("%s/fake.json", tmpdir);
	assert_int_equal(profile_write(p, FORMAT_SPEEDSCOPE, path, NULL), 0);
	char *cmd = xasprintf(
		"python3 - '%s' '%s' <<'PY'\n"
		"import json, sys, jsonschema\n"
		"doc = json.load(open(sys.argv[1]))\n"
		"jsonschema.validate(doc, json.load(open(sys.argv[2])))\n"
		"frames = doc['shared']['frames']\n"
		"profs = doc['profiles']\n"
		"assert [q['name'] for q in profs] == ['app (100)', 'worker (101)'], [q['name'] for q in profs]\n"
		"for q in profs:\n"
		"    assert q['type'] == 'sampled' and q['unit'] == 'nanoseconds'\n"
		"    assert len(q['samples']) == len(q['weights'])\n"
		"    assert all(0 <= i < len(frames) for s in q['samples'] for i in s)\n"
		"    assert q['endValue'] == sum(q['weights'])\n"
		"names = [f['name'] for f in frames]\n"
		"h = frames[names.index('helper_[i]')]\n"
		"assert h['file'] == '/src/util.h' and h['line'] == 7, h\n"
		"c = frames[names.index('compute(int)')]\n"
		"assert c['file'] == '/src/app.c' and c['line'] == 22, c\n"
		"app = profs[0]\n"
		"stack = [names[i] for i in app['samples'][0]]\n"
		"assert stack[0] == 'main', stack\n"
		"assert sum(app['weights']) == 90 * 1001001, sum(app['weights'])\n"
		"print('ok')\n"
		"PY",
		path, schema);
	char *out = run(cmd);
	assert_non_null(out);
	assert_string_equal(out, "ok\n");
	free(out);
	free(cmd);
	/* And back: same stacks and threads. */
	struct profile *q = profile_read(path);
	assert_non_null(q);
	assert_int_equal(q->total, p->total);
	assert_int_equal(q->meta.period_ns, p->meta.period_ns);
	struct write_opts th = { .threads = true };
	char *a = write_mem(p, FORMAT_COLLAPSED, &th, NULL), *b = write_mem(q, FORMAT_COLLAPSED, &th, NULL);
	assert_string_equal(a, b);
	free(a);
	free(b);
	profile_free(q);
	free(path);
	free(def);
	profile_free(p);
}

static bool valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (!k || i + k > n)
			return false;
		for (size_t j = 1; j < k; j++)
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
		i += k;
	}
	return true;
}

static void test_svg_escaping(void **state)
{
	(void)state;
	struct profile *p = profile_new();
	uint32_t t = profile_thread_intern(p, 1, 1, "t");
	uint32_t f[] = { profile_frame_named(p, "operator<<(std::ostream&, \"x\")", FRAME_USER),
			 profile_frame_named(p, "bad\xff\xfe utf8 \x01 ctl", FRAME_USER),
			 profile_frame_named(p, "caf\xc3\xa9", FRAME_USER) };
	profile_add(p, t, profile_node_path(p, f, 3), 10);
	struct write_opts o = { .title = "a <b> & c" };
	size_t len;
	char *svg = write_mem(p, FORMAT_SVG, &o, &len);
	assert_true(valid_utf8((const unsigned char *)svg, len));
	assert_non_null(strstr(svg, "operator&lt;&lt;(std::ostream&amp;, &quot;x&quot;)"));
	/* Invalid bytes and controls shown as the terminal shows them. */
	assert_non_null(strstr(svg, "bad\\xff\\xfe utf8 \\x01 ctl"));
	assert_non_null(strstr(svg, "caf\xc3\xa9"));
	assert_non_null(strstr(svg, ">a &lt;b&gt; &amp; c</text>"));
	assert_null(strstr(svg, "\x01"));
	free(svg);
	profile_free(p);
}

/* The fill of the first frame drawn with this name: "rgb(R,G,B)". */
static void fill_of(const char *svg, const char *name, int rgb[3])
{
	char key[128];
	snprintf(key, sizeof(key), "<title>%s\n", name);
	const char *t = strstr(svg, key);
	assert_non_null(t);
	const char *f = strstr(t, "fill=\"rgb(");
	assert_non_null(f);
	assert_int_equal(sscanf(f, "fill=\"rgb(%d,%d,%d)", &rgb[0], &rgb[1], &rgb[2]), 3);
}

/* Python frames (a merged CPython stack) get their own colour, blue, apart
 * from the native frames around them, and a legend key only when present;
 * the report marks them [py]. */
static void test_svg_python_colour(void **state)
{
	(void)state;
	struct profile *p = profile_new();
	uint32_t t = profile_thread_intern(p, 1, 1, "t");
	struct profile_frame pyf = { .name = "handler", .file = "/app/x.py", .line = 3, .module = -1,
				     .kind = FRAME_PYTHON };
	uint32_t f[] = { profile_frame_named(p, "main", FRAME_USER), profile_frame_intern(p, &pyf),
			 profile_frame_named(p, "malloc", FRAME_USER) };
	profile_add(p, t, profile_node_path(p, f, 3), 10);
	size_t len;
	char *svg = write_mem(p, FORMAT_SVG, NULL, &len);
	int py[3], nat[3];
	fill_of(svg, "handler", py);
	fill_of(svg, "main", nat);
	assert_true(py[2] >= 200 && py[2] > py[0] + 60);  /* blue */
	assert_true(nat[0] > nat[2]);                       /* the program's warm hue */
	assert_non_null(strstr(svg, ">Python</text>"));
	free(svg);
	/* The report marks them too, with their file:line. */
	char *rep = write_mem(p, FORMAT_REPORT, NULL, &len);
	assert_non_null(strstr(rep, "handler [py]"));
	assert_non_null(strstr(rep, "/app/x.py:3"));
	assert_null(strstr(rep, "main [py]"));
	free(rep);
	profile_free(p);
	p = profile_new();
	t = profile_thread_intern(p, 1, 1, "t");
	uint32_t g = profile_frame_named(p, "main", FRAME_USER);
	profile_add(p, t, profile_node_path(p, &g, 1), 10);
	svg = write_mem(p, FORMAT_SVG, NULL, &len);
	assert_null(strstr(svg, ">Python</text>"));
	free(svg);
	profile_free(p);
}

/* Issue 13: colours say program or library by the module's file, wherever
 * it lies (cc1 under /usr/lib is a program, a libfoo.so outside it a
 * library), the same for a function in every process; inlined frames are a
 * lighter shade of their module's colour; tooltips name the module. */
static void test_svg_colour_by_module(void **state)
{
	(void)state;
	struct profile *p = profile_new();
	struct profile_module mods[] = {
		{ .path = "/usr/lib/gcc/x86_64-linux-gnu/12/cc1" }, { .path = "/usr/bin/python3.11" },
		{ .path = "/usr/lib/x86_64-linux-gnu/libc.so.6" }, { .path = "/opt/app/libfoo.so.1.2" },
		{ .path = "/lib64/ld-linux-x86-64.so.2" },
	};
	int32_t mi[5];
	for (int i = 0; i < 5; i++)
		mi[i] = profile_module_intern(p, &mods[i]);
	uint32_t t1 = profile_thread_intern(p, 1, 1, "cc1"), t2 = profile_thread_intern(p, 2, 2, "python3");
	struct profile_frame cc1_f = { .name = "compile", .module = mi[0] }, py_f = { .name = "eval", .module = mi[1] },
			     libc_f = { .name = "memcpy", .module = mi[2] }, foo_f = { .name = "foo", .module = mi[3] },
			     ld_f = { .name = "_dl_start", .module = mi[4] },
			     inl_f = { .name = "inl_helper", .module = mi[0], .inlined = 1 },
			     real_f = { .name = "inl_helper", .module = mi[0] };
	uint32_t a[] = { profile_frame_intern(p, &ld_f), profile_frame_intern(p, &cc1_f), profile_frame_intern(p, &libc_f) };
	uint32_t b[] = { profile_frame_intern(p, &ld_f), profile_frame_intern(p, &py_f), profile_frame_intern(p, &foo_f),
			 profile_frame_intern(p, &libc_f) };
	uint32_t c[] = { profile_frame_intern(p, &cc1_f), profile_frame_intern(p, &inl_f) };
	uint32_t d[] = { profile_frame_intern(p, &py_f), profile_frame_intern(p, &real_f) };
	profile_add(p, t1, profile_node_path(p, a, 3), 10);
	profile_add(p, t2, profile_node_path(p, b, 4), 10);
	profile_add(p, t1, profile_node_path(p, c, 2), 10);
	profile_add(p, t2, profile_node_path(p, d, 2), 10);
	size_t len;
	char *svg = write_mem(p, FORMAT_SVG, NULL, &len);
	int cc1[3], py[3], libc[3], foo[3], ld[3];
	fill_of(svg, "compile", cc1);
	fill_of(svg, "eval", py);
	fill_of(svg, "memcpy", libc);
	fill_of(svg, "foo", foo);
	fill_of(svg, "_dl_start", ld);
	/* Programs red (r far above g), libraries yellow (r and g close, b low). */
	assert_true(cc1[0] > cc1[1] + 80 && py[0] > py[1] + 80);
	int *libs[] = { libc, foo, ld };
	for (int i = 0; i < 3; i++)
		assert_true(abs(libs[i][0] - libs[i][1]) < 40 && libs[i][1] > libs[i][2] + 80);
	/* memcpy is drawn twice (two processes): one colour. */
	const char *m1 = strstr(svg, "<title>memcpy\n"), *m2 = m1 ? strstr(m1 + 1, "<title>memcpy\n") : NULL;
	assert_non_null(m2);
	int again[3];
	assert_int_equal(sscanf(strstr(m2, "fill=\"rgb("), "fill=\"rgb(%d,%d,%d)", &again[0], &again[1], &again[2]), 3);
	assert_memory_equal(again, libc, sizeof(again));
	/* An inlined copy: the same family, lighter than the real one. */
	const char *ti = strstr(svg, "in cc1 (program, inlined)");
	assert_non_null(ti);
	int inl[3], real[3];
	assert_int_equal(sscanf(strstr(ti, "fill=\"rgb("), "fill=\"rgb(%d,%d,%d)", &inl[0], &inl[1], &inl[2]), 3);
	/* The real frame: the inl_helper title without ", inlined". */
	const char *tr = svg;
	while ((tr = strstr(tr, "<title>inl_helper\n"))) {
		const char *end = strstr(tr, "</title>");
		const char *mark = strstr(tr, ", inlined)");
		if (!mark || mark > end)
			break;
		tr = end;
	}
	assert_non_null(tr);
	assert_int_equal(sscanf(strstr(tr, "fill=\"rgb("), "fill=\"rgb(%d,%d,%d)", &real[0], &real[1], &real[2]), 3);
	if (real[0] == inl[0] && real[1] == inl[1] && real[2] == inl[2])
		fail_msg("the inlined copy has the real frame's colour");
	assert_true(inl[0] >= inl[1] && inl[0] - inl[2] < real[0] - real[2] + 1);
	assert_non_null(strstr(svg, "in libc.so.6 (library)"));
	assert_non_null(strstr(svg, "in cc1 (program)"));
	assert_non_null(strstr(svg, ">program</text>"));
	assert_non_null(strstr(svg, ">libraries</text>"));
	free(svg);
	profile_free(p);
}

/* Issue 13: the one line about code without a symbol: distinct functions
 * (not addresses) per module, the build-id path of a debug file that would
 * name them; named frames, PLT stubs and [kernel] are not counted. */
static void test_report_unnamed_note(void **state)
{
	(void)state;
	struct profile *p = profile_new();
	struct profile_module pm = { .path = "/usr/bin/gzip", .build_id = "ab12cd34" };
	struct profile_module lm = { .path = "/usr/lib/x86_64-linux-gnu/libc.so.6" };
	int32_t g = profile_module_intern(p, &pm), l = profile_module_intern(p, &lm);
	struct profile_frame a1 = { .name = "gzip+0x4300", .module = g, .address = 0x4310 },
			     a2 = { .name = "gzip+0x4300", .module = g, .address = 0x4388 },
			     b = { .name = "gzip+0x5000", .module = g, .address = 0x5004 },
			     c = { .name = "libc.so.6+0x9a0c0", .module = l, .address = 0x9a0d0 },
			     named = { .name = "main", .system_name = "main", .module = g, .address = 0x100 },
			     plt = { .name = "read@plt", .module = g, .address = 0x1030 },
			     kern = { .name = "[kernel]", .module = -1, .kind = FRAME_KERNEL };
	uint32_t t = profile_thread_intern(p, 1, 1, "gzip");
	uint32_t s1[] = { profile_frame_intern(p, &named), profile_frame_intern(p, &a1) },
		 s2[] = { profile_frame_intern(p, &named), profile_frame_intern(p, &a2), profile_frame_intern(p, &c) },
		 s3[] = { profile_frame_intern(p, &named), profile_frame_intern(p, &b), profile_frame_intern(p, &plt),
			  profile_frame_intern(p, &kern) };
	profile_add(p, t, profile_node_path(p, s1, 2), 5);
	profile_add(p, t, profile_node_path(p, s2, 3), 5);
	profile_add(p, t, profile_node_path(p, s3, 4), 5);
	struct strbuf sb;
	strbuf_init(&sb);
	assert_int_equal(report_unnamed_note(p, &sb), 3);
	assert_non_null(strstr(sb.buf, "3 functions without a symbol"));
	assert_non_null(strstr(sb.buf, "2 in gzip, 1 in libc.so.6"));
	assert_non_null(strstr(sb.buf, "/usr/lib/debug/.build-id/ab/12cd34.debug"));
	assert_non_null(strstr(sb.buf, "libc6-dbg"));
	assert_non_null(strstr(sb.buf, "without a build-id")); /* libc here has none */
	assert_null(strchr(sb.buf, '\n'));
	char *rep = write_mem(p, FORMAT_REPORT, NULL, NULL);
	assert_non_null(strstr(rep, "\nnote: 3 functions without a symbol"));
	free(rep);
	strbuf_release(&sb);
	profile_free(p);
	/* Nothing unnamed: nothing said. */
	p = fake_profile();
	strbuf_init(&sb);
	assert_int_equal(report_unnamed_note(p, &sb), 0);
	assert_int_equal(sb.len, 0);
	strbuf_release(&sb);
	profile_free(p);
}

/* A million samples over 100,000 distinct stacks: narrow frames merge, so
 * the graph stays small, and every sample is still accounted for. */
static void test_svg_large_profile_stays_small(void **state)
{
	(void)state;
	struct profile *p = profile_new();
	uint32_t t = profile_thread_intern(p, 1, 1, "t");
	uint32_t fr[8];
	char name[32];
	uint64_t seed = 42;
	for (int i = 0; i < 100000; i++) {
		fr[0] = profile_frame_named(p, "main", FRAME_USER);
		for (int d = 1; d < 8; d++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			snprintf(name, sizeof(name), "fn_%d_%u", d, (unsigned)(seed >> 33) % (d < 3 ? 4 : 300));
			fr[d] = profile_frame_named(p, name, FRAME_USER);
		}
		profile_add(p, t, profile_node_path(p, fr, 8), 10);
	}
	assert_int_equal(p->total, 1000000);
	size_t len;
	char *svg = write_mem(p, FORMAT_SVG, NULL, &len);
	size_t groups = 0;
	for (char *s = svg; (s = strstr(s, "<g class=\"f\"")); s++)
		groups++;
	print_message("svg of 1M samples / 100k stacks: %zu bytes, %zu frames drawn\n", len, groups);
	assert_true(len < 3 * 1024 * 1024);
	assert_true(groups < 20000);
	assert_non_null(strstr(svg, "narrow frames]"));
	assert_non_null(strstr(svg, "<title>all\n1000000 samples, 100.00%"));
	free(svg);
	profile_free(p);
}

/* Where each column of a report table starts: the header's "where" column
 * and every row's where text must start at the same byte. */
static size_t check_columns_at(const char *rep, const char *header, const char *where_text)
{
	size_t col = 0;
	const char *t = rep;
	int tables = 0;
	while ((t = strstr(t, header))) {
		t++;
		const char *eol = strchr(t, '\n');
		const char *w = strstr(t, " where\n");
		assert_true(w && w < eol + 1);
		col = (size_t)(w + 1 - t);
		tables++;
		/* Rows: until a blank line or the end. */
		for (const char *row = eol + 1; *row && *row != '\n'; row = strchr(row, '\n') + 1) {
			const char *end = strchr(row, '\n');
			assert_non_null(end);
			assert_true((size_t)(end - row) >= col);
			/* The character before the where column is the separator. */
			assert_int_equal(row[col - 1], ' ');
			if (strncmp(row + col, where_text, strlen(where_text)) == 0)
				continue;
			/* Rows without a place print nothing there. */
			assert_true(row + col == end || row[col] == '/' || row[col] == 'a');
		}
	}
	assert_int_equal(tables, 2);
	return col;
}

static size_t check_columns(const char *rep, const char *where_text)
{
	return check_columns_at(rep, "\n  self%", where_text);
}

/* Issue 13: a long demangled C++ name keeps the report's columns: names up
 * to 60 columns, longer ones shortened (template arguments, then
 * parameters, then the middle), every row's where column in one place;
 * counts of billions widen the number columns for every row. */
static void test_report_long_names_keep_columns(void **state)
{
	(void)state;
	static const char *longname =
		"std::vector<std::pair<std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >, int>, "
		"std::allocator<std::pair<std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >, int> > "
		">::_M_realloc_insert<std::pair<std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> "
		">, int> >(__gnu_cxx::__normal_iterator<std::pair<std::__cxx11::basic_string<char>, int>*, "
		"std::vector<std::pair<std::__cxx11::basic_string<char>, int> > >, std::pair<std::__cxx11::basic_string<char>, int>&&)";
	static const char *nontemplate =
		"very_long_c_function_name_that_goes_on_and_on_and_on_without_any_template_or_params_at_all";
	static const char *opless = "bool operator< (Key const&, Key const&) for a comparison that is long enough to cut";
	for (int big = 0; big < 2; big++) {
		struct profile *p = profile_new();
		struct profile_frame main_f = { .name = "main", .file = "/src/a.cc", .line = 5, .module = -1 };
		struct profile_frame long_f = { .name = (char *)longname, .file = "/usr/include/c++/12/bits/vector.tcc",
						.line = 445, .module = -1 };
		struct profile_frame c_f = { .name = (char *)nontemplate, .file = "/src/b.c", .line = 9, .module = -1 };
		struct profile_frame op_f = { .name = (char *)opless, .file = "/src/c.cc", .line = 1, .module = -1,
					      .inlined = 1 };
		uint32_t m = profile_frame_intern(p, &main_f), l = profile_frame_intern(p, &long_f),
			 c = profile_frame_intern(p, &c_f), o = profile_frame_intern(p, &op_f);
		uint32_t t = profile_thread_intern(p, 1, 1, "a");
		uint32_t s1[] = { m, l }, s2[] = { m, c }, s3[] = { m, c, o };
		uint64_t k = big ? 1234567890123ull : 1;
		profile_add(p, t, profile_node_path(p, s1, 2), 50 * k);
		profile_add(p, t, profile_node_path(p, s2, 2), 30 * k);
		profile_add(p, t, profile_node_path(p, s3, 3), 20 * k);
		if (big)
			profile_set_str(&p->meta.unit, "cycles");
		char *rep = write_mem(p, FORMAT_REPORT, NULL, NULL);
		size_t col = check_columns(rep, "/");
		/* Numbers as wide as the total, 60 name columns at most, separators. */
		char digits[32];
		size_t nw = (size_t)snprintf(digits, sizeof(digits), "%llu", (unsigned long long)p->total);
		nw = nw < 9 ? 9 : nw;
		assert_true(col <= 7 + 1 + nw + 1 + 7 + 1 + nw + 2 + 60 + 1);
		/* The long names, shortened, still say what they are. */
		assert_non_null(strstr(rep, "std::vector<...>::_M_realloc_insert<...>(...) "));
		assert_null(strstr(rep, "basic_string"));
		const char *cut = strstr(rep, "very_long_c_function_name_");
		assert_non_null(cut);
		assert_non_null(strstr(cut, "...")); /* cut in the middle, the tail kept */
		assert_non_null(strstr(rep, "params_at_all "));
		assert_non_null(strstr(rep, " [inlined] "));
		if (big)
			assert_non_null(strstr(rep, " 123456789012300  main"));
		free(rep);
		/* diff's tables the same way. */
		struct profile *after = profile_copy(p);
		for (size_t i = 0; i < after->ncounts; i++)
			if (after->counts[i].count == 30 * k)
				profile_add(after, after->counts[i].thread, after->counts[i].node, 40 * k);
		char *dbuf = NULL;
		size_t dn = 0;
		FILE *dm = open_memstream(&dbuf, &dn);
		assert_int_equal(diff_write_text(p, after, dm, NULL), 0);
		fclose(dm);
		check_columns_at(dbuf, "\n before%", "/");
		assert_non_null(strstr(dbuf, "std::vector<...>::_M_realloc_insert<...>(...) "));
		free(dbuf);
		profile_free(after);
		profile_free(p);
	}
	/* The shortening itself. */
	struct strbuf sb;
	strbuf_init(&sb);
	report_shorten("short_name(int)", 60, &sb);
	assert_string_equal(sb.buf, "short_name(int)");
	strbuf_reset(&sb);
	report_shorten("ns::Map<int, std::string>::find(int const&) const", 40, &sb);
	assert_string_equal(sb.buf, "ns::Map<...>::find(int const&) const");
	strbuf_reset(&sb);
	report_shorten("ns::Map<int, std::string>::find(int const&, long, long)", 24, &sb);
	assert_string_equal(sb.buf, "ns::Map<...>::find(...)");
	strbuf_reset(&sb);
	report_shorten("caf\xc3\xa9_abcdefghijklmnopqrstuvwxyz", 12, &sb);
	assert_string_equal(sb.buf, "caf\xc3\xa9...vwxyz");
	strbuf_release(&sb);
}

static void test_report_and_diff(void **state)
{
	(void)state;
	struct profile *p = fake_profile();
	char *rep = write_mem(p, FORMAT_REPORT, NULL, NULL);
	assert_non_null(strstr(rep, "prowl report: ./app --fast (pid 100), 2.00 s, 125 samples, 62 samples/s at 999 Hz, 2 threads"));
	/* by self: helper first with its file:line; by total: main 100% */
	char *self = strstr(rep, "top functions by self");
	char *total = strstr(rep, "top functions by total");
	assert_non_null(self);
	assert_non_null(total);
	char *first = strchr(strchr(self, '\n') + 1, '\n') + 1;
	assert_true(strncmp(first, " 72.00%        90  72.00%        90  helper [inlined]", 53) == 0);
	assert_non_null(strstr(first, "/src/util.h:7"));
	char *tfirst = strchr(strchr(total, '\n') + 1, '\n') + 1;
	assert_true(strncmp(tfirst, "  0.00%         0 100.00%       125  main ", 42) == 0);
	assert_non_null(strstr(rep, "sys_write [kernel]"));
	free(rep);

	/* after: compute's own samples grow from 20 to 120 (a regression) */
	struct profile *after = profile_copy(p);
	for (size_t i = 0; i < after->ncounts; i++)
		if (after->counts[i].count == 20)
			profile_add(after, after->counts[i].thread, after->counts[i].node, 100);
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);
	assert_int_equal(diff_write_text(p, after, m, NULL), 0);
	fclose(m);
	char *rows = strstr(buf, "functions whose self share changed most");
	assert_non_null(rows);
	char *row = strchr(strchr(rows, '\n') + 1, '\n') + 1;
	/* 20/125 = 16.00% -> 120/225 = 53.33% */
	const char *want = "  16.00%   53.33%   +37.33         20        120  compute(int)";
	assert_true(strncmp(row, want, strlen(want)) == 0);
	free(buf);
	buf = NULL;
	m = open_memstream(&buf, &n);
	assert_int_equal(svg_write_diff(p, after, m, NULL), 0);
	fclose(m);
	/* compute's frame is red, helper's (share fell) is blue. */
	char *c = strstr(buf, "<title>compute(int)\n");
	char *h = strstr(buf, "<title>helper\n");
	assert_non_null(c);
	assert_non_null(h);
	assert_non_null(strstr(c, "fill=\"rgb(255,40,40)\""));
	assert_true(strstr(c, "fill=\"rgb(255,40,40)\"") < strstr(c, "</g>"));
	char *hf = strstr(h, "fill=\"rgb(");
	assert_non_null(hf);
	int r, g, b;
	assert_int_equal(sscanf(hf, "fill=\"rgb(%d,%d,%d)", &r, &g, &b), 3);
	assert_true(b == 255 && r < 255);
	free(buf);
	profile_free(after);
	profile_free(p);
}

static char *convert_perf(const char *text, const struct read_opts *o)
{
	struct profile *p = perfscript_read(text, strlen(text), o);
	if (!p)
		return NULL;
	char *s = folded(p, false);
	profile_free(p);
	return s;
}

/* The reference's regular expressions, in the corners that matter. */
static void test_perfscript_edges(void **state)
{
	(void)state;
	const char *in =
		"# cmdline : /usr/bin/perf record -g ./a.out\n"
		"V8 WorkerThread 25607/25608 [000] 94564.109216: 100 cycles: \n"
		"\t    7f10 net/http.(*Client).Do+0x12 (/bin/go)\n"
		"\t    7f11 foo(int) const (/bin/a.out)\n"
		"\t    7f12 ns::(anonymous namespace)::bar(long) (/bin/a.out)\n"
		"\t    7f17 (dropped, as the reference skips names starting with a parenthesis) (/bin/a.out)\n"
		"\t    7f13 outer->inner->leaf (/bin/a.out)\n"
		"\t    7f14 [unknown] (/usr/lib/libz.so.1)\n"
		"\t    7f15 [unknown] ([unknown])\n"
		"\t    7f16 \"quoted'name;x\" (/tmp/perf-123.map)\n"
		"\tffff81 do_sys_open+0x10 ([kernel.kallsyms])\n"
		"\n"
		"swapper     0 [000] 158665.570607: 5 instructions: \n"
		"\tffff82 native_safe_halt ([kernel.kallsyms])\n"
		"\n"
		"swapper     0 [000] 158665.570607: 7 cycles: \n"
		"\tffff82 native_safe_halt ([kernel.kallsyms])\n"
		"\n"
		"nostack 42 1.0: cycles: \n"
		"\n"
		"lost 43 1.0: cycles:\n"
		"\tffff83 never_closed ([kernel.kallsyms])\n";
	struct read_opts o = { .tid = true, .kernel = true, .jit = true, .addrs = true };
	char *out = convert_perf(in, &o);
	assert_non_null(out);
	assert_string_equal(out,
		"V8_WorkerThread-25607/25608;do_sys_open_[k];quotedname:x_[j];[unknown <7f15>];[libz.so.1 <7f14>];"
		"outer;inner_[i];leaf_[i];ns::(anonymous namespace)::bar;foo;net/http.(*Client).Do 100\n"
		"nostack-?/42 1\n"
		"swapper-?/0;native_safe_halt_[k] 7\n");
	free(out);
	/* The command from the header is kept for titles. */
	struct profile *p = perfscript_read(in, strlen(in), NULL);
	assert_non_null(p);
	assert_string_equal(p->meta.command, "/usr/bin/perf record -g ./a.out");
	assert_string_equal(p->meta.event, "cycles");
	profile_free(p);
	assert_true(perfscript_probe(in, strlen(in)));
	assert_false(perfscript_probe("a;b 1\n", 6));
	errno = 0;
	assert_null(perfscript_read("just text\n", 10, NULL));
	assert_int_equal(errno, EINVAL);
}

/* Readers take untrusted files: truncated and mangled input must give an
 * error or a profile, never a crash (ASan makes a stray read fail here). */
static void test_readers_survive_garbage(void **state)
{
	(void)state;
	struct profile *p = fake_profile();
	size_t glen, jlen;
	char *gz = write_mem(p, FORMAT_PPROF, NULL, &glen);
	char *js = write_mem(p, FORMAT_SPEEDSCOPE, NULL, &jlen);
	for (size_t cut = 0; cut < glen; cut += 7) {
		struct profile *q = profile_read_mem(gz, cut, NULL);
		profile_free(q);
	}
	for (size_t cut = 0; cut < jlen; cut += 5) {
		struct profile *q = speedscope_read(js, cut);
		profile_free(q);
	}
	/* Raw protobuf with bytes flipped, fed straight to the decoder. */
	struct profile *q = profile_read_mem(gz, glen, NULL);
	assert_non_null(q);
	profile_free(q);
	/* Flipped bytes in the gzip stream (inflate or the decoder must refuse
	 * or cope), and deflate bytes handed to the protobuf decoder as if they
	 * were a message. */
	uint64_t seed = 7;
	for (int i = 0; i < 400; i++) {
		char *m = xmalloc(glen);
		memcpy(m, gz, glen);
		for (int k = 0; k < 3; k++) {
			seed = seed * 6364136223846793005ull + 1;
			size_t at = 10 + (size_t)(seed >> 33) % (glen - 10);
			m[at] = (char)(seed >> 20);
		}
		profile_free(profile_read_mem(m, glen, NULL));
		profile_free(pprof_read(m + 10, glen - 18));
		free(m);
	}
	const char *nasty[] = { "{", "[[[[[[[[[[", "{\"shared\":{\"frames\":[]},\"profiles\":[{\"type\":\"sampled\",\"samples\":[[5]],\"weights\":[1]}]}",
				"{\"shared\":{\"frames\":[{\"name\":\"a\"}]},\"profiles\":[{\"type\":\"sampled\",\"samples\":[[0]],\"weights\":[]}]}",
				"\x1f\x8b\x08\x00garbage", "a;b;c\n", ";;; 3\n", " 5\n" };
	for (size_t i = 0; i < ARRAY_SIZE(nasty); i++)
		profile_free(profile_read_mem(nasty[i], strlen(nasty[i]), NULL));
	char deep[20000];
	memset(deep, '[', sizeof(deep));
	assert_null(profile_read_mem(deep, sizeof(deep), NULL));
	free(gz);
	free(js);
	profile_free(p);
}

/* A profile with no samples (a target that slept): every format still
 * writes a whole, readable file. */
static void test_empty_profile(void **state)
{
	(void)state;
	struct profile *p = profile_new();
	enum format all[] = { FORMAT_COLLAPSED, FORMAT_SVG, FORMAT_SPEEDSCOPE, FORMAT_PPROF, FORMAT_REPORT };
	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		size_t len;
		char *out = write_mem(p, all[i], NULL, &len);
		if (all[i] == FORMAT_SVG)
			assert_non_null(strstr(out, "</svg>"));
		if (all[i] == FORMAT_REPORT)
			assert_non_null(strstr(out, "no samples"));
		if (all[i] == FORMAT_SPEEDSCOPE || all[i] == FORMAT_PPROF) {
			struct profile *q = profile_read_mem(out, len, NULL);
			assert_non_null(q);
			assert_int_equal(q->total, 0);
			profile_free(q);
		}
		free(out);
	}
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pprof_roundtrip),
		cmocka_unit_test(test_pprof_go_tool),
		cmocka_unit_test(test_speedscope_schema),
		cmocka_unit_test(test_svg_escaping),
		cmocka_unit_test(test_svg_python_colour),
		cmocka_unit_test(test_svg_large_profile_stays_small),
		cmocka_unit_test(test_report_and_diff),
		cmocka_unit_test(test_report_unnamed_note),
		cmocka_unit_test(test_svg_colour_by_module),
		cmocka_unit_test(test_report_long_names_keep_columns),
		cmocka_unit_test(test_perfscript_edges),
		cmocka_unit_test(test_readers_survive_garbage),
		cmocka_unit_test(test_empty_profile),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
