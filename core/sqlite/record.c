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
 * in blocks of their own in a case loaded before (msgblocks). From
 * schema 10 a block may need its load's dictionary (zdicts), named by
 * its frame; each is read once a store. A block or dictionary that
 * cannot be read is an error naming the case and the block (raw_json,
 * msg_items, raw_each; store_raw gives NULL), never other text.
 */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "util.h"
#include "xalloc.h"
#include "store_impl.h"

/* The decoder of dictionary id (zdicts, schema 10), made once a store;
 * NULL with SQ(st)->raw_error set when the case lacks it or it is
 * damaged. block: the raw block asking, for the message. */
static ZSTD_DDict *zdict_get(struct store *st, uint32_t id, int64_t block)
{
	struct sqlite_store *s = SQ(st);
	for (size_t i = 0; i < s->ndicts; i++)
		if (s->dicts[i].id == id)
			return s->dicts[i].dd;
	const char *why = "missing";
	ZSTD_DDict *dd = NULL;
	if (s->sel_dict || sqlite3_prepare_v3(s->db, "SELECT data FROM zdicts WHERE id = ?", -1,
					      SQLITE_PREPARE_PERSISTENT, &s->sel_dict, NULL) == SQLITE_OK) {
		sqlite3_stmt *q = s->sel_dict;
		sqlite3_bind_int64(q, 1, id);
		if (sqlite3_step(q) == SQLITE_ROW) {
			/* one zstd frame with a checksum: damage is found here */
			const void *z = sqlite3_column_blob(q, 0);
			size_t zn = (size_t)sqlite3_column_bytes(q, 0);
			unsigned long long n = z ? ZSTD_getFrameContentSize(z, zn) : ZSTD_CONTENTSIZE_ERROR;
			why = "damaged";
			if (n != ZSTD_CONTENTSIZE_ERROR && n != ZSTD_CONTENTSIZE_UNKNOWN && n > 0 &&
			    n < ((size_t)1 << 30)) {
				char *d = xmalloc((size_t)n);
				size_t r = ZSTD_decompress(d, (size_t)n, z, zn);
				if (!ZSTD_isError(r) && r == n && ZSTD_getDictID_fromDict(d, r) == id)
					dd = ZSTD_createDDict(d, r);
				free(d);
			}
		}
		sqlite3_reset(q);
	}
	if (!dd) {
		free(s->raw_error);
		s->raw_error = xasprintf("%s: raw block %lld: its dictionary %u is %s", s->path,
					 (long long)block, id, why);
		return NULL;
	}
	s->dicts = xgrow(s->dicts, &s->dictcap, s->ndicts + 1, sizeof *s->dicts);
	s->dicts[s->ndicts].id = id;
	s->dicts[s->ndicts++].dd = dd;
	return dd;
}

void sqlite_zdict_forget(struct store *st, uint32_t id)
{
	struct sqlite_store *s = SQ(st);
	for (size_t i = 0; i < s->ndicts; i++)
		if (s->dicts[i].id == id) {
			ZSTD_freeDDict(s->dicts[i].dd);
			s->dicts[i] = s->dicts[--s->ndicts];
			break;
		}
	s->raw[0].n = s->raw[1].n = 0; /* a block kept may be one of its (rolled back) */
}

void sqlite_record_free(struct store *st)
{
	struct sqlite_store *s = SQ(st);
	for (size_t i = 0; i < s->ndicts; i++)
		ZSTD_freeDDict(s->dicts[i].dd);
	free(s->dicts);
	s->dicts = NULL;
	s->ndicts = s->dictcap = 0;
	sqlite3_finalize(s->sel_dict);
	s->sel_dict = NULL;
	free(s->raw_error);
	s->raw_error = NULL;
}

/* Decompress the block of a row into the cache c; false with
 * SQ(st)->raw_error set when the block or its dictionary is damaged. */
static bool block_load(struct store *st, struct sq_block *c, int64_t first, int64_t n, const void *data,
		       size_t dn)
{
	struct sqlite_store *s = SQ(st);
	unsigned long long sz = ZSTD_getFrameContentSize(data, dn);
	const char *why = "not a zstd frame";
	if (n > 0 && n < BLOCK_LISTS && sz != ZSTD_CONTENTSIZE_ERROR && sz != ZSTD_CONTENTSIZE_UNKNOWN &&
	    sz < ((size_t)1 << 31)) {
		uint32_t dict = ZSTD_getDictID_fromFrame(data, dn);
		ZSTD_DDict *dd = dict ? zdict_get(st, dict, first) : NULL;
		if (dict && !dd)
			return false;
		c->data = xgrow(c->data, &c->cap, (size_t)sz + 1, 1);
		if (!s->dctx)
			s->dctx = ZSTD_createDCtx();
		size_t r = dd ? ZSTD_decompress_usingDDict(s->dctx, c->data, c->cap, data, dn, dd)
			      : ZSTD_decompressDCtx(s->dctx, c->data, c->cap, data, dn);
		uint32_t tn = !ZSTD_isError(r) && r >= 4 ? get_u32(c->data + r - 4) : 0;
		bool lists = (tn & BLOCK_LISTS) != 0;
		size_t tr = 4 * ((size_t)n * (lists ? 2 : 1) + 2);
		if (!ZSTD_isError(r) && r == sz && r >= tr && (tn & ~BLOCK_LISTS) == (uint64_t)n) {
			c->first = first;
			c->n = n;
			c->lists = lists;
			c->len = r - tr; /* the entries; the trailer follows */
			return true;
		}
		why = ZSTD_isError(r) ? ZSTD_getErrorName(r) : "its entries do not add up";
	}
	free(s->raw_error);
	s->raw_error = xasprintf("%s: raw block %lld is damaged (%s)", s->path, (long long)first, why);
	return false;
}

/*
 * Entry id of a block table (rawblocks: every event's raw record;
 * msgblocks: message lists), borrowed from the block cache (valid until
 * the next call), or NULL: none (no block holds id), or, with
 * SQ(st)->raw_error set, a damaged block or dictionary. A block,
 * uncompressed, is the entries back to back, then n+1 u32 offsets (the
 * last is the end of the entries), then u32 n; a raw block with lists
 * (BLOCK_LISTS in n) has two entries an event, its record and its list:
 * list asks for the second, and finds NULL in a block without lists
 * (*none then set).
 */
static const char *block_lookup(struct store *st, struct sq_block *c, const char *sql, int64_t id, bool list,
				size_t *len, bool *none)
{
	free(SQ(st)->raw_error);
	SQ(st)->raw_error = NULL;
	if (!(c->n > 0 && id >= c->first && id < c->first + c->n)) {
		if (!c->sel && sqlite3_prepare_v3(SQ(st)->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->sel,
						  NULL) != SQLITE_OK)
			return NULL;
		sqlite3_stmt *q = c->sel;
		sqlite3_bind_int64(q, 1, id);
		bool ok = false;
		c->n = 0;
		if (sqlite3_step(q) == SQLITE_ROW) {
			int64_t first = sqlite3_column_int64(q, 0), n = sqlite3_column_int64(q, 1);
			if (id < first + n)
				ok = block_load(st, c, first, n, sqlite3_column_blob(q, 2),
						(size_t)sqlite3_column_bytes(q, 2));
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
	if (a > b || b > c->len) {
		SQ(st)->raw_error = xasprintf("%s: raw block %lld is damaged (event %lld's offsets)",
					      SQ(st)->path, (long long)c->first, (long long)id);
		return NULL;
	}
	*len = b - a;
	return c->data + a;
}

static const char raw_sql[] = "SELECT id, n, data FROM rawblocks WHERE id <= ? ORDER BY id DESC LIMIT 1";

/* The raw block cache that holds id, or the one to read its block into:
 * two, so that reading in an order close to the ids' (time order: a
 * record loaded a little out of time order sits in the block before)
 * does not decompress the same two blocks in turn (bench_query's count
 * over raw_json, which SQLite reads in ts order, at 200k events: 1.5-1.6
 * s of CPU with one cache of 512 KB blocks, 3.2 s with one of 1 MB
 * blocks, 0.46-0.59 s with two). */
static struct sq_block *raw_cache(struct store *st, int64_t id)
{
	struct sqlite_store *s = SQ(st);
	int k = s->raw_last;
	for (int i = 0; i < 2; i++) {
		struct sq_block *c = &s->raw[(k + i) % 2];
		if (c->n > 0 && id >= c->first && id < c->first + c->n) {
			s->raw_last = (k + i) % 2;
			return c;
		}
	}
	s->raw_last = 1 - k; /* the one used longer ago */
	return &s->raw[s->raw_last];
}

static const char *raw_lookup(struct store *st, int64_t id, size_t *len)
{
	bool none = false;
	return block_lookup(st, raw_cache(st, id), raw_sql, id, false, len, &none);
}

/* raw_error for an SQL function's error: without the case's path, which
 * the caller that reports a failed statement puts before it */
static const char *sql_error(struct store *st)
{
	const char *e = SQ(st)->raw_error;
	size_t n = strlen(SQ(st)->path);
	return strncmp(e, SQ(st)->path, n) == 0 && strncmp(e + n, ": ", 2) == 0 ? e + n + 2 : e;
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
		t = block_lookup(st, raw_cache(st, id), raw_sql, id, true, &len, &none);
	if (none && SQ(st)->msg_blocks)
		t = block_lookup(st, &SQ(st)->msg,
				 "SELECT id, n, data FROM msgblocks WHERE id <= ? ORDER BY id DESC LIMIT 1",
				 id, false, &len, &none);
	if (!t && SQ(st)->raw_error)
		sqlite3_result_error(ctx, sql_error(st), -1);
	else if (!t || !len)
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
	if (!t && SQ(st)->raw_error)
		sqlite3_result_error(ctx, sql_error(st), -1);
	else if (!t)
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

const char *sqlite_raw_error(struct store *st)
{
	return SQ(st)->raw_error;
}

int sqlite_raw_each(struct store *st, const int64_t *ids, size_t n, store_raw_fn fn, void *ctx, char **cause)
{
	for (size_t i = 0; i < n; i++) {
		size_t len;
		const char *t = raw_lookup(st, ids[i], &len);
		if (!t && SQ(st)->raw_error)
			return set_cause(cause, "%s", SQ(st)->raw_error);
		if (t && fn(ctx, ids[i], t, len))
			break;
	}
	return 0;
}

int sqlite_event_seen(struct store *st, int64_t event,
		      int (*fn)(const char *path, int64_t line, int64_t raw, void *ctx), void *ctx,
		      char **cause)
{
	if (!SQ(st)->sel_seen &&
	    sqlite3_prepare_v2(SQ(st)->db,
			       "SELECT s.path, w.line, w.raw FROM seen w JOIN sources s ON s.id = w.source"
			       " WHERE w.event = ? ORDER BY w.source, w.line",
			       -1, &SQ(st)->sel_seen, NULL) != SQLITE_OK)
		return 0; /* a case from before schema 4 */
	sqlite3_stmt *q = SQ(st)->sel_seen;
	sqlite3_bind_int64(q, 1, event);
	int r, rc = 0;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_text(q, 0);
		if (fn(p ? (const char *)p : "", sqlite3_column_int64(q, 1), sqlite3_column_int64(q, 2),
		       ctx) != 0)
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
