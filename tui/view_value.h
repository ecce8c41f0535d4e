/*
 * view_value.h: one value in full, wrapped to the screen: what a cut
 * cell holds (v in the timeline and the hunt tables), with y to copy it.
 */
#ifndef AUDITSCOPE_VIEW_VALUE_H
#define AUDITSCOPE_VIEW_VALUE_H

#include <stddef.h>

#include "view.h"

/* A view of value (copied) under the heading title (copied); value NULL
 * shows "(empty)". */
struct view *view_value_new(struct app *a, const char *title, const char *value);
/* The same for len bytes of value (a raw record, NULs and all). */
struct view *view_value_new_n(struct app *a, const char *title, const char *value, size_t len);

#endif
