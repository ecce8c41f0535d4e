/*
 * app.c: the interface's main loop and everything the views share
 * (app.h).
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
#include "app.h"

#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "annot.h"
#include "draw.h"
#include "export.h"
#include "filter.h"
#include "hunt.h"
#include "keys.h"
#include "knownapps.h"
#include "prompt.h"
#include "sanitize.h"
#include "state.h"
#include "theme.h"
#include "view.h"
#include "view_help.h"
#include "view_histogram.h"
#include "view_hunt.h"
#include "view_timeline.h"
#include "xalloc.h"

#define MIN_ROWS 7
#define MIN_COLS 40
#define MAX_VIEWS 16
#define MAX_STEPS 64
#define COUNT_BUDGET_MS 5
#define HISTORY_MAX 100

enum {
	DIRTY_TITLE = 1,
	DIRTY_BODY = 2,
	DIRTY_STATUS = 4,
	DIRTY_MSG = 8,
	DIRTY_CLEAR = 16,
	DIRTY_ALL = 31,
};

struct step {
	char *filter; /* canonical text */
	char *label;  /* breadcrumb */
	struct query *q;
	struct query_count count;
	bool count_failed; /* the exact count failed: do not retry it */
};

struct app {
	struct store *st;
	struct knownapps *ka;
	WINDOW *wtitle, *wbody, *wstatus, *wmsg;
	int rows, cols;
	bool started, too_small, quit;
	struct view *views[MAX_VIEWS];
	int nviews;
	struct step steps[MAX_STEPS];
	size_t nsteps;
	bool reload_pending;
	int dirty;
	char *message;
	bool msg_error;
	/* the prompt, or the yes/no question, that has the keyboard */
	struct prompt *prompt;
	app_prompt_fn pfn;
	void *pctx;
	void (*pctx_free)(void *);
	char *question;
	app_confirm_fn cfn;
	void *cctx;
	struct prompt_history *hist[APP_HIST_COUNT];
	/* long work */
	int busy;
	char busy_what[64];
	int64_t busy_start, busy_drawn, last_poll;
	bool idle_work;
	int ahead[64];
	size_t nahead;
	/* what was last written to the state table */
	char *saved[8];
	/* the events hunts flag, found while idle */
	struct hunt_flags *flags;
	bool flags_done;
};

static const char *const hist_keys[APP_HIST_COUNT] = {
	[APP_HIST_FILTER] = "tui.history.filter",
	[APP_HIST_SEARCH] = "tui.history.search",
	[APP_HIST_COMMAND] = "tui.history.command",
	[APP_HIST_TAG] = "tui.history.tag",
};

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

static struct step *top_step(struct app *a)
{
	return &a->steps[a->nsteps - 1];
}

struct query *app_query(struct app *a)
{
	return top_step(a)->q;
}

const char *app_filter(struct app *a)
{
	return a->nsteps ? top_step(a)->filter : "";
}

struct query_count app_count(struct app *a)
{
	return top_step(a)->count;
}

bool app_done(struct app *a)
{
	return a->quit;
}

unsigned app_flags(struct app *a, int64_t event)
{
	return a->flags ? hunt_flags_get(a->flags, event) : 0;
}

const char *app_app_name(struct app *a, const char *app_id)
{
	return a->ka && app_id ? knownapps_lookup(a->ka, app_id, NULL) : NULL;
}

struct view *app_timeline(struct app *a)
{
	return a->nviews ? a->views[0] : NULL;
}

static struct view *top_view(struct app *a)
{
	return a->nviews ? a->views[a->nviews - 1] : NULL;
}

__attribute__((format(printf, 3, 0))) static void set_message(struct app *a, bool error, const char *fmt, va_list ap)
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
			snprintf(line, sizeof line, "%s... %2.0f%%  %.1f s  (Esc stops)", a->busy_what, done * 100, secs);
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
/* The filter stack */

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

static void step_clear(struct step *s)
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

static void save_filters(struct app *a);

/* Push a compiled step; on failure (a scan stopped with Esc, an error)
 * the stack is left as it was and -1 returned. *column gets the column
 * of a syntax error. */
static int push(struct app *a, const char *text, const char *label, int *column)
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
	query_set_progress(q, app_progress, a);
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
		step_clear(&a->steps[1]);
		memmove(&a->steps[1], &a->steps[2], (MAX_STEPS - 2) * sizeof a->steps[0]);
		a->nsteps--;
		memset(&a->steps[a->nsteps], 0, sizeof a->steps[0]);
	}
	struct step *s = &a->steps[a->nsteps++];
	s->filter = canon;
	s->label = xstrdup(label && *label ? label : *canon ? canon : "all events");
	s->q = q;
	step_count(a, s);
	a->reload_pending = true;
	a->dirty = DIRTY_ALL;
	if (a->started)
		save_filters(a);
	return 0;
}

int app_filter_push(struct app *a, const char *text, const char *label)
{
	return push(a, text, label, NULL);
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
	const char *shown = value && (!strcmp(field, "app") || !strcmp(field, "client_app")) ? app_app_name(a, value) : NULL;
	char *q = shown ? filter_quote(shown) : value ? filter_quote(value) : xstrdup("\"\"");
	char *label = xasprintf("%s%s%s", field, exclude ? "!=" : "=", q);
	int rc = push(a, text, label, NULL);
	free(label);
	free(q);
	free(text);
	return rc;
}

bool app_filter_pop(struct app *a)
{
	if (a->nsteps <= 1)
		return false;
	step_clear(&a->steps[--a->nsteps]);
	a->reload_pending = true;
	a->dirty = DIRTY_ALL;
	save_filters(a);
	return true;
}

/* ------------------------------------------------------------------ */
/* Views */

static void size_view(struct app *a, struct view *v)
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
	size_view(a, v);
	if (v->ops->resize && !a->too_small)
		v->ops->resize(v);
	a->dirty = DIRTY_ALL;
}

static void pop_view(struct app *a)
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

static void reload_views(struct app *a)
{
	a->reload_pending = false;
	for (int i = 0; i < a->nviews; i++)
		if (a->views[i]->ops->reload)
			a->views[i]->ops->reload(a->views[i]);
	a->dirty = DIRTY_ALL;
}

/* ------------------------------------------------------------------ */
/* Prompts and questions */

static void close_prompt(struct app *a)
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

void app_prompt(struct app *a, const char *label, const char *text, int history, app_prompt_fn fn,
		void *ctx, void (*ctx_free)(void *))
{
	if (a->prompt)
		close_prompt(a);
	a->prompt = prompt_new(label, text,
			       history > APP_HIST_NONE && history < APP_HIST_COUNT ? a->hist[history] : NULL);
	a->pfn = fn;
	a->pctx = ctx;
	a->pctx_free = ctx_free;
	a->dirty |= DIRTY_MSG | DIRTY_STATUS;
}

void app_confirm(struct app *a, const char *question, app_confirm_fn fn, void *ctx)
{
	free(a->question);
	a->question = xstrdup(question);
	a->cfn = fn;
	a->cctx = ctx;
	a->dirty |= DIRTY_MSG;
}

/* ------------------------------------------------------------------ */
/* The command line */

static int64_t case_last_ts(struct app *a)
{
	sqlite3_stmt *q;
	int64_t ts = 0;
	if (sqlite3_prepare_v2(store_db(a->st), "SELECT max(ts) FROM events", -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW)
			ts = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	return ts;
}

static int colon_goto(struct app *a, const char *arg)
{
	int64_t from, to;
	char *cause = NULL;
	if (filter_time_parse(arg, case_last_ts(a), &from, &to, &cause) < 0) {
		app_error(a, "goto: %s", cause ? cause : "expected a time");
		free(cause);
		return -1;
	}
	struct query_pos pos;
	int k = query_goto_time(app_query(a), from, &pos, &cause);
	if (k < 0) {
		app_error(a, "goto: %s", cause ? cause : "failed");
		free(cause);
		return -1;
	}
	struct view *tl = app_timeline(a);
	while (a->nviews > 1)
		pop_view(a);
	if (k == 0)
		app_message(a, "no event at or after %s: showing the last", arg);
	struct query_pos end = { INT64_MAX, INT64_MAX };
	view_timeline_goto(tl, k ? &pos : &end);
	return REACT_ALL;
}

static int colon_theme(struct app *a, const char *arg)
{
	if (!*arg) {
		size_t n;
		char **names = theme_list(&n);
		size_t len = 1;
		for (size_t i = 0; i < n; i++)
			len += strlen(names[i]) + 2;
		char *all = xmalloc(len);
		all[0] = '\0';
		for (size_t i = 0; i < n; i++) {
			if (i)
				strcat(all, ", ");
			strcat(all, names[i]);
			free(names[i]);
		}
		free(names);
		app_message(a, "themes: %s (now: %s)", n ? all : "none found", theme_current());
		free(all);
		return REACT_CHROME;
	}
	struct theme t;
	char *cause = NULL;
	if (theme_load(arg, &t, &cause) < 0) {
		app_error(a, "%s", cause);
		free(cause);
		return -1;
	}
	bool colour = theme_apply(&t);
	theme_clear(&t);
	state_set(a->st, "tui.theme", arg, NULL);
	if (colour)
		app_message(a, "theme %s", arg);
	else
		app_message(a, "colours are off (NO_COLOR or the terminal): attributes only");
	clearok(curscr, TRUE);
	return REACT_ALL;
}

static int export_progress(void *ctx, int64_t done)
{
	(void)done;
	return app_progress(ctx, -1);
}

/* :export FORMAT FILE [--marked] */
static int colon_export(struct app *a, const char *arg)
{
	char fmt[32] = "", path[1024] = "";
	bool marked = strstr(arg, "--marked") != NULL;
	if (sscanf(arg, "%31s %1023s", fmt, path) < 2 || !strcmp(path, "--marked")) {
		app_error(a, "export: expected :export csv|jsonl|timesketch|markdown FILE [--marked]");
		return -1;
	}
	int f = export_format_parse(fmt);
	if (f < 0) {
		app_error(a, "export: unknown format '%s' (csv, jsonl, timesketch, markdown)", fmt);
		return -1;
	}
	FILE *out = fopen(path, "w");
	if (!out) {
		app_error(a, "export: %s: cannot write", path);
		return -1;
	}
	struct export_opts o = { .format = (enum export_format)f, .filter = app_filter(a), .marked = marked,
				 .progress = export_progress, .ctx = a };
	struct export_stats stats = { 0 };
	char *cause = NULL;
	app_busy_begin(a, "exporting");
	int rc = export_run(a->st, out, &o, &stats, &cause);
	app_busy_end(a);
	if (fclose(out) != 0 && rc == 0)
		rc = set_cause(&cause, "%s: write failed", path);
	if (rc < 0) {
		app_error(a, "export: %s", cause ? cause : "failed");
		free(cause);
		return REACT_CHROME;
	}
	char n[32];
	app_message(a, "exported %s events to %s", draw_count(stats.events, n, sizeof n), path);
	return REACT_CHROME;
}

static int on_command(struct app *a, void *ctx, const char *text, int *column)
{
	(void)ctx;
	(void)column;
	while (*text == ' ' || *text == ':')
		text++;
	char cmd[32];
	size_t k = strcspn(text, " ");
	if (k == 0)
		return REACT_CHROME;
	snprintf(cmd, sizeof cmd, "%.*s", (int)(k < 31 ? k : 31), text);
	const char *arg = text + k;
	while (*arg == ' ')
		arg++;
	if (!strcmp(cmd, "goto") || !strcmp(cmd, "g"))
		return colon_goto(a, arg);
	if (!strcmp(cmd, "filter") || !strcmp(cmd, "f")) {
		int col = 0;
		if (push(a, arg, NULL, &col) < 0)
			return -1;
		return REACT_ALL;
	}
	if (!strcmp(cmd, "theme"))
		return colon_theme(a, arg);
	if (!strcmp(cmd, "export"))
		return colon_export(a, arg);
	if (!strcmp(cmd, "q") || !strcmp(cmd, "quit") || !strcmp(cmd, "wq") || !strcmp(cmd, "x")) {
		a->quit = true;
		return REACT_QUIT;
	}
	if (!strcmp(cmd, "help")) {
		app_push_view(a, view_help_new(a, KEYMAP_TIMELINE));
		return REACT_ALL;
	}
	if (!strcmp(cmd, "hunt") || !strcmp(cmd, "hunts")) {
		if (!*arg) {
			app_push_view(a, view_hunt_menu_new(a));
			return REACT_ALL;
		}
		const struct hunt_def *d = hunt_find(arg);
		if (!d) {
			char *s = sanitize(arg, strlen(arg));
			app_error(a, "hunt: no hunt named '%s' (:hunt lists them)", s);
			free(s);
			return -1;
		}
		app_push_view(a, view_hunt_new(a, d));
		return REACT_ALL;
	}
	char *s = sanitize(cmd, strlen(cmd));
	app_error(a, "unknown command '%s' (goto, filter, export, theme, hunt, quit)", s);
	free(s);
	return -1;
}

static int on_filter(struct app *a, void *ctx, const char *text, int *column)
{
	(void)ctx;
	return push(a, text, NULL, column) < 0 ? -1 : REACT_ALL;
}

/* ------------------------------------------------------------------ */
/* Keys */

static int global_action(struct app *a, enum keys_action act)
{
	struct view *v = top_view(a);
	switch (act) {
	case ACT_QUIT:
		a->quit = true;
		return REACT_QUIT;
	case ACT_BACK:
		if (a->nviews > 1)
			return REACT_POP;
		a->quit = true;
		return REACT_QUIT;
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
		app_prompt(a, ":", NULL, APP_HIST_COMMAND, on_command, NULL, NULL);
		return REACT_CHROME;
	case ACT_HISTOGRAM:
		app_push_view(a, view_histogram_new(a));
		return REACT_ALL;
	case ACT_HUNTS:
		/* H again closes the menu */
		if (v && v->ops->keymap == KEYMAP_HUNTS)
			return REACT_POP;
		app_push_view(a, view_hunt_menu_new(a));
		return REACT_ALL;
	case ACT_REDRAW:
		clearok(curscr, TRUE);
		return REACT_ALL;
	default:
		return REACT_NONE;
	}
}

static int react(struct app *a, int r)
{
	if (r < 0)
		r = REACT_CHROME;
	if (r & REACT_POP)
		pop_view(a);
	if (r & REACT_HOME)
		while (a->nviews > 1)
			pop_view(a);
	if (a->reload_pending)
		reload_views(a);
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

static void layout(struct app *a);

int app_key(struct app *a, int key)
{
	if (key == KEYS_F(KEY_RESIZE)) {
		layout(a);
		a->dirty = DIRTY_ALL;
		return REACT_ALL;
	}
	if (a->message && !a->prompt) {
		free(a->message);
		a->message = NULL;
		a->dirty |= DIRTY_MSG | DIRTY_STATUS;
	}
	if (a->question) {
		app_confirm_fn fn = a->cfn;
		void *ctx = a->cctx;
		free(a->question);
		a->question = NULL;
		a->dirty |= DIRTY_MSG;
		if (key == 'y' || key == 'Y')
			return react(a, fn(a, ctx));
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
			close_prompt(a);
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
			close_prompt(a);
		return react(a, r);
	}
	if (a->too_small) {
		if (key == 'q' || key == 'Q') {
			a->quit = true;
			return REACT_QUIT;
		}
		return REACT_NONE;
	}
	struct view *v = top_view(a);
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
/* Drawing */

static void layout(struct app *a)
{
	WINDOW **w[] = { &a->wtitle, &a->wbody, &a->wstatus, &a->wmsg };
	for (size_t i = 0; i < 4; i++)
		if (*w[i]) {
			delwin(*w[i]);
			*w[i] = NULL;
		}
	getmaxyx(stdscr, a->rows, a->cols);
	/* a resize leaves stdscr touched, and the next read of a key would
	 * repaint it, blank, over the windows: take it as drawn */
	wnoutrefresh(stdscr);
	a->too_small = a->rows < MIN_ROWS || a->cols < MIN_COLS;
	a->dirty = DIRTY_ALL;
	if (a->too_small)
		return;
	a->wtitle = newwin(1, a->cols, 0, 0);
	a->wbody = newwin(a->rows - 3, a->cols, 1, 0);
	a->wstatus = newwin(1, a->cols, a->rows - 2, 0);
	a->wmsg = newwin(1, a->cols, a->rows - 1, 0);
	for (int i = 0; i < a->nviews; i++) {
		struct view *v = a->views[i];
		size_view(a, v);
		if (v->ops->resize)
			v->ops->resize(v);
	}
}

static void draw_title(struct app *a)
{
	WINDOW *w = a->wtitle;
	attr_t base = theme_attr(THEME_TITLE);
	werase(w);
	draw_fill(w, 0, 0, a->cols, base);
	const char *path = store_path(a->st), *slash = strrchr(path, '/');
	char *head = xasprintf(" auditscope  %s  ", slash ? slash + 1 : path);
	int x = draw_text(w, 0, 0, head, a->cols, base);
	free(head);
	/* the breadcrumb, its newest steps when it does not all fit */
	int avail = a->cols - x;
	size_t first = 0;
	for (;;) {
		int need = 0;
		for (size_t i = first; i < a->nsteps; i++)
			need += draw_width(a->steps[i].label) + 3;
		if (need <= avail || first + 1 >= a->nsteps)
			break;
		first++;
	}
	if (first > 0)
		x += draw_text(w, 0, x, "... > ", a->cols - x, base);
	for (size_t i = first; i < a->nsteps; i++) {
		bool last = i + 1 == a->nsteps;
		x += draw_text(w, 0, x, " ", a->cols - x, base);
		x += draw_text(w, 0, x, a->steps[i].label, a->cols - x, last ? theme_attr(THEME_CRUMB) : base);
		x += draw_text(w, 0, x, last ? " " : " >", a->cols - x, base);
	}
	wnoutrefresh(w);
}

static void draw_status(struct app *a)
{
	WINDOW *w = a->wstatus;
	attr_t base = theme_attr(THEME_STATUS);
	werase(w);
	draw_fill(w, 0, 0, a->cols, base);
	if (a->message && (a->prompt || a->question)) {
		/* while a prompt has the last line, its error shows here */
		draw_text(w, 0, 1, a->message, a->cols - 1, theme_attr(a->msg_error ? THEME_ERROR : THEME_MESSAGE));
		wnoutrefresh(w);
		return;
	}
	struct view *v = top_view(a);
	char pos[256] = "";
	if (v && v->ops->status)
		v->ops->status(v, pos, sizeof pos);
	char *line = xasprintf(" %s  %s", v ? v->ops->name : "", pos);
	draw_text(w, 0, 0, line, a->cols - 9, base);
	free(line);
	draw_text(w, 0, a->cols - 8, "? help", 8, base);
	wnoutrefresh(w);
}

static void draw_msg(struct app *a)
{
	WINDOW *w = a->wmsg;
	werase(w);
	if (a->question) {
		draw_text(w, 0, 0, a->question, a->cols - 1, theme_attr(THEME_PROMPT));
	} else if (a->prompt) {
		prompt_draw(a->prompt, w, 0);
	} else if (a->message) {
		draw_text(w, 0, 0, a->message, a->cols, theme_attr(a->msg_error ? THEME_ERROR : THEME_MESSAGE));
	} else {
		struct view *v = top_view(a);
		const char *hint = v && v->ops->keymap == KEYMAP_TIMELINE
					   ? "Enter detail  = keep  - exclude  F stack  f filter  / search  m mark  i histogram  ? help  q quit"
					   : "q back  ? help";
		draw_text(w, 0, 0, hint, a->cols, theme_attr(THEME_DIM));
	}
	wnoutrefresh(w);
}

static void draw_too_small(struct app *a)
{
	werase(stdscr);
	char line[128];
	snprintf(line, sizeof line, "Terminal too small: %dx%d; auditscope needs at least %dx%d.", a->cols, a->rows,
		 MIN_COLS, MIN_ROWS);
	/* wrap by hand: the screen may be narrower than the sentence */
	int y = 0, x = 0;
	for (const char *p = line; *p && y < a->rows; p++) {
		if (x == a->cols) {
			x = 0;
			y++;
		}
		if (y < a->rows)
			mvwaddch(stdscr, y, x++, (chtype)(unsigned char)*p);
	}
	if (y + 1 < a->rows)
		mvwaddstr(stdscr, y + 1, 0, "Enlarge it, or q to quit.");
	wnoutrefresh(stdscr);
}

void app_draw(struct app *a)
{
	if (a->dirty & DIRTY_CLEAR)
		clearok(curscr, TRUE);
	if (a->too_small) {
		draw_too_small(a);
		doupdate();
		a->dirty = 0;
		return;
	}
	struct view *v = top_view(a);
	if ((a->dirty & DIRTY_BODY) && v) {
		v->ops->draw(v, a->wbody);
		wnoutrefresh(a->wbody);
	}
	if (a->dirty & DIRTY_TITLE)
		draw_title(a);
	if (a->dirty & DIRTY_STATUS)
		draw_status(a);
	/* the message line last: with a prompt open, the cursor stays there */
	if (a->dirty & DIRTY_MSG || a->prompt)
		draw_msg(a);
	curs_set(a->prompt ? 1 : 0);
	doupdate();
	a->dirty = 0;
}

/* ------------------------------------------------------------------ */
/* State kept in the case */

/* Write key unless it already holds value (slot: which cache entry). */
static void save_one(struct app *a, int slot, const char *key, const char *value)
{
	if (a->saved[slot] && value && !strcmp(a->saved[slot], value))
		return;
	if (state_set(a->st, key, value, NULL) == 0) {
		free(a->saved[slot]);
		a->saved[slot] = value ? xstrdup(value) : NULL;
	}
}

static void save_filters(struct app *a)
{
	json_t *arr = json_array();
	for (size_t i = 1; i < a->nsteps; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s}", "filter", a->steps[i].filter, "label",
						     a->steps[i].label));
	char *s = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	save_one(a, 0, "tui.filters", s);
	free(s);
}

void app_save_state(struct app *a)
{
	if (!a->started)
		return;
	save_filters(a);
	struct view *tl = app_timeline(a);
	const struct query_row *r = tl ? view_timeline_current(tl) : NULL;
	if (r) {
		char pos[64];
		snprintf(pos, sizeof pos, "%lld %lld", (long long)r->ts, (long long)r->id);
		save_one(a, 1, "tui.position", pos);
	}
	if (tl)
		save_one(a, 2, "tui.column", view_timeline_column(tl));
	for (int h = APP_HIST_NONE + 1; h < APP_HIST_COUNT; h++) {
		json_t *arr = json_array();
		for (size_t i = 0; i < prompt_history_count(a->hist[h]); i++)
			json_array_append_new(arr, json_string(prompt_history_get(a->hist[h], i)));
		char *s = json_dumps(arr, JSON_COMPACT);
		json_decref(arr);
		save_one(a, 2 + h, hist_keys[h], s);
		free(s);
	}
}

static void restore_histories(struct app *a)
{
	for (int h = APP_HIST_NONE + 1; h < APP_HIST_COUNT; h++) {
		char *s = state_get(a->st, hist_keys[h]);
		json_t *arr = s ? json_loads(s, 0, NULL) : NULL;
		size_t i;
		json_t *v;
		json_array_foreach(arr, i, v)
			if (json_is_string(v))
				prompt_history_add(a->hist[h], json_string_value(v));
		json_decref(arr);
		free(s);
	}
}

/* The saved filter stack; steps that no longer compile are skipped. */
static void restore_filters(struct app *a)
{
	char *s = state_get(a->st, "tui.filters");
	json_t *arr = s ? json_loads(s, 0, NULL) : NULL;
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		const char *f = json_string_value(json_object_get(v, "filter"));
		const char *l = json_string_value(json_object_get(v, "label"));
		if (f)
			push(a, f, l, NULL);
	}
	json_decref(arr);
	free(s);
	free(a->message); /* "the filter is already..." says nothing here */
	a->message = NULL;
}

static void apply_theme(struct app *a)
{
	char *name = state_get(a->st, "tui.theme");
	const char *env = getenv("AUDITSCOPE_THEME");
	struct theme t;
	char *cause = NULL;
	const char *want = env && *env ? env : name ? name : "default";
	if (theme_load(want, &t, &cause) < 0) {
		app_error(a, "%s", cause);
		free(cause);
		/* no theme file found: the built-in monochrome look */
		theme_parse("", "monochrome", &t, NULL);
	}
	theme_apply(&t);
	theme_clear(&t);
	free(name);
}

/* ------------------------------------------------------------------ */
/* Life cycle */

struct app *app_new(struct store *st)
{
	struct app *a = xcalloc(1, sizeof *a);
	a->st = st;
	a->ka = knownapps_new(st, NULL);
	for (int h = 0; h < APP_HIST_COUNT; h++)
		a->hist[h] = prompt_history_new(HISTORY_MAX);
	return a;
}

int app_start(struct app *a, char **cause)
{
	(void)cause;
	if (push(a, "", "all events", NULL) < 0)
		return set_cause(cause, "%s", a->message ? a->message : "cannot read the case");
	apply_theme(a);
	/* the windows first: a restored filter that scans shows progress */
	layout(a);
	restore_histories(a);
	restore_filters(a);
	a->reload_pending = false;
	struct view *tl = view_timeline_new(a);
	a->views[a->nviews++] = tl;
	size_view(a, tl);
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

static int idle_cancel(void *ctx)
{
	return app_progress(ctx, -1);
}

bool app_idle(struct app *a)
{
	if (!a->started)
		return false;
	app_save_state(a);
	struct step *s = top_step(a);
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
		o.cancel = idle_cancel;
		o.ctx = a;
		char *cause = NULL;
		a->idle_work = true;
		int rc = hunt_flagged(a->st, &o, &a->flags, &cause);
		a->idle_work = false;
		if (rc == 0 || !cause || strcmp(cause, "interrupted"))
			a->flags_done = true; /* found, or failed for good */
		free(cause);
		if (rc == 0) {
			app_annotated(a);
			return true;
		}
	}
	return false;
}

void app_free(struct app *a)
{
	if (!a)
		return;
	if (a->prompt)
		close_prompt(a);
	while (a->nviews > 0) {
		struct view *v = a->views[--a->nviews];
		v->ops->free(v);
	}
	while (a->nsteps > 0)
		step_clear(&a->steps[--a->nsteps]);
	WINDOW *w[] = { a->wtitle, a->wbody, a->wstatus, a->wmsg };
	for (size_t i = 0; i < 4; i++)
		if (w[i])
			delwin(w[i]);
	for (int h = 0; h < APP_HIST_COUNT; h++)
		prompt_history_free(a->hist[h]);
	for (size_t i = 0; i < sizeof a->saved / sizeof a->saved[0]; i++)
		free(a->saved[i]);
	knownapps_free(a->ka);
	hunt_flags_free(a->flags);
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
	xalloc_set_fatal(fatal);
	set_escdelay(25);
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
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
	app_save_state(a);
	endwin();
out:
	app_free(a);
	delscreen(scr);
	xalloc_set_fatal(NULL);
	return rc;
}
