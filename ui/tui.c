#include "ui/tui.h"

#include <curses.h>
#include <term.h>
#undef lines /* terminfo's capability macros clash with ordinary names */
#undef columns
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "profiler/base/util.h"

struct tui {
	SCREEN *scr;
	bool colors;
	attr_t attr[VS_COUNT];
};

/* What the fatal-signal handler needs to give the terminal back. */
static struct termios saved_termios;
static bool have_termios;
static volatile sig_atomic_t curses_active;

void tui_restore(void)
{
	if (!curses_active)
		return;
	curses_active = 0;
	curs_set(1);
	endwin();
}

static void restore_at_exit(void)
{
	tui_restore();
}

/*
 * A crash must not leave the terminal raw and on the alternate screen: restore
 * the saved modes with async-signal-safe calls only, then die of the signal.
 */
static void fatal_signal(int sig)
{
	if (curses_active && have_termios) {
		static const char seq[] = "\033[?1049l\033[?25h\033[0m\r\n";
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
		(void)!write(STDOUT_FILENO, seq, sizeof(seq) - 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_fatal_handlers(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT };
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fatal_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

static void setup_styles(struct tui *t)
{
	attr_t *a = t->attr;
	for (int i = 0; i < VS_COUNT; i++)
		a[i] = A_NORMAL;
	if (!t->colors) {
		/* Monochrome (NO_COLOR or a dumb terminal): attributes only. */
		a[VS_HEADER] = A_BOLD;
		a[VS_WARN] = A_BOLD | A_UNDERLINE;
		a[VS_STATUS] = A_BOLD;
		a[VS_COLUMNS] = A_UNDERLINE;
		a[VS_SELECTED] = A_REVERSE;
		a[VS_HOT] = A_BOLD;
		a[VS_MATCH] = A_BOLD;
		a[VS_KEY] = A_BOLD;
		a[VS_KEYTEXT] = A_REVERSE;
		for (int i = 0; i < VS_NFLAME; i++)
			a[VS_FLAME0 + i] = i % 2 ? A_REVERSE : A_BOLD;
		return;
	}
	use_default_colors();
	static const struct {
		int style;
		short fg, bg;
		attr_t extra;
	} pairs[] = {
		{ VS_HEADER, COLOR_CYAN, -1, A_BOLD },
		{ VS_WARN, COLOR_WHITE, COLOR_RED, A_BOLD },
		{ VS_STATUS, COLOR_YELLOW, -1, A_BOLD },
		{ VS_COLUMNS, COLOR_BLACK, COLOR_GREEN, 0 },
		{ VS_SELECTED, COLOR_BLACK, COLOR_CYAN, 0 },
		{ VS_HOT, COLOR_RED, -1, A_BOLD },
		{ VS_DIM, COLOR_BLUE, -1, A_BOLD },
		{ VS_MATCH, COLOR_BLACK, COLOR_YELLOW, 0 },
		{ VS_KEY, COLOR_WHITE, -1, A_BOLD },
		{ VS_KEYTEXT, COLOR_BLACK, COLOR_CYAN, 0 },
		{ VS_FLAME0, COLOR_BLACK, COLOR_RED, 0 },
		{ VS_FLAME0 + 1, COLOR_BLACK, COLOR_YELLOW, 0 },
		{ VS_FLAME0 + 2, COLOR_BLACK, COLOR_MAGENTA, 0 },
		{ VS_FLAME0 + 3, COLOR_WHITE, COLOR_RED, A_BOLD },
	};
	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
		short n = (short)(i + 1);
		if (n >= COLOR_PAIRS)
			break;
		init_pair(n, pairs[i].fg, pairs[i].bg);
		a[pairs[i].style] = COLOR_PAIR(n) | pairs[i].extra;
	}
}

bool tui_check(char **errmsg)
{
	*errmsg = NULL;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		*errmsg = xstrdup("the live view needs a terminal on stdin and stdout (use --batch for text)");
		return false;
	}
	const char *term = getenv("TERM");
	int err = 0;
	if (!term || !*term || !strcmp(term, "dumb") || setupterm(term, STDOUT_FILENO, &err) != OK) {
		*errmsg = xasprintf("the terminal type '%s' is unknown or cannot move the cursor "
				    "(set TERM, or use --batch)", term ? term : "");
		return false;
	}
	del_curterm(cur_term);
	return true;
}

struct tui *tui_open(char **errmsg)
{
	if (!tui_check(errmsg)) {
		errno = ENOTTY;
		return NULL;
	}
	const char *term = getenv("TERM");
	struct tui *t = xcalloc(1, sizeof(*t));
	have_termios = tcgetattr(STDIN_FILENO, &saved_termios) == 0;
	/* newterm, unlike initscr, reports an unusable terminal instead of exiting. */
	t->scr = newterm(NULL, stdout, stdin);
	if (!t->scr) {
		*errmsg = xasprintf("cannot set up the terminal '%s' (check TERM, or use --batch)", term);
		free(t);
		errno = ENOTTY;
		return NULL;
	}
	curses_active = 1;
	static bool registered;
	if (!registered) {
		atexit(restore_at_exit);
		registered = true;
	}
	install_fatal_handlers();
	/* raw: Ctrl-C is a key (quit), not a SIGINT that would also hit a launched target. */
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	const char *nc = getenv("NO_COLOR");
	t->colors = has_colors() && !(nc && *nc);
	if (t->colors && start_color() != OK)
		t->colors = false;
	setup_styles(t);
	return t;
}

void tui_close(struct tui *t)
{
	if (!t)
		return;
	tui_restore();
	if (t->scr)
		delscreen(t->scr);
	free(t);
}

bool tui_has_colors(const struct tui *t)
{
	return t->colors;
}

int tui_key(struct tui *t)
{
	(void)t;
	int c = getch();
	switch (c) {
	case ERR:
		return -1;
	case KEY_UP:
		return VIEW_KEY_UP;
	case KEY_DOWN:
		return VIEW_KEY_DOWN;
	case KEY_LEFT:
		return VIEW_KEY_LEFT;
	case KEY_RIGHT:
		return VIEW_KEY_RIGHT;
	case KEY_PPAGE:
		return VIEW_KEY_PGUP;
	case KEY_NPAGE:
		return VIEW_KEY_PGDN;
	case KEY_HOME:
		return VIEW_KEY_HOME;
	case KEY_END:
		return VIEW_KEY_END;
	case KEY_F(1):
		return VIEW_KEY_F1;
	case KEY_BTAB:
		return VIEW_KEY_BTAB;
	case KEY_RESIZE:
		return VIEW_KEY_RESIZE;
	case VIEW_KEY_CTRL_L:
		/* Output of a launched command may have scribbled on the screen. */
		clearok(curscr, TRUE);
		return VIEW_KEY_CTRL_L;
	case KEY_ENTER:
	case '\r':
	case '\n':
		return VIEW_KEY_ENTER;
	case KEY_BACKSPACE:
	case 8:
	case 127:
		return VIEW_KEY_BACKSPACE;
	default:
		return c >= 0 && c < 256 ? c : 0;
	}
}

void tui_draw(struct tui *t, struct view *v)
{
	int h, w;
	getmaxyx(stdscr, h, w);
	const struct view_screen *s = view_render(v, w, h);
	erase();
	for (int y = 0; y < s->height && y < h; y++) {
		const struct view_line *l = &s->lines[y];
		int x = 0;
		while (x < s->width && x < w) {
			int e = x;
			while (e < s->width && e < w && l->style[e] == l->style[x])
				e++;
			attrset(t->attr[l->style[x] < VS_COUNT ? l->style[x] : VS_NORMAL]);
			/* The bottom-right cell would scroll some terminals: leave it. */
			int n = e - x;
			if (y == h - 1 && e == w)
				n--;
			if (n > 0)
				mvaddnstr(y, x, l->text + x, n);
			x = e;
		}
	}
	attrset(A_NORMAL);
	if (s->cursor_row >= 0 && s->cursor_row < h) {
		curs_set(1);
		move(s->cursor_row, s->cursor_col < w ? s->cursor_col : w - 1);
	} else {
		curs_set(0);
	}
	wnoutrefresh(stdscr);
	doupdate();
}

void tui_repaint(struct tui *t)
{
	(void)t;
	clearok(curscr, TRUE);
}
