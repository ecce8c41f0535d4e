/*
 * bench_hunt.c: what each hunt costs on a case (tests/bench.sh runs it on
 * the loaded million-event case). Prints, for every hunt, the seconds to
 * its rows (all of them: a hunt's first screen is its whole result), its
 * rows and hits; then the whole `auditscope hunt CASE` list and the
 * flagged-event set the interface builds on opening a case. The baseline
 * beside them is one plain scan of the events table (count of a column
 * without an index), the cheapest question a hunt could ask on this
 * machine in this run. CPU seconds (all threads) are printed beside
 * wall seconds: on a shared machine the wall clock also counts waiting
 * for a core.
 *
 *   bench_hunt CASE
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hunt.h"
#include "store.h"
#include "sqlite/sqlite_store.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* CPU seconds of the process, all threads: on a shared machine, wall
 * time also counts the waits for a core. */
static double cpu(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: bench_hunt CASE\n");
		return 2;
	}
	struct store *st;
	char *cause = NULL;
	if (store_open(argv[1], STORE_READONLY, &st, &cause) < 0) {
		fprintf(stderr, "bench_hunt: %s\n", cause);
		free(cause);
		return 1;
	}
	sqlite3 *db = store_db(st);
	long long nev = 0;
	sqlite3_stmt *q;
	double t0 = now(), c0 = cpu();
	if (sqlite3_prepare_v2(db, "SELECT count(*), count(client_app) FROM events", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		nev = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	double scan = now() - t0, scan_cpu = cpu() - c0;

	printf("hunts on %lld events (%s)\n", nev, argv[1]);
	printf("  %-34s %7s %7s\n", "", "wall s", "cpu s");
	printf("  %-34s %7.3f %7.3f\n", "baseline: one scan of events", scan, scan_cpu);
	double total = 0, total_cpu = 0, worst = 0, worst_cpu = 0;
	const char *worst_name = "";
	int rc = 0;
	for (int i = 0; i < HUNT_COUNT; i++) {
		const struct hunt_def *d = hunt_def((enum hunt_id)i);
		struct hunt_result *r;
		t0 = now();
		c0 = cpu();
		if (hunt_run(st, d->id, NULL, &r, &cause) < 0) {
			fprintf(stderr, "bench_hunt: %s\n", cause);
			free(cause);
			cause = NULL;
			rc = 1;
			continue;
		}
		double s = now() - t0, sc = cpu() - c0;
		total += s;
		total_cpu += sc;
		if (s > worst) {
			worst = s;
			worst_cpu = sc;
			worst_name = d->name;
		}
		printf("  %-34s %7.3f %7.3f  %6zu rows  %4zu hits  (%.1f scans)\n", d->name, s, sc, r->nrows,
		       r->nhits, scan > 0 ? s / scan : 0);
		hunt_result_free(r);
	}
	printf("  %-34s %7.3f %7.3f  (each hunt alone)\n", "sum of the hunts", total, total_cpu);
	printf("  %-34s %7.3f %7.3f  %s (target < 2 s each: %s)\n", "slowest hunt", worst, worst_cpu,
	       worst_name, worst < 2 ? "met" : "NOT met");
	struct hunt_result *all[HUNT_COUNT];
	t0 = now();
	c0 = cpu();
	if (hunt_run_all(st, NULL, all, &cause) < 0) {
		fprintf(stderr, "bench_hunt: %s\n", cause);
		free(cause);
		cause = NULL;
		rc = 1;
	} else {
		for (int i = 0; i < HUNT_COUNT; i++)
			hunt_result_free(all[i]);
		printf("  %-34s %7.3f %7.3f  (target < 2 s)\n", "auditscope hunt CASE (all at once)",
		       now() - t0, cpu() - c0);
	}
	struct hunt_flags *f;
	t0 = now();
	c0 = cpu();
	if (hunt_flagged(st, NULL, &f, &cause) < 0) {
		fprintf(stderr, "bench_hunt: %s\n", cause);
		free(cause);
		rc = 1;
	} else {
		double s = now() - t0, sc = cpu() - c0;
		/* the interface asks for every drawn row */
		t0 = now();
		unsigned long long any = 0;
		for (long long id = 1; id <= nev; id++)
			any += hunt_flags_get(f, id) != 0;
		double l = now() - t0;
		printf("  %-34s %7.3f %7.3f  %zu events; lookup %.0f ns each (%llu flagged)\n",
		       "flagged events for the timeline", s, sc, hunt_flags_count(f),
		       nev ? l / (double)nev * 1e9 : 0, any);
		hunt_flags_free(f);
	}
	store_close(st);
	return rc;
}
