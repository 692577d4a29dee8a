/* Unit tests: counts agree with their noun in what the writers print, "1
 * sample" and "2 samples" (issue 13: "1 samples" was printed everywhere):
 * the report's summary and its note on incomplete stacks, the flame
 * graph's tooltips. The command-line lines are checked by
 * tests/badinput.tsv (convert -v) and the record tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "formats/format.h"
#include "formats/report.h"
#include "profiler/base/util.h"
#include "profiler/model/profile.h"

static struct profile *one(uint64_t n)
{
	struct profile *p = profile_new();
	struct profile_frame f = { .module = -1, .kind = FRAME_USER, .name = "main" };
	uint32_t fr = profile_frame_intern(p, &f);
	uint32_t t = profile_thread_intern(p, 1, 1, "main");
	profile_add(p, t, profile_node_path(p, &fr, 1), n);
	return p;
}

static char *written(const struct profile *p, enum format f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	struct write_opts o;
	memset(&o, 0, sizeof(o));
	assert_int_equal(profile_write_stream(p, f, out, &o), 0);
	fclose(out);
	return buf;
}

static void test_report(void **state)
{
	(void)state;
	struct profile *p = one(1);
	struct strbuf sb;
	strbuf_init(&sb);
	report_summary(p, &sb);
	assert_non_null(strstr(sb.buf, "1 sample"));
	assert_null(strstr(sb.buf, "1 samples"));
	p->meta.partial = 1;
	char *r = written(p, FORMAT_REPORT);
	assert_non_null(strstr(r, "note: 1 sample had an incomplete stack"));
	free(r);
	profile_free(p);
	p = one(2);
	strbuf_reset(&sb);
	report_summary(p, &sb);
	assert_non_null(strstr(sb.buf, "2 samples"));
	strbuf_release(&sb);
	profile_free(p);
}

static void test_svg_tooltips(void **state)
{
	(void)state;
	struct profile *p = one(1);
	char *s = written(p, FORMAT_SVG);
	assert_non_null(strstr(s, "1 sample, 100.00%"));
	assert_null(strstr(s, "1 samples"));
	free(s);
	profile_free(p);
	p = one(3);
	s = written(p, FORMAT_SVG);
	assert_non_null(strstr(s, "3 samples, 100.00%"));
	free(s);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_svg_tooltips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
