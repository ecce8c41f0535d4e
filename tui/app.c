/*
 * app.c: the interface's main loop, its views and prompts, and what the
 * views share (app.h). The filter stack, drawing, saved state and the
 * `:` commands are in app_filter.c, app_draw.c, app_state.c and
 * app_colon.c (app_impl.h).
 *
 * One key goes through three layers: a modal question or prompt if one
 * is open; else the top view's key map and action; else the global
 * actions (help, filter, undo, command line, quit). Actions return
 * reaction bits; the loop turns them into dirty windows, pops views and
 * reloads after a filter change, then draws what is dirty with one
 * doupdate.
 *
 * The filter stack keeps one compiled query per step, so Backspace is
 * instant even after a filter that had to scan the raw records. Counts
 * are estimated when exact would take long and made exact while the
 * user is idle, in work that stops the moment a key arrives. Long work
 * the user asked for (a scan, a stack, a histogram) runs under the
 * progress callback, which draws progress and stops on Esc; keys typed
 * meanwhile are queued, not lost.
 */
#include "app_impl.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <term.h>
#include <unistd.h>

#include "clip.h"
#include "draw.h"
#include "filter.h"
#include "hunt.h"
#include "keys.h"
#include "knownapps.h"
#include "prompt.h"
#include "sanitize.h"
#include "sigma.h"
#include "sigma_run.h"
#include "state.h"
#include "theme.h"
#include "view.h"
#include "view_help.h"
#include "view_histogram.h"
#include "view_hunt.h"
#include "view_messages.h"
#include "view_timeline.h"
#include "xalloc.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
/* Progress and cancellation */

/* A key if one is waiting, without blocking; ERR otherwise. */
static int poll_key(void)
{
	if (!stdscr)
		return ERR;
	wint_t wc;
	nodelay(stdscr, TRUE);
	int kind = wget_wch(stdscr, &wc);
	nodelay(stdscr, FALSE);
	return kind == ERR ? ERR : keys_code(kind, wc);
}

static void queue_key(struct app *a, int key)
{
	if (a->nahead < sizeof a->ahead / sizeof a->ahead[0])
		a->ahead[a->nahead++] = key;
}

bool app_next_key(struct app *a, int *key)
{
	if (!a->nahead)
		return false;
	*key = a->ahead[0];
	memmove(a->ahead, a->ahead + 1, --a->nahead * sizeof *a->ahead);
	return true;
}

void app_busy_begin(struct app *a, const char *what)
{
	if (a->busy++ == 0) {
		snprintf(a->busy_what, sizeof a->busy_what, "%s", what);
		a->busy_start = now_ms();
		a->busy_drawn = 0;
	}
}

void app_busy_end(struct app *a)
{
	if (a->busy > 0 && --a->busy == 0)
		a->dirty |= DIRTY_MSG;
}

int app_progress(void *ctx, double done)
{
	struct app *a = ctx;
	int64_t now = now_ms();
	/* a read() per call would cost more than the work between calls */
	if (now - a->last_poll < 20)
		return 0;
	a->last_poll = now;
	if (a->idle_work) {
		/* idle work gives way to the first key */
		int k = poll_key();
		if (k == ERR)
			return 0;
		queue_key(a, k);
		return 1;
	}
	if (!a->busy)
		return 0;
	int k;
	while ((k = poll_key()) != ERR) {
		if (k == KEYS_ESC || k == KEYS_CTRL('C') || k == KEYS_CTRL('G')) {
			a->nahead = 0; /* what was typed ahead was meant for the work just stopped */
			return 1;
		}
		queue_key(a, k);
	}
	if (a->wmsg && now - a->busy_start > 150 && now - a->busy_drawn > 100) {
		char line[160];
		double secs = (double)(now - a->busy_start) / 1000.0;
		if (done >= 0 && done <= 1)
			snprintf(line, sizeof line, "%s... %2.0f%%  %.1f s  (Esc stops)", a->busy_what,
				 done * 100, secs);
		else
			snprintf(line, sizeof line, "%s...  %.1f s  (Esc stops)", a->busy_what, secs);
		werase(a->wmsg);
		draw_text(a->wmsg, 0, 0, line, a->cols, theme_attr(THEME_MESSAGE));
		wnoutrefresh(a->wmsg);
		doupdate();
		a->busy_drawn = now;
	}
	return 0;
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

static int idle_cancel(void *ctx, double done)
{
	(void)done;
	return app_progress(ctx, -1);
}

int app_rank(struct app *a, const struct query_pos *pos, int64_t *before)
{
	struct step *s = app_top_step(a);
	struct rank *k = &a->rank;
	if (k->serial != s->serial || k->pos.ts != pos->ts || k->pos.id != pos->id) {
		*k = (struct rank){ .serial = s->serial, .pos = *pos };
		char *cause = NULL;
		int r = query_rank(s->q, pos, RANK_BUDGET_MS, &k->before, &cause);
		free(cause);
		if (r < 0)
			k->failed = true;
		k->exact = r > 0;
	}
	if (k->exact) {
		*before = k->before;
		return 1;
	}
	if (k->failed)
		return -1;
	/* until the idle count: where pos's time falls in the case's span */
	int64_t first = 0, last = 0;
	if (store_time_range(a->st, &first, &last, NULL) < 0 || last <= first)
		return -1;
	double f = (double)(pos->ts - first) / (double)(last - first);
	if (f < 0)
		f = 0;
	if (f > 1)
		f = 1;
	*before = (int64_t)(f * (double)s->count.n);
	return 0;
}

/* The exact place the status line estimated, given up at the first key. */
static bool idle_rank(struct app *a)
{
	struct step *s = app_top_step(a);
	struct rank *k = &a->rank;
	if (k->serial != s->serial || k->exact || k->failed)
		return false;
	a->idle_work = true;
	int64_t before;
	int r = query_rank(s->q, &k->pos, -1, &before, NULL);
	a->idle_work = false;
	if (r < 0 && !query_cancelled(s->q))
		k->failed = true;
	if (r <= 0)
		return false;
	k->before = before;
	k->exact = true;
	a->dirty |= DIRTY_STATUS;
	return true;
}

/* While a load runs: every half second, what it has committed since is
 * shown (the steps counted again, the timeline read again), and its end
 * is said. */
static bool idle_load(struct app *a)
{
	int64_t now = now_ms();
	if (now - a->load_polled < 500)
		return false;
	a->load_polled = now;
	bool running = store_load_running(a->st);
	int64_t v = store_data_version(a->st);
	if (v == a->data_version && running)
		return false;
	a->data_version = v;
	for (size_t i = 0; i < a->nsteps; i++)
		app_step_refresh(a, &a->steps[i]);
	a->rank = (struct rank){ 0 };
	struct view *tl = app_timeline(a);
	if (tl && tl->ops->reload && !a->too_small)
		tl->ops->reload(tl);
	if (!running) {
		a->loading = false;
		char n[32];
		app_message(a, "the load is done: %s events in this filter",
			    draw_count(app_count(a).n, n, sizeof n));
	}
	a->dirty = DIRTY_ALL;
	return true;
}

bool app_idle(struct app *a)
{
	if (!a->started)
		return false;
	if (a->loading && idle_load(a))
		return true;
	app_save_state(a);
	struct step *s = app_top_step(a);
	if (!a->too_small && idle_rank(a))
		return true;
	if (!s->count.exact && !s->count_failed && !a->too_small) {
		/* the exact count, given up at the first key */
		struct query_count c;
		a->idle_work = true;
		int rc = query_count(s->q, -1, &c, NULL);
		a->idle_work = false;
		if (rc < 0 && !query_cancelled(s->q))
			s->count_failed = true;
		if (rc == 0) {
			s->count = c;
			a->dirty |= DIRTY_STATUS;
			return true;
		}
		return false;
	}
	if (!a->flags_done && !a->too_small) {
		/* what the hunts flag, for the timeline's colours: seconds on a
		 * big case, so only while idle, given up at the first key and
		 * taken up again at the next pause */
		struct hunt_opts o;
		hunt_opts_init(&o);
		o.progress = (struct progress){ idle_cancel, a };
		char *cause = NULL;
		a->idle_work = true;
		int rc = hunt_flagged(a->st, &o, &a->flags, &cause);
		a->idle_work = false;
		if (rc == 0 || !cause || strcmp(cause, PROGRESS_CANCELLED))
			a->flags_done = true; /* found, or failed for good */
		free(cause);
		if (rc == 0) {
			app_annotated(a);
			return true;
		}
	}
	return false;
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

/* ------------------------------------------------------------------ */
/* The terminal */

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/* Out of memory: give the terminal back before saying so. */
static void fatal(const char *msg)
{
	endwin();
	fprintf(stderr, "auditscope: %s\n", msg);
	exit(1);
}

/* An error on stderr, sanitised (the case path may hold anything). */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	char *s = sanitize(m, strlen(m));
	fprintf(stderr, "auditscope: %s\n", s);
	free(s);
	free(m);
}

int tui_run(struct store *st, const char *case_path)
{
	SCREEN *scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		const char *term = getenv("TERM");
		say("cannot use the terminal '%s'", term ? term : "(TERM not set)");
		return 1;
	}
	/* a terminal that cannot move the cursor (TERM=dumb, an emacs
	 * shell buffer) would show only the last line: say so instead */
	const char *cup = tigetstr("cup");
	if (!cup || cup == (char *)-1) {
		endwin();
		delscreen(scr);
		const char *term = getenv("TERM");
		say("the terminal '%s' cannot move the cursor, which the interface needs; run it in a "
		    "terminal such as xterm or tmux (TERM=xterm-256color), or use the command line: "
		    "auditscope query CASE [FILTER] (auditscope --help lists the commands)",
		    term ? term : "(TERM not set)");
		return 1;
	}
	xalloc_set_fatal(fatal);
	set_escdelay(25);
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	app_mouse_setup();
	clip_set_output(stdout);
	wnoutrefresh(stdscr);
	struct sigaction sa = { 0 };
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	struct app *a = app_new(st);
	char *cause = NULL;
	int rc = 0;
	if (app_start(a, &cause) < 0) {
		endwin();
		say("%s: %s", case_path, cause ? cause : "cannot open the interface");
		free(cause);
		rc = 1;
		goto out;
	}
	app_draw(a);
	while (!app_done(a) && !got_signal) {
		int key;
		if (!app_next_key(a, &key)) {
			wint_t wc;
			wtimeout(stdscr, 250);
			int kind = wget_wch(stdscr, &wc);
			if (kind == ERR) {
				if (app_idle(a))
					app_draw(a);
				continue;
			}
			key = keys_code(kind, wc);
		}
		app_key(a, key);
		app_draw(a);
	}
	/* the state waited for the load; now it waits for nothing */
	a->loading = false;
	app_save_state(a);
	clip_set_output(NULL);
	endwin();
out:
	app_free(a);
	delscreen(scr);
	xalloc_set_fatal(NULL);
	return rc;
}
