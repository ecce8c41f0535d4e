/*
 * app_impl.h: what the interface's own files share (app.c the keys,
 * views, prompts and life cycle; app_loop.c the terminal and the main
 * loop; app_work.c progress, cancel and idle work; app_filter.c the
 * filter stack; app_draw.c the title, status and message lines;
 * app_state.c what is kept in the case; app_colon.c the `:` commands).
 * Views use app.h only.
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
#define RANK_BUDGET_MS 8
#define HISTORY_MAX 100
#define MAX_FRAMES 8

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
	uint64_t serial;   /* which push made it: unique in the session */
};

/* Views put aside by a drill-in (Enter on a hunt's row, a stack's value,
 * a histogram's bucket, S in the detail): the timeline shows the new
 * filter, and q (or Esc) on it brings back these views and the filter
 * steps they were looking at. */
struct frame {
	struct view *views[MAX_VIEWS];
	int nviews;
	size_t nsteps;   /* the filter stack's depth before the drill-in */
	uint64_t serial; /* and its top step */
};

/* The timeline's place (how many matches come before a position),
 * counted within a small budget or, when that is not enough, while
 * the user is idle. */
struct rank {
	uint64_t serial; /* the step it was counted under; 0 none */
	struct query_pos pos;
	int64_t before;
	bool exact;  /* before is known */
	bool failed; /* the count failed: no retry for this position */
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
	uint64_t serials; /* the last step serial handed out */
	struct frame frames[MAX_FRAMES];
	int nframes;
	struct rank rank;
	/* the filter stack as the current key found it */
	int key;
	size_t key_nsteps;
	uint64_t key_serial;
	bool loading;       /* a load is writing to the case */
	struct view *after; /* app_push_after */
	int64_t data_version, load_polled;
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
	app_confirm_fn cfn, cno;
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
/* The views a drill-in put aside, if any, are back on screen. */
bool app_frame_restore(struct app *a);
/* What q on the timeline does: "quit", or the name of the view it
 * returns to. */
const char *app_back_hint(struct app *a);

/* app_filter.c: push a compiled step; on failure (a scan stopped with
 * Esc, an error) the stack is left as it was and -1 returned; *column
 * (may be NULL) gets the column of a syntax error. */
int app_step_push(struct app *a, const char *text, const char *label, int *column);
void app_step_clear(struct step *s);
/* Compile the step's filter again (new events committed meanwhile) and
 * count it; a filter that scans raw records is left as it was. */
void app_step_refresh(struct app *a, struct step *s);

/* app_draw.c: lay the windows out for the screen's size. */
void app_layout(struct app *a);
/* The gutter marks' words ("* bookmarked, ! flagged by a hunt") for
 * marks (view_timeline_marks) into buf; "" when none. */
void app_marks_legend(unsigned marks, bool flagged, char *buf, size_t n);
/* Do the hunts flag the timeline's current event? */
bool app_flags_current(struct app *a);

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
