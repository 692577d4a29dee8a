/*
 * fuzz_python: the CPython readers on untrusted bytes. The first byte picks
 * the version (3.6 + low 3 bits) and what the rest is:
 *   mode 0: a line table, decoded in all three formats at an address and
 *           first line taken from the next bytes;
 *   mode 1: a 3.13 _Py_DebugOffsets block; when accepted, the rest of the
 *           input is walked as target memory with the offsets it gave;
 *   mode 2, 3: target memory (at address 0x1000) walked with the version's
 *           table, _PyRuntime (or 3.6's interp_head) at the address the
 *           second byte picks.
 * Each walked thread is then merged with a native stack made of the image's
 * first bytes (python_merge), whose output must index real frames; the GIL's
 * place (python_gil_range) is looked up too, and the threads' names
 * (python_read_names: dicts, ints and instance attributes of every layout). The merge's own properties are
 * fuzzed by fuzz_pymerge.
 * Every walk must end (bounded), free what it made and never read outside
 * the image but through the callback.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/capture/pyline.h"
#include "profiler/capture/pyoffsets.h"
#include "profiler/capture/python.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

#define BASE 0x1000u

struct image {
	const uint8_t *p;
	size_t n;
};

static int image_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct image *m = ctx;
	if (addr < BASE || len > m->n || addr - BASE > m->n - len)
		return -14;
	memcpy(buf, m->p + (addr - BASE), len);
	return 0;
}

static void walk(const struct python_target *t, const struct image *m, struct py_code_cache *cache)
{
	uint64_t g0, g1;
	if (python_gil_range(t, image_read, (void *)m, &g0, &g1) == 0 && g1 < g0)
		abort();
	struct py_stacks s;
	if (python_read_stacks(t, image_read, (void *)m, cache, &s) == 0) {
		for (size_t i = 0; i < s.nthreads; i++) {
			if (s.threads[i].nframes > PY_MAX_FRAMES)
				abort();
			for (size_t j = 0; j < s.threads[i].nframes; j++)
				if (!s.threads[i].frames[j].name || !s.threads[i].frames[j].file)
					abort();
			/* merge with a made-up native stack taken from the image */
			bool is_eval[64];
			size_t n = m->n < 64 ? m->n : 64;
			for (size_t j = 0; j < n; j++)
				is_eval[j] = m->p[j] & 1;
			struct py_merged out[96];
			bool partial;
			size_t k = python_merge(is_eval, n, &s.threads[i], out, 96, &partial);
			for (size_t j = 0; j < k; j++)
				if (out[j].python ? out[j].index >= s.threads[i].nframes : out[j].index >= n)
					abort();
		}
		python_stacks_release(&s);
	}
	/* thread names: sys.modules -> threading._active -> each Thread's dict */
	struct py_names names;
	struct py_names_hint hint = { 0, 0, 0, 0 }; /* any hint, checked */
	if (m->n >= 4)
		hint = (struct py_names_hint){ m->p[0], m->p[1], m->p[2], m->p[3] };
	for (int pass = 0; pass < 2; pass++) { /* the second with the places the first found */
		if (python_read_names(t, image_read, (void *)m, &hint, &names) == 0) {
			if (names.n > PY_MAX_THREADS)
				abort();
			for (size_t i = 0; i < names.n; i++)
				if (!names.v[i].name || !names.v[i].tid || names.v[i].tid > INT32_MAX)
					abort();
			python_names_release(&names);
		} else if (names.n || names.v) {
			abort(); /* a failed read leaves nothing behind */
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (len < 2)
		return 0;
	int minor = 6 + (data[0] & 7), mode = data[0] >> 3 & 3;
	if (mode == 0) {
		if (len < 5)
			return 0;
		int addr = (int16_t)(data[1] | data[2] << 8), first = (int16_t)(data[3] | data[4] << 8);
		for (int f = PYLINE_LNOTAB; f <= PYLINE_LOCATIONS; f++)
			(void)pyline_addr2line(f, data + 5, len - 5, first, addr);
		char *s = python_ucs_to_utf8(data + 5, (len - 5) / 4, 1 << (data[1] % 3));
		free(s);
		return 0;
	}
	struct python_target t;
	memset(&t, 0, sizeof(t));
	t.major = 3;
	if (mode == 1) {
		uint32_t hex;
		char err[160];
		if (pyoffsets_from_debug(data + 1, len - 1, &t.off, &hex, err, sizeof(err)) < 0)
			return 0;
		t.minor = 13;
		t.runtime = BASE;
		struct image m = { data + 1, len - 1 };
		walk(&t, &m, NULL);
		return 0;
	}
	t.minor = minor;
	t.off = *pyoffsets_table(3, minor);
	uint64_t at = BASE + 8u * data[1];
	if (minor == 6) {
		t.interp_head = at;
		t.tstate_current = BASE;
	} else {
		t.runtime = at;
	}
	if (mode == 3)
		t.code_type = BASE + 8;
	struct image m = { data + 2, len - 2 };
	/* twice through a cache: the second walk takes what the first decoded */
	struct py_code_cache *cache = python_cache_new();
	walk(&t, &m, cache);
	walk(&t, &m, cache);
	python_cache_free(cache);
	return 0;
}
