/*
 * view_timeline.c: the event table (view_timeline.h): its keys, its
 * place on the status line, and what other views ask of it. The rows are
 * read in timeline_rows.c, the columns laid out and drawn in
 * timeline_draw.c, search and bookmarks walked in timeline_search.c.
 */
#include "view_timeline.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotate.h"
#include "app.h"
#include "clip.h"
#include "draw.h"
#include "event.h"
#include "filter.h"
#include "state.h"
#include "timeline_impl.h"
#include "timeparse.h"
#include "view_columns.h"
#include "view_detail.h"
#include "view_stack.h"
#include "view_value.h"
#include "xalloc.h"

const struct query_row *view_timeline_current(struct view *v)
{
	return tl_current(TL(v));
}

bool view_timeline_step(struct view *v, int delta)
{
	return tl_step(TL(v), delta);
}

void view_timeline_goto(struct view *v, const struct query_pos *pos)
{
	struct tl *t = TL(v);
	/* already on screen: just move the cursor */
	for (size_t i = 0; i < t->n; i++)
		if (t->rows[i].ts > pos->ts || (t->rows[i].ts == pos->ts && t->rows[i].id >= pos->id)) {
			if (i > 0 || t->top_index == 0) {
				t->cur = i;
				return;
			}
			break;
		}
	tl_anchor(t, pos, t->n ? t->cur : tl_page_rows(t) / 3);
}

const char *view_timeline_column(struct view *v)
{
	return tl_col_def(TL(v))->field;
}

bool view_timeline_set_column(struct view *v, const char *field)
{
	struct tl *t = TL(v);
	int d = columns_find(field), i = d >= 0 ? columns_index(tl_layout(t), d) : -1;
	if (i < 0)
		return false;
	t->col = i;
	return true;
}

const char *view_timeline_set(struct view *v)
{
	return columns_set_name(TL(v)->set);
}

char *view_timeline_columns_get(struct view *v)
{
	char *s = columns_save(&TL(v)->cols);
	return s ? s : xstrdup("{}");
}

void view_timeline_columns_set(struct view *v, const char *json)
{
	struct tl *t = TL(v);
	columns_init(&t->cols);
	columns_load(&t->cols, json);
	tl_columns_changed(t);
}

void view_timeline_refresh_marks(struct view *v)
{
	struct tl *t = TL(v);
	tl_read_marks(t, 0, t->n);
}

/* --- copy --- */

static int copied(struct app *a, const char *what, const char *text)
{
	char *cause = NULL;
	if (clip_copy(text, &cause) < 0) {
		app_error(a, "%s", cause);
		free(cause);
		return REACT_CHROME;
	}
	/* the message shows the text as it was copied, sanitised on screen */
	app_message(a, "copied %s: %s", what, text);
	return REACT_CHROME;
}

/* The event as one JSON object, with the names of the command line's
 * JSON Lines and the facts of its kind read from the raw record. */
static char *row_json(struct tl *t, const struct query_row *r)
{
	char ts[40];
	time_format(r->ts, ts, sizeof ts);
	json_t *o = json_object();
	json_object_set_new(o, "ts", json_string(ts));
	json_object_set_new(o, "kind", json_string(event_kind_name((enum event_kind)r->kind)));
	size_t nf;
	const struct filter_field *ff = filter_fields(&nf);
	for (size_t i = 0; i < nf; i++) {
		const char *v = query_row_get(r, ff[i].name);
		if (v)
			json_object_set_new(o, ff[i].name, json_string(v));
	}
	if (r->op_count >= 0)
		json_object_set_new(o, "op_count", json_integer(r->op_count));
	size_t len = 0;
	char *raw = store_raw(app_store(t->v.app), r->id, &len);
	char *facts[FACT_COUNT];
	facts_read(raw, len, facts);
	free(raw);
	for (int f = 0; f < FACT_COUNT; f++) {
		if (facts[f])
			json_object_set_new(o, fact_name((enum fact)f), json_string(facts[f]));
		free(facts[f]);
	}
	char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	return s;
}

/* --- actions --- */

/* = and - on a fact: the value as a phrase of the raw record. */
static int pivot_fact(struct app *a, const char *value, bool exclude)
{
	char *q = filter_quote(value);
	const char *f = app_filter(a);
	char *text = *f ? xasprintf("(%s) %s%s", f, exclude ? "not " : "", q)
			: xasprintf("%s%s", exclude ? "not " : "", q);
	char *label = xasprintf("%s%s", exclude ? "not " : "", q);
	app_filter_push(a, text, label);
	free(text);
	free(label);
	free(q);
	return REACT_ALL;
}

/* F on the IP column: the address itself, or its country, AS number or
 * network owner (core/ipgeo.h) */
static int stack_ip_place(struct app *a, void *ctx, const char *text, int *column)
{
	(void)ctx;
	static const char *const ok[] = { "ip", "country", "asn", "as_org" };
	while (*text == ' ')
		text++;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		size_t n = strlen(ok[i]);
		if (!strncmp(text, ok[i], n) && (text[n] == '\0' || text[n] == ' ')) {
			app_push_view(a, view_stack_new(a, ok[i]));
			return REACT_ALL;
		}
	}
	*column = 1;
	app_error(a, "stack: ip, country, asn or as_org");
	return -1;
}

static int action(struct view *v, enum keys_action act)
{
	struct tl *t = TL(v);
	struct app *a = v->app;
	const struct query_row *r = tl_current(t);
	const struct col_def *d = tl_col_def(t);
	size_t h = tl_page_rows(t);
	char buf[64];
	switch (act) {
	case ACT_DOWN: tl_step(t, 1); return REACT_VIEW | REACT_CHROME;
	case ACT_UP: tl_step(t, -1); return REACT_VIEW | REACT_CHROME;
	case ACT_PAGE_DOWN: tl_move_cursor(t, 1, h); return REACT_VIEW | REACT_CHROME;
	case ACT_PAGE_UP: tl_move_cursor(t, -1, h); return REACT_VIEW | REACT_CHROME;
	case ACT_HALF_DOWN: tl_move_cursor(t, 1, h / 2 ? h / 2 : 1); return REACT_VIEW | REACT_CHROME;
	case ACT_HALF_UP: tl_move_cursor(t, -1, h / 2 ? h / 2 : 1); return REACT_VIEW | REACT_CHROME;
	case ACT_TOP: tl_load_first(t); return REACT_VIEW | REACT_CHROME;
	case ACT_BOTTOM: tl_load_last(t); return REACT_VIEW | REACT_CHROME;
	case ACT_LEFT:
		if (t->col > 0)
			t->col--;
		return REACT_VIEW | REACT_CHROME;
	case ACT_RIGHT:
		/* past the last column on screen the table scrolls (the
		 * layout pulls the cursor's column into view) */
		if (t->col + 1 < tl_layout(t)->n)
			t->col++;
		return REACT_VIEW | REACT_CHROME;
	case ACT_ENTER:
		if (!r)
			return REACT_NONE;
		app_push_view(a, view_detail_new(a, r));
		return REACT_ALL;
	case ACT_VALUE: {
		if (!r)
			return REACT_NONE;
		char *title = xasprintf("%s of the event at %s (v or q closes, y copies)",
					columns_title(t->set, tl_layout(t)->e[t->col].def),
					draw_time(r->ts, buf, sizeof buf));
		app_push_view(a, view_value_new(a, title, tl_cell_value(t, r, t->col, buf, sizeof buf)));
		free(title);
		return REACT_ALL;
	}
	case ACT_COPY:
		if (!r)
			return REACT_NONE;
		return copied(a, d->field, tl_cell_value(t, r, t->col, buf, sizeof buf));
	case ACT_COPY_ROW: {
		if (!r)
			return REACT_NONE;
		char *s = row_json(t, r);
		int rc = copied(a, "the event as JSON", s);
		free(s);
		return rc;
	}
	case ACT_COLUMNS: app_push_view(a, view_columns_new(a, v)); return REACT_ALL;
	case ACT_KEEP:
	case ACT_EXCLUDE: {
		if (!r)
			return REACT_NONE;
		if (d->src == COL_SRC_TIME) {
			app_message(a, "time: narrow with the histogram (i) or :goto TIME");
			return REACT_CHROME;
		}
		const char *value = tl_cell_value(t, r, t->col, buf, sizeof buf);
		if (d->src == COL_SRC_FACT) {
			if (!value) {
				app_message(a, "%s: this event has none", d->field);
				return REACT_CHROME;
			}
			return pivot_fact(a, value, act == ACT_EXCLUDE);
		}
		const char *field = !strcmp(d->field, "detail") && !r->detail ? "client_info" : d->field;
		app_pivot(a, field, query_row_get(r, field), act == ACT_EXCLUDE);
		return REACT_ALL;
	}
	case ACT_STACK:
		if (d->src == COL_SRC_TIME) {
			app_message(a, "stack: pick another column (h/l); the histogram (i) counts by time");
			return REACT_CHROME;
		}
		if (d->src == COL_SRC_FACT) {
			app_message(a, "stack: %s is read from each raw record; = or - filter on it", d->field);
			return REACT_CHROME;
		}
		if (!strcmp(d->field, "ip")) { /* or where the IPs are */
			app_prompt(a, "stack ip or its place (ip country asn as_org): ", "ip", APP_HIST_NONE,
				   stack_ip_place, NULL, NULL);
			return REACT_CHROME;
		}
		app_push_view(a, view_stack_new(a, d->field));
		return REACT_ALL;
	case ACT_SEARCH: return tl_search_prompt(t);
	case ACT_SEARCH_NEXT: return tl_search_go(t, 1);
	case ACT_SEARCH_PREV: return tl_search_go(t, -1);
	case ACT_BOOKMARK:
		return r ? annotate_bookmark(a, r->id, (t->ann[t->cur] & ANN_MARK) != 0) : REACT_NONE;
	case ACT_NEXT_MARK:
	case ACT_PREV_MARK: return tl_goto_mark(t, act == ACT_PREV_MARK);
	case ACT_TAG: return r ? annotate_tag(a, r->id) : REACT_NONE;
	case ACT_NOTE: return r ? annotate_note(a, r->id) : REACT_NONE;
	case ACT_MARK_ALL: return tl_mark_all(t);
	default: return REACT_PASS;
	}
}

/* A click on a row moves the cursor (and the column cursor) there; a
 * double click opens the event. */
static int click(struct view *v, int y, int x, bool twice)
{
	struct tl *t = TL(v);
	if (y < 1 || (size_t)(y - 1) >= t->n)
		return REACT_NONE;
	t->cur = (size_t)(y - 1);
	const struct col_layout *l = tl_layout(t);
	for (int c = 0; c < l->n; c++)
		if (t->w[c] && x >= t->x[c] && x < t->x[c] + t->w[c])
			t->col = c;
	if (twice)
		return action(v, ACT_ENTER);
	return REACT_VIEW | REACT_CHROME;
}

static void resize(struct view *v)
{
	struct tl *t = TL(v);
	const struct query_row *r = tl_current(t);
	if (!r) {
		tl_load_first(t);
		return;
	}
	struct query_pos pos = { r->ts, r->id };
	tl_anchor(t, &pos, t->cur);
}

static void reload(struct view *v)
{
	struct tl *t = TL(v);
	tl_forget_widths(t);
	/* a new filter may show another kind of log: its own columns */
	t->pick_set = true;
	/* the search follows the filter, compiled again at the next n or N
	 * (a search over raw records scans: not on every pivot) */
	query_free(t->sq);
	t->sq = NULL;
	resize(v);
}

static void status(struct view *v, char *buf, size_t n)
{
	struct tl *t = TL(v);
	struct query_count c = app_count(v->app);
	char total[32], at[32];
	draw_count(c.n, total, sizeof total);
	if (!t->n) {
		snprintf(buf, n, "0 of %s%s", c.exact ? "" : "~", total);
		return;
	}
	/* at the end with an exact count, the place is known after all */
	if (t->top_index < 0 && t->at_end && c.exact)
		t->top_index = c.n - (int64_t)t->n;
	/* after a jump the place is counted ([tui-nav]: app_rank), or
	 * estimated with a ~ until the count made while idle */
	int64_t before = 0;
	int rk = 1;
	if (t->top_index < 0) {
		struct query_pos p = { t->rows[0].ts, t->rows[0].id };
		rk = app_rank(v->app, &p, &before);
		if (rk > 0)
			t->top_index = before;
	}
	if (t->top_index >= 0)
		draw_count(t->top_index + (int64_t)t->cur + 1, at, sizeof at);
	else if (rk == 0)
		snprintf(at, sizeof at, "~%s", draw_count(before + (int64_t)t->cur + 1, total, sizeof total));
	else
		snprintf(at, sizeof at, "?");
	draw_count(c.n, total, sizeof total);
	const struct col_layout *l = tl_layout(t);
	snprintf(buf, n, "%s of %s%s  col %s%s  %d/%d %s", at, c.exact ? "" : "~", total,
		 columns_title(t->set, l->e[t->col].def), tl_cell_cut(t) ? " (cut: v)" : "", t->col + 1, l->n,
		 columns_set_name(t->set));
}

unsigned view_timeline_marks(struct view *v)
{
	struct tl *t = TL(v);
	return t->n && t->cur < t->n ? t->ann[t->cur] : 0;
}

static void tl_free(struct view *v)
{
	struct tl *t = TL(v);
	tl_rows_clear(t);
	free(t->rows);
	free(t->ann);
	tl_search_clear(t);
	tl_facts_clear(t);
	free(t->facts);
	free(t);
}

static const struct view_ops timeline_ops = {
	.name = "timeline",
	.keymap = KEYMAP_TIMELINE,
	.draw = tl_draw,
	.action = action,
	.click = click,
	.resize = resize,
	.reload = reload,
	.annotated = view_timeline_refresh_marks,
	.status = status,
	.free = tl_free,
};

struct view *view_timeline_new(struct app *a)
{
	struct tl *t = xcalloc(1, sizeof *t);
	t->v.ops = &timeline_ops;
	t->v.app = a;
	t->top_index = -1;
	t->pick_set = true;
	columns_init(&t->cols);
	char *saved = state_get(app_store(a), "tui.columns");
	columns_load(&t->cols, saved);
	free(saved);
	return &t->v;
}
