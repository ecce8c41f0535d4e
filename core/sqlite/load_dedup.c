/*
 * load_dedup.c: deduplication during a load. A record already in the case (the
 * same kind and record id) is a duplicate: the event lists the new
 * source too (table seen), and a richer copy replaces the stored one.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xalloc.h"
#include "load_impl.h"

/*
 * Records are deduplicated by record id within a kind of log (ev->kind):
 * the same UAL record in two exports is one event, but an Entra sign-in
 * whose id happens to equal a UAL logon record's Id is a second event,
 * not a duplicate of it.
 */
/* Is (kind, record id) in the case already? Fingerprint first, then the
 * stored id for each fingerprint that matches. A duplicate makes the
 * value map's prefetch ask, for the next DUP_NEAR items, whether they
 * may be duplicates too (load_values_prefetch_map). */
int load_is_dup(struct sqlite_load *ld, const struct item *it, bool *dup, int64_t *dup_id, char **cause)
{
	*dup = false;
	struct ridmap *m = &ld->rids;
	int kind = it->ev.kind;
	if (!load_ridmap_find(m, load_ridmap_fp32(it->fp)))
		return set_cause(cause, "%s: cannot read the record-id table in the temporary directory: %s",
				 store_path(ld->base.st), strerror(errno));
	if (!m->ncand) /* (a record id seen for the first time: most) */
		return 0;
	char *tmp;
	struct sv rid = load_item_rid(it, &tmp);
	int rc = 0;
	for (size_t i = 0; i < m->ncand && !*dup && rc == 0; i++) {
		int64_t id = m->cand[i];
		sqlite3_stmt *q = ld->sel_rid;
		sqlite3_bind_int64(q, 1, id);
		int r = sqlite3_step(q);
		if (r == SQLITE_ROW && sqlite3_column_int(q, 1) == kind &&
		    sqlite3_column_type(q, 0) == SQLITE_TEXT && (size_t)sqlite3_column_bytes(q, 0) == rid.n &&
		    memcmp(sqlite3_column_blob(q, 0), rid.p, rid.n) == 0) {
			*dup = true;
			*dup_id = id;
			ld->dup_near = DUP_NEAR;
		}
		sqlite3_reset(q);
		if (r != SQLITE_ROW && r != SQLITE_DONE)
			rc = load_db_fail(ld, cause);
	}
	free(tmp);
	return rc;
}
/*
 * When the fingerprint table cannot go on (a temporary directory that
 * refuses the runs), the load builds a unique index instead and lets
 * SQLite refuse duplicates (slower: random inserts into a large B-tree,
 * but bounded). The index goes at the load's end (ridx is the case's
 * own look-up) or at the next load's start.
 */
int load_ridmap_retire(struct sqlite_load *ld, char **cause)
{
	if (sqlite_exec(ld->base.st, "CREATE UNIQUE INDEX IF NOT EXISTS ev_rid ON events(record_id, kind)",
			cause) < 0)
		return -1;
	load_ridmap_free(&ld->rids);
	memset(&ld->rids, 0, sizeof ld->rids);
	ld->by_index = true;
	return 0;
}

/* The list is in the event's raw block when that block has lists (a
 * row of rawmsgs), else in a message block (a load before schema 9). */
static int uncount_msgs(struct sqlite_load *ld, int64_t event, int64_t n, char **cause)
{
	static const char *const sql[] = {
		"UPDATE rawmsgs SET msgs = msgs - ?1 WHERE id = (SELECT max(id) FROM rawblocks WHERE id <= ?2)",
		"UPDATE msgblocks SET msgs = msgs - ?1 WHERE id = (SELECT max(id) FROM msgblocks WHERE id <= ?2)",
	};
	sqlite3 *db = store_db(ld->base.st);
	for (size_t i = 0; i < 2; i++) {
		sqlite3_stmt *q;
		if (sqlite3_prepare_v2(db, sql[i], -1, &q, NULL) != SQLITE_OK)
			return load_db_fail(ld, cause);
		sqlite3_bind_int64(q, 1, n);
		sqlite3_bind_int64(q, 2, event);
		int r = sqlite3_step(q);
		sqlite3_finalize(q);
		if (r != SQLITE_DONE)
			return load_db_fail(ld, cause);
		if (sqlite3_changes(db) > 0)
			break;
	}
	return 0;
}

/* How much a copy of an event tells: its fields, its messages, less
 * than anything when PowerShell cut it. */
static int richness(const struct event *ev)
{
	int n = 0;
#define X(name) n += ev->name.p && ev->name.n;
	EVENT_TEXT_FIELDS(X)
#undef X
	if (ev->nmsgs)
		n += 2;
	return (ev->flags & EVF_PS_TRUNCATED) ? n - 100 : n;
}

/*
 * A record already in the case, read again (another export of the same
 * events, an overlapping window): the event lists this source too, and
 * when this copy tells more than the stored one (a UAL export's copy of
 * a record Defender's PowerShell export had cut), this copy replaces it:
 * *replace is set and the caller inserts it, then moves the list.
 */
int load_merge_dup(struct sqlite_load *ld, int64_t old, const struct event *ev, struct sv msgjson,
		   bool *replace, int64_t *old_source, int64_t *old_line, char **cause)
{
	*replace = false;
	/* its message list decides too: where the query finds it */
	if (load_blocks_settle(ld, old, cause) < 0)
		return -1;
	sqlite3_stmt *q = ld->sel_rich;
	sqlite3_bind_int64(q, 1, old);
	int r = sqlite3_step(q);
	int old_rich = 0;
	int64_t old_msgs = 0;
	if (r == SQLITE_ROW) {
		old_msgs = sqlite3_column_int64(q, 4);
		old_rich = sqlite3_column_int(q, 0);
		if (sqlite3_column_int64(q, 1) & EVF_PS_TRUNCATED)
			old_rich -= 100;
		*old_source = sqlite3_column_int64(q, 2);
		*old_line = sqlite3_column_int64(q, 3);
	}
	sqlite3_reset(q);
	if (r != SQLITE_ROW)
		return r == SQLITE_DONE ? 0 : load_db_fail(ld, cause);
	(void)msgjson;
	if (richness(ev) > old_rich && *old_source != ld->source) {
		/* its entries in the posting lists no longer hold */
		sqlite3_bind_int64(ld->ins_gone, 1, old);
		r = sqlite3_step(ld->ins_gone);
		sqlite3_reset(ld->ins_gone);
		if (r != SQLITE_DONE)
			return load_db_fail(ld, cause);
		sqlite3_bind_int64(ld->del_ev, 1, old);
		sqlite3_bind_int64(ld->del_msg, 1, old);
		int a = sqlite3_step(ld->del_ev), b = sqlite3_step(ld->del_msg);
		bool in_table = sqlite3_changes(store_db(ld->base.st)) > 0; /* an older case's msglists */
		sqlite3_reset(ld->del_ev);
		sqlite3_reset(ld->del_msg);
		if (a != SQLITE_DONE || b != SQLITE_DONE)
			return load_db_fail(ld, cause);
		/* a list in a block stays there, unreachable without its
		 * event: the block's count of messages no longer has it */
		if (old_msgs > 0 && !in_table && uncount_msgs(ld, old, old_msgs, cause) < 0)
			return -1;
		*replace = true;
		return 0;
	}
	if (*old_source == ld->source)
		return 0; /* the same export repeating itself (paging) */
	q = ld->ins_seen;
	sqlite3_bind_int64(q, 1, old);
	sqlite3_bind_int64(q, 2, ld->source);
	sqlite3_bind_int64(q, 3, (int64_t)ev->line);
	sqlite3_bind_null(q, 4); /* this copy tells no more: not kept */
	r = sqlite3_step(q);
	sqlite3_reset(q);
	return r == SQLITE_DONE ? 0 : load_db_fail(ld, cause);
}

/* 0 when a duplicate was only noted, -1 when noting it failed. */
int load_failed_merge(struct sqlite_load *ld, char **cause)
{
	return atomic_load_explicit(&ld->has_error, memory_order_acquire) || (cause && *cause) ? -1 : 0;
}

/* After a richer copy replaced event old by new: old's list moves, and
 * old's own source joins it with old's id, under which its raw record
 * stays readable (store_event_seen). */
int load_moved(struct sqlite_load *ld, int64_t old, int64_t new, int64_t old_source, int64_t old_line,
	       char **cause)
{
	sqlite3_bind_int64(ld->upd_seen, 1, new);
	sqlite3_bind_int64(ld->upd_seen, 2, old);
	int r = sqlite3_step(ld->upd_seen);
	sqlite3_reset(ld->upd_seen);
	if (r != SQLITE_DONE)
		return load_db_fail(ld, cause);
	sqlite3_bind_int64(ld->ins_seen, 1, new);
	sqlite3_bind_int64(ld->ins_seen, 2, old_source);
	sqlite3_bind_int64(ld->ins_seen, 3, old_line);
	/* the replaced copy's raw record stays in its block under its id
	 * (rawblocks are never deleted): evidence of what that source said */
	sqlite3_bind_int64(ld->ins_seen, 4, old);
	r = sqlite3_step(ld->ins_seen);
	sqlite3_reset(ld->ins_seen);
	return r == SQLITE_DONE ? 0 : load_db_fail(ld, cause);
}

/* ---- ridx (rid.c, ridx.c): the case's record ids, kept by the load ---- */

/*
 * ridx takes a load's events once, at its end, in key order: one pass
 * over the table's blocks (ridx.c). Filled at each commit instead, every
 * commit's 50,000 ids went into every page of a table as large as the
 * case: 1M events 0.66 s of CPU, 5M 10.5 s and 29 s wall (sqlite3, 8 MB
 * cache, schema 12's row a key). Until then the case's meta row
 * ridx_from says from which event id ridx may lack them, and readers
 * look those events up themselves (SQLITE_RIDX_IDS): during the load,
 * and after a load killed before its end, until the next load mends the
 * table.
 */
#define RIDX_FROM_KEY "ridx_from"
/*
 * The events a load's end left in the case and the highest id then, as
 * "count top" (meta ridx_events), written with ridx's last keys: the
 * next load's start takes the count for the events' while their highest
 * id is still top (ridx_count), rather than count them. Counted, a
 * 1M-event case's 1,025 pages of ev_ts were read at every append's
 * start, serially, before its first record. Only a load changes the
 * events: one of this build keeps the count with ridx, one that gave ids
 * past top (an older build's, one killed before its end, which also
 * leaves the window that the next start mends) makes it stale, and a
 * mend deletes it (ridx_from_events). A count that does not match
 * ridx's keys is checked by counting the events before ridx is made
 * again.
 */
#define RIDX_EVENTS_KEY "ridx_events"
/* the least window a commit closes (load_ridx_after_commit) */
#define RIDX_WINDOW_MIN 65536

static size_t ridx_next(void *ctx, uint64_t *slots, size_t max)
{
	int64_t *k = (int64_t *)slots; /* (the same words, signed) */
	size_t n = sqlite_ridx_r_take(ctx, k, max);
	for (size_t i = 0; i < n; i++)
		slots[i] = (uint64_t)k[i] ^ ((uint64_t)1 << 63);
	return n;
}

static int64_t scalar(struct sqlite_load *ld, const char *sql, int64_t none)
{
	sqlite3_stmt *q;
	int64_t v = none;
	if (sqlite3_prepare_v2(store_db(ld->base.st), sql, -1, &q, NULL) != SQLITE_OK)
		return none;
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

/* In one transaction: the events from the window's first id (all: 0,
 * after emptying ridx) into ridx, and the window closed. */
static int ridx_from_events(struct sqlite_load *ld, bool all, char **cause)
{
	struct store *st = ld->base.st;
	if (sqlite_exec(st, "BEGIN", cause) < 0)
		return -1;
	int64_t from = all ? 0 : scalar(ld, "SELECT value FROM meta WHERE key = '" RIDX_FROM_KEY "'", 1);
	if (sqlite_ridx_from_events(store_db(st), from > 0 ? from : all ? 0 : 1) != SQLITE_OK) {
		load_db_fail(ld, cause);
		sqlite_exec(st, "ROLLBACK", NULL);
		return -1;
	}
	/* (and the count the last load's end kept, which ridx no longer
	 * follows: ridx_count) */
	int r = sqlite_exec(st,
			    "DELETE FROM meta WHERE key = '" RIDX_FROM_KEY "' OR key = '" RIDX_EVENTS_KEY "';"
			    " COMMIT",
			    cause);
	if (r < 0)
		sqlite_exec(st, "ROLLBACK", NULL);
	return r;
}

/*
 * The fingerprint table's filter over ridx's keys, kept with the case
 * (meta row ridx_filter) by a load's end: an append takes it rather than
 * make it again from every key of the case (callgrind, 200k events
 * appended to a 1M-event case: the seed's filter 112 M instructions of
 * the seed's 215 M, and it grows with the case). Its header says which
 * keys it holds: those of the events up to an id, its highest then
 * (FILTER_ID). Event ids only grow (a replaced copy gets a new one, or
 * the very id of the event it replaces, whose key is its own), so the
 * keys past that id in ridx are those of later loads: this build's that
 * did not write the filter again, another build's, one killed before its
 * end. The seed adds those as it reads ridx (load_ridmap_seed), so that
 * an append's end writes the filter only once the keys it lacks are a
 * quarter of those in the table (FILTER_LATE): a 200k append sets bits in
 * every 64 KB row of a 1M-event case's 2 MB filter, and writing them all
 * with the value map's cost it 2.4 MB of log and as much copied into the
 * case at every load's end. A filter whose header claims ids past the
 * case's highest, or a source the case never had, was made for another
 * case: passed by; a key gone (a replaced copy) leaves a filter that
 * still holds every key, as a filter may. (Builds before this one take
 * a filter only when its ids are the case's highest: one an append kept
 * they pass by, and make their own.) Words little-endian, as ridx's
 * keys. The value map keeps its own the same way (vidx_filter:
 * load_values.c), over value ids.
 */
#define RIDX_FILTER_KEY "ridx_filter"
/* its words in rows of at most 64 KB (ridx_filter.0000 on): one blob of
 * 2 MB (1M events) was a buffer of SQLite's and a copy of it at the
 * seed, and the 200k append's peak RSS 4-5 MB higher */
#define FILTER_ROW_WORDS 8192
enum { FILTER_FORMAT, FILTER_ID, FILTER_SOURCE, FILTER_WORDS, FILTER_K, FILTER_HEAD };
#define FILTER_FORMAT_1 1
/* written again once the keys it lacks are more than 1/FILTER_LATE of the
 * table's (each a bit set at every seed until then) */
#define FILTER_LATE 4

/* The case's highest event id, as ridx's filter's header has it. */
static int64_t filter_event(struct sqlite_load *ld)
{
	return scalar(ld, "SELECT coalesce(max(id), 0) FROM events", -1);
}

static void filter_row_key(char *out, size_t size, const char *key, size_t row)
{
	snprintf(out, size, "%s.%04zu", key, row);
}

/* A statement over meta with the filter's key as ?1 (NULL: failed). */
static sqlite3_stmt *filter_stmt(sqlite3 *db, const char *sql, const char *key)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	return q;
}

/* The kept filter's header, when it fits the case (id, source: the
 * case's highest ids now): the first id whose key it may lack, 0 when
 * none. */
static int64_t filter_from(const int64_t *h, int64_t id, int64_t source, size_t max_words)
{
	if (id < 0 || source < 0 || h[FILTER_WORDS] < 8 || h[FILTER_WORDS] % 8 ||
	    h[FILTER_WORDS] > (int64_t)max_words || h[FILTER_K] < 1 || h[FILTER_K] > 6)
		return 0;
	if (h[FILTER_FORMAT] != FILTER_FORMAT_1 || h[FILTER_ID] < 0 || h[FILTER_ID] > id ||
	    h[FILTER_SOURCE] < 0 || h[FILTER_SOURCE] > source)
		return 0;
	return h[FILTER_ID] + 1;
}

void load_filter_read(struct sqlite_load *ld, const char *key, struct ridmap *m, int64_t id)
{
	free(m->kept);
	m->kept = NULL;
	m->kept_from = 0;
	size_t max_words = (m->bloom_max ? m->bloom_max : RIDMAP_BLOOM_MAX) / 8;
	int64_t source = scalar(ld, "SELECT coalesce(max(id), 0) FROM sources", -1), h[FILTER_HEAD];
	sqlite3 *db = store_db(ld->base.st);
	sqlite3_stmt *q = filter_stmt(db, "SELECT value FROM meta WHERE key = ?1", key);
	if (!q)
		return;
	bool ok = sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) == SQLITE_BLOB &&
		  sqlite3_column_bytes(q, 0) == (int)sizeof h;
	if (ok) {
		const unsigned char *p = sqlite3_column_blob(q, 0);
		for (size_t i = 0; i < FILTER_HEAD; i++) {
			uint64_t v;
			memcpy(&v, p + i * 8, 8);
			h[i] = (int64_t)le64toh(v);
		}
	}
	sqlite3_finalize(q);
	int64_t from = ok ? filter_from(h, id, source, max_words) : 0;
	if (!from)
		return;
	size_t n = (size_t)h[FILTER_WORDS], at = 0;
	q = filter_stmt(db,
			"SELECT key, value FROM meta WHERE key > ?1 || '.' AND key < ?1 || '/' ORDER BY key",
			key);
	if (!q)
		return;
	uint64_t *bits = xmalloc(n * sizeof *bits);
	char want[64];
	while (ok && sqlite3_step(q) == SQLITE_ROW) {
		size_t r = n - at < FILTER_ROW_WORDS ? n - at : FILTER_ROW_WORDS;
		filter_row_key(want, sizeof want, key, at / FILTER_ROW_WORDS);
		const char *rk = (const char *)sqlite3_column_text(q, 0);
		ok = r && rk && strcmp(rk, want) == 0 && sqlite3_column_type(q, 1) == SQLITE_BLOB &&
		     (size_t)sqlite3_column_bytes(q, 1) == r * 8;
		if (ok) {
			memcpy(bits + at, sqlite3_column_blob(q, 1), r * 8);
			at += r;
		}
	}
	sqlite3_finalize(q);
	if (!ok || at != n) {
		free(bits);
		return;
	}
	for (size_t i = 0; i < n; i++)
		bits[i] = le64toh(bits[i]);
	m->kept = bits;
	m->kept_words = n;
	m->kept_k = (int)h[FILTER_K];
	m->kept_from = from;
	m->kept_top = id;
}

void load_filter_drop(sqlite3 *db, const char *key)
{
	sqlite3_stmt *q =
		filter_stmt(db, "DELETE FROM meta WHERE key = ?1 OR (key > ?1 || '.' AND key < ?1 || '/')",
			    key);
	if (q) {
		sqlite3_step(q);
		sqlite3_finalize(q);
	}
}

/* Does the filter kept with the case serve the next load as it is? The
 * seed took it, it has not changed its size or bits an entry since,
 * and the keys it lacks are few. */
static bool filter_serves(const struct ridmap *m)
{
	size_t all = m->spilled + m->count;
	if (!m->kept_from || m->bloom_words != m->kept_words || m->bloom_k != m->kept_k || all < m->seed_n)
		return false;
	size_t late = m->kept_late + (all - m->seed_n);
	return late <= all / FILTER_LATE;
}

/* One row of meta, key to the blob p of n bytes: an existing row of the
 * same size is overwritten in place, where SQLite writes only the pages
 * whose bytes changed (a header the same: none). */
static bool filter_put(sqlite3_stmt *q, const char *key, const void *p, size_t n)
{
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 2, p, (int)n, SQLITE_STATIC);
	bool ok = sqlite3_step(q) == SQLITE_DONE;
	sqlite3_reset(q);
	return ok;
}

void load_filter_write(struct sqlite_load *ld, const char *key, const struct ridmap *m, int64_t id)
{
	sqlite3 *db = store_db(ld->base.st);
	if (!m->bloom || !m->bloom_words || id < 0) {
		load_filter_drop(db, key);
		return;
	}
	if (filter_serves(m))
		return;
	int64_t h[FILTER_HEAD] = { FILTER_FORMAT_1, id, 0, (int64_t)m->bloom_words, m->bloom_k };
	h[FILTER_SOURCE] = scalar(ld, "SELECT coalesce(max(id), 0) FROM sources", -1);
	sqlite3_stmt *q = NULL;
	if (h[FILTER_SOURCE] < 0 || sqlite3_prepare_v2(db,
						       "INSERT INTO meta(key, value) VALUES(?1, ?2)"
						       " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
						       -1, &q, NULL) != SQLITE_OK) {
		load_filter_drop(db, key);
		return;
	}
	uint64_t *out = xmalloc(FILTER_ROW_WORDS * sizeof *out);
	char rk[64];
	bool ok = true;
	size_t row = 0;
	for (size_t at = 0; ok && at < m->bloom_words; at += FILTER_ROW_WORDS, row++) {
		size_t n = m->bloom_words - at < FILTER_ROW_WORDS ? m->bloom_words - at : FILTER_ROW_WORDS;
		for (size_t i = 0; i < n; i++)
			out[i] = htole64(m->bloom[at + i]);
		filter_row_key(rk, sizeof rk, key, row);
		ok = filter_put(q, rk, out, n * sizeof *out);
	}
	/* the header last: a filter of another size than the rows of
	 * before had is read whole only once its rows are all in */
	for (size_t i = 0; ok && i < FILTER_HEAD; i++)
		out[i] = htole64((uint64_t)h[i]);
	ok = ok && filter_put(q, key, out, sizeof h);
	sqlite3_finalize(q);
	free(out);
	/* the rows past these (a smaller filter than before) */
	filter_row_key(rk, sizeof rk, key, row);
	q = ok ? filter_stmt(db, "DELETE FROM meta WHERE key >= ?2 AND key < ?1 || '/'", key) : NULL;
	if (q) {
		sqlite3_bind_text(q, 2, rk, -1, SQLITE_STATIC);
		ok = sqlite3_step(q) == SQLITE_DONE;
		sqlite3_finalize(q);
	}
	if (!ok)
		load_filter_drop(db, key);
}

/* The kept filter, when it fits the case, to the table's seed. */
static void filter_read(struct sqlite_load *ld)
{
	load_filter_read(ld, RIDX_FILTER_KEY, &ld->rids, filter_event(ld));
}

/* The table's filter, over every key ridx holds now, kept with the case
 * (in the transaction that fills ridx) unless the one kept serves. A
 * failure leaves a filter that the next seed passes by or none. */
static void filter_write(struct sqlite_load *ld)
{
	if (ld->by_index)
		load_filter_drop(store_db(ld->base.st), RIDX_FILTER_KEY);
	else
		load_filter_write(ld, RIDX_FILTER_KEY, &ld->rids, filter_event(ld));
}

/* The case's events (top: its highest id): the count the last load's
 * end kept when it still holds (*kept), else counted. -1: failed. */
static int64_t ridx_count(struct sqlite_load *ld, int64_t top, bool *kept)
{
	*kept = false;
	sqlite3_stmt *q;
	long long n = -1, t = -1;
	if (sqlite3_prepare_v2(store_db(ld->base.st), "SELECT value FROM meta WHERE key = '" RIDX_EVENTS_KEY "'",
			       -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) == SQLITE_TEXT) {
			const char *v = (const char *)sqlite3_column_text(q, 0);
			char end;
			if (sscanf(v, "%lld %lld%c", &n, &t, &end) != 2)
				n = -1;
		}
		sqlite3_finalize(q);
	}
	if (n >= 0 && t == top && n <= top) {
		*kept = true;
		return n;
	}
	return scalar(ld, "SELECT count(*) FROM events", -1);
}

/* The case's keys from ridx as the table's first run: false when the
 * run could not be written. */
static bool ridx_seed_run(struct sqlite_load *ld, bool *db_ok)
{
	struct sqlite_ridx_r *rd = sqlite_ridx_r_new(store_db(ld->base.st));
	bool ok = load_ridmap_seed(&ld->rids, ridx_next, rd);
	*db_ok = sqlite_ridx_r_free(rd) == SQLITE_OK;
	return ok;
}

/* The table emptied as a load begins it (its sizes kept). */
static void ridx_table_reset(struct ridmap *m)
{
	size_t max = m->max, bloom_max = m->bloom_max, young_max = m->young_max;
	unsigned step = m->bloom_step;
	load_ridmap_free(m);
	memset(m, 0, sizeof *m);
	m->max = max;
	m->bloom_max = bloom_max;
	m->bloom_step = step;
	m->young_max = young_max;
}

/*
 * The case's record ids as the table's first run, read from ridx: its
 * keys in order already. Measured, a load of nothing into a case of 1M
 * events (what any append pays first): 0.99 s of CPU and 5.1 s wall
 * (busy machine) when the ids were read from events (each row's id, kind
 * and record id, hashed, sorted and merged in runs: 0.32 s) and ev_rid
 * dropped and built again at the end; 0.08 s and 0.6 s from ridx. The
 * seed counts ridx's keys as it reads them, and that they are one for
 * each event is checked then: ridx was read twice before, its keys summed
 * first (a 1M-event case's 559 pages, serially, at every append's start).
 */
int load_ridx_seed(struct sqlite_load *ld, char **cause)
{
	struct store *st = ld->base.st;
	ld->rids.bloom_step = 4; /* (load_ridmap.c's bloom_fit says why) */
	/* a killed load's events; then a table that still does not match
	 * (a case changed by hand) is made again whole, and its filter with it */
	bool mended = false;
	if (scalar(ld, "SELECT value FROM meta WHERE key = '" RIDX_FROM_KEY "'", 0) > 0) {
		if (ridx_from_events(ld, false, cause) < 0)
			return -1;
		mended = true;
	}
	int64_t top = scalar(ld, "SELECT coalesce(max(id), 0) FROM events", -1);
	bool kept = false;
	int64_t nevents = top < 0 ? -1 : ridx_count(ld, top, &kept);
	if (nevents < 0)
		return load_db_fail(ld, cause);
	bool ok = true, db_ok = true;
	if (nevents) {
		if (!mended)
			filter_read(ld);
		ok = ridx_seed_run(ld, &db_ok);
	}
	/* the seed's keys (the table had none); with no events, whether
	 * ridx has any */
	size_t seeded = nevents ? ld->rids.spilled
				: (size_t)(scalar(ld, "SELECT EXISTS(SELECT 1 FROM ridx)", 1) != 0);
	if (db_ok && ok && seeded != (size_t)nevents && kept) {
		nevents = scalar(ld, "SELECT count(*) FROM events", -1); /* (the kept count, checked) */
		if (nevents < 0)
			return load_db_fail(ld, cause);
	}
	if (db_ok && ok && seeded != (size_t)nevents) {
		ridx_table_reset(&ld->rids);
		if (ridx_from_events(ld, true, cause) < 0)
			return -1;
		if (nevents)
			ok = ridx_seed_run(ld, &db_ok);
	}
	if (!db_ok)
		return load_db_fail(ld, cause);
	/* the window of this load's events: every id it gives is past the
	 * case's highest */
	ld->ridx_from = top + 1;
	ld->ridx_n = nevents;
	char *sql = xasprintf("INSERT OR REPLACE INTO meta(key, value) VALUES('" RIDX_FROM_KEY "', %lld)",
			      (long long)ld->ridx_from);
	int r = sqlite_exec(st, sql, cause);
	free(sql);
	if (r < 0)
		return -1;
	if (!nevents || (ok && ld->rids.spilled == (size_t)nevents))
		return 0;
	/* the runs refused: the unique index */
	return load_ridmap_retire(ld, cause);
}

/* The slot of fingerprint fp's event id, as ridx orders it (signed). */
static int64_t ridx_key(uint64_t slot)
{
	return (int64_t)(slot ^ ((uint64_t)1 << 63));
}

int load_ridx_add(struct sqlite_load *ld, uint64_t fp, int64_t id, int64_t replaced, char **cause)
{
	if (id <= 0 || id > (int64_t)UINT32_MAX)
		return set_cause(cause,
				 "%s: more than %u events were given ids: the record-id table cannot hold them",
				 store_path(ld->base.st), UINT32_MAX);
	if (replaced <= 0)
		return 0;
	uint64_t slot = (uint64_t)load_ridmap_fp32(fp) << 32 | (uint64_t)replaced;
	if (replaced >= ld->ridx_from) { /* this load's: left out at its end */
		ld->ridx_del = xgrow(ld->ridx_del, &ld->ridx_delcap, ld->nridx_del + 1, sizeof *ld->ridx_del);
		ld->ridx_del[ld->nridx_del++] = slot;
		return 0;
	}
	/* in ridx: out with its event, in the same transaction (before its
	 * commit: load_ridx_commit) */
	ld->ridx_rm = xgrow(ld->ridx_rm, &ld->ridx_rmcap, ld->nridx_rm + 1, sizeof *ld->ridx_rm);
	ld->ridx_rm[ld->nridx_rm++] = slot;
	return 0;
}

/*
 * The keys of earlier loads' events that richer copies replaced in this
 * transaction, out of their blocks before it commits: each block they
 * fall in rewritten once (one at a time, a block was read and written
 * for each).
 */
int load_ridx_commit(struct sqlite_load *ld, char **cause)
{
	if (!ld->nridx_rm)
		return 0;
	uint64_t *tmp = xmalloc(ld->nridx_rm * sizeof *tmp);
	load_ridmap_sort(ld->ridx_rm, tmp, ld->nridx_rm);
	free(tmp);
	int64_t *k = xmalloc(ld->nridx_rm * sizeof *k);
	for (size_t i = 0; i < ld->nridx_rm; i++)
		k[i] = ridx_key(ld->ridx_rm[i]);
	size_t gone = 0; /* (ridx_n: what ridx holds, exactly: ridx_count) */
	for (size_t i = 0; i < ld->nridx_rm; i++)
		gone += i == 0 || k[i] != k[i - 1];
	int r = sqlite_ridx_del(store_db(ld->base.st), k, ld->nridx_rm);
	free(k);
	ld->nridx_rm = 0;
	if (r != SQLITE_OK)
		return load_db_fail(ld, cause);
	ld->ridx_n -= (int64_t)gone;
	return 0;
}

struct fill {
	struct sqlite_load *ld;
	struct sqlite_ridx_w *w;
	size_t del; /* next in ld->ridx_del */
	size_t added;
};

static bool fill_one(void *ctx, uint64_t slot)
{
	struct fill *f = ctx;
	struct sqlite_load *ld = f->ld;
	if ((int64_t)(slot & UINT32_MAX) < ld->ridx_from)
		return true; /* in ridx already (the seed) */
	while (f->del < ld->nridx_del && ld->ridx_del[f->del] < slot)
		f->del++;
	if (f->del < ld->nridx_del && ld->ridx_del[f->del] == slot)
		return true; /* replaced by a richer copy */
	f->added++;
	return sqlite_ridx_w_put(f->w, ridx_key(slot)) == SQLITE_OK;
}

/* The window's events into ridx from the fingerprint table, in one
 * transaction with the meta row: gone at the end, else moved past the
 * last event given (all of them committed). */
static int ridx_fill(struct sqlite_load *ld, bool end, char **cause)
{
	struct store *st = ld->base.st;
	if (ld->nridx_del) {
		uint64_t *tmp = xmalloc(ld->nridx_del * sizeof *tmp);
		load_ridmap_sort(ld->ridx_del, tmp, ld->nridx_del);
		free(tmp);
	}
	if (sqlite_exec(st, "BEGIN", cause) < 0)
		return -1;
	/* the window's keys a run of their own: the case's blocks are not
	 * read or written again (sqlite_ridx_settle merges runs) */
	sqlite3 *db = store_db(st);
	struct fill f = { .ld = ld, .w = sqlite_ridx_w_new(db, sqlite_ridx_new_run(db)) };
	bool ok = load_ridmap_each(&ld->rids, fill_one, &f);
	bool db_ok = sqlite_ridx_w_free(f.w) == SQLITE_OK && sqlite_ridx_settle(db) == SQLITE_OK;
	if (!db_ok) {
		load_db_fail(ld, cause);
		sqlite_exec(st, "ROLLBACK", NULL);
		return -1;
	}
	if (ok && end) /* the next load's filter */
		filter_write(ld);
	/* at the end, the count of the events for the next load's start
	 * (ridx_count): ridx's keys, one an event */
	int64_t top = end ? scalar(ld, "SELECT coalesce(max(id), 0) FROM events", -1) : -1;
	char *meta = !end ? xasprintf("UPDATE meta SET value = %lld WHERE key = '" RIDX_FROM_KEY "'; COMMIT",
				      (long long)ld->last_id + 1)
		     : top >= 0 ? xasprintf("DELETE FROM meta WHERE key = '" RIDX_FROM_KEY "';"
					    " INSERT OR REPLACE INTO meta(key, value) VALUES('" RIDX_EVENTS_KEY
					    "', '%lld %lld'); COMMIT",
					    (long long)(ld->ridx_n + (int64_t)f.added), (long long)top)
				: xstrdup("DELETE FROM meta WHERE key = '" RIDX_FROM_KEY
					  "' OR key = '" RIDX_EVENTS_KEY "'; COMMIT");
	ok = ok && sqlite_exec(st, meta, cause) == 0;
	free(meta);
	if (ok) {
		ld->ridx_n += (int64_t)f.added;
		if (!end)
			ld->ridx_from = ld->last_id + 1;
		return 0;
	}
	sqlite_exec(st, "ROLLBACK", NULL);
	/* the runs could not be read: from the events (at the end; before,
	 * the window stays open) */
	return end ? ridx_from_events(ld, false, cause) : 0;
}

int load_ridx_finish(struct sqlite_load *ld, char **cause)
{
	if (ld->by_index) /* no table to read them from: the events */
		return ridx_from_events(ld, false, cause);
	return ridx_fill(ld, true, cause);
}

/* Has the case a mark, a tag or a note? */
static bool annotated(struct store *st)
{
	sqlite3_stmt *q;
	bool r = false;
	if (sqlite3_prepare_v2(store_db(st),
			       "SELECT EXISTS(SELECT 1 FROM marks) OR EXISTS(SELECT 1 FROM tags)"
			       " OR EXISTS(SELECT 1 FROM notes)",
			       -1, &q, NULL) == SQLITE_OK) {
		r = sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0);
		sqlite3_finalize(q);
	}
	return r;
}

/*
 * Once the case has an annotation (an analyst marking events while the
 * load runs: issue 10, finding 12), its marked look-ups scan the window:
 * measured, 200k events in it took 'query marked' from 0.43 to 2.85 s of
 * CPU. So a commit closes the window once it holds a quarter of ridx's
 * entries (64k at least): each close a pass over the fingerprint table
 * and inserts into ridx, a few of them in a load.
 */
int load_ridx_after_commit(struct sqlite_load *ld, char **cause)
{
	int64_t window = ld->last_id + 1 - ld->ridx_from;
	/* (a test's small fingerprint table: its size) */
	int64_t least = ld->rids.max ? (int64_t)ld->rids.max : RIDX_WINDOW_MIN;
	if (ld->by_index || !ld->ridx_from || window < least || window < ld->ridx_n / 4 ||
	    !annotated(ld->base.st))
		return 0;
	return ridx_fill(ld, false, cause);
}

void load_ridx_free(struct sqlite_load *ld)
{
	free(ld->ridx_rm);
	ld->ridx_rm = NULL;
	ld->nridx_rm = ld->ridx_rmcap = 0;
	free(ld->ridx_del);
	ld->ridx_del = NULL;
	ld->nridx_del = ld->ridx_delcap = 0;
}
