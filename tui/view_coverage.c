/*
 * view_coverage.c: the coverage screen (view_coverage.h): the lines of
 * core/coverage.h's report, built once when opened, in a pager. Text
 * from the case (source paths, mailboxes, warnings) goes through
 * draw_text, like every string from a log.
 */
#include "view_coverage.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "coverage.h"
#include "draw.h"
#include "event.h"
#include "list.h"
#include "theme.h"
#include "timeparse.h"
#include "xalloc.h"

#define BAR_COLS 60
#define DAY_MS ((int64_t)86400000)

struct cov {
	struct view v;
	char **lines;
	unsigned char *head;
	size_t n, cap, top;
};

#define COV(v) ((struct cov *)(v))

static void add(struct cov *c, char *line, bool head)
{
	size_t cap = c->cap;
	c->lines = xgrow(c->lines, &cap, c->n + 1, sizeof *c->lines);
	c->head = xrealloc(c->head, cap);
	c->cap = cap;
	c->head[c->n] = head;
	c->lines[c->n++] = line;
}

static void when(int64_t ms, char *out, size_t n)
{
	char t[40];
	time_format(ms, t, sizeof t);
	snprintf(out, n, "%.10s %.5s", t, t + 11);
}

static void build(struct cov *c, const struct coverage *cv)
{
	char f[32], l[32];
	size_t per = 1;
	for (int k = 0; k < KIND_COUNT && cv->ndays; k++)
		if (cv->kinds[k].events) {
			free(coverage_bars(cv, &cv->kinds[k], BAR_COLS, &per));
			break;
		}
	when(cv->first, f, sizeof f);
	when(cv->last, l, sizeof l);
	add(c,
	    xasprintf("The case covers %s to %s UTC, %zu days%s", f, l, cv->ndays,
		      per > 1 ? " (a bar is several days)" : " (a bar a day)"),
	    true);
	add(c,
	    xasprintf("  %-16s %-16s %-16s %9s %5s %4s  %s", "kind", "first", "last", "events", "days",
		      "gaps", "events per day"),
	    false);
	for (int k = 0; k < KIND_COUNT; k++) {
		const struct coverage_series *s = &cv->kinds[k];
		if (!s->events)
			continue;
		char *bars = coverage_bars(cv, s, BAR_COLS, NULL);
		when(s->first, f, sizeof f);
		when(s->last, l, sizeof l);
		add(c,
		    xasprintf("  %-16s %-16s %-16s %9" PRId64 " %5" PRId64 " %4zu  %s", event_kind_name(k), f,
			      l, s->events, s->active_days, s->ngaps, bars),
		    false);
		free(bars);
	}
	add(c, xstrdup(""), false);
	add(c, xstrdup("Sources"), true);
	for (size_t i = 0; i < cv->nsources; i++) {
		const struct coverage_source *s = &cv->sources[i];
		char *cut = coverage_cut_text(s->cuts);
		if (s->timed) {
			when(s->first, f, sizeof f);
			when(s->last, l, sizeof l);
		} else {
			snprintf(f, sizeof f, "-");
			snprintf(l, sizeof l, "-");
		}
		add(c, xasprintf("  %s", s->path), false);
		add(c,
		    xasprintf("      %s, %s to %s, %" PRId64 " records, %" PRId64 " kept%s%s", s->format, f,
			      l, s->records, s->s.events, *cut ? "; " : "", cut),
		    false);
		if (s->warning)
			add(c, xasprintf("      %s", s->warning), false);
		free(cut);
	}
	bool any = false;
	for (int k = 0; k < KIND_COUNT; k++)
		for (size_t i = 0; i < cv->kinds[k].ngaps; i++) {
			if (!any) {
				add(c, xstrdup(""), false);
				add(c, xstrdup("Gaps"), true);
			}
			any = true;
			char *t = coverage_gap_text(&cv->kinds[k].gaps[i]);
			add(c, xasprintf("  %-16s %s", event_kind_name(k), t), false);
			free(t);
		}
	if (cv->nthrottled) {
		add(c, xstrdup(""), false);
		add(c, xstrdup("Throttled mailboxes (IsThrottled: 24 hours of reads unaudited after each)"),
		    true);
		for (size_t i = 0; i < cv->nthrottled; i++) {
			when(cv->throttled[i].ts, f, sizeof f);
			when(cv->throttled[i].ts + DAY_MS, l, sizeof l);
			add(c, xasprintf("  %s from %s to %s", cv->throttled[i].mailbox, f, l), false);
		}
	}
	if (cv->nunread) {
		add(c, xstrdup(""), false);
		add(c, xstrdup("Mailboxes with activity but no MailItemsAccessed record"), true);
		for (size_t i = 0; i < cv->nunread; i++)
			add(c, xasprintf("  %s", cv->unread_mailboxes[i]), false);
	}
	if (cv->nnotes) {
		add(c, xstrdup(""), false);
		add(c, xstrdup("Not covered"), true);
		for (size_t i = 0; i < cv->nnotes; i++)
			add(c, xasprintf("  - %s", cv->notes[i]), false);
	}
}

static void draw(struct view *v, WINDOW *w)
{
	struct cov *c = COV(v);
	werase(w);
	for (int y = 0; y < v->rows && c->top + (size_t)y < c->n; y++) {
		size_t i = c->top + (size_t)y;
		draw_text(w, y, 0, c->lines[i], v->cols, theme_attr(c->head[i] ? THEME_HEADER : THEME_NORMAL));
	}
}

static int action(struct view *v, enum keys_action a)
{
	struct cov *c = COV(v);
	size_t page = v->rows > 0 ? (size_t)v->rows : 1, last = c->n > page ? c->n - page : 0;
	if (a == ACT_BACK)
		return REACT_POP;
	return list_scroll(&c->top, a, last, page) ? REACT_VIEW : REACT_PASS;
}

static void status(struct view *v, char *buf, size_t n)
{
	struct cov *c = COV(v);
	size_t end = c->top + (v->rows > 0 ? (size_t)v->rows : 1);
	snprintf(buf, n, "lines %zu-%zu of %zu", c->n ? c->top + 1 : 0, end < c->n ? end : c->n, c->n);
}

static void cov_free(struct view *v)
{
	struct cov *c = COV(v);
	for (size_t i = 0; i < c->n; i++)
		free(c->lines[i]);
	free(c->lines);
	free(c->head);
	free(c);
}

static const struct view_ops cov_ops = {
	.name = "coverage",
	.keymap = KEYMAP_HELP,
	.draw = draw,
	.action = action,
	.status = status,
	.free = cov_free,
};

struct view *view_coverage_new(struct app *a)
{
	struct coverage *cv = NULL;
	char *cause = NULL;
	app_busy_begin(a, "coverage");
	int r = coverage_build(app_store(a), &(struct progress){ app_progress, a }, &cv, &cause);
	app_busy_end(a);
	if (r < 0) {
		app_error(a, "coverage: %s", cause ? cause : "failed");
		free(cause);
		return NULL;
	}
	struct cov *c = xcalloc(1, sizeof *c);
	c->v.ops = &cov_ops;
	c->v.app = a;
	if (!cv->first && !cv->last)
		add(c, xstrdup("The case holds no event."), true);
	else
		build(c, cv);
	coverage_free(cv);
	return &c->v;
}
