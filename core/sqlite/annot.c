/*
 * annot.c: bookmarks, tags, notes and saved views (annot.h) written to the case's
 * marks, tags, notes and views tables.
 *
 * Every change is its own transaction, begun IMMEDIATE so that a writer
 * waiting on a concurrent load queues on the busy timeout instead of
 * failing half-way; the case runs in WAL with synchronous=NORMAL, where a
 * committed transaction survives the process dying (only a power loss can
 * take the last ones back).
 */
#define _GNU_SOURCE /* getpwuid_r via pwd.h under -std=c11 */
#include "annot.h"

#include <ctype.h>
#include <stdio.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "query.h"
#include "timeparse.h"
#include "xalloc.h"
#include "pending.h"
#include "sqlite_store.h"

#define TAG_MAX 200


static int db_fail(struct store *st, char **cause)
{
	return set_cause(cause, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
}

static sqlite3_stmt *prep(struct store *st, const char *sql, char **cause)
{
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(store_db(st), sql, -1, &q, NULL) != SQLITE_OK) {
		db_fail(st, cause);
		sqlite3_finalize(q);
		return NULL;
	}
	return q;
}

/* Run a statement that returns no rows; the number of rows it changed, or
 * -1. Resets it for the next binding. */
static int run(struct store *st, sqlite3_stmt *q, char **cause)
{
	int r = sqlite3_step(q);
	sqlite3_reset(q);
	if (r != SQLITE_DONE && r != SQLITE_ROW)
		return db_fail(st, cause);
	return sqlite3_changes(store_db(st));
}

static int exec(struct store *st, const char *sql, char **cause)
{
	char *err = NULL;
	if (sqlite3_exec(store_db(st), sql, NULL, NULL, &err) != SQLITE_OK) {
		set_cause(cause, "%s: %s", store_path(st), err ? err : sqlite3_errmsg(store_db(st)));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/*
 * A write transaction. Outside any transaction it is BEGIN IMMEDIATE (the
 * write lock up front, so the busy timeout applies), and the changes left
 * pending while a load held the case are applied first (pending.c);
 * inside a caller's own transaction a savepoint, so that an annotation
 * never commits someone else's half-done work. 1: a load holds the case:
 * the caller writes to the pending file instead.
 */
static int tx_begin(struct store *st, bool *nested, struct pend_hold **hold, char **cause)
{
	*hold = NULL;
	*nested = !sqlite3_get_autocommit(store_db(st));
	if (*nested)
		return exec(st, "SAVEPOINT annot", cause);
	/* While a load runs it holds the case nearly all the time, and for up
	 * to a second in each index build at its end: the case is taken if
	 * it is free this instant, else the change goes to the pending file
	 * (measured: a 50 ms wait first made one mark in six over 100 ms on
	 * a busy machine). Otherwise a writer (another analyst's) is waited
	 * for as ever. */
	bool load = store_load_running(st);
	if (!load)
		sqlite_store_want_write(st, true);
	int old = load ? sqlite_store_busy_ms(st, 0) : 0;
	char *why = NULL;
	int r = exec(st, "BEGIN IMMEDIATE", &why);
	if (load)
		sqlite_store_busy_ms(st, old);
	if (r < 0) {
		sqlite_store_want_write(st, false);
		if (load && sqlite3_errcode(store_db(st)) == SQLITE_BUSY) {
			free(why);
			return 1;
		}
		if (cause)
			*cause = why;
		else
			free(why);
		return -1;
	}
	free(why);
	if (pend_apply(st, hold, cause) < 0) {
		exec(st, "ROLLBACK", NULL);
		sqlite_store_want_write(st, false);
		return -1;
	}
	return 0;
}

static int tx_end(struct store *st, bool nested, struct pend_hold *hold, bool ok, char **cause)
{
	int rc = -1;
	/* no checkpoint in an analyst's commit while a load runs (the load's
	 * pages: measured 65 ms of syncs) or while the pending file is held */
	if (ok)
		rc = nested                           ? exec(st, "RELEASE annot", cause)
		     : hold || store_load_running(st) ? pend_commit_quiet(st, cause)
						      : exec(st, "COMMIT", cause);
	if (rc < 0)
		exec(st, nested ? "ROLLBACK TO annot; RELEASE annot" : "ROLLBACK", NULL);
	pend_done(hold, rc == 0);
	if (!nested)
		sqlite_store_want_write(st, false);
	return rc;
}

static char *dup_col(sqlite3_stmt *q, int i)
{
	const char *s = (const char *)sqlite3_column_text(q, i);
	return s ? xstrdup(s) : NULL;
}

/* The key of event row id: record id (caller frees) and kind. */
static int event_key(struct store *st, int64_t event, char **rid, int *kind, char **cause)
{
	sqlite3_stmt *q = prep(st, "SELECT rid_text(record_id), kind FROM events WHERE id = ?", cause);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, event);
	int r = sqlite3_step(q);
	if (r == SQLITE_ROW) {
		*rid = xstrdup((const char *)sqlite3_column_text(q, 0));
		*kind = sqlite3_column_int(q, 1);
		sqlite3_finalize(q);
		return 0;
	}
	if (r == SQLITE_DONE)
		set_cause(cause, "%s: no event %lld", store_path(st), (long long)event);
	else
		db_fail(st, cause);
	sqlite3_finalize(q);
	return -1;
}

/* The key of event row id, if there is such an event (caller frees). */
static bool event_key_quiet(struct store *st, int64_t event, char **rid, int *kind)
{
	sqlite3_stmt *q = prep(st, "SELECT rid_text(record_id), kind FROM events WHERE id = ?", NULL);
	bool found = false;
	if (!q)
		return false;
	sqlite3_bind_int64(q, 1, event);
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0)) {
		*rid = xstrdup((const char *)sqlite3_column_text(q, 0));
		*kind = sqlite3_column_int(q, 1);
		found = true;
	}
	sqlite3_finalize(q);
	return found;
}

/* What one event's change needs: who, when, and the statements, each
 * prepared when first used (a bookmark needs one of the seven). */
enum { W_MARK_INS, W_MARK_DEL, W_TAG_INS, W_TAG_DEL, W_NOTE_OWN, W_NOTE_DEL_OWN, W_NOTE_INS, W_N };

struct writer {
	struct store *st;
	char *author;
	char created[40];
	sqlite3_stmt *q[W_N]; /* writer_sql */
};

static const char *const writer_sql[W_N] = {
	"INSERT OR IGNORE INTO marks(record_id, kind, author, created) VALUES (rid_key(?1), ?2, ?3, ?4)",
	"DELETE FROM marks WHERE record_id = rid_key(?1) AND kind = ?2",
	"INSERT OR IGNORE INTO tags(record_id, kind, tag, author, created) VALUES (rid_key(?1), ?2, ?5, ?3, ?4)",
	"DELETE FROM tags WHERE record_id = rid_key(?1) AND kind = ?2 AND tag = ?5",
	"SELECT count(*), sum(text = ?5) FROM notes WHERE record_id = rid_key(?1) AND kind = ?2 AND author = ?3",
	"DELETE FROM notes WHERE record_id = rid_key(?1) AND kind = ?2 AND author = ?3",
	"INSERT INTO notes(record_id, kind, author, created, text) VALUES (rid_key(?1), ?2, ?3, ?4, ?5)",
};

static void writer_init(struct writer *w, struct store *st)
{
	memset(w, 0, sizeof *w);
	w->st = st;
	w->author = annot_author();
	annot_now(w->created, sizeof w->created);
}

static sqlite3_stmt *writer_stmt(struct writer *w, int which, char **cause)
{
	if (!w->q[which])
		w->q[which] = prep(w->st, writer_sql[which], cause);
	return w->q[which];
}

static void writer_free(struct writer *w)
{
	for (int i = 0; i < W_N; i++)
		sqlite3_finalize(w->q[i]);
	free(w->author);
}

/* Bind the common parameters: ?1 record id, ?2 kind, ?3 author, ?4 time,
 * ?5 the tag or the note. */
static void bind_key(struct writer *w, sqlite3_stmt *q, const char *rid, int kind, const char *arg)
{
	sqlite3_bind_text(q, 1, rid, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, kind);
	int np = sqlite3_bind_parameter_count(q);
	if (np >= 3)
		sqlite3_bind_text(q, 3, w->author, -1, SQLITE_STATIC);
	if (np >= 4)
		sqlite3_bind_text(q, 4, w->created, -1, SQLITE_STATIC);
	if (np >= 5)
		sqlite3_bind_text(q, 5, arg, -1, SQLITE_STATIC);
}

static int w_run(struct writer *w, int which, const char *rid, int kind, const char *arg, char **cause)
{
	sqlite3_stmt *q = writer_stmt(w, which, cause);
	if (!q)
		return -1;
	bind_key(w, q, rid, kind, arg);
	return run(w->st, q, cause);
}

/* The author's note: 1 written, 0 already just that, -1. */
static int w_note(struct writer *w, const char *rid, int kind, const char *text, char **cause)
{
	bool clear = !text || !*text;
	sqlite3_stmt *q = writer_stmt(w, W_NOTE_OWN, cause);
	if (!q)
		return -1;
	bind_key(w, q, rid, kind, clear ? "" : text);
	int64_t own = 0, same = 0;
	int r = sqlite3_step(q);
	if (r == SQLITE_ROW) {
		own = sqlite3_column_int64(q, 0);
		same = sqlite3_column_int64(q, 1);
	}
	sqlite3_reset(q);
	if (r != SQLITE_ROW)
		return db_fail(w->st, cause);
	if (clear ? own == 0 : own == 1 && same == 1)
		return 0;
	if (own && w_run(w, W_NOTE_DEL_OWN, rid, kind, NULL, cause) < 0)
		return -1;
	if (!clear && w_run(w, W_NOTE_INS, rid, kind, text, cause) < 0)
		return -1;
	return 1;
}


/* One single-event change: resolve, open the transaction, run fn. */
enum op { OP_MARK, OP_UNMARK, OP_TAG, OP_UNTAG, OP_NOTE };

static int is_marked_key(struct store *st, const char *rid, int kind, char **cause);

/* A change to one key while a load holds the case: into the pending
 * file. 1 changed, 0 already so (a bookmark), -1. */
static int single_pending(struct writer *w, const char *rid, int kind, enum op op, const char *arg, char **cause)
{
	static const int pop[] = {
		[OP_MARK] = PEND_MARK, [OP_UNMARK] = PEND_UNMARK, [OP_TAG] = PEND_TAG, [OP_UNTAG] = PEND_UNTAG, [OP_NOTE] = PEND_NOTE
	};
	int was = -1;
	if ((op == OP_MARK || op == OP_UNMARK) && (was = is_marked_key(w->st, rid, kind, cause)) < 0)
		return -1;
	if (was >= 0 && was == (op == OP_MARK))
		return 0;
	struct pend_key key = { rid, kind };
	struct pend_change ch = { pop[op], op == OP_NOTE && !arg ? "" : arg };
	return pend_add(w->st, &key, 1, &ch, 1, w->author, w->created, cause) < 0 ? -1 : 1;
}

static int single(struct store *st, int64_t event, enum op op, const char *arg, char **cause)
{
	char *rid = NULL;
	int kind;
	if (event_key(st, event, &rid, &kind, cause) < 0)
		return -1;
	struct writer w;
	bool nested;
	struct pend_hold *hold;
	int rc = -1;
	writer_init(&w, st);
	int tx = tx_begin(st, &nested, &hold, cause);
	if (tx < 0)
		goto out;
	if (tx > 0) {
		rc = single_pending(&w, rid, kind, op, arg, cause);
		goto out;
	}
	switch (op) {
	case OP_MARK: rc = w_run(&w, W_MARK_INS, rid, kind, NULL, cause); break;
	case OP_UNMARK: rc = w_run(&w, W_MARK_DEL, rid, kind, NULL, cause); break;
	case OP_TAG: rc = w_run(&w, W_TAG_INS, rid, kind, arg, cause); break;
	case OP_UNTAG: rc = w_run(&w, W_TAG_DEL, rid, kind, arg, cause); break;
	case OP_NOTE: rc = w_note(&w, rid, kind, arg, cause); break;
	}
	if (tx_end(st, nested, hold, rc >= 0, cause) < 0)
		rc = -1;
	else
		rc = rc > 0;
out:
	writer_free(&w);
	free(rid);
	return rc;
}

int sqlite_annot_mark(struct store *st, int64_t event, bool on, char **cause)
{
	return single(st, event, on ? OP_MARK : OP_UNMARK, NULL, cause);
}

/* Marked, as the case and the pending changes say: 1, 0, -1 error. */
static int is_marked_key(struct store *st, const char *rid, int kind, char **cause)
{
	int mark;
	bool tag, note;
	pend_state(st, rid, kind, &mark, &tag, &note);
	if (mark >= 0)
		return mark;
	sqlite3_stmt *q =
		prep(st, "SELECT EXISTS(SELECT 1 FROM marks WHERE record_id = rid_key(?1) AND kind = ?2)",
		     cause);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, rid, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, kind);
	int rc = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : db_fail(st, cause);
	sqlite3_finalize(q);
	return rc;
}

int sqlite_annot_is_marked(struct store *st, int64_t event, char **cause)
{
	char *rid;
	int kind;
	if (event_key_quiet(st, event, &rid, &kind)) {
		int rc = is_marked_key(st, rid, kind, cause);
		free(rid);
		return rc;
	}
	sqlite3_stmt *q = prep(st,
			       "SELECT EXISTS(SELECT 1 FROM events e JOIN marks m "
			       "ON m.record_id = e.record_id AND m.kind = e.kind WHERE e.id = ?)",
			       cause);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, event);
	int rc = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : db_fail(st, cause);
	sqlite3_finalize(q);
	return rc;
}

int sqlite_annot_markers(struct store *st, const int64_t *events, size_t n, unsigned char *out, char **cause)
{
	if (!n)
		return 0;
	sqlite3_stmt *q =
		prep(st,
		     "SELECT EXISTS(SELECT 1 FROM marks m WHERE m.record_id = e.record_id AND m.kind = e.kind),"
		     " EXISTS(SELECT 1 FROM tags g WHERE g.record_id = e.record_id AND g.kind = e.kind),"
		     " EXISTS(SELECT 1 FROM notes n WHERE n.record_id = e.record_id AND n.kind = e.kind),"
		     " rid_text(e.record_id), e.kind FROM events e WHERE e.id = ?1",
		     cause);
	if (!q)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		out[i] = 0;
		sqlite3_bind_int64(q, 1, events[i]);
		int step = sqlite3_step(q);
		if (step == SQLITE_ROW) {
			out[i] |= sqlite3_column_int(q, 0) ? ANNOT_HAS_MARK : 0;
			out[i] |= sqlite3_column_int(q, 1) ? ANNOT_HAS_TAG : 0;
			out[i] |= sqlite3_column_int(q, 2) ? ANNOT_HAS_NOTE : 0;
			/* what a load's index build has kept pending */
			int mark;
			bool tag, note;
			const char *rid = (const char *)sqlite3_column_text(q, 3);
			if (rid) {
				pend_state(st, rid, sqlite3_column_int(q, 4), &mark, &tag, &note);
				if (mark >= 0)
					out[i] = (unsigned char)((out[i] & ~ANNOT_HAS_MARK) |
								 (mark ? ANNOT_HAS_MARK : 0));
				out[i] |= (tag ? ANNOT_HAS_TAG : 0) | (note ? ANNOT_HAS_NOTE : 0);
			}
		} else if (step != SQLITE_DONE) {
			rc = db_fail(st, cause);
			break;
		}
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	return rc;
}


int sqlite_annot_tag_add(struct store *st, int64_t event, const char *tag, char **cause)
{
	char *t = annot_tag_clean(tag, cause);
	if (!t)
		return -1;
	int rc = single(st, event, OP_TAG, t, cause);
	free(t);
	return rc;
}

int sqlite_annot_tag_remove(struct store *st, int64_t event, const char *tag, char **cause)
{
	char *t = annot_tag_clean(tag, cause);
	if (!t)
		return -1;
	int rc = single(st, event, OP_UNTAG, t, cause);
	free(t);
	return rc;
}

int sqlite_annot_note_set(struct store *st, int64_t event, const char *text, char **cause)
{
	return single(st, event, OP_NOTE, text, cause);
}

/* A note removed by its id while a load holds the case: into the
 * pending file. 1, 0 no such note, -1. */
static int note_delete_pending(struct store *st, int64_t note_id, char **cause)
{
	sqlite3_stmt *q = prep(st, "SELECT rid_text(record_id), kind FROM notes WHERE id = ?", cause);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, note_id);
	int r = sqlite3_step(q), rc = 0;
	if (r == SQLITE_ROW && sqlite3_column_text(q, 0)) {
		char id[24], created[40];
		snprintf(id, sizeof id, "%lld", (long long)note_id);
		annot_now(created, sizeof created);
		char *author = annot_author();
		struct pend_row row = { PEND_NOTE_DEL,
					(const char *)sqlite3_column_text(q, 0),
					sqlite3_column_int(q, 1),
					id,
					author,
					created };
		rc = pend_add_rows(st, &row, 1, cause) < 0 ? -1 : 1;
		free(author);
	} else if (r != SQLITE_DONE && r != SQLITE_ROW) {
		rc = db_fail(st, cause);
	}
	sqlite3_finalize(q);
	return rc;
}

int sqlite_annot_note_delete(struct store *st, int64_t note_id, char **cause)
{
	bool nested;
	struct pend_hold *hold;
	int tx = tx_begin(st, &nested, &hold, cause);
	if (tx < 0)
		return -1;
	if (tx > 0)
		return note_delete_pending(st, note_id, cause);
	sqlite3_stmt *q = prep(st, "DELETE FROM notes WHERE id = ?", cause);
	int rc = -1;
	if (q) {
		sqlite3_bind_int64(q, 1, note_id);
		rc = run(st, q, cause);
		sqlite3_finalize(q);
	}
	if (tx_end(st, nested, hold, rc >= 0, cause) < 0)
		return -1;
	return rc > 0;
}


int sqlite_annot_get(struct store *st, int64_t event, struct annot_info **out, char **cause)
{
	char *rid;
	int kind;
	if (event_key(st, event, &rid, &kind, cause) < 0)
		return -1;
	int rc = sqlite_annot_get_key(st, rid, kind, out, cause);
	free(rid);
	return rc;
}


/* Run one statement of annot_apply with its own values bound: ?1
 * author, ?2 time, ?3 tag, ?4 note. Rows changed, or -1. */
static int apply_sql(struct store *st, const char *sql, const char *author, const char *created,
		     const char *tag, const char *note, int64_t *count, char **cause)
{
	sqlite3_stmt *q = prep(st, sql, cause);
	if (!q)
		return -1;
	int np = sqlite3_bind_parameter_count(q);
	const char *v[] = { author, created, tag, note };
	for (int i = 0; i < np && i < 4; i++)
		sqlite3_bind_text(q, i + 1, v[i], -1, SQLITE_STATIC);
	int r = sqlite3_step(q), rc;
	if (r == SQLITE_ROW && count)
		*count = sqlite3_column_int64(q, 0);
	rc = r == SQLITE_ROW || r == SQLITE_DONE ? sqlite3_changes(store_db(st)) : db_fail(st, cause);
	sqlite3_finalize(q);
	return rc;
}

/*
 * The matching keys go to a temporary table first, so that a filter that
 * reads the annotations themselves ("marked", "tag=x") sees them as they
 * were, and so that each change is one set-wise statement: a million
 * events are marked in seconds, not in a million round trips.
 */
static int no_rows(void *ctx, sqlite3_stmt *s)
{
	(void)ctx;
	(void)s;
	return 0;
}

#define SEL_HAS(tbl, extra) \
	"EXISTS(SELECT 1 FROM " tbl " x WHERE x.record_id = s.record_id AND x.kind = s.kind" extra ")"
#define OWN_NOTE_IS_TEXT                                                                           \
	"(SELECT count(*) = 1 AND sum(text = ?4) = 1 FROM notes x WHERE x.record_id = s.record_id" \
	" AND x.kind = s.kind AND x.author = ?1)"

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Fill annot_sel with the keys of the given row ids, each once. */
static int select_ids(struct store *st, const int64_t *events, size_t n, char **cause)
{
	sqlite3_stmt *q =
		prep(st, "INSERT INTO annot_sel SELECT record_id, kind FROM events WHERE id = ?", cause);
	if (!q)
		return -1;
	int64_t *ids = xmalloc((n ? n : 1) * sizeof *ids);
	if (n)
		memcpy(ids, events, n * sizeof *ids);
	qsort(ids, n, sizeof *ids, cmp_i64);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i && ids[i] == ids[i - 1])
			continue;
		sqlite3_bind_int64(q, 1, ids[i]);
		rc = run(st, q, cause) < 0 ? -1 : 0;
	}
	free(ids);
	sqlite3_finalize(q);
	return rc;
}

/* Fill annot_sel with the keys of the events the filter matches. */
static int select_filter(struct store *st, struct query *qy, char **cause)
{
	struct query_source src;
	query_sql_source(qy, &src);
	char *sql = xasprintf("INSERT INTO annot_sel SELECT e.record_id, e.kind FROM %s WHERE %s", src.from,
			      src.where);
	sqlite3_stmt *sel = prep(st, sql, cause);
	free(sql);
	int rc = sel && query_sql_bind(qy, sel) == SQLITE_OK && query_sql_run(qy, sel, no_rows, NULL, cause) == 0
			 ? 0
			 : -1;
	sqlite3_finalize(sel);
	return rc;
}

/* annot_apply and annot_apply_events: the events of qy, or of ids. */
static int apply(struct store *st, struct query *qy, const int64_t *events, size_t nevents,
		 const struct annot_action *a, struct annot_result *res, char **cause)
{
	res->matched = res->changed = 0;
	if (a->unmark && a->note)
		return set_cause(cause,
				 "mark: a note cannot be removed with --unmark; set an empty note instead");
	char *tag = NULL;
	if (a->tag && !(tag = annot_tag_clean(a->tag, cause)))
		return -1;
	const char *note = a->note && *a->note ? a->note : NULL;
	bool clear_note = a->note && !*a->note;
	char *author = annot_author(), created[40];
	annot_now(created, sizeof created);
	bool nested = false, in_tx = false, pending = false;
	struct pend_hold *hold = NULL;
	int rc = -1;
	int tx = tx_begin(st, &nested, &hold, cause);
	if (tx < 0)
		goto out;
	/* a load holds the case: the keys are chosen as ever (reading needs
	 * no lock), the changes go to the pending file */
	pending = tx > 0;
	in_tx = !pending;
	if (exec(st,
		 "CREATE TEMP TABLE IF NOT EXISTS annot_sel(record_id TEXT NOT NULL, kind INTEGER NOT NULL);"
		 "DELETE FROM annot_sel",
		 cause) < 0)
		goto out;
	if ((qy ? select_filter(st, qy, cause) : select_ids(st, events, nevents, cause)) < 0)
		goto out;
	char *sql;
	if (apply_sql(st, "SELECT count(*) FROM annot_sel", NULL, NULL, NULL, NULL, &res->matched, cause) < 0)
		goto out;

	/* what will change, counted before changing it */
	char *cond;
	if (a->unmark)
		cond = xstrdup(tag ? SEL_HAS("tags", " AND x.tag = ?3") : SEL_HAS("marks", ""));
	else
		cond = xasprintf("NOT " SEL_HAS("marks", "") "%s%s",
				 tag ? " OR NOT " SEL_HAS("tags", " AND x.tag = ?3") : "",
				 note         ? " OR NOT " OWN_NOTE_IS_TEXT
				 : clear_note ? " OR " SEL_HAS("notes", " AND x.author = ?1")
					      : "");
	sql = xasprintf("SELECT count(*) FROM annot_sel s WHERE %s", cond);
	free(cond);
	int r = apply_sql(st, sql, author, created, tag, note, &res->changed, cause);
	free(sql);
	if (r < 0)
		goto out;

	static const char *const del_mark =
		"DELETE FROM marks WHERE (record_id, kind) IN (SELECT record_id, kind FROM annot_sel)";
	static const char *const del_tag =
		"DELETE FROM tags WHERE tag = ?3 AND (record_id, kind) IN (SELECT record_id, kind FROM annot_sel)";
	static const char *const ins_mark = "INSERT OR IGNORE INTO marks(record_id, kind, author, created)"
					    " SELECT record_id, kind, ?1, ?2 FROM annot_sel";
	static const char *const ins_tag = "INSERT OR IGNORE INTO tags(record_id, kind, tag, author, created)"
					   " SELECT record_id, kind, ?3, ?1, ?2 FROM annot_sel";
	/* the author's own notes that are not already exactly this text */
	static const char *const del_note =
		"DELETE FROM notes WHERE author = ?1 AND (record_id, kind) IN"
		" (SELECT record_id, kind FROM annot_sel s WHERE NOT " OWN_NOTE_IS_TEXT ")";
	static const char *const del_all_own =
		"DELETE FROM notes WHERE author = ?1 AND (record_id, kind) IN (SELECT record_id, kind FROM annot_sel)";
	static const char *const ins_note =
		"INSERT INTO notes(record_id, kind, author, created, text)"
		" SELECT record_id, kind, ?1, ?2, ?4 FROM annot_sel s WHERE NOT " SEL_HAS("notes",
											  " AND x.author = ?1");
	if (pending) {
		rc = pend_add_selected(st, a->unmark, tag, note, clear_note, author, created, cause);
		goto out;
	}
	const char *steps[4];
	size_t n = 0;
	if (a->unmark) {
		steps[n++] = tag ? del_tag : del_mark;
	} else {
		steps[n++] = ins_mark;
		if (tag)
			steps[n++] = ins_tag;
		if (note) {
			steps[n++] = del_note;
			steps[n++] = ins_note;
		} else if (clear_note) {
			steps[n++] = del_all_own;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (apply_sql(st, steps[i], author, created, tag, note, NULL, cause) < 0)
			goto out;
	rc = 0;
out:
	if (in_tx || pending)
		exec(st, "DROP TABLE IF EXISTS temp.annot_sel", NULL);
	if (in_tx && tx_end(st, nested, hold, rc == 0, cause) < 0)
		rc = -1;
	free(author);
	free(tag);
	if (rc < 0)
		res->matched = res->changed = 0;
	return rc;
}

int sqlite_annot_apply(struct store *st, const char *filter, const struct annot_action *a,
		       struct annot_result *res, char **cause)
{
	struct query *qy = NULL;
	res->matched = res->changed = 0;
	if (query_new(st, filter, &qy, cause) < 0 || query_prepare(qy, cause) < 0) {
		query_free(qy);
		return -1;
	}
	int rc = apply(st, qy, NULL, 0, a, res, cause);
	query_free(qy);
	return rc;
}

int sqlite_annot_apply_events(struct store *st, const int64_t *events, size_t n, const struct annot_action *a,
			      struct annot_result *res, char **cause)
{
	return apply(st, NULL, events, n, a, res, cause);
}

/* A view's fields as the pending file keeps them: JSON {f, s, c}
 * (caller frees). Asks SQLite, which needs no lock for it. */
static char *view_json(struct store *st, const char *filter, const char *sort, const char *columns, char **cause)
{
	sqlite3_stmt *q = prep(st, "SELECT json_object('f', ?1, 's', ?2, 'c', ?3)", cause);
	if (!q)
		return NULL;
	sqlite3_bind_text(q, 1, filter ? filter : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, sort, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, columns, -1, SQLITE_STATIC);
	char *j = sqlite3_step(q) == SQLITE_ROW ? dup_col(q, 0) : NULL;
	if (!j)
		db_fail(st, cause);
	sqlite3_finalize(q);
	return j;
}

int sqlite_annot_view_save(struct store *st, const char *name, const char *filter, const char *sort,
			   const char *columns, char **cause)
{
	if (!name || !*name)
		return set_cause(cause, "view: a view needs a name");
	char *author = annot_author();
	char now[40];
	annot_now(now, sizeof now);
	bool nested;
	struct pend_hold *hold;
	int rc = -1;
	int tx = tx_begin(st, &nested, &hold, cause);
	if (tx > 0) { /* a load holds the case */
		char *j = view_json(st, filter, sort, columns, cause);
		struct pend_row row = { PEND_VIEW, name, 0, j, author, now };
		rc = j && pend_add_rows(st, &row, 1, cause) == 0 ? 1 : -1;
		free(j);
	} else if (tx == 0) {
		sqlite3_stmt *q =
			prep(st,
			     "INSERT OR REPLACE INTO views(name, filter, sort, columns, author, created)"
			     " VALUES (?, ?, ?, ?, ?, ?)",
			     cause);
		if (q) {
			sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 2, filter ? filter : "", -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 3, sort, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 4, columns, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 5, author, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 6, now, -1, SQLITE_STATIC);
			rc = run(st, q, cause) < 0 ? -1 : 1;
			sqlite3_finalize(q);
		}
		if (tx_end(st, nested, hold, rc > 0, cause) < 0)
			rc = -1;
	}
	free(author);
	return rc;
}

int sqlite_annot_view_delete(struct store *st, const char *name, char **cause)
{
	bool nested;
	struct pend_hold *hold;
	int tx = tx_begin(st, &nested, &hold, cause);
	if (tx < 0)
		return -1;
	if (tx > 0) { /* a load holds the case: there, removed once applied */
		struct annot_view *v = NULL;
		int there = sqlite_annot_view_get(st, name, &v, cause);
		annot_view_free(v);
		if (there <= 0)
			return there;
		char *author = annot_author(), now[40];
		annot_now(now, sizeof now);
		struct pend_row row = { PEND_VIEW_DEL, name, 0, NULL, author, now };
		int rc = pend_add_rows(st, &row, 1, cause) < 0 ? -1 : 1;
		free(author);
		return rc;
	}
	sqlite3_stmt *q = prep(st, "DELETE FROM views WHERE name = ?", cause);
	int rc = -1;
	if (q) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		rc = run(st, q, cause);
		sqlite3_finalize(q);
	}
	if (tx_end(st, nested, hold, rc >= 0, cause) < 0)
		return -1;
	return rc > 0;
}
