/*
 * svg_script: the script embedded in every flame graph prowl draws (zoom,
 * search, details). Kept apart from svg.c so the drawing code stays readable.
 */
#ifndef PROWL_SVG_SCRIPT_H
#define PROWL_SVG_SCRIPT_H

extern const char svg_script[];

#endif
