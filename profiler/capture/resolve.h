/*
 * resolve: the one symbolizing step of capture. Turns a (module, ELF vaddr,
 * kind) frame, as the aggregator stores it, into named profile frames, and an
 * absolute address of a process into such a frame. It owns the symbolizer,
 * the table of symbolizer handles per module (opened on first use, with the
 * bytes that ran when the file was replaced since it was mapped) and the one
 * cache of results: each frame is looked up once per resolver, whoever asks
 * (record and top through the session and snapshot, dump, the tests).
 *
 * Memory: a struct resolved and its strings belong to the resolver and stay
 * valid until resolve_free(). Modules are borrowed: the module_set they come
 * from must outlive the resolver. Nothing here fails except out of memory
 * (fatal): an address nobody can name gives one frame "[unknown]" or
 * "file+0xOFFSET" with named == false.
 */
#ifndef PROWL_RESOLVE_H
#define PROWL_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profiler/capture/maps.h"
#include "profiler/model/profile.h"

struct symbolizer;
struct sym_module;

/* The frames of one address, innermost (most inlined) first; the last one is
 * the real function. frames[i].module is -1 (the snapshot sets it). */
struct resolved {
	struct profile_frame *frames;
	uint32_t nframes;  /* >= 1 */
	bool named;        /* the symbolizer knew the address (else one fallback frame) */
};

/* Frame kinds, as the aggregator stores them (enum agg_kind). */
enum resolve_kind {
	RESOLVE_USER = 0,
	RESOLVE_KERNEL = 1,
	RESOLVE_STATE = 2, /* addr is an enum sample_state: a wall-clock pseudo leaf */
	RESOLVE_PYTHON = 3, /* addr is an id from resolve_python_id(): a FRAME_PYTHON frame */
};

struct resolver;

struct resolver *resolve_new(void);
void resolve_free(struct resolver *r);

/* The frames of addr in module m (NULL: no module, addr absolute). kind is an
 * enum resolve_kind; kernel frames need no module. Between resolve_begin()
 * with a cancel callback and resolve_end(), a result not in the cache may be
 * valid only until the next call (see resolve_begin). */
const struct resolved *resolve_frame(struct resolver *r, struct module *m, uint64_t addr, unsigned kind);

/* Starts a run of lookups that may be cut short: before each address not yet
 * cached, cancel(arg) is asked (NULL: never); once it said yes, only modules
 * already open are looked in (opening and indexing another can take
 * seconds), and an address of a module not opened gets its fallback frame,
 * which is not cached, so a later run names it. resolve_end() ends the run
 * and returns how many lookups were left unnamed that way. */
void resolve_begin(struct resolver *r, bool (*cancel)(void *arg), void *arg);
uint64_t resolve_end(struct resolver *r);

/* Which module an absolute user address of a process belongs to: a file
 * mapping (then *vaddr is the ELF vaddr), or anonymous executable memory (the
 * process's JIT pseudo module from ms, named by /tmp/perf-PID.map, *vaddr =
 * addr). Returns 0, or -ENOENT with *mod NULL and *vaddr = addr. */
int resolve_locate(struct module_set *ms, const struct maps *maps, uint64_t addr, struct module **mod,
		   uint64_t *vaddr);

/* The symbolizer handle of m (opened on first use; in a run cut short by
 * cancel, only if already open), or NULL when it cannot be read; for the
 * module's capabilities (sym_module_caps). */
struct sym_module *resolve_module(struct resolver *r, struct module *m);
/* Takes note, while pid still runs, of who it is (uid, namespace pid, root),
 * so its perf map is found and trusted after it exits. 0 or -errno (errno set). */
int resolve_watch_process(struct resolver *r, pid_t pid);

/* The id of a CPython frame (qualified name, file, line; line <= 0: unknown),
 * interned at capture time so the aggregate stores it like an address:
 * resolve_frame(r, NULL, id, RESOLVE_PYTHON) gives it back as a FRAME_PYTHON
 * profile frame. Strings are copied. */
uint64_t resolve_python_id(struct resolver *r, const char *name, const char *file, int line);

#endif
