/*
 * svg: the interactive flame graph, drawn by prowl into one self-contained
 * SVG file (zoom, search, tooltips in an embedded script), and the
 * differential flame graph of two profiles. Returns 0 or a negative errno.
 */
#ifndef PROWL_SVG_H
#define PROWL_SVG_H

#include <stdio.h>

#include "formats/format.h"

int svg_write(const struct profile *p, FILE *out, const struct write_opts *o);
/* Widths from after; a frame is red where its share of self samples grew
 * since before and blue where it shrank (shares, so totals may differ). */
int svg_write_diff(const struct profile *before, const struct profile *after, FILE *out,
		   const struct write_opts *o);

#endif
