/*
 * annot_read.c: what the analysts' annotations say (annot.h): one
 * event's bookmark, tags and notes, the next bookmarked event, counts and
 * saved views; annot.c writes them.
 */
#include <stdlib.h>

#include "annot.h"
#include "xalloc.h"
#include "sqlite_store.h"

static char *dup_col(sqlite3_stmt *q, int i)
{
	const char *s = (const char *)sqlite3_column_text(q, i);
	return s ? xstrdup(s) : NULL;
}

int sqlite_annot_mark_next(struct store *st, int64_t ts, int64_t id, bool backward, int64_t *out_event,
			   int64_t *out_ts, char **cause)
{
	/* Marks are few; walking them joined to their events through ridx
	 * beats any scan of the events. */
	sqlite3_stmt *q =
		sqlite_prep(st,
			    backward ? "SELECT e.id, e.ts FROM events e WHERE e.id IN (" MARKED_IDS ")"
				       " AND (e.ts, e.id) < (?1, ?2) ORDER BY e.ts DESC, e.id DESC LIMIT 1"
				     : "SELECT e.id, e.ts FROM events e WHERE e.id IN (" MARKED_IDS ")"
				       " AND (e.ts, e.id) > (?1, ?2) ORDER BY e.ts, e.id LIMIT 1",
			    cause);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, ts);
	sqlite3_bind_int64(q, 2, id);
	int r = sqlite3_step(q), rc = 0;
	if (r == SQLITE_ROW) {
		if (out_event)
			*out_event = sqlite3_column_int64(q, 0);
		if (out_ts)
			*out_ts = sqlite3_column_int64(q, 1);
		rc = 1;
	} else if (r != SQLITE_DONE) {
		rc = sqlite_fail(st, cause);
	}
	sqlite3_finalize(q);
	return rc;
}

int sqlite_annot_get_key(struct store *st, const char *record_id, int kind, struct annot_info **out,
			 char **cause)
{
	struct annot_info *ai = xcalloc(1, sizeof *ai);
	sqlite3_stmt *q =
		sqlite_prep(st, "SELECT author, created FROM marks WHERE record_id = rid_key(?1) AND kind = ?2",
			    cause);
	if (!q)
		goto fail;
	sqlite3_bind_text(q, 1, record_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, kind);
	int r = sqlite3_step(q);
	if (r == SQLITE_ROW) {
		ai->marked = true;
		ai->mark_author = dup_col(q, 0);
		ai->mark_created = dup_col(q, 1);
	}
	sqlite3_finalize(q);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		goto dbfail;

	q = sqlite_prep(st, "SELECT tag FROM tags WHERE record_id = rid_key(?1) AND kind = ?2 ORDER BY tag",
			cause);
	if (!q)
		goto fail;
	sqlite3_bind_text(q, 1, record_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, kind);
	size_t cap = 0;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		ai->tags = xgrow(ai->tags, &cap, ai->ntags + 1, sizeof *ai->tags);
		ai->tags[ai->ntags++] = dup_col(q, 0);
	}
	sqlite3_finalize(q);
	if (r != SQLITE_DONE)
		goto dbfail;

	q = sqlite_prep(st,
			"SELECT id, author, created, text FROM notes WHERE record_id = rid_key(?1) AND kind = ?2"
			" ORDER BY created, id",
			cause);
	if (!q)
		goto fail;
	sqlite3_bind_text(q, 1, record_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, kind);
	cap = 0;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		ai->notes = xgrow(ai->notes, &cap, ai->nnotes + 1, sizeof *ai->notes);
		struct annot_note *n = &ai->notes[ai->nnotes++];
		n->id = sqlite3_column_int64(q, 0);
		n->author = dup_col(q, 1);
		n->created = dup_col(q, 2);
		n->text = dup_col(q, 3);
	}
	sqlite3_finalize(q);
	if (r != SQLITE_DONE)
		goto dbfail;
	*out = ai;
	return 0;
dbfail:
	sqlite_fail(st, cause);
fail:
	annot_info_free(ai);
	return -1;
}

int sqlite_annot_counts(struct store *st, struct annot_counts *c, char **cause)
{
	sqlite3_stmt *q = sqlite_prep(st,
				      "SELECT (SELECT count(*) FROM marks), (SELECT count(*) FROM tags),"
				      " (SELECT count(*) FROM notes), (SELECT count(*) FROM views)",
				      cause);
	if (!q)
		return -1;
	int rc = 0;
	if (sqlite3_step(q) == SQLITE_ROW) {
		c->marks = sqlite3_column_int64(q, 0);
		c->tags = sqlite3_column_int64(q, 1);
		c->notes = sqlite3_column_int64(q, 2);
		c->views = sqlite3_column_int64(q, 3);
	} else {
		rc = sqlite_fail(st, cause);
	}
	sqlite3_finalize(q);
	return rc;
}

static struct annot_view *view_from(sqlite3_stmt *q)
{
	struct annot_view *v = xcalloc(1, sizeof *v);
	v->name = dup_col(q, 0);
	v->filter = dup_col(q, 1);
	v->sort = dup_col(q, 2);
	v->columns = dup_col(q, 3);
	v->author = dup_col(q, 4);
	v->created = dup_col(q, 5);
	return v;
}

int sqlite_annot_view_get(struct store *st, const char *name, struct annot_view **out, char **cause)
{
	sqlite3_stmt *q =
		sqlite_prep(st, "SELECT name, filter, sort, columns, author, created FROM views WHERE name = ?",
			    cause);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	int r = sqlite3_step(q), rc = 0;
	if (r == SQLITE_ROW) {
		*out = view_from(q);
		rc = 1;
	} else if (r != SQLITE_DONE) {
		rc = sqlite_fail(st, cause);
	}
	sqlite3_finalize(q);
	return rc;
}

int sqlite_annot_view_each(struct store *st, int (*fn)(const struct annot_view *v, void *ctx), void *ctx,
			   char **cause)
{
	sqlite3_stmt *q =
		sqlite_prep(st, "SELECT name, filter, sort, columns, author, created FROM views ORDER BY name",
			    cause);
	if (!q)
		return -1;
	int r;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		struct annot_view *v = view_from(q);
		int stop = fn(v, ctx);
		annot_view_free(v);
		if (stop)
			break;
	}
	int rc = r == SQLITE_ROW || r == SQLITE_DONE ? 0 : sqlite_fail(st, cause);
	sqlite3_finalize(q);
	return rc;
}
