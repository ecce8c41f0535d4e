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

#include "sqlite_store.h"
#include "storage.h"
#include "xalloc.h"

#define MAX_COLS 16

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
	if (!strcmp(name, "msglist")) {
		*is_text = true;
		return xstrdup("l.items");
	}
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

int sqlite_scan(struct query *q, const char *const *cols, size_t ncols, store_row_fn fn, void *ctx,
		char **cause)
{
	struct store *st = query_store(q);
	if (ncols == 0 || ncols > MAX_COLS)
		return set_cause(cause, "scan: %zu columns", ncols);
	struct scan_ctx c = { .n = ncols, .fn = fn, .ctx = ctx };
	bool msgs = false;
	char *list = NULL;
	for (size_t i = 0; i < ncols; i++) {
		char *e = col_sql(cols[i], &c.text[i]);
		if (!e) {
			free(list);
			return set_cause(cause, "scan: no column '%s'", cols[i]);
		}
		msgs |= !strcmp(cols[i], "msglist");
		char *l = list ? xasprintf("%s, %s", list, e) : xstrdup(e);
		free(e);
		free(list);
		list = l;
	}
	char *sql = xasprintf("SELECT %s FROM events e%s WHERE %s", list,
			      msgs ? " JOIN msglists l ON l.event = e.id" : "", query_sql_where(q));
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
