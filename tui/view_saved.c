/*
 * view_saved.c: saved views (view_saved.h): a name for the filter, the
 * columns and the sort of what is on screen, kept in the case with the
 * other annotations (annot.h: annot_view_*), and the menu that lists them.
 *
 * What is kept, as the case's views table holds it:
 *   filter   the filter's canonical text
 *   sort     "timeline col=FIELD" (the column the cursor is on), or
 *            "stack F1,F2 by SORT asc|desc" when a stack was on screen
 *   columns  the timeline's columns, every kind's set as the chooser (C)
 *            left it (columns.h's JSON; "{}": all as they come; NULL,
 *            from before columns were kept: as they are)
 * Opening a view pushes its filter as one step (Backspace undoes it),
 * puts the columns and cursor column back, and opens its stack again.
 */
#include "view_saved.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annot.h"
#include "app.h"
#include "draw.h"
#include "list.h"
#include "sanitize.h"
#include "stack.h"
#include "theme.h"
#include "view_stack.h"
#include "view_timeline.h"
#include "xalloc.h"

/* ------------------------------------------------------------------ */
/* Saving and opening */

int view_saved_save(struct app *a, const char *name)
{
	struct view *tl = app_timeline(a);
	/* the view on screen: a stack keeps its fields and sort */
	struct view *top = app_current_view(a);
	char *sort;
	if (top && view_stack_is(top))
		sort = view_stack_describe(top);
	else
		sort = xasprintf("timeline col=%s", tl ? view_timeline_column(tl) : "time");
	/* the timeline's columns, every set's, as the chooser (C) left them */
	char *columns = tl ? view_timeline_columns_get(tl) : NULL;
	char *cause = NULL;
	int rc = annot_view_save(app_store(a), name, app_filter(a), sort, columns, &cause);
	char *shown = sanitize(name, strlen(name));
	if (rc < 0)
		app_error(a, "view save: %s", cause ? cause : "failed");
	else
		app_message(a, "saved view '%s': %s%s", shown, *app_filter(a) ? app_filter(a) : "all events",
			    top && view_stack_is(top) ? " (with its stack)" : "");
	free(shown);
	free(cause);
	free(columns);
	free(sort);
	return rc < 0 ? -1 : 0;
}

/* "stack app,mailbox by events asc": the stack view it describes, or
 * NULL when sort is not a stack's. */
static struct view *stack_of(struct app *a, const char *sort)
{
	char fields[512], by[32] = "events", dir[8] = "asc";
	if (!sort || sscanf(sort, "stack %511s by %31s %7s", fields, by, dir) < 1)
		return NULL;
	const char *f[STACK_MAX_FIELDS];
	size_t n = 0;
	for (char *p = strtok(fields, ","); p && n < STACK_MAX_FIELDS; p = strtok(NULL, ","))
		f[n++] = p;
	enum stack_sort s = STACK_BY_EVENTS;
	stack_sort_parse(by, &s);
	return n ? view_stack_new_fields(a, f, n, s, !strcmp(dir, "desc")) : NULL;
}

int view_saved_open(struct app *a, const char *name)
{
	struct annot_view *sv = NULL;
	char *cause = NULL;
	int k = annot_view_get(app_store(a), name, &sv, &cause);
	char *shown = sanitize(name, strlen(name));
	if (k <= 0) {
		if (k < 0)
			app_error(a, "view: %s", cause ? cause : "failed");
		else
			app_error(a, "view: no saved view named '%s' (:view lists them)", shown);
		free(cause);
		free(shown);
		return -1;
	}
	char *label = xasprintf("view %s", shown);
	free(shown);
	/* the same filter already: only the columns and the sort change */
	int rc = strcmp(sv->filter ? sv->filter : "", app_filter(a)) ? app_filter_push(a, sv->filter, label)
								     : 0;
	free(label);
	if (rc < 0) {
		annot_view_free(sv);
		return -1;
	}
	struct view *tl = app_timeline(a);
	char col[128];
	/* the columns first, then the cursor's column among them; a view
	 * saved without columns leaves them as they are */
	if (tl && sv->columns)
		view_timeline_columns_set(tl, sv->columns);
	if (tl && sv->sort && sscanf(sv->sort, "timeline col=%127s", col) == 1)
		view_timeline_set_column(tl, col);
	/* the stack goes on top once the views above the timeline are
	 * put aside (q comes back to them) */
	struct view *st = stack_of(a, sv->sort);
	if (st)
		app_push_after(a, st);
	annot_view_free(sv);
	return REACT_HOME | REACT_ALL;
}

/* ------------------------------------------------------------------ */
/* The menu */

struct savedv {
	struct view v;
	struct annot_view **views;
	size_t n, cap;
	size_t cur, top;
	bool ok;
};

#define SAV(v) ((struct savedv *)(v))

static int collect(const struct annot_view *v, void *ctx)
{
	struct savedv *s = ctx;
	struct annot_view *c = xcalloc(1, sizeof *c);
	c->name = v->name ? xstrdup(v->name) : NULL;
	c->filter = v->filter ? xstrdup(v->filter) : NULL;
	c->sort = v->sort ? xstrdup(v->sort) : NULL;
	c->columns = v->columns ? xstrdup(v->columns) : NULL;
	c->author = v->author ? xstrdup(v->author) : NULL;
	c->created = v->created ? xstrdup(v->created) : NULL;
	s->views = xgrow(s->views, &s->cap, s->n + 1, sizeof *s->views);
	s->views[s->n++] = c;
	return 0;
}

static void views_clear(struct savedv *s)
{
	for (size_t i = 0; i < s->n; i++)
		annot_view_free(s->views[i]);
	s->n = 0;
}

static void load(struct savedv *s)
{
	views_clear(s);
	char *cause = NULL;
	s->ok = annot_view_each(app_store(s->v.app), collect, s, &cause) == 0;
	if (!s->ok) {
		app_error(s->v.app, "views: %s", cause ? cause : "failed");
		free(cause);
	}
	if (s->cur >= s->n)
		s->cur = s->n ? s->n - 1 : 0;
}

static size_t page_rows(const struct savedv *s)
{
	return s->v.rows > 1 ? (size_t)(s->v.rows - 1) : 1;
}

static void draw(struct view *v, WINDOW *w)
{
	struct savedv *s = SAV(v);
	werase(w);
	attr_t head = theme_attr(THEME_HEADER);
	int wn = 20, ws = 40, wa = 12, wc = 20;
	int wf = v->cols - 2 - wn - ws - wa - wc - 4;
	if (wf < 20) {
		wc = wa = 0;
		wf = v->cols - 2 - wn - ws - 2;
	}
	draw_fill(w, 0, 0, v->cols, head);
	int x = 2;
	draw_cell(w, 0, x, "name", wn, head, false);
	x += wn + 1;
	draw_cell(w, 0, x, "filter", wf, head, false);
	x += wf + 1;
	draw_cell(w, 0, x, "shows", ws, head, false);
	x += ws + 1;
	if (wa) {
		draw_cell(w, 0, x, "by", wa, head, false);
		draw_cell(w, 0, x + wa + 1, "saved (UTC)", wc, head, false);
	}
	if (!s->n) {
		draw_text(w, 2, 2,
			  "No saved view yet: :view save NAME keeps the filter, columns and sort on screen.",
			  v->cols - 2, theme_attr(THEME_MESSAGE));
		return;
	}
	list_show(s->cur, &s->top, page_rows(s));
	for (size_t i = s->top; i < s->n && i - s->top < page_rows(s); i++) {
		const struct annot_view *sv = s->views[i];
		int y = (int)(i - s->top) + 1;
		attr_t base = theme_attr(i == s->cur ? THEME_SELECTED : THEME_NORMAL);
		draw_fill(w, y, 0, v->cols, base);
		x = 2;
		draw_cell(w, y, x, sv->name, wn, base, false);
		x += wn + 1;
		draw_cell(w, y, x, sv->filter && *sv->filter ? sv->filter : "(all events)", wf, base, false);
		x += wf + 1;
		draw_cell(w, y, x, sv->sort, ws, base, false);
		x += ws + 1;
		if (wa) {
			draw_cell(w, y, x, sv->author, wa, base, false);
			draw_cell(w, y, x + wa + 1, sv->created, wc, base, false);
		}
	}
}

static int do_delete(struct app *a, void *ctx)
{
	struct savedv *s = ctx;
	if (s->cur >= s->n)
		return REACT_NONE;
	char *cause = NULL;
	if (annot_view_delete(app_store(a), s->views[s->cur]->name, &cause) < 0) {
		app_error(a, "view delete: %s", cause ? cause : "failed");
		free(cause);
	} else {
		app_message(a, "deleted");
	}
	load(s);
	return REACT_VIEW | REACT_CHROME;
}

static int action(struct view *v, enum keys_action act)
{
	struct savedv *s = SAV(v);
	switch (act) {
	case ACT_ENTER: {
		if (s->cur >= s->n)
			return REACT_NONE;
		char *name = xstrdup(s->views[s->cur]->name);
		int rc = view_saved_open(v->app, name);
		free(name);
		return rc < 0 ? REACT_CHROME : rc;
	}
	case ACT_EXCLUDE: {
		if (s->cur >= s->n)
			return REACT_NONE;
		char *shown = sanitize(s->views[s->cur]->name, strlen(s->views[s->cur]->name));
		char *q = xasprintf("Delete the saved view '%s'? (y/n)", shown);
		app_confirm(v->app, q, do_delete, s);
		free(q);
		free(shown);
		return REACT_CHROME;
	}
	default: return list_move(&s->cur, act, s->n, page_rows(s)) ? REACT_VIEW | REACT_CHROME : REACT_PASS;
	}
}

static void status(struct view *v, char *buf, size_t n)
{
	struct savedv *s = SAV(v);
	snprintf(buf, n, "saved view %zu of %zu", s->n ? s->cur + 1 : 0, s->n);
}

static void saved_free(struct view *v)
{
	struct savedv *s = SAV(v);
	views_clear(s);
	free(s->views);
	free(s);
}

static const struct view_ops saved_ops = {
	.name = "views",
	.keymap = KEYMAP_VIEWS,
	.draw = draw,
	.action = action,
	.status = status,
	.free = saved_free,
};

struct view *view_saved_new(struct app *a)
{
	struct savedv *s = xcalloc(1, sizeof *s);
	s->v.ops = &saved_ops;
	s->v.app = a;
	load(s);
	return &s->v;
}
