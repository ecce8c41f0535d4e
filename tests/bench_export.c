/*
 * bench_export.c: what annotating and exporting cost on a loaded case.
 *
 *   bench_export CASE
 *
 * Prints: the latency of one bookmark (a committed transaction), marking
 * every event of a filter at once, each export format over the whole
 * case and over the marked events, notes export and re-import, and the
 * raw-record read of a time-ordered window, row by row (the baseline) and
 * window by window in row id order (what export does), in the same run.
 * Everything but the single bookmarks (which are undone) runs inside one
 * transaction that is rolled back, so the case is left as it was.
 */
#define _GNU_SOURCE /* fopencookie */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "annot.h"
#include "export.h"
#include "notes.h"
#include "store.h"
#include "sqlite/sqlite_store.h"
#include "sql_util.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* CPU seconds of this process (the machine may be shared: wall time
 * alone says little) */
static double cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

static double rss_mb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024.0;
}

/* A FILE that counts what is written and throws it away. */
static ssize_t count_write(void *c, const char *buf, size_t n)
{
	(void)buf;
	*(uint64_t *)c += n;
	return (ssize_t)n;
}

static FILE *counter(uint64_t *bytes)
{
	*bytes = 0;
	cookie_io_functions_t io = { .write = count_write };
	return fopencookie(bytes, "w", io);
}

static void die(const char *what, char *cause)
{
	fprintf(stderr, "bench_export: %s: %s\n", what, cause ? cause : "?");
	free(cause);
	exit(1);
}

static void export_one(struct store *st, const char *label, enum export_format fmt, const char *filter,
		       bool marked)
{
	uint64_t bytes;
	FILE *f = counter(&bytes);
	struct export_opts o = { .format = fmt, .filter = filter, .marked = marked, .case_label = "bench.case" };
	struct export_stats s;
	char *cause = NULL;
	double t0 = now(), c0 = cpu();
	if (export_run(st, f, &o, &s, &cause) < 0)
		die(label, cause);
	fclose(f);
	double dt = now() - t0, dc = cpu() - c0;
	printf("  %-32s %8" PRId64
	       " events %6.2f s wall %6.2f s cpu %8.0f events/cpu-s %6.1f MB/cpu-s  peak RSS %.0f MB\n",
	       label, s.events, dt, dc, (double)s.events / dc, (double)bytes / 1e6 / dc, rss_mb());
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}


/* Read the raw records of ids[0..k) as export would see them in time
 * order: row by row, then in windows sorted by row id. */
static void raw_compare(struct store *st, const char *label, const int64_t *ids, int64_t k, size_t window)
{
	int64_t jumps = 0; /* the block of ~350 ids changes between rows */
	for (int64_t i = 1; i < k; i++)
		jumps += ids[i] / 350 != ids[i - 1] / 350;
	double t0 = now(), c0 = cpu();
	for (int64_t i = 0; i < k; i++) {
		size_t len = 0;
		free(store_raw(st, ids[i], &len));
	}
	double naive = now() - t0, naive_c = cpu() - c0;
	t0 = now();
	c0 = cpu();
	int64_t *w = malloc(window * sizeof *w);
	for (int64_t i = 0; i < k; i += (int64_t)window) {
		size_t m = (size_t)(k - i) < window ? (size_t)(k - i) : window;
		memcpy(w, ids + i, m * sizeof *w);
		qsort(w, m, sizeof *w, cmp64);
		for (size_t j = 0; j < m; j++) {
			size_t len = 0;
			free(store_raw(st, w[j], &len));
		}
	}
	double win = now() - t0, win_c = cpu() - c0;
	free(w);
	printf("  raw records, %s: %" PRId64 " rows, %" PRId64 " block changes between rows\n"
	       "    row by row (baseline)  %6.2f s wall %6.2f s cpu %9.0f records/cpu-s\n"
	       "    windows of %zu by id  %6.2f s wall %6.2f s cpu %9.0f records/cpu-s  %.1fx less cpu\n",
	       label, k, jumps, naive, naive_c, (double)k / naive_c, window, win, win_c, (double)k / win_c,
	       naive_c / win_c);
}

/* The first n events in time order as loaded; then the same number from
 * two id ranges taken in turn, as a UAL export and a sign-in export of
 * the same days interleave in time once loaded one after the other. */
static void raw_reads(struct store *st, int64_t n, size_t window)
{
	int64_t *ids = malloc((size_t)n * sizeof *ids);
	sqlite3_stmt *q;
	sqlite3_prepare_v2(store_db(st), "SELECT id FROM events ORDER BY ts, id LIMIT ?", -1, &q, NULL);
	sqlite3_bind_int64(q, 1, n);
	int64_t k = 0;
	while (sqlite3_step(q) == SQLITE_ROW)
		ids[k++] = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	raw_compare(st, "time order of this case", ids, k, window);
	/* fewer here: row by row costs a block a row (about 0.3 ms) */
	int64_t half = scalar(st, "SELECT max(id) FROM events") / 2, m = n / 5;
	for (int64_t i = 0; i < m; i++)
		ids[i] = 1 + i / 2 + (i % 2 ? half : 0);
	raw_compare(st, "two exports interleaved", ids, m, window);
	free(ids);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: bench_export CASE\n");
		return 2;
	}
	struct store *st;
	char *cause = NULL;
	if (store_open(argv[1], 0, &st, &cause) < 0 || store_ensure_indexes(st, &cause) < 0)
		die(argv[1], cause);
	setenv("AUDITSCOPE_AUTHOR", "bench", 0);
	int64_t nev = scalar(st, "SELECT count(*) FROM events");
	printf("annotate and export: %s, %" PRId64 " events\n", argv[1], nev);

	/* one bookmark, committed, as the m key makes it; then undone */
	enum { SINGLE = 200 };
	int64_t step = nev / SINGLE > 0 ? nev / SINGLE : 1;
	double t0 = now();
	int made = 0;
	for (int64_t id = 1; id <= nev && made < SINGLE; id += step, made++)
		if (annot_mark(st, id, true, &cause) < 0)
			die("annot_mark", cause);
	double t_mark = now() - t0;
	for (int64_t id = 1, k = 0; id <= nev && k < made; id += step, k++)
		if (annot_mark(st, id, false, &cause) < 0)
			die("annot_mark off", cause);
	printf("  one bookmark, committed: %.3f ms each (%d)\n", 1000 * t_mark / made, made);

	if (sqlite3_exec(store_db(st), "BEGIN; SAVEPOINT base", NULL, NULL, NULL) != SQLITE_OK)
		die("BEGIN", NULL);
	/* a report's worth first: a note (and so a bookmark) on the mail
	 * events of the first lines */
	struct annot_result r;
	struct annot_action n = { .note = "bench note" };
	if (annot_apply(st, "op=MailItemsAccessed line<2000", &n, &r, &cause) < 0)
		die("annot_apply note", cause);
	export_one(st, "markdown report, marked", EXPORT_MARKDOWN, NULL, true);

	struct annot_action a = { .tag = "bench" };
	double t0b = now(), c0 = cpu();
	if (annot_apply(st, "op=MailItemsAccessed", &a, &r, &cause) < 0)
		die("annot_apply", cause);
	double dt = now() - t0b, dc = cpu() - c0;
	printf("  mark and tag op=MailItemsAccessed %8" PRId64
	       " events %6.2f s wall %6.2f s cpu %8.0f events/cpu-s\n",
	       r.matched, dt, dc, (double)r.matched / dc);

	export_one(st, "csv, every event", EXPORT_CSV, NULL, false);
	export_one(st, "jsonl with raw, every event", EXPORT_JSONL, NULL, false);
	export_one(st, "timesketch, every event", EXPORT_TIMESKETCH, NULL, false);
	export_one(st, "jsonl with raw, marked", EXPORT_JSONL, NULL, true);

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct notes_stats ns;
	t0 = now();
	c0 = cpu();
	if (notes_export(st, f, NULL, &ns, &cause) < 0)
		die("notes_export", cause);
	fclose(f);
	dt = now() - t0;
	dc = cpu() - c0;
	printf("  notes export: %" PRId64 " marks, %" PRId64 " tags, %" PRId64
	       " notes, %.1f MB  %6.2f s wall %6.2f s cpu\n",
	       ns.marks, ns.tags, ns.notes, (double)len / 1e6, dt, dc);
	/* back to no annotations, then import them all, then again */
	if (sqlite3_exec(store_db(st), "ROLLBACK TO base", NULL, NULL, NULL) != SQLITE_OK)
		die("ROLLBACK TO", NULL);
	for (int pass = 0; pass < 2; pass++) {
		f = fmemopen(buf, len, "r");
		t0 = now();
		c0 = cpu();
		if (notes_import(st, f, "bench", &ns, &cause) < 0)
			die("notes_import", cause);
		dt = now() - t0;
		dc = cpu() - c0;
		fclose(f);
		printf("  notes import, %s: %" PRId64 " added, %" PRId64 " present  %6.2f s wall %6.2f s cpu\n",
		       pass ? "again (nothing new)" : "into a bare case", ns.marks + ns.tags + ns.notes,
		       ns.present, dt, dc);
	}
	free(buf);
	sqlite3_exec(store_db(st), "ROLLBACK", NULL, NULL, NULL);

	raw_reads(st, 100000, 2048);
	store_close(st);
	return 0;
}
