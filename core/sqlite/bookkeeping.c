/*
 * bookkeeping.c: what the case knows about itself: its summary, the
 * sources it was loaded from and the rows they could not give, its time
 * range, and the state the interface restores on reopening.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"
#include "xalloc.h"
#include "pending.h"
#include "store_impl.h"

int sqlite_summary(struct store *st, struct store_summary *sum, char **cause)
{
	sqlite3_stmt *q;
	memset(sum, 0, sizeof *sum);
	sum->first_ts = INT64_MAX;
	sum->last_ts = INT64_MIN;
	/* messages: in the raw blocks from schema 9, msgblocks from 6, in
	 * msglists before */
	char *sql = xasprintf("SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM sources),"
			      " (SELECT total(records) FROM sources), (SELECT total(duplicates) FROM sources),"
			      " (SELECT count(*) FROM rejects), (SELECT total(n) FROM msglists)%s%s,"
			      " (SELECT min(ts) FROM events), (SELECT max(ts) FROM events),"
			      " (SELECT count(*) FROM rejects WHERE reason GLOB 'conflict:*')",
			      SQ(st)->msg_blocks ? " + (SELECT total(msgs) FROM msgblocks)" : "",
			      SQ(st)->raw_lists ? " + (SELECT total(msgs) FROM rawmsgs)" : "");
	int pr = sqlite3_prepare_v2(SQ(st)->db, sql, -1, &q, NULL);
	free(sql);
	if (pr != SQLITE_OK)
		return set_cause(cause, "%s: %s", SQ(st)->path, sqlite3_errmsg(SQ(st)->db));
	if (sqlite3_step(q) == SQLITE_ROW) {
		sum->events = sqlite3_column_int64(q, 0);
		sum->sources = sqlite3_column_int64(q, 1);
		sum->records = sqlite3_column_int64(q, 2);
		sum->duplicates = sqlite3_column_int64(q, 3);
		sum->rejects = sqlite3_column_int64(q, 4);
		sum->messages = sqlite3_column_int64(q, 5);
		/* a conflict is kept among the rejects (load_conflict.c) */
		sum->conflicts = sqlite3_column_int64(q, 8);
		sum->rejects -= sum->conflicts;
		if (sqlite3_column_type(q, 6) != SQLITE_NULL) {
			sum->first_ts = sqlite3_column_int64(q, 6);
			sum->last_ts = sqlite3_column_int64(q, 7);
		}
	}
	sqlite3_finalize(q);
	/* (a case from before schema 4 has no seen table: none then) */
	if (sqlite3_prepare_v2(SQ(st)->db, "SELECT count(DISTINCT event) FROM seen", -1, &q, NULL) ==
	    SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW)
			sum->multi_source = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	struct stat sb;
	if (stat(SQ(st)->path, &sb) == 0)
		sum->file_bytes = sb.st_size;
	char *wal = xasprintf("%s-wal", SQ(st)->path);
	if (stat(wal, &sb) == 0)
		sum->file_bytes += sb.st_size;
	free(wal);
	return 0;
}

int sqlite_each_source(struct store *st, int (*fn)(const struct store_source_row *r, void *ctx), void *ctx,
		       char **cause)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(SQ(st)->db,
			       /* a case file is untrusted: what the schema says is
				* never NULL is made so here, not assumed */
			       "SELECT id, bytes, coalesce(path, ''), sha256, format, encoding,"
			       " coalesce(status, ''), warning, coalesce(loaded_at, ''), records, events,"
			       " duplicates, rejects, first_ts, last_ts,"
			       " (SELECT count(*) FROM rejects j WHERE j.source = s.id AND j.reason GLOB 'conflict:*')"
			       " FROM sources s ORDER BY id",
			       -1, &q, NULL) != SQLITE_OK)
		return set_cause(cause, "%s: %s", SQ(st)->path, sqlite3_errmsg(SQ(st)->db));
	int rc = 0;
	int live = -1; /* a load holds the case (asked once, when a row needs it) */
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct store_source_row r = {
			.id = sqlite3_column_int64(q, 0),
			.bytes = sqlite3_column_type(q, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(q, 1),
			.path = (const char *)sqlite3_column_text(q, 2),
			.sha256 = (const char *)sqlite3_column_text(q, 3),
			.format = (const char *)sqlite3_column_text(q, 4),
			.encoding = (const char *)sqlite3_column_text(q, 5),
			.status = (const char *)sqlite3_column_text(q, 6),
			.warning = (const char *)sqlite3_column_text(q, 7),
			.loaded_at = (const char *)sqlite3_column_text(q, 8),
		};
		r.c.records = (uint64_t)sqlite3_column_int64(q, 9);
		r.c.events = (uint64_t)sqlite3_column_int64(q, 10);
		r.c.duplicates = (uint64_t)sqlite3_column_int64(q, 11);
		r.c.rejects = (uint64_t)sqlite3_column_int64(q, 12);
		r.c.conflicts = (uint64_t)sqlite3_column_int64(q, 15);
		r.c.first_ts =
			sqlite3_column_type(q, 13) == SQLITE_NULL ? INT64_MAX : sqlite3_column_int64(q, 13);
		r.c.last_ts =
			sqlite3_column_type(q, 14) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(q, 14);
		/* "loading" is written when a source starts and replaced at
		 * its end; a load killed (kill -9, a crash, a power cut) leaves
		 * it, and only the next load into the case marks it
		 * interrupted. With no load holding the case, it is that now. */
		if (!strcmp(r.status, "loading")) {
			if (live < 0)
				live = store_load_running(st);
			if (!live)
				r.status = "interrupted";
		}
		if ((rc = fn(&r, ctx)) != 0)
			break;
	}
	sqlite3_finalize(q);
	return rc;
}

int sqlite_each_reject(struct store *st, int64_t limit,
		       int (*fn)(const struct store_reject_row *r, void *ctx), void *ctx, char **cause)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(SQ(st)->db,
			       "SELECT r.id, r.line, coalesce(s.path, ''), coalesce(r.reason, ''), r.raw FROM rejects r"
			       " JOIN sources s ON s.id = r.source ORDER BY r.source, r.line, r.id LIMIT ?",
			       -1, &q, NULL) != SQLITE_OK)
		return set_cause(cause, "%s: %s", SQ(st)->path, sqlite3_errmsg(SQ(st)->db));
	sqlite3_bind_int64(q, 1, limit);
	int rc = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct store_reject_row r = {
			.id = sqlite3_column_int64(q, 0),
			.line = sqlite3_column_int64(q, 1),
			.path = (const char *)sqlite3_column_text(q, 2),
			.reason = (const char *)sqlite3_column_text(q, 3),
			.raw = sqlite3_column_blob(q, 4),
			.rawlen = (size_t)sqlite3_column_bytes(q, 4),
		};
		if ((rc = fn(&r, ctx)) != 0)
			break;
	}
	sqlite3_finalize(q);
	return rc;
}

int sqlite_time_range(struct store *st, int64_t *first, int64_t *last, char **cause)
{
	sqlite3_stmt *q;
	*first = *last = 0;
	/* two subqueries: SQLite seeks the ends of ev_ts for a lone min() or
	 * max(), but "min(ts), max(ts)" together reads the whole index (on
	 * 1M events 100+ ms, and the interface asks on every key whose
	 * position is an estimate) */
	if (sqlite3_prepare_v2(SQ(st)->db, "SELECT (SELECT min(ts) FROM events), (SELECT max(ts) FROM events)",
			       -1, &q, NULL) != SQLITE_OK)
		return set_cause(cause, "%s: %s", SQ(st)->path, sqlite3_errmsg(SQ(st)->db));
	int rc = sqlite3_step(q);
	int found = rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL;
	if (found) {
		*first = sqlite3_column_int64(q, 0);
		*last = sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return set_cause(cause, "%s: %s", SQ(st)->path, sqlite3_errmsg(SQ(st)->db));
	return found;
}

char *sqlite_state_get(struct store *st, const char *key)
{
	sqlite3_stmt *q;
	char *v = NULL;
	/* a value written beside a load and not yet applied (pending.c) */
	if (pend_state_value(st, key, &v))
		return v;
	if (sqlite3_prepare_v2(SQ(st)->db, "SELECT value FROM state WHERE key = ?1", -1, &q, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
		v = xstrdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return v;
}

int sqlite_state_set(struct store *st, const char *key, const char *value, char **cause)
{
	sqlite3_stmt *q;
	const char *sql = value ? "INSERT OR REPLACE INTO state(key, value) VALUES (?1, ?2)"
				: "DELETE FROM state WHERE key = ?1";
	if (sqlite3_prepare_v2(SQ(st)->db, sql, -1, &q, NULL) != SQLITE_OK)
		return set_cause(cause, "%s: %s", SQ(st)->path, sqlite3_errmsg(SQ(st)->db));
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
	/* the interface's own bookkeeping (position, filters): while a load
	 * runs it goes to the pending file like a mark it could not make
	 * (pending.c): a few ms, where the case could make it wait for an
	 * index build or pay a checkpoint of the load's pages; otherwise
	 * what is pending goes first (so that an older value never lands
	 * over this one), and it waits at most 100 ms (issue 10's promise)
	 * and is written again later */
	if (store_load_running(st)) {
		sqlite3_finalize(q);
		return pend_add_state(st, key, value, cause);
	}
	if (pend_merge(st, cause) < 0) {
		sqlite3_finalize(q);
		return -1;
	}
	sqlite_store_want_write(st, true);
	int old = sqlite_store_busy_ms(st, 100);
	int rc = sqlite3_step(q);
	sqlite_store_busy_ms(st, old);
	sqlite_store_want_write(st, false);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return set_cause(cause, "%s: %s", SQ(st)->path, sqlite3_errmsg(SQ(st)->db));
	return 0;
}
