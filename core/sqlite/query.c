/*
 * query.c: pages of the timeline through a compiled filter (query.h).
 *
 * Each query picks one of three ways to read pages, the first time it
 * needs to:
 *   index    a top-level term whose rows come in time order: the posting
 *            lists of user=, app=, ip=, op= or session= (filter_sql.c
 *            picks the term with the fewest events; pivot_rows gives its
 *            (ts, id) in timeline order, pivot_and those it shares with
 *            the other terms' lists, and each is joined to its event),
 *            time>= ... through the ts index, or no filter at all
 *   ts       a filter nothing answers in time order but that many events
 *            match: pages walk the ts index and test each event (a page
 *            of 50 matches needs a few thousand tests at most); other
 *            indexes are switched off (+e.col) so SQLite cannot pick one
 *            that loses the time order
 *   scan     raw-record filters, and filters few events match: the
 *            matching (ts, id) are found once, in id order (chunks of ids,
 *            each raw block decompressed once), into a temporary table
 *            that pages then walk
 * Which of ts and scan is decided by testing the filter on a sample of
 * the case: a sparse filter paged through the ts index would read the
 * whole case for one page. Counts of a lone list term are the lists'
 * own (pivot_count: exact), without reading an event.
 */
#include "query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pivots.h"
#include "sanitize.h"
#include "util.h"
#include "xalloc.h"
#include "sqlite_store.h"

enum strategy { S_UNDECIDED, S_INDEX, S_TS, S_SCAN };

struct sqlite_query {
	struct query base; /* first: the interface's head (storage.h) */
	sqlite3 *db;
	struct filter_sql sql;    /* for SQLite to plan freely */
	struct filter_sql sql_ni; /* with the indexes switched off (have_ni) */
	bool have_ni;
	struct filter_sql cand; /* raw terms left out: candidates by index */
	bool have_cand;
	enum strategy strat;
	char *mat;     /* temp table of matches (ts, id), once scanned */
	char *cmat;    /* temp table of candidate ids during a scan */
	int64_t count; /* exact count when known, else -1 */
	char *where;   /* what query_sql_where returned last */
	char *from;    /* and query_sql_source */
	/* the pages' SELECTs made so far, by direction, position compared
	 * and ids only (page_sql) */
	char *psql[2][4][2];

	/* progress handler state */
	int64_t deadline; /* monotonic ms; 0 none */
	bool hit_deadline;
	int64_t last_call;
	double done;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* SQLite calls this every few thousand VM instructions. */
static int on_progress(void *arg)
{
	struct sqlite_query *q = arg;
	int64_t t = now_ms();
	if (q->deadline && t > q->deadline) {
		q->hit_deadline = true;
		return 1;
	}
	if (q->base.pr.fn && t - q->last_call >= 20) {
		q->last_call = t;
		if (progress_report(&q->base.pr, q->done)) {
			q->base.cancelled = true;
			return 1;
		}
	}
	return 0;
}

static void watch(struct sqlite_query *q, int64_t budget_ms)
{
	q->hit_deadline = false;
	q->deadline = budget_ms >= 0 ? now_ms() + budget_ms : 0;
	q->last_call = now_ms();
	if (q->base.pr.fn || q->deadline)
		/* every 100 VM steps, a few rows of a raw-record scan: with a
		 * costly pattern (a millisecond or two a record) 2,000 steps were
		 * 200 ms between looks at the keyboard; the check is a clock
		 * read (bench_cancel) */
		sqlite3_progress_handler(q->db, 100, on_progress, q);
}

static void unwatch(struct sqlite_query *q)
{
	sqlite3_progress_handler(q->db, 0, NULL, NULL);
	q->deadline = 0;
}

/* An error of a statement: cancelled, over budget, or the case's. */
static int sql_fail(struct sqlite_query *q, char **cause)
{
	if (q->base.cancelled)
		return set_cause(cause, PROGRESS_CANCELLED);
	if (q->hit_deadline)
		return set_cause(cause, "over time budget");
	const char *m = sqlite3_errmsg(q->db);
	if (strncmp(m, "regular expression ", 19) == 0 && q->base.text) /* a match limit: name the filter */
		return set_cause(cause, "%s: filter %s: %s", store_path(q->base.st), q->base.text, m);
	return set_cause(cause, "%s: %s", store_path(q->base.st), m);
}

static int prepare(struct sqlite_query *q, const char *sql, sqlite3_stmt **out, char **cause)
{
	if (sqlite3_prepare_v2(q->db, sql, -1, out, NULL) != SQLITE_OK)
		return set_cause(cause, "%s: %s", store_path(q->base.st), sqlite3_errmsg(q->db));
	return 0;
}

/* prepare's statement, from the store's pool (stmtpool.c: a page's
 * SELECT cost 0.6 M instructions to prepare, about what its 50 rows
 * cost): give it back with sqlite_stmt_give. */
static int pooled(struct sqlite_query *q, const char *sql, sqlite3_stmt **out, char **cause)
{
	if (sqlite_stmt_take(q->base.st, sql, out) != SQLITE_OK)
		return set_cause(cause, "%s: %s", store_path(q->base.st), sqlite3_errmsg(q->db));
	return 0;
}

/* The pages' SELECTs forgotten (the way q reads changed). */
static void psql_clear(struct sqlite_query *q)
{
	for (size_t i = 0; i < sizeof q->psql / sizeof q->psql[0][0][0]; i++) {
		free((&q->psql[0][0][0])[i]);
		(&q->psql[0][0][0])[i] = NULL;
	}
}

int sqlite_query_new(struct store *st, const struct filter *f, struct query **out, char **cause)
{
	struct sqlite_query *q = xcalloc(1, sizeof *q);
	q->base.st = st;
	q->db = store_db(st);
	q->base.f = filter_copy(f);
	q->base.text = filter_canonical(q->base.f);
	q->count = -1;
	if (filter_compile(q->base.f, st, 0, &q->sql, cause) < 0) {
		sqlite_query_free(&q->base);
		return -1;
	}
	/* a raw-record filter is never paged in time order: each row would
	 * decompress a block of its own */
	if (q->sql.raw)
		q->strat = S_SCAN;
	else if (q->sql.empty || q->sql.indexed)
		q->strat = S_INDEX;
	/* id=X: its events found at once through ridx (a sample of the case
	 * found none and chose the scan in id order: 70 ms on 1M events) */
	else if (q->sql.few)
		q->strat = S_SCAN;
	if (q->sql.raw && q->sql.indexed) {
		if (filter_compile(q->base.f, st, FILTER_SQL_NORAW, &q->cand, cause) < 0) {
			sqlite_query_free(&q->base);
			return -1;
		}
		q->have_cand = true;
	}
	*out = &q->base;
	return 0;
}

void sqlite_query_free(struct query *q0)
{
	struct sqlite_query *q = (struct sqlite_query *)q0;
	if (!q)
		return;
	if (q->mat) {
		char *sql = xasprintf("DROP TABLE IF EXISTS temp.%s", q->mat);
		sqlite3_exec(q->db, sql, NULL, NULL, NULL);
		free(sql);
	}
	free(q->mat);
	psql_clear(q);
	free(q->where);
	free(q->from);
	filter_sql_clear(&q->sql);
	filter_sql_clear(&q->sql_ni);
	filter_sql_clear(&q->cand);
	filter_free(q->base.f);
	free(q->base.text);
	free(q);
}

/* ------------------------------------------------------------------ */
/* Sampling and the choice of strategy */

/* The filter without its indexes, compiled the first time a sample, a
 * scan or a walk of the ts index needs it: a query an index answers
 * never does, and compiling resolves every value again. */
static int need_ni(struct sqlite_query *q, char **cause)
{
	if (q->have_ni)
		return 0;
	if (filter_compile(q->base.f, q->base.st, FILTER_SQL_NOINDEX, &q->sql_ni, cause) < 0)
		return -1;
	q->have_ni = true;
	return 0;
}

static int id_range(struct sqlite_query *q, int64_t *lo, int64_t *hi, char **cause)
{
	sqlite3_stmt *s;
	if (prepare(q, "SELECT (SELECT min(id) FROM events), (SELECT max(id) FROM events)", &s, cause) < 0)
		return -1;
	*lo = 1;
	*hi = 0;
	/* two subqueries: SQLite answers a lone min() or max() from the
	 * b-tree edge, but min() with max() in one SELECT scans the table */
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		*lo = sqlite3_column_int64(s, 0);
		*hi = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return 0;
}

#define SAMPLE_WINDOWS 32
#define SAMPLE_IDS 256

/*
 * Test the filter on SAMPLE_WINDOWS runs of consecutive ids spread over
 * the case (runs, so that a raw-record filter decompresses few blocks):
 * *rows sampled, *hits matching, *total events in the case (estimated
 * from the id range; ids are dense).
 */
static int sample(struct sqlite_query *q, int64_t *rows, int64_t *hits, int64_t *total, char **cause)
{
	int64_t lo, hi;
	if (need_ni(q, cause) < 0 || id_range(q, &lo, &hi, cause) < 0)
		return -1;
	*rows = *hits = 0;
	*total = hi >= lo ? hi - lo + 1 : 0;
	if (!*total)
		return 0;
	char *sql = xasprintf("SELECT count(*), total(coalesce((%s), 0) <> 0) FROM events e"
			      " WHERE e.id >= ?1 AND e.id < ?2",
			      q->sql_ni.where);
	sqlite3_stmt *s;
	int r = prepare(q, sql, &s, cause);
	free(sql);
	if (r < 0)
		return -1;
	filter_sql_bind(&q->sql_ni, s);
	int64_t span = *total / SAMPLE_WINDOWS;
	if (span < SAMPLE_IDS)
		span = SAMPLE_IDS;
	watch(q, -1);
	for (int64_t a = lo; a <= hi; a += span) {
		sqlite3_bind_int64(s, 1, a);
		sqlite3_bind_int64(s, 2, a + SAMPLE_IDS);
		if (sqlite3_step(s) != SQLITE_ROW) {
			unwatch(q);
			sql_fail(q, cause);
			sqlite3_finalize(s);
			return -1;
		}
		*rows += sqlite3_column_int64(s, 0);
		*hits += (int64_t)sqlite3_column_double(s, 1);
		sqlite3_reset(s);
	}
	unwatch(q);
	sqlite3_finalize(s);
	return 0;
}

static int decide(struct sqlite_query *q, char **cause)
{
	if (q->strat != S_UNDECIDED)
		return 0;
	int64_t rows, hits, total;
	if (sample(q, &rows, &hits, &total, cause) < 0)
		return -1;
	/* one match in 200 events: a page of 50 costs about 10,000 tests
	 * through the ts index, a few milliseconds; sparser, scan once */
	q->strat = rows && hits * 200 >= rows ? S_TS : S_SCAN;
	psql_clear(q);
	return 0;
}

bool sqlite_query_needs_scan(const struct query *q0)
{
	const struct sqlite_query *q = (const struct sqlite_query *)q0;
	if (q->mat)
		return false;
	return q->strat == S_SCAN || q->strat == S_UNDECIDED;
}

static void drop_cand(struct sqlite_query *q)
{
	if (!q->cmat)
		return;
	char *sql = xasprintf("DROP TABLE IF EXISTS temp.%s", q->cmat);
	sqlite3_exec(q->db, sql, NULL, NULL, NULL);
	free(sql);
	free(q->cmat);
	q->cmat = NULL;
}

/* The ids of events that pass the filter without its raw-record terms,
 * found through a pivot list, into a temporary table kept in id order. */
static int candidates(struct sqlite_query *q, char **cause)
{
	static unsigned serial;
	q->cmat = xasprintf("qc%u", ++serial);
	char *sql = xasprintf("CREATE TEMP TABLE %s(id INTEGER PRIMARY KEY)", q->cmat);
	int r = sqlite3_exec(q->db, sql, NULL, NULL, NULL);
	free(sql);
	if (r != SQLITE_OK) {
		free(q->cmat);
		q->cmat = NULL;
		return set_cause(cause, "%s: %s", store_path(q->base.st), sqlite3_errmsg(q->db));
	}
	sql = xasprintf("INSERT INTO temp.%s SELECT e.id FROM %s WHERE %s", q->cmat, q->cand.from,
			q->cand.where);
	sqlite3_stmt *s;
	r = prepare(q, sql, &s, cause);
	free(sql);
	if (r < 0)
		return -1;
	filter_sql_bind(&q->cand, s);
	q->done = 0;
	watch(q, -1);
	r = sqlite3_step(s);
	unwatch(q);
	if (r != SQLITE_DONE) {
		sql_fail(q, cause);
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

/* The matching (ts, id) into a temporary table, in chunks of ids. */
static int scan(struct sqlite_query *q, char **cause)
{
	static unsigned serial;
	char *name = xasprintf("qm%u_%p", ++serial, (void *)q);
	for (char *p = name; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= '0' && *p <= '9'))
			*p = '_';
	char *sql = xasprintf("CREATE TEMP TABLE %s(ts INTEGER NOT NULL, id INTEGER NOT NULL,"
			      " PRIMARY KEY(ts, id)) WITHOUT ROWID",
			      name);
	char *err = NULL;
	if (sqlite3_exec(q->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		set_cause(cause, "%s: %s", store_path(q->base.st),
			  err ? err : "cannot create a temporary table");
		sqlite3_free(err);
		free(sql);
		free(name);
		return -1;
	}
	free(sql);
	q->mat = name;
	psql_clear(q);
	int64_t lo, hi;
	if (need_ni(q, cause) < 0 || id_range(q, &lo, &hi, cause) < 0)
		goto fail;
	/* With an index to narrow it (user=x "forward"), the candidates are
	 * found through the index first, then only they are read, in id
	 * order; otherwise every event is tested, in id order. */
	if (q->have_cand && candidates(q, cause) < 0)
		goto fail;
	/* A filter a pivot list narrows without reading raw records needs
	 * no chunks in id order: one statement through the list finds the
	 * matches. */
	bool direct = !q->sql.raw && q->sql.narrowed;
	if (direct)
		sql = xasprintf("INSERT INTO temp.%s SELECT e.ts, e.id FROM %s WHERE ?1 <= ?2 AND (%s)", name,
				q->sql.from, q->sql.where);
	else if (q->cmat)
		sql = xasprintf("INSERT INTO temp.%s SELECT e.ts, e.id FROM temp.%s c CROSS JOIN events e ON e.id = c.id"
				" WHERE c.id >= ?1 AND c.id < ?2 AND (%s)",
				name, q->cmat, q->sql_ni.where);
	else
		sql = xasprintf("INSERT INTO temp.%s SELECT e.ts, e.id FROM events e WHERE e.id >= ?1 AND e.id < ?2 AND (%s)",
				name, q->sql_ni.where);
	sqlite3_stmt *s;
	int r = prepare(q, sql, &s, cause);
	free(sql);
	if (r < 0)
		goto fail;
	filter_sql_bind(direct ? &q->sql : &q->sql_ni, s);
	/* one transaction: the temp table's pages are written once */
	sqlite3_exec(q->db, "SAVEPOINT query_scan", NULL, NULL, NULL);
	q->base.cancelled = false;
	watch(q, -1);
	int64_t n = 0;
	const int64_t chunk = 1 << 16;
	int step = SQLITE_DONE;
	for (int64_t a = lo; a <= hi; a += chunk) {
		q->done = hi > lo ? (double)(a - lo) / (double)(hi - lo + 1) : 0;
		if (progress_report(&q->base.pr, q->done)) {
			q->base.cancelled = true;
			break;
		}
		sqlite3_bind_int64(s, 1, a);
		sqlite3_bind_int64(s, 2, a + chunk);
		if ((step = sqlite3_step(s)) != SQLITE_DONE)
			break;
		n += sqlite3_changes(q->db);
		sqlite3_reset(s);
		if (direct)
			break;
	}
	unwatch(q);
	if (q->base.cancelled || step != SQLITE_DONE) {
		sql_fail(q, cause);
		sqlite3_finalize(s);
		sqlite3_exec(q->db, "ROLLBACK TO query_scan; RELEASE query_scan", NULL, NULL, NULL);
		goto fail;
	}
	sqlite3_finalize(s);
	sqlite3_exec(q->db, "RELEASE query_scan", NULL, NULL, NULL);
	drop_cand(q);
	q->count = n;
	q->done = 1;
	progress_report(&q->base.pr, 1);
	return 0;
fail:
	drop_cand(q);
	sql = xasprintf("DROP TABLE IF EXISTS temp.%s", q->mat);
	sqlite3_exec(q->db, sql, NULL, NULL, NULL);
	free(sql);
	free(q->mat);
	q->mat = NULL;
	psql_clear(q);
	return -1;
}

int sqlite_query_prepare(struct query *q0, char **cause)
{
	struct sqlite_query *q = (struct sqlite_query *)q0;
	q->base.cancelled = false;
	if (decide(q, cause) < 0)
		return -1;
	if (q->strat == S_SCAN && !q->mat)
		return scan(q, cause);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Rows */

#define V(c) "(SELECT v FROM vals WHERE id = e." c ")"
#define G(c) "(SELECT " c " FROM ipgeo WHERE val = e.ip)"
static const char row_cols[] =
	"e.id, e.ts, e.line, e.op_count, e.flags, e.kind, rid_text(e.record_id), " V("op") ", " V("rtype") ", " V("workload") ", " V("user") ", " V("app") ", " V("client_app") ", " V("ip") ", " V("result") ", " V(
		"session") ", " V("token") ", " V("mailbox") ", " V("access") ", " V("client_info") ", "
												    "(SELECT path FROM sources WHERE id = e.source), " V("detail") ", " G("country") ", " G(
													    "asn") ", " G("as_org") ", " G("label") ", " V("host");
#undef V
#undef G

static char *coldup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	/* a value may hold a NUL (a JSON \u0000): kept visible, not the end */
	return t ? sanitize_nul((const char *)t, (size_t)sqlite3_column_bytes(s, i)) : NULL;
}

static void read_row(sqlite3_stmt *s, struct query_row *r)
{
	r->id = sqlite3_column_int64(s, 0);
	r->ts = sqlite3_column_int64(s, 1);
	r->line = sqlite3_column_int64(s, 2);
	r->op_count = sqlite3_column_type(s, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 3);
	r->flags = (unsigned)sqlite3_column_int(s, 4);
	r->kind = sqlite3_column_int(s, 5);
	/* a case file is untrusted: the record id and the source, which
	 * the schema never leaves NULL, are never NULL here either */
	r->record_id = coldup(s, 6);
	if (!r->record_id)
		r->record_id = xstrdup("");
	r->op = coldup(s, 7);
	r->rtype = coldup(s, 8);
	r->workload = coldup(s, 9);
	r->user = coldup(s, 10);
	r->app = coldup(s, 11);
	r->client_app = coldup(s, 12);
	r->ip = coldup(s, 13);
	r->result = coldup(s, 14);
	r->session = coldup(s, 15);
	r->token = coldup(s, 16);
	r->mailbox = coldup(s, 17);
	r->access = coldup(s, 18);
	r->client_info = coldup(s, 19);
	r->source = coldup(s, 20);
	if (!r->source)
		r->source = xstrdup("");
	r->detail = coldup(s, 21);
	r->country = coldup(s, 22);
	r->asn = coldup(s, 23);
	r->as_org = coldup(s, 24);
	r->ip_label = coldup(s, 25);
	r->host = coldup(s, 26);
}

int sqlite_each_id(struct store *st, const int64_t *ids, size_t n, query_row_fn fn, void *ctx, char **cause)
{
	sqlite3 *db = store_db(st);
	char *sql = xasprintf("SELECT %s FROM events e WHERE e.id = ?1", row_cols);
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK ? 0 : -1;
	free(sql);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, ids[i]);
		int r = sqlite3_step(s);
		if (r == SQLITE_DONE)
			continue;
		if (r != SQLITE_ROW) {
			rc = -1;
			break;
		}
		struct query_row row = { 0 };
		read_row(s, &row);
		int stop = fn(&row, ctx);
		query_row_clear(&row);
		if (stop)
			break;
	}
	if (rc < 0)
		set_cause(cause, "%s: reading events: %s", store_path(st), sqlite3_errmsg(db));
	sqlite3_finalize(s);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Pages */

enum dir { D_FWD, D_BACK };
enum cmp { C_NONE, C_GT, C_GE, C_LT };

/* t's position past ?1, ?2 compared by c */
static void pos_sql(struct util_buf *b, const char *t, enum cmp c)
{
	static const char *const op[][2] = {
		[C_GT] = { ">=", "> ?1 OR " }, [C_GE] = { ">=", "> ?1 OR " }, [C_LT] = { "<=", "< ?1 OR " }
	};
	if (c == C_NONE) {
		util_buf_putc(b, '1');
		return;
	}
	const char *const *o = op[c];
	util_buf_puts(b, t);
	util_buf_puts(b, ".ts ");
	util_buf_puts(b, o[0]);
	util_buf_puts(b, " ?1 AND (");
	util_buf_puts(b, t);
	util_buf_puts(b, ".ts ");
	util_buf_puts(b, o[1]);
	util_buf_puts(b, t);
	util_buf_puts(b, c == C_GT ? ".id > ?2)" : c == C_GE ? ".id >= ?2)" : ".id < ?2)");
}

/*
 * SELECT of rows of q in direction d past a position compared by c (q's:
 * kept for its next pages). Put together by pieces, not printed: the
 * text is ~2 KB, which a printf walks twice (its length, then the text):
 * ~0.1 M instructions a page on 1M events, each page and each probe.
 */
static const char *page_sql(struct sqlite_query *q, enum dir d, enum cmp c, bool ids_only)
{
	char **slot = &q->psql[d][c][ids_only];
	if (*slot)
		return *slot;
	const char *ord = d == D_FWD ? " ASC" : " DESC";
	const char *t = q->mat ? "m" : q->strat == S_TS ? q->sql_ni.ord : q->sql.ord;
	struct util_buf b = { 0 };
	util_buf_puts(&b, "SELECT ");
	util_buf_puts(&b, ids_only ? "e.ts, e.id" : row_cols);
	if (q->mat) {
		util_buf_puts(&b, " FROM temp.");
		util_buf_puts(&b, q->mat);
		util_buf_puts(&b, " m CROSS JOIN events e ON e.id = m.id WHERE ");
		pos_sql(&b, "m", c);
	} else {
		const struct filter_sql *f = q->strat == S_TS ? &q->sql_ni : &q->sql;
		util_buf_puts(&b, " FROM ");
		util_buf_puts(&b, f->page_from ? f->page_from : f->from);
		util_buf_puts(&b, " WHERE (");
		util_buf_puts(&b, f->where);
		util_buf_puts(&b, ") AND ");
		pos_sql(&b, t, c);
	}
	util_buf_puts(&b, " ORDER BY ");
	util_buf_puts(&b, t);
	util_buf_puts(&b, ".ts");
	util_buf_puts(&b, ord);
	util_buf_puts(&b, ", ");
	util_buf_puts(&b, t);
	util_buf_puts(&b, ".id");
	util_buf_puts(&b, ord);
	util_buf_puts(&b, " LIMIT ?3");
	return *slot = util_buf_take(&b);
}

static void bind_filter(struct sqlite_query *q, sqlite3_stmt *s)
{
	if (q->mat)
		return;
	filter_sql_bind(q->strat == S_TS ? &q->sql_ni : &q->sql, s);
}

/* What a run of a page's statement tells its lists (pivots.h: struct
 * pivot_hits): it wants n rows, has none yet. NULL: they are not told. */
static struct pivot_hits *hits_start(struct sqlite_query *q, size_t n)
{
	struct pivot_hits *h = q->mat || q->strat == S_TS ? NULL : q->sql.hits;
	if (h) {
		h->want = (int64_t)n;
		h->got = 0;
	}
	return h;
}

/* Run one keyset step: rows into p (appended, in statement order). */
static int fetch(struct sqlite_query *q, enum dir d, enum cmp c, const struct query_pos *pos, size_t n,
		 struct query_page *p, char **cause)
{
	sqlite3_stmt *s;
	int r = pooled(q, page_sql(q, d, c, false), &s, cause);
	if (r < 0)
		return -1;
	bind_filter(q, s);
	if (pos) {
		sqlite3_bind_int64(s, 1, pos->ts);
		sqlite3_bind_int64(s, 2, pos->id);
	}
	sqlite3_bind_int64(s, 3, (int64_t)n);
	struct pivot_hits *h = hits_start(q, n);
	watch(q, -1);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (h)
			h->got++;
		/* from a case file, untrusted: a time SQLite keeps as text or a
		 * blob sorts after every number, so a page past it would start
		 * over at it without end (the command line's query ran on for
		 * ever): the case is damaged, said once, naming the event */
		int tt = sqlite3_column_type(s, 1);
		if (tt == SQLITE_TEXT || tt == SQLITE_BLOB) {
			set_cause(cause, "%s: damaged case file: event %lld has a time that is no number",
				  store_path(q->base.st), (long long)sqlite3_column_int64(s, 0));
			unwatch(q);
			sqlite_stmt_give(q->base.st, s);
			return -1;
		}
		p->rows = xgrow(p->rows, &p->cap, p->n + 1, sizeof *p->rows);
		memset(&p->rows[p->n], 0, sizeof p->rows[p->n]);
		read_row(s, &p->rows[p->n++]);
	}
	unwatch(q);
	if (r != SQLITE_DONE) {
		sql_fail(q, cause);
		sqlite_stmt_give(q->base.st, s);
		return -1;
	}
	sqlite_stmt_give(q->base.st, s);
	return 0;
}

/* Is there a matching event past pos in direction d? */
static int probe(struct sqlite_query *q, enum dir d, enum cmp c, const struct query_pos *pos, bool *any,
		 char **cause)
{
	sqlite3_stmt *s;
	int r = pooled(q, page_sql(q, d, c, true), &s, cause);
	if (r < 0)
		return -1;
	bind_filter(q, s);
	sqlite3_bind_int64(s, 1, pos->ts);
	sqlite3_bind_int64(s, 2, pos->id);
	sqlite3_bind_int64(s, 3, 1);
	hits_start(q, 1);
	watch(q, -1);
	r = sqlite3_step(s);
	unwatch(q);
	*any = r == SQLITE_ROW;
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		sql_fail(q, cause);
		sqlite_stmt_give(q->base.st, s);
		return -1;
	}
	sqlite_stmt_give(q->base.st, s);
	return 0;
}

static void reverse(struct query_page *p)
{
	for (size_t i = 0, j = p->n ? p->n - 1 : 0; i < j; i++, j--) {
		struct query_row t = p->rows[i];
		p->rows[i] = p->rows[j];
		p->rows[j] = t;
	}
}

int sqlite_query_page(struct query *q0, enum query_from from, const struct query_pos *pos, size_t n,
		      struct query_page *out, char **cause)
{
	struct sqlite_query *q = (struct sqlite_query *)q0;
	query_page_clear(out);
	if (sqlite_query_prepare(&q->base, cause) < 0)
		return -1;
	static const struct query_pos zero;
	if (!pos)
		pos = &zero;
	bool back = from == QUERY_LAST || from == QUERY_BEFORE;
	enum cmp c = from == QUERY_AFTER    ? C_GT
		     : from == QUERY_AT     ? C_GE
		     : from == QUERY_BEFORE ? C_LT
					    : C_NONE;
	/* one row more than asked says whether the page reached the end */
	if (fetch(q, back ? D_BACK : D_FWD, c, c == C_NONE ? NULL : pos, n + 1, out, cause) < 0)
		return -1;
	bool more = out->n > n;
	if (more)
		query_row_clear(&out->rows[--out->n]);
	if (back)
		reverse(out);
	bool *near = back ? &out->at_start : &out->at_end; /* the end the page ran towards */
	bool *far = back ? &out->at_end : &out->at_start;
	*near = !more;
	if (from == QUERY_FIRST || from == QUERY_LAST) {
		*far = true;
	} else {
		/* anything on the other side of the page (or of pos)? */
		bool any;
		struct query_pos edge = *pos;
		enum cmp oc = back ? C_GE : C_LT;
		if (out->n) {
			const struct query_row *r = back ? &out->rows[out->n - 1] : &out->rows[0];
			edge = (struct query_pos){ r->ts, r->id };
			oc = back ? C_GT : C_LT;
		}
		if (probe(q, back ? D_FWD : D_BACK, oc, &edge, &any, cause) < 0) {
			query_page_clear(out);
			return -1;
		}
		*far = !any;
	}
	if (n == 0)
		out->at_start = out->at_end = false;
	return 0;
}

int sqlite_query_goto_time(struct query *q0, int64_t ms, struct query_pos *pos, char **cause)
{
	struct sqlite_query *q = (struct sqlite_query *)q0;
	struct query_page p = { 0 };
	struct query_pos at = { ms, INT64_MIN };
	if (sqlite_query_page(&q->base, QUERY_AT, &at, 1, &p, cause) < 0)
		return -1;
	int found = p.n > 0;
	if (!found && sqlite_query_page(&q->base, QUERY_LAST, NULL, 1, &p, cause) < 0) {
		query_page_free(&p);
		return -1;
	}
	if (p.n)
		*pos = (struct query_pos){ p.rows[0].ts, p.rows[0].id };
	query_page_free(&p);
	return found;
}

/* ------------------------------------------------------------------ */
/* Counting */

static int exact_count(struct sqlite_query *q, int64_t budget_ms, int64_t *n, char **cause)
{
	sqlite3_stmt *s;
	char *sql;
	if (q->mat)
		sql = xasprintf("SELECT count(*) FROM temp.%s", q->mat);
	else if (q->sql.whole) /* the lists' own count, exact */
		sql = xasprintf("SELECT pivot_count(?%zu, ?%zu)", q->sql.pcol, q->sql.pvals);
	else if (q->sql.pure) /* the lists' entries in the time bounds */
		sql = xasprintf("SELECT count(*) FROM %s WHERE %s", q->sql.pivot, q->sql.mbounds);
	else
		sql = xasprintf("SELECT count(*) FROM %s WHERE %s", q->sql.from, q->sql.where);
	int r = prepare(q, sql, &s, cause);
	free(sql);
	if (r < 0)
		return -1;
	if (!q->mat)
		filter_sql_bind(&q->sql, s);
	q->done = -1;
	watch(q, budget_ms);
	r = sqlite3_step(s);
	unwatch(q);
	if (r != SQLITE_ROW) {
		sql_fail(q, cause);
		sqlite3_finalize(s);
		return -1;
	}
	*n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return 0;
}

int sqlite_query_count(struct query *q0, int64_t budget_ms, struct query_count *out, char **cause)
{
	struct sqlite_query *q = (struct sqlite_query *)q0;
	q->base.cancelled = false;
	if (q->count >= 0) {
		*out = (struct query_count){ q->count, true };
		return 0;
	}
	if (q->sql.raw && !q->mat && budget_ms >= 0) {
		/* an exact count of a raw filter is a full scan: estimate */
	} else if (q->sql.raw && !q->mat) {
		if (scan(q, cause) < 0)
			return -1;
		*out = (struct query_count){ q->count, true };
		return 0;
	} else {
		int64_t n;
		char *why = NULL;
		if (exact_count(q, budget_ms, &n, &why) == 0) {
			q->count = n;
			*out = (struct query_count){ n, true };
			return 0;
		}
		if (!q->hit_deadline) {
			if (cause)
				*cause = why;
			else
				free(why);
			return -1;
		}
		free(why);
	}
	int64_t rows, hits, total;
	if (sample(q, &rows, &hits, &total, cause) < 0)
		return -1;
	int64_t est = rows ? (int64_t)((double)hits / (double)rows * (double)total + 0.5) : 0;
	if (hits && est < 1)
		est = 1;
	*out = (struct query_count){ est, false };
	return 0;
}

/* Matching events before pos: a count over the (ts, id) range, which
 * the ts index, the driving lists or the scanned matches bound. */
int sqlite_query_rank(struct query *q0, const struct query_pos *pos, int64_t budget_ms, int64_t *out,
		      char **cause)
{
	struct sqlite_query *q = (struct sqlite_query *)q0;
	q->base.cancelled = false;
	if (q->sql.raw && !q->mat && budget_ms >= 0)
		return 0; /* a scan first: not within a budget */
	if (sqlite_query_prepare(&q->base, cause) < 0)
		return -1;
	char *sql;
	if (q->mat)
		sql = xasprintf("SELECT count(*) FROM temp.%s m WHERE m.ts <= ?1 AND (m.ts < ?1 OR m.id < ?2)",
				q->mat);
	else if (q->sql.pure)
		sql = xasprintf("SELECT count(*) FROM %s WHERE %s AND m.ts <= ?1 AND (m.ts < ?1 OR m.id < ?2)",
				q->sql.pivot, q->sql.mbounds);
	else
		sql = xasprintf("SELECT count(*) FROM %s WHERE (%s) AND %s.ts <= ?1 AND (%s.ts < ?1 OR %s.id < ?2)",
				q->sql.from, q->sql.where, q->sql.ord, q->sql.ord, q->sql.ord);
	sqlite3_stmt *s;
	int r = prepare(q, sql, &s, cause);
	free(sql);
	if (r < 0)
		return -1;
	if (!q->mat)
		filter_sql_bind(&q->sql, s);
	sqlite3_bind_int64(s, 1, pos->ts);
	sqlite3_bind_int64(s, 2, pos->id);
	q->done = -1;
	watch(q, budget_ms);
	r = sqlite3_step(s);
	unwatch(q);
	if (r != SQLITE_ROW) {
		bool over = q->hit_deadline;
		if (!over)
			sql_fail(q, cause);
		sqlite3_finalize(s);
		return over ? 0 : -1;
	}
	*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return 1;
}

/* ------------------------------------------------------------------ */
/* For other core modules */

const char *query_sql_where(struct query *q0)
{
	struct sqlite_query *q = (struct sqlite_query *)q0;
	free(q->where);
	if (q->mat)
		q->where = xasprintf("e.id IN (SELECT id FROM temp.%s)", q->mat);
	else
		q->where = xstrdup(q->sql.where);
	return q->where;
}

void query_sql_source(struct query *q0, struct query_source *out)
{
	struct sqlite_query *q = (struct sqlite_query *)q0;
	free(q->from);
	if (q->mat) {
		q->from = xasprintf("temp.%s m CROSS JOIN events e ON e.id = m.id", q->mat);
		*out = (struct query_source){ q->from, "1", "m", NULL, NULL };
		return;
	}
	q->from = xstrdup(q->sql.from);
	*out = (struct query_source){ q->from, q->sql.where, q->sql.ord, q->sql.pure ? q->sql.pivot : NULL,
				      q->sql.pure ? q->sql.mbounds : NULL };
}

int query_sql_bind(struct query *q0, sqlite3_stmt *stmt)
{
	struct sqlite_query *q = (struct sqlite_query *)q0;
	if (q->mat)
		return SQLITE_OK;
	return filter_sql_bind(&q->sql, stmt);
}

int query_sql_run(struct query *q0, sqlite3_stmt *stmt, int (*row)(void *ctx, sqlite3_stmt *s), void *ctx,
		  char **cause)
{
	struct sqlite_query *q = (struct sqlite_query *)q0;
	q->base.cancelled = false;
	q->done = -1;
	watch(q, -1);
	int r;
	while ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (row && row(ctx, stmt))
			break;
	}
	unwatch(q);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return sql_fail(q, cause);
	return 0;
}
