/*
 * load_write.c: the writer thread of a load: it takes the parser's batches off
 * the queue and turns each event into rows (events, vals, message and raw
 * blocks), each reject into a row of rejects, and commits every few
 * tens of thousands of events together with the source's counters.
 */
#define _GNU_SOURCE /* pthread_setname_np, memmem, F_OFD_GETLK */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"
#include "xalloc.h"
#include "load_impl.h"

int64_t load_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int load_txn_begin(struct sqlite_load *ld, char **cause)
{
	if (ld->txn)
		return 0;
	if (sqlite_exec(ld->base.st, "BEGIN IMMEDIATE", cause) < 0)
		return -1;
	/* every commit writes the window: entries left are those of a
	 * transaction rolled back */
	if (ld->pv)
		pivot_window_discard(ld->pv);
	ld->txn = true;
	ld->last_val = 0; /* another writer may have added values between two transactions */
	ld->txn_ms = load_now_ms();
	ld->txn_serial++;
	return 0;
}

/* Has a writer outside the load announced itself (STORE_WANT_BYTE)? */
static bool writer_waiting(struct sqlite_load *ld)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = STORE_WANT_BYTE, .l_len = 1 };
	return ld->lockfd >= 0 && fcntl(ld->lockfd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

/*
 * Is the pivot window about full, with the administrative events held
 * back (which the commit writes first) counted in? Then load_yield
 * commits, which writes the window whole: a transaction is a window.
 *
 * Why: the load's page cache is 8 MB (512 pages: the peak RSS), and a
 * transaction of 200,000 events, a second's, dirtied ~4,200 pages. SQLite
 * spilled the least recently used to the log, and when it changed such a
 * page again (the window's chunks land all over pivots, each of which
 * every window touches, and the interior pages of every B-tree), wrote it
 * over its own frame; at the COMMIT it then read back and checksummed
 * every frame from the first one so rewritten, which was one of the
 * transaction's first: the whole transaction again (strace of 1M
 * high-cardinality CSV: the writer rewrote 5,430 frames and read back
 * 25,279 of its 26,714). A window's worth of pages (~440 on that input)
 * fits the cache: no frame is written twice, none is read back. Cut at
 * a window's end, a commit ends no window early; each still ends a raw
 * block.
 */
static bool window_full(const struct sqlite_load *ld)
{
	size_t held = ld->deferred ? ld->deferred->n : 0;
	return ld->pv && !pivot_window_room_for(ld->pv, LOAD_WINDOW_MARGIN + held);
}

int load_yield(struct sqlite_load *ld, bool idle, char **cause)
{
	if (!ld->txn)
		return 0;
	/* the lock's test is a system call: once a millisecond at most
	 * (every 64 events it was ~3,100 a 200k-event load, ~0.5% of the
	 * writer's time in perf), which a writer waiting hardly notices */
	int64_t now = load_now_ms();
	bool waiting = false;
	if (idle || now != ld->look_ms) {
		ld->look_ms = now;
		waiting = writer_waiting(ld);
	}
	if (!waiting && !idle && now - ld->txn_ms < ld->txn_max_ms && !load_restart_due(ld) && !window_full(ld))
		return 0;
	if (load_commit(ld, cause) < 0)
		return -1;
	/* the waiting writer holds the byte until its own commit: the next
	 * BEGIN IMMEDIATE here would otherwise take the lock back before
	 * its busy handler tried again (bounded: a writer that died lost
	 * its lock with its descriptor) */
	for (int i = 0; waiting && i < 30000 && writer_waiting(ld); i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	return 0;
}

int load_save_counts(struct sqlite_load *ld, char **cause);
static int save_counts(struct sqlite_load *ld, char **cause)
{
	return load_save_counts(ld, cause);
}

int load_save_counts(struct sqlite_load *ld, char **cause)
{
	if (!ld->source)
		return 0;
	struct store_counts c = ld->wc;
	sqlite3_stmt *q = ld->upd_src;
	sqlite3_bind_int64(q, 1, (int64_t)c.records);
	sqlite3_bind_int64(q, 2, (int64_t)c.events);
	sqlite3_bind_int64(q, 3, (int64_t)c.duplicates);
	sqlite3_bind_int64(q, 4, (int64_t)c.rejects);
	if (c.first_ts != INT64_MAX) {
		sqlite3_bind_int64(q, 5, c.first_ts);
		sqlite3_bind_int64(q, 6, c.last_ts);
	} else {
		sqlite3_bind_null(q, 5);
		sqlite3_bind_null(q, 6);
	}
	sqlite3_bind_int64(q, 7, ld->source);
	int r = sqlite3_step(q);
	sqlite3_reset(q);
	return r == SQLITE_DONE ? 0 : load_db_fail(ld, cause);
}

/* Commit: every event committed has its raw block and its source's
 * counters in the same transaction. */
int load_commit(struct sqlite_load *ld, char **cause)
{
	if (!ld->txn)
		return 0;
	if (load_flush_deferred(ld, cause) < 0 || load_flush_rows(ld, cause) < 0 ||
	    load_pivots_flush(ld, cause) < 0)
		return -1;
	load_blocks_flush(ld);
	if (load_blocks_collect(ld, true, cause) < 0 || save_counts(ld, cause) < 0 ||
	    load_ridx_commit(ld, cause) < 0)
		return -1;
	if (sqlite_exec(ld->base.st, "COMMIT", cause) < 0)
		return -1;
	atomic_store(&ld->committed, ld->txn_serial);
	ld->txn = false;
	ld->pending = 0;
	return load_after_commit(ld, cause);
}

int load_pivots_flush(struct sqlite_load *ld, char **cause)
{
	return ld->pv ? pivot_window_flush(ld->pv, store_db(ld->base.st), cause) : 0;
}

/* The values of an event's pivot columns among its LOAD_NVALS, by
 * enum pivot_col */
static const int pivot_field[PIVOT_NCOL] = { 3, 4, 6, 0, 8 }; /* user, app, ip, op, session */

/* The highest event id the case has used: its rows', and its blocks'
 * (those of deleted events too). */
static int read_last_id(struct sqlite_load *ld, char **cause)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(store_db(ld->base.st),
			       "SELECT max(coalesce((SELECT max(id) FROM events), 0),"
			       " coalesce((SELECT id + n - 1 FROM rawblocks ORDER BY id DESC LIMIT 1), 0),"
			       " coalesce((SELECT id + n - 1 FROM msgblocks ORDER BY id DESC LIMIT 1), 0))",
			       -1, &q, NULL) != SQLITE_OK)
		return load_db_fail(ld, cause);
	int r = sqlite3_step(q);
	if (r == SQLITE_ROW)
		ld->last_id = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return r == SQLITE_ROW ? 0 : load_db_fail(ld, cause);
}

/* Bind an events row's parameters to q from parameter at + 1 on. */
static void bind_row(struct sqlite_load *ld, sqlite3_stmt *q, int at, const struct ev_row *r)
{
	for (int i = 0; i < EV_COLS; i++) {
		if (i == 1)
			sqlite3_bind_text(q, at + 2, ld->evg_rid + r->rid, (int)r->ridlen, SQLITE_STATIC);
		else if (r->null & (uint32_t)1 << i)
			sqlite3_bind_null(q, at + i + 1);
		else
			sqlite3_bind_int64(q, at + i + 1, r->v[i]);
	}
}

/*
 * The groups go in as INSERT ... SELECT c0, c1, ... FROM load_rows(?1):
 * a virtual table over the rows waiting in memory, ?1 a pointer to their
 * struct load_rows (sqlite3_bind_pointer). SQLite reads each cell with
 * one call, where a VALUES list of parameters had each one bound (about
 * a hundred instructions: 0.47 G of the writer's 4.5 G on 200k
 * high-cardinality CSV) and then copied; and a group of any size is one
 * statement, where a VALUES list had one statement a size (a commit's or
 * a drain's partial group went in row by row).
 */
#define ROWS_PTR "auditscope_load_rows"
struct rows_cursor {
	sqlite3_vtab_cursor base;
	const struct load_rows *r;
	size_t i;
	const struct ev_row *row; /* load_events: the row at i */
};

static int rows_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
			char **err)
{
	(void)aux, (void)argc, (void)argv, (void)err;
	char sql[400];
	int len = snprintf(sql, sizeof sql, "CREATE TABLE x(");
	for (int i = 0; i < LOAD_ROWS_COLS; i++)
		len += snprintf(sql + len, sizeof sql - (size_t)len, "c%d,", i);
	snprintf(sql + len, sizeof sql - (size_t)len, "src HIDDEN)");
	int rc = sqlite3_declare_vtab(db, sql);
	if (rc != SQLITE_OK)
		return rc;
	*out = sqlite3_malloc(sizeof **out);
	if (!*out)
		return SQLITE_NOMEM;
	memset(*out, 0, sizeof **out);
	return SQLITE_OK;
}

static int rows_disconnect(sqlite3_vtab *v)
{
	sqlite3_free(v);
	return SQLITE_OK;
}

/* src = ?1 is required: the rows come from nowhere else */
static int rows_best_index(sqlite3_vtab *tab, sqlite3_index_info *info)
{
	(void)tab;
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		if (c->iColumn == LOAD_ROWS_COLS && c->op == SQLITE_INDEX_CONSTRAINT_EQ && c->usable) {
			info->aConstraintUsage[i].argvIndex = 1;
			info->aConstraintUsage[i].omit = 1;
			info->estimatedCost = 1;
			info->estimatedRows = EV_GROUP;
			return SQLITE_OK;
		}
	}
	return SQLITE_CONSTRAINT;
}

static int rows_open(sqlite3_vtab *tab, sqlite3_vtab_cursor **out)
{
	(void)tab;
	struct rows_cursor *c = sqlite3_malloc(sizeof *c);
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof *c);
	*out = &c->base;
	return SQLITE_OK;
}

static int rows_close(sqlite3_vtab_cursor *cur)
{
	sqlite3_free(cur);
	return SQLITE_OK;
}

static int rows_filter(sqlite3_vtab_cursor *cur, int idx, const char *idxs, int argc, sqlite3_value **argv)
{
	(void)idx, (void)idxs;
	struct rows_cursor *c = (struct rows_cursor *)cur;
	c->r = argc == 1 ? sqlite3_value_pointer(argv[0], ROWS_PTR) : NULL;
	c->i = 0;
	return SQLITE_OK;
}

static int rows_next(sqlite3_vtab_cursor *cur)
{
	((struct rows_cursor *)cur)->i++;
	return SQLITE_OK;
}

static int rows_eof(sqlite3_vtab_cursor *cur)
{
	const struct rows_cursor *c = (const struct rows_cursor *)cur;
	return !c->r || c->i >= c->r->n;
}

static int rows_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	const struct rows_cursor *c = (const struct rows_cursor *)cur;
	if (col < LOAD_ROWS_COLS) /* (a cell left alone is NULL) */
		c->r->cell(c->r->ctx, c->i, col, ctx);
	return SQLITE_OK;
}

static int rows_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *out)
{
	*out = (sqlite3_int64)((const struct rows_cursor *)cur)->i;
	return SQLITE_OK;
}

static const sqlite3_module rows_module = {
	.xConnect = rows_connect, /* no xCreate: eponymous only */
	.xBestIndex = rows_best_index,
	.xDisconnect = rows_disconnect,
	.xOpen = rows_open,
	.xClose = rows_close,
	.xFilter = rows_filter,
	.xNext = rows_next,
	.xEof = rows_eof,
	.xColumn = rows_column,
	.xRowid = rows_rowid,
};

/*
 * The events groups' rows have a module of their own, load_events
 * (?1 the same struct load_rows, its ctx the load): its cursor keeps
 * the row it is on and reads each cell straight from it, where
 * load_rows' went through the group's callback, which found the row
 * again for every cell (17 cells an event on high-cardinality CSV: 28
 * instructions a cell in the two calls, ~11 in this one).
 */
static int events_filter(sqlite3_vtab_cursor *cur, int idx, const char *idxs, int argc, sqlite3_value **argv)
{
	struct rows_cursor *c = (struct rows_cursor *)cur;
	rows_filter(cur, idx, idxs, argc, argv);
	c->row = c->r ? ((const struct sqlite_load *)c->r->ctx)->evg : NULL;
	return SQLITE_OK;
}

static int events_next(sqlite3_vtab_cursor *cur)
{
	struct rows_cursor *c = (struct rows_cursor *)cur;
	c->i++;
	c->row++;
	return SQLITE_OK;
}

/* A cell of the events group: ev_row's parameters, v[col] unless NULL,
 * the record id (col 1) as stored in evg_rid */
static int events_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	const struct rows_cursor *c = (const struct rows_cursor *)cur;
	const struct ev_row *r = c->row;
	if (col == 1) {
		const struct sqlite_load *ld = c->r->ctx;
		sqlite3_result_text(ctx, ld->evg_rid + r->rid, (int)r->ridlen, SQLITE_STATIC);
	} else if (col < EV_COLS && !(r->null >> col & 1)) {
		sqlite3_result_int64(ctx, r->v[col]);
	}
	return SQLITE_OK;
}

static const sqlite3_module events_module = {
	.xConnect = rows_connect,
	.xBestIndex = rows_best_index,
	.xDisconnect = rows_disconnect,
	.xOpen = rows_open,
	.xClose = rows_close,
	.xFilter = events_filter,
	.xNext = events_next,
	.xEof = rows_eof,
	.xColumn = events_column,
	.xRowid = rows_rowid,
};

/* head SELECT select FROM module(?1) */
static int prepare_from(struct sqlite_load *ld, const char *head, const char *select, const char *module,
			sqlite3_stmt **q, char **cause)
{
	sqlite3 *db = store_db(ld->base.st);
	/* (once a load: a module of the same name is replaced) */
	if (!ld->rows_module &&
	    (sqlite3_create_module_v2(db, "load_rows", &rows_module, NULL, NULL) != SQLITE_OK ||
	     sqlite3_create_module_v2(db, "load_events", &events_module, NULL, NULL) != SQLITE_OK))
		return load_db_fail(ld, cause);
	ld->rows_module = true;
	char *sql = xasprintf("%s SELECT %s FROM %s(?1)", head, select, module);
	int r = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, q, NULL);
	free(sql);
	return r == SQLITE_OK ? 0 : load_db_fail(ld, cause);
}

int load_prepare_select(struct sqlite_load *ld, const char *head, const char *select, sqlite3_stmt **q,
			char **cause)
{
	return prepare_from(ld, head, select, "load_rows", q, cause);
}

int load_prepare_rows(struct sqlite_load *ld, const char *head, int ncol, sqlite3_stmt **q, char **cause)
{
	struct util_buf sel = { 0 };
	for (int i = 0; i < ncol; i++)
		util_buf_printf(&sel, "%sc%d", i ? ", " : "", i);
	int r = load_prepare_select(ld, head, util_buf_str(&sel), q, cause);
	util_buf_free(&sel);
	return r;
}

int load_insert_rows(struct sqlite_load *ld, sqlite3_stmt *q, const struct load_rows *rows, char **cause)
{
	sqlite3_bind_pointer(q, 1, (void *)rows, ROWS_PTR, NULL);
	int r = sqlite3_step(q);
	sqlite3_reset(q);
	return r == SQLITE_DONE ? 0 : load_group_failed(ld, cause);
}

/* A cell of a window's chunks (load_rows): pivots(col, val, seq, n,
 * lo, hi, data) */
static void chunk_cell(void *ctx, size_t row, int col, sqlite3_context *out)
{
	const struct pivot_chunk *c = (const struct pivot_chunk *)ctx + row;
	const int64_t v[6] = { c->col, c->val, c->seq, c->n, c->lo, c->hi };
	if (col < 6)
		sqlite3_result_int64(out, v[col]);
	else
		sqlite3_result_blob(out, c->data, (int)c->len, SQLITE_STATIC);
}

/*
 * A window's chunks go in as the events do, many in one statement run
 * from load_rows (OR FAIL: load_group_failed): one statement each cost
 * 12.5k instructions a chunk, 0.38 G of the writer's 3.27 G on 200k
 * high-cardinality CSV (30,140 chunks, most of them a new session's
 * single entry), half of it the statement's own run (its halt alone
 * 2.6k).
 */
int load_pivots_insert(void *ctx, const struct pivot_chunk *c, size_t n, char **cause)
{
	struct sqlite_load *ld = ctx;
	if (!ld->ins_pvg && load_prepare_rows(ld, "INSERT OR FAIL INTO pivots(col, val, seq, n, lo, hi, data)",
					      7, &ld->ins_pvg, cause) < 0)
		return -1;
	const struct load_rows rows = { n, (void *)c, chunk_cell };
	return load_insert_rows(ld, ld->ins_pvg, &rows, cause);
}

/*
 * The group's statement: load.c's ins_ev as INSERT OR FAIL (see
 * load_group_failed) from load_events, its id NULL. SQLite gives each row
 * the table's highest id + 1, which is the id the load gave it when the
 * group's ids follow the table's last row (ev_tail): an explicit id cost
 * each row a seek of the table from its root (OP_NotExists), as it did
 * the values (load_values.c): 1.12k instructions an event (callgrind,
 * 200k high-cardinality CSV: the events groups 1.73 -> 1.51 G).
 * A group whose ids do not follow (the load's first, one after a richer
 * copy deleted an event, ids a deleted event's block used) goes in row
 * by row with its ids, through ins_ev.
 *
 * The statement names every column of the table in the table's order:
 * SQLite then builds the row in the registers the SELECT wrote, where a
 * list in another order (ins_ev's) copied each of the 22 cells into
 * place first (OP_SCopy). A column NULL in every row of the group is
 * NULL in the statement's SELECT, and one of the same value in every
 * row (kind, flags, source: a load's file) a parameter bound once a
 * group: neither is a cell SQLite asks load_events for (each cell about a
 * hundred instructions: OP_VColumn, xColumn, the result's encoding). A
 * statement a shape (such columns), the last few kept (EVQ_N).
 * Measured (callgrind, 200k high-cardinality CSV, commits at fixed
 * events): the events groups 1,507 -> 1,349 M instructions in the
 * table's order (the NULL id's checks, OP_NotNull and OP_NotExists on
 * the row SQLite's OP_NewRowid just found last, cost less than the
 * copies), 1,321 M with the parameters; the writer 3,015 -> 2,829 M.
 */
/* ins_ev's column list: its names between "events(" and ") VALUES(" */
static bool ins_ev_list(struct sqlite_load *ld, const char **list, size_t *len)
{
	const char *one = sqlite3_sql(ld->ins_ev);
	const char *values = one ? strstr(one, ", id) VALUES(") : NULL;
	if (!values || strncmp(one, "INSERT INTO events(", 19) != 0)
		return false;
	*list = one + 19;
	*len = (size_t)(values + 4 - *list);
	return true;
}

/* The place of a name in a list of names separated by ", " (-1: none) */
static int list_index(const char *list, size_t len, const char *name)
{
	size_t n = strlen(name);
	int i = 0;
	for (const char *p = list, *end = list + len; p < end; i++) {
		const char *e = memmem(p, (size_t)(end - p), ", ", 2);
		if (!e)
			e = end;
		if ((size_t)(e - p) == n && memcmp(p, name, n) == 0)
			return i;
		p = e + 2;
	}
	return -1;
}

/* The table's columns in its order (PRAGMA table_info), each as its
 * parameter of ins_ev: ld->ev_order, and ld->ev_names their names as a
 * column list; none when a column is not among ins_ev's (the statement
 * then lists ins_ev's columns, in its order). */
static int read_ev_order(struct sqlite_load *ld, char **cause)
{
	const char *list;
	size_t len;
	if (!ins_ev_list(ld, &list, &len))
		return set_cause(cause, "%s: the events insert is not INSERT INTO events(..., id) VALUES(...)",
				 store_path(ld->base.st));
	ld->ev_ordered = true;
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(store_db(ld->base.st), "SELECT name FROM pragma_table_info('events', 'main')",
			       -1, &q, NULL) != SQLITE_OK)
		return load_db_fail(ld, cause);
	struct util_buf names = { 0 };
	int n = 0, r;
	bool all = true;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 0);
		int p = name ? list_index(list, len, name) : -1;
		if (p < 0 || n >= EV_COLS) {
			all = false;
			continue;
		}
		ld->ev_order[n++] = (int8_t)p;
		util_buf_printf(&names, "%s%s", n > 1 ? ", " : "", name);
	}
	sqlite3_finalize(q);
	if (r != SQLITE_DONE) {
		util_buf_free(&names);
		return load_db_fail(ld, cause);
	}
	if (all && n == EV_COLS)
		ld->ev_names = xstrdup(util_buf_str(&names));
	util_buf_free(&names);
	return 0;
}

/* The group's statement for the columns NULL in all its rows and those
 * of one value in all (bits of ev_row.null), prepared at its first use.
 * A load whose groups keep changing shape stops preparing more past
 * EVQ_PREPARES: its statement is then the one with every cell. */
#define EVQ_PREPARES 64
static int group_stmt(struct sqlite_load *ld, uint32_t nulls, uint32_t *samep, sqlite3_stmt **out, char **cause)
{
	if (!ld->ev_ordered && read_ev_order(ld, cause) < 0)
		return -1;
	uint32_t same = *samep;
	if (!ld->ev_names)
		nulls = same = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < EVQ_N; i++) {
			if (ld->evq[i].q && ld->evq[i].nulls == nulls && ld->evq[i].same == same) {
				*out = ld->evq[i].q;
				*samep = same;
				return 0;
			}
		}
		if (ld->evq_prepared < EVQ_PREPARES)
			break;
		nulls = same = 0;
	}
	ld->evq_prepared++;
	struct evq *e = &ld->evq[ld->evq_next++ % EVQ_N];
	sqlite3_finalize(e->q);
	e->q = NULL;
	struct util_buf sel = { 0 };
	char *head;
	if (ld->ev_names) {
		head = xasprintf("INSERT OR FAIL INTO events(%s)", ld->ev_names);
		for (int t = 0; t < EV_COLS; t++) {
			int p = ld->ev_order[t];
			if (p == EV_COLS - 1 || nulls & (uint32_t)1 << p)
				util_buf_printf(&sel, "%sNULL", t ? ", " : "");
			else if (same & (uint32_t)1 << p)
				util_buf_printf(&sel, "%s?%d", t ? ", " : "", p + 2);
			else
				util_buf_printf(&sel, "%sc%d", t ? ", " : "", p);
		}
	} else {
		const char *list;
		size_t len;
		ins_ev_list(ld, &list, &len);
		head = xasprintf("INSERT OR FAIL INTO events(%.*s)", (int)(len - 4), list);
		for (int i = 0; i < EV_COLS - 1; i++)
			util_buf_printf(&sel, "%sc%d", i ? ", " : "", i);
	}
	int r = prepare_from(ld, head, util_buf_str(&sel), "load_events", &e->q, cause);
	free(head);
	util_buf_free(&sel);
	e->nulls = nulls;
	e->same = same;
	*out = e->q;
	*samep = same;
	return r;
}

void load_groups_free(struct sqlite_load *ld)
{
	for (int i = 0; i < EVQ_N; i++)
		sqlite3_finalize(ld->evq[i].q);
	memset(ld->evq, 0, sizeof ld->evq);
	ld->evq_next = ld->evq_prepared = 0;
	free(ld->ev_names);
	ld->ev_names = NULL;
	ld->ev_ordered = false;
}

/* The group's rows one by one with their ids (flush_events says when). */
static int insert_each(struct sqlite_load *ld, size_t n, char **cause)
{
	sqlite3_stmt *q = ld->ins_ev;
	for (size_t i = 0; i < n; i++) {
		bind_row(ld, q, 0, &ld->evg[i]);
		int r = sqlite3_step(q);
		sqlite3_reset(q);
		if (r != SQLITE_DONE)
			return load_group_failed(ld, cause);
	}
	ld->ev_tail = ld->evg[n - 1].v[EV_COLS - 1];
	return 0;
}

/*
 * A group's statement inserts many rows: with the default ON CONFLICT
 * ABORT, SQLite keeps a statement journal for it, so that a failing row
 * undoes the rows before it, and copies into that journal every page the
 * statement touches that the transaction already had (a group of new
 * values touched up to 64 pages of vals_h, the values' index up to
 * schema 14: past 64 KB the journal went to a temporary file). The
 * groups insert OR FAIL instead, which keeps the rows before a failing
 * one; a failure (a full disk, an I/O error: no constraint can fail
 * here) rolls the whole transaction back, so that a load that stops
 * keeps only whole transactions (a rerun loads the rest, as after a
 * kill), never rows counted whose group did not go in.
 */
int load_group_failed(struct sqlite_load *ld, char **cause)
{
	load_db_fail(ld, cause);
	sqlite3 *db = store_db(ld->base.st);
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/*
 * At the load's first group, into a case without events: ev_ts runs
 * the way these rows do (store.c says why), newest first when more of
 * them go down in time than up. A later load in the other order costs
 * what every load into the mismatched index cost before.
 */
static int settle_ts_index(struct sqlite_load *ld, size_t n, char **cause)
{
	ld->ts_looked = true;
	size_t down = 0, up = 0;
	for (size_t i = 1; i < n; i++) {
		down += ld->evg[i].v[0] < ld->evg[i - 1].v[0];
		up += ld->evg[i].v[0] > ld->evg[i - 1].v[0];
	}
	if (down <= up)
		return 0;
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(store_db(ld->base.st), "SELECT 1 FROM events LIMIT 1", -1, &q, NULL) != SQLITE_OK)
		return load_db_fail(ld, cause);
	int r = sqlite3_step(q);
	sqlite3_finalize(q);
	if (r == SQLITE_ROW)
		return 0;
	if (r != SQLITE_DONE)
		return load_db_fail(ld, cause);
	return sqlite_ts_index_turn(ld->base.st, cause);
}

/* The events rows waiting in their group, without the values they name
 * (those wait for a group of their own: load_flush_rows). */
static int flush_events(struct sqlite_load *ld, char **cause)
{
	size_t n = ld->nevg;
	if (!n)
		return 0;
	if (!ld->ts_looked && settle_ts_index(ld, n, cause) < 0)
		return -1;
	ld->nevg = 0;
	int64_t first = ld->evg[0].v[EV_COLS - 1], last = ld->evg[n - 1].v[EV_COLS - 1];
	if (!ld->ev_tail || first != ld->ev_tail + 1 || last != first + (int64_t)n - 1)
		return insert_each(ld, n, cause);
	/* the columns NULL in every row, and those of one value in every
	 * row (mostly kind, flags and source); not for a few rows (a
	 * commit's or a drain's last), each of a shape of its own */
	const struct ev_row *r0 = &ld->evg[0];
	uint32_t nulls = UINT32_MAX, same = 0;
	for (size_t i = 0; i < n; i++)
		nulls &= ld->evg[i].null;
	if (n < EV_GROUP / 4)
		nulls = 0;
	for (int p = 0; p < EV_COLS - 1 && n >= EV_GROUP / 4; p++) {
		if (p == 1 || r0->null & (uint32_t)1 << p)
			continue;
		size_t i = 1;
		while (i < n && !(ld->evg[i].null & (uint32_t)1 << p) && ld->evg[i].v[p] == r0->v[p])
			i++;
		if (i == n)
			same |= (uint32_t)1 << p;
	}
	sqlite3_stmt *q;
	if (group_stmt(ld, nulls, &same, &q, cause) < 0)
		return -1;
	for (int p = 0; p < EV_COLS - 1; p++)
		if (same & (uint32_t)1 << p)
			sqlite3_bind_int64(q, p + 2, r0->v[p]);
	const struct load_rows rows = { n, ld, NULL }; /* (load_events reads ld->evg) */
	if (load_insert_rows(ld, q, &rows, cause) < 0)
		return -1;
	sqlite3 *db = store_db(ld->base.st);
	if (sqlite3_last_insert_rowid(db) != last) {
		load_group_failed(ld, NULL);
		return set_cause(cause, "%s: event %lld went in as %lld", store_path(ld->base.st),
				 (long long)last, (long long)sqlite3_last_insert_rowid(db));
	}
	ld->ev_tail = last;
	return 0;
}

/*
 * Before anything reads the events or the values (a duplicate's stored
 * copy, the caller after a drain, the commit): both groups in. Between
 * those, each group goes in when it is full, on its own: flushed
 * together at every full events group and at every batch's end, the
 * values went in a partial group (row by row) nearly every time, and
 * every batch's last events too (callgrind, 200k high-cardinality CSV:
 * 126,416 statements for 149,537 values, 27,818 for 199,808 events).
 */
int load_flush_rows(struct sqlite_load *ld, char **cause)
{
	return load_flush_vals(ld, cause) < 0 ? -1 : flush_events(ld, cause);
}

/* The next row of the group, its record id copied in (the item's batch
 * may be gone before the group is inserted). */
static struct ev_row *group_row(struct sqlite_load *ld, const struct item *it)
{
	if (!ld->nevg) {
		ld->evg_ridlen = 0;
		memset(ld->evg_fp, 0, sizeof ld->evg_fp);
	}
	struct ev_row *r = &ld->evg[ld->nevg++];
	char *tmp;
	struct sv rid = load_item_rid(it, &tmp);
	ld->evg_rid = xgrow(ld->evg_rid, &ld->evg_ridcap, ld->evg_ridlen + rid.n + 1, 1);
	if (rid.n)
		memcpy(ld->evg_rid + ld->evg_ridlen, rid.p, rid.n);
	r->rid = ld->evg_ridlen;
	r->ridlen = rid.n;
	ld->evg_ridlen += rid.n;
	free(tmp);
	r->null = 0;
	r->fp32 = load_ridmap_fp32(it->fp);
	ld->evg_fp[r->fp32 / 64 % EVG_FP_WORDS] |= (uint64_t)1 << r->fp32 % 64;
	return r;
}

/* Is a row with this fingerprint waiting in the group? A duplicate's
 * candidates are read from the table by id: the group goes in first.
 * (The rows read for every event: 39 M instructions of the writer's
 * 2,836 M, 200k high-cardinality CSV; with the bits, ~6% of events
 * read them.) */
static bool in_group(const struct sqlite_load *ld, uint64_t fp)
{
	uint32_t f = load_ridmap_fp32(fp);
	if (!ld->nevg || !(ld->evg_fp[f / 64 % EVG_FP_WORDS] & (uint64_t)1 << f % 64))
		return false;
	for (size_t i = 0; i < ld->nevg; i++)
		if (ld->evg[i].fp32 == f)
			return true;
	return false;
}

static void row_set(struct ev_row *r, int param, bool present, int64_t v)
{
	if (present)
		r->v[param - 1] = v;
	else
		r->null |= (uint32_t)1 << (param - 1);
}

static int write_event(struct sqlite_load *ld, const struct item *it, char **cause)
{
	if (load_txn_begin(ld, cause) < 0)
		return -1;
	const struct event *ev = &it->ev;
	struct sv msgjson = it->msgjson;
	int kind = ev->kind;
	uint64_t fp = it->fp;
	bool dup = false, replace = false;
	int64_t dup_id = 0, old_source = 0, old_line = 0;
	if (!ld->by_index && in_group(ld, fp) && load_flush_rows(ld, cause) < 0)
		return -1;
	if (!ld->by_index && load_is_dup(ld, it, &dup, &dup_id, cause) < 0)
		return -1;
	if (dup) {
		/* the stored copy's values are read: they must be in the table */
		bool conflict = false;
		if (load_flush_vals(ld, cause) < 0 || load_conflict(ld, dup_id, ev, &conflict, cause) < 0)
			return -1;
		if (conflict)
			return 0;
		if (load_merge_dup(ld, dup_id, ev, msgjson, &replace, &old_source, &old_line, cause) < 0)
			return -1;
		if (replace)
			ld->ev_tail = 0; /* (the stored copy deleted: maybe the last row) */
		ld->wc.records++;
		ld->wc.duplicates++;
		if (!replace)
			return 0;
	}
	int64_t ids[LOAD_NVALS];
	struct sv f[LOAD_NVALS];
	load_event_values(ev, f);
	int64_t *vids = ld->vids;
	const uint32_t *pvh = load_values_prefetched(ld, it);
	for (size_t i = 0; i < LOAD_NVALS; i++) {
		/* absent: load_value_id's 0, without the call (0.8M of its
		 * 1.2M calls on 200k high-cardinality CSV) */
		if (!f[i].p) {
			ids[i] = 0;
			continue;
		}
		/* a value the batch has had: its id (load_batch.c) */
		int64_t *known = it->vx[i] && vids ? &vids[it->vx[i] - 1] : NULL;
		if (known && *known) {
			ids[i] = *known;
			continue;
		}
		if (load_value_id(ld, f[i], it->vh[i], pvh ? pvh[i] : 0, &ids[i], cause) < 0)
			return -1;
		if (known)
			*known = ids[i];
	}
	if (!ld->last_id && read_last_id(ld, cause) < 0)
		return -1;
	/* the row's parameters, in the order of load.c's ins_ev */
	struct ev_row *row = group_row(ld, it);
	row_set(row, 1, true, ev->ts);
	for (int i = 0; i < 13; i++)
		row_set(row, i + 3, ids[i] != 0, ids[i]);
	for (int i = 13; i < LOAD_NVALS; i++) /* detail, host */
		row_set(row, i + 8, ids[i] != 0, ids[i]);
	row_set(row, 16, ev->op_count >= 0, ev->op_count);
	row_set(row, 17, true, ev->flags);
	row_set(row, 18, true, ld->source);
	row_set(row, 19, true, (int64_t)ev->line);
	row_set(row, 20, true, kind);
	row_set(row, 23, true, ld->last_id + 1);
	if (ld->by_index) {
		/* one row at a time: the unique index tells a duplicate by
		 * refusing the insert */
		sqlite3_stmt *q = ld->ins_ev;
		bind_row(ld, q, 0, row);
		ld->ev_tail = 0;
		ld->nevg = 0; /* the row is this statement's (its record id
			       * stays in evg_rid until the next row) */
		int r = sqlite3_step(q);
		sqlite3_reset(q);
		if (r == SQLITE_CONSTRAINT) {
			/* the stored copy's values are compared with this one's:
			 * they must be in the table */
			if (load_flush_vals(ld, cause) < 0)
				return -1;
			/* the unique index found the duplicate: which event it is */
			sqlite3_stmt *d = ld->sel_dup;
			load_bind_rid(d, 1, it);
			sqlite3_bind_int(d, 2, kind);
			r = sqlite3_step(d);
			dup_id = r == SQLITE_ROW ? sqlite3_column_int64(d, 0) : 0;
			sqlite3_reset(d);
			if (r != SQLITE_ROW && r != SQLITE_DONE)
				return load_db_fail(ld, cause);
			bool conflict = false;
			if (dup_id && load_conflict(ld, dup_id, ev, &conflict, cause) < 0)
				return -1;
			if (conflict)
				return 0;
			ld->wc.records++;
			ld->wc.duplicates++;
			if (!dup_id ||
			    load_merge_dup(ld, dup_id, ev, msgjson, &replace, &old_source, &old_line, cause) <
				    0 ||
			    !replace)
				return load_failed_merge(ld, cause);
			r = sqlite3_step(q); /* the bindings hold: insert the richer copy */
			sqlite3_reset(q);
		}
		if (r != SQLITE_DONE)
			return load_db_fail(ld, cause);
	} else if (ld->nevg == EV_GROUP && flush_events(ld, cause) < 0) {
		return -1;
	}
	{
		int64_t id = ++ld->last_id;
		if (load_ridx_add(ld, fp, id, replace ? dup_id : 0, cause) < 0)
			return -1;
		/* the unique index that replaces the fingerprint table is
		 * built over the rows inserted: the group's too */
		if (!ld->by_index && !load_ridmap_put(&ld->rids, fp, id) &&
		    (load_flush_rows(ld, cause) < 0 || load_ridmap_retire(ld, cause) < 0))
			return -1;
		if (replace && load_moved(ld, dup_id, id, old_source, old_line, cause) < 0)
			return -1;
		/* a full window is written a piece at a time beside the next
		 * events (pivots.c says why) */
		sqlite3 *db = store_db(ld->base.st);
		if (!pivot_window_room(ld->pv) && pivot_window_seal(ld->pv, db, cause) < 0)
			return -1;
		int64_t pv[PIVOT_NCOL];
		for (int c = 0; c < PIVOT_NCOL; c++)
			pv[c] = ids[pivot_field[c]];
		pivot_window_add_event(ld->pv, pv, ev->ts, id);
		if (pivot_window_pace(ld->pv, db, cause) < 0)
			return -1;
		struct sv list = ev->nmsgs ? msgjson : (struct sv){ 0 };
		if (load_blocks_append(ld, id, ev->raw, list, ev->nmsgs, cause) < 0)
			return -1;
	}
	if (!replace) {
		ld->wc.records++;
		ld->wc.events++;
	}
	if (ev->ts < ld->wc.first_ts)
		ld->wc.first_ts = ev->ts;
	if (ev->ts > ld->wc.last_ts)
		ld->wc.last_ts = ev->ts;
	if (++ld->pending >= ld->batch_events && !ld->flushing)
		return load_commit(ld, cause);
	return 0;
}

static int write_reject(struct sqlite_load *ld, uint64_t line, const char *why, const char *raw, size_t n,
			char **cause)
{
	if (load_txn_begin(ld, cause) < 0)
		return -1;
	sqlite3_stmt *q = ld->ins_rej;
	sqlite3_bind_int64(q, 1, ld->source);
	sqlite3_bind_int64(q, 2, (int64_t)line);
	sqlite3_bind_text(q, 3, why, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 4, raw ? raw : "", (int)n, SQLITE_STATIC);
	int r = sqlite3_step(q);
	sqlite3_reset(q);
	if (r != SQLITE_DONE)
		return load_db_fail(ld, cause);
	ld->wc.records++;
	if (sqlite3_changes(store_db(ld->base.st)))
		ld->wc.rejects++;
	else
		ld->wc.duplicates++;
	if (++ld->pending >= ld->batch_events)
		return load_commit(ld, cause);
	return 0;
}

/*
 * Administrative records (mailbox and tenant configuration, inbox rules,
 * permissions, Entra directory changes) are a few percent of a case, but
 * the hunts read their raw records, and spread among the mail-access
 * records they would sit in every compressed block: measured, the hunts
 * that read them decompressed the whole case (about a second each on a
 * million events). So the writer holds them back and inserts them
 * together at each commit: their ids are consecutive and their raw
 * records share a few blocks of their own.
 */
/* (which they are: load_batch.c, on the parser's thread) */

/* They are written as soon as they hold a raw block's worth (BLOCK_BYTES
 * of text), not only at the commit: their ids are consecutive in runs of
 * at least a block, whose blocks are their own as before; the batch
 * that holds them stays small (it grew with the transaction, up to 8 MB:
 * commits every 200,000 events took 1M high-cardinality CSV's peak RSS
 * from 61 to 72-75 MB, 59 MB with this); and writing them is not one
 * long stop of the writer at each commit (9 ms a commit on that load,
 * while the other threads waited behind it). */

/* Copy an administrative event out of its batch, to be written at the
 * commit (batches are freed as soon as they are written). The batch that
 * holds them is kept from one flush to the next, at the size it grew
 * to (a raw block's worth of text): freed and grown again by doubling at
 * every flush (items up to 2 MB, text up to 2 MB), it left holes in the
 * writer's malloc arena that its small allocations split, and the arena
 * grew by 2 MB at a time through a long load (malloc_info sampled
 * through a 10M-event load). */
static void defer(struct sqlite_load *ld, const struct item *it)
{
	if (!ld->deferred)
		ld->deferred = xcalloc(1, sizeof *ld->deferred);
	struct batch *d = ld->deferred;
	d->items = xgrow(d->items, &d->icap, d->n + 1, sizeof *d->items);
	struct item *n = &d->items[d->n++];
	*n = *it;
	memset(n->vx, 0, sizeof n->vx); /* (its batch's values are not these) */
#define X(name) n->ev.name = load_stash(d, it->ev.name);
	EVENT_TEXT_FIELDS(X)
#undef X
	n->ev.raw = load_stash(d, it->ev.raw);
	n->msgjson = load_stash(d, it->msgjson);
}

int load_flush_deferred(struct sqlite_load *ld, char **cause)
{
	struct batch *d = ld->deferred;
	if (!d || !d->n)
		return 0;
	ld->deferred = NULL; /* (a commit on the way finds nothing to flush) */
	load_batch_seal(d);
	load_blocks_flush(ld); /* the mail-access records gathered so far */
	ld->flushing = true;
	int rc = 0;
	for (size_t i = 0; i < d->n && rc == 0; i++)
		rc = write_event(ld, &d->items[i], cause);
	ld->flushing = false;
	load_blocks_flush(ld); /* and theirs: the events after them start a block */
	d->n = d->len = 0;
	ld->deferred = d;
	return rc < 0 ? rc : load_flush_rows(ld, cause);
}

/* How many items ahead the writer asks for the intern slots of their
 * values (load_values_prefetch) and the fingerprint table's memory of
 * their record ids; then, PREFETCH_MAP ahead, with those slots read by
 * now, the value map's for the values the slots do not hold. Measured
 * (perf, 1M high-cardinality CSV): load_ridmap_find had ~12% of the
 * writer's samples, 78% of them on the table's first slot. */
#define PREFETCH_AHEAD 4
#define PREFETCH_MAP 2

static int write_items(struct sqlite_load *ld, struct batch *b, char **cause);

int load_write_batch(struct sqlite_load *ld, struct batch *b, char **cause)
{
	if (b->nvals) {
		if (!ld->vids_mem)
			ld->vids_mem = xmalloc(BATCH_VALS * sizeof *ld->vids_mem);
		memset(ld->vids_mem, 0, b->nvals * sizeof *ld->vids_mem);
		ld->vids = ld->vids_mem;
	}
	int r = write_items(ld, b, cause);
	ld->vids = NULL;
	return r;
}

/*
 * An item and the texts the writer copies out of it (its raw record and
 * message list, into the raw block: put_entry; its values, which sit in
 * the raw record or right after it, hashed and copied), asked for ahead:
 * the parser's thread wrote them on the other core, and the writer
 * waited for them line by line where it first read them (perf, 200k
 * high-cardinality CSV, the writer's samples over three loads each:
 * memmove, all of it put_entry's copy, 1,852 -> 1,113;
 * load_values_prefetch, reading the item's hashes, 729 -> 431;
 * sqlite_val_hash 580 -> 473). The item PREFETCH_ITEM ahead (so that
 * load_values_prefetch finds it), its texts PREFETCH_AHEAD ahead, up to
 * PREFETCH_TEXT bytes each (a huge record is read where it is copied,
 * as before).
 */
#define PREFETCH_ITEM 8
#define PREFETCH_TEXT 4096
static inline void prefetch_item(const struct item *it)
{
	const char *p = (const char *)it;
	for (size_t k = 0; k < sizeof *it; k += 64)
		__builtin_prefetch(p + k);
}

static inline void prefetch_text(struct sv s)
{
	size_t n = s.n < PREFETCH_TEXT ? s.n : PREFETCH_TEXT;
	for (size_t k = 0; s.p && k < n; k += 64)
		__builtin_prefetch(s.p + k);
}

static int write_batch_items(struct sqlite_load *ld, struct batch *b, char **cause)
{
	for (size_t i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];
		int r;
		if (i + PREFETCH_ITEM < b->n)
			prefetch_item(&b->items[i + PREFETCH_ITEM]);
		if (i + PREFETCH_AHEAD < b->n && b->items[i + PREFETCH_AHEAD].type == ITEM_EVENT) {
			const struct item *a = &b->items[i + PREFETCH_AHEAD];
			prefetch_text(a->ev.raw);
			if (a->ev.nmsgs)
				prefetch_text(a->msgjson);
			load_values_prefetch(ld, a);
			if (!ld->by_index)
				load_ridmap_prefetch(&ld->rids, load_ridmap_fp32(a->fp));
		}
		if (i + PREFETCH_MAP < b->n && b->items[i + PREFETCH_MAP].type == ITEM_EVENT)
			load_values_prefetch_map(ld, &b->items[i + PREFETCH_MAP]);
		if (it->type == ITEM_EVENT && it->admin) {
			if (load_txn_begin(ld, cause) < 0) /* so that a commit comes */
				return -1;
			defer(ld, it);
			/* (a file of nothing but administrative records still
			 * commits as it goes) */
			if (++ld->pending >= ld->batch_events) {
				if (load_commit(ld, cause) < 0)
					return -1;
			} else if (ld->deferred->len >= BLOCK_BYTES && load_flush_deferred(ld, cause) < 0) {
				return -1;
			}
			continue;
		}
		if (it->type == ITEM_EVENT)
			r = write_event(ld, it, cause);
		else
			r = write_reject(ld, it->line, b->buf + it->why, b->buf + it->raw, it->rawlen, cause);
		if (r < 0)
			return -1;
		if (++ld->since_look >= 64) {
			ld->since_look = 0;
			if (load_yield(ld, false, cause) < 0)
				return -1;
		}
	}
	/* (the rows still in their groups wait for the next batch's: the
	 * caller that reads the events drains first, which inserts them) */
	/* publish the counts for the progress line, once a batch */
	pthread_mutex_lock(&ld->mu);
	ld->c = ld->wc;
	pthread_mutex_unlock(&ld->mu);
	/* keep the compressed blocks from piling up in memory */
	return load_blocks_collect(ld, false, cause);
}

/* The val_hashes load_values_prefetch_map keeps are by item, so they are
 * forgotten before and after a batch: another batch's items, or the
 * deferred ones, may come where these were. */
static int write_items(struct sqlite_load *ld, struct batch *b, char **cause)
{
	load_values_prefetch_reset(ld);
	int r = write_batch_items(ld, b, cause);
	load_values_prefetch_reset(ld);
	return r;
}

void *load_write_main(void *arg)
{
	struct sqlite_load *ld = arg;
	pthread_setname_np(pthread_self(), "as-writer");
	pthread_mutex_lock(&ld->mu);
	for (;;) {
		while (!ld->qhead && !ld->quit) {
			if (!ld->txn || ld->held || ld->error) {
				ld->parked = true;
				pthread_cond_wait(&ld->cv_work, &ld->mu);
				ld->parked = false;
				continue;
			}
			/* a transaction open and nothing to write (a slow
			 * stdin, a slow disk): committed after LOAD_IDLE_MS, so
			 * that nobody waits behind an idle load. The caller
			 * that released the connection less than that ago
			 * (load_release, say between two small sources) is not
			 * idle: the wait runs to LOAD_IDLE_MS after it. */
			int64_t wait_ms = LOAD_IDLE_MS, since = load_now_ms() - ld->released_ms;
			if (since >= 0 && since < LOAD_IDLE_MS)
				wait_ms = LOAD_IDLE_MS - since;
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += wait_ms / 1000; /* (LOAD_IDLE_MS may pass a second) */
			until.tv_nsec += wait_ms % 1000 * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			if (pthread_cond_timedwait(&ld->cv_work, &ld->mu, &until) != ETIMEDOUT || ld->qhead ||
			    ld->quit || ld->held || !ld->txn || load_now_ms() - ld->released_ms < LOAD_IDLE_MS)
				continue;
			ld->busy = true;
			pthread_mutex_unlock(&ld->mu);
			char *cause = NULL;
			int yr = load_yield(ld, true, &cause);
			pthread_mutex_lock(&ld->mu);
			if (yr < 0 && !ld->error) {
				ld->error = cause ? cause : xstrdup("commit failed");
				atomic_store(&ld->has_error, true);
			} else {
				free(cause);
			}
			ld->busy = false;
			pthread_cond_broadcast(&ld->cv_idle);
		}
		if (!ld->qhead)
			break;
		struct batch *b = ld->qhead;
		ld->qhead = b->next;
		if (!ld->qhead)
			ld->qtail = NULL;
		ld->qlen--;
		ld->qbytes -= b->weight;
		ld->busy = true;
		pthread_cond_signal(&ld->cv_space);
		bool failed = ld->error != NULL;
		pthread_mutex_unlock(&ld->mu);
		char *cause = NULL;
		if (!failed && load_write_batch(ld, b, &cause) < 0) {
			pthread_mutex_lock(&ld->mu);
			ld->error = cause ? cause : xstrdup("write failed");
			atomic_store(&ld->has_error, true);
			pthread_mutex_unlock(&ld->mu);
		}
		pthread_mutex_lock(&ld->mu);
		load_batch_recycle(ld, b);
		ld->busy = false;
		pthread_cond_broadcast(&ld->cv_idle);
	}
	pthread_mutex_unlock(&ld->mu);
	return NULL;
}
