/*
 * diff: comparing two profiles. The text form lists the functions whose
 * share of samples changed most; the folded form is FlameGraph's
 * "stack before after" lines (difffolded). The SVG form is in svg.h.
 * Returns 0 or a negative errno.
 */
#ifndef PROWL_DIFF_H
#define PROWL_DIFF_H

#include <stdio.h>

#include "formats/format.h"

int diff_write_text(const struct profile *before, const struct profile *after, FILE *out,
		    const struct write_opts *o);
int diff_write_folded(const struct profile *before, const struct profile *after, FILE *out,
		      const struct write_opts *o);

#endif
