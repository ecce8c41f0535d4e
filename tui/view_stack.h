/*
 * view_stack.h: the frequency table of one or several fields under the
 * current filter (values, events, distinct mailboxes, first and last
 * seen, a bar), sorted by any of its columns: how rare app ids are found.
 */
#ifndef AUDITSCOPE_VIEW_STACK_H
#define AUDITSCOPE_VIEW_STACK_H

#include <stdbool.h>
#include <stddef.h>

#include "stack.h"
#include "view.h"

/* Stack field (a filter field name: "app", "user", ...), rare first. */
struct view *view_stack_new(struct app *a, const char *field);

/* Stack several fields (text fields or json.PATH), sorted by `by`. */
struct view *view_stack_new_fields(struct app *a, const char *const *fields, size_t n, enum stack_sort by,
				   bool desc);

/* Is v a stack view? */
bool view_stack_is(const struct view *v);

/* What a saved view keeps of it: "stack app,mailbox by events asc"
 * (caller frees). */
char *view_stack_describe(const struct view *v);

#endif
