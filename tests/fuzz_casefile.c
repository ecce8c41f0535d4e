/*
 * fuzz_casefile.c: libFuzzer target for a case file someone else made.
 *
 * A case is evidence handed between analysts, so its bytes are as hostile
 * as a log's: any value may be NULL, a blob, a huge or negative number, a
 * string where an integer belongs (issue 10, finding 14). Any bytes are
 * written to a file and opened as a case the way the command line opens
 * one; then everything that reads a case runs over it: info (summary,
 * sources, rejects), query (pages, every field of every row, the filters
 * that reach annotations and raw records), stack, messages, histogram,
 * every export format, notes export and every hunt.
 *
 * What must hold is "no crash": no sanitizer report, no signed overflow,
 * no read of a NULL string. A failure of any step (a damaged case, a
 * malformed page) is a fine answer, as long as it is an answer.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export.h"
#include "histogram.h"
#include "hunt.h"
#include "messages.h"
#include "notes.h"
#include "query.h"
#include "stack.h"
#include "store.h"

#ifndef FUZZ_CHECK
#define FUZZ_CHECK(cond, ...)                                               \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "fuzz check failed: " __VA_ARGS__); \
			fputc('\n', stderr);                                \
			abort();                                            \
		}                                                           \
	} while (0)
#endif
#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

/* Touch every byte of a string a caller would print, so that a NULL or a
 * dangling pointer shows. */
static size_t fuzz_casefile_len(const char *s)
{
	return s ? strlen(s) : 0;
}

static int fuzz_casefile_source(const struct store_source_row *r, void *ctx)
{
	size_t *n = ctx;
	*n += fuzz_casefile_len(r->path) + fuzz_casefile_len(r->sha256) + fuzz_casefile_len(r->format) +
	      fuzz_casefile_len(r->encoding) + fuzz_casefile_len(r->status) + fuzz_casefile_len(r->warning) +
	      fuzz_casefile_len(r->loaded_at);
	return 0;
}

static int fuzz_casefile_reject(const struct store_reject_row *r, void *ctx)
{
	size_t *n = ctx;
	*n += fuzz_casefile_len(r->path) + fuzz_casefile_len(r->reason);
	if (r->rawlen)
		*n += (unsigned char)r->raw[r->rawlen - 1];
	return 0;
}

static int fuzz_casefile_row(const struct query_row *r, void *ctx)
{
	size_t *n = ctx;
	static const char *const fields[] = { "record_id", "op",       "user",        "app",     "client_app",
					      "ip",        "workload", "result",      "session", "token",
					      "mailbox",   "access",   "client_info", "source",  "record_type" };
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		*n += fuzz_casefile_len(query_row_get(r, fields[i]));
	*n += fuzz_casefile_len(r->detail) + (size_t)(r->ts & 1);
	return 0;
}

/* A walk over every page, each way, three rows a page as the interface
 * pages: a case holds few rows, so a walk past FUZZ_CASEFILE_ROWS of them
 * has gone round in a circle (a time kept as text or a blob sorts after
 * every number, and the page after it started over: the command line's
 * query never ended). */
#define FUZZ_CASEFILE_ROWS 100000

static void fuzz_casefile_walk(struct query *q)
{
	for (int back = 0; back < 2; back++) {
		enum query_from from = back ? QUERY_LAST : QUERY_FIRST;
		struct query_pos pos = { 0, 0 };
		size_t rows = 0, sink = 0;
		for (;;) {
			struct query_page pg = { 0 };
			char *cause = NULL;
			if (query_page(q, from, &pos, 3, &pg, &cause) < 0) {
				free(cause);
				query_page_free(&pg);
				break;
			}
			for (size_t i = 0; i < pg.n; i++)
				fuzz_casefile_row(&pg.rows[i], &sink);
			rows += pg.n;
			FUZZ_CHECK(rows <= FUZZ_CASEFILE_ROWS, "the pages of a case never end (%zu rows)",
				   rows);
			bool end = pg.n < 3 || (back ? pg.at_start : pg.at_end);
			if (!end) {
				const struct query_row *edge = back ? &pg.rows[0] : &pg.rows[pg.n - 1];
				pos = (struct query_pos){ edge->ts, edge->id };
				from = back ? QUERY_BEFORE : QUERY_AFTER;
			}
			query_page_free(&pg);
			if (end)
				break;
		}
	}
}

static void fuzz_casefile_queries(struct store *st)
{
	static const char *const filters[] = {
		"", "marked", "tag=x", "user~a", "raw~Id", "time>=-7d", "op=MailItemsAccessed"
	};
	size_t sink = 0;
	for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
		struct query *q = NULL;
		char *cause = NULL;
		if (query_new(st, filters[i], &q, &cause) < 0) {
			free(cause);
			continue;
		}
		if (query_each(q, false, 50, fuzz_casefile_row, &sink, &cause) < 0) {
			free(cause);
			cause = NULL;
		}
		fuzz_casefile_walk(q);
		struct query_page pg = { 0 };
		if (query_page(q, QUERY_LAST, NULL, 20, &pg, &cause) < 0) {
			free(cause);
			cause = NULL;
		}
		query_page_free(&pg);
		struct query_count qc;
		if (query_count(q, 50, &qc, &cause) < 0) {
			free(cause);
			cause = NULL;
		}
		if (i == 0) {
			struct stack sk = { 0 };
			if (stack_run(q, "user", STACK_RARE, 20, &sk, &cause) < 0) {
				free(cause);
				cause = NULL;
			}
			stack_clear(&sk);
			struct messages m = { 0 };
			if (messages_run(q, 20, &m, &cause) < 0) {
				free(cause);
				cause = NULL;
			}
			messages_clear(&m);
			struct histogram h = { 0 };
			if (histogram_run(q, 0, 50, &h, &cause) < 0) {
				free(cause);
				cause = NULL;
			}
			histogram_clear(&h);
		}
		query_free(q);
	}
	(void)sink;
}

static void fuzz_casefile_exports(struct store *st)
{
	FILE *out = fopen("/dev/null", "w");
	if (!out)
		return;
	static const enum export_format fmts[] = { EXPORT_CSV, EXPORT_JSONL, EXPORT_TIMESKETCH,
						   EXPORT_MARKDOWN };
	for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
		struct export_opts o = { .format = fmts[i], .case_label = "fuzz.case" };
		char *cause = NULL;
		if (export_run(st, out, &o, NULL, &cause) < 0)
			free(cause);
	}
	char *cause = NULL;
	if (notes_export(st, out, "fuzz.case", NULL, &cause) < 0)
		free(cause);
	fclose(out);
}

static void fuzz_casefile_hunts(struct store *st)
{
	struct hunt_result *res[HUNT_COUNT];
	char *cause = NULL;
	if (hunt_run_all(st, NULL, res, &cause) < 0) {
		free(cause);
		return;
	}
	for (int i = 0; i < HUNT_COUNT; i++)
		hunt_result_free(res[i]);
}

int FUZZ_ENTRY(const uint8_t *data, size_t size);
int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	static char path[4096];
	if (!path[0]) {
		const char *dir = getenv("FUZZ_TMPDIR");
		if (!dir)
			dir = getenv("TMPDIR");
		snprintf(path, sizeof path, "%s/fuzz-casefile-%ld.case", dir ? dir : "/tmp", (long)getpid());
		setenv("AUDITSCOPE_NOW", "2024-01-01T00:00:00Z", 1);
		setenv("AUDITSCOPE_AUTHOR", "fuzz", 1);
	}
	char side[4200];
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-journal", path);
	unlink(side);
	FILE *f = fopen(path, "wb");
	FUZZ_CHECK(f, "cannot write %s", path);
	FUZZ_CHECK(fwrite(data, 1, size, f) == size, "cannot write %s", path);
	fclose(f);

	struct store *st = NULL;
	char *cause = NULL;
	/* as the command line opens a case: read-write, indexes ensured */
	if (store_open(path, 0, &st, &cause) < 0 || store_ensure_indexes(st, &cause) < 0) {
		FUZZ_CHECK(cause && *cause, "a case that does not open says why");
		free(cause);
		store_close(st);
		unlink(path);
		return 0;
	}
	struct store_summary sum;
	if (store_summary(st, &sum, &cause) < 0) {
		free(cause);
		cause = NULL;
	}
	size_t n = 0;
	if (store_each_source(st, fuzz_casefile_source, &n, &cause) < 0) {
		free(cause);
		cause = NULL;
	}
	if (store_each_reject(st, 50, fuzz_casefile_reject, &n, &cause) < 0) {
		free(cause);
		cause = NULL;
	}
	fuzz_casefile_queries(st);
	fuzz_casefile_exports(st);
	fuzz_casefile_hunts(st);
	store_close(st);
	unlink(path);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	return 0;
}
