/*
 * record.c: what one event carries beyond its row in events: its raw
 * record, the other sources it was also read from, and the messages a
 * MailItemsAccessed record names.
 *
 * Raw records live apart from events so that scans of events (stacks,
 * filters) never page through them, and in blocks because a block of
 * similar JSON compresses about 8x at 500 MB/s where one record compresses
 * 5x at a third of the speed. Reading one record costs decompressing its
 * block (well under a millisecond); the last block read is kept, so that
 * reading in id order decompresses each block once. Message lists are
 * in the raw blocks, each after its record (schema 9, load_blocks.c), or
 * in blocks of their own in a case loaded before (msgblocks).
 */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "util.h"
#include "xalloc.h"
#include "store_impl.h"

/*
 * Entry id of a block table (rawblocks: every event's raw record;
 * msgblocks: message lists), borrowed from the block cache (valid until
 * the next call), or NULL. A block, uncompressed, is the entries back to
 * back, then n+1 u32 offsets (the last is the end of the entries), then
 * u32 n; a raw block with lists (BLOCK_LISTS in n) has two entries an
 * event, its record and its list: list asks for the second, and finds
 * NULL in a block without lists (*none then set).
 */
static const char *block_lookup(struct store *st, struct sq_block *c, const char *sql, int64_t id, bool list,
				size_t *len, bool *none)
{
	if (!(c->data && id >= c->first && id < c->first + c->n)) {
		if (!c->sel && sqlite3_prepare_v3(SQ(st)->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->sel,
						  NULL) != SQLITE_OK)
			return NULL;
		sqlite3_stmt *q = c->sel;
		sqlite3_bind_int64(q, 1, id);
		const char *ok = NULL;
		c->n = 0;
		if (sqlite3_step(q) == SQLITE_ROW) {
			int64_t first = sqlite3_column_int64(q, 0), n = sqlite3_column_int64(q, 1);
			const void *data = sqlite3_column_blob(q, 2);
			size_t dn = (size_t)sqlite3_column_bytes(q, 2);
			unsigned long long sz = ZSTD_getFrameContentSize(data, dn);
			if (id < first + n && n > 0 && n < BLOCK_LISTS && sz != ZSTD_CONTENTSIZE_ERROR &&
			    sz != ZSTD_CONTENTSIZE_UNKNOWN && sz < ((size_t)1 << 31)) {
				c->data = xgrow(c->data, &c->cap, (size_t)sz + 1, 1);
				if (!SQ(st)->dctx)
					SQ(st)->dctx = ZSTD_createDCtx();
				size_t r = ZSTD_decompressDCtx(SQ(st)->dctx, c->data, c->cap, data, dn);
				uint32_t tn = !ZSTD_isError(r) && r >= 4 ? get_u32(c->data + r - 4) : 0;
				bool lists = (tn & BLOCK_LISTS) != 0;
				size_t tr = 4 * ((size_t)n * (lists ? 2 : 1) + 2);
				if (!ZSTD_isError(r) && r >= tr && (tn & ~BLOCK_LISTS) == (uint64_t)n) {
					c->first = first;
					c->n = n;
					c->lists = lists;
					c->len = r - tr; /* the entries; the trailer follows */
					ok = c->data;
				}
			}
		}
		sqlite3_reset(q);
		if (!ok)
			return NULL;
	}
	size_t k = (size_t)(id - c->first);
	if (list && !c->lists) {
		*none = true;
		return NULL;
	}
	if (c->lists)
		k = 2 * k + list;
	const char *offs = c->data + c->len;
	uint32_t a = get_u32(offs + 4 * k), b = get_u32(offs + 4 * (k + 1));
	if (a > b || b > c->len)
		return NULL;
	*len = b - a;
	return c->data + a;
}

static const char raw_sql[] = "SELECT id, n, data FROM rawblocks WHERE id <= ? ORDER BY id DESC LIMIT 1";

static const char *raw_lookup(struct store *st, int64_t id, size_t *len)
{
	bool none = false;
	return block_lookup(st, &SQ(st)->raw, raw_sql, id, false, len, &none);
}

/* (store_impl.h) */
void sqlite_sql_msg_items(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	struct store *st = sqlite3_user_data(ctx);
	int64_t id = sqlite3_value_int64(argv[0]);
	if (SQ(st)->msg_rows) {
		sqlite3_stmt *q = SQ(st)->sel_msglist;
		if (!q && sqlite3_prepare_v3(SQ(st)->db, "SELECT items FROM msglists WHERE event = ?", -1,
					     SQLITE_PREPARE_PERSISTENT, &SQ(st)->sel_msglist, NULL) == SQLITE_OK)
			q = SQ(st)->sel_msglist;
		if (q) {
			sqlite3_bind_int64(q, 1, id);
			bool found = sqlite3_step(q) == SQLITE_ROW;
			if (found)
				sqlite3_result_value(ctx, sqlite3_column_value(q, 0));
			sqlite3_reset(q);
			if (found)
				return;
		}
	}
	size_t len = 0;
	const char *t = NULL;
	/* in the event's raw block; in a message block when the raw block
	 * has no lists (a load before schema 9, or no list in it) */
	bool none = !SQ(st)->raw_lists;
	if (!none)
		t = block_lookup(st, &SQ(st)->raw, raw_sql, id, true, &len, &none);
	if (none && SQ(st)->msg_blocks)
		t = block_lookup(st, &SQ(st)->msg,
				 "SELECT id, n, data FROM msgblocks WHERE id <= ? ORDER BY id DESC LIMIT 1",
				 id, false, &len, &none);
	if (!t || !len)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_text(ctx, t, (int)len, SQLITE_TRANSIENT);
}

/* (store_impl.h) */
void sqlite_sql_raw_json(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	struct store *st = sqlite3_user_data(ctx);
	size_t len;
	const char *t = raw_lookup(st, sqlite3_value_int64(argv[0]), &len);
	if (!t)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_text(ctx, t, (int)len, SQLITE_TRANSIENT);
}

char *sqlite_raw(struct store *st, int64_t id, size_t *len)
{
	size_t n;
	const char *t = raw_lookup(st, id, &n);
	if (!t)
		return NULL;
	if (len)
		*len = n;
	return xstrndup(t, n);
}

int sqlite_raw_each(struct store *st, const int64_t *ids, size_t n, store_raw_fn fn, void *ctx, char **cause)
{
	(void)cause;
	for (size_t i = 0; i < n; i++) {
		size_t len;
		const char *t = raw_lookup(st, ids[i], &len);
		if (t && fn(ctx, ids[i], t, len))
			break;
	}
	return 0;
}

int sqlite_event_seen(struct store *st, int64_t event, int (*fn)(const char *path, int64_t line, void *ctx),
		      void *ctx, char **cause)
{
	if (!SQ(st)->sel_seen &&
	    sqlite3_prepare_v2(SQ(st)->db,
			       "SELECT s.path, w.line FROM seen w JOIN sources s ON s.id = w.source"
			       " WHERE w.event = ? ORDER BY w.source, w.line",
			       -1, &SQ(st)->sel_seen, NULL) != SQLITE_OK)
		return 0; /* a case from before schema 4 */
	sqlite3_stmt *q = SQ(st)->sel_seen;
	sqlite3_bind_int64(q, 1, event);
	int r, rc = 0;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_text(q, 0);
		if (fn(p ? (const char *)p : "", sqlite3_column_int64(q, 1), ctx) != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = set_cause(cause, "%s: %s", SQ(st)->path, sqlite3_errmsg(SQ(st)->db));
	sqlite3_reset(q);
	return rc;
}

int sqlite_event_messages(struct store *st, int64_t event,
			  int (*fn)(const struct store_message *m, void *ctx), void *ctx, char **cause)
{
	/* kept prepared for the case's life: the sync-access hunt asks for
	 * thousands of events one at a time (a fresh statement if a caller's
	 * fn asks again while the kept one runs) */
	static const char sql[] = "SELECT folder, msgid, size FROM messages WHERE event = ?1 ORDER BY seq";
	sqlite3_stmt *q = SQ(st)->sel_msgs;
	bool kept = q && !sqlite3_stmt_busy(q);
	if (!q && sqlite3_prepare_v3(SQ(st)->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &SQ(st)->sel_msgs,
				     NULL) == SQLITE_OK) {
		q = SQ(st)->sel_msgs;
		kept = true;
	}
	if (!kept && sqlite3_prepare_v2(SQ(st)->db, sql, -1, &q, NULL) != SQLITE_OK)
		return set_cause(cause, "%s: %s", SQ(st)->path, sqlite3_errmsg(SQ(st)->db));
	sqlite3_bind_int64(q, 1, event);
	int rc = 0, step;
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_message m = {
			.folder = (const char *)sqlite3_column_text(q, 0),
			.msgid = (const char *)sqlite3_column_text(q, 1),
			.size = sqlite3_column_type(q, 2) == SQLITE_NULL ? -1 : sqlite3_column_int64(q, 2),
		};
		if ((rc = fn(&m, ctx)) != 0)
			break;
	}
	if (!rc && step != SQLITE_DONE)
		rc = set_cause(cause, "%s: %s", SQ(st)->path, sqlite3_errmsg(SQ(st)->db));
	if (kept)
		sqlite3_reset(q);
	else
		sqlite3_finalize(q);
	return rc;
}
