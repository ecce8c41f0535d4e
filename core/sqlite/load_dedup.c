/*
 * load_dedup.c: deduplication during a load. A record already in the case (the
 * same kind and record id) is a duplicate: the event lists the new
 * source too (table seen), and a richer copy replaces the stored one.
 */
#include <errno.h>
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
 * stored id for each fingerprint that matches. */
int load_is_dup(struct sqlite_load *ld, const struct item *it, bool *dup, int64_t *dup_id, char **cause)
{
	*dup = false;
	struct ridmap *m = &ld->rids;
	int kind = it->ev.kind;
	if (!load_ridmap_find(m, load_ridmap_fp32(it->fp)))
		return set_cause(cause, "%s: cannot read the record-id table in the temporary directory: %s",
				 store_path(ld->base.st), strerror(errno));
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
		}
		sqlite3_reset(q);
		if (r != SQLITE_ROW && r != SQLITE_DONE)
			rc = load_db_fail(ld, cause);
	}
	free(tmp);
	return rc;
}
/*
 * When the fingerprint table cannot go on (an event id past 2^32, a
 * temporary directory that refuses the runs), the load builds the unique
 * index instead and lets SQLite refuse duplicates (slower: random inserts
 * into a large B-tree, but bounded).
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
	r = sqlite3_step(q);
	sqlite3_reset(q);
	return r == SQLITE_DONE ? 0 : load_db_fail(ld, cause);
}

/* 0 when a duplicate was only noted, -1 when noting it failed. */
int load_failed_merge(struct sqlite_load *ld, char **cause)
{
	return atomic_load_explicit(&ld->has_error, memory_order_acquire) || (cause && *cause) ? -1 : 0;
}

/* After a richer copy replaced event old by new: old's list moves. */
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
	r = sqlite3_step(ld->ins_seen);
	sqlite3_reset(ld->ins_seen);
	return r == SQLITE_DONE ? 0 : load_db_fail(ld, cause);
}
