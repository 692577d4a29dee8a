/*
 * fuzz_offcpu: the parser of /proc/PID/task/TID/syscall
 * (profiler/capture/offcpu.c) on any bytes. A parse either fails with
 * -EINVAL and leaves the call cleared, or gives one of the three forms with
 * its fields in range; the state it maps to always has a name.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/capture/offcpu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	/* An exact-size copy: a read past len is caught by ASan. */
	char *text = malloc(len ? len : 1);
	memcpy(text, data, len);
	struct offcpu_call c;
	int r = offcpu_parse_syscall(text, len, &c);
	if (r != 0 && r != -EINVAL)
		abort();
	if (r) {
		if (c.where != OFFCPU_RUNNING || c.nr || c.sp || c.pc)
			abort();
	} else {
		if (c.where != OFFCPU_RUNNING && c.where != OFFCPU_IN_CALL && c.where != OFFCPU_NO_CALL)
			abort();
		if (c.where == OFFCPU_IN_CALL && c.nr < 0)
			abort();
		if (c.where == OFFCPU_NO_CALL && c.nr != -1)
			abort();
		int nr;
		char buf[48];
		enum sample_state st = offcpu_state(&c, &nr);
		const char *name = offcpu_state_name(st, nr, buf, sizeof(buf));
		if (!name || name[0] != '[')
			abort();
		enum sample_state st2;
		int nr2;
		offcpu_state_decode(offcpu_state_code(st, nr), &st2, &nr2);
		if (st2 != st || nr2 != nr)
			abort();
	}
	free(text);
	return 0;
}
