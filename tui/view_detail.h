/*
 * view_detail.h: one event in full: its normalized fields, annotations,
 * the messages a MailItemsAccessed record names, and the raw record
 * pretty-printed with colour for keys, strings and numbers.
 */
#ifndef AUDITSCOPE_VIEW_DETAIL_H
#define AUDITSCOPE_VIEW_DETAIL_H

#include "query.h"
#include "view.h"

/* The detail of row r (copied). */
struct view *view_detail_new(struct app *a, const struct query_row *r);

#endif
