/*
 * bench_cancel.c: how soon a filter scan stops after the analyst presses
 * Esc (issue 10, finding 8: "cancel answers within 100 ms"). The
 * interface learns of Esc through the scan's progress callback (it reads
 * the keyboard there), so the figure is the time from the key to the
 * scan's return: the gap until the next callback plus the unwinding. A
 * simulated Esc lands at a different moment of each run; the callback
 * cancels on its first call after it.
 *
 *   bench_cancel CASE FILTER [RUNS]
 * prints: cancel FILTER runs=N worst_ms=X median_ms=Y callbacks_per_s=Z
 * (and "finished" when a run ended before its Esc: the case is too small;
 * "failed" when the filter failed on its own, a match limit hit)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "progress.h"
#include "query.h"
#include "store.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct esc {
	double at;   /* when the key is pressed */
	double seen; /* when the callback first ran after it */
	long calls;
};

static int on_progress(void *ctx, double done)
{
	(void)done;
	struct esc *e = ctx;
	e->calls++;
	double t = now_ms();
	if (t >= e->at) {
		if (!e->seen)
			e->seen = t;
		return 1;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_cancel CASE FILTER [RUNS]\n");
		return 2;
	}
	int runs = argc > 3 ? atoi(argv[3]) : 10;
	if (runs < 1)
		runs = 1;
	struct store *st;
	char *cause = NULL;
	if (store_open(argv[1], STORE_READONLY, &st, &cause) < 0) {
		fprintf(stderr, "bench_cancel: %s\n", cause);
		return 1;
	}
	double *lat = calloc((size_t)runs, sizeof *lat);
	int n = 0, finished = 0, failed = 0;
	double calls = 0, secs = 0;
	for (int i = 0; i < runs; i++) {
		struct query *q;
		if (query_new(st, argv[2], &q, &cause) < 0) {
			fprintf(stderr, "bench_cancel: %s\n", cause);
			free(cause);
			free(lat);
			store_close(st);
			return 1;
		}
		/* Esc between 150 and 600 ms into the scan */
		double t0 = now_ms();
		struct esc e = { .at = t0 + 150 + (450.0 * i) / runs };
		query_set_progress(q, &(struct progress){ on_progress, &e });
		int rc = query_prepare(q, &cause);
		double t1 = now_ms();
		if (rc == 0) {
			finished++;
		} else if (!query_cancelled(q)) {
			fprintf(stderr, "bench_cancel: %s\n", cause);
			failed++;
		} else {
			lat[n++] = t1 - e.at;
		}
		calls += (double)e.calls;
		secs += (t1 - t0) / 1e3;
		free(cause);
		cause = NULL;
		query_free(q);
	}
	qsort(lat, (size_t)n, sizeof *lat, cmp_double);
	printf("cancel %s runs=%d worst_ms=%.1f median_ms=%.1f callbacks_per_s=%.0f", argv[2], n,
	       n ? lat[n - 1] : 0, n ? lat[n / 2] : 0, secs > 0 ? calls / secs : 0);
	if (finished)
		printf(" finished=%d", finished);
	if (failed)
		printf(" failed=%d", failed);
	putchar('\n');
	free(lat);
	store_close(st);
	return 0;
}
