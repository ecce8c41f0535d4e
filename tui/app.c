/*
 * app.c: what the views share (app.h): the view stack, prompts and
 * questions, keys, and the interface's life cycle. The main loop and the
 * terminal are in app_loop.c, long and idle work in app_work.c, the
 * filter stack, drawing, saved state and the `:` commands in
 * app_filter.c, app_draw.c, app_state.c and app_colon.c (app_impl.h).
 *
 * One key goes through three layers: a modal question or prompt if one
 * is open; else the top view's key map and action; else the global
 * actions (help, filter, undo, command line, quit). Actions return
 * reaction bits; the loop turns them into dirty windows, pops views and
 * reloads after a filter change, then draws what is dirty with one
 * doupdate.
 *
 * The filter stack keeps one compiled query per step, so Backspace is
 * instant even after a filter that had to scan the raw records.
 */
#include "app_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clip.h"
#include "filter.h"
#include "hunt.h"
#include "keys.h"
#include "knownapps.h"
#include "prompt.h"
#include "sigma.h"
#include "sigma_run.h"
#include "state.h"
#include "view.h"
#include "view_help.h"
#include "view_histogram.h"
#include "view_hunt.h"
#include "view_messages.h"
#include "view_timeline.h"
#include "xalloc.h"

/* ------------------------------------------------------------------ */
/* Small accessors */

struct store *app_store(struct app *a)
{
	return a->st;
}

struct step *app_top_step(struct app *a)
{
	return &a->steps[a->nsteps - 1];
}

struct query *app_query(struct app *a)
{
	return app_top_step(a)->q;
}

const char *app_filter(struct app *a)
{
	return a->nsteps ? app_top_step(a)->filter : "";
}

struct query_count app_count(struct app *a)
{
	return app_top_step(a)->count;
}

bool app_done(struct app *a)
{
	return a->quit;
}

unsigned app_flags(struct app *a, int64_t event)
{
	return a->flags ? hunt_flags_get(a->flags, event) : 0;
}

bool app_flags_current(struct app *a)
{
	const struct query_row *r = a->nviews ? view_timeline_current(a->views[0]) : NULL;
	return r && app_flags(a, r->id) != 0;
}

/* Names from evidence first (the tenant's list, the case's sign-ins and
 * directory records, then Microsoft's), as hunts, apps and export give
 * them; the built-in and tenant table alone if the case could not say. */
const char *app_app_name(struct app *a, const char *app_id)
{
	if (!app_id)
		return NULL;
	const char *n = a->names ? appnames_lookup(a->names, app_id, NULL) : NULL;
	return n ? n : a->ka ? knownapps_lookup(a->ka, app_id, NULL) : NULL;
}

struct view *app_timeline(struct app *a)
{
	return a->nviews ? a->views[0] : NULL;
}

struct view *app_top_view(struct app *a)
{
	return a->nviews ? a->views[a->nviews - 1] : NULL;
}

__attribute__((format(printf, 3, 0))) static void set_message(struct app *a, bool error, const char *fmt,
							      va_list ap)
{
	free(a->message);
	a->message = xvasprintf(fmt, ap);
	a->msg_error = error;
	a->dirty |= DIRTY_MSG | DIRTY_STATUS;
}

void app_message(struct app *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_message(a, false, fmt, ap);
	va_end(ap);
}

void app_error(struct app *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_message(a, true, fmt, ap);
	va_end(ap);
}

const char *app_message_text(struct app *a)
{
	return a->message ? a->message : "";
}

/* ------------------------------------------------------------------ */
/* Views */

void app_size_view(struct app *a, struct view *v)
{
	if (a->wbody)
		getmaxyx(a->wbody, v->rows, v->cols);
}

void app_push_view(struct app *a, struct view *v)
{
	if (!v)
		return;
	if (a->nviews == MAX_VIEWS) {
		v->ops->free(v);
		app_error(a, "too many views open: q closes one");
		return;
	}
	a->views[a->nviews++] = v;
	app_size_view(a, v);
	if (v->ops->resize && !a->too_small)
		v->ops->resize(v);
	a->dirty = DIRTY_ALL;
}

void app_push_after(struct app *a, struct view *v)
{
	if (a->after)
		a->after->ops->free(a->after);
	a->after = v;
}

struct view *app_current_view(struct app *a)
{
	return app_top_view(a);
}

void app_pop_view(struct app *a)
{
	if (a->nviews <= 1)
		return;
	struct view *v = a->views[--a->nviews];
	v->ops->free(v);
	a->dirty = DIRTY_ALL;
}

void app_annotated(struct app *a)
{
	for (int i = 0; i < a->nviews; i++)
		if (a->views[i]->ops->annotated)
			a->views[i]->ops->annotated(a->views[i]);
	a->dirty |= DIRTY_BODY | DIRTY_STATUS;
}

void app_reload_views(struct app *a)
{
	a->reload_pending = false;
	for (int i = 0; i < a->nviews; i++)
		if (a->views[i]->ops->reload)
			a->views[i]->ops->reload(a->views[i]);
	a->dirty = DIRTY_ALL;
}

/* ------------------------------------------------------------------ */
/* Prompts and questions */

void app_close_prompt(struct app *a)
{
	prompt_free(a->prompt);
	a->prompt = NULL;
	if (a->pctx_free)
		a->pctx_free(a->pctx);
	a->pctx = NULL;
	a->pctx_free = NULL;
	a->pfn = NULL;
	a->dirty |= DIRTY_MSG | DIRTY_STATUS;
}

void app_prompt(struct app *a, const char *label, const char *text, int history, app_prompt_fn fn, void *ctx,
		void (*ctx_free)(void *))
{
	if (a->prompt)
		app_close_prompt(a);
	a->prompt = prompt_new(label, text,
			       history > APP_HIST_NONE && history < APP_HIST_COUNT ? a->hist[history] : NULL);
	a->pfn = fn;
	a->pctx = ctx;
	a->pctx_free = ctx_free;
	a->dirty |= DIRTY_MSG | DIRTY_STATUS;
}

void app_confirm_cancel(struct app *a, const char *question, app_confirm_fn fn, app_confirm_fn no_fn, void *ctx)
{
	if (a->question && a->cno)
		a->cno(a, a->cctx);
	free(a->question);
	a->question = xstrdup(question);
	a->cfn = fn;
	a->cno = no_fn;
	a->cctx = ctx;
	a->dirty |= DIRTY_MSG;
}

void app_confirm(struct app *a, const char *question, app_confirm_fn fn, void *ctx)
{
	app_confirm_cancel(a, question, fn, NULL, ctx);
}

/* ------------------------------------------------------------------ */
/* Keys */

static int on_filter(struct app *a, void *ctx, const char *text, int *column)
{
	(void)ctx;
	return app_step_push(a, text, NULL, column) < 0 ? -1 : REACT_ALL;
}

static int do_quit(struct app *a, void *ctx)
{
	(void)ctx;
	a->quit = true;
	return REACT_QUIT;
}

/* Leave, asking first when a load is writing to the case (it goes on
 * without us, but the user may not know that). */
static int quit(struct app *a)
{
	if (a->loading) {
		app_confirm(a,
			    "A load is still writing to this case (it goes on without the interface). Quit? (y/n)",
			    do_quit, NULL);
		return REACT_CHROME;
	}
	return do_quit(a, NULL);
}

/*
 * Put the views above the timeline aside (a drill-in): q on the timeline
 * brings them back with the filter they were looking at. The oldest
 * frame is closed when there are too many.
 */
static void frame_push(struct app *a, size_t nsteps, uint64_t serial)
{
	if (a->nframes == MAX_FRAMES) {
		struct frame *f = &a->frames[0];
		for (int i = 0; i < f->nviews; i++)
			f->views[i]->ops->free(f->views[i]);
		memmove(&a->frames[0], &a->frames[1], (MAX_FRAMES - 1) * sizeof a->frames[0]);
		a->nframes--;
	}
	struct frame *f = &a->frames[a->nframes++];
	f->nviews = 0;
	for (int i = 1; i < a->nviews; i++)
		f->views[f->nviews++] = a->views[i];
	a->nviews = 1;
	f->nsteps = nsteps;
	f->serial = serial;
	a->dirty = DIRTY_ALL;
}

bool app_frame_restore(struct app *a)
{
	if (!a->nframes)
		return false;
	struct frame *f = &a->frames[--a->nframes];
	/* the filter the views were looking at, unless the user undid
	 * steps below it meanwhile */
	while (a->nsteps > f->nsteps && a->nsteps > 1)
		app_step_clear(&a->steps[--a->nsteps]);
	bool same = a->nsteps == f->nsteps && app_top_step(a)->serial == f->serial;
	app_save_filters(a);
	struct view *tl = app_timeline(a);
	if (tl->ops->reload)
		tl->ops->reload(tl);
	for (int i = 0; i < f->nviews && a->nviews < MAX_VIEWS; i++) {
		struct view *v = f->views[i];
		a->views[a->nviews++] = v;
		app_size_view(a, v);
		if (v->ops->resize && !a->too_small)
			v->ops->resize(v);
		if (!same && v->ops->reload)
			v->ops->reload(v);
		else if (v->ops->annotated)
			v->ops->annotated(v);
	}
	a->reload_pending = false;
	a->dirty = DIRTY_ALL;
	return true;
}

/* What q (or Esc) on the timeline says it will do. */
const char *app_back_hint(struct app *a)
{
	if (!a->nframes)
		return "quit";
	struct frame *f = &a->frames[a->nframes - 1];
	return f->nviews ? f->views[f->nviews - 1]->ops->name : "back";
}

static int global_action(struct app *a, enum keys_action act)
{
	struct view *v = app_top_view(a);
	switch (act) {
	case ACT_QUIT: return quit(a);
	case ACT_BACK:
		if (a->nviews > 1)
			return REACT_POP;
		if (app_frame_restore(a))
			return REACT_ALL;
		if (a->key == KEYS_ESC && !a->loading) {
			/* Esc is pressed by habit: quitting on it asks first */
			app_confirm(a, "Quit auditscope? (y/n)", do_quit, NULL);
			return REACT_CHROME;
		}
		return quit(a);
	case ACT_HELP:
		app_push_view(a, view_help_new(a, v ? v->ops->keymap : KEYMAP_TIMELINE));
		return REACT_ALL;
	case ACT_FILTER:
		app_prompt(a, "filter: ", app_filter(a), APP_HIST_FILTER, on_filter, NULL, NULL);
		return REACT_CHROME;
	case ACT_UNDO:
		if (!app_filter_pop(a))
			app_message(a, "no filter step to undo");
		return REACT_ALL;
	case ACT_COMMAND:
		app_prompt(a, ":", NULL, APP_HIST_COMMAND, app_command, NULL, NULL);
		return REACT_CHROME;
	case ACT_HISTOGRAM: app_push_view(a, view_histogram_new(a)); return REACT_ALL;
	case ACT_HUNTS:
		/* H again closes the menu */
		if (v && v->ops->keymap == KEYMAP_HUNTS)
			return REACT_POP;
		app_push_view(a, view_hunt_menu_new(a));
		return REACT_ALL;
	case ACT_MESSAGES:
		/* E again closes the list */
		if (v && v->ops->keymap == KEYMAP_MESSAGES)
			return REACT_POP;
		app_push_view(a, view_messages_new(a));
		return REACT_ALL;
	case ACT_REDRAW: clearok(curscr, TRUE); return REACT_ALL;
	case ACT_COPY_FILTER: {
		char *cause = NULL;
		if (!*app_filter(a))
			app_message(a, "no filter to copy: every event is shown");
		else if (clip_copy(app_filter(a), &cause) < 0)
			app_error(a, "%s", cause);
		else
			app_message(a, "copied the filter: %s", app_filter(a));
		free(cause);
		return REACT_CHROME;
	}
	default: return REACT_NONE;
	}
}

static int react(struct app *a, int r)
{
	if (r < 0)
		r = REACT_CHROME;
	/* a view that leaves for the timeline after changing the filter is
	 * a drill-in: it and those under it wait for q */
	bool drilled = a->nsteps != a->key_nsteps || (a->nsteps && app_top_step(a)->serial != a->key_serial);
	if ((r & (REACT_POP | REACT_HOME)) && drilled && a->nviews > 1) {
		frame_push(a, a->key_nsteps, a->key_serial);
	} else {
		if (r & REACT_POP)
			app_pop_view(a);
		if (r & REACT_HOME)
			while (a->nviews > 1)
				app_pop_view(a);
	}
	if (a->reload_pending)
		app_reload_views(a);
	if (a->after) {
		struct view *v = a->after;
		a->after = NULL;
		app_push_view(a, v);
	}
	if (r & REACT_VIEW)
		a->dirty |= DIRTY_BODY | DIRTY_STATUS;
	if (r & REACT_CHROME)
		a->dirty |= DIRTY_TITLE | DIRTY_STATUS | DIRTY_MSG;
	if (r & (REACT_ALL | REACT_POP | REACT_RELOAD | REACT_HOME))
		a->dirty = DIRTY_ALL & ~DIRTY_CLEAR;
	if (a->quit)
		r |= REACT_QUIT;
	return r;
}

int app_key(struct app *a, int key)
{
	if (key == KEYS_F(KEY_RESIZE)) {
		app_layout(a);
		a->dirty = DIRTY_ALL;
		return REACT_ALL;
	}
	if (key == KEYS_F(KEY_MOUSE))
		return react(a, app_mouse(a));
	if (a->message && !a->prompt) {
		free(a->message);
		a->message = NULL;
		a->dirty |= DIRTY_MSG | DIRTY_STATUS;
	}
	a->key = key;
	a->key_nsteps = a->nsteps;
	a->key_serial = a->nsteps ? app_top_step(a)->serial : 0;
	if (a->question) {
		app_confirm_fn fn = a->cfn, no = a->cno;
		void *ctx = a->cctx;
		free(a->question);
		a->question = NULL;
		a->cno = NULL;
		a->dirty |= DIRTY_MSG;
		if (key == 'y' || key == 'Y')
			return react(a, fn(a, ctx));
		if (no)
			no(a, ctx);
		app_message(a, "cancelled");
		return REACT_CHROME;
	}
	if (a->prompt) {
		int k = prompt_key(a->prompt, key);
		a->dirty |= DIRTY_MSG;
		if (k == PROMPT_EDITING)
			return REACT_NONE;
		if (k == PROMPT_CANCEL) {
			free(a->message);
			a->message = NULL;
			app_close_prompt(a);
			return REACT_CHROME;
		}
		struct prompt *p = a->prompt;
		char *text = xstrdup(prompt_text(p));
		int column = 0;
		free(a->message);
		a->message = NULL;
		int r = a->pfn(a, a->pctx, text, &column);
		free(text);
		if (r < 0) {
			/* wrong: keep the prompt open at the fault */
			if (a->prompt == p)
				prompt_set_error(p, column);
			a->dirty |= DIRTY_MSG | DIRTY_STATUS;
			return REACT_CHROME;
		}
		if (a->prompt == p)
			app_close_prompt(a);
		return react(a, r);
	}
	if (a->too_small) {
		if (key == 'q' || key == 'Q') {
			a->quit = true;
			return REACT_QUIT;
		}
		return REACT_NONE;
	}
	struct view *v = app_top_view(a);
	enum keys_action act = keys_lookup(v->ops->keymap, key);
	if (act == ACT_NONE) {
		if (key == KEYS_CTRL('C'))
			app_message(a, "q goes back, Q quits");
		return REACT_CHROME;
	}
	int r = v->ops->action(v, act);
	if (r & REACT_PASS)
		r = global_action(a, act);
	return react(a, r);
}

/* ------------------------------------------------------------------ */
/* Life cycle */

struct app *app_new(struct store *st)
{
	struct app *a = xcalloc(1, sizeof *a);
	a->st = st;
	a->ka = knownapps_new(st, NULL);
	char *cause = NULL;
	a->names = appnames_new(st, &cause);
	free(cause); /* without them, the built-in and tenant names */
	for (int h = 0; h < APP_HIST_COUNT; h++)
		a->hist[h] = prompt_history_new(HISTORY_MAX);
	return a;
}

int app_start(struct app *a, char **cause)
{
	(void)cause;
	/* a case being loaded opens at once, on what is committed */
	a->loading = store_load_running(a->st);
	a->data_version = store_data_version(a->st);
	if (app_step_push(a, "", "all events", NULL) < 0)
		return set_cause(cause, "%s", a->message ? a->message : "cannot read the case");
	app_apply_theme(a);
	/* the windows first: a restored filter that scans shows progress */
	app_layout(a);
	app_restore_histories(a);
	app_restore_filters(a);
	a->reload_pending = false;
	struct view *tl = view_timeline_new(a);
	a->views[a->nviews++] = tl;
	app_size_view(a, tl);
	char *col = state_get(a->st, "tui.column");
	if (col)
		view_timeline_set_column(tl, col);
	free(col);
	char *pos = state_get(a->st, "tui.position");
	long long ts, id;
	if (!a->too_small) {
		if (pos && sscanf(pos, "%lld %lld", &ts, &id) == 2) {
			struct query_pos p = { ts, id };
			view_timeline_goto(tl, &p);
		} else {
			tl->ops->resize(tl);
		}
	}
	free(pos);
	a->started = true;
	a->dirty = DIRTY_ALL;
	return 0;
}

void app_sigma_keep(struct app *a, struct sigma_set *set, struct sigma_run *run)
{
	sigma_run_free(a->sigma_run);
	sigma_set_free(a->sigma);
	a->sigma = set;
	a->sigma_run = run;
	a->sigma_rule = NULL;
	free(a->sigma_filter);
	a->sigma_filter = NULL;
}

bool app_sigma(struct app *a, struct sigma_set **set, struct sigma_run **run)
{
	*set = a->sigma;
	*run = a->sigma_run;
	return a->sigma != NULL;
}

void app_sigma_active(struct app *a, const struct sigma_rule *r)
{
	a->sigma_rule = r;
	free(a->sigma_filter);
	a->sigma_filter = xstrdup(app_filter(a));
}

const struct sigma_rule *app_sigma_rule(struct app *a)
{
	if (!a->sigma_rule || !a->sigma_filter || !strstr(app_filter(a), a->sigma_filter))
		return NULL;
	return a->sigma_rule;
}

void app_free(struct app *a)
{
	if (!a)
		return;
	if (a->prompt)
		app_close_prompt(a);
	while (a->nviews > 0) {
		struct view *v = a->views[--a->nviews];
		v->ops->free(v);
	}
	while (a->nframes > 0) {
		struct frame *f = &a->frames[--a->nframes];
		while (f->nviews > 0) {
			struct view *v = f->views[--f->nviews];
			v->ops->free(v);
		}
	}
	while (a->nsteps > 0)
		app_step_clear(&a->steps[--a->nsteps]);
	WINDOW *w[] = { a->wtitle, a->wbody, a->wstatus, a->wmsg };
	for (size_t i = 0; i < 4; i++)
		if (w[i])
			delwin(w[i]);
	for (int h = 0; h < APP_HIST_COUNT; h++)
		prompt_history_free(a->hist[h]);
	for (size_t i = 0; i < sizeof a->saved / sizeof a->saved[0]; i++)
		free(a->saved[i]);
	knownapps_free(a->ka);
	appnames_free(a->names);
	hunt_flags_free(a->flags);
	sigma_run_free(a->sigma_run);
	sigma_set_free(a->sigma);
	free(a->sigma_filter);
	if (a->question && a->cno)
		a->cno(a, a->cctx);
	if (a->after)
		a->after->ops->free(a->after);
	free(a->message);
	free(a->question);
	free(a);
}
