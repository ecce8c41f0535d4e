/*
 * stmtpool.c: statements kept prepared with the case's connection, taken
 * by their SQL text and given back when done (sqlite_store.h).
 *
 * Why: a query compiles its filter and runs its page as a handful of
 * statements, each prepared for the one use and finalized: on 1M events
 * (callgrind) preparing a page's SELECT cost 0.6 M instructions, about
 * as much as the 50 rows it reads, and user= app= ip= op= prepared
 * eleven more for its values and posting-list counts (39k each), which
 * is most of what it cost above user= alone. A statement taken here is
 * one another caller gave back with the same text (reset, bindings
 * cleared), or a new one; two callers that want the same text at once
 * get one each (the counts of several terms run side by side). The pool
 * holds at most POOL_MAX idle statements, the one given back longest ago
 * finalized first. A store is used by one thread at a time (a thread
 * that needs the case opens its own), so the pool has no lock.
 */
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"
#include "xalloc.h"

#define POOL_MAX 32

/* FNV-1a of the text: pages' SELECTs share a long head (their columns) */
static uint64_t text_hash(const char *s, size_t *len)
{
	uint64_t h = 0xcbf29ce484222325u;
	const unsigned char *p = (const unsigned char *)s;
	for (; *p; p++)
		h = (h ^ *p) * 0x100000001b3u;
	*len = (size_t)(p - (const unsigned char *)s);
	return h;
}

int sqlite_stmt_take(struct store *st, const char *sql, sqlite3_stmt **out)
{
	struct sq_pool *pl = &SQ(st)->pool;
	size_t len;
	uint64_t h = text_hash(sql, &len);
	for (size_t i = pl->n; i-- > 0;) {
		struct sq_pooled *e = &pl->e[i];
		if (e->hash == h && e->len == len && !strcmp(sqlite3_sql(e->s), sql)) {
			*out = e->s;
			memmove(e, e + 1, (pl->n - i - 1) * sizeof *e);
			pl->n--;
			return SQLITE_OK;
		}
	}
	*out = NULL;
	return sqlite3_prepare_v3(SQ(st)->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
}

void sqlite_stmt_give(struct store *st, sqlite3_stmt *s)
{
	if (!s)
		return;
	struct sq_pool *pl = &SQ(st)->pool;
	/* (a statement that failed keeps its error for its reset: not kept) */
	if (sqlite3_reset(s) != SQLITE_OK) {
		sqlite3_finalize(s);
		return;
	}
	sqlite3_clear_bindings(s);
	if (!pl->e)
		pl->e = xcalloc(POOL_MAX, sizeof *pl->e);
	if (pl->n == POOL_MAX) {
		sqlite3_finalize(pl->e[0].s);
		memmove(pl->e, pl->e + 1, (POOL_MAX - 1) * sizeof *pl->e);
		pl->n--;
	}
	size_t len;
	uint64_t h = text_hash(sqlite3_sql(s), &len);
	pl->e[pl->n++] = (struct sq_pooled){ s, h, len };
}

void sqlite_stmt_pool_free(struct store *st)
{
	struct sq_pool *pl = &SQ(st)->pool;
	for (size_t i = 0; i < pl->n; i++)
		sqlite3_finalize(pl->e[i].s);
	free(pl->e);
	memset(pl, 0, sizeof *pl);
}
