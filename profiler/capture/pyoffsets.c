/*
 * The tables below were generated from the DWARF of pyenv's libpython 3.6.15,
 * 3.7.16, 3.8.18, 3.9.18, 3.10.13, 3.11.7, 3.12.1 and 3.13.0 by
 * `build/tests/helpers/pyoffsets_check --print LIB 3.N` and are re-checked by
 * tests/integration/test_python_offsets.sh. Offsets of these structs do not
 * change within a minor version of a release build on x86-64 (CPython keeps
 * the ABI of a minor version); a debug or free-threaded build differs, and is
 * refused before a table is used (3.13 by its _Py_DebugOffsets, older ones
 * by the library name: see python.c).
 */
#include "profiler/capture/pyoffsets.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct py_offsets py36 = {
	.major = 3, .minor = 6, .rt_interp_head = -1, .rt_gil_tstate = -1, .is_next = 0,
	.is_tstate_head = 8, .is_gil_ptr = -1, .gil_locked = -1, .gil_holder = -1, .ts_next = 8,
	.ts_frame = 24, .cf_current_frame = -1, .ts_thread_id = 152, .ts_native_thread_id = -1,
	.fr_previous = 24, .fr_code = 32, .fr_lasti = 120, .fr_is_entry = -1, .fr_owner = -1,
	.co_filename = 96, .co_name = 104, .co_qualname = -1, .co_firstlineno = 36,
	.co_linetable = 112, .co_code_adaptive = -1, .co_firsttraceable = -1, .uni_length = 16,
	.uni_state = 32, .uni_ascii_size = 48, .uni_compact_size = 72, .bytes_size = 16,
	.bytes_sval = 32, .ob_type = 8, .rt_gil = -1, .gil_size = -1,
	.is_modules = 16, .ht_cached_keys = 856,
};

static const struct py_offsets py37 = {
	.major = 3, .minor = 7, .rt_interp_head = 24, .rt_gil_tstate = 1480, .is_next = 0,
	.is_tstate_head = 8, .is_gil_ptr = -1, .gil_locked = -1, .gil_holder = -1, .ts_next = 8,
	.ts_frame = 24, .cf_current_frame = -1, .ts_thread_id = 176, .ts_native_thread_id = -1,
	.fr_previous = 24, .fr_code = 32, .fr_lasti = 104, .fr_is_entry = -1, .fr_owner = -1,
	.co_filename = 96, .co_name = 104, .co_qualname = -1, .co_firstlineno = 36,
	.co_linetable = 112, .co_code_adaptive = -1, .co_firsttraceable = -1, .uni_length = 16,
	.uni_state = 32, .uni_ascii_size = 48, .uni_compact_size = 72, .bytes_size = 16,
	.bytes_sval = 32, .ob_type = 8, .rt_gil = 1264, .gil_size = 208,
	.is_modules = 40, .ht_cached_keys = 856,
};

static const struct py_offsets py38 = {
	.major = 3, .minor = 8, .rt_interp_head = 32, .rt_gil_tstate = 1368, .is_next = 0,
	.is_tstate_head = 8, .is_gil_ptr = -1, .gil_locked = -1, .gil_holder = -1, .ts_next = 8,
	.ts_frame = 24, .cf_current_frame = -1, .ts_thread_id = 176, .ts_native_thread_id = -1,
	.fr_previous = 24, .fr_code = 32, .fr_lasti = 104, .fr_is_entry = -1, .fr_owner = -1,
	.co_filename = 104, .co_name = 112, .co_qualname = -1, .co_firstlineno = 40,
	.co_linetable = 120, .co_code_adaptive = -1, .co_firsttraceable = -1, .uni_length = 16,
	.uni_state = 32, .uni_ascii_size = 48, .uni_compact_size = 72, .bytes_size = 16,
	.bytes_sval = 32, .ob_type = 8, .rt_gil = 1152, .gil_size = 208,
	.is_modules = 56, .ht_cached_keys = 872,
};

static const struct py_offsets py39 = {
	.major = 3, .minor = 9, .rt_interp_head = 32, .rt_gil_tstate = 568, .is_next = 0,
	.is_tstate_head = 8, .is_gil_ptr = -1, .gil_locked = -1, .gil_holder = -1, .ts_next = 8,
	.ts_frame = 24, .cf_current_frame = -1, .ts_thread_id = 176, .ts_native_thread_id = -1,
	.fr_previous = 24, .fr_code = 32, .fr_lasti = 104, .fr_is_entry = -1, .fr_owner = -1,
	.co_filename = 104, .co_name = 112, .co_qualname = -1, .co_firstlineno = 40,
	.co_linetable = 120, .co_code_adaptive = -1, .co_firsttraceable = -1, .uni_length = 16,
	.uni_state = 32, .uni_ascii_size = 48, .uni_compact_size = 72, .bytes_size = 16,
	.bytes_sval = 32, .ob_type = 8, .rt_gil = 352, .gil_size = 208,
	.is_modules = 856, .ht_cached_keys = 864,
};

static const struct py_offsets py310 = {
	.major = 3, .minor = 10, .rt_interp_head = 32, .rt_gil_tstate = 568, .is_next = 0,
	.is_tstate_head = 8, .is_gil_ptr = -1, .gil_locked = -1, .gil_holder = -1, .ts_next = 8,
	.ts_frame = 24, .cf_current_frame = -1, .ts_thread_id = 176, .ts_native_thread_id = -1,
	.fr_previous = 24, .fr_code = 32, .fr_lasti = 96, .fr_is_entry = -1, .fr_owner = -1,
	.co_filename = 104, .co_name = 112, .co_qualname = -1, .co_firstlineno = 40,
	.co_linetable = 120, .co_code_adaptive = -1, .co_firsttraceable = -1, .uni_length = 16,
	.uni_state = 32, .uni_ascii_size = 48, .uni_compact_size = 72, .bytes_size = 16,
	.bytes_sval = 32, .ob_type = 8, .rt_gil = 352, .gil_size = 208,
	.is_modules = 856, .ht_cached_keys = 872,
};

static const struct py_offsets py311 = {
	.major = 3, .minor = 11, .rt_interp_head = 40, .rt_gil_tstate = 576, .is_next = 0,
	.is_tstate_head = 16, .is_gil_ptr = -1, .gil_locked = -1, .gil_holder = -1, .ts_next = 8,
	.ts_frame = 56, .cf_current_frame = 8, .ts_thread_id = 152, .ts_native_thread_id = 160,
	.fr_previous = 48, .fr_code = 32, .fr_lasti = 56, .fr_is_entry = 68, .fr_owner = 69,
	.co_filename = 112, .co_name = 120, .co_qualname = 128, .co_firstlineno = 72,
	.co_linetable = 136, .co_code_adaptive = 184, .co_firsttraceable = 168, .uni_length = 16,
	.uni_state = 32, .uni_ascii_size = 48, .uni_compact_size = 72, .bytes_size = 16,
	.bytes_sval = 32, .ob_type = 8, .rt_gil = 360, .gil_size = 208,
	.is_modules = 888, .ht_cached_keys = 872,
};

static const struct py_offsets py312 = {
	.major = 3, .minor = 12, .rt_interp_head = 40, .rt_gil_tstate = -1, .is_next = 0,
	.is_tstate_head = 72, .is_gil_ptr = 384, .gil_locked = 16, .gil_holder = 8, .ts_next = 8,
	.ts_frame = 56, .cf_current_frame = 0, .ts_thread_id = 136, .ts_native_thread_id = 144,
	.fr_previous = 8, .fr_code = 0, .fr_lasti = 56, .fr_is_entry = -1, .fr_owner = 70,
	.co_filename = 112, .co_name = 120, .co_qualname = 128, .co_firstlineno = 68,
	.co_linetable = 136, .co_code_adaptive = 192, .co_firsttraceable = 176, .uni_length = 16,
	.uni_state = 32, .uni_ascii_size = 40, .uni_compact_size = 56, .bytes_size = 16,
	.bytes_sval = 32, .ob_type = 8, .rt_gil = -1, .gil_size = 208,
	.is_modules = 944, .ht_cached_keys = 880,
};

static const struct py_offsets py313 = {
	.major = 3, .minor = 13, .rt_interp_head = 632, .rt_gil_tstate = -1, .is_next = 7264,
	.is_tstate_head = 7344, .is_gil_ptr = 16, .gil_locked = 16, .gil_holder = 8, .ts_next = 8,
	.ts_frame = 72, .cf_current_frame = -1, .ts_thread_id = 152, .ts_native_thread_id = 160,
	.fr_previous = 8, .fr_code = 0, .fr_lasti = 56, .fr_is_entry = -1, .fr_owner = 70,
	.co_filename = 112, .co_name = 120, .co_qualname = 128, .co_firstlineno = 68,
	.co_linetable = 136, .co_code_adaptive = 200, .co_firsttraceable = 184, .uni_length = 16,
	.uni_state = 32, .uni_ascii_size = 40, .uni_compact_size = 56, .bytes_size = 16,
	.bytes_sval = 32, .ob_type = 8, .rt_gil = -1, .gil_size = 208,
	.is_modules = 7656, .ht_cached_keys = 880,
};

static const struct py_offsets *const tables[] = { &py36, &py37, &py38, &py39, &py310, &py311, &py312, &py313 };

const struct py_offsets *pyoffsets_table(int major, int minor)
{
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (tables[i]->major == major && tables[i]->minor == minor)
			return tables[i];
	errno = ENOENT;
	return NULL;
}

/* Byte positions in 3.13's _Py_DebugOffsets (Include/internal/pycore_runtime.h:
 * every field is a uint64_t after the 8-byte cookie). */
enum {
	DBG_VERSION = 8, DBG_FREE_THREADED = 16,
	DBG_RT_INTERP_HEAD = 40,
	DBG_IS_NEXT = 64, DBG_IS_THREADS_HEAD = 72, DBG_IS_MODULES = 88, DBG_IS_CEVAL_GIL = 112, DBG_IS_GIL_STATE = 120,
	DBG_IS_GIL_LOCKED = 136, DBG_IS_GIL_HOLDER = 144,
	DBG_TS_NEXT = 168, DBG_TS_CURRENT_FRAME = 184, DBG_TS_THREAD_ID = 192, DBG_TS_NATIVE_TID = 200,
	DBG_FR_PREVIOUS = 232, DBG_FR_EXECUTABLE = 240, DBG_FR_INSTR_PTR = 248, DBG_FR_OWNER = 264,
	DBG_CO_FILENAME = 280, DBG_CO_NAME = 288, DBG_CO_QUALNAME = 296, DBG_CO_LINETABLE = 304,
	DBG_CO_FIRSTLINENO = 312, DBG_CO_CODE_ADAPTIVE = 344,
	DBG_OB_TYPE = 360,
	DBG_BYTES_OB_SIZE = 520, DBG_BYTES_OB_SVAL = 528,
	DBG_UNI_STATE = 544, DBG_UNI_LENGTH = 552, DBG_UNI_ASCII_SIZE = 560,
	DBG_SIZE_313 = 584,
};

static uint64_t get64(const unsigned char *b, size_t at)
{
	uint64_t v;
	memcpy(&v, b + at, sizeof(v));
	return v;
}

int pyoffsets_from_debug(const void *buf, size_t len, struct py_offsets *out, uint32_t *version_hex,
			 char *err, size_t errlen)
{
	const unsigned char *b = buf;
	*version_hex = 0;
	if (len < DBG_SIZE_313 || memcmp(b, PY_DEBUG_OFFSETS_COOKIE, 8) != 0) {
		snprintf(err, errlen, "no _Py_DebugOffsets cookie at the start of _PyRuntime");
		errno = EPROTO;
		return -EPROTO;
	}
	uint64_t ver = get64(b, DBG_VERSION);
	*version_hex = (uint32_t)ver;
	int major = (int)(ver >> 24 & 0xff), minor = (int)(ver >> 16 & 0xff);
	if (major != 3 || minor != 13) {
		snprintf(err, errlen, "python %d.%d debug offsets are not supported (3.13 only)", major, minor);
		errno = EPROTO;
		return -EPROTO;
	}
	if (get64(b, DBG_FREE_THREADED) != 0) {
		snprintf(err, errlen, "free-threaded python %d.%d is not supported", major, minor);
		errno = EPROTO;
		return -EPROTO;
	}
	*out = *pyoffsets_table(3, 13);
	/* Every offset must stay inside a struct of reasonable size: a corrupt
	 * block must not turn into reads far from the object. */
	struct { int32_t *dst; unsigned at; } f[] = {
		{ &out->rt_interp_head, DBG_RT_INTERP_HEAD }, { &out->is_next, DBG_IS_NEXT },
		{ &out->is_tstate_head, DBG_IS_THREADS_HEAD }, { &out->is_modules, DBG_IS_MODULES }, { &out->is_gil_ptr, DBG_IS_CEVAL_GIL },
		{ &out->ts_next, DBG_TS_NEXT }, { &out->ts_frame, DBG_TS_CURRENT_FRAME },
		{ &out->ts_thread_id, DBG_TS_THREAD_ID }, { &out->ts_native_thread_id, DBG_TS_NATIVE_TID },
		{ &out->fr_previous, DBG_FR_PREVIOUS }, { &out->fr_code, DBG_FR_EXECUTABLE },
		{ &out->fr_lasti, DBG_FR_INSTR_PTR }, { &out->fr_owner, DBG_FR_OWNER },
		{ &out->co_filename, DBG_CO_FILENAME }, { &out->co_name, DBG_CO_NAME },
		{ &out->co_qualname, DBG_CO_QUALNAME }, { &out->co_linetable, DBG_CO_LINETABLE },
		{ &out->co_firstlineno, DBG_CO_FIRSTLINENO }, { &out->co_code_adaptive, DBG_CO_CODE_ADAPTIVE },
		{ &out->ob_type, DBG_OB_TYPE }, { &out->bytes_size, DBG_BYTES_OB_SIZE },
		{ &out->bytes_sval, DBG_BYTES_OB_SVAL }, { &out->uni_state, DBG_UNI_STATE },
		{ &out->uni_length, DBG_UNI_LENGTH }, { &out->uni_ascii_size, DBG_UNI_ASCII_SIZE },
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		uint64_t v = get64(b, f[i].at);
		if (v > (1u << 16)) {
			snprintf(err, errlen, "python 3.13 debug offsets are corrupt (field at %u is %llu)", f[i].at,
				 (unsigned long long)v);
			errno = EPROTO;
			return -EPROTO;
		}
		*f[i].dst = (int32_t)v;
	}
	/* The block gives the GIL's fields relative to the interpreter (its
	 * embedded _gil); prowl follows ceval.gil, so keep them relative to the
	 * gil struct. */
	uint64_t gs = get64(b, DBG_IS_GIL_STATE), gl = get64(b, DBG_IS_GIL_LOCKED), gh = get64(b, DBG_IS_GIL_HOLDER);
	if (gs > (1u << 16) || gl < gs || gh < gs || gl - gs > 4096 || gh - gs > 4096) {
		snprintf(err, errlen, "python 3.13 debug offsets are corrupt (gil fields)");
		errno = EPROTO;
		return -EPROTO;
	}
	out->gil_locked = (int32_t)(gl - gs);
	out->gil_holder = (int32_t)(gh - gs);
	/* A compact non-ASCII string adds utf8_length and utf8 to PyASCIIObject. */
	out->uni_compact_size = out->uni_ascii_size + 16;
	return 0;
}
