/*
 * fuzz_pymerge: python_merge() (profiler/capture/python.c) on any native
 * stack and any thread's Python frames. The input gives the native frames
 * (bit 0 of each byte: an evaluation frame), the Python frames (bit 0: an
 * entry frame), the thread's truncated and shim_on_top flags and the output's
 * capacity. Whatever the input, the merge must:
 *   - write at most cap elements, each indexing a real frame;
 *   - keep the order of both halves (native and Python indices each rising);
 *   - keep every native frame that is not an evaluation frame, and when it
 *     did not run out of room, every Python frame exactly once;
 *   - say partial exactly when the counts of activations and evaluation
 *     frames differ, the walk was truncated, or the output was cut.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/capture/python.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

#define MAXN 96

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (len < 4)
		return 0;
	size_t n = data[0] % MAXN, np = data[1] % MAXN, cap = data[2] % (2 * MAXN + 2);
	uint8_t flags = data[3];
	data += 4;
	len -= 4;
	if (len < n + np)
		return 0;
	bool is_eval[MAXN];
	size_t neval = 0;
	for (size_t i = 0; i < n; i++) {
		is_eval[i] = data[i] & 1;
		neval += is_eval[i];
	}
	struct py_frame frames[MAXN];
	memset(frames, 0, sizeof(frames));
	for (size_t j = 0; j < np; j++)
		frames[j].is_entry = data[n + j] & 1;
	struct py_thread th;
	memset(&th, 0, sizeof(th));
	th.frames = frames;
	th.nframes = np;
	th.truncated = flags & 1;
	th.shim_on_top = flags & 2;

	size_t nact = python_activations(&th);
	size_t want = th.shim_on_top ? 1 : 0;
	for (size_t j = 0; j < np; j++)
		want += frames[j].is_entry || j + 1 == np;
	if (nact != want)
		abort();

	struct py_merged *out = malloc((cap ? cap : 1) * sizeof(*out));
	bool partial = false;
	size_t k = python_merge(is_eval, n, &th, out, cap, &partial);
	if (k > cap)
		abort();
	long last_native = -1, last_py = -1;
	size_t natives = 0, pys = 0;
	for (size_t i = 0; i < k; i++) {
		long idx = (long)out[i].index;
		if (out[i].python) {
			if (idx >= (long)np || idx <= last_py)
				abort();
			last_py = idx;
			pys++;
		} else {
			if (idx >= (long)n || idx <= last_native)
				abort();
			last_native = idx;
			natives++;
		}
	}
	/* Did it all fit? Everything it had to write: every non-evaluation
	 * frame, every Python frame, and the evaluation frames left native. */
	size_t plain = n - neval;
	bool cut = false;
	size_t need_native = plain;
	if (neval) {
		/* evaluation frames without an activation, or with an empty one */
		size_t without = neval > nact ? neval - nact : 0;
		size_t empty = th.shim_on_top && nact <= neval ? 1 : 0;
		if (th.shim_on_top && nact > neval && np == 0)
			empty = 1; /* the innermost takes every activation, all empty */
		need_native += without + empty;
	}
	if (k < need_native + np)
		cut = true;
	if (!cut) {
		if (pys != np || natives != need_native)
			abort();
	} else if (k != cap) {
		abort(); /* it stops short only when out of room */
	}
	bool want_partial = nact != neval || th.truncated || cut;
	if (neval == 0 && np == 0 && !th.shim_on_top)
		want_partial = th.truncated || cut; /* nothing on either side */
	if (partial != want_partial)
		abort();
	free(out);
	return 0;
}
