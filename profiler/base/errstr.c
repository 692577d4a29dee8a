#include "profiler/base/errstr.h"

#include <stdio.h>
#include <string.h>

const char *errstr(int err)
{
	static __thread char buf[128];
	snprintf(buf, sizeof(buf), "%s", strerror(err < 0 ? -err : err));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z') && buf[1] != '/')
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}
