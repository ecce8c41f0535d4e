/*
 * export.c: what the SQLite store gives an export (storage.h, "Export"):
 * every annotation key at once, the places of IP value ids, and the
 * report's messages section grouped in SQL. (The events themselves come
 * from scan.c: sqlite_scan_timeline.)
 */
#include <stdlib.h>
#include <string.h>

#include "sqlite_store.h"
#include "storage.h"
#include "xalloc.h"

static char *dup_col(sqlite3_stmt *q, int i)
{
	const char *s = (const char *)sqlite3_column_text(q, i);
	return s ? xstrdup(s) : NULL;
}

int sqlite_annot_each_key(struct store *st, int (*fn)(const struct annot_key *k, void *ctx), void *ctx,
			  char **cause)
{
	static const char *const sql[] = {
		/* from a case file, untrusted: a key without a record id names
		 * no event, and a note's NULL author, time or text (the schema
		 * forbids them, a crafted case has them) reads as empty text */
		"SELECT rid_text(record_id), kind, NULL FROM marks WHERE record_id IS NOT NULL",
		"SELECT rid_text(record_id), kind, coalesce(tag, '') FROM tags WHERE record_id IS NOT NULL"
		" ORDER BY 1, kind, tag",
		"SELECT rid_text(record_id), kind, NULL, coalesce(author, ''), coalesce(created, ''),"
		" coalesce(text, '') FROM notes WHERE record_id IS NOT NULL ORDER BY 1, kind, created, id",
	};
	static const enum annot_key_what what[] = { ANNOT_KEY_MARK, ANNOT_KEY_TAG, ANNOT_KEY_NOTE };
	for (int t = 0; t < 3; t++) {
		sqlite3_stmt *q = sqlite_prep(st, sql[t], cause);
		if (!q)
			return -1;
		int r;
		while ((r = sqlite3_step(q)) == SQLITE_ROW) {
			struct annot_key k = {
				.what = what[t],
				.record_id = (const char *)sqlite3_column_text(q, 0),
				.kind = sqlite3_column_int(q, 1),
				.tag = (const char *)sqlite3_column_text(q, 2),
			};
			struct annot_note note;
			if (what[t] == ANNOT_KEY_NOTE) {
				note = (struct annot_note){
					.author = (char *)sqlite3_column_text(q, 3),
					.created = (char *)sqlite3_column_text(q, 4),
					.text = (char *)sqlite3_column_text(q, 5),
				};
				k.note = &note;
			}
			if (fn(&k, ctx))
				break;
		}
		sqlite3_finalize(q);
		if (r != SQLITE_ROW && r != SQLITE_DONE)
			return sqlite_fail(st, cause);
		if (r == SQLITE_ROW)
			return 0;
	}
	return 0;
}

int sqlite_value_places(struct store *st, const int64_t *ids, size_t n, struct store_place *out, char **cause)
{
	memset(out, 0, n * sizeof *out);
	if (!n)
		return 0;
	sqlite3_stmt *q = NULL;
	/* a case from before places has no ipgeo table: places unknown */
	if (sqlite3_prepare_v2(store_db(st), "SELECT country, asn, as_org FROM ipgeo WHERE val = ?", -1, &q,
			       NULL) != SQLITE_OK) {
		sqlite3_finalize(q);
		return 0;
	}
	int r = SQLITE_DONE;
	for (size_t i = 0; i < n; i++) {
		if (!ids[i])
			continue;
		sqlite3_bind_int64(q, 1, ids[i]);
		if ((r = sqlite3_step(q)) == SQLITE_ROW) {
			out[i].country = dup_col(q, 0);
			out[i].asn = dup_col(q, 1);
			out[i].as_org = dup_col(q, 2);
		}
		sqlite3_reset(q);
		if (r != SQLITE_ROW && r != SQLITE_DONE)
			break;
	}
	sqlite3_finalize(q);
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		for (size_t i = 0; i < n; i++)
			store_place_clear(&out[i]);
		return sqlite_fail(st, cause);
	}
	return 0;
}

/*
 * The messages section: the bookmarked events of the filter that name
 * messages, from the bookmarks outward: there are far fewer of them than
 * events, and each finds its event through ridx (the record id index then: 0.3 s became
 * 6 ms on a million events with a thousand bookmarks).
 */
#define VAL(col) "(SELECT v FROM vals WHERE id = e." col ")"
#define MSG_FROM " FROM events e JOIN messages m ON m.event = e.id WHERE e.id IN (" MARKED_IDS ") AND ("
#define MSG_MAILBOX "coalesce(" VAL("mailbox") ", " VAL("user") ")"

/* head, the filter's condition, tail: one statement, values bound */
static sqlite3_stmt *msg_stmt(struct query *q, const char *head, const char *tail, char **cause)
{
	char *sql = xasprintf("%s%s)%s", head, query_sql_where(q), tail);
	sqlite3_stmt *s = sqlite_prep(query_store(q), sql, cause);
	free(sql);
	if (s && query_sql_bind(q, s) != SQLITE_OK) {
		sqlite_fail(query_store(q), cause);
		sqlite3_finalize(s);
		s = NULL;
	}
	return s;
}

int sqlite_marked_mailboxes(struct query *q, int (*fn)(const struct store_msg_mailbox *m, void *ctx),
			    void *ctx, char **cause)
{
	sqlite3_stmt *s =
		msg_stmt(q,
			 "SELECT " MSG_MAILBOX " AS mbx, count(DISTINCT m.msgid),"
			 " count(DISTINCT CASE WHEN m.msgid IS NULL THEN m.folder END), min(e.ts), max(e.ts),"
			 " count(DISTINCT e.id)" MSG_FROM,
			 " GROUP BY mbx ORDER BY mbx", cause);
	if (!s)
		return -1;
	int r;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_msg_mailbox m = {
			.mailbox = (const char *)sqlite3_column_text(s, 0),
			.messages = sqlite3_column_int64(s, 1),
			.folders = sqlite3_column_int64(s, 2),
			.first = sqlite3_column_int64(s, 3),
			.last = sqlite3_column_int64(s, 4),
			.events = sqlite3_column_int64(s, 5),
		};
		if (fn(&m, ctx))
			break;
	}
	sqlite3_finalize(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return sqlite_fail(query_store(q), cause);
	return 0;
}

int sqlite_marked_messages(struct query *q, int (*fn)(const struct store_msg_item *m, void *ctx), void *ctx,
			   char **cause)
{
	sqlite3_stmt *s =
		msg_stmt(q,
			 "SELECT " MSG_MAILBOX " AS mbx, m.msgid, min(m.folder),"
			 " max(" VAL("access") "), min(e.ts), max(e.ts), count(DISTINCT e.id), max(m.size),"
					       " count(DISTINCT e.app), min(" VAL(
						       "app") "), count(DISTINCT e.ip), min(" VAL("ip") ")" MSG_FROM,
			 " GROUP BY mbx, m.msgid, CASE WHEN m.msgid IS NULL THEN m.folder END"
			 " ORDER BY mbx, m.msgid IS NOT NULL, min(e.ts), m.msgid, min(m.folder)",
			 cause);
	if (!s)
		return -1;
	int r;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_msg_item m = {
			.mailbox = (const char *)sqlite3_column_text(s, 0),
			.msgid = (const char *)sqlite3_column_text(s, 1),
			.folder = (const char *)sqlite3_column_text(s, 2),
			.access = (const char *)sqlite3_column_text(s, 3),
			.first = sqlite3_column_int64(s, 4),
			.last = sqlite3_column_int64(s, 5),
			.events = sqlite3_column_int64(s, 6),
			.size = sqlite3_column_int64(s, 7),
			.apps = sqlite3_column_int64(s, 8),
			.app = (const char *)sqlite3_column_text(s, 9),
			.ips = sqlite3_column_int64(s, 10),
			.ip = (const char *)sqlite3_column_text(s, 11),
		};
		if (fn(&m, ctx))
			break;
	}
	sqlite3_finalize(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return sqlite_fail(query_store(q), cause);
	return 0;
}
