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
	int64_t start;     /* ts of bucket 0 (aligned to bucket) */
	int64_t bucket;    /* bucket size in ms */
	int64_t *counts;   /* n buckets; empty buckets are 0 */
	size_t n;
	int64_t total;     /* matching events */
	int64_t max;       /* the largest bucket */
};

/*
 * Count the events q matches per bucket of bucket_ms (0: automatic, at
 * most max_buckets buckets; 0 max_buckets means 60). out is overwritten
 * (histogram_clear it afterwards); no events: n == 0. 0, or -1 with
 * *cause (cancelled: query_cancelled(q)).
 */
int histogram_run(struct query *q, int64_t bucket_ms, size_t max_buckets, struct histogram *out,
		  char **cause);
void histogram_clear(struct histogram *h);

/* "90s", "15m", "1h", "1d", "1w" (a bare number is seconds) into ms; 0,
 * or -1 with *cause. */
int histogram_parse_bucket(const char *s, int64_t *ms, char **cause);
/* The shortest such text for ms ("1h"), into out. */
void histogram_format_bucket(int64_t ms, char *out, size_t n);

#endif
