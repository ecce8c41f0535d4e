/*
 * view_saved.h: saved views: :view save NAME keeps the filter, columns
 * and sort on screen in the case; :view NAME opens one again; :view
 * lists them in a menu (Enter opens, d deletes).
 */
#ifndef AUDITSCOPE_VIEW_SAVED_H
#define AUDITSCOPE_VIEW_SAVED_H

#include "view.h"

/* Save what is on screen as name: 0, or -1 after showing the error. */
int view_saved_save(struct app *a, const char *name);

/* Open the saved view name: reaction bits, or -1 after showing the
 * error. */
int view_saved_open(struct app *a, const char *name);

/* The menu of saved views. */
struct view *view_saved_new(struct app *a);

#endif
