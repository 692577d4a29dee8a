/* The outputs that show time order: perf script text and speedscope's
 * timeline, from a profile that carries its samples' order (p->seq).
 *  - perf script: samples come out merged by time across threads, a
 *    weighted sample as that many; read back by prowl's reader (the port
 *    of stackcollapse-perf.pl, with --kernel and --jit) it gives prowl's own
 *    collapsed stacks under the command's name; without an order (a profile
 *    of counts) the counts ride as periods and read back the same.
 *  - speedscope: each thread's samples in time order, runs of one stack
 *    merged, an off-CPU gap as an empty sample; prowl reads it back to the
 *    same counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "formats/format.h"
#include "formats/perfscript.h"
#include "profiler/base/util.h"
#include "profiler/model/profile.h"
#include "profiler/model/seq.h"

static char *write_mem(const struct profile *p, enum format f)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);
	assert_non_null(m);
	assert_int_equal(profile_write_stream(p, f, m, NULL), 0);
	fclose(m);
	return buf;
}

#define PERIOD 1000000ull /* 1 ms */

/*
 * app (100/100): main;compute;helper(inlined)  main;write;sys_write[k]
 * work (100/101): main;jitted[j]
 * In time (ms): app compute@1 compute@2 write@3 (weight 2) compute@10 (a
 * gap: 6 ms off the CPU); work jitted@1.5 jitted@2.5. The capture adds each
 * thread's samples in time order (perf_sampler merges its rings by time).
 */
static struct profile *timed_profile(bool with_seq)
{
	struct profile *p = profile_new();
	struct profile_module exe = { .path = "/opt/app/bin/app" };
	struct profile_module libc = { .path = "/usr/lib/x86_64-linux-gnu/libc.so.6" };
	struct profile_module kern = { .path = "[kernel.kallsyms]", .kernel = 1 };
	int32_t me = profile_module_intern(p, &exe), ml = profile_module_intern(p, &libc),
		mk = profile_module_intern(p, &kern);
	struct profile_frame main_f = { .name = "main", .module = me, .address = 0x1180 };
	struct profile_frame comp_f = { .name = "compute", .module = me, .address = 0x1250 };
	struct profile_frame help_f = { .name = "helper", .module = me, .address = 0x1250, .inlined = 1 };
	struct profile_frame wr_f = { .name = "write", .module = ml, .address = 0x114a20 };
	struct profile_frame sys_f = { .name = "sys_write", .module = mk, .kind = FRAME_KERNEL, .address = 0x1000 };
	struct profile_frame jit_f = { .name = "jitted", .module = -1, .kind = FRAME_JIT, .address = 0x7f0000001000 };
	uint32_t m = profile_frame_intern(p, &main_f), c = profile_frame_intern(p, &comp_f),
		 h = profile_frame_intern(p, &help_f), w = profile_frame_intern(p, &wr_f),
		 k = profile_frame_intern(p, &sys_f), j = profile_frame_intern(p, &jit_f);
	uint32_t t1 = profile_thread_intern(p, 100, 100, "app"), t2 = profile_thread_intern(p, 100, 101, "work");
	uint32_t s1[] = { m, c, h }, s2[] = { m, w, k }, s3[] = { m, j };
	uint32_t n1 = profile_node_path(p, s1, 3), n2 = profile_node_path(p, s2, 3), n3 = profile_node_path(p, s3, 2);
	profile_add(p, t1, n1, 3);
	profile_add(p, t1, n2, 2);
	profile_add(p, t2, n3, 2);
	profile_set_str(&p->meta.command, "./app --fast");
	profile_set_str(&p->meta.event, "cpu-clock");
	p->meta.pid = 100;
	p->meta.period_ns = PERIOD;
	if (with_seq) {
		p->seq = seq_new();
		seq_add(p->seq, t1, n1, 5000000000ull + 1 * PERIOD, 1);
		seq_add(p->seq, t1, n1, 5000000000ull + 2 * PERIOD, 1);
		seq_add(p->seq, t1, n2, 5000000000ull + 3 * PERIOD, 2);
		seq_add(p->seq, t1, n1, 5000000000ull + 10 * PERIOD, 1);
		seq_add(p->seq, t2, n3, 5000000000ull + 1 * PERIOD + PERIOD / 2, 1);
		seq_add(p->seq, t2, n3, 5000000000ull + 2 * PERIOD + PERIOD / 2, 1);
	}
	return p;
}

/* prowl's collapsed lines as the reference roots them: at the thread's
 * command name (here the jitted stacks are work's, the others app's). */
static char *rooted(const char *a)
{
	struct strbuf sb;
	strbuf_init(&sb);
	for (const char *l = a; *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) + 1 : strlen(l);
		char *line = strndup(l, n);
		strbuf_addf(&sb, "%s;%s", strstr(line, "jitted") ? "work" : "app", line);
		free(line);
		l += n;
	}
	return sb.buf;
}

static void check_perfscript_reads_back(const struct profile *p, const char *text)
{
	/* --kernel --jit: the annotations prowl's collapsed output carries;
	 * inlined frames are "caller->inlined", marked either way. */
	struct read_opts ro = { .kernel = true, .jit = true, .format = FORMAT_PERF_SCRIPT };
	struct profile *q = profile_read_mem(text, strlen(text), &ro);
	assert_non_null(q);
	assert_int_equal(q->total, p->total);
	char *mine = write_mem(p, FORMAT_COLLAPSED);
	char *back = write_mem(q, FORMAT_COLLAPSED);
	/* The reader roots each stack at the command name, as the reference. */
	char *want = rooted(mine);
	assert_non_null(strstr(want, "app;main;compute;helper_[i] 3\n"));
	assert_non_null(strstr(back, "work;main;jitted_[j] 2\n"));
	/* Sorted lines: compare as sets. */
	size_t nlines = 0;
	for (const char *l = want; *l; l = strchr(l, '\n') + 1) {
		size_t n = (size_t)(strchr(l, '\n') - l) + 1;
		char *line = strndup(l, n);
		assert_non_null(strstr(back, line));
		free(line);
		nlines++;
	}
	size_t nback = 0;
	for (const char *l = back; *l; l = strchr(l, '\n') + 1)
		nback++;
	assert_int_equal(nback, nlines);
	free(want);
	free(mine);
	free(back);
	profile_free(q);
}

static void test_perfscript_time_order(void **state)
{
	(void)state;
	struct profile *p = timed_profile(true);
	char *text = write_mem(p, FORMAT_PERF_SCRIPT);
	assert_int_equal(format_detect(text, strlen(text)), FORMAT_PERF_SCRIPT);
	/* The order across threads is by time; the weight-2 sample twice. */
	const char *want[] = {
		"app 100/100 5.001000: cpu-clock:\n",  "work 100/101 5.001500: cpu-clock:\n",
		"app 100/100 5.002000: cpu-clock:\n",  "work 100/101 5.002500: cpu-clock:\n",
		"app 100/100 5.003000: cpu-clock:\n",  "app 100/100 5.003000: cpu-clock:\n",
		"app 100/100 5.010000: cpu-clock:\n",
	};
	const char *at = text;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *f = strstr(at, want[i]);
		assert_non_null(f);
		at = f + strlen(want[i]);
	}
	/* One frame a line: address, name (an inline chain joined), module. */
	assert_non_null(strstr(text, "# cmdline : ./app --fast\n"));
	assert_non_null(strstr(text, "\t            1250 compute->helper (/opt/app/bin/app)\n"
				     "\t            1180 main (/opt/app/bin/app)\n\n"));
	assert_non_null(strstr(text, "\t            1000 sys_write ([kernel.kallsyms])\n"
				     "\t          114a20 write (/usr/lib/x86_64-linux-gnu/libc.so.6)\n"));
	assert_non_null(strstr(text, "\t    7f0000001000 jitted (/tmp/perf-100.map)\n"));
	check_perfscript_reads_back(p, text);
	free(text);
	profile_free(p);
}

static void test_perfscript_counts(void **state)
{
	(void)state;
	struct profile *p = timed_profile(false);
	char *text = write_mem(p, FORMAT_PERF_SCRIPT);
	/* No order to show: one sample per stack, the count as its period. */
	assert_non_null(strstr(text, ": 3 samples:\n"));
	assert_non_null(strstr(text, ": 2 samples:\n"));
	check_perfscript_reads_back(p, text);
	free(text);
	profile_free(p);
}

static void test_speedscope_timeline(void **state)
{
	(void)state;
	struct profile *p = timed_profile(true);
	char *json = write_mem(p, FORMAT_SPEEDSCOPE);
	/* Frames (folded by function): main 0, compute 1, helper 2, write 3,
	 * sys_write 4, jitted 5. app: two compute samples in one run, the
	 * write sample (weight 2), 6 ms off the CPU (3 to 9), compute again. work: its
	 * two samples in one run. */
	assert_non_null(strstr(json, "\"name\":\"app (100)\",\"unit\":\"nanoseconds\",\"startValue\":0,"
				     "\"endValue\":11000000,\"samples\":[[0,1,2],[0,3,4],[],[0,1,2]],"
				     "\"weights\":[2000000,2000000,6000000,1000000]}"));
	assert_non_null(strstr(json, "\"name\":\"work (101)\",\"unit\":\"nanoseconds\",\"startValue\":0,"
				     "\"endValue\":2000000,\"samples\":[[0,5]],\"weights\":[2000000]}"));
	assert_non_null(strstr(json, "\"activeProfileIndex\":0,"));
	struct profile *q = profile_read_mem(json, strlen(json), NULL);
	assert_non_null(q);
	assert_int_equal(q->total, p->total); /* the gap is no sample */
	char *a = write_mem(p, FORMAT_COLLAPSED), *b = write_mem(q, FORMAT_COLLAPSED);
	assert_string_equal(a, b);
	free(a);
	free(b);
	profile_free(q);
	free(json);
	profile_free(p);
}

/* A thread that started later than the recording's first sample starts
 * later on its timeline: an empty sample up to its first one. */
static void test_speedscope_late_thread(void **state)
{
	(void)state;
	struct profile *p = profile_new();
	uint32_t f = profile_frame_named(p, "work", FRAME_USER);
	uint32_t n = profile_node_path(p, &f, 1);
	uint32_t t1 = profile_thread_intern(p, 7, 7, "early"), t2 = profile_thread_intern(p, 7, 8, "late");
	profile_add(p, t1, n, 1);
	profile_add(p, t2, n, 2);
	p->meta.period_ns = PERIOD;
	p->seq = seq_new();
	seq_add(p->seq, t1, n, 100 * PERIOD, 1);
	seq_add(p->seq, t2, n, 120 * PERIOD, 1);
	seq_add(p->seq, t2, n, 121 * PERIOD, 1);
	char *json = write_mem(p, FORMAT_SPEEDSCOPE);
	assert_non_null(strstr(json, "\"name\":\"early (7)\",\"unit\":\"nanoseconds\",\"startValue\":0,"
				     "\"endValue\":1000000,\"samples\":[[0]],\"weights\":[1000000]}"));
	assert_non_null(strstr(json, "\"name\":\"late (8)\",\"unit\":\"nanoseconds\",\"startValue\":0,"
				     "\"endValue\":21000000,\"samples\":[[],[0]],\"weights\":[19000000,2000000]}"));
	/* The busiest thread is the one shown first. */
	assert_non_null(strstr(json, "\"activeProfileIndex\":1,"));
	free(json);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_perfscript_time_order),
		cmocka_unit_test(test_perfscript_counts),
		cmocka_unit_test(test_speedscope_timeline),
		cmocka_unit_test(test_speedscope_late_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
