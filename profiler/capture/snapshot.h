/*
 * snapshot: the aggregate of a capture turned into a struct profile. Every
 * (module, address) node of the aggregate's trie is named through the one
 * resolver (resolve.h), inline frames expanded, and added to the profile with
 * its module (path, build-id, symbol capabilities, first executable mapping)
 * and its thread (pid, tid, name from the target). Used by the session for
 * record and top, and by tests that drive a backend without a session.
 *
 * Memory: snapshot_fill keeps nothing; the profile's strings are its own
 * copies. An image (below) keeps what it names until freed. Cannot fail
 * except out of memory (fatal).
 */
#ifndef PROWL_SNAPSHOT_H
#define PROWL_SNAPSHOT_H

#include "profiler/capture/aggregate.h"
#include "profiler/capture/resolve.h"
#include "profiler/capture/target.h"
#include "profiler/model/profile.h"

/* A process's command name (its main thread's comm): the root of its stacks
 * when a capture spans several processes. Never NULL. */
const char *snapshot_process_name(struct target *t, pid_t pid);
/* Adds a's stacks and counts to p (its meta is the caller's). With several
 * processes in t, every stack starts at a FRAME_THREAD root named after its
 * process (snapshot_process_name). */
void snapshot_fill(struct profile *p, const struct aggregate *a, struct resolver *r, struct target *t);
/* The same, and the capture's time order sq (in a's threads and nodes; NULL:
 * none) carried over to p->seq in p's. */
struct seq;
void snapshot_fill_seq(struct profile *p, const struct aggregate *a, const struct seq *sq, struct resolver *r,
		       struct target *t);


/* An image kept between snapshots of one capture (top's refreshes): the
 * aggregate only grows (nodes keep their numbers), so each snapshot names
 * and interns only the nodes added since the last one, and hands out a copy
 * of the image with the aggregate's counts. The image holds one profile's
 * frames and nodes; it must be used with one aggregate, resolver and target
 * throughout. */
struct snapshot_image;
struct snapshot_image *snapshot_image_new(void);
void snapshot_image_free(struct snapshot_image *im);
/* A new profile, as snapshot_fill would fill an empty one (meta left to the
 * caller; no time order). Caller frees it. */
struct profile *snapshot_image_take(struct snapshot_image *im, const struct aggregate *a, struct resolver *r,
				    struct target *t);
/* After a take whose resolver run was cut short (resolve_end() > 0): the
 * stacks that take named are named again by the next one, so fallback
 * names do not stay. The lineage stays. */
void snapshot_image_rewind(struct snapshot_image *im);

#endif
