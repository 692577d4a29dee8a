/* Unit tests for the readers (formats/pprof.c, perfscript.c, collapsed.c,
 * format.c's detection) on inputs that are crafted, odd, or read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <zlib.h>

#include <cmocka.h>

#include "formats/format.h"
#include "formats/pprof.h"
#include "profiler/model/profile.h"
#include "profiler/base/util.h"

static char *write_mem(const struct profile *p, enum format f, size_t *len)
{
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);
	assert_non_null(m);
	struct write_opts o = { 0 };
	assert_int_equal(profile_write_stream(p, f, m, &o), 0);
	fclose(m);
	return buf;
}

static char *gzip_mem(const void *data, size_t len, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&z, len) + 64;
	char *out = xmalloc(cap);
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	z.next_out = (unsigned char *)out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*out_len = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

/* Issue 13: a recording of one thread read back from pprof is one thread,
 * with the pid and the rate it was recorded with. */
static void test_pprof_round_trip_threads_pid_rate(void **state)
{
	(void)state;
	struct profile *p = profile_new();
	uint32_t t = profile_thread_intern(p, 4242, 4243, "worker");
	uint32_t f[2] = { profile_frame_named(p, "main", FRAME_USER), profile_frame_named(p, "work", FRAME_USER) };
	profile_add(p, t, profile_node_path(p, f, 2), 7);
	p->meta.pid = 4242;
	p->meta.freq = 999;
	p->meta.period_ns = 1001001;
	profile_set_str(&p->meta.mode, "wall");
	size_t len;
	char *buf = write_mem(p, FORMAT_PPROF, &len);
	struct profile *q = profile_read_mem(buf, len, NULL);
	assert_non_null(q);
	assert_int_equal(q->nthreads, 1);
	assert_int_equal(q->threads[0].pid, 4242);
	assert_int_equal(q->threads[0].tid, 4243);
	assert_string_equal(q->threads[0].name, "worker");
	assert_int_equal(q->meta.pid, 4242);
	assert_int_equal(q->meta.freq, 999);
	assert_int_equal(q->meta.period_ns, 1001001);
	assert_non_null(q->meta.mode);
	assert_string_equal(q->meta.mode, "wall");
	assert_int_equal(q->total, 7);
	free(buf);
	profile_free(q);
	profile_free(p);
}

/* Samples with no thread label still land in one thread. */
static void test_pprof_unlabelled_samples_one_thread(void **state)
{
	(void)state;
	struct profile *p = profile_new();
	uint32_t t = profile_thread_intern(p, 0, 0, "");
	uint32_t f = profile_frame_named(p, "main", FRAME_USER);
	profile_add(p, t, profile_node_path(p, &f, 1), 3);
	/* An empty thread name and no tid: the writer labels nothing useful. */
	free(p->threads[0].name);
	p->threads[0].name = xstrdup("");
	size_t len;
	char *buf = write_mem(p, FORMAT_PPROF, &len);
	struct profile *q = profile_read_mem(buf, len, NULL);
	assert_non_null(q);
	assert_int_equal(q->nthreads, 1);
	assert_int_equal(q->total, 3);
	free(buf);
	profile_free(q);
	profile_free(p);
}

/* Issue 12: one location with many inline lines named many times expands to
 * millions of frames; the sample is cut to READ_MAX_FRAMES and counted. */
static void test_pprof_deep_inline_is_cut(void **state)
{
	(void)state;
	struct profile *p = profile_new();
	uint32_t t = profile_thread_intern(p, 1, 1, "t");
	enum { N = 3 * READ_MAX_FRAMES };
	uint32_t *frames = xmalloc(N * sizeof(*frames));
	for (size_t i = 0; i < N; i++) {
		char name[32];
		snprintf(name, sizeof(name), "f%zu", i);
		struct profile_frame fr = { .name = name, .module = -1, .inlined = i > 0 };
		frames[i] = profile_frame_intern(p, &fr);
	}
	profile_add(p, t, profile_node_path(p, frames, N), 5);
	size_t len;
	char *buf = write_mem(p, FORMAT_PPROF, &len);
	struct profile *q = profile_read_mem(buf, len, NULL);
	assert_non_null(q);
	assert_int_equal(q->total, 5);
	assert_int_equal(q->ncounts, 1);
	assert_int_equal(profile_node_depth(q, q->counts[0].node), READ_MAX_FRAMES);
	assert_int_equal(q->meta.truncated, 1);
	/* The outermost frame is kept. */
	uint32_t top;
	profile_node_frames(q, q->counts[0].node, &top, 1);
	assert_string_equal(q->frames[top].name, "f0");
	free(buf);
	free(frames);
	profile_free(q);
	profile_free(p);
}

/* Issue 12: a small gzip of millions of empty strings is refused (EFBIG),
 * not unpacked into gigabytes of table entries. */
static void test_pprof_string_bomb_refused(void **state)
{
	(void)state;
	size_t n = 4u << 20, raw_len = 2 * n;
	char *raw = xmalloc(raw_len);
	for (size_t i = 0; i < n; i++) {
		raw[2 * i] = 0x32; /* field 6, length-delimited */
		raw[2 * i + 1] = 0;
	}
	size_t len;
	char *gz = gzip_mem(raw, raw_len, &len);
	assert_true(len < 64 * 1024);
	errno = 0;
	assert_null(profile_read_mem(gz, len, NULL));
	assert_int_equal(errno, EFBIG);
	free(gz);
	free(raw);
}

/* The unpack limit: BASE + RATIO * packed size. */
static void test_pprof_unpack_limit(void **state)
{
	(void)state;
	size_t raw_len = PPROF_UNPACK_BASE + ((size_t)1 << 20);
	char *raw = xcalloc(raw_len, 1); /* zeros: packs ~1000:1 */
	size_t len;
	char *gz = gzip_mem(raw, raw_len, &len);
	assert_true(PPROF_UNPACK_BASE + PPROF_UNPACK_RATIO * len < raw_len);
	errno = 0;
	assert_null(pprof_read(gz, len));
	assert_int_equal(errno, EFBIG);
	free(gz);
	free(raw);
}

/* Issue 12: totals saturate instead of wrapping; no share passes 100%. */
static void test_totals_saturate(void **state)
{
	(void)state;
	static const char text[] = "main;a 10000000000000000000\nmain;b 10000000000000000000\nmain;c 5\n";
	struct profile *p = profile_read_mem(text, sizeof(text) - 1, NULL);
	assert_non_null(p);
	assert_true(p->total == UINT64_MAX);
	uint64_t sum = 0;
	for (size_t i = 0; i < p->ncounts; i++) {
		assert_true(p->counts[i].count <= p->total);
		assert_true(sum <= UINT64_MAX - p->counts[i].count);
		sum += p->counts[i].count;
	}
	assert_true(sum == p->total);
	assert_true(p->threads[0].samples == p->total);
	/* Written out and read back: the saturated counts are numbers the
	 * reader takes (fuzz_collapsed found they were not). */
	size_t len;
	char *buf = write_mem(p, FORMAT_COLLAPSED, &len);
	struct profile *q = profile_read_mem(buf, len, NULL);
	assert_non_null(q);
	assert_true(q->total == UINT64_MAX);
	profile_free(q);
	free(buf);
	static const char max[] = "a 18446744073709551615\n", over[] = "a 18446744073709551616\n";
	q = profile_read_mem(max, sizeof(max) - 1, NULL);
	assert_non_null(q);
	assert_true(q->total == UINT64_MAX);
	profile_free(q);
	assert_null(profile_read_mem(over, sizeof(over) - 1, NULL));
	profile_free(p);
}

static const char perf_text[] =
	"prog 12/13 100.000001:   10101010 cpu-clock:\n"
	"\t    401010 leaf (inlined)\n"
	"\t    401010 compute+0x10 (/usr/bin/prog)\n"
	"\t    401200 main+0x20 (/usr/bin/prog)\n"
	"\n"
	"prog 12/13 100.010102:   10101010 cpu-clock:\n"
	"\t    401200 main+0x20 (/usr/bin/prog)\n"
	"\n"
	"prog 12/13 100.020203:   10101010 cpu-clock:\n"
	"\t    401200 main+0x20 (/usr/bin/prog)\n"
	"\n";

/* Issue 13: perf script samples are counted as samples; their periods
 * (nanoseconds of cpu-clock) become the profile's period. */
static void test_perfscript_counts_samples(void **state)
{
	(void)state;
	struct profile *p = profile_read_mem(perf_text, sizeof(perf_text) - 1, NULL);
	assert_non_null(p);
	assert_int_equal(p->total, 3);
	assert_int_equal(p->meta.period_ns, 10101010);
	size_t len;
	char *buf = write_mem(p, FORMAT_REPORT, &len);
	assert_non_null(strstr(buf, "3 samples"));
	free(buf);
	/* Where the format has a place for time, the periods are time. */
	buf = write_mem(p, FORMAT_SPEEDSCOPE, &len);
	assert_non_null(strstr(buf, "\"unit\":\"nanoseconds\""));
	assert_non_null(strstr(buf, "\"endValue\":30303030"));
	free(buf);
	buf = write_mem(p, FORMAT_PPROF, &len);
	struct profile *q = profile_read_mem(buf, len, NULL);
	assert_non_null(q);
	assert_int_equal(q->total, 3);
	assert_int_equal(q->meta.period_ns, 10101010);
	profile_free(q);
	free(buf);
	profile_free(p);
}

static const char fault_text[] =
	"prog 12/12 100.000000:          3 page-faults: \n"
	"\t    401100 touch+0x10 (/usr/bin/prog)\n"
	"\t    401200 main+0x20 (/usr/bin/prog)\n"
	"\n"
	"prog 12/12 100.010000:          5 page-faults: \n"
	"\t    401300 grow+0x10 (/usr/bin/prog)\n"
	"\t    401200 main+0x20 (/usr/bin/prog)\n"
	"\n";

/* Issue 13: the periods of an event that is not time (page-faults) count
 * that event: report says page-faults (not samples, and no time), pprof
 * names its value so and reading it back keeps the name; speedscope's
 * unit is "none". A time event's report says how much time its samples
 * stand for. */
static void test_event_units_follow_the_input(void **state)
{
	(void)state;
	struct profile *p = profile_read_mem(fault_text, sizeof(fault_text) - 1, NULL);
	assert_non_null(p);
	assert_int_equal(p->total, 8);
	assert_non_null(p->meta.unit);
	assert_string_equal(p->meta.unit, "page-faults");
	assert_int_equal(p->meta.period_ns, 0);
	size_t len;
	char *buf = write_mem(p, FORMAT_REPORT, &len);
	assert_non_null(strstr(buf, "8 page-faults"));
	assert_null(strstr(buf, "samples"));
	assert_null(strstr(buf, " s of CPU"));
	assert_non_null(strstr(buf, "top functions by self (page-faults)\n"));
	free(buf);
	buf = write_mem(p, FORMAT_SPEEDSCOPE, &len);
	assert_non_null(strstr(buf, "\"unit\":\"none\""));
	free(buf);
	buf = write_mem(p, FORMAT_PPROF, &len);
	struct profile *q = profile_read_mem(buf, len, NULL);
	assert_non_null(q);
	assert_int_equal(q->total, 8);
	assert_non_null(q->meta.unit);
	assert_string_equal(q->meta.unit, "page-faults");
	char *rep = write_mem(q, FORMAT_REPORT, &len);
	assert_non_null(strstr(rep, "8 page-faults"));
	free(rep);
	profile_free(q);
	free(buf);
	/* The SVG's tooltips count page-faults too. */
	buf = write_mem(p, FORMAT_SVG, &len);
	assert_non_null(strstr(buf, "\n5 page-faults, 62.50%"));
	assert_null(strstr(buf, " samples, "));
	free(buf);
	profile_free(p);

	/* cpu-clock: 3 samples of 10.1 ms each. */
	p = profile_read_mem(perf_text, sizeof(perf_text) - 1, NULL);
	assert_non_null(p);
	assert_null(p->meta.unit);
	buf = write_mem(p, FORMAT_REPORT, &len);
	assert_non_null(strstr(buf, "3 samples"));
	assert_non_null(strstr(buf, "; 0.030 s of CPU sampled"));
	assert_non_null(strstr(buf, "top functions by self\n"));
	free(buf);
	buf = write_mem(p, FORMAT_PPROF, &len);
	struct profile *r = profile_read_mem(buf, len, NULL);
	assert_non_null(r);
	assert_null(r->meta.unit); /* samples/count read back as samples */
	profile_free(r);
	free(buf);
	profile_free(p);
}

/* Issue 13: "(inlined)" marks an inlined frame; it is no module. */
static void test_perfscript_inlined_marker(void **state)
{
	(void)state;
	struct profile *p = profile_read_mem(perf_text, sizeof(perf_text) - 1, NULL);
	assert_non_null(p);
	for (size_t i = 0; i < p->nmodules; i++)
		assert_string_not_equal(p->modules[i].path, "inlined");
	bool found = false;
	for (size_t i = 0; i < p->nframes; i++)
		if (strcmp(p->frames[i].name, "leaf") == 0) {
			assert_true(p->frames[i].inlined);
			found = true;
		} else if (strcmp(p->frames[i].name, "compute") == 0) {
			assert_false(p->frames[i].inlined);
		}
	assert_true(found);
	/* convert to pprof: the frame is a line inlined into compute's
	 * location, and no mapping is named "inlined". */
	size_t len;
	char *buf = write_mem(p, FORMAT_PPROF, &len);
	struct profile *q = profile_read_mem(buf, len, NULL);
	assert_non_null(q);
	for (size_t i = 0; i < q->nmodules; i++)
		assert_string_not_equal(q->modules[i].path, "inlined");
	found = false;
	for (size_t i = 0; i < q->nframes; i++)
		if (strcmp(q->frames[i].name, "leaf") == 0) {
			assert_true(q->frames[i].inlined);
			found = true;
		}
	assert_true(found);
	free(buf);
	profile_free(q);
	profile_free(p);
}

/* Issue 12: a line of N blanks costs N, not N^2 (the matcher counts no
 * steps, so this checks the result on a size where N^2 would be 10^12). */
static void test_perfscript_long_blank_line(void **state)
{
	(void)state;
	size_t n = 1000000;
	char *t = xmalloc(n + 64);
	size_t k = 0;
	k += (size_t)sprintf(t, "xx");
	memset(t + k, ' ', n);
	k += n;
	k += (size_t)sprintf(t + k, "12 1.0: 1 cpu-clock:\n\t1 main (/bin/p)\n\n");
	struct profile *p = profile_read_mem(t, k, NULL);
	assert_non_null(p);
	assert_int_equal(p->total, 1);
	free(t);
	profile_free(p);
}

/* Issue 13: binary data that starts like perf script text is not a profile. */
static void test_binary_after_text_header_refused(void **state)
{
	(void)state;
	size_t n = 1 << 20;
	char *t = xmalloc(n);
	static const char head[] = "prog 12 1.0: cpu-clock:\n\t1 f (m)\n";
	memcpy(t, head, sizeof(head) - 1);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (size_t i = sizeof(head) - 1; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		t[i] = (char)(x >> 24);
	}
	assert_int_equal(format_detect(t, n), FORMAT_NONE);
	errno = 0;
	assert_null(profile_read_mem(t, n, NULL));
	assert_int_equal(errno, EINVAL);
	free(t);
}

/* A folded line deeper than READ_MAX_FRAMES is cut and counted. */
static void test_collapsed_deep_line_cut(void **state)
{
	(void)state;
	struct strbuf b;
	strbuf_init(&b);
	for (size_t i = 0; i < READ_MAX_FRAMES + 10; i++)
		strbuf_adds(&b, i ? ";f" : "f");
	strbuf_adds(&b, " 2\n");
	struct profile *p = profile_read_mem(b.buf, b.len, NULL);
	assert_non_null(p);
	assert_int_equal(p->total, 2);
	assert_int_equal(profile_node_depth(p, p->counts[0].node), READ_MAX_FRAMES);
	assert_int_equal(p->meta.truncated, 1);
	profile_free(p);
	strbuf_release(&b);
}

/* The same cut in the speedscope reader. */
static void test_speedscope_deep_sample_cut(void **state)
{
	(void)state;
	struct profile *p = profile_new();
	uint32_t t = profile_thread_intern(p, 1, 1, "t");
	enum { N = READ_MAX_FRAMES + 100 };
	uint32_t *frames = xmalloc(N * sizeof(*frames));
	for (size_t i = 0; i < N; i++) {
		char name[32];
		snprintf(name, sizeof(name), "f%zu", i);
		frames[i] = profile_frame_named(p, name, FRAME_USER);
	}
	profile_add(p, t, profile_node_path(p, frames, N), 4);
	size_t len;
	char *buf = write_mem(p, FORMAT_SPEEDSCOPE, &len);
	struct profile *q = profile_read_mem(buf, len, NULL);
	assert_non_null(q);
	assert_int_equal(q->total, 4);
	assert_int_equal(profile_node_depth(q, q->counts[0].node), READ_MAX_FRAMES);
	assert_int_equal(q->meta.truncated, 1);
	free(buf);
	free(frames);
	profile_free(q);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pprof_round_trip_threads_pid_rate),
		cmocka_unit_test(test_pprof_unlabelled_samples_one_thread),
		cmocka_unit_test(test_pprof_deep_inline_is_cut),
		cmocka_unit_test(test_pprof_string_bomb_refused),
		cmocka_unit_test(test_pprof_unpack_limit),
		cmocka_unit_test(test_totals_saturate),
		cmocka_unit_test(test_perfscript_counts_samples),
		cmocka_unit_test(test_event_units_follow_the_input),
		cmocka_unit_test(test_perfscript_inlined_marker),
		cmocka_unit_test(test_perfscript_long_blank_line),
		cmocka_unit_test(test_binary_after_text_header_refused),
		cmocka_unit_test(test_collapsed_deep_line_cut),
		cmocka_unit_test(test_speedscope_deep_sample_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
