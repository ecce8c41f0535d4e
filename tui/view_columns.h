/*
 * view_columns.h: the column chooser (C in the timeline): the columns of
 * the kind of log on screen, shown ones first in their order, then the
 * others; Enter or x shows or hides, J/K move, +/- set a width, 0 gives it
 * back to the values, r resets the set. Kept in the case at once.
 */
#ifndef AUDITSCOPE_VIEW_COLUMNS_H
#define AUDITSCOPE_VIEW_COLUMNS_H

#include "view.h"

/* The chooser over the timeline tl (which stays below it). */
struct view *view_columns_new(struct app *a, struct view *tl);

#endif
