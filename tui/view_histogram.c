/*
 * view_histogram.c: events over time (view_histogram.h).
 *
 * The bucket size is chosen by histogram_run_span so that there are at
 * least about 20 bars where the time range allows (the list scrolls);
 * + zooms into the cursor's bucket in finer buckets, - back out (or to
 * coarser buckets); bookmarks are counted with the same buckets through
 * the filter "(current) marked", and the bucket holding the timeline's
 * cursor is pointed at, so the analyst sees where they are.
 */
#include "view_histogram.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "list.h"
#include "draw.h"
#include "filter.h"
#include "histogram.h"
#include "theme.h"
#include "timeparse.h"
#include "view_timeline.h"
#include "xalloc.h"

#define MAX_ZOOM 16

/* What is shown: a span of time (INT64_MIN, INT64_MAX: all the
 * filter's events) in buckets of a size (0: automatic, at least 20
 * bars where the span allows). */
struct span {
	int64_t from, to, bucket;
	size_t cur;
};

struct histv {
	struct view v;
	struct histogram h;
	int64_t *marks; /* bookmarked events per bucket */
	bool ok;
	size_t cur, top;
	bool ran;
	struct span span;
	struct span zoom[MAX_ZOOM]; /* the spans zoomed in from */
	size_t nzoom;
};

#define HV(v) ((struct histv *)(v))

static size_t page_rows(const struct histv *hv)
{
	return hv->v.rows > 1 ? (size_t)(hv->v.rows - 1) : 1;
}

static void count_marks(struct histv *hv)
{
	struct app *a = hv->v.app;
	free(hv->marks);
	hv->marks = xcalloc(hv->h.n ? hv->h.n : 1, sizeof *hv->marks);
	const char *f = app_filter(a);
	char *text = *f ? xasprintf("(%s) marked", f) : xstrdup("marked");
	struct query *q = NULL;
	struct histogram mh = { 0 };
	if (query_new(app_store(a), text, &q, NULL) == 0) {
		query_set_progress(q, &(struct progress){ app_progress, a });
		if (histogram_run_span(q, hv->h.bucket, 0, hv->h.start,
				       hv->h.start + (int64_t)hv->h.n * hv->h.bucket, &mh, NULL) == 0) {
			for (size_t i = 0; i < mh.n; i++) {
				int64_t at = (mh.start - hv->h.start) / hv->h.bucket + (int64_t)i;
				if (at >= 0 && (size_t)at < hv->h.n)
					hv->marks[at] += mh.counts[i];
			}
			histogram_clear(&mh);
		}
	}
	query_free(q);
	free(text);
}

static void run(struct histv *hv)
{
	struct app *a = hv->v.app;
	if (hv->ok)
		histogram_clear(&hv->h);
	hv->ok = false;
	char *cause = NULL;
	/* a zoomed span reads only its own stretch, through the time index */
	struct query *q = app_query(a), *zq = NULL;
	bool all = hv->span.from == INT64_MIN && hv->span.to == INT64_MAX;
	if (!all) {
		char fa[40], fb[40];
		time_format(hv->span.from, fa, sizeof fa);
		time_format(hv->span.to, fb, sizeof fb);
		char *qa = filter_quote(fa), *qb = filter_quote(fb);
		const char *f = app_filter(a);
		char *text = *f ? xasprintf("(%s) time>=%s time<%s", f, qa, qb)
				: xasprintf("time>=%s time<%s", qa, qb);
		if (query_new(app_store(a), text, &zq, &cause) == 0) {
			query_set_progress(zq, &(struct progress){ app_progress, a });
			q = zq;
		}
		free(text);
		free(qa);
		free(qb);
	}
	app_busy_begin(a, "counting over time");
	int rc = cause ? -1
		       : histogram_run_span(q, hv->span.bucket, 20, hv->span.from, hv->span.to, &hv->h, &cause);
	if (rc == 0)
		count_marks(hv);
	app_busy_end(a);
	bool cancelled = query_cancelled(q);
	query_free(zq);
	hv->ran = true;
	if (rc < 0) {
		if (cancelled)
			app_message(a, "histogram stopped (Esc)");
		else
			app_error(a, "histogram: %s", cause ? cause : "failed");
		free(cause);
		memset(&hv->h, 0, sizeof hv->h);
		return;
	}
	hv->ok = true;
	/* start on the bucket of the timeline's cursor */
	hv->cur = 0;
	struct view *tl = app_timeline(a);
	const struct query_row *r = tl ? view_timeline_current(tl) : NULL;
	if (r && hv->h.n && hv->h.bucket > 0 && r->ts >= hv->h.start) {
		int64_t at = (r->ts - hv->h.start) / hv->h.bucket;
		hv->cur = (size_t)at < hv->h.n ? (size_t)at : hv->h.n - 1;
	}
}

static void draw(struct view *v, WINDOW *w)
{
	struct histv *hv = HV(v);
	werase(w);
	attr_t head = theme_attr(THEME_HEADER);
	char bk[16], title[64];
	draw_fill(w, 0, 0, v->cols, head);
	histogram_format_bucket(hv->ok ? hv->h.bucket : 0, bk, sizeof bk);
	snprintf(title, sizeof title, "time (UTC), %s buckets", hv->ok ? bk : "?");
	int wt = 26, wn = 9;
	draw_cell(w, 0, 2, title, wt, head, false);
	draw_cell(w, 0, 2 + wt + 1, "events", wn, head, true);
	char zoom[128], za[32], zb[32];
	if (hv->nzoom)
		snprintf(zoom, sizeof zoom, "zoomed on %s to %s: - zooms out, + in",
			 draw_time(hv->span.from, za, sizeof za), draw_time(hv->span.to, zb, sizeof zb));
	else
		snprintf(zoom, sizeof zoom, "+ zooms in on the cursor's bucket, - out");
	if (v->cols > 2 + wt + 1 + wn + 4)
		draw_text(w, 0, 2 + wt + 1 + wn + 3, zoom, v->cols - (2 + wt + 1 + wn + 3), head);
	if (!hv->ok) {
		draw_text(w, 2, 2, "No histogram: it was stopped or failed. q goes back.", v->cols - 2,
			  theme_attr(THEME_MESSAGE));
		return;
	}
	if (hv->h.n == 0) {
		draw_text(w, 2, 2, "No event matches this filter.", v->cols - 2, theme_attr(THEME_MESSAGE));
		return;
	}
	size_t h = page_rows(hv);
	list_show(hv->cur, &hv->top, h);
	int bx = 2 + wt + 1 + wn + 2, bw = v->cols - bx;
	int64_t max = hv->h.max > 0 ? hv->h.max : 1;
	for (size_t i = hv->top; i < hv->h.n && i - hv->top < h; i++) {
		int y = (int)(i - hv->top) + 1;
		bool sel = i == hv->cur;
		attr_t base = theme_attr(sel ? THEME_SELECTED : THEME_NORMAL);
		draw_fill(w, y, 0, v->cols, base);
		if (hv->marks && hv->marks[i])
			draw_text(w, y, 0, "*", 1, theme_attr(THEME_BOOKMARK));
		char t[32], num[32];
		draw_time(hv->h.start + (int64_t)i * hv->h.bucket, t, sizeof t);
		/* seconds say nothing for buckets of a minute or more */
		if (hv->h.bucket % 60000 == 0)
			t[16] = '\0';
		draw_cell(w, y, 2, t, wt, base, false);
		draw_cell(w, y, 2 + wt + 1, draw_count(hv->h.counts[i], num, sizeof num), wn, base, true);
		if (bw > 0 && hv->h.counts[i] > 0) {
			int len = (int)((double)hv->h.counts[i] / (double)max * bw + 0.5);
			draw_bar(w, y, bx, len < 1 ? 1 : len, theme_attr(THEME_BAR));
		}
	}
}

/* Enter: the filter narrowed to the bucket's time span. */
static int narrow(struct histv *hv)
{
	if (!hv->ok || hv->cur >= hv->h.n)
		return REACT_NONE;
	int64_t from = hv->h.start + (int64_t)hv->cur * hv->h.bucket, to = from + hv->h.bucket;
	char a[40], b[40], bk[16];
	time_format(from, a, sizeof a);
	time_format(to, b, sizeof b);
	histogram_format_bucket(hv->h.bucket, bk, sizeof bk);
	char *qa = filter_quote(a), *qb = filter_quote(b);
	const char *f = app_filter(hv->v.app);
	char *text = *f ? xasprintf("(%s) time>=%s time<%s", f, qa, qb) : xasprintf("time>=%s time<%s", qa, qb);
	char lab[64], t[32];
	draw_time(from, t, sizeof t);
	if (hv->h.bucket % 60000 == 0)
		t[16] = '\0';
	snprintf(lab, sizeof lab, "%s +%s", t, bk);
	int rc = app_filter_narrow(hv->v.app, text, lab);
	free(text);
	free(qa);
	free(qb);
	if (rc < 0)
		return REACT_CHROME;
	/* the timeline starts at the bucket's first event */
	struct view *tl = app_timeline(hv->v.app);
	if (tl) {
		struct query_pos pos = { from, INT64_MIN };
		view_timeline_goto(tl, &pos);
	}
	return REACT_POP | REACT_ALL;
}

/* Put the cursor on the bucket holding ts. */
static void cursor_at(struct histv *hv, int64_t ts)
{
	hv->cur = 0;
	if (hv->ok && hv->h.n && hv->h.bucket > 0 && ts >= hv->h.start) {
		int64_t at = (ts - hv->h.start) / hv->h.bucket;
		hv->cur = (size_t)at < hv->h.n ? (size_t)at : hv->h.n - 1;
	}
}

/* +: the cursor's bucket, in finer buckets (at least 20 where it can). */
static int zoom_in(struct histv *hv)
{
	struct app *a = hv->v.app;
	if (!hv->ok || hv->cur >= hv->h.n)
		return REACT_NONE;
	int64_t b = hv->h.bucket;
	if (!histogram_zoom_size(b, -1)) {
		app_message(a, "these are the finest buckets");
		return REACT_CHROME;
	}
	if (hv->nzoom == MAX_ZOOM)
		memmove(&hv->zoom[0], &hv->zoom[1], --hv->nzoom * sizeof hv->zoom[0]);
	hv->span.cur = hv->cur;
	hv->zoom[hv->nzoom++] = hv->span;
	int64_t from = hv->h.start + (int64_t)hv->cur * b;
	hv->span = (struct span){ from, from + b, 0, 0 };
	run(hv);
	hv->cur = hv->top = 0;
	/* the first bucket with events: where the bar was */
	for (size_t i = 0; hv->ok && i < hv->h.n; i++)
		if (hv->h.counts[i]) {
			hv->cur = i;
			break;
		}
	return REACT_VIEW | REACT_CHROME;
}

/* -: back out of the last zoom, or coarser buckets over everything. */
static int zoom_out(struct histv *hv)
{
	struct app *a = hv->v.app;
	if (hv->nzoom) {
		hv->span = hv->zoom[--hv->nzoom];
		run(hv);
		hv->cur = hv->span.cur < hv->h.n ? hv->span.cur : 0;
		return REACT_VIEW | REACT_CHROME;
	}
	int64_t b = hv->ok ? histogram_zoom_size(hv->h.bucket, +1) : 0;
	if (!b || !hv->ok || hv->h.n <= 1) {
		app_message(a, "this is the whole filter in one view");
		return REACT_CHROME;
	}
	int64_t at = hv->h.start + (int64_t)hv->cur * hv->h.bucket;
	hv->span.bucket = b;
	run(hv);
	cursor_at(hv, at);
	return REACT_VIEW | REACT_CHROME;
}

static int action(struct view *v, enum keys_action act)
{
	struct histv *hv = HV(v);
	size_t n = hv->ok ? hv->h.n : 0, h = page_rows(hv);
	switch (act) {
	case ACT_ENTER: return narrow(hv);
	case ACT_ZOOM_IN: return zoom_in(hv);
	case ACT_ZOOM_OUT: return zoom_out(hv);
	case ACT_BACK:
	case ACT_HISTOGRAM: return REACT_POP;
	default: return list_move(&hv->cur, act, n, h) ? REACT_VIEW | REACT_CHROME : REACT_PASS;
	}
}

static void reload(struct view *v)
{
	run(HV(v));
}

/* The first run waits for the view's size (the cursor's bucket is put
 * on screen); the buckets themselves do not depend on it. */
static void resize(struct view *v)
{
	if (!HV(v)->ran)
		run(HV(v));
}

static void annotated(struct view *v)
{
	struct histv *hv = HV(v);
	if (hv->ok)
		count_marks(hv);
}

static void status(struct view *v, char *buf, size_t n)
{
	struct histv *hv = HV(v);
	if (!hv->ok || !hv->h.n) {
		snprintf(buf, n, "histogram");
		return;
	}
	char num[32], tot[32];
	snprintf(buf, n, "bucket %zu of %zu: %s of %s events", hv->cur + 1, hv->h.n,
		 draw_count(hv->h.counts[hv->cur], num, sizeof num), draw_count(hv->h.total, tot, sizeof tot));
}

static void hist_free(struct view *v)
{
	struct histv *hv = HV(v);
	if (hv->ok)
		histogram_clear(&hv->h);
	free(hv->marks);
	free(hv);
}

static const struct view_ops histogram_ops = {
	.name = "histogram",
	.keymap = KEYMAP_HISTOGRAM,
	.draw = draw,
	.action = action,
	.resize = resize,
	.reload = reload,
	.annotated = annotated,
	.status = status,
	.free = hist_free,
};

struct view *view_histogram_new(struct app *a)
{
	struct histv *hv = xcalloc(1, sizeof *hv);
	hv->v.ops = &histogram_ops;
	hv->v.app = a;
	hv->span = (struct span){ INT64_MIN, INT64_MAX, 0, 0 };
	return &hv->v;
}
