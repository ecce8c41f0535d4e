/*
 * app_filter.c: the filter stack every view follows (app.h): one
 * compiled query per step, so that Backspace is instant even after a
 * filter that had to scan the raw records; counts estimated when exact
 * would take long (made exact while idle, in app_work.c).
 */
#include "app_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "xalloc.h"

static void step_count(struct app *a, struct step *s)
{
	s->count.n = 0;
	s->count.exact = false;
	char *cause = NULL;
	if (query_count(s->q, COUNT_BUDGET_MS, &s->count, &cause) < 0) {
		s->count.n = 0;
		s->count.exact = false;
		if (!query_cancelled(s->q))
			app_error(a, "count: %s", cause ? cause : "failed");
		free(cause);
	}
}

void app_step_refresh(struct app *a, struct step *s)
{
	struct query *q = NULL;
	if (query_new(a->st, s->filter, &q, NULL) < 0)
		return;
	/* a filter that scans the raw records keeps what it found */
	if (query_needs_scan(q)) {
		query_free(q);
		return;
	}
	query_set_progress(q, &(struct progress){ app_progress, a });
	query_free(s->q);
	s->q = q;
	s->count_failed = false;
	step_count(a, s);
}

void app_step_clear(struct step *s)
{
	free(s->filter);
	free(s->label);
	query_free(s->q);
	memset(s, 0, sizeof *s);
}

/* The column of a filter syntax error ("... at column 6"), or 0. */
static int error_column(const char *cause)
{
	const char *c = cause ? strstr(cause, "at column ") : NULL;
	return c ? atoi(c + 10) : 0;
}

/* Push a compiled step; on failure (a scan stopped with Esc, an error)
 * the stack is left as it was and -1 returned. *column gets the column
 * of a syntax error. */
int app_step_push(struct app *a, const char *text, const char *label, int *column)
{
	char *cause = NULL;
	struct filter *f = filter_parse(text, &cause);
	if (!f) {
		if (column)
			*column = error_column(cause);
		app_error(a, "%s", cause ? cause : "filter: cannot parse");
		free(cause);
		return -1;
	}
	char *canon = filter_canonical(f);
	filter_free(f);
	if (a->nsteps && !strcmp(canon, app_filter(a))) {
		app_message(a, *canon ? "the filter is already %s" : "no filter to clear", canon);
		free(canon);
		return 0;
	}
	struct query *q = NULL;
	if (query_new(a->st, canon, &q, &cause) < 0) {
		if (column)
			*column = error_column(cause);
		app_error(a, "%s", cause ? cause : "filter: cannot compile");
		free(cause);
		free(canon);
		return -1;
	}
	query_set_progress(q, &(struct progress){ app_progress, a });
	if (query_needs_scan(q)) {
		app_busy_begin(a, "filtering");
		int rc = query_prepare(q, &cause);
		app_busy_end(a);
		if (rc < 0) {
			if (query_cancelled(q))
				app_message(a, "filter stopped (Esc): not applied");
			else
				app_error(a, "%s", cause ? cause : "filter failed");
			free(cause);
			query_free(q);
			free(canon);
			return -1;
		}
	}
	if (a->nsteps == MAX_STEPS) {
		/* forget the oldest step above the base */
		app_step_clear(&a->steps[1]);
		memmove(&a->steps[1], &a->steps[2], (MAX_STEPS - 2) * sizeof a->steps[0]);
		a->nsteps--;
		memset(&a->steps[a->nsteps], 0, sizeof a->steps[0]);
	}
	struct step *s = &a->steps[a->nsteps++];
	s->filter = canon;
	s->label = xstrdup(label && *label ? label : *canon ? canon : "all events");
	s->q = q;
	s->serial = ++a->serials;
	step_count(a, s);
	a->reload_pending = true;
	a->dirty = DIRTY_ALL;
	if (a->started)
		app_save_filters(a);
	return 0;
}

int app_filter_push(struct app *a, const char *text, const char *label)
{
	return app_step_push(a, text, label, NULL);
}

const char *app_filter_label(struct app *a)
{
	return a->nsteps ? app_top_step(a)->label : "";
}

int app_filter_narrow(struct app *a, const char *text, const char *what)
{
	/* the base step's label ("all events") is no part of a filter */
	char *label = a->nsteps > 1 && *app_filter(a) ? xasprintf("%s %s", app_filter_label(a), what)
						      : xstrdup(what);
	int rc = app_step_push(a, text, label, NULL);
	free(label);
	return rc;
}

int app_pivot(struct app *a, const char *field, const char *value, bool exclude)
{
	char *cause = NULL;
	char *text = filter_pivot(app_filter(a), field, value, exclude ? FILTER_EXCLUDE : FILTER_KEEP, &cause);
	if (!text) {
		app_error(a, "%s", cause ? cause : "pivot failed");
		free(cause);
		return -1;
	}
	/* the breadcrumb names an app id by its name when it has one */
	const char *shown = value && (!strcmp(field, "app") || !strcmp(field, "client_app"))
				    ? app_app_name(a, value)
				    : NULL;
	char *q = shown ? filter_quote(shown) : value ? filter_quote(value) : xstrdup("\"\"");
	char *label = xasprintf("%s%s%s", field, exclude ? "!=" : "=", q);
	int rc = app_filter_narrow(a, text, label);
	free(label);
	free(q);
	free(text);
	return rc;
}

bool app_filter_pop(struct app *a)
{
	if (a->nsteps <= 1)
		return false;
	app_step_clear(&a->steps[--a->nsteps]);
	a->reload_pending = true;
	a->dirty = DIRTY_ALL;
	app_save_filters(a);
	return true;
}
