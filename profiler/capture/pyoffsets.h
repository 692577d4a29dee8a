/*
 * pyoffsets: where CPython keeps what prowl reads to walk Python frames, per
 * minor version. 3.6-3.12 use a table compiled in (built from, and checked by
 * tests/integration/test_python_offsets.sh against, the DWARF of each pyenv
 * libpython); 3.13 takes the _Py_DebugOffsets block the interpreter itself
 * keeps at the start of _PyRuntime and completes it from the 3.13 table.
 * Offsets are byte offsets into the target's structs; PYOFF_NONE means the
 * field does not exist in that version. Tables are static: nothing to free.
 * Functions return 0 or a negative errno (errno set) with a message in err.
 */
#ifndef PROWL_PYOFFSETS_H
#define PROWL_PYOFFSETS_H

#include <stddef.h>
#include <stdint.h>

#define PYOFF_NONE (-1)

struct py_offsets {
	int major, minor;
	/* _PyRuntimeState (3.7+): interpreters.head and, up to 3.11, the
	 * gilstate.tstate_current pointer (the GIL holder). */
	int32_t rt_interp_head, rt_gil_tstate;
	/* PyInterpreterState: next, the thread list head, and (3.12+) ceval.gil,
	 * a pointer to the struct _gil_runtime_state whose locked/last_holder
	 * fields come next. */
	int32_t is_next, is_tstate_head, is_gil_ptr, gil_locked, gil_holder;
	/* PyThreadState: next, the frame pointer (frame <= 3.10, cframe 3.11-3.12,
	 * current_frame 3.13), _PyCFrame.current_frame (3.11-3.12), the pthread_t
	 * and (3.8+) the OS thread id. */
	int32_t ts_next, ts_frame, cf_current_frame, ts_thread_id, ts_native_thread_id;
	/* The frame (PyFrameObject <= 3.10, _PyInterpreterFrame 3.11+): previous,
	 * code object, f_lasti (int, <= 3.10) or prev_instr/instr_ptr (pointer,
	 * 3.11+), is_entry (bool, 3.11) and owner (char, 3.11+). */
	int32_t fr_previous, fr_code, fr_lasti, fr_is_entry, fr_owner;
	/* PyCodeObject: filename, name, qualname (3.11+), firstlineno, the line
	 * table (co_lnotab <= 3.9, co_linetable 3.10+), and for 3.11+ where the
	 * bytecode starts (co_code_adaptive) and _co_firsttraceable. */
	int32_t co_filename, co_name, co_qualname, co_firstlineno, co_linetable;
	int32_t co_code_adaptive, co_firsttraceable;
	/* Strings and bytes: PyASCIIObject.length/.state, sizeof(PyASCIIObject)
	 * and sizeof(PyCompactUnicodeObject) (where compact data starts), and
	 * PyBytesObject's ob_size and ob_sval. */
	int32_t uni_length, uni_state, uni_ascii_size, uni_compact_size;
	int32_t bytes_size, bytes_sval;
	/* PyObject.ob_type. */
	int32_t ob_type;
	/* The GIL's struct _gil_runtime_state (its mutex and condition variables,
	 * which a thread waiting for the GIL sleeps on): where it is in
	 * _PyRuntimeState (3.7-3.11; 3.12+ through is_gil_ptr; 3.6 keeps static
	 * variables, found by their symbols) and its size. */
	int32_t rt_gil, gil_size;
	/* Thread names: PyInterpreterState's modules dict (sys.modules; 3.12+
	 * interp->imports.modules) and PyHeapTypeObject.ht_cached_keys (the
	 * shared keys of a class's instances' split or inline values, 3.11+). */
	int32_t is_modules, ht_cached_keys;
};

/* Owners of a 3.11+ _PyInterpreterFrame (Include/internal/pycore_frame.h);
 * a CSTACK frame is the shim _PyEval_EvalFrameDefault pushes on entry (3.12+). */
enum { PY_FRAME_OWNED_BY_THREAD = 0, PY_FRAME_OWNED_BY_GENERATOR = 1,
       PY_FRAME_OWNED_BY_FRAME_OBJECT = 2, PY_FRAME_OWNED_BY_CSTACK = 3 };

/* The compiled-in table of 3.MINOR (3.6 to 3.13), or NULL with errno ENOENT. */
const struct py_offsets *pyoffsets_table(int major, int minor);

/* The first bytes of 3.13's _Py_DebugOffsets and how many to read. */
#define PY_DEBUG_OFFSETS_COOKIE "xdebugpy"
#define PY_DEBUG_OFFSETS_SIZE 584 /* sizeof(_Py_DebugOffsets) in 3.13 */

/* Fills out from the _Py_DebugOffsets block buf (len bytes, as read from the
 * start of the target's _PyRuntime): checks the cookie, that the version is
 * 3.13 and that the build is not free-threaded, copies the offsets it holds
 * and takes the few it lacks (_co_firsttraceable, sizeof the compact unicode
 * header) from the 3.13 table. -EPROTO with a message when the block is not
 * one prowl understands; version_hex gets the block's PY_VERSION_HEX (0 if
 * the cookie is wrong). */
int pyoffsets_from_debug(const void *buf, size_t len, struct py_offsets *out, uint32_t *version_hex,
			 char *err, size_t errlen);

#endif
