/*
 * view_hunt.h: the hunts (core/hunt.h) one key away: H opens a menu of
 * every hunt with its hit count; Enter opens a hunt's rows (findings
 * first, flagged); Enter on a row shows its events in the timeline, m
 * bookmarks them and tags them with the hunt's name.
 */
#ifndef AUDITSCOPE_VIEW_HUNT_H
#define AUDITSCOPE_VIEW_HUNT_H

#include "hunt.h"
#include "view.h"

/* The menu: runs every hunt (with progress; Esc stops). */
struct view *view_hunt_menu_new(struct app *a);

/* One hunt's rows, run now (:hunt NAME). */
struct view *view_hunt_new(struct app *a, const struct hunt_def *d);

#endif
