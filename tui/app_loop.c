/*
 * app_loop.c: the terminal set up for the interface, the main loop, and
 * the terminal given back (on quit, an error, SIGTERM, SIGHUP or a terminal that is gone).
 */
#include "app_impl.h"

#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>

#include "clip.h"
#include "keys.h"
#include "sanitize.h"
#include "xalloc.h"

static volatile sig_atomic_t got_signal;

/* The terminal went away without a SIGHUP (its pty closed while it was
 * not our controlling terminal, or the signal was lost): wget_wch then
 * returns ERR at once, for ever, and the loop would spin on a core. */
static bool terminal_gone(void)
{
	struct pollfd p = { .fd = fileno(stdin), .events = POLLIN };
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

static void on_signal(int sig)
{
	got_signal = sig;
}

/* Out of memory: give the terminal back before saying so. */
static void fatal(const char *msg)
{
	endwin();
	fprintf(stderr, "auditscope: %s\n", msg);
	exit(1);
}

/* An error on stderr, sanitised (the case path may hold anything). */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	char *s = sanitize(m, strlen(m));
	fprintf(stderr, "auditscope: %s\n", s);
	free(s);
	free(m);
}

int tui_run(struct store *st, const char *case_path, const char *notice)
{
	SCREEN *scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		/* TERM unset (a container's shell, a cron or CI job), or a
		 * terminal this system has no description of (ssh from kitty,
		 * alacritty, ghostty): say what to do */
		const char *term = getenv("TERM");
		if (!term || !*term)
			say("TERM is not set, so the terminal cannot be drawn on: run it as "
			    "TERM=xterm-256color auditscope CASE, or use the command line: auditscope query "
			    "CASE [FILTER] (auditscope --help lists the commands)");
		else
			say("cannot use the terminal '%s' (this system has no terminfo entry for it): run it "
			    "as TERM=xterm-256color auditscope CASE, or install that terminal's terminfo",
			    term);
		return 1;
	}
	/* a terminal that cannot move the cursor (TERM=dumb, an emacs
	 * shell buffer) would show only the last line: say so instead */
	const char *cup = tigetstr("cup");
	if (!cup || cup == (char *)-1) {
		endwin();
		delscreen(scr);
		const char *term = getenv("TERM");
		say("the terminal '%s' cannot move the cursor, which the interface needs; run it in a "
		    "terminal such as xterm or tmux (TERM=xterm-256color), or use the command line: "
		    "auditscope query CASE [FILTER] (auditscope --help lists the commands)",
		    term ? term : "(TERM not set)");
		return 1;
	}
	xalloc_set_fatal(fatal);
	set_escdelay(25);
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	app_mouse_setup();
	clip_set_output(stdout);
	wnoutrefresh(stdscr);
	struct sigaction sa = { 0 };
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	struct app *a = app_new(st);
	char *cause = NULL;
	int rc = 0;
	if (app_start(a, &cause) < 0) {
		endwin();
		say("%s: %s", case_path, cause ? cause : "cannot open the interface");
		free(cause);
		rc = 1;
		goto out;
	}
	if (notice)
		app_message(a, "%s", notice);
	app_draw(a);
	while (!app_done(a) && !got_signal) {
		int key;
		if (!app_next_key(a, &key)) {
			wint_t wc;
			wtimeout(stdscr, 250);
			int kind = wget_wch(stdscr, &wc);
			if (kind == ERR) {
				if (terminal_gone())
					break;
				if (app_idle(a))
					app_draw(a);
				continue;
			}
			key = keys_code(kind, wc);
		}
		app_key(a, key);
		app_draw(a);
	}
	/* the state waited for the load; now it waits for nothing */
	a->loading = false;
	app_save_state(a);
	clip_set_output(NULL);
	endwin();
out:
	app_free(a);
	delscreen(scr);
	xalloc_set_fatal(NULL);
	return rc;
}
