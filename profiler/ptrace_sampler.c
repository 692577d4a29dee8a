/* PLACEHOLDER: the ptrace backend; replaced by its owner. */
#include <errno.h>
#include <stdio.h>

#include "sampler.h"

static int ptrace_open(struct sampler *s)
{
	snprintf(s->err, sizeof(s->err), "the ptrace backend is not built yet");
	return -ENOSYS;
}

static int ptrace_start(struct sampler *s)
{
	(void)s;
	return -ENOSYS;
}

static size_t ptrace_fds(struct sampler *s, int *fds, size_t max)
{
	(void)s;
	(void)fds;
	(void)max;
	return 0;
}

static int ptrace_poll(struct sampler *s)
{
	(void)s;
	return 0;
}

static int ptrace_stop(struct sampler *s)
{
	(void)s;
	return 0;
}

static void ptrace_close(struct sampler *s)
{
	(void)s;
}

const struct sampler_ops ptrace_sampler_ops = {
	.name = "ptrace",
	.open = ptrace_open,
	.start = ptrace_start,
	.fds = ptrace_fds,
	.poll = ptrace_poll,
	.stop = ptrace_stop,
	.close = ptrace_close,
};
