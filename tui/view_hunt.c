/*
 * view_hunt.c: the hunt menu and a hunt's rows (view_hunt.h).
 *
 * Both are tables of the same shape: the menu's rows are the hunts, a
 * hunt's rows are what it found, in the columns the hunt defines. The
 * menu owns the results of hunt_run_all and lends one to the hunt view
 * it opens (which sits above it, so is freed first); :hunt NAME runs its
 * hunt alone and owns the result.
 */
#include "view_hunt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "annot.h"
#include "clip.h"
#include "app.h"
#include "list.h"
#include "draw.h"
#include "sigma.h"
#include "sigma_run.h"
#include "theme.h"
#include "view_sigma.h"
#include "view_value.h"
#include "xalloc.h"

struct huntv {
	struct view v;
	bool menu;
	struct hunt_result *res[HUNT_COUNT]; /* menu: every hunt's */
	struct hunt_result *r;               /* a hunt's rows */
	bool owned;                          /* r is ours to free */
	bool ok;
	size_t cur, top;
	size_t col, left; /* a hunt's rows: column cursor, first column shown */
	int *x, *w;       /* where each column is drawn, its width (0: off screen) */
};

#define HV(v) ((struct huntv *)(v))

static void opts(struct app *a, struct hunt_opts *o)
{
	hunt_opts_init(o);
	o->progress = (struct progress){ app_progress, a };
}

static size_t nrows(const struct huntv *h)
{
	if (!h->ok)
		return 0;
	/* the menu's last row is the group of Sigma rules */
	return h->menu ? HUNT_COUNT + 1 : h->r->nrows;
}

static size_t page_rows(const struct huntv *h)
{
	return h->v.rows > 2 ? (size_t)(h->v.rows - 2) : 1;
}

/* A hunt's time value (ISO with milliseconds) as the timeline shows it. */
static const char *short_time(const char *iso, char *buf, size_t n)
{
	snprintf(buf, n, "%.19s", iso);
	if (strlen(buf) > 10)
		buf[10] = ' ';
	return buf;
}

static void draw_menu(struct huntv *h, WINDOW *w)
{
	struct view *v = &h->v;
	attr_t head = theme_attr(THEME_HEADER);
	draw_fill(w, 0, 0, v->cols, head);
	draw_text(w, 0, 2, "Hunts: Enter opens one; its hits are what a responder looks at first",
		  v->cols - 2, head);
	draw_fill(w, 1, 0, v->cols, head);
	draw_cell(w, 1, 2, "hunt", 20, head, false);
	draw_cell(w, 1, 23, "hits", 6, head, true);
	draw_cell(w, 1, 30, "rows", 6, head, true);
	draw_text(w, 1, 37, "finds", v->cols - 37, head);
	for (size_t i = h->top; i < HUNT_COUNT && i - h->top < page_rows(h); i++) {
		int y = (int)(i - h->top) + 2;
		const struct hunt_result *r = h->res[i];
		bool sel = i == h->cur;
		attr_t base = theme_attr(sel ? THEME_SELECTED : THEME_NORMAL);
		attr_t hit = sel ? base : theme_attr(THEME_SUSPICIOUS);
		draw_fill(w, y, 0, v->cols, base);
		if (r->nhits)
			draw_text(w, y, 0, "!", 1, hit);
		char num[32];
		draw_cell(w, y, 2, r->def->name, 20, base, false);
		draw_cell(w, y, 23, draw_count((int64_t)r->nhits, num, sizeof num), 6, r->nhits ? hit : base,
			  true);
		draw_cell(w, y, 30, draw_count((int64_t)r->nrows, num, sizeof num), 6, base, true);
		draw_text(w, y, 37, r->def->title, v->cols - 37, base);
	}
	size_t i = HUNT_COUNT;
	if (i >= h->top && i - h->top < page_rows(h)) {
		int y = (int)(i - h->top) + 2;
		bool sel = i == h->cur;
		struct sigma_set *set;
		struct sigma_run *run;
		bool have = app_sigma(v->app, &set, &run);
		size_t hits = 0;
		for (size_t k = 0; have && k < set->n; k++)
			hits += run->hits[k].nevents;
		attr_t base = theme_attr(sel ? THEME_SELECTED : THEME_NORMAL);
		attr_t hit = sel ? base : theme_attr(THEME_SUSPICIOUS);
		draw_fill(w, y, 0, v->cols, base);
		if (hits)
			draw_text(w, y, 0, "!", 1, hit);
		char num[32], *title;
		draw_cell(w, y, 2, "sigma", 20, base, false);
		if (have) {
			draw_cell(w, y, 23, draw_count((int64_t)hits, num, sizeof num), 6, hits ? hit : base,
				  true);
			draw_cell(w, y, 30, draw_count((int64_t)set->n, num, sizeof num), 6, base, true);
			title = xasprintf("Sigma rules: %zu matched, %zu ran, %zu skipped, %zu unsupported",
					  run->matched, run->ran, run->skipped, run->unsupported);
		} else {
			const char *env = getenv("AUDITSCOPE_SIGMA");
			title = env && *env ? xstrdup("Sigma rules of AUDITSCOPE_SIGMA: Enter runs them")
					    : xstrdup("Sigma rules: set AUDITSCOPE_SIGMA or type :sigma PATH");
		}
		draw_text(w, y, 37, title, v->cols - 37, base);
		free(title);
	}
}

/* A hunt's value as shown: times as the timeline shows them. */
static const char *shown(const struct hunt_def *d, size_t c, const char *val, char *buf, size_t n)
{
	return val && d->cols[c].type == HUNT_TIME ? short_time(val, buf, n) : val;
}

/*
 * Lay a hunt's columns out in the view's width: each as wide as its
 * widest value (at most 40). The columns up to the last count must fit
 * (the counts are what a hunt is read for): the text columns among them
 * shrink, widest first, to 8 columns; the columns after the counts show
 * as far as there is room, and the table scrolls sideways from the
 * column cursor. Everything shown, the last column takes what is left.
 */
static void layout_rows(struct huntv *h)
{
	const struct hunt_result *r = h->r;
	const struct hunt_def *d = r->def;
	size_t nc = d->ncols ? d->ncols : 1;
	int *want = xcalloc(nc, sizeof *want);
	free(h->x);
	free(h->w);
	h->x = xcalloc(nc, sizeof *h->x);
	h->w = xcalloc(nc, sizeof *h->w);
	char tb[32];
	int total;
	for (size_t c = 0; c < d->ncols; c++) {
		want[c] = draw_width(d->cols[c].name);
		for (size_t i = 0; i < r->nrows; i++) {
			int k = draw_width(shown(d, c, r->rows[i].vals[c], tb, sizeof tb));
			if (k > want[c])
				want[c] = k;
		}
		if (want[c] > 40)
			want[c] = 40;
	}
	/* the columns through the last count must show: the text columns
	 * among them shrink for it; what comes after scrolls */
	size_t keep = d->ncols ? d->ncols - 1 : 0;
	for (size_t c = 0; c < d->ncols; c++)
		if (d->cols[c].type == HUNT_NUMBER)
			keep = c;
	total = -1;
	for (size_t c = 0; c <= keep && c < d->ncols; c++)
		total += want[c] + 1;
	int avail = h->v.cols - 2;
	while (total > avail) {
		size_t widest = nc;
		for (size_t c = 0; c <= keep && c < d->ncols; c++)
			if (d->cols[c].type == HUNT_TEXT && want[c] > 8 &&
			    (widest == nc || want[c] > want[widest]))
				widest = c;
		if (widest == nc)
			break;
		want[widest]--;
		total--;
	}
	if (h->col >= d->ncols)
		h->col = d->ncols ? d->ncols - 1 : 0;
	if (h->col < h->left)
		h->left = h->col;
	for (;;) {
		memset(h->w, 0, nc * sizeof *h->w);
		int x = 2;
		size_t last = h->left;
		bool any = false;
		for (size_t c = h->left; c < d->ncols && x < h->v.cols; c++) {
			int room = h->v.cols - x;
			h->x[c] = x;
			if (want[c] <= room) {
				h->w[c] = want[c];
				x += want[c] + 1;
				last = c;
				any = true;
				continue;
			}
			if (room >= 6 || c == h->left)
				h->w[c] = room;
			break;
		}
		if (h->col <= last || !any || h->left >= h->col) {
			if (any && last + 1 == d->ncols && x - 1 < h->v.cols)
				h->w[last] += h->v.cols - (x - 1);
			break;
		}
		h->left++;
	}
	free(want);
}

static void draw_rows(struct huntv *h, WINDOW *w)
{
	struct view *v = &h->v;
	const struct hunt_result *r = h->r;
	const struct hunt_def *d = r->def;
	attr_t head = theme_attr(THEME_HEADER);
	char *title = xasprintf("%s: %s", d->name, d->title);
	draw_fill(w, 0, 0, v->cols, head);
	draw_text(w, 0, 2, title, v->cols - 2, head);
	free(title);
	layout_rows(h);
	char tb[32];
	draw_fill(w, 1, 0, v->cols, head);
	if (h->left > 0)
		draw_text(w, 1, 0, "<", 1, head);
	if (d->ncols && !h->w[d->ncols - 1])
		draw_text(w, 1, 1, ">", 1, head);
	for (size_t c = 0; c < d->ncols; c++)
		if (h->w[c])
			draw_cell(w, 1, h->x[c], d->cols[c].name, h->w[c],
				  c == h->col ? theme_attr(THEME_CELL) : head, d->cols[c].type == HUNT_NUMBER);
	if (!r->nrows)
		draw_text(w, 3, 2, "Nothing found.", v->cols - 2, theme_attr(THEME_MESSAGE));
	for (size_t i = h->top; i < r->nrows && i - h->top < page_rows(h); i++) {
		const struct hunt_row *row = &r->rows[i];
		int y = (int)(i - h->top) + 2;
		bool sel = i == h->cur;
		attr_t base = theme_attr(sel ? THEME_SELECTED : row->hit ? THEME_SUSPICIOUS : THEME_NORMAL);
		draw_fill(w, y, 0, v->cols, base);
		if (row->hit)
			draw_text(w, y, 0, "!", 1, sel ? base : theme_attr(THEME_SUSPICIOUS));
		for (size_t c = 0; c < d->ncols; c++)
			if (h->w[c])
				draw_cell(w, y, h->x[c], shown(d, c, row->vals[c], tb, sizeof tb), h->w[c],
					  sel && c == h->col ? theme_attr(THEME_CELL) : base,
					  d->cols[c].type == HUNT_NUMBER);
	}
}

/* The row under the cursor as one JSON object, the hunt's column names
 * as keys. */
static char *row_json(const struct huntv *h)
{
	const struct hunt_def *d = h->r->def;
	const struct hunt_row *row = &h->r->rows[h->cur];
	json_t *o = json_object();
	json_object_set_new(o, "hunt", json_string(d->name));
	for (size_t c = 0; c < d->ncols; c++) {
		const char *val = row->vals[c];
		long long n;
		char *end;
		if (!val)
			json_object_set_new(o, d->cols[c].name, json_null());
		else if (d->cols[c].type == HUNT_NUMBER && (n = strtoll(val, &end, 10), *val && !*end))
			json_object_set_new(o, d->cols[c].name, json_integer(n));
		else
			json_object_set_new(o, d->cols[c].name, json_string(val));
	}
	if (row->reason)
		json_object_set_new(o, "reason", json_string(row->reason));
	json_object_set_new(o, "hit", json_boolean(row->hit));
	char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	return s;
}

/* v, y, Y on a hunt's rows. */
static int cell_action(struct huntv *h, enum keys_action act)
{
	struct app *a = h->v.app;
	if (!h->ok || h->menu || h->cur >= h->r->nrows || !h->r->def->ncols) {
		app_message(a, "open a hunt first (Enter): its rows have cells");
		return REACT_CHROME;
	}
	const struct hunt_def *d = h->r->def;
	const char *val = h->r->rows[h->cur].vals[h->col];
	char *cause = NULL, *s = NULL;
	switch (act) {
	case ACT_VALUE: {
		char *title = xasprintf("%s of row %zu of %s (v or q closes, y copies)", d->cols[h->col].name,
					h->cur + 1, d->name);
		app_push_view(a, view_value_new(a, title, val));
		free(title);
		return REACT_ALL;
	}
	case ACT_COPY:
		if (clip_copy(val, &cause) < 0)
			app_error(a, "%s", cause);
		else
			app_message(a, "copied %s: %s", d->cols[h->col].name, val);
		break;
	default:
		s = row_json(h);
		if (clip_copy(s, &cause) < 0)
			app_error(a, "%s", cause);
		else
			app_message(a, "copied the row as JSON: %s", s);
		break;
	}
	free(cause);
	free(s);
	return REACT_CHROME;
}

static void draw(struct view *v, WINDOW *w)
{
	struct huntv *h = HV(v);
	werase(w);
	size_t n = nrows(h), ph = page_rows(h);
	list_show(h->cur, &h->top, ph);
	if (!h->ok) {
		draw_text(w, 1, 2, "No hunt results: they were stopped or failed. q goes back.", v->cols - 2,
			  theme_attr(THEME_MESSAGE));
		return;
	}
	(void)n;
	if (h->menu)
		draw_menu(h, w);
	else
		draw_rows(h, w);
}

/* m: bookmark the events behind a row, tagged with the hunt's name. */
static int bookmark_row(struct huntv *h)
{
	struct app *a = h->v.app;
	if (!h->ok || h->menu || h->cur >= h->r->nrows)
		return REACT_NONE;
	const struct hunt_row *row = &h->r->rows[h->cur];
	if (!row->hit || !row->nevents || !row->events) {
		app_message(a, "only a hit's events are bookmarked (this row is context)");
		return REACT_CHROME;
	}
	char *cause = NULL;
	size_t done = 0;
	for (size_t i = 0; i < row->nevents; i++) {
		if (annot_mark(app_store(a), row->events[i], true, &cause) < 0 ||
		    annot_tag_add(app_store(a), row->events[i], h->r->def->name, &cause) < 0 ||
		    hunt_note(app_store(a), row->events[i], h->r->def->name, row->reason, &cause) < 0) {
			app_error(a, "bookmark: %s", cause);
			free(cause);
			break;
		}
		done++;
	}
	if (done == row->nevents)
		app_message(a, "bookmarked and tagged %s: %zu events", h->r->def->name, done);
	app_annotated(a);
	return REACT_VIEW | REACT_CHROME;
}

/* Enter on a row: its events in the timeline. */
static int open_row(struct huntv *h)
{
	struct app *a = h->v.app;
	const struct hunt_row *row = &h->r->rows[h->cur];
	if (!row->filter) {
		app_message(a, "this row has no events to show");
		return REACT_CHROME;
	}
	char *label = xasprintf("hunt %s", h->r->def->name);
	int rc = app_filter_push(a, row->filter, label);
	free(label);
	return rc < 0 ? REACT_CHROME : REACT_HOME;
}

static const struct view_ops hunt_rows_ops;

static int action(struct view *v, enum keys_action act);

/* A click puts the cursor on the row (and, in a hunt's rows, the
 * column); a double click opens it. */
static int click(struct view *v, int y, int x, bool twice)
{
	struct huntv *h = HV(v);
	size_t i = h->top + (size_t)(y - 2);
	if (y < 2 || i >= nrows(h))
		return REACT_NONE;
	h->cur = i;
	if (!h->menu && h->w)
		for (size_t c = 0; c < h->r->def->ncols; c++)
			if (h->w[c] && x >= h->x[c] && x < h->x[c] + h->w[c])
				h->col = c;
	return twice ? action(v, ACT_ENTER) : REACT_VIEW | REACT_CHROME;
}

static int action(struct view *v, enum keys_action act)
{
	struct huntv *h = HV(v);
	size_t n = nrows(h), ph = page_rows(h);
	switch (act) {
	case ACT_ENTER:
		if (!n)
			return REACT_NONE;
		if (h->menu && h->cur == HUNT_COUNT) {
			struct sigma_set *set;
			struct sigma_run *run;
			if (!app_sigma(v->app, &set, &run) && view_sigma_from_env(v->app) < 0)
				return REACT_ALL;
			app_push_view(v->app, view_sigma_new(v->app));
			return REACT_ALL;
		}
		if (h->menu) {
			struct huntv *sub = xcalloc(1, sizeof *sub);
			sub->v.ops = &hunt_rows_ops;
			sub->v.app = v->app;
			sub->r = h->res[h->cur];
			sub->ok = true;
			app_push_view(v->app, &sub->v);
			return REACT_ALL;
		}
		return open_row(h);
	case ACT_BOOKMARK: return bookmark_row(h);
	case ACT_HUNTS: return REACT_POP;
	case ACT_VALUE:
	case ACT_COPY:
	case ACT_COPY_ROW: return cell_action(h, act);
	case ACT_LEFT:
	case ACT_RIGHT:
		if (h->menu || !h->ok)
			return REACT_NONE;
		if (act == ACT_LEFT && h->col > 0)
			h->col--;
		else if (act == ACT_RIGHT && h->col + 1 < h->r->def->ncols)
			h->col++;
		return REACT_VIEW | REACT_CHROME;
	default: return list_move(&h->cur, act, n, ph) ? REACT_VIEW | REACT_CHROME : REACT_PASS;
	}
}

static void status(struct view *v, char *buf, size_t n)
{
	struct huntv *h = HV(v);
	if (!h->ok) {
		snprintf(buf, n, "hunts");
		return;
	}
	if (h->menu) {
		size_t hits = 0;
		for (int i = 0; i < HUNT_COUNT; i++)
			hits += h->res[i]->nhits;
		snprintf(buf, n, "%zu hunts, %zu hits", (size_t)HUNT_COUNT, hits);
		return;
	}
	char base[40] = "";
	if (h->r->baseline_until != INT64_MIN) {
		char t[32];
		snprintf(base, sizeof base, "  baseline until %s",
			 draw_time(h->r->baseline_until, t, sizeof t));
	}
	const char *col = h->r->def->ncols ? h->r->def->cols[h->col < h->r->def->ncols ? h->col : 0].name : "";
	bool cut = h->w && h->r->nrows && h->col < h->r->def->ncols && h->w[h->col] &&
		   !draw_fits(h->r->rows[h->cur].vals[h->col], h->w[h->col]);
	snprintf(buf, n, "row %zu of %zu, %zu hits  col %s%s  %.2f s%s", h->r->nrows ? h->cur + 1 : 0,
		 h->r->nrows, h->r->nhits, col, cut ? " (cut: v)" : "", h->r->seconds, base);
}

static void hunt_free(struct view *v)
{
	struct huntv *h = HV(v);
	if (h->menu)
		for (int i = 0; i < HUNT_COUNT; i++)
			hunt_result_free(h->res[i]);
	if (h->owned)
		hunt_result_free(h->r);
	free(h->x);
	free(h->w);
	free(h);
}

static const struct view_ops hunt_ops = {
	.name = "hunts",
	.keymap = KEYMAP_HUNTS,
	.draw = draw,
	.action = action,
	.click = click,
	.status = status,
	.free = hunt_free,
};

static const struct view_ops hunt_rows_ops = {
	.name = "hunt",
	.keymap = KEYMAP_HUNTS,
	.draw = draw,
	.action = action,
	.click = click,
	.status = status,
	.free = hunt_free,
};

struct view *view_hunt_menu_new(struct app *a)
{
	struct huntv *h = xcalloc(1, sizeof *h);
	h->v.ops = &hunt_ops;
	h->v.app = a;
	h->menu = true;
	struct hunt_opts o;
	opts(a, &o);
	char *cause = NULL;
	app_busy_begin(a, "hunting");
	int rc = hunt_run_all(app_store(a), &o, h->res, &cause);
	app_busy_end(a);
	if (rc < 0) {
		if (cause && !strcmp(cause, PROGRESS_CANCELLED))
			app_message(a, "hunts stopped (Esc)");
		else
			app_error(a, "hunts: %s", cause ? cause : "failed");
		free(cause);
		memset(h->res, 0, sizeof h->res);
		h->menu = false; /* nothing to free */
		return &h->v;
	}
	h->ok = true;
	return &h->v;
}

struct view *view_hunt_new(struct app *a, const struct hunt_def *d)
{
	struct huntv *h = xcalloc(1, sizeof *h);
	h->v.ops = &hunt_rows_ops;
	h->v.app = a;
	h->owned = true;
	struct hunt_opts o;
	opts(a, &o);
	char *cause = NULL, what[64];
	snprintf(what, sizeof what, "hunt %s", d->name);
	app_busy_begin(a, what);
	int rc = hunt_run(app_store(a), d->id, &o, &h->r, &cause);
	app_busy_end(a);
	if (rc < 0) {
		if (cause && !strcmp(cause, PROGRESS_CANCELLED))
			app_message(a, "hunt %s stopped (Esc)", d->name);
		else
			app_error(a, "hunt %s: %s", d->name, cause ? cause : "failed");
		free(cause);
		h->r = NULL;
		return &h->v;
	}
	h->ok = true;
	return &h->v;
}
