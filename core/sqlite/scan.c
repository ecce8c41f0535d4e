/*
 * scan.c: the SQLite store's scans (storage.h: scan and group).
 *
 * A scan is one statement over the events a query matches, reading only
 * the narrow events table (small integers: value ids, times), with the
 * message lists joined in when asked for; its rows go to a C callback,
 * under the query's progress handler. Aggregating in C was measured
 * several times faster than SQLite's GROUP BY with count(DISTINCT) (a
 * b-tree per group), so group() answers only counts without distinct
 * values, which an index of the field holds, and declines the rest.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pivots.h"
#include "sqlite_store.h"
#include "storage.h"
#include "util.h"
#include "xalloc.h"

#define MAX_COLS 32

/* The SQL of one column (caller frees), or NULL when the name is unknown. */
static char *col_sql(const char *name, bool *is_text)
{
	*is_text = false;
	if (!strcmp(name, "id") || !strcmp(name, "ts") || !strcmp(name, "kind"))
		return xasprintf("e.%s", name);
	if (!strcmp(name, "flags")) /* EVF_* of event.h */
		return xstrdup("e.flags");
	if (!strcmp(name, "op_count"))
		return xstrdup("coalesce(e.op_count, -1)");
	if (!strcmp(name, "raw")) {
		/* [tui-nav] the record's JSON text (stacks on json.PATH) */
		*is_text = true;
		return xstrdup("raw_json(e.id)");
	}
	if (!strcmp(name, "msglist")) {
		*is_text = true;
		return xstrdup("msg_items(e.id)");
	}
	/* for exports (query_scan_timeline) */
	if (!strcmp(name, "line") || !strcmp(name, "flags"))
		return xasprintf("e.%s", name);
	if (!strcmp(name, "record_id")) {
		*is_text = true;
		return xstrdup("rid_text(e.record_id)");
	}
	static const char *const annot[][2] = { { "marked", "marks" },
						{ "tagged", "tags" },
						{ "noted", "notes" } };
	for (size_t i = 0; i < 3; i++)
		if (!strcmp(name, annot[i][0]))
			return xasprintf("EXISTS(SELECT 1 FROM %s a WHERE a.record_id = e.record_id AND a.kind = e.kind)",
					 annot[i][1]);
	const struct filter_field *f = filter_field_find(name);
	if (f && (f->flags & (FIELD_TEXT | FIELD_SOURCE)))
		return xasprintf("e.%s", f->column);
	return NULL;
}

struct scan_ctx {
	size_t n;
	bool text[MAX_COLS];
	struct store_cell cells[MAX_COLS];
	store_row_fn fn;
	void *ctx;
};

/* Value ids start at 1 (INTEGER PRIMARY KEY of vals), so the 0 that
 * sqlite3_column_int64 gives for NULL means "absent" without the cost of
 * asking sqlite3_column_type on every row. */
static int scan_row(void *ctx, sqlite3_stmt *s)
{
	struct scan_ctx *c = ctx;
	for (size_t i = 0; i < c->n; i++) {
		if (c->text[i]) {
			c->cells[i].s = (const char *)sqlite3_column_text(s, (int)i);
			c->cells[i].n = (size_t)sqlite3_column_bytes(s, (int)i);
		} else {
			c->cells[i].i = sqlite3_column_int64(s, (int)i);
		}
	}
	return c->fn(c->ctx, c->cells);
}

/* The SELECT list of cols into *list (caller frees); -1 with *cause for
 * an unknown column. */
static int col_list(const char *const *cols, size_t ncols, struct scan_ctx *c, bool *msgs, char **list,
		    char **cause)
{
	*msgs = false;
	*list = NULL;
	if (ncols == 0 || ncols > MAX_COLS) {
		set_cause(cause, "scan: %zu columns", ncols);
		return -1;
	}
	for (size_t i = 0; i < ncols; i++) {
		char *e = col_sql(cols[i], &c->text[i]);
		if (!e) {
			free(*list);
			*list = NULL;
			set_cause(cause, "scan: no column '%s'", cols[i]);
			return -1;
		}
		*msgs |= !strcmp(cols[i], "msglist");
		char *l = *list ? xasprintf("%s, %s", *list, e) : xstrdup(e);
		free(e);
		free(*list);
		*list = l;
	}
	return 0;
}

int sqlite_scan(struct query *q, const char *const *cols, size_t ncols, store_row_fn fn, void *ctx, char **cause)
{
	struct store *st = query_store(q);
	struct scan_ctx c = { .n = ncols, .fn = fn, .ctx = ctx };
	bool msgs, raw = false;
	char *list;
	if (col_list(cols, ncols, &c, &msgs, &list, cause) < 0)
		return -1;
	for (size_t i = 0; i < ncols; i++)
		raw |= !strcmp(cols[i], "raw");
	/* raw records and message lists in id order: each compressed block
	 * is read once */
	struct query_source src;
	query_sql_source(q, &src);
	char *sql = xasprintf("SELECT %s FROM %s WHERE (%s)%s%s", list, src.from, src.where,
			      msgs ? " AND msg_items(e.id) IS NOT NULL" : "",
			      raw || msgs ? " ORDER BY e.id" : "");
	free(list);
	sqlite3_stmt *s = sqlite_prep(st, sql, cause);
	free(sql);
	if (!s)
		return -1;
	query_sql_bind(q, s);
	int r = query_sql_run(q, s, scan_row, &c, cause);
	sqlite3_finalize(s);
	return r;
}

/*
 * In time order, for exports. Bookmarked events only: when they are few,
 * from the bookmarks outward (each finds its event by the record id
 * index) and sorted; when there are many, a walk of the whole timeline
 * that skips the others keeps memory flat.
 */
int sqlite_scan_timeline(struct query *q, const char *const *cols, size_t ncols, unsigned flags,
			 store_row_fn fn, void *ctx, char **cause)
{
	struct store *st = query_store(q);
	struct scan_ctx c = { .n = ncols, .fn = fn, .ctx = ctx };
	bool msgs;
	char *list;
	if (col_list(cols, ncols, &c, &msgs, &list, cause) < 0)
		return -1;
	if (msgs) {
		free(list);
		return set_cause(cause, "scan: no message lists in time order");
	}
	bool marked = flags & STORE_SCAN_MARKED, from_marks = marked && (flags & STORE_SCAN_FEW_MARKS);
	/* from the filter's source (its pivot lists, in time order), or
	 * the few bookmarks' events, sorted */
	struct query_source src;
	query_sql_source(q, &src);
	char *sql =
		from_marks
			? xasprintf("SELECT %s FROM events e WHERE (%s) AND e.id IN (" MARKED_IDS
				    ") ORDER BY e.ts, e.id",
				    list, query_sql_where(q))
			: xasprintf("SELECT %s FROM %s WHERE (%s)%s ORDER BY %s.ts, %s.id", list, src.from,
				    src.where,
				    marked ? " AND EXISTS(SELECT 1 FROM marks a WHERE a.record_id = e.record_id"
					     " AND a.kind = e.kind)"
					   : "",
				    src.ord, src.ord);
	free(list);
	sqlite3_stmt *s = sqlite_prep(st, sql, cause);
	free(sql);
	if (!s)
		return -1;
	query_sql_bind(q, s);
	int r = query_sql_run(q, s, scan_row, &c, cause);
	sqlite3_finalize(s);
	return r;
}

/* ------------------------------------------------------------------ */

struct counts_ctx {
	struct stack *out;
	size_t cap;
};

static int counts_row(void *ctx, sqlite3_stmt *s)
{
	struct counts_ctx *c = ctx;
	const char *v = (const char *)sqlite3_column_text(s, 0);
	if (!v)
		return 0;
	struct stack *out = c->out;
	out->rows = xgrow(out->rows, &c->cap, out->n + 1, sizeof *out->rows);
	struct stack_row *row = &out->rows[out->n++];
	*row = (struct stack_row){ .value = xstrdup(v), .events = sqlite3_column_int64(s, 1) };
	out->events += row->events;
	return 0;
}

int sqlite_group(struct query *q, const char *field, const char *distinct, struct stack *out, char **cause)
{
	const struct filter_field *f = filter_field_find(field);
	if (distinct || !f || !(f->flags & (FIELD_TEXT | FIELD_SOURCE)))
		return 0;
	struct store *st = query_store(q);
	struct query_source src;
	query_sql_source(q, &src);
	int col = filter_pivot_col(f->column);
	char *sql;
	if (col >= 0 && !strcmp(src.where, "1") && !strcmp(src.from, "events e")) {
		/* a pivot field under no filter: its lists' counts, without
		 * reading an event (1M events: 3 ms against 120 ms); a packed
		 * column's entries in pivot_ones beside its chunks (pivots.h) */
		char *lists = PIVOT_ONES_COLS >> col & 1
				      ? xasprintf("(SELECT val, n FROM pivots WHERE col = %d"
						  " UNION ALL SELECT val, 1 FROM pivot_ones_each(%d)) p",
						  col, col)
				      : xasprintf("pivots p WHERE p.col = %d", col);
		sql = xasprintf("SELECT n.v, x.c FROM (SELECT p.val AS k, sum(p.n) - coalesce((SELECT g.n FROM"
				" pivot_gone g WHERE g.col = %d AND g.val = p.val), 0) AS c FROM %s"
				" GROUP BY p.val) x JOIN vals n ON n.id = x.k WHERE x.c > 0",
				col, lists);
		free(lists);
	} else {
		sql = xasprintf("SELECT n.v, x.c FROM (SELECT e.%s AS k, count(*) AS c FROM %s"
				" WHERE e.%s IS NOT NULL AND (%s) GROUP BY e.%s) x JOIN %s n ON n.id = x.k",
				f->column, src.from, f->column, src.where, f->column,
				(f->flags & FIELD_SOURCE) ? "(SELECT id, path AS v FROM sources)" : "vals");
	}
	sqlite3_stmt *s = sqlite_prep(st, sql, cause);
	free(sql);
	if (!s)
		return -1;
	query_sql_bind(q, s);
	struct counts_ctx c = { out, 0 };
	int r = query_sql_run(q, s, counts_row, &c, cause);
	sqlite3_finalize(s);
	return r < 0 ? -1 : 1;
}

/* ------------------------------------------------------------------ */
/* buckets: events per time bucket, counted inside SQLite */

/* Does every step of sql's plan seek (SEARCH), none read a whole table
 * or index (SCAN)? */
static bool plan_seeks(struct store *st, const char *sql)
{
	char *e = xasprintf("EXPLAIN QUERY PLAN %s", sql);
	sqlite3_stmt *s = sqlite_prep(st, e, NULL);
	free(e);
	if (!s)
		return false;
	bool seeks = true;
	while (seeks && sqlite3_step(s) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(s, 3);
		seeks = d && strncmp(d, "SCAN", 4) != 0;
	}
	sqlite3_finalize(s);
	return seeks;
}

static int64_t clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int count_of(void *ctx, sqlite3_stmt *s)
{
	*(int64_t *)ctx = sqlite3_column_int64(s, 0);
	return 0;
}

struct bucket_ctx {
	int64_t start, width, *counts;
	size_t n;
};

static int bucket_row(void *ctx, sqlite3_stmt *s)
{
	struct bucket_ctx *b = ctx;
	int64_t k = (sqlite3_column_int64(s, 0) - b->start) / b->width;
	if (k >= 0 && (uint64_t)k < b->n)
		b->counts[k]++;
	return 0;
}

/*
 * One count(*) a bucket over its ts range, which the ts index answers by
 * seeking: SQLite counts the index entries itself instead of handing
 * each event's time to C, about three times less work than the scan on
 * 1M events (bench_tui: i). A filter whose rows come from pivot lists
 * (or a table of matches) is read once over the whole span instead,
 * each time counted in C: a list's chunk spans many buckets, and a count
 * a bucket would decode it again for each; when the lists alone are the
 * matches, without reading an event. Declined when the plan reads a
 * whole table (a filter no index serves: one pass a bucket) and for more
 * buckets than a statement each is worth; histogram.c then counts a
 * scan.
 */
int sqlite_buckets(struct query *q, int64_t start, int64_t width, size_t n, int64_t *counts, char **cause)
{
	if (n == 0 || n > 2048 || width <= 0)
		return 0;
	struct store *st = query_store(q);
	struct query_source src;
	query_sql_source(q, &src);
	if (!strcmp(src.ord, "m")) {
		char *sql = src.pivot
				    ? xasprintf("SELECT m.ts FROM %s WHERE %s AND m.ts >= ?1 AND m.ts < ?2",
						src.pivot, src.mbounds)
				    : xasprintf("SELECT m.ts FROM %s WHERE (%s) AND m.ts >= ?1 AND m.ts < ?2",
						src.from, src.where);
		sqlite3_stmt *s = sqlite_prep(st, sql, cause);
		free(sql);
		if (!s)
			return -1;
		query_sql_bind(q, s);
		memset(counts, 0, n * sizeof *counts);
		int64_t end = (int64_t)n > (INT64_MAX - start) / width ? INT64_MAX : start + (int64_t)n * width;
		sqlite3_bind_int64(s, 1, start);
		sqlite3_bind_int64(s, 2, end);
		struct bucket_ctx b = { start, width, counts, n };
		int r = query_sql_run(q, s, bucket_row, &b, cause);
		sqlite3_finalize(s);
		return r < 0 ? -1 : 1;
	}
	char *sql = xasprintf("SELECT count(*) FROM %s WHERE (%s) AND e.ts >= ?1 AND e.ts < ?2", src.from,
			      src.where);
	if (!plan_seeks(st, sql)) {
		free(sql);
		return 0;
	}
	sqlite3_stmt *s = sqlite_prep(st, sql, cause);
	free(sql);
	if (!s)
		return -1;
	query_sql_bind(q, s);
	int r = 0;
	int64_t last = clock_ms();
	for (size_t i = 0; i < n && r == 0; i++) {
		/* each count is too short for the statement's own progress
		 * calls (every 20 ms of one statement): between counts, the
		 * caller hears how far it is and may stop it */
		if (q->pr.fn && clock_ms() - last >= 20) {
			last = clock_ms();
			if (progress_report(&q->pr, (double)i / (double)n)) {
				q->cancelled = true;
				r = set_cause(cause, PROGRESS_CANCELLED);
				break;
			}
		}
		int64_t lo = start + (int64_t)i * width;
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, lo);
		sqlite3_bind_int64(s, 2, lo + width);
		counts[i] = 0;
		r = query_sql_run(q, s, count_of, &counts[i], cause);
	}
	sqlite3_finalize(s);
	return r < 0 ? -1 : 1;
}

/* ------------------------------------------------------------------ */
/* pick: a selection by value ids, ranges and flags, in a set order */

struct pick_watch {
	const struct progress *pr;
	bool cancelled;
};

static int pick_progress(void *arg)
{
	struct pick_watch *w = arg;
	if (progress_report(w->pr, -1)) {
		w->cancelled = true;
		return 1;
	}
	return 0;
}

/*
 * A selection with no field and no time bound reads the table in rowid
 * order (NOT INDEXED): given "flags & 1" or an id span over half the
 * case, SQLite might otherwise walk an index and fetch each row from
 * the table in index order, re-reading its pages many times over. With
 * a pivot field (user, app, ip, op, session), the pivot lists of the
 * values find the few events asked for, in time order and within the
 * time bounds, unless p->wide says most events will match; the field's
 * condition stays (a list may hold an entry of a replaced event).
 */
#define PICK_LIST_MAX 1024 /* values merged from their lists; more: a scan */
int sqlite_pick(struct store *st, const struct store_pick *p, const char *const *cols, size_t ncols,
		store_row_fn fn, void *ctx, char **cause)
{
	if (ncols == 0 || ncols > MAX_COLS)
		return set_cause(cause, "pick: %zu columns", ncols);
	const struct filter_field *ff = NULL;
	if (p->field) {
		ff = filter_field_find(p->field);
		if (!ff || !(ff->flags & (FIELD_TEXT | FIELD_SOURCE)))
			return set_cause(cause, "pick: no text field '%s'", p->field);
		if (!p->n)
			return 0; /* no value asked for: no event */
	}
	struct scan_ctx c = { .n = ncols, .fn = fn, .ctx = ctx };
	struct util_buf sql = { 0 };
	util_buf_puts(&sql, "SELECT ");
	for (size_t i = 0; i < ncols; i++) {
		char *e = col_sql(cols[i], &c.text[i]);
		if (!e || c.text[i]) {
			free(e);
			util_buf_free(&sql);
			return set_cause(cause, "pick: no column '%s'", cols[i]);
		}
		util_buf_printf(&sql, "%s%s", i ? ", " : "", e);
		free(e);
	}
	bool ranged_ts = p->ts_from != INT64_MIN || p->ts_to != INT64_MAX;
	int list = ff && !p->wide && p->n <= PICK_LIST_MAX ? filter_pivot_col(ff->column) : -1;
	for (size_t i = 0; list >= 0 && i < p->n; i++)
		if (!p->ids[i])
			list = -1; /* the field absent: no list holds it */
	/* its parameters after every other (?list_at, ?list_at + 1) */
	int list_at = 1 + (int)p->n + 2 * ranged_ts + 2 * (p->id_from != INT64_MIN || p->id_to != INT64_MAX) +
		      (int)p->also.n;
	const char *t = list >= 0 ? "m" : "e";
	if (list >= 0)
		util_buf_printf(&sql,
				" FROM pivot_rows(?%d, ?%d) m CROSS JOIN events e ON e.id = m.id AND e.ts = m.ts WHERE 1",
				list_at, list_at + 1);
	else
		util_buf_printf(&sql, " FROM events e%s WHERE 1",
				(!ff && !ranged_ts) || p->wide ? " NOT INDEXED" : "");
	int at = 1; /* the next parameter */
	bool null = false;
	if (ff) {
		util_buf_printf(&sql, " AND (e.%s IN (", ff->column);
		size_t k = 0;
		for (size_t i = 0; i < p->n; i++) {
			if (!p->ids[i]) {
				null = true;
				continue;
			}
			util_buf_printf(&sql, "%s?%d", k++ ? "," : "", at++);
		}
		util_buf_printf(&sql, "%s)", k ? "" : "NULL");
		if (null)
			util_buf_printf(&sql, " OR e.%s IS NULL", ff->column);
		util_buf_puts(&sql, ")");
	}
	int ts_at = at;
	if (ranged_ts) {
		util_buf_printf(&sql, " AND %s.ts >= ?%d AND %s.ts <= ?%d", t, at, t, at + 1);
		at += 2;
	}
	int id_at = at;
	bool ranged_id = p->id_from != INT64_MIN || p->id_to != INT64_MAX;
	if (ranged_id) {
		util_buf_printf(&sql, " AND e.id >= ?%d AND e.id <= ?%d", at, at + 1);
		at += 2;
	}
	if (p->flags)
		util_buf_printf(&sql, " AND (e.flags & %u) != 0", p->flags);
	int also_at = at;
	if (p->also.n) {
		util_buf_puts(&sql, " AND (");
		for (int k = 0; k < 2 && p->also.fields[k]; k++) {
			const struct filter_field *af = filter_field_find(p->also.fields[k]);
			if (!af || !(af->flags & (FIELD_TEXT | FIELD_SOURCE))) {
				util_buf_free(&sql);
				return set_cause(cause, "pick: no text field '%s'", p->also.fields[k]);
			}
			util_buf_printf(&sql, "%se.%s IN (", k ? " OR " : "", af->column);
			for (size_t i = 0; i < p->also.n; i++)
				util_buf_printf(&sql, "%s?%d", i ? "," : "", also_at + (int)i);
			util_buf_puts(&sql, ")");
		}
		util_buf_puts(&sql, ")"); /* the last parameters: at needs no moving on */
	}
	if (p->by_ts)
		util_buf_printf(&sql, " ORDER BY %s.ts, %s.id", t, t);
	else
		util_buf_puts(&sql, " ORDER BY e.id");
	if (p->limit >= 0)
		util_buf_printf(&sql, " LIMIT %lld", (long long)p->limit);
	sqlite3_stmt *s = sqlite_prep(st, sql.p, cause);
	util_buf_free(&sql);
	if (!s)
		return -1;
	int k = 1;
	for (size_t i = 0; ff && i < p->n; i++)
		if (p->ids[i])
			sqlite3_bind_int64(s, k++, p->ids[i]);
	if (ranged_ts) {
		sqlite3_bind_int64(s, ts_at, p->ts_from);
		sqlite3_bind_int64(s, ts_at + 1, p->ts_to);
	}
	if (ranged_id) {
		sqlite3_bind_int64(s, id_at, p->id_from);
		sqlite3_bind_int64(s, id_at + 1, p->id_to);
	}
	for (size_t i = 0; i < p->also.n; i++)
		sqlite3_bind_int64(s, also_at + (int)i, p->also.ids[i]);
	unsigned char *vals = NULL;
	if (list >= 0) {
		sqlite3_bind_int(s, list_at, list);
		vals = xmalloc(p->n * 8 + 1);
		for (size_t i = 0; i < p->n; i++)
			for (int b = 0; b < 8; b++)
				vals[i * 8 + (size_t)b] = (unsigned char)((uint64_t)p->ids[i] >> (8 * b));
		if (p->n == 1)
			sqlite3_bind_int64(s, list_at + 1, p->ids[0]);
		else
			sqlite3_bind_blob(s, list_at + 1, vals, (int)(p->n * 8), SQLITE_STATIC);
	}
	struct pick_watch w = { p->pr, false };
	sqlite3 *db = store_db(st);
	if (p->pr && p->pr->fn)
		sqlite3_progress_handler(db, 4096, pick_progress, &w);
	int r;
	while ((r = sqlite3_step(s)) == SQLITE_ROW)
		if (scan_row(&c, s))
			break;
	if (p->pr && p->pr->fn)
		sqlite3_progress_handler(db, 0, NULL, NULL);
	int rc = 0;
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = w.cancelled ? set_cause(cause, "%s", PROGRESS_CANCELLED) : sqlite_fail(st, cause);
	sqlite3_finalize(s);
	free(vals);
	return rc;
}
