/*
 * timeline_impl.h: what the timeline's files share (the view itself in
 * view_timeline.c, its rows in timeline_rows.c, its columns and drawing
 * in timeline_draw.c, search and bookmarks in timeline_search.c). Other
 * files use view_timeline.h.
 */
#ifndef AUDITSCOPE_TIMELINE_IMPL_H
#define AUDITSCOPE_TIMELINE_IMPL_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "annot.h"
#include "columns.h"
#include "facts.h"
#include "query.h"
#include "view.h"

enum { ANN_MARK = ANNOT_HAS_MARK, ANN_TAG = ANNOT_HAS_TAG, ANN_NOTE = ANNOT_HAS_NOTE, ANN_HIT = 8 };

/* Facts of the raw records of rows drawn lately, by event id (a slot an
 * id hashes to; a clash reads the record again). */
#define TL_FACT_SLOTS 512
struct tl_facts {
	int64_t id; /* 0: empty */
	char *f[FACT_COUNT];
};

struct tl {
	struct view v;
	struct query_row *rows; /* the rows on screen, in time order */
	unsigned char *ann;     /* ANN_* per row */
	size_t n, cap;
	size_t cur;        /* the cursor's row */
	int64_t top_index; /* rows[0]'s place among the matches, -1 unknown */
	bool at_end;       /* nothing matches after the last row */

	struct columns cols; /* every set, as the analyst left them */
	enum col_set set;    /* the set shown */
	bool pick_set;       /* choose the set from the next rows loaded */
	int col;             /* column cursor: an index into the set's layout */
	int left;            /* the first column shown after the pinned time */
	int width[64];       /* widths grown so far under this filter, per column */
	int x[COLUMNS_MAX];  /* where each column of the layout is drawn */
	int w[COLUMNS_MAX];  /* its width there, 0 when off screen */
	bool more_left, more_right;

	struct tl_facts *facts; /* TL_FACT_SLOTS */

	char *search;     /* the search text, or NULL */
	char *needle;     /* what to highlight of it */
	struct query *sq; /* current filter and the search */
};

#define TL(v) ((struct tl *)(v))

/* timeline_rows.c */
size_t tl_page_rows(const struct tl *t);
void tl_rows_clear(struct tl *t);
void tl_read_marks(struct tl *t, size_t from, size_t to);
void tl_fetch_error(struct tl *t, char *cause);
void tl_load_first(struct tl *t);
void tl_load_last(struct tl *t);
void tl_anchor(struct tl *t, const struct query_pos *pos, size_t line);
void tl_move_cursor(struct tl *t, int dir, size_t k);
bool tl_step(struct tl *t, int delta);
const struct query_row *tl_current(struct tl *t);

/* timeline_draw.c */
const struct col_layout *tl_layout(const struct tl *t);
/* The column under the cursor (its catalogue entry). */
const struct col_def *tl_col_def(const struct tl *t);
/* The text of column (layout index) c of row r: whole, uncut (buf holds
 * a time); NULL when absent. */
const char *tl_cell(struct tl *t, const struct query_row *r, int c, char *buf, size_t n);
/* The value =, -, y act on: the field's stored value (an app's id, not
 * its name; a time in full). */
const char *tl_cell_value(struct tl *t, const struct query_row *r, int c, char *buf, size_t n);
/* Is the cursor's cell cut on screen? */
bool tl_cell_cut(struct tl *t);
void tl_layout_columns(struct tl *t);
void tl_draw(struct view *v, WINDOW *w);
void tl_forget_widths(struct tl *t);
void tl_facts_clear(struct tl *t);
/* Choose the set from the rows on screen (all of one kind: its set). */
void tl_pick_set(struct tl *t);
/* The chooser changed the columns: keep them in the case. */
void tl_columns_changed(struct tl *t);

/* timeline_search.c */
int tl_search_prompt(struct tl *t);
int tl_search_go(struct tl *t, int dir);
void tl_search_clear(struct tl *t);
int tl_goto_mark(struct tl *t, bool backward);
int tl_mark_all(struct tl *t);

#endif
