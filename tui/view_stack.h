/*
 * view_stack.h: the frequency table of one field under the current
 * filter (value, events, distinct mailboxes, first and last seen, a
 * bar), rare-first or common-first: how rare app ids are found.
 */
#ifndef AUDITSCOPE_VIEW_STACK_H
#define AUDITSCOPE_VIEW_STACK_H

#include "view.h"

/* Stack field (a filter field name: "app", "user", ...). */
struct view *view_stack_new(struct app *a, const char *field);

#endif
