/*
 * fuzz_perf_record: the perf_event record decoder on any bytes. The input is
 * laid into an in-memory perf ring (starting at an offset taken from its
 * first two bytes, so records straddle the end of the buffer), then drained
 * by the perf backend's own code: ring reading (perf_ring.c), time ordering,
 * and the SAMPLE (registers, stack copy, callchain), MMAP2, COMM, FORK, EXIT,
 * LOST and THROTTLE decoders, with samples unwound by libunwind through
 * prowl's accessors. The target is a fake process FUZZ_PID with this
 * process's mappings plus samples/bin/cpu mapped at FUZZ_BASE, so seeds
 * (tests/fuzz/make_seeds.py) can point registers at real code and CFI
 * whatever the address-space layout. Besides the ops, it touches only
 * perf_state's per-CPU rings and heads[].scratch (what open_thread() sets
 * up for a ring). The third byte picks DWARF or
 * frame-pointer mode, --kernel, and a hold before the drain.
 */
// fuzz-includes: profiler/capture/perf_sampler.c
#include "profiler/capture/perf_sampler.c"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#define FUZZ_PID 4242
#define FUZZ_BASE 0x10000000ull

static char cpu_path[PATH_MAX];
static struct stat cpu_st;

/* samples/bin/cpu next to build-fuzz/ (the repository root is two levels up
 * from build-fuzz/fuzz_perf_record). */
static void find_cpu_sample(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	snprintf(cpu_path, sizeof(cpu_path), "%s/../samples/bin/cpu", exe);
	if (stat(cpu_path, &cpu_st))
		cpu_path[0] = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static uint64_t events, samples;
static size_t last_depth;

static void on_event(void *ctx, const struct sampler_event *ev)
{
	const struct capture_opts *o = ctx;
	events++;
	if (ev->kind == SAMPLER_SAMPLE) {
		const struct sampler_sample *sm = &ev->sample;
		if (sm->nuser > o->max_depth || sm->nkernel > o->max_depth)
			abort();
		volatile uint64_t sink = 0;
		for (size_t i = 0; i < sm->nuser; i++)
			sink += sm->user[i];
		for (size_t i = 0; i < sm->nkernel; i++)
			sink += sm->kernel[i];
		(void)sink;
		samples++;
		last_depth = sm->nuser;
	} else if (ev->kind == SAMPLER_COMM) {
		(void)strlen(ev->comm.name);
	} else if (ev->kind == SAMPLER_MMAP) {
		(void)strlen(ev->mmap.path);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (len < 3)
		return 0;
	uint64_t start = (uint64_t)data[0] | (uint64_t)data[1] << 8;
	uint8_t mode = data[2];
	data += 3;
	len -= 3;
	uint64_t size = 4096;
	while (size < len)
		size *= 2;
	start &= (size - 1) & ~(uint64_t)7; /* the kernel keeps data_tail 8-aligned */

	struct capture_opts o;
	capture_opts_init(&o);
	o.unwind = (mode & 1) ? CAPTURE_UNWIND_FP : CAPTURE_UNWIND_DWARF;
	o.kernel = (mode & 2) != 0;
	o.children = false; /* a FORK record would make us read a real process's maps */
	o.stack_size = 8192;
	o.max_depth = 64;

	static bool once;
	if (!once) {
		find_cpu_sample();
		once = true;
	}
	struct target *t = target_new();
	struct target_proc *self = target_proc(t, FUZZ_PID, true);
	target_thread(self, FUZZ_PID, true);
	self->maps->pid = getpid();
	maps_load(self->maps);
	if (cpu_path[0]) {
		/* As ld.so maps it: R, R+X, R, RW (see readelf -l samples/bin/cpu). */
		static const uint64_t seg[][4] = { { 0, 0x1000, 0, MAPS_PROT_READ },
						   { 0x1000, 0x1000, 0x1000, MAPS_PROT_READ | MAPS_PROT_EXEC },
						   { 0x2000, 0x1000, 0x2000, MAPS_PROT_READ },
						   { 0x3000, 0x2000, 0x2000, MAPS_PROT_READ | MAPS_PROT_WRITE } };
		for (size_t i = 0; i < 4; i++)
			maps_add(self->maps, FUZZ_BASE + seg[i][0], seg[i][1], seg[i][2], (uint32_t)seg[i][3], cpu_path,
				 cpu_st.st_dev, cpu_st.st_ino);
	}
	struct unwinder *u = o.unwind == CAPTURE_UNWIND_DWARF ? unwinder_new(t->modules, o.max_depth) : NULL;

	/* The backend's own open (a probe event on this process, then nothing:
	 * no process is in the target yet). */
	struct sampler s = { .ops = &perf_sampler_ops };
	s.env.opts = &o;
	s.env.target = t;
	s.env.unwinder = u;
	s.env.emit = on_event;
	s.env.ctx = &o;
	struct target_proc *keep = t->procs[0];
	t->nprocs = 0;
	int r = s.ops->open(&s);
	t->nprocs = 1;
	t->procs[0] = keep;
	if (r) {
		fprintf(stderr, "fuzz_perf_record: the perf backend does not open here: %s\n", s.err);
		abort();
	}
	struct perf_state *ps = s.priv;

	struct perf_event_mmap_page *meta = xcalloc(1, sizeof(*meta));
	unsigned char *ring = xcalloc(1, size);
	for (size_t i = 0; i < len; i++)
		ring[(start + i) & (size - 1)] = data[i];
	meta->data_tail = start;
	meta->data_head = start + len;
	perf_ring_init_mem(&ps->rings[0], meta, ring, size);
	ps->rings[0].fd = 0; /* "open": the backend skips rings without an fd */
	/* What open_thread() allocates with a ring (freed by close). */
	ps->heads[0].scratch = xmalloc(PERF_RING_SCRATCH);

	uint64_t e0 = events, s0 = samples;
	/* Held first (top's refresh): records moved out of the ring, samples'
	 * stack copies trimmed, then read before the ring's. */
	if (mode & 4)
		s.ops->hold(&s);
	s.ops->poll(&s);
	s.ops->stop(&s);
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz_perf_record: %llu events, %llu samples, last depth %zu\n",
			(unsigned long long)(events - e0), (unsigned long long)(samples - s0), last_depth);
	perf_ring_unmap(&ps->rings[0]); /* a memory ring: frees only what it held */
	s.ops->close(&s);

	free(ring);
	free(meta);
	if (u)
		unwinder_free(u);
	target_free(t);
	capture_opts_release(&o);
	return 0;
}
