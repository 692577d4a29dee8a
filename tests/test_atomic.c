/* Unit tests for formats/atomic.c: how outputs are opened, written and
 * published. Each test works in a fresh folder under /tmp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "formats/atomic.h"
#include "profiler/base/util.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/prowl-atomic-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd);
	free(cmd);
	return rc;
}

static char *at(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *get(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The names in dir, sorted, joined by spaces. */
static char *listing(const char *d)
{
	static char out[4096];
	struct dirent **ents;
	int n = scandir(d, &ents, NULL, alphasort);
	assert_true(n >= 0);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, "..")) {
			if (out[0])
				strcat(out, " ");
			strcat(out, ents[i]->d_name);
		}
		free(ents[i]);
	}
	free(ents);
	return out;
}

static int write_text(FILE *out, void *arg)
{
	fputs(arg, out);
	return 0;
}

/* Writes some, then fails as a writer does when its input is bad. */
static int write_then_fail(FILE *out, void *arg)
{
	(void)arg;
	for (int i = 0; i < 100000; i++)
		fputs("partial line\n", out);
	return -EIO;
}

static int write_big(FILE *out, void *arg)
{
	(void)arg;
	for (int i = 0; i < 100000; i++)
		fputs("a line of a big profile\n", out);
	return 0;
}

static void test_replaces_whole(void **state)
{
	(void)state;
	char *path = at("out.folded");
	put(path, "old\n");
	struct stat before, after;
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(atomic_write_file(path, NULL, write_text, "main;f 1\n", NULL), 0);
	assert_string_equal(get(path), "main;f 1\n");
	assert_int_equal(stat(path, &after), 0);
	/* A new file took the name: the old one was never written into. */
	assert_true(after.st_ino != before.st_ino);
	assert_string_equal(listing(dir), "out.folded");
	/* A new name too. */
	char *fresh = at("new.folded");
	assert_int_equal(atomic_write_file(fresh, NULL, write_text, "x 1\n", NULL), 0);
	assert_string_equal(get(fresh), "x 1\n");
	assert_string_equal(listing(dir), "new.folded out.folded");
	free(fresh);
	free(path);
}

/* Until committed, readers see the old file; the named fallback too. */
static void test_old_until_commit(void **state)
{
	(void)state;
	char *path = at("p.txt");
	for (int named = 0; named < 2; named++) {
		put(path, "old\n");
		struct atomic_opts o = { .named_temp = named };
		struct atomic_file *f;
		assert_int_equal(atomic_open(path, &o, &f, NULL), 0);
		assert_true(atomic_replaces(f));
		assert_int_equal(atomic_write(f, write_text, "new\n"), 0);
		assert_string_equal(get(path), "old\n");
		assert_int_equal(atomic_commit(f), 0);
		assert_string_equal(get(path), "new\n");
		assert_string_equal(listing(dir), "p.txt");
	}
	free(path);
}

/* The race: the name looked like a file when opened and is a symlink to a
 * victim by the time the profile is published. The link is replaced, the
 * victim is not touched. */
static void test_swapped_link_not_followed(void **state)
{
	(void)state;
	char *path = at("out.folded"), *victim = at("victim"), *decoy = at("decoy");
	put(victim, "precious\n");
	for (int named = 0; named < 2; named++) {
		put(path, "user's file\n");
		struct atomic_opts o = { .named_temp = named };
		struct atomic_file *f;
		assert_int_equal(atomic_open(path, &o, &f, NULL), 0);
		assert_int_equal(atomic_write(f, write_text, "profile\n"), 0);
		assert_int_equal(rename(path, decoy), 0);
		assert_int_equal(symlink(victim, path), 0);
		assert_int_equal(atomic_commit(f), 0);
		assert_string_equal(get(victim), "precious\n");
		struct stat st;
		assert_int_equal(lstat(path, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_string_equal(get(path), "profile\n");
		unlink(decoy);
	}
	assert_string_equal(listing(dir), "out.folded victim");
	free(path);
	free(victim);
	free(decoy);
}

/* A link in a sticky world-writable folder that another user owns is not
 * followed (nor replaced): root only, to give the link another owner. */
static void test_planted_link_refused(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	char *shared = at("shared"), *victim = at("victim");
	assert_int_equal(mkdir(shared, 0777), 0);
	assert_int_equal(chmod(shared, 01777), 0);
	put(victim, "precious\n");
	char *link = xasprintf("%s/out.folded", shared);
	assert_int_equal(symlink(victim, link), 0);
	assert_int_equal(lchown(link, 65534, 65534), 0);
	struct strbuf why;
	strbuf_init(&why);
	struct atomic_file *f = NULL;
	assert_int_equal(atomic_check(link, NULL, &why), -EACCES);
	assert_non_null(strstr(why.buf, "symbolic link another user put"));
	assert_int_equal(atomic_open(link, NULL, &f, &why), -EACCES);
	assert_null(f);
	assert_int_equal(atomic_write_file(link, NULL, write_text, "profile\n", NULL), -EACCES);
	assert_string_equal(get(victim), "precious\n");
	struct stat st;
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_string_equal(listing(shared), "out.folded");
	/* The same link owned by us is followed: its target gets the profile. */
	assert_int_equal(lchown(link, 0, 0), 0);
	assert_int_equal(atomic_write_file(link, NULL, write_text, "profile\n", NULL), 0);
	assert_string_equal(get(victim), "profile\n");
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	strbuf_release(&why);
	free(link);
	free(shared);
	free(victim);
}

/* Our own link keeps pointing where it did; its target gets the profile. */
static void test_own_link_followed(void **state)
{
	(void)state;
	char *link = at("latest.folded"), *target = at("run1.folded");
	put(target, "old\n");
	assert_int_equal(symlink("run1.folded", link), 0);
	assert_int_equal(atomic_write_file(link, NULL, write_text, "new\n", NULL), 0);
	struct stat st;
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_string_equal(get(target), "new\n");
	assert_string_equal(listing(dir), "latest.folded run1.folded");
	free(link);
	free(target);
}

static void test_failed_write_keeps_old(void **state)
{
	(void)state;
	char *path = at("keep.json");
	for (int named = 0; named < 2; named++) {
		put(path, "old\n");
		struct atomic_opts o = { .named_temp = named };
		assert_int_equal(atomic_write_file(path, &o, write_then_fail, NULL, NULL), -EIO);
		assert_string_equal(get(path), "old\n");
		assert_string_equal(listing(dir), "keep.json");
		/* Opened, then thrown away. */
		struct atomic_file *f;
		assert_int_equal(atomic_open(path, &o, &f, NULL), 0);
		atomic_abort(f);
		assert_string_equal(listing(dir), "keep.json");
	}
	free(path);
}

static bool cancel_after_first(void *arg)
{
	int *calls = arg;
	return ++*calls > 1;
}

/* A cancelled write: -EINTR, the old file kept, nothing left. */
static void test_cancelled_write(void **state)
{
	(void)state;
	char *path = at("c.svg");
	put(path, "old\n");
	int calls = 0;
	struct atomic_opts o = { .cancelled = cancel_after_first, .cancel_arg = &calls };
	assert_int_equal(atomic_write_file(path, &o, write_big, NULL, NULL), -EINTR);
	assert_true(calls >= 2);
	assert_string_equal(get(path), "old\n");
	assert_string_equal(listing(dir), "c.svg");
	free(path);
}

static void test_errors(void **state)
{
	(void)state;
	struct strbuf why;
	strbuf_init(&why);
	char *missing = at("no/such/out.svg");
	assert_int_equal(atomic_check(missing, NULL, &why), -ENOENT);
	assert_non_null(strstr(why.buf, "check the folder exists"));
	assert_int_equal(atomic_write_file(missing, NULL, write_text, "x", &why), -ENOENT);
	assert_int_equal(atomic_write_file(dir, NULL, write_text, "x", &why), -EISDIR);
	char *slash = xasprintf("%s/", dir);
	assert_int_equal(atomic_check(slash, NULL, &why), -EISDIR);
	assert_int_equal(atomic_check("", NULL, &why), -EINVAL);
	/* A check creates nothing. */
	char *fresh = at("fresh.svg");
	assert_int_equal(atomic_check(fresh, NULL, &why), 0);
	assert_string_equal(listing(dir), "");
	strbuf_release(&why);
	free(fresh);
	free(slash);
	free(missing);
}

/* A FIFO is written into (a reader opened it first, in this process), and
 * stays a FIFO. */
static void test_fifo_with_reader(void **state)
{
	(void)state;
	char *path = at("pipe");
	assert_int_equal(mkfifo(path, 0600), 0);
	int rd = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	struct atomic_file *f;
	assert_int_equal(atomic_check(path, NULL, NULL), 0);
	assert_int_equal(atomic_open(path, NULL, &f, NULL), 0);
	assert_false(atomic_replaces(f));
	assert_int_equal(atomic_write(f, write_text, "through the fifo\n"), 0);
	assert_int_equal(atomic_commit(f), 0);
	char buf[64] = { 0 };
	assert_int_equal(read(rd, buf, sizeof(buf) - 1), 17);
	assert_string_equal(buf, "through the fifo\n");
	close(rd);
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_string_equal(listing(dir), "pipe");
	free(path);
}

/* Without a reader the open waits, and the cancel callback ends the wait. */
static void test_fifo_without_reader(void **state)
{
	(void)state;
	char *path = at("pipe");
	assert_int_equal(mkfifo(path, 0600), 0);
	int calls = 0;
	struct atomic_opts o = { .cancelled = cancel_after_first, .cancel_arg = &calls };
	struct strbuf why;
	strbuf_init(&why);
	struct atomic_file *f = NULL;
	assert_int_equal(atomic_open(path, &o, &f, &why), -EINTR);
	assert_null(f);
	assert_int_equal(calls, 2);
	assert_non_null(strstr(why.buf, "nobody opened the FIFO for reading"));
	strbuf_release(&why);
	free(path);
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void test_modes(void **state)
{
	(void)state;
	char *path = at("m.folded");
	mode_t old = umask(022);
	for (int named = 0; named < 2; named++) {
		struct atomic_opts o = { .named_temp = named };
		umask(022);
		assert_int_equal(atomic_write_file(path, &o, write_text, "x 1\n", NULL), 0);
		assert_int_equal(mode_of(path), 0644);
		umask(027);
		assert_int_equal(atomic_write_file(path, &o, write_text, "x 1\n", NULL), 0);
		assert_int_equal(mode_of(path), 0640);
		umask(077);
		assert_int_equal(atomic_write_file(path, &o, write_text, "x 1\n", NULL), 0);
		assert_int_equal(mode_of(path), 0600);
		/* Private: readable by the owner alone, whatever the umask allows. */
		o.private_mode = true;
		umask(0);
		assert_int_equal(atomic_write_file(path, &o, write_text, "x 1\n", NULL), 0);
		assert_int_equal(mode_of(path), 0600);
		umask(022);
		assert_int_equal(atomic_write_file(path, &o, write_text, "x 1\n", NULL), 0);
		assert_int_equal(mode_of(path), 0600);
	}
	umask(old);
	assert_string_equal(listing(dir), "m.folded");
	free(path);
}

/* Names planted in the folder, the way a temporary could be named, never
 * make a write fail. */
static void test_planted_names(void **state)
{
	(void)state;
	char *path = at("t.folded");
	for (int i = 0; i < 2000; i++) {
		char *n = xasprintf("%s/.t.folded.tmp%016x", dir, i);
		put(n, "");
		free(n);
		n = xasprintf("%s/t.folded.tmp%06x", dir, i);
		put(n, "");
		free(n);
	}
	for (int named = 0; named < 2; named++) {
		struct atomic_opts o = { .named_temp = named };
		for (int i = 0; i < 20; i++)
			assert_int_equal(atomic_write_file(path, &o, write_text, "x 1\n", NULL), 0);
	}
	assert_string_equal(get(path), "x 1\n");
	free(path);
}

/* /dev/fd/N names a descriptor we were given (a pipe has no folder): it is
 * written into. */
static void test_given_descriptor(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	char *path = xasprintf("/dev/fd/%d", p[1]);
	struct atomic_file *f;
	assert_int_equal(atomic_check(path, NULL, NULL), 0);
	assert_int_equal(atomic_open(path, NULL, &f, NULL), 0);
	assert_false(atomic_replaces(f));
	assert_int_equal(atomic_write(f, write_text, "into the pipe\n"), 0);
	assert_int_equal(atomic_commit(f), 0);
	/* Still ours to close: a given descriptor is not closed by the writer. */
	assert_int_equal(close(p[1]), 0);
	char buf[64] = { 0 };
	assert_int_equal(read(p[0], buf, sizeof(buf) - 1), 14);
	assert_string_equal(buf, "into the pipe\n");
	close(p[0]);
	free(path);
	path = xasprintf("/proc/self/fd/%d", p[0]); /* closed now */
	assert_int_equal(atomic_check(path, NULL, NULL), -EBADF);
	free(path);
}

/* Root's profile is private when a target is not root's (or is gone). */
static void test_private_for(void **state)
{
	(void)state;
	pid_t self = getpid(), gone = 0x7ffffff0;
	assert_false(atomic_private_for(NULL, 0));
	assert_false(atomic_private_for(&self, 1));
	assert_int_equal(atomic_private_for(&gone, 1), geteuid() == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replaces_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_until_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swapped_link_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_planted_link_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_own_link_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_write_keeps_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancelled_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_with_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_without_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_planted_names, setup, teardown),
		cmocka_unit_test(test_given_descriptor),
		cmocka_unit_test(test_private_for),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
