/*
 * bench_pages.c: the timeline's pages of one store, in process (no
 * process start): for each filter given, the first page of 50 events,
 * the page after it, and the exact count, each the best of 3 runs in
 * wall milliseconds. The case is argv[1] (a case file or a clickhouse://
 * URL); tests/bench_clickhouse.sh runs it on both stores side by side.
 * Prints figures, asserts nothing.
 *
 *   bench_pages CASE FILTER...
 *   -> one line per filter: "first NN.N next NN.N count NN.N"
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "query.h"
#include "store.h"

#define PAGE 50
#define RUNS 3

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, char *cause)
{
	fprintf(stderr, "bench_pages: %s: %s\n", what, cause ? cause : "?");
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_pages CASE FILTER...\n");
		return 2;
	}
	struct store *st;
	char *cause = NULL;
	if (store_open(argv[1], STORE_READONLY, &st, &cause) < 0)
		die(argv[1], cause);
	for (int a = 2; a < argc; a++) {
		double first = 1e12, next = 1e12, count = 1e12;
		for (int run = 0; run < RUNS; run++) {
			/* a new query each run: nothing learnt by the last one */
			struct query *q;
			if (query_new(st, argv[a], &q, &cause) < 0)
				die(argv[a], cause);
			struct query_page p = { 0 }, p2 = { 0 };
			double t = now_ms();
			if (query_page(q, QUERY_FIRST, NULL, PAGE, &p, &cause) < 0)
				die(argv[a], cause);
			double t1 = now_ms();
			if (p.n) {
				struct query_pos pos = { p.rows[p.n - 1].ts, p.rows[p.n - 1].id };
				if (query_page(q, QUERY_AFTER, &pos, PAGE, &p2, &cause) < 0)
					die(argv[a], cause);
			}
			double t2 = now_ms();
			struct query_count c;
			if (query_count(q, -1, &c, &cause) < 0)
				die(argv[a], cause);
			double t3 = now_ms();
			first = t1 - t < first ? t1 - t : first;
			next = t2 - t1 < next ? t2 - t1 : next;
			count = t3 - t2 < count ? t3 - t2 : count;
			query_page_free(&p);
			query_page_free(&p2);
			query_free(q);
		}
		printf("first %.1f next %.1f count %.1f\n", first, next, count);
	}
	store_close(st);
	return 0;
}
