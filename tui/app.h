/*
 * app.h: the terminal interface: its main loop, the filter stack every
 * view follows, the title, status and prompt lines, and what views ask of
 * the app (messages, prompts, confirmations, progress of long work).
 *
 * Screen layout, top to bottom: a title line (case, breadcrumb of the
 * filter stack), the current view, a status line (view, position, count,
 * column), and a line for messages and prompts.
 *
 * tui_run() owns the terminal. The rest works on any curses screen, so
 * that the screen tests and the benchmark drive the same code in-process:
 * app_new, app_start, then app_key / app_draw per key.
 */
#ifndef AUDITSCOPE_APP_H
#define AUDITSCOPE_APP_H

#include <curses.h>
#include <stdbool.h>
#include <stdint.h>

#include "query.h"
#include "store.h"

struct app;
struct view;
struct knownapps;

/* Run the interface on the open case st (case_path names it in errors)
 * until the user quits; returns the exit status (0, or 1 with the error
 * printed on stderr). notice (or NULL): what opening the case did that
 * the responder must know (its conversion to a newer schema), on the
 * status line at the start. st stays the caller's. */
int tui_run(struct store *st, const char *case_path, const char *notice);

/* An interface over an open case (st stays the caller's). */
struct app *app_new(struct store *st);
void app_free(struct app *a);

/*
 * Lay the screen out on the current curses screen (stdscr's size),
 * restore the last filter, position and column from the case, and open
 * the timeline. 0, or -1 with *cause.
 */
int app_start(struct app *a, char **cause);

/* Handle one key (keys.h codes, KEYS_F(KEY_RESIZE) included); returns
 * reaction bits; REACT_QUIT when the user left. */
int app_key(struct app *a, int key);

/* Redraw what changed (wnoutrefresh each window, one doupdate). */
void app_draw(struct app *a);

/* A key that arrived while long work ran (queued by the progress
 * callback), to handle before reading the terminal again. */
bool app_next_key(struct app *a, int *key);

/* Has the user asked to leave? */
bool app_done(struct app *a);

/* Save the filter, position and column to the case now. */
void app_save_state(struct app *a);

/* Work to do while the user is idle (an exact count after an estimate);
 * true if anything was done. Stops as soon as a key arrives. */
bool app_idle(struct app *a);

/* --- for views --- */

struct store *app_store(struct app *a);
/* The query of the current filter (never NULL while started). */
struct query *app_query(struct app *a);
/* The current filter's canonical text (borrowed; "" when none). */
const char *app_filter(struct app *a);
/* The count of the current filter (estimated until known). */
struct query_count app_count(struct app *a);

/*
 * The place of pos under the current filter: how many matching events
 * come before it. 1 exact; 0 an estimate (counted exactly while the
 * user is idle: ask again after the next redraw); -1 unknown.
 */
int app_rank(struct app *a, const struct query_pos *pos, int64_t *before);

/* Push a new filter (full text) with a breadcrumb label; 0, or -1 after
 * showing the error. The views reload. */
int app_filter_push(struct app *a, const char *text, const char *label);
/* Push text, a narrowing of the current filter by what (a label such as
 * "app=Outlook" or "2023-06-16 10:00 +1h"): the breadcrumb shows the
 * current step's label followed by what, so that each step reads as the
 * whole filter it is. */
int app_filter_narrow(struct app *a, const char *text, const char *what);
/* The current step's breadcrumb label (borrowed). */
const char *app_filter_label(struct app *a);
/* Pivot from the current filter: keep (or exclude) field=value. */
int app_pivot(struct app *a, const char *field, const char *value, bool exclude);
/* Pop the last step; false when only the base remains. */
bool app_filter_pop(struct app *a);

/* A message on the last line until the next key. */
void app_message(struct app *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void app_error(struct app *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The message shown now (borrowed; "" when none), for tests. */
const char *app_message_text(struct app *a);

/* An annotation changed: every view shows it again. */
void app_annotated(struct app *a);

/* Push a view on top (the app owns it from then on). */
void app_push_view(struct app *a, struct view *v);
/* Push v once the current key's reaction is done (after REACT_HOME has
 * put the other views aside). */
void app_push_after(struct app *a, struct view *v);
/* The view on screen. */
struct view *app_current_view(struct app *a);
/* The timeline at the bottom of the stack. */
struct view *app_timeline(struct app *a);

/*
 * Open a prompt on the last line. On Enter fn(a, ctx, text, &column) is
 * called; it returns reaction bits, or -1 to keep the prompt open (it
 * has shown an error; *column, 1-based, says where, 0 unknown). history:
 * which history to walk with Up/Down (APP_HIST_*). ctx_free (may be NULL)
 * is called on ctx when the prompt closes.
 */
typedef int (*app_prompt_fn)(struct app *a, void *ctx, const char *text, int *column);
enum { APP_HIST_NONE, APP_HIST_FILTER, APP_HIST_SEARCH, APP_HIST_COMMAND, APP_HIST_TAG, APP_HIST_COUNT };
void app_prompt(struct app *a, const char *label, const char *text, int history, app_prompt_fn fn, void *ctx,
		void (*ctx_free)(void *));

/* Ask a yes/no question; fn runs on 'y' (reaction bits). */
typedef int (*app_confirm_fn)(struct app *a, void *ctx);
void app_confirm(struct app *a, const char *question, app_confirm_fn fn, void *ctx);
/* The same, calling no_fn (may be NULL) on any other answer: where ctx
 * must be freed either way. */
void app_confirm_cancel(struct app *a, const char *question, app_confirm_fn fn, app_confirm_fn no_fn,
			void *ctx);

/*
 * Long work: between app_busy_begin and app_busy_end, the query's
 * progress callback shows "what... 40% (Esc to stop)" once the work has
 * taken more than a moment, and Esc cancels it (other keys wait their
 * turn).
 */
void app_busy_begin(struct app *a, const char *what);
void app_busy_end(struct app *a);
/* The progress callback itself (progress.h: { app_progress, a }). */
int app_progress(void *ctx, double done);

/* Which hunts flag the event (bit 1 << enum hunt_id), 0 when none or
 * not known yet: the hunts run while the user is idle. */
unsigned app_flags(struct app *a, int64_t event);

/*
 * Sigma rules run in this session (tui/view_sigma.c): the app keeps the
 * rules and their results (freeing those it held), and which rule's
 * events the timeline shows, so that the detail view explains its hits.
 */
struct sigma_set;
struct sigma_run;
struct sigma_rule;
void app_sigma_keep(struct app *a, struct sigma_set *set, struct sigma_run *run);
bool app_sigma(struct app *a, struct sigma_set **set, struct sigma_run **run);
/* r's filter was just pushed (app_filter() is its text). */
void app_sigma_active(struct app *a, const struct sigma_rule *r);
/* The rule whose events the current filter shows (its filter, possibly
 * narrowed by pivots), or NULL. */
const struct sigma_rule *app_sigma_rule(struct app *a);

/* The name of an app id (tenant table, then Microsoft's), or NULL
 * (borrowed). */
const char *app_app_name(struct app *a, const char *app_id);

/* Split a command's words as a shell does (quotes, backslashes, ~ and
 * ~user): 0 with *words (caller frees each and the array), or -1 with
 * *cause. */
int app_split_words(const char *s, char ***words, size_t *n, char **cause);

/* The help screen's lines for the `:` commands (caller frees each line
 * and the array); *n set to the count. */
char **app_command_help_lines(size_t *n);

#endif
