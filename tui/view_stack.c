/*
 * view_stack.c: the frequency table (view_stack.h).
 *
 * The table is computed by stack_fields (core/stack.h) under the app's
 * progress callback, so a big stack shows progress and Esc stops it.
 * Rare-first is the default: stacking is how the rare app id is found.
 * + adds a field (app x mailbox, user x ip, any json.PATH): one row per
 * combination. o picks the sort column (events, the distinct count,
 * first seen, last seen, the values) and s flips its direction; a table
 * that holds every value is sorted again in place, a cut one is
 * computed again. Enter (or =) drills in: the filter narrows to the
 * row's values and the timeline shows their events (q comes back here);
 * - excludes them and the table is computed again, so noise can be
 * peeled off one row at a time.
 */
#include "view_stack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "draw.h"
#include "filter.h"
#include "list.h"
#include "stack.h"
#include "theme.h"
#include "view_value.h"
#include "xalloc.h"

#define STACK_LIMIT 10000

struct stackv {
	struct view v;
	char *fields[STACK_MAX_FIELDS];
	size_t nfields;
	enum stack_sort by;
	bool desc;
	struct stack s;
	bool ok;                      /* s holds a result */
	bool names[STACK_MAX_FIELDS]; /* the field holds app ids: show their names */
	size_t cur, top;
	size_t col; /* the column cursor: which field v shows */
};

#define SV(v) ((struct stackv *)(v))

/* "app x mailbox" into buf. */
static const char *fields_text(const struct stackv *sv, const char *sep, char *buf, size_t n)
{
	size_t k = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sv->nfields && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, "%s%s", i ? sep : "", sv->fields[i]);
	return buf;
}

static void run(struct stackv *sv)
{
	struct app *a = sv->v.app;
	char *cause = NULL, what[160], f[128];
	if (sv->ok)
		stack_clear(&sv->s);
	sv->ok = false;
	snprintf(what, sizeof what, "stacking %s", fields_text(sv, " x ", f, sizeof f));
	app_busy_begin(a, what);
	int rc = stack_fields(app_query(a), (const char *const *)sv->fields, sv->nfields, sv->by, sv->desc,
			      STACK_LIMIT, &sv->s, &cause);
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

static const char *distinct_title(const struct stackv *sv)
{
	if (!sv->ok || !sv->s.distinct)
		return "distinct";
	return !strcmp(sv->s.distinct, "mailbox") ? "mailboxes"
	       : !strcmp(sv->s.distinct, "user")  ? "users"
						  : sv->s.distinct;
}

/* A header cell, with ^ or v after the sort column's title. */
static void head_cell(struct stackv *sv, WINDOW *w, int x, const char *title, int width, enum stack_sort col,
		      bool right, bool cursor)
{
	char t[64];
	if (sv->by == col)
		snprintf(t, sizeof t, "%s %s", title, sv->desc ? "v" : "^");
	else
		snprintf(t, sizeof t, "%s", title);
	attr_t a = theme_attr(THEME_HEADER);
	draw_cell(w, 0, x, t, width, cursor ? (a | A_UNDERLINE) : a, right);
}

static void draw(struct view *v, WINDOW *w)
{
	struct stackv *sv = SV(v);
	werase(w);
	attr_t head = theme_attr(THEME_HEADER);
	int cols = v->cols;
	/* values | events | distinct | first | last | bar */
	int wn = 9, wd = 11, wt = 19;
	bool times = cols >= 2 + 24 * (int)sv->nfields + 2 * (wn + 1) + 2 * (wt + 1) + 8;
	int fixed = wn + 1 + wd + 1 + (times ? 2 * (wt + 1) : 0);
	int rest = cols - 2 - fixed - (int)sv->nfields;
	/* the values first; the bar gets what is left, at least 10 */
	int wv = rest > 30 ? rest - 10 : rest, wb = rest - wv;
	/* each value column as wide as its values, within its share */
	int want[STACK_MAX_FIELDS], total = 0;
	for (size_t k = 0; k < sv->nfields; k++) {
		want[k] = 12;
		for (size_t i = 0; sv->ok && i < sv->s.n && i < 2000; i++) {
			const char *val = stack_value(&sv->s.rows[i], k);
			int n = draw_width(val ? val : "(none)");
			const char *nm = sv->names[k] && val ? app_app_name(v->app, val) : NULL;
			if (nm)
				n += 2 + draw_width(nm);
			if (n > want[k])
				want[k] = n;
		}
		total += want[k];
	}
	int wvals[STACK_MAX_FIELDS] = { 0 };
	if (total <= wv) {
		for (size_t k = 0; k < sv->nfields; k++)
			wvals[k] = want[k];
		if (wb)
			wb += wv - total;
	} else {
		int left = wv;
		for (size_t k = 0; k < sv->nfields; k++) {
			wvals[k] = k + 1 == sv->nfields ? left : (int)((long)wv * want[k] / total);
			if (wvals[k] < 4)
				wvals[k] = 4;
			left -= wvals[k];
		}
	}
	draw_fill(w, 0, 0, cols, head);
	int x = 2;
	for (size_t k = 0; k < sv->nfields; k++) {
		head_cell(sv, w, x, sv->fields[k], wvals[k], k == 0 ? STACK_BY_VALUE : STACK_BY_COUNT, false,
			  sv->nfields > 1 && k == sv->col);
		x += wvals[k] + 1;
	}
	head_cell(sv, w, x, "events", wn, STACK_BY_EVENTS, true, false);
	x += wn + 1;
	head_cell(sv, w, x, distinct_title(sv), wd, STACK_BY_DISTINCT, true, false);
	x += wd + 1;
	if (times) {
		head_cell(sv, w, x, "first (UTC)", wt, STACK_BY_FIRST, false, false);
		x += wt + 1;
		head_cell(sv, w, x, "last (UTC)", wt, STACK_BY_LAST, false, false);
	}
	if (!sv->ok) {
		draw_text(w, 2, 2, "No stack: it was stopped or failed. s runs it again, q goes back.",
			  cols - 2, theme_attr(THEME_MESSAGE));
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
	list_show(sv->cur, &sv->top, page_rows(sv));
	for (size_t i = sv->top; i < sv->s.n && (int)(i - sv->top) + 1 < v->rows; i++) {
		const struct stack_row *r = &sv->s.rows[i];
		int y = (int)(i - sv->top) + 1;
		bool sel = i == sv->cur;
		attr_t base = theme_attr(sel ? THEME_SELECTED : THEME_NORMAL);
		draw_fill(w, y, 0, cols, base);
		x = 2;
		for (size_t k = 0; k < sv->nfields; k++) {
			const char *val = stack_value(r, k);
			const char *nm = sv->names[k] && val ? app_app_name(v->app, val) : NULL;
			attr_t a = sel && sv->nfields > 1 && k == sv->col ? theme_attr(THEME_CELL) : base;
			int used = draw_text(w, y, x, val ? val : "(none)", wvals[k],
					     val ? a : (a | theme_attr(THEME_DIM)));
			if (nm && used + 3 < wvals[k]) {
				used += draw_text(w, y, x + used, "  ", wvals[k] - used, base);
				draw_text(w, y, x + used, nm, wvals[k] - used,
					  sel ? base : theme_attr(THEME_DIM));
			}
			x += wvals[k] + 1;
		}
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
		if (wb > 1) {
			int len = (int)((double)r->events / (double)max * (wb - 1) + 0.5);
			draw_bar(w, y, x, len < 1 ? 1 : len, theme_attr(THEME_BAR));
		}
	}
}

/* "field=value" of the row's field k, as the filter reads it (caller
 * frees). */
static char *term(const struct stackv *sv, const struct stack_row *r, size_t k)
{
	const char *val = stack_value(r, k);
	char *q = filter_quote(val ? val : "");
	char *t = xasprintf("%s=%s", sv->fields[k], q);
	free(q);
	return t;
}

static int drill(struct stackv *sv, bool exclude)
{
	struct app *a = sv->v.app;
	if (!sv->ok || sv->cur >= sv->s.n)
		return REACT_NONE;
	const struct stack_row *r = &sv->s.rows[sv->cur];
	if (sv->nfields == 1) {
		if (app_pivot(a, sv->fields[0], r->value, exclude) < 0)
			return REACT_CHROME;
	} else {
		/* the combination: all of its values, or not all of them */
		char *terms = xstrdup("");
		for (size_t k = 0; k < sv->nfields; k++) {
			char *t = term(sv, r, k);
			char *j = xasprintf("%s%s%s", terms, k ? " " : "", t);
			free(t);
			free(terms);
			terms = j;
		}
		const char *f = app_filter(a);
		char *what = exclude ? xasprintf("not (%s)", terms) : xstrdup(terms);
		char *text = *f ? xasprintf("(%s) %s", f, what) : xstrdup(what);
		int rc = app_filter_narrow(a, text, what);
		free(text);
		free(what);
		free(terms);
		if (rc < 0)
			return REACT_CHROME;
	}
	/* keep: go and read the events; exclude: stay and peel the next */
	return exclude ? REACT_ALL : REACT_POP | REACT_ALL;
}

/* A new sort: in place when the table holds every value. */
static void resort(struct stackv *sv)
{
	if (sv->ok && (int64_t)sv->s.n == sv->s.values)
		stack_sort(&sv->s, sv->by, sv->desc);
	else
		run(sv);
	sv->cur = sv->top = 0;
}

static int on_add_field(struct app *a, void *ctx, const char *text, int *column)
{
	(void)column;
	struct stackv *sv = ctx;
	while (*text == ' ')
		text++;
	bool json = !strncasecmp(text, "json.", 5) && text[5];
	const struct filter_field *ff = json ? NULL : filter_field_find(text);
	if (!json && (!ff || !(ff->flags & (FIELD_TEXT | FIELD_SOURCE)))) {
		app_error(a, "stack: '%s' is not a field that can be stacked (user, app, ip, ..., json.PATH)",
			  text);
		return -1;
	}
	if (sv->nfields == STACK_MAX_FIELDS) {
		app_error(a, "stack: at most %d fields", STACK_MAX_FIELDS);
		return -1;
	}
	sv->names[sv->nfields] = ff && (!strcmp(ff->name, "app") || !strcmp(ff->name, "client_app"));
	sv->fields[sv->nfields++] = xstrdup(json ? text : ff->name);
	sv->cur = sv->top = 0;
	run(sv);
	return REACT_ALL;
}

/* v: the whole value of the cursor's field in the cursor's row, with
 * the app's name in the heading when the field holds app ids. */
static int whole_value(struct stackv *sv)
{
	struct app *a = sv->v.app;
	if (!sv->ok || sv->cur >= sv->s.n)
		return REACT_NONE;
	const struct stack_row *r = &sv->s.rows[sv->cur];
	const char *val = stack_value(r, sv->col);
	const char *nm = sv->names[sv->col] && val ? app_app_name(a, val) : NULL;
	char *title = xasprintf("%s%s%s%s of row %zu of the stack (v or q closes, y copies)",
				sv->fields[sv->col], nm ? " (" : "", nm ? nm : "", nm ? ")" : "", sv->cur + 1);
	app_push_view(a, view_value_new(a, title, val));
	free(title);
	return REACT_ALL;
}

static int action(struct view *v, enum keys_action act)
{
	struct stackv *sv = SV(v);
	size_t n = sv->ok ? sv->s.n : 0, h = page_rows(sv);
	switch (act) {
	case ACT_VALUE: return whole_value(sv);
	case ACT_LEFT:
		if (sv->col == 0)
			return REACT_NONE;
		sv->col--;
		return REACT_VIEW | REACT_CHROME;
	case ACT_RIGHT:
		if (sv->col + 1 >= sv->nfields)
			return REACT_NONE;
		sv->col++;
		return REACT_VIEW | REACT_CHROME;
	case ACT_ENTER:
	case ACT_KEEP: return drill(sv, false);
	case ACT_EXCLUDE: return drill(sv, true);
	case ACT_SORT:
		/* after a stop, s runs the same stack again */
		if (sv->ok)
			sv->desc = !sv->desc;
		resort(sv);
		return REACT_VIEW | REACT_CHROME;
	case ACT_SORT_COLUMN:
		sv->by = (enum stack_sort)((sv->by + 1) % STACK_BY_COUNT);
		/* the natural direction of each: counts and last seen from the
		 * largest, first seen and values from the start */
		if (sv->by != STACK_BY_EVENTS)
			sv->desc = sv->by == STACK_BY_DISTINCT || sv->by == STACK_BY_LAST;
		resort(sv);
		return REACT_VIEW | REACT_CHROME;
	case ACT_ADD_FIELD:
		if (sv->nfields == STACK_MAX_FIELDS) {
			app_message(v->app, "at most %d fields in a stack", STACK_MAX_FIELDS);
			return REACT_CHROME;
		}
		app_prompt(v->app, "stack also on (field or json.PATH): ", NULL, APP_HIST_NONE, on_add_field,
			   sv, NULL);
		return REACT_CHROME;
	default: return list_move(&sv->cur, act, n, h) ? REACT_VIEW | REACT_CHROME : REACT_PASS;
	}
}

static void reload(struct view *v)
{
	struct stackv *sv = SV(v);
	sv->cur = sv->top = 0;
	run(sv);
}

static const char *order_text(const struct stackv *sv, char *buf, size_t n)
{
	if (sv->by == STACK_BY_EVENTS)
		snprintf(buf, n, "%s", sv->desc ? "common first" : "rare first");
	else
		snprintf(buf, n, "by %s, %s",
			 sv->by == STACK_BY_DISTINCT ? distinct_title(sv) : stack_sort_name(sv->by),
			 sv->desc ? "descending" : "ascending");
	return buf;
}

static void status(struct view *v, char *buf, size_t n)
{
	struct stackv *sv = SV(v);
	char order[64], f[128];
	order_text(sv, order, sizeof order);
	if (!sv->ok) {
		snprintf(buf, n, "stack of %s, %s", fields_text(sv, " x ", f, sizeof f), order);
		return;
	}
	char vals[32], evs[32];
	draw_count(sv->s.values, vals, sizeof vals);
	draw_count(sv->s.events, evs, sizeof evs);
	snprintf(buf, n, "%s %zu of %s%s  %s  (%s events)%s%s", sv->nfields > 1 ? "row" : "value",
		 sv->s.n ? sv->cur + 1 : 0, vals, (int64_t)sv->s.n < sv->s.values ? " (first 10,000)" : "",
		 order, evs, sv->nfields > 1 ? "  col " : "", sv->nfields > 1 ? sv->fields[sv->col] : "");
}

static void stack_free(struct view *v)
{
	struct stackv *sv = SV(v);
	if (sv->ok)
		stack_clear(&sv->s);
	for (size_t k = 0; k < sv->nfields; k++)
		free(sv->fields[k]);
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

struct view *view_stack_new_fields(struct app *a, const char *const *fields, size_t n, enum stack_sort by,
				   bool desc)
{
	struct stackv *sv = xcalloc(1, sizeof *sv);
	sv->v.ops = &stack_ops;
	sv->v.app = a;
	for (size_t k = 0; k < n && k < STACK_MAX_FIELDS; k++) {
		sv->fields[sv->nfields] = xstrdup(fields[k]);
		sv->names[sv->nfields++] = !strcmp(fields[k], "app") || !strcmp(fields[k], "client_app");
	}
	sv->by = by;
	sv->desc = desc;
	run(sv);
	return &sv->v;
}

struct view *view_stack_new(struct app *a, const char *field)
{
	const char *f[] = { field };
	return view_stack_new_fields(a, f, 1, STACK_BY_EVENTS, false);
}

bool view_stack_is(const struct view *v)
{
	return v && v->ops == &stack_ops;
}

char *view_stack_describe(const struct view *v)
{
	const struct stackv *sv = SV(v);
	char f[256];
	return xasprintf("stack %s by %s %s", fields_text(sv, ",", f, sizeof f), stack_sort_name(sv->by),
			 sv->desc ? "desc" : "asc");
}
