/*
 * timeline_rows.c: the timeline's rows (timeline_impl.h).
 *
 * The view keeps exactly the rows on screen. Moving past an edge reads
 * the next rows after the last one (or before the first) by keyset and
 * slides the window; jumping (goto, a pivot, a search hit, a bookmark)
 * re-anchors on a position: rows at and after it, and enough before it to
 * keep the cursor on its screen line. Nothing else is loaded, so cost per
 * key does not grow with the case.
 */
#include "timeline_impl.h"

#include <stdlib.h>
#include <string.h>

#include "annot.h"
#include "app.h"
#include "xalloc.h"

/* Data lines: the view less its header. */
size_t tl_page_rows(const struct tl *t)
{
	return t->v.rows > 1 ? (size_t)(t->v.rows - 1) : 1;
}

void tl_rows_clear(struct tl *t)
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
void tl_read_marks(struct tl *t, size_t from, size_t to)
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

void tl_fetch_error(struct tl *t, char *cause)
{
	app_error(t->v.app, "%s", cause ? cause : "could not read the case");
	free(cause);
}

void tl_load_first(struct tl *t)
{
	struct query_page p = { 0 };
	char *cause = NULL;
	tl_rows_clear(t);
	if (query_page(app_query(t->v.app), QUERY_FIRST, NULL, tl_page_rows(t), &p, &cause) < 0) {
		tl_fetch_error(t, cause);
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
	tl_read_marks(t, 0, t->n);
}

void tl_load_last(struct tl *t)
{
	struct query_page p = { 0 };
	char *cause = NULL;
	tl_rows_clear(t);
	if (query_page(app_query(t->v.app), QUERY_LAST, NULL, tl_page_rows(t), &p, &cause) < 0) {
		tl_fetch_error(t, cause);
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
	tl_read_marks(t, 0, t->n);
}

/* Rows at and after pos, with the cursor on it at screen line `line`
 * where there are enough events before it. */
void tl_anchor(struct tl *t, const struct query_pos *pos, size_t line)
{
	struct query *q = app_query(t->v.app);
	size_t h = tl_page_rows(t);
	if (line >= h)
		line = h - 1;
	struct query_page after = { 0 }, before = { 0 };
	char *cause = NULL;
	if (query_page(q, QUERY_AT, pos, h, &after, &cause) < 0) {
		tl_fetch_error(t, cause);
		goto out;
	}
	/* past the last event: show the end */
	if (after.n == 0) {
		query_page_free(&after);
		tl_load_last(t);
		return;
	}
	size_t want_before = line;
	if (after.n < h - line)
		want_before = h - after.n;
	/* one more than needed tells whether the first row is the first event */
	if (query_page(q, QUERY_BEFORE, pos, want_before + 1, &before, &cause) < 0) {
		tl_fetch_error(t, cause);
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
	tl_rows_clear(t);
	rows_reserve(t, nb + na);
	take_rows(&before, t->rows);
	take_rows(&after, t->rows + nb);
	t->n = nb + na;
	t->cur = nb;
	t->at_end = after.at_end;
	t->top_index = first_known ? 0 : -1;
	tl_read_marks(t, 0, t->n);
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
		tl_fetch_error(t, cause);
		query_page_free(&p);
		return 0;
	}
	size_t got = p.n, h = tl_page_rows(t);
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
	tl_read_marks(t, from, t->n);
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
		tl_fetch_error(t, cause);
		query_page_free(&p);
		return 0;
	}
	size_t got = p.n, h = tl_page_rows(t);
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
	tl_read_marks(t, 0, got);
	return got;
}

/* Move the cursor k events forward (dir > 0) or back, sliding the
 * window when it leaves the screen; at an end it stops on the first or
 * last event. A page move keeps the cursor on its screen line. */
void tl_move_cursor(struct tl *t, int dir, size_t k)
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

bool tl_step(struct tl *t, int delta)
{
	if (!t->n)
		return false;
	const struct query_row *r = &t->rows[t->cur];
	int64_t id = r->id;
	tl_move_cursor(t, delta > 0 ? 1 : -1, 1);
	return t->rows[t->cur].id != id;
}

const struct query_row *tl_current(struct tl *t)
{
	return t->n ? &t->rows[t->cur] : NULL;
}
