/*
 * progress: the one status line `prowl record` keeps on a terminal while it
 * records (elapsed, samples, rate, lost, threads, prowl's own CPU), rewritten
 * in place about once a second and erased (\r, ESC[K) before anything else
 * is printed. Off when stderr is not a terminal or with -q: then it prints
 * nothing at all. Memory: the struct is the caller's; no errors to report.
 */
#ifndef PROWL_PROGRESS_H
#define PROWL_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "profiler/capture/session.h"

struct progress {
	FILE *out;
	bool on;
	bool shown;        /* a line is on the screen */
	uint64_t last_ns;  /* elapsed at the last line */
	uint64_t last_samples, last_cpu_ns;
	uint64_t next_ns;  /* now_ns() when the next line is due */
};

/* on: the caller wants a status line (not -q); it is shown only when out is
 * a terminal. */
void progress_init(struct progress *p, FILE *out, bool on);
/* Whether a line is due (cheap: call it on every wake-up, and
 * session_stats() + progress_tick() only when it says so). */
bool progress_due(const struct progress *p);
/* Rewrites the line when a second has passed since the last one. */
void progress_tick(struct progress *p, const struct session_stats *st);
/* Erases the line (if one is shown): call before printing anything else. */
void progress_clear(struct progress *p);

#endif
