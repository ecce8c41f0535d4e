/*
 * view_messages.h: the messages the current filter's events exposed,
 * one row per message (folder, access, app, IP, first and last access),
 * with pivots and stacks on its columns as in the other tables.
 */
#ifndef AUDITSCOPE_VIEW_MESSAGES_H
#define AUDITSCOPE_VIEW_MESSAGES_H

#include "view.h"

struct view *view_messages_new(struct app *a);

#endif
