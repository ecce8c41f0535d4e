/*
 * bench_multi.c: filters of several pivot terms (user=, app=, ip=, op=,
 * session=) on a loaded case (argv[1]; tests/bench.sh passes the
 * 1M-event case), each beside its rarest term alone: what a responder's
 * pivots cost when each term's events are many and the matches few.
 * For each: the first page (compile and a page of 50), the last page, the
 * exact count, the rank of the last page's first row, a stack of user and
 * a histogram under the filter; best of RUNS, in ms of this process's CPU
 * (wall on a shared machine includes waiting for a core). Filters are
 * picked from the case's own data (its busiest values and their pairs),
 * so that any case gives figures. Prints figures, asserts nothing.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "histogram.h"
#include "query.h"
#include "stack.h"
#include "store.h"
#include "util.h"
#include "xalloc.h"
#include "sqlite/sqlite_store.h"

#define PAGE 50
#define RUNS 5

static struct store *st;

static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, char *cause)
{
	fprintf(stderr, "bench_multi: %s: %s\n", what, cause ? cause : "?");
	exit(1);
}

/* The text of the first column of sql's first row (NULL: none). */
static char *text_of(const char *sql)
{
	sqlite3_stmt *s;
	char *v = NULL;
	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		v = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return v;
}

/* field=value, quoted */
static char *term(const char *field, const char *v)
{
	char *q = filter_quote(v);
	char *t = xasprintf("%s=%s", field, q);
	free(q);
	return t;
}

/* The k-th busiest value of a pivot column (from its lists). */
static char *busy(int col, int k)
{
	char *sql = xasprintf("SELECT v FROM vals WHERE id = (SELECT val FROM pivots WHERE col = %d"
			      " GROUP BY val ORDER BY sum(n) DESC, val LIMIT 1 OFFSET %d)",
			      col, k);
	char *v = text_of(sql);
	free(sql);
	return v;
}

/* Of the busy values of columns a and b (over min events each), the pair
 * whose events meet least: "a=x b=y" (NULL: none). */
static char *sparse_pair(const char *fa, int ca, const char *fb, int cb, int64_t min)
{
	char *sql =
		xasprintf("WITH t AS (SELECT col, val, sum(n) s FROM pivots WHERE col IN (%d, %d) GROUP BY col, val"
			  " HAVING s > %" PRId64 ") SELECT (SELECT v FROM vals WHERE id = x.val) || char(10) ||"
			  " (SELECT v FROM vals WHERE id = y.val) FROM t x, t y WHERE x.col = %d AND y.col = %d"
			  " ORDER BY (SELECT count(*) FROM events WHERE %s = x.val AND %s = y.val), x.val, y.val LIMIT 1",
			  ca, cb, min, ca, cb, fa, fb);
	char *v = text_of(sql);
	free(sql);
	if (!v)
		return NULL;
	char *nl = strchr(v, '\n');
	if (!nl) {
		free(v);
		return NULL;
	}
	*nl = '\0';
	char *ta = term(fa, v), *tb = term(fb, nl + 1);
	char *f = xasprintf("%s %s", ta, tb);
	free(ta);
	free(tb);
	free(v);
	return f;
}

struct figs {
	double first, last, count, rank, stack, hist;
	int64_t n;
};

static void keep(double *best, double t)
{
	if (*best < 0 || t < *best)
		*best = t;
}

static void measure(const char *filter, struct figs *f)
{
	*f = (struct figs){ -1, -1, -1, -1, -1, -1, 0 };
	char *cause = NULL;
	for (int i = 0; i < RUNS; i++) {
		struct query *q;
		struct query_page p = { 0 }, l = { 0 };
		double t0 = cpu_ms();
		if (query_new(st, filter, &q, &cause) < 0 ||
		    query_page(q, QUERY_FIRST, NULL, PAGE, &p, &cause) < 0)
			die(filter, cause);
		double t1 = cpu_ms();
		if (query_page(q, QUERY_LAST, NULL, PAGE, &l, &cause) < 0)
			die(filter, cause);
		double t2 = cpu_ms();
		struct query_count c;
		if (query_count(q, -1, &c, &cause) < 0)
			die(filter, cause);
		double t3 = cpu_ms();
		int64_t before = 0;
		if (l.n) {
			struct query_pos pos = { l.rows[0].ts, l.rows[0].id };
			if (query_rank(q, &pos, -1, &before, &cause) < 0)
				die(filter, cause);
		}
		double t4 = cpu_ms();
		keep(&f->first, t1 - t0);
		keep(&f->last, t2 - t1);
		keep(&f->count, t3 - t2);
		keep(&f->rank, t4 - t3);
		f->n = c.n;
		query_page_free(&p);
		query_page_free(&l);
		query_free(q);
	}
	for (int i = 0; i < 2; i++) {
		struct query *q;
		struct stack sk;
		struct histogram h;
		if (query_new(st, filter, &q, &cause) < 0)
			die(filter, cause);
		double t0 = cpu_ms();
		if (stack_run(q, "user", STACK_RARE, 20, &sk, &cause) < 0)
			die(filter, cause);
		double t1 = cpu_ms();
		if (histogram_run(q, 0, 60, &h, &cause) < 0)
			die(filter, cause);
		double t2 = cpu_ms();
		keep(&f->stack, t1 - t0);
		keep(&f->hist, t2 - t1);
		stack_clear(&sk);
		histogram_clear(&h);
		query_free(q);
	}
}

static void print(const char *label, const char *filter, const struct figs *f)
{
	printf("  %-30s first %6.2f last %6.2f count %7.2f rank %7.2f stack %7.2f hist %7.2f  (%" PRId64
	       " matches) %s\n",
	       label, f->first, f->last, f->count, f->rank, f->stack, f->hist, f->n, filter);
}

/* filter against alone (its rarest term), and the ratios of the first
 * page and the count */
static void versus(const char *label, const char *filter, const char *alone)
{
	struct figs a, m;
	measure(alone, &a);
	measure(filter, &m);
	print(label, filter, &m);
	print("  its rarest term alone", alone, &a);
	printf("  %-30s first %.2fx  count %.2fx  stack %.2fx\n", "  ratio",
	       a.first > 0 ? m.first / a.first : 0, a.count > 0 ? m.count / a.count : 0,
	       a.stack > 0 ? m.stack / a.stack : 0);
}

/* The rarest term of filter f by its own count. */
static char *rarest(char **terms, size_t n)
{
	int64_t best = -1;
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		char *cause = NULL;
		int64_t c = query_count_text(st, terms[i], &cause);
		if (c < 0)
			die(terms[i], cause);
		if (best < 0 || c < best)
			best = c, at = i;
	}
	return xstrdup(terms[at]);
}

static void conj_terms(const char *label, char **terms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!terms[i])
			return;
	struct util_buf b = { 0 };
	for (size_t i = 0; i < n; i++)
		util_buf_printf(&b, "%s%s", i ? " " : "", terms[i]);
	char *f = util_buf_take(&b);
	char *a = rarest(terms, n);
	versus(label, f, a);
	free(a);
	free(f);
}

/* Splits "a=x b=y" into its two terms (by the first space outside
 * quotes: filter_quote quotes values with spaces). */
static void pair_conj(const char *label, char *pair, const char *extra)
{
	if (!pair)
		return;
	char *terms[3] = { pair, NULL, NULL };
	bool q = false;
	for (char *p = pair; *p; p++) {
		if (*p == '"')
			q = !q;
		else if (*p == ' ' && !q) {
			*p = '\0';
			terms[1] = p + 1;
			break;
		}
	}
	terms[2] = extra ? xstrdup(extra) : NULL;
	conj_terms(label, terms, extra ? 3 : 2);
	free(terms[2]);
	free(pair);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_multi CASE\n");
		return 2;
	}
	char *cause = NULL;
	if (store_open(argv[1], 0, &st, &cause) < 0 || store_ensure_indexes(st, &cause) < 0)
		die(argv[1], cause);
	printf("filters of several pivot terms on %s (ms of CPU, best of %d; pages of %d)\n", argv[1], RUNS,
	       PAGE);
	/* the issue's: user= app= ip= of one of a typical user's events */
	char *u = text_of("SELECT v FROM vals WHERE id = (SELECT user FROM events WHERE id >="
			  " (SELECT max(id) / 2 FROM events) AND user IS NOT NULL AND app IS NOT NULL"
			  " AND ip IS NOT NULL LIMIT 1)");
	if (u) {
		sqlite3_stmt *s;
		if (sqlite3_prepare_v2(store_db(st),
				       "SELECT (SELECT v FROM vals WHERE id = app), (SELECT v FROM vals WHERE id = ip)"
				       " FROM events WHERE user = (SELECT id FROM vals WHERE v = ?1) AND app IS NOT"
				       " NULL AND ip IS NOT NULL AND id >= (SELECT max(id) / 2 FROM events) LIMIT 1",
				       -1, &s, NULL) == SQLITE_OK) {
			sqlite3_bind_text(s, 1, u, -1, SQLITE_STATIC);
			if (sqlite3_step(s) == SQLITE_ROW) {
				char *t[3] = { term("user", u),
					       term("app", (const char *)sqlite3_column_text(s, 0)),
					       term("ip", (const char *)sqlite3_column_text(s, 1)) };
				conj_terms("user= app= ip= (one event's)", t, 3);
				for (int i = 0; i < 3; i++)
					free(t[i]);
			}
			sqlite3_finalize(s);
		}
		free(u);
	}
	/* the busiest app and address with MailItemsAccessed: dense */
	char *t[3] = { busy(1, 0), busy(2, 0), xstrdup("MailItemsAccessed") };
	char *tt[3] = { t[0] ? term("app", t[0]) : NULL, t[1] ? term("ip", t[1]) : NULL, term("op", t[2]) };
	conj_terms("app=busiest ip=busiest op=MIA", tt, 3);
	for (int i = 0; i < 3; i++)
		free(t[i]), free(tt[i]);
	/* busy lists that meet little or not at all */
	pair_conj("op= app= (busy, sparse)", sparse_pair("op", 3, "app", 1, 15000), NULL);
	pair_conj("op= ip= (busy, sparse)", sparse_pair("op", 3, "ip", 2, 15000), NULL);
	pair_conj("user= ip= (busy, sparse)", sparse_pair("user", 0, "ip", 2, 15000), NULL);
	char *ba = busy(1, 1);
	char *tb = ba ? term("app", ba) : NULL;
	if (tb)
		pair_conj("user= op= app= (busy)", sparse_pair("user", 0, "op", 3, 30000), tb);
	free(tb);
	free(ba);
	store_close(st);
	return 0;
}
