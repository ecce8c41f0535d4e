/*
 * view_stack.c: the frequency table (view_stack.h).
 *
 * The table is computed by stack_run (core/stack.h) under the app's
 * progress callback, so a big stack shows progress and Esc stops it.
 * Rare-first is the default: stacking is how the rare app id is found.
 * Enter (or =) drills in: the filter narrows to the value and the
 * timeline shows its events; - excludes the value and the table is
 * computed again, so noise can be peeled off one value at a time.
 */
#include "view_stack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "list.h"
#include "draw.h"
#include "stack.h"
#include "theme.h"
#include "xalloc.h"

#define STACK_LIMIT 10000

struct stackv {
	struct view v;
	char *field;
	enum stack_order order;
	struct stack s;
	bool ok;     /* s holds a result */
	bool names;  /* the field holds app ids: show their names */
	size_t cur, top;
};

#define SV(v) ((struct stackv *)(v))

static void run(struct stackv *sv)
{
	struct app *a = sv->v.app;
	char *cause = NULL, what[64];
	if (sv->ok)
		stack_clear(&sv->s);
	sv->ok = false;
	snprintf(what, sizeof what, "stacking %s", sv->field);
	app_busy_begin(a, what);
	int rc = stack_run(app_query(a), sv->field, sv->order, STACK_LIMIT, &sv->s, &cause);
	app_busy_end(a);
	if (rc < 0) {
		if (query_cancelled(app_query(a)))
			app_message(a, "stack stopped (Esc); s runs it again");
		else
			app_error(a, "stack: %s", cause ? cause : "failed");
		free(cause);
		memset(&sv->s, 0, sizeof sv->s);
		return;
	}
	sv->ok = true;
	if (sv->cur >= sv->s.n)
		sv->cur = sv->s.n ? sv->s.n - 1 : 0;
}

static size_t page_rows(const struct stackv *sv)
{
	return sv->v.rows > 1 ? (size_t)(sv->v.rows - 1) : 1;
}

static void keep_visible(struct stackv *sv)
{
	list_show(sv->cur, &sv->top, page_rows(sv));
}

static void draw(struct view *v, WINDOW *w)
{
	struct stackv *sv = SV(v);
	werase(w);
	attr_t head = theme_attr(THEME_HEADER);
	int cols = v->cols;
	/* value | events | distinct | first | last | bar */
	int wn = 9, wd = 9, wt = 19;
	bool times = cols >= 2 + 24 + 2 * (wn + 1) + 2 * (wt + 1) + 8;
	int fixed = 2 * (wn + 1) + (times ? 2 * (wt + 1) : 0);
	int rest = cols - 2 - fixed;
	int wv = rest * 2 / 3, wb = rest - wv - 1;
	if (wb < 4) {
		wv = rest;
		wb = 0;
	}
	int maxv = 0;
	for (size_t i = 0; sv->ok && i < sv->s.n; i++) {
		const char *val = sv->s.rows[i].value;
		int k = draw_width(val ? val : "(none)");
		const char *nm = sv->names && val ? app_app_name(v->app, val) : NULL;
		if (nm)
			k += 3 + draw_width(nm);
		if (k > maxv)
			maxv = k;
	}
	if (maxv < 12)
		maxv = 12;
	if (wb && maxv < wv) {
		wb += wv - maxv;
		wv = maxv;
	}
	draw_fill(w, 0, 0, cols, head);
	int x = 2;
	draw_cell(w, 0, x, sv->field, wv, head, false);
	x += wv + 1;
	draw_cell(w, 0, x, "events", wn, head, true);
	x += wn + 1;
	const char *dist = !sv->ok ? "distinct" : !strcmp(sv->s.distinct, "mailbox") ? "mailboxes"
					 : !strcmp(sv->s.distinct, "user")	     ? "users"
										     : sv->s.distinct;
	draw_cell(w, 0, x, dist, wd, head, true);
	x += wd + 1;
	if (times) {
		draw_cell(w, 0, x, "first (UTC)", wt, head, false);
		x += wt + 1;
		draw_cell(w, 0, x, "last (UTC)", wt, head, false);
	}
	if (!sv->ok) {
		draw_text(w, 2, 2, "No stack: it was stopped or failed. s runs it again, q goes back.", cols - 2,
			  theme_attr(THEME_MESSAGE));
		return;
	}
	if (sv->s.n == 0) {
		draw_text(w, 2, 2, "No event matches this filter.", cols - 2, theme_attr(THEME_MESSAGE));
		return;
	}
	int64_t max = 1;
	for (size_t i = 0; i < sv->s.n; i++)
		if (sv->s.rows[i].events > max)
			max = sv->s.rows[i].events;
	keep_visible(sv);
	for (size_t i = sv->top; i < sv->s.n && (int)(i - sv->top) + 1 < v->rows; i++) {
		const struct stack_row *r = &sv->s.rows[i];
		int y = (int)(i - sv->top) + 1;
		bool sel = i == sv->cur;
		attr_t base = theme_attr(sel ? THEME_SELECTED : THEME_NORMAL);
		draw_fill(w, y, 0, cols, base);
		x = 2;
		const char *nm = sv->names && r->value ? app_app_name(v->app, r->value) : NULL;
		int used = draw_text(w, y, x, r->value ? r->value : "(none)", wv,
				     r->value ? base : (base | theme_attr(THEME_DIM)));
		if (nm && used + 3 < wv) {
			used += draw_text(w, y, x + used, "  ", wv - used, base);
			draw_text(w, y, x + used, nm, wv - used, sel ? base : theme_attr(THEME_DIM));
		}
		x += wv + 1;
		char num[32];
		draw_cell(w, y, x, draw_count(r->events, num, sizeof num), wn, base, true);
		x += wn + 1;
		draw_cell(w, y, x, draw_count(r->distinct, num, sizeof num), wd, base, true);
		x += wd + 1;
		if (times) {
			draw_cell(w, y, x, draw_time(r->first, num, sizeof num), wt, base, false);
			x += wt + 1;
			draw_cell(w, y, x, draw_time(r->last, num, sizeof num), wt, base, false);
			x += wt + 1;
		}
		if (wb > 0) {
			int len = (int)((double)r->events / (double)max * wb + 0.5);
			if (len < 1)
				len = 1;
			draw_bar(w, y, x, len, theme_attr(THEME_BAR));
		}
	}
}

static int drill(struct stackv *sv, bool exclude)
{
	if (!sv->ok || sv->cur >= sv->s.n)
		return REACT_NONE;
	const char *value = sv->s.rows[sv->cur].value;
	if (app_pivot(sv->v.app, sv->field, value, exclude) < 0)
		return REACT_CHROME;
	/* keep: go and read the events; exclude: stay and peel the next */
	return exclude ? REACT_ALL : REACT_POP | REACT_ALL;
}

static int action(struct view *v, enum keys_action act)
{
	struct stackv *sv = SV(v);
	size_t n = sv->ok ? sv->s.n : 0, h = page_rows(sv);
	switch (act) {
	case ACT_ENTER:
	case ACT_KEEP:
		return drill(sv, false);
	case ACT_EXCLUDE:
		return drill(sv, true);
	case ACT_SORT:
		/* after a stop, s runs the same stack again */
		if (sv->ok)
			sv->order = sv->order == STACK_RARE ? STACK_COMMON : STACK_RARE;
		sv->cur = sv->top = 0;
		run(sv);
		return REACT_VIEW | REACT_CHROME;
	default:
		return list_move(&sv->cur, act, n, h) ? REACT_VIEW | REACT_CHROME : REACT_PASS;
	}
}

static void reload(struct view *v)
{
	struct stackv *sv = SV(v);
	sv->cur = sv->top = 0;
	run(sv);
}

static void status(struct view *v, char *buf, size_t n)
{
	struct stackv *sv = SV(v);
	const char *order = sv->order == STACK_RARE ? "rare first" : "common first";
	if (!sv->ok) {
		snprintf(buf, n, "stack of %s, %s", sv->field, order);
		return;
	}
	char vals[32], evs[32];
	draw_count(sv->s.values, vals, sizeof vals);
	draw_count(sv->s.events, evs, sizeof evs);
	snprintf(buf, n, "value %zu of %s%s  %s  (%s events)", sv->s.n ? sv->cur + 1 : 0, vals,
		 (int64_t)sv->s.n < sv->s.values ? " (first 10,000)" : "", order, evs);
}

static void stack_free(struct view *v)
{
	struct stackv *sv = SV(v);
	if (sv->ok)
		stack_clear(&sv->s);
	free(sv->field);
	free(sv);
}

static const struct view_ops stack_ops = {
	.name = "stack",
	.keymap = KEYMAP_STACK,
	.draw = draw,
	.action = action,
	.reload = reload,
	.status = status,
	.free = stack_free,
};

struct view *view_stack_new(struct app *a, const char *field)
{
	struct stackv *sv = xcalloc(1, sizeof *sv);
	sv->v.ops = &stack_ops;
	sv->v.app = a;
	sv->field = xstrdup(field);
	sv->order = STACK_RARE;
	sv->names = !strcmp(field, "app") || !strcmp(field, "client_app");
	run(sv);
	return &sv->v;
}
