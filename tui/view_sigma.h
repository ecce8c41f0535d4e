/*
 * view_sigma.h: Sigma rules (core/sigma.h) as a group of the hunt menu:
 * each rule with its level, hits and status (ran, skipped, unsupported,
 * failed), hits first; Enter shows a rule's events in the timeline (its
 * filter), where the detail view explains which selection matched which
 * field; m bookmarks its hits, tagged with the rule's id.
 *
 * The rules come from AUDITSCOPE_SIGMA (paths separated by ':') when the
 * hunt menu's Sigma row is opened, or from `:sigma PATH...`.
 */
#ifndef AUDITSCOPE_VIEW_SIGMA_H
#define AUDITSCOPE_VIEW_SIGMA_H

#include <stddef.h>

#include "view.h"

/* Load the rules under paths and run them over the case (progress; Esc
 * stops), keeping the results in the app. 0, or -1 after showing why. */
int view_sigma_run(struct app *a, char *const *paths, size_t npaths);

/* The same for the paths of AUDITSCOPE_SIGMA (separated by ':'); 0
 * without running anything when it is not set. */
int view_sigma_from_env(struct app *a);

/* The table of the rules the app holds (an empty view saying how to get
 * some when it holds none). */
struct view *view_sigma_new(struct app *a);

#endif
