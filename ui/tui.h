/*
 * tui: the terminal side of `prowl top`, and the only ncursesw code. Draws a
 * view's screen (colours where the terminal has them, none with NO_COLOR),
 * turns terminal keys into VIEW_KEY_* codes, and always gives the terminal back:
 * tui_close(), at exit, and on fatal signals. Owned by the live-view owner.
 * tui_open() returns NULL with errno (and a message) when there is no usable terminal.
 */
#ifndef PROWL_TUI_H
#define PROWL_TUI_H

#include <stdbool.h>

#include "ui/view.h"

struct tui;

/* Whether tui_open() can work here (terminals on stdin and stdout, a known TERM),
 * checked before a command is launched; false with *errmsg malloc'd if not. */
bool tui_check(char **errmsg);
/* Takes over the terminal on stdin/stdout. On failure: NULL, errno, *errmsg malloc'd. */
struct tui *tui_open(char **errmsg);
/* Restores the terminal (idempotent through tui_restore); frees t. */
void tui_close(struct tui *t);
/* Gives the terminal back now (endwin); safe to call more than once. */
void tui_restore(void);

/* The next pending key as a VIEW_KEY_* code or character; -1 when none is pending. */
int tui_key(struct tui *t);
/* Draws the view at the terminal's current size (one update, no flicker). */
void tui_draw(struct tui *t, struct view *v);
bool tui_has_colors(const struct tui *t);
/* Makes the next tui_draw() repaint every cell, whatever curses believes is
 * on the screen: a launched command writing to the same terminal scribbles
 * over it behind curses' back, and that cannot be seen from here. */
void tui_repaint(struct tui *t);

#endif
