/*
 * progress.h: how long work reports progress and is cancelled.
 *
 * Every operation that can take long (a load, a scan of the case, an
 * exact count, a stack, a hunt, an export) takes one struct progress and
 * calls it every few tens of milliseconds. A non-zero return cancels the
 * work, which then stops and fails with *cause exactly PROGRESS_CANCELLED,
 * whatever the work was: callers compare with that one text (or ask the
 * work's own _cancelled() where it has one) to tell a cancel from an
 * error.
 *
 *   done   the share of the work done, in [0, 1], when it is known;
 *          negative when it is not (a spinner rather than a bar).
 *
 * ctx comes first, as everywhere else in core/. A NULL struct progress,
 * or one with fn NULL, reports nothing and nothing can cancel.
 */
#ifndef AUDITSCOPE_PROGRESS_H
#define AUDITSCOPE_PROGRESS_H

#include <stddef.h>

typedef int (*progress_fn)(void *ctx, double done);

struct progress {
	progress_fn fn;
	void *ctx;
};

/* The one message of cancelled work. */
#define PROGRESS_CANCELLED "cancelled"

/* Report done to p; non-zero: the caller must stop and fail with
 * PROGRESS_CANCELLED. */
static inline int progress_report(const struct progress *p, double done)
{
	return p && p->fn ? p->fn(p->ctx, done) : 0;
}

#endif
