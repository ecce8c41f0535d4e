/*
 * list.h: one answer to the movement keys (keys.h) for every list view:
 * the cursor of a list (stack, histogram, hunts) and the scroll of a pager
 * (help, detail), so that j, k, pages, half pages, first and last behave
 * the same everywhere. The timeline pages a query and moves itself.
 */
#ifndef AUDITSCOPE_LIST_H
#define AUDITSCOPE_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "keys.h"

/* Move the cursor *cur of a list of n rows, page of them on screen, for
 * a movement action; false (nothing moved) when act is not one. */
bool list_move(size_t *cur, enum keys_action act, size_t n, size_t page);

/* Keep the cursor's row on screen: *top moves as little as it can. */
void list_show(size_t cur, size_t *top, size_t page);

/* Scroll a pager whose first shown line is *top and whose last useful
 * top is last; false when act is not a movement. */
bool list_scroll(size_t *top, enum keys_action act, size_t last, size_t page);

#endif
