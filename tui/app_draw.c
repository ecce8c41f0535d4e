/*
 * app_draw.c: the screen around the views: the windows' layout, the
 * title with the breadcrumb of the filter stack, the status line, the
 * message and prompt line, and the "too small" screen.
 */
#include "app_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "keys.h"
#include "theme.h"
#include "annot.h"
#include "view.h"
#include "view_timeline.h"
#include "xalloc.h"

void app_layout(struct app *a)
{
	WINDOW **w[] = { &a->wtitle, &a->wbody, &a->wstatus, &a->wmsg };
	for (size_t i = 0; i < 4; i++)
		if (*w[i]) {
			delwin(*w[i]);
			*w[i] = NULL;
		}
	getmaxyx(stdscr, a->rows, a->cols);
	/* a resize leaves stdscr touched, and the next read of a key would
	 * repaint it, blank, over the windows: take it as drawn */
	wnoutrefresh(stdscr);
	a->too_small = a->rows < MIN_ROWS || a->cols < MIN_COLS;
	a->dirty = DIRTY_ALL;
	if (a->too_small)
		return;
	a->wtitle = newwin(1, a->cols, 0, 0);
	a->wbody = newwin(a->rows - 3, a->cols, 1, 0);
	a->wstatus = newwin(1, a->cols, a->rows - 2, 0);
	a->wmsg = newwin(1, a->cols, a->rows - 1, 0);
	for (int i = 0; i < a->nviews; i++) {
		struct view *v = a->views[i];
		app_size_view(a, v);
		if (v->ops->resize)
			v->ops->resize(v);
	}
}

static void draw_title(struct app *a)
{
	WINDOW *w = a->wtitle;
	attr_t base = theme_attr(THEME_TITLE);
	werase(w);
	draw_fill(w, 0, 0, a->cols, base);
	const char *path = store_path(a->st), *slash = strrchr(path, '/');
	char *head = xasprintf(" auditscope  %s  ", slash ? slash + 1 : path);
	int x = draw_text(w, 0, 0, head, a->cols, base);
	free(head);
	/* the breadcrumb, its newest steps when it does not all fit */
	int avail = a->cols - x;
	size_t first = 0;
	for (;;) {
		int need = 0;
		for (size_t i = first; i < a->nsteps; i++)
			need += draw_width(a->steps[i].label) + 3;
		if (need <= avail || first + 1 >= a->nsteps)
			break;
		first++;
	}
	if (first > 0)
		x += draw_text(w, 0, x, "... > ", a->cols - x, base);
	for (size_t i = first; i < a->nsteps; i++) {
		bool last = i + 1 == a->nsteps;
		x += draw_text(w, 0, x, " ", a->cols - x, base);
		x += draw_text(w, 0, x, a->steps[i].label, a->cols - x, last ? theme_attr(THEME_CRUMB) : base);
		x += draw_text(w, 0, x, last ? " " : " >", a->cols - x, base);
	}
	wnoutrefresh(w);
}

static void draw_status(struct app *a)
{
	WINDOW *w = a->wstatus;
	attr_t base = theme_attr(THEME_STATUS);
	werase(w);
	draw_fill(w, 0, 0, a->cols, base);
	if (a->message && (a->prompt || a->question)) {
		/* while a prompt has the last line, its error shows here */
		draw_text(w, 0, 1, a->message, a->cols - 1,
			  theme_attr(a->msg_error ? THEME_ERROR : THEME_MESSAGE));
		wnoutrefresh(w);
		return;
	}
	struct view *v = app_top_view(a);
	char pos[256] = "";
	if (v && v->ops->status)
		v->ops->status(v, pos, sizeof pos);
	char legend[160] = "";
	if (v && v->ops->keymap == KEYMAP_TIMELINE)
		app_marks_legend(view_timeline_marks(v), v ? app_flags_current(a) : false, legend,
				 sizeof legend);
	char *line = xasprintf(" %s  %s%s%s%s", v ? v->ops->name : "", pos, *legend ? "   " : "", legend,
			       a->loading ? "   [a load is running: new events appear as it commits]" : "");
	draw_text(w, 0, 0, line, a->cols - 9, base);
	free(line);
	draw_text(w, 0, a->cols - 8, "? help", 8, base);
	wnoutrefresh(w);
}

void app_marks_legend(unsigned marks, bool flagged, char *buf, size_t n)
{
	static const struct {
		unsigned bit;
		const char *text;
	} legend[] = {
		{ ANNOT_HAS_MARK, "* bookmarked" },
		{ ANNOT_HAS_TAG, "# tagged" },
		{ ANNOT_HAS_NOTE, "+ note" },
		{ VIEW_TIMELINE_HIT, "> search match" },
	};
	size_t k = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof legend / sizeof legend[0]; i++)
		if (marks & legend[i].bit)
			k += (size_t)snprintf(buf + k, k < n ? n - k : 0, "%s%s", k ? ", " : "",
					      legend[i].text);
	if (flagged && k < n)
		snprintf(buf + k, n - k, "%s! flagged by a hunt", k ? ", " : "");
}

static void draw_msg(struct app *a)
{
	WINDOW *w = a->wmsg;
	werase(w);
	if (a->question) {
		draw_text(w, 0, 0, a->question, a->cols - 1, theme_attr(THEME_PROMPT));
	} else if (a->prompt) {
		prompt_draw(a->prompt, w, 0);
	} else if (a->message) {
		draw_text(w, 0, 0, a->message, a->cols, theme_attr(a->msg_error ? THEME_ERROR : THEME_MESSAGE));
	} else {
		struct view *v = app_top_view(a);
		char *hint;
		if (v && v->ops->keymap == KEYMAP_TIMELINE && a->nviews == 1)
			hint = xasprintf("Enter detail  = keep  - exclude  F stack  f filter  / search  m mark  i histogram  E messages"
					 "  ? help  %s%s",
					 a->nframes ? "q back to " : "q ", app_back_hint(a));
		else
			hint = xstrdup("q back  ? help");
		draw_text(w, 0, 0, hint, a->cols, theme_attr(THEME_DIM));
		free(hint);
	}
	wnoutrefresh(w);
}

static void draw_too_small(struct app *a)
{
	werase(stdscr);
	char line[128];
	snprintf(line, sizeof line, "Terminal too small: %dx%d; auditscope needs at least %dx%d.", a->cols,
		 a->rows, MIN_COLS, MIN_ROWS);
	/* wrap by hand: the screen may be narrower than the sentence */
	int y = 0, x = 0;
	for (const char *p = line; *p && y < a->rows; p++) {
		if (x == a->cols) {
			x = 0;
			y++;
		}
		if (y < a->rows)
			mvwaddch(stdscr, y, x++, (chtype)(unsigned char)*p);
	}
	if (y + 1 < a->rows)
		mvwaddstr(stdscr, y + 1, 0, "Enlarge it, or q to quit.");
	wnoutrefresh(stdscr);
}

void app_draw(struct app *a)
{
	if (a->dirty & DIRTY_CLEAR)
		clearok(curscr, TRUE);
	if (a->too_small) {
		draw_too_small(a);
		doupdate();
		a->dirty = 0;
		return;
	}
	struct view *v = app_top_view(a);
	if ((a->dirty & DIRTY_BODY) && v) {
		v->ops->draw(v, a->wbody);
		wnoutrefresh(a->wbody);
	}
	if (a->dirty & DIRTY_TITLE)
		draw_title(a);
	if (a->dirty & DIRTY_STATUS)
		draw_status(a);
	/* the message line last: with a prompt open, the cursor stays there */
	if (a->dirty & DIRTY_MSG || a->prompt)
		draw_msg(a);
	curs_set(a->prompt ? 1 : 0);
	doupdate();
	a->dirty = 0;
}
