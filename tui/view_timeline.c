/*
 * view_timeline.c: the event table (view_timeline.h).
 *
 * The view keeps exactly the rows on screen. Moving past an edge reads
 * the next rows after the last one (or before the first) by keyset and
 * slides the window; jumping (goto, a pivot, a search hit, a bookmark)
 * re-anchors on a position: rows at and after it, and enough before it to
 * keep the cursor on its screen line. Nothing else is loaded, so cost per
 * key does not grow with the case.
 *
 * Column widths follow the rows on screen but only grow while the filter
 * stays the same, so scrolling does not make the table jitter; columns
 * that do not fit are dropped, least useful first.
 */
#include "view_timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annot.h"
#include "annotate.h"
#include "app.h"
#include "draw.h"
#include "filter.h"
#include "theme.h"
#include "view_detail.h"
#include "view_stack.h"
#include "xalloc.h"

static const struct tl_col {
	const char *title, *field;
	int min;   /* never narrower */
	int comfy; /* shrink to this before dropping columns */
	int max;   /* never wider */
	int prio;  /* the lowest is dropped first when the screen is narrow */
} cols[] = {
	{ "time (UTC)", "time", 19, 19, 19, 100 },
	{ "user", "user", 8, 24, 34, 90 },
	{ "operation", "op", 9, 22, 30, 95 },
	{ "app", "app", 8, 20, 36, 80 },
	{ "client app", "client_app", 8, 14, 36, 50 },
	{ "ip", "ip", 7, 15, 39, 70 },
	{ "access", "access", 6, 6, 6, 40 },
	{ "mailbox", "mailbox", 8, 20, 34, 60 },
	{ "result", "result", 6, 9, 16, 30 },
	{ "detail", "client_info", 6, 20, 200, 20 },
};
#define NCOLS ((int)(sizeof cols / sizeof cols[0]))
#define COL_TIME 0
#define COL_APP 3
#define COL_CLIENT_APP 4
#define COL_DETAIL 9 /* the kind's detail (Graph call, message, resource), else the client */

enum { ANN_MARK = ANNOT_HAS_MARK, ANN_TAG = ANNOT_HAS_TAG, ANN_NOTE = ANNOT_HAS_NOTE, ANN_HIT = 8 };

struct tl {
	struct view v;
	struct query_row *rows; /* the rows on screen, in time order */
	unsigned char *ann;     /* ANN_* per row */
	size_t n, cap;
	size_t cur;          /* the cursor's row */
	int64_t top_index;   /* rows[0]'s place among the matches, -1 unknown */
	bool at_end;         /* nothing matches after the last row */
	int col;             /* column cursor */
	int width[NCOLS];    /* widths grown so far under this filter */
	int shown[NCOLS];    /* laid-out width of each column, 0 hidden */
	char *search;        /* the search text, or NULL */
	char *needle;        /* what to highlight of it */
	struct query *sq;    /* current filter and the search */
};

#define TL(v) ((struct tl *)(v))

/* Data lines: the view less its header. */
static size_t page_rows(const struct tl *t)
{
	return t->v.rows > 1 ? (size_t)(t->v.rows - 1) : 1;
}

static void rows_clear(struct tl *t)
{
	for (size_t i = 0; i < t->n; i++)
		query_row_clear(&t->rows[i]);
	t->n = 0;
	t->cur = 0;
}

/* Make room for want rows. */
static void rows_reserve(struct tl *t, size_t want)
{
	if (want <= t->cap)
		return;
	size_t cap = t->cap;
	t->rows = xgrow(t->rows, &cap, want, sizeof *t->rows);
	t->ann = xrealloc(t->ann, cap);
	t->cap = cap;
}

/* Take the rows out of a page (the page keeps nothing). */
static void take_rows(struct query_page *p, struct query_row *dst)
{
	if (p->n)
		memcpy(dst, p->rows, p->n * sizeof *dst);
	p->n = 0;
}

/*
 * The annotations and search hits of rows [from, to). The markers are
 * read with one call for all the rows (annot_markers: one statement, a
 * primary key lookup per table per row): annot_get() would prepare three
 * statements for every row of every page, which measured as a quarter of
 * the time of a page down on a million events (tests/bench_tui.c).
 */
static void read_marks(struct tl *t, size_t from, size_t to)
{
	if (from < to) {
		int64_t *ids = xmalloc((to - from) * sizeof *ids);
		for (size_t i = from; i < to; i++)
			ids[i - from] = t->rows[i].id;
		if (annot_markers(app_store(t->v.app), ids, to - from, t->ann + from, NULL) < 0)
			memset(t->ann + from, 0, to - from);
		free(ids);
	}
	if (!t->sq || from >= to)
		return;
	/* which of these rows the search matches: one page of the search
	 * query over the same stretch of time */
	struct query_page p = { 0 };
	struct query_pos pos = { t->rows[from].ts, t->rows[from].id };
	if (query_page(t->sq, QUERY_AT, &pos, to - from, &p, NULL) == 0) {
		for (size_t k = 0; k < p.n; k++)
			for (size_t i = from; i < to; i++)
				if (t->rows[i].id == p.rows[k].id)
					t->ann[i] |= ANN_HIT;
	}
	query_page_free(&p);
}

static void fetch_error(struct tl *t, char *cause)
{
	app_error(t->v.app, "%s", cause ? cause : "could not read the case");
	free(cause);
}

static void forget_widths(struct tl *t)
{
	memset(t->width, 0, sizeof t->width);
}

static void load_first(struct tl *t)
{
	struct query_page p = { 0 };
	char *cause = NULL;
	rows_clear(t);
	if (query_page(app_query(t->v.app), QUERY_FIRST, NULL, page_rows(t), &p, &cause) < 0) {
		fetch_error(t, cause);
		query_page_free(&p);
		return;
	}
	rows_reserve(t, p.n);
	t->n = p.n;
	t->at_end = p.at_end;
	take_rows(&p, t->rows);
	query_page_free(&p);
	t->cur = 0;
	t->top_index = 0;
	read_marks(t, 0, t->n);
}

static void load_last(struct tl *t)
{
	struct query_page p = { 0 };
	char *cause = NULL;
	rows_clear(t);
	if (query_page(app_query(t->v.app), QUERY_LAST, NULL, page_rows(t), &p, &cause) < 0) {
		fetch_error(t, cause);
		query_page_free(&p);
		return;
	}
	rows_reserve(t, p.n);
	t->n = p.n;
	t->at_end = true;
	take_rows(&p, t->rows);
	query_page_free(&p);
	t->cur = t->n ? t->n - 1 : 0;
	struct query_count c = app_count(t->v.app);
	t->top_index = c.exact ? c.n - (int64_t)t->n : -1;
	read_marks(t, 0, t->n);
}

/* Rows at and after pos, with the cursor on it at screen line `line`
 * where there are enough events before it. */
static void anchor(struct tl *t, const struct query_pos *pos, size_t line)
{
	struct query *q = app_query(t->v.app);
	size_t h = page_rows(t);
	if (line >= h)
		line = h - 1;
	struct query_page after = { 0 }, before = { 0 };
	char *cause = NULL;
	if (query_page(q, QUERY_AT, pos, h, &after, &cause) < 0) {
		fetch_error(t, cause);
		goto out;
	}
	/* past the last event: show the end */
	if (after.n == 0) {
		query_page_free(&after);
		load_last(t);
		return;
	}
	size_t want_before = line;
	if (after.n < h - line)
		want_before = h - after.n;
	/* one more than needed tells whether the first row is the first event */
	if (query_page(q, QUERY_BEFORE, pos, want_before + 1, &before, &cause) < 0) {
		fetch_error(t, cause);
		goto out;
	}
	bool first_known = before.n <= want_before;
	if (!first_known) {
		/* drop the extra, oldest row */
		query_row_clear(&before.rows[0]);
		memmove(before.rows, before.rows + 1, (before.n - 1) * sizeof *before.rows);
		before.n--;
	}
	size_t nb = before.n, na = after.n;
	rows_clear(t);
	rows_reserve(t, nb + na);
	take_rows(&before, t->rows);
	take_rows(&after, t->rows + nb);
	t->n = nb + na;
	t->cur = nb;
	t->at_end = after.at_end;
	t->top_index = first_known ? 0 : -1;
	read_marks(t, 0, t->n);
out:
	query_page_free(&after);
	query_page_free(&before);
}

/* Slide the window by up to k rows forward; returns how many came, and
 * *drop how many rows left the top (the cursor index is the caller's). */
static size_t slide_down(struct tl *t, size_t k, size_t *drop_out)
{
	*drop_out = 0;
	if (!t->n || t->at_end)
		return 0;
	struct query_page p = { 0 };
	char *cause = NULL;
	struct query_pos pos = { t->rows[t->n - 1].ts, t->rows[t->n - 1].id };
	if (query_page(app_query(t->v.app), QUERY_AFTER, &pos, k, &p, &cause) < 0) {
		fetch_error(t, cause);
		query_page_free(&p);
		return 0;
	}
	size_t got = p.n, h = page_rows(t);
	t->at_end = p.at_end || got < k;
	if (!got) {
		query_page_free(&p);
		return 0;
	}
	/* keep at most a screenful: drop as many from the top as came */
	size_t drop = t->n + got > h ? t->n + got - h : 0;
	for (size_t i = 0; i < drop; i++)
		query_row_clear(&t->rows[i]);
	memmove(t->rows, t->rows + drop, (t->n - drop) * sizeof *t->rows);
	memmove(t->ann, t->ann + drop, t->n - drop);
	t->n -= drop;
	rows_reserve(t, t->n + got);
	size_t from = t->n;
	take_rows(&p, t->rows + t->n);
	t->n += got;
	query_page_free(&p);
	if (t->top_index >= 0)
		t->top_index += (int64_t)drop;
	read_marks(t, from, t->n);
	*drop_out = drop;
	return got;
}

/* Slide the window by up to k rows back; returns how many came (put
 * before the first row; the cursor index is the caller's). */
static size_t slide_up(struct tl *t, size_t k)
{
	if (!t->n || t->top_index == 0)
		return 0;
	struct query_page p = { 0 };
	char *cause = NULL;
	struct query_pos pos = { t->rows[0].ts, t->rows[0].id };
	if (query_page(app_query(t->v.app), QUERY_BEFORE, &pos, k, &p, &cause) < 0) {
		fetch_error(t, cause);
		query_page_free(&p);
		return 0;
	}
	size_t got = p.n, h = page_rows(t);
	if (p.at_start || got < k)
		t->top_index = 0;
	else if (t->top_index > 0)
		t->top_index -= (int64_t)got;
	if (!got) {
		query_page_free(&p);
		return 0;
	}
	size_t keep = t->n + got > h ? (h > got ? h - got : 0) : t->n;
	for (size_t i = keep; i < t->n; i++)
		query_row_clear(&t->rows[i]);
	if (keep < t->n)
		t->at_end = false;
	rows_reserve(t, keep + got);
	memmove(t->rows + got, t->rows, keep * sizeof *t->rows);
	memmove(t->ann + got, t->ann, keep);
	take_rows(&p, t->rows);
	t->n = keep + got;
	query_page_free(&p);
	read_marks(t, 0, got);
	return got;
}

/* Move the cursor k events forward (dir > 0) or back, sliding the
 * window when it leaves the screen; at an end it stops on the first or
 * last event. A page move keeps the cursor on its screen line. */
static void move_cursor(struct tl *t, int dir, size_t k)
{
	if (!t->n || !k)
		return;
	long cur = (long)t->cur;
	if (dir > 0) {
		size_t drop = 0;
		if (t->cur + k >= t->n)
			slide_down(t, k, &drop);
		cur = cur - (long)drop + (long)k;
		t->cur = cur < (long)t->n ? (size_t)cur : t->n - 1;
	} else {
		size_t got = 0;
		if (k > t->cur)
			got = slide_up(t, k);
		cur = cur + (long)got - (long)k;
		t->cur = cur > 0 ? (size_t)cur : 0;
	}
}

static bool step(struct tl *t, int delta)
{
	if (!t->n)
		return false;
	const struct query_row *r = &t->rows[t->cur];
	int64_t id = r->id;
	move_cursor(t, delta > 0 ? 1 : -1, 1);
	return t->rows[t->cur].id != id;
}

static const char *cell_text(struct tl *t, const struct query_row *r, int c, char *buf, size_t n)
{
	if (c == COL_TIME)
		return draw_time(r->ts, buf, n);
	if (c == COL_DETAIL && r->detail)
		return r->detail;
	const char *v = query_row_get(r, cols[c].field);
	if (v && (c == COL_APP || c == COL_CLIENT_APP)) {
		const char *name = app_app_name(t->v.app, v);
		if (name)
			return name;
	}
	return v;
}

/* Lay the columns out for the current width: shown[c] = width or 0.
 * Too wide: shrink the columns that are wider than comfortable, then
 * drop the least useful columns, then shrink to the minimum; too narrow:
 * the last column shown takes what is left. */
static void layout(struct tl *t)
{
	char buf[64];
	for (size_t i = 0; i < t->n; i++)
		for (int c = 0; c < NCOLS; c++) {
			int w = draw_width(cell_text(t, &t->rows[i], c, buf, sizeof buf));
			if (w > t->width[c])
				t->width[c] = w;
		}
	int avail = t->v.cols - 2; /* two marker columns */
	int total = -1;
	for (int c = 0; c < NCOLS; c++) {
		int w = t->width[c], tw = (int)strlen(cols[c].title);
		if (w < tw)
			w = tw;
		if (w < cols[c].min)
			w = cols[c].min;
		if (w > cols[c].max)
			w = cols[c].max;
		t->shown[c] = w;
		total += w + 1;
	}
	for (int floor_comfy = 1; floor_comfy >= 0 && total > avail; floor_comfy--) {
		while (total > avail) {
			int widest = -1, excess = 0;
			for (int c = 0; c < NCOLS; c++) {
				int fl = floor_comfy ? cols[c].comfy : cols[c].min;
				if (t->shown[c] > fl && t->shown[c] - fl > excess) {
					excess = t->shown[c] - fl;
					widest = c;
				}
			}
			if (widest < 0)
				break;
			t->shown[widest]--;
			total--;
		}
		while (floor_comfy && total > avail) {
			int drop = -1;
			for (int c = 0; c < NCOLS; c++)
				if (t->shown[c] && c != t->col && c != COL_TIME &&
				    (drop < 0 || cols[c].prio < cols[drop].prio))
					drop = c;
			/* keep a few columns: then shrink instead */
			int left = 0;
			for (int c = 0; c < NCOLS; c++)
				left += t->shown[c] > 0;
			if (drop < 0 || left <= 3)
				break;
			total -= t->shown[drop] + 1;
			t->shown[drop] = 0;
		}
	}
	/* what is left goes to the last column shown */
	for (int c = NCOLS - 1; c >= 0; c--)
		if (t->shown[c]) {
			if (total < avail)
				t->shown[c] += avail - total;
			break;
		}
	if (!t->shown[t->col])
		t->col = COL_TIME;
}

static void draw(struct view *v, WINDOW *w)
{
	struct tl *t = TL(v);
	layout(t);
	werase(w);
	attr_t head = theme_attr(THEME_HEADER);
	draw_fill(w, 0, 0, v->cols, head);
	int x = 2;
	for (int c = 0; c < NCOLS; c++) {
		if (!t->shown[c])
			continue;
		draw_cell(w, 0, x, cols[c].title, t->shown[c], c == t->col ? theme_attr(THEME_CELL) : head, false);
		x += t->shown[c] + 1;
	}
	if (!t->n) {
		const char *f = app_filter(v->app);
		draw_text(w, 2, 2, *f ? "No event matches this filter." : "This case holds no events.",
			  v->cols - 2, theme_attr(THEME_MESSAGE));
		if (*f)
			draw_text(w, 3, 2, "Backspace undoes the last filter step; f edits the filter.",
				  v->cols - 2, theme_attr(THEME_DIM));
		return;
	}
	char buf[64];
	for (size_t i = 0; i < t->n && (int)i + 1 < v->rows; i++) {
		int y = (int)i + 1;
		bool sel = i == t->cur;
		bool flagged = app_flags(v->app, t->rows[i].id) != 0;
		attr_t base = theme_attr(sel ? THEME_SELECTED : flagged ? THEME_SUSPICIOUS : THEME_NORMAL);
		draw_fill(w, y, 0, v->cols, base);
		unsigned char an = t->ann[i];
		if (an & ANN_MARK)
			draw_text(w, y, 0, "*", 1, theme_attr(THEME_BOOKMARK));
		if (an & (ANN_TAG | ANN_NOTE))
			draw_text(w, y, 1, an & ANN_NOTE ? "+" : "#", 1, theme_attr(THEME_TAG));
		else if (an & ANN_HIT)
			draw_text(w, y, 1, ">", 1, theme_attr(THEME_MATCH));
		else if (flagged)
			draw_text(w, y, 1, "!", 1, theme_attr(THEME_SUSPICIOUS));
		x = 2;
		for (int c = 0; c < NCOLS; c++) {
			if (!t->shown[c])
				continue;
			const char *s = cell_text(t, &t->rows[i], c, buf, sizeof buf);
			attr_t a = sel && c == t->col ? theme_attr(THEME_CELL) : base;
			if (an & ANN_HIT)
				draw_cell_match(w, y, x, s, t->shown[c], a, t->needle, theme_attr(THEME_MATCH));
			else
				draw_cell(w, y, x, s, t->shown[c], a, false);
			x += t->shown[c] + 1;
		}
	}
}

static const struct query_row *current(struct tl *t)
{
	return t->n ? &t->rows[t->cur] : NULL;
}

const struct query_row *view_timeline_current(struct view *v)
{
	return current(TL(v));
}

bool view_timeline_step(struct view *v, int delta)
{
	return step(TL(v), delta);
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
	anchor(t, pos, t->n ? t->cur : page_rows(t) / 3);
}

const char *view_timeline_column(struct view *v)
{
	return cols[TL(v)->col].field;
}

bool view_timeline_set_column(struct view *v, const char *field)
{
	for (int c = 0; c < NCOLS; c++)
		if (!strcmp(cols[c].field, field)) {
			TL(v)->col = c;
			return true;
		}
	return false;
}

void view_timeline_refresh_marks(struct view *v)
{
	struct tl *t = TL(v);
	read_marks(t, 0, t->n);
}

/* --- search --- */

static void search_clear(struct tl *t)
{
	query_free(t->sq);
	t->sq = NULL;
	free(t->search);
	free(t->needle);
	t->search = t->needle = NULL;
}

/* What of the search text to highlight in cells: the value of a last
 * field=value term, else the words themselves, without quotes. */
static char *needle_of(const char *s)
{
	size_t len = strlen(s);
	if (len > 2 && s[0] == '/' && s[len - 1] == '/')
		return NULL; /* a regex: no literal to highlight */
	const char *eq = strrchr(s, '=');
	const char *tilde = strrchr(s, '~');
	if (tilde && (!eq || tilde > eq))
		return NULL; /* a regex: no literal to highlight */
	const char *v = eq ? eq + 1 : s;
	while (*v == ' ')
		v++;
	size_t n = strlen(v);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v++;
		n -= 2;
	}
	return n ? xstrndup(v, n) : NULL;
}

/* Compile the search against the current filter: the filter and the
 * search text, which is filter language itself (bare words are free text
 * over the raw record; user=x, op~regex work too). -2 when the user
 * stopped it, -1 on an error. */
static int search_compile(struct tl *t, const char *text, char **cause)
{
	const char *f = app_filter(t->v.app);
	char *s = NULL;
	size_t len = strlen(text);
	struct filter *probe = NULL;
	if (len > 2 && text[0] == '/' && text[len - 1] == '/') {
		/* /regex/: over the whole raw record */
		char *pat = xstrndup(text + 1, len - 2);
		char *q = filter_quote(pat);
		s = xasprintf("raw~%s", q);
		free(q);
		free(pat);
	} else if ((probe = filter_parse(text, NULL))) {
		s = xstrdup(text);
		filter_free(probe);
	} else {
		s = filter_quote(text); /* not the language: a phrase */
	}
	if (!s)
		return set_cause(cause, "search: nothing to search for");
	char *full = *f ? xasprintf("(%s) (%s)", f, s) : xstrdup(s);
	free(s);
	struct query *q = NULL;
	int r = query_new(app_store(t->v.app), full, &q, cause);
	free(full);
	if (r < 0)
		return -1;
	query_set_progress(q, &(struct progress){ app_progress, t->v.app });
	if (query_needs_scan(q)) {
		app_busy_begin(t->v.app, "searching");
		r = query_prepare(q, cause);
		app_busy_end(t->v.app);
		if (r < 0) {
			/* the search before this one stays */
			r = query_cancelled(q) ? -2 : -1;
			query_free(q);
			return r;
		}
	}
	query_free(t->sq);
	t->sq = q;
	return 0;
}

/* Move to the next (dir > 0) or previous match, wrapping around once. */
static int search_go(struct tl *t, int dir)
{
	if (!t->search) {
		app_message(t->v.app, "no search yet: / searches");
		return REACT_CHROME;
	}
	if (!t->sq) {
		char *cause = NULL;
		int rc = search_compile(t, t->search, &cause);
		if (rc < 0) {
			if (rc == -2)
				app_message(t->v.app, "search stopped (Esc)");
			else
				app_error(t->v.app, "%s", cause ? cause : "search failed");
			free(cause);
			return REACT_CHROME;
		}
	}
	struct query_page p = { 0 };
	char *cause = NULL;
	const struct query_row *r = current(t);
	struct query_pos pos = { r ? r->ts : INT64_MIN, r ? r->id : INT64_MIN };
	int rc;
	if (r)
		rc = query_page(t->sq, dir > 0 ? QUERY_AFTER : QUERY_BEFORE, &pos, 1, &p, &cause);
	else
		rc = query_page(t->sq, dir > 0 ? QUERY_FIRST : QUERY_LAST, NULL, 1, &p, &cause);
	bool wrapped = false;
	if (rc == 0 && p.n == 0) {
		wrapped = true;
		rc = query_page(t->sq, dir > 0 ? QUERY_FIRST : QUERY_LAST, NULL, 1, &p, &cause);
	}
	if (rc < 0) {
		fetch_error(t, cause);
		query_page_free(&p);
		return REACT_CHROME;
	}
	if (p.n == 0) {
		app_message(t->v.app, "not found: %s", t->search);
		query_page_free(&p);
		read_marks(t, 0, t->n);
		return REACT_VIEW | REACT_CHROME;
	}
	struct query_pos hit = { p.rows[0].ts, p.rows[0].id };
	query_page_free(&p);
	if (wrapped && r && hit.id == r->id) {
		app_message(t->v.app, "only match: %s", t->search);
	} else if (wrapped) {
		app_message(t->v.app, dir > 0 ? "search hit the end, continued from the start"
					       : "search hit the start, continued from the end");
	}
	view_timeline_goto(&t->v, &hit);
	read_marks(t, 0, t->n);
	return REACT_VIEW | REACT_CHROME;
}

static int on_search(struct app *a, void *ctx, const char *text, int *column)
{
	struct tl *t = ctx;
	(void)a;
	if (!*text) {
		search_clear(t);
		read_marks(t, 0, t->n);
		return REACT_VIEW;
	}
	char *cause = NULL;
	int rc = search_compile(t, text, &cause);
	if (rc == -2) {
		free(cause);
		app_message(t->v.app, "search stopped (Esc)");
		return REACT_CHROME;
	}
	if (rc < 0) {
		app_error(t->v.app, "%s", cause ? cause : "search failed");
		free(cause);
		*column = 0;
		return -1;
	}
	free(t->search);
	free(t->needle);
	t->search = xstrdup(text);
	t->needle = needle_of(text);
	/* the current row counts as a match only if it is after the cursor */
	return search_go(t, 1);
}

/* --- annotations --- */

static int on_mark_all(struct app *a, void *ctx)
{
	(void)ctx;
	struct annot_action act = { 0 };
	struct annot_result res = { 0 };
	char *cause = NULL;
	app_busy_begin(a, "bookmarking");
	int rc = annot_apply(app_store(a), app_filter(a), &act, &res, &cause);
	app_busy_end(a);
	if (rc < 0) {
		app_error(a, "bookmark all: %s", cause);
		free(cause);
		return REACT_CHROME;
	}
	char n1[32], n2[32];
	app_message(a, "bookmarked %s events (%s new)", draw_count(res.matched, n1, sizeof n1),
		    draw_count(res.changed, n2, sizeof n2));
	app_annotated(a);
	return REACT_VIEW | REACT_CHROME;
}

/* The next (or previous) bookmark among the events of the filter: walk
 * the bookmarks in time order and take the first one the filter keeps,
 * so that the bookmarks, usually few, drive the search. */
static int goto_mark(struct tl *t, bool backward)
{
	struct app *a = t->v.app;
	const struct query_row *r = current(t);
	struct query_pos pos = { r ? r->ts : (backward ? INT64_MAX : INT64_MIN), r ? r->id : 0 };
	struct query *q = app_query(a);
	for (int tries = 0; tries < 100000; tries++) {
		int64_t id, ts;
		char *cause = NULL;
		int k = annot_mark_next(app_store(a), pos.ts, pos.id, backward, &id, &ts, &cause);
		if (k < 0) {
			fetch_error(t, cause);
			return REACT_CHROME;
		}
		if (k == 0) {
			app_message(a, backward ? "no bookmark before this event" : "no bookmark after this event");
			return REACT_CHROME;
		}
		pos.ts = ts;
		pos.id = id;
		struct query_page p = { 0 };
		bool kept = query_page(q, QUERY_AT, &pos, 1, &p, NULL) == 0 && p.n && p.rows[0].id == id;
		query_page_free(&p);
		if (kept) {
			view_timeline_goto(&t->v, &pos);
			return REACT_VIEW | REACT_CHROME;
		}
	}
	app_message(a, "no bookmark found in this filter");
	return REACT_CHROME;
}

static int action(struct view *v, enum keys_action act)
{
	struct tl *t = TL(v);
	struct app *a = v->app;
	const struct query_row *r = current(t);
	size_t h = page_rows(t);
	switch (act) {
	case ACT_DOWN:
		step(t, 1);
		return REACT_VIEW | REACT_CHROME;
	case ACT_UP:
		step(t, -1);
		return REACT_VIEW | REACT_CHROME;
	case ACT_PAGE_DOWN:
		move_cursor(t, 1, h);
		return REACT_VIEW | REACT_CHROME;
	case ACT_PAGE_UP:
		move_cursor(t, -1, h);
		return REACT_VIEW | REACT_CHROME;
	case ACT_HALF_DOWN:
		move_cursor(t, 1, h / 2 ? h / 2 : 1);
		return REACT_VIEW | REACT_CHROME;
	case ACT_HALF_UP:
		move_cursor(t, -1, h / 2 ? h / 2 : 1);
		return REACT_VIEW | REACT_CHROME;
	case ACT_TOP:
		load_first(t);
		return REACT_VIEW | REACT_CHROME;
	case ACT_BOTTOM:
		load_last(t);
		return REACT_VIEW | REACT_CHROME;
	case ACT_LEFT:
	case ACT_RIGHT: {
		int c = t->col;
		do
			c += act == ACT_LEFT ? -1 : 1;
		while (c >= 0 && c < NCOLS && !t->shown[c]);
		if (c >= 0 && c < NCOLS)
			t->col = c;
		return REACT_VIEW | REACT_CHROME;
	}
	case ACT_ENTER:
		if (!r)
			return REACT_NONE;
		app_push_view(a, view_detail_new(a, r));
		return REACT_ALL;
	case ACT_KEEP:
	case ACT_EXCLUDE: {
		if (!r)
			return REACT_NONE;
		if (t->col == COL_TIME) {
			app_message(a, "time: narrow with the histogram (i) or :goto TIME");
			return REACT_CHROME;
		}
		const char *field = t->col == COL_DETAIL && r->detail ? "detail" : cols[t->col].field;
		app_pivot(a, field, query_row_get(r, field), act == ACT_EXCLUDE);
		return REACT_ALL;
	}
	case ACT_STACK:
		if (t->col == COL_TIME) {
			app_message(a, "stack: pick another column (h/l); the histogram (i) counts by time");
			return REACT_CHROME;
		}
		app_push_view(a, view_stack_new(a, cols[t->col].field));
		return REACT_ALL;
	case ACT_SEARCH:
		app_prompt(a, "/", NULL, APP_HIST_SEARCH, on_search, t, NULL);
		return REACT_CHROME;
	case ACT_SEARCH_NEXT:
		return search_go(t, 1);
	case ACT_SEARCH_PREV:
		return search_go(t, -1);
	case ACT_BOOKMARK:
		return r ? annotate_bookmark(a, r->id, (t->ann[t->cur] & ANN_MARK) != 0) : REACT_NONE;
	case ACT_NEXT_MARK:
	case ACT_PREV_MARK:
		return goto_mark(t, act == ACT_PREV_MARK);
	case ACT_TAG:
		return r ? annotate_tag(a, r->id) : REACT_NONE;
	case ACT_NOTE:
		return r ? annotate_note(a, r->id) : REACT_NONE;
	case ACT_MARK_ALL: {
		struct query_count c = app_count(a);
		if (c.n == 0) {
			app_message(a, "no events to bookmark");
			return REACT_CHROME;
		}
		char num[32], *qn;
		qn = xasprintf("Bookmark all %s%s events of this filter? (y/n)", c.exact ? "" : "about ",
			       draw_count(c.n, num, sizeof num));
		app_confirm(a, qn, on_mark_all, NULL);
		free(qn);
		return REACT_CHROME;
	}
	default:
		return REACT_PASS;
	}
}

static void resize(struct view *v)
{
	struct tl *t = TL(v);
	const struct query_row *r = current(t);
	if (!r) {
		load_first(t);
		return;
	}
	struct query_pos pos = { r->ts, r->id };
	anchor(t, &pos, t->cur);
}

static void reload(struct view *v)
{
	struct tl *t = TL(v);
	forget_widths(t);
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
	if (t->top_index >= 0)
		draw_count(t->top_index + (int64_t)t->cur + 1, at, sizeof at);
	else
		snprintf(at, sizeof at, "?");
	snprintf(buf, n, "%s of %s%s  col %s", at, c.exact ? "" : "~", total, cols[t->col].title);
}

static void tl_free(struct view *v)
{
	struct tl *t = TL(v);
	rows_clear(t);
	free(t->rows);
	free(t->ann);
	search_clear(t);
	free(t);
}

static const struct view_ops timeline_ops = {
	.name = "timeline",
	.keymap = KEYMAP_TIMELINE,
	.draw = draw,
	.action = action,
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
	return &t->v;
}
