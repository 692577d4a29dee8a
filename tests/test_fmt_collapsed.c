/* Unit tests for formats/format.c (choosing, atomic writing) and formats/collapsed.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <errno.h>

#include <cmocka.h>

#include "formats/format.h"
#include "profiler/model/profile.h"
#include "profiler/base/util.h"

static char *write_mem(const struct profile *p, enum format f, const struct write_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	assert_non_null(m);
	assert_int_equal(profile_write_stream(p, f, m, o), 0);
	fclose(m);
	return buf;
}

/* main -> compute -> (inlined) helper, plus a kernel leaf and a name with ';'. */
static struct profile *sample_profile(void)
{
	struct profile *p = profile_new();
	uint32_t t1 = profile_thread_intern(p, 100, 100, "app");
	uint32_t t2 = profile_thread_intern(p, 100, 101, "worker");
	struct profile_frame fm = { .name = "main", .file = "app.c", .line = 10, .module = -1, .address = 0x1000 };
	struct profile_frame fc = { .name = "compute", .file = "app.c", .line = 20, .module = -1, .address = 0x1100 };
	struct profile_frame fc2 = fc;
	fc2.line = 22;
	fc2.address = 0x1108;
	struct profile_frame fh = { .name = "helper", .file = "app.h", .line = 5, .module = -1, .inlined = 1 };
	struct profile_frame fo = { .name = "operator;weird", .module = -1 };
	uint32_t m = profile_frame_intern(p, &fm), c = profile_frame_intern(p, &fc),
		 c2 = profile_frame_intern(p, &fc2), h = profile_frame_intern(p, &fh),
		 o = profile_frame_intern(p, &fo);
	uint32_t k = profile_frame_named(p, "do_syscall_64", FRAME_KERNEL);
	uint32_t s1[] = { m, c, h };
	uint32_t s2[] = { m, c2 };
	uint32_t s3[] = { m, c, k };
	uint32_t s4[] = { m, o };
	profile_add(p, t1, profile_node_path(p, s1, 3), 5);
	profile_add(p, t1, profile_node_path(p, s2, 2), 3);
	profile_add(p, t2, profile_node_path(p, s2, 2), 4);
	profile_add(p, t2, profile_node_path(p, s3, 3), 2);
	profile_add(p, t2, profile_node_path(p, s4, 2), 1);
	return p;
}

static void test_format_choice(void **state)
{
	(void)state;
	assert_int_equal(format_by_path("a/b.svg"), FORMAT_SVG);
	assert_int_equal(format_by_path("x.folded"), FORMAT_COLLAPSED);
	assert_int_equal(format_by_path("x.collapsed"), FORMAT_COLLAPSED);
	assert_int_equal(format_by_path("x.txt"), FORMAT_COLLAPSED);
	assert_int_equal(format_by_path("x.json"), FORMAT_SPEEDSCOPE);
	assert_int_equal(format_by_path("x.pb.gz"), FORMAT_PPROF);
	assert_int_equal(format_by_path("x.pprof"), FORMAT_PPROF);
	assert_int_equal(format_by_path("x.png"), FORMAT_NONE);
	assert_int_equal(format_by_path("-"), FORMAT_NONE);
	assert_int_equal(format_by_name("folded"), FORMAT_COLLAPSED);
	assert_int_equal(format_by_name("speedscope"), FORMAT_SPEEDSCOPE);
	assert_int_equal(format_by_name("nope"), FORMAT_NONE);
	assert_string_equal(format_name(FORMAT_PPROF), "pprof");
}

static void test_collapsed_write(void **state)
{
	(void)state;
	struct profile *p = sample_profile();
	char *out = write_mem(p, FORMAT_COLLAPSED, NULL);
	/* Addresses and lines fold into functions, threads merge, lines sorted. */
	assert_string_equal(out, "main;compute 7\n"
				 "main;compute;do_syscall_64_[k] 2\n"
				 "main;compute;helper_[i] 5\n"
				 "main;operator\\x3bweird 1\n");
	free(out);
	struct write_opts o = { .threads = true };
	out = write_mem(p, FORMAT_COLLAPSED, &o);
	assert_string_equal(out, "app (100);main;compute 3\n"
				 "app (100);main;compute;helper_[i] 5\n"
				 "worker (101);main;compute 4\n"
				 "worker (101);main;compute;do_syscall_64_[k] 2\n"
				 "worker (101);main;operator\\x3bweird 1\n");
	free(out);
	struct write_opts l = { .lines = true };
	out = write_mem(p, FORMAT_COLLAPSED, &l);
	assert_non_null(strstr(out, "main:10;compute:20;helper:5_[i] 5\n"));
	assert_non_null(strstr(out, "main:10;compute:22 7\n"));
	free(out);
	profile_free(p);
}

static void test_collapsed_roundtrip(void **state)
{
	(void)state;
	struct profile *p = sample_profile();
	char *out = write_mem(p, FORMAT_COLLAPSED, NULL);
	struct profile *q = profile_read_mem(out, strlen(out), NULL);
	assert_non_null(q);
	assert_int_equal(q->total, p->total);
	char *again = write_mem(q, FORMAT_COLLAPSED, NULL);
	assert_string_equal(out, again);
	/* Kinds come back from the suffixes. */
	bool kernel = false, inl = false;
	for (size_t i = 0; i < q->nframes; i++) {
		if (strcmp(q->frames[i].name, "do_syscall_64") == 0)
			kernel = q->frames[i].kind == FRAME_KERNEL;
		if (strcmp(q->frames[i].name, "helper") == 0)
			inl = q->frames[i].inlined;
	}
	assert_true(kernel);
	assert_true(inl);
	free(out);
	free(again);
	profile_free(q);
	profile_free(p);
}

static void test_collapsed_read_tolerant(void **state)
{
	(void)state;
	const char *in = "# comment\r\n"
			 "a;b 3\r\n"
			 "a;b 2\n"
			 "a;c d;e 4.5\n"
			 "\n"
			 "x 0\n";
	struct profile *q = profile_read_mem(in, strlen(in), NULL);
	assert_non_null(q);
	assert_int_equal(q->total, 9);
	char *out = write_mem(q, FORMAT_COLLAPSED, NULL);
	assert_string_equal(out, "a;b 5\na;c d;e 4\n");
	free(out);
	profile_free(q);
	const char *junk = "hello world\nnot a profile\n";
	errno = 0;
	assert_null(profile_read_mem(junk, strlen(junk), NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(profile_read_mem("", 0, NULL));
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")))
			n++;
	closedir(d);
	return n;
}

static void test_atomic_write(void **state)
{
	(void)state;
	char dir[] = "/tmp/prowl-fmt-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *path = xasprintf("%s/out.folded", dir);
	struct profile *p = sample_profile();
	FILE *f = fopen(path, "w");
	fputs("old content\n", f);
	fclose(f);
	assert_int_equal(profile_write(p, FORMAT_COLLAPSED, path, NULL), 0);
	struct profile *q = profile_read(path);
	assert_non_null(q);
	assert_int_equal(q->total, p->total);
	profile_free(q);
	assert_int_equal(count_entries(dir), 1); /* no temporary left */
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_mode & S_IRUSR);
	/* A folder that does not exist: an error, nothing created. */
	char *bad = xasprintf("%s/missing/out.folded", dir);
	assert_int_equal(profile_write(p, FORMAT_COLLAPSED, bad, NULL), -ENOENT);
	assert_int_equal(profile_write(p, FORMAT_NONE, path, NULL), -EINVAL);
	errno = 0;
	assert_null(profile_read(bad));
	assert_int_equal(errno, ENOENT);
	unlink(path);
	rmdir(dir);
	free(bad);
	free(path);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_choice),
		cmocka_unit_test(test_collapsed_write),
		cmocka_unit_test(test_collapsed_roundtrip),
		cmocka_unit_test(test_collapsed_read_tolerant),
		cmocka_unit_test(test_atomic_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
