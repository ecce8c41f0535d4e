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
	char *sql = xasprintf("SELECT %s FROM events e WHERE (%s)%s%s", list, query_sql_where(q),
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
	char *sql =
		xasprintf("SELECT %s FROM %s WHERE (%s)%s ORDER BY e.ts, e.id", list, "events e",
			  query_sql_where(q),
			  from_marks ? " AND e.id IN (" MARKED_IDS ")"
			  : marked ? " AND EXISTS(SELECT 1 FROM marks a WHERE a.record_id = e.record_id AND a.kind = e.kind)"
				   : "");
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
	/* an indexed field under no filter is counted from its index alone */
	char *sql = xasprintf("SELECT n.v, x.c FROM (SELECT e.%s AS k, count(*) AS c FROM events e"
			      " WHERE e.%s IS NOT NULL AND %s GROUP BY e.%s) x JOIN %s n ON n.id = x.k",
			      f->column, f->column, query_sql_where(q), f->column,
			      (f->flags & FIELD_SOURCE) ? "(SELECT id, path AS v FROM sources)" : "vals");
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

/*
 * One count(*) a bucket over its ts range, which an index ending in ts
 * answers by seeking (ev_ts; a field's (field, ts)): SQLite counts the
 * index entries itself instead of handing each event's time to C, about
 * three times less work than the scan on 1M events (bench_tui: i).
 * Declined when the plan reads a whole table (a filter no index serves,
 * or one evaluated into a temporary table: one pass a bucket) and for
 * more buckets than a statement each is worth; histogram.c then counts
 * a scan.
 */
int sqlite_buckets(struct query *q, int64_t start, int64_t width, size_t n, int64_t *counts, char **cause)
{
	if (n == 0 || n > 2048 || width <= 0)
		return 0;
	struct store *st = query_store(q);
	char *sql = xasprintf("SELECT count(*) FROM events e WHERE (%s) AND e.ts >= ?1 AND e.ts < ?2",
			      query_sql_where(q));
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
 * a field, the field's (field, ts) index finds the few events asked
 * for, unless p->wide says most events will match.
 */
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
	util_buf_printf(&sql, " FROM events e%s WHERE 1", (!ff && !ranged_ts) || p->wide ? " NOT INDEXED" : "");
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
		util_buf_printf(&sql, " AND e.ts >= ?%d AND e.ts <= ?%d", at, at + 1);
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
	util_buf_puts(&sql, p->by_ts ? " ORDER BY e.ts, e.id" : " ORDER BY e.id");
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
	return rc;
}
