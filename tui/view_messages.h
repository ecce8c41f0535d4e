/*
 * view_messages.h: the messages the current filter's events exposed,
 * one row per message (folder, access, app, IP, first and last access),
 * with pivots and stacks on its columns as in the other tables.
 */
#ifndef AUDITSCOPE_VIEW_MESSAGES_H
#define AUDITSCOPE_VIEW_MESSAGES_H

#include <stdint.h>

#include "view.h"

/* The list holds at most the first `limit` rows (100,000 unless set:
 * tests and benchmarks set it); the status line says how many there are
 * when it is cut. */
struct view *view_messages_new(struct app *a);
void view_messages_set_limit(int64_t limit);

#endif
