/* Unit tests for ui/view.c: the live view's model, driven by keys, read as screen text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profiler/model/profile.h"
#include "profiler/base/util.h"
#include "ui/view.h"

#define W 120
#define H 30
#define SEC 1000000000ull

/* Adds count samples of stack "a;b;c" (root first) on thread tid. */
static void add(struct profile *p, int tid, const char *stack, uint64_t count)
{
	uint32_t frames[64];
	size_t n = 0;
	char *copy = xstrdup(stack);
	for (char *save = NULL, *tok = strtok_r(copy, ";", &save); tok && n < 64;
	     tok = strtok_r(NULL, ";", &save)) {
		/* "name@file:line" gives a frame with a source line */
		struct profile_frame f = { .module = -1, .kind = FRAME_USER };
		char *at = strchr(tok, '@');
		if (at) {
			*at = '\0';
			char *colon = strchr(at + 1, ':');
			if (colon) {
				*colon = '\0';
				f.line = (uint32_t)atoi(colon + 1);
			}
			f.file = at + 1;
		}
		f.name = tok;
		frames[n++] = profile_frame_intern(p, &f);
	}
	uint32_t t = profile_thread_intern(p, 100, tid, tid == 100 ? "main" : tid == 101 ? "worker" : "other");
	profile_add(p, t, profile_node_path(p, frames, n), count);
	free(copy);
}

/* The 60/30/10 sample, scaled by k: main thread calls hot_a/hot_b, worker calls hot_c. */
static struct profile *cpu_profile(uint64_t k)
{
	struct profile *p = profile_new();
	p->meta.period_ns = 1000000; /* 1 ms per sample */
	add(p, 100, "main@cpu.c:40;hot_a@cpu.c:10", 60 * k);
	add(p, 100, "main@cpu.c:41;hot_b@cpu.c:20", 30 * k);
	add(p, 101, "start_thread;worker@cpu.c:50;hot_c@cpu.c:30", 10 * k);
	return p;
}

static struct view *view_with(struct profile *p)
{
	struct view_opts o = { .delay = 1.0 };
	struct view *v = view_new(&o);
	view_update(v, p, 1 * SEC);
	return v;
}

static const struct view_screen *draw(struct view *v)
{
	return view_render(v, W, H);
}

/* Row of the screen whose text contains s, or -1. */
static int find_row(const struct view_screen *s, const char *needle)
{
	for (int i = 0; i < s->height; i++)
		if (strstr(s->lines[i].text, needle))
			return i;
	return -1;
}

static bool on_screen(struct view *v, const char *needle)
{
	return find_row(draw(v), needle) >= 0;
}

static void keys(struct view *v, const char *ks)
{
	for (const char *c = ks; *c; c++)
		view_key(v, *c == '\n' ? VIEW_KEY_ENTER : *c);
}

/* The first table row (below the column titles). */
static const char *first_row(struct view *v)
{
	const struct view_screen *s = draw(v);
	int t = find_row(s, "Total  Function");
	assert_true(t >= 0);
	return s->lines[t + 1].text;
}

static void test_table_hottest_first_with_shares(void **state)
{
	(void)state;
	struct view *v = view_with(cpu_profile(1));
	const struct view_screen *s = draw(v);
	int t = find_row(s, "Total  Function");
	assert_true(t >= 0);
	assert_non_null(strstr(s->lines[t].text, "%Own"));
	assert_non_null(strstr(s->lines[t].text, "%Total"));
	assert_non_null(strstr(s->lines[t].text, "Location"));
	assert_non_null(strstr(s->lines[t + 1].text, "hot_a"));
	assert_non_null(strstr(s->lines[t + 1].text, "60.0"));
	assert_non_null(strstr(s->lines[t + 1].text, "cpu.c:10"));
	assert_non_null(strstr(s->lines[t + 1].text, "60ms")); /* 60 samples of 1 ms */
	assert_non_null(strstr(s->lines[t + 2].text, "hot_b"));
	assert_non_null(strstr(s->lines[t + 3].text, "hot_c"));
	/* main: no own time, 90% total */
	int m = find_row(s, " main ");
	assert_true(m > t + 3);
	assert_non_null(strstr(s->lines[m].text, "90.0"));
	assert_int_equal(view_nrows(v), 6);
	assert_string_equal(view_selected(v), "hot_a");
	/* every line is exactly the screen's width */
	for (int i = 0; i < s->height; i++)
		assert_int_equal(strlen(s->lines[i].text), W);
	view_free(v);
}

static void test_sort_columns_and_invert(void **state)
{
	(void)state;
	struct view *v = view_with(cpu_profile(1));
	view_key(v, '>'); /* %Total */
	const char *r = first_row(v);
	assert_true(strstr(r, "main") || strstr(r, "hot_a") == NULL);
	assert_non_null(strstr(r, "main"));
	assert_true(on_screen(v, "sort %Total desc"));
	view_key(v, 'I');
	assert_true(on_screen(v, "sort %Total asc"));
	assert_non_null(strstr(first_row(v), " 10.0 "));
	view_key(v, '>');
	view_key(v, '>');
	view_key(v, '>'); /* Function, ascending by default */
	assert_true(on_screen(v, "sort Function asc"));
	assert_non_null(strstr(first_row(v), "hot_a"));
	view_key(v, '>'); /* Location */
	view_key(v, '>'); /* back to %Own */
	assert_true(on_screen(v, "sort %Own desc"));
	view_key(v, '<');
	assert_true(on_screen(v, "sort Location"));
	view_free(v);
}

static void test_selection_follows_function_across_refreshes(void **state)
{
	(void)state;
	struct view *v = view_with(cpu_profile(1));
	view_key(v, VIEW_KEY_DOWN);
	assert_string_equal(view_selected(v), "hot_b");
	/* hot_b becomes the hottest: it moves to the top and stays selected */
	struct profile *p = cpu_profile(1);
	add(p, 100, "main@cpu.c:41;hot_b@cpu.c:20", 100);
	view_update(v, p, 2 * SEC);
	assert_string_equal(view_selected(v), "hot_b");
	const struct view_screen *s = draw(v);
	int t = find_row(s, "Total  Function");
	assert_non_null(strstr(s->lines[t + 1].text, "hot_b"));
	assert_int_equal(s->lines[t + 1].style[40], VS_SELECTED);
	view_free(v);
}

static void test_filter_substring_regex_and_clear(void **state)
{
	(void)state;
	struct view *v = view_with(cpu_profile(1));
	keys(v, "/hot_b");
	assert_true(on_screen(v, "Filter: hot_b"));
	assert_int_equal(view_nrows(v), 1);
	view_key(v, VIEW_KEY_ENTER);
	assert_true(on_screen(v, "filter \"hot_b\""));
	assert_string_equal(view_selected(v), "hot_b");
	/* a new filter: a regex */
	view_key(v, VIEW_KEY_ESC); /* Esc in the table clears the filter */
	assert_int_equal(view_nrows(v), 6);
	keys(v, "/^hot_[ac]$\n");
	assert_int_equal(view_nrows(v), 2);
	assert_false(on_screen(v, " hot_b "));
	view_key(v, VIEW_KEY_ESC);
	/* not a valid regex: taken as a substring, case-insensitive */
	keys(v, "/HOT_[");
	assert_int_equal(view_nrows(v), 0);
	view_key(v, VIEW_KEY_BACKSPACE);
	assert_int_equal(view_nrows(v), 3);
	view_key(v, VIEW_KEY_ESC); /* Esc while typing cancels */
	assert_int_equal(view_nrows(v), 6);
	/* q while typing is a letter, not quit */
	view_key(v, '/');
	assert_int_equal(view_key(v, 'q'), VIEW_ACT_REDRAW);
	view_key(v, VIEW_KEY_ESC);
	view_free(v);
}

static void test_thread_cycle_and_pick(void **state)
{
	(void)state;
	struct view *v = view_with(cpu_profile(1));
	assert_true(on_screen(v, "[all threads]"));
	view_key(v, 'T');
	assert_true(on_screen(v, "[thread main (100)]"));
	assert_int_equal(view_nrows(v), 3); /* main, hot_a, hot_b */
	assert_false(on_screen(v, "hot_c"));
	/* shares are of what is shown: hot_a is 60/90 of the main thread */
	assert_non_null(strstr(first_row(v), "66.7"));
	view_key(v, 'T');
	assert_true(on_screen(v, "[thread worker (101)]"));
	assert_non_null(strstr(first_row(v), "hot_c"));
	assert_non_null(strstr(first_row(v), "100.0"));
	view_key(v, 'T');
	assert_true(on_screen(v, "[all threads]"));
	view_key(v, VIEW_KEY_BTAB);
	assert_true(on_screen(v, "[thread worker (101)]"));
	/* the list */
	view_key(v, 'H');
	assert_int_equal(view_mode(v), VIEW_THREADS);
	assert_true(on_screen(v, "all threads"));
	assert_true(on_screen(v, "worker"));
	view_key(v, VIEW_KEY_HOME);
	view_key(v, VIEW_KEY_DOWN); /* main */
	view_key(v, VIEW_KEY_ENTER);
	assert_int_equal(view_mode(v), VIEW_TABLE);
	assert_true(on_screen(v, "[thread main (100)]"));
	/* the thread stays chosen across refreshes */
	view_update(v, cpu_profile(2), 2 * SEC);
	assert_true(on_screen(v, "[thread main (100)]"));
	assert_int_equal(view_nrows(v), 3);
	view_free(v);
}

static void test_line_granularity(void **state)
{
	(void)state;
	struct profile *p = cpu_profile(1);
	add(p, 100, "main@cpu.c:40;hot_a@cpu.c:11", 20);
	struct view *v = view_with(p);
	/* function: hot_a is one row, located at its hottest line */
	assert_non_null(strstr(first_row(v), "hot_a"));
	assert_non_null(strstr(first_row(v), "cpu.c:10"));
	assert_int_equal(view_nrows(v), 6);
	view_key(v, 'L');
	assert_true(on_screen(v, "[lines]"));
	assert_true(on_screen(v, "cpu.c:11"));
	assert_int_equal(view_nrows(v), 8); /* hot_a and main on two lines each */
	assert_string_equal(view_selected(v), "hot_a");
	view_key(v, 'L');
	assert_int_equal(view_nrows(v), 6);
	view_free(v);
}

/* The location of a function row is its most sampled line, not its first:
 * report's "where" says where a function starts, the live view where its
 * time goes. */
static void test_location_is_hottest_line(void **state)
{
	(void)state;
	struct profile *p = cpu_profile(1);
	add(p, 100, "main@cpu.c:40;hot_a@cpu.c:12", 90);
	struct view *v = view_with(p);
	assert_non_null(strstr(first_row(v), "hot_a"));
	assert_non_null(strstr(first_row(v), "cpu.c:12"));
	/* and in one thread, the hottest line of that thread */
	view_key(v, 'T');
	view_key(v, 'T');
	assert_true(on_screen(v, "[thread worker (101)]"));
	assert_non_null(strstr(first_row(v), "hot_c"));
	assert_non_null(strstr(first_row(v), "cpu.c:30"));
	view_free(v);
}

static void test_tree_callees_callers_expand_collapse(void **state)
{
	(void)state;
	struct view *v = view_with(cpu_profile(1));
	/* select main and open its tree */
	keys(v, "/^main$\n");
	assert_string_equal(view_selected(v), "main");
	view_key(v, VIEW_KEY_ESC);
	assert_string_equal(view_selected(v), "main");
	view_key(v, VIEW_KEY_ENTER);
	assert_int_equal(view_mode(v), VIEW_TREE);
	assert_true(on_screen(v, "callees of main"));
	const struct view_screen *s = draw(v);
	int m = find_row(s, "[-] main");
	int a = find_row(s, "hot_a"), b = find_row(s, "hot_b");
	assert_true(m >= 0 && a > m && b > a); /* hottest callee first */
	assert_non_null(strstr(s->lines[m].text, "90.0"));
	assert_int_equal(view_nrows(v), 3);
	/* collapse the root, expand it again */
	view_key(v, VIEW_KEY_LEFT);
	assert_int_equal(view_nrows(v), 1);
	assert_true(on_screen(v, "[+] main"));
	view_key(v, VIEW_KEY_RIGHT);
	assert_int_equal(view_nrows(v), 3);
	view_key(v, VIEW_KEY_DOWN);
	assert_string_equal(view_selected(v), "hot_a");
	view_key(v, VIEW_KEY_LEFT); /* a leaf: goes to its parent */
	assert_string_equal(view_selected(v), "main");
	/* callers of hot_c: worker, then start_thread */
	view_key(v, VIEW_KEY_ESC);
	assert_int_equal(view_mode(v), VIEW_TABLE);
	keys(v, "/hot_c\n\n");
	assert_true(on_screen(v, "callees of hot_c"));
	view_key(v, 'c');
	assert_true(on_screen(v, "callers of hot_c"));
	s = draw(v);
	int c = find_row(s, "hot_c"), w = find_row(s, "worker"), st = find_row(s, "start_thread");
	assert_true(c >= 0 && w > c && st > w);
	assert_non_null(strstr(s->lines[st].text, "10.0"));
	/* the tree follows refreshes */
	view_update(v, cpu_profile(3), 2 * SEC);
	assert_true(on_screen(v, "callers of hot_c"));
	assert_int_equal(view_nrows(v), 3);
	view_free(v);
}

static void test_tree_recursion_counts_once(void **state)
{
	(void)state;
	struct profile *p = profile_new();
	add(p, 100, "main;fib;fib;fib", 10);
	add(p, 100, "main;fib;other", 10);
	struct view *v = view_with(p);
	keys(v, "/^fib$\n");
	const char *r = first_row(v);
	assert_non_null(strstr(r, "fib"));
	assert_non_null(strstr(r, "100.0")); /* total: every sample once, not three times */
	assert_non_null(strstr(r, " 50.0"));
	view_key(v, VIEW_KEY_ENTER);
	view_key(v, '*');
	assert_int_equal(view_nrows(v), 4); /* fib, fib, other, fib */
	/* the tree's top: fib once, from its outermost call only (the inner
	 * calls' subtrees are inside it already) */
	r = first_row(v);
	assert_non_null(strstr(r, "fib"));
	assert_non_null(strstr(r, "100.0"));
	view_free(v);
}

static void test_flame_of_selection(void **state)
{
	(void)state;
	struct view *v = view_with(cpu_profile(1));
	keys(v, "/^main$\n");
	view_key(v, 'f');
	assert_int_equal(view_mode(v), VIEW_FLAME);
	const struct view_screen *s = draw(v);
	int top = find_row(s, "main (90.0%)");
	assert_true(top >= 0);
	/* below it hot_a's box is twice hot_b's: count the cells of each style run */
	const struct view_line *l = &s->lines[top + 1];
	const char *a = strstr(l->text, "hot_a"), *b = strstr(l->text, "hot_b");
	assert_non_null(a);
	assert_non_null(b);
	int wa = 0, wb = 0, xa = (int)(a - l->text), xb = (int)(b - l->text);
	while (xa + wa < W && l->style[xa + wa] == l->style[xa] && (xa + wa == xa || l->text[xa + wa - 1] != '|'))
		wa++;
	while (xb + wb < W && l->style[xb + wb] == l->style[xb] && (xb + wb == xb || l->text[xb + wb - 1] != '|'))
		wb++;
	assert_in_range(wa, 78, 82); /* 60/90 of 120 */
	assert_in_range(wb, 38, 42);
	assert_true(l->style[xa] >= VS_FLAME0 && l->style[xa] < VS_FLAME0 + VS_NFLAME);
	/* f again: everything, from the outermost frames */
	view_key(v, 'f');
	s = draw(v);
	top = find_row(s, "all (100.0%)");
	assert_true(top >= 0);
	assert_non_null(strstr(s->lines[top + 1].text, "main"));
	assert_non_null(strstr(s->lines[top + 1].text, "start_th"));
	view_key(v, 'f');
	assert_true(on_screen(v, "flame of main"));
	view_key(v, VIEW_KEY_ESC);
	assert_int_equal(view_mode(v), VIEW_TABLE);
	view_free(v);
}

static void test_freeze_keeps_display(void **state)
{
	(void)state;
	struct view *v = view_with(cpu_profile(1));
	view_key(v, 'z');
	assert_true(view_frozen(v));
	assert_true(on_screen(v, "FROZEN"));
	struct profile *p = profile_new();
	add(p, 100, "main;new_hot", 1000);
	view_update(v, p, 2 * SEC);
	assert_false(on_screen(v, "new_hot"));
	assert_non_null(strstr(first_row(v), "hot_a"));
	view_key(v, 'z');
	assert_false(view_frozen(v));
	assert_non_null(strstr(first_row(v), "new_hot"));
	view_free(v);
}

static void test_reset_and_window(void **state)
{
	(void)state;
	struct view *v = view_with(cpu_profile(1));
	view_key(v, 'r');
	assert_true(on_screen(v, "no samples yet"));
	assert_true(on_screen(v, "since reset"));
	/* after the reset, only what came since: 20 more hot_c */
	struct profile *p = cpu_profile(1);
	add(p, 101, "start_thread;worker@cpu.c:50;hot_c@cpu.c:30", 20);
	view_update(v, p, 2 * SEC);
	assert_int_equal(view_nrows(v), 3);
	assert_non_null(strstr(first_row(v), "hot_c"));
	assert_non_null(strstr(first_row(v), "100.0"));
	view_free(v);

	/* window: hot_a runs for 10 s, then hot_b; the last 5 s show only hot_b */
	struct view_opts o = { .delay = 1.0 };
	v = view_new(&o);
	view_key(v, 'w');
	assert_true(on_screen(v, "[last 5s"));
	for (uint64_t t = 1; t <= 20; t++) {
		p = profile_new();
		add(p, 100, "main;hot_a", 100 * (t < 10 ? t : 10));
		if (t > 10)
			add(p, 100, "main;hot_b", 100 * (t - 10));
		view_update(v, p, t * SEC);
	}
	assert_true(on_screen(v, "[last 5s]"));
	assert_non_null(strstr(first_row(v), "hot_b"));
	assert_false(on_screen(v, "hot_a"));
	/* whole run again: both */
	for (int i = 0; i < 4; i++)
		view_key(v, 'w');
	assert_true(on_screen(v, "[whole run]"));
	assert_true(on_screen(v, "hot_a"));
	view_free(v);
}

static void test_scrolling_keeps_selection_visible(void **state)
{
	(void)state;
	struct profile *p = profile_new();
	char name[64];
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "main;f%03d", i);
		add(p, 100, name, (uint64_t)(1000 - i));
	}
	struct view *v = view_with(p);
	view_key(v, VIEW_KEY_END);
	assert_string_equal(view_selected(v), "main"); /* main is last: no own time */
	assert_true(on_screen(v, " main "));
	assert_false(on_screen(v, "f000"));
	view_key(v, VIEW_KEY_HOME);
	assert_string_equal(view_selected(v), "f000");
	draw(v);
	view_key(v, VIEW_KEY_PGDN);
	/* a page is the body of the last drawn screen: 30 - 5 rows */
	assert_string_equal(view_selected(v), "f024");
	assert_true(on_screen(v, "f024"));
	view_key(v, VIEW_KEY_PGUP);
	assert_string_equal(view_selected(v), "f000");
	view_key(v, VIEW_KEY_UP); /* clamps at the first row */
	assert_string_equal(view_selected(v), "f000");
	view_free(v);
}

static void test_help_keybar_and_actions(void **state)
{
	(void)state;
	struct view *v = view_with(cpu_profile(1));
	const struct view_screen *s = draw(v);
	const char *bar = s->lines[H - 1].text;
	assert_non_null(strstr(bar, "? Help"));
	assert_non_null(strstr(bar, "q Quit"));
	assert_non_null(strstr(bar, "/ Filter"));
	assert_int_equal(view_key(v, '?'), VIEW_ACT_REDRAW);
	assert_int_equal(view_mode(v), VIEW_HELP);
	assert_true(on_screen(v, "freeze the display"));
	assert_true(on_screen(v, "function or line granularity"));
	view_key(v, 'x'); /* any key returns */
	assert_int_equal(view_mode(v), VIEW_TABLE);
	assert_int_equal(view_key(v, 's'), VIEW_ACT_SAVE);
	assert_int_equal(view_key(v, 'q'), VIEW_ACT_QUIT);
	assert_int_equal(view_key(v, VIEW_KEY_CTRL_C), VIEW_ACT_QUIT);
	assert_int_equal(view_key(v, 0x7fff0), VIEW_ACT_NONE);
	/* on a narrow terminal the bar keeps Quit */
	s = view_render(v, 60, H);
	assert_non_null(strstr(s->lines[H - 1].text, "q Quit"));
	/* tiny terminals do not crash */
	s = view_render(v, 3, 2);
	assert_true(s->width >= 20);
	view_free(v);
}

static void test_header_from_status(void **state)
{
	(void)state;
	struct view *v = view_with(cpu_profile(1));
	struct view_status st = { .pid = 4242, .command = "samples/bin/cpu 5", .backend = "perf",
				  .event = "cpu-clock", .freq = 999, .elapsed = 2.0, .samples = 2000,
				  .lost = 0, .threads = 3, .self_cpu = 0.012 };
	view_set_status(v, &st);
	st.elapsed = 3.0;
	st.samples = 3000;
	st.lost = 30;
	st.lagging = true;
	view_set_status(v, &st);
	const struct view_screen *s = draw(v);
	assert_non_null(strstr(s->lines[0].text, "pid 4242 (samples/bin/cpu 5)"));
	assert_non_null(strstr(s->lines[0].text, "perf cpu-clock 999 Hz"));
	assert_non_null(strstr(s->lines[0].text, "elapsed 0:00:03"));
	assert_non_null(strstr(s->lines[1].text, "samples 3000 (1000/s)"));
	assert_non_null(strstr(s->lines[1].text, "lost 1.0%"));
	assert_non_null(strstr(s->lines[1].text, "threads 3"));
	assert_non_null(strstr(s->lines[1].text, "prowl cpu 1.2%"));
	int w = find_row(s, "capture lags");
	assert_int_equal(w, 1);
	const char *x = strstr(s->lines[1].text, "capture lags");
	assert_int_equal(s->lines[1].style[x - s->lines[1].text], VS_WARN);
	assert_null(strstr(s->lines[1].text, "refresh takes"));
	st.lagging = false;
	st.slow_ms = 700;
	st.exited = true;
	view_set_status(v, &st);
	s = draw(v);
	assert_null(strstr(s->lines[1].text, "capture lags"));
	assert_non_null(strstr(s->lines[1].text, "refresh takes 700ms"));
	assert_non_null(strstr(s->lines[1].text, "target exited"));
	/* A target stopped by a signal is said to be so, not left to look idle. */
	st.exited = false;
	st.slow_ms = 0;
	st.stopped = true;
	view_set_status(v, &st);
	s = draw(v);
	x = strstr(s->lines[1].text, "target stopped (by a signal)");
	assert_non_null(x);
	assert_int_equal(s->lines[1].style[x - s->lines[1].text], VS_WARN);
	view_free(v);
}

/* /proc/PID/cmdline of a process that rewrote its title (redis, postgres)
 * is padded with NULs, which the caller reads as spaces: the header shows
 * the words with single spaces, as ps does (issue 13). */
static void test_header_command_padding(void **state)
{
	(void)state;
	struct view *v = view_with(cpu_profile(1));
	struct view_status st = { .pid = 77, .command = "redis-server *:6379                                ",
				  .backend = "perf" };
	view_set_status(v, &st);
	const struct view_screen *s = draw(v);
	assert_non_null(strstr(s->lines[0].text, "pid 77 (redis-server *:6379)  perf"));
	st.command = "  python3  -m   http.server \t 8000  ";
	view_set_status(v, &st);
	s = draw(v);
	assert_non_null(strstr(s->lines[0].text, "(python3 -m http.server 8000)  perf"));
	struct strbuf sb;
	strbuf_init(&sb);
	view_render_text(v, &sb, 0, 1);
	assert_non_null(strstr(sb.buf, "(python3 -m http.server 8000)"));
	strbuf_release(&sb);
	view_free(v);
}

/* The whole run, one function per second of it (s001 in the first second). */
static struct profile *seconds_profile(unsigned upto)
{
	struct profile *p = profile_new();
	p->meta.period_ns = 1000000;
	char stack[32];
	for (unsigned i = 1; i <= upto; i++) {
		snprintf(stack, sizeof(stack), "main;s%03u", i);
		add(p, 100, stack, 100);
	}
	return p;
}

/* Which seconds the table shows: the oldest and how many. */
static void shown_seconds(struct view *v, unsigned *oldest, unsigned *n)
{
	*oldest = 0;
	*n = 0;
	struct strbuf sb;
	strbuf_init(&sb);
	view_render_text(v, &sb, 0, 1000);
	for (const char *p = sb.buf; (p = strstr(p, " s")); p += 2) {
		unsigned sec;
		char after;
		if (sscanf(p + 2, "%3u%c", &sec, &after) == 2 && (after == ' ' || after == '\n')) {
			(*n)++;
			if (!*oldest || sec < *oldest)
				*oldest = sec;
		}
	}
	strbuf_release(&sb);
}

/* w shows the last N seconds captured at once, from snapshots the view kept
 * while no window was asked (it used to start an empty window: issue 13),
 * for every step of the key, however long the run has been going. */
static void test_window_shows_the_past_at_once(void **state)
{
	(void)state;
	struct view_opts o = { .delay = 1.0 };
	struct view *v = view_new(&o);
	unsigned oldest, n;
	for (unsigned t = 1; t <= 300; t++)
		view_update(v, seconds_profile(t), (uint64_t)t * SEC);
	shown_seconds(v, &oldest, &n);
	assert_int_equal(n, 300);
	const unsigned steps[] = { 5, 10, 30, 60 };
	for (size_t i = 0; i < 4; i++) {
		view_key(v, 'w');
		char want[32];
		snprintf(want, sizeof(want), "[last %us]", steps[i]);
		assert_true(on_screen(v, want));
		shown_seconds(v, &oldest, &n);
		/* The last N seconds at least, and at most a sixth more plus a refresh. */
		assert_true(n >= steps[i]);
		if (n > steps[i] + (steps[i] + 5) / 6 + 1)
			fail_msg("window %u shows %u seconds", steps[i], n);
		assert_int_equal(oldest, 300 - n + 1);
	}
	view_key(v, 'w');
	assert_true(on_screen(v, "[whole run]"));
	view_free(v);

	/* A run younger than the window: all of it, saying how long it is. */
	v = view_new(&o);
	for (unsigned t = 1; t <= 3; t++)
		view_update(v, seconds_profile(t), (uint64_t)t * SEC);
	view_key(v, 'w');
	shown_seconds(v, &oldest, &n);
	assert_int_equal(n, 3);
	assert_true(on_screen(v, "[last 5s, 3s so far]"));
	view_free(v);

	/* A fast refresh keeps the history bounded and the windows right. */
	o.delay = 0.1;
	v = view_new(&o);
	for (unsigned t = 1; t <= 1000; t++) {
		struct profile *p = seconds_profile((t + 9) / 10);
		view_update(v, p, (uint64_t)t * (SEC / 10));
	}
	view_key(v, 'w');
	shown_seconds(v, &oldest, &n);
	assert_true(n >= 5 && n <= 7);
	assert_int_equal(oldest, 100 - n + 1);
	view_free(v);
}

/* top's snapshots: stamped copies of one growing image (a new function each
 * second). The view keeps older ones thin (counts only) and subtracts them
 * by index: windows and a reset show what they show with whole snapshots. */
static struct profile *image_seconds(struct profile *img, uint64_t id, unsigned upto)
{
	char stack[32];
	for (unsigned i = 1; i <= upto; i++) {
		snprintf(stack, sizeof(stack), "main;s%03u", i);
		add(img, 100, stack, 0);
	}
	struct profile *p = profile_copy(img);
	profile_stamp(p, id);
	p->meta.period_ns = 1000000;
	for (unsigned i = 1; i <= upto; i++) {
		snprintf(stack, sizeof(stack), "main;s%03u", i);
		add(p, 100, stack, 100);
	}
	assert_int_equal(p->nnodes, p->lineage.nnodes); /* nothing added past the stamp */
	return p;
}

static void test_window_of_thin_snapshots(void **state)
{
	(void)state;
	struct view_opts o = { .delay = 1.0 };
	struct view *v = view_new(&o);
	struct profile *img = profile_new();
	uint64_t id = profile_lineage_new();
	unsigned oldest, n;
	for (unsigned t = 1; t <= 120; t++)
		view_update(v, image_seconds(img, id, t), (uint64_t)t * SEC);
	shown_seconds(v, &oldest, &n);
	assert_int_equal(n, 120);
	const unsigned steps[] = { 5, 10, 30, 60 };
	for (size_t i = 0; i < 4; i++) {
		view_key(v, 'w');
		shown_seconds(v, &oldest, &n);
		assert_true(n >= steps[i]);
		if (n > steps[i] + (steps[i] + 5) / 6 + 1)
			fail_msg("window %u shows %u seconds", steps[i], n);
		assert_int_equal(oldest, 120 - n + 1);
	}
	view_key(v, 'w'); /* the whole run */
	/* a reset, then three more seconds: those only, after the reset's
	 * snapshot went thin in the history */
	view_key(v, 'r');
	for (unsigned t = 121; t <= 123; t++)
		view_update(v, image_seconds(img, id, t), (uint64_t)t * SEC);
	shown_seconds(v, &oldest, &n);
	assert_int_equal(n, 3);
	assert_int_equal(oldest, 121);
	view_free(v);
	profile_free(img);
}

/* Thin and subtracted by index, or whole and merged: the same profile. */
static void test_subtract_lineage_matches_merge(void **state)
{
	(void)state;
	struct profile *img = profile_new();
	uint64_t id = profile_lineage_new();
	struct profile *old = image_seconds(img, id, 3), *old2 = profile_copy(old);
	add(old, 101, "main;s001", 50); /* a thread and a count of its own, within the stamp's nodes */
	struct profile *cur = image_seconds(img, id, 5);
	struct profile *a = profile_copy(cur), *b = profile_copy(cur);
	profile_merge(a, old2, -1);
	profile_thin(old2);
	assert_true(old2->thin);
	assert_int_equal(old2->nnodes, 0);
	assert_true(profile_subtract_lineage(b, old2));
	assert_int_equal(a->total, b->total);
	assert_int_equal(a->total, 200); /* s004 and s005 */
	assert_int_equal(a->ncounts, b->ncounts);
	assert_memory_equal(a->counts, b->counts, a->ncounts * sizeof(*a->counts));
	/* past its stamp (a thread added after), or another lineage: refused */
	assert_false(profile_subtract_lineage(b, old));
	struct profile *other = profile_copy(cur);
	profile_stamp(other, profile_lineage_new());
	assert_false(profile_subtract_lineage(b, other));
	assert_int_equal(b->total, 200);
	profile_free(other);
	profile_free(a);
	profile_free(b);
	profile_free(cur);
	profile_free(old);
	profile_free(old2);
	profile_free(img);
}

static void test_batch_text(void **state)
{
	(void)state;
	struct view *v = view_with(cpu_profile(1));
	struct strbuf sb;
	strbuf_init(&sb);
	view_render_text(v, &sb, 0, 2);
	/* header (2), status, titles, 2 rows */
	int lines = 0;
	for (size_t i = 0; i < sb.len; i++)
		lines += sb.buf[i] == '\n';
	assert_int_equal(lines, 6);
	assert_non_null(strstr(sb.buf, "hot_a"));
	assert_non_null(strstr(sb.buf, "hot_b"));
	assert_null(strstr(sb.buf, "hot_c"));
	assert_null(strstr(sb.buf, " \n")); /* no trailing blanks */
	strbuf_release(&sb);
	view_free(v);
}

/* Adds count samples of a whole-machine stack: rooted at "name (pid)". */
static void add_proc(struct profile *p, int pid, int tid, const char *pname, const char *tname, const char *stack,
		     uint64_t count)
{
	uint32_t frames[16];
	size_t n = 0;
	char *root = xasprintf("%s (%d)", pname, pid);
	frames[n++] = profile_frame_named(p, root, FRAME_PROCESS);
	free(root);
	char *copy = xstrdup(stack);
	for (char *save = NULL, *tok = strtok_r(copy, ";", &save); tok && n < 16; tok = strtok_r(NULL, ";", &save))
		frames[n++] = profile_frame_named(p, tok, FRAME_USER);
	uint32_t t = profile_thread_intern(p, pid, tid, tname);
	profile_add(p, t, profile_node_path(p, frames, n), count);
	free(copy);
}

/* Two busy programs and a shell: busy2's main thread has no samples (its
 * workers are named busy-1/busy-2), so its name comes from its root. */
static struct profile *machine_profile(void)
{
	struct profile *p = profile_new();
	p->meta.period_ns = 1000000;
	add_proc(p, 500, 501, "busy2", "busy-1", "main;spin_left", 40);
	add_proc(p, 500, 502, "busy2", "busy-2", "main;spin_right", 35);
	add_proc(p, 600, 600, "cpu", "cpu", "main;hot_a", 20);
	add_proc(p, 700, 700, "sh", "sh", "main;hot_a", 5);
	return p;
}

static void test_machine_process_column_and_list(void **state)
{
	(void)state;
	struct view *v = view_with(machine_profile());
	struct view_status st = { .system_wide = true, .ncpus = 2, .busy_cpus = 1.5, .idle_share = 0.25,
				  .backend = "perf", .samples = 100 };
	view_set_status(v, &st);
	/* header: CPUs busy, the idle share, the top processes by name */
	assert_true(on_screen(v, "all processes  2 CPUs: 1.5 busy, idle 25.0%"));
	assert_true(on_screen(v, "top: busy2 (500) 75% cpu (600) 20% sh (700) 5%"));
	/* the process column: the hottest function with its process; roots are no rows */
	const char *r = first_row(v);
	assert_non_null(strstr(r, "spin_left"));
	assert_non_null(strstr(r, "busy2 (500)"));
	assert_true(on_screen(v, "Process"));
	assert_false(on_screen(v, "%  busy2 (500)  "));
	assert_int_equal(view_nrows(v), 4); /* spin_left, spin_right, hot_a, main */
	assert_string_equal(view_row_process(v, 2), "cpu (600) +1"); /* hot_a: cpu, and sh too */
	/* P: the list of processes, most samples first; Enter shows one */
	view_key(v, 'P');
	assert_int_equal(view_mode(v), VIEW_THREADS);
	assert_true(on_screen(v, "all processes"));
	const struct view_screen *s = draw(v);
	assert_true(find_row(s, "busy2") < find_row(s, "  cpu"));
	assert_true(find_row(s, "  cpu") < find_row(s, "  sh"));
	view_key(v, VIEW_KEY_HOME);
	view_key(v, VIEW_KEY_DOWN);
	view_key(v, VIEW_KEY_DOWN); /* cpu */
	view_key(v, VIEW_KEY_ENTER);
	assert_int_equal(view_mode(v), VIEW_TABLE);
	assert_true(on_screen(v, "[process cpu (600)]"));
	assert_int_equal(view_nrows(v), 2); /* main, hot_a of cpu alone */
	assert_non_null(strstr(first_row(v), "100.0"));
	/* the saved profile is that process */
	struct profile *saved = view_profile(v);
	assert_int_equal(saved->total, 20);
	profile_free(saved);
	/* it stays chosen across refreshes; P then "all" shows every process again */
	view_update(v, machine_profile(), 2 * SEC);
	assert_true(on_screen(v, "[process cpu (600)]"));
	view_key(v, 'P');
	view_key(v, VIEW_KEY_HOME);
	view_key(v, VIEW_KEY_ENTER);
	assert_true(on_screen(v, "[all threads]"));
	assert_int_equal(view_nrows(v), 4);
	view_free(v);
}

/* C groups processes by command: two cc1 processes are one "cc1" in the
 * process column and the P list, and picking it shows both together. */
static void test_machine_group_by_command(void **state)
{
	(void)state;
	struct profile *p = machine_profile();
	add_proc(p, 800, 800, "cc1", "cc1", "main;parse", 30);
	add_proc(p, 801, 801, "cc1", "cc1", "main;parse", 30);
	struct view *v = view_with(p);
	assert_non_null(strstr(first_row(v), "parse"));
	assert_string_equal(view_row_process(v, 0), "cc1 (800) +1");
	view_key(v, 'C');
	assert_string_equal(view_row_process(v, 0), "cc1");
	view_key(v, 'P');
	assert_true(on_screen(v, "Command"));
	const struct view_screen *s = draw(v);
	int r = find_row(s, "  cc1");
	assert_true(r >= 0);
	assert_non_null(strstr(s->lines[r].text, "        2       60")); /* 2 processes, 60 samples */
	/* busy2 (75) then cc1 (60): most samples first */
	assert_true(find_row(s, "busy2") < r);
	view_key(v, VIEW_KEY_HOME);
	view_key(v, VIEW_KEY_DOWN);
	view_key(v, VIEW_KEY_DOWN);
	view_key(v, VIEW_KEY_ENTER);
	assert_true(on_screen(v, "[command cc1 (2 processes)]"));
	assert_int_equal(view_nrows(v), 2); /* parse, main */
	struct profile *saved = view_profile(v);
	assert_int_equal(saved->total, 60);
	profile_free(saved);
	/* C again: back to each process, all shown */
	view_key(v, 'C');
	assert_true(on_screen(v, "[all threads]"));
	assert_string_equal(view_row_process(v, 0), "cc1 (800) +1");
	view_free(v);
}

/* One process: no process column, the table as it was. */
static void test_one_process_no_column(void **state)
{
	(void)state;
	struct view *v = view_with(cpu_profile(1));
	assert_false(on_screen(v, "Process"));
	assert_null(view_row_process(v, 0));
	view_free(v);
}

static void test_saved_profile_is_what_is_shown(void **state)
{
	(void)state;
	struct view *v = view_with(cpu_profile(1));
	struct profile *q = view_profile(v);
	assert_int_equal(q->total, 100);
	profile_free(q);
	view_key(v, 'T'); /* main thread only */
	q = view_profile(v);
	assert_int_equal(q->total, 90);
	assert_int_equal(q->nthreads, 1);
	assert_int_equal(q->meta.period_ns, 1000000);
	profile_free(q);
	view_key(v, 'r');
	q = view_profile(v);
	assert_int_equal(q->total, 0);
	profile_free(q);
	view_free(v);

	/* frozen: what is saved is what is on screen, not the newer data */
	v = view_with(cpu_profile(1));
	view_key(v, 'z');
	view_update(v, cpu_profile(5), 2 * SEC);
	q = view_profile(v);
	assert_int_equal(q->total, 100);
	profile_free(q);
	view_key(v, 'z');
	q = view_profile(v);
	assert_int_equal(q->total, 500);
	profile_free(q);
	view_free(v);
}

static void test_empty_view(void **state)
{
	(void)state;
	struct view *v = view_new(NULL);
	assert_true(on_screen(v, "no samples yet"));
	assert_int_equal(view_key(v, VIEW_KEY_ENTER), VIEW_ACT_NONE);
	view_key(v, 'f');
	assert_true(on_screen(v, "nothing to draw"));
	view_key(v, VIEW_KEY_ESC);
	view_key(v, 'T');
	view_key(v, 'H');
	view_key(v, VIEW_KEY_ENTER);
	view_key(v, 'w');
	view_key(v, 'r');
	assert_true(on_screen(v, "no samples yet"));
	struct profile *q = view_profile(v);
	assert_int_equal(q->total, 0);
	profile_free(q);
	view_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_hottest_first_with_shares),
		cmocka_unit_test(test_sort_columns_and_invert),
		cmocka_unit_test(test_selection_follows_function_across_refreshes),
		cmocka_unit_test(test_filter_substring_regex_and_clear),
		cmocka_unit_test(test_thread_cycle_and_pick),
		cmocka_unit_test(test_line_granularity),
		cmocka_unit_test(test_location_is_hottest_line),
		cmocka_unit_test(test_tree_callees_callers_expand_collapse),
		cmocka_unit_test(test_tree_recursion_counts_once),
		cmocka_unit_test(test_flame_of_selection),
		cmocka_unit_test(test_freeze_keeps_display),
		cmocka_unit_test(test_reset_and_window),
		cmocka_unit_test(test_window_shows_the_past_at_once),
		cmocka_unit_test(test_window_of_thin_snapshots),
		cmocka_unit_test(test_subtract_lineage_matches_merge),
		cmocka_unit_test(test_header_command_padding),
		cmocka_unit_test(test_scrolling_keeps_selection_visible),
		cmocka_unit_test(test_help_keybar_and_actions),
		cmocka_unit_test(test_header_from_status),
		cmocka_unit_test(test_batch_text),
		cmocka_unit_test(test_saved_profile_is_what_is_shown),
		cmocka_unit_test(test_machine_process_column_and_list),
		cmocka_unit_test(test_one_process_no_column),
		cmocka_unit_test(test_machine_group_by_command),
		cmocka_unit_test(test_empty_view),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
