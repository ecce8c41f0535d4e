/*
 * view_help.h: the help screen, generated from the key tables (keys.c)
 * and the filter fields (filter.h), so it says what the keys do today.
 */
#ifndef AUDITSCOPE_VIEW_HELP_H
#define AUDITSCOPE_VIEW_HELP_H

#include "keys.h"
#include "view.h"

/* Help with the keys of map `first` (the view it was opened from) first. */
struct view *view_help_new(struct app *a, enum keys_map_id first);

#endif
