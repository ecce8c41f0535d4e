/*
 * app_impl.h: what the interface's own files share (app.c the loop, keys,
 * views and life cycle; app_filter.c the filter stack; app_draw.c the
 * title, status and message lines; app_state.c what is kept in the case;
 * app_colon.c the `:` commands). Views use app.h only.
 */
#ifndef AUDITSCOPE_APP_IMPL_H
#define AUDITSCOPE_APP_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "appnames.h"
#include "prompt.h"
#include "query.h"

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
	struct appnames *names; /* names from evidence (appnames.h), NULL on an error of the case */
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
	/* Sigma rules run in this session, and the filter text that shows
	 * a rule's events */
	struct sigma_set *sigma;
	struct sigma_run *sigma_run;
	const struct sigma_rule *sigma_rule;
	char *sigma_filter;
};

/* app.c */
struct step *app_top_step(struct app *a);
struct view *app_top_view(struct app *a);
void app_size_view(struct app *a, struct view *v);
void app_pop_view(struct app *a);
void app_reload_views(struct app *a);
void app_close_prompt(struct app *a);

/* app_filter.c: push a compiled step; on failure (a scan stopped with
 * Esc, an error) the stack is left as it was and -1 returned; *column
 * (may be NULL) gets the column of a syntax error. */
int app_step_push(struct app *a, const char *text, const char *label, int *column);
void app_step_clear(struct step *s);

/* app_draw.c: lay the windows out for the screen's size. */
void app_layout(struct app *a);

/* app_state.c */
void app_save_filters(struct app *a);
void app_restore_histories(struct app *a);
void app_restore_filters(struct app *a);
void app_apply_theme(struct app *a);

/* app_colon.c: the `:` prompt's callback (app_prompt_fn). */
int app_command(struct app *a, void *ctx, const char *text, int *column);

/* app_mouse.c: turn the mouse on unless AUDITSCOPE_MOUSE=off (true if
 * on); a KEY_MOUSE event to the current view (reaction bits). */
bool app_mouse_setup(void);
int app_mouse(struct app *a);

#endif
