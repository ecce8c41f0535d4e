/*
 * view_timeline.h: the event table, the interface's home view.
 *
 * Holds only the rows on screen, read by keyset pages (query.h) from the
 * position of the first or last row, so a million rows scroll as fast as
 * a hundred. A column cursor picks the cell that =, - and F act on.
 */
#ifndef AUDITSCOPE_VIEW_TIMELINE_H
#define AUDITSCOPE_VIEW_TIMELINE_H

#include <stdbool.h>

#include "query.h"
#include "view.h"

struct view *view_timeline_new(struct app *a);

/* The event under the cursor, or NULL (borrowed until the next move). */
const struct query_row *view_timeline_current(struct view *v);

/* Move the cursor by one event forward (delta > 0) or back; false at
 * an end. */
bool view_timeline_step(struct view *v, int delta);

/* Put the cursor on the first event at or after pos (at its screen line
 * when it is already shown); the last event if none is after it. */
void view_timeline_goto(struct view *v, const struct query_pos *pos);

/* The field of the column under the cursor ("user"), and setting it by
 * field name (false if no such column). */
const char *view_timeline_column(struct view *v);
bool view_timeline_set_column(struct view *v, const char *field);

/* The name of the column set shown ("signin", columns.h). */
const char *view_timeline_set(struct view *v);

/* The columns of every set as the analyst left them (columns.h's JSON
 * text, "{}" when every set is as it comes; caller frees), for a saved
 * view; and putting them back (kept in the case as the chooser's are). */
char *view_timeline_columns_get(struct view *v);
void view_timeline_columns_set(struct view *v, const char *json);

/* Read the annotations of the rows on screen again (after a view above
 * changed one). */
void view_timeline_refresh_marks(struct view *v);

/* The cursor row's gutter marks, for their legend on the status line:
 * ANNOT_HAS_MARK, _TAG, _NOTE (annot.h) and VIEW_TIMELINE_HIT (it
 * matches the search); 0 without rows. */
#define VIEW_TIMELINE_HIT 8
unsigned view_timeline_marks(struct view *v);

#endif
