/*
 * export.c: the export's reader (export.h): the matching events, their
 * annotations and provenance, streamed to a writer of the table in
 * export_list.h (export_writer.h is the seam).
 *
 * One statement reads the matching events in time order with their
 * normalized values and whether each has a bookmark, tags or notes; tags
 * and notes are then read for the few rows that have any. Rows are
 * gathered in windows of WINDOW events: when the format wants the raw
 * records, a window's records are read in row id order, so that each
 * compressed block (about 350 consecutive ids) is decompressed once per
 * window instead of once per row, as time order would have it when
 * several exports interleave in time; then the window is written in time
 * order.
 */
#include "export.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "annot.h"
#include "export_writer.h"
#include "appnames.h"
#include "knownapps.h"
#include "query.h"
#include "sanitize.h"
#include "timeparse.h"
#include "xalloc.h"
#include "sqlite/sqlite_store.h"

#define WINDOW 2048

#define PROGRESS_EVERY 4096

#define X(e, name) extern const struct export_writer export_writer_##name;
EXPORT_WRITERS(X)
#undef X

static const struct export_writer *const writers[EXPORT_COUNT] = {
#define X(e, name) [EXPORT_##e] = &export_writer_##name,
	EXPORT_WRITERS(X)
#undef X
};

static const struct export_limits default_limits = { .annotations = 4000000, .marks_sorted = 100000 };

int export_format_parse(const char *s)
{
	for (int i = 0; i < EXPORT_COUNT; i++)
		if (!strcmp(s, writers[i]->name) || (writers[i]->alias && !strcmp(s, writers[i]->alias)))
			return i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Rows */

#define VAL(col) "(SELECT v FROM vals WHERE id = e." col ")"

const char *const export_field_names[NFIELDS] = {
#define X(f, name, sql) name,
	EXPORT_ROW_FIELDS(X)
#undef X
};

/* The SELECT list of the text fields, in field order: the record id,
 * then value ids that the value cache turns into text. */
static const char field_sql[] =
#define X(f, name, sql) ", " sql
	EXPORT_ROW_FIELDS(X)
#undef X
	;

/* Forget r's values; its text buffer stays for the next row. */
static void row_clear(struct export_row *r)
{
	char *buf = r->buf;
	size_t cap = r->cap;
	for (size_t i = 0; i < r->ntags; i++)
		free(r->tags[i]);
	free(r->tags);
	for (size_t i = 0; i < r->nnotes; i++) {
		free(r->notes[i].author);
		free(r->notes[i].created);
		free(r->notes[i].text);
	}
	free(r->notes);
	free(r->raw);
	memset(r, 0, sizeof *r);
	r->buf = buf;
	r->cap = cap;
}

/*
 * Texts of value ids, direct-mapped: an export asks for the same few
 * operations, users, apps and IPs a million times, and a correlated
 * sub-select per field and row cost more than everything else together
 * (the profile of a million-row CSV export). Unique values (tokens,
 * sessions) just miss and are read again; memory stays bounded.
 */
#define VCACHE_SLOTS 65536

struct vcache {
	int64_t id[VCACHE_SLOTS];
	char *text[VCACHE_SLOTS];
	sqlite3_stmt *q;
};

/* The text of value id (borrowed until the next lookup), or NULL. */
static const char *vcache_get(struct vcache *c, int64_t id)
{
	size_t slot = (size_t)((uint64_t)id * 0x9e3779b97f4a7c15ULL >> 48) & (VCACHE_SLOTS - 1);
	if (c->id[slot] == id && c->text[slot])
		return c->text[slot];
	sqlite3_bind_int64(c->q, 1, id);
	const char *v = NULL;
	if (sqlite3_step(c->q) == SQLITE_ROW)
		v = (const char *)sqlite3_column_text(c->q, 0);
	free(c->text[slot]);
	c->text[slot] = v ? xstrdup(v) : NULL;
	c->id[slot] = id;
	sqlite3_reset(c->q);
	return c->text[slot];
}

/* The same for the places of IP value ids (ipgeo, core/ipgeo.h): a
 * few thousand addresses, each looked up once. */
#define GCACHE_SLOTS 4096

struct gcache {
	int64_t id[GCACHE_SLOTS];
	char *text[GCACHE_SLOTS][3]; /* country, asn, as_org */
	bool have[GCACHE_SLOTS];
	sqlite3_stmt *q; /* NULL: a case from before places */
};

static char *const *gcache_get(struct gcache *c, int64_t id)
{
	static char *const none[3] = { NULL, NULL, NULL };
	if (!c->q)
		return none;
	size_t slot = (size_t)((uint64_t)id * 0x9e3779b97f4a7c15ULL >> 52) & (GCACHE_SLOTS - 1);
	if (c->have[slot] && c->id[slot] == id)
		return c->text[slot];
	for (int i = 0; i < 3; i++) {
		free(c->text[slot][i]);
		c->text[slot][i] = NULL;
	}
	sqlite3_bind_int64(c->q, 1, id);
	if (sqlite3_step(c->q) == SQLITE_ROW)
		for (int i = 0; i < 3; i++) {
			const unsigned char *t = sqlite3_column_text(c->q, i);
			c->text[slot][i] = t ? xstrdup((const char *)t) : NULL;
		}
	sqlite3_reset(c->q);
	c->id[slot] = id;
	c->have[slot] = true;
	return c->text[slot];
}

static void gcache_free(struct gcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < GCACHE_SLOTS; i++)
		for (int k = 0; k < 3; k++)
			free(c->text[i][k]);
	sqlite3_finalize(c->q);
	free(c);
}

static void vcache_free(struct vcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < VCACHE_SLOTS; i++)
		free(c->text[i]);
	sqlite3_finalize(c->q);
	free(c);
}

/*
 * The annotated keys, in memory: which (record id, kind) are bookmarked,
 * noted, and their tags. Probing the marks and tags tables once per
 * exported row costs a random B-tree search each, and once an analyst
 * bulk-marks hundreds of thousands of events those tables no longer fit
 * the page cache: a million-row CSV export went from 4 to 15 CPU seconds.
 * Read once in key order they cost a fraction of a second. Memory grows
 * with the annotations (about 80 bytes each), never with the events; past
 * export_limits.annotations rows the export falls back to probing.
 */
struct annent {
	const char *rid; /* in the arena; for kind -1 the interned tag text */
	int kind;
	bool marked, noted;
	uint32_t ntags;
	const char **tags; /* interned */
};

struct annset {
	struct annent *ent;
	size_t n, cap;
	uint32_t *slot; /* index + 1 into ent, 0 empty */
	size_t mask;
	char **chunks;   /* the arena */
	size_t nchunks, used, chunk_cap;
};

#define ARENA_CHUNK ((size_t)1 << 20)

static const char *annset_str(struct annset *a, const char *s)
{
	size_t n = strlen(s) + 1;
	if (!a->nchunks || a->used + n > ARENA_CHUNK) {
		a->chunks = xgrow(a->chunks, &a->chunk_cap, a->nchunks + 1, sizeof *a->chunks);
		a->chunks[a->nchunks++] = xmalloc(n > ARENA_CHUNK ? n : ARENA_CHUNK);
		a->used = 0;
	}
	char *d = a->chunks[a->nchunks - 1] + a->used;
	memcpy(d, s, n);
	a->used += n;
	return d;
}

static uint64_t annset_hash(const char *s, int kind)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(kind + 2);
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h ^ (h >> 29);
}

static void annset_grow(struct annset *a)
{
	size_t nslots = a->mask ? (a->mask + 1) * 2 : 1024;
	free(a->slot);
	a->slot = xcalloc(nslots, sizeof *a->slot);
	a->mask = nslots - 1;
	for (size_t i = 0; i < a->n; i++) {
		size_t j = annset_hash(a->ent[i].rid, a->ent[i].kind) & a->mask;
		while (a->slot[j])
			j = (j + 1) & a->mask;
		a->slot[j] = (uint32_t)i + 1;
	}
}

/* The entry of (rid, kind), added when add is set; else NULL if absent. */
static struct annent *annset_get(struct annset *a, const char *rid, int kind, bool add)
{
	if (!rid)
		rid = ""; /* a crafted case's NULL record id or tag */
	if (add && (a->n + 1) * 2 > a->mask + 1)
		annset_grow(a);
	if (!a->mask)
		return NULL;
	size_t j = annset_hash(rid, kind) & a->mask;
	for (; a->slot[j]; j = (j + 1) & a->mask) {
		struct annent *e = &a->ent[a->slot[j] - 1];
		if (e->kind == kind && strcmp(e->rid, rid) == 0)
			return e;
	}
	if (!add)
		return NULL;
	a->ent = xgrow(a->ent, &a->cap, a->n + 1, sizeof *a->ent);
	struct annent *e = &a->ent[a->n];
	memset(e, 0, sizeof *e);
	e->rid = annset_str(a, rid);
	e->kind = kind;
	a->slot[j] = (uint32_t)++a->n;
	return e;
}

static void annset_free(struct annset *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->ent[i].tags);
	free(a->ent);
	free(a->slot);
	for (size_t i = 0; i < a->nchunks; i++)
		free(a->chunks[i]);
	free(a->chunks);
	free(a);
}

/* Read the three tables; NULL (with *cause unset) when they are too
 * big to hold, NULL with *cause on an error. */
static struct annset *annset_load(struct store *st, const struct annot_counts *ac, int64_t max,
				  char **cause)
{
	if (ac->marks + ac->tags + ac->notes > max)
		return NULL;
	struct annset *a = xcalloc(1, sizeof *a);
	static const char *const sql[] = {
		"SELECT record_id, kind, NULL FROM marks",
		"SELECT record_id, kind, tag FROM tags ORDER BY record_id, kind, tag",
		"SELECT DISTINCT record_id, kind, NULL FROM notes",
	};
	for (int t = 0; t < 3; t++) {
		sqlite3_stmt *q = NULL;
		if (sqlite3_prepare_v2(store_db(st), sql[t], -1, &q, NULL) != SQLITE_OK) {
			set_cause(cause, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
			annset_free(a);
			return NULL;
		}
		int r;
		while ((r = sqlite3_step(q)) == SQLITE_ROW) {
			struct annent *e = annset_get(a, (const char *)sqlite3_column_text(q, 0), sqlite3_column_int(q, 1), true);
			if (t == 0) {
				e->marked = true;
			} else if (t == 2) {
				e->noted = true;
			} else {
				/* tags interned as entries of kind -1 (e may move) */
				size_t idx = (size_t)(e - a->ent);
				const char *tag = annset_get(a, (const char *)sqlite3_column_text(q, 2), -1, true)->rid;
				e = &a->ent[idx];
				e->tags = xrealloc(e->tags, (e->ntags + 1) * sizeof *e->tags);
				e->tags[e->ntags++] = tag;
			}
		}
		sqlite3_finalize(q);
		if (r != SQLITE_DONE) {
			set_cause(cause, "%s: %s", store_path(st), sqlite3_errmsg(store_db(st)));
			annset_free(a);
			return NULL;
		}
	}
	return a;
}

const struct export_source *export_source_of(const struct exporter *x, int64_t id)
{
	/* source ids are 1.. in load order: a direct hit, else a search */
	if (id >= 1 && (size_t)id <= x->nsrc && x->src[id - 1].id == id)
		return &x->src[id - 1];
	for (size_t i = 0; i < x->nsrc; i++)
		if (x->src[i].id == id)
			return &x->src[i];
	return NULL;
}

const char *export_app_name(const struct exporter *x, const char *id)
{
	return id && x->ka ? appnames_lookup(x->ka, id, NULL) : NULL;
}

int export_db_fail(struct exporter *x)
{
	return set_cause(x->cause, "%s: %s", store_path(x->st), sqlite3_errmsg(store_db(x->st)));
}

sqlite3_stmt *export_prep(struct exporter *x, const char *sql)
{
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(store_db(x->st), sql, -1, &q, NULL) != SQLITE_OK) {
		export_db_fail(x);
		sqlite3_finalize(q);
		return NULL;
	}
	return q;
}

static char *dup_col(sqlite3_stmt *q, int i)
{
	const char *s = (const char *)sqlite3_column_text(q, i);
	return s ? xstrdup(s) : NULL;
}

static int load_sources(struct exporter *x)
{
	sqlite3_stmt *q = export_prep(x, "SELECT id, path, sha256 FROM sources ORDER BY id");
	if (!q)
		return -1;
	size_t cap = 0;
	int r;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		x->src = xgrow(x->src, &cap, x->nsrc + 1, sizeof *x->src);
		struct export_source *s = &x->src[x->nsrc++];
		s->id = sqlite3_column_int64(q, 0);
		s->path = dup_col(q, 1);
		s->sha256 = dup_col(q, 2);
	}
	sqlite3_finalize(q);
	return r == SQLITE_DONE ? 0 : export_db_fail(x);
}

/* Fill r from the current row of x->sel, with its tags and notes. */
static int read_row(struct exporter *x, struct export_row *r)
{
	sqlite3_stmt *q = x->sel;
	r->id = sqlite3_column_int64(q, 0);
	r->ts = sqlite3_column_int64(q, 1);
	r->line = sqlite3_column_int64(q, 2);
	r->op_count = sqlite3_column_type(q, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(q, 3);
	r->kind = sqlite3_column_int(q, 4);
	r->flags = (unsigned)sqlite3_column_int(q, 5);
	r->source = sqlite3_column_int64(q, 6);
	r->marked = sqlite3_column_int(q, 7);
	bool has_tags = sqlite3_column_int(q, 8), has_notes = sqlite3_column_int(q, 9);
	const struct annent *ae = NULL;
	if (x->ann) {
		ae = annset_get(x->ann, (const char *)sqlite3_column_text(q, 10), r->kind, false);
		r->marked = ae && ae->marked;
		has_notes = ae && ae->noted;
		has_tags = false;
		if (ae && ae->ntags) {
			r->tags = xmalloc(ae->ntags * sizeof *r->tags);
			for (uint32_t i = 0; i < ae->ntags; i++)
				r->tags[i] = xstrdup(ae->tags[i]);
			r->ntags = ae->ntags;
		}
	}
	/* copied into the row's buffer (offsets first: it may move) */
	size_t off[NFIELDS];
	r->len = 0;
	for (int i = 0; i < NFIELDS; i++) {
		const char *v = i == F_record_id ? (const char *)sqlite3_column_text(q, 10)
			      : sqlite3_column_type(q, 10 + i) == SQLITE_NULL ? NULL
			      : vcache_get(x->vc, sqlite3_column_int64(q, 10 + i));
		if (!v) {
			off[i] = SIZE_MAX;
			continue;
		}
		size_t n = strlen(v) + 1;
		r->buf = xgrow(r->buf, &r->cap, r->len + n, 1);
		memcpy(r->buf + r->len, v, n);
		off[i] = r->len;
		r->len += n;
	}
	size_t goff[3] = { SIZE_MAX, SIZE_MAX, SIZE_MAX };
	if (sqlite3_column_type(q, 10 + F_ip) != SQLITE_NULL) {
		char *const *g = gcache_get(x->gc, sqlite3_column_int64(q, 10 + F_ip));
		for (int i = 0; i < 3; i++) {
			if (!g[i])
				continue;
			size_t n = strlen(g[i]) + 1;
			r->buf = xgrow(r->buf, &r->cap, r->len + n, 1);
			memcpy(r->buf + r->len, g[i], n);
			goff[i] = r->len;
			r->len += n;
		}
	}
	for (int i = 0; i < NFIELDS; i++)
		r->f[i] = off[i] == SIZE_MAX ? NULL : r->buf + off[i];
	r->country = goff[0] == SIZE_MAX ? NULL : r->buf + goff[0];
	r->asn = goff[1] == SIZE_MAX ? NULL : r->buf + goff[1];
	r->as_org = goff[2] == SIZE_MAX ? NULL : r->buf + goff[2];
	int rc;
	if (has_tags) {
		sqlite3_stmt *t = x->sel_tags;
		sqlite3_bind_text(t, 1, r->f[F_record_id], -1, SQLITE_STATIC);
		sqlite3_bind_int(t, 2, r->kind);
		size_t cap = 0;
		while ((rc = sqlite3_step(t)) == SQLITE_ROW) {
			r->tags = xgrow(r->tags, &cap, r->ntags + 1, sizeof *r->tags);
			r->tags[r->ntags++] = dup_col(t, 0);
		}
		sqlite3_reset(t);
		if (rc != SQLITE_DONE)
			return export_db_fail(x);
	}
	if (has_notes) {
		sqlite3_stmt *t = x->sel_notes;
		sqlite3_bind_text(t, 1, r->f[F_record_id], -1, SQLITE_STATIC);
		sqlite3_bind_int(t, 2, r->kind);
		size_t cap = 0;
		while ((rc = sqlite3_step(t)) == SQLITE_ROW) {
			r->notes = xgrow(r->notes, &cap, r->nnotes + 1, sizeof *r->notes);
			struct export_note *n = &r->notes[r->nnotes++];
			n->author = dup_col(t, 0);
			n->created = dup_col(t, 1);
			n->text = dup_col(t, 2);
		}
		sqlite3_reset(t);
		if (rc != SQLITE_DONE)
			return export_db_fail(x);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The run */

static int cmp_id(const void *a, const void *b)
{
	const struct export_row *const *x = a, *const *y = b;
	return (*x)->id < (*y)->id ? -1 : (*x)->id > (*y)->id;
}

/* Write the window: raw records first, read in row id order. */
static int flush(struct exporter *x)
{
	if (!x->nwin)
		return 0;
	if (x->w->raw) {
		struct export_row **by_id = xmalloc(x->nwin * sizeof *by_id);
		for (size_t i = 0; i < x->nwin; i++)
			by_id[i] = &x->win[i];
		qsort(by_id, x->nwin, sizeof *by_id, cmp_id);
		for (size_t i = 0; i < x->nwin; i++) {
			size_t len;
			char *t = store_raw(x->st, by_id[i]->id, &len);
			/* a stored record is the JSON the reader parsed; made
			 * safe for a terminal, it is still that JSON */
			by_id[i]->raw = t ? json_one_line(json_text_safe(t, len)) : NULL;
			free(t);
		}
		free(by_id);
	}
	for (size_t i = 0; i < x->nwin; i++) {
		struct export_row *r = &x->win[i];
		x->w->row(x, r);
		row_clear(r);
	}
	x->nwin = 0;
	return ferror(x->out) ? set_cause(x->cause, "write error: %s", strerror(errno ? errno : EIO)) : 0;
}

static int scan_progress(void *ctx, double done)
{
	(void)done;
	const struct exporter *x = ctx;
	return progress_report(&x->o->progress, -1);
}

int export_run(struct store *st, FILE *out, const struct export_opts *o, struct export_stats *stats,
	       char **cause)
{
	if ((unsigned)o->format >= EXPORT_COUNT)
		return set_cause(cause, "export: no such format");
	struct exporter x = { .st = st, .out = out, .o = o, .w = writers[o->format], .cause = cause };
	const struct export_limits *lim = o->limits ? o->limits : &default_limits;
	bool marked = o->marked || x.w->marked;
	int rc = -1;
	if (stats)
		memset(stats, 0, sizeof *stats);
	if (query_new(st, o->filter, &x.q, cause) < 0)
		return -1;
	query_set_progress(x.q, &(struct progress){ scan_progress, &x });
	if (query_prepare(x.q, cause) < 0)
		goto out;
	if (load_sources(&x) < 0 || !(x.ka = appnames_new(st, cause)))
		goto out;
	x.vc = xcalloc(1, sizeof *x.vc);
	if (!(x.vc->q = export_prep(&x, "SELECT v FROM vals WHERE id = ?")))
		goto out;
	x.gc = xcalloc(1, sizeof *x.gc);
	/* a case from before places has no ipgeo table: places unknown */
	if (sqlite3_prepare_v2(store_db(st), "SELECT country, asn, as_org FROM ipgeo WHERE val = ?", -1,
			       &x.gc->q, NULL) != SQLITE_OK)
		x.gc->q = NULL;
	struct annot_counts ac;
	if (annot_counts(st, &ac, cause) < 0)
		goto out;
	if (!(x.ann = annset_load(st, &ac, lim->annotations, cause)) && cause && *cause)
		goto out;
	/* without the keys in memory, a probe per row and table, only where
	 * there is something to find */
	bool probe = !x.ann;
#define HAS(tbl) " EXISTS(SELECT 1 FROM " tbl " a WHERE a.record_id = e.record_id AND a.kind = e.kind)"
	/* Bookmarked events only: when they are few, from the bookmarks
	 * outward, sorted in memory; when there are many, a walk of the
	 * whole timeline that skips the others keeps memory flat. */
	bool from_marks = marked && ac.marks <= lim->marks_sorted;
	char *sql = xasprintf(
		"SELECT e.id, e.ts, e.line, e.op_count, e.kind, e.flags, e.source, %s, %s, %s"
		"%s FROM %s WHERE (%s)%s ORDER BY e.ts, e.id",
		from_marks ? "1" : probe && ac.marks ? HAS("marks") : "0", probe && ac.tags ? HAS("tags") : "0",
		probe && ac.notes ? HAS("notes") : "0", field_sql,
		from_marks ? "marks k CROSS JOIN events e ON e.record_id = k.record_id AND e.kind = k.kind" : "events e",
		query_sql_where(x.q), marked && probe && !from_marks ? " AND" HAS("marks") : "");
#undef HAS
	x.sel = export_prep(&x, sql);
	free(sql);
	if (!x.sel || !(x.sel_tags = export_prep(&x, "SELECT tag FROM tags WHERE record_id = ?1 AND kind = ?2 ORDER BY tag")) ||
	    !(x.sel_notes = export_prep(&x, "SELECT author, created, text FROM notes WHERE record_id = ?1 AND kind = ?2"
				     " ORDER BY created, id")))
		goto out;
	if (query_sql_bind(x.q, x.sel) != SQLITE_OK) {
		export_db_fail(&x);
		goto out;
	}
	x.label = o->case_label ? o->case_label : store_path(st);
	if (x.w->begin && x.w->begin(&x) < 0)
		goto out;
	x.win = xcalloc(WINDOW, sizeof *x.win);
	int r;
	int64_t scanned = 0;
	while ((r = sqlite3_step(x.sel)) == SQLITE_ROW) {
		if (++scanned % PROGRESS_EVERY == 0) {
			if (stats)
				stats->events = x.done;
			if (progress_report(&o->progress, -1)) {
				set_cause(cause, PROGRESS_CANCELLED);
				goto out;
			}
		}
		if (marked && x.ann && !from_marks) {
			const struct annent *e = annset_get(x.ann, (const char *)sqlite3_column_text(x.sel, 10),
							    sqlite3_column_int(x.sel, 4), false);
			if (!(e && e->marked))
				continue;
		}
		if (read_row(&x, &x.win[x.nwin++]) < 0)
			goto out;
		x.done++;
		if (x.nwin == WINDOW && flush(&x) < 0)
			goto out;
	}
	if (r != SQLITE_DONE) {
		export_db_fail(&x);
		goto out;
	}
	if (flush(&x) < 0)
		goto out;
	if (x.w->end && x.w->end(&x) < 0)
		goto out;
	errno = 0;
	if (fflush(out) != 0 || ferror(out)) {
		set_cause(cause, "write error: %s", strerror(errno ? errno : EIO));
		goto out;
	}
	rc = 0;
	if (stats) {
		stats->events = x.done;
		stats->messages = x.messages;
	}
out:
	for (size_t i = 0; i < (x.win ? WINDOW : 0); i++) {
		row_clear(&x.win[i]);
		free(x.win[i].buf);
	}
	free(x.win);
	vcache_free(x.vc);
	gcache_free(x.gc);
	annset_free(x.ann);
	sqlite3_finalize(x.sel);
	sqlite3_finalize(x.sel_tags);
	sqlite3_finalize(x.sel_notes);
	for (size_t i = 0; i < x.nsrc; i++) {
		free(x.src[i].path);
		free(x.src[i].sha256);
	}
	free(x.src);
	if (x.wstate_free)
		x.wstate_free(x.wstate);
	appnames_free(x.ka);
	query_free(x.q);
	return rc;
}
