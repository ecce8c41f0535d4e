/*
 * notes.c: annotations exported to and merged from JSON Lines (notes.h).
 *
 * Export writes with json_escape (so the file is safe to cat: controls,
 * C1 and bidi characters escaped); import parses each line with jansson,
 * checks it as strictly as the interface would have checked the analyst's
 * input (a tag with a comma is refused here as it is there), and merges
 * inside one transaction.
 */
#include "notes.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "annot.h"
#include "sanitize.h"
#include "xalloc.h"
#include "pending.h"
#include "sqlite_store.h"

#define NOTES_VERSION 1

static const char *const kind_names[] = { "ual", "signin", "directory_audit" };

static int db_fail(struct store *st, char **cause)
{
	return set_cause(cause, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
}

static void jstr(FILE *f, const char *key, const char *s)
{
	fprintf(f, ",\"%s\":", key);
	if (!s) {
		fputs("null", f);
		return;
	}
	char *e = json_escape(s, strlen(s));
	fprintf(f, "\"%s\"", e);
	free(e);
}

static const char *col(sqlite3_stmt *q, int i)
{
	return (const char *)sqlite3_column_text(q, i);
}

/* ------------------------------------------------------------------ */
/* Export */

int sqlite_notes_export(struct store *st, FILE *out, const char *case_label, struct notes_stats *stats,
			char **cause)
{
	struct notes_stats s = { 0 };
	/* one ordered walk over the three tables: by record, then mark, tags,
	 * notes, so that two exports of the same work are the same file */
	static const char sql[] =
		"SELECT 0 AS t, rid_text(record_id), kind, author, created, NULL, NULL FROM marks"
		" UNION ALL SELECT 1, rid_text(record_id), kind, author, created, tag, NULL FROM tags"
		" UNION ALL SELECT 2, rid_text(record_id), kind, author, created, text, id FROM notes"
		" ORDER BY 2, 3, 1, 6, 5, 7";
	sqlite3_stmt *q = NULL, *v = NULL;
	if (sqlite3_prepare_v2(store_db(st), sql, -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(store_db(st),
			       "SELECT name, filter, sort, columns, author, created FROM views ORDER BY name",
			       -1, &v, NULL) != SQLITE_OK) {
		db_fail(st, cause);
		sqlite3_finalize(q);
		return -1;
	}
	char now[40];
	annot_now(now, sizeof now);
	char *by = annot_author();
	fprintf(out, "{\"auditscope_notes\":%d", NOTES_VERSION);
	jstr(out, "exported", now);
	jstr(out, "by", by);
	jstr(out, "case", case_label ? case_label : store_path(st));
	fputs("}\n", out);
	free(by);
	int r;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		int t = sqlite3_column_int(q, 0), kind = sqlite3_column_int(q, 2);
		static const char *const types[] = { "mark", "tag", "note" };
		fprintf(out, "{\"type\":\"%s\"", types[t]);
		jstr(out, "record_id", col(q, 1));
		if (kind >= 0 && kind <= 2)
			jstr(out, "kind", kind_names[kind]);
		else
			fprintf(out, ",\"kind\":%d", kind);
		if (t == 1)
			jstr(out, "tag", col(q, 5));
		jstr(out, "author", col(q, 3));
		jstr(out, "created", col(q, 4));
		if (t == 2)
			jstr(out, "text", col(q, 5));
		fputs("}\n", out);
		*(t == 0 ? &s.marks : t == 1 ? &s.tags : &s.notes) += 1;
	}
	if (r == SQLITE_DONE) {
		while ((r = sqlite3_step(v)) == SQLITE_ROW) {
			fputs("{\"type\":\"view\"", out);
			jstr(out, "name", col(v, 0));
			jstr(out, "filter", col(v, 1));
			jstr(out, "sort", col(v, 2));
			jstr(out, "columns", col(v, 3));
			jstr(out, "author", col(v, 4));
			jstr(out, "created", col(v, 5));
			fputs("}\n", out);
			s.views++;
		}
	}
	int rc = 0;
	if (r != SQLITE_DONE)
		rc = db_fail(st, cause);
	else if (fflush(out) != 0 || ferror(out))
		rc = set_cause(cause, "write error: %s", strerror(errno));
	sqlite3_finalize(q);
	sqlite3_finalize(v);
	if (stats)
		*stats = s;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Import */

struct importer {
	struct store *st;
	const char *name;
	unsigned long line;
	char **cause;
	sqlite3_stmt *ins_mark, *ins_tag, *has_note, *ins_note, *ins_view, *add_key;
	/* while a load holds the case: what is there already, and the
	 * changes for the pending file (pending.c) */
	bool pending;
	sqlite3_stmt *has_mark, *has_tag, *has_view, *view_json;
	struct pend_row *rows;
	size_t nrows, rcap;
	struct notes_stats s;
};

/* Into the pending file later: 1 (to be added), 0 already in the case,
 * -1. has is bound as q would be. */
static int add_pending(struct importer *im, sqlite3_stmt *has, int op, const char *rid, int kind,
		       const char *arg, const char *author, const char *created)
{
	int r = SQLITE_DONE;
	if (has) {
		r = sqlite3_step(has);
		sqlite3_reset(has);
		sqlite3_clear_bindings(has);
		if (r != SQLITE_ROW && r != SQLITE_DONE)
			return db_fail(im->st, im->cause);
	}
	if (r == SQLITE_ROW)
		return 0;
	im->rows = xgrow(im->rows, &im->rcap, im->nrows + 1, sizeof *im->rows);
	im->rows[im->nrows++] = (struct pend_row){
		op, xstrdup(rid), kind, arg ? xstrdup(arg) : NULL, xstrdup(author), xstrdup(created)
	};
	return 1;
}

static void rows_free(struct importer *im)
{
	for (size_t i = 0; i < im->nrows; i++) {
		free((char *)im->rows[i].rid);
		free((char *)im->rows[i].arg);
		free((char *)im->rows[i].author);
		free((char *)im->rows[i].created);
	}
	free(im->rows);
}

static int bad(struct importer *im, const char *fmt, const char *what)
{
	return set_cause(im->cause, "%s:%lu: %s%s", im->name, im->line, fmt, what ? what : "");
}

/* A required string member: NULL after setting the cause. */
static const char *need(struct importer *im, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v) || json_string_length(v) == 0) {
		bad(im, "expected a non-empty string for ", key);
		return NULL;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		bad(im, "a NUL character in ", key);
		return NULL;
	}
	return json_string_value(v);
}

/* An optional string member: NULL when absent or null; *ok false on any
 * other type. */
static const char *maybe(struct importer *im, json_t *o, const char *key, bool *ok)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
		bad(im, "expected a string or null for ", key);
		*ok = false;
		return NULL;
	}
	return json_string_value(v);
}

static int get_kind(struct importer *im, json_t *o)
{
	json_t *v = json_object_get(o, "kind");
	if (json_is_string(v)) {
		for (int k = 0; k < 3; k++)
			if (strcmp(json_string_value(v), kind_names[k]) == 0)
				return k;
	} else if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 2) {
		return (int)json_integer_value(v);
	}
	bad(im, "kind must be \"ual\", \"signin\" or \"directory_audit\"", NULL);
	return -1;
}

/* Run an insert; 1 added, 0 already there, -1. */
static int insert(struct importer *im, sqlite3_stmt *q)
{
	int r = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (r != SQLITE_DONE)
		return db_fail(im->st, im->cause);
	return sqlite3_changes(store_db(im->st)) > 0;
}

static int one(struct importer *im, json_t *o)
{
	const char *type = need(im, o, "type");
	if (!type)
		return -1;
	const char *author = need(im, o, "author"), *created = author ? need(im, o, "created") : NULL;
	if (!created)
		return -1;
	if (!strcmp(type, "view")) {
		bool ok = true;
		const char *name = need(im, o, "name");
		if (!name)
			return -1;
		const char *filter = maybe(im, o, "filter", &ok), *sort = maybe(im, o, "sort", &ok),
			   *columns = maybe(im, o, "columns", &ok);
		if (!ok)
			return -1;
		int r;
		if (im->pending) {
			sqlite3_stmt *j = im->view_json;
			sqlite3_bind_text(j, 1, filter ? filter : "", -1, SQLITE_STATIC);
			sqlite3_bind_text(j, 2, sort, -1, SQLITE_STATIC);
			sqlite3_bind_text(j, 3, columns, -1, SQLITE_STATIC);
			char *js = sqlite3_step(j) == SQLITE_ROW ? xstrdup(col(j, 0)) : NULL;
			sqlite3_reset(j);
			sqlite3_bind_text(im->has_view, 1, name, -1, SQLITE_STATIC);
			r = js ? add_pending(im, im->has_view, PEND_VIEW_ADD, name, 0, js, author, created)
			       : db_fail(im->st, im->cause);
			free(js);
		} else {
			sqlite3_stmt *q = im->ins_view;
			sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 2, filter ? filter : "", -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 3, sort, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 4, columns, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 5, author, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 6, created, -1, SQLITE_STATIC);
			r = insert(im, q);
		}
		if (r > 0)
			im->s.views++;
		else if (r == 0)
			im->s.present++;
		return r < 0 ? -1 : 0;
	}
	const char *rid = need(im, o, "record_id");
	int kind = rid ? get_kind(im, o) : -1;
	if (kind < 0)
		return -1;
	sqlite3_stmt *q;
	int64_t *count;
	char *tag = NULL;
	const char *text = NULL;
	if (!strcmp(type, "mark")) {
		q = im->ins_mark;
		count = &im->s.marks;
	} else if (!strcmp(type, "tag")) {
		const char *t = need(im, o, "tag");
		char *why = NULL;
		if (!t)
			return -1;
		if (!(tag = annot_tag_clean(t, &why))) {
			bad(im, why, NULL);
			free(why);
			return -1;
		}
		q = im->ins_tag;
		count = &im->s.tags;
	} else if (!strcmp(type, "note")) {
		if (!(text = need(im, o, "text")))
			return -1;
		/* the very same note already here: importing twice adds nothing */
		sqlite3_stmt *h = im->has_note;
		sqlite3_bind_text(h, 1, rid, -1, SQLITE_STATIC);
		sqlite3_bind_int(h, 2, kind);
		sqlite3_bind_text(h, 3, author, -1, SQLITE_STATIC);
		sqlite3_bind_text(h, 4, created, -1, SQLITE_STATIC);
		sqlite3_bind_text(h, 5, text, -1, SQLITE_STATIC);
		int r = sqlite3_step(h);
		bool dup = r == SQLITE_ROW;
		sqlite3_reset(h);
		if (r != SQLITE_ROW && r != SQLITE_DONE)
			return db_fail(im->st, im->cause);
		if (dup) {
			im->s.present++;
			return 0;
		}
		q = im->ins_note;
		count = &im->s.notes;
	} else {
		return bad(im, "unknown type ", type);
	}
	int r;
	if (im->pending) {
		sqlite3_stmt *has = q == im->ins_mark ? im->has_mark : q == im->ins_tag ? im->has_tag : NULL;
		int op = q == im->ins_mark ? PEND_MARK : q == im->ins_tag ? PEND_TAG : PEND_NOTE_ADD;
		if (has) {
			sqlite3_bind_text(has, 1, rid, -1, SQLITE_STATIC);
			sqlite3_bind_int(has, 2, kind);
			if (tag)
				sqlite3_bind_text(has, 3, tag, -1, SQLITE_STATIC);
		}
		r = add_pending(im, has, op, rid, kind, tag ? tag : text, author, created);
	} else {
		sqlite3_bind_text(q, 1, rid, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 2, kind);
		sqlite3_bind_text(q, 3, author, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, created, -1, SQLITE_STATIC);
		if (tag || text)
			sqlite3_bind_text(q, 5, tag ? tag : text, -1, SQLITE_STATIC);
		r = insert(im, q);
	}
	free(tag);
	if (r < 0)
		return -1;
	if (r == 0) {
		im->s.present++;
		return 0;
	}
	(*count)++;
	/* whether its event is in this case: counted at the end, all at once
	 * (absent_count) */
	sqlite3_stmt *h = im->add_key;
	sqlite3_bind_text(h, 1, rid, -1, SQLITE_STATIC);
	sqlite3_bind_int(h, 2, kind);
	r = sqlite3_step(h);
	sqlite3_reset(h);
	return r == SQLITE_DONE ? 0 : db_fail(im->st, im->cause);
}

/*
 * The annotations added whose event is not in this case, in one
 * statement whose ridx_ids cursor serves every key. A statement's first
 * look-up through ridx_ids reads the first key of every ridx block (558
 * pages on 1M events), and a statement for each annotation (or a
 * correlated sub-select, whose cursor SQLite opens again for each row)
 * read them again each time: inside a transaction that had just written
 * a great deal those pages were no longer cached, and bench_export's
 * import of 1.28M annotations ran for more than 17 minutes. Joined, the
 * cursor is opened once and filtered per key. The events of a load still
 * running (ids from ridx_from) are not in ridx yet: their keys are read
 * once into a set (not the window scanned for each annotation).
 */
static int absent_count(struct importer *im)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(store_db(im->st),
			       "SELECT count(*) FROM temp.notes_added WHERE rowid NOT IN ("
			       "SELECT a.rowid FROM temp.notes_added a CROSS JOIN ridx_ids(a.record_id) rx CROSS JOIN events x"
			       " ON x.id = rx.id AND x.record_id = a.record_id AND x.kind = a.kind"
			       " UNION ALL SELECT a.rowid FROM temp.notes_added a WHERE (a.record_id, a.kind) IN"
			       " (SELECT x.record_id, x.kind FROM events x WHERE x.id >= " SQLITE_RIDX_FROM "))",
			       -1, &q, NULL) != SQLITE_OK)
		return db_fail(im->st, im->cause);
	int r = sqlite3_step(q);
	if (r == SQLITE_ROW)
		im->s.absent = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return r == SQLITE_ROW ? 0 : db_fail(im->st, im->cause);
}

static int exec(struct store *st, const char *sql, char **cause)
{
	if (sqlite3_exec(store_db(st), sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(st, cause);
	return 0;
}

int sqlite_notes_import(struct store *st, FILE *in, const char *name, struct notes_stats *stats, char **cause)
{
	struct importer im = { .st = st, .name = name, .cause = cause };
	static const char *const sql[] = {
		"INSERT OR IGNORE INTO marks(record_id, kind, author, created) VALUES (rid_key(?1), ?2, ?3, ?4)",
		"INSERT OR IGNORE INTO tags(record_id, kind, author, created, tag) VALUES (rid_key(?1), ?2, ?3, ?4, ?5)",
		("SELECT 1 FROM notes WHERE record_id = rid_key(?1) AND kind = ?2 AND author = ?3 AND created = ?4"
		 " AND text = ?5"),
		"INSERT INTO notes(record_id, kind, author, created, text) VALUES (rid_key(?1), ?2, ?3, ?4, ?5)",
		"INSERT OR IGNORE INTO views(name, filter, sort, columns, author, created) VALUES (?, ?, ?, ?, ?, ?)",
		"INSERT INTO temp.notes_added(record_id, kind) VALUES (rid_key(?1), ?2)",
		"SELECT 1 FROM marks WHERE record_id = rid_key(?1) AND kind = ?2",
		"SELECT 1 FROM tags WHERE record_id = rid_key(?1) AND kind = ?2 AND tag = ?3",
		"SELECT 1 FROM views WHERE name = ?1",
		"SELECT json_object('f', ?1, 's', ?2, 'c', ?3)",
	};
	sqlite3_stmt **stmts[] = { &im.ins_mark, &im.ins_tag,  &im.has_note, &im.ins_note, &im.ins_view,
				   &im.add_key,  &im.has_mark, &im.has_tag,  &im.has_view, &im.view_json };
	int rc = -1;
	bool in_tx = false, nested = false;
	struct pend_hold *hold = NULL;
	char *buf = NULL;
	size_t cap = 0;
	if (exec(st,
		 "CREATE TEMP TABLE IF NOT EXISTS notes_added(record_id TEXT NOT NULL, kind INTEGER NOT NULL);"
		 "DELETE FROM temp.notes_added",
		 cause) < 0)
		goto out;
	for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++)
		if (sqlite3_prepare_v2(store_db(st), sql[i], -1, stmts[i], NULL) != SQLITE_OK) {
			db_fail(st, cause);
			goto out;
		}
	/* inside a caller's transaction, a savepoint: nothing of theirs is
	 * committed or rolled back by us */
	nested = !sqlite3_get_autocommit(store_db(st));
	bool load = !nested && store_load_running(st);
	if (nested) {
		if (exec(st, "SAVEPOINT notes_import", cause) < 0)
			goto out;
		in_tx = true;
	} else {
		/* While a load runs the case is taken if it is free this
		 * instant, else the whole import goes to the pending file in
		 * one transaction (pending.c), like a mark; otherwise a writer
		 * is waited for as ever. */
		if (!load)
			sqlite_store_want_write(st, true);
		int old = load ? sqlite_store_busy_ms(st, 0) : 0;
		int r = sqlite3_exec(store_db(st), "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (load)
			sqlite_store_busy_ms(st, old);
		if (r != SQLITE_OK && load && sqlite3_errcode(store_db(st)) == SQLITE_BUSY) {
			im.pending = true;
		} else if (r != SQLITE_OK) {
			db_fail(st, cause);
			goto out;
		} else {
			in_tx = true;
			/* what was left pending goes first */
			if (pend_apply(st, &hold, cause) < 0)
				goto out;
		}
	}
	ssize_t n;
	bool header = false;
	errno = 0;
	while ((n = getline(&buf, &cap, in)) >= 0) {
		im.line++;
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			buf[--n] = '\0';
		if (n == 0)
			continue;
		json_error_t err;
		json_t *o = json_loadb(buf, (size_t)n, JSON_REJECT_DUPLICATES, &err);
		if (!json_is_object(o)) {
			bad(&im, o ? "expected a JSON object" : "not JSON: ", o ? NULL : err.text);
			json_decref(o);
			goto out;
		}
		int r = 0;
		json_t *ver = json_object_get(o, "auditscope_notes");
		if (ver) {
			if (header || !json_is_integer(ver) || json_integer_value(ver) != NOTES_VERSION)
				r = bad(&im, header ? "a second header" : "a notes file of another version",
					NULL);
			header = true;
		} else if (!header) {
			r = bad(&im, "not an auditscope notes file (no header line)", NULL);
		} else {
			r = one(&im, o);
		}
		json_decref(o);
		if (r < 0)
			goto out;
	}
	if (ferror(in)) {
		set_cause(cause, "%s: %s", name, strerror(errno ? errno : EIO));
		goto out;
	}
	if (!header) {
		set_cause(cause, "%s: empty: not an auditscope notes file", name);
		goto out;
	}
	if (absent_count(&im) < 0)
		goto out;
	if (im.pending) {
		if (im.nrows && pend_add_rows(st, im.rows, im.nrows, cause) < 0)
			goto out;
	} else if ((nested         ? exec(st, "RELEASE notes_import", cause)
		    : hold || load ? pend_commit_quiet(st, cause)
				   : exec(st, "COMMIT", cause)) < 0) {
		goto out;
	}
	in_tx = false;
	rc = 0;
out:
	if (in_tx)
		sqlite3_exec(store_db(st),
			     nested ? "ROLLBACK TO notes_import; RELEASE notes_import" : "ROLLBACK", NULL,
			     NULL, NULL);
	pend_done(hold, rc == 0);
	rows_free(&im);
	if (!nested)
		sqlite_store_want_write(st, false);
	for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++)
		sqlite3_finalize(*stmts[i]);
	sqlite3_exec(store_db(st), "DROP TABLE IF EXISTS temp.notes_added", NULL, NULL, NULL);
	free(buf);
	if (stats)
		*stats = rc == 0 ? im.s : (struct notes_stats){ 0 };
	return rc;
}
