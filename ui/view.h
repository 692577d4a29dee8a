/*
 * view: the model of `prowl top`, free of curses. From profile snapshots to
 * rows of text: the flat table, the caller/callee tree, the flame view, the
 * thread picker, the help screen, the header and the key bar; keys come in as
 * VIEW_KEY_* codes through one key table. Owned by the live-view owner (ui/).
 * Nothing here fails except out of memory (fatal); nothing prints.
 */
#ifndef PROWL_VIEW_H
#define PROWL_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profiler/model/profile.h"
#include "profiler/base/util.h"

/* Keys: printable characters are themselves; the rest are these codes. */
enum view_key {
	VIEW_KEY_CTRL_C = 3,
	VIEW_KEY_TAB = 9,
	VIEW_KEY_CTRL_L = 12, /* the terminal repaints everything */
	VIEW_KEY_ENTER = 10,
	VIEW_KEY_ESC = 27,
	VIEW_KEY_BACKSPACE = 127,
	VIEW_KEY_UP = 0x10000,
	VIEW_KEY_DOWN,
	VIEW_KEY_LEFT,
	VIEW_KEY_RIGHT,
	VIEW_KEY_PGUP,
	VIEW_KEY_PGDN,
	VIEW_KEY_HOME,
	VIEW_KEY_END,
	VIEW_KEY_F1,
	VIEW_KEY_BTAB, /* shift-tab */
	VIEW_KEY_RESIZE,
};

/* What the caller must do after a key. */
enum view_action {
	VIEW_ACT_NONE = 0, /* nothing changed */
	VIEW_ACT_REDRAW,   /* the screen changed: draw it */
	VIEW_ACT_SAVE,     /* write view_profile() to the -o file */
	VIEW_ACT_QUIT,
};

/* Styles of screen cells; the terminal maps them to colours or attributes. */
enum view_style {
	VS_NORMAL = 0,
	VS_HEADER,   /* the header lines */
	VS_WARN,     /* a warning in the header (capture lags, target exited) */
	VS_STATUS,   /* the line telling what the view shows */
	VS_COLUMNS,  /* column titles */
	VS_SELECTED, /* the selected row */
	VS_HOT,      /* percentages of hot rows */
	VS_DIM,      /* locations, secondary text */
	VS_MATCH,    /* the filter prompt */
	VS_KEY,      /* a key in the key bar */
	VS_KEYTEXT,  /* its label */
	VS_FLAME0,   /* flame boxes cycle through VS_FLAME0..VS_FLAME0+VS_NFLAME-1 */
	VS_NFLAME = 4,
	VS_COUNT = VS_FLAME0 + VS_NFLAME,
};

/* One screen line: text (ASCII, exactly width cells) and one style per cell. */
struct view_line {
	char *text;
	uint8_t *style;
};

struct view_screen {
	int width, height;
	struct view_line *lines; /* height lines */
	int cursor_row, cursor_col; /* where the terminal cursor goes (-1: hidden) */
};

/* What the capture tells the header; strings are copied by view_set_status. */
struct view_status {
	int pid;
	const char *command;
	const char *backend;  /* "perf", "ptrace" */
	const char *event;    /* "cpu-clock", or NULL */
	unsigned freq;        /* Hz asked */
	double elapsed;       /* seconds since the capture started */
	uint64_t samples;     /* samples so far */
	uint64_t lost;        /* samples lost so far */
	unsigned threads;     /* threads of the target now */
	double self_cpu;      /* prowl's own CPU, share of one core over the last refresh */
	bool lagging;         /* capture falls behind: samples were lost since the last refresh */
	unsigned slow_ms;     /* a refresh took this long, more than half the delay; 0 if not */
	bool exited;          /* the target exited: the view shows the final profile */
	bool stopped;         /* the target is stopped by a signal (state T): it runs no code */
	const char *note;     /* a transient message ("saved to x.svg"), or NULL */
	/* The whole machine (top with no target): */
	bool system_wide;
	unsigned ncpus;       /* CPUs online */
	double busy_cpus;     /* CPUs busy on average */
	double idle_share;    /* 0..1: samples of the idle task among all; < 0 unknown (--cgroup) */
};

enum view_mode {
	VIEW_TABLE = 0,
	VIEW_TREE,    /* callees (or callers) of the selected function */
	VIEW_FLAME,   /* flame view of the selected function's callees */
	VIEW_THREADS, /* thread picker */
	VIEW_HELP,
};

enum view_sort {
	SORT_OWN_PCT = 0,
	SORT_TOTAL_PCT,
	SORT_OWN_TIME,
	SORT_TOTAL_TIME,
	SORT_FUNCTION,
	SORT_LOCATION,
	SORT_NCOLS,
};

struct view_opts {
	double delay;      /* seconds between refreshes (shown in help; windows step by it) */
	bool lines;        /* start at line granularity */
	unsigned window;   /* start with a window of the last N seconds, 0 = whole run */
};

struct view;

struct view *view_new(const struct view_opts *o);
void view_free(struct view *v);

/* Hands the view a new snapshot of the whole run so far; the view takes
 * ownership. now_ns is a monotonic time (windows of time use it). While frozen
 * the display keeps the old data but the snapshot is kept for later. */
void view_update(struct view *v, struct profile *snap, uint64_t now_ns);
void view_set_status(struct view *v, const struct view_status *st);

/* Feeds one key; returns what the caller must do. */
enum view_action view_key(struct view *v, int key);

/* Renders the screen for a terminal of width x height; valid until the next
 * call or view_free. */
const struct view_screen *view_render(struct view *v, int width, int height);
/* A plain text snapshot for --batch: header, then up to rows table rows, lines
 * not truncated (width 0) or cut at width. Appended to out. */
void view_render_text(struct view *v, struct strbuf *out, int width, int rows);

/* A new profile of what is on display (window, reset and thread applied, at
 * full detail), for saving; the caller frees it. */
struct profile *view_profile(struct view *v);

/* For tests and the terminal: the state the user sees. */
enum view_mode view_mode(const struct view *v);
/* Name of the selected function (table) or tree row, or NULL when none. */
const char *view_selected(const struct view *v);
/* The process column of table row i (the process with most of that
 * function's own samples, "name (pid)", "+N" when others have some too), or
 * NULL when the profile holds one process. */
const char *view_row_process(struct view *v, size_t i);
/* Rows of the current list (table rows after the filter, tree rows, threads). */
size_t view_nrows(const struct view *v);
bool view_frozen(const struct view *v);

#endif
