/*
 * app_work.c: long work under the interface. Work the user asked for (a
 * scan, a stack, a histogram) runs under app_progress, which draws its
 * progress and stops on Esc; keys typed meanwhile are queued, not lost.
 * Work the interface does on its own while the user is idle (the exact
 * count and position, what the hunts flag, what a running load has
 * committed) stops the moment a key arrives and is taken up again at the
 * next pause.
 */
#include "app_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "draw.h"
#include "hunt.h"
#include "keys.h"
#include "theme.h"
#include "view.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
/* Idle work */

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
