/*
 * side.c: the SQLite case file beside a ClickHouse database
 * (clickhouse/ch.h).
 *
 * It is an ordinary auditscope case file: the SQLite store opens it and
 * answers annotations, saved views and state from it, as for any case.
 * Its events table holds only the keys (id, ts, record id, kind) of the
 * events an annotation was made on, so that the SQLite store's joins from
 * marks, tags and notes to events work; sources, rejects and seen hold
 * the load's provenance as they do in a case file. ClickHouse has no
 * transactions and no DELETE worth the name: what must be exact and
 * per analyst stays here.
 *
 * It lives in core/sqlite/ because it speaks SQLite; the ClickHouse store
 * (core/clickhouse/) calls it through ch.h.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clickhouse/ch.h"
#include "sqlite_store.h"
#include "xalloc.h"

static int run1(struct store *side, sqlite3_stmt *q, char **cause)
{
	int r = sqlite3_step(q);
	sqlite3_finalize(q);
	return r == SQLITE_DONE || r == SQLITE_ROW ? 0 : sqlite_fail(side, cause);
}

int ch_side_begin(struct store *side, char **cause)
{
	return sqlite_exec(side, "BEGIN IMMEDIATE", cause);
}

int ch_side_commit(struct store *side, char **cause)
{
	return sqlite_exec(side, "COMMIT", cause);
}

void ch_side_rollback(struct store *side)
{
	sqlite_exec(side, "ROLLBACK", NULL);
}

int ch_side_source_new(struct store *side, const char *path, int64_t bytes, int64_t *id, char **cause)
{
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
	sqlite3_stmt *q =
		sqlite_prep(side, "INSERT INTO sources(path, bytes, loaded_at, status) VALUES(?,?,?,'loading')",
			    cause);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, path, -1, SQLITE_TRANSIENT);
	if (bytes >= 0)
		sqlite3_bind_int64(q, 2, bytes);
	sqlite3_bind_text(q, 3, now, -1, SQLITE_TRANSIENT);
	if (run1(side, q, cause) < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(store_db(side));
	return 0;
}

int ch_side_source_counts(struct store *side, int64_t id, const struct store_counts *c, char **cause)
{
	sqlite3_stmt *q =
		sqlite_prep(side,
			    "UPDATE sources SET records=?, events=?, duplicates=?, rejects=?, first_ts=?,"
			    " last_ts=? WHERE id=?",
			    cause);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, (int64_t)c->records);
	sqlite3_bind_int64(q, 2, (int64_t)c->events);
	sqlite3_bind_int64(q, 3, (int64_t)c->duplicates);
	sqlite3_bind_int64(q, 4, (int64_t)c->rejects);
	if (c->events) {
		sqlite3_bind_int64(q, 5, c->first_ts);
		sqlite3_bind_int64(q, 6, c->last_ts);
	}
	sqlite3_bind_int64(q, 7, id);
	return run1(side, q, cause);
}

int ch_side_source_bytes(struct store *side, int64_t id, int64_t bytes, char **cause)
{
	sqlite3_stmt *q = sqlite_prep(side, "UPDATE sources SET bytes=? WHERE id=?", cause);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, bytes);
	sqlite3_bind_int64(q, 2, id);
	return run1(side, q, cause);
}

int ch_side_source_end(struct store *side, int64_t id, const char *sha256, const char *format,
		       const char *encoding, const char *status, const char *warning, char **cause)
{
	sqlite3_stmt *q =
		sqlite_prep(side,
			    "UPDATE sources SET sha256=?, format=?, encoding=?, status=?, warning=? WHERE id=?",
			    cause);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, sha256, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, format, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 3, encoding, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 4, status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 5, warning, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 6, id);
	return run1(side, q, cause);
}

int ch_side_reject(struct store *side, int64_t source, int64_t line, const char *why, const char *raw,
		   size_t n, char **cause)
{
	/* a row already kept (the same file loaded again: a source of the
	 * same path) is a duplicate; the same row of another file is its own */
	sqlite3_stmt *q =
		sqlite_prep(side,
			    "INSERT INTO rejects(source, line, reason, raw) SELECT ?1, ?2, ?3, ?4"
			    " WHERE NOT EXISTS(SELECT 1 FROM rejects r JOIN sources s ON s.id = r.source"
			    " WHERE r.line = ?2 AND r.raw = ?4"
			    " AND s.path = (SELECT path FROM sources WHERE id = ?1))",
			    cause);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, source);
	sqlite3_bind_int64(q, 2, line);
	sqlite3_bind_text(q, 3, why, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(q, 4, raw ? raw : "", (int)n, SQLITE_TRANSIENT);
	if (run1(side, q, cause) < 0)
		return -1;
	return sqlite3_changes(store_db(side)) > 0;
}

int ch_side_seen(struct store *side, int64_t event, int64_t source, int64_t line, int64_t raw, char **cause)
{
	sqlite3_stmt *q =
		sqlite_prep(side, "INSERT INTO seen(event, source, line, raw) VALUES(?,?,?,?)", cause);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, event);
	sqlite3_bind_int64(q, 2, source);
	sqlite3_bind_int64(q, 3, line);
	if (raw)
		sqlite3_bind_int64(q, 4, raw);
	else
		sqlite3_bind_null(q, 4);
	return run1(side, q, cause);
}

int ch_side_missing(struct store *side, const int64_t *ids, size_t n, struct util_ivec *missing, char **cause)
{
	sqlite3_stmt *q = sqlite_prep(side, "SELECT 1 FROM events WHERE id = ?", cause);
	if (!q)
		return -1;
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_int64(q, 1, ids[i]);
		if (sqlite3_step(q) != SQLITE_ROW)
			util_ivec_push(missing, ids[i]);
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	return 0;
}

int ch_side_put_event(struct store *side, int64_t id, int64_t ts, const char *rid, size_t n, int kind,
		      char **cause)
{
	sqlite3_stmt *q =
		sqlite_prep(side,
			    "INSERT OR REPLACE INTO events(id, ts, record_id, kind, flags, source, line)"
			    " VALUES(?1, ?2, rid_key(?3), ?4, 0, 0, 0)",
			    cause);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, ts);
	sqlite3_bind_text(q, 3, rid, (int)n, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 4, kind);
	return run1(side, q, cause);
}

void ch_tsv(struct util_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		switch (c) {
		case '\t': util_buf_add(b, "\\t", 2); break;
		case '\n': util_buf_add(b, "\\n", 2); break;
		case '\r': util_buf_add(b, "\\r", 2); break;
		case '\\': util_buf_add(b, "\\\\", 2); break;
		case '\0': util_buf_add(b, "\\0", 2); break;
		default: util_buf_putc(b, c);
		}
	}
}

static int keys_of(struct store *side, const char *sql, const char *arg, struct util_buf *out, size_t *count,
		   char **cause)
{
	sqlite3_stmt *q = sqlite_prep(side, sql, cause);
	if (!q)
		return -1;
	if (arg)
		sqlite3_bind_text(q, 1, arg, -1, SQLITE_TRANSIENT);
	int r;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		ch_tsv(out, (const char *)sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0));
		util_buf_printf(out, "\t%d\n", sqlite3_column_int(q, 1));
		if (count)
			(*count)++;
	}
	sqlite3_finalize(q);
	return r == SQLITE_DONE ? 0 : sqlite_fail(side, cause);
}

int ch_side_orphan_keys(struct store *side, struct util_buf *out, size_t *count, char **cause)
{
	*count = 0;
	return keys_of(side,
		       "SELECT rid_text(record_id), kind FROM (SELECT record_id, kind FROM marks"
		       " UNION SELECT record_id, kind FROM tags"
		       " UNION SELECT record_id, kind FROM notes) k"
		       " WHERE NOT EXISTS(SELECT 1 FROM events e WHERE e.record_id = k.record_id AND e.kind = k.kind)",
		       NULL, out, count, cause);
}

int ch_side_annot_keys(struct store *side, const char *tag, struct util_buf *out, char **cause)
{
	return keys_of(side,
		       !tag   ? "SELECT rid_text(record_id), kind FROM marks"
		       : *tag ? "SELECT rid_text(record_id), kind FROM tags WHERE tag = ?1 COLLATE NOCASE"
			      : "SELECT DISTINCT rid_text(record_id), kind FROM tags",
		       tag && *tag ? tag : NULL, out, NULL, cause);
}

int ch_side_sources(struct store *side, struct util_imap *ids, struct util_svec *paths, char **cause)
{
	sqlite3_stmt *q = sqlite_prep(side, "SELECT id, path FROM sources", cause);
	if (!q)
		return -1;
	while (sqlite3_step(q) == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_text(q, 1);
		int64_t id = sqlite3_column_int64(q, 0);
		if (id <= 0)
			continue;
		bool isnew;
		int64_t *slot = util_imap_slot(ids, (uint64_t)id, 0, &isnew);
		if (isnew) {
			*slot = (int64_t)paths->n + 1;
			util_svec_push(paths, p ? (const char *)p : "");
		}
	}
	sqlite3_finalize(q);
	return 0;
}

int ch_side_totals(struct store *side, struct store_summary *sum, char **cause)
{
	sqlite3_stmt *q =
		sqlite_prep(side,
			    "SELECT (SELECT count(*) FROM sources), (SELECT total(records) FROM sources),"
			    " (SELECT total(duplicates) FROM sources), (SELECT count(*) FROM rejects),"
			    " (SELECT count(DISTINCT event) FROM seen)",
			    cause);
	if (!q)
		return -1;
	if (sqlite3_step(q) == SQLITE_ROW) {
		sum->sources = sqlite3_column_int64(q, 0);
		sum->records = sqlite3_column_int64(q, 1);
		sum->duplicates = sqlite3_column_int64(q, 2);
		sum->rejects = sqlite3_column_int64(q, 3);
		sum->multi_source = sqlite3_column_int64(q, 4);
	}
	sqlite3_finalize(q);
	return 0;
}

void ch_side_interrupted(struct store *side)
{
	sqlite_exec(side, "UPDATE sources SET status='interrupted' WHERE status='loading'", NULL);
}

int ch_side_note_keys(struct store *side, struct util_buf *out, char **cause)
{
	return keys_of(side, "SELECT DISTINCT rid_text(record_id), kind FROM notes", NULL, out, NULL, cause);
}
