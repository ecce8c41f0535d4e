/*
 * load_conflict.c: a record id seen again with other content (issue 10).
 * A duplicate (the same kind and record id) is normally the same record
 * from another export; but a record whose time or a field that both
 * copies have differs is not the same record, whatever its id says (a
 * tampered export, a tool that reuses ids). Such a second copy is not
 * merged away as a duplicate: it is kept verbatim in rejects with a
 * reason that starts "conflict:", counted apart (store_counts.conflicts)
 * and warned about.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite/store_impl.h"
#include "util.h"
#include "xalloc.h"
#include "load_impl.h"

/* The events columns of load_event_values' fields, in its order. */
static const char *const conflict_cols[] = {
	"op",      "rtype", "workload", "user",   "app",         "client_app", "ip",   "result",
	"session", "token", "mailbox",  "access", "client_info", "detail",     "host",
};
_Static_assert(sizeof conflict_cols / sizeof *conflict_cols == LOAD_NVALS,
	       "conflict_cols follows load_event_values");

/* The stored copy's raw record when it is at hand: in the case, or in
 * the block this load is assembling. NULL when it is on its way through
 * the compressor (the fields decide then). Caller frees.
 *
 * The block being assembled holds two entries an event, its record and
 * then its message list (load_blocks_append, since schema 9): event k's
 * record runs from offs[2k] to offs[2k + 1]. */
static char *old_raw(struct sqlite_load *ld, int64_t id, size_t *len)
{
	const struct blkbuf *bb = &ld->rawb;
	if (bb->noffs && id >= bb->first && id < bb->next) {
		size_t k = (size_t)(id - bb->first);
		size_t a = bb->offs[2 * k], b = bb->offs[2 * k + 1];
		*len = b - a;
		return xstrndup(bb->data + a, b - a);
	}
	return sqlite_raw(ld->base.st, id, len);
}

/* Which field of the stored event differs from ev, of those both have
 * ("time" for the time); NULL when none does. */
static const char *differing_field(struct sqlite_load *ld, int64_t old, const struct event *ev, char **cause,
				   int *rc)
{
	*rc = 0;
	if (!ld->sel_conf) {
		struct util_buf sql = { 0 };
		util_buf_puts(&sql, "SELECT ts");
		for (size_t i = 0; i < LOAD_NVALS; i++)
			util_buf_printf(&sql, ", (SELECT v FROM vals WHERE id = e.%s)", conflict_cols[i]);
		util_buf_puts(&sql, " FROM events e WHERE id = ?");
		int pr = sqlite3_prepare_v2(store_db(ld->base.st), util_buf_str(&sql), -1, &ld->sel_conf, NULL);
		util_buf_free(&sql);
		if (pr != SQLITE_OK) {
			*rc = load_db_fail(ld, cause);
			return NULL;
		}
	}
	sqlite3_stmt *q = ld->sel_conf;
	sqlite3_bind_int64(q, 1, old);
	int r = sqlite3_step(q);
	const char *which = NULL;
	if (r == SQLITE_ROW) {
		struct sv f[LOAD_NVALS];
		load_event_values(ev, f);
		if (sqlite3_column_int64(q, 0) != ev->ts)
			which = "time";
		for (size_t i = 0; !which && i < LOAD_NVALS; i++) {
			const void *v = sqlite3_column_blob(q, (int)i + 1);
			size_t n = (size_t)sqlite3_column_bytes(q, (int)i + 1);
			if (v && n && f[i].p && f[i].n && (n != f[i].n || memcmp(v, f[i].p, n) != 0))
				which = conflict_cols[i];
		}
	} else if (r != SQLITE_DONE) {
		*rc = load_db_fail(ld, cause);
	}
	sqlite3_reset(q);
	return which;
}

int load_conflict(struct sqlite_load *ld, int64_t old, const struct event *ev, bool *conflict, char **cause)
{
	*conflict = false;
	/* the same raw record: the same record (a file loaded again) */
	size_t n = 0;
	char *raw = old_raw(ld, old, &n);
	bool same = raw && n == ev->raw.n && memcmp(raw, ev->raw.p, n) == 0;
	free(raw);
	if (same)
		return 0;
	int rc;
	const char *which = differing_field(ld, old, ev, cause, &rc);
	if (rc < 0)
		return -1;
	if (!which)
		return 0; /* another export's text of the same record */
	*conflict = true;
	char *why = xasprintf("conflict: record id %.*s was loaded before (event %" PRId64 ") with another %s",
			      (int)ev->record_id.n, ev->record_id.p, old, which);
	sqlite3_stmt *q = ld->ins_rej;
	sqlite3_bind_int64(q, 1, ld->source);
	sqlite3_bind_int64(q, 2, (int64_t)ev->line);
	sqlite3_bind_text(q, 3, why, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(q, 4, ev->raw.p ? ev->raw.p : "", (int)ev->raw.n, SQLITE_STATIC);
	int r = sqlite3_step(q);
	sqlite3_reset(q);
	free(why);
	if (r != SQLITE_DONE)
		return load_db_fail(ld, cause);
	ld->wc.records++;
	/* kept once: the same file loaded again finds it a duplicate */
	if (sqlite3_changes(store_db(ld->base.st)))
		ld->wc.conflicts++;
	else
		ld->wc.duplicates++;
	return 0;
}
