/* Unit tests for profiler/capture/target.c: launching a command the way a
 * shell would report it. A missing command is ENOENT (the shell's 127), a
 * file without the execute bit EACCES and a file the kernel cannot execute
 * (bad ELF) ENOEXEC (both the shell's 126); each failure is returned as a
 * negative errno with errno set to match. The commands are files this test
 * writes; nothing runs but a held child whose exec fails. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "profiler/capture/target.h"

static char dir[PATH_MAX];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/prowl-test-target-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	(void)state;
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Writes a file under dir with these bytes and mode; returns its path (static). */
static const char *file_with(const char *name, const void *bytes, size_t n, mode_t mode)
{
	static char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, n), (ssize_t)n);
	assert_int_equal(close(fd), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void test_missing_command_is_enoent(void **state)
{
	(void)state;
	char *path = (char *)1;
	errno = 0;
	assert_int_equal(target_find_command("prowl-no-such-command-xyz", &path), -ENOENT);
	assert_int_equal(errno, ENOENT);
	assert_null(path);

	struct target *t = target_new();
	char missing[PATH_MAX + 32];
	snprintf(missing, sizeof(missing), "%s/not-there", dir);
	char *argv[] = { missing, NULL };
	errno = 0;
	assert_int_equal(target_launch(t, argv), -ENOENT);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(t->child, 0); /* nothing forked */
	target_free(t);
}

static void test_not_executable_is_eacces(void **state)
{
	(void)state;
	/* No x bit at all: even root may not execute it. */
	const char *p = file_with("plain", "#!/bin/sh\nexit 0\n", 17, 0644);
	struct target *t = target_new();
	char *argv[] = { (char *)p, NULL };
	errno = 0;
	assert_int_equal(target_launch(t, argv), -EACCES);
	assert_int_equal(errno, EACCES);
	assert_int_equal(t->child, 0);
	target_free(t);
	/* A directory is not a command either. */
	char *dargv[] = { dir, NULL };
	t = target_new();
	errno = 0;
	assert_int_equal(target_launch(t, dargv), -EACCES);
	assert_int_equal(errno, EACCES);
	target_free(t);
}

static void test_bad_elf_is_enoexec(void **state)
{
	(void)state;
	/* The ELF magic, then nothing an ELF loader accepts. */
	static const unsigned char junk[64] = { 0x7f, 'E', 'L', 'F', 9, 9, 9 };
	const char *p = file_with("bad-elf", junk, sizeof(junk), 0755);
	struct target *t = target_new();
	char *argv[] = { (char *)p, NULL };
	/* Launching only forks a held child: it fails at the exec. */
	assert_int_equal(target_launch(t, argv), 0);
	assert_true(t->child > 0);
	errno = 0;
	assert_int_equal(target_release(t), -ENOEXEC);
	assert_int_equal(errno, ENOEXEC);
	/* The failed child is reaped: nothing is left behind. */
	assert_true(t->child_reaped);
	assert_true(target_child_done(t));
	target_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_command_is_enoent),
		cmocka_unit_test(test_not_executable_is_eacces),
		cmocka_unit_test(test_bad_elf_is_enoexec),
	};
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
