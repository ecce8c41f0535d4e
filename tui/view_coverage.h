/*
 * view_coverage.h: what the evidence covers (core/coverage.h), as a
 * screen: per kind of log a bar a day, the sources, gaps, cut exports,
 * throttled mailboxes and what a mail-access investigation lacks.
 * Opened with :coverage.
 */
#ifndef AUDITSCOPE_VIEW_COVERAGE_H
#define AUDITSCOPE_VIEW_COVERAGE_H

#include "view.h"

/* NULL (with a message shown) when the case could not be read. */
struct view *view_coverage_new(struct app *a);

#endif
