/*
 * histogram.c: events per time bucket (histogram.h).
 *
 * The time range comes from the first and last matching events (two
 * keyset pages of one row, cheap for every strategy of query.c); then one
 * pass reads the matching events' times and counts them here.
 */
#include "histogram.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "storage.h"

static const int64_t nice[] = {
	60000,       5 * 60000,    15 * 60000, 30 * 60000,     3600000,         3 * 3600000,
	6 * 3600000, 12 * 3600000, 86400000,   7 * 86400000LL, 30 * 86400000LL,
};

/* What zooming walks through: the sizes above, and seconds below them. */
static const int64_t zoom_sizes[] = {
	1000,        5000,         15000,      30000,          60000,
	5 * 60000,   15 * 60000,   30 * 60000, 3600000,        3 * 3600000,
	6 * 3600000, 12 * 3600000, 86400000,   7 * 86400000LL, 30 * 86400000LL,
};
#define NZOOM (sizeof zoom_sizes / sizeof zoom_sizes[0])

void histogram_clear(struct histogram *h)
{
	if (!h)
		return;
	free(h->counts);
	memset(h, 0, sizeof *h);
}

/* floor division, so that buckets before 1970 align too */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}


static int count_row(void *ctx, const struct store_cell *c)
{
	struct histogram *h = ctx;
	int64_t ts = c[0].i;
	/* compared, then subtracted unsigned: a crafted case may hold
	 * INT64_MIN or INT64_MAX, and the difference must not overflow */
	if (ts < h->start)
		return 0;
	uint64_t i = ((uint64_t)ts - (uint64_t)h->start) / (uint64_t)h->bucket;
	if (i < h->n) {
		h->counts[i]++;
		h->total++;
	}
	return 0;
}

static int64_t buckets_over(int64_t lo, int64_t hi, int64_t b)
{
	return floor_div(hi, b) - floor_div(lo, b) + 1;
}

int64_t histogram_auto_bucket(int64_t lo, int64_t hi, size_t min_bars)
{
	/* the largest size that still gives min_bars; the smallest when
	 * the span is too short for that many */
	for (size_t i = NZOOM; i-- > 0;)
		if ((uint64_t)buckets_over(lo, hi, zoom_sizes[i]) >= min_bars)
			return zoom_sizes[i];
	return zoom_sizes[0];
}

int64_t histogram_zoom_size(int64_t bucket_ms, int dir)
{
	if (dir < 0) {
		for (size_t i = NZOOM; i-- > 0;)
			if (zoom_sizes[i] < bucket_ms)
				return zoom_sizes[i];
		return 0;
	}
	for (size_t i = 0; i < NZOOM; i++)
		if (zoom_sizes[i] > bucket_ms)
			return zoom_sizes[i];
	return 0;
}

static int run_span(struct query *q, int64_t bucket_ms, size_t max_buckets, size_t min_bars, int64_t from,
		    int64_t to, struct histogram *out, char **cause);

int histogram_run(struct query *q, int64_t bucket_ms, size_t max_buckets, struct histogram *out, char **cause)
{
	return run_span(q, bucket_ms, max_buckets ? max_buckets : 60, 0, INT64_MIN, INT64_MAX, out, cause);
}

int histogram_run_span(struct query *q, int64_t bucket_ms, size_t min_bars, int64_t from, int64_t to,
		       struct histogram *out, char **cause)
{
	return run_span(q, bucket_ms, 0, min_bars ? min_bars : 20, from, to, out, cause);
}

static int run_span(struct query *q, int64_t bucket_ms, size_t max_buckets, size_t min_bars, int64_t from,
		    int64_t to, struct histogram *out, char **cause)
{
	memset(out, 0, sizeof *out);
	struct query_page p = { 0 };
	if (query_page(q, QUERY_FIRST, NULL, 1, &p, cause) < 0) {
		query_page_free(&p); /* rows read before a damaged page */
		return -1;
	}
	if (!p.n) {
		query_page_free(&p);
		return 0;
	}
	int64_t lo = p.rows[0].ts;
	if (query_page(q, QUERY_LAST, NULL, 1, &p, cause) < 0) {
		query_page_free(&p);
		return -1;
	}
	int64_t hi = p.rows[0].ts;
	query_page_free(&p);
	/* times from a case are untrusted (a blob sorts after every number
	 * and reads as 0): keep the span ordered and its arithmetic finite */
	const int64_t lim = (int64_t)1 << 52;
	lo = lo < -lim ? -lim : lo > lim ? lim : lo;
	hi = hi < -lim ? -lim : hi > lim ? lim : hi;
	if (hi < lo) {
		int64_t t = lo;
		lo = hi;
		hi = t;
	}
	/* a span given: its own bounds, where it has events */
	const int64_t lim2 = (int64_t)1 << 52;
	if (from != INT64_MIN || to != INT64_MAX) {
		int64_t f = from < -lim2 ? -lim2 : from > lim2 ? lim2 : from;
		int64_t t = to < -lim2 ? -lim2 : to > lim2 ? lim2 : to;
		if (t <= f || hi < f || lo >= t)
			return 0;
		lo = f;
		hi = t - 1;
	}
	int64_t b = bucket_ms;
	if (b <= 0 && min_bars) {
		b = histogram_auto_bucket(lo, hi, min_bars);
	} else if (b <= 0) {
		b = nice[sizeof nice / sizeof nice[0] - 1];
		for (size_t i = 0; i < sizeof nice / sizeof nice[0]; i++) {
			if ((uint64_t)(floor_div(hi, nice[i]) - floor_div(lo, nice[i]) + 1) <= max_buckets) {
				b = nice[i];
				break;
			}
		}
	}
	int64_t start = floor_div(lo, b) * b;
	int64_t n = buckets_over(lo, hi, b);
	if (n > 10000000)
		return set_cause(cause, "histogram: %lld buckets are too many; give a larger bucket",
				 (long long)n);
	out->start = start;
	out->bucket = b;
	out->n = (size_t)n;
	out->counts = xcalloc(out->n, sizeof *out->counts);
	struct store *st = query_store(q);
	int r = st->ops->buckets ? st->ops->buckets(q, start, b, out->n, out->counts, cause) : 0;
	if (r == 0) {
		static const char *const cols[] = { "ts" };
		r = query_scan(q, cols, 1, count_row, out, cause);
	} else if (r > 0) {
		for (size_t i = 0; i < out->n; i++)
			out->total += out->counts[i];
	}
	if (r < 0) {
		histogram_clear(out);
		return -1;
	}
	for (size_t i = 0; i < out->n; i++)
		if (out->counts[i] > out->max)
			out->max = out->counts[i];
	return 0;
}

int histogram_parse_bucket(const char *s, int64_t *ms, char **cause)
{
	char *end;
	if (!s || !isdigit((unsigned char)*s))
		return set_cause(cause, "bucket: expected a size such as 15m, 1h or 1d, got '%s'", s ? s : "");
	long long v = strtoll(s, &end, 10);
	int64_t unit;
	switch (*end) {
	case '\0':
	case 's': unit = 1000; break;
	case 'm': unit = 60000; break;
	case 'h': unit = 3600000; break;
	case 'd': unit = 86400000; break;
	case 'w': unit = 7 * 86400000LL; break;
	default: unit = 0;
	}
	if (!unit || (*end && end[1]) || v <= 0 || v > 1000000)
		return set_cause(cause, "bucket: expected a size such as 15m, 1h or 1d, got '%s'", s);
	*ms = v * unit;
	return 0;
}

void histogram_format_bucket(int64_t ms, char *out, size_t n)
{
	static const struct {
		int64_t unit;
		char c;
	} u[] = { { 7 * 86400000LL, 'w' }, { 86400000, 'd' }, { 3600000, 'h' }, { 60000, 'm' }, { 1000, 's' } };
	for (size_t i = 0; i < sizeof u / sizeof u[0]; i++) {
		if (ms >= u[i].unit && ms % u[i].unit == 0) {
			snprintf(out, n, "%lld%c", (long long)(ms / u[i].unit), u[i].c);
			return;
		}
	}
	snprintf(out, n, "%lldms", (long long)ms);
}
