/*
 * timeline_search.c: search in the timeline (/, n, N) and walking the
 * bookmarks (u, U, M) (timeline_impl.h).
 */
#include "timeline_impl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "annot.h"
#include "app.h"
#include "draw.h"
#include "filter.h"
#include "view_timeline.h"
#include "xalloc.h"

/* --- search --- */

void tl_search_clear(struct tl *t)
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
int tl_search_go(struct tl *t, int dir)
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
	const struct query_row *r = tl_current(t);
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
		tl_fetch_error(t, cause);
		query_page_free(&p);
		return REACT_CHROME;
	}
	if (p.n == 0) {
		app_message(t->v.app, "not found: %s", t->search);
		query_page_free(&p);
		tl_read_marks(t, 0, t->n);
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
	tl_read_marks(t, 0, t->n);
	return REACT_VIEW | REACT_CHROME;
}

static int on_search(struct app *a, void *ctx, const char *text, int *column)
{
	struct tl *t = ctx;
	(void)a;
	if (!*text) {
		tl_search_clear(t);
		tl_read_marks(t, 0, t->n);
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
	return tl_search_go(t, 1);
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
int tl_goto_mark(struct tl *t, bool backward)
{
	struct app *a = t->v.app;
	const struct query_row *r = tl_current(t);
	struct query_pos pos = { r ? r->ts : (backward ? INT64_MAX : INT64_MIN), r ? r->id : 0 };
	struct query *q = app_query(a);
	for (int tries = 0; tries < 100000; tries++) {
		int64_t id, ts;
		char *cause = NULL;
		int k = annot_mark_next(app_store(a), pos.ts, pos.id, backward, &id, &ts, &cause);
		if (k < 0) {
			tl_fetch_error(t, cause);
			return REACT_CHROME;
		}
		if (k == 0) {
			app_message(a, backward ? "no bookmark before this event"
						: "no bookmark after this event");
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

int tl_search_prompt(struct tl *t)
{
	app_prompt(t->v.app, "/", NULL, APP_HIST_SEARCH, on_search, t, NULL);
	return REACT_CHROME;
}

int tl_mark_all(struct tl *t)
{
	struct app *a = t->v.app;
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
