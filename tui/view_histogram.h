/*
 * view_histogram.h: events of the current filter over time, one bucket a
 * line, bars scaled to the window, bookmarked buckets marked; Enter
 * narrows the filter to a bucket.
 */
#ifndef AUDITSCOPE_VIEW_HISTOGRAM_H
#define AUDITSCOPE_VIEW_HISTOGRAM_H

#include "view.h"

struct view *view_histogram_new(struct app *a);

#endif
