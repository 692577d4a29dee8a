/* Unit tests for formats/dump.c, the writer of `prowl dump`: today's text and
 * JSON shape (what tests/integration/test_dump_eustack.sh parses), and output
 * that is valid UTF-8 whatever bytes the target put in its names: text shows
 * control and invalid bytes as \xNN, JSON escapes controls and replaces
 * invalid bytes with U+FFFD, and parses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "formats/dump.h"
#include "formats/json.h"
#include "profiler/capture/stackshot.h"
#include "profiler/base/textsafe.h"

static char *render(int (*w)(FILE *, const struct dump_doc *), const struct dump_doc *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(w(f, d), 0);
	fclose(f);
	return buf;
}

static void assert_valid_utf8(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = textsafe_utf8_len(p, 4);
		if (!n)
			fail_msg("invalid UTF-8 byte 0x%02x at offset %zu", *p, (size_t)(p - (const unsigned char *)s));
		p += n;
	}
}

static const struct dump_frame frames[] = {
	{ .address = 0x401136, .name = "do_read", .named = true, .file = "/src/sleepy.c", .line = 42,
	  .inlined = true, .module = "/usr/bin/sleepy", .offset = 0x1136 },
	{ .address = 0x401200, .name = "reader_main", .named = true, .symbol = "_Z11reader_mainv",
	  .module = "/usr/bin/sleepy", .offset = 0x1200 },
	{ .address = 0x7f0000001000, .name = "libc.so.6+0x1000", .named = false, .module = "/lib/libc.so.6",
	  .offset = 0x1000 },
	{ .address = 0x1234, .name = "[unknown]", .named = false, .offset = 0x1234 },
};

static void test_shape(void **state)
{
	(void)state;
	struct dump_thread th[] = {
		{ .tid = 11, .name = "reader", .state = 'S', .state_label = "sleeping", .syscall = "read",
		  .wait = "I/O wait", .frames = frames, .nframes = 4 },
		{ .tid = 12, .name = "stuck", .state = 'D', .state_label = "I/O wait",
		  .error = "it did not stop within 2 s (uninterruptible sleep?)" },
		{ .tid = 13, .name = "deep", .state = 'R', .state_label = "running", .incomplete = "too deep",
		  .frames = frames, .nframes = 1 },
	};
	struct dump_doc d = { 10, "sleepy 60", th, 3 };
	char *t = render(dump_write_text, &d);
	assert_non_null(strstr(t, "process 10 sleepy 60\n"));
	assert_non_null(strstr(t, "\nthread 11 \"reader\" sleeping in read (I/O wait)\n"));
	/* No call known: the state alone. */
	assert_non_null(strstr(t, "\nthread 13 \"deep\" running\n"));
	assert_non_null(strstr(t, "  #0   0x0000000000401136 do_read at /src/sleepy.c:42 [inlined] (sleepy)\n"));
	assert_non_null(strstr(t, "  #1   0x0000000000401200 reader_main (sleepy)\n"));
	assert_non_null(strstr(t, "  #2   0x00007f0000001000 libc.so.6+0x1000\n"));
	assert_non_null(strstr(t, "  #3   0x0000000000001234 [unknown]\n"));
	assert_non_null(strstr(t, "  (stack not read: it did not stop within 2 s (uninterruptible sleep?))\n"));
	assert_non_null(strstr(t, "  (stack incomplete: too deep)\n"));
	free(t);

	char *j = render(dump_write_json, &d);
	struct json *doc = json_parse(j, strlen(j));
	if (!doc)
		fail_msg("not JSON: %s", j);
	assert_int_equal((int)json_get(doc, "pid")->number, 10);
	const struct json *ts = json_get(doc, "threads");
	assert_int_equal(ts->n, 3);
	const struct json *r = ts->items[0];
	assert_string_equal(json_get(r, "state")->string, "S");
	assert_string_equal(json_get(r, "state_label")->string, "sleeping");
	assert_string_equal(json_get(r, "syscall")->string, "read");
	assert_string_equal(json_get(r, "wait")->string, "I/O wait");
	assert_int_equal(json_get(ts->items[2], "syscall")->type, JSON_NULL);
	assert_int_equal(json_get(ts->items[2], "wait")->type, JSON_NULL);
	assert_int_equal(json_get(r, "complete")->number, 1);
	const struct json *fs = json_get(r, "frames");
	assert_int_equal(fs->n, 4);
	assert_string_equal(json_get(fs->items[0], "function")->string, "do_read");
	assert_string_equal(json_get(fs->items[0], "file")->string, "/src/sleepy.c");
	assert_int_equal((int)json_get(fs->items[0], "line")->number, 42);
	assert_int_equal(json_get(fs->items[0], "inlined")->number, 1);
	assert_string_equal(json_get(fs->items[0], "offset")->string, "0x1136");
	assert_string_equal(json_get(fs->items[1], "symbol")->string, "_Z11reader_mainv");
	/* A frame nobody could name: no function, its module still given. */
	assert_int_equal(json_get(fs->items[2], "function")->type, JSON_NULL);
	/* Unknown file and line: both null, never a line 0 beside a null file
	 * (issue 13); a file without a line gives its file and a null line. */
	assert_int_equal(json_get(fs->items[1], "file")->type, JSON_NULL);
	assert_int_equal(json_get(fs->items[1], "line")->type, JSON_NULL);
	assert_int_equal(json_get(fs->items[2], "file")->type, JSON_NULL);
	assert_int_equal(json_get(fs->items[2], "line")->type, JSON_NULL);
	assert_int_equal(json_get(fs->items[3], "line")->type, JSON_NULL);
	assert_string_equal(json_get(fs->items[2], "module")->string, "/lib/libc.so.6");
	assert_int_equal(json_get(fs->items[3], "module")->type, JSON_NULL);
	assert_string_equal(json_get(ts->items[1], "error")->string,
			    "it did not stop within 2 s (uninterruptible sleep?)");
	assert_int_equal(json_get(ts->items[2], "complete")->number, 0);
	json_free(doc);
	free(j);
}

static void test_hostile_names_stay_utf8(void **state)
{
	(void)state;
	/* A thread name with a control byte, a lone continuation byte, a
	 * truncated sequence and an overlong '/', and a valid "é". */
	const char *name = "a\x01" "b\xff" "c\xc3" "\x80" "d\xe2\x82" "e\xc0\xaf" "\n";
	struct dump_frame f = { .address = 1, .name = "fn\x1b[31m\xfe", .named = true, .file = "x\x7f.c", .line = 1 };
	struct dump_thread th = { .tid = 1, .name = name, .state = 'S', .state_label = "sleeping", .frames = &f,
				  .nframes = 1 };
	struct dump_doc d = { 1, "cmd\xff", &th, 1 };
	char *t = render(dump_write_text, &d);
	assert_valid_utf8(t);
	assert_non_null(strstr(t, "thread 1 \"a\\x01b\\xffc\xc3\x80" "d\\xe2\\x82e\\xc0\\xaf\\x0a\" sleeping"));
	assert_non_null(strstr(t, "fn\\x1b[31m\\xfe at x\\x7f.c:1"));
	assert_non_null(strstr(t, "process 1 cmd\\xff\n"));
	free(t);

	char *j = render(dump_write_json, &d);
	assert_valid_utf8(j);
	struct json *doc = json_parse(j, strlen(j));
	if (!doc)
		fail_msg("not JSON: %s", j);
	const char *got = json_get(json_get(doc, "threads")->items[0], "name")->string;
	/* The control bytes survive (escaped in the text), invalid bytes are U+FFFD. */
	assert_string_equal(got, "a\x01" "b\xef\xbf\xbd" "c\xc3\x80" "d\xef\xbf\xbd\xef\xbf\xbd"
				 "e\xef\xbf\xbd\xef\xbf\xbd\n");
	json_free(doc);
	free(j);
}

/* A CPython thread: Python frames in place of the evaluation frames, shown
 * by name, file and line, marked as Python in JSON, the interpreter named. */
static void test_python_frames(void **state)
{
	(void)state;
	struct dump_frame fv[] = {
		frames[0],
		{ .name = "Klass.m\xc3\xa9todo", .named = true, .file = "/app/x.py", .line = 29, .python = true },
		{ .name = "<module>", .named = true, .file = "/app/x.py", .line = 101, .python = true },
		frames[1],
	};
	struct dump_thread th = { .tid = 7, .name = "python3", .state = 'S', .state_label = "sleeping", .frames = fv,
				  .nframes = 4 };
	struct dump_doc d = { .pid = 7, .command = "python3 x.py", .threads = &th, .nthreads = 1,
			      .python = "python 3.12.1 (/usr/lib/libpython3.12.so.1.0)" };
	char *t = render(dump_write_text, &d);
	assert_non_null(strstr(t, "process 7 python3 x.py\npython 3.12.1 (/usr/lib/libpython3.12.so.1.0)\n"));
	assert_non_null(strstr(t, "  #1   [python]           Klass.m\xc3\xa9todo at /app/x.py:29\n"));
	assert_non_null(strstr(t, "  #2   [python]           <module> at /app/x.py:101\n"));
	assert_non_null(strstr(t, "  #3   0x0000000000401200 reader_main (sleepy)\n"));
	free(t);
	char *j = render(dump_write_json, &d);
	struct json *doc = json_parse(j, strlen(j));
	if (!doc)
		fail_msg("not JSON: %s", j);
	assert_string_equal(json_get(doc, "python")->string, "python 3.12.1 (/usr/lib/libpython3.12.so.1.0)");
	const struct json *fs = json_get(json_get(doc, "threads")->items[0], "frames");
	assert_int_equal(fs->n, 4);
	assert_string_equal(json_get(fs->items[0], "kind")->string, "native");
	assert_string_equal(json_get(fs->items[1], "kind")->string, "python");
	assert_string_equal(json_get(fs->items[1], "function")->string, "Klass.m\xc3\xa9todo");
	assert_string_equal(json_get(fs->items[1], "file")->string, "/app/x.py");
	assert_int_equal((int)json_get(fs->items[1], "line")->number, 29);
	assert_null(json_get(fs->items[1], "address"));
	json_free(doc);
	free(j);
	/* Without Python the document says so. */
	d.python = NULL;
	j = render(dump_write_json, &d);
	doc = json_parse(j, strlen(j));
	assert_int_equal(json_get(doc, "python")->type, JSON_NULL);
	json_free(doc);
	free(j);
}

/* The state a dump shows: the letter read before the stop, except that a
 * thread caught waiting in a system call (its registers hold a restart code)
 * is sleeping, even when the letter read an instant before said running. */
static void test_state_labels(void **state)
{
	(void)state;
	/* futex(2) interrupted while waiting: -ERESTARTSYS, or with a timeout
	 * -ERESTART_RESTARTBLOCK; nanosleep: -ERESTART_RESTARTBLOCK. */
	assert_true(stackshot_blocked_in_syscall(202, -512));
	assert_true(stackshot_blocked_in_syscall(202, -516));
	assert_true(stackshot_blocked_in_syscall(0, -514));
	assert_true(stackshot_blocked_in_syscall(61, -513));
	/* In user code (orig_rax -1), or a system call that already returned. */
	assert_false(stackshot_blocked_in_syscall(-1, -512));
	assert_false(stackshot_blocked_in_syscall(202, 0));
	assert_false(stackshot_blocked_in_syscall(0, 4096));
	assert_false(stackshot_blocked_in_syscall(202, -4));
	assert_int_equal(stackshot_state_at_stop('R', true), 'S');
	assert_int_equal(stackshot_state_at_stop('R', false), 'R');
	assert_int_equal(stackshot_state_at_stop('S', true), 'S');
	assert_int_equal(stackshot_state_at_stop('D', true), 'D');
	/* Stopped by a signal stays stopped, traced by another stays traced. */
	assert_int_equal(stackshot_state_at_stop('T', true), 'T');
	assert_int_equal(stackshot_state_at_stop('T', false), 'T');
	assert_int_equal(stackshot_state_at_stop('t', false), 't');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_python_frames),
		cmocka_unit_test(test_hostile_names_stay_utf8),
		cmocka_unit_test(test_state_labels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
