/*
 * histogram.h: how many events a filter matches per stretch of time.
 *
 * Buckets are aligned to UTC multiples of their size; the automatic size
 * is the smallest of 1m 5m 15m 30m 1h 3h 6h 12h 1d 7d 30d that gives at
 * most max_buckets buckets over the matching events' time range.
 */
#ifndef AUDITSCOPE_HISTOGRAM_H
#define AUDITSCOPE_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "query.h"

struct histogram {
	int64_t start;   /* ts of bucket 0 (aligned to bucket) */
	int64_t bucket;  /* bucket size in ms */
	int64_t *counts; /* n buckets; empty buckets are 0 */
	size_t n;
	int64_t total; /* matching events */
	int64_t max;   /* the largest bucket */
};

/*
 * Count the events q matches per bucket of bucket_ms (0: automatic, at
 * most max_buckets buckets; 0 max_buckets means 60). out is overwritten
 * (histogram_clear it afterwards); no events: n == 0. 0, or -1 with
 * *cause (cancelled: query_cancelled(q)).
 */
int histogram_run(struct query *q, int64_t bucket_ms, size_t max_buckets, struct histogram *out, char **cause);
void histogram_clear(struct histogram *h);

/*
 * The same over the span [from, to) (INT64_MIN, INT64_MAX: the matching
 * events' own range), with automatic buckets (bucket_ms 0) that give at
 * least min_bars bars when the span allows (0 means 20): the largest of
 * 1s 5s 15s 30s 1m 5m 15m 30m 1h 3h 6h 12h 1d 7d 30d that does. What the
 * interface zooms with.
 */
int histogram_run_span(struct query *q, int64_t bucket_ms, size_t min_bars, int64_t from, int64_t to,
		       struct histogram *out, char **cause);

/* That automatic size for the span [lo, hi] (ms). */
int64_t histogram_auto_bucket(int64_t lo, int64_t hi, size_t min_bars);

/* The next size of that list below (dir < 0) or above bucket_ms; 0 when
 * there is none. */
int64_t histogram_zoom_size(int64_t bucket_ms, int dir);

/* "90s", "15m", "1h", "1d", "1w" (a bare number is seconds) into ms; 0,
 * or -1 with *cause. */
int histogram_parse_bucket(const char *s, int64_t *ms, char **cause);
/* The shortest such text for ms ("1h"), into out. */
void histogram_format_bucket(int64_t ms, char *out, size_t n);

#endif
